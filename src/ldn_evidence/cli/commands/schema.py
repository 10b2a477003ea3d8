"""``ldn-evidence schema``: the JSON Schema of a study record, for editors."""
from __future__ import annotations

import json

import click

__all__ = ["schema"]


@click.command()
@click.pass_context
def schema(ctx) -> None:
    """Print the JSON Schema of a study record of the selected review (for editor validation
    while typing): its protocol's outcome ids, contrasts and comparators are listed as choices.

    \b
    Examples:
      ldn-evidence schema > study.schema.json
      ldn-evidence --studies my-review schema > my-review/study.schema.json
    """
    from ...records import study_json_schema
    from .._options import load_review

    click.echo(json.dumps(study_json_schema(load_review(ctx).protocol), indent=2, ensure_ascii=False))
