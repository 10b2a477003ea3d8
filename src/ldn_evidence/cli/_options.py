"""What the commands share: the error a user can fix, the analysis options, output files, the
studies file, and study-id lists.

Only click and :mod:`ldn_evidence.vocabulary` are imported here, so that ``ldn-evidence --help``
lists every command without loading numpy, pydantic or matplotlib; each command imports the
library it drives when it runs.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import click

from ..vocabulary import BY, MEASURES, MODELS, REVIEW_METHODS

__all__ = ["UserError", "EXIT_USAGE", "EXIT_FAILURE", "EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "UpperChoice",
           "analysis_options", "analyse", "dpi_option", "figure_format_option", "test_option", "method_option", "model_option", "level_option", "studies_path", "load_review", "split_ids",
           "outcome_option", "lower",
           "resolve_output", "check_writable_folder", "check_figure_folder", "FIGURE_FORMATS", "echo_json",
           "echo_table", "echo_csv", "finite_range"]

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_BROKEN_PIPE = 141   # 128 + SIGPIPE, what `yes | head -1` reports for `yes`
EXIT_INTERRUPTED = 130   # 128 + SIGINT, what a shell reports after Ctrl-C
#: figure formats every figure-writing command accepts
FIGURE_FORMATS = ("png", "svg", "pdf")


class UserError(Exception):
    """A problem with what the user asked for (exit status 2)."""


class UpperChoice(click.Choice):
    """A choice of upper-case codes (REML, SMD) that also accepts lower case."""

    def convert(self, value, param, ctx):
        return super().convert(value.upper() if isinstance(value, str) else value, param, ctx)


class _FiniteFloatRange(click.FloatRange):
    """click's FloatRange lets ``nan`` through every bound; this one refuses it."""

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if rv is not None and not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return rv


def finite_range(min=None, max=None, **kw) -> click.FloatRange:  # noqa: A002 - click's names
    """A FloatRange that also refuses NaN and infinities."""
    return _FiniteFloatRange(min, max, **kw)


def test_option(default: str | None = None):
    """``--test``: metafor's z, t, knha (Hartung-Knapp) or adhoc (modified Hartung-Knapp); aliases accepted.
    Default: the review's (``review.protocol.analysis.test``)."""
    return click.option("--test", type=click.Choice(["knha", "adhoc", "z", "t", "hksj", "hk"], case_sensitive=False),
                        default=default, show_default=default is not None,
                        help="Hartung-Knapp (knha; hksj and hk are aliases), modified Hartung-Knapp (adhoc: never "
                             "narrower than t), t, or Wald z intervals and tests "
                             "[default: the review's, review.protocol.analysis; the bundled review: adhoc].")


def method_option(help: str = "tau² estimator (metafor's codes)"):  # noqa: A002 - click's name
    """``--method``: a tau² estimator; default: the review's (``review.protocol.analysis.method``)."""
    return click.option("--method", type=UpperChoice(REVIEW_METHODS), default=None,
                        help=f"{help} [default: the review's, review.protocol.analysis; usually REML].")


def model_option():
    """``--model``: frequentist random effects (freq, the default) or the Bayesian normal-normal
    hierarchical model with the protocol's prior (bayes)."""
    return click.option("--model", type=click.Choice(MODELS, case_sensitive=False), default="freq",
                        show_default=True,
                        help="freq: random effects with --method and --test; bayes: the Bayesian random-effects "
                             "model with the review's prior for the outcome (review.protocol; half-normal(0.5) for "
                             "tau unless it says otherwise), the frequentist result beside it.")


def dpi_option(default: int = 100):
    """``--dpi``: the resolution of a PNG figure (50-600)."""
    return click.option("--dpi", type=click.IntRange(50, 600), default=default, show_default=True,
                        help="Resolution of a PNG figure (300 for print).")


def figure_format_option():
    """``--format``: the figure's file format, else the one ``--output`` names, else PNG."""
    return click.option("--format", "fmt", type=click.Choice(FIGURE_FORMATS), default=None,
                        help="Image format [default: from --output, else png].")


def level_option():
    """``--level``: a percent."""
    return click.option("--level", type=finite_range(50, 99.9), default=95, show_default=True,
                        help="Confidence level in percent.")


