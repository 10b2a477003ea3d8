"""Exact-arithmetic reference values for the engine (issue 14 item 1), computed with mpmath.

Run from the repository root:

    python tests/reference/engine/make_exact_reference.py

It writes tests/reference/engine/mpmath_exact.json, which tests/test_engine_accuracy.py reads.
Every input is a binary double (stored in the JSON as written by Python's repr, so the test reads
back the very same numbers) and is converted to mpmath exactly; all arithmetic is done with 80
significant digits, far more than any result needs, and the results are rounded to doubles.

Contents

- ``kernel``: for weight vectors ``w`` (and sampling variances ``v``) where one weight dominates,
  the traces and sums the intercept-only model needs, computed from the explicit matrix
  ``P = W - w w' / sum(w)`` exactly as their definitions say: ``tr(P)``, ``sum(P * P)``,
  ``tr(PV)``, ``tr(PVPV)`` and ``sum(PV * P)``.
- ``estimators``: tau^2 and SE(tau^2) of the non-iterative estimators (DL, HS, HE, SJ; the
  formulas of metafor 3.8's rma.uni) on data sets where one weight dominates.
- ``reml_iteration``: REML by Fisher scoring with metafor's rules (start at max(0, HE),
  step = (y'PPy - tr(P)) / sum(P * P), halving while tau^2 + step < 0 (a negative step at
  tau^2 = 0 is halved until it underflows, i.e. it is 0), stop when the change is <= 1e-5),
  carried out exactly: the iterates, the final tau^2 and SE(tau^2) = sqrt(2 / sum(P * P)).
"""
from __future__ import annotations

import json
from pathlib import Path

# mpmath is imported by main(): pytest's doctest collection imports this file, and the tests
# themselves read only the JSON, so running them must not need mpmath
mp = None
DIGITS = 80
OUT = Path(__file__).with_name("mpmath_exact.json")


def P_matrix(w):
    s = mp.fsum(w)
    k = len(w)
    return [[(w[i] if i == j else mp.mpf(0)) - w[i] * w[j] / s for j in range(k)] for i in range(k)]


def kernel_terms(w, v):
    k = len(w)
    P = P_matrix(w)
    PV = [[P[i][j] * v[j] for j in range(k)] for i in range(k)]
    return {
        "trP": mp.fsum(P[i][i] for i in range(k)),
        "sumPP": mp.fsum(P[i][j] ** 2 for i in range(k) for j in range(k)),
        "trPV": mp.fsum(PV[i][i] for i in range(k)),
        "trPVPV": mp.fsum(PV[i][j] * PV[j][i] for i in range(k) for j in range(k)),
        "sumPVP": mp.fsum(PV[i][j] * P[i][j] for i in range(k) for j in range(k)),
    }


def rss(P, y):
    k = len(y)
    return mp.fsum(y[i] * P[i][j] * y[j] for i in range(k) for j in range(k))


def estimators(y, v):
    """tau^2 and SE(tau^2) as metafor 3.8's rma.uni (intercept-only, p = 1)."""
    k = len(y)
    df = k - 1
    out = {}
    # DL
    w = [1 / x for x in v]
    P = P_matrix(w)
    t = kernel_terms(w, v)
    q = rss(P, y)
    tau2 = max(mp.mpf(0), (q - df) / t["trP"])
    out["DL"] = {"tau2": tau2, "se_tau2": mp.sqrt(1 / t["trP"] ** 2 * (2 * df + 4 * tau2 * t["trP"]
                                                                       + 2 * tau2 ** 2 * t["sumPP"]))}
    # HS
    s = mp.fsum(w)
    tau2 = max(mp.mpf(0), (q - k) / s)
    out["HS"] = {"tau2": tau2, "se_tau2": mp.sqrt(1 / s ** 2 * (2 * df + 4 * tau2 * t["trP"]
                                                                + 2 * tau2 ** 2 * t["sumPP"]))}
    # HE (unweighted)
    one = [mp.mpf(1)] * k
    P1 = P_matrix(one)
    t1 = kernel_terms(one, v)
    tau2 = max(mp.mpf(0), (rss(P1, y) - t1["trPV"]) / df)
    out["HE"] = {"tau2": tau2, "se_tau2": mp.sqrt(1 / mp.mpf(df) ** 2 * (2 * t1["trPVPV"] + 4 * tau2 * t1["trPV"]
                                                                         + 2 * tau2 ** 2 * df))}
    # SJ with metafor's starting value tau2_0 = mean((y - mean(y))^2)
    ybar = mp.fsum(y) / k
    tau0 = mp.fsum((x - ybar) ** 2 for x in y) / k
    w0 = [1 / (x + tau0) for x in v]
    P0 = P_matrix(w0)
    t0 = kernel_terms(w0, v)
    tau2 = max(mp.mpf(0), tau0 * rss(P0, y) / df)
    out["SJ"] = {"tau2": tau2, "se_tau2": mp.sqrt(tau0 ** 2 / mp.mpf(df) ** 2 * (
        2 * t0["trPVPV"] + 4 * tau2 * t0["sumPVP"] + 2 * tau2 ** 2 * t0["sumPP"]))}
    return out


