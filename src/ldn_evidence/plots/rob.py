"""Risk-of-bias figures in robvis's conventions (McGuinness & Higgins 2021, Res Synth Methods
12:55-61): the traffic-light plot and the weighted summary bar plot.

* :func:`rob_traffic_light` — one row per study, one column per domain and one for the overall
  judgement; RoB 2 (D1-D5) and ROBINS-I (D1-D7) studies in their own panels; each judgement a
  coloured dot with a symbol (so the figure survives greyscale printing); the domains' names in a
  legend beneath.
* :func:`rob_summary` — per domain, the share of the information (the analysis weights of one
  outcome, or one share per study) at each judgement, as stacked horizontal bars.
* :func:`rob_figure` — both, one above the other.

Colours are robvis's "cochrane" palette (low #02C100, some concerns / moderate #E2DF07, high /
serious #BF0000, critical #820000, no information #4EA1F7; not reported #cccccc). The layout is
computed from measured text before anything is drawn, so no text overlaps another however long
the study labels; the figure is sized from its content (no pyplot state; matplotlib imported
when a figure is built).

Each study is a mapping: ``label``, ``tool`` ("RoB 2" or "ROBINS-I"; other tools and
"not_assessed" are listed under the figure as not assessed), ``domains`` (domain code ->
judgement, the codes of :mod:`ldn_evidence.vocabulary`), ``overall`` and, for a weighted summary,
``weight``.

Examples
--------
>>> studies = [{"label": "Trial A 2020", "tool": "RoB 2", "overall": "low",
...             "domains": dict.fromkeys(("randomization", "deviations", "missing_data", "measurement",
...                                       "reported_result"), "low"), "weight": 60},
...            {"label": "Cohort B 2021", "tool": "ROBINS-I", "overall": "serious",
...             "domains": {"confounding": "serious"}, "weight": 40}]
>>> fig = rob_figure(studies)
>>> [t.get_text() for t in fig.texts if t.get_gid() == "rob-label"]
['Trial A 2020', 'Cohort B 2021']
"""
from __future__ import annotations

from typing import Mapping, Sequence

from ..vocabulary import ROB2_DOMAINS, ROBINS_I_DOMAINS, rob_domain_name
from ._layout import TextMeasurer, wrap_to_width

__all__ = ["ROB_STYLE", "rob_traffic_light", "rob_summary", "rob_figure", "judgement_key"]

#: judgement -> (legend name, fill colour, symbol, symbol colour): robvis's cochrane palette
ROB_STYLE = {
    "low": ("Low", "#02C100", "+", "white"),
    "some_concerns": ("Some concerns", "#E2DF07", "\u2212", "black"),
    "moderate": ("Moderate", "#E2DF07", "\u2212", "black"),
    "high": ("High", "#BF0000", "\u00d7", "white"),
    "serious": ("Serious", "#BF0000", "\u00d7", "white"),
    "critical": ("Critical", "#820000", "!", "white"),
    "no_information": ("No information", "#4EA1F7", "?", "white"),
    "not_reported": ("Not reported", "#cccccc", "", "black"),
}
_TOOLS = {"RoB 2": ("RoB 2 (randomized trials)", ROB2_DOMAINS, ("low", "some_concerns", "high", "no_information")),
          "ROBINS-I": ("ROBINS-I (non-randomized studies)", ROBINS_I_DOMAINS,
                       ("low", "moderate", "serious", "critical", "no_information"))}

FONT = "DejaVu Sans"
SIZE = 9.0
SMALL = 8.0
TITLE = 10.5
MARGIN = 0.15
CELL = 0.34          # width and height of a traffic-light cell
DOT = 0.26           # dot diameter
GAP = 0.12           # between label and first cell, between blocks
BAR_W = 3.6          # width of a 100% bar
BAR_H = 0.22
BAR_ROW = 0.30
DPI = 100


