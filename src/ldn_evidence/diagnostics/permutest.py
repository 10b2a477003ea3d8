"""Permutation test of the pooled effect, as metafor's ``permutest()`` for intercept-only models:
the signs of the yi are flipped and the model refitted.

All 2^k sign patterns are used when 2^k <= n (metafor's rule, the exact test), otherwise n
random patterns. Patterns are drawn and fitted in chunks (O(k) memory per fit); only the
statistic, the estimate and a convergence flag are kept per pattern, and their size is checked
against :data:`~._common.TABLE_BYTES_LIMIT` before anything is allocated.

Reference: Follmann DA, Proschan MA (1999). Valid inference in random effects meta-analysis.
Biometrics 55:732-737.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._result import Result, fmt_number, fmt_p
from ..engine.batch import T_TESTS
from ._common import (TABLE_BYTES_LIMIT, check_count, check_feasible, check_fit, check_flag, check_seed, refit,
                      rows_per_chunk)
from .gosh_subsets import masks_from_codes

__all__ = ["permutation_test", "PermutationResult", "COMPTOL"]

#: metafor's permutest() comparison tolerance (control comptol = .Machine$double.eps^0.5)
COMPTOL = np.finfo(float).eps ** 0.5
#: bytes kept per sign pattern: the statistic, the estimate, the convergence flag
_PATTERN_BYTES = 8 + 8 + 1


@dataclass(repr=False)
class PermutationResult(Result):
    """Permutation test of the pooled effect (metafor ``permutest()``, intercept-only model).

    ``pvalue``: share of the sign-flipped data sets whose |z| (t under t, knha and adhoc) is at
    least the observed |z| (minus metafor's tolerance sqrt(eps)); ``qm_pvalue`` the same for QM
    (z^2, or the F statistic under t, knha and adhoc).
    ``exact``: all 2^k sign patterns were used (metafor's rule:
    when 2^k <= n). ``n``: number of permutations (2^k if exact); ``zval``/``estimate`` the
    observed statistic and estimate; ``zval_perm``/``beta_perm`` the permutation distribution
    (NaN for failed fits, which are left out of the p-values as metafor's ``na.rm``; not part of
    ``to_dict()``). ``mc_se``: Monte Carlo standard error of ``pvalue`` (0 if exact).
    """

    pvalue: float
    qm_pvalue: float
    exact: bool
    n: int
    zval: float
    estimate: float
    test: str
    method: str
    zval_perm: np.ndarray = field(repr=False)
    beta_perm: np.ndarray = field(repr=False)
    n_failed: int = 0
    seed: object = None

    _repr_fields = ("n", "exact", "zval", "pvalue")
    _dict_exclude = ("zval_perm", "beta_perm", "seed")

    @property
    def mc_se(self):
        return 0.0 if self.exact else math.sqrt(self.pvalue * (1 - self.pvalue) / max(self.n, 1))

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["mc_se"] = self.mc_se
        out["seed"] = self.seed if isinstance(self.seed, (int, type(None))) else repr(self.seed)
        return out

    def summary(self) -> str:
        stat = "t" if self.test in T_TESTS else "z"
        kind = "exact" if self.exact else f"approximate, MC SE {fmt_number(self.mc_se)}"
        return (f"Permutation test ({self.n:,} sign permutations, {kind}): observed {stat} = {fmt_number(self.zval)}, "
                f"permutation p {'' if fmt_p(self.pvalue).startswith('<') else '= '}{fmt_p(self.pvalue)}")


def _fit_patterns(res, n, signs_of, chunk_rows):
    """Fit the sign patterns ``signs_of(a, b)`` for rows ``a .. b-1``: (statistics, estimates, converged)."""
    y = np.asarray(res.yi, float)
    v = np.asarray(res.vi, float)
    z = np.empty(n)
    bt = np.empty(n)
    ok = np.empty(n, bool)
    for a in range(0, n, chunk_rows):
        b_ = min(n, a + chunk_rows)
        s = signs_of(a, b_)
        fit = refit(res, s * y, np.broadcast_to(v, s.shape))
        z[a:b_], bt[a:b_], ok[a:b_] = fit.stat[:, 0], fit.beta[:, 0], fit.converged
    return z, bt, ok


def permutation_test(res, n=1000, seed=None, *, exact=None, chunk_size=None):
    """Permutation test for the pooled effect, as metafor's ``permutest()`` for intercept-only
    models: the signs of the yi are flipped and the model (same method, test, level) refitted.

    Parameters
    ----------
    res : MetaResult
    n : int
        Number of random sign patterns (metafor's ``iter``). When 2^k <= n all 2^k patterns
        are used and the test is exact (metafor's rule).
    seed : int or numpy Generator, optional
        For the random patterns. The first pattern is the observed data (metafor).
    exact : bool, optional
        Force the exact test (True) regardless of ``n``.
    chunk_size : int, optional
        Fits per engine call; the results do not depend on it.

    Returns
    -------
    PermutationResult

    Raises
    ------
    ValueError
        When the patterns' statistics would not fit in :data:`~._common.TABLE_BYTES_LIMIT`
        (the exact test at k >= 26 needs 2^k fits); the message says what would.

    Notes
    -----
    A random pattern whose fit fails is redrawn (metafor's loop); in the exact test a failed
    fit is left out (NaN).

    Examples
    --------
    >>> from ldn_evidence.models import meta_analysis
    >>> res = meta_analysis([0.3, 0.5, 0.2, 0.6, 0.4], [0.02, 0.03, 0.04, 0.02, 0.03], method="DL", test="z")
    >>> p = permutation_test(res)
    >>> p.exact, p.n, p.pvalue
    (True, 32, 0.0625)
    """
    check_fit(res, "permutation_test")
    n = check_count(n, "n", 2)
    seed = check_seed(seed)
    exact = check_flag(exact, "exact", optional=True)
    k = res.k
    use_exact = bool(exact) or (k <= 62 and (1 << k) <= n)
    total = (1 << k) if use_exact and k <= 62 else n
    if use_exact:
        check_feasible(f"the exact permutation test at k = {k} (2^{k} sign patterns)",
                       (1 << min(k, 62)) * _PATTERN_BYTES if k <= 62 else float("inf"),
                       f"use random sign patterns (n <= {TABLE_BYTES_LIMIT // _PATTERN_BYTES:,}, exact=None)")
    else:
        check_feasible(f"the permutation test with n = {n:,}", n * _PATTERN_BYTES,
                       f"give n <= {TABLE_BYTES_LIMIT // _PATTERN_BYTES:,}")
    chunk_rows = rows_per_chunk(k, chunk_size)
    obs_z = res.zval
    if use_exact:
        zp, bp, okp = _fit_patterns(
            res, total, lambda a, b: 1.0 - 2.0 * masks_from_codes(np.arange(a, b, dtype=np.int64), k), chunk_rows)
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # drawn chunk by chunk from one stream: the patterns of one rng.random((n, k)) call
        zp, bp, okp = _fit_patterns(res, n, lambda a, b: np.where(rng.random((b - a, k)) < 0.5, -1.0, 1.0),
                                    chunk_rows)
    n_failed = int((~okp).sum())
    if not use_exact:
        for _ in range(100):                 # redraw failed patterns, as metafor's while loop
            bad = np.flatnonzero(~okp)
            if bad.size == 0:
                break
            s = np.where(rng.random((bad.size, k)) < 0.5, -1.0, 1.0)
            zp[bad], bp[bad], okp[bad] = _fit_patterns(res, bad.size, lambda a, b: s[a:b], chunk_rows)
        zp[0], bp[0], okp[0] = obs_z, res.estimate, True
    zp = np.where(okp, zp, np.nan)
    bp = np.where(okp, bp, np.nan)
    good = okp
    p = float(np.mean(np.abs(zp[good]) >= abs(obs_z) - COMPTOL)) if good.any() else float("nan")
    qmp = float(np.mean(zp[good] ** 2 >= obs_z * obs_z - COMPTOL)) if good.any() else float("nan")
    return PermutationResult(pvalue=min(p, 1.0), qm_pvalue=qmp, exact=use_exact, n=total, zval=float(obs_z),
                             estimate=float(res.estimate), test=res.test, method=res.method, zval_perm=zp,
                             beta_perm=bp, n_failed=n_failed, seed=seed)
