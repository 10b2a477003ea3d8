"""docs/review.ipynb runs from top to bottom in a Jupyter kernel, and what a reader sees there is
what it should be: tables as HTML, figures as inline images without ``%matplotlib inline``,
``fig.show()`` without an error, and a short text repr beside each rich one."""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extras: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extras: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel (the notebook's kernel) is in the test extras")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "review.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    folder = tmp_path_factory.mktemp("notebook")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                            allow_errors=False).execute()
    return nb, folder


def _outputs(nb, needle):
    cell = next(c for c in nb.cells if c.cell_type == "code" and needle in c.source)
    return cell.outputs


@pytest.mark.slow
def test_notebook_runs_and_shows_tables_and_figures(executed):
    nb, folder = executed
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    analysis = _outputs(nb, 'analysis = review.analyse("pain")')[0]["data"]
    assert "<table" in analysis["text/html"] and len(analysis["text/plain"]) < 300
    for needle in ("fig = analysis.forest()", "tsa.plot()"):
        data = _outputs(nb, needle)[0]["data"]
        assert "image/png" in data, needle
    shown = _outputs(nb, "fig.show()")
    assert [o for o in shown if "image/png" in o.get("data", {})]
    assert not [o for o in shown if o.get("name") == "stderr"]
    for needle in ('review.sensitivity("pain")', "tsa = trial_sequential_analysis", "diff_reviews(older"):
        data = _outputs(nb, needle)[0]["data"]
        assert "<table" in data["text/html"] and len(data["text/plain"]) < 300, needle
    assert (folder / "report" / "index.html").is_file()
