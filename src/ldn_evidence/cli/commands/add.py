"""``ldn-evidence add``: add study records to the review's file, safely."""
from __future__ import annotations

import click

from .._options import finite_range, studies_path

__all__ = ["add"]


@click.command()
@click.argument("record", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show the before -> after results without writing.")
@click.option("--lock-timeout", type=finite_range(0, 3600), default=30, show_default=True, metavar="SECONDS",
              help="How long to wait for another writer of the studies file.")
@click.pass_context
def add(ctx, record, dry_run, lock_timeout):
    """Add study records to the review's studies file.

    RECORD holds one study mapping or a list of them.

    Validates each record (exit 2 with file:line: study: field messages), refuses duplicates
    (same id, DOI, PMID, PMCID or registration number, or a near-identical title in the same
    year, naming the existing record), inserts it by year then id (no year last), keeps every
    comment, writes atomically under <studies>.lock, and prints the pooled results before ->
    after for each outcome the record reports.

    \b
    Examples:
      ldn-evidence add new-trial.yaml --dry-run
      ldn-evidence add new-trial.yaml
      ldn-evidence --studies my-studies.yaml add two-trials.yaml
    """
    from ...review.add import add_records

    result = add_records(studies_path(ctx), record, dry_run=dry_run, lock_timeout=lock_timeout)
    for line in result.lines():
        click.echo(line)
