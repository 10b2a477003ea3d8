"""Risk-of-bias figures: structure (one row per study, a dot per domain coloured by its judgement,
the domains named in a legend), weighted summary bars that are the shares they claim, no
overlapping text from the LDN review to 60 studies with long labels, a baseline image, the
command, and the forest plot's domain columns.

To regenerate the baseline image after an intended change of the look:
``LDN_UPDATE_BASELINE=1 python -m pytest tests/test_rob_plots.py -k baseline`` and look at
tests/baseline/rob_figure.png before committing it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from image_baseline import assert_matches_baseline

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

import ldn_evidence as le  # noqa: E402
from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside  # noqa: E402
from ldn_evidence.plots.rob import BAR_W, ROB_STYLE, rob_figure, rob_summary, rob_traffic_light  # noqa: E402
from ldn_evidence.review.rob import rob_plot, rob_table  # noqa: E402
from ldn_evidence.vocabulary import ROB2_DOMAIN_NAMES, ROB2_DOMAINS, ROBINS_I_DOMAIN_NAMES, ROBINS_I_DOMAINS  # noqa: E402

BASELINE = Path(__file__).parent / "baseline"
ROB2_J = ("low", "some_concerns", "high", "no_information")
ROBINS_J = ("low", "moderate", "serious", "critical", "no_information")


def synthetic(k2=6, ki=4, long=False):
    """k2 RoB 2 and ki ROBINS-I studies, judgements cycling through each tool's levels."""
    out = []
    for i in range(k2):
        label = f"Trial {i + 1:02d} {2000 + i}" + (" — a randomized, placebo-controlled crossover" * (i % 3 == 0)
                                                    if long else "")
        out.append({"label": label, "tool": "RoB 2", "weight": 10 + i,
                    "domains": {d: ROB2_J[(i + j) % 4] for j, d in enumerate(ROB2_DOMAINS)},
                    "overall": ROB2_J[i % 3]})
    for i in range(ki):
        out.append({"label": f"Cohort {i + 1:02d} {2010 + i}", "tool": "ROBINS-I", "weight": 5 + i,
                    "domains": {d: ROBINS_J[(i + j) % 5] for j, d in enumerate(ROBINS_I_DOMAINS)},
                    "overall": ROBINS_J[(i + 2) % 5]})
    return out


def texts(fig, gid):
    return [t.get_text() for t in fig.texts if t.get_gid() == gid]


def dots(fig):
    return [a for a in fig.artists if isinstance(a, Circle) and (a.get_gid() or "").startswith("rob-cell:")]


def bars(fig):
    return [a for a in fig.artists if isinstance(a, Rectangle) and (a.get_gid() or "").startswith("rob-bar:")]


def assert_clean(fig):
    clash = overlapping_texts(fig)
    assert not clash, "overlapping text: " + "; ".join(describe(p) for p in clash)
    outside = texts_outside(fig)
    assert not outside, "text outside the figure: " + describe(outside)


# ---------------------------------------------------------------------------------------------
# structure


def test_one_row_per_study_and_a_dot_per_domain_and_overall():
    studies = synthetic()
    fig = rob_traffic_light(studies)
    assert texts(fig, "rob-label") == [s["label"] for s in studies]
    assert len(dots(fig)) == 6 * (5 + 1) + 4 * (7 + 1)
    heads = texts(fig, "rob-header")
    assert heads == ["Study"] + [f"D{i}" for i in range(1, 6)] + ["Overall"] + \
        ["Study"] + [f"D{i}" for i in range(1, 8)] + ["Overall"]


def test_dots_are_coloured_by_judgement_and_carry_its_symbol():
    studies = synthetic()
    fig = rob_traffic_light(studies)
    expected = []
    for s in studies:
        order = ROB2_DOMAINS if s["tool"] == "RoB 2" else ROBINS_I_DOMAINS
        expected += [s["domains"][d] for d in order] + [s["overall"]]
    got = [d.get_gid().split(":", 1)[1] for d in dots(fig)]
    assert got == expected
    for d in dots(fig):
        key = d.get_gid().split(":", 1)[1]
        assert to_hex(d.get_facecolor()) == ROB_STYLE[key][1].lower()
    assert texts(fig, "rob-symbol") == [ROB_STYLE[k][2] for k in expected if ROB_STYLE[k][2]]


