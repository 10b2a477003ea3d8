"""The ``ldn-evidence`` command: thin click commands over the Python API, no statistics here.

Imports of numpy, pandas, scipy and matplotlib happen inside the commands that need them, so
``ldn-evidence --help`` starts fast. Errors a user can fix (a broken studies file, a bad option)
print one clear message to stderr and exit with status 2; other failures exit with 1. No
traceback reaches the user unless ``--debug`` is given.
"""
from __future__ import annotations

import json
import sys

import click

from . import __version__, choices

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_BROKEN_PIPE = 141   # 128 + SIGPIPE, what `yes | head -1` reports for `yes`


class _Group(click.Group):
    """Turns expected errors into a message and an exit status instead of a traceback."""

    def invoke(self, ctx: click.Context):
        from .errors import ReviewError, StudiesFileError

        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except StudiesFileError as exc:
            if debug:
                raise
            n = len(exc.problems)
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            if n > 1:
                click.echo(f"{n} problems found.", err=True)
            ctx.exit(EXIT_USAGE)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # the reader went away (`ldn-evidence studies | head -1`): not an error of ours. Stop
            # quietly, as a Unix tool killed by SIGPIPE would (status 128 + 13), and point stdout
            # at /dev/null so that the final flush cannot fail again.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except (UserError, ReviewError) as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            if debug:
                raise
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            click.echo("(run with --debug for the full traceback)", err=True)
            ctx.exit(EXIT_FAILURE)


class UserError(Exception):
    """A problem with what the user asked for (exit status 2)."""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--studies", "studies_path", type=click.Path(dir_okay=False), default=None,
              metavar="PATH", help="Studies file to use (default: the bundled data/studies.yaml).")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, prog_name="ldn-evidence")
@click.pass_context
def main(ctx: click.Context, studies_path: str | None, debug: bool) -> None:
    """Living systematic review of low-dose naltrexone (LDN) for fibromyalgia.

    \b
    Examples:
      ldn-evidence forest                       # forest plot of pain (SMD), by design -> forest-pain.png
      ldn-evidence forest --outcome fiq -o fiq.svg
      ldn-evidence summary --format json        # pooled results per subgroup and overall
      ldn-evidence studies                      # the encoded studies, one line each
      ldn-evidence studies --format json        # the same as JSON, for scripts
      ldn-evidence validate my-studies.yaml     # check a studies file (exit 2 if broken)
      ldn-evidence schema > study.schema.json   # JSON Schema of a study record, for editors
      ldn-evidence --studies my.yaml studies    # use another studies file
    """
    ctx.ensure_object(dict)
    ctx.obj["studies_path"] = studies_path
    ctx.obj["debug"] = debug


def _load(ctx: click.Context):
    from .review import load_studies

    return load_studies(ctx.obj.get("studies_path"))


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def validate(ctx: click.Context, path: str | None) -> None:
    """Check a studies file and list every problem (file:line: study: field: message).

    PATH may be a whole studies file or a file holding one study record or a list of them (what
    `ldn-evidence add` takes). Without PATH, checks --studies or the bundled file.

    \b
    Examples:
      ldn-evidence validate
      ldn-evidence validate new-trial.yaml
    """
    from .records import StudiesFileError, default_studies_path, validate_studies

    target = path or ctx.obj.get("studies_path") or str(default_studies_path())
    problems = validate_studies(target)
    if problems:
        raise StudiesFileError(problems)
    click.echo(f"{target}: ok")


