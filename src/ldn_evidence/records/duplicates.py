"""Is a new record a study the review already has? Identifiers first, then titles.

A duplicate has the same id, DOI, PMID, PMCID or registration number (NCT, EudraCT, ACTRN), its
DOI is listed among an existing study's ``other_reports``, or its normalised title is
near-identical (difflib ratio above :data:`TITLE_SIMILARITY`) to one of the same year. The
Cochrane Handbook (4.6.2) asks reviewers to link multiple reports of one study; this check keeps
a second report from entering as a second study.

Examples
--------
>>> normalise_title("Low-Dose Aspirin: a Pilot Study!")
'low dose aspirin a pilot study'
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Sequence

from ..errors import Problem

__all__ = ["TITLE_SIMILARITY", "normalise_title", "find_duplicates", "node_line"]

#: difflib ratio of normalised titles above which two records of the same year are duplicates
TITLE_SIMILARITY = 0.9


def normalise_title(title: str) -> str:
    """Lower case, accents and punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _identifiers(study) -> dict[str, str]:
    ids = {}
    if study.doi:
        ids["doi"] = study.doi.lower()
    if study.pmid is not None:
        ids["pmid"] = str(study.pmid)
    if study.pmcid:
        ids["pmcid"] = study.pmcid.upper()
    reg = study.registration
    if reg is not None:
        for key in ("nct", "eudract", "actrn"):
            value = getattr(reg, key)
            if value:
                ids[f"registration.{key}"] = value.upper()
    return ids


def node_line(node, key: str | None = None) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    if key is not None:
        head = key.split(".")[0]
        try:
            return lc.key(head)[0] + 1
        except (KeyError, TypeError, AttributeError):
            pass
    return lc.line + 1


def find_duplicates(existing: Sequence, new, *, existing_lines: dict | None = None, file: str = "",
                    node=None, studies_file: str = "", threshold: float = TITLE_SIMILARITY) -> list:
    """Problems saying which existing record ``new`` duplicates (empty list: none).

    A duplicate has the same id, DOI, PMID, PMCID or registration number (NCT, EudraCT, ACTRN),
    its DOI is listed among an existing study's ``other_reports``, or its normalised title is
    near-identical (difflib ratio > ``threshold``) to one of the same year (or either year is
    unknown).
    """
    existing_lines = existing_lines or {}
    problems = []

    def where(s):
        line = existing_lines.get(s.id)
        loc = f"{studies_file}:{line}" if studies_file and line else studies_file
        return f"existing study '{s.id}' ({s.label}" + (f", {loc})" if loc else ")")

    new_ids = _identifiers(new)
    new_title = normalise_title(new.citation.title)
    for s in existing:
        if s.id == new.id:
            problems.append(Problem(file, node_line(node, "id"), new.id, "id", f"id already used by {where(s)}"))
        old_ids = _identifiers(s)
        for key, value in new_ids.items():
            if old_ids.get(key) == value:
                problems.append(Problem(file, node_line(node, key), new.id, key,
                                        f"same {key.split('.')[-1].upper() if '.' in key else key.upper()} "
                                        f"{value} as {where(s)}"))
        if new.doi and any(new.doi.lower() in r.lower() for r in s.other_reports):
            problems.append(Problem(file, node_line(node, "doi"), new.id, "doi",
                                    f"DOI {new.doi} is listed under other_reports of {where(s)}"))
        same_year = new.citation.year is None or s.citation.year is None or new.citation.year == s.citation.year
        if same_year:
            ratio = difflib.SequenceMatcher(None, new_title, normalise_title(s.citation.title)).ratio()
            if ratio > threshold:
                problems.append(Problem(file, node_line(node, "citation"), new.id, "citation.title",
                                        f"title is near-identical (similarity {ratio:.2f}) to that of {where(s)}: "
                                        f"{s.citation.title!r}"))
    return problems

