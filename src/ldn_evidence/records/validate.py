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

from typing import Any

from pydantic import ValidationError

from ..errors import Problem
from .schema import DATA_FORMS, StudyRecord
from .yaml import line_of, plain

__all__ = ["validate_study", "file_checks", "field_path", "error_message"]


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
        msg = f"{msg} (got {err.get('input')!r})"
    elif err["type"].endswith("_type"):
        msg = f"{msg} (got {err.get('input')!r})"
    return msg


def validate_study(node: Any, name: str, prefix: str = "") -> tuple[StudyRecord | None, list[Problem]]:
    data = plain(node)
    sid = data.get("id") if isinstance(data, dict) else None
    sid = sid if isinstance(sid, str) else None
    if not isinstance(data, dict):
        line = None
        return None, [Problem(name, line, None, prefix.rstrip(".") or None,
                              f"a study must be a mapping, got {type(data).__name__}")]
    try:
        return StudyRecord.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
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

