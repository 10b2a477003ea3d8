"""Diagnostic plots: funnel (contour-enhanced, with trim-and-fill), Baujat, influence panel,
leave-one-out and cumulative forests, GOSH.

The functions draw what they are given and compute no statistics: they take a
:class:`~ldn_evidence.models.MetaResult` and the frames/results of
:mod:`ldn_evidence.sensitivity`. Each returns a :class:`ldn_evidence.plots._figure.ReviewFigure`
on an Agg canvas (no pyplot state; matplotlib is imported inside the functions). Point labels
(Baujat) are placed greedily where they collide with nothing; a label that fits nowhere is left
out (its point is still drawn and the caption says how many), so no text overlaps another.

Ratio measures (``log_scale=True``: the inputs are log ratios) are drawn on a logarithmic axis
labelled with ratios, so a risk ratio of 0.95 reads 0.95, not -0.05. Below 10 studies the funnel
and GOSH plots say in the figure that asymmetry and patterns cannot be judged reliably
(Cochrane Handbook 13.3.5.4).
"""
from __future__ import annotations

import math
from statistics import NormalDist

from ._layout import TextMeasurer
from .forest import forest_plot

__all__ = ["funnel_plot", "baujat_plot", "influence_plot", "leave_one_out_plot", "cumulative_plot", "gosh_plot",
           "SMALL_K", "small_k_caveat"]

FONT = "DejaVu Sans"
SIZE_PT = 9.0
SMALL_PT = 8.0
DPI = 100
INK = "black"
GREY = "#555555"
ACCENT = "#b2182b"
POINT = "#2f5d8a"
# contour shades for p > .10, .05-.10, .01-.05, < .01: darker as p falls (Peters et al. 2008)
SHADES = ("white", "#d9d9d9", "#b3b3b3", "#8c8c8c")
#: fewer studies than this: tests and plots of funnel asymmetry are not meaningful (Cochrane
#: Handbook 13.3.5.4)
SMALL_K = 10


def small_k_caveat(k: int, what: str = "asymmetry") -> str | None:
    """The caveat a funnel or GOSH figure carries below :data:`SMALL_K` studies, else None.

    >>> small_k_caveat(4)
    'Fewer than 10 studies (k = 4): asymmetry cannot be assessed reliably'
    """
    if k >= SMALL_K:
        return None
    return f"Fewer than {SMALL_K} studies (k = {k}): {what} cannot be assessed reliably"


def _caveat(fig, k, what="asymmetry"):
    text = small_k_caveat(k, what)
    if text:
        fig.supxlabel(text, fontsize=SMALL_PT, color=ACCENT, gid="small-k-caveat")
    return fig


def _ratio_ticks(lo: float, hi: float) -> list[float] | None:
    """Ratios for the ticks of a log axis from ``lo`` to ``hi``: the sparsest of the series
    1-10-100, 1-2-5, ... (with their reciprocals, so 0.5 faces 2) giving three to seven ticks;
    None when even the densest gives fewer than three (a very narrow axis).

    >>> _ratio_ticks(0.1, 12)
    [0.1, 1.0, 10.0]
    >>> _ratio_ticks(0.7, 1.3)
    [0.8, 1.0, 1.25]
    """
    series = ((1,), (1, 2, 5), (1, 2, 4), (1, 1.5, 2, 3, 5), (1, 1.25, 1.5, 2, 2.5, 3, 4, 5),
              (1, 1.1, 1.25, 1.5, 2, 2.5, 3, 4, 5))
    for ms in series:
        cands = sorted({float(f"{v:.3g}") for e in range(-6, 7) for m in ms
                        for v in (m * 10.0 ** e, 1 / (m * 10.0 ** e))})
        pick = [c for c in cands if lo <= c <= hi]
        if 3 <= len(pick) <= 7:
            return pick
        if len(pick) > 7:
            step = math.ceil(len(pick) / 7)
            one = min(range(len(pick)), key=lambda i: abs(math.log(pick[i])))
            return pick[one % step::step]
    return None


