"""A review's protocol: the question, its outcomes, arms, labels, subgroup variables and years.

Everything that belongs to one review rather than to the method lives here, in the studies
file's ``review.protocol`` section (Cochrane Handbook chapter 3, "Defining the criteria for
including studies"; PRISMA-P items 8-13): who is studied, what is compared with what, which
outcomes are collected, which way is better on each, the names the records use for the arms,
the words a forest plot puts under its axis ("Favours ..."), the minimal important differences
GRADE will need, the variables subgroups and meta-regressions may use, and the years in which
reports may have appeared. The code below the review layer takes these values as arguments and
names none of them.

Records are checked against their review's protocol (:func:`protocol_problems`): an outcome,
contrast, comparator, moderator or year the protocol does not know is a problem naming the file,
line, study and field.

Contrast names. A controlled contrast is spelled ``<intervention id>_vs_<comparator id>``
(``bcg_vs_control``); the uncontrolled ones are fixed by the method
(:data:`ldn_evidence.vocabulary.UNCONTROLLED_CONTRASTS`: ``pre_post``, ``single_group``,
``dose_response``). A record's ``contrast`` is one of these.

A file without a protocol. Before 0.3 every studies file used one fixed vocabulary, that of the
bundled default review; such a file is read with the bundled review's protocol
(:func:`ldn_evidence.records.default_protocol`), so old files and old git revisions keep
working. ``ldn-evidence validate`` says so; ``ldn-evidence init`` writes a protocol to start from.

Examples
--------
>>> p = Protocol.model_validate({
...     "population": "adults vaccinated or not", "year_range": [1930, None],
...     "intervention": {"id": "bcg", "name": "BCG vaccine", "label": "BCG", "arms": ["bcg"]},
...     "comparators": [{"id": "control", "name": "no vaccine", "label": "control", "arms": ["control"]}],
...     "outcomes": [{"id": "tb", "name": "tuberculosis", "kind": "binary", "lower_is_better": True}]})
>>> p.contrasts, p.favours("tb", controlled=True), p.outcome("tb").measure
(('bcg_vs_control',), ('Favours BCG', 'Favours control'), 'RR')
"""
from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import Problem
from ..vocabulary import (
    BINARY_MEASURES,
    CONTINUOUS_MEASURES,
    NO_COMPARATOR,
    OUTCOME_KINDS,
    SUBGROUP_FIELDS,
    UNCONTROLLED_CONTRASTS,
    normalize_method,
    normalize_test,
)
from .yaml import line_of

__all__ = ["Protocol", "AnalysisDefaults", "ProtocolIntervention", "ProtocolComparator", "ProtocolOutcome",
           "Moderator", "MinimalImportantDifference", "SummaryOfFindings", "protocol_problems", "Slug"]

#: an identifier as records spell it: lower case, digits and underscores
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False)


class _Arm(_Model):
    id: Slug = Field(description="used in contrast names: <intervention id>_vs_<comparator id>, e.g. bcg")
    name: str = Field(min_length=1, description="as a title names it, e.g. 'BCG vaccine'")
    label: str = Field(min_length=1, description="short label: 'Favours <label>', derivation texts")
    arms: list[str] = Field(min_length=1, description="arm names records use for it (case-insensitive)")


class ProtocolIntervention(_Arm):
    """The intervention: its id (in contrast names), how titles and labels name it, its arm names,
    and the doses the question covers (GRADE's indirectness looks at studies beyond them)."""

    dose_range_mg: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, min_length=2, max_length=2, description="[low, high] daily dose in mg the question covers")
    dose_source: str | None = Field(None, description="where the dose range comes from (required with it)")

    @model_validator(mode="after")
    def _dose(self) -> "ProtocolIntervention":
        if self.dose_range_mg is not None:
            if self.dose_range_mg[0] > self.dose_range_mg[1]:
                raise ValueError("dose_range_mg must be [low, high]")
            if not self.dose_source:
                raise ValueError("dose_range_mg without a source (add 'dose_source:')")
        return self


class ProtocolComparator(_Arm):
    """A comparator; ``types`` are the values a study's ``comparator:`` field takes for it."""

    types: list[Slug] = Field(default_factory=list, description="study-level comparator values (default: [id])")

    @property
    def study_types(self) -> tuple[str, ...]:
        return tuple(self.types) or (self.id,)


