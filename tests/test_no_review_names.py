"""Nothing below the review layer names the bundled review's outcomes, arms, contrasts or drug
(architecture.md: what belongs to a review lives in its protocol). A grep over every module of
records/, effects/, engine/, diagnostics/, models/, plots/ and the shared modules:

* the review's words (its intervention's id, label and drug, its condition) anywhere, comments
  and docstrings included;
* every outcome id, contrast and comparator type of the bundled protocol as a string literal
  (``"pain"``, ``"ldn_vs_placebo"``): a name the code would use;
* the review's outcome ids that are abbreviations or identifiers (``fiq``, ``symptom_severity``)
  anywhere (plain English ids such as ``pain`` only as string literals).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ldn_evidence as le
from ldn_evidence.vocabulary import UNCONTROLLED_CONTRASTS

PACKAGE = Path(le.__file__).resolve().parent
BELOW_REVIEW = ("records", "effects", "engine", "diagnostics", "models", "plots")
SHARED = ("vocabulary.py", "errors.py", "_format.py", "_version.py", "sensitivity.py")
#: names of the package itself (ldn_evidence, ldn-evidence, LDN_EVIDENCE_STUDIES) are not the review's
PACKAGE_NAME = re.compile(r"ldn[_-]evidence", re.I)
#: record fields whose name carries the condition; renaming them needs a migration of the study
#: records in data/studies.yaml (kept for that change, see docs/schema.md "The protocol")
KNOWN_FIELDS = {"n_fibromyalgia"}
#: published tables that name outcome categories of their own (method vocabulary, not the review's):
#: Turner et al. 2015's empirical tau priors are indexed by outcome type, one of which is "pain"
#: (the table in models/bayes_priors.py, its outcome-type names in vocabulary.py)
PUBLISHED_TABLES = {"bayes_priors.py": {"pain"}, "vocabulary.py": {"pain"}}


def _files() -> list[Path]:
    out = [p for d in BELOW_REVIEW for p in sorted((PACKAGE / d).rglob("*.py"))]
    return out + [PACKAGE / f for f in SHARED if (PACKAGE / f).exists()]


def _protocol():
    return le.load_studies().protocol


def _words(p) -> set[str]:
    words = {p.intervention.id, p.intervention.label.lower(), "naltrexone", "fibromyalgia"}
    # identifiers (symptom_severity) and abbreviations (fiq: its name says FIQ); plain English ids
    # (pain, mood) are words a docstring may use, and are caught as string literals below
    words |= {o.id for o in p.outcomes if "_" in o.id or o.id.upper() in o.name}
    words |= set(p.contrasts) | {t for t in p.comparator_types if "_" in t and t != "usual_care"}
    return words - set(UNCONTROLLED_CONTRASTS)  # the method's words (dose_response) are not the review's


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_review_word_below_the_review_layer(path):
    words = _words(_protocol())
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
                         + r")(?![A-Za-z0-9])", re.I)
    hits = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = PACKAGE_NAME.sub("", line)
        for field in KNOWN_FIELDS:
            text = text.replace(field, "")
        if pattern.search(text):
            hits.append(f"{path.name}:{i}: {line.strip()}")
    assert not hits, "review-specific names below review/:\n" + "\n".join(hits)


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_outcome_or_arm_as_a_string_literal(path):
    p = _protocol()
    names = {o.id for o in p.outcomes} | set(p.all_contrasts[: len(p.contrasts)]) | set(p.intervention_arms)
    names |= {t for t in p.comparator_types if t != "none"} - {"placebo", "control", "active"}
    names -= {"other", "treatment", "intervention"} | set(UNCONTROLLED_CONTRASTS)  # the method's words
    names -= PUBLISHED_TABLES.get(path.name, set())
    hits = [f"{path.name}:{n.lineno}: {n.value!r}" for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower() in names]
    assert not hits, "review-specific names below review/:\n" + "\n".join(hits)


def test_the_grep_would_find_a_name():
    """The patterns are live: the review layer (allowed to) does name them in its docstrings."""
    words = _words(_protocol())
    assert {"ldn", "fiq", "ldn_vs_placebo"} <= words
