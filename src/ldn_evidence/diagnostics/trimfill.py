"""Trim and fill (Duval and Tweedie 2000), as metafor's ``trimfill()``.

The side comes from the slope of the meta-regression on sqrt(vi) (an engine fit), the trimming
iterations are single engine fits of the k - k0 least extreme studies, and the filled data are
refitted through ``res.update(yi=..., vi=...)`` (metafor's ``update()``). Every fit is O(k).

References
----------
Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
Duval S, Tweedie R (2000). A nonparametric "trim and fill" method of accounting for publication
bias in meta-analysis. J Am Stat Assoc 95:89-98.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._result import Result, fmt_number, fmt_p
from ..engine.batch import normalize_test, redundant_columns
from ..errors import ConvergenceError
from ..vocabulary import check_level
from ._common import asymmetry_caveat, check_count, check_fit, refit

__all__ = ["trim_and_fill", "TrimFillResult"]

#: what TrimFillResult hands over from the model of the filled data
_FROM_RESULT = ("estimate", "se", "zval", "tval", "pvalue", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_pvalue",
                "pi_low", "pi_high", "method", "test", "level", "k")


@dataclass(repr=False)
class TrimFillResult(Result):
    """Trim and fill (Duval and Tweedie 2000), as metafor's ``trimfill()``.

    ``k0``: number of studies imputed, ``se_k0`` its SE, ``side`` ("left"/"right": where the
    missing studies were imputed), ``estimator`` ("L0", "R0", "Q0"), ``p_k0`` (R0 only: the
    test of k0 = 0). ``estimate, se, zval, pvalue, ci_low, ci_high, tau2, i2, q`` come from
    ``result``: the :class:`~ldn_evidence.models.MetaResult` of the filled data (observed then
    filled studies; ``filled`` marks the imputed ones, labelled "Filled 1", ...). ``yi``/``vi``
    are the filled data. With k0 = 0 ``result`` is the original model. ``notes`` holds the
    small-k caveat below 10 studies and what metafor does differently from the model's test.
    ``to_frame()`` is one row: estimator, side, k0, se_k0, p_k0 and the filled estimate.
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    p_k0: float
    yi: np.ndarray
    vi: np.ndarray
    filled: np.ndarray
    labels: list
    result: object
    iterations: int
    notes: list = field(default_factory=list)

    _repr_fields = ("estimator", "side", "k0", "estimate", "ci_low", "ci_high")

    def __getattr__(self, name):
        if name in _FROM_RESULT:
            return getattr(self.__dict__["result"], name)
        raise AttributeError(name)

    @property
    def fill_yi(self):
        return self.yi[self.filled]

    @property
    def fill_vi(self):
        return self.vi[self.filled]

    @property
    def assessable(self) -> bool:
        """False below 10 observed studies (Cochrane Handbook 13.3.5.4)."""
        return asymmetry_caveat(int(np.count_nonzero(~self.filled)), "") is None

    def to_frame(self):
        import pandas as pd

        row = {"estimator": self.estimator, "side": self.side, "k0": self.k0, "se_k0": self.se_k0,
               "p_k0": self.p_k0}
        row.update({name: getattr(self.result, name) for name in ("k", "estimate", "se", "pvalue", "ci_low",
                                                                   "ci_high", "tau2", "i2", "test")})
        return pd.DataFrame([row])

    def summary(self) -> str:
        head = (f"Trim and fill ({self.estimator}): estimated number of missing studies on the {self.side} side: "
                f"{self.k0} (SE = {fmt_number(self.se_k0)})")
        if self.estimator == "R0":
            head += f", p(k0 = 0) = {fmt_p(self.p_k0)}"
        lines = [head, str(self.result).rstrip()] + [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def _side(res, yi, vi):
    """metafor's side: right when Egger's slope (regression on sqrt(vi), the model's method) is negative."""
    k = yi.size
    X = np.column_stack([np.ones(k), np.sqrt(vi)])
    if redundant_columns(X):
        raise ValueError("trim_and_fill: all vi are equal (to a relative tolerance of 1e-7), so the side cannot "
                         "be chosen from the slope of the regression on sqrt(vi) (metafor stops with an error "
                         "here); pass side='left' or side='right'")
    b = refit(res, yi, vi, X=X, test="z", control=None)
    if not b.converged[0]:
        raise ConvergenceError(f"trim_and_fill: the {res.method} meta-regression on sqrt(vi) that chooses the "
                               "side did not converge (metafor stops here); pass side='left' or 'right'")
    return "right" if b.beta[0, 1] < 0 else "left"


def _k0_step(ys, beta, estimator):
    """One estimate of k0 from the ranks of the centred effects: (k0 before rounding, its SE)."""
    k = ys.size
    yc = ys - beta
    rank = np.empty(k)
    rank[np.argsort(np.abs(yc), kind="stable")] = np.arange(1, k + 1)
    rs = np.sign(yc) * rank
    if estimator == "R0":
        neg = -rs[rs < 0]
        if neg.size == 0:
            raise ValueError("trim_and_fill R0: no study below the estimate (metafor fails here too)")
        k0f = (k - neg.max()) - 1
        return k0f, math.sqrt(2 * max(0.0, k0f) + 2)
    sr = rs[rs > 0].sum()
    if estimator == "L0":
        k0f = (4 * sr - k * (k + 1)) / (2 * k - 1)
    else:
        disc = 2 * k * k - 4 * sr + 0.25
        if disc < 0:
            raise ValueError(f"trim_and_fill Q0: k0 is not defined (2k^2 - 4 S_r + 1/4 = {disc:g} < 0; "
                             "metafor fails here too); try estimator='L0'")
        k0f = k - 0.5 - math.sqrt(disc)
    var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0f**3 + 27 * k0f**2 + 17 * k0f - 18 * k * k0f**2
              - 18 * k * k0f + 6 * k * k * k0f) / 24
    den = 1.0 if estimator == "L0" else (k - 0.5) ** 2 - k0f * (2 * k - k0f - 1)
    if var_sr < 0 or den < 0:
        return k0f, float("nan")             # R: sqrt() of a negative number is NaN (with a warning)
    if estimator == "L0":
        return k0f, 4 * math.sqrt(var_sr) / (2 * k - 1)
    return k0f, 2 * math.sqrt(var_sr) / math.sqrt(den) if den > 0 else float("inf")


