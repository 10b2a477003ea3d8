"""Sensitivity, influence and small-study diagnostics, with metafor's numbers.

Every function takes a fitted :class:`~ldn_evidence.models.MetaResult` (intercept-only
random- or equal-effects model) and reproduces the metafor 3.8 function named in its
docstring: same rules, same defaults, same numbers (to 1e-6 relative; see docs/sensitivity.md).
They are also available as methods of ``MetaResult`` (``res.leave_one_out()`` ...).

All refits go through the batch core :func:`ldn_evidence.models.rma_batch`: leave-one-out and
influence are one batch of k fits of k - 1 studies, the cumulative analysis one batch of k
fits, GOSH and the permutation test chunks of up to a few hundred thousand fits each. Fits that
fail (metafor's ``try()``) are NaN, as in metafor.

=========================  =====================================  ==========================
function                   metafor                                returns
=========================  =====================================  ==========================
leave_one_out(res)         leave1out(res)                         DataFrame (index = labels)
influence(res)             influence(res)                         DataFrame (index = labels)
baujat(res)                baujat(res) (its returned x, y)        DataFrame (index = labels)
cumulative(res, order)     cumul(res, order)                      DataFrame (index = labels)
egger_test(res, ...)       regtest(res, predictor=, model=)       EggerResult
rank_test(res)             ranktest(res)                          RankTestResult
trim_and_fill(res, ...)    trimfill(res, estimator=, side=)       TrimFillResult
gosh(res, ...)             gosh(res, subsets=)                    DataFrame, one row a subset
permutation_test(res, ..)  permutest(res, iter=, exact=)          PermutationResult
=========================  =====================================  ==========================

numpy is imported at module load, pandas when first needed; distribution functions come from
:mod:`scipy.special`.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .engine.batch import T_TESTS, normalize_test, redundant_columns, rma_batch

__all__ = [
    "leave_one_out", "influence", "baujat", "cumulative", "egger_test", "rank_test", "trim_and_fill", "gosh",
    "permutation_test", "EggerResult", "RankTestResult", "TrimFillResult", "PermutationResult",
]

_EPS = np.finfo(float).eps
#: metafor's permutest() comparison tolerance (control comptol = .Machine$double.eps^0.5)
COMPTOL = _EPS ** 0.5
#: GOSH: all subsets are fitted when there are at most this many (metafor's gosh() rule)
GOSH_EXACT_LIMIT = 10**6


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _check(res, what, kmin=2):
    if not hasattr(res, "yi") or not hasattr(res, "vi") or not hasattr(res, "method"):
        raise TypeError(f"{what}: expected a MetaResult from meta_analysis(), got {type(res).__name__}")
    if res.k < kmin:
        raise ValueError(f"{what}: stopped because k = {res.k} (metafor stops here too)")


def _batch(res, yi, vi, mask=None, X=None, method=None, test=None, level=None, qprofile=False, control="model"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return rma_batch(yi, vi, mask=mask, X=X, method=method or res.method, test=test or res.test,
                             level=res.level if level is None else level, qprofile=qprofile,
                             control=res.control if control == "model" else control)


def _stat_name(test):
    return "tval" if test in T_TESTS else "zval"


def _frame(columns, index, name="study"):
    import pandas as pd

    df = pd.DataFrame(columns, index=pd.Index([str(x) for x in index], name=name))
    return df


def _fit_columns(b, test):
    """The columns metafor's leave1out()/cumul() report, from a BatchFit."""
    return {
        "estimate": b.beta[:, 0], "se": b.se[:, 0], _stat_name(test): b.stat[:, 0], "pvalue": b.pval[:, 0],
        "ci_low": b.ci_low[:, 0], "ci_high": b.ci_high[:, 0], "q": np.where(b.converged, b.q, np.nan),
        "q_pvalue": np.where(b.converged, b.q_pvalue, np.nan), "tau2": b.tau2, "i2": b.i2, "h2": b.h2,
    }


def _leave_one_out_batch(res):
    k = res.k
    mask = ~np.eye(k, dtype=bool)
    y = np.broadcast_to(res.yi, (k, k))
    v = np.broadcast_to(res.vi, (k, k))
    return _batch(res, y, v, mask=mask)


# ---------------------------------------------------------------------------------------------
# leave-one-out, influence, Baujat, cumulative
# ---------------------------------------------------------------------------------------------


