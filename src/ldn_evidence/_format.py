"""One formatter for numbers and p-values, and one JSON cleaner, for every result class.

Two p-value styles exist because two readerships do: ``"metafor"`` prints as metafor's
``print.rma`` (4 decimals, ``< .0001``), for methodologists comparing with R; ``"journal"``
prints as a clinical journal or RevMan does (``p = 0.03``, ``p < 0.001``). Everything that
leaves the package as JSON goes through :func:`json_safe`: NaN and infinities become ``null``
(JSON has no NaN), numpy scalars become Python numbers, dates become ISO strings, and the
fields that count or date things (:data:`INTEGER_FIELDS`: years, k, n, degrees of freedom)
are integers even where a table's missing values had made them floats (``2013``, not
``2013.0``); :func:`integer_columns` does the same for a DataFrame written as CSV.

Examples
--------
>>> fmt_number(float("nan")), fmt_number(-0.0001, 2), fmt_p(0.00002), fmt_p(0.0312, style="journal")
('NA', '0.00', '< .0001', 'p = 0.03')
>>> json_safe({"tau2": float("inf"), "k": 3, "year": 2013.0})
{'tau2': None, 'k': 3, 'year': 2013}
>>> wrap_words("Rodríguez-Freire (INNOVA) 2025", 16)
['Rodríguez-Freire', '(INNOVA) 2025']
"""
from __future__ import annotations

import datetime as _dt
import math
import textwrap
from typing import Any

__all__ = ["fmt_number", "fmt_p", "json_safe", "is_missing", "INTEGER_FIELDS", "integer_columns", "wrap_words"]

#: fields that count or date things: integers in JSON and CSV whenever their value is integral
INTEGER_FIELDS = frozenset({
    "year", "k", "n", "cum_n", "n_analysed", "n_randomized", "n_enrolled", "n_fibromyalgia", "q_df", "df",
    "events", "total", "participants", "studies", "k_pooled", "k_not_pooled", "q_between_df",
})


def is_missing(x: Any) -> bool:
    """None, NaN or infinite (what a table shows as NA).

    >>> is_missing(None), is_missing(float("nan")), is_missing(2)
    (True, True, False)
    """
    if x is None:
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_number(x: Any, digits: int = 4, missing: str = "NA") -> str:
    """A number with ``digits`` decimals; ``missing`` for None/NaN/inf; never ``-0.00``.

    >>> fmt_number(1.23456, 2), fmt_number(None), fmt_number(-0.001, 2)
    ('1.23', 'NA', '0.00')
    """
    if is_missing(x):
        return missing
    s = f"{float(x):.{digits}f}"
    if float(s) == 0:
        s = f"{0:.{digits}f}"
    return s


def fmt_p(p: Any, style: str = "metafor") -> str:
    """A p-value in one of two styles.

    ``"metafor"``: ``0.0312``, ``< .0001`` (as ``print.rma``). ``"journal"``: ``p = 0.03``,
    ``p = 0.004``, ``p < 0.001``. ``"short"``: the journal style without ``p =``:
    ``0.031``, ``<0.001`` (table cells).

    >>> fmt_p(0.5), fmt_p(0.004, "journal"), fmt_p(0.0004, "short"), fmt_p(None, "journal")
    ('0.5000', 'p = 0.004', '<0.001', 'p = NA')
    """
    if style == "metafor":
        if is_missing(p):
            return "NA"
        return "< .0001" if p < 1e-4 else f"{p:.4f}"
    if style == "short":
        if is_missing(p):
            return "NA"
        return "<0.001" if p < 0.001 else f"{p:.3f}"
    if style == "journal":
        if is_missing(p):
            return "p = NA"
        if p < 0.001:
            return "p < 0.001"
        return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"
    raise ValueError(f"unknown p-value style {style!r}; expected 'metafor', 'journal' or 'short'")


def p_equals(p: Any) -> str:
    """metafor's ``p-val = 0.0312`` / ``p-val < .0001`` wording, the part after ``p-val``.

    >>> p_equals(0.2), p_equals(1e-6)
    ('= 0.2000', '< .0001')
    """
    s = fmt_p(p)
    return s if s.startswith("<") else f"= {s}"


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it, recursively: numpy scalars and arrays as Python numbers and
    lists, NaN and infinities as None, dates as ISO strings, tuples as lists.

    >>> json_safe([1.0, float("nan"), (2, 3)])
    [1.0, None, [2, 3]]
    """
    if isinstance(value, dict):
        return {str(k): _integral(json_safe(v)) if k in INTEGER_FIELDS else json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return json_safe(value.tolist())
    if hasattr(value, "item"):
        return json_safe(value.item())
    return value


def _integral(x: Any) -> Any:
    """An integral float as an int (2013.0 -> 2013); anything else unchanged."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def integer_columns(frame):
    """A copy of a DataFrame whose :data:`INTEGER_FIELDS` columns holding only integral numbers
    (and missing values) are integers (pandas ``Int64``), so that CSV shows ``2013``, not
    ``2013.0``, and an empty cell for a missing value.

    >>> import pandas as pd
    >>> integer_columns(pd.DataFrame({"year": [2013.0, None], "yi": [0.5, 1.0]})).to_csv(index=False).split()
    ['year,yi', '2013,0.5', ',1.0']
    """
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if col not in INTEGER_FIELDS or out[col].dtype == bool:
            continue
        values = pd.to_numeric(out[col], errors="coerce")
        given = out[col].notna()
        if values[given].isna().any():  # something that is not a number: leave the column alone
            continue
        finite = values[given]
        if len(finite) and not (finite == finite.round()).all():
            continue
        out[col] = values.astype("Int64")
    return out


def wrap_words(text: Any, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words (a word longer
    than ``width`` keeps its own line whole); at least one line."""
    return textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False) or [""]
