"""From a study record's outcome data to one effect size with its variance and derivation.

Papers report results every way there is. This module picks, for each study and outcome, the
most direct path the study's design and data allow, and says which path it took and what it
assumed. One function per path; in each, the first form the data allow wins:

Parallel groups (:func:`parallel_effect`: intervention vs a comparator)
    * MD: reported mean difference with CI, SE or p (the trial's own analysis), else per-arm
      final values, else per-arm change scores.
    * SMD: per-arm final values with SDs, else per-arm change scores with SDs (an SD is derived
      from a reported SE or CI of the change, Cochrane Handbook 6.5.2.2-6.5.2.3), else a
      reported standardized effect with its stated type (sign taken from the reported
      difference when only the magnitude is reported).
Crossover trial (:func:`crossover_effect`, randomized or fixed order): paired analyses
(Elbourne 2002; Handbook 23.2.7)
    * a paired mean difference with SE or CI, else per-condition means/SDs with the
      within-person correlation r, else a median difference with IQR (median taken as the mean,
      SD of differences = IQR / eta(n), Wan 2014 scenario S3; Handbook 6.5.2.5), else (SMD
      only) a p-value of the paired comparison with n (paired t: dz = t / sqrt(n), re-expressed
      on the between-person scale with r, Morris & DeShon 2002; refused when the source gives
      the test's error df and they are not n - 1, e.g. a test on repeated daily reports), else
      a reported standardized effect.
Single-arm pre-post (:func:`prepost_effect`: open-label series, case series, uncontrolled
cohorts)
    * per-timepoint means/SDs (SMCR for "SMD", MC for "MD", metafor), else a percent change
      with a baseline mean and SD. Otherwise not poolable.
Reported effect (:func:`reported_effect`), when none of the above applies: an effect given
with its variance on the measure asked for (a ``form: effect`` block, metafor's ``yi``/``vi``).
Binary outcomes (:func:`binary_effect`): RR, OR or RD from per-arm event counts of parallel
groups, else a reported effect.

What the review calls its arms, contrasts and intervention comes in as a :class:`Terms`
(built from the review's protocol, :meth:`Terms.from_protocol`); nothing here names a review's
outcome or arm. Direction is aligned so that a negative effect is an improvement
(``lower_is_better`` of the record's scale, else the protocol's default for the outcome).
Every effect records the sources of the numbers it used, their kind (primary, registry,
conference abstract, secondary), whether it depends on the within-person correlation r, and
the assumptions made; a study that cannot contribute gets a reason instead of a number.

Examples
--------
>>> from ldn_evidence.records import StudyRecord
>>> terms = Terms(intervention_arms=("drug",), comparator_arms=("placebo",), controlled=("drug_vs_placebo",),
...               label="the drug")
>>> study = StudyRecord.model_validate({
...     "id": "trial2020", "citation": {"authors": ["Doe J"], "year": 2020, "title": "A trial"},
...     "doi": "10.1000/x", "design": "parallel_rct", "randomized": True, "blinding": "double",
...     "population": {}, "intervention": {}, "comparator": "placebo", "outcomes": [{
...         "outcome": "score", "timepoint": "week 8", "contrast": "drug_vs_placebo", "data": [{
...             "form": "arm_means", "source": "DOI 10.1000/x, Table 2",
...             "arms": [{"arm": "drug", "mean": 4.0, "sd": 2.0, "n": 30},
...                      {"arm": "placebo", "mean": 5.0, "sd": 2.0, "n": 30}]}]}]})
>>> eff = effect_for_outcome(study, study.outcomes[0], "MD", terms=terms)
>>> eff.yi, eff.path
(-1.0, 'per-arm final values')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.special

from ..records import schema as _rec
from ..vocabulary import BINARY_MEASURES, CONTINUOUS_MEASURES, DESIGN_GROUPS, UNCONTROLLED_CONTRASTS, design_group
from . import conversions as conv
from . import designs
from .measures import escalc_arrays

__all__ = ["StudyEffect", "Terms", "effect_for_outcome", "binary_effect", "parallel_effect", "crossover_effect",
           "prepost_effect", "reported_effect", "design_group", "DESIGN_GROUPS", "outcome_entries"]

#: designs analysed as crossover trials (paired analyses)
CROSSOVER_DESIGNS = ("crossover_rct", "crossover_nonrandomized")


@dataclass(frozen=True)
class Terms:
    """What a review calls the things an effect compares (from its protocol).

    Parameters
    ----------
    intervention_arms, comparator_arms : tuple of str
        Arm names (lower case) of the intervention and of any comparator.
    controlled : tuple of str
        Controlled contrast names, in order of preference (``<intervention>_vs_<comparator>``).
    label : str
        How derivation texts and reasons name the intervention.
    higher_is_better : frozenset of str
        Record outcome ids on which higher is better when a record's scale does not say.
    """

    intervention_arms: tuple[str, ...]
    comparator_arms: tuple[str, ...]
    controlled: tuple[str, ...]
    label: str = "intervention"
    higher_is_better: frozenset = frozenset()

    @classmethod
    def from_protocol(cls, protocol) -> "Terms":
        """The terms of a :class:`ldn_evidence.records.protocol.Protocol`."""
        return cls(intervention_arms=protocol.intervention_arms, comparator_arms=protocol.comparator_arms,
                   controlled=protocol.contrasts, label=protocol.intervention.label,
                   higher_is_better=frozenset(o.id for o in protocol.outcomes if not o.lower_is_better))

    @property
    def contrast_order(self) -> dict[str, int]:
        """Contrast -> rank: controlled contrasts first, then the uncontrolled ones."""
        return {c: i for i, c in enumerate(self.controlled + UNCONTROLLED_CONTRASTS)}


def _default_terms() -> Terms:
    from ..records import default_protocol

    return Terms.from_protocol(default_protocol())


@dataclass
class StudyEffect:
    """One study's effect for one outcome, or the reason there is none."""

    study: str
    outcome: str | None
    measure: str
    yi: float = math.nan
    vi: float = math.nan
    derivation: str = ""
    path: str = ""
    reason: str | None = None
    sources: list[str] = field(default_factory=list)
    source_kinds: list[str] = field(default_factory=list)
    uses_r: bool = False
    r: float | None = None
    assumptions: list[str] = field(default_factory=list)
    n: int | None = None
    timepoint: str | None = None
    instrument: str | None = None
    #: (events, n) of the intervention arm then the comparator, for effects from event counts
    counts: tuple | None = None
    #: the per-arm numbers used ({"intervention": {...}, "comparator": {...}}), for the forest's arm columns
    arms: dict | None = None

    @property
    def estimable(self) -> bool:
        return self.reason is None and math.isfinite(self.yi) and math.isfinite(self.vi) and self.vi > 0

    @property
    def secondary(self) -> bool:
        """True when any number used comes from a secondary report or a conference abstract."""
        return any(k in ("secondary", "conference_abstract") for k in self.source_kinds)


