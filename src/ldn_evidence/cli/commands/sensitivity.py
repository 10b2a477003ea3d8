"""``ldn-evidence sensitivity``: how much the pooled result leans on single studies and on the
analysis choices, with the diagnostics of the primary analysis and their figures."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from ..._format import integer_columns, json_safe
from ..._version import provenance
from ...vocabulary import MEASURES, RATIO_MEASURES, T_TESTS
from .._options import (FIGURE_FORMATS, UpperChoice, UserError, check_figure_folder, dpi_option, echo_json,
                       finite_range, load_review, lower, method_option, model_option, outcome_option, test_option)

__all__ = ["sensitivity"]


@click.command()
@outcome_option("Outcome to examine")
@click.option("--measure", type=UpperChoice(MEASURES), default=None,
              help="Effect measure [default: SMD, or RR for a binary outcome].")
@method_option("tau² estimator of the primary analysis")
@test_option()
@model_option()
@click.option("--r", "r", type=finite_range(-0.99, 0.99), default=None, metavar="R",
              help="Within-person correlation of the primary analysis [default: the review's, 0.5].")
@click.option("--permutations", type=click.IntRange(100, 100_000), default=1000, show_default=True,
              help="Permutations for the permutation test (exact when 2^k is smaller).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for permutations and GOSH sampling.")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write every sensitivity figure into DIR.")
@click.option("--plot-format", "plot_fmt", type=click.Choice(FIGURE_FORMATS), default="png", show_default=True,
              help="Format of the figures written with --plot (pdf and svg keep text as text).")
@dpi_option()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Output format of the review-level table (json also holds the diagnostics).")
@click.pass_context
def sensitivity(ctx, outcome, measure, method, test, model, r, permutations, seed, plot_dir, plot_fmt, dpi, fmt):
    """Sensitivity analyses of one outcome.

    How much do the pooled results lean on single studies and on our assumptions?

    Re-runs the analysis with all nine tau² estimators, z vs Hartung-Knapp, the within-person
    correlation r from 0.2 to 0.8, randomized / controlled / parallel RCTs only, without high risk
    of bias, without secondary numbers, and first-line vs add-on use; beside them the Bayesian
    random-effects model with the tau prior's scale at 0.25, 0.5 and 1 and the review's prior;
    then the diagnostics of the primary analysis: leave-one-out, influence, Egger's and Begg's
    tests, trim-and-fill, permutation test and GOSH (of the frequentist fit). With --model bayes
    every alternative is fitted Bayesian, the frequentist primary analysis beside them.

    \b
    Examples:
      ldn-evidence sensitivity
      ldn-evidence sensitivity --outcome fiq --plot figures/
      ldn-evidence sensitivity --outcome adverse_events --plot figures/ --plot-format pdf
      ldn-evidence sensitivity --format csv > sensitivity.csv
      ldn-evidence sensitivity --method DL --test z --r 0.3
      ldn-evidence sensitivity --model bayes
    """
    if plot_dir:
        check_figure_folder(plot_dir)
    review = load_review(ctx)
    bar = None
    if sys.stderr.isatty() and fmt == "text":
        bar = click.progressbar(length=1, label="sensitivity analyses", file=sys.stderr)

    def progress(done, total):
        if bar is not None:
            bar.length = total
            bar.update(1)

    try:
        result = review.sensitivity(lower(outcome), measure=measure, method=method, test=test, r=r,
                                    progress=progress, model=lower(model))
    finally:
        if bar is not None:
            bar.render_finish()
    primary = result.primary
    if primary.overall is None:
        raise UserError(f"nothing to analyse: {primary.one_line()}")
    diagnostics = diagnostics_of(primary, permutations, seed)
    if fmt == "json":
        out = {**result.to_dict(), "diagnostics": {k: json_safe(v) for k, v in diagnostics["summary"].items()},
               "provenance": provenance(review.file_hash)}
        echo_json(out)
    elif fmt == "csv":
        click.echo(integer_columns(result.table).to_csv(index=False), nl=False)
    else:
        click.echo(str(result))
        click.echo("")
        click.echo(diagnostics["text"])
    if plot_dir:
        for path in write_figures(result, primary, diagnostics, plot_dir, fmt=plot_fmt, dpi=dpi):
            click.echo(f"wrote {path}", err=fmt != "text")


def _caveat(notes) -> str | None:
    """The small-k caveat among a result's notes ("not assessable (k < 10): ..."), or None."""
    return next((n for n in notes if n.startswith("not assessable")), None)


