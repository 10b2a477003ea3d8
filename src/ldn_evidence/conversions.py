"""Deprecated path of :mod:`ldn_evidence.effects.conversions` (moved in 0.2; this path goes in 0.3)."""
from ._deprecated import moved

moved("conversions", "ldn_evidence.effects.conversions")
