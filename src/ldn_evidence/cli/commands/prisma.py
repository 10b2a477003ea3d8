"""``ldn-evidence prisma``: the PRISMA 2020 flow diagram of the review."""
from __future__ import annotations

import click

from .._options import dpi_option, figure_format_option, load_review, resolve_output

__all__ = ["prisma"]


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: prisma.<format>].")
@figure_format_option()
@dpi_option(150)
@click.pass_context
def prisma(ctx, output, fmt, dpi):
    """PRISMA 2020 flow diagram of the review.

    Drawn from review.prisma in the studies file.

    Counts that are not recorded are drawn as "n = ?" (never filled in or computed).

    \b
    Examples:
      ldn-evidence prisma
      ldn-evidence prisma -o flow.svg
    """
    from ...plots.prisma import prisma_flow  # matplotlib: imported when the figure is drawn

    output, fmt = resolve_output(output, fmt, "prisma")
    review = load_review(ctx)
    p = review.info.prisma
    note = None if p is not None else "No PRISMA counts are recorded in the studies file (review.prisma); " \
                                      "every count is shown as unknown."
    if p is not None and p.note:
        note = p.note
    from ...plots._figure import stamp

    fig = stamp(prisma_flow(p, note=note), review.file_hash)
    fig.savefig(output, format=fmt, dpi=dpi)
    click.echo(f"wrote {output}")
    fields = ["identified_databases", "identified_registers", "identified_other", "duplicates_removed", "screened",
              "excluded_screening", "full_text_assessed", "included_studies", "included_reports"]
    unknown = [f for f in fields if p is None or getattr(p, f) is None]
    if unknown:
        click.echo(f"unknown (n = ?): {', '.join(unknown)}")