def leave_one_out(res):
    """Leave-one-out analysis, as metafor's ``leave1out()``.

    One batch of k fits of k - 1 studies with the model's method, test and level. Returns a
    DataFrame indexed by the omitted study's label with columns ``estimate, se, zval`` (``tval``
    under t, knha and adhoc), ``pvalue, ci_low, ci_high, q, q_pvalue, tau2, i2, h2``. A fit that fails
    (metafor's ``try()``) is a row of NaN.
    """
    _check(res, "leave_one_out")
    b = _leave_one_out_batch(res)
    return _frame(_fit_columns(b, res.test), res.labels)


def influence(res):
    """Case-deletion influence diagnostics, as metafor's ``influence.rma.uni()``.

    Columns (index = study labels): ``rstudent`` (externally studentized residual),
    ``dffits``, ``cooks_d`` (Cook's distance), ``cov_r`` (covariance ratio), ``tau2_del`` and
    ``qe_del`` (tau^2 and Q without the study), ``hat`` (leverage), ``weight`` (percent),
    ``dfbetas``, and ``inf`` (bool): metafor's "*" flag, i.e. |dffits| > 3 sqrt(p/(k-p)), or
    pchisq(cooks_d, 1) > 0.5, or hat > 3p/k, or |dfbetas| > 1 (p = 1). Under knha the
    deleted fits' Knapp-Hartung factors scale the statistics exactly as in metafor.
    """
    _check(res, "influence")
    from scipy.special import chdtr

    k, p = res.k, 1
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    b = _leave_one_out_batch(res)
    beta = res.estimate
    vb = res.se ** 2                                  # the full model's vb (knha-scaled, as metafor)
    w = 1.0 / (v + res.tau2)
    hat = w / w.sum()
    hat = np.where(hat > 1 - 10 * _EPS, 1.0, hat)
    weight = 100.0 * w / w.sum()
    with np.errstate(all="ignore"):
        beta_del = b.beta[:, 0]
        vb_del = b.vb[:, 0, 0]                        # knha-scaled, as res$vb
        tau2_del = b.tau2
        s2w = b.s2w
        resid = y - beta_del
        resid = np.where(np.abs(resid) < 100 * _EPS, 0.0, resid)
        se_resid = np.sqrt(v * s2w + vb_del + tau2_del * s2w)
        rstudent = resid / se_resid
        dfb = beta - beta_del
        dffits = dfb / np.sqrt(s2w * hat * (tau2_del + v))
        vb_del_full = 1.0 / (1.0 / (v[None, :] + tau2_del[:, None])).sum(axis=1)   # X'W(tau2_del)X over all k
        dfbetas = dfb / np.sqrt(s2w * vb_del_full)
        cooks = dfb * dfb / vb
        cov_r = vb_del / vb
        flag = ((np.abs(dffits) > 3 * math.sqrt(p / (k - p))) | (chdtr(1, cooks) > 0.5) | (hat > 3 * p / k)
                | (np.abs(dfbetas) > 1))
    return _frame({"rstudent": rstudent, "dffits": dffits, "cooks_d": cooks, "cov_r": cov_r, "tau2_del": tau2_del,
                   "qe_del": np.where(b.converged, b.q, np.nan), "hat": hat, "weight": weight, "dfbetas": dfbetas,
                   "inf": flag}, res.labels)


def baujat(res):
    """Baujat et al. (2002) coordinates, as the data frame metafor's ``baujat()`` returns.

    ``x``: squared Pearson residual (yi - estimate)^2 / (tau^2 + vi) (the study's contribution
    to Q under EE); ``y``: influence on the pooled result, (estimate_(-i) - estimate)^2 /
    Var(estimate_(-i)) with the leave-one-out variance (knha-scaled under knha, as metafor).
    Index = study labels.
    """
    _check(res, "baujat")
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    b = _leave_one_out_batch(res)
    with np.errstate(all="ignore"):
        xs = (y - res.estimate) ** 2 / (res.tau2 + v)
        ys = (b.beta[:, 0] - res.estimate) ** 2 / b.vb[:, 0, 0]
    return _frame({"x": xs, "y": ys}, res.labels)


