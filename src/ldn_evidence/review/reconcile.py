"""Published meta-analyses against this review: a ladder from their result to ours.

For each published analysis of an outcome (``review.published_analyses`` in the studies file,
:mod:`ldn_evidence.records.published`) the ladder changes one thing at a time:

a. their published estimate;
b. their trials (the seen or probable matches; the candidates when nothing better is known),
   their measure, their tau² estimator and CI method, each trial's effect as published where
   the record gives it, else as this review derives it (the report says which);
c. the same trials and method with this review's effect derivations (its measure and its
   design-aware paths: crossovers paired with the within-person correlation r, ...);
d. every study this review pools now, their method;
e. this review's defaults, one change per sub-step (tau² estimator, CI method, change-score SMDs
   set apart from final-value SMDs); the last sub-step is the review's own result.

Each step names what changed and by how much. Where (b) does not reproduce (a), the candidate
explanations of :mod:`.reconcile_explain` say how far off it is and what their extraction would
have had to do to reach their number (an SE used as an SD, raw MDs on different scales, a
within-arm change instead of the between-group difference, a crossover analysed as parallel
groups, another set of trials).

What a publication does not state is assumed and said: a random-effects model without a named
estimator is taken as DerSimonian-Laird (the default of RevMan 5 and of most published
meta-analyses), a CI method not named as the Wald z interval (RevMan 5.4's random-effects
interval when the software is RevMan 5), a model "random or fixed effects" as random effects.

Hand-written here because it is the point of the module: no library reconciles published
meta-analyses with a review's records; every fit goes through :meth:`Review.analyse` and
:func:`ldn_evidence.models.meta_analysis`, so each rung is an analysis a reader can rerun.

Examples
--------
>>> import ldn_evidence as le
>>> res = reconcile_review(le.load_studies(), analyses=["annmedsurg2025"])
>>> [s.code for s in res.ladders[0].steps]
['a', 'b', 'c', 'd', 'e1', 'e2', 'e3']
>>> ours = le.load_studies().analyse("pain").overall.estimate
>>> abs(res.ladders[0].steps[-1].estimate - ours) < 1e-14    # the same fit, studies in the ladder's order
True
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Sequence

from .._format import json_safe
from .._version import provenance
from ..errors import ReviewError
from ..records.published import MATCH_CONFIDENCE, UNIDENTIFIED, PooledResult, PublishedAnalysis
from ..vocabulary import CONTINUOUS_MEASURES, CONTROLLED_DESIGNS, METHOD_SHORT, TEST_SHORT
from .outcomes import outcome_spec
from .reconcile_explain import Explanation, explain_gap, fit_rows
from .reconcile_text import reconcile_text

__all__ = ["reconcile_review", "ReconcileResult", "Ladder", "Step", "Gap", "their_method", "their_trials",
           "LADDER_COLUMNS"]

#: the columns of :meth:`ReconcileResult.to_frame` (and of ``Review.reconcile()``)
LADDER_COLUMNS = ("analysis", "label", "outcome", "step", "name", "measure", "method", "test", "k", "studies",
                  "estimate", "ci_low", "ci_high", "i2", "tau2", "change", "what_changed", "assumptions", "note")
#: published results are given to two decimals: a step within this of (a) reproduces it
ROUNDING = 0.005 + 1e-9


@dataclass
class Step:
    """One rung of a ladder: an analysis, what it changed from the rung above, and by how much.

    ``change`` is the estimate minus the previous rung's (NaN when the measure changed: an MD and
    an SMD are not in the same units)."""

    code: str
    name: str
    measure: str
    method: str | None
    test: str | None
    k: int | None
    study_ids: list
    studies: list
    estimate: float
    ci_low: float
    ci_high: float
    i2: float = math.nan
    tau2: float = math.nan
    change: float = math.nan
    what_changed: str = ""
    assumptions: list = field(default_factory=list)
    note: str = ""

    level: float = 95.0

    @property
    def se(self) -> float:
        """The SE implied by the CI at its level (normal quantile; a t interval's implied SE is
        the normal-equivalent one)."""
        return (self.ci_high - self.ci_low) / (2 * NormalDist().inv_cdf(0.5 + self.level / 200))

    def interval(self) -> str:
        if not math.isfinite(self.estimate):
            return "not estimable"
        return f"{self.estimate:.2f} [{self.ci_low:.2f}, {self.ci_high:.2f}]"


@dataclass
class Gap:
    """How far (b), their trials with their method, is from (a), their published result."""

    reproduced: bool
    delta: float
    se_ratio: float
    inside: bool
    text: str


@dataclass
class Ladder:
    """One published analysis reconciled with the review."""

    analysis: PublishedAnalysis
    result: PooledResult
    outcome: str
    trials: list
    trial_basis: str
    steps: list
    explanations: list
    gap: Gap
    method_assumptions: list

    @property
    def label(self) -> str:
        return self.analysis.label

    def rows(self) -> list[dict]:
        """One plain dict per step, the columns of :data:`LADDER_COLUMNS`."""
        return [{"analysis": self.analysis.id, "label": self.label, "outcome": self.outcome, "step": s.code,
                 "name": s.name, "measure": s.measure, "method": s.method, "test": s.test, "k": s.k,
                 "studies": ", ".join(s.studies), "estimate": s.estimate, "ci_low": s.ci_low, "ci_high": s.ci_high,
                 "i2": s.i2, "tau2": s.tau2, "change": s.change, "what_changed": s.what_changed,
                 "assumptions": "; ".join(s.assumptions), "note": s.note} for s in self.steps]

    def to_dict(self) -> dict:
        a = self.analysis
        return json_safe({
            "analysis": a.id, "label": self.label, "citation": a.citation, "doi": a.doi, "pmid": a.pmid,
            "outcome": self.outcome, "published": self.result.model_dump(exclude_none=True),
            "trials": self.trials, "trial_basis": self.trial_basis, "method_assumptions": self.method_assumptions,
            "steps": self.rows(), "gap": vars(self.gap), "explanations": [vars(e) for e in self.explanations],
            "missing": list(a.missing)})


@dataclass
class ReconcileResult:
    """The ladders of every published analysis of one outcome, and those not reconciled (why)."""

    outcome: str
    ladders: list
    not_reconciled: list
    studies_sha256: str | None = None
    our_result: str = ""

    def to_frame(self):
        """One row per step of every ladder (:data:`LADDER_COLUMNS`)."""
        import pandas as pd  # pandas only where a DataFrame is asked for

        rows = [row for lad in self.ladders for row in lad.rows()]
        frame = pd.DataFrame(rows, columns=list(LADDER_COLUMNS))
        # whole numbers, None where a publication does not report it (not floats, not pandas' NA)
        frame["k"] = pd.Series([row["k"] for row in rows], index=frame.index, dtype=object)
        frame.attrs.update(outcome=self.outcome, studies_sha256=self.studies_sha256)
        return frame

    def explanations_frame(self):
        """One row per candidate explanation of every ladder's gap between (a) and (b)."""
        import pandas as pd

        rows = [{"analysis": lad.analysis.id, "label": lad.label, **vars(e)} for lad in self.ladders
                for e in lad.explanations]
        return pd.DataFrame(rows, columns=["analysis", "label", "code", "what", "applies", "estimate", "ci_low",
                                           "ci_high", "k", "gap", "detail"])

    def to_dict(self) -> dict:
        return json_safe({"outcome": self.outcome, "our_result": self.our_result,
                          "ladders": [lad.to_dict() for lad in self.ladders], "not_reconciled": self.not_reconciled,
                          "provenance": provenance(self.studies_sha256)})

    def plot(self, **kwargs):
        """The ladders side by side (:func:`ldn_evidence.plots.reconcile.reconcile_plot`)."""
        from ..plots._figure import stamp
        from ..plots.reconcile import reconcile_plot

        return stamp(reconcile_plot(self.to_frame(), **kwargs), self.studies_sha256)

    def summary(self) -> str:
        return reconcile_text(self)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<ReconcileResult: {self.outcome}, {len(self.ladders)} ladders, {len(self.not_reconciled)} not reconciled>"


