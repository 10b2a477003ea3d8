"""The distribution functions the engine calls (scipy.special's stdtr, stdtrit, chdtr, chdtrc,
chdtri, fdtrc, ndtr, ndtri, gammaln) against R (pinned JSON from tests/reference/distributions/)
and against closed forms: what metafor's numbers rest on (pt, qt, pchisq, qchisq, pf) must be
what ours rest on.

The R values come from the functions metafor calls on grids of degrees of freedom from 0.5 to
10^4. The tolerances are scipy.special's accuracy there: 5e-13 up to 1,000 degrees of freedom,
1e-12 at 10^4.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.special as sp

from scipy import special as d  # what the engine calls

REF = json.loads((Path(__file__).parent / "reference" / "distributions" / "r_distributions.json").read_text())

# (max df, rtol): the documented accuracy
TOLERANCES = [(1000, 5e-13), (1e4, 1e-12)]


def _check(ours, ref, df, *, floor=1e-300):
    ours, ref, df = np.asarray(ours, float), np.asarray(ref, float), np.asarray(df, float)
    assert ours.shape == ref.shape
    tiny = np.abs(ref) < floor
    assert np.all(np.abs(ours[tiny]) < 1e-280)  # underflow on both sides (a subnormal in R)
    lo = 0.0
    for hi, rtol in TOLERANCES:
        band = ~tiny & (df > lo) & (df <= hi)
        np.testing.assert_allclose(ours[band], ref[band], rtol=rtol, atol=0, err_msg=f"df in ({lo}, {hi}]")
        lo = hi


def _ref(name):
    block = REF[name]
    return {k: np.array([np.nan if x is None else x for x in v], float) if isinstance(v, list) else v
            for k, v in block.items()}


def test_t_cdf_matches_r_pt():
    r = _ref("pt")
    ours = d.stdtr(r["df"], r["t"])
    # scipy.special.stdtr loses digits at df = 1 for |t| near 0: stdtr(1, -1e-8) is off by 3e-9
    # relative. R is right there (exact: 1/2 - atan(1e-8)/pi, see test_closed_forms). A p-value
    # of 0.5 +- 2e-9 changes no meta-analysis; documented in docs/engine.md.
    cauchy_centre = (r["df"] == 1) & (np.abs(r["t"]) < 1e-6) & (r["t"] != 0)
    assert cauchy_centre.sum() == 2
    np.testing.assert_allclose(ours[cauchy_centre], r["value"][cauchy_centre], rtol=5e-9)
    _check(ours[~cauchy_centre], r["value"][~cauchy_centre], r["df"][~cauchy_centre])


def test_t_quantile_matches_r_qt():
    r = _ref("qt")
    ours = d.stdtrit(r["df"], r["p"])
    median = r["p"] == 0.5
    assert np.all(np.abs(ours[median]) < 1e-15)  # R returns 0 or 2.6e-16 (df = 0.5)
    near = np.abs(r["p"] - 0.5) <= 0.01          # conditioning: (0.5 - p) carries p's rounding
    np.testing.assert_allclose(ours[near & ~median], r["value"][near & ~median], rtol=1e-11)
    # R's qt() loses digits for df < 1 and p within 1e-5 of 1: at df = 0.5, p = 1 - 1e-10 it
    # gives 1.02849269890445e19, where the exact quantile of that double (mpmath, 40 digits) is
    # 1.0284909861208814e19
    r_inexact = (r["df"] < 1) & (r["p"] > 1 - 1e-5)
    assert ours[r_inexact & (r["p"] == 1 - 1e-10)] == pytest.approx(1.0284909861208814e19, rel=1e-14)
    # below one degree of freedom scipy's stdtrit fails in the far lower tail (df = 0.5,
    # p = 1e-100: -4.7e153 where R and mpmath give -1.03e199). The engine's t quantiles have
    # df = k - p >= 1, where scipy agrees with R to 5e-13.
    scipy_far_tail = (r["df"] < 1) & (r["p"] < 1e-50)
    keep = ~near & ~r_inexact & ~scipy_far_tail
    _check(ours[keep], r["value"][keep], r["df"][keep])


def test_chi_square_cdf_and_upper_tail_match_r_pchisq():
    lower, upper = _ref("pchisq"), _ref("pchisq_upper")
    _check(d.chdtr(lower["df"], lower["x"]), lower["value"], lower["df"])
    _check(d.chdtrc(upper["df"], upper["x"]), upper["value"], upper["df"])


def test_chi_square_upper_quantile_matches_r_qchisq():
    r = _ref("qchisq_upper")
    _check(d.chdtri(r["df"], r["q"]), r["value"], r["df"])


def test_f_upper_tail_matches_r_pf():
    r = _ref("pf_upper")
    _check(d.fdtrc(r["dfn"], r["dfd"], r["f"]), r["value"], r["dfd"])


def test_quantiles_invert_the_distribution_functions():
    df = np.array([1.5, 3, 4, 9, 14, 29, 60])[:, None]
    p = np.array([1e-9, 0.005, 0.025, 0.2, 0.8, 0.975, 0.995])[None, :]
    np.testing.assert_allclose(d.stdtr(df, d.stdtrit(df, p)), np.broadcast_to(p, (7, 7)), rtol=1e-13)
    np.testing.assert_allclose(d.chdtrc(df, d.chdtri(df, p)), np.broadcast_to(p, (7, 7)), rtol=1e-13)


def test_closed_forms():
    t = -np.array([1e6, 10, 1, 1e-8])                    # lower tails, written without cancellation
    cauchy = np.arctan(-1 / t) / np.pi
    np.testing.assert_allclose(d.stdtr(1, t[:3]), cauchy[:3], rtol=1e-14)               # Cauchy
    assert d.stdtr(1, t[3]) == pytest.approx(cauchy[3], rel=5e-9)  # scipy's digits loss near 0 (see above)
    root = np.sqrt(2 + t * t)
    np.testing.assert_allclose(d.stdtr(2, t), 1 / (root * (root - t)), rtol=1e-14)
    np.testing.assert_allclose(d.stdtr(2, -t), 1 - 1 / (root * (root - t)), rtol=1e-15)
    x = np.array([1e-8, 0.5, 3, 40, 700])
    np.testing.assert_allclose(d.chdtrc(2, x), np.exp(-x / 2), rtol=5e-14)               # exponential
    # (not at x = 1e-8: there q = 1 - 5e-9, whose rounding alone moves x by 2e-8 relative)
    np.testing.assert_allclose(d.chdtri(2, np.exp(-x[1:] / 2)), x[1:], rtol=1e-13)
    np.testing.assert_allclose(d.chdtrc(1, x), [math.erfc(math.sqrt(v / 2)) for v in x], rtol=1e-13)
    # Hartung-Knapp critical values (R 4.2: qt(0.975, 3), qt(0.975, 9), qnorm(0.975))
    assert d.stdtrit(3, 0.975) == pytest.approx(3.1824463052837078, rel=1e-14)
    assert d.stdtrit(9, 0.975) == pytest.approx(2.2621571627982049, rel=1e-14)
    assert d.ndtri(0.975) == pytest.approx(1.9599639845400536, rel=1e-15)


def test_far_tails_do_not_overflow():
    assert d.stdtrit(100, 1e-300) == pytest.approx(sp.stdtrit(100, 1e-300), rel=1e-12)
    assert d.stdtr(0.5, -1e200) == pytest.approx(sp.stdtr(0.5, -1e200), rel=1e-12)       # 1e-100, no overflow
    assert d.stdtr(3, -1e200) == 0.0                                                      # 1e-600 underflows
    assert d.chdtrc(3, 1e4) == 0.0 and d.chdtri(3, 1e-300) == pytest.approx(sp.chdtri(3, 1e-300), rel=1e-12)


def test_edges_follow_scipy_conventions():
    nan = math.nan
    assert d.stdtr(5, 0) == 0.5 and d.stdtr(5, -np.inf) == 0 and d.stdtr(5, np.inf) == 1
    assert d.stdtr(np.inf, 1.0) == pytest.approx(sp.ndtr(1.0), rel=1e-15)
    assert math.isnan(d.stdtr(0, 1)) and math.isnan(d.stdtr(-1, 1)) and math.isnan(d.stdtr(3, nan))
    # (scipy 1.17 gives stdtrit(5, 0) = +inf, not -inf; the engine never asks for p = 0)
    assert d.stdtrit(5, 1) == np.inf and d.stdtrit(5, 0.5) == 0
    assert math.isnan(d.stdtrit(5, 1.5)) and math.isnan(d.stdtrit(0, 0.3))
    assert d.chdtr(3, 0) == 0 and d.chdtrc(3, 0) == 1 and d.chdtrc(3, np.inf) == 0
    assert math.isnan(d.chdtr(3, -1)) and math.isnan(d.chdtrc(-2, 1))
    assert d.chdtri(3, 0) == np.inf and d.chdtri(3, 1) == 0 and math.isnan(d.chdtri(3, 2))
    assert d.fdtrc(1, 1, 0) == 1 and math.isnan(d.fdtrc(1, 1, -1)) and d.fdtrc(2, 3, np.inf) == 0
    assert d.ndtri(0) == -np.inf and d.ndtri(1) == np.inf and math.isnan(d.ndtri(nan))
    assert d.gammaln(0) == np.inf and d.gammaln(1) == 0


def test_shapes_and_types_like_scipy():
    assert isinstance(d.stdtr(3, 1.0), np.floating) and np.ndim(d.chdtri(3, 0.05)) == 0
    assert d.stdtr(np.arange(1, 4)[:, None], np.linspace(-1, 1, 5)).shape == (3, 5)
    assert d.chdtrc([[2.0]], [1.0, 2.0, 3.0]).shape == (1, 3)
    assert d.stdtrit([], []).shape == (0,)
    assert d.chdtrc(np.array([], float), 1.0).shape == (0,)


def test_underflowed_arguments_give_limits_not_errors():
    for vector in (False, True):
        def f(fn, *args):
            return fn(*[np.full(20, a) for a in args])[0] if vector else fn(*args)
        assert f(d.stdtr, 3.0, 1e-200) == 0.5 and f(d.stdtr, 3.0, -1e-200) == 0.5
        assert f(d.chdtrc, 3.0, 5e-324) == 1.0 and f(d.chdtr, 3.0, 1e-310) == 0.0
        assert f(d.fdtrc, 1.0, 1.0, 1e-320) == 1.0