def judgement_key(value, *, study: str = "", domain: str = "") -> str:
    """A judgement as a key of :data:`ROB_STYLE` (``some concerns`` -> ``some_concerns``;
    empty -> ``not_reported``). Raises ValueError naming the study and domain for anything else.

    >>> judgement_key("Some concerns"), judgement_key(None)
    ('some_concerns', 'not_reported')
    """
    if value is None or (isinstance(value, float) and value != value):
        return "not_reported"
    text = "_".join(str(value).strip().lower().replace("-", " ").split())
    if not text or text in ("na", "none", "nan"):
        return "not_reported"
    if text not in ROB_STYLE:
        where = ", ".join(x for x in (f"study {study!r}" if study else "", f"domain {domain!r}" if domain else "") if x)
        raise ValueError(f"risk-of-bias judgement {value!r}{' (' + where + ')' if where else ''} is not one of "
                         f"{', '.join(k for k in ROB_STYLE if k != 'not_reported')}")
    return text


def _panels(studies: Sequence[Mapping]) -> tuple[list[dict], list[str]]:
    """Studies grouped by tool (RoB 2 first), judgements normalised; the labels not assessed."""
    panels = {tool: [] for tool in _TOOLS}
    skipped = []
    for s in studies:
        label = str(s.get("label", "")).strip()
        if not label:
            raise ValueError("every study needs a label")
        tool = s.get("tool")
        if tool not in _TOOLS:
            skipped.append(label)
            continue
        domains = _TOOLS[tool][1]
        given = dict(s.get("domains") or {})
        unknown = [d for d in given if d not in domains]
        if unknown:
            raise ValueError(f"study {label!r}: {tool} has no domain {', '.join(map(repr, unknown))}")
        cells = [judgement_key(given.get(d), study=label, domain=d) for d in domains]
        overall = judgement_key(s.get("overall"), study=label, domain="overall")
        panels[tool].append({"label": label, "cells": cells + [overall], "weight": s.get("weight")})
    out = [{"tool": tool, "studies": rows} for tool, rows in panels.items() if rows]
    return out, skipped


class _Canvas:
    """A Figure being laid out in inches, top-down: measure first, then draw at known positions."""

    def __init__(self):
        from matplotlib.font_manager import FontProperties

        from ._figure import new_figure

        self.fig = new_figure((4, 4), dpi=DPI)
        self.measure = TextMeasurer(self.fig)
        self.fp = {"text": FontProperties(family=FONT, size=SIZE),
                   "bold": FontProperties(family=FONT, size=SIZE, weight="bold"),
                   "small": FontProperties(family=FONT, size=SMALL),
                   "title": FontProperties(family=FONT, size=TITLE, weight="bold"),
                   "symbol": FontProperties(family=FONT, size=SIZE, weight="bold")}
        self.ops = []        # (kind, args) drawn once the size is known
        self.width = 0.0

    def w(self, text, font="text"):
        return self.measure.width(text, self.fp[font])

    def h(self, font="text"):
        return self.fp[font].get_size_in_points() * 1.45 / 72

    def text(self, x, y, s, font="text", ha="left", va="center", gid=None, color="black"):
        self.ops.append(("text", (x, y, s, font, ha, va, gid, color)))
        right = x + (self.w(s, font) if ha == "left" else self.w(s, font) / 2 if ha == "center" else 0)
        self.width = max(self.width, right)

    def rect(self, x, y, w, h, color, gid=None, edge="none"):
        self.ops.append(("rect", (x, y, w, h, color, gid, edge)))
        self.width = max(self.width, x + w)

    def dot(self, x, y, key, gid="rob-cell"):
        self.ops.append(("dot", (x, y, key, gid)))
        self.width = max(self.width, x + DOT / 2)

    def line(self, x0, y0, x1, y1, color="#999999"):
        self.ops.append(("line", (x0, y0, x1, y1, color)))

    def finish(self, height: float):
        """Size the figure and draw every operation (y measured from the top)."""
        from matplotlib.lines import Line2D
        from matplotlib.patches import Circle, Rectangle

        fig = self.fig
        W, H = self.width + MARGIN, height + MARGIN
        fig.set_size_inches(W, H)
        inch = fig.dpi_scale_trans
        for kind, a in self.ops:
            if kind == "text":
                x, y, s, font, ha, va, gid, color = a
                fig.text(x, H - y, s, transform=inch, fontproperties=self.fp[font], ha=ha, va=va, gid=gid,
                         color=color)
            elif kind == "rect":
                x, y, w, h, color, gid, edge = a
                fig.add_artist(Rectangle((x, H - y - h), w, h, transform=inch, facecolor=color, edgecolor=edge,
                                         linewidth=0.6, gid=gid))
            elif kind == "dot":
                x, y, key, gid = a
                name, fill, symbol, ink = ROB_STYLE[key]
                fig.add_artist(Circle((x, H - y), DOT / 2, transform=inch, facecolor=fill, edgecolor="black",
                                      linewidth=0.5, gid=f"{gid}:{key}"))
                if symbol:
                    fig.text(x, H - y, symbol, transform=inch, fontproperties=self.fp["symbol"], ha="center",
                             va="center_baseline", color=ink,
                             gid="rob-legend-symbol" if gid.startswith("rob-legend") else "rob-symbol")
            elif kind == "line":
                x0, y0, x1, y1, color = a
                fig.add_artist(Line2D([x0, x1], [H - y0, H - y1], transform=inch, color=color, linewidth=0.6))
        return fig


