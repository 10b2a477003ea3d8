"""Forest plot: structure, no overlapping text from k = 1 to k = 60, speed, and a baseline image.

Inputs come from the real engine (``ldn_evidence.meta_analysis`` / ``subgroup_analysis``): the
plot only draws, so the numbers drawn must be exactly the numbers passed in. Study data are
synthetic (``Study 01`` ...), not the review's results.

To regenerate the baseline image after an intended change of the look:
``LDN_UPDATE_BASELINE=1 PYTHONPATH=src python -m pytest tests/test_forest.py -k baseline``
and look at tests/baseline/forest_subgroups.png before committing it.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from image_baseline import assert_matches_baseline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.collections import CircleCollection, PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Polygon, Rectangle  # noqa: E402

import ldn_evidence as le  # noqa: E402
from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside  # noqa: E402
from ldn_evidence.plots.forest import forest_plot  # noqa: E402

BASELINE = Path(__file__).parent / "baseline"
LONG = "with a deliberately long label: a randomised placebo-controlled crossover trial in women"


# ---------------------------------------------------------------------------------------------
# inputs from the real engine


def studies(k, *, seed=7, groups=None, long_labels=False, rob=False):
    """A table as the review layer builds it, plus yi/vi for the engine."""
    rng = np.random.default_rng(seed)
    yi = rng.normal(-0.3, 0.35, k)
    vi = rng.uniform(0.02, 0.25, k)
    se = np.sqrt(vi)
    labels = [f"Study {i + 1:02d} {2005 + i % 20}" for i in range(k)]
    if long_labels:
        labels = [f"{lab} {LONG}" if i % 4 == 0 else lab for i, lab in enumerate(labels)]
    t = pd.DataFrame({"label": labels, "yi": yi, "ci_low": yi - 1.959964 * se,
                      "ci_high": yi + 1.959964 * se, "vi": vi})
    t["n"] = rng.integers(10, 120, k)
    t["design"] = np.where(np.arange(k) % 3 == 0, "crossover", "parallel")
    if groups:
        t["group"] = [groups[i % len(groups)] for i in range(k)]
        # keep blocks contiguous in the table, as the review layer does
        t = t.sort_values("group", key=lambda s: s.map({g: j for j, g in enumerate(groups)}),
                          kind="stable").reset_index(drop=True)
    if rob:
        levels = ["low", "some concerns", "high", None]
        t["d1"] = [levels[i % 4] for i in range(k)]
        t["d2"] = [levels[(i + 1) % 3] for i in range(k)]
        t["overall_rob"] = [levels[(i + 2) % 3] for i in range(k)]
    return t


def pooled(t, method="REML", test="knha"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # k = 1: the engine says test -> z
        res = le.meta_analysis(t["yi"], t["vi"], method=method, test=test)
    t = t.copy()
    t["weight"] = np.asarray(res.weights, dtype=float)
    return t, res


def by_group(t):
    if t["group"].nunique() < 2:                           # one group: no test between groups
        return {g: pooled(t[t["group"] == g])[1] for g in t["group"].unique()}, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sg = le.subgroup_analysis(t["yi"], t["vi"], t["group"], method="REML", test="knha")
    return sg.subgroups, (sg.q_between, sg.q_between_df, sg.q_between_pvalue)


def with_arms(t):
    """Per-arm events and totals (RevMan's binary columns) and their totals rows."""
    rng = np.random.default_rng(3)
    t = t.copy()
    t["n1"] = t["n"] // 2
    t["n2"] = t["n"] - t["n1"]
    t["e1"] = [int(rng.integers(0, a + 1)) for a in t["n1"]]
    t["e2"] = [int(rng.integers(0, b + 1)) for b in t["n2"]]
    columns = {"e1": "Events", "n1": "Total", "e2": "Events", "n2": "Total", "design": "Design", "n": "N"}
    groups = [("Low-dose naltrexone 4.5 mg", ["e1", "n1"]), ("Placebo", ["e2", "n2"])]

    def cells(block):
        return [{"n1": str(block["n1"].sum()), "n2": str(block["n2"].sum()), "n": str(block["n"].sum())},
                ("Total events", {"e1": str(block["e1"].sum()), "e2": str(block["e2"].sum())})]

    totals = {"overall": cells(t)}
    if "group" in t:
        totals.update({g: cells(b) for g, b in t.groupby("group", sort=False)})
    return t, dict(columns=columns, column_groups=groups, totals=totals)


def make(k, *, groups=None, long_labels=False, rob=False, log_scale=False, arms=False, **kw):
    t = studies(k, groups=groups, long_labels=long_labels, rob=rob)
    t, res = pooled(t)
    subs = test = None
    if groups:
        subs, test = by_group(t)
    if rob:
        kw["rob_columns"] = {"d1": "Randomisation process", "d2": "Missing outcome data",
                             "overall_rob": "Overall"}
    if log_scale:
        kw.update(xlabel="Risk ratio", log_scale=True)
    if arms:
        t, extra = with_arms(t)
        kw.update(extra)
    kw.setdefault("columns", {"design": "Design", "n": "N"})
    fig = forest_plot(t, res, subs, test, **kw)
    return fig, t, res, subs


def texts(fig, gid):
    return [a for a in fig.findobj(matplotlib.text.Text) if a.get_gid() == gid and a.get_text()]


def panel(fig):
    return fig.axes[0]


# ---------------------------------------------------------------------------------------------
# layout: no text overlaps another, nothing leaves the figure, no text inside the plot panel


CASES = [
    pytest.param(dict(k=k, groups=g, long_labels=ll), id=f"k{k}-{'sub' if g else 'nosub'}"
                 + ("-long" if ll else ""))
    for k in (1, 2, 13, 60)
    for g, ll in ((None, False), (("Parallel trials", "Crossover trials"), True))
] + [
    pytest.param(dict(k=13, groups=("A subgroup name that is very long indeed, far longer than "
                                    "any study label in this plot", "Short"), long_labels=True),
                 id="long-subgroup-names"),
    pytest.param(dict(k=13, log_scale=True), id="log-scale"),
    pytest.param(dict(k=60, log_scale=True, groups=("Parallel", "Crossover", "Open label")),
                 id="log-scale-3-subgroups-k60"),
    pytest.param(dict(k=13, rob=True), id="rob"),
    pytest.param(dict(k=1, arms=True), id="arms-k1"),
    pytest.param(dict(k=60, arms=True, log_scale=True, groups=("Parallel", "Crossover")), id="arms-sub-k60"),
    pytest.param(dict(k=13, arms=True, rob=True, groups=("A", "B"), long_labels=True), id="arms-rob"),
    pytest.param(dict(k=2, rob=True, groups=("Parallel", "Crossover"), long_labels=True,
                      favours=("Favours low-dose naltrexone 4.5 mg/day", "Favours placebo"),
                      title="Pain at end of treatment " * 6,
                      footnotes=["a Derived from a crossover trial with r = 0.5 " * 5,
                                 "b Medians converted to means (Wan 2014)"]),
                 id="rob-title-footnotes-long-favours"),
]


@pytest.mark.parametrize("case", CASES)
def test_no_text_overlaps(case):
    fig, t, res, subs = make(**case)
    assert isinstance(fig, Figure)
    clashes = overlapping_texts(fig, tol=0.5)
    assert not clashes, "overlapping text: " + " | ".join(describe(p) for p in clashes)
    outside = texts_outside(fig)
    assert not outside, "text outside the figure: " + describe(outside)
    # no text inside the plot panel (headers, tick labels and favours are above/below it)
    r = fig.canvas.get_renderer()
    box = panel(fig).get_window_extent(r)
    inside = [a for a in fig.findobj(matplotlib.text.Text)
              if a.get_text().strip() and a.get_visible()
              and (e := a.get_window_extent(r)).x1 > box.x0 + 0.5 and e.x0 < box.x1 - 0.5
              and e.y1 > box.y0 + 0.5 and e.y0 < box.y1 - 0.5]
    assert not inside, "text inside the plot panel: " + describe(inside)
    # one drawn label per study, in table order (grouped blocks keep their order)
    assert [a.get_text() for a in texts(fig, "label")] == list(t["label"])


LATIN = st.characters(min_codepoint=32, max_codepoint=0x17F,
                      categories=("Lu", "Ll", "Nd", "Zs", "Pd", "Po", "Ps", "Pe"))


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), k=st.integers(1, 25), n_groups=st.integers(0, 3),
       log_scale=st.booleans(), rob=st.booleans())
