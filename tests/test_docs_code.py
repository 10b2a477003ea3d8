"""Every ```python block of README.md and docs/*.md runs.

A page's blocks run in order in one namespace (a later block may use an earlier one's names), in
a temporary working folder, so that what a page writes (figures, a new review) lands there and
the repository stays clean. Blocks that are not meant to run are tagged for what they are
(``console``, ``yaml``, ``text``), never ``python``. Figures are closed after each page.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block of a Markdown page."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


PAGES_WITH_CODE = [p for p in PAGES if python_blocks(p)]


def test_the_pages_with_python_are_found():
    names = {p.name for p in PAGES_WITH_CODE}
    assert {"README.md", "engine.md", "review.md"} <= names


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[p.name for p in PAGES_WITH_CODE])
def test_every_python_block_runs(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__docs__"}
    try:
        for line, code in python_blocks(page):
            try:
                exec(compile(code, f"{page.relative_to(ROOT)}:{line}", "exec"), namespace)
            except Exception as exc:  # the page and line in the failure, not only the traceback
                pytest.fail(f"{page.relative_to(ROOT)}, the python block at line {line}: "
                            f"{type(exc).__name__}: {exc}")
    finally:
        plt.close("all")
