"""Starting a review (init), bringing extraction sheets in (import) and handing references and
effect sizes out (export), end to end on the command line in temporary folders."""
from __future__ import annotations

import csv
import io
import math
import textwrap

import pytest
from click.testing import CliRunner

import ldn_evidence as le
from ldn_evidence.cli import main
from ldn_evidence.effects import escalc

#: dat.bcg's first four trials (metadat; Colditz et al. 1994): tpos tneg cpos cneg ablat alloc
BCG4 = [("Aronson", 1948, 4, 119, 11, 128, 44, "random"), ("Ferguson & Simes", 1949, 6, 300, 29, 274, 55, "random"),
        ("Rosenthal et al", 1960, 3, 228, 11, 209, 42, "random"),
        ("Stein & Aronson", 1953, 180, 1361, 372, 1079, 44, "alternate")]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def _run(*args, ok=True):
        res = CliRunner().invoke(main, [str(a) for a in args])
        if ok:
            assert res.exit_code == 0, res.output
        return res
    return _run


def _csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# -------------------------------------------------------------------------------------- init


def test_init_add_forest_end_to_end(run, tmp_path):
    res = run("init", "my-review", "--title", "Drug X for condition Y")
    assert "wrote my-review/studies.yaml" in res.stdout and "next:" in res.stdout
    assert "ldn-evidence --studies my-review forest" in res.stdout
    path = tmp_path / "my-review" / "studies.yaml"
    text = path.read_text()
    assert text.count("#") > 20 and 'title: "Drug X for condition Y"' in text   # commented
    run("--studies", path, "validate")
    res = run("--studies", path, "forest")
    assert "wrote forest-events.png" in res.stdout and "k = 1" in res.stdout
    record = tmp_path / "new.yaml"
    record.write_text(textwrap.dedent("""\
        id: ferguson1949
        citation: {authors: [Ferguson, Simes], short_label: Ferguson & Simes 1949, year: 1949,
                   title: BCG vaccine trial 2 of Colditz et al. (1994)}
        no_identifier_reason: numbers as tabulated by Colditz et al. 1994 (DOI 10.1001/jama.1994.03510330076038)
        design: parallel_rct
        randomized: true
        blinding: unclear
        population: {}
        intervention: {}
        comparator: control
        outcomes:
          - outcome: events
            timepoint: end of follow-up
            contrast: treatment_vs_control
            data:
              - form: events
                arms: [{arm: treatment, events: 6, n: 306}, {arm: control, events: 29, n: 303}]
                source: metadat dat.bcg, trial 2 (tpos 6, tneg 300, cpos 29, cneg 274)
        """))
    res = run("--studies", path, "add", record)
    assert "added ferguson1949" in res.stdout and "events:" in res.stdout
    res = run("--studies", path, "forest")
    assert "k = 2" in res.stdout
    review = le.load_studies(path)
    assert [s.id for s in review.studies] == ["example_aronson1948", "ferguson1949"]
    assert "# An example study" in path.read_text()                       # comments survive add


def test_init_never_overwrites(run, tmp_path):
    run("init", "r")
    before = (tmp_path / "r" / "studies.yaml").read_text()
    res = run("init", "r", ok=False)
    assert res.exit_code == 2 and "exists already" in res.stderr
    assert (tmp_path / "r" / "studies.yaml").read_text() == before


def test_environment_variable_selects_the_review(run, tmp_path, monkeypatch):
    run("init", "r")
    monkeypatch.setenv("LDN_EVIDENCE_STUDIES", str(tmp_path / "r" / "studies.yaml"))
    assert "Meta-analysis of events (RR)" in run("summary").stdout


# -------------------------------------------------------------------------------------- import


