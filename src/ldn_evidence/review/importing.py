"""An extraction sheet into a review (``ldn-evidence import``): records with provenance, validated
like any record, added to an existing review as ``add`` adds them, or written as a new review
whose protocol names the outcome.

The sheet's rows become records in :mod:`ldn_evidence.records.sheet`; here they meet a review.
Problems always name the sheet and its row: those found when the records meet the review (a
duplicate of a study it has, an outcome its protocol does not know) are mapped back from the
records to the rows they came from.

Examples
--------
>>> import tempfile, pathlib, ldn_evidence as le
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> sheet = folder / "trials.csv"
>>> _ = sheet.write_text("study,year,ai,bi,ci,di\\nAronson,1948,4,119,11,128\\nFerguson,1949,6,300,29,274\\n")
>>> result = import_sheet(sheet, folder / "tb.yaml", outcome="tb", title="BCG")
>>> le.load_studies(folder / "tb.yaml").analyse("tb").k
2
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LivingError, Problem, StudiesFileError
from ..records import atomic_write_text
from ..records.sheet import SHEET_FORMS, Sheet, column_problems, infer_moderator, read_sheet, sheet_records
from ..records.yaml import dump_yaml
from ..vocabulary import BINARY_MEASURES, CONTINUOUS_MEASURES
from .add import add_records
from .start import check_new_review, new_review_text
from .review import load_studies

__all__ = ["import_sheet", "ImportResult"]


@dataclass
class ImportResult:
    """What :func:`import_sheet` did (or, with ``dry_run``, would do)."""

    target: Path
    created: bool
    ids: list
    rows: list
    dry_run: bool
    lines_from_add: list = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [f"{verb} {len(self.ids)} record(s) from {len(self.rows)} row(s) into "
               f"{'a new review ' if self.created else ''}{self.target}"]
        out += self.lines_from_add
        if self.created and not self.dry_run:
            out += ["next:", f"  edit {self.target}: the question and review.protocol (names, labels, subgroups)",
                    f"  ldn-evidence --studies {self.target} forest"]
        return out


def _kind_of(sheet: Sheet, measure: str | None) -> tuple[str, str]:
    """(kind, default measure) of a new review's outcome: from --measure, else the sheet's columns."""
    if measure is not None:
        return ("binary" if measure in BINARY_MEASURES else "continuous"), measure
    cols = set(sheet.columns)
    if all(c in cols for c in SHEET_FORMS[0][1]) or all(c in cols for c in SHEET_FORMS[1][1]):
        return "binary", BINARY_MEASURES[0]
    if all(c in cols for c in SHEET_FORMS[2][1]):
        return "continuous", CONTINUOUS_MEASURES[0]
    raise StudiesFileError([Problem(sheet.name, 1, None, "yi", "a sheet of reported effects (yi) needs --measure: "
                                    "the measure its yi are on (e.g. RR, OR, SMD, MD)")])


def _rows_of(problems: list[Problem], sheet: Sheet, starts: list[tuple[int, int]]) -> list[Problem]:
    """Problems about the records' YAML (lines) as problems about the sheet (rows)."""
    out = []
    for p in problems:
        row = None
        if p.line is not None:
            row = next((r for start, r in reversed(starts) if p.line >= start), None)
        out.append(dataclasses.replace(p, file=sheet.name, line=row))
    return out


def _records_text(records: list[dict]) -> tuple[str, list[int]]:
    """The records as a YAML list, and the first line of each."""
    parts, starts, line = [], [], 1
    for rec in records:
        chunk = dump_yaml([rec])
        parts.append(chunk)
        starts.append(line)
        line += chunk.count("\n")
    return "".join(parts), starts


def _into_existing(sheet, target, outcome, measure, design, dry_run, lock_timeout) -> ImportResult:
    review = load_studies(target)
    records, rows = sheet_records(sheet, review.protocol, outcome, measure, design)
    text, starts = _records_text(records)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            done = add_records(target, path, dry_run=dry_run, lock_timeout=lock_timeout)
        except StudiesFileError as exc:
            raise StudiesFileError(_rows_of(exc.problems, sheet, list(zip(starts, rows)))) from None
    return ImportResult(target=Path(target), created=False, ids=[r["id"] for r in records], rows=rows,
                        dry_run=dry_run, lines_from_add=done.lines())


def _new_review(sheet, target, outcome, measure, design, title, outcome_name, higher_is_better, moderators,
                dry_run, intervention, comparator) -> ImportResult:
    problems = column_problems(sheet, moderators)
    if problems:
        raise StudiesFileError(problems)
    kind, default = _kind_of(sheet, measure)
    mods = [infer_moderator(sheet, m) for m in moderators]
    years = [int(float(sheet.cell(i, "year"))) for i in range(len(sheet.rows))
             if "year" in sheet.columns and sheet.cell(i, "year").replace(".", "", 1).isdigit()]
    header = dict(outcomes=((outcome, outcome_name or outcome.replace("_", " "), kind, not higher_is_better,
                             default),), moderators=mods,
                  subgroups=("design",) + tuple(m.id for m in mods if m.kind == "categorical"),
                  first_year=min([1900] + years), intervention=intervention, comparator=comparator)
    title = title or f"A review of {outcome_name or outcome.replace('_', ' ')}"
    protocol = check_new_review(new_review_text(title, str(target), example=False, **header), str(target)).protocol
    records, rows = sheet_records(sheet, protocol, outcome, measure, design)
    text = new_review_text(title, str(target), example=False, records=records, **header)
    check_new_review(text, sheet.name)
    if not dry_run:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(target), text)
    return ImportResult(target=Path(target), created=True, ids=[r["id"] for r in records], rows=rows,
                        dry_run=dry_run)


def import_sheet(sheet_path: str | os.PathLike, target: str | os.PathLike, outcome: str, measure: str | None = None,
                 design: str = "parallel_rct", *, title: str | None = None, outcome_name: str | None = None,
                 higher_is_better: bool = False, moderators=(), dry_run: bool = False,
                 lock_timeout: float = 30.0, intervention: str | None = None,
                 comparator: str | None = None) -> ImportResult:
    """Import an extraction sheet (:mod:`ldn_evidence.records.sheet`) into the studies file
    ``target``.

    An existing ``target`` gets the records as :func:`ldn_evidence.review.add.add_records`
    adds them (validated against its protocol, duplicates refused, nothing written unless all
    is well). A ``target`` that does not exist becomes a new review whose protocol names
    ``outcome``: binary (RR) or continuous (SMD) from ``measure`` or the sheet's columns, lower
    is better unless ``higher_is_better``; ``moderators`` are sheet columns to keep as the
    protocol's moderators (numeric, or categorical with the values seen); ``intervention`` and
    ``comparator`` name the arms (default: treatment and control). Raises
    :class:`StudiesFileError` naming the sheet's row and column of every problem.
    """
    sheet = read_sheet(sheet_path)
    target = Path(target)
    if target.is_dir():
        raise LivingError(f"{target} is a folder; give the studies file (e.g. {target / 'studies.yaml'})")
    if target.exists():
        if moderators or title or outcome_name or higher_is_better or intervention or comparator:
            raise LivingError(f"{target} exists: its protocol decides title, outcome, arms and moderators "
                              "(--title, --outcome-name, --higher-is-better, --intervention, --comparator and "
                              "--moderator are for a new review)")
        return _into_existing(sheet, target, outcome, measure, design, dry_run, lock_timeout)
    return _new_review(sheet, target, outcome, measure, design, title, outcome_name, higher_is_better, moderators,
                       dry_run, intervention, comparator)
