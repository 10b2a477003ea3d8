"""The review: which studies, outcomes and analyses, tied together.

:func:`load_studies` returns a :class:`Review`: the validated records of a studies file
(:class:`ldn_evidence.records.StudyCollection`) plus the analysis methods a reviewer calls on them:

* :meth:`Review.effect_sizes` — one row per study for an outcome: the design-aware effect
  (:mod:`ldn_evidence.study_effects`), its variance, how it was derived and from which source, or
  the reason the study cannot contribute.
* :meth:`Review.analyse` — random-effects meta-analysis of those effects, overall and by
  subgroup (default: by design, since a crossover trial, a parallel RCT and a single-arm series
  are different evidence), returning an :class:`Analysis` that prints, tabulates and plots itself.

Defaults follow Cochrane's 2025 RevMan defaults for a handful of small studies: REML tau²,
Hartung-Knapp(-Sidik-Jonkman) confidence intervals, Q-profile tau² intervals and prediction
intervals; every analysis states them.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

from . import choices
from .errors import ReviewError
from .records import StudyCollection, read_studies

__all__ = ["Review", "Analysis", "load_studies", "BY_CHOICES", "MEASURES", "OUTCOME_CHOICES"]

#: subgroup variables :meth:`Review.analyse` understands; effect measures; outcome families
BY_CHOICES, MEASURES, OUTCOME_CHOICES = choices.BY, choices.MEASURES, choices.OUTCOMES
_EFFECT_COLUMNS = (
    "study", "label", "year", "design", "design_short", "group", "line_of_therapy", "randomized", "blinding",
    "n", "dose", "outcome", "instrument", "timepoint", "measure", "yi", "vi", "sei", "ci_low", "ci_high", "path",
    "derivation", "assumptions", "uses_r", "r", "source", "source_kind", "secondary", "rob_overall", "rob_tool",
    "included", "reason")
#: how an outcome family is named in titles
OUTCOME_TITLES = {"pain": "pain", "fiq": "fibromyalgia impact (FIQ/FIQR)", "fiqr": "fibromyalgia impact (FIQR)",
                  "symptom_severity": "overall symptom severity", "quality_of_life": "quality of life",
                  "adverse_events": "any adverse event", "serious_adverse_events": "serious adverse events",
                  "discontinuation": "discontinuation", "responders_30": "responders (at least 30% less pain)",
                  "responders_50": "responders (at least 50% less pain)"}
_GROUP_ORDER = ("Parallel RCTs", "Crossover trials", "Single-arm pre-post", "Case reports", "Dose finding")
_METHOD_NAMES = {"EE": "equal effects", "FE": "equal effects", "DL": "DerSimonian-Laird",
                 "HE": "Hedges", "HS": "Hunter-Schmidt", "SJ": "Sidik-Jonkman", "ML": "maximum likelihood",
                 "REML": "REML", "EB": "empirical Bayes", "PM": "Paule-Mandel"}


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 200)


def _dose_text(study) -> str:
    iv = study.intervention
    if iv.dose_mg_per_day is not None:
        return f"{iv.dose_mg_per_day:g} mg"
    if iv.dose_range_mg:
        return f"{iv.dose_range_mg[0]:g}-{iv.dose_range_mg[1]:g} mg"
    return ""


_DESIGN_SHORT = {"parallel_rct": "parallel RCT", "crossover_rct": "crossover RCT",
                 "crossover_nonrandomized": "crossover, fixed order", "single_arm_pre_post": "open-label",
                 "retrospective_cohort": "retrospective", "case_series": "case series",
                 "case_report": "case report", "dose_finding": "dose finding"}


class Review(StudyCollection):
    """The studies of a review and the analyses run on them.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> review = le.load_studies()
    >>> es = review.effect_sizes("pain", measure="SMD")
    >>> res = review.analyse("pain")
    >>> fig = res.forest()
    """

    @property
    def within_person_r(self) -> float:
        return self.info.within_person_r

    def effect_sizes(self, outcome: str = "pain", measure: str | None = None, r: float | None = None,
                     level: float = 95, scale_md: bool = True):
        """One row per study that reports the outcome: its effect, variance and provenance.

        Parameters
        ----------
        outcome : str
            Outcome family: ``pain``, ``fiq`` (FIQ and FIQR), ``fiqr``, ``symptom_severity`` ...
        measure : {"SMD", "MD", "RR", "OR", "RD"}, optional
            Continuous outcomes: Hedges' g (single-arm studies: standardized mean change, SMCR;
            the default) or mean difference. Binary outcomes (adverse_events, discontinuation,
            responders_30 ...): log risk ratio (the default), log odds ratio or risk difference,
            from parallel-group event counts.
        r : float, optional
            Within-person correlation for crossover and pre-post effects (default: the review's
            ``within_person_r``, 0.5); a study's own ``within_person_r`` overrides it.
        level : float
            Confidence level of the per-study intervals (normal quantile, as metafor's forest).
        scale_md : bool
            For MD: when the contributing studies use different scales, rescale every MD
            linearly to 0-10; a study without a recorded scale range is then left out.

        Returns
        -------
        pandas.DataFrame
            Columns ``study, label, year, design, group, line_of_therapy, randomized, n, dose,
            outcome, instrument, timepoint, measure, yi, vi, sei, ci_low, ci_high, path,
            derivation, assumptions, uses_r, r, source, source_kind, secondary, rob_overall,
            included, reason``. Negative ``yi`` is an improvement. Rows with ``included`` False
            carry the ``reason`` the study cannot contribute. ``attrs`` holds outcome, measure,
            r, level and the MD scale.
        """
        import pandas as pd

        rows, attrs = self._effect_rows(outcome, measure, r, level, scale_md)
        frame = pd.DataFrame(rows, columns=list(_EFFECT_COLUMNS))
        frame.attrs.update(attrs)
        return frame

    def _effect_rows(self, outcome: str, measure: str, r: float | None, level: float,
                     scale_md: bool = True) -> tuple[list[dict], dict]:
        """:meth:`effect_sizes` as plain rows (no pandas: the command line stays fast)."""
        from . import designs
        from .study_effects import design_group, effect_for_outcome, outcome_entries

        if outcome not in OUTCOME_CHOICES:
            raise ReviewError(f"unknown outcome {outcome!r}; choose one of: {', '.join(OUTCOME_CHOICES)}")
        measure = choices.default_measure(outcome) if measure is None else measure.upper()
        binary = outcome in choices.BINARY_OUTCOMES
        allowed = choices.BINARY_MEASURES if binary else choices.CONTINUOUS_MEASURES
        if measure not in allowed:
            kind = "a binary" if binary else "a continuous"
            raise ReviewError(f"measure {measure!r} does not fit {kind} outcome ({outcome}); choose one of: "
                              f"{', '.join(allowed)}")
        r = self.within_person_r if r is None else float(r)
        if not -1 < r < 1:
            raise ReviewError(f"r must lie between -1 and 1 (got {r})")
        z = _z(level)
        rows = []
        scales = {}
        for s in self.studies:
            entries = outcome_entries(s, outcome)
            if not entries:
                continue
            eff = None
            for o in entries:  # the first entry (primary, controlled) that yields an effect
                e = effect_for_outcome(s, o, measure, r)
                if eff is None or (eff.reason and not e.reason):
                    eff, chosen = e, o
                if not e.reason:
                    break
            scales[s.id] = chosen.scale
            rob = s.risk_of_bias
            rows.append({
                "study": s.id, "label": s.label, "year": s.citation.year, "design": s.design,
                "design_short": _DESIGN_SHORT.get(s.design, s.design), "group": design_group(s.design),
                "line_of_therapy": s.line_of_therapy, "randomized": s.randomized, "blinding": s.blinding,
                "n": eff.n, "dose": _dose_text(s), "outcome": chosen.outcome, "instrument": chosen.instrument,
                "timepoint": chosen.timepoint, "measure": measure,
                "yi": eff.yi if not eff.reason else math.nan, "vi": eff.vi if not eff.reason else math.nan,
                "path": eff.path, "derivation": eff.derivation, "assumptions": "; ".join(eff.assumptions),
                "uses_r": eff.uses_r, "r": eff.r, "source": "; ".join(eff.sources),
                "source_kind": ", ".join(eff.source_kinds), "secondary": eff.secondary,
                "rob_overall": (rob.overall.judgement if rob and rob.overall else None),
                "rob_tool": rob.tool if rob else None,
                "included": eff.reason is None, "reason": eff.reason,
            })
        scale_label = None
        if measure == "MD":
            used = [row for row in rows if row["included"]]
            ranges = {(scales[row["study"]].min, scales[row["study"]].max) if scales[row["study"]] else None
                      for row in used}
            if len(ranges) > 1 and scale_md:
                for row in used:
                    sc = scales[row["study"]]
                    if sc is None:
                        row.update(included=False, yi=math.nan, vi=math.nan,
                                   reason="scale range not recorded: the MD cannot be put on the common 0-10 scale")
                        continue
                    yi, vi = designs.rescale_md(row["yi"], row["vi"], sc.min, sc.max)
                    row.update(yi=float(yi.ravel()[0]), vi=float(vi.ravel()[0]))
                    if (sc.min, sc.max) != (0, 10):
                        row["path"] = f"{row['path']}; rescaled {sc.min:g}-{sc.max:g} to 0-10"
                kept = {(scales[row["study"]].min, scales[row["study"]].max) for row in used if row["included"]}
                scale_label = "0-10 (rescaled)" if kept != {(0, 10)} else "0-10"
            elif len(ranges) == 1 and None not in ranges:
                (lo, hi), = ranges
                scale_label = f"{lo:g}-{hi:g}"
        for row in rows:
            row["sei"] = math.sqrt(row["vi"]) if row["vi"] == row["vi"] else math.nan
            row["ci_low"] = row["yi"] - z * row["sei"]
            row["ci_high"] = row["yi"] + z * row["sei"]
        order = {g: i for i, g in enumerate(_GROUP_ORDER)}
        rows.sort(key=lambda row: (order.get(row["group"], 99), row["year"] or 9999, row["label"]))
        return rows, {"outcome": outcome, "measure": measure, "r": r, "level": level, "scale": scale_label}

    def sensitivity(self, outcome: str = "pain", measure: str | None = None, method: str = "REML",
                    test: str = "knha", r: float | None = None, progress=None) -> "SensitivityResult":
        """Re-run the analysis under every reasonable alternative choice (Cochrane Handbook 10.14):
        all nine tau² estimators, z vs Hartung-Knapp, the within-person correlation r from 0.2 to
        0.8, randomized only, controlled only, parallel RCTs only, without high risk of bias,
        without numbers from secondary reports or conference abstracts, first-line vs add-on use.

        ``progress`` is an optional callable receiving (done, total) after each analysis.
        """
        measure = choices.default_measure(outcome) if measure is None else measure.upper()
        specs = sensitivity_specs(self, measure, method.upper(), test, r)
        rows = []
        primary = None
        for i, spec in enumerate(specs):
            kw = {k: v for k, v in spec.items() if k not in ("family", "label")}
            note = ""
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    a = self.analyse(outcome, by="none", **kw)
            except Exception as exc:  # noqa: BLE001 - e.g. an estimator that does not converge
                a, note = None, f"{type(exc).__name__}: {exc}"
            if i == 0:
                if a is None:
                    raise ReviewError(f"the primary analysis failed: {note}")
                primary = a
            res = a.overall if a is not None else None
            if a is not None and res is None:
                note = "no poolable studies"
            elif a is not None and a.notes and any("k = 1" in n for n in a.notes):
                note = "k = 1"
            rows.append({
                "family": spec["family"], "analysis": spec["label"], "k": 0 if res is None else res.k,
                "estimate": math.nan if res is None else res.estimate,
                "ci_low": math.nan if res is None else res.ci_low, "ci_high": math.nan if res is None else res.ci_high,
                "pi_low": math.nan if res is None else res.pi_low, "pi_high": math.nan if res is None else res.pi_high,
                "pvalue": math.nan if res is None else res.pvalue, "tau2": math.nan if res is None else res.tau2,
                "i2": math.nan if res is None else res.i2,
                "studies": "" if a is None else ", ".join(row["label"] for row in a.rows), "note": note,
            })
            if progress is not None:
                progress(i + 1, len(specs))
        return SensitivityResult(outcome=outcome, measure=measure, rows=rows, primary=primary)

    def analyse(self, outcome: str = "pain", measure: str | None = None, method: str = "REML",
                test: str = "knha", by: str = "design", exclude: Sequence[str] = (), r: float | None = None,
                level: float = 95, include_secondary: bool = True, only: Sequence[str] | None = None,
                tags: Sequence[str] | None = None) -> "Analysis":
        """Random-effects meta-analysis of one outcome, overall and by subgroup.

        Parameters
        ----------
        outcome, measure, r, level
            As :meth:`effect_sizes`.
        method : str
            tau² estimator: EE, DL, HE, HS, SJ, ML, REML (default), EB, PM.
        test : {"knha", "z"}
            Hartung-Knapp-Sidik-Jonkman t-based intervals (default) or Wald z.
        by : str
            Subgroups: ``design`` (default), ``line_of_therapy``, ``randomized``, ``blinding``,
            ``source`` (primary vs secondary numbers) or ``none``. Each subgroup has its own tau²
            and the test for subgroup differences is Q-between (Cochrane Handbook 10.11.3).
        exclude : sequence of str
            Study ids to leave out (a sensitivity analysis).
        include_secondary : bool
            False leaves out effects that rest on numbers from news reports or conference abstracts.
        only : sequence of str, optional
            Restrict to these study ids.
        tags : sequence of str, optional
            Restrict to studies carrying any of these tags, e.g. ``["carvalho_skare_2023"]`` for
            the seven articles of the seed's 2023 review.

        Returns
        -------
        Analysis
        """
        from .models import meta_analysis, subgroup_analysis

        if by not in BY_CHOICES:
            raise ReviewError(f"unknown subgroup variable {by!r}; choose one of: {', '.join(BY_CHOICES)}")
        known = {s.id for s in self.studies}
        for sid in list(exclude) + list(only or []):
            if sid not in known:
                raise ReviewError(f"no study with id {sid!r}; ids: {', '.join(sorted(known))}")
        if tags:
            all_tags = {t for s in self.studies for t in s.tags}
            unknown = [t for t in tags if t not in all_tags]
            if unknown:
                raise ReviewError(f"no study has the tag(s) {', '.join(map(repr, unknown))}; tags: "
                                  f"{', '.join(sorted(all_tags))}")
            tagged = [s.id for s in self.studies if set(s.tags) & set(tags)]
            only = [sid for sid in (only if only is not None else tagged) if sid in tagged]
        rows, attrs = self._effect_rows(outcome, measure, r, level)
        r_used = attrs["r"]
        excluded = set(exclude)
        pooled, not_pooled = [], []
        for row in rows:
            if only is not None and row["study"] not in only:
                continue  # outside the studies asked for: not part of this analysis at all
            reason = row["reason"]
            if row["included"]:
                if row["study"] in excluded:
                    reason = "left out by request"
                elif not include_secondary and row["secondary"]:
                    reason = "left out: secondary or conference-abstract numbers"
            if reason is None:
                pooled.append(dict(row))
            else:
                not_pooled.append({**row, "reason": reason})
        for row, g in zip(pooled, _groups(pooled, by)):
            row["group"] = g
        if by != "design":
            order = {g: i for i, g in enumerate(sorted({row["group"] for row in pooled}))}
            pooled.sort(key=lambda row: (order[row["group"]], row["year"] or 9999, row["label"]))
        notes: list[str] = []
        overall = None
        subgroups: dict[str, Any] = {}
        subgroup_test = None
        caught: list = []
        if pooled:
            import numpy as np

            yi = np.array([row["yi"] for row in pooled])
            vi = np.array([row["vi"] for row in pooled])
            labels = [row["label"] for row in pooled]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                overall = meta_analysis(yi, vi, method=method, test=test, level=level, labels=labels)
                for row, w in zip(pooled, overall.weights):
                    row["weight"] = float(w)
                names = list(dict.fromkeys(row["group"] for row in pooled))
                if by != "none" and len(names) > 1:
                    sub = subgroup_analysis(yi, vi, np.array([row["group"] for row in pooled], dtype=object),
                                            method=method, test=test, level=level, labels=labels)
                    subgroups = {name: sub.subgroups[name] for name in names}
                    subgroup_test = (sub.q_between, sub.q_between_df, sub.q_between_pvalue)
                elif by != "none":
                    subgroups = {names[0]: overall}
            notes += list(dict.fromkeys(str(w.message) for w in caught))
        else:
            notes.append(f"no study gives a poolable {measure} for {outcome}")
        if tags:
            notes.append(f"restricted to the studies tagged {', '.join(tags)}")
        elif only is not None:
            notes.append(f"restricted to {len(only)} studies: {', '.join(only)}")
        if any(row["uses_r"] for row in pooled):
            notes.append(f"within-person correlation r = {r_used:g} assumed for crossover/pre-post effects "
                         "(vary it with r=..., or run the sensitivity analyses)")
        if by == "design" and len({row["group"] for row in pooled}) > 1:
            notes.append("the overall estimate pools different designs; read the subgroups first")
        if measure == "SMD" and any(row["group"] == "Single-arm pre-post" for row in pooled):
            notes.append("single-arm studies contribute a standardized mean change (SMCR): uncontrolled, "
                         "it includes placebo response and regression to the mean")
        return Analysis(outcome=outcome, measure=attrs["measure"], method=method.upper(), test=test, level=level,
                        r=r_used, by=by, exclude=tuple(exclude), rows=pooled, not_pooled_rows=not_pooled,
                        overall=overall, subgroups=subgroups, subgroup_test=subgroup_test, notes=notes,
                        scale=attrs["scale"])


_ESTIMATORS = choices.METHODS
_HIGH_RISK = {"high", "serious", "critical"}


def sensitivity_specs(review: "Review", measure: str = "SMD", method: str = "REML", test: str = "knha",
                      r: float | None = None) -> list[dict]:
    """The review-level sensitivity analyses: one dict of :meth:`Review.analyse` arguments each,
    with a ``family`` and a ``label``. The first is the primary analysis."""
    r0 = review.within_person_r if r is None else r
    base = {"measure": measure, "method": method, "test": test, "r": r0}
    uses_r = measure in choices.CONTINUOUS_MEASURES  # binary effects come from parallel trials only
    specs = [{"family": "Primary analysis", "label": f"{method} + {'Hartung-Knapp' if test == 'knha' else 'z'}"
              + (f", r = {r0:g}" if uses_r else ""), **base}]
    for est in _ESTIMATORS:
        if est != method:
            specs.append({"family": "tau² estimator", "label": est, **base, "method": est})
    other = "z" if test == "knha" else "knha"
    specs.append({"family": "Test and CI", "label": "Wald z" if other == "z" else "Hartung-Knapp", **base,
                  "test": other})
    for rv in (0.2, 0.35, 0.5, 0.65, 0.8) if uses_r else ():
        if abs(rv - r0) > 1e-12:
            specs.append({"family": "Within-person r", "label": f"r = {rv:g}", **base, "r": rv})
    ids = {s.id: s for s in review.studies}

    def only(pred):
        return [sid for sid, s in ids.items() if pred(s)]

    specs += [
        {"family": "Studies", "label": "Randomized only", **base, "only": only(lambda s: s.randomized)},
        {"family": "Studies", "label": "Controlled only (no single-arm)", **base,
         "only": only(lambda s: s.design in ("parallel_rct", "crossover_rct", "crossover_nonrandomized"))},
        {"family": "Studies", "label": "Parallel RCTs only", **base,
         "only": only(lambda s: s.design == "parallel_rct")},
        {"family": "Studies", "label": "Without high risk of bias", **base,
         "only": only(lambda s: not (s.risk_of_bias and s.risk_of_bias.overall
                                     and s.risk_of_bias.overall.judgement in _HIGH_RISK))},
        {"family": "Studies", "label": "Without secondary or conference numbers", **base,
         "include_secondary": False},
        {"family": "Line of therapy", "label": "First-line use only", **base,
         "only": only(lambda s: s.line_of_therapy == "first_line")},
        {"family": "Line of therapy", "label": "Add-on use only", **base,
         "only": only(lambda s: s.line_of_therapy == "add_on")},
    ]
    return specs


def _groups(rows: list[dict], by: str) -> list[str]:
    if by == "design":
        return [row["group"] for row in rows]
    if by == "none":
        return ["All studies"] * len(rows)
    if by == "line_of_therapy":
        return [str(row["line_of_therapy"]).replace("_", "-") for row in rows]
    if by == "randomized":
        return ["Randomized" if row["randomized"] else "Not randomized" for row in rows]
    if by == "blinding":
        return [str(row["blinding"]) for row in rows]
    if by == "source":
        return ["Secondary/conference numbers" if row["secondary"] else "Primary sources" for row in rows]
    raise ReviewError(by)


_MEASURE_LABEL = {"SMD": "Standardised mean difference (Hedges' g)", "MD": "Mean difference",
                  "RR": "Risk ratio", "OR": "Odds ratio", "RD": "Risk difference"}
_BENEFIT_OUTCOMES = ("responders_30", "responders_50")


def _favours(outcome: str, controlled: bool) -> tuple[str, str]:
    """Labels under the axis, left then right: a lower value favours LDN except for responders."""
    if not controlled:
        return ("Improvement", "Worsening")
    if outcome in _BENEFIT_OUTCOMES:
        return ("Favours placebo", "Favours LDN")
    return ("Favours LDN", "Favours placebo")


def _shown(measure: str, *values: float) -> tuple[float, ...]:
    """Values as a reader sees them: ratios exponentiated from the log scale."""
    if measure in choices.RATIO_MEASURES:
        return tuple(math.exp(v) if v == v else v for v in values)
    return values


@dataclass
class Analysis:
    """A meta-analysis of one outcome of the review: what was pooled, how, and the results.

    ``table`` has one row per pooled study (effect, CI, weight, derivation, source);
    ``not_pooled`` lists the studies that report the outcome but could not contribute, with
    the reason; ``overall`` and ``subgroups`` are :class:`ldn_evidence.models.MetaResult`.
    """

    outcome: str
    measure: str
    method: str
    test: str
    level: float
    r: float
    by: str
    exclude: tuple
    rows: list
    not_pooled_rows: list
    overall: Any
    subgroups: dict
    subgroup_test: tuple | None
    notes: list = field(default_factory=list)
    scale: str | None = None

    @property
    def k(self) -> int:
        return 0 if self.overall is None else self.overall.k

    @property
    def table(self):
        """The pooled studies as a DataFrame: effect, CI, weight (%), group, derivation, source."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(_EFFECT_COLUMNS) + ["weight"])

    @property
    def not_pooled(self):
        """Studies that report the outcome but are not pooled, with the reason (DataFrame)."""
        import pandas as pd

        return pd.DataFrame(self.not_pooled_rows, columns=list(_EFFECT_COLUMNS))

    @property
    def settings(self) -> str:
        """The analysis choices in one line (printed with every result)."""
        test = "Hartung-Knapp" if self.test == "knha" else "Wald z"
        parts = [f"random effects, {_METHOD_NAMES.get(self.method, self.method)} tau²" if self.method not in
                 ("EE", "FE") else "equal effects", f"{test} CI", "Q-profile tau² CI",
                 "prediction interval" if self.method not in ("EE", "FE") else "no prediction interval",
                 f"{self.level:g}% level"]
        if any(row["uses_r"] for row in self.rows):
            parts.append(f"r = {self.r:g}")
        return ", ".join(parts)

    @property
    def xlabel(self) -> str:
        if self.measure == "MD" and self.scale:
            return f"Mean difference ({self.scale} scale)"
        return _MEASURE_LABEL[self.measure]

    def one_line(self) -> str:
        """E.g. ``pain, SMD: -0.16 [-0.50, 0.18], k = 4, I² = 12%; PI [-0.9, 0.6]``."""
        if self.overall is None:
            return f"{self.outcome}, {self.measure}: no poolable studies"
        o = self.overall
        est, lo, hi, pl, ph = _shown(self.measure, o.estimate, o.ci_low, o.ci_high, o.pi_low, o.pi_high)
        pi = "" if math.isnan(o.pi_low) else f"; PI [{pl:.2f}, {ph:.2f}]"
        return (f"{self.outcome}, {self.measure}: {est:.2f} [{lo:.2f}, {hi:.2f}], "
                f"p = {_p(o.pvalue)}, k = {o.k}, tau² = {o.tau2:.3f}, I² = {o.i2:.0f}%{pi}")

    def summary_rows(self) -> list[dict]:
        """:meth:`summary_frame` as a list of plain dicts."""
        rows = [_row(name, res, self.measure) for name, res in self.subgroups.items()]
        if self.overall is not None:
            rows.append(_row("Overall", self.overall, self.measure))
        return rows

    def summary_frame(self):
        """One row per subgroup and one for all studies: k, estimate, CI, PI, p, tau², I², Q."""
        import pandas as pd

        rows = self.summary_rows()
        frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else list(_SUMMARY_COLUMNS))
        frame.attrs.update(outcome=self.outcome, measure=self.measure, settings=self.settings)
        return frame

    def to_dict(self) -> dict:
        """Plain-JSON description: settings, pooled results, studies and those not pooled."""
        def records(rows, cols):
            return [{c: json_safe(row.get(c)) for c in cols} for row in rows]

        out = {
            "outcome": self.outcome, "measure": self.measure, "method": self.method, "test": self.test,
            "level": self.level, "r": self.r, "by": self.by, "exclude": list(self.exclude),
            "settings": self.settings, "notes": list(self.notes),
            "results": [{c: json_safe(v) for c, v in row.items()} for row in self.summary_rows()],
            "subgroup_test": None if self.subgroup_test is None else dict(
                zip(("q", "df", "pvalue"), (json_safe(x) for x in self.subgroup_test))),
            "studies": records(self.rows, ["study", "label", "group", "design", "n", "yi", "vi", "ci_low",
                                            "ci_high", "weight", "path", "derivation", "assumptions", "source",
                                           "source_kind"]),
            "not_pooled": records(self.not_pooled_rows, ["study", "label", "design", "reason"]),
        }
        return out

    def forest(self, **kwargs):
        """Forest plot (a matplotlib Figure): studies by subgroup, subgroup and overall diamonds,
        prediction interval, test for subgroup differences, derivation footnotes.

        Keyword arguments are passed to :func:`ldn_evidence.plots.forest.forest_plot`.
        """
        from .plots.forest import forest_plot

        args, kw = self.forest_args(**kwargs)
        return forest_plot(*args, **kw)

    def forest_args(self, **kwargs) -> tuple[tuple, dict]:
        """The arguments :meth:`forest` passes to :func:`ldn_evidence.plots.forest.forest_plot`
        (plain, picklable data: the command line hands them to its plotting process)."""
        rows = [dict(row) for row in self.rows]
        markers: dict[str, str] = {}
        footnotes = []
        letters = "abcdefghijklmnopqrstuvwxyz"
        for row in rows:
            path = row["path"]
            if path not in markers:
                markers[path] = letters[len(markers) % 26]
                footnotes.append(f"{markers[path]} {path}")
            row["marker"] = markers[path] + ("*" if row["secondary"] else "")
            row["n"] = "" if row["n"] is None else str(int(row["n"]))
        if any(row["secondary"] for row in rows):
            footnotes.append("* uses numbers from a secondary report or conference abstract")
        if self.not_pooled_rows:
            names = ", ".join(f"{row['label']} ({_short_reason(row['reason'])})" for row in self.not_pooled_rows)
            footnotes.append(f"Not pooled: {names}")
        controlled = bool({row["group"] for row in rows} - {"Single-arm pre-post"})
        favours = _favours(self.outcome, controlled)
        columns = {"design_short": "Design", "n": "N", "dose": "Dose"}
        cols = ["label", "yi", "ci_low", "ci_high", "weight", "group", "marker", "rob_overall"] + list(columns)
        table = {c: [row.get(c) for row in rows] for c in cols}
        rob_columns = {"rob_overall": "RoB"} if any(row["rob_overall"] for row in rows) else None
        title = kwargs.pop("title", f"Low-dose naltrexone: {OUTCOME_TITLES.get(self.outcome, self.outcome)}")
        kw = dict(xlabel=self.xlabel, favours=favours, columns=columns, footnotes=footnotes, title=title,
                  level=self.level, rob_columns=rob_columns, log_scale=self.measure in choices.RATIO_MEASURES)
        kw.update(kwargs)
        return (table, self.overall, self.subgroups if len(self.subgroups) > 1 else None, self.subgroup_test), kw

    def __str__(self) -> str:
        lines = [f"Meta-analysis of {self.outcome} ({self.measure}) — {self.settings}"]
        if self.overall is None:
            lines.append("  no poolable studies")
        else:
            head = self.measure if self.measure in choices.RATIO_MEASURES else "estimate"
            lines.append(f"  {'':24s} {'k':>3s} {head:>9s} {'95% CI':>17s} {'PI':>17s} {'p':>7s} "
                         f"{'tau²':>6s} {'I²':>5s}")
            for row in self.summary_rows():
                est, lo, hi, pl, ph = _shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                             row["pi_low"], row["pi_high"])
                pi = "" if _nan(pl) else f"[{pl:.2f}, {ph:.2f}]"
                lines.append(f"  {str(row['group'])[:24]:24s} {int(row['k']):3d} {est:9.3f} "
                             f"[{lo:6.2f}, {hi:6.2f}] {pi:>17s} {_p(row['pvalue']):>7s} "
                             f"{row['tau2']:6.3f} {row['i2']:4.0f}%")
            if self.measure in choices.RATIO_MEASURES:
                lines.append(f"  ({self.measure} and its intervals back-transformed from the log scale; "
                             "tau² on the log scale)")
            if self.subgroup_test is not None:
                q, df, p = self.subgroup_test
                lines.append(f"  Test for subgroup differences: Q = {q:.2f}, df = {df}, p = {_p(p)}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        if self.not_pooled_rows:
            lines.append("  not pooled:")
            for row in self.not_pooled_rows:
                lines.append(f"    {row['label']}: {row['reason']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return ("<pre>" + html.escape(str(self)) + "</pre>" + self.summary_frame().to_html(index=False))


@dataclass
class SensitivityResult:
    """Review-level sensitivity analyses of one outcome: one row per analysis."""

    outcome: str
    measure: str
    rows: list
    primary: Any

    @property
    def table(self):
        """DataFrame: family, analysis, k, estimate, CI, PI, p, tau², I², studies, note."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=["family", "analysis", "k", "estimate", "ci_low", "ci_high",
                                                "pi_low", "pi_high", "pvalue", "tau2", "i2", "studies", "note"])

    def __str__(self) -> str:
        lines = [f"Sensitivity analyses of {self.outcome} ({self.measure}); primary: {self.primary.settings}",
                 f"  {'analysis':44s} {'k':>3s} {'estimate':>9s} {'95% CI':>17s} {'PI':>17s} {'p':>7s} "
                 f"{'tau²':>6s} {'I²':>5s}"]
        family = None
        for row in self.rows:
            if row["family"] != family:
                family = row["family"]
                lines.append(f"  {family}")
            if row["k"] == 0 or _nan(row["estimate"]):
                lines.append(f"    {row['analysis'][:42]:42s} {row['k']:3d}  {row['note'] or 'no studies'}")
                continue
            est, lo, hi, pl, ph = _shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            pi = "" if _nan(pl) else f"[{pl:.2f}, {ph:.2f}]"
            lines.append(f"    {row['analysis'][:42]:42s} {row['k']:3d} {est:9.3f} "
                         f"[{lo:6.2f}, {hi:6.2f}] {pi:>17s} {_p(row['pvalue']):>7s} "
                         f"{row['tau2']:6.3f} {row['i2']:4.0f}%" + (f"  ({row['note']})" if row["note"] else ""))
        return "\n".join(lines)

    def forest(self, **kwargs):
        """A "sensitivity forest": one row per analysis, grouped by family, the primary result's
        CI shaded as a reference band (a matplotlib Figure)."""
        from .plots.forest import forest_plot

        rows = [row for row in self.rows if row["k"] > 0 and not _nan(row["estimate"])]
        table = {"label": [row["analysis"] for row in rows], "yi": [row["estimate"] for row in rows],
                 "ci_low": [row["ci_low"] for row in rows], "ci_high": [row["ci_high"] for row in rows],
                 "group": [row["family"] for row in rows], "k": [row["k"] for row in rows],
                 "tau2": [f"{row['tau2']:.3f}" for row in rows], "i2": [f"{row['i2']:.0f}%" for row in rows]}
        missing = [row["analysis"] for row in self.rows if row not in rows]
        footnotes = [f"Each row is a separate meta-analysis of {self.outcome} ({self.measure}); "
                     f"primary: {self.primary.settings}."]
        if missing:
            footnotes.append("No poolable studies: " + ", ".join(missing))
        kw = dict(xlabel=_MEASURE_LABEL.get(self.measure, self.measure), columns={"k": "k", "tau2": "τ²",
                  "i2": "I²"}, footnotes=footnotes, title=f"Sensitivity analyses: {self.outcome}")
        controlled = any(row["group"] != "Single-arm pre-post" for row in self.primary.rows)
        kw["favours"] = _favours(self.outcome, controlled)
        kw["log_scale"] = self.measure in choices.RATIO_MEASURES
        kw.update(kwargs)
        return forest_plot(table, None, None, None, **kw)


def json_safe(v):
    """A value as JSON can hold it: numpy scalars as Python numbers, NaN and infinities as None."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return json_safe(v.item())
    return v


def _short_reason(reason: str) -> str:
    return reason.split(":")[0].split(";")[0].split("(")[0].strip()


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _p(p: float) -> str:
    if _nan(p):
        return "NA"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _row(name, res, measure: str = "") -> dict:
    row = _row_log(name, res)
    if measure in choices.RATIO_MEASURES:  # the reader's scale beside the log scale
        for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
            row[f"{key}_{measure.lower()}"] = _shown(measure, row[key])[0]
    return row


_SUMMARY_COLUMNS = ("group", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "pvalue", "tau2",
                    "tau2_ci_low", "tau2_ci_high", "i2", "q", "q_df", "q_pvalue")


def _row_log(name, res) -> dict:
    return {"group": name, "k": res.k, "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
            "pi_low": res.pi_low, "pi_high": res.pi_high, "pvalue": res.pvalue, "tau2": res.tau2,
            "tau2_ci_low": res.tau2_ci_low, "tau2_ci_high": res.tau2_ci_high, "i2": res.i2, "q": res.q,
            "q_df": res.q_df, "q_pvalue": res.q_pvalue}


def load_studies(path: str | os.PathLike | None = None) -> Review:
    """Load and validate a studies file (default: the bundled ``data/studies.yaml``).

    Raises :class:`ldn_evidence.records.StudiesFileError` listing every problem (file, line,
    study, field) when the file is not valid.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> review = le.load_studies()
    >>> review["due_bruun2024"].population.n_randomized
    99
    """
    return read_studies(path, cls=Review)
