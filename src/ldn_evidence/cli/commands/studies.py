"""``ldn-evidence studies``: the encoded studies, with the ids other commands take."""
from __future__ import annotations

import csv
import io

import click

from .._options import echo_json, echo_table, load_review

__all__ = ["studies"]


def _study_summary(study) -> dict:
    c = study.citation
    authors = ", ".join(c.authors) if c.authors else c.short_label
    parts = [f"{authors}.", f"{c.title}."]
    if c.journal:
        tail = c.journal + f" {c.year}"
        if c.volume:
            tail += f";{c.volume}" + (f"({c.issue})" if c.issue else "")
        if c.pages:
            tail += f":{c.pages}"
        parts.append(tail + ".")
    pop = study.population
    n = next((v for v in (pop.n_fibromyalgia, pop.n_randomized, pop.n_enrolled, pop.n_analysed) if v is not None),
             None)
    return {
        "id": study.id,
        "label": study.label,
        "year": c.year,
        "design": study.design,
        "randomized": study.randomized,
        "citation": " ".join(parts),
        "doi": study.doi,
        "pmid": study.pmid,
        "no_identifier_reason": study.no_identifier_reason,
        "registration": study.registration.model_dump(exclude_none=True, exclude_defaults=True)
        if study.registration else None,
        "n": n,
        "n_analysed": study.population.n_analysed,
        "dose_mg_per_day": study.intervention.dose_mg_per_day,
        "comparator": study.comparator,
        "line_of_therapy": study.line_of_therapy,
        "tags": list(study.tags),
        "outcomes": [
            {"outcome": o.outcome, "name": o.name, "timepoint": o.timepoint, "contrast": o.contrast,
             "primary": o.primary, "forms": [b.form for b in o.data],
             "source": "; ".join(dict.fromkeys(b.source for b in o.data))}
            for o in study.outcomes
        ],
        "missing": list(study.missing),
    }


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def studies(ctx: click.Context, fmt: str) -> None:
    """List the encoded studies, with the ids --exclude takes.

    One line per study: its id (what --exclude, `diff` and the studies file use), label, year,
    design, participants, dose, line of therapy and outcomes (`ldn-evidence outcomes` lists
    the outcome ids).

    \b
    Examples:
      ldn-evidence studies
      ldn-evidence forest --exclude younger2013      # an id from the first column
      ldn-evidence studies --format json | jq '.[] | {id, n, design}'
      ldn-evidence studies --format csv > studies.csv
    """
    review = load_review(ctx)
    rows = [_study_summary(s) for s in review.studies]
    rank = {o.id: i for i, o in enumerate(review.protocol.outcomes)}  # the protocol's order: main outcomes first
    if fmt == "json":
        echo_json(rows)
        return
    if fmt == "csv":
        buf = io.StringIO()
        cols = ["id", "label", "year", "design", "randomized", "n", "dose_mg_per_day", "comparator",
                "line_of_therapy", "doi", "pmid", "outcomes"]
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "outcomes": ";".join(sorted({o["outcome"] for o in r["outcomes"]}))})
        click.echo(buf.getvalue(), nl=False)
        return
    table = []
    for r in rows:
        dose = "" if r["dose_mg_per_day"] is None else f"{r['dose_mg_per_day']:g} mg"
        outcomes = sorted({o["outcome"] for o in r["outcomes"]}, key=lambda o: (rank.get(o, len(rank)), o))
        shown = ", ".join(outcomes[:3]) + (f" +{len(outcomes) - 3}" if len(outcomes) > 3 else "")
        table.append((r["id"], r["label"], "" if r["year"] is None else str(r["year"]), r["design"],
                      "" if r["n"] is None else str(r["n"]), dose, str(r["line_of_therapy"]).replace("_", "-"), shown))
    echo_table(("id", "study", "year", "design", "n", "dose", "line", "outcomes"), table)
    click.echo(f"\n{len(rows)} studies; review version {review.info.version}, last search "
               f"{review.info.last_search or 'not recorded'}")
