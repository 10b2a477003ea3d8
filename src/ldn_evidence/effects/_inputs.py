"""Array arguments of the effect-size functions, checked the same way everywhere.

* pandas Series are matched by their index, not by position: Series holding the same labels in
  another order are aligned to the first Series' order (``m1i`` indexed ``[a, b]`` and ``m2i``
  indexed ``[b, a]`` pair ``a`` with ``a``); Series whose labels differ are refused, naming both
  arguments. Pairing by position would silently compare one study's arm with another's.
* masked arrays (``numpy.ma``) are read with their masked entries as missing (NaN), as metafor
  reads ``NA``: ``numpy.asarray`` would otherwise use the hidden values under the mask.
* booleans, strings and other non-numbers are refused, naming the argument.

Examples
--------
>>> import pandas as pd
>>> a = pd.Series([1.0, 2.0], index=["x", "y"])
>>> b = pd.Series([20.0, 10.0], index=["y", "x"])
>>> arrays, index = checked_arrays({"a": a, "b": b})
>>> arrays["b"].tolist(), list(index)
([10.0, 20.0], ['x', 'y'])
"""
from __future__ import annotations

import functools
import inspect
import sys
from typing import Any

import numpy as np

__all__ = ["checked_arrays", "as_float_array", "is_series", "aligned_series"]


def is_series(value: Any) -> bool:
    """A pandas Series, recognised without importing pandas (not needed unless one was passed)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, pd.Series)


def as_float_array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float array: masked entries and pandas' missing values as NaN; booleans
    and non-numbers refused with a :class:`ValueError` naming ``name``."""
    if np.ma.isMaskedArray(value):
        try:
            return np.ma.asarray(value, dtype=float).filled(np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"argument {name!r} must be numeric ({exc})") from None
    if is_series(value):
        if value.dtype == bool:
            raise ValueError(f"argument {name!r} must be numeric, not booleans")
        try:
            return value.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"argument {name!r} must be numeric ({exc})") from None
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == bool):
        raise ValueError(f"argument {name!r} must be numeric, not booleans")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"argument {name!r} must be numeric ({exc})") from None
    if isinstance(value, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in value):
        raise ValueError(f"argument {name!r} must be numeric, not booleans")
    return arr


def _align(named: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Series reordered to the first Series' index; ValueError for Series with other labels."""
    series = [(n, v) for n, v in named.items() if is_series(v)]
    if not series:
        return named, None
    first_name, first = series[0]
    index = first.index
    out = dict(named)
    for name, s in series[1:]:
        if s.index.equals(index):
            continue
        same_labels = (index.is_unique and s.index.is_unique and len(s.index) == len(index)
                       and set(s.index) == set(index))
        if not same_labels:
            shown = lambda ix: ", ".join(map(repr, list(ix)[:5])) + (", ..." if len(ix) > 5 else "")  # noqa: E731
            raise ValueError(f"arguments {first_name!r} and {name!r} are pandas Series with different indexes "
                             f"([{shown(index)}] and [{shown(s.index)}]); their rows would be paired by "
                             "position. Give them the same index (e.g. .reindex) or pass arrays")
        out[name] = s.reindex(index)
    return out, index


def checked_arrays(named: dict[str, Any]) -> tuple[dict[str, np.ndarray | None], Any]:
    """Each argument (None stays None) as a float array, Series aligned on their index.

    Returns the arrays and the index of the first Series (None without Series).
    """
    aligned, index = _align(named)
    return {n: None if v is None else as_float_array(v, n) for n, v in aligned.items()}, index


def aligned_series(func):
    """Decorate a function of array arguments: Series among them are aligned on their index (or
    refused) and masked arrays read with NaN for masked entries, before ``func`` sees them."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        values = list(args) + list(kwargs.values())
        if not any(is_series(v) or np.ma.isMaskedArray(v) for v in values):
            return func(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        named = {n: v for n, v in bound.arguments.items() if is_series(v) or np.ma.isMaskedArray(v)}
        aligned, _ = _align(named)
        for n, v in aligned.items():
            bound.arguments[n] = as_float_array(v, n)
        return func(*bound.args, **bound.kwargs)

    return wrapper