def _log_axis(axis, lo: float, hi: float):
    """A logarithmic axis from ratio ``lo`` to ``hi`` with plain ratio tick labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    ticks = _ratio_ticks(lo, hi)
    axis.set_major_locator(FixedLocator(ticks) if ticks else MaxNLocator(4))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.4g}"))


def _figure(size):
    from ._figure import new_figure

    return new_figure(size, dpi=DPI, layout="constrained")


def _style(ax):
    ax.tick_params(labelsize=SMALL_PT)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)


def _trim_ticks(fig):
    """Keep only the ticks inside each axis' view limits (matplotlib keeps undrawn tick labels
    beyond the limits; fixing the ticks makes every remaining label a drawn one)."""
    for ax in fig.axes:
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lim), max(lim)
            tol = 1e-9 * (hi - lo)
            ticks = [t for t in axis.get_majorticklocs() if lo - tol <= t <= hi + tol]
            axis.set_ticks(ticks)
            ax.set_xlim(lim) if axis is ax.xaxis else ax.set_ylim(lim)
    return fig


def _z(level_pct):
    return NormalDist().inv_cdf(1 - (1 - level_pct / 100) / 2)


# ---------------------------------------------------------------------------------------------
# funnel


def _funnel_contours(ax, levels, null_value, lo, hi, top, x):
    """The shaded regions of a contour-enhanced funnel; legend handles and names."""
    from matplotlib.patches import Patch, Polygon

    zs = [_z(lv) for lv in levels]                 # increasing
    shades = [SHADES[min(i, len(SHADES) - 1)] for i in range(len(levels) + 1)]
    # the region beyond the widest contour (p below the smallest alpha) is the background
    ax.add_patch(Polygon([(x(lo), 0), (x(hi), 0), (x(hi), top), (x(lo), top)], closed=True,
                         facecolor=shades[-1], edgecolor="none", zorder=0, gid="contour"))
    for j, z in enumerate(reversed(zs)):          # widest first, narrower drawn on top
        colour = shades[len(zs) - 1 - j]
        poly = [(x(null_value), 0), (x(null_value + z * top), top), (x(null_value - z * top), top)]
        ax.add_patch(Polygon(poly, closed=True, facecolor=colour, edgecolor="none", zorder=1, gid="contour"))
    alphas = [round(1 - lv / 100, 4) for lv in levels]          # e.g. .10, .05, .01
    labels = [f"p > {alphas[0]:g}"]
    for a, b in zip(alphas[:-1], alphas[1:]):
        labels.append(f"{b:g} < p \u2264 {a:g}")
    labels.append(f"p \u2264 {alphas[-1]:g}")
    return [Patch(facecolor=c, edgecolor=GREY, linewidth=0.5) for c in shades], labels


def funnel_plot(res, trimfill=None, *, contours=(90, 95, 99), null_value=0.0, xlabel="Effect size",
                title=None, show_pseudo_ci=True, log_scale=False):
    """Contour-enhanced funnel plot (Peters et al. 2008), as metafor's ``funnel(res, level=c(90,
    95, 99), shade=..., refline=0)``.

    Effect (x) against standard error (y, 0 at the top). Shaded regions, darker as the p-value
    falls: where a study's two-sided p-value against ``null_value`` falls in (0.10, 1],
    (0.05, 0.10], (0.01, 0.05] and below 0.01 (for ``contours=(90, 95, 99)``). Observed studies
    are filled dots; with a :class:`~ldn_evidence.sensitivity.TrimFillResult` the imputed studies
    are open circles and the filled-data estimate is a dashed line. The pooled estimate is a
    vertical line with its pseudo-confidence funnel (estimate +- 1.96 SE).

    ``log_scale``: the effects are log ratios (and ``null_value`` a log ratio); the x axis is
    logarithmic and labelled with ratios. Below 10 studies the figure says that asymmetry
    cannot be assessed reliably (Cochrane Handbook 13.3.5.4).
    """
    import numpy as np
    from matplotlib.lines import Line2D

    x = (lambda v: np.exp(v)) if log_scale else (lambda v: np.asarray(v, float))
    yi = np.asarray(res.yi, float)
    se = np.sqrt(np.asarray(res.vi, float))
    fill_y = fill_se = None
    if trimfill is not None and getattr(trimfill, "k0", 0) > 0:
        fill_y = np.asarray(trimfill.fill_yi, float)
        fill_se = np.sqrt(np.asarray(trimfill.fill_vi, float))
    all_se = se if fill_se is None else np.r_[se, fill_se]
    top = float(all_se.max()) * 1.08 if all_se.size else 1.0
    fig = _figure((6.4, 4.6))
    ax = fig.add_subplot()
    _style(ax)
    levels = sorted(contours)
    zmax = _z(levels[-1])
    xspan = [yi.min(), yi.max(), null_value + zmax * top, null_value - zmax * top]
    if fill_y is not None:
        xspan += [fill_y.min(), fill_y.max()]
    lo, hi = min(xspan), max(xspan)
    pad = 0.06 * (hi - lo if hi > lo else 1.0)
    lo, hi = lo - pad, hi + pad
    handles, names = _funnel_contours(ax, levels, null_value, lo, hi, top, x)
    est = float(res.estimate)
    ax.plot(x([est, est]), [0, top], color=INK, lw=0.9, zorder=2, gid="estimate-line")
    if show_pseudo_ci:
        z95 = _z(95)
        ax.plot(x([est - z95 * top, est, est + z95 * top]), [top, 0, top], color=INK, lw=0.7, ls=":", zorder=2,
                gid="pseudo-ci")
    ax.scatter(x(yi), se, s=26, facecolor=INK, edgecolor=INK, zorder=4, gid="studies")
    handles.append(Line2D([], [], marker="o", ls="", color=INK, markersize=5))
    names.append("Studies")
    if fill_y is not None:
        ax.scatter(x(fill_y), fill_se, s=26, facecolor="white", edgecolor=INK, linewidths=1.0, zorder=4,
                   gid="filled-studies")
        ax.plot(x([trimfill.estimate] * 2), [0, top], color=ACCENT, lw=0.9, ls="--", zorder=3,
                gid="filled-estimate")
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor=INK, markersize=5))
        names.append(f"Filled studies (k0 = {trimfill.k0})")
        handles.append(Line2D([], [], color=ACCENT, ls="--"))
        names.append("Estimate after filling")
    if log_scale:
        ax.set_xscale("log")
        _log_axis(ax.xaxis, float(x(lo)), float(x(hi)))
    ax.set_xlim(float(x(lo)), float(x(hi)))
    ax.set_ylim(top, 0)
    ax.set_xlabel(xlabel + (" (log scale)" if log_scale else ""), fontsize=SIZE_PT)
    ax.set_ylabel("Standard error" + (" of the log ratio" if log_scale else ""), fontsize=SIZE_PT)
    leg = ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=SMALL_PT,
                    frameon=False, borderaxespad=0.0)
    leg.set_gid("legend")
    if title:
        ax.set_title(title, fontsize=SIZE_PT + 1, loc="left")
    _caveat(fig, len(yi))
    return _trim_ticks(fig)


# ---------------------------------------------------------------------------------------------
# point labels without collisions


def _place_labels(fig, ax, xs, ys, texts, order):
    """Label points greedily (most important first) where the label overlaps no other label,
    no tick label and stays inside the axes; returns the number of labels left out."""
    import numpy as np
    from matplotlib.transforms import Bbox

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in ax.get_xticklabels() + ax.get_yticklabels()
             if t.get_visible() and t.get_text()]
    box = ax.get_window_extent(renderer)
    pts = ax.transData.transform(np.column_stack([xs, ys]))
    r = 2.5                                            # points are obstacles too (half size, pixels)
    dots = [Bbox([[px - r, py - r], [px + r, py + r]]) if np.isfinite(px) and np.isfinite(py) else None
            for px, py in pts]
    offsets = [(5, 4, "left", "bottom"), (5, -4, "left", "top"), (-5, 4, "right", "bottom"),
               (-5, -4, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top"),
               (9, 0, "left", "center"), (-9, 0, "right", "center")]
    dropped = 0
    for i in order:
        placed = False
        for dx, dy, ha, va in offsets:
            t = ax.annotate(texts[i], (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                            fontsize=SMALL_PT, color=INK, annotation_clip=False, gid="point-label")
            e = t.get_window_extent(renderer)
            inside = e.x0 >= box.x0 and e.x1 <= box.x1 and e.y0 >= box.y0 and e.y1 <= box.y1
            clash = any(e.overlaps(o) for o in taken) or any(
                d is not None and j != i and e.overlaps(d) for j, d in enumerate(dots))
            if inside and not clash:
                taken.append(e)
                placed = True
                break
            t.remove()
        dropped += not placed
    return dropped


def baujat_plot(frame, *, labels="label", title=None):
    """Baujat plot (Baujat et al. 2002), as metafor's ``baujat()``: each study's contribution to
    the heterogeneity statistic (x) against its influence on the pooled result (y).

    ``frame``: :func:`ldn_evidence.sensitivity.baujat`. ``labels``: "label" (the studies' names,
    the default) or "index" (1..k, metafor's default ``symbol="ids"``).
    """
    import numpy as np

    xs = frame["x"].to_numpy(float)
    ys = frame["y"].to_numpy(float)
    texts = [str(i + 1) for i in range(len(xs))] if labels == "index" else [str(s) for s in frame.index]
    fig = _figure((5.6, 4.4))
    ax = fig.add_subplot()
    _style(ax)
    ax.grid(True, color="#e5e5e5", lw=0.6, zorder=0)
    ok = np.isfinite(xs) & np.isfinite(ys)
    ax.scatter(xs[ok], ys[ok], s=18, color=POINT, zorder=3, gid="studies")
    if ok.any():
        xr = np.ptp(xs[ok]) or 1.0
        yr = np.ptp(ys[ok]) or 1.0
        ax.set_xlim(xs[ok].min() - 0.06 * xr, xs[ok].max() + 0.12 * xr)
        ax.set_ylim(ys[ok].min() - 0.06 * yr, ys[ok].max() + 0.10 * yr)
    xlabel = "Contribution to overall heterogeneity (squared Pearson residual)"
    ax.set_xlabel(xlabel, fontsize=SIZE_PT)
    ax.set_ylabel("Influence on overall result", fontsize=SIZE_PT)
    if title:
        ax.set_title(title, fontsize=SIZE_PT + 1, loc="left")
    _trim_ticks(fig)
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(-(xs[idx] / (np.nanmax(xs) or 1) + ys[idx] / (np.nanmax(ys) or 1)))]
    dropped = _place_labels(fig, ax, xs, ys, texts, order)
    if dropped:                        # say so under the axis label, then place the labels again
        for t in [t for t in ax.texts if t.get_gid() == "point-label"]:
            t.remove()
        ax.set_xlabel(f"{xlabel}\n({dropped} point label(s) left out where points crowd)", fontsize=SIZE_PT)
        again = _place_labels(fig, ax, xs, ys, texts, order)
        if again != dropped:
            ax.set_xlabel(f"{xlabel}\n({again} point label(s) left out where points crowd)", fontsize=SIZE_PT)
    fig.set_layout_engine("none")      # freeze the layout the labels were placed in
    return fig


# ---------------------------------------------------------------------------------------------
# influence panel

_PANELS = [("rstudent", "rstudent"), ("dffits", "dffits"), ("cooks_d", "Cook's distance"),
           ("cov_r", "covariance ratio"), ("tau2_del", "\u03c4\u00b2 (leave one out)"),
           ("qe_del", "Q (leave one out)"), ("hat", "hat (leverage)"), ("weight", "weight (%)"),
           ("dfbetas", "dfbetas")]


def influence_plot(frame, res=None, *, title=None, per_row=5):
    """Influence panel, as metafor's ``plot(influence(res))``, one panel per diagnostic of
    :func:`ldn_evidence.sensitivity.influence`, with the studies named down the side (one line
    per study, in the frame's order) so that a flagged study is read by name, not by number.

    Influential studies (``inf``) are red filled points; metafor's reference lines: rstudent
    +-1.96, the dffits, Cook's distance, hat and dfbetas cut-offs of the flag, tau^2 and Q of the
    full model from ``res`` when given, 1 for the covariance ratio, 100/k for the weights.
    ``per_row`` panels share a row (and the study names at its left).
    """
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    k = len(frame)
    p = 1
    y = np.arange(k)
    names = [str(s) for s in frame.index]
    infl = frame["inf"].to_numpy(bool)
    cut = 3 * math.sqrt(p / max(k - p, 1))
    refs = {
        "rstudent": [-1.959964, 0.0, 1.959964], "dffits": [-cut, 0.0, cut],
        "cooks_d": [0.454936423119572],        # qchisq(0.5, df = 1): the flag's cut-off
        "cov_r": [1.0], "hat": [p / k, 3 * p / k], "weight": [100 / k], "dfbetas": [-1.0, 0.0, 1.0],
    }
    if res is not None:
        refs["tau2_del"] = [float(res.tau2)]
        refs["qe_del"] = [float(res.q)]
    n_rows = math.ceil(len(_PANELS) / per_row)
    probe = _figure((1, 1))
    name_w = max(TextMeasurer(probe).width(s, FontProperties(size=SMALL_PT)) for s in names) if names else 0
    row_h = 0.62 + 0.17 * k
    fig = _figure((name_w + 0.5 + 1.25 * per_row, n_rows * row_h + (0.3 if title else 0)))
    grid = fig.add_gridspec(n_rows, per_row)
    for j, (col, label) in enumerate(_PANELS):
        r, c = divmod(j, per_row)
        ax = fig.add_subplot(grid[r, c])
        _style(ax)
        vals = frame[col].to_numpy(float)
        for v in refs.get(col, []):
            ax.axvline(v, color="#9a9a9a", lw=0.7, ls="--", zorder=1)
        ax.scatter(vals[~infl], y[~infl], s=14, color=INK, zorder=3, gid="points")
        if infl.any():
            ax.scatter(vals[infl], y[infl], s=22, color=ACCENT, zorder=4, gid="influential")
        ax.set_title(label, fontsize=SIZE_PT)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
        ax.set_ylim(k - 0.5, -0.5)
        ax.set_yticks(y)
        if c == 0:
            ax.set_yticklabels(names, fontsize=SMALL_PT)
        else:
            ax.tick_params(labelleft=False)
    if title:
        fig.suptitle(title, fontsize=SIZE_PT + 1)
    return _trim_ticks(fig)


# ---------------------------------------------------------------------------------------------
# leave-one-out and cumulative forests (drawn by the forest plot)


def _fmt(x, digits=2):
    return "" if not (isinstance(x, (int, float)) and math.isfinite(x)) else f"{x:.{digits}f}"


def leave_one_out_plot(frame, overall=None, *, xlabel="Effect size", log_scale=False, title=None, level=95,
                       null_value=0.0, favours=("", ""), footnotes=()):
    """Leave-one-out forest plot: one row per omitted study (estimate and CI of the model
    without it, with tau^2 and I^2 columns), the full model as the diamond underneath.

    ``frame``: :func:`ldn_evidence.sensitivity.leave_one_out`; ``overall``: the full
    :class:`MetaResult`. ``log_scale``: log ratios in, a log axis and ratios shown (tau^2 stays
    on the log scale, as its header says). Drawn with :func:`ldn_evidence.plots.forest.forest_plot`.
    """
    import pandas as pd

    t = pd.DataFrame({
        "label": [f"Omitting {s}" for s in frame.index],
        "yi": frame["estimate"].to_numpy(float), "ci_low": frame["ci_low"].to_numpy(float),
        "ci_high": frame["ci_high"].to_numpy(float),
        "tau2": [_fmt(v, 3) for v in frame["tau2"]], "i2": [_fmt(v, 0) for v in frame["i2"]],
    })
    tau2 = "\u03c4\u00b2 (log scale)" if log_scale else "\u03c4\u00b2"
    return forest_plot(t, overall=overall, xlabel=xlabel, favours=favours, log_scale=log_scale,
                       columns={"tau2": tau2, "i2": "I\u00b2 (%)"}, title=title, level=level,
                       null_value=null_value, footnotes=footnotes)


def _cumulative_labels(frame) -> list[str]:
    if "year" in frame.columns and "added" in frame.columns:       # cumulative by publication year
        return [("no year" if y is None or (isinstance(y, float) and math.isnan(y)) else str(int(y)))
                + f" + {added}" for y, added in zip(frame["year"], frame["added"])]
    return [f"+ {s}" for s in frame.index]


def cumulative_plot(frame, *, xlabel="Effect size", log_scale=False, title=None, level=95, null_value=0.0,
                    favours=("", ""), footnotes=()):
    """Cumulative forest plot, as metafor's ``forest(cumul(res))``: row i is the meta-analysis
    of the studies up to row i.

    ``frame``: :func:`ldn_evidence.sensitivity.cumulative` (one row per study added; index: the
    study) or :func:`ldn_evidence.review.by_year.cumulative_by_year` (one row per year; columns
    ``year`` and ``added``). Drawn with :func:`ldn_evidence.plots.forest.forest_plot`, so the
    columns are as wide as their texts and the footnotes wrap inside the figure.
    """
    import pandas as pd

    by_year = "year" in frame.columns and "added" in frame.columns
    t = pd.DataFrame({
        "label": _cumulative_labels(frame),
        "yi": frame["estimate"].to_numpy(float), "ci_low": frame["ci_low"].to_numpy(float),
        "ci_high": frame["ci_high"].to_numpy(float),
        "k": [int(v) for v in frame["k"]], "i2": [_fmt(v, 0) for v in frame["i2"]],
    })
    return forest_plot(t, overall=None, xlabel=xlabel, favours=favours, log_scale=log_scale,
                       columns={"k": "k", "i2": "I\u00b2 (%)"}, title=title, level=level, null_value=null_value,
                       footnotes=footnotes, label_header="Year + studies added" if by_year else "Study added")


# ---------------------------------------------------------------------------------------------
# GOSH


def gosh_plot(frame, *, highlight=None, xlabel="Effect size", bins=60, title=None, max_points=200_000, seed=0,
              log_scale=False):
    """GOSH plot (Olkin et al. 2012), as metafor's ``plot(gosh(res))`` for I^2 vs estimate:
    one point per subset, marginal histograms on top and right.

    ``frame``: :func:`ldn_evidence.sensitivity.gosh`. ``highlight``: a study (its label, or
    its column name in the frame): subsets containing it in red, the others in blue (metafor's
    ``out=``). At most ``max_points`` points are drawn (an evenly seeded subsample; the
    histograms use all subsets). ``log_scale``: the estimates are log ratios, drawn on a log
    axis labelled with ratios (histogram bins of equal width on that axis). Below 10 studies the
    figure says that the subsets' pattern cannot be assessed reliably.
    """
    import numpy as np

    ok = np.isfinite(frame["estimate"].to_numpy(float)) & np.isfinite(frame["i2"].to_numpy(float))
    est = frame["estimate"].to_numpy(float)[ok]
    edges_est = np.histogram_bin_edges(est, bins=bins)
    density = not log_scale          # equal-width log bins: heights proportional to counts
    if log_scale:
        est, edges_est = np.exp(est), np.exp(edges_est)
    i2 = frame["i2"].to_numpy(float)[ok]
    hl = None
    if highlight is not None:
        names = frame.attrs.get("study_columns", [])
        labs = [str(s) for s in frame.attrs.get("labels", [])]
        col = str(highlight)
        if col not in frame.columns and col in labs:
            col = names[labs.index(col)]
        if col not in frame.columns:
            raise KeyError(f"no study column {highlight!r} in the GOSH frame")
        hl = frame[col].to_numpy(bool)[ok]
    fig = _figure((6.0, 5.6))
    gs = fig.add_gridspec(2, 2, width_ratios=(4, 1), height_ratios=(1, 4))
    ax = fig.add_subplot(gs[1, 0])
    top = fig.add_subplot(gs[0, 0], sharex=ax)
    right = fig.add_subplot(gs[1, 1], sharey=ax)
    for a in (ax, top, right):
        _style(a)
    idx = np.arange(est.size)
    if est.size > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(est.size, max_points, replace=False))
    alpha = float(min(0.8, max(0.05, 300 / max(idx.size, 1) ** 0.75)))
    size = 4 if idx.size > 2000 else 10
    if hl is None:
        ax.scatter(est[idx], i2[idx], s=size, color=POINT, alpha=alpha, linewidths=0, gid="subsets")
        top.hist(est, bins=edges_est, density=density, color=POINT, alpha=0.7)
        right.hist(i2, bins=bins, density=True, orientation="horizontal", color=POINT, alpha=0.7)
    else:
        ax.scatter(est[idx][~hl[idx]], i2[idx][~hl[idx]], s=size, color=POINT, alpha=alpha, linewidths=0,
                   gid="subsets")
        ax.scatter(est[idx][hl[idx]], i2[idx][hl[idx]], s=size, color=ACCENT, alpha=alpha, linewidths=0,
                   gid="subsets-highlight")
        top.hist([est[~hl], est[hl]], bins=edges_est, density=density, color=[POINT, ACCENT], alpha=0.6,
                 histtype="stepfilled")
        edges = np.histogram_bin_edges(i2, bins=bins)
        right.hist([i2[~hl], i2[hl]], bins=edges, density=True, color=[POINT, ACCENT], alpha=0.6,
                   orientation="horizontal", histtype="stepfilled")
        from matplotlib.patches import Patch

        ax.legend([Patch(color=ACCENT), Patch(color=POINT)], [f"with {highlight}", f"without {highlight}"],
                  fontsize=SMALL_PT, frameon=False, loc="best")
    top.tick_params(labelbottom=False, labelleft=False, left=False)
    right.tick_params(labelleft=False, labelbottom=False, bottom=False)
    top.spines["left"].set_visible(False)
    right.spines["bottom"].set_visible(False)
    if log_scale and est.size:
        ax.set_xscale("log")
        _log_axis(ax.xaxis, float(est.min()), float(est.max()))
    ax.set_xlabel(xlabel + (" (log scale)" if log_scale else ""), fontsize=SIZE_PT)
    ax.set_ylabel("I\u00b2 (%)", fontsize=SIZE_PT)
    n = int(ok.sum())
    kind = "all" if frame.attrs.get("exact", True) else "random"
    auto = f"GOSH: {kind} {len(frame):,} subsets" + (f" ({len(frame) - n:,} fits failed)" if n < len(frame) else "")
    top.set_title(title or auto, fontsize=SIZE_PT + 1, loc="left")
    k = len(frame.attrs.get("study_columns", [])) or _k_of_subsets(len(frame))
    _caveat(fig, k, "the subsets' pattern")
    return _trim_ticks(fig)


def _k_of_subsets(n: int) -> int:
    """k from the number of subsets when all 2^k - 1 were fitted."""
    return max(1, (n + 1).bit_length() - 1)
