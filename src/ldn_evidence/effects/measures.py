"""Effect sizes and sampling variances, computed as R's ``metafor::escalc`` does.

:func:`escalc` mirrors ``metafor::escalc`` for the measures a systematic review of
treatment trials needs: the argument names, the defaults (``add=1/2``, ``to="only0"``,
``drop00=False``, ``vtype="LS"``) and the formulas are metafor's.  The formulas were
taken from the metafor 3.8-1 source (``R/escalc.r``, ``R/misc.func.hidden.escalc.r``;
Viechtbauer 2010, J Stat Softw 36(3)), which is the version the reference values in
``tests/reference/escalc/metafor_escalc.json`` were produced with.  Agreement is checked
to 1e-6 relative in ``tests/test_effect_sizes.py``.

Measures
--------
two groups, means/SDs   ``MD``, ``SMD``, ``SMDH``, ``ROM``
  (``m1i sd1i n1i m2i sd2i n2i``)
pre-post / paired       ``MC``, ``SMCC``, ``SMCR``
  (``m1i m2i sd1i sd2i ni ri``; ``sd2i`` not needed for ``SMCR``)
two groups, 2x2 counts  ``RR``, ``OR``, ``RD``
  (``ai bi ci di`` or ``ai n1i ci n2i``)
single proportion       ``PR``, ``PLO``
  (``xi mi`` or ``xi ni``)

Version note: for ``SMDH`` metafor >= 4.0 dropped the ``J^2`` factor from the "LS"
variance; this module follows 3.8-1 (see ``docs/effect_sizes.md``).  All other measures
here have the same default formulas in 3.8-1 and in metafor 5.1.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import special

from ..vocabulary import ESCALC_MEASURES
from ._inputs import checked_arrays, is_series as _is_series

__all__ = ["escalc", "MEASURES", "hedges_j"]

#: measures implemented, in the order they are documented
MEASURES: tuple[str, ...] = ESCALC_MEASURES

_TWO_GROUP = ("MD", "SMD", "SMDH", "ROM")
_CHANGE = ("MC", "SMCC", "SMCR")
_BINARY = ("RR", "OR", "RD")
_PROP = ("PR", "PLO")

#: vtype values accepted per measure (metafor 3.8-1; "LS" is always the default)
_VTYPES: dict[str, tuple[str, ...]] = {
    "MD": ("LS", "UB", "HO"),
    "SMD": ("LS", "UB", "LS2", "AV"),
    "SMDH": ("LS", "LS2"),
    "ROM": ("LS", "HO", "AV", "AVHO"),
    "MC": ("LS",),
    "SMCC": ("LS", "LS2"),
    "SMCR": ("LS", "LS2"),
    "RR": ("LS",),
    "OR": ("LS",),
    "RD": ("LS", "UB", "AV"),
    "PR": ("LS", "UB", "AV"),
    "PLO": ("LS", "AV"),
}

_TO = ("all", "only0", "if0all", "none")

_ARG_NAMES = ("ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "m2i", "sd1i", "sd2i",
              "xi", "mi", "ni", "ri")


def hedges_j(m: Any) -> np.ndarray:
    """Exact small-sample bias correction factor of Hedges (1981).

    ``J(m) = Gamma(m/2) / (sqrt(m/2) * Gamma((m-1)/2))``, computed on the log scale
    (so it does not overflow for large ``m``); NaN for ``m <= 1``.  ``m`` is the degrees
    of freedom of the standardiser: ``n1 + n2 - 2`` for two independent groups,
    ``n - 1`` for one group (metafor ``.cmicalc``).

    References
    ----------
    Hedges LV (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. J Educ Stat 6(2):107-128, eq. 6e.
    """
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.exp(special.gammaln(m / 2) - np.log(np.sqrt(m / 2)) - special.gammaln((m - 1) / 2))
    return np.where(m <= 1, np.nan, out)


# --------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------

def _collect(arrays: dict[str, Any]) -> tuple[dict[str, np.ndarray | None], Any, int]:
    """Convert inputs to float arrays of one common length; return them, index, k.

    pandas Series are aligned on their index (or refused when their labels differ) and masked
    entries of masked arrays are missing (NaN): see :mod:`ldn_evidence.effects._inputs`."""
    lengths: dict[str, int] = {}
    converted, index = checked_arrays(arrays)
    out: dict[str, np.ndarray | None] = {}
    for name, arr in converted.items():
        if arr is None:
            out[name] = None
            continue
        if arr.ndim > 1:
            raise ValueError(f"argument {name!r} must be a scalar or one-dimensional")
        if arr.ndim == 1:
            lengths[name] = arr.shape[0]
        out[name] = arr
    distinct = set(lengths.values())
    if len(distinct) > 1:
        detail = ", ".join(f"{n}={k}" for n, k in lengths.items())
        raise ValueError(f"supplied data vectors are not all of the same length ({detail})")
    k = distinct.pop() if distinct else 1
    for name, arr in out.items():
        if arr is not None and arr.ndim == 0:
            out[name] = np.full(k, float(arr))
    if index is not None and len(index) != k:
        index = None
    return out, index, k


def _require(measure: str, a: dict[str, np.ndarray | None], names: tuple[str, ...]) -> None:
    missing = [n for n in names if a.get(n) is None]
    if missing:
        raise ValueError(
            f"measure {measure!r} needs argument(s) {', '.join(missing)} "
            f"(required: {', '.join(names)})"
        )


def _vtype_vector(measure: str, vtype: Any, k: int) -> np.ndarray:
    v = np.asarray(vtype, dtype=object)
    if v.ndim == 0:
        v = np.full(k, v.item(), dtype=object)
    if v.shape[0] != k:
        raise ValueError(f"'vtype' must be a single value or have length {k}")
    allowed = _VTYPES[measure]
    bad = sorted({str(x) for x in v if x not in allowed})
    if bad:
        raise ValueError(
            f"for measure {measure!r}, 'vtype' must be one of {', '.join(allowed)} "
            f"(got {', '.join(bad)})"
        )
    return v


def _neg(x: np.ndarray | None) -> bool:
    return x is not None and bool(np.any(x[~np.isnan(x)] < 0))


def _nonpos(x: np.ndarray | None) -> bool:
    return x is not None and bool(np.any(x[~np.isnan(x)] <= 0))


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~(np.isnan(x) | np.isnan(w))
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok]))


# --------------------------------------------------------------------------------------
# the measures
# --------------------------------------------------------------------------------------

def _two_group(measure: str, a: dict, vt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m1, m2, s1, s2, n1, n2 = (a[x] for x in ("m1i", "m2i", "sd1i", "sd2i", "n1i", "n2i"))
    if _neg(s1) or _neg(s2):
        raise ValueError("one or more standard deviations (sd1i, sd2i) are negative")
    if _nonpos(n1) or _nonpos(n2):
        raise ValueError("one or more group sizes (n1i, n2i) are <= 0")
    ni = n1 + n2
    mi = ni - 2
    sdp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / mi)
    if measure == "MD":
        yi = m1 - m2
        vi = np.where(vt == "HO", sdp**2 * (1 / n1 + 1 / n2), s1**2 / n1 + s2**2 / n2)
        return yi, vi
    if measure == "SMD":
        cm = hedges_j(mi)
        di = (m1 - m2) / sdp
        yi = cm * di
        base = 1 / n1 + 1 / n2
        vi = base + yi**2 / (2 * ni)  # LS: Hedges & Olkin (1985) with g plugged in
        if np.any(vt == "UB"):
            vi = np.where(vt == "UB", base + (1 - (mi - 2) / (mi * cm**2)) * yi**2, vi)
        if np.any(vt == "LS2"):
            vi = np.where(vt == "LS2", cm**2 * (base + di**2 / (2 * ni)), vi)
        if np.any(vt == "AV"):
            vi = np.where(vt == "AV", base + _wmean(yi, ni) ** 2 / (2 * ni), vi)
        return yi, vi
    if measure == "SMDH":
        cm = hedges_j(mi)
        si2 = s1**2 + s2**2
        yi = cm * (m1 - m2) / np.sqrt(si2 / 2)
        ls = cm**2 * (
            yi**2 * (s1**4 / (n1 - 1) + s2**4 / (n2 - 1)) / (2 * si2**2)
            + (s1**2 / (n1 - 1) + s2**2 / (n2 - 1)) / (si2 / 2)
        )
        ls2 = (yi**2 * s1**2 / (2 * n1 * si2**2) + yi**2 * s2**2 / (2 * n2 * si2**2)
               + 2 * s1**2 / (n1 * si2) + 2 * s2**2 / (n2 * si2))
        return yi, np.where(vt == "LS2", ls2, ls)
    # ROM
    with np.errstate(invalid="ignore", divide="ignore"):
        yi = np.log(m1 / m2)
        cv1, cv2 = s1 / m1, s2 / m2
    vi = s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2)
    vi = np.where(vt == "HO", sdp**2 / (n1 * m1**2) + sdp**2 / (n2 * m2**2), vi)
    if np.any(vt == "AV"):
        vi = np.where(vt == "AV", _wmean(cv1, n1) ** 2 / n1 + _wmean(cv2, n2) ** 2 / n2, vi)
    if np.any(vt == "AVHO"):
        ok = ~(np.isnan(n1) | np.isnan(n2) | np.isnan(cv1) | np.isnan(cv2))
        mcv = (np.sum(n1[ok] * cv1[ok]) + np.sum(n2[ok] * cv2[ok])) / np.sum((n1 + n2)[ok])
        vi = np.where(vt == "AVHO", mcv**2 * (1 / n1 + 1 / n2), vi)
    return yi, vi


def _change(measure: str, a: dict, vt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m1, m2, s1, s2, ni, ri = (a[x] for x in ("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"))
    if _neg(s1) or (measure != "SMCR" and _neg(s2)):
        raise ValueError("one or more standard deviations (sd1i, sd2i) are negative")
    if ri is not None and np.any(np.abs(ri[~np.isnan(ri)]) > 1):
        raise ValueError("one or more correlations (ri) are > 1 or < -1")
    if _nonpos(ni):
        raise ValueError("one or more sample sizes (ni) are <= 0")
    mi = ni - 1
    if measure == "MC":
        return m1 - m2, (s1**2 + s2**2 - 2 * ri * s1 * s2) / ni
    cm = hedges_j(mi)
    if measure == "SMCC":
        di = (m1 - m2) / np.sqrt(s1**2 + s2**2 - 2 * ri * s1 * s2)
        yi = cm * di
        vi = np.where(vt == "LS2", cm**2 * (1 / ni + di**2 / (2 * ni)), 1 / ni + yi**2 / (2 * ni))
        return yi, vi
    # SMCR: raw-score standardisation by sd1i (Becker 1988)
    di = (m1 - m2) / s1
    yi = cm * di
    vi = np.where(vt == "LS2", cm**2 * (2 * (1 - ri) / ni + di**2 / (2 * ni)),
                  2 * (1 - ri) / ni + yi**2 / (2 * ni))
    return yi, vi


def _add_cells(cells: list[np.ndarray], add: float, to: str) -> list[np.ndarray]:
    """metafor's continuity correction: ``cells`` are all cells of the tables."""
    if to == "all":
        return [c + add for c in cells]
    if to in ("only0", "if0all"):
        id0 = np.zeros(cells[0].shape, dtype=bool)
        for c in cells:
            id0 |= (c == 0)  # NaN == 0 is False, as metafor's id0[is.na(id0)] <- FALSE
        if to == "only0":
            return [np.where(id0, c + add, c) for c in cells]
        if id0.any():
            return [c + add for c in cells]
    return cells


def _complement(part: np.ndarray, rest: np.ndarray | None, total: np.ndarray | None, total_name: str,
                sum_text: str) -> np.ndarray:
    """The non-events of a group: given, or the total minus the events (filling NaNs), after
    checking that given values add up (metafor: 'n1i' must equal 'ai + bi')."""
    if rest is not None and total is not None and np.any((total != part + rest) & ~np.isnan(total + part + rest)):
        raise ValueError(f"one or more '{total_name}' values are not equal to '{sum_text}'")
    if rest is None:
        return total - part
    if total is not None:
        return np.where(np.isnan(rest), total - part, rest)
    return rest


def _binary(measure: str, a: dict, vt: np.ndarray, add: float, to: str,
            drop00: bool) -> tuple[np.ndarray, np.ndarray]:
    ai, bi, ci, di, n1, n2 = (a[x] for x in ("ai", "bi", "ci", "di", "n1i", "n2i"))
    bi = _complement(ai, bi, n1, "n1i", "ai + bi")
    di = _complement(ci, di, n2, "n2i", "ci + di")
    if _neg(ai) or _neg(bi) or _neg(ci) or _neg(di):
        raise ValueError("one or more counts are negative (or larger than the group size)")
    if drop00:
        id00 = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
        ai, bi, ci, di = (np.where(id00, np.nan, x) for x in (ai, bi, ci, di))
    ai, bi, ci, di = _add_cells([ai, bi, ci, di], add, to)
    n1, n2 = ai + bi, ci + di
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = ai / n1, ci / n2
        if measure == "RR":
            return np.log(p1) - np.log(p2), 1 / ai - 1 / n1 + 1 / ci - 1 / n2
        if measure == "OR":
            return (np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2)),
                    1 / ai + 1 / bi + 1 / ci + 1 / di)
        yi = p1 - p2
        vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        if np.any(vt == "UB"):
            vi = np.where(vt == "UB", p1 * (1 - p1) / (n1 - 1) + p2 * (1 - p2) / (n2 - 1), vi)
        if np.any(vt == "AV"):
            w1, w2 = _wmean(p1, n1), _wmean(p2, n2)
            vi = np.where(vt == "AV", w1 * (1 - w1) / n1 + w2 * (1 - w2) / n2, vi)
    return yi, vi