def test_rob_panels_in_tool_order_and_domains_named_in_the_legend():
    fig = rob_traffic_light(list(reversed(synthetic())))   # ROBINS-I first in the input
    assert texts(fig, "rob-panel") == ["RoB 2 (randomized trials)", "ROBINS-I (non-randomized studies)"]
    legend = " ".join(texts(fig, "rob-legend"))
    for names in (ROB2_DOMAIN_NAMES, ROBINS_I_DOMAIN_NAMES):
        for i, name in enumerate(names.values()):
            assert f"{name}." in legend
    for key in ("Low", "Some concerns", "Moderate", "Serious", "Critical", "No information", "High"):
        assert key in legend


def test_unassessed_studies_are_listed_not_drawn():
    studies = synthetic(2, 0) + [{"label": "Dose finding 2020", "tool": "not_assessed"},
                                 {"label": "Trial without RoB", "tool": None}]
    fig = rob_traffic_light(studies)
    assert texts(fig, "rob-label") == ["Trial 01 2000", "Trial 02 2001"]
    assert "Dose finding 2020, Trial without RoB" in " ".join(texts(fig, "rob-footnote"))


def test_bad_input_is_refused_with_the_study_named():
    s = synthetic(1, 0)
    s[0]["domains"]["randomization"] = "dreadful"
    with pytest.raises(ValueError, match="study 'Trial 01 2000'.*domain 'randomization'"):
        rob_traffic_light(s)
    s = synthetic(1, 0)
    s[0]["domains"]["confounding"] = "low"
    with pytest.raises(ValueError, match="RoB 2 has no domain 'confounding'"):
        rob_traffic_light(s)
    with pytest.raises(ValueError, match="no study has a RoB 2 or ROBINS-I"):
        rob_traffic_light([{"label": "x", "tool": "not_assessed"}])
    with pytest.raises(ValueError, match="no weight"):
        rob_summary([dict(synthetic(1, 0)[0], weight=None)], weighted=True)


# ---------------------------------------------------------------------------------------------
# weighted summary bars


def test_summary_bars_are_the_weighted_shares():
    studies = synthetic(6, 0)
    fig = rob_summary(studies, weighted=True)
    total = sum(s["weight"] for s in studies)
    rows = {}
    for b in bars(fig):
        rows.setdefault(round(b.get_y(), 6), []).append(b)
    assert len(rows) == 5 + 1   # five domains and the overall row
    for j, (_, row) in enumerate(sorted(rows.items(), reverse=True)):   # top row first
        assert sum(b.get_width() for b in row) == pytest.approx(BAR_W)
        column = list(ROB2_DOMAINS)[j] if j < 5 else "overall"
        for b in row:
            key = b.get_gid().split(":", 1)[1]
            share = sum(s["weight"] for s in studies
                        if (s["overall"] if column == "overall" else s["domains"][column]) == key) / total
            assert b.get_width() == pytest.approx(BAR_W * share)
            assert to_hex(b.get_facecolor()) == ROB_STYLE[key][1].lower()


def test_unweighted_bars_count_each_study_once():
    studies = synthetic(4, 0)
    fig = rob_summary(studies, weighted=False)
    overall = [b for b in bars(fig) if abs(b.get_y() - min(x.get_y() for x in bars(fig))) < 1e-9]
    counts = {}
    for s in studies:
        counts[s["overall"]] = counts.get(s["overall"], 0) + 1
    assert sorted(round(b.get_width() / BAR_W * 4) for b in overall) == sorted(counts.values())


# ---------------------------------------------------------------------------------------------
# no overlapping text


