"""Speed of the sensitivity analyses against metafor (a script, not a test).

    cd /work/main && PYTHONPATH=src python benchmarks/sensitivity.py [--repeat 5] [--r-reml]

1. GOSH over all 32,767 subsets of k = 15 studies: ours with REML (the slower estimator:
   Fisher scoring per subset) against metafor's gosh() with DL (its closed-form fast path),
   on the same data. Inside R only the gosh() call is timed (system.time); the R wall clock
   including startup and loading metafor is reported as well. ``--r-reml`` also times
   metafor's REML gosh() (about half a minute).
2. A 1,000-permutation REML permutation test: ours against metafor's permutest().

Goals: our REML GOSH faster than metafor's DL GOSH; our permutation test under 5% of
metafor's permutest time.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ldn_evidence.models import meta_analysis  # noqa: E402

R_SCRIPT = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
reml <- args[2] == "1"
res_dl <- rma(yi, vi, data = d, method = "DL")
res_reml <- rma(yi, vi, data = d, method = "REML", test = "knha")
t_gosh_dl <- system.time(g <- gosh(res_dl, progbar = FALSE))[["elapsed"]]
t_gosh_reml <- NA
if (reml) t_gosh_reml <- system.time(g2 <- gosh(res_reml, progbar = FALSE))[["elapsed"]]
t_perm <- system.time(p <- permutest(res_reml, iter = 1000, progbar = FALSE, seed = 1))[["elapsed"]]
cat(sprintf('{"gosh_dl": %.4f, "gosh_reml": %s, "permutest": %.4f, "n_gosh": %d, "perm_p": %.6f}\n',
            t_gosh_dl, ifelse(is.na(t_gosh_reml), "null", sprintf("%.4f", t_gosh_reml)), t_perm,
            nrow(g$res), p$pval))
"""


def data(k=15, seed=20240601):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.3, k)
    yi = rng.normal(-0.3, np.sqrt(vi + 0.05))
    return yi, vi


def best(f, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--r-reml", action="store_true", help="also time metafor's REML gosh() (slow)")
    a = ap.parse_args()

    yi, vi = data()
    res = meta_analysis(yi, vi, method="REML", test="knha")
    res.gosh(max_subsets=100, seed=1)          # warm up imports (scipy, pandas)
    g_min, g_med, g = best(lambda: res.gosh(), a.repeat)
    p_min, p_med, p = best(lambda: res.permutation_test(n=1000, seed=1), a.repeat)
    res_dl = meta_analysis(yi, vi, method="DL", test="z")
    gd_min, gd_med, _ = best(lambda: res_dl.gosh(), a.repeat)

    r = None
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "d.csv"
            csv.write_text("yi,vi\n" + "\n".join(f"{float(y)!r},{float(v)!r}" for y, v in zip(yi, vi)) + "\n")
            script = Path(tmp) / "bench.R"
            script.write_text(R_SCRIPT)
            t = time.perf_counter()
            out = subprocess.run(["Rscript", str(script), str(csv), "1" if a.r_reml else "0"], capture_output=True,
                                 text=True, check=True)
            wall = time.perf_counter() - t
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["wall"] = wall

    print(f"k = 15 synthetic studies; {len(g):,} subsets; ours: best / median of {a.repeat} runs")
    print(f"{'':44}{'ours (s)':>16}{'metafor (s)':>14}{'ours / metafor':>16}")

    def row(name, ours, theirs):
        ratio = f"{ours / theirs:.3f}" if theirs else "-"
        th = f"{theirs:.3f}" if theirs else "-"
        print(f"{name:44}{ours:>16.4f}{th:>14}{ratio:>16}")

    if r is None:
        print("(Rscript not found: metafor columns empty)")
        r = {"gosh_dl": None, "gosh_reml": None, "permutest": None, "wall": None}
    row("GOSH, ours REML vs metafor DL gosh()", g_min, r["gosh_dl"])
    row("GOSH, ours DL vs metafor DL gosh()", gd_min, r["gosh_dl"])
    if r.get("gosh_reml"):
        row("GOSH, ours REML vs metafor REML gosh()", g_min, r["gosh_reml"])
    row("permutation test, 1,000 REML fits (knha)", p_min, r["permutest"])
    if r.get("wall"):
        print(f"\nR wall clock incl. startup and library(metafor), all R calls above: {r['wall']:.2f} s")
        print(f"ours, REML GOSH (median): {g_med:.4f} s; permutation test (median): {p_med:.4f} s")
        print(f"permutation p: ours {p.pvalue:.4f} (MC SE {p.mc_se:.4f}), metafor {r['perm_p']:.4f}")
        print(f"goal 1 (REML GOSH faster than metafor's DL GOSH): {'met' if g_min < r['gosh_dl'] else 'NOT met'}")
        print(f"goal 2 (permutation test < 5% of permutest): "
              f"{'met' if p_min < 0.05 * r['permutest'] else 'NOT met'} ({100 * p_min / r['permutest']:.2f}%)")


if __name__ == "__main__":
    main()
