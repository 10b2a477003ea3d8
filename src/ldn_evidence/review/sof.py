"""The summary-of-findings table of a :class:`ldn_evidence.review.grade.GradeResult`, as text,
Markdown, HTML or a Word document.

One row per outcome of the protocol, in the layout of GRADEpro's and the Cochrane Handbook's
(chapter 14, Figure 14.1.a) summary of findings: the studies and participants, the relative
effect, the anticipated absolute effect (per 1,000 from the median control risk for a binary
outcome, Cochrane Handbook 14.1.5 and 15.4.4; for an SMD, re-expressed on a named instrument
with a reference SD, Handbook 15.5.3), the certainty (⊕⊕◯◯ Low) with a footnote for every
downgrade, and the GRADE plain-language statement (Santesso et al. 2020). Beneath it, for each
outcome, every domain's proposal and final judgement with the reason.

The Word document needs python-docx (a runtime dependency, imported only here).

Examples
--------
>>> import ldn_evidence as le
>>> from ldn_evidence.review.grade import grade_review
>>> text = sof_text(grade_review(le.load_studies(), ["pain"]))
>>> "Summary of findings" in text and "Pain" in text
True
"""
from __future__ import annotations

import html
import textwrap
from typing import TYPE_CHECKING

from .._format import fmt_number
from ..vocabulary import GRADE_DOMAINS, GRADE_UPGRADE_FACTORS, RATIO_MEASURES
from ..vocabulary import grade_domain_name as domain_name
from ..vocabulary import grade_level_text as level_text
from . import grade_rules as rules

if TYPE_CHECKING:  # the types only: grade.py imports this module inside its display methods
    from .grade import GradeResult, OutcomeCertainty

__all__ = ["effect_text", "absolute_text", "sof_rows", "sof_text", "sof_markdown", "sof_html", "sof_docx",
           "judgement_rows"]

_JUDGEMENT_WORDS = {"not_serious": "not serious", "serious": "serious", "very_serious": "very serious",
                    "none": "none", "one_level": "one level", "two_levels": "two levels"}


def _n(x: float, digits: int = 2) -> str:
    return fmt_number(x, digits).replace("-", "\u2212")


def _title(measure: str) -> str:
    return {"SMD": "SMD", "MD": "MD", "RR": "RR", "OR": "OR", "RD": "RD"}.get(measure, measure)


def effect_text(o: OutcomeCertainty) -> str:
    """The pooled effect in one line, e.g. ``SMD −0.14 (−0.55 to 0.27)``; empty without studies."""
    est = o.estimate()
    if est is None:
        return ""
    return f"{_title(o.spec.measure)} {_n(est[0])} ({_n(est[1])} to {_n(est[2])})"


def _lower_higher(x: float, digits: int = 2, unit: str = "") -> str:
    word = "lower" if x < 0 else "higher"
    if fmt_number(abs(x), digits) == fmt_number(0, digits):
        return f"0{'.' + '0' * digits if digits else ''}{unit} difference"
    return f"{fmt_number(abs(x), digits)}{unit} {word}"


def _fewer_more(x: float) -> str:
    r = round(x)
    if r == 0:
        return "0 fewer"
    return f"{abs(r):,} {'fewer' if r < 0 else 'more'}"


