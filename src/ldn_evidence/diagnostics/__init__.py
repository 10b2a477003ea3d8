"""Diagnostics of a fitted meta-analysis, with metafor's numbers: pure functions over the engine.

Every function takes a fitted :class:`~ldn_evidence.models.MetaResult` (intercept-only random-
or equal-effects model) and reproduces the metafor 3.8 function named in its docstring: same
rules, same defaults, same numbers (to 1e-6 relative; see docs/sensitivity.md). They are also
methods of ``MetaResult`` (``res.leave_one_out()`` ...). Refits go through the engine
(:func:`ldn_evidence.engine.rma_batch`, in chunks of bounded size: O(k) memory per fit) or
through ``res.update()`` (metafor's ``update()``); this layer sits below :mod:`ldn_evidence.models`
and never imports it.

=========================  =====================================  ==========================
function (module)          metafor                                returns
=========================  =====================================  ==========================
leave_one_out (leave1out)  leave1out(res)                         DataFrame (index = labels)
influence                  influence(res)                         DataFrame (index = labels)
  (influence_measures)
baujat (influence_measures) baujat(res) (its returned x, y)       DataFrame (index = labels)
cumulative (cumul)         cumul(res, order)                      DataFrame (index = labels)
egger_test (small_study)   regtest(res, predictor=, model=)       EggerResult
rank_test (small_study)    ranktest(res)                          RankTestResult
trim_and_fill (trimfill)   trimfill(res, estimator=, side=)       TrimFillResult
gosh (gosh_subsets)        gosh(res, subsets=)                    DataFrame, one row a subset
permutation_test           permutest(res, iter=, exact=)          PermutationResult
  (permutest)
=========================  =====================================  ==========================

* :mod:`.tsa` — trial sequential analysis maths: required information size, diversity,
  alpha- and beta-spending boundaries (Wetterslev 2008; Lan & DeMets 1983).

Egger's test, the rank test, trim-and-fill and GOSH carry a caveat below 10 studies
(:data:`MIN_K_ASYMMETRY`; Cochrane Handbook 13.3.5.4).

numpy is imported at module load, pandas when a DataFrame is first built.
"""
from ._common import MIN_K_ASYMMETRY, TABLE_BYTES_LIMIT, asymmetry_caveat
from .cumul import cumulative
from .gosh_subsets import GOSH_EXACT_LIMIT, gosh
from .influence_measures import baujat, influence
from .leave1out import leave_one_out
from .permutest import COMPTOL, PermutationResult, permutation_test
from .small_study import RANK_EXACT_MAX_K, EggerResult, RankTestResult, egger_test, rank_test
from .trimfill import TrimFillResult, trim_and_fill

__all__ = [
    "leave_one_out", "influence", "baujat", "cumulative", "egger_test", "rank_test", "trim_and_fill", "gosh",
    "permutation_test", "EggerResult", "RankTestResult", "TrimFillResult", "PermutationResult",
    "MIN_K_ASYMMETRY", "TABLE_BYTES_LIMIT", "GOSH_EXACT_LIMIT", "RANK_EXACT_MAX_K", "COMPTOL", "asymmetry_caveat",
]
