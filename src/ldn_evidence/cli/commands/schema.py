"""``ldn-evidence schema``: the JSON Schema of a study record, for editors."""
from __future__ import annotations

import json

import click

__all__ = ["schema"]


@click.command()
def schema() -> None:
    """Print the JSON Schema of a study record (for editor validation while typing).

    \b
    Example:
      ldn-evidence schema > study.schema.json
    """
    from ...records import study_json_schema

    click.echo(json.dumps(study_json_schema(), indent=2, ensure_ascii=False))
