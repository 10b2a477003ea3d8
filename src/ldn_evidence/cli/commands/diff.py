"""``ldn-evidence diff``: what changed between two versions of a review's file."""
from __future__ import annotations

import tempfile

import click

from .._options import UserError, echo_json, method_option, studies_path, test_option

__all__ = ["diff"]


@click.command()
@click.argument("old", required=False, type=click.Path(dir_okay=False))
@click.argument("new", required=False, type=click.Path(dir_okay=False))
@click.option("--rev", metavar="A..B", help="Compare the studies file at two git revisions (A.. = A against the "
              "working file).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--outcome", "outcomes", multiple=True, metavar="OUTCOME",
              help="Outcomes to compare (repeatable) [default: every outcome with poolable data].")
@click.option("--measure", type=click.Choice(["SMD", "MD"], case_sensitive=False), default="SMD", show_default=True)
@method_option()
@test_option()
@click.option("--changed-only", is_flag=True, help="List only the outcomes whose pooled result changed.")
@click.pass_context
def diff(ctx, old, new, rev, fmt, outcomes, measure, method, test, changed_only):
    """What changed between two versions of a studies file.

    Studies added, removed and changed (field by field, old -> new) and every outcome's pooled
    estimate, CI, PI, tau² and I² before -> after, flagging a changed conclusion (the CI now
    crosses or excludes the null; the direction flips).

    \b
    Examples:
      ldn-evidence diff old.yaml new.yaml
      ldn-evidence diff --rev HEAD~1..HEAD
      ldn-evidence diff --rev v0.1.0.. --format json
      ldn-evidence diff --rev HEAD~1.. --changed-only
    """
    from ...review import load_studies
    from ...review.diff import diff_reviews, git_revision_files

    with tempfile.TemporaryDirectory() as tmp:
        if rev:
            if old or new:
                raise UserError("give either OLD NEW or --rev, not both")
            old_p, new_p, old_name, new_name = git_revision_files(rev, studies_path(ctx), tmp)
        else:
            if not (old and new):
                raise UserError("give two files (OLD NEW) or --rev A..B")
            old_p, new_p, old_name, new_name = old, new, old, new
        a = load_studies(old_p)
        b = load_studies(new_p)
    d = diff_reviews(a, b, outcomes=[o.lower() for o in outcomes] or None, measure=measure.upper(),
                     method=method, test=test, old_name=old_name, new_name=new_name)
    if fmt == "json":
        echo_json(d.to_dict(changed_only=changed_only))
    else:
        click.echo(d.to_text(changed_only=changed_only))
