"""Cumulative meta-analysis, as metafor's ``cumul()``: the model of the first 1, 2, ..., k
studies in a given order. The one cumulative meta-analysis of the package (the review's
by-year table and trial sequential analysis use it through ``MetaResult.cumulative()``).

Fit ``i`` uses the first ``i + 1`` studies; a chunk of fits ``a .. b-1`` needs only the first
``b`` columns, so the memory is O(k) per fit and the work half that of k full fits.
"""
from __future__ import annotations

import numpy as np

from ._common import check_fit, fit_columns, fit_rows, frame, rows_per_chunk

__all__ = ["cumulative"]


def _entry_order(k, order, by):
    if order is not None and by is not None:
        raise ValueError("give either order (indices) or by (a sort key), not both")
    if by is not None:
        key = np.asarray(by)
        if key.shape != (k,):
            raise ValueError(f"by has {key.size} values but there are {k} studies")
        return np.argsort(key, kind="stable")
    if order is None:
        return np.arange(k)
    order = np.asarray(order)
    if order.shape != (k,) or not np.issubdtype(order.dtype, np.integer) \
            or not np.array_equal(np.sort(order), np.arange(k)):
        raise ValueError(f"order must be a permutation of the study indices 0..{k - 1}")
    return order


def cumulative(res, order=None, *, by=None, chunk_size=None):
    """Cumulative meta-analysis, as metafor's ``cumul()``.

    Parameters
    ----------
    res : MetaResult
    order : sequence of int, optional
        Study indices (0-based) in the order in which they enter, e.g. ``np.argsort(year,
        kind="stable")``. Default: the order of the data.
    by : sequence, optional
        Alternatively a sort key (metafor 3.8's ``order=`` argument, e.g. the years): studies
        enter in stably sorted order of ``by``.
    chunk_size : int, optional
        Fits per engine call; the results do not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per step (index = label of the study added), with ``k``, the columns of
        :func:`~ldn_evidence.diagnostics.leave_one_out` and the prediction interval
        (``pi_low``, ``pi_high``). Step 1 is the first study alone (tau^2 = 0, z test, as
        metafor).

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, 0.5], [0.02, 0.03, 0.04], method="DL", test="z")
    >>> cumulative(res, by=[2003, 2001, 2002])["estimate"].round(4).tolist()
    [0.3, 0.3857, 0.2669]
    """
    check_fit(res, "cumulative", kmin=1)
    k = res.k
    order = _entry_order(k, order, by)
    y = np.asarray(res.yi, float)[order]
    v = np.asarray(res.vi, float)[order]

    def chunk(a, b):
        mask = np.arange(b)[None, :] <= np.arange(a, b)[:, None]
        return np.broadcast_to(y[:b], mask.shape), np.broadcast_to(v[:b], mask.shape), mask

    fields = ("estimate", "se", "stat", "pvalue", "ci_low", "ci_high", "q", "q_pvalue", "tau2", "i2", "h2",
              "pi_low", "pi_high")
    rows = fit_rows(res, k, chunk, fields, chunk_rows=rows_per_chunk(k, chunk_size))
    cols = {"k": np.arange(1, k + 1)}
    cols.update(fit_columns(rows, res.test))
    cols["pi_low"], cols["pi_high"] = rows["pi_low"], rows["pi_high"]
    return frame(cols, [res.labels[i] for i in order])
