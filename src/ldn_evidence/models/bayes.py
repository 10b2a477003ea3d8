"""Bayesian random-effects meta-analysis without MCMC: ``bayes_meta_analysis``.

The normal-normal hierarchical model y_i ~ N(theta_i, v_i), theta_i ~ N(mu, tau^2), with a flat
or normal prior for mu and a (weakly) informative prior for tau, is what methodologists
recommend when only a few studies are pooled and tau^2 is barely estimable (Friede et al.
2017; Röver et al. 2021). This module validates the inputs, runs the vectorised core
(:mod:`._bayes_core`) and wraps the rows in result objects (:mod:`.bayes_result`).

Why hand-written
----------------
No Python library fits this model without MCMC (PyMC, Stan and NumPyro sample; statsmodels and
PyMARE are frequentist). The R package bayesmeta (Röver 2020) computes it semi-analytically:
mu | tau, y is normal, so only the one-dimensional posterior of tau is numerical, and the
marginals of mu, of a new study and of each study's theta_i are normal mixtures over tau, which
bayesmeta discretises with the DIRECT algorithm (Röver & Friede 2017). We follow the same
decomposition with a Chebyshev grid on a sinh-mapped tau axis whose error estimate drives an
adaptive refinement (see :mod:`._bayes_core`), vectorised over many meta-analyses: prior
sensitivity grids and resampling cost one call. Agreement: 1e-6 or better with brute-force
two-dimensional quadrature and with bayesmeta run at tight accuracy (``delta=1e-5,
epsilon=1e-9``); see ``tests/test_bayes.py`` and ``docs/bayes.md``.

References
----------
Röver C (2020). Bayesian random-effects meta-analysis using the bayesmeta R package. J Stat
Softw 93(6):1-51. doi:10.18637/jss.v093.i06.
Röver C, Friede T (2017). Discrete approximation of a mixture distribution via restricted
divergence. J Comput Graph Stat 26(1):217-222. doi:10.1080/10618600.2016.1276840.
Friede T, Röver C, Wandel S, Neuenschwander B (2017). Meta-analysis of two studies in the
presence of heterogeneity with applications in rare diseases. Biom J 59(4):658-671.
Röver C, Bender R, Dias S, Schmid CH, Schmidli H, Sturtz S, Weber S, Friede T (2021). On weakly
informative prior distributions for the heterogeneity parameter in Bayesian random-effects
meta-analysis. Res Synth Methods 12(4):448-474.
"""
from __future__ import annotations

import math

import numpy as np

from . import _bayes_core as core
from .bayes_priors import TauPrior, make_prior, rhodes_prior, turner_prior
from .bayes_result import SCALARS, BayesMetaResult, BayesMetaResults, _mu_prior_text

__all__ = ["bayes_meta_analysis", "BayesMetaResult", "BayesMetaResults", "TauPrior", "turner_prior",
           "rhodes_prior"]


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


def _is_pandas(x):
    return hasattr(x, "index") and hasattr(x, "to_numpy")


def _align(yi, vi):
    """Align pandas inputs on their index (and columns); refuse differing labels."""
    if not (_is_pandas(yi) and _is_pandas(vi)):
        return yi, vi
    if not yi.index.equals(vi.index):
        if yi.index.has_duplicates or vi.index.has_duplicates or set(yi.index) != set(vi.index):
            raise ValueError("yi and vi are pandas objects with different indexes; align them "
                             "(or pass plain arrays) so that each vi belongs to its yi")
        vi = vi.reindex(yi.index)
    if hasattr(yi, "columns") and hasattr(vi, "columns") and not yi.columns.equals(vi.columns):
        if set(yi.columns) != set(vi.columns):
            raise ValueError("yi and vi are DataFrames with different columns")
        vi = vi[yi.columns]
    return yi, vi


def _as_array(x, name):
    values = x.to_numpy() if _is_pandas(x) else x
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {x!r}") from None
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim > 2:
        raise ValueError(f"{name} must be 1-D (one meta-analysis) or 2-D (one per row), got shape {arr.shape}")
    return arr


