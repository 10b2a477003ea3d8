"""What would have to be true for a published pooled result: candidate explanations of the gap
between (a), the published estimate, and (b), this review's effects for their trials pooled
with their method (:mod:`.reconcile`).

When a publication's per-trial inputs are not public, the gap is what their extraction must
have done differently. Each candidate below is computed from the review's records, refitted with
their method, and reported with how close it comes to their number; none is asserted:

* ``se_as_sd`` — an arm's standard error used as its SD (an SMD then grows by about sqrt(n),
  an MD's variance shrinks by n; Cochrane Handbook 6.5.2.2 on telling them apart);
* ``raw_scales`` — MDs pooled on their own scales (a 0-100 VAS beside 0-10 ratings) instead of
  one common scale (Handbook 10.5.1);
* ``within_arm`` — the intervention arm's change from baseline taken instead of the between-group
  difference (a pre-post effect: it includes the placebo response);
* ``crossover_as_parallel`` — a crossover trial's periods analysed as independent groups, the
  within-person correlation ignored (r = 0; Elbourne et al. 2002, Handbook 23.2.7);
* ``trial_sets`` — every other set of trials that could be theirs (their candidate matches and
  the review's trials published by their year), each pooled with their method;
* ``implied_rest`` — what the trials of theirs this review cannot compute would have to pool to,
  given their published estimate and CI (a common-effect back-calculation: inverse-variance
  weights add, so the rest's weight is 1/SE(a)² minus the computable trials' weight);
* ``their_sensitivity`` — their own sensitivity result of the outcome against leaving out each
  trial of (b) in turn.

The module also holds the one fitting helper the ladder shares (:func:`fit_rows`), so that the
ladder and its explanations pool by the same call.

Examples
--------
>>> import ldn_evidence as le
>>> from ldn_evidence.review.reconcile import reconcile_review
>>> lad = reconcile_review(le.load_studies(), analyses=["annmedsurg2025"]).ladders[0]
>>> [e.code for e in lad.explanations][:2]
['se_as_sd', 'within_arm']
"""
from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..effects import designs
from ..effects.measures import escalc_arrays
from ..models import meta_analysis
from ..records.published import UNIDENTIFIED
from ..vocabulary import CONTROLLED_DESIGNS

__all__ = ["Explanation", "explain_gap", "fit_rows", "MAX_SUBSETS"]

#: at most this many trial sets are fitted by ``trial_sets`` (all of them up to 12 candidate trials)
MAX_SUBSETS = 4096


@dataclass
class Explanation:
    """One candidate explanation: the hypothesis, whether the records allow computing it, the
    pooled result under it and its distance (``gap``) to the published result it explains."""

    code: str
    what: str
    applies: bool
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    k: int = 0
    gap: float = math.nan
    detail: str = ""


def fit_rows(rows: list[dict], method: str, test: str, level: float = 95):
    """The meta-analysis of effect rows (``yi``, ``vi``, ``label``), or None without rows."""
    if not rows:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return meta_analysis(np.array([r["yi"] for r in rows], dtype=float),
                             np.array([r["vi"] for r in rows], dtype=float),
                             method=method, test=test, level=level, labels=[r["label"] for r in rows])


