"""``ldn-evidence init``: start a new review in a folder."""
from __future__ import annotations

import click

__all__ = ["init"]


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--title", default=None, help="The review's title [default: 'A living systematic review'].")
def init(folder, title):
    """Start a new review: a commented studies file.

    Writes FOLDER/studies.yaml, a valid, commented studies file with a protocol to edit
    (question, outcomes, arms, labels, subgroups) and one example study, ready for `add` and
    `import`. Never overwrites an existing review.

    \b
    Examples:
      ldn-evidence init my-review --title "Drug X for condition Y"
      ldn-evidence --studies my-review forest
    """
    from ...review.start import init_review

    path = init_review(folder, title=title)
    click.echo(f"wrote {path}: a new review with one example study (tagged 'example'; replace it)")
    click.echo("next:")
    for line in (f"edit {path}: the question and review.protocol (outcomes, arms, labels)",
                 f"ldn-evidence --studies {folder} validate",
                 f"ldn-evidence --studies {folder} add first-study.yaml       # one study record (docs/schema.md)",
                 f"ldn-evidence import sheet.csv --outcome events -o {path}",
                 f"ldn-evidence --studies {folder} forest",
                 f"export LDN_EVIDENCE_STUDIES={path}               # then leave out --studies"):
        click.echo(f"  {line}")
