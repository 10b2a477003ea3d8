"""Add study records to a review's file: validate, refuse duplicates, insert in a stable order
keeping every comment, write atomically under the writers' lock, and say what changed.

Nothing is written unless everything checked out: a record that fails validation, a duplicate
or a lock timeout leaves the studies file byte for byte as it was.

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
import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..effects.from_records import Terms, outcome_entries
from ..errors import LivingError, StudiesFileError
from ..records import atomic_write_text, dump_yaml, protocol_problems, read_records
from ..records.duplicates import find_duplicates, node_line
from ..records.files import LOCK_TIMEOUT, studies_lock
from ..records.yaml import blank_separated, ensure_trailing_blank, plain, reindented_nodes
from .review import load_studies

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


def _review_from_text(text: str, name: str):
    """Validate a whole studies text; Problems name ``name``."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "studies.yaml"
        p.write_text(text, encoding="utf-8")
        try:
            review = load_studies(p)
        except StudiesFileError as exc:
            raise StudiesFileError([dataclasses.replace(pr, file=name) for pr in exc.problems]) from None
    review.path = Path(name)
    return review


def add_records(studies_path: str | os.PathLike, record_path: str | os.PathLike, *, dry_run: bool = False,
                lock_timeout: float = LOCK_TIMEOUT, analyse: bool = True) -> AddResult:
    """Add the record(s) in ``record_path`` to the studies file ``studies_path``.

    Raises :class:`ldn_evidence.records.StudiesFileError` (file:line: study: field: message)
    for invalid or duplicate records and :class:`LockTimeout` when another writer holds the
    lock; in either case nothing is written.
    """
    studies_path = Path(studies_path)
    record_path = Path(record_path)
    records, nodes = read_records(record_path)  # schema problems -> StudiesFileError
    record_text = record_path.read_text(encoding="utf-8-sig")
    lock = studies_lock(studies_path, timeout=lock_timeout) if not dry_run else contextlib.nullcontext()
    with lock:
        review = load_studies(studies_path)
        doc = review.document
        seq = doc["studies"]
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
        before_plain = plain(doc)
        blank = blank_separated(doc)
        new_nodes = reindented_nodes(record_path, record_text, nodes)
        current = list(review.studies)
        positions = []
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
        ids = [s.id for s in current]
        for rec in records:
            i = ids.index(rec.id)
            positions.append((rec.id, rec.label, i, ids[i - 1] if i else None))
        text = dump_yaml(doc)
        new_review = _review_from_text(text, str(studies_path))
        # the written file must hold exactly the old contents plus the new records
        expected = dict(before_plain)
        expected["studies"] = [plain(n) for n in seq]
        if plain(new_review.document) != expected or len(new_review.studies) != len(review.studies) + len(records):
            raise LivingError("internal check failed: the file as it would be written does not hold the old "
                              "studies plus the new records; nothing written")
        changes = []
        if analyse:
            for outcome in touched_outcomes(records, review.protocol):
                before = review.analyse(outcome)
                after = new_review.analyse(outcome)
                if before.overall is None and after.overall is None:
                    notes = [f"{r['label']}: {r['reason']}" for _, r in after.not_pooled.iterrows()
                             if r["study"] in {x.id for x in records}]
                    changes.append(OutcomeChange(outcome, before, after, notes or ["not poolable"]))
                    continue
                notes = [f"{r['label']} not pooled: {r['reason']}" for _, r in after.not_pooled.iterrows()
                         if r["study"] in {x.id for x in records}]
                changes.append(OutcomeChange(outcome, before, after, notes))
        if not dry_run:
            atomic_write_text(studies_path, text)
    return AddResult(path=studies_path, added=[r.id for r in records], positions=positions, changes=changes,
                     dry_run=dry_run, text=text, pooled=review.protocol.pooled_outcomes)
