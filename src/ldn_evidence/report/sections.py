"""The review-level sections of the page, one function each, fed by the public API.

Each function takes the review (and what it needs besides) and returns a :class:`Section`: its
anchor, title, the template block that draws it, and plain data for that block. A section that
cannot be computed (a producer that fails, a review without published meta-analyses) is returned
with a note the page shows in its place; nothing is filled in.

The per-outcome sections are in :mod:`.outcome`.

Examples
--------
>>> import ldn_evidence as le
>>> section = studies_section(le.load_studies())
>>> section.id, section.available, len(section.data["rows"]) == len(le.load_studies().studies)
('studies', True, True)
>>> reconcile_section(le.load_studies()).available
True
"""
from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from .._format import is_missing
from ..review.grade import grade_review
from ..review.reconcile import reconcile_review
from ..review.rob import rob_plot, rob_table
from ..review.sof import judgement_rows, sof_rows
from ..vocabulary import DESIGN_SHORT
from .cells import number
from .figures import inline_svg
from .links import identifier_links, linkify, source_url

__all__ = ["Section", "file_hash", "header", "protocol_section", "prisma_section",
           "studies_section", "rob_section", "sof_section", "reconcile_section", "frame_table"]


@dataclass
class Section:
    """One section of the page: ``template`` names its block in ``report.html.j2``."""

    id: str
    title: str
    template: str
    data: dict = field(default_factory=dict)
    available: bool = True
    note: str | None = None


def file_hash(review) -> str:
    """SHA-256 of the studies file (``review.file_hash`` when the package provides it)."""
    given = getattr(review, "file_hash", None)
    if callable(given):
        given = given()
    if given:
        return str(given)
    return hashlib.sha256(review.path.read_bytes()).hexdigest()


def header(review, tool_version: str, built: str, commit: tuple[str, str] | None) -> dict:
    """Title, question, versions, dates and the studies file's identity."""
    info = review.info
    return {"title": info.title, "question": info.question, "version": info.version,
            "last_search": info.last_search.isoformat() if info.last_search else None,
            "built": built, "tool_version": tool_version, "file_name": review.path.name,
            "sha256": file_hash(review), "commit": commit, "note": info.note}


def _arm(a) -> dict:
    return {"name": a.name, "label": a.label, "arms": ", ".join(a.arms)}


def _protocol_data(protocol) -> dict:
    """A :class:`ldn_evidence.records.protocol.Protocol` as the page shows it."""
    iv = protocol.intervention
    dose = iv.dose_range_mg
    outcomes = []
    for o in protocol.outcomes:
        outcomes.append({
            "id": o.id, "name": o.name, "kind": o.kind, "measure": o.measure, "pooled": o.pooled,
            "better": "lower" if o.lower_is_better else "higher", "pools": ", ".join(o.members),
            "instruments": o.instrument_family or "", "note": o.note or "",
            "mid": "" if o.mid is None else f"{o.mid.value:g} ({o.mid.measure}); {o.mid.source}"})
    moderators = [{"id": m.id, "name": m.name, "kind": m.kind, "levels": ", ".join(m.levels), "unit": m.unit or ""}
                  for m in protocol.moderators]
    first, last = protocol.year_range
    return {"population": protocol.population,
            "intervention": {**_arm(iv), "dose": f"{dose[0]:g}-{dose[1]:g} mg/day" if dose else "",
                             "dose_source": iv.dose_source or ""},
            "comparators": [_arm(c) for c in protocol.comparators], "outcomes": outcomes,
            "subgroups": ", ".join(protocol.subgroups), "moderators": moderators,
            "years": f"{first}-{last if last is not None else 'now'}",
            "sof": ", ".join(protocol.graded_outcomes), "note": protocol.note or ""}


