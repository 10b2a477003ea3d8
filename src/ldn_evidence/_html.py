"""Compact HTML for the result classes' ``_repr_html_`` (Jupyter's rich display).

One small table builder, so that every result shows the same way in a notebook: a caption line,
a table of the numbers a reader looks at first, and what was left out folded under a
``<details>``. Every cell is escaped here; callers pass plain text.

Examples
--------
>>> print(table(["k", "estimate"], [[4, "-0.14"]], caption="pain"))  # doctest: +NORMALIZE_WHITESPACE
<table class="ldn-table"><caption>pain</caption><thead><tr><th>k</th><th>estimate</th></tr></thead><tbody><tr><td>4</td><td>-0.14</td></tr></tbody></table>
>>> interval(-0.5678, 0.2811)
'[-0.57, 0.28]'
"""
from __future__ import annotations

from html import escape
from typing import Iterable, Sequence

from ._format import fmt_number, is_missing

__all__ = ["table", "details", "interval", "escape"]


def table(header: Sequence[str], rows: Iterable[Sequence], caption: str | None = None,
          cls: str = "ldn-table") -> str:
    """An HTML table; every header and cell is escaped (``None`` shows as an empty cell)."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{'' if c is None else escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="{cls}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def details(summary: str, items: Iterable[str]) -> str:
    """A folded list (``<details>``), or nothing when there are no items."""
    items = list(items)
    if not items:
        return ""
    lis = "".join(f"<li>{escape(str(i))}</li>" for i in items)
    return f"<details><summary>{escape(summary)}</summary><ul>{lis}</ul></details>"


def interval(low, high, digits: int = 2) -> str:
    """``[low, high]`` with ``digits`` decimals; empty when the bounds are missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"[{fmt_number(low, digits)}, {fmt_number(high, digits)}]"
