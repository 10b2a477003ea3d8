"""The reviewers' GRADE judgements in a studies file: ``review.grade.<outcome>.<domain>``.

The GRADE rules of :mod:`ldn_evidence.review.grade_rules` propose a judgement for each domain
from the data; a reviewer who judges otherwise writes the judgement and the reason into the
review's file, where it wins and is shown beside the rule's proposal::

    review:
      grade:
        pain:
          indirectness:
            judgement: serious
            reason: two of the four trials ran for three weeks only
          large_effect:
            judgement: none
            reason: the relative effect is not large

Downgrading domains (risk_of_bias, inconsistency, indirectness, imprecision, publication_bias)
take ``not_serious``, ``serious`` or ``very_serious``; the upgrading factors of non-randomized
evidence (large_effect, dose_response, plausible_confounding; GRADE guidelines 9, Guyatt et al.
2011, J Clin Epidemiol 64:1311) take ``none``, ``one_level`` or ``two_levels``. A rule never
applies an upgrade by itself: an upgrade counts only once a reviewer writes it here.

Which outcome ids may be named is the review's business (its protocol); the review layer checks
the keys when it grades (:func:`ldn_evidence.review.grade.grade_review`).

Examples
--------
>>> o = OutcomeGrade.model_validate({"imprecision": {"judgement": "serious", "reason": "few events"}})
>>> o.imprecision.judgement, o.judgements()
('serious', {'imprecision': DomainJudgement(judgement='serious', reason='few events')})
>>> DomainJudgement.model_validate({"judgement": "no", "reason": "checked"}).judgement
'not_serious'
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..vocabulary import GRADE_DOMAINS, GRADE_JUDGEMENTS, GRADE_UPGRADE_FACTORS, GRADE_UPGRADES

__all__ = ["DomainJudgement", "UpgradeJudgement", "OutcomeGrade", "GradeOverrides", "JUDGEMENT_ALIASES"]

#: other spellings a reviewer may write for a judgement (YAML 1.1 reads a bare ``no`` as false)
JUDGEMENT_ALIASES = {
    "no": "not_serious", "not serious": "not_serious", "none serious": "not_serious", "false": "not_serious",
    "very serious": "very_serious", "one level": "one_level", "two levels": "two_levels",
    "upgrade": "one_level", "upgrade one level": "one_level", "upgrade two levels": "two_levels",
    "not present": "none", "no upgrade": "none",
}


def _normalise(value: Any) -> Any:
    if value is False:
        return "not_serious"
    if isinstance(value, str):
        text = " ".join(value.strip().lower().replace("-", " ").split())
        return JUDGEMENT_ALIASES.get(text, text.replace(" ", "_"))
    return value


class DomainJudgement(BaseModel):
    """A reviewer's judgement of one downgrading domain: what it is and why."""

    model_config = ConfigDict(extra="forbid", strict=True)

    judgement: Annotated[Literal[GRADE_JUDGEMENTS], BeforeValidator(_normalise)] = Field(  # type: ignore[valid-type]
        description="not_serious | serious | very_serious")
    reason: str = Field(min_length=3, description="why, in words a reader of the summary of findings can check")


class UpgradeJudgement(BaseModel):
    """A reviewer's judgement of one upgrading factor (non-randomized evidence): levels up and why."""

    model_config = ConfigDict(extra="forbid", strict=True)

    judgement: Annotated[Literal[GRADE_UPGRADES], BeforeValidator(_normalise)] = Field(  # type: ignore[valid-type]
        description="none | one_level | two_levels")
    reason: str = Field(min_length=3, description="why, in words a reader of the summary of findings can check")


class OutcomeGrade(BaseModel):
    """The reviewers' judgements for one outcome; every field is optional (the rule's proposal stands)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    risk_of_bias: DomainJudgement | None = None
    inconsistency: DomainJudgement | None = None
    indirectness: DomainJudgement | None = None
    imprecision: DomainJudgement | None = None
    publication_bias: DomainJudgement | None = None
    large_effect: UpgradeJudgement | None = None
    dose_response: UpgradeJudgement | None = None
    plausible_confounding: UpgradeJudgement | None = None
    note: str | None = None

    def judgements(self) -> dict[str, DomainJudgement | UpgradeJudgement]:
        """The judgements given, by domain or factor name."""
        return {name: getattr(self, name) for name in GRADE_DOMAINS + GRADE_UPGRADE_FACTORS
                if getattr(self, name) is not None}


#: ``review.grade``: outcome id -> the reviewers' judgements
GradeOverrides = dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], OutcomeGrade]
