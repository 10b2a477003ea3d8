"""An analysis of one outcome of a review: what was pooled, how, the results, and its figures.

:class:`Analysis` is what :meth:`ldn_evidence.review.Review.analyse` returns. It prints every
setting with its result, tabulates (``table``, ``not_pooled``, ``summary_frame``), serialises
(``to_dict``: plain JSON, no NaN) and draws itself (``forest``).

Examples
--------
>>> import ldn_evidence as le
>>> a = le.load_studies().analyse("pain")
>>> a.k, a.measure
(3, 'SMD')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .._format import fmt_p, integer_columns, is_missing, json_safe, wrap_words
from .._html import details, escape, interval, table
from .._version import provenance
from ..records import default_protocol
from ..vocabulary import (BINARY_MEASURES, MEASURE_LABELS, METHOD_SHORT, RATIO_MEASURES, T_TESTS, TEST_SHORT,
                          rob_domain_name, rob_domains)
from .outcomes import favours, outcome_title

__all__ = ["Analysis", "summary_with_settings", "honesty_notes", "EFFECT_COLUMNS", "SUMMARY_COLUMNS", "shown", "path_stem", "rob_domain_columns"]


EFFECT_COLUMNS = (
    "study", "label", "year", "design", "design_short", "group", "line_of_therapy", "randomized", "blinding",
    "n", "dose", "outcome", "instrument", "timepoint", "measure", "yi", "vi", "sei", "ci_low", "ci_high", "path",
    "derivation", "assumptions", "uses_r", "r", "source", "source_kind", "secondary", "rob_overall", "rob_tool",
    "included", "reason")


#: width of the group-name column of the printed table (longer names wrap between words)
_GROUP_WIDTH = 24


def shown(measure: str, *values: float) -> tuple[float, ...]:
    """Values as a reader sees them: ratios exponentiated from the log scale."""
    if measure in RATIO_MEASURES:
        return tuple(math.exp(v) if v == v else v for v in values)
    return values


@dataclass
class Analysis:
    """A meta-analysis of one outcome of the review: what was pooled, how, and the results.

    ``table`` has one row per pooled study (effect, CI, weight, derivation, source);
    ``not_pooled`` lists the studies that report the outcome but could not contribute, with
    the reason; ``overall`` and ``subgroups`` are :class:`ldn_evidence.models.MetaResult`.
    """

    outcome: str
    measure: str
    method: str
    test: str
    level: float
    r: float
    by: str
    exclude: tuple
    rows: list
    not_pooled_rows: list
    overall: Any
    subgroups: dict
    subgroup_test: tuple | None
    notes: list = field(default_factory=list)
    scale: str | None = None
    #: the review's protocol (titles, "Favours ..." labels); None: the bundled review's
    protocol: Any = field(default=None, repr=False, compare=False)
    #: the Review it came from (its file hash goes into figures and JSON)
    review: Any = field(default=None, repr=False, compare=False)
    #: SMDs of change scores and of final values pooled together on request (Handbook 10.5.2)
    combined_change_final: bool = False

    #: the model (``freq``; :class:`ldn_evidence.review.bayes_analysis.BayesAnalysis` is ``bayes``)
    model = "freq"

    @property
    def knha_narrower_than_z(self) -> bool:
        """Whether the overall Hartung-Knapp interval is narrower than the Wald z interval (then
        the printed result, the JSON and the forest plot say so; Jackson et al. 2017)."""
        return bool(getattr(self.overall, "knha_narrower_than_z", False))

    @property
    def file_hash(self) -> str | None:
        """SHA-256 of the studies file the analysis was run on (None when not read from a file)."""
        return None if self.review is None else self.review.file_hash

    @property
    def k(self) -> int:
        return 0 if self.overall is None else self.overall.k

    @property
    def table(self):
        """The pooled studies as a DataFrame: effect, CI, weight (%), group, derivation, source."""
        import pandas as pd  # pandas only where a DataFrame is asked for

        return pd.DataFrame(self.rows, columns=list(EFFECT_COLUMNS) + ["weight"])

    @property
    def not_pooled(self):
        """Studies that report the outcome but are not pooled, with the reason (DataFrame)."""
        import pandas as pd  # pandas only where a DataFrame is asked for

        return pd.DataFrame(self.not_pooled_rows, columns=list(EFFECT_COLUMNS))

    @property
    def settings(self) -> str:
        """The analysis choices in one line (printed with every result)."""
        test = TEST_SHORT.get(self.test, self.test)
        parts = [f"random effects, {METHOD_SHORT.get(self.method, self.method)} tau²" if self.method not in
                 ("EE", "FE") else "equal effects", f"{test} CI", "Q-profile tau² CI",
                 "prediction interval" if self.method not in ("EE", "FE") else "no prediction interval",
                 f"{self.level:g}% level"]
        if any(row["uses_r"] for row in self.rows):
            parts.append(f"r = {self.r:g}")
        return ", ".join(parts)

    @property
    def xlabel(self) -> str:
        if self.measure == "MD" and self.scale:
            return f"Mean difference ({self.scale} scale)"
        return MEASURE_LABELS[self.measure]

    def one_line(self) -> str:
        """E.g. ``pain, SMD: -0.16 [-0.50, 0.18], k = 4, I² = 12%; PI [-0.9, 0.6]``."""
        if self.overall is None:
            return f"{self.outcome}, {self.measure}: no poolable studies"
        o = self.overall
        est, lo, hi, pl, ph = shown(self.measure, o.estimate, o.ci_low, o.ci_high, o.pi_low, o.pi_high)
        pi = "" if math.isnan(o.pi_low) else f"; PI [{pl:.2f}, {ph:.2f}]"
        return (f"{self.outcome}, {self.measure}: {est:.2f} [{lo:.2f}, {hi:.2f}], "
                f"p = {fmt_p(o.pvalue, 'short')}, k = {o.k}, tau² = {o.tau2:.3f}, I² = {o.i2:.0f}%{pi}")

    def summary_rows(self) -> list[dict]:
        """:meth:`summary_frame` as a list of plain dicts (a single subgroup is the overall row)."""
        subgroups = self.subgroups if len(self.subgroups) > 1 else {}
        rows = [_row(name, res, self.measure) for name, res in subgroups.items()]
        if self.overall is not None:
            rows.append(_row("Overall", self.overall, self.measure))
        return rows

    def summary_frame(self):
        """One row per subgroup and one for all studies: k, estimate, CI, PI, p, tau², I², Q."""
        rows = self.summary_rows()
        import pandas as pd  # pandas only where a DataFrame is asked for

        frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else list(SUMMARY_COLUMNS))
        frame.attrs.update(outcome=self.outcome, measure=self.measure, settings=self.settings)
        return frame

    def to_frame(self):
        """The result protocol's table: :meth:`summary_frame` (one row per subgroup and overall)."""
        return self.summary_frame()

    def summary(self) -> str:
        """The result protocol's text: what ``print()`` shows."""
        return str(self)

    def to_dict(self) -> dict:
        """Plain-JSON description: settings, pooled results, studies and those not pooled."""
        def records(rows, cols):
            return [{c: json_safe(row.get(c)) for c in cols} for row in rows]

        out = {
            "model": self.model,
            "outcome": self.outcome, "measure": self.measure, "method": self.method, "test": self.test,
            "level": self.level, "r": self.r, "by": self.by, "exclude": list(self.exclude),
            "settings": self.settings, "notes": list(self.notes),
            "knha_narrower_than_z": self.knha_narrower_than_z, "combined_change_final": self.combined_change_final,
            "results": [{c: json_safe(v) for c, v in row.items()} for row in self.summary_rows()],
            "subgroup_test": None if self.subgroup_test is None else dict(
                zip(("q", "df", "pvalue"), (json_safe(x) for x in self.subgroup_test))),
            "studies": records(self.rows, ["study", "label", "group", "design", "n", "yi", "vi", "ci_low",
                                            "ci_high", "weight", "path", "derivation", "assumptions", "source",
                                           "source_kind"]),
            "not_pooled": records(self.not_pooled_rows, ["study", "label", "design", "reason"]),
            "provenance": provenance(self.file_hash),
        }
        return out

    def forest(self, **kwargs):
        """Forest plot (a matplotlib Figure): studies by subgroup with per-arm numbers, subgroup
        and overall diamonds with totals, prediction interval, test for subgroup differences,
        derivation footnotes (letters that mean the same in every figure of the review). The
        figure carries the studies file's SHA-256 in its metadata.

        Keyword arguments are passed to :func:`ldn_evidence.plots.forest.forest_plot`
        (``arm_labels=(intervention, comparator)`` names the per-arm column groups).
        """
        from ..plots._figure import stamp
        from ..plots.forest import forest_plot  # matplotlib: imported when a figure is asked for

        args, kw = self.forest_args(**kwargs)
        return stamp(forest_plot(*args, **kw), self.file_hash)

    def forest_args(self, **kwargs) -> tuple[tuple, dict]:
        """The arguments :meth:`forest` passes to :func:`ldn_evidence.plots.forest.forest_plot`
        (plain, picklable data: the command line hands them to its plotting process)."""
        arm_labels = kwargs.pop("arm_labels", None)
        rows = [dict(row) for row in self.rows]
        footnotes = self._derivation_footnotes(rows)
        for row in rows:
            row["n"] = None if row["n"] is None else int(row["n"])
        if any(row["secondary"] for row in rows):
            footnotes.append("* uses numbers from a secondary report or conference abstract")
        if self.not_pooled_rows:
            names = ", ".join(f"{row['label']} ({_short_reason(row['reason'])})" for row in self.not_pooled_rows)
            footnotes.append(f"Not pooled: {names}")
        footnotes += [c[:1].upper() + c[1:] for c in self.caveats()]
        controlled = bool({row["group"] for row in rows} - {"Single-arm pre-post"})
        labels = favours(self.outcome, controlled, self.protocol)
        arm_cols, groups = _arm_columns(rows, self.measure in BINARY_MEASURES, arm_labels or self._arm_labels())
        columns = {"design_short": "Design", **arm_cols, "n": "N", "dose": "Dose"}
        if not any(row.get("dose") for row in rows):  # a review whose studies give no doses
            del columns["dose"]
        cols = ["label", "yi", "ci_low", "ci_high", "weight", "group", "marker", "rob_overall"] + list(columns)
        table = {c: [row.get(c) for row in rows] for c in cols}
        rob_columns = {"rob_overall": "RoB"} if any(row["rob_overall"] for row in rows) else None
        domains = rob_domain_columns(rows)
        if domains is not None:
            rob_columns, extra, note = domains
            table.update(extra)
            footnotes.append(note)
        title = kwargs.pop("title", self._title())
        subgroups = self.subgroups if len(self.subgroups) > 1 else None
        kw = dict(xlabel=self.xlabel, favours=labels, columns=columns, footnotes=footnotes, title=title,
                  level=self.level, rob_columns=rob_columns, log_scale=self.measure in RATIO_MEASURES,
                  column_groups=groups or None, totals=_totals(rows, list(arm_cols), subgroups is not None))
        kw.update(kwargs)
        return (table, self.overall, subgroups, self.subgroup_test), kw

    def _derivation_footnotes(self, rows: list[dict]) -> list[str]:
        """Set each row's footnote marker; one footnote per letter. The letters are the review's
        (:meth:`Review.derivation_letters`): a letter means the same path in every figure."""
        legend = dict(self.review.derivation_letters()) if self.review is not None else {}
        seen: dict[str, list[str]] = {}
        for row in rows:
            stem = path_stem(row["path"])
            if stem not in legend:       # a path the review's own effects do not use: next letter
                legend[stem] = _next_letter(legend)
            paths = seen.setdefault(legend[stem], [])
            if row["path"] not in paths:
                paths.append(row["path"])
            row["marker"] = legend[stem] + ("*" if row["secondary"] else "")
        return [f"{letter} {'; '.join(paths)}" for letter, paths in sorted(seen.items(), key=lambda kv: (len(kv[0]),
                                                                                                       kv[0]))]

    def caveats(self) -> list[str]:
        """What a reader of the figure must know about the pooled interval's method."""
        return honesty_notes(self.measure, self.overall, self.combined_change_final)

    def _protocol(self):
        return self.protocol or default_protocol()

    def _title(self) -> str:
        """``<intervention>: <outcome>`` as the protocol names them."""
        return self._protocol().title(self.outcome)

    def _arm_labels(self) -> tuple[str, str]:
        """The forest's arm-column headers: the protocol's intervention and first comparator labels."""
        p = self._protocol()
        labels = (p.intervention.label, p.comparators[0].label if p.comparators else "control")
        return tuple(s[:1].upper() + s[1:] for s in labels)  # headers: "Placebo" of "Favours placebo"

    def __str__(self) -> str:
        lines = [f"Meta-analysis of {self.outcome} ({self.measure}) — {self.settings}"]
        if self.overall is None:
            lines.append("  no poolable studies")
        else:
            lines += self._text_table()
            if self.measure in RATIO_MEASURES:
                lines.append(f"  ({self.measure} and its intervals back-transformed from the log scale; SE, "
                             f"{self._stat_name()} and tau² on the log scale)")
            if self.subgroup_test is not None:
                q, df, p = self.subgroup_test
                lines.append(f"  Test for subgroup differences: Q = {q:.2f}, df = {df}, p = {fmt_p(p, 'short')}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines + self._not_pooled_lines())

    def _not_pooled_lines(self) -> list[str]:
        """The printed list of the studies not pooled, each with its reason (empty when none)."""
        if not self.not_pooled_rows:
            return []
        return ["  not pooled:"] + [f"    {row['label']}: {row['reason']}" for row in self.not_pooled_rows]

    def _stat_name(self) -> str:
        """``t`` under a t-based test (t, knha, adhoc), else ``z``."""
        return "t" if self.test in T_TESTS else "z"

    def _text_table(self) -> list[str]:
        """The printed table: per subgroup and overall, k, estimate, SE, CI, z or t (with its
        df), p, prediction interval, tau² with its Q-profile CI and I²; a group name longer than
        its column is wrapped between words onto the next lines, never cut."""
        head = self.measure if self.measure in RATIO_MEASURES else "estimate"
        stat = "t (df)" if self._stat_name() == "t" else "z"
        ci = f"{self.level:g}% CI"
        out = [f"  {'':{_GROUP_WIDTH}s} {'k':>3s} {head:>9s} {'SE':>6s} {ci:>17s} {stat:>10s} {'p':>7s} "
               f"{'PI':>17s} {'tau² [' + ci + ']':>22s} {'I²':>4s}"]
        for row in self.summary_rows():
            est, lo, hi, pl, ph = shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            pi = "" if is_missing(pl) else f"[{pl:.2f}, {ph:.2f}]"
            z = "" if is_missing(row["zval"]) else f"{row['zval']:.2f}"
            if z and not is_missing(row["df"]):
                z += f" ({row['df']:g})"
            tau = f"{row['tau2']:.3f}"
            if not is_missing(row["tau2_ci_low"]):
                tau += f" [{row['tau2_ci_low']:.2f}, {row['tau2_ci_high']:.2f}]"
            name = wrap_words(row["group"], _GROUP_WIDTH)
            out.append(f"  {name[0]:{_GROUP_WIDTH}s} {int(row['k']):3d} {est:9.3f} {row['se']:6.3f} "
                       f"[{lo:6.2f}, {hi:6.2f}] {z:>10s} {fmt_p(row['pvalue'], 'short'):>7s} {pi:>17s} "
                       f"{tau:>22s} {row['i2']:3.0f}%")
            out += [f"  {more}" for more in name[1:]]
        return out

    def __repr__(self) -> str:
        more = f"; {len(self.not_pooled_rows)} not pooled" if self.not_pooled_rows else ""
        return f"<Analysis {self.one_line()}{more}>"

    def _repr_html_(self) -> str:
        """Jupyter: the pooled results per subgroup and overall, what was not pooled and the notes."""
        head = self.measure if self.measure in RATIO_MEASURES else "estimate"
        rows = []
        for row in self.summary_rows():
            est, lo, hi, pl, ph = shown(self.measure, row["estimate"], row["ci_low"], row["ci_high"],
                                         row["pi_low"], row["pi_high"])
            rows.append([row["group"], row["k"], f"{est:.2f}", interval(lo, hi), interval(pl, ph),
                         fmt_p(row["pvalue"], "short"), f"{row['tau2']:.3f}", f"{row['i2']:.0f}%"])
        out = [f"<p><strong>{escape(outcome_title(self.outcome, self.protocol))}</strong> ({escape(self.measure)}): "
               f"{escape(self.settings)}</p>"]
        if rows:
            out.append(table(["", "k", head, f"{self.level:g}% CI", "PI", "p", "tau²", "I²"], rows))
        else:
            out.append("<p>No poolable studies.</p>")
        if self.subgroup_test is not None:
            q, df, p = self.subgroup_test
            out.append(f"<p>Test for subgroup differences: Q = {q:.2f}, df = {df}, p = {fmt_p(p, 'short')}</p>")
        out.append(details(f"{len(self.not_pooled_rows)} not pooled",
                           (f"{row['label']}: {row['reason']}" for row in self.not_pooled_rows)))
        out.append(details(f"{len(self.notes)} notes", self.notes))
        return "".join(out)


def summary_with_settings(analysis):
    """:meth:`Analysis.summary_frame` as a CSV stands alone: every row also names the outcome,
    measure, model, tau² method, test, level (percent), r and subgrouping variable, and carries
    the test for subgroup differences (``q_between``, ``q_between_df``, ``q_between_pvalue``;
    empty without subgroups). Counts and degrees of freedom are integers (pandas ``Int64``).
    Works for a :class:`~ldn_evidence.review.bayes_analysis.BayesAnalysis` too.

    Examples
    --------
    >>> import ldn_evidence as le
    >>> frame = summary_with_settings(le.load_studies().analyse("pain"))
    >>> list(frame.columns[:8]), frame["group"].tolist()[-1], str(frame["k"].dtype)
    (['outcome', 'measure', 'model', 'method', 'test', 'level', 'r', 'by'], 'Overall', 'Int64')
    """
    frame = analysis.summary_frame()
    settings = {"outcome": analysis.outcome, "measure": analysis.measure, "model": analysis.model,
                "method": analysis.method, "test": analysis.test, "level": analysis.level, "r": analysis.r,
                "by": analysis.by}
    if "model" in frame.columns:  # a Bayesian table names the model of each row
        del settings["model"]
    for i, (key, value) in enumerate(settings.items()):
        frame.insert(i, key, value)
    q, df, p = analysis.subgroup_test if analysis.subgroup_test is not None else (None, None, None)
    frame["q_between"], frame["q_between_df"], frame["q_between_pvalue"] = q, df, p
    return integer_columns(frame)


def path_stem(path: str) -> str:
    """A derivation path without the details that vary between analyses (``, r = 0.5``,
    ``; rescaled 0-100 to 0-10``): what a footnote letter stands for.

    >>> path_stem("paired mean difference, r = 0.5; rescaled 0-100 to 0-10")
    'paired mean difference'
    """
    return str(path or "").split("; rescaled")[0].split(", r = ")[0].strip()


def _next_letter(legend: dict) -> str:
    used = set(legend.values())
    i = 0
    while True:
        letter = "abcdefghijklmnopqrstuvwxyz"[i % 26] * (i // 26 + 1)
        if letter not in used:
            return letter
        i += 1


def _arm_value(x):
    """A per-arm number as the forest shows it: counts as integers, means and SDs to 2 decimals."""
    if x is None:
        return None
    x = float(x)
    return int(x) if x.is_integer() else round(x, 2)


def _arm_columns(rows: list[dict], binary: bool, arm_labels) -> tuple[dict, list]:
    """RevMan's per-arm columns (events and total, or mean, SD and total, for each arm), filled
    in every row whose effect came from parallel arms; ``({column: header}, column groups)``."""
    if not any(row.get("arms") for row in rows):
        return {}, []
    fields = (("events", "Events"), ("n", "Total")) if binary else (("mean", "Mean"), ("sd", "SD"), ("n", "Total"))
    columns, groups = {}, []
    for arm, label in zip(("intervention", "comparator"), arm_labels):
        keys = []
        for f, head in fields:
            key = f"{arm}_{f}"
            columns[key] = head
            keys.append(key)
            for row in rows:
                row[key] = _arm_value((row.get("arms") or {}).get(arm, {}).get(f))
        groups.append((label, keys))
    return columns, groups


def _totals(rows: list[dict], arm_keys: list[str], by_group: bool) -> dict:
    """The totals of the pooled rows: N always, each arm's total (and RevMan's "Total events"
    row) when every study of the block has per-arm numbers."""
    blocks = {"overall": rows}
    if by_group:
        for row in rows:
            blocks.setdefault(str(row["group"]), []).append(row)
        blocks["overall"] = rows
    out = {}
    for key, block in blocks.items():
        cells = {}
        if all(row["n"] is not None for row in block):
            cells["n"] = str(sum(row["n"] for row in block))
        events = []
        if arm_keys and all(row.get("arms") for row in block):
            for k in arm_keys:
                if k.endswith("_n"):
                    cells[k] = str(sum(row[k] for row in block))
            events = [k for k in arm_keys if k.endswith("_events")]
        out[key] = [cells] + ([("Total events", {k: str(sum(row[k] for row in block)) for k in events})]
                              if events else [])
    return out


def rob_domain_columns(rows: list[dict]) -> tuple[dict, dict, str] | None:
    """The forest plot's risk-of-bias domain columns (D1 ... and O for overall) of pooled rows.

    Returns ``(rob_columns, columns, footnote)`` for :func:`ldn_evidence.plots.forest.forest_plot`:
    the column -> header mapping, the columns' values (each study's judgement in its own tool's
    domain order: RoB 2 D1-D5, ROBINS-I D1-D7) and the footnote naming the domains of every tool
    present; None when no pooled study has domain judgements.

    >>> rows = [{"rob_tool": "RoB 2", "rob_overall": "low", "rob_domains": {"randomization": "low"}}]
    >>> cols, values, note = rob_domain_columns(rows)
    >>> list(cols.values()), values["rob_d1"], note.split(":")[0]
    (['D1', 'D2', 'D3', 'D4', 'D5', 'O'], ['low'], 'Risk of bias (RoB 2)')
    """
    tools = [t for t in ("RoB 2", "ROBINS-I")
             if any(row.get("rob_tool") == t and row.get("rob_domains") for row in rows)]
    if not tools:
        return None
    n = max(len(rob_domains(t)) for t in tools)
    values = {f"rob_d{i + 1}": [] for i in range(n)}
    for row in rows:
        tool = row.get("rob_tool")
        order = rob_domains(tool) if tool in tools else ()
        given = row.get("rob_domains") or {}
        for i in range(n):
            values[f"rob_d{i + 1}"].append(given.get(order[i]) if i < len(order) else None)
    headers = {f"rob_d{i + 1}": f"D{i + 1}" for i in range(n)}
    headers["rob_overall"] = "O"
    note = "; ".join(f"Risk of bias ({t}): " + ", ".join(f"D{i + 1} {rob_domain_name(t, d)[0].lower()}"
                                                       f"{rob_domain_name(t, d)[1:]}"
                                                       for i, d in enumerate(rob_domains(t)))
                     for t in tools) + "; O overall"
    return headers, values, note


def honesty_notes(measure: str, overall, combined_change_final: bool = False) -> list[str]:
    """What a reader must know about how the pooled interval was made: Hartung-Knapp narrower
    than Wald z (Jackson et al. 2017; Wiksten et al. 2016), change and final SMDs pooled together
    (Cochrane Handbook 10.5.2). Ratios are on the ratio scale."""
    out = []
    if overall is not None and getattr(overall, "knha_narrower_than_z", False):
        lo, hi = shown(measure, overall.ci_low, overall.ci_high)
        zlo, zhi = shown(measure, overall.z_ci_low, overall.z_ci_high)
        out.append(f"the Hartung-Knapp interval ({lo:.2f} to {hi:.2f}, {fmt_p(overall.pvalue, 'journal')}) is "
                   f"narrower than the Wald z interval ({zlo:.2f} to {zhi:.2f}, {fmt_p(overall.z_pvalue, 'journal')}): "
                   "the studies agree more than their variances predict; the modified Hartung-Knapp (test adhoc) "
                   "is never narrower (Jackson et al. 2017)")
    if combined_change_final:
        out.append("SMDs of change scores and of final values are pooled together on request; the Cochrane "
                   "Handbook (10.5.2) advises against it (they standardise by different SDs)")
    return out


def _short_reason(reason: str) -> str:
    return reason.split(":")[0].split(";")[0].split("(")[0].strip()


def _row(name, res, measure: str = "") -> dict:
    row = _row_log(name, res)
    if measure in RATIO_MEASURES:  # the reader's scale beside the log scale
        for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
            row[f"{key}_{measure.lower()}"] = shown(measure, row[key])[0]
    return row


SUMMARY_COLUMNS = ("group", "k", "estimate", "se", "zval", "df", "ci_low", "ci_high", "pi_low", "pi_high", "pvalue", "tau2",
                    "tau2_ci_low", "tau2_ci_high", "i2", "q", "q_df", "q_pvalue")


def _row_log(name, res) -> dict:
    return {"group": name, "k": res.k, "estimate": res.estimate, "se": res.se, "zval": res.zval, "df": res.df,
            "ci_low": res.ci_low, "ci_high": res.ci_high,
            "pi_low": res.pi_low, "pi_high": res.pi_high, "pvalue": res.pvalue, "tau2": res.tau2,
            "tau2_ci_low": res.tau2_ci_low, "tau2_ci_high": res.tau2_ci_high, "i2": res.i2, "q": res.q,
            "q_df": res.q_df, "q_pvalue": res.q_pvalue}
