"""Forest plot of a meta-analysis, in the spirit of RevMan 5 and R meta's ``forest()``.

The plot draws what it is given and computes no statistics: study estimates and confidence
limits, weights and pooled results all come in. The figure is sized from its content: every
column is as wide as its widest rendered text, so no text overlaps another from one study to
hundreds, with long labels, long subgroup names and risk-of-bias columns.

matplotlib is imported inside :func:`forest_plot`, never at module load, so that importing
``ldn_evidence`` (and starting the command line) stays fast. No pyplot state is used: the
figure is a plain ``matplotlib.figure.Figure`` on an Agg canvas, safe to build in a thread.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

__all__ = ["forest_plot"]

# ---------------------------------------------------------------------------------------------
# Look and size. All lengths in inches unless the name ends in _pt.
FONT = "DejaVu Sans"           # ships with matplotlib: same metrics on every machine
SIZE_PT = 9.0                  # study rows, headers
SMALL_PT = 8.0                 # heterogeneity lines, tick labels, footnotes
TITLE_PT = 11.0
ROB_SYMBOL_PT = 6.5
ROW = 1.6 * SIZE_PT / 72       # height of one table row
FOOT_LINE = 1.45 * SMALL_PT / 72
MARGIN = 0.12                  # around the whole figure
COLGAP = 0.18                  # between text columns
ROBGAP = 0.06                  # between risk-of-bias columns
PANEL_MIN = 2.6                # minimum width of the plot panel
TICK_LEN_PT = 3.0
SQUARE_MAX_PT = 0.72 * ROW * 72
SQUARE_MIN_PT = 3.0
DIAMOND_HALF = 0.34            # half height of a diamond, in rows
PI_HALF = 0.14                 # half height of the prediction-interval bar, in rows
ROB_DOT = 0.78 * ROW           # diameter of a risk-of-bias dot
DPI = 100

INK = "black"
GREY = "#555555"
RULE = "#9a9a9a"
SQUARE = "#2f5d8a"
DIAMOND = "black"
PI_COLOUR = "#b2182b"

# Risk-of-bias judgements: normalised text -> (display name, colour, symbol, symbol colour).
# Colours as robvis (McGuinness & Higgins 2021); symbols so the plot survives greyscale.
_ROB = {
    "low": ("low", "#02C100", "+", "white"),
    "some concerns": ("some concerns", "#E2DF07", "\u2212", "black"),
    "moderate": ("moderate", "#E2DF07", "\u2212", "black"),
    "unclear": ("unclear", "#E2DF07", "?", "black"),
    "high": ("high", "#BF0000", "\u00d7", "white"),
    "serious": ("serious", "#BF0000", "\u00d7", "white"),
    "critical": ("critical", "#820000", "!", "white"),
    "no information": ("no information", "#4EA1F7", "?", "white"),
}
_ROB_ALIASES = {
    "low risk": "low", "low risk of bias": "low",
    "some concern": "some concerns", "unclear risk": "unclear", "unclear risk of bias": "unclear",
    "high risk": "high", "high risk of bias": "high",
    "ni": "no information", "no info": "no information",
}

_ABBREV = {
    "standardised mean difference": "SMD", "standardized mean difference": "SMD",
    "mean difference": "MD", "risk ratio": "RR", "relative risk": "RR", "odds ratio": "OR",
    "hazard ratio": "HR", "risk difference": "RD", "ratio of means": "ROM",
    "response ratio": "ROM", "hedges' g": "g", "hedges g": "g",
}

_SUPERSCRIPT = dict(zip(
    "abcdefghijklmnoprstuvwxyz0123456789+-=()*",
    "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾*"))
_SUPERSCRIPT.update({"†": "†", "‡": "‡", "§": "§"})

_TEST_NAMES = {"knha": "Hartung-Knapp", "hk": "Hartung-Knapp", "hksj": "Hartung-Knapp",
               "z": "Wald z", "t": "t distribution", "adhoc": "Hartung-Knapp (ad hoc)"}
_COMMON = {"EE", "FE", "CE", "COMMON", "FIXED"}


# ---------------------------------------------------------------------------------------------
# Formatting


def _f(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _num(x: float, digits: int) -> str:
    s = f"{x:.{digits}f}"
    if float(s) == 0:                      # no "-0.00"
        s = f"{0:.{digits}f}"
    return s


def _fmt_p(p: float) -> str:
    if not _finite(p):
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _fmt_df(df) -> str:
    df = _f(df)
    if not _finite(df):
        return "NA"
    return str(int(round(df))) if abs(df - round(df)) < 1e-9 else f"{df:.2f}"


def _fmt_tick(v: float) -> str:
    if v == 0:
        return "0"
    if 1e-4 <= abs(v) < 1e6:
        s = f"{v:.4g}"
        if "e" in s:
            s = f"{v:f}".rstrip("0").rstrip(".")
        return s
    return f"{v:.0e}"


def _superscript(marker: str) -> str:
    marker = str(marker).strip()
    if marker and all(c.lower() in _SUPERSCRIPT for c in marker) and marker == marker.lower():
        return "".join(_SUPERSCRIPT[c] for c in marker)
    return f" ({marker})" if marker else ""


def _one_line(x) -> str:
    if x is None:
        return ""
    try:
        if x != x:  # NaN, NaT
            return ""
    except (TypeError, ValueError):  # pandas.NA has no truth value
        return ""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, float):
        return f"{x:g}"
    return " ".join(str(x).split())


def _model_text(res) -> str:
    method = getattr(res, "method", None)
    test = getattr(res, "test", None)
    parts = []
    if method is not None:
        m = str(method).upper()
        if m in _COMMON:
            parts.append("Common effect")
        else:
            parts += ["Random effects", str(method)]
    else:
        parts.append("Random effects")
    if test is not None:
        parts.append(_TEST_NAMES.get(str(test).lower(), str(test)))
    return ", ".join(parts)


def _overall_test_text(res) -> str:
    """"t = -1.72, df = 3, " (Hartung-Knapp) or "z = -1.72, " when the statistic is known."""
    stat = _f(getattr(res, "zval", math.nan))
    if not _finite(stat):
        return ""
    df = _f(getattr(res, "df", math.nan))
    if str(getattr(res, "test", "")).lower() in ("knha", "hk", "hksj", "t") and _finite(df):
        return f"t = {stat:.2f}, df = {_fmt_df(df)}, "
    return f"z = {stat:.2f}, "


def _het_text(res, k) -> str:
    if k is not None and k < 2:
        return "Heterogeneity: not applicable"
    parts = []
    method = str(getattr(res, "method", "") or "").upper()
    tau2 = _f(getattr(res, "tau2", math.nan))
    if method not in _COMMON and _finite(tau2):
        if tau2 == 0:
            parts.append("τ² = 0")
        elif tau2 < 0.005:
            parts.append("τ² < 0.01")
        else:
            parts.append(f"τ² = {tau2:.2f}")
    i2 = _f(getattr(res, "i2", math.nan))
    if _finite(i2):
        parts.append(f"I² = {i2:.0f}%")
    q = _f(getattr(res, "q", math.nan))
    if _finite(q):
        df = getattr(res, "q_df", None)
        if df is None:
            df = getattr(res, "qe_df", None)
        if df is None and k is not None:
            df = k - 1                         # Cochran's Q of an intercept-only model
        qp = _f(getattr(res, "q_pvalue", math.nan))
        parts.append(f"Q = {q:.2f}, df = {_fmt_df(df)}, {_fmt_p(qp)}")
    return "Heterogeneity: " + ("; ".join(parts) if parts else "not applicable")


# ---------------------------------------------------------------------------------------------
# The content of the plot, before any measuring: rows of cells and marks.


class _Row:
    """One line of the table: its cells and what the panel draws on it."""

    __slots__ = ("kind", "cells", "span", "style", "study", "diamond", "pi", "rob")

    def __init__(self, kind, cells=None, *, span=None, style="normal", study=None, diamond=None,
                 pi=None, rob=None):
        self.kind = kind                    # study group subtotal het blank overall pi
        self.cells = cells or {}            # column key -> text
        self.span = span                    # text spanning the left columns (group name, het)
        self.style = style                  # normal | bold | small
        self.study = study                  # index into the table for study rows
        self.diamond = diamond              # (estimate, low, high, gid)
        self.pi = pi                        # (low, high)
        self.rob = rob                      # rob column -> judgement key


class _Column:
    __slots__ = ("key", "header", "align", "x0", "width")

    def __init__(self, key, header, align):
        self.key, self.header, self.align = key, header, align   # align: left | right
        self.x0 = self.width = 0.0


def _as_mapping(spec, what: str) -> dict:
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {str(k): str(v) for k, v in spec.items()}
    if isinstance(spec, str):
        return {spec: spec}
    try:
        return {str(k): str(k) for k in spec}
    except TypeError:
        raise TypeError(f"{what} must be a dict of column -> header or a list of columns, "
                        f"not {type(spec).__name__}") from None


def _rob_key(value, column: str, label: str):
    text = _one_line(value).strip().lower().replace("_", " ").replace("-", " ")
    text = " ".join(text.split())
    if not text or text in {"nan", "na", "none"}:
        return None
    text = _ROB_ALIASES.get(text, text)
    if text not in _ROB:
        allowed = ", ".join(sorted(set(_ROB) | set(_ROB_ALIASES)))
        raise ValueError(f"risk-of-bias column {column!r}, study {label!r}: unknown judgement "
                         f"{value!r}; expected one of: {allowed} (or empty)")
    return text


def _columns_of(table):
    """Column name -> list of values, and which columns are numeric, from a DataFrame, a mapping
    of equal-length sequences or a list of row mappings. pandas is not needed (nor imported) for
    the last two, which keeps the command line's start-up fast."""
    if hasattr(table, "columns") and hasattr(table, "reset_index"):  # a pandas DataFrame
        from pandas.api.types import is_numeric_dtype

        t = table.reset_index(drop=True)
        return {c: list(t[c]) for c in t.columns}, {c: bool(is_numeric_dtype(t[c])) for c in t.columns}
    if isinstance(table, Mapping):
        cols = {c: list(v) for c, v in table.items()}
    else:
        rows = list(table)
        names = list(dict.fromkeys(k for row in rows for k in row))
        cols = {c: [row.get(c) for row in rows] for c in names}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) > 1:
        raise ValueError("forest_plot: the table's columns differ in length")

    def numeric(values):
        vals = [v for v in values if _one_line(v) != ""]
        return bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)

    return cols, {c: numeric(v) for c, v in cols.items()}