def outcome_entries(study: _rec.StudyRecord, members: Sequence[str] | str, terms: Terms | None = None,
                    binary: bool = False) -> list[_rec.Outcome]:
    """The study's entries for an outcome (the record outcome ids ``members`` it pools), primary
    first, controlled contrasts first; for a binary outcome, contrasts first."""
    names = (members,) if isinstance(members, str) else tuple(members)
    terms = terms or _default_terms()
    found = [o for o in study.outcomes if o.outcome in names]
    order = terms.contrast_order

    def specific(o):  # for harms, "any adverse event" before a single named event
        return 0 if not o.name or o.name.lower().startswith(("any", "all")) else 1

    return sorted(found, key=lambda o: (order.get(o.contrast, 9) if binary else 0, specific(o),
                                        not o.primary, order.get(o.contrast, 9), names.index(o.outcome)))


def _lower_is_better(o: _rec.Outcome, terms: Terms) -> tuple[bool, str | None]:
    if o.scale is not None:
        return o.scale.lower_is_better, None
    default = o.outcome not in terms.higher_is_better
    return default, (f"scale direction not recorded: {'lower' if default else 'higher'} taken as better "
                     f"for {o.outcome}")


def _blocks(o: _rec.Outcome, cls) -> list:
    return [b for b in o.data if isinstance(b, cls)]


def _arm(arms, names):
    for a in arms:
        if a.arm.lower() in names:
            return a
    return None