class MinimalImportantDifference(_Model):
    """The smallest difference patients would call important (GRADE's imprecision threshold)."""

    value: float = Field(gt=0)
    measure: str = Field(description="the measure the value is on: MD (on the outcome's scale), SMD, RR ...")
    source: str = Field(min_length=8, description="where the value comes from")


class SummaryOfFindings(_Model):
    """How the summary of findings (GRADE) presents an outcome; every field optional."""

    title: str | None = Field(None, description="the table's row title (default: the name, capitalised)")
    name: str | None = Field(None, description="the outcome in GRADE's plain-language statement (default: name)")
    instrument: str | None = Field(None, description="the instrument an SMD is re-expressed on, e.g. "
                                   "'a 0-10 rating scale'")
    reference_study: Slug | None = Field(None, description="the study whose SD re-expresses an SMD on the instrument")
    reference_sd: float | None = Field(None, gt=0, description="or the SD itself, with its source")
    reference_sd_source: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> "SummaryOfFindings":
        if self.reference_sd is not None and not self.reference_sd_source:
            raise ValueError("reference_sd without a source (add 'reference_sd_source:')")
        return self


class ProtocolOutcome(_Model):
    """One outcome of the review."""

    id: Slug
    name: str = Field(min_length=1, description="as titles name it, e.g. 'tuberculosis'")
    kind: Literal[OUTCOME_KINDS]  # type: ignore[valid-type]
    lower_is_better: bool = Field(description="the default direction when a record's scale does not give one")
    instrument_family: str | None = Field(None, description="e.g. 'depression scales (HAM-D, BDI)'")
    default_measure: str | None = Field(None, description="SMD or MD (continuous); RR, OR or RD (binary)")
    mid: MinimalImportantDifference | None = None
    pooled: bool = Field(True, description="false: recorded in studies, not offered for pooling")
    pools: list[Slug] = Field(default_factory=list,
                              description="record outcome ids pooled under this one (default: [id])")
    sof: SummaryOfFindings | None = Field(None, description="how the summary of findings presents it")
    note: str | None = None

    @model_validator(mode="after")
    def _measure(self) -> "ProtocolOutcome":
        allowed = BINARY_MEASURES if self.kind == "binary" else CONTINUOUS_MEASURES
        if self.default_measure is not None and self.default_measure not in allowed:
            raise ValueError(f"default_measure {self.default_measure!r} does not fit a {self.kind} outcome; "
                             f"expected one of {', '.join(allowed)}")
        return self

    @property
    def measure(self) -> str:
        """The measure an analysis uses unless told otherwise."""
        if self.default_measure:
            return self.default_measure
        return (BINARY_MEASURES if self.kind == "binary" else CONTINUOUS_MEASURES)[0]

    @property
    def members(self) -> tuple[str, ...]:
        """The record outcome ids this outcome pools."""
        return tuple(self.pools) or (self.id,)


class Moderator(_Model):
    """A study-level variable for subgroups and meta-regression (a study gives it in ``moderators:``)."""

    id: Slug
    name: str = Field(min_length=1)
    kind: Literal["numeric", "categorical"]
    levels: list[str] = Field(default_factory=list, description="categorical: the values; the first is the "
                              "reference level of a meta-regression")
    unit: str | None = None

    @model_validator(mode="after")
    def _levels(self) -> "Moderator":
        if self.kind == "categorical" and len(self.levels) < 2:
            raise ValueError(f"categorical moderator {self.id!r} needs at least two levels")
        if self.kind == "numeric" and self.levels:
            raise ValueError(f"numeric moderator {self.id!r} has no levels")
        return self


class AnalysisDefaults(_Model):
    """The review's default analysis settings (``review.protocol.analysis``), each overridable per
    analysis: the tau² estimator and the test of the pooled effect, with the reason for the choice.

    The package's own defaults are Cochrane's (Statistical Methods Group, implemented in RevMan in
    2025): REML tau² and the Hartung-Knapp-Sidik-Jonkman interval (``knha``). A review with two to
    four studies of varying precision may prefer the modified Hartung-Knapp (``adhoc``: never
    narrower than the unadjusted t interval; Röver, Knapp & Friede 2015), and says why here.
    """

    method: str = Field("REML", description="tau² estimator, metafor's code (REML, DL, PM, ...)")
    test: str = Field("knha", description="z, t, knha (Hartung-Knapp-Sidik-Jonkman) or adhoc (modified)")
    reason: str | None = Field(None, description="why these defaults, with sources")

    @model_validator(mode="after")
    def _known(self) -> "AnalysisDefaults":
        self.method = normalize_method(self.method)
        self.test = normalize_test(self.test)
        return self


