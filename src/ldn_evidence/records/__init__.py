"""Study records: the schema of a studies file and everything that reads or writes one.

This package is the only place that touches YAML or the studies file on disk.

* :mod:`.schema` — the pydantic models of the review and of a study record.
* :mod:`.protocol` — a review's protocol (outcomes, arms, labels, subgroups, years) and the
  check of records against it.
* :mod:`.yaml` — parsing (libyaml fast path, ruamel.yaml round trip), line lookup, dumping.
* :mod:`.validate` — pydantic errors mapped to ``file:line: study: field: message`` problems.
* :mod:`.files` — reading within limits, atomic writes, the writers' lock.
* :mod:`.duplicates` — is a new record a study the review already has?
* :mod:`.collection` — :class:`StudyCollection` and read / validate / save.

Examples
--------
>>> import ldn_evidence.records as rec
>>> rec.validate_studies()
[]
"""
from ..errors import Problem, StudiesFileError
from .collection import (
    StudyCollection,
    bundled_reviews,
    default_protocol,
    default_studies_path,
    read_records,
    read_studies,
    resolve_studies_path,
    save_studies,
    validate_studies,
)
from .protocol import Moderator, Protocol, ProtocolComparator, ProtocolIntervention, ProtocolOutcome, protocol_problems
from .files import MAX_FILE_BYTES, atomic_write_text, studies_lock
from .schema import (
    ArmEvents,
    ArmMeans,
    ArmMedian,
    ArmPercent,
    ArmValue,
    ChangeScores,
    Citation,
    Events,
    ExcludedStudy,
    Intervention,
    Judgement,
    MeanDifference,
    MedianDifference,
    Medians,
    OngoingTrial,
    Outcome,
    PercentChange,
    Population,
    PrePost,
    Prisma,
    PValue,
    Registration,
    ReportedEffect,
    ReviewInfo,
    RiskOfBias,
    Scale,
    Search,
    StandardizedEffect,
    StudyRecord,
    Text,
    study_json_schema,
)
from .yaml import dump_yaml

__all__ = [
    "Problem", "StudiesFileError", "StudyRecord", "ReviewInfo", "StudyCollection", "read_studies", "read_records",
    "validate_studies", "save_studies", "study_json_schema", "default_studies_path", "MAX_FILE_BYTES",
    "atomic_write_text", "studies_lock", "dump_yaml", "Citation", "Registration", "Population", "Intervention",
    "RiskOfBias", "Judgement", "Scale", "Outcome", "ArmValue", "ArmMedian", "ArmPercent", "ArmEvents",
    "ArmMeans", "ChangeScores", "PrePost", "MeanDifference", "Medians", "MedianDifference", "PercentChange",
    "PValue", "StandardizedEffect", "Events", "ReportedEffect", "Text", "Search", "Prisma", "ExcludedStudy",
    "OngoingTrial", "Protocol", "ProtocolIntervention", "ProtocolComparator", "ProtocolOutcome", "Moderator",
    "protocol_problems", "default_protocol", "bundled_reviews", "resolve_studies_path",
]