def _labels(labels, yi, k):
    if labels is None:
        if _is_pandas(yi) and np.ndim(yi) == 1 and type(yi.index).__name__ != "RangeIndex":
            return [str(i) for i in yi.index]
        if _is_pandas(yi) and np.ndim(yi) == 2:
            return [str(c) for c in yi.columns]
        return [str(i + 1) for i in range(k)]
    labs = [str(x) for x in (labels.tolist() if hasattr(labels, "tolist") else labels)]
    if len(labs) != k:
        raise ValueError(f"labels has {len(labs)} entries but there are {k} studies")
    return labs


def _check_values(y, v, labs, mask=None):
    present = np.ones(y.shape, dtype=bool) if mask is None else mask
    if np.all(np.isfinite(y[present])) and np.all(np.isfinite(v[present])) and np.all(v[present] > 0):
        return
    for idx in np.ndindex(y.shape):
        if not present[idx]:
            continue
        where = f"study {labs[idx[-1]]!r} (index {idx[-1]})" if y.ndim == 1 else f"row {idx[0]}, study index {idx[1]}"
        if not math.isfinite(y[idx]):
            raise ValueError(f"yi: {where} is {float(y[idx])}; effect sizes must be finite")
        if not math.isfinite(v[idx]):
            raise ValueError(f"vi: {where} is {float(v[idx])}; sampling variances must be finite")
        if v[idx] <= 0:
            raise ValueError(f"vi: {where} is {float(v[idx])}; sampling variances must be > 0")


def _level(level):
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"level must be a percent in (0, 100), got {level!r}") from None
    if not (0 < lv < 100):
        raise ValueError(f"level must be a percent in (0, 100), got {level!r}")
    return lv


def _mu_prior(mu_prior):
    """None, or (mean, sd) arrays; accepts a pair or a mapping with 'mean' and 'sd'."""
    if mu_prior is None:
        return None
    if isinstance(mu_prior, dict):
        if set(mu_prior) != {"mean", "sd"}:
            raise ValueError(f"mu_prior as a mapping needs exactly the keys 'mean' and 'sd', got {sorted(mu_prior)}")
        pair = (mu_prior["mean"], mu_prior["sd"])
    else:
        try:
            pair = tuple(mu_prior)
        except TypeError:
            raise ValueError(f"mu_prior must be None (flat) or (mean, sd), got {mu_prior!r}") from None
        if len(pair) != 2:
            raise ValueError(f"mu_prior must be None (flat) or (mean, sd), got {mu_prior!r}")
    mean = np.asarray(pair[0], dtype=float)
    sd = np.asarray(pair[1], dtype=float)
    if mean.ndim > 1 or sd.ndim > 1:
        raise ValueError("mu_prior: mean and sd must be numbers or 1-D arrays (one per meta-analysis)")
    if np.any(~np.isfinite(mean)):
        raise ValueError(f"mu_prior: the mean must be finite, got {pair[0]!r}")
    if np.any(~np.isfinite(sd)) or np.any(sd <= 0):
        raise ValueError(f"mu_prior: the sd must be finite and > 0, got {pair[1]!r}")
    return mean, sd


def _mask(mask, shape):
    """The boolean mask of the studies present in each row (None: all of them), checked."""
    if mask is None:
        return None
    if len(shape) != 2:
        raise ValueError("mask needs 2-D yi and vi (one meta-analysis per row)")
    try:
        arr = np.asarray(mask)
    except (TypeError, ValueError):
        raise ValueError(f"mask must be a boolean array of shape {shape}") from None
    if arr.shape != shape or arr.dtype != bool:
        raise ValueError(f"mask must be a boolean array of the shape of yi {shape}, got "
                         f"{arr.dtype} of shape {arr.shape}")
    empty = np.nonzero(~arr.any(-1))[0]
    if empty.size:
        raise ValueError(f"mask: row {int(empty[0])} has no study (every meta-analysis needs at least one)")
    return arr


