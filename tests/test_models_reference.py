"""Agreement of the engine with metafor 3.8 (reference values in tests/reference/engine/).

The JSON is written by tests/reference/engine/make_reference.R; these tests never need R.
Tolerance: 1e-6 relative, with an absolute floor of 1e-10 on the data's own scale (so the
1e-8-scaled data set is held to the same relative standard).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from metafor_compare import RTOL, close, fit_id, fit_like_metafor, fit_mismatches

from ldn_evidence.models import meta_analysis, meta_regression, subgroup_analysis

REF = json.loads((Path(__file__).parent / "reference" / "engine" / "metafor_rma.json").read_text())
DATASETS = {d["name"]: d for d in REF["datasets"]}


@pytest.mark.parametrize("ref", REF["fits"], ids=fit_id)
def test_meta_analysis_matches_metafor(ref):
    ds = DATASETS[ref["dataset"]]
    res = fit_like_metafor(ref, ds)
    if res is None:  # metafor stops with an error here, and so do we
        return
    bad = fit_mismatches(res, ref, ds)
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("test", ["z", "knha"])
def test_k1_matches_metafor(test):
    ref = REF["k1"][test]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        res = meta_analysis([0.4], [0.09], method="REML", test=test)
    assert res.test == ref["test_used"] == "z"
    for rkey, attr in [("b", "estimate"), ("se", "se"), ("ci_lb", "ci_low"), ("ci_ub", "ci_high"),
                       ("pval", "pvalue"), ("tau2", "tau2"), ("QE", "q"), ("QEp", "q_pvalue"), ("I2", "i2"),
                       ("H2", "h2")]:
        assert close(getattr(res, attr), ref[rkey], RTOL, 1e-12), rkey
    assert any("k = 1" in n for n in res.notes)


@pytest.mark.parametrize("ref", REF["metareg"]["fits"], ids=lambda f: f"{f['method']}-{f['test']}")
def test_meta_regression_matches_metafor(ref):
    import pandas as pd

    ds = DATASETS[REF["metareg"]["dataset"]]
    X = pd.DataFrame(REF["metareg"]["moderators"])
    res = meta_regression(ds["yi"], ds["vi"], X, method=ref["method"], test=ref["test"])
    assert res.names == ["intercept", "ablat", "year"]
    for rkey, attr in [("coef", "coef"), ("se", "se"), ("zval", "zval"), ("pval", "pvalue"), ("ci_lb", "ci_low"),
                       ("ci_ub", "ci_high")]:
        np.testing.assert_allclose(getattr(res, attr), ref[rkey], rtol=RTOL, atol=1e-10, err_msg=rkey)
    for rkey, attr in [("tau2", "tau2"), ("se_tau2", "se_tau2"), ("QM", "qm"), ("QMp", "qm_pvalue"), ("QE", "qe"),
                       ("QEp", "qe_pvalue"), ("R2", "r2"), ("I2", "i2"), ("H2", "h2")]:
        assert close(getattr(res, attr), ref[rkey], RTOL, 1e-10), f"{rkey}: {getattr(res, attr)} vs {ref[rkey]}"
    want_df = tuple(int(x) for x in ref["QMdf"] if x is not None)
    assert res.qm_df == want_df


@pytest.mark.parametrize("ref", REF["subgroups"]["fits"], ids=lambda f: f"{f['method']}-{f['test']}")
def test_subgroups_match_metafor(ref):
    ds = DATASETS[REF["subgroups"]["dataset"]]
    groups = REF["subgroups"]["groups"]
    res = subgroup_analysis(ds["yi"], ds["vi"], groups, method=ref["method"], test=ref["test"])
    assert set(res.subgroups) == set(ref["groups"])
    for name, g in ref["groups"].items():
        r = res.subgroups[name]
        assert r.k == g["k"]
        for rkey, attr in [("b", "estimate"), ("se", "se"), ("ci_lb", "ci_low"), ("ci_ub", "ci_high"),
                           ("tau2", "tau2"), ("QE", "q"), ("I2", "i2")]:
            assert close(getattr(r, attr), g[rkey], RTOL, 1e-10), f"{name} {rkey}"
    assert close(res.q_between, ref["q_between"], RTOL, 1e-10)
    assert res.q_between_df == ref["q_between_df"]
    assert close(res.q_between_pvalue, ref["q_between_p"], RTOL, 1e-12)

    common = subgroup_analysis(ds["yi"], ds["vi"], groups, method=ref["method"], test=ref["test"], tau2="common")
    c = ref["common"]
    np.testing.assert_allclose(common.regression.coef, c["coef"], rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(common.regression.se, c["se"], rtol=RTOL, atol=1e-10)
    for got, want in [(common.regression.tau2, c["tau2"]), (common.q_between, c["QM"]),
                      (common.q_between_pvalue, c["QMp"]), (common.regression.qe, c["QE"])]:
        assert close(got, want, RTOL, 1e-10)