def _pair(arms, terms: Terms):
    """(intervention arm, comparator arm) of a block's arms; either may be None."""
    return _arm(arms, terms.intervention_arms), _arm(arms, terms.comparator_arms)


def _n_for(study: _rec.StudyRecord, block_n: int | None = None) -> tuple[int | None, str | None]:
    if block_n is not None:
        return block_n, None
    pop = study.population
    if pop.n_analysed is not None:
        return pop.n_analysed, None
    for name in ("n_randomized", "n_enrolled"):
        v = getattr(pop, name)
        if v is not None:
            return v, f"n analysed not reported: {name.replace('_', ' ')} ({v}) used"
    return None, None


def _sd_from_arm(a, n: int | None) -> tuple[float | None, str | None]:
    """SD of an arm's value: as reported, or from its SE or CI (Handbook 6.5.2.2/6.5.2.3)."""

    if a.sd is not None:
        return a.sd, None
    if n is None or n < 2:
        return None, None
    if a.se is not None:
        return float(conv.sd_from_se(a.se, n)), "SD = SE x sqrt(n) (Handbook 6.5.2.2)"
    if a.ci_low is not None and a.ci_high is not None:
        sd = float(conv.sd_from_ci(a.ci_low, a.ci_high, n, a.ci_level, dist="t"))
        return sd, (f"SD from the {a.ci_level:g}% CI of the mean: sqrt(n) x width / (2 t(n-1)) "
                    "(Handbook 6.5.2.2)")
    return None, None


def _unsigned(block) -> bool:
    return getattr(block, "direction", "stated") == "unknown"


def _sign_hint(o: _rec.Outcome, terms: Terms) -> tuple[float | None, str | None]:
    """Direction (intervention minus comparator) from whatever difference the outcome reports
    with a known sign: a signed reported difference, else per-arm means or changes, else per-arm
    percent changes."""
    for b in _blocks(o, _rec.MeanDifference) + _blocks(o, _rec.MedianDifference):
        if b.estimate != 0 and not _unsigned(b):
            return math.copysign(1.0, b.estimate), f"the reported difference ({b.estimate:g})"
    for cls in (_rec.ChangeScores, _rec.ArmMeans):
        for b in _blocks(o, cls):
            t, c = _pair(b.arms, terms)
            if t is not None and c is not None and t.mean is not None and c.mean is not None and t.mean != c.mean:
                what = "changes" if cls is _rec.ChangeScores else "means"
                return math.copysign(1.0, t.mean - c.mean), f"the per-arm {what} ({t.mean:g} vs {c.mean:g})"
    for b in _blocks(o, _rec.PercentChange):
        t, c = _pair(b.arms, terms)
        if t is not None and c is not None and t.percent != c.percent:
            return math.copysign(1.0, t.percent - c.percent), f"the per-arm percent changes ({t.percent:g}% vs {c.percent:g}%)"
    return None, None


def _reported_sign(block, o: _rec.Outcome, terms: Terms) -> tuple[float | None, str | None]:
    if _unsigned(block):
        sign, where = _sign_hint(o, terms)
        if sign is None:
            return None, None
        return sign, f"reported magnitude only: sign taken from {where}"
    if getattr(block, "direction", "stated") == "inferred":
        return 1.0, f"direction of the reported {block.form.replace('_', ' ')} inferred ({block.sign_convention})"
    return 1.0, None


def _kind_of(block) -> str | None:
    return {"cohen_d": "d", "d_unspecified": "d", "hedges_g": "g", "d_z": "dz", "r": "r"}.get(block.type)


def _events_of(arm, reported_n: int | None) -> tuple[int | None, int | None, str | None]:
    """(events, n, derivation) of an arm: counts as reported, or events from a reported percent
    and n when exactly one whole number of events gives that percent at the reported precision."""
    n = arm.n if arm.n is not None else reported_n
    if arm.events is not None and n is not None:
        return arm.events, n, None
    if arm.percent is None or n is None or n <= 0:
        return None, None, None
    digits = len(repr(float(arm.percent)).split(".")[1].rstrip("0")) if "." in repr(float(arm.percent)) else 0
    candidates = [e for e in range(n + 1) if round(100 * e / n, digits) == round(arm.percent, digits)]
    if len(candidates) != 1:
        return None, None, None
    return candidates[0], n, (f"{arm.arm}: events = {candidates[0]} of {n}, the only count giving the "
                              f"reported {arm.percent:g}%")


