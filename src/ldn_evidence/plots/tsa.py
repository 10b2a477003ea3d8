"""Trial sequential analysis plot: the cumulative Z-curve against the monitoring boundaries.

As the Copenhagen TSA software draws it: x = information (participants, or statistical
information) with the required information size marked; the conventional +-1.96 lines; the
O'Brien-Fleming alpha-spending boundaries (upper and lower); the beta-spending futility wedge;
the Z-curve with one point per trial. Positive Z favours the intervention; the words beside the
plot are the result's ``favours`` labels (from the review's protocol).
"""
from __future__ import annotations

__all__ = ["tsa_plot"]


def tsa_plot(result, *, title: str | None = None, width: float = 8.0, height: float = 5.2, dpi: float = 100):
    """A matplotlib Figure of a :class:`ldn_evidence.tsa.TSAResult` (no pyplot state)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from .figure import ReviewFigure as Figure  # shows inline in Jupyter; show() never raises

    steps = result.steps
    size = result.information_size
    b = result.boundaries
    from matplotlib.font_manager import FontProperties

    from ._layout import TextMeasurer, wrap_to_width

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    footer = (f"{result.ris.describe()}"
              + (f"; x {b.inflation:.3f} for futility boundaries" if b.futility is not None else "")
              + f". {result.method} random effects. {result.conclusion[:1].upper()}{result.conclusion[1:]}.")
    prop = FontProperties(size=7)
    meas = TextMeasurer(fig)
    lines = wrap_to_width(footer, width * 0.86, lambda s: meas.width(s, prop))
    line_h = meas.size("Ag", prop)[1] * 1.3
    foot_h = len(lines) * line_h + 0.1
    total_h = height + foot_h
    fig.set_size_inches(width, total_h)
    bottom = (foot_h + 0.55) / total_h
    ax = fig.add_axes([0.1, bottom, 0.83, 1 - bottom - 0.45 / total_h])
    x_looks = b.t * size
    finite = np.isfinite(b.upper)
    cap = 8.0
    # the boundaries that apply at the looks taken (one per trial below the information size, and
    # the information size itself), joined by lines; above the plot range they are drawn at the cap
    up = np.minimum(b.upper, cap)
    ax.plot(x_looks, up, color="#b2182b", lw=1.4, marker="o", ms=3.5, label="O'Brien-Fleming monitoring boundary")
    ax.plot(x_looks, -up, color="#b2182b", lw=1.4, marker="o", ms=3.5)
    del finite
    if b.futility is not None:
        fut = np.where(np.isfinite(b.futility), b.futility, np.nan)
        keep = fut > 0
        if keep.any():
            xs = np.concatenate([x_looks[keep]])
            ax.plot(xs, fut[keep], color="#2166ac", lw=1.2, ls="-", marker="s", ms=3,
                    label="futility boundary (beta spending)")
            ax.plot(xs, -fut[keep], color="#2166ac", lw=1.2, ls="-", marker="s", ms=3)
    for z in (1.96, -1.96):
        ax.axhline(z, color="#777777", lw=0.8, ls="--")
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(size, color="#555555", lw=1.0, ls=":")
    xs = np.concatenate([[0.0], steps["information"].to_numpy() if result.information == "variance"
                         else steps["cum_n"].to_numpy()])
    zs = np.concatenate([[0.0], steps["z"].to_numpy()])
    ax.plot(xs, zs, color="black", lw=1.6, marker="o", ms=4, label="cumulative Z-curve")
    xmax = max(size, float(xs.max())) * 1.08
    ax.set_xlim(0, xmax)
    lim = max(cap, float(np.nanmax(np.abs(zs))) + 0.5)
    ax.set_ylim(-lim, lim)
    ris_label = (f"RIS = {size:,.0f} " if b.inflation == 1.0
                 else f"RIS = {size:,.0f} ({result.ris.adjusted:,.0f} x {b.inflation:.4g}) ")
    ax.text(size, lim * 0.97, ris_label, ha="left" if size < xmax * 0.6 else "right", va="top",
            fontsize=8, color="#333333")
    from matplotlib.transforms import blended_transform_factory

    edge = blended_transform_factory(ax.transAxes, ax.transData)
    for z in (1.96, -1.96):
        ax.text(1.01, z, f"{z:+.2f}", transform=edge, va="center", ha="left", fontsize=7, color="#555555")
    # in the right margin, beside the half of the plot each names: never under a curve or a line
    middle = (1.96 + lim) / 2
    upper, lower = getattr(result, "favours", ("Favours intervention", "Favours comparator"))
    for y, words in ((middle, upper), (-middle, lower)):
        ax.text(1.012, y, words, transform=edge, rotation=90, ha="left", va="center", fontsize=8, color="#333333")
    unit = "participants" if result.information == "participants" else "statistical information (1/variance)"
    ax.set_xlabel(f"Cumulative information ({unit})", fontsize=9)
    ax.set_ylabel("Cumulative Z", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(loc="best", fontsize=7, frameon=True, framealpha=0.9, edgecolor="none")  # the place with least overlap
    fig.text(0.1, 1 - 0.22 / total_h, title or f"Trial sequential analysis: {result.outcome.replace('_', ' ')} ({result.measure})",
             fontsize=10, fontweight="bold", va="center")
    for i, line in enumerate(lines):
        fig.text(0.1, (foot_h - 0.05 - i * line_h) / total_h, line, fontproperties=prop, va="top", color="#333333")
    return fig
