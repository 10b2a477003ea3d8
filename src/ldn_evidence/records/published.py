"""Published meta-analyses and systematic reviews of the review's question, as records:
``review.published_analyses`` in the studies file.

A reader who finds other reviews pooling the same trials to a different answer needs to see
why. Each record holds what a reviewer extracts from a published synthesis to reconcile it with
this one (PRISMA 2020 items 5-13 and 20, read from the other side): its citation and
identifiers, its search (databases, date), the trials it included matched to this review's study
ids with the evidence for each match, its methods (tau² estimator, CI method, software, measure,
timepoint, change or final values, crossover handling) and every pooled result with the source
and place it was read. What a source does not give stays empty and is named under ``missing``;
the published per-trial inputs (a forest plot's rows) go into ``per_trial_inputs`` only when
they were seen.

A trial match says how sure it is:

* ``seen`` — the review's own text names the trial;
* ``probable`` — the review's stated counts, dates, outcomes or arms imply it, but its list was
  not seen;
* ``candidate`` — one of several trials that could fill an unidentified slot;

and names ``unidentified`` when no study of this review can be named. File-level checks (match
ids that exist, one pooled result per outcome to reconcile, ...) are :func:`published_problems`.

Codes are metafor's (``tau2_estimator`` DL, REML ...; ``ci_method`` z, knha, t, adhoc); a field a
publication does not state is left out, never filled in with a guess (the reconciliation states
the assumption it makes instead).

Examples
--------
>>> a = PublishedAnalysis.model_validate({
...     "id": "smith2024", "kind": "meta_analysis", "year": 2024, "citation": "Smith J. A meta-analysis. J 2024;1:1-9",
...     "sources": ["https://doi.org/10.1/x (abstract)"],
...     "included": {"k": 2, "trials": [{"match": "a2020", "confidence": "seen", "evidence": "its Table 1"}]},
...     "pooled": [{"outcome": "tb", "as_reported": "tuberculosis", "measure": "SMD", "estimate": -0.5, "ci_low": -0.9, "ci_high": -0.1,
...                 "source": "https://doi.org/10.1/x", "where": "abstract", "reconcile": True}]})
>>> a.label, a.included.trials[0].match, a.reconcile_result("tb").estimate
('Smith 2024', 'a2020', -0.5)
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from statistics import NormalDist
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import Problem
from ..vocabulary import ESCALC_MEASURES, REVIEW_METHODS, TESTS, check_level
from .yaml import line_of

__all__ = ["PublishedAnalysis", "PublishedSearch", "PublishedMethod", "Included", "TrialMatch", "PooledResult",
           "PerTrialInput", "published_problems", "UNIDENTIFIED", "MATCH_CONFIDENCE", "SYNTHESIS_KINDS"]

#: the ``match`` of a trial slot no study of the review can fill
UNIDENTIFIED = "unidentified"
#: how sure a trial match is, most sure first
MATCH_CONFIDENCE = ("seen", "probable", "candidate")
#: what a publication is
SYNTHESIS_KINDS = ("meta_analysis", "systematic_review", "scoping_review", "narrative_review", "letter")
#: measures a published pooled result may be on: metafor's, plus the incidence rate ratio
PUBLISHED_MEASURES = tuple(ESCALC_MEASURES) + ("IRR",)
RATIO_MEASURES = ("RR", "OR", "ROM", "IRR")

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text8 = Annotated[str, Field(min_length=8)]


def _level(value: float) -> float:
    return check_level(value, "ci_level")


#: a confidence level in percent (95), never a fraction (the package's one convention)
CiLevel = Annotated[float, AfterValidator(_level), Field(gt=1, lt=100)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class TrialMatch(_Model):
    """One trial slot of a published analysis, matched to a study of this review (or not)."""

    match: Slug = Field(description="a study id of this review, or 'unidentified'")
    confidence: Literal[MATCH_CONFIDENCE]  # type: ignore[valid-type]
    evidence: Text8 = Field(description="why this match: where the trial is named, or what implies it")
    n: Annotated[int, Field(ge=1)] | None = Field(None, description="participants the publication counts for "
                                                 "it, when seen")


class Included(_Model):
    """What the publication included: counts as reported and the trials matched."""

    k: Annotated[int, Field(ge=0)] | None = None
    n: Annotated[int, Field(ge=1)] | None = None
    as_reported: str | None = Field(None, description="its own words, with where they were read")
    trials: list[TrialMatch] = Field(default_factory=list)
    note: str | None = None


class PublishedSearch(_Model):
    databases: list[str] = Field(default_factory=list)
    date: _dt.date | None = Field(None, description="last search date, when the publication gives a day")
    as_reported: str | None = Field(None, description="the date as reported ('inception to May 2024')")
    source: str | None = None

    @field_validator("date")
    @classmethod
    def _past(cls, v: _dt.date | None) -> _dt.date | None:
        if v is not None and v > _dt.date.today() + _dt.timedelta(days=1):
            raise ValueError(f"search date {v.isoformat()} is in the future")
        return v


class PublishedMethod(_Model):
    """The methods as the publication states them; a field it does not state is left out."""

    model: Literal["random_effects", "common_effect", "random_or_common", "none"] | None = None
    tau2_estimator: Literal[REVIEW_METHODS] | None = None  # type: ignore[valid-type]
    ci_method: Literal[TESTS] | None = Field(  # type: ignore[valid-type]
        None, description="test and CI of the pooled effect: z (Wald), t, knha (Hartung-Knapp), adhoc")
    software: str | None = None
    measure: Literal[PUBLISHED_MEASURES] | None = None  # type: ignore[valid-type]
    timepoint: str | None = None
    change_or_final: Literal["change", "final", "mixed"] | None = None
    crossover_handling: str | None = None
    heterogeneity: str | None = None
    as_stated: str | None = Field(None, description="the methods in the publication's words (paraphrase or "
                                  "short quotation), with where")
    source: str | None = None
    other: str | None = None


class PooledResult(_Model):
    """One pooled result as published."""

    outcome: Slug | None = Field(None, description="the outcome id of this review's protocol it corresponds to "
                                 "(none when the protocol has no such outcome)")
    as_reported: str = Field(min_length=2, description="the outcome in the publication's words")
    contrast: Slug | None = Field(None, description="the protocol contrast: <intervention>_vs_<comparator> or "
                                  "pre_post (none when it maps to none)")
    comparison: str | None = Field(None, description="the comparison in the publication's words")
    role: Literal["primary", "sensitivity", "subgroup", "secondary"] = "primary"
    measure: Literal[PUBLISHED_MEASURES] | None = None  # type: ignore[valid-type]
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: CiLevel = 95.0
    p_value: Annotated[float, Field(ge=0, le=1)] | None = None
    p_value_qualifier: Literal["=", "<", ">", "<=", ">="] = "="
    i2: Annotated[float, Field(ge=0, le=100)] | None = Field(None, description="I² in percent")
    tau2: Annotated[float, Field(ge=0)] | None = None
    k: Annotated[int, Field(ge=1)] | None = None
    n: Annotated[int, Field(ge=1)] | None = None
    result_in_words: str | None = Field(None, description="the result when no number is given")
    source: Text8
    where: str = Field(min_length=2, description="where in the source: abstract, Fig. 2, Table 3 ...")
    reconcile: bool = Field(False, description="the result `ldn-evidence reconcile` starts this publication's "
                            "ladder from (one per outcome)")
    note: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> "PooledResult":
        if self.estimate is None and not self.result_in_words:
            raise ValueError("give the estimate, or the result_in_words when no number is reported")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ci_low and ci_high, or neither")
        if self.ci_low is not None:
            if self.estimate is None:
                raise ValueError("a confidence interval without its estimate")
            if not self.ci_low <= self.estimate <= self.ci_high:
                raise ValueError(f"estimate {self.estimate:g} lies outside its CI "
                                 f"[{self.ci_low:g}, {self.ci_high:g}]")
        if self.measure in RATIO_MEASURES and self.estimate is not None and (
                self.estimate <= 0 or (self.ci_low is not None and self.ci_low <= 0)):
            raise ValueError(f"a {self.measure} is a ratio: the estimate and its CI must be positive")
        if self.reconcile:
            if self.estimate is None or self.ci_low is None or self.measure is None or self.outcome is None:
                raise ValueError("the result to reconcile needs outcome, measure, estimate, ci_low and ci_high")
        return self

    @property
    def se(self) -> float | None:
        """The standard error implied by the CI (normal quantile; ratio measures on the log scale)."""
        if self.ci_low is None:
            return None
        z = NormalDist().inv_cdf(0.5 + self.ci_level / 200)
        lo, hi = (math.log(self.ci_low), math.log(self.ci_high)) if self.measure in RATIO_MEASURES else (
            self.ci_low, self.ci_high)
        return (hi - lo) / (2 * z)


class PerTrialInput(_Model):
    """One trial's input to a published pooled result, as the publication shows it (forest plot
    or table): the effect with its CI or SE, on the publication's measure."""

    study: Slug = Field(description="the study id of this review")
    outcome: Slug = Field(description="the protocol outcome of the pooled result it entered")
    measure: Literal[PUBLISHED_MEASURES]  # type: ignore[valid-type]
    yi: float
    se: Annotated[float, Field(gt=0)] | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: CiLevel = 95.0
    n: Annotated[int, Field(ge=1)] | None = None
    source: Text8
    where: str = Field(min_length=2)

    @model_validator(mode="after")
    def _spread(self) -> "PerTrialInput":
        if self.se is None and (self.ci_low is None or self.ci_high is None):
            raise ValueError("give the SE, or ci_low and ci_high")
        if self.ci_low is not None and self.ci_high is not None and not self.ci_low <= self.yi <= self.ci_high:
            raise ValueError(f"yi {self.yi:g} lies outside its CI [{self.ci_low:g}, {self.ci_high:g}]")
        return self

    @property
    def sei(self) -> float:
        """The SE given, else from the CI with the normal quantile."""
        if self.se is not None:
            return self.se
        return (self.ci_high - self.ci_low) / (2 * NormalDist().inv_cdf(0.5 + self.ci_level / 200))


