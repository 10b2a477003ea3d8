"""Deprecated: the TSA maths now live in :mod:`ldn_evidence.diagnostics.tsa` and the review's TSA
in :mod:`ldn_evidence.review.tsa`. This path goes in 0.3."""
from ._deprecated import warn_moved

warn_moved("tsa", "ldn_evidence.diagnostics.tsa and ldn_evidence.review.tsa")

from .diagnostics.tsa import *  # noqa: E402,F401,F403
from .diagnostics.tsa import __all__ as _maths  # noqa: E402
from .review.tsa import TSAResult, trial_sequential_analysis  # noqa: E402

__all__ = list(_maths) + ["TSAResult", "trial_sequential_analysis"]
