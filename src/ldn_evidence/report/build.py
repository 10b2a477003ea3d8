"""Build the review's static site: one self-contained ``index.html`` and its data files.

:func:`write_report` runs every section (:mod:`.sections`, :mod:`.outcome`, :mod:`.changes`),
writes the downloads (:mod:`.downloads`) and renders the page with the package's jinja2
templates (``templates/report.html.j2``; CSS inline, figures inline SVG, no script, and a
Content-Security-Policy that lets the page load nothing from anywhere). The only external
addresses in it are the links to the sources (DOI, PubMed, registries), plain ``<a href>``.

Examples
--------
>>> import tempfile, ldn_evidence as le
>>> with tempfile.TemporaryDirectory() as tmp:
...     site = write_report(le.load_studies(), tmp)
...     print(site.index.name, (site.folder / "data" / "effect-sizes.csv").exists())
index.html True
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .._version import __version__
from . import changes as _changes
from .downloads import DOWNLOADS, write_downloads
from .outcome import living_parts, needs_living, outcome_section, primary_analysis
from .schedule import run_shared
from .sections import (header, prisma_section, protocol_section, reconcile_section, rob_section, sof_section,
                       studies_section)

__all__ = ["write_report", "Site", "review_outcomes"]

#: where the data files go, inside the site folder
DATA_FOLDER = "data"


@dataclass
class Site:
    """A built site: its folder, the page, the data files and the sections (with their notes)."""

    folder: Path
    index: Path
    files: list
    sections: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)

    def __repr__(self) -> str:
        missing = [s.id for s in self.sections if not s.available]
        return (f"<Site {self.index}: {len(self.outcomes)} outcomes, {len(self.files)} data files"
                + (f"; not available: {', '.join(missing)}" if missing else "") + ">")


def review_outcomes(review) -> list[str]:
    """The outcomes the page has a section for: those the review's protocol pools, in its order."""
    return list(review.protocol.pooled_outcomes)


def _built_date() -> str:
    """Today, or the date of ``SOURCE_DATE_EPOCH`` (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
    return _dt.date.today().isoformat()


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("ldn_evidence.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


class _Steps:
    """Counts the build's steps for a ``progress(step, done, total)`` callback."""

    def __init__(self, total: int, progress):
        self.total = total
        self.done = 0
        self.progress = progress

    def __call__(self, label: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(label, self.done, self.total)


def _tasks(review, outcomes, analyses, sof_rows, earlier, strict) -> list:
    """The build's independent tasks, heaviest first (see :mod:`.schedule`): the cumulative and
    sequential analyses of the outcomes with two or more studies (they load pandas), the
    reconciliation with published meta-analyses (pandas too), the
    risk-of-bias figure, what changed, then each outcome's section, those with the most studies
    first."""
    heavy = sorted((o for o in outcomes if needs_living(analyses[o])), key=lambda o: -analyses[o].k)
    tasks = [(f"cumulative and sequential analyses: {o}", lambda o=o: living_parts(review, o, analyses[o]))
             for o in heavy]
    tasks += [("reconciliation", lambda: reconcile_section(review)),
              ("risk of bias", lambda: rob_section(review)),
              ("what changed", lambda: _changes.changes_section(review, earlier, outcomes, strict=strict))]
    by_size = sorted(outcomes, key=lambda o: (-analyses[o].k, -len(analyses[o].not_pooled_rows)))
    tasks += [(f"outcome {o}", lambda o=o: outcome_section(review, o, sof_rows.get(o), analyses[o]))
              for o in by_size]
    return tasks


def _build(review, outcomes: list[str], since, jobs, progress) -> tuple:
    """Every section: (header, sections by id, outcome sections in order, changes section).

    The question, the summary of findings and the primary analyses come first (no figures:
    the worker is forked before either process has imported matplotlib, so that the two import
    it at the same time rather than one after the other); then this process and the worker
    share the rest (:func:`.schedule.run_shared`), this process starting with the PRISMA figure.
    """
    earlier = _changes.earlier_version(review.path, since)  # a bad --since fails before any work
    sections = [protocol_section(review)]
    sof, sof_rows = sof_section(review)
    analyses = {o: primary_analysis(review, o) for o in outcomes}
    tasks = _tasks(review, outcomes, analyses, sof_rows, earlier, strict=since is not None)
    tasks.append(("PRISMA", lambda: prisma_section(review)))  # the last task: this process's first
    tick = _Steps(len(tasks) + 4, progress)
    tick("question and summary of findings")
    done = run_shared(tasks, jobs, tick)
    meta = header(review, __version__, _built_date(), _changes.file_commit(review.path))
    sections += [done["PRISMA"], studies_section(review), done["risk of bias"], sof, done["reconciliation"]]
    tick("characteristics of studies")
    results = []
    for o in outcomes:
        section = done[f"outcome {o}"]
        section.update(done.get(f"cumulative and sequential analyses: {o}") or living_parts(review, o, analyses[o]))
        results.append(section)
    changes = done["what changed"]
    by_id = {s.id: s for s in sections + [changes]}
    return meta, by_id, results, changes, tick


def write_report(review, folder: str | os.PathLike = "report", since: str | os.PathLike | None = None,
                 progress: Callable[[str, int, int], None] | None = None, jobs: int | None = None) -> Site:
    """Write the review's site into ``folder``: ``index.html`` and ``data/`` (see :mod:`.downloads`).

    Parameters
    ----------
    review : ldn_evidence.review.Review
    folder : path
        Created when missing; ``index.html`` and ``data/`` in it are replaced.
    since : path or str, optional
        The earlier version for "what changed": a studies file or a git revision. Default: the
        previous version of the studies file in git (the page says so when there is none).
    progress : callable, optional
        Called as ``progress(step, done, total)`` after each step.
    jobs : int, optional
        Processes to use (default: two where the machine has them; 1 builds in this process
        alone). The page is the same either way.

    Returns
    -------
    Site
    """
    folder = Path(folder)
    outcomes = review_outcomes(review)
    with review.reusing_effects():  # the page's analyses share each outcome's effect sizes
        meta, sections, results, changes, tick = _build(review, outcomes, since, jobs, progress)
    files = write_downloads(folder / DATA_FOLDER, review, meta, results, changes, sections.get("sof"))
    tick("data files")
    html = _environment().get_template("report.html.j2").render(
        meta=meta, s=sections, outcomes=results, downloads=[(f"{DATA_FOLDER}/{name}", what)
                                                           for name, what in DOWNLOADS.items()])
    index = folder / "index.html"
    index.write_text(html, encoding="utf-8")
    tick("page")
    return Site(folder=folder, index=index, files=[folder / DATA_FOLDER / f for f in files],
                sections=list(sections.values()), outcomes=outcomes)
