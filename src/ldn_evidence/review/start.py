"""Starting a review: a new studies file with a commented protocol (``ldn-evidence init``), and a
new review from an extraction sheet (``ldn-evidence import ... -o NEW.yaml``).

The file :func:`init_review` writes is valid as it stands: a protocol for a two-arm comparison
with one binary and one continuous outcome, and one example study (trial 1 of the bundled BCG
review, with its source) so that ``forest`` draws something straight away. Every value the
reviewer should change is commented; the example is tagged ``example``, to be deleted once a
study of the review's own is in.

Examples
--------
>>> import tempfile, pathlib, ldn_evidence as le
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "my-review"
>>> path = init_review(folder, title="My review")
>>> review = le.load_studies(path)
>>> review.protocol.pooled_outcomes, review.analyse().k
(('events', 'score'), 1)
"""
from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from pathlib import Path

from ..errors import LivingError, StudiesFileError
from ..records import atomic_write_text
from ..records.yaml import dump_yaml

__all__ = ["init_review", "review_header", "new_review_text", "check_new_review", "TEMPLATE_OUTCOMES"]

#: the template's outcomes: (id, name, kind, lower_is_better, default measure)
TEMPLATE_OUTCOMES = (("events", "participants with the event", "binary", True, "RR"),
                     ("score", "symptom score", "continuous", True, "SMD"))

_HEADER = """\
# A living systematic review: its protocol (review:) and its studies (studies:), one mapping each.
# Every number names its source (DOI, PMID or URL, and where in it); a number that could not be
# found is left out and named under the study's `missing` list. Fields: docs/schema.md.
# Check the file with:  ldn-evidence --studies {path} validate
review:
  title: {title}
  # The question in one or two sentences: population, intervention, comparator(s), outcomes.
  question: >-
    {question}
  version: 0.1.0
  # Correlation assumed between a person's two measurements (crossover and before/after
  # designs) when a study does not report one; the sensitivity analyses vary it.
  within_person_r: 0.5
  # The protocol: every name the analyses use. Records are checked against it.
  protocol:
    population: {population}
    intervention:
      id: {intervention_id}       # contrast names: {intervention_id}_vs_<comparator id>
      name: {intervention_name}   # titles: "<name>: <outcome name>"
      label: {intervention_label}   # under a forest plot: "Favours <label>"
      arms: [{intervention_arms}]   # the arm names records use for the intervention
    comparators:               # the first one names the right-hand side: "Favours <label>"
      - id: {comparator_id}
        name: {comparator_name}
        label: {comparator_label}
        arms: [{comparator_arms}]
    # One entry per outcome: id (what records and --outcome use), name (titles), kind
    # (continuous or binary), lower_is_better (the direction when a record's scale does not say),
    # default_measure (SMD or MD; RR, OR or RD), and optionally instrument_family, pools (other
    # outcome ids pooled under this one), pooled: false (recorded, not pooled) and mid (the
    # minimal important difference: value, measure, source).
    outcomes:
{outcomes}
{moderators}    # Subgroup variables an analysis may use (the first is the default): record fields
    # (design, line_of_therapy, randomized, blinding, source) or categorical moderators.
    subgroups: [{subgroups}]
    year_range: [{first_year}, null]    # publication years of the reports; null: up to next year
"""

_EXAMPLE = """\
studies:
  # An example study, so that `ldn-evidence forest` has something to draw: trial 1 of the bundled
  # BCG review (ldn-evidence --studies bcg studies). Replace it with your first study, or delete it
  # once you have added one (ldn-evidence add, or ldn-evidence import).
  - id: example_aronson1948
    citation:
      authors: [Aronson]
      short_label: Example (Aronson 1948)
      year: 1948
      title: BCG vaccine trial 1 of Colditz et al. (1994), an example record
    no_identifier_reason: >-
      an example: the numbers are those tabulated by Colditz et al. 1994, JAMA 271(9):698-702,
      DOI 10.1001/jama.1994.03510330076038 (metadat's dat.bcg, trial 1)
    design: parallel_rct
    randomized: true
    blinding: unclear
    population: {{}}
    intervention: {{}}
    comparator: {comparator_id}
    tags: [example]
    outcomes:
      - outcome: events
        timepoint: end of follow-up
        contrast: {intervention_id}_vs_{comparator_id}
        primary: true
        data:
          - form: events
            arms:
              - {{arm: {intervention_arm}, events: 4, n: 123}}
              - {{arm: {comparator_arm}, events: 11, n: 139}}
            source: "metadat dat.bcg, trial 1 (tpos 4, tneg 119, cpos 11, cneg 128), from DOI 10.1001/jama.1994.03510330076038"
            derivation: n = TB positive + TB negative in each arm
    missing: [title, journal and identifiers of the original trial report]
"""


