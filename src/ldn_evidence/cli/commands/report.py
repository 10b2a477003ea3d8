"""``ldn-evidence report``: the review's static web site, with progress on the terminal."""
from __future__ import annotations

import contextlib
import sys

import click

from .._options import check_figure_folder, load_review

__all__ = ["report"]


@contextlib.contextmanager
def _progress(enabled: bool):
    """A rich progress bar on stderr (a callable for write_report), or None when not a terminal."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # auto_refresh off: rich would redraw from a thread, and the build forks a worker process
    bar = Progress(TextColumn("[progress.description]{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=False, auto_refresh=False)
    with bar:
        task = bar.add_task("building the site", total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)
            bar.refresh()
        yield update


@click.command()
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), default="report", show_default=True,
              metavar="DIR", help="Folder of the site (created if missing; its index.html and data/ are replaced).")
@click.option("--since", metavar="REV|FILE", default=None,
              help="What changed since this version: a studies file or a git revision [default: the previous "
                   "commit that changed the studies file].")
@click.pass_context
def report(ctx, folder, since):
    """The review's static web site, with its data files.

    One self-contained page (no network resources; figures inline SVG) and its data as CSV and
    JSON.

    The page has the question and searches, versions and the studies file's SHA-256, the
    PRISMA flow, the characteristics of included studies, and for every outcome the pooled
    results with every setting, the forest plot, what was not pooled and why, the sensitivity
    analyses, the cumulative and trial sequential analyses; then what changed since the
    earlier version, and every number linked to its source (DOI, PMID, registry). Sections this
    version cannot produce yet say so on the page.

    \b
    Examples:
      ldn-evidence report                        # -> report/index.html, report/data/
      ldn-evidence report -o site --since HEAD~3
      ldn-evidence report --since old-studies.yaml
      ldn-evidence --studies my.yaml report -o my-site
    """
    check_figure_folder(folder)
    review = load_review(ctx)
    from ...report import write_report

    with _progress(sys.stderr.isatty()) as progress:
        site = write_report(review, folder, since=since, progress=progress)
    size = site.index.stat().st_size
    click.echo(f"wrote {site.index} ({size / 1024:.0f} KB, {len(site.outcomes)} outcomes) and {len(site.files)} "
               f"data files in {site.folder / 'data'}")
    for section in site.sections:
        if not section.available:
            click.echo(f"  {section.title}: {section.note}")