def cumulative(res, order=None, *, by=None):
    """Cumulative meta-analysis, as metafor's ``cumul()``.

    Parameters
    ----------
    order : sequence of int, optional
        Study indices (0-based) in the order in which they enter, e.g. ``np.argsort(year,
        kind="stable")``. Default: the order of the data.
    by : sequence, optional
        Alternatively a sort key (metafor 3.8's ``order=`` argument, e.g. the years): studies
        enter in stably sorted order of ``by``.

    Returns a DataFrame, one row per step (index = label of the study added), with ``k``, the
    columns of :func:`leave_one_out` and the prediction interval (``pi_low``, ``pi_high``). Step 1
    is the first study alone (tau^2 = 0, z test, as metafor).
    """
    _check(res, "cumulative", kmin=1)
    k = res.k
    if order is not None and by is not None:
        raise ValueError("give either order (indices) or by (a sort key), not both")
    if by is not None:
        key = np.asarray(by)
        if key.shape != (k,):
            raise ValueError(f"by has {key.size} values but there are {k} studies")
        order = np.argsort(key, kind="stable")
    elif order is None:
        order = np.arange(k)
    order = np.asarray(order)
    if order.shape != (k,) or not np.array_equal(np.sort(order), np.arange(k)):
        raise ValueError(f"order must be a permutation of the study indices 0..{k - 1}")
    y = np.asarray(res.yi, float)[order]
    v = np.asarray(res.vi, float)[order]
    mask = np.tri(k, dtype=bool)
    b = _batch(res, np.broadcast_to(y, (k, k)), np.broadcast_to(v, (k, k)), mask=mask)
    cols = {"k": np.arange(1, k + 1)}
    cols.update(_fit_columns(b, res.test))
    cols[_stat_name(res.test)] = b.stat[:, 0]
    cols["pi_low"], cols["pi_high"] = b.pi_low, b.pi_high
    return _frame(cols, [res.labels[i] for i in order])


# ---------------------------------------------------------------------------------------------
# small-study effects: Egger's regression test, Begg's rank test, trim and fill
# ---------------------------------------------------------------------------------------------


