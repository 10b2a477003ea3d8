"""Exact p-values of Begg and Mazumdar's rank test where metafor gives none, by exact arithmetic.

Run from the repository root (after make_large_reference.R, whose data it reads):

    python tests/reference/sensitivity/make_kendall_exact.py

metafor 3.8-1's ranktest() returns p = NaN from k = 171 on (R's pkendall divides by n!, which
overflows a double). This script computes the exact two-sided p-value of Kendall's test for
those data sets with Python integers: the number of permutations of n with at most c
inversions (Mahonian numbers, by the recurrence T(n, c) = sum_{i=0}^{min(c, n-1)} T(n-1, c-i)),
p = min(1, 2 * sum_{i<=c} T(n, i) / n!) with c = min(discordant, n(n-1)/2 - discordant), as R's
cor.test(exact = TRUE) defines it. The standardized effects are metafor's
(yi - theta_EE) / sqrt(vi - 1/sum(1/vi)); only their ranks matter. It writes kendall_exact.json.
"""
from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent


def standardized(yi, vi):
    w = [1 / v for v in vi]
    theta = sum(wi * y for wi, y in zip(w, yi)) / sum(w)
    vb = 1 / sum(w)
    return [(y - theta) / math.sqrt(v - vb) for y, v in zip(yi, vi)]


def discordant(x, y):
    n = len(x)
    d = 0
    for i in range(n):
        for j in range(i + 1, n):
            s = (x[i] - x[j]) * (y[i] - y[j])
            if s == 0:
                raise ValueError("ties: the exact test does not apply")
            d += s < 0
    return d


def mahonian_cdf(n, c):
    """sum_{i <= c} of the number of permutations of n items with i inversions (exact integers)."""
    row = [1] + [0] * c          # n = 1
    for m in range(2, n + 1):
        prefix = [0] * (c + 2)
        for i in range(c + 1):
            prefix[i + 1] = prefix[i] + row[i]
        row = [prefix[i + 1] - prefix[max(0, i - (m - 1))] for i in range(c + 1)]
    return sum(row)


def exact_p(x, y):
    n = len(x)
    tot = n * (n - 1) // 2
    dis = discordant(x, y)
    c = min(dis, tot - dis)
    p = Fraction(2 * mahonian_cdf(n, c), math.factorial(n))
    return min(1.0, float(p)), (tot - 2 * dis) / tot


def main():
    ref = json.loads((HERE / "metafor_large_k.json").read_text())
    sets = [("k300", ref["k300"]["data"]["yi"], ref["k300"]["data"]["vi"])]
    sets += [(f"k{r['k']}", r["yi"], r["vi"]) for r in ref["ranktest"] if r["k"] >= 171]
    out = []
    for name, yi, vi in sets:
        x = standardized(yi, vi)
        p, tau = exact_p(x, list(vi))
        out.append({"name": name, "k": len(yi), "tau": tau, "pval": p})
        print(name, len(yi), tau, p)
    (HERE / "kendall_exact.json").write_text(json.dumps({"method": "exact integer arithmetic (Mahonian numbers)",
                                                         "sets": out}, indent=1) + "\n")


if __name__ == "__main__":
    main()
