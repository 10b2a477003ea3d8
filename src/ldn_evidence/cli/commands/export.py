"""``ldn-evidence export``: the included studies' references, or every effect size with its derivation."""
from __future__ import annotations

import click

from .._options import UserError, finite_range, load_review

__all__ = ["export"]


@click.command()
@click.option("--format", "fmt", type=click.Choice(["ris", "bibtex", "csv"]), default="ris", show_default=True,
              help="ris or bibtex: the included studies' references; csv: every effect size with its derivation.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: standard output].")
@click.option("--r", "r", type=finite_range(-0.99, 0.99), default=None, metavar="R",
              help="csv: within-person correlation for crossover/pre-post effects [default: the review's].")
@click.pass_context
def export(ctx, fmt, output, r):
    """Export references (RIS, BibTeX) or effect sizes (CSV).

    The included studies' references (RIS for reference managers, BibTeX for LaTeX) or a CSV of
    every effect size of every pooled outcome with its path, derivation, assumptions and source.

    \b
    Examples:
      ldn-evidence export --format ris -o references.ris
      ldn-evidence export --format bibtex > references.bib
      ldn-evidence --studies bcg export --format csv -o effects.csv
    """
    from ...records import atomic_write_text
    from ...review.export import effect_sizes_csv, references

    review = load_review(ctx)
    text = effect_sizes_csv(review, r=r) if fmt == "csv" else references(review, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    if not Path(output).parent.is_dir():
        raise UserError(f"cannot write {output}: the folder {Path(output).parent} does not exist")
    atomic_write_text(Path(output), text)
    click.echo(f"wrote {output}")
