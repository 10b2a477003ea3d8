"""Study records: the schema of ``studies.yaml`` and its loading, validation and saving.

This is the only module that reads or writes YAML. The schema follows what a reviewer extracts
(Cochrane Handbook chapter 5, "Collecting data"): bibliographic identity, design, population,
intervention, comparator, line of therapy, risk of bias, and outcome data in whatever form a paper
reports it. Every outcome number sits in a *data block* that names its ``source`` (DOI, PMID or URL
plus where: abstract, Table 2, figure read-off, registry results) and, when it was computed rather
than read, its ``derivation``. Numbers from secondary sources (news reports, conference abstracts)
say so in ``source_kind``.

Why our own loader around pydantic and ruamel.yaml: pydantic (v2) gives the schema, strict types
and a JSON Schema for editors; ruamel.yaml's round-trip mode keeps comments and key order and knows
the line of every node. What neither does is join the two: a pydantic error location
(``studies[3].outcomes[0].data[1].sd``) is mapped back here to the YAML line, the study id and the
field, and file-level checks (unique ids and DOIs, file size, encoding, tabs) are added.
Writes are atomic: a temporary file in the same folder, ``fsync``, then ``os.replace``.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from .errors import Problem, StudiesFileError  # defined apart so the CLI can catch them cheaply

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "Problem",
    "StudiesFileError",
    "StudyRecord",
    "ReviewInfo",
    "StudyCollection",
    "read_studies",
    "validate_studies",
    "save_studies",
    "study_json_schema",
    "default_studies_path",
    "MAX_FILE_BYTES",
]

#: Files larger than this are refused before parsing (a studies file is a few hundred kB).
MAX_FILE_BYTES = 5 * 1024 * 1024

# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def _to_str(value: Any) -> Any:
    """Accept ``volume: 10`` as well as ``volume: "10"``: identifiers, not numbers."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


IdStr = Annotated[str, BeforeValidator(_to_str)]
NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
SourceStr = Annotated[str, Field(min_length=8, description="DOI, PMID or URL, plus where in it")]


