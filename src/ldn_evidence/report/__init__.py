"""The review's static web site: ``ldn-evidence report`` and :func:`write_report`.

A living review is read by people who never run the tool, so every version of the studies
file can be published as one self-contained page: the question and searches, the PRISMA flow,
the characteristics of the included studies, for every outcome the pooled results with every
setting, the forest plot, what was not pooled and why, the sensitivity analyses, the cumulative
and trial sequential analyses, what changed since the previous version, and the data as CSV and
JSON. Sections whose producer this version does not have say so on the page.

* :mod:`.build` — :func:`write_report`, the page and its files;
* :mod:`.sections`, :mod:`.outcome`, :mod:`.changes` — one function per section;
* :mod:`.downloads` — the data files; :mod:`.figures` — inline SVG; :mod:`.links` — links to the
  sources; :mod:`.cells` — how numbers are written.
"""
from .build import Site, review_outcomes, write_report

__all__ = ["write_report", "Site", "review_outcomes"]