def _proportion(measure: str, a: dict, vt: np.ndarray, add: float,
                to: str) -> tuple[np.ndarray, np.ndarray]:
    xi, mi, ni = a["xi"], a["mi"], a["ni"]
    mi = _complement(xi, mi, ni, "ni", "xi + mi")
    if _neg(xi) or _neg(mi):
        raise ValueError("one or more counts are negative (or xi larger than ni)")
    if _nonpos(xi + mi):
        raise ValueError("one or more sample sizes (ni) are <= 0")
    xi, mi = _add_cells([xi, mi], add, to)
    ni = xi + mi
    pr = xi / ni
    with np.errstate(invalid="ignore", divide="ignore"):
        if measure == "PR":
            vi = pr * (1 - pr) / ni
            if np.any(vt == "UB"):
                vi = np.where(vt == "UB", pr * (1 - pr) / (ni - 1), vi)
            if np.any(vt == "AV"):
                w = _wmean(pr, ni)
                vi = np.where(vt == "AV", w * (1 - w) / ni, vi)
            return pr, vi
        yi = np.log(pr / (1 - pr))
        vi = 1 / xi + 1 / mi
        if np.any(vt == "AV"):
            w = _wmean(pr, ni)
            vi = np.where(vt == "AV", 1 / (w * ni) + 1 / ((1 - w) * ni), vi)
    return yi, vi


