"""Figures of a Bayesian random-effects meta-analysis (:class:`~ldn_evidence.models.bayes_result.BayesMetaResult`).

- :func:`bayes_forest_plot`: each study's observed estimate and confidence interval with its
  shrinkage estimate (posterior of theta_i) beside it, the pooled mu and the prediction
  interval for a new study (as bayesmeta's ``forestplot()``, Röver 2020, fig. 2).
- :func:`bayes_posterior_plot`: the marginal posterior densities of mu and tau with their
  credible intervals, and the tau prior for comparison (as bayesmeta's ``plot()``, bottom row).

Both return a ``matplotlib.figure.Figure`` on an Agg canvas and never call ``plt.show()``. The
forest plot is sized from its content: text columns are as wide as their widest rendered
text (measured with the figure's renderer), so labels and numbers do not overlap.
"""
from __future__ import annotations

import math

import numpy as np

from ._layout import TextMeasurer

__all__ = ["bayes_forest_plot", "bayes_posterior_plot"]

FONT = "DejaVu Sans"
SIZE_PT = 9.0
SMALL_PT = 8.0
ROW = 1.7 * SIZE_PT / 72          # inches per row
MARGIN = 0.15
COLGAP = 0.2
PANEL = 3.2
OBSERVED = "#1f3b5a"
SHRUNK = "#8c8c8c"
POOLED = "black"
PRED = "#b2182b"


