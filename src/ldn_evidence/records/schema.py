"""The schema of a studies file: pydantic models of the review and of one study record.

The schema follows what a reviewer extracts (Cochrane Handbook chapter 5, "Collecting data"):
bibliographic identity, design, population, intervention, comparator, line of therapy, risk of
bias, and outcome data in whatever form a paper reports it. Every outcome number sits in a *data
block* that names its ``source`` (DOI, PMID or URL plus where: abstract, Table 2, figure read-off,
registry results) and, when it was computed rather than read, its ``derivation``. Numbers from
secondary sources (news reports, conference abstracts) say so in ``source_kind``.

pydantic (v2) gives strict types and a JSON Schema for editors; :mod:`.validate` maps its errors
back to the file's lines.

Numbers that would validate as types but distort a pooled result are refused here, each naming
its field: NaN and infinities anywhere (``allow_inf_nan=False``), a ``ci_level`` that is a
fraction (a level is a percent, 95, as everywhere in the package), ``n: 0`` on an arm or block
that has data, an arm or block ``n`` above the study's ``n_randomized`` (or ``n_enrolled``),
events that contradict a stated percentage, search dates in the future, and correlations at or
beyond -1 or 1.

Examples
--------
>>> from ldn_evidence.records.schema import Scale
>>> Scale(min=0, max=10, lower_is_better=True).max
10.0
"""
from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..vocabulary import (
    DESIGNS,
    ESCALC_MEASURES,
    RANDOMIZED_DESIGNS,
    ROB2_DOMAINS,
    ROB2_JUDGEMENTS,
    ROB_TOOLS,
    ROBINS_I_DOMAINS,
    ROBINS_I_JUDGEMENTS,
    check_level,
)
from .grade import GradeOverrides
from .protocol import Protocol, Slug
from .published import PublishedAnalysis

__all__ = [
    "StudyRecord", "ReviewInfo", "Citation", "Registration", "Population", "Intervention", "RiskOfBias",
    "Judgement", "Scale", "Outcome", "ArmValue", "ArmMedian", "ArmPercent", "ArmEvents", "ArmMeans",
    "ChangeScores", "PrePost", "MeanDifference", "Medians", "MedianDifference", "PercentChange", "PValue",
    "StandardizedEffect", "Events", "ReportedEffect", "Text", "DataBlock", "DATA_FORMS", "Search", "Prisma",
    "ExcludedStudy", "OngoingTrial", "study_json_schema", "studies_file_json_schema", "record_file_json_schema",
    "StudiesFile", "LocatedError", "EVENTS_PERCENT_TOLERANCE",
]


def _to_str(value: Any) -> Any:
    """Accept ``volume: 10`` as well as ``volume: "10"``: identifiers, not numbers."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


IdStr = Annotated[str, BeforeValidator(_to_str, json_schema_input_type=Union[str, int, float])]
NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
SourceStr = Annotated[str, Field(min_length=8, description="DOI, PMID or URL, plus where in it")]
#: a correlation that can be used: strictly between -1 and 1 (at +-1 a variance of change is 0)
Correlation = Annotated[float, Field(gt=-1, lt=1)]
#: percentage points by which events/n may differ from a stated percent (rounding, truncation)
EVENTS_PERCENT_TOLERANCE = 1.0


def _ci_level(value: float) -> float:
    return check_level(value, "ci_level")


#: a confidence level in percent (95), never a fraction (0.95): the package's one convention
CiLevel = Annotated[float, AfterValidator(_ci_level),
                    Field(gt=1, lt=100, description="confidence level in percent, e.g. 95 (not 0.95)")]


class LocatedError(ValueError):
    """A validator's error about a field below the model that raised it: ``loc`` is the path
    from that model (``("outcomes", 0, "data", 1, "arms", 0, "n")``), which :mod:`.validate`
    appends to pydantic's location to name the field and its line."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = tuple(loc)


