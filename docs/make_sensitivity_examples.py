"""Draw the example diagnostic plots embedded in docs/sensitivity.md.

    cd /work/main && PYTHONPATH=src python docs/make_sensitivity_examples.py

Data: metafor's dat.bcg (BCG vaccine trials, log risk ratios as escalc(measure="RR")), a public
teaching data set, not the LDN review. All numbers come from ldn_evidence.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ldn_evidence.models import meta_analysis
from ldn_evidence.plots import diagnostics as dg

IMG = Path(__file__).parent / "img"
# dat.bcg: escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg)
YI = [-0.8893113339, -1.5853886572, -1.3480731483, -1.4415511900, -0.2175473222, -0.7861155858, -1.6208982236,
      0.0119523335, -0.4694176487, -1.3713448035, -0.3393588283, 0.4459134006, -0.0173139482]
VI = [0.3255847650, 0.1945811214, 0.4153679654, 0.0200100319, 0.0512101722, 0.0069056185, 0.2230172476,
      0.0039615793, 0.0564342105, 0.0730247936, 0.0124122140, 0.5325058452, 0.0714046597]
LABELS = ["Aronson 1948", "Ferguson & Simes 1949", "Rosenthal 1960", "Hart & Sutherland 1977",
          "Frimodt-Moller 1973", "Stein & Aronson 1953", "Vandiviere 1973", "TPT Madras 1980",
          "Coetzee & Berjak 1968", "Rosenthal 1961", "Comstock 1974", "Comstock & Webster 1969", "Comstock 1976"]
YEAR = [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976]


def main():
    IMG.mkdir(exist_ok=True)
    res = meta_analysis(YI, VI, method="REML", test="knha", labels=LABELS)
    tf = res.trim_and_fill()
    figs = {
        "sensitivity_funnel.png": dg.funnel_plot(res, tf, xlabel="Risk ratio", log_scale=True),
        "sensitivity_baujat.png": dg.baujat_plot(res.baujat()),
        "sensitivity_influence.png": dg.influence_plot(res.influence(), res),
        "sensitivity_leave_one_out.png": dg.leave_one_out_plot(res.leave_one_out(), res, xlabel="Risk ratio",
                                                               log_scale=True),
        "sensitivity_cumulative.png": dg.cumulative_plot(res.cumulative(by=YEAR), xlabel="Risk ratio", log_scale=True,
                                                         favours=("Favours vaccine", "Favours control")),
        "sensitivity_gosh.png": dg.gosh_plot(res.gosh(), xlabel="Risk ratio", highlight="TPT Madras 1980",
                                             log_scale=True),
    }
    for name, fig in figs.items():
        fig.savefig(IMG / name, dpi=110)
        print("wrote", IMG / name)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
