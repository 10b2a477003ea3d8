"""Regenerate the figures shown in README.md, docs/review.md, docs/sensitivity.md (the sensitivity
forest) and docs/start_your_own_review.md from the bundled reviews.

    python docs/make_review_figures.py     (python docs/make_figures.py runs every figure script)
"""
from __future__ import annotations

from pathlib import Path

import ldn_evidence as le

HERE = Path(__file__).resolve().parent
IMG = HERE / "img"


def main() -> None:
    IMG.mkdir(exist_ok=True)
    review = le.load_studies()
    for outcome in ("pain", "fiq", "adverse_events"):
        analysis = review.analyse(outcome)
        fig = analysis.forest()
        out = IMG / f"forest-{outcome}.png"
        fig.savefig(out, dpi=100, pil_kwargs={"compress_level": 9})
        print(f"wrote {out.relative_to(HERE.parent)}: {analysis.one_line()}")
    out = IMG / "sensitivity-forest-pain.png"
    review.sensitivity("pain").forest().savefig(out, dpi=100, pil_kwargs={"compress_level": 9})
    print(f"wrote {out.relative_to(HERE.parent)}")
    analysis = le.load_studies("bcg").analyse(by="alloc")
    out = IMG / "forest-bcg-alloc.png"
    analysis.forest().savefig(out, dpi=100, pil_kwargs={"compress_level": 9})
    print(f"wrote {out.relative_to(HERE.parent)}: {analysis.one_line()}")


if __name__ == "__main__":
    main()
