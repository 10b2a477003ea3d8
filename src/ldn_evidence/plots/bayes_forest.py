"""Forest plot of a review's Bayesian random-effects meta-analysis, by subgroup.

For each study: its observed estimate with the confidence interval (square) and, beneath it, its
shrinkage estimate (circle: the posterior of the study's own effect theta_i, which borrows
strength from the other studies of its block; Röver 2020, sec. 2.8). For each block (a subgroup,
or all studies): the posterior of the mean effect mu (diamond: median and credible interval) and
the predictive interval for a new study (bar); at the foot, the frequentist pooled result (hollow
diamond) beside the Bayesian one. Ratios are drawn on a log axis labelled with ratios and
printed as ratios.

The function draws what it is given (plain numbers on the analysis scale: log ratios for ratio
measures) and computes no statistics. Its layout is computed before anything is drawn: every text
column is as wide as its widest rendered text (measured with the figure's renderer), the panel
sits right of them, the tick labels, "Favours" labels, axis label and footnotes each have their
own band below the panel, and footnotes wrap to the figure's width; so no text overlaps another.
The figure is a :class:`ldn_evidence.plots._figure.ReviewFigure` (embedded TrueType fonts, SVG
text as text, provenance in the metadata); matplotlib is imported inside the function.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ._forest_layout import _num, linear_ticks, log_ticks
from ._layout import TextMeasurer, wrap_to_width

__all__ = ["bayes_review_forest"]

FONT = "DejaVu Sans"
SIZE_PT, SMALL_PT, FOOT_PT, TITLE_PT = 9.0, 8.0, 7.5, 11.0
ROW = 1.7 * SIZE_PT / 72          # inches per table row
FOOT_LINE = 1.35 * FOOT_PT / 72   # inches per footnote line
MARGIN, COLGAP, PANEL = 0.15, 0.22, 3.2
OBSERVED, SHRUNK, POOLED, PRED = "#1f3b5a", "#8c8c8c", "black", "#b2182b"


@dataclass
class _Row:
    kind: str                                   # header, group, study, mu, pred, freq, blank
    cells: tuple = ("", "", "")
    bold: bool = False
    marks: dict = field(default_factory=dict)   # what the panel draws on this row (analysis scale)


def _interval_text(triple, show, digits):
    est, lo, hi = (show(v) for v in triple)
    return f"{_num(est, digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def _rows(blocks, overall, freq, freq_label, show, digits, level):
    """The table, one _Row per line: header, then each block's studies and pooled rows."""
    lvl = f"{level:g}%"
    rows = [_Row("header", ("Study", f"Observed [{lvl} CI]", f"Shrinkage [{lvl} CrI]"), bold=True)]
    several = len(blocks) > 1
    for b in blocks:
        if several:
            rows.append(_Row("group", (str(b["name"]), "", ""), bold=True))
        for s in b["studies"]:
            rows.append(_Row("study", (str(s["label"]), _interval_text((s["yi"], s["ci_low"], s["ci_high"]), show,
                                                                      digits),
                                       _interval_text((s["theta"], s["theta_low"], s["theta_high"]), show, digits)),
                             marks={"observed": (s["yi"], s["ci_low"], s["ci_high"]),
                                    "shrunk": (s["theta"], s["theta_low"], s["theta_high"])}))
        if several and b.get("mu") is not None:
            rows.append(_Row("mu", (f"Subgroup mean (mu), k = {b['k']}", "", _interval_text(b["mu"], show, digits)),
                             marks={"mu": b["mu"]}))
            rows.append(_Row("pred", ("Prediction (new study)", "", _interval_text(b["pred"], show, digits)),
                             marks={"pred": b["pred"]}))
            rows.append(_Row("blank"))
    rows.append(_Row("mu", (f"{'Overall mean' if several else 'Mean'} (mu), k = {overall['k']}", "",
                            _interval_text(overall["mu"], show, digits)), bold=True, marks={"mu": overall["mu"]}))
    rows.append(_Row("pred", ("Prediction (new study)", "", _interval_text(overall["pred"], show, digits)),
                     marks={"pred": overall["pred"]}))
    if freq is not None:
        rows.append(_Row("freq", (freq_label, _interval_text(freq, show, digits), ""), marks={"freq": freq}))
    return rows


