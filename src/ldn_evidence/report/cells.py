"""How the page writes numbers: one place for estimates, intervals, p-values and missing values.

Ratio measures (RR, OR) are shown back-transformed from the log scale, as the forest plot and
the text output show them; tau² stays on the analysis scale. A missing number is an empty cell
with "NA" (never a made-up zero).

Examples
--------
>>> estimate_cells("RR", 0.0, -0.1, 0.1)
('1.00', '[0.90, 1.11]')
>>> estimate_cells("SMD", -0.144, -0.567, 0.279)
('-0.14', '[-0.57, 0.28]')
>>> number(float("nan")), percent(49.6), pvalue(0.0004)
('NA', '50%', '<0.001')
"""
from __future__ import annotations

from .._format import fmt_number, fmt_p, is_missing
from ..review.analysis import shown

__all__ = ["number", "percent", "pvalue", "p_phrase", "interval", "estimate_cells", "integer"]


def number(x, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals, ``NA`` when missing."""
    return fmt_number(x, digits)


def integer(x) -> str:
    """A count, or an empty string when not known."""
    return "" if is_missing(x) else f"{int(x)}"


def percent(x, digits: int = 0) -> str:
    """A percentage such as I² (``NA`` when missing)."""
    return "NA" if is_missing(x) else f"{fmt_number(x, digits)}%"


def pvalue(p) -> str:
    """A p-value for a table cell (``<0.001``, ``0.031``)."""
    return fmt_p(p, "short")


def p_phrase(p) -> str:
    """``p = 0.031`` or ``p < 0.001`` (running text).

    >>> p_phrase(0.0312), p_phrase(1e-5)
    ('p = 0.031', 'p < 0.001')
    """
    text = pvalue(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def interval(low, high, digits: int = 2) -> str:
    """``[low, high]``, or an empty string when a bound is missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"[{fmt_number(low, digits)}, {fmt_number(high, digits)}]"


def estimate_cells(measure: str, est, low, high, digits: int = 2) -> tuple[str, str]:
    """(estimate, ``[low, high]``) on the scale a reader sees (ratios exponentiated)."""
    e, lo, hi = shown(measure, *(float("nan") if is_missing(v) else float(v) for v in (est, low, high)))
    return number(e, digits), interval(lo, hi, digits)
