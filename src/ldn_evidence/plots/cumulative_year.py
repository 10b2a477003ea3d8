"""Cumulative forest plot by publication year: the pooled estimate after each year's studies.

Each row is a random-effects meta-analysis of every study published up to that year (row label:
the year and the studies it adds). Column widths come from measured text, so labels never run
into the plot or each other.
"""
from __future__ import annotations

import math

__all__ = ["cumulative_forest"]


def cumulative_forest(frame, *, xlabel: str = "Standardised mean difference (Hedges' g)",
                      title: str | None = None, favours=("Favours intervention", "Favours comparator"),
                      footnote: str | None = None, dpi: float = 100, fontsize: float = 9.0):
    """A matplotlib Figure of :func:`ldn_evidence.living.cumulative_by_year`'s frame."""
    import numpy as np
    from .figure import ReviewFigure as Figure  # shows inline in Jupyter; show() never raises
    from matplotlib.font_manager import FontProperties

    from ._layout import TextMeasurer, wrap_to_width

    fig = Figure(dpi=dpi)
    m = TextMeasurer(fig)
    prop = FontProperties(size=fontsize)
    bold = FontProperties(size=fontsize, weight="bold")
    small = FontProperties(size=fontsize - 1.5)
    line_h = m.size("Ag", prop)[1] * 1.9
    labels = []
    for _, r in frame.iterrows():
        year = "no year" if r["year"] is None or (isinstance(r["year"], float) and math.isnan(r["year"])) else str(int(r["year"]))
        labels.append(f"{year}  + {r['added']}")
    results = [f"{r['estimate']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]" for _, r in frame.iterrows()]
    ks = [str(int(r["k"])) for _, r in frame.iterrows()]
    heads = ("Year  (studies added)", "k", "Estimate [95% CI]")
    left_w = max([m.width(s, prop) for s in labels] + [m.width(heads[0], bold)]) + 0.2
    k_w = max([m.width(s, prop) for s in ks] + [m.width(heads[1], bold)]) + 0.25
    res_w = max([m.width(s, prop) for s in results] + [m.width(heads[2], bold)]) + 0.2
    plot_w = 3.2
    margin = 0.2
    total_w = margin + left_w + k_w + plot_w + 0.2 + res_w + margin
    n = len(frame)
    title_h = 0.4 if title else 0.1
    head_h = line_h
    axis_h = 0.75
    foot_lines = wrap_to_width(footnote, total_w - 2 * margin, lambda s: m.width(s, small)) if footnote else []
    foot_h = len(foot_lines) * m.size("Ag", small)[1] * 1.4 + (0.1 if foot_lines else 0)
    total_h = margin + title_h + head_h + n * line_h + axis_h + foot_h + margin
    fig.set_size_inches(total_w, total_h)

    def fy(y):
        return 1 - y / total_h

    def fx(x):
        return x / total_w

    if title:
        fig.text(fx(margin), fy(margin), title, fontproperties=FontProperties(size=fontsize + 1, weight="bold"),
                 va="top")
    y0 = margin + title_h
    x_k = margin + left_w
    x_plot = x_k + k_w
    x_res = x_plot + plot_w + 0.2
    fig.text(fx(margin), fy(y0 + head_h / 2), heads[0], fontproperties=bold, va="center")
    fig.text(fx(x_k + k_w - 0.15), fy(y0 + head_h / 2), heads[1], fontproperties=bold, va="center", ha="right")
    fig.text(fx(x_res), fy(y0 + head_h / 2), heads[2], fontproperties=bold, va="center")
    top = y0 + head_h
    for i in range(n):
        yc = top + (i + 0.5) * line_h
        fig.text(fx(margin), fy(yc), labels[i], fontproperties=prop, va="center")
        fig.text(fx(x_k + k_w - 0.15), fy(yc), ks[i], fontproperties=prop, va="center", ha="right")
        fig.text(fx(x_res), fy(yc), results[i], fontproperties=prop, va="center")
    ax = fig.add_axes([fx(x_plot), fy(top + n * line_h), plot_w / total_w, n * line_h / total_h])
    est = frame["estimate"].to_numpy(float)
    lo = frame["ci_low"].to_numpy(float)
    hi = frame["ci_high"].to_numpy(float)
    ys = np.arange(n)[::-1] + 0.5
    finite = np.isfinite(lo) & np.isfinite(hi)
    span_lo = min(0.0, float(np.min(lo[finite])) if finite.any() else -1.0)
    span_hi = max(0.0, float(np.max(hi[finite])) if finite.any() else 1.0)
    pad = 0.05 * (span_hi - span_lo or 1.0)
    ax.set_xlim(span_lo - pad, span_hi + pad)
    ax.set_ylim(0, n)
    ax.hlines(ys, lo, hi, color="black", lw=1.1)
    ax.plot(est, ys, "D", color="#1f4e79", ms=5)
    ax.axvline(0, color="#555555", lw=0.8)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.tick_params(labelsize=fontsize - 1)
    ax.set_xlabel(xlabel, fontsize=fontsize - 0.5)
    if favours:
        fav_y = top + n * line_h + axis_h - 0.05
        fig.text(fx(x_plot), fy(fav_y), favours[0], fontproperties=small, va="bottom", ha="left")
        fig.text(fx(x_plot + plot_w), fy(fav_y), favours[1], fontproperties=small, va="bottom", ha="right")
    fy0 = top + n * line_h + axis_h + 0.05
    for i, line in enumerate(foot_lines):
        fig.text(fx(margin), fy(fy0 + i * m.size("Ag", small)[1] * 1.4), line, fontproperties=small, va="top",
                 color="#444444")
    return fig
