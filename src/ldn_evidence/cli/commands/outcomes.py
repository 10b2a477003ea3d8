"""``ldn-evidence outcomes``: the ids ``--outcome`` takes, and what each would pool.

The list is its own command rather than part of ``--outcome``'s help: it needs the review loaded
and every outcome analysed (about half a second), and ``ldn-evidence --help`` must stay under
0.1 s.
"""
from __future__ import annotations

import click

from .._options import echo_csv, echo_json, echo_table, load_review

__all__ = ["outcomes"]

COLUMNS = ("outcome", "name", "kind", "pooled", "measure", "studies", "k", "poolable")


def _status(row: dict) -> str:
    if not row["pooled"]:
        return "not pooled (review.protocol)"
    if not row["poolable"]:
        return "nothing poolable" if row["studies"] else "nothing poolable (no study reports it)"
    return ""


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def outcomes(ctx: click.Context, fmt: str) -> None:
    """The outcome ids --outcome takes, and what each pools.

    One row per outcome of the review's protocol (review.protocol.outcomes), in its order: the
    id, its name, continuous or binary, the default measure, how many studies report it and how
    many the default analysis pools (k). An outcome with k = 0 has nothing poolable (`summary`
    lists why each study is not pooled); one the protocol marks `pooled: false` is recorded only.

    \b
    Examples:
      ldn-evidence outcomes
      ldn-evidence outcomes --format json | jq '.[] | select(.poolable) | .outcome'
      ldn-evidence --studies bcg outcomes
    """
    from ...review.outcomes import outcome_overview

    review = load_review(ctx)
    rows = outcome_overview(review)
    if fmt == "json":
        echo_json(rows)
        return
    if fmt == "csv":
        echo_csv(rows, COLUMNS)
        return
    echo_table(("outcome", "name", "kind", "measure", "studies", "k", "note"),
               [(r["outcome"], r["name"], r["kind"], r["measure"] or "", r["studies"], "" if r["k"] is None else r["k"],
                 _status(r)) for r in rows])
    n = sum(r["poolable"] for r in rows)
    click.echo(f"\n{n} of {len(rows)} outcomes have something to pool; --outcome takes any pooled one "
               "(case-insensitive)")
