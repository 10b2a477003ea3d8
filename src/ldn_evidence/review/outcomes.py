"""A review's outcomes as its protocol declares them: which can be pooled, their kind, measure,
title and which way is better.

Everything comes from the studies file's ``review.protocol``
(:class:`ldn_evidence.records.protocol.Protocol`); these functions add the review layer's
messages (a :class:`ReviewError` naming the choices). ``protocol=None`` means the bundled
default review's protocol, what a file without one is read with.

The module constants of 0.2 (``OUTCOMES``, ``CONTINUOUS_OUTCOMES``, ``BINARY_OUTCOMES``,
``BENEFIT_OUTCOMES``, ``OUTCOME_TITLES``) are computed from the bundled review's protocol when
first asked for; a review of your own has its own (``review.protocol.pooled_outcomes``).

Examples
--------
>>> default_measure("adverse_events"), default_measure("pain")
('RR', 'SMD')
>>> favours("pain", controlled=True)
('Favours LDN', 'Favours placebo')
"""
from __future__ import annotations

import warnings

from ..errors import ReviewError

__all__ = ["outcome_spec", "default_measure", "is_binary", "favours", "outcome_title", "pooled_outcomes", "outcome_overview",
           "CONTINUOUS_OUTCOMES", "BINARY_OUTCOMES", "OUTCOMES", "OUTCOME_TITLES", "BENEFIT_OUTCOMES"]


def _protocol(protocol):
    if protocol is not None:
        return protocol
    from ..records import default_protocol

    return default_protocol()


def pooled_outcomes(protocol=None) -> tuple[str, ...]:
    """The outcome ids a review may pool, in its protocol's order."""
    return _protocol(protocol).pooled_outcomes


def outcome_spec(outcome: str, protocol=None):
    """The protocol's entry for an outcome that can be pooled; :class:`ReviewError` otherwise,
    naming the outcomes that can."""
    p = _protocol(protocol)
    spec = p.outcome(outcome)
    choices = ", ".join(p.pooled_outcomes)
    if spec is None:
        raise ReviewError(f"unknown outcome {outcome!r}; choose one of: {choices}")
    if not spec.pooled:
        raise ReviewError(f"outcome {outcome!r} is recorded but not pooled in this review (pooled: false in "
                          f"review.protocol); choose one of: {choices}")
    return spec


def is_binary(outcome: str, protocol=None) -> bool:
    """Whether an outcome is pooled from event counts."""
    spec = _protocol(protocol).outcome(outcome)
    return spec is not None and spec.kind == "binary"


def default_measure(outcome: str, protocol=None) -> str:
    """The outcome's default measure (the protocol's, else SMD for a continuous outcome and RR
    for a binary one)."""
    return outcome_spec(outcome, protocol).measure


def outcome_title(outcome: str, protocol=None) -> str:
    """The outcome as a title names it."""
    spec = _protocol(protocol).outcome(outcome)
    return spec.name if spec is not None else outcome.replace("_", " ")


def favours(outcome: str, controlled: bool, protocol=None) -> tuple[str, str]:
    """Labels under the axis, left then right (:meth:`Protocol.favours`)."""
    return _protocol(protocol).favours(outcome, controlled)


def outcome_overview(review) -> list[dict]:
    """Every outcome of the review's protocol, in its order: what ``--outcome`` takes and what
    each would pool with the review's default analysis.

    Each row has ``outcome`` (the id), ``name``, ``kind`` (continuous or binary), ``pooled`` (the
    protocol's ``pooled``: False means recorded but never pooled), ``measure`` (the default
    measure, None when not pooled), ``studies`` (how many studies report it), ``k`` (how many
    the default analysis pools; None when not pooled) and ``poolable`` (``k > 0``). For a pooled
    outcome ``studies`` counts what its analysis reads (an outcome may take in others, as FIQ
    takes FIQR), pooled or not.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> rows = {r["outcome"]: r for r in outcome_overview(le.load_studies())}
    >>> rows["pain"]["k"] > 0, rows["fatigue"]["poolable"], rows["anxiety"]["pooled"]
    (True, False, False)
    """
    reported: dict[str, set] = {}
    for study in review.studies:
        for entry in study.outcomes:
            reported.setdefault(entry.outcome, set()).add(study.id)
    rows = []
    for spec in review.protocol.outcomes:
        k, studies = None, reported.get(spec.id, set())
        if spec.pooled:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                analysis = review.analyse(spec.id)
            k = analysis.k
            studies = {row["study"] for row in analysis.rows + analysis.not_pooled_rows}
        rows.append({"outcome": spec.id, "name": spec.name, "kind": spec.kind, "pooled": bool(spec.pooled),
                     "measure": spec.measure if spec.pooled else None, "studies": len(studies),
                     "k": k, "poolable": bool(k)})
    return rows


def _legacy(name: str):
    p = _protocol(None)
    pooled = [p.outcome(o) for o in p.pooled_outcomes]
    if name == "OUTCOMES":
        return p.pooled_outcomes
    if name == "CONTINUOUS_OUTCOMES":
        return tuple(o.id for o in pooled if o.kind == "continuous")
    if name == "BINARY_OUTCOMES":
        return tuple(o.id for o in pooled if o.kind == "binary")
    if name == "BENEFIT_OUTCOMES":
        return tuple(o.id for o in pooled if o.kind == "binary" and not o.lower_is_better)
    return {o.id: o.name for o in pooled}


def __getattr__(name: str):
    if name in ("OUTCOMES", "CONTINUOUS_OUTCOMES", "BINARY_OUTCOMES", "BENEFIT_OUTCOMES", "OUTCOME_TITLES"):
        return _legacy(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
