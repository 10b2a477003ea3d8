"""GRADE for every outcome of a review's protocol, and the summary of findings.

:func:`grade_review` analyses each outcome the protocol names (controlled studies only: the
comparison of a summary-of-findings table is the intervention against its comparator), feeds the
numbers to the rules of :mod:`.grade_rules`, lets the reviewers' judgements in the studies file
(``review.grade.<outcome>.<domain>``, :mod:`ldn_evidence.records.grade`) override them, and
returns a :class:`GradeResult`: per outcome the starting level, each domain's proposal and final
judgement with the reason, the certainty, the relative and absolute effects and the GRADE
plain-language statement. :mod:`.sof` renders it as text, CSV, HTML or Word.

Where the numbers come from
---------------------------
* Weights, estimate, CI, prediction interval, I² with its Q-profile CI, the heterogeneity test
  and the test for subgroup differences (by design): :meth:`Review.analyse`.
* Risk of bias: each pooled study's overall RoB 2 / ROBINS-I judgement. For a body that starts
  low (non-randomized studies), a ROBINS-I study's worst judgement outside confounding and
  selection of participants is used instead: the low start already stands for those two biases
  (GRADE guidelines 18, Schünemann et al. 2019, J Clin Epidemiol 111:105).
* The minimal important difference, instruments and labels: the protocol (:func:`review_protocol`).
* The optimal information size: :func:`.grade_rules.ois_continuous` (SMD scale, SD 1) or
  :func:`.grade_rules.ois_binary` from the median control risk.
* Registry evidence: ``review.ongoing`` entries whose status says completed or terminated count as
  finished without results; an "unknown status" past its end date is named, not counted.

The protocol seam
-----------------
Everything this module needs to know about a review's outcomes comes through one function,
:func:`review_protocol`: it reads the review's protocol (``review.protocol``: the file's
``review.protocol`` section, or the bundled review's for a file without one,
:mod:`ldn_evidence.records.protocol`): the outcomes of its ``summary_of_findings``, each with its
kind, direction, measure, minimal important difference and ``sof`` presentation (title, name,
instrument, reference study), the intervention's label and dose range, and the first
comparator. Without a MID the thresholds default to half an SD (continuous) and a 25% relative
risk reduction (binary), each with its source.

Examples
--------
>>> import ldn_evidence as le
>>> g = grade_review(le.load_studies())
>>> g["pain"].certainty in ("moderate", "low", "very_low")
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from .._format import json_safe
from ..effects import conversions as conv
from ..effects.from_records import outcome_entries
from ..errors import ReviewError
from ..models import meta_regression
from ..records import schema as _rec
from ..vocabulary import (CONTROLLED_DESIGNS, GRADE_DOMAINS, GRADE_UPGRADE_FACTORS, RATIO_MEASURES, ROBINS_I_JUDGEMENTS,
                          grade_domain_name, grade_level_text)
from . import grade_rules as rules
from .sof import effect_text, sof_html, sof_text

__all__ = ["OutcomeSpec", "GradeProtocol", "review_protocol", "DomainResult",
           "OutcomeCertainty", "GradeResult", "grade_review", "grade_outcome", "reference_sd"]


# ---------------------------------------------------------------------------------------------
# what the protocol says
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome of the protocol as GRADE needs it.

    ``mid_smd`` is the minimal important difference on the SMD scale (continuous outcomes
    analysed as SMD), or ``mid_instrument`` in the instrument's units (divided by the reference
    SD when grading; half an SD when there is none); ``rrr`` the relative risk reduction that counts as important (binary
    outcomes: the thresholds are RR ``1 - rrr`` and ``1 + rrr``). ``reference_study`` names the
    study whose comparator-group SD re-expresses an SMD on ``instrument`` (or give
    ``reference_sd`` with ``reference_sd_source``).
    """

    id: str
    title: str
    name: str
    kind: str
    measure: str
    lower_is_better: bool = True
    instrument: str | None = None
    mid_smd: float | None = None
    mid_instrument: float | None = None
    mid_source: str | None = None
    rrr: float | None = None
    reference_sd: float | None = None
    reference_sd_source: str | None = None
    reference_study: str | None = None


