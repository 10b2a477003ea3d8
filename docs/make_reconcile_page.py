"""Generate docs/reconcile.md, why the published meta-analyses of LDN for fibromyalgia pain
disagree with this review, and its figure docs/img/reconcile-pain.png.

    python docs/make_reconcile_page.py           # rewrite docs/reconcile.md and the figure
    python docs/make_reconcile_page.py --check   # exit 1 if the page is stale (the figure is not redrawn)

Every number on the page comes from ``reconcile_review(le.load_studies())``: the published
analyses as recorded in data/studies.yaml (``review.published_analyses``), the study records and
the review's protocol. Edit the YAML (or the code), never the page; tests/test_reconcile_page.py
fails when the page and the code disagree.
"""
from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import ldn_evidence as le
from _pages import page_check  # docs/_pages.py, beside this script
from ldn_evidence.review.grade import reference_sd
from ldn_evidence.review.reconcile import reconcile_review

HERE = Path(__file__).resolve().parent
PAGE = HERE / "reconcile.md"
FIGURE = HERE / "img" / "reconcile-pain.png"
OUTCOME = "pain"

CONFIDENCE = {"seen": "as the publication names them", "probable": "as its counts, dates and outcomes imply them "
              "(its list of trials was not seen)", "candidate": "candidates only (its list of trials was not seen)"}
EXPLAINED = {
    "se_as_sd": "a standard error read as a standard deviation",
    "raw_scales": "mean differences pooled on different scales",
    "within_arm": "the LDN arm's change from baseline taken instead of the difference from placebo",
    "crossover_as_parallel": "crossover trials analysed as if they were parallel groups",
    "trial_sets": "another set of the trials that could be theirs",
    "their_sensitivity": "their sensitivity analysis as one trial left out",
}


