"""Forest plot of a meta-analysis, in the spirit of RevMan 5 and R meta's ``forest()``.

The plot draws what it is given and computes no statistics: study estimates and confidence
limits, weights, per-arm numbers, totals and pooled results all come in. It is built in three
steps: the content (:func:`_prepare_table`, :func:`_build_rows`: one :class:`Row` of texts and
marks per line of the table), the layout (:func:`ldn_evidence.plots._forest_layout.layout`:
every position, from the widths of the rendered texts, so no text overlaps another from one
study to hundreds), then the drawing (:func:`_draw_table`, :func:`_draw_rob`, :func:`_draw_axis`,
:func:`_draw_studies`, :func:`_draw_pooled`).

matplotlib is imported inside :func:`forest_plot`, never at module load, so that importing
``ldn_evidence`` (and starting the command line) stays fast. No pyplot state is used: the
figure is a :class:`ldn_evidence.plots._figure.ReviewFigure` on an Agg canvas, safe to build in
a thread, saved with embedded TrueType fonts.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from ..vocabulary import T_TESTS, normalize_test
from ._forest_layout import (FONT, FOOT_LINE, MARGIN, ROB, ROB_DOT, ROB_SYMBOL_PT, ROW, SIZE_PT, SMALL_PT, TICK_LEN_PT,
                             TITLE_PT, Row, _num, layout)
from ._layout import TextMeasurer

__all__ = ["forest_plot"]

DPI = 100
SQUARE_MAX_PT = 0.72 * ROW * 72
SQUARE_MIN_PT = 3.0
DIAMOND_HALF = 0.34            # half height of a diamond, in rows
PI_HALF = 0.14                 # half height of the prediction-interval bar, in rows

INK = "black"
GREY = "#555555"
RULE = "#9a9a9a"
SQUARE = "#2f5d8a"
DIAMOND = "black"
PI_COLOUR = "#b2182b"

_ROB = ROB
_ROB_ALIASES = {
    "low risk": "low", "low risk of bias": "low",
    "some concern": "some concerns", "unclear risk": "unclear", "unclear risk of bias": "unclear",
    "high risk": "high", "high risk of bias": "high",
    "ni": "no information", "no info": "no information",
}


_SUPERSCRIPT = dict(zip(
    "abcdefghijklmnoprstuvwxyz0123456789+-=()*",
    "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾*"))
_SUPERSCRIPT.update({"†": "†", "‡": "‡", "§": "§"})

_TEST_NAMES = {"knha": "Hartung-Knapp", "z": "Wald z", "t": "t distribution", "adhoc": "modified Hartung-Knapp"}
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
        parts.append(_TEST_NAMES.get(_test_code(test), str(test)))
    return ", ".join(parts)


def _test_code(test) -> str:
    """metafor's code of a test however it is spelled (hksj, HK ... are knha)."""
    try:
        return normalize_test(test)
    except ValueError:
        return str(test)


def _overall_test_text(res) -> str:
    """"t = -1.72, df = 3, " (Hartung-Knapp) or "z = -1.72, " when the statistic is known."""
    stat = _f(getattr(res, "zval", math.nan))
    if not _finite(stat):
        return ""
    df = _f(getattr(res, "df", math.nan))
    if _test_code(getattr(res, "test", "")) in T_TESTS and _finite(df):
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



# ---------------------------------------------------------------------------------------------
# The content of the plot, before any measuring: rows of cells and marks.


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
    return Row("study", cells, study=i, rob=rob)



# ---------------------------------------------------------------------------------------------
# Options, checked once


@dataclass
class _Options:
    xlabel: str
    favours: tuple
    log_scale: bool
    footnotes: tuple
    title: str | None
    level: float
    null: float
    column_groups: list
    totals: dict
    label_header: str | None = None
    digits: int = 2

    def show(self, v):
        if not self.log_scale:
            return v
        return math.exp(v) if v < 700 else math.inf

    def fmt_ci(self, lo, hi):
        if not (_finite(lo) and _finite(hi)):
            return ""
        return f"[{_num(self.show(lo), self.digits)}, {_num(self.show(hi), self.digits)}]"

    def fmt_effect(self, y, lo, hi):
        if not _finite(y):
            return "Not estimable"
        ci = self.fmt_ci(lo, hi)
        y = _num(self.show(y), self.digits)
        return f"{y} {ci}" if ci else y


