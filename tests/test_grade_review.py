"""GRADE on a review: the LDN summary of findings pinned, reviewers' overrides win and are shown,
numbers taken from the records (reference SD, control risks) checked by hand, the command line.

The LDN pins are this package's own output at the time of writing (the rules themselves are
tested at their thresholds in test_grade_rules.py). When the study records change, regenerate
them with ``python docs/make_certainty_page.py --pins`` and paste the printed dict below; look
at what moved before you do.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from project_scripts import load_script

import ldn_evidence as le
from ldn_evidence.cli import main as cli_main
from ldn_evidence.errors import ReviewError
from ldn_evidence.review import grade as gr
from ldn_evidence.review import grade_rules as rules
from ldn_evidence.review import sof

DATA = Path(__file__).resolve().parents[1] / "data" / "studies.yaml"

#: python docs/make_certainty_page.py --pins
LDN_PINS = {'pain': {'k': 3,
          'participants': 184,
          'estimate': -0.114,
          'certainty': 'very_low',
          'domains': {'risk_of_bias': 'serious',
                      'inconsistency': 'not_serious',
                      'indirectness': 'not_serious',
                      'imprecision': 'very_serious',
                      'publication_bias': 'not_serious'}},
 'fiq': {'k': 1,
         'participants': 58,
         'estimate': -0.115,
         'certainty': 'low',
         'domains': {'risk_of_bias': 'serious',
                     'inconsistency': 'not_serious',
                     'indirectness': 'not_serious',
                     'imprecision': 'serious',
                     'publication_bias': 'not_serious'}},
 'adverse_events': {'k': 2,
                    'participants': 197,
                    'estimate': 0.968,
                    'certainty': 'very_low',
                    'domains': {'risk_of_bias': 'serious',
                                'inconsistency': 'not_serious',
                                'indirectness': 'not_serious',
                                'imprecision': 'very_serious',
                                'publication_bias': 'not_serious'}},
 'serious_adverse_events': {'k': 1,
                            'participants': 99,
                            'estimate': 0.34,
                            'certainty': 'low',
                            'domains': {'risk_of_bias': 'not_serious',
                                        'inconsistency': 'not_serious',
                                        'indirectness': 'not_serious',
                                        'imprecision': 'very_serious',
                                        'publication_bias': 'not_serious'}},
 'discontinuation': {'k': 1,
                     'participants': 99,
                     'estimate': 1.361,
                     'certainty': 'low',
                     'domains': {'risk_of_bias': 'not_serious',
                                 'inconsistency': 'not_serious',
                                 'indirectness': 'not_serious',
                                 'imprecision': 'very_serious',
                                 'publication_bias': 'not_serious'}}}


@pytest.fixture(scope="module")
def review():
    return le.load_studies()


@pytest.fixture(scope="module")
def result(review):
    return gr.grade_review(review)


def pins_of(result) -> dict:
    """The pinned facts of a GradeResult (also printed by docs/make_certainty_page.py --pins)."""
    out = {}
    for o in result:
        est = o.estimate()
        out[o.spec.id] = {"k": o.k, "participants": o.participants,
                          "estimate": None if est is None else round(est[0], 3), "certainty": o.certainty,
                          "domains": {d: r.judgement for d, r in o.domains.items()}}
    return out


# ---------------------------------------------------------------------------------------------
# the LDN summary of findings


def test_pain_certainty_cannot_be_high(result):
    pain = result["pain"]
    assert pain.k == 3  # final-value SMDs: Due Bruun 2024's change-score SMD is set apart (Handbook 10.5.2)
    assert pain.certainty != "high"
    assert pain.domains["risk_of_bias"].judgement != "not_serious"   # RoB concerns
    lo, hi = pain.estimate()[1:]
    assert lo < -0.5 < 0 < hi                                          # a wide CI crossing the MID


def test_ldn_table_is_pinned(result):
    assert pins_of(result) == LDN_PINS


def test_every_protocol_outcome_has_a_row_in_order(result):
    assert [o.spec.id for o in result] == ["pain", "fiq", "adverse_events", "serious_adverse_events",
                                           "discontinuation"]
    rows, notes = sof.sof_rows(result)
    assert len(rows) == 5
    downgrades = sum(1 for o in result for r in o.domains.values() if r.judgement != "not_serious")
    assert sum(1 for _, text in notes if "(-1)" in text or "(-2)" in text) == downgrades  # one footnote each


def test_pain_row_reads_as_grade_says(result):
    rows, notes = sof.sof_rows(result)
    pain = rows[0]
    assert pain["statement"] == "The evidence is very uncertain about the effect of LDN on pain."
    assert pain["certainty"] == "\u2295\u25ef\u25ef\u25ef Very low"
    assert pain["absolute"][0].startswith("SMD 0.11 lower")
    assert "points lower" in pain["absolute"][1] and "0-10 NRS" in pain["absolute"][1]
    marks = dict(notes)
    assert any("Risk of bias: serious (-1)" in marks[m] for m in pain["marks"])
    assert any("Imprecision: very serious (-2)" in marks[m] for m in pain["marks"])


def test_only_controlled_studies_are_graded(review, result):
    from ldn_evidence.vocabulary import CONTROLLED_DESIGNS

    for o in result:
        for row in o.analysis.rows:
            assert review[row["study"]].design in CONTROLLED_DESIGNS


def test_reference_sd_of_due_bruun_by_hand(review):
    # arms' 95% CIs of the change: LDN [-1.7, -0.8], n = 49; placebo [-1.4, -0.5], n = 50
    # SD = sqrt(n) x width / (2 t_{n-1}) (Handbook 6.5.2.2); t_48 = 2.010635, t_49 = 2.009575 (t tables)
    s1 = math.sqrt(49) * 0.9 / (2 * 2.010635)
    s2 = math.sqrt(50) * 0.9 / (2 * 2.009575)
    pooled = math.sqrt((48 * s1 ** 2 + 49 * s2 ** 2) / 97)
    sd, how = gr.reference_sd(review, "due_bruun2024", "pain")
    assert sd == pytest.approx(pooled, rel=1e-5)
    assert "Due Bruun 2024" in how and "10.1016" in how


def test_reexpressed_pain_effect_is_smd_times_reference_sd(result):
    pain = result["pain"]
    a = pain.analysis.overall
    md = rules.reexpress_smd(a.estimate, a.ci_low, a.ci_high, pain.reference_sd)
    assert md == pytest.approx((a.estimate * pain.reference_sd, a.ci_low * pain.reference_sd,
                                a.ci_high * pain.reference_sd))
    text = sof.absolute_text(pain, "placebo", "LDN")[1]
    assert f"{abs(md[0]):.2f} points lower" in text


def test_adverse_events_control_risk_from_the_placebo_arms(result):
    ae = result["adverse_events"]
    # placebo arms: Due-Bruun 43/50, Rodriguez-Freire 36/50; median of two = their mean
    assert ae.control_risk == pytest.approx((43 / 50 + 36 / 50) / 2)
    e = rules.absolute_effects(ae.control_risk, "RR", ae.analysis.overall.estimate, ae.analysis.overall.ci_low,
                               ae.analysis.overall.ci_high)
    assert e["intervention"][0] == pytest.approx(1000 * 0.79 * math.exp(ae.analysis.overall.estimate))
    assert sof.absolute_text(ae, "placebo", "LDN")[0] == "790 per 1,000 with placebo"
    assert ae.ois == pytest.approx(rules.ois_binary(0.79))


def test_review_grade_is_a_dataframe(review):
    df = review.grade(["pain", "adverse_events"])
    assert list(df["outcome"]) == ["pain", "adverse_events"]
    for col in ("k", "n", "effect", "certainty", "risk_of_bias_proposal", "risk_of_bias", "risk_of_bias_reason",
                "imprecision_by", "large_effect", "statement"):
        assert col in df.columns
    assert df.loc[0, "effect"].startswith("SMD")


def test_json_has_no_nan(result):
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert json.loads(text)["outcomes"][0]["outcome"] == "pain"


def test_unknown_outcome_is_refused(review):
    with pytest.raises(ReviewError, match="the protocol's outcomes"):
        gr.grade_review(review, ["painn"])


def test_the_protocol_comes_from_the_file_or_the_bundled_review(review, tmp_path):
    assert gr.review_protocol(review).source == "review.protocol"
    assert [o.id for o in gr.review_protocol(review).outcomes] == list(review.protocol.summary_of_findings)
    text = DATA.read_text(encoding="utf-8")
    start, end = text.index("  protocol:\n"), text.index("  searches:\n")
    bare = tmp_path / "studies.yaml"
    bare.write_text(text[:start] + text[end:], encoding="utf-8")   # a file without review.protocol
    p = gr.review_protocol(le.load_studies(bare))
    assert p.source == "the bundled review's protocol (the review file has none)"
    assert p.outcomes == gr.review_protocol(review).outcomes


# ---------------------------------------------------------------------------------------------
# reviewers' overrides


def with_grade_section(tmp_path, section: str) -> Path:
    text = DATA.read_text(encoding="utf-8")
    anchor = "  within_person_r: 0.5\n"
    assert anchor in text
    p = tmp_path / "studies.yaml"
    p.write_text(text.replace(anchor, anchor + section, 1), encoding="utf-8")
    return p


OVERRIDE = """\
  grade:
    pain:
      imprecision:
        judgement: not serious
        reason: the reviewers judge the CI's lower limit (SMD -0.57) trivially past the MID
      indirectness:
        judgement: serious
        reason: two of the four trials treated for three weeks only
