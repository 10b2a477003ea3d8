"""Regenerate the figures of docs/bayes.md (CrinsEtAl2014, Röver 2020 sec. 3.3).

    python docs/make_bayes_examples.py
"""
from __future__ import annotations

from pathlib import Path

import ldn_evidence as le
from ldn_evidence.plots.bayes import bayes_forest_plot, bayes_posterior_plot

HERE = Path(__file__).resolve().parent
IMG = HERE / "img"

# log odds ratios of acute rejection, IL-2RA vs control (metafor escalc "OR"; Röver 2020, Table 3)
LABELS = ["Heffron (2003)", "Gibelli (2004)", "Schuller (2005)", "Ganschow (2005)", "Spada (2006)", "Gras (2008)"]
YI = [-2.3097026, -0.4595323, -2.3025851, -1.7578579, -1.2584610, -2.4178959]
VI = [0.3593718, 0.3095760, 0.7750000, 0.2078161, 0.4121591, 2.3372623]


def main() -> None:
    IMG.mkdir(exist_ok=True)
    b = le.bayes_meta_analysis(YI, VI, tau_prior="halfnormal", tau_scale=0.5, mu_prior=(0, 4), labels=LABELS)
    for name, fig in (("bayes-forest.png", bayes_forest_plot(b, title="Acute rejection, IL-2RA vs control",
                                                             xlabel="log odds ratio")),
                      ("bayes-posteriors.png", bayes_posterior_plot(b, xlabel="effect mu (log odds ratio)"))):
        out = IMG / name
        fig.savefig(out, dpi=100, pil_kwargs={"compress_level": 9})
        print(f"wrote {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
