"""Living-review operations on the studies file: add a study, compare two versions, cumulate by year.

* :func:`add_records` — validate new record(s) against the schema and the review, refuse
  duplicates, insert them in a stable order keeping every comment, write atomically under a lock,
  and report the pooled results before -> after for each outcome the records touch.
* :func:`diff_reviews` — studies added, removed and changed (field paths, old -> new) and, for
  every outcome, the pooled result before -> after with a flag when the conclusion changes.
* :func:`cumulative_by_year` — cumulative meta-analysis after each publication year.
* :func:`studies_lock` — the ``<studies>.lock`` file (``fcntl.flock``) that serialises writers.

Nothing here writes unless everything checked out: a record that fails validation, a duplicate
or a lock timeout leaves the studies file byte for byte as it was.
"""
from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from . import choices

__all__ = [
    "LivingError", "LockTimeout", "studies_lock", "find_duplicates", "add_records", "AddResult",
    "diff_reviews", "ReviewDiff", "cumulative_by_year", "git_revision_files", "touched_outcomes",
    "LOCK_TIMEOUT", "TITLE_SIMILARITY",
]

#: seconds ``add`` waits for another writer before giving up
LOCK_TIMEOUT = 30.0
#: difflib ratio of normalised titles above which two records of the same year are duplicates
TITLE_SIMILARITY = 0.9


class LivingError(Exception):
    """A request that cannot be carried out as asked (the CLI exits with status 2)."""


class LockTimeout(LivingError):
    """Another process holds the studies file's lock."""


# ---------------------------------------------------------------------------------------------
# lock
# ---------------------------------------------------------------------------------------------


def lock_path_for(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_name(p.name + ".lock")


@contextlib.contextmanager
def studies_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT, poll: float = 0.05):
    """Hold an exclusive ``fcntl.flock`` on ``<path>.lock`` for the duration of the block.

    The lock file is left in place (removing it would let a third process lock a different
    inode); the lock is released by the kernel if the process dies. Raises :class:`LockTimeout`
    after ``timeout`` seconds.
    """
    import fcntl

    lock = lock_path_for(path)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = ""
                    try:
                        text = lock.read_text().strip()
                        holder = f" by process {text}" if text else ""
                    except OSError:
                        pass
                    raise LockTimeout(
                        f"{path} is being changed by another process (lock file {lock} is held{holder}); "
                        f"gave up after {timeout:g} s. Try again when the other change has finished.") from None
                time.sleep(poll)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:  # pragma: no cover - informational only
            pass
        yield lock
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------------------------
# duplicates
# ---------------------------------------------------------------------------------------------


