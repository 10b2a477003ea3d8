"""Diagnostics of a fitted meta-analysis: pure functions over the engine.

* :mod:`.tsa` — trial sequential analysis maths: required information size, diversity,
  alpha- and beta-spending boundaries (Wetterslev 2008; Lan & DeMets 1983).

Leave-one-out, influence, cumulative, small-study tests, trim-and-fill, GOSH and permutation
tests are methods of :class:`ldn_evidence.models.MetaResult`.
"""
