"""Leave-one-out analysis, as metafor's ``leave1out()``: the model refitted without each study.

The k fits of k - 1 studies go through the engine in chunks (:func:`._common.fit_rows`), so
the memory is O(k) per fit: at k = 10,000 a chunk is a few dozen fits, never a k x k array.
"""
from __future__ import annotations

import numpy as np

from ._common import check_fit, fit_columns, fit_rows, frame, rows_per_chunk

__all__ = ["leave_one_out", "leave_one_out_rows"]

#: what leave_one_out() and influence() read from the refits
_FIELDS = ("estimate", "se", "stat", "pvalue", "ci_low", "ci_high", "q", "q_pvalue", "tau2", "i2", "h2", "vb",
           "s2w", "converged")


def leave_one_out_rows(res, fields=_FIELDS, *, chunk_size=None):
    """The k leave-one-out fits of ``res`` as arrays (one entry per omitted study).

    Fit ``i`` omits study ``i``; the model's method, test, level and control are kept.
    """
    k = res.k
    y = np.asarray(res.yi, float)
    v = np.asarray(res.vi, float)

    def chunk(a, b):
        mask = np.ones((b - a, k), dtype=bool)
        mask[np.arange(b - a), np.arange(a, b)] = False
        return np.broadcast_to(y, mask.shape), np.broadcast_to(v, mask.shape), mask

    return fit_rows(res, k, chunk, fields, chunk_rows=rows_per_chunk(k, chunk_size))


def leave_one_out(res, *, chunk_size=None):
    """Leave-one-out analysis, as metafor's ``leave1out()``.

    Parameters
    ----------
    res : MetaResult
        An intercept-only model from :func:`~ldn_evidence.models.meta_analysis`.
    chunk_size : int, optional
        Fits per engine call (default: about 2.6e5 / k); the results do not depend on it.

    Returns
    -------
    pandas.DataFrame
        Indexed by the omitted study's label, with columns ``estimate, se, zval`` (``tval``
        under t, knha and adhoc), ``pvalue, ci_low, ci_high, q, q_pvalue, tau2, i2, h2``: the
        model (same method, test, level) fitted to the other k - 1 studies. A fit that fails
        (metafor's ``try()``) is a row of NaN.

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, 0.5, 0.2], [0.02, 0.03, 0.04, 0.02], method="DL", test="z")
    >>> leave_one_out(res)["estimate"].round(4).tolist()
    [0.3, 0.2297, 0.1875, 0.2669]
    """
    check_fit(res, "leave_one_out")
    return frame(fit_columns(leave_one_out_rows(res, chunk_size=chunk_size), res.test), res.labels)
