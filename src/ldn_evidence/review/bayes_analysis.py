"""The Bayesian random-effects analysis of one outcome of a review (``Review.analyse(model="bayes")``).

:class:`BayesAnalysis` is an :class:`ldn_evidence.review.analysis.Analysis` (the same outcome,
measure, studies, subgroups, studies not pooled and notes; ``overall`` and ``subgroups`` keep the
frequentist fits with the review's default estimator and test) plus the posterior of the
normal-normal hierarchical model (:func:`ldn_evidence.models.bayes.bayes_meta_analysis`) of all
studies and of each subgroup, fitted in one vectorised call. It prints, tabulates, serialises
(JSON without NaN) and draws the Bayesian result with the frequentist one beside it.

The prior comes from the review's protocol (:meth:`ldn_evidence.records.protocol.Protocol.prior_for`:
the outcome's own ``prior``, else ``analysis.prior``, else half-normal(0.5) for tau on the SMD and
log-ratio scales with a flat prior for mu; Friede et al. 2017, Röver et al. 2021) unless one is
given. What a reader asks of a Bayesian analysis is answered directly: the posterior probability
that the effect favours the intervention, P(benefit), and that it does so by more than the
minimal important difference (the protocol's MID, else half an SD for an SMD, Norman et al. 2003,
or a 25% relative risk reduction for a ratio, GRADE guidelines 6), the posterior of tau, and the
predictive interval for a new study.

Examples
--------
>>> import ldn_evidence as le
>>> b = le.load_studies().analyse("pain", model="bayes")
>>> b.model, b.k, b.prior.describe()
('bayes', 3, 'half-normal(scale 0.5) for tau, flat mu')
>>> 0 < b.prob_benefit() < 1
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from .._format import is_missing, json_safe
from ..errors import ReviewError
from ..models.bayes import bayes_meta_analysis
from ..models.bayes_priors import make_prior, rhodes_prior, turner_prior
from ..records.protocol import BayesPrior
from ..vocabulary import METHOD_SHORT, RATIO_MEASURES, TEST_SHORT
from ._bayes_text import bayes_html, bayes_text, forest_args as _forest_args, prob_is
from .analysis import Analysis, shown

__all__ = ["BayesAnalysis", "ResolvedPrior", "resolve_prior", "bayes_analysis", "fit_rows_bayes",
           "benefit_of", "BAYES_SUMMARY_COLUMNS"]

#: columns of :meth:`BayesAnalysis.summary_frame`, one row per group and model
BAYES_SUMMARY_COLUMNS = ("group", "model", "k", "estimate", "ci_low", "ci_high", "hpd_low", "hpd_high", "pi_low",
                         "pi_high", "pvalue", "prob_benefit", "prob_mid", "tau", "tau_ci_low", "tau_ci_high", "tau2",
                         "i2", "mean", "sd")
_RATIO_KEYS = ("estimate", "ci_low", "ci_high", "hpd_low", "hpd_high", "pi_low", "pi_high")
_NORMAN = "half an SD (Norman, Sloan & Wyrwich 2003, Med Care 41:582-592; no MID in the protocol)"
_GRADE6 = "a 25% relative change (GRADE guidelines 6, Guyatt et al. 2011, J Clin Epidemiol 64:1283; no MID in the protocol)"


# ---------------------------------------------------------------------------------------------
# the prior
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedPrior:
    """The prior an analysis uses: the protocol's entry (``spec``), where it is set, and the
    :class:`ldn_evidence.models.bayes_priors.TauPrior` and mu prior it stands for."""

    spec: Any
    where: str
    tau: Any
    mu: tuple | None

    @property
    def reason(self) -> str:
        return self.spec.reason

    def describe(self) -> str:
        return self.spec.describe()

    def short(self) -> str:
        """A few words for a table row: ``half-normal(0.5)``, ``Turner 2015: adverse events``;
        ``, normal mu`` when mu has a normal prior."""
        s = self.spec
        names = {"halfnormal": "half-normal", "halfcauchy": "half-Cauchy", "halft": "half-t",
                 "uniform": "uniform", "lognormal": "log-normal"}
        if s.tau in ("turner", "rhodes"):
            text = f"{s.tau.capitalize()} 2015: {s.outcome_type or 'general'}"[:34]
        elif s.scale is None:
            text = "uniform(0, inf)"
        else:
            text = f"{names[s.tau]}({s.scale:g})"
        return text + ("" if self.mu is None else ", normal mu")

    def with_scale(self, scale: float) -> "ResolvedPrior":
        """The same family with another scale (the prior-scale sensitivity rows)."""
        spec = self.spec.model_copy(update={"scale": float(scale)})
        return ResolvedPrior(spec, self.where, _tau_prior(spec), self.mu)

    def to_dict(self) -> dict:
        s = self.spec
        return json_safe({"tau": s.tau, "scale": s.scale, "df": s.df, "sdlog": s.sdlog, "outcome_type": s.outcome_type,
                          "comparison": s.comparison, "area": s.area,
                          "mu": None if self.mu is None else {"mean": self.mu[0], "sd": self.mu[1]},
                          "text": self.describe(), "tau_prior": self.tau.describe(), "where": self.where,
                          "reason": s.reason})


def _tau_prior(spec):
    """A protocol's prior entry as the TauPrior of the model."""
    comparison = spec.comparison or "pharmacological vs placebo"
    if spec.tau == "turner":
        return turner_prior(spec.outcome_type, comparison)
    if spec.tau == "rhodes":
        return rhodes_prior(spec.outcome_type, comparison, spec.area or "other")
    scale = math.inf if spec.tau == "uniform" and spec.scale is None else spec.scale
    return make_prior(spec.tau, scale, tau_df=spec.df, tau_sdlog=spec.sdlog)


