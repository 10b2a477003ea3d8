"""Loading, saving and the Python API of the study records."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ldn_evidence as le
from ldn_evidence.records import StudiesFileError, study_json_schema

REPO = Path(__file__).resolve().parents[1]


def test_bundled_file_is_valid():
    assert le.validate_studies() == []
    review = le.load_studies()
    assert len(review) >= 3
    assert review.path.name == "studies.yaml"


def test_load_from_path_and_lookup(write, valid_text):
    review = le.load_studies(write(valid_text))
    assert [s.id for s in review] == ["alpha2020", "beta2021"]
    assert review["alpha2020"].population.n_randomized == 40
    assert review["alpha2020"].label == "Alpha 2020"
    with pytest.raises(KeyError, match="no study with id 'zeta'"):
        review["zeta"]


def test_to_frame_one_row_per_outcome(write, valid_text):
    frame = le.load_studies(write(valid_text)).to_frame()
    assert list(frame["study"]) == ["alpha2020", "beta2021"]
    assert frame.loc[0, "outcome"] == "pain" and frame.loc[0, "forms"] == "arm_means,mean_difference"
    assert frame.loc[0, "source"] == "DOI 10.1000/alpha.2020, Table 2"


def test_validate_returns_problems_with_location(write, valid_text):
    path = write(valid_text.replace("sd: 1.9", "sd: -1.9"))
    problems = le.validate_studies(path)
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.study, p.field) == (str(path), "alpha2020", "outcomes[0].data[0].arms[0].sd")
    assert p.line == valid_text.splitlines().index(
        next(line for line in valid_text.splitlines() if "sd: 1.9" in line)) + 1


def test_load_raises_with_every_problem(write, valid_text):
    with pytest.raises(StudiesFileError) as info:
        le.load_studies(write(valid_text.replace("sd: 1.9", "sd: -1").replace("year: 2021", "year: 1800")))
    assert len(info.value.problems) == 2


def test_untouched_save_is_byte_identical(write, valid_text, tmp_path):
    src = write(valid_text)
    out = tmp_path / "out.yaml"
    le.save_studies(le.load_studies(src), out)
    assert out.read_bytes() == src.read_bytes()


def test_bundled_file_round_trips_byte_identical(tmp_path):
    out = tmp_path / "studies.yaml"
    le.save_studies(le.load_studies(), out)
    assert out.read_bytes() == (REPO / "data" / "studies.yaml").read_bytes()


def test_edit_keeps_comments_and_order(write, valid_text):
    path = write(valid_text)
    review = le.load_studies(path)
    review["alpha2020"].notes = "Edited in Python."
    review["beta2021"].population.n_analysed = 10
    le.save_studies(review)
    text = path.read_text()
    assert "# a comment that must survive a save" in text
    assert "- id: beta2021  # second study" in text
    again = le.load_studies(path)
    assert again["alpha2020"].notes == "Edited in Python."
    assert again["beta2021"].population.n_analysed == 10
    keys = [line.split(":")[0].strip() for line in text.splitlines() if line.startswith("    ") and
            not line.startswith("     ")]
    assert keys.index("citation") < keys.index("doi") < keys.index("design") < keys.index("population")


def test_removing_and_appending_studies(write, valid_text):
    path = write(valid_text)
    review = le.load_studies(path)
    beta = review.studies.pop()
    le.save_studies(review)
    assert [s.id for s in le.load_studies(path)] == ["alpha2020"]
    review.studies.append(beta)
    le.save_studies(review)
    assert [s.id for s in le.load_studies(path)] == ["alpha2020", "beta2021"]


def test_save_refuses_invalid_records_and_leaves_file(write, valid_text):
    path = write(valid_text)
    before = path.read_bytes()
    review = le.load_studies(path)
    review["alpha2020"].population.n_analysed = 400  # more than randomized
    with pytest.raises(Exception):
        le.save_studies(review)
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_save_is_atomic_replace(write, valid_text, monkeypatch):
    path = write(valid_text)
    review = le.load_studies(path)
    review["alpha2020"].notes = "x"
    calls = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append((a, b)), real_replace(a, b)))
    le.save_studies(review)
    assert len(calls) == 1 and Path(calls[0][1]) == path and Path(calls[0][0]).parent == path.parent


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)


# Published numbers have a few decimals; ruamel.yaml does not promise shortest-repr round trips
# for floats like 7.5e-226, so the strategy draws values as papers report them.
_reported = st.integers(0, 10_000_000).map(lambda i: i / 10_000)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=_text, mean=_reported.map(lambda v: v % 10), sd=_reported,
       n=st.integers(0, 10_000), title=_text)
def test_save_load_keeps_everything(tmp_path, valid_text, notes, mean, sd, n, title):
    """Property: whatever a user sets through the API survives save -> load unchanged."""
    path = tmp_path / "prop.yaml"
    path.write_text(valid_text)
    review = le.load_studies(path)
    s = review["alpha2020"]
    s.notes = notes
    s.citation.title = title if len(title.strip()) >= 3 else "abc"
    s.outcomes[0].data[0].arms[0].mean = mean
    s.outcomes[0].data[0].arms[0].sd = sd
    s.population.n_enrolled = max(n, 40)
    s.population.n_randomized = max(n, 40)
    le.save_studies(review)
    again = le.load_studies(path)
    assert [x.model_dump() for x in again] == [x.model_dump() for x in review]
    assert "# a comment that must survive a save" in path.read_text()
    # and an untouched second save changes nothing
    before = path.read_bytes()
    le.save_studies(again)
    assert path.read_bytes() == before


def test_json_schema_lists_fields():
    schema = study_json_schema()
    assert schema["title"] == "ldn-evidence study record"
    for key in ("id", "citation", "design", "outcomes", "missing", "risk_of_bias"):
        assert key in schema["properties"]


def test_add_style_record_file_validates(write):
    record = """\
