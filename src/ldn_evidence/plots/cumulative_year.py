"""Cumulative forest plot by publication year: the pooled estimate after each year's studies.

One implementation serves both cumulative forests: this is
:func:`ldn_evidence.plots.diagnostics.cumulative_plot` (a forest plot, so its columns are as wide
as their texts and its footnotes wrap inside the figure) given the frame of
:func:`ldn_evidence.review.by_year.cumulative_by_year`, whose rows are labelled by the year and
the studies it adds.
"""
from __future__ import annotations

__all__ = ["cumulative_forest"]


def cumulative_forest(frame, *, xlabel: str = "Standardised mean difference (Hedges' g)",
                      title: str | None = None, favours=("Favours intervention", "Favours comparator"),
                      footnote: str | None = None, dpi: float = 100, fontsize: float | None = None,
                      log_scale: bool = False, level: float = 95):
    """A matplotlib Figure of :func:`ldn_evidence.review.by_year.cumulative_by_year`'s frame.

    ``fontsize`` is accepted for compatibility and ignored (the forest plot's sizes apply);
    ``dpi`` sets the figure's resolution.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> from ldn_evidence.review.by_year import cumulative_by_year
    >>> frame, _ = cumulative_by_year(le.load_studies(), "pain")
    >>> fig = cumulative_forest(frame, footnote="Each row pools every study up to that year.")
    >>> [t.get_text() for t in fig.texts if t.get_gid() == "footnote"]
    ['Each row pools every study up to that year.']
    """
    from .diagnostics import cumulative_plot

    fig = cumulative_plot(frame, xlabel=xlabel, title=title, favours=favours or ("", ""), log_scale=log_scale,
                          level=level, footnotes=[footnote] if footnote else ())
    fig.set_dpi(dpi)
    return fig