"""


def test_overrides_win_and_are_shown(tmp_path):
    review = le.load_studies(with_grade_section(tmp_path, OVERRIDE))
    pain = gr.grade_review(review)["pain"]
    imp, ind = pain.domains["imprecision"], pain.domains["indirectness"]
    assert (imp.proposal.judgement, imp.judgement, imp.by) == ("very_serious", "not_serious", "reviewers")
    assert (ind.proposal.judgement, ind.judgement, ind.by) == ("not_serious", "serious", "reviewers")
    assert pain.certainty == rules.certainty("high", ["serious", "not_serious", "serious", "not_serious",
                                                      "not_serious"])
    text = " ".join(sof.sof_text(gr.grade_review(review, ["pain"])).split())  # unwrapped
    assert "three weeks only" in text and "reviewers' judgement; the rule proposed not serious" in text
    assert "the rule proposed very serious" in text       # the overridden downgrade is still shown
    df = review.grade(["pain"])
    assert df.loc[0, "imprecision_proposal"] == "very_serious" and df.loc[0, "imprecision"] == "not_serious"
    assert df.loc[0, "imprecision_by"] == "reviewers"


def test_an_upgrade_counts_only_when_reviewers_write_it(tmp_path):
    proposal = rules.Rating("large_effect", "one_level", "RR 0.30 (CI 0.20 to 0.45): large")
    silent = gr._upgrade("large_effect", proposal, None)
    assert silent.judgement == "none" and silent.levels == 0
    assert "not applied until the reviewers confirm it" in silent.reason
    section = """\
  grade:
    pain:
      dose_response:
        judgement: one level
        reason: a gradient across the doses in the dose-finding series