def _totals_spec(totals) -> dict:
    """``{key: (cells of the pooled row, [(label, cells), ...] rows under it)}``."""
    out = {}
    for key, spec in dict(totals or {}).items():
        if isinstance(spec, Mapping):
            first, more = spec, []
        else:
            spec = list(spec)
            first, more = (spec[0] if spec else {}), spec[1:]
            for item in more:
                if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], Mapping)):
                    raise ValueError(f"forest_plot: totals[{key!r}]: rows under the pooled row are "
                                     "(label, {column: text}) pairs")
        out[_one_line(key)] = ({str(c): _one_line(v) for c, v in first.items()},
                               [(str(lab), {str(c): _one_line(v) for c, v in cells.items()}) for lab, cells in more])
    return out


def _options(xlabel, favours, log_scale, footnotes, title, level, null_value, column_groups, totals,
             label_header=None):
    null = _f(null_value)
    if not math.isfinite(null):
        raise ValueError("forest_plot: null_value must be a finite number")
    if log_scale and null == 1.0:
        warnings.warn("forest_plot: with log_scale=True, null_value is on the log scale "
                      "(0 is a ratio of 1); null_value=1 puts the line at a ratio of 2.72",
                      stacklevel=3)
    if isinstance(footnotes, str):
        footnotes = (footnotes,)
    if favours is None:
        favours = ("", "")
    if len(favours) != 2:
        raise ValueError("forest_plot: favours must be two labels (left, right)")
    level = _f(level)
    if 0 < level < 1:                       # 0.95 means 95%, as in metafor
        level *= 100
    groups = []
    for item in column_groups or ():
        try:
            title_, members = item
        except (TypeError, ValueError):
            raise ValueError("forest_plot: column_groups are (header, [columns]) pairs") from None
        groups.append((str(title_), [str(m) for m in ([members] if isinstance(members, str) else members)]))
    return _Options(xlabel=str(xlabel), favours=tuple("" if f is None else str(f) for f in favours),
                    log_scale=bool(log_scale), footnotes=tuple(footnotes), title=title, level=level,
                    null=null, column_groups=groups, totals=_totals_spec(totals),
                    label_header=None if label_header is None else str(label_header))


def _check_columns(opts, d):
    """Spanning headers over adjacent columns, totals in columns of the table."""
    order = list(d["extra_headers"])
    for title_, members in opts.column_groups:
        missing = [m for m in members if m not in order]
        if missing or not members:
            raise ValueError(f"forest_plot: column group {title_!r} names columns not in `columns`: "
                             f"{', '.join(missing) or '(none)'}")
        idx = [order.index(m) for m in members]
        if idx != list(range(idx[0], idx[0] + len(idx))):
            raise ValueError(f"forest_plot: the columns of group {title_!r} must be adjacent and in order")
    groups = {_one_line(g) for g in (d["group"] or []) if g is not None}
    for key, (first, more) in opts.totals.items():
        if key != "overall" and key not in groups:
            raise ValueError(f"forest_plot: totals for {key!r}, which is neither 'overall' nor a group")
        for cells in [first] + [c for _, c in more]:
            bad = [c for c in cells if c not in order]
            if bad:
                raise ValueError(f"forest_plot: totals name columns not in `columns`: {', '.join(bad)}")


# ---------------------------------------------------------------------------------------------
# rows


def _pooled_rows(res, label, gid, weight_text, opts, total_key):
    """The bold pooled row (diamond) of a block, with its totals and the rows of totals under it."""
    est, lo, hi = (_f(getattr(res, a, math.nan)) for a in ("estimate", "ci_low", "ci_high"))
    cells = {"label": label, "weight": weight_text, "effect": opts.fmt_effect(est, lo, hi)}
    first, more = opts.totals.get(total_key, ({}, []))
    cells.update({"x:" + c: v for c, v in first.items()})
    rows = [Row("overall" if gid == "overall" else "subtotal", cells, style="bold", diamond=(est, lo, hi, gid))]
    for lab, extra in more:
        rows.append(Row("total", {"label": lab, **{"x:" + c: v for c, v in extra.items()}}))
    return rows


