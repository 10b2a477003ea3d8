"""Reconciliation ladders side by side: one panel per published analysis, one row per rung.

Each panel reads from the top: (a) the published estimate and CI, then every rung that changes
one thing, down to the review's own result at the bottom. The rung's code and short name are on
the left, its estimate and CI on the right, both as tick labels so that the layout engine keeps
them apart (matplotlib's constrained layout); a vertical line marks no difference. The measure
stays on the axis: rungs on different measures (an MD and an SMD are in different units) carry
different markers, the x label names which rungs are on which measure, and a thin line separates
them.

The function takes the ladder frame (:data:`ldn_evidence.review.reconcile.LADDER_COLUMNS`), not
the review, so it sits below the review layer.
"""
from __future__ import annotations

import math

__all__ = ["reconcile_plot", "MARKERS"]

#: marker per measure (open for this review's rungs, filled for the published one)
MARKERS = {"MD": "s", "SMD": "o"}
PUBLISHED = "#222222"
OURS = "#1b7837"
RUNG = "#4d4d4d"
MEASURE_NAMES = {"MD": "MD", "SMD": "SMD (Hedges' g)"}


def _measure_spans(codes: list[str], measures: list[str]) -> str:
    """``MD: a-b; SMD (Hedges' g): c-e3`` — which rungs are on which measure."""
    spans, start = [], 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or measures[i] != measures[start]:
            span = codes[start] if i - 1 == start else f"{codes[start]}-{codes[i - 1]}"
            spans.append(f"{MEASURE_NAMES.get(measures[start], measures[start])}: {span}")
            start = i
    return "; ".join(spans) if len(spans) > 1 else MEASURE_NAMES.get(measures[0], measures[0])


def _interval(est: float, lo: float, hi: float, measure: str) -> str:
    if not math.isfinite(est):
        return f"{measure} not estimable"
    return f"{measure} {est:.2f} [{lo:.2f}, {hi:.2f}]".replace("-", "\u2212")


def _panel(ax, rows, title: str, fontsize: float) -> None:
    n = len(rows)
    ys = list(range(n - 1, -1, -1))
    codes = [r["step"] for r in rows]
    measures = [r["measure"] for r in rows]
    for y, r in zip(ys, rows):
        est, lo, hi = r["estimate"], r["ci_low"], r["ci_high"]
        if not math.isfinite(est):
            continue
        first, last = y == ys[0], y == ys[-1]
        color = PUBLISHED if first else OURS if last else RUNG
        ax.plot([lo, hi], [y, y], color=color, lw=1.4, solid_capstyle="butt", gid="ci")
        ax.plot([est], [y], marker="D" if first else MARKERS.get(r["measure"], "o"), ms=6.5 if first else 6,
                color=color, mfc=color if (first or last) else "white", mew=1.3, ls="none", gid="estimate")
    for i in range(1, n):
        if measures[i] != measures[i - 1]:
            ax.axhline(ys[i] + 0.5, color="#bbbbbb", lw=0.6, ls=(0, (2, 2)), gid="measure-change")
    ax.axvline(0, color="#888888", lw=0.8, zorder=0, gid="no-effect")
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(ys, [f"{r['step']}  {r['name']}" for r in rows], fontsize=fontsize)
    right = ax.secondary_yaxis("right")
    right.set_yticks(ys, [_interval(r["estimate"], r["ci_low"], r["ci_high"], r["measure"]) for r in rows],
                     fontsize=fontsize)
    right.tick_params(length=0)
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=fontsize)
    ax.set_xlabel(_measure_spans(codes, measures), fontsize=fontsize)
    ax.set_title(title, fontsize=fontsize + 1, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def reconcile_plot(frame, *, ncols: int | None = None, title: str | None = None, fontsize: float = 8.5,
                   dpi: float = 100):
    """A matplotlib Figure of the reconciliation ladders, side by side.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per rung, as :meth:`ldn_evidence.review.reconcile.ReconcileResult.to_frame`
        (columns ``analysis, label, step, name, measure, estimate, ci_low, ci_high``), rungs in
        ladder order.
    ncols : int, optional
        Panels per row (default: up to three).
    title : str, optional
        A title over the panels.
    fontsize, dpi : float
        Text size in points and the figure's resolution.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per published analysis (``gid`` "ladder-<id>"), in the frame's order.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"analysis": ["x", "x"], "label": ["Smith 2024"] * 2, "step": ["a", "b"],
    ...                       "name": ["published", "their trials"], "measure": ["SMD", "SMD"],
    ...                       "estimate": [-0.6, -0.2], "ci_low": [-1.1, -0.5], "ci_high": [-0.1, 0.1]})
    >>> fig = reconcile_plot(frame)
    >>> [ax.get_gid() for ax in fig.axes if ax.get_gid()]
    ['ladder-x']
    """
    from ._figure import new_figure

    ids = list(dict.fromkeys(frame["analysis"]))
    if not ids:
        raise ValueError("no ladder to draw: the frame has no rows")
    ncols = max(1, min(ncols or 3, len(ids)))
    nrows = math.ceil(len(ids) / ncols)
    longest = max(len(frame[frame["analysis"] == i]) for i in ids)
    fig = new_figure((5.6 * ncols, (0.34 * longest + 1.5) * nrows + (0.4 if title else 0)), dpi=dpi,
                     layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, aid in enumerate(ids):
        ax = axes[k // ncols][k % ncols]
        rows = frame[frame["analysis"] == aid].to_dict("records")
        a = rows[0]
        ax.set_gid(f"ladder-{aid}")
        _panel(ax, rows, f"{a['label']}\npublished {_interval(a['estimate'], a['ci_low'], a['ci_high'], a['measure'])}",
               fontsize)
    for k in range(len(ids), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=fontsize + 2)
    return fig