def _to_float(values):
    import numpy as np

    out = []
    for v in values:
        if _one_line(v) == "":
            out.append(math.nan)
        elif isinstance(v, bool):
            raise TypeError(f"{v!r} is not a number")
        else:
            out.append(float(v))
    return np.asarray(out, dtype=float)


def _prepare_table(table, columns, rob_columns):
    import numpy as np

    cols, numeric = _columns_of(table)
    n_rows = len(next(iter(cols.values()))) if cols else 0
    if n_rows == 0:
        raise ValueError("forest_plot: the table has no rows (no study to draw)")
    missing = [c for c in ("label", "yi", "ci_low", "ci_high") if c not in cols]
    if missing:
        raise ValueError(f"forest_plot: the table lacks the column(s) {', '.join(missing)}; "
                         "needed: label, yi, ci_low, ci_high (weight, group, marker optional)")
    extra = _as_mapping(columns, "columns")
    rob = _as_mapping(rob_columns, "rob_columns")
    for c in list(extra) + list(rob):
        if c not in cols:
            raise ValueError(f"forest_plot: column {c!r} named in columns/rob_columns "
                             "is not in the table")
    t = cols
    out = {"label": [_one_line(v) for v in t["label"]]}
    if "marker" in t:
        out["label"] = [lab + _superscript(m) if _one_line(m) else lab
                        for lab, m in zip(out["label"], (_one_line(v) for v in t["marker"]))]
    for c in ("yi", "ci_low", "ci_high", "weight"):
        if c not in t:
            out[c] = np.full(n_rows, np.nan)
            continue
        try:
            out[c] = _to_float(t[c])
        except (ValueError, TypeError) as err:
            raise ValueError(f"forest_plot: column {c!r} must be numeric ({err})") from None
    for i, lab in enumerate(out["label"]):
        lo, hi, y = out["ci_low"][i], out["ci_high"][i], out["yi"][i]
        if np.isfinite(lo) and np.isfinite(hi) and lo > hi:
            raise ValueError(f"forest_plot: study {lab!r} has ci_low {lo} > ci_high {hi}")
        if np.isfinite(y) and np.isfinite(lo) and np.isfinite(hi):
            tol = 1e-9 * max(1.0, abs(lo), abs(hi))
            if not (lo - tol <= y <= hi + tol):
                warnings.warn(f"forest_plot: study {lab!r}: yi {y} lies outside its CI "
                              f"[{lo}, {hi}]", stacklevel=3)
    w = out["weight"]
    if np.any(w[np.isfinite(w)] < 0):
        raise ValueError("forest_plot: weights must be percentages >= 0")
    out["has_weight"] = "weight" in t
    out["extra"] = {c: [_one_line(v) for v in t[c]] for c in extra}
    out["extra_numeric"] = {c: numeric[c] for c in extra}
    out["extra_headers"] = extra
    out["rob"] = {c: [_rob_key(v, c, lab) for v, lab in zip(t[c], out["label"])] for c in rob}
    out["rob_headers"] = rob
    if "group" in t:
        out["group"] = [None if _one_line(g) == "" else g for g in t["group"]]
    else:
        out["group"] = None
    return out


