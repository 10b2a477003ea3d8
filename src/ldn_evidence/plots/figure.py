"""The Figure class the package's plotting functions return: a matplotlib Figure that shows itself.

The plotting functions build their figures without pyplot (no global state, safe in threads),
so matplotlib gives them no figure manager. Two things then go wrong for a reader in Jupyter:

* IPython displays a plain :class:`matplotlib.figure.Figure` as its text repr
  (``<Figure size 600x400 with 1 Axes>``): the inline backend registers its PNG formatter only
  once pyplot is imported (``%matplotlib inline`` or ``import matplotlib.pyplot``);
* ``fig.show()`` raises ``AttributeError`` ("Figure.show works only for figures managed by
  pyplot").

:class:`ReviewFigure` adds ``_repr_png_`` (IPython's rich-display protocol, so the figure shows
inline with or without pyplot) and a ``show()`` that displays the figure in IPython, defers to
the pyplot manager when there is one, and otherwise only warns, as matplotlib does for a
non-interactive backend. Everything else is matplotlib's Figure.

Examples
--------
>>> fig = ReviewFigure(figsize=(2, 1), dpi=50)
>>> fig._repr_png_()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     fig.show()
>>> "savefig" in str(caught[0].message)
True
"""
from __future__ import annotations

import io
import sys
import warnings

from matplotlib.figure import Figure

__all__ = ["ReviewFigure"]


def _ipython():
    """The running IPython shell, or None (IPython is never imported here if it is not loaded)."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except AttributeError:
        return None


class ReviewFigure(Figure):
    """A matplotlib Figure that displays inline in Jupyter and whose ``show()`` never raises."""

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
        shell = _ipython()
        if shell is not None:
            from IPython.display import display

            display(self)
            return
        if warn:
            warnings.warn("this figure has no window (it is not managed by pyplot); write it with "
                          "fig.savefig(path), or display it in Jupyter", UserWarning, stacklevel=2)
