"""Batch core: fit many random-effects models at once, with metafor's rules.

Every public statistic of the engine is computed here, on arrays, for ``m`` meta-analyses
at once. A meta-analysis is one row of the ``(m, k)`` arrays ``yi`` and ``vi``; a boolean
``mask`` of the same shape says which studies are present in each row (absent studies get
weight zero and are ignored everywhere). This is what leave-one-out, influence diagnostics,
cumulative meta-analysis, GOSH plots and permutation tests need: build the masks, call
:func:`rma_batch` (in chunks of rows when there are many; see :mod:`ldn_evidence.diagnostics`).

:func:`rma_batch` runs named steps: check and mask the data (:func:`_prepare`), estimate tau^2
with one function per estimator family (:mod:`.estimators`: the closed forms HS, HE, DL, SJ;
ML, REML and EB by Fisher scoring; PM by root finding), then the fixed effects and their test
(:func:`_fixed_effects`), the omnibus test of the moderators (:func:`_moderator_test`), the
heterogeneity statistics (:func:`_heterogeneity`), the prediction interval and the Q-profile
interval for tau^2 (:mod:`.qprofile`). The weighted least-squares quantities come from
:mod:`.kernels` (closed O(k) forms for intercept-only models).

The iterative estimators iterate all rows simultaneously and freeze the rows that have
converged; there is no Python loop over fits. All formulas follow metafor 3.8's ``rma.uni()``,
``confint.rma.uni()`` and ``predict.rma()`` (Viechtbauer 2005, 2007, 2010): Fisher scoring
starting at the Hedges (HE) estimate, convergence when the change in tau^2 is <= ``threshold``
(1e-5, absolute) within ``maxiter`` (100) iterations, step halving to keep tau^2 >= 0, the
ML/REML check of the likelihood at tau^2 = 0, Paule-Mandel and Q-profile roots with R's
``uniroot()`` steps (absolute tolerance ``.Machine$double.eps^0.25``), truncation of tau^2 at 0.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import special as sp

from ..vocabulary import KH_TESTS, METHODS, T_TESTS, TESTS, check_level, normalize_method, normalize_test  # noqa: F401
from .estimators import FitData, tau2_likelihood, tau2_moment, tau2_paule_mandel
from .kernels import GeneralKernel, InterceptKernel, redundant_columns  # noqa: F401 (redundant_columns re-exported)
from .qprofile import q_profile
from .zeroin import EPS, R_TOL

__all__ = ["rma_batch", "BatchFit", "tau2_profile_ci", "check_control", "redundant_columns", "DEFAULT_CONTROL",
           "METHODS", "TESTS", "T_TESTS", "KH_TESTS", "normalize_method", "normalize_test"]

#: the names the kernels had before they moved to :mod:`.kernels`
_InterceptKernel, _GeneralKernel = InterceptKernel, GeneralKernel

DEFAULT_CONTROL = {
    "threshold": 1e-5,  # Fisher scoring convergence threshold (absolute change in tau^2)
    "maxiter": 100,  # Fisher scoring iterations; uniroot maxiter for PM
    "stepadj": 1.0,  # step adjustment for Fisher scoring
    "tau2_init": None,  # starting value for ML/REML/EB (default: HE estimate truncated at 0); SJ's tau2_0
    "tol": R_TOL,  # uniroot tolerance (PM, Q-profile) and ll0check tolerance
    "ll0check": True,  # ML/REML: compare the likelihood at tau^2 = 0
    "tau2_max": None,  # PM upper search bound (default max(100, 10*mad(yi)^2))
    "qprofile_maxiter": 1000,  # uniroot maxiter in confint.rma.uni
}


def check_control(control) -> dict:
    """:data:`DEFAULT_CONTROL` with the overrides in ``control``, each checked.

    Raises
    ------
    ValueError
        For a ``control`` that is not a dict, an unknown setting, or a value of the wrong kind
        (naming the setting): ``threshold``, ``stepadj``, ``tol`` positive finite numbers;
        ``maxiter``, ``qprofile_maxiter`` positive integers; ``ll0check`` a bool; ``tau2_init``
        and ``tau2_max`` None or finite numbers (>= 0; > 0 for ``tau2_max``), or arrays of them.

    Examples
    --------
    >>> check_control({"maxiter": 500})["maxiter"]
    500
    >>> check_control({"maxiter": "many"})
    Traceback (most recent call last):
    ...
    ValueError: control['maxiter'] must be a positive integer, got 'many'
    """
    con = dict(DEFAULT_CONTROL)
    if control is None:
        return con
    if not isinstance(control, Mapping):
        raise ValueError(f"control must be a dict of iteration settings ({', '.join(DEFAULT_CONTROL)}), "
                         f"got {type(control).__name__} {control!r:.60}")
    unknown = set(control) - set(con)
    if unknown:
        raise ValueError(f"unknown control option(s): {sorted(map(str, unknown))}; known: {', '.join(DEFAULT_CONTROL)}")
    for key, value in control.items():
        con[key] = _control_value(key, value)
    return con


def _is_number(x):
    return not isinstance(x, (bool, np.bool_)) and isinstance(x, (int, float, np.integer, np.floating))


def _control_value(key, value):
    bad = f"control[{key!r}] must be "
    if key in ("threshold", "stepadj", "tol"):
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise ValueError(bad + f"a positive finite number, got {value!r}")
        return float(value)
    if key in ("maxiter", "qprofile_maxiter"):
        if not _is_number(value) or not float(value).is_integer() or value < 1:
            raise ValueError(bad + f"a positive integer, got {value!r}")
        return int(value)
    if key == "ll0check":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(bad + f"True or False, got {value!r}")
        return bool(value)
    if value is None:  # tau2_init, tau2_max
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(bad + f"None or a number, got {value!r}") from None
    low_ok = arr > 0 if key == "tau2_max" else arr >= 0
    if isinstance(value, (bool, str)) or not np.all(np.isfinite(arr)) or not np.all(low_ok):
        raise ValueError(bad + f"None or a finite number {'> 0' if key == 'tau2_max' else '>= 0'}, got {value!r}")
    return value


# ---------------------------------------------------------------------------------------------
# result container
# ---------------------------------------------------------------------------------------------


@dataclass
class BatchFit:
    """Arrays of results for ``m`` fits (row i of every array belongs to fit i).

    Shapes: ``(m,)`` unless noted; ``p`` is the number of coefficients (1 for intercept-only).
    Attributes mirror metafor's ``rma.uni`` object: ``beta``/``se``/``stat``/``pval``/``ci_low``/
    ``ci_high`` ``(m, p)``, ``vb`` ``(m, p, p)``, ``tau2``, ``se_tau2``, ``q`` (QE), ``q_df``,
    ``q_pvalue``, ``i2``, ``h2``, ``vt`` (typical within-study variance), ``qm``/``qm_df``/
    ``qm_pvalue`` (omnibus test of the coefficients other than the intercept, or of the
    intercept in intercept-only models), ``tau2_ci_low``/``tau2_ci_high`` and the derived
    ``i2_ci_*``/``h2_ci_*`` (Q-profile, NaN if not requested), ``pi_low``/``pi_high``
    (prediction interval for X row ``(1, 0, ...)``), ``weights`` ``(m, k)`` in percent (0 for
    absent studies), ``k``, ``df`` (k - p), ``converged`` (False rows are NaN, as metafor's
    error), ``iterations``, ``reset_to_zero`` (ML/REML likelihood check set tau^2 = 0),
    ``s2w`` (Knapp-Hartung scale factor: 1 under z and t, at least 1 under adhoc),
    ``se_model`` ``(m, p)`` (model-based SEs before the Knapp-Hartung scaling, i.e. the SEs of
    the z test).
    """

    method: str
    test: str
    level: float
    k: np.ndarray
    p: int
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: np.ndarray
    se_tau2: np.ndarray
    q: np.ndarray
    q_df: np.ndarray
    q_pvalue: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    vt: np.ndarray
    qm: np.ndarray
    qm_df: np.ndarray
    qm_pvalue: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    weights: np.ndarray
    s2w: np.ndarray
    df: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    reset_to_zero: np.ndarray
    tau2_ci_low: np.ndarray
    tau2_ci_high: np.ndarray
    i2_ci_low: np.ndarray
    i2_ci_high: np.ndarray
    h2_ci_low: np.ndarray
    h2_ci_high: np.ndarray
    se_model: np.ndarray = field(default=None)
    tau2_ci_converged: np.ndarray = field(default=None)
    messages: list = field(default_factory=list)

    @property
    def m(self) -> int:
        return self.k.shape[0]

    @property
    def estimate(self) -> np.ndarray:
        """Intercept (the pooled estimate in intercept-only models)."""
        return self.beta[:, 0]




# ---------------------------------------------------------------------------------------------
# the steps of a batch fit
# ---------------------------------------------------------------------------------------------


def _as_2d(a, name):
    """yi or vi as a float (m, k) array, and the mask of its masked entries (numpy.ma) or None."""
    hidden = np.ma.getmaskarray(a) if np.ma.isMaskedArray(a) else None
    try:
        arr = np.ma.getdata(a).astype(float) if hidden is not None else np.asarray(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric ({exc})") from None
    if arr.ndim == 1:
        arr = arr[None, :]
        hidden = None if hidden is None else hidden[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be of shape (k,) or (m, k), got {arr.shape}")
    return arr, hidden


def _prepare(yi, vi, mask, X, con):
    """The masked data of the batch, checked: a :class:`~.estimators.FitData`.

    Studies are present where ``mask`` is True and neither ``yi`` nor ``vi`` is masked (numpy.ma);
    present studies must have finite yi and finite vi > 0 (ValueError naming the first that has not).
    """
    y, hy = _as_2d(yi, "yi")
    v, hv = _as_2d(vi, "vi")
    if y.shape != v.shape:
        raise ValueError(f"yi and vi differ in shape ({y.shape} vs {v.shape})")
    m, k_all = y.shape
    try:
        mk = np.ones((m, k_all), dtype=bool) if mask is None else np.broadcast_to(np.asarray(mask, dtype=bool),
                                                                                  (m, k_all))
    except ValueError:
        raise ValueError(f"mask of shape {np.shape(mask)} does not fit yi of shape {(m, k_all)}") from None
    for hidden in (hy, hv):
        if hidden is not None and hidden.any():
            mk = mk & ~hidden
    bad = mk & ~(np.isfinite(y) & np.isfinite(v) & (v > 0))
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        what = "yi" if not math.isfinite(y[i, j]) else "vi"
        raise ValueError(f"{what}[{i}, {j}] = {float((y if what == 'yi' else v)[i, j])} for a present study; yi must "
                         "be finite and vi finite and > 0 (leave the study out with mask=False)")
    y = np.where(mk, y, 0.0)
    v = np.where(mk, v, 1.0)
    mf = mk.astype(float)
    if X is None:
        kern, p = InterceptKernel(y, v, mk), 1
    else:
        Xa = np.asarray(X, dtype=float)
        if Xa.ndim == 2:
            Xa = np.broadcast_to(Xa, (m,) + Xa.shape)
        if Xa.ndim != 3 or Xa.shape[:2] != (m, k_all):
            raise ValueError(f"X must be of shape (k, p) or (m, k, p) with k = {k_all}, got {np.shape(X)}")
        Xa = np.where(mk[:, :, None], Xa, 0.0)
        p = Xa.shape[2]
        intercept_only = p == 1 and np.all(Xa[mk[:, :, None].repeat(p, 2)] == 1.0)
        kern = InterceptKernel(y, v, mk) if intercept_only else GeneralKernel(y, v, mk, Xa)
    kf = mk.sum(axis=1).astype(float)
    return FitData(y=y, v=v, mk=mk, mf=mf, kf=kf, dfree=kf - p, p=p, kern=kern, con=con)


def _estimate_tau2(d, method):
    """tau^2 per row with the estimator of ``method``: (tau2, se_tau2, converged, iterations, reset_to_zero)."""
    m = d.m
    converged = np.ones(m, dtype=bool)
    iterations = np.zeros(m, dtype=int)
    reset0 = np.zeros(m, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "EE":
            tau2, se_tau2 = np.zeros(m), np.full(m, np.nan)
        elif method in ("HS", "HE", "DL", "SJ"):
            tau2, se_tau2 = tau2_moment(d, method)
        elif method in ("ML", "REML", "EB"):
            tau2, se_tau2, converged, iterations, reset0 = tau2_likelihood(d, method)
        elif method == "PM":
            tau2, se_tau2, converged = tau2_paule_mandel(d)
        else:  # pragma: no cover
            raise AssertionError(method)
    # k = 1 (intercept-only): tau^2 = 0, no heterogeneity statistics (metafor's "k1" branch)
    k1 = d.kf == 1
    if k1.any():
        tau2 = np.where(k1, 0.0, tau2)
        se_tau2 = np.where(k1, np.nan, se_tau2)
    return tau2, se_tau2, converged, iterations, reset0


def _fixed_effects(d, tau2, converged, test, alpha, row_test_t):
    """Coefficients, their (Knapp-Hartung scaled) covariance, tests and CIs at the fitted tau^2."""
    m, p = d.m, d.p
    w = d.weights(np.where(converged, tau2, 0.0))
    fit = d.kern.wls(w, need_pp=False)
    beta = fit["beta"]
    vb = np.array(np.broadcast_to(fit["vb"], (m, p, p)), dtype=float)
    rss_f = fit["RSS"]
    s2w = np.ones(m)
    if test in KH_TESTS:
        s2w = np.where(rss_f <= EPS, 0.0, rss_f / d.dfree)
        if test == "adhoc":
            s2w = np.maximum(s2w, 1.0)  # metafor: s2w[s2w < 1] <- 1
        s2w = np.where(row_test_t, s2w, 1.0)
    se_model = np.sqrt(np.einsum("mpp->mp", vb))
    vb = vb * s2w[:, None, None]
    se = np.sqrt(np.einsum("mpp->mp", vb))
    stat = beta / se
    ddf = np.where(row_test_t, d.dfree, np.nan)
    # the t/F and the normal/chi-square branches are computed only where some row needs them
    any_t, all_t = bool(row_test_t.any()), bool(row_test_t.all())
    crit_z = sp.ndtri(1.0 - alpha / 2.0)
    if any_t:
        crit_t = np.where(ddf > 0, sp.stdtrit(np.where(ddf > 0, ddf, 1.0), 1.0 - alpha / 2.0), np.nan)
        p_t = np.where((ddf > 0)[:, None], 2.0 * sp.stdtr(np.where(ddf > 0, ddf, 1.0)[:, None], -np.abs(stat)),
                       np.nan)
    p_z = 2.0 * sp.ndtr(-np.abs(stat)) if not all_t else None
    if all_t:
        crit, pval = crit_t, p_t
    elif any_t:
        crit = np.where(row_test_t, crit_t, crit_z)
        pval = np.where(row_test_t[:, None], p_t, p_z)
    else:
        crit, pval = np.full(m, crit_z), p_z
    return {"w": w, "beta": beta, "vb": vb, "se": se, "se_model": se_model, "s2w": s2w, "stat": stat, "pval": pval,
            "crit": crit, "ci_low": beta - crit[:, None] * se, "ci_high": beta + crit[:, None] * se}


def _moderator_test(d, beta, vb, row_test_t):
    """Omnibus test of the moderators (all coefficients but the intercept; the intercept if p == 1):
    QM chi^2, or QM / df against F(df, k - p) under the t-based tests."""
    p, dfree = d.p, d.dfree
    any_t, all_t = bool(row_test_t.any()), bool(row_test_t.all())
    if p == 1:
        qm = (beta[:, 0] ** 2) / vb[:, 0, 0]
        mdf = 1
    else:
        b1 = beta[:, 1:]
        qm = np.einsum("mp,mp->m", b1, np.linalg.solve(vb[:, 1:, 1:], b1[:, :, None])[:, :, 0])
        mdf = p - 1
    qm_f = qm / mdf
    if any_t:
        qm_p_f = np.where(dfree > 0, sp.fdtrc(mdf, np.where(dfree > 0, dfree, 1.0), qm_f), np.nan)
    qm_p_chi = sp.chdtrc(mdf, qm) if not all_t else None
    qm_p = qm_p_f if all_t else (np.where(row_test_t, qm_p_f, qm_p_chi) if any_t else qm_p_chi)
    return np.where(row_test_t, qm_f, qm), np.full(d.m, float(mdf)), qm_p


def _heterogeneity(d, method, tau2):
    """QE with inverse-variance weights, its p-value, the typical within-study variance, I^2 and H^2."""
    dfree = d.dfree
    fe = d.kern.wls(d.mf / d.v, need_pp=False, need_vb=False)
    has_q = dfree > 0
    qe = np.where(has_q, np.maximum(0.0, fe["RSS"]), 0.0)
    qe_p = np.where(has_q, sp.chdtrc(np.where(has_q, dfree, 1.0), qe), 1.0)
    vt = np.where(has_q, dfree / fe["trP"], 0.0)
    if method == "EE":
        i2 = np.where(has_q, np.maximum(0.0, 100.0 * (qe - dfree) / qe), 0.0)
        h2 = np.where(has_q, qe / dfree, 1.0)
    else:
        i2 = np.where(has_q, 100.0 * tau2 / (vt + tau2), 0.0)
        h2 = np.where(has_q, tau2 / vt + 1.0, 1.0)
    return qe, qe_p, vt, i2, h2


def _tau2_interval(d, method, tau2, converged, alpha, vt, qprofile):
    """Q-profile CI for tau^2 (NaN where not requested, for EE, or without df) and the I^2/H^2 bounds."""
    m = d.m
    t_lo, t_hi = np.full(m, np.nan), np.full(m, np.nan)
    t_conv = np.zeros(m, dtype=bool)
    if qprofile and method != "EE":
        rows = np.flatnonzero(converged & (d.dfree > 0))
        if rows.size:
            t_lo[rows], t_hi[rows], t_conv[rows] = q_profile(d, tau2, alpha, rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        bounds = (100.0 * t_lo / (vt + t_lo), 100.0 * t_hi / (vt + t_hi), t_lo / vt + 1.0, t_hi / vt + 1.0)
    return (t_lo, t_hi, t_conv) + bounds


def rma_batch(yi, vi, mask=None, X=None, method="REML", test="z", level=95.0, *, qprofile=True, control=None):
    """Fit ``m`` random-effects (or mixed-effects) models at once.

    Parameters
    ----------
    yi, vi : array_like, shape (m, k) or (k,)
        Effect sizes and sampling variances. Entries where ``mask`` is False, or masked in a
        ``numpy.ma`` array, are ignored (they may be NaN); the others must be finite, vi > 0.
    mask : array_like of bool, shape (m, k), optional
        True where a study is present. Default: all present.
    X : array_like, shape (k, p) or (m, k, p), optional
        Model matrix *including* the intercept column. Default: intercept only.
    method : {"EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"}
    test : {"z", "t", "knha", "adhoc"}
        Any spelling :func:`normalize_test` accepts. Under "t", "knha" and "adhoc" the
        coefficients are tested with t and the omnibus test with F (k - p df); "knha" multiplies
        ``vb`` by ``s2w = RSS / (k - p)`` (the weighted residual sum of squares at the fitted
        tau^2; 0 when RSS <= machine epsilon, as metafor), "adhoc" by ``max(1, s2w)``
        (metafor 3.8's ``rma.uni``).
    level : float
        Confidence level in percent, in (1, 100) (:func:`~ldn_evidence.vocabulary.check_level`).
    qprofile : bool
        Compute the Q-profile confidence interval for tau^2 (Viechtbauer 2007).
    control : dict, optional
        Overrides of :data:`DEFAULT_CONTROL`, checked by :func:`check_control`.

    Returns
    -------
    BatchFit

    Notes
    -----
    Rows that fail to converge, or for which metafor stops with an error, are NaN with
    ``converged`` False; a message per kind of failure is collected in ``messages``. Each
    row's numbers depend on that row's data alone.

    Examples
    --------
    >>> fit = rma_batch([[0.1, 0.3, 0.5], [0.1, 0.3, 0.5]], [[0.02, 0.03, 0.04]] * 2, mask=[[1, 1, 1], [1, 1, 0]],
    ...                 method="DL")
    >>> fit.k.tolist(), fit.estimate.round(4).tolist()
    ([3, 2], [0.2669, 0.18])
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    d = _prepare(yi, vi, mask, X, check_control(control))
    m, k = d.m, d.kf.astype(int)
    k1 = k == 1
    if k1.any() and test != "z" and d.p == 1:
        d.messages.append("k = 1: test set to 'z' (as metafor)")
    row_test_t = np.full(m, test in T_TESTS) & ~k1  # t / F with k - p df (metafor switches k = 1 to z)
    alpha = 1.0 - level / 100.0

    tau2, se_tau2, converged, iterations, reset0 = _estimate_tau2(d, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        fe = _fixed_effects(d, tau2, converged, test, alpha, row_test_t)
        qm, qm_df, qm_p = _moderator_test(d, fe["beta"], fe["vb"], row_test_t)
        qe, qe_p, vt, i2, h2 = _heterogeneity(d, method, tau2)
        if method == "EE":  # prediction interval for the intercept row (1, 0, ..., 0), as predict.rma()
            pi_low, pi_high = np.full(m, np.nan), np.full(m, np.nan)
        else:
            half = fe["crit"] * np.sqrt(fe["vb"][:, 0, 0] + tau2)
            pi_low, pi_high = fe["beta"][:, 0] - half, fe["beta"][:, 0] + half
        weights = 100.0 * fe["w"] / fe["w"].sum(axis=1, keepdims=True)
    t_lo, t_hi, t_conv, i2_lo, i2_hi, h2_lo, h2_hi = _tau2_interval(d, method, tau2, converged, alpha, vt, qprofile)

    res = BatchFit(
        method=method, test=test, level=float(level), k=k, p=d.p, beta=fe["beta"], vb=fe["vb"], se=fe["se"],
        stat=fe["stat"], pval=fe["pval"], ci_low=fe["ci_low"], ci_high=fe["ci_high"], tau2=tau2, se_tau2=se_tau2,
        q=qe, q_df=d.dfree, q_pvalue=qe_p, i2=i2, h2=h2, vt=vt, qm=qm, qm_df=qm_df, qm_pvalue=qm_p, pi_low=pi_low,
        pi_high=pi_high, weights=weights, s2w=fe["s2w"], df=d.dfree, converged=converged,
        iterations=iterations, reset_to_zero=reset0, tau2_ci_low=t_lo, tau2_ci_high=t_hi,
        i2_ci_low=i2_lo, i2_ci_high=i2_hi, h2_ci_low=h2_lo, h2_ci_high=h2_hi,
        se_model=fe["se_model"], tau2_ci_converged=t_conv, messages=d.messages,
    )
    if not converged.all():
        _blank_rows(res, ~converged)
    return res


def _blank_rows(res: BatchFit, bad):
    for name in ("beta", "vb", "se", "stat", "pval", "ci_low", "ci_high", "tau2", "se_tau2", "i2", "h2",
                 "qm", "qm_pvalue", "se_model", "pi_low", "pi_high", "weights", "s2w", "tau2_ci_low", "tau2_ci_high",
                 "i2_ci_low", "i2_ci_high", "h2_ci_low", "h2_ci_high"):
        arr = getattr(res, name)
        arr = np.array(arr, dtype=float, copy=True)
        arr[bad] = np.nan
        setattr(res, name, arr)


def tau2_profile_ci(yi, vi, tau2, level=95.0, *, mask=None, X=None, control=None):
    """The Q-profile confidence interval for tau^2 at given tau^2 estimates, without refitting.

    What metafor's ``confint(res, level=)`` computes for the random part: the search of
    :func:`rma_batch` (Viechtbauer 2007) at another ``level``.

    Parameters
    ----------
    yi, vi, mask, X, control
        As :func:`rma_batch`.
    tau2 : array_like, shape (m,)
        The fitted tau^2 of each row.
    level : float
        Confidence level in percent.

    Returns
    -------
    (lower, upper, converged) : ndarrays of shape (m,)
        NaN where the row has no degrees of freedom left (k <= p).

    Examples
    --------
    >>> fit = rma_batch([0.1, 0.3, 0.5, 0.9], [0.02, 0.03, 0.04, 0.02], method="REML")
    >>> lo, hi, ok = tau2_profile_ci([0.1, 0.3, 0.5, 0.9], [0.02, 0.03, 0.04, 0.02], fit.tau2)
    >>> bool(abs(lo[0] - fit.tau2_ci_low[0]) < 1e-15 and abs(hi[0] - fit.tau2_ci_high[0]) < 1e-15)
    True
    """
    level = check_level(level)
    d = _prepare(yi, vi, mask, X, check_control(control))
    t = np.broadcast_to(np.asarray(tau2, dtype=float), (d.m,)).copy()
    lo, hi, ok = np.full(d.m, np.nan), np.full(d.m, np.nan), np.zeros(d.m, dtype=bool)
    rows = np.flatnonzero(np.isfinite(t) & (d.dfree > 0))
    if rows.size:
        lo[rows], hi[rows], ok[rows] = q_profile(d, t, 1.0 - level / 100.0, rows)
    return lo, hi, ok
