"""``ldn-evidence report``: the review's static site, on the bundled review and on small ones.

What a reader relies on: the page parses as HTML5 without errors, loads nothing from the network,
every link inside the site resolves, every outcome has its section (also one with nothing to
pool), the numbers on the page and in the downloads are those of the Python API, "what changed"
compares with the right earlier version (or says why there is none), sections whose producer is
missing say so, and the build is the same in one process or two. The headless-browser check is
in test_report_browser.py.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import ldn_evidence as le
from ldn_evidence.cli import main
from ldn_evidence.report import review_outcomes, write_report

html5lib = pytest.importorskip("html5lib", reason="html5lib is in the test extras: pip install -e '.[test]'")

REPO = Path(__file__).resolve().parents[1]
NS = "{http://www.w3.org/1999/xhtml}"


def parse(text: str):
    """The page as an html5lib tree, and the parse errors (none expected)."""
    parser = html5lib.HTMLParser(namespaceHTMLElements=True)
    tree = parser.parse(text)
    return tree, parser.errors


@pytest.fixture(scope="module")
def page(ldn_site):
    site, _ = ldn_site
    return site.index.read_text(encoding="utf-8")


def test_page_is_valid_html5(page):
    tree, errors = parse(page)
    assert errors == []
    ids = [el.get("id") for el in tree.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "ids used twice: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1}))


def test_every_outcome_has_its_section(ldn_site, page):
    site, _ = ldn_site
    tree, _ = parse(page)
    ids = {el.get("id") for el in tree.iter() if el.get("id")}
    assert site.outcomes == review_outcomes(le.load_studies())
    for outcome in site.outcomes:
        assert f"outcome-{outcome}" in ids
    for section in ("glance", "changes", "protocol", "prisma", "studies", "rob", "sof", "outcomes", "reconcile",
                    "downloads"):
        assert section in ids


def test_page_loads_nothing_from_outside(page):
    """No element fetches anything (figures are inline SVG); only <a href> points outside."""
    tree, _ = parse(page)
    for el in tree.iter():
        tag = el.tag.replace(NS, "")
        for attr in ("src", "srcset", "data", "poster"):
            assert el.get(attr) is None, (tag, attr, el.get(attr))
        if tag == "link":
            pytest.fail(f"<link href={el.get('href')!r}> loads a resource")
        if tag == "script":
            pytest.fail("the page has a script")
    assert "@import" not in page and "url(http" not in page
    assert "Content-Security-Policy" in page


def test_links_inside_the_site_resolve(ldn_site, page):
    site, _ = ldn_site
    tree, _ = parse(page)
    ids = {el.get("id") for el in tree.iter() if el.get("id")}
    hrefs = [el.get("href") for el in tree.iter(f"{NS}a") if el.get("href")]
    internal = [h for h in hrefs if not h.startswith(("http://", "https://"))]
    assert len(internal) > 50
    for h in internal:
        if h.startswith("#"):
            assert h[1:] in ids, h
        else:
            assert (site.folder / h).is_file(), h
    external = [h for h in hrefs if h.startswith("https://doi.org/")]
    assert len(external) >= 10  # the studies' DOIs


def test_pooled_numbers_are_the_api_numbers(ldn_site, page):
    site, _ = ldn_site
    review = le.load_studies()
    a = review.analyse("pain")
    o = a.overall
    assert f"SMD {o.estimate:.2f} [{o.ci_low:.2f}, {o.ci_high:.2f}]" in page
    rows = list(csv.DictReader((site.folder / "data" / "pooled-results.csv").open(encoding="utf-8")))
    overall = [r for r in rows if r["outcome"] == "pain" and r["group"] == "Overall"]
    assert len(overall) == 1
    for key in ("estimate", "ci_low", "ci_high", "tau2", "i2", "pi_low", "pi_high"):
        assert float(overall[0][key]) == getattr(o, key)
    assert overall[0]["settings"] == a.settings


def test_effect_sizes_download_has_every_row_with_its_source(ldn_site):
    site, _ = ldn_site
    review = le.load_studies()
    rows = list(csv.DictReader((site.folder / "data" / "effect-sizes.csv").open(encoding="utf-8")))
    expected = 0
    for outcome in site.outcomes:
        a = review.analyse(outcome)
        expected += len(a.rows) + len(a.not_pooled_rows)
    assert len(rows) == expected
    assert all(r["source"] for r in rows if r["pooled"] == "True")
    assert all(r["reason"] for r in rows if r["pooled"] == "False")


def test_review_json_is_strict_json_with_the_page_identity(ldn_site):
    site, _ = ldn_site
    review = le.load_studies()

    def no_constants(name):
        raise AssertionError(f"{name} in JSON")

    doc = json.loads((site.folder / "data" / "review.json").read_text(encoding="utf-8"), parse_constant=no_constants)
    import hashlib
    assert doc["review"]["sha256"] == hashlib.sha256(review.path.read_bytes()).hexdigest()
    assert doc["review"]["tool_version"] == le.__version__
    assert set(doc["outcomes"]) == set(site.outcomes)
    pain = doc["outcomes"]["pain"]
    assert pain["analysis"]["results"][-1]["estimate"] == review.analyse("pain").overall.estimate
    assert (site.folder / "data" / "studies.yaml").read_bytes() == review.path.read_bytes()


def test_page_says_what_is_not_available(page):
    """A section whose producer is missing shows a note, never made-up content."""
    import importlib.util

    review = le.load_studies()
    producers = {"GRADE and the summary of findings": importlib.util.find_spec("ldn_evidence.review.sof") is not None,
                 "the reconciliation with published meta-analyses": hasattr(review, "reconcile"),
                 "the risk-of-bias figures": importlib.util.find_spec("ldn_evidence.review.rob") is not None,
                 "the review protocol": (getattr(review, "protocol", None) or getattr(review.info, "protocol", None))
                 is not None}
    for what, present in producers.items():
        assert (f"Not available in this version of ldn-evidence: {what}" in page) is not present, what


def test_summary_of_findings_and_risk_of_bias_come_from_the_api(page):
    grade = pytest.importorskip("ldn_evidence.review.grade", reason="GRADE is not in this version")
    from ldn_evidence.review.sof import sof_rows

    rows, _ = sof_rows(grade.grade_review(le.load_studies()))
    tree, _ = parse(page)
    sof = next(el for el in tree.iter() if el.get("id") == "sof")
    text = "".join(sof.itertext())
    for row in rows:
        assert row["certainty"] in text and row["statement"] in text
    assert 'aria-labelledby="rob-all--title"' in page


def test_progress_counts_every_step(ldn_site):
    _, steps = ldn_site
    totals = {t for _, _, t in steps}
    assert len(totals) == 1 and [d for _, d, _ in steps] == list(range(1, totals.pop() + 1))
    assert any(label == "outcome pain" for label, _, _ in steps)


# -- a small review, outside git, with an outcome that has nothing to pool ---------------------

SMALL_EXTRA = """\
  - id: gamma2022
    citation:
      authors: [Delta D]
      year: 2022
      title: A trial reported in words only
    doi: 10.1000/gamma.2022
    design: parallel_rct
    randomized: true
    blinding: double
    population: {n_randomized: 30, source: "DOI 10.1000/gamma.2022, abstract"}
    intervention: {dose_mg_per_day: 4.5, source: "DOI 10.1000/gamma.2022, abstract"}
    comparator: placebo
    line_of_therapy: add_on
    outcomes:
      - outcome: pain
        scale: {min: 0, max: 10, lower_is_better: true}
        timepoint: week 8
        contrast: ldn_vs_placebo
        data:
          - form: arm_means
            arms:
              - {arm: ldn, mean: 5.0, sd: 2.0, n: 15}
              - {arm: placebo, mean: 5.5, sd: 2.2, n: 15}
            source: DOI 10.1000/gamma.2022, Table 2
      - outcome: fatigue
        timepoint: week 8
        contrast: ldn_vs_placebo
        data:
          - form: text
            result: no difference in fatigue
            source: DOI 10.1000/gamma.2022, abstract