def escalc(measure: str, *, ai=None, bi=None, ci=None, di=None, n1i=None, n2i=None,
           m1i=None, m2i=None, sd1i=None, sd2i=None, xi=None, mi=None, ni=None, ri=None,
           add: float = 0.5, to: str = "only0", drop00: bool = False, vtype="LS"):
    """Compute effect sizes ``yi`` and sampling variances ``vi`` as ``metafor::escalc``.

    Parameters
    ----------
    measure : str
        One of ``MD SMD SMDH ROM MC SMCC SMCR RR OR RD PR PLO`` (metafor's names).
    ai, bi, ci, di, n1i, n2i : array_like, optional
        2x2 table: events (``ai``, ``ci``) and non-events (``bi``, ``di``) in group 1 and
        group 2; ``bi``/``di`` may be replaced by the group sizes ``n1i``/``n2i``.
    m1i, sd1i, n1i, m2i, sd2i, n2i : array_like, optional
        Means, SDs and sizes of two independent groups (MD, SMD, SMDH, ROM).  Group 1 is
        the experimental group: ``yi`` estimates group 1 minus (or over) group 2.
    m1i, m2i, sd1i, sd2i, ni, ri : array_like, optional
        Paired / pre-post data (MC, SMCC, SMCR): means and SDs at the two occasions, the
        number of subjects and the correlation between occasions.  ``yi`` is based on
        ``m1i - m2i`` (pass the post-treatment mean as ``m1i``).  SMCR standardises by
        ``sd1i``, which should be the pre-treatment SD (metafor's convention); ``sd2i`` is
        not needed for SMCR.
    xi, mi, ni : array_like, optional
        Single proportion (PR, PLO): events, non-events (or total ``ni``).
    add, to, drop00
        Zero-cell handling for RR, OR, RD, PR, PLO exactly as metafor: ``add`` is added to
        every cell of the tables selected by ``to`` -- ``"only0"`` (tables with at least
        one zero cell; default), ``"all"``, ``"if0all"`` (all tables if any table has a
        zero cell) or ``"none"``.  ``drop00=True`` sets tables with no events (or only
        events) in both groups to NaN.  Adjusted counts are used for both yi and vi.
    vtype : str or sequence of str
        Variance estimator (per study if a sequence); ``"LS"`` (large sample) is the
        default for every measure.  Alternatives: MD "UB" (= LS), "HO"; SMD "UB", "LS2",
        "AV"; SMDH "LS2"; ROM "HO", "AV", "AVHO"; SMCC/SMCR "LS2"; RD/PR "UB", "AV";
        PLO "AV".

    Returns
    -------
    pandas.DataFrame
        Columns ``yi`` and ``vi``; the index is that of the first pandas Series passed
        (otherwise a RangeIndex). Series are matched by their index, not by position:
        Series with the same labels in another order are aligned to the first one's order,
        and Series with different labels are refused. Masked entries of a ``numpy.ma``
        array are missing values (NaN rows), as ``NA`` in metafor.  Values that are infinite or undefined (e.g. log of a
        zero proportion with ``to="none"``) are NaN, and a negative ``vi`` becomes NaN,
        as in metafor.

    Raises
    ------
    ValueError
        Unknown measure (valid ones are listed), missing arguments (named), unknown
        ``to``/``vtype``, non-numeric or boolean data (named), a negative or non-finite
        ``add``, negative SDs or counts, group sizes <= 0, inconsistent totals,
        correlations outside [-1, 1], pandas Series with different indexes (both named),
        or arrays of different lengths.

    References
    ----------
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package.
    J Stat Softw 36(3):1-48.  metafor 3.8-1, ``R/escalc.r``.
    """
    import pandas as pd

    yi, vi, index = escalc_arrays(measure, ai=ai, bi=bi, ci=ci, di=di, n1i=n1i, n2i=n2i, m1i=m1i, m2i=m2i,
                                  sd1i=sd1i, sd2i=sd2i, xi=xi, mi=mi, ni=ni, ri=ri, add=add, to=to,
                                  drop00=drop00, vtype=vtype, _stacklevel=3)
    return pd.DataFrame({"yi": yi, "vi": vi}, index=index)


