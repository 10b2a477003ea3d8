"""Published meta-analyses reconciled with the review (issue 17 items 5-7).

(a) the records: every published analysis validates, their key facts are pinned to the sources
    they name, and a broken record is refused with file:line and field;
(b) the ladder's step (b) by hand: the effects from the records' raw numbers and the
    DerSimonian-Laird fit by its closed form, written out here with numpy/scipy, for the SMD
    ladders (Ann Med Surg 2025, Ologunowa 2025, Hegde 2025) and the women-only MD review; the
    other rungs against metafor (tests/reference/reconcile/make_reference.R);
(c) the ladder's logic: one change per rung, the last rung is the review's result, published
    per-trial inputs are used when a record has them, the candidate explanations by hand;
(d) the command line's formats and errors; (e) the figure's structure.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import special, stats

import ldn_evidence as le
from ldn_evidence.cli import main
from ldn_evidence.errors import StudiesFileError
from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside
from ldn_evidence.records import default_studies_path
from ldn_evidence.records.published import PublishedAnalysis
from ldn_evidence.records.yaml import dump_yaml, parse_yaml, plain
from ldn_evidence.review.reconcile import LADDER_COLUMNS, reconcile_review

REF = json.loads((Path(__file__).parent / "reference" / "reconcile" / "metafor_reconcile.json").read_text())
Z = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def review():
    return le.load_studies()


@pytest.fixture(scope="module")
def result(review):
    return reconcile_review(review)


def _ladder(result, aid):
    return next(lad for lad in result.ladders if lad.analysis.id == aid)


def _step(result, aid, code):
    return next(s for s in _ladder(result, aid).steps if s.code == code)


# --------------------------------------------------------------------------------------------
# (a) the records
# --------------------------------------------------------------------------------------------


def test_every_published_analysis_record_validates(review):
    doc = plain(parse_yaml(default_studies_path().read_text(encoding="utf-8"), "studies.yaml"))
    nodes = doc["review"]["published_analyses"]
    assert len(nodes) == len(review.info.published_analyses) == 14
    known = {s.id for s in review.studies}
    for node in nodes:
        a = PublishedAnalysis.model_validate(node)
        assert a.sources, a.id
        for t in a.included.trials:
            assert t.match == "unidentified" or t.match in known, (a.id, t.match)
        for p in a.pooled:
            assert p.source and p.where, (a.id, p.as_reported)
            if p.outcome is not None:
                assert p.outcome in {o.id for o in review.protocol.outcomes}
    assert le.validate_studies() == []


@pytest.mark.parametrize("aid, measure, est, lo, hi, extra", [
    ("vatvani2024", "MD", -0.86, -1.20, -0.51, {"i2": 33, "k": 4}),
    ("annmedsurg2025", "SMD", -0.61, -1.14, -0.08, {}),
    ("ologunowa2025", "SMD", -0.50, -1.19, 0.19, {"i2": 91}),
    ("hegde2025", "SMD", -0.34, -0.62, -0.06, {"p_value": 0.0186, "role": "subgroup"}),
    ("bibliomed_women", "MD", -0.46, -0.85, -0.06, {"p_value": 0.02}),
])
def test_the_pooled_pain_results_as_published(review, aid, measure, est, lo, hi, extra):
    a = {x.id: x for x in review.info.published_analyses}[aid]
    r = a.reconcile_result("pain")
    assert (r.measure, r.estimate, r.ci_low, r.ci_high, r.contrast) == (measure, est, lo, hi, "ldn_vs_placebo")
    for key, value in extra.items():
        assert getattr(r, key) == value


def test_key_facts_of_the_records(review):
    a = {x.id: x for x in review.info.published_analyses}
    v = a["vatvani2024"]
    assert (v.doi, v.pmid, str(v.search.date), v.included.k, v.included.n) == (
        "10.3344/kjp.24202", 39344363, "2024-05-20", 4, 222)
    assert {t.match for t in v.included.trials} == {"due_bruun2024", "bested2023", "younger2013", "ldn_tdcs_bjan2023"}
    assert all(t.confidence == "probable" for t in v.included.trials)
    assert v.commented_by == ["due_bruun2026_letter"] and a["due_bruun2026_letter"].reanalyses == "vatvani2024"
    m = a["annmedsurg2025"]
    assert (m.pmid, m.doi, m.method.tau2_estimator, m.method.software, m.method.ci_method) == (
        40337423, "10.1097/MS9.0000000000003203", "DL", "RevMan 5.4", None)
    assert [(p.role, p.estimate) for p in m.pooled if p.outcome == "pain"] == [("primary", -0.61), ("sensitivity", -0.87)]
    o = a["ologunowa2025"]
    assert o.doi == "10.1080/15360288.2025.2496526" and o.pmid is None and o.included.k == 8
    within = [p for p in o.pooled if p.outcome == "pain" and p.contrast == "pre_post"]
    assert [(p.estimate, p.ci_low, p.ci_high, p.i2) for p in within] == [(-1.03, -1.25, -0.80, 25)]
    assert a["hegde2025"].other_ids == ["PROSPERO CRD42024511451"]
    # nothing was seen of any forest plot: the inputs are empty and the records say what is missing
    assert all(not x.per_trial_inputs for x in a.values())
    assert all(x.missing for x in a.values() if x.kind == "meta_analysis")


def _copy(tmp_path) -> Path:
    p = tmp_path / "studies.yaml"
    shutil.copyfile(default_studies_path(), p)
    return p


def _edit(path: Path, change) -> None:
    doc = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    change(doc)
    path.write_text(dump_yaml(doc), encoding="utf-8")


@pytest.mark.parametrize("change, field, message", [
    (lambda d: d["review"]["published_analyses"][0]["included"]["trials"][0].__setitem__("match", "nosuch2020"),
     "review.published_analyses[0].included.trials[0].match", "no study with id 'nosuch2020'"),
    (lambda d: d["review"]["published_analyses"][2].__setitem__("id", "vatvani2024"),
     "review.published_analyses[2].id", "duplicate published analysis id"),
    (lambda d: d["review"]["published_analyses"][0]["pooled"][0].__setitem__("estimate", -2.0),
     "review.published_analyses[0].pooled[0]", "lies outside its CI"),
    (lambda d: d["review"]["published_analyses"][0]["pooled"][0].pop("ci_low"),
     "review.published_analyses[0].pooled[0]", "give both ci_low and ci_high"),
    (lambda d: d["review"]["published_analyses"][2]["pooled"][1].__setitem__("reconcile", True),
     "review.published_analyses[2]", "more than one pooled result of 'pain' has reconcile: true"),
    (lambda d: d["review"]["published_analyses"][0]["pooled"][0].__setitem__("outcome", "nausea"),
     "review.published_analyses[0].pooled[0].outcome", "not an outcome of the protocol"),
    (lambda d: d["review"]["published_analyses"][1].__setitem__("reanalyses", "nosuch"),
     "review.published_analyses[1].reanalyses", "no published analysis with id 'nosuch'"),
    (lambda d: d["review"]["published_analyses"][0]["pooled"][0].__setitem__("ci_level", 0.95),
     "review.published_analyses[0].pooled[0].ci_level", "percent"),
])
def test_a_broken_record_is_refused_with_file_line_and_field(tmp_path, change, field, message):
    p = _copy(tmp_path)
    _edit(p, change)
    problems = le.validate_studies(p)
    hits = [x for x in problems if x.field == field]
    assert hits, [str(x) for x in problems]
    assert message in hits[0].message and hits[0].line and str(hits[0]).startswith(f"{p}:")
    if field.endswith(".match"):  # the command says the same (once: each reading of the file takes a second)
        r = CliRunner().invoke(main, ["--studies", str(p), "validate"])
        assert r.exit_code == 2 and field in r.output


def test_a_study_published_analyses_name_cannot_be_removed_alone(tmp_path):
    p = _copy(tmp_path)
    _edit(p, lambda d: d["studies"].pop([s["id"] for s in d["studies"]].index("bested2023")))
    with pytest.raises(StudiesFileError) as exc:
        le.load_studies(p)
    assert "no study with id 'bested2023'" in str(exc.value) and "use 'unidentified'" in str(exc.value)


# --------------------------------------------------------------------------------------------
# (b) step (b) by hand, and the other rungs against metafor
# --------------------------------------------------------------------------------------------


def _hedges_j(m: float) -> float:
    """Exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)) (Hedges 1981)."""
    return math.exp(special.gammaln(m / 2) - 0.5 * math.log(m / 2) - special.gammaln((m - 1) / 2))


def _dersimonian_laird(y, v):
    """DL by its closed form: tau² = max(0, (Q - (k - 1)) / (sum w - sum w² / sum w)), Wald z CI."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    w = 1 / v
    q = float((w * (y - (w * y).sum() / w.sum())) @ (y - (w * y).sum() / w.sum()))
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    ws = 1 / (v + tau2)
    mu, se = float((ws * y).sum() / ws.sum()), float(1 / math.sqrt(ws.sum()))
    return mu, mu - Z * se, mu + Z * se, tau2


