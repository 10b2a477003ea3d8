"""Loading the project's scripts (docs/make_*.py, tests/baseline/*/make_baseline.py) as modules,
so that the tests call the same functions that write the pages and pins."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_script(path: Path) -> ModuleType:
    """The script at ``path``, imported under its file name (its ``main()`` is not run), with
    its folder importable as when Python runs it (a script's helpers sit beside it)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        if added:
            sys.path.remove(folder)
    return module