def _n(x: float, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "NA"
    if round(x, 2) == 0:
        x = 0.0
    return (f"{x:+.2f}" if signed else f"{x:.2f}").replace("-", "\u2212")


def _ci(est, lo, hi) -> str:
    return f"{_n(est)} ({_n(lo)} to {_n(hi)})"


def _minus(text: str) -> str:
    """The library's hyphen-minus before a number as a typographic minus (not in 0-10)."""
    return re.sub(r"(?<![\w.])-(?=\d)", "\u2212", text)


def _step(lad, code):
    return next(s for s in lad.steps if s.code == code)


def _method_words(lad) -> str:
    a = lad.analysis
    m = a.method
    said = m.as_stated if m and m.as_stated else "methods not stated in the abstract"
    return said.replace("|", "/")


def _table(res, review) -> list[str]:
    out = ["| Publication | Searched to | Trials | Published pain effect | Their trials, their method, this review's "
           "numbers (b) |", "|---|---|---|---|---|"]
    for lad in res.ladders:
        a, r, b = lad.analysis, lad.result, _step(lad, "b")
        search = (a.search.as_reported or (str(a.search.date) if a.search.date else "not stated")) if a.search else \
            "not stated"
        k = f"{a.included.k}" + (f" ({a.included.n} patients)" if a.included.n else "")
        out.append(f"| {lad.label} | {search} | {k} | {r.measure} {_ci(r.estimate, r.ci_low, r.ci_high)}"
                   + (f", I² {r.i2:g}%" if r.i2 is not None else "") + f" | {b.measure} "
                   f"{_ci(b.estimate, b.ci_low, b.ci_high)}, k = {b.k} |")
    final = res.ladders[0].steps[-1]
    out.append(f"| **This review** | {review.info.last_search} | {final.k} pooled | | SMD "
               f"{_ci(final.estimate, final.ci_low, final.ci_high)} (REML, modified Hartung-Knapp) |")
    return out


def _explanations(lad) -> list[str]:
    out = []
    usable = [e for e in lad.explanations if e.applies and e.code in EXPLAINED]
    for e in sorted(usable, key=lambda e: abs(e.gap)):
        out.append(f"  - *{EXPLAINED[e.code]}*: {lad.result.measure} {_ci(e.estimate, e.ci_low, e.ci_high)}, "
                   f"{_n(e.gap, True)} from the result it explains. {_minus(e.detail)}.")
    rest = [e for e in lad.explanations if e.code == "implied_rest"]
    if rest and rest[0].applies:
        e = rest[0]
        out.append(f"  - *what their other trials would have to show*: {_minus(e.detail)}.")
    elif rest:
        out.append(f"  - *what their other trials would have to show*: not computable ({rest[0].detail}).")
    not_here = [EXPLAINED[e.code] for e in lad.explanations if not e.applies and e.code in EXPLAINED]
    if not_here:
        out.append(f"  - not applicable to their trials here: {'; '.join(not_here)}.")
    return out


def _b_paragraph(lad, review) -> str:
    """(b) in words: the result, the trials it could not compute and why, and the gap to (a)."""
    r, b, gap = lad.result, _step(lad, "b"), lad.gap
    text = (f"**Their trials with their method, this review's numbers (b).** {b.measure} "
            f"{_ci(b.estimate, b.ci_low, b.ci_high)} from {b.k} trial{'s' if b.k != 1 else ''} "
            f"({', '.join(b.studies) or 'none'}).")
    missing = [sid for sid in lad.trials if sid not in b.study_ids]
    if missing:
        es = review.effect_sizes(OUTCOME, measure=b.measure)
        why = {row.study: row.reason for row in es.itertuples()}
        text += (f" This review cannot compute a {b.measure} for " + "; ".join(
            f"{review[sid].label} ({why.get(sid) or 'no ' + OUTCOME + ' result recorded'})" for sid in missing) + ".")
    if gap.reproduced:
        return text + " This reproduces their result."
    closer = "closer to" if abs(b.estimate) < abs(r.estimate) else "further from"
    return text + (f" That is {_n(abs(gap.delta))} {r.measure} {closer} no effect than their result, whose estimate "
                   f"lies {'inside' if gap.inside else 'outside'} this interval. Their own per-trial numbers are not "
                   "public, so the difference is what their extraction did differently. What would have to be true, "
                   "each possibility refitted with their method:")


def _ladder_words(lad, review) -> list[str]:
    a, r = lad.analysis, lad.result
    b, c, d = (_step(lad, x) for x in "bcd")
    e = [s for s in lad.steps if s.code.startswith("e")]
    out = [f"### {lad.label}", "",
           f"*{a.citation.strip()}*" + (f" doi:{a.doi}" if a.doi else "") + (f", PMID {a.pmid}" if a.pmid else ""), "",
           f"**What they did.** {_method_words(lad)}. Their trials, {CONFIDENCE[lad.trial_basis]}: "
           f"{', '.join(review[t].label for t in lad.trials)}. "
           + " ".join(x[:1].upper() + x[1:] + "." for x in lad.method_assumptions), "",
           f"**Their result.** {r.as_reported}: {r.measure} {_ci(r.estimate, r.ci_low, r.ci_high)}"
           + (f", I² {r.i2:g}%" if r.i2 is not None else "") + f" ({r.where}).", "",
           _b_paragraph(lad, review), ""]
    if not lad.gap.reproduced:
        out += _explanations(lad) + [""]
    out += ["**From their trials to this review's result**, one change per rung:", ""]
    out += [f"  - ({s.code}) {s.measure} {_ci(s.estimate, s.ci_low, s.ci_high)}: {_minus(s.what_changed)}."
            for s in [c, d] + e]
    out += [""]
    if a.missing:
        out += [f"*Missing from the sources reached:* {'; '.join(m.rstrip('.') for m in a.missing)}.", ""]
    return out


def _md_block(study, outcome: str):
    """The study's reported mean difference on the outcome (estimate, CI, p), or None."""
    for o in study.outcomes:
        if o.outcome == outcome:
            for b in o.data:
                if b.form == "mean_difference":
                    return b
    return None


def _closest(lad):
    """The computed possibility closest to their result, among those that come closer than (b)."""
    b = _step(lad, "b")
    usable = [e for e in lad.explanations if e.applies and e.code in EXPLAINED
              and abs(e.gap) < abs(b.estimate - lad.result.estimate) - 0.005]
    return min(usable, key=lambda e: abs(e.gap)) if usable else None


def _in_short(res) -> list[str]:
    out = ["## In short", ""]
    for lad in res.ladders:
        r, b = lad.result, _step(lad, "b")
        line = (f"- **{lad.label}** reported {r.measure} {_ci(r.estimate, r.ci_low, r.ci_high)}. This review's numbers "
                f"for the trials they most likely pooled, with their method, give {b.measure} "
                f"{_ci(b.estimate, b.ci_low, b.ci_high)} ({b.k} trial{'s' if b.k != 1 else ''} computable)")
        if lad.gap.reproduced:
            out.append(line + ": reproduced.")
            continue
        rest = next((e for e in lad.explanations if e.code == "implied_rest" and e.applies), None)
        best = _closest(lad)
        if rest is not None:
            line += (f". To reach their number, their other trials would have to pool to {_n(rest.estimate)} "
                     f"(SE {(rest.ci_high - rest.ci_low) / 3.919927969080108:.2f})")
        if best is not None:
            line += (f". The closest of the computed possibilities is {EXPLAINED[best.code]}: {_n(best.estimate)} "
                     f"({_n(best.gap, True)} from theirs)")
        else:
            line += ". None of the computed possibilities comes closer to their number"
        out.append(line + ".")
    return out + [""]


def _trials(review) -> list[str]:
    a = review.analyse(OUTCOME, by="none", combine_change_final=True)
    out = ["## The trials behind every published result", "",
           "| Trial | Design | Randomized | Weeks | This review's SMD (95% CI) | Derived from |", "|---|---|---|---|---|---|"]
    for row in a.rows:
        st = review[row["study"]]
        out.append(f"| {row['label']} | {row['design_short']} | {st.population.n_randomized or 'NA'} | "
                   f"{st.intervention.duration_weeks or 'NA':g} | {_ci(row['yi'], row['ci_low'], row['ci_high'])} | "
                   f"{row['path']} |")
    for row in a.not_pooled_rows:
        st = review[row["study"]]
        if st.design in ("parallel_rct", "crossover_rct"):
            out.append(f"| {row['label']} | {row['design_short']} | {st.population.n_randomized or 'NA'} | "
                       f"{st.intervention.duration_weeks or 'NA':g} | not computable | {row['reason'].split(' (')[0]} |")
    change = [row["label"] for row in a.rows if str(row["path"]).startswith("per-arm change")]
    out += ["", "Negative values favour LDN. Every number comes from the trial's record, with its source, in "
            "[evidence.md](evidence.md)" + (f"; the SMD of {', '.join(change)} is of change scores (standardised by "
                                             "the SD of change), the others of final values or paired differences"
                                             if change else "") + ".", ""]
    return out


def _bottom_line(res, review) -> list[str]:
    final = res.ladders[0].steps[-1]
    ref = review.protocol.outcome(OUTCOME).sof.reference_study
    sd, _ = reference_sd(review, ref, OUTCOME)
    pts = [x * sd for x in (final.estimate, final.ci_low, final.ci_high)]
    big = review[ref]
    md = _md_block(big, OUTCOME)
    theirs = {sid for lad in res.ladders if lad.analysis.year for sid in _step(lad, "b").study_ids}
    newer = [review[sid] for sid in _step(res.ladders[0], "d").study_ids if sid not in theirs]
    reproduced = sum(lad.gap.reproduced for lad in res.ladders)
    towards = all(abs(_step(lad, "b").estimate) < abs(lad.result.estimate) for lad in res.ladders)
    out = ["## What it means for a patient", "",
           f"On what is public, LDN's effect on fibromyalgia pain against placebo is small and uncertain: this review "
           f"pools {final.k} trials to an SMD of {_ci(final.estimate, final.ci_low, final.ci_high)}. On the 0-10 pain "
           f"scale of {big.label} (SD of change {sd:.2f}) that is about {_n(pts[0])} points, with the data compatible "
           f"with anything from {_n(pts[1])} to {_n(pts[2])} points."]
    if md is not None:
        out[-1] += (f" The largest placebo-controlled trial, {big.label} ({big.population.n_randomized} randomized, "
                    f"{big.intervention.duration_weeks:g} weeks), found a difference of {_n(md.estimate)} points "
                    f"({_n(md.ci_low)} to {_n(md.ci_high)}, p = {md.p_value:g}).")
    for st in newer:
        m = _md_block(st, OUTCOME)
        if m is not None and m.p_value is not None and m.p_value >= 0.05:
            out[-1] += (f" {st.label} ({st.population.n_randomized} randomized, {st.intervention.duration_weeks:g} "
                        f"weeks), in none of the dated meta-analyses' matched trial sets, found no significant "
                        f"difference (p = {m.p_value:g}).")
    out[-1] += (f" Of the {len(res.ladders)} published pooled results, {'none' if not reproduced else reproduced} "
                "can be reproduced from the trials' public numbers with the publications' own methods"
                + (", and with those numbers every one moves towards no effect" if towards else "")
                + ". Their larger effects must come from how the same small trials were extracted and pooled (their "
                "own per-trial numbers are not public), not from more trials.")
    return out + [""]


def render(review=None) -> str:
    review = review if review is not None else le.load_studies()
    res = reconcile_review(review, OUTCOME)
    final = res.ladders[0].steps[-1]
    pub = ", ".join(f"{lad.label} ({lad.result.measure} {_ci(lad.result.estimate, lad.result.ci_low, lad.result.ci_high)})"
                    for lad in res.ladders)
    out = [
        "# Why the published meta-analyses of LDN for fibromyalgia disagree with this review", "",
        "<!-- generated by docs/make_reconcile_page.py from data/studies.yaml; do not edit by hand -->", "",
        f"Published meta-analyses of low-dose naltrexone (LDN) for fibromyalgia pain report results from a clear "
        f"benefit to none: {pub}. This review pools {final.k} trials to an SMD of "
        f"{_ci(final.estimate, final.ci_low, final.ci_high)}. They all draw on the same handful of small "
        "placebo-controlled trials. This page shows, for each of them, how their number becomes ours, changing one "
        "thing at a time, and where their number cannot be reproduced from public data, what would have to be true "
        "to reach it.", "",
        "`ldn-evidence reconcile` prints the same (`--format json` or `csv` for the numbers, `--plot` for the "
        "figure); in Python, `le.load_studies().reconcile()` returns it as a table.", "",
        "## The results side by side", ""] + _table(res, review) + [
        "",
        "Each ladder below changes one thing per rung: **(a)** their published result; **(b)** the trials they most "
        "likely pooled, with their measure and method, using this review's numbers for each trial (their own "
        "per-trial numbers are not public); **(c)** this review's way of deriving each trial's effect (a "
        "standardised mean difference, Hedges' g, with crossover trials analysed as paired, within-person "
        "correlation 0.5); **(d)** every trial this review pools now; **(e)** this review's settings, one at a "
        "time, ending at this review's result. Open symbols are this review's rungs, the diamond the published "
        "result, the filled green circle this review's result; rungs on different measures (MD, SMD) are "
        "separated by a dotted line and named under each panel.", "",
        f"![Reconciliation ladders: each published result stepped to this review's](img/{FIGURE.name})", ""]
    out += _in_short(res) + _trials(review) + ["## Publication by publication", ""]
    for lad in res.ladders:
        out += _ladder_words(lad, review)
    out += _bottom_line(res, review)
    out += ["## How the ladder is built", "",
            "- *Their trials* are the trials each record matches to this review's studies: named in the "
            "publication (seen), implied by its counts, dates and outcomes (probable), or one of several that could "
            "fill a slot (candidate). A controlled comparison takes only controlled trials.",
            "- *Their method* is what the publication states; what it does not state is assumed and printed: "
            "DerSimonian-Laird tau² (RevMan 5's default), a Wald z interval (RevMan 5.4's random-effects interval).",
            "- *This review's numbers* for a trial are those of its record (every number with its source; "
            "[evidence.md](evidence.md)) derived as [effect_sizes.md](effect_sizes.md) describes.",
            "- *This review's settings* are its protocol's: REML tau², the modified Hartung-Knapp interval (never "
            "narrower than the unadjusted t interval, for two to four trials of different precision), and SMDs of "
            "change scores set apart from SMDs of final values (Cochrane Handbook 10.5.2).",
            "- *What would have to be true* is computed, not asserted: each possibility is refitted with their "
            "method and reported with its distance to their result; the closest is not thereby shown to be what "
            "they did.", ""]
    if res.not_reconciled:
        out += ["## Reviews without a pooled pain result", "",
                "These reviews are recorded too (`review.published_analyses`) but pool no pain estimate to reconcile: "
                + "; ".join(f"{x['label']} ({x['reason'].replace('no pooled estimate ', '').strip('()')})"
                            for x in res.not_reconciled) + ".", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def draw(review=None) -> None:
    review = review if review is not None else le.load_studies()
    res = reconcile_review(review, OUTCOME)
    fig = res.plot(title="Published meta-analyses of LDN for fibromyalgia pain, stepped to this review's result")
    FIGURE.parent.mkdir(exist_ok=True)
    fig.savefig(FIGURE, dpi=110)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        return page_check(PAGE, text, "make_reconcile_page.py")
    PAGE.write_text(text, encoding="utf-8")
    draw()
    print(f"wrote {PAGE} and {FIGURE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