class _Outcome:
    """Where one effect is being built: the effect so far, and how a path finishes it (``done``)
    or gives up (``fail``)."""

    def __init__(self, eff: StudyEffect, r: float, lower_better: bool):
        self.eff, self.r, self.lower_better = eff, r, lower_better
        #: why a form the data have was refused (the reason given when no path succeeds)
        self.refused: list[str] = []

    def done(self, de, blocks, n, path, uses_r=False, extra=(), sign=1.0) -> StudyEffect:
        eff, r = self.eff, self.r
        eff.path = path + (f", r = {r:g}" if uses_r else "")
        yi, vi = float(de.yi.ravel()[0]), float(de.vi.ravel()[0])
        yi *= sign
        if not self.lower_better:
            yi = -yi
        eff.yi, eff.vi, eff.derivation = yi, vi, de.derivation
        eff.sources = list(dict.fromkeys(b.source for b in blocks))
        eff.source_kinds = list(dict.fromkeys(b.source_kind for b in blocks))
        eff.uses_r = uses_r
        eff.r = r if uses_r else None
        eff.n = n
        eff.assumptions += [a for a in extra if a]
        for b in blocks:
            if b.derivation:
                eff.assumptions.append(f"reported number derived: {b.derivation}")
        if not self.lower_better:
            eff.assumptions.append("higher is better on this scale: sign flipped so negative = improvement")
        if not (math.isfinite(yi) and math.isfinite(vi) and vi > 0):
            eff.reason = "the computed variance is not positive and finite"
        return eff

    def fail(self, reason: str) -> StudyEffect:
        self.eff.reason = reason
        return self.eff


def effect_for_outcome(study: _rec.StudyRecord, o: _rec.Outcome, measure: str = "SMD", r: float = 0.5, *,
                       terms: Terms | None = None) -> StudyEffect:
    """The effect of the intervention for one outcome entry of one study.

    Parameters
    ----------
    study : StudyRecord
    o : Outcome
        One of ``study.outcomes``.
    measure : {"SMD", "MD", "RR", "OR", "RD"}
        Standardized (Hedges' g; SMCR for single-arm studies) or raw mean difference (mean
        change for single-arm studies) on the outcome's own scale; RR, OR and RD go to
        :func:`binary_effect`.
    r : float
        Within-person correlation for crossover and pre-post paths; a study's own
        ``within_person_r`` overrides it.
    terms : Terms, optional
        The review's arm names, contrasts and directions (default: the bundled review's protocol).

    Returns
    -------
    StudyEffect
        ``yi``, ``vi``, ``path``, ``derivation``, ``assumptions`` and ``sources``; or a ``reason``.
    """

    terms = terms or _default_terms()
    if measure in BINARY_MEASURES:
        return binary_effect(study, o, measure, terms=terms)
    if measure not in CONTINUOUS_MEASURES:
        raise ValueError(f"measure must be 'SMD' or 'MD' (got {measure!r})")
    if study.within_person_r is not None:
        r = study.within_person_r
    eff = StudyEffect(study=study.id, outcome=o.outcome, measure=measure, timepoint=o.timepoint,
                      instrument=o.instrument)
    lower_better, dir_note = _lower_is_better(o, terms)
    if dir_note:
        eff.assumptions.append(dir_note)
    out = _Outcome(eff, r, lower_better)
    if study.exclude_from_pooling:
        return out.fail(f"excluded from pooling: {study.exclude_from_pooling}")
    if study.design in ("case_report",):
        return out.fail("case report (n = 1): no sampling variance")
    if study.design == "dose_finding":
        return out.fail("dose-finding design: no fixed-dose comparison to pool")
    controlled = o.contrast in terms.controlled
    crossover = study.design in CROSSOVER_DESIGNS
    if controlled:
        path, design = (crossover_effect, "crossover") if crossover else (parallel_effect, "parallel")
    elif o.contrast in ("pre_post", "single_group"):
        path, design = prepost_effect, "single-arm"
    else:
        return out.fail(f"contrast '{o.contrast}' is not an effect of {terms.label} that can be pooled")
    found = path(study, o, measure, terms, out)
    if found is None:
        found = reported_effect(study, o, measure, out, controlled=controlled)
    if found is not None:
        return found
    return out.fail(out.refused[0] if out.refused else _why_not(o, measure, design))


