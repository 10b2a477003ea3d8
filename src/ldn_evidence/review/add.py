"""Add study records to a review's file: validate, refuse duplicates, insert in a stable order
keeping every comment, write atomically under the writers' lock, and say what changed.

Nothing is written unless everything checked out: a record that fails validation, a duplicate,
an empty record file, a lock timeout, or the copy of the review installed inside the package
(site-packages) leaves the studies file byte for byte as it was. The records are inserted as
lines (:mod:`ldn_evidence.records.insert`), so a comment written above a study stays with it and
the file keeps its line endings and byte-order mark; a symbolic link is written through to the
file it points to, under that file's lock. The file as it would be written is read back and must
hold exactly the old records plus the new ones.

Examples
--------
>>> import shutil, tempfile, pathlib, ldn_evidence as le
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> studies = folder / "studies.yaml"
>>> _ = shutil.copy(le.records.default_studies_path(), studies)
>>> record = folder / "new.yaml"
>>> _ = record.write_text(studies.read_text().split("studies:")[0])   # not a study record
>>> try:
...     add_records(studies, record, dry_run=True)
... except le.records.StudiesFileError as exc:
...     print("refused")
refused
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..effects.from_records import Terms, outcome_entries
from ..errors import LivingError, StudiesFileError
from ..records import dump_yaml, protocol_problems, read_records
from ..records.collection import check_unchanged, checked_for_writing
from ..records.duplicates import find_duplicates, node_line
from ..records.files import LOCK_TIMEOUT, atomic_write_bytes, read_file, refuse_installed_copy, studies_lock
from ..records.insert import blank_separated_text, insert_items, record_items
from ..records.yaml import blank_separated, ensure_trailing_blank, parse_yaml, reindented_nodes
from .review import Review, load_studies

__all__ = ["add_records", "AddResult", "OutcomeChange", "touched_outcomes"]


def _order_key(study) -> tuple:
    year = study.citation.year
    return (year is None, year if year is not None else 0, study.id)


def touched_outcomes(records, protocol=None) -> list[str]:
    """The outcomes the protocol pools (default: the bundled review's) that the records report."""
    if protocol is None:
        from ..records import default_protocol

        protocol = default_protocol()
    terms = Terms.from_protocol(protocol)
    return [o for o in protocol.pooled_outcomes
            if any(outcome_entries(s, protocol.outcome(o).members, terms) for s in records)]


@dataclass
class OutcomeChange:
    outcome: str
    before: Any
    after: Any
    notes: list = field(default_factory=list)


@dataclass
class AddResult:
    """What :func:`add_records` did (or, with ``dry_run``, would do)."""

    path: Path
    added: list
    positions: list
    changes: list
    dry_run: bool
    text: str
    pooled: tuple = ()

    def lines(self) -> list[str]:
        verb = "would add" if self.dry_run else "added"
        out = []
        for sid, label, pos, after in self.positions:
            where = f"after '{after}'" if after else "first"
            out.append(f"{verb} {sid} ({label}) to {self.path}, as study {pos + 1} ({where})")
        unpooled = []
        for ch in self.changes:
            if ch.before.overall is None and ch.after.overall is None:
                unpooled.append(ch)
                continue
            out.append(f"{ch.outcome}:")
            out.append(f"  before: {ch.before.one_line()}")
            out.append(f"  after:  {ch.after.one_line()}")
            for note in ch.notes:
                out.append(f"  note: {note}")
        if unpooled:
            out.append("also reported, not poolable: " + "; ".join(
                f"{ch.outcome} ({', '.join(ch.notes)})" for ch in unpooled))
        if not self.changes:
            names = ", ".join(self.pooled[:3]) + (", ..." if len(self.pooled) > 3 else "")
            out.append(f"the new record(s) report no outcome that is pooled ({names})")
        if self.dry_run:
            out.append("dry run: nothing written")
        return out


def _insert_as_lines(review, records, record_text: str, record_doc) -> str | None:
    """The studies text with the records inserted as lines (None: the layout needs the tree)."""
    items = record_items(record_text, record_doc)
    if items is None or len(items) != len(records):
        return None
    current = list(review.studies)
    at: dict[int, list] = {}
    for rec, item in sorted(zip(records, items), key=lambda ri: _order_key(ri[0])):
        key = _order_key(rec)
        pos = next((i for i, s in enumerate(current) if _order_key(s) > key), len(current))
        at.setdefault(pos, []).append(item)
    doc = review.document
    return insert_items(review._text, doc, at, blank_separated_text(review._text, doc))


def _insert_in_tree(review, records, nodes, record_path, record_text) -> str:
    """The studies text with the records inserted as round-trip nodes (comments above an
    existing study may move above the new record: used only when the lines cannot be placed)."""
    doc = review.document
    seq = doc["studies"]
    blank = blank_separated(doc)
    new_nodes = reindented_nodes(record_path, record_text, nodes)
    current = list(review.studies)
    for rec, node in sorted(zip(records, new_nodes), key=lambda rn: _order_key(rn[0])):
        key = _order_key(rec)
        pos = next((i for i, s in enumerate(current) if _order_key(s) > key), len(current))
        if blank:
            if pos > 0 and pos == len(current):
                ensure_trailing_blank(seq[pos - 1])
            if pos < len(current):
                ensure_trailing_blank(node)
        seq.insert(pos, node)
        current.insert(pos, rec)
    return dump_yaml(doc)


class _Expected:
    """The review as it must read back: the old records with the new ones in their places."""

    def __init__(self, review, records):
        self.info = review.info
        self.studies = _merged(review.studies, records)


def _merged(studies, records) -> list:
    current = list(studies)
    for rec in sorted(records, key=_order_key):
        key = _order_key(rec)
        pos = next((i for i, s in enumerate(current) if _order_key(s) > key), len(current))
        current.insert(pos, rec)
    return current


def _changes(review, new_review, records) -> list:
    changes = []
    new_ids = {x.id for x in records}
    for outcome in touched_outcomes(records, review.protocol):
        before = review.analyse(outcome)
        after = new_review.analyse(outcome)
        if before.overall is None and after.overall is None:
            notes = [f"{r['label']}: {r['reason']}" for _, r in after.not_pooled.iterrows() if r["study"] in new_ids]
            changes.append(OutcomeChange(outcome, before, after, notes or ["not poolable"]))
            continue
        notes = [f"{r['label']} not pooled: {r['reason']}" for _, r in after.not_pooled.iterrows()
                 if r["study"] in new_ids]
        changes.append(OutcomeChange(outcome, before, after, notes))
    return changes


def add_records(studies_path: str | os.PathLike, record_path: str | os.PathLike, *, dry_run: bool = False,
                lock_timeout: float = LOCK_TIMEOUT, analyse: bool = True) -> AddResult:
    """Add the record(s) in ``record_path`` to the studies file ``studies_path``.

    Raises :class:`ldn_evidence.records.StudiesFileError` (file:line: study: field: message)
    for invalid, duplicate or missing records, :class:`LockTimeout` when another writer holds
    the lock, and :class:`ReadOnlyReviewError` for the copy installed inside the package; in
    every case nothing is written.
    """
    studies_path = Path(studies_path)
    record_path = Path(record_path)
    if not dry_run:
        refuse_installed_copy(studies_path)
    records, nodes = read_records(record_path)  # schema problems -> StudiesFileError
    record_text = read_file(record_path).text
    lock = studies_lock(studies_path, timeout=lock_timeout) if not dry_run else contextlib.nullcontext()
    with lock:
        review = load_studies(studies_path)
        seq = review.document["studies"]
        lines = {n.get("id"): node_line(n) for n in seq if hasattr(n, "get")}
        problems = protocol_problems(review.protocol, str(record_path), nodes, records)
        if problems:  # an outcome, contrast or comparator the review's protocol does not know
            raise StudiesFileError(problems)
        accepted = []
        for rec, node in zip(records, nodes):
            problems += find_duplicates(list(review.studies) + accepted, rec, existing_lines=lines,
                                        file=str(record_path), node=node, studies_file=str(studies_path))
            accepted.append(rec)
        if problems:
            raise StudiesFileError(problems)
        expected = _Expected(review, records)
        new_review = None
        text = _insert_as_lines(review, records, record_text, parse_yaml(record_text, str(record_path)))
        if text is not None:
            try:
                data, new_review = checked_for_writing(review, text, studies_path, expected, cls=Review)
            except (StudiesFileError, LivingError):
                new_review = None  # the lines did not land as meant: place the nodes in the tree instead
        if new_review is None:
            text = _insert_in_tree(review, records, nodes, record_path, record_text)
            data, new_review = checked_for_writing(review, text, studies_path, expected, cls=Review)
        new_review.path = studies_path
        ids = [s.id for s in new_review.studies]
        positions = []
        for rec in records:
            i = ids.index(rec.id)
            positions.append((rec.id, rec.label, i, ids[i - 1] if i else None))
        changes = _changes(review, new_review, records) if analyse else []
        if not dry_run:
            check_unchanged(review, studies_path)
            atomic_write_bytes(studies_path, data)
    return AddResult(path=studies_path, added=[r.id for r in records], positions=positions, changes=changes,
                     dry_run=dry_run, text=text, pooled=review.protocol.pooled_outcomes)
