"""A review's risk-of-bias judgements as the figures of :mod:`ldn_evidence.plots.rob` take them.

:func:`rob_table` lists every study's RoB 2 or ROBINS-I judgements (domains and overall, with the
support text); given an outcome, only the studies pooled in that outcome's analysis, in the
analysis's order, with their weights (so that the summary bars show the share of information
by judgement, robvis's ``weighted = TRUE``). :func:`rob_plot` draws them.

Examples
--------
>>> import ldn_evidence as le
>>> rows = rob_table(le.load_studies(), "pain")
>>> [row["label"] for row in rows][:2], round(sum(row["weight"] for row in rows))
(['Rodríguez-Freire (INNOVA)', 'Younger 2013'], 100)
"""
from __future__ import annotations

from .outcomes import outcome_title

__all__ = ["rob_table", "rob_plot"]


def _row(study, weight=None) -> dict:
    rob = study.risk_of_bias
    tool = rob.tool if rob is not None else None
    return {
        "study": study.id, "label": study.label, "tool": tool if tool != "not_assessed" else None,
        "overall": rob.overall.judgement if rob is not None and rob.overall else None,
        "overall_support": rob.overall.support if rob is not None and rob.overall else None,
        "domains": {d: j.judgement for d, j in rob.domains.items()} if rob is not None else {},
        "support": {d: j.support for d, j in rob.domains.items()} if rob is not None else {},
        "assessed_outcome": rob.outcome if rob is not None else None, "weight": weight,
    }


def rob_table(review, outcome: str | None = None, **analyse_kwargs) -> list[dict]:
    """One row per study: ``study, label, tool, overall, overall_support, domains, support,
    assessed_outcome, weight``.

    Parameters
    ----------
    review : Review
    outcome : str, optional
        Restrict to the studies pooled in ``review.analyse(outcome, **analyse_kwargs)``, in its
        order, with ``weight`` its percentage weights. Without it, every study of the review in
        the file's order, ``weight`` None.
    """
    if outcome is None:
        return [_row(s) for s in review.studies]
    analysis = review.analyse(outcome, **analyse_kwargs)
    return [_row(review[row["study"]], row["weight"]) for row in analysis.rows]


def rob_plot(review, outcome: str | None = None, *, kind: str = "both", **analyse_kwargs):
    """The traffic-light plot and (weighted by ``outcome``'s analysis, when given) summary bars.

    Parameters
    ----------
    kind : {"both", "traffic_light", "summary"}

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import ldn_evidence as le
    >>> fig = rob_plot(le.load_studies(), "pain", kind="traffic_light")
    >>> len([t for t in fig.texts if t.get_gid() == "rob-label"])
    3
    """
    from ..plots.rob import rob_figure, rob_summary, rob_traffic_light

    rows = rob_table(review, outcome, **analyse_kwargs)
    if outcome is not None:
        title = f"Risk of bias: {outcome_title(outcome)} ({len(rows)} studies pooled)"
        label = f"share of the {outcome_title(outcome)} analysis weight"
    else:
        title, label = "Risk of bias: every study of the review", None
    from ..plots._figure import stamp

    digest = getattr(review, "file_hash", None)
    if kind == "traffic_light":
        return stamp(rob_traffic_light(rows, title=title), digest)
    if kind == "summary":
        return stamp(rob_summary(rows, weighted=outcome is not None, title=title, weight_label=label), digest)
    if kind != "both":
        raise ValueError(f"kind must be 'both', 'traffic_light' or 'summary' (got {kind!r})")
    return stamp(rob_figure(rows, weighted=outcome is not None, title=title, weight_label=label), digest)