def absolute_text(o: OutcomeCertainty, comparator: str, intervention: str) -> list[str]:
    """The anticipated absolute effect, as lines of text (empty when there is nothing to show)."""
    est = o.estimate()
    if est is None:
        return []
    a = o.analysis.overall
    if o.spec.kind == "binary":
        if o.control_risk is None:
            return ["control risk not available"]
        if o.spec.measure not in ("RR", "OR", "RD"):
            return []
        e = rules.absolute_effects(o.control_risk, o.spec.measure, a.estimate, a.ci_low, a.ci_high)
        base = e["control"][0]
        wi = e["intervention"]
        d = e["difference"]
        return [f"{round(base):,} per 1,000 with {comparator}",
                f"{round(wi[0]):,} per 1,000 with {intervention} ({round(wi[1]):,} to {round(wi[2]):,})",
                f"{_fewer_more(d[0])} per 1,000 ({_fewer_more(d[1])} to {_fewer_more(d[2])})"]
    lines = [f"{_title(o.spec.measure)} {_lower_higher(est[0])} ({_lower_higher(est[1])} to "
             f"{_lower_higher(est[2])})"]
    if o.spec.measure == "SMD" and o.reference_sd is not None:
        md = rules.reexpress_smd(a.estimate, a.ci_low, a.ci_high, o.reference_sd)
        where = f" on {o.spec.instrument}" if o.spec.instrument else ""
        lines.append(f"about {_lower_higher(md[0], unit=' points')} ({_lower_higher(md[1])} to "
                     f"{_lower_higher(md[2])}){where}")
    return lines


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _footnotes(o: OutcomeCertainty, start: int) -> list[tuple[str, str]]:
    """Footnotes for one outcome: every downgrade, every upgrade applied or proposed, and where
    the assumed risk or reference SD comes from."""
    notes = []
    for d in GRADE_DOMAINS:
        r = o.domains.get(d)
        if r is None:
            continue
        who = ""
        if r.by == "reviewers":
            who = (f" (reviewers' judgement; the rule proposed {_JUDGEMENT_WORDS[r.proposal.judgement]}: "
                   f"{r.proposal.reason})")
        if r.judgement != "not_serious":
            notes.append(f"{domain_name(d)}: {_JUDGEMENT_WORDS[r.judgement]} ({r.levels:+d}). {_cap(r.reason)}{who}.")
        elif r.by == "reviewers" and r.proposal.judgement != "not_serious":
            notes.append(f"{domain_name(d)}: not serious. {_cap(r.reason)}{who}.")
    for d in GRADE_UPGRADE_FACTORS:
        r = o.upgrades.get(d)
        if r is None:
            continue
        if r.judgement != "none":
            notes.append(f"{domain_name(d)}: {_JUDGEMENT_WORDS[r.judgement]} up ({r.levels:+d}). {_cap(r.reason)}.")
        elif r.proposal.judgement != "none":
            notes.append(f"{domain_name(d)}: {_cap(r.reason)}.")
    if o.control_risk_source:
        notes.append(f"Assumed risk: {o.control_risk_source}.")
    if o.reference_sd_source and o.reference_sd is not None:
        notes.append(f"Re-expressed as SMD x SD (Cochrane Handbook 15.5.3): {o.reference_sd_source}.")
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [(letters[(start + i) % 26] * (1 + (start + i) // 26), text) for i, text in enumerate(notes)]


def sof_rows(result: GradeResult) -> tuple[list[dict], list[tuple[str, str]]]:
    """The table's rows (display text) and its footnotes ``[(mark, text)]``.

    Each row: ``outcome, studies, studies_n (with the participants), participants, relative,
    absolute (list of lines), certainty, marks (footnote marks of the certainty), statement``.
    """
    p = result.protocol
    rows, notes = [], []
    for o in result.outcomes:
        fn = _footnotes(o, len(notes)) if o.k else []
        notes += fn
        title = o.spec.title + (f" ({o.spec.instrument})" if o.spec.instrument else "")
        rows.append({
            "outcome": title, "id": o.spec.id, "k": o.k,
            "studies": _studies_text(o), "studies_n": _studies_text(o) + (
                f" ({o.participants:,})" if o.participants is not None else " (participants not reported)" if o.k else ""),
            "participants": "" if o.participants is None else f"{o.participants:,}",
            "relative": effect_text(o) if o.spec.measure in RATIO_MEASURES else "\u2014" if o.k else "",
            "absolute": absolute_text(o, p.comparator, p.intervention),
            "certainty": level_text(o.certainty) if o.k else "not rated (no studies)",
            "marks": [m for m, _ in fn], "statement": o.statement,
        })
    return rows, notes


def _studies_text(o: OutcomeCertainty) -> str:
    if not o.k:
        return "0 studies"
    rows = o.analysis.rows
    rcts = sum(1 for row in rows if row["randomized"])
    parts = []
    if rcts:
        parts.append(f"{rcts} RCT{'s' if rcts != 1 else ''}")
    if len(rows) - rcts:
        n = len(rows) - rcts
        parts.append(f"{n} non-randomized stud{'ies' if n != 1 else 'y'}")
    return ", ".join(parts)


def judgement_rows(o: OutcomeCertainty) -> list[dict]:
    """How each judgement was reached: one row per domain and upgrading factor (``domain,
    proposal, judgement, by, reason``), after the starting level."""
    out = [] if o.start is None else [{"domain": "Starting level", "proposal": o.start.judgement,
                                      "judgement": o.start.judgement, "by": "rule", "reason": o.start.reason}]
    for d in GRADE_DOMAINS + GRADE_UPGRADE_FACTORS:
        r = o.domains.get(d) or o.upgrades.get(d)
        if r is None:
            continue
        reason = r.reason if r.by == "rule" else f"{r.reason} (the rule: {r.proposal.reason})"
        out.append({"domain": domain_name(d), "proposal": _JUDGEMENT_WORDS[r.proposal.judgement],
                    "judgement": _JUDGEMENT_WORDS[r.judgement], "by": r.by, "reason": reason})
    return out


def _heading(result: GradeResult) -> list[str]:
    p = result.protocol
    lines = [f"Summary of findings: {p.intervention} compared with {p.comparator}"
             + (f" for {p.population}" if p.population else "")]
    if result.settings:
        lines.append(f"Analyses: {result.settings}; controlled studies only, subgroups by design.")
    lines.append(f"Outcomes and thresholds from {p.source}.")
    return lines


# ---------------------------------------------------------------------------------------------
# text and Markdown
# ---------------------------------------------------------------------------------------------

_COLS = (("outcome", "Outcome", 22), ("studies", "Studies (participants)", 22), ("relative", "Relative effect", 17),
         ("absolute", "Anticipated absolute effect", 34), ("certainty", "Certainty", 16))


def sof_text(result: GradeResult, width: int = 118) -> str:
    """The summary of findings and the judgements, as plain text."""
    rows, notes = sof_rows(result)
    lines = _heading(result) + [""]
    lines.append("  ".join(f"{h:<{w}s}" for _, h, w in _COLS).rstrip())
    lines.append("  ".join("-" * w for _, _, w in _COLS))
    for row in rows:
        cells = {"outcome": row["outcome"], "studies": row["studies_n"],
                 "relative": row["relative"], "absolute": "; ".join(row["absolute"]),
                 "certainty": row["certainty"] + (f" {','.join(row['marks'])}" if row["marks"] else "")}
        wrapped = {c: textwrap.wrap(cells[c], w) or [""] for c, _, w in _COLS}
        for i in range(max(len(v) for v in wrapped.values())):
            lines.append("  ".join(f"{(wrapped[c][i] if i < len(wrapped[c]) else ''):<{w}s}"
                                   for c, _, w in _COLS).rstrip())
        lines += textwrap.wrap(row["statement"], width, initial_indent="    ", subsequent_indent="    ")
        lines.append("")
    if notes:
        lines.append("Footnotes")
        for mark, text in notes:
            lines += textwrap.wrap(text, width, initial_indent=f"  {mark} ", subsequent_indent=" " * (len(mark) + 3))
        lines.append("")
    lines.append("How each judgement was reached")
    for o in result.outcomes:
        lines.append(f"  {o.spec.title}: {level_text(o.certainty) if o.k else 'not rated (no studies)'}")
        for j in judgement_rows(o):
            head = f"    {j['domain']}: {j['judgement']}" + (" (reviewers)" if j["by"] == "reviewers" else "")
            lines += textwrap.wrap(f"{head} \u2014 {j['reason']}", width, subsequent_indent="      ")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def sof_markdown(result: GradeResult) -> str:
    """The summary of findings and the judgements as Markdown (GitHub tables).

    >>> import ldn_evidence as le
    >>> from ldn_evidence.review.grade import grade_review
    >>> sof_markdown(grade_review(le.load_studies(), ["pain"])).splitlines()[0][:30]
    '| Outcome | Studies (participa'
    """
    rows, notes = sof_rows(result)
    out = ["| Outcome | Studies (participants) | Relative effect (95% CI) | Anticipated absolute effect (95% CI) "
           "| Certainty | What happens |", "|---|---|---|---|---|---|"]
    for row in rows:
        marks = f" <sup>{','.join(row['marks'])}</sup>" if row["marks"] else ""
        out.append(f"| {_md(row['outcome'])} | {_md(row['studies_n'])} | "
                   f"{_md(row['relative'])} | {'<br>'.join(_md(x) for x in row['absolute'])} | "
                   f"{_md(row['certainty'])}{marks} | {_md(row['statement'])} |")
    out.append("")
    for mark, text in notes:
        out.append(f"<sup>{mark}</sup> {_md(text)}  ")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_CSS = ("table.sof{border-collapse:collapse;font-family:sans-serif;font-size:13px}"
        "table.sof th,table.sof td{border:1px solid #999;padding:4px 6px;vertical-align:top;text-align:left}"
        "table.sof th{background:#e8e8e8}.sof-notes{font-family:sans-serif;font-size:12px}")


def sof_html(result: GradeResult, standalone: bool = True) -> str:
    """The summary of findings as an HTML table with its footnotes and judgements.

    >>> import ldn_evidence as le
    >>> from ldn_evidence.review.grade import grade_review
    >>> sof_html(grade_review(le.load_studies(), ["pain"])).startswith("<!DOCTYPE html>")
    True
    """
    e = html.escape
    rows, notes = sof_rows(result)
    head = "".join(f"<th>{e(h)}</th>" for h in ("Outcome", "Studies (participants)", "Relative effect (95% CI)",
                                                 "Anticipated absolute effect (95% CI)", "Certainty",
                                                 "What happens"))
    body = []
    for row in rows:
        marks = f"<sup>{e(','.join(row['marks']))}</sup>" if row["marks"] else ""
        body.append(f"<tr><td>{e(row['outcome'])}</td><td>{e(row['studies_n'])}</td>"
                    f"<td>{e(row['relative'])}</td><td>{'<br>'.join(e(x) for x in row['absolute'])}</td>"
                    f"<td>{e(row['certainty'])}{marks}</td><td>{e(row['statement'])}</td></tr>")
    parts = [f"<p><b>{e(_heading(result)[0])}</b></p>",
             f'<table class="sof"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>',
             '<div class="sof-notes">' + "".join(f"<p><sup>{e(m)}</sup> {e(t)}</p>" for m, t in notes) + "</div>"]
    for o in result.outcomes:
        items = "".join(f"<tr><td>{e(j['domain'])}</td><td>{e(j['proposal'])}</td><td>{e(j['judgement'])}</td>"
                        f"<td>{e(j['by'])}</td><td>{e(j['reason'])}</td></tr>" for j in judgement_rows(o))
        if items:
            parts.append(f"<p><b>{e(o.spec.title)}</b>: {e(level_text(o.certainty))}</p><table class=\"sof\">"
                         "<thead><tr><th>Domain</th><th>Rule's proposal</th><th>Judgement</th><th>By</th>"
                         f"<th>Reason</th></tr></thead><tbody>{items}</tbody></table>")
    inner = "\n".join(parts)
    if not standalone:
        return f"<style>{_CSS}</style>{inner}"
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Summary of findings</title>"
            f"<style>{_CSS}</style></head><body>\n{inner}\n</body></html>\n")


# ---------------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------------


def sof_docx(result: GradeResult, path) -> None:
    """Write the summary of findings (and the judgements) as a Word document (python-docx).

    >>> import os, tempfile
    >>> import ldn_evidence as le
    >>> from ldn_evidence.review.grade import grade_review
    >>> path = os.path.join(tempfile.mkdtemp(), "sof.docx")
    >>> sof_docx(grade_review(le.load_studies(), ["pain"]), path)
    >>> os.path.getsize(path) > 10_000
    True
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    style = doc.styles["Normal"]
    style.font.size = Pt(9)
    heading = _heading(result)
    doc.add_heading(heading[0], level=1)
    for line in heading[1:]:
        doc.add_paragraph(line)
    rows, notes = sof_rows(result)
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Outcome", "Studies (participants)", "Relative effect (95% CI)",
                                                "Anticipated absolute effect (95% CI)", "Certainty",
                                                "What happens")):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        cells[0].text = row["outcome"]
        cells[1].text = row["studies_n"]
        cells[2].text = row["relative"]
        cells[3].text = "\n".join(row["absolute"])
        cells[4].text = row["certainty"]
        if row["marks"]:
            cells[4].paragraphs[0].add_run(" " + ",".join(row["marks"])).font.superscript = True
        cells[5].text = row["statement"]
    for mark, text in notes:
        para = doc.add_paragraph()
        para.add_run(mark).font.superscript = True
        para.add_run(" " + text)
    doc.add_heading("How each judgement was reached", level=2)
    for o in result.outcomes:
        doc.add_paragraph(f"{o.spec.title}: {level_text(o.certainty)}", style="List Bullet")
        for j in judgement_rows(o):
            who = " (reviewers)" if j["by"] == "reviewers" else ""
            doc.add_paragraph(f"{j['domain']}: {j['judgement']}{who}. {j['reason']}", style="List Bullet 2")
    doc.save(path)
