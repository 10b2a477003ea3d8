"""Speed of the sensitivity analyses against metafor (a script, not a test).

    cd /work/main && PYTHONPATH=src python benchmarks/sensitivity.py [--repeat 5] [--r-reml]
    cd /work/main && PYTHONPATH=src python benchmarks/sensitivity.py --scale [--no-r]

1. GOSH over all 32,767 subsets of k = 15 studies: ours with REML (the slower estimator:
   Fisher scoring per subset) against metafor's gosh() with DL (its closed-form fast path),
   on the same data. Inside R only the gosh() call is timed (system.time); the R wall clock
   including startup and loading metafor is reported as well. ``--r-reml`` also times
   metafor's REML gosh() (about half a minute).
2. A 1,000-permutation REML permutation test: ours against metafor's permutest().

Goals: our REML GOSH faster than metafor's DL GOSH; our permutation test under 5% of
metafor's permutest time.

``--scale`` (issue 15 item 6) times every diagnostic of a REML + knha model at k = 100, 1,000 and
10,000 (GOSH: 10^5 random subsets at k = 1,000; permutations: 1,000), each in a fresh process:
wall clock, CPU time and peak resident memory (the whole process: interpreter, numpy, scipy,
pandas included). Targets: within 30 s and 1 GB at k = 10,000, GOSH at k = 1,000 with 10^5
subsets within 1 GB. Beside them metafor 3.8-1 on the same data where it finishes: every
diagnostic at k = 100, rma()/regtest()/trimfill() at k = 1,000 (one REML rma() there takes
seconds: it forms the k x k matrix P and multiplies it, O(k^3)); at k = 10,000 not attempted
(leave1out() alone would be 10^4 such fits of an 800 MB matrix). Rscript runs under a 4 GB
address-space limit and a 10-minute timeout.
"""
from __future__ import annotations

import argparse
import json
import os
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



SCALE_CALLS = {
    "leave_one_out": "res.leave_one_out()", "influence": "res.influence()", "cumulative": "res.cumulative()",
    "egger_test": "res.egger_test()", "rank_test": "res.rank_test()", "trim_and_fill": "res.trim_and_fill()",
    "permutation_test (1,000)": "res.permutation_test(n=1000, seed=1)",
    "gosh (10^3 subsets)": "res.gosh(max_subsets=10**3, seed=1)",
    "gosh (10^5 subsets)": "res.gosh(max_subsets=10**5, seed=1)",
}
SCALE_CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
sys.path.insert(0, {src!r})
warnings.simplefilter("ignore")
from ldn_evidence.models import meta_analysis
import pandas, scipy.stats  # loaded before the clock starts, as in a session that has used them
rng = np.random.default_rng(1)
v = rng.uniform(0.01, 0.3, {k}); y = rng.normal(0.3, np.sqrt(v + 0.05)) + 0.3 * np.sqrt(v)
res = meta_analysis(y, v, method="REML", test="knha")
t0, c0 = time.perf_counter(), time.process_time()
{call}
print(json.dumps({{"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
R_SCALE = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); which <- strsplit(args[2], "|", fixed = TRUE)[[1]]
res <- rma(d$yi, d$vi, method = "REML", test = "knha")
calls <- list(rma = function() rma(d$yi, d$vi, method = "REML", test = "knha"),
              leave_one_out = function() leave1out(res), influence = function() influence(res),
              cumulative = function() cumul(res), egger_test = function() regtest(res),
              rank_test = function() ranktest(res), trim_and_fill = function() trimfill(res),
              "permutation_test (1,000)" = function() permutest(res, iter = 1000, progbar = FALSE),
              "gosh (10^3 subsets)" = function() gosh(res, subsets = 1e3, progbar = FALSE))
for (name in which) {
  t <- tryCatch(system.time(calls[[name]]())[["elapsed"]], error = function(e) NA)
  cat(sprintf('{"name": "%s", "elapsed": %s}\n', name, ifelse(is.na(t), "null", sprintf("%.3f", t))))
}
"""


def _ours(k, call):
    src = str(Path(__file__).resolve().parents[1] / "src")
    code = SCALE_CHILD.format(src=src, k=k, call=call)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _metafor(k, names):
    """metafor's times for ``names`` at k (same data as ours), or {} without Rscript."""
    if not names or not shutil.which("Rscript"):
        return {}
    rng = np.random.default_rng(1)
    v = rng.uniform(0.01, 0.3, k)
    y = rng.normal(0.3, np.sqrt(v + 0.05)) + 0.3 * np.sqrt(v)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        csv.write_text("yi,vi\n" + "\n".join(f"{a!r},{b!r}" for a, b in zip(y.tolist(), v.tolist())) + "\n")
        script = Path(tmp) / "scale.R"
        script.write_text(R_SCALE)
        joined = "|".join(names)             # names hold commas ("permutation_test (1,000)")
        cmd = f"ulimit -v 4000000; exec Rscript {script} {csv} '{joined}'"
        try:
            out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired as exc:
            out = subprocess.CompletedProcess(cmd, 1, exc.stdout.decode() if exc.stdout else "", "timeout")
    times = {}
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            times[row["name"]] = row["elapsed"]
    return times


def scale(run_r=True):
    """Every diagnostic at k = 100, 1,000, 10,000: ours (wall, CPU, peak RSS) beside metafor's time."""
    print(f"REML + knha; ours in a fresh process each (cpus={os.cpu_count()}); metafor 3.8-1 where it finishes")
    print(f"{'diagnostic':<26}{'k':>7}{'ours wall':>11}{'ours CPU':>10}{'peak RSS':>10}{'metafor':>10}{'ratio':>8}")
    small = [n for n in SCALE_CALLS if n != "gosh (10^5 subsets)"]
    large = [n for n in SCALE_CALLS if not n.startswith("gosh")]
    # (k, ours, metafor's): metafor's GOSH at k = 100 takes 12 s per 1,000 subsets, so 10^3 there
    plan = [(100, small, small), (1000, large, ["egger_test", "trim_and_fill"]), (10_000, large, []),
            (1000, ["gosh (10^5 subsets)"], [])]
    for k, ours, r_names in plan:
        theirs = _metafor(k, r_names) if run_r else {}
        for name in ours:
            m = _ours(k, SCALE_CALLS[name])
            t = theirs.get(name)
            if "error" in m:
                print(f"{name:<26}{k:>7,}  {m['error'][:60]}")
                continue
            mf = "-" if name not in r_names or not run_r else ("failed" if t is None else f"{t:.2f} s")
            ratio = f"{m['wall'] / t:.4f}" if isinstance(t, (int, float)) and t > 0 else ""
            print(f"{name:<26}{k:>7,}{m['wall']:>9.2f} s{m['cpu']:>8.2f} s{m['rss_mb']:>7.0f} MB{mf:>10}{ratio:>8}")
    if run_r:
        one = _metafor(1000, ["rma"]).get("rma")
        if one:
            print(f"\nmetafor: one REML rma() at k = 1,000 takes {one:.2f} s; leave1out() there would be 1,000 of "
                  "them, at k = 10,000 each fit forms an 800 MB matrix")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--r-reml", action="store_true", help="also time metafor's REML gosh() (slow)")
    ap.add_argument("--scale", action="store_true", help="every diagnostic at k = 100, 1,000, 10,000")
    ap.add_argument("--no-r", action="store_true", help="with --scale: ours only")
    a = ap.parse_args()
    if a.scale:
        scale(run_r=not a.no_r)
        return

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
