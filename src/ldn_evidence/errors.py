"""Errors a user can fix, kept free of heavy imports so that the command line can catch them
without loading pydantic (about 0.1 s) before it needs to.

The command line turns each of these into one message and exit status 2 (``StudiesFileError``
lists every problem it holds); anything else is a failure of ours (exit status 1).

Examples
--------
>>> str(Problem("studies.yaml", 12, "younger2013", "population.n_analysed", "must be >= 0"))
"studies.yaml:12: study 'younger2013': field 'population.n_analysed': must be >= 0"
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "StudiesFileError", "ReviewError", "LivingError", "LockTimeout", "FileChangedError",
           "ReadOnlyReviewError", "ConvergenceError", "ConvergenceWarning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a studies file, located as precisely as the file allows."""

    file: str
    line: int | None
    study: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.study:
            parts.append(f"study '{self.study}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) + f": {self.message}"


class StudiesFileError(Exception):
    """A studies file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ReviewError(ValueError):
    """A request the review cannot answer as asked (unknown outcome, study id, subgroup variable ...)."""


class LivingError(Exception):
    """A change to the review that cannot be carried out as asked (nothing was written)."""


class LockTimeout(LivingError):
    """Another process holds the studies file's lock."""


class FileChangedError(LivingError):
    """The studies file changed on disk after it was read (another writer, e.g. ``ldn-evidence add``):
    saving the copy in memory would lose that change, so nothing was written."""


class ReadOnlyReviewError(LivingError):
    """The studies file is the copy installed inside the package (site-packages): not a user's to
    change. Nothing was written."""


class ConvergenceWarning(UserWarning):
    """An iterative tau^2 estimator did not converge (or was reset)."""


class ConvergenceError(RuntimeError):
    """Raised where metafor stops with an error (e.g. Fisher scoring did not converge)."""