def parallel_effect(study: _rec.StudyRecord, o: _rec.Outcome, measure: str, terms: Terms,
                    out: _Outcome) -> StudyEffect | None:
    """Parallel groups: a reported MD (CI, SE or p), per-arm final values or changes, or a
    reported standardized effect (None when the data allow none of them)."""
    if measure == "MD":
        for b in _blocks(o, _rec.MeanDifference):
            if b.paired:
                continue
            n1, n2 = _group_ns(o, terms)
            sign, sign_note = _reported_sign(b, o, terms)
            if sign is None:
                continue
            if b.se is not None or b.ci_low is not None:
                de = designs.parallel_from_md(b.estimate, n1 or 1, n2 or 1, se=b.se, ci_lower=b.ci_low,
                                              ci_upper=b.ci_high, level=b.ci_level, ci_dist="z")
                return out.done(de, [b], (n1 or 0) + (n2 or 0) or b.n_total, "reported mean difference",
                                extra=[sign_note, "SE from the 95% CI with the normal quantile"
                                       if b.se is None else None], sign=sign)
            if b.p_value is not None and b.p_value_qualifier == "=" and 0 < b.p_value < 1:
                ntot = b.n_total or ((n1 or 0) + (n2 or 0)) or None
                df = ntot - 2 if ntot and ntot > 2 else None
                se = float(conv.se_from_p(b.estimate, b.p_value, df=df))
                de = designs.parallel_from_md(b.estimate, n1 or 1, n2 or 1, se=se)
                de = designs.DesignEffect(de.yi, de.vi, f"reported mean difference; SE from its p-value "
                                          f"(two-sided, t with {df} df) (Handbook 6.5.2.3)")
                return out.done(de, [b], ntot, "reported mean difference, SE from p", extra=[sign_note] + (
                    ["the difference is adjusted (model-based)"] if b.adjusted else []), sign=sign)
    for cls, fn in ((_rec.ArmMeans, designs.parallel_final), (_rec.ChangeScores, designs.parallel_change)):
        for b in _blocks(o, cls):
            t, c = _pair(b.arms, terms)
            if t is None or c is None or t.mean is None or c.mean is None or t.n is None or c.n is None:
                continue
            sd_t, how_t = _sd_from_arm(t, t.n)
            sd_c, how_c = _sd_from_arm(c, c.n)
            if sd_t is None or sd_c is None:
                continue
            de = fn(t.mean, sd_t, t.n, c.mean, sd_c, c.n, measure=measure)
            what = "per-arm final values" if cls is _rec.ArmMeans else "per-arm change scores"
            if how_t or how_c:
                what += " (SD from SE/CI)"
            out.eff.arms = {"intervention": {"mean": t.mean, "sd": sd_t, "n": t.n},
                            "comparator": {"mean": c.mean, "sd": sd_c, "n": c.n}}
            return out.done(de, [b], t.n + c.n, what, extra=list(dict.fromkeys(h for h in (how_t, how_c) if h)))
    if measure == "SMD":
        for b in _blocks(o, _rec.StandardizedEffect):
            kind = _kind_of(b)
            if kind not in ("d", "g"):
                continue
            n1, n2 = _group_ns(o, terms)
            if n1 is None or n2 is None:
                continue
            sign, sign_note = _reported_sign(b, o, terms)
            if sign is None:
                continue
            de = designs.reported_standardized(b.value, kind, n1=n1, n2=n2)
            notes = [sign_note]
            if b.type == "d_unspecified":
                notes.append("reported d of unstated computation taken as Cohen's d")
            return out.done(de, [b], n1 + n2, "reported standardized effect", extra=notes, sign=sign)
    return None


