"""Below 10 studies the funnel-plot methods are not assessable (Cochrane Handbook 13.3.5.4; issue 14
item 8): Egger's and Begg's tests, trim-and-fill and GOSH carry a caveat in their notes and
summaries, and ``ldn-evidence sensitivity`` marks them "not assessable (k < 10)" in its text and
JSON while still giving the numbers."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ldn_evidence.cli import main
from ldn_evidence.diagnostics import MIN_K_ASYMMETRY
from ldn_evidence.models import meta_analysis

Y = np.array([0.9, 0.7, 0.65, 0.5, 0.45, 0.4, 0.3, 0.35, 0.2, 0.55, 0.25])
V = np.array([0.30, 0.22, 0.18, 0.12, 0.09, 0.06, 0.03, 0.04, 0.02, 0.1, 0.05])


def _notes(res):
    return {"egger": res.egger_test().notes, "rank": res.rank_test().notes, "trimfill": res.trim_and_fill().notes,
            "gosh": res.gosh().attrs["notes"]}


@pytest.mark.parametrize("k", [3, 4, 9])
def test_below_ten_studies_every_funnel_method_says_not_assessable(k):
    res = meta_analysis(Y[:k], V[:k])
    for name, notes in _notes(res).items():
        caveat = [n for n in notes if n.startswith("not assessable (k < 10)")]
        assert len(caveat) == 1 and f"k = {k} studies" in caveat[0] and "13.3.5.4" in caveat[0], name
    assert "not assessable" in str(res.egger_test()) and "not assessable" in str(res.rank_test())
    assert "not assessable" in str(res.trim_and_fill())
    assert not res.egger_test().assessable and not res.trim_and_fill().assessable
    assert np.isfinite(res.egger_test().pvalue)                     # the numbers are still given


@pytest.mark.parametrize("k", [10, 11])
def test_from_ten_studies_on_there_is_no_caveat(k):
    assert MIN_K_ASYMMETRY == 10
    res = meta_analysis(Y[:k], V[:k])
    for name, notes in _notes(res).items():
        assert not any(n.startswith("not assessable") for n in notes), name
    assert res.egger_test().assessable and res.rank_test().assessable


def test_the_sensitivity_command_marks_them_in_text_and_json(tmp_path, monkeypatch):
    """The bundled pain analysis pools 4 studies."""
    monkeypatch.chdir(tmp_path)
    text = CliRunner().invoke(main, ["sensitivity"])
    assert text.exit_code == 0, text.output
    lines = {line.strip().split(":")[0]: line for line in text.stdout.splitlines() if ":" in line}
    for name in ("Egger's regression test", "Begg's rank correlation test", "trim-and-fill", "GOSH"):
        assert "not assessable (k < 10)" in lines[name], lines[name]
    assert "p = " in lines["Egger's regression test"] and "subsets" in lines["GOSH"]   # numbers still there
    assert "not assessable" not in lines["permutation test"]
    assert "Cochrane Handbook 13.3.5.4" in text.stdout
    data = json.loads(CliRunner().invoke(main, ["sensitivity", "--format", "json"]).stdout)["diagnostics"]
    for key in ("egger", "rank_test", "trim_and_fill", "gosh"):
        assert data[key]["assessable"] is False and data[key]["note"].startswith("not assessable (k < 10)"), key
    primary = json.loads(CliRunner().invoke(main, ["sensitivity", "--format", "json"]).stdout)["primary"]
    k = next(r["k"] for r in primary["results"] if r["group"] == "Overall")
    assert data["egger"]["pvalue"] is not None and data["gosh"]["subsets"] == 2 ** k - 1  # every subset of k
    assert "small_study_caveat" in data
