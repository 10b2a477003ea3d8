"""Conversions: published worked values where they exist, hand calculations otherwise."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ldn_evidence.effects import conversions as cv


# ------------------------------------------------------------------ SE from CI / p / t

def test_critical_values():
    assert cv.critical_value(95) == pytest.approx(1.959964, abs=1e-6)
    assert cv.critical_value(90) == pytest.approx(1.644854, abs=1e-6)
    assert cv.critical_value(95, df=9) == pytest.approx(2.262157, abs=1e-6)
    with pytest.raises(ValueError, match="percent"):
        cv.critical_value(0.95)   # a level is a percent everywhere in the package


def test_se_from_ci_linear_and_ratio():
    # linear: width 2*1.96 at 95% -> SE 1
    assert cv.se_from_ci(-1.959964, 1.959964) == pytest.approx(1, rel=1e-6)
    # Handbook 6.3.2 / 6.5.2.3: SE = width / 3.92 for 95%; 3.29 for 90%
    assert cv.se_from_ci(2.0, 5.92) == pytest.approx(3.92 / 3.919928, rel=1e-6)
    assert cv.se_from_ci(0, 3.29, level=90) == pytest.approx(1, rel=1e-3)
    # ratio scale: OR 95% CI 0.5 to 2.0 -> SE(ln OR) = ln(4) / 3.919928
    assert cv.se_from_ci(0.5, 2.0, log_scale=True) == pytest.approx(math.log(4) / 3.919928, rel=1e-6)
    assert cv.estimate_from_ci(0.5, 2.0, log_scale=True) == pytest.approx(0.0, abs=1e-12)
    assert cv.estimate_from_ci(1.0, 3.0) == 2.0
    # t-based (small trial, df = 18)
    assert cv.se_from_ci(-2.100922, 2.100922, df=18) == pytest.approx(1, rel=1e-6)
    with pytest.raises(ValueError):
        cv.se_from_ci(2, 1)
    with pytest.raises(ValueError):
        cv.se_from_ci(0, 2, log_scale=True)


@settings(max_examples=80, deadline=None)
@given(est=st.floats(-20, 20), se=st.floats(0.01, 10), level=st.floats(50, 99.9),
       df=st.one_of(st.none(), st.integers(2, 200)))
def test_se_from_ci_round_trip(est, se, level, df):
    crit = cv.critical_value(level, df)
    lo, hi = est - crit * se, est + crit * se
    assert cv.se_from_ci(lo, hi, level, df=df) == pytest.approx(se, rel=1e-9)
    assert cv.estimate_from_ci(lo, hi) == pytest.approx(est, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(log_est=st.floats(-3, 3), se=st.floats(0.01, 2), level=st.floats(50, 99.9))
def test_se_from_ci_round_trip_ratio(log_est, se, level):
    crit = cv.critical_value(level)
    lo, hi = math.exp(log_est - crit * se), math.exp(log_est + crit * se)
    assert cv.se_from_ci(lo, hi, level, log_scale=True) == pytest.approx(se, rel=1e-9)
    assert cv.estimate_from_ci(lo, hi, log_scale=True) == pytest.approx(log_est, abs=1e-9)


def test_se_from_p_and_t():
    assert cv.se_from_p(1.959964, 0.05) == pytest.approx(1, rel=1e-6)
    assert cv.se_from_p(-1.959964, 0.05) == pytest.approx(1, rel=1e-6)
    assert cv.se_from_p(2.262157, 0.05, df=9) == pytest.approx(1, rel=1e-6)
    # p = 0.001 two-sided -> z = 3.290527
    assert cv.se_from_p(3.290527, 0.001) == pytest.approx(1, rel=1e-6)
    assert cv.se_from_t(1.5, -3.0) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        cv.se_from_p(1, 0)


def test_vectorised():
    out = cv.se_from_ci([0, 1], [3.919928, 1 + 2 * 3.919928])
    np.testing.assert_allclose(out, [1, 2], rtol=1e-6)


# ------------------------------------------------------------------ SDs

def test_sd_from_se():
    assert cv.sd_from_se(0.5, 100) == pytest.approx(5)
    with pytest.raises(ValueError):
        cv.sd_from_se(0.5, 0)


def test_sd_from_ci_handbook_6_5_2_2():
    # Handbook 6.5.2.2: SD = sqrt(N) (upper - lower) / 3.92 for large samples; for
    # n = 25 the divisor becomes 2 x 2.0639 = 4.128 (t with 24 df).
    assert cv.sd_from_ci(10, 13.92, 100, dist="z") == pytest.approx(10 * 3.92 / 3.919928, rel=1e-6)
    assert cv.sd_from_ci(10, 14.128, 25) == pytest.approx(5.0, rel=1e-4)
    # 90% CI, large sample: divisor 3.29
    assert cv.sd_from_ci(0, 3.29, 400, level=90, dist="z") == pytest.approx(20, rel=1e-3)


# ------------------------------------------------------------------ median -> mean / SD

# Expected numbers: metafor's documentation example for conv.fivenum() (metafor >= 4.0,
# https://wviechtb.github.io/metafor/reference/conv.fivenum.html, printed output of the
# first example; default method = Luo 2018 mean, Wan 2014 SD for S1/S2, Shi 2020 SD for
# S3).  n = 20, min 2, q1 4, median 6, q3 10, max 14.
METAFOR_FIVENUM = {
    "S1": dict(kw=dict(minimum=2, maximum=14), mean=6.594468, sd=3.211576),
    "S2": dict(kw=dict(q1=4, q3=10), mean=6.719500, sd=4.787076),
    "S3": dict(kw=dict(minimum=2, q1=4, q3=10, maximum=14), mean=6.938841, sd=3.679435),
}


@pytest.mark.parametrize("scenario", ["S1", "S2", "S3"])
def test_median_conversions_match_metafor_documentation(scenario):
    ref = METAFOR_FIVENUM[scenario]
    out = cv.mean_sd_from_median(20, 6, **ref["kw"])
    assert out["scenario"] == scenario
    assert out["mean"] == pytest.approx(ref["mean"], abs=5e-7)
    assert out["sd"] == pytest.approx(ref["sd"], abs=5e-7)


@pytest.mark.parametrize("n, xi_table", [(20, 3.735), (25, 3.931), (30, 4.086),
                                         (40, 4.322), (50, 4.498)])
def test_range_divisor_matches_wan_table_1(n, xi_table):
    """Wan et al. 2014, Table 1 (exact expected ranges, 3 decimals) vs their eq. 9
    approximation used here: (max - min) / SD = xi(n)."""
    sd = cv.sd_from_median(n, minimum=0.0, maximum=1.0)
    assert 1 / sd == pytest.approx(xi_table, rel=3e-3)


def test_wan_mean_formulas_by_hand():
    # Wan et al. 2014: S1 (a + 2m + b)/4, S2 (q1 + m + q3)/3, S3 (a + 2q1 + 2m + 2q3 + b)/8
    assert cv.mean_from_median(20, 6, minimum=2, maximum=14, method="wan") == pytest.approx(7.0)
    assert cv.mean_from_median(20, 6, q1=4, q3=10, method="wan") == pytest.approx(20 / 3)
    assert cv.mean_from_median(20, 6, minimum=2, q1=4, q3=10, maximum=14,
                               method="wan") == pytest.approx((2 + 8 + 12 + 20 + 14) / 8)
    # Wan S3 SD = average of range- and IQR-based SDs
    s1 = cv.sd_from_median(20, minimum=2, maximum=14)
    s2 = cv.sd_from_median(20, q1=4, q3=10)
    assert cv.sd_from_median(20, minimum=2, q1=4, q3=10, maximum=14,
                             method="wan") == pytest.approx((s1 + s2) / 2)


def test_median_needs_range_or_iqr():
    with pytest.raises(ValueError, match="IQR"):
        cv.mean_from_median(20, 6)
    with pytest.raises(ValueError):
        cv.mean_from_median(20, 6, q1=1, q3=2, method="hozo")


def test_median_vectorised():
    out = cv.mean_from_median([20, 50], [6, 6], q1=[4, 4], q3=[10, 10])
    assert out.shape == (2,)


# ------------------------------------------------------------------ d, r -> g

def test_d_to_g_borenstein_chapter_4_example():
    # Borenstein et al. 2009, ch. 4 worked example: means 103 vs 100, SDs 5.5 and 4.5,
    # n = 50 each: d = 0.5970, V_d = 0.0418, J = 0.9923, g = 0.5924, V_g = 0.0411
    g, vg = cv.d_to_g(0.5970, 50, 50, exact=False)
    assert g == pytest.approx(0.5924, abs=5e-5)
    assert vg == pytest.approx(0.0411, abs=5e-5)
    g2, vg2 = cv.d_to_g(0.5970, 50, 50)  # exact J differs in the 5th decimal
    assert g2 == pytest.approx(g, abs=1e-4)


def test_r_to_smd_by_hand():
    # Borenstein 2009 eqs. 7.5, 7.6 by hand for r = 0.5, n = 100:
    # d = 2*0.5/sqrt(0.75) = 1.154701; V_r = 0.75^2/99 = 0.00568182;
    # V_d = 4*0.00568182/0.75^3 = 0.0538721; J(98) approx = 1 - 3/391
    g, vg = cv.r_to_smd(0.5, 100, exact=False)
    j = 1 - 3 / 391
    assert g == pytest.approx(j * 1.154701, rel=1e-6)
    assert vg == pytest.approx(j**2 * 0.0538721, rel=1e-5)
    with pytest.raises(ValueError):
        cv.r_to_smd(1.0, 10)


# ------------------------------------------------------------------ combining groups, r

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n1=st.integers(2, 40), n2=st.integers(2, 40))
def test_combine_groups_equals_pooled_raw_data(seed, n1, n2):
    """Handbook Table 6.5.a reproduces the mean and SD of the merged raw data."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(5, 2, n1), rng.normal(7, 3, n2)
    n, m, sd = cv.combine_groups(n1, a.mean(), a.std(ddof=1), n2, b.mean(), b.std(ddof=1))
    both = np.concatenate([a, b])
    assert n == n1 + n2
    assert m == pytest.approx(both.mean(), rel=1e-9)
    assert sd == pytest.approx(both.std(ddof=1), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60))
def test_correlation_from_sds_equals_pearson(seed, n):
    """Handbook 6.5.2.8: the imputed Corr is exactly the Pearson r of baseline and final."""
    rng = np.random.default_rng(seed)
    base = rng.normal(6, 2, n)
    final = 0.6 * base + rng.normal(0, 1.5, n)
    r = cv.correlation_from_sds(base.std(ddof=1), final.std(ddof=1),
                                (final - base).std(ddof=1))
    assert r == pytest.approx(np.corrcoef(base, final)[0, 1], rel=1e-9, abs=1e-12)
    sdc = cv.sd_change_from_correlation(base.std(ddof=1), final.std(ddof=1), r)
    assert sdc == pytest.approx((final - base).std(ddof=1), rel=1e-9)


def test_sd_change_from_correlation_handbook_crossover_example():
    # Handbook v5.1 16.4.6.4: SD_E 2.38, SD_C 2.21, Corr 0.68 -> SE(MD) 0.583 with n = 10
    sdd = cv.sd_change_from_correlation(2.38, 2.21, 0.68)
    assert sdd / math.sqrt(10) == pytest.approx(0.583, abs=5e-4)
