"""Case-deletion influence diagnostics, as metafor's ``influence.rma.uni()``, and the Baujat
coordinates, as metafor's ``baujat()``; both from the leave-one-out refits.

Formulas: Viechtbauer & Cheung (2010), Outlier and influence diagnostics for meta-analysis,
Res Synth Methods 1:112-125; Baujat et al. (2002), Stat Med 21:2641-2652; as metafor 3.8-1
computes them (knha-scaled variances under knha). Memory is O(k) per leave-one-out fit.
"""
from __future__ import annotations

import math

import numpy as np

from ._common import check_fit, frame, rows_per_chunk
from .leave1out import leave_one_out_rows

__all__ = ["influence", "baujat"]

_EPS = np.finfo(float).eps


def _vb_all_studies(v, tau2_del, chunk_rows):
    """1 / sum_j 1 / (v_j + tau2_(-i)): X'W X over all k studies at each deleted fit's tau^2."""
    out = np.empty(tau2_del.size)
    for a in range(0, tau2_del.size, chunk_rows):
        t = tau2_del[a:a + chunk_rows]
        out[a:a + t.size] = 1.0 / (1.0 / (v[None, :] + t[:, None])).sum(axis=1)
    return out


def influence(res, *, chunk_size=None):
    """Case-deletion influence diagnostics, as metafor's ``influence.rma.uni()``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the study labels: ``rstudent`` (externally studentized residual),
        ``dffits``, ``cooks_d`` (Cook's distance), ``cov_r`` (covariance ratio), ``tau2_del``
        and ``qe_del`` (tau^2 and Q without the study), ``hat`` (leverage), ``weight``
        (percent), ``dfbetas``, and ``inf`` (bool): metafor's "*" flag, i.e.
        |dffits| > 3 sqrt(p/(k-p)), or pchisq(cooks_d, 1) > 0.5, or hat > 3p/k, or
        |dfbetas| > 1 (p = 1). Under knha the deleted fits' Knapp-Hartung factors scale the
        statistics exactly as in metafor.

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, 0.5, 0.2, 1.4], [0.02, 0.03, 0.04, 0.02, 0.03], method="DL", test="z")
    >>> influence(res)["inf"].tolist()
    [False, False, False, False, True]
    """
    check_fit(res, "influence")
    from scipy.special import chdtr

    k, p = res.k, 1
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    rows = leave_one_out_rows(res, chunk_size=chunk_size)
    beta = res.estimate
    vb = res.se ** 2                                  # the full model's vb (knha-scaled, as metafor)
    w = 1.0 / (v + res.tau2)
    hat = w / w.sum()
    hat = np.where(hat > 1 - 10 * _EPS, 1.0, hat)
    weight = 100.0 * w / w.sum()
    with np.errstate(all="ignore"):
        beta_del, vb_del, tau2_del, s2w = rows["estimate"], rows["vb"], rows["tau2"], rows["s2w"]
        resid = y - beta_del
        resid = np.where(np.abs(resid) < 100 * _EPS, 0.0, resid)
        se_resid = np.sqrt(v * s2w + vb_del + tau2_del * s2w)
        rstudent = resid / se_resid
        dfb = beta - beta_del
        dffits = dfb / np.sqrt(s2w * hat * (tau2_del + v))
        vb_del_full = _vb_all_studies(v, tau2_del, rows_per_chunk(k, chunk_size))
        dfbetas = dfb / np.sqrt(s2w * vb_del_full)
        cooks = dfb * dfb / vb
        cov_r = vb_del / vb
        flag = ((np.abs(dffits) > 3 * math.sqrt(p / (k - p))) | (chdtr(1, cooks) > 0.5) | (hat > 3 * p / k)
                | (np.abs(dfbetas) > 1))
    return frame({"rstudent": rstudent, "dffits": dffits, "cooks_d": cooks, "cov_r": cov_r, "tau2_del": tau2_del,
                  "qe_del": rows["q"], "hat": hat, "weight": weight, "dfbetas": dfbetas, "inf": flag}, res.labels)


def baujat(res, *, chunk_size=None):
    """Baujat et al. (2002) coordinates, as the data frame metafor's ``baujat()`` returns.

    Returns
    -------
    pandas.DataFrame
        Indexed by the study labels. ``x``: squared Pearson residual (yi - estimate)^2 /
        (tau^2 + vi) (the study's contribution to Q under EE); ``y``: influence on the pooled
        result, (estimate_(-i) - estimate)^2 / Var(estimate_(-i)) with the leave-one-out
        variance (knha-scaled under knha, as metafor).

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, 0.5, 0.2], [0.02, 0.03, 0.04, 0.02], method="EE", test="z")
    >>> baujat(res)["x"].round(3).tolist()
    [0.936, 0.133, 1.731, 0.068]
    """
    check_fit(res, "baujat")
    y, v = np.asarray(res.yi, float), np.asarray(res.vi, float)
    rows = leave_one_out_rows(res, ("estimate", "vb"), chunk_size=chunk_size)
    with np.errstate(all="ignore"):
        xs = (y - res.estimate) ** 2 / (res.tau2 + v)
        ys = (rows["estimate"] - res.estimate) ** 2 / rows["vb"]
    return frame({"x": xs, "y": ys}, res.labels)
