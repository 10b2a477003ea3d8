"""Deprecated: the choices now live in :mod:`ldn_evidence.vocabulary` (what the method fixes) and
:mod:`ldn_evidence.review.outcomes` (the review's outcomes). This path goes in 0.3."""
from ._deprecated import warn_moved

warn_moved("choices", "ldn_evidence.vocabulary and ldn_evidence.review.outcomes")

from .review.outcomes import BINARY_OUTCOMES, CONTINUOUS_OUTCOMES, OUTCOMES, default_measure  # noqa: E402
from .vocabulary import BINARY_MEASURES, BY, CONTINUOUS_MEASURES, MEASURES  # noqa: E402
from .vocabulary import REVIEW_METHODS as METHODS  # noqa: E402

RATIO_MEASURES = ("RR", "OR")

__all__ = ["CONTINUOUS_OUTCOMES", "BINARY_OUTCOMES", "OUTCOMES", "CONTINUOUS_MEASURES", "BINARY_MEASURES",
           "MEASURES", "RATIO_MEASURES", "METHODS", "BY", "default_measure"]
