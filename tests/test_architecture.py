"""The layers of ../shared/design/architecture.md, checked: imports point down, never up, and
there is no import cycle.

records -> effects -> engine -> diagnostics -> models -> plots -> review -> report/cli, over
errors / vocabulary / _format at the bottom. Two checks:

* statically, every import in every module (at the top or inside a function) of a module of the
  package points to the same layer or a lower one, and the module graph has no cycle;
* dynamically, each module imported alone in a fresh interpreter loads no module of a higher
  layer (what a hidden upward import would do at run time).

The deprecated 0.1 paths (``ldn_evidence.living`` ...) forward to the new modules and sit above
every layer; ``ldn_evidence/__init__`` is the lazy facade over all of them.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ldn_evidence._deprecated import OLD_MODULES

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "ldn_evidence"

#: layer of each top-level name inside ldn_evidence (bottom = 0)
LAYERS = {
    "_version": 0, "errors": 0, "vocabulary": 0, "_format": 0, "_result": 0, "_html": 0, "_deprecated": 0,
    "records": 1,
    "effects": 2,
    "engine": 3,
    "diagnostics": 4,
    "models": 5,
    "plots": 6,
    "review": 7,
    "report": 8,
    "cli": 9,
}
FACADE = 10  # ldn_evidence/__init__ and the deprecated forwarding modules


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return FACADE
    top = parts[1]
    if top in OLD_MODULES:
        return FACADE
    return LAYERS[top]


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "__main__.py"}


def _type_checking_only(tree) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (imports for type checkers, never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for child in node.body:
                skip |= {id(n) for n in ast.walk(child)}
    return skip


def _imports(module: str, path: Path) -> set[str]:
    """Every ldn_evidence module ``module`` imports, wherever the import statement is (except under
    ``if TYPE_CHECKING:``, which never runs)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    known = set(_modules())
    found: set[str] = set()
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ldn_evidence")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("ldn_evidence"):
                continue
            for alias in node.names:  # `from . import designs` imports the module designs
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {m for m in found if m != module}


GRAPH = {m: _imports(m, p) for m, p in _modules().items()}


def test_every_module_is_in_a_layer():
    for module in GRAPH:
        _layer(module)  # KeyError names a module outside the layers


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    upward = sorted(t for t in GRAPH[module] if _layer(t) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports upward: {upward}"




def _cycles() -> list[tuple[str, ...]]:
    """The import cycles of the package: its strongly connected components of more than one module
    (Tarjan), each as a sorted tuple; the facade and the deprecated forwarders are left out."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def edges(m):
        return [] if _layer(m) == FACADE else sorted(t for t in GRAPH.get(m, ()) if _layer(t) != FACADE)

    def visit(m):
        index[m] = low[m] = len(index)
        stack.append(m)
        on_stack.add(m)
        for t in edges(m):
            if t not in index:
                visit(t)
                low[m] = min(low[m], low[t])
            elif t in on_stack:
                low[m] = min(low[m], index[t])
        if low[m] == index[m]:
            component = []
            while True:
                t = stack.pop()
                on_stack.discard(t)
                component.append(t)
                if t == m:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for m in sorted(GRAPH):
        if m not in index:
            visit(m)
    return found


def test_no_import_cycle():
    cycles = _cycles()
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    saved = dict(GRAPH)
    try:
        GRAPH["ldn_evidence.engine.zeroin"] = GRAPH["ldn_evidence.engine.zeroin"] | {"ldn_evidence.engine.batch"}
        assert any("ldn_evidence.engine.zeroin" in c and "ldn_evidence.engine.batch" in c for c in _cycles())
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def _loaded_alone(module: str) -> list[str]:
    code = (f"import json, sys, warnings; warnings.simplefilter('ignore'); import {module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ldn_evidence'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, f"{module} does not import on its own:\n{out.stderr}"
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_each_module_alone_loads_nothing_above_it():
    """Each module, imported alone in a fresh interpreter, loads only its own layer and below."""
    modules = [m for m in GRAPH if _layer(m) < FACADE]
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = dict(zip(modules, pool.map(_loaded_alone, modules)))
    problems = {}
    for module, names in loaded.items():
        above = [n for n in names if n != "ldn_evidence" and _layer(n) > _layer(module)]
        if above:
            problems[module] = above
    assert not problems, f"modules that load a higher layer when imported: {problems}"


def test_old_paths_still_work_with_a_warning():
    """0.1's module paths forward to the new modules for one release, with a DeprecationWarning."""
    code = ("import warnings, json\n"
            "out = {}\n"
            f"for name in {list(OLD_MODULES)!r}:\n"
            "    with warnings.catch_warnings(record=True) as caught:\n"
            "        warnings.simplefilter('always')\n"
            "        __import__('ldn_evidence.' + name)\n"
            "    out[name] = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]\n"
            "import ldn_evidence.effect_sizes as old, ldn_evidence.effects.measures as new\n"
            "from ldn_evidence.living import add_records\n"
            "from ldn_evidence.tsa import trial_sequential_analysis, group_sequential_boundaries\n"
            "out['same_module'] = old is new\n"
            "print(json.dumps(out))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result.pop("same_module") is True
    for name, messages in result.items():
        assert any("has moved to" in m and "0.3" in m for m in messages), name


def test_largest_functions_are_named_steps():
    """No function in src/ is longer than 120 lines (architecture.md)."""
    long = []
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 120:
                    long.append(f"{module}.{node.name} ({n} lines)")
    assert not long, "functions over 120 lines: " + ", ".join(sorted(long))


def test_every_name_a_module_exports_exists():
    """Each name in a module's ``__all__`` is one of its attributes (so ``from m import *`` and
    the API docs work; a stale entry is an AttributeError for the user)."""
    import importlib
    import warnings

    missing = {}
    for module in sorted(GRAPH):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            mod = importlib.import_module(module)
            gone = [name for name in getattr(mod, "__all__", ()) if not hasattr(mod, name)]
        if gone:
            missing[module] = gone
    assert not missing, f"__all__ names that do not exist: {missing}"
