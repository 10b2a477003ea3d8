"""Generate docs/certainty.md, the LDN summary of findings and how each judgement was reached.

    python docs/make_certainty_page.py            # rewrite docs/certainty.md and its two figures
    python docs/make_certainty_page.py --check    # exit 1 if the page is stale (figures not redrawn)
    python docs/make_certainty_page.py --pins     # print the pins of tests/test_grade_review.py

Everything on the page comes from ``ldn_evidence.review.grade.grade_review(le.load_studies())``:
the analyses, the rules' proposals, the reviewers' judgements in data/studies.yaml
(``review.grade``) and the protocol's thresholds. Edit the YAML (or the rules), never the page;
tests/test_grade_review.py fails when the page and the code disagree.
"""
from __future__ import annotations

import pprint
import sys
from pathlib import Path

import ldn_evidence as le
from _pages import page_check  # docs/_pages.py, beside this script
from ldn_evidence.review import sof
from ldn_evidence.review.grade import grade_review, level_text, review_protocol

HERE = Path(__file__).resolve().parent
PAGE = HERE / "certainty.md"
IMG = HERE / "img"

RULES = """\
## The rules

Each domain's proposal is one stated rule applied to the analysis
(`ldn_evidence.review.grade_rules`, tested at every threshold in `tests/test_grade_rules.py`).
GRADE asks for judgement; the rules make the first judgement explicit and checkable, and the
reviewers override any of them in the studies file (below), where the override wins and both are
shown.

| Domain | Rule | Source |
|---|---|---|
| Starting level | High for randomized trials, low for non-randomized studies; a mixed body starts where half or more of its weight lies. | GRADE Handbook 5.1 |
| Risk of bias | Very serious when studies at high risk (RoB 2 *high*, ROBINS-I *serious* or *critical*) carry at least 50% of the analysis weight; serious when studies at low risk carry less than 75%. For a body starting low, a ROBINS-I study is judged on its domains other than confounding and selection of participants, which the low start already stands for. | Cochrane Handbook 5.1 Table 12.2.d; Pollock et al. 2016, J Clin Epidemiol 70:106, Table 2; GRADE guidelines 18 (Schünemann et al. 2019) |
| Inconsistency | Not assessable for one study. Serious when heterogeneity (I² of 50% or more, or the Q test p < 0.10) comes with study estimates on different sides of the MID thresholds, or when the subgroups (by design) differ with p < 0.10; very serious when I² is 75% or more and some studies show important benefit, others important harm. The I² CI and the prediction interval against the thresholds are reported. | GRADE guidelines 7 (Guyatt et al. 2011, J Clin Epidemiol 64:1294); Core GRADE 3 (Guyatt & Eachempati 2025, BMJ); Cochrane Handbook 10.10.2 |
| Imprecision | Thresholds at minus and plus the MID (RR 0.75 and 1.25 for ratios). Very serious when the 95% CI crosses both; serious when it crosses one, or when it crosses neither but the participants are fewer than the optimal information size (a single trial's size for the MID, alpha 0.05, power 80%: the TSA's RIS for an SMD; the two-proportion size from the median control risk for a binary outcome). | GRADE guidelines 6 (Guyatt et al. 2011, J Clin Epidemiol 64:1283); Core GRADE 2 (Guyatt et al. 2025, BMJ 389:e081904); Wetterslev et al. 2008 |
| Publication bias | With fewer than 10 studies the funnel plot cannot be assessed; serious when registered trials are recorded as finished (completed or terminated) without results, or with 10 or more studies when Egger's test has p < 0.10. | GRADE guidelines 5 (Guyatt et al. 2011, J Clin Epidemiol 64:1277); Cochrane Handbook 13.3.5.4 |
| Indirectness | Each study is flagged against the protocol: population (a mixed cohort), intervention (a dose above the protocol's), comparator (not the protocol's). Serious when flagged studies carry 25% or more of the weight; very serious when studies flagged in two or more ways carry 50% or more. | GRADE guidelines 8 (Guyatt et al. 2011, J Clin Epidemiol 64:1303) |
| Upgrading (non-randomized evidence) | A large effect (RR below 0.5 or above 2: one level; below 0.2 or above 5: two; CI excluding no effect; risk of bias not rated down) and a dose-response gradient (a dose meta-regression slope towards benefit with p < 0.05) are proposed, and count only once the reviewers confirm them in the studies file. | GRADE guidelines 9 (Guyatt et al. 2011, J Clin Epidemiol 64:1311) |

The absolute effects: for a binary outcome, per 1,000 from the median risk of the comparator
groups of the pooled trials (risk with LDN = risk without x RR; Cochrane Handbook 14.1.5 and
15.4.4); for an SMD, the SMD times a reference SD of the named instrument (Handbook 15.5.3).
The statements are GRADE's informative statements (Santesso et al. 2020, GRADE guidelines 26,
J Clin Epidemiol 119:126): the certainty sets the hedge (*likely*, *may*, *very uncertain*),
the point estimate against the MID sets the size (little to no difference, or a reduction).
"""

