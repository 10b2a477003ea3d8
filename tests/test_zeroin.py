"""The two forms of Brent's zeroin (:mod:`ldn_evidence.engine.zeroin`) take the same steps: the
scalar one used for sequential root searches (group-sequential boundaries, look by look) gives
bit for bit the roots and the number of evaluations of the vectorised one (metafor's PM and
Q-profile searches, which agree with R's ``uniroot()``)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ldn_evidence.engine.zeroin import R_TOL, zeroin, zeroin_scalar

FUNCTIONS = [
    ("cubic", lambda x: x ** 3 - 2 * x - 5, 0.0, 4.0),
    ("exp", lambda x: math.exp(x) - 10.0, -3.0, 5.0),
    ("flat near root", lambda x: (x - 1.3) ** 5, 0.0, 3.0),
    ("steep", lambda x: math.atan(1e4 * (x - 0.123)), -1.0, 1.0),
    ("cos", lambda x: math.cos(x) - x, 0.0, 1.0),
    ("root at the lower end", lambda x: x, 0.0, 1.0),
]


@pytest.mark.parametrize("tol", [R_TOL, 1e-12])
@pytest.mark.parametrize("name, f, lo, hi", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_scalar_zeroin_takes_the_vectorised_steps(name, f, lo, hi, tol):
    calls_scalar, calls_vector = [], []

    def fs(x):
        calls_scalar.append(x)
        return f(x)

    def fv(x, rows):
        calls_vector.extend(x.tolist())
        return np.array([f(v) for v in x])

    root_s, ok_s = zeroin_scalar(fs, lo, hi, f(lo), f(hi), tol=tol)
    root_v, ok_v = zeroin(fv, np.array([lo]), np.array([hi]), np.array([f(lo)]), np.array([f(hi)]), tol=tol)
    assert ok_s and ok_v[0]
    assert root_s == root_v[0]
    assert calls_scalar == calls_vector
    assert abs(f(root_s)) <= abs(f(root_s - tol)) + abs(f(root_s + tol))   # a root, to the tolerance


def test_scalar_zeroin_reports_the_iteration_limit():
    root, ok = zeroin_scalar(lambda x: math.atan(1e4 * (x - 0.3)), 0.0, 1.0, math.atan(-3e3), math.atan(7e3),
                             tol=1e-15, maxiter=2)
    assert not ok and 0.0 <= root <= 1.0


def test_rows_of_the_vectorised_zeroin_are_independent():
    """Many equations at once (the TSA's boundary curve): each row's root is the one found alone."""
    targets = np.linspace(-0.9, 0.9, 7)
    f = lambda x, rows: np.tanh(x) - targets[rows]  # noqa: E731
    lo, hi = np.full(7, -5.0), np.full(7, 5.0)
    roots, ok = zeroin(f, lo, hi, f(lo, np.arange(7)), f(hi, np.arange(7)), tol=1e-13)
    assert ok.all()
    alone = [zeroin_scalar(lambda x, t=t: float(np.tanh(x) - t), -5.0, 5.0, float(np.tanh(-5.0) - t),
                           float(np.tanh(5.0) - t), tol=1e-13)[0] for t in targets]
    assert roots.tolist() == alone
    np.testing.assert_allclose(roots, np.arctanh(targets), atol=1e-12)