def _quoted(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _outcome_lines(outcomes) -> str:
    lines = []
    for oid, name, kind, lower, measure in outcomes:
        lines += [f"      - id: {oid}", f"        name: {_quoted(name)}", f"        kind: {kind}",
                  f"        lower_is_better: {'true' if lower else 'false'}"]
        if measure:
            lines.append(f"        default_measure: {measure}")
    return "\n".join(lines)


def _moderator_lines(moderators) -> str:
    if not moderators:
        return ""
    lines = ["    # Study-level variables for subgroups and meta-regression (a study gives them under moderators:)",
             "    moderators:"]
    for m in moderators:
        lines += [f"      - id: {m.id}", f"        name: {_quoted(m.name)}", f"        kind: {m.kind}"]
        if m.levels:
            lines.append(f"        levels: [{', '.join(_quoted(v) for v in m.levels)}]")
    return "\n".join(lines) + "\n"


def arm_names(name: str | None, default: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
    """(id, name, label, arms) of an intervention or comparator called ``name`` (None: ``default``)."""
    if not name:
        return default
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    slug = slug if slug[:1].isalpha() else f"x_{slug}"
    return slug, _quoted(name), _quoted(name), slug


#: the template's intervention and comparator: id, name, label, arm names
INTERVENTION = ("treatment", _quoted("The intervention"), "treatment", "treatment, intervention")
COMPARATOR = ("control", _quoted("control (placebo or no treatment)"), "control", "control, placebo")


def review_header(title: str, path: str = "studies.yaml", outcomes=TEMPLATE_OUTCOMES, moderators=(),
                  subgroups=("design",), first_year: int = 1900, intervention: str | None = None,
                  comparator: str | None = None) -> str:
    """The commented ``review:`` section of a new studies file (the template's protocol);
    ``intervention`` and ``comparator`` name the two arms (default: treatment and control)."""
    t_id, t_name, t_label, t_arms = arm_names(intervention, INTERVENTION)
    c_id, c_name, c_label, c_arms = arm_names(comparator, COMPARATOR)
    values = dict(
        path=path, title=_quoted(title), first_year=first_year,
        question=("Replace this with the question: in <population>, does <intervention> compared with "
                  "<comparator> change <outcomes>?"),
        population=_quoted("the participants the review includes (replace this)"),
        intervention_id=t_id, intervention_name=t_name, intervention_label=t_label, intervention_arms=t_arms,
        comparator_id=c_id, comparator_name=c_name, comparator_label=c_label, comparator_arms=c_arms,
        outcomes=_outcome_lines(outcomes), moderators=_moderator_lines(moderators),
        subgroups=", ".join(subgroups))
    return _HEADER.format(**values)


def new_review_text(title: str, path: str = "studies.yaml", example: bool = True, records=(), **header) -> str:
    """A whole new studies file: :func:`review_header`, then the example study or ``records``
    (plain record dicts)."""
    text = review_header(title, path, **header)
    if example:
        return text + _EXAMPLE.format(intervention_id="treatment", comparator_id="control",
                                      intervention_arm="treatment", comparator_arm="control")
    if not records:
        return text + "studies: []\n"
    from ruamel.yaml.comments import CommentedMap

    doc = CommentedMap()
    doc["studies"] = [dict(r) for r in records]
    return text + dump_yaml(doc)


def check_new_review(text: str, name: str):
    """Load a new studies file's text as a review (validated against its own protocol);
    :class:`StudiesFileError` naming ``name`` otherwise."""
    from .review import load_studies

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "studies.yaml"
        p.write_text(text, encoding="utf-8")
        try:
            review = load_studies(p)
        except StudiesFileError as exc:
            raise StudiesFileError([dataclasses.replace(pr, file=name) for pr in exc.problems]) from None
    review.path = Path(name)
    return review


def init_review(folder: str | os.PathLike, title: str | None = None) -> Path:
    """Write ``folder/studies.yaml``: a new, valid, commented review with one example study.

    The folder is created if needed; an existing studies file is never overwritten
    (:class:`ldn_evidence.errors.LivingError`). Returns the file's path.
    """
    folder = Path(folder)
    target = folder / "studies.yaml"
    if target.exists():
        raise LivingError(f"{target} exists already: init never overwrites a review (choose another folder)")
    if folder.exists() and not folder.is_dir():
        raise LivingError(f"{folder} is a file, not a folder")
    title = title or "A living systematic review"
    text = new_review_text(title, str(target))
    check_new_review(text, str(target))  # the template is valid: a failure here is a bug of ours
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text)
    return target
