"""The plots' text measurements, kept for the process (plots/_layout.py), are what a fresh
renderer measures, at every resolution and hinting setting."""
from __future__ import annotations

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from ldn_evidence.plots import _layout


def _fresh(text, prop, dpi):
    fig = Figure(dpi=dpi)
    w, h, d = FigureCanvasAgg(fig).get_renderer().get_text_width_height_descent(text, prop, ismath=False)
    return w / dpi, h / dpi, d / dpi


@pytest.mark.parametrize("dpi", [72, 100, 300])
@pytest.mark.parametrize("hinting", ["default", "no_hinting", "force_autohint"])
def test_measurements_are_a_fresh_renderers(dpi, hinting):
    texts = ["Rodríguez-Freire (INNOVA) 2025", "Favours LDN", "SMD −0.11 [−0.91, 0.68]"]
    props = [FontProperties(size=9), FontProperties(size=9, weight="bold"), FontProperties(size=7.5)]
    with matplotlib.rc_context({"text.hinting": hinting}):
        for _ in range(2):  # the second pass comes from the cache
            m = _layout.TextMeasurer(Figure(dpi=dpi))
            for text in texts:
                for prop in props:
                    assert m.size(text, prop) == _fresh(text, prop, dpi)


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(_layout, "_MAX_MEASURED", 5)
    _layout._MEASURED.clear()
    m = _layout.TextMeasurer(Figure(dpi=100))
    for i in range(12):
        m.size(f"label {i}", FontProperties(size=9))
    assert len(_layout._MEASURED) <= 5
    assert m.size("label 3", FontProperties(size=9)) == _fresh("label 3", FontProperties(size=9), 100)
