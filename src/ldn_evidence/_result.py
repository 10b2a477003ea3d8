"""One result protocol for every result class of the package.

A result is something a user prints, puts in a notebook, writes to JSON or stacks into a table.
Every result class (``MetaResult``, ``MetaRegressionResult``, ``SubgroupResult``,
``GroupEstimate``, ``EggerResult``, ``RankTestResult``, ``TrimFillResult``,
``PermutationResult``, ...) derives from :class:`Result` and so answers the same five calls:

* ``to_dict()``: plain Python (numbers, strings, lists, dicts), JSON-safe: NaN and infinities
  are ``None`` (through :func:`ldn_evidence._format.json_safe`, the one JSON cleaner);
* ``to_frame()``: a pandas DataFrame (one row of the scalar fields unless the class has a
  natural table, e.g. the coefficients of a meta-regression);
* ``summary()``: readable text, also what ``str()`` and ``print()`` give;
* ``__repr__``: one short line naming the class and its headline numbers;
* ``_repr_html_``: what a notebook shows (the summary in a ``<pre>`` block unless the class
  draws a table).

A class says which dataclass fields stay out of ``to_dict()`` (``_dict_exclude``: large arrays,
nested fits that have their own ``to_dict()``), which few make the ``__repr__``
(``_repr_fields``) and writes its ``summary()``. Numbers in text go through
:func:`ldn_evidence._format.fmt_number` and :func:`ldn_evidence._format.fmt_p` (the one
formatter). Dataclasses that derive from :class:`Result` are declared with ``repr=False`` so
that the short ``__repr__`` is not replaced by the dataclass's field dump.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(repr=False)
... class Demo(Result):
...     estimate: float
...     pvalue: float
...     _repr_fields = ("estimate", "pvalue")
...     def summary(self):
...         return f"estimate {fmt_number(self.estimate)}, p {fmt_p(self.pvalue)}"
>>> d = Demo(0.123456789, float("nan"))
>>> d
Demo(estimate=0.123457, pvalue=nan)
>>> d.to_dict(), str(d)
({'estimate': 0.123456789, 'pvalue': None}, 'estimate 0.1235, p NA')
"""
from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

from ._format import fmt_number, fmt_p, json_safe  # noqa: F401 (fmt_* re-exported for the result classes)

__all__ = ["Result", "short"]


def short(value: Any) -> str:
    """A value as the short ``__repr__`` shows it: floats to 6 significant digits.

    >>> short(0.30512345678), short(3), short("REML"), short(float("inf"))
    ('0.305123', '3', "'REML'", 'inf')
    """
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        x = float(value)
        return f"{x:.6g}" if math.isfinite(x) else repr(x)
    if isinstance(value, str):
        return repr(value)
    return repr(value)


class Result:
    """Mixin of the result protocol (see the module docstring)."""

    #: fields shown by ``__repr__``, in order
    _repr_fields: tuple = ()
    #: dataclass fields left out of ``to_dict()``
    _dict_exclude: tuple = ()

    def to_dict(self) -> dict:
        """The fields as plain, JSON-safe Python (NaN and infinities as None); nested results as
        their own ``to_dict()``."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name in self._dict_exclude or f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f.name] = value.to_dict() if isinstance(value, Result) else value
        return json_safe(out)

    def to_frame(self):
        """A one-row pandas DataFrame of the scalar entries of :meth:`to_dict`."""
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if not isinstance(v, (list, dict))}])

    def summary(self) -> str:  # pragma: no cover - every result class writes its own
        raise NotImplementedError(f"{type(self).__name__} has no summary()")

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={short(getattr(self, name))}" for name in self._repr_fields)
        return f"{type(self).__name__}({parts})"

    def _repr_html_(self) -> str:
        return f"<pre class='ldn-result'>{html.escape(self.summary())}</pre>"
