"""What a review hands on: its included studies' references (RIS for reference managers, BibTeX
for LaTeX) and every effect size with its derivation (CSV).

References are written by rispy and bibtexparser (the formats' own libraries); a study's
reference is its citation (authors, year, title, journal, volume, issue, pages) with its DOI,
PMID and PMCID, and the study id as the key. Effect sizes are those of
:meth:`ldn_evidence.review.Review.effect_sizes`, one row per study and pooled outcome (each with
its protocol's default measure), with the path, derivation, assumptions and sources.

Examples
--------
>>> import ldn_evidence as le
>>> text = references(le.load_studies("bcg"), "ris")
>>> text.splitlines()[0], text.count("ER  -")
('TY  - JOUR', 13)
"""
from __future__ import annotations

from .._format import integer_columns

__all__ = ["references", "effect_sizes_csv", "EXPORT_FORMATS", "reference_entries", "EFFECT_EXPORT_COLUMNS"]

#: what ``ldn-evidence export --format`` writes
EXPORT_FORMATS = ("ris", "bibtex", "csv")
#: the columns of the effect-size CSV
EFFECT_EXPORT_COLUMNS = ("outcome", "recorded_as", "measure", "study", "label", "year", "design", "group", "n", "instrument",
                         "timepoint", "yi", "vi", "sei", "ci_low", "ci_high", "included", "reason", "path",
                         "derivation", "assumptions", "uses_r", "r", "source", "source_kind", "secondary")

_RIS_TYPES = {"journal_article": "JOUR", "conference_abstract": "ABST", "case_report": "JOUR", "letter": "JOUR",
              "preprint": "UNPB", "thesis": "THES", "registry_results": "DBASE"}
_BIB_TYPES = {"journal_article": "article", "case_report": "article", "letter": "article",
              "conference_abstract": "inproceedings", "preprint": "unpublished", "thesis": "phdthesis",
              "registry_results": "misc"}


def _pages(pages: str | None) -> tuple[str | None, str | None]:
    if not pages:
        return None, None
    first, _, last = str(pages).partition("-")
    return first.strip() or None, last.strip() or None


def reference_entries(review) -> list[dict]:
    """One plain dict per included study: type, key, authors, year, title, journal, volume,
    issue, pages, doi, pmid, pmcid (None where the record does not give it)."""
    out = []
    for s in review.studies:
        c = s.citation
        authors = [a for a in c.authors if a != "et al."] or ([c.short_label] if c.short_label else [])
        out.append({"type": c.publication_type, "key": s.id, "authors": authors, "year": c.year, "title": c.title,
                    "journal": c.journal, "volume": c.volume, "issue": c.issue, "pages": c.pages, "doi": s.doi,
                    "pmid": s.pmid, "pmcid": s.pmcid, "label": s.label})
    return out


def _ris(entries: list[dict]) -> str:
    import rispy
    from rispy.writer import RisWriter

    class _Writer(RisWriter):  # no "1." line before each record: every record starts at its TY tag
        def set_header(self, count):
            return ""

    records = []
    for e in entries:
        start, end = _pages(e["pages"])
        rec = {"type_of_reference": _RIS_TYPES.get(e["type"], "GEN"), "id": e["key"], "authors": e["authors"],
               "title": e["title"], "year": None if e["year"] is None else str(e["year"]),
               "journal_name": e["journal"], "volume": e["volume"], "number": e["issue"], "start_page": start,
               "end_page": end, "doi": e["doi"],
               "accession_number": None if e["pmid"] is None else f"PMID:{e['pmid']}",
               "label": e["label"]}
        if e["doi"]:
            rec["urls"] = [f"https://doi.org/{e['doi']}"]
        records.append({k: v for k, v in rec.items() if v not in (None, [], "")})
    return rispy.dumps(records, implementation=_Writer)


def _bibtex(entries: list[dict]) -> str:
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    for e in entries:
        fields = {"author": " and ".join(e["authors"]) or None, "title": e["title"],
                  "year": None if e["year"] is None else str(e["year"]), "journal": e["journal"],
                  "volume": e["volume"], "number": e["issue"],
                  "pages": str(e["pages"]).replace("-", "--") if e["pages"] else None, "doi": e["doi"],
                  "pmid": None if e["pmid"] is None else str(e["pmid"]), "pmcid": e["pmcid"]}
        library.add(Entry(_BIB_TYPES.get(e["type"], "misc"), e["key"],
                          [Field(k, v) for k, v in fields.items() if v]))
    return bibtexparser.write_string(library)


def references(review, fmt: str = "ris") -> str:
    """The included studies' references as RIS or BibTeX text."""
    if fmt == "ris":
        return _ris(reference_entries(review))
    if fmt == "bibtex":
        return _bibtex(reference_entries(review))
    raise ValueError(f"references are written as ris or bibtex (got {fmt!r})")


def effect_sizes_csv(review, r: float | None = None, level: float = 95) -> str:
    """Every effect size of every pooled outcome (its protocol's default measure) with its
    derivation, as CSV text: :data:`EFFECT_EXPORT_COLUMNS` (``recorded_as``: the record's own
    outcome id, e.g. a FIQR score pooled under FIQ)."""
    import pandas as pd  # pandas only where a table is asked for

    frames = []
    for outcome in review.protocol.pooled_outcomes:
        es = review.effect_sizes(outcome, r=r, level=level)
        if len(es):
            frames.append(es.assign(recorded_as=es["outcome"], outcome=outcome))
    if not frames:
        return pd.DataFrame(columns=list(EFFECT_EXPORT_COLUMNS)).to_csv(index=False)
    table = pd.concat(frames, ignore_index=True)
    return integer_columns(table[list(EFFECT_EXPORT_COLUMNS)]).to_csv(index=False)
