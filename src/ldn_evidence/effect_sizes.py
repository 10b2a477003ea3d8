"""Deprecated path of :mod:`ldn_evidence.effects.measures` (moved in 0.2; this path goes in 0.3)."""
from ._deprecated import moved

moved("effect_sizes", "ldn_evidence.effects.measures")
