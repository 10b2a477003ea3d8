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

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..errors import Problem
from ..vocabulary import (
    BINARY_MEASURES,
    CONTINUOUS_MEASURES,
    EMPIRICAL_PRIOR_MEASURES,
    MEASURES,
    NO_COMPARATOR,
    RHODES_AREAS,
    RHODES_OUTCOME_TYPES,
    SCALED_TAU_PRIORS,
    TAU_PRIOR_FAMILIES,
    TURNER_OUTCOME_TYPES,
    OUTCOME_KINDS,
    SUBGROUP_FIELDS,
    UNCONTROLLED_CONTRASTS,
    comparison_types,
    match_choice,
    normalize_method,
    normalize_test,
)
from .yaml import line_of

__all__ = ["Protocol", "AnalysisDefaults", "BayesPrior", "MuPrior", "DEFAULT_PRIOR_REASON", "ProtocolIntervention", "ProtocolComparator", "ProtocolOutcome",
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


class MuPrior(_Model):
    """A normal prior for the mean effect mu, on the analysis scale (log scale for ratios)."""

    mean: float
    sd: float = Field(gt=0)


class BayesPrior(_Model):
    """A default prior of the Bayesian random-effects model (``model="bayes"``): the family of the
    prior for the between-study SD tau with its parameters, the prior for mu (null: flat), the
    measures whose scale it is on, and why it was chosen.

    ``tau``: ``halfnormal``, ``halfcauchy``, ``halft`` (``df``, default 3), ``lognormal`` (``scale``
    is the prior median of tau; ``sdlog``, default 1) with a ``scale``; ``uniform`` (``scale`` the
    upper bound; none: the improper uniform prior); or the empirical ``turner`` (log odds ratios;
    Turner et al. 2015) and ``rhodes`` (SMDs; Rhodes et al. 2015) priors, with ``outcome_type``
    (null: the papers' general setting), ``comparison`` and (rhodes) ``area``.
    """

    tau: Literal[TAU_PRIOR_FAMILIES]  # type: ignore[valid-type]
    scale: float | None = Field(None, gt=0, description="the scale of the tau prior, on the measure's scale "
                                "(lognormal: the prior median; uniform: the upper bound)")
    df: float | None = Field(None, gt=0, description="halft: degrees of freedom (default 3)")
    sdlog: float | None = Field(None, gt=0, description="lognormal: sd of log tau (default 1)")
    outcome_type: str | None = Field(None, description="turner / rhodes: the paper's outcome type (null: general)")
    comparison: str | None = Field(None, description="turner / rhodes: '<type> vs <type>' (default: "
                                   "pharmacological vs placebo / control)")
    area: str | None = Field(None, description="rhodes: medical area, other (default), respiratory or cancer")
    mu: MuPrior | None = Field(None, description="normal prior for mu {mean, sd}; null: flat")
    measures: list[str] | None = Field(None, min_length=1, description="the measures whose scale the prior is on "
                                       "(default: SMD, RR and OR review-wide; an outcome's default measure, "
                                       "RR and OR for a ratio)")
    reason: str = Field(min_length=8, description="why this prior, with sources")

    @model_validator(mode="after")
    def _consistent(self) -> "BayesPrior":
        fam = self.tau
        if fam in SCALED_TAU_PRIORS and self.scale is None:
            raise ValueError(f"a {fam} prior for tau needs its scale (add 'scale:')")
        if fam in ("turner", "rhodes") and self.scale is not None:
            raise ValueError(f"the {fam} prior has no scale (its parameters come from the paper's table)")
        for name, only in (("df", ("halft",)), ("sdlog", ("lognormal",)), ("area", ("rhodes",)),
                           ("outcome_type", ("turner", "rhodes")), ("comparison", ("turner", "rhodes"))):
            if getattr(self, name) is not None and fam not in only:
                raise ValueError(f"'{name}' applies to the {' and '.join(only)} prior only, not {fam}")
        if fam == "turner" and self.outcome_type is not None:
            self.outcome_type = match_choice(self.outcome_type, TURNER_OUTCOME_TYPES, "Turner et al. (2015) outcome type")
        if fam == "rhodes" and self.outcome_type is not None:
            self.outcome_type = match_choice(self.outcome_type, RHODES_OUTCOME_TYPES, "Rhodes et al. (2015) outcome type")
        if self.area is not None:
            self.area = match_choice(self.area, RHODES_AREAS, "medical area")
        if self.comparison is not None:
            comparison_types(self.comparison)
        if self.measures is not None:
            self.measures = [str(m).upper() for m in self.measures]
            unknown = [m for m in self.measures if m not in MEASURES]
            if unknown:
                raise ValueError(f"unknown measure {unknown[0]!r}; expected some of {', '.join(MEASURES)}")
            allowed = EMPIRICAL_PRIOR_MEASURES.get(fam)
            if allowed is not None and not set(self.measures) <= set(allowed):
                raise ValueError(f"the {fam} prior was derived for {' and '.join(allowed)}, not "
                                 f"{', '.join(m for m in self.measures if m not in allowed)}")
        return self

    def applies_to(self, measure: str, default: tuple[str, ...]) -> bool:
        """Whether the prior is on ``measure``'s scale (``default``: its measures when not given)."""
        own = self.measures if self.measures is not None else EMPIRICAL_PRIOR_MEASURES.get(self.tau, default)
        return measure in own

    def describe(self) -> str:
        """E.g. ``half-normal(scale 0.5) for tau, flat mu``; ``Turner et al. 2015 (adverse events)``."""
        names = {"halfnormal": "half-normal", "halfcauchy": "half-Cauchy", "halft": "half-t",
                 "uniform": "uniform", "lognormal": "log-normal"}
        if self.tau in ("turner", "rhodes"):
            text = (f"{self.tau.capitalize()} et al. 2015 ({self.outcome_type or 'general setting'}"
                    f"{'; ' + self.comparison if self.comparison else ''})")
        elif self.tau == "uniform" and self.scale is None:
            text = "improper uniform(0, inf)"
        else:
            extra = "".join(f", {n} {getattr(self, n):g}" for n in ("df", "sdlog") if getattr(self, n) is not None)
            word = {"uniform": "upper", "lognormal": "median"}.get(self.tau, "scale")
            text = f"{names[self.tau]}({word} {self.scale:g}{extra})"
        mu = "flat mu" if self.mu is None else f"normal({self.mu.mean:g}, sd {self.mu.sd:g}) mu"
        return f"{text} for tau, {mu}"


#: the package's prior when a review's protocol names none: half-normal(0.5) for tau on the SMD
#: and log-ratio scales, flat for mu
DEFAULT_PRIOR_REASON = (
    "the package default for few studies: a half-normal prior with scale 0.5 for tau on the SMD and log "
    "ratio scales (median 0.34, P(tau > 1) = 4.6%), weakly informative as recommended when only a few studies "
    "are pooled (Friede et al. 2017, Biom J 59:658; Röver et al. 2021, Res Synth Methods 12:448); flat for mu")


def _default_prior() -> "BayesPrior":
    return BayesPrior(tau="halfnormal", scale=0.5, measures=["SMD", "RR", "OR"], reason=DEFAULT_PRIOR_REASON)


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
    prior: BayesPrior | None = Field(None, description="the Bayesian analysis's default prior for this outcome "
                                     "(default: analysis.prior)")
    note: str | None = None

    @model_validator(mode="after")
    def _measure(self) -> "ProtocolOutcome":
        allowed = BINARY_MEASURES if self.kind == "binary" else CONTINUOUS_MEASURES
        if self.default_measure is not None and self.default_measure not in allowed:
            raise ValueError(f"default_measure {self.default_measure!r} does not fit a {self.kind} outcome; "
                             f"expected one of {', '.join(allowed)}")
        return self

    @field_validator("prior")
    @classmethod
    def _prior_fits(cls, prior: "BayesPrior | None", info: ValidationInfo) -> "BayesPrior | None":
        kind = info.data.get("kind")
        if prior is None or kind is None:
            return prior
        allowed = BINARY_MEASURES if kind == "binary" else CONTINUOUS_MEASURES
        fits = prior.measures or EMPIRICAL_PRIOR_MEASURES.get(prior.tau, ())
        stray = [m for m in fits if m not in allowed]
        if stray:
            raise ValueError(f"{', '.join(stray)} is not a measure of a {kind} outcome "
                             f"({prior.tau} prior{'' if prior.measures else ', by its paper'})")
        return prior

    @property
    def prior_measures(self) -> tuple[str, ...]:
        """The measures an outcome-level prior without ``measures`` is on: the outcome's default
        measure (a ratio: RR and OR, both on the log scale)."""
        m = self.measure
        return ("RR", "OR") if m in ("RR", "OR") else (m,)

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
    prior: BayesPrior | None = Field(None, description="the Bayesian analysis's default prior for every outcome "
                                     "without its own (default: half-normal(0.5) for tau on the SMD and log "
                                     "ratio scales, flat mu)")

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

    def prior_for(self, outcome_id: str, measure: str) -> tuple[BayesPrior, str] | None:
        """The Bayesian analysis's default prior for an outcome and measure, and where it is set:
        the outcome's own ``prior`` when it is on that measure's scale, else ``analysis.prior``
        when it is, else for an SMD or a log ratio the package default (half-normal(0.5)); None
        when none is on the measure's scale (an MD or RD needs a prior in its own units).

        >>> from ldn_evidence.records import default_protocol
        >>> prior, where = default_protocol().prior_for("pain", "SMD")
        >>> prior.describe(), where
        ('half-normal(scale 0.5) for tau, flat mu', 'review.protocol.outcomes[pain].prior')
        """
        o = self.outcome(outcome_id)
        if o is not None and o.prior is not None and o.prior.applies_to(measure, o.prior_measures):
            return o.prior, f"review.protocol.outcomes[{outcome_id}].prior"
        review_wide = self.analysis.prior
        if review_wide is not None and review_wide.applies_to(measure, ("SMD", "RR", "OR")):
            return review_wide, "review.protocol.analysis.prior"
        if measure in ("SMD", "RR", "OR"):
            return _default_prior(), "the package default"
        return None


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