def normalise_title(title: str) -> str:
    """Lower case, accents and punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _identifiers(study) -> dict[str, str]:
    ids = {}
    if study.doi:
        ids["doi"] = study.doi.lower()
    if study.pmid is not None:
        ids["pmid"] = str(study.pmid)
    if study.pmcid:
        ids["pmcid"] = study.pmcid.upper()
    reg = study.registration
    if reg is not None:
        for key in ("nct", "eudract", "actrn"):
            value = getattr(reg, key)
            if value:
                ids[f"registration.{key}"] = value.upper()
    return ids


def _node_line(node, key: str | None = None) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    if key is not None:
        head = key.split(".")[0]
        try:
            return lc.key(head)[0] + 1
        except (KeyError, TypeError, AttributeError):
            pass
    return lc.line + 1


def find_duplicates(existing: Sequence, new, *, existing_lines: dict | None = None, file: str = "",
                    node=None, studies_file: str = "", threshold: float = TITLE_SIMILARITY) -> list:
    """Problems saying which existing record ``new`` duplicates (empty list: none).

    A duplicate has the same id, DOI, PMID, PMCID or registration number (NCT, EudraCT, ACTRN),
    its DOI is listed among an existing study's ``other_reports``, or its normalised title is
    near-identical (difflib ratio > ``threshold``) to one of the same year (or either year is
    unknown).
    """
    from .records import Problem

    existing_lines = existing_lines or {}
    problems = []

    def where(s):
        line = existing_lines.get(s.id)
        loc = f"{studies_file}:{line}" if studies_file and line else studies_file
        return f"existing study '{s.id}' ({s.label}" + (f", {loc})" if loc else ")")

    new_ids = _identifiers(new)
    new_title = normalise_title(new.citation.title)
    for s in existing:
        if s.id == new.id:
            problems.append(Problem(file, _node_line(node, "id"), new.id, "id", f"id already used by {where(s)}"))
        old_ids = _identifiers(s)
        for key, value in new_ids.items():
            if old_ids.get(key) == value:
                problems.append(Problem(file, _node_line(node, key), new.id, key,
                                        f"same {key.split('.')[-1].upper() if '.' in key else key.upper()} "
                                        f"{value} as {where(s)}"))
        if new.doi and any(new.doi.lower() in r.lower() for r in s.other_reports):
            problems.append(Problem(file, _node_line(node, "doi"), new.id, "doi",
                                    f"DOI {new.doi} is listed under other_reports of {where(s)}"))
        same_year = new.citation.year is None or s.citation.year is None or new.citation.year == s.citation.year
        if same_year:
            ratio = difflib.SequenceMatcher(None, new_title, normalise_title(s.citation.title)).ratio()
            if ratio > threshold:
                problems.append(Problem(file, _node_line(node, "citation"), new.id, "citation.title",
                                        f"title is near-identical (similarity {ratio:.2f}) to that of {where(s)}: "
                                        f"{s.citation.title!r}"))
    return problems


# ---------------------------------------------------------------------------------------------
# add
# ---------------------------------------------------------------------------------------------


def _order_key(study) -> tuple:
    year = study.citation.year
    return (year is None, year if year is not None else 0, study.id)


def _reindented_nodes(record_path: Path, text: str, nodes: list) -> list:
    """The record nodes re-parsed from text indented as items of the ``studies:`` sequence, so
    that their comments land at the right columns; the file's leading comment goes with the
    first record. Falls back to the original nodes if anything does not match."""
    from .records import _parse, _plain

    lines = text.splitlines()
    content = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
               and not line.startswith(("---", "%", "..."))]
    if not content:
        return nodes
    single = not isinstance(_plain(nodes), list) and len(nodes) == 1 and not lines[content[0]].lstrip().startswith("- ")
    out = []
    for i, line in enumerate(lines):
        if line.startswith(("---", "%", "...")) and not line.startswith("----"):
            continue
        if not line.strip():
            out.append("")
        elif single:
            if i == content[0]:
                out.append("  - " + line)
            elif i < content[0]:
                out.append("  " + line.lstrip())  # the header comment, at the dash's column
            else:
                out.append("    " + line)
        else:
            out.append("  " + line)
    snippet = "studies:\n" + "\n".join(out) + "\n"
    try:
        doc = _parse(snippet, str(record_path))
        seq = doc["studies"]
        got = list(seq)
    except Exception:  # noqa: BLE001 - keep the original nodes
        return nodes
    if [_plain(n) for n in got] != [_plain(n) for n in nodes]:
        return nodes
    head = getattr(seq.ca, "comment", None)
    if head and len(head) > 1 and head[1] and got:
        first = got[0]
        first.ca.comment = [None, list(head[1])]
        seq.ca.comment = None
    return got


def _blank_separated(doc) -> bool:
    """Whether the file separates studies with a blank line (checked on the dumped text)."""
    from .records import dump_yaml

    text = dump_yaml(doc)
    ids = re.findall(r"^  - id:", text, flags=re.M)
    gaps = re.findall(r"\n\n  - id:", text)
    return len(ids) > 1 and len(gaps) >= (len(ids) - 1) / 2


def _ensure_trailing_blank(node) -> None:
    """Give the node a trailing blank line (the separator between studies)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    cur = node
    while True:
        if isinstance(cur, CommentedMap) and len(cur):
            key = list(cur.keys())[-1]
            child = cur[key]
            if isinstance(child, (CommentedMap, CommentedSeq)) and len(child):
                cur = child
                continue
            slot = cur.ca.items.setdefault(key, [None, None, None, None])
            idx = 2
        elif isinstance(cur, CommentedSeq) and len(cur):
            i = len(cur) - 1
            child = cur[i]
            if isinstance(child, (CommentedMap, CommentedSeq)) and len(child):
                cur = child
                continue
            slot = cur.ca.items.setdefault(i, [None, None])
            idx = 0
        else:
            return
        tok = slot[idx]
        if tok is None:
            slot[idx] = CommentToken("\n\n", CommentMark(0), None)
        elif isinstance(tok, CommentToken) and not tok.value.endswith("\n\n"):
            tok.value = tok.value + ("\n" if tok.value.endswith("\n") else "\n\n")
        return