# ------------------------------------------------------------------------------------------------
# what the publication did (or is assumed to have done)
# ------------------------------------------------------------------------------------------------


def their_method(analysis: PublishedAnalysis) -> tuple[str, str, list[str]]:
    """Their tau² estimator and CI method in metafor's codes, and the assumptions made for what
    the publication does not state.

    >>> import ldn_evidence as le
    >>> a = {x.id: x for x in le.load_studies().info.published_analyses}
    >>> their_method(a["annmedsurg2025"])[:2], their_method(a["vatvani2024"])[:2]
    (('DL', 'z'), ('DL', 'z'))
    """
    m = analysis.method
    out: list[str] = []
    model = m.model if m else None
    if m and m.tau2_estimator:
        method = m.tau2_estimator
    elif model == "common_effect":
        method = "EE"
    else:
        method = "DL"
        if model == "random_or_common":
            out.append("random or fixed effects per outcome, which one not stated: random effects assumed")
        out.append("tau² estimator not stated: DerSimonian-Laird assumed (RevMan 5's default and that of most "
                   "published meta-analyses)")
    software = (m.software or "") if m else ""
    if m and m.ci_method:
        test = m.ci_method
    else:
        test = "z"
        if software.lower().startswith("revman 5"):
            out.append(f"CI method not stated: {software}'s random-effects interval, Wald z, assumed")
        else:
            out.append("CI method not stated: Wald z interval assumed")
    return method, test, out