class Protocol(_Model):
    """What a review asks and how its records name things (the ``review.protocol`` section)."""

    population: str = Field(min_length=3)
    intervention: ProtocolIntervention
    comparators: list[ProtocolComparator] = Field(min_length=1)
    outcomes: list[ProtocolOutcome] = Field(min_length=1)
    subgroups: list[Slug] = Field(default_factory=lambda: ["design"],
                                  description="subgroup variables an analysis may use; the first is the default")
    moderators: list[Moderator] = Field(default_factory=list)
    year_range: list[int | None] = Field(default_factory=lambda: [1900, None], min_length=2, max_length=2,
                                         description="[first, last] publication year; last null = next year")
    summary_of_findings: list[Slug] | None = Field(
        None, description="the outcomes GRADE rates and the summary of findings shows, in order "
        "(default: every pooled outcome)")
    analysis: AnalysisDefaults = Field(default_factory=AnalysisDefaults,
                                       description="default tau² estimator and test, with the reason")
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Protocol":
        ids = [o.id for o in self.outcomes]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"outcome ids used twice: {', '.join(twice)}")
        kinds = {o.id: o.kind for o in self.outcomes}
        for o in self.outcomes:
            for m in o.members:
                if m not in kinds:
                    raise ValueError(f"outcome {o.id!r} pools {m!r}, which is not an outcome of the protocol")
                if kinds[m] != o.kind:
                    raise ValueError(f"outcome {o.id!r} ({o.kind}) pools {m!r} ({kinds[m]})")
        if not any(o.pooled for o in self.outcomes):
            raise ValueError("no outcome is pooled (every outcome has pooled: false)")
        comparator_ids = [c.id for c in self.comparators]
        if len(set(comparator_ids)) != len(comparator_ids):
            raise ValueError("comparator ids must differ")
        for name in self.contrasts:
            if name in UNCONTROLLED_CONTRASTS:
                raise ValueError(f"contrast {name!r} is reserved for uncontrolled data")
        types = [t for c in self.comparators for t in c.study_types]
        if NO_COMPARATOR in types or len(set(types)) != len(types):
            raise ValueError(f"comparator types must differ and not be {NO_COMPARATOR!r} (no comparator)")
        mods = [m.id for m in self.moderators]
        clash = sorted(set(mods) & set(SUBGROUP_FIELDS)) + sorted({m for m in mods if mods.count(m) > 1})
        if clash:
            raise ValueError(f"moderator ids must be unique and not a record field: {', '.join(clash)}")
        categorical = {m.id for m in self.moderators if m.kind == "categorical"}
        for s in self.subgroups:
            if s not in SUBGROUP_FIELDS and s not in categorical:
                raise ValueError(f"subgroup variable {s!r} is neither a record field ({', '.join(SUBGROUP_FIELDS)}) "
                                 "nor a categorical moderator of the protocol")
        first, last = self.year_range
        if first is None or (last is not None and last < first):
            raise ValueError("year_range must be [first, last] with first <= last (last may be null)")
        pooled = {o.id for o in self.outcomes if o.pooled}
        stray = [o for o in self.summary_of_findings or () if o not in pooled]
        if stray:
            raise ValueError(f"summary_of_findings names {', '.join(stray)}: not a pooled outcome of the protocol")
        return self

    # -- look-ups ---------------------------------------------------------------------------

    def outcome(self, outcome_id: str) -> ProtocolOutcome | None:
        """The protocol's entry for an outcome id, or None."""
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    @property
    def pooled_outcomes(self) -> tuple[str, ...]:
        """The outcome ids an analysis may pool, in the protocol's order."""
        return tuple(o.id for o in self.outcomes if o.pooled)

    @property
    def graded_outcomes(self) -> tuple[str, ...]:
        """The outcomes of the summary of findings (GRADE), in its order."""
        return tuple(self.summary_of_findings) if self.summary_of_findings is not None else self.pooled_outcomes

    @property
    def default_outcome(self) -> str:
        """The first pooled outcome: what an analysis pools unless told otherwise."""
        return self.pooled_outcomes[0]

    @property
    def contrasts(self) -> tuple[str, ...]:
        """Controlled contrast names, in the comparators' order (the order of preference)."""
        return tuple(f"{self.intervention.id}_vs_{c.id}" for c in self.comparators)

    @property
    def all_contrasts(self) -> tuple[str, ...]:
        return self.contrasts + UNCONTROLLED_CONTRASTS

    @property
    def comparator_types(self) -> tuple[str, ...]:
        """The values a study's ``comparator:`` may take (``none``: no comparator)."""
        return tuple(t for c in self.comparators for t in c.study_types) + (NO_COMPARATOR,)

    @property
    def comparator_arms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.lower() for c in self.comparators for a in c.arms))

    @property
    def intervention_arms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.lower() for a in self.intervention.arms))

    @property
    def last_year(self) -> int:
        last = self.year_range[1]
        return last if last is not None else _dt.date.today().year + 1

    def favours(self, outcome_id: str, controlled: bool) -> tuple[str, str]:
        """Labels under a forest plot's axis, left then right.

        Continuous effects are aligned so that a negative value is an improvement; a binary
        outcome where more events is better (responders) favours the intervention on the right.
        Uncontrolled (pre-post) effects show improvement and worsening.
        """
        if not controlled:
            return ("Improvement", "Worsening")
        mine, theirs = f"Favours {self.intervention.label}", f"Favours {self.comparators[0].label}"
        o = self.outcome(outcome_id)
        if o is not None and o.kind == "binary" and not o.lower_is_better:
            return (theirs, mine)
        return (mine, theirs)

    def title(self, outcome_id: str) -> str:
        """``<intervention name>: <outcome name>``, a forest plot's title."""
        o = self.outcome(outcome_id)
        return f"{self.intervention.name}: {o.name if o is not None else outcome_id.replace('_', ' ')}"

    def moderator(self, moderator_id: str) -> Moderator | None:
        return next((m for m in self.moderators if m.id == moderator_id), None)


