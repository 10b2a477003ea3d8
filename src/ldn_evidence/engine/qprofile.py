"""The Q-profile confidence interval for tau^2 (Viechtbauer 2007), as metafor 3.8's
``confint.rma.uni()``: the tau^2 values at which the generalised Q statistic crosses the
chi-square quantiles, found with R's ``uniroot()`` steps (:mod:`.zeroin`) for many fits at once.

Reference: Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in
meta-analysis. Stat Med 26:37-52.
"""
from __future__ import annotations

import numpy as np
from scipy import special as sp

from .zeroin import zeroin

__all__ = ["q_profile"]


def _bound(q_at, rows, tmin, tmax, q_min, q_max, crit, tol, maxit):
    """The root of Q(tau^2) = crit in [tmin, tmax] for each of ``rows`` (Q changes sign there)."""

    def f(t, sub):
        return q_at(t, rows[sub]) - crit[sub]

    root, _ = zeroin(f, tmin, tmax, q_min - crit, q_max - crit, tol=tol, maxiter=maxit)
    return root


def q_profile(d, tau2, alpha, rows):
    """Q-profile CI for tau^2 of ``rows`` of the :class:`~.estimators.FitData` ``d``, following
    confint.rma.uni's search: (lower, upper, converged) arrays of ``rows.size``."""
    n = rows.size
    df = d.dfree[rows]
    crit_u = sp.chdtri(df, alpha / 2.0)  # qchisq(alpha/2, df, lower.tail=FALSE)
    crit_l = sp.chdtri(df, 1.0 - alpha / 2.0)  # qchisq(alpha/2, df, lower.tail=TRUE)
    t2 = tau2[rows]
    tmin = np.minimum(0.0, t2)
    tmax = np.maximum(np.maximum(100.0, 10.0 * t2), 10.0 * tmin)

    def q_at(t, r):
        return d.kern.rss(d.weights(t, r), r)

    q_max = q_at(tmax, rows)
    q_min = q_at(tmin, rows)
    lb = np.full(n, np.nan)
    ub = np.full(n, np.nan)
    lb_conv = np.zeros(n, dtype=bool)
    ub_conv = np.zeros(n, dtype=bool)
    tol = float(d.con["tol"])
    maxit = int(d.con["qprofile_maxiter"])

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
        s = np.flatnonzero(search)
        ub[s] = _bound(q_at, rows[s], tmin[s], tmax[s], q_min[s], q_max[s], crit_l[s], tol, maxit)
        ub_conv[s] = True

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
        s = np.flatnonzero(search)
        lb[s] = _bound(q_at, rows[s], tmin[s], tmax[s], q_min[s], q_max[s], crit_u[s], tol, maxit)
        lb_conv[s] = True
    return lb, ub, lb_conv & ub_conv
