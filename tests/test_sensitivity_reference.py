"""Agreement of ldn_evidence.diagnostics with metafor 3.8-1 (tests/reference/sensitivity/).

The JSON is written by tests/reference/sensitivity/make_reference.R; these tests never need R.
Four data sets (dat.bcg log RR, dat.normand1999 SMD, dat.hackshaw1998 log OR, a synthetic
k = 6 set stored in the JSON) x REML/DL x z/knha. Tolerance 1e-6 relative with an absolute
floor of 1e-10; permutation p-values exactly where the test is exact, otherwise within Monte
Carlo error of metafor's.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from metafor_compare import assert_close

from ldn_evidence.models import meta_analysis

REF = json.loads((Path(__file__).parent / "reference" / "sensitivity" / "metafor_sensitivity.json").read_text())
DATASETS = {d["name"]: d for d in REF["datasets"]}
CASES = [(e["dataset"], f) for e in REF["results"] for f in e["fits"]]
IDS = [f"{d}-{f['method']}-{f['test']}" for d, f in CASES]


_FITS = {}


def fit(name, ref):
    key = (name, ref["method"], ref["test"])
    if key not in _FITS:
        d = DATASETS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITS[key] = meta_analysis(d["yi"], d["vi"], method=ref["method"], test=ref["test"])
    return _FITS[key]


FIT_COLS = [("estimate", "estimate"), ("se", "se"), ("STAT", "zval"), ("pvalue", "pval"), ("ci_low", "ci_lb"),
            ("ci_high", "ci_ub"), ("q", "Q"), ("q_pvalue", "Qp"), ("tau2", "tau2"), ("i2", "I2"), ("h2", "H2")]


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_leave_one_out(name, ref):
    res = fit(name, ref)
    df = res.leave_one_out()
    stat = "tval" if ref["test"] == "knha" else "zval"
    assert list(df.index) == res.labels
    for ours, theirs in FIT_COLS:
        ours = stat if ours == "STAT" else ours
        assert_close(df[ours], ref["leave1out"][theirs], f"leave1out {ours}")


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_influence(name, ref):
    inf = fit(name, ref).influence()
    r = ref["influence"]
    for ours, theirs in [("rstudent", "rstudent"), ("dffits", "dffits"), ("cooks_d", "cook_d"), ("cov_r", "cov_r"),
                         ("tau2_del", "tau2_del"), ("qe_del", "QE_del"), ("hat", "hat"), ("weight", "weight"),
                         ("dfbetas", "dfbetas")]:
        assert_close(inf[ours], r[theirs], f"influence {ours}")
    assert list(inf["inf"]) == list(np.atleast_1d(r["is_infl"]))


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_baujat(name, ref):
    b = fit(name, ref).baujat()
    assert_close(b["x"], ref["baujat"]["x"], "baujat x")
    assert_close(b["y"], ref["baujat"]["y"], "baujat y")


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_cumulative(name, ref):
    res = fit(name, ref)
    c = ref["cumul"]
    df = res.cumulative(order=c["order"])
    stat = "tval" if ref["test"] == "knha" else "zval"
    assert list(df.index) == [res.labels[i] for i in c["order"]]
    for ours, theirs in FIT_COLS:
        ours = stat if ours == "STAT" else ours
        assert_close(df[ours], c[theirs], f"cumul {ours}")
    by = DATASETS[name]["order_key"]
    assert df.equals(res.cumulative(by=by))


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_regtest(name, ref):
    res = fit(name, ref)
    ni = DATASETS[name].get("ni")
    for r in ref["regtest"]:
        eg = res.egger_test(predictor=r["predictor"], model=r["model"], ni=ni)
        what = f"regtest {r['predictor']} {r['model']}"
        for ours, theirs in [("zval", "zval"), ("pvalue", "pval"), ("estimate", "est"), ("ci_low", "ci_lb"),
                             ("ci_high", "ci_ub")]:
            assert_close(getattr(eg, ours), r[theirs], f"{what} {ours}")
        if r["ddf"] is not None:
            assert eg.df == r["ddf"]


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_trimfill(name, ref):
    res = fit(name, ref)
    for r in ref["trimfill"]:
        tf = res.trim_and_fill(estimator=r["estimator"], side=r["side_arg"])
        what = f"trimfill {r['estimator']} side={r['side_arg']}"
        assert (tf.k0, tf.side) == (r["k0"], r["side"]), what
        assert list(tf.filled) == list(np.atleast_1d(r["fill"]))
        assert tf.test == r["test"], f"{what}: metafor 3.8 refits the filled data with test={r['test']}"
        for ours, theirs in [("se_k0", "se_k0"), ("estimate", "estimate"), ("se", "se"), ("zval", "zval"),
                             ("pvalue", "pval"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub"), ("tau2", "tau2"),
                             ("q", "QE"), ("i2", "I2"), ("yi", "yi"), ("vi", "vi"), ("p_k0", "p_k0")]:
            assert_close(getattr(tf, ours), r[theirs], f"{what} {ours}")


GOSH_CASES = [(n, f) for n, f in CASES if "gosh" in f]


@pytest.mark.parametrize("name,ref", GOSH_CASES, ids=[f"{n}-{f['method']}" for n, f in GOSH_CASES])
def test_gosh(name, ref):
    res = fit(name, ref)
    g = ref["gosh"]
    df = res.gosh()
    assert len(df) == g["n"] == 2 ** res.k - 1 and df.attrs["exact"]
    failed = np.flatnonzero(df["estimate"].isna().to_numpy())
    assert list(failed) == list(np.atleast_1d(g["failed_rows"])) if g["failed_rows"] else failed.size == 0
    cols = [("estimate", "estimate"), ("tau2", "tau2"), ("i2", "I2"), ("h2", "H2"), ("q", "QE")]
    studies = df.attrs["study_columns"]
    for row in g["rows"]:
        r = df.iloc[row["row"]]
        assert list(np.flatnonzero(r[studies].to_numpy(bool))) == list(np.atleast_1d(row["incl"]))
        assert r["k"] == row["k"]
        for ours, theirs in cols:
            assert_close(r[ours], row[theirs], f"gosh row {row['row']} {ours}")
    probs = np.linspace(0, 1, 21)
    for ours, theirs in cols:
        assert_close(np.nanquantile(df[ours], probs), g["q_" + theirs], f"gosh quantiles {ours}")
        assert_close(np.nanmean(df[ours]), g["mean_" + theirs], f"gosh mean {ours}")
    if "full" in g:
        for ours, theirs in cols + [("k", "k")]:
            assert_close(df[ours], g["full"][theirs], f"gosh all subsets {ours}")


@pytest.mark.parametrize("name,ref", CASES, ids=IDS)
def test_permutest(name, ref):
    res = fit(name, ref)
    p = ref["permutest"]
    if "exact" in p:
        e = p["exact"]
        out = res.permutation_test(n=e["iter"])
        assert out.exact and out.n == e["iter"]
        assert out.pvalue == pytest.approx(e["pval"], abs=1e-12)
        assert out.qm_pvalue == pytest.approx(e["QMp"], abs=1e-12)
    if "approx" in p:
        a = p["approx"]
        out = res.permutation_test(n=a["iter"], seed=20240601)
        assert not out.exact and out.n == a["iter"]
        # both are Monte Carlo estimates of the same p: 4 combined standard errors, at least 4/n
        pbar = max((out.pvalue + a["pval"]) / 2, 1 / a["iter"])
        tol = max(4 * math.sqrt(2 * pbar * (1 - pbar) / a["iter"]), 4 / a["iter"])
        assert abs(out.pvalue - a["pval"]) <= tol
        assert abs(out.qm_pvalue - a["QMp"]) <= tol


@pytest.mark.parametrize("entry", REF["results"], ids=[e["dataset"] for e in REF["results"]])
def test_ranktest(entry):
    d = DATASETS[entry["dataset"]]
    res = meta_analysis(d["yi"], d["vi"], method="REML", test="z")
    rt = res.rank_test()
    assert_close(rt.tau, entry["ranktest"]["tau"], "ranktest tau")
    assert_close(rt.pvalue, entry["ranktest"]["pval"], "ranktest p")
    assert rt.exact == (not entry["ranktest"]["warnings"])


def test_ranktest_with_ties_uses_the_normal_approximation():
    t = REF["ranktest_ties"]
    rt = meta_analysis(t["yi"], t["vi"], method="REML", test="z").rank_test()
    assert t["warnings"] and not rt.exact
    assert_close(rt.tau, t["tau"], "ranktest tau (ties)")
    assert_close(rt.pvalue, t["pval"], "ranktest p (ties)")
