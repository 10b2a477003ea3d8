"""The review: its records plus the analyses a reviewer runs on them.

:func:`load_studies` returns a :class:`Review`: the validated records of a studies file
(:class:`ldn_evidence.records.StudyCollection`) plus

* :meth:`Review.effect_sizes` — one row per study for an outcome: the design-aware effect
  (:mod:`ldn_evidence.effects.from_records`), its variance, how it was derived and from which
  source, or the reason the study cannot contribute;
* :meth:`Review.analyse` — random-effects meta-analysis of those effects, overall and by
  subgroup (default: by design, since a crossover trial, a parallel RCT and a single-arm series
  are different evidence), returning an :class:`ldn_evidence.review.analysis.Analysis`;
* :meth:`Review.sensitivity` — the review-level sensitivity analyses
  (:mod:`ldn_evidence.review.alternatives`).

Defaults follow Cochrane's 2025 RevMan defaults for a handful of small studies: REML tau²,
Hartung-Knapp(-Sidik-Jonkman) confidence intervals, Q-profile tau² intervals and prediction
intervals; every analysis states them.
"""
from __future__ import annotations

import math
import os
import warnings
from statistics import NormalDist
from typing import Any, Sequence

import numpy as np

from ..effects import designs
from ..effects.from_records import effect_for_outcome, outcome_entries
from ..errors import ReviewError
from ..models import meta_analysis, subgroup_analysis
from ..records import StudyCollection, read_studies
from ..vocabulary import BINARY_MEASURES, BY, CONTINUOUS_MEASURES, DESIGN_GROUP_ORDER, DESIGN_SHORT, \
    design_group
from .alternatives import SensitivityResult, sensitivity_specs
from .analysis import EFFECT_COLUMNS, Analysis
from .outcomes import BINARY_OUTCOMES, OUTCOMES, default_measure

__all__ = ["Review", "load_studies"]


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 200)


def _dose_text(study) -> str:
    iv = study.intervention
    if iv.dose_mg_per_day is not None:
        return f"{iv.dose_mg_per_day:g} mg"
    if iv.dose_range_mg:
        return f"{iv.dose_range_mg[0]:g}-{iv.dose_range_mg[1]:g} mg"
    return ""


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
        rows, attrs = self._effect_rows(outcome, measure, r, level, scale_md)
        import pandas as pd  # pandas only where a DataFrame is asked for

        frame = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
        frame.attrs.update(attrs)
        return frame

    def _effect_rows(self, outcome: str, measure: str, r: float | None, level: float,
                     scale_md: bool = True) -> tuple[list[dict], dict]:
        """:meth:`effect_sizes` as plain rows (no pandas: the command line stays fast)."""

        if outcome not in OUTCOMES:
            raise ReviewError(f"unknown outcome {outcome!r}; choose one of: {', '.join(OUTCOMES)}")
        measure = default_measure(outcome) if measure is None else measure.upper()
        binary = outcome in BINARY_OUTCOMES
        allowed = BINARY_MEASURES if binary else CONTINUOUS_MEASURES
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
                "design_short": DESIGN_SHORT.get(s.design, s.design), "group": design_group(s.design),
                "line_of_therapy": s.line_of_therapy, "randomized": s.randomized, "blinding": s.blinding,
                "n": eff.n, "dose": _dose_text(s), "outcome": chosen.outcome, "instrument": chosen.instrument,
                "timepoint": chosen.timepoint, "measure": measure,
                "yi": eff.yi if not eff.reason else math.nan, "vi": eff.vi if not eff.reason else math.nan,
                "path": eff.path, "derivation": eff.derivation, "assumptions": "; ".join(eff.assumptions),
                "uses_r": eff.uses_r, "r": eff.r, "source": "; ".join(eff.sources),
                "source_kind": ", ".join(eff.source_kinds), "secondary": eff.secondary,
                "rob_overall": (rob.overall.judgement if rob and rob.overall else None),
                "rob_tool": rob.tool if rob else None,
                "rob_domains": {d: j.judgement for d, j in rob.domains.items()} if rob else {},
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
        order = {g: i for i, g in enumerate(DESIGN_GROUP_ORDER)}
        rows.sort(key=lambda row: (order.get(row["group"], 99), row["year"] or 9999, row["label"]))
        return rows, {"outcome": outcome, "measure": measure, "r": r, "level": level, "scale": scale_label}

    def grade(self, outcomes: Sequence[str] | None = None, *, method: str = "REML", test: str = "knha",
              r: float | None = None, level: float = 95):
        """GRADE per outcome of the review's protocol, as a DataFrame.

        One row per outcome: ``outcome, k, n, effect, certainty, start``, then for each domain
        (risk_of_bias, inconsistency, indirectness, imprecision, publication_bias) and upgrading
        factor (large_effect, dose_response, plausible_confounding) its ``<domain>_proposal``
        (the rule's), ``<domain>`` (final: the reviewers' where ``review.grade`` sets it),
        ``<domain>_reason`` and ``<domain>_by``; and the plain-language ``statement``. The full
        result, with the summary-of-findings renderings, is
        :func:`ldn_evidence.review.grade.grade_review`.
        """
        from .grade import grade_review

        return grade_review(self, outcomes, method=method, test=test, r=r, level=level).to_frame()

    def sensitivity(self, outcome: str = "pain", measure: str | None = None, method: str = "REML",
                    test: str = "knha", r: float | None = None, progress=None) -> "SensitivityResult":
        """Re-run the analysis under every reasonable alternative choice (Cochrane Handbook 10.14):
        all nine tau² estimators, z vs Hartung-Knapp, the within-person correlation r from 0.2 to
        0.8, randomized only, controlled only, parallel RCTs only, without high risk of bias,
        without numbers from secondary reports or conference abstracts, first-line vs add-on use.

        ``progress`` is an optional callable receiving (done, total) after each analysis.
        """
        measure = default_measure(outcome) if measure is None else measure.upper()
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
        if by not in BY:
            raise ReviewError(f"unknown subgroup variable {by!r}; choose one of: {', '.join(BY)}")
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
            notes.append(f"no study gives a poolable {attrs['measure']} for {outcome}")
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
