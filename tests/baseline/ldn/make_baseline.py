"""Regression pin of the LDN review's results, written with the code from before the protocol
refactor (issue 16).

Not a reference of correctness (those come from metafor and the papers, see tests/reference/):
this file records what the code computed, before the review's vocabulary moved into
``review.protocol`` and ``effect_for_outcome`` was split into one function per derivation path,
from a frozen copy of the bundled studies file (``studies_53d4e62.yaml``, the file at commit
53d4e62), so that the refactor can be shown to change no effect, no derivation text and no
pooled result. ``tests/test_protocol_pins.py`` recomputes everything with the current code.

First written by the code of main at 0711b5f (the refactor's merge base: 53d4e62 plus the GRADE
and evidence-audit work) and shown equal after the refactor. Rewritten at the merge of the
figures work ("figures-merge"), whose intended changes it records: JSON outputs gained a
``provenance`` (tool version, file hash), forest footnote letters keep one meaning across the
review, and the sensitivity table's "Test and CI" family holds every other test (knha, adhoc,
z): ``python tests/baseline/ldn/make_baseline.py --commit figures-merge``. Rewritten again when
the protocol gained its default analysis (``protocol-analysis-defaults``): the bundled review's
test is the modified Hartung-Knapp (adhoc), and an SMD analysis sets change-score SMDs apart from
final-value SMDs (Cochrane Handbook 10.5.2). Rewrite it only for such an intended change, and say
which in the commit.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import ldn_evidence as le

HERE = Path(__file__).resolve().parent
STUDIES = HERE / "studies_53d4e62.yaml"
CONTINUOUS = ("pain", "fiq", "fiqr", "symptom_severity", "fatigue", "sleep", "mood", "depression",
              "quality_of_life")
BINARY = ("adverse_events", "serious_adverse_events", "discontinuation", "responders_30", "responders_50")


def clean(v):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


def cases():
    for outcome in CONTINUOUS:
        for measure in ("SMD", "MD"):
            for r in ((0.2, 0.5, 0.8) if measure == "SMD" else (0.5,)):
                yield outcome, measure, r
    for outcome in BINARY:
        for measure in ("RR", "OR", "RD"):
            yield outcome, measure, 0.5


def snapshot(review) -> dict:
    out = {"effects": {}, "analyses": {}, "forest": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for outcome, measure, r in cases():
            key = f"{outcome}|{measure}|{r:g}"
            es = review.effect_sizes(outcome, measure=measure, r=r)
            out["effects"][key] = clean(es.to_dict("records"))
            a = review.analyse(outcome, measure=measure, r=r)
            out["analyses"][key] = clean(a.to_dict())
            if a.overall is not None and r == 0.5:
                args, kw = a.forest_args()
                out["forest"][key] = clean({"title": kw["title"], "favours": list(kw["favours"]),
                                            "xlabel": kw["xlabel"], "footnotes": kw["footnotes"],
                                            "groups": args[0]["group"]})
        for by in ("line_of_therapy", "randomized", "blinding", "source", "none"):
            out["analyses"][f"pain|SMD|0.5|by={by}"] = clean(review.analyse("pain", by=by).to_dict())
        out["sensitivity_pain"] = clean(review.sensitivity("pain").table.to_dict("records"))
        out["sensitivity_adverse_events"] = clean(review.sensitivity("adverse_events").table.to_dict("records"))
        from ldn_evidence.review.by_year import cumulative_by_year
        from ldn_evidence.review.tsa import trial_sequential_analysis
        out["cumulative_pain"] = clean(cumulative_by_year(review, "pain")[0].to_dict("records"))
        out["tsa_pain"] = clean(trial_sequential_analysis(review, "pain", mird=0.2).to_dict())
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", required=True, help="the commit whose code computes the pins")
    args = parser.parse_args()
    snap = snapshot(le.load_studies(STUDIES))
    snap["made_by"] = {"code": args.commit, "studies": STUDIES.name}
    (HERE / "ldn_results.json").write_text(json.dumps(snap, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(snap['effects'])} effect tables, {len(snap['analyses'])} analyses")