def test_import_events_into_a_new_review_reproduces_escalc(run, tmp_path):
    sheet = _csv(tmp_path / "bcg.csv", ["study", "year", "ai", "bi", "ci", "di", "ablat", "alloc"], BCG4)
    res = run("import", sheet, "--outcome", "tb", "-o", tmp_path / "bcg" / "studies.yaml", "--moderator", "ablat",
              "--moderator", "alloc", "--title", "BCG", "--outcome-name", "tuberculosis")
    assert "imported 4 record(s) from 4 row(s) into a new review" in res.stdout
    review = le.load_studies(tmp_path / "bcg")
    assert review.protocol.outcome("tb").kind == "binary" and review.protocol.outcome("tb").measure == "RR"
    assert [m.kind for m in review.protocol.moderators] == ["numeric", "categorical"]
    es = review.effect_sizes("tb")
    ref = escalc("RR", ai=[r[2] for r in BCG4], bi=[r[3] for r in BCG4], ci=[r[4] for r in BCG4],
                 di=[r[5] for r in BCG4])
    got = es.set_index("label").loc[[f"{r[0]} {r[1]}" for r in BCG4]]
    assert got["yi"].tolist() == pytest.approx(ref["yi"].tolist(), rel=1e-12)
    assert got["vi"].tolist() == pytest.approx(ref["vi"].tolist(), rel=1e-12)
    assert all("extraction sheet bcg.csv, row" in s for s in es["source"])   # provenance: sheet and row
    assert review["aronson1948"].moderators == {"ablat": 44, "alloc": "random"}
    assert "n = events + non-events" in review["aronson1948"].outcomes[0].data[0].derivation


def test_import_into_an_existing_review_is_add(run, tmp_path):
    run("init", "r")
    path = tmp_path / "r" / "studies.yaml"
    sheet = _csv(tmp_path / "more.csv", ["study", "year", "ai", "n1i", "ci", "n2i", "doi", "source"],
                 [["Ferguson & Simes", 1949, 6, 306, 29, 303, "", "Colditz 1994 Table 1"]])
    res = run("import", sheet, "--outcome", "events", "-o", path, "--dry-run")
    assert "would import 1 record(s)" in res.stdout and "dry run: nothing written" in res.stdout
    assert len(le.load_studies(path)) == 1
    res = run("import", sheet, "--outcome", "events", "-o", path)
    assert "added fergusonsimes1949" in res.stdout and "before:" in res.stdout
    review = le.load_studies(path)
    assert len(review) == 2
    src = review["fergusonsimes1949"].outcomes[0].data[0].source
    assert src == "extraction sheet more.csv, row 2: Colditz 1994 Table 1"
    res = run("import", sheet, "--outcome", "events", "-o", path, ok=False)   # the same sheet again
    assert res.exit_code == 2 and f"{sheet}:2: study 'fergusonsimes1949': field 'id': id already used" in res.stderr


def test_import_means_and_reported_effects(run, tmp_path):
    means = _csv(tmp_path / "means.csv", ["study", "year", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "pmid"],
                 [["Doe", 2020, 4.1, 1.9, 19, 4.9, 2.1, 19, 12345678], ["Roe", 2021, 3.0, 2.0, 30, 3.5, 2.2, 31, ""]])
    run("import", means, "--outcome", "score", "-o", tmp_path / "m.yaml")
    es = le.load_studies(tmp_path / "m.yaml").effect_sizes("score")
    ref = escalc("SMD", m1i=[4.1, 3.0], sd1i=[1.9, 2.0], n1i=[19, 30], m2i=[4.9, 3.5], sd2i=[2.1, 2.2], n2i=[19, 31])
    assert es["yi"].tolist() == pytest.approx(ref["yi"].tolist(), rel=1e-12)
    assert le.load_studies(tmp_path / "m.yaml")["doe2020"].pmid == 12345678
    effects = _csv(tmp_path / "yi.csv", ["study", "year", "yi", "vi", "sei"],
                   [["Doe", 2020, -0.5, 0.04, ""], ["Roe", 2021, -0.2, "", 0.3]])
    run("import", effects, "--outcome", "hr", "--measure", "RR", "-o", tmp_path / "y.yaml")
    es = le.load_studies(tmp_path / "y.yaml").effect_sizes("hr")
    assert es["yi"].tolist() == [-0.5, -0.2] and es["vi"].tolist() == pytest.approx([0.04, 0.09])
    assert es["path"].tolist() == ["reported effect and variance"] * 2
    a = le.load_studies(tmp_path / "y.yaml").analyse("hr", method="EE", test="z")
    w = [1 / 0.04, 1 / 0.09]
    assert a.overall.estimate == pytest.approx((-0.5 * w[0] - 0.2 * w[1]) / sum(w), rel=1e-12)


def test_import_an_excel_workbook(run, tmp_path):
    import pandas as pd

    path = tmp_path / "sheet.xlsx"
    pd.DataFrame([r[:6] for r in BCG4], columns=["study", "year", "ai", "bi", "ci", "di"]).to_excel(path, index=False)
    run("import", path, "--outcome", "tb", "-o", tmp_path / "x.yaml")
    assert le.load_studies(tmp_path / "x.yaml").analyse("tb").k == 4


