"""ldn-evidence add / diff / prisma / cumulative on temporary copies of the studies file."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldn_evidence.cli import main
from ldn_evidence.review.add import add_records
from ldn_evidence.review.by_year import cumulative_by_year
from ldn_evidence.records.duplicates import find_duplicates, normalise_title
from ldn_evidence.review.diff import _conclusion_flags, diff_reviews
from ldn_evidence.records import default_studies_path, dump_yaml
from ldn_evidence.records.yaml import parse_yaml as _parse
from ldn_evidence.review import load_studies

from test_living_durability import NEW_RECORD

# adverse events: Due Bruun 2024 is pooled there (its change-score pain SMD is set apart by default)
OUTCOMES = ("pain", "fiq", "symptom_severity", "adverse_events")


@pytest.fixture
def copy(tmp_path) -> Path:
    p = tmp_path / "studies.yaml"
    shutil.copyfile(default_studies_path(), p)
    return p


def _remove(path: Path, sid: str, record_to: Path) -> None:
    doc = _parse(path.read_text(encoding="utf-8"), str(path))
    seq = doc["studies"]
    i = [n["id"] for n in seq].index(sid)
    record_to.write_text("# re-added\n" + dump_yaml(seq[i]), encoding="utf-8")
    del seq[i]
    doc["review"].pop("published_analyses", None)  # they name studies: one they name cannot go alone
    path.write_text(dump_yaml(doc), encoding="utf-8")


def _without_published_analyses(path: Path) -> None:
    """The file without ``review.published_analyses``: they name studies by id, and a study they
    name cannot be removed alone (the file would then be refused)."""
    doc = _parse(path.read_text(encoding="utf-8"), str(path))
    del doc["review"]["published_analyses"]
    path.write_text(dump_yaml(doc), encoding="utf-8")


def _results(path):
    review = load_studies(path)
    out = {}
    for o in OUTCOMES:
        # every study contributes where it can: Due Bruun 2024's change-score SMD too (set apart by default)
        a = review.analyse(o, combine_change_final=True)
        out[o] = None if a.overall is None else a.overall.to_dict()
    return out


@pytest.mark.parametrize("sid", ["younger2013", "due_bruun2024", "rodriguezfreire_innova"])
def test_remove_and_add_back_reproduces_results(copy, tmp_path, sid):
    _without_published_analyses(copy)
    original = copy.read_text(encoding="utf-8")
    expected = _results(copy)
    rec = tmp_path / "rec.yaml"
    _remove(copy, sid, rec)
    removed = tmp_path / "removed.yaml"
    shutil.copyfile(copy, removed)
    assert _results(copy) != expected
    res = add_records(copy, rec)
    assert res.added == [sid]
    assert _results(copy) == expected
    # the file is the original plus the new record's comment, in the same place
    text = copy.read_text(encoding="utf-8")
    assert re.sub(r"(?m)^ *# re-added\n", "", text) == original
    d = diff_reviews(load_studies(removed), load_studies(copy), outcomes=OUTCOMES)
    assert [a["id"] for a in d.added] == [sid] and not d.removed and not d.changed
    assert any(o["before"] != o["after"] for o in d.outcomes)


def test_add_cli_dry_run_and_output(copy, tmp_path):
    rec = tmp_path / "rec.yaml"
    _remove(copy, "younger2013", rec)
    before = copy.read_bytes()
    r = CliRunner().invoke(main, ["--studies", str(copy), "add", str(rec), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "would add younger2013" in r.output and "dry run: nothing written" in r.output
    assert "pain:" in r.output and "before: pain, SMD" in r.output and "after:  pain, SMD" in r.output
    assert copy.read_bytes() == before
    r = CliRunner().invoke(main, ["--studies", str(copy), "add", str(rec)])
    assert r.exit_code == 0 and "added younger2013" in r.output
    r = CliRunner().invoke(main, ["--studies", str(copy), "add", str(rec)])
    assert r.exit_code == 2
    assert "rec.yaml:" in r.output and "existing study 'younger2013'" in r.output


def test_invalid_record_exit_2_with_location(copy, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(NEW_RECORD.replace("blinding: double", "blinding: dubble"), encoding="utf-8")
    before = copy.read_bytes()
    r = CliRunner().invoke(main, ["--studies", str(copy), "add", str(bad)])
    assert r.exit_code == 2
    assert "bad.yaml:10: study 'gamma2022': field 'blinding'" in r.output
    assert copy.read_bytes() == before


def test_order_and_comments(tmp_path, valid_text):
    studies = tmp_path / "s.yaml"
    studies.write_text(valid_text, encoding="utf-8")
    recs = tmp_path / "recs.yaml"
    first = textwrap.indent(NEW_RECORD, "  ").replace("  # a new trial", "# a new trial").replace("  id:", "- id:", 1)
    nodate = (NEW_RECORD.replace("gamma2022", "aaa_undated").replace("year: 2022\n", "short_label: Undated\n")
              .replace("10.1000/gamma.2022", "10.1000/undated").replace("A second randomized", "An undated")
              .replace("line_of_therapy: add_on", "line_of_therapy: add_on\nmissing: [publication year]"))
    second = textwrap.indent(nodate, "  ").replace("  # a new trial (comment kept)\n", "").replace("  id:", "- id:", 1)
    recs.write_text(first + second, encoding="utf-8")
    add_records(studies, recs)
    review = load_studies(studies)
    assert [s.id for s in review.studies] == ["alpha2020", "beta2021", "gamma2022", "aaa_undated"]
    text = studies.read_text(encoding="utf-8")
    assert "# a comment that must survive a save" in text and "# second study" in text
    assert "    # a new trial (comment kept)\n" in text or "  # a new trial (comment kept)\n" in text


def test_duplicate_rules(tmp_path):
    review = load_studies()
    y13 = review["younger2013"]
    assert find_duplicates([y13], y13)
    other = y13.model_copy(deep=True)
    other.id, other.doi, other.pmid, other.pmcid, other.registration = "x2013", None, None, None, None
    # same year, title with different case and punctuation -> duplicate
    other.citation = other.citation.model_copy(update={"title": y13.citation.title.upper().replace(",", "")})
    probs = find_duplicates([y13], other)
    assert [p.field for p in probs] == ["citation.title"] and "younger2013" in probs[0].message
    # different year -> not a duplicate
    other.citation = other.citation.model_copy(update={"year": 2019})
    assert find_duplicates([y13], other) == []
    assert normalise_title("Low-Dose  Naltrexone: Á pilot") == "low dose naltrexone a pilot"


def test_conclusion_flags():
    base = {"k": 3, "estimate": -0.3, "ci_low": -0.6, "ci_high": -0.05, "pi_low": None, "pi_high": None,
            "tau2": 0, "i2": 0, "pvalue": 0.02}
    crossing = dict(base, ci_high=0.1)
    flipped = dict(base, estimate=0.1, ci_low=-0.2, ci_high=0.4)
    assert _conclusion_flags(base, crossing) == ["CI now crosses the null"]
    assert _conclusion_flags(crossing, base) == ["CI now excludes the null"]
    assert "direction flipped (favours LDN -> favours the comparator)" in _conclusion_flags(base, flipped, label="LDN")
    assert _conclusion_flags(base, base) == []
    assert _conclusion_flags(None, base) == ["newly poolable"]


def test_diff_fields_and_json(copy, tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(copy.read_text(encoding="utf-8").replace("n_analysed: 10\n", "n_analysed: 9\n", 1),
                   encoding="utf-8")
    r = CliRunner().invoke(main, ["diff", str(copy), str(new), "--format", "json", "--outcome", "pain"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["changed"] == {"younger2009": [{"path": "population.n_analysed", "change": "changed", "old": 10,
                                             "new": 9}]}
    assert d["outcomes"][0]["outcome"] == "pain" and d["conclusion_changed"] is False
    r = CliRunner().invoke(main, ["diff", str(copy), str(new)])
    assert "population.n_analysed: 10 -> 9" in r.output


def test_diff_changed_only(copy, tmp_path):
    """--changed-only lists the outcomes whose pooled result moved and says how many did not."""
    new = tmp_path / "new.yaml"
    new.write_text(copy.read_text(encoding="utf-8").replace("n_analysed: 10\n", "n_analysed: 9\n", 1),
                   encoding="utf-8")
    args = ["diff", str(copy), str(new), "--outcome", "pain", "--outcome", "fiq"]
    full = CliRunner().invoke(main, args)
    only = CliRunner().invoke(main, args + ["--changed-only"])
    assert full.exit_code == only.exit_code == 0, only.output
    assert full.output.count("(unchanged)") == 2 and "Pooled results" in full.output
    assert "(unchanged)" not in only.output and "Pooled results" not in only.output
    assert "2 outcomes with an unchanged pooled result not shown (--changed-only)" in only.output
    assert "population.n_analysed: 10 -> 9" in only.output               # field changes still listed
    d = json.loads(CliRunner().invoke(main, args + ["--changed-only", "--format", "json"]).output)
    assert d["outcomes"] == [] and d["changed"]
    # an outcome that did change stays listed
    review = load_studies(copy)
    b = dict(json.loads(CliRunner().invoke(main, ["diff", str(copy), str(new), "--format", "json"]).output))
    moved = [o["outcome"] for o in b["outcomes"] if o["before"] != o["after"]]
    d = diff_reviews(review, load_studies(new))
    assert [o["outcome"] for o in d.to_dict(changed_only=True)["outcomes"]] == moved


def test_diff_rev(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not available")
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    f = repo / "data" / "studies.yaml"
    shutil.copyfile(default_studies_path(), f)

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    rec = tmp_path / "rec.yaml"
    _remove(f, "due_bruun2024", rec)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "two")
    r = CliRunner().invoke(main, ["--studies", str(f), "diff", "--rev", "HEAD~1..HEAD", "--outcome", "pain"])
    assert r.exit_code == 0, r.output
    assert "- removed due_bruun2024" in r.output and "data/studies.yaml@HEAD~1" in r.output
    r = CliRunner().invoke(main, ["--studies", str(f), "diff", "--rev", "nope..HEAD"])
    assert r.exit_code == 2 and "cannot read data/studies.yaml at revision 'nope'" in r.output


def test_cumulative_by_year(copy, tmp_path):
    review = load_studies(copy)
    frame, analysis = cumulative_by_year(review, "pain")
    assert list(frame["k"]) == sorted(frame["k"]) and frame["k"].iloc[-1] == analysis.overall.k
    assert frame["estimate"].iloc[-1] == pytest.approx(analysis.overall.estimate)
    assert frame["year"].iloc[-1] is None or frame["k"].iloc[-1] == len(analysis.table)
    out = tmp_path / "cum.png"
    r = CliRunner().invoke(main, ["--studies", str(copy), "cumulative", "-o", str(out)])
    assert r.exit_code == 0 and out.exists() and "Cumulative meta-analysis of pain" in r.output
    from ldn_evidence.plots._layout import overlapping_texts, texts_outside
    from ldn_evidence.plots.cumulative_year import cumulative_forest

    fig = cumulative_forest(frame, footnote="x " * 200)
    assert not overlapping_texts(fig) and not texts_outside(fig)
    # the footer is whole: every word of it drawn, inside the canvas, in PNG and in SVG
    for fmt in ("png", "svg"):
        out = tmp_path / f"cum-long.{fmt}"
        fig.savefig(out)
        assert out.stat().st_size > 0
    words = " ".join(t.get_text() for t in fig.texts if t.get_gid() == "footnote").split()
    assert words == ["x"] * 200
    svg = (tmp_path / "cum-long.svg").read_text(encoding="utf-8")
    assert svg.count(">x x x") >= 1 or svg.count("x x x") >= 1


@pytest.mark.parametrize("prisma", [None, {"identified_databases": 1234, "identified_registers": 12,
                                           "duplicates_removed": 300, "screened": 946,
                                           "excluded_full_text": {"wrong population": 20, "dose above 6 mg": 3},
                                           "included_studies": 15}])
def test_prisma_unknowns_and_no_overlap(prisma):
    from ldn_evidence.plots._layout import overlapping_texts, texts_outside
    from ldn_evidence.plots.prisma import prisma_flow

    fig = prisma_flow(prisma, note="a long note " * 30)
    texts = [t.get_text() for t in fig.texts]
    assert not overlapping_texts(fig) and not texts_outside(fig)
    joined = "\n".join(texts)
    if prisma is None:
        assert joined.count("n = ?") == 10
    else:
        assert "Databases (n = 1,234)" in joined and "Other sources (n = ?)" in joined
        assert "Records excluded (n = ?)" in joined and "wrong population (n = 20)" in joined


def test_prisma_cli(copy, tmp_path):
    out = tmp_path / "p.png"
    r = CliRunner().invoke(main, ["--studies", str(copy), "prisma", "-o", str(out)])
    assert r.exit_code == 0 and out.exists()