def their_trials(analysis: PublishedAnalysis) -> tuple[list[str], str]:
    """The study ids of their trial set and how sure it is: the seen and probable matches, else
    the candidates (``unidentified`` slots left out).

    >>> import ldn_evidence as le
    >>> a = {x.id: x for x in le.load_studies().info.published_analyses}
    >>> their_trials(a["vatvani2024"])[1], their_trials(a["annmedsurg2025"])[1]
    ('probable', 'candidate')
    """
    named = [t for t in analysis.included.trials if t.match != UNIDENTIFIED]
    for level in range(len(MATCH_CONFIDENCE)):
        chosen = [t.match for t in named if MATCH_CONFIDENCE.index(t.confidence) <= level]
        if chosen and (level > 0 or len(chosen) == len(analysis.included.trials)):
            return list(dict.fromkeys(chosen)), MATCH_CONFIDENCE[level]
    return [], "none"


# ------------------------------------------------------------------------------------------------
# the rungs
# ------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    review: object
    outcome: str
    analysis: PublishedAnalysis
    result: PooledResult
    their_measure: str
    our_measure: str
    method: str
    test: str
    assumptions: list
    trials: list
    trial_basis: str
    r: float | None
    level: float
    k_target: int | None = None
    left_out: list = field(default_factory=list)