def resolve_prior(protocol, outcome: str, measure: str, prior=None) -> ResolvedPrior:
    """The prior of a Bayesian analysis of ``outcome`` on ``measure``: ``prior`` when given (a
    :class:`~ldn_evidence.records.protocol.BayesPrior` or a mapping of its fields, e.g.
    ``{"tau": "halfnormal", "scale": 1.0}``), else the protocol's; ReviewError when none is on
    the measure's scale (an MD or RD needs a prior in its own units).

    >>> from ldn_evidence.records import default_protocol
    >>> resolve_prior(default_protocol(), "pain", "SMD", {"tau": "halfcauchy", "scale": 0.5}).describe()
    'half-Cauchy(scale 0.5) for tau, flat mu'
    """
    from pydantic import ValidationError

    if prior is None:
        found = protocol.prior_for(outcome, measure)
        if found is None:
            raise ReviewError(
                f"no prior for the Bayesian analysis of {outcome} on the {measure} scale: the review's priors are "
                f"for other measures, and half-normal(0.5) is a prior on the SMD and log-ratio scales only; add "
                f"'prior: {{tau: halfnormal, scale: <in {measure} units>, measures: [{measure}], reason: ...}}' to "
                f"the outcome in review.protocol (docs/schema.md), or pass prior=...")
        spec, where = found
    else:
        where = "given"
        if isinstance(prior, BayesPrior):
            spec = prior
        else:
            try:
                spec = BayesPrior.model_validate({"reason": "given for this analysis", **dict(prior)})
            except (ValidationError, TypeError, ValueError) as exc:
                raise ReviewError(f"prior: {_first_error(exc)}") from None
    try:
        tau = _tau_prior(spec)
    except ValueError as exc:
        raise ReviewError(f"prior ({where}): {exc}") from None
    mu = None if spec.mu is None else (float(spec.mu.mean), float(spec.mu.sd))
    return ResolvedPrior(spec, where, tau, mu)