def touched_outcomes(records) -> list[str]:
    """The poolable outcome families (review.OUTCOME_CHOICES) that the records report."""
    from .review import OUTCOME_CHOICES
    from .study_effects import outcome_entries

    return [o for o in OUTCOME_CHOICES if any(outcome_entries(s, o) for s in records)]


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
            out.append("the new record(s) report no outcome that is pooled (pain, fiq, symptom_severity, ...)")
        if self.dry_run:
            out.append("dry run: nothing written")
        return out


def _review_from_text(text: str, name: str):
    """Validate a whole studies text; Problems name ``name``."""
    import dataclasses

    from .records import StudiesFileError
    from .review import load_studies

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
    from .records import StudiesFileError, _plain, atomic_write_text, dump_yaml, read_records
    from .review import load_studies

    studies_path = Path(studies_path)
    record_path = Path(record_path)
    records, nodes = read_records(record_path)  # schema problems -> StudiesFileError
    record_text = record_path.read_text(encoding="utf-8-sig")
    lock = studies_lock(studies_path, timeout=lock_timeout) if not dry_run else contextlib.nullcontext()
    with lock:
        review = load_studies(studies_path)
        doc = review.document
        seq = doc["studies"]
        lines = {n.get("id"): _node_line(n) for n in seq if hasattr(n, "get")}
        problems = []
        accepted = []
        for rec, node in zip(records, nodes):
            problems += find_duplicates(list(review.studies) + accepted, rec, existing_lines=lines,
                                        file=str(record_path), node=node, studies_file=str(studies_path))
            accepted.append(rec)
        if problems:
            raise StudiesFileError(problems)
        before_plain = _plain(doc)
        blank = _blank_separated(doc)
        new_nodes = _reindented_nodes(record_path, record_text, nodes)
        current = list(review.studies)
        positions = []
        for rec, node in sorted(zip(records, new_nodes), key=lambda rn: _order_key(rn[0])):
            key = _order_key(rec)
            pos = next((i for i, s in enumerate(current) if _order_key(s) > key), len(current))
            if blank:
                if pos > 0 and pos == len(current):
                    _ensure_trailing_blank(seq[pos - 1])
                if pos < len(current):
                    _ensure_trailing_blank(node)
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
        expected["studies"] = [_plain(n) for n in seq]
        if _plain(new_review.document) != expected or len(new_review.studies) != len(review.studies) + len(records):
            raise LivingError("internal check failed: the file as it would be written does not hold the old "
                              "studies plus the new records; nothing written")
        changes = []
        if analyse:
            for outcome in touched_outcomes(records):
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
                     dry_run=dry_run, text=text)


# ---------------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------------

_ABSENT = object()


def _flatten(value, prefix: str = "") -> dict:
    """Leaves of a plain structure by path (``outcomes[0].data[1].sd``); lists of scalars are leaves."""
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        if not value and prefix:
            out[prefix] = {}
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def _field_changes(old: dict, new: dict) -> list[dict]:
    a, b = _flatten(old), _flatten(new)
    changes = []
    for path in list(dict.fromkeys(list(a) + list(b))):
        va, vb = a.get(path, _ABSENT), b.get(path, _ABSENT)
        if va == vb and type(va) is type(vb):
            continue
        if va is not _ABSENT and vb is not _ABSENT and va == vb:
            continue
        kind = "added" if va is _ABSENT else "removed" if vb is _ABSENT else "changed"
        changes.append({"path": path, "change": kind, "old": None if va is _ABSENT else _jsonable(va),
                        "new": None if vb is _ABSENT else _jsonable(vb)})
    return changes


def _jsonable(v):
    import datetime as dt

    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def _study_plain(study) -> dict:
    return study.model_dump(mode="json", exclude_unset=True)


