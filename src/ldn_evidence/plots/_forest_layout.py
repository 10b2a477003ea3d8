"""Where everything of a forest plot goes, computed before anything is drawn.

:func:`layout` takes the plot's content (the rows of :mod:`ldn_evidence.plots.forest`, with their
texts) and a text measurer, and returns a :class:`ForestLayout`: every column's position and
width, the plot panel, its axis range and ticks, the risk-of-bias columns, the wrapped title and
footnotes, and the height of every band, all in inches. Hand-written because that is the point
(architecture.md): every width is that of the widest *rendered* text of its column (measured
with the Agg renderer that draws it), so no text can overlap another, from one study to
hundreds, with long labels, spanning headers, long subgroup names and risk-of-bias columns.

The steps, each a function: :func:`_measure_columns` (text columns, spanning headers),
:func:`_panel` (axis range, ticks and the width they and the "Favours" labels need),
:func:`_rob_columns`, :func:`_place_horizontally`, :func:`_wrap_full_width` and
:func:`_place_vertically`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ._layout import wrap_to_width
from .rob import ROB_STYLE

__all__ = ["ForestLayout", "layout", "Column", "Row"]

# ---------------------------------------------------------------------------------------------
# Look and size. All lengths in inches unless the name ends in _pt.
FONT = "DejaVu Sans"           # ships with matplotlib: same metrics on every machine
SIZE_PT = 9.0                  # study rows, headers
SMALL_PT = 8.0                 # heterogeneity lines, tick labels, footnotes
TITLE_PT = 11.0
ROB_SYMBOL_PT = 6.5
ROW = 1.6 * SIZE_PT / 72       # height of one table row
FOOT_LINE = 1.45 * SMALL_PT / 72
MARGIN = 0.12                  # around the whole figure
COLGAP = 0.18                  # between text columns
ROBGAP = 0.06                  # between risk-of-bias columns
PANEL_MIN = 2.6                # minimum width of the plot panel
TICK_LEN_PT = 3.0
FAV_GAP = 0.08                 # free space around a "Favours" label within its half of the axis
ROB_DOT = 0.78 * ROW           # diameter of a risk-of-bias dot

# Risk-of-bias judgements: normalised text -> (display name, colour, symbol, symbol colour), in
# the forest legend's order. The palette is the risk-of-bias figures' (robvis, McGuinness & Higgins
# 2021; symbols so the plot survives greyscale), plus the older "unclear" of RoB 1.
_ROB_ORDER = ("low", "some_concerns", "moderate", "unclear", "high", "serious", "critical", "no_information")
_UNCLEAR = ("Unclear", ROB_STYLE["some_concerns"][1], "?", "black")


def _forest_rob(key: str) -> tuple[str, str, str, str]:
    name, fill, symbol, ink = ROB_STYLE.get(key, _UNCLEAR)
    return name.lower(), fill, symbol, ink


ROB = {key.replace("_", " "): _forest_rob(key) for key in _ROB_ORDER}

_ABBREV = {
    "standardised mean difference": "SMD", "standardized mean difference": "SMD",
    "mean difference": "MD", "risk ratio": "RR", "relative risk": "RR", "odds ratio": "OR",
    "hazard ratio": "HR", "risk difference": "RD", "ratio of means": "ROM",
    "response ratio": "ROM", "hedges' g": "g", "hedges g": "g",
}


class Row:
    """One line of the table: its cells and what the panel draws on it."""

    __slots__ = ("kind", "cells", "span", "style", "study", "diamond", "pi", "rob")

    def __init__(self, kind, cells=None, *, span=None, style="normal", study=None, diamond=None,
                 pi=None, rob=None):
        self.kind = kind                    # study group subtotal het blank overall pi total
        self.cells = cells or {}            # column key -> text
        self.span = span                    # text spanning the left columns (group name, het)
        self.style = style                  # normal | bold | small
        self.study = study                  # index into the table for study rows
        self.diamond = diamond              # (estimate, low, high, gid)
        self.pi = pi                        # (low, high)
        self.rob = rob                      # rob column -> judgement key


class Column:
    """A text column: its key in the rows' cells, header, alignment, and (once laid out) its left
    edge and width."""

    __slots__ = ("key", "header", "align", "x0", "width")

    def __init__(self, key, header, align):
        self.key, self.header, self.align = key, header, align   # align: left | right
        self.x0 = self.width = 0.0

    @property
    def anchor(self) -> float:
        """The x where its texts are anchored (left edge or right edge)."""
        return self.x0 if self.align == "left" else self.x0 + self.width


@dataclass
class ForestLayout:
    """Positions in inches from the figure's left edge and from its top edge."""

    fig_w: float
    fig_h: float
    cols: list
    groups: list                # (title, x0, x1) of each spanning header
    panel_x0: float
    panel_x1: float
    xlim: tuple
    ticks: list
    tick_labels: list
    rob_cols: list
    rob_heads: list
    rob_x: list
    title_lines: list
    title_base: list
    group_header_top: float | None
    header_top: float
    body_top: float
    body_bottom: float
    tick_label_top: float
    fav_top: float
    summary_top: float
    foot_lines: list
    foot_base: list
    n_rows: int
    favours_x: tuple = field(default=(None, None))   # centres of the two "Favours" labels (data x)

    @property
    def panel_w(self) -> float:
        return self.panel_x1 - self.panel_x0


