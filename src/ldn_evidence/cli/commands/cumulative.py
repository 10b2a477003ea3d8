"""``ldn-evidence cumulative``: how the pooled estimate moved, year by year."""
from __future__ import annotations

import click

from ..._format import integer_columns, is_missing
from ..._version import provenance
from ...vocabulary import MEASURES
from .._options import (UpperChoice, UserError, dpi_option, echo_json, finite_range, load_review, lower,
                        method_option, outcome_option, resolve_output, split_ids, test_option)

__all__ = ["cumulative"]


@click.command()
@outcome_option()
@click.option("--measure", type=UpperChoice(MEASURES), default=None,
              help="Effect measure [default: the outcome's, e.g. SMD or RR].")
@method_option()
@test_option()
@click.option("--r", "r", type=finite_range(-0.99, 0.99), default=None, metavar="R",
              help="Within-person correlation for crossover/pre-post effects [default: the review's].")
@click.option("--exclude", multiple=True, metavar="ID[,ID...]", help="Leave out studies by id.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Also write a cumulative forest plot to this file (png, svg or pdf).")
@dpi_option(150)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Format of the printed table.")
@click.pass_context
def cumulative(ctx, outcome, measure, method, test, r, exclude, output, dpi, fmt):
    """Cumulative meta-analysis by publication year.

    After each year's studies: k, estimate, CI, prediction interval, tau² and I² (studies
    without a year enter last).

    \b
    Examples:
      ldn-evidence cumulative
      ldn-evidence cumulative --outcome fiq -o cumulative-fiq.png
      ldn-evidence cumulative --format csv > cumulative.csv
    """
    from ...review.by_year import cumulative_by_year

    review = load_review(ctx)
    outcome = review.outcome_id(lower(outcome))
    if output:
        output, ofmt = resolve_output(output, None, f"cumulative-{outcome}")
    frame, analysis = cumulative_by_year(review, outcome, measure=measure, method=method,
                                         test=test, r=r, exclude=split_ids(exclude))
    measure = analysis.measure
    if len(frame) == 0:
        raise UserError(f"nothing to cumulate: {analysis.one_line()}")
    if fmt == "json":
        echo_json({"outcome": outcome, "measure": measure, "settings": analysis.settings,
                   "steps": frame.to_dict("records"), "provenance": provenance(review.file_hash)})
    elif fmt == "csv":
        click.echo(integer_columns(frame).to_csv(index=False), nl=False)
    else:
        click.echo(f"Cumulative meta-analysis of {outcome} ({measure}) by year — {analysis.settings}")
        click.echo(f"  {'year':7s} {'k':>3s} {'estimate':>9s} {'95% CI':>17s} {'tau²':>6s} {'I²':>5s}  added")
        for _, row in frame.iterrows():
            yr = "no year" if is_missing(row["year"]) else str(int(row["year"]))
            click.echo(f"  {yr:7s} {int(row['k']):3d} {row['estimate']:9.3f} [{row['ci_low']:6.2f}, "
                       f"{row['ci_high']:6.2f}] {row['tau2']:6.3f} {row['i2']:4.0f}%  {row['added']}")
    if output:
        from ...plots._figure import stamp
        from ...plots.diagnostics import cumulative_plot  # matplotlib: imported when the figure is drawn

        args, kw = analysis.forest_args()
        fig = cumulative_plot(frame, xlabel=analysis.xlabel, favours=kw["favours"], level=analysis.level,
                              title=f"Cumulative meta-analysis by year: {outcome.replace('_', ' ')}",
                              footnotes=[f"Each row pools every study published up to that year. "
                                         f"Model: {analysis.settings}."])
        stamp(fig, review.file_hash).savefig(output, format=ofmt, dpi=dpi)
        click.echo(f"wrote {output}", err=fmt != "text")
