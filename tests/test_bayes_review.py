"""The Bayesian random-effects model at the level of the review (issue 19, items 3-4): the
protocol's default priors (validated with file:line), ``Review.analyse(model="bayes")`` on the LDN
and BCG reviews against the core called directly on the same yi/vi and against an independent
R integration (tests/reference/bayes_review/), printing, JSON without NaN, the summary CSV, the
forest with shrinkage estimates, the prior-scale rows of the sensitivity table, and the
command line's ``--model``."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import ldn_evidence as le
from ldn_evidence.errors import ReviewError, StudiesFileError
from ldn_evidence.records import default_protocol

REFERENCE = Path(__file__).parent / "reference" / "bayes_review"

REVIEW = """\
review:
  title: Drug X
  question: Does drug X help?
  version: 1.0.0
  protocol:
    population: people at risk
    intervention: {id: drug, name: Drug X, label: drug X, arms: [drug]}
    comparators:
      - {id: placebo, name: placebo, label: placebo, arms: [placebo]}
    outcomes:
      - id: score
        name: symptom score
        kind: continuous
        lower_is_better: true
PRIOR
      - {id: harms, name: any harm, kind: binary, lower_is_better: true}
    year_range: [2000, null]
    analysis:
      method: REML
      test: knha
ANALYSIS
studies:
  - id: doe2020
    citation: {authors: [Doe J], year: 2020, title: A trial of drug X}
    doi: 10.1000/doe.2020
    design: parallel_rct
    randomized: true
    blinding: double
    population: {}
    intervention: {}
    comparator: placebo
    outcomes:
      - outcome: score
        scale: {min: 0, max: 10, lower_is_better: true}
        timepoint: week 8
        contrast: drug_vs_placebo
        data:
          - form: arm_means
            arms:
              - {arm: drug, mean: 4.0, sd: 2.0, n: 30}
              - {arm: placebo, mean: 5.0, sd: 2.0, n: 30}
            source: DOI 10.1000/doe.2020, Table 2
"""


def _text(prior: str = "", analysis: str = "") -> str:
    return REVIEW.replace("PRIOR\n", prior).replace("ANALYSIS\n", analysis)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


# ---------------------------------------------------------------------------------------------
# the protocol's priors
# ---------------------------------------------------------------------------------------------


def test_the_ldn_protocol_names_a_prior_for_each_outcome_with_its_reason():
    p = default_protocol()
    for outcome in ("pain", "fiq"):
        prior, where = p.prior_for(outcome, "SMD")
        assert (prior.tau, prior.scale, prior.mu) == ("halfnormal", 0.5, None)
        assert where == f"review.protocol.outcomes[{outcome}].prior" and "Friede" in prior.reason
    assert "Rhodes" in p.prior_for("pain", "SMD")[0].reason     # why not the empirical SMD prior
    prior, where = p.prior_for("adverse_events", "RR")
    assert (prior.tau, prior.outcome_type) == ("turner", "adverse events") and "Turner" in prior.reason
    assert p.prior_for("discontinuation", "OR")[0].outcome_type == "withdrawals / drop-outs"
    assert p.prior_for("fatigue", "SMD")[1] == "review.protocol.analysis.prior"
    assert p.prior_for("pain", "MD") is None            # an MD needs a prior in its own units
    bcg = le.load_studies("bcg").protocol.prior_for("tb", "RR")
    assert bcg[0].describe() == "half-normal(scale 0.5) for tau, flat mu" and bcg[0].reason


def test_a_protocol_without_priors_gets_the_package_default(write):
    review = le.load_studies(write(_text()))
    prior, where = review.protocol.prior_for("score", "SMD")
    assert where == "the package default" and (prior.tau, prior.scale) == ("halfnormal", 0.5)
    assert "Friede" in prior.reason and "Röver" in prior.reason


@pytest.mark.parametrize("prior,needle,words", [
    ("        prior: {tau: halfnormal, reason: weakly informative}\n", "prior: {tau: halfnormal",
     ["outcomes[0].prior", "needs its scale"]),
    ("        prior: {tau: gamma, scale: 1, reason: weakly informative}\n", "prior: {tau: gamma",
     ["outcomes[0].prior.tau", "halfnormal"]),
    ("        prior: {tau: halfnormal, scale: -1, reason: weakly informative}\n", "prior: {tau: halfnormal",
     ["outcomes[0].prior.scale", "greater than 0"]),
    ("        prior: {tau: halfnormal, scale: 0.5}\n", "prior: {tau: halfnormal", ["outcomes[0].prior.reason"]),
    ("        prior: {tau: turner, outcome_type: adverse events, reason: an empirical prior}\n", "prior: {tau: turner",
     ["outcomes[0].prior", "not a measure of a continuous outcome"]),
    ("        prior: {tau: rhodes, outcome_type: pains, reason: an empirical prior}\n", "prior: {tau: rhodes",
     ["outcomes[0].prior", "unknown Rhodes et al. (2015) outcome type 'pains'"]),
    ("        prior: {tau: halfnormal, scale: 0.5, df: 3, reason: weakly informative}\n", "prior: {tau: halfnormal",
     ["'df' applies to the halft prior only"]),
    ("        prior: {tau: halfnormal, scale: 0.5, measures: [RR], reason: weakly informative}\n",
     "prior: {tau: halfnormal", ["RR is not a measure of a continuous outcome"]),
    ("        prior: {tau: halfnormal, scale: 0.5, mu: {mean: 0, sd: 0}, reason: weakly informative}\n",
     "prior: {tau: halfnormal", ["outcomes[0].prior.mu.sd", "greater than 0"]),
])
def test_a_bad_prior_is_reported_with_file_and_line(write, prior, needle, words):
    text = _text(prior=prior)
    path = write(text)
    with pytest.raises(StudiesFileError) as info:
        le.load_studies(path)
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{_line(text, needle)}: "), problems[0]
    for w in words:
        assert w in problems[0], (w, problems[0])


def test_a_bad_review_wide_prior_is_reported_with_file_and_line(write):
    text = _text(analysis="      prior: {tau: turner, comparison: placebo vs placebo, reason: empirical evidence}\n")
    path = write(text)
    with pytest.raises(StudiesFileError) as info:
        le.load_studies(path)
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith(f"{path}:{_line(text, 'prior: {tau: turner')}: ") and "analysis.prior" in problem
    assert "placebo / control vs placebo / control is not a comparison" in problem
