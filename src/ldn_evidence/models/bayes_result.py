"""Result objects of the Bayesian random-effects meta-analysis (:func:`bayes_meta_analysis`).

:class:`BayesMetaResult` is one meta-analysis; :class:`BayesMetaResults` is a list-like of them
for 2-D input (one meta-analysis per row), with the summaries also as arrays and a vectorised
``to_frame()``. Both follow the package's result protocol (``to_dict()`` with no NaN in JSON,
``to_frame()``, ``summary()``, a short ``__repr__`` and ``_repr_html_``). The posterior is kept
(the tau grid and the conditional normals), so probabilities, quantiles and densities at any
point are exact to the grid's accuracy, not read off a table.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

from .._format import json_safe
from . import _bayes_core as core
from .bayes_priors import TauPrior

__all__ = ["BayesMetaResult", "BayesMetaResults"]

#: scalar summaries, in the order of to_frame()'s columns
SCALARS = (
    "mu_mean", "mu_sd", "mu_median", "mu_ci_low", "mu_ci_high", "mu_hpd_low", "mu_hpd_high",
    "tau_mean", "tau_sd", "tau_median", "tau_ci_low", "tau_ci_high", "tau_hpd_low", "tau_hpd_high",
    "pred_mean", "pred_sd", "pred_median", "pi_low", "pi_high", "pi_hpd_low", "pi_hpd_high",
    "log_marginal_likelihood", "marginal_likelihood", "bayes_factor_tau0",
)
#: per-study (shrinkage) summaries
STUDY = ("theta_mean", "theta_sd", "theta_median", "theta_ci_low", "theta_ci_high")

_OPS = {"<": False, "<=": False, ">": True, ">=": True}


def _clean(x):
    """A float as JSON holds it (:func:`ldn_evidence._format.json_safe`: None for NaN and infinities)."""
    return None if x is None else json_safe(float(x))


def _fmt(x, digits=4):
    if x is None or not math.isfinite(float(x)):
        return "NA"
    x = float(x)
    if x != 0 and (abs(x) < 10 ** -(digits - 1) or abs(x) >= 1e6):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}f}"


def _mu_prior_text(mu_prior):
    if mu_prior is None:
        return "uniform (improper, flat on the real line)"
    return f"normal(mean={mu_prior[0]:g}, sd={mu_prior[1]:g}) (proper)"


@dataclass
class BayesMetaResult:
    """Posterior of the normal-normal hierarchical model for one meta-analysis.

    y_i ~ N(theta_i, v_i), theta_i ~ N(mu, tau^2), priors p(mu) (flat or normal) and p(tau).

    Attributes
    ----------
    mu_mean, mu_sd, mu_median : float
        Marginal posterior of the overall effect mu.
    mu_ci_low, mu_ci_high : float
        Central (equal-tailed) credible interval at ``level`` percent.
    mu_hpd_low, mu_hpd_high : float
        Shortest credible interval (the highest-posterior-density interval; bayesmeta's default).
    tau_mean, tau_sd, tau_median, tau_ci_low, tau_ci_high, tau_hpd_low, tau_hpd_high : float
        The same for the heterogeneity tau (NaN where a moment does not exist, e.g. the mean
        of tau under an improper uniform prior with k = 3).
    pred_mean, pred_sd, pred_median, pi_low, pi_high, pi_hpd_low, pi_hpd_high : float
        Posterior predictive distribution of a new study's effect theta_new (central and
        shortest prediction intervals).
    theta_mean, theta_sd, theta_median, theta_ci_low, theta_ci_high : ndarray
        Shrinkage estimates: the posterior of each study's own effect theta_i.
    log_marginal_likelihood, marginal_likelihood : float
        p(y) = integral of p(y | mu, tau) p(mu) p(tau); NaN unless both priors are proper.
    bayes_factor_tau0 : float
        p(y | tau = 0) / p(y) (values below 1 are evidence against homogeneity; bayesmeta's
        ``bayesfactor["actual", "tau=0"]``). Needs a proper tau prior; with the flat mu prior
        the same improper p(mu) enters both marginal likelihoods and cancels.
    k, level, labels, yi, vi, tau_prior, mu_prior, notes
        Inputs and messages. ``numerics`` reports the grid: Chebyshev nodes used, the relative
        size of the Chebyshev tail (the error estimate of the tau integral) and the posterior
        mass estimated to lie outside the integration range.
    """

    k: int
    level: float
    labels: list
    yi: np.ndarray
    vi: np.ndarray
    tau_prior: TauPrior
    mu_prior: tuple | None
    mu_mean: float
    mu_sd: float
    mu_median: float
    mu_ci_low: float
    mu_ci_high: float
    mu_hpd_low: float
    mu_hpd_high: float
    tau_mean: float
    tau_sd: float
    tau_median: float
    tau_ci_low: float
    tau_ci_high: float
    tau_hpd_low: float
    tau_hpd_high: float
    pred_mean: float
    pred_sd: float
    pred_median: float
    pi_low: float
    pi_high: float
    pi_hpd_low: float
    pi_hpd_high: float
    log_marginal_likelihood: float
    marginal_likelihood: float
    bayes_factor_tau0: float
    theta_mean: np.ndarray
    theta_sd: np.ndarray
    theta_median: np.ndarray
    theta_ci_low: np.ndarray
    theta_ci_high: np.ndarray
    numerics: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    _grid: object = field(default=None, repr=False)

    # -- the posterior at any point ------------------------------------------------------------
    def _mixture(self, param, study):
        g = self._grid
        mean, sd = core.components(g, self.yi[None, :], self.vi[None, :])
        if param == "mu":
            j = 0
        elif param == "theta_new":
            j = 1
        else:
            j = 2 + self._study_index(study)
        return mean[:, j:j + 1], sd[:, j:j + 1]

    def _study_index(self, study):
        if study is None:
            raise ValueError("study: name the study (label or 0-based index) for param='theta'")
        if isinstance(study, (int, np.integer)) and not isinstance(study, bool):
            if not 0 <= study < self.k:
                raise ValueError(f"study index {study} out of range 0..{self.k - 1}")
            return int(study)
        if str(study) in self.labels:
            return self.labels.index(str(study))
        raise ValueError(f"study {study!r} is not one of the labels {self.labels}")

    @staticmethod
    def _param(param):
        p = str(param).lower()
        p = {"prediction": "theta_new", "pred": "theta_new", "predictive": "theta_new", "new": "theta_new",
             "shrinkage": "theta"}.get(p, p)
        if p not in ("mu", "tau", "theta_new", "theta"):
            raise ValueError(f"param must be 'mu', 'tau', 'theta_new' or 'theta' (with study=...), got {param!r}")
        return p

    def cdf(self, param, x, study=None):
        """Posterior CDF of ``param`` ("mu", "tau", "theta_new", or "theta" with ``study``) at x."""
        p = self._param(param)
        xx = np.atleast_1d(np.asarray(x, dtype=float))
        if p == "tau":
            out = core.tau_cdf(self._grid, xx[None, :])[0]
        else:
            mean, sd = self._mixture(p, study)
            out = core.mix_cdf_pdf(xx[None, :], np.repeat(mean, xx.size, 1), np.repeat(sd, xx.size, 1),
                                   self._grid.weight)[0][0]
        out = np.clip(out, 0.0, 1.0)
        return float(out[0]) if np.ndim(x) == 0 else out

    def density(self, param, x, study=None):
        """Posterior density of ``param`` at x (for plots)."""
        p = self._param(param)
        xx = np.atleast_1d(np.asarray(x, dtype=float))
        if p == "tau":
            out = core.tau_pdf(self._grid, xx[None, :])[0]
        else:
            mean, sd = self._mixture(p, study)
            out = core.mix_cdf_pdf(xx[None, :], np.repeat(mean, xx.size, 1), np.repeat(sd, xx.size, 1),
                                   self._grid.weight)[1][0]
        return float(out[0]) if np.ndim(x) == 0 else out

    def quantile(self, param, q, study=None):
        """Posterior quantile(s) of ``param`` for probabilities q in (0, 1)."""
        p = self._param(param)
        qq = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any(~(qq > 0) | ~(qq < 1)):
            raise ValueError(f"q must be probabilities in (0, 1), got {q!r}")
        if p == "tau":
            out = core.tau_quantile(self._grid, qq[None, :])[0]
        else:
            mean, sd = self._mixture(p, study)
            out = core.mix_quantile(qq[None, :], np.repeat(mean, qq.size, 1), np.repeat(sd, qq.size, 1),
                                    self._grid.weight)[0]
        return float(out[0]) if np.ndim(q) == 0 else out

    def prob(self, param, op, x, study=None):
        """Posterior probability that ``param op x``, e.g. ``prob("mu", "<", 0)``.

        ``op`` is one of ``<``, ``<=``, ``>``, ``>=`` (the posteriors are continuous, so ``<``
        and ``<=`` agree); ``x`` may be an array.
        """
        if op not in _OPS:
            raise ValueError(f"op must be one of '<', '<=', '>', '>=', got {op!r}")
        c = self.cdf(param, x, study=study)
        return 1.0 - c if _OPS[op] else c

    # -- output --------------------------------------------------------------------------------
    def shrinkage(self):
        """DataFrame, one row per study: yi, se, and the posterior of its theta_i."""
        import pandas as pd

        return pd.DataFrame({"study": self.labels, "yi": self.yi, "se": np.sqrt(self.vi),
                             "mean": self.theta_mean, "sd": self.theta_sd, "median": self.theta_median,
                             "ci_low": self.theta_ci_low, "ci_high": self.theta_ci_high})

    def to_dict(self) -> dict:
        """Plain-Python dictionary (JSON-safe: NaN and infinities are None)."""
        out = {"model": "bayes", "k": self.k, "level": self.level,
               "tau_prior": self.tau_prior.to_dict(),
               "mu_prior": None if self.mu_prior is None else {"mean": self.mu_prior[0], "sd": self.mu_prior[1]}}
        out.update({name: _clean(getattr(self, name)) for name in SCALARS})
        out["studies"] = [
            {"label": lab, "yi": _clean(y), "vi": _clean(v), **{n[6:]: _clean(getattr(self, n)[i]) for n in STUDY}}
            for i, (lab, y, v) in enumerate(zip(self.labels, self.yi, self.vi))]
        out["numerics"] = {k: (_clean(v) if isinstance(v, float) else v) for k, v in self.numerics.items()}
        out["notes"] = list(self.notes)
        return out

    def to_frame(self):
        """One-row pandas DataFrame of the pooled (scalar) results."""
        import pandas as pd

        row = {"k": self.k, "level": self.level, "tau_prior": self.tau_prior.describe(),
               "mu_prior": _mu_prior_text(self.mu_prior)}
        row.update({name: float(getattr(self, name)) for name in SCALARS})
        return pd.DataFrame([row])

    def summary(self) -> str:
        """Readable text in the spirit of bayesmeta's ``print.bayesmeta``."""
        lvl = f"{self.level:g}%"
        lines = [f"Bayesian random-effects meta-analysis (normal-normal hierarchical model; k = {self.k})", "",
                 f"tau prior: {self.tau_prior.describe()} ({'proper' if self.tau_prior.proper else 'improper'})",
                 f"mu prior:  {_mu_prior_text(self.mu_prior)}", "",
                 "Marginal posterior summary:"]
        cols = (("tau", "tau"), ("mu", "mu"), ("theta_new", "pred"))
        rows = (("mean", "mean"), ("sd", "sd"), ("median", "median"), (f"{lvl} lower (central)", "ci_low"),
                (f"{lvl} upper (central)", "ci_high"), (f"{lvl} lower (shortest)", "hpd_low"),
                (f"{lvl} upper (shortest)", "hpd_high"))
        width = max(len(r[0]) for r in rows) + 2
        lines.append(" " * width + "".join(f"{c[0]:>12}" for c in cols))
        for label, key in rows:
            vals = []
            for _, pre in cols:
                name = f"{pre}_{key}"
                if pre == "pred" and key in ("ci_low", "ci_high", "hpd_low", "hpd_high"):
                    name = {"ci_low": "pi_low", "ci_high": "pi_high", "hpd_low": "pi_hpd_low",
                            "hpd_high": "pi_hpd_high"}[key]
                vals.append(_fmt(getattr(self, name)))
            lines.append(f"{label:<{width}}" + "".join(f"{v:>12}" for v in vals))
        lines += ["", f"Shrinkage estimates (posterior of each study's theta_i; {lvl} central intervals):"]
        lw = max([5] + [len(s) for s in self.labels]) + 2
        lines.append(f"{'study':<{lw}}" + "".join(f"{h:>10}" for h in ("yi", "se", "mean", "sd", "median",
                                                                          "lower", "upper")))
        for i, lab in enumerate(self.labels):
            vals = (self.yi[i], math.sqrt(self.vi[i]), self.theta_mean[i], self.theta_sd[i], self.theta_median[i],
                    self.theta_ci_low[i], self.theta_ci_high[i])
            lines.append(f"{lab:<{lw}}" + "".join(f"{_fmt(v):>10}" for v in vals))
        lines.append("")
        lines.append(f"P(mu < 0) = {_fmt(self.prob('mu', '<', 0.0))};  P(mu > 0) = {_fmt(self.prob('mu', '>', 0.0))}")
        ml = "NA (needs proper priors for mu and tau)" if not math.isfinite(self.marginal_likelihood) \
            else _fmt(self.marginal_likelihood)
        bf = "NA (needs a proper tau prior)" if not math.isfinite(self.bayes_factor_tau0) else _fmt(self.bayes_factor_tau0)
        lines.append(f"Marginal likelihood: {ml}")
        lines.append(f"Bayes factor for tau = 0 (p(y | tau = 0) / p(y)): {bf}")
        n = self.numerics
        lines.append(f"Computed semi-analytically (no MCMC): tau on {n.get('nodes')} Chebyshev nodes, "
                     f"Chebyshev tail {_fmt(n.get('chebyshev_tail'), 2)}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"BayesMetaResult(k={self.k}, mu_median={self.mu_median:.6g}, "
                f"mu_ci=({self.mu_ci_low:.6g}, {self.mu_ci_high:.6g}), tau_median={self.tau_median:.6g}, "
                f"tau_prior={self.tau_prior.describe()!r})")

    def _repr_html_(self) -> str:
        lvl = f"{self.level:g}%"
        rows = [("k", self.k), ("tau prior", self.tau_prior.describe()), ("mu prior", _mu_prior_text(self.mu_prior)),
                ("mu: median", _fmt(self.mu_median)),
                (f"mu: {lvl} CrI (central)", f"{_fmt(self.mu_ci_low)} to {_fmt(self.mu_ci_high)}"),
                (f"mu: {lvl} CrI (shortest)", f"{_fmt(self.mu_hpd_low)} to {_fmt(self.mu_hpd_high)}"),
                ("tau: median", _fmt(self.tau_median)),
                (f"tau: {lvl} CrI (central)", f"{_fmt(self.tau_ci_low)} to {_fmt(self.tau_ci_high)}"),
                (f"tau: {lvl} CrI (shortest)", f"{_fmt(self.tau_hpd_low)} to {_fmt(self.tau_hpd_high)}"),
                (f"{lvl} prediction interval", f"{_fmt(self.pi_low)} to {_fmt(self.pi_high)}"),
                ("P(mu < 0)", _fmt(self.prob("mu", "<", 0.0))),
                ("Bayes factor tau = 0", _fmt(self.bayes_factor_tau0))]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(a))}</th><td>{html.escape(str(b))}</td></tr>"
                       for a, b in rows)
        notes = "".join(f"<p><em>Note: {html.escape(n)}</em></p>" for n in self.notes)
        return f"<table class='bayes-result'>{body}</table>{notes}"


