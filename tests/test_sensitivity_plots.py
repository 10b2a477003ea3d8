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


# ---------------------------------------------------------------------------------------------
# ratio measures, names, shades, small k, one cumulative forest


def ratio_fit(k, seed=5):
    """Log risk ratios from event counts (metafor's escalc RR), as the review pools them."""
    import ldn_evidence as le

    rng = np.random.default_rng(seed)
    n = rng.integers(20, 200, k)
    a = rng.binomial(n, 0.35)
    c = rng.binomial(n, 0.45)
    es = le.escalc("RR", ai=a, n1i=n, ci=c, n2i=n)
    return meta_analysis(es["yi"].to_numpy(), es["vi"].to_numpy(), labels=[f"Trial {i + 1}" for i in range(k)])


@pytest.mark.parametrize("k", [2, 12])
def test_ratio_figures_are_drawn_on_a_log_axis_with_ratios(k):
    res = ratio_fit(k)
    fig = dg.funnel_plot(res, None, xlabel="Risk ratio", log_scale=True)
    clean(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    pts = [c for c in ax.collections if c.get_gid() == "studies"][0]
    np.testing.assert_allclose(pts.get_offsets()[:, 0], np.exp(res.yi), rtol=1e-12)
    line = [ln for ln in ax.lines if ln.get_gid() == "estimate-line"][0]
    assert line.get_xdata()[0] == pytest.approx(np.exp(res.estimate))
    labels = [float(t.get_text()) for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(v > 0 for v in labels)                     # ratios, never log ratios
    lo, hi = ax.get_xlim()
    assert lo < 1 < hi
    for fig in (dg.leave_one_out_plot(res.leave_one_out(), res, xlabel="Risk ratio", log_scale=True),
                dg.cumulative_plot(res.cumulative(), xlabel="Risk ratio", log_scale=True)):
        clean(fig)
        eff = [t.get_text() for t in fig.texts if t.get_gid() == "effect"]
        first = fig.axes[0]
        est = float(eff[0].split()[0])
        assert est > 0
        ticks = [t.get_text() for t in first.texts if t.get_gid() == "tick-label"]
        assert "1" in ticks and all(float(x) > 0 for x in ticks)
    frame = res.leave_one_out()
    fig = dg.leave_one_out_plot(frame, res, xlabel="Risk ratio", log_scale=True)
    eff = [t.get_text() for t in fig.texts if t.get_gid() == "effect"]
    assert eff[0].startswith(f"{np.exp(frame['estimate'].iloc[0]):.2f} [")
    heads = [t.get_text() for t in fig.texts if t.get_gid() == "header"]
    assert "\u03c4\u00b2 (log scale)" in heads
    g = res.gosh()
    fig = dg.gosh_plot(g, xlabel="Risk ratio", log_scale=True)
    clean(fig)
    main = fig.axes[0]
    assert main.get_xscale() == "log"
    np.testing.assert_allclose(np.sort(main.collections[0].get_offsets()[:, 0]),
                               np.sort(np.exp(g["estimate"].to_numpy())), rtol=1e-12)


def test_funnel_contour_shades_darken_as_p_falls():
    from matplotlib.colors import to_rgb

    fig = dg.funnel_plot(fit(12), None)
    legend = fig.axes[0].get_legend()
    patches = legend.get_patches()[:4]
    lum = [sum(to_rgb(p.get_facecolor())) for p in patches]
    assert lum == sorted(lum, reverse=True) and len(set(lum)) == 4


@pytest.mark.parametrize("k", [3, 9, 10])
def test_small_k_caveat_in_funnel_and_gosh(k):
    res = fit(k)
    for fig in (dg.funnel_plot(res, None), dg.gosh_plot(res.gosh())):
        clean(fig)
        caveat = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == "small-k-caveat"]
        if k < 10:
            assert len(caveat) == 1 and caveat[0].startswith(f"Fewer than 10 studies (k = {k}): ")
            assert "cannot be assessed reliably" in caveat[0]
        else:
            assert not caveat


def test_baujat_and_influence_name_the_studies():
    res = fit(12, long_labels=True)
    fig = dg.baujat_plot(res.baujat())
    placed = {t.get_text() for t in fig.axes[0].texts if t.get_gid() == "point-label"}
    assert placed and placed <= set(res.labels)
    fig = dg.influence_plot(res.influence(), res)
    clean(fig)
    first = fig.axes[0]
    assert [t.get_text() for t in first.get_yticklabels()] == list(res.labels)
    # each row of panels shows the names once, at its left
    fig.canvas.draw()
    named = [ax for ax in fig.axes if [t for t in ax.get_yticklabels() if t.get_visible() and t.get_text()]]
    assert named == [fig.axes[0], fig.axes[5]]


def test_one_cumulative_forest_serves_both_frames():
    """By year (the living review) and study by study (metafor's cumul): the same forest, whose
    footnote wraps inside the canvas however long it is."""
    import ldn_evidence as le
    from ldn_evidence.plots.cumulative_year import cumulative_forest
    from ldn_evidence.review.by_year import cumulative_by_year

    frame, _ = cumulative_by_year(le.load_studies(), "pain")
    long = "Each row pools every study published up to that year. " * 12
    a = cumulative_forest(frame, footnote=long)
    b = dg.cumulative_plot(frame, footnotes=[long], favours=("Favours LDN", "Favours placebo"),
                           xlabel="Standardised mean difference (Hedges' g)")
    for fig in (a, b):
        clean(fig)
        labels = [t.get_text() for t in fig.texts if t.get_gid() == "label"]
        assert labels[0].startswith(f"{int(frame['year'].iloc[0])} + ")
        feet = [t for t in fig.texts if t.get_gid() == "footnote"]
        assert len(feet) >= 2 and " ".join(t.get_text() for t in feet).split() == long.split()
    assert [t.get_text() for t in a.texts] == [t.get_text() for t in b.texts]
    res = fit(5)
    c = dg.cumulative_plot(res.cumulative())
    assert [t.get_text() for t in c.texts if t.get_gid() == "label"][0] == f"+ {res.labels[0]}"


def test_sensitivity_cli_writes_every_figure_in_the_format_asked(tmp_path):
    from click.testing import CliRunner

    from ldn_evidence.cli import main

    out = tmp_path / "figs"
    r = CliRunner().invoke(main, ["sensitivity", "--outcome", "adverse_events", "--plot", str(out),
                                  "--plot-format", "svg", "--dpi", "150"])
    assert r.exit_code == 0, r.output
    svgs = sorted(p.name for p in out.glob("*.svg"))
    assert svgs == sorted(f"{n}-adverse_events.svg" for n in ("sensitivity-forest", "funnel", "baujat", "influence",
                                                               "leave-one-out", "cumulative", "gosh"))
    text = r.output
    assert "leave-one-out (RR [CI] without the study)" in text
    assert "- Due Bruun 2024: 0.955 [0.74, 1.24]" in text             # exp(-0.046): a ratio, not a log
    r = CliRunner().invoke(main, ["sensitivity", "--outcome", "adverse_events", "--plot", str(tmp_path / "p"),
                                  "--dpi", "150"])
    assert r.exit_code == 0
    from PIL import Image

    im = Image.open(tmp_path / "p" / "funnel-adverse_events.png")
    assert round(im.info["dpi"][0]) == 150
