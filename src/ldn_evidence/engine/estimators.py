"""The tau^2 estimators of metafor 3.8's ``rma.uni()``, one function per family, for many fits at once.

* :func:`tau2_moment` — the closed forms: Hunter-Schmidt (HS), Hedges (HE), DerSimonian-Laird
  (DL), Sidik-Jonkman (SJ);
* :func:`tau2_likelihood` — ML, REML and empirical Bayes (EB) by Fisher scoring, all rows at
  once, starting at the HE estimate, with metafor's step halving, absolute convergence
  threshold and (ML/REML) the check of the likelihood at tau^2 = 0;
* :func:`tau2_paule_mandel` — Paule-Mandel (PM): the root of the generalised Q statistic with
  R's ``uniroot()`` steps (:mod:`.zeroin`).

Each takes a :class:`FitData` (the masked ``(m, k)`` data, its kernel and the control
settings) and returns tau^2 and its standard error per row (metafor's ``se.tau2``). Formulas:
Viechtbauer (2005), Bias and efficiency of meta-analytic variance estimators in the
random-effects model, J Educ Behav Stat 30:261-293, and metafor's code for the iteration rules.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .kernels import _rowdot
from .zeroin import zeroin

__all__ = ["FitData", "tau2_moment", "tau2_likelihood", "tau2_paule_mandel"]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class FitData:
    """The data of ``m`` fits after masking: ``y``, ``v`` (absent studies: 0 and 1), ``mk`` (mask),
    ``mf`` (mask as floats), ``kf`` (studies per fit), ``dfree`` (k - p), the kernel, the control
    settings and the list collecting messages."""

    y: np.ndarray
    v: np.ndarray
    mk: np.ndarray
    mf: np.ndarray
    kf: np.ndarray
    dfree: np.ndarray
    p: int
    kern: object
    con: dict
    messages: list = field(default_factory=list)

    @property
    def m(self) -> int:
        return self.y.shape[0]

    def take(self, name, rows):
        """The array ``name`` for ``rows`` (ascending row indices; None or all rows: without a copy)."""
        a = getattr(self, name)
        return a if rows is None or len(rows) == a.shape[0] else a[rows]

    def weights(self, tau2, rows=None):
        """``mf / (v + tau2)`` for ``rows``: the random-effects weights, zero for absent studies."""
        w = self.take("v", rows) + tau2[:, None]
        np.divide(self.take("mf", rows), w, out=w)
        return w


def tau2_moment(d: FitData, method):
    """HS, HE, DL or SJ tau^2 and its SE (metafor's formulas), truncated at 0."""
    kern, kf, dfree = d.kern, d.kf, d.dfree
    w_fe = d.mf / d.v
    if method == "HS":
        s = kern.wls(w_fe)
        tau2 = np.maximum(0.0, (s["RSS"] - kf) / s["S"])
        se = np.sqrt(1.0 / s["S"] ** 2 * (2 * dfree + 4 * tau2 * s["trP"] + 2 * tau2**2 * s["sumPP"]))
    elif method == "HE":
        s = kern.wls(d.mf)
        trpv, trpvpv, _ = kern.pv_terms(d.mf)
        tau2 = np.maximum(0.0, (s["RSS"] - trpv) / dfree)
        se = np.sqrt(1.0 / dfree**2 * (2 * trpvpv + 4 * tau2 * trpv + 2 * tau2**2 * dfree))
    elif method == "DL":
        s = kern.wls(w_fe)
        tau2 = np.maximum(0.0, (s["RSS"] - dfree) / s["trP"])
        se = np.sqrt(1.0 / s["trP"] ** 2 * (2 * dfree + 4 * tau2 * s["trP"] + 2 * tau2**2 * s["sumPP"]))
    elif method == "SJ":
        if d.con["tau2_init"] is None:
            ybar = _rowdot(d.mf, d.y) / kf
            tau2_0 = _rowdot(d.mf, (d.y - ybar[:, None]) ** 2) / kf
        else:
            tau2_0 = np.broadcast_to(np.asarray(d.con["tau2_init"], dtype=float), (d.m,)).copy()
        w0 = d.weights(tau2_0)
        s = kern.wls(w0)
        _, trpvpv, sumpvp = kern.pv_terms(w0)
        tau2 = np.maximum(0.0, tau2_0 * s["RSS"] / dfree)
        se = np.sqrt(tau2_0**2 / dfree**2 * (2 * trpvpv + 4 * tau2 * sumpvp + 2 * tau2**2 * s["sumPP"]))
    else:  # pragma: no cover
        raise AssertionError(method)
    return tau2, se


def tau2_likelihood(d: FitData, method):
    """ML, REML or EB tau^2 by Fisher scoring, and its SE: (tau2, se, converged, iterations, reset_to_zero)."""
    tau2, converged, iterations, reset0 = _fisher_scoring(d, method)
    w = d.weights(np.where(np.isfinite(tau2), tau2, 0.0))
    if method == "ML":
        se = np.sqrt(2.0 / _rowdot(w, w))
    elif method == "REML":
        se = np.sqrt(2.0 / d.kern.wls(w)["sumPP"])
    else:
        se = np.sqrt(2.0 * d.kf**2 / d.dfree / w.sum(axis=1) ** 2)
    return tau2, np.where(np.isfinite(tau2), se, np.nan), converged, iterations, reset0


def _start(d: FitData):
    """Fisher scoring's start: the HE estimate truncated at 0 (metafor's max(0, HE, tau2.min)), or tau2_init."""
    if d.con["tau2_init"] is not None:
        return np.broadcast_to(np.asarray(d.con["tau2_init"], dtype=float), (d.m,)).copy()
    s = d.kern.wls(d.mf, need_pp=False, need_vb=False)
    tau2 = np.maximum(0.0, (s["RSS"] - d.kern.tr_pv(d.mf)) / d.dfree)
    return np.where(np.isfinite(tau2), tau2, 0.0)


def _scoring_step(d: FitData, method, t, rows):
    """The Fisher scoring adjustment of tau^2 for ``rows`` (None: all) at ``t``."""
    w = d.weights(t, rows)
    kf, dfree = d.take("kf", rows), d.take("dfree", rows)
    if method == "EB":
        s = d.kern.wls(w, rows, need_pp=False, need_vb=False)
        return (s["RSS"] * kf / dfree - kf) / s["S"]
    s = d.kern.wls(w, rows, need_pp=(method == "REML"), need_vb=False)
    yppy = _rowdot(s["Py"], s["Py"])
    if method == "ML":
        return (yppy - s["S"]) / s["S2"]
    return (yppy - s["trP"]) / s["sumPP"]


def _fisher_scoring(d: FitData, method):
    """ML / REML / EB by Fisher scoring, all rows at once (metafor's rma.uni iteration)."""
    con = d.con
    threshold, maxiter, stepadj = float(con["threshold"]), int(con["maxiter"]), float(con["stepadj"])
    tau2 = _start(d)
    m = d.m
    converged = np.zeros(m, dtype=bool)
    failed = np.zeros(m, dtype=bool)
    iterations = np.zeros(m, dtype=int)
    active = np.flatnonzero(d.kf > 1)  # k = 1: nothing to estimate
    converged[d.kf <= 1] = True
    while active.size:
        rows = None if active.size == m else active
        iterations[active] += 1
        t = tau2[active]
        adj = _scoring_step(d, method, t, rows) * stepadj
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
        d.messages.append(
            f"{method} estimator: Fisher scoring algorithm did not converge within {maxiter} iterations "
            f"(threshold {threshold:g}) in {int(failed.sum())} fit(s); metafor stops with an error here"
        )
    reset0 = np.zeros(m, dtype=bool)
    if method in ("ML", "REML") and con["ll0check"]:
        reset0 = _ll0check(d, method, tau2, converged, threshold)
    tau2 = np.maximum(0.0, tau2)
    tau2[failed] = np.nan
    return tau2, converged, iterations, reset0


def _ll0check(d: FitData, method, tau2, converged, threshold):
    """metafor's check of the (restricted) likelihood at tau^2 = 0: set tau^2 = 0 where it is higher."""
    reset0 = np.zeros(d.m, dtype=bool)
    rows = np.flatnonzero(converged & (d.kf > 1) & (tau2 > threshold))
    if rows.size:
        sel = None if rows.size == d.m else rows
        ll0 = _loglik(d, method, np.zeros(rows.size), sel)
        ll1 = _loglik(d, method, tau2[rows], sel)
        bad = (ll0 - ll1) > float(d.con["tol"])
        if bad.any():
            tau2[rows[bad]] = 0.0
            reset0[rows[bad]] = True
            d.messages.append(f"{method} estimator: Fisher scoring algorithm may have gotten stuck at a local "
                              "maximum; setting tau^2 = 0 (as metafor)")
    return reset0


def _loglik(d: FitData, method, tau2, rows):
    """The ML or REML log-likelihood of ``rows`` (None: all) at ``tau2`` (metafor's ``ll``)."""
    w = d.weights(tau2, rows)
    rss, logdet = d.kern.rss_logdet(w, rows)
    vt = d.take("v", rows) + tau2[:, None]
    logv = _rowdot(d.take("mf", rows), np.log(vt, out=vt))
    kf = d.take("kf", rows)
    if method == "ML":
        return -0.5 * kf * _LOG_2PI - 0.5 * logv - 0.5 * rss
    return -0.5 * (kf - d.p) * _LOG_2PI - 0.5 * logv - 0.5 * logdet - 0.5 * rss


def _mad(y, mk):
    """R's mad(): 1.4826 * median(|y - median(y)|), per row over present studies."""
    yy = np.where(mk, y, np.nan)
    med = np.nanmedian(yy, axis=1)
    return 1.4826 * np.nanmedian(np.abs(yy - med[:, None]), axis=1)


def tau2_paule_mandel(d: FitData):
    """Paule-Mandel: root of Q(tau^2) = k - p by uniroot on [0, tau2_max], as metafor; and its SE.

    Returns (tau2, se, ok); rows where the search bound is too low (metafor stops with an error)
    are NaN with ``ok`` False.
    """
    m, con = d.m, d.con
    tau2 = np.zeros(m)
    ok = np.ones(m, dtype=bool)
    target = d.dfree
    if con["tau2_max"] is None:
        tmax = np.maximum(100.0, 10.0 * _mad(d.y, d.mk) ** 2)
    else:
        tmax = np.broadcast_to(np.asarray(con["tau2_max"], dtype=float), (m,)).copy()
    rows = np.flatnonzero(d.kf > 1)
    if rows.size:
        def q_at(t, r):
            return d.kern.rss(d.weights(t, r), r)

        f0 = q_at(np.zeros(rows.size), rows) - target[rows]
        fmax = q_at(tmax[rows], rows) - target[rows]
        zero = f0 < 0.0
        too_low = ~zero & (fmax > 0.0)
        if too_low.any():
            ok[rows[too_low]] = False
            tau2[rows[too_low]] = np.nan
            d.messages.append("PM estimator: value of tau2_max too low (metafor stops with an error here)")
        search = ~zero & ~too_low
        if search.any():
            r = rows[search]

            def f(t, sub):
                rr = r[sub]
                return q_at(t, rr) - target[rr]

            root, _ = zeroin(f, np.zeros(r.size), tmax[r], f0[search], fmax[search], tol=float(con["tol"]),
                             maxiter=int(con["maxiter"]))
            tau2[r] = root
    tau2 = np.where(ok, np.maximum(0.0, tau2), np.nan)
    w = d.weights(np.where(ok, tau2, 0.0))
    se = np.sqrt(2.0 * d.kf**2 / d.dfree / w.sum(axis=1) ** 2)
    return tau2, np.where(ok, se, np.nan), ok
