"""Deprecated: the diagnostics now live in :mod:`ldn_evidence.diagnostics` (one module per
diagnostic, below :mod:`ldn_evidence.models`). This path goes in 0.3."""
from ._deprecated import warn_moved

warn_moved("sensitivity", "ldn_evidence.diagnostics")

from .diagnostics import *  # noqa: E402,F401,F403
from .diagnostics import __all__  # noqa: E402,F401
from .diagnostics.gosh_subsets import masks_from_codes as _masks_from_codes  # noqa: E402,F401
