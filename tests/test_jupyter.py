"""What Jupyter shows: every result class has a one-line ``repr`` and a compact HTML table, and
the package's figures display inline without pyplot, with a ``show()`` that never raises."""
from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import ldn_evidence as le
from ldn_evidence.review.diff import diff_reviews
from ldn_evidence.review.tsa import trial_sequential_analysis

html5lib = pytest.importorskip("html5lib", reason="html5lib is in the test extras: pip install -e '.[test]'")


@pytest.fixture(scope="module")
def results():
    review = le.load_studies()
    a = review.analyse("pain")
    res = a.overall
    return {
        "Analysis": a, "Analysis (nothing pooled)": review.analyse("fatigue"), "MetaResult": res,
        "SensitivityResult": review.sensitivity("pain"), "TSAResult": trial_sequential_analysis(review, "pain"),
        "ReviewDiff": diff_reviews(review, review, outcomes=["pain"]),
        "SubgroupResult": le.subgroup_analysis(res.yi, res.vi, ["ab"[i % 2] for i in range(res.k)]),
        "MetaRegressionResult": le.meta_regression(res.yi, res.vi, [float(i) for i in range(res.k)]),
    }


@pytest.mark.parametrize("name", ["Analysis", "Analysis (nothing pooled)", "MetaResult", "SensitivityResult",
                                  "TSAResult", "ReviewDiff", "SubgroupResult", "MetaRegressionResult"])
def test_short_repr_and_compact_html(results, name):
    obj = results[name]
    text = repr(obj)
    assert "\n" not in text and len(text) < 300, text
    html = obj._repr_html_()
    parser = html5lib.HTMLParser()
    parser.parseFragment(html)
    assert parser.errors == []
    assert "<table" in html or "No poolable studies" in html
    assert len(html) < 6000


def test_analysis_html_names_what_was_not_pooled(results):
    a = results["Analysis"]
    html = a._repr_html_()
    assert a.not_pooled_rows and f"{len(a.not_pooled_rows)} not pooled" in html
    assert all(row["label"] in html for row in a.not_pooled_rows)
    assert "REML" in html and "Hartung-Knapp" in html


def test_figures_display_inline_without_pyplot():
    """IPython's formatter finds a PNG for our figures (a plain Figure only has its text repr),
    and pyplot is never imported."""
    pytest.importorskip("IPython")
    code = (
        "import sys\n"
        "from IPython.core.formatters import DisplayFormatter\n"
        "import ldn_evidence as le\n"
        "from matplotlib.figure import Figure\n"
        "fig = le.load_studies().analyse('pain').forest()\n"
        "ours, _ = DisplayFormatter().format(fig)\n"
        "plain, _ = DisplayFormatter().format(Figure())\n"
        "print(sorted(ours), sorted(plain), 'matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['image/png', 'text/plain'] ['text/plain'] False"


def test_show_never_raises_outside_a_notebook():
    fig = le.load_studies().analyse("pain").forest()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fig.show() is None
    assert "savefig" in str(caught[0].message)
    fig.show(warn=False)