class _Model(BaseModel):
    """Strict base: unknown keys are errors (typos), no silent type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=False)


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
        if v is None:
            return v
        last = _dt.date.today().year + 1
        if not 1950 <= v <= last:
            raise ValueError(f"year {v} is not plausible (expected 1950..{last})")
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
    n_fibromyalgia: NonNegInt | None = Field(None, description="for mixed cohorts: how many had fibromyalgia")
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
    drug: str = "naltrexone"
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


RobJudgementRoB2 = Literal["low", "some_concerns", "high"]
RobJudgementRobins = Literal["low", "moderate", "serious", "critical", "no_information"]

ROB2_DOMAINS = ("randomization", "deviations", "missing_data", "measurement", "reported_result")
ROBINS_I_DOMAINS = ("confounding", "selection", "classification", "deviations", "missing_data",
                    "measurement", "reported_result")


class Judgement(_Model):
    judgement: str
    support: str = Field(min_length=3, description="one line: why")


class RiskOfBias(_Model):
    tool: Literal["RoB 2", "ROBINS-I", "not_assessed"]
    overall: Judgement | None = None
    domains: dict[str, Judgement] = Field(default_factory=dict)
    outcome: str | None = Field(None, description="the outcome assessed, if specific")
    note: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> "RiskOfBias":
        if self.tool == "not_assessed":
            return self
        names = ROB2_DOMAINS if self.tool == "RoB 2" else ROBINS_I_DOMAINS
        allowed = ("low", "some_concerns", "high") if self.tool == "RoB 2" else (
            "low", "moderate", "serious", "critical", "no_information")
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
    arm: str = Field(description="ldn, placebo, control, or a period/timepoint label")
    mean: float | None = None
    sd: NonNegFloat | None = None
    se: NonNegFloat | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = Field(95.0, gt=0, lt=100)
    n: NonNegInt | None = None

    @model_validator(mode="after")
    def _ci(self) -> "ArmValue":
        _check_ci(self.mean, self.ci_low, self.ci_high)
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
        return self


class ArmPercent(_Model):
    arm: str
    percent: float = Field(description="percent change (negative = reduction) or percent of participants")
    n: NonNegInt | None = None


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
    r: Annotated[float, Field(ge=-1, le=1)] | None = Field(None, description="reported pre-post correlation")


class MeanDifference(_Block):
    """A reported difference between arms/conditions (or a paired difference in a crossover)."""

    form: Literal["mean_difference"]
    estimate: float
    se: NonNegFloat | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = Field(95.0, gt=0, lt=100)
    n_total: NonNegInt | None = None
    paired: bool = Field(False, description="a within-person (crossover) difference")
    adjusted: bool = False
    sign_convention: str = Field("ldn minus comparator", description="what a negative value means")
    direction: Direction = "stated"

    @model_validator(mode="after")
    def _ci(self) -> "MeanDifference":
        _check_ci(self.estimate, self.ci_low, self.ci_high)
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
    sign_convention: str = "ldn minus comparator"
    direction: Direction = "stated"


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


class StandardizedEffect(_Block):
    form: Literal["standardized_effect"]
    type: Literal["cohen_d", "hedges_g", "d_z", "d_unspecified", "r", "effect_size_unspecified"]
    value: float
    se: NonNegFloat | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_total: NonNegInt | None = None
    sign_convention: str = Field(
        "as reported", description="e.g. 'positive favours LDN', or 'magnitude only (sign not reported)'"
    )
    direction: Direction = "stated"

    @model_validator(mode="after")
    def _ci(self) -> "StandardizedEffect":
        _check_ci(self.value, self.ci_low, self.ci_high)
        return self


class Events(_Block):
    """Counts (or percentages) of participants with an event: responders, adverse events, dropouts."""

    form: Literal["events"]
    arms: list[ArmEvents] = Field(min_length=1)


class Text(_Block):
    """A reported result without usable numbers (e.g. 'improved', 'no change')."""

    form: Literal["text"]
    result: str = Field(min_length=3)


DataBlock = Annotated[
    Union[ArmMeans, ChangeScores, PrePost, MeanDifference, Medians, MedianDifference, PercentChange,
          PValue, StandardizedEffect, Events, Text],
    Field(discriminator="form"),
]

OUTCOMES = (
    "pain", "fiq", "fiqr", "symptom_severity", "fatigue", "sleep", "mood", "depression", "anxiety",
    "quality_of_life", "satisfaction_with_life", "global_impression", "physical_function", "cognition",
    "pain_threshold", "cold_pressor", "conditioned_pain_modulation", "biomarker", "responders_30",
    "responders_50", "responders", "adverse_events", "serious_adverse_events", "discontinuation",
    "dose_response", "other",
)


class Outcome(_Model):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    name: str | None = Field(None, description="specific name, e.g. 'vivid dreams' or 'IL-6'")
    instrument: str | None = None
    scale: Scale | None = None
    timepoint: str = Field(min_length=1, description="e.g. 'week 12', 'end of LDN phase'")
    timepoint_weeks: NonNegFloat | None = None
    contrast: Literal["ldn_vs_placebo", "ldn_vs_control", "pre_post", "dose_response", "single_group"]
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


DESIGNS = (
    "parallel_rct", "crossover_rct", "crossover_nonrandomized", "single_arm_pre_post",
    "retrospective_cohort", "case_series", "case_report", "dose_finding",
)


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
    comparator: Literal["placebo", "none", "usual_care", "no_ldn_controls", "active"]
    line_of_therapy: Literal["first_line", "add_on", "refractory", "mixed", "unknown"]
    line_of_therapy_support: str | None = None
    concomitant_treatment: str | None = None
    risk_of_bias: RiskOfBias | None = None
    tags: list[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    exclude_from_pooling: str | None = Field(None, description="reason, when the study is kept but not pooled")
    within_person_r: Annotated[float, Field(ge=-1, le=1)] | None = Field(
        None, description="this study's within-person correlation (crossover/pre-post), overriding the review's")
    within_person_r_support: str | None = Field(None, description="where this study's r comes from")
    notes: str | None = None
    missing: list[str] = Field(default_factory=list, description="what the sources do not give")

    @model_validator(mode="after")
    def _checks(self) -> "StudyRecord":
        if self.doi is None and self.pmid is None and not self.no_identifier_reason:
            raise ValueError("a study needs a doi or a pmid, or no_identifier_reason")
        if self.citation.year is None and not any("year" in m for m in self.missing):
            raise ValueError("citation.year is not given: name the publication year in 'missing'")
        if self.design in ("parallel_rct", "crossover_rct") and not self.randomized:
            raise ValueError(f"design {self.design} but randomized is false")
        if self.design in ("crossover_nonrandomized", "single_arm_pre_post", "retrospective_cohort",
                           "case_series", "case_report", "dose_finding") and self.randomized:
            raise ValueError(f"design {self.design} but randomized is true")
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
    date: _dt.date
    query: str | None = None
    hits: NonNegInt | None = None
    note: str | None = None


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
    within_person_r: Annotated[float, Field(ge=-1, le=1)] = Field(
        0.5, description="default correlation for crossover and pre-post effects")
    searches: list[Search] = Field(default_factory=list)
    prisma: Prisma | None = None
    excluded: list[ExcludedStudy] = Field(default_factory=list)
    ongoing: list[OngoingTrial] = Field(default_factory=list)
    note: str | None = None


def study_json_schema() -> dict:
    """JSON Schema (draft 2020-12) of one study record, for editors."""
    schema = StudyRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ldn-evidence study record"
    return schema


# --------------------------------------------------------------------------------------------
# Problems and errors
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# YAML (round trip)
# --------------------------------------------------------------------------------------------


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.allow_duplicate_keys = False
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def default_studies_path() -> Path:
    """The bundled ``studies.yaml``: the repository's ``data/`` in a source checkout (editable
    install), else the copy shipped inside the package."""
    here = Path(__file__).resolve().parent
    checkout = here.parent.parent / "data" / "studies.yaml"
    if checkout.is_file():
        return checkout
    return here / "data" / "studies.yaml"


def _read_text(path: Path) -> str:
    name = str(path)
    if not path.exists():
        raise StudiesFileError([Problem(name, None, None, None, "no such file")])
    if path.is_dir():
        raise StudiesFileError([Problem(name, None, None, None, "is a directory, not a YAML file")])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise StudiesFileError([Problem(
            name, None, None, None,
            f"file is {size / 1e6:.1f} MB; a studies file is limited to {MAX_FILE_BYTES / 1e6:.0f} MB")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StudiesFileError([Problem(
            name, line, None, None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")])
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise StudiesFileError([Problem(name, 1, None, None, "the file is empty")])
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            raise StudiesFileError([Problem(
                name, lineno, None, None, "a tab is used for indentation; YAML needs spaces")])
    return text


def _parse(text: str, name: str):
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc).splitlines()[0]
        if "duplicate key" in str(exc):
            key = re.search(r'found duplicate key "([^"]*)"', str(exc))
            what = f"duplicate key '{key.group(1)}'" if key else "duplicate key"
        raise StudiesFileError([Problem(name, line, None, None, f"malformed YAML: {what}")]) from None
    except YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise StudiesFileError([Problem(name, None, None, None, f"malformed YAML: {exc}")]) from None


def _plain(node: Any) -> Any:
    """ruamel's commented containers and scalar subclasses -> plain Python values."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, (dict, CommentedMap)):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, (list, CommentedSeq)):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, _dt.datetime):
        return _dt.datetime(node.year, node.month, node.day, node.hour, node.minute, node.second,
                            node.microsecond, tzinfo=node.tzinfo)
    if isinstance(node, _dt.date):
        return _dt.date(node.year, node.month, node.day)
    return node


