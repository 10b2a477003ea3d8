"""Random-effects meta-analysis engine with metafor's numbers.

Public functions
----------------
meta_analysis(yi, vi, method="REML", test="knha", level=95, labels=None) -> MetaResult
meta_regression(yi, vi, X, method="REML", test="z", level=95, labels=None) -> MetaRegressionResult
subgroup_analysis(yi, vi, groups, method="REML", test="knha", level=95, labels=None, tau2="separate")
    -> SubgroupResult
rma_batch(yi, vi, mask=None, X=None, method="REML", test="z", level=95, qprofile=True) -> BatchFit
    the vectorised core: m meta-analyses (rows) at once, with a study mask per row

Defaults follow Cochrane/RevMan (2025): REML tau^2, Hartung-Knapp-Sidik-Jonkman confidence
interval for the mean (``test="knha"``, t with k-1 df, Hartung & Knapp 2001; Sidik & Jonkman
2002), Q-profile interval for tau^2 (Viechtbauer 2007) and a prediction interval (Cochrane
Handbook 10.10.4.3). ``test`` takes metafor's four codes, "z", "t", "knha" and "adhoc" (the
modified Hartung-Knapp method, whose variance factor is at least 1), in any spelling that
:func:`normalize_test` accepts ("hksj", "KH", ...); every function of the package normalises it
with that one function.

Why our own engine
------------------
Users check our numbers against R's metafor (Viechtbauer 2010), which is the reference
implementation reviewers know; we promise agreement to 1e-6 (relative). Existing Python
packages do not give that: statsmodels' ``combine_effects`` has DL/PM/iterated estimators but
no ML/REML/EB/HE/HS/SJ with metafor's Fisher-scoring rules (start at HE, threshold 1e-5,
step halving, the likelihood check at tau^2 = 0), no Q-profile interval and no knha
prediction interval; PyMARE optimises the likelihood with scipy (so its REML stops at a
different point than metafor's scoring), has no Q-profile interval, I^2 with metafor's
typical within-study variance, or masks. Neither fits thousands of meta-analyses at once,
which leave-one-out, GOSH and permutation analyses need. metafor's absolute tolerances
(1e-5 for scoring; ``.Machine$double.eps^0.25`` for ``uniroot``) mean a "more exact" optimum
is *further* from metafor than 1e-6, so we reproduce its iterations step by step.

The statistics are pure functions on arrays (:mod:`ldn_evidence.engine`); importing this module imports
numpy and scipy.special (pandas is imported when first needed).

References
----------
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. J Educ Behav Stat 30:261-293.
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
Stat Med 26:37-52.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw
36(3).
Hartung J, Knapp G (2001). On tests of the overall treatment effect in meta-analysis with
normally distributed responses. Stat Med 20:1771-1782.
Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions,
sections 10.10.4 (heterogeneity, prediction intervals) and 10.11.3 (subgroup analyses).
"""
from ._api import (
    ConvergenceError,
    ConvergenceWarning,
    MetaRegressionResult,
    MetaResult,
    SubgroupResult,
    meta_analysis,
    meta_regression,
    subgroup_analysis,
)
from ..engine.batch import KH_TESTS, METHODS, T_TESTS, TESTS, BatchFit, normalize_method, normalize_test, rma_batch

__all__ = [
    "meta_analysis",
    "meta_regression",
    "subgroup_analysis",
    "MetaResult",
    "MetaRegressionResult",
    "SubgroupResult",
    "rma_batch",
    "BatchFit",
    "ConvergenceError",
    "ConvergenceWarning",
    "METHODS",
    "TESTS",
    "T_TESTS",
    "KH_TESTS",
    "normalize_test",
    "normalize_method",
]
