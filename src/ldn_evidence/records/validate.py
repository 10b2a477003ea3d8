r"""From pydantic's errors to problems a reviewer can act on: ``file:line: study: field: message``.

A pydantic error location (``studies[3].outcomes[0].data[1].sd``) is mapped back to the YAML
line of the deepest node it reaches, the study id and a dotted field path; file-level checks
that no single record can see (unique ids, DOIs and PMIDs) are added here.

Examples
--------
>>> from ldn_evidence.records.yaml import parse_yaml
>>> doc = parse_yaml("id: x2020\ncitation: {title: A trial}\n", "new.yaml")
>>> study, problems = validate_study(doc, "new.yaml")
>>> study is None, str(problems[0]).startswith("new.yaml:")
(True, True)
"""
from __future__ import annotations

import reprlib
from typing import Any

from pydantic import ValidationError

from ..errors import Problem
from .schema import DATA_FORMS, LocatedError, StudyRecord
from .yaml import line_of, plain

__all__ = ["validate_study", "file_checks", "field_path", "error_message", "error_loc", "short_repr"]


def field_path(loc: tuple, data: Any) -> str:
    parts: list[str] = []
    cur = data
    for part in loc:
        if isinstance(part, int) and isinstance(cur, list):
            parts[-1 if parts else 0:] = [f"{parts[-1] if parts else ''}[{part}]"]
            cur = cur[part] if 0 <= part < len(cur) else None
        elif isinstance(cur, dict) and part in cur:
            parts.append(str(part))
            cur = cur[part]
        elif isinstance(part, str) and not (isinstance(cur, dict) and "form" in cur and cur["form"] == part):
            parts.append(str(part))
            cur = None
    return ".".join(p for p in parts if p)


def short_repr(value: Any) -> str:
    """A value as a message may quote it: nested containers elided, long strings cut (a 4 MB
    value or a 900-deep list must not flood the terminal or exhaust the stack)."""
    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlist, r.maxdict = 2, 60, 60, 4, 4
    return r.repr(value)


def error_message(err: dict) -> str:
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (a typo?)"
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown data form {err.get('input', {}).get('form')!r}; expected one of " + ", ".join(
            repr(t) for t in DATA_FORMS)
    elif err["type"] == "literal_error":
        msg = f"{msg} (got {short_repr(err.get('input'))})"
    elif err["type"].endswith("_type"):
        msg = f"{msg} (got {short_repr(err.get('input'))})"
        if err["type"] == "date_type" and isinstance(err.get("input"), str):
            msg += "; write dates as YYYY-MM-DD, e.g. 2026-01-05"
    elif err["type"] == "finite_number":
        msg = f"must be a finite number, got {short_repr(err.get('input'))} (NaN and infinities are not data)"
    return msg


def error_loc(err: dict) -> tuple:
    """pydantic's location, extended by a :class:`LocatedError`'s own path below the model."""
    loc = tuple(err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, LocatedError):
        loc = loc + cause.loc
    return loc


def _kind(data: Any) -> str:
    if data is None:
        return "null (an empty entry)"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return f"a string ({short_repr(data)})"
    return f"{type(data).__name__} {short_repr(data)}"


def validate_study(node: Any, name: str, prefix: str = "",
                   line: int | None = None) -> tuple[StudyRecord | None, list[Problem]]:
    """One record validated; its problems located in ``name`` (``line``: where the record starts,
    for a record that is not a mapping and so has no lines of its own)."""
    data = plain(node)
    sid = data.get("id") if isinstance(data, dict) else None
    sid = sid if isinstance(sid, str) else None
    if not isinstance(data, dict):
        return None, [Problem(name, line, None, prefix.rstrip(".") or None,
                              f"a study must be a mapping of fields (id:, citation:, ...), got {_kind(data)}")]
    try:
        return StudyRecord.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = error_loc(err)
            field = field_path(loc, data) or None
            problems.append(Problem(name, line_of(node, loc), sid, field, error_message(err)))
        return None, problems


def file_checks(name: str, nodes: list, studies: list[StudyRecord | None]) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_keys: dict[tuple[str, str], str] = {}
    for i, (node, study) in enumerate(zip(nodes, studies)):
        line = node.lc.line + 1 if getattr(node, "lc", None) is not None else None
        sid = node.get("id") if isinstance(node, dict) else None
        if isinstance(sid, str):
            if sid in seen_ids:
                problems.append(Problem(name, line_of(node, ("id",)), sid, "id",
                                        f"duplicate study id (first used by study #{seen_ids[sid] + 1})"))
            else:
                seen_ids[sid] = i
        if study is None:
            continue
        for key in ("doi", "pmid"):
            value = getattr(study, key)
            if value is None:
                continue
            norm = (key, str(value).lower())
            if norm in seen_keys:
                problems.append(Problem(name, line_of(node, (key,)) or line, study.id, key,
                                        f"duplicate {key} {value} (also in study '{seen_keys[norm]}')"))
            else:
                seen_keys[norm] = study.id
    return problems