def _k_of(d, res, idx):
    k = getattr(res, "k", None)
    if k is None:
        k = sum(1 for i in idx if math.isfinite(d["yi"][i]))
    return int(k)


def _group_rows(d, subgroups, opts):
    """The studies block by block: group name, studies, subtotal, heterogeneity."""
    extra = list(d["extra"])
    n = len(d["label"])
    rows = []
    order, results = _block_order(d["group"], subgroups)
    for b, g in enumerate(order):
        idx = [i for i in range(n) if d["group"][i] == g]
        if b:
            rows.append(Row("blank"))
        rows.append(Row("group", span="Not grouped" if g is None else _one_line(g), style="bold"))
        rows += [_study_row(d, i, extra, opts.fmt_effect) for i in idx]
        res = results.get(g)
        if res is not None and _k_of(d, res, idx) > 1:
            k = _k_of(d, res, idx)
            ws = [d["weight"][i] for i in idx if math.isfinite(d["weight"][i])]
            wt = f"{sum(ws):.1f}%" if ws and d["has_weight"] else ""
            rows += _pooled_rows(res, f"Subtotal (k = {k})", f"subgroup:{_one_line(g)}", wt, opts,
                                 None if g is None else _one_line(g))
            rows.append(Row("het", span=_het_text(res, k), style="small"))
    return rows


def _summary_lines(d, overall, subgroups, subgroup_test, opts):
    """Lines below the table, to the left of the x axis (as RevMan 5)."""
    n = len(d["label"])
    summary = []
    if overall is not None:
        summary.append(_het_text(overall, _k_of(d, overall, range(n))))
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
        summary.append(f"{_model_text(model_from)}; {opts.level:g}% CI")
    return summary


def _build_rows(d, overall, subgroups, subgroup_test, opts):
    n = len(d["label"])
    if d["group"] is None:
        if subgroups:
            raise ValueError("forest_plot: subgroups given but the table has no 'group' column")
        rows = [_study_row(d, i, list(d["extra"]), opts.fmt_effect) for i in range(n)]
    else:
        rows = _group_rows(d, subgroups, opts)
    if overall is not None:
        k = _k_of(d, overall, range(n))
        rows.append(Row("blank"))
        wt = "100.0%" if d["has_weight"] and any(math.isfinite(w) for w in d["weight"]) else ""
        rows += _pooled_rows(overall, f"Overall (k = {k})", "overall", wt, opts, "overall")
        pl, ph = _f(getattr(overall, "pi_low", math.nan)), _f(getattr(overall, "pi_high", math.nan))
        if _finite(pl) and _finite(ph) and k > 1:      # k = 1 predicts nothing
            rows.append(Row("pi", {"label": "Prediction interval", "effect": opts.fmt_ci(pl, ph)},
                            pi=(pl, ph)))
    return rows, _summary_lines(d, overall, subgroups, subgroup_test, opts)


# ---------------------------------------------------------------------------------------------
# drawing


def _fonts():
    from matplotlib.font_manager import FontProperties

    return {
        "normal": FontProperties(family=FONT, size=SIZE_PT),
        "bold": FontProperties(family=FONT, size=SIZE_PT, weight="bold"),
        "small": FontProperties(family=FONT, size=SMALL_PT),
        "title": FontProperties(family=FONT, size=TITLE_PT, weight="bold"),
        "rob": FontProperties(family=FONT, size=ROB_SYMBOL_PT, weight="bold"),
    }


class _Pen:
    """Figure-level text in inches from the top-left corner."""

    def __init__(self, fig, fonts, fig_h):
        self.fig, self.fp, self.fig_h = fig, fonts, fig_h
        self.inch = fig.dpi_scale_trans

    def y(self, v):                          # from the top, in inches -> from the bottom
        return self.fig_h - v

    def text(self, x, y, s, style="normal", ha="left", gid=None, color=INK):
        if not s:
            return None
        return self.fig.text(x, self.y(y), s, transform=self.inch, fontproperties=self.fp[style], ha=ha,
                             va="baseline", color=color, parse_math=False, gid=gid)

    def rule(self, x0, x1, y, width=0.6, gid=None):
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D([x0, x1], [self.y(y)] * 2, transform=self.inch, color=RULE, linewidth=width,
                                   gid=gid))

    @staticmethod
    def baseline(row_top, pt=SIZE_PT):       # baseline that centres capitals in the row
        return row_top + ROW / 2 + 0.36 * pt / 72


