"""Friendly wrappers over the batch core: validation, result objects, text/HTML/frames."""
from __future__ import annotations

import functools
import html
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import special as sp

from .. import diagnostics as _diagnostics
from .._format import fmt_number, fmt_p, json_safe, p_equals
from .._result import Result, short
from ..effects._inputs import checked_arrays
from ..engine.batch import (KH_TESTS, T_TESTS, BatchFit, normalize_method, normalize_test, redundant_columns, rma_batch,
                            tau2_profile_ci)
from ..errors import ConvergenceError, ConvergenceWarning
from ..vocabulary import check_level

_METHOD_NAMES = {
    "EE": "equal-effects (EE)",
    "DL": "DerSimonian-Laird (DL)",
    "HE": "Hedges (HE)",
    "HS": "Hunter-Schmidt (HS)",
    "SJ": "Sidik-Jonkman (SJ)",
    "ML": "maximum likelihood (ML)",
    "REML": "restricted maximum likelihood (REML)",
    "EB": "empirical Bayes (EB)",
    "PM": "Paule-Mandel (PM)",
}
_TEST_NAMES = {"z": "z (normal) test", "t": "t test (no variance adjustment)",
               "knha": "Hartung-Knapp-Sidik-Jonkman (knha), t test",
               "adhoc": "modified Hartung-Knapp (adhoc: variance factor at least 1), t test"}


@functools.lru_cache(maxsize=16)
def _z_crit(level):
    """The normal quantile of a two-sided ``level``% interval (the one rma_batch uses)."""
    return float(sp.ndtri(1.0 - (1.0 - level / 100.0) / 2.0))


def _hk_notes(test, k, s2w, t_half, z_half, ci, z_ci, p, z_p):
    """Notes on a Knapp-Hartung fit whose interval is degenerate or narrower than the Wald z interval.

    Returns ``(narrower, notes)``: ``narrower`` is True when ``test == "knha"`` and the t interval
    with the scaled variance is narrower than the z interval (``t_half < z_half``), i.e. when
    ``s2w < (z / t)^2``; this happens when the (generalised) Q is small, and most often at small k
    (Jackson et al. 2017; Roever, Knapp & Friede 2015). ``s2w = 0`` (Q = 0) gives an interval of
    zero width, as metafor's ``test="knha"``.
    """
    if test != "knha" or k < 2 or not (t_half < z_half):
        return False, []
    if s2w == 0:
        return True, ["Hartung-Knapp variance factor s2w = 0: the weighted residual sum of squares (Q at the "
                      "fitted tau^2) is 0, the yi do not vary about the estimate, so the knha interval has zero "
                      "width (as metafor's test=\"knha\"); test=\"adhoc\" (modified Hartung-Knapp, factor at "
                      f"least 1) gives a non-degenerate interval (Wald z: [{fmt_number(z_ci[0])}, {fmt_number(z_ci[1])}])"]
    return True, [f"the Hartung-Knapp CI [{fmt_number(ci[0])}, {fmt_number(ci[1])}] (p {p_equals(p)}) is narrower than the Wald z CI "
                  f"[{fmt_number(z_ci[0])}, {fmt_number(z_ci[1])}] (p {p_equals(z_p)}): its variance factor s2w = {s2w:.4g} is "
                  f"below (z/t)^2 = {(z_half / t_half) ** 2 * s2w:.4g}; test=\"adhoc\" (modified Hartung-Knapp, "
                  "factor at least 1) is never narrower than z"]


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


def _as_1d(arr, name):
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _aligned(value, name, index):
    """A pandas argument (Series or DataFrame) in the order of the studies' ``index`` (that of the
    yi/vi Series): reordered when it holds the same labels in another order, refused when its
    labels differ (pairing by position would attach one study's value to another)."""
    if index is None or not hasattr(value, "index") or not hasattr(value, "reindex") or value.index.equals(index):
        return value
    if (index.is_unique and value.index.is_unique and len(value.index) == len(index)
            and set(value.index) == set(index)):
        return value.reindex(index)
    shown = lambda ix: ", ".join(map(repr, list(ix)[:5])) + (", ..." if len(ix) > 5 else "")  # noqa: E731
    raise ValueError(f"argument {name!r} is a pandas object indexed [{shown(value.index)}], the studies (yi, vi) "
                     f"[{shown(index)}]; its rows would be paired by position. Give it the same index or pass an array")


def _labels_for(labels, index, k):
    if labels is None:
        if index is not None and type(index).__name__ not in ("RangeIndex", "range"):
            return [str(i) for i in index]
        return [str(i + 1) for i in range(k)]
    if isinstance(labels, (str, bytes)):
        raise ValueError(f"labels must be a sequence of {k} study labels, not a single string")
    labels = _aligned(labels, "labels", index)
    try:
        labs = [str(x) for x in (labels.tolist() if hasattr(labels, "tolist") else labels)]
    except TypeError:
        raise ValueError(f"labels must be a sequence of {k} study labels, got {labels!r:.60}") from None
    if len(labs) != k:
        raise ValueError(f"labels has {len(labs)} entries but there are {k} studies")
    return labs


def _validate(yi, vi, labels):
    """yi, vi as float arrays (pandas Series aligned on their index, masked entries missing), the
    study labels (from ``labels``, else the Series index, else 1..k) and the studies' index.

    Every value must be finite and every vi > 0; the message names the study.
    """
    arrays, index = checked_arrays({"yi": yi, "vi": vi})
    y, v = _as_1d(arrays["yi"], "yi"), _as_1d(arrays["vi"], "vi")
    if y.shape != v.shape:
        raise ValueError(f"yi and vi differ in length ({y.size} vs {v.size})")
    if y.size == 0:
        raise ValueError("no studies: yi and vi are empty")
    labs = _labels_for(labels, index, y.size)
    if np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0):
        return y, v, labs, index
    masked = {name: np.ma.getmaskarray(x).ravel() if np.ma.isMaskedArray(x) else np.zeros(y.size, bool)
              for name, x in (("yi", yi), ("vi", vi))}
    for i in range(y.size):
        for name, x, what in (("yi", y, "effect sizes"), ("vi", v, "sampling variances")):
            if masked[name][i]:
                raise ValueError(f"study {labs[i]!r} (index {i}): {name} is masked (missing); {what} must be given "
                                 "for every study (leave the study out instead)")
            if not math.isfinite(x[i]):
                raise ValueError(f"study {labs[i]!r} (index {i}): {name} is {float(x[i])}; {what} must be finite")
        if v[i] <= 0:
            raise ValueError(f"study {labs[i]!r} (index {i}): vi = {float(v[i])}; sampling variances must be > 0")
    return y, v, labs, index


def _emit(batch: BatchFit, method, stacklevel=3):
    for msg in batch.messages:
        if "did not converge" in msg or "tau2_max too low" in msg or msg.startswith("k = 1"):
            continue
        warnings.warn(msg, ConvergenceWarning if "local maximum" in msg else UserWarning, stacklevel=stacklevel)


def _raise_if_failed(batch: BatchFit, what="model"):
    if not batch.converged.all():
        msg = next((m for m in batch.messages if "did not converge" in m or "tau2_max" in m),
                   f"{batch.method} estimator failed")
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
        raise ConvergenceError(
            f"{msg}. Try another method (e.g. method='DL' or 'PM') or control={{'maxiter': ..., 'stepadj': 0.5}}."
        )


