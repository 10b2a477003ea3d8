"""How a :class:`~ldn_evidence.review.bayes_analysis.BayesAnalysis` reads: its printed table (the
Bayesian posterior and the frequentist fit, group by group) and the arguments of its forest plot
(:func:`ldn_evidence.plots.bayes_forest.bayes_review_forest`). Ratios are shown as ratios."""
from __future__ import annotations

import math

from .._format import fmt_p, is_missing, wrap_words
from .._html import details, escape, interval, table
from ..errors import ReviewError
from ..vocabulary import METHOD_SHORT, RATIO_MEASURES
from .analysis import _short_reason, shown
from .outcomes import favours, outcome_title

__all__ = ["bayes_text", "bayes_html", "forest_args", "benefit_words", "fmt_prob", "prob_is"]

_TEST_TINY = {"adhoc": "mod. HK", "knha": "HK", "z": "z", "t": "t"}


def fmt_prob(p: float) -> str:
    """A posterior probability to two decimals, never rounded to a certainty.

    >>> fmt_prob(0.7261), fmt_prob(0.9996), fmt_prob(0.001), fmt_prob(float("nan"))
    ('0.73', '> 0.99', '< 0.01', 'NA')
    """
    if is_missing(p):
        return "NA"
    if p > 0.995:
        return "> 0.99"
    if p < 0.005:
        return "< 0.01"
    return f"{p:.2f}"


def prob_is(p: float) -> str:
    """``= 0.73``, or ``> 0.99`` / ``< 0.01`` (what follows ``P(...)``).

    >>> prob_is(0.7261), prob_is(0.9999)
    ('= 0.73', '> 0.99')
    """
    text = fmt_prob(p)
    return text if text[0] in "<>" else f"= {text}"


def _model_label(a, row) -> str:
    """``Bayesian``, or the frequentist fit's estimator and the test it used (Wald z for k = 1)."""
    if row["model"] == "bayes":
        return "Bayesian"
    res = a.overall if row["group"] == "Overall" else a.subgroups.get(row["group"], a.overall)
    test = getattr(res, "test", None) or a.test
    return f"{METHOD_SHORT.get(a.method, a.method) if a.method == 'REML' else a.method}, {_TEST_TINY.get(test, test)}"


def benefit_words(a) -> tuple[str, str]:
    """(the inequality that is a benefit, e.g. ``SMD < 0``; the side it favours, e.g. ``Favours LDN``)."""
    controlled = bool({row["group"] for row in a.rows} - {"Single-arm pre-post"})
    labels = favours(a.outcome, controlled, a.protocol)
    below = a.benefit["sign"] < 0
    null = "1" if a.measure in RATIO_MEASURES else "0"
    return f"{a.measure} {'<' if below else '>'} {null}", labels[0] if below else labels[1]


def _mid_words(a) -> str | None:
    """E.g. ``P(SMD < -0.50) = 0.12 (MID: half an SD ...)``; None without a MID."""
    t = a.benefit.get("threshold")
    if t is None or a.posterior is None:
        return None
    shown_t = shown(a.measure, t)[0]
    op = "<" if a.benefit["sign"] < 0 else ">"
    return (f"P({a.measure} {op} {shown_t:.2f}) {prob_is(a.prob_mid())} (beyond the minimal important difference; "
            f"MID: {a.benefit.get('mid_source')})")


def bayes_text(a) -> str:
    """The printed analysis: settings, one line per group and model, then what the numbers mean."""
    lines = [f"Bayesian meta-analysis of {a.outcome} ({a.measure}) — {a.settings}"]
    if a.posterior is None:
        lines.append("  no poolable studies")
    else:
        ratio = a.measure in RATIO_MEASURES
        head = a.measure if ratio else "estimate"
        lines.append(f"  {'':24s} {'k':>3s}  {'model':14s} {head:>9s} {f'{a.level:g}% CrI / CI':>17s} "
                     f"{'PI':>17s} {'P(benefit)':>10s} {'tau':>6s}")
        rest: list[str] = []  # the rest of a long group name, wrapped between words into the next rows
        for row in a.summary_rows():
            pi = "" if is_missing(row["pi_low"]) else f"[{row['pi_low']:.2f}, {row['pi_high']:.2f}]"
            last = (f"{fmt_prob(row['prob_benefit']):>10s}" if row["model"] == "bayes"
                    else f"{'p = ' + fmt_p(row['pvalue'], 'short'):>10s}")
            if row["model"] == "bayes":
                lines += [f"  {more}" for more in rest]
                group, *rest = wrap_words(row["group"], 24)
            else:
                group = rest.pop(0) if rest else ""
            tau = "" if is_missing(row["tau"]) else f"{row['tau']:6.2f}"
            lines.append(f"  {group:24s} {int(row['k']):3d}  {_model_label(a, row):14s} {row['estimate']:9.3f} "
                         f"[{row['ci_low']:6.2f}, {row['ci_high']:6.2f}] {pi:>17s} {last} {tau:>6s}")
        lines += [f"  {more}" for more in rest]
        inequality, side = benefit_words(a)
        lines.append("  estimate: posterior median (Bayesian) or pooled estimate; interval: central credible or "
                     "confidence interval; PI: for a new study; tau: posterior median or the square root of tau²"
                     + (" (log scale)" if ratio else ""))
        lines.append(f"  P(benefit) = P({inequality} | data): the posterior probability that the effect favours "
                     f"{side.replace('Favours ', '')}")
        mid = _mid_words(a)
        if mid:
            lines.append(f"  overall: {mid}")
        if ratio:
            lines.append(f"  ({a.measure} and its intervals back-transformed from the log scale)")
        if a.subgroup_test is not None:
            q, df, p = a.subgroup_test
            lines.append(f"  Test for subgroup differences (frequentist): Q = {q:.2f}, df = {df}, "
                         f"p = {fmt_p(p, 'short')}")
    lines.append(f"  prior ({a.prior.where}): {a.prior.describe()}; {a.prior.reason}")
    posterior_notes = [] if a.posterior is None else [n for n in a.posterior.notes if "marginal likelihood" not in n]
    for note in list(dict.fromkeys(posterior_notes + list(a.notes))):
        lines.append(f"  note: {note}")
    return "\n".join(lines + a._not_pooled_lines())


