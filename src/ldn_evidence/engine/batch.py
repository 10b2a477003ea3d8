"""Batch core: fit many random-effects models at once, with metafor's rules.

Every public statistic of the engine is computed here, on arrays, for ``m`` meta-analyses
at once. A meta-analysis is one row of the ``(m, k)`` arrays ``yi`` and ``vi``; a boolean
``mask`` of the same shape says which studies are present in each row (absent studies get
weight zero and are ignored everywhere). This is what leave-one-out, influence diagnostics,
cumulative meta-analysis, GOSH plots and permutation tests need: build the masks, call
:func:`rma_batch` once.

The iterative estimators (ML, REML, EB by Fisher scoring; PM and the Q-profile bounds by
Brent's method) iterate all rows simultaneously and freeze the rows that have converged;
there is no Python loop over fits. Intercept-only models (the common case) use closed-form
O(k) expressions for the traces of the projection matrix ``P``; models with moderators form
``P`` explicitly, as metafor does.

All formulas follow metafor 3.8's ``rma.uni()``, ``confint.rma.uni()`` and ``predict.rma()``
(Viechtbauer 2005, 2007, 2010): Fisher scoring starting at the Hedges (HE) estimate,
convergence when the change in tau^2 is <= ``threshold`` (1e-5, absolute) within ``maxiter``
(100) iterations, step halving to keep tau^2 >= 0, the ML/REML check of the likelihood at
tau^2 = 0, Paule-Mandel and Q-profile roots with R's ``uniroot()`` steps (absolute tolerance
``.Machine$double.eps^0.25``), truncation of tau^2 at 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special as sp

from ..vocabulary import KH_TESTS, METHODS, T_TESTS, TESTS, normalize_method, normalize_test  # noqa: F401 (re-exported)
from .zeroin import EPS, R_TOL, zeroin

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

_LOG_2PI = math.log(2.0 * math.pi)


def redundant_columns(X, tol=1e-7):
    """Indices of the columns of ``X`` that are linear combinations of the columns before them.

    The criterion of R's ``lm()`` (LINPACK ``dqrdc2`` with ``tol = 1e-7``), which metafor 3.8
    uses in ``rma.uni()`` and ``regtest()`` to find redundant predictors: taking the columns
    left to right, a column is redundant when the norm of what is left of it after projecting
    out the columns kept so far is below ``tol`` times its own norm (a zero column is always
    redundant). The tolerance is relative to each column, so rescaling a column does not
    change the verdict; a moderator that equals the intercept up to 1e-9 is redundant.

    Parameters
    ----------
    X : array_like, shape (k, p)
        Model matrix (the intercept, if any, first).
    tol : float
        Relative tolerance (R's ``lm()`` default).

    Returns
    -------
    list of int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), 1 + 1e-9 * np.arange(4), np.arange(4.0)])
    >>> redundant_columns(X)
    [1]
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    basis = np.empty((n, 0))
    out = []
    for j in range(p):
        top = float(np.max(np.abs(X[:, j]))) if n else 0.0
        if not top > 0 or not math.isfinite(top) or basis.shape[1] >= n:
            out.append(j)  # a zero column (dqrdc2: norm 0 < tol * 1), or no room left
            continue
        x = X[:, j] / top  # the verdict is relative to the column's norm: scale it to avoid under/overflow
        norm = float(np.linalg.norm(x))
        r = x.copy()
        for _ in range(2):  # Gram-Schmidt, reorthogonalised once ("twice is enough")
            r -= basis @ (basis.T @ r)
        left = float(np.linalg.norm(r))
        if left >= tol * norm:
            basis = np.column_stack([basis, r / left])
        else:
            out.append(j)
    return out


# ---------------------------------------------------------------------------------------------
# kernels: the weighted least-squares quantities that every estimator needs
# ---------------------------------------------------------------------------------------------


