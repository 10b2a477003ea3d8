"""The GRADE rules on constructed cases, each at its thresholds, and the absolute effects by hand.

Every rule is a deterministic function of plain numbers (ldn_evidence.review.grade_rules), so
each is checked just below, at and just above the threshold its docstring states. Absolute
effects and information sizes are checked against arithmetic written out here from the formulas'
sources (Cochrane Handbook 14.1.5, 15.4.4, 15.5.3; GRADE guidelines 6; Wetterslev et al. 2008),
with the normal quantiles from published tables (z 0.975 = 1.959964, z 0.80 = 0.841621).
"""
from __future__ import annotations

import math

import pytest

from ldn_evidence.review import grade_rules as g

Z975 = 1.959964   # standard normal quantiles (any table; Abramowitz & Stegun 26.2)
Z80 = 0.841621
EPS = 1e-9


# ---------------------------------------------------------------------------------------------
# starting level


def test_start_high_for_randomized_low_for_nonrandomized():
    assert g.starting_level([True, True, True]).judgement == "high"
    assert g.starting_level([False, False]).judgement == "low"


@pytest.mark.parametrize("share, level", [(0.5, "high"), (0.5 - 1e-6, "low"), (0.9, "high")])
def test_mixed_body_starts_where_half_the_weight_is(share, level):
    assert g.starting_level([True, False], [share, 1 - share]).judgement == level


def test_start_refuses_an_empty_body():
    with pytest.raises(ValueError, match="no studies"):
        g.starting_level([])


# ---------------------------------------------------------------------------------------------
# risk of bias


@pytest.mark.parametrize("low, judgement", [(0.75, "not_serious"), (0.75 - 1e-6, "serious"), (1.0, "not_serious")])
def test_rob_serious_below_three_quarters_low(low, judgement):
    r = g.rate_risk_of_bias([low, 1 - low], ["low", "some_concerns"])
    assert r.judgement == judgement
    assert r.data["low"] == pytest.approx(low)


@pytest.mark.parametrize("high, judgement", [(0.5, "very_serious"), (0.5 - 1e-6, "serious")])
def test_rob_very_serious_from_half_high(high, judgement):
    assert g.rate_risk_of_bias([high, 1 - high], ["high", "low"]).judgement == judgement


def test_rob_categories_of_both_tools_and_unassessed_studies():
    assert [g.rob_category(j) for j in ("low", "some_concerns", "high", "moderate", "serious", "critical",
                                        "no_information", None)] == \
        ["low", "concerns", "high", "concerns", "high", "high", "concerns", "concerns"]
    r = g.rate_risk_of_bias([1, 1, 1, 1], ["serious", "critical", "low", None])
    assert r.judgement == "very_serious" and r.data == {"low": 0.25, "concerns": 0.25, "high": 0.5}


def test_rob_weights_are_shares_of_any_scale():
    a = g.rate_risk_of_bias([22, 78], ["low", "some_concerns"])
    b = g.rate_risk_of_bias([0.22, 0.78], ["low", "some_concerns"])
    assert a == b and "22% of the weight" in a.reason


def test_rob_refuses_bad_weights():
    with pytest.raises(ValueError):
        g.rate_risk_of_bias([0, 0], ["low", "low"])
    with pytest.raises(ValueError):
        g.rate_risk_of_bias([1, float("nan")], ["low", "low"])
    with pytest.raises(ValueError, match="one judgement per weight"):
        g.rate_risk_of_bias([1, 1], ["low"])


# ---------------------------------------------------------------------------------------------
# inconsistency

T = (-0.5, 0.5)


def test_one_study_is_not_assessable():
    r = g.rate_inconsistency(1, 0.0)
    assert r.judgement == "not_serious" and "cannot be assessed" in r.reason


@pytest.mark.parametrize("i2, judgement", [(50.0, "serious"), (50.0 - 1e-6, "not_serious")])
def test_i2_threshold_with_estimates_on_both_sides(i2, judgement):
    r = g.rate_inconsistency(4, i2, estimates=[-0.8, -0.1, 0.1, 0.2], thresholds=T, q_pvalue=0.5)
    assert r.judgement == judgement


@pytest.mark.parametrize("p, judgement", [(0.10 - 1e-9, "serious"), (0.10, "not_serious")])
def test_heterogeneity_test_threshold(p, judgement):
    assert g.rate_inconsistency(4, 20.0, estimates=[-0.8, 0.1], thresholds=T, q_pvalue=p).judgement == judgement


