"""Trial sequential analysis of one outcome of a review (Wetterslev et al. 2008; Thorlund et al.
2011): the trials in publication order, their cumulative random-effects Z-curve, and the
monitoring boundaries of :mod:`ldn_evidence.diagnostics.tsa` on the required information size.

A binary outcome (RR, OR or RD) takes the minimal relevant effect as a relative risk reduction
``mird`` (0.2 = 20%) of the control-group risk ``Pc`` (default: the pooled control arms of the
trials): the intervention risk is ``Pe = Pc (1 - RRR)`` and the required information size is
Wetterslev's (2008) ``4 (z_{1-alpha/2} + z_{1-beta})^2 P(1 - P) / (Pc - Pe)^2`` participants with
``P = (Pc + Pe) / 2``; on the variance axis the information needed is
``(z_{1-alpha/2} + z_{1-beta})^2 / theta^2`` with ``theta`` that effect on the measure's scale
(log RR, log OR or RD).

Examples
--------
>>> import ldn_evidence as le
>>> res = trial_sequential_analysis(le.load_studies(), "pain", mird=0.2)
>>> res.conclusion.startswith("no boundary crossed")
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .._format import json_safe, wrap_words
from .._html import details, escape, table
from .._version import provenance
from ..diagnostics.tsa import (RIS, Boundaries, boundary_curve, diversity, group_sequential_boundaries,
                               required_information_size)
from ..models import meta_analysis

__all__ = ["TSAResult", "trial_sequential_analysis"]


@dataclass
class TSAResult:
    """A trial sequential analysis of one outcome.

    ``steps``: one row per trial added (chronological): label, year, n, cumulative n,
    information fraction ``t``, pooled estimate, SE and ``z`` (positive favours LDN), and the
    efficacy/futility boundaries at that look. ``boundaries``: the boundaries at the looks
    (the trials' fractions below 1, plus t = 1).
    """

    outcome: str
    measure: str
    ris: RIS
    information: str
    information_size: float
    steps: object
    boundaries: Boundaries
    method: str
    conclusion: str
    assumptions: list
    #: the words beside the Z-curve's halves: positive Z, negative Z
    favours: tuple = ("Favours intervention", "Favours comparator")
    file_hash: str | None = None   # SHA-256 of the studies file (figure metadata, JSON)

    def to_dict(self) -> dict:
        """Plain JSON (the one cleaner, :func:`ldn_evidence._format.json_safe`: NaN and infinities
        as None, counts as integers)."""
        return json_safe({
            "outcome": self.outcome, "measure": self.measure, "method": self.method,
            "information": self.information, "ris": self.ris.ris, "d2": self.ris.d2, "ris_adjusted": self.ris.adjusted,
            "information_size": self.information_size, "inflation": self.boundaries.inflation,
            "mird": self.ris.mird, "sd": self.ris.sd, "alpha": self.ris.alpha, "beta": self.ris.beta,
            "conclusion": self.conclusion, "assumptions": list(self.assumptions),
            "steps": self.steps.to_dict("records"), "boundaries": self.boundaries.to_frame().to_dict("records"),
            "provenance": provenance(self.file_hash),
        })

    def to_frame(self):
        """The result protocol's table: one row per trial added (a copy of ``steps``)."""
        frame = self.steps.copy()
        frame.attrs.update(outcome=self.outcome, measure=self.measure, information_size=self.information_size,
                           conclusion=self.conclusion)
        return frame

    def summary(self) -> str:
        """The result protocol's text: what ``print()`` shows."""
        return str(self)

    def __str__(self) -> str:
        lines = [f"Trial sequential analysis of {self.outcome} ({self.measure}), {self.method} random effects",
                 "  " + self.ris.describe()]
        if self.boundaries.inflation != 1.0:
            lines.append(f"  futility boundaries (beta spending) inflate it by {self.boundaries.inflation:.3f} "
                         f"-> {self.information_size:.0f}")
        lines.append(f"  {'trial':22s} {'year':>5s} {'n':>5s} {'cum n':>6s} {'t':>6s} {'estimate':>9s} "
                     f"{'Z':>6s} {'bound':>6s} {'futil.':>6s}")
        for _, r in self.steps.iterrows():
            yr = "" if r["year"] is None or (isinstance(r["year"], float) and math.isnan(r["year"])) else str(int(r["year"]))
            fut = "" if not math.isfinite(r["futility"]) else f"{r['futility']:6.2f}"
            name = wrap_words(r["label"], 22)  # a long label goes on between words, never cut
            lines.append(f"  {name[0]:22s} {yr:>5s} {r['n']:5.0f} {r['cum_n']:6.0f} {r['t']:6.3f} "
                         f"{r['estimate']:9.3f} {r['z']:6.2f} {r['upper']:6.2f} {fut:>6s}")
            lines += [f"  {more}" for more in name[1:]]
        lines.append(f"  conclusion: {self.conclusion}")
        for a in self.assumptions:
            lines.append(f"  assumption: {a}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<TSAResult {self.outcome} ({self.measure}): {len(self.steps)} trials; {self.conclusion}>"

    def _repr_html_(self) -> str:
        """Jupyter: the information size, one row per trial added, the conclusion and assumptions."""
        rows = []
        for _, r in self.steps.iterrows():
            year = "" if r["year"] is None or r["year"] != r["year"] else str(int(r["year"]))
            fut = "" if not math.isfinite(r["futility"]) else f"{r['futility']:.2f}"
            rows.append([r["label"], year, f"{r['n']:.0f}", f"{r['cum_n']:.0f}", f"{r['t']:.3f}",
                         f"{r['estimate']:.3f}", f"{r['z']:.2f}", f"{r['upper']:.2f}", fut])
        return (f"<p>Trial sequential analysis of <strong>{escape(self.outcome)}</strong> ({escape(self.measure)}), "
                f"{escape(self.method)} random effects. {escape(self.ris.describe())}</p>"
                + table(["trial", "year", "n", "cum. n", "t", "estimate", "Z", "boundary", "futility"], rows)
                + f"<p>Conclusion: {escape(self.conclusion)}</p>"
                + details(f"{len(self.assumptions)} assumptions", self.assumptions))

    def boundary_curve(self, t):
        """The boundaries at information fractions ``t`` as continuous functions of the information
        (:func:`ldn_evidence.diagnostics.tsa.boundary_curve`): what the figure draws."""
        return boundary_curve(self.boundaries, t)

    def plot(self, **kwargs):
        """The TSA figure (a matplotlib Figure): the boundaries drawn as continuous curves, the
        futility wedge shaded; see :func:`ldn_evidence.plots.tsa.tsa_plot`."""
        from ..plots.tsa import tsa_plot  # matplotlib: imported when a figure is asked for

        return tsa_plot(self, **kwargs)


def trial_sequential_analysis(review, outcome: str | None = None, mird: float = 0.2, sd: float = 1.0,
                              alpha: float = 0.05, beta: float = 0.2, measure: str | None = None,
                              method: str = "DL", d2: float | None = None, futility: bool = True,
                              information: str = "participants", randomized_only: bool = True,
                              r: float | None = None, exclude: Sequence[str] = (),
                              control_risk: float | None = None) -> TSAResult:
    """TSA of one outcome of the review: Z-curve of the cumulative random-effects meta-analysis of
    the trials in chronological order, against O'Brien-Fleming alpha-spending boundaries and
    (optionally) beta-spending futility boundaries on the diversity-adjusted information size.

    ``information="participants"`` (TSA's axis): t = cumulative participants / adjusted RIS.
    ``information="variance"``: t = (1 / Var(pooled, random effects)) / (RIS / 4 / sd²), i.e.
    statistical information, which counts a crossover trial's within-person comparison at its
    worth. ``d2`` overrides the diversity estimated from the trials (D² of the last cumulative
    meta-analysis). Sign: the Z-curve is positive when the pooled effect favours the intervention.
    ``outcome`` and ``measure`` default to the protocol's first outcome and its measure; for a
    binary outcome ``mird`` is a relative risk reduction and ``control_risk`` the control risk
    (default: pooled from the trials' control arms).
    """
    if information not in ("participants", "variance"):
        raise ValueError("information must be 'participants' or 'variance'")
    outcome = review.outcome_id(outcome)
    spec = review.protocol.outcome(outcome)
    binary = spec.kind == "binary"
    analysis = review.analyse(outcome, measure=measure, method="REML", test="z", by="none", exclude=exclude, r=r)
    measure = analysis.measure
    table = analysis.table
    assumptions = []
    if randomized_only:
        dropped = table.loc[~table["randomized"].astype(bool), "label"].tolist()
        table = table[table["randomized"].astype(bool)]
        if dropped:
            assumptions.append(f"non-randomized studies left out: {', '.join(dropped)}")
    if len(table) == 0:
        raise ValueError(f"no trial gives a poolable {measure} for {outcome}")
    table = table.assign(_y=table["year"].fillna(9999)).sort_values(["_y", "label"], kind="stable")
    undated = table.loc[table["year"].isna(), "label"].tolist()
    if undated:
        assumptions.append(f"trials without a publication year placed last: {', '.join(undated)}")
    n = table["n"].astype(float).to_numpy()
    if information == "participants" and np.any(~np.isfinite(n)):
        missing = table.loc[~np.isfinite(n), "label"].tolist()
        raise ValueError(f"participants not known for {', '.join(missing)}; use information='variance'")
    yi = table["yi"].to_numpy(float)
    vi = table["vi"].to_numpy(float)
    steps_fit = meta_analysis(yi, vi, method=method, test="z").cumulative()
    est, se = steps_fit["estimate"].to_numpy(), steps_fit["se"].to_numpy()
    d2_est = diversity(yi, vi)
    d2_used = d2_est if d2 is None else float(d2)
    if binary:
        ris, theta = _binary_ris(analysis, table, mird, control_risk, alpha, beta, d2_used, assumptions)
    else:
        ris, theta = required_information_size(mird, sd=sd, alpha=alpha, beta=beta, d2=d2_used), None
    # continuous effects are aligned so that negative is an improvement; binary ones are as
    # reported, so a lower risk is better unless the protocol says more events is better
    better_up = binary and not spec.lower_is_better
    z = est / se if better_up else -est / se  # positive favours the intervention
    if information == "participants":
        info_k = np.cumsum(n)
        target = ris.adjusted
        assumptions.append("information = participants; a crossover trial counts each participant once")
    else:
        info_k = 1 / se**2
        if theta is None:
            target = ris.ris / (4 * sd * sd)
            assumptions.append("information = 1 / variance of the random-effects pooled estimate; "
                               "RIS converted as RIS / (4 sd²)")
        else:
            target = required_information_size(theta, alpha=alpha, beta=beta).ris / 4
            assumptions.append(f"information = 1 / variance of the random-effects pooled estimate; needed: "
                               f"(z_a + z_b)² / {theta:.4g}², the minimal relevant effect on the {measure} scale")
    if measure == "SMD":
        assumptions.append(f"SMD scale: SD = {sd:g}, minimal relevant difference {mird:g} SD")
    if any(table["uses_r"]):
        assumptions.append(f"crossover/pre-post effects use within-person r = {analysis.r:g}")
    # boundaries on the looks actually taken; with futility boundaries the information size is
    # inflated, which moves the looks, so iterate to the fixed point
    def looks_for(size):
        t_all = info_k / size
        looks = sorted({float(x) for x in t_all if x < 1.0} | {1.0})
        return t_all, looks

    size = target
    for _ in range(20):  # inflation depends on the looks and the looks on the inflated size
        t_all, looks = looks_for(size)
        b = group_sequential_boundaries(looks, alpha=alpha, sides=2, beta=beta if futility else None)
        new = target * b.inflation
        if abs(new - size) < 1e-9 * target:
            break
        size = new
    t_all, looks = looks_for(size)
    b = group_sequential_boundaries(looks, alpha=alpha, sides=2, beta=beta if futility else None)
    look_index = [min(int(np.searchsorted(b.t, min(x, 1.0) - 1e-12)), len(b.t) - 1) for x in t_all]
    steps = pd.DataFrame({
        "label": table["label"].tolist(), "study": table["study"].tolist(),
        "year": [None if pd.isna(y) else int(y) for y in table["year"]], "n": n, "cum_n": np.cumsum(n),
        "information": info_k, "t": t_all, "estimate": est, "se": se, "z": z,
        "upper": [b.upper[i] for i in look_index],
        "futility": [b.futility[i] if b.futility is not None else math.nan for i in look_index],
    })
    last = steps.iloc[-1]
    effect = f"a relative risk reduction of {mird:.0%}" if binary else f"an effect of {mird:g}"
    if abs(last["z"]) >= last["upper"]:
        concl = ("the Z-curve crosses the monitoring boundary: firm evidence of "
                 + ("benefit" if last["z"] > 0 else "harm") + f" for {effect}")
    elif futility and last["t"] < 1 and abs(last["z"]) < last["futility"]:
        concl = f"the Z-curve is inside the futility wedge: {effect} is unlikely"
    elif last["t"] >= 1:
        concl = "the required information size is reached without crossing a boundary: no effect of that size"
    else:
        concl = (f"no boundary crossed; {last['t']:.0%} of the required information size accrued "
                 "(inconclusive: more trials are needed)")
    fav = review.protocol.favours(outcome, controlled=True)
    return TSAResult(outcome=outcome, measure=measure, ris=ris, information=information, information_size=size,
                     steps=steps, boundaries=b, method=method, conclusion=concl, assumptions=assumptions,
                     favours=(fav[1], fav[0]) if better_up else fav,
                     file_hash=getattr(review, "file_hash", None))


def _binary_ris(analysis, table, rrr: float, control_risk: float | None, alpha: float, beta: float, d2: float,
                assumptions: list) -> tuple[RIS, float]:
    """Wetterslev's (2008) information size for a relative risk reduction ``rrr`` of the control
    risk, and the same effect on the measure's scale (log RR, log OR, RD)."""
    if not 0 < rrr < 1:
        raise ValueError(f"for a binary outcome the minimal relevant effect is a relative risk reduction "
                         f"between 0 and 1 (got {rrr:g})")
    if control_risk is None:
        kept = set(table["study"])
        counts = [row["counts"] for row in analysis.rows if row["study"] in kept and row.get("counts")]
        if not counts:
            raise ValueError("no trial gives control-arm event counts; give the control risk (control_risk)")
        control_risk = sum(c[2] for c in counts) / sum(c[3] for c in counts)
        how = f"pooled from the control arms of {len(counts)} trials"
    else:
        how = "as given"
    pc = float(control_risk)
    if not 0 < pc < 1:
        raise ValueError(f"the control risk must lie between 0 and 1 (got {pc:g})")
    pe = pc * (1 - rrr)
    pbar = (pc + pe) / 2
    ris = required_information_size(pc - pe, sd=math.sqrt(pbar * (1 - pbar)), alpha=alpha, beta=beta, d2=d2)
    theta = {"RR": -math.log(1 - rrr), "RD": pc - pe,
             "OR": math.log(pc / (1 - pc)) - math.log(pe / (1 - pe))}[analysis.measure]
    assumptions.append(f"binary outcome: control risk {pc:.4g} ({how}), relative risk reduction {rrr:.0%} -> "
                       f"intervention risk {pe:.4g}; RIS = 4 (z_a + z_b)² P(1 - P) / (Pc - Pe)², P = {pbar:.4g} "
                       "(Wetterslev 2008)")
    return ris, theta