OVERRIDE = """\
## Overriding a judgement

A reviewer who judges a domain otherwise writes the judgement and the reason into the studies
file; the summary of findings then shows the reviewers' judgement, marks it as theirs, and keeps
the rule's proposal beside it:

```yaml
review:
  grade:
    pain:
      indirectness:
        judgement: serious          # not_serious | serious | very_serious
        reason: two of the four trials treated for three weeks only
      large_effect:                 # upgrades: none | one_level | two_levels
        judgement: none
        reason: randomized evidence
```

`ldn-evidence validate` reports a mistyped judgement with its file and line. The commands:

```console
ldn-evidence grade                                  # this page's table and judgements, as text
ldn-evidence grade --format docx -o sof.docx        # for Word
ldn-evidence grade --format json                    # every number and reason
ldn-evidence rob --outcome pain                     # the risk-of-bias figure below
```
"""


def _md(text) -> str:
    return str(text).replace("|", "\\|")


def page(result) -> str:
    p = result.protocol
    out = [f"# Certainty of the evidence: {p.intervention} compared with {p.comparator}"
           + (f" for {p.population}" if p.population else ""), "",
           "Generated by `docs/make_certainty_page.py` from the bundled studies (`ldn-evidence grade --format md` "
           "prints the same table). " + (f"Analyses: {result.settings}; controlled studies only (parallel and "
                                         "crossover trials), subgroups by design." if result.settings else ""), "",
           "## Summary of findings", "", sof.sof_markdown(result).rstrip(), "",
           "## How each judgement was reached", ""]
    for o in result.outcomes:
        est = sof.effect_text(o)
        studies = ", ".join(row["label"] for row in o.analysis.rows) if o.k else "none"
        out += [f"### {o.spec.title}: {level_text(o.certainty) if o.k else 'not rated'}", "",
                f"{o.k} {'study' if o.k == 1 else 'studies'} ({studies}); {o.participants or 0} participants; "
                f"{est or 'no pooled estimate'}.", ""]
        rows = sof.judgement_rows(o)
        if rows:
            out += ["| Domain | Rule's proposal | Judgement | By | Reason |", "|---|---|---|---|---|"]
            out += [f"| {_md(r['domain'])} | {_md(r['proposal'])} | {_md(r['judgement'])} | {r['by']} | "
                    f"{_md(r['reason'])} |" for r in rows]
            out.append("")
        for note in o.notes:
            out += [f"Note: {note}", ""]
    out += ["## Thresholds", "", f"From {p.source}.", "",
            "| Outcome | Measure | Minimal important difference | Reference SD for re-expression |",
            "|---|---|---|---|"]
    for o in result.outcomes:
        s = o.spec
        mid = (f"SMD {s.mid_smd:g}" if s.mid_smd is not None else
               f"RR {1 - s.rrr:g} and {1 + s.rrr:g}" if s.rrr is not None else "none")
        ref = o.reference_sd_source if o.reference_sd is not None else ("none" if s.kind == "continuous" else "n/a")
        out.append(f"| {_md(s.title)} | {s.measure} | {mid}: {_md(s.mid_source or '')} | {_md(ref)} |")
    out += ["", RULES, "## Risk of bias", "",
            "The pain analysis's studies (RoB 2), with the share of its weight at each judgement per domain "
            "(`ldn-evidence rob --outcome pain`):", "", "![Risk of bias, pain](img/rob-pain.png)", "",
            "Every study of the review (`ldn-evidence rob`):", "", "![Risk of bias, all studies](img/rob-all.png)",
            "", OVERRIDE]
    return "\n".join(out).rstrip() + "\n"


def pins(result) -> dict:
    out = {}
    for o in result:
        est = o.estimate()
        out[o.spec.id] = {"k": o.k, "participants": o.participants,
                          "estimate": None if est is None else round(est[0], 3), "certainty": o.certainty,
                          "domains": {d: r.judgement for d, r in o.domains.items()}}
    return out


def main(argv: list[str]) -> int:
    review = le.load_studies()
    result = grade_review(review)
    if "--pins" in argv:
        pprint.pprint(pins(result), width=110, sort_dicts=False)
        return 0
    text = page(result)
    if "--check" in argv:
        return page_check(PAGE, text, "make_certainty_page.py")
    PAGE.write_text(text, encoding="utf-8")
    from ldn_evidence.review.rob import rob_plot

    IMG.mkdir(exist_ok=True)
    for outcome, name in (("pain", "rob-pain.png"), (None, "rob-all.png")):
        rob_plot(review, outcome).savefig(IMG / name, dpi=100, pil_kwargs={"compress_level": 9})
    print(f"wrote {PAGE.relative_to(HERE.parent)} and docs/img/rob-pain.png, docs/img/rob-all.png "
          f"(protocol: {review_protocol(review).source})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
