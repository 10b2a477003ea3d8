"""The data behind the page, as files beside it: CSV for spreadsheets, JSON for programs.

* ``effect-sizes.csv`` — one row per study and outcome: the effect, its variance, weight, how it
  was derived, its source, and for a study not pooled the reason;
* ``pooled-results.csv`` — one row per outcome and subgroup (and overall), with the settings;
* ``sensitivity.csv`` — one row per outcome and sensitivity analysis;
* ``review.json`` — all of it, plus the page's identity (versions, studies-file hash), the
  cumulative and trial sequential analyses and what changed since the earlier version;
* ``studies.yaml`` — the studies file itself, byte for byte (its SHA-256 is on the page).

Numbers are written in full precision (``repr`` of the float); a missing number is an empty CSV
cell and ``null`` in JSON (never NaN).

Examples
--------
>>> print(_csv([{"k": 3, "tau2": float("nan"), "estimate": -0.1}], ["k", "estimate", "tau2"]), end="")
k,estimate,tau2
3,-0.1,
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from .._format import is_missing, json_safe
from ..review.analysis import EFFECT_COLUMNS

__all__ = ["write_downloads", "DOWNLOADS"]

#: file name -> what it holds (listed on the page)
DOWNLOADS = {
    "effect-sizes.csv": "one row per study and outcome: effect, variance, weight, derivation, source; reason when "
                        "not pooled",
    "pooled-results.csv": "one row per outcome and subgroup: k, estimate, CI, prediction interval, tau², I², Q, "
                          "settings",
    "sensitivity.csv": "one row per outcome and sensitivity analysis",
    "review.json": "everything on this page as JSON",
    "studies.yaml": "the studies file this page was built from",
}


def _cell(v):
    if v is None or (isinstance(v, float) and is_missing(v)):
        return ""
    if isinstance(v, float):
        return repr(v)
    return v


def _csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({c: _cell(row.get(c)) for c in columns})
    return buf.getvalue()


def _tables(outcomes: list[dict]) -> tuple[list, list, list]:
    effects, pooled, sensitivity = [], [], []
    for o in outcomes:
        a = o["analysis"]
        effects += [{**row, "pooled": True} for row in a.rows]
        effects += [{**row, "pooled": False} for row in a.not_pooled_rows]
        pooled += [{"outcome": a.outcome, "measure": a.measure, **row, "settings": a.settings}
                   for row in a.summary_rows()]
        s = o["sensitivity"].get("result")
        if s is not None:
            sensitivity += [{"outcome": a.outcome, "measure": a.measure, **row} for row in s.rows]
    return effects, pooled, sensitivity


def _outcome_json(o: dict) -> dict:
    out = {"title": o["title"], "analysis": o["analysis"].to_dict()}
    s = o["sensitivity"].get("result")
    out["sensitivity"] = json_safe(s.rows) if s is not None else {"reason": o["sensitivity"].get("reason")}
    c = o["cumulative"]
    out["cumulative"] = c["rows"] if "rows" in c else {"reason": c.get("reason")}
    t = o["tsa"]
    out["tsa"] = t["json"] if "json" in t else {"reason": t.get("reason")}
    out["summary_of_findings"] = None if not o["sof"] else {"row": o["sof"]["row"], "notes": o["sof"]["notes"],
                                                             "judgements": o["sof"]["judgements"]}
    return out


def write_downloads(folder: Path, review, meta: dict, outcomes: list[dict], changes, sof=None) -> list[str]:
    """Write the data files into ``folder`` (created); returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    effects, pooled, sensitivity = _tables(outcomes)
    (folder / "effect-sizes.csv").write_text(_csv(effects, list(EFFECT_COLUMNS) + ["weight", "pooled"]),
                                             encoding="utf-8")
    pooled_cols = ["outcome", "measure"] + list(dict.fromkeys(k for row in pooled for k in row
                                                               if k not in ("outcome", "measure", "settings")))
    (folder / "pooled-results.csv").write_text(_csv(pooled, pooled_cols + ["settings"]), encoding="utf-8")
    sens_cols = ["outcome", "measure", "family", "analysis", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high",
                 "pvalue", "tau2", "i2", "studies", "note"]
    (folder / "sensitivity.csv").write_text(_csv(sensitivity, sens_cols), encoding="utf-8")
    document = {"review": json_safe(meta), "outcomes": {o["id"]: _outcome_json(o) for o in outcomes},
                "summary_of_findings": sof.data.get("json") if sof is not None and sof.available else None,
                "changes": json_safe(changes.data.get("json")) if changes.data.get("json") else
                {"note": changes.note}}
    text = json.dumps(json_safe(document), indent=1, ensure_ascii=False, allow_nan=False)
    (folder / "review.json").write_text(text + "\n", encoding="utf-8")
    shutil.copyfile(review.path, folder / "studies.yaml")
    return list(DOWNLOADS)