def crossover_effect(study: _rec.StudyRecord, o: _rec.Outcome, measure: str, terms: Terms,
                     out: _Outcome) -> StudyEffect | None:
    """Crossover trial: a paired MD, per-condition means with r, a median difference with IQR,
    (SMD) the p-value of the paired comparison, or a reported standardized effect."""
    r = out.r
    for b in _blocks(o, _rec.MeanDifference):
        n, n_note = _n_for(study, b.n_total)
        sign, sign_note = _reported_sign(b, o, terms)
        if n is None or sign is None or (b.se is None and b.ci_low is None):
            continue
        se = b.se if b.se is not None else float(conv.se_from_ci(b.ci_low, b.ci_high, b.ci_level))
        de = designs.crossover_paired(b.estimate, n, se=se, measure=measure, r=r)
        return out.done(de, [b], n, "paired mean difference", uses_r=measure == "SMD", extra=[n_note, sign_note] + (
            [] if b.paired else ["difference assumed to come from a paired analysis"]), sign=sign)
    for b in _blocks(o, _rec.ArmMeans):
        t, c = _pair(b.arms, terms)
        if t is None or c is None or t.mean is None or c.mean is None:
            continue
        n, n_note = _n_for(study, t.n if t.n is not None else c.n)
        if n is None:
            continue
        sd_t, how_t = _sd_from_arm(t, n)
        sd_c, how_c = _sd_from_arm(c, n)
        if sd_t is None or sd_c is None:
            continue
        de = designs.crossover_conditions(t.mean, sd_t, c.mean, sd_c, n, r=r, measure=measure)
        return out.done(de, [b], n, "per-condition means/SDs", uses_r=True, extra=[n_note, how_t, how_c])
    for b in _blocks(o, _rec.MedianDifference):
        n, n_note = _n_for(study, b.n_total)
        width = b.iqr if b.iqr is not None else (
            b.q3 - b.q1 if b.q1 is not None and b.q3 is not None else None)
        if n is None or width is None or n < 3:
            continue
        sign, sign_note = _reported_sign(b, o, terms)
        if sign is None:
            continue
        sd_diff = float(conv.sd_from_median(n, q1=0.0, q3=width, method="wan"))
        de = designs.crossover_paired(b.estimate, n, sd_diff=sd_diff, measure=measure, r=r)
        de = designs.DesignEffect(de.yi, de.vi, "median within-person difference taken as the mean; "
                                  "SD of differences = IQR / eta(n) (Wan 2014, scenario S3; Handbook "
                                  f"6.5.2.5, assumes near-normal differences); then {de.derivation}")
        return out.done(de, [b], n, "median difference, SD from IQR", uses_r=measure == "SMD",
                        extra=[n_note, sign_note, "median difference used as a mean difference"], sign=sign)
    if measure == "SMD":
        return _crossover_smd_from_p_or_reported(study, o, terms, out)
    return None


def _crossover_smd_from_p_or_reported(study: _rec.StudyRecord, o: _rec.Outcome, terms: Terms,
                                      out: _Outcome) -> StudyEffect | None:
    """Crossover SMD, last resorts: a paired comparison's p-value with n, else a reported
    standardized effect (a d_z re-expressed on the between-person scale with r)."""
    r = out.r
    for b in o.data:
        p, qual = getattr(b, "p_value", None), getattr(b, "p_value_qualifier", "=")
        if p is None or qual != "=" or not 0 < p < 1:
            continue
        sign, where = _sign_hint(o, terms)
        n, n_note = _n_for(study)
        if sign is None or n is None or n < 3:
            continue
        df_reported = getattr(b, "p_value_df", None)
        if df_reported is not None and df_reported != n - 1:
            out.refused.append(f"p = {p:g} comes from a test with {df_reported} error df, not a paired "
                               f"t-test on the {n} participants ({n - 1} df): no effect can be "
                               "back-calculated from it")
            continue
        t = float(scipy.special.stdtrit(n - 1, 1 - p / 2))
        dz = sign * t / math.sqrt(n)
        de = designs.reported_standardized(dz, "dz", n=n, r=r, to_between=True)
        de = designs.DesignEffect(de.yi, de.vi, f"p = {p:g} of the paired comparison taken as a "
                                  f"two-sided paired t-test with {n - 1} df: dz = t / sqrt(n) = "
                                  f"{dz:.3f} (sign from {where}); {de.derivation}")
        return out.done(de, [b], n, "p-value of paired comparison", uses_r=True,
                        extra=[n_note, "p-value assumed to come from a paired t-test of the same outcome"])
    for b in _blocks(o, _rec.StandardizedEffect):
        kind = _kind_of(b)
        if kind is None:
            continue
        n, n_note = _n_for(study, b.n_total)
        sign, sign_note = _reported_sign(b, o, terms)
        if n is None or sign is None:
            continue
        if kind == "dz":
            de = designs.reported_standardized(b.value, "dz", n=n, r=r, to_between=True)
        else:
            de = designs.reported_standardized(b.value, kind, n1=n, n2=n)
        return out.done(de, [b], n, "reported standardized effect", uses_r=kind == "dz",
                        extra=[n_note, sign_note], sign=sign)
    return None


