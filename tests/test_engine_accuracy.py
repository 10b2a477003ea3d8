"""Issue 14, engine part: accuracy where one weight dominates, edge cases, test = "adhoc" and "t".

Reference values come from two files beside this module's references (the tests never need R):

- tests/reference/engine/metafor_accuracy.json, written by make_accuracy_reference.R (metafor 3.8-1);
- tests/reference/engine/mpmath_exact.json, written by make_exact_reference.py (exact arithmetic).

Data sets are named after where they come from: ``issue14_*`` are the examples of the issue,
``ldn_adverse_events_rr`` the review's adverse-events comparison (data/studies.yaml: Due Bruun 2024
and Rodriguez-Freire INNOVA), ``bcg_logrr`` and the ``synthetic_*`` sets those of the existing
metafor reference files, ``search_k*`` data found by the random search described in the R script.
Tolerance: 1e-6 relative (absolute floor 1e-10 on the data's scale), the rule of tests/metafor_compare.py.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from metafor_compare import ATTRS as BASE_ATTRS
from metafor_compare import ROUNDING_DECIDES_CONVERGENCE, assert_close, close, fit_id, fit_like_metafor, fit_mismatches

from ldn_evidence.models import (
    TESTS,
    meta_analysis,
    meta_regression,
    normalize_test,
    rma_batch,
    subgroup_analysis,
)
from ldn_evidence.engine.batch import _InterceptKernel, redundant_columns

HERE = Path(__file__).parent / "reference" / "engine"
REF = json.loads((HERE / "metafor_accuracy.json").read_text())
EXACT = json.loads((HERE / "mpmath_exact.json").read_text())
DATASETS = {d["name"]: d for d in REF["datasets"]}
#: the JSON keys compared for every fit: metafor_compare's, and the Hartung-Knapp variance factor
ATTRS = {**BASE_ATTRS, "s2w": ("s2w", "1")}


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


# ---------------------------------------------------------------------------------------------
# item 1: sum(P o P), tr(P) and the PV traces without cancellation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", EXACT["kernel"], ids=lambda c: c["name"])
def test_intercept_kernel_matches_exact_arithmetic(case):
    w = np.array(case["w"])[None, :]
    v = np.array(case["v"])[None, :]
    kern = _InterceptKernel(np.zeros_like(w), v, np.ones_like(w, dtype=bool))
    out = kern.wls(w)
    trpv, trpvpv, sumpvp = kern.pv_terms(w)
    for name, got in [("trP", out["trP"][0]), ("sumPP", out["sumPP"][0]), ("trPV", trpv[0]),
                      ("trPVPV", trpvpv[0]), ("sumPVP", sumpvp[0])]:
        assert got == pytest.approx(case[name], rel=1e-13, abs=0), name
    # the same weights in a masked batch, beside other rows and between absent studies
    k = w.shape[1]
    W = np.ones((3, k + 3))
    V = np.full((3, k + 3), 0.5)
    M = np.ones((3, k + 3), dtype=bool)
    pos = np.sort(np.random.default_rng(k).choice(k + 3, k, replace=False))
    M[1] = False
    M[1, pos] = True
    W[1] = 0.0
    W[1, pos] = w[0]
    V[1, pos] = v[0]
    kb = _InterceptKernel(np.zeros_like(W), V, M)
    ob = kb.wls(W)
    pb = kb.pv_terms(W)
    for name, got in [("trP", ob["trP"][1]), ("sumPP", ob["sumPP"][1]), ("trPV", pb[0][1]), ("trPVPV", pb[1][1]),
                      ("sumPVP", pb[2][1])]:
        assert got == pytest.approx(case[name], rel=1e-13, abs=0), f"batch {name}"


@pytest.mark.parametrize("case", EXACT["estimators"], ids=lambda c: f"{c['dataset']}-{c['method']}")
def test_noniterative_estimators_match_exact_arithmetic_and_metafor(case):
    r = _quiet(meta_analysis, case["yi"], case["vi"], method=case["method"], test="z")
    assert r.tau2 == pytest.approx(case["tau2"], rel=1e-12, abs=1e-300)
    assert r.se_tau2 == pytest.approx(case["se_tau2"], rel=1e-12)
    ref = next(f for f in REF["fits"] if f["dataset"] == case["dataset"] and f["method"] == case["method"]
               and f["test"] == "z")
    assert close(r.tau2, ref["tau2"], floor=1e-14) and close(r.se_tau2, ref["se_tau2"])


def test_issue14_dl_se_tau2():
    # the issue: SE(tau^2) 70.710863 with the expanded form; exact arithmetic and metafor 70.7106781
    d = DATASETS["issue14_dominant_dl_k2"]
    r = meta_analysis(d["yi"], d["vi"], method="DL", test="z")
    exact = next(e for e in EXACT["estimators"] if e["dataset"] == d["name"] and e["method"] == "DL")
    assert r.se_tau2 == pytest.approx(exact["se_tau2"], rel=1e-13)
    assert round(r.se_tau2, 7) == 70.7106781


@pytest.mark.parametrize("case", EXACT["reml_iteration"], ids=lambda c: c["dataset"])
def test_reml_scoring_matches_exact_iteration_and_metafor(case):
    # issue14_dominant_reml_k3: the expanded sum(P o P) gave tau^2 = 5.99e-7; metafor's rules carried
    # out exactly stop at 6.8132e-7 after 13 steps. The last four steps are step-halvings that land
    # close to 0, each multiplying the relative rounding error by 3-30, so metafor itself is 1e-6
    # from the exact iterate here; we are closer (see the report of issue 14).
    r = _quiet(meta_analysis, case["yi"], case["vi"], method="REML", test="z")
    assert r.iterations == case["iterations"]
    assert close(r.tau2, case["tau2"], floor=1e-300)
    assert r.se_tau2 == pytest.approx(case["se_tau2"], rel=1e-9)
    ref = next(f for f in REF["fits"] if f["dataset"] == case["dataset"] and f["method"] == "REML"
               and f["test"] == "z")
    assert r.iterations == ref["iter"]
    assert close(r.tau2, ref["tau2"], floor=1e-300) and close(r.se_tau2, ref["se_tau2"])


@pytest.mark.parametrize("method", ["DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"])
@pytest.mark.parametrize("name", ["issue14_dominant_dl_k2", "issue14_dominant_reml_k3", "dominant_k5"])
def test_batch_fit_equals_single_fit_where_one_weight_dominates(name, method):
    d = DATASETS[name]
    y, v = np.array(d["yi"]), np.array(d["vi"])
    k, K = y.size, 9
    rng = np.random.default_rng(14)
    Y = rng.normal(size=(4, K))
    V = rng.uniform(0.01, 1.0, size=(4, K))
    M = np.zeros((4, K), dtype=bool)
    for row in range(4):
        pos = np.sort(rng.choice(K, k, replace=False))
        Y[row, pos], V[row, pos], M[row, pos] = y, v, True
    b = _quiet(rma_batch, Y, V, mask=M, method=method, test="knha")
    one = _quiet(rma_batch, y, v, method=method, test="knha")
    # Sums over a row with absent studies may round differently (numpy's pairwise summation); the
    # REML iteration of issue14_dominant_reml_k3 amplifies that to ~3e-8 (see above), the rest agree to 1e-12.
    rtol = 1e-6 if (name, method) in {("issue14_dominant_reml_k3", "REML"), ("issue14_dominant_reml_k3", "ML")} \
        else 1e-12
    for attr in ("tau2", "se_tau2", "q", "i2", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high"):
        np.testing.assert_allclose(getattr(b, attr), np.full(4, getattr(one, attr)[0]), rtol=rtol, atol=1e-300,
                                   err_msg=attr)
    for attr in ("beta", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(getattr(b, attr)[:, 0], np.full(4, getattr(one, attr)[0, 0]), rtol=rtol,
                                   err_msg=attr)


# ---------------------------------------------------------------------------------------------
# every fit of metafor_accuracy.json: the new data sets with z/t/knha/adhoc, all data sets with t/adhoc
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", REF["fits"], ids=fit_id)
def test_meta_analysis_matches_metafor_all_tests(ref):
    ds = DATASETS[ref["dataset"]]
    res = fit_like_metafor(ref, ds)
    if res is None:  # metafor stops with an error here, and so do we
        return
    assert res.test == ref["test_used"]
    if ref["ddf"] is None:
        assert math.isnan(res.df)
    else:
        assert res.df == ref["ddf"]
    # tau^2 ~ 7e-7 at vi up to 1e4: hold it to the relative tolerance alone
    tiny = 1e-300 if ref["dataset"] == "issue14_dominant_reml_k3" else None
    bad = fit_mismatches(res, ref, ds, ATTRS, variance_floor=tiny)
    key = (ref["dataset"], ref["method"])
    if ref.get("iter") is not None and key not in ROUNDING_DECIDES_CONVERGENCE and res.iterations != ref["iter"]:
        bad.append(f"Fisher scoring iterations: ours {res.iterations}, metafor {ref['iter']}")
    assert not bad, "; ".join(bad)


# ---------------------------------------------------------------------------------------------
# items 6 and 7: degenerate and narrower Hartung-Knapp intervals, test = "adhoc"
# ---------------------------------------------------------------------------------------------


def _ref(dataset, method, test):
    return next(f for f in REF["fits"] if (f["dataset"], f["method"], f["test"]) == (dataset, method, test))


def test_issue14_identical_yi_knha_is_degenerate_and_says_so_adhoc_is_not():
    d = DATASETS["issue14_identical_yi_k5"]
    k = meta_analysis(d["yi"], d["vi"], test="knha")
    ref = _ref(d["name"], "REML", "knha")
    assert (k.se, k.ci_low, k.ci_high, k.pvalue, k.s2w) == (ref["se"], ref["ci_lb"], ref["ci_ub"], ref["pval"], 0)
    assert k.knha_narrower_than_z
    note = next(n for n in k.notes if "s2w = 0" in n)
    assert "Q at the fitted tau^2) is 0" in note and "zero width" in note and 'test="adhoc"' in note
    a = meta_analysis(d["yi"], d["vi"], test="adhoc")
    ref = _ref(d["name"], "REML", "adhoc")
    assert a.s2w == 1.0 and not a.knha_narrower_than_z and not any("s2w = 0" in n for n in a.notes)
    for attr, rkey in [("se", "se"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub"), ("pvalue", "pval"),
                       ("pi_low", "pi_lb"), ("pi_high", "pi_ub")]:
        assert close(getattr(a, attr), ref[rkey]), attr
    assert a.ci_high - a.ci_low > 0.7


def test_ldn_adverse_events_knha_narrower_than_z_is_flagged():
    # the review's adverse events (issue 14 item 7): RR 0.97 [0.87, 1.08], p = 0.16 under knha vs
    # [0.84, 1.11], p = 0.64 under z
    d = DATASETS["ldn_adverse_events_rr"]
    k = meta_analysis(d["yi"], d["vi"], test="knha")
    z = _ref(d["name"], "REML", "z")
    assert k.knha_narrower_than_z
    assert close(k.z_ci_low, z["ci_lb"]) and close(k.z_ci_high, z["ci_ub"]) and close(k.z_pvalue, z["pval"])
    assert [round(math.exp(x), 2) for x in (k.estimate, k.ci_low, k.ci_high)] == [0.97, 0.87, 1.08]
    assert [round(math.exp(x), 2) for x in (k.z_ci_low, k.z_ci_high)] == [0.84, 1.11]
    assert round(k.pvalue, 2) == 0.16 and round(k.z_pvalue, 2) == 0.64
    note = next(n for n in k.notes if "narrower than the Wald z CI" in n)
    assert "[-0.1418, 0.0758]" in note and "[-0.1729, 0.1070]" in note and "adhoc" in note
    assert "Note: the Hartung-Knapp CI" in k.summary()
    dd = k.to_dict()
    json.dumps(dd)
    assert dd["knha_narrower_than_z"] is True and close(dd["z_ci_low"], z["ci_lb"]) and dd["s2w"] == k.s2w
    for test in ("adhoc", "z", "t"):
        r = meta_analysis(d["yi"], d["vi"], test=test)
        assert not r.knha_narrower_than_z and not any("narrower" in n for n in r.notes)
        assert r.ci_high - r.ci_low >= r.z_ci_high - r.z_ci_low
    # a knha interval wider than z is not flagged
    b = DATASETS["bcg_logrr"]
    assert not meta_analysis(b["yi"], b["vi"], test="knha").knha_narrower_than_z


def test_subgroup_results_carry_the_flag():
    d = DATASETS["ldn_adverse_events_rr"]
    b = DATASETS["bcg_logrr"]
    y = np.r_[d["yi"], b["yi"]]
    v = np.r_[d["vi"], b["vi"]]
    r = _quiet(subgroup_analysis, y, v, ["ae"] * 2 + ["bcg"] * len(b["yi"]))
    assert r.subgroups["ae"].knha_narrower_than_z and not r.subgroups["bcg"].knha_narrower_than_z
    assert r.to_dict()["subgroups"]["ae"]["knha_narrower_than_z"] is True


# ---------------------------------------------------------------------------------------------
# item 10: one normalisation of test
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling, code", [
    ("knha", "knha"), ("KNHA", "knha"), ("hksj", "knha"), ("HKSJ", "knha"), ("hk", "knha"), ("KH", "knha"),
    ("Knapp-Hartung", "knha"), ("hartung-knapp", "knha"), ("z", "z"), ("Z", "z"), ("wald", "z"), ("t", "t"),
    ("T", "t"), ("adhoc", "adhoc"), ("ADHOC", "adhoc"), (" adhoc ", "adhoc"),
])
def test_normalize_test_spellings(spelling, code):
    assert normalize_test(spelling) == code and code in TESTS


def test_unknown_test_lists_the_choices():
    with pytest.raises(ValueError) as e:
        normalize_test("welch")
    for choice in ("'welch'", "z, t, knha, adhoc", "'hksj'", "'kh'"):
        assert choice in str(e.value)


def test_every_function_normalizes_test():
    b = DATASETS["bcg_logrr"]
    y, v = np.array(b["yi"]), np.array(b["vi"])
    ref = meta_analysis(y, v, test="knha")
    for spelling in ("HKSJ", "KH", "hk"):
        r = meta_analysis(y, v, test=spelling)
        assert r.test == "knha" and r.ci_low == ref.ci_low
    assert rma_batch(y, v, test="Adhoc").test == "adhoc"
    x = np.array(REF["metareg"]["moderators"]["bcg_ablat"])
    assert meta_regression(y, v, x, test="KH").test == "knha"
    groups = REF["subgroups"]["data"]["bcg_alloc"]["groups"]
    s = subgroup_analysis(y, v, groups, test="HKSJ")
    assert s.test == "knha" and all(g.test == "knha" for g in s.subgroups.values())
    c = subgroup_analysis(y, v, groups, test="hk", tau2="common")
    assert c.test == "knha" and c.regression.qm_df[1] == len(y) - 3
    tf = meta_analysis(y, v, test="z").trim_and_fill(test="HKSJ")
    assert tf.result.test == "knha"
    with pytest.raises(ValueError, match="unknown test"):
        meta_regression(y, v, x, test="f")


# ---------------------------------------------------------------------------------------------
# meta-regression: t and adhoc (F test), redundant moderators (item 5)
# ---------------------------------------------------------------------------------------------

MODS = REF["metareg"]["moderators"]


def _mods(name):
    return {"bcg_ablat_year": np.column_stack([MODS["bcg_ablat"], MODS["bcg_year"]]),
            "homogeneous_x": np.array(MODS["homogeneous_x"], dtype=float),
            "bcg_ablat": np.array(MODS["bcg_ablat"]),
            "bcg_ablat_times_1e-3": np.array(MODS["bcg_ablat"]) * 1e-3,
            "bcg_ablat_times_1e-12": np.array(MODS["bcg_ablat"]) * 1e-12,
            "bcg_near_constant_1e-9": np.column_stack([MODS["bcg_ablat"], MODS["near_constant"]])}[name]


def _data_of(name):
    return DATASETS["synthetic_homogeneous_k10" if name == "homogeneous_x" else "bcg_logrr"]


REG_FITS = [f for f in REF["metareg"]["fits"] if "error" not in f and f["name"] != "bcg_near_constant_1e-9"]


@pytest.mark.parametrize("ref", REG_FITS, ids=lambda f: f"{f['name']}-{f['method']}-{f['test']}")
def test_meta_regression_matches_metafor_all_tests(ref):
    d = _data_of(ref["name"])
    res = meta_regression(d["yi"], d["vi"], _mods(ref["name"]), method=ref["method"], test=ref["test"])
    for rkey, attr in [("coef", "coef"), ("se", "se"), ("zval", "zval"), ("pval", "pvalue"), ("ci_lb", "ci_low"),
                       ("ci_ub", "ci_high")]:
        assert_close(getattr(res, attr), ref[rkey], rkey)
    for rkey, attr in [("tau2", "tau2"), ("se_tau2", "se_tau2"), ("QM", "qm"), ("QMp", "qm_pvalue"), ("QE", "qe"),
                       ("QEp", "qe_pvalue"), ("R2", "r2"), ("I2", "i2"), ("H2", "h2")]:
        assert close(getattr(res, attr), ref[rkey]), f"{rkey}: {getattr(res, attr)} vs {ref[rkey]}"
    assert res.qm_df == tuple(int(x) for x in ref["QMdf"] if x is not None)
    stat = "tval" if ref["test"] != "z" else "zval"
    assert stat in res.to_frame().columns
    assert ("Test of Moderators: F" in res.summary()) == (ref["test"] != "z")


def test_adhoc_factor_truncated_in_meta_regression():
    d = DATASETS["synthetic_homogeneous_k10"]
    refs = {f["test"]: f for f in REF["metareg"]["fits"] if f["name"] == "homogeneous_x"}
    assert refs["knha"]["s2w"] < 1 and refs["adhoc"]["s2w"] == 1
    k = meta_regression(d["yi"], d["vi"], _mods("homogeneous_x"), test="knha")
    a = meta_regression(d["yi"], d["vi"], _mods("homogeneous_x"), test="adhoc")
    assert any("narrower than the Wald z" in n for n in k.notes) and not a.notes
    assert_close(a.se, refs["adhoc"]["se"], "adhoc se")
    assert np.all(a.se > k.se)


def test_moderator_collinear_with_the_intercept_to_1e9_is_refused_by_name():
    # metafor drops it with "Redundant predictors dropped from the model." (recorded in the JSON)
    d = DATASETS["bcg_logrr"]
    ref = next(f for f in REF["metareg"]["fits"] if f["name"] == "bcg_near_constant_1e-9")
    assert "Redundant predictors dropped" in str(ref["warnings"]) and ref["p"] == 2
    import pandas as pd

    X = pd.DataFrame({"ablat": MODS["bcg_ablat"], "near_constant": MODS["near_constant"]})
    with pytest.raises(ValueError, match=r"full rank: moderator 'near_constant' is a linear combination of "
                                         r"intercept, ablat"):
        meta_regression(d["yi"], d["vi"], X)
    # the model metafor fits after dropping it is ours without the column
    kept = meta_regression(d["yi"], d["vi"], X[["ablat"]], method="REML", test="z")
    assert_close(kept.coef, ref["coef"], "coef")
    assert_close(kept.se, ref["se"], "se")


def test_moderator_scale_does_not_make_it_redundant():
    d = DATASETS["bcg_logrr"]
    base = next(f for f in REF["metareg"]["fits"] if f["name"] == "bcg_ablat" and f["test"] == "z")
    tiny = next(f for f in REF["metareg"]["fits"] if f["name"] == "bcg_ablat_times_1e-12" and f["test"] == "z")
    assert "not of full rank" in tiny["error"]  # metafor's absolute eigenvalue check (evtol = 1e-7)
    r = meta_regression(d["yi"], d["vi"], _mods("bcg_ablat_times_1e-12"), test="z")
    # exact: rescaling a moderator by c divides its slope and SE by c and changes nothing else
    assert_close(r.coef, [base["coef"][0], base["coef"][1] * 1e12], "coef")
    assert_close(r.se, [base["se"][0], base["se"][1] * 1e12], "se")
    assert close(r.tau2, base["tau2"]) and close(r.qm, base["QM"])


def test_redundant_columns_follows_lm_tolerance():
    ones = np.ones(6)
    x = np.arange(6.0)
    assert redundant_columns(np.column_stack([ones, x])) == []
    assert redundant_columns(np.column_stack([ones, x, 2 * x - 3])) == [2]
    assert redundant_columns(np.column_stack([ones, 1 + 1e-9 * x, x])) == [1]
    assert redundant_columns(np.column_stack([ones, 1 + 1e-5 * x])) == []
    assert redundant_columns(np.column_stack([ones, 1e-200 * x])) == []
    assert redundant_columns(np.column_stack([ones, np.zeros(6)])) == [1]


# ---------------------------------------------------------------------------------------------
# subgroups: t and adhoc; an all-studies model that does not converge (item 4)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", REF["subgroups"]["fits"], ids=lambda f: f"{f['name']}-{f['method']}-{f['test']}")
def test_subgroups_match_metafor(ref):
    data = REF["subgroups"]["data"][ref["name"]]
    res = _quiet(subgroup_analysis, data["yi"], data["vi"], data["groups"], method=ref["method"], test=ref["test"])
    for name, g in ref["groups"].items():
        r = res.subgroups[name]
        assert r.k == g["k"] and r.test == ref["test"]
        for rkey, attr in [("b", "estimate"), ("se", "se"), ("ci_lb", "ci_low"), ("ci_ub", "ci_high"),
                           ("pval", "pvalue"), ("tau2", "tau2"), ("QE", "q"), ("I2", "i2"), ("s2w", "s2w"),
                           ("pi_lb", "pi_low"), ("pi_ub", "pi_high")]:
            assert close(getattr(r, attr), g[rkey]), f"{name} {rkey}: {getattr(r, attr)} vs {g[rkey]}"
    assert close(res.q_between, ref["q_between"]) and res.q_between_df == ref["q_between_df"]
    assert close(res.q_between_pvalue, ref["q_between_p"])
    if "error" in ref["overall"]:
        assert res.overall is None
        assert any("no overall (all-studies) estimate" in n and "did not converge" in n for n in res.notes)
        assert "overall" in res.summary() and res.to_dict()["overall"] is None
        json.dumps(res.to_dict())
    else:
        assert close(res.overall.estimate, ref["overall"]["b"])
    common = _quiet(subgroup_analysis, data["yi"], data["vi"], data["groups"], method=ref["method"], test=ref["test"],
                    tau2="common")
    c = ref["common"]
    assert_close(common.regression.coef, c["coef"], "common coef")
    assert_close(common.regression.se, c["se"], "common se")
    for got, want in [(common.regression.tau2, c["tau2"]), (common.q_between, c["QM"]),
                      (common.q_between_pvalue, c["QMp"]), (common.regression.qe, c["QE"])]:
        assert close(got, want)
    assert (common.overall is None) == ("error" in ref["overall"])
    assert ("F(df1" in common.summary()) == (ref["test"] != "z")


# ---------------------------------------------------------------------------------------------
# diagnostics that refit, under adhoc
# ---------------------------------------------------------------------------------------------

SENS = {d["name"]: d for d in REF["sensitivity"]["datasets"]}
SENS_CASES = REF["sensitivity"]["fits"]
FIT_COLS = [("estimate", "estimate"), ("se", "se"), ("tval", "zval"), ("pvalue", "pval"), ("ci_low", "ci_lb"),
            ("ci_high", "ci_ub"), ("q", "Q"), ("q_pvalue", "Qp"), ("tau2", "tau2"), ("i2", "I2"), ("h2", "H2")]


def _sens_fit(ref):
    d = SENS[ref["dataset"]]
    return _quiet(meta_analysis, d["yi"], d["vi"], method=ref["method"], test="adhoc")


@pytest.mark.parametrize("ref", SENS_CASES, ids=lambda f: f"{f['dataset']}-{f['method']}")
def test_adhoc_diagnostics_match_metafor(ref):
    res = _sens_fit(ref)
    assert res.test == "adhoc" and close(res.s2w, ref["s2w"])
    lo = res.leave_one_out()
    for ours, theirs in FIT_COLS:
        assert_close(lo[ours], ref["leave1out"][theirs], f"leave1out {ours}")
    inf = res.influence()
    for ours, theirs in [("rstudent", "rstudent"), ("dffits", "dffits"), ("cooks_d", "cook_d"), ("cov_r", "cov_r"),
                         ("tau2_del", "tau2_del"), ("qe_del", "QE_del"), ("hat", "hat"), ("weight", "weight"),
                         ("dfbetas", "dfbetas")]:
        assert_close(inf[ours], ref["influence"][theirs], f"influence {ours}")
    assert list(inf["inf"]) == list(np.atleast_1d(ref["influence"]["is_infl"]))
    cu = ref["cumul"]
    df = res.cumulative(order=cu["order"])
    for ours, theirs in FIT_COLS:
        assert_close(df[ours], cu[theirs], f"cumul {ours}")
    p = res.permutation_test(exact=True)
    assert p.exact and p.n == ref["permutest"]["iter"]
    assert p.pvalue == pytest.approx(ref["permutest"]["pval"], abs=1e-12)
    assert p.qm_pvalue == pytest.approx(ref["permutest"]["QMp"], abs=1e-12)
    assert "t = " in str(p)
    eg = res.egger_test()
    rt = ref["regtest"]
    assert eg.df == rt["ddf"]
    for ours, theirs in [("zval", "zval"), ("pvalue", "pval"), ("estimate", "est"), ("ci_low", "ci_lb"),
                         ("ci_high", "ci_ub")]:
        assert_close(getattr(eg, ours), rt[theirs], f"regtest {ours}")
    tf = res.trim_and_fill(test="adhoc")
    t = ref["trimfill"]
    assert (tf.k0, tf.side, tf.test) == (t["k0"], t["side"], t["test"])
    for ours, theirs in [("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub"),
                         ("pvalue", "pval")]:
        assert_close(getattr(tf, ours), t[theirs], f"trimfill {ours}")


# ---------------------------------------------------------------------------------------------
# items 2 and 3: rank test and trim-and-fill edge cases
# ---------------------------------------------------------------------------------------------

EDGE = REF["edge"]


def test_rank_test_all_vi_equal_is_na_with_a_warning():
    e = EDGE["ranktest_equal_vi"]
    assert e["tau"] is None and e["pval"] is None and "standard deviation is zero" in str(e["warnings"])
    res = meta_analysis(e["yi"], e["vi"])
    with pytest.warns(UserWarning, match="all vi are equal"):
        r = res.rank_test()
    assert math.isnan(r.tau) and math.isnan(r.pvalue) and "not defined" in r.notes[0] and "not defined" in str(r)


@pytest.mark.parametrize("eps", [0.0, 1e-12])
def test_trim_and_fill_with_equal_vi_asks_for_side(eps):
    # metafor stops ("missing value where TRUE/FALSE needed"); so does regtest ("no longer of full rank")
    e = EDGE["trimfill_equal_vi"]
    assert "missing value" in e["error"] and "full rank" in EDGE["regtest_equal_vi"]["error"]
    vi = np.array(e["vi"]) * (1 + eps * np.arange(5))
    res = meta_analysis(e["yi"], vi)
    with pytest.raises(ValueError, match="all vi are equal.*pass side='left' or side='right'"):
        res.trim_and_fill()
    with pytest.raises(ValueError, match="full rank after adding the predictor 'sei'"):
        res.egger_test()
    assert res.trim_and_fill(side="left").side == "left"
    assert res.trim_and_fill(side="right").side == "right"


@pytest.mark.parametrize("ref", EDGE["trimfill_negative_var"], ids=lambda f: f"{f['name']}-{f['estimator']}")
def test_trim_and_fill_negative_variance_of_sr_gives_nan_se(ref):
    res = meta_analysis(ref["yi"], ref["vi"], method=ref["method"])
    tf = res.trim_and_fill(estimator=ref["estimator"], side=ref["side_arg"])
    assert (tf.k0, tf.side) == (ref["k0"], ref["side"])
    if ref["se_k0_is_nan"]:
        assert math.isnan(tf.se_k0) and any("negative" in n for n in tf.notes)
    else:
        # no note but the small-k caveat (issue 14 item 8: k < 10 is not assessable)
        assert close(tf.se_k0, ref["se_k0"]) and [n for n in tf.notes if not n.startswith("not assessable")] == []
    tz = res.trim_and_fill(estimator=ref["estimator"], side=ref["side_arg"], test="z")
    for ours, theirs in [("estimate", "estimate"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub")]:
        assert close(getattr(tz, ours), ref[theirs]), ours