@dataclass(frozen=True)
class GradeProtocol:
    """The question a summary of findings answers, and its outcomes."""

    intervention: str
    comparator: str
    population: str
    outcomes: tuple[OutcomeSpec, ...]
    comparators: tuple[str, ...] = ("placebo",)
    dose_mg: tuple[float, float] | None = None
    dose_source: str | None = None
    source: str = "protocol"


_NORMAN = ("half a standard deviation (Norman, Sloan & Wyrwich 2003, Med Care 41:582-592), the MID on the SMD "
           "scale when the protocol gives none")
_GRADE6 = "a 25% relative risk reduction or increase (GRADE guidelines 6, Guyatt et al. 2011, J Clin Epidemiol 64:1283)"

def review_protocol(review) -> GradeProtocol:
    """The protocol GRADE works from: the review's (``review.protocol``; for a file without
    one, the bundled review's). The one place that knows where the protocol lives.

    >>> import ldn_evidence as le
    >>> [o.id for o in review_protocol(le.load_studies()).outcomes][:2]
    ['pain', 'fiq']
    """
    out = _from_protocol(review.protocol)
    if not review.has_own_protocol:
        out = replace(out, source="the bundled review's protocol (the review file has none)")
    return out


def _first(obj, *names, default=None):
    for name in names:
        value = getattr(obj, name, None) if not isinstance(obj, dict) else obj.get(name)
        if value is not None:
            return value
    return default


def _mid_of(o, kind: str, measure: str) -> dict:
    """The protocol's MID of one outcome as OutcomeSpec fields.

    A MID is a number or a mapping/object with ``value`` (and optionally ``units`` and
    ``source``). Binary: a relative risk reduction (0.25), or an RR threshold below 1 with
    ``units: RR`` (0.75 -> 0.25). Continuous: on the SMD scale when ``units`` is SMD/SD (or not
    given with an SMD analysis), else in the instrument's units, converted with the reference SD
    at grading time. A protocol's MID names its ``measure`` (SMD, MD, RR ...): read as the units.
    """
    mid = _first(o, "mid", "minimal_important_difference")
    plain = isinstance(mid, (int, float)) and not isinstance(mid, bool)
    value = mid if plain or mid is None else _first(mid, "value")
    units = None if plain or mid is None else _first(mid, "units", "scale", "measure")
    source = None if plain or mid is None else _first(mid, "source")
    units = str(units).strip().lower() if units is not None else None
    if kind == "binary":
        rrr = 0.25 if value is None else float(value)
        if units in ("rr", "risk ratio") and rrr < 1:
            rrr = 1 - rrr
        return {"rrr": rrr, "mid_source": source or _GRADE6}
    if value is None:
        return {"mid_smd": 0.5, "mid_source": _NORMAN}
    if units in (None, "smd", "sd", "standard deviations") and measure == "SMD":
        return {"mid_smd": float(value), "mid_source": source or "review.protocol"}
    return {"mid_instrument": float(value), "mid_source": source or "review.protocol"}


