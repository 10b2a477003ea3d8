"""The result protocol (to_dict, to_frame, summary, a short __repr__, _repr_html_) of the
review-level results, as of the model results (tests/test_models_protocol.py): Analysis,
BayesAnalysis, SensitivityResult, TSAResult and GradeResult, on both bundled reviews."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import ldn_evidence as le
from ldn_evidence.review.grade import grade_review
from ldn_evidence.review.tsa import trial_sequential_analysis


def _results():
    ldn, bcg = le.load_studies(), le.load_studies("bcg")
    return {
        "Analysis": ldn.analyse("pain"),
        "Analysis(ratio)": ldn.analyse("adverse_events"),
        "Analysis(bcg)": bcg.analyse(),
        "BayesAnalysis": ldn.analyse("pain", model="bayes"),
        "SensitivityResult": ldn.sensitivity("adverse_events"),
        "TSAResult": trial_sequential_analysis(ldn, "pain", mird=0.2),
        "GradeResult": grade_review(ldn),
    }


RESULTS = _results()


@pytest.mark.parametrize("name", list(RESULTS))
def test_every_review_result_answers_the_protocol(name):
    r = RESULTS[name]
    json.dumps(r.to_dict(), allow_nan=False)                # plain, JSON-safe Python
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1
    text = r.summary()
    assert isinstance(text, str) and text.strip() and str(r) == text
    rep = repr(r)
    assert type(r).__name__ in rep and "\n" not in rep and len(rep) < 400, rep
    html = r._repr_html_()
    assert html.startswith("<") and "</" in html


def test_the_tables_are_the_results_they_print():
    a = RESULTS["Analysis"]
    overall = a.to_frame().set_index("group").loc["Overall"]
    assert overall["estimate"] == pytest.approx(a.overall.estimate, rel=1e-15)
    assert overall["k"] == a.overall.k
    s = RESULTS["SensitivityResult"]
    assert s.to_dict()["analyses"][0]["analysis"] == s.table["analysis"].iloc[0]
    assert len(s.to_dict()["analyses"]) == len(s.rows)
    t = RESULTS["TSAResult"]
    assert list(t.to_frame()["label"]) == list(t.steps["label"])
    g = RESULTS["GradeResult"]
    assert [o.spec.id for o in g.outcomes] == [row.split(" ")[0] for row in repr(g).split(": ", 1)[1].split(", ")]
