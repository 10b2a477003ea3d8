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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._format import fmt_p, is_missing
from ..vocabulary import COHORT_DESIGNS, CONTINUOUS_MEASURES, CONTROLLED_DESIGNS, HIGH_RISK_JUDGEMENTS, \
    MEASURE_LABELS, NO_COMPARATOR, RATIO_MEASURES, REVIEW_METHODS, TEST_SHORT
from .analysis import shown
from .outcomes import favours

if TYPE_CHECKING:
    from .review import Review

__all__ = ["sensitivity_specs", "SensitivityResult"]

_EFFECT_KEYS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")


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
                                                 "pi_low", "pi_high", "pvalue", "tau2", "i2", "studies", "note"])
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
            if row["k"] == 0 or is_missing(row["estimate"]):
                lines.append(f"    {row['analysis'][:42]:42s} {row['k']:3d}  {row['note'] or 'no studies'}")
                continue
            est, lo, hi, pl, ph = shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            pi = "" if is_missing(pl) else f"[{pl:.2f}, {ph:.2f}]"
            lines.append(f"    {row['analysis'][:42]:42s} {row['k']:3d} {est:9.3f} "
                         f"[{lo:6.2f}, {hi:6.2f}] {pi:>17s} {fmt_p(row['pvalue'], 'short'):>7s} "
                         f"{row['tau2']:6.3f} {row['i2']:4.0f}%" + (f"  ({row['note']})" if row["note"] else ""))
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
        from .._html import escape, interval, table

        rows = []
        for row in self.rows:
            if row["k"] == 0 or is_missing(row["estimate"]):
                rows.append([row["family"], row["analysis"], row["k"], "", "", "", "", "", "",
                             row["note"] or "no studies"])
                continue
            est, lo, hi, pl, ph = shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            rows.append([row["family"], row["analysis"], row["k"], f"{est:.2f}", interval(lo, hi),
                         interval(pl, ph), fmt_p(row["pvalue"], "short"), f"{row['tau2']:.3f}",
                         f"{row['i2']:.0f}%", row["note"]])
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
                 "tau2": [f"{row['tau2']:.3f}" for row in rows], "i2": [f"{row['i2']:.0f}%" for row in rows]}
        missing = [row["analysis"] for row in self.rows if row not in rows]
        footnotes = [f"Each row is a separate meta-analysis of {self.outcome} ({self.measure}); "
                     f"primary: {self.primary.settings}."]
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
