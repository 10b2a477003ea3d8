"""What a journal and an editor get from every figure: TrueType fonts embedded in PDF (no Type 3),
SVG text kept as <text>, the tool version and the studies file's SHA-256 in the metadata, the same
bytes for the same input, and nothing drawn outside the canvas.

Fonts are read from the PDF itself: the font descriptors of a PDF written with TrueType (Type 42)
fonts hold a ``/FontFile2`` stream, and a Type 3 font is a ``/Subtype /Type3`` dictionary (PDF 1.7,
ISO 32000-1, 9.6.5 and 9.8.4); both are plain (uncompressed) dictionaries in matplotlib's output.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

import ldn_evidence as le  # noqa: E402
from ldn_evidence._version import __version__  # noqa: E402
from ldn_evidence.plots import diagnostics as dg  # noqa: E402
from ldn_evidence.plots._figure import ReviewFigure  # noqa: E402
from ldn_evidence.plots._layout import describe, overlapping_texts, texts_outside  # noqa: E402
from ldn_evidence.plots.prisma import prisma_flow  # noqa: E402
from ldn_evidence.review.by_year import cumulative_by_year  # noqa: E402
from ldn_evidence.review.rob import rob_plot  # noqa: E402
from ldn_evidence.review.tsa import trial_sequential_analysis  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def review():
    return le.load_studies()


def _figures(review, names=None):
    """One of every kind of figure the package draws, from the bundled review (or those named)."""
    pain = review.analyse("pain")
    res = review.analyse("adverse_events", by="none").overall
    makers = {
        "forest": lambda: pain.forest(),
        "forest-ratio": lambda: review.analyse("adverse_events").forest(),
        "sensitivity-forest": lambda: review.sensitivity("adverse_events").forest(),
        "funnel": lambda: dg.funnel_plot(res, res.trim_and_fill(), xlabel="Risk ratio", log_scale=True),
        "baujat": lambda: dg.baujat_plot(pain.overall.baujat()),
        "influence": lambda: dg.influence_plot(pain.overall.influence(), pain.overall),
        "leave-one-out": lambda: dg.leave_one_out_plot(res.leave_one_out(), res, xlabel="Risk ratio",
                                                       log_scale=True),
        "cumulative": lambda: dg.cumulative_plot(cumulative_by_year(review, "pain")[0],
                                                 footnotes=["Each row pools every study up to that year. " * 4]),
        "gosh": lambda: dg.gosh_plot(pain.overall.gosh(), log_scale=False),
        "tsa": lambda: trial_sequential_analysis(review, "pain", mird=0.2).plot(),
        "prisma": lambda: prisma_flow(review.info.prisma),
        "rob": lambda: rob_plot(review, "pain"),
    }
    return {name: make() for name, make in makers.items() if names is None or name in names}


@pytest.fixture(scope="module")
def figures(review):
    return _figures(review)


def _bytes(fig, fmt):
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=100)
    return buf.getvalue()


def test_every_figure_is_a_review_figure_with_no_text_outside_or_overlapping(figures):
    for name, fig in figures.items():
        assert isinstance(fig, ReviewFigure), name
        assert not texts_outside(fig), f"{name}: text outside the canvas: " + describe(texts_outside(fig))
        clashes = overlapping_texts(fig)
        assert not clashes, f"{name}: overlapping text: " + " | ".join(describe(p) for p in clashes)


def test_pdf_embeds_truetype_fonts_never_type3(figures):
    for name, fig in figures.items():
        pdf = _bytes(fig, "pdf")
        assert b"/FontFile2" in pdf, f"{name}: no embedded TrueType font program"
        assert not re.search(rb"/Subtype\s*/Type3", pdf), f"{name}: a Type 3 font"


def test_svg_keeps_text_as_text(figures):
    for name, fig in figures.items():
        svg = _bytes(fig, "svg").decode("utf-8")
        texts = re.findall(r"<text\b", svg)
        assert texts, f"{name}: no <text> element"
        drawn = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
        assert len(texts) >= 0.9 * len(drawn) - 2, f"{name}: {len(texts)} <text> for {len(drawn)} texts"


def test_metadata_carries_version_and_studies_hash(figures, review):
    from PIL import Image

    digest = review.file_hash
    assert digest == hashlib.sha256(Path(review.path).read_bytes()).hexdigest()
    tool = f"ldn-evidence {__version__}"
    for name in ("forest", "forest-ratio", "sensitivity-forest", "tsa", "rob"):
        fig = figures[name]
        png = Image.open(io.BytesIO(_bytes(fig, "png")))
        assert png.text["Software"] == tool, name
        assert png.text["Comment"] == f"studies file sha256 {digest}", name
        pdf = _bytes(fig, "pdf")
        assert f"/Creator ({tool})".encode() in pdf, name
        assert f"/Subject (studies file sha256 {digest})".encode() in pdf, name
        svg = _bytes(fig, "svg").decode()
        assert f"<dc:description>studies file sha256 {digest}</dc:description>" in svg, name
        assert tool in svg, name
    # a figure drawn from plain data carries the version only
    pdf = _bytes(figures["funnel"], "pdf")
    assert f"/Creator ({tool})".encode() in pdf and b"studies file sha256" not in pdf


def test_no_creation_date(figures):
    fig = figures["forest"]
    assert b"/CreationDate" not in _bytes(fig, "pdf")
    assert "<dc:date>" not in _bytes(fig, "svg").decode()


_SCRIPT = """
import hashlib, io, sys
sys.path.insert(0, {tests!r})
import test_figure_output as t
import ldn_evidence as le
figs = t._figures(le.load_studies(), ("forest", "funnel", "influence", "tsa", "prisma"))
for name in sorted(figs):
    for fmt in ("svg", "pdf"):
        buf = io.BytesIO()
        figs[name].savefig(buf, format=fmt)
        print(name, fmt, hashlib.sha256(buf.getvalue()).hexdigest())
