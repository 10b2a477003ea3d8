"""Effect sizes: from the numbers trials report to ``yi`` and ``vi``, with how each was derived.

* :mod:`.measures` — metafor's ``escalc()`` measures (MD, SMD, SMDH, ROM, MC, SMCC, SMCR, RR, OR,
  RD, PR, PLO) with metafor's formulas and defaults.
* :mod:`.conversions` — SEs and SDs from CIs, p-values and medians (Cochrane Handbook ch. 6;
  Wan 2014, Luo 2018, Shi 2020).
* :mod:`.designs` — one function per design path: parallel, crossover (Elbourne 2002; Handbook
  23.2.7), single-arm pre-post, reported standardized effects.
* :mod:`.from_records` — picks, for each study record and outcome, the most direct path its
  data allow (one function per path) and says which it took; a review's arm names and
  contrasts come in as :class:`Terms`.

Examples
--------
>>> from ldn_evidence.effects import escalc
>>> escalc("MD", m1i=[5.0], sd1i=[2.0], n1i=[20], m2i=[6.0], sd2i=[2.0], n2i=[20])["yi"].tolist()
[-1.0]
"""
from .designs import DesignEffect
from .measures import MEASURES, escalc, escalc_arrays, hedges_j
from .from_records import StudyEffect, Terms, binary_effect, effect_for_outcome, outcome_entries

__all__ = ["escalc", "escalc_arrays", "hedges_j", "MEASURES", "DesignEffect", "StudyEffect", "Terms",
           "effect_for_outcome", "binary_effect", "outcome_entries"]
