"""The review layer on the bundled LDN studies: each study's effect follows from its published
numbers by the stated path (expected values computed here from the papers' numbers with
scipy.stats, independently of the package), and the analysis pools exactly those effects."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ldn_evidence as le
from ldn_evidence.review import ReviewError


@pytest.fixture(scope="module")
def review():
    return le.load_studies()


def _row(frame, study):
    rows = frame[frame["study"] == study]
    assert len(rows) == 1, f"{study} not in {list(frame['study'])}"
    return rows.iloc[0]


def _hedges_j(df):
    return math.exp(math.lgamma(df / 2) - math.log(math.sqrt(df / 2)) - math.lgamma((df - 1) / 2))


def test_final_md_from_its_reported_difference_and_ci(review):
    # Due Bruun 2024 abstract: difference -0.34 (95% CI -0.95 to 0.27), NRS 0-10
    row = _row(review.effect_sizes("pain", "MD"), "due_bruun2024")
    se = (0.27 - -0.95) / (2 * stats.norm.ppf(0.975))
    assert row["yi"] == pytest.approx(-0.34)
    assert row["vi"] == pytest.approx(se**2, rel=1e-12)
    assert row["path"] == "reported mean difference"


def test_final_smd_from_change_scores_with_sd_from_ci(review):
    # per-arm change -1.3 (-1.7, -0.8) n=49 and -0.9 (-1.4, -0.5) n=50 -> SDs from the CIs (t, n-1)
    row = _row(review.effect_sizes("pain", "SMD"), "due_bruun2024")
    sd1 = math.sqrt(49) * (-0.8 - -1.7) / (2 * stats.t.ppf(0.975, 48))
    sd2 = math.sqrt(50) * (-0.5 - -1.4) / (2 * stats.t.ppf(0.975, 49))
    sp = math.sqrt((48 * sd1**2 + 49 * sd2**2) / 97)
    g = _hedges_j(97) * (-1.3 - -0.9) / sp
    assert row["yi"] == pytest.approx(g, rel=1e-10)
    assert row["vi"] == pytest.approx(1 / 49 + 1 / 50 + g**2 / (2 * 99), rel=1e-10)
    assert "SD from SE/CI" in row["path"]


def test_innova_md_sign_from_per_arm_changes_and_se_from_p(review):
    # adjusted difference 0.49, p = 0.236, n = 98; changes -0.33 (LDN) vs -0.64 (placebo) -> favours placebo
    row = _row(review.effect_sizes("pain", "MD"), "rodriguezfreire_innova")
    se = 0.49 / stats.t.ppf(1 - 0.236 / 2, 96)
    assert row["yi"] == pytest.approx(0.49)
    assert row["vi"] == pytest.approx(se**2, rel=1e-10)
    assert "sign taken from the per-arm changes" in row["assumptions"]


def test_innova_smd_from_reported_d(review):
    row = _row(review.effect_sizes("pain", "SMD"), "rodriguezfreire_innova")
    g = _hedges_j(96) * 0.19
    assert row["yi"] == pytest.approx(g, rel=1e-10)
    assert row["vi"] == pytest.approx(1 / 48 + 1 / 50 + g**2 / (2 * 98), rel=1e-10)


def test_younger2013_smd_from_paired_p_value(review):
    # 28.8% vs 18.0% reduction, p = 0.016 (abstract); n = 28, the registry's analysis set (NCT00568555
    # baseline table 14 + 14; 31 randomized, used before issue 17); r = 0.5
    row = _row(review.effect_sizes("pain", "SMD"), "younger2013")
    n, r = 28, 0.5
    dz = -stats.t.ppf(1 - 0.016 / 2, n - 1) / math.sqrt(n)
    d = dz * math.sqrt(2 * (1 - r))
    g = _hedges_j(n - 1) * d
    assert row["yi"] == pytest.approx(g, rel=1e-10)
    assert row["vi"] == pytest.approx((1 / n + g**2 / (2 * n)) * 2 * (1 - r), rel=1e-10)
    assert row["uses_r"] and row["r"] == 0.5
    assert row["n"] == 28 and "27 df" in row["derivation"]


def test_younger2013_symptom_severity_f_test_gives_no_effect(review):
    # AAPM 2012 report: 48.5% vs 27.4%, F(1,101) = 7.7, p = 0.006 - a test on daily reports, not on 28 people
    es = review.effect_sizes("symptom_severity", "SMD").set_index("study")
    assert not es.loc["younger2013", "included"]
    assert "101 error df" in es.loc["younger2013", "reason"]


def test_bested_median_difference_via_wan_iqr(review):
    # FIQR median difference -1.65 (IQR 18.55), n = 58: SD_diff = IQR / eta(n) (Wan 2014 S3)
    row = _row(review.effect_sizes("fiq", "MD"), "bested2023")
    n = 58
    eta = 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))
    assert row["yi"] == pytest.approx(-1.65)
    assert row["vi"] == pytest.approx((18.55 / eta) ** 2 / n, rel=1e-10)


def test_r_changes_crossover_effects_only(review):
    lo = review.effect_sizes("pain", "SMD", r=0.2).set_index("study")
    hi = review.effect_sizes("pain", "SMD", r=0.8).set_index("study")
    assert lo.loc["younger2013", "vi"] > hi.loc["younger2013", "vi"]
    assert lo.loc["due_bruun2024", "vi"] == hi.loc["due_bruun2024", "vi"]


def test_studies_that_cannot_contribute_say_why(review):
    frame = review.effect_sizes("pain", "SMD")
    out = frame[~frame["included"]]
    assert set(out["study"]) >= {"parkitny2017", "siembida2022"}
    assert out["reason"].str.len().min() > 10
    assert frame.loc[frame["included"], "source"].str.len().min() > 8


def test_every_study_with_pain_or_fiq_gets_an_effect_or_a_reason(review):
    for outcome in ("pain", "fiq"):
        for measure in ("SMD", "MD"):
            frame = review.effect_sizes(outcome, measure)
            assert ((frame["included"] & frame["yi"].notna()) | frame["reason"].notna()).all()


def test_md_keeps_one_scale(review):
    frame = review.effect_sizes("pain", "MD")
    assert frame.attrs["scale"] == "0-10"
    assert "bested2023" not in set(frame.loc[frame["included"], "study"])  # SPIR range not recorded


def test_analysis_pools_the_table(review):
    a = review.analyse("pain")
    t = a.table
    res = le.meta_analysis(t["yi"], t["vi"], method="REML", test="knha")
    assert a.overall.estimate == pytest.approx(res.estimate, rel=1e-12)
    assert a.overall.pi_high == pytest.approx(res.pi_high, rel=1e-12)
    assert t["weight"].sum() == pytest.approx(100)
    assert list(a.subgroups) == ["Parallel RCTs", "Crossover trials"]
    sub = le.subgroup_analysis(t["yi"], t["vi"], t["group"], method="REML", test="knha")
    assert a.subgroup_test[2] == pytest.approx(sub.q_between_pvalue, rel=1e-12)
    for name, r in a.subgroups.items():
        assert r.estimate == pytest.approx(sub.subgroups[name].estimate, rel=1e-12)


def test_defaults_are_stated(review):
    a = review.analyse("pain")
    text = str(a)
    for words in ("REML", "Hartung-Knapp", "Q-profile", "prediction interval", "r = 0.5",
                  "Test for subgroup differences", "not pooled"):
        assert words in text
    assert a.settings in str(a)


@pytest.mark.parametrize("by", ["design", "line_of_therapy", "randomized", "blinding", "source", "none"])
def test_every_subgrouping_runs(review, by):
    a = review.analyse("pain", by=by)
    assert a.k == len(a.rows)
    assert not np.isnan(a.overall.estimate)


def test_exclude_and_secondary(review):
    full = review.analyse("symptom_severity")
    prim = review.analyse("symptom_severity", include_secondary=False)
    assert prim.k < full.k
    assert "secondary" in prim.not_pooled.set_index("study").loc["younger2009", "reason"]
    ex = review.analyse("pain", exclude=["younger2013"])
    assert ex.k == review.analyse("pain").k - 1


def test_bad_requests_raise_review_error(review):
    with pytest.raises(ReviewError, match="unknown outcome"):
        review.analyse("happiness")
    with pytest.raises(ReviewError, match="no study with id 'nobody'"):
        review.analyse("pain", exclude=["nobody"])
    with pytest.raises(ReviewError, match="choose one of"):
        review.analyse("pain", by="colour")


def test_k1_analysis_notes_the_switch_to_z(review):
    a = review.analyse("fiq")
    assert a.k == 1
    assert any("k = 1" in n for n in a.notes)


def test_to_dict_is_json(review):
    import json

    d = review.analyse("pain").to_dict()
    json.dumps(d)
    assert d["results"][-1]["group"] == "Overall"
    assert all(s["source"] for s in d["studies"])


def test_sensitivity_rows_are_the_analyses_they_name(review):
    sens = review.sensitivity("pain")
    rows = {(r["family"], r["analysis"]): r for r in sens.rows}
    primary = review.analyse("pain", by="none").overall
    assert sens.rows[0]["estimate"] == pytest.approx(primary.estimate, rel=1e-12)
    t = review.analyse("pain").table
    for est in ("DL", "PM", "EB", "ML", "HE", "HS", "SJ", "EE"):
        ref = le.meta_analysis(t["yi"], t["vi"], method=est, test="z")  # tau² does not depend on the test
        assert rows[("tau² estimator", est)]["tau2"] == pytest.approx(ref.tau2, rel=1e-9, abs=1e-12)
    z = le.meta_analysis(t["yi"], t["vi"], method="REML", test="z")
    assert rows[("Test and CI", "Wald z")]["ci_low"] == pytest.approx(z.ci_low, rel=1e-12)
    assert rows[("Within-person r", "r = 0.8")]["estimate"] == pytest.approx(
        review.analyse("pain", r=0.8).overall.estimate, rel=1e-12)
    assert rows[("Line of therapy", "First-line use only")]["k"] == 0
    # INNOVA only: Due Bruun 2024's change-score SMD is not pooled with final-value SMDs (Handbook 10.5.2)
    assert rows[("Studies", "Parallel RCTs only")]["k"] == 1
    assert rows[("SMD of change scores", "Change and final SMDs combined")]["k"] == 4
    fig = sens.forest()
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)


def test_binary_outcomes_from_parallel_event_counts(review):
    """RR from events, as metafor escalc('RR'): log((a/n1)/(c/n2)), v = 1/a - 1/n1 + 1/c - 1/n2."""
    es = review.effect_sizes("adverse_events").set_index("study")
    row = es.loc["due_bruun2024"]  # 41/49 vs 43/50 (news summary of the paper)
    assert row["yi"] == pytest.approx(math.log((41 / 49) / (43 / 50)), rel=1e-12)
    assert row["vi"] == pytest.approx(1 / 41 - 1 / 49 + 1 / 43 - 1 / 50, rel=1e-12)
    assert row["secondary"]
    innova = es.loc["rodriguezfreire_innova"]  # 33/48 vs 36/50 (abstract)
    assert innova["yi"] == pytest.approx(math.log((33 / 48) / (36 / 50)), rel=1e-12)
    assert "crossover" in es.loc["younger2013", "reason"]
    assert "no comparator" in es.loc["metyas2018", "reason"]


def test_binary_events_recovered_from_percentages_only_when_unique(review):
    es = review.effect_sizes("responders_30").set_index("study")
    row = es.loc["due_bruun2024"]  # 45% of 49 and 28% of 50: only 22/49 and 14/50 give those percentages
    assert row["yi"] == pytest.approx(math.log((22 / 49) / (14 / 50)), rel=1e-12)
    assert "the only count giving the reported 45%" in row["assumptions"]


def test_zero_cell_gets_half_added_as_metafor(review):
    es = review.effect_sizes("serious_adverse_events", measure="RR").set_index("study")
    row = es.loc["due_bruun2024"]  # 0/49 vs 1/50 -> 0.5/50 vs 1.5/51
    assert row["yi"] == pytest.approx(math.log((0.5 / 50) / (1.5 / 51)), rel=1e-12)
    assert row["vi"] == pytest.approx(1 / 0.5 - 1 / 50 + 1 / 1.5 - 1 / 51, rel=1e-12)


def test_ratio_results_are_shown_back_transformed(review):
    a = review.analyse("adverse_events")
    assert a.measure == "RR"
    line = a.one_line()
    assert f"{math.exp(a.overall.estimate):.2f}" in line
    assert a.summary_rows()[-1]["estimate_rr"] == pytest.approx(math.exp(a.overall.estimate))
    fig = a.forest()
    texts = {t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))}
    assert "0.97 [0.82, 1.15]" in texts  # FINAL's RR and CI as the reader reads them
    assert "RR [95% CI]" in texts


def test_measure_must_fit_the_outcome(review):
    with pytest.raises(ReviewError, match="does not fit a binary outcome"):
        review.analyse("adverse_events", measure="SMD")
    with pytest.raises(ReviewError, match="does not fit a continuous outcome"):
        review.analyse("pain", measure="RR")


def test_tag_restricts_to_the_seed_reviews_articles(review):
    seed = review.analyse("symptom_severity", tags=["carvalho_skare_2023"])
    tagged = {s.id for s in review if "carvalho_skare_2023" in s.tags}
    assert {row["study"] for row in seed.rows} <= tagged
    assert {row["study"] for row in seed.not_pooled_rows} <= tagged
    assert any("carvalho_skare_2023" in n for n in seed.notes)
    with pytest.raises(ReviewError, match="no study has the tag"):
        review.analyse("pain", tags=["no_such_tag"])


def _crossover_record(p_value_df=None):
    """A two-condition crossover of 20 people reporting only percent changes and a p-value."""
    from ldn_evidence.records import StudyRecord

    block = {"form": "percent_change", "arms": [{"arm": "ldn", "percent": -30.0}, {"arm": "placebo", "percent": -10.0}],
             "p_value": 0.02, "source": "DOI 10.1000/x.2020, abstract"}
    if p_value_df is not None:
        block["p_value_df"] = p_value_df
    return StudyRecord.model_validate({
        "id": "x2020", "citation": {"authors": ["X A"], "year": 2020, "title": "A crossover"},
        "doi": "10.1000/x.2020", "design": "crossover_rct", "randomized": True, "blinding": "double",
        "population": {"n_randomized": 20, "n_analysed": 20, "source": "DOI 10.1000/x.2020, abstract"},
        "intervention": {"dose_mg_per_day": 4.5, "source": "DOI 10.1000/x.2020, abstract"},
        "comparator": "placebo", "line_of_therapy": "unknown",
        "outcomes": [{"outcome": "pain", "timepoint": "end of each condition", "contrast": "ldn_vs_placebo",
                      "scale": {"min": 0, "max": 100, "lower_is_better": True}, "data": [block]}]})


def test_crossover_p_value_is_used_only_as_a_paired_t_on_the_participants():
    """A p-value becomes dz = t(n-1) / sqrt(n) (then d = dz * sqrt(2(1 - r)), Hedges' J) when its
    test's error df are not stated or are n - 1; a reported df that is not n - 1 (a test on
    repeated reports, as Younger 2013's F(1,101) on 31 women) means no effect is derived."""
    from ldn_evidence.effects.from_records import effect_for_outcome

    n, r = 20, 0.5
    dz = -stats.t.ppf(1 - 0.02 / 2, n - 1) / math.sqrt(n)
    g = _hedges_j(n - 1) * dz * math.sqrt(2 * (1 - r))
    for df in (None, n - 1):
        rec = _crossover_record(df)
        eff = effect_for_outcome(rec, rec.outcomes[0], "SMD", r=r)
        assert eff.estimable and eff.yi == pytest.approx(g, rel=1e-10), df
    rec = _crossover_record(101)
    eff = effect_for_outcome(rec, rec.outcomes[0], "SMD", r=r)
    assert not eff.estimable
    assert "101 error df" in eff.reason and "paired t-test on the 20 participants" in eff.reason
