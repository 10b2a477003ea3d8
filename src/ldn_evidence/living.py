"""Deprecated: the living-review operations now live in :mod:`ldn_evidence.review.add`,
:mod:`ldn_evidence.review.diff`, :mod:`ldn_evidence.review.by_year`,
:mod:`ldn_evidence.records.files` (the lock) and :mod:`ldn_evidence.records.duplicates`.
This path goes in 0.3."""
from ._deprecated import warn_moved

warn_moved("living", "ldn_evidence.review.add / .diff / .by_year and ldn_evidence.records")

from .errors import LivingError, LockTimeout  # noqa: E402
from .records.duplicates import TITLE_SIMILARITY, find_duplicates, normalise_title  # noqa: E402
from .records.files import LOCK_TIMEOUT, lock_path_for, studies_lock  # noqa: E402
from .review.add import AddResult, OutcomeChange, add_records, touched_outcomes  # noqa: E402
from .review.by_year import cumulative_by_year  # noqa: E402
from .review.diff import ReviewDiff, _conclusion_flags, diff_reviews, git_revision_files  # noqa: E402,F401

__all__ = [
    "LivingError", "LockTimeout", "studies_lock", "find_duplicates", "add_records", "AddResult",
    "diff_reviews", "ReviewDiff", "cumulative_by_year", "git_revision_files", "touched_outcomes",
    "LOCK_TIMEOUT", "TITLE_SIMILARITY", "normalise_title", "lock_path_for", "OutcomeChange",
]
