"""Conversions for getting means, SDs, SEs and effect sizes out of trial reports.

Each function is small, vectorised (scalars, lists, numpy arrays or pandas Series in;
float or numpy array out) and cites its source.  Abbreviations: CI confidence interval,
SE standard error, SD standard deviation, IQR interquartile range.

References
----------
Handbook: Higgins JPT, Li T, Deeks JJ (eds). Chapter 6: Choosing effect measures and
computing estimates of effect. Cochrane Handbook for Systematic Reviews of
Interventions, version 6.5, 2024 (sections cited per function).
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to
Meta-Analysis. Wiley (chapters 4 and 7).
Wan X, Wang W, Liu J, Tong T (2014). BMC Med Res Methodol 14:135.
Luo D, Wan X, Liu J, Tong T (2018). Stat Methods Med Res 27(6):1785-1805.
Shi J, Luo D, Weng H, Zeng X-T, Lin L, Chu H, Tong T (2020). Optimally estimating the
sample standard deviation from the five-number summary. Res Synth Methods
11(5):641-654.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from ..vocabulary import check_level
from ._inputs import aligned_series
from .measures import hedges_j

__all__ = [
    "critical_value",
    "se_from_ci", "estimate_from_ci", "se_from_p", "se_from_t",
    "sd_from_se", "sd_from_ci",
    "mean_from_median", "sd_from_median", "mean_sd_from_median",
    "d_to_g", "r_to_smd",
    "combine_groups",
    "correlation_from_sds", "sd_change_from_correlation",
]


def _f(x: Any) -> Any:
    """float array (0-d arrays are returned as Python floats by _out)."""
    return np.asarray(x, dtype=float)


def _out(x: np.ndarray) -> Any:
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def critical_value(level: float = 95, df: Any = None) -> Any:
    """Two-sided critical value: ``z_{1-(1-level/100)/2}``, or ``t`` with ``df`` if given.

    ``level`` is a percent, as everywhere in the package.

    >>> round(critical_value(95), 6), round(critical_value(95, df=9), 6)
    (1.959964, 2.262157)
    """
    q = 1 - (1 - check_level(level) / 100) / 2
    if df is None:
        return float(special.ndtri(q))
    return _out(special.stdtrit(_f(df), q))


# ----------------------------------------------------------------------- standard errors

def se_from_ci(lower: Any, upper: Any, level: float = 95, *, log_scale: bool = False,
               df: Any = None) -> Any:
    """SE of an estimate from its confidence interval.

    ``SE = (upper - lower) / (2 * crit)`` with ``crit`` the two-sided normal quantile
    (1.96 for 95%) or, with ``df``, the t quantile (Handbook 6.5.2.3 for small samples).
    For ratio measures (RR, OR, HR, ROM) set ``log_scale=True``: the CI is symmetric on
    the log scale, so ``SE(log estimate) = (ln upper - ln lower) / (2 * crit)``
    (Handbook 6.3.2).  Any level (a percent) is allowed, e.g. 90.

    Returns the SE on the linear scale, or of the log estimate when ``log_scale``.
    """
    lo, hi = _f(lower), _f(upper)
    if np.any(hi < lo):
        raise ValueError("upper CI limit is below the lower limit")
    if log_scale:
        if np.any(lo <= 0):
            raise ValueError("a ratio-scale CI must have positive limits")
        lo, hi = np.log(lo), np.log(hi)
    return _out((hi - lo) / (2 * _f(critical_value(level, df))))


def estimate_from_ci(lower: Any, upper: Any, *, log_scale: bool = False) -> Any:
    """Point estimate implied by a symmetric CI: midpoint (linear) or ``ln`` of the
    geometric mean of the limits (ratio measures, on the log scale)."""
    lo, hi = _f(lower), _f(upper)
    if log_scale:
        return _out((np.log(lo) + np.log(hi)) / 2)
    return _out((lo + hi) / 2)


def se_from_p(estimate: Any, p: Any, *, df: Any = None) -> Any:
    """SE from an estimate and its two-sided p-value (Handbook 6.3.2 and 6.5.2.3).

    ``SE = |estimate| / z`` with ``z = Phi^-1(1 - p/2)``, or the t quantile with ``df``
    (for a t-test, ``df = n1 + n2 - 2``).  For ratio measures pass the log estimate.
    An exactly reported p is required: "p < 0.05" gives only a bound on the SE.
    """
    p = _f(p)
    if np.any((p <= 0) | (p > 1)):
        raise ValueError("p-values must be in (0, 1]")
    q = 1 - p / 2
    crit = special.ndtri(q) if df is None else special.stdtrit(_f(df), q)
    return _out(np.abs(_f(estimate)) / crit)


def se_from_t(estimate: Any, t: Any) -> Any:
    """SE from an estimate and its t (or z) statistic: ``SE = |estimate / t|``
    (Handbook 6.5.2.3)."""
    return _out(np.abs(_f(estimate) / _f(t)))


# ----------------------------------------------------------------------- standard deviations

def sd_from_se(se: Any, n: Any) -> Any:
    """SD of a group from the SE of its mean: ``SD = SE * sqrt(n)`` (Handbook 6.5.2.2)."""
    n = _f(n)
    if np.any(n <= 0):
        raise ValueError("n must be positive")
    return _out(_f(se) * np.sqrt(n))


def sd_from_ci(lower: Any, upper: Any, n: Any, level: float = 95, *,
               dist: str = "t") -> Any:
    """SD of a group from the CI of its mean (Handbook 6.5.2.2).

    ``SD = sqrt(n) * (upper - lower) / (2 * crit)``.  ``dist="t"`` (default) uses the t
    quantile with ``n - 1`` df, which the Handbook requires for small samples (it gives
    4.128 instead of 3.92 for ``2 * crit`` when n = 25); ``dist="z"`` uses the normal
    quantile (adequate for n of about 60 or more per group).
    """
    n = _f(n)
    if np.any(n <= 1):
        raise ValueError("n must be > 1")
    if dist == "t":
        crit = _f(critical_value(level, n - 1))
    elif dist == "z":
        crit = critical_value(level)
    else:
        raise ValueError("dist must be 't' or 'z'")
    return _out(np.sqrt(n) * (_f(upper) - _f(lower)) / (2 * crit))


# ----------------------------------------------------------------------- medians

def _xi(n: np.ndarray) -> np.ndarray:
    """Wan et al. (2014) eq. 9: expected range of n standard normals, approx."""
    return 2 * special.ndtri((n - 0.375) / (n + 0.25))


def _eta(n: np.ndarray) -> np.ndarray:
    """Wan et al. (2014) eq. 16: expected IQR of n standard normals, approx."""
    return 2 * special.ndtri((0.75 * n - 0.125) / (n + 0.25))


def _scenario(q1, q3, minimum, maximum) -> str:
    has_iqr = q1 is not None and q3 is not None
    has_range = minimum is not None and maximum is not None
    if has_range and has_iqr:
        return "S3"
    if has_range:
        return "S1"
    if has_iqr:
        return "S2"
    raise ValueError("need q1 and q3 (IQR) and/or minimum and maximum (range)")


def mean_from_median(n: Any, median: Any, *, q1: Any = None, q3: Any = None,
                     minimum: Any = None, maximum: Any = None, method: str = "luo") -> Any:
    """Sample mean from the median and the range and/or the IQR.

    Scenarios (Wan et al. 2014): S1 = {min, median, max}; S2 = {q1, median, q3};
    S3 = {min, q1, median, q3, max}, chosen from the arguments given.

    ``method="luo"`` (default; Luo et al. 2018; S2 is their eq. 15):
      * S1: ``w*(min+max)/2 + (1-w)*median``, ``w = 4/(4 + n^0.75)``
      * S2: ``w*(q1+q3)/2 + (1-w)*median``, ``w = 0.7 + 0.39/n``
      * S3: ``w1*(min+max)/2 + w2*(q1+q3)/2 + (1-w1-w2)*median``,
        ``w1 = 2.2/(2.2 + n^0.75)``, ``w2 = 0.7 - 0.72/n^0.55``

    ``method="wan"`` (Wan et al. 2014; S2 is their eq. 14; S1 is that of Hozo et al. 2005):
      S1 ``(min + 2*median + max)/4``; S2 ``(q1 + median + q3)/3``;
      S3 ``(min + 2*q1 + 2*median + 2*q3 + max)/8``.

    All assume roughly normal data; for clearly skewed data (e.g. ``q3 - median`` much
    larger than ``median - q1``) the estimates are unreliable.
    """
    n, m = _f(n), _f(median)
    s = _scenario(q1, q3, minimum, maximum)
    if method == "luo":
        if s == "S1":
            w = 4 / (4 + n**0.75)
            return _out(w * (_f(minimum) + _f(maximum)) / 2 + (1 - w) * m)
        if s == "S2":
            w = 0.7 + 0.39 / n
            return _out(w * (_f(q1) + _f(q3)) / 2 + (1 - w) * m)
        w1 = 2.2 / (2.2 + n**0.75)
        w2 = 0.7 - 0.72 / n**0.55
        return _out(w1 * (_f(minimum) + _f(maximum)) / 2 + w2 * (_f(q1) + _f(q3)) / 2
                    + (1 - w1 - w2) * m)
    if method == "wan":
        if s == "S1":
            return _out((_f(minimum) + 2 * m + _f(maximum)) / 4 + 0 * n)
        if s == "S2":
            return _out((_f(q1) + m + _f(q3)) / 3 + 0 * n)
        return _out((_f(minimum) + 2 * _f(q1) + 2 * m + 2 * _f(q3) + _f(maximum)) / 8 + 0 * n)
    raise ValueError("method must be 'luo' or 'wan'")


def sd_from_median(n: Any, *, q1: Any = None, q3: Any = None, minimum: Any = None,
                   maximum: Any = None, method: str | None = None) -> Any:
    """Sample SD from the range and/or the IQR and the sample size.

    With ``xi(n) = 2 Phi^-1((n - 0.375)/(n + 0.25))`` and
    ``eta(n) = 2 Phi^-1((0.75 n - 0.125)/(n + 0.25))`` (Wan et al. 2014, eqs. 9 and 16):

    * S1 (range): ``(max - min) / xi(n)`` (Wan 2014, eq. 9)
    * S2 (IQR): ``(q3 - q1) / eta(n)`` (Wan 2014, eq. 16)
    * S3 (both), ``method="shi"`` (default): ``w (max-min)/xi(n) + (1-w)(q3-q1)/eta(n)``
      with ``w = 1/(1 + 0.07 n^0.6)`` (Shi et al. 2020, the approximate optimal
      weight); ``method="wan"``: the unweighted average of the two (Wan et al. 2014).

    ``method`` only matters for S3.
    """
    n = _f(n)
    s = _scenario(q1, q3, minimum, maximum)
    if s == "S1":
        return _out((_f(maximum) - _f(minimum)) / _xi(n))
    if s == "S2":
        return _out((_f(q3) - _f(q1)) / _eta(n))
    sd_range = (_f(maximum) - _f(minimum)) / _xi(n)
    sd_iqr = (_f(q3) - _f(q1)) / _eta(n)
    if method in (None, "shi"):
        w = 1 / (1 + 0.07 * n**0.6)
        return _out(w * sd_range + (1 - w) * sd_iqr)
    if method == "wan":
        return _out((sd_range + sd_iqr) / 2)
    raise ValueError("method must be 'shi' or 'wan'")


def mean_sd_from_median(n: Any, median: Any, *, q1: Any = None, q3: Any = None,
                        minimum: Any = None, maximum: Any = None, mean_method: str = "luo",
                        sd_method: str = "shi") -> dict[str, Any]:
    """Mean and SD from median with IQR and/or range (see :func:`mean_from_median` and
    :func:`sd_from_median`).  Returns ``{"mean", "sd", "scenario", "method"}``; the
    defaults (Luo 2018 mean, Wan 2014 / Shi 2020 SD) are those of metafor's
    ``conv.fivenum`` and of the authors' online calculator."""
    scen = _scenario(q1, q3, minimum, maximum)
    mean = mean_from_median(n, median, q1=q1, q3=q3, minimum=minimum, maximum=maximum,
                            method=mean_method)
    sd = sd_from_median(n, q1=q1, q3=q3, minimum=minimum, maximum=maximum,
                        method=sd_method)
    sd_name = {"S1": "Wan 2014", "S2": "Wan 2014"}.get(
        scen, "Shi 2020" if sd_method == "shi" else "Wan 2014")
    mean_name = "Luo 2018" if mean_method == "luo" else "Wan 2014"
    return {"mean": mean, "sd": sd, "scenario": scen,
            "method": f"{scen}: mean {mean_name}, SD {sd_name}"}