def test_the_ldn_figures_have_no_overlapping_text():
    review = le.load_studies()
    for outcome in (None, "pain", "symptom_severity"):
        for kind in ("both", "traffic_light", "summary"):
            assert_clean(rob_plot(review, outcome, kind=kind))


@pytest.mark.parametrize("k2, ki", [(1, 0), (0, 1), (60, 0), (25, 35)])
def test_no_overlap_from_one_to_sixty_studies_with_long_labels(k2, ki):
    fig = rob_figure(synthetic(k2, ki, long=True), title="Risk of bias with a long title " * 3)
    assert_clean(fig)
    assert len(texts(fig, "rob-label")) == k2 + ki


# ---------------------------------------------------------------------------------------------
# the review's rows


def test_rob_table_of_an_outcome_has_its_weights():
    review = le.load_studies()
    analysis = review.analyse("pain")
    rows = rob_table(review, "pain")
    assert [r["study"] for r in rows] == [row["study"] for row in analysis.rows]
    assert [r["weight"] for r in rows] == pytest.approx([row["weight"] for row in analysis.rows])
    assert all(r["tool"] == "RoB 2" and len(r["domains"]) == 5 for r in rows)
    everyone = rob_table(review)
    assert len(everyone) == len(review.studies) and all(r["weight"] is None for r in everyone)


# ---------------------------------------------------------------------------------------------
# a baseline image


def test_image_matches_baseline(tmp_path):
    assert_matches_baseline(lambda: rob_figure(synthetic(5, 3), title="Risk of bias (synthetic judgements)"), BASELINE / "rob_figure.png", tmp_path)


# ---------------------------------------------------------------------------------------------
# the command


def run(args):
    from click.testing import CliRunner

    from ldn_evidence.cli import main

    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_cli_rob_writes_figures(tmp_path):
    out = tmp_path / "rob.png"
    res = run(["rob", "--outcome", "pain", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "summary.svg"
    res = run(["rob", "--kind", "summary", "-o", str(out)])
    assert res.exit_code == 0 and out.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_cli_rob_refuses_an_unknown_outcome(tmp_path):
    res = run(["rob", "--outcome", "painn", "-o", str(tmp_path / "x.png")])
    assert res.exit_code == 2 and "unknown outcome 'painn'" in res.output


# ---------------------------------------------------------------------------------------------
# the forest plot's domain columns


def test_forest_gains_domain_columns_beside_the_overall_one():
    analysis = le.load_studies().analyse("pain", combine_change_final=True)  # Due Bruun 2024 pooled too
    (table, *_), kw = analysis.forest_args()
    assert kw["rob_columns"] == {"rob_d1": "D1", "rob_d2": "D2", "rob_d3": "D3", "rob_d4": "D4", "rob_d5": "D5",
                                 "rob_overall": "O"}
    assert any(f.startswith("Risk of bias (RoB 2): D1 bias arising from the randomization process")
               for f in kw["footnotes"])
    due = table["label"].index("Due Bruun 2024")
    assert [table[f"rob_d{i}"][due] for i in range(1, 6)] == ["low"] * 5
    fig = analysis.forest()
    symbols = [t for t in fig.texts if t.get_gid() == "rob-symbol"]
    assert len(symbols) == analysis.k * 6
    assert_clean(fig)


def test_forest_with_both_tools_has_seven_domain_columns():
    analysis = le.load_studies().analyse("symptom_severity")
    (table, *_), kw = analysis.forest_args()
    if {row["rob_tool"] for row in analysis.rows} >= {"RoB 2", "ROBINS-I"}:
        assert list(kw["rob_columns"].values()) == [f"D{i}" for i in range(1, 8)] + ["O"]
        rob2 = [i for i, row in enumerate(analysis.rows) if row["rob_tool"] == "RoB 2"][0]
        assert table["rob_d6"][rob2] is None and table["rob_d7"][rob2] is None
    assert_clean(analysis.forest())
