"""The encoded evidence base: docs/evidence.md is current, key numbers are pinned, and every study
is identified and sourced.

The pinned facts are the numbers checked against the sources in the issue-4 audit. If one of these
tests fails after an edit to data/studies.yaml, either the edit is a mistake or the source changed:
fix the YAML, or update the pin in the same commit together with the source that justifies it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from project_scripts import load_script

import ldn_evidence as le
from ldn_evidence.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

ISSUE_STUDIES = (
    "younger2009", "younger2013", "ramanathan2012", "johnson2014", "jackson2021", "parkitny2017",
    "metyas2018", "bruunplesner2020", "driver2023", "bested2023", "due_bruun2024", "rodriguezfreire_innova",
    "moser2025", "imaj2024_bahia",
)
SEVEN = "carvalho_skare_2023"
SEVEN_INFERRED = "carvalho_skare_2023_inferred"
SEVEN_CANDIDATE = "carvalho_skare_2023_candidate"


@pytest.fixture(scope="module")
def review():
    return le.load_studies()


def _outcome(study, outcome, primary=None):
    found = [o for o in study.outcomes if o.outcome == outcome and (primary is None or o.primary == primary)]
    assert found, f"{study.id}: no {outcome} outcome"
    return found[0]


def _block(outcome, form, i=0):
    found = [b for b in outcome.data if b.form == form]
    assert len(found) > i, f"no {form} block #{i} in {outcome.outcome}"
    return found[i]


def _arms(block):
    return {a.arm: a for a in block.arms}


# --------------------------------------------------------------------------------------------
# (a) the page is current
# --------------------------------------------------------------------------------------------


def _generator():
    return load_script(DOCS / "make_evidence_table.py")


def test_evidence_page_is_current(review):
    text = _generator().render(review)
    page = (DOCS / "evidence.md").read_text(encoding="utf-8")
    assert page == text, "docs/evidence.md is stale: run python docs/make_evidence_table.py"


def test_evidence_page_names_every_study_and_the_two_pictures(review):
    page = (DOCS / "evidence.md").read_text(encoding="utf-8")
    for s in review.studies:
        assert f"`{s.id}`" in page
    assert "The seed's picture" in page and "Today's picture" in page


# --------------------------------------------------------------------------------------------
# (b) pinned facts, study by study
# --------------------------------------------------------------------------------------------


def test_younger2009(review):
    s = review["younger2009"]
    assert (s.design, s.randomized, s.blinding) == ("crossover_nonrandomized", False, "single")
    assert s.population.n_enrolled == 10 and s.population.sex == "female"
    assert s.intervention.dose_mg_per_day == 4.5 and s.pmid == 19453963
    pc = _block(_outcome(s, "symptom_severity", primary=True), "percent_change")
    arms = _arms(pc)
    assert (arms["ldn"].percent, arms["placebo"].percent, pc.p_value) == (-32.5, -2.3, 0.003)
    assert pc.source_kind == "secondary"
    resp = _arms(_block(_outcome(s, "responders"), "events"))["ldn"]
    assert (resp.events, resp.n) == (6, 10)


def test_younger2013(review):
    s = review["younger2013"]
    assert (s.design, s.randomized, s.blinding) == ("crossover_rct", True, "double")
    assert s.population.n_randomized == 31 and s.intervention.dose_mg_per_day == 4.5
    assert s.registration.nct == "NCT00568555" and s.doi == "10.1002/art.37734"
    pain = _outcome(s, "pain", primary=True)
    assert pain.scale.max == 100 and pain.scale.lower_is_better
    pc = _block(pain, "percent_change")
    arms = _arms(pc)
    assert (arms["ldn"].percent, arms["placebo"].percent, pc.p_value) == (-28.8, -18.0, 0.016)
    assert pc.source_kind == "primary"
    resp = _block(_outcome(s, "responders"), "events")
    assert (_arms(resp)["ldn"].percent, _arms(resp)["placebo"].percent, resp.p_value) == (32, 11, 0.05)
    flow = _arms(_block(_outcome(s, "discontinuation"), "events"))
    assert flow["LDN-first sequence"].n + flow["placebo-first sequence"].n == 31
    # issue 17: derivations use the registry's analysis set (baseline table 14 + 14), and the
    # symptom-severity p = 0.006 is an F(1,101) test on daily reports, kept but not turned into an effect
    assert s.population.n_analysed == 28 and "14 + 14" in s.population.source
    sev = _block(_outcome(s, "symptom_severity"), "percent_change")
    assert (sev.p_value, sev.p_value_df, sev.source_kind) == (0.006, 101, "secondary")
    assert "results first received 10 Apr 2013" in s.registration.note and "53" in s.registration.note


def test_parkitny2017(review):
    """Issue 17: registry NCT02107014 describes one group (2-week baseline, then LDN 4.5 mg at night
    for 8 weeks, participants told they might get placebo; no placebo arm), not a placebo crossover."""
    s = review["parkitny2017"]
    assert (s.design, s.randomized, s.blinding, s.comparator) == ("single_arm_pre_post", False, "single", "none")
    assert s.registration.nct == "NCT02107014" and s.diagnostic_criteria == "ACR 1990"
    assert s.population.n_enrolled == 8 and s.population.age_mean == 46
    assert s.intervention.dose_mg_per_day == 4.5 and s.intervention.duration_weeks == 8
    assert "NCT02107014" in s.intervention.source and "enrolment 9" in s.registration.note
    for outcome, percent in (("pain", -15), ("symptom_severity", -18)):
        o = _outcome(s, outcome)
        assert o.contrast == "pre_post" and "baseline" in o.timepoint
        assert _arms(_block(o, "percent_change"))["ldn"].percent == percent
    # no longer a controlled crossover: not in the crossover subgroup, not pooled, with the reason
    a = review.analyse("pain")
    assert "parkitny2017" not in {row["study"] for row in a.rows}
    assert "percent change" in a.not_pooled.set_index("study").loc["parkitny2017", "reason"]


def test_metyas2018(review):
    s = review["metyas2018"]
    assert s.design == "single_arm_pre_post" and s.line_of_therapy == "mixed"
    assert (s.population.n_enrolled, s.population.n_analysed, s.population.n_female) == (25, 22, 24)
    assert s.intervention.dose_range_mg == [3, 4.5]
    fiqr = _outcome(s, "fiqr", primary=True)
    pc = _block(fiqr, "percent_change")
    assert _arms(pc)["ldn"].percent == -19.5 and pc.source_kind == "conference_abstract"
    resp = _arms(_block(_outcome(s, "responders"), "events"))["ldn"]
    assert (resp.events, resp.n) == (11, 22)
    assert _arms(_block(_outcome(s, "discontinuation"), "events"))["ldn"].events == 3


def test_bruunplesner2020(review):
    s = review["bruunplesner2020"]
    assert s.design == "dose_finding" and not s.randomized and s.comparator == "none"
    assert s.registration.eudract == "2016-002081-31" and s.diagnostic_criteria == "ACR 1990"
    assert (s.population.n_enrolled, s.population.n_analysed) == (27, 25)
    assert s.intervention.dose_range_mg == [0.75, 6]
    text = _block(_outcome(s, "dose_response"), "text").result
    assert "3.88" in text and "5.40" in text
    resp = _arms(_block(_outcome(s, "responders"), "events"))
    assert [(a.events, a.n) for a in resp.values()] == [(11, 25)]


def test_jackson2021_and_johnson2014(review):
    j = review["jackson2021"]
    assert j.design == "case_series" and j.population.n_fibromyalgia == 21
    cpt = _outcome(j, "cold_pressor")
    assert _block(cpt, "p_value").p_value == 0.003
    assert _block(cpt, "standardized_effect").value == 0.63
    jo = review["johnson2014"]
    pp = _block(_outcome(jo, "cold_pressor"), "pre_post")
    assert (pp.baseline_mean, pp.followup_mean) == (21, 42)


def test_bested2023(review):
    s = review["bested2023"]
    assert (s.design, s.randomized, s.blinding) == ("crossover_rct", True, "double")
    # issue 17: registry NCT02806440 (EudraCT 2015-002972-26) gives enrolment 58 at Grindsted
    assert (s.registration.nct, s.registration.eudract) == ("NCT02806440", "2015-002972-26")
    assert "enrolment 58" in s.registration.note and "Grindsted" in s.registration.note
    assert not [t for t in review.info.ongoing if t.registration == "NCT02806440"]
    assert s.population.n_randomized == 58 and s.intervention.dose_mg_per_day == 4.5
    fiqr = _block(_outcome(s, "fiqr", primary=True), "median_difference")
    assert (fiqr.estimate, fiqr.iqr, fiqr.p_value) == (-1.65, 18.55, 0.3)
    pain = _block(_outcome(s, "pain", primary=True), "median_difference")
    assert (pain.estimate, pain.iqr, pain.p_value) == (-0.33, 6.33, 0.4)
    assert _block(_outcome(s, "fiqr"), "standardized_effect").value == 0.15
    assert _block(_outcome(s, "pain"), "standardized_effect").value == 0.13


def test_due_bruun2024_final(review):
    s = review["due_bruun2024"]
    assert (s.design, s.randomized, s.blinding) == ("parallel_rct", True, "double")
    assert (s.population.n_randomized, s.population.n_analysed) == (99, 99)
    assert s.intervention.dose_mg_per_day == 6 and s.intervention.duration_weeks == 12
    assert s.registration.nct == "NCT04270877" and s.pmid == 38258677
    # issue 17: the EU register has posted results (version 1, 7 Jan 2024); ClinicalTrials.gov has none
    assert "7 Jan 2024" in s.registration.note and "no results posted there" in s.registration.note
    assert any("responder re-analysis" in r.lower() for r in s.other_reports)
    assert any("responder re-analysis" in m for m in s.missing)
    pain = _outcome(s, "pain", primary=True)
    assert pain.scale.max == 10 and pain.scale.lower_is_better and pain.timepoint_weeks == 12
    arms = _arms(_block(pain, "change_scores"))
    assert (arms["ldn"].mean, arms["ldn"].ci_low, arms["ldn"].ci_high, arms["ldn"].n) == (-1.3, -1.7, -0.8, 49)
    assert (arms["placebo"].mean, arms["placebo"].ci_low, arms["placebo"].ci_high, arms["placebo"].n) == (
        -0.9, -1.4, -0.5, 50)
    md = _block(pain, "mean_difference")
    assert (md.estimate, md.ci_low, md.ci_high, md.p_value, md.n_total) == (-0.34, -0.95, 0.27, 0.27, 99)
    assert md.sign_convention == "intervention minus comparator" and not md.paired
    assert _block(pain, "standardized_effect").value == 0.23
    ae = _arms(_block(_outcome(s, "adverse_events"), "events"))
    assert (ae["ldn"].events, ae["ldn"].n, ae["placebo"].events, ae["placebo"].n) == (41, 49, 43, 50)


def test_innova(review):
    s = review["rodriguezfreire_innova"]
    assert (s.design, s.randomized, s.line_of_therapy) == ("parallel_rct", True, "add_on")
    assert s.population.n_randomized == 98 and s.intervention.dose_mg_per_day == 4.5
    assert s.citation.year is None and any("year" in m for m in s.missing)
    pain = _outcome(s, "pain", primary=True)
    arms = _arms(_block(pain, "change_scores"))
    assert (arms["ldn"].mean, arms["ldn"].n, arms["placebo"].mean, arms["placebo"].n) == (-0.33, 48, -0.64, 50)
    md = _block(pain, "mean_difference")
    assert (md.estimate, md.p_value, md.adjusted) == (0.49, 0.236, True)
    ae = _arms(_block(_outcome(s, "adverse_events"), "events"))
    assert (ae["ldn"].events, ae["placebo"].events) == (33, 36)


def test_ldn_tdcs_factorial_trial(review):
    """Braz J Anesthesiol (SciELO S2352-22912023000400409), abstract: 86 women in four arms of a
    2 x 2 factorial with tDCS; only within-arm p-values for VAS pain."""
    s = review["ldn_tdcs_bjan2023"]
    assert (s.design, s.randomized, s.blinding, s.comparator) == ("parallel_rct", True, "double", "placebo")
    assert s.population.n_randomized == 86 and s.population.sex == "female"
    assert s.registration.nct == "NCT04502251" and "RBR-7HK8N" in s.registration.other
    assert s.diagnostic_criteria == "ACR 2016" and "registered retrospectively" in s.registration.note
    assert s.intervention.dose_mg_per_day == 4.5
    assert "21" in s.population.note and "43" in s.population.note
    within = [b for o in s.outcomes if o.contrast == "pre_post" for b in o.data if b.form == "p_value"]
    assert [b.p_value for b in within] == [0.010, 0.001, 0.009]
    assert any("between-group" in m for m in s.missing)
    # listed, not pooled, with the reason
    a = review.analyse("pain")
    assert "ldn_tdcs_bjan2023" not in set(a.table.loc[a.table["included"].astype(bool), "study"])
    row = a.not_pooled.set_index("study").loc["ldn_tdcs_bjan2023"]
    assert "words" in row["reason"]


def test_uncontrolled_reports(review):
    d = review["driver2023"]
    assert d.design == "retrospective_cohort" and d.population.n_analysed == 115
    assert d.intervention.dose_range_mg == [0.8, 9.0]
    assert _arms(_block(_outcome(d, "responders"), "events"))["ldn"].percent == 65
    i = review["imaj2024_bahia"]
    assert i.design == "case_series" and i.line_of_therapy == "first_line"
    r = _arms(_block(_outcome(i, "responders"), "events"))["ldn"]
    assert (r.events, r.n) == (5, 6)
    m = review["moser2025"]
    assert m.design == "case_report" and m.intervention.dose_mg_per_day == 4.5 and m.line_of_therapy == "refractory"
    assert review["ramanathan2012"].design == "case_report"


def test_parallel_rct_pain_data_are_computable(review):
    """Every parallel RCT's primary pain outcome has per-arm changes with n, and a between-group
    difference, so a review layer can compute an effect. A trial whose abstract reports no
    between-group pain result (the LDN + tDCS factorial trial) names it under ``missing``."""
    for s in review.studies:
        if s.design != "parallel_rct":
            continue
        if not any(o.outcome == "pain" and o.primary for o in s.outcomes):
            assert any("between-group" in m and "pain" in m for m in s.missing), s.id
            continue
        pain = _outcome(s, "pain", primary=True)
        change = _block(pain, "change_scores")
        assert all(a.mean is not None and a.n for a in change.arms), s.id
        assert {a.arm for a in change.arms} == {"ldn", "placebo"}, s.id
        _block(pain, "mean_difference")


def test_reports_added_in_the_issue17_audit(review):
    """The withdrawn juvenile trial, the 2026 letter re-analysing Vatvani 2024 and the published
    reviews are listed as excluded reports with reasons and sources; PRISMA counts them."""
    excluded = review.info.excluded
    by_doi = {x.doi: x for x in excluded if x.doi}
    juvenile = [x for x in excluded if "NCT00855972" in x.citation]
    assert len(juvenile) == 1 and "withdrawn before enrolment" in juvenile[0].reason
    assert "7-17" in juvenile[0].reason
    letter = by_doi["10.3344/kjp.25275"]
    assert "Korean J Pain 2026;39(1):140" in letter.citation and "letter" in letter.reason
    reviews = {"10.3344/kjp.24202": 39344363, "10.1097/MS9.0000000000003203": 40337423,
               "10.1080/15360288.2025.2496526": None, "10.1007/s11916-025-01411-1": 40540205,
               "10.2147/JPR.S395457": 36974308, "10.31138/mjr.34.1.1": 37223594,
               "10.1016/j.heliyon.2023.e15638": 37206027, "10.1080/17581869.2024.2401769": 39301937}
    for doi, pmid in reviews.items():
        assert by_doi[doi].pmid == pmid and by_doi[doi].reason.startswith("not a primary study"), doi
    p = review.info.prisma
    assert p.excluded_full_text["not a primary study (systematic, scoping or narrative review, or a letter)"] == 14
    assert p.excluded_full_text["registered trial withdrawn before enrolment"] == 1
    assert sum(x.reason.startswith("not a primary study") for x in excluded) == 14
    assert p.full_text_assessed == 36 and p.included_studies == 16


# --------------------------------------------------------------------------------------------
# (c) identifiers, sources, presence, the seven
# --------------------------------------------------------------------------------------------


def test_issue_studies_present(review):
    ids = {s.id for s in review.studies}
    assert set(ISSUE_STUDIES) <= ids, sorted(set(ISSUE_STUDIES) - ids)


def test_every_study_has_identifier_or_reason(review):
    for s in review.studies:
        assert s.doi or s.pmid or (s.no_identifier_reason and s.no_identifier_reason.strip()), s.id


def test_every_data_block_has_a_source(review):
    for s in review.studies:
        for o in s.outcomes:
            for b in o.data:
                assert b.source and len(b.source.strip()) >= 8, (s.id, o.outcome)


def test_secondary_numbers_are_flagged(review):
    """Blocks citing news or meeting reports must not pass as primary."""
    markers = ("webmd", "mskreport", "reliasmedia", "empr.com", "mimsdev", "immattersacp", "mdedge",
               "meassociation", "psiquiatrialegal")
    for s in review.studies:
        for o in s.outcomes:
            for b in o.data:
                if any(m in b.source.lower() for m in markers) and "abstract" not in b.source.lower():
                    assert b.source_kind in ("secondary", "conference_abstract"), (s.id, o.outcome, b.source)


def test_the_seven_tags(review):
    tagged = {s.id for s in review.studies if SEVEN in s.tags}
    inferred = {s.id for s in review.studies if SEVEN_INFERRED in s.tags}
    candidates = {s.id for s in review.studies if SEVEN_CANDIDATE in s.tags}
    # seen in the review's reference list (refs 6 and 7)
    assert {"younger2009", "parkitny2017"} <= tagged and not {"younger2009", "parkitny2017"} & inferred
    # inferred members
    assert inferred == {"younger2013", "metyas2018", "bruunplesner2020"}
    assert inferred <= tagged and len(tagged) <= 7
    assert candidates == {"ramanathan2012", "johnson2014", "jackson2021", "siembida2022"}
    assert not candidates & tagged
    # the seven were searched up to August 2022: nothing from 2023 on can be among them
    for s in review.studies:
        if SEVEN in s.tags or SEVEN_CANDIDATE in s.tags:
            assert s.citation.year is not None and s.citation.year <= 2022, s.id
        if SEVEN in s.tags or SEVEN_INFERRED in s.tags or SEVEN_CANDIDATE in s.tags:
            assert "de Carvalho and Skare" in (s.notes or ""), f"{s.id}: explain the tag in notes"


# --------------------------------------------------------------------------------------------
# (d) the command line's JSON
# --------------------------------------------------------------------------------------------


def test_cli_studies_json(review):
    result = CliRunner().invoke(cli_main, ["studies", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == [s.id for s in review.studies]
    for r in rows:
        for key in ("id", "year", "design", "citation", "doi", "pmid", "n", "outcomes"):
            assert key in r, (r.get("id"), key)
        assert r["outcomes"], r["id"]
        for o in r["outcomes"]:
            assert o["outcome"] and o["timepoint"], r["id"]
            assert isinstance(o["source"], str) and o["source"].strip(), (r["id"], o["outcome"])