def test_heterogeneity_that_does_not_cross_a_threshold_is_not_serious():
    r = g.rate_inconsistency(4, 70.0, estimates=[-0.45, 0.2, -0.3, 0.0], thresholds=T, q_pvalue=0.01)
    assert r.judgement == "not_serious" and "does not change the conclusion" in r.reason
    # without MID thresholds the null is the threshold: the same estimates now differ
    assert g.rate_inconsistency(4, 70.0, estimates=[-0.45, 0.2], q_pvalue=0.01).judgement == "serious"


@pytest.mark.parametrize("i2, estimates, judgement", [
    (75.0, [-0.9, 0.8, 0.0], "very_serious"),
    (75.0 - 1e-6, [-0.9, 0.8, 0.0], "serious"),
    (90.0, [-0.9, -0.7, 0.2], "serious"),          # important benefit and trivial, no important harm
])
def test_very_serious_needs_important_effects_both_ways(i2, estimates, judgement):
    assert g.rate_inconsistency(3, i2, estimates=estimates, thresholds=T).judgement == judgement


@pytest.mark.parametrize("p, judgement", [(0.0999, "serious"), (0.10, "not_serious")])
def test_subgroup_differences(p, judgement):
    assert g.rate_inconsistency(4, 0.0, estimates=[-0.1, 0.1], thresholds=T,
                                subgroup_pvalue=p).judgement == judgement


def test_inconsistency_reason_reports_i2_ci_and_prediction_interval():
    r = g.rate_inconsistency(4, 49.2, estimates=[-0.2], i2_ci=(0.0, 96.9), pi=(-0.83, 0.55), thresholds=T,
                             label="SMD")
    assert "I² = 49% (95% CI 0% to 97%)" in r.reason
    assert "prediction interval (SMD -0.83 to 0.55) reaches past both MID thresholds" in r.reason
    assert "does not rule out substantial heterogeneity" in r.reason


# ---------------------------------------------------------------------------------------------
# imprecision


def test_ci_crossing_both_thresholds_is_very_serious():
    r = g.rate_imprecision(0.0, -0.6, 0.6, thresholds=T)
    assert r.judgement == "very_serious" and r.levels == -2 and r.data["crossed"] == 2


@pytest.mark.parametrize("lo, judgement", [(-0.5 - 1e-9, "serious"), (-0.5, "not_serious")])
def test_ci_crossing_one_threshold(lo, judgement):
    # a CI limit exactly at the threshold does not cross it
    assert g.rate_imprecision(-0.1, lo, 0.3, thresholds=T, n=500, ois=100).judgement == judgement


@pytest.mark.parametrize("n, judgement", [(125, "serious"), (126, "not_serious")])
def test_information_size_when_the_ci_crosses_nothing(n, judgement):
    r = g.rate_imprecision(-0.1, -0.3, 0.1, thresholds=T, n=n, ois=125.58)
    assert r.judgement == judgement
    if judgement == "serious":
        assert "fewer than the optimal information size (126)" in r.reason


def test_without_an_mid_the_null_is_the_threshold():
    assert g.rate_imprecision(-0.3, -0.6, 0.1).judgement == "serious"
    r = g.rate_imprecision(-0.3, -0.6, -0.05)
    assert r.judgement == "not_serious" and "excludes no effect" in r.reason


def test_ci_beyond_a_threshold_is_precise():
    r = g.rate_imprecision(-0.9, -1.2, -0.6, thresholds=T, n=1000, ois=126)
    assert r.judgement == "not_serious" and "beyond the MID threshold" in r.reason


def test_ratio_thresholds_of_grade_6():
    lo, hi = math.log(0.75), math.log(1.25)
    r = g.rate_imprecision(math.log(0.968), math.log(0.87), math.log(1.08), thresholds=(lo, hi), n=197, ois=172,
                           fmt=lambda v: f"{math.exp(v):.2f}", label="RR")
    assert r.judgement == "not_serious"
    assert "(RR 0.87 to 1.08) lies within the MID thresholds (RR 0.75 and 1.25)" in r.reason


def test_thresholds_must_bracket_the_null():
    with pytest.raises(ValueError, match="both sides"):
        g.rate_imprecision(0.1, 0.0, 0.2, thresholds=(0.05, 0.5))


# ---------------------------------------------------------------------------------------------
# publication bias


@pytest.mark.parametrize("k, p, judgement", [
    (9, 0.001, "not_serious"),      # too few studies for a funnel-plot test: not used
    (10, 0.0999, "serious"),
    (10, 0.10, "not_serious"),
])
def test_egger_only_from_ten_studies(k, p, judgement):
    r = g.rate_publication_bias(k, egger_pvalue=p)
    assert r.judgement == judgement
    if k < 10:
        assert "not assessable from the funnel plot" in r.reason