def _from_protocol(p) -> GradeProtocol:
    """A ``review.protocol`` section as :class:`GradeProtocol`.

    Reads a :class:`ldn_evidence.records.protocol.Protocol` (the outcomes of its
    ``summary_of_findings``; per outcome ``id``, ``name``, ``kind``, ``lower_is_better``,
    ``default_measure``, ``mid`` and its ``sof`` presentation; the intervention's ``label`` and
    ``dose_range_mg``, the first comparator's ``label`` and study-level ``types``), or any object
    or mapping with the plain names: per outcome ``id``, ``name`` (``title``), ``kind``,
    ``direction`` (lower_is_better | higher_is_better), ``default_measure`` (or ``measure``),
    ``instrument`` (or ``instrument_family``), ``mid`` (or ``minimal_important_difference``; see
    :func:`_mid_of`), ``reference_sd`` with ``reference_sd_source``, or ``reference_study``; and
    for the question ``intervention_label`` / ``comparator_label`` (or ``intervention`` /
    ``comparator``), ``population``, ``comparators`` and ``dose_mg``.
    """
    graded = getattr(p, "graded_outcomes", None)
    outcomes = [_outcome_spec(o) for o in _first(p, "outcomes", default=())
                if graded is None or str(_first(o, "id")) in graded]
    if graded is not None:
        outcomes.sort(key=lambda spec: graded.index(spec.id))
    intervention, comparators = _first(p, "intervention"), _first(p, "comparators", default=("placebo",))
    first = comparators[0] if comparators else None
    dose = _first(p, "dose_mg", "dose_range_mg") or _first(intervention, "dose_range_mg")
    return GradeProtocol(
        intervention=str(_first(p, "intervention_label", default=None) or _label(intervention, "intervention")),
        comparator=str(_first(p, "comparator_label", default=None) or _label(_first(p, "comparator") or first,
                                                                            "comparator")),
        population=str(_first(p, "population", default="")), outcomes=tuple(outcomes),
        comparators=tuple(t for c in comparators[:1] for t in getattr(c, "study_types", None) or ()) or tuple(
            c for c in comparators if isinstance(c, str)),
        dose_mg=tuple(dose) if dose is not None else None, dose_source=_first(intervention, "dose_source"),
        source="review.protocol")


def _label(arm, default: str) -> str:
    """An intervention's or comparator's label: a plain string, or an object's ``label``."""
    if arm is None:
        return default
    return arm if isinstance(arm, str) else str(_first(arm, "label", "name", default=default))


def _outcome_spec(o) -> OutcomeSpec:
    oid = str(_first(o, "id"))
    kind = str(_first(o, "kind", default="continuous"))
    measure = str(_first(o, "default_measure", "measure", default="RR" if kind == "binary" else "SMD")).upper()
    lower = _first(o, "lower_is_better")
    lower = "higher" not in str(_first(o, "direction", default="lower_is_better")) if lower is None else bool(lower)
    sof = _first(o, "sof")
    name = str(_first(sof, "name") or _first(o, "name", "title", default=oid.replace("_", " ")))
    title = _first(sof, "title") or _first(o, "title", default=name[:1].upper() + name[1:])
    spec = dict(id=oid, title=str(title), name=name[:1].lower() + name[1:] if not name[:2].isupper() else name,
                kind=kind, measure=measure, lower_is_better=lower,
                instrument=_first(sof, "instrument") or _first(o, "instrument", "instrument_family"),
                reference_sd=_first(sof, "reference_sd") or _first(o, "reference_sd"),
                reference_sd_source=_first(sof, "reference_sd_source") or _first(o, "reference_sd_source"),
                reference_study=_first(sof, "reference_study") or _first(o, "reference_study"))
    spec.update(_mid_of(o, kind, measure))
    return OutcomeSpec(**spec)


# ---------------------------------------------------------------------------------------------
# numbers from the records
# ---------------------------------------------------------------------------------------------

def _entries(review, study, outcome: str):
    """The study's entries of an outcome, as the review's protocol pools it (its members)."""
    spec = review.protocol.outcome(outcome)
    return outcome_entries(study, spec.members if spec is not None else (outcome,), review.terms,
                           binary=spec is not None and spec.kind == "binary")


