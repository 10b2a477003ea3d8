r"""All YAML of the package: parsing (fast and round-trip), locating nodes' lines, dumping, and
editing a round-trip tree in place so that comments, key order and quoting survive.

Why two parsers: libyaml (C, through PyYAML) reads a valid file about ten times faster than
ruamel.yaml's round-trip parser, and ruamel.yaml keeps comments, order and the line of every
node, which saving and error messages need. The libyaml loader here resolves scalars by the YAML
1.2 core schema (``yes`` is a string, ``012`` is decimal), exactly as ruamel.yaml does, so the
two never read a file differently.

Examples
--------
>>> doc = parse_yaml("a: 1  # kept\nb: [x, y]\n", "example.yaml")
>>> plain(doc), line_of(doc, ("b",))
({'a': 1, 'b': ['x', 'y']}, 2)
>>> print(dump_yaml(doc), end="")
a: 1  # kept
b: [x, y]
"""
from __future__ import annotations

import datetime as _dt
import io
import re
from pathlib import Path
from typing import Any

from ..errors import Problem, StudiesFileError

__all__ = ["parse_yaml", "fast_parse", "plain", "line_of", "dump_yaml", "merge_node", "round_trip_yaml",
           "reindented_nodes", "blank_separated", "ensure_trailing_blank"]


def round_trip_yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.allow_duplicate_keys = False
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y



def parse_yaml(text: str, name: str):
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return round_trip_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc).splitlines()[0]
        if "duplicate key" in str(exc):
            key = re.search(r'found duplicate key "([^"]*)"', str(exc))
            what = f"duplicate key '{key.group(1)}'" if key else "duplicate key"
        raise StudiesFileError([Problem(name, line, None, None, f"malformed YAML: {what}")]) from None
    except YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise StudiesFileError([Problem(name, None, None, None, f"malformed YAML: {exc}")]) from None


def plain(node: Any) -> Any:
    """ruamel's commented containers and scalar subclasses -> plain Python values."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, (dict, CommentedMap)):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, (list, CommentedSeq)):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, _dt.datetime):
        return _dt.datetime(node.year, node.month, node.day, node.hour, node.minute, node.second,
                            node.microsecond, tzinfo=node.tzinfo)
    if isinstance(node, _dt.date):
        return _dt.date(node.year, node.month, node.day)
    return node


def line_of(node: Any, loc: tuple) -> int | None:
    """The 1-based line of the deepest YAML node reachable along a pydantic error location."""
    line = None
    cur = node
    for part in loc:
        lc = getattr(cur, "lc", None)
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            if lc is not None:
                try:
                    line = lc.key(part)[0] + 1
                except (KeyError, TypeError, AttributeError):
                    pass
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            if lc is not None:
                try:
                    line = lc.item(part)[0] + 1
                except (KeyError, TypeError, AttributeError, IndexError):
                    pass
            cur = cur[part]
        # other parts (union tags such as 'arm_means') do not appear in the YAML: skip them
    if line is None and getattr(node, "lc", None) is not None:
        line = node.lc.line + 1
    return line



_C_LOADER = None


def _c_loader():
    """A libyaml loader with YAML 1.2 core-schema scalars (as ruamel.yaml) and duplicate-key errors.

    PyYAML resolves YAML 1.1 (``yes``/``no``/``on``/``off`` are booleans, ``012`` is octal); the
    studies file is YAML 1.2, so the implicit resolvers are replaced by the 1.2 core schema's.
    """
    global _C_LOADER
    if _C_LOADER is not None:
        return _C_LOADER
    import yaml

    class _Loader(yaml.CSafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {}
    add = _Loader.add_implicit_resolver
    add("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    add("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$"),
        list("-+0123456789"))
    add("tag:yaml.org,2002:float", re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."))
    add("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    add("tag:yaml.org,2002:timestamp", re.compile(
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
        r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?"
        r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
        list("0123456789"))

    def construct_int(loader, node):
        value = loader.construct_scalar(node).replace("_", "")
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value, 10)

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    _Loader.construct_mapping = construct_mapping
    _C_LOADER = _Loader
    return _Loader


def fast_parse(text: str) -> Any:
    """Parse with libyaml; None when libyaml is missing or the text is not clean YAML (the
    round-trip parser then reports the problem with its line)."""
    try:
        import yaml

        if not getattr(yaml, "__with_libyaml__", False):
            return None
        return yaml.load(text, Loader=_c_loader())  # noqa: S506 - a SafeLoader subclass
    except Exception:  # noqa: BLE001 - any failure: fall back to the careful path
        return None



def merge_node(node: Any, data: Any) -> Any:
    """Update a round-trip node in place to equal ``data``, keeping comments and key order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(data, dict) and isinstance(node, CommentedMap):
        for key in [k for k in node if k not in data]:
            del node[key]
        for key, value in data.items():
            if key in node:
                merged = merge_node(node[key], value)
                if merged is not node[key]:
                    node[key] = merged
            else:
                node[key] = merge_node(None, value)
        return node
    if isinstance(data, list) and isinstance(node, CommentedSeq):
        for i, value in enumerate(data):
            if i < len(node):
                merged = merge_node(node[i], value)
                if merged is not node[i]:
                    node[i] = merged
            else:
                node.append(merge_node(None, value))
        del node[len(data):]
        return node
    if isinstance(data, dict):
        out = CommentedMap()
        for k, v in data.items():
            out[k] = merge_node(None, v)
        return out
    if isinstance(data, list):
        seq = CommentedSeq()
        seq.extend(merge_node(None, v) for v in data)
        return seq
    if node is not None and not isinstance(node, (dict, list)) and _same_scalar(plain(node), data):
        return node  # keep the scalar (and its quoting style) when its value is unchanged
    return data


def _same_scalar(old: Any, new: Any) -> bool:
    """Equal values: 6 and 6.0 (a float field read from ``6``), 10 and "10" (a volume)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return old == new or str(old) == str(new)



def dump_yaml(doc: Any) -> str:
    buf = io.StringIO()
    round_trip_yaml().dump(doc, buf)
    return buf.getvalue()



def reindented_nodes(record_path: Path, text: str, nodes: list) -> list:
    """The record nodes re-parsed from text indented as items of the ``studies:`` sequence, so
    that their comments land at the right columns; the file's leading comment goes with the
    first record. Falls back to the original nodes if anything does not match."""
    lines = text.splitlines()
    content = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
               and not line.startswith(("---", "%", "..."))]
    if not content:
        return nodes
    single = not isinstance(plain(nodes), list) and len(nodes) == 1 and not lines[content[0]].lstrip().startswith("- ")
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
        doc = parse_yaml(snippet, str(record_path))
        seq = doc["studies"]
        got = list(seq)
    except Exception:  # noqa: BLE001 - keep the original nodes
        return nodes
    if [plain(n) for n in got] != [plain(n) for n in nodes]:
        return nodes
    head = getattr(seq.ca, "comment", None)
    if head and len(head) > 1 and head[1] and got:
        first = got[0]
        first.ca.comment = [None, list(head[1])]
        seq.ca.comment = None
    return got


def blank_separated(doc) -> bool:
    """Whether the file separates studies with a blank line (checked on the dumped text)."""
    text = dump_yaml(doc)
    ids = re.findall(r"^  - id:", text, flags=re.M)
    gaps = re.findall(r"\n\n  - id:", text)
    return len(ids) > 1 and len(gaps) >= (len(ids) - 1) / 2


def ensure_trailing_blank(node) -> None:
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

