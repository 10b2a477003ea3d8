"""What the diagnostics share: the check of the fitted model, refits through the engine in
chunks of bounded size, the result frames, the feasibility check and the small-k caveat.

Refits go through :func:`ldn_evidence.engine.rma_batch` (the layer below) or through the fitted
model's own :meth:`~ldn_evidence.models.MetaResult.update` (metafor's ``update()``), never
through the fitting functions of :mod:`ldn_evidence.models` (the layer above).

Memory: a batch of ``m`` fits of ``k`` studies holds a few dozen ``(m, k)`` arrays, so the
diagnostics that need many fits (leave-one-out, influence, cumulative, GOSH, permutations) fit
them in chunks of :func:`rows_per_chunk` rows, about :data:`CHUNK_ELEMENTS` studies x fits per
chunk: O(k) memory per fit whatever the number of fits. What a diagnostic returns must fit in
:data:`TABLE_BYTES_LIMIT`; :func:`check_feasible` refuses before anything is allocated, saying
what would be needed.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..engine.batch import T_TESTS, rma_batch

__all__ = ["check_fit", "refit", "fit_rows", "rows_per_chunk", "frame", "fit_columns", "stat_name",
           "check_feasible", "asymmetry_caveat", "check_count", "check_seed", "check_flag", "MIN_K_ASYMMETRY",
           "TABLE_BYTES_LIMIT", "CHUNK_ELEMENTS"]

#: fits x studies per engine call (about 2 MB per (m, k) array): small enough to stay in cache-
#: friendly, reused memory, large enough that the per-call overhead does not show
CHUNK_ELEMENTS = 1 << 18
#: the most a diagnostic's result (and its working copy) may take before it is refused (1 GiB)
TABLE_BYTES_LIMIT = 1 << 30
#: below this many studies the tests for funnel-plot asymmetry are not assessable
#: (Cochrane Handbook 13.3.5.4: "tests for funnel plot asymmetry should be used only when there
#: are at least 10 studies included in the meta-analysis, because when there are fewer studies
#: the power of the tests is too low to distinguish chance from real asymmetry")
MIN_K_ASYMMETRY = 10


def check_fit(res, what, kmin=2):
    """``res`` must be a fitted intercept-only model with at least ``kmin`` studies."""
    if not hasattr(res, "yi") or not hasattr(res, "vi") or not hasattr(res, "method") or not hasattr(res, "update"):
        raise TypeError(f"{what}: expected a MetaResult from meta_analysis(), got {type(res).__name__}")
    if res.k < kmin:
        raise ValueError(f"{what}: stopped because k = {res.k} (metafor stops here too)")


def check_count(value, name, minimum=1, *, optional=False):
    """A whole number >= ``minimum`` (an int, or a float with an integer value), else ValueError naming ``name``.

    >>> check_count(1000.0, "n", 2)
    1000
    >>> check_count("many", "n", 2)
    Traceback (most recent call last):
    ...
    ValueError: n must be a whole number >= 2, got 'many'
    """
    if optional and value is None:
        return None
    ok = (not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))
          and math.isfinite(value) and float(value).is_integer() and value >= minimum)
    if not ok:
        raise ValueError(f"{name} must be a whole number >= {minimum}{' or None' if optional else ''}, got {value!r}")
    return int(value)


def check_seed(seed, name="seed"):
    """None, a non-negative integer or a :class:`numpy.random.Generator`, else ValueError naming ``name``."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be None, a non-negative integer or a numpy Generator, got {seed!r}")
    return int(seed)


def check_flag(value, name, *, optional=False):
    """True or False (or None when ``optional``), else ValueError naming ``name``."""
    if (optional and value is None) or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise ValueError(f"{name} must be True or False{' or None' if optional else ''}, got {value!r}")


