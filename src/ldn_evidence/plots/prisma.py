"""PRISMA 2020 flow diagram (Page et al. 2021, BMJ 372:n71; the "new systematic reviews which
included searches of databases, registers and other sources" template).

The counts come from ``review.prisma`` in studies.yaml. A count that is not recorded is drawn as
``n = ?``: nothing is computed or guessed (not even a sum of recorded counts), so the diagram
shows exactly what the review's search record holds. Boxes are sized from measured text, so no
text overlaps or leaves its box whatever the numbers and reasons.
"""
from __future__ import annotations

from typing import Any

from ._layout import TextMeasurer, wrap_to_width

__all__ = ["prisma_flow", "prisma_boxes"]

_FONT = 9.0
_PAD = 0.10          # inches inside a box
_GAP_X = 0.45        # between the two columns
_GAP_Y = 0.32        # between rows
_PHASE_W = 0.32      # the phase bars at the left
_BOX_W = 3.0         # minimum text width of a box
_MARGIN = 0.15


def _n(value) -> str:
    return "?" if value is None else f"{int(value):,}"


def prisma_boxes(prisma: Any) -> dict:
    """The text of every box, from a :class:`ldn_evidence.records.Prisma` (or None / a dict).

    Returns ``{"identified": [...], "removed": [...], "screened": [...], "excluded": [...],
    "full_text": [...], "full_text_excluded": [...], "included": [...]}``, lists of lines.
    """
    if prisma is None:
        get = {}.get
    elif isinstance(prisma, dict):
        get = prisma.get
    else:
        get = lambda k, d=None: getattr(prisma, k, d)  # noqa: E731
    identified = ["Records identified from:",
                  f"  Databases (n = {_n(get('identified_databases'))})",
                  f"  Registers (n = {_n(get('identified_registers'))})",
                  f"  Other sources (n = {_n(get('identified_other'))})"]
    removed = ["Records removed before screening:", f"  Duplicate records (n = {_n(get('duplicates_removed'))})"]
    screened = [f"Records screened (n = {_n(get('screened'))})"]
    excluded = [f"Records excluded (n = {_n(get('excluded_screening'))})"]
    full = [f"Reports assessed for eligibility (n = {_n(get('full_text_assessed'))})"]
    reasons = get("excluded_full_text") or {}
    fte = ["Reports excluded:"]
    if reasons:
        for reason, count in reasons.items():
            fte.append(f"  {str(reason).replace('_', ' ')} (n = {_n(count)})")
    else:
        fte.append("  reasons and counts (n = ?)")
    included = [f"Studies included in review (n = {_n(get('included_studies'))})",
                f"Reports of included studies (n = {_n(get('included_reports'))})"]
    return {"identified": identified, "removed": removed, "screened": screened, "excluded": excluded,
            "full_text": full, "full_text_excluded": fte, "included": included}


