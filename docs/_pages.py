"""What the docs' page scripts (make_evidence_table.py, make_certainty_page.py,
make_reconcile_page.py) share: writing a generated page, or with ``--check`` saying it is stale."""
from __future__ import annotations

import sys
from pathlib import Path


def page_check(page: Path, text: str, script: str) -> int:
    """0 when ``page`` holds ``text``; else 1, naming the script that rewrites it (on stderr)."""
    current = page.read_text(encoding="utf-8") if page.exists() else ""
    if current != text:
        print(f"{page} is stale; run: python docs/{script}", file=sys.stderr)
        return 1
    return 0
