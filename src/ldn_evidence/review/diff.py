"""What changed between two versions of a review's file: studies added, removed and changed
(field paths, old -> new) and, for every outcome, the pooled result before -> after, with a flag
when the conclusion changes.

Examples
--------
>>> import ldn_evidence as le
>>> review = le.load_studies()
>>> diff_reviews(review, review, outcomes=["pain"]).empty
True
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .._html import details, escape, table
from .._version import provenance
from ..errors import LivingError
from ..vocabulary import RATIO_MEASURES

__all__ = ["diff_reviews", "ReviewDiff", "git_revision_files"]


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
    if isinstance(v, (_dt.date, _dt.datetime)):
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
    o = analysis.overall
    if o is None:
        return None
    out = {}
    for f in _RESULT_FIELDS:
        v = getattr(o, f)
        v = int(v) if f == "k" else float(v)
        out[f] = None if isinstance(v, float) and not math.isfinite(v) else v
    return out


def _conclusion_flags(before: dict | None, after: dict | None, null: float = 0.0,
                      label: str = "the intervention") -> list[str]:
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
            return f"favours {label}" if s < 0 else "favours the comparator"
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
    old_hash: str | None = None
    new_hash: str | None = None

    @property
    def conclusion_changed(self) -> bool:
        return any(o["conclusion_changed"] for o in self.outcomes)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.review_changes)

    def changed_outcomes(self) -> list:
        """The outcomes whose pooled result differs between the two versions."""
        return [o for o in self.outcomes if o["before"] != o["after"]]

    def __repr__(self) -> str:
        return (f"<ReviewDiff {self.old_name} -> {self.new_name}: {len(self.added)} added, {len(self.removed)} "
                f"removed, {len(self.changed)} changed; conclusion changed: {'yes' if self.conclusion_changed else 'no'}>")

    def _repr_html_(self) -> str:
        """Jupyter: studies added, removed and changed, and each outcome's pooled result before -> after."""
        out = [f"<p>{escape(self.old_name)} &rarr; {escape(self.new_name)}: {len(self.added)} added, "
               f"{len(self.removed)} removed, {len(self.changed)} changed</p>"]
        out.append(details("added", (f"{s['id']} ({s['label']})" for s in self.added)))
        out.append(details("removed", (f"{s['id']} ({s['label']})" for s in self.removed)))
        for sid, changes in self.changed.items():
            out.append(details(f"{sid}: {len(changes)} fields", (f"{c['path']}: {c['old']!r} -> {c['new']!r}"
                                                                 for c in changes)))
        rows = [[o["outcome"], o["measure"], _fmt_result(o["before"], o["measure"]),
                 _fmt_result(o["after"], o["measure"]), "; ".join(o["flags"])] for o in self.outcomes]
        if rows:
            out.append(table(["outcome", "measure", "before", "after", "conclusion changed"], rows))
        return "".join(out)

    def to_dict(self, changed_only: bool = False) -> dict:
        """Plain JSON; ``changed_only`` leaves out the outcomes whose pooled result is unchanged."""
        return {"old": self.old_name, "new": self.new_name, "added": self.added, "removed": self.removed,
                "changed": self.changed, "review_changes": self.review_changes,
                "outcomes": self.changed_outcomes() if changed_only else self.outcomes,
                "settings": self.settings, "conclusion_changed": self.conclusion_changed,
                "provenance": {**provenance(self.new_hash), "old_studies_sha256": self.old_hash}}

    def to_text(self, max_value: int = 70, changed_only: bool = False) -> str:
        """The differences as text; ``changed_only`` lists only the outcomes whose pooled result
        changed (and says how many were unchanged)."""
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
        shown = self.changed_outcomes() if changed_only else self.outcomes
        if shown:
            lines.append("")
            lines.append(f"Pooled results ({self.settings}):")
        for o in shown:
            lines.append(f"  {o['outcome']} ({o['measure']}):")
            for label, r in (("before", o["before"]), ("after", o["after"])):
                lines.append(f"    {label:6s} {_fmt_result(r, o['measure'])}")
            if o["flags"]:
                lines.append(f"    ** conclusion changed: {'; '.join(o['flags'])}")
            elif o["before"] == o["after"]:
                lines.append("    (unchanged)")
        hidden = len(self.outcomes) - len(shown)
        if hidden:
            lines.append("")
            lines.append(f"{hidden} outcome{'s' if hidden != 1 else ''} with an unchanged pooled result not shown "
                         "(--changed-only)")
        return "\n".join(lines)


def _fmt_result(r: dict | None, measure: str = "") -> str:
    """One pooled result; ratio measures (RR, OR) back-transformed from the log scale."""
    if r is None:
        return "no poolable studies"
    ratio = measure in RATIO_MEASURES

    def f(x, d=2):
        if x is None:
            return "NA"
        return f"{math.exp(x) if ratio and d == 2 else x:.{d}f}"

    pi = "" if r["pi_low"] is None else f", PI [{f(r['pi_low'])}, {f(r['pi_high'])}]"
    return (f"k = {r['k']}: {f(r['estimate'])} [{f(r['ci_low'])}, {f(r['ci_high'])}]{pi}, "
            f"tau² = {f(r['tau2'], 3)}, I² = {f(r['i2'], 0)}%")


def diff_reviews(old, new, *, outcomes: Sequence[str] | None = None, measure: str = "SMD", method: str | None = None,
                 test: str | None = None, old_name: str = "old", new_name: str = "new") -> ReviewDiff:
    """Compare two :class:`ldn_evidence.review.Review` objects (study ids match records)."""
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
    protocol = new.protocol
    for outcome in outcomes or protocol.pooled_outcomes:
        spec = protocol.outcome(outcome)
        m = measure if spec is not None and spec.kind == "continuous" else (spec.measure if spec else measure)
        a = old.analyse(outcome, measure=m, method=method, test=test)
        b = new.analyse(outcome, measure=m, method=method, test=test)
        settings = b.settings.replace(", r = ", "; r = ")
        ra, rb = _result_dict(a), _result_dict(b)
        if ra is None and rb is None:
            continue
        flags = _conclusion_flags(ra, rb, label=protocol.intervention.label)
        results.append({"outcome": outcome, "measure": m, "before": ra, "after": rb, "flags": flags,
                        "conclusion_changed": bool(flags)})
    return ReviewDiff(old_name=old_name, new_name=new_name, added=added, removed=removed, changed=changed,
                      review_changes=review_changes, outcomes=results, settings=settings,
                      old_hash=getattr(old, "file_hash", None), new_hash=getattr(new, "file_hash", None))


def git_revision_files(spec: str, studies_path: str | os.PathLike, folder: str | os.PathLike) -> tuple:
    """Write the studies file at two git revisions into ``folder``.

    ``spec`` is ``A..B`` (two revisions), ``A..`` or ``A`` (revision A against the working file).
    Returns ``(old_path, new_path, old_name, new_name)``.
    """
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
