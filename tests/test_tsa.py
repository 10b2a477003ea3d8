"""Trial sequential analysis against rpact 3.3.4 (tests/reference/tsa/make_reference.R) and
published formulas."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ldn_evidence.diagnostics.tsa import diversity, group_sequential_boundaries, required_information_size, spending
from ldn_evidence.review.tsa import trial_sequential_analysis

REF = json.loads((Path(__file__).parent / "reference" / "tsa" / "rpact_boundaries.json").read_text())
CASES = {c["name"]: c for c in REF["cases"]}


@pytest.mark.parametrize("name", list(CASES))
def test_boundaries_match_rpact(name):
    c = CASES[name]
    kind = "pocock" if "Pocock" in name else "obf"
    b = group_sequential_boundaries(c["informationRates"], alpha=c["alpha"], sides=c["sided"],
                                    spending_function=kind, beta=c.get("beta"))
    np.testing.assert_allclose(b.upper, c["criticalValues"], atol=1e-6)
    np.testing.assert_allclose(b.alpha_spent, c["alphaSpent"], atol=2e-8)
    if "futilityBounds" in c:
        np.testing.assert_allclose(b.futility[:-1], c["futilityBounds"], atol=2e-6)
        assert b.futility[-1] == pytest.approx(b.upper[-1])
        np.testing.assert_allclose(b.beta_spent, c["betaSpent"], atol=2e-8)
        assert b.inflation == pytest.approx(c["inflationFactor"], abs=1e-6)
        assert b.theta ** 2 == pytest.approx(c["shift"], abs=1e-5)


def test_classic_obrien_fleming_values():
    # Lan-DeMets O'Brien-Fleming type, 5 equally spaced looks, alpha 0.025 per side: the values
    # tabulated with ldbounds/gsDesign (4.877, 3.357, 2.680, 2.290, 2.031)
    b = group_sequential_boundaries(np.linspace(0.2, 1, 5), alpha=0.05, sides=2)
    np.testing.assert_allclose(b.upper, [4.877, 3.357, 2.680, 2.290, 2.031], atol=5e-4)
    # a single look is the fixed-sample test
    assert group_sequential_boundaries([1.0]).upper[0] == pytest.approx(1.959964, abs=1e-6)


def test_spending_function_formula():
    t = np.array([0.1, 0.5, 1.0])
    from statistics import NormalDist

    nd = NormalDist()
    z = nd.inv_cdf(1 - 0.025 / 2)
    expected = [math.erfc(z / math.sqrt(x) / math.sqrt(2)) for x in t]  # 2 - 2 Phi(z / sqrt(t))
    np.testing.assert_allclose(spending(t, 0.025), expected, rtol=1e-9)
    assert spending(1.0, 0.05, "pocock") == pytest.approx(0.05)
    assert spending(0.0, 0.05) == 0.0


def test_required_information_size():
    # 4 (z_.975 + z_.8)^2 / 0.2^2 = 784.9 (the usual two-arm sample size for d = 0.2)
    ris = required_information_size(0.2)
    assert ris.ris == pytest.approx(4 * (1.959964 + 0.841621) ** 2 / 0.04, rel=1e-6)
    assert round(ris.ris) == 785
    adj = required_information_size(0.2, d2=0.5)
    assert adj.adjusted == pytest.approx(2 * ris.ris)
    md = required_information_size(1.0, sd=2.0, alpha=0.05, beta=0.1)
    assert md.ris == pytest.approx(4 * (1.959964 + 1.281552) ** 2 * 4, rel=1e-6)
    with pytest.raises(ValueError):
        required_information_size(0)
    with pytest.raises(ValueError):
        required_information_size(0.2, d2=1.0)


def test_diversity_matches_metafor():
    d = REF["diversity"]
    assert diversity(d["yi"], d["vi"]) == pytest.approx(d["D2"], rel=1e-9)
    assert diversity([0.1], [0.04]) == 0.0
    assert diversity([0.1, 0.1], [0.04, 0.05]) == 0.0


def test_invalid_inputs():
    with pytest.raises(ValueError):
        group_sequential_boundaries([0.5, 0.4, 1.0])
    with pytest.raises(ValueError):
        group_sequential_boundaries([0.5, 1.2])
    with pytest.raises(ValueError):
        group_sequential_boundaries([0.5, 1.0], spending_function="haybittle")


def test_review_tsa_on_bundled_data():
    from ldn_evidence.review import load_studies

    review = load_studies()
    res = trial_sequential_analysis(review, "pain", mird=0.2)
    steps = res.steps
    assert (np.diff(steps["cum_n"]) > 0).all()
    # the last cumulative Z is the random-effects (DL, z) pooled estimate over its SE, sign flipped
    from ldn_evidence.models import meta_analysis

    a = review.analyse("pain", by="none", test="z")
    t = a.table[a.table["randomized"].astype(bool)]
    m = meta_analysis(t["yi"].to_numpy(), t["vi"].to_numpy(), method="DL", test="z")
    assert steps["z"].iloc[-1] == pytest.approx(-m.estimate / m.se)
    assert res.ris.d2 == pytest.approx(diversity(t["yi"], t["vi"]))
    assert res.information_size >= res.ris.adjusted
    assert "no boundary crossed" in res.conclusion or "crosses" in res.conclusion or "futility" in res.conclusion
    d = res.to_dict()
    json.dumps(d)
    fig = res.plot()
    from ldn_evidence.plots._layout import overlapping_texts, texts_outside

    assert not overlapping_texts(fig)
    assert not texts_outside(fig)
    # the "Favours" labels sit in the right margin, where no curve or line can run through them
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    panel = ax.get_window_extent(renderer)
    favours = [t for t in ax.texts if t.get_text().startswith("Favours")]
    assert len(favours) == 2
    assert all(t.get_window_extent(renderer).x0 > panel.x1 for t in favours)
    ris = [t.get_text() for t in ax.texts if t.get_text().startswith("RIS")]
    assert ris == [f"RIS = {res.information_size:,.0f} ({res.ris.adjusted:,.0f} x {res.boundaries.inflation:.4g}) "]


@pytest.mark.parametrize("curve", REF["curves"], ids=[c["name"] for c in REF["curves"]])
def test_boundary_curve_matches_rpact_at_20_fractions(curve):
    """The boundary drawn between the looks, at 20 information fractions: rpact's critical value
    of a look at each fraction given the earlier looks, or, with one earlier look close before
    (where rpact's grid is least accurate), R's adaptive quadrature of the one-dimensional
    integral; the futility curve under rpact's drift by mvtnorm's deterministic integration
    (tests/reference/tsa/make_reference.R)."""
    from ldn_evidence.diagnostics.tsa import boundary_curve

    b = group_sequential_boundaries(curve["looks"], alpha=curve["alpha"], sides=curve["sided"],
                                    beta=curve.get("beta"))
    c = boundary_curve(b, curve["t"])
    assert len(curve["t"]) == 20
    expected = np.array([math.inf if v == "Inf" else v for v in curve["upper"]], dtype=float)
    # less than 1e-15 spent: reported as infinite (rpact too); the exact quantile is above 7.9
    assert np.all(expected[np.isinf(c.upper)] > 7.9)
    ok = np.isfinite(c.upper)
    # rpact's own integration is good to a few 1e-6 (3.4e-6 at t = 0.75 of the futility design,
    # where mvtnorm agrees with this module to 1e-8); the quadrature reference to 1e-12
    atol = 1e-6 if "quadrature" in curve["name"] else 5e-6
    np.testing.assert_allclose(c.upper[ok], expected[ok], atol=atol)
    if "futility" in curve:
        np.testing.assert_allclose(c.futility, curve["futility"], atol=2e-6)
    # at the looks the curve is the looks' boundaries
    at = boundary_curve(b, b.t)
    np.testing.assert_allclose(at.upper, b.upper, rtol=1e-12)
    if b.futility is not None:
        np.testing.assert_allclose(at.futility, b.futility, rtol=1e-12)


def test_boundary_curve_follows_the_spending_function_not_a_straight_line():
    from ldn_evidence.diagnostics.tsa import boundary_curve

    b = group_sequential_boundaries([0.1, 0.9, 1.0])
    half = boundary_curve(b, [0.5]).upper[0]
    straight = (b.upper[0] + b.upper[1]) / 2
    assert half == pytest.approx(2.9626, abs=1e-3) and straight > 4.5
    beyond = boundary_curve(b, [1.0, 1.7])
    assert beyond.upper[1] == beyond.upper[0] == pytest.approx(b.upper[-1])
    with pytest.raises(ValueError):
        boundary_curve(b, [0.0, 0.5])


def test_tsa_plot_draws_the_continuous_boundary_and_the_futility_region():
    """The drawn boundary is boundary_curve at every point of the line (not straight lines
    between the trials' looks); the futility region is a shaded wedge ending at the RIS; the
    variance-axis figure states the required information in information units."""
    from ldn_evidence.diagnostics.tsa import boundary_curve
    from ldn_evidence.plots._layout import overlapping_texts, texts_outside
    from ldn_evidence.review import load_studies

    review = load_studies()
    for information in ("participants", "variance"):
        res = trial_sequential_analysis(review, "pain", mird=0.2, information=information)
        fig = res.plot()
        assert not overlapping_texts(fig) and not texts_outside(fig)
        ax = fig.axes[0]
        size, b = res.information_size, res.boundaries
        upper = [ln for ln in ax.lines if ln.get_gid() == "efficacy-boundary"][0]
        x, y = upper.get_xdata(), upper.get_ydata()
        assert len(x) > 200
        ok = np.isfinite(y)
        np.testing.assert_allclose(y[ok], boundary_curve(b, x[ok] / size).upper, rtol=1e-12)
        # at half the information: the spending function's boundary, far below the straight line
        # between the last interim look and the information size
        half = np.interp(0.5 * size, x[ok], y[ok])
        exact = boundary_curve(b, [0.5]).upper[0]
        assert half == pytest.approx(exact, abs=0.02)
        interim = b.t[b.t < 0.5].max()
        straight = np.interp(0.5, [interim, 1.0], [boundary_curve(b, [interim]).upper[0], b.upper[-1]])
        assert straight - exact > 0.2                   # 0.97 on the participants axis
        lower = [ln for ln in ax.lines if ln.get_gid() == "efficacy-boundary"][1]
        np.testing.assert_allclose(lower.get_ydata()[ok], -y[ok])
        (wedge,) = [c for c in ax.collections if c.get_gid() == "futility-region"]
        verts = np.concatenate([p.vertices for p in wedge.get_paths()])
        assert verts[:, 0].max() == pytest.approx(size, rel=1e-9)
        first = boundary_curve(b, np.linspace(0.01, 1, 400))
        t0 = np.linspace(0.01, 1, 400)[np.argmax(first.futility > 0)]
        assert verts[:, 0].min() == pytest.approx(t0 * size, rel=0.02)
        assert np.abs(verts[:, 1]).max() == pytest.approx(b.upper[-1], rel=1e-6)
        ris = [t.get_text() for t in ax.texts if t.get_gid() == "ris"]
        assert ris == [f"RIS = {size:,.0f} ({size / b.inflation:,.0f} x {b.inflation:.4g}) "]
        if information == "variance":
            assert f"{res.ris.adjusted:,.0f}" not in ris[0]                  # not the participants' figure
            assert size / b.inflation == pytest.approx(res.ris.ris / 4)


def test_layout_check_ignores_tick_labels_matplotlib_does_not_draw():
    """A locator may place a tick beyond the view limits (2000 on an axis ending at 1830); its
    label is never drawn, so the layout check must not report it, while a text that really sits
    outside the canvas is still reported."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ldn_evidence.plots._layout import texts_outside

    fig = Figure(figsize=(8, 5))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(right=0.97)
    ax = fig.add_subplot()
    ax.plot([0, 1700], [0, 1])
    ax.set_xlim(0, 1830)
    fig.canvas.draw()
    beyond = [t for t in ax.xaxis.get_major_ticks() if t.get_loc() > 1830]
    assert beyond, "the test needs a tick outside the view limits"
    assert texts_outside(fig) == []
    ax.text(1.2, 0.5, "far right", transform=ax.transAxes)
    assert [t.get_text() for t in texts_outside(fig)] == ["far right"]