def _draw_table(pen, L, rows, summary, opts):
    """Title, spanning headers, headers, the rows' texts, summary lines and footnotes."""
    for line, yb in zip(L.title_lines, L.title_base):
        pen.text(MARGIN, yb, line, "title", gid="title")
    if L.group_header_top is not None:
        for title_, x0, x1 in L.groups:
            pen.text((x0 + x1) / 2, pen.baseline(L.group_header_top), title_, "bold", ha="center",
                     gid="column-group")
            pen.rule(x0, x1, L.group_header_top + ROW - 0.03, width=0.5, gid="column-group-rule")
    hb = pen.baseline(L.header_top)
    for col in L.cols:
        pen.text(col.anchor, hb, col.header, "bold", ha=col.align, gid="header")
    pen.text((L.panel_x0 + L.panel_x1) / 2, hb, opts.xlabel, "bold", ha="center", gid="header")
    for cx, head in zip(L.rob_x, L.rob_heads):
        pen.text(cx, hb, head, "bold", ha="center", gid="header")
    pen.rule(MARGIN, L.fig_w - MARGIN, L.body_top)
    gid_of = {"label": "label", "weight": "weight", "effect": "effect"}
    for i, r in enumerate(rows):
        top = L.body_top + i * ROW
        if r.span:
            small = r.style == "small"
            pen.text(MARGIN, pen.baseline(top, SMALL_PT if small else SIZE_PT), r.span, r.style, gid=r.kind,
                     color=GREY if small else INK)
            continue
        yb = pen.baseline(top)
        style = "bold" if r.style == "bold" else "normal"
        for col in L.cols:
            base = gid_of.get(col.key, "column")
            pen.text(col.anchor, yb, r.cells.get(col.key, ""), style, ha=col.align,
                     gid=base if r.kind == "study" else f"{r.kind}-{base}")
    for j, s in enumerate(summary):
        pen.text(MARGIN, L.summary_top + (j + 0.72) * FOOT_LINE, s, "small", gid="summary")
    for line, yb in zip(L.foot_lines, L.foot_base):
        pen.text(MARGIN, yb, line, "small", gid="footnote")


def _draw_rob(pen, L, rows):
    """Risk-of-bias dots with their symbols, right of the panel."""
    from matplotlib.collections import CircleCollection

    if not L.rob_cols:
        return
    offs, sizes, colours = [], [], []
    for i, r in enumerate(rows):
        if r.kind != "study":
            continue
        yc = pen.y(L.body_top + (i + 0.5) * ROW)
        for c, cx in zip(L.rob_cols, L.rob_x):
            k = r.rob.get(c)
            if not k:
                continue
            name, colour, symbol, sym_colour = _ROB[k]
            offs.append((cx, yc))
            sizes.append(math.pi * (ROB_DOT * 72 / 2) ** 2)
            colours.append(colour)
            pen.fig.text(cx, yc, symbol, transform=pen.inch, fontproperties=pen.fp["rob"], ha="center",
                         va="center_baseline", color=sym_colour, parse_math=False, gid="rob-symbol", zorder=3)
    if offs:
        dots = CircleCollection(sizes, offsets=offs, offset_transform=pen.inch, facecolors=colours,
                                edgecolors="#333333", linewidths=0.4, zorder=2)
        dots.set_gid("rob-dots")
        pen.fig.add_artist(dots)