def _smd_by_hand():
    """The three SMDs the SMD ladders' step (b) pools, from the records' raw numbers, r = 0.5."""
    r = 0.5
    # Due Bruun 2024: per-arm change (95% CI) -> SD = sqrt(n) (hi - lo) / (2 t(0.975, n - 1)); Hedges' g
    s1 = math.sqrt(49) * (-0.8 - -1.7) / (2 * stats.t.ppf(0.975, 48))
    s2 = math.sqrt(50) * (-0.5 - -1.4) / (2 * stats.t.ppf(0.975, 49))
    sp = math.sqrt((48 * s1 ** 2 + 49 * s2 ** 2) / 97)
    g_db = _hedges_j(97) * (-1.3 - -0.9) / sp
    v_db = 1 / 49 + 1 / 50 + g_db ** 2 / (2 * 99)
    # Younger 2013: p = 0.016 as a paired t-test on 28; d = dz sqrt(2(1 - r)); Handbook 23.2.7.3 variance
    n = 28
    dz = -stats.t.ppf(1 - 0.016 / 2, n - 1) / math.sqrt(n)
    g_y = _hedges_j(n - 1) * dz * math.sqrt(2 * (1 - r))
    v_y = (1 / n + g_y ** 2 / (2 * n)) * 2 * (1 - r)
    # Bested 2023: median difference -0.33 with IQR 6.33, n = 58: SD_diff = IQR / eta(n) (Wan 2014)
    n = 58
    eta = 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))
    g_b = _hedges_j(n - 1) * -0.33 / ((6.33 / eta) / math.sqrt(2 * (1 - r)))
    v_b = (1 / n + g_b ** 2 / (2 * n)) * 2 * (1 - r)
    return {"due_bruun2024": (g_db, v_db), "younger2013": (g_y, v_y), "bested2023": (g_b, v_b)}


