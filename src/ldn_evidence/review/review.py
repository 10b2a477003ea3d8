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
  (:mod:`ldn_evidence.review.alternatives`);
* :meth:`Review.moderators` and :meth:`Review.meta_regression` — the study-level variables the
  protocol declares, and a mixed-effects meta-regression of one outcome on them.

What the review pools, which way is better, what its arms are called and which subgroup
variables it offers come from its protocol (``review.protocol`` in the studies file,
:class:`ldn_evidence.records.protocol.Protocol`).

Defaults follow Cochrane's 2025 RevMan defaults for a handful of small studies: REML tau²,
Hartung-Knapp(-Sidik-Jonkman) confidence intervals, Q-profile tau² intervals and prediction
intervals; every analysis states them.
"""
from __future__ import annotations

import contextlib
import hashlib
import math
import os
import warnings
from statistics import NormalDist
from typing import Any, Sequence

import numpy as np

from ..effects import designs
from ..effects.from_records import Terms, effect_for_outcome, outcome_entries
from ..errors import ReviewError
from ..models import meta_analysis, meta_regression, subgroup_analysis
from ..records import StudyCollection, read_studies
from ..vocabulary import (BINARY_MEASURES, CONTINUOUS_MEASURES, DESIGN_GROUP_ORDER, DESIGN_SHORT, MODELS, design_group,
                          normalize_method, normalize_test)
from .alternatives import FREQUENTIST_ONLY_FAMILIES, SensitivityResult, sensitivity_specs
from .analysis import EFFECT_COLUMNS, Analysis, honesty_notes, path_stem
from .grade import grade_review
from .outcomes import outcome_spec
from .reconcile import reconcile_review

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

    #: effect rows kept while :meth:`reusing_effects` is active (None outside it)
    _reused_effects: dict | None = None

    @contextlib.contextmanager
    def reusing_effects(self):
        """Within the block, each set of effect sizes (outcome, measure, r, level) is derived
        once and every analysis uses a copy of it.

        For runs of many analyses of the same studies: the sensitivity analyses, the
        reconciliation, the report (tens of analyses of one outcome under other estimators,
        tests and subsets). The results are the same as without it. A study changed inside
        the block is not seen until the block ends; blocks may nest.

        >>> import ldn_evidence as le
        >>> review = le.load_studies()
        >>> with review.reusing_effects():
        ...     a, b = review.analyse("pain", method="DL"), review.analyse("pain", method="PM")
        >>> a.overall.estimate == review.analyse("pain", method="DL").overall.estimate
        True
        """
        outer = self._reused_effects
        if outer is None:
            self._reused_effects = {}
        try:
            yield self
        finally:
            if outer is None:
                self._reused_effects = None

    @property
    def within_person_r(self) -> float:
        return self.info.within_person_r

    @property
    def terms(self) -> Terms:
        """The protocol's arm names, contrasts and directions, as the effects layer takes them."""
        if getattr(self, "_terms", None) is None:
            self._terms = Terms.from_protocol(self.protocol)
        return self._terms

    def outcome_id(self, outcome: str | None) -> str:
        """An outcome the review pools (None: the protocol's first), checked; ReviewError otherwise."""
        if outcome is None:
            return self.protocol.default_outcome
        return outcome_spec(outcome, self.protocol).id

    def subgroup_variable(self, by: str | None) -> str:
        """A subgroup variable of the protocol (None: its first), or ``none``; ReviewError otherwise."""
        allowed = list(self.protocol.subgroups) + ["none"]
        if by is None:
            return allowed[0]
        if by not in allowed:
            raise ReviewError(f"unknown subgroup variable {by!r}; choose one of: {', '.join(allowed)} "
                              "(review.protocol.subgroups)")
        return by

    @property
    def file_hash(self) -> str | None:
        """SHA-256 (hex) of the studies file as read (its UTF-8 bytes; a leading byte-order mark is
        not counted), or None for a review not read from a file. Figures and JSON outputs carry it,
        so that a result can be traced to the exact file it came from (``sha256sum studies.yaml``)."""
        text = getattr(self, "_text", None)
        return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()

    def derivation_letters(self) -> dict[str, str]:
        """The footnote letter of every derivation path the review's effects use, over all its
        outcomes and measures (paths without their ``, r = ...`` and ``; rescaled ...`` details,
        in alphabetical order), so that a letter means the same in every figure of the review."""
        stems = set()
        for outcome in self.protocol.pooled_outcomes:
            binary = outcome_spec(outcome, self.protocol).kind == "binary"
            for measure in (BINARY_MEASURES if binary else CONTINUOUS_MEASURES):
                rows, _ = self._effect_rows(outcome, measure, None, 95)
                stems |= {path_stem(row["path"]) for row in rows if row["included"] and row["path"]}
        return {stem: _letter(i) for i, stem in enumerate(sorted(stems))}

    def effect_sizes(self, outcome: str | None = None, measure: str | None = None, r: float | None = None,
                     level: float = 95, scale_md: bool = True):
        """One row per study that reports the outcome: its effect, variance and provenance.

        Parameters
        ----------
        outcome : str, optional
            An outcome id the protocol pools (default: its first), e.g. for the bundled review
            ``pain``, ``fiq`` (FIQ and FIQR), ``fiqr``, ``symptom_severity`` ...
        measure : {"SMD", "MD", "RR", "OR", "RD"}, optional
            Continuous outcomes: Hedges' g (single-arm studies: standardized mean change, SMCR;
            the default) or mean difference. Binary outcomes: log risk ratio (the default), log
            odds ratio or risk difference, from parallel-group event counts. The protocol may
            name another default.
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

    def _effect_rows(self, outcome: str | None, measure: str, r: float | None, level: float,
                     scale_md: bool = True) -> tuple[list[dict], dict]:
        """:meth:`effect_sizes` as plain rows (no pandas: the command line stays fast); inside
        :meth:`reusing_effects`, derived once per arguments and copied (the analyses change
        their rows' groups and reasons)."""
        reused = self._reused_effects
        if reused is None:
            return self._derive_effect_rows(outcome, measure, r, level, scale_md)
        key = (outcome, measure, r, level, scale_md)
        if key not in reused:
            reused[key] = self._derive_effect_rows(outcome, measure, r, level, scale_md)
        rows, attrs = reused[key]
        return [dict(row) for row in rows], dict(attrs)

    def _derive_effect_rows(self, outcome: str | None, measure: str, r: float | None, level: float,
                            scale_md: bool) -> tuple[list[dict], dict]:
        """Each study's effect for the outcome: the work of :meth:`_effect_rows`."""

        spec = outcome_spec(self.outcome_id(outcome), self.protocol)
        outcome = spec.id
        measure = spec.measure if measure is None else measure.upper()
        binary = spec.kind == "binary"
        terms = self.terms
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
            entries = outcome_entries(s, spec.members, terms, binary=binary)
            if not entries:
                continue
            eff = None
            for o in entries:  # the first entry (primary, controlled) that yields an effect
                e = effect_for_outcome(s, o, measure, r, terms=terms)
                if eff is None or (eff.reason and not e.reason):
                    eff, chosen = e, o
                if not e.reason:
                    break
            scales[s.id] = chosen.scale
            rob = s.risk_of_bias
            rows.append({
                "study": s.id, "label": s.label, "year": s.citation.year, "design": s.design,
                "design_short": DESIGN_SHORT.get(s.design, s.design),
                "group": design_group(s.design, controlled=chosen.contrast in terms.controlled),
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
                # not columns of the table: for TSA's event rates, subgroups by moderator, forest arm columns
                "counts": eff.counts, "moderators": dict(s.moderators), "arms": eff.arms,
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

    def grade(self, outcomes: Sequence[str] | None = None, *, method: str | None = None, test: str | None = None,
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
        return grade_review(self, outcomes, method=method, test=test, r=r, level=level).to_frame()

    def reconcile(self, outcome: str | None = None, analyses: Sequence[str] | None = None, r: float | None = None):
        """The published meta-analyses of ``outcome`` (``review.published_analyses``) reconciled
        with this review, as a DataFrame: one row per rung of each ladder, from their published
        estimate (step ``a``) through their trials with their method (``b``), this review's effect
        derivations (``c``), every trial pooled now (``d``) to this review's defaults (``e``, one
        setting per sub-step; the last row of a ladder is this review's result). Columns: ``analysis,
        label, outcome, step, name, measure, method, test, k, studies, estimate, ci_low, ci_high,
        i2, tau2, change, what_changed, assumptions, note``. The full result, with the gaps, the
        candidate explanations and the figure, is
        :func:`ldn_evidence.review.reconcile.reconcile_review`.
        """
        return reconcile_review(self, outcome, analyses=analyses, r=r).to_frame()

    def sensitivity(self, outcome: str | None = None, measure: str | None = None, method: str | None = None,
                    test: str | None = None, r: float | None = None, progress=None, model: str = "freq",
                    prior=None) -> "SensitivityResult":
        """Re-run the analysis under every reasonable alternative choice (Cochrane Handbook 10.14):
        all nine tau² estimators, every other test (Hartung-Knapp, its modification, Wald z),
        the within-person correlation r from 0.2 to 0.8, change and final SMDs combined,
        randomized only, controlled only, parallel RCTs only, without high risk of bias, without
        numbers from secondary reports or conference abstracts, first-line vs add-on use; and
        the Bayesian random-effects model of the primary analysis's studies with the tau prior's
        scale at 0.25, 0.5 and 1 beside the protocol's prior (family ``Bayesian: tau prior``, one
        vectorised call). ``method`` and ``test`` default to the protocol's (:meth:`analysis_defaults`).

        ``model="bayes"``: the primary analysis and every alternative but the tau² estimators and
        tests (which the Bayesian model does not have) are Bayesian, fitted in one vectorised
        call, with the frequentist primary analysis as a row beside them. ``prior``: as
        :meth:`analyse`.

        ``progress`` is an optional callable receiving (done, total) after each analysis.
        """
        model = _check_model(model)
        outcome = self.outcome_id(outcome)
        measure = outcome_spec(outcome, self.protocol).measure if measure is None else measure.upper()
        method, test = self.analysis_defaults(method, test)
        specs = [spec for spec in sensitivity_specs(self, measure, method, test, r)
                 if model == "freq" or spec["family"] not in FREQUENTIST_ONLY_FAMILIES]
        with self.reusing_effects():
            analyses, rows = self._sensitivity_fits(outcome, specs, progress)
            rows, primary = _bayes_sensitivity(self, outcome, measure, specs, analyses, rows, model, prior)
        if progress is not None:
            progress(len(specs) + 1, len(specs) + 1)
        return SensitivityResult(outcome=outcome, measure=measure, rows=rows, primary=primary,
                                 protocol=self.protocol)

    def _sensitivity_fits(self, outcome: str, specs: list[dict], progress) -> tuple[list, list[dict]]:
        """The frequentist analysis of each alternative (None where it failed) and its table row."""
        analyses, rows = [], []
        for i, spec in enumerate(specs):
            kw = {k: v for k, v in spec.items() if k not in ("family", "label")}
            note = ""
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    a = self.analyse(outcome, by="none", **kw)
            except Exception as exc:  # noqa: BLE001 - e.g. an estimator that does not converge
                a, note = None, f"{type(exc).__name__}: {exc}"
            if i == 0 and a is None:
                raise ReviewError(f"the primary analysis failed: {note}")
            res = a.overall if a is not None else None
            if a is not None and res is None:
                note = "no poolable studies"
            elif a is not None and a.notes and any("k = 1" in n for n in a.notes):
                note = "k = 1"
            analyses.append(a)
            rows.append({
                "family": spec["family"], "analysis": spec["label"], "k": 0 if res is None else res.k,
                "estimate": math.nan if res is None else res.estimate,
                "ci_low": math.nan if res is None else res.ci_low, "ci_high": math.nan if res is None else res.ci_high,
                "pi_low": math.nan if res is None else res.pi_low, "pi_high": math.nan if res is None else res.pi_high,
                "pvalue": math.nan if res is None else res.pvalue, "tau2": math.nan if res is None else res.tau2,
                "i2": math.nan if res is None else res.i2,
                "studies": "" if a is None else ", ".join(row["label"] for row in a.rows), "note": note,
                "model": "freq", "prob_benefit": math.nan,
            })
            if progress is not None:
                progress(i + 1, len(specs) + 1)
        return analyses, rows

    def analysis_defaults(self, method: str | None = None, test: str | None = None) -> tuple[str, str]:
        """The tau² estimator and test an analysis uses: those asked for, else the protocol's
        ``analysis`` defaults (``review.protocol.analysis``), normalised; ReviewError otherwise."""
        defaults = self.protocol.analysis
        try:
            return (normalize_method(defaults.method if method is None else method),
                    normalize_test(defaults.test if test is None else test))
        except ValueError as exc:
            raise ReviewError(str(exc)) from None

    def analyse(self, outcome: str | None = None, measure: str | None = None, method: str | None = None,
                test: str | None = None, by: str | None = None, exclude: Sequence[str] = (),
                r: float | None = None, level: float = 95, include_secondary: bool = True,
                only: Sequence[str] | None = None, tags: Sequence[str] | None = None,
                combine_change_final: bool = False, model: str = "freq", prior=None) -> "Analysis":
        """Random-effects meta-analysis of one outcome, overall and by subgroup.

        Parameters
        ----------
        outcome, measure, r, level
            As :meth:`effect_sizes`.
        method : str, optional
            tau² estimator: EE, DL, HE, HS, SJ, ML, REML, EB, PM (default: the protocol's
            ``analysis.method``, REML unless the review says otherwise).
        test : {"knha", "adhoc", "t", "z"}, optional
            Hartung-Knapp-Sidik-Jonkman t-based intervals (``hksj``, ``hk`` are aliases), the
            modified Hartung-Knapp (``adhoc``: the variance factor at least 1, so never narrower
            than the unadjusted t interval; Röver, Knapp & Friede 2015), plain t, or Wald z
            (:func:`ldn_evidence.vocabulary.normalize_test`). Default: the protocol's
            ``analysis.test`` (the bundled review: adhoc, with its reason in the file).
        by : str, optional
            Subgroups: one of the protocol's ``subgroups`` (default: its first; for the bundled
            review ``design``, ``line_of_therapy``, ``randomized``, ``blinding``, ``source``
            (primary vs secondary numbers)), a categorical moderator it lists, or ``none``. Each
            subgroup has its own tau² and the test for subgroup differences is Q-between
            (Cochrane Handbook 10.11.3).
        exclude : sequence of str
            Study ids to leave out (a sensitivity analysis).
        include_secondary : bool
            False leaves out effects that rest on numbers from news reports or conference abstracts.
        only : sequence of str, optional
            Restrict to these study ids.
        tags : sequence of str, optional
            Restrict to studies carrying any of these tags, e.g. ``["carvalho_skare_2023"]`` for
            the seven articles of the seed's 2023 review.
        combine_change_final : bool
            SMD only. An SMD of change scores and an SMD of final values standardise by
            different SDs and must not be pooled together (Cochrane Handbook 10.5.2; an MD may
            combine them). By default, when both kinds are present, the final-value SMDs are
            pooled and the change-score SMDs are listed as not pooled, with that reason; True
            pools them all and says so in the notes and under the forest plot.
        model : {"freq", "bayes"}
            ``freq``: the frequentist random-effects model (``method``, ``test``). ``bayes``: the
            Bayesian normal-normal hierarchical model as well, all studies and each subgroup in one
            vectorised call (:class:`ldn_evidence.review.bayes_analysis.BayesAnalysis`; the
            frequentist fit stays beside it).
        prior : mapping or BayesPrior, optional
            ``model="bayes"``: the prior, e.g. ``{"tau": "halfnormal", "scale": 1.0}`` (default:
            the protocol's for the outcome and measure, :meth:`Protocol.prior_for`).

        Returns
        -------
        Analysis
            (a :class:`~ldn_evidence.review.bayes_analysis.BayesAnalysis` for ``model="bayes"``)
        """
        model = _check_model(model)
        method, test = self.analysis_defaults(method, test)
        by = self.subgroup_variable(by)
        outcome = self.outcome_id(outcome)
        only = self._restriction(exclude, only, tags)
        rows, attrs = self._effect_rows(outcome, measure, r, level)
        pooled, not_pooled = _split_rows(rows, only, set(exclude), include_secondary)
        mixed = attrs["measure"] == "SMD" and len({_smd_basis(row) for row in pooled}) > 1
        if mixed and not combine_change_final:
            pooled, set_apart = _set_apart_change_scores(pooled)
            not_pooled += set_apart
        self._assign_groups(pooled, by)
        notes: list[str] = []
        overall, subgroups, subgroup_test = _fit_rows(pooled, by, method, test, level, notes)
        if not pooled:
            notes.append(f"no study gives a poolable {attrs['measure']} for {outcome}")
        notes += _analysis_notes(pooled, by, attrs, tags, only)
        notes += honesty_notes(attrs["measure"], overall, bool(mixed and combine_change_final))
        analysis = Analysis(outcome=outcome, measure=attrs["measure"], method=method, test=test, level=level,
                            r=attrs["r"], by=by, exclude=tuple(exclude), rows=pooled, not_pooled_rows=not_pooled,
                            overall=overall, subgroups=subgroups, subgroup_test=subgroup_test, notes=notes,
                            scale=attrs["scale"], protocol=self.protocol, review=self,
                            combined_change_final=bool(mixed and combine_change_final))
        if model == "bayes":
            from .bayes_analysis import bayes_analysis  # numpy/scipy of the Bayesian core: when asked for

            return bayes_analysis(analysis, prior)
        if prior is not None:
            raise ReviewError("prior= applies to model='bayes' only")
        return analysis

    def _restriction(self, exclude, only, tags) -> list[str] | None:
        """The study ids an analysis is restricted to (None: all), checked against the review."""
        known = {s.id for s in self.studies}
        for sid in list(exclude) + list(only or []):
            if sid not in known:
                raise ReviewError(f"no study with id {sid!r}; ids: {', '.join(sorted(known))}")
        if not tags:
            return None if only is None else list(only)
        all_tags = {t for s in self.studies for t in s.tags}
        unknown = [t for t in tags if t not in all_tags]
        if unknown:
            raise ReviewError(f"no study has the tag(s) {', '.join(map(repr, unknown))}; tags: "
                              f"{', '.join(sorted(all_tags))}")
        tagged = [s.id for s in self.studies if set(s.tags) & set(tags)]
        return [sid for sid in (only if only is not None else tagged) if sid in tagged]

    def _assign_groups(self, pooled: list[dict], by: str) -> None:
        """Each pooled row's subgroup, and the rows in the order the subgroups are shown."""
        for row, g in zip(pooled, _groups(pooled, by)):
            row["group"] = g
        if by == "design":
            return
        moderator = self.protocol.moderator(by)
        names = sorted({row["group"] for row in pooled})
        if moderator is not None:
            names.sort(key=lambda g: moderator.levels.index(g) if g in moderator.levels else len(moderator.levels))
        order = {g: i for i, g in enumerate(names)}
        pooled.sort(key=lambda row: (order[row["group"]], row["year"] or 9999, row["label"]))

    def moderators(self):
        """The protocol's moderators, one row per study (pandas DataFrame): ``study``, ``label``,
        ``year`` and one column per moderator (None where a study does not give it)."""
        import pandas as pd  # pandas only where a DataFrame is asked for

        names = [m.id for m in self.protocol.moderators]
        rows = [{"study": s.id, "label": s.label, "year": s.citation.year,
                 **{m: s.moderators.get(m) for m in names}} for s in self.studies]
        return pd.DataFrame(rows, columns=["study", "label", "year"] + names)

    def meta_regression(self, mods: str | Sequence[str], outcome: str | None = None, measure: str | None = None,
                        method: str = "REML", test: str = "z", r: float | None = None, level: float = 95,
                        exclude: Sequence[str] = ()):
        """Mixed-effects meta-regression of one outcome on the protocol's moderators, as metafor's
        ``rma(yi, vi, mods = ~ ...)`` (:func:`ldn_evidence.models.meta_regression`).

        A numeric moderator enters as it is; a categorical one as indicator columns for every
        level but the first of the protocol's ``levels`` (the reference), named
        ``<moderator><level>`` as R names factor coefficients. Studies without a value of a
        moderator are left out (named in ``notes``).

        Examples
        --------
        >>> import ldn_evidence as le
        >>> fit = le.load_studies("bcg").meta_regression("ablat")
        >>> fit.names, round(float(fit.coef[1]), 4)
        (['intercept', 'ablat'], -0.0291)
        """
        mods = [mods] if isinstance(mods, str) else list(mods)
        specs = []
        for m in mods:
            spec = self.protocol.moderator(m)
            if spec is None:
                declared = ", ".join(x.id for x in self.protocol.moderators) or "none declared"
                raise ReviewError(f"unknown moderator {m!r}; the protocol's moderators: {declared}")
            specs.append(spec)
        a = self.analyse(outcome, measure=measure, method=method, test=test, by="none", r=r, level=level,
                         exclude=exclude)
        rows = [row for row in a.rows if all(row["moderators"].get(s.id) is not None for s in specs)]
        left_out = [row["label"] for row in a.rows if row not in rows]
        columns: dict[str, list[float]] = {}
        for spec in specs:
            values = [row["moderators"][spec.id] for row in rows]
            if spec.kind == "numeric":
                columns[spec.id] = [float(v) for v in values]
            else:
                for level_name in spec.levels[1:]:
                    columns[f"{spec.id}{level_name}"] = [1.0 if v == level_name else 0.0 for v in values]
        import pandas as pd  # pandas only where a DataFrame is asked for

        fit = meta_regression([row["yi"] for row in rows], [row["vi"] for row in rows], pd.DataFrame(columns),
                              method=method, test=test, level=level, labels=[row["label"] for row in rows])
        if left_out:
            fit.notes.append(f"left out (moderator not recorded): {', '.join(left_out)}")
        return fit


def _bayes_sensitivity(review: Review, outcome: str, measure: str, specs: list[dict], analyses: list, rows: list,
                       model: str, prior) -> tuple[list[dict], Any]:
    """The sensitivity rows with the Bayesian ones: the prior-scale family beside the frequentist
    rows, or (model bayes) every alternative fitted Bayesian with the frequentist primary beside;
    and the primary analysis. Without a prior on the measure's scale (an MD, an RD), the
    frequentist table says so in the family's one row."""
    from .alternatives import BAYES_FAMILY, bayes_spec_rows, prior_scale_rows
    from .bayes_analysis import (bayes_analysis, benefit_of,  # the Bayesian core (scipy.fft): when asked for
                                 resolve_prior)

    primary = analyses[0]
    try:
        resolved = resolve_prior(review.protocol, outcome, measure, prior)
    except ReviewError as exc:
        if model == "bayes":
            raise
        return rows + [{"family": BAYES_FAMILY, "analysis": f"no prior on the {measure} scale", "k": 0,
                        "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan, "pi_low": math.nan,
                        "pi_high": math.nan, "pvalue": math.nan, "tau2": math.nan, "i2": math.nan, "studies": "",
                        "note": str(exc).split(":")[0], "model": "bayes", "prob_benefit": math.nan}], primary
    benefit = benefit_of(review.protocol, outcome, measure)
    if model == "freq":
        return rows + prior_scale_rows(primary, resolved, benefit), primary
    freq_row = dict(rows[0], family="Frequentist (beside)")
    out = bayes_spec_rows(specs, analyses, resolved, primary.level, benefit)
    r_text = next((part for part in specs[0]["label"].split(", ") if part.startswith("r = ")), None)
    out[0]["analysis"] = f"Bayesian, {resolved.short()}" + (f", {r_text}" if r_text else "")
    return out + prior_scale_rows(primary, resolved, benefit) + [freq_row], bayes_analysis(primary, prior)


def _check_model(model) -> str:
    """``freq`` or ``bayes`` (vocabulary.MODELS); ReviewError naming the choices otherwise."""
    m = str(model).strip().lower()
    if m not in MODELS:
        raise ReviewError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    return m


def _split_rows(rows: list[dict], only, excluded: set, include_secondary: bool) -> tuple[list, list]:
    """The rows an analysis pools and those it lists as not pooled, with the reason."""
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
    return pooled, not_pooled


#: the derivation paths whose SMD is standardised by the SD of change from baseline
_CHANGE_SCORE_PATHS = ("per-arm change scores",)
CHANGE_FINAL_REASON = ("an SMD of change scores is not pooled with SMDs of final values (they standardise by "
                       "different SDs; Cochrane Handbook 10.5.2): see the MD analysis, or combine them explicitly "
                       "(combine_change_final=True, --combine-change-final)")


def _smd_basis(row: dict) -> str:
    """``change`` for an SMD standardised by the SD of change scores, else ``final``."""
    return "change" if str(row.get("path") or "").startswith(_CHANGE_SCORE_PATHS) else "final"


def _set_apart_change_scores(pooled: list[dict]) -> tuple[list, list]:
    """The final-value rows, and the change-score rows as not pooled with the Handbook's reason."""
    keep = [row for row in pooled if _smd_basis(row) == "final"]
    apart = [{**row, "included": False, "reason": CHANGE_FINAL_REASON} for row in pooled
             if _smd_basis(row) == "change"]
    return keep, apart


def _fit_rows(pooled: list[dict], by: str, method: str, test: str, level: float, notes: list):
    """The overall meta-analysis of the pooled rows and one per subgroup, with the test for
    subgroup differences; warnings of the fits become notes, and every row gets its weight."""
    if not pooled:
        return None, {}, None
    yi = np.array([row["yi"] for row in pooled])
    vi = np.array([row["vi"] for row in pooled])
    labels = [row["label"] for row in pooled]
    subgroups: dict[str, Any] = {}
    subgroup_test = None
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
    return overall, subgroups, subgroup_test


def _analysis_notes(pooled: list[dict], by: str, attrs: dict, tags, only) -> list[str]:
    """What a reader must know about the analysis: restrictions, assumed correlations, designs."""
    notes = []
    if tags:
        notes.append(f"restricted to the studies tagged {', '.join(tags)}")
    elif only is not None:
        notes.append(f"restricted to {len(only)} studies: {', '.join(only)}")
    if any(row["uses_r"] for row in pooled):
        notes.append(f"within-person correlation r = {attrs['r']:g} assumed for crossover/pre-post effects "
                     "(vary it with r=..., or run the sensitivity analyses)")
    if by == "design" and len({row["group"] for row in pooled}) > 1:
        notes.append("the overall estimate pools different designs; read the subgroups first")
    if attrs["measure"] == "SMD" and any(row["group"] == "Single-arm pre-post" for row in pooled):
        notes.append("single-arm studies contribute a standardized mean change (SMCR): uncontrolled, "
                     "it includes placebo response and regression to the mean")
    return notes


def _letter(i: int) -> str:
    """a, b, ..., z, aa, ab, ... (the footnote letters)."""
    return _letter(i // 26 - 1) + "abcdefghijklmnopqrstuvwxyz"[i % 26] if i >= 26 else "abcdefghijklmnopqrstuvwxyz"[i]


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
        return [str(row["blinding"]).replace("_", " ") for row in rows]  # "not applicable", not a code
    if by == "source":
        return ["Secondary/conference numbers" if row["secondary"] else "Primary sources" for row in rows]
    # a categorical moderator: its values as words ("high dose", not "high_dose")
    return [str(row["moderators"].get(by, "not recorded")).replace("_", " ") for row in rows]


def load_studies(path: str | os.PathLike | None = None) -> Review:
    """Load and validate a studies file (default: the bundled ``data/studies.yaml``).

    ``path`` may also be the name of a bundled review (``"bcg"``: the BCG vaccine trials,
    Colditz et al. 1994; see :func:`ldn_evidence.records.bundled_reviews`) or a folder holding
    a ``studies.yaml`` (what ``ldn-evidence init`` writes).

    Raises :class:`ldn_evidence.records.StudiesFileError` listing every problem (file, line,
    study, field) when the file is not valid.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> review = le.load_studies()
    >>> review["due_bruun2024"].population.n_randomized
    99
    >>> len(le.load_studies("bcg"))
    13
    """
    return read_studies(path, cls=Review)
