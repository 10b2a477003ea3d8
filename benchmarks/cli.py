"""Wall-clock cost of a cold ``ldn-evidence forest`` against R's metafor forest() (a script, not a test).

Each round runs, in random order, fresh processes of:

* ``ldn-evidence forest`` on the bundled studies (writes a PNG),
* ``Rscript`` fitting ``rma()`` to dat.bcg and drawing metafor's ``forest()`` to a PNG (when
  Rscript and metafor are installed: Debian's ``r-cran-metafor``),
* a bare matplotlib script (one line plot saved to PNG), the floor for any matplotlib tool,
* ``ldn-evidence --help``.

It prints the median and quartiles of each and the ratios to the R run. Run it on an otherwise idle
machine: ``python benchmarks/cli.py --rounds 15``.
"""
from __future__ import annotations

import argparse
import os
import random
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
png("{out}", width=800, height=600)
forest(res)
invisible(dev.off())
"""

BARE_MPL = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([1, 2, 3], [1, 4, 9])
fig.savefig({out!r})
"""


def _time(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=11)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ldn-bench-"))
    exe = shutil.which("ldn-evidence")
    cli = [exe] if exe else [sys.executable, "-m", "ldn_evidence.cli"]
    cases = {
        "ldn-evidence forest": (cli + ["forest", "-o", str(work / "ldn.png")], None),
        "ldn-evidence --help": (cli + ["--help"], None),
        "bare matplotlib script": ([sys.executable, "-c", BARE_MPL.format(out=str(work / "bare.png"))], None),
    }
    rscript = shutil.which("Rscript")
    if rscript and subprocess.run([rscript, "-e", "library(metafor)"], capture_output=True).returncode == 0:
        script = work / "forest.R"
        script.write_text(R_SCRIPT.format(out=work / "metafor.png"))
        cases["Rscript metafor forest()"] = ([rscript, str(script)], None)
    else:
        print("Rscript with metafor not found: absolute times only (apt-get install r-cran-metafor)")
    for cmd, env in cases.values():  # warm the OS file cache once
        _time(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        order = list(cases)
        random.shuffle(order)
        for name in order:
            cmd, env = cases[name]
            times[name].append(_time(cmd, env))
    ref = statistics.median(times["Rscript metafor forest()"]) if "Rscript metafor forest()" in times else None
    print(f"{args.rounds} rounds, {os.cpu_count()} cores; median [quartiles] wall-clock seconds")
    for name, ts in times.items():
        q = statistics.quantiles(ts, n=4)
        line = f"  {name:30s} {statistics.median(ts):6.3f}  [{q[0]:.3f}, {q[2]:.3f}]"
        if ref:
            line += f"   ratio to R: {statistics.median(ts) / ref:.2f}"
        print(line)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
