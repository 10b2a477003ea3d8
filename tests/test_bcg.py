"""The bundled BCG review (data/reviews/bcg): the 13 BCG vaccine trials of Colditz et al. (1994)
reproduce metafor 3.8 (tests/reference/bcg/make_reference.R -> metafor_bcg.json) through the
review layer, and every command runs on it."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import ldn_evidence as le
from ldn_evidence.cli import main

REF = json.loads((Path(__file__).parent / "reference" / "bcg" / "metafor_bcg.json").read_text())
REL = 1e-6


def close(a, b, rel=REL, abs_=1e-9):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


@pytest.fixture(scope="module")
def bcg():
    return le.load_studies("bcg")


def test_the_thirteen_trials_give_metafors_log_risk_ratios(bcg):
    es = bcg.effect_sizes()
    assert len(es) == 13 and es["included"].all()
    by_label = {row["label"]: row for _, row in es.iterrows()}
    for t in REF["trials"]:
        row = by_label[f"{t['author']} {t['year']}"]
        assert close(row["yi"], t["yi"]) and close(row["vi"], t["vi"]), row["label"]
        assert row["path"] == "per-arm event counts"


@pytest.mark.parametrize("key,method,test", [("reml_z", "REML", "z"), ("reml_knha", "REML", "knha"),
                                             ("dl_z", "DL", "z")])
def test_pooled_log_risk_ratio_matches_metafor(bcg, key, method, test):
    ref = REF["rr"][key]
    res = bcg.analyse(method=method, test=test, by="none").overall
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                         ("pvalue", "pvalue"), ("tau2", "tau2"), ("i2", "i2"), ("q", "q"),
                         ("tau2_ci_low", "tau2_ci_low"), ("tau2_ci_high", "tau2_ci_high"),
                         ("pi_low", "pi_low"), ("pi_high", "pi_high")):
        assert close(getattr(res, ours), ref[theirs]), (ours, getattr(res, ours), ref[theirs])


def test_the_issues_numbers(bcg):
    """Issue 16: pooled log RR (REML, z) -0.7145, 95% CI -1.0669 to -0.3622, tau² 0.3132."""
    res = bcg.analyse(method="REML", test="z", by="none").overall
    assert (round(res.estimate, 4), round(res.ci_low, 4), round(res.ci_high, 4), round(res.tau2, 4)) == (
        -0.7145, -1.0669, -0.3622, 0.3132)


@pytest.mark.parametrize("measure,key", [("OR", "or_reml_z"), ("RD", "rd_reml_z")])
def test_other_measures_match_metafor(bcg, measure, key):
    res = bcg.analyse(measure=measure, method="REML", test="z", by="none").overall
    assert close(res.estimate, REF[key]["estimate"]) and close(res.tau2, REF[key]["tau2"])
    assert close(res.ci_low, REF[key]["ci_low"]) and close(res.ci_high, REF[key]["ci_high"])


@pytest.mark.parametrize("mods,key", [("ablat", "ablat"), ("alloc", "alloc"), (["ablat", "year"], None)])
def test_meta_regression_on_the_protocols_moderators_matches_metafor(bcg, mods, key):
    if key is None:  # year is not a moderator of the protocol: refused with the declared ones
        with pytest.raises(le.review.ReviewError, match="unknown moderator 'year'.*ablat, alloc"):
            bcg.meta_regression(mods)
        return
    ref = REF["regression"][key]
    fit = bcg.meta_regression(mods)
    assert fit.names[1:] == ref["names"][1:]      # metafor: intrcpt, ablat / allocalternate, allocsystematic
    for ours, theirs in zip(fit.coef, ref["coef"]):
        assert close(ours, theirs)
    for ours, theirs in zip(fit.se, ref["se"]):
        assert close(ours, theirs)
    for name in ("tau2", "qm", "qm_pvalue", "qe", "qe_pvalue", "r2", "i2"):
        assert close(getattr(fit, name), ref[name]), name


def test_subgroups_by_allocation_match_metafor(bcg):
    a = bcg.analyse(by="alloc", method="REML", test="z")
    ref = REF["subgroups_alloc"]
    assert list(a.subgroups) == ["random", "alternate", "systematic"]   # the protocol's order of levels
    for name, res in a.subgroups.items():
        g = ref["groups"][name]
        assert res.k == g["k"] and close(res.estimate, g["estimate"]) and close(res.tau2, g["tau2"])
        assert close(res.ci_low, g["ci_low"]) and close(res.ci_high, g["ci_high"])
    q, df, p = a.subgroup_test
    assert close(q, ref["q_between"]) and df == ref["q_between_df"] and close(p, ref["q_between_pvalue"])


def test_moderators_table(bcg):
    m = bcg.moderators()
    assert list(m.columns) == ["study", "label", "year", "ablat", "alloc"]
    assert m.set_index("label").loc["Aronson 1948", "ablat"] == 44


def test_binary_tsa_uses_wetterslevs_information_size(bcg):
    """RIS = 4 (z_0.975 + z_0.8)^2 P(1 - P) / (Pc - Pe)^2 with Pc the pooled control risk of the
    randomized trials, Pe = Pc (1 - RRR), P = (Pc + Pe) / 2 (Wetterslev et al. 2008)."""
    from scipy.stats import norm

    from ldn_evidence.review.tsa import trial_sequential_analysis

    res = trial_sequential_analysis(bcg, mird=0.3)
    trials = [s for s in bcg.studies if s.randomized]
    control = [next(a for a in s.outcomes[0].data[0].arms if a.arm == "control") for s in trials]
    pc = sum(a.events for a in control) / sum(a.n for a in control)
    pe = pc * 0.7
    p = (pc + pe) / 2
    ris = 4 * (norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * p * (1 - p) / (pc - pe) ** 2
    assert close(res.ris.ris, ris, rel=1e-9)
    assert res.favours == ("Favours BCG", "Favours control")
    assert list(res.steps["label"]) == [s.label for s in sorted(trials, key=lambda s: (s.citation.year, s.label))]
    assert (res.steps["z"].iloc[0] > 0) == (res.steps["estimate"].iloc[0] < 0)   # fewer cases: positive Z


@pytest.mark.parametrize("args", [
    ["forest"], ["forest", "--by", "alloc", "--measure", "OR"], ["summary", "--format", "json"],
    ["sensitivity", "--format", "csv"], ["cumulative"], ["tsa", "--mird", "0.3"], ["prisma"], ["studies"],
    ["validate"], ["export", "--format", "ris"], ["export", "--format", "bibtex"], ["export", "--format", "csv"],
])
def test_every_command_runs_on_the_bcg_review(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["--studies", "bcg"] + args)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output


def test_summary_json_of_bcg_is_metafors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["--studies", "bcg", "summary", "--by", "none", "--test", "z", "--format", "json"])
    overall = json.loads(res.stdout)["results"][-1]
    assert close(overall["estimate"], REF["rr"]["reml_z"]["estimate"])
    assert close(overall["estimate_rr"], math.exp(REF["rr"]["reml_z"]["estimate"]))


def test_bcg_file_ships_with_the_package():
    from ldn_evidence.records import bundled_reviews

    assert bundled_reviews()["bcg"].name == "studies.yaml"
    assert le.load_studies("bcg").protocol.intervention.label == "BCG"
