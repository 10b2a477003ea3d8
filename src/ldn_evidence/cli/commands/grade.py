"""``ldn-evidence grade``: GRADE per outcome and the summary-of-findings table."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..._format import integer_columns
from .._options import (UserError, check_writable_folder, finite_range, level_option, load_review, method_option,
                        split_ids, test_option)

__all__ = ["grade"]

FORMATS = ("text", "json", "csv", "html", "md", "docx")


@click.command()
@click.option("--outcome", "outcomes", multiple=True, metavar="ID[,ID...]",
              help="Outcomes of the protocol to grade (repeatable or comma-separated) [default: all].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text, json, csv (one row per outcome with every domain), html, md (Markdown) or docx (Word).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of standard output (required for docx).")
@method_option("tau² estimator (metafor's codes)")
@test_option()
@click.option("--r", "r", type=finite_range(-0.99, 0.99), default=None, metavar="R",
              help="Within-person correlation for crossover effects [default: the review's].")
@level_option()
@click.pass_context
def grade(ctx, outcomes, fmt, output, method, test, r, level):
    """GRADE per outcome and the summary of findings.

    For each outcome of the protocol, the evidence (controlled studies), each domain's
    proposed judgement with its reason and the final one (reviewers override in the studies
    file: review.grade.<outcome>.<domain>), the certainty, the relative and absolute effects
    and the plain-language statement.

    \b
    Examples:
      ldn-evidence grade
      ldn-evidence grade --outcome pain --format json
      ldn-evidence grade --format docx -o summary-of-findings.docx
      ldn-evidence grade --format html -o sof.html
    """
    from ...review.grade import grade_review
    from ...review import sof

    if fmt == "docx" and not output:
        raise UserError("--format docx writes a Word file: give -o FILE.docx")
    if output:
        if Path(output).is_dir():
            raise UserError(f"cannot write {output}: it is a folder")
        check_writable_folder(Path(output).parent if str(Path(output).parent) else Path(os.curdir), output)
    review = load_review(ctx)
    result = grade_review(review, split_ids(outcomes) or None, method=method, test=test, r=r, level=level)
    if fmt == "docx":
        sof.sof_docx(result, output)
        click.echo(f"wrote {output}")
        return
    if fmt == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = integer_columns(result.to_frame()).to_csv(index=False)
    elif fmt == "html":
        text = sof.sof_html(result)
    elif fmt == "md":
        text = sof.sof_markdown(result)
    else:
        text = sof.sof_text(result)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
