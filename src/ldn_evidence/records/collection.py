"""A review's records in memory (:class:`StudyCollection`) and the functions that read, validate
and save a studies file.

A valid file is parsed once by libyaml (:func:`ldn_evidence.records.yaml.fast_parse`); the
round-trip tree (for saving with comments, and for the line numbers of problems) is parsed only
when needed. Saving merges the records into that tree, so comments and key order survive, and
an untouched review is written back byte for byte.

Saving never loses a record: it refuses two records with one id, validates the text it is about
to write exactly as :func:`read_studies` would read it (and checks that reading it back gives
the records in memory, no more, no fewer), takes the writers' lock that ``ldn-evidence add``
takes, and refuses to overwrite a file that changed on disk since it was read. The file keeps
its line endings and byte-order mark; a symbolic link is written through to its target.

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

from ..errors import FileChangedError, LivingError, Problem, StudiesFileError
from .files import (
    LOCK_TIMEOUT,
    MAX_FILE_BYTES,
    FileText,
    atomic_write_bytes,
    content_hash,
    encode_text,
    read_file,
    refuse_installed_copy,
    resolved,
    studies_lock,
)
from .protocol import Protocol, protocol_problems
from .published import published_problems
from .schema import ReviewInfo, StudyRecord
from .validate import error_loc, error_message, field_path, file_checks, validate_study
from .yaml import dump_yaml, fast_parse, line_of, merge_node, parse_yaml, plain

__all__ = ["StudyCollection", "read_studies", "read_records", "validate_studies", "save_studies",
           "default_studies_path", "studies_from_text", "encoded_like", "bundled_reviews", "resolve_studies_path",
           "default_protocol"]


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
    review (:func:`bundled_reviews`) that is not also a file here is that review, a folder
    holding a ``studies.yaml`` (what ``ldn-evidence init`` writes) is that file, anything else
    the path itself (a folder without one is then refused as a folder)."""
    if path is None:
        return default_studies_path()
    p = Path(path)
    if not p.exists():
        bundled = bundled_reviews()
        if str(path) in bundled:
            return bundled[str(path)]
    if p.is_dir() and (p / "studies.yaml").is_file():
        return p / "studies.yaml"
    return p


@functools.lru_cache(maxsize=1)
def _bundled_protocol(path: str, mtime: float) -> Protocol:
    text = read_file(Path(path)).text
    doc = fast_parse(text)
    if doc is None:  # text the fast parser leaves to the careful one
        doc = plain(parse_yaml(text, path))
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
        #: what was read from disk (bytes, line ending, BOM) and the file it resolved to
        self._file: FileText | None = None
        self._source: Path | None = None

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
    f = read_file(p)
    collection = studies_from_text(f.text, name, p, cls)
    collection._file = f
    collection._source = resolved(p)
    return collection


def studies_from_text(text: str, name: str, path: Path | None = None,
                      cls: type = StudyCollection) -> StudyCollection:
    """The collection a studies text holds (``\n`` line endings); problems name ``name``."""
    fast = fast_parse(text)
    if fast is not None:
        try:
            return _collect(fast, name, path, cls, text, document=None)
        except StudiesFileError:
            pass  # report the problems with line numbers from the round-trip tree
    doc = parse_yaml(text, name)
    return _collect(doc, name, path, cls, text, document=doc)


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
                loc = ("review",) + error_loc(err)
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
        study, probs = validate_study(node, name, f"studies[{i}].", line=line_of(doc, ("studies", i)))
        studies.append(study)
        problems += probs
    problems += file_checks(name, nodes, studies)
    if info is not None:
        protocol = info.protocol or default_protocol()
        problems += protocol_problems(protocol, name, nodes, studies)
        problems += published_problems(info.published_analyses, name, doc, studies,
                                       tuple(o.id for o in protocol.outcomes), tuple(protocol.all_contrasts))
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
    doc = parse_yaml(read_file(p).text, name)
    if doc is None or (isinstance(doc, list) and not doc):
        what = "an empty list" if isinstance(doc, list) else "no YAML value (only comments?)"
        raise StudiesFileError([Problem(name, 1, None, None, f"holds no study record ({what}); give one study "
                                                             "mapping or a list of them")])
    if isinstance(doc, dict) and "studies" in doc and "id" not in doc:
        raise StudiesFileError([Problem(name, line_of(doc, ("studies",)), None, None,
                                        "is a whole studies file (it has 'studies:'); give a file holding one "
                                        "study record or a list of them")])
    nodes = doc if isinstance(doc, list) else [doc]
    problems: list[Problem] = []
    studies = []
    for i, node in enumerate(nodes):
        study, probs = validate_study(node, name, f"[{i}].", line=line_of(doc, (i,)) if doc is nodes else 1)
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
        text = read_file(p).text
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




def _refuse_duplicate_ids(review: StudyCollection, target: Path) -> None:
    first: dict[str, int] = {}
    problems = []
    for i, study in enumerate(review.studies):
        if study.id in first:
            problems.append(Problem(str(target), None, study.id, "id",
                                    f"studies #{first[study.id] + 1} and #{i + 1} have the same id; saving would "
                                    "merge them into one. Give one a new id or remove it; nothing was written"))
        else:
            first.setdefault(study.id, i)
    if problems:
        raise StudiesFileError(problems)


def encoded_like(review: StudyCollection, text: str) -> bytes:
    """``text`` as the bytes of the file the review was read from: its line endings and BOM; the
    bytes read, unchanged, when the text is what was read (an untouched save is byte-identical)."""
    f = review._file
    if f is None:
        return encode_text(text)
    if text == f.text:
        return f.raw
    return encode_text(text, f.newline, f.bom)