def protocol_section(review) -> Section:
    """The question, the searches and the review protocol."""
    info = review.info
    searches = [{"date": s.date.isoformat(), "database": s.database, "query": s.query,
                 "hits": "" if s.hits is None else s.hits, "note": s.note} for s in info.searches]
    data = {"question": info.question, "searches": searches, "within_person_r": info.within_person_r,
            "protocol": _protocol_data(review.protocol)}
    return Section("protocol", "Question and protocol", "protocol", data)


def prisma_section(review) -> Section:
    """The PRISMA 2020 flow diagram, the excluded reports with reasons and the ongoing trials."""
    from ..plots.prisma import prisma_flow  # matplotlib: imported when the figure is drawn

    p = review.info.prisma
    note = p.note if p is not None and p.note else None
    if p is None:
        note = "No PRISMA counts are recorded in the studies file (review.prisma); every count is shown as unknown."
    svg = inline_svg(prisma_flow(p, note=note), "prisma", "PRISMA 2020 flow diagram")
    excluded = [{"citation": e.citation, "reason": e.reason, "source": linkify(e.source),
                 "links": ([("DOI " + e.doi, source_url(e.doi))] if e.doi else [])
                 + ([(f"PMID {e.pmid}", source_url(f"PMID {e.pmid}"))] if e.pmid else [])}
                for e in review.info.excluded]
    ongoing = [{"registration": linkify(t.registration), "title": t.title, "status": t.status,
                "source": linkify(t.source), "note": t.note} for t in review.info.ongoing]
    return Section("prisma", "Flow of studies (PRISMA 2020)", "prisma",
                   {"svg": svg, "excluded": excluded, "ongoing": ongoing})


def _population(study) -> str:
    pop = study.population
    parts = []
    for name, label in (("n_randomized", "randomized"), ("n_enrolled", "enrolled"), ("n_analysed", "analysed")):
        v = getattr(pop, name)
        if v is not None:
            parts.append(f"{v} {label}")
    if pop.n_female is not None:
        parts.append(f"{pop.n_female} women")
    elif pop.sex != "not_reported":
        parts.append(pop.sex)
    if pop.age_mean is not None:
        parts.append(f"age {pop.age_mean:g}" + (f" (SD {pop.age_sd:g})" if pop.age_sd is not None else ""))
    return "; ".join(parts)


def _intervention(study) -> str:
    iv = study.intervention
    dose = f"{iv.dose_mg_per_day:g} mg/day" if iv.dose_mg_per_day is not None else (
        f"{iv.dose_range_mg[0]:g}-{iv.dose_range_mg[1]:g} mg/day" if iv.dose_range_mg else "dose not reported")
    weeks = f", {iv.duration_weeks:g} weeks" if iv.duration_weeks is not None else ""
    return f"{iv.drug} {dose}{weeks}"


def _rob(study) -> tuple[str, list[tuple[str, str, str]]]:
    rob = study.risk_of_bias
    if rob is None or rob.tool == "not_assessed":
        return "not assessed", []
    overall = f"{rob.tool}: {rob.overall.judgement.replace('_', ' ')}" if rob.overall else f"{rob.tool}: no overall"
    domains = [(name, j.judgement.replace("_", " "), j.support) for name, j in rob.domains.items()]
    return overall, domains


def studies_section(review) -> Section:
    """Characteristics of included studies: one row per study, its identifiers linked."""
    rows = []
    for s in sorted(review.studies, key=lambda s: (s.citation.year or 9999, s.label)):
        overall, domains = _rob(s)
        rows.append({
            "id": s.id, "label": s.label, "year": s.citation.year or "", "title": s.citation.title,
            "journal": s.citation.journal or "", "design": DESIGN_SHORT.get(s.design, s.design),
            "randomized": s.randomized, "blinding": s.blinding.replace("_", " "),
            "country": s.country or "", "population": _population(s),
            "population_url": source_url(s.population.source), "intervention": _intervention(s),
            "intervention_url": source_url(s.intervention.source),
            "comparator": s.comparator.replace("_", " "), "line": s.line_of_therapy.replace("_", " "),
            "outcomes": sorted({o.outcome for o in s.outcomes}), "rob": overall, "rob_domains": domains,
            "links": identifier_links(s), "no_identifier": linkify(s.no_identifier_reason),
            "not_pooled": s.exclude_from_pooling, "missing": list(s.missing),
        })
    return Section("studies", "Characteristics of included studies", "studies", {"rows": rows})


