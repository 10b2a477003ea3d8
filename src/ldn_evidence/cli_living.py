"""Living-review commands: add, diff, prisma, cumulative, tsa.

Registered on the ``ldn-evidence`` group by :mod:`ldn_evidence.cli`. Heavy modules (pandas,
scipy, matplotlib, ruamel.yaml) are imported inside the commands so that the CLI starts fast.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from .choices import METHODS as _METHODS, OUTCOMES as _OUTCOMES


def _user_error(message: str):
    from .cli import UserError

    return UserError(message)


def _studies_path(ctx) -> Path:
    from .records import default_studies_path

    p = (ctx.obj or {}).get("studies_path")
    return Path(p) if p else default_studies_path()


def _output_path(output: str | None, fmt: str | None, default_stem: str) -> tuple[str, str]:
    if output is None:
        fmt = fmt or "png"
        return f"{default_stem}.{fmt}", fmt
    suffix = Path(output).suffix.lower().lstrip(".")
    if fmt is None:
        fmt = suffix if suffix in ("png", "svg", "pdf") else "png"
    if suffix != fmt:
        output = f"{output}.{fmt}" if not suffix else str(Path(output).with_suffix(f".{fmt}"))
    return output, fmt


def _ids(exclude) -> list[str]:
    return [x.strip() for item in exclude for x in item.split(",") if x.strip()]


@click.command()
@click.argument("record", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show the before -> after results without writing.")
@click.option("--lock-timeout", type=click.FloatRange(0, 3600), default=30, show_default=True, metavar="SECONDS",
              help="How long to wait for another writer of the studies file.")
@click.pass_context
def add(ctx, record, dry_run, lock_timeout):
    """Add the study record(s) in RECORD (one mapping or a list) to the studies file.

    Validates each record (exit 2 with file:line: study: field messages), refuses duplicates
    (same id, DOI, PMID, PMCID or registration number, or a near-identical title in the same
    year, naming the existing record), inserts it by year then id (no year last), keeps every
    comment, writes atomically under <studies>.lock, and prints the pooled results before ->
    after for each outcome the record reports.

    \b
    Examples:
      ldn-evidence add new-trial.yaml --dry-run
      ldn-evidence add new-trial.yaml
      ldn-evidence --studies my-studies.yaml add two-trials.yaml
    """
    from .living import LivingError, add_records

    path = _studies_path(ctx)
    try:
        result = add_records(path, record, dry_run=dry_run, lock_timeout=lock_timeout)
    except LivingError as exc:
        raise _user_error(str(exc)) from None
    for line in result.lines():
        click.echo(line)


@click.command()
@click.argument("old", required=False, type=click.Path(dir_okay=False))
@click.argument("new", required=False, type=click.Path(dir_okay=False))
@click.option("--rev", metavar="A..B", help="Compare the studies file at two git revisions (A.. = A against the "
              "working file).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--outcome", "outcomes", type=click.Choice(_OUTCOMES), multiple=True,
              help="Outcomes to compare (repeatable) [default: every outcome with poolable data].")
@click.option("--measure", type=click.Choice(["SMD", "MD"], case_sensitive=False), default="SMD", show_default=True)
@click.option("--method", type=click.Choice(_METHODS, case_sensitive=False), default="REML", show_default=True)
@click.option("--test", type=click.Choice(["knha", "z"], case_sensitive=False), default="knha", show_default=True)
@click.pass_context
def diff(ctx, old, new, rev, fmt, outcomes, measure, method, test):
    """Compare two versions of a studies file: studies added, removed and changed (field by
    field, old -> new) and every outcome's pooled estimate, CI, PI, tau² and I² before -> after,
    flagging a changed conclusion (the CI now crosses or excludes the null; the direction flips).

    \b
    Examples:
      ldn-evidence diff old.yaml new.yaml
      ldn-evidence diff --rev HEAD~1..HEAD
      ldn-evidence diff --rev v0.1.0.. --format json
    """
    import tempfile

    from .living import LivingError, diff_reviews, git_revision_files
    from .review import load_studies

    with tempfile.TemporaryDirectory() as tmp:
        if rev:
            if old or new:
                raise _user_error("give either OLD NEW or --rev, not both")
            try:
                old_p, new_p, old_name, new_name = git_revision_files(rev, _studies_path(ctx), tmp)
            except LivingError as exc:
                raise _user_error(str(exc)) from None
        else:
            if not (old and new):
                raise _user_error("give two files (OLD NEW) or --rev A..B")
            old_p, new_p, old_name, new_name = old, new, old, new
        a = load_studies(old_p)
        b = load_studies(new_p)
    d = diff_reviews(a, b, outcomes=outcomes or None, measure=measure.upper(), method=method.upper(),
                     test=test.lower(), old_name=old_name, new_name=new_name)
    if fmt == "json":
        click.echo(json.dumps(d.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(d.to_text())


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: prisma.<format>].")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default=None)
@click.option("--dpi", type=click.IntRange(50, 600), default=150, show_default=True)
@click.pass_context
def prisma(ctx, output, fmt, dpi):
    """PRISMA 2020 flow diagram from review.prisma in the studies file.

    Counts that are not recorded are drawn as "n = ?" (never filled in or computed).

    \b
    Examples:
      ldn-evidence prisma
      ldn-evidence prisma -o flow.svg
    """
    from .plots.prisma import prisma_flow
    from .review import load_studies

    review = load_studies(_studies_path(ctx))
    output, fmt = _output_path(output, fmt, "prisma")
    p = review.info.prisma
    note = None if p is not None else "No PRISMA counts are recorded in the studies file (review.prisma); " \
                                      "every count is shown as unknown."
    if p is not None and p.note:
        note = p.note
    fig = prisma_flow(p, note=note)
    fig.savefig(output, format=fmt, dpi=dpi)
    click.echo(f"wrote {output}")
    fields = ["identified_databases", "identified_registers", "identified_other", "duplicates_removed", "screened",
              "excluded_screening", "full_text_assessed", "included_studies", "included_reports"]
    unknown = [f for f in fields if p is None or getattr(p, f) is None]
    if unknown:
        click.echo(f"unknown (n = ?): {', '.join(unknown)}")


@click.command()
@click.option("--outcome", type=click.Choice(_OUTCOMES), default="pain", show_default=True)
@click.option("--measure", type=click.Choice(["SMD", "MD"], case_sensitive=False), default="SMD", show_default=True)
@click.option("--method", type=click.Choice(_METHODS, case_sensitive=False), default="REML", show_default=True)
@click.option("--test", type=click.Choice(["knha", "z"], case_sensitive=False), default="knha", show_default=True)
@click.option("--r", "r", type=click.FloatRange(-0.99, 0.99), default=None, metavar="R",
              help="Within-person correlation for crossover/pre-post effects [default: the review's].")
@click.option("--exclude", multiple=True, metavar="ID[,ID...]", help="Leave out studies by id.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Also write a cumulative forest plot to this file (png, svg or pdf).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Format of the printed table.")
@click.pass_context
def cumulative(ctx, outcome, measure, method, test, r, exclude, output, fmt):
    """Cumulative meta-analysis by publication year: after each year's studies, k, estimate,
    CI, prediction interval, tau² and I² (studies without a year enter last).

    \b
    Examples:
      ldn-evidence cumulative
      ldn-evidence cumulative --outcome fiq -o cumulative-fiq.png
      ldn-evidence cumulative --format csv > cumulative.csv
    """
    import math

    from .living import cumulative_by_year
    from .review import load_studies

    review = load_studies(_studies_path(ctx))
    frame, analysis = cumulative_by_year(review, outcome, measure=measure.upper(), method=method.upper(),
                                         test=test.lower(), r=r, exclude=_ids(exclude))
    if len(frame) == 0:
        raise _user_error(f"nothing to cumulate: {analysis.one_line()}")
    if fmt == "json":
        rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                for row in frame.to_dict("records")]
        click.echo(json.dumps({"outcome": outcome, "measure": measure.upper(), "settings": analysis.settings,
                               "steps": rows}, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(f"Cumulative meta-analysis of {outcome} ({measure.upper()}) by year — {analysis.settings}")
        click.echo(f"  {'year':7s} {'k':>3s} {'estimate':>9s} {'95% CI':>17s} {'tau²':>6s} {'I²':>5s}  added")
        for _, row in frame.iterrows():
            yr = "no year" if row["year"] is None or (isinstance(row["year"], float) and math.isnan(row["year"])) \
                else str(int(row["year"]))
            click.echo(f"  {yr:7s} {int(row['k']):3d} {row['estimate']:9.3f} [{row['ci_low']:6.2f}, "
                       f"{row['ci_high']:6.2f}] {row['tau2']:6.3f} {row['i2']:4.0f}%  {row['added']}")
    if output:
        from .plots.cumulative_year import cumulative_forest

        output, ofmt = _output_path(output, None, f"cumulative-{outcome}")
        fig = cumulative_forest(frame, xlabel=analysis.xlabel,
                                title=f"Cumulative meta-analysis by year: {outcome.replace('_', ' ')}",
                                footnote=f"Each row pools every study published up to that year. "
                                         f"Model: {analysis.settings}.")
        fig.savefig(output, format=ofmt, dpi=150)
        click.echo(f"wrote {output}", err=fmt != "text")


@click.command()
@click.option("--outcome", type=click.Choice(_OUTCOMES), default="pain", show_default=True)
@click.option("--mird", type=click.FloatRange(min=0, min_open=True), default=0.2, show_default=True,
              help="Minimal relevant difference (SMD units by default; MD units with --measure MD --sd).")
@click.option("--sd", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="SD of the outcome (1 on the SMD scale).")
@click.option("--alpha", type=click.FloatRange(0.001, 0.2), default=0.05, show_default=True,
              help="Two-sided type I error (alpha/2 per boundary).")
@click.option("--beta", type=click.FloatRange(0.01, 0.5), default=0.2, show_default=True,
              help="Type II error (power = 1 - beta).")
@click.option("--d2", type=click.FloatRange(0, 0.99), default=None,
              help="Diversity D² for the information size [default: estimated from the trials].")
@click.option("--no-futility", is_flag=True, help="Leave out the beta-spending futility boundaries.")
@click.option("--information", type=click.Choice(["participants", "variance"]), default="participants",
              show_default=True, help="Information axis: participants (TSA) or 1/variance of the pooled estimate.")
@click.option("--include-nonrandomized", is_flag=True, help="Also use non-randomized studies (default: RCTs only).")
@click.option("--measure", type=click.Choice(["SMD", "MD"], case_sensitive=False), default="SMD", show_default=True)
@click.option("--method", type=click.Choice(_METHODS, case_sensitive=False), default="DL", show_default=True,
              help="tau² estimator of the cumulative meta-analyses (TSA's default is DL).")
@click.option("--r", "r", type=click.FloatRange(-0.99, 0.99), default=None, metavar="R")
@click.option("--exclude", multiple=True, metavar="ID[,ID...]")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Also write the TSA plot to this file (png, svg or pdf).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def tsa(ctx, outcome, mird, sd, alpha, beta, d2, no_futility, information, include_nonrandomized, measure, method,
        r, exclude, output, fmt):
    """Trial sequential analysis: cumulative Z-curve of the trials in publication order against
    Lan-DeMets O'Brien-Fleming boundaries and beta-spending futility boundaries, on the
    diversity-adjusted required information size.

    Assumptions (printed with the result): SMD scale with SD 1 unless --measure MD --sd; RIS =
    4 (z_{1-alpha/2} + z_{1-beta})² sd² / mird², divided by 1 - D²; DerSimonian-Laird random
    effects; RCTs only; trials without a year last; positive Z favours LDN.

    \b
    Examples:
      ldn-evidence tsa --mird 0.2
      ldn-evidence tsa --mird 0.3 --beta 0.1 -o tsa-pain.png
      ldn-evidence tsa --information variance --format json
    """
    from .review import load_studies
    from .tsa import trial_sequential_analysis

    review = load_studies(_studies_path(ctx))
    try:
        res = trial_sequential_analysis(review, outcome, mird=mird, sd=sd, alpha=alpha, beta=beta,
                                        measure=measure.upper(), method=method.upper(), d2=d2,
                                        futility=not no_futility, information=information,
                                        randomized_only=not include_nonrandomized, r=r, exclude=_ids(exclude))
    except ValueError as exc:  # a ReviewError or a TSA parameter out of range: exit 2 either way
        raise _user_error(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(res.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(str(res))
    if output:
        output, ofmt = _output_path(output, None, f"tsa-{outcome}")
        res.plot().savefig(output, format=ofmt, dpi=150)
        click.echo(f"wrote {output}", err=fmt != "text")