def _small_study_lines(found, stat, name, show, scaled, lines, summary):
    """Egger, Begg and trim-and-fill: the numbers on the reader's scale (``show``; ratios back-transformed,
    log values beside them via ``scaled``), marked "not assessable (k < 10)" below 10 studies."""
    def mark(key, notes):
        caveat = _caveat(notes)
        summary[key]["assessable"] = caveat is None
        summary[key]["note"] = caveat
        return "not assessable (k < 10); " if caveat else ""

    if "Egger's regression test" in found:
        e = found["Egger's regression test"]
        df = "" if e.df != e.df else f", df = {e.df:g}"
        summary["egger"] = scaled({"statistic": e.zval, "df": e.df, "pvalue": e.pvalue}, limit_estimate=e.estimate)
        text = (f"{stat} = {e.zval:.3f}{df}, p = {e.pvalue:.3f}; limit {name} {show(e.estimate):.3f} "
                f"[{show(e.ci_low):.2f}, {show(e.ci_high):.2f}] (predictor: {e.predictor})")
        lines.append(f"  Egger's regression test: {mark('egger', e.notes)}{text}")
    if "rank correlation test" in found:
        b = found["rank correlation test"]
        summary["rank_test"] = {"tau": b.tau, "pvalue": b.pvalue, "exact": bool(b.exact)}
        lines.append(f"  Begg's rank correlation test: {mark('rank_test', b.notes)}Kendall's tau = {b.tau:.3f}, "
                     f"p = {b.pvalue:.3f}{' (exact)' if b.exact else ''}")
    if "trim-and-fill" in found:
        tf = found["trim-and-fill"]
        summary["trim_and_fill"] = scaled({"k0": tf.k0, "side": tf.side}, estimate=tf.estimate, ci_low=tf.ci_low,
                                          ci_high=tf.ci_high)
        text = (f"{tf.k0} studies imputed on the {tf.side} ({tf.estimator}); filled {name} {show(tf.estimate):.3f} "
                f"[{show(tf.ci_low):.2f}, {show(tf.ci_high):.2f}]"
                + (" (z test, as metafor's trimfill)" if tf.k0 else ""))
        lines.append(f"  trim-and-fill: {mark('trim_and_fill', tf.notes)}{text}")


def diagnostics_of(analysis, permutations, seed) -> dict:
    """Diagnostics of the primary analysis's overall model (each skipped with a reason when k is too small).

    Below 10 studies Egger's test, Begg's test, trim-and-fill and GOSH are marked "not
    assessable (k < 10)" (Cochrane Handbook 13.3.5.4), in the text and in the JSON summary
    (``assessable``, ``note``), and their numbers still given.
    """
    from ...diagnostics import MIN_K_ASYMMETRY  # numpy: imported when the diagnostics run, not for --help

    res = analysis.overall
    lines = [f"Diagnostics of the primary analysis (k = {res.k}):"]
    summary: dict = {}
    found: dict = {}

    def attempt(name, fn):
        try:
            found[name] = fn()
        except Exception as exc:  # noqa: BLE001 - a diagnostic that does not apply is reported, not fatal
            lines.append(f"  {name}: not available ({exc})")
            summary[name] = f"not available: {exc}"

    attempt("leave-one-out", res.leave_one_out)
    attempt("influence", res.influence)
    attempt("Egger's regression test", res.egger_test)
    attempt("rank correlation test", res.rank_test)
    attempt("trim-and-fill", res.trim_and_fill)
    attempt("permutation test", lambda: res.permutation_test(n=permutations, seed=seed))
    attempt("GOSH", lambda: res.gosh(seed=seed))
    attempt("cumulative by year", res.cumulative)
    ratio = analysis.measure in RATIO_MEASURES
    name = analysis.measure if ratio else "estimate"
    tau2 = "tau² (log scale)" if ratio else "tau²"

    def show(v):  # the reader's scale: ratios back-transformed from the log scale
        return math.exp(v) if ratio and math.isfinite(v) else v

    def scaled(out: dict, **values) -> dict:  # ratio values under their names, log values named as such
        for key, v in values.items():
            out[key] = show(v)
            if ratio:
                out[f"log_{key}"] = v
        return out

    if "leave-one-out" in found:
        loo = found["leave-one-out"]
        lines.append(f"  leave-one-out ({name} [CI] without the study):")
        for label, row in loo.iterrows():
            lines.append(f"    - {label}: {show(row['estimate']):.3f} [{show(row['ci_low']):.2f}, "
                         f"{show(row['ci_high']):.2f}], {tau2} = {row['tau2']:.3f}, I² = {row['i2']:.0f}%")
        lo, hi = float(loo["estimate"].min()), float(loo["estimate"].max())
        summary["leave_one_out_range"] = [show(lo), show(hi)]
        if ratio:
            summary["log_leave_one_out_range"] = [lo, hi]
    if "influence" in found:
        inf = found["influence"]
        flagged = [str(i) for i in inf.index[inf["inf"].astype(bool)]] if "inf" in inf else []
        lines.append(f"  influential studies (metafor's criteria): {', '.join(flagged) or 'none'}")
        summary["influential"] = flagged
    _small_study_lines(found, "t" if res.test in T_TESTS else "z", name, show, scaled, lines, summary)
    if "permutation test" in found:
        pt = found["permutation test"]
        kind = f"exact, {pt.n} sign patterns" if pt.exact else f"{pt.n} permutations, MC SE {pt.mc_se:.3f}"
        lines.append(f"  permutation test: p = {pt.pvalue:.4f} ({kind})")
        summary["permutation_test"] = {"pvalue": pt.pvalue, "exact": bool(pt.exact), "n": int(pt.n)}
    if "GOSH" in found:
        g = found["GOSH"]
        est = g["estimate"].dropna()
        caveat = _caveat(g.attrs.get("notes", []))
        lines.append(f"  GOSH: {'not assessable (k < 10); ' if caveat else ''}{len(g)} subsets, "
                     f"{name + ' ' if ratio else 'estimates '}from {show(est.min()):.3f} to {show(est.max()):.3f}")
        summary["gosh_subsets"] = int(len(g))
        summary["gosh"] = {"subsets": int(len(g)), "estimate_min": float(est.min()), "estimate_max": float(est.max()),
                           "assessable": caveat is None, "note": caveat}
    if res.k < MIN_K_ASYMMETRY:
        lines.append(f"  Egger's and Begg's tests, trim-and-fill, the funnel plot and GOSH are not assessable with "
                     f"k = {res.k} < {MIN_K_ASYMMETRY} studies: too little power to tell chance from real "
                     "asymmetry (Cochrane Handbook 13.3.5.4); their numbers are shown, not interpreted.")
        summary["small_study_caveat"] = lines[-1].strip()
    return {"text": "\n".join(lines), "summary": summary, "found": found}