def _line_of(node: Any, loc: tuple) -> int | None:
    """The 1-based line of the deepest YAML node reachable along a pydantic error location."""
    line = None
    cur = node
    for part in loc:
        lc = getattr(cur, "lc", None)
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            if lc is not None:
                try:
                    line = lc.key(part)[0] + 1
                except (KeyError, TypeError, AttributeError):
                    pass
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            if lc is not None:
                try:
                    line = lc.item(part)[0] + 1
                except (KeyError, TypeError, AttributeError, IndexError):
                    pass
            cur = cur[part]
        # other parts (union tags such as 'arm_means') do not appear in the YAML: skip them
    if line is None and getattr(node, "lc", None) is not None:
        line = node.lc.line + 1
    return line


def _field_path(loc: tuple, data: Any) -> str:
    parts: list[str] = []
    cur = data
    for part in loc:
        if isinstance(part, int) and isinstance(cur, list):
            parts[-1 if parts else 0:] = [f"{parts[-1] if parts else ''}[{part}]"]
            cur = cur[part] if 0 <= part < len(cur) else None
        elif isinstance(cur, dict) and part in cur:
            parts.append(str(part))
            cur = cur[part]
        elif isinstance(part, str) and not (isinstance(cur, dict) and "form" in cur and cur["form"] == part):
            parts.append(str(part))
            cur = None
    return ".".join(p for p in parts if p)


