"""Design-specific effect sizes from the summary data trials actually report.

Every function is pure (arrays in, arrays out) and returns a :class:`DesignEffect`:
``yi`` and ``vi`` (numpy arrays, one value per study) and ``derivation``, a sentence
naming the path taken and the assumptions made, to be stored with the number.

Conventions
-----------
* Group or condition 1 is the experimental one (the intervention); effects are intervention minus control
  (or post minus pre).  Use :func:`align_direction` so that negative = improvement.
* The within-person correlation ``r`` (crossover conditions, pre/post) is always an
  explicit argument and defaults to 0.5; vary it in sensitivity analyses.
* SMDs carry Hedges' small-sample correction ``J`` (exact gamma form, as metafor).

References
----------
Elbourne DR, Altman DG, Higgins JPT, Curtin F, Worthington HV, Vail A (2002).
Meta-analyses involving cross-over trials: methodological issues. Int J Epidemiol
31(1):140-149.
Higgins JPT, Eldridge S, Li T (eds). Chapter 23: Including variants on randomized
trials. Cochrane Handbook for Systematic Reviews of Interventions v6.5, 2024
(23.2.7: crossover trials).  Same formulas and worked example in Handbook v5.1, 16.4.6.
Becker BJ (1988). Synthesizing standardized mean-change measures. Br J Math Stat Psychol
41:257-278.
Morris SB, DeShon RP (2002). Combining effect size estimates in meta-analysis with
repeated measures and independent-groups designs. Psychol Methods 7(1):105-125.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import conversions as _conv
from ._inputs import aligned_series
from .measures import escalc_arrays, hedges_j

__all__ = [
    "DesignEffect",
    "parallel_final", "parallel_change", "parallel_from_md",
    "crossover_paired", "crossover_conditions",
    "prepost_single_arm",
    "reported_standardized", "percent_change",
    "align_direction", "rescale_md",
]


@dataclass(frozen=True)
class DesignEffect:
    """Effect sizes ``yi``, sampling variances ``vi`` and how they were derived."""

    yi: np.ndarray
    vi: np.ndarray
    derivation: str

    @property
    def sei(self) -> np.ndarray:
        return np.sqrt(self.vi)


def _f(x: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=float))


def _bcast(*xs: Any) -> list[np.ndarray]:
    return [a.astype(float) for a in np.broadcast_arrays(*[_f(x) for x in xs])]


def _r_check(r: Any) -> np.ndarray:
    r = _f(r)
    if np.any(np.abs(r) > 1):
        raise ValueError("correlation r must be in [-1, 1]")
    return r


def _fmt_r(r: np.ndarray) -> str:
    u = np.unique(r[~np.isnan(r)])
    return f"{u[0]:g}" if len(u) == 1 else "per study (" + ", ".join(f"{x:g}" for x in r) + ")"


def _escalc(measure: str, **kw) -> tuple[np.ndarray, np.ndarray]:
    yi, vi, _ = escalc_arrays(measure, **kw)
    return yi, vi


def _smd_measure(measure: str) -> str:
    if measure not in ("MD", "SMD"):
        raise ValueError("measure must be 'MD' or 'SMD'")
    return measure


# ----------------------------------------------------------------------- parallel RCTs

def parallel_final(m1: Any, sd1: Any, n1: Any, m2: Any, sd2: Any, n2: Any, *,
                   measure: str = "MD") -> DesignEffect:
    """Parallel RCT, per-arm final (post-treatment) means and SDs.

    MD: ``m1 - m2``, ``vi = sd1^2/n1 + sd2^2/n2``; SMD: Hedges' g with pooled SD and
    metafor's "LS" variance (``escalc("MD"/"SMD")``).
    """
    measure = _smd_measure(measure)
    yi, vi = _escalc(measure, m1i=_f(m1), sd1i=_f(sd1), n1i=_f(n1), m2i=_f(m2),
                     sd2i=_f(sd2), n2i=_f(n2))
    what = ("mean difference of final values, vi = sd1^2/n1 + sd2^2/n2" if measure == "MD"
            else "Hedges' g of final values (pooled SD, exact J, metafor vtype LS)")
    return DesignEffect(yi, vi, f"parallel RCT, per-arm final means/SDs: {what}")


def parallel_change(m1_change: Any, sd1_change: Any, n1: Any, m2_change: Any,
                    sd2_change: Any, n2: Any, *, measure: str = "MD") -> DesignEffect:
    """Parallel RCT, per-arm change-from-baseline means and SDs (Handbook 6.5.2.8).

    MD of change scores estimates the same effect as MD of final values in a randomised
    trial and the two may be mixed in one meta-analysis (Handbook 10.5.2).  An SMD of
    change scores is standardised by the SD of change and must NOT be mixed with SMDs of
    final values.  A missing SD of change can be imputed with
    :func:`ldn_evidence.conversions.sd_change_from_correlation`.
    """
    measure = _smd_measure(measure)
    yi, vi = _escalc(measure, m1i=_f(m1_change), sd1i=_f(sd1_change), n1i=_f(n1),
                     m2i=_f(m2_change), sd2i=_f(sd2_change), n2i=_f(n2))
    if measure == "MD":
        what = "mean difference of mean changes from baseline (combinable with final-value MDs)"
    else:
        what = ("Hedges' g of change scores, standardised by the SD of change "
                "(not combinable with final-value SMDs)")
    return DesignEffect(yi, vi, f"parallel RCT, per-arm change from baseline: {what}")


def parallel_from_md(md: Any, n1: Any, n2: Any, *, se: Any = None, ci_lower: Any = None,
                     ci_upper: Any = None, level: float = 95, ci_dist: str = "t",
                     measure: str = "MD", sd_pooled: Any = None) -> DesignEffect:
    """Parallel RCT reporting only a between-group mean difference with SE or CI.

    The SE is used as given or derived from the CI (Handbook 6.5.2.3):
    ``SE = (upper - lower) / (2 crit)`` with the t quantile on ``n1 + n2 - 2`` df
    (``ci_dist="t"``, default) or the normal quantile (``ci_dist="z"``).

    For ``measure="SMD"`` a pooled SD must be supplied (``sd_pooled``, e.g. from the
    trial's baseline table or a similar trial): ``d = md / sd_pooled``, ``g = J d``,
    ``vi = 1/n1 + 1/n2 + g^2/(2(n1+n2))`` (metafor SMD "LS").  The reported SE is not
    used for the SMD.
    """
    measure = _smd_measure(measure)
    md, n1, n2 = _bcast(md, n1, n2)
    if se is not None:
        se = _bcast(se, md)[0]
        src = "SE as reported"
    elif ci_lower is not None and ci_upper is not None:
        if ci_dist == "t":
            se = _f(_conv.se_from_ci(_f(ci_lower), _f(ci_upper), level, df=n1 + n2 - 2))
            src = f"SE from the {level:g}% CI with t quantile (df = n1 + n2 - 2)"
        elif ci_dist == "z":
            se = _f(_conv.se_from_ci(_f(ci_lower), _f(ci_upper), level))
            src = f"SE from the {level:g}% CI with normal quantile"
        else:
            raise ValueError("ci_dist must be 't' or 'z'")
    elif measure == "MD":
        raise ValueError("parallel_from_md needs se or ci_lower and ci_upper")
    else:
        se, src = None, ""
    if measure == "MD":
        return DesignEffect(md, se**2, f"parallel RCT, reported mean difference; {src}")
    if sd_pooled is None:
        raise ValueError("an SMD from a reported mean difference needs sd_pooled")
    sdp = _bcast(sd_pooled, md)[0]
    j = hedges_j(n1 + n2 - 2)
    g = j * md / sdp
    vi = 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))
    return DesignEffect(g, vi, "parallel RCT, reported mean difference divided by the "
                        "supplied pooled SD; Hedges' g (exact J, df = n1 + n2 - 2), "
                        "vi = 1/n1 + 1/n2 + g^2/(2(n1+n2))")


# ----------------------------------------------------------------------- crossover trials

_SMD_VAR = ("handbook", "becker")


def _paired_smd(d: np.ndarray, n: np.ndarray, r: np.ndarray, correction: bool,
                smd_variance: str) -> tuple[np.ndarray, np.ndarray, str]:
    if smd_variance not in _SMD_VAR:
        raise ValueError(f"smd_variance must be one of {_SMD_VAR}")
    j = hedges_j(n - 1) if correction else np.ones_like(d)
    g = j * d
    if smd_variance == "handbook":
        vi = (1 / n + g**2 / (2 * n)) * 2 * (1 - r)
        vtxt = ("vi = (1/n + g^2/(2n)) * 2(1 - r) (Handbook 23.2.7.3; Elbourne 2002)")
    else:
        vi = 2 * (1 - r) / n + g**2 / (2 * n)
        vtxt = "vi = 2(1 - r)/n + g^2/(2n) (Becker 1988; metafor SMCR 'LS')"
    jtxt = "Hedges' J with df = n - 1" if correction else "no small-sample correction"
    return g, vi, f"{jtxt}; {vtxt}"


def crossover_paired(md: Any, n: Any, *, se: Any = None, sd_diff: Any = None,
                     measure: str = "MD", sd_between: Any = None, r: Any = 0.5,
                     correction: bool = True, smd_variance: str = "handbook") -> DesignEffect:
    """Crossover trial reporting a paired analysis: mean within-person difference
    (intervention minus control) with its SE or the SD of the differences (Handbook 23.2.7.2).

    MD: ``vi = SE^2``, or ``SD_diff^2 / n``.

    SMD (Handbook 23.2.7.3): standardised by the between-person SD of the condition
    values (``sd_between``), not by the SD of the differences.  If ``sd_between`` is not
    given it is recovered from the SD of differences and ``r``:
    ``SD = SD_diff / sqrt(2 (1 - r))`` (equal SDs in both conditions assumed); a reported
    SE is turned into ``SD_diff = SE sqrt(n)``.  Variance as in
    :func:`crossover_conditions`.
    """
    measure = _smd_measure(measure)
    md, n = _bcast(md, n)
    if se is not None:
        se = _bcast(se, md)[0]
        sdd = se * np.sqrt(n)
        src = "SE of the paired difference as reported"
    elif sd_diff is not None:
        sdd = _bcast(sd_diff, md)[0]
        se = sdd / np.sqrt(n)
        src = "SE = SD of differences / sqrt(n)"
    else:
        raise ValueError("crossover_paired needs se or sd_diff")
    if measure == "MD":
        return DesignEffect(md, se**2, f"crossover trial, paired analysis: mean within-person "
                            f"difference; {src}")
    r = _r_check(r) * np.ones_like(md)
    if sd_between is not None:
        sdb = _bcast(sd_between, md)[0]
        sdtxt = "between-person SD as supplied"
    else:
        sdb = sdd / np.sqrt(2 * (1 - r))
        sdtxt = (f"between-person SD = SD_diff / sqrt(2(1 - r)), r = {_fmt_r(r)} "
                 f"(equal SDs in both conditions assumed)")
    g, vi, vtxt = _paired_smd(md / sdb, n, r, correction, smd_variance)
    return DesignEffect(g, vi, f"crossover trial, paired analysis, SMD: mean within-person "
                        f"difference / between-person SD ({sdtxt}); {src}; r = {_fmt_r(r)}; "
                        f"{vtxt}")


def crossover_conditions(m_t: Any, sd_t: Any, m_c: Any, sd_c: Any, n: Any, *,
                         r: Any = 0.5, measure: str = "MD", correction: bool = True,
                         smd_variance: str = "handbook") -> DesignEffect:
    """Crossover trial reporting per-condition means and SDs (as if parallel), with an
    imputed within-person correlation ``r`` (Elbourne et al. 2002; Handbook 23.2.7).

    ``n`` is the number of participants contributing to both periods.

    MD: ``m_t - m_c``, ``SE = sqrt((sd_t^2 + sd_c^2 - 2 r sd_t sd_c) / n)``
    (Handbook 23.2.7.2).

    SMD (Handbook 23.2.7.3): ``d = (m_t - m_c) / SD``, with the between-person SD of the
    condition values ``SD = sqrt((sd_t^2 + sd_c^2)/2)`` -- not the SD of differences --
    so that it is on the scale of parallel-trial SMDs; ``g = J d`` with
    ``J = J(n - 1)`` (``correction=False`` gives the Handbook's uncorrected d).

    Variance, ``smd_variance``:

    * ``"handbook"`` (default): ``vi = (1/n + g^2/(2n)) * 2(1 - r)``, Handbook
      23.2.7.3 / Elbourne et al. (2002), reproducing the Handbook's worked example.
    * ``"becker"``: ``vi = 2(1 - r)/n + g^2/(2n)``, the large-sample variance of the
      raw-score standardised mean change (Becker 1988; metafor SMCR "LS"; Borenstein et
      al. 2009 eq. 4.28 has the Handbook's form, which metafor's source marks as
      incorrect).  The two coincide at r = 0.5 and differ by ``g^2 (1 - 2r)/(2n)``
      otherwise; see Kitchenham & Madeyski (2020), Stat Med 39:4101.

    The plugged-in effect in the variance is the corrected ``g`` (metafor's convention).
    """
    measure = _smd_measure(measure)
    m_t, sd_t, m_c, sd_c, n = _bcast(m_t, sd_t, m_c, sd_c, n)
    r = _r_check(r) * np.ones_like(m_t)
    if np.any(sd_t < 0) or np.any(sd_c < 0):
        raise ValueError("standard deviations must be non-negative")
    if np.any(n <= 1):
        raise ValueError("n must be > 1")
    md = m_t - m_c
    if measure == "MD":
        vi = (sd_t**2 + sd_c**2 - 2 * r * sd_t * sd_c) / n
        return DesignEffect(md, vi, "crossover trial, per-condition means/SDs: MD = "
                            "m_t - m_c, SE = sqrt((sd_t^2 + sd_c^2 - 2 r sd_t sd_c)/n) with "
                            f"imputed within-person r = {_fmt_r(r)} (Handbook 23.2.7.2; "
                            "Elbourne 2002)")
    sdb = np.sqrt((sd_t**2 + sd_c**2) / 2)
    g, vi, vtxt = _paired_smd(md / sdb, n, r, correction, smd_variance)
    return DesignEffect(g, vi, "crossover trial, per-condition means/SDs, SMD: (m_t - m_c) / "
                        "sqrt((sd_t^2 + sd_c^2)/2) (between-person SD, Handbook 23.2.7.3); "
                        f"imputed within-person r = {_fmt_r(r)}; {vtxt}")


# ----------------------------------------------------------------------- single arm

def prepost_single_arm(m_pre: Any, sd_pre: Any, m_post: Any, sd_post: Any, n: Any, *,
                       r: Any = 0.5, measure: str = "SMCR") -> DesignEffect:
    """Single-arm pre-post study (open-label, case series) via :func:`escalc`.

    ``measure``: ``"SMCR"`` (default; change standardised by the baseline SD, Becker
    1988 -- the metric closest to a between-group SMD), ``"SMCC"`` (standardised by the
    SD of change, Gibbons et al. 1993) or ``"MC"`` (raw mean change).  Effects are post
    minus pre.  An uncontrolled change includes placebo response and regression to the
    mean and is not comparable to a controlled effect.
    """
    if measure not in ("SMCR", "SMCC", "MC"):
        raise ValueError("measure must be 'SMCR', 'SMCC' or 'MC'")
    r = _r_check(r)
    kw = dict(m1i=_f(m_post), m2i=_f(m_pre), sd1i=_f(sd_pre), ni=_f(n), ri=r)
    if measure != "SMCR":
        kw["sd2i"] = _f(sd_post)
    yi, vi = _escalc(measure, **kw)
    what = {"SMCR": "standardised mean change, baseline-SD standardisation (metafor SMCR)",
            "SMCC": "standardised mean change, change-SD standardisation (metafor SMCC)",
            "MC": "raw mean change (metafor MC)"}[measure]
    return DesignEffect(yi, vi, f"single-arm pre-post, post minus pre: {what}; imputed "
                        f"pre-post r = {_fmt_r(r)}; uncontrolled (includes placebo response "
                        "and regression to the mean)")


# ----------------------------------------------------------------------- reported effects

_KINDS = ("d", "g", "dz", "r")


def reported_standardized(value: Any, kind: str, *, n1: Any = None, n2: Any = None,
                          n: Any = None, r: Any = 0.5, to_between: bool = False) -> DesignEffect:
    """A standardized effect reported by a study, taken with its stated type.

    * ``"d"``: Cohen's d, two groups (``n1``, ``n2``) -> Hedges' g, ``J(n1+n2-2)``,
      ``vi = 1/n1 + 1/n2 + g^2/(2(n1+n2))`` (metafor SMD "LS").
    * ``"g"``: Hedges' g, already corrected; same variance.
    * ``"dz"``: within-person d (mean difference / SD of differences; paired or
      pre-post, ``n`` subjects) -> ``J(n-1) dz``, ``vi = 1/n + g^2/(2n)`` (metafor SMCC
      "LS").  With ``to_between=True`` it is re-expressed on the between-person scale,
      ``d = dz sqrt(2(1 - r))`` (Morris & DeShon 2002), variance as
      :func:`crossover_conditions` (Handbook form).
    * ``"r"``: point-biserial correlation (``n`` total) -> g via
      :func:`ldn_evidence.conversions.r_to_smd` (Borenstein 2009 ch. 7).
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}")
    v = _f(value)
    if kind in ("d", "g"):
        if n1 is None or n2 is None:
            raise ValueError(f"a reported {kind} needs n1 and n2")
        v, n1, n2 = _bcast(v, n1, n2)
        g = hedges_j(n1 + n2 - 2) * v if kind == "d" else v
        vi = 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))
        how = ("reported Cohen's d converted to Hedges' g (exact J, df = n1 + n2 - 2)"
               if kind == "d" else "reported Hedges' g taken as is")
        return DesignEffect(g, vi, f"{how}; vi = 1/n1 + 1/n2 + g^2/(2(n1+n2))")
    if kind == "r":
        if n is None:
            if n1 is None or n2 is None:
                raise ValueError("a reported r needs n (or n1 and n2)")
            n = _f(n1) + _f(n2)
        g, vi = _conv.r_to_smd(v, n)
        return DesignEffect(_f(g), _f(vi), "reported point-biserial r converted to d = "
                            "2r/sqrt(1-r^2), V_d = 4 V_r/(1-r^2)^3, V_r = (1-r^2)^2/(n-1), "
                            "then Hedges' g (Borenstein 2009 ch. 7)")
    # dz
    if n is None:
        raise ValueError("a reported dz needs n")
    v, n = _bcast(v, n)
    if to_between:
        rr = _r_check(r) * np.ones_like(v)
        g, vi, vtxt = _paired_smd(v * np.sqrt(2 * (1 - rr)), n, rr, True, "handbook")
        return DesignEffect(g, vi, "reported within-person dz re-expressed on the "
                            f"between-person scale, d = dz sqrt(2(1 - r)), r = {_fmt_r(rr)} "
                            f"(Morris & DeShon 2002); {vtxt}")
    g = hedges_j(n - 1) * v
    vi = 1 / n + g**2 / (2 * n)
    return DesignEffect(g, vi, "reported within-person dz (change-score standardised), "
                        "J(n - 1) applied, vi = 1/n + g^2/(2n) (metafor SMCC 'LS'); not on "
                        "the between-person SMD scale")