class PublishedAnalysis(_Model):
    """A published meta-analysis or systematic review of the review's question."""

    id: Slug
    kind: Literal[SYNTHESIS_KINDS]  # type: ignore[valid-type]
    citation: Text8
    short_label: str | None = Field(None, description="'Author Year' for tables and plots (default: from the "
                                    "citation)")
    year: Annotated[int, Field(ge=1900)] | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    pmid: Annotated[int, Field(ge=1, le=99_999_999)] | None = None
    pmcid: Annotated[str, Field(pattern=r"^PMC\d+$")] | None = None
    other_ids: list[str] = Field(default_factory=list, description="registrations (PROSPERO), datasets, leads")
    sources: list[Text8] = Field(min_length=1, description="where the record was read")
    search: PublishedSearch | None = None
    question: str | None = None
    included: Included = Field(default_factory=Included)
    method: PublishedMethod | None = None
    pooled: list[PooledResult] = Field(default_factory=list)
    per_trial_inputs: list[PerTrialInput] = Field(default_factory=list)
    reanalyses: Slug | None = Field(None, description="the id of the published analysis this one re-analyses")
    commented_by: list[Slug] = Field(default_factory=list, description="ids of letters or re-analyses of it")
    missing: list[str] = Field(default_factory=list, description="what the sources reached do not give")
    note: str | None = None

    @model_validator(mode="after")
    def _checks(self) -> "PublishedAnalysis":
        if self.kind == "meta_analysis" and not self.pooled:
            raise ValueError("a meta-analysis with no pooled result: give them under 'pooled' (or a kind "
                             "without pooling)")
        seen: set[str] = set()
        for r in self.pooled:
            if r.reconcile:
                if r.outcome in seen:
                    raise ValueError(f"more than one pooled result of {r.outcome!r} has reconcile: true")
                seen.add(r.outcome)
        return self

    @property
    def label(self) -> str:
        """'Author Year' (the short label, else the first author's surname and the year)."""
        if self.short_label:
            return self.short_label
        first = re.split(r"[ ,]", self.citation.strip(), maxsplit=1)[0]
        return f"{first} {self.year}" if self.year else first

    def reconcile_result(self, outcome: str) -> PooledResult | None:
        """The pooled result of ``outcome`` the reconciliation starts from (None: none marked)."""
        return next((r for r in self.pooled if r.reconcile and r.outcome == outcome), None)