def _message(err: dict) -> str:
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (a typo?)"
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown data form {err.get('input', {}).get('form')!r}; expected one of " + ", ".join(
            repr(t) for t in _DATA_FORMS)
    elif err["type"] == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    elif err["type"].endswith("_type"):
        msg = f"{msg} (got {err.get('input')!r})"
    return msg


_DATA_FORMS = ("arm_means", "change_scores", "pre_post", "mean_difference", "medians", "median_difference",
               "percent_change", "p_value", "standardized_effect", "events", "text")


def _validate_study(node: Any, name: str, prefix: str = "") -> tuple[StudyRecord | None, list[Problem]]:
    data = _plain(node)
    sid = data.get("id") if isinstance(data, dict) else None
    sid = sid if isinstance(sid, str) else None
    if not isinstance(data, dict):
        line = None
        return None, [Problem(name, line, None, prefix.rstrip(".") or None,
                              f"a study must be a mapping, got {type(data).__name__}")]
    try:
        return StudyRecord.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            field = _field_path(loc, data) or None
            problems.append(Problem(name, _line_of(node, loc), sid, field, _message(err)))
        return None, problems


def _file_checks(name: str, nodes: list, studies: list[StudyRecord | None]) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_keys: dict[tuple[str, str], str] = {}
    for i, (node, study) in enumerate(zip(nodes, studies)):
        line = node.lc.line + 1 if getattr(node, "lc", None) is not None else None
        sid = node.get("id") if isinstance(node, dict) else None
        if isinstance(sid, str):
            if sid in seen_ids:
                problems.append(Problem(name, _line_of(node, ("id",)), sid, "id",
                                        f"duplicate study id (first used by study #{seen_ids[sid] + 1})"))
            else:
                seen_ids[sid] = i
        if study is None:
            continue
        for key in ("doi", "pmid"):
            value = getattr(study, key)
            if value is None:
                continue
            norm = (key, str(value).lower())
            if norm in seen_keys:
                problems.append(Problem(name, _line_of(node, (key,)) or line, study.id, key,
                                        f"duplicate {key} {value} (also in study '{seen_keys[norm]}')"))
            else:
                seen_keys[norm] = study.id
    return problems


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