def percent_change(pct: Any, n: Any, *, baseline_mean: Any = None, baseline_sd: Any = None,
                   r: Any = 0.5) -> DesignEffect:
    """A mean percent change from baseline (single arm), e.g. "scores fell by 28.8%".

    Convertible only with the baseline mean and SD: mean change
    ``= pct/100 * baseline_mean`` (the percent change of the means; a reported mean of
    individual percent changes only approximates this), then SMCR with the baseline SD
    and the imputed pre-post ``r``: ``g = J(n-1) change / sd_baseline``,
    ``vi = 2(1-r)/n + g^2/(2n)``.  Without baseline mean or SD the result is NaN and the
    derivation says why.
    """
    pct, n = _bcast(pct, n)
    if baseline_mean is None or baseline_sd is None:
        missing = [name for name, x in (("baseline mean", baseline_mean),
                                        ("baseline SD", baseline_sd)) if x is None]
        nan = np.full_like(pct, np.nan)
        return DesignEffect(nan, nan.copy(), "percent change not convertible: needs "
                            + " and ".join(missing))
    bm, bsd = _bcast(baseline_mean, pct)[0], _bcast(baseline_sd, pct)[0]
    rr = _r_check(r) * np.ones_like(pct)
    change = pct / 100 * bm
    g = hedges_j(n - 1) * change / bsd
    vi = 2 * (1 - rr) / n + g**2 / (2 * n)
    bad = np.isnan(bm) | np.isnan(bsd)
    note = " (NaN where baseline mean or SD is missing)" if bad.any() else ""
    return DesignEffect(g, vi, "percent change x baseline mean = mean change, standardised by "
                        f"the baseline SD (SMCR, J(n - 1)); imputed pre-post r = {_fmt_r(rr)}"
                        + note)