# ----------------------------------------------------------------------- effect sizes

def d_to_g(d: Any, n1: Any, n2: Any, *, exact: bool = True) -> tuple[Any, Any]:
    """Cohen's d (two independent groups) to Hedges' g with its variance.

    ``V_d = (n1 + n2)/(n1 n2) + d^2 / (2 (n1 + n2))``; ``g = J d``; ``V_g = J^2 V_d``
    (Borenstein et al. 2009, eqs. 4.20, 4.22-4.24).  ``J`` is the exact gamma-function
    factor with ``df = n1 + n2 - 2`` (as metafor) or, with ``exact=False``, Borenstein's
    ``1 - 3/(4 df - 1)``.  Returns ``(g, V_g)``.
    """
    d, n1, n2 = _f(d), _f(n1), _f(n2)
    df = n1 + n2 - 2
    j = hedges_j(df) if exact else 1 - 3 / (4 * df - 1)
    vd = (n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2))
    return _out(j * d), _out(j**2 * vd)


def r_to_smd(r: Any, n: Any, *, n1: Any = None, n2: Any = None,
             exact: bool = True) -> tuple[Any, Any]:
    """Correlation (point-biserial) to standardized mean difference, Hedges' g.

    ``d = 2r / sqrt(1 - r^2)``, ``V_d = 4 V_r / (1 - r^2)^3`` with
    ``V_r = (1 - r^2)^2 / (n - 1)`` (Borenstein et al. 2009, eqs. 6.1, 7.5, 7.6), then
    the small-sample correction of :func:`d_to_g`: ``g = J d``, ``V_g = J^2 V_d``, with
    ``df = n - 2`` (``n1``/``n2`` only fix ``n = n1 + n2`` if given).  The conversion
    assumes roughly equal group sizes.  Returns ``(g, V_g)``.
    """
    r = _f(r)
    if np.any(np.abs(r) >= 1):
        raise ValueError("|r| must be < 1")
    n = _f(n) if n1 is None or n2 is None else _f(n1) + _f(n2)
    d = 2 * r / np.sqrt(1 - r**2)
    vr = (1 - r**2) ** 2 / (n - 1)
    vd = 4 * vr / (1 - r**2) ** 3
    df = n - 2
    j = hedges_j(df) if exact else 1 - 3 / (4 * df - 1)
    return _out(j * d), _out(j**2 * vd)