def _first_error(exc) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        e = errors(include_url=False)[0]
        loc = ".".join(str(x) for x in e["loc"])
        return f"{loc}: {e['msg']}" if loc else e["msg"]
    return str(exc)


# ---------------------------------------------------------------------------------------------
# benefit and the minimal important difference
# ---------------------------------------------------------------------------------------------


def benefit_of(protocol, outcome: str, measure: str) -> dict:
    """Which way is better on the analysis scale and the MID threshold there.

    Returns ``{"sign": -1 or +1, "threshold": float or None, "mid_source": str or None}``:
    benefit is ``sign * mu > 0``; important benefit ``sign * (mu - threshold) > 0``. Continuous
    effects are aligned so that a negative value is an improvement; binary ones favour the
    intervention below the null when fewer events are better.

    >>> from ldn_evidence.records import default_protocol
    >>> benefit_of(default_protocol(), "pain", "SMD")["threshold"]
    -0.5
    """
    o = protocol.outcome(outcome)
    binary = o is not None and o.kind == "binary"
    sign = -1 if (not binary or o.lower_is_better) else 1
    mid = o.mid if o is not None else None
    threshold, source = None, None
    if measure == "SMD":
        if mid is None:
            threshold, source = 0.5, _NORMAN
        elif mid.measure.upper() in ("SMD", "SD"):
            threshold, source = mid.value, mid.source
    elif measure == "MD" and mid is not None and mid.measure.upper() == "MD":
        threshold, source = mid.value, mid.source
    elif measure in RATIO_MEASURES:
        if mid is None:
            ratio, source = 0.75, _GRADE6
        elif mid.measure.upper() in RATIO_MEASURES:
            ratio, source = (mid.value if mid.value < 1 else 1 / mid.value), mid.source
        else:
            ratio = None
        if ratio is not None:
            threshold = -math.log(ratio)           # a positive distance on the log scale
    if threshold is not None:
        threshold = sign * abs(threshold)
    return {"sign": sign, "threshold": threshold, "mid_source": source}


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------


def fit_rows_bayes(row_sets, prior: ResolvedPrior, level: float, scales=None):
    """One vectorised fit of several meta-analyses of a review's rows (each a list of effect
    rows with ``yi``, ``vi``, ``label``): the overall one, each subgroup's, or the analyses of a
    sensitivity table. ``scales`` gives each row its own prior scale (the prior-scale rows).
    Returns one :class:`~ldn_evidence.models.bayes_result.BayesMetaResult` per row set."""
    import numpy as np

    labels = list(dict.fromkeys(f"{row['study']}\x00{row['label']}" for rows in row_sets for row in rows))
    col = {key: j for j, key in enumerate(labels)}
    m, k = len(row_sets), len(labels)
    y, v, mask = np.zeros((m, k)), np.ones((m, k)), np.zeros((m, k), dtype=bool)
    for i, rows in enumerate(row_sets):
        for row in rows:
            j = col[f"{row['study']}\x00{row['label']}"]
            y[i, j], v[i, j], mask[i, j] = row["yi"], row["vi"], True
    tau = prior.tau if scales is None else _scaled(prior, scales)
    try:
        res = bayes_meta_analysis(y, v, tau_prior=tau, mu_prior=prior.mu, level=level, mask=mask,
                                  labels=[key.split("\x00", 1)[1] for key in labels])
    except ValueError as exc:
        raise ReviewError(f"Bayesian analysis: {exc}") from None
    return [res[i] for i in range(m)]


def _scaled(prior: ResolvedPrior, scales):
    """The TauPrior of the prior's family with one scale per row (a family without a scale, an
    empirical prior, is replaced by the half-normal: the weakly informative reference)."""
    s = prior.spec
    if s.tau in ("turner", "rhodes"):
        return make_prior("halfnormal", [float(x) for x in scales])
    return make_prior(s.tau, [float(x) for x in scales], tau_df=s.df, tau_sdlog=s.sdlog)


