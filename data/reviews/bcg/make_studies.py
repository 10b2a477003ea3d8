"""Writes studies.yaml, the bundled BCG review, from metadat's dat.bcg (needs R with metadat).

The 13 trials of BCG vaccination against tuberculosis tabulated by Colditz et al. (1994), JAMA
271(9):698-702, DOI 10.1001/jama.1994.03510330076038, as distributed in R's metadat package
(dat.bcg, metadat 1.2-0): per-arm TB cases (tpos, cpos) and non-cases (tneg, cneg), the absolute
latitude of the study location (ablat) and the method of allocation (alloc). The original trial
reports' titles, journals and identifiers are not in dat.bcg and are named as missing, not guessed.

Run from the repository root: ``python data/reviews/bcg/make_studies.py``.
"""
from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLDITZ = "Colditz et al. 1994, JAMA 271(9):698-702, DOI 10.1001/jama.1994.03510330076038"
DATASET = "metadat 1.2-0 dat.bcg (Viechtbauer), from " + COLDITZ

HEADER = f'''# The BCG vaccine trials: a second bundled review, for tests and documentation.
# 13 trials of BCG vaccination against tuberculosis, as tabulated by {COLDITZ}
# and distributed in R's metadat package (dat.bcg). Written by make_studies.py from dat.bcg;
# the reference results of metafor are in tests/reference/bcg/.
review:
  title: "BCG vaccine for preventing tuberculosis: the 13 trials of Colditz et al. (1994)"
  question: >-
    In the participants of controlled trials of BCG vaccination, does BCG vaccine reduce the risk of
    tuberculosis compared with no vaccination, and does its effect vary with the latitude of the
    study location and with how the vaccine was allocated?
  version: 1.0.0
  protocol:
    population: participants of the 13 BCG vaccine trials tabulated by Colditz et al. (1994)
    intervention:
      id: bcg
      name: BCG vaccine
      label: BCG
      arms: [bcg, vaccinated]
    comparators:
      - id: control
        name: no BCG vaccination
        label: control
        arms: [control, unvaccinated]
    outcomes:
      - id: tb
        name: tuberculosis
        kind: binary
        lower_is_better: true
        default_measure: RR
        instrument_family: participants with tuberculosis (TB positive) during follow-up, as tabulated
        prior:                         # the Bayesian analysis's default (model bayes)
          tau: halfnormal
          scale: 0.5
          reason: >-
            The package default for log ratios (half-normal with scale 0.5 for tau; Friede et al. 2017, Biom J
            59:658-671; Roever et al. 2021, Res Synth Methods 12:448-474), kept for this teaching review: with
            13 trials the posterior of tau rests mostly on the data, as the prior-scale sensitivity rows show.
    moderators:
      - id: ablat
        name: absolute latitude of the study location
        kind: numeric
        unit: degrees
      - id: alloc
        name: method of treatment allocation
        kind: categorical
        levels: [random, alternate, systematic]
    subgroups: [design, alloc]
    year_range: [1930, null]
    note: >-
      As in the literature that uses these data (Berkey et al. 1995; van Houwelingen et al. 2002;
      Viechtbauer 2010): log risk ratios of TB in the vaccinated vs the control group, latitude and
      allocation as moderators. No minimal important difference is recorded.
  note: >-
    Not a search of ours: the trials and their numbers are those of Colditz et al. (1994) as given in
    metadat's dat.bcg. No PRISMA counts are recorded for this review.
studies:
'''


def slug(author: str, year: str) -> str:
    first = re.split(r"[ &]", author.strip())[0]
    return re.sub(r"[^a-z0-9]", "", first.lower()) + year


def authors(author: str) -> list[str]:
    names = [a.strip() for a in author.replace(" et al", " & et al.").split("&")]
    return [n for n in names if n]


def record(row: dict, sid: str) -> str:
    t, c = int(row["tpos"]), int(row["cpos"])
    nt, nc = t + int(row["tneg"]), c + int(row["cneg"])
    random = row["alloc"] == "random"
    design = "parallel_rct" if random else "parallel_nonrandomized"
    trial = row["trial"]
    src = f"{DATASET}, trial {trial}"
    label = f"{row['author']} {row['year']}"
    names = authors(row["author"])
    quoted = ", ".join(f'"{n}"' for n in names) if row["author"] != "TPT Madras" else ""
    who = f"      authors: [{quoted}]\n" if quoted else ""
    return f'''  - id: {sid}
    citation:
{who}      short_label: "{label}"
      year: {row["year"]}
      title: "BCG vaccine trial {trial} of Colditz et al. (1994) (the original report's title is not recorded)"
    no_identifier_reason: >-
      the original report's DOI and PMID are not in dat.bcg and were not looked up; the trial's numbers
      are those tabulated by {COLDITZ}
    design: {design}
    randomized: {"true" if random else "false"}
    blinding: unclear
    population:
      n_analysed: {nt + nc}
      source: "{src}: tpos + tneg + cpos + cneg"
    intervention: {{drug: BCG vaccine}}
    comparator: control
    outcomes:
      - outcome: tb
        name: tuberculosis cases (TB positive)
        timepoint: end of follow-up, as tabulated
        contrast: bcg_vs_control
        primary: true
        data:
          - form: events
            arms:
              - {{arm: bcg, events: {t}, n: {nt}}}
              - {{arm: control, events: {c}, n: {nc}}}
            source: "{src} (tpos {t}, tneg {row["tneg"]}, cpos {c}, cneg {row["cneg"]})"
            derivation: "n = TB positive + TB negative in each arm (tpos + tneg, cpos + cneg)"
    moderators: {{ablat: {row["ablat"]}, alloc: {row["alloc"]}}}
    moderators_source: "{src}: ablat (absolute latitude of the study location, degrees), alloc (method of treatment allocation)"
    missing: [title, journal and identifiers of the original trial report, author initials, blinding]
'''


def main() -> None:
    text = subprocess.run(["Rscript", "-e", "write.csv(metadat::dat.bcg, stdout(), row.names = FALSE)"],
                          capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 13, len(rows)
    rows.sort(key=lambda r: (int(r["year"]), slug(r["author"], r["year"])))
    body = [record(r, slug(r["author"], r["year"])) for r in rows]
    (HERE / "studies.yaml").write_text(HEADER + "\n".join(body), encoding="utf-8")


if __name__ == "__main__":
    main()