def reference_sd(review, study_id: str, outcome: str) -> tuple[float | None, str]:
    """The pooled SD (both arms) of a study's outcome, as reported or from the arms' SE or CI
    (Cochrane Handbook 6.5.2.2), with a sentence saying where it comes from.

    >>> import ldn_evidence as le
    >>> sd, how = reference_sd(le.load_studies(), "due_bruun2024", "pain")
    >>> round(sd, 3)
    1.575
    """
    try:
        study = review[study_id]
    except KeyError:
        return None, f"reference study {study_id!r} is not in the review"
    for o in _entries(review, study, outcome):
        for block in o.data:
            if not isinstance(block, (_rec.ArmMeans, _rec.ChangeScores)):
                continue
            sds, ns = [], []
            for a in block.arms:
                if a.n is None or a.n < 2:
                    continue
                if a.sd is not None:
                    sd = a.sd
                elif a.se is not None:
                    sd = float(conv.sd_from_se(a.se, a.n))
                elif a.ci_low is not None and a.ci_high is not None:
                    sd = float(conv.sd_from_ci(a.ci_low, a.ci_high, a.n, a.ci_level, dist="t"))
                else:
                    continue
                sds.append(sd)
                ns.append(a.n)
            if len(sds) >= 1:
                pooled = math.sqrt(sum((n - 1) * s * s for s, n in zip(sds, ns)) / (sum(ns) - len(ns)))
                kind = "change from baseline" if isinstance(block, _rec.ChangeScores) else "outcome"
                return pooled, (f"SD {pooled:.2f} of the {kind} on {o.instrument or outcome} in {study.label}, pooled "
                                f"over its arms (SD from the reported SE or CI, Handbook 6.5.2.2); source: {block.source}")
    return None, f"{study.label} gives no arm SD, SE or CI for {outcome}"


def _control_risks(review, rows: list[dict], outcome: str) -> tuple[list[int], list[int], list[str]]:
    events, totals, labels = [], [], []
    for row in rows:
        study = review[row["study"]]
        for o in _entries(review, study, outcome):
            found = False
            for block in o.data:
                if not isinstance(block, _rec.Events):
                    continue
                arm = next((a for a in block.arms if a.arm.lower() in review.protocol.comparator_arms), None)
                if arm is None or arm.n is None:
                    continue
                e = arm.events if arm.events is not None else (round(arm.percent * arm.n / 100)
                                                              if arm.percent is not None else None)
                if e is None:
                    continue
                events.append(int(e))
                totals.append(int(arm.n))
                labels.append(f"{row['label']} {int(e)}/{arm.n}")
                found = True
                break
            if found:
                break
    return events, totals, labels


_SEVERITY = {j: i for i, j in enumerate(("low", "no_information", "moderate", "serious", "critical"))}


def _rob_judgement(study, start: str) -> str | None:
    rob = study.risk_of_bias
    if rob is None or rob.tool == "not_assessed":
        return None
    overall = rob.overall.judgement if rob.overall else None
    if start != "low" or rob.tool != "ROBINS-I":
        return overall
    rest = [j.judgement for d, j in rob.domains.items() if d not in ("confounding", "selection")
            and j.judgement in ROBINS_I_JUDGEMENTS]
    return max(rest, key=_SEVERITY.__getitem__) if rest else overall


def _indirectness_flags(study, protocol: GradeProtocol) -> set[str]:
    flags = set()
    pop = study.population
    n_all = pop.n_analysed or pop.n_enrolled or pop.n_randomized
    if pop.n_fibromyalgia is not None and n_all is not None and pop.n_fibromyalgia < n_all:
        flags.add(f"population: {pop.n_fibromyalgia} of {n_all} in the review's population")
    if protocol.dose_mg is not None:
        hi = protocol.dose_mg[1]
        dose = study.intervention.dose_mg_per_day
        top = study.intervention.dose_range_mg[1] if study.intervention.dose_range_mg else None
        above = [d for d in (dose, top) if d is not None and d > hi]
        if above:
            flags.add(f"intervention: dose up to {max(above):g} mg/day, above the protocol's {hi:g} mg")
    if study.comparator not in protocol.comparators:
        flags.add(f"comparator: {study.comparator.replace('_', ' ')}")
    return flags