@pytest.mark.parametrize("aid", ["annmedsurg2025", "ologunowa2025", "hegde2025"])
def test_step_b_of_the_smd_ladders_by_hand(result, aid):
    hand = _smd_by_hand()
    b = _step(result, aid, "b")
    assert (b.measure, b.method, b.test) == ("SMD", "DL", "z")
    assert set(b.study_ids) == set(hand)
    mu, lo, hi, tau2 = _dersimonian_laird(*zip(*(hand[s] for s in b.study_ids)))
    assert b.estimate == pytest.approx(mu, rel=1e-10)
    assert (b.ci_low, b.ci_high, b.tau2) == (pytest.approx(lo, rel=1e-10), pytest.approx(hi, rel=1e-10),
                                             pytest.approx(tau2, rel=1e-10))


def test_step_b_of_the_women_only_md_review_by_hand(result):
    b = _step(result, "bibliomed_women", "b")
    assert (b.measure, b.k, set(b.study_ids)) == ("MD", 2, {"due_bruun2024", "rodriguezfreire_innova"})
    # Due Bruun 2024: MD -0.34 [-0.95, 0.27], SE from the CI (normal quantile);
    # INNOVA: adjusted MD 0.49 with p = 0.236, SE from p with t on 96 df
    se_db = (0.27 - -0.95) / (2 * Z)
    se_in = 0.49 / stats.t.ppf(1 - 0.236 / 2, 96)
    by_study = {"due_bruun2024": (-0.34, se_db ** 2), "rodriguezfreire_innova": (0.49, se_in ** 2)}
    mu, lo, hi, tau2 = _dersimonian_laird(*zip(*(by_study[s] for s in b.study_ids)))
    assert (b.estimate, b.ci_low, b.ci_high, b.tau2) == tuple(pytest.approx(x, rel=1e-10) for x in (mu, lo, hi, tau2))