# ---------------------------------------------------------------------------------------------
# MetaResult
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False)
class MetaResult(Result):
    """Result of a random-effects (or equal-effects) meta-analysis, as metafor's ``rma.uni``.

    All statistics are floats; ``weights`` are percent (metafor's ``weights()``). ``zval`` is
    the test statistic (a t statistic under ``test`` "t", "knha" or "adhoc", also available as
    ``tval``); ``df`` its degrees of freedom (NaN under z). ``s2w`` is the Knapp-Hartung
    variance factor (1 under z and t; ``max(1, s2w)`` under adhoc). ``z_ci_low``,
    ``z_ci_high`` and ``z_pvalue`` are the Wald (z) interval and p-value of the same fit,
    whatever the test; ``knha_narrower_than_z`` is True when ``test == "knha"`` and its interval
    is narrower than the Wald interval (a note then says so, and so does one when
    ``s2w == 0`` makes the interval collapse to a point).
    ``tau2_ci_*``, ``i2_ci_*``, ``h2_ci_*`` are the Q-profile interval (Viechtbauer 2007) and
    the I^2/H^2 bounds derived from it as ``confint.rma.uni``; ``pi_*`` the prediction interval
    as ``predict.rma`` (NaN for EE). ``notes`` holds messages about the fit (k = 1, test
    switched, tau^2 reset, ...). ``requested_test`` is the test asked for (``test`` is "z" when
    k = 1, as metafor); :meth:`update` refits with it.

    The diagnostics are methods (``res.leave_one_out()``, ``res.gosh()`` ...; see
    :mod:`ldn_evidence.diagnostics`), :meth:`update` refits with changed arguments and
    :meth:`conf_int` gives the intervals at another level.
    """

    estimate: float
    se: float
    zval: float
    pvalue: float
    ci_low: float
    ci_high: float
    tau2: float
    se_tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    h2: float
    i2_ci_low: float
    i2_ci_high: float
    h2_ci_low: float
    h2_ci_high: float
    q: float
    q_df: int
    q_pvalue: float
    pi_low: float
    pi_high: float
    k: int
    method: str
    test: str
    level: float
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    labels: list
    df: float = float("nan")
    vt: float = float("nan")
    s2w: float = 1.0
    iterations: int = 0
    notes: list = field(default_factory=list)
    control: dict | None = None
    z_ci_low: float = float("nan")
    z_ci_high: float = float("nan")
    z_pvalue: float = float("nan")
    knha_narrower_than_z: bool = False
    requested_test: str | None = None

    # -- derived -----------------------------------------------------------------------------
    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2) if self.tau2 >= 0 else float("nan")

    @property
    def tval(self) -> float:
        return self.zval

    @property
    def tau_ci_low(self) -> float:
        return math.sqrt(self.tau2_ci_low) if self.tau2_ci_low >= 0 else float("nan")

    @property
    def tau_ci_high(self) -> float:
        return math.sqrt(self.tau2_ci_high) if self.tau2_ci_high >= 0 else float("nan")

    @classmethod
    def _from_batch(cls, b: BatchFit, i: int, yi, vi, labels, notes=(), control=None, present=None):
        """Row ``i`` of a batch fit; ``present`` selects the row's studies (default: all)."""
        row_w = b.weights[i] if present is None else b.weights[i][present]
        k = int(b.k[i])
        test = "z" if k == 1 else b.test
        est, se_z = float(b.beta[i, 0]), float(b.se_model[i, 0])
        crit_z = _z_crit(b.level)
        z_ci = (est - crit_z * se_z, est + crit_z * se_z)
        # 2 * ndtr(-|z|) for a scalar, without an array round trip
        z_p = math.erfc(abs(est / se_z) * math.sqrt(0.5)) if se_z > 0 else float("nan")
        narrower, hk_notes = _hk_notes(test, k, float(b.s2w[i]), (float(b.ci_high[i, 0]) - est), crit_z * se_z,
                                       (float(b.ci_low[i, 0]), float(b.ci_high[i, 0])), z_ci, float(b.pval[i, 0]),
                                       z_p)
        return cls(
            estimate=float(b.beta[i, 0]), se=float(b.se[i, 0]), zval=float(b.stat[i, 0]),
            pvalue=float(b.pval[i, 0]), ci_low=float(b.ci_low[i, 0]), ci_high=float(b.ci_high[i, 0]),
            tau2=float(b.tau2[i]), se_tau2=float(b.se_tau2[i]), tau2_ci_low=float(b.tau2_ci_low[i]),
            tau2_ci_high=float(b.tau2_ci_high[i]), i2=float(b.i2[i]), h2=float(b.h2[i]),
            i2_ci_low=float(b.i2_ci_low[i]), i2_ci_high=float(b.i2_ci_high[i]), h2_ci_low=float(b.h2_ci_low[i]),
            h2_ci_high=float(b.h2_ci_high[i]), q=float(b.q[i]), q_df=int(b.q_df[i]), q_pvalue=float(b.q_pvalue[i]),
            pi_low=float(b.pi_low[i]), pi_high=float(b.pi_high[i]), k=k, method=b.method,
            test=test, level=b.level, yi=np.asarray(yi), vi=np.asarray(vi),
            weights=np.asarray(row_w), labels=list(labels),
            df=float(b.df[i]) if test in T_TESTS else float("nan"), vt=float(b.vt[i]),
            s2w=float(b.s2w[i]), iterations=int(b.iterations[i]), notes=list(notes) + hk_notes, control=control,
            z_ci_low=z_ci[0], z_ci_high=z_ci[1], z_pvalue=z_p, knha_narrower_than_z=narrower,
            requested_test=b.test,
        )

    # -- output ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain-Python dictionary (floats, lists; NaN and infinities as None)."""
        out = {
            "method": self.method, "test": self.test, "level": self.level, "k": self.k,
            "estimate": self.estimate, "se": self.se, "zval": self.zval, "pvalue": self.pvalue,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "df": self.df,
            "tau2": self.tau2, "se_tau2": self.se_tau2, "tau2_ci_low": self.tau2_ci_low,
            "tau2_ci_high": self.tau2_ci_high, "tau": self.tau, "i2": self.i2,
            "i2_ci_low": self.i2_ci_low, "i2_ci_high": self.i2_ci_high, "h2": self.h2,
            "h2_ci_low": self.h2_ci_low, "h2_ci_high": self.h2_ci_high, "q": self.q,
            "q_df": self.q_df, "q_pvalue": self.q_pvalue, "pi_low": self.pi_low, "pi_high": self.pi_high,
            "labels": list(self.labels), "yi": self.yi, "vi": self.vi,
            "weights": self.weights, "notes": list(self.notes),
            "s2w": self.s2w, "z_ci_low": self.z_ci_low, "z_ci_high": self.z_ci_high,
            "z_pvalue": self.z_pvalue, "knha_narrower_than_z": bool(self.knha_narrower_than_z),
        }
        return json_safe(out)

    def to_frame(self):
        """One-row pandas DataFrame of the pooled result."""
        import pandas as pd

        d = self.to_dict()
        for key in ("labels", "yi", "vi", "weights", "notes"):
            d.pop(key)
        return pd.DataFrame([d])

    def summary(self) -> str:
        """Readable text in the spirit of metafor's ``print.rma.uni``."""
        lvl = f"{self.level:g}%"
        tdist = self.test in T_TESTS
        model = "Equal-effects model" if self.method == "EE" else "Random-effects model"
        lines = [f"{model} (k = {self.k}; tau^2 estimator: {_METHOD_NAMES[self.method]})",
                 f"Test and CI for the mean: {_TEST_NAMES[self.test]}"
                 + (f" with df = {self.df:g}" if tdist else ""), ""]
        if self.method != "EE":
            ci = ""
            if not math.isnan(self.tau2_ci_low):
                ci = f"  [{lvl} CI {fmt_number(self.tau2_ci_low)}, {fmt_number(self.tau2_ci_high)}; Q-profile]"
            lines.append(f"tau^2 (estimated amount of total heterogeneity): {fmt_number(self.tau2)} "
                         f"(SE = {fmt_number(self.se_tau2)}){ci}")
            lines.append(f"tau (square root of estimated tau^2 value):      {fmt_number(self.tau)}")
        i2ci = ""
        if not math.isnan(self.i2_ci_low):
            i2ci = f"  [{lvl} CI {fmt_number(self.i2_ci_low, 2)}%, {fmt_number(self.i2_ci_high, 2)}%]"
        lines.append(f"I^2 (total heterogeneity / total variability):   {fmt_number(self.i2, 2)}%{i2ci}")
        lines.append(f"H^2 (total variability / sampling variability):  {fmt_number(self.h2, 2)}")
        lines += ["", "Test for Heterogeneity:", f"Q(df = {self.q_df}) = {fmt_number(self.q)}, p-val {p_equals(self.q_pvalue)}", ""]
        stat = "tval" if tdist else "zval"
        lines.append("Model Results:")
        lines.append("")
        head = f"{'estimate':>10} {'se':>9} {stat:>9} " + (f"{'df':>4} " if tdist else "") + \
            f"{'pval':>8} {'ci.lb':>9} {'ci.ub':>9}"
        row = f"{fmt_number(self.estimate):>10} {fmt_number(self.se):>9} {fmt_number(self.zval):>9} " + \
            (f"{self.df:>4g} " if tdist else "") + \
            f"{fmt_p(self.pvalue):>8} {fmt_number(self.ci_low):>9} {fmt_number(self.ci_high):>9}"
        lines += [head, row, ""]
        if self.method != "EE":
            lines.append(f"Prediction interval ({lvl}): [{fmt_number(self.pi_low)}, {fmt_number(self.pi_high)}]"
                         + (f" (t, df = {self.df:g})" if tdist else " (normal)"))
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (f"MetaResult(method={self.method!r}, test={self.test!r}, k={self.k}, estimate={self.estimate:.6g}, "
                f"ci=({self.ci_low:.6g}, {self.ci_high:.6g}), tau2={self.tau2:.6g}, i2={self.i2:.4g})")

    def _repr_html_(self) -> str:
        rows = [("k", self.k), ("method", self.method), ("test", self.test),
                ("estimate", fmt_number(self.estimate)), ("SE", fmt_number(self.se)),
                (f"{self.level:g}% CI", f"{fmt_number(self.ci_low)} to {fmt_number(self.ci_high)}"),
                ("p-value", fmt_p(self.pvalue)),
                ("tau²", f"{fmt_number(self.tau2)} ({fmt_number(self.tau2_ci_low)} to {fmt_number(self.tau2_ci_high)})"),
                ("I²", f"{fmt_number(self.i2, 1)}% ({fmt_number(self.i2_ci_low, 1)} to {fmt_number(self.i2_ci_high, 1)})"),
                ("Q", f"{fmt_number(self.q)} (df = {self.q_df}, p {p_equals(self.q_pvalue)})"),
                ("prediction interval", f"{fmt_number(self.pi_low)} to {fmt_number(self.pi_high)}")]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(a))}</th><td>{html.escape(str(b))}</td></tr>"
                       for a, b in rows)
        notes = "".join(f"<p><em>Note: {html.escape(n)}</em></p>" for n in self.notes)
        return f"<table class='meta-result'>{body}</table>{notes}"

    # -- refits -------------------------------------------------------------------------------
    def update(self, **changes):
        """The model refitted with some arguments changed, as metafor's ``update()``.

        Parameters
        ----------
        **changes
            Any of :func:`meta_analysis`'s arguments (``yi``, ``vi``, ``method``, ``test``,
            ``level``, ``labels``, ``control``); the others are this model's (``test`` the one
            asked for, also when k = 1 switched it to z). New ``yi``/``vi`` of another length
            get labels 1..k unless ``labels`` is given. ``mods`` (moderators, as
            :func:`meta_regression`'s ``X``) gives the meta-regression with the same settings,
            as metafor's ``update(res, mods = ~ x)``.

        Returns
        -------
        MetaResult, or MetaRegressionResult with ``mods``

        Examples
        --------
        >>> res = meta_analysis([0.1, 0.3, 0.5, 0.2], [0.02, 0.03, 0.04, 0.02], method="REML", test="knha")
        >>> z = res.update(test="z")
        >>> (z.method, z.test, z.estimate == res.estimate, z.ci_high < res.ci_high)
        ('REML', 'z', True, True)
        >>> res.update(mods=[1.0, 2.0, 3.0, 4.0]).names
        ['intercept', 'x1']
        """
        allowed = ("yi", "vi", "method", "test", "level", "labels", "control", "mods")
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise TypeError(f"update() got unknown argument(s) {', '.join(map(repr, unknown))}; it takes "
                            f"{', '.join(allowed)}")
        args = {"yi": self.yi, "vi": self.vi, "method": self.method, "test": self.requested_test or self.test,
                "level": self.level, "labels": self.labels, "control": self.control}
        if ("yi" in changes or "vi" in changes) and "labels" not in changes:
            new = changes.get("yi", changes.get("vi"))
            if np.ndim(new) != 1 or len(new) != self.k:
                args["labels"] = None
        mods = changes.pop("mods", None)
        args.update(changes)
        if mods is not None:
            yi, vi = args.pop("yi"), args.pop("vi")
            return meta_regression(yi, vi, mods, **args)
        return meta_analysis(**args)

    def conf_int(self, level=95):
        """Confidence and prediction intervals at another ``level``, without refitting tau^2.

        The model (its estimate, tau^2 and, under knha/adhoc, its variance factor) stays as
        fitted; only the quantiles change: the CI of the mean and the prediction interval as
        metafor's ``confint(res, level=)`` and ``predict(res, level=)`` (t with k - 1 df under
        t, knha and adhoc), the Q-profile CI of tau^2 (and the I^2, H^2 bounds derived from it)
        searched again at the new level, as ``confint()`` does.

        Parameters
        ----------
        level : float
            Confidence level in percent, in (1, 100).

        Returns
        -------
        ConfInt

        Examples
        --------
        >>> res = meta_analysis([0.1, 0.3, 0.5, 0.2], [0.02, 0.03, 0.04, 0.02], test="z")
        >>> ci = res.conf_int(90)
        >>> ci.level, ci.estimate == res.estimate, ci.ci_high < res.ci_high
        (90.0, True, True)
        >>> res.conf_int(95).ci_low == res.ci_low
        True
        """
        level = check_level(level)
        alpha = 1.0 - level / 100.0
        tdist = self.test in T_TESTS
        crit = float(sp.stdtrit(self.df, 1.0 - alpha / 2.0)) if tdist else _z_crit(level)
        half = crit * self.se
        nan = float("nan")
        pi = (nan, nan)
        if self.method != "EE":
            half_pi = crit * math.sqrt(self.se ** 2 + self.tau2)
            pi = (self.estimate - half_pi, self.estimate + half_pi)
        t_lo = t_hi = nan
        if self.method != "EE" and self.k > 1:
            lo, hi, _ = tau2_profile_ci(self.yi, self.vi, [self.tau2], level=level, control=self.control)
            t_lo, t_hi = float(lo[0]), float(hi[0])
        vt = self.vt
        with np.errstate(divide="ignore", invalid="ignore"):
            i2 = [100.0 * t / (vt + t) if vt + t > 0 else nan for t in (t_lo, t_hi)]
            h2 = [t / vt + 1.0 if vt > 0 else nan for t in (t_lo, t_hi)]
        return ConfInt(level=level, test=self.test, df=self.df, estimate=self.estimate, ci_low=self.estimate - half,
                       ci_high=self.estimate + half, pi_low=pi[0], pi_high=pi[1], tau2=self.tau2, tau2_ci_low=t_lo,
                       tau2_ci_high=t_hi, i2=self.i2, i2_ci_low=i2[0], i2_ci_high=i2[1], h2=self.h2,
                       h2_ci_low=h2[0], h2_ci_high=h2[1])

    # -- diagnostics (ldn_evidence.diagnostics) -----------------------------------------------
    def leave_one_out(self, **kwargs):
        """Leave-one-out analysis (metafor ``leave1out``); see :func:`ldn_evidence.diagnostics.leave_one_out`."""
        return _diagnostics.leave_one_out(self, **kwargs)

    def influence(self, **kwargs):
        """Influence diagnostics (metafor ``influence``); see :func:`ldn_evidence.diagnostics.influence`."""
        return _diagnostics.influence(self, **kwargs)

    def baujat(self, **kwargs):
        """Baujat coordinates (metafor ``baujat``); see :func:`ldn_evidence.diagnostics.baujat`."""
        return _diagnostics.baujat(self, **kwargs)

    def cumulative(self, order=None, *, by=None, **kwargs):
        """Cumulative meta-analysis (metafor ``cumul``); see :func:`ldn_evidence.diagnostics.cumulative`."""
        return _diagnostics.cumulative(self, order, by=by, **kwargs)

    def egger_test(self, predictor="sei", model="rma", ni=None):
        """Regression test for asymmetry (metafor ``regtest``); see :func:`ldn_evidence.diagnostics.egger_test`."""
        return _diagnostics.egger_test(self, predictor=predictor, model=model, ni=ni)

    def rank_test(self, exact=True):
        """Rank correlation test (metafor ``ranktest``); see :func:`ldn_evidence.diagnostics.rank_test`."""
        return _diagnostics.rank_test(self, exact=exact)

    def trim_and_fill(self, estimator="L0", side=None, **kwargs):
        """Trim and fill (metafor ``trimfill``); see :func:`ldn_evidence.diagnostics.trim_and_fill`."""
        return _diagnostics.trim_and_fill(self, estimator=estimator, side=side, **kwargs)

    def gosh(self, max_subsets=None, seed=None, **kwargs):
        """GOSH analysis (metafor ``gosh``); see :func:`ldn_evidence.diagnostics.gosh`."""
        return _diagnostics.gosh(self, max_subsets=max_subsets, seed=seed, **kwargs)

    def permutation_test(self, n=1000, seed=None, **kwargs):
        """Sign-permutation test (metafor ``permutest``); see :func:`ldn_evidence.diagnostics.permutation_test`."""
        return _diagnostics.permutation_test(self, n=n, seed=seed, **kwargs)


