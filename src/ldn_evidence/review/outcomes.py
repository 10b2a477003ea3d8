"""The outcomes the review pools, their titles and which way is better.

These are the bundled LDN-for-fibromyalgia review's outcome families. They live in the review
layer, the only layer that may name a review's outcomes; the effects, engine, models and plots
below it take outcomes, labels and directions as arguments.

Examples
--------
>>> default_measure("adverse_events"), default_measure("pain")
('RR', 'SMD')
>>> favours("pain", controlled=True)
('Favours LDN', 'Favours placebo')
"""
from __future__ import annotations

from ..vocabulary import BINARY_MEASURES, CONTINUOUS_MEASURES

__all__ = ["CONTINUOUS_OUTCOMES", "BINARY_OUTCOMES", "OUTCOMES", "OUTCOME_TITLES", "BENEFIT_OUTCOMES",
           "default_measure", "is_binary", "favours", "outcome_title"]

#: continuous outcome families that can be pooled (``fiq`` pools FIQ and FIQR)
CONTINUOUS_OUTCOMES = ("pain", "fiq", "fiqr", "symptom_severity", "fatigue", "sleep", "mood", "depression",
                       "quality_of_life")
#: binary outcome families: harms (fewer is better) and responders (more is better)
BINARY_OUTCOMES = ("adverse_events", "serious_adverse_events", "discontinuation", "responders_30",
                   "responders_50")
#: every outcome family that can be pooled
OUTCOMES = CONTINUOUS_OUTCOMES + BINARY_OUTCOMES
#: binary outcomes where more events is better
BENEFIT_OUTCOMES = ("responders_30", "responders_50")
#: how an outcome family is named in titles
OUTCOME_TITLES = {"pain": "pain", "fiq": "fibromyalgia impact (FIQ/FIQR)", "fiqr": "fibromyalgia impact (FIQR)",
                  "symptom_severity": "overall symptom severity", "quality_of_life": "quality of life",
                  "adverse_events": "any adverse event", "serious_adverse_events": "serious adverse events",
                  "discontinuation": "discontinuation", "responders_30": "responders (at least 30% less pain)",
                  "responders_50": "responders (at least 50% less pain)"}


def is_binary(outcome: str) -> bool:
    """Whether an outcome family is pooled from event counts."""
    return outcome in BINARY_OUTCOMES


def default_measure(outcome: str) -> str:
    """SMD for a continuous outcome, RR for a binary one."""
    return BINARY_MEASURES[0] if is_binary(outcome) else CONTINUOUS_MEASURES[0]


def outcome_title(outcome: str) -> str:
    """The outcome as a title names it."""
    return OUTCOME_TITLES.get(outcome, outcome.replace("_", " "))


def favours(outcome: str, controlled: bool) -> tuple[str, str]:
    """Labels under the axis, left then right: a lower value favours LDN except for responders."""
    if not controlled:
        return ("Improvement", "Worsening")
    if outcome in BENEFIT_OUTCOMES:
        return ("Favours placebo", "Favours LDN")
    return ("Favours LDN", "Favours placebo")