def test_step_b_of_vatvani_is_the_one_md_this_review_can_compute(result):
    b = _step(result, "vatvani2024", "b")
    # only FINAL reports an MD on a 0-10 scale: k = 1, its own CI (normal quantile)
    se = (0.27 - -0.95) / (2 * Z)
    assert (b.k, b.study_ids) == (1, ["due_bruun2024"])
    assert (b.estimate, b.ci_low, b.ci_high) == (pytest.approx(-0.34), pytest.approx(-0.34 - Z * se),
                                                 pytest.approx(-0.34 + Z * se))
    assert "k = 1" in b.note


def _close(step, ref):
    assert step.study_ids and set(step.study_ids) == set(ref["studies"])
    for key in ("estimate", "ci_low", "ci_high", "tau2"):
        assert getattr(step, key) == pytest.approx(ref[key], rel=1e-6, abs=1e-10), key


@pytest.mark.parametrize("aid", ["annmedsurg2025", "ologunowa2025", "hegde2025", "vatvani2024"])
def test_the_other_rungs_agree_with_metafor(result, aid):
    steps = {s.code: s for s in _ladder(result, aid).steps}
    if aid != "vatvani2024":
        _close(steps["b"], REF["smd_three_dl_z"])
    _close(steps["c"], REF["smd_three_dl_z"])
    _close(steps["d"], REF["smd_all_dl_z"])
    _close(steps["e1"], REF["smd_all_reml_z"])
    _close(steps["e2"], REF["smd_all_reml_adhoc"])
    _close(steps["e3"], REF["smd_final_reml_adhoc"])


def test_step_b_of_the_md_review_agrees_with_metafor(result):
    _close(_step(result, "bibliomed_women", "b"), REF["md_two_dl_z"])


# --------------------------------------------------------------------------------------------
# (c) the ladder's logic
# --------------------------------------------------------------------------------------------


def test_every_ladder_ends_at_this_reviews_result(review, result):
    ours = review.analyse("pain").overall
    for lad in result.ladders:
        last = lad.steps[-1]
        # the same studies and settings, pooled in the ladder's order: equal up to summation order (1e-14)
        assert last.k == ours.k
        assert [last.estimate, last.ci_low, last.ci_high] == pytest.approx([ours.estimate, ours.ci_low, ours.ci_high],
                                                                          rel=1e-14, abs=1e-15)
        assert last.what_changed.endswith("= this review's result")
        assert [s.code for s in lad.steps][:4] == ["a", "b", "c", "d"]


def test_each_rung_names_what_changed_and_by_how_much(result):
    lad = _ladder(result, "vatvani2024")
    s = {x.code: x for x in lad.steps}
    assert s["b"].change == pytest.approx(s["b"].estimate - s["a"].estimate)
    assert math.isnan(s["c"].change) and "measure MD -> SMD" in s["c"].what_changed  # different units
    assert "+ Rodríguez-Freire (INNOVA)" in s["d"].what_changed
    assert "DerSimonian-Laird -> REML" in s["e1"].what_changed
    assert "Wald z -> modified Hartung-Knapp" in s["e2"].what_changed
    assert "set apart" in s["e3"].what_changed and "Due Bruun 2024" in s["e3"].what_changed
    assert any("DerSimonian-Laird assumed" in a for a in s["b"].assumptions)
    amg = _step(result, "annmedsurg2025", "b")
    assert any("RevMan 5.4's random-effects interval, Wald z, assumed" in a for a in amg.assumptions)


