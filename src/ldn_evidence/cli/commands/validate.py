"""``ldn-evidence validate``: every problem in a studies file or a record file."""
from __future__ import annotations

import click

__all__ = ["validate"]


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def validate(ctx: click.Context, path: str | None) -> None:
    """Check a studies file and list every problem.

    Each problem as file:line: study: field: message.

    PATH may be a whole studies file or a file holding one study record or a list of them (what
    `ldn-evidence add` takes), checked against the protocol of the review --studies selects.
    Without PATH, checks --studies or the bundled file.

    \b
    Examples:
      ldn-evidence validate
      ldn-evidence validate new-trial.yaml
    """
    from ...records import StudiesFileError, read_studies, validate_studies
    from .._options import studies_path

    target = path or str(studies_path(ctx))
    protocol = None
    if path and ctx.obj.get("studies_path"):  # a record file, checked against the selected review
        protocol = read_studies(studies_path(ctx)).protocol
    problems = validate_studies(target, protocol=protocol)
    if problems:
        raise StudiesFileError(problems)
    click.echo(f"{target}: ok")
    if _without_protocol(target):
        click.echo("note: no review.protocol in this file: read with the bundled review's protocol (its outcomes, "
                   "arms and labels); see docs/schema.md, or `ldn-evidence init` for a file that has one")


def _without_protocol(target) -> bool:
    """Whether ``target`` is a whole studies file without its own protocol."""
    from ...records import StudiesFileError, read_studies

    try:
        return not read_studies(target).has_own_protocol
    except StudiesFileError:  # a record file, not a whole studies file
        return False
