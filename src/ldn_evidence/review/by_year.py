"""Cumulative meta-analysis by publication year: how the pooled estimate moved as the evidence
came in (Lau et al. 1992; Cochrane Handbook 10.14, living reviews).

Each row pools every study published up to that year; studies without a year enter last. The
fits are one cumulative meta-analysis (:meth:`ldn_evidence.models.MetaResult.cumulative`, one
batch over all steps), read off after each year's last study.

Examples
--------
>>> import ldn_evidence as le
>>> frame, analysis = cumulative_by_year(le.load_studies(), "pain")
>>> int(frame["k"].iloc[-1]) == analysis.k
True
"""
from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import ReviewError
from ..models import meta_analysis

__all__ = ["cumulative_by_year", "BY_YEAR_COLUMNS"]

#: the columns of the frame :func:`cumulative_by_year` returns
BY_YEAR_COLUMNS = ("year", "added", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "pvalue", "tau2",
                   "i2")


def cumulative_by_year(review, outcome: str | None = None, measure: str | None = None, method: str | None = None,
                       test: str | None = None, r: float | None = None, level: float = 95,
                       exclude: Sequence[str] = ()):
    """Cumulative meta-analysis by publication year: one row after each year's studies.

    Parameters
    ----------
    review : ldn_evidence.review.Review
    outcome, measure, method, test, r, level, exclude
        As :meth:`ldn_evidence.review.Review.analyse` (no subgroups; default: the protocol's first
        outcome and its measure).

    Returns
    -------
    (pandas.DataFrame, Analysis)
        The frame has ``year, added, k, estimate, ci_low, ci_high, pi_low, pi_high, pvalue,
        tau2, i2`` (``year`` None for the studies without a year); the analysis is the one of all
        studies.
    """
    analysis = review.analyse(outcome, measure=measure, method=method, test=test, by="none", exclude=exclude,
                              r=r, level=level)
    outcome, measure = analysis.outcome, analysis.measure
    table = analysis.table
    if len(table) == 0:
        return pd.DataFrame(columns=list(BY_YEAR_COLUMNS)), analysis
    years = table["year"].astype(float)
    order = np.lexsort((np.arange(len(table)), np.where(np.isnan(years), np.inf, years)))
    table = table.iloc[order].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        steps = meta_analysis(table["yi"].to_numpy(), table["vi"].to_numpy(), method=analysis.method,
                              test=analysis.test, level=level, labels=list(table["label"])).cumulative()
    year_of = [None if pd.isna(y) else int(y) for y in table["year"]]
    rows = []
    for i, year in enumerate(year_of):
        if i + 1 < len(year_of) and year_of[i + 1] == year:
            continue  # the year's last study closes its row
        step = steps.iloc[i]
        if not math.isfinite(step["estimate"]):
            raise ReviewError(f"the cumulative {analysis.method} fit up to {year or 'the undated studies'} did not converge; "
                              "try another method (e.g. --method DL)")
        first = next(j for j in range(i + 1) if year_of[j] == year)
        k = int(step["k"])
        rows.append({"year": year, "added": ", ".join(table["label"].iloc[first:i + 1]), "k": k,
                     "estimate": step["estimate"], "ci_low": step["ci_low"], "ci_high": step["ci_high"],
                     "pi_low": step["pi_low"] if k > 1 else math.nan, "pi_high": step["pi_high"] if k > 1 else math.nan,
                     "pvalue": step["pvalue"], "tau2": step["tau2"], "i2": step["i2"]})
    frame = pd.DataFrame(rows, columns=list(BY_YEAR_COLUMNS))
    frame.attrs.update(outcome=outcome, measure=measure, settings=analysis.settings)
    return frame, analysis
