"""Deprecated: the living-review commands are modules of :mod:`ldn_evidence.cli`. This path goes in 0.3."""
from ._deprecated import warn_moved

warn_moved("cli_living", "ldn_evidence.cli")

from .cli import add, cumulative, diff, prisma, tsa  # noqa: E402

__all__ = ["add", "diff", "prisma", "cumulative", "tsa"]
