"""``ldn-evidence import``: an extraction sheet (CSV or Excel, metafor's column names) into a review."""
from __future__ import annotations

import click

from ...vocabulary import DESIGNS, ESCALC_MEASURES
from .._options import UpperChoice, finite_range, lower

__all__ = ["import_sheet"]


@click.command("import")
@click.argument("sheet", type=click.Path(dir_okay=False))
@click.option("--outcome", required=True, metavar="ID", help="The outcome the sheet's rows report (an outcome id).")
@click.option("--measure", type=UpperChoice(ESCALC_MEASURES), default=None,
              help="The measure of a yi column; for a new review also its outcome's default measure "
                   "[default: RR for event counts, SMD for means].")
@click.option("-o", "--output", "target", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="The studies file to add to; a FILE that does not exist becomes a new review.")
@click.option("--design", type=click.Choice(DESIGNS), default="parallel_rct", show_default=True,
              help="Design of rows without a design cell.")
@click.option("--title", default=None, help="New review: its title.")
@click.option("--outcome-name", default=None, help="New review: how titles name the outcome.")
@click.option("--higher-is-better", is_flag=True, help="New review: more (events, higher scores) is better.")
@click.option("--intervention", default=None, metavar="NAME",
              help="New review: the intervention's name (its id, label and arm name) [default: treatment].")
@click.option("--comparator", default=None, metavar="NAME",
              help="New review: the comparator's name [default: control].")
@click.option("--moderator", "moderators", multiple=True, metavar="COLUMN",
              help="New review: keep this column as a moderator (repeatable); an existing review reads the "
                   "columns its protocol declares.")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would change, without writing.")
@click.option("--lock-timeout", type=finite_range(0, 3600), default=30, show_default=True, metavar="SECONDS")
def import_sheet(sheet, outcome, measure, target, design, title, outcome_name, higher_is_better, intervention,
                 comparator, moderators, dry_run, lock_timeout):
    """Import an extraction sheet (metafor's column names).

    One row per study x outcome.

    \b
    Data columns (one set per row):  ai bi ci di | ai n1i ci n2i | m1i sd1i n1i m2i sd2i n2i
                                     | yi vi | yi sei   (yi of ratios on the log scale)
    Other columns: study (required), year, design, doi, pmid, source; id, title, timepoint, notes;
    and the review's moderators.

    Each row becomes a record whose numbers name their source (the sheet and its row), validated
    like any record; a row that cannot be used is refused with its row and column, and nothing is
    written. An existing FILE gets the records as `add` adds them; a new FILE becomes a new review.

    \b
    Examples:
      ldn-evidence import bcg.csv --outcome tb -o bcg/studies.yaml --intervention BCG --moderator alloc
      ldn-evidence import extraction.xlsx --outcome pain --measure SMD -o data/studies.yaml --dry-run
    """
    from ...review.importing import import_sheet as run_import

    result = run_import(sheet, target, lower(outcome), measure=measure, design=design, title=title,
                        outcome_name=outcome_name, higher_is_better=higher_is_better,
                        moderators=[m.lower() for m in moderators], dry_run=dry_run, lock_timeout=lock_timeout,
                        intervention=intervention, comparator=comparator)
    for line in result.lines():
        click.echo(line)
