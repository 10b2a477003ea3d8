"""Deprecated path of :mod:`ldn_evidence.effects.from_records` (moved in 0.2; this path goes in 0.3)."""
from ._deprecated import moved

moved("study_effects", "ldn_evidence.effects.from_records")
