"""Extraction sheets: one row per study x outcome, with metafor's column names, to study records.

What ``ldn-evidence import`` reads. A sheet is a CSV file or an Excel workbook (its first sheet;
pandas with openpyxl) whose first row names the columns. A row gives one study's data for one
outcome in one of these forms (metafor's ``escalc`` arguments; the first complete one wins):

========================  ===================================================================
``ai bi ci di``           events and non-events, intervention (``ai``, ``bi``) then comparator
``ai n1i ci n2i``         events and group sizes
``m1i sd1i n1i m2i sd2i n2i``  means, SDs and sizes per group (final values)
``yi vi`` or ``yi sei``   an effect with its variance or standard error, on the measure given
                          (ratio measures on the log scale, as metafor)
========================  ===================================================================

plus ``study`` (required: the label, e.g. "Aronson 1948"), ``year``, ``design``, ``doi``,
``pmid``, ``source``, and optionally ``id``, ``title``, ``timepoint``, ``notes`` and one column
per moderator of the review's protocol. Every number's source is the sheet and its row (plus
the ``source`` cell when given). A row the sheet cannot turn into a valid record is refused,
naming its row (the spreadsheet's row number, the header being row 1) and column; nothing is
imported until every row is usable.

Two rows of the same study (the same ``id``, or ``study`` and ``year``) become one record with
two outcome entries (e.g. two timepoints).

Examples
--------
>>> import tempfile, pathlib
>>> from ldn_evidence.records import Protocol
>>> protocol = Protocol.model_validate({
...     "population": "people at risk", "outcomes": [{"id": "cases", "name": "cases", "kind": "binary",
...     "lower_is_better": True}], "intervention": {"id": "vaccine", "name": "Vaccine", "label": "vaccine",
...     "arms": ["vaccine"]}, "comparators": [{"id": "control", "name": "none", "label": "control",
...     "arms": ["control"]}]})
>>> sheet = pathlib.Path(tempfile.mkdtemp()) / "cases.csv"
>>> _ = sheet.write_text("study,year,ai,n1i,ci,n2i,doi\\nDoe,2020,3,40,5,41,10.1000/doe\\n")
>>> records, rows = sheet_records(read_sheet(sheet), protocol, "cases")
>>> records[0]["id"], records[0]["outcomes"][0]["data"][0]["arms"], rows
('doe2020', [{'arm': 'vaccine', 'events': 3, 'n': 40}, {'arm': 'control', 'events': 5, 'n': 41}], [2])
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, StudiesFileError
from ..vocabulary import BINARY_MEASURES, DESIGNS, ESCALC_MEASURES, RANDOMIZED_DESIGNS
from .protocol import Moderator, Protocol
from .schema import StudyRecord
from .validate import error_message, field_path

__all__ = ["Sheet", "read_sheet", "sheet_records", "infer_moderator", "column_problems", "SHEET_FORMS",
           "SHEET_COLUMNS"]

#: the forms a row can take, in order of preference: (name, columns)
SHEET_FORMS = (
    ("events", ("ai", "bi", "ci", "di")),
    ("events and group sizes", ("ai", "n1i", "ci", "n2i")),
    ("means", ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")),
    ("effect and variance", ("yi", "vi")),
    ("effect and standard error", ("yi", "sei")),
)
#: every column a sheet may have besides the protocol's moderators
SHEET_COLUMNS = ("study", "year", "id", "title", "design", "doi", "pmid", "source", "timepoint", "notes") + tuple(
    dict.fromkeys(c for _, cols in SHEET_FORMS for c in cols))
_COUNTS = {"ai", "bi", "ci", "di", "n1i", "n2i"}
_SIZES = {"n1i", "n2i"}


@dataclass
class Sheet:
    """A sheet's cells as text, one dict per row (spreadsheet row numbers from 2)."""

    name: str
    columns: list[str]
    rows: list[dict[str, str]]

    def cell(self, i: int, column: str) -> str:
        return self.rows[i].get(column, "").strip()


