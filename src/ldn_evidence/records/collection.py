"""A review's records in memory (:class:`StudyCollection`) and the functions that read, validate
and save a studies file.

A valid file is parsed once by libyaml (:func:`ldn_evidence.records.yaml.fast_parse`); the
round-trip tree (for saving with comments, and for the line numbers of problems) is parsed only
when needed. Saving merges the records into that tree, so comments and key order survive, and
an untouched review is written back byte for byte.

Examples
--------
>>> from ldn_evidence.records import read_studies
>>> review = read_studies()
>>> review["due_bruun2024"].population.n_randomized
99
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, StudiesFileError
from .files import atomic_write_text, read_text
from .protocol import Protocol, protocol_problems
from .schema import ReviewInfo, StudyRecord
from .validate import error_message, field_path, file_checks, validate_study
from .yaml import dump_yaml, fast_parse, line_of, merge_node, parse_yaml, plain

__all__ = ["StudyCollection", "read_studies", "read_records", "validate_studies", "save_studies",
           "default_studies_path", "bundled_reviews", "resolve_studies_path", "default_protocol"]


def _data_folder() -> Path:
    """The bundled reviews' folder: the repository's ``data/`` in a source checkout (editable
    install), else the copy shipped inside the package."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent.parent / "data"
    if (checkout / "studies.yaml").is_file():
        return checkout
    return package / "data"


def default_studies_path() -> Path:
    """The bundled default review's ``studies.yaml``."""
    return _data_folder() / "studies.yaml"


def bundled_reviews() -> dict[str, Path]:
    """The reviews shipped with the package, by name: ``default`` (``data/studies.yaml``) and one
    per folder of ``data/reviews/`` (``data/reviews/<name>/studies.yaml``).

    >>> sorted(bundled_reviews())
    ['bcg', 'default']
    """
    out = {"default": default_studies_path()}
    folder = _data_folder() / "reviews"
    if folder.is_dir():
        for sub in sorted(folder.iterdir()):
            if (sub / "studies.yaml").is_file():
                out[sub.name] = sub / "studies.yaml"
    return out


def resolve_studies_path(path: str | os.PathLike | None) -> Path:
    """The studies file meant by ``path``: None is the bundled default, the name of a bundled
    review (:func:`bundled_reviews`) that is not also a file here is that review, a folder is its
    ``studies.yaml``, anything else the file itself."""
    if path is None:
        return default_studies_path()
    p = Path(path)
    bundled = bundled_reviews()
    if not p.exists() and str(path) in bundled:
        return bundled[str(path)]
    if p.is_dir():
        return p / "studies.yaml"
    return p


@functools.lru_cache(maxsize=1)
def _bundled_protocol(path: str, mtime: float) -> Protocol:
    doc = fast_parse(read_text(Path(path)))
    review = doc.get("review") if isinstance(doc, dict) else None
    info = ReviewInfo.model_validate(plain(review)) if isinstance(review, dict) else None
    if info is None or info.protocol is None:  # pragma: no cover - the bundled file is tested
        raise StudiesFileError([Problem(path, None, None, "review.protocol", "the bundled review has no protocol")])
    return info.protocol


def default_protocol() -> Protocol:
    """The bundled default review's protocol: what a studies file without ``review.protocol`` is
    read with (files written before 0.3 all used that review's vocabulary)."""
    p = default_studies_path()
    return _bundled_protocol(str(p), p.stat().st_mtime)