"""
    pain = gr.grade_review(le.load_studies(with_grade_section(tmp_path, section)))["pain"]
    up = pain.upgrades["dose_response"]
    assert (up.proposal.judgement, up.judgement, up.by, up.levels) == ("none", "one_level", "reviewers", 1)
    assert pain.certainty == "low"  # very low + 1
    rows, notes = sof.sof_rows(gr.GradeResult(gr.review_protocol(le.load_studies()), [pain]))
    assert any("Dose-response gradient: one level up (+1)" in t for _, t in notes)


def test_override_naming_an_unknown_outcome_is_refused(tmp_path):
    section = "  grade:\n    painn:\n      imprecision: {judgement: serious, reason: typo in the outcome}\n"
    review = le.load_studies(with_grade_section(tmp_path, section))
    with pytest.raises(ReviewError, match="'painn', not an outcome of the protocol"):
        gr.grade_review(review)


def test_bad_override_judgement_is_a_located_file_error(tmp_path):
    section = "  grade:\n    pain:\n      imprecision: {judgement: awful, reason: not a judgement}\n"
    problems = le.validate_studies(with_grade_section(tmp_path, section))
    assert len(problems) == 1
    assert problems[0].field == "review.grade.pain.imprecision.judgement" and problems[0].line == 15


# ---------------------------------------------------------------------------------------------
# a body of non-randomized controlled studies starts low


NRS = """\
review:
  title: Non-randomized test review
  question: Does it work?
  version: 1.0.0
