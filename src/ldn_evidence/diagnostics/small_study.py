"""Tests for small-study effects (funnel-plot asymmetry): Egger's regression test, as metafor's
``regtest()``, and Begg and Mazumdar's rank correlation test, as metafor's ``ranktest()``.

Both carry a note below :data:`~._common.MIN_K_ASYMMETRY` (10) studies: the Cochrane Handbook
(13.3.5.4) advises against interpreting them with fewer studies; the numbers are still given.

Egger's test refits the model with the predictor as a moderator through ``res.update(mods=x)``
(metafor's ``update()``). Kendall's tau and its p-value come from
:func:`scipy.stats.kendalltau` (O(k log k)); see :func:`rank_test` for where its exact
p-value is used.

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634.
Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for
publication bias. Biometrics 50:1088-1101.
Sterne JAC, Egger M (2005). Regression methods to detect publication and other bias in
meta-analysis. In: Rothstein HR et al. (eds), Publication Bias in Meta-Analysis. Wiley.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._result import Result, fmt_number, fmt_p
from ..engine.batch import T_TESTS, redundant_columns
from ._common import asymmetry_caveat, check_fit, check_flag

__all__ = ["egger_test", "rank_test", "EggerResult", "RankTestResult", "RANK_EXACT_MAX_K"]

#: the rank test's exact p-value (the permutation distribution of Kendall's statistic) is used up
#: to this many studies; it costs O(k^3) (about 1 s at k = 1,000, 8 s at 2,000)
RANK_EXACT_MAX_K = 1000

_PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")


@dataclass(repr=False)
class EggerResult(Result):
    """Regression test for funnel-plot asymmetry (metafor ``regtest()``).

    ``zval`` is the test statistic of the predictor's coefficient (a t statistic under knha
    or ``model="lm"``; also available as ``z`` and ``t``), ``df`` its degrees of freedom (NaN
    for z), ``pvalue`` two-sided. ``estimate``/``ci_low``/``ci_high`` are the limit estimate
    (the intercept: the effect as the predictor goes to 0) for predictors sei, vi, ninv and
    sqrtninv, NaN otherwise. ``slope`` is the predictor's coefficient. ``fit`` is the
    meta-regression (``model="rma"``). ``notes`` holds the small-k caveat below 10 studies.
    """

    predictor: str
    model: str
    method: str
    test: str
    zval: float
    pvalue: float
    df: float
    estimate: float
    ci_low: float
    ci_high: float
    slope: float
    k: int
    fit: object = field(default=None, repr=False)
    notes: list = field(default_factory=list)

    _repr_fields = ("predictor", "k", "zval", "pvalue")
    _dict_exclude = ("fit",)

    @property
    def z(self):
        return self.zval

    @property
    def t(self):
        return self.zval

    @property
    def ci(self):
        return (self.ci_low, self.ci_high)

    @property
    def assessable(self) -> bool:
        """False below 10 studies (Cochrane Handbook 13.3.5.4)."""
        return asymmetry_caveat(self.k, "") is None

    def summary(self) -> str:
        stat = "z" if self.test == "z" and self.model == "rma" else "t"
        df = "" if math.isnan(self.df) else f", df = {self.df:g}"
        kind = ("mixed-effects meta-regression model" if self.model == "rma"
                else "weighted regression (multiplicative dispersion)")
        lines = [f"Regression test for funnel plot asymmetry ({kind}; predictor: {self.predictor}; k = {self.k})",
                 f"Test for funnel plot asymmetry: {stat} = {fmt_number(self.zval)}{df}, p {_p(self.pvalue)}"]
        if not math.isnan(self.estimate):
            lines.append(f"Limit estimate (as predictor -> 0): {fmt_number(self.estimate)} "
                         f"(CI: {fmt_number(self.ci_low)}, {fmt_number(self.ci_high)})")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def _p(p):
    s = fmt_p(p)
    return s if s.startswith("<") else f"= {s}"


def _predictor(res, predictor, ni):
    v = np.asarray(res.vi, float)
    if predictor in ("sei", "vi"):
        return np.sqrt(v) if predictor == "sei" else v
    if ni is None:
        raise ValueError(f"predictor {predictor!r} needs the sample sizes: egger_test(..., ni=...)")
    try:
        n = np.asarray(ni, float)
    except (TypeError, ValueError):
        raise ValueError(f"ni must be {res.k} positive finite sample sizes, got {ni!r:.60}") from None
    if n.shape != (res.k,) or not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise ValueError(f"ni must be {res.k} positive finite sample sizes")
    return {"ni": n, "ninv": 1 / n, "sqrtni": np.sqrt(n), "sqrtninv": 1 / np.sqrt(n)}[predictor]


def _weighted_lm(y, v, X, level):
    """lm(yi ~ X - 1, weights = 1/vi): coefficients, SEs, t, p, t quantile (k - 2 df)."""
    from scipy.special import stdtr, stdtrit

    w = 1 / v
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    r = y - X @ coef
    df = y.size - 2
    sigma2 = float((w * r * r).sum() / df)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv((X * w[:, None]).T @ X)))
    tval = coef / se
    return coef, se, tval, 2 * stdtr(df, -np.abs(tval)), float(stdtrit(df, 1 - (1 - level / 100) / 2)), df


def egger_test(res, predictor="sei", model="rma", ni=None):
    """Egger's regression test for funnel-plot asymmetry, as metafor's ``regtest()``.

    Parameters
    ----------
    res : MetaResult
    predictor : {"sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv"}
        Moderator added to the model: standard error (default, Egger's test), variance,
        sample size, its inverse, or their square roots. The sample-size predictors need ``ni``.
    model : {"rma", "lm"}
        ``"rma"`` (metafor's default): a meta-regression with the model's method, test, level
        and control (``res.update(mods=x)``). ``"lm"``: the classic weighted regression
        (weights 1/vi, t test with k - 2 df, residual variance estimated).
    ni : sequence of float, optional
        Sample sizes (required for the "ni" predictors).

    Returns
    -------
    EggerResult
        With a caveat in ``notes`` when k < 10 (Cochrane Handbook 13.3.5.4).

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.9, 0.7, 0.65, 0.5, 0.45, 0.4], [0.3, 0.2, 0.15, 0.1, 0.06, 0.03], test="z")
    >>> e = egger_test(res)
    >>> round(e.zval, 4), e.assessable
    (1.0896, False)
    """
    check_fit(res, "egger_test", kmin=3)
    if predictor not in _PREDICTORS:
        raise ValueError(f"unknown predictor {predictor!r}; expected one of {_PREDICTORS}")
    if model not in ("rma", "lm"):
        raise ValueError(f"model must be 'rma' or 'lm', got {model!r}")
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    k = y.size
    x = _predictor(res, predictor, ni)
    X = np.column_stack([np.ones(k), x])
    if redundant_columns(X):  # R's lm() criterion, as regtest()
        raise ValueError(f"model matrix no longer of full rank after adding the predictor {predictor!r}: it is "
                         "constant across studies to a relative tolerance of 1e-7 (metafor stops here)")
    limit = predictor in ("sei", "vi", "ninv", "sqrtninv")
    caveat = asymmetry_caveat(k, "Egger's test")
    notes = [caveat] if caveat else []
    nan = float("nan")
    if model == "rma":
        fit = res.update(mods=x)
        df = float(k - 2) if res.test in T_TESTS else nan
        return EggerResult(predictor=predictor, model=model, method=res.method, test=res.test,
                           zval=float(fit.zval[1]), pvalue=float(fit.pvalue[1]), df=df,
                           estimate=float(fit.coef[0]) if limit else nan,
                           ci_low=float(fit.ci_low[0]) if limit else nan,
                           ci_high=float(fit.ci_high[0]) if limit else nan,
                           slope=float(fit.coef[1]), k=k, fit=fit, notes=notes)
    coef, se, tval, pval, crit, df = _weighted_lm(y, v, X, res.level)
    return EggerResult(predictor=predictor, model=model, method=res.method, test="t", zval=float(tval[1]),
                       pvalue=float(pval[1]), df=float(df), estimate=float(coef[0]) if limit else nan,
                       ci_low=float(coef[0] - crit * se[0]) if limit else nan,
                       ci_high=float(coef[0] + crit * se[0]) if limit else nan,
                       slope=float(coef[1]), k=k, fit=None, notes=notes)


@dataclass(repr=False)
class RankTestResult(Result):
    """Begg and Mazumdar's rank correlation test (metafor ``ranktest()``).

    ``tau``: Kendall's tau(-b) between the standardized effects and the sampling variances;
    ``pvalue``: two-sided, exact (the permutation distribution of Kendall's statistic, as R's
    ``cor.test(exact = TRUE)``) when there are no ties and k <= :data:`RANK_EXACT_MAX_K`,
    otherwise the normal approximation with the tie-corrected variance (``exact`` says which).
    When one of the two variables is constant (e.g. all vi equal) Kendall's tau is undefined:
    ``tau`` and ``pvalue`` are NaN and ``notes`` says why (metafor: NA, NA, with R's warning "the
    standard deviation is zero"). ``notes`` also holds the small-k caveat below 10 studies.
    """

    tau: float
    pvalue: float
    exact: bool
    k: int
    notes: list = field(default_factory=list)

    _repr_fields = ("k", "tau", "pvalue")

    @property
    def assessable(self) -> bool:
        """False below 10 studies (Cochrane Handbook 13.3.5.4)."""
        return asymmetry_caveat(self.k, "") is None

    def summary(self) -> str:
        if math.isnan(self.tau):
            head = "Rank correlation test for funnel plot asymmetry: not defined"
        else:
            head = (f"Rank correlation test for funnel plot asymmetry (k = {self.k}): Kendall's tau = "
                    f"{fmt_number(self.tau)}, p {_p(self.pvalue)} "
                    f"({'exact' if self.exact else 'normal approximation'})")
        return "\n".join([head] + [f"Note: {n}" for n in self.notes])


def _kendall_test(x, y, exact=True):
    """R's ``cor.test(x, y, method = "kendall", exact = exact)``, two-sided: (tau, p, exact used).

    :func:`scipy.stats.kendalltau` gives R's tau-b and, with ties, R's normal approximation
    with the tie-corrected variance; without ties its exact p-value is R's ``pkendall`` (both
    use the symmetry of Kendall's distribution: 2 P(T <= min(c, n(n-1)/2 - c)), capped at 1).
    """
    from scipy.stats import kendalltau

    n = x.size
    ties = np.unique(x).size < n or np.unique(y).size < n
    use_exact = bool(exact) and not ties and n <= RANK_EXACT_MAX_K
    r = kendalltau(x, y, method="exact" if use_exact else "asymptotic")
    return float(r.statistic), float(r.pvalue), use_exact


def rank_test(res, exact=True):
    """Begg and Mazumdar's rank correlation test, as metafor's ``ranktest()``.

    Kendall's tau between (yi - theta_EE) / sqrt(vi - 1/sum(1/vi)) and vi, where theta_EE is
    the inverse-variance (equal-effects) mean, whatever the model's method. The p-value is
    exact when there are no ties (metafor's default ``exact=TRUE``), else normal.

    Parameters
    ----------
    res : MetaResult
    exact : bool
        Use the exact p-value when there are no ties (metafor's default). Above
        :data:`RANK_EXACT_MAX_K` studies the normal approximation is used instead, with a
        note: the exact distribution costs O(k^3) (metafor's ``cor.test(exact = TRUE)`` would
        compute it, which at k = 10,000 does not finish); at k = 1,000-2,000 the two p-values
        differed by a few parts in 10,000 of p in our checks.

    Returns
    -------
    RankTestResult
        When all vi are equal (or all standardized effects are), one variable is constant and
        the correlation is not defined: tau = p = NaN with a warning and a note, as metafor
        (``NA``). Below 10 studies ``notes`` holds the small-k caveat.

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     r = rank_test(meta_analysis([0.1, 0.5, -0.2, 0.3, 0.9], [0.04] * 5))
    >>> r.tau, r.pvalue
    (nan, nan)
    """
    check_fit(res, "rank_test", kmin=3)
    exact = check_flag(exact, "exact")
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    w = 1 / v
    theta = (w * y).sum() / w.sum()
    vb = 1 / w.sum()
    ystar = (y - theta) / np.sqrt(v - vb)
    k = int(y.size)
    caveat = asymmetry_caveat(k, "the rank correlation test")
    notes = [caveat] if caveat else []
    constant = [name for name, x in (("vi", v), ("standardized yi", ystar)) if np.all(x == x[0])]
    if constant:
        note = (f"all {constant[0]} are equal, so Kendall's tau is not defined (metafor: tau = NA, p = NA, "
                "with R's warning 'the standard deviation is zero')")
        warnings.warn(f"rank_test: {note}", UserWarning, stacklevel=2)
        return RankTestResult(tau=float("nan"), pvalue=float("nan"), exact=bool(exact), k=k, notes=[note] + notes)
    tau, p, used_exact = _kendall_test(ystar, v, exact=exact)
    if exact and not used_exact and k > RANK_EXACT_MAX_K and np.unique(ystar).size == k and np.unique(v).size == k:
        notes.append(f"normal approximation for k = {k} > {RANK_EXACT_MAX_K}: the exact distribution of Kendall's "
                     "statistic (metafor's exact=TRUE) costs O(k^3)")
    return RankTestResult(tau=tau, pvalue=p, exact=used_exact, k=k, notes=notes)