@dataclass(repr=False)
class ConfInt(Result):
    """Intervals of a fitted model at another level (:meth:`MetaResult.conf_int`).

    ``ci_*``: the mean's CI; ``pi_*``: the prediction interval (NaN for EE); ``tau2_ci_*``,
    ``i2_ci_*``, ``h2_ci_*``: the Q-profile interval and the bounds derived from it (NaN for EE
    and k = 1). ``to_frame()`` is metafor's ``confint()`` table: one row each for the mean,
    tau^2, tau, I^2 (%) and H^2 with ``estimate, ci_low, ci_high``.
    """

    level: float
    test: str
    df: float
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    h2_ci_low: float
    h2_ci_high: float

    _repr_fields = ("level", "estimate", "ci_low", "ci_high", "pi_low", "pi_high")

    def to_frame(self):
        import pandas as pd

        root = lambda x: math.sqrt(x) if x >= 0 else float("nan")  # noqa: E731 (NaN stays NaN)
        rows = {"estimate": (self.estimate, self.ci_low, self.ci_high),
                "tau^2": (self.tau2, self.tau2_ci_low, self.tau2_ci_high),
                "tau": (root(self.tau2), root(self.tau2_ci_low), root(self.tau2_ci_high)),
                "I^2(%)": (self.i2, self.i2_ci_low, self.i2_ci_high), "H^2": (self.h2, self.h2_ci_low, self.h2_ci_high)}
        return pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "ci_low", "ci_high"])

    def summary(self) -> str:
        lvl = f"{self.level:g}%"
        lines = [f"{lvl} intervals (the model as fitted; {_TEST_NAMES[self.test]})",
                 f"  mean:                {fmt_number(self.estimate)} [{fmt_number(self.ci_low)}, {fmt_number(self.ci_high)}]",
                 f"  prediction interval: [{fmt_number(self.pi_low)}, {fmt_number(self.pi_high)}]",
                 f"  tau^2:               {fmt_number(self.tau2)} [{fmt_number(self.tau2_ci_low)}, "
                 f"{fmt_number(self.tau2_ci_high)}] (Q-profile)",
                 f"  I^2:                 {fmt_number(self.i2, 2)}% [{fmt_number(self.i2_ci_low, 2)}%, "
                 f"{fmt_number(self.i2_ci_high, 2)}%]"]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# meta_analysis