# ---------------------------------------------------------------------------------------------
# records against their protocol
# ---------------------------------------------------------------------------------------------


def _choices(values) -> str:
    return ", ".join(values)


def study_problems(protocol: Protocol, study: Any, node: Any, name: str) -> list[Problem]:
    """What in one valid study record its review's protocol does not know."""
    out: list[Problem] = []

    def add(loc: tuple, field: str, message: str) -> None:
        out.append(Problem(name, line_of(node, loc), study.id, field, message))

    year = study.citation.year
    first, last = protocol.year_range[0], protocol.last_year
    if year is not None and not first <= year <= last:
        add(("citation", "year"), "citation.year",
            f"year {year} is outside the review's year range {first}..{last} (review.protocol.year_range)")
    if study.comparator not in protocol.comparator_types:
        add(("comparator",), "comparator", f"comparator {study.comparator!r} is not one of the protocol's: "
            f"{_choices(protocol.comparator_types)}")
    known = {o.id for o in protocol.outcomes}
    for i, o in enumerate(study.outcomes):
        if o.outcome not in known:
            add(("outcomes", i, "outcome"), f"outcomes[{i}].outcome",
                f"outcome {o.outcome!r} is not an outcome of this review's protocol; expected one of: "
                f"{_choices(p.id for p in protocol.outcomes)}")
        if o.contrast not in protocol.all_contrasts:
            add(("outcomes", i, "contrast"), f"outcomes[{i}].contrast",
                f"contrast {o.contrast!r} is not one of the protocol's: {_choices(protocol.all_contrasts)}")
    _moderator_problems(protocol, study, add)
    return out


def _moderator_problems(protocol: Protocol, study: Any, add) -> None:
    for key, value in (study.moderators or {}).items():
        m = protocol.moderator(key)
        loc, field = ("moderators", key), f"moderators.{key}"
        if m is None:
            known = [x.id for x in protocol.moderators]
            add(loc, field, f"moderator {key!r} is not declared in the protocol"
                + (f"; declared: {_choices(known)}" if known else " (review.protocol.moderators is empty)"))
        elif m.kind == "numeric" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            add(loc, field, f"moderator {key!r} is numeric; got {value!r}")
        elif m.kind == "categorical" and value not in m.levels:
            add(loc, field, f"{value!r} is not a level of {key!r}; levels: {_choices(m.levels)}")


def protocol_problems(protocol: Protocol, name: str, nodes: list, studies: list) -> list[Problem]:
    """Every problem of valid study records against their review's protocol (file:line: study: field).

    ``nodes`` are the records' YAML nodes (for line numbers), ``studies`` the validated records
    (None for a record that failed validation: it is skipped).
    """
    out: list[Problem] = []
    for node, study in zip(nodes, studies):
        if study is not None:
            out += study_problems(protocol, study, node, name)
    return out