def _draw_axis(ax, L, opts, fp):
    """Null line, x axis, ticks and tick labels, and each "Favours" label centred under its half
    of the axis (drawn by hand: full control, no overlap)."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    n_rows = L.n_rows
    lo_x, hi_x = L.xlim
    if lo_x <= opts.null <= hi_x:
        ax.add_line(Line2D([opts.null, opts.null], [0, n_rows], color=GREY, linewidth=0.8, zorder=1,
                           gid="null-line"))
    per_row = 1.0 / ROW                      # data y units per inch
    tick_len = TICK_LEN_PT / 72
    ax.add_line(Line2D([lo_x, hi_x], [n_rows, n_rows], color=INK, linewidth=0.8, clip_on=False, gid="x-axis"))
    ax.add_collection(LineCollection(
        [[(t, n_rows), (t, n_rows + tick_len * per_row)] for t in L.ticks], colors=INK,
        linewidths=0.8, clip_on=False, gid="x-ticks"))
    yt = n_rows + (L.tick_label_top - L.body_bottom) * per_row
    for t, s in zip(L.ticks, L.tick_labels):
        ax.text(t, yt, s, fontproperties=fp["small"], ha="center", va="top", color=INK,
                clip_on=False, parse_math=False, gid="tick-label")
    yf = n_rows + (L.fav_top - L.body_bottom) * per_row
    for x, label in zip(L.favours_x, opts.favours):
        if label:
            ax.text(x, yf, label, fontproperties=fp["small"], ha="center", va="top", color=INK,
                    clip_on=False, parse_math=False, gid="favours")


def _draw_studies(ax, L, d, rows):
    """Study squares (area proportional to weight) and confidence intervals, with arrows where
    an interval leaves the panel."""
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    lo_x, hi_x = L.xlim
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
                side, face = max(SQUARE_MIN_PT, SQUARE_MAX_PT * math.sqrt(w / wmax)), SQUARE
            else:
                side, face = SQUARE_MIN_PT + 1, "white"
            sq_x.append(yi)
            sq_y.append(yc)
            sq_s.append(side ** 2)
            sq_face.append(face)
    if segs:
        ax.add_collection(LineCollection(segs, colors=INK, linewidths=0.9, zorder=2, gid="study-ci"))
    if sq_x:
        ax.scatter(sq_x, sq_y, s=sq_s, marker="s", c=sq_face, edgecolors=SQUARE, linewidths=0.6, zorder=3,
                   gid="square")
    for pts, marker in ((arrows_l, "<"), (arrows_r, ">")):
        if pts:
            ax.add_line(Line2D([p[0] for p in pts], [p[1] for p in pts], linestyle="none", marker=marker,
                               markersize=4, color=INK, clip_on=False, zorder=3, gid="arrow"))


def _draw_pooled(ax, L, rows):
    """Pooled diamonds (true vertices, clipped by the panel, arrows where they run off) and the
    prediction interval bar."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon, Rectangle

    lo_x, hi_x = L.xlim
    for i, r in enumerate(rows):
        yc = i + 0.5
        if r.diamond:
            est, lo, hi, gid = r.diamond
            if all(math.isfinite(v) for v in (est, lo, hi)):
                ax.add_patch(Polygon([(lo, yc), (est, yc - DIAMOND_HALF), (hi, yc), (est, yc + DIAMOND_HALF)],
                                     closed=True, facecolor=DIAMOND if gid == "overall" else "#7a7a7a",
                                     edgecolor=DIAMOND, linewidth=0.6, zorder=3, gid=f"diamond:{gid}"))
                for edge, beyond, marker in ((lo_x, lo < lo_x, "<"), (hi_x, hi > hi_x, ">")):
                    if beyond:
                        ax.add_line(Line2D([edge], [yc], marker=marker, markersize=4, color=DIAMOND,
                                           clip_on=False, gid="arrow"))
        if r.pi:
            pl, ph = r.pi
            a, b = max(pl, lo_x), min(ph, hi_x)
            ax.add_patch(Rectangle((a, yc - PI_HALF), b - a, 2 * PI_HALF, facecolor=PI_COLOUR,
                                   edgecolor="none", zorder=2, gid="prediction-interval"))
            for edge, beyond, marker in ((lo_x, pl < lo_x, "<"), (hi_x, ph > hi_x, ">")):
                if beyond:
                    ax.add_line(Line2D([edge], [yc], marker=marker, markersize=4, color=PI_COLOUR,
                                       clip_on=False, gid="arrow"))


