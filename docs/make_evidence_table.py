"""Generate docs/evidence.md, the evidence-base page, from data/studies.yaml.

    cd /work/main && python docs/make_evidence_table.py          # rewrite docs/evidence.md
    cd /work/main && python docs/make_evidence_table.py --check  # exit 1 if the page is stale

Everything on the page is read from the study records through ``ldn_evidence.load_studies()``:
the two "then and now" lists come from the tags (``carvalho_skare_2023``, ``_inferred``,
``_candidate``) and the publication years, the table from each record's design, population,
intervention, outcomes and identifiers. Edit the YAML, never the page;
tests/test_evidence_base.py fails when the page and the YAML disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path

import ldn_evidence as le
from _pages import page_check  # docs/_pages.py, beside this script

PAGE = Path(__file__).resolve().parent / "evidence.md"

SEVEN = "carvalho_skare_2023"
SEVEN_INFERRED = "carvalho_skare_2023_inferred"
SEVEN_CANDIDATE = "carvalho_skare_2023_candidate"

DESIGN_LABEL = {
    "parallel_rct": "parallel RCT",
    "crossover_rct": "randomized crossover",
    "crossover_nonrandomized": "non-randomized crossover",
    "single_arm_pre_post": "single-arm pre-post",
    "retrospective_cohort": "retrospective cohort",
    "case_series": "case series",
    "case_report": "case report",
    "dose_finding": "dose finding",
}
LINE_LABEL = {"first_line": "first line", "add_on": "add-on", "refractory": "refractory",
              "mixed": "mixed", "unknown": "unknown"}
PAIN = ("pain",)
FIQ = ("fiq", "fiqr")
RESPONDERS = ("responders", "responders_30", "responders_50")
AES = ("adverse_events", "serious_adverse_events")
#: outcomes tried, in order, for a study's one-line headline result
HEADLINE_OUTCOMES = ("pain", "fiqr", "fiq", "symptom_severity", "responders_30", "responders",
                     "cold_pressor", "dose_response")
OUTCOME_LABEL = {"fiqr": "FIQR", "fiq": "FIQ", "responders_30": ">=30% pain responders",
                 "dose_response": "dose response", "symptom_severity": "symptom severity",
                 "cold_pressor": "cold pressor tolerance"}
#: data forms tried, in order, within the headline outcome
HEADLINE_FORMS = ("mean_difference", "median_difference", "change_scores", "percent_change", "pre_post",
                  "events", "standardized_effect", "p_value", "text")


# ------------------------------------------------------------------------------------------------
# Small formatters
# ------------------------------------------------------------------------------------------------


def _num(x) -> str:
    return f"{x:g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _year(study) -> str:
    return str(study.citation.year) if study.citation.year is not None else "year not confirmed"


def _n(study) -> str:
    pop = study.population
    n = next((v for v in (pop.n_fibromyalgia, pop.n_randomized, pop.n_enrolled, pop.n_analysed)
              if v is not None), None)
    if n is None:
        return "not reported"
    text = str(n)
    if pop.n_fibromyalgia is not None and pop.n_enrolled is not None and pop.n_enrolled != pop.n_fibromyalgia:
        text += f" FM (of {pop.n_enrolled})"
    if pop.n_analysed is not None and pop.n_analysed != n:
        text += f", {pop.n_analysed} analysed"
    return text


def _dose(study) -> str:
    iv = study.intervention
    rng = iv.dose_range_mg
    rng_text = f"{_num(rng[0])}-{_num(rng[1])}" if rng else None
    if iv.dose_mg_per_day is not None and rng_text:
        return f"{_num(iv.dose_mg_per_day)} (range {rng_text})"
    if iv.dose_mg_per_day is not None:
        return _num(iv.dose_mg_per_day)
    if rng_text:
        return rng_text
    return "not reported"


def _kind(block) -> str:
    return {"secondary": " (secondary)", "conference_abstract": " (conference abstract)",
            "registry": " (registry)"}.get(block.source_kind, "")


def _arm(name: str) -> str:
    return {"ldn": "LDN"}.get(name, name)


def _block_text(block) -> str:
    """One block as a short human-readable result."""
    f = block.form
    if f == "mean_difference":
        text = f"mean difference {_num(block.estimate)}"
        if block.ci_low is not None:
            text += f" [{_num(block.ci_low)}, {_num(block.ci_high)}]"
    elif f == "median_difference":
        text = f"median difference {_num(block.estimate)}"
        if block.iqr is not None:
            text += f" (IQR {_num(block.iqr)})"
    elif f in ("change_scores", "arm_means"):
        what = "change" if f == "change_scores" else "mean"
        text = f"{what} " + " vs ".join(f"{_arm(a.arm)} {_num(a.mean)}" for a in block.arms if a.mean is not None)
    elif f == "percent_change":
        text = " vs ".join(f"{_arm(a.arm)} {_num(a.percent)}%" for a in block.arms)
    elif f == "pre_post":
        text = f"{_num(block.baseline_mean)} before, {_num(block.followup_mean)} after"
    elif f == "events":
        parts = []
        for a in block.arms:
            if a.events is not None and a.n is not None:
                parts.append(f"{_arm(a.arm)} {a.events}/{a.n}")
            elif a.percent is not None:
                parts.append(f"{_arm(a.arm)} {_num(a.percent)}%")
            elif a.events is not None:
                parts.append(f"{_arm(a.arm)} {a.events} events")
        text = " vs ".join(parts)
    elif f == "standardized_effect":
        text = f"{block.type} {_num(block.value)}"
    elif f == "p_value":
        text = ""
    else:  # text
        text = block.result.rstrip(".")
    p = getattr(block, "p_value", None)
    if p is not None:
        q = block.p_value_qualifier or "="
        text = (text + ", " if text else "") + f"p {q} {_num(p)}"
    return text + _kind(block)


def _outcome_text(o) -> str:
    label = OUTCOME_LABEL.get(o.outcome, o.outcome.replace("_", " "))
    for form in HEADLINE_FORMS:
        block = next((b for b in o.data if b.form == form), None)
        if block is None:
            continue
        text = _block_text(block)
        if form == "mean_difference":
            change = next((b for b in o.data if b.form == "change_scores"), None)
            if change is not None:
                text = f"{_block_text(change)}; {'adjusted ' if block.adjusted else ''}{text}"
        return f"{label}: {text}"
    return f"{label}: no result"


def _headline(study) -> str:
    """The study's main result in one line: its primary outcomes among the main ones (pain, FIQ(R),
    symptom severity ...), else the first main outcome it reports."""
    main = [o for name in HEADLINE_OUTCOMES for o in study.outcomes if o.outcome == name]
    primary = [o for o in main if o.primary]
    chosen = primary[:2] or main[:1]
    if not chosen:
        return "no result in the sources reached"
    return "; ".join(_outcome_text(o) for o in chosen)


def _availability(study, names: tuple[str, ...]) -> str:
    blocks = [b for o in study.outcomes if o.outcome in names for b in o.data]
    if not blocks:
        return "-"
    if all(b.form == "text" for b in blocks):
        return "text only"
    return "yes"


def _forms(study, names: tuple[str, ...]) -> str:
    seen: dict[str, None] = {}
    for o in study.outcomes:
        if o.outcome in names:
            for b in o.data:
                seen[b.form + _kind(b)] = None
    return ", ".join(seen) if seen else "-"


def _ids(study) -> str:
    parts = []
    if study.doi:
        parts.append(f"DOI {study.doi}")
    if study.pmid:
        parts.append(f"PMID {study.pmid}")
    reg = study.registration
    if reg is not None:
        parts += [x for x in (reg.nct, f"EudraCT {reg.eudract}" if reg.eudract else None, reg.actrn) if x]
    if not (study.doi or study.pmid):
        parts.append("no DOI/PMID (reason in record)")
    return "; ".join(parts)


def _seven_status(study) -> str:
    if SEVEN in study.tags:
        return "inferred" if SEVEN_INFERRED in study.tags else "seen in the review's reference list"
    return ""


# ------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------


def _by_year(studies):
    return sorted(studies, key=lambda s: (s.citation.year is None, s.citation.year or 0, s.id))


def _study_line(study, with_status: bool = False) -> str:
    dose = _dose(study)
    dose = "dose not reported" if dose == "not reported" else f"{dose} mg/day"
    line = (f"- **{study.label}** ({_year(study)}; {DESIGN_LABEL[study.design]}, n {_n(study)}, "
            f"{dose}): {_headline(study)}")
    if with_status and _seven_status(study):
        line += f" - *{_seven_status(study)}*"
    return line


def render(review=None) -> str:
    """The whole page as a string (deterministic: no dates, sorted by year then id)."""
    review = review if review is not None else le.load_studies()
    studies = list(review.studies)
    seven = _by_year([s for s in studies if SEVEN in s.tags])
    candidates = _by_year([s for s in studies if SEVEN_CANDIDATE in s.tags])
    new_trials = _by_year([s for s in studies if s.randomized
                           and (s.citation.year is None or s.citation.year >= 2023)])
    new_uncontrolled = _by_year([s for s in studies if not s.randomized and s.citation.year is not None
                                 and s.citation.year >= 2023])
    n_seen = sum(1 for s in seven if SEVEN_INFERRED not in s.tags)
    n_seven_max = max((s.population.n_randomized or s.population.n_enrolled or 0) for s in seven) if seven else 0
    n_new = sum((s.population.n_randomized or 0) for s in new_trials)
    n_seven_total = sum((s.population.n_randomized or s.population.n_enrolled or 0) for s in seven)

    out: list[str] = []
    w = out.append
    w("# The evidence base: low-dose naltrexone (LDN) in fibromyalgia")
    w("")
    w("<!-- Generated by docs/make_evidence_table.py from data/studies.yaml; do not edit by hand. -->")
    w("")
    w(f"This page lists the {len(studies)} studies encoded in `data/studies.yaml`, what each reports and what "
      "is still missing. Every number behind it names its source in the YAML (abstracts, registry records, "
      "and where marked, secondary reports such as news summaries or conference abstracts). Nothing here is "
      "pooled; the page shows what data exist, in which form, for a later meta-analysis.")
    w("")
    w("## Then and now")
    w("")
    w("### The seed's picture: the seven articles before 2023")
    w("")
    w("The first-line case series that started this project (IMAJ 2024) rests on a review by its own group, "
      "de Carvalho & Skare 2023 (Mediterr J Rheumatol 34(1):1-6; PubMed and Embase to August 2022), which "
      "counted seven LDN-fibromyalgia articles; the case series describes all seven as showing benefit. "
      f"{len(seven)} of the seven are identified here ({n_seen} seen in the review's reference list, "
      f"{len(seven) - n_seen} inferred); the largest had {n_seven_max} participants.")
    w("")
    for s in seven:
        w(_study_line(s, with_status=True))
    missing = 7 - len(seven)
    if missing > 0:
        names = ", ".join(f"{s.label}" for s in candidates)
        w(f"- {missing} not identified; candidates: {names} (tag `{SEVEN_CANDIDATE}`).")
    w("")
    w("### Today's picture: the same seven plus the randomized trials from 2023 on")
    w("")
    w(f"{len(new_trials)} randomized, placebo-controlled trials have reported since, with {n_new} participants "
      f"randomized between them (the {len(seven)} identified earlier articles enrolled {n_seven_total}). "
      "Their primary results:")
    w("")
    for s in new_trials:
        w(_study_line(s))
    undated = [s.label for s in new_trials if s.citation.year is None]
    if undated:
        w("")
        w(f"({', '.join(undated)}: publication year not confirmed; listed here because the randomized trials "
          "without a year before 2023 are counted with the new ones.)")
    if new_uncontrolled:
        w("")
        w("Uncontrolled reports from 2023 on: " + "; ".join(
            f"{s.label} ({DESIGN_LABEL[s.design]}, n {_n(s)}): {_headline(s)}" for s in new_uncontrolled) + ".")
    w("")
    w("Signs: for pain and FIQ(R) lower is better, so a negative change or difference (LDN minus placebo) "
      "favours LDN. Percent changes are given as reported with a reduction written as negative.")
    w("")
    w("## All studies")
    w("")
    w("Outcomes available: *yes* = at least one number, *text only* = a result in words, *-* = not reported "
      "in the sources reached. Data forms follow docs/schema.md; (secondary), (conference abstract) and "
      "(registry) mark where the numbers come from when not the paper itself.")
    w("")
    header = ("Study", "Year", "Design", "n", "Dose mg/day", "Line of therapy", "Pain", "FIQ(R)", "Responders",
              "AEs", "Pain data", "FIQ(R) data", "Identifiers", "Tags")
    w("| " + " | ".join(header) + " |")
    w("|" + "|".join("---" for _ in header) + "|")
    for s in _by_year(studies):
        row = (f"{s.label} (`{s.id}`)", _year(s), DESIGN_LABEL[s.design], _n(s), _dose(s),
               LINE_LABEL[s.line_of_therapy], _availability(s, PAIN), _availability(s, FIQ),
               _availability(s, RESPONDERS), _availability(s, AES), _forms(s, PAIN), _forms(s, FIQ),
               _ids(s), ", ".join(f"`{t}`" for t in s.tags) or "-")
        w("| " + " | ".join(_cell(c) for c in row) + " |")
    w("")
    w("## What is missing, study by study")
    w("")
    for s in _by_year(studies):
        w(f"### {s.label} (`{s.id}`)")
        w("")
        if s.exclude_from_pooling:
            w(f"Not for pooling: {s.exclude_from_pooling.strip()}")
            w("")
        if s.missing:
            for m in s.missing:
                w(f"- {m.strip()}")
        else:
            w("- nothing listed")
        w("")
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        return page_check(PAGE, text, "make_evidence_table.py")
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
