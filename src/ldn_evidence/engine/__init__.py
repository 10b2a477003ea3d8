"""The batch fitter: many random-effects meta-analyses at once, with metafor's rules.

* :mod:`.batch` — :func:`rma_batch`: masked 2-D arrays (one meta-analysis per row), every tau²
  estimator of metafor's ``rma.uni`` (EE DL HE HS SJ ML REML EB PM), z, t and Hartung-Knapp
  tests, Q-profile tau² intervals and prediction intervals, no Python loop over fits; its
  steps are named functions; :func:`tau2_profile_ci` (the Q-profile interval at another level,
  without refitting) and :func:`check_control` (the iteration settings, checked).
* :mod:`.estimators` — the tau² estimators, one function per family: the closed forms (HS,
  HE, DL, SJ), Fisher scoring (ML, REML, EB), Paule-Mandel (PM).
* :mod:`.kernels` — the weighted least-squares quantities (traces of metafor's ``P``): O(k)
  closed forms for intercept-only models, explicit ``P`` or O(k p²) traces with moderators.
* :mod:`.qprofile` — the Q-profile confidence interval for tau² (Viechtbauer 2007).
* :mod:`.zeroin` — a vectorised Brent root finder that takes the same steps as R's
  ``uniroot()`` (hand-written because matching R step for step is the point: metafor's answers
  depend on where its root finder stops).

The iterations (Fisher scoring, ``uniroot()``) are written out rather than left to
``scipy.optimize`` for the same reason: metafor stops at absolute tolerances (1e-5 on tau², about
1.2e-4 for ``uniroot()``), so a more exact optimum is further from metafor's numbers than the
1e-6 we promise.

Examples
--------
>>> from ldn_evidence.engine import rma_batch
>>> fit = rma_batch([[0.1, 0.3, 0.5]], [[0.02, 0.03, 0.04]], method="DL")
>>> round(float(fit.beta[0, 0]), 4)
0.2669
"""
from .batch import METHODS, TESTS, BatchFit, check_control, rma_batch, tau2_profile_ci

__all__ = ["rma_batch", "BatchFit", "METHODS", "TESTS", "tau2_profile_ci", "check_control"]