def _legend(c: _Canvas, y: float, tools: list[str], used: set[str], x0: float = MARGIN) -> float:
    """The domains' names per tool and the judgements used; returns the new y."""
    for tool in tools:
        domains = _TOOLS[tool][1]
        c.text(x0, y + c.h("bold") / 2, f"{tool} domains", "bold", gid="rob-legend")
        y += c.h("bold")
        for i, d in enumerate(domains):
            c.text(x0, y + c.h("small") / 2, f"D{i + 1}: {rob_domain_name(tool, d)}.", "small", gid="rob-legend")
            y += c.h("small")
        y += GAP / 2
    c.text(x0, y + c.h("bold") / 2, "Judgement", "bold", gid="rob-legend")
    y += c.h("bold")
    x = x0
    for key in ROB_STYLE:
        if key not in used:
            continue
        c.dot(x + DOT / 2, y + CELL / 2, key, gid="rob-legend-dot")
        c.text(x + DOT + 0.06, y + CELL / 2, ROB_STYLE[key][0], "small", gid="rob-legend")
        x += DOT + 0.06 + c.w(ROB_STYLE[key][0], "small") + 0.2
    return y + CELL


def _traffic(c: _Canvas, panels: list[dict], y: float) -> tuple[float, set[str]]:
    label_w = max(c.w(s["label"]) for p in panels for s in p["studies"])
    label_w = max(label_w, c.w("Study", "bold"))
    x_cells = MARGIN + label_w + GAP
    used: set[str] = set()
    for p in panels:
        tool = p["tool"]
        n = len(_TOOLS[tool][1])
        c.text(MARGIN, y + c.h("bold") / 2, _TOOLS[tool][0], "bold", gid="rob-panel")
        y += c.h("bold") + 0.04
        heads = [f"D{i + 1}" for i in range(n)] + ["Overall"]
        widths = [CELL] * n + [max(CELL, c.w("Overall", "bold") + 0.08)]
        xs, x = [], x_cells
        for w_ in widths:
            xs.append(x + w_ / 2)
            x += w_
        c.text(MARGIN, y + CELL / 2, "Study", "bold", gid="rob-header")
        for cx, head in zip(xs, heads):
            c.text(cx, y + CELL / 2, head, "bold", ha="center", gid="rob-header")
        y += CELL
        top = y
        c.rect(x_cells + sum(widths[:-1]), top, widths[-1], CELL * len(p["studies"]), "#e4e4e4", gid="rob-overall-bg")
        for s in p["studies"]:
            c.text(MARGIN, y + CELL / 2, s["label"], gid="rob-label")
            for cx, key in zip(xs, s["cells"]):
                c.dot(cx, y + CELL / 2, key)
                used.add(key)
            c.line(MARGIN, y + CELL, x, y + CELL, "#d0d0d0")
            y += CELL
        c.line(x_cells, top, x_cells, y, "#bbbbbb")
        y += GAP
    return y, used