@pytest.mark.parametrize("header,rows,words", [
    (["year", "ai", "bi", "ci", "di"], [[1948, 4, 119, 11, 128]], [":1: field 'study': missing column"]),
    (["study", "year", "ai", "bi"], [["Aronson", 1948, 4, 119]], [":1: missing columns", "ai bi ci di"]),
    (["study", "year", "ai", "bi", "ci", "di"], [["Aronson", 1948, "four", 119, 11, 128]],
     [":2: study 'Aronson': field 'ai': 'four' is not a number"]),
    (["study", "year", "ai", "bi", "ci", "di"], [["Aronson", 1948, 4, 119, 11, 128], ["Ferguson", 1949, 6, "", "", ""]],
     [":3: study 'Ferguson': the row fits no form (has ai)", "ai n1i ci n2i"]),
    (["study", "year", "ai", "n1i", "ci", "n2i"], [["Aronson", 1948, 140, 123, 11, 139]],
     [":2: study 'Aronson': field 'ai': 140 events exceed the group's size 123"]),
    (["study", "year", "ai", "bi", "ci", "di", "latitude"], [["Aronson", 1948, 4, 119, 11, 128, 44]],
     [":1: field 'latitude': unknown column"]),
    (["study", "year", "ai", "bi", "ci", "di"], [["Aronson", 1948.5, 4, 119, 11, 128]],
     [":2: study 'Aronson': field 'year': '1948.5' is not a whole number"]),
    (["study", "year", "yi", "vi"], [["Aronson", 1948, -0.9, 0.3]], ["needs --measure"]),
    (["study", "year", "ai", "bi", "ci", "di", "design"], [["Aronson", 1948, 4, 119, 11, 128, "trial"]],
     [":2: study 'Aronson': field 'design': 'trial' is not a design"]),
])
def test_broken_sheets_are_refused_by_row_and_column(run, tmp_path, header, rows, words):
    sheet = _csv(tmp_path / "broken.csv", header, rows)
    res = run("import", sheet, "--outcome", "tb", "-o", tmp_path / "new.yaml", ok=False)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for w in words:
        assert w in res.stderr, res.stderr
    assert not (tmp_path / "new.yaml").exists()   # nothing written


def test_import_refuses_a_kind_that_does_not_fit_the_outcome(run, tmp_path):
    sheet = _csv(tmp_path / "e.csv", ["study", "year", "ai", "bi", "ci", "di"], [["Aronson", 1948, 4, 119, 11, 128]])
    res = run("--studies", "bcg", "import", sheet, "--outcome", "pain", "-o", tmp_path / "x.yaml", "--measure", "SMD",
              ok=False)
    assert res.exit_code == 2 and "event counts for a continuous outcome" in res.stderr


# -------------------------------------------------------------------------------------- export


def test_export_references_parse_back(run, tmp_path):
    import bibtexparser
    import rispy

    run("export", "--format", "ris", "-o", tmp_path / "refs.ris")
    entries = rispy.loads((tmp_path / "refs.ris").read_text())
    review = le.load_studies()
    assert [e["id"] for e in entries] == [s.id for s in review.studies]
    first = entries[0]
    s = review.studies[0]
    assert first["doi"] == s.doi and first["title"] == s.citation.title and first["year"] == str(s.citation.year)
    bib = bibtexparser.parse_string(run("export", "--format", "bibtex").stdout)
    assert [e.key for e in bib.entries] == [s.id for s in review.studies]
    assert bib.entries[0]["doi"] == s.doi


def test_export_csv_holds_every_effect_with_its_derivation(run):
    text = run("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    review = le.load_studies()
    expected = sum(len(review.effect_sizes(o)) for o in review.protocol.pooled_outcomes)
    assert len(rows) == expected
    pain = [r for r in rows if r["outcome"] == "pain" and r["study"] == "due_bruun2024"][0]
    ref = review.effect_sizes("pain").set_index("study").loc["due_bruun2024"]
    assert math.isclose(float(pain["yi"]), ref["yi"], rel_tol=1e-12) and pain["derivation"] == ref["derivation"]
    assert {r["recorded_as"] for r in rows if r["outcome"] == "fiq"} <= {"fiq", "fiqr"}