def _block_order(groups, subgroups):
    """Group keys in display order (first appearance in the table), and group -> result.

    The table decides the order, not the subgroups dict: the engine returns its subgroups
    sorted by name (as R's factor levels), while the review layer orders the table.
    """
    seen = list(dict.fromkeys(g for g in groups if g is not None))
    if any(g is None for g in groups):
        seen.append(None)
    results = {}
    if subgroups:
        by_str = {_one_line(g): g for g in seen if g is not None}
        by_str.update({str(g): g for g in seen if g is not None})
        for name, res in subgroups.items():
            g = name if name in seen else by_str.get(str(name), by_str.get(_one_line(name)))
            if g is None:
                names = ", ".join(_one_line(g) for g in seen if g is not None)
                raise ValueError(f"forest_plot: subgroups has {name!r} but no row of the table "
                                 f"has that group (groups: {names})")
            results[g] = res
    return seen, results


def _study_row(d, i, ncols_extra, fmt_effect):
    cells = {"label": d["label"][i]}
    for c in ncols_extra:
        cells["x:" + c] = d["extra"][c][i]
    w = d["weight"][i]
    cells["weight"] = f"{w:.1f}%" if math.isfinite(w) else ""
    cells["effect"] = fmt_effect(d["yi"][i], d["ci_low"][i], d["ci_high"][i])
    rob = {c: d["rob"][c][i] for c in d["rob"]}
    return _Row("study", cells, study=i, rob=rob)