_RESULT_FIELDS = ("k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "pvalue")


def _result_dict(analysis) -> dict | None:
    import math

    o = analysis.overall
    if o is None:
        return None
    out = {}
    for f in _RESULT_FIELDS:
        v = getattr(o, f)
        v = int(v) if f == "k" else float(v)
        out[f] = None if isinstance(v, float) and not math.isfinite(v) else v
    return out


def _conclusion_flags(before: dict | None, after: dict | None, null: float = 0.0) -> list[str]:
    if before is None and after is None:
        return []
    if before is None:
        return ["newly poolable"]
    if after is None:
        return ["no longer poolable"]
    flags = []

    def excludes(r):
        return r["ci_low"] is not None and (r["ci_low"] > null or r["ci_high"] < null)

    if excludes(before) and not excludes(after):
        flags.append("CI now crosses the null")
    elif excludes(after) and not excludes(before):
        flags.append("CI now excludes the null")
    sb = (before["estimate"] > null) - (before["estimate"] < null)
    sa = (after["estimate"] > null) - (after["estimate"] < null)
    if sb != sa and sb != 0 and sa != 0:
        def word(s):
            return "favours LDN" if s < 0 else "favours the comparator"
        flags.append(f"direction flipped ({word(sb)} -> {word(sa)})")
    return flags


@dataclass
class ReviewDiff:
    """Differences between two versions of the studies file."""

    old_name: str
    new_name: str
    added: list
    removed: list
    changed: dict
    review_changes: list
    outcomes: list
    settings: str = ""

    @property
    def conclusion_changed(self) -> bool:
        return any(o["conclusion_changed"] for o in self.outcomes)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.review_changes)

    def to_dict(self) -> dict:
        return {"old": self.old_name, "new": self.new_name, "added": self.added, "removed": self.removed,
                "changed": self.changed, "review_changes": self.review_changes, "outcomes": self.outcomes,
                "settings": self.settings, "conclusion_changed": self.conclusion_changed}

    def to_text(self, max_value: int = 70) -> str:
        def short(v):
            s = "(absent)" if v is None else repr(v) if isinstance(v, str) else str(v)
            return s if len(s) <= max_value else s[: max_value - 3] + "..."

        lines = [f"--- {self.old_name}", f"+++ {self.new_name}"]
        if self.empty:
            lines.append("no differences in the studies")
        for s in self.added:
            lines.append(f"+ added   {s['id']} ({s['label']})")
        for s in self.removed:
            lines.append(f"- removed {s['id']} ({s['label']})")
        for sid, changes in self.changed.items():
            lines.append(f"~ changed {sid}: {len(changes)} field{'s' if len(changes) != 1 else ''}")
            for c in changes:
                lines.append(f"    {c['path']}: {short(c['old'])} -> {short(c['new'])}")
        if self.review_changes:
            lines.append("~ review metadata:")
            for c in self.review_changes:
                lines.append(f"    review.{c['path']}: {short(c['old'])} -> {short(c['new'])}")
        if self.outcomes:
            lines.append("")
            lines.append(f"Pooled results ({self.settings}):")
        for o in self.outcomes:
            lines.append(f"  {o['outcome']} ({o['measure']}):")
            for label, r in (("before", o["before"]), ("after", o["after"])):
                lines.append(f"    {label:6s} {_fmt_result(r, o['measure'])}")
            if o["flags"]:
                lines.append(f"    ** conclusion changed: {'; '.join(o['flags'])}")
            elif o["before"] == o["after"]:
                lines.append("    (unchanged)")
        return "\n".join(lines)


def _fmt_result(r: dict | None, measure: str = "") -> str:
    """One pooled result; ratio measures (RR, OR) back-transformed from the log scale."""
    import math

    if r is None:
        return "no poolable studies"
    ratio = measure in choices.RATIO_MEASURES

    def f(x, d=2):
        if x is None:
            return "NA"
        return f"{math.exp(x) if ratio and d == 2 else x:.{d}f}"

    pi = "" if r["pi_low"] is None else f", PI [{f(r['pi_low'])}, {f(r['pi_high'])}]"
    return (f"k = {r['k']}: {f(r['estimate'])} [{f(r['ci_low'])}, {f(r['ci_high'])}]{pi}, "
            f"tau² = {f(r['tau2'], 3)}, I² = {f(r['i2'], 0)}%")


def diff_reviews(old, new, *, outcomes: Sequence[str] | None = None, measure: str = "SMD", method: str = "REML",
                 test: str = "knha", old_name: str = "old", new_name: str = "new") -> ReviewDiff:
    """Compare two :class:`ldn_evidence.review.Review` objects (study ids match records)."""
    from .review import OUTCOME_CHOICES

    old_by = {s.id: s for s in old.studies}
    new_by = {s.id: s for s in new.studies}
    added = [{"id": s.id, "label": s.label} for s in new.studies if s.id not in old_by]
    removed = [{"id": s.id, "label": s.label} for s in old.studies if s.id not in new_by]
    changed = {}
    for sid, s in new_by.items():
        if sid in old_by:
            ch = _field_changes(_study_plain(old_by[sid]), _study_plain(s))
            if ch:
                changed[sid] = ch
    review_changes = _field_changes(old.info.model_dump(mode="json", exclude_unset=True),
                                    new.info.model_dump(mode="json", exclude_unset=True))
    results = []
    settings = ""
    for outcome in outcomes or OUTCOME_CHOICES:
        m = measure if outcome in choices.CONTINUOUS_OUTCOMES else choices.default_measure(outcome)
        a = old.analyse(outcome, measure=m, method=method, test=test)
        b = new.analyse(outcome, measure=m, method=method, test=test)
        settings = b.settings.replace(", r = ", "; r = ")
        ra, rb = _result_dict(a), _result_dict(b)
        if ra is None and rb is None:
            continue
        flags = _conclusion_flags(ra, rb)
        results.append({"outcome": outcome, "measure": m, "before": ra, "after": rb, "flags": flags,
                        "conclusion_changed": bool(flags)})
    return ReviewDiff(old_name=old_name, new_name=new_name, added=added, removed=removed, changed=changed,
                      review_changes=review_changes, outcomes=results, settings=settings)


