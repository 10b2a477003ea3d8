"""Every hostile input a user can give, in one place: each is refused with one clear message and
the right exit status, or handled without losing data (issue 13).

CLI cases check the exit status, that the message names the place (file:line, study, field, or
the option), and that no traceback or internal exception name reaches the user. API cases check
the exception type and that the argument is named. The tables (HOSTILE_FILES, DISTORTING,
BAD_OPTIONS) and the parametrized lists hold one hostile input per entry.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import ldn_evidence as le
from ldn_evidence.cli import main
from ldn_evidence.errors import FileChangedError, LivingError, ReadOnlyReviewError, StudiesFileError
from ldn_evidence.records import default_studies_path
from ldn_evidence.records.files import studies_lock
from ldn_evidence.review.add import add_records

from conftest import VALID
from test_living_durability import NEW_RECORD

#: an internal exception's name in a message means a case fell through to the last resort
INTERNAL = re.compile(r"\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b|Traceback")


def _cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _refused(res, *words, code=2):
    """Exit ``code``, every word in stderr, no traceback or exception name anywhere."""
    assert res.exit_code == code, (res.exit_code, res.output, res.stderr)
    err = res.stderr
    assert not INTERNAL.search(err) and "Traceback" not in res.stdout, err
    for w in words:
        assert w in err, f"{w!r} not in:\n{err}"
    return err


def _line(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


def _sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder this process cannot write into: permission bits for a user; for root (whom
    permission bits do not stop) a folder of a read-only file system."""
    if os.geteuid() != 0:
        d = tmp_path / "read-only"
        d.mkdir()
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    for candidate in (Path("/sys/kernel"), Path("/sys"), Path("/proc/self")):
        if candidate.is_dir():
            try:
                (candidate / ".probe").write_text("x")
            except OSError:
                yield candidate
                return
    pytest.skip("no read-only folder available to root here")


# ============================================================================================
# hostile studies files: fail fast, one message with the line
# ============================================================================================

LAUGHS = "".join([
    "review: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    *(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")),
])

