"""A catalogue of broken studies files: each must give exit status 2, one clear message naming
file, line and field, and no traceback."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from ldn_evidence.cli import main


def _line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = text.splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert len(hits) > nth, f"{needle!r} not in the test text"
    return hits[nth]


def _sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# name -> (transform of the valid text, marker of the expected line (or None), expected words)
CASES = {
    "malformed_yaml": (lambda t: _sub(t, "authors: [Alpha A, Beta B]", "authors: [Alpha A, Beta B"),
                       None, ["malformed YAML"]),
    "duplicate_key": (lambda t: _sub(t, "      journal: J Test\n", "      journal: J Test\n      journal: Again\n"),
                      "journal: Again", ["duplicate key 'journal'"]),
    "duplicate_study_id": (lambda t: _sub(t, "- id: beta2021", "- id: alpha2020"), "- id: alpha2020#2",
                           ["duplicate study id", "alpha2020", "'id'"]),
    "string_for_number": (lambda t: _sub(t, "mean: 4.1,", "mean: '4.1',"), "mean: '4.1'",
                          ["arms[0].mean", "valid number"]),
    "negative_sd": (lambda t: _sub(t, "sd: 1.9", "sd: -1.9"), "sd: -1.9", ["arms[0].sd", "greater than or equal to 0"]),
    "negative_n": (lambda t: _sub(t, "n_randomized: 40", "n_randomized: -40"), "n_randomized: -40",
                   ["population.n_randomized", "greater than or equal to 0"]),
    "ci_excludes_estimate": (lambda t: _sub(t, "estimate: -0.8", "estimate: -2.8"), "form: mean_difference",
                             ["does not contain its estimate", "data[1]"]),
    "value_outside_scale": (lambda t: _sub(t, "mean: 4.9", "mean: 14.9"), "- outcome: pain",
                            ["outside the scale", "outcomes[0]"]),
    "unknown_field": (lambda t: _sub(t, "    comparator: placebo", "    comparater: placebo"),
                      "comparater", ["comparater", "unknown field"]),
    "number_without_source": (lambda t: _sub(t, "            source: DOI 10.1000/alpha.2020, Table 2\n          - form: mean",
                                              "          - form: mean"),
                              "form: arm_means", ["data[0].source", "required field is missing"]),
    "population_number_without_source": (lambda t: _sub(t, "      source: DOI 10.1000/alpha.2020, Table 1\n", ""),
                                         "population:", ["population", "without a source"]),
    "unknown_design": (lambda t: _sub(t, "design: parallel_rct", "design: parallel_trial"), "design: parallel_trial",
                       ["'design'", "parallel_rct"]),
    "unknown_data_form": (lambda t: _sub(t, "form: arm_means", "form: arm_mean"), "form: arm_mean",
                          ["unknown data form 'arm_mean'", "outcomes[0].data[0]"]),
    "n_analysed_above_randomized": (lambda t: _sub(t, "n_analysed: 38", "n_analysed: 48"), "population:",
                                    ["n_analysed (48) exceeds n_randomized (40)"]),
    "implausible_year": (lambda t: _sub(t, "year: 2020", "year: 2202"), "year: 2202",
                         ["citation.year", "not plausible"]),
    "duplicate_doi": (lambda t: _sub(t, "pmid: 12345678", "doi: 10.1000/ALPHA.2020"), "doi: 10.1000/ALPHA.2020",
                      ["duplicate doi", "alpha2020", "'doi'"]),
    "design_randomized_mismatch": (lambda t: _sub(t, "randomized: true", "randomized: false"), "- id: alpha2020",
                                   ["randomized is false"]),
    "no_identifier": (lambda t: _sub(t, "    pmid: 12345678\n", ""), "- id: beta2021",
                      ["doi or a pmid"]),
    "events_above_n": (lambda t: t + "    outcomes:\n      - outcome: responders_30\n        timepoint: w12\n"
                                      "        contrast: single_group\n        data:\n"
                                      "          - form: events\n            arms: [{arm: ldn, events: 13, n: 12}]\n"
                                      "            source: PMID 12345678, abstract\n",
                       "arms: [{arm: ldn, events: 13", ["events (13) exceed n (12)"]),
    "bad_rob_domain": (lambda t: _sub(t, "    comparator: placebo\n",
                                      "    comparator: placebo\n    risk_of_bias:\n      tool: RoB 2\n"
                                      "      domains:\n        blinding: {judgement: low, support: masked}\n"),
                       "risk_of_bias:", ["unknown RoB 2 domain", "blinding"]),
    "bad_rob_judgement": (lambda t: _sub(t, "    comparator: placebo\n",
                                         "    comparator: placebo\n    risk_of_bias:\n      tool: RoB 2\n"
                                         "      domains:\n        randomization: {judgement: serious, support: x y z}\n"),
                          "risk_of_bias:", ["'serious' is not a RoB 2 judgement"]),
    "tabs": (lambda t: _sub(t, "    blinding: double", "\tblinding: double"), "\tblinding", ["tab"]),
    "bad_blinding_value": (lambda t: _sub(t, "blinding: double", "blinding: yes"), "blinding: yes",
                           ["'blinding'", "'double'"]),
    "top_level_list": (lambda t: "- just\n- a list\n", None, ["a study must be a mapping"]),
    "missing_review": (lambda t: t.split("studies:\n", 1)[1].join(["studies:\n", ""]), None,
                       ["'review'", "missing"]),
    "bad_nct": (lambda t: _sub(t, "    comparator: placebo\n", "    registration: {nct: NCT123}\n    comparator: placebo\n"),
                "registration:", ["registration.nct"]),
}


def _expected_line(text: str, marker: str | None) -> int | None:
    if marker is None:
        return None
    if marker.endswith("#2"):
        return _line_of(text, marker[:-2], nth=1)
    return _line_of(text, marker)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_cleanly(case, valid_text, write):
    transform, marker, words = CASES[case]
    text = transform(valid_text)
    path = write(text)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout
    assert str(path) in err
    for word in words:
        assert word in err, f"{word!r} not in:\n{err}"
    line = _expected_line(text, marker)
    if line is not None:
        assert f"{path}:{line}:" in err, f"line {line} not in:\n{err}"
    else:
        assert re.search(re.escape(str(path)) + r"(:\d+)?: ", err)


def test_empty_file(write):
    path = write("")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1: the file is empty" in result.stderr


def test_non_utf8_bytes(write, valid_text):
    raw = valid_text.encode().replace(b"Test review", b"Test r\xe9view")
    path = write(raw)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:3: not valid UTF-8" in result.stderr


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: no such file" in result.stderr


def test_global_studies_option_with_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    result = CliRunner().invoke(main, ["--studies", str(path), "studies"])
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.write(b"review: {}\n# " + b"x" * (50 * 1024 * 1024) + b"\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "50.0 MB" in result.stderr or "52.4 MB" in result.stderr
    assert "limited to" in result.stderr


def test_directory(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2


def test_every_problem_is_reported_at_once(valid_text, write):
    text = _sub(valid_text, "sd: 1.9", "sd: -1.9")
    text = _sub(text, "design: case_series", "design: anecdote")
    result = CliRunner().invoke(main, ["validate", str(write(text))])
    assert result.exit_code == 2
    assert "alpha2020" in result.stderr and "beta2021" in result.stderr
    assert "2 problems found" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(main, ["--debug", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code != 0
    assert result.exception is not None


def test_real_subprocess_has_no_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text("review: [\n")
    proc = subprocess.run([sys.executable, "-m", "ldn_evidence.cli", "validate", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr
