"""Benchmark of the Bayesian random-effects meta-analysis against PyMC NUTS (a script, not a test).

    cd /work/wt/bayes && . .venv/bin/activate && pip install pymc && python benchmarks/bayes.py

Prints, in one run, side by side:
- one fit (CrinsEtAl2014, k = 6, half-normal(0.5) tau prior, normal(0, 4^2) mu prior, every
  summary: central and shortest intervals, predictive, shrinkage, marginal likelihood, Bayes
  factor) -- best of several repeats, wall clock;
- 1,000 fits in one vectorised call (k = 4, random data);
- the same model in PyMC, NUTS with 4 chains x 1,000 draws (1,000 tuning steps, chains run
  one after another as cores=1), on the same data: posterior quantiles of mu, tau and theta_new
  against ours, and the wall time of pm.sample (which includes compiling the model's log density)
  and of the whole fit including building the model.
``--draws N`` runs PyMC with N draws per chain instead of 1,000 (the time ratio is always that of
the 1,000-draw run the targets name; longer chains show the quantiles converging to ours as
PyMC's Monte Carlo error shrinks: with 4,000 draws it is 0.01-0.02, larger than the 0.01 asked).
PyMC is not a dependency of the package; this script is the only place it is used.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import ldn_evidence as le  # noqa: E402
from _timing import best_time  # noqa: E402 (beside this script)

# CrinsEtAl2014 log odds ratios (metafor escalc "OR"; Röver 2020, Table 3)
YI = np.array([-2.3097026, -0.4595323, -2.3025851, -1.7578579, -1.2584610, -2.4178959])
VI = np.array([0.3593718, 0.3095760, 0.7750000, 0.2078161, 0.4121591, 2.3372623])
PROBS = (0.025, 0.25, 0.5, 0.75, 0.975)


def fmt(t):
    return f"{t * 1e3:10.2f} ms" if t < 1 else f"{t:10.3f} s "


def ours():
    one = lambda: le.bayes_meta_analysis(YI, VI, tau_prior="halfnormal", tau_scale=0.5, mu_prior=(0, 4))
    t_one = best_time(one)
    rng = np.random.default_rng(2024)
    v = rng.uniform(0.02, 0.5, (1000, 4))
    y = rng.normal(-0.5, np.sqrt(v + 0.1))
    many = lambda: le.bayes_meta_analysis(y, v, tau_prior="halfnormal", tau_scale=0.5, mu_prior=(0, 4))
    t_many = best_time(many, repeat=3, loop=False)
    res = many()
    t10k = None
    if "--large" in sys.argv:
        v10 = rng.uniform(0.02, 0.5, (10_000, 4))
        y10 = rng.normal(-0.5, np.sqrt(v10 + 0.1))
        t0 = time.perf_counter()
        le.bayes_meta_analysis(y10, v10, tau_prior="halfnormal", tau_scale=0.5, mu_prior=(0, 4))
        t10k = time.perf_counter() - t0
    return one(), t_one, t_many, res, t10k


def pymc_fit(seed=1, draws=1000):
    import pymc as pm

    t0 = time.perf_counter()
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 4.0)
        tau = pm.HalfNormal("tau", 0.5)
        z = pm.Normal("z", 0.0, 1.0, shape=len(YI))          # non-centred theta_i = mu + tau z_i
        theta = pm.Deterministic("theta", mu + tau * z)
        pm.Normal("y", theta, np.sqrt(VI), observed=YI)
        z_new = pm.Normal("z_new", 0.0, 1.0)                 # a new study's effect, also non-centred
        theta_new = pm.Deterministic("theta_new", mu + tau * z_new)   # (a centred one is a funnel at tau -> 0)
        compiled = time.perf_counter()
        idata = pm.sample(draws=draws, tune=1000, chains=4, cores=1, random_seed=seed, progressbar=False,
                          target_accept=0.95, compute_convergence_checks=False)
    done = time.perf_counter()
    post = idata.posterior
    draws = {name: post[name].values.reshape(-1) for name in ("mu", "tau", "theta_new")}
    draws["theta1"] = post["theta"].values[..., 0].reshape(-1)
    # Monte Carlo standard errors of the quantiles (arviz, which PyMC installs)
    import arviz as az

    chains = {"mu": post["mu"].values, "tau": post["tau"].values, "theta_new": post["theta_new"].values,
              "theta1": post["theta"].values[..., 0]}
    draws["mcse"] = {k: np.array([float(az.mcse(v, method="quantile", prob=p)) for p in PROBS])
                     for k, v in chains.items()}
    draws["divergences"] = int(idata.sample_stats["diverging"].values.sum())
    del model, theta, theta_new
    return draws, done - compiled, done - t0


def main():
    b, t_one, t_many, res, t10k = ours()
    print("Bayesian random-effects meta-analysis: ldn_evidence (semi-analytic) vs PyMC NUTS")
    print(f"  ours, one fit (k = 6, all summaries)          {fmt(t_one)}")
    print(f"  ours, 1,000 fits in one call (k = 4)          {fmt(t_many)}   ({t_many / 1000 * 1e3:.3f} ms per fit)")
    if t10k is not None:
        print(f"  ours, 10,000 fits in one call (k = 4)         {fmt(t10k)}")
    n_draws = int(sys.argv[sys.argv.index("--draws") + 1]) if "--draws" in sys.argv else 1000
    try:
        draws, t_sample, t_total = pymc_fit()
    except ImportError:
        print("  PyMC not installed: pip install pymc to compare")
        return
    import pymc

    print(f"  PyMC {pymc.__version__} NUTS, 4 chains x 1,000 draws (cores=1):  pm.sample {fmt(t_sample)}, "
          f"with model set-up {fmt(t_total)}")
    print(f"  time ratio PyMC / ours (one fit): {t_sample / t_one:,.0f}x (pm.sample), "
          f"{t_total / t_one:,.0f}x (with set-up)")
    if n_draws != 1000:
        draws, t_long, _ = pymc_fit(draws=n_draws)
        print(f"  quantiles below from PyMC with 4 chains x {n_draws:,} draws ({fmt(t_long)})")
    print()
    print("  quantiles            " + "".join(f"{p:>10}" for p in PROBS) + "   max |diff|")
    worst = 0.0
    for name, param, study in (("mu", "mu", None), ("tau", "tau", None), ("theta_new", "theta_new", None),
                               ("theta_1", "theta", 0)):
        key = "theta1" if param == "theta" else name
        q_ours = b.quantile(param, PROBS, study=study)
        q_mc = np.quantile(draws[key], PROBS)
        diff = np.max(np.abs(q_ours - q_mc))
        worst = max(worst, diff) if name != "theta_new" else worst
        print(f"  {name:<9} ours      " + "".join(f"{x:10.4f}" for x in q_ours))
        print(f"  {'':<9} PyMC      " + "".join(f"{x:10.4f}" for x in q_mc) + f"   {diff:.4f}")
        mcse = draws["mcse"][key]
        print(f"  {'':<9} |d|/MCSE  " + "".join(f"{x:10.1f}" for x in np.abs(q_ours - q_mc) / mcse))
    # Monte Carlo error of the PyMC quantiles, for scale: sd / sqrt(ESS) is ~0.005-0.01 here
    print(f"  worst |ours - PyMC| over mu, tau, theta_1 quantiles: {worst:.4f}; PyMC divergences: "
          f"{draws['divergences']}; |d|/MCSE: the difference in Monte Carlo standard errors of PyMC's quantile")


if __name__ == "__main__":
    main()
