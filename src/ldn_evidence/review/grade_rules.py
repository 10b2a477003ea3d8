"""GRADE rules: from plain numbers and judgements to a proposed judgement per domain, with the
reason in words.

GRADE asks for judgement (GRADE Handbook 2013, section 5; Cochrane Handbook chapter 14). These
functions do not replace it: each states one explicit rule, applies it to the numbers of one
body of evidence, and says in a sentence what it saw. A reviewer who judges otherwise writes the
judgement into the studies file (:mod:`ldn_evidence.records.grade`) and both are shown. The
rules are pure functions of their arguments (no review, no records), so each can be tested at
its thresholds; :mod:`ldn_evidence.review.grade` feeds them from an analysis.

The rules, with their sources (thresholds are keyword arguments):

* **Starting level**: high for randomized evidence, low for non-randomized (GRADE Handbook 5.1);
  a body mixing both starts where the majority of its weight lies.
* **Risk of bias** (Cochrane Handbook 5.1 Table 12.2.d, "most information"; the 75% threshold of
  Pollock et al. 2016, J Clin Epidemiol 70:106, Table 2): very serious when studies at high risk
  (RoB 2 high; ROBINS-I serious or critical) carry at least half the weight; serious when studies
  at low risk carry less than 75%; otherwise not serious.
* **Inconsistency** (GRADE guidelines 7, Guyatt et al. 2011, J Clin Epidemiol 64:1294; Core
  GRADE 3, Guyatt & Eachempati 2025, BMJ; Cochrane Handbook 10.10.2): not assessable for one
  study; serious when heterogeneity (I² >= 50% or Q p < 0.10) comes with study estimates on
  different sides of the MID thresholds (or of the null), or the subgroups differ (p < 0.10);
  very serious when I² >= 75% and estimates show important effects in both directions.
* **Imprecision** (GRADE guidelines 6, Guyatt et al. 2011, J Clin Epidemiol 64:1283; the
  threshold-crossing rule of Core GRADE 2, Guyatt et al. 2025, BMJ 389:e081904): thresholds at
  minus and plus the minimal important difference (MID; for ratios RR 0.75 and 1.25, GRADE 6's
  "appreciable benefit or harm"); very serious when the CI crosses both, serious when it crosses
  one, or when it crosses neither but the number of participants is below the optimal
  information size (OIS); without an MID the null is the only threshold.
* **Publication bias** (Cochrane Handbook 13.3.5.4; GRADE guidelines 5, Guyatt et al. 2011, J
  Clin Epidemiol 64:1277): serious when registered trials finished without published results,
  or, with at least 10 studies, when Egger's test has p < 0.10; with fewer than 10 studies the
  funnel plot cannot be assessed and only registry evidence counts.
* **Indirectness** (GRADE guidelines 8, Guyatt et al. 2011, J Clin Epidemiol 64:1303): each
  study's flags (population, dose, comparator, outcome) against the protocol; very serious when
  studies with two or more kinds of flag carry at least half the weight; serious when flagged
  studies carry 25% or more.
* **Upgrading** non-randomized evidence (GRADE guidelines 9, Guyatt et al. 2011, J Clin
  Epidemiol 64:1311): a large effect (RR < 0.5 or > 2, one level; < 0.2 or > 5, two levels, CI
  excluding no effect) and a dose-response gradient (a dose meta-regression slope with p < 0.05
  in the direction of benefit) are *proposed*; they never count until a reviewer confirms them.

Hand-written because the rules are the point: each is a few comparisons that must be stated
and testable, and no library implements GRADE.

Examples
--------
>>> r = rate_imprecision(-0.14, -0.55, 0.27, thresholds=(-0.5, 0.5), n=286, ois=126)
>>> r.judgement, r.levels
('serious', -1)
>>> certainty("high", ["serious", "not_serious", "serious"], [])
'low'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist, median
from typing import Callable, Iterable, Sequence

from ..diagnostics.tsa import required_information_size
from ..vocabulary import GRADE_DOWNGRADE, GRADE_LEVELS, GRADE_UPGRADE

__all__ = [
    "Rating", "starting_level", "rate_risk_of_bias", "rob_category", "rate_inconsistency", "rate_imprecision",
    "rate_publication_bias", "rate_indirectness", "propose_large_effect", "propose_dose_response", "certainty",
    "ois_binary", "ois_continuous", "absolute_effects", "reexpress_smd", "effect_size", "plain_language",
    "median_control_risk",
]


def _fmt2(v: float) -> str:
    return f"{v:.2f}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


@dataclass(frozen=True)
class Rating:
    """One domain's judgement with the reason in words and the numbers the rule used.

    ``levels`` is what the judgement does to the certainty: 0, -1 or -2 for a downgrading
    domain, 0, +1 or +2 for an upgrading factor.
    """

    domain: str
    judgement: str
    reason: str
    data: dict = field(default_factory=dict)

    @property
    def levels(self) -> int:
        if self.judgement in GRADE_DOWNGRADE:
            return -GRADE_DOWNGRADE[self.judgement]
        return GRADE_UPGRADE.get(self.judgement, 0)


def _shares(weights: Sequence[float]) -> list[float]:
    w = [float(x) for x in weights]
    if not w or any(not math.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
        raise ValueError("weights must be non-negative finite numbers with a positive sum")
    total = sum(w)
    return [x / total for x in w]


# ---------------------------------------------------------------------------------------------
# starting level
# ---------------------------------------------------------------------------------------------


def starting_level(randomized: Sequence[bool], weights: Sequence[float] | None = None) -> Rating:
    """Where the certainty starts: high for randomized trials, low for non-randomized studies.

    Parameters
    ----------
    randomized : sequence of bool
        One per study of the body of evidence.
    weights : sequence of float, optional
        The studies' analysis weights; a mixed body starts at the level of the design that
        carries at least half the weight (equal weights when not given).

    Returns
    -------
    Rating
        ``domain="start"``, ``judgement`` "high" or "low".

    References
    ----------
    GRADE Handbook (Schünemann et al. 2013), section 5.1.

    Examples
    --------
    >>> starting_level([True, True]).judgement, starting_level([False]).judgement
    ('high', 'low')
    >>> starting_level([True, False], [40, 60]).reason
    'randomized trials carry 40% of the weight, non-randomized studies 60%: starts low'
    """
    flags = [bool(x) for x in randomized]
    if not flags:
        raise ValueError("no studies: the certainty of an empty body of evidence is not rated")
    shares = _shares(weights if weights is not None else [1.0] * len(flags))
    if all(flags):
        return Rating("start", "high", "randomized trials: starts high", {"randomized_share": 1.0})
    if not any(flags):
        return Rating("start", "low", "non-randomized studies: starts low", {"randomized_share": 0.0})
    share = sum(s for s, f in zip(shares, flags) if f)
    level = "high" if share >= 0.5 else "low"
    return Rating("start", level, f"randomized trials carry {_pct(share)} of the weight, non-randomized "
                                  f"studies {_pct(1 - share)}: starts {level}", {"randomized_share": share})


# ---------------------------------------------------------------------------------------------
# risk of bias
# ---------------------------------------------------------------------------------------------

_LOW = ("low",)
_HIGH = ("high", "serious", "critical")


def rob_category(judgement: str | None) -> str:
    """A study's overall RoB 2 or ROBINS-I judgement as one of ``low``, ``concerns``, ``high``.

    ``some_concerns``, ``moderate``, ``no_information`` and a study not assessed (None) are
    ``concerns``: not low, not high.

    >>> rob_category("some_concerns"), rob_category("critical"), rob_category(None)
    ('concerns', 'high', 'concerns')
    """
    j = (judgement or "").strip().lower().replace(" ", "_")
    if j in _LOW:
        return "low"
    if j in _HIGH:
        return "high"
    return "concerns"


def rate_risk_of_bias(weights: Sequence[float], judgements: Sequence[str | None], *,
                      serious_below: float = 0.75, very_serious_from: float = 0.5) -> Rating:
    """Risk of bias of a body of evidence from its studies' weights and overall judgements.

    Parameters
    ----------
    weights : sequence of float
        Analysis weights (any scale; shares are taken).
    judgements : sequence of str or None
        Each study's overall judgement: RoB 2 ``low`` / ``some_concerns`` / ``high`` or
        ROBINS-I ``low`` / ``moderate`` / ``serious`` / ``critical`` / ``no_information``;
        None for a study not assessed (counted as concerns).
    serious_below : float
        Serious when the share of weight from low-risk studies is below this (0.75).
    very_serious_from : float
        Very serious when the share from high-risk studies is at least this (0.5).

    Returns
    -------
    Rating
        ``data`` holds ``low``, ``concerns`` and ``high``: the shares of weight.

    References
    ----------
    Cochrane Handbook 5.1, Table 12.2.d (judgements across studies by where "most information"
    comes from); Pollock et al. 2016, J Clin Epidemiol 70:106-110, Table 2 (the 75% threshold).

    Examples
    --------
    >>> r = rate_risk_of_bias([22, 22, 24, 32], ["low", "some_concerns", "some_concerns", "some_concerns"])
    >>> r.judgement
    'serious'
    >>> r.reason
    '22% of the weight from studies at low risk of bias (below 75%), 78% some concerns, 0% high risk'
    """
    shares = _shares(weights)
    if len(shares) != len(judgements):
        raise ValueError("one judgement per weight")
    totals = {"low": 0.0, "concerns": 0.0, "high": 0.0}
    for s, j in zip(shares, judgements):
        totals[rob_category(j)] += s
    parts = (f"{_pct(totals['low'])} of the weight from studies at low risk of bias",
             f"{_pct(totals['concerns'])} some concerns", f"{_pct(totals['high'])} high risk")
    if totals["high"] >= very_serious_from - 1e-12:
        judgement = "very_serious"
        reason = (f"{_pct(totals['high'])} of the weight from studies at high risk of bias (at least "
                  f"{_pct(very_serious_from)}), {_pct(totals['low'])} low risk")
    elif totals["low"] < serious_below - 1e-12:
        judgement = "serious"
        reason = f"{parts[0]} (below {_pct(serious_below)}), {parts[1]}, {parts[2]}"
    else:
        judgement = "not_serious"
        reason = f"{parts[0]} (at least {_pct(serious_below)}), {parts[1]}, {parts[2]}"
    return Rating("risk_of_bias", judgement, reason, dict(totals))


# ---------------------------------------------------------------------------------------------
# inconsistency
# ---------------------------------------------------------------------------------------------


def _crosses(lo: float, hi: float, t: float) -> bool:
    return lo < t < hi


def _zone(x: float, thresholds: tuple[float, float] | None, null: float) -> str:
    if thresholds is None:
        return "below" if x < null else "above" if x > null else "null"
    if x <= thresholds[0]:
        return "below"
    if x >= thresholds[1]:
        return "above"
    return "between"


def rate_inconsistency(k: int, i2: float, *, estimates: Sequence[float] = (), i2_ci: tuple[float, float] | None = None,
                       q_pvalue: float | None = None, pi: tuple[float, float] | None = None,
                       thresholds: tuple[float, float] | None = None, null: float = 0.0,
                       subgroup_pvalue: float | None = None, fmt: Callable[[float], str] = _fmt2, label: str = "",
                       serious_i2: float = 50.0, very_serious_i2: float = 75.0, alpha: float = 0.10) -> Rating:
    """Inconsistency: is there heterogeneity, and does it matter for the conclusion?

    The rule: **serious** when there is a statistical signal (I² >= 50%, or the heterogeneity
    test p < 0.10) *and* the studies' point estimates fall on different sides of a threshold of
    the certainty rating (the MID thresholds, or the null without them); also serious when the
    test for subgroup differences has p < 0.10 (the pooled estimate averages over subgroups that
    differ). **Very serious** when I² >= 75% and the point estimates lie beyond the MID on both
    sides (important benefit in some studies, important harm in others). Otherwise not serious,
    even with a high I², when every estimate points the same way relative to the thresholds.
    The I² CI and the prediction interval against the thresholds are reported in the reason.

    Parameters
    ----------
    k : int
        Number of studies.
    i2 : float
        I² in percent.
    estimates : sequence of float
        The studies' point estimates on the analysis scale (log scale for ratios).
    i2_ci : (float, float), optional
        I²'s confidence interval (percent).
    q_pvalue : float, optional
        p-value of Cochran's Q.
    pi : (float, float), optional
        Prediction interval on the analysis scale.
    thresholds : (float, float), optional
        Minus and plus the MID on the analysis scale.
    null : float
        No effect on the analysis scale.
    subgroup_pvalue : float, optional
        p-value of the test for subgroup differences.
    fmt, label
        Format a value of the analysis scale as a reader sees it; the measure's name.
    serious_i2, very_serious_i2, alpha : float
        I² of 50% and 75% ("substantial" and "considerable", Handbook 10.10.2); p < 0.10 for the
        tests (Handbook 10.10.2: the heterogeneity test has low power with few studies).

    Returns
    -------
    Rating

    References
    ----------
    GRADE guidelines 7 (Guyatt et al. 2011, J Clin Epidemiol 64:1294-1302): variation in point
    estimates, overlap of CIs, the heterogeneity test and I²; Core GRADE 3 (Guyatt & Eachempati
    2025, BMJ): where the point estimates lie relative to the threshold of the certainty rating;
    Cochrane Handbook 10.10.2 and 10.11.3.1.

    Examples
    --------
    >>> rate_inconsistency(1, 0.0).reason
    'one study: inconsistency cannot be assessed'
    >>> rate_inconsistency(4, 50.4, estimates=[-0.25, 0.19, -0.47, -0.07], thresholds=(-0.5, 0.5)).judgement
    'not_serious'
    >>> rate_inconsistency(4, 50.4, estimates=[-0.75, 0.19, -0.47, -0.07], thresholds=(-0.5, 0.5)).judgement
    'serious'
    """
    if k < 2:
        return Rating("inconsistency", "not_serious", "one study: inconsistency cannot be assessed", {"k": k})
    pre = f"{label} " if label else ""
    text = f"I² = {i2:.0f}%"
    if i2_ci is not None and all(math.isfinite(x) for x in i2_ci):
        text += f" (95% CI {i2_ci[0]:.0f}% to {i2_ci[1]:.0f}%)"
    parts = [text]
    if q_pvalue is not None and math.isfinite(q_pvalue):
        parts.append(f"heterogeneity p = {q_pvalue:.2f}")
    if pi is not None and all(math.isfinite(x) for x in pi):
        where = ""
        if thresholds is not None:
            n_out = (pi[0] < thresholds[0]) + (pi[1] > thresholds[1])
            where = (" reaches past both MID thresholds", " reaches past one MID threshold",
                     " lies within the MID thresholds")[2 - n_out]
        parts.append(f"prediction interval ({pre}{fmt(pi[0])} to {fmt(pi[1])}){where}")
    if subgroup_pvalue is not None and math.isfinite(subgroup_pvalue):
        parts.append(f"subgroup differences p = {subgroup_pvalue:.2f}")
    zones = [_zone(float(x), thresholds, null) for x in estimates if math.isfinite(float(x))]
    named = {"below": "below", "above": "above", "between": "between the MID thresholds", "null": "at no effect"}
    if zones:
        what = "the MID thresholds" if thresholds is not None else "no effect"
        spread = sorted(set(zones), key=("below", "between", "null", "above").index)
        parts.append(f"study estimates {'all ' + named[spread[0]] if len(spread) == 1 else 'on different sides of ' + what}"
                     + (f" ({what})" if len(spread) == 1 and spread[0] in ("below", "above") else ""))
    seen = "; ".join(parts)
    data = {"k": k, "i2": i2, "q_pvalue": q_pvalue, "subgroup_pvalue": subgroup_pvalue, "zones": zones}
    signal = i2 >= serious_i2 or (q_pvalue is not None and q_pvalue < alpha)
    differ = len(set(zones)) > 1
    if i2 >= very_serious_i2 and thresholds is not None and {"below", "above"} <= set(zones):
        return Rating("inconsistency", "very_serious",
                      f"{seen}: I² of {very_serious_i2:.0f}% or more with important effects in both directions", data)
    if subgroup_pvalue is not None and subgroup_pvalue < alpha:
        return Rating("inconsistency", "serious", f"{seen}: the subgroups differ (p < {alpha:g})", data)
    if signal and differ:
        return Rating("inconsistency", "serious", f"{seen}: heterogeneity (I² of {serious_i2:.0f}% or more, or "
                                                  f"p < {alpha:g}) with estimates on different sides of "
                                                  f"{'the MID thresholds' if thresholds is not None else 'no effect'}",
                      data)
    if signal:
        return Rating("inconsistency", "not_serious", f"{seen}: heterogeneity, but not across a threshold, so it does not "
                                                      "change the conclusion", data)
    note = ""
    if i2_ci is not None and math.isfinite(i2_ci[1]) and i2_ci[1] >= serious_i2:
        note = " (its CI does not rule out substantial heterogeneity)"
    return Rating("inconsistency", "not_serious", f"{seen}: I² below {serious_i2:.0f}%{note} and no test with "
                                                  f"p < {alpha:g}", data)


# ---------------------------------------------------------------------------------------------
# imprecision and the optimal information size
# ---------------------------------------------------------------------------------------------


def ois_continuous(mid: float, sd: float = 1.0, alpha: float = 0.05, beta: float = 0.20) -> float:
    """Optimal information size for a continuous outcome: participants (two arms, 1:1) a single
    trial needs to detect ``mid`` with two-sided ``alpha`` and power ``1 - beta``.

    The TSA's required information size without the heterogeneity correction
    (:func:`ldn_evidence.diagnostics.tsa.required_information_size`):
    ``4 (z_{1-alpha/2} + z_{1-beta})^2 sd^2 / mid^2``. GRADE guidelines 6 (Guyatt et al. 2011,
    J Clin Epidemiol 64:1283) define the OIS as the size of one adequately powered trial.

    >>> round(ois_continuous(0.5))
    126
    """
    return required_information_size(mid, sd=sd, alpha=alpha, beta=beta).ris


def ois_binary(control_risk: float, rrr: float = 0.25, alpha: float = 0.05, beta: float = 0.20) -> float:
    """Optimal information size for a binary outcome: participants (two arms, 1:1) needed to
    detect a relative risk reduction ``rrr`` from ``control_risk``.

    ``N = 4 (z_{1-alpha/2} + z_{1-beta})^2 P (1 - P) / (p_c - p_e)^2`` with ``p_e = p_c (1 - rrr)``
    and ``P = (p_c + p_e) / 2``: the two-proportion sample size of the TSA's dichotomous
    information size (Wetterslev et al. 2008, J Clin Epidemiol 61:64; Pogue & Yusuf 1997). GRADE
    guidelines 6 (Guyatt et al. 2011, J Clin Epidemiol 64:1283) suggest a 25% relative risk
    reduction, alpha 0.05 and beta 0.20.

    >>> round(ois_binary(0.20))   # 4 * 7.849 * 0.175 * 0.825 / 0.05**2
    1813
    """
    if not 0 < control_risk < 1:
        raise ValueError(f"the control risk must lie strictly between 0 and 1 (got {control_risk})")
    if not 0 < rrr < 1:
        raise ValueError(f"the relative risk reduction must lie strictly between 0 and 1 (got {rrr})")
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(1 - beta)
    pe = control_risk * (1 - rrr)
    p = (control_risk + pe) / 2
    return 4 * z * z * p * (1 - p) / (control_risk - pe) ** 2


def rate_imprecision(estimate: float, ci_low: float, ci_high: float, *,
                     thresholds: tuple[float, float] | None = None, null: float = 0.0, n: int | None = None,
                     ois: float | None = None, fmt: Callable[[float], str] = _fmt2, label: str = "") -> Rating:
    """Imprecision from the confidence interval against the thresholds, then the OIS.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Pooled estimate and CI on the analysis scale (log scale for ratios).
    thresholds : (float, float), optional
        Minus and plus the minimal important difference on the analysis scale (for ratios
        ``log(0.75), log(1.25)``). Without them the null is the only threshold.
    null : float
        The value of no effect on the analysis scale.
    n : int, optional
        Participants in the analysis.
    ois : float, optional
        Optimal information size (:func:`ois_continuous`, :func:`ois_binary`).
    fmt : callable
        Formats a value of the analysis scale as a reader sees it (e.g. exponentiated).
    label : str
        The measure's name put before the numbers (``"RR"``, ``"SMD"``).

    Returns
    -------
    Rating
        ``data["crossed"]`` is the number of thresholds inside the CI.

    References
    ----------
    GRADE guidelines 6 (Guyatt et al. 2011, J Clin Epidemiol 64:1283-1293); Core GRADE 2
    (Guyatt et al. 2025, BMJ 389:e081904): one level down per threshold the CI crosses.

    Examples
    --------
    >>> rate_imprecision(-0.14, -0.55, 0.27, thresholds=(-0.62, 0.62), n=286, ois=82).judgement
    'not_serious'
    >>> rate_imprecision(-0.14, -0.55, 0.27, thresholds=(-0.62, 0.62), n=60, ois=82).judgement
    'serious'
    >>> rate_imprecision(-1.08, -4.26, 2.10, thresholds=(math.log(0.75), math.log(1.25))).judgement
    'very_serious'
    """
    pre = f"{label} " if label else ""
    ci = f"the CI ({pre}{fmt(ci_low)} to {fmt(ci_high)})"
    if thresholds is None:
        cuts = [null]
        named = {null: f"no effect ({pre}{fmt(null)})"}
    else:
        lo_t, hi_t = thresholds
        if not lo_t < null < hi_t:
            raise ValueError(f"thresholds {thresholds} must lie on both sides of the null {null}")
        cuts = [lo_t, hi_t]
        named = {lo_t: f"{pre}{fmt(lo_t)}", hi_t: f"{fmt(hi_t)}"}
    crossed = [t for t in cuts if _crosses(ci_low, ci_high, t)]
    data = {"crossed": len(crossed), "n": n, "ois": ois, "thresholds": thresholds}
    size = "" if ois is None or n is None else f" ({n} participants; optimal information size {ois:,.0f})"
    if len(crossed) >= 2:
        return Rating("imprecision", "very_serious",
                      f"{ci} crosses both MID thresholds ({named[cuts[0]]} and {named[cuts[1]]}): it includes "
                      f"important benefit and important harm{size}", data)
    if crossed:
        what = ("includes no effect" if thresholds is None else
                f"crosses the MID threshold ({pre}{fmt(crossed[0])})")
        return Rating("imprecision", "serious", f"{ci} {what}{size}", data)
    if thresholds is None:
        inside = "excludes no effect"
    elif ci_low > cuts[0] and ci_high < cuts[1]:
        inside = f"lies within the MID thresholds ({named[cuts[0]]} and {named[cuts[1]]})"
    else:
        t = cuts[0] if ci_high <= cuts[0] else cuts[1]
        inside = f"lies beyond the MID threshold ({pre}{fmt(t)}) and excludes no effect"
    if ois is not None and n is not None and n < ois:
        return Rating("imprecision", "serious",
                      f"{ci} {inside}, but {n} participants are fewer than the optimal information size "
                      f"({ois:,.0f})", data)
    if ois is None or n is None:
        size = " (optimal information size not assessed)"
    else:
        size = f" and {n} participants reach the optimal information size ({ois:,.0f})"
    return Rating("imprecision", "not_serious", f"{ci} {inside}{size}", data)


# ---------------------------------------------------------------------------------------------
# publication bias
# ---------------------------------------------------------------------------------------------


def rate_publication_bias(k: int, *, egger_pvalue: float | None = None, unpublished: Sequence[str] = (),
                          unclear: Sequence[str] = (), min_k: int = 10, alpha: float = 0.10) -> Rating:
    """Publication bias from registry evidence and, with enough studies, the funnel plot.

    Parameters
    ----------
    k : int
        Studies in the analysis.
    egger_pvalue : float, optional
        p-value of Egger's regression test (used only when ``k >= min_k``).
    unpublished : sequence of str
        Registered trials recorded as finished without published results.
    unclear : sequence of str
        Registered trials whose status leaves open whether results exist (named, not counted).
    min_k : int
        Fewest studies for a funnel-plot test (10, Cochrane Handbook 13.3.5.4).
    alpha : float
        Egger's test threshold (0.10, Egger et al. 1997).

    Returns
    -------
    Rating

    References
    ----------
    GRADE guidelines 5 (Guyatt et al. 2011, J Clin Epidemiol 64:1277-1282); Cochrane Handbook
    13.3.5.4 (tests for funnel-plot asymmetry only with at least 10 studies).

    Examples
    --------
    >>> rate_publication_bias(4).reason
    'not assessable from the funnel plot (4 studies, fewer than 10); no registered trial is recorded as finished without results'
    >>> rate_publication_bias(4, unpublished=["NCT00000001"]).judgement
    'serious'
    >>> rate_publication_bias(12, egger_pvalue=0.04).judgement
    'serious'
    """
    parts = []
    serious = []
    if k >= min_k and egger_pvalue is not None and math.isfinite(egger_pvalue):
        parts.append(f"Egger's test p = {egger_pvalue:.2f} ({k} studies)")
        if egger_pvalue < alpha:
            serious.append(f"funnel-plot asymmetry (p < {alpha:g})")
    elif k >= min_k:
        parts.append(f"{k} studies, funnel-plot test not available")
    else:
        parts.append(f"not assessable from the funnel plot ({k} {'study' if k == 1 else 'studies'}, fewer than {min_k})")
    if unpublished:
        serious.append(f"registered trials finished without published results: {', '.join(unpublished)}")
    else:
        parts.append("no registered trial is recorded as finished without results")
    if unclear:
        parts.append(f"status unclear (not counted): {', '.join(unclear)}")
    data = {"k": k, "egger_pvalue": egger_pvalue, "unpublished": list(unpublished), "unclear": list(unclear)}
    if serious:
        return Rating("publication_bias", "serious", "; ".join(serious + parts[:1]), data)
    return Rating("publication_bias", "not_serious", "; ".join(parts), data)


# ---------------------------------------------------------------------------------------------
# indirectness
# ---------------------------------------------------------------------------------------------


def rate_indirectness(weights: Sequence[float], flags: Sequence[Iterable[str]], *, labels: Sequence[str] | None = None,
                      serious_from: float = 0.25, very_serious_from: float = 0.5) -> Rating:
    """Indirectness from each study's flags against the protocol, weighted.

    Parameters
    ----------
    weights : sequence of float
        Analysis weights.
    flags : sequence of iterables of str
        Per study, its indirectness flags, each ``"kind: what"`` with kind one of population,
        intervention (dose), comparator, outcome; an empty set for a direct study.
    labels : sequence of str, optional
        Study labels for the reason.
    serious_from : float
        Serious when flagged studies carry at least this share of the weight (0.25).
    very_serious_from : float
        Very serious when studies flagged for two or more kinds carry at least this share (0.5).

    Returns
    -------
    Rating

    References
    ----------
    GRADE guidelines 8 (Guyatt et al. 2011, J Clin Epidemiol 64:1303-1310): differences in
    population, intervention, comparator and outcome.

    Examples
    --------
    >>> rate_indirectness([50, 50], [set(), set()]).judgement
    'not_serious'
    >>> r = rate_indirectness([70, 30], [set(), {"comparator: usual care"}], labels=["A", "B"])
    >>> r.judgement, r.reason
    ('serious', '30% of the weight from studies with indirectness flags (at least 25%): B (comparator: usual care)')
    """
    shares = _shares(weights)
    flags = [sorted(set(f)) for f in flags]
    if len(flags) != len(shares):
        raise ValueError("one set of flags per weight")
    labels = list(labels) if labels is not None else [f"study {i + 1}" for i in range(len(shares))]
    flagged = sum(s for s, f in zip(shares, flags) if f)
    multi = sum(s for s, f in zip(shares, flags) if len({x.split(":")[0] for x in f}) >= 2)
    named = "; ".join(f"{lab} ({', '.join(f)})" for lab, f in zip(labels, flags) if f)
    data = {"flagged_share": flagged, "multiple_share": multi}
    if multi >= very_serious_from - 1e-12:
        return Rating("indirectness", "very_serious",
                      f"{_pct(multi)} of the weight from studies indirect in two or more ways (at least "
                      f"{_pct(very_serious_from)}): {named}", data)
    if flagged >= serious_from - 1e-12:
        return Rating("indirectness", "serious", f"{_pct(flagged)} of the weight from studies with indirectness "
                                                 f"flags (at least {_pct(serious_from)}): {named}", data)
    if flagged:
        return Rating("indirectness", "not_serious", f"{_pct(flagged)} of the weight from studies with indirectness "
                                                     f"flags (below {_pct(serious_from)}): {named}", data)
    return Rating("indirectness", "not_serious", "population, dose, comparator and outcome as in the protocol "
                                                 "in every study", data)


# ---------------------------------------------------------------------------------------------
# upgrading factors (proposed only)
# ---------------------------------------------------------------------------------------------


def propose_large_effect(estimate: float, ci_low: float, ci_high: float, *, ratio: bool, start: str,
                         rob_downgraded: bool = False) -> Rating:
    """Propose rating up non-randomized evidence for a large relative effect.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        On the log scale for a ratio measure.
    ratio : bool
        Whether the measure is a ratio (only ratios are judged: GRADE's thresholds are RRs).
    start : str
        The starting level; only a body starting ``low`` is considered.
    rob_downgraded : bool
        Whether risk of bias was rated down (then no upgrade is proposed).

    Returns
    -------
    Rating
        ``domain="large_effect"``; ``judgement`` ``none``, ``one_level`` or ``two_levels``:
        a *proposal*, applied only when a reviewer writes it into the studies file.

    References
    ----------
    GRADE guidelines 9 (Guyatt et al. 2011, J Clin Epidemiol 64:1311-1316): RR > 2 or < 0.5
    large (up one level), RR > 5 or < 0.2 very large (up two), without plausible confounders.

    Examples
    --------
    >>> propose_large_effect(math.log(0.3), math.log(0.2), math.log(0.45), ratio=True, start="low").judgement
    'one_level'
    >>> propose_large_effect(math.log(0.3), math.log(0.2), math.log(0.45), ratio=True, start="high").judgement
    'none'
    """
    if start != "low":
        return Rating("large_effect", "none", "randomized evidence: not rated up")
    if rob_downgraded:
        return Rating("large_effect", "none", "risk of bias was rated down: not rated up")
    if not ratio:
        return Rating("large_effect", "none", "not a ratio measure: GRADE's large-effect thresholds are relative risks")
    rr, lo, hi = math.exp(estimate), math.exp(ci_low), math.exp(ci_high)
    excludes = lo > 1 or hi < 1
    big = max(rr, 1 / rr)
    text = f"RR {rr:.2f} (CI {lo:.2f} to {hi:.2f})"
    if big > 5 and excludes:
        return Rating("large_effect", "two_levels", f"{text}: very large (RR below 0.2 or above 5)")
    if big > 2 and excludes:
        return Rating("large_effect", "one_level", f"{text}: large (RR below 0.5 or above 2)")
    return Rating("large_effect", "none", f"{text}: not large, or its CI includes no effect")


def propose_dose_response(slope: float | None, pvalue: float | None, *, benefit_sign: int, start: str,
                          alpha: float = 0.05, k: int = 0) -> Rating:
    """Propose rating up non-randomized evidence for a dose-response gradient.

    Parameters
    ----------
    slope, pvalue : float or None
        Slope of a meta-regression of the effect on the dose, and its p-value (None when not
        estimable: fewer than three studies or one dose only).
    benefit_sign : int
        -1 when a lower effect is benefit (a higher dose should lower it), +1 otherwise.
    start : str
        The starting level; only a body starting ``low`` is considered.
    alpha : float
        The slope must have p < alpha (0.05).
    k : int
        Studies in the regression (for the reason).

    Returns
    -------
    Rating
        ``domain="dose_response"``; a proposal only.

    References
    ----------
    GRADE guidelines 9 (Guyatt et al. 2011, J Clin Epidemiol 64:1311-1316).

    Examples
    --------
    >>> propose_dose_response(-0.3, 0.01, benefit_sign=-1, start="low", k=5).judgement
    'one_level'
    >>> propose_dose_response(0.3, 0.01, benefit_sign=-1, start="low", k=5).judgement
    'none'
    """
    if start != "low":
        return Rating("dose_response", "none", "randomized evidence: not rated up")
    if slope is None or pvalue is None or not math.isfinite(slope):
        return Rating("dose_response", "none", "no dose-response gradient can be estimated (fewer than three "
                                               "studies or a single dose)")
    text = f"dose slope {slope:.3f} per mg (p = {pvalue:.3f}, {k} studies)"
    if pvalue < alpha and slope * benefit_sign > 0:
        return Rating("dose_response", "one_level", f"{text}: more benefit with a higher dose")
    return Rating("dose_response", "none", f"{text}: no gradient towards benefit with p < {alpha:g}")


# ---------------------------------------------------------------------------------------------
# the certainty
# ---------------------------------------------------------------------------------------------


def certainty(start: str, downgrades: Iterable[str], upgrades: Iterable[str] = ()) -> str:
    """The certainty after rating down and up: ``high``, ``moderate``, ``low`` or ``very_low``.

    >>> certainty("high", ["very_serious", "serious"]), certainty("low", [], ["one_level"])
    ('very_low', 'moderate')
    """
    level = GRADE_LEVELS.index(start)
    level -= sum(GRADE_DOWNGRADE[j] for j in downgrades)
    level += sum(GRADE_UPGRADE[j] for j in upgrades)
    return GRADE_LEVELS[min(max(level, 0), len(GRADE_LEVELS) - 1)]


# ---------------------------------------------------------------------------------------------
# absolute effects and the plain-language statement
# ---------------------------------------------------------------------------------------------


def median_control_risk(events: Sequence[int], totals: Sequence[int]) -> float:
    """The median of the control groups' risks (events / participants): the assumed risk of a
    summary-of-findings table when only one is given (Cochrane Handbook 14.1.5).

    >>> median_control_risk([30, 36], [50, 48])
    0.675
    """
    risks = [e / n for e, n in zip(events, totals) if n]
    if not risks:
        raise ValueError("no control group with participants")
    return float(median(risks))


def absolute_effects(control_risk: float, measure: str, estimate: float, ci_low: float, ci_high: float,
                     per: int = 1000) -> dict:
    """Risk with the intervention and the difference, per ``per`` people, from a pooled relative
    effect and an assumed control risk.

    Parameters
    ----------
    control_risk : float
        Assumed risk without the intervention (a proportion).
    measure : {"RR", "OR", "RD"}
        The pooled measure; RR and OR on the log scale, RD as a difference of proportions.
    estimate, ci_low, ci_high : float
        Pooled estimate and CI.
    per : int
        People the risks are expressed per (1,000).

    Returns
    -------
    dict
        ``control``, ``intervention`` and ``difference``, each ``(estimate, low, high)`` per ``per``
        (``control`` repeated).

    References
    ----------
    Cochrane Handbook 15.4.4: with the assumed control risk ACR, risk with the intervention
    ``ACR x RR`` or ``OR x ACR / (1 - ACR + OR x ACR)``; the difference is that minus ACR.

    Examples
    --------
    >>> e = absolute_effects(0.675, "RR", math.log(0.968), math.log(0.87), math.log(1.08))
    >>> [round(x, 1) for x in e["difference"]]
    [-21.6, -87.8, 54.0]
    """
    measure = measure.upper()
    if not 0 <= control_risk <= 1:
        raise ValueError(f"the control risk must be a proportion (got {control_risk})")

    def risk(v: float) -> float:
        if measure == "RR":
            return min(control_risk * math.exp(v), 1.0)
        if measure == "OR":
            o = math.exp(v)
            return o * control_risk / (1 - control_risk + o * control_risk)
        if measure == "RD":
            return min(max(control_risk + v, 0.0), 1.0)
        raise ValueError(f"absolute effects need RR, OR or RD (got {measure})")

    with_int = tuple(per * risk(v) for v in (estimate, ci_low, ci_high))
    base = per * control_risk
    return {"control": (base, base, base), "intervention": with_int,
            "difference": tuple(x - base for x in with_int)}


def reexpress_smd(smd: float, ci_low: float, ci_high: float, sd: float) -> tuple[float, float, float]:
    """A standardized mean difference in the units of a familiar instrument: ``SMD x SD``.

    Parameters
    ----------
    smd, ci_low, ci_high : float
        Pooled SMD and its CI.
    sd : float
        A typical among-person SD of the instrument (the reference SD).

    References
    ----------
    Cochrane Handbook 15.5.3 (re-expressing SMDs by multiplying by a typical SD of a familiar
    instrument; Handbook 5.1, 12.6.4).

    Examples
    --------
    >>> tuple(round(x, 3) for x in reexpress_smd(-0.14, -0.55, 0.27, 1.61))
    (-0.225, -0.886, 0.435)
    """
    if not sd > 0:
        raise ValueError(f"the reference SD must be positive (got {sd})")
    return smd * sd, ci_low * sd, ci_high * sd


def effect_size(estimate: float, thresholds: tuple[float, float] | None, *, null: float = 0.0,
                large: tuple[float, float] | None = None) -> str:
    """The size of the point estimate for the plain-language statement: ``trivial`` (within the
    MID thresholds), ``important`` (beyond one) or ``large`` (beyond a large-effect threshold).

    Without thresholds, any estimate other than the null is ``important``.

    >>> effect_size(-0.14, (-0.62, 0.62)), effect_size(-0.7, (-0.5, 0.5)), effect_size(-1.0, (-0.5, 0.5), large=(-0.8, 0.8))
    ('trivial', 'important', 'large')
    """
    if large is not None and (estimate <= large[0] or estimate >= large[1]):
        return "large"
    if thresholds is None:
        return "trivial" if estimate == null else "important"
    return "trivial" if thresholds[0] < estimate < thresholds[1] else "important"


_HEDGE = {"high": "", "moderate": "likely ", "low": "may "}


def plain_language(level: str, size: str, direction: str, intervention: str, outcome: str) -> str:
    """The GRADE informative statement for one outcome.

    Parameters
    ----------
    level : {"high", "moderate", "low", "very_low"}
        The certainty.
    size : {"trivial", "important", "large"}
        :func:`effect_size` of the point estimate.
    direction : {"reduce", "increase"}
        Which way the point estimate moves the outcome.
    intervention, outcome : str
        Their names, e.g. "LDN", "pain".

    References
    ----------
    Santesso et al. 2020, GRADE guidelines 26: informative statements to communicate the
    findings of systematic reviews of interventions, J Clin Epidemiol 119:126-135, Table 2.

    Examples
    --------
    >>> plain_language("low", "trivial", "reduce", "LDN", "pain")
    'LDN may result in little to no difference in pain.'
    >>> plain_language("moderate", "important", "reduce", "LDN", "pain")
    'LDN likely reduces pain.'
    >>> plain_language("moderate", "trivial", "increase", "LDN", "adverse events")
    'LDN likely results in little to no difference in adverse events.'
    >>> plain_language("very_low", "large", "increase", "LDN", "adverse events")
    'The evidence is very uncertain about the effect of LDN on adverse events.'
    """
    if level == "very_low":
        return f"The evidence is very uncertain about the effect of {intervention} on {outcome}."
    if level not in _HEDGE:
        raise ValueError(f"unknown certainty {level!r}")
    if direction not in ("reduce", "increase"):
        raise ValueError("direction must be 'reduce' or 'increase'")
    hedge = _HEDGE[level]
    verb = "result" if level == "low" else "results"
    if size == "trivial":
        return f"{intervention} {hedge}{verb} in little to no difference in {outcome}."
    if size == "large":
        noun = "reduction" if direction == "reduce" else "increase"
        return f"{intervention} {hedge}{verb} in a large {noun} in {outcome}."
    if level == "low":
        return f"{intervention} may {direction} {outcome}."
    verb = "reduces" if direction == "reduce" else "increases"
    return f"{intervention} {hedge}{verb} {outcome}."
