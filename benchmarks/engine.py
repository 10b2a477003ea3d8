"""Benchmark of the random-effects engine against PyMARE and statsmodels (a script, not a test).

    cd /work/main && PYTHONPATH=src python benchmarks/engine.py

Prints, in one run: one REML fit at k = 13 (dat.bcg) and at k = 10,000 (synthetic) for ours,
PyMARE (VarianceBasedLikelihoodEstimator, REML) and statsmodels (combine_effects has no REML;
its closest, the iterated Paule-Mandel estimator, is timed), and a batch of 32,767 REML fits at
k = 15 (every non-empty subset of 15 studies, i.e. a full GOSH) for ours; and the ratios.
Times are the best of several repeats (wall clock). "ours (full)" is meta_analysis(): REML,
Knapp-Hartung, Q-profile CI for tau^2, prediction interval, I^2/H^2 and their CIs; "ours
(core)" is rma_batch() without the Q-profile search, which is roughly what the others compute.
"""
from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _timing import best_time  # noqa: E402 (beside this script)
from ldn_evidence.models import meta_analysis, rma_batch  # noqa: E402


def fmt(t):
    return f"{t * 1e3:9.3f} ms" if t < 1 else f"{t:9.3f} s "


def main():
    ref = json.loads((ROOT / "tests" / "reference" / "engine" / "metafor_rma.json").read_text())
    bcg = next(d for d in ref["datasets"] if d["name"] == "bcg_logrr")
    rng = np.random.default_rng(20240601)
    vb = rng.uniform(0.01, 0.3, 10_000)
    yb = rng.normal(0.3, np.sqrt(vb + 0.05))
    cases = {"k=13 (dat.bcg)": (np.array(bcg["yi"]), np.array(bcg["vi"])), "k=10,000": (yb, vb)}

    try:
        import pymare
    except ImportError:  # pragma: no cover
        pymare = None
    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:  # pragma: no cover
        combine_effects = None

    print(f"numpy {np.__version__}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')!r}; "
          f"cpus={os.cpu_count()}")
    print()
    print(f"{'one fit':<16}{'ours (full)':>14}{'ours (core)':>14}{'PyMARE REML':>14}{'statsmodels PM':>16}"
          f"{'PyMARE/ours':>13}{'sm/ours':>10}{'PyMARE/core':>13}{'sm/core':>10}")
    for name, (y, v) in cases.items():
        t_full = best_time(lambda: meta_analysis(y, v, method="REML", test="knha"))
        t_core = best_time(lambda: rma_batch(y, v, method="REML", test="knha", qprofile=False))
        t_pm = t_sm = float("nan")
        if pymare is not None:
            def run_pymare():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est = pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML")
                    est.fit_dataset(pymare.Dataset(y=y, v=v))
                    return est.summary().get_fe_stats()
            t_pm = best_time(run_pymare)
        if combine_effects is not None:
            t_sm = best_time(lambda: combine_effects(y, v, method_re="iterated"))
        print(f"{name:<16}{fmt(t_full):>14}{fmt(t_core):>14}{fmt(t_pm):>14}{fmt(t_sm):>16}"
              f"{t_pm / t_full:>12.2f}x{t_sm / t_full:>9.2f}x{t_pm / t_core:>12.2f}x{t_sm / t_core:>9.2f}x")
    print("(ratios: their time / our time; > 1 means we are faster)")
    print()

    k = 15
    y, v = np.array(bcg["yi"]), np.array(bcg["vi"])
    y = np.concatenate([y, y[:2] + 0.1])[:k]
    v = np.concatenate([v, v[:2]])[:k]
    masks = ((np.arange(1, 2**k)[:, None] >> np.arange(k)) & 1).astype(bool)
    Y, V = np.broadcast_to(y, masks.shape), np.broadcast_to(v, masks.shape)
    t_batch = best_time(lambda: rma_batch(Y, V, mask=masks, method="REML", test="knha"), repeat=3, loop=False)
    t_batch_core = best_time(lambda: rma_batch(Y, V, mask=masks, method="REML", test="knha", qprofile=False),
                             repeat=3, loop=False)
    b = rma_batch(Y, V, mask=masks, method="REML", test="knha")
    t_single = best_time(lambda: meta_analysis(y, v, method="REML", test="knha"))
    print(f"batch of {masks.shape[0]:,} REML fits at k={k} (all subsets, knha):")
    print(f"  with Q-profile CI:    {fmt(t_batch)}  ({t_batch / masks.shape[0] * 1e6:.1f} us per fit)")
    print(f"  without Q-profile:    {fmt(t_batch_core)}")
    print(f"  vs {masks.shape[0]:,} x meta_analysis() one at a time (estimated): {fmt(t_single * masks.shape[0])}"
          f"  -> batch is {t_single * masks.shape[0] / t_batch:.0f}x faster")
    print(f"  fits where Fisher scoring did not converge under metafor's rules: {int((~b.converged).sum())}")


if __name__ == "__main__":
    main()
