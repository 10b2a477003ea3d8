"""``ldn-evidence forest``: the forest plot of one outcome, the headline of the review."""
from __future__ import annotations

import click

from .._options import (UserError, analyse, analysis_options, dpi_option, figure_format_option, load_review, lower,
                       model_option, resolve_output)

__all__ = ["forest"]


@click.command()
@analysis_options
@model_option()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: forest-<outcome>.<format>].")
@figure_format_option()
@dpi_option()
@click.pass_context
def forest(ctx, outcome, measure, method, test, by, exclude, tags, r, level, combine_change_final, model, output, fmt,
           dpi):
    """Forest plot of one outcome.

    Studies by design, subgroup and overall diamonds, prediction interval, test for subgroup
    differences, derivation footnotes.

    Prints the file written and the pooled result in one line. Defaults: the protocol's first
    outcome (pain for the bundled review) and its measure (SMD, Hedges' g), REML tau², Hartung-Knapp
    intervals, Q-profile tau² CI, prediction interval, subgroups by the protocol's first variable
    (design), r = 0.5 for crossover and pre-post effects. With --model bayes: each study's observed
    estimate with its shrinkage estimate, the posterior of the mean effect by subgroup and overall,
    the predictive interval, and the frequentist result beside it.

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
      ldn-evidence --studies bcg forest --by alloc          # another review: the BCG vaccine trials
      ldn-evidence forest --model bayes                     # Bayesian: -> forest-pain-bayes.png
    """
    review = load_review(ctx)
    outcome = review.outcome_id(lower(outcome))
    model = lower(model)
    output, fmt = resolve_output(output, fmt, f"forest-{outcome}" + ("-bayes" if model == "bayes" else ""))
    analysis = analyse(ctx, outcome, measure, method, test, by, exclude, tags, r, level, combine_change_final,
                       review=review, model=model)
    if analysis.overall is None or (model == "bayes" and analysis.posterior is None):
        raise UserError(f"nothing to plot: {analysis.one_line()}")
    save = {"format": fmt, "dpi": dpi}
    if fmt == "png":
        save["pil_kwargs"] = {"compress_level": 3}  # zlib 3: faster than the default 6, and smaller here
    analysis.forest().savefig(output, **save)
    click.echo(f"wrote {output}")
    click.echo(analysis.one_line())
    click.echo(f"  ({analysis.settings})")
    for note in analysis.caveats():
        click.echo(f"  note: {note}")