def published_problems(analyses: list[PublishedAnalysis], name: str, doc, studies: list,
                       outcomes: tuple[str, ...], contrasts: tuple[str, ...]) -> list[Problem]:
    """What no single record can check: every trial match and per-trial input names a study of
    the file (or ``unidentified``), published ids are unique and the ids they refer to exist, and
    pooled results name outcomes and contrasts of the protocol.

    ``doc`` is the parsed studies file (for line numbers), ``studies`` its validated records,
    ``outcomes`` and ``contrasts`` those of its protocol.
    """
    ids = {s.id for s in studies if s is not None}
    own = [a.id for a in analyses]
    out: list[Problem] = []

    def problem(i: int, loc: tuple, message: str) -> None:
        where = ("review", "published_analyses", i) + loc
        field = "review.published_analyses[%d]" % i + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        out.append(Problem(name, line_of(doc, where) or line_of(doc, where[:3]), None, field, message))

    for i, a in enumerate(analyses):
        if own.index(a.id) != i:
            problem(i, ("id",), f"duplicate published analysis id {a.id!r}")
        for j, t in enumerate(a.included.trials):
            if t.match != UNIDENTIFIED and t.match not in ids:
                problem(i, ("included", "trials", j, "match"),
                        f"no study with id {t.match!r} in this file (use '{UNIDENTIFIED}' for a trial that "
                        "cannot be named)")
        for j, p in enumerate(a.per_trial_inputs):
            if p.study not in ids:
                problem(i, ("per_trial_inputs", j, "study"), f"no study with id {p.study!r} in this file")
            if p.outcome not in outcomes:
                problem(i, ("per_trial_inputs", j, "outcome"), f"{p.outcome!r} is not an outcome of the protocol")
        for j, r in enumerate(a.pooled):
            if r.outcome is not None and r.outcome not in outcomes:
                problem(i, ("pooled", j, "outcome"), f"{r.outcome!r} is not an outcome of the protocol "
                        f"(outcomes: {', '.join(outcomes)}); leave it out when none corresponds")
            if r.contrast is not None and r.contrast not in contrasts:
                problem(i, ("pooled", j, "contrast"), f"{r.contrast!r} is not a contrast of the protocol "
                        f"({', '.join(contrasts)})")
        for key, refs in (("reanalyses", [a.reanalyses] if a.reanalyses else []), ("commented_by", a.commented_by)):
            for ref in refs:
                if ref not in own:
                    problem(i, (key,), f"no published analysis with id {ref!r}")
    return out