def _xrange(rows, null, log_scale):
    """Ticks, tick labels and limits: symmetric around the null, covering every interval."""
    values = [v for r in rows for triple in r.marks.values() for v in triple if math.isfinite(v)]
    h = max([abs(v - null) for v in values] + [1e-9])
    return (log_ticks if log_scale else linear_ticks)(h * 1.02, null)


def bayes_review_forest(blocks, overall, *, xlabel="effect", favours=("", ""), log_scale=False, level=95,
                        title=None, footnotes=(), digits=2, null=0.0, freq=None, freq_label="frequentist"):
    """Forest plot of observed and shrinkage estimates by subgroup, with the posterior of mu.

    Parameters
    ----------
    blocks : list of dict
        One per subgroup (one block without subgroups): ``name``, ``k``, ``studies`` (dicts with
        ``label``, ``yi``, ``ci_low``, ``ci_high``, ``theta``, ``theta_low``, ``theta_high``),
        and, when there are several blocks, the block's ``mu`` and ``pred``, each
        ``(median, low, high)``. Values on the analysis scale (log ratios with ``log_scale``).
    overall : dict
        ``k``, ``mu`` and ``pred`` of the fit of all studies.
    xlabel, favours, title : str
        Axis label; the labels under the left and right halves of the axis; the title.
    log_scale : bool
        Ratio measures: the values are log ratios; the axis and the numbers show ratios.
    level : float
        Interval level in percent (column headers).
    footnotes : sequence of str
        Lines under the figure (wrapped to its width).
    digits : int
        Decimals of the printed numbers.
    null : float
        The null value on the analysis scale (0: no effect; log 1 for ratios).
    freq : (estimate, ci_low, ci_high), optional
        The frequentist pooled result, drawn as a hollow diamond and labelled ``freq_label``.

    Returns
    -------
    ldn_evidence.plots._figure.ReviewFigure

    Examples
    --------
    >>> s = [{"label": "A", "yi": -0.3, "ci_low": -0.7, "ci_high": 0.1, "theta": -0.2, "theta_low": -0.5,
    ...       "theta_high": 0.1}]
    >>> fig = bayes_review_forest([{"name": None, "k": 1, "studies": s}],
    ...                           {"k": 1, "mu": (-0.2, -0.9, 0.5), "pred": (-0.2, -1.4, 1.0)})
    >>> len(fig.axes)
    1
    """
    from matplotlib.font_manager import FontProperties

    from ._figure import new_figure

    def show(v):
        return math.exp(v) if log_scale and v < 700 else v

    rows = _rows(blocks, overall, freq, freq_label, show, digits, level)
    fp = {"normal": FontProperties(family=FONT, size=SIZE_PT),
          "bold": FontProperties(family=FONT, size=SIZE_PT, weight="bold"),
          "small": FontProperties(family=FONT, size=SMALL_PT), "foot": FontProperties(family=FONT, size=FOOT_PT),
          "title": FontProperties(family=FONT, size=TITLE_PT, weight="bold")}
    meas = TextMeasurer(new_figure((4, 2)))
    widths = [max(meas.width(r.cells[c], fp["bold" if r.bold else "normal"]) for r in rows) for c in range(3)]
    ticks, tick_labels, xlim = _xrange(rows, null, log_scale)
    width = 2 * MARGIN + sum(widths) + 3 * COLGAP + PANEL + 0.25
    width = max(width, 2 * MARGIN + max([meas.width(t, fp["title"]) for t in [title or ""]]))
    foot = [line for note in footnotes for line in wrap_to_width(note, width - 2 * MARGIN,
                                                                 lambda s: meas.width(s, fp["foot"]))]
    title_h = 0.42 if title else 0.12
    body_h = len(rows) * ROW
    axis_h = 0.26 + 0.2 + 0.24           # tick labels, favours, axis label
    height = title_h + body_h + axis_h + 0.08 + len(foot) * FOOT_LINE + MARGIN
    fig = new_figure((width, height))
    _draw(fig, rows, widths, fp, ticks, tick_labels, xlim, null, dict(
        width=width, height=height, title_h=title_h, body_h=body_h, foot=foot, title=title, xlabel=xlabel,
        favours=favours))
    return fig


