"""Old module paths (0.1) kept working for one release: each warns once and hands over the new module.

The layout of 0.2 puts every module in the package of its layer (records, effects, models,
diagnostics, plots, review, cli). Code that imported ``ldn_evidence.effect_sizes`` or
``ldn_evidence.living`` keeps working until 0.3, with a DeprecationWarning naming the new place.
"""
from __future__ import annotations

import importlib
import sys
import warnings

__all__ = ["moved", "warn_moved"]

#: the release in which the old paths go
REMOVED_IN = "0.3"
#: the old module paths (files in the package that only forward to the new place)
OLD_MODULES = ("choices", "effect_sizes", "conversions", "designs", "study_effects", "living", "tsa", "cli_living",
               "distributions", "sensitivity")


def warn_moved(old: str, new: str) -> None:
    """Warn that module ``ldn_evidence.<old>`` is now ``new``."""
    warnings.warn(f"ldn_evidence.{old} has moved to {new} (the old path goes in {REMOVED_IN})",
                  DeprecationWarning, stacklevel=4)


def moved(old: str, new: str) -> None:
    """Make ``ldn_evidence.<old>`` the module ``new`` itself (same object, private names included)."""
    warn_moved(old, new)
    sys.modules[f"ldn_evidence.{old}"] = importlib.import_module(new)
