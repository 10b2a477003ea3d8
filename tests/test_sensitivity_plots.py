"""Diagnostic plots: return Figures with the expected artists and no overlapping text
(every text's drawn window extent is measured), from k = 3 to k = 40."""
from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from ldn_evidence.models import meta_analysis  # noqa: E402
from ldn_evidence.plots import diagnostics as dg  # noqa: E402
from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside  # noqa: E402


def fit(k, seed=2, long_labels=False):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.3, k)
    yi = rng.normal(0.4, np.sqrt(vi + 0.03)) + 0.8 * np.sqrt(vi)      # some asymmetry
    labels = [f"Study {i + 1} {2000 + i}" + (" with a long randomised-trial label" if long_labels and i % 3 == 0 else "")
              for i in range(k)]
    return meta_analysis(yi, vi, labels=labels)


def gids(fig):
    out = set()
    for a in fig.findobj():
        g = a.get_gid()
        if g:
            out.add(g)
    return out


def clean(fig):
    assert isinstance(fig, Figure)
    hits = overlapping_texts(fig)
    assert not hits, "overlapping text: " + "; ".join(describe(p) for p in hits)
    out = texts_outside(fig)
    assert not out, "text outside the figure: " + describe(out)


@pytest.mark.parametrize("k", [3, 12, 40])
def test_funnel(k):
    res = fit(k)
    tf = res.trim_and_fill()
    fig = dg.funnel_plot(res, tf, xlabel="log risk ratio")
    clean(fig)
    g = gids(fig)
    assert {"contour", "studies", "estimate-line", "pseudo-ci", "legend"} <= g
    assert ("filled-studies" in g) == (tf.k0 > 0)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]                    # SE axis inverted: 0 on top
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:4] == ["p > 0.1", "0.05 < p \u2264 0.1", "0.01 < p \u2264 0.05", "p \u2264 0.01"]


def test_funnel_with_filled_studies_draws_open_circles():
    yi = np.array([0.9, 0.7, 0.65, 0.5, 0.45, 0.4, 0.3, 0.35, 0.2])
    vi = np.array([0.30, 0.22, 0.18, 0.12, 0.09, 0.06, 0.03, 0.04, 0.02])
    res = meta_analysis(yi, vi)
    tf = res.trim_and_fill()
    assert tf.k0 > 0
    fig = dg.funnel_plot(res, tf)
    clean(fig)
    filled = [c for c in fig.axes[0].collections if c.get_gid() == "filled-studies"][0]
    assert len(filled.get_offsets()) == tf.k0
    assert tuple(filled.get_facecolor()[0][:3]) == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(filled.get_offsets()[:, 0], tf.fill_yi)


@pytest.mark.parametrize("k,labels", [(5, "index"), (40, "index"), (15, "label")])
def test_baujat(k, labels):
    res = fit(k, long_labels=(labels == "label"))
    frame = res.baujat()
    fig = dg.baujat_plot(frame, labels=labels)
    clean(fig)
    pts = [c for c in fig.axes[0].collections if c.get_gid() == "studies"][0]
    np.testing.assert_allclose(pts.get_offsets()[:, 0], frame["x"])
    placed = [t for t in fig.axes[0].texts if t.get_gid() == "point-label"]
    assert len(placed) >= min(k, 5)


@pytest.mark.parametrize("k", [4, 25])
def test_influence_panel(k):
    res = fit(k)
    fig = dg.influence_plot(res.influence(), res)
    clean(fig)
    assert len(fig.axes) == 9
    assert [a.get_title() for a in fig.axes][:2] == ["rstudent", "dffits"]


@pytest.mark.parametrize("k", [3, 20])
def test_leave_one_out_and_cumulative_forests(k):
    res = fit(k, long_labels=True)
    fig = dg.leave_one_out_plot(res.leave_one_out(), res)
    clean(fig)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any(t.startswith("Omitting Study 1 ") for t in texts)
    fig = dg.cumulative_plot(res.cumulative(order=np.arange(k)[::-1]))
    clean(fig)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any(t.startswith(f"+ Study {k} ") for t in texts)


def test_gosh_plot():
    res = fit(12)
    g = res.gosh()
    fig = dg.gosh_plot(g, xlabel="log risk ratio")
    clean(fig)
    assert len(fig.axes) == 3
    fig = dg.gosh_plot(g, highlight=res.labels[3])
    clean(fig)
    assert {"subsets", "subsets-highlight"} <= gids(fig)
    with pytest.raises(KeyError):
        dg.gosh_plot(g, highlight="no such study")