# ---------------------------------------------------------------------------------------------
# Axis range and ticks (on the scale of yi; log-scale plots use log-ratios internally).


def half_range(d, rows, null):
    """Half-width of the axis around the line of no effect: every estimate and the overall
    diamond whole; intervals too unless a few very wide ones would squash the rest."""
    import numpy as np

    core = [d["yi"]]
    whiskers = [d["ci_low"], d["ci_high"]]
    for r in rows:
        if r.diamond:
            # the overall diamond is always shown whole; a subgroup's (often wide: k = 2 under
            # Hartung-Knapp) may run off the panel with an arrow like a study's interval
            if r.kind == "overall":
                core.append(np.array(r.diamond[:3], dtype=float))
            else:
                core.append(np.array(r.diamond[:1], dtype=float))
                whiskers.append(np.array(r.diamond[1:3], dtype=float))
        if r.pi:
            whiskers.append(np.array(r.pi, dtype=float))
    core = np.abs(np.concatenate(core) - null)
    core = core[np.isfinite(core)]
    wh = np.abs(np.concatenate(whiskers) - null)
    wh = wh[np.isfinite(wh)]
    h_core = core.max() if core.size else 0.0
    if wh.size:
        # show the confidence intervals, but let a few very wide ones run off with an arrow
        # rather than squash every other study into the middle of the panel
        typical = max(h_core, float(np.quantile(wh, 0.85)))
        h = max(h_core, float(wh[wh <= 2.0 * typical].max()))
    else:
        h = h_core
    return h if h > 0 else 1.0


def _num(x: float, digits: int) -> str:
    s = f"{x:.{digits}f}"
    if float(s) == 0:                      # no "-0.00"
        s = f"{0:.{digits}f}"
    return s


def _fmt_tick(v: float) -> str:
    if v == 0:
        return "0"
    if 1e-4 <= abs(v) < 1e6:
        s = f"{v:.4g}"
        if "e" in s:
            s = f"{v:f}".rstrip("0").rstrip(".")
        return s
    return f"{v:.0e}"


def linear_ticks(h, null):
    """Ticks at 1, 2, 2.5 or 5 times a power of ten, at most three each side of ``null``."""
    step = None
    for e in range(-6, 9):
        for m in (1, 2, 2.5, 5):
            s = m * 10.0 ** e
            if math.ceil(h / s - 1e-9) <= 3:
                step = s
                break
        if step:
            break
    step = step or h
    n = max(1, math.ceil(h / step - 1e-9))
    ticks = [null + i * step for i in range(-n, n + 1)]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step / 10 ** math.floor(
        math.log10(step)) == 2.5 else 0)
    labels = [_num(t, decimals) if decimals else _num(t, 0) for t in ticks]
    return ticks, labels, (null - n * step, null + n * step)


def log_ticks(h, null):
    """Ratio ticks (0.5, 1, 2 ...) at their logarithms, symmetric around ``null``."""
    h = min(h, 690.0)                       # ratios up to 1e300: keep exp() finite
    limit = math.exp(h)
    tables = [(1.25, [0.8, 0.9, 1, 1.1, 1.25]), (1.5, [0.67, 0.8, 1, 1.25, 1.5]),
              (2, [0.5, 0.7, 1, 1.4, 2]), (4, [0.25, 0.5, 1, 2, 4]),
              (10, [0.1, 0.2, 0.5, 1, 2, 5, 10]), (20, [0.05, 0.2, 1, 5, 20]),
              (100, [0.01, 0.1, 1, 10, 100])]
    for lim, values in tables:
        if limit <= lim * (1 + 1e-9):
            break
    else:
        n = math.ceil(math.log10(limit) - 1e-9)
        every = math.ceil(n / 3)
        n = every * math.ceil(n / every)
        values = [10.0 ** p for p in range(-n, n + 1, every)]
        lim = 10.0 ** n
    ratios = [v * math.exp(null) for v in values]
    ticks = [math.log(v) for v in ratios]
    labels = [_fmt_tick(float(f"{v:.6g}")) for v in ratios]
    return ticks, labels, (null - math.log(lim), null + math.log(lim))