def _build_rows(d, overall, subgroups, subgroup_test, level, fmt_effect, fmt_ci):
    extra = list(d["extra"])
    rows: list[_Row] = []
    n = len(d["label"])

    def pooled(res, label, gid, weight_text):
        est, lo, hi = (_f(getattr(res, a, math.nan)) for a in ("estimate", "ci_low", "ci_high"))
        cells = {"label": label, "weight": weight_text, "effect": fmt_effect(est, lo, hi)}
        return _Row("overall" if gid == "overall" else "subtotal", cells, style="bold",
                    diamond=(est, lo, hi, gid))

    def k_of(res, idx):
        k = getattr(res, "k", None)
        if k is None:
            k = sum(1 for i in idx if math.isfinite(d["yi"][i]))
        return int(k)

    if d["group"] is None:
        if subgroups:
            raise ValueError("forest_plot: subgroups given but the table has no 'group' column")
        rows += [_study_row(d, i, extra, fmt_effect) for i in range(n)]
    else:
        order, results = _block_order(d["group"], subgroups)
        for b, g in enumerate(order):
            idx = [i for i in range(n) if d["group"][i] == g]
            if b:
                rows.append(_Row("blank"))
            rows.append(_Row("group", span="Not grouped" if g is None else _one_line(g),
                             style="bold"))
            rows += [_study_row(d, i, extra, fmt_effect) for i in idx]
            res = results.get(g)
            if res is not None and k_of(res, idx) > 1:
                k = k_of(res, idx)
                ws = [d["weight"][i] for i in idx if math.isfinite(d["weight"][i])]
                wt = f"{sum(ws):.1f}%" if ws and d["has_weight"] else ""
                rows.append(pooled(res, f"Subtotal (k = {k})", f"subgroup:{_one_line(g)}", wt))
                rows.append(_Row("het", span=_het_text(res, k), style="small"))
    if overall is not None:
        k = k_of(overall, range(n))
        rows.append(_Row("blank"))
        wt = "100.0%" if d["has_weight"] and any(math.isfinite(w) for w in d["weight"]) else ""
        rows.append(pooled(overall, f"Overall (k = {k})", "overall", wt))
        pl, ph = _f(getattr(overall, "pi_low", math.nan)), _f(getattr(overall, "pi_high", math.nan))
        if _finite(pl) and _finite(ph) and k > 1:      # k = 1 predicts nothing
            rows.append(_Row("pi", {"label": "Prediction interval", "effect": fmt_ci(pl, ph)},
                             pi=(pl, ph)))

    # Summary lines below the table, to the left of the x axis (as RevMan 5).
    summary = []
    if overall is not None:
        summary.append(_het_text(overall, k_of(overall, range(n))))
        p = _f(getattr(overall, "pvalue", math.nan))
        if _finite(p):
            summary.append(f"Test for overall effect: {_overall_test_text(overall)}{_fmt_p(p)}")
    if subgroup_test is not None:
        q, df, p = subgroup_test
        summary.append(f"Test for subgroup differences: Q = {_f(q):.2f}, df = {_fmt_df(df)}, "
                       f"{_fmt_p(_f(p))}")
    model_from = overall if overall is not None else (
        next(iter(subgroups.values())) if subgroups else None)
    if model_from is not None:
        summary.append(f"{_model_text(model_from)}; {level:g}% CI")
    return rows, summary


# ---------------------------------------------------------------------------------------------
# Axis range and ticks (on the scale of yi; log-scale plots use log-ratios internally).


def _half_range(d, rows, null):
    import numpy as np

    core = [d["yi"]]
    whiskers = [d["ci_low"], d["ci_high"]]
    for r in rows:
        if r.diamond:
            # the overall diamond is always shown whole; a subgroup's (often wide: k = 2 under
            # Hartung-Knapp) may run off the panel with an arrow like a study's interval
            if r.kind == "overall":
                core.append(np.array(r.diamond[:3], dtype=float))
            else:
                core.append(np.array(r.diamond[:1], dtype=float))
                whiskers.append(np.array(r.diamond[1:3], dtype=float))
        if r.pi:
            whiskers.append(np.array(r.pi, dtype=float))
    core = np.abs(np.concatenate(core) - null)
    core = core[np.isfinite(core)]
    wh = np.abs(np.concatenate(whiskers) - null)
    wh = wh[np.isfinite(wh)]
    h_core = core.max() if core.size else 0.0
    if wh.size:
        # show the confidence intervals, but let a few very wide ones run off with an arrow
        # rather than squash every other study into the middle of the panel
        typical = max(h_core, float(np.quantile(wh, 0.85)))
        h = max(h_core, float(wh[wh <= 2.0 * typical].max()))
    else:
        h = h_core
    return h if h > 0 else 1.0


def _linear_ticks(h, null):
    step = None
    for e in range(-6, 9):
        for m in (1, 2, 2.5, 5):
            s = m * 10.0 ** e
            if math.ceil(h / s - 1e-9) <= 3:
                step = s
                break
        if step:
            break
    step = step or h
    n = max(1, math.ceil(h / step - 1e-9))
    ticks = [null + i * step for i in range(-n, n + 1)]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step / 10 ** math.floor(
        math.log10(step)) == 2.5 else 0)
    labels = [_num(t, decimals) if decimals else _num(t, 0) for t in ticks]
    return ticks, labels, (null - n * step, null + n * step)


