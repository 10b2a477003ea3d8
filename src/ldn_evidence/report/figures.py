"""Figures for the page: a matplotlib Figure as SVG markup to put inline in the HTML.

Text stays text (``svg.fonttype: none``): the page is searchable, selectable and small (a forest
plot is about 20 KB against 120 KB as PNG), and writing it is five times faster than rasterising.
The figure's own metadata (tool version, studies-file hash) is left out: the page states both.
matplotlib gives every SVG the same element ids (``figure_1``, ``axes_1``, ``patch_1``) and
references between them (``xlink:href="#m…"``, ``clip-path="url(#p…)"``); several figures in one
HTML document would repeat them, so every id and reference is given the figure's own prefix,
and an id several elements of one figure carry (a ``gid``) becomes their class.
The XML prolog, doctype and metadata are left out, so the same figure gives the same bytes on
every build.

Examples
--------
>>> from ldn_evidence.plots._figure import new_figure
>>> fig = new_figure((1, 1))
>>> _ = fig.add_subplot().plot([0, 1], [0, 1])
>>> markup = inline_svg(fig, "fig-a", "A line")
>>> markup.startswith("<svg") and 'id="fig-a-figure_1"' in markup and ">A line</title>" in markup
True
"""
from __future__ import annotations

import io
import re
from collections import Counter

from markupsafe import Markup, escape

__all__ = ["inline_svg"]

#: where an element id, or a reference to one, starts in matplotlib's SVG
_REFS = re.compile(r'(?<=\sid=")|(?<=\shref="#)|(?<=\sxlink:href="#)|(?<=url\(#)')


def _prefix_ids(text: str, prefix: str) -> str:
    """Every id and id reference of an SVG document given ``prefix``; a match in a label's text
    (element content, where the last ``<`` is before the last ``>``) is left alone.

    >>> _prefix_ids('<g id="a"><use xlink:href="#m"/><text> id="kept"</text></g>', "f")
    '<g id="f-a"><use xlink:href="#f-m"/><text> id="kept"</text></g>'
    """
    def one(m: re.Match) -> str:
        pos = m.start()
        return f"{prefix}-" if text.rfind("<", 0, pos) > text.rfind(">", 0, pos) else ""
    return _REFS.sub(one, text)


_ID = re.compile(r'(?<=\s)id="([^"]*)"')


def _repeated_ids_as_classes(text: str) -> str:
    """An id that several elements carry (a plotting function's ``gid`` on every label, say)
    becomes their ``class``: ids must be unique in a page, and nothing refers to these.

    >>> _repeated_ids_as_classes('<g id="a"><text id="l">x</text><text id="l">y</text></g>')
    '<g id="a"><text class="l">x</text><text class="l">y</text></g>'
    """
    counts = Counter(m.group(1) for m in _ID.finditer(text))
    return _ID.sub(lambda m: f'class="{m.group(1)}"' if counts[m.group(1)] > 1 else m.group(0), text)


def inline_svg(fig, prefix: str, title: str) -> Markup:
    """``fig`` as an ``<svg>`` element with ids prefixed by ``prefix`` and a ``<title>``."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # the package's figures keep text as text anyway
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = _repeated_ids_as_classes(_prefix_ids(text, prefix))
    head_end = text.index(">") + 1
    opening = text[:head_end].replace("<svg ", f'<svg role="img" aria-labelledby="{prefix}--title" ', 1)
    return Markup(f'{opening}<title id="{prefix}--title">{escape(title)}</title>{text[head_end:]}')
