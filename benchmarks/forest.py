"""Time to build and save a forest plot in one process, by number of studies (a script, not a test).

    python benchmarks/forest.py [--repeat 5]

For k = 1, 5, 15, 30 and 60 synthetic studies (pooled with REML + Hartung-Knapp, two subgroups,
per-arm columns), the best of ``--repeat`` runs of ``forest_plot(...).savefig(PNG)`` after one
warm-up (font caches). The 15-row figure took about 0.15-0.20 s on the 2-core CI machine when
it was measured in 2026; a cold ``ldn-evidence forest`` is timed by benchmarks/cli.py.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import ldn_evidence as le  # noqa: E402
from ldn_evidence.plots.forest import forest_plot  # noqa: E402


def table(k: int, seed: int = 7) -> tuple[dict, object]:
    rng = np.random.default_rng(seed)
    yi = rng.normal(-0.3, 0.35, k)
    vi = rng.uniform(0.02, 0.2, k)
    z = 1.959963984540054
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = le.meta_analysis(yi, vi, method="REML", test="knha" if k > 1 else "z")
    t = {"label": [f"Study {i + 1} {2000 + i}" for i in range(k)], "yi": list(yi),
         "ci_low": list(yi - z * np.sqrt(vi)), "ci_high": list(yi + z * np.sqrt(vi)),
         "weight": list(res.weights), "n": [str(int(n)) for n in rng.integers(20, 200, k)],
         "design": ["crossover" if i % 3 == 0 else "parallel" for i in range(k)]}
    return t, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print("k    best build+save (s)")
    for k in (1, 5, 15, 30, 60):
        t, res = table(k)
        forest_plot(t, res).savefig(io.BytesIO(), format="png")  # warm font caches
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            forest_plot(t, res, columns={"design": "Design", "n": "N"}).savefig(io.BytesIO(), format="png")
            best = min(best, time.perf_counter() - start)
        print(f"{k:<4d} {best:.3f}")


if __name__ == "__main__":
    main()
