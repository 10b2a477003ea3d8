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
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .._version import __version__
from ..review.outcomes import OUTCOMES
from . import changes as _changes
from .downloads import DOWNLOADS, write_downloads
from .outcome import outcome_section
from .sections import header, prisma_section, protocol_section, reconcile_section, rob_section, sof_section, \
    studies_section

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
    """The outcomes the page has a section for: the protocol's, when the review has one, else
    the outcome families the package pools."""
    protocol = getattr(review, "protocol", None)
    declared = getattr(protocol, "outcomes", None) if protocol is not None else None
    if declared:
        keys = declared.keys() if hasattr(declared, "keys") else declared
        return [str(getattr(o, "id", o)) for o in keys]
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


def _cost(review, outcome: str) -> int:
    """A rough relative cost of an outcome's section: its figures and analyses."""
    from ..review.outcomes import is_binary

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = review.analyse(outcome)
    if a.overall is None:
        return 0
    return 2 + (2 if a.k >= 2 else 0) + (6 if a.k >= 2 and not is_binary(outcome) else 0)


def _split(review, outcomes: list[str], parent_head_start: int = 4) -> tuple[list[str], list[str]]:
    """Outcomes for this process and for a worker: longest first, each to the lighter side
    (the page's own sections weigh ``parent_head_start`` on this process's side)."""
    costs = {o: _cost(review, o) for o in outcomes}
    mine, theirs, load = [], [], [parent_head_start, 0]
    for o in sorted(outcomes, key=lambda o: -costs[o]):
        side = 0 if load[0] <= load[1] or costs[o] == 0 else 1
        (mine if side == 0 else theirs).append(o)
        load[side] += costs[o]
    return mine, theirs


def _worker_pool(jobs: int | None):
    """A one-process pool forked from this one (its imports already loaded), or None.

    Only where fork is the platform's safe default (Linux); elsewhere a worker would start by
    importing everything again, which costs more than it saves here.
    """
    import multiprocessing
    import sys

    if jobs is None:
        jobs = min(2, os.cpu_count() or 1)
    if jobs < 2 or not sys.platform.startswith("linux"):
        return None
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))


def _warm_imports() -> None:
    """Load what every section uses before a worker is forked, so that it does not load it again."""
    import matplotlib.figure  # noqa: F401
    import pandas  # noqa: F401

    from ..plots import cumulative_year, forest, prisma, tsa  # noqa: F401
    from ..review import by_year, tsa as review_tsa  # noqa: F401


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
    steps = ["what changed", "question and PRISMA", "studies", "risk of bias, GRADE, reconciliation"] + \
        [f"outcome {o}" for o in outcomes] + ["data files", "page"]
    done = [0]

    def tick(label: str | None = None):
        done[0] += 1
        if progress is not None:
            progress(label or steps[done[0] - 1], done[0], len(steps))

    earlier = _changes.earlier_version(review.path, since)  # a bad --since fails before any work
    _warm_imports()
    sof, sof_rows = sof_section(review)
    mine, theirs = _split(review, outcomes)
    pool = _worker_pool(jobs) if theirs else None
    futures = {}
    results: dict[str, dict] = {}
    try:
        if pool is not None:
            futures = {o: pool.submit(outcome_section, review, o, sof_rows.get(o)) for o in theirs}
        else:
            mine = mine + theirs

        def collect(block: bool = False):
            for o, fut in list(futures.items()):
                if block or fut.done():
                    results[o] = fut.result()
                    del futures[o]
                    tick(f"outcome {o}")

        changes = _changes.changes_section(review, earlier, outcomes, strict=since is not None)
        tick("what changed")
        meta = header(review, __version__, _built_date(), _changes.file_commit(review.path))
        sections = [protocol_section(review), prisma_section(review)]
        tick("question and PRISMA")
        sections.append(studies_section(review))
        tick("studies")
        sections += [rob_section(review), sof, reconcile_section(review)]
        tick("risk of bias, GRADE, reconciliation")
        for outcome in mine:
            collect()
            results[outcome] = outcome_section(review, outcome, sof_rows.get(outcome))
            tick(f"outcome {outcome}")
        collect(block=True)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ordered = [results[o] for o in outcomes]
    files = write_downloads(folder / DATA_FOLDER, review, meta, ordered, changes)
    tick("data files")
    by_id = {s.id: s for s in sections + [changes]}
    html = _environment().get_template("report.html.j2").render(
        meta=meta, s=by_id, outcomes=ordered, downloads=[(f"{DATA_FOLDER}/{name}", what)
                                                         for name, what in DOWNLOADS.items()])
    index = folder / "index.html"
    index.write_text(html, encoding="utf-8")
    tick("page")
    return Site(folder=folder, index=index, files=[folder / DATA_FOLDER / f for f in files],
                sections=list(by_id.values()), outcomes=outcomes)
