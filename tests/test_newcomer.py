"""What a newcomer meets first (issue 20): the ids other commands take, the command list, the
summary's table and CSV, words for subgroup names, integers for counts, labels wrapped whole.

The pooled numbers themselves are checked against metafor elsewhere (test_models_reference,
test_review); here the check is that what the engine computed reaches the reader unchanged.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import inspect
import json
import re

import pytest
from click.testing import CliRunner

import ldn_evidence as le
from ldn_evidence._format import fmt_number, integer_columns, json_safe, wrap_words
from ldn_evidence.cli import main
from ldn_evidence.review.analysis import summary_with_settings


def run(*args, **extra):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **extra)


@pytest.fixture(scope="module")
def ldn():
    return le.load_studies()


# --------------------------------------------------------------------------------------------
# the ids, the outcomes, the bare command, the command list
# --------------------------------------------------------------------------------------------

def test_studies_table_shows_the_ids_exclude_takes(ldn, tmp_path):
    res = run("studies")
    assert res.exit_code == 0
    first_column = [line.split()[0] for line in res.stdout.splitlines()[2:] if line.strip()][:len(ldn.studies)]
    assert first_column == [s.id for s in ldn.studies]
    pooled = ldn.analyse("pain").rows[0]["study"]
    assert pooled in first_column
    out = tmp_path / "f.png"
    res = run("forest", "--exclude", pooled, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert f"k = {ldn.analyse('pain').k - 1}" in res.stdout


def test_studies_table_shows_line_of_therapy_in_words():
    lines = run("studies").stdout.splitlines()
    assert any(" add-on " in line for line in lines)
    assert not any(" add_on " in line or " first_line " in line for line in lines)


@pytest.mark.parametrize("spelling", ["PAIN", "Pain", "pain"])
def test_outcome_is_case_insensitive(spelling):
    res = run("summary", "--outcome", spelling, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["outcome"] == "pain"


def test_outcomes_marks_what_has_nothing_poolable(ldn):
    res = run("outcomes", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = {r["outcome"]: r for r in json.loads(res.stdout)}
    assert list(rows) == [o.id for o in ldn.protocol.outcomes]
    for spec in ldn.protocol.outcomes:
        row = rows[spec.id]
        if spec.pooled:
            k = ldn.analyse(spec.id).k
            assert row["k"] == k and row["poolable"] is (k > 0) and row["measure"] == spec.measure
        else:
            assert row["k"] is None and row["poolable"] is False
    assert rows["pain"]["poolable"] and not rows["fatigue"]["poolable"]
    table = {line.split()[0]: line for line in run("outcomes").stdout.splitlines()[2:] if line.strip()}
    assert "nothing poolable" in table["fatigue"] and "nothing poolable" not in table["pain"]
    assert "not pooled (review.protocol)" in table["anxiety"]
    header = run("outcomes", "--format", "csv").stdout.splitlines()[0]
    assert header == "outcome,name,kind,pooled,measure,studies,k,poolable"


def test_outcomes_on_another_review():
    res = run("--studies", "bcg", "outcomes", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["outcome"] for r in rows] == ["tb"] and rows[0]["k"] == 13 and rows[0]["poolable"]


def test_bare_command_prints_help_and_exits_0():
    res = run()
    assert res.exit_code == 0
    assert res.stdout.startswith("Usage: ") and "Commands:" in res.stdout and "forest" in res.stdout


@pytest.mark.parametrize("width", [60, 80, 120])
def test_command_list_shows_whole_one_line_descriptions(width):
    res = run("--help", terminal_width=width)
    text = res.stdout.split("Commands:\n", 1)[1]
    entries = re.split(r"\n  (?=\S)", "\n" + text.rstrip())[1:]
    assert len(entries) == len(main.commands)
    for entry in entries:
        name, description = entry.split(None, 1)
        description = " ".join(description.split())
        first_line = inspect.getdoc(main.commands[name].callback).splitlines()[0]
        assert description == first_line, name
        assert not description.endswith("...")


# --------------------------------------------------------------------------------------------
# summary: the text table and the CSV
# --------------------------------------------------------------------------------------------

def test_summary_text_shows_se_statistic_df_and_tau2_ci(ldn):
    a = ldn.analyse("pain")
    o = a.overall
    text = run("summary").stdout
    header = next(line for line in text.splitlines() if " SE " in line)
    assert "t (df)" in header and "tau² [95% CI]" in header and "95% CI" in header
    overall = next(line for line in text.splitlines() if line.strip().startswith("Overall"))
    assert f"{o.se:6.3f}" in overall
    assert f"{o.zval:.2f} ({o.df:g})" in overall and o.df == o.k - 1
    assert f"{o.tau2:.3f} [{o.tau2_ci_low:.2f}, {o.tau2_ci_high:.2f}]" in overall
    assert "Q-profile tau² CI" in text.splitlines()[0]  # what the settings line promises is there


def test_summary_text_under_z_names_z_without_df(ldn):
    o = ldn.analyse("pain", test="z").overall
    text = run("summary", "--test", "z", "--level", "90").stdout
    header = next(line for line in text.splitlines() if " SE " in line)
    assert " z " in header and "t (df)" not in header and "90% CI" in header and "95%" not in header
    overall = next(line for line in text.splitlines() if line.strip().startswith("Overall"))
    assert f"{o.zval:.2f}" in overall and "(" not in overall.split("]")[1].split("[")[0]


def test_summary_csv_stands_alone(ldn):
    a = ldn.analyse("pain", by="design")
    rows = list(csv.DictReader(io.StringIO(run("summary", "--format", "csv").stdout)))
    q, df, p = a.subgroup_test
    assert [r["group"] for r in rows] == list(a.subgroups) + ["Overall"]
    for r in rows:
        assert (r["outcome"], r["measure"], r["model"], r["method"], r["test"], r["by"]) == \
               ("pain", "SMD", "freq", "REML", "adhoc", "design")
        assert float(r["level"]) == 95 and float(r["r"]) == 0.5
        assert float(r["q_between"]) == pytest.approx(q, rel=1e-12) and r["q_between_df"] == str(df)
        assert float(r["q_between_pvalue"]) == pytest.approx(p, rel=1e-12)
    overall = rows[-1]
    assert float(overall["se"]) == pytest.approx(a.overall.se, rel=1e-12)
    assert float(overall["zval"]) == pytest.approx(a.overall.zval, rel=1e-12)
    assert overall["k"] == str(a.overall.k) and overall["df"] == str(a.overall.k - 1) and overall["q_df"] == "2"


def test_summary_csv_without_subgroups_has_empty_subgroup_test():
    rows = list(csv.DictReader(io.StringIO(run("summary", "--by", "none", "--format", "csv").stdout)))
    assert [r["group"] for r in rows] == ["Overall"]
    assert rows[0]["q_between"] == rows[0]["q_between_df"] == rows[0]["q_between_pvalue"] == ""


def test_summary_with_settings_for_the_bayesian_model(ldn):
    frame = summary_with_settings(ldn.analyse("pain", model="bayes"))
    assert list(frame.columns[:8]) == ["outcome", "measure", "method", "test", "level", "r", "by", "group"]
    assert set(frame["model"]) == {"bayes", "freq"} and str(frame["q_between_df"].dtype) == "Int64"


def test_a_single_subgroup_is_not_repeated_as_overall(ldn):
    a = ldn.analyse("pain", by="none")
    assert len(a.subgroups) <= 1
    assert [r["group"] for r in a.summary_rows()] == ["Overall"]
    text = str(a)
    assert "All studies" not in text and sum(line.strip().startswith("Overall") for line in text.splitlines()) == 1


@pytest.mark.parametrize("studies", [None, "bcg"])
def test_subgroup_names_are_words(studies):  # LDN's protocol subgroups by design, line of therapy, ...
    review = le.load_studies(studies)
    outcome = review.protocol.pooled_outcomes[0]
    for by in review.protocol.subgroups:
        a = review.analyse(outcome, by=by)
        for name in [r["group"] for r in a.summary_rows()]:
            assert "_" not in name, (by, name)
    names = [r["group"] for r in le.load_studies().analyse("pain", by="line_of_therapy").summary_rows()]
    assert "add-on" in names and "unknown" in names


# --------------------------------------------------------------------------------------------
# integers where things are counted or dated
# --------------------------------------------------------------------------------------------

def test_json_safe_and_integer_columns_make_counts_integers():
    assert json_safe({"year": 2013.0, "k": 3.0, "estimate": 2.0, "df": float("nan")}) == \
        {"year": 2013, "k": 3, "estimate": 2.0, "df": None}
    import pandas as pd

    frame = pd.DataFrame({"year": [2013.0, float("nan")], "n": [10.0, 12.5], "yi": [1.0, 2.0]})
    assert integer_columns(frame).to_csv(index=False) == "year,n,yi\n2013,10.0,1.0\n,12.5,2.0\n"


def _column(text: str, name: str) -> list[str]:
    return [row[name] for row in csv.DictReader(io.StringIO(text))]


def test_years_and_counts_are_integers_in_every_csv(tmp_path):
    integral = re.compile(r"^(-?\d+)?$")
    for args, cols in ((["studies", "--format", "csv"], ["year", "n"]),
                       (["cumulative", "--format", "csv"], ["year", "k"]),
                       (["summary", "--format", "csv"], ["k", "q_df", "df", "q_between_df"]),
                       (["sensitivity", "--format", "csv"], ["k"])):
        res = run(*args)
        assert res.exit_code == 0, res.output
        for col in cols:
            values = _column(res.stdout, col)
            assert values and all(integral.match(v) for v in values), (args, col, values)
    out = tmp_path / "effects.csv"
    assert run("export", "--format", "csv", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    for col in ("year", "n"):
        assert all(integral.match(v) for v in _column(text, col)), col
    assert any(v == "2013" for v in _column(text, "year"))


def test_years_are_integers_in_json():
    steps = json.loads(run("cumulative", "--format", "json").stdout)["steps"]
    assert all(isinstance(s["year"], int) for s in steps if s["year"] is not None)
    assert all(isinstance(s["year"], int) for s in json.loads(run("studies", "--format", "json").stdout)
               if s["year"] is not None)


# --------------------------------------------------------------------------------------------
# long labels: wrapped between words, never cut
# --------------------------------------------------------------------------------------------

LONG = "Low-dose naltrexone versus placebo in fibromyalgia (multicentre extension) 2031"


def test_wrap_words_breaks_between_words_only():
    lines = wrap_words(LONG, 24)
    assert " ".join(lines) == LONG and all(len(line) <= 24 for line in lines)
    assert wrap_words("Supercalifragilistic-expialidocious", 10) == ["Supercalifragilistic-expialidocious"]
    assert wrap_words("", 10) == [""]


def _words_whole(text: str, label: str) -> bool:
    return all(re.search(rf"(^|\s){re.escape(word)}(\s|$)", text, re.M) for word in label.split())


def test_summary_text_wraps_a_long_subgroup_name(ldn):
    a = ldn.analyse("pain")
    first = next(iter(a.subgroups))
    renamed = dataclasses.replace(a, subgroups={(LONG if name == first else name): res
                                                for name, res in a.subgroups.items()})
    text = str(renamed)
    assert _words_whole(text, LONG)
    row = next(line for line in text.splitlines() if line.strip().startswith(wrap_words(LONG, 24)[0]))
    assert fmt_number(a.subgroups[first].estimate, 3) in row


def test_tsa_and_sensitivity_text_wrap_long_labels(ldn):
    from ldn_evidence.review.tsa import trial_sequential_analysis

    t = trial_sequential_analysis(ldn, "pain")
    t.steps.loc[t.steps.index[0], "label"] = LONG
    assert _words_whole(str(t), LONG)
    s = ldn.sensitivity("pain")
    s.rows[0] = {**s.rows[0], "analysis": LONG + " " + LONG}
    assert _words_whole(str(s), LONG)


def test_forest_label_is_drawn_whole(ldn, tmp_path):
    a = ldn.analyse("pain")
    a.rows[0] = {**a.rows[0], "label": LONG}
    out = tmp_path / "f.svg"
    a.forest().savefig(out)
    assert LONG in out.read_text(encoding="utf-8")
