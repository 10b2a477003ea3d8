"""The baseline-image check shared by the figure tests (matplotlib's own compare_images).

A test draws its figure under matplotlib's default style and compares the PNG with the one
committed under tests/baseline/; ``LDN_UPDATE_BASELINE=1`` rewrites the baseline instead.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


def assert_matches_baseline(draw: Callable, expected: Path, tmp_path: Path, tol: float = 5) -> None:
    """``draw()``'s figure, saved at 100 dpi, equals ``expected`` within ``tol`` (RMS, 0-255)."""
    import matplotlib.style
    from matplotlib.testing.compare import compare_images

    with matplotlib.style.context("default"):
        fig = draw()
        actual = tmp_path / expected.name
        fig.savefig(actual, dpi=100)
        if os.environ.get("LDN_UPDATE_BASELINE"):
            expected.parent.mkdir(exist_ok=True)
            fig.savefig(expected, dpi=100)
    assert expected.exists(), f"no baseline {expected}; run with LDN_UPDATE_BASELINE=1 (see the test module)"
    diff = compare_images(str(expected), str(actual), tol=tol)
    assert diff is None, diff