"""


@pytest.fixture
def small(tmp_path, valid_text):
    path = tmp_path / "review" / "studies.yaml"
    path.parent.mkdir()
    path.write_text(valid_text + SMALL_EXTRA, encoding="utf-8")
    return path


def test_small_review_outside_git(small, tmp_path):
    site = write_report(le.load_studies(small), tmp_path / "out")
    text = site.index.read_text(encoding="utf-8")
    assert parse(text)[1] == []
    assert "not in a git repository: there is no earlier version to compare with" in text
    assert 'id="outcome-fatigue"' in text and "Nothing is pooled for this outcome" in text
    assert "only a result in words" in text
    assert "Test review" in text and "alpha2020" in text


def test_since_a_file(small, tmp_path, valid_text):
    older = tmp_path / "older.yaml"
    older.write_text(valid_text, encoding="utf-8")
    site = write_report(le.load_studies(small), tmp_path / "out", since=older)
    text = site.index.read_text(encoding="utf-8")
    assert "Studies added" in text and 'href="#study-gamma2022"' in text
    data = json.loads((site.folder / "data" / "review.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in data["changes"]["added"]] == ["gamma2022"]


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_since_defaults_to_the_previous_commit(small, tmp_path, valid_text):
    repo = small.parent
    full = small.read_text(encoding="utf-8")
    small.write_text(valid_text, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "studies.yaml")
    _git(repo, "commit", "-qm", "first")
    first = write_report(le.load_studies(small), tmp_path / "one").index.read_text(encoding="utf-8")
    assert "this is the first version of studies.yaml in git" in first
    small.write_text(full, encoding="utf-8")
    uncommitted = write_report(le.load_studies(small), tmp_path / "two").index.read_text(encoding="utf-8")
    assert "the last commit)" in uncommitted and "Studies added" in uncommitted
    _git(repo, "commit", "-qam", "second")
    committed = write_report(le.load_studies(small), tmp_path / "three").index.read_text(encoding="utf-8")
    assert "the previous commit that changed it)" in committed and "Studies added" in committed
    by_rev = write_report(le.load_studies(small), tmp_path / "four", since="HEAD").index.read_text(encoding="utf-8")
    assert "no differences in the studies" in by_rev


def test_cli_writes_the_site_and_refuses_a_bad_since(small, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["--studies", str(small), "report", "-o", "site"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("wrote site/index.html") and (tmp_path / "site" / "data" / "review.json").is_file()
    bad = CliRunner().invoke(main, ["--studies", str(small), "report", "--since", "no-such-thing"])
    assert bad.exit_code == 2 and "--since no-such-thing" in bad.output and "Traceback" not in bad.output
    (tmp_path / "afile").write_text("x")
    clash = CliRunner().invoke(main, ["--studies", str(small), "report", "-o", "afile"])
    assert clash.exit_code == 2 and "is a file" in clash.output


def test_one_process_and_two_build_the_same_site(small, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    review = le.load_studies(small)
    assert review.analyse("pain").k == 2  # the worker runs pain's cumulative and sequential analyses
    a = write_report(review, tmp_path / "a", jobs=1)
    write_report(review, tmp_path / "b", jobs=2)
    for name in ["index.html"] + [f"data/{f.name}" for f in a.files]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert "2026-01-01" in a.index.read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux only")
def test_tasks_are_shared_by_two_processes_and_come_back_in_order():
    import os
    import time

    from ldn_evidence.report.schedule import run_shared

    def task(i):
        time.sleep(0.05)
        return i, os.getpid()

    seen = []
    out = run_shared([(f"t{i}", lambda i=i: task(i)) for i in range(8)], jobs=2, done=seen.append)
    assert list(out) == [f"t{i}" for i in range(8)] and [v[0] for v in out.values()] == list(range(8))
    pids = {v[1] for v in out.values()}
    assert len(pids) == 2 and os.getpid() in pids
    assert sorted(seen) == sorted(out) and out["t7"][1] == os.getpid()  # the last (lightest) stays here


def test_cli_is_quiet_on_stderr_when_not_a_terminal(small, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ldn_evidence.cli", "--studies", str(small), "report", "-o",
                           str(tmp_path / "s")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def _bundled_reviews() -> list[Path]:
    """Every review file under data/ but the LDN one (e.g. the BCG review)."""
    return sorted(p for p in (REPO / "data").rglob("*.yaml") if p != REPO / "data" / "studies.yaml")


@pytest.mark.parametrize("path", _bundled_reviews() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no second bundled review in data/ in this version (the BCG review comes with the protocol work)"))])
def test_report_on_every_other_bundled_review(path, tmp_path):
    site = write_report(le.load_studies(path), tmp_path / "site")
    text = site.index.read_text(encoding="utf-8")
    assert parse(text)[1] == []
    for outcome in site.outcomes:
        assert f'id="outcome-{outcome}"' in text


@pytest.mark.slow
def test_the_wheel_ships_the_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(REPO)], check=True)
    (wheel,) = tmp_path.glob("ldn_evidence-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (REPO / "src" / "ldn_evidence" / "report" / "templates").iterdir():
        assert f"ldn_evidence/report/templates/{template.name}" in names


def test_a_binary_outcome_has_its_sequential_analysis_on_its_own_scale():
    """The TSA of a binary outcome is Wetterslev's (relative risk reduction of the control risk),
    the same as `ldn-evidence tsa --outcome adverse_events`, not 'not available'."""
    from ldn_evidence.report.outcome import living_parts
    from ldn_evidence.review.tsa import trial_sequential_analysis

    review = le.load_studies()
    tsa = living_parts(review, "adverse_events")["tsa"]
    assert "svg" in tsa, tsa
    direct = trial_sequential_analysis(review, "adverse_events")
    assert tsa["json"]["measure"] == "RR" and tsa["conclusion"] == direct.conclusion
    assert tsa["json"]["ris"] == direct.ris.ris
    assert any("relative risk reduction 20%" in a for a in tsa["assumptions"])
    assert "an effect of 0.2" not in direct.conclusion   # a binary effect is named as a risk reduction