@dataclass
class EggerResult:
    """Regression test for funnel-plot asymmetry (metafor ``regtest()``).

    ``zval`` is the test statistic of the predictor's coefficient (a t statistic under knha
    or ``model="lm"``; also available as ``z`` and ``t``), ``df`` its degrees of freedom (NaN
    for z), ``pvalue`` two-sided. ``estimate``/``ci_low``/``ci_high`` are the limit estimate
    (the intercept: the effect as the predictor goes to 0) for predictors sei, vi, ninv and
    sqrtninv, NaN otherwise. ``slope`` is the predictor's coefficient.
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

    @property
    def z(self):
        return self.zval

    @property
    def t(self):
        return self.zval

    @property
    def ci(self):
        return (self.ci_low, self.ci_high)

    def __str__(self):
        stat = "z" if self.test == "z" and self.model == "rma" else "t"
        df = "" if math.isnan(self.df) else f", df = {self.df:g}"
        kind = "mixed-effects meta-regression model" if self.model == "rma" else "weighted regression (multiplicative dispersion)"
        lines = [f"Regression test for funnel plot asymmetry ({kind}; predictor: {self.predictor})",
                 f"Test for funnel plot asymmetry: {stat} = {self.zval:.4f}{df}, p = {self.pvalue:.4f}"]
        if not math.isnan(self.estimate):
            lines.append(f"Limit estimate (as predictor -> 0): {self.estimate:.4f} "
                         f"(CI: {self.ci_low:.4f}, {self.ci_high:.4f})")
        return "\n".join(lines)


_PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")


def egger_test(res, predictor="sei", model="rma", ni=None):
    """Egger's regression test for funnel-plot asymmetry, as metafor's ``regtest()``.

    Parameters
    ----------
    predictor : {"sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv"}
        Moderator added to the model: standard error (default, Egger's test), variance,
        sample size, its inverse, or their square roots. The sample-size predictors need ``ni``.
    model : {"rma", "lm"}
        ``"rma"`` (metafor's default): a meta-regression with the model's method, test, level
        and control. ``"lm"``: the classic weighted regression (weights 1/vi, t test with k - 2
        df, residual variance estimated).
    ni : sequence of float, optional
        Sample sizes (required for the "ni" predictors).
    """
    _check(res, "egger_test", kmin=3)
    if predictor not in _PREDICTORS:
        raise ValueError(f"unknown predictor {predictor!r}; expected one of {_PREDICTORS}")
    if model not in ("rma", "lm"):
        raise ValueError("model must be 'rma' or 'lm'")
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    k = y.size
    if predictor in ("sei", "vi"):
        x = np.sqrt(v) if predictor == "sei" else v
    else:
        if ni is None:
            raise ValueError(f"predictor {predictor!r} needs the sample sizes: egger_test(..., ni=...)")
        n = np.asarray(ni, float)
        if n.shape != (k,) or not np.all(np.isfinite(n)) or np.any(n <= 0):
            raise ValueError(f"ni must be {k} positive finite sample sizes")
        x = {"ni": n, "ninv": 1 / n, "sqrtni": np.sqrt(n), "sqrtninv": 1 / np.sqrt(n)}[predictor]
    X = np.column_stack([np.ones(k), x])
    if redundant_columns(X):  # R's lm() criterion, as regtest()
        raise ValueError(f"model matrix no longer of full rank after adding the predictor {predictor!r}: it is "
                         "constant across studies to a relative tolerance of 1e-7 (metafor stops here)")
    limit = predictor in ("sei", "vi", "ninv", "sqrtninv")
    from scipy.special import stdtr, stdtrit

    alpha = 1 - res.level / 100 if res.level > 1 else 1 - res.level
    if model == "rma":
        from .models import meta_regression

        fit = meta_regression(y, v, x, method=res.method, test=res.test, level=res.level, labels=res.labels,
                              control=res.control)
        df = float(k - 2) if res.test in T_TESTS else float("nan")
        return EggerResult(predictor=predictor, model=model, method=res.method, test=res.test,
                           zval=float(fit.zval[1]), pvalue=float(fit.pvalue[1]), df=df,
                           estimate=float(fit.coef[0]) if limit else float("nan"),
                           ci_low=float(fit.ci_low[0]) if limit else float("nan"),
                           ci_high=float(fit.ci_high[0]) if limit else float("nan"),
                           slope=float(fit.coef[1]), k=k, fit=fit)
    # weighted least squares with weights 1/vi, as lm(yi ~ X - 1, weights = 1/vi)
    w = 1 / v
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    r = y - X @ coef
    df = k - 2
    sigma2 = float((w * r * r).sum() / df)
    cov = sigma2 * np.linalg.inv((X * w[:, None]).T @ X)
    se = np.sqrt(np.diag(cov))
    tval = coef / se
    pval = 2 * stdtr(df, -np.abs(tval))
    crit = stdtrit(df, 1 - alpha / 2)
    return EggerResult(predictor=predictor, model=model, method=res.method, test="t", zval=float(tval[1]),
                       pvalue=float(pval[1]), df=float(df),
                       estimate=float(coef[0]) if limit else float("nan"),
                       ci_low=float(coef[0] - crit * se[0]) if limit else float("nan"),
                       ci_high=float(coef[0] + crit * se[0]) if limit else float("nan"),
                       slope=float(coef[1]), k=k, fit=None)


@dataclass
class RankTestResult:
    """Begg and Mazumdar's rank correlation test (metafor ``ranktest()``).

    ``tau``: Kendall's tau(-b) between the standardized effects and the sampling variances;
    ``pvalue``: two-sided, exact (the permutation distribution of Kendall's statistic, as R's
    ``cor.test(exact = TRUE)``) when there are no ties, otherwise the normal approximation
    with the tie-corrected variance (``exact`` says which). When one of the two variables is
    constant (e.g. all vi equal) Kendall's tau is undefined: ``tau`` and ``pvalue`` are NaN and
    ``notes`` says why (metafor: NA, NA, with R's warning "the standard deviation is zero").
    """

    tau: float
    pvalue: float
    exact: bool
    k: int
    notes: list = field(default_factory=list)

    def __str__(self):
        if math.isnan(self.tau):
            return "Rank correlation test for funnel plot asymmetry: not defined (" + "; ".join(self.notes) + ")"
        return (f"Rank correlation test for funnel plot asymmetry: Kendall's tau = {self.tau:.4f}, "
                f"p = {self.pvalue:.4f} ({'exact' if self.exact else 'normal approximation, ties'})")


def _kendall_cdf(q, n):
    """P(T <= q) for the number T of concordant pairs among n untied pairs (R's pkendall)."""
    q = math.floor(q + 1e-7)
    top = n * (n - 1) // 2
    if q < 0:
        return 0.0
    if q > top:
        return 1.0
    dist = np.ones(1)
    for i in range(2, n + 1):              # Mahonian numbers / i!, by a sliding-window convolution
        c = np.concatenate([[0.0], np.cumsum(dist)])
        size = dist.size + i - 1
        idx = np.arange(size)
        hi = np.minimum(idx, dist.size - 1) + 1
        lo = np.maximum(idx - (i - 1), 0)
        dist = (c[hi] - c[lo]) / i
    return float(min(1.0, dist[: q + 1].sum()))


def _kendall_test(x, y, exact=True):
    """R's cor.test(x, y, method = "kendall", exact = exact), two-sided: (tau, p, exact_used)."""
    from scipy.special import ndtr

    n = x.size
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(n, 1)
    s = float((dx[iu] * dy[iu]).sum())
    _, cx = np.unique(x, return_counts=True)
    _, cy = np.unique(y, return_counts=True)
    t0 = n * (n - 1) / 2
    xt, yt = cx[cx > 1].astype(float), cy[cy > 1].astype(float)
    t1 = (xt * (xt - 1)).sum() / 2
    t2 = (yt * (yt - 1)).sum() / 2
    tau = s / math.sqrt((t0 - t1) * (t0 - t2))
    ties = min(cx.size, cy.size) < n
    if exact and not ties:
        q = round((tau + 1) * n * (n - 1) / 4)
        if q > n * (n - 1) / 4:
            p = 1 - _kendall_cdf(q - 1, n)
        else:
            p = _kendall_cdf(q, n)
        return tau, min(2 * p, 1.0), True
    v0 = n * (n - 1) * (2 * n + 5)
    vt = (xt * (xt - 1) * (2 * xt + 5)).sum()
    vu = (yt * (yt - 1) * (2 * yt + 5)).sum()
    v1 = (xt * (xt - 1)).sum() * (yt * (yt - 1)).sum()
    v2 = (xt * (xt - 1) * (xt - 2)).sum() * (yt * (yt - 1) * (yt - 2)).sum()
    var_s = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + v2 / (9 * n * (n - 1) * (n - 2))
    z = s / math.sqrt(var_s)
    return tau, float(2 * min(ndtr(z), ndtr(-z))), False


def rank_test(res, exact=True):
    """Begg and Mazumdar's rank correlation test, as metafor's ``ranktest()``.

    Kendall's tau between (yi - theta_EE) / sqrt(vi - 1/sum(1/vi)) and vi, where theta_EE is
    the inverse-variance (equal-effects) mean, whatever the model's method. The p-value is
    exact when there are no ties (metafor's default ``exact=TRUE``), else normal.

    When all vi are equal (or all standardized effects are), one variable is constant and the
    correlation is not defined: tau = p = NaN with a warning and a note, as metafor (``NA``).

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
    _check(res, "rank_test", kmin=3)
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    w = 1 / v
    theta = (w * y).sum() / w.sum()
    vb = 1 / w.sum()
    ystar = (y - theta) / np.sqrt(v - vb)
    constant = [name for name, x in (("vi", v), ("standardized yi", ystar)) if np.all(x == x[0])]
    if constant:
        note = (f"all {constant[0]} are equal, so Kendall's tau is not defined (metafor: tau = NA, p = NA, "
                "with R's warning 'the standard deviation is zero')")
        warnings.warn(f"rank_test: {note}", UserWarning, stacklevel=2)
        return RankTestResult(tau=float("nan"), pvalue=float("nan"), exact=bool(exact), k=int(y.size), notes=[note])
    tau, p, ex = _kendall_test(ystar, v, exact=exact)
    return RankTestResult(tau=float(tau), pvalue=float(p), exact=ex, k=int(y.size))


@dataclass
class TrimFillResult:
    """Trim and fill (Duval and Tweedie 2000), as metafor's ``trimfill()``.

    ``k0``: number of studies imputed, ``se_k0`` its SE, ``side`` ("left"/"right": where the
    missing studies were imputed), ``estimator`` ("L0", "R0", "Q0"), ``p_k0`` (R0 only: the
    test of k0 = 0). ``estimate, se, zval, pvalue, ci_low, ci_high, tau2, i2, q`` come from
    ``result``: the :class:`MetaResult` of the filled data (observed then filled studies;
    ``filled`` marks the imputed ones, labelled "Filled 1", ...). ``yi``/``vi`` are the filled
    data. With k0 = 0 ``result`` is the original model.
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

    def __getattr__(self, name):
        if name in ("estimate", "se", "zval", "tval", "pvalue", "ci_low", "ci_high", "tau2", "i2", "h2", "q",
                    "q_pvalue", "pi_low", "pi_high", "method", "test", "level", "k"):
            return getattr(self.__dict__["result"], name)
        raise AttributeError(name)

    @property
    def fill_yi(self):
        return self.yi[self.filled]

    @property
    def fill_vi(self):
        return self.vi[self.filled]

    def __str__(self):
        lines = [f"Trim and fill ({self.estimator}): estimated number of missing studies on the {self.side} side: "
                 f"{self.k0} (SE = {self.se_k0:.4f})"]
        if self.estimator == "R0":
            lines[0] += f", p(k0 = 0) = {self.p_k0:.4f}"
        lines.append(str(self.result).rstrip())
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def trim_and_fill(res, estimator="L0", side=None, *, maxiter=100, test=None, level=None):
    """Trim and fill, as metafor's ``trimfill()``.

    Parameters
    ----------
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
    _check(res, "trim_and_fill")
    if estimator not in ("L0", "R0", "Q0"):
        raise ValueError("estimator must be 'L0', 'R0' or 'Q0'")
    from .models import ConvergenceError, meta_analysis

    test = None if test is None else normalize_test(test)
    yi, vi = np.asarray(res.yi, float), np.asarray(res.vi, float)
    k = yi.size
    notes = []
    if side is None:
        X = np.column_stack([np.ones(k), np.sqrt(vi)])
        if redundant_columns(X):
            raise ValueError("trim_and_fill: all vi are equal (to a relative tolerance of 1e-7), so the side cannot "
                             "be chosen from the slope of the regression on sqrt(vi) (metafor stops with an error "
                             "here); pass side='left' or side='right'")
        b = _batch(res, yi, vi, X=X, test="z", control=None)
        if not b.converged[0]:
            raise ConvergenceError(f"trim_and_fill: the {res.method} meta-regression on sqrt(vi) that chooses the "
                                   "side did not converge (metafor stops here); pass side='left' or 'right'")
        side = "right" if b.beta[0, 1] < 0 else "left"
    elif side not in ("left", "right"):
        raise ValueError("side must be 'left', 'right' or None")
    ys = -yi if side == "right" else yi.copy()
    ix = np.argsort(ys, kind="stable")
    ys, vs = ys[ix], vi[ix]
    k0, k0_prev, it = 0, -1, 0
    se_k0 = float("nan")
    beta = float("nan")
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ConvergenceError("Trim and fill algorithm did not converge (as metafor)")
        b = _batch(res, ys[: k - k0], vs[: k - k0], test="z", level=95.0, control=None)
        if not b.converged[0]:
            raise ConvergenceError(f"trim_and_fill: the {res.method} fit of the trimmed data did not converge "
                                   "(metafor stops here)")
        beta = float(b.beta[0, 0])
        yc = ys - beta
        rank = np.empty(k)
        rank[np.argsort(np.abs(yc), kind="stable")] = np.arange(1, k + 1)
        rs = np.sign(yc) * rank
        if estimator == "R0":
            neg = -rs[rs < 0]
            if neg.size == 0:
                raise ValueError("trim_and_fill R0: no study below the estimate (metafor fails here too)")
            k0f = (k - neg.max()) - 1
            se = math.sqrt(2 * max(0.0, k0f) + 2)
        else:
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
                se = float("nan")             # R: sqrt() of a negative number is NaN (with a warning)
            elif estimator == "L0":
                se = 4 * math.sqrt(var_sr) / (2 * k - 1)
            else:
                se = 2 * math.sqrt(var_sr) / math.sqrt(den) if den > 0 else float("inf")
        k0 = int(max(0, round(k0f)))          # round half to even, as R
        se_k0 = se if math.isnan(se) else max(0.0, se)   # R's max(0, NaN) is NaN
    if math.isnan(se_k0):
        notes.append("SE of k0 not available: the variance of the rank statistic S_r from Duval and Tweedie's formula "
                     "is negative at this k0 (metafor gives se.k0 = NaN)")
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else float("nan")
    labels = list(res.labels)
    if k0 > 0:
        fill = 2 * beta - ys[k - k0:]
        if side == "right":
            fill = -fill
        yf = np.concatenate([yi, fill])
        vf = np.concatenate([vi, vs[k - k0:]])
        labels = labels + [f"Filled {i + 1}" for i in range(k0)]
        t = "z" if test is None else test
        lv = 95.0 if level is None else level
        if test is None and res.test != "z":
            notes.append(f"the filled data are refitted with a z test ({lv:g}%), as metafor 3.8-1's trimfill() does; "
                         f"pass test={res.test!r} to keep the model's test")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = meta_analysis(yf, vf, method=res.method, test=t, level=lv, labels=labels)
        filled = np.r_[np.zeros(k, bool), np.ones(k0, bool)]
    else:
        yf, vf, fitted = yi.copy(), vi.copy(), res
        if (test is not None and test != res.test) or (level is not None and level != res.level):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = meta_analysis(yi, vi, method=res.method, test=test or res.test,
                                       level=level or res.level, labels=labels, control=res.control)
        filled = np.zeros(k, bool)
    return TrimFillResult(k0=k0, se_k0=float(se_k0), side=side, estimator=estimator, p_k0=float(p_k0), yi=yf, vi=vf,
                          filled=filled, labels=labels, result=fitted, iterations=it, notes=notes)


# ---------------------------------------------------------------------------------------------
# GOSH
# ---------------------------------------------------------------------------------------------


def _masks_from_codes(codes, k):
    return ((codes[:, None] >> np.arange(k, dtype=np.int64)) & 1).astype(bool)


def gosh(res, max_subsets=None, seed=None, *, chunk_size=None):
    """Graphical display of study heterogeneity (Olkin et al. 2012), as metafor's ``gosh()``.

    Fits the model (same method) to every non-empty subset of the studies when there are at
    most ``max_subsets`` of them (default 10**6, metafor's rule), otherwise to ``max_subsets``
    (default 10**6) random subsets (each study in with probability 1/2, empty subsets
    redrawn: the distribution of metafor's sampling), seeded by ``seed``.

    Returns a DataFrame, one row per subset, ordered as metafor's (by k; within k, all
    subsets in the order of their bitmask, i.e. ``expand.grid`` order): ``k, q, i2, h2, tau2,
    estimate``, ``subset`` (the bitmask: bit j set when study j is in; only for k <= 62) and
    one boolean column per study, named by its label (``"study <label>"`` if the label
    clashes with a statistic's name). ``df.attrs`` holds ``exact``, ``method``, ``labels``.
    Failed fits are NaN (metafor drops them from its plot).

    For DL and EE, I^2 = max(0, 100 (Q - (k-1)) / Q) and H^2 = Q / (k-1), as metafor's
    fast path in gosh() (so H^2 < 1 when Q < k-1, unlike rma()); for the other methods I^2
    and H^2 are those of the fitted model.
    """
    _check(res, "gosh")
    import pandas as pd

    k = res.k
    n_all = 2.0**k - 1
    limit = GOSH_EXACT_LIMIT if max_subsets is None else int(round(max_subsets))
    if limit < 2:
        raise ValueError("max_subsets must be >= 2")
    exact = n_all <= limit
    if exact:
        codes = np.arange(1, 2**k, dtype=np.int64)
        incl = _masks_from_codes(codes, k)
        order = np.argsort(incl.sum(axis=1), kind="stable")
        incl = incl[order]
    else:
        rng = np.random.default_rng(seed)
        incl = rng.random((limit, k)) < 0.5
        empty = ~incl.any(axis=1)
        while empty.any():
            incl[empty] = rng.random((int(empty.sum()), k)) < 0.5
            empty = ~incl.any(axis=1)
        incl = incl[np.argsort(incl.sum(axis=1), kind="stable")]
    m = incl.shape[0]
    y = np.asarray(res.yi, float)
    v = np.asarray(res.vi, float)
    est = np.empty(m)
    tau2 = np.empty(m)
    q = np.empty(m)
    i2 = np.empty(m)
    h2 = np.empty(m)
    step = chunk_size or max(1024, 1_500_000 // max(k, 1))
    for a in range(0, m, step):
        mk = incl[a:a + step]
        b = _batch(res, np.broadcast_to(y, mk.shape), np.broadcast_to(v, mk.shape), mask=mk, test="z")
        est[a:a + step] = b.beta[:, 0]
        tau2[a:a + step] = b.tau2
        q[a:a + step] = np.where(b.converged, b.q, np.nan)
        i2[a:a + step] = b.i2
        h2[a:a + step] = b.h2
    kk = incl.sum(axis=1)
    if res.method in ("DL", "EE"):
        with np.errstate(all="ignore"):
            df = kk - 1.0
            i2 = np.where(kk > 1, np.maximum(0.0, 100 * (q - df) / q), 0.0)
            h2 = np.where(kk > 1, q / df, 1.0)
    cols = {"k": kk, "q": q, "i2": i2, "h2": h2, "tau2": tau2, "estimate": est}
    if k <= 62:
        cols["subset"] = (incl.astype(np.int64) << np.arange(k, dtype=np.int64)).sum(axis=1)
    out = pd.DataFrame(cols)
    names = []
    for lab in res.labels:
        name = str(lab)
        if name in cols or name in names:
            name = f"study {name}"
        while name in names:
            name += "'"
        names.append(name)
    out = pd.concat([out, pd.DataFrame(incl, columns=names)], axis=1)
    out.attrs.update({"exact": bool(exact), "method": res.method, "labels": list(res.labels),
                      "study_columns": names})
    return out


# ---------------------------------------------------------------------------------------------
# permutation test
# ---------------------------------------------------------------------------------------------


@dataclass
class PermutationResult:
    """Permutation test of the pooled effect (metafor ``permutest()``, intercept-only model).

    ``pvalue``: share of the sign-flipped data sets whose |z| (t under t, knha and adhoc) is at
    least the observed |z| (minus metafor's tolerance sqrt(eps)); ``qm_pvalue`` the same for QM
    (z^2, or the F statistic under t, knha and adhoc).
    ``exact``: all 2^k sign patterns were used (metafor's rule:
    when 2^k <= n). ``n``: number of permutations (2^k if exact); ``zval``/``estimate`` the
    observed statistic and estimate; ``zval_perm``/``beta_perm`` the permutation distribution
    (NaN for failed fits, which are left out of the p-values as metafor's ``na.rm``).
    ``mc_se``: Monte Carlo standard error of ``pvalue`` (0 if exact).
    """

    pvalue: float
    qm_pvalue: float
    exact: bool
    n: int
    zval: float
    estimate: float
    test: str
    method: str
    zval_perm: np.ndarray = field(repr=False)
    beta_perm: np.ndarray = field(repr=False)
    n_failed: int = 0
    seed: object = None

    @property
    def mc_se(self):
        return 0.0 if self.exact else math.sqrt(self.pvalue * (1 - self.pvalue) / max(self.n, 1))

    def __str__(self):
        stat = "t" if self.test in T_TESTS else "z"
        kind = "exact" if self.exact else f"approximate, MC SE {self.mc_se:.4f}"
        return (f"Permutation test ({self.n} sign permutations, {kind}): observed {stat} = {self.zval:.4f}, "
                f"permutation p = {self.pvalue:.4f}")


def permutation_test(res, n=1000, seed=None, *, exact=None, chunk_size=None):
    """Permutation test for the pooled effect, as metafor's ``permutest()`` for intercept-only
    models: the signs of the yi are flipped and the model (same method, test, level) refitted.

    Parameters
    ----------
    n : int
        Number of random sign patterns (metafor's ``iter``). When 2^k <= n all 2^k patterns
        are used and the test is exact (metafor's rule).
    seed : int or numpy Generator, optional
        For the random patterns. The first pattern is the observed data (metafor).
    exact : bool, optional
        Force the exact test (True) regardless of ``n``.

    A random pattern whose fit fails is redrawn (metafor's loop); in the exact test a failed
    fit is left out (NaN).
    """
    _check(res, "permutation_test")
    n = int(round(n))
    if n <= 1:
        raise ValueError("n must be >= 2")
    k = res.k
    y = np.asarray(res.yi, float)
    v = np.asarray(res.vi, float)
    obs_z = res.zval
    obs_qm = obs_z * obs_z
    use_exact = bool(exact) or 2.0**k <= n
    if use_exact and k > 26:
        raise ValueError(f"exact permutation test would need 2^{k} fits")
    step = chunk_size or max(1024, 1_000_000 // k)

    def fit(signs):
        z = np.empty(signs.shape[0])
        bt = np.empty(signs.shape[0])
        ok = np.empty(signs.shape[0], bool)
        for a in range(0, signs.shape[0], step):
            s = signs[a:a + step]
            b = _batch(res, s * y, np.broadcast_to(v, s.shape))
            z[a:a + step] = b.stat[:, 0]
            bt[a:a + step] = b.beta[:, 0]
            ok[a:a + step] = b.converged
        return z, bt, ok

    if use_exact:
        total = 2**k
        zp = np.empty(total)
        bp = np.empty(total)
        okp = np.empty(total, bool)
        for a in range(0, total, step):
            codes = np.arange(a, min(total, a + step), dtype=np.int64)
            signs = 1.0 - 2.0 * _masks_from_codes(codes, k)
            zp[a:a + codes.size], bp[a:a + codes.size], okp[a:a + codes.size] = fit(signs)
        n_used = total
        n_failed = int((~okp).sum())
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        signs = np.where(rng.random((n, k)) < 0.5, -1.0, 1.0)
        zp, bp, okp = fit(signs)
        n_failed = int((~okp).sum())
        for _ in range(100):                 # redraw failed patterns, as metafor's while loop
            bad = np.flatnonzero(~okp)
            if bad.size == 0:
                break
            s = np.where(rng.random((bad.size, k)) < 0.5, -1.0, 1.0)
            zp[bad], bp[bad], okp[bad] = fit(s)
        zp[0], bp[0], okp[0] = obs_z, res.estimate, True
        n_used = n
    zp = np.where(okp, zp, np.nan)
    bp = np.where(okp, bp, np.nan)
    good = okp
    p = float(np.mean(np.abs(zp[good]) >= abs(obs_z) - COMPTOL)) if good.any() else float("nan")
    qmp = float(np.mean(zp[good] ** 2 >= obs_qm - COMPTOL)) if good.any() else float("nan")
    return PermutationResult(pvalue=min(p, 1.0), qm_pvalue=qmp, exact=use_exact, n=n_used, zval=float(obs_z),
                             estimate=float(res.estimate), test=res.test, method=res.method, zval_perm=zp,
                             beta_perm=bp, n_failed=n_failed, seed=seed)