def escalc_arrays(measure: str, *, ai=None, bi=None, ci=None, di=None, n1i=None, n2i=None,
                  m1i=None, m2i=None, sd1i=None, sd2i=None, xi=None, mi=None, ni=None, ri=None,
                  add: float = 0.5, to: str = "only0", drop00: bool = False, vtype="LS", _stacklevel=2):
    """:func:`escalc` returning ``(yi, vi, index)`` as numpy arrays (no pandas), for internal
    callers on fast paths; ``index`` is that of the first pandas Series passed, else None."""
    if not isinstance(measure, str) or measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; valid measures: {', '.join(MEASURES)}")
    if to not in _TO:
        raise ValueError(f"unknown 'to' argument {to!r}; valid: {', '.join(_TO)}")
    try:
        add = float(add)
    except (TypeError, ValueError):
        raise ValueError(f"'add' must be a number, got {add!r}") from None
    if not np.isfinite(add) or add < 0:
        raise ValueError(f"'add' must be a finite number >= 0 (metafor's default is 1/2), got {add}")
    if not isinstance(vtype, (str, list, tuple, np.ndarray)) and not _is_series(vtype):
        raise ValueError(f"'vtype' must be a string or a sequence of strings, got {vtype!r}")

    given = dict(ai=ai, bi=bi, ci=ci, di=di, n1i=n1i, n2i=n2i, m1i=m1i, m2i=m2i,
                 sd1i=sd1i, sd2i=sd2i, xi=xi, mi=mi, ni=ni, ri=ri)
    a, index, k = _collect(given)

    if measure in _TWO_GROUP:
        _require(measure, a, ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"))
    elif measure in _CHANGE:
        need = ("m1i", "m2i", "sd1i", "ni", "ri") if measure == "SMCR" else \
            ("m1i", "m2i", "sd1i", "sd2i", "ni", "ri")
        _require(measure, a, need)
    elif measure in _BINARY:
        _require(measure, a, ("ai", "ci"))
        if a["bi"] is None and a["n1i"] is None:
            raise ValueError(f"measure {measure!r} needs argument bi or n1i")
        if a["di"] is None and a["n2i"] is None:
            raise ValueError(f"measure {measure!r} needs argument di or n2i")
    else:
        _require(measure, a, ("xi",))
        if a["mi"] is None and a["ni"] is None:
            raise ValueError(f"measure {measure!r} needs argument mi or ni")

    vt = _vtype_vector(measure, vtype, k)

    with np.errstate(invalid="ignore", divide="ignore"):
        if measure in _TWO_GROUP:
            yi, vi = _two_group(measure, a, vt)
        elif measure in _CHANGE:
            yi, vi = _change(measure, a, vt)
        elif measure in _BINARY:
            yi, vi = _binary(measure, a, vt, add, to, bool(drop00))
        else:
            yi, vi = _proportion(measure, a, vt, add, to)

    yi = np.asarray(yi, dtype=float).copy()
    vi = np.asarray(vi, dtype=float).copy()
    inf = np.isinf(yi) | np.isinf(vi)
    if inf.any():
        warnings.warn("some 'yi' and/or 'vi' values equal to +-Inf; recoded to NaN",
                      RuntimeWarning, stacklevel=_stacklevel)
    bad = inf | np.isnan(yi) | np.isnan(vi)
    yi[bad] = np.nan
    vi[bad] = np.nan
    vi[vi < 0] = np.nan
    return yi, vi, index
