"""Shared fixtures: a small valid studies file to break in many ways."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

VALID = textwrap.dedent("""\
    # a comment that must survive a save
    review:
      title: Test review
      question: Does it work?
      version: 1.0.0
      last_search: 2026-01-01
    studies:
      - id: alpha2020
        citation:
          authors: [Alpha A, Beta B]
          year: 2020
          title: A randomized trial
          journal: J Test
        doi: 10.1000/alpha.2020
        design: parallel_rct
        randomized: true
        blinding: double
        population:
          n_randomized: 40
          n_analysed: 38
          sex: female
          source: DOI 10.1000/alpha.2020, Table 1
        intervention:
          dose_mg_per_day: 4.5
          source: DOI 10.1000/alpha.2020, Methods
        comparator: placebo
        line_of_therapy: add_on
        outcomes:
          - outcome: pain
            scale: {min: 0, max: 10, lower_is_better: true}
            timepoint: week 12
            contrast: ldn_vs_placebo
            data:
              - form: arm_means
                arms:
                  - {arm: ldn, mean: 4.1, sd: 1.9, n: 19}
                  - {arm: placebo, mean: 4.9, sd: 2.1, n: 19}
                source: DOI 10.1000/alpha.2020, Table 2
              - form: mean_difference
                estimate: -0.8
                ci_low: -2.1
                ci_high: 0.5
                source: DOI 10.1000/alpha.2020, Table 2
      - id: beta2021  # second study
        citation:
          authors: [Gamma C]
          year: 2021
          title: An open-label series
        pmid: 12345678
        design: case_series
        randomized: false
        blinding: open
        population:
          n_enrolled: 12
          source: PMID 12345678, abstract
        intervention: {dose_mg_per_day: 3, source: "PMID 12345678, abstract"}
        comparator: none
        line_of_therapy: first_line
    """)


@pytest.fixture
def valid_text() -> str:
    return VALID


@pytest.fixture
def write(tmp_path: Path):
    def _write(text: str | bytes, name: str = "studies.yaml") -> Path:
        p = tmp_path / name
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return p
    return _write


@pytest.fixture(scope="session")
def ldn_site(tmp_path_factory):
    """The bundled review's site, built once for the report tests: (Site, progress calls)."""
    import ldn_evidence as le
    from ldn_evidence.report import write_report

    steps = []
    site = write_report(le.load_studies(), tmp_path_factory.mktemp("ldn-site"), progress=lambda *a: steps.append(a))
    return site, steps