def analysis_options(f):
    """The options shared by forest, summary and sensitivity."""
    opts = [
        outcome_option("Outcome to pool"),
        click.option("--measure", type=UpperChoice(MEASURES), default=None,
                     help="SMD (Hedges' g) or MD for continuous outcomes; RR, OR or RD for binary ones "
                          "[default: the protocol's, else SMD, or RR for a binary outcome]."),
        method_option(),
        test_option(),
        click.option("--by", default=None, metavar="VARIABLE",
                     help="Subgroups, each with its own tau², plus the test for subgroup differences: one of "
                          "the review's subgroup variables (review.protocol.subgroups, e.g. "
                          f"{', '.join(BY[:-1])}) or none [default: the protocol's first]."),
        click.option("--exclude", multiple=True, metavar="ID[,ID...]",
                     help="Leave out studies by id (repeatable or comma-separated; see `ldn-evidence studies`)."),
        click.option("--tag", "tags", multiple=True, metavar="TAG",
                     help="Only studies with this tag (see `ldn-evidence studies --format json`)."),
        click.option("--r", "r", type=finite_range(-0.99, 0.99), default=None, metavar="R",
                     help="Within-person correlation for crossover/pre-post effects [default: the review's, 0.5]."),
        level_option(),
        click.option("--combine-change-final", is_flag=True,
                     help="SMD: pool SMDs of change scores with SMDs of final values (the Cochrane Handbook, "
                          "10.5.2, advises against it; by default the change-score SMDs are set apart)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def outcome_option(what: str = "Outcome"):
    """``--outcome``: any outcome id of the selected review (default: its protocol's first)."""
    return click.option("--outcome", default=None, metavar="OUTCOME",
                        help=f"{what}: an outcome id of the review's protocol (case-insensitive; "
                             "`ldn-evidence outcomes` lists them and marks those with nothing poolable) "
                             "[default: the protocol's first outcome, e.g. pain for the bundled review].")


def studies_path(ctx: click.Context) -> Path:
    """The studies file the command works on: ``--studies`` (a file, a folder holding a
    studies.yaml, or the name of a bundled review), else the bundled one."""
    from ..records import resolve_studies_path

    return resolve_studies_path((ctx.obj or {}).get("studies_path"))


def load_review(ctx: click.Context):
    """The selected review, loaded and validated."""
    from ..review import load_studies

    return load_studies((ctx.obj or {}).get("studies_path"))


def lower(value: str | None) -> str | None:
    """An option's value in lower case (ids are lower case); None stays None."""
    return None if value is None else value.lower()


def analyse(ctx: click.Context, outcome, measure, method, test, by, exclude, tags, r, level, combine_change_final,
            review=None, model: str = "freq"):
    """The analysis the shared options ask for (:meth:`ldn_evidence.review.Review.analyse`)."""
    review = review if review is not None else load_review(ctx)
    return review.analyse(outcome=lower(outcome), measure=measure, method=method, test=test, by=lower(by),
                          exclude=split_ids(exclude), r=r, level=level, tags=list(tags) or None,
                          combine_change_final=combine_change_final, model=lower(model) or "freq")


def split_ids(values) -> list[str]:
    """``--exclude a,b --exclude c`` -> ``["a", "b", "c"]``."""
    return [x.strip() for item in values for x in item.split(",") if x.strip()]


def echo_json(value) -> None:
    """Print ``value`` as JSON: NaN and infinities become null (JSON has none), and anything else
    that JSON cannot hold is an error of ours rather than non-standard output."""
    import json

    from .._format import json_safe

    click.echo(json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False))


def echo_table(header, rows) -> None:
    """Print rows of strings as aligned columns under a header and a rule of dashes."""
    table = [tuple(header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for j, row in enumerate(table):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if j == 0:
            click.echo("  ".join("-" * w for w in widths))


def echo_csv(rows: list[dict], columns) -> None:
    """Print dicts as CSV with these columns (others left out)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    click.echo(buf.getvalue(), nl=False)


def check_writable_folder(folder: str | os.PathLike, what: str) -> None:
    """A folder that is missing or not writable is a bad option (exit 2), found before any work.

    Writability is tried, not inferred from permission bits: for root, ``os.access`` says yes
    for a read-only file system (``/sys``) or a folder of ``/proc``, where writing then fails."""
    import tempfile

    folder = Path(folder) if str(folder) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {what}: the folder {folder} does not exist")
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".ldn-evidence-probe-"):
            pass
    except OSError as exc:
        reason = "is not writable" if isinstance(exc, PermissionError) or exc.errno in (13, 30) else \
            f"cannot be written ({exc.strerror or exc})"
        raise UserError(f"cannot write {what}: the folder {folder} {reason}") from None


def check_figure_folder(folder: str | os.PathLike) -> Path:
    """A folder for figures (created later if missing): its nearest existing ancestor must be a
    writable folder. Checked before any work."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise UserError(f"cannot write figures into {folder}: it is a file, not a folder")
    existing = path.resolve()
    while not existing.exists():
        existing = existing.parent
    check_writable_folder(existing, f"figures into {folder}")
    return path


def resolve_output(output: str | None, fmt: str | None, default_stem: str) -> tuple[str, str]:
    """The file a figure goes to and its format, checked before any work is done.

    ``--format`` wins; otherwise the format is the output's suffix; without either, PNG. A
    suffix that is not a figure format we write (``.gif``, ``.jpg``) is refused rather than
    silently written as PNG; so are an empty name and a name the file system cannot hold.
    """
    if output is None:
        fmt = fmt or "png"
        output = f"{default_stem}.{fmt}"
    else:
        if not output.strip():
            raise UserError("the output file name is empty")
        suffix = Path(output).suffix.lower().lstrip(".")
        if fmt is None:
            if suffix and suffix not in FIGURE_FORMATS:
                raise UserError(f"cannot write {output}: .{suffix} is not a figure format this command writes "
                                f"({', '.join(FIGURE_FORMATS)}); give --format or another suffix")
            fmt = suffix or "png"
        if suffix != fmt:
            output = f"{output}.{fmt}" if not suffix or suffix not in FIGURE_FORMATS else \
                str(Path(output).with_suffix(f".{fmt}"))
    name = Path(output).name
    if len(os.fsencode(name)) > 255:
        raise UserError(f"cannot write {output[:60]}...: the file name is longer than 255 bytes")
    if Path(output).is_dir():
        raise UserError(f"cannot write {output}: it is a folder")
    check_writable_folder(Path(output).parent, output)
    return output, fmt
