"""The batch fitter: many random-effects meta-analyses at once, with metafor's rules.

* :mod:`.batch` — :func:`rma_batch`: masked 2-D arrays (one meta-analysis per row), every tau²
  estimator of metafor's ``rma.uni`` (EE DL HE HS SJ ML REML EB PM), z and Hartung-Knapp
  tests, Q-profile tau² intervals and prediction intervals, no Python loop over fits.
* :mod:`.zeroin` — a vectorised Brent root finder that takes the same steps as R's
  ``uniroot()`` (hand-written because matching R step for step is the point: metafor's answers
  depend on where its root finder stops).

Examples
--------
>>> from ldn_evidence.engine import rma_batch
>>> fit = rma_batch([[0.1, 0.3, 0.5]], [[0.02, 0.03, 0.04]], method="DL")
>>> round(float(fit.beta[0, 0]), 4)
0.2669
"""
from .batch import METHODS, TESTS, BatchFit, rma_batch

__all__ = ["rma_batch", "BatchFit", "METHODS", "TESTS"]