class BayesMetaResults:
    """Results of many meta-analyses fitted in one call (one per row of 2-D input).

    Behaves as a sequence of :class:`BayesMetaResult` (built when first accessed); each scalar
    summary is also an array attribute (``results.mu_median`` has one value per row) and
    ``to_frame()`` is one DataFrame row per meta-analysis, without building the row objects.
    """

    def __init__(self, arrays, make_row, index=None, meta=None):
        self._arrays = arrays
        self._make_row = make_row
        self._rows = {}
        self._n = len(arrays["mu_median"])
        self.index = list(range(self._n)) if index is None else list(index)
        self._meta = meta or {}

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"result index {i} out of range for {self._n} meta-analyses")
        if i not in self._rows:
            self._rows[i] = self._make_row(i)
        return self._rows[i]

    def __iter__(self):
        return (self[i] for i in range(self._n))

    def __getattr__(self, name):
        arrays = self.__dict__.get("_arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(f"'BayesMetaResults' object has no attribute {name!r}")

    def to_frame(self):
        """DataFrame: one row per meta-analysis, the scalar summaries as columns."""
        import pandas as pd

        data = {"k": self._arrays["k"], "level": np.full(self._n, self._meta.get("level", np.nan)),
                "tau_prior": self._arrays["tau_prior_text"], "mu_prior": self._arrays["mu_prior_text"]}
        data.update({name: self._arrays[name] for name in SCALARS})
        return pd.DataFrame(data, index=pd.Index(self.index, name="analysis"))

    def to_dict(self) -> dict:
        """JSON-safe dictionary: {"results": [one to_dict() per row]}."""
        return {"results": [r.to_dict() for r in self]}

    def summary(self) -> str:
        frame = self.to_frame()[["k", "mu_median", "mu_ci_low", "mu_ci_high", "tau_median", "tau_ci_low",
                                 "tau_ci_high", "pi_low", "pi_high"]]
        return (f"{self._n} Bayesian random-effects meta-analyses ({self._meta.get('level', 95):g}% central "
                f"intervals)\n" + frame.to_string(float_format=lambda x: f"{x:.4f}") + "\n")

    def __repr__(self) -> str:
        return f"BayesMetaResults({self._n} meta-analyses; mu_median {np.round(self.mu_median[:3], 4).tolist()}...)" \
            if self._n > 3 else f"BayesMetaResults({self._n} meta-analyses; mu_median {np.round(self.mu_median, 4).tolist()})"

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(float_format=lambda x: f"{x:.4f}")