# ----------------------------------------------------------------------- groups, correlations

def combine_groups(n1: Any, m1: Any, sd1: Any, n2: Any, m2: Any, sd2: Any) -> tuple[Any, Any, Any]:
    """Combine two arms (e.g. two doses of the drug) into one group (Handbook 6.5.2.10, Table 6.5.a).

    ``N = n1 + n2``; ``M = (n1 m1 + n2 m2)/N``;
    ``SD = sqrt(((n1-1) sd1^2 + (n2-1) sd2^2 + n1 n2/N (m1 - m2)^2) / (N - 1))``.
    Apply repeatedly for more than two arms.  Returns ``(N, M, SD)``.
    """
    n1, m1, sd1, n2, m2, sd2 = map(_f, (n1, m1, sd1, n2, m2, sd2))
    n = n1 + n2
    m = (n1 * m1 + n2 * m2) / n
    sd = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2 + n1 * n2 / n * (m1 - m2) ** 2) / (n - 1))
    return _out(n), _out(m), _out(sd)


def correlation_from_sds(sd_baseline: Any, sd_final: Any, sd_change: Any) -> Any:
    """Impute the baseline-final correlation from the three SDs (Handbook 6.5.2.8).

    ``Corr = (SD_baseline^2 + SD_final^2 - SD_change^2) / (2 SD_baseline SD_final)``,
    from a study (or arm) that reports all three; the Handbook suggests using such values
    from similar studies to impute SDs of change elsewhere.  Works the same way for the
    two conditions of a crossover trial (SD_E, SD_C, SD_diff; Handbook 23.2.7.2).
    """
    b, f, c = _f(sd_baseline), _f(sd_final), _f(sd_change)
    return _out((b**2 + f**2 - c**2) / (2 * b * f))


def sd_change_from_correlation(sd_baseline: Any, sd_final: Any, r: Any = 0.5) -> Any:
    """SD of change scores from baseline and final SDs and an (imputed) correlation
    (Handbook 6.5.2.8): ``sqrt(SD_b^2 + SD_f^2 - 2 r SD_b SD_f)``."""
    b, f, r = _f(sd_baseline), _f(sd_final), _f(r)
    if np.any(np.abs(r) > 1):
        raise ValueError("correlation must be in [-1, 1]")
    return _out(np.sqrt(b**2 + f**2 - 2 * r * b * f))


# pandas Series are matched by index and masked entries are missing (effects._inputs), in every
# public function of this module
for _name in __all__:
    globals()[_name] = aligned_series(globals()[_name])
del _name