def _analyse(ctx, measure: str, only, r=None, combine: bool = True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ctx.review.analyse(ctx.outcome, measure=measure, method=ctx.method, test=ctx.test, by="none",
                                  only=None if only is None else list(only), r=ctx.r if r is None else r,
                                  level=ctx.level, combine_change_final=combine)


def _result(code: str, what: str, rows: list[dict], ctx, target: float, detail: str) -> Explanation:
    res = fit_rows(rows, ctx.method, ctx.test, ctx.level)
    if res is None:
        return Explanation(code, what, False, detail=detail)
    return Explanation(code, what, True, res.estimate, res.ci_low, res.ci_high, res.k, res.estimate - target, detail)


def _replaced(rows: list[dict], new: dict) -> list[dict]:
    return [{**row, **new[row["study"]]} if row["study"] in new else row for row in rows]


def explain_se_as_sd(ctx, a, rows: list[dict]) -> Explanation:
    """An arm's SE used as its SD, in every trial of (b) whose SDs this review derives from an SE
    or a CI (parallel arms of change scores or final values)."""
    what = "an arm's standard error used as its SD"
    new, parts = {}, []
    for row in rows:
        arms, path = row.get("arms"), str(row.get("path") or "")
        if not arms or "SD from SE/CI" not in path:
            continue
        t, c = arms["intervention"], arms["comparator"]
        se_t, se_c = t["sd"] / math.sqrt(t["n"]), c["sd"] / math.sqrt(c["n"])
        fn = designs.parallel_change if path.startswith("per-arm change") else designs.parallel_final
        de = fn(t["mean"], se_t, t["n"], c["mean"], se_c, c["n"], measure=ctx.their_measure)
        yi, vi = float(de.yi.ravel()[0]), float(de.vi.ravel()[0])
        new[row["study"]] = {"yi": yi, "vi": vi}
        factor = f" (x {yi / row['yi']:.1f}; sqrt(n per arm) = {math.sqrt(t['n']):.1f})" if row["yi"] else ""
        parts.append(f"{row['label']}: {ctx.their_measure} {row['yi']:.2f} -> {yi:.2f} with the arms' SEs "
                     f"({se_t:.2f}, {se_c:.2f}) as SDs{factor}")
    if not new:
        return Explanation("se_as_sd", what, False, detail="no trial of (b) has SDs derived from an SE or a CI here")
    return _result("se_as_sd", what, _replaced(rows, new), ctx, a.estimate, "; ".join(parts))


def _scale_of(review, sid: str, row: dict) -> str:
    for o in review[sid].outcomes:
        if o.instrument == row.get("instrument") and o.timepoint == row.get("timepoint"):
            return f"{o.scale.min:g}-{o.scale.max:g}" if o.scale else "range not recorded"
    return "range not recorded"


def explain_raw_scales(ctx, a, rows: list[dict]) -> Explanation | None:
    """MDs pooled on each trial's own scale (not rescaled to a common one); MD only."""
    if ctx.their_measure != "MD":
        return None
    what = "mean differences pooled on each trial's own scale"
    es = ctx.review.effect_sizes(ctx.outcome, measure="MD", r=ctx.r, level=ctx.level, scale_md=False)
    raw = [dict(row) for row in es.to_dict("records") if row["included"] and row["study"] in ctx.trials]
    shown = ", ".join(f"{row['label']} ({_scale_of(ctx.review, row['study'], row)})" for row in raw)
    same = sorted((row["study"], round(row["yi"], 12)) for row in raw) == sorted(
        (row["study"], round(row["yi"], 12)) for row in rows)
    if not raw or same:
        return Explanation("raw_scales", what, False, detail=f"no change: {shown or 'no trial gives an MD'}")
    return _result("raw_scales", what, raw, ctx, a.estimate, f"raw scales: {shown}")


def explain_within_arm(ctx, a, rows: list[dict]) -> Explanation:
    """The intervention arm's change from baseline instead of the between-group difference, for
    the trials of (b) that report per-arm changes with their spread."""
    label = ctx.review.protocol.intervention.label
    what = f"the {label} arm's change from baseline taken as the effect (no comparator subtracted)"
    new, parts = {}, []
    for row in rows:
        arms, path = row.get("arms"), str(row.get("path") or "")
        if not arms or not path.startswith("per-arm change"):
            continue
        t = arms["intervention"]
        measure = "SMCC" if ctx.their_measure == "SMD" else "MC"
        yi, vi, _ = escalc_arrays(measure, m1i=[t["mean"]], m2i=[0.0], sd1i=[t["sd"]], sd2i=[0.0], ni=[t["n"]],
                                  ri=[0.0])
        new[row["study"]] = {"yi": float(yi[0]), "vi": float(vi[0])}
        parts.append(f"{row['label']}: between-group {row['yi']:.2f} -> within-arm {float(yi[0]):.2f} "
                     f"(mean change {t['mean']:g}, SD {t['sd']:.2f}, n = {t['n']})")
    if not new:
        return Explanation("within_arm", what, False, detail="no trial of (b) reports per-arm changes with a spread")
    own = [p for p in ctx.analysis.pooled if p.outcome == ctx.outcome and p.contrast in ("pre_post", "single_group")
           and p.estimate is not None and p.measure == ctx.their_measure]
    if own:
        parts.append(f"their own within-group result: {own[0].estimate:.2f} [{own[0].ci_low:.2f}, "
                     f"{own[0].ci_high:.2f}]")
    return _result("within_arm", what, _replaced(rows, new), ctx, a.estimate, "; ".join(parts))


def explain_crossover_as_parallel(ctx, a, rows: list[dict]) -> Explanation:
    """Crossover trials analysed as if their periods were independent groups (r = 0)."""
    what = "crossover periods analysed as independent groups (within-person correlation ignored, r = 0)"
    uses = [row["label"] for row in rows if row.get("uses_r")]
    if not uses:
        return Explanation("crossover_as_parallel", what, False, detail="no effect of (b) depends on the "
                           "within-person correlation")
    again = _analyse(ctx, ctx.their_measure, [row["study"] for row in rows], r=0.0)
    new = {row["study"]: {"yi": row["yi"], "vi": row["vi"]} for row in again.rows if row.get("uses_r")}
    parts = [f"{row['label']}: {row['yi']:.2f} -> {new[row['study']]['yi']:.2f}" for row in rows
             if row["study"] in new]
    return _result("crossover_as_parallel", what, _replaced(rows, new), ctx, a.estimate,
                   f"r = 0 instead of r = {again.r if ctx.r is None else ctx.r:g}" if not parts else "; ".join(parts))


def _pool(ctx) -> list[str]:
    """Their named matches of any confidence, and the review's studies published by their year."""
    named = [t.match for t in ctx.analysis.included.trials if t.match != UNIDENTIFIED]
    year = ctx.analysis.year
    dated = [s.id for s in ctx.review.studies if year is None or (s.citation.year is not None and
                                                                   s.citation.year <= year)]
    return list(dict.fromkeys(named + dated))


def explain_trial_sets(ctx, a) -> Explanation:
    """Every set of the trials that could be theirs, pooled with their method: the range, and
    the set closest to their estimate."""
    what = "another set of trials (their candidate matches and the trials published by their year)"
    rows = _analyse(ctx, ctx.their_measure, _pool(ctx)).rows
    if ctx.result.contrast in ctx.review.protocol.contrasts:
        rows = [row for row in rows if ctx.review[row["study"]].design in CONTROLLED_DESIGNS]
    k_max = min(len(rows), ctx.k_target or len(rows))
    if not rows:
        return Explanation("trial_sets", what, False, detail="no trial that could be theirs gives a "
                           f"{ctx.their_measure} here")
    if len(rows) == 1:
        return Explanation("trial_sets", what, False, detail=f"only {rows[0]['label']} of the trials that could be "
                           f"theirs gives a {ctx.their_measure} here: no other set to try")
    fits = []
    for size in range(1, k_max + 1):
        for subset in itertools.combinations(rows, size):
            res = fit_rows(list(subset), ctx.method, ctx.test, ctx.level)
            fits.append((abs(res.estimate - a.estimate), res, subset))
            if len(fits) >= MAX_SUBSETS:
                break
    best_gap, best, subset = min(fits, key=lambda f: f[0])
    lo = min(f[1].estimate for f in fits)
    hi = max(f[1].estimate for f in fits)
    detail = (f"{len(fits)} sets of 1 to {k_max} of {', '.join(r['label'] for r in rows)}: pooled "
              f"{ctx.their_measure} from {lo:.2f} to {hi:.2f}; closest to (a): {', '.join(r['label'] for r in subset)}")
    return Explanation("trial_sets", what, True, best.estimate, best.ci_low, best.ci_high, best.k,
                       best.estimate - a.estimate, detail)


def explain_rest(ctx, a, rows: list[dict]) -> Explanation | None:
    """What their trials this review cannot compute would have to pool to (common-effect
    back-calculation from their estimate and CI)."""
    if ctx.k_target is None:
        return Explanation("implied_rest", "what their other trials would have to pool to", False,
                           detail="the number of trials behind their result is not reported")
    n_rest = ctx.k_target - len(rows)
    if n_rest <= 0:
        return None
    what = f"what their {n_rest} other trial(s) would have to pool to"
    se_a = a.se
    w_a = 1 / se_a ** 2
    w = np.array([1 / row["vi"] for row in rows]) if rows else np.zeros(0)
    w_b = float(w.sum())
    if w_a <= w_b:
        return Explanation("implied_rest", what, False, detail=(
            f"their interval (SE {se_a:.3f}) is wider than the {len(rows)} trial(s) computable here give on their "
            f"own under common-effect weights (1/SE² = {w_a:.1f} vs {w_b:.1f}): nothing is left for the others; "
            "between-trial heterogeneity widens a random-effects interval, which this back-calculation cannot "
            "separate"))
    est_b = float((w * np.array([row["yi"] for row in rows])).sum() / w_b) if rows else 0.0
    w_r = w_a - w_b
    est_r = (w_a * a.estimate - w_b * est_b) / w_r
    se_r = 1 / math.sqrt(w_r)
    detail = (f"1/SE(a)² = {w_a:.1f} minus the computable trials' weight {w_b:.1f} leaves {w_r:.1f}: the other "
              f"{n_rest} would have to pool to {est_r:.2f} (SE {se_r:.2f})")
    if rows:
        se_min = min(math.sqrt(row["vi"]) for row in rows)
        largest = min(rows, key=lambda row: row["vi"])["label"]
        if se_r < se_min:
            detail += f", together more precise than {largest} alone (SE {se_min:.2f})"
    z = NormalDist().inv_cdf(0.5 + ctx.level / 200)
    return Explanation("implied_rest", what, True, est_r, est_r - z * se_r, est_r + z * se_r, n_rest, 0.0, detail)


def explain_sensitivity(ctx, rows: list[dict]) -> Explanation | None:
    """Their sensitivity result of the outcome against leaving out each trial of (b)."""
    theirs = [p for p in ctx.analysis.pooled if p.outcome == ctx.outcome and p.role == "sensitivity"
              and p.contrast == ctx.result.contrast and p.estimate is not None and p.measure == ctx.their_measure]
    if not theirs:
        return None
    s = theirs[0]
    what = f"their sensitivity analysis ({s.estimate:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]) as one trial left out"
    if len(rows) < 2:
        return Explanation("their_sensitivity", what, False, detail="(b) has fewer than two trials to leave out")
    fits = [(fit_rows([r for r in rows if r is not out], ctx.method, ctx.test, ctx.level), out) for out in rows]
    best, out = min(fits, key=lambda f: abs(f[0].estimate - s.estimate))
    detail = ("leaving out one trial of (b) gives " + ", ".join(f"{res.estimate:.2f} (without {o['label']})"
                                                                for res, o in fits)
              + f"; closest: without {out['label']}")
    return Explanation("their_sensitivity", what, True, best.estimate, best.ci_low, best.ci_high, best.k,
                       best.estimate - s.estimate, detail)


def explain_gap(ctx, a, b, rows: list[dict]) -> list[Explanation]:
    """Every candidate explanation that fits the publication's measure, in a fixed order."""
    out = [explain_se_as_sd(ctx, a, rows), explain_raw_scales(ctx, a, rows), explain_within_arm(ctx, a, rows),
           explain_crossover_as_parallel(ctx, a, rows), explain_trial_sets(ctx, a), explain_rest(ctx, a, rows),
           explain_sensitivity(ctx, rows)]
    return [e for e in out if e is not None]
