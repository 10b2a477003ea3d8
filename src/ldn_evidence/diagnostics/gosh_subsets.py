"""GOSH: the model fitted to subsets of the studies (Olkin, Dahabreh & Trikalinos 2012), as
metafor's ``gosh()``.

Every non-empty subset is fitted when there are at most :data:`GOSH_EXACT_LIMIT` of them
(metafor's rule); otherwise random subsets are drawn. The subsets are drawn and fitted in
chunks (O(k) memory per fit); the result table (one boolean column per study) is checked
against :data:`~._common.TABLE_BYTES_LIMIT` before anything is allocated.

Reference: Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study
heterogeneity. Res Synth Methods 3:214-223.
"""
from __future__ import annotations

import numpy as np

from ._common import (TABLE_BYTES_LIMIT, asymmetry_caveat, check_count, check_feasible, check_fit, check_seed,
                      fit_rows, rows_per_chunk)

__all__ = ["gosh", "GOSH_EXACT_LIMIT"]

#: GOSH: all subsets are fitted when there are at most this many (metafor's gosh() rule)
GOSH_EXACT_LIMIT = 10**6
#: bytes per subset besides its k membership flags: k, q, i2, h2, tau2, estimate, subset
_ROW_BYTES = 7 * 8


def masks_from_codes(codes, k):
    """Rows of booleans from bitmasks: bit j of ``codes[i]`` says whether study j is in row i."""
    return ((codes[:, None] >> np.arange(k, dtype=np.int64)) & 1).astype(bool)


def _codes(incl):
    """The bitmask of each row of ``incl`` (k <= 62 columns), one column at a time (O(m) memory)."""
    codes = np.zeros(incl.shape[0], dtype=np.int64)
    for j in range(incl.shape[1]):
        codes |= incl[:, j].astype(np.int64) << j
    return codes


def _all_subsets(k, chunk_rows):
    """Every non-empty subset of k studies, by size, then by bitmask (metafor's order)."""
    codes = np.arange(1, 1 << k, dtype=np.int64)
    size = np.zeros(codes.size, dtype=np.int8)
    for j in range(k):
        size += ((codes >> j) & 1).astype(np.int8)
    codes = codes[np.argsort(size, kind="stable")]
    incl = np.empty((codes.size, k), dtype=bool)
    for a in range(0, codes.size, chunk_rows):
        incl[a:a + chunk_rows] = masks_from_codes(codes[a:a + chunk_rows], k)
    return incl


