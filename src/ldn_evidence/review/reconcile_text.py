"""The reconciliation as text: each published analysis's ladder, its gap and what would have to
be true, in the order a reader checks them (:class:`ldn_evidence.review.reconcile.ReconcileResult`).

Examples
--------
>>> import ldn_evidence as le
>>> from ldn_evidence.review.reconcile import reconcile_review
>>> text = reconcile_text(reconcile_review(le.load_studies(), analyses=["vatvani2024"]))
>>> text.splitlines()[0]
'Published meta-analyses of pain reconciled with this review'
"""
from __future__ import annotations

import math
import textwrap

__all__ = ["reconcile_text", "step_line"]

WIDTH = 110


def _num(x: float | None, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "NA"
    if round(x, 2) == 0:
        x = 0.0  # never -0.00
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def step_line(s) -> str:
    """``b  their trials, their method   MD  -0.34 [-0.95, 0.27]  k = 1  change +0.52``."""
    ci = f"[{_num(s.ci_low)}, {_num(s.ci_high)}]" if math.isfinite(s.estimate) else "not estimable"
    change = f"  change {_num(s.change, True)}" if math.isfinite(s.change) else ""
    k = "NA" if s.k is None else s.k
    return f"  {s.code:<3} {s.name:<27} {s.measure:<4} {_num(s.estimate):>6} {ci:<16} k = {k}{change}"


def _wrapped(label: str, text: str, indent: int = 8) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent + label, subsequent_indent=" " * (indent + 2))


def _ladder_text(lad) -> list[str]:
    a = lad.analysis
    ids = ", ".join(x for x in (f"doi:{a.doi}" if a.doi else "", f"PMID {a.pmid}" if a.pmid else "") if x)
    kind = "meta-analysis" if a.kind == "meta_analysis" else a.kind.replace("_", " ")
    out = [f"{lad.label} ({kind}{'; ' + ids if ids else ''})"]
    for s in lad.steps:
        out.append(step_line(s))
        out += _wrapped("", s.what_changed)
        for note in ([s.note] if s.note and s.code != "a" else []) + s.assumptions:
            out += _wrapped("note: ", note)
    out.append(f"  gap a -> b: {lad.gap.text}")
    if lad.explanations:
        out.append("  what would have to be true (each candidate refitted with their method):")
        for e in lad.explanations:
            head = (f"{e.what}: {_num(e.estimate)} [{_num(e.ci_low)}, {_num(e.ci_high)}], k = {e.k}"
                    + (f", {_num(e.gap, True)} from their result" if e.code != "implied_rest" else "")
                    if e.applies else f"{e.what}: not applicable")
            out += _wrapped("- ", head, 4)
            out += _wrapped("", e.detail, 6)
    if a.missing:
        out += _wrapped("missing from the sources: ", "; ".join(a.missing), 2)
    return out


def reconcile_text(result) -> str:
    """The whole reconciliation as plain text (what ``ldn-evidence reconcile`` prints)."""
    lines = [f"Published meta-analyses of {result.outcome} reconciled with this review",
             f"This review: {result.our_result}", ""]
    lines += textwrap.wrap(
        "Each ladder changes one thing per step: (a) their published result; (b) their trials with their measure "
        "and method; (c) this review's effect derivations; (d) every trial pooled now; (e) this review's defaults, "
        "one setting at a time, ending at this review's result. 'change' is the difference from the step above "
        "(blank where the measure changes: an MD and an SMD are in different units).", WIDTH)
    for lad in result.ladders:
        lines += [""] + _ladder_text(lad)
    if result.not_reconciled:
        lines += ["", "Not reconciled (no pooled estimate of this outcome to start from):"]
        for x in result.not_reconciled:
            lines += _wrapped("", f"{x['label']} ({x['analysis']}): {x['reason']}", 2)
    return "\n".join(lines) + "\n"