def test_registry_evidence_of_unpublished_results():
    r = g.rate_publication_bias(3, unpublished=["NCT00000001"], unclear=["NCT00000002 (status unknown)"])
    assert r.judgement == "serious" and "NCT00000001" in r.reason
    r = g.rate_publication_bias(3, unclear=["NCT00000002 (status unknown)"])
    assert r.judgement == "not_serious" and "not counted" in r.reason


# ---------------------------------------------------------------------------------------------
# indirectness


@pytest.mark.parametrize("share, judgement", [(0.25, "serious"), (0.25 - 1e-6, "not_serious")])
def test_indirectness_serious_from_a_quarter_flagged(share, judgement):
    r = g.rate_indirectness([share, 1 - share], [{"comparator: usual care"}, set()], labels=["A", "B"])
    assert r.judgement == judgement and ("A (comparator: usual care)" in r.reason)


@pytest.mark.parametrize("share, judgement", [(0.5, "very_serious"), (0.5 - 1e-6, "serious")])
def test_indirectness_very_serious_from_half_doubly_indirect(share, judgement):
    flags = [{"population: mixed", "comparator: usual care"}, set()]
    assert g.rate_indirectness([share, 1 - share], flags).judgement == judgement


def test_two_flags_of_one_kind_are_one_kind():
    flags = [{"population: mixed cohort", "population: adolescents"}, set()]
    assert g.rate_indirectness([0.9, 0.1], flags).judgement == "serious"


def test_direct_evidence():
    r = g.rate_indirectness([1, 2], [set(), set()])
    assert r.judgement == "not_serious" and "as in the protocol" in r.reason


# ---------------------------------------------------------------------------------------------
# upgrading: proposals only


@pytest.mark.parametrize("rr, judgement", [(0.5, "none"), (0.49, "one_level"), (2.01, "one_level"),
                                           (0.2, "one_level"), (0.19, "two_levels"), (5.01, "two_levels")])
def test_large_effect_thresholds_of_grade_9(rr, judgement):
    lo, hi = (rr * 0.8, rr * 0.95) if rr < 1 else (rr * 1.05, rr * 1.2)
    r = g.propose_large_effect(math.log(rr), math.log(lo), math.log(hi), ratio=True, start="low")
    assert r.judgement == judgement


def test_large_effect_needs_a_ci_excluding_no_effect_and_a_low_start():
    assert g.propose_large_effect(math.log(0.3), math.log(0.05), math.log(1.2), ratio=True,
                                  start="low").judgement == "none"
    assert g.propose_large_effect(math.log(0.3), math.log(0.2), math.log(0.4), ratio=True,
                                  start="high").judgement == "none"
    assert g.propose_large_effect(math.log(0.3), math.log(0.2), math.log(0.4), ratio=True, start="low",
                                  rob_downgraded=True).judgement == "none"
    assert g.propose_large_effect(-2.0, -2.5, -1.5, ratio=False, start="low").judgement == "none"


@pytest.mark.parametrize("slope, p, judgement", [(-0.2, 0.0499, "one_level"), (-0.2, 0.05, "none"),
                                                 (0.2, 0.001, "none"), (None, None, "none")])
def test_dose_response_proposal(slope, p, judgement):
    assert g.propose_dose_response(slope, p, benefit_sign=-1, start="low", k=4).judgement == judgement


def test_upgrade_levels():
    assert g.Rating("large_effect", "two_levels", "").levels == 2
    assert g.Rating("imprecision", "very_serious", "").levels == -2


# ---------------------------------------------------------------------------------------------
# certainty


@pytest.mark.parametrize("start, down, up, level", [
    ("high", [], [], "high"),
    ("high", ["serious"], [], "moderate"),
    ("high", ["serious", "serious"], [], "low"),
    ("high", ["very_serious", "serious"], [], "very_low"),
    ("high", ["very_serious", "very_serious"], [], "very_low"),   # never below very low
    ("low", [], ["one_level"], "moderate"),
    ("low", [], ["two_levels", "one_level"], "high"),             # never above high
    ("low", ["serious"], [], "very_low"),
])
def test_certainty_arithmetic(start, down, up, level):
    assert g.certainty(start, down, up) == level


# ---------------------------------------------------------------------------------------------
# information sizes, by hand


def test_ois_continuous_is_the_tsa_ris_of_one_trial():
    # 4 (z_0.975 + z_0.80)^2 / 0.5^2 (GRADE guidelines 6; Wetterslev 2008)
    assert g.ois_continuous(0.5) == pytest.approx(4 * (Z975 + Z80) ** 2 / 0.25, rel=1e-6)
    assert g.ois_continuous(0.8, sd=2.0) == pytest.approx(4 * (Z975 + Z80) ** 2 * 4 / 0.64, rel=1e-6)