def _no_data_without_people(n: int | None, given: dict, what: str = "n") -> None:
    """``n: 0`` next to numbers: a mean, SD or count of nobody (a typo for the real n)."""
    if n == 0:
        present = [k for k, v in given.items() if v is not None]
        if present:
            raise ValueError(f"{what} is 0 but {', '.join(present)} {'is' if len(present) == 1 else 'are'} given: "
                             f"data need at least one participant (give the real {what}, or leave it out)")


def _not_in_future(value: _dt.date | None, what: str) -> _dt.date | None:
    # one day of grace: a search dated by a reviewer in a time zone ahead of this machine
    if value is not None and value > _dt.date.today() + _dt.timedelta(days=1):
        raise ValueError(f"{what} {value.isoformat()} is in the future (today is {_dt.date.today().isoformat()})")
    return value


class _Model(BaseModel):
    """Strict base: unknown keys are errors (typos), no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=False, allow_inf_nan=False)


class Citation(_Model):
    authors: list[str] = Field(default_factory=list,
                               description="'Surname Initials', in order; 'et al.' allowed last")
    short_label: str | None = Field(None, description="label for plots when authors are unknown or ambiguous")
    year: int | None = Field(None, description="year of the version of record (epub year noted in notes "
                             "if different); leave out only when unknown, and say so in the study's missing list")
    title: str = Field(min_length=3)
    journal: str | None = None
    volume: IdStr | None = None
    issue: IdStr | None = None
    pages: IdStr | None = None
    publication_type: Literal[
        "journal_article", "conference_abstract", "case_report", "letter", "preprint", "thesis",
        "registry_results",
    ] = "journal_article"

    @model_validator(mode="after")
    def _named(self) -> "Citation":
        if not self.authors and not self.short_label:
            raise ValueError("give authors, or a short_label when the authors are not known")
        if self.year is None and not self.short_label:
            raise ValueError("without a year, give a short_label for plots")
        return self

    @field_validator("year")
    @classmethod
    def _plausible_year(cls, v: int | None) -> int | None:
        # the review's own range (review.protocol.year_range) is checked with the file
        if v is None:
            return v
        last = _dt.date.today().year + 1
        if not 1 <= v <= last:
            raise ValueError(f"year {v} is not plausible (expected a year up to {last})")
        return v


class Registration(_Model):
    nct: Annotated[str, Field(pattern=r"^NCT\d{8}$")] | None = None
    eudract: Annotated[str, Field(pattern=r"^\d{4}-\d{6}-\d{2}$")] | None = None
    actrn: Annotated[str, Field(pattern=r"^ACTRN\d{14}$")] | None = None
    other: list[str] = Field(default_factory=list)
    source: str | None = Field(None, description="where the registration number was seen")
    note: str | None = None


class Population(_Model):
    n_screened: NonNegInt | None = None
    n_enrolled: NonNegInt | None = None
    n_randomized: NonNegInt | None = None
    n_analysed: NonNegInt | None = None
    n_fibromyalgia: NonNegInt | None = Field(None, description="for mixed cohorts: how many had the review's "
                                            "condition (the field keeps its 0.2 name until the records are migrated)")
    sex: Literal["female", "male", "mixed", "not_reported"] = "not_reported"
    n_female: NonNegInt | None = None
    age_mean: NonNegFloat | None = None
    age_sd: NonNegFloat | None = None
    age_min: NonNegFloat | None = None
    age_max: NonNegFloat | None = None
    disease_duration_years: NonNegFloat | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> "Population":
        if self.n_analysed is not None:
            for other in ("n_randomized", "n_enrolled"):
                bound = getattr(self, other)
                if bound is not None and self.n_analysed > bound:
                    raise ValueError(f"n_analysed ({self.n_analysed}) exceeds {other} ({bound})")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_min ({self.age_min}) exceeds age_max ({self.age_max})")
        _require_source(self, ("n_screened", "n_enrolled", "n_randomized", "n_analysed", "n_fibromyalgia",
                               "n_female", "age_mean", "age_sd", "age_min", "age_max",
                               "disease_duration_years"))
        return self


class Intervention(_Model):
    drug: str | None = Field(None, description="the intervention as given (the protocol names the review's)")
    dose_mg_per_day: NonNegFloat | None = Field(None, description="target or fixed daily dose")
    dose_range_mg: list[NonNegFloat] | None = Field(None, min_length=2, max_length=2)
    titration: str | None = None
    duration_weeks: NonNegFloat | None = None
    timing: str | None = Field(None, description="e.g. at bedtime")
    formulation: str | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> "Intervention":
        if self.dose_range_mg is not None and self.dose_range_mg[0] > self.dose_range_mg[1]:
            raise ValueError("dose_range_mg must be [low, high]")
        _require_source(self, ("dose_mg_per_day", "dose_range_mg", "duration_weeks"))
        return self


def _require_source(model: BaseModel, numeric_fields: tuple[str, ...]) -> None:
    if getattr(model, "source", None):
        return
    given = [f for f in numeric_fields if getattr(model, f) is not None]
    if given:
        raise ValueError(f"numbers without a source: {', '.join(given)} (add 'source:')")


RobJudgementRoB2 = Literal[ROB2_JUDGEMENTS]  # type: ignore[valid-type]
RobJudgementRobins = Literal[ROBINS_I_JUDGEMENTS]  # type: ignore[valid-type]


class Judgement(_Model):
    judgement: str
    support: str = Field(min_length=3, description="one line: why")


class RiskOfBias(_Model):
    tool: Literal[ROB_TOOLS]  # type: ignore[valid-type]
    overall: Judgement | None = None
    domains: dict[str, Judgement] = Field(default_factory=dict)
    outcome: str | None = Field(None, description="the outcome assessed, if specific")
    note: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> "RiskOfBias":
        if self.tool == "not_assessed":
            return self
        names = ROB2_DOMAINS if self.tool == "RoB 2" else ROBINS_I_DOMAINS
        allowed = ROB2_JUDGEMENTS if self.tool == "RoB 2" else ROBINS_I_JUDGEMENTS
        unknown = [d for d in self.domains if d not in names]
        if unknown:
            raise ValueError(f"unknown {self.tool} domain(s) {unknown}; expected {list(names)}")
        for name, j in list(self.domains.items()) + ([("overall", self.overall)] if self.overall else []):
            if j.judgement not in allowed:
                raise ValueError(f"{name}: judgement {j.judgement!r} is not a {self.tool} judgement {list(allowed)}")
        return self


class Scale(_Model):
    min: float
    max: float
    lower_is_better: bool
    note: str | None = None

    @model_validator(mode="after")
    def _order(self) -> "Scale":
        if not self.min < self.max:
            raise ValueError(f"scale min ({self.min}) must be below max ({self.max})")
        return self


class _Block(_Model):
    """Fields shared by every data block: where the numbers come from."""

    source: SourceStr
    source_kind: Literal["primary", "registry", "conference_abstract", "secondary"] = "primary"
    derivation: str | None = Field(None, description="how a number not read directly was computed")
    p_value: Probability | None = None
    p_value_qualifier: Literal["=", "<", ">", "<=", ">="] = "="
    p_value_df: Annotated[int, Field(ge=1)] | None = Field(
        None, description="error degrees of freedom of the test behind p_value, as reported (e.g. 101 for "
        "F(1,101)); when they are not n - 1 the p-value is not a paired t-test on the n participants and no "
        "effect is back-calculated from it")
    note: str | None = None

    @model_validator(mode="after")
    def _df_needs_p(self) -> "_Block":
        if self.p_value_df is not None and self.p_value is None:
            raise ValueError("p_value_df is given without the p_value it belongs to")
        return self


class ArmValue(_Model):
    arm: str = Field(description="an arm name of the review's protocol (its intervention's or a comparator's), "
                     "or a period/timepoint label")
    mean: float | None = None
    sd: NonNegFloat | None = None
    se: NonNegFloat | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: CiLevel = 95.0
    n: NonNegInt | None = None

    @model_validator(mode="after")
    def _ci(self) -> "ArmValue":
        _check_ci(self.mean, self.ci_low, self.ci_high)
        _no_data_without_people(self.n, {"mean": self.mean, "sd": self.sd, "se": self.se, "ci_low": self.ci_low})
        return self


class ArmMedian(_Model):
    arm: str
    median: float
    q1: float | None = None
    q3: float | None = None
    min: float | None = None
    max: float | None = None
    n: NonNegInt | None = None

    @model_validator(mode="after")
    def _order(self) -> "ArmMedian":
        seq = [v for v in (self.min, self.q1, self.median, self.q3, self.max) if v is not None]
        if seq != sorted(seq):
            raise ValueError("expected min <= q1 <= median <= q3 <= max")
        _no_data_without_people(self.n, {"median": self.median})
        return self


class ArmPercent(_Model):
    arm: str
    percent: float = Field(description="percent change (negative = reduction) or percent of participants")
    n: NonNegInt | None = None

    @model_validator(mode="after")
    def _people(self) -> "ArmPercent":
        _no_data_without_people(self.n, {"percent": self.percent})
        return self


class ArmEvents(_Model):
    arm: str
    events: NonNegInt | None = None
    n: NonNegInt | None = None
    percent: Annotated[float, Field(ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _checks(self) -> "ArmEvents":
        if self.events is None and self.percent is None:
            raise ValueError("give events (with n) or percent")
        if self.events is not None and self.n is not None and self.events > self.n:
            raise ValueError(f"events ({self.events}) exceed n ({self.n})")
        _no_data_without_people(self.n, {"events": self.events, "percent": self.percent})
        if self.events is not None and self.n and self.percent is not None:
            implied = 100 * self.events / self.n
            if abs(implied - self.percent) >= EVENTS_PERCENT_TOLERANCE:
                raise ValueError(f"events {self.events} of n {self.n} is {implied:.1f}%, but percent is "
                                 f"{self.percent:g} (more than rounding can explain); correct one of them")
        return self


#: Is the sign of a reported difference known? ``stated``: the source says which way it goes;
#: ``inferred``: read from the wording or context (used, and said so); ``unknown``: magnitude only
#: (the direction is then taken from other numbers of the same outcome, or the block is unusable).
Direction = Literal["stated", "inferred", "unknown"]


def _check_ci(estimate: float | None, low: float | None, high: float | None) -> None:
    if (low is None) != (high is None):
        raise ValueError("give both ci_low and ci_high")
    if low is None:
        return
    if low > high:
        raise ValueError(f"ci_low ({low}) is above ci_high ({high})")
    if estimate is not None and not low <= estimate <= high:
        raise ValueError(f"the CI [{low}, {high}] does not contain its estimate {estimate}")


class ArmMeans(_Block):
    """Per-arm (or per-condition, in a crossover) values at the timepoint."""

    form: Literal["arm_means"]
    arms: list[ArmValue] = Field(min_length=1)


class ChangeScores(_Block):
    """Per-arm change from baseline."""

    form: Literal["change_scores"]
    arms: list[ArmValue] = Field(min_length=1)


class PrePost(_Block):
    """One group measured before and after (open-label, case series)."""

    form: Literal["pre_post"]
    n: NonNegInt | None = None
    baseline_mean: float | None = None
    baseline_sd: NonNegFloat | None = None
    followup_mean: float | None = None
    followup_sd: NonNegFloat | None = None
    change_mean: float | None = None
    change_sd: NonNegFloat | None = None
    r: Correlation | None = Field(None, description="reported pre-post correlation, strictly between -1 and 1")

    @model_validator(mode="after")
    def _people(self) -> "PrePost":
        _no_data_without_people(self.n, {k: getattr(self, k) for k in (
            "baseline_mean", "baseline_sd", "followup_mean", "followup_sd", "change_mean", "change_sd")})
        return self


class MeanDifference(_Block):
    """A reported difference between arms/conditions (or a paired difference in a crossover)."""

    form: Literal["mean_difference"]
    estimate: float
    se: NonNegFloat | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: CiLevel = 95.0
    n_total: NonNegInt | None = None
    paired: bool = Field(False, description="a within-person (crossover) difference")
    adjusted: bool = False
    sign_convention: str = Field("intervention minus comparator", description="what a negative value means")
    direction: Direction = "stated"

    @model_validator(mode="after")
    def _ci(self) -> "MeanDifference":
        _check_ci(self.estimate, self.ci_low, self.ci_high)
        _no_data_without_people(self.n_total, {"estimate": self.estimate}, "n_total")
        return self


class Medians(_Block):
    form: Literal["medians"]
    arms: list[ArmMedian] = Field(min_length=1)


class MedianDifference(_Block):
    form: Literal["median_difference"]
    estimate: float
    iqr: NonNegFloat | None = Field(None, description="width of the interquartile range, as reported")
    q1: float | None = None
    q3: float | None = None
    n_total: NonNegInt | None = None
    sign_convention: str = "intervention minus comparator"
    direction: Direction = "stated"

    @model_validator(mode="after")
    def _people(self) -> "MedianDifference":
        _no_data_without_people(self.n_total, {"estimate": self.estimate}, "n_total")
        return self


class PercentChange(_Block):
    """Percent change from baseline per arm; poolable only with a baseline mean and SD."""

    form: Literal["percent_change"]
    arms: list[ArmPercent] = Field(min_length=1)


class PValue(_Block):
    form: Literal["p_value"]
    p_value: Probability
    test: str | None = None
    n_total: NonNegInt | None = None
    comparison: str | None = None

    @model_validator(mode="after")
    def _people(self) -> "PValue":
        _no_data_without_people(self.n_total, {"p_value": self.p_value}, "n_total")
        return self


class StandardizedEffect(_Block):
    form: Literal["standardized_effect"]
    type: Literal["cohen_d", "hedges_g", "d_z", "d_unspecified", "r", "effect_size_unspecified"]
    value: float
    se: NonNegFloat | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_total: NonNegInt | None = None
    sign_convention: str = Field(
        "as reported", description="e.g. 'positive favours the intervention', or 'magnitude only (sign not "
        "reported)'"
    )
    direction: Direction = "stated"

    @model_validator(mode="after")
    def _ci(self) -> "StandardizedEffect":
        _check_ci(self.value, self.ci_low, self.ci_high)
        _no_data_without_people(self.n_total, {"value": self.value}, "n_total")
        return self


class Events(_Block):
    """Counts (or percentages) of participants with an event: responders, adverse events, dropouts."""

    form: Literal["events"]
    arms: list[ArmEvents] = Field(min_length=1)


class ReportedEffect(_Block):
    """An effect reported (or computed elsewhere) with its sampling variance, on one measure's scale.

    As metafor's ``yi``/``vi``: ratio measures (RR, OR) on the log scale; the sign is the
    intervention minus (or over) the comparator. Used as it is when an analysis asks for that
    measure (``ldn-evidence import`` writes these from a sheet's ``yi vi`` or ``yi sei``).
    """

    form: Literal["effect"]
    measure: Literal[ESCALC_MEASURES]  # type: ignore[valid-type]
    yi: float
    vi: Annotated[float, Field(gt=0)] | None = None
    sei: Annotated[float, Field(gt=0)] | None = None
    n_total: NonNegInt | None = None

    @model_validator(mode="after")
    def _variance(self) -> "ReportedEffect":
        if (self.vi is None) == (self.sei is None):
            raise ValueError("give the sampling variance vi or the standard error sei (one of them)")
        return self

    @property
    def variance(self) -> float:
        return self.vi if self.vi is not None else self.sei ** 2


class Text(_Block):
    """A reported result without usable numbers (e.g. 'improved', 'no change')."""

    form: Literal["text"]
    result: str = Field(min_length=3)


DataBlock = Annotated[
    Union[ArmMeans, ChangeScores, PrePost, MeanDifference, Medians, MedianDifference, PercentChange,
          PValue, StandardizedEffect, Events, ReportedEffect, Text],
    Field(discriminator="form"),
]

class Outcome(_Model):
    outcome: Slug = Field(description="an outcome id of the review's protocol")
    name: str | None = Field(None, description="specific name, e.g. 'vivid dreams' or 'IL-6'")
    instrument: str | None = None
    scale: Scale | None = None
    timepoint: str = Field(min_length=1, description="e.g. 'week 12', 'end of the active phase'")
    timepoint_weeks: NonNegFloat | None = None
    contrast: Slug = Field(description="<intervention id>_vs_<comparator id> of the protocol, or pre_post, "
                           "single_group, dose_response")
    primary: bool = False
    analysis_population: str | None = Field(None, description="ITT, per protocol, completers ...")
    data: list[DataBlock] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _in_scale(self) -> "Outcome":
        if self.scale is None:
            return self
        lo, hi, width = self.scale.min, self.scale.max, self.scale.max - self.scale.min
        for i, block in enumerate(self.data):
            levels: list[tuple[str, float | None]] = []
            changes: list[tuple[str, float | None]] = []
            if isinstance(block, ArmMeans):
                levels += [(f"data[{i}].arms.mean", a.mean) for a in block.arms]
            elif isinstance(block, Medians):
                levels += [(f"data[{i}].arms.median", a.median) for a in block.arms]
            elif isinstance(block, PrePost):
                levels += [(f"data[{i}].baseline_mean", block.baseline_mean),
                           (f"data[{i}].followup_mean", block.followup_mean)]
                changes += [(f"data[{i}].change_mean", block.change_mean)]
            elif isinstance(block, ChangeScores):
                changes += [(f"data[{i}].arms.mean", a.mean) for a in block.arms]
            elif isinstance(block, (MeanDifference, MedianDifference)):
                changes += [(f"data[{i}].estimate", block.estimate)]
            for where, v in levels:
                if v is not None and not lo <= v <= hi:
                    raise ValueError(f"{where} = {v} is outside the scale [{lo:g}, {hi:g}]")
            for where, v in changes:
                if v is not None and abs(v) > width:
                    raise ValueError(f"{where} = {v} is larger than the scale's range ({width:g})")
        return self


def _arms_within_population(study: "StudyRecord") -> None:
    """No arm or block counts more participants than the study randomized (or enrolled)."""
    pop = study.population
    bound, bound_name = ((pop.n_randomized, "n_randomized") if pop.n_randomized is not None
                         else (pop.n_enrolled, "n_enrolled"))
    if bound is None:
        return
    for i, outcome in enumerate(study.outcomes):
        for j, block in enumerate(outcome.data):
            where = ("outcomes", i, "data", j)
            counts = [(("arms", a, "n"), arm.n) for a, arm in enumerate(getattr(block, "arms", ()))]
            counts += [((f,), getattr(block, f)) for f in ("n", "n_total") if hasattr(block, f)]
            for loc, n in counts:
                if n is not None and n > bound:
                    raise LocatedError(where + loc, f"n = {n} is more than population.{bound_name} ({bound}) "
                                                    "of this study")


class StudyRecord(_Model):
    """One study (one or more reports of the same participants)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="e.g. younger2013")]
    citation: Citation
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    pmid: Annotated[int, Field(ge=1, le=99_999_999)] | None = None
    pmcid: Annotated[str, Field(pattern=r"^PMC\d+$")] | None = None
    no_identifier_reason: str | None = Field(None, description="required when there is no DOI and no PMID")
    other_reports: list[str] = Field(default_factory=list, description="other publications of this study")
    registration: Registration | None = None
    country: str | None = None
    setting: str | None = None
    design: Literal[DESIGNS]  # type: ignore[valid-type]
    randomized: bool
    blinding: Literal["open", "single", "double", "triple", "unclear", "not_applicable"]
    diagnostic_criteria: Literal[
        "ACR 1990", "ACR 2010", "ACR 2011", "ACR 2016", "ACR (version not stated)", "other", "not_reported"
    ] = "not_reported"
    population: Population
    intervention: Intervention
    comparator: Slug = Field(description="a comparator type of the protocol, or none")
    line_of_therapy: Literal["first_line", "add_on", "refractory", "mixed", "unknown"] = "unknown"
    line_of_therapy_support: str | None = None
    concomitant_treatment: str | None = None
    risk_of_bias: RiskOfBias | None = None
    tags: list[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    exclude_from_pooling: str | None = Field(None, description="reason, when the study is kept but not pooled")
    within_person_r: Correlation | None = Field(
        None, description="this study's within-person correlation (crossover/pre-post), strictly between -1 "
                          "and 1, overriding the review's")
    within_person_r_support: str | None = Field(None, description="where this study's r comes from")
    moderators: dict[Slug, Union[float, str]] = Field(
        default_factory=dict, description="study-level variables the protocol declares (subgroups, meta-regression)")
    moderators_source: str | None = Field(None, description="where the moderators' values come from")
    notes: str | None = None
    missing: list[str] = Field(default_factory=list, description="what the sources do not give")

    @model_validator(mode="after")
    def _checks(self) -> "StudyRecord":
        if self.moderators and not self.moderators_source:
            raise ValueError("moderators without a source (add 'moderators_source:')")
        if self.doi is None and self.pmid is None and not self.no_identifier_reason:
            raise ValueError("a study needs a doi or a pmid, or no_identifier_reason")
        if self.citation.year is None and not any("year" in m for m in self.missing):
            raise ValueError("citation.year is not given: name the publication year in 'missing'")
        if self.design in RANDOMIZED_DESIGNS and not self.randomized:
            raise ValueError(f"design {self.design} but randomized is false")
        if self.design not in RANDOMIZED_DESIGNS and self.randomized:
            raise ValueError(f"design {self.design} but randomized is true")
        _arms_within_population(self)
        return self

    @property
    def label(self) -> str:
        """'Author Year' as a forest plot shows it."""
        if self.citation.short_label:
            return self.citation.short_label
        first = self.citation.authors[0].split()[0]
        return f"{first} {self.citation.year}"


class Search(_Model):
    database: str
    date: _dt.date = Field(description="YYYY-MM-DD, not in the future")
    query: str | None = None
    hits: NonNegInt | None = None
    note: str | None = None

    @field_validator("date")
    @classmethod
    def _past(cls, v: _dt.date) -> _dt.date:
        return _not_in_future(v, "search date")


class Prisma(_Model):
    """PRISMA 2020 flow counts."""

    identified_databases: NonNegInt | None = None
    identified_registers: NonNegInt | None = None
    identified_other: NonNegInt | None = None
    duplicates_removed: NonNegInt | None = None
    screened: NonNegInt | None = None
    excluded_screening: NonNegInt | None = None
    full_text_assessed: NonNegInt | None = None
    excluded_full_text: dict[str, NonNegInt] = Field(default_factory=dict)
    included_studies: NonNegInt | None = None
    included_reports: NonNegInt | None = None
    note: str | None = None


class ExcludedStudy(_Model):
    """A report screened in full (or on its full record) and excluded, with the reason
    (Cochrane Handbook 4.6.4, 'Characteristics of excluded studies')."""

    citation: str = Field(min_length=8)
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    pmid: Annotated[int, Field(ge=1, le=99_999_999)] | None = None
    reason: str = Field(min_length=8)
    source: str = Field(min_length=8, description="where the report was read")


class OngoingTrial(_Model):
    registration: str
    title: str
    status: str | None = None
    source: str
    note: str | None = None


class ReviewInfo(_Model):
    title: str
    question: str
    version: IdStr
    last_search: _dt.date | None = None
    within_person_r: Correlation = Field(
        0.5, description="default correlation for crossover and pre-post effects, strictly between -1 and 1")
    searches: list[Search] = Field(default_factory=list)
    prisma: Prisma | None = None
    excluded: list[ExcludedStudy] = Field(default_factory=list)
    ongoing: list[OngoingTrial] = Field(default_factory=list)
    grade: GradeOverrides = Field(default_factory=dict, description="reviewers' GRADE judgements per outcome")
    protocol: Protocol | None = Field(None, description="the review's question, outcomes, arms and labels "
                                      "(records/protocol.py); without it, the bundled review's")
    published_analyses: list[PublishedAnalysis] = Field(
        default_factory=list, description="published meta-analyses and reviews of the question, to reconcile "
        "with this one (records/published.py)")
    note: str | None = None

    @field_validator("last_search")
    @classmethod
    def _past(cls, v: _dt.date | None) -> _dt.date | None:
        return _not_in_future(v, "last_search")


class StudiesFile(_Model):
    """A whole studies file: ``review`` and ``studies`` (file-level checks such as unique ids are
    made by :mod:`.validate`, not by this model)."""

    review: ReviewInfo
    studies: list[StudyRecord]


_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def study_json_schema(protocol: Protocol | None = None) -> dict:
    """JSON Schema (draft 2020-12) of one study record, for editors.

    With a review's ``protocol``, the outcome ids, contrasts and comparators it allows are
    listed as the fields' ``enum`` (what an editor completes while typing).

    >>> study_json_schema()["title"]
    'ldn-evidence study record'
    """
    schema = StudyRecord.model_json_schema()
    schema["$schema"] = _DRAFT
    schema["title"] = "ldn-evidence study record"
    return _with_protocol(schema, protocol)


def _with_protocol(schema: dict, protocol: Protocol | None) -> dict:
    """A schema whose outcome, contrast and comparator fields list the protocol's choices."""
    if protocol is None:
        return schema
    defs = schema.get("$defs", {})
    outcome = defs.get("Outcome", {}).get("properties", {})
    for key, values in (("outcome", [o.id for o in protocol.outcomes]), ("contrast", protocol.all_contrasts)):
        if key in outcome:
            outcome[key]["enum"] = list(values)
    for props in (schema.get("properties", {}), defs.get("StudyRecord", {}).get("properties", {})):
        if "comparator" in props and props.get("comparator", {}).get("type") == "string":
            props["comparator"]["enum"] = list(protocol.comparator_types)
    return schema


def studies_file_json_schema(protocol: Protocol | None = None) -> dict:
    """JSON Schema (draft 2020-12) of a whole studies file (``review`` and ``studies``).

    It checks types, names, ranges and patterns; what a schema cannot say (unique ids, a CI
    containing its estimate, sources for numbers ...) ``ldn-evidence validate`` checks.

    >>> sorted(studies_file_json_schema()["properties"])
    ['review', 'studies']
    """
    schema = StudiesFile.model_json_schema()
    schema["$schema"] = _DRAFT
    schema["title"] = "ldn-evidence studies file"
    return _with_protocol(schema, protocol)


def record_file_json_schema(protocol: Protocol | None = None) -> dict:
    """JSON Schema (draft 2020-12) of a file for ``ldn-evidence add``: one study record or a
    non-empty list of them.

    >>> len(record_file_json_schema()["anyOf"])
    2
    """
    from pydantic import TypeAdapter

    schema = TypeAdapter(Union[StudyRecord, Annotated[list[StudyRecord], Field(min_length=1)]]).json_schema()
    schema["$schema"] = _DRAFT
    schema["title"] = "ldn-evidence record file (one study record or a list of them)"
    return _with_protocol(schema, protocol)


#: the ``form`` of every data block, in the order they are documented
DATA_FORMS = ("arm_means", "change_scores", "pre_post", "mean_difference", "medians", "median_difference",
              "percent_change", "p_value", "standardized_effect", "events", "effect", "text")
