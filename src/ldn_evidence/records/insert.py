r"""Inserting study records into a studies file's text, line by line, so that every line around
them stays where it was.

Why lines and not the round-trip tree: ruamel.yaml keeps a comment written above a sequence item
on whatever node precedes it (the last value of the previous study, the end of a flow list, the
sequence itself), so inserting a node into the tree leaves that comment above the *new* record.
Working on lines keeps each comment with the study below it, and leaves the rest of the file,
its quoting, spacing and line endings, exactly as it was. The caller reads the result back and
checks that it holds the old records plus the new ones; where this module cannot place the
lines (a flow-style ``studies: [...]`` list, an empty one, odd indentation) it returns None and
the caller falls back to the tree.

Examples
--------
>>> from ldn_evidence.records.yaml import parse_yaml
>>> text = "studies:\n  - id: a\n  # about c\n  - id: c\n"
>>> doc = parse_yaml(text, "s.yaml")
>>> print(insert_items(text, doc, {1: [["- id: b"]]}, blank=False), end="")
studies:
  - id: a
  - id: b
  # about c
  - id: c
"""
from __future__ import annotations

from typing import Any

__all__ = ["record_items", "insert_items", "blank_separated_text"]


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _is_marker(line: str) -> bool:
    return line.startswith(("---", "...", "%")) and not line.startswith("----")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _comment_start(lines: list[str], start: int, stop: int = 0) -> int:
    """The first line of the comment block directly above ``lines[start]`` (no blank line between)."""
    i = start
    while i > stop and _is_comment(lines[i - 1]):
        i -= 1
    return i


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _dedent(lines: list[str], col: int) -> list[str] | None:
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
        elif line[:col].strip() == "":
            out.append(line[col:])
        elif _is_comment(line):
            out.append(line.strip())
        else:
            return None
    return out


def record_items(text: str, nodes: Any) -> list[list[str]] | None:
    """The records of an ``add`` file as block sequence items (dash at column 0), one list of
    lines per record, each with the comments written above it (the file's header comment goes
    with the first). ``nodes`` is the parsed file: one mapping or a sequence. None when the
    file's layout is not plain block style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    lines = [line for line in text.split("\n") if not _is_marker(line)]
    content = [i for i, line in enumerate(lines) if line.strip() and not _is_comment(line)]
    if not content:
        return None
    if isinstance(nodes, CommentedMap):
        if nodes.fa.flow_style():
            return None
        first = content[0]
        col = _indent(lines[first])
        body = _dedent(lines[first:], col)
        if body is None:
            return None
        body = _trim(body)
        head = [line.strip() for line in lines[:first] if line.strip()]
        return [head + ["- " + body[0]] + [("  " + line) if line else "" for line in body[1:]]]
    if not isinstance(nodes, CommentedSeq) or nodes.fa.flow_style() or not len(nodes):
        return None
    starts = [nodes.lc.item(i)[0] for i in range(len(nodes))]
    dash = [lines[s].find("-") for s in starts]
    if any(d < 0 or lines[s][:d].strip() for s, d in zip(starts, dash)) or len(set(dash)) != 1:
        return None
    bounds = [0] + [_comment_start(lines, s) for s in starts[1:]] + [len(lines)]
    items = []
    for i in range(len(nodes)):
        chunk = _dedent(lines[bounds[i]:bounds[i + 1]], dash[0])
        if chunk is None:
            return None
        items.append(_trim(chunk))
    return items


def blank_separated_text(text: str, doc: Any) -> bool:
    """Whether most studies of the file are preceded by a blank line (or a blank line and their
    comment)."""
    seq = doc.get("studies") if hasattr(doc, "get") else None
    if seq is None or len(seq) < 2 or seq.fa.flow_style():
        return False
    lines = text.split("\n")
    gaps = 0
    for i in range(1, len(seq)):
        top = _comment_start(lines, seq.lc.item(i)[0])
        gaps += top > 0 and not lines[top - 1].strip()
    return gaps >= (len(seq) - 1) / 2


def _end_of_sequence(lines: list[str], doc: Any, last_item: int) -> int:
    """The line after the last study's last line of content."""
    keys = list(doc.keys())
    after = keys[keys.index("studies") + 1:] if "studies" in keys else []
    end = doc.lc.key(after[0])[0] if after else len(lines)
    while end - 1 > last_item and (not lines[end - 1].strip() or _is_comment(lines[end - 1])):
        end -= 1
    return end


def insert_items(text: str, doc: Any, items_at: dict[int, list[list[str]]], blank: bool) -> str | None:
    """``text`` with the record items of ``items_at`` (position among the existing studies ->
    the items that go before the study now there, in order; ``len(studies)`` appends) inserted as
    lines. The comment block directly above a study stays above it. None when the studies list is
    not a plain block sequence."""
    seq = doc.get("studies") if hasattr(doc, "get") else None
    if seq is None or not hasattr(seq, "lc") or not len(seq) or seq.fa.flow_style():
        return None
    lines = text.split("\n")
    starts = [seq.lc.item(i)[0] for i in range(len(seq))]
    dashes = {lines[s].find("-") for s in starts}
    if len(dashes) != 1 or min(dashes) < 0 or any(lines[s][:min(dashes)].strip() for s in starts):
        return None
    pad = " " * dashes.pop()
    for pos in sorted(items_at, reverse=True):
        block: list[str] = []
        items = [[pad + line if line else "" for line in item] for item in items_at[pos]]
        if pos < len(seq):
            at = _comment_start(lines, starts[pos], starts[pos - 1] + 1 if pos else 0)
            for item in items:
                block += item + ([""] if blank else [])
        else:
            at = _end_of_sequence(lines, doc, starts[-1])
            # a blank line already after the last study (not the end of the last line) separates
            # it from the first new one
            reuse = blank and at < len(lines) - 1 and not lines[at].strip()
            at += reuse
            for i, item in enumerate(items):
                block += ([""] if blank and (i or not reuse) else []) + item
        lines[at:at] = block
    return "\n".join(lines)