def _analyse(ctx: _Context, measure: str, method: str, test: str, only, combine: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ctx.review.analyse(ctx.outcome, measure=measure, method=method, test=test, by="none",
                                  only=None if only is None else list(only), r=ctx.r, level=ctx.level,
                                  combine_change_final=combine)


def _step(code: str, name: str, measure: str, method: str, test: str, rows: list[dict], res, prev: Step | None,
          what: str, assumptions=(), note: str = "") -> Step:
    est, lo, hi = (res.estimate, res.ci_low, res.ci_high) if res is not None else (math.nan,) * 3
    change = math.nan
    if prev is not None and prev.measure == measure and math.isfinite(est) and math.isfinite(prev.estimate):
        change = est - prev.estimate
    return Step(code=code, name=name, measure=measure, method=method, test=test, k=len(rows),
                study_ids=[r["study"] for r in rows], studies=[r["label"] for r in rows], estimate=est,
                ci_low=lo, ci_high=hi, i2=res.i2 if res is not None else math.nan,
                tau2=res.tau2 if res is not None else math.nan, change=change, what_changed=what,
                assumptions=list(assumptions), note=note, level=res.level if res is not None else 95.0)


def _settings(measure: str, method: str, test: str) -> str:
    return f"{measure}, {METHOD_SHORT.get(method, method)} tau², {TEST_SHORT.get(test, test)} CI"


def _labels(review, ids) -> str:
    return ", ".join(review[i].label for i in ids)


def step_published(ctx: _Context) -> Step:
    """(a) their published estimate."""
    r = ctx.result
    k = (f", k = {r.k}" if r.k else f", k = {ctx.k_target} (their included trials)" if ctx.k_target else
         ", k not reported for this result")
    what = f"{ctx.analysis.label} as published: {r.as_reported}{k}" + (f", I² = {r.i2:g}%" if r.i2 is not None else "")
    return Step(code="a", name="published", measure=r.measure, method=None, test=None,
                k=ctx.k_target, study_ids=[], studies=[], estimate=r.estimate,
                ci_low=r.ci_low, ci_high=r.ci_high, i2=math.nan if r.i2 is None else r.i2,
                tau2=math.nan if r.tau2 is None else r.tau2, what_changed=what, note=f"{r.source}, {r.where}",
                level=r.ci_level)


def their_rows(ctx: _Context) -> tuple[list[dict], list[str], list[str]]:
    """(b)'s effect rows: their published per-trial inputs where recorded, else this review's
    effects of their trials in their measure; with the trials used from their inputs and the
    reasons the others cannot contribute."""
    a = _analyse(ctx, ctx.their_measure, ctx.method, ctx.test, ctx.trials, True)
    inputs = {p.study: p for p in ctx.analysis.per_trial_inputs
              if p.outcome == ctx.outcome and p.measure == ctx.their_measure and p.study in ctx.trials}
    rows = [row for row in a.rows if row["study"] not in inputs]
    for sid, p in inputs.items():
        rows.append({"study": sid, "label": ctx.review[sid].label, "yi": p.yi, "vi": p.sei ** 2,
                     "path": f"published input ({p.where})", "uses_r": False, "arms": None})
    order = {sid: i for i, sid in enumerate(ctx.trials)}
    rows.sort(key=lambda row: order.get(row["study"], 99))
    why = [f"{row['label']} ({row['reason'].split(';')[0]})" for row in a.not_pooled_rows if row["study"] not in inputs]
    seen = {row["study"] for row in a.rows + a.not_pooled_rows} | set(inputs)
    why += [f"{ctx.review[sid].label} (no {ctx.outcome} result recorded)" for sid in ctx.trials if sid not in seen]
    return rows, sorted(inputs), why


def step_their_trials(ctx: _Context, prev: Step) -> tuple[Step, list[dict]]:
    """(b) their trials, their measure and method; their per-trial inputs where the record gives
    them, else this review's effects for the trials (said so)."""
    rows, published, why = their_rows(ctx)
    res = fit_rows(rows, ctx.method, ctx.test, ctx.level)
    n_slots = len(ctx.analysis.included.trials)
    unidentified = sum(t.match == UNIDENTIFIED for t in ctx.analysis.included.trials)
    parts = [f"their trials ({ctx.trial_basis} matches: {_labels(ctx.review, ctx.trials) or 'none'}), "
             f"{_settings(ctx.their_measure, ctx.method, ctx.test)}"]
    if published:
        parts.append(f"their published inputs for {_labels(ctx.review, published)}")
    ours = [row["label"] for row in rows if row["study"] not in published]
    if ours:
        parts.append(f"this review's effects for {', '.join(ours)}"
                     + ("" if published else " (their per-trial inputs are not public)"))
    if why:
        parts.append(f"not computable here: {'; '.join(why)}")
    if ctx.left_out:
        parts.append(f"left out of a controlled comparison (uncontrolled design): {_labels(ctx.review, ctx.left_out)}")
    if unidentified:
        parts.append(f"{unidentified} unidentified entr{'y' if unidentified == 1 else 'ies'} among the record's "
                     f"{n_slots} trial matches")
    note = "k = 1: the trial's own estimate and CI (no pooling)" if len(rows) == 1 else ""
    step = _step("b", "their trials, their method", ctx.their_measure, ctx.method, ctx.test, rows, res, prev,
                 "; ".join(parts), ctx.assumptions, note)
    return step, rows


def step_our_derivations(ctx: _Context, prev: Step, published_used: bool) -> Step:
    """(c) the same trials and method, this review's effect derivations (and measure)."""
    a = _analyse(ctx, ctx.our_measure, ctx.method, ctx.test, ctx.trials, True)
    res = fit_rows(a.rows, ctx.method, ctx.test, ctx.level)
    parts = []
    if ctx.our_measure != ctx.their_measure:
        parts.append(f"measure {ctx.their_measure} -> {ctx.our_measure}: this review's effect derivations "
                     f"({'; '.join(sorted({_path_short(row['path']) for row in a.rows}))})")
    if published_used:
        parts.append("their published per-trial inputs -> this review's derivations")
    elif ctx.our_measure == ctx.their_measure:
        parts.append("no change: their per-trial inputs are not public, so (b) already used this review's "
                     "derivations")
    added = [row["label"] for row in a.rows if row["study"] not in prev.study_ids]
    lost = [lab for sid, lab in zip(prev.study_ids, prev.studies) if sid not in {row["study"] for row in a.rows}]
    if added:
        parts.append(f"now computable: {', '.join(added)}")
    if lost:
        parts.append(f"not computable in {ctx.our_measure}: {', '.join(lost)}")
    if ctx.our_measure != ctx.their_measure and math.isfinite(prev.estimate) and res is not None:
        parts.append(f"{prev.measure} {prev.estimate:.2f} -> {ctx.our_measure} {res.estimate:.2f} "
                     "(different units)")
    return _step("c", "our effect derivations", ctx.our_measure, ctx.method, ctx.test, a.rows, res, prev,
                 "; ".join(parts), _r_note(a))


def step_all_trials(ctx: _Context, prev: Step) -> Step:
    """(d) every study this review pools now, their method."""
    a = _analyse(ctx, ctx.our_measure, ctx.method, ctx.test, None, True)
    res = fit_rows(a.rows, ctx.method, ctx.test, ctx.level)
    now = [row["study"] for row in a.rows]
    added = [row["label"] for row in a.rows if row["study"] not in prev.study_ids]
    dropped = [lab for sid, lab in zip(prev.study_ids, prev.studies) if sid not in now]
    parts = []
    if added:
        parts.append(f"+ {', '.join(added)}")
    if dropped:
        parts.append(f"- {', '.join(dropped)}")
    what = ("all studies pooled now: " + "; ".join(parts)) if parts else "no change: their trials are all this " \
        "review pools"
    return _step("d", "all trials now", ctx.our_measure, ctx.method, ctx.test, a.rows, res, prev, what, _r_note(a))


def steps_our_defaults(ctx: _Context, prev: Step) -> list[Step]:
    """(e) this review's defaults, one change at a time: tau² estimator, CI method, change-score
    SMDs set apart; the last sub-step is the review's own result."""
    method, test = ctx.review.analysis_defaults()
    changes = []
    if method != ctx.method:
        changes.append(("method", f"our tau² ({METHOD_SHORT.get(method, method)})",
                        f"tau² estimator {METHOD_SHORT.get(ctx.method, ctx.method)} -> "
                        f"{METHOD_SHORT.get(method, method)}"))
    if test != ctx.test:
        changes.append(("test", f"our CI ({_TEST_TINY.get(test, test)})",
                        f"CI {TEST_SHORT.get(ctx.test, ctx.test)} -> {TEST_SHORT.get(test, test)}"))
    final = _analyse(ctx, ctx.our_measure, method, test, None, False)
    if {row["study"] for row in final.rows} != set(prev.study_ids):
        changes.append(("combine", "change SMDs apart", "change-score SMDs set apart from final-value SMDs "
                        "(Cochrane Handbook 10.5.2): - " + ", ".join(
                            row["label"] for row in final.not_pooled_rows if row["study"] in prev.study_ids)))
    steps: list[Step] = []
    spec = {"method": ctx.method, "test": ctx.test, "combine": True}
    for i, (key, name, what) in enumerate(changes or [("none", "our defaults", "no change: their method is this "
                                                       "review's")]):
        if key == "method":
            spec["method"] = method
        elif key == "test":
            spec["test"] = test
        elif key == "combine":
            spec["combine"] = False
        last = i == max(len(changes), 1) - 1
        a = final if last else _analyse(ctx, ctx.our_measure, spec["method"], spec["test"], None, spec["combine"])
        res = a.overall
        if last:
            what += " = this review's result"
            name += " = ours" if changes else ""
        code = "e" if not changes else f"e{i + 1}"
        steps.append(_step(code, name, ctx.our_measure, spec["method"], spec["test"], a.rows, res,
                           steps[-1] if steps else prev, what, _r_note(a)))
    return steps


#: the tests as a ladder rung's short name says them
_TEST_TINY = {"z": "Wald z", "t": "t", "knha": "Hartung-Knapp", "adhoc": "modified HK"}


def _r_note(analysis) -> list[str]:
    return [f"r = {analysis.r:g} for crossover effects"] if any(row["uses_r"] for row in analysis.rows) else []


def _path_short(path: str) -> str:
    return str(path or "").split(";")[0].split(",")[0].strip()


# ------------------------------------------------------------------------------------------------
# the whole ladder
# ------------------------------------------------------------------------------------------------


def k_of(analysis: PublishedAnalysis, result: PooledResult) -> int | None:
    """The number of trials behind a published result: as given with it, else the publication's
    included count when the result is its only comparison of the outcome (a primary result with
    no pooled result of the outcome on another contrast), else unknown (None)."""
    if result.k:
        return result.k
    others = {p.contrast for p in analysis.pooled if p.outcome == result.outcome and p.estimate is not None}
    if result.role == "primary" and others == {result.contrast}:
        return analysis.included.k
    return None


def gap_between(published: Step, ours: Step) -> Gap:
    """How far (b) is from (a): the difference, the ratio of their CI-implied SEs, whether (a)
    lies inside (b)'s interval, and whether (b) reproduces (a) to its published decimals."""
    if not math.isfinite(ours.estimate):
        return Gap(False, math.nan, math.nan, False, f"not reproduced: none of their trials gives a "
                   f"{published.measure} here")
    delta = ours.estimate - published.estimate
    ratio = ours.se / published.se if published.se > 0 else math.nan
    inside = ours.ci_low <= published.estimate <= ours.ci_high
    reproduced = all(abs(x - y) <= ROUNDING for x, y in ((ours.estimate, published.estimate),
                                                           (ours.ci_low, published.ci_low),
                                                           (ours.ci_high, published.ci_high)))
    if reproduced:
        text = "reproduced to the published two decimals"
    else:
        text = (f"not reproduced: (b) is {delta:+.2f} {published.measure} from (a), its interval "
                f"{ratio:.2g} times as wide; (a) lies {'inside' if inside else 'outside'} (b)'s interval")
    return Gap(reproduced, delta, ratio, inside, text)


def _ladder(review, analysis: PublishedAnalysis, result: PooledResult, outcome: str, r) -> Ladder:
    method, test, assumptions = their_method(analysis)
    trials, basis = their_trials(analysis)
    known = {s.id for s in review.studies}
    trials = [t for t in trials if t in known]
    if result.measure not in CONTINUOUS_MEASURES:
        raise ReviewError(f"{analysis.id}: reconciling a {result.measure} is not supported (continuous "
                          f"outcomes: {', '.join(CONTINUOUS_MEASURES)})")
    left_out = []
    if result.contrast in review.protocol.contrasts:  # a controlled comparison: controlled designs only
        left_out = [t for t in trials if review[t].design not in CONTROLLED_DESIGNS]
        trials = [t for t in trials if t not in left_out]
    ctx = _Context(review=review, outcome=outcome, analysis=analysis, result=result, their_measure=result.measure,
                   our_measure=outcome_spec(outcome, review.protocol).measure, method=method, test=test,
                   assumptions=assumptions, trials=trials, trial_basis=basis, r=r, level=result.ci_level,
                   k_target=k_of(analysis, result), left_out=left_out)
    a = step_published(ctx)
    b, rows = step_their_trials(ctx, a)
    c = step_our_derivations(ctx, b, published_used=any(str(row["path"]).startswith("published input")
                                                         for row in rows))
    d = step_all_trials(ctx, c)
    steps = [a, b, c, d] + steps_our_defaults(ctx, d)
    gap = gap_between(a, b)
    explanations: list[Explanation] = [] if gap.reproduced else explain_gap(ctx, a, b, rows)
    return Ladder(analysis=analysis, result=result, outcome=outcome, trials=trials, trial_basis=basis, steps=steps,
                  explanations=explanations, gap=gap, method_assumptions=assumptions)


def reconcile_review(review, outcome: str | None = None, analyses: Sequence[str] | None = None,
                     r: float | None = None) -> ReconcileResult:
    """Reconcile every published analysis of ``outcome`` with the review.

    Parameters
    ----------
    review : Review
    outcome : str, optional
        An outcome of the protocol (default: its first).
    analyses : sequence of str, optional
        Ids of ``review.published_analyses`` to reconcile (default: all that pool the outcome).
    r : float, optional
        Within-person correlation for crossover effects (default: the review's).

    Every rung of a ladder is at the confidence level of the published result it starts from
    (``ci_level``, 95 unless the record says otherwise).

    Returns
    -------
    ReconcileResult
        ``ladders`` (one per published pooled result marked ``reconcile: true``) and
        ``not_reconciled`` (the other publications, each with the reason).
    """
    outcome = review.outcome_id(outcome)
    published = list(review.info.published_analyses)
    if analyses:
        known = {a.id for a in published}
        unknown = [x for x in analyses if x not in known]
        if unknown:
            raise ReviewError(f"no published analysis with id {', '.join(map(repr, unknown))}; ids: "
                              f"{', '.join(sorted(known)) or 'none (review.published_analyses is empty)'}")
        published = [a for a in published if a.id in set(analyses)]
    ladders, skipped = [], []
    with review.reusing_effects():  # every rung analyses the same studies' effects
        for a in published:
            result = a.reconcile_result(outcome)
            if result is None:
                pooled = [p for p in a.pooled if p.outcome == outcome and p.estimate is not None]
                reason = (f"no pooled estimate ({a.kind.replace('_', ' ')})" if not a.pooled else
                          f"no pooled {outcome} result marked reconcile: true" if pooled
                          else f"no pooled {outcome} result")
                skipped.append({"analysis": a.id, "label": a.label, "kind": a.kind, "reason": reason})
                continue
            ladders.append(_ladder(review, a, result, outcome, r))
        ours = review.analyse(outcome, by="none", r=r)
    return ReconcileResult(outcome=outcome, ladders=ladders, not_reconciled=skipped,
                           studies_sha256=review.file_hash, our_result=ours.one_line() + f" ({ours.settings})")