def git_revision_files(spec: str, studies_path: str | os.PathLike, folder: str | os.PathLike) -> tuple:
    """Write the studies file at two git revisions into ``folder``.

    ``spec`` is ``A..B`` (two revisions), ``A..`` or ``A`` (revision A against the working file).
    Returns ``(old_path, new_path, old_name, new_name)``.
    """
    import subprocess

    studies_path = Path(studies_path).resolve()
    if ".." in spec:
        a, b = spec.split("..", 1)
    else:
        a, b = spec, ""
    if not a:
        raise LivingError(f"--rev {spec!r}: give a revision before '..' (e.g. HEAD~1..HEAD)")
    try:
        top = subprocess.run(["git", "-C", str(studies_path.parent), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise LivingError(f"{studies_path} is not inside a git repository; --rev needs one") from None
    rel = studies_path.relative_to(Path(top).resolve()).as_posix()

    def show(rev):
        proc = subprocess.run(["git", "-C", top, "show", f"{rev}:{rel}"], capture_output=True)
        if proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip().splitlines()
            raise LivingError(f"cannot read {rel} at revision {rev!r}: {msg[-1] if msg else 'git show failed'}")
        return proc.stdout

    out = []
    for i, rev in enumerate((a, b)):
        if rev:
            p = Path(folder) / f"{'old' if i == 0 else 'new'}-studies.yaml"
            p.write_bytes(show(rev))
            out.append((p, f"{rel}@{rev}"))
        else:
            out.append((studies_path, f"{rel} (working tree)"))
    return out[0][0], out[1][0], out[0][1], out[1][1]


# ---------------------------------------------------------------------------------------------
# cumulative by year
# ---------------------------------------------------------------------------------------------


def cumulative_by_year(review, outcome: str = "pain", measure: str = "SMD", method: str = "REML",
                       test: str = "knha", r: float | None = None, level: float = 95,
                       exclude: Sequence[str] = ()):
    """Cumulative meta-analysis by publication year: one row after each year's studies.

    Studies without a year enter last (row ``year`` None). Each row is a fresh random-effects
    fit (``meta_analysis``) of every study published up to that year. Returns
    ``(frame, analysis)``; the frame has ``year, added, k, estimate, ci_low, ci_high, pi_low,
    pi_high, pvalue, tau2, i2``.
    """
    import math

    import pandas as pd

    from .models import meta_analysis

    analysis = review.analyse(outcome, measure=measure, method=method, test=test, by="none", exclude=exclude,
                              r=r, level=level)
    table = analysis.table
    if len(table) == 0:
        return pd.DataFrame(columns=["year", "added", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high",
                                     "pvalue", "tau2", "i2"]), analysis
    years = sorted({int(y) for y in table["year"].dropna()})
    groups = [(y, table[table["year"] == y]) for y in years]
    undated = table[table["year"].isna()]
    if len(undated):
        groups.append((None, undated))
    rows = []
    included = []
    import warnings

    for year, g in groups:
        included += list(g.index)
        sub = table.loc[included]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = meta_analysis(sub["yi"].to_numpy(), sub["vi"].to_numpy(), method=method, test=test, level=level,
                                labels=list(sub["label"]))
        rows.append({"year": year, "added": ", ".join(g["label"]), "k": res.k, "estimate": res.estimate,
                     "ci_low": res.ci_low, "ci_high": res.ci_high,
                     "pi_low": res.pi_low if res.k > 1 else math.nan, "pi_high": res.pi_high if res.k > 1 else math.nan,
                     "pvalue": res.pvalue, "tau2": res.tau2, "i2": res.i2})
    frame = pd.DataFrame(rows)
    frame.attrs.update(outcome=outcome, measure=measure, settings=analysis.settings)
    return frame, analysis