class StudyCollection:
    """The review's records: review-level information plus the study records.

    ``document`` holds the parsed round-trip YAML so that saving keeps comments and order.
    The analysis methods live on :class:`ldn_evidence.review.Review`, a subclass.
    """

    def __init__(self, info: ReviewInfo, studies: list[StudyRecord], document: Any = None,
                 path: Path | None = None):
        self.info = info
        self.studies = list(studies)
        self._document = document
        self._text: str | None = None
        self._name: str | None = None
        self.path = path

    @property
    def protocol(self) -> Protocol:
        """The review's protocol (``review.protocol``; without one, :func:`default_protocol`)."""
        return self.info.protocol if self.info.protocol is not None else default_protocol()

    @property
    def has_own_protocol(self) -> bool:
        """Whether the file has its own ``review.protocol`` (else the bundled default's is used)."""
        return self.info.protocol is not None

    @property
    def document(self) -> Any:
        """The round-trip YAML tree the records were read from (parsed on first use)."""
        if self._document is None and self._text is not None:
            self._document = parse_yaml(self._text, self._name or str(self.path))
        return self._document

    @document.setter
    def document(self, value: Any) -> None:
        self._document = value

    def __len__(self) -> int:
        return len(self.studies)

    def __iter__(self):
        return iter(self.studies)

    def __getitem__(self, key: int | str) -> StudyRecord:
        if isinstance(key, str):
            for s in self.studies:
                if s.id == key:
                    return s
            raise KeyError(f"no study with id {key!r}; ids: {', '.join(s.id for s in self.studies)}")
        return self.studies[key]

    def __repr__(self) -> str:
        where = f" from {self.path}" if self.path else ""
        return f"<{type(self).__name__}: {len(self.studies)} studies{where}, version {self.info.version}>"

    def to_frame(self):
        """One row per study x outcome x timepoint x contrast (pandas DataFrame)."""
        import pandas as pd

        rows = []
        for s in self.studies:
            base = {
                "study": s.id, "label": s.label, "year": s.citation.year, "design": s.design,
                "randomized": s.randomized, "n_randomized": s.population.n_randomized,
                "n_analysed": s.population.n_analysed, "dose_mg_per_day": s.intervention.dose_mg_per_day,
                "line_of_therapy": s.line_of_therapy, "doi": s.doi, "pmid": s.pmid,
            }
            if not s.outcomes:
                rows.append({**base, "outcome": None})
            for o in s.outcomes:
                rows.append({
                    **base, "outcome": o.outcome, "name": o.name, "instrument": o.instrument,
                    "timepoint": o.timepoint, "timepoint_weeks": o.timepoint_weeks, "contrast": o.contrast,
                    "primary": o.primary, "forms": ",".join(b.form for b in o.data),
                    "source": o.data[0].source,
                    "secondary_only": all(b.source_kind in ("secondary", "conference_abstract") for b in o.data),
                })
        return pd.DataFrame(rows)


def read_studies(path: str | os.PathLike | None = None, cls: type = StudyCollection) -> StudyCollection:
    """Load and validate a studies file; raise :class:`StudiesFileError` listing every problem.

    A valid file is parsed once by libyaml (C, about ten times faster than the round-trip parser)
    with YAML 1.2 core-schema rules, the same rules ruamel.yaml applies; the round-trip document
    (for saving with comments, and for the line numbers of problems) is parsed only when needed.
    """
    p = resolve_studies_path(path)
    name = str(path) if path is not None and p == Path(path) else str(p)
    text = read_text(p)
    fast = fast_parse(text)
    if fast is not None:
        try:
            return _collect(fast, name, p, cls, text, document=None)
        except StudiesFileError:
            pass  # report the problems with line numbers from the round-trip tree
    doc = parse_yaml(text, name)
    return _collect(doc, name, p, cls, text, document=doc)


def _collect(doc: Any, name: str, p: Path, cls: type, text: str, document: Any) -> StudyCollection:
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise StudiesFileError([Problem(name, 1, None, None,
                                        "expected a mapping with top-level keys 'review' and 'studies'")])
    for key in doc:
        if key not in ("review", "studies"):
            problems.append(Problem(name, line_of(doc, (key,)), None, str(key),
                                    "unknown top-level key (expected 'review' and 'studies')"))
    info = None
    if "review" not in doc:
        problems.append(Problem(name, 1, None, "review", "required top-level key is missing"))
    else:
        try:
            info = ReviewInfo.model_validate(plain(doc["review"]))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = ("review",) + tuple(err["loc"])
                problems.append(Problem(name, line_of(doc, loc), None,
                                        field_path(loc, plain(doc)), error_message(err)))
    nodes = doc.get("studies")
    if nodes is None:
        problems.append(Problem(name, 1, None, "studies", "required top-level key is missing"))
        nodes = []
    elif not isinstance(nodes, list):
        problems.append(Problem(name, line_of(doc, ("studies",)), None, "studies",
                                "must be a list of study mappings"))
        nodes = []
    studies: list[StudyRecord | None] = []
    for i, node in enumerate(nodes):
        study, probs = validate_study(node, name, f"studies[{i}].")
        studies.append(study)
        problems += probs
    problems += file_checks(name, nodes, studies)
    if info is not None:
        problems += protocol_problems(info.protocol or default_protocol(), name, nodes, studies)
    if problems:
        raise StudiesFileError(problems)
    collection = cls(info, [s for s in studies if s is not None], document=document, path=p)
    collection._text = text
    collection._name = name
    return collection



