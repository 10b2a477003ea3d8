"""``ldn-evidence summary``: pooled results per subgroup and overall, as text, JSON or CSV."""
from __future__ import annotations

import click

from .._options import analyse, analysis_options, echo_json, model_option

__all__ = ["summary"]


@click.command()
@analysis_options
@model_option()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Output format.")
@click.pass_context
def summary(ctx, outcome, measure, method, test, by, exclude, tags, r, level, combine_change_final, model, fmt):
    """Pooled results per subgroup and overall, as a table.

    k, estimate, SE, CI, the z or t statistic, p, prediction interval, tau² with its CI, I²,
    and the test for subgroup differences.

    With --model bayes: the posterior median and credible interval of the mean effect, the
    predictive interval, P(benefit) and the posterior of tau, per subgroup and overall, each
    beside the frequentist result; ratios as ratios (log values as log_* in JSON and CSV).

    \b
    Examples:
      ldn-evidence summary
      ldn-evidence summary --outcome fiq --format json
      ldn-evidence summary --method PM --test z --format csv > pain.csv
      ldn-evidence summary --model bayes --outcome fiq
      ldn-evidence --studies bcg summary --model bayes --format json
    """
    analysis = analyse(ctx, outcome, measure, method, test, by, exclude, tags, r, level, combine_change_final,
                       model=model)
    if fmt == "json":
        echo_json(analysis.to_dict())
    elif fmt == "csv":
        from ...review.analysis import summary_with_settings

        click.echo(summary_with_settings(analysis).to_csv(index=False), nl=False)
    else:
        click.echo(str(analysis))