def _study_summary(study) -> dict:
    c = study.citation
    authors = ", ".join(c.authors) if c.authors else c.short_label
    parts = [f"{authors}.", f"{c.title}."]
    if c.journal:
        tail = c.journal + f" {c.year}"
        if c.volume:
            tail += f";{c.volume}" + (f"({c.issue})" if c.issue else "")
        if c.pages:
            tail += f":{c.pages}"
        parts.append(tail + ".")
    pop = study.population
    n = next((v for v in (pop.n_fibromyalgia, pop.n_randomized, pop.n_enrolled, pop.n_analysed) if v is not None),
             None)
    return {
        "id": study.id,
        "label": study.label,
        "year": c.year,
        "design": study.design,
        "randomized": study.randomized,
        "citation": " ".join(parts),
        "doi": study.doi,
        "pmid": study.pmid,
        "no_identifier_reason": study.no_identifier_reason,
        "registration": study.registration.model_dump(exclude_none=True, exclude_defaults=True)
        if study.registration else None,
        "n": n,
        "n_analysed": study.population.n_analysed,
        "dose_mg_per_day": study.intervention.dose_mg_per_day,
        "comparator": study.comparator,
        "line_of_therapy": study.line_of_therapy,
        "tags": list(study.tags),
        "outcomes": [
            {"outcome": o.outcome, "name": o.name, "timepoint": o.timepoint, "contrast": o.contrast,
             "primary": o.primary, "forms": [b.form for b in o.data],
             "source": "; ".join(dict.fromkeys(b.source for b in o.data))}
            for o in study.outcomes
        ],
        "missing": list(study.missing),
    }


