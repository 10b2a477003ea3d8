"""Which earlier version of the studies file the page compares with ("what changed since").

``since`` is a file (another version of the studies file), a git revision, or None: the
previous version in git, i.e. the file as the last commit that changed it left it when the
working file differs from that, else as the commit before that one left it. When there is no
earlier version (the file is not in a git repository, not committed, or this is its first
version) the page says so in one line; an explicit ``since`` that cannot be read is an error.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     f = pathlib.Path(tmp, "studies.yaml")
...     _ = f.write_text("review: {}")
...     print(previous_version(f).reason)
the studies file is not in a git repository: there is no earlier version to compare with
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import LivingError, StudiesFileError
from ..review import load_studies
from ..review.diff import _fmt_result, diff_reviews
from .sections import Section

__all__ = ["Earlier", "previous_version", "earlier_version", "file_commit"]


@dataclass
class Earlier:
    """An earlier version of the studies file: its text (None when there is none), its name, and
    the reason when there is none."""

    text: bytes | None
    name: str
    reason: str | None = None


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True)


def _repository(path: Path) -> tuple[Path, str] | None:
    """(top folder, path relative to it) when ``path`` is inside a git work tree."""
    try:
        proc = _git(["rev-parse", "--show-toplevel"], path.parent)
    except FileNotFoundError:  # no git on this machine
        return None
    if proc.returncode != 0:
        return None
    top = Path(proc.stdout.decode().strip()).resolve()
    try:
        return top, path.resolve().relative_to(top).as_posix()
    except ValueError:
        return None


def _history(top: Path, rel: str, n: int = 2) -> list[tuple[str, str]]:
    """(commit, date) of the last ``n`` commits that changed ``rel``, newest first."""
    proc = _git(["log", f"-n{n}", "--format=%H %cs", "--", rel], top)
    if proc.returncode != 0:
        return []
    return [tuple(line.split(" ", 1)) for line in proc.stdout.decode().splitlines() if line.strip()]


def _show(top: Path, rev: str, rel: str) -> bytes | None:
    proc = _git(["show", f"{rev}:{rel}"], top)
    return proc.stdout if proc.returncode == 0 else None


def file_commit(path: str | os.PathLike) -> tuple[str, str] | None:
    """(commit, date) of the last commit that changed the file, or None outside git."""
    repo = _repository(Path(path))
    if repo is None:
        return None
    history = _history(*repo, n=1)
    return history[0] if history else None


def previous_version(path: str | os.PathLike) -> Earlier:
    """The previous version of the studies file in git (see the module docstring)."""
    path = Path(path)
    repo = _repository(path)
    if repo is None:
        return Earlier(None, "", "the studies file is not in a git repository: there is no earlier version to "
                                 "compare with")
    top, rel = repo
    history = _history(top, rel)
    if not history:
        return Earlier(None, "", f"{rel} has not been committed to git yet: there is no earlier version to "
                                 "compare with")
    current = path.read_bytes()
    (last, last_date), *older = history
    if _show(top, last, rel) != current:
        return Earlier(_show(top, last, rel), f"{rel} at {last[:10]} ({last_date}, the last commit)")
    if not older:
        return Earlier(None, "", f"this is the first version of {rel} in git (commit {last[:10]}, {last_date}): "
                                 "there is no earlier version to compare with")
    prev, prev_date = older[0]
    return Earlier(_show(top, prev, rel), f"{rel} at {prev[:10]} ({prev_date}, the previous commit that changed it)")


def earlier_version(path: str | os.PathLike, since: str | os.PathLike | None) -> Earlier:
    """The version to compare with: ``since`` as a file or a git revision, or the previous one."""
    if since is None:
        return previous_version(path)
    if Path(since).is_file():
        return Earlier(Path(since).read_bytes(), str(since))
    repo = _repository(Path(path))
    if repo is None:
        raise LivingError(f"--since {since}: no such file, and the studies file {path} is not in a git "
                          "repository, so it cannot be a git revision")
    top, rel = repo
    proc = _git(["show", f"{since}:{rel}"], top)
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise LivingError(f"--since {since}: no such file, and git cannot read {rel} at that revision"
                          f"{': ' + msg[-1] if msg else ''}")
    short = _git(["rev-parse", "--short", f"{since}^{{commit}}"], top).stdout.decode().strip()
    return Earlier(proc.stdout, f"{rel} at {since}" + (f" ({short})" if short and short != since else ""))


def _load_earlier(earlier: Earlier):
    """The earlier version as a Review (through a temporary file: the reader takes a path)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "earlier-studies.yaml"
        p.write_bytes(earlier.text)
        return load_studies(p)


def changes_section(review, earlier: Earlier, outcomes, strict: bool = False):
    """"What changed since": studies added, removed and changed (field by field) and every
    outcome's pooled result before -> after, from :func:`ldn_evidence.review.diff.diff_reviews`.

    ``strict`` (an explicit ``--since``): an earlier version that does not load is an error;
    otherwise the page says why there is no comparison.
    """
    title = "What changed since the previous version"
    if earlier.text is None:
        return Section("changes", title, "changes", {"since": None}, note=earlier.reason)
    try:
        old = _load_earlier(earlier)
    except StudiesFileError as exc:
        if strict:
            raise LivingError(f"--since: {earlier.name} does not load with this version ({len(exc.problems)} "
                              f"problems, first: {exc.problems[0]})") from None
        return Section("changes", title, "changes", {"since": earlier.name},
                       note=f"{earlier.name} does not load with this version ({len(exc.problems)} problems, first: "
                            f"{exc.problems[0]}); no comparison")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = diff_reviews(old, review, outcomes=outcomes, old_name=earlier.name, new_name=f"{review.path.name} (this page)")
    outcomes_rows = [{"outcome": o["outcome"], "measure": o["measure"], "before": _result_text(o["before"], o["measure"]),
                      "after": _result_text(o["after"], o["measure"]), "flags": o["flags"]} for o in d.outcomes]
    return Section("changes", title, "changes", {
        "since": earlier.name, "empty": d.empty, "added": d.added, "removed": d.removed,
        "changed": {sid: [{"path": c["path"], "old": _value(c["old"]), "new": _value(c["new"])} for c in ch]
                    for sid, ch in d.changed.items()},
        "review_changes": [{"path": c["path"], "old": _value(c["old"]), "new": _value(c["new"])}
                           for c in d.review_changes],
        "outcomes": outcomes_rows, "settings": d.settings, "conclusion_changed": d.conclusion_changed,
        "json": d.to_dict()})


def _value(v, limit: int = 160) -> str:
    s = "(absent)" if v is None else str(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _result_text(r, measure: str) -> str:
    return _fmt_result(r, measure)
