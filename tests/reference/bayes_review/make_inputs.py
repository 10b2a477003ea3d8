"""The effect sizes of the LDN review that the R reference integrates (inputs, not references).

The yi/vi are the review's own (``Review.analyse``: design-aware SMDs and log risk ratios, whose
formulas are checked against metafor's escalc in tests/test_effect_sizes.py); the BCG review's
come from metafor in make_reference.R itself. The posterior summaries that the tests compare with
are computed from these inputs in R by make_reference.R, independently of ldn_evidence.

Run from the repository root: python tests/reference/bayes_review/make_inputs.py
"""
import json
from pathlib import Path

import ldn_evidence as le

HERE = Path(__file__).resolve().parent


def rows(analysis, group=None):
    picked = [r for r in analysis.rows if group is None or r["group"] == group]
    return {"labels": [r["label"] for r in picked], "yi": [r["yi"] for r in picked], "vi": [r["vi"] for r in picked]}


def main():
    review = le.load_studies()
    pain = review.analyse("pain")
    cases = {
        "ldn_pain": {**rows(pain), "prior": {"family": "halfnormal", "scale": 0.5}, "mid": -0.5},
        "ldn_pain_crossover": {**rows(pain, "Crossover trials"), "prior": {"family": "halfnormal", "scale": 0.5},
                               "mid": -0.5},
        "ldn_fiq": {**rows(review.analyse("fiq")), "prior": {"family": "halfnormal", "scale": 0.5}, "mid": -0.5},
        # Turner et al. 2015, adverse events, pharmacological vs placebo: log(tau^2) ~ N(-1.87, 1.52^2)
        "ldn_adverse_events": {**rows(review.analyse("adverse_events")),
                               "prior": {"family": "lognormal", "meanlog": -1.87 / 2, "sdlog": 1.52 / 2},
                               "mid": -0.2876820724517809},
    }
    for scale in (0.25, 1.0):
        cases[f"ldn_pain_hn{scale:g}"] = {**rows(pain), "prior": {"family": "halfnormal", "scale": scale}, "mid": -0.5}
    (HERE / "inputs.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