class StudyCollection:
    """The review's records: review-level information plus the study records.

    ``document`` holds the parsed round-trip YAML so that saving keeps comments and order.
    The analysis methods live on :class:`ldn_evidence.review.Review`, a subclass.
    """

    def __init__(self, info: ReviewInfo, studies: list[StudyRecord], document: Any = None,
                 path: Path | None = None):
        self.info = info
        self.studies = list(studies)
        self._document = document
        self._text: str | None = None
        self._name: str | None = None
        self.path = path

    @property
    def document(self) -> Any:
        """The round-trip YAML tree the records were read from (parsed on first use)."""
        if self._document is None and self._text is not None:
            self._document = _parse(self._text, self._name or str(self.path))
        return self._document

    @document.setter
    def document(self, value: Any) -> None:
        self._document = value

    def __len__(self) -> int:
        return len(self.studies)

    def __iter__(self):
        return iter(self.studies)

    def __getitem__(self, key: int | str) -> StudyRecord:
        if isinstance(key, str):
            for s in self.studies:
                if s.id == key:
                    return s
            raise KeyError(f"no study with id {key!r}; ids: {', '.join(s.id for s in self.studies)}")
        return self.studies[key]

    def __repr__(self) -> str:
        where = f" from {self.path}" if self.path else ""
        return f"<{type(self).__name__}: {len(self.studies)} studies{where}, version {self.info.version}>"

    def to_frame(self):
        """One row per study x outcome x timepoint x contrast (pandas DataFrame)."""
        import pandas as pd

        rows = []
        for s in self.studies:
            base = {
                "study": s.id, "label": s.label, "year": s.citation.year, "design": s.design,
                "randomized": s.randomized, "n_randomized": s.population.n_randomized,
                "n_analysed": s.population.n_analysed, "dose_mg_per_day": s.intervention.dose_mg_per_day,
                "line_of_therapy": s.line_of_therapy, "doi": s.doi, "pmid": s.pmid,
            }
            if not s.outcomes:
                rows.append({**base, "outcome": None})
            for o in s.outcomes:
                rows.append({
                    **base, "outcome": o.outcome, "name": o.name, "instrument": o.instrument,
                    "timepoint": o.timepoint, "timepoint_weeks": o.timepoint_weeks, "contrast": o.contrast,
                    "primary": o.primary, "forms": ",".join(b.form for b in o.data),
                    "source": o.data[0].source,
                    "secondary_only": all(b.source_kind in ("secondary", "conference_abstract") for b in o.data),
                })
        return pd.DataFrame(rows)


def read_studies(path: str | os.PathLike | None = None, cls: type = StudyCollection) -> StudyCollection:
    """Load and validate a studies file; raise :class:`StudiesFileError` listing every problem.

    A valid file is parsed once by libyaml (C, about ten times faster than the round-trip parser)
    with YAML 1.2 core-schema rules, the same rules ruamel.yaml applies; the round-trip document
    (for saving with comments, and for the line numbers of problems) is parsed only when needed.
    """
    p = Path(path) if path is not None else default_studies_path()
    name = str(path) if path is not None else str(p)
    text = _read_text(p)
    fast = _fast_parse(text)
    if fast is not None:
        try:
            return _collect(fast, name, p, cls, text, document=None)
        except StudiesFileError:
            pass  # report the problems with line numbers from the round-trip tree
    doc = _parse(text, name)
    return _collect(doc, name, p, cls, text, document=doc)


