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


# ---------------------------------------------------------------------------------------------
# the review-level results: against the core on the same yi/vi, and against R
# ---------------------------------------------------------------------------------------------

QUANTITIES = ("mu_median", "mu_ci_low", "mu_ci_high", "tau_median", "tau_ci_low", "tau_ci_high", "pred_median",
              "pi_low", "pi_high", "mu_hpd_low", "mu_hpd_high", "bayes_factor_tau0")


@pytest.fixture(scope="module")
def ldn():
    return le.load_studies()


@pytest.fixture(scope="module")
def bcg():
    return le.load_studies("bcg")


@pytest.fixture(scope="module")
def reference():
    return json.loads((REFERENCE / "reference.json").read_text(encoding="utf-8"))["cases"]


def _core(rows, **kw):
    return le.bayes_meta_analysis([r["yi"] for r in rows], [r["vi"] for r in rows], labels=[r["label"] for r in rows],
                                  **kw)


def _same(a, b):
    for name in QUANTITIES:
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-12, abs=1e-13), name
    np.testing.assert_allclose(a.theta_median, b.theta_median, rtol=1e-12, atol=1e-13)
    assert a.labels == b.labels


@pytest.mark.parametrize("which,outcome,by", [("ldn", "pain", None), ("ldn", "fiq", None),
                                              ("ldn", "adverse_events", None), ("bcg", "tb", None),
                                              ("bcg", "tb", "alloc")])
def test_review_level_posteriors_are_the_core_on_the_same_effects(request, which, outcome, by):
    """The posterior of all studies and of each subgroup (fitted together in one masked call) is
    what bayes_meta_analysis gives on the same yi/vi with the protocol's prior, one at a time."""
    review = request.getfixturevalue(which)
    b = review.analyse(outcome, model="bayes", by=by)
    freq = review.analyse(outcome, by=by)
    assert [r["label"] for r in b.rows] == [r["label"] for r in freq.rows]
    assert b.overall.estimate == freq.overall.estimate               # the frequentist fit, beside
    tau = b.prior.tau
    _same(b.posterior, _core(b.rows, tau_prior=tau, mu_prior=None))
    assert len(b.subgroup_posteriors) == (len(freq.subgroups) if len(freq.subgroups) > 1 else 0)
    for name, post in b.subgroup_posteriors.items():
        _same(post, _core([r for r in b.rows if r["group"] == name], tau_prior=tau))
    assert b.prob_benefit() == pytest.approx(b.posterior.prob("mu", "<", 0.0), rel=1e-12)


def _check_reference(post, ref, first):
    tol = 1e-10          # measured: 3e-14
    for ours, theirs in (("mu_median", "mu_median"), ("mu_ci_low", "mu_ci_low"), ("mu_ci_high", "mu_ci_high"),
                         ("tau_median", "tau_median"), ("tau_ci_low", "tau_ci_low"), ("tau_ci_high", "tau_ci_high"),
                         ("pred_median", "pred_median"), ("pi_low", "pred_ci_low"), ("pi_high", "pred_ci_high")):
        assert getattr(post, ours) == pytest.approx(ref[theirs], abs=tol), ours
    i = post.labels.index(first)
    for ours, theirs in (("theta_median", "theta1_median"), ("theta_ci_low", "theta1_ci_low"),
                         ("theta_ci_high", "theta1_ci_high")):
        assert getattr(post, ours)[i] == pytest.approx(ref[theirs], abs=tol), ours
    assert post.prob("mu", "<", 0.0) == pytest.approx(ref["p_mu_below_0"], abs=1e-10)
    assert post.prob("mu", "<", ref["mid"]) == pytest.approx(ref["p_mu_below_mid"], abs=1e-9)


@pytest.mark.parametrize("case,which,outcome,group", [
    ("bcg_tb", "bcg", "tb", None), ("bcg_tb_random_allocation", "bcg", "tb", "Parallel RCTs"),
    ("ldn_pain", "ldn", "pain", None), ("ldn_pain_crossover", "ldn", "pain", "Crossover trials"),
    ("ldn_fiq", "ldn", "fiq", None), ("ldn_adverse_events", "ldn", "adverse_events", None)])
def test_review_level_posteriors_agree_with_an_independent_r_integration(request, reference, case, which, outcome,
                                                                          group):
    b = request.getfixturevalue(which).analyse(outcome, model="bayes")
    post = b.posterior if group is None else b.subgroup_posteriors[group]
    ref = reference[case]
    assert post.k == ref["k"]
    _check_reference(post, ref, "Aronson 1948" if which == "bcg" else ref["first"])
    if ref.get("mid") is not None and case != "bcg_tb_random_allocation":
        assert b.prob_mid(group or "Overall") == pytest.approx(ref["p_mu_below_mid"], abs=1e-9)