"""


def test_svg_and_pdf_are_identical_across_runs():
    """Two fresh interpreters (different hash seeds) write the same bytes for the same input."""
    code = _SCRIPT.format(tests=str(Path(__file__).parent))
    outs = []
    for seed in ("1", "2"):
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env.update(PYTHONPATH=str(SRC), PYTHONHASHSEED=seed, MPLBACKEND="Agg")
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == 10


def test_saving_leaves_the_callers_rcparams_alone(figures):
    before = (matplotlib.rcParams["pdf.fonttype"], matplotlib.rcParams["svg.fonttype"])
    _bytes(figures["forest"], "pdf")
    assert (matplotlib.rcParams["pdf.fonttype"], matplotlib.rcParams["svg.fonttype"]) == before


def test_json_outputs_carry_version_and_hash(review, tmp_path):
    from click.testing import CliRunner

    from ldn_evidence.cli import main

    digest = review.file_hash
    want = {"tool": "ldn-evidence", "version": __version__, "studies_sha256": digest}
    assert review.analyse("pain").to_dict()["provenance"] == want
    assert trial_sequential_analysis(review, "pain").to_dict()["provenance"] == want
    runner = CliRunner()
    for args in (["summary", "--format", "json"], ["sensitivity", "--outcome", "adverse_events", "--format", "json"],
                 ["cumulative", "--format", "json"], ["tsa", "--format", "json"]):
        r = runner.invoke(main, args)
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["provenance"] == want, args
    path = str(review.path)
    r = runner.invoke(main, ["diff", path, path, "--format", "json", "--outcome", "pain"])
    assert r.exit_code == 0, r.output
    prov = json.loads(r.output)["provenance"]
    assert prov["studies_sha256"] == prov["old_studies_sha256"] == digest


def test_cli_figures_carry_the_hash(review, tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from ldn_evidence.cli import main

    runner = CliRunner()
    for cmd, name in (("forest", "f.png"), ("cumulative", "c.png"), ("tsa", "t.png"), ("prisma", "p.png")):
        out = tmp_path / name
        r = runner.invoke(main, [cmd, "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert Image.open(out).text["Comment"] == f"studies file sha256 {review.file_hash}", cmd
    r = runner.invoke(main, ["sensitivity", "--outcome", "adverse_events", "--plot", str(tmp_path / "s"),
                             "--plot-format", "pdf"])
    assert r.exit_code == 0, r.output
    pdfs = sorted((tmp_path / "s").glob("*.pdf"))
    assert len(pdfs) == 7
    for p in pdfs:
        data = p.read_bytes()
        assert f"sha256 {review.file_hash}".encode() in data and b"/FontFile2" in data, p.name
    assert np.all([not re.search(rb"/Subtype\s*/Type3", p.read_bytes()) for p in pdfs])
