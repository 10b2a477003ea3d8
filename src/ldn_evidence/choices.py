"""The vocabularies that the review layer and the command line share.

Kept in a module of its own with no imports, so that ``ldn-evidence --help`` can list the choices
without loading the review layer (pydantic, numpy).
"""

#: outcome families that can be pooled (``fiq`` pools FIQ and FIQR)
OUTCOMES = ("pain", "fiq", "fiqr", "symptom_severity", "fatigue", "sleep", "mood", "depression",
            "quality_of_life")
#: effect measures for continuous outcomes
MEASURES = ("SMD", "MD")
#: tau² estimators, metafor's codes (the first is the default)
METHODS = ("REML", "DL", "PM", "EB", "ML", "HE", "HS", "SJ", "EE")
#: subgroup variables
BY = ("design", "line_of_therapy", "randomized", "blinding", "source", "none")