def test_the_gap_and_what_would_have_to_be_true(result):
    v = _ladder(result, "vatvani2024")
    assert not v.gap.reproduced and v.gap.delta == pytest.approx(-0.34 - -0.86)
    rest = next(e for e in v.explanations if e.code == "implied_rest")
    # by hand: inverse-variance weights add; the rest carries 1/SE(a)^2 - 1/SE(FINAL)^2
    se_a, se_db = (-0.51 - -1.20) / (2 * Z), (0.27 - -0.95) / (2 * Z)
    w_r = 1 / se_a ** 2 - 1 / se_db ** 2
    est_r = (-0.86 / se_a ** 2 - -0.34 / se_db ** 2) / w_r
    assert (rest.k, rest.estimate) == (3, pytest.approx(est_r)) and rest.ci_high == pytest.approx(est_r + Z / math.sqrt(w_r))
    m = _ladder(result, "annmedsurg2025")
    se_sd = next(e for e in m.explanations if e.code == "se_as_sd")
    # by hand: FINAL's arm SEs (CI width / (2 t)) used as SDs, then the three trials by DL
    h = _smd_by_hand()
    se1 = (-0.8 - -1.7) / (2 * stats.t.ppf(0.975, 48))
    se2 = (-0.5 - -1.4) / (2 * stats.t.ppf(0.975, 49))
    sp = math.sqrt((48 * se1 ** 2 + 49 * se2 ** 2) / 97)
    g = _hedges_j(97) * -0.4 / sp
    h["due_bruun2024"] = (g, 1 / 49 + 1 / 50 + g ** 2 / (2 * 99))
    ids = _step(result, "annmedsurg2025", "b").study_ids
    assert se_sd.estimate == pytest.approx(_dersimonian_laird(*zip(*(h[s] for s in ids)))[0], rel=1e-10)
    sens = next(e for e in m.explanations if e.code == "their_sensitivity")
    assert sens.applies and "-0.87" in sens.what
    codes = {e.code for e in _ladder(result, "ologunowa2025").explanations}
    assert {"se_as_sd", "within_arm", "crossover_as_parallel", "trial_sets"} <= codes


def test_not_reconciled_are_named_with_the_reason(result):
    skipped = {x["analysis"]: x["reason"] for x in result.not_reconciled}
    assert skipped["yang2023"] == "no pooled estimate (systematic review)"
    assert "due_bruun2026_letter" in skipped and len(skipped) == 9
    assert [lad.analysis.id for lad in result.ladders] == ["vatvani2024", "annmedsurg2025", "ologunowa2025",
                                                           "hegde2025", "bibliomed_women"]


def test_published_per_trial_inputs_are_used_and_can_reproduce(tmp_path):
    """A record with its forest plot's rows: (b) pools their inputs, reproduces their estimate, and
    (c) says the inputs were replaced by the review's derivations."""
    p = _copy(tmp_path)
    se1, se2 = 0.30, 0.25
    w = np.array([1 / se1 ** 2, 1 / se2 ** 2])
    y = np.array([-0.9, -0.5])
    mu, lo, hi, _ = _dersimonian_laird(y, 1 / w)

    def add(doc):
        a = doc["review"]["published_analyses"][5]  # the women-only review
        a["per_trial_inputs"] = [
            {"study": "due_bruun2024", "outcome": "pain", "measure": "MD", "yi": -0.9, "se": se1,
             "source": "test fixture (invented numbers)", "where": "Fig. 2"},
            {"study": "younger2013", "outcome": "pain", "measure": "MD", "yi": -0.5, "se": se2,
             "source": "test fixture (invented numbers)", "where": "Fig. 2"}]
        a["pooled"][0].update(estimate=round(float(mu), 2), ci_low=round(float(lo), 2), ci_high=round(float(hi), 2))
        a["included"]["trials"] = [t for t in a["included"]["trials"] if t["match"] in ("due_bruun2024", "younger2013")]
        a["included"]["k"] = 2
    _edit(p, add)
    lad = reconcile_review(le.load_studies(p), analyses=["bibliomed_women"]).ladders[0]
    b, c = lad.steps[1], lad.steps[2]
    assert b.estimate == pytest.approx(mu) and "their published inputs for" in b.what_changed
    assert lad.gap.reproduced and lad.explanations == []
    assert "measure MD -> SMD" in c.what_changed and "their published per-trial inputs" in c.what_changed


def test_review_reconcile_is_the_ladder_frame(review, result):
    frame = review.reconcile()
    assert list(frame.columns) == list(LADDER_COLUMNS)
    assert len(frame) == sum(len(lad.steps) for lad in result.ladders)
    assert frame.loc[frame.step == "a", "estimate"].tolist() == [-0.86, -0.61, -0.50, -0.34, -0.46]


