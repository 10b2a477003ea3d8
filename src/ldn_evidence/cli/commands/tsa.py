"""``ldn-evidence tsa``: trial sequential analysis of one outcome."""
from __future__ import annotations

import click

from ...vocabulary import MEASURES, REVIEW_METHODS
from .._options import (UpperChoice, UserError, dpi_option, echo_json, finite_range, load_review, lower,
                       outcome_option, resolve_output, split_ids)

__all__ = ["tsa", "MIRD_RATIO"]

#: the minimal relevant difference in SD units that a TSA can use: at 1e-4 SD the required
#: information size (4 (z_{1-a/2} + z_{1-b})² / (mird/sd)²) is about 3e9 participants; above
#: 10 SD it is below one participant
MIRD_RATIO = (1e-4, 10.0)


@click.command()
@outcome_option()
@click.option("--mird", type=finite_range(min=0, min_open=True), default=0.2, show_default=True,
              help="Minimal relevant difference (SMD units by default; MD units with --measure MD --sd); "
                   "mird/sd must lie in [0.0001, 10]; for a binary outcome a relative risk reduction (0.2 = 20%).")
@click.option("--control-risk", type=finite_range(0, 1, min_open=True, max_open=True), default=None,
              help="Binary outcomes: the control group's risk [default: pooled from the trials' control arms].")
@click.option("--sd", type=finite_range(min=0, min_open=True), default=1.0, show_default=True,
              help="SD of the outcome (1 on the SMD scale).")
@click.option("--alpha", type=finite_range(0.001, 0.2), default=0.05, show_default=True,
              help="Two-sided type I error (alpha/2 per boundary).")
@click.option("--beta", type=finite_range(0.01, 0.5), default=0.2, show_default=True,
              help="Type II error (power = 1 - beta).")
@click.option("--d2", type=finite_range(0, 0.99), default=None,
              help="Diversity D² for the information size [default: estimated from the trials].")
@click.option("--no-futility", is_flag=True, help="Leave out the beta-spending futility boundaries.")
@click.option("--information", type=click.Choice(["participants", "variance"]), default="participants",
              show_default=True, help="Information axis: participants (TSA) or 1/variance of the pooled estimate.")
@click.option("--include-nonrandomized", is_flag=True, help="Also use non-randomized studies (default: RCTs only).")
@click.option("--measure", type=UpperChoice(MEASURES), default=None,
              help="Effect measure [default: the outcome's, e.g. SMD or RR].")
@click.option("--method", type=UpperChoice(REVIEW_METHODS), default="DL", show_default=True,
              help="tau² estimator of the cumulative meta-analyses (TSA's default is DL).")
@click.option("--r", "r", type=finite_range(-0.99, 0.99), default=None, metavar="R")
@click.option("--exclude", multiple=True, metavar="ID[,ID...]")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Also write the TSA plot to this file (png, svg or pdf).")
@dpi_option(150)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def tsa(ctx, outcome, mird, control_risk, sd, alpha, beta, d2, no_futility, information, include_nonrandomized,
        measure, method, r, exclude, output, dpi, fmt):
    """Trial sequential analysis of one outcome.

    The cumulative Z-curve of the trials in publication order against Lan-DeMets
    O'Brien-Fleming boundaries and beta-spending futility boundaries, on the
    diversity-adjusted required information size.

    Assumptions (printed with the result): SMD scale with SD 1 unless --measure MD --sd; RIS =
    4 (z_{1-alpha/2} + z_{1-beta})² sd² / mird², divided by 1 - D²; DerSimonian-Laird random
    effects; RCTs only; trials without a year last; positive Z favours the intervention. For a
    binary outcome, --mird is a relative risk reduction of the control risk (Wetterslev 2008).

    \b
    Examples:
      ldn-evidence tsa --mird 0.2
      ldn-evidence tsa --mird 0.3 --beta 0.1 -o tsa-pain.png
      ldn-evidence tsa --information variance --format json
      ldn-evidence --studies bcg tsa --mird 0.3            # a binary outcome: 30% fewer cases
    """
    from ...review.tsa import trial_sequential_analysis

    ratio = mird / sd
    if not MIRD_RATIO[0] <= ratio <= MIRD_RATIO[1]:
        raise UserError(f"--mird {mird:g} with --sd {sd:g} is a difference of {ratio:.3g} SD; a trial sequential "
                        f"analysis needs {MIRD_RATIO[0]:g} to {MIRD_RATIO[1]:g} SD (below, the required information "
                        "size exceeds any population; above, it is less than one participant)")
    review = load_review(ctx)
    outcome = review.outcome_id(lower(outcome))
    if output:
        output, ofmt = resolve_output(output, None, f"tsa-{outcome}")
    try:
        res = trial_sequential_analysis(review, outcome, mird=mird, sd=sd, alpha=alpha, beta=beta,
                                        measure=measure, method=method, d2=d2,
                                        futility=not no_futility, information=information,
                                        randomized_only=not include_nonrandomized, r=r, exclude=split_ids(exclude),
                                        control_risk=control_risk)
    except ValueError as exc:  # a ReviewError or a TSA parameter out of range: exit 2 either way
        raise UserError(str(exc)) from None
    if fmt == "json":
        echo_json(res.to_dict())
    else:
        click.echo(str(res))
    if output:
        res.plot().savefig(output, format=ofmt, dpi=dpi)
        click.echo(f"wrote {output}", err=fmt != "text")