def prepost_effect(study: _rec.StudyRecord, o: _rec.Outcome, measure: str, terms: Terms,
                   out: _Outcome) -> StudyEffect | None:
    """One group before and after: per-timepoint means/SDs (SMCR or MC), else (SMD) a percent
    change with a baseline mean and SD."""
    r = out.r
    for b in _blocks(o, _rec.PrePost):
        n, n_note = _n_for(study, b.n)
        if n is None or n < 2:
            return out.fail(f"pre-post data from n = {n}: no sampling variance")
        if None in (b.baseline_mean, b.followup_mean, b.baseline_sd) or (
                measure == "MD" and b.followup_sd is None and b.change_sd is None):
            continue
        r_used = b.r if b.r is not None else r
        if measure == "SMD":
            de = designs.prepost_single_arm(b.baseline_mean, b.baseline_sd, b.followup_mean,
                                            b.followup_sd if b.followup_sd is not None else b.baseline_sd,
                                            n, r=r_used, measure="SMCR")
        else:
            de = designs.prepost_single_arm(b.baseline_mean, b.baseline_sd, b.followup_mean,
                                            b.followup_sd, n, r=r_used, measure="MC")
        return out.done(de, [b], n, "baseline and follow-up means/SDs", uses_r=b.r is None, extra=[n_note])
    for b in _blocks(o, _rec.PercentChange):
        a = _arm(b.arms, terms.intervention_arms) or (b.arms[0] if len(b.arms) == 1 else None)
        base = [x for x in _blocks(o, _rec.PrePost) if x.baseline_mean is not None and x.baseline_sd is not None]
        if a is None or not base or measure != "SMD":
            continue
        n, n_note = _n_for(study, a.n)
        de = designs.percent_change(a.percent, n, baseline_mean=base[0].baseline_mean,
                                    baseline_sd=base[0].baseline_sd, r=r)
        return out.done(de, [b, base[0]], n, "percent change with baseline mean/SD", uses_r=True, extra=[n_note])
    return None


#: the measure a reported effect must be on, by the measure asked for (uncontrolled: mean change)
_REPORTED_AS = {True: {"SMD": ("SMD",), "MD": ("MD",)}, False: {"SMD": ("SMCR",), "MD": ("MC",)}}


def reported_effect(study: _rec.StudyRecord, o: _rec.Outcome, measure: str, out: _Outcome,
                    controlled: bool = True) -> StudyEffect | None:
    """An effect reported with its variance (``form: effect``) on the measure asked for, used
    as it is; continuous effects are aligned so that negative = improvement.

    For an uncontrolled contrast, "SMD" takes a reported SMCR and "MD" a reported MC.
    """
    wanted = _REPORTED_AS[controlled].get(measure, (measure,))
    for b in _blocks(o, _rec.ReportedEffect):
        if b.measure not in wanted:
            continue
        scale = "log " if b.measure in ("RR", "OR") else ""
        spread = f"vi = {b.vi:g}" if b.vi is not None else f"SE = {b.sei:g} (vi = SE²)"
        de = designs.DesignEffect(np.atleast_1d(float(b.yi)), np.atleast_1d(float(b.variance)),
                                  f"reported {scale}{b.measure} = {b.yi:g} with {spread}, used as reported")
        if measure in BINARY_MEASURES:  # no direction to align: ratios and differences as reported
            out.lower_better = True
        return out.done(de, [b], b.n_total, "reported effect and variance")
    return None