def _rows_of(*sizes):
    big = {s for s in sizes if s != 1}
    if len(big) > 1:
        raise ValueError(f"the number of meta-analyses differs between arguments: {sorted(big)}")
    return big.pop() if big else 1


# ---------------------------------------------------------------------------------------------
# the function
# ---------------------------------------------------------------------------------------------


def bayes_meta_analysis(yi, vi, tau_prior="halfnormal", tau_scale=0.5, mu_prior=None, level=95, *,
                        labels=None, tau_df=None, tau_sdlog=None, mask=None):
    """Bayesian random-effects meta-analysis (normal-normal hierarchical model), without MCMC.

    Parameters
    ----------
    yi, vi : array_like or pandas Series/DataFrame
        Effect sizes and sampling variances (finite, ``vi > 0``). 1-D: one meta-analysis. 2-D:
        one meta-analysis per row (same number of studies in each). pandas inputs are aligned
        on their index (refused if the labels differ).
    tau_prior : str or TauPrior
        ``"halfnormal"`` (default), ``"halfcauchy"``, ``"halft"`` (``tau_df`` degrees of
        freedom, default 3), ``"uniform"`` (on [0, tau_scale]; ``tau_scale=inf`` is the improper
        uniform prior) or ``"lognormal"`` (median ``tau_scale``, ``tau_sdlog`` default 1); or a
        :class:`TauPrior`, e.g. ``turner_prior("pain", "pharmacological vs placebo")`` (Turner
        et al. 2015, log odds ratios) or ``rhodes_prior(...)`` (Rhodes et al. 2015, SMDs).
    tau_scale : float or array
        Scale of the tau prior (an array gives one meta-analysis per value: a prior
        sensitivity grid in one call). Default 0.5, the half-normal(0.5) of Friede et al.
        (2017) for log odds ratios.
    mu_prior : None or (mean, sd)
        None: the improper flat prior (bayesmeta's default); (mean, sd): normal. The mean and sd
        may be arrays (one per meta-analysis).
    level : float
        Credible/prediction interval level in percent, in (0, 100).
    labels : sequence of str, optional
        Study labels (default: the Series index or 1..k).
    tau_df, tau_sdlog : float, optional
        Degrees of freedom of ``"halft"``; log-scale sd of ``"lognormal"``.
    mask : 2-D boolean array, optional
        With 2-D ``yi``/``vi``: True where a study belongs to that row's meta-analysis, so that
        rows of different sizes (subgroups, subsets of studies) are fitted in one call. Entries
        outside the mask are ignored (they may be NaN); each row's result holds only its own
        studies (``labels`` name the columns).

    Returns
    -------
    BayesMetaResult or BayesMetaResults
        One result for 1-D input; a list-like of results (with array attributes and a
        vectorised ``to_frame()``) for 2-D input or when prior parameters are arrays.

    Raises
    ------
    ValueError
        Non-finite ``yi``/``vi``, ``vi <= 0``, shape mismatch, misaligned pandas inputs,
        ``level`` outside (0, 100), unknown prior name, a bad scale, or an improper posterior
        (improper uniform prior for tau with too few studies).

    Notes
    -----
    Given tau, mu | tau, y ~ N(mu_hat(tau), V(tau)) with weights w_i = 1 / (v_i + tau^2);
    a normal prior on mu enters as one more "study" of precision 1 / sd^2 (Röver 2020, sec.
    2.4). p(tau | y) is proportional to p(y | tau) p(tau); each study's theta_i | tau, y is
    normal with mean b_i mu_hat + (1 - b_i) y_i, b_i = v_i / (v_i + tau^2), variance
    v_i (1 - b_i) + b_i^2 V (Röver 2020, sec. 2.8); a new study's theta is N(mu_hat, V + tau^2).
    Intervals are central (``*_ci_*``, ``pi_low``/``pi_high``) and shortest (``*_hpd_*``,
    bayesmeta's default). Posterior means and sds that do not exist (heavy posterior tails,
    e.g. an improper uniform tau prior with k = 3) are NaN with a note.

    References
    ----------
    Röver C (2020). J Stat Softw 93(6). doi:10.18637/jss.v093.i06.
    Röver C, Friede T (2017). J Comput Graph Stat 26(1):217-222.

    Examples
    --------
    The pediatric liver transplant example of Röver (2020, sec. 3.3; CrinsEtAl2014 log odds
    ratios), half-normal(0.5) prior for tau and a normal(0, 4^2) prior for mu:

    >>> import ldn_evidence as le
    >>> yi = [-2.3097026, -0.4595323, -2.3025851, -1.7578579, -1.2584610, -2.4178959]
    >>> vi = [0.3593718, 0.3095760, 0.7750000, 0.2078161, 0.4121591, 2.3372623]
    >>> b = le.bayes_meta_analysis(yi, vi, tau_prior="halfnormal", tau_scale=0.5, mu_prior=(0, 4))
    >>> round(b.mu_median, 3), round(b.mu_hpd_low, 3), round(b.mu_hpd_high, 3)
    (-1.573, -2.231, -0.927)
    >>> round(b.tau_median, 3), round(b.prob("mu", "<", 0), 4)
    (0.345, 0.9999)

    A prior-sensitivity grid over the half-normal scale in one call:

    >>> grid = le.bayes_meta_analysis(yi, vi, tau_scale=[0.25, 0.5, 1.0], mu_prior=(0, 4))
    >>> [round(float(x), 3) for x in grid.tau_median]
    [0.186, 0.345, 0.49]

    Meta-analyses of different sizes in one call (all six studies; the first three; the rest):

    >>> import numpy as np
    >>> rows = le.bayes_meta_analysis(np.tile(yi, (3, 1)), np.tile(vi, (3, 1)), mu_prior=(0, 4),
    ...                               mask=np.array([[True] * 6, [True] * 3 + [False] * 3, [False] * 3 + [True] * 3]))
    >>> rows.k.tolist(), round(float(rows.mu_median[0]), 3), rows[1].labels
    ([6, 3, 3], -1.573, ['1', '2', '3'])
    """
    lv = _level(level)
    yi, vi = _align(yi, vi)
    y, v, labs, present = _inputs(yi, vi, labels, mask)
    two_d, k = y.ndim == 2, y.shape[-1]
    prior = make_prior(tau_prior, tau_scale, tau_df=tau_df, tau_sdlog=tau_sdlog)
    mp = _mu_prior(mu_prior)
    m = _rows_of(y.shape[0] if two_d else 1, prior.size,
                 *(() if mp is None else (np.size(mp[0]), np.size(mp[1]))))
    if prior.size not in (1, m):
        raise ValueError(f"tau_scale has {prior.size} values for {m} meta-analyses")
    Y = np.broadcast_to(y if two_d else y[None, :], (m, k)).astype(float)
    V = np.broadcast_to(v if two_d else v[None, :], (m, k)).astype(float)
    prec0, m0 = _mu_rows(mp, m)
    full = np.ones((m, k), dtype=bool) if present is None else np.broadcast_to(present, (m, k))
    ks = full.sum(-1)
    existence = _proper(prior, ks, mp)
    res, blocks, where = core.fit_batch(Y, V, full, prior, prec0, m0, lv / 100.0)
    arrays = _finish(res, prior, mp, existence, m, full)

    def make_row(i):
        notes = _notes_common(prior, mp, int(ks[i]), tuple(bool(e[i]) for e in existence))
        return _row(i, arrays, res, blocks, where, Y, V, labs, prior, mp, lv, notes, full[i])

    if not (two_d or m > 1):
        return make_row(0)
    arrays.update(k=ks, **_prior_texts(prior, prec0, m0, m))
    index = list(yi.index) if two_d and _is_pandas(yi) else None
    return BayesMetaResults(arrays, make_row, index=index, meta={"level": lv})