studies:
{studies}
"""

NRS_STUDY = """\
  - id: {sid}
    citation: {{authors: [{author} A], year: {year}, title: A fixed-order crossover}}
    doi: 10.1000/{sid}
    design: crossover_nonrandomized
    randomized: false
    blinding: single
    population: {{n_analysed: {n}, source: "DOI 10.1000/{sid}, Table 1"}}
    intervention: {{dose_mg_per_day: 4.5, source: "DOI 10.1000/{sid}, Methods"}}
    comparator: placebo
    line_of_therapy: add_on
    risk_of_bias:
      tool: ROBINS-I
      overall: {{judgement: critical, support: confounding by period and expectation}}
      domains:
        confounding: {{judgement: critical, support: "fixed order; no adjustment"}}
        selection: {{judgement: serious, support: volunteers}}
        classification: {{judgement: low, support: LDN given}}
        deviations: {{judgement: low, support: capsules counted}}
        missing_data: {{judgement: low, support: all analysed}}
        measurement: {{judgement: {measurement}, support: self-report under single blinding}}
        reported_result: {{judgement: low, support: registered outcome}}
    outcomes:
      - outcome: pain
        scale: {{min: 0, max: 10, lower_is_better: true}}
        timepoint: end of each condition
        contrast: ldn_vs_placebo
        data:
          - form: mean_difference
            estimate: {md}
            ci_low: {lo}
            ci_high: {hi}
            n_total: {n}
            paired: true
            source: DOI 10.1000/{sid}, Table 2