def reml_iteration(y, v, threshold="1e-5", maxiter=100):
    threshold = mp.mpf(threshold)
    k = len(y)
    one = [mp.mpf(1)] * k
    P1 = P_matrix(one)
    tau2 = max(mp.mpf(0), (rss(P1, y) - kernel_terms(one, v)["trPV"]) / (k - 1))
    iterates = [tau2]
    for it in range(1, maxiter + 1):
        w = [1 / (x + tau2) for x in v]
        P = P_matrix(w)
        Py = [mp.fsum(P[i][j] * y[j] for j in range(k)) for i in range(k)]
        t = kernel_terms(w, v)
        adj = (mp.fsum(x * x for x in Py) - t["trP"]) / t["sumPP"]
        if tau2 == 0 and adj < 0:
            adj = mp.mpf(0)  # in doubles metafor's halving ends when adj underflows to -0
        while tau2 + adj < 0:
            adj /= 2
        new = tau2 + adj
        change = abs(new - tau2)
        tau2 = new
        iterates.append(tau2)
        if change <= threshold:
            break
    else:
        raise RuntimeError("did not converge")
    w = [1 / (x + tau2) for x in v]
    return {"tau2": tau2, "iterations": it, "se_tau2": mp.sqrt(2 / kernel_terms(w, v)["sumPP"]),
            "iterates": iterates}


def f(x):
    return float(x) if not isinstance(x, list) else [float(e) for e in x]


def main():
    global mp
    import mpmath

    mp = mpmath
    mp.mp.dps = DIGITS
    kernel_cases = {
        # DL weights 1/vi of issue 14's example, vi = (1e-4, 50)
        "issue14_dl_weights": ([1 / 1e-4, 1 / 50], [1e-4, 50.0]),
        # the REML example's weights at tau^2 = 6.8e-7 and vi
        "issue14_reml_weights": ([1 / (1e-5 + 6.8e-7), 1 / (1e4 + 6.8e-7), 1 / (504 + 6.8e-7)], [1e-5, 1e4, 504.0]),
        "one_in_1e8": ([1e8, 1.0, 2.0, 0.5, 3.0], [1e-8, 1.0, 0.5, 2.0, 1 / 3]),
        "one_in_1e12_k10": ([1e12] + [1.0 + 0.1 * i for i in range(9)], [1e-12] + [1 / (1.0 + 0.1 * i) for i in range(9)]),
        "balanced_k6": ([2.0, 3.0, 2.5, 4.0, 1.5, 3.5], [0.5, 1 / 3, 0.4, 0.25, 2 / 3, 2 / 7]),
        "two_equal_k2": ([5.0, 5.0], [0.2, 0.2]),
        "three_quarters_k4": ([3.0, 0.4, 0.35, 0.25], [1 / 3, 2.5, 1 / 0.35, 4.0]),
    }
    kernel = []
    for name, (w, v) in kernel_cases.items():
        terms = kernel_terms([mp.mpf(x) for x in w], [mp.mpf(x) for x in v])
        kernel.append({"name": name, "w": w, "v": v, **{k: f(x) for k, x in terms.items()}})

    data = {
        "issue14_dominant_dl_k2": ([0.0, 10.0], [1e-4, 50.0]),
        "issue14_dominant_reml_k3": ([0.0021, 141.85, 12.08], [1e-5, 1e4, 504.0]),
        "dominant_k5": ([0.11, 0.9, -0.4, 1.3, 0.25], [1e-6, 0.5, 0.8, 1.2, 2.0]),
    }
    est = []
    for name, (y, v) in data.items():
        res = estimators([mp.mpf(x) for x in y], [mp.mpf(x) for x in v])
        for method, r in res.items():
            est.append({"dataset": name, "yi": y, "vi": v, "method": method, "tau2": f(r["tau2"]),
                        "se_tau2": f(r["se_tau2"])})

    reml = []
    for name in ("issue14_dominant_reml_k3", "dominant_k5"):
        y, v = data[name]
        r = reml_iteration([mp.mpf(x) for x in y], [mp.mpf(x) for x in v])
        reml.append({"dataset": name, "yi": y, "vi": v, "tau2": f(r["tau2"]), "se_tau2": f(r["se_tau2"]),
                     "iterations": r["iterations"], "iterates": f(r["iterates"])})

    out = {"generated_by": "tests/reference/engine/make_exact_reference.py", "mpmath_version": mp.__version__,
           "digits": mp.mp.dps, "kernel": kernel, "estimators": est, "reml_iteration": reml}
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