def _trim(res, ys, vs, estimator, maxiter):
    """The trim-and-fill iteration on the sorted data: (k0, se_k0, last trimmed estimate, iterations)."""
    k = ys.size
    k0, k0_prev, it = 0, -1, 0
    se_k0 = beta = float("nan")
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ConvergenceError("Trim and fill algorithm did not converge (as metafor)")
        b = refit(res, ys[: k - k0], vs[: k - k0], test="z", level=95.0, control=None)
        if not b.converged[0]:
            raise ConvergenceError(f"trim_and_fill: the {res.method} fit of the trimmed data did not converge "
                                   "(metafor stops here)")
        beta = float(b.beta[0, 0])
        k0f, se = _k0_step(ys, beta, estimator)
        k0 = int(max(0, round(k0f)))          # round half to even, as R
        se_k0 = se if math.isnan(se) else max(0.0, se)   # R's max(0, NaN) is NaN
    return k0, se_k0, beta, it


def trim_and_fill(res, estimator="L0", side=None, *, maxiter=100, test=None, level=None):
    """Trim and fill, as metafor's ``trimfill()``.

    Parameters
    ----------
    res : MetaResult
    estimator : {"L0", "R0", "Q0"}
        Estimator of the number of missing studies (Duval and Tweedie 2000).
    side : {"left", "right"}, optional
        Side on which studies are imputed. Default, as metafor: from the sign of the slope of
        Egger's regression (a meta-regression on sqrt(vi) with the model's method): a
        negative slope puts the missing studies on the right, otherwise on the left. When the
        vi are all equal (to R's ``lm()`` tolerance, 1e-7 relative) that slope does not exist
        and a ValueError asks for ``side`` (metafor stops with "missing value where TRUE/FALSE
        needed" there).
    maxiter : int
        Iterations of the trim-and-fill loop (metafor stops with an error beyond).
    test, level : optional
        For the model of the filled data. Default as metafor 3.8-1, which refits the filled
        data with ``rma()``'s own defaults, i.e. **z test, 95%** whatever the original model
        used (when k0 = 0 the original model is returned unchanged). Pass ``test=res.test,
        level=res.level`` to keep the model's test.

    Returns
    -------
    TrimFillResult
        With a caveat in ``notes`` when k < 10 (Cochrane Handbook 13.3.5.4).

    Notes
    -----
    The trimming fits use the model's method (their estimate is all that matters).
    ``se_k0`` is NaN when the variance of the rank statistic S_r from Duval and Tweedie's
    formula is negative (it can be, for k0 estimates far from the truth), as metafor's
    ``sqrt()`` gives (R's ``max(0, NaN)`` stays NaN); a note says so. An R0/Q0 estimate that
    is not defined (the square root of a negative number) raises ValueError, where metafor
    stops with an error.

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.1, 0.5, -0.2, 0.3, 0.9], [0.04] * 5)
    >>> trim_and_fill(res)
    Traceback (most recent call last):
    ...
    ValueError: trim_and_fill: all vi are equal (to a relative tolerance of 1e-7), so the side cannot be chosen from the slope of the regression on sqrt(vi) (metafor stops with an error here); pass side='left' or side='right'
    >>> trim_and_fill(res, side="left").k0
    0
    """
    check_fit(res, "trim_and_fill")
    if estimator not in ("L0", "R0", "Q0"):
        raise ValueError(f"estimator must be 'L0', 'R0' or 'Q0', got {estimator!r}")
    maxiter = check_count(maxiter, "maxiter", 1)
    test = None if test is None else normalize_test(test)
    level = None if level is None else check_level(level)
    yi, vi = np.asarray(res.yi, float), np.asarray(res.vi, float)
    k = yi.size
    caveat = asymmetry_caveat(k, "trim and fill")
    notes = [caveat] if caveat else []
    if side is None:
        side = _side(res, yi, vi)
    elif side not in ("left", "right"):
        raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
    ys = -yi if side == "right" else yi.copy()
    ix = np.argsort(ys, kind="stable")
    ys, vs = ys[ix], vi[ix]
    k0, se_k0, beta, it = _trim(res, ys, vs, estimator, maxiter)
    if math.isnan(se_k0):
        notes.append("SE of k0 not available: the variance of the rank statistic S_r from Duval and Tweedie's formula "
                     "is negative at this k0 (metafor gives se.k0 = NaN)")
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else float("nan")
    labels = list(res.labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if k0 > 0:
            fill = 2 * beta - ys[k - k0:]
            if side == "right":
                fill = -fill
            yf, vf = np.concatenate([yi, fill]), np.concatenate([vi, vs[k - k0:]])
            labels = labels + [f"Filled {i + 1}" for i in range(k0)]
            t = "z" if test is None else test
            lv = 95.0 if level is None else level
            if test is None and res.test != "z":
                notes.append(f"the filled data are refitted with a z test ({lv:g}%), as metafor 3.8-1's trimfill() "
                             f"does; pass test={res.test!r} to keep the model's test")
            fitted = res.update(yi=yf, vi=vf, labels=labels, test=t, level=lv, control=None)
            filled = np.r_[np.zeros(k, bool), np.ones(k0, bool)]
        else:
            yf, vf, fitted = yi.copy(), vi.copy(), res
            if (test is not None and test != res.test) or (level is not None and level != res.level):
                fitted = res.update(test=test or res.test, level=level or res.level)
            filled = np.zeros(k, bool)
    return TrimFillResult(k0=k0, se_k0=float(se_k0), side=side, estimator=estimator, p_k0=float(p_k0), yi=yf, vi=vf,
                          filled=filled, labels=labels, result=fitted, iterations=it, notes=notes)
