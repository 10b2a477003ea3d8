"""Regenerate every figure of README.md and docs/ (docs/img/*.png), and record what each was drawn from.

    python docs/make_figures.py            # run every figure script below, then write docs/img/figures.json
    python docs/make_figures.py --check    # exit 1 and name the stale figures (what tests/test_figures_current.py checks)

Each page keeps its own script (``SCRIPTS``: the script, the figures it writes and the studies
files they are drawn from); this one runs them all, each in a fresh process from the repository
root, and writes ``docs/img/figures.json``: for every figure the script that draws it, the
SHA-256 of that script, of each studies file it reads and of the PNG written, and the
ldn-evidence version. A figure is stale when a studies file, its script or the version has
changed since it was drawn, when the PNG is not the one recorded, or when its own metadata (the
``Comment`` a :class:`~ldn_evidence.plots._figure.ReviewFigure` stamps) names another studies
file. The check reads hashes only, so it is fast enough for every test run.

The report screenshot needs Debian's ``chromium``; without it that script is skipped (and said so)
and the screenshot stays as recorded, stale if the studies file has changed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IMG = HERE / "img"
MANIFEST = IMG / "figures.json"
LDN = "data/studies.yaml"
BCG = "data/reviews/bcg/studies.yaml"

#: script -> (the figures it writes in docs/img, the studies files they are drawn from)
SCRIPTS = {
    "make_review_figures.py": (["forest-pain.png", "forest-fiq.png", "forest-adverse_events.png",
                                "sensitivity-forest-pain.png", "forest-bcg-alloc.png"], [LDN, BCG]),
    "make_forest_example.py": (["forest_example.png", "forest_log_example.png"], []),
    "make_sensitivity_examples.py": (["sensitivity_funnel.png", "sensitivity_baujat.png",
                                      "sensitivity_influence.png", "sensitivity_leave_one_out.png",
                                      "sensitivity_cumulative.png", "sensitivity_gosh.png"], []),
    "make_living_examples.py": (["living_cumulative.png", "living_tsa.png", "living_prisma.png"], [LDN]),
    "make_certainty_page.py": (["rob-pain.png", "rob-all.png"], [LDN]),
    "make_bayes_examples.py": (["bayes-forest.png", "bayes-posteriors.png"], []),
    "make_bayes_review_examples.py": (["bayes-ldn-pain-forest.png", "bayes-ldn-pain-posterior.png",
                                       "bayes-ldn-fiq-posterior.png"], [LDN]),
    "make_reconcile_page.py": (["reconcile-pain.png"], [LDN]),
    "make_report_screenshot.py": (["report.png"], [LDN]),
}
NEEDS_CHROMIUM = {"make_report_screenshot.py"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version() -> str:
    from ldn_evidence import __version__

    return __version__


def expected(script: str) -> dict:
    """What a figure of ``script`` drawn now would record (all but the PNG's own hash)."""
    studies = SCRIPTS[script][1]
    return {"script": f"docs/{script}", "script_sha256": sha256(HERE / script),
            "studies_sha256": {s: sha256(ROOT / s) for s in studies}, "version": version()}


def record(script: str) -> dict:
    """The manifest entries of the figures ``script`` has just written."""
    base = expected(script)
    return {name: {**base, "png_sha256": sha256(IMG / name)} for name in SCRIPTS[script][0]}


def _png_comment(path: Path) -> str | None:
    from PIL import Image

    with Image.open(path) as im:
        return im.info.get("Comment")


def stale_figures() -> list[str]:
    """Every figure that ``python docs/make_figures.py`` would draw differently, with the reason."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}
    problems = []
    for script, (names, studies) in SCRIPTS.items():
        now = expected(script)
        for name in names:
            path, entry = IMG / name, manifest.get(name)
            if not path.exists() or entry is None:
                problems.append(f"docs/img/{name}: {'missing' if not path.exists() else 'not in figures.json'}")
                continue
            why = [what for what, key in (("its script changed", "script_sha256"), ("a studies file changed",
                                                                                    "studies_sha256"),
                                           ("the ldn-evidence version changed", "version"))
                   if entry.get(key) != now[key]]
            if entry.get("png_sha256") != sha256(path):
                why.append("the PNG is not the one figures.json records")
            comment = _png_comment(path)
            if comment and studies and not any(h in comment for h in now["studies_sha256"].values()):
                why.append("its metadata names another studies file")
            if why:
                problems.append(f"docs/img/{name} ({script}): " + "; ".join(why))
    return problems


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = stale_figures()
        for p in problems:
            print(f"stale: {p}", file=sys.stderr)
        if problems:
            print("run: python docs/make_figures.py", file=sys.stderr)
        return 1 if problems else 0
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}
    for script in SCRIPTS:
        if script in NEEDS_CHROMIUM and shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
            print(f"skipped docs/{script}: chromium is not installed (apt-get install chromium)", file=sys.stderr)
            continue
        print(f"$ python docs/{script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], cwd=ROOT, check=True)
        manifest.update(record(script))  # written after each script: a later failure keeps what is done
        MANIFEST.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