def _shares(p: dict, weighted: bool) -> list[dict[str, float]]:
    rows = p["studies"]
    if weighted:
        missing = [s["label"] for s in rows if s["weight"] is None or not s["weight"] >= 0]
        if missing:
            raise ValueError(f"weighted summary: no weight for {', '.join(missing)}")
        w = [float(s["weight"]) for s in rows]
    else:
        w = [1.0] * len(rows)
    total = sum(w)
    if total <= 0:
        raise ValueError("weighted summary: the weights sum to zero")
    out = []
    for j in range(len(rows[0]["cells"])):
        share: dict[str, float] = {}
        for s, wi in zip(rows, w):
            share[s["cells"][j]] = share.get(s["cells"][j], 0.0) + wi / total
        out.append(share)
    return out


def _summary(c: _Canvas, panels: list[dict], y: float, weighted: bool, weight_label: str | None) -> tuple[float, set]:
    used: set[str] = set()
    names = [rob_domain_name(p["tool"], d) for p in panels for d in _TOOLS[p["tool"]][1]]
    label_w = max(max(c.w(n_) for n_ in names), c.w("Overall risk of bias", "bold"))
    x_bar = MARGIN + label_w + GAP
    what = (weight_label or "share of the analysis weight") if weighted else "share of studies (unweighted)"
    for p in panels:
        tool = p["tool"]
        c.text(MARGIN, y + c.h("bold") / 2, f"{_TOOLS[tool][0]}: {what}", "bold", gid="rob-panel")
        y += c.h("bold") + 0.06
        order = [k for k in ROB_STYLE if k in _TOOLS[tool][2]] + ["not_reported"]
        labels = [rob_domain_name(tool, d) for d in _TOOLS[tool][1]] + ["Overall risk of bias"]
        for i, (label, share) in enumerate(zip(labels, _shares(p, weighted))):
            bold = i == len(labels) - 1
            c.text(x_bar - GAP, y + BAR_ROW / 2, label, "bold" if bold else "text", ha="right", gid="rob-bar-label")
            x = x_bar
            for key in order:
                frac = share.get(key, 0.0)
                if frac <= 0:
                    continue
                c.rect(x, y + (BAR_ROW - BAR_H) / 2, BAR_W * frac, BAR_H, ROB_STYLE[key][1], gid=f"rob-bar:{key}",
                       edge="black")
                used.add(key)
                x += BAR_W * frac
            y += BAR_ROW
        c.line(x_bar, y, x_bar + BAR_W, y, "black")
        for t in range(5):
            xt = x_bar + BAR_W * t / 4
            c.line(xt, y, xt, y + 0.05, "black")
            c.text(xt, y + 0.05 + c.h("small") / 2, f"{25 * t}%", "small", ha="center", gid="rob-tick")
        y += 0.05 + c.h("small") + GAP
    return y, used


def _notes(c: _Canvas, y: float, skipped: list[str], footnotes: Sequence[str]) -> float:
    lines = list(footnotes)
    if skipped:
        lines.append(f"Not assessed with RoB 2 or ROBINS-I: {', '.join(skipped)}.")
    width = max(c.width - MARGIN, 4.0)
    for text in lines:
        for line in wrap_to_width(text, width, lambda s: c.w(s, "small")):
            c.text(MARGIN, y + c.h("small") / 2, line, "small", gid="rob-footnote")
            y += c.h("small")
    return y


