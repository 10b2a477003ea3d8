"""The Figure every plotting function returns: saved so that journals and editors accept it.

:class:`ReviewFigure` is a plain ``matplotlib.figure.Figure`` on an Agg canvas whose
:meth:`~ReviewFigure.savefig` always writes

* PDF with TrueType (Type 42) fonts embedded, never Type 3 fonts, which journal submission
  systems reject (``pdf.fonttype = 42``);
* SVG with text kept as ``<text>`` elements that an editor can change, not converted to paths
  (``svg.fonttype = "none"``);
* the tool version, and the SHA-256 of the studies file the figure was drawn from when it is
  known (:func:`stamp`), in the file's metadata (PNG text chunks, the PDF info dictionary, SVG
  Dublin Core);
* the same bytes for the same input: no creation date unless ``SOURCE_DATE_EPOCH`` gives one
  (the reproducible-builds convention matplotlib follows), fixed SVG ids (``svg.hashsalt``).

It also shows itself in Jupyter. Built without pyplot, a figure has no pyplot manager, so IPython
displays a plain Figure as its text repr (the inline backend registers its PNG formatter only
once pyplot is imported) and ``Figure.show()`` raises ``AttributeError``. ``_repr_png_`` (IPython's
rich-display protocol) shows it inline with or without ``%matplotlib inline``; :meth:`show`
displays it in IPython, defers to a pyplot manager when there is one, and otherwise only warns,
as matplotlib does for a non-interactive backend.

These settings are matplotlib's own; they are applied for the duration of each ``savefig`` only,
so a program that imports ldn_evidence keeps its own rcParams. The plotting modules import this
one inside their functions, so that importing ldn_evidence does not load matplotlib.

Examples
--------
>>> fig = new_figure((2, 1))
>>> stamp(fig, "ab" * 32).provenance["studies_sha256"][:4]
'abab'
>>> figure_metadata("pdf", fig.provenance)["Subject"][:25]
'studies file sha256 ababa'
>>> fig._repr_png_()[1:4]
b'PNG'
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     fig.show()
>>> "savefig" in str(caught[0].message)
True
"""
from __future__ import annotations

import io
import os
import sys
import warnings
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._version import __version__

__all__ = ["ReviewFigure", "new_figure", "stamp", "figure_metadata", "SAVE_RC"]

#: rcParams in force while a figure is saved
SAVE_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none", "svg.hashsalt": "ldn-evidence"}


def _format_of(fname, kwargs) -> str:
    fmt = kwargs.get("format")
    if fmt:
        return str(fmt).lower()
    if isinstance(fname, (str, os.PathLike)):
        suffix = Path(fname).suffix.lower().lstrip(".")
        if suffix:
            return suffix
    return str(matplotlib.rcParams["savefig.format"]).lower()


def figure_metadata(fmt: str, provenance: dict) -> dict:
    """The metadata ``savefig`` writes for format ``fmt`` (png, pdf, svg; others get none).

    ``provenance``: ``{"version": ..., "studies_sha256": ... or None}``. Dates are left out
    (``None``) unless ``SOURCE_DATE_EPOCH`` is set, so that the same input gives the same file.
    """
    tool = f"ldn-evidence {provenance.get('version') or __version__}"
    digest = provenance.get("studies_sha256")
    source = f"studies file sha256 {digest}" if digest else None
    dated = "SOURCE_DATE_EPOCH" in os.environ
    if fmt == "png":
        meta = {"Software": tool}
        if source:
            meta["Comment"] = source
        return meta
    if fmt == "pdf":
        meta = {"Creator": tool}
        if source:
            meta["Subject"] = source
        if not dated:
            meta["CreationDate"] = None
        return meta
    if fmt == "svg":
        meta = {"Creator": tool}
        if source:
            meta["Description"] = source
        if not dated:
            meta["Date"] = None
        return meta
    return {}


class ReviewFigure(Figure):
    """A Figure that saves with embedded TrueType fonts, SVG text as text, its provenance in the
    metadata and no date (see :mod:`ldn_evidence.plots._figure`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.provenance = {"version": __version__, "studies_sha256": None}

    def savefig(self, fname, *args, **kwargs):
        fmt = _format_of(fname, kwargs)
        meta = figure_metadata(fmt, self.provenance)
        meta.update(kwargs.pop("metadata", None) or {})
        if meta:
            kwargs["metadata"] = meta
        with matplotlib.rc_context(SAVE_RC):
            return super().savefig(fname, *args, **kwargs)

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes at its own size and dpi (IPython's rich display)."""
        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()

    def show(self, warn: bool = True) -> None:
        """Show the figure: in IPython, display it inline; with a pyplot manager, its window.

        Outside IPython and without a manager there is no window to show: with ``warn`` the
        figure says so (use ``fig.savefig(path)``), and nothing is raised.
        """
        if getattr(self.canvas, "manager", None) is not None:
            super().show(warn=warn)
            return
        ipython = sys.modules.get("IPython")  # never imported here when the caller has not loaded it
        shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
        if shell is not None:
            from IPython.display import display

            display(self)
            return
        if warn:
            warnings.warn("this figure has no window (it is not managed by pyplot); write it with "
                          "fig.savefig(path), or display it in Jupyter", UserWarning, stacklevel=2)


def new_figure(figsize=(6.4, 4.8), dpi: float = 100, **kwargs) -> ReviewFigure:
    """A :class:`ReviewFigure` of ``figsize`` inches on its own Agg canvas (no pyplot state)."""
    fig = ReviewFigure(figsize=figsize, dpi=dpi, **kwargs)
    FigureCanvasAgg(fig)
    return fig


def stamp(fig, studies_sha256: str | None = None):
    """Record the studies file's SHA-256 in ``fig``'s provenance (written into its metadata when
    it is saved); returns ``fig``."""
    prov = dict(getattr(fig, "provenance", None) or {"version": __version__})
    if studies_sha256:
        prov["studies_sha256"] = str(studies_sha256)
    fig.provenance = prov
    return fig