def write_figures(result, primary, diagnostics, plot_dir, fmt: str = "png", dpi: int = 100):
    """Every sensitivity figure of the primary analysis into ``plot_dir`` as ``<name>-<outcome>.<fmt>``;
    ratio measures on a log axis labelled with ratios. Returns the paths written."""
    from ...plots import diagnostics as dplots  # matplotlib: imported when figures are asked for
    from ...plots._figure import stamp

    out = Path(plot_dir)
    out.mkdir(parents=True, exist_ok=True)
    found = diagnostics["found"]
    res = primary.overall
    xlabel = primary.xlabel
    log = primary.measure in RATIO_MEASURES
    figures = {"sensitivity-forest": lambda: result.forest()}
    if "trim-and-fill" in found or res.k >= 2:
        figures["funnel"] = lambda: dplots.funnel_plot(res, found.get("trim-and-fill"), xlabel=xlabel, log_scale=log)
    if "influence" in found:
        figures["baujat"] = lambda: dplots.baujat_plot(res.baujat())
        figures["influence"] = lambda: dplots.influence_plot(found["influence"], res)
    if "leave-one-out" in found:
        figures["leave-one-out"] = lambda: dplots.leave_one_out_plot(found["leave-one-out"], res, xlabel=xlabel,
                                                                     log_scale=log, level=primary.level)
    if "cumulative by year" in found:
        figures["cumulative"] = lambda: dplots.cumulative_plot(found["cumulative by year"], xlabel=xlabel,
                                                               log_scale=log, level=primary.level)
    if "GOSH" in found:
        figures["gosh"] = lambda: dplots.gosh_plot(found["GOSH"], xlabel=xlabel, log_scale=log)
    written, unwritten = [], []
    for name, make in figures.items():
        path = out / f"{name}-{result.outcome}.{fmt}"
        try:
            fig = stamp(make(), primary.file_hash)
        except Exception as exc:  # noqa: BLE001 - one figure failing must not lose the others
            click.echo(f"warning: {name} not drawn ({exc})", err=True)
            continue
        try:
            fig.savefig(path, format=fmt, dpi=dpi)
        except OSError as exc:  # the folder or the disk refused: an error, after trying every figure
            unwritten.append(f"{path.name} ({exc.strerror or exc})")
            continue
        written.append(path)
    if unwritten:
        for path in written:
            click.echo(f"wrote {path}", err=True)
        raise UserError(f"{len(unwritten)} of {len(figures)} figures could not be written into {plot_dir}: "
                        + "; ".join(unwritten))
    return written