# ---------------------------------------------------------------------------------------------
# the steps


def _measure_columns(d, rows, summary, opts, width):
    """Text columns left of the panel, each as wide as its widest text; a spanning header wider
    than the columns under it widens each of them by the same amount."""
    measure_name = _ABBREV.get(str(opts.xlabel).strip().lower(), "Estimate")
    head = opts.label_header or ("Study" if d["group"] is None else "Study or subgroup")
    cols = [Column("label", head, "left")]
    for c, head in d["extra_headers"].items():
        cols.append(Column("x:" + c, head, "right" if d["extra_numeric"][c] else "left"))
    if d["has_weight"]:
        cols.append(Column("weight", "Weight", "right"))
    cols.append(Column("effect", f"{measure_name} [{opts.level:g}% CI]", "right"))
    for col in cols:
        ws = [width(col.header, "bold")]
        for r in rows:
            text = r.cells.get(col.key, "")
            if text:
                ws.append(width(text, "bold" if r.style == "bold" else "normal"))
        col.width = max(ws)
    keys = [c.key for c in cols]
    spans = []
    for title, members in opts.column_groups:
        idx = [keys.index("x:" + m) for m in members]
        need = width(title, "bold") - (sum(cols[i].width for i in idx) + COLGAP * (len(idx) - 1))
        if need > 0:
            for i in idx:
                cols[i].width += need / len(idx)
        spans.append((title, idx[0], idx[-1]))
    left_w = sum(c.width for c in cols) + COLGAP * (len(cols) - 1)
    span_w = max([width(r.span, r.style) for r in rows if r.span] + [0.0])
    summary_w = max([width(s, "small") for s in summary] + [0.0])
    need = max(span_w, summary_w)
    if need > left_w:                      # widen the label column: spans never reach the plot
        cols[0].width += need - left_w
    return cols, spans


def _panel(d, rows, opts, width):
    """Axis range, ticks, and a panel wide enough for the tick labels, the axis title and each
    "Favours" label inside its half of the axis."""
    h = half_range(d, rows, opts.null)
    ticks, tick_labels, xlim = (log_ticks if opts.log_scale else linear_ticks)(h, opts.null)
    span = xlim[1] - xlim[0]
    tick_w = [width(s, "small") for s in tick_labels]
    frac = [(t - xlim[0]) / span for t in ticks]
    panel_w = max(PANEL_MIN, width(str(opts.xlabel), "bold"))
    for i in range(len(ticks) - 1):
        dfrac = frac[i + 1] - frac[i]
        if dfrac > 0:
            panel_w = max(panel_w, ((tick_w[i] + tick_w[i + 1]) / 2 + 0.1) / dfrac)
    null_frac = (opts.null - xlim[0]) / span
    left, right = opts.favours
    if left:
        panel_w = max(panel_w, (width(left, "small") + FAV_GAP) / max(null_frac, 0.05))
    if right:
        panel_w = max(panel_w, (width(right, "small") + FAV_GAP) / max(1 - null_frac, 0.05))
    return xlim, ticks, tick_labels, tick_w, panel_w


def _rob_columns(d, width):
    """Risk-of-bias columns: headers (letters when long), legend lines, widths."""
    rob_cols = list(d["rob_headers"])
    rob_heads = [d["rob_headers"][c] for c in rob_cols]
    legend = []
    if rob_cols:
        if len(rob_cols) > 1 and any(len(h_) > 2 for h_ in rob_heads):
            letters = [chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i in range(len(rob_cols))]
            legend.append("Risk of bias: " + "; ".join(
                f"({a}) {h_}" for a, h_ in zip(letters, rob_heads)))
            rob_heads = letters
        used = {v for c in rob_cols for v in d["rob"][c] if v}
        key = [f"{ROB[k][2]} {ROB[k][0]}" for k in ROB if k in used]
        if key:
            legend.append("Judgements: " + ", ".join(key))
    rob_w = [max(ROB_DOT, width(h_, "bold")) for h_ in rob_heads]
    return rob_cols, rob_heads, legend, rob_w