def _log_ticks(h, null):
    h = min(h, 690.0)                       # ratios up to 1e300: keep exp() finite
    limit = math.exp(h)
    tables = [(1.25, [0.8, 0.9, 1, 1.1, 1.25]), (1.5, [0.67, 0.8, 1, 1.25, 1.5]),
              (2, [0.5, 0.7, 1, 1.4, 2]), (4, [0.25, 0.5, 1, 2, 4]),
              (10, [0.1, 0.2, 0.5, 1, 2, 5, 10]), (20, [0.05, 0.2, 1, 5, 20]),
              (100, [0.01, 0.1, 1, 10, 100])]
    for lim, values in tables:
        if limit <= lim * (1 + 1e-9):
            break
    else:
        n = math.ceil(math.log10(limit) - 1e-9)
        every = math.ceil(n / 3)
        n = every * math.ceil(n / every)
        values = [10.0 ** p for p in range(-n, n + 1, every)]
        lim = 10.0 ** n
    ratios = [v * math.exp(null) for v in values]
    ticks = [math.log(v) for v in ratios]
    labels = [_fmt_tick(float(f"{v:.6g}")) for v in ratios]
    return ticks, labels, (null - math.log(lim), null + math.log(lim))


# ---------------------------------------------------------------------------------------------


def forest_plot(table, overall=None, subgroups=None, subgroup_test=None, *,
                xlabel="Standardised mean difference", favours=("Favours intervention", "Favours comparator"),
                log_scale=False, columns=None, footnotes=(), title=None, level=95,
                null_value=0.0, rob_columns=None):
    """Forest plot of study results and pooled estimates.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per study, in display order. Columns: ``label`` (e.g. "Younger 2013"), ``yi``,
        ``ci_low``, ``ci_high`` (on the analysis scale: log ratios when ``log_scale``), and
        optionally ``weight`` (percent of the overall weight; NaN for a study not pooled),
        ``group`` (subgroup name; blocks in order of first appearance), ``marker`` (footnote
        symbol set as a superscript after the label) and the columns named in ``columns`` and
        ``rob_columns``.
    overall : MetaResult, optional
        Pooled result (``estimate, ci_low, ci_high, pi_low, pi_high, tau2, i2, q, q_pvalue``,
        and ``k, method, test, pvalue`` when present). Drawn as a diamond, with the prediction
        interval as a bar in its own row, heterogeneity, test and method stated underneath.
    subgroups : dict of name -> MetaResult, optional
        One pooled result per subgroup, in display order: a diamond and a heterogeneity line
        under each block. A subgroup with k = 1 shows its study only.
    subgroup_test : (q, df, p), optional
        Test for subgroup differences, stated under the plot.
    xlabel : str
        Effect measure; heads the plot column (and names the estimate column: "SMD [95% CI]").
    favours : (str, str)
        Labels under the axis, left and right of the line of no effect.
    log_scale : bool
        For ratio measures: the inputs are log ratios, the axis and the numbers show ratios.
    columns : dict of column -> header, or list of columns, optional
        Extra text columns shown after the study label (e.g. ``{"n": "N", "dose": "Dose"}``).
    footnotes : sequence of str
        Lines under the plot (wrapped to the figure width), e.g. "a Derived from a crossover...".
    title : str, optional
        Bold title at the top (wrapped to the figure width).
    level : float
        Confidence level in percent (0.95 is read as 95, as metafor), for the headers.
    null_value : float
        Line of no effect, on the scale of ``yi`` (so 0 for log ratios: a ratio of 1).
    rob_columns : dict of column -> header, or list of columns, optional
        Risk-of-bias judgements ("low", "some concerns", "high", "moderate", "serious",
        "critical", "no information", "unclear"; empty for none) drawn as coloured dots with a
        symbol to the right of the plot. Headers longer than two characters are replaced by
        letters A, B, ... explained under the plot.

    Returns
    -------
    matplotlib.figure.Figure
        Sized from its content at 100 dpi; ``fig.savefig(path, dpi=...)`` to write it. The plot
        panel is ``fig.axes[0]`` (x in the units of ``yi``, one unit per row in y). Artists carry
        a ``gid`` ("label", "effect", "weight", "diamond:overall", "square", ...) that survives
        into SVG output.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import CircleCollection, LineCollection
    from .figure import ReviewFigure as Figure  # shows inline in Jupyter; show() never raises
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon, Rectangle

    from ._layout import TextMeasurer, wrap_to_width

    null = _f(null_value)
    if not math.isfinite(null):
        raise ValueError("forest_plot: null_value must be a finite number")
    if log_scale and null == 1.0:
        warnings.warn("forest_plot: with log_scale=True, null_value is on the log scale "
                      "(0 is a ratio of 1); null_value=1 puts the line at a ratio of 2.72",
                      stacklevel=2)
    if isinstance(footnotes, str):
        footnotes = (footnotes,)
    if favours is None:
        favours = ("", "")
    if len(favours) != 2:
        raise ValueError("forest_plot: favours must be two labels (left, right)")
    level = _f(level)
    if 0 < level < 1:                       # 0.95 means 95%, as in metafor
        level *= 100
    digits = 2

    def show(v):
        if not log_scale:
            return v
        return math.exp(v) if v < 700 else math.inf

    def fmt_ci(lo, hi):
        if not (_finite(lo) and _finite(hi)):
            return ""
        return f"[{_num(show(lo), digits)}, {_num(show(hi), digits)}]"

    def fmt_effect(y, lo, hi):
        if not _finite(y):
            return "Not estimable"
        ci = fmt_ci(lo, hi)
        return f"{_num(show(y), digits)} {ci}" if ci else _num(show(y), digits)

    d = _prepare_table(table, columns, rob_columns)
    rows, summary = _build_rows(d, overall, subgroups, subgroup_test, level, fmt_effect, fmt_ci)

    # ---- fonts and measuring --------------------------------------------------------------
    fig = Figure(figsize=(6, 4), dpi=DPI)
    FigureCanvasAgg(fig)
    fp = {
        "normal": FontProperties(family=FONT, size=SIZE_PT),
        "bold": FontProperties(family=FONT, size=SIZE_PT, weight="bold"),
        "small": FontProperties(family=FONT, size=SMALL_PT),
        "title": FontProperties(family=FONT, size=TITLE_PT, weight="bold"),
        "rob": FontProperties(family=FONT, size=ROB_SYMBOL_PT, weight="bold"),
    }
    m = TextMeasurer(fig)

    def width(text, style="normal"):
        return m.width(text, fp[style])

    # ---- columns ----------------------------------------------------------------------------
    measure_name = _ABBREV.get(str(xlabel).strip().lower(), "Estimate")
    cols = [_Column("label", "Study" if d["group"] is None else "Study or subgroup", "left")]
    for c, head in d["extra_headers"].items():
        cols.append(_Column("x:" + c, head, "right" if d["extra_numeric"][c] else "left"))
    if d["has_weight"]:
        cols.append(_Column("weight", "Weight", "right"))
    cols.append(_Column("effect", f"{measure_name} [{level:g}% CI]", "right"))
    for col in cols:
        ws = [width(col.header, "bold")]
        for r in rows:
            text = r.cells.get(col.key, "")
            if text:
                ws.append(width(text, "bold" if r.style == "bold" else "normal"))
        col.width = max(ws)
    left_w = sum(c.width for c in cols) + COLGAP * (len(cols) - 1)
    span_w = max([width(r.span, r.style) for r in rows if r.span] + [0.0])
    summary_w = max([width(s, "small") for s in summary] + [0.0])
    need = max(span_w, summary_w)
    if need > left_w:                      # widen the label column: spans never reach the plot
        cols[0].width += need - left_w
        left_w = need

    # ---- the plot panel: range, ticks and the width they need ---------------------------------
    h = _half_range(d, rows, null)
    ticks, tick_labels, xlim = (_log_ticks if log_scale else _linear_ticks)(h, null)
    span = xlim[1] - xlim[0]
    tick_w = [width(s, "small") for s in tick_labels]
    frac = [(t - xlim[0]) / span for t in ticks]
    panel_w = max(PANEL_MIN, width(str(xlabel), "bold"))
    for i in range(len(ticks) - 1):
        dfrac = frac[i + 1] - frac[i]
        if dfrac > 0:
            panel_w = max(panel_w, ((tick_w[i] + tick_w[i + 1]) / 2 + 0.1) / dfrac)
    fav_gap = 0.08
    null_frac = (null - xlim[0]) / span
    if favours[0]:
        panel_w = max(panel_w, (width(favours[0], "small") + fav_gap) / max(null_frac, 0.05))
    if favours[1]:
        panel_w = max(panel_w, (width(favours[1], "small") + fav_gap) / max(1 - null_frac, 0.05))
    # half a tick label may hang out of the panel on each side
    gap_left = max(COLGAP, tick_w[0] / 2 + COLGAP)
    gap_right = max(COLGAP, tick_w[-1] / 2 + 0.05)

    # ---- risk-of-bias columns ---------------------------------------------------------------
    rob_cols = list(d["rob_headers"])
    rob_heads = [d["rob_headers"][c] for c in rob_cols]
    rob_legend = []
    if rob_cols:
        if len(rob_cols) > 1 and any(len(h_) > 2 for h_ in rob_heads):
            letters = [chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i in range(len(rob_cols))]
            rob_legend.append("Risk of bias: " + "; ".join(
                f"({a}) {h_}" for a, h_ in zip(letters, rob_heads)))
            rob_heads = letters
        used = {v for c in rob_cols for v in d["rob"][c] if v}
        key = [f"{_ROB[k][2]} {_ROB[k][0]}" for k in _ROB if k in used]
        if key:
            rob_legend.append("Judgements: " + ", ".join(key))
    rob_w = [max(ROB_DOT, width(h_, "bold")) for h_ in rob_heads]

    # ---- horizontal positions ---------------------------------------------------------------
    x = MARGIN
    for col in cols:
        col.x0 = x
        x += col.width + COLGAP
    left_end = x - COLGAP
    panel_x0 = left_end + gap_left
    panel_x1 = panel_x0 + panel_w
    x = panel_x1 + (gap_right if not rob_cols else max(gap_right, COLGAP))
    rob_x = []
    for w_ in rob_w:
        rob_x.append(x + w_ / 2)
        x += w_ + ROBGAP
    right_end = (x - ROBGAP) if rob_cols else panel_x1 + gap_right - COLGAP / 2
    fig_w = max(right_end, panel_x1 + tick_w[-1] / 2) + MARGIN

    # full-width texts: title, risk-of-bias legend, footnotes (wrapped to the figure width)
    inner = fig_w - 2 * MARGIN
    title_lines = wrap_to_width(title, inner, lambda s: width(s, "title")) if title else []
    foot_lines = []
    for text in list(rob_legend) + [str(f) for f in footnotes if str(f).strip()]:
        foot_lines += wrap_to_width(text, inner, lambda s: width(s, "small"))
    widest = max([width(s, "title") for s in title_lines] +
                 [width(s, "small") for s in foot_lines] + [0.0])
    fig_w = max(fig_w, widest + 2 * MARGIN)

    # ---- vertical positions (inches from the top, turned round at the end) --------------------
    y = MARGIN
    title_base = []
    for _ in title_lines:
        y += 1.3 * TITLE_PT / 72
        title_base.append(y - 0.3 * TITLE_PT / 72)
    if title_lines:
        y += 0.06
    header_top = y
    y += ROW
    body_top = y
    n_rows = len(rows)
    body_bottom = body_top + n_rows * ROW
    tick_len = TICK_LEN_PT / 72
    tick_label_top = body_bottom + tick_len + 0.03
    small_h = 1.2 * SMALL_PT / 72
    fav_top = tick_label_top + small_h + 0.04
    axis_bottom = fav_top + (small_h if any(favours) else 0)
    summary_top = body_bottom + 0.04
    summary_bottom = summary_top + len(summary) * FOOT_LINE
    y = max(axis_bottom, summary_bottom) + 0.08
    foot_base = []
    for _ in foot_lines:
        y += FOOT_LINE
        foot_base.append(y - 0.32 * FOOT_LINE)
    fig_h = y + MARGIN

    fig.set_size_inches(fig_w, fig_h)
    inch = fig.dpi_scale_trans

    def Y(v):                                # from the top, in inches -> from the bottom
        return fig_h - v

    def text(xx, yy, s, style="normal", ha="left", gid=None, color=INK, **kw):
        if not s:
            return None
        return fig.text(xx, Y(yy), s, transform=inch, fontproperties=fp[style], ha=ha,
                        va="baseline", color=color, parse_math=False, gid=gid, **kw)

    def baseline(row_top, pt=SIZE_PT):       # baseline that centres capitals in the row
        return row_top + ROW / 2 + 0.36 * pt / 72

    # ---- texts ------------------------------------------------------------------------------
    for line, yb in zip(title_lines, title_base):
        text(MARGIN, yb, line, "title", gid="title")
    hb = baseline(header_top)
    for col in cols:
        xx = col.x0 if col.align == "left" else col.x0 + col.width
        text(xx, hb, col.header, "bold", ha=col.align, gid="header")
    text((panel_x0 + panel_x1) / 2, hb, str(xlabel), "bold", ha="center", gid="header")
    for cx, head in zip(rob_x, rob_heads):
        text(cx, hb, head, "bold", ha="center", gid="header")
    fig.add_artist(Line2D([MARGIN, fig_w - MARGIN], [Y(body_top)] * 2, transform=inch,
                          color=RULE, linewidth=0.6))

    gid_of = {"label": "label", "weight": "weight", "effect": "effect"}
    for i, r in enumerate(rows):
        top = body_top + i * ROW
        if r.span:
            style = r.style
            yb = baseline(top, SMALL_PT if style == "small" else SIZE_PT)
            text(MARGIN, yb, r.span, style, gid=r.kind, color=GREY if style == "small" else INK)
            continue
        yb = baseline(top)
        for col in cols:
            s = r.cells.get(col.key, "")
            style = "bold" if r.style == "bold" else "normal"
            xx = col.x0 if col.align == "left" else col.x0 + col.width
            base = gid_of.get(col.key, "column")
            gid = f"{base}" if r.kind == "study" else f"{r.kind}-{base}"
            text(xx, yb, s, style, ha=col.align, gid=gid)
    for j, s in enumerate(summary):
        text(MARGIN, summary_top + (j + 0.72) * FOOT_LINE, s, "small", gid="summary", color=INK)
    for line, yb in zip(foot_lines, foot_base):
        text(MARGIN, yb, line, "small", gid="footnote")

    # ---- risk-of-bias dots ---------------------------------------------------------------------
    if rob_cols:
        offs, sizes, colours = [], [], []
        for i, r in enumerate(rows):
            if r.kind != "study":
                continue
            yc = Y(body_top + (i + 0.5) * ROW)
            for c, cx in zip(rob_cols, rob_x):
                k = r.rob.get(c)
                if not k:
                    continue
                name, colour, symbol, sym_colour = _ROB[k]
                offs.append((cx, yc))
                sizes.append(math.pi * (ROB_DOT * 72 / 2) ** 2)
                colours.append(colour)
                fig.text(cx, yc, symbol, transform=inch, fontproperties=fp["rob"], ha="center",
                         va="center_baseline", color=sym_colour, parse_math=False,
                         gid="rob-symbol", zorder=3)
        if offs:
            dots = CircleCollection(sizes, offsets=offs, offset_transform=inch,
                                    facecolors=colours, edgecolors="#333333", linewidths=0.4,
                                    zorder=2)
            dots.set_gid("rob-dots")
            fig.add_artist(dots)

    # ---- the plot panel -----------------------------------------------------------------------
    ax = fig.add_axes((panel_x0 / fig_w, (fig_h - body_bottom) / fig_h,
                       panel_w / fig_w, n_rows * ROW / fig_h))
    ax.set_axis_off()
    ax.set_xlim(*xlim)
    ax.set_ylim(n_rows, 0)
    lo_x, hi_x = xlim

    if lo_x <= null <= hi_x:
        ax.add_line(Line2D([null, null], [0, n_rows], color=GREY, linewidth=0.8, zorder=1,
                           gid="null-line"))
    # x axis, ticks, tick labels, favours labels (drawn by hand: full control, no overlap)
    per_row = 1.0 / ROW                      # data y units per inch
    ax.add_line(Line2D([lo_x, hi_x], [n_rows, n_rows], color=INK, linewidth=0.8,
                       clip_on=False, gid="x-axis"))
    ax.add_collection(LineCollection(
        [[(t, n_rows), (t, n_rows + tick_len * per_row)] for t in ticks], colors=INK,
        linewidths=0.8, clip_on=False, gid="x-ticks"))
    yt = n_rows + (tick_label_top - body_bottom) * per_row
    for t, s in zip(ticks, tick_labels):
        ax.text(t, yt, s, fontproperties=fp["small"], ha="center", va="top", color=INK,
                clip_on=False, parse_math=False, gid="tick-label")
    yf = n_rows + (fav_top - body_bottom) * per_row
    gx = fav_gap * span / panel_w
    if favours[0]:
        ax.text(null - gx / 2, yf, str(favours[0]), fontproperties=fp["small"], ha="right",
                va="top", color=INK, clip_on=False, parse_math=False, gid="favours")
    if favours[1]:
        ax.text(null + gx / 2, yf, str(favours[1]), fontproperties=fp["small"], ha="left",
                va="top", color=INK, clip_on=False, parse_math=False, gid="favours")

    # study squares and confidence intervals, with arrows where an interval leaves the panel
    segs, arrows_l, arrows_r = [], [], []
    sq_x, sq_y, sq_s, sq_face = [], [], [], []
    weights = d["weight"]
    wmax = np.nanmax(weights) if np.any(np.isfinite(weights)) else math.nan
    for i, r in enumerate(rows):
        if r.kind != "study":
            continue
        s = r.study
        yc = i + 0.5
        yi, lo, hi = d["yi"][s], d["ci_low"][s], d["ci_high"][s]
        if math.isfinite(lo) and math.isfinite(hi):
            a, b = max(lo, lo_x), min(hi, hi_x)
            if a < b:
                segs.append([(a, yc), (b, yc)])
            if lo < lo_x:
                arrows_l.append((lo_x, yc))
            if hi > hi_x:
                arrows_r.append((hi_x, yc))
        if math.isfinite(yi) and lo_x <= yi <= hi_x:
            w = weights[s]
            if math.isfinite(w) and math.isfinite(wmax) and wmax > 0:
                side = max(SQUARE_MIN_PT, SQUARE_MAX_PT * math.sqrt(w / wmax))
                face = SQUARE
            else:
                side, face = SQUARE_MIN_PT + 1, "white"
            sq_x.append(yi)
            sq_y.append(yc)
            sq_s.append(side ** 2)
            sq_face.append(face)
    if segs:
        ax.add_collection(LineCollection(segs, colors=INK, linewidths=0.9, zorder=2,
                                         gid="study-ci"))
    if sq_x:
        ax.scatter(sq_x, sq_y, s=sq_s, marker="s", c=sq_face, edgecolors=SQUARE,
                   linewidths=0.6, zorder=3, gid="square")
    for pts, marker in ((arrows_l, "<"), (arrows_r, ">")):
        if pts:
            ax.add_line(Line2D([p[0] for p in pts], [p[1] for p in pts], linestyle="none",
                               marker=marker, markersize=4, color=INK, clip_on=False, zorder=3,
                               gid="arrow"))

    # pooled diamonds and the prediction interval
    for i, r in enumerate(rows):
        yc = i + 0.5
        if r.diamond:
            est, lo, hi, gid = r.diamond
            if all(math.isfinite(v) for v in (est, lo, hi)):
                poly = Polygon([(lo, yc), (est, yc - DIAMOND_HALF), (hi, yc),
                                (est, yc + DIAMOND_HALF)], closed=True,
                               facecolor=DIAMOND if gid == "overall" else "#7a7a7a",
                               edgecolor=DIAMOND, linewidth=0.6, zorder=3,
                               gid=f"diamond:{gid}")
                ax.add_patch(poly)             # clipped by the panel; vertices stay true
                for edge, beyond, marker in ((lo_x, lo < lo_x, "<"), (hi_x, hi > hi_x, ">")):
                    if beyond:
                        ax.add_line(Line2D([edge], [yc], marker=marker, markersize=4,
                                           color=DIAMOND, clip_on=False, gid="arrow"))
        if r.pi:
            pl, ph = r.pi
            a, b = max(pl, lo_x), min(ph, hi_x)
            ax.add_patch(Rectangle((a, yc - PI_HALF), b - a, 2 * PI_HALF, facecolor=PI_COLOUR,
                                   edgecolor="none", zorder=2, gid="prediction-interval"))
            if pl < lo_x:
                ax.add_line(Line2D([lo_x], [yc], marker="<", markersize=4, color=PI_COLOUR,
                                   clip_on=False, gid="arrow"))
            if ph > hi_x:
                ax.add_line(Line2D([hi_x], [yc], marker=">", markersize=4, color=PI_COLOUR,
                                   clip_on=False, gid="arrow"))
    return fig