def _registry(review) -> tuple[list[str], list[str]]:
    unpublished, unclear = [], []
    last = review.info.last_search
    for trial in review.info.ongoing:
        status = (trial.status or "").lower()
        if ("completed" in status or "terminated" in status) and "results" not in status.replace("no results", ""):
            unpublished.append(trial.registration)
        elif "unknown" in status and "end date" in status:
            year = next((int(w[:4]) for w in status.replace(",", " ").split() if w[:4].isdigit()), None)
            if year is not None and (last is None or year < last.year):
                unclear.append(f"{trial.registration} (status unknown, end date {year})")
    return unpublished, unclear


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------


@dataclass
class DomainResult:
    """One domain (or upgrading factor): the rule's proposal, the final judgement and by whom."""

    domain: str
    proposal: rules.Rating
    judgement: str
    reason: str
    by: str = "rule"

    @property
    def levels(self) -> int:
        return rules.Rating(self.domain, self.judgement, self.reason).levels

    def to_dict(self) -> dict:
        return {"domain": self.domain, "proposal": self.proposal.judgement, "proposal_reason": self.proposal.reason,
                "judgement": self.judgement, "reason": self.reason, "by": self.by, "levels": self.levels}


@dataclass
class OutcomeCertainty:
    """GRADE for one outcome: the evidence, each domain, the certainty and the effects."""

    spec: OutcomeSpec
    analysis: Any = None
    start: rules.Rating | None = None
    domains: dict = field(default_factory=dict)
    upgrades: dict = field(default_factory=dict)
    certainty: str | None = None
    participants: int | None = None
    thresholds: tuple | None = None
    control_risk: float | None = None
    control_risk_source: str | None = None
    reference_sd: float | None = None
    reference_sd_source: str | None = None
    ois: float | None = None
    statement: str = ""
    notes: list = field(default_factory=list)

    @property
    def k(self) -> int:
        return 0 if self.analysis is None else self.analysis.k

    @property
    def ratio(self) -> bool:
        return self.spec.measure in RATIO_MEASURES

    def estimate(self) -> tuple[float, float, float] | None:
        """Pooled estimate and CI as a reader sees them (ratios exponentiated)."""
        if self.k == 0:
            return None
        o = self.analysis.overall
        values = (o.estimate, o.ci_low, o.ci_high)
        return tuple(math.exp(v) for v in values) if self.ratio else values

    def to_dict(self) -> dict:
        est = self.estimate()
        out = {
            "outcome": self.spec.id, "title": self.spec.title, "measure": self.spec.measure, "k": self.k,
            "participants": self.participants,
            "studies": [] if self.analysis is None else [row["label"] for row in self.analysis.rows],
            "estimate": None if est is None else est[0], "ci_low": None if est is None else est[1],
            "ci_high": None if est is None else est[2],
            "start": None if self.start is None else self.start.judgement,
            "start_reason": None if self.start is None else self.start.reason,
            "domains": {d: r.to_dict() for d, r in self.domains.items()},
            "upgrades": {d: r.to_dict() for d, r in self.upgrades.items()},
            "certainty": self.certainty, "statement": self.statement,
            "control_risk": self.control_risk, "control_risk_source": self.control_risk_source,
            "reference_sd": self.reference_sd, "reference_sd_source": self.reference_sd_source,
            "ois": self.ois, "mid_source": self.spec.mid_source, "notes": list(self.notes),
        }
        return json_safe(out)