def _build(studies, *, traffic: bool, summary: bool, weighted: bool, title, weight_label, footnotes):
    panels, skipped = _panels(studies)
    if not panels:
        raise ValueError("no study has a RoB 2 or ROBINS-I assessment to draw")
    c = _Canvas()
    y = MARGIN
    if title:
        c.text(MARGIN, y + c.h("title") / 2, title, "title", gid="rob-title")
        y += c.h("title") + 0.06
    used: set[str] = set()
    if traffic:
        y, u = _traffic(c, panels, y)
        used |= u
    if summary:
        y, u = _summary(c, panels, y + (0.1 if traffic else 0), weighted, weight_label)
        used |= u
    tools = [p["tool"] for p in panels] if traffic else []
    y = _legend(c, y, tools, used)
    y = _notes(c, y + GAP / 2, skipped, footnotes)
    return c.finish(y)


def rob_traffic_light(studies: Sequence[Mapping], *, title: str | None = None, footnotes: Sequence[str] = ()):
    """Traffic-light plot: studies x domains + overall, one panel per tool, domain names in a legend.

    Parameters
    ----------
    studies : sequence of mappings
        ``label``, ``tool``, ``domains``, ``overall`` (see the module docstring), in display order.
    title : str, optional
    footnotes : sequence of str
        Lines under the legend.

    Returns
    -------
    matplotlib.figure.Figure
        Sized from its content. Artists carry gids: ``rob-label`` (one per study),
        ``rob-cell:<judgement>`` (the dots), ``rob-symbol``, ``rob-header``, ``rob-legend``.

    Examples
    --------
    >>> fig = rob_traffic_light([{"label": "A 2020", "tool": "RoB 2", "overall": "high",
    ...                           "domains": {"randomization": "high"}}])
    >>> sorted({a.get_gid() for a in fig.artists if (a.get_gid() or "").startswith("rob-cell")})
    ['rob-cell:high', 'rob-cell:not_reported']
    """
    return _build(studies, traffic=True, summary=False, weighted=False, title=title, weight_label=None,
                  footnotes=footnotes)


def rob_summary(studies: Sequence[Mapping], *, weighted: bool = True, title: str | None = None,
                weight_label: str | None = None, footnotes: Sequence[str] = ()):
    """Summary bar plot: per domain, the share of information at each judgement.

    Parameters
    ----------
    studies : sequence of mappings
        As :func:`rob_traffic_light`, with ``weight`` when ``weighted``.
    weighted : bool
        Shares of the summed ``weight`` (robvis ``weighted = TRUE``), else one share per study.
    weight_label : str, optional
        What the weights are, for the panel title (e.g. "share of the pain analysis weight").

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry the gid ``rob-bar:<judgement>``; their widths are the shares times the
        bar width (3.6 inches for 100%).

    Examples
    --------
    >>> fig = rob_summary([{"label": "A", "tool": "RoB 2", "overall": "low", "weight": 75},
    ...                    {"label": "B", "tool": "RoB 2", "overall": "high", "weight": 25}])
    >>> [round(a.get_width() / BAR_W, 2) for a in fig.artists if a.get_gid() in ("rob-bar:low", "rob-bar:high")]
    [0.75, 0.25]
    """
    return _build(studies, traffic=False, summary=True, weighted=weighted, title=title,
                  weight_label=weight_label, footnotes=footnotes)


def rob_figure(studies: Sequence[Mapping], *, weighted: bool | None = None, title: str | None = None,
               weight_label: str | None = None, footnotes: Sequence[str] = ()):
    """The traffic-light plot above the summary bars, one figure.

    ``weighted`` defaults to True when every study has a ``weight``.
    """
    if weighted is None:
        weighted = all(s.get("weight") is not None for s in studies if s.get("tool") in _TOOLS)
    return _build(studies, traffic=True, summary=True, weighted=weighted, title=title, weight_label=weight_label,
                  footnotes=footnotes)