_MAIN_OUTCOMES = ("pain", "fiq", "fiqr", "symptom_severity")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def studies(ctx: click.Context, fmt: str) -> None:
    """List the encoded studies.

    \b
    Examples:
      ldn-evidence studies
      ldn-evidence studies --format json | jq '.[] | {id, n, design}'
      ldn-evidence studies --format csv > studies.csv
    """
    review = _load(ctx)
    rows = [_study_summary(s) for s in review.studies]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        cols = ["id", "label", "year", "design", "randomized", "n", "dose_mg_per_day", "comparator",
                "line_of_therapy", "doi", "pmid", "outcomes"]
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "outcomes": ";".join(sorted({o["outcome"] for o in r["outcomes"]}))})
        click.echo(buf.getvalue(), nl=False)
        return
    header = ("study", "year", "design", "n", "dose", "line", "outcomes")
    table = [header]
    for r in rows:
        dose = "" if r["dose_mg_per_day"] is None else f"{r['dose_mg_per_day']:g} mg"
        outcomes = sorted({o["outcome"] for o in r["outcomes"]}, key=lambda o: (o not in _MAIN_OUTCOMES, o))
        shown = ", ".join(outcomes[:3]) + (f" +{len(outcomes) - 3}" if len(outcomes) > 3 else "")
        table.append((r["label"], "" if r["year"] is None else str(r["year"]), r["design"],
                      "" if r["n"] is None else str(r["n"]), dose, r["line_of_therapy"], shown))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for j, row in enumerate(table):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if j == 0:
            click.echo("  ".join("-" * w for w in widths))
    click.echo(f"\n{len(rows)} studies; review version {review.info.version}, last search "
               f"{review.info.last_search or 'not recorded'}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a study record (for editor validation while typing).

    \b
    Example:
      ldn-evidence schema > study.schema.json
    """
    from .records import study_json_schema

    click.echo(json.dumps(study_json_schema(), indent=2, ensure_ascii=False))


_OUTCOMES, _METHODS, _BY, _MEASURES = choices.OUTCOMES, choices.METHODS, choices.BY, choices.MEASURES


class _UpperChoice(click.Choice):
    """A choice of upper-case codes (REML, SMD) that also accepts lower case."""

    def convert(self, value, param, ctx):
        return super().convert(value.upper() if isinstance(value, str) else value, param, ctx)


def _analysis_options(f):
    """The options shared by forest, summary and sensitivity."""
    opts = [
        click.option("--outcome", type=click.Choice(_OUTCOMES), default="pain", show_default=True,
                     help="Outcome to pool (fiq = FIQ and FIQR)."),
        click.option("--measure", type=_UpperChoice(_MEASURES), default=None,
                     help="SMD (Hedges' g) or MD for continuous outcomes; RR, OR or RD for binary ones "
                          "[default: SMD, or RR for a binary outcome]."),
        click.option("--method", type=_UpperChoice(_METHODS), default="REML",
                     show_default=True, help="tau² estimator (metafor's codes)."),
        click.option("--test", type=click.Choice(["knha", "z"], case_sensitive=False), default="knha",
                     show_default=True, help="Hartung-Knapp (t) or Wald z intervals and tests."),
        click.option("--by", type=click.Choice(_BY), default="design", show_default=True,
                     help="Subgroups, each with its own tau², plus the test for subgroup differences."),
        click.option("--exclude", multiple=True, metavar="ID[,ID...]",
                     help="Leave out studies by id (repeatable or comma-separated)."),
        click.option("--tag", "tags", multiple=True, metavar="TAG",
                     help="Only studies with this tag, e.g. carvalho_skare_2023 (the seed review's seven)."),
        click.option("--r", "r", type=click.FloatRange(-0.99, 0.99), default=None, metavar="R",
                     help="Within-person correlation for crossover/pre-post effects [default: the review's, 0.5]."),
        click.option("--level", type=click.FloatRange(50, 99.9), default=95, show_default=True,
                     help="Confidence level in percent."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _analyse(ctx, outcome, measure, method, test, by, exclude, tags, r, level):
    review = _load(ctx)
    ids = [x.strip() for item in exclude for x in item.split(",") if x.strip()]
    return review.analyse(outcome=outcome, measure=measure, method=method.upper(), test=test.lower(),
                          by=by, exclude=ids, r=r, level=level, tags=list(tags) or None)


def _check_writable(output: str) -> None:
    """A bad --output is a bad option (exit 2), found before any work is done."""
    import os
    from pathlib import Path

    folder = Path(output).parent
    if not folder.is_dir():
        raise UserError(f"cannot write {output}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot write {output}: the folder {folder} is not writable")


@main.command()
@_analysis_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write [default: forest-<outcome>.<format>].")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default=None,
              help="Image format [default: from --output, else png].")
@click.option("--dpi", type=click.IntRange(50, 600), default=100, show_default=True,
              help="Resolution of a PNG (300 for print).")
@click.pass_context
def forest(ctx, outcome, measure, method, test, by, exclude, tags, r, level, output, fmt, dpi):
    """Forest plot of one outcome: studies by design, subgroup and overall diamonds,
    prediction interval, test for subgroup differences, derivation footnotes.

    Prints the file written and the pooled result in one line. Defaults: pain, SMD (Hedges' g),
    REML tau², Hartung-Knapp intervals, Q-profile tau² CI, prediction interval, subgroups by
    design, r = 0.5 for crossover and pre-post effects.

    \b
    Examples:
      ldn-evidence forest                                   # -> forest-pain.png
      ldn-evidence forest --outcome fiq --format svg        # -> forest-fiq.svg
      ldn-evidence forest --measure MD -o pain-md.pdf       # mean difference on 0-10
      ldn-evidence forest --method DL --test z              # the classic DerSimonian-Laird
      ldn-evidence forest --by line_of_therapy              # first-line vs add-on
      ldn-evidence forest --outcome adverse_events          # risk ratio, log axis
      ldn-evidence forest --exclude younger2013 --r 0.3     # a sensitivity analysis
      ldn-evidence forest --outcome symptom_severity --tag carvalho_skare_2023   # the seed's picture
    """
    import numpy  # noqa: F401  both processes need it: import it once, before the fork

    from ._prerender import start_plot_helper

    helper = start_plot_helper()  # imports matplotlib in parallel while the statistics run
    try:
        _forest(ctx, helper, outcome, measure, method, test, by, exclude, tags, r, level, output, fmt, dpi)
    finally:
        if helper is not None:
            helper.close()


def _forest(ctx, helper, outcome, measure, method, test, by, exclude, tags, r, level, output, fmt, dpi):
    from pathlib import Path

    if output is None:
        fmt = fmt or "png"
        output = f"forest-{outcome}.{fmt}"
    else:
        suffix = Path(output).suffix.lower().lstrip(".")
        if fmt is None:
            fmt = suffix if suffix in ("png", "svg", "pdf") else "png"
        if suffix != fmt:
            output = f"{output}.{fmt}" if not suffix else str(Path(output).with_suffix(f".{fmt}"))
    _check_writable(output)
    analysis = _analyse(ctx, outcome, measure, method, test, by, exclude, tags, r, level)
    if analysis.overall is None:
        raise UserError(f"nothing to plot: {analysis.one_line()}")
    args, kwargs = analysis.forest_args()
    save = {"format": fmt, "dpi": dpi}
    if fmt == "png":
        save["pil_kwargs"] = {"compress_level": 3}  # zlib 3: faster than the default 6, and smaller here
    failed = helper.draw(args, kwargs, output, save) if helper is not None else "no helper"
    if failed:
        from ._prerender import configure_matplotlib
        from .plots.forest import forest_plot

        configure_matplotlib()

        forest_plot(*args, **kwargs).savefig(output, **save)
    click.echo(f"wrote {output}")
    click.echo(analysis.one_line())
    click.echo(f"  ({analysis.settings})")


@main.command()
@_analysis_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Output format.")
@click.pass_context
def summary(ctx, outcome, measure, method, test, by, exclude, tags, r, level, fmt):
    """Pooled results per subgroup and overall: k, estimate, CI, prediction interval, p, tau², I².

    \b
    Examples:
      ldn-evidence summary
      ldn-evidence summary --outcome fiq --format json
      ldn-evidence summary --method PM --test z --format csv > pain.csv
    """
    analysis = _analyse(ctx, outcome, measure, method, test, by, exclude, tags, r, level)
    if fmt == "json":
        click.echo(json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(analysis.summary_frame().to_csv(index=False), nl=False)
    else:
        click.echo(str(analysis))


@main.command()
@click.option("--outcome", type=click.Choice(_OUTCOMES), default="pain", show_default=True, help="Outcome to examine.")
@click.option("--measure", type=_UpperChoice(_MEASURES), default=None,
              help="Effect measure [default: SMD, or RR for a binary outcome].")
@click.option("--method", type=_UpperChoice(_METHODS), default="REML", show_default=True,
              help="tau² estimator of the primary analysis.")
@click.option("--test", type=click.Choice(["knha", "z"], case_sensitive=False), default="knha", show_default=True,
              help="Intervals and tests of the primary analysis.")
@click.option("--r", "r", type=click.FloatRange(-0.99, 0.99), default=None, metavar="R",
              help="Within-person correlation of the primary analysis [default: the review's, 0.5].")
@click.option("--permutations", type=click.IntRange(100, 100_000), default=1000, show_default=True,
              help="Permutations for the permutation test (exact when 2^k is smaller).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for permutations and GOSH sampling.")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write every sensitivity figure (PNG) into DIR.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Output format of the review-level table (json also holds the diagnostics).")
@click.pass_context
def sensitivity(ctx, outcome, measure, method, test, r, permutations, seed, plot_dir, fmt):
    """How much do the pooled results lean on single studies and on our assumptions?

    Re-runs the analysis with all nine tau² estimators, z vs Hartung-Knapp, the within-person
    correlation r from 0.2 to 0.8, randomized / controlled / parallel RCTs only, without high risk
    of bias, without secondary numbers, and first-line vs add-on use; then the diagnostics of the
    primary analysis: leave-one-out, influence, Egger's and Begg's tests, trim-and-fill,
    permutation test and GOSH.

    \b
    Examples:
      ldn-evidence sensitivity
      ldn-evidence sensitivity --outcome fiq --plot figures/
      ldn-evidence sensitivity --format csv > sensitivity.csv
      ldn-evidence sensitivity --method DL --test z --r 0.3
    """
    import sys

    review = _load(ctx)
    bar = None
    if sys.stderr.isatty() and fmt == "text":
        bar = click.progressbar(length=1, label="sensitivity analyses", file=sys.stderr)

    def progress(done, total):
        if bar is not None:
            bar.length = total
            bar.update(1)

    try:
        result = review.sensitivity(outcome, measure=measure, method=method, test=test.lower(), r=r,
                                    progress=progress)
    finally:
        if bar is not None:
            bar.render_finish()
    primary = result.primary
    diagnostics = _diagnostics(primary, permutations, seed)
    if fmt == "json":
        from .review import json_safe

        out = {"outcome": outcome, "measure": measure, "primary": primary.to_dict(),
               "analyses": [{k: json_safe(v) for k, v in row.items()} for row in result.rows],
               "diagnostics": {k: json_safe(v) for k, v in diagnostics["summary"].items()}}
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(result.table.to_csv(index=False), nl=False)
    else:
        click.echo(str(result))
        click.echo("")
        click.echo(diagnostics["text"])
    if plot_dir:
        for path in _sensitivity_figures(result, primary, diagnostics, plot_dir):
            click.echo(f"wrote {path}", err=fmt != "text")


def _diagnostics(analysis, permutations, seed) -> dict:
    """Diagnostics of the primary analysis's overall model (each skipped with a reason when k is too small)."""
    res = analysis.overall
    lines = [f"Diagnostics of the primary analysis (k = {res.k}):"]
    summary: dict = {}
    found: dict = {}

    def attempt(name, fn):
        try:
            found[name] = fn()
        except Exception as exc:  # noqa: BLE001 - a diagnostic that does not apply is reported, not fatal
            lines.append(f"  {name}: not available ({exc})")
            summary[name] = f"not available: {exc}"

    attempt("leave-one-out", res.leave_one_out)
    attempt("influence", res.influence)
    attempt("Egger's regression test", res.egger_test)
    attempt("rank correlation test", res.rank_test)
    attempt("trim-and-fill", res.trim_and_fill)
    attempt("permutation test", lambda: res.permutation_test(n=permutations, seed=seed))
    attempt("GOSH", lambda: res.gosh(seed=seed))
    attempt("cumulative by year", res.cumulative)
    if "leave-one-out" in found:
        loo = found["leave-one-out"]
        lines.append("  leave-one-out (estimate [CI] without the study):")
        for label, row in loo.iterrows():
            lines.append(f"    - {label}: {row['estimate']:.3f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}], "
                         f"tau² = {row['tau2']:.3f}, I² = {row['i2']:.0f}%")
        summary["leave_one_out_range"] = [float(loo["estimate"].min()), float(loo["estimate"].max())]
    if "influence" in found:
        inf = found["influence"]
        flagged = [str(i) for i in inf.index[inf["inf"].astype(bool)]] if "inf" in inf else []
        lines.append(f"  influential studies (metafor's criteria): {', '.join(flagged) or 'none'}")
        summary["influential"] = flagged
    stat = "t" if res.test == "knha" else "z"
    if "Egger's regression test" in found:
        e = found["Egger's regression test"]
        df = "" if e.df != e.df else f", df = {e.df:g}"
        text = (f"{stat} = {e.zval:.3f}{df}, p = {e.pvalue:.3f}; limit estimate {e.estimate:.3f} "
                f"[{e.ci_low:.2f}, {e.ci_high:.2f}] (predictor: {e.predictor})")
        lines.append(f"  Egger's regression test: {text}")
        summary["egger"] = {"statistic": e.zval, "df": e.df, "pvalue": e.pvalue, "limit_estimate": e.estimate}
    if "rank correlation test" in found:
        b = found["rank correlation test"]
        lines.append(f"  Begg's rank correlation test: Kendall's tau = {b.tau:.3f}, p = {b.pvalue:.3f}"
                     f"{' (exact)' if b.exact else ''}")
        summary["rank_test"] = {"tau": b.tau, "pvalue": b.pvalue, "exact": bool(b.exact)}
    if "trim-and-fill" in found:
        tf = found["trim-and-fill"]
        text = (f"{tf.k0} studies imputed on the {tf.side} ({tf.estimator}); filled estimate {tf.estimate:.3f} "
                f"[{tf.ci_low:.2f}, {tf.ci_high:.2f}]" + (" (z test, as metafor's trimfill)" if tf.k0 else ""))
        lines.append(f"  trim-and-fill: {text}")
        summary["trim_and_fill"] = {"k0": tf.k0, "side": tf.side, "estimate": tf.estimate,
                                    "ci_low": tf.ci_low, "ci_high": tf.ci_high}
    if "permutation test" in found:
        pt = found["permutation test"]
        kind = f"exact, {pt.n} sign patterns" if pt.exact else f"{pt.n} permutations, MC SE {pt.mc_se:.3f}"
        lines.append(f"  permutation test: p = {pt.pvalue:.4f} ({kind})")
        summary["permutation_test"] = {"pvalue": pt.pvalue, "exact": bool(pt.exact), "n": int(pt.n)}
    if "GOSH" in found:
        g = found["GOSH"]
        est = g["estimate"].dropna()
        lines.append(f"  GOSH: {len(g)} subsets, estimates from {est.min():.3f} to {est.max():.3f}")
        summary["gosh_subsets"] = int(len(g))
    return {"text": "\n".join(lines), "summary": summary, "found": found}


def _sensitivity_figures(result, primary, diagnostics, plot_dir):
    from pathlib import Path

    from .plots import diagnostics as dplots

    out = Path(plot_dir)
    out.mkdir(parents=True, exist_ok=True)
    found = diagnostics["found"]
    res = primary.overall
    xlabel = primary.xlabel
    figures = {"sensitivity-forest": lambda: result.forest()}
    if "trim-and-fill" in found or res.k >= 2:
        figures["funnel"] = lambda: dplots.funnel_plot(res, found.get("trim-and-fill"), xlabel=xlabel)
    if "influence" in found:
        figures["baujat"] = lambda: dplots.baujat_plot(res.baujat())
        figures["influence"] = lambda: dplots.influence_plot(found["influence"], res)
    if "leave-one-out" in found:
        figures["leave-one-out"] = lambda: dplots.leave_one_out_plot(found["leave-one-out"], res, xlabel=xlabel)
    if "cumulative by year" in found:
        figures["cumulative"] = lambda: dplots.cumulative_plot(found["cumulative by year"], xlabel=xlabel)
    if "GOSH" in found:
        figures["gosh"] = lambda: dplots.gosh_plot(found["GOSH"], xlabel=xlabel)
    written = []
    for name, make in figures.items():
        path = out / f"{name}-{result.outcome}.png"
        try:
            make().savefig(path, dpi=100)
        except Exception as exc:  # noqa: BLE001 - one figure failing must not lose the others
            click.echo(f"warning: {name} not drawn ({exc})", err=True)
            continue
        written.append(path)
    return written


from .cli_living import add, diff, prisma, cumulative, tsa  # noqa: E402
for _cmd in (add, diff, prisma, cumulative, tsa): main.add_command(_cmd)


def run() -> None:
    """The ``ldn-evidence`` console script: :func:`main`, then a fast exit.

    Tearing down an interpreter that has loaded numpy, scipy, pydantic and matplotlib takes
    about 0.15 s and does nothing a finished command needs (its files are written and closed), so
    after flushing stdout and stderr the process ends with ``os._exit`` and click's exit status.
    """
    import os

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        code = code or 1
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
