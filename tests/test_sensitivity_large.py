"""The diagnostics at larger k against metafor 3.8-1 and exact arithmetic.

* k = 300 (REML + knha, DL + z): leave-one-out, influence, cumulative, Egger's test (a
  meta-regression past the 256 studies up to which the engine forms P explicitly), trim and fill;
  k = 1000: Egger's test (tests/reference/sensitivity/make_large_reference.R -> metafor_large_k.json);
* Begg's rank test: metafor's exact p at k = 50, 120, 170; from k = 171 on metafor returns NaN
  (R's pkendall overflows n!), so the exact p comes from integer arithmetic
  (make_kendall_exact.py -> kendall_exact.json).
Tolerance 1e-6 relative with an absolute floor of 1e-10, as test_sensitivity_reference.py.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ldn_evidence.engine.kernels import GeneralKernel
from ldn_evidence.models import meta_analysis

HERE = Path(__file__).parent / "reference" / "sensitivity"
REF = json.loads((HERE / "metafor_large_k.json").read_text())
EXACT = {s["name"]: s for s in json.loads((HERE / "kendall_exact.json").read_text())["sets"]}
D300 = REF["k300"]["data"]
FITS = REF["k300"]["fits"]
IDS = [f"{f['method']}-{f['test']}" for f in FITS]


def assert_close(got, want, what, rtol=1e-6, floor=1e-10):
    g = np.atleast_1d(np.asarray(got, dtype=float))
    w = np.atleast_1d(np.array([np.nan if x is None else x for x in np.atleast_1d(want)], dtype=float))
    assert g.shape == w.shape, what
    assert np.array_equal(np.isnan(g), np.isnan(w)), f"{what}: NaN pattern"
    ok = ~np.isnan(w)
    err = np.abs(g[ok] - w[ok])
    assert np.all(err <= np.maximum(rtol * np.abs(w[ok]), floor)), f"{what}: max error {err.max():.3g}"


_FITTED = {}


def fit(ref):
    key = (ref["method"], ref["test"])
    if key not in _FITTED:
        _FITTED[key] = meta_analysis(D300["yi"], D300["vi"], method=ref["method"], test=ref["test"])
    return _FITTED[key]


COLS = [("estimate", "estimate"), ("se", "se"), ("STAT", "zval"), ("pvalue", "pval"), ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"), ("q", "Q"), ("q_pvalue", "Qp"), ("tau2", "tau2"), ("i2", "I2"), ("h2", "H2")]


@pytest.mark.parametrize("ref", FITS, ids=IDS)
def test_model_leave_one_out_and_cumulative_at_k300(ref):
    res = fit(ref)
    assert_close([res.estimate, res.se, res.tau2, res.ci_low, res.ci_high],
                 [ref["model"][x] for x in ("estimate", "se", "tau2", "ci_lb", "ci_ub")], "model")
    stat = "tval" if ref["test"] == "knha" else "zval"
    loo, cum = res.leave_one_out(), res.cumulative()
    for ours, theirs in COLS:
        ours = stat if ours == "STAT" else ours
        assert_close(loo[ours], ref["leave1out"][theirs], f"leave1out {ours}")
        assert_close(cum[ours], ref["cumul"][theirs], f"cumul {ours}")


@pytest.mark.parametrize("ref", FITS, ids=IDS)
def test_influence_at_k300(ref):
    inf = fit(ref).influence()
    r = ref["influence"]
    for ours, theirs in [("rstudent", "rstudent"), ("dffits", "dffits"), ("cooks_d", "cook_d"), ("cov_r", "cov_r"),
                         ("tau2_del", "tau2_del"), ("qe_del", "QE_del"), ("hat", "hat"), ("weight", "weight"),
                         ("dfbetas", "dfbetas")]:
        assert_close(inf[ours], r[theirs], f"influence {ours}")
    assert list(inf["inf"]) == list(r["is_infl"])


@pytest.mark.parametrize("ref", FITS, ids=IDS)
def test_egger_and_trim_and_fill_at_k300(ref):
    res = fit(ref)
    e, r = res.egger_test(), ref["regtest"]
    assert_close([e.zval, e.pvalue, e.estimate, e.ci_low, e.ci_high], [r["zval"], r["pval"], r["est"], r["ci_lb"],
                                                                       r["ci_ub"]], "regtest")
    tf, t = res.trim_and_fill(), ref["trimfill"]
    assert (tf.k0, tf.side) == (t["k0"], t["side"])
    assert_close([tf.se_k0, tf.estimate, tf.se, tf.ci_low, tf.ci_high, tf.tau2],
                 [t[x] for x in ("se_k0", "estimate", "se", "ci_lb", "ci_ub", "tau2")], "trimfill")


@pytest.mark.parametrize("ref", REF["k1000"]["regtest"], ids=lambda r: r["test"])
def test_egger_at_k1000_uses_the_p_by_p_traces(ref):
    d = REF["k1000"]["data"]
    e = meta_analysis(d["yi"], d["vi"], method="REML", test=ref["test"]).egger_test()
    assert_close([e.zval, e.pvalue, e.estimate, e.ci_low, e.ci_high, e.fit.tau2, e.slope],
                 [ref[x] for x in ("zval", "pval", "est", "ci_lb", "ci_ub", "tau2", "slope")], "regtest k=1000")


@pytest.mark.parametrize("ref", REF["ranktest"], ids=lambda r: f"k{r['k']}")
def test_rank_test_exact_p(ref):
    r = meta_analysis(ref["yi"], ref["vi"], method="REML").rank_test()
    assert r.exact
    assert_close(r.tau, ref["tau"], "tau")
    if ref["k"] <= 170:
        assert_close(r.pvalue, ref["pval"], "metafor's exact p")
    else:                                   # metafor: NaN (n! overflows); exact arithmetic instead
        assert ref["pval"] is None
        assert_close(r.pvalue, EXACT[f"k{ref['k']}"]["pval"], "exact p", rtol=1e-9)


def test_rank_test_exact_p_at_k300_from_exact_arithmetic():
    r = meta_analysis(D300["yi"], D300["vi"], method="REML").rank_test()
    assert REF["k300"]["ranktest"]["pval"] is None            # metafor gives NaN
    assert_close(r.tau, REF["k300"]["ranktest"]["tau"], "tau")
    assert r.exact
    assert_close(r.pvalue, EXACT["k300"]["pval"], "exact p", rtol=1e-9)


def test_rank_test_normal_approximation_beyond_the_exact_limit():
    from ldn_evidence.diagnostics import RANK_EXACT_MAX_K

    rng = np.random.default_rng(4)
    k = RANK_EXACT_MAX_K + 1
    v = rng.uniform(0.01, 0.3, k)
    r = meta_analysis(rng.normal(0, np.sqrt(v + 0.05)), v, method="DL").rank_test()
    assert not r.exact and any("normal approximation" in n for n in r.notes)
    assert 0 < r.pvalue <= 1


@pytest.mark.parametrize("seed", range(4))
def test_general_kernel_traces_without_p_equal_the_explicit_p(seed):
    """Past EXPLICIT_P_MAX_K studies the traces come from p x p matrices; on the same data they equal
    the sums over the explicit P (two moderators, unequal weights, 40 studies, 3 fits)."""
    rng = np.random.default_rng(seed)
    m, k = 3, 40
    y = rng.normal(0, 1, (m, k))
    v = rng.uniform(0.01, 0.5, (m, k))
    mk = rng.random((m, k)) < 0.9
    X = np.where(mk[:, :, None], np.dstack([np.ones((m, k)), rng.normal(0, 1, (m, k)), rng.uniform(0, 3, (m, k))]), 0)
    y, v = np.where(mk, y, 0.0), np.where(mk, v, 1.0)
    w = mk / (v + 0.1)
    explicit = GeneralKernel(y, v, mk, X)
    traced = GeneralKernel(y, v, mk, X)
    traced.explicit = False
    a, b = explicit.wls(w), traced.wls(w)
    for key in ("beta", "RSS", "trP", "sumPP", "S", "S2", "logdetA", "vb"):
        np.testing.assert_allclose(b[key], a[key], rtol=1e-11, atol=1e-13, err_msg=key)
    for x, z in zip(traced.pv_terms(w), explicit.pv_terms(w)):
        np.testing.assert_allclose(x, z, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(traced.tr_pv(w), explicit.tr_pv(w), rtol=1e-11)
    assert math.isfinite(float(traced.rss(w)[0]))
