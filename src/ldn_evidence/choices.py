"""The vocabularies that the review layer and the command line share.

Kept in a module of its own with no imports, so that ``ldn-evidence --help`` can list the choices
without loading the review layer (pydantic, numpy).
"""

#: continuous outcome families that can be pooled (``fiq`` pools FIQ and FIQR)
CONTINUOUS_OUTCOMES = ("pain", "fiq", "fiqr", "symptom_severity", "fatigue", "sleep", "mood", "depression",
                       "quality_of_life")
#: binary outcome families: harms (fewer is better) and responders (more is better)
BINARY_OUTCOMES = ("adverse_events", "serious_adverse_events", "discontinuation", "responders_30",
                   "responders_50")
#: every outcome family that can be pooled
OUTCOMES = CONTINUOUS_OUTCOMES + BINARY_OUTCOMES
#: effect measures for continuous outcomes (the first is the default)
CONTINUOUS_MEASURES = ("SMD", "MD")
#: effect measures for binary outcomes, metafor's codes (the first is the default)
BINARY_MEASURES = ("RR", "OR", "RD")
#: every effect measure
MEASURES = CONTINUOUS_MEASURES + BINARY_MEASURES
#: ratio measures: analysed on the log scale, shown exponentiated on a log axis
RATIO_MEASURES = ("RR", "OR")
#: tau² estimators, metafor's codes (the first is the default)
METHODS = ("REML", "DL", "PM", "EB", "ML", "HE", "HS", "SJ", "EE")
#: subgroup variables
BY = ("design", "line_of_therapy", "randomized", "blinding", "source", "none")


def default_measure(outcome: str) -> str:
    """SMD for a continuous outcome, RR for a binary one."""
    return BINARY_MEASURES[0] if outcome in BINARY_OUTCOMES else CONTINUOUS_MEASURES[0]
