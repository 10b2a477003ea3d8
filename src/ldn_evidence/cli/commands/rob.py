"""``ldn-evidence rob``: risk-of-bias figures (traffic light and weighted summary bars)."""
from __future__ import annotations

import click

from .._options import UserError, dpi_option, figure_format_option, load_review, resolve_output

__all__ = ["rob"]


@click.command()
@click.option("--outcome", default=None, metavar="OUTCOME",
              help="Only the studies pooled for this outcome, the summary bars weighted by their analysis "
                   "weights [default: every study, unweighted].")
@click.option("--kind", type=click.Choice(["both", "traffic_light", "summary"]), default="both", show_default=True,
              help="The traffic-light plot, the summary bars, or both in one figure.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: rob-<outcome or all>.<format>].")
@figure_format_option()
@dpi_option()
@click.pass_context
def rob(ctx, outcome, kind, output, fmt, dpi):
    """Risk-of-bias figures in robvis's layout.

    One row per study and one column per domain (RoB 2 D1-D5 and ROBINS-I D1-D7 in their own
    panels, the domains named in a legend), and bars of the share of information at each
    judgement per domain.

    \b
    Examples:
      ldn-evidence rob                                  # every study -> rob-all.png
      ldn-evidence rob --outcome pain                   # pooled studies, bars weighted -> rob-pain.png
      ldn-evidence rob --outcome pain --kind summary -o rob-summary.svg
    """
    from ...review.rob import rob_plot

    stem = f"rob-{outcome.lower() if outcome else 'all'}"
    output, fmt = resolve_output(output, fmt, stem)
    review = load_review(ctx)
    try:
        fig = rob_plot(review, outcome.lower() if outcome else None, kind=kind)
    except ValueError as exc:  # a ReviewError, or nothing to draw
        raise UserError(str(exc)) from None
    save = {"format": fmt, "dpi": dpi}
    if fmt == "png":
        save["pil_kwargs"] = {"compress_level": 3}
    fig.savefig(output, **save)
    click.echo(f"wrote {output}")