def binary_effect(study: _rec.StudyRecord, o: _rec.Outcome, measure: str = "RR", *,
                  terms: Terms | None = None) -> StudyEffect:
    """Risk ratio, odds ratio or risk difference of the intervention vs comparator from per-arm
    event counts (metafor's escalc, log scale for RR/OR, 0.5 added to every cell of a table
    with a zero cell), else an effect reported with its variance on that measure.

    Parallel-group trials only: a crossover trial's paired events (how many had the event on
    both, one or neither treatment) are not reported, and single-group counts have no comparator.
    """

    terms = terms or _default_terms()
    eff = StudyEffect(study=study.id, outcome=o.outcome, measure=measure, timepoint=o.timepoint,
                      instrument=o.name)
    if o.contrast not in terms.controlled:
        eff.reason = "single-group counts: no comparator"
        return eff
    if study.design in CROSSOVER_DESIGNS:
        eff.reason = "crossover trial: paired event counts (events on both, one or neither treatment) not reported"
        return eff
    if study.exclude_from_pooling:
        eff.reason = f"excluded from pooling: {study.exclude_from_pooling}"
        return eff
    for b in _blocks(o, _rec.Events):
        t, c = _pair(b.arms, terms)
        if t is None or c is None:
            continue
        e1, n1, how1 = _events_of(t, None)
        e2, n2, how2 = _events_of(c, None)
        if e1 is None or e2 is None:
            continue
        yi, vi, _ = escalc_arrays(measure, ai=[e1], n1i=[n1], ci=[e2], n2i=[n2])
        eff.yi, eff.vi = float(yi[0]), float(vi[0])
        scale = "log " if measure in ("RR", "OR") else ""
        zero = " (0.5 added to each cell: a zero cell)" if 0 in (e1, e2, n1 - e1, n2 - e2) else ""
        eff.derivation = (f"{scale}{measure} from events {e1}/{n1} ({terms.label}) vs {e2}/{n2} (comparator), "
                          f"metafor escalc{zero}")
        eff.path = "per-arm event counts" + (" (from percentages)" if how1 or how2 else "")
        eff.sources = [b.source]
        eff.source_kinds = [b.source_kind]
        eff.n = n1 + n2
        eff.counts = (e1, n1, e2, n2)
        eff.arms = {"intervention": {"events": e1, "n": n1}, "comparator": {"events": e2, "n": n2}}
        eff.assumptions += [h for h in (how1, how2) if h]
        if b.derivation:
            eff.assumptions.append(f"reported number derived: {b.derivation}")
        if not (math.isfinite(eff.yi) and math.isfinite(eff.vi) and eff.vi > 0):
            eff.reason = "no events in either arm: the effect is not estimable"
        return eff
    found = reported_effect(study, o, measure, _Outcome(eff, math.nan, True))
    if found is not None:
        return found
    eff.reason = (f"no per-arm event counts with n for {terms.label} and comparator "
                  f"({', '.join(sorted({b.form for b in o.data}))})")
    return eff


def _group_ns(o: _rec.Outcome, terms: Terms) -> tuple[int | None, int | None]:
    for cls in (_rec.ArmMeans, _rec.ChangeScores, _rec.Events):
        for b in _blocks(o, cls):
            t, c = _pair(b.arms, terms)
            if t is not None and c is not None and t.n is not None and c.n is not None:
                return t.n, c.n
    return None, None


def _why_not(o: _rec.Outcome, measure: str, design: str) -> str:
    forms = sorted({b.form for b in o.data})
    have = ", ".join(forms)
    if design == "single-arm":
        if "percent_change" in forms:
            return f"only a percent change is reported ({have}); converting it needs a baseline mean and SD"
        return f"no baseline and follow-up means with SDs ({have})"
    if measure == "MD" and forms and set(forms) <= {"percent_change", "p_value", "standardized_effect", "text",
                                                    "events"}:
        return f"no difference on the outcome's scale ({have}): MD not available"
    if set(forms) == {"text"}:
        return "only a result in words (no group data or effect estimate)"
    return f"no {measure} with a variance can be computed from the reported data ({have})"
