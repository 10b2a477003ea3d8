"""One outcome's section of the page: what was pooled, how, the results, and their figures.

:func:`outcome_section` runs the primary analysis of one outcome (:meth:`Review.analyse`, the
package's defaults: REML, Hartung-Knapp, subgroups by design) and gathers, each from the public
API:

* the pooled results per subgroup and overall, with every setting of the analysis;
* the forest plot (:meth:`Analysis.forest`) and the studies pooled, each number linked to its source;
* the studies that report the outcome but are not pooled, and why;
* the review-level sensitivity analyses (:meth:`Review.sensitivity`);
* the cumulative meta-analysis by year (:func:`ldn_evidence.review.by_year.cumulative_by_year`)
  and, for a continuous outcome, the trial sequential analysis
  (:func:`ldn_evidence.review.tsa.trial_sequential_analysis`, its default assumptions stated);
* the summary-of-findings row when GRADE is available.

An outcome that no study reports, or that nothing poolable reports, still has its section,
saying so. What the section holds is plain data (text, inline SVG, lists and dicts, and the
analysis objects, which hold no DataFrame): it comes back cheaply from a worker process.

Examples
--------
>>> import ldn_evidence as le
>>> review = le.load_studies()
>>> pain = outcome_section(review, "pain", None)
>>> pain["k"] == review.analyse("pain").k, "forest" in pain, pain["results"][-1]["group"]
(True, True, 'Overall')
>>> outcome_section(review, "quality_of_life", None)["reported"]
False
"""
from __future__ import annotations

import warnings

from .._format import is_missing, json_safe
from ..review.outcomes import favours, is_binary, outcome_title
from ..vocabulary import METHOD_SHORT, RATIO_MEASURES
from .cells import estimate_cells, integer, interval, number, p_phrase, percent, pvalue
from .figures import inline_svg
from .links import linkify, source_url

__all__ = ["outcome_section", "living_parts", "needs_living", "primary_analysis", "settings_rows"]

_TESTS = {"knha": "Hartung-Knapp-Sidik-Jonkman (t)", "z": "Wald z", "adhoc": "modified Hartung-Knapp"}
_BY = {"design": "study design", "none": "none", "line_of_therapy": "line of therapy",
       "randomized": "randomized or not", "blinding": "blinding", "source": "primary or secondary numbers"}


def settings_rows(a) -> list[tuple[str, str]]:
    """Every setting of an analysis, as (name, value) rows."""
    rows = [("Effect measure", a.xlabel), ("tau² estimator", f"{METHOD_SHORT.get(a.method, a.method)} ({a.method})"),
            ("Confidence intervals and test", _TESTS.get(a.test, a.test)),
            ("tau² confidence interval", "Q-profile (Viechtbauer 2007)"),
            ("Prediction interval", "yes" if a.method not in ("EE", "FE") else "no (equal effects)"),
            ("Level", f"{a.level:g}%"), ("Subgroups", _BY.get(a.by, a.by))]
    if any(row["uses_r"] for row in a.rows):
        rows.append(("Within-person correlation r (crossover, pre-post)", f"{a.r:g}"))
    if a.measure in RATIO_MEASURES:
        rows.append(("Scale", f"{a.measure} back-transformed from the log scale; tau² on the log scale"))
    if a.exclude:
        rows.append(("Left out by request", ", ".join(a.exclude)))
    return rows


def _results(a) -> list[dict]:
    out = []
    for row in a.summary_rows():
        est, ci = estimate_cells(a.measure, row["estimate"], row["ci_low"], row["ci_high"])
        _, pi = estimate_cells(a.measure, row["estimate"], row["pi_low"], row["pi_high"])
        out.append({"group": row["group"], "k": row["k"], "estimate": est, "ci": ci, "pi": pi,
                    "p": pvalue(row["pvalue"]), "tau2": number(row["tau2"], 3),
                    "tau2_ci": interval(row["tau2_ci_low"], row["tau2_ci_high"], 3), "i2": percent(row["i2"]),
                    "q": f"{number(row['q'], 2)} (df = {row['q_df']}, {p_phrase(row['q_pvalue'])})",
                    "overall": row["group"] == "Overall"})
    return out


def _study_rows(a, studies) -> list[dict]:
    rows = []
    for row in a.rows:
        est, ci = estimate_cells(a.measure, row["yi"], row["ci_low"], row["ci_high"])
        study = studies[row["study"]]
        url = source_url(row["source"]) or source_url(f"DOI {study.doi}" if study.doi else None) or \
            source_url(f"PMID {study.pmid}" if study.pmid else None)
        rows.append({"id": row["study"], "label": row["label"], "group": row["group"], "n": integer(row["n"]),
                     "estimate": est, "ci": ci, "weight": number(row.get("weight"), 1), "url": url,
                     "path": row["path"], "derivation": row["derivation"], "assumptions": row["assumptions"],
                     "source": linkify(row["source"]), "secondary": row["secondary"],
                     "instrument": row["instrument"] or "", "timepoint": row["timepoint"] or ""})
    return rows