def bayes_html(a) -> str:
    """Jupyter's display of a BayesAnalysis: one table row per group and model (ratios as ratios)."""
    rows = []
    for row in a.summary_rows():
        bayes = row["model"] == "bayes"
        rows.append([row["group"] if bayes else "", _model_label(a, row), row["k"], f"{row['estimate']:.2f}",
                     interval(row["ci_low"], row["ci_high"]), interval(row["pi_low"], row["pi_high"]),
                     fmt_prob(row["prob_benefit"]) if bayes else f"p = {fmt_p(row['pvalue'], 'short')}",
                     "" if is_missing(row["tau"]) else f"{row['tau']:.2f}"])
    head = a.measure if a.measure in RATIO_MEASURES else "estimate"
    out = [f"<p><strong>{escape(outcome_title(a.outcome, a.protocol))}</strong> ({escape(a.measure)}), "
           f"Bayesian: {escape(a.settings)}</p>"]
    if rows:
        inequality, _ = benefit_words(a)
        out.append(table(["", "model", "k", head, f"{a.level:g}% CrI / CI", "PI", f"P({inequality})", "tau"], rows))
    else:
        out.append("<p>No poolable studies.</p>")
    out.append(f"<p>Prior ({escape(a.prior.where)}): {escape(a.prior.describe())}. {escape(a.prior.reason)}</p>")
    out.append(details(f"{len(a.not_pooled_rows)} not pooled",
                       (f"{row['label']}: {row['reason']}" for row in a.not_pooled_rows)))
    out.append(details(f"{len(a.notes)} notes", a.notes))
    return "".join(out)


def _block(name, rows, post) -> dict:
    studies = [{"label": row["label"], "yi": row["yi"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                "theta": float(post.theta_median[i]), "theta_low": float(post.theta_ci_low[i]),
                "theta_high": float(post.theta_ci_high[i])} for i, row in enumerate(rows)]
    return {"name": name, "k": post.k, "studies": studies, "mu": (post.mu_median, post.mu_ci_low, post.mu_ci_high),
            "pred": (post.pred_median, post.pi_low, post.pi_high)}


def forest_args(a, **kwargs) -> tuple[tuple, dict]:
    """The arguments :meth:`BayesAnalysis.forest` passes to the forest plot (plain, picklable)."""
    if a.posterior is None:
        raise ReviewError(f"nothing to plot: {a.one_line()}")
    if len(a.subgroup_posteriors) > 1:
        blocks = [_block(name, [row for row in a.rows if str(row["group"]) == name], post)
                  for name, post in a.subgroup_posteriors.items()]
    else:
        blocks = [_block(None, a.rows, a.posterior)]
    overall = {"k": a.posterior.k, "mu": blocks[0]["mu"] if len(blocks) == 1 else
               (a.posterior.mu_median, a.posterior.mu_ci_low, a.posterior.mu_ci_high),
               "pred": (a.posterior.pred_median, a.posterior.pi_low, a.posterior.pi_high)}
    inequality, side = benefit_words(a)
    foot = [f"Grey: shrinkage estimates, the posterior of each study's own effect given the other studies of its "
            f"{'subgroup' if len(blocks) > 1 else 'analysis'}; diamonds: posterior median and {a.level:g}% central "
            f"credible interval of the mean effect mu; red bars: {a.level:g}% predictive interval for a new study; "
            f"hollow diamond: {a.freq_label} (frequentist)."]
    prob = f"P(benefit) = P({inequality} | data) {prob_is(a.prob_benefit())}"
    t = a.benefit.get("threshold")
    if t is not None:
        op = "<" if a.benefit["sign"] < 0 else ">"
        prob += f"; P({a.measure} {op} {shown(a.measure, t)[0]:.2f}) {prob_is(a.prob_mid())} (MID)"
    post = a.posterior
    foot.append(f"{prob}; tau: posterior median {post.tau_median:.2f} [{post.tau_ci_low:.2f}, {post.tau_ci_high:.2f}]"
                + (" (log scale)" if a.measure in RATIO_MEASURES else "") + ".")
    foot.append(f"Prior ({a.prior.where}): {a.prior.describe()}. {a.prior.reason}")
    if a.not_pooled_rows:
        foot.append("Not pooled: " + ", ".join(f"{row['label']} ({_short_reason(row['reason'])})"
                                               for row in a.not_pooled_rows))
    foot += [c[:1].upper() + c[1:] for c in a.caveats()]
    controlled = bool({row["group"] for row in a.rows} - {"Single-arm pre-post"})
    o = a.overall
    kw = dict(xlabel=a.xlabel, favours=favours(a.outcome, controlled, a.protocol),
              log_scale=a.measure in RATIO_MEASURES, level=a.level, title=f"{a._title()} (Bayesian)",
              footnotes=foot, null=0.0, freq=None if o is None or math.isnan(o.estimate) else
              (o.estimate, o.ci_low, o.ci_high), freq_label=f"{a.freq_label} (frequentist)")
    kw.update(kwargs)
    return (blocks, overall), kw
