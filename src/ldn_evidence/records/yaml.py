r"""All YAML of the package: parsing (fast and round-trip), locating nodes' lines, dumping, and
editing a round-trip tree in place so that comments, key order and quoting survive.

Why two parsers: libyaml (C, through PyYAML) reads a valid file about ten times faster than
ruamel.yaml's round-trip parser, and ruamel.yaml keeps comments, order and the line of every
node, which saving and error messages need. The libyaml loader here resolves scalars by the YAML
1.2 core schema (``yes`` is a string, ``012`` is decimal) with ruamel.yaml's own resolver patterns
and its construction rules, so the two never read a file differently; whatever the fast path is
not sure of (anchors, aliases, tags, merge keys, keys that are not strings, deep nesting, a value
it cannot construct) is left to the round-trip parser, which decides, with a line number.

What a studies file may not contain (refused by the round-trip parser with the line): anchors
and aliases (``&a``/``*a``: a nine-line "billion laughs" file would expand to gigabytes), merge
keys (``<<``), explicit tags (``!!str``, ``!python/...``), nesting deeper than :data:`MAX_DEPTH`
levels, and more than one document.

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
           "reindented_nodes", "blank_separated", "ensure_trailing_blank", "MAX_DEPTH"]

#: deepest nesting a studies file may have (the schema needs about 10 levels)
MAX_DEPTH = 64

_STRICT: dict = {}


def _strict_classes():
    """ruamel.yaml's composer and round-trip constructor, refusing what a studies file may not hold."""
    if _STRICT:
        return _STRICT["composer"], _STRICT["constructor"]
    from ruamel.yaml.composer import Composer, ComposerError
    from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.events import AliasEvent

    class StrictComposer(Composer):
        def compose_node(self, parent, index):
            event = self.parser.peek_event()
            if isinstance(event, AliasEvent):
                raise ComposerError(None, None, f"an alias (*{event.anchor}) is not allowed in a studies file; "
                                    "write the value out", event.start_mark)
            if event.anchor is not None:
                raise ComposerError(None, None, f"an anchor (&{event.anchor}) is not allowed in a studies file",
                                    event.start_mark)
            if getattr(event, "ctag", None) is not None:
                tag = str(event.ctag).replace("tag:yaml.org,2002:", "!!")
                raise ComposerError(None, None, f"a tag ({tag}) is not allowed in a studies file; write "
                                    "the plain value", event.start_mark)
            self._strict_depth = getattr(self, "_strict_depth", 0) + 1
            try:
                if self._strict_depth > MAX_DEPTH:
                    raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep (a studies file "
                                        "needs about 10)", event.start_mark)
                return super().compose_node(parent, index)
            finally:
                self._strict_depth -= 1

    def checked(construct):
        def wrapper(self, node):
            try:
                return construct(self, node)
            except MarkedYAMLError:
                raise
            except (ValueError, IndexError, TypeError, OverflowError, AttributeError) as exc:
                raise ConstructorError(None, None, f"cannot read the value {str(node.value)[:60]!r} ({exc})",
                                       node.start_mark) from None
        return wrapper

    class StrictConstructor(RoundTripConstructor):
        construct_yaml_int = checked(RoundTripConstructor.construct_yaml_int)
        construct_yaml_float = checked(RoundTripConstructor.construct_yaml_float)
        construct_yaml_timestamp = checked(RoundTripConstructor.construct_yaml_timestamp)
        construct_yaml_bool = checked(RoundTripConstructor.construct_yaml_bool)

        def flatten_mapping(self, node):
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise ConstructorError(None, None, "a merge key (<<) is not allowed in a studies file",
                                           key_node.start_mark)
            return super().flatten_mapping(node)

    for tag, name in (("tag:yaml.org,2002:int", "construct_yaml_int"),
                      ("tag:yaml.org,2002:float", "construct_yaml_float"),
                      ("tag:yaml.org,2002:timestamp", "construct_yaml_timestamp"),
                      ("tag:yaml.org,2002:bool", "construct_yaml_bool")):
        StrictConstructor.add_constructor(tag, getattr(StrictConstructor, name))
    _STRICT["composer"], _STRICT["constructor"] = StrictComposer, StrictConstructor
    return StrictComposer, StrictConstructor


def round_trip_yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.Composer, y.Constructor = _strict_classes()
    y.preserve_quotes = True
    y.allow_duplicate_keys = False
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y



