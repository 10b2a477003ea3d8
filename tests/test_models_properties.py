"""Property tests of the engine (hypothesis) and cross-checks with PyMARE and statsmodels."""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldn_evidence.models import METHODS, meta_analysis, rma_batch
from ldn_evidence.engine.batch import _GeneralKernel, _InterceptKernel

REF = json.loads((Path(__file__).parent / "reference" / "engine" / "metafor_rma.json").read_text())
BCG = next(d for d in REF["datasets"] if d["name"] == "bcg_logrr")

FIELDS = ("estimate", "tau2", "se_tau2", "q", "i2", "h2", "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high")
# LDN_HYPOTHESIS_EXAMPLES=500 for a deeper search
SETTINGS = settings(max_examples=int(os.environ.get("LDN_HYPOTHESIS_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def studies(draw, min_k=2, max_k=12):
    k = draw(st.integers(min_k, max_k))
    y = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(0.005, 1.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


def _row(b, i):
    out = {f: getattr(b, f)[i] for f in FIELDS if f != "estimate"}
    out["estimate"] = b.beta[i, 0]
    out["se"] = b.se[i, 0]
    return out


def _assert_rows_close(a, b, rtol=1e-8, atol=1e-10):
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=atol, err_msg=key)


@SETTINGS
@given(data=studies(min_k=3, max_k=10), seed=st.integers(0, 2**31 - 1), method=st.sampled_from(METHODS),
       test=st.sampled_from(["z", "knha"]))
def test_batch_equals_individual_fits(data, seed, method, test):
    y, v = data
    k = y.size
    rng = np.random.default_rng(seed)
    mask = rng.random((6, k)) < 0.7
    mask[:, :2] = True  # at least two studies per row
    mask[0] = True
    yy = np.where(mask, y, np.nan)  # absent studies may hold anything, e.g. NaN
    b = rma_batch(yy, np.broadcast_to(v, mask.shape), mask=mask, method=method, test=test)
    for i in range(mask.shape[0]):
        one = rma_batch(y[mask[i]], v[mask[i]], method=method, test=test)
        assert b.converged[i] == one.converged[0]
        if one.converged[0]:
            _assert_rows_close(_row(b, i), _row(one, 0))
            np.testing.assert_allclose(b.weights[i][mask[i]], one.weights[0], rtol=1e-8)
            assert np.all(b.weights[i][~mask[i]] == 0)


@SETTINGS
@given(data=studies(), seed=st.integers(0, 2**31 - 1), method=st.sampled_from(METHODS))
def test_permutation_invariance(data, seed, method):
    y, v = data
    perm = np.random.default_rng(seed).permutation(y.size)
    a = rma_batch(y, v, method=method, test="knha")
    b = rma_batch(y[perm], v[perm], method=method, test="knha")
    assert a.converged[0] == b.converged[0]
    if a.converged[0]:
        _assert_rows_close(_row(a, 0), _row(b, 0), rtol=1e-7)
        np.testing.assert_allclose(a.weights[0][perm], b.weights[0], rtol=1e-8)


def _tight(v):
    """Stopping rules on the data's own variance scale (metafor's are absolute)."""
    unit = float(np.mean(v))
    return {"threshold": 1e-13 * unit, "tol": 1e-14 * unit, "maxiter": 2000}


@SETTINGS
@given(data=studies(), scale=st.sampled_from([1e-3, 0.1, 7.0, 1e3]), method=st.sampled_from(METHODS))
def test_scale_equivariance(data, scale, method):
    """Estimates scale by c, variances by c^2, I^2/p-values are invariant.

    Exact for the closed-form estimators. metafor's stopping rules for ML/REML/EB/PM are absolute
    (1e-5 on tau^2, eps^0.25 for uniroot), so equivariance holds there only with stopping rules
    on the data's scale.
    """
    y, v = data
    iterative = method not in ("EE", "DL", "HE", "HS", "SJ")
    a = rma_batch(y, v, method=method, test="knha", control=_tight(v) if iterative else None)
    b = rma_batch(y * scale, v * scale**2, method=method, test="knha",
                  control=_tight(v * scale**2) if iterative else None)
    if not (a.converged[0] and b.converged[0]):
        return
    rtol = 1e-6 if iterative else 1e-9
    unit = float(np.mean(v)) * scale**2  # variance unit of the scaled data
    np.testing.assert_allclose(b.beta[0, 0], a.beta[0, 0] * scale, rtol=rtol, atol=1e-9 * np.sqrt(unit))
    np.testing.assert_allclose(b.se[0, 0], a.se[0, 0] * scale, rtol=rtol, atol=1e-9 * np.sqrt(unit))
    np.testing.assert_allclose(b.tau2[0], a.tau2[0] * scale**2, rtol=rtol, atol=1e-9 * unit)
    np.testing.assert_allclose(b.i2[0], a.i2[0], rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(b.pval[0, 0], a.pval[0, 0], rtol=1e-6, atol=1e-9)


@SETTINGS
@given(data=studies(min_k=2, max_k=9), t=st.floats(0, 2))
def test_intercept_kernel_equals_general_kernel(data, t):
    y, v = data
    mk = np.ones((1, y.size), dtype=bool)
    w = 1.0 / (v + t)[None, :]
    a = _InterceptKernel(y[None], v[None], mk)
    g = _GeneralKernel(y[None], v[None], mk, np.ones((1, y.size, 1)))
    sa, sg = a.wls(w), g.wls(w)
    for key in ("RSS", "trP", "sumPP", "S", "S2", "logdetA"):
        np.testing.assert_allclose(sa[key], sg[key], rtol=1e-9, atol=1e-9, err_msg=key)
    np.testing.assert_allclose(sa["beta"], sg["beta"], rtol=1e-10, atol=1e-12)
    for x, z in zip(a.pv_terms(w), g.pv_terms(w)):
        np.testing.assert_allclose(x, z, rtol=1e-9, atol=1e-12)


def test_batch_gosh_like_subsets_fast_and_consistent():
    y, v = np.array(BCG["yi"])[:8], np.array(BCG["vi"])[:8]
    k = y.size
    masks = ((np.arange(1, 2**k)[:, None] >> np.arange(k)) & 1).astype(bool)
    b = rma_batch(np.broadcast_to(y, masks.shape), np.broadcast_to(v, masks.shape), mask=masks, method="REML",
                  test="knha")
    assert b.m == 255 and np.array_equal(b.k, masks.sum(1))
    full = meta_analysis(y, v)
    assert b.estimate[-1] == pytest.approx(full.estimate, rel=1e-10)
    single = b.k == 1
    np.testing.assert_allclose(b.estimate[single], y[np.argmax(masks[single], axis=1)], rtol=1e-14)


# ------------------------------------------------------------------------- cross-checks


def _data():
    return np.array(BCG["yi"]), np.array(BCG["vi"])


def test_cross_check_pymare():
    pymare = pytest.importorskip("pymare")
    y, v = _data()
    ds = pymare.Dataset(y=y, v=v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est, method in [(pymare.estimators.DerSimonianLaird(), "DL"),
                            (pymare.estimators.Hedges(), "HE"),
                            (pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML"), "REML"),
                            (pymare.estimators.VarianceBasedLikelihoodEstimator(method="ML"), "ML")]:
            est.fit_dataset(ds)
            s = est.summary()
            ours = meta_analysis(y, v, method=method, test="knha")
            # PyMARE optimises the likelihood to convergence; metafor stops at |change| <= 1e-5
            rtol = 1e-9 if method in ("DL", "HE") else 1e-4
            assert float(np.ravel(s.tau2)[0]) == pytest.approx(ours.tau2, rel=rtol)
            assert float(np.ravel(s.fe_params)[0]) == pytest.approx(ours.estimate, rel=rtol)
            # PyMARE's reported SE for these estimators is the Knapp-Hartung-scaled one
            assert float(np.ravel(s.get_fe_stats()["se"])[0]) == pytest.approx(ours.se, rel=rtol)


def test_cross_check_statsmodels():
    pytest.importorskip("statsmodels")
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = _data()
    dl = combine_effects(y, v, method_re="chi2")
    z = meta_analysis(y, v, method="DL", test="z")
    hk = meta_analysis(y, v, method="DL", test="knha")
    assert dl.tau2 == pytest.approx(z.tau2, rel=1e-10)
    assert dl.mean_effect_re == pytest.approx(z.estimate, rel=1e-10)
    assert dl.sd_eff_w_re == pytest.approx(z.se, rel=1e-10)
    assert dl.sd_eff_w_re_hksj == pytest.approx(hk.se, rel=1e-10)
    pm = combine_effects(y, v, method_re="iterated")
    ours = meta_analysis(y, v, method="PM", test="z")
    # statsmodels iterates PM to its own tolerance; metafor's uniroot stops within eps^0.25 (absolute)
    assert pm.tau2 == pytest.approx(ours.tau2, abs=2e-4)
    assert pm.mean_effect_re == pytest.approx(ours.estimate, rel=1e-4)
