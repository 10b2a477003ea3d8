"""Text measurement and collision checks shared by the plotting functions.

Nothing here imports matplotlib at module load: the callers pass in the figure (and so the
renderer) they are building. Sizes are in inches unless a name says otherwise.

A text's rendered size depends only on the string, the font, the resolution and the hinting
settings, so measurements are kept for the whole process (:data:`_MEASURED`, keyed by all of
these), not per figure: a review's figures repeat their headers, axis words and footnotes (the
bundled review's report measures 1,162 texts, 576 of them different).
"""
from __future__ import annotations

from typing import Callable, Iterable

#: (text, font, dpi, hinting, hinting factor) -> (width, height, descent) in pixels
_MEASURED: dict = {}
#: beyond this many entries the cache starts again (a bound on memory, never reached by a review)
_MAX_MEASURED = 20_000


class TextMeasurer:
    """Measure rendered text with the renderer of a figure's Agg canvas.

    The widths are those that ``Text.get_window_extent`` reports for the same string and font
    once drawn (both come from ``renderer.get_text_width_height_descent``), so a layout built
    from them is the layout that gets drawn. Measurements are cached per (text, font).
    """

    def __init__(self, fig):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from matplotlib import rcParams

        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.renderer = canvas.get_renderer()
        self.dpi = fig.dpi
        self._settings = (self.renderer.dpi, rcParams["text.hinting"], rcParams["text.hinting_factor"])

    def size(self, text: str, prop) -> tuple[float, float, float]:
        """(width, height, descent) of one line of ``text`` in inches."""
        if not text:
            return 0.0, 0.0, 0.0
        key = (text, hash(prop), self._settings)
        hit = _MEASURED.get(key)
        if hit is None:
            if len(_MEASURED) >= _MAX_MEASURED:
                _MEASURED.clear()
            hit = _MEASURED[key] = self.renderer.get_text_width_height_descent(text, prop, ismath=False)
        w, h, d = hit
        return w / self.dpi, h / self.dpi, d / self.dpi

    def width(self, text: str, prop) -> float:
        return self.size(text, prop)[0]


def wrap_to_width(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap of ``text`` so that each line measures at most ``width``.

    A single word wider than ``width`` is kept whole on its own line (the caller widens the
    figure for it). Explicit newlines are kept as line breaks.

    Each line is the longest run of words that fits, as a word-by-word greedy scan finds it, but
    without measuring every growing prefix (a measurement costs in proportion to the text's
    length, so the scan was quadratic in a paragraph's length): the break is guessed from the
    words' own widths and the space's, then confirmed with two measurements of whole lines (this
    line fits; this line plus the next word does not), moving it a word at a time if needed.
    Widths grow as words are added, so the result is the scan's.
    """
    lines: list[str] = []
    space = None
    for paragraph in str(text).split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        whole = " ".join(words)
        if measure(whole) <= width:  # most lines fit: one measurement instead of one per word
            lines.append(whole)
            continue
        if space is None:
            space = max(measure("x x") - 2 * measure("x"), 0.0)
        sizes = [measure(w) for w in words]
        i = 0
        while i < len(words):
            j, guess = i + 1, sizes[i]
            while j < len(words) and guess + space + sizes[j] <= width:
                guess += space + sizes[j]
                j += 1
            while j > i + 1 and measure(" ".join(words[i:j])) > width:
                j -= 1
            while j < len(words) and measure(" ".join(words[i:j + 1])) <= width:
                j += 1
            lines.append(" ".join(words[i:j]))
            i = j
    return lines


def text_extents(fig, renderer=None):
    """Draw ``fig`` and return [(Text, Bbox)] for every visible, non-empty text artist.

    Includes texts of axes (tick labels, titles) as well as figure-level texts. Tick labels of
    ticks outside their axis' view limits are left out: matplotlib keeps such Text objects (a
    locator may place a tick at 2000 on an axis ending at 1830) but does not draw them.
    """
    from matplotlib.text import Text

    if renderer is None:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
    undrawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            slack = 1e-9 * max(abs(lo), abs(hi), 1.0)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not lo - slack <= loc <= hi + slack:
                    undrawn.update((id(tick.label1), id(tick.label2)))
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or id(t) in undrawn:
            continue
        out.append((t, t.get_window_extent(renderer)))
    return out


def overlapping_texts(fig, tol: float = 0.5) -> list[tuple]:
    """Pairs of text artists of ``fig`` whose drawn extents overlap by more than ``tol`` pixels
    in both directions. An empty list means no text collides with another."""
    import numpy as np

    items = text_extents(fig)
    if len(items) < 2:
        return []
    b = np.array([[e.x0, e.y0, e.x1, e.y1] for _, e in items])
    ox = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    oy = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    hit = (ox > tol) & (oy > tol)
    i, j = np.nonzero(np.triu(hit, 1))
    return [(items[a][0], items[c][0]) for a, c in zip(i, j)]


def texts_outside(fig, tol: float = 0.5) -> list:
    """Text artists of ``fig`` that are drawn (partly) outside the figure canvas."""
    w, h = fig.canvas.get_width_height()
    return [t for t, e in text_extents(fig)
            if e.x0 < -tol or e.y0 < -tol or e.x1 > w + tol or e.y1 > h + tol]


def describe(texts: Iterable) -> str:
    """A short human description of text artists, for assertion messages."""
    return "; ".join(repr(t.get_text()) for t in texts)