# ---------------------------------------------------------------------------------------------


def meta_analysis(yi, vi, method="REML", test="knha", level=95, labels=None, *, control=None) -> MetaResult:
    """Random-effects meta-analysis with metafor's estimators and rules.

    Parameters
    ----------
    yi, vi : array_like or pandas.Series
        Effect sizes and their sampling variances (all finite, ``vi > 0``). Series are paired
        by their index (a ``vi`` holding the same labels in another order is reordered; other
        labels are refused), and the index gives the study labels; masked entries of a
        ``numpy.ma`` array are missing and refused, naming the study.
    method : {"REML", "ML", "EB", "PM", "DL", "HE", "HS", "SJ", "EE"}
        tau^2 estimator; "FE" is an alias of "EE". Definitions and iteration rules are those
        of metafor's ``rma.uni`` (Viechtbauer 2005).
    test : {"knha", "adhoc", "t", "z"}
        ``"knha"``: Hartung-Knapp-Sidik-Jonkman (Hartung & Knapp 2001; Sidik & Jonkman 2002),
        t with k-1 df and the variance scaled by s2w = Q_gen / (k - 1), as metafor's
        ``test="knha"`` (no truncation of the factor: with few studies and little spread its
        interval can be narrower than the Wald interval, even of zero width when Q_gen = 0; a
        note and ``knha_narrower_than_z`` then say so). ``"adhoc"``: the modified
        Hartung-Knapp method (Knapp & Hartung 2003; Roever, Knapp & Friede 2015), the factor
        replaced by max(1, s2w), as metafor's ``test="adhoc"``. ``"t"``: t with k-1 df without
        adjustment. ``"z"``: normal. Other spellings ("hksj", "KH", ...) as
        :func:`~ldn_evidence.engine.batch.normalize_test`.
    level : float
        Confidence level in percent, in (1, 100), for the CI of the mean, the Q-profile CI of
        tau^2 and the prediction interval (a fraction such as 0.95 is refused).
    labels : sequence of str, optional
        Study labels (used in messages and output); defaults to the Series index or 1..k.
    control : dict, optional
        Overrides of the iteration settings (``threshold``, ``maxiter``, ``stepadj``,
        ``tau2_init``, ``tol``, ``ll0check``, ``tau2_max``, ``qprofile_maxiter``); each is
        checked (:func:`~ldn_evidence.engine.batch.check_control`).

    Returns
    -------
    MetaResult

    Raises
    ------
    ValueError
        Non-finite or masked ``yi``/``vi`` or ``vi <= 0`` (the message names the study), Series
        with other labels, unknown method/test, a ``level`` that is not a percent in (1, 100),
        a ``control`` that is not a dict of known settings with valid values.
    ConvergenceError
        Where metafor stops with an error: Fisher scoring (ML/REML/EB) did not converge, or the
        PM search bound is too low. A :class:`ConvergenceWarning` naming the estimator is
        issued first.

    Notes
    -----
    With k = 1 the result is the study itself: tau^2 = 0, Q = 0, I^2 = 0, H^2 = 1, a z-based
    CI (metafor switches ``test`` to "z"), and a note. The prediction interval is
    ``estimate +- crit * sqrt(se^2 + tau^2)`` with crit from t(k-1) under t, knha and adhoc and
    ``se`` the test's (scaled) standard error (metafor's ``predict()``; Cochrane Handbook
    10.10.4.3 uses t(k-2)).

    Examples
    --------
    Identical estimates: Q = 0, so the Hartung-Knapp factor is 0 and its interval a point (as
    metafor); the modified method keeps the factor at 1.

    >>> r = meta_analysis([0.5] * 5, [0.1] * 5, test="knha")
    >>> (r.ci_low, r.ci_high, r.knha_narrower_than_z)
    (0.5, 0.5, True)
    >>> a = meta_analysis([0.5] * 5, [0.1] * 5, test="adhoc")
    >>> round(a.ci_low, 6), round(a.ci_high, 6), a.s2w
    (0.107351, 0.892649, 1.0)
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    y, v, labs, _ = _validate(yi, vi, labels)
    notes = []
    if y.size == 1:
        notes.append("k = 1: the result is the single study; tau^2 = 0 and heterogeneity cannot be estimated")
        if test != "z":
            warnings.warn('k = 1: setting test="z" (as metafor)', UserWarning, stacklevel=2)
            notes.append('test set to "z" because k = 1 (as metafor)')
    if method == "EE" and test in KH_TESTS:
        warnings.warn("Knapp & Hartung method is not meant to be used with equal-effects (EE) models (as metafor).",
                      UserWarning, stacklevel=2)
    b = rma_batch(y, v, method=method, test=test, level=level, qprofile=True, control=control)
    _raise_if_failed(b)
    _emit(b, method)
    if b.reset_to_zero[0]:
        notes.append(f"{method}: Fisher scoring stopped at a local maximum; tau^2 set to 0 (as metafor)")
    if not b.tau2_ci_converged[0] and method != "EE" and y.size > 1:
        notes.append("Q-profile search for the tau^2 bounds did not converge")
    if method != "EE" and y.size > 1 and b.tau2_ci_high[0] >= max(100.0, 10 * b.tau2[0]) and b.q[0] > 0:
        notes.append("upper Q-profile bound reached the search limit (metafor's tau2.max); the true bound is larger")
    return MetaResult._from_batch(b, 0, y, v, labs, notes=notes, control=control)


# ---------------------------------------------------------------------------------------------
# meta_regression
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False)
class MetaRegressionResult(Result):
    """Mixed-effects meta-regression (metafor ``rma(yi, vi, mods=X)``); arrays per coefficient.

    ``qm`` is the omnibus test of all coefficients except the intercept (chi^2 with
    ``qm_df`` df under z; F with (``qm_df``, k-p) df under t, knha and adhoc). ``r2`` is metafor's
    pseudo-R^2 in percent: ``max(0, 100 * (tau2_RE - tau2) / tau2_RE)`` with tau2_RE from the
    intercept-only model fitted with the same method.
    """

    names: list
    coef: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    vcov: np.ndarray
    tau2: float
    se_tau2: float
    qm: float
    qm_df: tuple
    qm_pvalue: float
    qe: float
    qe_df: int
    qe_pvalue: float
    r2: float
    i2: float
    h2: float
    k: int
    method: str
    test: str
    level: float
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    labels: list
    notes: list = field(default_factory=list)
    control: dict | None = None

    @property
    def tval(self):
        return self.zval

    @property
    def tau(self):
        return math.sqrt(self.tau2)

    def to_frame(self):
        """Coefficient table as a pandas DataFrame (index = coefficient names)."""
        import pandas as pd

        stat = "tval" if self.test in T_TESTS else "zval"
        return pd.DataFrame({"estimate": self.coef, "se": self.se, stat: self.zval, "pvalue": self.pvalue,
                             "ci_low": self.ci_low, "ci_high": self.ci_high}, index=list(self.names))

    def to_dict(self) -> dict:
        """Plain, JSON-safe Python: the coefficient arrays as lists, NaN and infinities as None."""
        return json_safe({
            "names": list(self.names), "coef": self.coef, "se": self.se, "zval": self.zval, "pvalue": self.pvalue,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "tau2": self.tau2, "se_tau2": self.se_tau2, "qm": self.qm,
            "qm_df": list(self.qm_df), "qm_pvalue": self.qm_pvalue, "qe": self.qe, "qe_df": self.qe_df,
            "qe_pvalue": self.qe_pvalue, "r2": self.r2, "i2": self.i2, "h2": self.h2, "k": self.k,
            "method": self.method, "test": self.test, "level": self.level, "notes": list(self.notes),
        })

    def __repr__(self) -> str:
        coefs = ", ".join(f"{n}={short(float(c))}" for n, c in zip(self.names, self.coef))
        return (f"MetaRegressionResult(method={self.method!r}, test={self.test!r}, k={self.k}, {coefs}, "
                f"tau2={short(self.tau2)}, qm_pvalue={short(self.qm_pvalue)})")

    def update(self, **changes):
        """The meta-regression refitted with some arguments changed, as metafor's ``update()``.

        Takes :func:`meta_regression`'s arguments (``yi``, ``vi``, ``X``, ``method``,
        ``test``, ``level``, ``labels``, ``control``); the others are this model's.

        >>> r = meta_regression([0.1, 0.3, 0.35, 0.6], [0.04, 0.05, 0.04, 0.06], [1.0, 2.0, 3.0, 4.0])
        >>> r.update(test="knha").test, r.update(test="knha").names
        ('knha', ['intercept', 'x1'])
        """
        allowed = ("yi", "vi", "X", "method", "test", "level", "labels", "control")
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise TypeError(f"update() got unknown argument(s) {', '.join(map(repr, unknown))}; it takes "
                            f"{', '.join(allowed)}")
        args = {"yi": self.yi, "vi": self.vi, "X": self.X[:, 1:], "method": self.method, "test": self.test,
                "level": self.level, "labels": self.labels, "control": self.control}
        if ("yi" in changes or "vi" in changes) and "labels" not in changes:
            new = changes.get("yi", changes.get("vi"))
            if np.ndim(new) != 1 or len(new) != self.k:
                args["labels"] = None
        args.update(changes)
        out = meta_regression(**args)
        if "X" not in changes:
            out.names = list(self.names)
        return out

    def summary(self) -> str:
        stat = "tval" if self.test in T_TESTS else "zval"
        lines = [f"Mixed-effects meta-regression (k = {self.k}; tau^2 estimator: {_METHOD_NAMES[self.method]})",
                 f"Tests and CIs: {_TEST_NAMES[self.test]}", ""]
        if self.method != "EE":
            lines.append(f"tau^2 (estimated amount of residual heterogeneity): {fmt_number(self.tau2)} (SE = {fmt_number(self.se_tau2)})")
            lines.append(f"I^2 (residual heterogeneity / unaccounted variability): {fmt_number(self.i2, 2)}%")
        lines.append(f"R^2 (amount of heterogeneity accounted for): {fmt_number(self.r2, 2)}%")
        lines += ["", f"Test for Residual Heterogeneity: QE(df = {self.qe_df}) = {fmt_number(self.qe)}, p-val {p_equals(self.qe_pvalue)}"]
        if self.test in T_TESTS:
            lines.append(f"Test of Moderators: F(df1 = {self.qm_df[0]}, df2 = {self.qm_df[1]}) = {fmt_number(self.qm)}, "
                         f"p-val {p_equals(self.qm_pvalue)}")
        else:
            lines.append(f"Test of Moderators: QM(df = {self.qm_df[0]}) = {fmt_number(self.qm)}, p-val {p_equals(self.qm_pvalue)}")
        lines += ["", f"{'':<14}{'estimate':>10} {'se':>9} {stat:>9} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}"]
        for i, n in enumerate(self.names):
            lines.append(f"{str(n)[:13]:<14}{fmt_number(self.coef[i]):>10} {fmt_number(self.se[i]):>9} {fmt_number(self.zval[i]):>9} "
                         f"{fmt_p(self.pvalue[i]):>8} {fmt_number(self.ci_low[i]):>9} {fmt_number(self.ci_high[i]):>9}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines) + "\n"

    __str__ = summary

    def _repr_html_(self) -> str:
        return self.to_frame().to_html() + f"<p>tau² = {fmt_number(self.tau2)}; QM = {fmt_number(self.qm)} " \
            f"(p {p_equals(self.qm_pvalue)}); R² = {fmt_number(self.r2, 2)}%</p>"


def _design(X, k):
    names = None
    if hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
        arr = np.asarray(X.to_numpy(), dtype=float)
    elif hasattr(X, "name") and hasattr(X, "to_numpy"):
        names = [str(X.name) if X.name is not None else "x1"]
        arr = np.asarray(X.to_numpy(), dtype=float)
    else:
        arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] != k:
        raise ValueError(f"X has {arr.shape[0]} rows but there are {k} studies")
    if names is None:
        names = [f"x{j + 1}" for j in range(arr.shape[1])]
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"X has a non-finite value at study index {bad[0]}, column {names[bad[1]]!r}")
    return arr, names


def meta_regression(yi, vi, X, method="REML", test="z", level=95, labels=None, *, control=None) -> MetaRegressionResult:
    """Mixed-effects meta-regression, as metafor's ``rma(yi, vi, mods = X)``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    X : pandas.DataFrame, Series or array_like, shape (k,) or (k, q)
        Moderators; an intercept is added. DataFrame column names are kept.
    method, test, level, labels, control
        As :func:`meta_analysis` (default test here is "z", as metafor).

    Returns
    -------
    MetaRegressionResult

    Raises
    ------
    ValueError
        Too many parameters for k, or a moderator that is a linear combination of the intercept
        and the moderators before it (the message names it). Redundancy is judged as R's
        ``lm()``, which metafor uses, judges it (see :func:`~ldn_evidence.engine.batch.redundant_columns`:
        relative tolerance 1e-7 on each column's own norm, so a moderator equal to a constant up
        to 1e-9 is redundant whatever its scale). metafor drops such moderators with a warning
        ("Redundant predictors dropped from the model"); we refuse, naming them, so that the
        coefficient table always has the columns that were asked for.

    Notes
    -----
    Under "t", "knha" and "adhoc" the coefficients are tested with t(k - p) and the moderators
    with F(p - 1, k - p), QM being divided by p - 1; under "adhoc" the variance factor is
    max(1, s2w) (metafor 3.8's ``rma.uni``).

    Examples
    --------
    >>> y, v = [0.1, 0.3, 0.35, 0.6], [0.04, 0.05, 0.04, 0.06]
    >>> meta_regression(y, v, [1.0, 1.0 + 1e-9, 1.0, 1.0])
    Traceback (most recent call last):
    ...
    ValueError: model matrix (intercept + X) is not of full rank: moderator 'x1' is a linear combination of intercept (relative tolerance 1e-07, as R's lm() used by metafor, which would drop it with a warning); remove it
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    y, v, labs, index = _validate(yi, vi, labels)
    mods, names = _design(_aligned(X, "X", index), y.size)
    Xd = np.column_stack([np.ones(y.size), mods])
    p = Xd.shape[1]
    k = y.size
    if (method == "EE" and p > k) or (method != "EE" and p + 1 > k):
        raise ValueError(f"too many parameters ({p} coefficients{'' if method == 'EE' else ' + tau^2'}) for k = {k}")
    redundant = redundant_columns(Xd)
    if redundant:
        cols = ["intercept"] + list(names)
        j = redundant[0]
        before = [c for i, c in enumerate(cols[:j]) if i not in redundant]
        more = [repr(cols[i]) for i in redundant[1:]]
        raise ValueError(
            f"model matrix (intercept + X) is not of full rank: moderator {cols[j]!r} is a linear combination of "
            f"{', '.join(before)} (relative tolerance 1e-07, as R's lm() used by metafor, which would drop it with a "
            f"warning); remove it" + (f" (also redundant: {', '.join(more)})" if more else ""))
    if method == "EE" and test in KH_TESTS:
        warnings.warn("Knapp & Hartung method is not meant to be used with equal-effects (EE) models (as metafor).",
                      UserWarning, stacklevel=2)
    b = rma_batch(y, v, X=Xd, method=method, test=test, level=level, qprofile=False, control=control)
    _raise_if_failed(b)
    _emit(b, method)
    notes = []
    # pseudo R^2 (metafor r2def = "1")
    if method == "EE":
        fe0 = rma_batch(y, v, method="EE", test="z", qprofile=False)
        if np.var(y) == 0:
            r2 = 0.0
        else:
            r2s = 1.0 - b.q[0] / fe0.q[0]
            adj = 1.0 - (1.0 - r2s) * (k - 1) / (k - p)
            r2 = max(0.0, 100.0 * adj)
    else:
        b0 = rma_batch(y, v, method=method, test=test, qprofile=False, control=control)
        if not b0.converged[0]:
            r2 = float("nan")
            notes.append("R^2 not available: the intercept-only model did not converge")
        else:
            t0 = float(b0.tau2[0])
            r2 = 0.0 if t0 == 0 else max(0.0, 100.0 * (t0 - float(b.tau2[0])) / t0)
    qm_df = (p - 1, k - p) if test in T_TESTS else (p - 1,)
    if test == "knha" and b.s2w[0] == 0:
        notes.append("Hartung-Knapp variance factor s2w = 0 (the weighted residual sum of squares is 0), so every "
                     "knha interval has zero width (as metafor); test=\"adhoc\" keeps the factor at least 1")
    elif test == "knha" and k > p:
        crit_t = float(sp.stdtrit(k - p, 1 - (1 - level / 100) / 2))
        crit_z = float(sp.ndtri(1 - (1 - level / 100) / 2))
        if crit_t * math.sqrt(b.s2w[0]) < crit_z:
            notes.append(f"the Hartung-Knapp intervals are narrower than the Wald z intervals (variance factor s2w = "
                         f"{b.s2w[0]:.4g} < (z/t)^2 = {(crit_z / crit_t) ** 2:.4g}); test=\"adhoc\" is never narrower")
    return MetaRegressionResult(
        names=["intercept"] + names, coef=b.beta[0].copy(), se=b.se[0].copy(), zval=b.stat[0].copy(),
        pvalue=b.pval[0].copy(), ci_low=b.ci_low[0].copy(), ci_high=b.ci_high[0].copy(), vcov=b.vb[0].copy(),
        tau2=float(b.tau2[0]), se_tau2=float(b.se_tau2[0]), qm=float(b.qm[0]), qm_df=qm_df,
        qm_pvalue=float(b.qm_pvalue[0]), qe=float(b.q[0]), qe_df=int(b.q_df[0]), qe_pvalue=float(b.q_pvalue[0]),
        r2=r2, i2=float(b.i2[0]), h2=float(b.h2[0]), k=k, method=method, test=test, level=float(level), yi=y, vi=v,
        X=Xd, labels=labs, notes=notes, control=control,
    )


# ---------------------------------------------------------------------------------------------
# subgroup_analysis
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False)
class GroupEstimate(Result):
    """Pooled estimate of one subgroup from the common-tau^2 meta-regression (``ci_*`` at the
    model's level, t or z as its test)."""

    name: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float

    _repr_fields = ("name", "k", "estimate", "ci_low", "ci_high", "tau2")

    def summary(self) -> str:
        return (f"Subgroup {self.name} (k = {self.k}; common tau^2 = {fmt_number(self.tau2)}): "
                f"{fmt_number(self.estimate)} (SE = {fmt_number(self.se)}) [{fmt_number(self.ci_low)}, "
                f"{fmt_number(self.ci_high)}]")


@dataclass(repr=False)
class SubgroupResult(Result):
    """Subgroup analysis.

    ``tau2 == "separate"`` (default, Cochrane Handbook 10.11.3 / R meta): ``subgroups`` maps
    each group to its own :class:`MetaResult` (own tau^2); ``q_between`` is Cochran's Q on the
    subgroup estimates with inverse-variance weights from their model-based (z) standard
    errors, chi^2 with G-1 df. ``tau2 == "common"``: one mixed-effects model with the group
    factor (``regression``, first group as reference); ``q_between`` is its omnibus moderator
    test (QM chi^2, or F under t, knha and adhoc) and ``subgroups`` maps each group to a
    :class:`GroupEstimate`. ``overall`` is the meta-analysis of all studies, or None when that
    model cannot be fitted (e.g. its Fisher scoring does not converge): neither the subgroups
    nor the test for subgroup differences depend on it, and ``notes`` then says why.
    """

    subgroups: dict
    q_between: float
    q_between_df: int
    q_between_pvalue: float
    overall: MetaResult | None
    tau2_mode: str
    method: str
    test: str
    level: float
    regression: MetaRegressionResult | None = None
    notes: list = field(default_factory=list)

    def to_frame(self):
        import pandas as pd

        rows = []
        for name, r in self.subgroups.items():
            rows.append({"group": name, "k": r.k, "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "tau2": r.tau2,
                         "i2": getattr(r, "i2", float("nan"))})
        return pd.DataFrame(rows).set_index("group")

    def to_dict(self) -> dict:
        """Plain, JSON-safe Python; each subgroup and the overall model as their own ``to_dict()``."""
        return json_safe({
            "tau2_mode": self.tau2_mode, "method": self.method, "test": self.test, "level": self.level,
            "q_between": self.q_between, "q_between_df": self.q_between_df,
            "q_between_pvalue": self.q_between_pvalue,
            "subgroups": {n: r.to_dict() for n, r in self.subgroups.items()},
            "overall": None if self.overall is None else self.overall.to_dict(),
            "notes": list(self.notes),
        })

    def __repr__(self) -> str:
        return (f"SubgroupResult(tau2={self.tau2_mode!r}, method={self.method!r}, test={self.test!r}, "
                f"groups={len(self.subgroups)}, q_between={short(self.q_between)}, "
                f"q_between_pvalue={short(self.q_between_pvalue)})")

    def summary(self) -> str:
        lines = [f"Subgroup analysis ({'separate' if self.tau2_mode == 'separate' else 'common'} tau^2; "
                 f"method {self.method}; test {self.test})", ""]
        lines.append(f"{'group':<20}{'k':>4} {'estimate':>10} {'ci.lb':>9} {'ci.ub':>9} {'tau^2':>9}")
        for name, r in self.subgroups.items():
            lines.append(f"{str(name)[:19]:<20}{r.k:>4} {fmt_number(r.estimate):>10} {fmt_number(r.ci_low):>9} "
                         f"{fmt_number(r.ci_high):>9} {fmt_number(r.tau2):>9}")
        o = self.overall
        if o is None:
            lines.append(f"{'overall':<20}{'':>4} {'NA':>10} {'NA':>9} {'NA':>9} {'NA':>9}")
        else:
            lines.append(f"{'overall':<20}{o.k:>4} {fmt_number(o.estimate):>10} {fmt_number(o.ci_low):>9} {fmt_number(o.ci_high):>9} "
                         f"{fmt_number(o.tau2):>9}")
        if self.tau2_mode == "common" and self.test in T_TESTS:
            lines += ["", f"Test for subgroup differences: F(df1 = {self.q_between_df}, df2 = "
                          f"{self.regression.qm_df[1]}) = {fmt_number(self.q_between)}, p-val {p_equals(self.q_between_pvalue)}"]
        else:
            lines += ["", f"Test for subgroup differences: Q(df = {self.q_between_df}) = {fmt_number(self.q_between)}, "
                          f"p-val {p_equals(self.q_between_pvalue)}"]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    __str__ = summary

    def _repr_html_(self) -> str:
        return self.to_frame().to_html() + f"<p>Q between = {fmt_number(self.q_between)} (df = {self.q_between_df}, " \
            f"p {p_equals(self.q_between_pvalue)})</p>"


def subgroup_analysis(yi, vi, groups, method="REML", test="knha", level=95, labels=None, *, tau2="separate",
                      control=None) -> SubgroupResult:
    """Subgroup analysis with a test for subgroup differences.

    Parameters
    ----------
    yi, vi : array_like
    groups : array_like
        Group of each study (any hashable values; groups are sorted, as R's factor levels, or
        kept in order of first appearance when not sortable).
    method, test, level, labels, control
        As :func:`meta_analysis`.
    tau2 : {"separate", "common"}
        "separate" (default): an independent random-effects model per subgroup and Q-between on
        their estimates (Cochrane Handbook 10.11.3; R meta's default). "common": one
        meta-regression on the group factor, ``rma(yi, vi, mods = ~ group)`` in metafor.

    Returns
    -------
    SubgroupResult

    Raises
    ------
    ConvergenceError
        When a subgroup's model (separate) or the meta-regression on the groups (common) cannot
        be fitted; the message names the subgroups. The all-studies model is not needed for
        either: when it fails, ``overall`` is None and a note says why.

    Examples
    --------
    >>> r = subgroup_analysis([0.1, 0.3, 0.5, 0.9, 1.1], [0.04, 0.05, 0.04, 0.06, 0.05], ["a", "a", "b", "b", "b"],
    ...                       method="DL", test="adhoc")
    >>> sorted(r.subgroups), r.q_between_df, r.subgroups["a"].test
    (['a', 'b'], 1, 'adhoc')
    """
    method = normalize_method(method)
    test = normalize_test(test)
    level = check_level(level)
    y, v, labs, index = _validate(yi, vi, labels)
    if tau2 not in ("separate", "common"):
        raise ValueError(f"tau2 must be 'separate' or 'common', got {tau2!r}")
    names, garr = _groups_of(groups, index, labs)
    group_notes = []
    try:
        overall = meta_analysis(y, v, method=method, test=test, level=level, labels=labs, control=control)
    except ConvergenceError as e:
        overall = None
        group_notes.append(f"no overall (all-studies) estimate: {e} The subgroups and the test for subgroup "
                           "differences do not depend on it.")
    settings = dict(method=method, test=test, level=level, control=control)
    if tau2 == "separate":
        subgroups, qb = _separate_subgroups(y, v, labs, names, garr, **settings)
        dfb = len(names) - 1
        return SubgroupResult(subgroups=subgroups, q_between=qb, q_between_df=dfb,
                              q_between_pvalue=float(sp.chdtrc(dfb, qb)), overall=overall, tau2_mode="separate",
                              method=method, test=test, level=float(level), notes=group_notes)
    subgroups, reg = _common_subgroups(y, v, labs, names, garr, **settings)
    return SubgroupResult(subgroups=subgroups, q_between=reg.qm, q_between_df=len(names) - 1,
                          q_between_pvalue=reg.qm_pvalue, overall=overall, tau2_mode="common", method=method,
                          test=test, level=float(level), regression=reg, notes=group_notes + list(reg.notes))


def _groups_of(groups, index, labs):
    """The group names (sorted as R's factor levels when sortable, else in order of appearance)
    and each study's group number; ValueError for a missing group or fewer than two groups."""
    if isinstance(groups, (str, bytes)):
        raise ValueError("groups must give the group of each study, not a single string")
    groups = _aligned(groups, "groups", index)
    g = list(groups.tolist() if hasattr(groups, "tolist") else groups)
    if len(g) != len(labs):
        raise ValueError(f"groups has {len(g)} entries but there are {len(labs)} studies")
    for i, gi in enumerate(g):
        if gi is None or (isinstance(gi, float) and math.isnan(gi)):
            raise ValueError(f"study {labs[i]!r} (index {i}): missing group")
    names = list(dict.fromkeys(g))
    try:
        names = sorted(names)  # as R's factor levels (first level = reference in the common model)
    except TypeError:
        pass
    if len(names) < 2:
        raise ValueError("subgroup analysis needs at least two groups")
    return names, np.array([names.index(x) for x in g])


def _separate_subgroups(y, v, labs, names, garr, *, method, test, level, control):
    """One random-effects model per subgroup (one batch fit) and Cochran's Q between their estimates
    (inverse-variance weights from the model-based SEs)."""
    masks = garr[None, :] == np.arange(len(names))[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = rma_batch(np.broadcast_to(y, masks.shape), np.broadcast_to(v, masks.shape), mask=masks,
                      method=method, test=test, level=level, qprofile=True, control=control)
    if not b.converged.all():
        failed = ", ".join(repr(str(names[j])) for j in np.flatnonzero(~b.converged))
        msg = next((m for m in b.messages if "did not converge" in m or "tau2_max" in m),
                   f"{method} estimator failed")
        warnings.warn(f"subgroup(s) {failed}: {msg}", ConvergenceWarning, stacklevel=3)
        raise ConvergenceError(f"subgroup(s) {failed}: {msg}. Try another method (e.g. method='DL' or 'PM') or "
                               "control={'maxiter': ..., 'stepadj': 0.5}.")
    subgroups = {}
    for j, name in enumerate(names):
        sel = masks[j]
        notes = ["k = 1: the result is the single study; tau^2 = 0"] if sel.sum() == 1 else []
        subgroups[str(name)] = MetaResult._from_batch(b, j, y[sel], v[sel], [labs[i] for i in np.flatnonzero(sel)],
                                                      notes=notes, control=control, present=sel)
    est = b.beta[:, 0]
    w = 1.0 / b.se_model[:, 0] ** 2
    pooled = np.sum(w * est) / np.sum(w)
    return subgroups, float(np.sum(w * (est - pooled) ** 2))


def _common_subgroups(y, v, labs, names, garr, *, method, test, level, control):
    """The meta-regression on the group factor (first group the reference) and each group's estimate."""
    dummies = (garr[:, None] == np.arange(1, len(names))[None, :]).astype(float)
    reg = meta_regression(y, v, dummies, method=method, test=test, level=level, labels=labs, control=control)
    reg.names = ["intercept"] + [f"group[{n}]" for n in names[1:]]
    L = np.column_stack([np.ones(len(names)), np.vstack([np.zeros(len(names) - 1), np.eye(len(names) - 1)])])
    est = L @ reg.coef
    se = np.sqrt(np.einsum("gp,pq,gq->g", L, reg.vcov, L))
    if test in T_TESTS:
        crit = float(sp.stdtrit(reg.qe_df, 1 - (1 - level / 100) / 2))
    else:
        crit = float(sp.ndtri(1 - (1 - level / 100) / 2))
    subgroups = {str(n): GroupEstimate(name=str(n), k=int((garr == j).sum()), estimate=float(est[j]), se=float(se[j]),
                                       ci_low=float(est[j] - crit * se[j]), ci_high=float(est[j] + crit * se[j]),
                                       tau2=reg.tau2)
                 for j, n in enumerate(names)}
    return subgroups, reg
