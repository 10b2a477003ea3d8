"""The weighted least-squares quantities every tau^2 estimator needs, for many fits at once.

A kernel holds the data of ``m`` fits (``(m, k)`` arrays ``y``, ``v`` and the study mask) and,
given weights ``w`` (zero for absent studies), returns the weighted estimate(s), the residual
sum of squares and the traces of the projection matrix ``P = W - W X (X'WX)^-1 X'W`` and of its
products with ``V`` that metafor 3.8's ``rma.uni()`` computes. Two kernels:

* :class:`InterceptKernel` (intercept-only models, the common case): closed forms, O(k) per
  fit, accurate when one study holds most of the weight (see its docstring);
* :class:`GeneralKernel` (models with moderators): ``P`` formed explicitly, as metafor does,
  up to :data:`EXPLICIT_P_MAX_K` studies; beyond, the same traces from ``p x p`` matrices and
  the leverages, O(k p^2) per fit instead of O(k^2) (a 10,000-study meta-regression would
  otherwise need an 800 MB matrix per fit).

Reductions over studies of products use :func:`numpy.vecdot` (one pass, no temporary array;
:func:`numpy.einsum` before numpy 2), which is what keeps leave-one-out at k = 10,000 (10^4 fits of
10^4 studies) within seconds.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["InterceptKernel", "GeneralKernel", "redundant_columns", "EXPLICIT_P_MAX_K"]

#: a model with moderators forms P (k x k per fit) explicitly, as metafor, up to this many studies
EXPLICIT_P_MAX_K = 256


def _rowdot(a, b):
    """``(a * b).sum(axis=1)`` in one pass without the temporary (numpy >= 2: the ``vecdot`` ufunc,
    fastest for a few studies and for many; before: ``einsum``)."""
    return _VECDOT(a, b)


_VECDOT = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("ij,ij->i", a, b))


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


class InterceptKernel:
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

    def take(self, name, rows):
        """The ``(m, k)`` array ``name`` for ``rows`` (ascending row indices; None or all rows: without a copy)."""
        a = getattr(self, name)
        return a if rows is None or len(rows) == a.shape[0] else a[rows]

    @staticmethod
    def _dominated(s, s2):
        """Rows where the expanded forms might cancel (4 S2 > S^2, so possibly max w > S / 2), or None."""
        flag = 4.0 * s2 > s * s
        return flag.nonzero()[0] if flag.any() else None

    def wls(self, w, rows=None, need_pp=True, need_vb=True):
        """Weighted mean, residuals and traces for the weights ``w`` (the rows ``rows`` of the data)."""
        y = self.take("y", rows)
        s = w.sum(axis=1)
        mu = _rowdot(w, y) / s
        r = y - mu[:, None]
        py = w * r
        out = {"S": s, "beta": mu[:, None], "Py": py, "RSS": _rowdot(py, r)}
        s2 = _rowdot(w, w)
        out["S2"] = s2
        trp = s - s2 / s
        if need_pp:
            w2 = w * w
            s3 = _rowdot(w2, w)
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
        """The weighted residual sum of squares alone (Q at the weights ``w``)."""
        y = self.take("y", rows)
        s = w.sum(axis=1)
        mu = _rowdot(w, y) / s
        r = y - mu[:, None]
        return _rowdot(w * r, r)

    def rss_logdet(self, w, rows=None):
        """RSS and log det(X'WX) = log S, what the log-likelihood needs."""
        y = self.take("y", rows)
        s = w.sum(axis=1)
        mu = _rowdot(w, y) / s
        r = y - mu[:, None]
        return _rowdot(w * r, r), np.log(s)

    def tr_pv(self, w, rows=None):
        """tr(PV) alone (the HE estimate that starts Fisher scoring)."""
        v = self.take("v", rows)
        s = w.sum(axis=1)
        wv = w * v
        trpv = wv.sum(axis=1) - _rowdot(wv, w) / s
        dom = self._dominated(s, _rowdot(w, w))
        if dom is not None:
            trpv[dom] = (wv[dom] * _sum_others(w[dom], s[dom])).sum(axis=1) / s[dom]
        return trpv

    def pv_terms(self, w, rows=None):
        """tr(PV), tr(PVPV) and sum(PV * P) for P built from the weights w (forms in the class doc)."""
        v = self.take("v", rows)
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


class GeneralKernel:
    """Models with moderators: P = W - W X (X'WX)^-1 X'W.

    Up to :data:`EXPLICIT_P_MAX_K` studies P is formed explicitly and every trace summed over
    it, as metafor does. Beyond, with ``A = X'WX``, ``h_i = w_i x_i' A^-1 x_i`` (the
    leverages), ``B = X'W^2 X`` and ``C = X'W^2 V X``:

    - ``tr(P) = sum_i w_i (1 - h_i)``, ``tr(PV) = sum_i w_i v_i (1 - h_i)``
    - ``sum(P * P) = sum_i w_i^2 - 2 sum_i w_i^2 h_i + tr((A^-1 B)^2)``
    - ``tr(PVPV) = sum_i (w_i v_i)^2 - 2 sum_i w_i^2 v_i^2 h_i + tr((A^-1 C)^2)``
    - ``sum(PV * P) = sum_i w_i^2 v_i - 2 sum_i w_i^2 v_i h_i + tr(A^-1 B A^-1 C)``

    (expand ``P_ij = w_i delta_ij - w_i w_j x_i' A^-1 x_j``), O(k p^2) per fit. These expanded
    forms cancel when a few studies hold nearly all the weight (then the traces are small
    differences of large terms); at the k where they are used that takes weights ratios far
    beyond those of real meta-analyses, and test_models_properties checks both forms agree.
    """

    def __init__(self, y, v, mk, X):
        self.y, self.v, self.mk, self.X = y, v, mk, X
        self.p = X.shape[2]
        self.explicit = X.shape[1] <= EXPLICIT_P_MAX_K

    def take(self, name, rows):
        a = getattr(self, name)
        return a if rows is None or len(rows) == a.shape[0] else a[rows]

    def _normal(self, w, rows):
        X = self.take("X", rows)
        wx = w[:, :, None] * X
        a = np.einsum("mkp,mkq->mpq", wx, X)
        return X, wx, a, np.linalg.inv(a)

    def _p_matrix(self, w, rows):
        X, wx, a, ainv = self._normal(w, rows)
        P = -np.einsum("mkp,mpq,mjq->mkj", wx, ainv, wx)
        idx = np.arange(w.shape[1])
        P[:, idx, idx] += w
        return X, wx, a, ainv, P

    @staticmethod
    def _leverage(X, wx, ainv):
        return np.einsum("mkp,mpq,mkq->mk", wx, ainv, X)

    def wls(self, w, rows=None, need_pp=True, need_vb=True):
        y = self.take("y", rows)
        if self.explicit:
            X, wx, a, ainv, P = self._p_matrix(w, rows)
        else:
            X, wx, a, ainv = self._normal(w, rows)
        beta = np.einsum("mpq,mkq,mk->mp", ainv, wx, y)
        r = y - np.einsum("mkp,mp->mk", X, beta)
        py = w * r
        out = {"S": w.sum(axis=1), "beta": beta, "Py": py, "RSS": _rowdot(py, r), "S2": _rowdot(w, w)}
        if self.explicit:
            out["trP"] = np.einsum("mkk->m", P)
            out["sumPP"] = (P * P).sum(axis=(1, 2))
        else:
            h = self._leverage(X, wx, ainv)
            w2 = w * w
            ab = ainv @ np.einsum("mkp,mkq->mpq", wx * w[:, :, None], X)
            out["trP"] = _rowdot(w, 1.0 - h)
            out["sumPP"] = out["S2"] - 2.0 * _rowdot(w2, h) + np.einsum("mpq,mqp->m", ab, ab)
        out["vb"] = ainv
        out["logdetA"] = np.linalg.slogdet(a)[1]
        return out

    def rss(self, w, rows=None):
        y = self.take("y", rows)
        X, wx, a, ainv = self._normal(w, rows)
        beta = np.einsum("mpq,mkq,mk->mp", ainv, wx, y)
        r = y - np.einsum("mkp,mp->mk", X, beta)
        return _rowdot(w * r, r)

    def rss_logdet(self, w, rows=None):
        out = self.wls(w, rows, need_pp=False)
        return out["RSS"], out["logdetA"]

    def tr_pv(self, w, rows=None):
        v = self.take("v", rows)
        if self.explicit:
            P = self._p_matrix(w, rows)[4]
            return np.einsum("mkk,mk->m", P, v)
        X, wx, a, ainv = self._normal(w, rows)
        return _rowdot(w * v, 1.0 - self._leverage(X, wx, ainv))

    def pv_terms(self, w, rows=None):
        v = self.take("v", rows)
        if self.explicit:
            P = self._p_matrix(w, rows)[4]
            pv = P * v[:, None, :]
            return np.einsum("mkk->m", pv), np.einsum("mij,mji->m", pv, pv), (pv * P).sum(axis=(1, 2))
        X, wx, a, ainv = self._normal(w, rows)
        h = self._leverage(X, wx, ainv)
        w2 = w * w
        w2v = w2 * v
        ab = ainv @ np.einsum("mkp,mkq->mpq", w2[:, :, None] * X, X)
        ac = ainv @ np.einsum("mkp,mkq->mpq", w2v[:, :, None] * X, X)
        trpv = _rowdot(w * v, 1.0 - h)
        trpvpv = _rowdot(w2v, v) - 2.0 * _rowdot(w2v * v, h) + np.einsum("mpq,mqp->m", ac, ac)
        sumpvp = w2v.sum(axis=1) - 2.0 * _rowdot(w2v, h) + np.einsum("mpq,mqp->m", ab, ac)
        return trpv, trpvpv, sumpvp
