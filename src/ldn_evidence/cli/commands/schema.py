"""``ldn-evidence schema``: the JSON Schema of a studies file (or of a record file), for editors."""
from __future__ import annotations

import click

from .._options import echo_json, load_review

__all__ = ["schema"]


@click.command()
@click.option("--record", "what", flag_value="record",
              help="The schema of a record file for `ldn-evidence add`: one study record or a list of them.")
@click.option("--study", "what", flag_value="study", help="The schema of one study record.")
@click.option("--file", "what", flag_value="file", default=True,
              help="The schema of a whole studies file (review: and studies:) [default].")
@click.pass_context
def schema(ctx, what: str) -> None:
    """Print a JSON Schema of the studies file, for editors.

    A JSON Schema (draft 2020-12) for editor validation while typing; the selected review's
    outcome ids, contrasts and comparators are listed as the fields' choices.

    By default the schema of a whole studies file; --record for a file given to
    `ldn-evidence add`. A schema checks names, types, ranges and patterns; `ldn-evidence
    validate` also checks what a schema cannot say (unique ids, a CI containing its estimate,
    a source for every number, ...).

    \b
    Examples:
      ldn-evidence schema > studies.schema.json
      ldn-evidence schema --record > record.schema.json
      ldn-evidence --studies my-review schema --record > my-review/record.schema.json
    """
    from ...records.schema import record_file_json_schema, studies_file_json_schema, study_json_schema

    make = {"file": studies_file_json_schema, "record": record_file_json_schema, "study": study_json_schema}[what]
    echo_json(make(load_review(ctx).protocol))
