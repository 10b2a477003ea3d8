"""Figures: each function takes results or plain data and returns a matplotlib Figure (never
``plt.show()``; no pyplot state).

* :mod:`.forest` — the RevMan-style forest plot.
* :mod:`.diagnostics` — funnel, Baujat, influence, leave-one-out, cumulative and GOSH plots.
* :mod:`.cumulative_year`, :mod:`.tsa`, :mod:`.prisma` — the living review's figures.
* :mod:`._layout` — text measurement and overlap checks shared by all of them.
* :mod:`._figure` — :class:`ReviewFigure`, the Figure they return: saved as journals accept it, shown
  inline in Jupyter, ``show()`` never raises.
"""