"""


def nrs_review(tmp_path, measurement=("low", "low")):
    studies = [NRS_STUDY.format(sid="fo2019", author="Fo", year=2019, n=20, md=-1.2, lo=-2.0, hi=-0.4,
                                measurement=measurement[0]),
               NRS_STUDY.format(sid="gr2021", author="Gr", year=2021, n=30, md=-0.8, lo=-1.5, hi=-0.1,
                                measurement=measurement[1])]
    p = tmp_path / "nrs.yaml"
    p.write_text(NRS.format(studies="".join(studies)), encoding="utf-8")
    return le.load_studies(p)


def test_nonrandomized_body_starts_low_and_its_rob_leaves_out_confounding(tmp_path):
    pain = gr.grade_review(nrs_review(tmp_path), ["pain"])["pain"]
    assert pain.start.judgement == "low"
    # overall 'critical' comes from confounding, which the low start already stands for: the
    # remaining domains are low, so risk of bias is not rated down again (GRADE guidelines 18)
    assert pain.domains["risk_of_bias"].proposal.judgement == "not_serious"
    pain = gr.grade_review(nrs_review(tmp_path, ("serious", "serious")), ["pain"])["pain"]
    assert pain.domains["risk_of_bias"].proposal.judgement == "very_serious"
    assert pain.certainty == "very_low"
    assert pain.upgrades["large_effect"].judgement == "none"


# ---------------------------------------------------------------------------------------------
# the command line


def run(args, **kw):
    from click.testing import CliRunner

    return CliRunner().invoke(cli_main, args, catch_exceptions=False, **kw)


def test_cli_grade_text_json_csv_md_html(tmp_path):
    res = run(["grade"])
    assert res.exit_code == 0, res.output
    assert "Summary of findings: LDN compared with placebo" in res.output
    assert "How each judgement was reached" in res.output
    res = run(["grade", "--outcome", "pain,adverse_events", "--format", "json"])
    data = json.loads(res.output)
    assert [o["outcome"] for o in data["outcomes"]] == ["pain", "adverse_events"]
    assert data["outcomes"][0]["domains"]["imprecision"]["proposal"] == "very_serious"
    res = run(["grade", "--format", "csv"])
    assert res.output.splitlines()[0].startswith("outcome,k,n,effect,certainty")
    assert len(res.output.strip().splitlines()) == 6
    res = run(["grade", "--format", "md"])
    assert res.output.startswith("| Outcome |")
    out = tmp_path / "sof.html"
    res = run(["grade", "--format", "html", "-o", str(out)])
    assert res.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "<table class=\"sof\">" in out.read_text(encoding="utf-8")


def test_cli_grade_docx_opens_in_python_docx(tmp_path):
    docx = pytest.importorskip("docx")
    out = tmp_path / "sof.docx"
    res = run(["grade", "--format", "docx", "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = docx.Document(str(out))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells][:2] == ["Outcome", "Studies (participants)"]
    assert len(table.rows) == 6
    assert table.rows[1].cells[0].text.startswith("Pain")
    assert "very uncertain about the effect of LDN on pain" in table.rows[1].cells[5].text


@pytest.mark.parametrize("args, message", [
    (["grade", "--format", "docx"], "give -o FILE.docx"),
    (["grade", "--outcome", "painn"], "unknown outcome 'painn'"),
    (["grade", "--r", "nan"], "is not a finite number"),
])
def test_cli_grade_refuses_with_one_message(args, message):
    res = run(args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


# ---------------------------------------------------------------------------------------------
# the docs page


def test_certainty_page_is_current(result):
    path = Path(__file__).resolve().parents[1] / "docs" / "make_certainty_page.py"
    module = load_script(path)
    page = (path.parent / "certainty.md").read_text(encoding="utf-8")
    assert page == module.page(result), "docs/certainty.md is stale: run python docs/make_certainty_page.py"
    assert module.pins(result) == pins_of(result)
    for o in result:
        assert f"### {o.spec.title}:" in page


# ---------------------------------------------------------------------------------------------
# the protocol seam (review.protocol, when the review's file has one)


def test_a_protocol_section_is_read_through_the_seam():
    from types import SimpleNamespace as NS

    protocol = NS(
        intervention_label="BCG", comparator_label="no vaccine", population="people at risk of tuberculosis",
        comparators=["none"],
        outcomes=[NS(id="tb", name="tuberculosis", kind="binary", direction="lower_is_better",
                     default_measure="RR", mid={"value": 0.8, "units": "RR", "source": "protocol section 4"}),
                  {"id": "pain", "name": "pain", "kind": "continuous", "default_measure": "SMD",
                   "instrument": "0-10 NRS", "mid": {"value": 1.0, "units": "points", "source": "IMMPACT"},
                   "reference_study": "due_bruun2024"},
                  {"id": "fiq", "name": "FIQR", "kind": "continuous", "mid": 0.3}])
    p = gr._from_protocol(protocol)
    assert (p.intervention, p.comparator, p.comparators, p.source) == ("BCG", "no vaccine", ("none",),
                                                                       "review.protocol")
    tb, pain, fiq = p.outcomes
    assert (tb.kind, tb.measure, tb.rrr, tb.mid_source) == ("binary", "RR", pytest.approx(0.2), "protocol section 4")
    assert (pain.mid_instrument, pain.mid_smd, pain.reference_study) == (1.0, None, "due_bruun2024")
    assert (fiq.mid_smd, fiq.name, fiq.title) == (0.3, "FIQR", "FIQR")


def test_an_instrument_mid_is_divided_by_the_reference_sd(review):
    spec = gr.OutcomeSpec("pain", "Pain", "pain", "continuous", "SMD", instrument="0-10 NRS", mid_instrument=1.0,
                          mid_source="IMMPACT", reference_study="due_bruun2024")
    protocol = gr.GradeProtocol("LDN", "placebo", "", (spec,), comparators=("placebo",))
    pain = gr.grade_outcome(review, spec, protocol)
    sd, _ = gr.reference_sd(review, "due_bruun2024", "pain")
    assert pain.thresholds == pytest.approx((-1 / sd, 1 / sd))
    assert pain.ois == pytest.approx(rules.ois_continuous(1 / sd))