def test_no_text_overlaps_fuzzed(data, k, n_groups, log_scale, rob):
    """Random label, subgroup and favours texts of any length (Latin script), any k."""
    labels = data.draw(st.lists(st.text(LATIN, min_size=1, max_size=90), min_size=k, max_size=k))
    t = studies(k, rob=rob)
    t["label"] = labels
    subs = test = None
    if n_groups and k >= n_groups:
        names = data.draw(st.lists(st.text(LATIN, min_size=1, max_size=70).filter(str.strip),
                                   min_size=n_groups, max_size=n_groups, unique_by=str.strip))
        t["group"] = [names[i * n_groups // k] for i in range(k)]      # contiguous blocks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = le.meta_analysis(t["yi"], t["vi"], method="DL", test="knha")
        t["weight"] = res.weights
        if "group" in t and t["group"].nunique() > 1:
            sg = le.subgroup_analysis(t["yi"], t["vi"], t["group"], method="DL", test="knha")
            subs, test = sg.subgroups, (sg.q_between, sg.q_between_df, sg.q_between_pvalue)
    favours = (data.draw(st.text(LATIN, max_size=40)), data.draw(st.text(LATIN, max_size=40)))
    fig = forest_plot(t, res, subs, test, favours=favours, log_scale=log_scale,
                      columns={"design": "Design"},
                      rob_columns=["d1", "d2"] if rob else None)
    clashes = overlapping_texts(fig)
    assert not clashes, " | ".join(describe(p) for p in clashes)
    assert not texts_outside(fig)


def test_spanning_arm_headers_and_totals_rows():
    """RevMan's per-arm columns: a header over each arm's Events and Total, centred on them with a
    rule under it; the pooled rows carry each arm's total and a "Total events" row follows."""
    fig, t, res, subs = make(13, arms=True, groups=("Parallel trials", "Crossover trials"))
    r = fig.canvas.get_renderer()
    spans = {a.get_text(): a for a in texts(fig, "column-group")}
    assert set(spans) == {"Low-dose naltrexone 4.5 mg", "Placebo"}
    heads = [a for a in texts(fig, "header")]
    ev = [a for a in heads if a.get_text() == "Events"]
    tot = [a for a in heads if a.get_text() == "Total"]
    assert len(ev) == len(tot) == 2
    rules = [ln for ln in fig.findobj(matplotlib.lines.Line2D) if ln.get_gid() == "column-group-rule"]
    assert len(rules) == 2
    for span, rule, e, n in zip(spans.values(), rules, ev, tot):
        x0, x1 = sorted(rule.get_transform().transform(rule.get_xydata())[:, 0])
        se, ee, ne = (a.get_window_extent(r) for a in (span, e, n))
        assert x0 - 0.5 <= se.x0 and se.x1 <= x1 + 0.5                  # the header within its rule
        assert (se.x0 + se.x1) / 2 == pytest.approx((x0 + x1) / 2, abs=1)
        assert x0 - 0.5 <= ee.x0 and ne.x1 <= x1 + 0.5                  # over its own columns
    totals = {a.get_text() for a in texts(fig, "overall-column")}
    assert {str(t["n1"].sum()), str(t["n2"].sum()), str(t["n"].sum())} <= totals
    events = [a.get_text() for a in texts(fig, "total-label")]
    assert events == ["Total events"] * 3                          # two subgroups and the overall
    ev_cells = {a.get_text() for a in texts(fig, "total-column")}
    assert {str(t["e1"].sum()), str(t["e2"].sum())} <= ev_cells
    assert not overlapping_texts(fig)


def test_favours_labels_are_centred_under_each_half():
    for kw in (dict(k=13), dict(k=13, log_scale=True), dict(k=2, favours=("Favours low-dose naltrexone",
                                                                          "Favours placebo"))):
        fig, *_ = make(**kw)
        ax = panel(fig)
        lo, hi = ax.get_xlim()
        null = [ln for ln in ax.lines if ln.get_gid() == "null-line"][0].get_xdata()[0]
        left, right = texts(fig, "favours")
        assert left.get_position()[0] == pytest.approx((lo + null) / 2)
        assert right.get_position()[0] == pytest.approx((null + hi) / 2)
        assert left.get_ha() == right.get_ha() == "center"
        r = fig.canvas.get_renderer()
        box, mid = ax.get_window_extent(r), ax.transData.transform((null, 0))[0]
        le_, re_ = left.get_window_extent(r), right.get_window_extent(r)
        assert box.x0 - 0.5 <= le_.x0 and le_.x1 <= mid and mid <= re_.x0 and re_.x1 <= box.x1 + 0.5


def test_bad_column_groups_and_totals_raise_clear_errors():
    t, res = pooled(studies(4))
    with pytest.raises(ValueError, match="not in `columns`"):
        forest_plot(t, res, columns={"n": "N"}, column_groups=[("Arm", ["n", "x"])])
    with pytest.raises(ValueError, match="adjacent"):
        forest_plot(t, res, columns={"n": "N", "design": "Design", "vi": "v"},
                    column_groups=[("Arm", ["n", "vi"])])
    with pytest.raises(ValueError, match="neither 'overall' nor a group"):
        forest_plot(t, res, columns={"n": "N"}, totals={"Somewhere": {"n": "9"}})
    with pytest.raises(ValueError, match="not in `columns`"):
        forest_plot(t, res, columns={"n": "N"}, totals={"overall": {"x": "9"}})


def test_review_forest_shows_per_arm_numbers_from_the_records():
    """The adverse-event forest: events/total per arm as the records give them (Due Bruun 2024:
    41/49 vs 43/50; INNOVA 33/48 vs 36/50), each arm's total and RevMan's Total events row."""
    review = le.load_studies()
    a = review.analyse("adverse_events")
    args, kw = a.forest_args()
    table = args[0]
    rows = {lab: i for i, lab in enumerate(table["label"])}
    i, j = rows["Due Bruun 2024"], rows["Rodríguez-Freire (INNOVA)"]
    assert [table[c][i] for c in ("intervention_events", "intervention_n", "comparator_events", "comparator_n")] == [41, 49, 43, 50]
    assert [table[c][j] for c in ("intervention_events", "intervention_n", "comparator_events", "comparator_n")] == [33, 48, 36, 50]
    assert kw["column_groups"] == [("LDN", ["intervention_events", "intervention_n"]), ("Placebo", ["comparator_events", "comparator_n"])]
    first, (label, events) = kw["totals"]["overall"]
    assert first == {"n": "197", "intervention_n": "97", "comparator_n": "100"}
    assert (label, events) == ("Total events", {"intervention_events": "74", "comparator_events": "79"})
    fig = a.forest()
    assert not overlapping_texts(fig) and not texts_outside(fig)
    # continuous outcomes: mean, SD and total per arm where the effect came from parallel arms (Due Bruun
    # 2024's change scores, pooled with the final values only on request: Handbook 10.5.2)
    pain_args, pain_kw = review.analyse("pain", combine_change_final=True).forest_args()
    assert [h for h, _ in pain_kw["column_groups"]] == ["LDN", "Placebo"]
    assert pain_kw["columns"]["intervention_mean"] == "Mean" and pain_kw["columns"]["comparator_sd"] == "SD"
    crossover = [k for k, g in enumerate(pain_args[0]["group"]) if g == "Crossover trials"]
    assert crossover and all(pain_args[0]["intervention_mean"][k] is None for k in crossover)


def test_footnote_letters_mean_the_same_in_every_figure_of_the_review():
    review = le.load_studies()
    legend = review.derivation_letters()
    assert sorted(legend.values()) == [chr(ord("a") + i) for i in range(len(legend))]
    seen = {}
    for outcome, kw in (("pain", {}), ("pain", {"r": 0.8}), ("fiq", {}), ("pain", {"measure": "MD"}),
                        ("adverse_events", {}), ("sleep", {})):
        a = review.analyse(outcome, **kw)
        if a.overall is None:
            continue
        args, fkw = a.forest_args()
        for marker, path in zip(args[0]["marker"], [row["path"] for row in a.rows]):
            letter = marker.rstrip("*")
            stem = path.split("; rescaled")[0].split(", r = ")[0]
            assert legend[stem] == letter
            assert seen.setdefault(stem, letter) == letter
            assert any(f.startswith(f"{letter} ") and stem in f for f in fkw["footnotes"])
    assert len(seen) >= 4


def test_row_squares_and_lines_match_the_table():
    fig, t, res, _ = make(13)
    ax = panel(fig)
    labels = texts(fig, "label")
    assert len(labels) == len(t) == 13
    squares = [c for c in ax.collections
               if isinstance(c, PathCollection) and c.get_gid() == "square"]
    assert len(squares) == 1
    xy = squares[0].get_offsets()
    inside = (t["yi"] >= ax.get_xlim()[0]) & (t["yi"] <= ax.get_xlim()[1])
    np.testing.assert_allclose(np.asarray(xy)[:, 0], t.loc[inside, "yi"], rtol=0, atol=1e-12)
    # area proportional to weight (above the minimum size that keeps tiny studies visible)
    sizes = squares[0].get_sizes()
    ratio = sizes / t.loc[inside, "weight"].to_numpy()
    big = sizes > 3.0 ** 2 + 1e-9
    assert big.sum() >= 10
    np.testing.assert_allclose(ratio[big], ratio[big][0], rtol=1e-9)


def test_diamond_vertices_are_the_pooled_numbers():
    fig, t, res, subs = make(13, groups=("Parallel trials", "Crossover trials"))
    ax = panel(fig)
    diamonds = {p.get_gid(): p for p in ax.patches if isinstance(p, Polygon)}
    assert set(diamonds) == {"diamond:overall", "diamond:subgroup:Parallel trials",
                             "diamond:subgroup:Crossover trials"}

    def xs(poly):
        return sorted({round(x, 12) for x in poly.get_xy()[:, 0]})

    np.testing.assert_allclose(xs(diamonds["diamond:overall"]),
                               [res.ci_low, res.estimate, res.ci_high], atol=1e-12)
    for name, r in subs.items():
        np.testing.assert_allclose(xs(diamonds[f"diamond:subgroup:{name}"]),
                                   [r.ci_low, r.estimate, r.ci_high], atol=1e-12)
    # the effect text of the overall row is the same numbers, rounded
    (txt,) = texts(fig, "overall-effect")
    assert txt.get_text() == f"{res.estimate:.2f} [{res.ci_low:.2f}, {res.ci_high:.2f}]"


def test_weights_sum_to_100():
    fig, t, res, _ = make(13, groups=("Parallel trials", "Crossover trials"))
    study = [float(a.get_text().rstrip("%")) for a in texts(fig, "weight")]
    assert len(study) == 13
    assert sum(study) == pytest.approx(100, abs=0.05 * 13)
    sub = [float(a.get_text().rstrip("%")) for a in texts(fig, "subtotal-weight")]
    assert sum(sub) == pytest.approx(100, abs=0.1)
    assert [a.get_text() for a in texts(fig, "overall-weight")] == ["100.0%"]


def test_prediction_interval_bar_and_text():
    fig, t, res, _ = make(13)
    (bar,) = [p for p in panel(fig).patches if isinstance(p, Rectangle)
              and p.get_gid() == "prediction-interval"]
    lo, hi = panel(fig).get_xlim()
    assert bar.get_x() == pytest.approx(max(res.pi_low, lo), abs=1e-12)
    assert bar.get_x() + bar.get_width() == pytest.approx(min(res.pi_high, hi), abs=1e-12)
    assert [a.get_text() for a in texts(fig, "pi-label")] == ["Prediction interval"]
    assert [a.get_text() for a in texts(fig, "pi-effect")] == [
        f"[{res.pi_low:.2f}, {res.pi_high:.2f}]"]


def test_statistics_lines():
    fig, t, res, subs = make(13, groups=("Parallel trials", "Crossover trials"))
    summary = [a.get_text() for a in texts(fig, "summary")]
    assert summary[0].startswith("Heterogeneity: τ² = ") and "I² = " in summary[0]
    assert f"Q = {res.q:.2f}, df = {res.q_df}, p = " in summary[0]
    assert summary[1].startswith(f"Test for overall effect: t = {res.zval:.2f}, df = 12, p = ")
    assert summary[2].startswith("Test for subgroup differences: Q = ")
    assert ", df = 1, p = " in summary[2]
    assert summary[3] == "Random effects, REML, Hartung-Knapp; 95% CI"
    het = [a.get_text() for a in texts(fig, "het")]
    assert len(het) == 2 and all(h.startswith("Heterogeneity: τ² = ") for h in het)
    assert [a.get_text() for a in texts(fig, "group")] == ["Parallel trials", "Crossover trials"]
    ks = [a.get_text() for a in texts(fig, "subtotal-label")]
    # blocks follow the table (the engine's dict is sorted by name)
    assert ks == [f"Subtotal (k = {subs[g].k})" for g in ("Parallel trials", "Crossover trials")]


def test_subgroup_with_one_study_has_no_diamond():
    t = studies(5)
    t["group"] = ["Single"] + ["Several"] * 4
    t, res = pooled(t)
    subs, test = by_group(t)
    assert subs["Single"].k == 1
    fig = forest_plot(t, res, subs, test)
    gids = {p.get_gid() for p in panel(fig).patches}
    assert "diamond:subgroup:Single" not in gids and "diamond:subgroup:Several" in gids
    assert len(texts(fig, "het")) == 1
    assert not overlapping_texts(fig)


def test_numeric_and_missing_groups():
    """Group values that are numbers (a dose), a study without a group, a subgroups dict keyed
    by the text of the group: all drawn, in table order, without overlap."""
    t = studies(7)
    t["group"] = [4.5, 4.5, 3.0, 3.0, 3.0, np.nan, 4.5]
    t, res = pooled(t)
    subs = {"4.5": pooled(t[t["group"] == 4.5])[1], "3": pooled(t[t["group"] == 3.0])[1]}
    fig = forest_plot(t, res, subs, columns={"design": "Design"})
    assert [a.get_text() for a in texts(fig, "group")] == ["4.5", "3", "Not grouped"]
    assert [a.get_text() for a in texts(fig, "label")] == list(t["label"][[0, 1, 6, 2, 3, 4, 5]])
    assert len([p for p in panel(fig).patches if isinstance(p, Polygon)]) == 3
    assert not overlapping_texts(fig)


def test_single_study_overall_has_no_prediction_interval():
    fig, t, res, _ = make(1)
    assert not texts(fig, "pi-label")
    assert "not applicable" in texts(fig, "summary")[0].get_text()


def test_log_scale_axis_and_numbers():
    rr = np.array([0.5, 0.8, 1.25, 0.6])
    t = pd.DataFrame({"label": list("ABCD"), "yi": np.log(rr), "ci_low": np.log(rr) - 0.4,
                      "ci_high": np.log(rr) + 0.4, "vi": (0.4 / 1.96) ** 2})
    t, _ = pooled(t)
    fig = forest_plot(t, None, xlabel="Risk ratio", log_scale=True)
    assert [a.get_text() for a in texts(fig, "tick-label")] == ["0.25", "0.5", "1", "2", "4"]
    (tick_lines,) = [c for c in panel(fig).collections if c.get_gid() == "x-ticks"]
    ticks = sorted({round(x, 12) for x in np.concatenate(tick_lines.get_segments())[:, 0]})
    np.testing.assert_allclose(ticks, np.log([0.25, 0.5, 1, 2, 4]), atol=1e-12)
    first = texts(fig, "effect")[0].get_text()
    assert first == f"0.50 [{0.5 * math.exp(-0.4):.2f}, {0.5 * math.exp(0.4):.2f}]"
    assert [a.get_text() for a in texts(fig, "header") if "CI" in a.get_text()] == ["RR [95% CI]"]
    null = [ln for ln in panel(fig).lines if ln.get_gid() == "null-line"]
    assert null[0].get_xdata()[0] == 0.0


def test_ci_beyond_the_axis_gets_an_arrow():
    t = studies(8)
    t.loc[0, ["yi", "ci_low", "ci_high"]] = [-0.2, -9.0, 8.0]   # one very wide interval
    t["vi"] = ((t["ci_high"] - t["ci_low"]) / (2 * 1.959964)) ** 2
    t, res = pooled(t)
    fig = forest_plot(t, res)
    ax = panel(fig)
    lo, hi = ax.get_xlim()
    assert lo > -9 and hi < 8, "the axis should not stretch to one outlying interval"
    arrows = [ln for ln in ax.lines if ln.get_gid() == "arrow"]
    markers = {ln.get_marker() for ln in arrows}
    assert {"<", ">"} <= markers
    segs = np.concatenate([c.get_segments() for c in ax.collections if c.get_gid() == "study-ci"])
    assert segs[:, :, 0].min() >= lo and segs[:, :, 0].max() <= hi


def test_wide_subgroup_diamond_runs_off_with_arrows_overall_stays_whole():
    t = pd.DataFrame({"label": [f"S{i}" for i in range(7)],
                      "yi": [-0.42, -0.18, -0.05, -0.61, -0.22, -0.95, -0.30],
                      "vi": [0.072, 0.098, 0.041, 0.118, 0.064, 0.240, 0.081],
                      "group": ["P"] * 5 + ["X"] * 2})
    se = np.sqrt(t["vi"])
    t["ci_low"], t["ci_high"] = t["yi"] - 1.959964 * se, t["yi"] + 1.959964 * se
    t, res = pooled(t)
    subs, test = by_group(t)
    wide = subs["X"]                     # k = 2 under Hartung-Knapp: a very wide interval
    fig = forest_plot(t, res, subs, test)
    ax = panel(fig)
    lo, hi = ax.get_xlim()
    assert lo > wide.ci_low and hi < wide.ci_high
    assert lo <= res.ci_low and res.ci_high <= hi
    assert lo <= t["ci_low"].min() and t["ci_high"].max() <= hi
    poly = [p for p in ax.patches if p.get_gid() == "diamond:subgroup:X"][0]
    assert poly.get_xy()[:, 0].min() == pytest.approx(wide.ci_low)   # true vertices, clipped
    assert {ln.get_marker() for ln in ax.lines if ln.get_gid() == "arrow"} == {"<", ">"}


def test_risk_of_bias_dots_and_legend():
    fig, t, res, _ = make(13, rob=True)
    (dots,) = [c for c in fig.findobj(CircleCollection) if c.get_gid() == "rob-dots"]
    n_judged = int(t[["d1", "d2", "overall_rob"]].notna().to_numpy().sum())
    assert len(dots.get_offsets()) == n_judged
    colours = {tuple(np.round(c, 3)) for c in dots.get_facecolors()}
    green = tuple(np.round(matplotlib.colors.to_rgba("#02C100"), 3))
    red = tuple(np.round(matplotlib.colors.to_rgba("#BF0000"), 3))
    assert green in colours and red in colours
    heads = [a.get_text() for a in texts(fig, "header")]
    assert heads[-3:] == ["A", "B", "C"]
    foot = " ".join(a.get_text() for a in texts(fig, "footnote"))
    assert "(A) Randomisation process" in foot and "(C) Overall" in foot
    assert "+ low" in foot


def test_markers_and_footnotes():
    t = studies(3)
    t["marker"] = ["a", "", "b"]
    t, res = pooled(t)
    fig = forest_plot(t, res, footnotes=["a Derived from a crossover trial with r = 0.5"])
    labs = [a.get_text() for a in texts(fig, "label")]
    assert labs[0].endswith("ᵃ") and labs[1] == t["label"][1] and labs[2].endswith("ᵇ")
    assert [a.get_text() for a in texts(fig, "footnote")] == [
        "a Derived from a crossover trial with r = 0.5"]


def test_without_overall_or_weights():
    t = studies(4)[["label", "yi", "ci_low", "ci_high"]]
    fig = forest_plot(t)
    assert len(texts(fig, "label")) == 4
    assert not texts(fig, "weight") and not texts(fig, "summary")
    assert not [p for p in panel(fig).patches if isinstance(p, Polygon)]
    assert not overlapping_texts(fig)


def test_missing_estimate_is_not_estimable():
    t = studies(4)
    t, res = pooled(t)
    t.loc[2, ["yi", "ci_low", "ci_high", "weight"]] = np.nan
    fig = forest_plot(t, res)
    assert texts(fig, "effect")[2].get_text() == "Not estimable"


@pytest.mark.parametrize("bad, message", [
    (lambda t: t.drop(columns="ci_low"), "ci_low"),
    (lambda t: t.assign(ci_low=t["ci_high"] + 1), "ci_low"),
    (lambda t: t.iloc[:0], "no rows"),
    (lambda t: t.assign(yi=["x"] * len(t)), "numeric"),
])
def test_bad_tables_raise_clear_errors(bad, message):
    t, res = pooled(studies(4))
    with pytest.raises(ValueError, match=message):
        forest_plot(bad(t), res)


def test_bad_subgroups_and_rob_raise_clear_errors():
    t, res = pooled(studies(4))
    with pytest.raises(ValueError, match="no 'group' column"):
        forest_plot(t, res, subgroups={"x": res})
    t["group"] = "a"
    with pytest.raises(ValueError, match="'x'"):
        forest_plot(t, res, subgroups={"x": res})
    t["rob"] = ["low", "low", "dunno", "high"]
    with pytest.raises(ValueError, match="dunno"):
        forest_plot(t, res, rob_columns=["rob"])


# ---------------------------------------------------------------------------------------------
# import cost and speed


def test_module_import_does_not_import_matplotlib():
    code = ("import sys, ldn_evidence.plots.forest; "
            "sys.exit(1 if 'matplotlib' in sys.modules else 0)")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


# ---------------------------------------------------------------------------------------------
# image against the committed baseline


def baseline_figure():
    t = studies(9, seed=11)
    t["group"] = np.where(t["design"] == "crossover", "Crossover trials", "Parallel trials")
    t = t.sort_values("group", ascending=False, kind="stable").reset_index(drop=True)
    t["marker"] = ["a" if d == "crossover" else "" for d in t["design"]]
    t, res = pooled(t)
    subs, test = by_group(t)
    t, extra = with_arms(t)
    return forest_plot(t, res, subs, test, title="Pain, end of treatment (synthetic data)",
                       favours=("Favours LDN", "Favours placebo"),
                       footnotes=["a Derived from a crossover trial with r = 0.5"], **extra)


def test_image_matches_baseline(tmp_path):
    assert_matches_baseline(baseline_figure, BASELINE / "forest_subgroups.png", tmp_path)
