"""A cold ``ldn-evidence report`` (the whole LDN review's site) against R metafor's ``reporter()``
for one model on dat.bcg (a script, not a test).

Each round runs, in random order, fresh processes of:

* ``ldn-evidence report -o DIR`` on the bundled studies: every outcome's analysis, forest plot,
  sensitivity analyses, cumulative and trial sequential analyses, PRISMA, what changed since the
  previous commit, the page and its data files;
* ``Rscript`` fitting ``rma()`` to dat.bcg (log risk ratios) and writing ``reporter()``'s HTML
  report of that one model (R Markdown and pandoc: Debian's ``r-cran-metafor``,
  ``r-cran-rmarkdown`` and ``pandoc``).

It prints the median and quartiles of the wall-clock time and of the CPU time (user + system of
the process and its children) of each, and the ratios ours / R. Run it on an otherwise idle
machine: ``python benchmarks/report.py --rounds 7``.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

R_SCRIPT = """
suppressPackageStartupMessages(library(metafor))
dat <- escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)
res <- rma(yi, vi, data=dat)
invisible(suppressMessages(reporter(res, dir="{out}", open=FALSE)))
if (!file.exists(file.path("{out}", "report_res.html"))) quit(status=1)
"""


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _time(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one run."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr.decode(errors='replace')}")
    return wall, _children_cpu() - cpu0


def _r_ready() -> str | None:
    """Why reporter() cannot run here, or None."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (apt-get install r-base-core r-cran-metafor)"
    for pkg in ("metafor", "rmarkdown"):
        ok = subprocess.run(["Rscript", "-e", f"quit(status = !requireNamespace('{pkg}', quietly = TRUE))"],
                            capture_output=True).returncode == 0
        if not ok:
            return f"the R package {pkg} is not installed (apt-get install r-cran-{pkg})"
    if shutil.which("pandoc") is None:
        return "pandoc is not installed (apt-get install pandoc)"
    return None


def _quartiles(xs: list[float]) -> str:
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return f"{statistics.median(xs):6.2f} s  (quartiles {q[0]:.2f}-{q[2]:.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    why = _r_ready()
    if why:
        sys.exit(f"cannot run metafor's reporter(): {why}")
    work = Path(tempfile.mkdtemp(prefix="ldn-bench-report-"))
    exe = shutil.which("ldn-evidence")
    ours = [exe] if exe else [sys.executable, "-m", "ldn_evidence.cli"]
    runs = {
        "ldn-evidence report (whole LDN review)": lambda i: ours + ["report", "-o", str(work / f"site{i}")],
        "R metafor reporter() (one model, dat.bcg)": lambda i: [
            "Rscript", "-e", R_SCRIPT.format(out=(work / f"r{i}").as_posix())],
    }
    for i in range(args.rounds + 1):
        (work / f"r{i}").mkdir()
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    for name, make in runs.items():  # warm-up round: file caches, R's package index, font caches
        _time(make(0), work)
    for i in range(1, args.rounds + 1):
        order = list(runs)
        random.shuffle(order)
        for name in order:
            w, c = _time(runs[name](i), work)
            wall[name].append(w)
            cpu[name].append(c)
    print(f"{args.rounds} rounds on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for name in runs:
        print(f"  {name:44s} wall {_quartiles(wall[name])}   CPU {_quartiles(cpu[name])}")
    (a, b) = runs
    print(f"  ratio ours / R: wall {statistics.median(wall[a]) / statistics.median(wall[b]):.2f}, "
          f"CPU {statistics.median(cpu[a]) / statistics.median(cpu[b]):.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