HOSTILE_FILES = {
    # name: (text, words in the message, marker of the line expected (first line holding it))
    "billion_laughs": (LAUGHS, ["anchor (&a) is not allowed"], "review: &a"),
    "alias": (VALID.replace("  title: Test review", "  title: &t Test review\n  note: *t"),
              ["anchor (&t)"], "&t Test"),
    "merge_key": (VALID.replace("    citation:\n      authors: [Alpha A, Beta B]",
                                "    citation:\n      <<: {journal: X}\n      authors: [Alpha A, Beta B]", 1),
                  ["merge key (<<)"], "<<:"),
    "explicit_tag": (VALID.replace("title: Test review", "title: !!python/object:os.system Test"),
                     ["tag (!!python/object:os.system) is not allowed"], "!!python"),
    "deep_flow_nesting": ("review: " + "[" * 5000 + "]" * 5000 + "\n", ["nested more than 64 levels"], "review: [["),
    "deep_block_nesting": ("review:\n" + "".join(" " * (2 * i + 2) + "a:\n" for i in range(1500)),
                           ["nested more than 64 levels"], None),
    "record_null": (_sub(VALID, "  - id: beta2021", "  - null\n  - id: beta2021"), ["got null"], "- null"),
    "record_list": (_sub(VALID, "  - id: beta2021", "  - [a, b]\n  - id: beta2021"), ["got a list"], "- [a, b]"),
    "record_string": (_sub(VALID, "  - id: beta2021", "  - just words\n  - id: beta2021"),
                      ["got a string ('just words')"], "- just words"),
    "nul_byte": (_sub(VALID, "Test review", "Test\x00review"), ["a NUL byte at column 14"], "\x00"),
    "escape_character": (_sub(VALID, "J Test", "J \x1b[31mTest"), ["escape character"], "\x1b"),
    "two_documents": (VALID + "---\nreview: {}\n", ["malformed YAML"], None),
    "undefined_alias": (_sub(VALID, "title: Test review", "title: *nothing"), ["alias (*nothing)"], "*nothing"),
    "bad_binary_int": (_sub(VALID, "n_randomized: 40", "n_randomized: 0b_"), ["cannot read the value '0b_'"], "0b_"),
    "impossible_date": (_sub(VALID, "last_search: 2026-01-01", "last_search: 2026-13-45"),
                        ["cannot read the value '2026-13-45'"], "2026-13-45"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_file_fails_fast_with_its_line(case, write):
    text, words, marker = HOSTILE_FILES[case]
    line = _line(text, marker) if marker else None
    path = write(text)
    t0 = time.monotonic()
    res = _cli("validate", path)
    assert time.monotonic() - t0 < 10, "a hostile file must fail fast"
    err = _refused(res, str(path), *words)
    if line is not None:
        assert f"{path}:{line}:" in err, err


def test_hostile_file_via_python_api_raises_studies_file_error(write):
    for case in ("billion_laughs", "deep_flow_nesting", "nul_byte"):
        with pytest.raises(StudiesFileError):
            le.load_studies(write(HOSTILE_FILES[case][0]))


def _run_with_timeout(args, timeout=60):
    return subprocess.run([sys.executable, "-m", "ldn_evidence.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def test_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "studies.yaml"
    os.mkfifo(fifo)
    for args in (["validate", fifo], ["--studies", fifo, "studies"]):
        proc = _run_with_timeout(args)  # a hang would raise TimeoutExpired
        assert proc.returncode == 2 and "named pipe (FIFO), not a regular file" in proc.stderr, proc.stderr
        assert not INTERNAL.search(proc.stderr)


def test_device_is_refused_not_read_until_memory_runs_out():
    proc = _run_with_timeout(["--studies", "/dev/zero", "summary"])
    assert proc.returncode == 2 and "/dev/zero: is a device, not a regular file" in proc.stderr


def test_utf16_and_dangling_link_and_folder(tmp_path, write):
    u16 = tmp_path / "u16.yaml"
    u16.write_bytes(VALID.encode("utf-16"))
    _refused(_cli("validate", u16), f"{u16}:1: is UTF-16 encoded; save it as UTF-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    _refused(_cli("validate", link), "symbolic link to", "which does not exist")
    _refused(_cli("--studies", tmp_path, "studies"), "is a directory")


def test_huge_value_gives_a_short_message(write):
    text = _sub(VALID, "n_randomized: 40", "n_randomized: '" + "9" * 1_000_000 + "'")
    err = _refused(_cli("validate", write(text)), "population.n_randomized")
    assert max(len(line) for line in err.splitlines()) <= 400


def test_many_problems_are_capped_then_counted(write):
    studies = "".join(textwrap.indent(f"- id: Bad{i}\n", "  ") for i in range(200))
    text = VALID.split("studies:\n")[0] + "studies:\n" + studies
    err = _refused(_cli("validate", write(text)))
    lines = err.splitlines()
    assert sum(line.startswith("error:") for line in lines) == 50
    assert re.search(r"^\.\.\. and \d+ more\.$", err, re.M) and re.search(r"^\d+ problems found\.$", err, re.M)


# ============================================================================================
# numbers that validate as types but would distort a pooled result
# ============================================================================================

_EVENTS = ("    outcomes:\n      - outcome: responders_30\n        timepoint: w12\n        contrast: single_group\n"
           "        data:\n          - form: events\n            arms: [{arm: ldn, events: 3, n: 12, percent: 75}]\n"
           "            source: PMID 12345678, abstract\n")

DISTORTING = {
    # name: (transform, marker of the expected line, study, field, words)
    "ci_level_fraction_arm": (lambda t: _sub(t, "{arm: ldn, mean: 4.1, sd: 1.9, n: 19}",
                                             "{arm: ldn, mean: 4.1, sd: 1.9, n: 19, ci_level: 0.95}"),
                              "ci_level: 0.95", "alpha2020", "arms[0].ci_level", ["a percent", "not a fraction"]),
    "ci_level_fraction_difference": (lambda t: _sub(t, "estimate: -0.8\n",
                                                    "estimate: -0.8\n            ci_level: 0.9\n"),
                                     "ci_level: 0.9", "alpha2020", "data[1].ci_level", ["not a fraction"]),
    "sd_infinite": (lambda t: _sub(t, "sd: 1.9", "sd: .inf"), "sd: .inf", "alpha2020", "arms[0].sd",
                    ["finite number", "inf"]),
    "mean_nan": (lambda t: _sub(t, "mean: 4.9", "mean: .nan"), "mean: .nan", "alpha2020", "arms[1].mean",
                 ["finite number", "nan"]),
    "scale_infinite": (lambda t: _sub(t, "max: 10,", "max: .inf,"), "max: .inf", "alpha2020", "scale.max",
                       ["finite number"]),
    "estimate_negative_infinite": (lambda t: _sub(t, "estimate: -0.8", "estimate: -.inf"), "estimate: -.inf",
                                   "alpha2020", "data[1].estimate", ["finite number"]),
    "n_zero_with_data": (lambda t: _sub(t, "sd: 2.1, n: 19", "sd: 2.1, n: 0"), "sd: 2.1, n: 0", "alpha2020",
                         "arms[1]", ["n is 0 but mean, sd are given"]),
    "n_total_zero": (lambda t: _sub(t, "estimate: -0.8\n", "estimate: -0.8\n            n_total: 0\n"),
                     "form: mean_difference", "alpha2020", "data[1]", ["n_total is 0"]),
    "arm_n_above_randomized": (lambda t: _sub(t, "sd: 1.9, n: 19", "sd: 1.9, n: 190"), "sd: 1.9, n: 190",
                               "alpha2020", "arms[0].n", ["n = 190 is more than population.n_randomized (40)"]),
    "events_contradict_percent": (lambda t: t + _EVENTS, "arms: [{arm: ldn, events: 3", "beta2021", "arms[0]",
                                  ["events 3 of n 12 is 25.0%, but percent is 75"]),
    "search_date_in_future": (lambda t: _sub(t, "  last_search: 2026-01-01\n",
                                             "  last_search: 2026-01-01\n  searches:\n"
                                             "    - {database: PubMed, date: 2999-01-01}\n"),
                              "date: 2999-01-01", None, "review.searches[0].date", ["2999-01-01 is in the future"]),
    "last_search_in_future": (lambda t: _sub(t, "last_search: 2026-01-01", "last_search: 2999-12-31"),
                              "last_search: 2999", None, "review.last_search", ["is in the future"]),
    "review_r_at_one": (lambda t: _sub(t, "  last_search: 2026-01-01\n",
                                       "  last_search: 2026-01-01\n  within_person_r: 1\n"),
                        "within_person_r: 1", None, "review.within_person_r", ["less than 1"]),
    "study_r_at_minus_one": (lambda t: _sub(t, "    comparator: placebo\n",
                                            "    comparator: placebo\n    within_person_r: -1.0\n"),
                             "within_person_r: -1.0", "alpha2020", "within_person_r", ["greater than -1"]),
    "pre_post_r_at_one": (lambda t: t + "    outcomes:\n      - outcome: pain\n        timepoint: w12\n"
                                        "        contrast: pre_post\n        data:\n          - form: pre_post\n"
                                        "            n: 12\n            r: 1.0\n"
                                        "            source: PMID 12345678, Table 2\n",
                          "r: 1.0", "beta2021", "data[0].r", ["less than 1"]),
    "date_not_iso": (lambda t: _sub(t, "last_search: 2026-01-01", "last_search: 2026-1-5"), "last_search:",
                     None, "review.last_search", ["YYYY-MM-DD"]),
}


@pytest.mark.parametrize("case", sorted(DISTORTING))
def test_distorting_number_is_refused_with_place(case, write):
    transform, marker, study, field, words = DISTORTING[case]
    text = transform(VALID)
    path = write(text)
    err = _refused(_cli("validate", path), *words)
    line = _line(text, marker)
    assert f"{path}:{line}:" in err, err
    if study:
        assert f"study '{study}'" in err, err
    assert f"field '" in err and field in err, err


def test_a_date_reads_the_same_alone_and_next_to_another_error(write):
    """The two YAML parsers agree: 2026-1-5 is refused the same way with or without another error."""
    alone = _sub(VALID, "last_search: 2026-01-01", "last_search: 2026-1-5")
    both = _sub(alone, "sd: 1.9", "sd: -1.9")
    msgs = [[p for p in le.validate_studies(write(t, f"{n}.yaml")) if p.field == "review.last_search"]
            for n, t in (("alone", alone), ("both", both))]
    assert len(msgs[0]) == len(msgs[1]) == 1 and msgs[0][0].message == msgs[1][0].message


# ============================================================================================
# data must never be lost
# ============================================================================================

@pytest.fixture
def studies(tmp_path):
    p = tmp_path / "studies.yaml"
    p.write_text(VALID, encoding="utf-8")
    rec = tmp_path / "rec.yaml"
    rec.write_text(NEW_RECORD, encoding="utf-8")
    return p, rec


def test_save_after_someone_else_added_refuses_and_keeps_the_addition(studies):
    path, rec = studies
    review = le.load_studies(path)
    assert _cli("--studies", path, "add", rec).exit_code == 0
    added = path.read_bytes()
    review["alpha2020"].notes = "edited in the stale copy"
    with pytest.raises(FileChangedError) as exc:
        le.save_studies(review)
    assert str(path) in str(exc.value) and "changed on disk" in str(exc.value)
    assert path.read_bytes() == added
    assert "gamma2022" in [s.id for s in le.load_studies(path)]


def test_save_takes_the_lock_add_takes(studies):
    path, _ = studies
    review = le.load_studies(path)
    review["alpha2020"].notes = "x"
    with studies_lock(path):
        from ldn_evidence.errors import LockTimeout

        with pytest.raises(LockTimeout):
            le.save_studies(review, lock_timeout=0.2)
    le.save_studies(review)
    assert le.load_studies(path)["alpha2020"].notes == "x"


def test_save_refuses_two_records_with_one_id(studies):
    path, _ = studies
    before = path.read_bytes()
    review = le.load_studies(path)
    copy = review["beta2021"].model_copy(deep=True)
    copy.notes = "another study that was given the same id"
    review.studies.append(copy)
    with pytest.raises(StudiesFileError) as exc:
        le.save_studies(review)
    assert "beta2021" in str(exc.value) and "same id" in str(exc.value)
    assert path.read_bytes() == before


def test_save_refuses_what_load_would_refuse(studies):
    path, _ = studies
    before = path.read_bytes()
    review = le.load_studies(path)
    review["alpha2020"].notes = "x" * (6 * 1024 * 1024)  # above the 5 MB read limit
    with pytest.raises(StudiesFileError) as exc:
        le.save_studies(review)
    assert "MB" in str(exc.value) and "nothing was written" in str(exc.value)
    review = le.load_studies(path)
    review["beta2021"].doi = review["alpha2020"].doi  # valid alone, a duplicate DOI in the file
    with pytest.raises(StudiesFileError) as exc:
        le.save_studies(review)
    assert "duplicate doi" in str(exc.value)
    review = le.load_studies(path)
    review["alpha2020"].population.n_analysed = 400  # more than randomized: a field-level problem
    with pytest.raises(StudiesFileError) as exc:
        le.save_studies(review)
    assert "alpha2020" in str(exc.value) and "n_analysed (400) exceeds" in str(exc.value)
    assert path.read_bytes() == before


def test_add_and_save_write_through_a_symlink(studies, tmp_path):
    path, rec = studies
    real = tmp_path / "real"
    real.mkdir()
    target = real / "studies.yaml"
    shutil.move(path, target)
    path.symlink_to(target)
    assert _cli("--studies", path, "add", rec).exit_code == 0
    assert path.is_symlink() and "gamma2022" in target.read_text()
    assert (real / "studies.yaml.lock").exists() and not (tmp_path / "studies.yaml.lock").exists()
    review = le.load_studies(path)
    review["alpha2020"].notes = "through the link"
    le.save_studies(review)
    assert path.is_symlink() and "through the link" in target.read_text()


@pytest.mark.parametrize("bom", [False, True], ids=["crlf", "crlf+bom"])
def test_line_endings_and_bom_survive_add_and_save(studies, bom):
    path, rec = studies
    original = (b"\xef\xbb\xbf" if bom else b"") + VALID.replace("\n", "\r\n").encode()
    path.write_bytes(original)
    review = le.load_studies(path)
    le.save_studies(review)
    assert path.read_bytes() == original  # untouched: byte-identical
    assert _cli("--studies", path, "add", rec).exit_code == 0
    review = le.load_studies(path)
    review["alpha2020"].notes = "edited"
    le.save_studies(review)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    assert b"\n" not in data.replace(b"\r\n", b""), "a lone LF in a CRLF file"
    assert [s.id for s in le.load_studies(path)] == ["alpha2020", "beta2021", "gamma2022"]


def test_a_comment_above_a_study_stays_with_it(studies):
    path, rec = studies
    text = _sub(VALID, "  - id: beta2021", "  # beta: the open-label series\n  - id: beta2021")
    path.write_text(text)
    rec.write_text(NEW_RECORD.replace("year: 2022", "year: 2020").replace("gamma2022", "zeta2020"))
    add_records(path, rec, analyse=False)
    lines = path.read_text().splitlines()
    i = lines.index("  # beta: the open-label series")
    assert lines[i + 1] == "  - id: beta2021  # second study"
    assert lines.index("  - id: zeta2020") < i
    assert lines.index("  # a new trial (comment kept)") == lines.index("  - id: zeta2020") - 1


def test_add_refuses_the_copy_installed_in_the_package(tmp_path, studies):
    _, rec = studies
    installed = Path(le.__file__).resolve().parent / "data" / "studies.yaml"
    with pytest.raises(ReadOnlyReviewError):
        le.records.files.refuse_installed_copy(installed)
    err = _refused(_cli("--studies", installed, "add", rec), "installed with the package", "--studies",
                   "Nothing was written")
    assert "cp " in err


@pytest.mark.parametrize("content,words", [
    ("[]\n", ["holds no study record (an empty list)"]),
    ("# only a comment\n", ["holds no study record"]),
    (VALID, ["is a whole studies file"]),
], ids=["empty_list", "only_comments", "whole_studies_file"])
def test_add_of_nothing_is_refused(studies, content, words):
    path, rec = studies
    before = path.read_bytes()
    rec.write_text(content)
    _refused(_cli("--studies", path, "add", rec), str(rec), *words)
    assert path.read_bytes() == before


def test_save_as_another_file_leaves_the_source(studies, tmp_path):
    path, _ = studies
    before = path.read_bytes()
    review = le.load_studies(path)
    review["alpha2020"].notes = "saved elsewhere"
    other = tmp_path / "other.yaml"
    le.save_studies(review, other)
    assert path.read_bytes() == before and "saved elsewhere" in other.read_text()


def test_write_into_a_read_only_folder_is_a_clear_error(tmp_path, read_only_dir):
    src = tmp_path / "s.yaml"
    src.write_text(VALID)
    review = le.load_studies(src)
    with pytest.raises(LivingError) as exc:
        le.save_studies(review, read_only_dir / "studies.yaml")
    assert "cannot" in str(exc.value) and "studies.yaml" in str(exc.value)


# ============================================================================================
# options and arguments are checked before any work
# ============================================================================================

LONG = "x" * 300 + ".png"

BAD_OPTIONS = {
    # name: (arguments, words in the message)
    "level_nan": (["summary", "--level", "nan"], ["--level", "not a finite number"]),
    "level_inf": (["summary", "--level", "inf"], ["--level", "inf is not in the range"]),
    "level_fraction": (["summary", "--level", "0.95"], ["--level", "0.95 is not in the range"]),
    "level_text": (["forest", "--level", "high"], ["--level", "'high' is not a valid float"]),
    "r_nan": (["summary", "--r", "nan"], ["--r", "not a finite number"]),
    "r_one": (["summary", "--r", "1"], ["--r", "not in the range"]),
    "tsa_mird_inf": (["tsa", "--mird", "inf"], ["--mird", "not a finite number"]),
    "tsa_mird_tiny": (["tsa", "--mird", "1e-300"], ["--mird 1e-300", "0.0001 to 10 SD"]),
    "tsa_mird_huge": (["tsa", "--mird", "1e300"], ["--mird 1e+300", "0.0001 to 10 SD"]),
    "tsa_mird_zero": (["tsa", "--mird", "0"], ["--mird", "not in the range"]),
    "tsa_sd_nan": (["tsa", "--sd", "nan"], ["--sd", "not a finite number"]),
    "add_lock_timeout_nan": (["add", "--lock-timeout", "nan", "x.yaml"], ["--lock-timeout", "not a finite number"]),
    "add_lock_timeout_inf": (["add", "--lock-timeout", "inf", "x.yaml"], ["--lock-timeout", "not in the range"]),
    "output_gif": (["forest", "-o", "x.gif"], [".gif is not a figure format"]),
    "output_jpg": (["forest", "-o", "x.jpg"], [".jpg is not a figure format"]),
    "output_empty": (["forest", "-o", ""], ["the output file name is empty"]),
    "output_too_long": (["forest", "-o", LONG], ["longer than 255 bytes"]),
    "cumulative_missing_folder": (["cumulative", "-o", "nowhere/c.png"], ["nowhere", "does not exist"]),
    "tsa_missing_folder": (["tsa", "-o", "nowhere/t.png"], ["nowhere", "does not exist"]),
    "prisma_missing_folder": (["prisma", "-o", "nowhere/p.png"], ["nowhere", "does not exist"]),
    "prisma_gif": (["prisma", "-o", "p.gif"], [".gif is not a figure format"]),
    "tsa_gif": (["tsa", "-o", "t.gif"], [".gif is not a figure format"]),
    "sensitivity_nothing_poolable": (["sensitivity", "--outcome", "fatigue"], ["nothing to analyse", "fatigue"]),
    "sensitivity_plot_into_a_file": (["sensitivity", "--plot", "afile"], ["--plot", "'afile' is a file"]),
    "forest_nothing_poolable": (["forest", "--outcome", "fatigue"], ["nothing to plot"]),
    "tsa_nothing_poolable": (["tsa", "--outcome", "fatigue"], ["no trial gives a poolable SMD for fatigue"]),
    "unknown_outcome": (["summary", "--outcome", "happiness"], ["unknown outcome 'happiness'"]),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_option_is_refused_before_any_work(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("not a folder")
    args, words = BAD_OPTIONS[case]
    _refused(_cli(*args), *words)
    assert {p.name for p in tmp_path.iterdir()} == {"afile"}, "nothing may be written"


@pytest.mark.parametrize("args", [["cumulative", "-o", "{ro}/c.png"], ["tsa", "-o", "{ro}/t.png"],
                                  ["prisma", "-o", "{ro}/p.png"], ["forest", "-o", "{ro}/f.png"],
                                  ["sensitivity", "--plot", "{ro}/figures"]],
                         ids=["cumulative", "tsa", "prisma", "forest", "sensitivity"])
def test_read_only_output_folder_is_refused_before_work(args, read_only_dir):
    t0 = time.monotonic()
    res = _cli(*[a.format(ro=read_only_dir) for a in args])
    _refused(res, str(read_only_dir), "not writable")
    assert time.monotonic() - t0 < 20, "the folder must be checked before the analysis"


def test_messages_never_say_poolable_none():
    res = _cli("summary", "--outcome", "fatigue")
    assert res.exit_code == 0 and "poolable None" not in res.output and "poolable SMD" in res.output


@pytest.mark.parametrize("args", [["summary", "--format", "json", "--outcome", "fatigue"],
                                  ["summary", "--format", "json", "--outcome", "adverse_events"],
                                  ["cumulative", "--format", "json"], ["tsa", "--format", "json"],
                                  ["studies", "--format", "json"], ["schema"]],
                         ids=["summary-unpooled", "summary-binary", "cumulative", "tsa", "studies", "schema"])
def test_json_output_never_holds_nan_or_infinity(args):
    res = _cli(*args)
    assert res.exit_code == 0, res.output

    def refuse(token):
        raise AssertionError(f"non-JSON number {token} in the output")
    json.loads(res.stdout, parse_constant=refuse)


def test_ctrl_c_exits_130_without_a_traceback(studies):
    """Ctrl-C while `add` waits for another writer's lock (a wait that lasts until the signal)."""
    path, rec = studies
    before = path.read_bytes()
    with studies_lock(path):
        proc = subprocess.Popen([sys.executable, "-c", "from ldn_evidence.cli import run; run()", "--studies",
                                 str(path), "add", "--lock-timeout", "120", str(rec)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip() == "interrupted" and "Traceback" not in err
    assert path.read_bytes() == before


# ============================================================================================
# the Python API: ValueError naming the argument
# ============================================================================================

def _arms(index):
    return dict(m1i=pd.Series([5.0, 3.0], index=index), sd1i=pd.Series([1.0, 2.0], index=index),
                n1i=pd.Series([20, 30], index=index))


def test_escalc_aligns_series_on_their_index():
    """Same labels in another order: paired by label (as metafor pairs by row), not by position."""
    a = _arms(["s1", "s2"])
    m2 = pd.Series([2.0, 4.5], index=["s2", "s1"])
    sd2 = pd.Series([2.0, 1.0], index=["s2", "s1"])
    n2 = pd.Series([30, 20], index=["s2", "s1"])
    got = le.escalc("MD", **a, m2i=m2, sd2i=sd2, n2i=n2)
    want = le.escalc("MD", m1i=[5.0, 3.0], sd1i=[1.0, 2.0], n1i=[20, 30], m2i=[4.5, 2.0], sd2i=[1.0, 2.0],
                     n2i=[20, 30])
    assert list(got.index) == ["s1", "s2"]
    np.testing.assert_allclose(got[["yi", "vi"]].to_numpy(), want[["yi", "vi"]].to_numpy(), rtol=1e-15)


def test_escalc_refuses_series_with_other_labels():
    a = _arms(["s1", "s2"])
    with pytest.raises(ValueError, match=r"and 'm2i' are pandas Series with different indexes"):
        le.escalc("MD", **a, m2i=pd.Series([4.5, 2.0], index=["s1", "s3"]), sd2i=[1.0, 2.0], n2i=[20, 30])


def test_escalc_masked_entries_are_missing():
    out = le.escalc("MD", m1i=np.ma.array([5.0, 3.0], mask=[False, True]), sd1i=[1, 2], n1i=[20, 30],
                    m2i=[4.5, 2.0], sd2i=[1, 2], n2i=[20, 30])
    assert out["yi"].iloc[0] == pytest.approx(0.5) and math.isnan(out["yi"].iloc[1])


@pytest.mark.parametrize("kwargs,words", [
    (dict(ai=[True, False], n1i=[10, 10], ci=[1, 2], n2i=[10, 10]), "'ai' must be numeric, not booleans"),
    (dict(ai=["a", "b"], n1i=[10, 10], ci=[1, 2], n2i=[10, 10]), "'ai' must be numeric"),
    (dict(ai=[1, 2], n1i=[10, 10], ci=[1, 2], n2i=[10, 10], add=float("nan")), "'add' must be a finite"),
    (dict(ai=[1, 2], n1i=[10, 10], ci=[1, 2], n2i=[10, 10], add="half"), "'add' must be a number"),
    (dict(ai=[1, 2], n1i=[10, 10], ci=[1, 2], n2i=[10, 10], vtype=3), "'vtype' must be a string"),
    (dict(ai=[1, 2], n1i=[10, 10, 10], ci=[1, 2], n2i=[10, 10]), "not all of the same length"),
], ids=["booleans", "strings", "add_nan", "add_text", "vtype_number", "lengths"])
def test_escalc_bad_arguments_are_named(kwargs, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        le.escalc("RR", **kwargs)


@pytest.mark.parametrize("level", [0, 0.95, 100, 150, float("nan"), float("inf"), "95", None, True])
def test_a_level_is_a_percent_in_every_helper(level):
    from ldn_evidence.effects import conversions, designs

    with pytest.raises(ValueError, match="level"):
        conversions.se_from_ci(-1.0, 1.0, level)
    with pytest.raises(ValueError, match="level"):
        conversions.sd_from_ci(-1.0, 1.0, 20, level)
    with pytest.raises(ValueError, match="level"):
        designs.parallel_from_md(-0.5, 20, 20, ci_lower=-1.0, ci_upper=0.0, level=level)


def test_effect_helpers_align_series_too():
    from ldn_evidence.effects import conversions, designs

    low = pd.Series([-1.0, -2.0], index=["a", "b"])
    high = pd.Series([4.0, 3.0], index=["b", "a"])
    np.testing.assert_allclose(conversions.se_from_ci(low, high), conversions.se_from_ci([-1.0, -2.0], [3.0, 4.0]))
    with pytest.raises(ValueError, match="'m1' and 'sd1' are pandas Series with different indexes"):
        designs.parallel_final(pd.Series([5.0], index=["a"]), pd.Series([1.0], index=["z"]), 20, 4.0, 1.0, 20)
    masked = conversions.se_from_ci(np.ma.array([-1.0, -2.0], mask=[0, 1]), [1.0, 2.0])
    assert math.isnan(masked[1]) and masked[0] > 0


def test_lock_timeout_nan_is_refused_in_python(tmp_path):
    with pytest.raises(ValueError, match="lock timeout"):
        with studies_lock(tmp_path / "s.yaml", timeout=float("nan")):
            pass


# --------------------------------------------------------------------------------------------
# the meta-analysis functions, rma_batch and the diagnostics (issue 13, the Python API)
# --------------------------------------------------------------------------------------------

_Y = [0.1, 0.3, 0.35, 0.6, 0.2, 0.5]
_V = [0.04, 0.05, 0.04, 0.06, 0.03, 0.05]
_BAD_LEVELS = [0, 0.95, 1, 100, 150, -5, float("nan"), float("inf"), "95", None, True, [95]]


def _fitters(level):
    from ldn_evidence.engine import rma_batch

    return {
        "meta_analysis": lambda: le.meta_analysis(_Y, _V, level=level),
        "meta_regression": lambda: le.meta_regression(_Y, _V, [1.0, 2, 3, 4, 5, 6], level=level),
        "subgroup_analysis": lambda: le.subgroup_analysis(_Y, _V, list("aabbbb"), level=level),
        "rma_batch": lambda: rma_batch(_Y, _V, level=level),
        "conf_int": lambda: le.meta_analysis(_Y, _V).conf_int(level),
        "trim_and_fill": lambda: le.meta_analysis(_Y, _V).trim_and_fill(level=level),
    }


@pytest.mark.parametrize("level", _BAD_LEVELS, ids=repr)
@pytest.mark.parametrize("fitter", list(_fitters(95)))
def test_a_level_is_a_percent_in_every_fitter(fitter, level):
    """0 gave a zero-width CI, 100 +-inf, 150 NaN, 0.95 a 0.95% interval: each is refused, naming level."""
    if fitter == "trim_and_fill" and level is None:
        pytest.skip("level=None is trim_and_fill's default (metafor's 95% for the filled data)")
    with pytest.raises(ValueError, match="level"):
        _fitters(level)[fitter]()


@pytest.mark.parametrize("control,words", [
    ("fast", "control must be a dict"), ([("maxiter", 5)], "control must be a dict"), (3, "control must be a dict"),
    ({"max_iter": 5}, "unknown control option"), ({"maxiter": "many"}, "control['maxiter'] must be a positive integer"),
    ({"maxiter": 0}, "control['maxiter']"), ({"maxiter": 2.5}, "control['maxiter']"),
    ({"threshold": -1}, "control['threshold'] must be a positive finite"), ({"tol": float("nan")}, "control['tol']"),
    ({"stepadj": "half"}, "control['stepadj']"), ({"ll0check": "yes"}, "control['ll0check'] must be True or False"),
    ({"tau2_init": -0.1}, "control['tau2_init']"), ({"tau2_max": 0}, "control['tau2_max']"),
], ids=lambda x: repr(x)[:30])
def test_control_of_the_wrong_kind_is_named(control, words):
    from ldn_evidence.engine import rma_batch

    for fit in (lambda: le.meta_analysis(_Y, _V, control=control),
                lambda: le.meta_regression(_Y, _V, [1.0, 2, 3, 4, 5, 6], control=control),
                lambda: le.subgroup_analysis(_Y, _V, list("aabbbb"), control=control),
                lambda: rma_batch(_Y, _V, control=control)):
        with pytest.raises(ValueError, match=re.escape(words)):
            fit()


def test_meta_analysis_pairs_series_by_their_index():
    """Same labels in another order: paired by label, not by position (which gave another estimate)."""
    yi = pd.Series([0.1, 0.9, 0.5], index=["a", "b", "c"])
    vi = pd.Series([0.5, 0.02, 0.01], index=["c", "b", "a"])        # a: 0.01, b: 0.02, c: 0.5
    got = le.meta_analysis(yi, vi, method="DL", test="z")
    want = le.meta_analysis([0.1, 0.9, 0.5], [0.01, 0.02, 0.5], method="DL", test="z", labels=["a", "b", "c"])
    by_position = le.meta_analysis([0.1, 0.9, 0.5], [0.5, 0.02, 0.01], method="DL", test="z")
    assert got.estimate == pytest.approx(want.estimate, rel=1e-14)
    assert abs(got.estimate - by_position.estimate) > 0.1
    assert got.labels == ["a", "b", "c"]
    labels = pd.Series(["A", "B", "C"], index=["a", "b", "c"])[["c", "a", "b"]]
    assert le.meta_analysis(yi, vi, labels=labels).labels == ["A", "B", "C"]


def test_meta_analysis_refuses_series_with_other_labels():
    yi = pd.Series([0.1, 0.9, 0.5], index=["a", "b", "c"])
    with pytest.raises(ValueError, match="'yi' and 'vi' are pandas Series with different indexes"):
        le.meta_analysis(yi, pd.Series([0.01, 0.01, 0.5], index=["a", "b", "z"]))
    with pytest.raises(ValueError, match="argument 'labels' is a pandas object indexed"):
        le.meta_analysis(yi, yi * 0 + 0.1, labels=pd.Series(["A", "B", "C"], index=[0, 1, 2]))


def test_moderators_and_groups_are_paired_by_the_index_too():
    idx = ["s1", "s2", "s3", "s4", "s5", "s6"]
    yi, vi = pd.Series(_Y, index=idx), pd.Series(_V, index=idx)
    x = pd.DataFrame({"dose": [1.0, 2, 3, 4, 5, 6]}, index=idx)
    r = le.meta_regression(yi, vi, x.iloc[::-1])
    assert r.coef == pytest.approx(le.meta_regression(yi, vi, x).coef, rel=1e-13) and r.names == ["intercept", "dose"]
    g = pd.Series(list("aabbbb"), index=idx)
    s = le.subgroup_analysis(yi, vi, g.iloc[::-1], method="DL")
    assert s.subgroups["a"].k == 2 and s.subgroups["a"].labels == ["s1", "s2"]
    with pytest.raises(ValueError, match="argument 'groups'"):
        le.subgroup_analysis(yi, vi, pd.Series(list("aabbbb"), index=range(6)))


def test_masked_arrays_are_missing_not_their_hidden_values():
    from ldn_evidence.engine import rma_batch

    yi = np.ma.array(_Y, mask=[False, False, True, False, False, False])
    with pytest.raises(ValueError, match=r"study '3' \(index 2\): yi is masked"):
        le.meta_analysis(yi, _V)
    # rma_batch: a masked entry is an absent study
    b = rma_batch(yi, _V, method="DL")
    keep = [0, 1, 3, 4, 5]
    ref = le.meta_analysis(np.array(_Y)[keep], np.array(_V)[keep], method="DL", test="z")
    assert b.k[0] == 5 and b.estimate[0] == pytest.approx(ref.estimate, rel=1e-14)


@pytest.mark.parametrize("yi,vi,words", [
    ([0.1, float("nan")], [0.1, 0.1], "yi[0, 1] = nan"), ([0.1, 0.2], [0.1, -1.0], "vi[0, 1] = -1.0"),
    ([0.1, 0.2], [0.1, 0.2, 0.3], "differ in shape"), ([[[0.1]]], [[[0.1]]], "must be of shape"),
    (["a", "b"], [0.1, 0.1], "yi must be numeric"),
], ids=["nan", "negative_vi", "lengths", "3d", "text"])
def test_rma_batch_refuses_what_it_cannot_fit(yi, vi, words):
    from ldn_evidence.engine import rma_batch

    with pytest.raises(ValueError, match=re.escape(words)):
        rma_batch(yi, vi)


@pytest.mark.parametrize("call,words", [
    (lambda r: r.permutation_test(n="many"), "n must be a whole number >= 2"),
    (lambda r: r.permutation_test(n=1.5), "n must be a whole number"),
    (lambda r: r.permutation_test(seed="x"), "seed must be None, a non-negative integer"),
    (lambda r: r.permutation_test(exact="yes"), "exact must be True or False"),
    (lambda r: r.gosh(max_subsets=float("nan")), "max_subsets must be a whole number"),
    (lambda r: r.gosh(seed=-1), "seed must be"),
    (lambda r: r.leave_one_out(chunk_size=0), "chunk_size must be a whole number >= 1"),
    (lambda r: r.cumulative(order=[0.0, 1, 2, 3, 4, 5]), "order must be a permutation"),
    (lambda r: r.cumulative(by=[2001, 2002]), "by has 2 values"),
    (lambda r: r.egger_test(predictor="n"), "unknown predictor 'n'"),
    (lambda r: r.egger_test(model="glm"), "model must be 'rma' or 'lm'"),
    (lambda r: r.egger_test(predictor="ni", ni=["a"] * 6), "ni must be 6 positive"),
    (lambda r: r.rank_test(exact="no"), "exact must be True or False"),
    (lambda r: r.trim_and_fill(estimator="L1"), "estimator must be 'L0', 'R0' or 'Q0'"),
    (lambda r: r.trim_and_fill(side="up"), "side must be 'left', 'right' or None"),
    (lambda r: r.trim_and_fill(maxiter=0), "maxiter must be a whole number"),
    (lambda r: r.update(methd="DL"), "unknown argument(s) 'methd'"),
], ids=lambda c: None)
def test_diagnostics_name_their_bad_argument(call, words):
    r = le.meta_analysis(_Y, _V)
    with pytest.raises((ValueError, TypeError), match=re.escape(words)):
        call(r)
