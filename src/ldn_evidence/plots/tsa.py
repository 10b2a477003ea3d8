"""Trial sequential analysis plot: the cumulative Z-curve against the monitoring boundaries.

As the Copenhagen TSA software draws it: x = information (participants, or statistical
information) with the required information size marked; the conventional +-1.96 lines; the
O'Brien-Fleming alpha-spending boundaries (upper and lower) as continuous curves of the
information (:func:`ldn_evidence.diagnostics.tsa.boundary_curve`: at every fraction the boundary
a look there would have, given the trials before it), with a mark where each trial's look falls;
the beta-spending futility region as a shaded wedge; the Z-curve with one point per trial.
Positive Z favours the intervention; the words beside the plot are the result's ``favours``
labels (from the review's protocol).
"""
from __future__ import annotations

from ..diagnostics.tsa import boundary_curve
from ._layout import TextMeasurer, wrap_to_width

__all__ = ["tsa_plot"]

#: boundaries above this Z are drawn at the top of the plot (no realistic Z-curve reaches them)
CAP = 8.0
EFFICACY = "#b2182b"
FUTILITY = "#2166ac"


def _curve(result, xmax):
    """Information values and the boundaries there, from near 0 to the end of the x axis."""
    import numpy as np

    b = result.boundaries
    size = result.information_size
    t_end = max(1.0, xmax / size)
    t = np.unique(np.concatenate([np.linspace(0.004, 1.0, 250), b.t, [t_end]]))
    c = boundary_curve(b, t)
    return t * size, c


def _footer(result) -> str:
    b = result.boundaries
    if result.information == "variance":
        r = result.ris
        base = (f"RIS = {r.ris:.0f} participants (minimal relevant difference {r.mird:g}, SD {r.sd:g}, "
                f"two-sided alpha {r.alpha:g}, power {1 - r.beta:.0%}) = {r.ris / (4 * r.sd ** 2):.0f} units of "
                "statistical information (RIS / 4 SD²; the random-effects variance carries the heterogeneity, "
                "so no D² adjustment)")
    else:
        base = result.ris.describe()
    return (base + (f"; x {b.inflation:.3f} for futility boundaries" if b.futility is not None else "")
            + f". {result.method} random effects. {result.conclusion[:1].upper()}{result.conclusion[1:]}.")


def _ris_label(result) -> str:
    """The required information in the units of the x axis, and the inflation that made it."""
    b = result.boundaries
    size = result.information_size
    if b.inflation == 1.0:
        return f"RIS = {size:,.0f} "
    return f"RIS = {size:,.0f} ({size / b.inflation:,.0f} x {b.inflation:.4g}) "


def _draw_boundaries(ax, result, xmax):
    import numpy as np

    b = result.boundaries
    x, c = _curve(result, xmax)
    upper = np.where(np.isfinite(c.upper), c.upper, np.nan)
    ax.plot(x, upper, color=EFFICACY, lw=1.4, label="O'Brien-Fleming monitoring boundary", gid="efficacy-boundary")
    ax.plot(x, -upper, color=EFFICACY, lw=1.4, gid="efficacy-boundary")
    looks = b.t * result.information_size
    shown = np.isfinite(b.upper) & (b.upper <= CAP)
    ax.plot(looks[shown], b.upper[shown], ls="none", marker="o", ms=3.5, color=EFFICACY, gid="looks")
    ax.plot(looks[shown], -b.upper[shown], ls="none", marker="o", ms=3.5, color=EFFICACY, gid="looks")
    if c.futility is not None:
        inner = np.where(np.isfinite(c.futility) & (c.futility > 0) & (x <= result.information_size * (1 + 1e-12)),
                         c.futility, np.nan)
        if np.isfinite(inner).any():
            ax.fill_between(x, -inner, inner, where=np.isfinite(inner), color=FUTILITY, alpha=0.18, lw=0,
                            label="futility region (beta spending)", gid="futility-region")
            ax.plot(x, inner, color=FUTILITY, lw=1.1, gid="futility-boundary")
            ax.plot(x, -inner, color=FUTILITY, lw=1.1, gid="futility-boundary")


def tsa_plot(result, *, title: str | None = None, width: float = 8.0, height: float = 5.2, dpi: float = 100,
             favours: tuple[str, str] | None = None):
    """A matplotlib Figure of a :class:`ldn_evidence.review.tsa.TSAResult` (no pyplot state).

    ``favours``: labels of the upper (positive Z) and lower halves, written in the right margin
    (default: the result's own, from the review's protocol).
    """
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import blended_transform_factory

    from ._figure import new_figure, stamp

    steps = result.steps
    size = result.information_size
    fig = new_figure((width, height), dpi=dpi)
    stamp(fig, getattr(result, "file_hash", None))
    prop = FontProperties(size=7)
    meas = TextMeasurer(fig)
    lines = wrap_to_width(_footer(result), width * 0.86, lambda s: meas.width(s, prop))
    line_h = meas.size("Ag", prop)[1] * 1.3
    foot_h = len(lines) * line_h + 0.1
    total_h = height + foot_h
    fig.set_size_inches(width, total_h)
    bottom = (foot_h + 0.55) / total_h
    ax = fig.add_axes([0.1, bottom, 0.83, 1 - bottom - 0.45 / total_h])
    xs = np.concatenate([[0.0], steps["information"].to_numpy() if result.information == "variance"
                         else steps["cum_n"].to_numpy()])
    zs = np.concatenate([[0.0], steps["z"].to_numpy()])
    xmax = max(size, float(xs.max())) * 1.08
    _draw_boundaries(ax, result, xmax)
    for z in (1.96, -1.96):
        ax.axhline(z, color="#777777", lw=0.8, ls="--")
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(size, color="#555555", lw=1.0, ls=":")
    ax.plot(xs, zs, color="black", lw=1.6, marker="o", ms=4, label="cumulative Z-curve", gid="z-curve")
    ax.set_xlim(0, xmax)
    lim = max(CAP, float(np.nanmax(np.abs(zs))) + 0.5)
    ax.set_ylim(-lim, lim)
    ax.text(size, lim * 0.97, _ris_label(result), ha="left" if size < xmax * 0.6 else "right", va="top",
            fontsize=8, color="#333333", gid="ris")
    edge = blended_transform_factory(ax.transAxes, ax.transData)
    for z in (1.96, -1.96):
        ax.text(1.01, z, f"{z:+.2f}", transform=edge, va="center", ha="left", fontsize=7, color="#555555")
    # in the right margin, beside the half of the plot each names: never under a curve or a line
    middle = (1.96 + lim) / 2
    upper, lower = favours or getattr(result, "favours", ("Favours intervention", "Favours comparator"))
    for y, words in ((middle, upper), (-middle, lower)):
        ax.text(1.012, y, words, transform=edge, rotation=90, ha="left", va="center", fontsize=8, color="#333333",
                gid="favours")
    unit = "participants" if result.information == "participants" else "statistical information (1/variance)"
    ax.set_xlabel(f"Cumulative information ({unit})", fontsize=9)
    ax.set_ylabel("Cumulative Z", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(loc="best", fontsize=7, frameon=True, framealpha=0.9, edgecolor="none")  # the place with least overlap
    fig.text(0.1, 1 - 0.22 / total_h, title or f"Trial sequential analysis: {result.outcome.replace('_', ' ')} "
             f"({result.measure})", fontsize=10, fontweight="bold", va="center")
    for i, line in enumerate(lines):
        fig.text(0.1, (foot_h - 0.05 - i * line_h) / total_h, line, fontproperties=prop, va="top", color="#333333")
    return fig
