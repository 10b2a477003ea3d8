"""Bayesian random-effects meta-analysis (ldn_evidence.bayes_meta_analysis).

Reference values (tests/reference/bayes/), none produced by this package:
- bayesmeta.json: the R package bayesmeta 3.4 at tight accuracy (make_reference.R);
- quadrature.json: brute-force 2-D adaptive quadrature of the joint posterior with scipy
  (make_quadrature_reference.py);
- published.json: numbers printed in Röver (2020, J Stat Softw 93(6)) and the bayesmeta vignette,
  computed by bayesmeta at its default (coarser) accuracy.
Tolerances are on the effect scale, relative to max(1, typical standard error).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ldn_evidence as le
from ldn_evidence.models.bayes_priors import TauPrior, rhodes_prior, turner_prior

REF = Path(__file__).parent / "reference" / "bayes"
BAYESMETA = json.loads((REF / "bayesmeta.json").read_text())
QUAD = json.loads((REF / "quadrature.json").read_text())
PUBLISHED = json.loads((REF / "published.json").read_text())

TOL_BAYESMETA = 1e-4      # the target, on the effect scale
TOL_QUAD = 1e-6

QUANTITIES = ("tau_median", "tau_ci_low", "tau_ci_high", "tau_hpd_low", "tau_hpd_high",
              "mu_median", "mu_ci_low", "mu_ci_high", "mu_hpd_low", "mu_hpd_high", "pi_low", "pi_high")


def _prior(spec):
    fam = spec["family"]
    if spec.get("turner"):
        return turner_prior(*spec["turner"])
    if spec.get("rhodes"):
        outcome, comparison, area = spec["rhodes"]
        return rhodes_prior(outcome, comparison, area)
    if fam == "halfnormal":
        return TauPrior.halfnormal(spec["scale"])
    if fam == "halfcauchy":
        return TauPrior.halfcauchy(spec["scale"])
    if fam == "halft":
        return TauPrior.halft(spec["scale"], spec["df"])
    if fam == "uniform":
        return TauPrior.uniform(math.inf if spec.get("upper") is None else spec["upper"])
    if fam == "lognormal":
        return TauPrior.lognormal(spec["meanlog"], spec["sdlog"])
    if fam == "logt":
        return TauPrior.logt(spec["location"], spec["scale"], spec["df"])
    raise AssertionError(fam)


def _fit(case, **kw):
    mu = case.get("mu_prior")
    return le.bayes_meta_analysis(case["yi"], case["vi"], tau_prior=_prior(case["tau_prior"]),
                                  mu_prior=None if mu is None else tuple(mu), level=case["level"], **kw)


def _scale(case):
    return max(1.0, float(np.sqrt(np.median(case["vi"]))))


# ---------------------------------------------------------------------------------------------
# agreement with bayesmeta (tight accuracy) and with brute-force quadrature
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", BAYESMETA["cases"], ids=[c["name"] for c in BAYESMETA["cases"]])
def test_agrees_with_bayesmeta(case):
    b = _fit(case, labels=case["labels"])
    exp = case["expected"]
    tol = TOL_BAYESMETA * _scale(case)
    for name in QUANTITIES + ("pred_median",):
        assert getattr(b, name) == pytest.approx(exp[name], abs=tol), name
    for name in ("tau_mean", "tau_sd", "mu_mean", "mu_sd"):
        if exp.get(name) is not None and math.isfinite(getattr(b, name)):
            assert getattr(b, name) == pytest.approx(exp[name], abs=tol), name
    for name in ("theta_mean", "theta_sd", "theta_median", "theta_ci_low", "theta_ci_high"):
        np.testing.assert_allclose(getattr(b, name), exp[name], atol=tol, rtol=0, err_msg=name)
    assert b.prob("mu", "<", 0) == pytest.approx(exp["prob_mu_lt_0"], abs=1e-5)
    if exp.get("marginal_likelihood") is not None:
        assert b.marginal_likelihood == pytest.approx(exp["marginal_likelihood"], rel=1e-5)
    else:
        assert math.isnan(b.marginal_likelihood)
    if exp.get("bayes_factor_tau0") is not None:
        assert b.bayes_factor_tau0 == pytest.approx(exp["bayes_factor_tau0"], rel=1e-5)


@pytest.mark.parametrize("case", QUAD["cases"], ids=[c["name"] for c in QUAD["cases"]])
def test_agrees_with_brute_force_quadrature(case):
    b = _fit(case)
    exp = case["expected"]
    tol = TOL_QUAD * _scale(case)
    for name in QUANTITIES + ("mu_mean",):
        if exp[name] is not None:          # None: no reference (see make_quadrature_reference.py)
            assert getattr(b, name) == pytest.approx(exp[name], abs=tol), name
    assert b.theta_median[0] == pytest.approx(exp["theta1_median"], abs=tol)
    assert b.theta_ci_low[0] == pytest.approx(exp["theta1_ci_low"], abs=tol)
    assert b.theta_ci_high[0] == pytest.approx(exp["theta1_ci_high"], abs=tol)
    assert b.prob("mu", "<", 0.0) == pytest.approx(exp["prob_mu_lt_0"], abs=1e-7)
    if exp.get("bayes_factor_tau0") is not None:
        assert b.bayes_factor_tau0 == pytest.approx(exp["bayes_factor_tau0"], rel=1e-7)
    if case["mu_prior"] is not None and case["tau_prior"].get("upper", 1) is not None:
        assert b.log_marginal_likelihood == pytest.approx(exp["log_evidence"], abs=1e-7)


def _published_data(name):
    d = PUBLISHED["data"]
    if name == "schools":
        return d["schools"]["yi"], (np.array(d["schools"]["se"]) ** 2).tolist(), d["schools"]["labels"]
    c = d["crins"]
    es = le.escalc("OR", ai=c["events_treated"], n1i=c["n_treated"], ci=c["events_control"], n2i=c["n_control"])
    yi, vi, labels = es["yi"].to_numpy(), es["vi"].to_numpy(), c["labels"]
    if name == "crins_randomized":
        rows = d["crins_randomized"]["rows"]
        return yi[rows], vi[rows], [labels[i] for i in rows]
    return yi, vi, labels


@pytest.mark.parametrize("case", PUBLISHED["cases"], ids=[c["name"] for c in PUBLISHED["cases"]])
def test_published_bayesmeta_examples(case):
    """Röver (2020) and the bayesmeta vignette, within bayesmeta's default DIRECT accuracy
    (tolerances in published.json, relative to the posterior sd of each quantity)."""
    yi, vi, labels = _published_data(case["data"])
    mu = case["mu_prior"]
    b = le.bayes_meta_analysis(yi, vi, tau_prior=_prior(case["tau_prior"]), mu_prior=None if mu is None else tuple(mu),
                               level=case["level"], labels=labels)
    tol = PUBLISHED["tolerance"]
    exp = case["expected"]
    sd = {"tau": b.tau_sd if math.isfinite(b.tau_sd) else 1.0, "mu": b.mu_sd, "pred": b.pred_sd, "pi": b.pred_sd}
    for name, value in exp.items():
        if name in ("theta", "prob_mu_lt_0", "prob_mu_gt_0", "mu_q95", "tau_q95"):
            continue
        group = name.split("_")[0]
        kind = "tau" if group == "tau" else ("mu" if group == "mu" else "theta")
        assert getattr(b, name) == pytest.approx(value, abs=tol[kind] * sd[group]), name
    if "prob_mu_lt_0" in exp:
        assert b.prob("mu", "<", 0) == pytest.approx(exp["prob_mu_lt_0"], abs=1e-4)
    if "prob_mu_gt_0" in exp:
        assert b.prob("mu", ">", 0) == pytest.approx(exp["prob_mu_gt_0"], abs=1e-4)
    if "mu_q95" in exp:
        assert b.quantile("mu", 0.95) == pytest.approx(exp["mu_q95"], abs=tol["mu"] * b.mu_sd)
    if "tau_q95" in exp:
        assert b.quantile("tau", 0.95) == pytest.approx(exp["tau_q95"], abs=1e-5)
    for lab, vals in exp.get("theta", {}).items():
        i = labels.index(lab)
        for key, value in vals.items():
            assert getattr(b, f"theta_{key}")[i] == pytest.approx(value, abs=tol["theta"] * b.theta_sd[i]), (lab, key)


def test_empirical_priors_match_bayesmeta():
    got = {"turner_surgical_pharma_placebo": turner_prior("surgical", "pharmacological vs placebo / control"),
           "rhodes_physical_pharma_placebo": rhodes_prior("general physical health", "pharmacological vs placebo"),
           "rhodes_general": rhodes_prior(), "turner_general": turner_prior()}
    for key, prior in got.items():
        ref = BAYESMETA["priors"][key]
        np.testing.assert_allclose(prior.ppf([0.025, 0.5, 0.975]), ref["q"], rtol=1e-7, err_msg=key)


def test_turner_prior_published_quantiles():
    # Röver (2020) p. 31: tp$qprior(c(0.025, 0.5, 0.975)) = 0.06233896 0.34300852 1.88734045
    p = turner_prior("surgical", "pharmacological vs placebo / control")
    np.testing.assert_allclose(p.ppf([0.025, 0.5, 0.975]), [0.06233896, 0.34300852, 1.88734045], rtol=1e-7)


@pytest.mark.parametrize("prior", [TauPrior.halfnormal(0.7), TauPrior.halfcauchy(0.3), TauPrior.halft(0.4, 4),
                                   TauPrior.uniform(1.5), TauPrior.lognormal(-1.0, 0.8), TauPrior.logt(-1.2, 1.1, 5),
                                   turner_prior("pain", "non-pharmacological vs pharmacological"),
                                   rhodes_prior("mental", "non-pharmacological vs placebo", "cancer")])
def test_prior_density_integrates_to_one_and_matches_cdf(prior):
    from scipy import integrate

    def mass(lo, hi):    # integral of the density over [lo, hi], on log tau (smooth for every family)
        f = lambda s: float(prior.pdf(math.exp(s))) * math.exp(s)
        return integrate.quad(f, math.log(lo) if lo > 0 else -80.0, math.log(hi) if np.isfinite(hi) else 80.0,
                              limit=400, epsabs=1e-14, epsrel=1e-11)[0]

    hi = 1.5 if prior.family == "uniform" else np.inf
    assert mass(0, hi) == pytest.approx(1.0, abs=1e-8)
    for q in (0.1, 0.5, 0.9):
        x = float(prior.ppf(q))
        assert float(prior.cdf(x)) == pytest.approx(q, abs=1e-10)
        assert mass(0, x) == pytest.approx(q, abs=1e-8)


# ---------------------------------------------------------------------------------------------
# vectorised path
# ---------------------------------------------------------------------------------------------


def test_two_d_input_equals_one_at_a_time():
    rng = np.random.default_rng(1)
    y = rng.normal(0.2, 0.4, (25, 4))
    v = rng.uniform(0.02, 0.3, (25, 4))
    many = le.bayes_meta_analysis(y, v, tau_prior="halfcauchy", tau_scale=0.5, mu_prior=(0, 2), level=90)
    assert len(many) == 25
    frame = many.to_frame()
    assert list(frame.index) == list(range(25))
    for i in (0, 7, 24):
        one = le.bayes_meta_analysis(y[i], v[i], tau_prior="halfcauchy", tau_scale=0.5, mu_prior=(0, 2), level=90)
        for name in QUANTITIES + ("mu_mean", "tau_sd", "pred_sd", "bayes_factor_tau0", "marginal_likelihood"):
            assert getattr(many[i], name) == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-13), name
            assert frame.loc[i, name] == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-13), name
        np.testing.assert_allclose(many[i].theta_ci_low, one.theta_ci_low, rtol=1e-12)
        assert many[i].prob("mu", "<", 0.1) == pytest.approx(one.prob("mu", "<", 0.1), rel=1e-12)
    np.testing.assert_array_equal(many.mu_median, frame["mu_median"].to_numpy())


def test_prior_sensitivity_grid_in_one_call():
    y = [0.4, -0.1, 0.3]
    v = [0.05, 0.08, 0.04]
    scales = [0.1, 0.25, 0.5, 1.0, 2.0]
    grid = le.bayes_meta_analysis(y, v, tau_prior="halfnormal", tau_scale=scales, mu_prior=([0.0] * 5, [1, 2, 3, 4, 5]))
    assert len(grid) == 5
    for i, s in enumerate(scales):
        one = le.bayes_meta_analysis(y, v, tau_prior="halfnormal", tau_scale=s, mu_prior=(0.0, i + 1))
        assert grid[i].mu_median == pytest.approx(one.mu_median, rel=1e-12)
        assert grid[i].tau_hpd_high == pytest.approx(one.tau_hpd_high, rel=1e-12)
        assert grid.tau_prior_text[i] == one.tau_prior.describe()
    assert np.all(np.diff(grid.tau_median) > 0)        # wider prior, more heterogeneity


def test_masked_rows_of_different_sizes_equal_one_at_a_time():
    """mask=: meta-analyses of different sizes (subgroups, subsets) in one call give what each
    gives alone; values outside the mask are ignored, even NaN; improper rows are refused."""
    rng = np.random.default_rng(7)
    y = rng.normal(0.0, 0.5, (5, 6))
    v = rng.uniform(0.02, 0.4, (5, 6))
    mask = np.array([[True] * 6, [True, True, True, False, False, False], [False] * 5 + [True],
                     [True, False, True, False, True, False], [False, True, True, True, True, True]])
    y[~mask], v[~mask] = np.nan, np.nan
    labels = list("abcdef")
    many = le.bayes_meta_analysis(y, v, tau_scale=[0.25, 0.5, 0.5, 1.0, 0.5], mu_prior=(0, 3), labels=labels,
                                  mask=mask)
    assert many.k.tolist() == [6, 3, 1, 3, 5]
    for i, scale in enumerate([0.25, 0.5, 0.5, 1.0, 0.5]):
        sel = mask[i]
        one = le.bayes_meta_analysis(y[i, sel], v[i, sel], tau_scale=scale, mu_prior=(0, 3),
                                     labels=[lab for lab, s in zip(labels, sel) if s])
        assert many[i].labels == one.labels and many[i].k == one.k
        for name in QUANTITIES + ("mu_mean", "bayes_factor_tau0", "marginal_likelihood"):
            assert getattr(many[i], name) == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-13), name
        np.testing.assert_allclose(many[i].theta_median, one.theta_median, rtol=1e-12)
        np.testing.assert_allclose(many.theta_median[i, sel], one.theta_median, rtol=1e-12)
        assert np.all(np.isnan(many.theta_median[i, ~sel]))
        lab = one.labels[-1]
        assert many[i].prob("theta", "<", 0.0, study=lab) == pytest.approx(one.prob("theta", "<", 0.0, study=lab),
                                                                           rel=1e-12)
    assert "k = 1" in " ".join(many[2].notes) and not any("k = 1" in n for n in many[0].notes)
    with pytest.raises(ValueError, match="row 1 has no study"):
        le.bayes_meta_analysis(y, v, mask=np.array([[True] * 6, [False] * 6, *mask[2:]]))
    with pytest.raises(ValueError, match="shape"):
        le.bayes_meta_analysis(y, v, mask=mask[:, :3])
    with pytest.raises(ValueError, match="improper"):
        le.bayes_meta_analysis(y, v, tau_prior="uniform", tau_scale=math.inf, mask=mask)


def test_dataframe_rows_keep_their_index():
    y = pd.DataFrame([[0.1, 0.3], [0.5, 0.2]], index=["pain", "fatigue"], columns=["s1", "s2"])
    v = pd.DataFrame([[0.04, 0.05], [0.06, 0.03]], index=["pain", "fatigue"], columns=["s1", "s2"])
    res = le.bayes_meta_analysis(y, v)
    assert list(res.to_frame().index) == ["pain", "fatigue"]
    assert res[0].labels == ["s1", "s2"]


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

_data = st.integers(min_value=1, max_value=6).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-2, 2), min_size=k, max_size=k),
    st.lists(st.floats(0.005, 1.0), min_size=k, max_size=k)))


@settings(max_examples=25, deadline=None)
@given(_data, st.floats(-3, 3), st.floats(0.2, 5.0), st.sampled_from(["halfnormal", "halfcauchy", "halft"]))
def test_location_and_scale_equivariance(data, shift, scale, prior):
    y, v = (np.array(a) for a in data)
    base = le.bayes_meta_analysis(y, v, tau_prior=prior, tau_scale=0.5, mu_prior=(0.0, 3.0))
    moved = le.bayes_meta_analysis(scale * y + shift, scale ** 2 * v, tau_prior=prior, tau_scale=0.5 * scale,
                                   mu_prior=(shift, 3.0 * scale))
    for name in ("mu_median", "mu_ci_low", "mu_ci_high", "mu_hpd_low", "mu_hpd_high", "pi_low", "pi_high"):
        assert getattr(moved, name) == pytest.approx(scale * getattr(base, name) + shift, abs=1e-7 * scale), name
    for name in ("tau_median", "tau_ci_low", "tau_ci_high", "tau_hpd_high"):
        assert getattr(moved, name) == pytest.approx(scale * getattr(base, name), abs=1e-7 * scale), name
    assert moved.bayes_factor_tau0 == pytest.approx(base.bayes_factor_tau0, rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(_data, st.sampled_from([50.0, 80.0, 95.0, 99.0]), st.booleans())
def test_interval_properties(data, level, flat):
    y, v = (np.array(a) for a in data)
    b = le.bayes_meta_analysis(y, v, tau_prior="halfnormal", tau_scale=0.5, mu_prior=None if flat else (0, 2),
                               level=level)
    lv = level / 100
    for p, lo, hi, median in (("mu", b.mu_ci_low, b.mu_ci_high, b.mu_median),
                              ("theta_new", b.pi_low, b.pi_high, b.pred_median),
                              ("tau", b.tau_ci_low, b.tau_ci_high, b.tau_median)):
        assert b.cdf(p, median) == pytest.approx(0.5, abs=1e-9)
        assert b.cdf(p, hi) - b.cdf(p, lo) == pytest.approx(lv, abs=1e-9)
    for p, lo, hi, clo, chi in (("mu", b.mu_hpd_low, b.mu_hpd_high, b.mu_ci_low, b.mu_ci_high),
                                ("theta_new", b.pi_hpd_low, b.pi_hpd_high, b.pi_low, b.pi_high),
                                ("tau", b.tau_hpd_low, b.tau_hpd_high, b.tau_ci_low, b.tau_ci_high)):
        assert b.cdf(p, hi) - b.cdf(p, lo) == pytest.approx(lv, abs=1e-8)
        assert hi - lo <= (chi - clo) * (1 + 1e-9)
        if lo > 0 or p != "tau":
            assert b.density(p, lo) == pytest.approx(b.density(p, hi), rel=1e-5)
    assert b.mu_ci_low <= b.mu_median <= b.mu_ci_high
    assert b.pi_low < b.mu_ci_low and b.pi_high > b.mu_ci_high
    assert np.all(b.theta_ci_low <= b.theta_median) and np.all(b.theta_median <= b.theta_ci_high)


def test_prob_and_quantile_are_inverse():
    b = le.bayes_meta_analysis([0.3, 0.1, 0.6], [0.02, 0.05, 0.04], labels=["a", "b", "c"])
    for param, study in (("mu", None), ("tau", None), ("theta_new", None), ("theta", "b"), ("theta", 2)):
        q = b.quantile(param, [0.1, 0.5, 0.9], study=study)
        np.testing.assert_allclose(b.cdf(param, q, study=study), [0.1, 0.5, 0.9], atol=1e-10)
    assert b.prob("mu", ">", b.mu_median) == pytest.approx(0.5, abs=1e-10)
    assert b.prob("mu", "<=", 0.2) == b.prob("mu", "<", 0.2)
    assert b.prob("theta", "<", b.theta_median[1], study="b") == pytest.approx(0.5, abs=1e-10)


def test_two_studies_heavy_tail_and_k1():
    b = le.bayes_meta_analysis([0.1, 0.9], [0.01, 0.02], tau_prior="halfcauchy", tau_scale=1.0)
    assert b.tau_ci_high > b.tau_median > b.tau_ci_low > 0
    assert math.isfinite(b.tau_mean) and math.isnan(b.tau_sd)    # tail ~ tau^-3: mean exists, variance not
    one = le.bayes_meta_analysis([0.2], [0.04], tau_prior="halfnormal", tau_scale=0.5)
    # k = 1, flat mu prior: the posterior of tau is the prior
    assert one.tau_median == pytest.approx(0.5 * 0.6744897501960817, rel=1e-8)
    assert one.mu_median == pytest.approx(0.2, abs=1e-10)
    assert any("k = 1" in n for n in one.notes)


def test_improper_uniform_needs_enough_studies():
    with pytest.raises(ValueError, match="improper"):
        le.bayes_meta_analysis([0.1, 0.4], [0.02, 0.03], tau_prior="uniform", tau_scale=math.inf)
    b = le.bayes_meta_analysis([0.1, 0.4, 0.2], [0.02, 0.03, 0.02], tau_prior="uniform", tau_scale=math.inf)
    assert math.isnan(b.tau_mean) and math.isnan(b.mu_mean)      # tail ~ tau^-2
    assert math.isnan(b.bayes_factor_tau0) and math.isnan(b.marginal_likelihood)
    assert math.isfinite(b.mu_median) and b.tau_ci_high > 0


def test_extreme_scales_and_precision():
    y = np.array([1.0, 1.2, 0.9, 1.1, 3.0]) * 1e-4
    v = np.array([1.0, 2.0, 1.5, 1.0, 0.5]) * 1e-10
    tiny = le.bayes_meta_analysis(y, v, tau_prior="halfnormal", tau_scale=1e-4)
    big = le.bayes_meta_analysis(y * 1e4, v * 1e8, tau_prior="halfnormal", tau_scale=1.0)
    assert tiny.mu_median * 1e4 == pytest.approx(big.mu_median, rel=1e-7)
    assert tiny.tau_hpd_high * 1e4 == pytest.approx(big.tau_hpd_high, rel=1e-7)
    # one very precise study among imprecise ones, and a large heterogeneity
    b = le.bayes_meta_analysis([0.0, 2.0, -1.5, 3.0], [1e-6, 0.5, 0.4, 0.6], tau_prior="halfcauchy", tau_scale=1.0)
    assert b.numerics["chebyshev_tail"] <= 1e-10
    assert b.cdf("mu", b.mu_ci_high) - b.cdf("mu", b.mu_ci_low) == pytest.approx(0.95, abs=1e-9)


def test_many_studies_concentrated_posterior():
    rng = np.random.default_rng(3)
    k = 400
    y = rng.normal(0.0, 1.0, k)
    v = np.full(k, 0.01)
    b = le.bayes_meta_analysis(y, v, tau_prior="halfnormal", tau_scale=1.0)
    assert b.tau_median == pytest.approx(np.sqrt(max(np.var(y, ddof=1) - 0.01, 0)), rel=0.05)
    assert b.tau_ci_high - b.tau_ci_low < 0.2
    assert b.numerics["chebyshev_tail"] <= 1e-10


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    (dict(yi=[0.1, np.nan], vi=[0.1, 0.2]), "yi"),
    (dict(yi=[0.1, 0.2], vi=[0.1, np.inf]), "vi"),
    (dict(yi=[0.1, 0.2], vi=[0.1, 0.0]), "vi"),
    (dict(yi=[0.1, 0.2], vi=[0.1, -0.2]), "vi"),
    (dict(yi=[0.1, 0.2, 0.3], vi=[0.1, 0.2]), "shape"),
    (dict(yi=[], vi=[]), "no studies"),
    (dict(yi=[0.1], vi=[0.1], level=0), "level"),
    (dict(yi=[0.1], vi=[0.1], level=100), "level"),
    (dict(yi=[0.1], vi=[0.1], level="high"), "level"),
    (dict(yi=[0.1], vi=[0.1], tau_prior="gamma"), "tau_prior"),
    (dict(yi=[0.1], vi=[0.1], tau_prior=3), "tau_prior"),
    (dict(yi=[0.1], vi=[0.1], tau_scale=0), "tau_scale"),
    (dict(yi=[0.1], vi=[0.1], tau_scale=-1), "tau_scale"),
    (dict(yi=[0.1], vi=[0.1], tau_scale=math.nan), "tau_scale"),
    (dict(yi=[0.1], vi=[0.1], tau_scale=math.inf), "tau_scale"),
    (dict(yi=[0.1], vi=[0.1], tau_prior="halft", tau_df=0), "tau_df"),
    (dict(yi=[0.1], vi=[0.1], tau_prior="halfnormal", tau_df=3), "tau_df"),
    (dict(yi=[0.1], vi=[0.1], mu_prior=(0, 0)), "mu_prior"),
    (dict(yi=[0.1], vi=[0.1], mu_prior=(0,)), "mu_prior"),
    (dict(yi=[0.1], vi=[0.1], mu_prior=5), "mu_prior"),
    (dict(yi=[0.1, 0.2], vi=[0.1, 0.1], labels=["a"]), "labels"),
    (dict(yi=[[0.1, 0.2]] * 3, vi=[[0.1, 0.1]] * 3, tau_scale=[0.5, 1.0]), "meta-analyses"),
])
def test_validation_errors_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        le.bayes_meta_analysis(**kwargs)


def test_pandas_series_aligned_or_refused():
    y = pd.Series([0.1, 0.5, 0.3], index=["a", "b", "c"])
    v = pd.Series([0.05, 0.04, 0.03], index=["c", "a", "b"])
    b = le.bayes_meta_analysis(y, v)
    ref = le.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.03, 0.05])
    assert b.mu_median == pytest.approx(ref.mu_median, rel=1e-13)
    assert b.labels == ["a", "b", "c"]
    with pytest.raises(ValueError, match="different indexes"):
        le.bayes_meta_analysis(y, pd.Series([0.05, 0.04, 0.03], index=["a", "b", "x"]))


def test_prior_name_lookups():
    assert turner_prior("all-cause", "placebo vs pharmacological").params["meanlog"] == pytest.approx(-3.95 / 2)
    assert turner_prior("pain", "non-pharm vs non-pharm").params["sdlog"] == pytest.approx(1.45 / 2)
    with pytest.raises(ValueError, match="ambiguous"):
        turner_prior("s", "pharmacological vs placebo")
    with pytest.raises(ValueError, match="placebo"):
        turner_prior("pain", "placebo vs control")
    with pytest.raises(ValueError, match="outcome"):
        rhodes_prior("nonsense")
    assert rhodes_prior("biological", "pharma vs pharma", "respiratory").params["location"] == pytest.approx(-5.59 / 2)


# ---------------------------------------------------------------------------------------------
# result protocol and figures
# ---------------------------------------------------------------------------------------------


def test_result_protocol():
    b = le.bayes_meta_analysis([0.3, 0.1, 0.6], [0.02, 0.05, 0.04], labels=["Alpha 2020", "Beta 2021", "Gamma 2022"])
    d = b.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["mu_median"] == pytest.approx(b.mu_median) and d["marginal_likelihood"] is None
    assert [s["label"] for s in d["studies"]] == b.labels
    frame = b.to_frame()
    assert frame.shape[0] == 1 and frame.loc[0, "tau_hpd_high"] == pytest.approx(b.tau_hpd_high)
    text = b.summary()
    assert f"{b.mu_median:.4f}" in text and "Gamma 2022" in text and "half-normal" in text
    assert "BayesMetaResult(" in repr(b) and len(repr(b)) < 250
    assert "<table" in b._repr_html_()
    sh = b.shrinkage()
    assert list(sh["study"]) == b.labels and sh["median"].to_numpy() == pytest.approx(b.theta_median)
    many = le.bayes_meta_analysis(np.tile([0.3, 0.1, 0.6], (3, 1)), np.tile([0.02, 0.05, 0.04], (3, 1)))
    json.dumps(many.to_dict(), allow_nan=False)
    assert "3 Bayesian" in many.summary() and "<table" in many._repr_html_() and "BayesMetaResults" in repr(many)
    with pytest.raises(ValueError, match="op"):
        b.prob("mu", "!=", 0)
    with pytest.raises(ValueError, match="param"):
        b.prob("sigma", "<", 0)
    with pytest.raises(ValueError, match="study"):
        b.prob("theta", "<", 0)


def test_figures_have_no_overlapping_text():
    from matplotlib.figure import Figure

    from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside
    from ldn_evidence.plots.bayes import bayes_forest_plot, bayes_posterior_plot

    labels = ["Short", "A much longer study label, et al. (2024)", "C"]
    b = le.bayes_meta_analysis([0.3, -1.1, 0.6], [0.02, 0.5, 0.04], labels=labels, mu_prior=(0, 2))
    for fig in (bayes_forest_plot(b, title="Pain (SMD)"), bayes_forest_plot(b, interval="shortest", digits=3),
                bayes_posterior_plot(b), bayes_posterior_plot(b, interval="shortest")):
        assert isinstance(fig, Figure)
        pairs = overlapping_texts(fig)
        assert not pairs, describe([t for p in pairs for t in p])
        assert not texts_outside(fig), describe(texts_outside(fig))


def test_bounded_uniform_prior_with_mode_at_its_bound():
    # much heterogeneity, uniform(0, 0.3): the posterior of tau rises up to the bound
    b = le.bayes_meta_analysis([0.1, 0.5, -0.3, 0.8], [0.05, 0.04, 0.06, 0.05], tau_prior="uniform", tau_scale=0.3)
    assert b.tau_hpd_high == pytest.approx(0.3, abs=1e-12)
    assert b.tau_hpd_low == pytest.approx(b.quantile("tau", 0.05), abs=1e-10)
    assert b.tau_ci_high < 0.3 and b.cdf("tau", 0.3) == 1.0
    assert b.density("tau", 0.31) == 0.0
