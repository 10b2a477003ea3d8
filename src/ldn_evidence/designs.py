"""Deprecated path of :mod:`ldn_evidence.effects.designs` (moved in 0.2; this path goes in 0.3)."""
from ._deprecated import moved

moved("designs", "ldn_evidence.effects.designs")