@dataclass
class GradeResult:
    """GRADE and the summary of findings for the outcomes of a review's protocol."""

    protocol: GradeProtocol
    outcomes: list
    settings: str = ""

    def __getitem__(self, outcome_id: str) -> OutcomeCertainty:
        for o in self.outcomes:
            if o.spec.id == outcome_id:
                return o
        raise KeyError(outcome_id)

    def __iter__(self):
        return iter(self.outcomes)

    def to_dict(self) -> dict:
        p = self.protocol
        return {"intervention": p.intervention, "comparator": p.comparator, "population": p.population,
                "protocol": p.source, "settings": self.settings,
                "outcomes": [o.to_dict() for o in self.outcomes]}

    def to_frame(self):
        """One row per outcome: k, participants, effect, certainty, start, and for each domain and
        upgrading factor its proposal, final judgement, reason and whether reviewers set it."""
        import pandas as pd  # pandas only where a DataFrame is asked for

        rows = []
        for o in self.outcomes:
            row = {"outcome": o.spec.id, "k": o.k, "n": o.participants, "effect": effect_text(o),
                   "certainty": o.certainty, "start": None if o.start is None else o.start.judgement}
            for d in GRADE_DOMAINS + GRADE_UPGRADE_FACTORS:
                r = o.domains.get(d) or o.upgrades.get(d)
                row[f"{d}_proposal"] = None if r is None else r.proposal.judgement
                row[d] = None if r is None else r.judgement
                row[f"{d}_reason"] = None if r is None else r.reason
                row[f"{d}_by"] = None if r is None else r.by
            row["statement"] = o.statement
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """The result protocol's text: the summary-of-findings table as ``print()`` shows it."""
        return str(self)

    def __str__(self) -> str:
        return sof_text(self)

    def __repr__(self) -> str:
        rated = ", ".join(f"{o.spec.id} {o.certainty or 'not rated'}" for o in self.outcomes)
        return f"<GradeResult {len(self.outcomes)} outcomes: {rated}>"

    def _repr_html_(self) -> str:
        return sof_html(self, standalone=False)


# ---------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------


def grade_review(review, outcomes: Sequence[str] | None = None, *, method: str | None = None, test: str | None = None,
                 r: float | None = None, level: float = 95) -> GradeResult:
    """GRADE every outcome of the review's protocol (or those named).

    Parameters
    ----------
    review : Review
    outcomes : sequence of str, optional
        Outcome ids of the protocol, in the order wanted (default: all, in the protocol's order).
    method, test, r, level
        As :meth:`Review.analyse`.

    Returns
    -------
    GradeResult

    Raises
    ------
    ReviewError
        For an outcome id the protocol does not have, or reviewers' judgements
        (``review.grade``) naming one.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> pain = grade_review(le.load_studies(), ["pain"])["pain"]
    >>> pain.start.judgement, pain.domains["risk_of_bias"].proposal.judgement
    ('high', 'serious')
    """
    protocol = review_protocol(review)
    known = {o.id: o for o in protocol.outcomes}
    overrides = getattr(review.info, "grade", None) or {}
    stray = sorted(set(overrides) - set(known))
    if stray:
        raise ReviewError(f"review.grade names {', '.join(map(repr, stray))}, not an outcome of the protocol "
                          f"({', '.join(known)})")
    wanted = list(outcomes) if outcomes is not None else list(known)
    unknown = [o for o in wanted if o not in known]
    if unknown:
        raise ReviewError(f"unknown outcome {', '.join(map(repr, unknown))}; the protocol's outcomes: "
                          f"{', '.join(known)}")
    graded = [grade_outcome(review, known[o], protocol, overrides.get(o), method=method, test=test, r=r, level=level)
              for o in wanted]
    settings = graded[0].analysis.settings if graded and graded[0].analysis is not None else ""
    return GradeResult(protocol=protocol, outcomes=graded, settings=settings)


def _fmt_for(measure: str):
    if measure in RATIO_MEASURES:
        return lambda v: f"{math.exp(v):.2f}"
    return lambda v: f"{v:.2f}"


def _final(domain: str, proposal: rules.Rating, override) -> DomainResult:
    if override is None:
        return DomainResult(domain, proposal, proposal.judgement, proposal.reason)
    return DomainResult(domain, proposal, override.judgement, override.reason, by="reviewers")