- id: gamma2025
  citation: {authors: [Delta D], year: 2025, title: A case report}
  pmid: 40000001
  design: case_report
  randomized: false
  blinding: open
  population: {n_enrolled: 1, sex: female, source: "PMID 40000001, abstract"}
  intervention: {dose_mg_per_day: 4.5, source: "PMID 40000001, abstract"}
  comparator: none
  line_of_therapy: refractory
"""
    assert le.validate_studies(write(record, "record.yaml")) == []


def test_public_names_resolve_lazily():
    code = ("import sys, ldn_evidence as le; assert 'pandas' not in sys.modules; "
            "assert 'ldn_evidence.records' not in sys.modules; le.validate_studies; "
            "assert 'ldn_evidence.records' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_installed_wheel_finds_bundled_studies(tmp_path):
    """Build the wheel, install it into a bare folder, and load the studies from there."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                   check=True)
    (wheel,) = wheels.glob("ldn_evidence-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True)
    code = ("import ldn_evidence as le, ldn_evidence.records as r; p = r.default_studies_path(); "
            "assert 'site' in str(p), p; assert 'site' in str(r.bundled_reviews()['bcg']); "
            "assert len(le.load_studies('bcg')) == 13; print(len(le.load_studies()))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert int(out.stdout) == len(le.load_studies())
    # `add` on this non-editable install must not write into site-packages (issue 13)
    from test_living_durability import NEW_RECORD

    installed = target / "ldn_evidence" / "data" / "studies.yaml"
    before = installed.read_bytes()
    rec = tmp_path / "rec.yaml"
    rec.write_text(NEW_RECORD, encoding="utf-8")
    add = subprocess.run([sys.executable, "-m", "ldn_evidence.cli", "add", str(rec)], capture_output=True,
                         text=True, env=env, cwd=tmp_path)
    assert add.returncode == 2, add.stderr
    assert "installed with the package" in add.stderr and "--studies" in add.stderr
    assert "Traceback" not in add.stderr and installed.read_bytes() == before


_SCALARS = """\
a: yes
b: no
c: on
d: 012
e: 1e3
f: 1.5e3
g: .inf
h: -.INF
i: .nan
j: 2026-11-25
k: 0o17
l: 0x1F
m: ~
n: null
o:
p: True
q: 1_000
r: 3.
s: +12
t: "quoted"
u: 2001-12-14t21:59:43.10-05:00
"""


def _same(a, b):
    import math

    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("text", [_SCALARS, (REPO / "data" / "studies.yaml").read_text()],
                         ids=["yaml-1.2-scalars", "bundled-studies"])
def test_fast_parser_reads_what_the_round_trip_parser_reads(text):
    """The libyaml fast path must give exactly ruamel.yaml's YAML 1.2 values (not YAML 1.1's)."""
    from ldn_evidence.records.yaml import fast_parse as _fast_parse, parse_yaml as _parse, plain as _plain

    fast = _fast_parse(text)
    assert fast is not None
    rt = _plain(_parse(text, "x"))
    assert _same(_plain(fast), rt), (fast, rt)


def test_fast_parser_refuses_duplicate_keys():
    from ldn_evidence.records.yaml import fast_parse as _fast_parse

    assert _fast_parse("a: 1\na: 2\n") is None


def test_stale_temporaries_of_dead_writers_are_removed(write, valid_text):
    import subprocess as sp

    path = write(valid_text)
    dead = sp.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = path.parent / f".{path.name}.{dead.pid}.abc123.tmp"
    stale.write_text("half a file")
    live = path.parent / f".{path.name}.{os.getpid()}.def456.tmp"
    live.write_text("someone writing now")
    review = le.load_studies(path)
    review["alpha2020"].notes = "x"
    le.save_studies(review)
    assert not stale.exists()
    assert live.exists()


def test_bundled_review_lists_excluded_reports_with_reasons_and_consistent_prisma():
    info = le.load_studies().info
    assert len(info.excluded) >= 4
    assert all(x.reason and x.source for x in info.excluded)
    p = info.prisma
    assert p.included_studies == len(le.load_studies())
    assert p.full_text_assessed == p.included_studies + sum(p.excluded_full_text.values())


# --------------------------------------------------------------------------------------------
# property: for random valid review files, load -> save -> load is the identity, and a save
# never drops or merges a record (issue 13)
# --------------------------------------------------------------------------------------------

# within the BMP: json.dumps writes astral characters as surrogate-pair escapes, which YAML reads
# as two lone surrogates (the strings are written as JSON, a subset of YAML's double-quoted style)
_words = st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0xFFFF,
                                        exclude_categories=("Cs", "Cc", "Co", "Cn")),
                 min_size=3, max_size=30).filter(lambda t: len(t.strip()) >= 3)