def _random_subsets(k, m, seed, chunk_rows):
    """``m`` random subsets (each study in with probability 1/2; empty ones redrawn), sorted by size.

    Drawn chunk by chunk from one stream, so the subsets are those of one ``rng.random((m, k))``
    call without its m x k floats in memory; held as bits (``numpy.packbits``) until sorted, so
    the sort needs an eighth of the table's memory besides the table.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    packed = np.empty((m, (k + 7) // 8), dtype=np.uint8)
    size = np.empty(m, dtype=np.int64)
    for a in range(0, m, chunk_rows):
        b = min(m, a + chunk_rows)
        draw = rng.random((b - a, k)) < 0.5
        packed[a:b] = np.packbits(draw, axis=1)
        size[a:b] = draw.sum(axis=1)
    empty = np.flatnonzero(size == 0)
    while empty.size:
        draw = rng.random((empty.size, k)) < 0.5
        packed[empty] = np.packbits(draw, axis=1)
        size[empty] = draw.sum(axis=1)
        empty = empty[size[empty] == 0]
    order = np.argsort(size, kind="stable")
    incl = np.empty((m, k), dtype=bool)
    for a in range(0, m, chunk_rows):
        incl[a:a + chunk_rows] = np.unpackbits(packed[order[a:a + chunk_rows]], axis=1, count=k).astype(bool)
    return incl


def _packed(mask, y, v):
    """The studies of each subset moved to the left, in their order: ``(yi, vi, mask)`` of width
    the largest subset of the chunk (the rows are sorted by size, so a chunk's subsets are of
    about one size and the fits do half the work of full-width masked rows)."""
    counts = mask.sum(axis=1)
    width = int(counts.max())
    rows, cols = np.nonzero(mask)
    pos = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    yp = np.zeros((mask.shape[0], width))
    vp = np.ones((mask.shape[0], width))
    yp[rows, pos] = y[cols]
    vp[rows, pos] = v[cols]
    return yp, vp, np.arange(width)[None, :] < counts[:, None]


def _study_columns(labels, taken):
    names = []
    for lab in labels:
        name = str(lab)
        if name in taken or name in names:
            name = f"study {name}"
        while name in names:
            name += "'"
        names.append(name)
    return names


def gosh(res, max_subsets=None, seed=None, *, chunk_size=None):
    """Graphical display of study heterogeneity (Olkin et al. 2012), as metafor's ``gosh()``.

    Parameters
    ----------
    res : MetaResult
    max_subsets : int, optional
        Fit every non-empty subset when there are at most this many (default 10**6,
        metafor's rule), otherwise this many random subsets (default 10**6): each study in
        with probability 1/2, empty subsets redrawn (the distribution metafor samples from).
    seed : int or numpy Generator, optional
        For the random subsets.
    chunk_size : int, optional
        Fits per engine call; the results do not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per subset, ordered as metafor's (by k; within k, all subsets in the order of
        their bitmask, i.e. ``expand.grid`` order): ``k, q, i2, h2, tau2, estimate``,
        ``subset`` (the bitmask: bit j set when study j is in; only for k <= 62) and one
        boolean column per study, named by its label (``"study <label>"`` if the label clashes
        with a statistic's name). ``df.attrs`` holds ``exact``, ``method``, ``labels``,
        ``study_columns``, ``k`` and ``notes`` (the small-k caveat below 10 studies). Failed
        fits are NaN (metafor drops them from its plot).

    Raises
    ------
    ValueError
        When the table would not fit in :data:`~._common.TABLE_BYTES_LIMIT` (it has a column
        per study: 10**6 random subsets of 10,000 studies would need 19 GiB); the message
        says how many subsets would fit.

    Notes
    -----
    For DL and EE, I^2 = max(0, 100 (Q - (k-1)) / Q) and H^2 = Q / (k-1), as metafor's
    fast path in gosh() (so H^2 < 1 when Q < k-1, unlike rma()); for the other methods I^2
    and H^2 are those of the fitted model.

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, 0.5], [0.02, 0.03, 0.04], method="DL", test="z", labels=["a", "b", "c"])
    >>> g = gosh(res)
    >>> g[["k", "subset", "a", "b", "c"]].values.tolist()[:4]
    [[1, 1, True, False, False], [1, 2, False, True, False], [1, 4, False, False, True], [2, 3, True, True, False]]
    """
    check_fit(res, "gosh")
    import pandas as pd

    k = res.k
    limit = GOSH_EXACT_LIMIT if max_subsets is None else check_count(max_subsets, "max_subsets", 2)
    seed = check_seed(seed)
    exact = k <= 62 and (1 << k) - 1 <= limit
    m = (1 << k) - 1 if exact else limit
    per_row = k + (k + 7) // 8 + _ROW_BYTES          # the flags, their bits while sorting, the statistics
    check_feasible(f"gosh() with {m:,} {'' if exact else 'random '}subsets of k = {k:,} studies", m * per_row,
                   f"give max_subsets <= {TABLE_BYTES_LIMIT // per_row:,} (a table column per study)")
    chunk_rows = rows_per_chunk(k, chunk_size)
    incl = _all_subsets(k, chunk_rows) if exact else _random_subsets(k, m, seed, chunk_rows)
    y = np.asarray(res.yi, float)
    v = np.asarray(res.vi, float)

    def chunk(a, b):
        return _packed(incl[a:b], y, v)

    rows = fit_rows(res, m, chunk, ("estimate", "tau2", "q", "i2", "h2"), chunk_rows=chunk_rows, test="z")
    kk = incl.sum(axis=1)
    i2, h2 = rows["i2"], rows["h2"]
    if res.method in ("DL", "EE"):
        with np.errstate(all="ignore"):
            df = kk - 1.0
            q = rows["q"]
            i2 = np.where(kk > 1, np.maximum(0.0, 100 * (q - df) / q), 0.0)
            h2 = np.where(kk > 1, q / df, 1.0)
    cols = {"k": kk, "q": rows["q"], "i2": i2, "h2": h2, "tau2": rows["tau2"], "estimate": rows["estimate"]}
    if k <= 62:
        cols["subset"] = _codes(incl)
    names = _study_columns(res.labels, cols)
    out = pd.DataFrame(incl, columns=names, copy=False)        # the flags are not copied again
    for pos, (name, values) in enumerate(cols.items()):
        out.insert(pos, name, values)
    caveat = asymmetry_caveat(k, "GOSH", tell="chance from real clusters of influential studies")
    out.attrs.update({"exact": bool(exact), "method": res.method, "labels": list(res.labels),
                      "study_columns": names, "k": k, "notes": [caveat] if caveat else []})
    return out