def _place_horizontally(cols, spans, panel_w, tick_w, rob_w):
    """Left edges of the columns, the panel and the risk-of-bias dots; the figure's width."""
    x = MARGIN
    for col in cols:
        col.x0 = x
        x += col.width + COLGAP
    left_end = x - COLGAP
    # half a tick label may hang out of the panel on each side
    gap_left = max(COLGAP, tick_w[0] / 2 + COLGAP)
    gap_right = max(COLGAP, tick_w[-1] / 2 + 0.05)
    panel_x0 = left_end + gap_left
    panel_x1 = panel_x0 + panel_w
    x = panel_x1 + (gap_right if not rob_w else max(gap_right, COLGAP))
    rob_x = []
    for w_ in rob_w:
        rob_x.append(x + w_ / 2)
        x += w_ + ROBGAP
    right_end = (x - ROBGAP) if rob_w else panel_x1 + gap_right - COLGAP / 2
    fig_w = max(right_end, panel_x1 + tick_w[-1] / 2) + MARGIN
    groups = [(title, cols[a].x0, cols[b].x0 + cols[b].width) for title, a, b in spans]
    return panel_x0, panel_x1, rob_x, groups, fig_w


def _wrap_full_width(opts, rob_legend, fig_w, width):
    """Title and footnotes wrapped to the figure's width (which grows for a single long word)."""
    inner = fig_w - 2 * MARGIN
    title_lines = wrap_to_width(opts.title, inner, lambda s: width(s, "title")) if opts.title else []
    foot_lines = []
    for text in list(rob_legend) + [str(f) for f in opts.footnotes if str(f).strip()]:
        foot_lines += wrap_to_width(text, inner, lambda s: width(s, "small"))
    widest = max([width(s, "title") for s in title_lines] +
                 [width(s, "small") for s in foot_lines] + [0.0])
    return title_lines, foot_lines, max(fig_w, widest + 2 * MARGIN)


def _place_vertically(n_rows, n_summary, title_lines, foot_lines, has_groups, favours):
    """Tops of the bands from the top edge: title, headers, body, axis, summary, footnotes."""
    y = MARGIN
    title_base = []
    for _ in title_lines:
        y += 1.3 * TITLE_PT / 72
        title_base.append(y - 0.3 * TITLE_PT / 72)
    if title_lines:
        y += 0.06
    group_header_top = None
    if has_groups:
        group_header_top = y
        y += ROW
    header_top = y
    body_top = header_top + ROW
    body_bottom = body_top + n_rows * ROW
    tick_label_top = body_bottom + TICK_LEN_PT / 72 + 0.03
    small_h = 1.2 * SMALL_PT / 72
    fav_top = tick_label_top + small_h + 0.04
    axis_bottom = fav_top + (small_h if any(favours) else 0)
    summary_top = body_bottom + 0.04
    summary_bottom = summary_top + n_summary * FOOT_LINE
    y = max(axis_bottom, summary_bottom) + 0.08
    foot_base = []
    for _ in foot_lines:
        y += FOOT_LINE
        foot_base.append(y - 0.32 * FOOT_LINE)
    return dict(title_base=title_base, group_header_top=group_header_top, header_top=header_top,
                body_top=body_top, body_bottom=body_bottom, tick_label_top=tick_label_top,
                fav_top=fav_top, summary_top=summary_top, foot_base=foot_base, fig_h=y + MARGIN)


def layout(d, rows, summary, opts, width) -> ForestLayout:
    """Lay the forest plot out: ``d`` the prepared table, ``rows`` the table's rows, ``summary``
    the lines under it, ``opts`` the plot's options (xlabel, favours, level, log_scale, null,
    title, footnotes, column_groups), ``width(text, style)`` the rendered width in inches."""
    cols, spans = _measure_columns(d, rows, summary, opts, width)
    xlim, ticks, tick_labels, tick_w, panel_w = _panel(d, rows, opts, width)
    rob_cols, rob_heads, rob_legend, rob_w = _rob_columns(d, width)
    panel_x0, panel_x1, rob_x, groups, fig_w = _place_horizontally(cols, spans, panel_w, tick_w, rob_w)
    title_lines, foot_lines, fig_w = _wrap_full_width(opts, rob_legend, fig_w, width)
    v = _place_vertically(len(rows), len(summary), title_lines, foot_lines, bool(groups), opts.favours)
    null = opts.null
    favours_x = ((xlim[0] + null) / 2, (null + xlim[1]) / 2)   # each label centred under its half
    return ForestLayout(fig_w=fig_w, fig_h=v.pop("fig_h"), cols=cols, groups=groups, panel_x0=panel_x0,
                        panel_x1=panel_x1, xlim=xlim, ticks=ticks, tick_labels=tick_labels,
                        rob_cols=rob_cols, rob_heads=rob_heads, rob_x=rob_x, title_lines=title_lines,
                        foot_lines=foot_lines, n_rows=len(rows), favours_x=favours_x, **v)
