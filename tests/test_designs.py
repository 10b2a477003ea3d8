"""Design-specific effect sizes (parallel, crossover, pre-post, reported effects)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ldn_evidence.effects import designs as dz
from ldn_evidence.effects.measures import escalc, hedges_j


# ------------------------------------------------------------------ crossover: Handbook

# Cochrane Handbook v5.1, section 16.4.6.4 (the same worked example underlies v6
# section 23.2.7): crossover trial, n = 10, M_E = 7.0, SD_E = 2.38, M_C = 6.5,
# SD_C = 2.21.  Published: MD 0.5 with SE 0.632 (imputed SD_diff = 2), SE 0.583
# (imputed Corr = 0.68); SMD 0.218 with SE 0.256 (Corr = 0.68, no J correction).

def test_handbook_crossover_md_from_sd_diff():
    e = dz.crossover_paired(0.5, 10, sd_diff=2.0)
    assert e.yi[0] == 0.5
    assert e.sei[0] == pytest.approx(0.632, abs=5e-4)
    assert "paired" in e.derivation


def test_handbook_crossover_md_imputed_corr():
    e = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, r=0.68)
    assert e.yi[0] == pytest.approx(0.5)
    assert e.sei[0] == pytest.approx(0.583, abs=5e-4)
    assert "r = 0.68" in e.derivation


def test_handbook_crossover_smd():
    e = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, r=0.68, measure="SMD",
                                correction=False)
    assert e.yi[0] == pytest.approx(0.218, abs=5e-4)
    assert e.sei[0] == pytest.approx(0.256, abs=5e-4)
    assert "Handbook" in e.derivation and "between-person" in e.derivation


def test_crossover_smd_correction_and_variants():
    d = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, r=0.68, measure="SMD",
                                correction=False)
    g = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, r=0.68, measure="SMD")
    assert g.yi[0] == pytest.approx(hedges_j(9) * d.yi[0])
    # Becker form = metafor SMCR "LS" variance for the same g
    b = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, r=0.68, measure="SMD",
                                smd_variance="becker")
    assert b.vi[0] == pytest.approx(2 * 0.32 / 10 + g.yi[0] ** 2 / 20)
    # the two variance forms coincide at r = 0.5
    h5 = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, measure="SMD")
    b5 = dz.crossover_conditions(7.0, 2.38, 6.5, 2.21, 10, measure="SMD", smd_variance="becker")
    assert h5.vi[0] == pytest.approx(b5.vi[0])
    assert "r = 0.5" in h5.derivation  # default r is stated
    with pytest.raises(ValueError):
        dz.crossover_conditions(7, 2, 6, 2, 10, measure="SMD", smd_variance="x")
    with pytest.raises(ValueError):
        dz.crossover_conditions(7, 2, 6, 2, 10, r=1.2)


def test_crossover_paired_smd_via_r():
    # SD_diff from the Handbook data at Corr 0.68; back-computing the between-person SD
    # with the same r gives sqrt((2.38^2 + 2.21^2)/2) only if SDs are equal, so check
    # the identity on equal SDs: SD = 2.3, r = 0.68.
    sdd = math.sqrt(2 * 2.3**2 * (1 - 0.68))
    e = dz.crossover_paired(0.5, 10, sd_diff=sdd, measure="SMD", r=0.68, correction=False)
    assert e.yi[0] == pytest.approx(0.5 / 2.3)
    e2 = dz.crossover_paired(0.5, 10, se=sdd / math.sqrt(10), measure="SMD",
                             sd_between=2.3, r=0.68, correction=False)
    assert e2.yi[0] == pytest.approx(e.yi[0]) and e2.vi[0] == pytest.approx(e.vi[0])
    with pytest.raises(ValueError):
        dz.crossover_paired(0.5, 10)


@settings(max_examples=40, deadline=None)
@given(mt=st.floats(-20, 20), mc=st.floats(-20, 20), st_=st.floats(0.5, 10),
       sc=st.floats(0.5, 10), n=st.integers(3, 80), r=st.floats(-0.5, 0.95))
def test_crossover_smd_sign_flips_when_conditions_swapped(mt, mc, st_, sc, n, r):
    a = dz.crossover_conditions(mt, st_, mc, sc, n, r=r, measure="SMD")
    b = dz.crossover_conditions(mc, sc, mt, st_, n, r=r, measure="SMD")
    assert b.yi[0] == pytest.approx(-a.yi[0], abs=1e-12)
    assert b.vi[0] == pytest.approx(a.vi[0])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(4, 40), seed=st.integers(0, 10_000))
def test_crossover_md_equals_paired_analysis_of_raw_data(n, seed):
    rng = np.random.default_rng(seed)
    person = rng.normal(6, 2, n)
    t = person + rng.normal(-1, 1, n)
    c = person + rng.normal(0, 1, n)
    r = np.corrcoef(t, c)[0, 1]
    e = dz.crossover_conditions(t.mean(), t.std(ddof=1), c.mean(), c.std(ddof=1), n, r=r)
    diff = t - c
    assert e.yi[0] == pytest.approx(diff.mean(), abs=1e-9)
    assert e.vi[0] == pytest.approx(diff.var(ddof=1) / n, rel=1e-9)


# ------------------------------------------------------------------ parallel trials

def test_parallel_final_is_escalc():
    e = dz.parallel_final([4.1, 5.0], [2.0, 1.7], [10, 31], [5.2, 5.6], [1.8, 2.2], [12, 30],
                          measure="SMD")
    ref = escalc("SMD", m1i=[4.1, 5.0], sd1i=[2.0, 1.7], n1i=[10, 31], m2i=[5.2, 5.6],
                 sd2i=[1.8, 2.2], n2i=[12, 30])
    np.testing.assert_allclose(e.yi, ref["yi"])
    np.testing.assert_allclose(e.vi, ref["vi"])
    md = dz.parallel_final(4.1, 2.0, 10, 5.2, 1.8, 12)
    assert md.yi[0] == pytest.approx(-1.1) and md.vi[0] == pytest.approx(0.4 + 3.24 / 12)


def test_parallel_change():
    e = dz.parallel_change(-2.0, 2.5, 30, -1.0, 2.4, 28)
    assert e.yi[0] == pytest.approx(-1.0)
    assert e.vi[0] == pytest.approx(2.5**2 / 30 + 2.4**2 / 28)
    s = dz.parallel_change(-2.0, 2.5, 30, -1.0, 2.4, 28, measure="SMD")
    assert "not combinable" in s.derivation


def test_parallel_from_md_ci_and_se():
    # 95% CI -1.9 to -0.1 with n1 = n2 = 15: t(28) = 2.048407, SE = 0.9/2.048407
    e = dz.parallel_from_md(-1.0, 15, 15, ci_lower=-1.9, ci_upper=-0.1)
    assert e.sei[0] == pytest.approx(0.9 / 2.048407, rel=1e-6)
    z = dz.parallel_from_md(-1.0, 15, 15, ci_lower=-1.9, ci_upper=-0.1, ci_dist="z")
    assert z.sei[0] == pytest.approx(0.9 / 1.959964, rel=1e-6)
    s = dz.parallel_from_md(-1.0, 15, 15, se=0.4)
    assert s.vi[0] == pytest.approx(0.16)
    g = dz.parallel_from_md(-1.0, 15, 15, se=0.4, measure="SMD", sd_pooled=2.0)
    ref = escalc("SMD", m1i=-1.0, sd1i=2.0, n1i=15, m2i=0.0, sd2i=2.0, n2i=15)
    assert g.yi[0] == pytest.approx(ref["yi"].iloc[0]) and g.vi[0] == pytest.approx(ref["vi"].iloc[0])
    with pytest.raises(ValueError, match="sd_pooled"):
        dz.parallel_from_md(-1.0, 15, 15, se=0.4, measure="SMD")
    with pytest.raises(ValueError):
        dz.parallel_from_md(-1.0, 15, 15)


# ------------------------------------------------------------------ single arm, reported

def test_prepost_single_arm_is_escalc():
    e = dz.prepost_single_arm(6.4, 1.8, 4.2, 2.1, 31, r=0.5)
    ref = escalc("SMCR", m1i=4.2, m2i=6.4, sd1i=1.8, ni=31, ri=0.5)
    assert e.yi[0] == pytest.approx(ref["yi"].iloc[0]) and e.vi[0] == pytest.approx(ref["vi"].iloc[0])
    assert e.yi[0] < 0  # pain fell
    mc = dz.prepost_single_arm(6.4, 1.8, 4.2, 2.1, 31, measure="MC")
    assert mc.yi[0] == pytest.approx(-2.2)
    assert mc.vi[0] == pytest.approx((2.1**2 + 1.8**2 - 2 * 0.5 * 2.1 * 1.8) / 31)
    assert "r = 0.5" in e.derivation


def test_reported_standardized():
    d = dz.reported_standardized(0.5970, "d", n1=50, n2=50)
    assert d.yi[0] == pytest.approx(0.5924, abs=1e-4)  # Borenstein 2009 ch. 4 example
    g = dz.reported_standardized(0.5, "g", n1=20, n2=20)
    assert g.yi[0] == 0.5 and g.vi[0] == pytest.approx(0.1 + 0.25 / 80)
    w = dz.reported_standardized(0.8, "dz", n=20)
    assert w.yi[0] == pytest.approx(hedges_j(19) * 0.8)
    assert w.vi[0] == pytest.approx(1 / 20 + w.yi[0] ** 2 / 40)
    wb = dz.reported_standardized(0.8, "dz", n=20, r=0.5, to_between=True)
    assert wb.yi[0] == pytest.approx(hedges_j(19) * 0.8)  # sqrt(2(1-0.5)) = 1
    rr = dz.reported_standardized(0.5, "r", n=100)
    assert rr.yi[0] == pytest.approx(hedges_j(98) * 2 * 0.5 / math.sqrt(0.75))
    with pytest.raises(ValueError):
        dz.reported_standardized(0.5, "eta2", n=10)
    with pytest.raises(ValueError):
        dz.reported_standardized(0.5, "d", n=10)


def test_percent_change():
    nan = dz.percent_change(-30, 20)
    assert np.isnan(nan.yi[0]) and np.isnan(nan.vi[0])
    assert "baseline mean" in nan.derivation and "baseline SD" in nan.derivation
    half = dz.percent_change(-30, 20, baseline_mean=6.0)
    assert np.isnan(half.yi[0]) and "baseline SD" in half.derivation
    e = dz.percent_change(-30, 20, baseline_mean=6.0, baseline_sd=1.8)
    # change = -1.8 points; SMCR with baseline SD 1.8 -> d = -1
    ref = escalc("SMCR", m1i=4.2, m2i=6.0, sd1i=1.8, ni=20, ri=0.5)
    assert e.yi[0] == pytest.approx(ref["yi"].iloc[0]) and e.vi[0] == pytest.approx(ref["vi"].iloc[0])


# ------------------------------------------------------------------ direction, scale

def test_align_direction_and_rescale():
    np.testing.assert_array_equal(dz.align_direction([0.3, -0.2], True), [-0.3, 0.2])
    np.testing.assert_array_equal(dz.align_direction([0.3, -0.2], [False, True]), [0.3, 0.2])
    yi, vi = dz.rescale_md(-12.0, 16.0, 0, 100)  # FIQR 0-100 -> 0-10
    assert yi[0] == pytest.approx(-1.2) and vi[0] == pytest.approx(0.16)
    yi, vi = dz.rescale_md(-1.0, 0.25, 1, 5)  # 1-5 Likert -> 0-10
    assert yi[0] == pytest.approx(-2.5) and vi[0] == pytest.approx(1.5625)
    with pytest.raises(ValueError):
        dz.rescale_md(1, 1, 10, 0)