def prisma_flow(prisma: Any, *, title: str | None = "PRISMA 2020 flow diagram", note: str | None = None,
                dpi: float = 100, fontsize: float = _FONT):
    """Draw the PRISMA 2020 flow diagram; returns a matplotlib Figure (no pyplot state).

    ``prisma`` is the review's ``Prisma`` block (or None: every count unknown). ``note`` is
    printed under the diagram (wrapped to its width), e.g. the review's search note.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyArrowPatch, Rectangle

    from ._figure import new_figure

    boxes = prisma_boxes(prisma)
    fig = new_figure(dpi=dpi)
    m = TextMeasurer(fig)
    prop = FontProperties(size=fontsize)
    bold = FontProperties(size=fontsize, weight="bold")
    line_h = m.size("Ag", prop)[1] * 1.35

    def width(lines, p=prop):
        return max(m.width(s, p) for s in lines)

    left_w = max(_BOX_W, max(width(boxes[k]) for k in ("identified", "screened", "full_text", "included")))
    right_w = max(_BOX_W, max(width(boxes[k]) for k in ("removed", "excluded", "full_text_excluded")))
    left_w += 2 * _PAD
    right_w += 2 * _PAD
    rows = [("identified", "removed"), ("screened", "excluded"), ("full_text", "full_text_excluded"),
            ("included", None)]
    heights = [max(len(boxes[a]), len(boxes[b]) if b else 0) * line_h + 2 * _PAD for a, b in rows]
    # a phase bar's rotated label must fit its rows
    for r0, r1, name in ((0, 0, "Identification"), (1, 2, "Screening"), (3, 3, "Included")):
        need = m.width(name, bold) + 2 * _PAD
        have = sum(heights[r0:r1 + 1]) + _GAP_Y * (r1 - r0)
        if have < need:
            heights[r1] += need - have

    title_h = (m.size(title, bold)[1] * 1.6 + 0.1) if title else 0.0
    x0 = _MARGIN + _PHASE_W + 0.12
    total_w = x0 + left_w + _GAP_X + right_w + _MARGIN
    note_lines = wrap_to_width(note, total_w - 2 * _MARGIN, lambda s: m.width(s, prop)) if note else []
    note_h = len(note_lines) * line_h + (0.15 if note_lines else 0)
    total_h = _MARGIN + title_h + sum(heights) + _GAP_Y * (len(rows) - 1) + note_h + _MARGIN
    fig.set_size_inches(total_w, total_h)

    def fx(x):
        return x / total_w

    def fy(y):  # y measured from the top, in inches
        return 1 - y / total_h

    if title:
        fig.text(fx(_MARGIN), fy(_MARGIN), title, fontproperties=bold, va="top", ha="left")
    y = _MARGIN + title_h
    tops = []
    for (a, b), h in zip(rows, heights):
        tops.append(y)
        for key, bx, bw in ((a, x0, left_w), (b, x0 + left_w + _GAP_X, right_w)):
            if key is None:
                continue
            fig.add_artist(Rectangle((fx(bx), fy(y + h)), bw / total_w, h / total_h, transform=fig.transFigure,
                                     fill=False, linewidth=0.9, edgecolor="black"))
            for i, text in enumerate(boxes[key]):
                fig.text(fx(bx + _PAD), fy(y + _PAD + i * line_h), text, fontproperties=prop, va="top", ha="left")
        y += h + _GAP_Y
    # phase bars: Identification, Screening (rows 2-3 merged), Included
    spans = [(0, 0, "Identification"), (1, 2, "Screening"), (3, 3, "Included")]
    for r0, r1, name in spans:
        top = tops[r0]
        bottom = tops[r1] + heights[r1]
        fig.add_artist(Rectangle((fx(_MARGIN), fy(bottom)), _PHASE_W / total_w, (bottom - top) / total_h,
                                 transform=fig.transFigure, facecolor="#cfe2f3", edgecolor="#5b7fa6", linewidth=0.8))
        fig.text(fx(_MARGIN + _PHASE_W / 2), fy((top + bottom) / 2), name, fontproperties=bold, rotation=90,
                 va="center", ha="center")
    # arrows: down the left column, and right to the exclusion boxes
    arrow = dict(arrowstyle="-|>", mutation_scale=10, linewidth=0.9, color="black", transform=fig.transFigure)
    cx = x0 + left_w / 2
    for i in range(len(rows) - 1):
        fig.add_artist(FancyArrowPatch((fx(cx), fy(tops[i] + heights[i])), (fx(cx), fy(tops[i + 1])), **arrow))
    for i, (a, b) in enumerate(rows):
        if b is None:
            continue
        yy = tops[i] + heights[i] / 2
        fig.add_artist(FancyArrowPatch((fx(x0 + left_w), fy(yy)), (fx(x0 + left_w + _GAP_X), fy(yy)), **arrow))
    for i, text in enumerate(note_lines):
        fig.text(fx(_MARGIN), fy(y - _GAP_Y + 0.15 + i * line_h), text, fontproperties=prop, va="top", ha="left",
                 color="#444444")
    return fig
