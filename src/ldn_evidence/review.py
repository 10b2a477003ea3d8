"""The review: which studies, outcomes and analyses, tied together.

:func:`load_studies` returns a :class:`Review`: the validated records of a studies file
(:class:`ldn_evidence.records.StudyCollection`) plus the analysis methods a reviewer calls on them.
"""
from __future__ import annotations

import os

from .records import StudyCollection, read_studies

__all__ = ["Review", "load_studies"]


class Review(StudyCollection):
    """The studies of a review and the analyses run on them."""


def load_studies(path: str | os.PathLike | None = None) -> Review:
    """Load and validate a studies file (default: the bundled ``data/studies.yaml``).

    Raises :class:`ldn_evidence.records.StudiesFileError` listing every problem (file, line,
    study, field) when the file is not valid.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> review = le.load_studies()
    >>> review["due_bruun2024"].population.n_randomized
    99
    """
    return read_studies(path, cls=Review)