def _sensitivity(review, a) -> dict:
    if a.overall is None:
        return {"reason": "nothing is pooled for this outcome"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = review.sensitivity(a.outcome, measure=a.measure, method=a.method, test=a.test, r=a.r)
    rows = []
    for row in s.rows:
        has = row["k"] > 0 and not is_missing(row["estimate"])
        est, ci = estimate_cells(a.measure, row["estimate"], row["ci_low"], row["ci_high"]) if has else ("", "")
        _, pi = estimate_cells(a.measure, row["estimate"], row["pi_low"], row["pi_high"]) if has else ("", "")
        rows.append({"family": row["family"], "analysis": row["analysis"], "k": row["k"], "estimate": est, "ci": ci,
                     "pi": pi, "p": pvalue(row["pvalue"]) if has else "", "tau2": number(row["tau2"], 3) if has else "",
                     "i2": percent(row["i2"]) if has else "", "note": row["note"] or ("" if has else "no studies")})
    return {"rows": rows, "result": s}


def _cumulative(review, a, controlled: bool) -> dict:
    if a.k < 2:
        return {"reason": "fewer than two studies are pooled"}
    from ..plots.cumulative_year import cumulative_forest  # matplotlib and pandas: imported when needed
    from ..review.by_year import cumulative_by_year

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame, _ = cumulative_by_year(review, a.outcome, measure=a.measure, method=a.method, test=a.test, r=a.r,
                                          level=a.level)
    except ValueError as exc:  # ReviewError: a step that does not converge
        return {"reason": str(exc)}
    protocol = review.protocol
    fig = cumulative_forest(frame, xlabel=a.xlabel, favours=favours(a.outcome, controlled, protocol),
                            title=f"Cumulative meta-analysis by year: {outcome_title(a.outcome, protocol)}",
                            footnote=f"Each row pools every study published up to that year. Model: {a.settings}.")
    return {"svg": inline_svg(fig, f"cum-{a.outcome}",
                              f"Cumulative meta-analysis of {outcome_title(a.outcome, protocol)}"),
            "rows": json_safe(frame.to_dict("records"))}


def _tsa(review, a) -> dict:
    """The outcome's trial sequential analysis at the command's defaults (a minimal relevant
    effect of 0.2 SD, or a 20% relative risk reduction for a binary outcome; alpha 5%, power 80%)."""
    if a.overall is None:
        return {"reason": "nothing is pooled for this outcome"}
    randomized = sum(bool(row["randomized"]) for row in a.rows)
    if randomized < 2:
        return {"reason": f"{'one randomized trial' if randomized == 1 else 'no randomized trial'} pooled; a "
                          "sequential analysis needs at least two"}
    from ..review.tsa import trial_sequential_analysis  # pandas and scipy.optimize: imported when needed

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measure = a.measure if is_binary(a.outcome, review.protocol) or a.measure in ("SMD", "MD") else "SMD"
            res = trial_sequential_analysis(review, a.outcome, measure=measure, r=a.r)
    except ValueError as exc:
        return {"reason": str(exc)}
    svg = inline_svg(res.plot(), f"tsa-{a.outcome}",
                     f"Trial sequential analysis of {outcome_title(a.outcome, review.protocol)}")
    return {"svg": svg, "conclusion": res.conclusion, "ris": res.ris.describe(), "assumptions": res.assumptions,
            "json": res.to_dict()}


def primary_analysis(review, outcome: str):
    """The outcome's primary analysis: the package's defaults (warnings are kept in its notes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return review.analyse(outcome)


def outcome_section(review, outcome: str, sof: dict | None, analysis=None) -> dict:
    """What the page shows for one outcome (plain data for the ``outcome`` template block) but
    its cumulative and sequential analyses (:func:`living_parts`); ``analysis`` is its primary
    analysis when already run."""
    a = primary_analysis(review, outcome) if analysis is None else analysis
    studies = {s.id: s for s in review.studies}
    title = outcome_title(outcome, review.protocol)
    data = {"id": outcome, "anchor": f"outcome-{outcome}", "title": title, "measure": a.measure,
            "settings": a.settings, "settings_rows": settings_rows(a), "analysis": a, "k": a.k,
            "reported": bool(a.rows or a.not_pooled_rows), "results": _results(a), "notes": list(a.notes),
            "studies": _study_rows(a, studies),
            "not_pooled": [{"id": row["study"], "label": row["label"], "reason": row["reason"],
                            "design": row["design_short"]} for row in a.not_pooled_rows],
            "sof": sof, "n": sum(int(row["n"]) for row in a.rows if not is_missing(row["n"])),
            "n_complete": all(not is_missing(row["n"]) for row in a.rows)}
    if a.subgroup_test is not None:
        q, df, p = a.subgroup_test
        data["subgroup_test"] = f"Q = {number(q, 2)}, df = {df}, {p_phrase(p)}"
    if a.overall is not None:
        data["forest"] = inline_svg(a.forest(), f"forest-{outcome}", f"Forest plot of {title}")
        est, ci = estimate_cells(a.measure, a.overall.estimate, a.overall.ci_low, a.overall.ci_high)
        _, pi = estimate_cells(a.measure, a.overall.estimate, a.overall.pi_low, a.overall.pi_high)
        data["headline"] = {"estimate": est, "ci": ci, "pi": pi, "i2": percent(a.overall.i2),
                            "p": p_phrase(a.overall.pvalue)}
    data["sensitivity"] = _sensitivity(review, a)
    return data


def needs_living(a) -> bool:
    """Whether :func:`living_parts` has work to do (two or more studies pooled)."""
    return a.k >= 2


def living_parts(review, outcome: str, analysis=None) -> dict:
    """The outcome's cumulative meta-analysis by year and trial sequential analysis (or why not):
    the ``cumulative`` and ``tsa`` entries of its section."""
    a = primary_analysis(review, outcome) if analysis is None else analysis
    controlled = bool({row["group"] for row in a.rows} - {"Single-arm pre-post"})
    return {"cumulative": _cumulative(review, a, controlled), "tsa": _tsa(review, a)}
