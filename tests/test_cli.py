"""The command line: every option of forest and summary, bad options, and the plotting helper."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ldn_evidence.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def _run(*args):
        return CliRunner().invoke(main, list(args))
    return _run


def test_forest_default_writes_pain_png(run, tmp_path):
    res = run("forest")
    assert res.exit_code == 0, res.output
    out = tmp_path / "forest-pain.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote forest-pain.png" in res.stdout
    assert "pain, SMD:" in res.stdout and "k = " in res.stdout
    assert "REML" in res.stdout and "Hartung-Knapp" in res.stdout and "prediction interval" in res.stdout


@pytest.mark.parametrize("args,name,magic", [
    (["--outcome", "fiq"], "forest-fiq.png", b"\x89PNG"),
    (["--format", "svg"], "forest-pain.svg", b"<?xml"),
    (["--format", "pdf"], "forest-pain.pdf", b"%PDF"),
    (["-o", "plot.svg"], "plot.svg", b"<?xml"),
    (["-o", "plot", "--format", "pdf"], "plot.pdf", b"%PDF"),
    (["--output", "x.png", "--dpi", "60"], "x.png", b"\x89PNG"),
])
def test_forest_outputs(run, tmp_path, args, name, magic):
    res = run("forest", *args)
    assert res.exit_code == 0, res.output
    assert (tmp_path / name).read_bytes().startswith(magic)


@pytest.mark.parametrize("args,expect", [
    (["--measure", "MD"], "pain, MD:"),
    (["--measure", "smd"], "pain, SMD:"),
    (["--method", "DL", "--test", "z"], "DerSimonian-Laird"),
    (["--method", "pm"], "Paule-Mandel"),
    (["--by", "line_of_therapy"], "pain, SMD:"),
    (["--by", "none"], "pain, SMD:"),
    # k = 3 final-value SMDs by default: Due Bruun 2024's change-score SMD is set apart (Handbook 10.5.2)
    (["--exclude", "younger2013"], "k = 2"),
    (["--exclude", "younger2013,bested2023"], "k = 1"),
    (["--exclude", "younger2013", "--exclude", "bested2023"], "k = 1"),
    (["--combine-change-final"], "k = 4"),
    (["--r", "0.8"], "r = 0.8"),
    (["--level", "90"], "90% level"),
    (["--outcome", "symptom_severity"], "symptom_severity, SMD:"),
    # the review's default is the modified Hartung-Knapp (review.protocol.analysis): t with 1 df at k = 2
    (["--outcome", "adverse_events"], "adverse_events, RR: 0.97 [0.39, 2.40]"),
    # Hartung-Knapp asked for: narrower than Wald z here, and the output says so
    (["--outcome", "adverse_events", "--test", "knha"], "is narrower than the Wald z interval (0.84 to 1.11"),
    (["--outcome", "adverse_events", "--measure", "or"], "adverse_events, OR:"),
    (["--outcome", "discontinuation", "--measure", "RD"], "discontinuation, RD:"),
    (["--outcome", "responders_30"], "responders_30, RR: 1.60"),
    # Younger 2009 alone since issue 17 (Younger 2013's F(1,101) p-value no longer gives an SMD; was -0.74, k = 2)
    (["--outcome", "symptom_severity", "--tag", "carvalho_skare_2023"], "symptom_severity, SMD: -1.16 [-1.97, -0.36]"),
])
def test_forest_options(run, args, expect):
    res = run("forest", *args)
    assert res.exit_code == 0, res.output
    assert expect in res.stdout


@pytest.mark.parametrize("args,words", [
    (["--outcome", "happiness"], ["unknown outcome 'happiness'", "pain", "fiq"]),
    (["--measure", "HR"], ["'HR' is not one of", "'SMD'", "'RR'"]),
    (["--measure", "OR"], ["'OR' does not fit a continuous outcome (pain)", "SMD, MD"]),
    (["--outcome", "adverse_events", "--measure", "SMD"], ["does not fit a binary outcome", "RR, OR, RD"]),
    (["--method", "XX"], ["'XX' is not one of", "'REML'"]),
    (["--test", "q"], ["'q' is not one of", "'knha'"]),
    (["--by", "colour"], ["unknown subgroup variable 'colour'", "design, line_of_therapy"]),
    (["--format", "gif"], ["'gif' is not one of", "'png'"]),
    (["--r", "1.5"], ["1.5 is not in the range"]),
    (["--exclude", "nobody"], ["no study with id 'nobody'", "younger2013"]),
    (["--outcome", "fatigue"], ["nothing to plot"]),
])
def test_bad_options_exit_2_with_choices(run, args, words):
    res = run("forest", *args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for w in words:
        assert w in res.stderr, res.stderr


def test_summary_text_json_csv(run):
    text = run("summary")
    assert text.exit_code == 0 and "Overall" in text.stdout and "Test for subgroup differences" in text.stdout
    js = run("summary", "--format", "json")
    data = json.loads(js.stdout)
    assert data["method"] == "REML" and data["test"] == "adhoc" and data["results"][-1]["group"] == "Overall"
    assert {"k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "pvalue", "tau2", "i2"} <= set(data["results"][0])
    csv = run("summary", "--format", "csv", "--outcome", "fiq")
    assert csv.stdout.splitlines()[0].startswith("outcome,measure,model,method,test,level,r,by,group,k,estimate,se,zval,"
                                                 "df,ci_low,ci_high,pi_low,pi_high")


def test_summary_json_equals_python_api(run):
    import ldn_evidence as le

    data = json.loads(run("summary", "--format", "json", "--method", "DL").stdout)
    a = le.load_studies().analyse("pain", method="DL")
    assert data["results"][-1]["estimate"] == pytest.approx(a.overall.estimate, rel=1e-12)


def test_help_teaches_by_example(run):
    for cmd in ([], ["forest"], ["summary"], ["studies"], ["validate"]):
        res = run(*cmd, "--help")
        assert res.exit_code == 0 and "Example" in res.stdout


def test_studies_json_shape(run):
    rows = json.loads(run("studies", "--format", "json").stdout)
    assert {"id", "year", "design", "citation", "doi", "pmid", "n", "outcomes"} <= set(rows[0])
    assert all(o["source"] for r in rows for o in r["outcomes"])


@pytest.mark.slow
def test_real_command_is_deterministic(tmp_path):
    """The console command, run twice cold, writes byte-identical figures and the same text."""
    exe = [sys.executable, "-m", "ldn_evidence.cli", "forest"]
    a = subprocess.run(exe + ["-o", str(tmp_path / "a.png")], capture_output=True, text=True)
    b = subprocess.run(exe + ["-o", str(tmp_path / "b.png")], capture_output=True, text=True)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert a.stdout == b.stdout.replace("b.png", "a.png")


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, time; t = time.perf_counter(); from ldn_evidence.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', 'pydantic') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_forest_path_does_not_import_pandas(tmp_path):
    """pandas costs a third of a cold forest plot and the forest path needs no DataFrame."""
    code = ("import sys\nfrom ldn_evidence.cli import main\n"
            f"try:\n    main(['forest', '-o', {str(tmp_path / 'f.png')!r}])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('pandas', 'scipy.stats', 'statsmodels') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_sensitivity_text_json_csv_and_plots(run, tmp_path):
    res = run("sensitivity", "--plot", "figs")
    assert res.exit_code == 0, res.output
    for words in ("tau² estimator", "Within-person r", "r = 0.2", "r = 0.8", "Randomized only",
                  "Without secondary or conference numbers", "First-line use only", "Add-on use only",
                  "leave-one-out", "Egger", "rank correlation", "trim-and-fill", "permutation test", "GOSH"):
        assert words in res.stdout, words
    names = {p.name for p in (tmp_path / "figs").iterdir()}
    assert names == {f"{n}-pain.png" for n in ("sensitivity-forest", "funnel", "baujat", "influence",
                                                "leave-one-out", "cumulative", "gosh")}
    data = json.loads(run("sensitivity", "--format", "json").stdout)
    assert data["analyses"][0]["family"] == "Primary analysis"
    assert {"egger", "rank_test", "trim_and_fill", "permutation_test"} <= set(data["diagnostics"])
    csv = run("sensitivity", "--format", "csv", "--outcome", "fiq")
    assert csv.exit_code == 0 and csv.stdout.startswith("family,analysis,k,estimate")


def test_sensitivity_bad_option(run):
    res = run("sensitivity", "--method", "OLS")
    assert res.exit_code == 2 and "'OLS' is not one of" in res.stderr


def test_forest_bad_output_is_a_bad_option(run, tmp_path):
    res = run("forest", "-o", str(tmp_path / "missing" / "x.png"))
    assert res.exit_code == 2 and "does not exist" in res.stderr and "Traceback" not in res.output
    (tmp_path / "adir.png").mkdir()
    res = run("forest", "-o", str(tmp_path / "adir.png"))
    assert res.exit_code == 2 and "is a directory" in res.stderr  # click's own check


def test_a_closed_pipe_stops_quietly(tmp_path):
    """`ldn-evidence studies | head -1`: the reader is gone before the command writes. No
    traceback and no 'error:' line; status 141 as for a Unix tool stopped by SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-c", "from ldn_evidence.cli import run; run()", "studies"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 141


def test_the_console_script_freezes_its_objects_and_still_exits_cleanly(tmp_path):
    """run() calls gc.freeze() once the command is done (the exit's garbage collections are the
    slowest part of a cold forest); atexit handlers still run, output is complete, the figure
    is written and the exit status is the command's."""
    out = tmp_path / "f.png"
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('atexit ran; frozen', gc.get_freeze_count() > 0))\n"
            "from ldn_evidence.cli import run\n"
            "run()\n")
    proc = subprocess.run([sys.executable, "-c", code, "forest", "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"wrote {out}" and "pain, SMD" in proc.stdout
    assert proc.stdout.rstrip().endswith("atexit ran; frozen True")
    assert out.stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "-c", code, "forest", "--level", "nan"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "atexit ran; frozen True" in bad.stdout
