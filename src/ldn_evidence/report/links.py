"""Links from the numbers to their sources: DOIs, PMIDs, PMC ids, trial registrations and URLs.

Every source string in a studies file names where its number was read (``DOI 10.1002/x, Table
2``, ``PMID 19453963, abstract``, ``NCT00568555``, a URL). :func:`linkify` turns each identifier
in such a string into a plain ``<a href>`` to its resolver and escapes the rest; :func:`source_url`
gives the first one (the page links a number to it). The page loads nothing from these hosts:
they are links a reader follows, never resources.

Examples
--------
>>> str(linkify("DOI 10.1002/acr.1234, Table 2; PMID 123"))
'DOI <a href="https://doi.org/10.1002/acr.1234">10.1002/acr.1234</a>, Table 2; PMID <a href="https://pubmed.ncbi.nlm.nih.gov/123/">123</a>'
>>> source_url("registry NCT00568555 results")
'https://clinicaltrials.gov/study/NCT00568555'
>>> source_url("the authors, by e-mail") is None
True
"""
from __future__ import annotations

import re
from urllib.parse import quote

from markupsafe import Markup, escape

__all__ = ["linkify", "source_url", "doi_url", "pmid_url", "identifier_links"]

_PATTERN = re.compile(
    r"(?P<url>https?://[^\s<>\"']+)"
    r"|(?P<doi>\b10\.\d{4,9}/[^\s<>\"',;]+)"
    r"|(?:\bPMID:?\s*)(?P<pmid>\d{1,8})\b"
    r"|(?P<pmc>\bPMC\d{3,9}\b)"
    r"|(?P<nct>\bNCT\d{8}\b)"
    r"|(?P<actrn>\bACTRN\d{14}\b)"
    r"|(?:\bEudraCT:?\s*)(?P<eudract>\d{4}-\d{6}-\d{2})\b",
)


def doi_url(doi: str) -> str:
    """The resolver address of a DOI."""
    return "https://doi.org/" + quote(doi, safe="/:;()._-")


def pmid_url(pmid: int | str) -> str:
    """The PubMed address of a PMID."""
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/"


def _trim(text: str) -> str:
    """A match without the sentence punctuation after it (a ')' only when it closes nothing)."""
    while text and text[-1] in ".,;:":
        text = text[:-1]
    if text.endswith(")") and text.count("(") < text.count(")"):
        text = text[:-1]
    return text


def _target(m: re.Match) -> tuple[str, str]:
    """(text shown, address) of one match."""
    kind = m.lastgroup
    value = m.group(kind)
    if kind == "url":
        value = _trim(value)
        return value, value
    if kind == "doi":
        value = _trim(value)
        return value, doi_url(value)
    if kind == "pmid":
        return value, pmid_url(value)
    return value, _REGISTRY[kind](value)


_REGISTRY = {
    "pmc": lambda v: f"https://pmc.ncbi.nlm.nih.gov/articles/{v}/",
    "nct": lambda v: f"https://clinicaltrials.gov/study/{v}",
    "actrn": lambda v: f"https://www.anzctr.org.au/TrialSearch.aspx?searchTxt={v}",
    "eudract": lambda v: f"https://www.clinicaltrialsregister.eu/ctr-search/search?query={v}",
}


def linkify(text: str | None) -> Markup:
    """``text`` escaped, with every identifier in it a link to its resolver."""
    if not text:
        return Markup("")
    out, pos = [], 0
    for m in _PATTERN.finditer(text):
        shown, href = _target(m)
        start = m.start(m.lastgroup)
        out.append(escape(text[pos:start]))
        out.append(Markup('<a href="{}">{}</a>').format(href, shown))
        pos = start + len(shown)
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def source_url(text: str | None) -> str | None:
    """The address of the first identifier in a source string, or None."""
    if not text:
        return None
    m = _PATTERN.search(text)
    return None if m is None else _target(m)[1]


def identifier_links(study) -> list[tuple[str, str]]:
    """(label, address) of a study record's identifiers: DOI, PMID, PMC id, registrations."""
    links = []
    if study.doi:
        links.append((f"DOI {study.doi}", doi_url(study.doi)))
    if study.pmid:
        links.append((f"PMID {study.pmid}", pmid_url(study.pmid)))
    if study.pmcid:
        links.append((study.pmcid, _REGISTRY["pmc"](study.pmcid)))
    reg = study.registration
    if reg is not None:
        for kind, prefix in (("nct", ""), ("actrn", ""), ("eudract", "EudraCT ")):
            number = getattr(reg, kind)
            if number:
                links.append((prefix + number, _REGISTRY[kind](number)))
    return links
