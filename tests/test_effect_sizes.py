"""escalc() against metafor 3.8-1 (reference JSON written by tests/reference/escalc/make_reference.R)."""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from ldn_evidence.effects.measures import MEASURES, escalc, hedges_j

REF = Path(__file__).parent / "reference" / "escalc" / "metafor_escalc.json"
RTOL = 1e-6
_DATA = json.loads(REF.read_text())
CASES = _DATA["cases"]


def _arr(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_reference_covers_every_measure():
    assert {c["measure"] for c in CASES} == set(MEASURES)
    assert _DATA["metafor_version"].startswith("3.8")


def _ours(case):
    """Our escalc on one reference case's arguments and options."""
    args = {k: _arr(v) for k, v in case["args"].items()}
    options = case["options"] if isinstance(case["options"], dict) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return escalc(case["measure"], **args, **options)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_agrees_with_metafor(case):
    res = _ours(case)
    for col in ("yi", "vi"):
        expected = _arr(case[col])
        got = res[col].to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(expected)), (col, got, expected)
        ok = ~np.isnan(expected)
        np.testing.assert_allclose(got[ok], expected[ok], rtol=RTOL, atol=0, err_msg=col)


def test_max_relative_error_is_small():
    """The agreement quoted in docs/effect_sizes.md."""
    worst = 0.0
    for case in CASES:
        res = _ours(case)
        for col in ("yi", "vi"):
            e = _arr(case[col])
            g = res[col].to_numpy()
            ok = ~np.isnan(e) & (e != 0)
            if ok.any():
                worst = max(worst, float(np.max(np.abs(g[ok] / e[ok] - 1))))
    assert worst < 1e-9


# ---------------------------------------------------------------- input handling

def test_scalars_lists_arrays_series():
    kw = dict(m1i=4.1, sd1i=2.0, n1i=10, m2i=5.2, sd2i=1.8, n2i=12)
    a = escalc("SMD", **kw)
    b = escalc("SMD", **{k: [v] for k, v in kw.items()})
    c = escalc("SMD", **{k: np.array([v]) for k, v in kw.items()})
    assert len(a) == 1
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    idx = pd.Index(["Younger 2013"], name="study")
    s = escalc("SMD", **{k: pd.Series([v], index=idx) for k, v in kw.items()})
    assert list(s.index) == ["Younger 2013"] and s.index.name == "study"
    assert list(s.columns) == ["yi", "vi"]
    assert s["yi"].iloc[0] == pytest.approx(a["yi"].iloc[0])


def test_scalar_broadcast_against_vector():
    res = escalc("MC", m1i=[4.0, 5.0], m2i=[6.0, 6.5], sd1i=2, sd2i=2, ni=20, ri=0.5)
    np.testing.assert_allclose(res["yi"], [-2.0, -1.5])
    np.testing.assert_allclose(res["vi"], [4 / 20, 4 / 20])


def test_unknown_measure_lists_valid_ones():
    with pytest.raises(ValueError, match="valid measures: MD, SMD"):
        escalc("ZCOR", ai=1)


def test_missing_arguments_are_named():
    with pytest.raises(ValueError, match="sd2i, n2i"):
        escalc("SMD", m1i=1, sd1i=1, n1i=10, m2i=0)
    with pytest.raises(ValueError, match="ri"):
        escalc("SMCR", m1i=1, m2i=0, sd1i=1, ni=10)
    with pytest.raises(ValueError, match="bi or n1i"):
        escalc("OR", ai=1, ci=2, di=3)
    with pytest.raises(ValueError, match="mi or ni"):
        escalc("PR", xi=1)


@pytest.mark.parametrize("kw, msg", [
    (dict(measure="MD", m1i=1, sd1i=-1, n1i=10, m2i=0, sd2i=1, n2i=10), "negative"),
    (dict(measure="SMD", m1i=1, sd1i=1, n1i=0, m2i=0, sd2i=1, n2i=10), "<= 0"),
    (dict(measure="SMD", m1i=1, sd1i=1, n1i=-3, m2i=0, sd2i=1, n2i=10), "<= 0"),
    (dict(measure="MC", m1i=1, m2i=0, sd1i=1, sd2i=-1, ni=10, ri=0.5), "negative"),
    (dict(measure="SMCR", m1i=1, m2i=0, sd1i=1, ni=10, ri=1.5), "correlations"),
    (dict(measure="RR", ai=-1, bi=3, ci=1, di=3), "negative"),
    (dict(measure="RR", ai=5, n1i=3, ci=1, di=3), "negative"),
    (dict(measure="OR", ai=1, bi=3, n1i=5, ci=1, di=3), "n1i"),
    (dict(measure="PR", xi=4, ni=3), "negative"),
    (dict(measure="SMD", m1i=[1, 2], sd1i=1, n1i=[5, 5, 5], m2i=0, sd2i=1, n2i=5), "length"),
    (dict(measure="OR", ai=1, bi=3, ci=1, di=3, to="some"), "'to'"),
    (dict(measure="SMD", m1i=1, sd1i=1, n1i=5, m2i=0, sd2i=1, n2i=5, vtype="HO"), "vtype"),
])
def test_invalid_input(kw, msg):
    with pytest.raises(ValueError, match=msg):
        escalc(**kw)