def _sum_others(x, s):
    """``out[:, i] = sum over j != i of x[:, j]`` for non-negative ``x`` with row sums ``s``, accurately.

    ``s - x_i`` is exact to a few ulps whenever ``x_i <= s / 2`` (then ``s - x_i >= s / 2``), which
    holds for every entry but at most one per row, the row's largest; where the largest entry
    exceeds half the sum, its complement is summed directly. O(k), and the rows that need the
    direct sum are rare (one study holding most of the weight).
    """
    out = s[:, None] - x
    j = np.argmax(x, axis=1)
    rows = np.arange(x.shape[0])
    flag = x[rows, j] > 0.5 * s
    if flag.any():
        bad = flag.nonzero()[0]
        xb = x[bad].copy()
        xb[np.arange(bad.size), j[bad]] = 0.0
        out[bad, j[bad]] = xb.sum(axis=1)
    return out


class _InterceptKernel:
    """Closed forms for intercept-only models: P = W - w w'/sum(w).

    With ``S = sum(w)``, ``S_i = sum_{j != i} w_j`` and ``S2_i = sum_{j != i} w_j^2`` (see
    :func:`_sum_others`), ``P_ii = w_i S_i / S`` and ``P_ij = -w_i w_j / S``, hence

    - ``tr(P) = sum_i w_i S_i / S``
    - ``sum(P * P) = sum_i w_i^2 (S_i^2 + S2_i) / S^2``

    and, with ``T_i = sum_{j != i} w_j^2 v_j``, ``tr(PV) = sum_i w_i v_i S_i / S``,
    ``tr(PVPV) = sum_i [(w_i v_i S_i)^2 + w_i^2 v_i T_i] / S^2`` and
    ``sum(PV * P) = sum_i [w_i^2 v_i S_i^2 + w_i^2 v_i S2_i] / S^2``. Every term is non-negative,
    so nothing cancels when one weight dominates, and the results equal the sums over the
    explicit matrix that metafor forms, to rounding.

    The expanded forms (``tr(P) = S - S2 / S``, ``sum(P * P) = S2 - 2 S3 / S + (S2 / S)^2``, and
    likewise for the PV terms) lose their digits when one study holds most of the weight (DL on
    yi = (0, 10), vi = (1e-4, 50) gave SE(tau^2) 70.710863 instead of 70.710678). They are
    accurate to a few ulps while no weight exceeds half the total: then every cancelled term is
    at most the term it is subtracted from and the result at least a quarter of it (e.g.
    ``S2 - 2 S3 / S = sum w_i^2 (1 - 2 w_i / S) >= 0`` and ``sum(P * P) >= S2 / 4``). The
    kernel uses them in the rows where ``4 S2 <= S^2`` (which implies ``max w <= S / 2`` and
    needs no extra pass over the data) and the cancellation-free forms in the other rows (few
    studies, or one dominant weight). Each row's result depends on that row alone, so a batch
    fit equals the single fit on the same data.
    """

    p = 1

    def __init__(self, y, v, mk):
        self.y, self.v, self.mk = y, v, mk

    @staticmethod
    def _dominated(s, s2):
        """Rows where the expanded forms might cancel (4 S2 > S^2, so possibly max w > S / 2), or None."""
        flag = 4.0 * s2 > s * s
        return flag.nonzero()[0] if flag.any() else None

    def wls(self, w, rows=None, need_pp=True, need_vb=True):
        y = self.y if rows is None else self.y[rows]
        s = w.sum(axis=1)
        mu = (w * y).sum(axis=1) / s
        r = y - mu[:, None]
        py = w * r
        out = {"S": s, "beta": mu[:, None], "Py": py, "RSS": (py * r).sum(axis=1)}
        w2 = w * w
        s2 = w2.sum(axis=1)
        out["S2"] = s2
        trp = s - s2 / s
        if need_pp:
            s3 = (w2 * w).sum(axis=1)
            sumpp = s2 - 2.0 * s3 / s + (s2 / s) ** 2
        dom = self._dominated(s, s2)
        if dom is not None:
            wd, sd = w[dom], s[dom]
            s_oth = _sum_others(wd, sd)
            trp[dom] = (wd * s_oth).sum(axis=1) / sd
            if need_pp:
                w2d = w2[dom]
                s2_oth = _sum_others(w2d, s2[dom])
                sumpp[dom] = (w2d * (s_oth * s_oth + s2_oth)).sum(axis=1) / (sd * sd)
        out["trP"] = trp
        if need_pp:
            out["sumPP"] = sumpp
        if need_vb:
            out["vb"] = (1.0 / s)[:, None, None]
            out["logdetA"] = np.log(s)
        return out

    def rss(self, w, rows=None):
        y = self.y if rows is None else self.y[rows]
        s = w.sum(axis=1)
        mu = (w * y).sum(axis=1) / s
        r = y - mu[:, None]
        return (w * r * r).sum(axis=1)

    def tr_pv(self, w, rows=None):
        """tr(PV) alone (the HE estimate that starts Fisher scoring)."""
        v = self.v if rows is None else self.v[rows]
        s = w.sum(axis=1)
        wv = w * v
        trpv = wv.sum(axis=1) - (wv * w).sum(axis=1) / s
        dom = self._dominated(s, (w * w).sum(axis=1))
        if dom is not None:
            trpv[dom] = (wv[dom] * _sum_others(w[dom], s[dom])).sum(axis=1) / s[dom]
        return trpv

    def pv_terms(self, w, rows=None):
        """tr(PV), tr(PVPV) and sum(PV * P) for P built from the weights w (forms in the class doc)."""
        v = self.v if rows is None else self.v[rows]
        s = w.sum(axis=1)
        w2 = w * w
        s2 = w2.sum(axis=1)
        w2v = w2 * v
        sw2v = w2v.sum(axis=1)
        wv = w * v
        trpv = wv.sum(axis=1) - sw2v / s
        trpvpv = (wv * wv).sum(axis=1) - 2.0 * (w2v * wv).sum(axis=1) / s + (sw2v / s) ** 2
        sumpvp = sw2v - 2.0 * (w2v * w).sum(axis=1) / s + sw2v * s2 / s**2
        dom = self._dominated(s, s2)
        if dom is not None:
            wd, sd, w2d, w2vd = w[dom], s[dom], w2[dom], w2v[dom]
            s_oth = _sum_others(wd, sd)
            s2_oth = _sum_others(w2d, s2[dom])
            t_oth = _sum_others(w2vd, sw2v[dom])
            wvs = wv[dom] * s_oth
            ss = sd * sd
            trpv[dom] = wvs.sum(axis=1) / sd
            trpvpv[dom] = (wvs * wvs + w2vd * t_oth).sum(axis=1) / ss
            sumpvp[dom] = (w2vd * (s_oth * s_oth + s2_oth)).sum(axis=1) / ss
        return trpv, trpvpv, sumpvp


