"""The diagnostics scale (issue 15 item 6): O(k) memory per fit, sampling when enumeration is
infeasible, refusal before allocating what would not fit.

Memory is measured in a fresh interpreter with :mod:`tracemalloc` (numpy reports its arrays to
it): the peak of what one diagnostic allocates, against bounds far below a single k x k array
(at k = 10,000 one k x k float array is 800 MB, a boolean one 100 MB). No wall-clock asserts;
the times are in benchmarks/sensitivity.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

PROLOGUE = """
import json, sys, tracemalloc, warnings
import numpy as np
warnings.simplefilter("ignore")
from ldn_evidence.models import meta_analysis

def data(k, seed=20240601):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.3, k)
    return rng.normal(0.3, np.sqrt(v + 0.05)) + 0.3 * np.sqrt(v), v

out = {}
def peak(name, call):
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = call()
        error = None
    except Exception as exc:
        result, error = None, f"{type(exc).__name__}: {exc}"
    out[name] = {"mb": tracemalloc.get_traced_memory()[1] / 2**20, "error": error}
    tracemalloc.stop()
    return result
"""


def _run(body: str) -> dict:
    code = PROLOGUE + body + "\nprint(json.dumps(out))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_diagnostics_at_k10000_stay_within_o_k_memory_per_fit():
    out = _run("""
y, v = data(10_000)
res = meta_analysis(y, v, method="DL", test="knha")
loo = peak("leave_one_out", res.leave_one_out)
assert loo.shape == (10_000, 11) and np.isfinite(loo["estimate"]).all()
reml = meta_analysis(y, v, method="REML", test="knha")
for name in ("egger_test", "rank_test", "trim_and_fill"):
    peak(name, getattr(reml, name))
peak("permutation_test", lambda: reml.permutation_test(n=200, seed=1))
g = peak("gosh", lambda: reml.gosh(max_subsets=100, seed=1))
assert len(g) == 100
y4, v4 = data(4000)
r4 = meta_analysis(y4, v4, method="DL")
peak("influence", r4.influence)
peak("cumulative", r4.cumulative)
""")
    for name, got in out.items():
        assert got["error"] is None, (name, got["error"])
    # a chunk of fits is a few MB; the k x k arrays of before were 800 MB (128 MB at k = 4,000)
    for name in ("leave_one_out", "egger_test", "rank_test", "trim_and_fill", "permutation_test", "influence",
                 "cumulative"):
        assert out[name]["mb"] < 64, (name, out[name])
    assert out["gosh"]["mb"] < 64, out["gosh"]          # 100 subsets x 10,000 flags is 1 MB


@pytest.mark.slow
def test_gosh_at_k1000_with_1e5_subsets_within_1_gb_and_enumeration_refused_before_allocating():
    out = _run("""
y, v = data(1000)
res = meta_analysis(y, v, method="DL")
g = peak("gosh_1e5", lambda: res.gosh(max_subsets=10**5, seed=3))
assert len(g) == 10**5 and not g.attrs["exact"] and (np.diff(g["k"]) >= 0).all()
peak("gosh_default", lambda: res.gosh(seed=3))                      # 10^6 x 1000 flags: 1 GB, refused
peak("perm_exact", lambda: res.permutation_test(n=100, exact=True))  # 2^1000 sign patterns, refused
p = peak("perm_1e3", lambda: res.permutation_test(n=1000, seed=2))
assert not p.exact and p.n == 1000
""")
    # the table: 10^5 rows x 1000 boolean study columns (95 MB) and the statistics
    assert out["gosh_1e5"]["error"] is None and out["gosh_1e5"]["mb"] < 256, out["gosh_1e5"]
    assert "would need about" in out["gosh_default"]["error"] and "max_subsets <=" in out["gosh_default"]["error"]
    assert "2^1000 sign patterns" in out["perm_exact"]["error"]
    for name in ("gosh_default", "perm_exact"):
        assert out[name]["mb"] < 16, (name, out[name])          # refused before allocating
    assert out["perm_1e3"]["error"] is None


def test_gosh_and_permutations_past_1024_studies_sample_instead_of_overflowing():
    """2.0 ** k overflowed at k >= 1024 even with max_subsets=100."""
    import numpy as np

    from ldn_evidence.models import meta_analysis

    rng = np.random.default_rng(1)
    v = rng.uniform(0.01, 0.3, 1100)
    res = meta_analysis(rng.normal(0.2, np.sqrt(v + 0.02)), v, method="DL", test="z")
    g = res.gosh(max_subsets=50, seed=1)
    assert len(g) == 50 and "subset" not in g and g.attrs["k"] == 1100
    p = res.permutation_test(n=20, seed=1)
    assert not p.exact and p.n == 20


def test_chunking_does_not_change_the_results():
    import numpy as np
    import pandas as pd

    from ldn_evidence.models import meta_analysis

    rng = np.random.default_rng(7)
    v = rng.uniform(0.01, 0.3, 60)
    res = meta_analysis(rng.normal(0.2, np.sqrt(v + 0.05)), v)
    for name in ("leave_one_out", "influence", "cumulative", "baujat"):
        a, b = getattr(res, name)(), getattr(res, name)(chunk_size=7)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    a = res.permutation_test(n=300, seed=4)
    b = res.permutation_test(n=300, seed=4, chunk_size=13)
    assert a.pvalue == b.pvalue and np.allclose(a.zval_perm, b.zval_perm, rtol=1e-12)
