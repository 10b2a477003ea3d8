"""``ldn-evidence validate``: every problem in a studies file or a record file."""
from __future__ import annotations

import click

__all__ = ["validate"]


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def validate(ctx: click.Context, path: str | None) -> None:
    """Check a studies file and list every problem (file:line: study: field: message).

    PATH may be a whole studies file or a file holding one study record or a list of them (what
    `ldn-evidence add` takes). Without PATH, checks --studies or the bundled file.

    \b
    Examples:
      ldn-evidence validate
      ldn-evidence validate new-trial.yaml
    """
    from ...records import StudiesFileError, default_studies_path, validate_studies

    target = path or ctx.obj.get("studies_path") or str(default_studies_path())
    problems = validate_studies(target)
    if problems:
        raise StudiesFileError(problems)
    click.echo(f"{target}: ok")