class _GeneralKernel:
    """Models with moderators: P = W - W X (X'WX)^-1 X'W formed explicitly."""

    def __init__(self, y, v, mk, X):
        self.y, self.v, self.mk, self.X = y, v, mk, X
        self.p = X.shape[2]

    def _p_matrix(self, w, rows):
        X = self.X if rows is None else self.X[rows]
        wx = w[:, :, None] * X
        a = np.einsum("mkp,mkq->mpq", wx, X)
        ainv = np.linalg.inv(a)
        P = -np.einsum("mkp,mpq,mjq->mkj", wx, ainv, wx)
        idx = np.arange(w.shape[1])
        P[:, idx, idx] += w
        return X, wx, a, ainv, P

    def wls(self, w, rows=None, need_pp=True, need_vb=True):
        y = self.y if rows is None else self.y[rows]
        X, wx, a, ainv, P = self._p_matrix(w, rows)
        beta = np.einsum("mpq,mkq,mk->mp", ainv, wx, y)
        r = y - np.einsum("mkp,mp->mk", X, beta)
        py = w * r
        out = {"S": w.sum(axis=1), "beta": beta, "Py": py, "RSS": (py * r).sum(axis=1)}
        out["S2"] = (w * w).sum(axis=1)
        out["trP"] = np.einsum("mkk->m", P)
        out["sumPP"] = (P * P).sum(axis=(1, 2))
        out["vb"] = ainv
        out["logdetA"] = np.linalg.slogdet(a)[1]
        out["P"] = P
        return out

    def rss(self, w, rows=None):
        return self.wls(w, rows)["RSS"]

    def tr_pv(self, w, rows=None):
        v = self.v if rows is None else self.v[rows]
        P = self._p_matrix(w, rows)[4]
        return np.einsum("mkk,mk->m", P, v)

    def pv_terms(self, w, rows=None):
        v = self.v if rows is None else self.v[rows]
        P = self._p_matrix(w, rows)[4]
        pv = P * v[:, None, :]
        return np.einsum("mkk->m", pv), np.einsum("mij,mji->m", pv, pv), (pv * P).sum(axis=(1, 2))


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
# helpers
# ---------------------------------------------------------------------------------------------


