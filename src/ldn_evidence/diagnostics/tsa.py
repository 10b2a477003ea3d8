"""Trial sequential analysis (TSA): required information size and group-sequential boundaries.

Pure functions on numbers; :func:`ldn_evidence.review.tsa.trial_sequential_analysis` applies them
to one outcome of a review.

What is computed (Wetterslev et al. 2008, 2009; Thorlund et al. 2011, the Copenhagen TSA manual;
Jennison & Turnbull 2000, chapter 19):

* **Required information size** for a continuous outcome, two arms 1:1, two-sided ``alpha``,
  power ``1 - beta`` and a minimal relevant difference ``mird`` on a scale with SD ``sd``:
  ``RIS = 4 (z_{1-alpha/2} + z_{1-beta})^2 sd^2 / mird^2`` participants. On the SMD scale
  ``sd = 1``. Heterogeneity (diversity) correction: ``D^2 = (v_R - v_F) / v_R`` with ``v_F`` the
  variance of the equal-effects pooled estimate and ``v_R`` that of the DerSimonian-Laird
  random-effects estimate; ``RIS_adj = RIS / (1 - D^2)`` (Wetterslev 2009).
* **Alpha spending**: Lan & DeMets (1983) O'Brien-Fleming type,
  ``alpha*(t) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t))`` with ``a`` the type I error of one boundary.
  A two-sided ``alpha`` is split into ``alpha/2`` per boundary (upper and lower symmetric), the
  convention of ldbounds, gsDesign, rpact and RTSA; the boundaries are those of the one-sided
  design with ``alpha/2``. ``Pocock``-type spending ``a ln(1 + (e - 1) t)`` is also available.
* **Monitoring boundaries** by numerical recursive integration (Armitage, McPherson & Rowe 1969)
  on Jennison & Turnbull's grid (their section 19.2: ``6r - 1`` points (``r = 40``) plus Simpson
  midpoints, as gsDesign with its r = 18): at each look the boundary ``c_k`` is the root of
  ``P_0(Z_k >= c_k, no earlier crossing) = alpha*(t_k) - alpha*(t_{k-1})``. Looks after the
  information size (t > 1) are tested against the boundary at t = 1.
* **Futility (beta spending)**, non-binding: under the alternative (drift ``theta``) the inner
  boundary ``b_k`` solves ``P_theta(Z_k <= b_k, continued up to k) = beta*(t_k) - beta*(t_{k-1})``
  with the same spending function applied to ``beta``, the efficacy boundaries unchanged. The
  drift is chosen so that ``b_K = c_K`` at the end (rpact's rule); the information size is then
  inflated by ``(theta / (z_{1-a} + z_{1-beta}))^2`` (the *inflation factor*).

* **The boundaries between the looks** (:func:`boundary_curve`): what the boundary would be for a
  look taken at any information fraction ``t``, given the looks actually taken before it: the
  same equations with ``t`` as the next look. At a look it is that look's boundary; between two
  looks it follows the spending function (an O'Brien-Fleming boundary at half the information is
  about 2.96, where a straight line between a look at 0.1 and one at 0.9 would give 4.5),
  so that is the curve a TSA figure draws. The futility curve uses the design's drift.

Checked against rpact 3.3.4 (``tests/reference/tsa``); agreement is to about 1e-7 on the
boundaries.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.special import ndtr as _ndtr
from scipy.special import ndtri as _ndtri

from ..engine.batch import rma_batch
from ..engine.zeroin import zeroin, zeroin_scalar

__all__ = [
    "required_information_size", "diversity", "spending", "group_sequential_boundaries", "Boundaries",
    "RIS", "SPENDING_FUNCTIONS", "boundary_curve", "BoundaryCurve",
]

SPENDING_FUNCTIONS = ("obf", "pocock")
#: Jennison & Turnbull grid size parameter (gsDesign uses r = 18; 40 brings the boundaries within
#: about 2e-7 of rpact where 18 leaves 6e-6 with ten unequal looks)
GRID_R = 40
#: boundaries above this are reported as infinite (no realistic Z reaches them)
Z_MAX = 20.0


def _norm_sf(x):
    return _ndtr(-np.asarray(x, dtype=float))


# ---------------------------------------------------------------------------------------------
# information size
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RIS:
    """A required information size (participants, both arms)."""

    ris: float
    adjusted: float
    d2: float
    mird: float
    sd: float
    alpha: float
    beta: float

    def describe(self) -> str:
        return (f"RIS = {self.ris:.0f} participants (minimal relevant difference {self.mird:g}, SD {self.sd:g}, "
                f"two-sided alpha {self.alpha:g}, power {1 - self.beta:.0%}); diversity D² = {self.d2:.0%} -> "
                f"adjusted RIS = {self.adjusted:.0f}")


def required_information_size(mird: float, sd: float = 1.0, alpha: float = 0.05, beta: float = 0.2,
                              d2: float = 0.0) -> RIS:
    """Participants (two arms, 1:1) needed to detect ``mird`` with two-sided ``alpha`` and power
    ``1 - beta``, and the same divided by ``1 - d2`` (diversity-adjusted).

    >>> round(required_information_size(0.2).ris)   # 4 (1.96 + 0.84)^2 / 0.2^2
    785
    """
    if not mird > 0:
        raise ValueError(f"the minimal relevant difference must be positive (got {mird})")
    if not sd > 0:
        raise ValueError(f"sd must be positive (got {sd})")
    if not 0 < alpha < 1 or not 0 < beta < 1:
        raise ValueError("alpha and beta must lie between 0 and 1")
    if not 0 <= d2 < 1:
        raise ValueError(f"D² must lie in [0, 1) (got {d2})")
    z = float(_ndtri(1 - alpha / 2) + _ndtri(1 - beta))
    ris = 4 * z * z * sd * sd / (mird * mird)
    return RIS(ris=ris, adjusted=ris / (1 - d2), d2=d2, mird=mird, sd=sd, alpha=alpha, beta=beta)


def diversity(yi: Sequence[float], vi: Sequence[float]) -> float:
    """Diversity D² = (v_R - v_F) / v_R with DerSimonian-Laird tau² (Wetterslev 2009).

    ``v_F = 1 / sum(1/v_i)`` and ``v_R = 1 / sum(1/(v_i + tau²))``, tau² from the engine's DL
    estimator (the TSA software's default). 0 for a single study or when tau² is 0.

    >>> round(diversity([0.1, 0.5, -0.2], [0.04, 0.05, 0.06]), 4)
    0.5672
    """
    y = np.asarray(yi, float)
    v = np.asarray(vi, float)
    if y.shape != v.shape or y.ndim != 1 or len(y) == 0:
        raise ValueError("yi and vi must be 1-d of the same, non-zero length")
    if len(y) == 1:
        return 0.0
    tau2 = float(rma_batch(y, v, method="DL", test="z", qprofile=False).tau2[0])
    vf = 1 / np.sum(1 / v)
    vr = 1 / np.sum(1 / (v + tau2))
    return float((vr - vf) / vr)


# ---------------------------------------------------------------------------------------------
# spending functions and boundaries
# ---------------------------------------------------------------------------------------------


def spending(t, total: float, kind: str = "obf"):
    """Cumulative error spent at information fraction ``t`` (clipped to [0, 1]).

    ``obf``: Lan-DeMets O'Brien-Fleming type ``2 - 2 Phi(z_{1-total/2} / sqrt(t))``;
    ``pocock``: Lan-DeMets Pocock type ``total ln(1 + (e - 1) t)``.
    """
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if kind == "obf":
        z = float(_ndtri(1 - total / 2))
        with np.errstate(divide="ignore"):
            # 2 - 2 Phi(x) computed as 2 Phi(-x) (no cancellation for small t)
            out = np.where(t > 0, 2 * _ndtr(-z / np.sqrt(np.where(t > 0, t, 1.0))), 0.0)
    elif kind == "pocock":
        out = total * np.log1p((math.e - 1) * t)
    else:
        raise ValueError(f"unknown spending function {kind!r}; choose one of {SPENDING_FUNCTIONS}")
    return out if out.ndim else float(out)


def _grid(mu: float, lo: float, hi: float, r: int | None = None):
    """Jennison & Turnbull (2000, 19.2.1) grid on (lo, hi) for a normal with mean ``mu``:
    points and Simpson weights (as gsDesign's ``gridpts``)."""
    r = GRID_R if r is None else r
    i = np.arange(1, 6 * r)
    x = np.where(i < r, mu - 3 - 4 * np.log(r / i),
                 np.where(i <= 5 * r, mu - 3 + 3 * (i - r) / (2 * r),
                          mu + 3 + 4 * np.log(r / np.maximum(6 * r - i, 1))))
    if lo >= hi:
        return np.array([]), np.array([])
    inner = x[(x > lo) & (x < hi)]
    lo_ = max(lo, x[0])
    hi_ = min(hi, x[-1])
    pts = np.concatenate([[lo_], inner[(inner > lo_) & (inner < hi_)], [hi_]])
    pts = np.unique(pts)
    if len(pts) < 2:
        return np.array([]), np.array([])
    mids = (pts[:-1] + pts[1:]) / 2
    z = np.empty(2 * len(pts) - 1)
    z[0::2] = pts
    z[1::2] = mids
    d = np.diff(pts)
    w = np.zeros_like(z)
    w[1::2] = 4 * d / 6
    w[0:-1:2] += d / 6
    w[2::2] += d / 6
    return z, w


class _Recursion:
    """The sub-density of Z_k on the continuation region, look by look (Jennison & Turnbull 19.2)."""

    def __init__(self, theta: float):
        self.theta = theta  # drift: E[Z_k] = theta sqrt(t_k)
        self.z = None       # grid of the previous look
        self.h = None       # weighted sub-density there
        self.t = 0.0

    def upper(self, c: float, t: float) -> float:
        """P(Z_k >= c, not stopped before)."""
        if self.z is None:
            return float(_norm_sf(c - self.theta * math.sqrt(t)))
        dt = t - self.t
        arg = (c * math.sqrt(t) - self.z * math.sqrt(self.t) - self.theta * dt) / math.sqrt(dt)
        return float(np.sum(self.h * _norm_sf(arg)))

    def lower(self, b: float, t: float) -> float:
        """P(Z_k <= b, not stopped before)."""
        if self.z is None:
            return float(_ndtr(b - self.theta * math.sqrt(t)))
        dt = t - self.t
        arg = (b * math.sqrt(t) - self.z * math.sqrt(self.t) - self.theta * dt) / math.sqrt(dt)
        return float(np.sum(self.h * _ndtr(arg)))

    def upper_many(self, c: np.ndarray, t: np.ndarray) -> np.ndarray:
        """:meth:`upper` for many (boundary, look) pairs at once."""
        c, t = np.asarray(c, dtype=float), np.asarray(t, dtype=float)
        if self.z is None:
            return _norm_sf(c - self.theta * np.sqrt(t))
        dt = (t - self.t)[:, None]
        arg = (c[:, None] * np.sqrt(t)[:, None] - self.z[None, :] * math.sqrt(self.t) - self.theta * dt) / np.sqrt(dt)
        return _norm_sf(arg) @ self.h

    def lower_many(self, b: np.ndarray, t: np.ndarray) -> np.ndarray:
        """:meth:`lower` for many (boundary, look) pairs at once."""
        b, t = np.asarray(b, dtype=float), np.asarray(t, dtype=float)
        if self.z is None:
            return _ndtr(b - self.theta * np.sqrt(t))
        dt = (t - self.t)[:, None]
        arg = (b[:, None] * np.sqrt(t)[:, None] - self.z[None, :] * math.sqrt(self.t) - self.theta * dt) / np.sqrt(dt)
        return _ndtr(arg) @ self.h

    def advance(self, lo: float, hi: float, t: float) -> None:
        """Move to look k with continuation region (lo, hi)."""
        mu = self.theta * math.sqrt(t)
        z, w = _grid(mu, lo, hi)
        if self.z is None:
            h = w * np.exp(-0.5 * (z - mu) ** 2) / math.sqrt(2 * math.pi)
        else:
            dt = t - self.t
            s = math.sqrt(dt)
            arg = (z[:, None] * math.sqrt(t) - self.z[None, :] * math.sqrt(self.t) - self.theta * dt) / s
            dens = np.exp(-0.5 * arg * arg) / math.sqrt(2 * math.pi) * math.sqrt(t) / s
            h = w * (dens @ self.h)
        self.z, self.h, self.t = z, h, t


#: absolute tolerance of the boundary and drift roots (Brent's zeroin stops within about half of it)
ROOT_TOL = 2e-12


#: iterations allowed to one root search (Brent's method needs a few dozen at most)
ROOT_MAXITER = 200


def _root(g, lo: float, hi: float, glo: float, ghi: float) -> float:
    """The root of ``g`` in ``[lo, hi]`` (``g(lo)``, ``g(hi)`` of opposite signs) by Brent's
    zeroin (:func:`ldn_evidence.engine.zeroin.zeroin_scalar`, the steps of R's ``uniroot()``):
    the bisection, secant and inverse quadratic steps of ``scipy.optimize.brentq``, without
    importing scipy.optimize (0.1-0.2 s, a tenth of a cold ``ldn-evidence report``)."""
    if glo * ghi > 0:
        raise ValueError(f"no sign change of the function between {lo:g} and {hi:g}")
    root, converged = zeroin_scalar(g, lo, hi, glo, ghi, tol=ROOT_TOL, maxiter=ROOT_MAXITER)
    if not converged:
        raise RuntimeError(f"the root search did not converge in {ROOT_MAXITER} iterations")
    return root


def _solve(f, target: float, lo: float, hi: float) -> float:
    """The ``x`` in ``[lo, hi]`` where ``f(x) = target``; the nearer end when there is none."""
    flo, fhi = f(lo) - target, f(hi) - target
    if flo * fhi > 0:
        return lo if abs(flo) < abs(fhi) else hi
    return _root(lambda x: f(x) - target, lo, hi, flo, fhi)


def _solve_many(f, target: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """:func:`_solve` for many equations at once: ``f(x, rows)`` gives the left-hand sides of
    the equations ``rows`` at ``x``; one vectorised zeroin (:func:`ldn_evidence.engine.zeroin.zeroin`)
    searches every row, each with the steps :func:`_solve` would take alone."""
    rows = np.arange(len(target))
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    flo, fhi = f(lo, rows) - target, f(hi, rows) - target
    out = np.where(np.abs(flo) < np.abs(fhi), lo, hi)
    search = np.flatnonzero(flo * fhi <= 0)
    if search.size:
        root, converged = zeroin(lambda x, r: f(x, search[r]) - target[search[r]], lo[search], hi[search],
                                 flo[search], fhi[search], tol=ROOT_TOL, maxiter=ROOT_MAXITER)
        if not converged.all():
            raise RuntimeError(f"the root search did not converge in {ROOT_MAXITER} iterations")
        out[search] = root
    return out


@dataclass
class Boundaries:
    """Group-sequential boundaries at information fractions ``t`` (Z scale).

    ``upper``: efficacy boundary (the lower is ``-upper`` when ``sides == 2``); ``futility``:
    the inner (beta-spending) boundary, or None; ``inflation``: the factor by which the fixed
    information size is multiplied so that the futility and efficacy boundaries meet at t = 1.
    ``alpha_spent``/``beta_spent`` are cumulative (both sides together for a two-sided alpha).
    """

    t: np.ndarray
    upper: np.ndarray
    alpha: float
    sides: int
    spending: str
    alpha_spent: np.ndarray
    futility: np.ndarray | None = None
    beta: float | None = None
    beta_spent: np.ndarray | None = None
    theta: float | None = None
    inflation: float = 1.0
    notes: list = field(default_factory=list)
    beta_spending: str | None = None

    def to_frame(self):
        import pandas as pd

        d = {"t": self.t, "upper": self.upper, "alpha_spent": self.alpha_spent}
        if self.sides == 2:
            d["lower"] = -self.upper
        if self.futility is not None:
            d["futility"] = self.futility
            d["beta_spent"] = self.beta_spent
        return pd.DataFrame(d)


def _check_t(t) -> np.ndarray:
    t = np.asarray(t, dtype=float).ravel()
    if len(t) == 0:
        raise ValueError("give at least one information fraction")
    if np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
        raise ValueError("information fractions must be increasing and in (0, 1]")
    return t


def _efficacy(t: np.ndarray, alpha_side: float, kind: str, sides: int) -> tuple[np.ndarray, np.ndarray]:
    spent = np.asarray(spending(t, alpha_side, kind), dtype=float)
    rec = _Recursion(0.0)
    c = np.empty(len(t))
    prev = 0.0
    for k, tk in enumerate(t):
        target = spent[k] - prev
        if target <= 1e-15:
            c[k] = math.inf
        elif rec.z is None:
            c[k] = float(_ndtri(1 - target))
        else:
            c[k] = _solve(lambda x: rec.upper(x, tk), target, 0.0, Z_MAX)
        prev = spent[k]
        hi = c[k] if math.isfinite(c[k]) else Z_MAX
        rec.advance(-hi if sides == 2 else -math.inf, hi, tk)
    return c, spent * (2 if sides == 2 else 1)


def _futility(t, c, beta, kind, theta):
    spent = np.asarray(spending(t, beta, kind), dtype=float)
    rec = _Recursion(theta)
    b = np.empty(len(t))
    prev = 0.0
    for k, tk in enumerate(t):
        target = spent[k] - prev
        hi = c[k] if math.isfinite(c[k]) else Z_MAX
        if target <= 1e-15:
            b[k] = -math.inf
        else:
            top = Z_MAX if k == len(t) - 1 else hi  # the last one may pass c_K: the drift search needs it
            b[k] = _solve(lambda x: rec.lower(x, tk), target, -Z_MAX, top)
        prev = spent[k]
        if k < len(t) - 1:
            rec.advance(max(b[k], -Z_MAX), hi, tk)
    return b, spent


def group_sequential_boundaries(t: Sequence[float], alpha: float = 0.05, sides: int = 2, spending_function: str = "obf",
                                beta: float | None = None, beta_spending: str | None = None) -> Boundaries:
    """Efficacy (and optionally beta-spending futility) boundaries at information fractions ``t``.

    Parameters
    ----------
    t : increasing fractions in (0, 1]; the last is normally 1.
    alpha : total type I error; with ``sides=2`` split into ``alpha/2`` per boundary.
    sides : 1 or 2.
    spending_function : ``obf`` (Lan-DeMets O'Brien-Fleming type) or ``pocock``.
    beta : type II error for non-binding futility boundaries (None: no futility boundaries).
    beta_spending : spending function for beta (default: the same as for alpha).

    Examples
    --------
    >>> b = group_sequential_boundaries([0.2, 0.4, 0.6, 0.8, 1.0])
    >>> [round(float(x), 3) for x in b.upper]
    [4.877, 3.357, 2.68, 2.29, 2.031]
    """
    t = _check_t(t)
    if sides not in (1, 2):
        raise ValueError("sides must be 1 or 2")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie between 0 and 1")
    if spending_function not in SPENDING_FUNCTIONS:
        raise ValueError(f"unknown spending function {spending_function!r}; choose one of {SPENDING_FUNCTIONS}")
    a_side = alpha / sides
    c, a_spent = _efficacy(t, a_side, spending_function, sides)
    out = Boundaries(t=t, upper=c, alpha=alpha, sides=sides, spending=spending_function, alpha_spent=a_spent)
    if beta is None:
        return out
    if not 0 < beta < 1:
        raise ValueError("beta must lie between 0 and 1")
    kind_b = beta_spending or spending_function
    if t[-1] != 1.0:
        raise ValueError("futility boundaries need the last look at t = 1")
    theta_fixed = float(_ndtri(1 - a_side) + _ndtri(1 - beta))

    def gap(theta):
        b, _ = _futility(t, c, beta, kind_b, theta)
        return b[-1] - c[-1]

    lo, hi = theta_fixed * 0.5, theta_fixed * 3
    theta = _root(gap, lo, hi, gap(lo), gap(hi))
    b, b_spent = _futility(t, c, beta, kind_b, theta)
    b[-1] = c[-1]
    out.futility = b
    out.beta = beta
    out.beta_spent = b_spent
    out.theta = theta
    out.inflation = (theta / theta_fixed) ** 2
    out.beta_spending = kind_b
    return out


# ---------------------------------------------------------------------------------------------
# boundaries as continuous functions of the information fraction
# ---------------------------------------------------------------------------------------------


@dataclass
class BoundaryCurve:
    """Boundaries of a look at each information fraction ``t`` given the looks before it.

    ``upper``: efficacy boundary (``inf`` where no realistic Z reaches it); ``futility``: the
    inner boundary under the design's drift (``-inf`` where nothing is spent yet; None without
    futility boundaries). Beyond ``t = 1`` both stay at their value at 1.
    """

    t: np.ndarray
    upper: np.ndarray
    futility: np.ndarray | None = None

    def to_frame(self):
        import pandas as pd

        d = {"t": self.t, "upper": self.upper}
        if self.futility is not None:
            d["futility"] = self.futility
        return pd.DataFrame(d)


def _curve_points(t) -> np.ndarray:
    t = np.asarray(t, dtype=float).ravel()
    if len(t) == 0 or np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("information fractions must be positive and finite")
    return t


def _segments(b: Boundaries, t: np.ndarray):
    """The points ``t`` (capped at 1) grouped by the looks taken before them: yields
    ``(k, indices)``, the points whose last earlier look is ``b.t[k - 1]``, in increasing order."""
    tc = np.minimum(t, 1.0)
    before = np.searchsorted(b.t, tc * (1 - 1e-12), side="left")   # looks with b.t < t (1 - 1e-12)
    for k in np.unique(before):
        yield int(k), np.flatnonzero(before == k)


def _upper_curve(b: Boundaries, t: np.ndarray) -> np.ndarray:
    a_side = b.alpha / b.sides
    spent_looks = np.asarray(spending(b.t, a_side, b.spending), dtype=float)
    out = np.empty(len(t))
    rec = _Recursion(0.0)
    taken = 0
    for k, idx in _segments(b, t):
        for i in range(taken, k):   # the looks taken before these points
            hi = b.upper[i] if math.isfinite(b.upper[i]) else Z_MAX
            rec.advance(-hi if b.sides == 2 else -math.inf, hi, float(b.t[i]))
        taken = k
        tj = np.minimum(t[idx], 1.0)
        prev = spent_looks[k - 1] if k else 0.0
        target = np.asarray(spending(tj, a_side, b.spending), dtype=float) - prev
        res = np.full(len(idx), math.inf)
        live = target > 1e-15
        if rec.z is None:
            res[live] = _ndtri(1 - target[live])
        elif live.any():
            tl = tj[live]
            res[live] = _solve_many(lambda x, rows: rec.upper_many(x, tl[rows]), target[live],
                                    np.zeros(live.sum()), np.full(live.sum(), Z_MAX))
        out[idx] = res
    return out


def _futility_curve(b: Boundaries, t: np.ndarray, upper: np.ndarray) -> np.ndarray:
    kind = b.beta_spending or b.spending
    spent_looks = np.asarray(spending(b.t, b.beta, kind), dtype=float)
    out = np.empty(len(t))
    rec = _Recursion(b.theta)
    taken = 0
    for k, idx in _segments(b, t):
        for i in range(taken, k):
            hi = b.upper[i] if math.isfinite(b.upper[i]) else Z_MAX
            rec.advance(max(b.futility[i], -Z_MAX), hi, float(b.t[i]))
        taken = k
        tj = np.minimum(t[idx], 1.0)
        prev = spent_looks[k - 1] if k else 0.0
        target = np.asarray(spending(tj, b.beta, kind), dtype=float) - prev
        res = np.full(len(idx), -math.inf)
        end = tj >= 1.0 - 1e-12
        res[end] = b.futility[-1]            # the drift makes the two boundaries meet at t = 1
        live = ~end & (target > 1e-15)
        if live.any():
            tl = tj[live]
            top = upper[idx][live]
            top = np.where(np.isfinite(top), top, Z_MAX)
            res[live] = _solve_many(lambda x, rows: rec.lower_many(x, tl[rows]), target[live],
                                    np.full(live.sum(), -Z_MAX), top)
        out[idx] = res
    return out


def boundary_curve(boundaries: Boundaries, t: Sequence[float]) -> BoundaryCurve:
    """The monitoring boundaries as continuous functions of the information fraction.

    At each ``t`` the efficacy boundary is the one a look at ``t`` would have, given the looks
    ``boundaries.t`` taken before it: the root of ``P_0(Z_t >= c, no earlier crossing) =
    alpha*(t) - alpha*(t_prev)`` (Lan & DeMets 1983; Jennison & Turnbull 2000, 19.2), with the
    earlier looks' boundaries fixed. The futility boundary solves ``P_theta(Z_t <= b, continued)
    = beta*(t) - beta*(t_prev)`` with the design's drift ``theta``. At a look both equal that
    look's boundaries; beyond ``t = 1`` they stay at their value at 1 (later looks are tested
    against the boundary at the information size).

    Parameters
    ----------
    boundaries : Boundaries
        From :func:`group_sequential_boundaries` (the looks actually taken).
    t : sequence of float
        Positive information fractions, in any order.

    Returns
    -------
    BoundaryCurve

    Examples
    --------
    >>> b = group_sequential_boundaries([0.1, 0.9, 1.0])
    >>> c = boundary_curve(b, [0.1, 0.5, 0.9])
    >>> [round(float(x), 3) for x in c.upper]       # 2.96 at half the information, not ~4
    [6.991, 2.963, 2.094]
    >>> bool(np.allclose(c.upper[[0, 2]], b.upper[:2]))
    True
    """
    t = _curve_points(t)
    upper = _upper_curve(boundaries, t)
    futility = None
    if boundaries.futility is not None:
        futility = _futility_curve(boundaries, t, upper)
    return BoundaryCurve(t=t, upper=upper, futility=futility)
