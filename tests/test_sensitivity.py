"""ldn_evidence.diagnostics: consistency with single fits, GOSH/permutation mechanics, edge cases.
(Agreement with metafor is in test_sensitivity_reference.py.)"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ldn_evidence import diagnostics as sens
from ldn_evidence.diagnostics.small_study import _kendall_test
from ldn_evidence.models import meta_analysis, rma_batch


def data(k=10, seed=3):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.02, 0.3, k)
    yi = rng.normal(-0.3, np.sqrt(vi + 0.04))
    return yi, vi


@pytest.fixture(scope="module")
def res():
    yi, vi = data()
    return meta_analysis(yi, vi, labels=[f"S{i}" for i in range(10)])


def test_methods_delegate(res):
    pd.testing.assert_frame_equal(res.leave_one_out(), sens.leave_one_out(res))
    pd.testing.assert_frame_equal(res.influence(), sens.influence(res))
    pd.testing.assert_frame_equal(res.baujat(), sens.baujat(res))
    assert res.egger_test().pvalue == sens.egger_test(res).pvalue
    assert res.rank_test().tau == sens.rank_test(res).tau
    assert res.trim_and_fill().k0 == sens.trim_and_fill(res).k0
    assert res.permutation_test(n=64, seed=2).pvalue == sens.permutation_test(res, n=64, seed=2).pvalue


@pytest.mark.parametrize("method,test", [("REML", "knha"), ("DL", "z"), ("PM", "knha"), ("EE", "z")])
def test_leave_one_out_equals_single_fits(method, test):
    yi, vi = data(7, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = meta_analysis(yi, vi, method=method, test=test)
        loo = r.leave_one_out()
        for i in range(7):
            keep = np.arange(7) != i
            one = meta_analysis(yi[keep], vi[keep], method=method, test=test)
            row = loo.iloc[i]
            assert row["estimate"] == pytest.approx(one.estimate, rel=1e-12)
            assert row["ci_high"] == pytest.approx(one.ci_high, rel=1e-12)
            assert row["tau2"] == pytest.approx(one.tau2, rel=1e-10, abs=1e-14)


def test_cumulative_last_row_is_the_full_model(res):
    c = res.cumulative(order=np.arange(res.k)[::-1])
    assert list(c["k"]) == list(range(1, res.k + 1))
    assert c.index[0] == res.labels[-1]
    assert c["estimate"].iloc[-1] == pytest.approx(res.estimate, rel=1e-12)
    assert c["tau2"].iloc[0] == 0 and c["i2"].iloc[0] == 0
    with pytest.raises(ValueError):
        res.cumulative(order=[0, 0, 1])
    with pytest.raises(ValueError):
        res.cumulative(order=np.arange(res.k), by=np.arange(res.k))


def test_gosh_all_subsets_in_metafor_order(res):
    g = res.gosh()
    assert len(g) == 2**10 - 1 and g.attrs["exact"]
    assert (np.diff(g["k"]) >= 0).all()
    studies = g.attrs["study_columns"]
    inc = g[studies].to_numpy(bool)
    assert (inc.sum(axis=1) == g["k"]).all()
    assert ((inc.astype(np.int64) << np.arange(10)).sum(axis=1) == g["subset"]).all()
    assert len(set(g["subset"])) == len(g)
    full = g[g["k"] == 10].iloc[0]
    assert full["estimate"] == pytest.approx(res.estimate, rel=1e-12)
    # a subset is the fit of those studies
    row = g.iloc[500]
    sub = meta_analysis(np.asarray(res.yi)[inc[500]], np.asarray(res.vi)[inc[500]])
    assert row["estimate"] == pytest.approx(sub.estimate, rel=1e-12)
    assert row["i2"] == pytest.approx(sub.i2, rel=1e-10, abs=1e-12)


def test_gosh_chunks_do_not_change_results(res):
    a = res.gosh()
    b = res.gosh(chunk_size=97)
    pd.testing.assert_frame_equal(a, b)


def test_gosh_random_subsets_seeded(res):
    a = res.gosh(max_subsets=300, seed=5)
    b = res.gosh(max_subsets=300, seed=5)
    c = res.gosh(max_subsets=300, seed=6)
    assert len(a) == 300 and not a.attrs["exact"]
    pd.testing.assert_frame_equal(a, b)
    assert not a["subset"].equals(c["subset"])
    assert (a["k"] >= 1).all() and (np.diff(a["k"]) >= 0).all()
    # each study is in about half of the subsets
    share = a[a.attrs["study_columns"]].to_numpy().mean(axis=0)
    assert np.all(np.abs(share - 0.5) < 0.15)


def test_gosh_label_clash():
    yi, vi = data(4)
    r = meta_analysis(yi, vi, labels=["k", "estimate", "A", "A "])
    g = r.gosh()
    assert g.attrs["study_columns"][:2] == ["study k", "study estimate"]
    assert len(set(g.columns)) == len(g.columns)


def test_permutation_exact_rule_and_vectorisation(res):
    p = res.permutation_test(n=1024)          # 2^10 <= 1024: exact
    assert p.exact and p.n == 1024 and p.mc_se == 0
    # the exact p equals a brute-force count over all sign patterns through the batch core
    signs = 1 - 2 * ((np.arange(1024)[:, None] >> np.arange(10)) & 1)
    b = rma_batch(signs * res.yi, np.broadcast_to(res.vi, signs.shape), method="REML", test="knha", qprofile=False)
    want = np.mean(np.abs(b.stat[:, 0]) >= abs(res.zval) - sens.COMPTOL)
    assert p.pvalue == want
    q = res.permutation_test(n=1000, seed=1)
    assert not q.exact and q.n == 1000 and q.zval_perm[0] == res.zval
    assert q.pvalue == res.permutation_test(n=1000, seed=1).pvalue
    assert abs(q.pvalue - p.pvalue) < 5 * q.mc_se + 0.01


def test_trim_and_fill_keeps_the_test_when_asked():
    yi = np.array([0.9, 0.7, 0.65, 0.5, 0.45, 0.4, 0.3, 0.35, 0.2])
    vi = np.array([0.30, 0.22, 0.18, 0.12, 0.09, 0.06, 0.03, 0.04, 0.02])
    r = meta_analysis(yi, vi, method="REML", test="knha")
    tf = r.trim_and_fill()
    assert tf.k0 > 0 and tf.side == "left"
    assert tf.test == "z" and tf.notes                       # metafor 3.8's behaviour, stated
    kept = r.trim_and_fill(test="knha", level=95)
    assert kept.test == "knha" and kept.k0 == tf.k0
    assert kept.estimate == pytest.approx(tf.estimate, rel=1e-12)
    assert len(tf.labels) == r.k + tf.k0 and tf.labels[-1] == f"Filled {tf.k0}"
    assert (tf.fill_yi < tf.yi[~tf.filled].min()).all()        # imputed on the left


def test_egger_needs_ni_for_sample_size_predictors(res):
    with pytest.raises(ValueError, match="ni"):
        res.egger_test(predictor="ni")
    e = res.egger_test(predictor="ninv", ni=np.arange(20, 30))
    assert np.isfinite(e.estimate)
    assert np.isnan(res.egger_test(predictor="ni", ni=np.arange(20, 30)).estimate)
    assert res.egger_test().t == res.egger_test().z


def test_kendall_exact_distribution_small_n():
    # the exact two-sided p-value (scipy's kendalltau, as R's cor.test(exact=TRUE)) against the
    # distribution of the number of inversions counted over all permutations of 5
    from itertools import permutations

    n = 5
    counts = np.zeros(11)
    perms = {}
    for perm in permutations(range(n)):
        inv = sum(perm[i] > perm[j] for i in range(n) for j in range(i + 1, n))
        counts[inv] += 1
        perms.setdefault(inv, perm)
    cdf = np.cumsum(counts) / 120
    for inv, perm in perms.items():
        q = 10 - inv                                  # concordant pairs
        want = min(1.0, 2 * min(cdf[q], 1 - (cdf[q - 1] if q > 0 else 0.0)))
        tau, p, exact = _kendall_test(np.arange(n, dtype=float), np.array(perm, dtype=float))
        assert exact and tau == pytest.approx((q - inv) / 10, abs=1e-15)
        assert p == pytest.approx(want, abs=1e-14)


def test_k1_and_type_errors():
    r = meta_analysis([0.1], [0.04], test="z")
    for f in (sens.leave_one_out, sens.influence, sens.baujat, sens.gosh, sens.trim_and_fill, sens.permutation_test):
        with pytest.raises(ValueError, match="k = 1"):
            f(r)
    with pytest.raises(TypeError):
        sens.leave_one_out(object())


def test_influence_flags_an_outlier():
    yi, vi = data(12)
    yi[4] = 3.0
    inf = meta_analysis(yi, vi).influence()
    assert inf["inf"].iloc[4] and inf["rstudent"].abs().idxmax() == "5"