def _collect(doc: Any, name: str, p: Path, cls: type, text: str, document: Any) -> StudyCollection:
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise StudiesFileError([Problem(name, 1, None, None,
                                        "expected a mapping with top-level keys 'review' and 'studies'")])
    for key in doc:
        if key not in ("review", "studies"):
            problems.append(Problem(name, _line_of(doc, (key,)), None, str(key),
                                    "unknown top-level key (expected 'review' and 'studies')"))
    info = None
    if "review" not in doc:
        problems.append(Problem(name, 1, None, "review", "required top-level key is missing"))
    else:
        try:
            info = ReviewInfo.model_validate(_plain(doc["review"]))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = ("review",) + tuple(err["loc"])
                problems.append(Problem(name, _line_of(doc, loc), None,
                                        _field_path(loc, _plain(doc)), _message(err)))
    nodes = doc.get("studies")
    if nodes is None:
        problems.append(Problem(name, 1, None, "studies", "required top-level key is missing"))
        nodes = []
    elif not isinstance(nodes, list):
        problems.append(Problem(name, _line_of(doc, ("studies",)), None, "studies",
                                "must be a list of study mappings"))
        nodes = []
    studies: list[StudyRecord | None] = []
    for i, node in enumerate(nodes):
        study, probs = _validate_study(node, name, f"studies[{i}].")
        studies.append(study)
        problems += probs
    problems += _file_checks(name, nodes, studies)
    if problems:
        raise StudiesFileError(problems)
    collection = cls(info, [s for s in studies if s is not None], document=document, path=p)
    collection._text = text
    collection._name = name
    return collection


_C_LOADER = None