def bayes_analysis(freq: Analysis, prior=None) -> "BayesAnalysis":
    """The Bayesian analysis of the rows, subgroups and settings of a frequentist ``freq``:
    all studies and each subgroup fitted in one vectorised call."""
    protocol = freq._protocol()
    resolved = resolve_prior(protocol, freq.outcome, freq.measure, prior)
    base = {f.name: getattr(freq, f.name) for f in fields(Analysis)}
    out = BayesAnalysis(**base, prior=resolved, benefit=benefit_of(protocol, freq.outcome, freq.measure))
    if not freq.rows:
        return out
    names = list(freq.subgroups) if len(freq.subgroups) > 1 else []
    sets = [freq.rows] + [[row for row in freq.rows if str(row["group"]) == name] for name in names]
    fits = fit_rows_bayes(sets, resolved, freq.level)
    out.posterior = fits[0]
    out.subgroup_posteriors = dict(zip(names, fits[1:]))
    return out


# ---------------------------------------------------------------------------------------------
# the analysis
# ---------------------------------------------------------------------------------------------


@dataclass
class BayesAnalysis(Analysis):
    """A Bayesian random-effects analysis of one outcome, with the frequentist one beside it.

    ``posterior`` is the :class:`~ldn_evidence.models.bayes_result.BayesMetaResult` of all pooled
    studies and ``subgroup_posteriors`` one per subgroup (each subgroup with its own tau, as the
    frequentist subgroups); ``prior`` the :class:`ResolvedPrior` with its reason; ``overall``,
    ``subgroups`` and ``subgroup_test`` are the frequentist fits (the review's default estimator
    and test), shown beside. ``frequentist`` is the frequentist :class:`Analysis` itself.
    """

    prior: Any = None
    benefit: dict = field(default_factory=dict)
    posterior: Any = None
    subgroup_posteriors: dict = field(default_factory=dict)

    model = "bayes"

    @property
    def frequentist(self) -> Analysis:
        """The frequentist analysis of the same rows (the review's default estimator and test)."""
        return Analysis(**{f.name: getattr(self, f.name) for f in fields(Analysis)})

    @property
    def freq_label(self) -> str:
        """E.g. ``REML + modified Hartung-Knapp`` (the test the overall fit used: Wald z for k = 1)."""
        test = getattr(self.overall, "test", None) or self.test
        return f"{METHOD_SHORT.get(self.method, self.method)} + {TEST_SHORT.get(test, test)}"

    def _posteriors(self) -> dict:
        """{group: posterior}, the subgroups first (when there are several) and then Overall."""
        out = dict(self.subgroup_posteriors) if len(self.subgroup_posteriors) > 1 else {}
        if self.posterior is not None:
            out["Overall"] = self.posterior
        return out

    def prob_benefit(self, group: str = "Overall") -> float:
        """Posterior probability that mu lies on the side of the null that favours the intervention."""
        res = self._posteriors()[group]
        return res.prob("mu", "<" if self.benefit["sign"] < 0 else ">", 0.0)

    def prob_mid(self, group: str = "Overall") -> float:
        """Posterior probability of a benefit larger than the MID (NaN when there is no MID)."""
        t = self.benefit.get("threshold")
        if t is None:
            return math.nan
        return self._posteriors()[group].prob("mu", "<" if self.benefit["sign"] < 0 else ">", t)

    @property
    def settings(self) -> str:
        parts = [f"Bayesian random effects (normal-normal hierarchical model), prior: {self.prior.describe()}",
                 f"posterior medians, {self.level:g}% central credible intervals"]
        if any(row["uses_r"] for row in self.rows):
            parts.append(f"r = {self.r:g}")
        return ", ".join(parts) + f"; beside it: {self.freq_label}"

    def one_line(self) -> str:
        """E.g. ``pain, SMD (Bayesian): -0.12 [-0.60, 0.37], P(benefit) = 0.70, k = 3, tau 0.21; PI ...``."""
        if self.posterior is None:
            return f"{self.outcome}, {self.measure}: no poolable studies"
        b = self.posterior
        est, lo, hi, pl, ph = shown(self.measure, b.mu_median, b.mu_ci_low, b.mu_ci_high, b.pi_low, b.pi_high)
        return (f"{self.outcome}, {self.measure} (Bayesian): {est:.2f} [{lo:.2f}, {hi:.2f}], "
                f"P(benefit) {prob_is(self.prob_benefit())}, k = {b.k}, tau = {b.tau_median:.2f} "
                f"[{b.tau_ci_low:.2f}, {b.tau_ci_high:.2f}]; PI [{pl:.2f}, {ph:.2f}]")

    def summary_rows(self) -> list[dict]:
        """One row per group (subgroups, then Overall) and model: the Bayesian posterior, then the
        frequentist fit. Ratios on the ratio scale, with the log values as ``log_*``."""
        freq = dict(self.subgroups) if len(self.subgroups) > 1 else {}
        if self.overall is not None:
            freq["Overall"] = self.overall
        rows = []
        for group, post in self._posteriors().items():
            rows.append(self._bayes_row(group, post))
            if group in freq:
                rows.append(self._freq_row(group, freq[group]))
        return [self._ratio(row) for row in rows]

    def _bayes_row(self, group, b) -> dict:
        return {"group": group, "model": "bayes", "k": b.k, "estimate": b.mu_median, "ci_low": b.mu_ci_low,
                "ci_high": b.mu_ci_high, "hpd_low": b.mu_hpd_low, "hpd_high": b.mu_hpd_high, "pi_low": b.pi_low,
                "pi_high": b.pi_high, "pvalue": math.nan, "prob_benefit": self.prob_benefit(group),
                "prob_mid": self.prob_mid(group), "tau": b.tau_median, "tau_ci_low": b.tau_ci_low,
                "tau_ci_high": b.tau_ci_high, "tau2": b.tau_median ** 2, "i2": math.nan, "mean": b.mu_mean,
                "sd": b.mu_sd}

    @staticmethod
    def _freq_row(group, res) -> dict:
        return {"group": group, "model": "freq", "k": res.k, "estimate": res.estimate, "ci_low": res.ci_low,
                "ci_high": res.ci_high, "hpd_low": math.nan, "hpd_high": math.nan, "pi_low": res.pi_low,
                "pi_high": res.pi_high, "pvalue": res.pvalue, "prob_benefit": math.nan, "prob_mid": math.nan,
                "tau": math.sqrt(res.tau2) if res.tau2 >= 0 else math.nan, "tau_ci_low": _sqrt(res.tau2_ci_low),
                "tau_ci_high": _sqrt(res.tau2_ci_high), "tau2": res.tau2, "i2": res.i2, "mean": res.estimate,
                "sd": res.se}

    def _ratio(self, row: dict) -> dict:
        if self.measure not in RATIO_MEASURES:
            return row
        out = {}
        for key, value in row.items():
            if key in _RATIO_KEYS:
                out[key] = shown(self.measure, value)[0]
            elif key in ("mean", "sd"):
                out[f"log_{key}"] = value
                continue
            else:
                out[key] = value
        out.update({f"log_{key}": row[key] for key in _RATIO_KEYS})
        return out

    def summary_frame(self):
        """:meth:`summary_rows` as a DataFrame (``attrs``: outcome, measure, settings, scale)."""
        import pandas as pd  # pandas only where a DataFrame is asked for

        rows = self.summary_rows()
        frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else list(BAYES_SUMMARY_COLUMNS))
        scale = (f"{self.measure} (log_* columns: natural log of the ratio; tau, tau2: between-study SD and "
                 "variance of the log ratios)") if self.measure in RATIO_MEASURES else "analysis scale"
        frame.attrs.update(outcome=self.outcome, measure=self.measure, settings=self.settings, scale=scale)
        return frame

    def to_dict(self) -> dict:
        """Plain JSON: the frequentist analysis's keys, ``model: bayes``, the prior with its reason,
        the benefit direction and MID, one result row per group and model, and each group's
        posterior with its studies' shrinkage estimates. No NaN."""
        out = super().to_dict()
        out.update({"model": "bayes", "settings": self.settings, "prior": self.prior.to_dict(),
                    "benefit": {"direction": "below the null" if self.benefit["sign"] < 0 else "above the null",
                                "mid": self.benefit.get("threshold"), "mid_source": self.benefit.get("mid_source")},
                    "results": self.summary_rows(),
                    "posterior": {g: p.to_dict() for g, p in self._posteriors().items()},
                    "frequentist": {"method": self.method, "test": self.test, "settings": self.frequentist.settings,
                                    "knha_narrower_than_z": self.knha_narrower_than_z}})
        if self.measure in RATIO_MEASURES:
            out["scale"] = "ratios; log_* values, mu and theta in 'posterior', tau and tau2 on the log scale"
        return json_safe(out)

    def caveats(self) -> list[str]:
        """What a reader of the figure must know: the prior (and that it dominates at k = 1), and
        the frequentist result's own caveats."""
        out = []
        if self.posterior is not None and self.posterior.k == 1:
            out.append("one study: the posterior of tau is its prior, which sets the width of the prediction")
        return out + super().caveats()

    def __str__(self) -> str:
        return bayes_text(self)

    def __repr__(self) -> str:
        more = f"; {len(self.not_pooled_rows)} not pooled" if self.not_pooled_rows else ""
        return f"<BayesAnalysis {self.one_line()}{more}>"

    def _repr_html_(self) -> str:
        """Jupyter: the posterior and the frequentist fit per subgroup and overall, the prior with its
        reason, what was not pooled and the notes."""
        return bayes_html(self)

    def forest(self, **kwargs):
        """Forest plot (a matplotlib Figure): each study's observed estimate with its shrinkage
        estimate, the posterior of mu by subgroup and overall, the predictive interval, and the
        frequentist pooled result beside the Bayesian one. Keyword arguments go to
        :func:`ldn_evidence.plots.bayes_forest.bayes_review_forest`."""
        from ..plots._figure import stamp
        from ..plots.bayes_forest import bayes_review_forest

        args, kw = self.forest_args(**kwargs)
        return stamp(bayes_review_forest(*args, **kw), self.file_hash)

    def forest_args(self, **kwargs) -> tuple[tuple, dict]:
        return _forest_args(self, **kwargs)

    def posterior_figure(self, **kwargs):
        """The marginal posteriors of mu and tau (with the tau prior dashed and the frequentist
        interval marked): :func:`ldn_evidence.plots.bayes.bayes_posterior_plot`."""
        from ..plots._figure import stamp
        from ..plots.bayes import bayes_posterior_plot

        if self.posterior is None:
            raise ReviewError(f"nothing to plot: {self.one_line()}")
        o = self.overall
        kw = {"xlabel": f"{'log ' if self.measure in RATIO_MEASURES else ''}{self.measure} (mu)",
              "reference": (o.estimate, o.ci_low, o.ci_high, self.freq_label),
              "reference_tau": (_sqrt(o.tau2), f"{self.method} tau")}
        kw.update(kwargs)
        return stamp(bayes_posterior_plot(self.posterior, **kw), self.file_hash)

    def figures(self) -> dict:
        """{"forest": ..., "posterior": ...}: the figures of the analysis (matplotlib Figures)."""
        return {"forest": self.forest(), "posterior": self.posterior_figure()}


def _sqrt(x) -> float:
    return math.sqrt(x) if not is_missing(x) and x >= 0 else math.nan