def checked_for_writing(review: StudyCollection, text: str, target: Path, expected=None,
                        cls: type = StudyCollection) -> tuple[bytes, StudyCollection]:
    """The bytes to write for ``text`` and the collection they hold (as ``cls``), after checking
    that :func:`read_studies` would accept them and read back exactly ``expected`` (default: the
    review's records, in order, none merged or dropped). Raises :class:`StudiesFileError` or
    :class:`LivingError`; nothing is written."""
    data = encoded_like(review, text)
    if len(data) > MAX_FILE_BYTES:
        raise StudiesFileError([Problem(str(target), None, None, None,
                                        f"the review would be {len(data) / 1e6:.1f} MB, above the "
                                        f"{MAX_FILE_BYTES / 1e6:.0f} MB a studies file may have; nothing was written")])
    try:
        again = studies_from_text(text, str(target), target, cls)
    except StudiesFileError as exc:
        raise StudiesFileError([Problem(p.file, p.line, p.study, p.field, f"{p.message} (in the file as it would be "
                                        "written; nothing was written)") for p in exc.problems]) from None
    expected = expected if expected is not None else review
    if not _same_records(again, expected):
        raise LivingError(f"internal check failed: {target} as it would be written does not read back as the "
                          "records in memory; nothing was written")
    return data, again


def _same_records(a, b) -> bool:
    return a.info.model_dump() == b.info.model_dump() and \
        [s.model_dump() for s in a.studies] == [s.model_dump() for s in b.studies]


def _untouched(review: StudyCollection, target: Path) -> bool:
    """Whether the review holds exactly what its file held when read (then the bytes read are
    written back as they were: ruamel.yaml would re-spell escapes such as ``"\\u011a"``)."""
    if review._file is None:
        return False
    try:
        original = studies_from_text(review._file.text, str(target), target)
    except StudiesFileError:
        return False
    return _same_records(original, review)


def check_unchanged(review: StudyCollection, target: str | os.PathLike) -> None:
    """Refuse (:class:`FileChangedError`) when ``target`` is the file the review was read from and
    its bytes changed since: saving the copy in memory would lose what the other writer added."""
    if review._file is None or review._source is None or resolved(target) != review._source:
        return
    try:
        with open(review._source, "rb") as fh:
            now = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return  # removed since: nothing to overwrite
    if content_hash(now) != review._file.hash:
        raise FileChangedError(
            f"{target} changed on disk after it was read (another program, or `ldn-evidence add`, wrote it); "
            "saving this copy would overwrite that change. Nothing was written: load the file again, repeat "
            "your change, and save.")


def remember_written(review: StudyCollection, target: str | os.PathLike, text: str, data: bytes) -> None:
    """After writing the file a review was read from, the review holds what is now on disk."""
    if review._source is None or resolved(target) == review._source:
        old = review._file
        review._file = FileText(text=text, raw=data, newline=old.newline if old else "\n",
                                bom=old.bom if old else False)
        review._source = resolved(target)
        review._text = text
        if review.path is None:
            review.path = Path(target)


def save_studies(review: StudyCollection, path: str | os.PathLike | None = None, *,
                 lock_timeout: float = LOCK_TIMEOUT) -> Path:
    """Write the review atomically, keeping the source file's comments, key order, line endings and
    byte-order mark.

    Nothing is written, and the reason is raised, when: two records share an id
    (:class:`StudiesFileError`); the file as it would be written is one :func:`read_studies`
    would refuse, or is larger than the read limit (:class:`StudiesFileError`); ``path`` is the
    file the review was read from and it changed on disk since (:class:`FileChangedError`, e.g.
    ``ldn-evidence add`` ran in between); it is the copy installed inside the package
    (:class:`ReadOnlyReviewError`); another writer holds the lock for ``lock_timeout`` seconds
    (:class:`LockTimeout`). An untouched review is written back byte for byte as it was read.
    A symbolic link is written through to its target.

    Examples
    --------
    >>> import shutil, tempfile, pathlib, ldn_evidence as le
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "studies.yaml"
    >>> _ = shutil.copy(le.records.default_studies_path(), path)
    >>> review = le.load_studies(path)
    >>> review.studies.append(review.studies[0])   # the same id twice
    >>> le.save_studies(review)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ldn_evidence.errors.StudiesFileError: ...have the same id; saving would merge them into one...
    """
    target = Path(path) if path is not None else (review.path or default_studies_path())
    refuse_installed_copy(target)
    _refuse_duplicate_ids(review, target)
    problems: list[Problem] = []
    for i, study in enumerate(review.studies):
        problems += validate_study(_dump_record(study), str(target), f"studies[{i}].")[1]
    try:
        ReviewInfo.model_validate(review.info.model_dump(mode="python", exclude_unset=True))
    except ValidationError as exc:
        problems += [Problem(str(target), None, None, field_path(("review",) + error_loc(e), {}) or "review",
                             error_message(e)) for e in exc.errors(include_url=False)]
    if problems:
        raise StudiesFileError(problems)
    if _untouched(review, target):
        text, data = review._file.text, review._file.raw
    else:
        text = dump_yaml(_document_for(review))
        data, _ = checked_for_writing(review, text, target)
    with studies_lock(target, timeout=lock_timeout):
        check_unchanged(review, target)
        atomic_write_bytes(target, data)
    remember_written(review, target, text, data)
    return target