@st.composite
def _study_texts(draw):
    import json

    k = draw(st.integers(1, 5))
    ids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{2,8}", fullmatch=True), min_size=k, max_size=k,
                        unique=True))
    out = []
    for i, sid in enumerate(ids):
        rct = draw(st.booleans())
        n = draw(st.integers(2, 400))
        arm = draw(st.integers(1, n // 2 if rct else n))
        mean = draw(st.integers(0, 1000)) / 100
        sd = draw(st.integers(0, 500)) / 100
        comment = draw(st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9 ,.()]{1,40}", fullmatch=True)))
        lines = [f"  # {comment}"] if comment else []
        lines += [
            f"  - id: {sid}",
            "    citation:",
            f"      authors: [{json.dumps(draw(_words))}]",
            f"      year: {draw(st.integers(1990, 2025))}",
            f"      title: {json.dumps(draw(_words))}",
            f"    pmid: {10_000_000 + i}",
            f"    design: {'parallel_rct' if rct else 'case_series'}",
            f"    randomized: {'true' if rct else 'false'}",
            f"    blinding: {'double' if rct else 'open'}",
            f"    population: {{{'n_randomized' if rct else 'n_enrolled'}: {n}, source: \"PMID {10_000_000 + i}\"}}",
            "    intervention: {dose_mg_per_day: 4.5, source: \"PMID 1, Methods\"}",
            f"    comparator: {'placebo' if rct else 'none'}",
            "    line_of_therapy: add_on",
            "    outcomes:",
            "      - outcome: pain",
            "        scale: {min: 0, max: 10, lower_is_better: true}",
            "        timepoint: week 12",
            f"        contrast: {'ldn_vs_placebo' if rct else 'single_group'}",
            "        data:",
            "          - form: arm_means",
            "            arms:",
            f"              - {{arm: ldn, mean: {mean}, sd: {sd}, n: {arm}}}",
            f"            source: PMID {10_000_000 + i}, Table 2",
        ]
        if draw(st.booleans()):
            lines.append(f"    notes: {json.dumps(draw(_words))}")
        out.append("\n".join(lines))
    blank = draw(st.booleans())
    head = "# generated review\nreview:\n  title: A review\n  question: Does it work?\n  version: 1\nstudies:\n"
    text = head + ("\n\n" if blank else "\n").join(out) + "\n"
    return text, draw(st.sampled_from(["\n", "\r\n"])), draw(st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_study_texts(), note=_words)
def test_random_review_files_round_trip_and_never_lose_a_record(tmp_path, case, note):
    text, newline, bom = case
    path = tmp_path / "random.yaml"
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", newline).encode("utf-8")
    path.write_bytes(raw)
    first = le.load_studies(path)
    le.save_studies(first)
    assert path.read_bytes() == raw  # untouched: byte for byte
    dumps = [s.model_dump() for s in first]
    # change one record, drop another, append a new one: exactly that reads back
    first.studies[0].notes = note
    extra = first.studies[-1].model_copy(deep=True)
    extra.id, extra.pmid = "zz_appended", 99_999_999
    dropped = first.studies.pop(1) if len(first.studies) > 1 else None
    first.studies.append(extra)
    le.save_studies(first)
    again = le.load_studies(path)
    assert [s.id for s in again] == [s.id for s in first]
    assert [s.model_dump() for s in again] == [s.model_dump() for s in first]
    assert again.studies[0].notes == note and len(again) == len(dumps) + (0 if dropped else 1)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    if newline == "\r\n":
        assert b"\n" not in data.replace(b"\r\n", b"")
    le.save_studies(again)  # an untouched second save changes nothing
    assert path.read_bytes() == data


# --------------------------------------------------------------------------------------------
# the two YAML parsers never read a value differently (issue 14, item 14)
# --------------------------------------------------------------------------------------------

_scalar_text = st.text(alphabet="0123456789+-._:eExXoObBTtZz ~!&*<=nNaAIiFfuUlLsS", min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(value=_scalar_text)
def test_fast_and_round_trip_parsers_agree_on_every_scalar(value):
    """Whatever the fast path returns, the round-trip parser reads the same; where the fast path
    steps aside (None), the round-trip parser decides alone."""
    from ldn_evidence.records.yaml import fast_parse as _fast_parse, parse_yaml as _parse, plain as _plain

    text = f"a: {value}\nb: [{value}]\n"
    fast = _fast_parse(text)
    if fast is None:
        return
    rt = _plain(_parse(text, "x"))
    assert _same(fast, rt), (value, fast, rt)


# --------------------------------------------------------------------------------------------
# JSON Schemas: the bundled file and every test file validate with the jsonschema package
# --------------------------------------------------------------------------------------------

def _as_json(text: str):
    from ldn_evidence._format import json_safe
    from ldn_evidence.records.yaml import parse_yaml as _parse, plain as _plain

    return json_safe(_plain(_parse(text, "x")))


def test_bundled_and_test_files_validate_against_the_studies_file_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from conftest import VALID

    from ldn_evidence.records.schema import studies_file_json_schema

    validator = jsonschema.Draft202012Validator(studies_file_json_schema())
    for text in ((REPO / "data" / "studies.yaml").read_text(encoding="utf-8"), VALID):
        errors = [f"{e.json_path}: {e.message[:120]}" for e in validator.iter_errors(_as_json(text))]
        assert errors == []
    # `volume: 10` (an identifier written as a number) is what the bundled file has and the schema allows
    assert validator.is_valid(_as_json(VALID.replace("journal: J Test", "journal: J Test\n      volume: 10")))
    assert not validator.is_valid(_as_json(VALID.replace("design: parallel_rct", "design: parallel")))


def test_record_files_validate_against_the_record_file_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from test_living_durability import NEW_RECORD

    from ldn_evidence.records.schema import record_file_json_schema

    validator = jsonschema.Draft202012Validator(record_file_json_schema())
    one = _as_json(NEW_RECORD)
    assert validator.is_valid(one) and validator.is_valid([one, one])
    assert not validator.is_valid([]) and not validator.is_valid({"id": "x"})


def test_schema_command_prints_the_whole_file_schema_by_default():
    import json

    from click.testing import CliRunner

    from ldn_evidence.cli import main

    whole = json.loads(CliRunner().invoke(main, ["schema"]).stdout)
    record = json.loads(CliRunner().invoke(main, ["schema", "--record"]).stdout)
    study = json.loads(CliRunner().invoke(main, ["schema", "--study"]).stdout)
    assert set(whole["properties"]) == {"review", "studies"}
    assert "anyOf" in record and study["title"] == "ldn-evidence study record"


def test_p_value_df_is_validated(write, valid_text):
    """``p_value_df`` (the reported error df of the test behind a p-value) is a whole number >= 1 and
    belongs to a p-value."""
    pad = " " * 12
    block = f"{pad}ci_high: 0.5\n{pad}source: DOI 10.1000/alpha.2020, Table 2\n"
    assert block in valid_text

    def with_lines(*lines):
        extra = "".join(f"{pad}{line}\n" for line in lines)
        return valid_text.replace(block, block.replace("ci_high: 0.5\n", "ci_high: 0.5\n" + extra))

    ok = with_lines("p_value: 0.2", "p_value_df: 36")
    review = le.load_studies(write(ok))
    md = review["alpha2020"].outcomes[0].data[1]
    assert (md.p_value, md.p_value_df) == (0.2, 36)
    for bad, message in ((("p_value: 0.2", "p_value_df: 0"), "greater than or equal to 1"),
                         (("p_value: 0.2", "p_value_df: 2.5"), "integer"),
                         (("p_value_df: 36",), "without the p_value")):
        problems = le.validate_studies(write(with_lines(*bad)))
        assert len(problems) == 1 and problems[0].study == "alpha2020", problems
        assert message in problems[0].message, problems[0].message
        assert problems[0].field.startswith("outcomes[0].data[1]"), problems[0].field