def read_sheet(path: str | os.PathLike) -> Sheet:
    """Read a CSV file or the first sheet of an .xlsx workbook; every cell as text (column names
    lower-cased and stripped). Raises :class:`StudiesFileError` for a file it cannot read."""
    import pandas as pd  # pandas only where a sheet is read

    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise StudiesFileError([Problem(name, None, None, None, "no such file")])
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(p, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            raise StudiesFileError([Problem(name, None, None, None, f"a sheet is a .csv or .xlsx file (got "
                                                                  f"{suffix or 'no suffix'})")])
    except StudiesFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas' many parser errors become one message
        raise StudiesFileError([Problem(name, None, None, None, f"cannot read the sheet: {exc}")]) from None
    columns = [str(c).strip().lower() for c in frame.columns]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise StudiesFileError([Problem(name, 1, None, c, "column given twice") for c in twice])
    frame.columns = columns
    rows = [{c: str(v) for c, v in rec.items()} for rec in frame.to_dict("records")]
    if not rows:
        raise StudiesFileError([Problem(name, 1, None, None, "the sheet has no rows below its header")])
    return Sheet(name=name, columns=columns, rows=rows)


def infer_moderator(sheet: Sheet, column: str) -> Moderator:
    """A moderator for a sheet column: numeric when every non-empty cell is a number, else
    categorical with its values in order of first appearance."""
    if column not in sheet.columns:
        raise StudiesFileError([Problem(sheet.name, 1, None, column, "no such column for --moderator")])
    if not re.fullmatch(r"[a-z][a-z0-9_]*", column):
        raise StudiesFileError([Problem(sheet.name, 1, None, column, "a moderator's column name is lower case "
                                        "letters, digits and underscores, starting with a letter")])
    values = [sheet.cell(i, column) for i in range(len(sheet.rows))]
    values = [v for v in values if v]
    if values and all(_is_number(v) for v in values):
        return Moderator(id=column, name=column.replace("_", " "), kind="numeric")
    levels = list(dict.fromkeys(values))
    if len(levels) < 2:
        raise StudiesFileError([Problem(sheet.name, 1, None, column, f"a categorical moderator needs at least two "
                                        f"values; the column has {', '.join(levels) or 'none'}")])
    return Moderator(id=column, name=column.replace("_", " "), kind="categorical", levels=levels)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


class _RowError(Exception):
    def __init__(self, column: str | None, message: str):
        self.column, self.message = column, message


def _number(sheet: Sheet, i: int, column: str) -> float | int | None:
    text = sheet.cell(i, column)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _RowError(column, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _RowError(column, f"{text!r} is not a finite number")
    if column in _COUNTS or column == "year" or column == "pmid":
        if value != int(value) or value < 0:
            raise _RowError(column, f"{text!r} is not a whole number of at least 0")
        return int(value)
    return value


def _form(sheet: Sheet, i: int) -> tuple[str, dict]:
    """The first form whose columns all have a value in row ``i``, with its numbers."""
    for name, cols in SHEET_FORMS:
        if all(sheet.cell(i, c) for c in cols):
            return name, {c: _number(sheet, i, c) for c in cols}
    given = [c for _, cols in SHEET_FORMS for c in cols if sheet.cell(i, c)]
    forms = "; ".join(" ".join(cols) for _, cols in SHEET_FORMS)
    have = f" (has {', '.join(dict.fromkeys(given))})" if given else " (no data cells)"
    raise _RowError(None, f"the row fits no form{have}: give one of {forms}")


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "", text.lower())
    return s if s and s[0].isalpha() else f"s{s}"


def _data_block(form: str, v: dict, protocol: Protocol, kind: str, measure: str | None, where: str) -> dict:
    arm_t, arm_c = protocol.intervention.arms[0], protocol.comparators[0].arms[0]
    if form.startswith("events"):
        if kind != "binary":
            raise _RowError("ai", "event counts for a continuous outcome (give means, or yi with vi)")
        n1 = v["ai"] + v["bi"] if "bi" in v else v["n1i"]
        n2 = v["ci"] + v["di"] if "di" in v else v["n2i"]
        for events, n, col in ((v["ai"], n1, "ai"), (v["ci"], n2, "ci")):
            if events > n:
                raise _RowError(col, f"{events} events exceed the group's size {n}")
        block = {"form": "events", "arms": [{"arm": arm_t, "events": v["ai"], "n": n1},
                                            {"arm": arm_c, "events": v["ci"], "n": n2}], "source": where}
        if "bi" in v:
            block["derivation"] = "n = events + non-events in each group (ai + bi, ci + di)"
        return block
    if form == "means":
        if kind != "continuous":
            raise _RowError("m1i", "means for a binary outcome (give ai bi ci di or ai n1i ci n2i)")
        for col in ("sd1i", "sd2i", "n1i", "n2i"):
            if v[col] < 0 or (col.startswith("n") and v[col] < 1):
                raise _RowError(col, f"{v[col]:g} is not a valid {'SD' if col.startswith('sd') else 'group size'}")
        return {"form": "arm_means", "arms": [{"arm": arm_t, "mean": v["m1i"], "sd": v["sd1i"], "n": v["n1i"]},
                                              {"arm": arm_c, "mean": v["m2i"], "sd": v["sd2i"], "n": v["n2i"]}],
                "source": where}
    if measure is None:
        raise _RowError("yi", "a reported effect needs the measure it is on (--measure, e.g. RR or SMD)")
    if (measure in BINARY_MEASURES) != (kind == "binary"):
        raise _RowError("yi", f"measure {measure} does not fit a {kind} outcome")
    spread = "vi" if "vi" in v else "sei"
    if not v[spread] > 0:
        raise _RowError(spread, f"{v[spread]:g}: a variance or standard error must be positive")
    return {"form": "effect", "measure": measure, "yi": v["yi"], spread: v[spread], "source": where}


def _record(sheet: Sheet, i: int, protocol: Protocol, outcome: str, measure: str | None, design: str) -> dict:
    row = i + 2
    label = sheet.cell(i, "study")
    if not label:
        raise _RowError("study", "empty: every row names its study")
    year = _number(sheet, i, "year") if "year" in sheet.columns else None
    where = f"extraction sheet {Path(sheet.name).name}, row {row}"
    if sheet.cell(i, "source"):
        where += f": {sheet.cell(i, 'source')}"
    design = sheet.cell(i, "design") or design
    if design not in DESIGNS:
        raise _RowError("design", f"{design!r} is not a design; expected one of {', '.join(DESIGNS)}")
    form, values = _form(sheet, i)
    spec = protocol.outcome(outcome)
    rec: dict[str, Any] = {
        "id": sheet.cell(i, "id") or _slug(label if year is None or str(year) in label else f"{label}{year}"),
        "citation": {"short_label": label if year is None or str(year) in label else f"{label} {year}",
                     "title": sheet.cell(i, "title") or f"{label} (title not recorded in {Path(sheet.name).name})"},
        "design": design, "randomized": design in RANDOMIZED_DESIGNS, "blinding": "unclear",
        "population": {}, "intervention": {}, "comparator": protocol.comparators[0].study_types[0],
        "outcomes": [{"outcome": outcome, "timepoint": sheet.cell(i, "timepoint") or "as extracted",
                      "contrast": protocol.contrasts[0], "primary": True,
                      "data": [_data_block(form, values, protocol, spec.kind, measure, where)]}],
        "missing": [] if sheet.cell(i, "title") else ["title of the report"],
    }
    if year is not None:
        rec["citation"]["year"] = year
    else:
        rec["missing"].append("publication year")
    for key in ("doi", "pmid"):
        if sheet.cell(i, key):
            rec[key] = _number(sheet, i, key) if key == "pmid" else sheet.cell(i, key)
    if "doi" not in rec and "pmid" not in rec:
        rec["no_identifier_reason"] = f"no DOI or PMID in {where.split(':')[0]}"
    if sheet.cell(i, "notes"):
        rec["notes"] = sheet.cell(i, "notes")
    mods = {}
    for m in protocol.moderators:
        if m.id in sheet.columns and sheet.cell(i, m.id):
            value = _number(sheet, i, m.id) if m.kind == "numeric" else sheet.cell(i, m.id)
            mods[m.id] = int(value) if isinstance(value, float) and value.is_integer() else value
    if mods:
        rec["moderators"], rec["moderators_source"] = mods, where
    return rec


_FIELD_COLUMNS = {"citation.year": "year", "doi": "doi", "pmid": "pmid", "design": "design", "id": "id",
                  "citation.title": "title"}


def sheet_records(sheet: Sheet, protocol: Protocol, outcome: str, measure: str | None = None,
                  design: str = "parallel_rct") -> tuple[list[dict], list[int]]:
    """Study records (plain dicts, valid :class:`StudyRecord` data) from a sheet's rows, and the
    spreadsheet row of each.

    ``outcome`` is an outcome id of ``protocol``; ``measure`` the measure of a ``yi`` column
    (metafor's codes); ``design`` the design of rows without a ``design`` cell. Raises
    :class:`StudiesFileError` naming row and column of every row it cannot use.
    """
    problems: list[Problem] = []
    if protocol.outcome(outcome) is None:
        raise StudiesFileError([Problem(sheet.name, None, None, None, f"outcome {outcome!r} is not in the review's "
                                        f"protocol; its outcomes: {', '.join(o.id for o in protocol.outcomes)}")])
    if measure is not None and measure not in ESCALC_MEASURES:
        raise StudiesFileError([Problem(sheet.name, None, None, None, f"unknown measure {measure!r}")])
    problems = column_problems(sheet, [m.id for m in protocol.moderators])
    if problems:
        raise StudiesFileError(problems)
    by_id: dict[str, dict] = {}
    rows: dict[str, int] = {}
    for i in range(len(sheet.rows)):
        try:
            rec = _record(sheet, i, protocol, outcome, measure, design)
            first = by_id.get(rec["id"])
            if first is not None:
                _merge(first, rec)
                continue
        except _RowError as exc:
            problems.append(Problem(sheet.name, i + 2, sheet.cell(i, "study") or None, exc.column, exc.message))
            continue
        problems += _validated(sheet, i, rec)
        by_id[rec["id"]] = rec
        rows[rec["id"]] = i + 2
    if problems:
        raise StudiesFileError(problems)
    return list(by_id.values()), list(rows.values())


def column_problems(sheet: Sheet, moderators=()) -> list[Problem]:
    """What is wrong with a sheet's header: an unknown column (``moderators`` are known), no
    ``study`` column, or no complete set of data columns."""
    problems = []
    known = set(SHEET_COLUMNS) | set(moderators)
    for c in sheet.columns:
        if c not in known:
            problems.append(Problem(sheet.name, 1, None, c, "unknown column (a typo? a moderator must be declared "
                                    "in the protocol, or named with --moderator when the sheet starts a new review); "
                                    f"expected: {', '.join(SHEET_COLUMNS)}"))
    if "study" not in sheet.columns:
        problems.append(Problem(sheet.name, 1, None, "study", "missing column: every sheet names its studies"))
    if not any(all(c in sheet.columns for c in cols) for _, cols in SHEET_FORMS):
        forms = "; ".join(" ".join(cols) for _, cols in SHEET_FORMS)
        problems.append(Problem(sheet.name, 1, None, None, f"missing columns: the sheet has no complete set of data "
                                f"columns; give one of {forms}"))
    return problems


def _validated(sheet: Sheet, i: int, rec: dict) -> list[Problem]:
    try:
        StudyRecord.model_validate(rec)
    except ValidationError as exc:
        out = []
        for err in exc.errors(include_url=False):
            path = field_path(tuple(err["loc"]), rec)
            out.append(Problem(sheet.name, i + 2, rec.get("id"), _FIELD_COLUMNS.get(path, path), error_message(err)))
        return out
    return []


def _merge(first: dict, again: dict) -> None:
    """A second row of the same study: its outcome entry joins the first row's record; what
    describes the study itself must agree."""
    for key, column in (("design", "design"), ("doi", "doi"), ("pmid", "pmid"), ("citation", "year")):
        if first.get(key) != again.get(key):
            raise _RowError(column, f"the row repeats study {first['id']!r} with a different {column} "
                            f"({again.get(key)!r} here, {first.get(key)!r} before)")
    first["outcomes"] += again["outcomes"]