def grade_outcome(review, spec: OutcomeSpec, protocol: GradeProtocol, override=None, *, method: str | None = None,
                  test: str | None = None, r: float | None = None, level: float = 95) -> OutcomeCertainty:
    """GRADE one outcome: analyse the controlled studies, rate each domain, apply the reviewers'
    judgements (``override``: a :class:`ldn_evidence.records.grade.OutcomeGrade`), and state it."""
    controlled = [s.id for s in review.studies if s.design in CONTROLLED_DESIGNS]
    out = OutcomeCertainty(spec=spec)
    if controlled:
        out.analysis = review.analyse(spec.id, measure=spec.measure, method=method, test=test, by="design",
                                      only=controlled, r=r, level=level)
    if out.k == 0:
        out.statement = (f"No study compared {protocol.intervention} with {protocol.comparator} for {spec.name} "
                         "with data that could be pooled.")
        return out
    a = out.analysis
    rows = a.rows
    weights = [row["weight"] for row in rows]
    ns = [row["n"] for row in rows]
    out.participants = sum(int(n) for n in ns if n is not None)
    if any(n is None for n in ns):
        out.notes.append("participants: some studies do not report their number analysed")
    out.start = rules.starting_level([row["randomized"] for row in rows], weights)
    _thresholds_and_ois(review, out, rows)
    props = _proposals(review, out, protocol)
    given = override.judgements() if override is not None else {}
    out.domains = {d: _final(d, props[d], given.get(d)) for d in GRADE_DOMAINS}
    out.upgrades = {d: _upgrade(d, props[d], given.get(d)) for d in GRADE_UPGRADE_FACTORS}
    out.certainty = rules.certainty(out.start.judgement, [r_.judgement for r_ in out.domains.values()],
                                    [u.judgement for u in out.upgrades.values()])
    est = a.overall.estimate
    null = 0.0
    size = rules.effect_size(est, out.thresholds, null=null)
    better_down = spec.lower_is_better
    direction = "reduce" if est < null else "increase"
    if not better_down and spec.kind == "continuous":  # a higher score is better: the sign is aligned
        direction = "increase" if est < null else "reduce"
    out.statement = rules.plain_language(out.certainty, size, direction, protocol.intervention, spec.name)
    return out


def _upgrade(factor: str, proposal: rules.Rating, override) -> DomainResult:
    """An upgrading factor counts only when the reviewers write it: the rule's proposal is shown."""
    if override is not None:
        return DomainResult(factor, proposal, override.judgement, override.reason, by="reviewers")
    if proposal.judgement == "none":
        return DomainResult(factor, proposal, "none", proposal.reason)
    return DomainResult(factor, proposal, "none",
                        f"proposed {proposal.judgement.replace('_', ' ')} ({proposal.reason}); not applied until the "
                        f"reviewers confirm it in review.grade.<outcome>.{factor}")


def _thresholds_and_ois(review, out: OutcomeCertainty, rows: list[dict]) -> None:
    spec = out.spec
    if spec.kind == "binary":
        events, totals, labels = _control_risks(review, rows, spec.id)
        if events:
            out.control_risk = rules.median_control_risk(events, totals)
            out.control_risk_source = (f"median risk of the {'comparator'} groups: {', '.join(labels)} "
                                       "(Cochrane Handbook 14.1.5)")
        rrr = spec.rrr if spec.rrr is not None else 0.25
        if spec.measure in ("RR", "OR"):
            out.thresholds = (math.log(1 - rrr), math.log(1 + rrr))
        elif out.control_risk is not None:
            out.thresholds = (-rrr * out.control_risk, rrr * out.control_risk)
        if out.control_risk is not None and 0 < out.control_risk < 1:
            out.ois = rules.ois_binary(out.control_risk, rrr)
        return
    if spec.reference_sd is not None:
        out.reference_sd, out.reference_sd_source = spec.reference_sd, spec.reference_sd_source
    elif spec.reference_study is not None:
        out.reference_sd, out.reference_sd_source = reference_sd(review, spec.reference_study, spec.id)
        if out.reference_sd is None:
            out.notes.append(out.reference_sd_source)
    mid = spec.mid_smd
    if mid is None and spec.mid_instrument is not None:
        if out.reference_sd is not None:
            mid = spec.mid_instrument / out.reference_sd
            out.notes.append(f"MID {spec.mid_instrument:g} on {spec.instrument or 'the instrument'} / reference SD "
                             f"{out.reference_sd:.2f} = SMD {mid:.2f}")
        else:
            mid = 0.5
            out.notes.append(f"MID {spec.mid_instrument:g} in instrument units but no reference SD: {_NORMAN}")
    if spec.measure == "SMD" and mid is not None:
        out.thresholds = (-mid, mid)
        out.ois = rules.ois_continuous(mid)