def test_ois_binary_by_hand():
    # control risk 20%, RRR 25%: p_e = 0.15, P = 0.175, 4 z^2 P(1-P) / 0.05^2
    expected = 4 * (Z975 + Z80) ** 2 * 0.175 * 0.825 / 0.05 ** 2
    assert g.ois_binary(0.20) == pytest.approx(expected, rel=1e-6)
    assert round(expected) == 1813
    # control risk 79%, RRR 25% (the LDN adverse-events case): p_e = 0.5925, P = 0.69125
    expected = 4 * (Z975 + Z80) ** 2 * 0.69125 * 0.30875 / (0.79 - 0.5925) ** 2
    assert g.ois_binary(0.79) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        g.ois_binary(0.0)
    with pytest.raises(ValueError):
        g.ois_binary(0.3, rrr=1.0)


# ---------------------------------------------------------------------------------------------
# absolute effects, by hand (Cochrane Handbook 14.1.5, 15.4.4, 15.5.3)


def test_median_control_risk():
    assert g.median_control_risk([43, 36], [50, 50]) == pytest.approx((0.86 + 0.72) / 2)
    assert g.median_control_risk([1, 5, 9], [10, 10, 10]) == pytest.approx(0.5)


def test_absolute_effect_from_a_risk_ratio():
    # ACR 0.79, RR 0.968 [0.87, 1.08]: per 1,000 = 1000 x 0.79 x RR
    e = g.absolute_effects(0.79, "RR", math.log(0.968), math.log(0.87), math.log(1.08))
    assert e["control"][0] == pytest.approx(790.0)
    assert e["intervention"] == pytest.approx((764.72, 687.3, 853.2))
    assert e["difference"] == pytest.approx((764.72 - 790, 687.3 - 790, 853.2 - 790))


def test_absolute_effect_from_an_odds_ratio():
    # ACR 0.2, OR 2: risk = 2 x 0.2 / (1 - 0.2 + 2 x 0.2) = 0.4 / 1.2
    e = g.absolute_effects(0.2, "OR", math.log(2.0), math.log(1.0), math.log(4.0))
    assert e["intervention"] == pytest.approx((1000 * 0.4 / 1.2, 200.0, 1000 * 0.8 / 1.6))


def test_absolute_effect_from_a_risk_difference():
    e = g.absolute_effects(0.2, "RD", 0.05, -0.01, 0.11)
    assert e["difference"] == pytest.approx((50.0, -10.0, 110.0))


def test_a_risk_ratio_cannot_push_a_risk_above_one():
    assert g.absolute_effects(0.8, "RR", math.log(2), math.log(1.5), math.log(3))["intervention"][0] == 1000.0


def test_smd_reexpressed_with_a_reference_sd():
    # SMD x SD (Handbook 15.5.3): -0.14 x 1.575 = -0.2205
    assert g.reexpress_smd(-0.14, -0.57, 0.28, 1.575) == pytest.approx((-0.2205, -0.89775, 0.441))
    with pytest.raises(ValueError):
        g.reexpress_smd(0.1, 0, 0.2, 0.0)


# ---------------------------------------------------------------------------------------------
# the plain-language statement (Santesso et al. 2020, Table 2)


@pytest.mark.parametrize("level, size, direction, text", [
    ("high", "large", "reduce", "LDN results in a large reduction in pain."),
    ("high", "important", "reduce", "LDN reduces pain."),
    ("high", "trivial", "reduce", "LDN results in little to no difference in pain."),
    ("moderate", "large", "increase", "LDN likely results in a large increase in pain."),
    ("moderate", "important", "increase", "LDN likely increases pain."),
    ("moderate", "trivial", "reduce", "LDN likely results in little to no difference in pain."),
    ("low", "large", "reduce", "LDN may result in a large reduction in pain."),
    ("low", "important", "reduce", "LDN may reduce pain."),
    ("low", "trivial", "increase", "LDN may result in little to no difference in pain."),
    ("very_low", "important", "reduce", "The evidence is very uncertain about the effect of LDN on pain."),
])
def test_statements(level, size, direction, text):
    assert g.plain_language(level, size, direction, "LDN", "pain") == text


@pytest.mark.parametrize("estimate, size", [(-0.5, "important"), (-0.5 + EPS, "trivial"), (0.5, "important")])
def test_effect_size_at_the_mid(estimate, size):
    assert g.effect_size(estimate, T) == size


def test_statement_refuses_unknown_levels():
    with pytest.raises(ValueError):
        g.plain_language("certain", "trivial", "reduce", "LDN", "pain")
    with pytest.raises(ValueError):
        g.plain_language("low", "trivial", "down", "LDN", "pain")