# --------------------------------------------------------------------------------------------
# (d) the command line
# --------------------------------------------------------------------------------------------


def test_cli_text_json_csv(tmp_path):
    run = CliRunner().invoke
    text = run(main, ["reconcile"])
    assert text.exit_code == 0, text.output
    for words in ("Vatvani 2024", "gap a -> b: not reproduced", "what would have to be true",
                  "an arm's standard error used as its SD", "Not reconciled"):
        assert words in text.output
    js = run(main, ["reconcile", "--format", "json", "--analysis", "vatvani2024,hegde2025"])
    assert js.exit_code == 0
    data = json.loads(js.output, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert [lad["analysis"] for lad in data["ladders"]] == ["vatvani2024", "hegde2025"]
    assert data["provenance"]["studies_sha256"] and data["ladders"][0]["steps"][0]["estimate"] == -0.86
    csv = run(main, ["reconcile", "--format", "csv"])
    assert csv.exit_code == 0 and csv.output.splitlines()[0] == ",".join(LADDER_COLUMNS)
    out = tmp_path / "ladders.png"
    plot = run(main, ["reconcile", "--format", "csv", "--plot", str(out)])
    assert plot.exit_code == 0 and out.stat().st_size > 10_000


@pytest.mark.parametrize("args, message", [
    (["reconcile", "--analysis", "nosuch"], "no published analysis with id 'nosuch'"),
    (["reconcile", "--plot", "x.gif"], ".gif is not a figure format"),
    (["reconcile", "--outcome", "fiq"], "nothing to reconcile"),
    (["--studies", "bcg", "reconcile"], "nothing to reconcile"),
])
def test_cli_refuses_with_one_message(args, message):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


# --------------------------------------------------------------------------------------------
# (e) the figure
# --------------------------------------------------------------------------------------------


def test_the_figure_shows_the_ladders_side_by_side(result):
    fig = result.plot(title="Published meta-analyses reconciled")
    ladders = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("ladder-")]
    assert [ax.get_gid() for ax in ladders] == [f"ladder-{lad.analysis.id}" for lad in result.ladders]
    for ax, lad in zip(ladders, result.ladders):
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == [f"{s.code}  {s.name}" for s in lad.steps]
        assert sum(1 for line in ax.lines if line.get_gid() == "estimate") == len(lad.steps)
    assert ladders[0].get_xlabel() == "MD: a-b; SMD (Hedges' g): c-e3"   # the measure stays on the axis
    assert ladders[1].get_xlabel() == "SMD (Hedges' g)"
    for dpi in (100, 150):  # the layout is redone at each resolution (savefig's dpi)
        fig.set_dpi(dpi)
        assert not overlapping_texts(fig), describe(t for pair in overlapping_texts(fig) for t in pair)
        assert not texts_outside(fig), describe(texts_outside(fig))
    assert fig.provenance["studies_sha256"] == result.studies_sha256


def test_a_stated_method_is_used_and_only_what_differs_becomes_a_rung(tmp_path):
    p = _copy(tmp_path)

    def state(doc):
        m = doc["review"]["published_analyses"][2]["method"]  # Ann Med Surg 2025
        m["tau2_estimator"], m["ci_method"] = "REML", "knha"
    _edit(p, state)
    review = le.load_studies(p)
    lad = reconcile_review(review, analyses=["annmedsurg2025"]).ladders[0]
    b = lad.steps[1]
    assert (b.method, b.test, b.assumptions) == ("REML", "knha", [])
    ref = le.meta_analysis([r["yi"] for r in REF["effects"]["smd"][:3]], [r["vi"] for r in REF["effects"]["smd"][:3]],
                           method="REML", test="knha")
    assert b.estimate == pytest.approx(ref.estimate, rel=1e-12) and b.ci_low == pytest.approx(ref.ci_low, rel=1e-12)
    e = [s for s in lad.steps if s.code.startswith("e")]
    assert [s.code for s in e] == ["e1", "e2"]
    assert "Hartung-Knapp -> modified Hartung-Knapp" in e[0].what_changed and "set apart" in e[1].what_changed