def read_records(path: str | os.PathLike, protocol: Protocol | None = None) -> tuple[list[StudyRecord], list]:
    """Read a file holding one study mapping or a list of them (what ``ldn-evidence add`` takes).

    Returns the validated records and their round-trip YAML nodes. With ``protocol``, the
    records are also checked against it (their review's outcomes, contrasts, comparators, years).
    """
    p = Path(path)
    name = str(path)
    doc = parse_yaml(read_text(p), name)
    nodes = doc if isinstance(doc, list) else [doc]
    problems: list[Problem] = []
    studies = []
    for i, node in enumerate(nodes):
        study, probs = validate_study(node, name, f"[{i}].")
        studies.append(study)
        problems += probs
    problems += file_checks(name, nodes, studies)
    if protocol is not None:
        problems += protocol_problems(protocol, name, nodes, studies)
    if problems:
        raise StudiesFileError(problems)
    return list(studies), list(nodes)


def validate_studies(path: str | os.PathLike | None = None, protocol: Protocol | None = None) -> list[Problem]:
    """Every problem in a studies file (``[]`` when it is clean).

    Each :class:`Problem` names the file, line, study id and field. Also accepts a file holding a
    single study mapping or a list of them (a record to be added), checked against ``protocol``
    (default: the bundled default review's).
    """
    p = resolve_studies_path(path)
    try:
        text = read_text(p)
        doc = parse_yaml(text, str(path) if path is not None else str(p))
        if isinstance(doc, dict) and ("studies" in doc or "review" in doc):
            read_studies(p if path is None else path)
        else:
            read_records(p if path is None else path, protocol=protocol or default_protocol())
    except StudiesFileError as exc:
        return exc.problems
    return []



def _dump_record(study: StudyRecord) -> dict:
    return study.model_dump(mode="python", exclude_unset=True)


def _document_for(collection: StudyCollection):
    """The round-trip document with the collection's current contents merged in."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    doc = collection.document
    if doc is None:
        doc = CommentedMap()
        doc["review"] = CommentedMap()
        doc["studies"] = CommentedSeq()
    info = collection.info.model_dump(mode="python", exclude_unset=True)
    merge_node(doc["review"], info)
    nodes = doc["studies"]
    by_id = {n.get("id"): n for n in nodes if isinstance(n, dict)}
    new_seq = []
    for study in collection.studies:
        node = by_id.get(study.id)
        data = _dump_record(study)
        if node is not None and plain(node) != data:
            node = merge_node(node, data)
        elif node is None:
            node = merge_node(None, data)
        new_seq.append(node)
    if [id(n) for n in nodes] != [id(n) for n in new_seq]:
        kept = {id(n) for n in new_seq}
        for i in reversed(range(len(nodes))):
            if id(nodes[i]) not in kept:
                del nodes[i]
        for i, node in enumerate(new_seq):
            if i >= len(nodes) or nodes[i] is not node:
                if node in nodes:
                    nodes.remove(node)
                nodes.insert(i, node)
    return doc




def save_studies(review: StudyCollection, path: str | os.PathLike | None = None) -> Path:
    """Write the review atomically, keeping the source file's comments and key order.

    The records are validated first (nothing is written if any fails). An untouched review is
    written back byte for byte as it was read.
    """
    target = Path(path) if path is not None else (review.path or default_studies_path())
    for study in review.studies:
        StudyRecord.model_validate(_dump_record(study))
    text = dump_yaml(_document_for(review))
    atomic_write_text(target, text)
    return target
