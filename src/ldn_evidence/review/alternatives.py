"""Review-level sensitivity analyses (Cochrane Handbook 10.14): the primary analysis re-run under
every reasonable alternative choice, one row per analysis.

Examples
--------
>>> import ldn_evidence as le
>>> s = le.load_studies().sensitivity("pain")
>>> s.table.iloc[0]["family"]
'Primary analysis'
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._format import fmt_p, is_missing, json_safe, wrap_words
from .._html import escape, interval, table
from ..vocabulary import (COHORT_DESIGNS, CONTINUOUS_MEASURES, CONTROLLED_DESIGNS, HIGH_RISK_JUDGEMENTS, MEASURE_LABELS,
                          NO_COMPARATOR, RATIO_MEASURES, REVIEW_METHODS, TEST_SHORT)
from ._bayes_text import fmt_prob
from .analysis import shown
from .outcomes import favours


def _prob(p) -> str:
    return fmt_prob(p).replace(" ", "")

if TYPE_CHECKING:
    from .review import Review

__all__ = ["sensitivity_specs", "SensitivityResult", "prior_scale_rows", "bayes_spec_rows", "PRIOR_SCALES",
           "BAYES_FAMILY", "FREQUENTIST_ONLY_FAMILIES"]

_EFFECT_KEYS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")
#: the scales of the tau prior the sensitivity table varies (Röver et al. 2021 discuss 0.5 and 1 for
#: log ratios and SMDs; 0.25 is the more sceptical of heterogeneity)
PRIOR_SCALES = (0.25, 0.5, 1.0)
#: the family of the Bayesian rows of the table: the tau prior at each scale, the protocol's marked
BAYES_FAMILY = "Bayesian: tau prior"
#: families that vary what only the frequentist model has (the tau² estimator, the test)
FREQUENTIST_ONLY_FAMILIES = ("tau² estimator", "Test and CI")


def sensitivity_specs(review: "Review", measure: str = "SMD", method: str = "REML", test: str = "knha",
                      r: float | None = None) -> list[dict]:
    """The review-level sensitivity analyses: one dict of :meth:`Review.analyse` arguments each,
    with a ``family`` and a ``label``. The first is the primary analysis. First-line vs add-on
    use is examined when the protocol lists ``line_of_therapy`` among its subgroups."""
    r0 = review.within_person_r if r is None else r
    base = {"measure": measure, "method": method, "test": test, "r": r0}
    uses_r = measure in CONTINUOUS_MEASURES  # binary effects come from parallel trials only
    specs = [{"family": "Primary analysis", "label": f"{method} + {TEST_SHORT.get(test, test)}"
              + (f", r = {r0:g}" if uses_r else ""), **base}]
    for est in REVIEW_METHODS:
        if est != method:
            specs.append({"family": "tau² estimator", "label": est, **base, "method": est})
    for other in ("knha", "adhoc", "z"):  # Hartung-Knapp can be narrower than z at small k (Jackson 2017)
        if other != test:
            specs.append({"family": "Test and CI", "label": TEST_SHORT[other], **base, "test": other})
    for rv in (0.2, 0.35, 0.5, 0.65, 0.8) if uses_r else ():
        if abs(rv - r0) > 1e-12:
            specs.append({"family": "Within-person r", "label": f"r = {rv:g}", **base, "r": rv})
    if measure == "SMD":  # the Handbook (10.5.2) advises against it; shown, not used by default
        specs.append({"family": "SMD of change scores", "label": "Change and final SMDs combined", **base,
                      "combine_change_final": True})
    ids = {s.id: s for s in review.studies}

    def only(pred):
        return [sid for sid, s in ids.items() if pred(s)]

    specs += [
        {"family": "Studies", "label": "Randomized only", **base, "only": only(lambda s: s.randomized)},
        {"family": "Studies", "label": "Controlled only (no single-arm)", **base,
         "only": only(lambda s: s.design in CONTROLLED_DESIGNS
                      or (s.design in COHORT_DESIGNS and s.comparator != NO_COMPARATOR))},
        {"family": "Studies", "label": "Parallel RCTs only", **base,
         "only": only(lambda s: s.design == "parallel_rct")},
        {"family": "Studies", "label": "Without high risk of bias", **base,
         "only": only(lambda s: not (s.risk_of_bias and s.risk_of_bias.overall
                                     and s.risk_of_bias.overall.judgement in HIGH_RISK_JUDGEMENTS))},
        {"family": "Studies", "label": "Without secondary or conference numbers", **base,
         "include_secondary": False},
    ]
    if "line_of_therapy" in review.protocol.subgroups:
        specs += [
            {"family": "Line of therapy", "label": "First-line use only", **base,
             "only": only(lambda s: s.line_of_therapy == "first_line")},
            {"family": "Line of therapy", "label": "Add-on use only", **base,
             "only": only(lambda s: s.line_of_therapy == "add_on")},
        ]
    return specs


# ---------------------------------------------------------------------------------------------
# the Bayesian rows
# ---------------------------------------------------------------------------------------------


def _bayes_row(family: str, label: str, post, rows, note: str = "", benefit=None) -> dict:
    """A table row from a posterior: median, central credible and predictive intervals, the
    posterior median of tau² (the square of tau's: medians keep monotone maps), P(benefit)."""
    sign = (benefit or {}).get("sign", -1)
    return {"family": family, "analysis": label, "k": post.k, "estimate": post.mu_median, "ci_low": post.mu_ci_low,
            "ci_high": post.mu_ci_high, "pi_low": post.pi_low, "pi_high": post.pi_high, "pvalue": math.nan,
            "tau2": post.tau_median ** 2, "i2": math.nan, "studies": ", ".join(row["label"] for row in rows),
            "note": note, "model": "bayes", "prob_benefit": post.prob("mu", "<" if sign < 0 else ">", 0.0)}


def prior_scale_rows(primary, prior, benefit=None) -> list[dict]:
    """The rows of :data:`BAYES_FAMILY`: the Bayesian analysis of the primary analysis's studies
    with the tau prior's scale at 0.25, 0.5 and 1 (one vectorised call) and, marked
    ``(protocol)``, the review's own prior (for an empirical prior, which has no scale, its own
    row beside half-normal priors of those scales)."""
    from .bayes_analysis import fit_rows_bayes

    if not primary.rows:
        return []
    spec = prior.spec
    scaled = spec.tau not in ("turner", "rhodes")
    scales = sorted(set(PRIOR_SCALES) | ({spec.scale} if scaled and spec.scale is not None else set()))
    fits = fit_rows_bayes([primary.rows] * len(scales), prior, primary.level, scales=scales)
    out = []
    mark = " (protocol)" if prior.where != "given" else " (given)"
    if not scaled:
        own = fit_rows_bayes([primary.rows], prior, primary.level)[0]
        out.append(_bayes_row(BAYES_FAMILY, prior.short() + mark, own, primary.rows, benefit=benefit))
    for s, post in zip(scales, fits):
        text = prior.with_scale(s).short() if scaled else \
            f"half-normal({s:g}){'' if prior.mu is None else ', normal mu'}"
        mine = scaled and spec.scale is not None and abs(s - spec.scale) < 1e-12
        out.append(_bayes_row(BAYES_FAMILY, text + (mark if mine else ""), post, primary.rows, benefit=benefit))
    return out


def bayes_spec_rows(specs: list[dict], analyses: list, prior, level: float, benefit=None) -> list[dict]:
    """The Bayesian analysis of each alternative's studies (the analyses run for ``specs``), all
    in one vectorised call; an alternative without studies keeps its note."""
    from .bayes_analysis import fit_rows_bayes

    sets = [a.rows for a in analyses if a is not None and a.rows]
    fits = iter(fit_rows_bayes(sets, prior, level) if sets else [])
    out = []
    for spec, a in zip(specs, analyses):
        if a is None or not a.rows:
            out.append({"family": spec["family"], "analysis": spec["label"], "k": 0, "estimate": math.nan,
                        "ci_low": math.nan, "ci_high": math.nan, "pi_low": math.nan, "pi_high": math.nan,
                        "pvalue": math.nan, "tau2": math.nan, "i2": math.nan, "studies": "",
                        "note": "no poolable studies", "model": "bayes", "prob_benefit": math.nan})
            continue
        out.append(_bayes_row(spec["family"], spec["label"], next(fits), a.rows, benefit=benefit))
    return out


@dataclass
class SensitivityResult:
    """Review-level sensitivity analyses of one outcome: one row per analysis."""

    outcome: str
    measure: str
    rows: list
    primary: Any
    protocol: Any = None

    @property
    def ratio(self) -> bool:
        """Whether the measure is a ratio (RR, OR): pooled on the log scale, reported as ratios."""
        return self.measure in RATIO_MEASURES

    @property
    def table(self):
        """DataFrame: family, analysis, k, estimate, CI, PI, p, tau², I², studies, note.

        For a ratio measure (RR, OR) ``estimate``, ``ci_low``, ``ci_high``, ``pi_low`` and
        ``pi_high`` are ratios, with the log-scale values beside them as ``log_estimate`` ...
        ``log_pi_high``; ``tau2`` is the variance of the log ratios (``attrs["scale"]`` says so).
        """
        import numpy as np
        import pandas as pd  # pandas only where a DataFrame is asked for

        frame = pd.DataFrame(self.rows, columns=["family", "analysis", "k", "estimate", "ci_low", "ci_high",
                                                 "pi_low", "pi_high", "pvalue", "tau2", "i2", "studies", "note",
                                                 "model", "prob_benefit"])
        frame["model"] = frame["model"].fillna("freq")
        frame.attrs.update(outcome=self.outcome, measure=self.measure, scale="analysis scale")
        if self.ratio:
            at = frame.columns.get_loc("pvalue")
            for c in reversed(_EFFECT_KEYS):
                frame.insert(at, f"log_{c}", frame[c].astype(float))
            for c in _EFFECT_KEYS:
                frame[c] = np.exp(frame[f"log_{c}"])
            frame.attrs["scale"] = (f"{self.measure} (log_* columns: natural log of the ratio; tau2: "
                                    "between-study variance of the log ratios)")
        return frame

    def to_frame(self):
        """The result protocol's table: :attr:`table`."""
        return self.table

    def to_dict(self) -> dict:
        """Plain JSON: the outcome, measure, scale, the primary analysis and one record per analysis
        (NaN and infinities as None)."""
        frame = self.table
        return {"outcome": self.outcome, "measure": self.measure, "scale": frame.attrs["scale"],
                "primary": self.primary.to_dict(), "analyses": json_safe(frame.to_dict("records"))}

    def summary(self) -> str:
        """The result protocol's text: what ``print()`` shows."""
        return str(self)

    def __str__(self) -> str:
        head, tau = (self.measure, "tau²*") if self.ratio else ("estimate", "tau²")
        lines = [f"Sensitivity analyses of {self.outcome} ({self.measure}); primary: {self.primary.settings}",
                 f"  {'analysis':44s} {'k':>3s} {head:>9s} {'95% CI':>17s} {'PI':>17s} {'p':>7s} "
                 f"{tau:>6s} {'I²':>5s}"]
        family = None
        for row in self.rows:
            if row["family"] != family:
                family = row["family"]
                lines.append(f"  {family}")
            name = wrap_words(row["analysis"], 42)  # a long name goes on between words, never cut
            if row["k"] == 0 or is_missing(row["estimate"]):
                lines.append(f"    {name[0]:42s} {row['k']:3d}  {row['note'] or 'no studies'}")
                lines += [f"    {more}" for more in name[1:]]
                continue
            est, lo, hi, pl, ph = shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            pi = "" if is_missing(pl) else f"[{pl:.2f}, {ph:.2f}]"
            bayes = row.get("model") == "bayes"
            p = f"Pb {_prob(row['prob_benefit'])}" if bayes else fmt_p(row["pvalue"], "short")
            i2 = "" if is_missing(row["i2"]) else f"{row['i2']:4.0f}%"
            lines.append(f"    {name[0]:42s} {row['k']:3d} {est:9.3f} "
                         f"[{lo:6.2f}, {hi:6.2f}] {pi:>17s} {p:>7s} "
                         f"{row['tau2']:6.3f} {i2:>5s}" + (f"  ({row['note']})" if row["note"] else ""))
            lines += [f"    {more}" for more in name[1:]]
        if any(row.get("model") == "bayes" for row in self.rows):
            lines.append("  Bayesian rows: posterior median, central credible and predictive intervals, posterior median "
                         "of tau²; Pb: the posterior probability of a benefit")
        if self.ratio:
            lines.append(f"  ({self.measure}, intervals back-transformed from the log scale; * tau² of the log "
                         f"{self.measure})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        ok = [row for row in self.rows if row["k"] > 0 and not is_missing(row["estimate"])]
        span = ""
        if ok:
            lo, hi = sorted(shown(self.measure, min(r["estimate"] for r in ok), max(r["estimate"] for r in ok)))
            span = f"; estimates {lo:.2f} to {hi:.2f}"
        return (f"<SensitivityResult {self.outcome} ({self.measure}): {len(self.rows)} analyses, "
                f"{len(ok)} with a pooled estimate{span}>")

    def _repr_html_(self) -> str:
        """Jupyter: one row per analysis, grouped by family."""
        rows = []
        for row in self.rows:
            if row["k"] == 0 or is_missing(row["estimate"]):
                rows.append([row["family"], row["analysis"], row["k"], "", "", "", "", "", "",
                             row["note"] or "no studies"])
                continue
            est, lo, hi, pl, ph = shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            bayes = row.get("model") == "bayes"
            rows.append([row["family"], row["analysis"], row["k"], f"{est:.2f}", interval(lo, hi),
                         interval(pl, ph), f"P(benefit) {_prob(row['prob_benefit'])}" if bayes else
                         fmt_p(row["pvalue"], "short"), f"{row['tau2']:.3f}",
                         "" if is_missing(row["i2"]) else f"{row['i2']:.0f}%", row["note"]])
        head = f"<p>Sensitivity analyses of <strong>{escape(self.outcome)}</strong> ({escape(self.measure)})</p>"
        return head + table(["family", "analysis", "k", "estimate", "CI", "PI", "p", "tau²", "I²", "note"], rows)

    def forest(self, **kwargs):
        """A "sensitivity forest": one row per analysis, grouped by family, the primary result's
        CI shaded as a reference band (a matplotlib Figure)."""
        from ..plots.forest import forest_plot  # matplotlib: imported when a figure is asked for

        rows = [row for row in self.rows if row["k"] > 0 and not is_missing(row["estimate"])]
        table = {"label": [row["analysis"] for row in rows], "yi": [row["estimate"] for row in rows],
                 "ci_low": [row["ci_low"] for row in rows], "ci_high": [row["ci_high"] for row in rows],
                 "group": [row["family"] for row in rows], "k": [row["k"] for row in rows],
                 "tau2": [f"{row['tau2']:.3f}" for row in rows],
                 "i2": ["" if is_missing(row["i2"]) else f"{row['i2']:.0f}%" for row in rows]}
        missing = [row["analysis"] for row in self.rows if row not in rows]
        footnotes = [f"Each row is a separate meta-analysis of {self.outcome} ({self.measure}); "
                     f"primary: {self.primary.settings}."]
        if any(row.get("model") == "bayes" for row in rows):
            footnotes.append("Bayesian rows: posterior median and central credible interval of mu; τ²: posterior median.")
        if missing:
            footnotes.append("No poolable studies: " + ", ".join(missing))
        kw = dict(xlabel=MEASURE_LABELS.get(self.measure, self.measure), columns={"k": "k", "tau2": "τ²",
                  "i2": "I²"}, footnotes=footnotes, title=f"Sensitivity analyses: {self.outcome}")
        controlled = any(row["group"] != "Single-arm pre-post" for row in self.primary.rows)
        kw["favours"] = favours(self.outcome, controlled, self.protocol)
        kw["log_scale"] = self.ratio
        if self.ratio:
            kw["columns"] = {"k": "k", "tau2": "τ² (log)", "i2": "I²"}
        kw.update(kwargs)
        from ..plots._figure import stamp

        return stamp(forest_plot(table, None, None, None, **kw), self.primary.file_hash)