def _proper(prior, ks, mp):
    """Which posterior moments exist in each row (:func:`_moments`); ValueError when a row's
    posterior is improper (an improper tau prior with too few studies)."""
    existence = _moments(prior, ks, mp is None)
    if not np.all(existence[0]):
        kmin = int(ks[~existence[0]].min())
        raise ValueError(
            f"the posterior is improper: with tau_prior={prior.describe()!r} and "
            f"{'a flat' if mp is None else 'a normal'} mu prior, k = {kmin} studies are too few "
            f"(need k >= {3 if mp is None else 2}); use a proper tau prior (e.g. 'halfnormal')")
    return existence


def _prior_texts(prior, prec0, m0, m):
    """Each row's priors in words, for the batch's table."""
    tau = [core.prior_rows(prior, np.array([i])).describe() for i in range(m)] if prior.size > 1 \
        else [prior.describe()] * m
    mu = [_mu_prior_text(None if prec0[i, 0] == 0 else (float(m0[i, 0]), float(1 / math.sqrt(prec0[i, 0]))))
          for i in range(m)]
    return {"tau_prior_text": tau, "mu_prior_text": mu}


def _inputs(yi, vi, labels, mask):
    """yi and vi as float arrays (values outside the mask made harmless), the labels and the mask;
    ValueError for what cannot be used."""
    y = _as_array(yi, "yi")
    v = _as_array(vi, "vi")
    if y.shape != v.shape:
        raise ValueError(f"yi and vi differ in shape ({y.shape} vs {v.shape})")
    if y.size == 0 or y.shape[-1] == 0:
        raise ValueError("no studies: yi and vi are empty")
    labs = _labels(labels, yi, y.shape[-1])
    present = _mask(mask, y.shape)
    _check_values(y, v, labs, present)
    if present is not None:    # values outside the mask take no part
        y, v = np.where(present, y, 0.0), np.where(present, v, 1.0)
    return y, v, labs, present