def refit(res, yi, vi, mask=None, X=None, method=None, test=None, level=None, qprofile=False, control="model"):
    """One engine call with the model's settings (or those given), warnings silenced.

    The diagnostics report failed fits as NaN rows, as metafor's ``try()`` does, so the
    engine's messages are not shown once per refit.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return rma_batch(yi, vi, mask=mask, X=X, method=method or res.method, test=test or res.test,
                             level=res.level if level is None else level, qprofile=qprofile,
                             control=res.control if control == "model" else control)


def rows_per_chunk(k, chunk_size=None):
    """Fits per engine call for fits of up to ``k`` studies (``chunk_size`` overrides).

    >>> rows_per_chunk(10_000), rows_per_chunk(15), rows_per_chunk(10, chunk_size=97)
    (26, 17476, 97)
    """
    if chunk_size is not None:
        return check_count(chunk_size, "chunk_size", 1)
    return max(1, CHUNK_ELEMENTS // max(int(k), 1))


#: the per-fit numbers the diagnostics read from a batch fit
_ROW_FIELDS = {
    "estimate": lambda b: b.beta[:, 0], "se": lambda b: b.se[:, 0], "stat": lambda b: b.stat[:, 0],
    "pvalue": lambda b: b.pval[:, 0], "ci_low": lambda b: b.ci_low[:, 0], "ci_high": lambda b: b.ci_high[:, 0],
    "q": lambda b: np.where(b.converged, b.q, np.nan), "q_pvalue": lambda b: np.where(b.converged, b.q_pvalue, np.nan),
    "tau2": lambda b: b.tau2, "i2": lambda b: b.i2, "h2": lambda b: b.h2, "vb": lambda b: b.vb[:, 0, 0],
    "s2w": lambda b: b.s2w, "converged": lambda b: b.converged, "pi_low": lambda b: b.pi_low,
    "pi_high": lambda b: b.pi_high, "k": lambda b: b.k,
}


def fit_rows(res, m, chunk, fields, *, chunk_rows, **settings):
    """Fit ``m`` models in chunks of ``chunk_rows`` rows and gather ``fields`` (names of
    :data:`_ROW_FIELDS`) into arrays of length ``m``.

    ``chunk(a, b)`` returns ``(yi, vi, mask)`` for fits ``a .. b-1`` (arrays of ``b - a`` rows;
    ``mask`` may be None). ``settings`` go to :func:`refit`.
    """
    out = {name: np.empty(m, dtype=bool if name == "converged" else float) for name in fields}
    for a in range(0, m, chunk_rows):
        b_ = min(m, a + chunk_rows)
        yi, vi, mask = chunk(a, b_)
        fit = refit(res, yi, vi, mask=mask, **settings)
        for name in fields:
            out[name][a:b_] = _ROW_FIELDS[name](fit)
    return out


def stat_name(test):
    """``"tval"`` under the t-based tests, ``"zval"`` under z (metafor's column names)."""
    return "tval" if test in T_TESTS else "zval"


def frame(columns, index, name="study"):
    """A DataFrame of ``columns`` indexed by the study labels."""
    import pandas as pd

    return pd.DataFrame(columns, index=pd.Index([str(x) for x in index], name=name))


def fit_columns(rows, test):
    """The columns metafor's ``leave1out()`` / ``cumul()`` report, from :func:`fit_rows` output."""
    cols = {name: rows[name] for name in ("estimate", "se")}
    cols[stat_name(test)] = rows["stat"]
    cols.update({name: rows[name] for name in ("pvalue", "ci_low", "ci_high", "q", "q_pvalue", "tau2", "i2", "h2")})
    return cols


def _size(nbytes):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes / 1024:.0f} KiB"


def check_feasible(what, nbytes, advice):
    """Refuse (ValueError) before allocating ``nbytes`` over :data:`TABLE_BYTES_LIMIT`.

    >>> check_feasible("gosh", 2e9, "give max_subsets <= 50,000")
    Traceback (most recent call last):
    ...
    ValueError: gosh would need about 1.9 GiB of memory (more than the 1.0 GiB allowed); give max_subsets <= 50,000
    """
    if nbytes > TABLE_BYTES_LIMIT:
        raise ValueError(f"{what} would need about {_size(nbytes)} of memory (more than the "
                         f"{_size(TABLE_BYTES_LIMIT)} allowed); {advice}")


def asymmetry_caveat(k, what, tell="chance from real funnel-plot asymmetry"):
    """The note a small-study diagnostic carries below :data:`MIN_K_ASYMMETRY` studies, or None.

    It starts with "not assessable (k < 10)", the words the sensitivity tables use.

    >>> print(asymmetry_caveat(4, "Egger's test"))
    not assessable (k < 10): with k = 4 studies Egger's test has too little power to tell chance from real funnel-plot asymmetry (Cochrane Handbook 13.3.5.4); the numbers are shown, not interpreted
    >>> asymmetry_caveat(12, "Egger's test") is None
    True
    """
    if k >= MIN_K_ASYMMETRY:
        return None
    return (f"not assessable (k < {MIN_K_ASYMMETRY}): with k = {k} studies {what} has too little power to tell "
            f"{tell} (Cochrane Handbook 13.3.5.4); the numbers are shown, not interpreted")
