"""The result protocol of every result class, MetaResult.update() and MetaResult.conf_int().

conf_int() is checked against metafor 3.8-1's predict() and confint() at other levels
(tests/reference/engine/make_confint_reference.R writes metafor_confint.json; R is not needed).
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ldn_evidence as le
from ldn_evidence.models import meta_analysis, meta_regression, subgroup_analysis

REF = json.loads((Path(__file__).parent / "reference" / "engine" / "metafor_confint.json").read_text())
Y = np.array([0.9, 0.7, 0.65, 0.5, 0.45, 0.4, 0.3, 0.35, 0.2, 0.55, 0.25, 0.6])
V = np.array([0.30, 0.22, 0.18, 0.12, 0.09, 0.06, 0.03, 0.04, 0.02, 0.1, 0.05, 0.08])


def _results():
    """One instance of every result class (k = 12, and a k = 4 model for the small-k notes)."""
    res = meta_analysis(Y, V, labels=[f"S{i}" for i in range(12)])
    small = meta_analysis(Y[:4], V[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        common = subgroup_analysis(Y, V, list("aaaabbbbcccc"), tau2="common")
    return {
        "MetaResult": res, "MetaRegressionResult": meta_regression(Y, V, np.sqrt(V)),
        "SubgroupResult": subgroup_analysis(Y, V, list("aaaabbbbcccc")), "GroupEstimate": common.subgroups["a"],
        "SubgroupResult(common)": common, "ConfInt": res.conf_int(90), "EggerResult": res.egger_test(),
        "EggerResult(small)": small.egger_test(), "RankTestResult": res.rank_test(),
        "TrimFillResult": res.trim_and_fill(), "PermutationResult": res.permutation_test(n=200, seed=1),
    }


RESULTS = _results()


@pytest.mark.parametrize("name", list(RESULTS))
def test_every_result_answers_the_protocol(name):
    r = RESULTS[name]
    d = r.to_dict()
    json.dumps(d, allow_nan=False)                    # plain, JSON-safe Python
    assert isinstance(r.to_frame(), pd.DataFrame) and len(r.to_frame()) >= 1
    text = r.summary()
    assert isinstance(text, str) and text.strip() and str(r) == text
    rep = repr(r)
    assert rep.startswith(type(r).__name__ + "(") and "\n" not in rep and len(rep) < 240, rep
    html = r._repr_html_()
    assert html.startswith("<") and "</" in html


def test_to_dict_has_no_nan_or_infinity():
    r = meta_analysis([0.5] * 3, [0.1] * 3, method="EE", test="z")      # pi_* NaN, tau2 CI NaN
    d = r.to_dict()
    assert d["pi_low"] is None and d["tau2_ci_low"] is None
    json.dumps(d, allow_nan=False)


def test_small_k_caveat_in_notes_and_summary():
    e = RESULTS["EggerResult(small)"]
    assert not e.assessable and e.notes[0].startswith("not assessable (k < 10)")
    assert "Cochrane Handbook 13.3.5.4" in e.summary() and "Note: not assessable" in str(e)
    assert RESULTS["EggerResult"].assessable and RESULTS["EggerResult"].notes == []


# ------------------------------------------------------------------------------------ update()


def test_update_refits_with_the_changes_only():
    res = meta_analysis(Y, V, method="REML", test="knha", level=90, labels=[f"S{i}" for i in range(12)])
    for changes in ({"method": "DL"}, {"test": "z"}, {"level": 99}, {"control": {"threshold": 1e-8}}):
        got = res.update(**changes)
        args = dict(method="REML", test="knha", level=90, labels=res.labels)
        args.update(changes)
        want = meta_analysis(Y, V, **args)
        assert (got.estimate, got.ci_low, got.tau2, got.method, got.test, got.level) == \
            (want.estimate, want.ci_low, want.tau2, want.method, want.test, want.level)
        assert got.labels == res.labels
    new = res.update(yi=Y[:5], vi=V[:5])
    assert new.k == 5 and new.labels == ["1", "2", "3", "4", "5"] and new.level == 90


def test_update_keeps_the_requested_test_when_k1_switched_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = meta_analysis([0.3], [0.04], test="knha")
    assert one.test == "z" and one.requested_test == "knha"
    assert one.update(yi=Y, vi=V).test == "knha"


def test_update_with_mods_is_the_meta_regression():
    res = meta_analysis(Y, V, method="REML", test="knha")
    reg = res.update(mods=np.sqrt(V))
    want = meta_regression(Y, V, np.sqrt(V), method="REML", test="knha")
    np.testing.assert_array_equal(reg.coef, want.coef)
    assert reg.test == "knha" and reg.update(test="z").test == "z"


def test_update_refuses_unknown_arguments():
    with pytest.raises(TypeError, match="unknown argument"):
        meta_analysis(Y, V).update(mehtod="DL")


def test_diagnostics_do_not_import_the_fitting_module():
    """diagnostics/ sits below models/: it refits through res.update() or the engine."""
    import ast

    root = Path(le.__file__).parent / "diagnostics"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert "models" not in (node.module or ""), f"{path.name} imports {node.module}"


# ---------------------------------------------------------------------------------- conf_int()


def _close(got, want, rtol=1e-6, floor=1e-10):
    if want is None:
        return math.isnan(got)
    return abs(got - want) <= max(rtol * abs(want), floor)


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['data']}-{c['method']}-{c['test']}-{c['level']}")
def test_conf_int_matches_metafor_confint_and_predict(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = meta_analysis(case["yi"], case["vi"], method=case["method"], test=case["test"])
    ci = res.conf_int(case["level"])
    pairs = [("ci_low", "ci_lb"), ("ci_high", "ci_ub"), ("pi_low", "pi_lb"), ("pi_high", "pi_ub")]
    if case["method"] != "EE":
        pairs += [("tau2_ci_low", "tau2_ci_lb"), ("tau2_ci_high", "tau2_ci_ub"), ("i2_ci_low", "I2_ci_lb"),
                  ("i2_ci_high", "I2_ci_ub"), ("h2_ci_low", "H2_ci_lb"), ("h2_ci_high", "H2_ci_ub")]
    for ours, theirs in pairs:
        assert _close(getattr(ci, ours), case[theirs]), (ours, getattr(ci, ours), case[theirs])
    assert ci.estimate == res.estimate and ci.tau2 == res.tau2          # nothing refitted


@pytest.mark.parametrize("method,test", [("REML", "knha"), ("DL", "z"), ("PM", "adhoc"), ("ML", "t")])
def test_conf_int_at_the_fitted_level_is_the_fit(method, test):
    res = meta_analysis(Y, V, method=method, test=test, level=90)
    ci = res.conf_int(90)
    for name in ("ci_low", "ci_high", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high", "i2_ci_low",
                 "i2_ci_high", "h2_ci_low", "h2_ci_high"):
        assert getattr(ci, name) == pytest.approx(getattr(res, name), rel=1e-13, abs=1e-15), name
    table = ci.to_frame()
    assert list(table.index) == ["estimate", "tau^2", "tau", "I^2(%)", "H^2"]
    assert table.loc["tau", "ci_low"] == pytest.approx(math.sqrt(res.tau2_ci_low))