def _mu_rows(mp, m):
    """The mu prior as one precision and mean per row (precision 0: the flat prior)."""
    if mp is None:
        return np.zeros((m, 1)), np.zeros((m, 1))
    prec0 = np.broadcast_to(1.0 / np.asarray(mp[1], float) ** 2, (m,)).reshape(m, 1).copy()
    m0 = np.broadcast_to(np.asarray(mp[0], float), (m,)).reshape(m, 1).copy()
    return prec0, m0


def _moments(prior, k, flat):
    """Which posterior quantities exist, per row of k (the studies in each row): boolean arrays
    (posterior proper, E tau, E tau^2)."""
    a, log_decay = prior.tail
    total = a + (np.asarray(k) - 1 if flat else np.asarray(k))   # p(tau | y) ~ tau^-total for large tau

    def finite(r):
        return np.asarray((total - r > 1) | (bool(log_decay) & (total - r == 1)))
    return finite(0), finite(1), finite(2)


def _finish(res, prior, mp, existence, m, full):
    """Arrays of the public summaries, NaN where a quantity does not exist (or, for the studies'
    shrinkage estimates, where a study is not part of a row)."""
    _, has_mean, has_var = (np.broadcast_to(e, (m,)) for e in existence)
    out = {}
    for name in ("mu_mean", "mu_sd", "mu_median", "mu_ci_low", "mu_ci_high", "mu_hpd_low", "mu_hpd_high",
                 "tau_mean", "tau_sd", "tau_median", "tau_ci_low", "tau_ci_high", "tau_hpd_low", "tau_hpd_high",
                 "pred_mean", "pred_sd", "pred_median"):
        out[name] = np.array(res[name], dtype=float)
    out["pi_low"], out["pi_high"] = res["pred_ci_low"], res["pred_ci_high"]
    out["pi_hpd_low"], out["pi_hpd_high"] = res["pred_hpd_low"], res["pred_hpd_high"]
    nan = np.full(m, np.nan)
    for name in ("tau_mean", "pred_mean") + (("mu_mean",) if mp is None else ()):
        out[name] = np.where(has_mean, out[name], np.nan)
    for name in ("tau_sd", "pred_sd") + (("mu_sd",) if mp is None else ()):
        out[name] = np.where(has_var, out[name], np.nan)
    log_ev = res["log_evidence"]
    both_proper = prior.proper and mp is not None
    out["log_marginal_likelihood"] = log_ev if both_proper else nan.copy()
    out["marginal_likelihood"] = np.exp(log_ev) if both_proper else nan.copy()
    out["bayes_factor_tau0"] = np.exp(res["loglik_tau0"] - log_ev) if prior.proper else nan.copy()
    for name in ("theta_mean", "theta_sd", "theta_median", "theta_ci_low", "theta_ci_high"):
        out[name] = np.where(full, res[name], np.nan)
    assert all(name in out for name in SCALARS)
    return out


