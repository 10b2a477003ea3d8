"""Draw the example forest plots embedded in docs/forest.md.

    cd /work/main && PYTHONPATH=src python docs/make_forest_example.py

The numbers are illustrative (invented), not results of the LDN review: the example shows the
layout, not evidence. Pooled results come from the real engine, as in the review.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import ldn_evidence as le
from ldn_evidence.plots.forest import forest_plot

IMG = Path(__file__).parent / "img"


def smd_example():
    t = pd.DataFrame({
        "label": ["Trial A 2013", "Trial B 2017", "Trial C 2020", "Trial D 2021",
                  "Trial E 2022", "Trial F 2009", "Trial G 2023"],
        "design": ["parallel", "parallel", "parallel", "parallel", "parallel",
                   "crossover", "crossover"],
        "n": [58, 42, 99, 36, 64, 10, 28],
        "yi": [-0.42, -0.18, -0.05, -0.61, -0.22, -0.95, -0.30],
        "vi": [0.072, 0.098, 0.041, 0.118, 0.064, 0.240, 0.081],
        "marker": ["", "", "", "", "", "a", "a"],
        "d1": ["low", "some concerns", "low", "high", "low", "some concerns", "low"],
        "d2": ["low", "low", "low", "some concerns", "low", "high", "low"],
        "overall_rob": ["low", "some concerns", "low", "high", "low", "high", "low"],
    })
    t["group"] = np.where(t["design"] == "crossover", "Crossover trials", "Parallel-group trials")
    se = np.sqrt(t["vi"])
    t["ci_low"], t["ci_high"] = t["yi"] - 1.959964 * se, t["yi"] + 1.959964 * se
    res = le.meta_analysis(t["yi"], t["vi"], method="REML", test="knha")
    t["weight"] = res.weights
    sg = le.subgroup_analysis(t["yi"], t["vi"], t["group"], method="REML", test="knha")
    return forest_plot(
        t, res, sg.subgroups, (sg.q_between, sg.q_between_df, sg.q_between_pvalue),
        columns={"design": "Design", "n": "N"},
        rob_columns={"d1": "Randomisation process", "d2": "Missing outcome data",
                     "overall_rob": "Overall"},
        title="Pain intensity at end of treatment (illustrative data)",
        footnotes=["a Derived from a crossover trial with r = 0.5"])


def ratio_example():
    events = pd.DataFrame({"label": ["Trial A 2013", "Trial B 2017", "Trial C 2020",
                                     "Trial D 2021"],
                           "ai": [9, 6, 14, 4], "n1i": [30, 21, 50, 18],
                           "ci": [5, 4, 9, 3], "n2i": [28, 21, 49, 18]})
    es = le.escalc("RR", ai=events["ai"], n1i=events["n1i"], ci=events["ci"], n2i=events["n2i"])
    t = events.assign(yi=es["yi"].to_numpy(), vi=es["vi"].to_numpy())
    se = np.sqrt(t["vi"])
    t["ci_low"], t["ci_high"] = t["yi"] - 1.959964 * se, t["yi"] + 1.959964 * se
    res = le.meta_analysis(t["yi"], t["vi"], method="REML", test="knha")
    t["weight"] = res.weights
    # RevMan's per-arm columns under a header for each arm, with the totals under the diamond
    totals = {"overall": [{"n1i": str(t["n1i"].sum()), "n2i": str(t["n2i"].sum())},
                          ("Total events", {"ai": str(t["ai"].sum()), "ci": str(t["ci"].sum())})]}
    return forest_plot(t, res, xlabel="Risk ratio", log_scale=True,
                       favours=("Favours placebo", "Favours LDN"),
                       columns={"ai": "Events", "n1i": "Total", "ci": "Events", "n2i": "Total"},
                       column_groups=[("LDN", ["ai", "n1i"]), ("Placebo", ["ci", "n2i"])], totals=totals,
                       title="At least 30% pain reduction (illustrative data)")


def main():
    IMG.mkdir(exist_ok=True)
    smd_example().savefig(IMG / "forest_example.png", dpi=110)
    ratio_example().savefig(IMG / "forest_log_example.png", dpi=110)
    print("wrote", IMG / "forest_example.png", "and", IMG / "forest_log_example.png")


if __name__ == "__main__":
    main()