# ---------------------------------------------------------------------------------------------


def forest_plot(table, overall=None, subgroups=None, subgroup_test=None, *,
                xlabel="Standardised mean difference", favours=("Favours intervention", "Favours comparator"),
                log_scale=False, columns=None, footnotes=(), title=None, level=95,
                null_value=0.0, rob_columns=None, column_groups=None, totals=None, label_header=None):
    """Forest plot of study results and pooled estimates.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per study, in display order. Columns: ``label`` (e.g. "Younger 2013"), ``yi``,
        ``ci_low``, ``ci_high`` (on the analysis scale: log ratios when ``log_scale``), and
        optionally ``weight`` (percent of the overall weight; NaN for a study not pooled),
        ``group`` (subgroup name; blocks in order of first appearance), ``marker`` (footnote
        symbol set as a superscript after the label) and the columns named in ``columns`` and
        ``rob_columns``. A mapping of equal-length lists or a list of row mappings also works.
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
        Labels under the axis, each centred under its half (left and right of the line of no
        effect).
    log_scale : bool
        For ratio measures: the inputs are log ratios, the axis and the numbers show ratios.
    columns : dict of column -> header, or list of columns, optional
        Extra text columns shown after the study label (e.g. ``{"n": "N", "dose": "Dose"}``);
        numbers are right-aligned.
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
    column_groups : sequence of (header, [columns]), optional
        Headers spanning adjacent columns of ``columns``, as RevMan's arm headers over
        "Events Total" or "Mean SD Total": ``[("Vaccine", ["e1", "n1"]), ("Control", ["e2", "n2"])]``.
    totals : dict, optional
        Texts for the pooled rows, keyed ``"overall"`` or by a group's name: a dict of column ->
        text (e.g. the total N of each arm), or a list whose first item is that dict and whose
        further items are ``(label, {column: text})`` rows drawn under the pooled row (RevMan's
        "Total events").
    label_header : str, optional
        Header of the label column [default: "Study", or "Study or subgroup" with groups].

    Returns
    -------
    matplotlib.figure.Figure
        Sized from its content at 100 dpi; ``fig.savefig(path, dpi=...)`` to write it (PDF with
        TrueType fonts, SVG with text as text). The plot panel is ``fig.axes[0]`` (x in the
        units of ``yi``, one unit per row in y). Artists carry a ``gid`` ("label", "effect",
        "weight", "diamond:overall", "square", "favours", ...) that survives into SVG output.

    Examples
    --------
    >>> fig = forest_plot({"label": ["A", "B"], "yi": [-0.3, 0.1], "ci_low": [-0.7, -0.4],
    ...                    "ci_high": [0.1, 0.6]}, xlabel="Mean difference")
    >>> [t.get_text() for t in fig.texts if t.get_gid() == "effect"]
    ['-0.30 [-0.70, 0.10]', '0.10 [-0.40, 0.60]']
    """
    from ._figure import new_figure

    opts = _options(xlabel, favours, log_scale, footnotes, title, level, null_value, column_groups, totals,
                    label_header)
    d = _prepare_table(table, columns, rob_columns)
    _check_columns(opts, d)
    rows, summary = _build_rows(d, overall, subgroups, subgroup_test, opts)
    fig = new_figure((6, 4), dpi=DPI)
    fp = _fonts()
    measurer = TextMeasurer(fig)
    L = layout(d, rows, summary, opts, lambda text, style="normal": measurer.width(text, fp[style]))
    fig.set_size_inches(L.fig_w, L.fig_h)
    pen = _Pen(fig, fp, L.fig_h)
    _draw_table(pen, L, rows, summary, opts)
    _draw_rob(pen, L, rows)
    ax = fig.add_axes((L.panel_x0 / L.fig_w, (L.fig_h - L.body_bottom) / L.fig_h,
                       L.panel_w / L.fig_w, L.n_rows * ROW / L.fig_h))
    ax.set_axis_off()
    ax.set_xlim(*L.xlim)
    ax.set_ylim(L.n_rows, 0)
    _draw_axis(ax, L, opts, fp)
    _draw_studies(ax, L, d, rows)
    _draw_pooled(ax, L, rows)
    return fig
