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
from ..review.outcomes import OUTCOMES
from . import changes as _changes
from .downloads import DOWNLOADS, write_downloads
from .outcome import living_parts, needs_living, outcome_section, primary_analysis
from .sections import (header, prisma_section, protocol_section, reconcile_section, review_protocol_of,
                       rob_section, sof_section, studies_section)

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
    protocol = review_protocol_of(review)
    pooled = getattr(protocol, "pooled_outcomes", None)
    if pooled:
        return list(pooled)
    return list(OUTCOMES)


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


def _worker_pool(jobs: int | None):
    """A one-process pool forked from this one (its imports and font caches already loaded), or
    None.

    Only where fork is the platform's default (Linux); elsewhere a worker would start by importing
    everything again, which costs more than it saves here.
    """
    import multiprocessing
    import sys

    if jobs is None:
        jobs = min(2, os.cpu_count() or 1)
    if jobs < 2 or not sys.platform.startswith("linux"):
        return None
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))


class _Steps:
    """Counts the build's steps for a ``progress(step, done, total)`` callback."""

    def __init__(self, outcomes: list[str], progress):
        self.total = 5 + len(outcomes)
        self.done = 0
        self.progress = progress

    def __call__(self, label: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(label, self.done, self.total)


def _build(review, outcomes: list[str], since, jobs, tick: _Steps) -> tuple:
    """Every section: (header, sections by id, outcome sections in order, changes section, the
    page's compiled template).

    The question, the PRISMA figure and the primary analyses come first (the figure loads
    matplotlib's fonts, which a forked worker then shares). The worker runs the cumulative and
    trial sequential analyses of the outcomes with two or more studies (the only part that needs
    pandas and scipy.optimize, loaded there only) and draws the risk-of-bias figure, while this
    process draws the forest plots, runs the sensitivity analyses and builds the other sections.
    """
    earlier = _changes.earlier_version(review.path, since)  # a bad --since fails before any work
    sections = [protocol_section(review), prisma_section(review)]
    tick("question and PRISMA")
    sof, sof_rows = sof_section(review)
    analyses = {o: primary_analysis(review, o) for o in outcomes}
    heavy = [o for o in outcomes if needs_living(analyses[o])]
    pool = _worker_pool(jobs)
    try:
        living = {o: pool.submit(living_parts, review, o, analyses[o]) for o in heavy} if pool else {}
        rob = pool.submit(rob_section, review) if pool else None
        changes = _changes.changes_section(review, earlier, outcomes, strict=since is not None)
        tick("what changed")
        meta = header(review, __version__, _built_date(), _changes.file_commit(review.path))
        sections += [studies_section(review), sof, reconcile_section(review)]
        tick("studies, GRADE, reconciliation")
        results = []
        for outcome in outcomes:
            section = outcome_section(review, outcome, sof_rows.get(outcome), analyses[outcome])
            if outcome not in living:
                section.update(living_parts(review, outcome, analyses[outcome]))
            results.append(section)
            tick(f"outcome {outcome}")
        template = _environment().get_template("report.html.j2")  # compiled while the worker finishes
        sections.insert(3, rob.result() if rob is not None else rob_section(review))
        for section in results:
            if section["id"] in living:
                section.update(living[section["id"]].result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    by_id = {s.id: s for s in sections + [changes]}
    return meta, by_id, results, changes, template


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
    tick = _Steps(outcomes, progress)
    meta, sections, results, changes, template = _build(review, outcomes, since, jobs, tick)
    files = write_downloads(folder / DATA_FOLDER, review, meta, results, changes, sections.get("sof"))
    tick("data files")
    html = template.render(
        meta=meta, s=sections, outcomes=results, downloads=[(f"{DATA_FOLDER}/{name}", what)
                                                           for name, what in DOWNLOADS.items()])
    index = folder / "index.html"
    index.write_text(html, encoding="utf-8")
    tick("page")
    return Site(folder=folder, index=index, files=[folder / DATA_FOLDER / f for f in files],
                sections=list(sections.values()), outcomes=outcomes)
