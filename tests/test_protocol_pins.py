"""The LDN review computes what it computed before its vocabulary moved into ``review.protocol``
and ``effect_for_outcome`` was split into one function per derivation path.

A regression pin, not a correctness reference: ``tests/baseline/ldn/make_baseline.py`` wrote
``ldn_results.json`` with the code from before the refactor (``made_by`` in the file) from a
frozen copy of the studies file; every
effect (value, variance, path, derivation text, assumptions, reason), every pooled result and
the forest plot's labels must come out the same (floats to 1e-12 relative, text exactly).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from project_scripts import load_script

import ldn_evidence as le

BASE = Path(__file__).resolve().parent / "baseline" / "ldn"


def _load_maker():
    return load_script(BASE / "make_baseline.py")


@pytest.fixture(scope="module")
def pinned():
    return json.loads((BASE / "ldn_results.json").read_text())


#: what later versions add beside the pinned results (nothing pinned changes): the model of an
#: analysis's JSON; the Bayesian rows of the sensitivity table and its model and P(benefit) columns
ADDED_KEYS = {"model", "prob_benefit"}
#: the SE, test statistic and its df of each pooled result row (the summary's table shows them)
ADDED_RESULT_KEYS = {"se", "zval", "df"}


def _without_additions(snap: dict) -> dict:
    for key in ("sensitivity_pain", "sensitivity_adverse_events"):
        snap[key] = [{k: v for k, v in row.items() if k not in ADDED_KEYS} for row in snap[key]
                     if row.get("model", "freq") == "freq"]
    for a in snap["analyses"].values():
        a.pop("model", None)
        for row in a.get("results") or []:
            for key in ADDED_RESULT_KEYS:
                row.pop(key, None)
    return snap


@pytest.fixture(scope="module")
def now():
    maker = _load_maker()
    return _without_additions(maker.snapshot(le.load_studies(maker.STUDIES)))


def _same(a, b, where="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: missing now" for k in a if k not in b]
        out += [f"{where}.{k}: new" for k in b if k not in a]
        for k in a:
            if k in b:
                out += _same(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items pinned, {len(b)} now"]
        return [m for i, (x, y) in enumerate(zip(a, b)) for m in _same(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14):
            return []
        return [f"{where}: {a!r} pinned, {b!r} now"]
    return [] if a == b else [f"{where}: {a!r} pinned, {b!r} now"]


@pytest.mark.parametrize("part", ["effects", "analyses", "forest", "sensitivity_pain",
                                  "sensitivity_adverse_events", "cumulative_pain", "tsa_pain"])
def test_ldn_results_unchanged(pinned, now, part):
    diffs = _same(pinned[part], now[part], part)
    assert not diffs, f"{len(diffs)} differences, first: " + "; ".join(diffs[:5])