def test_infinite_values_become_nan_with_warning():
    with pytest.warns(RuntimeWarning):
        res = escalc("OR", ai=0, bi=10, ci=3, di=7, to="none")
    assert res.isna().all(axis=None)


def test_missing_values_propagate():
    res = escalc("MD", m1i=[1.0, np.nan], sd1i=1, n1i=10, m2i=0, sd2i=1, n2i=10)
    assert not np.isnan(res["yi"].iloc[0]) and np.isnan(res["yi"].iloc[1])


def test_hedges_j_known_values():
    # closed forms: J(2) = Gamma(1)/(1*Gamma(1/2)) = 1/sqrt(pi);
    # J(3) = Gamma(3/2)/(sqrt(3/2)*Gamma(1)) = sqrt(pi)/2/sqrt(1.5);
    # J(4) = Gamma(2)/(sqrt(2)*Gamma(3/2)) = 2/(sqrt(2)*sqrt(pi))
    assert hedges_j(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-12)
    assert hedges_j(3) == pytest.approx(math.sqrt(math.pi) / 2 / math.sqrt(1.5), rel=1e-12)
    assert hedges_j(4) == pytest.approx(2 / (math.sqrt(2) * math.sqrt(math.pi)), rel=1e-12)
    # the usual approximation J ~ 1 - 3/(4m - 1) (Hedges 1981) converges
    assert hedges_j(10) == pytest.approx(1 - 3 / 39, rel=1e-3)
    assert hedges_j(1000) == pytest.approx(1 - 3 / 3999, rel=1e-7)
    assert np.isnan(hedges_j(1))
    assert np.isfinite(hedges_j(5000))  # no overflow


def test_vtype_vector_per_study():
    kw = dict(m1i=[1.0, 1.0], sd1i=1, n1i=10, m2i=0, sd2i=1, n2i=10)
    mixed = escalc("SMD", vtype=["LS", "UB"], **kw)
    assert mixed["vi"].iloc[0] == pytest.approx(escalc("SMD", **kw)["vi"].iloc[0])
    assert mixed["vi"].iloc[1] == pytest.approx(escalc("SMD", vtype="UB", **kw)["vi"].iloc[1])


# ---------------------------------------------------------------- properties

pos = st.floats(0.5, 30, allow_nan=False)
mean = st.floats(-50, 50, allow_nan=False)
size = st.integers(3, 200)


@settings(max_examples=60, deadline=None)
@given(m1=mean, m2=mean, s1=pos, s2=pos, n1=size, n2=size)
def test_smd_sign_flips_when_arms_swapped(m1, m2, s1, s2, n1, n2):
    a = escalc("SMD", m1i=m1, sd1i=s1, n1i=n1, m2i=m2, sd2i=s2, n2i=n2)
    b = escalc("SMD", m1i=m2, sd1i=s2, n1i=n2, m2i=m1, sd2i=s1, n2i=n1)
    assert b["yi"].iloc[0] == pytest.approx(-a["yi"].iloc[0], rel=1e-12, abs=1e-12)
    assert b["vi"].iloc[0] == pytest.approx(a["vi"].iloc[0], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 40), r=st.floats(-0.9, 0.95), seed=st.integers(0, 10_000))
def test_mc_equals_md_of_differences(n, r, seed):
    """MC from summary data = mean and squared SE of the individual differences."""
    rng = np.random.default_rng(seed)
    pre = rng.normal(6, 2, n)
    post = r * pre + rng.normal(0, 1.5, n)
    sd1, sd2 = post.std(ddof=1), pre.std(ddof=1)
    rho = np.corrcoef(post, pre)[0, 1]
    res = escalc("MC", m1i=post.mean(), m2i=pre.mean(), sd1i=sd1, sd2i=sd2, ni=n, ri=rho)
    diff = post - pre
    assert res["yi"].iloc[0] == pytest.approx(diff.mean(), rel=1e-9, abs=1e-9)
    assert res["vi"].iloc[0] == pytest.approx(diff.var(ddof=1) / n, rel=1e-9)