def parse_yaml(text: str, name: str):
    """The round-trip tree of ``text``; :class:`StudiesFileError` with the line for anything the
    YAML or the rules above refuse."""
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
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise StudiesFileError([Problem(name, None, None, None, "malformed YAML: nested too deeply")]) from None
    except (YAMLError, ValueError, TypeError, IndexError) as exc:  # pragma: no cover - unmarked errors are rare
        raise StudiesFileError([Problem(name, None, None, None, f"malformed YAML: {str(exc)[:200]}")]) from None


def plain(node: Any) -> Any:
    """ruamel's commented containers and scalar subclasses -> plain Python values."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

    if isinstance(node, TaggedScalar):  # '=' and '<<' as values: implicitly tagged, plain strings
        return str(node.value)
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
    """A libyaml loader that reads scalars exactly as the round-trip parser does.

    PyYAML resolves YAML 1.1 (``yes``/``no``/``on``/``off`` are booleans, ``012`` is octal); the
    studies file is YAML 1.2, so the implicit resolvers are replaced by ruamel.yaml's own YAML 1.2
    patterns (taken from ruamel.yaml at run time, so the two cannot drift apart) and ints and
    floats are constructed by ruamel.yaml's rules (underscores, ``0o``/``0x``/``0b``, decimal
    ``012``). Merge keys and ``=`` are not resolved: a file using them goes to the round-trip
    parser (see :func:`fast_parse`). Duplicate keys are errors.
    """
    global _C_LOADER
    if _C_LOADER is not None:
        return _C_LOADER
    import yaml
    from ruamel.yaml.resolver import implicit_resolvers

    class _Loader(yaml.CSafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions and tag.rsplit(":", 1)[-1] in ("bool", "int", "float", "null", "timestamp"):
            _Loader.add_implicit_resolver(tag, regexp, first)

    def construct_int(loader, node):
        value = loader.construct_scalar(node).replace("_", "")
        sign = -1 if value[:1] == "-" else 1
        value = value[1:] if value[:1] in "+-" else value
        for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
            if value.startswith(prefix):
                return sign * int(value[2:], base)
        return sign * int(value, 10)

    def construct_float(loader, node):
        value = loader.construct_scalar(node).replace("_", "").lower()
        sign = -1 if value[:1] == "-" else 1
        value = value[1:] if value[:1] in "+-" else value
        if value == ".inf":
            return sign * float("inf")
        if value == ".nan":
            return float("nan")
        return sign * float(value)

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    _Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    _Loader.construct_mapping = construct_mapping
    _C_LOADER = _Loader
    return _Loader


#: what makes the fast path step aside. YAML allows node properties (an anchor ``&a``, a tag
#: ``!t``) and aliases (``*a``) only where a node starts: at the start of a line (after the
#: indentation), after a block indicator (``- ``, ``? ``, ``: ``, ``--- ``) or a flow indicator
#: (``[``, ``{``, ``,``), spaces between. So ``&``, ``*`` or ``!`` there, a ``<<`` there (a merge
#: key, also without its colon: ``{<<}`` is a flow mapping whose key is ``<<``), or a
#: directive (``%YAML 1.1`` would change how scalars read) sends the text to the round-trip
#: parser. Inside prose ("Sloan & Wyrwich", "p*q", "x!") they are not at a node start and the fast
#: path reads the file. A match inside a quoted or folded string is a false alarm, which costs
#: only speed; a property the pattern missed would be read silently, so the pattern errs that way.
_CAREFUL = re.compile(r"(?:^\ufeff?|[-?:\[{,])[ \t]*(?:[&*!]|<<)|^%", re.MULTILINE)


def _shape_is_plain(data: Any) -> bool:
    """Nesting within :data:`MAX_DEPTH`, only string keys, and no mapping or list reached twice
    (what an alias the pattern above had missed would make); checked without recursion."""
    stack = [(data, 1)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                return False
            seen.add(id(node))
        if isinstance(node, dict):
            if not all(isinstance(k, str) for k in node):
                return False
            if node and depth == MAX_DEPTH:
                return False  # its keys and values would be one level deeper
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            if node and depth == MAX_DEPTH:
                return False
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return True


def fast_parse(text: str) -> Any:
    """Parse with libyaml; None when libyaml is missing or the text is not plainly clean YAML
    (the round-trip parser then decides, and reports any problem with its line)."""
    if _CAREFUL.search(text):
        return None
    try:
        import yaml

        if not getattr(yaml, "__with_libyaml__", False):
            return None
        data = yaml.load(text, Loader=_c_loader())  # noqa: S506 - a SafeLoader subclass
    except Exception:  # noqa: BLE001 - any failure: fall back to the careful path
        return None
    return data if _shape_is_plain(data) else None



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