# ----------------------------------------------------------------------- direction, scale

def align_direction(yi: Any, higher_is_better: Any) -> np.ndarray:
    """Multiply effects by -1 where higher scores mean improvement, so that negative
    always means improvement (variances are unchanged).

    ``higher_is_better`` is a bool or one bool per study.
    """
    yi = _f(yi)
    hib = np.broadcast_to(np.asarray(higher_is_better, dtype=bool), yi.shape)
    return np.where(hib, -yi, yi)


def rescale_md(yi: Any, vi: Any, scale_min: Any, scale_max: Any, *,
               target: tuple[float, float] = (0.0, 10.0)) -> tuple[np.ndarray, np.ndarray]:
    """Linearly map a mean difference from the scale [scale_min, scale_max] to
    ``target`` (default 0-10, e.g. a 0-100 questionnaire -> 0-10): ``yi * c``, ``vi * c^2`` with
    ``c = (target_max - target_min) / (scale_max - scale_min)``.  Differences do not
    depend on the offset; direction is not changed (see :func:`align_direction`).
    """
    lo, hi = _bcast(scale_min, scale_max)
    if np.any(hi <= lo):
        raise ValueError("scale_max must be greater than scale_min")
    c = (target[1] - target[0]) / (hi - lo)
    return _f(yi) * c, _f(vi) * c**2


# pandas Series are matched by index and masked entries are missing (effects._inputs), in every
# public function of this module
for _name in __all__:
    if _name != "DesignEffect":
        globals()[_name] = aligned_series(globals()[_name])
del _name