def _draw(fig, rows, widths, fp, ticks, tick_labels, xlim, null, L):
    """Draw the table, the panel's marks, the axis and the texts below it."""
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    W, H, n = L["width"], L["height"], len(rows)
    colx = [MARGIN, MARGIN + widths[0] + COLGAP, MARGIN + widths[0] + widths[1] + 2 * COLGAP]
    anchors = [colx[0], colx[1] + widths[1], colx[2] + widths[2]]
    panel_left = colx[2] + widths[2] + COLGAP
    body_top = H - L["title_h"]
    ax = fig.add_axes([panel_left / W, (body_top - L["body_h"]) / H, PANEL / W, L["body_h"] / H])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(*xlim)
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    for i, r in enumerate(rows):
        for c, text in enumerate(r.cells):
            if text:
                grey = c == 2 and r.kind == "study"
                fig.text(anchors[c] / W, i, text, transform=tr, ha="left" if c == 0 else "right", va="center",
                         fontproperties=fp["bold" if r.bold else "normal"], color=SHRUNK if grey else "black",
                         parse_math=False, gid=f"table-{r.kind}")
        _marks(ax, i, r.marks)
    fig.add_artist(Line2D([MARGIN / W, (panel_left + PANEL) / W], [(body_top - ROW) / H] * 2, color="#9a9a9a",
                          lw=0.6, gid="header-rule"))
    if xlim[0] <= null <= xlim[1]:             # below the header row
        ax.plot([null, null], [0.5, n - 0.5], color="#bbbbbb", lw=0.8, zorder=0, gid="null-line")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.set_xticks(ticks)
    ax.set_xticklabels(tick_labels, fontproperties=fp["small"])
    ax.set_xlim(*xlim)
    axis_y = body_top - L["body_h"]
    inch = fig.dpi_scale_trans
    half = [(xlim[0] + null) / 2, (null + xlim[1]) / 2]
    for x, label in zip(half, L["favours"]):
        if label:
            xf = (panel_left + PANEL * (x - xlim[0]) / (xlim[1] - xlim[0])) / W
            fig.text(xf, (axis_y - 0.26) / H, label, ha="center", va="top", fontproperties=fp["small"],
                     parse_math=False, gid="favours")
    fig.text((panel_left + PANEL / 2) / W, (axis_y - 0.46) / H, L["xlabel"], ha="center", va="top",
             fontproperties=fp["normal"], parse_math=False, gid="xlabel")
    y = axis_y - 0.7 - 0.08
    for line in L["foot"]:
        fig.text(MARGIN, y, line, transform=inch, ha="left", va="top", fontproperties=fp["foot"], color="#444444",
                 parse_math=False, gid="footnote")
        y -= FOOT_LINE
    if L["title"]:
        fig.text(MARGIN, H - 0.12, L["title"], transform=inch, ha="left", va="top", fontproperties=fp["title"],
                 parse_math=False, gid="title")


def _marks(ax, i, marks):
    """One row's marks: observed square and CI above, shrinkage circle and CrI below; a diamond
    for mu, a bar for the predictive interval, a hollow diamond for the frequentist result."""
    off = 0.17
    if "observed" in marks:
        y, lo, hi = marks["observed"]
        ax.plot([lo, hi], [i - off] * 2, color=OBSERVED, lw=1.2, solid_capstyle="butt", gid="observed-ci")
        ax.plot([y], [i - off], marker="s", color=OBSERVED, ms=4.5, ls="none", gid="observed")
        t, tlo, thi = marks["shrunk"]
        ax.plot([tlo, thi], [i + off] * 2, color=SHRUNK, lw=2.2, solid_capstyle="butt", gid="shrinkage-cri")
        ax.plot([t], [i + off], marker="o", color=SHRUNK, ms=4, ls="none", gid="shrinkage")
    for key, face in (("mu", POOLED), ("freq", "white")):
        if key in marks:
            est, lo, hi = marks[key]
            ax.fill([lo, est, hi, est], [i, i - 0.32, i, i + 0.32], facecolor=face, edgecolor=POOLED, lw=0.9,
                    gid=f"{key}-diamond")
    if "pred" in marks:
        _, lo, hi = marks["pred"]
        ax.fill([lo, hi, hi, lo], [i - 0.13, i - 0.13, i + 0.13, i + 0.13], color=PRED, lw=0, gid="prediction")
