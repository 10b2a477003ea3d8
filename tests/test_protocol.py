"""The review's protocol (``review.protocol``): its validation, the check of records against it
(file:line: study: field), what a file without one is read with, and that every name the
analyses use comes from it."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

import ldn_evidence as le
from ldn_evidence.cli import main
from ldn_evidence.errors import ReviewError, StudiesFileError
from ldn_evidence.records import Protocol, default_protocol, study_json_schema
from ldn_evidence.vocabulary import design_group

PROTOCOL = """\
      protocol:
        population: people at risk
        intervention: {id: drug, name: Drug X, label: drug X, arms: [drug]}
        comparators:
          - {id: placebo, name: placebo, label: placebo, arms: [placebo]}
        outcomes:
          - {id: score, name: symptom score, kind: continuous, lower_is_better: true}
          - {id: wellbeing, name: well-being, kind: continuous, lower_is_better: false}
          - {id: harms, name: any harm, kind: binary, lower_is_better: true}
          - {id: notes_only, name: notes, kind: continuous, lower_is_better: true, pooled: false}
        moderators:
          - {id: dose, name: daily dose, kind: numeric}
          - {id: setting, name: setting, kind: categorical, levels: [clinic, home]}
        subgroups: [design, setting]
        year_range: [2000, null]
"""

STUDY = """\
      - id: doe2020
        citation: {authors: [Doe J], year: 2020, title: A trial of drug X}
        doi: 10.1000/doe.2020
        design: parallel_rct
        randomized: true
        blinding: double
        population: {}
        intervention: {}
        comparator: placebo
        moderators: {dose: 10, setting: clinic}
        moderators_source: DOI 10.1000/doe.2020, Methods
        outcomes:
          - outcome: score
            scale: {min: 0, max: 10, lower_is_better: true}
            timepoint: week 8
            contrast: drug_vs_placebo
            data:
              - form: arm_means
                arms:
                  - {arm: drug, mean: 4.0, sd: 2.0, n: 30}
                  - {arm: placebo, mean: 5.0, sd: 2.0, n: 30}
                source: DOI 10.1000/doe.2020, Table 2
          - outcome: harms
            timepoint: week 8
            contrast: drug_vs_placebo
            data:
              - form: events
                arms: [{arm: drug, events: 3, n: 30}, {arm: placebo, events: 6, n: 30}]
                source: DOI 10.1000/doe.2020, Table 3