def _new_figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _ci_text(est, lo, hi, digits):
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def bayes_forest_plot(result, *, title=None, xlabel="effect", refline=0.0, digits=2, interval="central",
                      z=None):
    """Forest plot of observed estimates with their shrinkage estimates.

    Parameters
    ----------
    result : BayesMetaResult
    title, xlabel : str, optional
    refline : float or None
        Position of a vertical reference line (None for none).
    digits : int
        Decimals of the printed numbers.
    interval : {"central", "shortest"}
        Which credible/prediction intervals to draw and print.
    z : float, optional
        Normal quantile for the observed studies' confidence intervals (default: from
        ``result.level``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import ldn_evidence as le
    >>> b = le.bayes_meta_analysis([0.1, 0.5, -0.2], [0.04, 0.09, 0.05], labels=["A", "B", "C"])
    >>> fig = bayes_forest_plot(b)
    >>> len(fig.axes)
    1
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import blended_transform_factory

    if interval not in ("central", "shortest"):
        raise ValueError(f"interval must be 'central' or 'shortest', got {interval!r}")
    shortest = interval == "shortest"
    r = result
    if z is None:
        z = float(_ndtri(0.5 + r.level / 200.0))
    se = np.sqrt(r.vi)
    obs_lo, obs_hi = r.yi - z * se, r.yi + z * se
    mu = (r.mu_median, r.mu_hpd_low if shortest else r.mu_ci_low, r.mu_hpd_high if shortest else r.mu_ci_high)
    pred = (r.pred_median, r.pi_hpd_low if shortest else r.pi_low, r.pi_hpd_high if shortest else r.pi_high)
    lvl = f"{r.level:g}%"
    head = ("Study", f"Observed [{lvl} CI]", f"Shrinkage [{lvl} CrI]")
    rows = [(lab, _ci_text(r.yi[i], obs_lo[i], obs_hi[i], digits),
             _ci_text(r.theta_median[i], r.theta_ci_low[i], r.theta_ci_high[i], digits))
            for i, lab in enumerate(r.labels)]
    rows.append(("Mean effect (mu)", "", _ci_text(*mu, digits)))
    rows.append(("Prediction (new study)", "", _ci_text(*pred, digits)))

    probe = _new_figure(4, 2)
    meas = TextMeasurer(probe)
    prop = FontProperties(family=FONT, size=SIZE_PT)
    bold = FontProperties(family=FONT, size=SIZE_PT, weight="bold")
    widths = [max([meas.width(head[c], bold)] + [meas.width(row[c], prop) for row in rows]) for c in range(3)]
    n_rows = len(rows)
    top_pad = 2.2 * ROW + (0.35 if title else 0.0)
    bottom_pad = 0.65
    height = top_pad + (n_rows + 0.6) * ROW + bottom_pad
    width = MARGIN * 2 + sum(widths) + COLGAP * 3 + PANEL + 0.3   # room for the last tick label
    fig = _new_figure(width, height)
    x0 = MARGIN
    colx = [x0, x0 + widths[0] + COLGAP, x0 + widths[0] + widths[1] + 2 * COLGAP]
    panel_left = colx[2] + widths[2] + COLGAP
    ax = fig.add_axes([panel_left / width, bottom_pad / height, PANEL / width,
                       (n_rows + 0.6) * ROW / height])
    ax.set_ylim(n_rows - 0.2, -0.8)
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    ytop = -0.8 - 1.0 * ROW / ROW * 0.9
    for c, text in enumerate(head):
        ha = "left" if c == 0 else "right"
        xpos = colx[c] if c == 0 else colx[c] + widths[c]
        ax.text(xpos / width, ytop, text, transform=tr, ha=ha, va="center", fontproperties=bold, clip_on=False)
    for i, row in enumerate(rows):
        for c, text in enumerate(row):
            if not text:
                continue
            ha = "left" if c == 0 else "right"
            xpos = colx[c] if c == 0 else colx[c] + widths[c]
            colour = SHRUNK if (c == 2 and i < r.k) else "black"
            ax.text(xpos / width, i, text, transform=tr, ha=ha, va="center", fontproperties=prop, color=colour,
                    clip_on=False)
    # graphics
    off = 0.18
    for i in range(r.k):
        ax.plot([obs_lo[i], obs_hi[i]], [i - off, i - off], color=OBSERVED, lw=1.2, solid_capstyle="butt")
        ax.plot([r.yi[i]], [i - off], marker="s", color=OBSERVED, ms=4.5, ls="none")
        ax.plot([r.theta_ci_low[i], r.theta_ci_high[i]], [i + off, i + off], color=SHRUNK, lw=2.2,
                solid_capstyle="butt")
        ax.plot([r.theta_median[i]], [i + off], marker="o", color=SHRUNK, ms=4, ls="none")
    ym = r.k
    dx = [mu[1], mu[0], mu[2], mu[0]]
    dy = [ym, ym - 0.32, ym, ym + 0.32]
    ax.fill(dx, dy, color=POOLED, lw=0)
    yp = r.k + 1
    ax.fill([pred[1], pred[2], pred[2], pred[1]], [yp - 0.14, yp - 0.14, yp + 0.14, yp + 0.14], color=PRED, lw=0)
    lo = np.nanmin(np.concatenate([obs_lo, r.theta_ci_low, [mu[1], pred[1]]]))
    hi = np.nanmax(np.concatenate([obs_hi, r.theta_ci_high, [mu[2], pred[2]]]))
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    if refline is not None and lo - pad <= refline <= hi + pad:
        ax.axvline(refline, color="#bbbbbb", lw=0.8, zorder=0)
    ax.axvline(mu[0], color=POOLED, lw=0.6, ls=":", zorder=0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    _ticks_inside(ax)
    ax.tick_params(axis="x", labelsize=SMALL_PT)
    ax.set_xlabel(xlabel, fontsize=SIZE_PT, fontfamily=FONT)
    legend = (f"square: observed y_i; grey: shrinkage (posterior of theta_i, central interval); "
              f"diamond: mu, bar: prediction ({interval} intervals)")
    fig.text(MARGIN / width, 0.12 / height, legend, fontsize=SMALL_PT - 1, color="#555555", fontfamily=FONT,
             ha="left", va="bottom")
    if title:
        fig.text(MARGIN / width, 1 - 0.12 / height, title, fontsize=11, fontfamily=FONT, ha="left", va="top",
                 weight="bold")
    _fit_width(fig, [legend], SMALL_PT - 1)
    return fig


def _fit_width(fig, texts, size):
    """Widen the figure if a footnote is wider than it (axes keep their size in inches)."""
    from matplotlib.font_manager import FontProperties

    meas = TextMeasurer(fig)
    need = max(meas.width(t, FontProperties(family=FONT, size=size)) for t in texts) + 2 * MARGIN
    w, h = fig.get_size_inches()
    if need > w:
        for ax in fig.axes:
            pos = ax.get_position()
            ax.set_position([pos.x0 * w / need, pos.y0, pos.width * w / need, pos.height])
        for t in fig.texts:
            x, y = t.get_position()
            t.set_position((x * w / need, y))
        for ax in fig.axes:
            for t in ax.texts:
                x, y = t.get_position()
                t.set_x(x * w / need)
        fig.set_size_inches(need, h)


def _ndtri(p):
    from scipy.special import ndtri
    return ndtri(p)


def bayes_posterior_plot(result, *, prior=True, interval="central", xlabel="effect mu", n=400, reference=None,
                         reference_tau=None):
    """Marginal posterior densities of mu (left) and tau (right).

    The shaded region is the credible interval (``interval`` = "central" or "shortest") at the
    result's level, the vertical line the posterior median; with ``prior=True`` the tau prior
    density is drawn dashed (and the mu prior when it is normal). ``reference=(estimate, low,
    high, label)`` draws another method's estimate and interval for mu above the density (e.g.
    the frequentist REML fit), ``reference_tau=(tau, label)`` its tau as a dotted line; both are
    named in the panel titles.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import ldn_evidence as le
    >>> b = le.bayes_meta_analysis([0.1, 0.5, -0.2], [0.04, 0.09, 0.05])
    >>> len(bayes_posterior_plot(b).axes)
    2
    """
    if interval not in ("central", "shortest"):
        raise ValueError(f"interval must be 'central' or 'shortest', got {interval!r}")
    r = result
    fig = _new_figure(8.0, 3.2)
    axes = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.88, wspace=0.28)
    shortest = interval == "shortest"
    # mu
    lo_m, hi_m = r.quantile("mu", [0.0005, 0.9995])
    xs = np.linspace(lo_m, hi_m, n)
    dens = r.density("mu", xs)
    a, b = (r.mu_hpd_low, r.mu_hpd_high) if shortest else (r.mu_ci_low, r.mu_ci_high)
    if reference is not None:     # widen the grid so that the reference interval is inside it
        lo_m, hi_m = min(lo_m, reference[1]), max(hi_m, reference[2])
        xs = np.linspace(lo_m, hi_m, n)
        dens = r.density("mu", xs)
    title = f"mu: median {r.mu_median:.3f}, {r.level:g}% CrI [{a:.3f}, {b:.3f}]"
    if reference is not None:
        title += f"\n{reference[3]}: {reference[0]:.3f} [{reference[1]:.3f}, {reference[2]:.3f}] (bar)"
    _panel(axes[0], xs, dens, a, b, r.mu_median, xlabel, title)
    if prior and r.mu_prior is not None:
        m0, s0 = r.mu_prior
        axes[0].plot(xs, np.exp(-0.5 * ((xs - m0) / s0) ** 2) / (s0 * math.sqrt(2 * math.pi)), ls="--",
                     color="#555555", lw=1, label="prior")
        axes[0].legend(fontsize=SMALL_PT, frameon=False, loc="upper right")
    # tau
    hi_t = r.quantile("tau", 0.995)
    ts = np.linspace(0.0, hi_t, n)
    dens_t = r.density("tau", ts)
    a, b = (r.tau_hpd_low, r.tau_hpd_high) if shortest else (r.tau_ci_low, r.tau_ci_high)
    title = f"tau: median {r.tau_median:.3f}, {r.level:g}% CrI [{a:.3f}, {b:.3f}]"
    if reference_tau is not None:
        title += f"\n{reference_tau[1]}: {reference_tau[0]:.3f} (dotted)"
        if reference_tau[0] > hi_t:
            ts = np.linspace(0.0, 1.05 * reference_tau[0], n)
            dens_t = r.density("tau", ts)
    _panel(axes[1], ts, dens_t, a, b, r.tau_median, "heterogeneity tau", title)
    if prior:
        pd_ = np.exp(r.tau_prior.logpdf(ts))
        if r.tau_prior.proper and np.all(np.isfinite(pd_)):
            axes[1].plot(ts, pd_, ls="--", color="#555555", lw=1, label="prior")
            axes[1].legend(fontsize=SMALL_PT, frameon=False, loc="upper right")
    for ax, grid in zip(axes, (xs, ts)):
        ax.relim()
        ax.autoscale_view()
        ax.set_ylim(bottom=0)
        ax.set_xlim(grid[0], grid[-1])
        _ticks_inside(ax)
    if reference is not None:
        top = axes[0].get_ylim()[1]
        y = 1.08 * top
        axes[0].plot([reference[1], reference[2]], [y, y], color="black", lw=1.2, solid_capstyle="butt",
                     clip_on=False)
        axes[0].plot([reference[0]], [y], marker="D", mfc="white", mec="black", ms=5, ls="none", clip_on=False)
        axes[0].set_ylim(0, 1.16 * top)
    if reference_tau is not None:
        axes[1].axvline(reference_tau[0], color="black", lw=1.0, ls=":")
    if reference is not None or reference_tau is not None:
        fig.subplots_adjust(top=0.83)
    return fig


def _ticks_inside(ax):
    """Keep only the x ticks within the view (matplotlib keeps invisible ones past the ends)."""
    lo, hi = ax.get_xlim()
    ax.set_xticks([t for t in ax.get_xticks() if lo - 1e-12 <= t <= hi + 1e-12])
    ax.set_xlim(lo, hi)


def _panel(ax, xs, dens, a, b, med, xlabel, title):
    ax.plot(xs, dens, color=OBSERVED, lw=1.4)
    inside = (xs >= a) & (xs <= b)
    ax.fill_between(xs, 0, dens, where=inside, color=OBSERVED, alpha=0.25, lw=0)
    ax.axvline(med, color=OBSERVED, lw=0.9)
    ax.set_xlabel(xlabel, fontsize=SIZE_PT, fontfamily=FONT)
    ax.set_ylabel("posterior density", fontsize=SIZE_PT, fontfamily=FONT)
    ax.set_title(title, fontsize=SMALL_PT, fontfamily=FONT)
    ax.tick_params(labelsize=SMALL_PT)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