def rob_section(review) -> Section:
    """Risk-of-bias figures of every study (:func:`ldn_evidence.review.rob.rob_plot`)."""
    if not any(row["tool"] for row in rob_table(review)):
        return Section("rob", "Risk of bias", "unavailable", available=True,
                       note="No study in the studies file has a RoB 2 or ROBINS-I assessment recorded.")
    svg = inline_svg(rob_plot(review), "rob-all", "Risk of bias of every study: traffic-light plot and summary")
    return Section("rob", "Risk of bias", "figures", {"figures": [svg], "caption": (
        "Every study's RoB 2 or ROBINS-I judgements by domain and overall, and the share of studies at each "
        "judgement. Each outcome's forest plot shows the overall judgement of every study it pools, and its "
        "GRADE judgements weigh them by their share of the analysis.")})


def frame_table(frame) -> dict:
    """A DataFrame as header + rows of text cells (floats with 3 decimals, missing as empty)."""
    def cell(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float):
            return number(v, 3) if not is_missing(v) else ""
        return str(v)

    columns = [str(c) for c in frame.columns]
    return {"columns": columns, "rows": [[cell(v) for v in row] for row in frame.itertuples(index=False)]}


def _call(producer) -> tuple[Any, str | None]:
    """Run a producer of the package; its failure becomes a note on the page, not a lost page."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return producer(), None
    except Exception as exc:  # noqa: BLE001 - shown on the page with the reason
        return None, f"could not be computed: {type(exc).__name__}: {exc}"


def _sof_outcome(o, row: dict, notes: dict) -> dict:
    return {"row": row, "notes": [(m, notes[m]) for m in row["marks"]], "judgements": judgement_rows(o)}


def sof_section(review) -> tuple[Section, dict]:
    """Summary of findings and GRADE (:func:`ldn_evidence.review.grade.grade_review`), and each
    outcome's part of it."""
    title = "Summary of findings"
    result, error = _call(lambda: grade_review(review))
    if error:
        return Section("sof", title, "unavailable", available=False, note=f"The summary of findings {error}"), {}
    rows, notes = sof_rows(result)
    by_mark = dict(notes)
    p = result.protocol
    heading = f"{p.intervention} compared with {p.comparator}" + (f" for {p.population}" if p.population else "")
    per_outcome = {row["id"]: _sof_outcome(o, row, by_mark) for o, row in zip(result.outcomes, rows)}
    data = {"heading": heading, "settings": result.settings, "source": p.source, "rows": rows, "notes": notes,
            "json": result.to_dict()}
    return Section("sof", title, "sof", data), per_outcome


def reconcile_section(review) -> Section:
    """This review against the published meta-analyses of its first outcome
    (:func:`ldn_evidence.review.reconcile.reconcile_review`): the ladders side by side, each
    ladder's gap between their published result and their trials refitted, the rungs as a
    table, and the publications not reconciled with the reason."""
    title = "Reconciliation with published meta-analyses"
    if not review.info.published_analyses:
        return Section("reconcile", title, "unavailable", available=True,
                       note="The studies file records no published meta-analysis (review.published_analyses).")
    result, error = _call(lambda: reconcile_review(review))
    if error:
        return Section("reconcile", title, "unavailable", available=False, note=f"The reconciliation {error}")
    figures = [inline_svg(result.plot(), "reconcile", "Published meta-analyses stepped to this review's result")] \
        if result.ladders else []
    gaps = [(lad.label, lad.gap.text) for lad in result.ladders]
    return Section("reconcile", title, "reconcile", {
        "figures": figures, "gaps": gaps, "table": frame_table(result.to_frame()), "ours": result.our_result,
        "not_reconciled": result.not_reconciled, "outcome": result.outcome})