def _mad(y, mk):
    """R's mad(): 1.4826 * median(|y - median(y)|), per row over present studies."""
    yy = np.where(mk, y, np.nan)
    med = np.nanmedian(yy, axis=1)
    return 1.4826 * np.nanmedian(np.abs(yy - med[:, None]), axis=1)


# ---------------------------------------------------------------------------------------------
# the batch fit
# ---------------------------------------------------------------------------------------------


def rma_batch(yi, vi, mask=None, X=None, method="REML", test="z", level=95.0, *, qprofile=True, control=None):
    """Fit ``m`` random-effects (or mixed-effects) models at once.

    Parameters
    ----------
    yi, vi : array_like, shape (m, k) or (k,)
        Effect sizes and sampling variances. Entries where ``mask`` is False are ignored
        (they may be NaN).
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
        Confidence level in percent.
    qprofile : bool
        Compute the Q-profile confidence interval for tau^2 (Viechtbauer 2007).
    control : dict, optional
        Overrides of :data:`DEFAULT_CONTROL`.

    Returns
    -------
    BatchFit

    Notes
    -----
    Input validation (positive finite ``vi``, finite ``yi``) is the caller's job; the
    friendly wrappers in :mod:`ldn_evidence.models` do it. Rows that fail to converge, or for
    which metafor stops with an error, are NaN with ``converged`` False; a message per kind
    of failure is collected in ``messages``.
    """
    method = normalize_method(method)
    test = normalize_test(test)
    con = dict(DEFAULT_CONTROL)
    if control:
        unknown = set(control) - set(con)
        if unknown:
            raise ValueError(f"unknown control option(s): {sorted(unknown)}")
        con.update(control)

    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
        v = v[None, :]
    m, k_all = y.shape
    if mask is None:
        mk = np.ones((m, k_all), dtype=bool)
    else:
        mk = np.broadcast_to(np.asarray(mask, dtype=bool), (m, k_all))
    y = np.where(mk, y, 0.0)
    v = np.where(mk, v, 1.0)
    mf = mk.astype(float)
    k = mk.sum(axis=1)

    if X is None:
        kern = _InterceptKernel(y, v, mk)
        p = 1
        intercept_only = True
    else:
        Xa = np.asarray(X, dtype=float)
        if Xa.ndim == 2:
            Xa = np.broadcast_to(Xa, (m,) + Xa.shape)
        Xa = np.where(mk[:, :, None], Xa, 0.0)
        p = Xa.shape[2]
        intercept_only = p == 1 and np.all(Xa[mk[:, :, None].repeat(p, 2)] == 1.0)
        kern = _InterceptKernel(y, v, mk) if intercept_only else _GeneralKernel(y, v, mk, Xa)

    kf = k.astype(float)
    dfree = kf - p
    messages = []
    converged = np.ones(m, dtype=bool)
    iterations = np.zeros(m, dtype=int)
    reset0 = np.zeros(m, dtype=bool)
    nan = np.full(m, np.nan)

    k1 = k == 1
    if k1.any() and test != "z" and p == 1:
        messages.append("k = 1: test set to 'z' (as metafor)")
    row_test_t = np.full(m, test in T_TESTS) & ~k1  # t / F with k - p df (metafor switches k = 1 to z)

    # ------------------------------------------------------------------ tau^2 estimation
    w_fe = mf / v
    se_tau2 = nan.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "EE":
            tau2 = np.zeros(m)
        elif method == "HS":
            s = kern.wls(w_fe)
            tau2 = np.maximum(0.0, (s["RSS"] - kf) / s["S"])
            se_tau2 = np.sqrt(1.0 / s["S"] ** 2 * (2 * dfree + 4 * tau2 * s["trP"] + 2 * tau2**2 * s["sumPP"]))
        elif method == "HE":
            s = kern.wls(mf)
            trpv, trpvpv, _ = kern.pv_terms(mf)
            tau2 = np.maximum(0.0, (s["RSS"] - trpv) / dfree)
            se_tau2 = np.sqrt(1.0 / dfree**2 * (2 * trpvpv + 4 * tau2 * trpv + 2 * tau2**2 * dfree))
        elif method == "DL":
            s = kern.wls(w_fe)
            tau2 = np.maximum(0.0, (s["RSS"] - dfree) / s["trP"])
            se_tau2 = np.sqrt(1.0 / s["trP"] ** 2 * (2 * dfree + 4 * tau2 * s["trP"] + 2 * tau2**2 * s["sumPP"]))
        elif method == "SJ":
            if con["tau2_init"] is None:
                ybar = (mf * y).sum(axis=1) / kf
                tau2_0 = (mf * (y - ybar[:, None]) ** 2).sum(axis=1) / kf
            else:
                tau2_0 = np.broadcast_to(np.asarray(con["tau2_init"], dtype=float), (m,)).copy()
            w0 = mf / (v + tau2_0[:, None])
            s = kern.wls(w0)
            _, trpvpv, sumpvp = kern.pv_terms(w0)
            tau2 = np.maximum(0.0, tau2_0 * s["RSS"] / dfree)
            se_tau2 = np.sqrt(tau2_0**2 / dfree**2 * (2 * trpvpv + 4 * tau2 * sumpvp + 2 * tau2**2 * s["sumPP"]))
        elif method in ("ML", "REML", "EB"):
            tau2, converged, iterations, reset0 = _fisher_scoring(kern, y, v, mf, kf, dfree, p, method, con, messages)
            w = mf / (v + tau2[:, None])
            if method == "ML":
                se_tau2 = np.sqrt(2.0 / (w * w).sum(axis=1))
            elif method == "REML":
                se_tau2 = np.sqrt(2.0 / kern.wls(w)["sumPP"])
            else:
                se_tau2 = np.sqrt(2.0 * kf**2 / dfree / w.sum(axis=1) ** 2)
        elif method == "PM":
            tau2, ok = _paule_mandel(kern, y, v, mf, mk, kf, dfree, con, messages)
            converged &= ok
            w = mf / (v + tau2[:, None])
            se_tau2 = np.sqrt(2.0 * kf**2 / dfree / w.sum(axis=1) ** 2)
        else:  # pragma: no cover
            raise AssertionError(method)

    # k = 1 (intercept-only): tau^2 = 0, no heterogeneity statistics (metafor's "k1" branch)
    if k1.any():
        tau2 = np.where(k1, 0.0, tau2)
        se_tau2 = np.where(k1, np.nan, se_tau2)
    if method == "EE":
        se_tau2 = nan.copy()

    # ------------------------------------------------------------------ model fit
    alpha = 1.0 - level / 100.0 if level > 1 else 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        w = mf / (v + np.where(converged, tau2, 0.0)[:, None])
        fit = kern.wls(w, need_pp=False)
        beta = fit["beta"]
        vb = np.array(np.broadcast_to(fit["vb"], (m, p, p)), dtype=float)
        rss_f = fit["RSS"]
        s2w = np.ones(m)
        if test in KH_TESTS:
            s2w = np.where(rss_f <= EPS, 0.0, rss_f / dfree)
            if test == "adhoc":
                s2w = np.maximum(s2w, 1.0)  # metafor: s2w[s2w < 1] <- 1
            s2w = np.where(row_test_t, s2w, 1.0)
        se_model = np.sqrt(np.einsum("mpp->mp", vb))
        vb = vb * s2w[:, None, None]
        se = np.sqrt(np.einsum("mpp->mp", vb))
        stat = beta / se
        ddf = np.where(row_test_t, dfree, np.nan)
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
        ci_low = beta - crit[:, None] * se
        ci_high = beta + crit[:, None] * se

        # omnibus test of moderators (all coefficients but the intercept; intercept if p == 1)
        if p == 1:
            qm = (beta[:, 0] ** 2) / vb[:, 0, 0]
            mdf = 1
        else:
            sub = vb[:, 1:, 1:]
            b1 = beta[:, 1:]
            qm = np.einsum("mp,mp->m", b1, np.linalg.solve(sub, b1[:, :, None])[:, :, 0])
            mdf = p - 1
        qm_df = np.full(m, float(mdf))
        qm_f = qm / mdf
        if any_t:
            qm_p_f = np.where(dfree > 0, sp.fdtrc(mdf, np.where(dfree > 0, dfree, 1.0), qm_f), np.nan)
        qm_p_chi = sp.chdtrc(mdf, qm) if not all_t else None
        qm_p = qm_p_f if all_t else (np.where(row_test_t, qm_p_f, qm_p_chi) if any_t else qm_p_chi)
        qm = np.where(row_test_t, qm_f, qm)

        # heterogeneity: QE with inverse-variance weights, typical within-study variance
        fe = kern.wls(w_fe, need_pp=False)
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

        # prediction interval for the intercept row (1, 0, ..., 0), as predict.rma()
        if method == "EE":
            pi_low = nan.copy()
            pi_high = nan.copy()
        else:
            half = crit * np.sqrt(vb[:, 0, 0] + tau2)
            pi_low = beta[:, 0] - half
            pi_high = beta[:, 0] + half

        weights = 100.0 * w / w.sum(axis=1, keepdims=True)

    # ------------------------------------------------------------------ Q-profile CI for tau^2
    t_lo, t_hi = nan.copy(), nan.copy()
    t_conv = np.zeros(m, dtype=bool)
    if qprofile and method != "EE":
        rows = np.flatnonzero(converged & (dfree > 0))
        if rows.size:
            lo, hi, cv = _q_profile(kern, v, mf, tau2, dfree, alpha, rows, con)
            t_lo[rows], t_hi[rows], t_conv[rows] = lo, hi, cv
    with np.errstate(divide="ignore", invalid="ignore"):
        i2_lo = 100.0 * t_lo / (vt + t_lo)
        i2_hi = 100.0 * t_hi / (vt + t_hi)
        h2_lo = t_lo / vt + 1.0
        h2_hi = t_hi / vt + 1.0

    res = BatchFit(
        method=method, test=test, level=float(level), k=k, p=p, beta=beta, vb=vb, se=se, stat=stat,
        pval=pval, ci_low=ci_low, ci_high=ci_high, tau2=tau2, se_tau2=se_tau2, q=qe, q_df=dfree,
        q_pvalue=qe_p, i2=i2, h2=h2, vt=vt, qm=qm, qm_df=qm_df, qm_pvalue=qm_p, pi_low=pi_low,
        pi_high=pi_high, weights=weights, s2w=s2w, df=dfree, converged=converged,
        iterations=iterations, reset_to_zero=reset0, tau2_ci_low=t_lo, tau2_ci_high=t_hi,
        i2_ci_low=i2_lo, i2_ci_high=i2_hi, h2_ci_low=h2_lo, h2_ci_high=h2_hi,
        se_model=se_model, tau2_ci_converged=t_conv, messages=messages,
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


def _fisher_scoring(kern, y, v, mf, kf, dfree, p, method, con, messages):
    """ML / REML / EB by Fisher scoring, all rows at once (metafor's rma.uni iteration)."""
    m = y.shape[0]
    threshold = float(con["threshold"])
    maxiter = int(con["maxiter"])
    stepadj = float(con["stepadj"])
    if con["tau2_init"] is None:
        s = kern.wls(mf, need_pp=False, need_vb=False)
        trpv = kern.tr_pv(mf)
        tau2 = np.maximum(0.0, (s["RSS"] - trpv) / dfree)  # HE estimate, max(0, HE, tau2.min)
        tau2 = np.where(np.isfinite(tau2), tau2, 0.0)
    else:
        tau2 = np.broadcast_to(np.asarray(con["tau2_init"], dtype=float), (m,)).copy()
    converged = np.zeros(m, dtype=bool)
    failed = np.zeros(m, dtype=bool)
    iterations = np.zeros(m, dtype=int)
    active = np.flatnonzero(kf > 1)  # k = 1: nothing to estimate
    converged[kf <= 1] = True
    while active.size:
        iterations[active] += 1
        t = tau2[active]
        w = mf[active] / (v[active] + t[:, None])
        if method == "EB":
            s = kern.wls(w, active, need_pp=False, need_vb=False)
            adj = (s["RSS"] * kf[active] / dfree[active] - kf[active]) / s["S"]
        else:
            s = kern.wls(w, active, need_pp=(method == "REML"), need_vb=False)
            yppy = (s["Py"] ** 2).sum(axis=1)
            if method == "ML":
                adj = (yppy - s["S"]) / s["S2"]
            else:
                adj = (yppy - s["trP"]) / s["sumPP"]
        adj = adj * stepadj
        adj = np.where(np.isnan(adj), 0.0, adj)
        # step halving: while tau2 + adj < 0, halve adj
        adj = np.where((t == 0.0) & (adj < 0.0), -0.0, adj)
        neg = t + adj < 0.0
        while neg.any():
            adj = np.where(neg, adj / 2.0, adj)
            neg = t + adj < 0.0
        new = t + adj
        change = np.abs(t - new)
        tau2[active] = new
        over = iterations[active] > maxiter
        done = change <= threshold
        failed[active[over]] = True
        converged[active[~over & done]] = True
        active = active[~over & ~done]
    if failed.any():
        messages.append(
            f"{method} estimator: Fisher scoring algorithm did not converge within {maxiter} iterations "
            f"(threshold {threshold:g}) in {int(failed.sum())} fit(s); metafor stops with an error here"
        )
    reset0 = np.zeros(m, dtype=bool)
    if method in ("ML", "REML") and con["ll0check"]:
        rows = np.flatnonzero(converged & (kf > 1) & (tau2 > threshold))
        if rows.size:
            ll0 = _loglik(kern, y[rows], v[rows], mf[rows], np.zeros(rows.size), kf[rows], p, method, rows)
            ll1 = _loglik(kern, y[rows], v[rows], mf[rows], tau2[rows], kf[rows], p, method, rows)
            bad = (ll0 - ll1) > float(con["tol"])
            if bad.any():
                tau2[rows[bad]] = 0.0
                reset0[rows[bad]] = True
                messages.append(
                    f"{method} estimator: Fisher scoring algorithm may have gotten stuck at a local maximum; "
                    "setting tau^2 = 0 (as metafor)"
                )
    tau2 = np.maximum(0.0, tau2)
    tau2[failed] = np.nan
    return tau2, converged, iterations, reset0


def _loglik(kern, y, v, mf, tau2, kf, p, method, rows):
    w = mf / (v + tau2[:, None])
    s = kern.wls(w, rows, need_pp=False)
    logv = (mf * np.log(v + tau2[:, None])).sum(axis=1)
    if method == "ML":
        return -0.5 * kf * _LOG_2PI - 0.5 * logv - 0.5 * s["RSS"]
    return -0.5 * (kf - p) * _LOG_2PI - 0.5 * logv - 0.5 * s["logdetA"] - 0.5 * s["RSS"]


def _paule_mandel(kern, y, v, mf, mk, kf, dfree, con, messages):
    """Paule-Mandel: root of Q(tau^2) = k - p by uniroot on [0, tau2_max], as metafor."""
    m = y.shape[0]
    tau2 = np.zeros(m)
    ok = np.ones(m, dtype=bool)
    target = dfree
    if con["tau2_max"] is None:
        tmax = np.maximum(100.0, 10.0 * _mad(y, mk) ** 2)
    else:
        tmax = np.broadcast_to(np.asarray(con["tau2_max"], dtype=float), (m,)).copy()
    rows = np.flatnonzero(kf > 1)
    if rows.size == 0:
        return tau2, ok

    def q_at(t, r):
        return kern.rss(mf[r] / (v[r] + t[:, None]), r)

    f0 = q_at(np.zeros(rows.size), rows) - target[rows]
    fmax = q_at(tmax[rows], rows) - target[rows]
    zero = f0 < 0.0
    too_low = ~zero & (fmax > 0.0)
    if too_low.any():
        ok[rows[too_low]] = False
        tau2[rows[too_low]] = np.nan
        messages.append("PM estimator: value of tau2_max too low (metafor stops with an error here)")
    search = ~zero & ~too_low
    if search.any():
        r = rows[search]

        def f(t, sub):
            rr = r[sub]
            return q_at(t, rr) - target[rr]

        root, _ = zeroin(f, np.zeros(r.size), tmax[r], f0[search], fmax[search], tol=float(con["tol"]),
                         maxiter=int(con["maxiter"]))
        tau2[r] = root
    return np.where(ok, np.maximum(0.0, tau2), np.nan), ok


def _q_profile(kern, v, mf, tau2, dfree, alpha, rows, con):
    """Q-profile CI for tau^2 (Viechtbauer 2007), following confint.rma.uni's search."""
    n = rows.size
    df = dfree[rows]
    crit_u = sp.chdtri(df, alpha / 2.0)  # qchisq(alpha/2, df, lower.tail=FALSE)
    crit_l = sp.chdtri(df, 1.0 - alpha / 2.0)  # qchisq(alpha/2, df, lower.tail=TRUE)
    t2 = tau2[rows]
    tmin = np.minimum(0.0, t2)
    tmax = np.maximum(np.maximum(100.0, 10.0 * t2), 10.0 * tmin)

    def q_at(t, r):
        return kern.rss(mf[r] / (v[r] + t[:, None]), r)

    q_max = q_at(tmax, rows)
    q_min = q_at(tmin, rows)
    lb = np.full(n, np.nan)
    ub = np.full(n, np.nan)
    lb_conv = np.zeros(n, dtype=bool)
    ub_conv = np.zeros(n, dtype=bool)
    tol = float(con["tol"])
    maxit = int(con["qprofile_maxiter"])

    # upper bound
    both_below = q_min < crit_l
    lb[both_below] = tmin[both_below]
    ub[both_below] = tmin[both_below]
    lb_conv[both_below] = ub_conv[both_below] = True
    above = ~both_below & (q_max > crit_l)
    ub[above] = tmax[above]
    ub_conv[above] = True
    search = ~both_below & ~above
    if search.any():
        s_idx = np.flatnonzero(search)
        target = crit_l[s_idx]

        def f(t, sub):
            return q_at(t, rows[s_idx[sub]]) - target[sub]

        root, cv = zeroin(f, tmin[s_idx], tmax[s_idx], q_min[s_idx] - target, q_max[s_idx] - target, tol=tol,
                          maxiter=maxit)
        ub[s_idx] = root
        ub_conv[s_idx] = True

    # lower bound
    both_above = q_max > crit_u
    lb[both_above] = tmax[both_above]
    ub[both_above] = tmax[both_above]
    lb_conv[both_above] = ub_conv[both_above] = True
    below = ~both_above & (q_min < crit_u)
    lb[below] = tmin[below]
    lb_conv[below] = True
    search = ~both_above & ~below
    if search.any():
        s_idx = np.flatnonzero(search)
        target = crit_u[s_idx]

        def f(t, sub):
            return q_at(t, rows[s_idx[sub]]) - target[sub]

        root, cv = zeroin(f, tmin[s_idx], tmax[s_idx], q_min[s_idx] - target, q_max[s_idx] - target, tol=tol,
                          maxiter=maxit)
        lb[s_idx] = root
        lb_conv[s_idx] = True
    return lb, ub, lb_conv & ub_conv