def _proposals(review, out: OutcomeCertainty, protocol: GradeProtocol) -> dict[str, rules.Rating]:
    a, spec = out.analysis, out.spec
    o = a.overall
    rows = a.rows
    weights = [row["weight"] for row in rows]
    start = out.start.judgement
    fmt = _fmt_for(spec.measure)
    studies = [review[row["study"]] for row in rows]
    props = {"risk_of_bias": rules.rate_risk_of_bias(weights, [_rob_judgement(s, start) for s in studies])}
    props["inconsistency"] = rules.rate_inconsistency(
        o.k, o.i2, estimates=[row["yi"] for row in rows], i2_ci=(o.i2_ci_low, o.i2_ci_high), q_pvalue=o.q_pvalue if o.k > 1 else None,
        pi=(o.pi_low, o.pi_high) if o.k > 2 else None, thresholds=out.thresholds,
        subgroup_pvalue=a.subgroup_test[2] if a.subgroup_test else None, fmt=fmt, label=spec.measure)
    props["indirectness"] = rules.rate_indirectness(weights, [_indirectness_flags(s, protocol) for s in studies],
                                                    labels=[row["label"] for row in rows])
    props["imprecision"] = rules.rate_imprecision(o.estimate, o.ci_low, o.ci_high, thresholds=out.thresholds,
                                                  n=out.participants, ois=out.ois, fmt=fmt,
                                                  label=spec.measure)
    unpublished, unclear = _registry(review)
    egger = None
    if o.k >= 10:
        egger = o.egger_test().pvalue
    props["publication_bias"] = rules.rate_publication_bias(o.k, egger_pvalue=egger, unpublished=unpublished,
                                                            unclear=unclear)
    rob_down = props["risk_of_bias"].judgement != "not_serious"
    props["large_effect"] = rules.propose_large_effect(o.estimate, o.ci_low, o.ci_high,
                                                       ratio=spec.measure in RATIO_MEASURES, start=start,
                                                       rob_downgraded=rob_down)
    props["dose_response"] = _dose_response(rows, studies, start, spec)
    props["plausible_confounding"] = rules.Rating(
        "plausible_confounding", "none", "a reviewers' judgement only: no rule proposes it")
    return props


def _dose_response(rows, studies, start: str, spec: OutcomeSpec) -> rules.Rating:
    if start != "low":
        return rules.propose_dose_response(None, None, benefit_sign=-1, start=start)
    doses = [s.intervention.dose_mg_per_day for s in studies]
    keep = [i for i, d in enumerate(doses) if d is not None]
    slope = p = None
    if len(keep) >= 3 and len({doses[i] for i in keep}) >= 2:
        fit = meta_regression([rows[i]["yi"] for i in keep], [rows[i]["vi"] for i in keep],
                              [[doses[i]] for i in keep], method="REML", test="z")
        slope, p = float(fit.coef[1]), float(fit.pvalue[1])
    benefit = -1 if spec.lower_is_better or spec.kind == "continuous" else 1
    return rules.propose_dose_response(slope, p, benefit_sign=benefit, start=start, k=len(keep))


level_text = grade_level_text
domain_name = grade_domain_name