def _c_loader():
    """A libyaml loader with YAML 1.2 core-schema scalars (as ruamel.yaml) and duplicate-key errors.

    PyYAML resolves YAML 1.1 (``yes``/``no``/``on``/``off`` are booleans, ``012`` is octal); the
    studies file is YAML 1.2, so the implicit resolvers are replaced by the 1.2 core schema's.
    """
    global _C_LOADER
    if _C_LOADER is not None:
        return _C_LOADER
    import yaml

    class _Loader(yaml.CSafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {}
    add = _Loader.add_implicit_resolver
    add("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    add("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$"),
        list("-+0123456789"))
    add("tag:yaml.org,2002:float", re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."))
    add("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    add("tag:yaml.org,2002:timestamp", re.compile(
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
        r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?"
        r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
        list("0123456789"))

    def construct_int(loader, node):
        value = loader.construct_scalar(node).replace("_", "")
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value, 10)

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    _Loader.construct_mapping = construct_mapping
    _C_LOADER = _Loader
    return _Loader


def _fast_parse(text: str) -> Any:
    """Parse with libyaml; None when libyaml is missing or the text is not clean YAML (the
    round-trip parser then reports the problem with its line)."""
    try:
        import yaml

        if not getattr(yaml, "__with_libyaml__", False):
            return None
        return yaml.load(text, Loader=_c_loader())  # noqa: S506 - a SafeLoader subclass
    except Exception:  # noqa: BLE001 - any failure: fall back to the careful path
        return None


def read_records(path: str | os.PathLike) -> tuple[list[StudyRecord], list]:
    """Read a file holding one study mapping or a list of them (what ``ldn-evidence add`` takes).

    Returns the validated records and their round-trip YAML nodes.
    """
    p = Path(path)
    name = str(path)
    doc = _parse(_read_text(p), name)
    nodes = doc if isinstance(doc, list) else [doc]
    problems: list[Problem] = []
    studies = []
    for i, node in enumerate(nodes):
        study, probs = _validate_study(node, name, f"[{i}].")
        studies.append(study)
        problems += probs
    problems += _file_checks(name, nodes, studies)
    if problems:
        raise StudiesFileError(problems)
    return list(studies), list(nodes)


def validate_studies(path: str | os.PathLike | None = None) -> list[Problem]:
    """Every problem in a studies file (``[]`` when it is clean).

    Each :class:`Problem` names the file, line, study id and field. Also accepts a file holding a
    single study mapping or a list of them (a record to be added).
    """
    p = Path(path) if path is not None else default_studies_path()
    try:
        text = _read_text(p)
        doc = _parse(text, str(path) if path is not None else str(p))
        if isinstance(doc, dict) and ("studies" in doc or "review" in doc):
            read_studies(p if path is None else path)
        else:
            read_records(p if path is None else path)
    except StudiesFileError as exc:
        return exc.problems
    return []


def _merge(node: Any, data: Any) -> Any:
    """Update a round-trip node in place to equal ``data``, keeping comments and key order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(data, dict) and isinstance(node, CommentedMap):
        for key in [k for k in node if k not in data]:
            del node[key]
        for key, value in data.items():
            if key in node:
                merged = _merge(node[key], value)
                if merged is not node[key]:
                    node[key] = merged
            else:
                node[key] = _merge(None, value)
        return node
    if isinstance(data, list) and isinstance(node, CommentedSeq):
        for i, value in enumerate(data):
            if i < len(node):
                merged = _merge(node[i], value)
                if merged is not node[i]:
                    node[i] = merged
            else:
                node.append(_merge(None, value))
        del node[len(data):]
        return node
    if isinstance(data, dict):
        out = CommentedMap()
        for k, v in data.items():
            out[k] = _merge(None, v)
        return out
    if isinstance(data, list):
        seq = CommentedSeq()
        seq.extend(_merge(None, v) for v in data)
        return seq
    if node is not None and not isinstance(node, (dict, list)) and _same_scalar(_plain(node), data):
        return node  # keep the scalar (and its quoting style) when its value is unchanged
    return data


def _same_scalar(old: Any, new: Any) -> bool:
    """Equal values: 6 and 6.0 (a float field read from ``6``), 10 and "10" (a volume)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return old == new or str(old) == str(new)


def _dump_record(study: StudyRecord) -> dict:
    return study.model_dump(mode="python", exclude_unset=True)


def _document_for(collection: StudyCollection):
    """The round-trip document with the collection's current contents merged in."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    doc = collection.document
    if doc is None:
        doc = CommentedMap()
        doc["review"] = CommentedMap()
        doc["studies"] = CommentedSeq()
    info = collection.info.model_dump(mode="python", exclude_unset=True)
    _merge(doc["review"], info)
    nodes = doc["studies"]
    by_id = {n.get("id"): n for n in nodes if isinstance(n, dict)}
    new_seq = []
    for study in collection.studies:
        node = by_id.get(study.id)
        data = _dump_record(study)
        if node is not None and _plain(node) != data:
            node = _merge(node, data)
        elif node is None:
            node = _merge(None, data)
        new_seq.append(node)
    if [id(n) for n in nodes] != [id(n) for n in new_seq]:
        kept = {id(n) for n in new_seq}
        for i in reversed(range(len(nodes))):
            if id(nodes[i]) not in kept:
                del nodes[i]
        for i, node in enumerate(new_seq):
            if i >= len(nodes) or nodes[i] is not node:
                if node in nodes:
                    nodes.remove(node)
                nodes.insert(i, node)
    return doc


def dump_yaml(doc: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Delete temporary files left by writers that were killed mid-write (their process is gone).

    The temporary file's name carries its writer's PID; one whose PID is alive is left alone."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(\d+)\.[^/]*\.tmp$")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = pattern.match(entry.name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
            continue  # a live writer (or another user's process): not ours to remove
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            pass


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` so that ``path`` holds either the old or the new content, never a mixture:
    a temporary file in the same folder, flushed and fsynced, then ``os.replace`` (POSIX rename is
    atomic), then the folder is fsynced so the rename itself survives a crash."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    _remove_stale_temporaries(folder, target.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_studies(review: StudyCollection, path: str | os.PathLike | None = None) -> Path:
    """Write the review atomically, keeping the source file's comments and key order.

    The records are validated first (nothing is written if any fails). An untouched review is
    written back byte for byte as it was read.
    """
    target = Path(path) if path is not None else (review.path or default_studies_path())
    for study in review.studies:
        StudyRecord.model_validate(_dump_record(study))
    text = dump_yaml(_document_for(review))
    atomic_write_text(target, text)
    return target