def _notes_common(prior, mp, k, existence):
    notes = []
    if k == 1:
        notes.append("k = 1: the posterior of tau is informed by the prior alone")
    if not prior.proper:
        notes.append("improper uniform prior for tau: no marginal likelihood or Bayes factor")
    elif mp is None:
        notes.append("flat prior for mu: no marginal likelihood (the Bayes factor for tau = 0 is "
                     "defined: the same p(mu) enters both models)")
    if not existence[1]:
        notes.append("the posterior mean of tau (and of theta_new) does not exist: its upper tail is too heavy")
    elif not existence[2]:
        notes.append("the posterior sd of tau (and of theta_new) does not exist: its upper tail is too heavy")
    return notes


def _row(i, arrays, res, blocks, where, Y, V, labs, prior, mp, lv, notes_common, present):
    bi, j = where[i]
    g = blocks[bi]
    sl = slice(j, j + 1)
    cols = np.nonzero(present)[0]         # the row's own studies
    grid = core.Grid(rows=np.array([i]), n=g.n, c=g.c[sl], xlo=g.xlo[sl], xhi=g.xhi[sl], tau=g.tau[sl],
                     dens_x=g.dens_x[sl], cdf=g.cdf[sl], weight=g.weight[sl], log_evidence=g.log_evidence[sl],
                     coef_tail=g.coef_tail[sl], lost=g.lost[sl], mubar=g.mubar[sl], vbar=g.vbar[sl],
                     w=g.w[sl][..., cols], prec0=g.prec0[sl], m0=g.m0[sl], mask=g.mask[sl][:, cols],
                     bounded=g.bounded[sl])
    notes = list(notes_common)
    tail = float(res["coef_tail"][i])
    lost = float(res["lost"][i])
    if tail > 1e-8:    # refinement stops at 513 nodes; below 1e-8 the summaries are still good to ~1e-8
        notes.append(f"the tau grid reached its largest size with a Chebyshev tail of {tail:.1e} "
                     "(results less accurate than usual)")
    if lost > 1e-7:
        notes.append(f"about {lost:.1e} of the posterior mass of tau lies outside the integration range")
    row_prior = core.prior_rows(prior, np.array([i])) if prior.size > 1 else prior
    row_mu = None if mp is None else (float(np.broadcast_to(mp[0], (len(where),))[i]),
                                      float(np.broadcast_to(mp[1], (len(where),))[i]))
    scal = {name: float(arrays[name][i]) for name in SCALARS}
    study = {name: np.array(arrays[name][i][cols], dtype=float) for name in
             ("theta_mean", "theta_sd", "theta_median", "theta_ci_low", "theta_ci_high")}
    return BayesMetaResult(k=int(cols.size), level=lv, labels=[labs[c] for c in cols], yi=np.array(Y[i][cols]),
                           vi=np.array(V[i][cols]),
                           tau_prior=row_prior, mu_prior=row_mu, **scal, **study,
                           numerics={"nodes": int(res["nodes"][i]), "chebyshev_tail": tail, "mass_outside": lost},
                           notes=notes, _grid=grid)
