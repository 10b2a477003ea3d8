"""``ldn-evidence reconcile``: published meta-analyses against this review, rung by rung."""
from __future__ import annotations

import click

from .._options import UserError, dpi_option, echo_json, load_review, lower, outcome_option, resolve_output, split_ids

__all__ = ["reconcile"]


@click.command()
@outcome_option("Outcome whose published pooled results are reconciled")
@click.option("--analysis", "analyses", multiple=True, metavar="ID[,ID...]",
              help="Published analyses to reconcile (ids of review.published_analyses; repeatable or "
                   "comma-separated) [default: every one that pools the outcome].")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text (the ladders, the gaps and what would have to be true), json (everything, with "
                   "provenance) or csv (one row per rung).")
@click.option("--plot", "plot", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also draw the ladders side by side to FILE (png, svg or pdf).")
@dpi_option(150)
@click.option("--r", "r", type=click.FloatRange(-0.99, 0.99), default=None, metavar="R",
              help="Within-person correlation for crossover effects [default: the review's].")
@click.pass_context
def reconcile(ctx, outcome, analyses, fmt, plot, dpi, r):
    """Published meta-analyses of one outcome against this review, rung by rung.

    For each published pooled result of the outcome (review.published_analyses), a ladder from their number to this review's, changing
    one thing per rung: (a) their published estimate; (b) their trials with their measure,
    tau² estimator and CI method; (c) this review's effect derivations; (d) every trial pooled
    now; (e) this review's defaults, one setting at a time. Where (b) does not reproduce (a),
    how far off it is and what their extraction would have had to do (an SE used as an SD, raw
    MDs on different scales, a within-arm change, a crossover analysed as parallel groups,
    another set of trials), each refitted. What a publication does not state is assumed and
    printed as an assumption.

    \b
    Examples:
      ldn-evidence reconcile
      ldn-evidence reconcile --analysis vatvani2024,annmedsurg2025
      ldn-evidence reconcile --format csv > ladders.csv
      ldn-evidence reconcile --plot reconcile.png
    """
    from ...review.reconcile import reconcile_review

    if plot:
        plot, plot_fmt = resolve_output(plot, None, "reconcile")
    review = load_review(ctx)
    result = reconcile_review(review, lower(outcome), analyses=split_ids(analyses) or None, r=r)
    if not result.ladders:
        raise UserError(f"no published analysis pools {result.outcome} with a result marked reconcile: true "
                        "(review.published_analyses); nothing to reconcile")
    if fmt == "json":
        echo_json(result.to_dict())
    elif fmt == "csv":
        click.echo(result.to_frame().to_csv(index=False), nl=False)
    else:
        click.echo(str(result), nl=False)
    if plot:
        result.plot().savefig(plot, format=plot_fmt, dpi=dpi)
        click.echo(f"wrote {plot}", err=fmt != "text")