"""


def _review_text(protocol: str = PROTOCOL, study: str = STUDY) -> str:
    return ("review:\n  title: Drug X\n  question: Does drug X help?\n  version: 1.0.0\n"
            + protocol.replace("\n      ", "\n  ").replace("      protocol:", "  protocol:", 1)
            + "studies:\n" + study.replace("\n      ", "\n  ").replace("      - id:", "  - id:", 1))


@pytest.fixture
def own(write):
    return write(_review_text())


def _problems(path) -> list[str]:
    with pytest.raises(StudiesFileError) as info:
        le.load_studies(path)
    return [str(p) for p in info.value.problems]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_review_of_its_own_runs_through_the_same_code(own):
    review = le.load_studies(own)
    assert review.has_own_protocol
    assert review.protocol.pooled_outcomes == ("score", "wellbeing", "harms")
    a = review.analyse()                       # the protocol's first outcome, its first subgroup variable
    assert (a.outcome, a.measure, a.by, a.k) == ("score", "SMD", "design", 1)
    args, kw = a.forest_args()
    assert kw["title"] == "Drug X: symptom score"
    assert kw["favours"] == ("Favours drug X", "Favours placebo")
    assert review.analyse("harms").measure == "RR"
    assert review.effect_sizes("harms")["derivation"][0].startswith("log RR from events 3/30 (drug X) vs 6/30")
    assert list(review.analyse(by="setting").subgroups) == ["clinic"]


def test_outcomes_not_pooled_or_unknown_are_refused_naming_the_choices(own):
    review = le.load_studies(own)
    with pytest.raises(ReviewError, match=r"recorded but not pooled.*score, wellbeing, harms"):
        review.analyse("notes_only")
    with pytest.raises(ReviewError, match=r"unknown outcome 'pain'; choose one of: score, wellbeing, harms"):
        review.analyse("pain")
    with pytest.raises(ReviewError, match=r"unknown subgroup variable 'blinding'.*design, setting, none"):
        review.analyse(by="blinding")


@pytest.mark.parametrize("old,new,needle,words", [
    ("outcome: harms", "outcome: pain", "outcome: pain",
     ["field 'outcomes[1].outcome'", "outcome 'pain' is not an outcome of this review's protocol",
      "score, wellbeing, harms, notes_only"]),
    ("LAST contrast: drug_vs_placebo", "contrast: ldn_vs_placebo", "contrast: ldn_vs_placebo",
     ["outcomes[1].contrast", "'ldn_vs_placebo' is not one of the protocol's: drug_vs_placebo, pre_post"]),
    ("comparator: placebo", "comparator: usual_care", "comparator: usual_care",
     ["field 'comparator'", "'usual_care' is not one of the protocol's: placebo, none"]),
    ("year: 2020", "year: 1990", "year: 1990",
     ["citation.year", "year 1990 is outside the review's year range 2000.."]),
    ("setting: clinic", "setting: hospital", "moderators: {dose",
     ["moderators.setting", "'hospital' is not a level of 'setting'; levels: clinic, home"]),
    ("dose: 10", "dose: ten", "moderators: {dose", ["moderators.dose", "'dose' is numeric; got 'ten'"]),
    ("dose: 10", "weight: 70", "moderators: {weight", ["moderator 'weight' is not declared in the protocol"]),
])
def test_records_are_checked_against_their_protocol(write, old, new, needle, words):
    text = _review_text()
    if old.startswith("LAST "):  # the second outcome's contrast
        i = text.rindex(old[5:])
        text = text[:i] + new + text[i + len(old) - 5:]
    else:
        text = text.replace(old, new, 1)
    path = write(text)
    problems = _problems(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{_line(text, needle)}: study 'doe2020': ")
    for w in words:
        assert w in problems[0]


def test_the_command_line_reports_protocol_problems_with_exit_2(write):
    path = write(_review_text().replace("outcome: harms", "outcome: pain", 1))
    res = CliRunner().invoke(main, ["--studies", str(path), "validate"])
    assert res.exit_code == 2 and "Traceback" not in res.stderr
    assert "outcome 'pain' is not an outcome of this review's protocol" in res.stderr


@pytest.mark.parametrize("change,message", [
    (("kind: binary, lower_is_better: true}", "kind: binary, lower_is_better: true, default_measure: SMD}"),
     "default_measure 'SMD' does not fit a binary outcome"),
    (("{id: wellbeing,", "{id: score,"), "outcome ids used twice: score"),
    (("kind: continuous, lower_is_better: false}", "kind: continuous, lower_is_better: false, pools: [harms]}"),
     "outcome 'wellbeing' (continuous) pools 'harms' (binary)"),
    (("subgroups: [design, setting]", "subgroups: [design, colour]"),
     "subgroup variable 'colour' is neither a record field"),
    (("levels: [clinic, home]", "levels: [clinic]"), "categorical moderator 'setting' needs at least two levels"),
    (("year_range: [2000, null]", "year_range: [2000, 1999]"), "year_range must be [first, last]"),
])
def test_protocol_problems_name_review_protocol(write, change, message):
    text = _review_text().replace(*change)
    path = write(text)
    problems = _problems(path)
    assert any(p.split(": field ")[-1].startswith("'review.protocol") and message in p for p in problems), problems


def test_a_file_without_a_protocol_is_read_with_the_bundled_one(valid_text, write):
    """Every pre-0.3 file used the bundled review's vocabulary: it keeps working (documented),
    and validate says which protocol it was read with."""
    path = write(valid_text)
    review = le.load_studies(path)
    assert not review.has_own_protocol
    assert review.protocol == default_protocol()
    assert review.analyse("pain").k == 1
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0
    assert "note: no review.protocol in this file: read with the bundled review's protocol" in res.stdout


def test_record_files_are_checked_against_the_selected_review(own, write):
    record = write(STUDY.replace("      - id: doe2020", "id: roe2021").replace("\n        ", "\n")
                   .replace("doe.2020", "roe.2021").replace("outcome: harms", "outcome: pain"), "record.yaml")
    res = CliRunner().invoke(main, ["--studies", str(own), "validate", str(record)])
    assert res.exit_code == 2, res.output
    assert "outcome 'pain' is not an outcome of this review's protocol" in res.stderr
    res = CliRunner().invoke(main, ["--studies", str(own), "add", str(record)])
    assert res.exit_code == 2 and "outcome 'pain'" in res.stderr


def test_protocol_model_reads_like_the_docs():
    p = Protocol.model_validate({
        "population": "adults", "intervention": {"id": "a", "name": "A", "label": "A", "arms": ["a"]},
        "comparators": [{"id": "b", "name": "B", "label": "B", "arms": ["b", "Control"], "types": ["b", "c"]}],
        "outcomes": [{"id": "resp", "name": "responders", "kind": "binary", "lower_is_better": False}]})
    assert p.contrasts == ("a_vs_b",) and p.comparator_types == ("b", "c", "none")
    assert p.comparator_arms == ("b", "control")
    assert p.favours("resp", controlled=True) == ("Favours B", "Favours A")   # more responders is better
    assert p.favours("resp", controlled=False) == ("Improvement", "Worsening")
    assert p.default_outcome == "resp" and p.subgroups == ["design"] and p.year_range == [1900, None]
    with pytest.raises(ValidationError, match="unknown field|Extra inputs"):
        Protocol.model_validate({**p.model_dump(), "outcome": []})


def test_the_bundled_protocol_holds_what_the_code_used_to():
    p = le.load_studies().protocol
    assert p.intervention.label == "LDN" and p.contrasts == ("ldn_vs_placebo", "ldn_vs_control")
    assert p.outcome("fiq").members == ("fiq", "fiqr")
    assert {o.id for o in p.outcomes if not o.lower_is_better} >= {"quality_of_life", "sleep", "responders_30"}
    assert p.year_range == [1950, None]
    assert p.comparator_types == ("placebo", "usual_care", "no_ldn_controls", "active", "none")


def test_json_schema_lists_the_protocols_choices():
    schema = study_json_schema(le.load_studies("bcg").protocol)
    assert schema["$defs"]["Outcome"]["properties"]["outcome"]["enum"] == ["tb"]
    assert schema["properties"]["comparator"]["enum"] == ["control", "none"]
    res = CliRunner().invoke(main, ["--studies", "bcg", "schema"])
    assert res.exit_code == 0 and '"bcg_vs_control"' in res.stdout


def test_controlled_cohorts_get_their_own_design_group(write):
    """A retrospective cohort with a concurrent no-treatment control is not a single-arm study."""
    assert design_group("retrospective_cohort", controlled=True) == "Controlled cohorts"
    cohort = STUDY.replace("doe2020", "roe2019").replace("doe.2020", "roe.2019").replace("year: 2020", "year: 2019") \
        .replace("design: parallel_rct", "design: retrospective_cohort").replace("randomized: true", "randomized: false") \
        .replace("title: A trial of drug X", "title: Users of drug X and non-users")
    path = write(_review_text(study=STUDY + cohort))
    a = le.load_studies(path).analyse()
    assert [row["group"] for row in a.rows] == ["Parallel RCTs", "Controlled cohorts"]
    assert list(a.subgroups) == ["Parallel RCTs", "Controlled cohorts"]
    specs = le.load_studies(path).sensitivity().table
    assert specs.loc[specs["analysis"] == "Controlled only (no single-arm)", "k"].item() == 2


def test_every_command_takes_the_outcome_and_labels_from_the_protocol(own, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (["forest"], ["summary"], ["summary", "--outcome", "harms", "--by", "setting"], ["studies"],
                 ["export", "--format", "csv"], ["cumulative"]):
        res = CliRunner().invoke(main, ["--studies", str(own)] + args)
        assert res.exit_code == 0, (args, res.output)
    assert (tmp_path / "forest-score.png").exists()
    assert re.search(r"score, SMD: -0\.4\d", CliRunner().invoke(main, ["--studies", str(own), "forest"]).stdout)
