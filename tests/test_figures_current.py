"""The figures of README.md and docs/ are current: drawn by docs/make_figures.py from today's studies
files, scripts and version (hashes only: no figure is drawn here)."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from project_scripts import load_script

from ldn_evidence.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _make_figures():
    return load_script(ROOT / "docs" / "make_figures.py")


def test_every_figure_shown_is_drawn_by_make_figures():
    shown = set()
    for page in [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")):
        shown |= set(re.findall(r"img/([\w.-]+\.png)", page.read_text(encoding="utf-8")))
    drawn = {name for names, _ in _make_figures().SCRIPTS.values() for name in names}
    assert shown - drawn == set(), "figures no script in docs/make_figures.py draws"
    assert drawn <= {p.name for p in (ROOT / "docs" / "img").glob("*.png")}


def test_no_figure_is_stale():
    problems = _make_figures().stale_figures()
    assert not problems, "stale figures; run python docs/make_figures.py:\n" + "\n".join(problems)


def test_living_page_names_the_prisma_boxes_that_show_n_unknown(tmp_path):
    res = CliRunner().invoke(main, ["prisma", "-o", str(tmp_path / "p.png")])
    assert res.exit_code == 0, res.output
    unknown = set(re.search(r"unknown \(n = \?\): (.*)", res.output).group(1).split(", "))
    page = (ROOT / "docs" / "living.md").read_text(encoding="utf-8")
    assert "identification or screening counts, so those boxes show `n = ?`" in page
    assert {"identified_databases", "screened", "excluded_screening"} <= unknown
    assert not unknown & {"full_text_assessed", "excluded_full_text", "included_studies"}