def test_bcg_yi_vi_are_metafors(bcg):
    """The R reference starts from metafor's escalc; so do the review's BCG effects."""
    ref = json.loads((Path(__file__).parent / "reference" / "bcg" / "metafor_bcg.json").read_text())["trials"]
    rows = {(r["label"]): r for r in bcg.analyse("tb", model="bayes").rows}
    assert len(rows) == 13
    for t in ref:
        row = next(r for label, r in rows.items() if label.startswith(t["author"]) and str(t["year"]) in label)
        assert row["yi"] == pytest.approx(t["yi"], rel=1e-12) and row["vi"] == pytest.approx(t["vi"], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# the sensitivity table
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which,outcome,ref_prefix", [("ldn", "pain", "ldn_pain"), ("bcg", "tb", "bcg_tb")])
def test_sensitivity_has_the_prior_scale_rows_in_one_family(request, reference, which, outcome, ref_prefix):
    review = request.getfixturevalue(which)
    sens = review.sensitivity(outcome)
    bayes = [r for r in sens.rows if r["family"] == "Bayesian: tau prior"]
    assert [r["analysis"] for r in bayes] == ["half-normal(0.25)", "half-normal(0.5) (protocol)", "half-normal(1)"]
    primary = review.analyse(outcome, by="none")
    grid = _core(primary.rows, tau_scale=[0.25, 0.5, 1.0])
    for i, row in enumerate(bayes):
        assert row["model"] == "bayes" and row["k"] == primary.k and math.isnan(row["pvalue"])
        assert row["estimate"] == pytest.approx(grid.mu_median[i], rel=1e-12)
        assert row["ci_high"] == pytest.approx(grid.mu_ci_high[i], rel=1e-12)
        assert row["tau2"] == pytest.approx(grid.tau_median[i] ** 2, rel=1e-12)
    for scale, row in ((0.25, bayes[0]), (1.0, bayes[2])):
        ref = reference[f"{ref_prefix}_hn{scale:g}"]
        assert row["estimate"] == pytest.approx(ref["mu_median"], abs=1e-10)
        assert row["pi_low"] == pytest.approx(ref["pred_ci_low"], abs=1e-10)
        assert row["tau2"] == pytest.approx(ref["tau_median"] ** 2, abs=1e-10)
        assert row["prob_benefit"] == pytest.approx(ref["p_mu_below_0"], abs=1e-10)
    table = sens.table
    assert list(table.columns[:4]) == ["family", "analysis", "k", "estimate"]
    assert set(table["model"]) == {"freq", "bayes"}
    if which == "bcg":             # ratios on the ratio scale, the log values named as such
        row = table[table["analysis"] == "half-normal(0.5) (protocol)"].iloc[0]
        assert row["estimate"] == pytest.approx(math.exp(row["log_estimate"]), rel=1e-12)
    text = str(sens)
    assert "Bayesian: tau prior" in text and "Pb " in text and "nan" not in text


def test_an_empirical_protocol_prior_is_its_own_row_beside_the_scales(ldn, reference):
    rows = [r for r in ldn.sensitivity("adverse_events").rows if r["family"] == "Bayesian: tau prior"]
    assert rows[0]["analysis"] == "Turner 2015: adverse events (protocol)"
    assert rows[0]["estimate"] == pytest.approx(reference["ldn_adverse_events"]["mu_median"], abs=1e-10)
    assert [r["analysis"] for r in rows[1:]] == ["half-normal(0.25)", "half-normal(0.5)", "half-normal(1)"]


def test_bayesian_sensitivity_fits_every_alternative_in_one_call(ldn):
    sens = ldn.sensitivity("pain", model="bayes")
    families = list(dict.fromkeys(r["family"] for r in sens.rows))
    assert families[0] == "Primary analysis" and "tau² estimator" not in families and "Test and CI" not in families
    assert families[-2:] == ["Bayesian: tau prior", "Frequentist (beside)"]
    assert sens.primary.model == "bayes" and sens.rows[0]["analysis"] == "Bayesian, half-normal(0.5), r = 0.5"
    by_label = {(r["family"], r["analysis"]): r for r in sens.rows}
    for spec, kw in ((("Within-person r", "r = 0.8"), {"r": 0.8}),
                     (("Studies", "Parallel RCTs only"), {"only": ["rodriguezfreire_innova"]}),
                     (("SMD of change scores", "Change and final SMDs combined"), {"combine_change_final": True})):
        direct = ldn.analyse("pain", model="bayes", by="none", **kw).posterior
        assert by_label[spec]["estimate"] == pytest.approx(direct.mu_median, rel=1e-12), spec
        assert by_label[spec]["pi_high"] == pytest.approx(direct.pi_high, rel=1e-12), spec
    assert by_label[("Line of therapy", "First-line use only")]["k"] == 0
    freq = by_label[("Frequentist (beside)", "REML + modified Hartung-Knapp, r = 0.5")]
    assert freq["model"] == "freq" and freq["estimate"] == ldn.analyse("pain", by="none").overall.estimate


def test_an_md_sensitivity_says_there_is_no_prior_on_its_scale(ldn):
    sens = ldn.sensitivity("pain", measure="MD")
    (row,) = [r for r in sens.rows if r["family"] == "Bayesian: tau prior"]
    assert row["k"] == 0 and "no prior" in row["note"]
    with pytest.raises(ReviewError, match="no prior for the Bayesian analysis of pain on the MD scale"):
        ldn.analyse("pain", measure="MD", model="bayes")


# ---------------------------------------------------------------------------------------------
# printing, JSON, CSV
# ---------------------------------------------------------------------------------------------


def _no_nan(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("which,outcome", [("ldn", "pain"), ("ldn", "fiq"), ("bcg", "tb")])
def test_to_dict_is_json_without_nan_and_ratios_are_ratios(request, which, outcome):
    b = request.getfixturevalue(which).analyse(outcome, model="bayes")
    d = _no_nan(json.dumps(b.to_dict(), allow_nan=False))
    assert d["model"] == "bayes" and d["prior"]["reason"] and d["prior"]["where"].startswith("review.protocol")
    assert [r["model"] for r in d["results"]][-2:] == ["bayes", "freq"]
    overall = d["results"][-2]
    assert overall["group"] == "Overall" and overall["pvalue"] is None
    assert set(d["posterior"]) >= {"Overall"} and len(d["posterior"]["Overall"]["studies"]) == b.k
    if which == "bcg":
        assert overall["estimate"] == pytest.approx(math.exp(overall["log_estimate"]), rel=1e-12)
        assert overall["log_estimate"] == pytest.approx(b.posterior.mu_median, rel=1e-12)
        assert "log" in d["scale"]


def test_printed_summary_shows_both_models_and_says_what_the_numbers_mean(ldn, bcg):
    text = str(ldn.analyse("pain", model="bayes"))
    assert "Bayesian meta-analysis of pain (SMD)" in text
    assert text.count("Bayesian   ") >= 3                                              # 2 subgroups + overall
    assert text.count("REML, mod. HK") == 2 and text.count("REML, z") == 1             # k = 1: Wald z, as metafor
    assert "P(benefit) = P(SMD < 0 | data)" in text and "P(SMD < -0.50)" in text
    assert "review.protocol.outcomes[pain].prior" in text and "Rhodes" in text
    text = str(bcg.analyse("tb", model="bayes"))
    assert "P(RR < 0.75)" in text and "back-transformed" in text and "REML, HK" in text
    one = bcg.analyse("tb", model="bayes").one_line()
    assert one.startswith("tb, RR (Bayesian): 0.49 [0.34, 0.71], P(benefit) > 0.99")


def test_summary_frame_has_one_row_per_group_and_model(ldn):
    frame = ldn.analyse("pain", model="bayes").summary_frame()
    assert list(frame["model"]) == ["bayes", "freq"] * 3
    assert list(frame["group"]) == ["Parallel RCTs"] * 2 + ["Crossover trials"] * 2 + ["Overall"] * 2
    assert frame.columns[:4].tolist() == ["group", "model", "k", "estimate"]


def test_model_and_prior_arguments_are_checked(ldn):
    with pytest.raises(ReviewError, match="unknown model 'mcmc'; choose one of: freq, bayes"):
        ldn.analyse("pain", model="mcmc")
    with pytest.raises(ReviewError, match="model='bayes' only"):
        ldn.analyse("pain", prior={"tau": "halfnormal", "scale": 1.0})
    b = ldn.analyse("pain", model="bayes", prior={"tau": "halfcauchy", "scale": 0.5})
    assert b.prior.where == "given" and b.prior.tau.family == "halfcauchy"
    with pytest.raises(ReviewError, match="prior: .*scale"):
        ldn.analyse("pain", model="bayes", prior={"tau": "halfnormal"})


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------


def _clean_figure(fig):
    from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside

    pairs = overlapping_texts(fig)
    assert not pairs, describe(t for pair in pairs for t in pair)
    outside = texts_outside(fig)
    assert not outside, describe(outside)


def _gids(fig, gid):
    return fig.findobj(lambda a: a.get_gid() == gid)


@pytest.mark.parametrize("which,outcome,by", [("ldn", "pain", None), ("ldn", "fiq", None), ("bcg", "tb", None),
                                              ("bcg", "tb", "alloc"), ("ldn", "adverse_events", None)])
def test_bayesian_forest_structure_and_no_overlapping_text(request, which, outcome, by):
    b = request.getfixturevalue(which).analyse(outcome, model="bayes", by=by)
    fig = b.forest()
    _clean_figure(fig)
    blocks = len(b.subgroup_posteriors) if len(b.subgroup_posteriors) > 1 else 1
    assert len(_gids(fig, "observed")) == b.k and len(_gids(fig, "shrinkage")) == b.k
    assert len(_gids(fig, "mu-diamond")) == (blocks + 1 if blocks > 1 else 1)
    assert len(_gids(fig, "prediction")) == (blocks + 1 if blocks > 1 else 1)
    assert len(_gids(fig, "freq-diamond")) == 1
    favours = [t.get_text() for t in _gids(fig, "favours")]
    assert favours[0].startswith("Favours ") and len(favours) == 2
    assert fig.provenance["studies_sha256"] == b.file_hash
    args, kw = b.forest_args()
    assert kw["log_scale"] == (b.measure in ("RR", "OR"))
    if kw["log_scale"]:           # the axis shows ratios at their logarithms
        ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert "1" in ticks and all(float(t) > 0 for t in ticks)
        shown_texts = [t.get_text() for t in _gids(fig, "table-study")]
        first = b.rows[0]
        assert f"{math.exp(first['yi']):.2f}" in " ".join(shown_texts)
    post = b.posterior_figure()
    _clean_figure(post)
    assert len(post.axes) == 2


def test_figures_for_the_report(ldn):
    figs = ldn.analyse("pain", model="bayes").figures()
    assert set(figs) == {"forest", "posterior"}


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ldn_evidence.cli import main

    monkeypatch.chdir(tmp_path)

    def _run(*args):
        return CliRunner().invoke(main, [str(a) for a in args])
    return _run


@pytest.mark.parametrize("studies,outcome", [((), "pain"), (("--studies", "bcg"), "tb")])
def test_forest_and_summary_with_model_bayes_on_both_reviews(run, tmp_path, studies, outcome):
    res = run(*studies, "forest", "--model", "bayes")
    assert res.exit_code == 0, res.output
    out = tmp_path / f"forest-{outcome}-bayes.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote forest-{outcome}-bayes.png" in res.stdout
    assert f"{outcome}, " in res.stdout and "(Bayesian)" in res.stdout and "P(benefit)" in res.stdout
    text = run(*studies, "summary", "--model", "bayes")
    assert text.exit_code == 0 and "Bayesian meta-analysis" in text.stdout and "prior (review.protocol" in text.stdout
    data = _no_nan(run(*studies, "summary", "--model", "bayes", "--format", "json").stdout)
    assert data["model"] == "bayes" and data["results"][-2]["model"] == "bayes"
    csv = run(*studies, "summary", "--model", "bayes", "--format", "csv").stdout
    assert csv.startswith("outcome,measure,method,test,level,r,by,group,model,k,estimate,ci_low,ci_high") and ",freq," in csv and ",bayes," in csv
    freq = run(*studies, "summary", "--format", "json")
    assert _no_nan(freq.stdout)["model"] == "freq"


def test_sensitivity_with_model_bayes_and_its_json(run):
    res = run("sensitivity", "--model", "bayes", "--format", "json")
    assert res.exit_code == 0, res.output
    data = _no_nan(res.stdout)
    assert data["primary"]["model"] == "bayes"
    families = [a["family"] for a in data["analyses"]]
    assert "Bayesian: tau prior" in families and "tau² estimator" not in families
    text = run("sensitivity")
    assert text.exit_code == 0 and "Bayesian: tau prior" in text.stdout and "half-normal(0.5) (protocol)" in text.stdout


@pytest.mark.parametrize("args,words", [
    (("summary", "--model", "mcmc"), "'mcmc' is not one of 'freq', 'bayes'"),
    (("forest", "--model", ""), "is not one of"),
    (("sensitivity", "--model", "bayesian"), "is not one of"),
    (("forest", "--model", "bayes", "--measure", "MD"), "no prior for the Bayesian analysis of pain on the MD scale"),
    (("summary", "--model", "bayes", "--outcome", "fatigue"), None),
])
def test_bad_model_options_exit_2_without_traceback(run, args, words):
    res = run(*args)
    if words is None:          # no poolable studies: the text says so, not an error
        assert res.exit_code == 0 and "no poolable studies" in res.stdout
        return
    assert res.exit_code == 2, res.output
    assert words in res.stderr and "Traceback" not in res.output


def test_forest_bayes_without_studies_is_a_user_error(run):
    res = run("forest", "--model", "bayes", "--outcome", "fatigue")
    assert res.exit_code == 2 and "nothing to plot" in res.stderr
