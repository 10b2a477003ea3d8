"""Numerical core of the Bayesian normal-normal hierarchical model, for many meta-analyses at once.

Why hand-written
----------------
No Python library computes the posterior of this model without MCMC. The R package bayesmeta
(Röver 2020, J Stat Softw 93(6), doi:10.18637/jss.v093.i06) does it semi-analytically: given
tau, the posterior of mu (and of each study's theta_i, and of a new study's theta) is normal, and
the one-dimensional marginal posterior of tau is handled numerically; the marginals of mu and
theta are then mixtures of normals over tau, which bayesmeta discretises with the DIRECT
algorithm (Röver C, Friede T, 2017, "Discrete approximation of a mixture distribution via
restricted divergence", J Comput Graph Stat 26(1):217-222, doi:10.1080/10618600.2016.1276840):
tau support points chosen so that neighbouring conditional normals differ by at most a
divergence delta. We use the same decomposition, and replace the grid by one whose error we can
bound and drive below 1e-9 at little cost, vectorised over rows:

1. A coarse scan of the log posterior of tau (on log tau, one fixed grid per row) finds where
   the posterior mass lies.
2. tau = c sinh(x) maps [0, inf) so that tau = 0 is a regular end point and heavy (polynomial)
   tails become exponential ones; with c no larger than the smallest standard error and the
   prior's own singular scale, every complex singularity of the integrand lies at |Im x| >= pi/2
   (the likelihood's are at tau^2 = -sigma_i^2). For priors that vanish at 0 (log-normal,
   log-t) c is tiny, so that x is log tau up to a shift.
3. The posterior density in x is sampled at Chebyshev points on the interval holding all but
   ~1e-15 of the mass; the Chebyshev coefficients' tail bounds the error, and rows whose tail
   exceeds the tolerance are refitted with twice the points (65, 129, 257, 513). Clenshaw-Curtis
   weights give the normalising constant (the marginal likelihood), spectral integration the CDF
   of tau, barycentric interpolation its values anywhere.
4. The mixtures for mu, theta_new and each theta_i use the same nodes (a discrete mixture like
   DIRECT's, with quadrature weights instead of bin probabilities); their quantiles are found by
   safeguarded Newton iterations, all quantiles of all rows in one loop.

The statistics are pure functions of arrays: rows are meta-analyses (one row = one call of
bayesmeta), columns studies; a boolean mask marks the studies present in each row.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import fft, special

_LOG_2PI = math.log(2.0 * math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SCAN = np.arange(-40.0, 40.0 + 1e-9, 0.5)      # log tau offsets from the row's reference scale
_DROP = 34.5                                   # log density range kept (e^-34.5 ~ 1e-15)
_NODES = (64, 128, 256, 512)                   # Chebyshev degrees tried in turn
_COEF_TOL = 1e-11                              # relative size of the coefficient tail accepted
_CHUNK = 4_000_000                             # elements of one (rows x nodes x studies) block


# ---------------------------------------------------------------------------------------------
# Chebyshev machinery (second-kind points, ascending, on [-1, 1])
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _cheb(n: int):
    """Nodes t_j (ascending), Clenshaw-Curtis weights, cumulative-integration matrix and
    barycentric weights for degree n."""
    j = np.arange(n + 1)
    t = -np.cos(np.pi * j / n)                                # ascending
    eye = np.eye(n + 1)
    coef = _coeffs(eye)                                       # row i: coefficients of e_i
    # integral coefficients: b_k = (c'_{k-1} - c_{k+1}) / (2k), c'_0 = 2 c_0
    c = np.concatenate([coef, np.zeros((n + 1, 2))], axis=1)
    b = np.zeros((n + 1, n + 2))
    k = np.arange(1, n + 2)
    cprev = c[:, :n + 1].copy()
    cprev[:, 0] *= 2.0
    b[:, 1:] = (cprev - c[:, 2:n + 3]) / (2.0 * k)
    sign = (-1.0) ** np.arange(n + 2)                         # T_k(-1)
    b[:, 0] = -(b[:, 1:] * sign[1:]).sum(axis=1)
    tk = np.cos(np.outer(np.arccos(np.clip(t, -1, 1)), np.arange(n + 2)))   # T_k(t_j)
    cum = b @ tk.T                                            # cum[i, j]: integral of e_i up to t_j
    ccw = cum[:, -1].copy()                                   # integral over [-1, 1]
    bary = np.ones(n + 1)
    bary[1::2] = -1.0
    bary[0] *= 0.5
    bary[-1] *= 0.5
    return t, ccw, cum, bary


def _coeffs(values):
    """Chebyshev coefficients (last axis) of values at the ascending second-kind points."""
    n = values.shape[-1] - 1
    a = fft.dct(values[..., ::-1], type=1, axis=-1) / n
    a[..., 0] *= 0.5
    a[..., -1] *= 0.5
    return a


def _bary(tq, tn, fvals, bw):
    """Barycentric interpolation of fvals (m, [q,] n+1) at nodes tn (n+1,) to points tq (m, q)."""
    d = tq[..., None] - tn
    exact = d == 0.0
    d = np.where(exact, 1.0, d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = bw / d
    num = (r * fvals).sum(-1) if fvals.ndim == tq.ndim + 1 else (r * fvals[:, None, :]).sum(-1)
    val = num / r.sum(-1)
    if exact.any():
        hit = exact.any(-1)
        idx = exact.argmax(-1)
        fv = fvals if fvals.ndim == tq.ndim + 1 else np.broadcast_to(fvals[:, None, :], d.shape)
        val = np.where(hit, np.take_along_axis(fv, idx[..., None], -1)[..., 0], val)
    return val


# ---------------------------------------------------------------------------------------------
# conditional posterior given tau
# ---------------------------------------------------------------------------------------------


def _conditional(tau, y, v, mask, prec0, m0):
    """For tau (m, N): log p(y | tau), conditional mean and variance of mu, and the study weights.

    y, v, mask: (m, K); prec0, m0: (m, 1) (prec0 = 0 for the flat prior)."""
    t2 = (tau * tau)[..., None]
    w = np.where(mask[:, None, :], 1.0 / (v[:, None, :] + t2), 0.0)
    sw = w.sum(-1) + prec0
    mubar = ((w * y[:, None, :]).sum(-1) + prec0 * m0) / sw
    resid = y[:, None, :] - mubar[..., None]
    q = (w * resid * resid).sum(-1) + prec0 * (m0 - mubar) ** 2
    with np.errstate(divide="ignore"):
        logw = np.where(mask[:, None, :], np.log(np.where(mask[:, None, :], w, 1.0)), 0.0)
    k = mask.sum(-1, keepdims=True)
    flat = prec0 == 0
    const = np.where(flat, 0.5 * _LOG_2PI, 0.5 * np.log(np.where(flat, 1.0, prec0)))
    loglik = -0.5 * k * _LOG_2PI + 0.5 * logw.sum(-1) - 0.5 * q - 0.5 * np.log(sw) + const
    return loglik, mubar, 1.0 / sw, w


# ---------------------------------------------------------------------------------------------
# grid construction
# ---------------------------------------------------------------------------------------------


@dataclass
class Grid:
    """The discretised posterior of tau for a block of rows (all with the same degree n)."""

    rows: np.ndarray          # indices into the batch
    n: int
    c: np.ndarray             # (m,) scale of the sinh map
    xlo: np.ndarray
    xhi: np.ndarray
    tau: np.ndarray           # (m, n+1) nodes in tau
    dens_x: np.ndarray        # (m, n+1) normalised posterior density in x
    cdf: np.ndarray           # (m, n+1) posterior CDF at the nodes
    weight: np.ndarray        # (m, n+1) quadrature weights (sum 1)
    log_evidence: np.ndarray  # (m,) log of the integral of p(y | tau) p(tau)
    coef_tail: np.ndarray     # (m,) relative size of the Chebyshev tail
    lost: np.ndarray          # (m,) estimated posterior mass outside [xlo, xhi]
    mubar: np.ndarray = field(default=None)
    vbar: np.ndarray = field(default=None)
    w: np.ndarray = field(default=None)
    prec0: np.ndarray = field(default=None)
    m0: np.ndarray = field(default=None)
    mask: np.ndarray = field(default=None)
    bounded: np.ndarray = field(default=None)   # (m,) True where the grid ends at the prior's upper bound


def _col(a, m):
    return np.broadcast_to(np.asarray(a, dtype=float).reshape(-1), (m,))


def _scan(y, v, mask, prec0, m0, prior, rows):
    """Coarse scan over log tau: the interval holding the mass, and the sinh-map scale."""
    m = y.shape[0]
    vmin = np.where(mask, v, np.inf).min(-1)
    vmed = np.exp((np.where(mask, np.log(np.where(mask, v, 1.0)), 0.0)).sum(-1) / np.maximum(mask.sum(-1), 1))
    typ = _col(prior.typical(rows), m)
    ref = np.where(np.isfinite(typ), np.sqrt(np.sqrt(vmed) * typ), np.sqrt(vmed))
    lt = np.log(ref)[:, None] + _SCAN[None, :]
    tau = np.exp(lt)
    loglik, *_ = _conditional(tau, y, v, mask, prec0, m0)
    lp = loglik + prior.logpdf(tau, rows) + lt            # density in log tau
    upper = _col(prior.upper(rows), m)
    top = np.nanmax(np.where(np.isfinite(lp), lp, -np.inf), axis=-1)
    keep = lp > (top[:, None] - _DROP)
    first = keep.argmax(-1)
    last = keep.shape[1] - 1 - keep[:, ::-1].argmax(-1)
    lo_i = np.maximum(first - 1, 0)
    hi_i = np.minimum(last + 1, keep.shape[1] - 1)
    tlo = np.take_along_axis(tau, lo_i[:, None], 1)[:, 0]
    thi = np.take_along_axis(tau, hi_i[:, None], 1)[:, 0]
    thi = np.minimum(thi, upper)
    # mass beyond the scanned range (crude, for the error report)
    mass = np.exp(lp - top[:, None])
    tot = np.where(np.isfinite(mass), mass, 0).sum(-1)
    edge = np.where(np.isfinite(mass[:, 0]), mass[:, 0], 0) + np.where(np.isfinite(mass[:, -1]), mass[:, -1], 0)
    lost = np.where(keep[:, 0] | keep[:, -1], edge / tot, 0.0)
    sd = np.sqrt(vmin)
    if prior.positive_at_zero:
        sing = _col(prior.singular_scale(rows), m)
        c = np.minimum(sd, sing)
        near_zero = tlo < c
        tlo = np.where(near_zero | (first == 0), 0.0, tlo)
    else:
        c = np.minimum(sd, 1e-4 * tlo)
    return c, tlo, thi, lost


def _evaluate(y, v, mask, prec0, m0, prior, rows, c, xlo, xhi, n):
    t, ccw, cum, bary = _cheb(n)
    half = 0.5 * (xhi - xlo)
    x = xlo[:, None] + half[:, None] * (t[None, :] + 1.0)
    tau = c[:, None] * np.sinh(x)
    loglik, mubar, vbar, w = _conditional(tau, y, v, mask, prec0, m0)
    logd = loglik + prior.logpdf(tau, rows) + np.log(c[:, None] * np.cosh(x))
    top = np.max(np.where(np.isfinite(logd), logd, -np.inf), axis=-1)
    d = np.exp(logd - top[:, None])
    d = np.where(np.isfinite(d), d, 0.0)
    a = np.abs(_coeffs(d))
    tail = a[:, -max(3, n // 16):].max(-1) / np.maximum(a.max(-1), 1e-300)
    z = d @ ccw * half
    dens = d / z[:, None]
    cdf = (dens @ cum) * half[:, None]
    weight = dens * (ccw * half[:, None])
    log_ev = np.log(z) + top
    return dict(tau=tau, dens_x=dens, cdf=cdf, weight=weight, log_evidence=log_ev, coef_tail=tail,
                mubar=mubar, vbar=vbar, w=w, x=x)


def build_grids(y, v, mask, prec0, m0, prior):
    """Discretise the posterior of tau for every row; returns a list of Grid blocks."""
    m = y.shape[0]
    all_rows = np.arange(m)
    c, tlo, thi, lost = _scan(y, v, mask, prec0, m0, prior, all_rows)
    bounded = thi >= _col(prior.upper(all_rows), m)
    xlo = np.arcsinh(tlo / c)
    xhi = np.arcsinh(thi / c)
    bad = ~(xhi > xlo)
    xhi = np.where(bad, xlo + 1.0, xhi)
    pending = all_rows
    blocks = []
    for n in _NODES:
        if pending.size == 0:
            break
        r = pending
        out = _evaluate(y[r], v[r], mask[r], prec0[r], m0[r], prior, r, c[r], xlo[r], xhi[r], n)
        ok = (out["coef_tail"] <= _COEF_TOL) | (n == _NODES[-1])
        if ok.any():
            sel = np.nonzero(ok)[0]
            blocks.append(Grid(rows=r[sel], n=n, c=c[r][sel], xlo=xlo[r][sel], xhi=xhi[r][sel],
                               tau=out["tau"][sel], dens_x=out["dens_x"][sel], cdf=out["cdf"][sel],
                               weight=out["weight"][sel], log_evidence=out["log_evidence"][sel],
                               coef_tail=out["coef_tail"][sel], lost=lost[r][sel],
                               mubar=out["mubar"][sel], vbar=out["vbar"][sel], w=out["w"][sel],
                               prec0=prec0[r][sel], m0=m0[r][sel], mask=mask[r][sel],
                               bounded=bounded[r][sel]))
        pending = r[~ok]
    return blocks


# ---------------------------------------------------------------------------------------------
# tau: quantiles and density from the grid
# ---------------------------------------------------------------------------------------------


def tau_cdf(g: Grid, tau_q):
    """Posterior CDF of tau at tau_q (m, q)."""
    t, _, _, bw = _cheb(g.n)
    xq = np.arcsinh(np.maximum(tau_q, 0.0) / g.c[:, None])
    tq = (xq - g.xlo[:, None]) / (0.5 * (g.xhi - g.xlo))[:, None] - 1.0
    val = _bary(np.clip(tq, -1, 1), t, g.cdf, bw)
    val = np.where(tq <= -1, 0.0, np.where(tq >= 1, 1.0, val))
    return np.clip(val, 0.0, 1.0)


def tau_pdf(g: Grid, tau_q):
    """Posterior density of tau at tau_q (m, q)."""
    t, _, _, bw = _cheb(g.n)
    xq = np.arcsinh(np.maximum(tau_q, 0.0) / g.c[:, None])
    half = (0.5 * (g.xhi - g.xlo))[:, None]
    tq = (xq - g.xlo[:, None]) / half - 1.0
    val = _bary(np.clip(tq, -1, 1), t, g.dens_x, bw)
    val = np.where((tq < -1) | (tq > 1) | (tau_q < 0), 0.0, val) / (g.c[:, None] * np.cosh(xq))
    return np.maximum(val, 0.0)


def tau_quantile(g: Grid, p):
    """Posterior quantiles of tau, p (m, q) -> (m, q); Newton in x, safeguarded by bisection."""
    t, _, _, bw = _cheb(g.n)
    p = np.asarray(p, dtype=float)
    half = (0.5 * (g.xhi - g.xlo))[:, None]
    # bracket between nodes
    idx = (g.cdf[:, None, :] < p[..., None]).sum(-1)
    lo_i = np.clip(idx - 1, 0, g.n)
    hi_i = np.clip(idx, 0, g.n)
    lo = t[lo_i]
    hi = t[hi_i]
    flo = np.take_along_axis(g.cdf, lo_i, 1)
    fhi = np.take_along_axis(g.cdf, hi_i, 1)
    span = np.where(fhi > flo, fhi - flo, 1.0)
    s = np.clip(lo + (hi - lo) * (p - flo) / span, lo, hi)
    for _ in range(60):
        f = _bary(s, t, g.cdf, bw) - p
        dfdt = _bary(s, t, g.dens_x, bw) * half
        lo = np.where(f < 0, s, lo)
        hi = np.where(f >= 0, s, hi)
        step = np.where(dfdt > 0, f / np.where(dfdt > 0, dfdt, 1.0), np.inf)
        new = s - step
        new = np.where((new < lo) | (new > hi) | ~np.isfinite(new), 0.5 * (lo + hi), new)
        done = np.abs(new - s) < 1e-14
        s = new
        if done.all():
            break
    x = g.xlo[:, None] + half * (s + 1.0)
    return g.c[:, None] * np.sinh(x)


# ---------------------------------------------------------------------------------------------
# normal mixtures over the tau nodes
# ---------------------------------------------------------------------------------------------


def mix_cdf_pdf(x, mean, sd, weight):
    """CDF and density of mixtures at x (m, q); mean, sd (m, q, N); weight (m, N)."""
    z = (x[..., None] - mean) / sd
    wq = weight[:, None, :]
    cdf = (wq * special.ndtr(z)).sum(-1)
    pdf = (wq * np.exp(-0.5 * z * z) / sd).sum(-1) * (1.0 / math.sqrt(2.0 * math.pi))
    return cdf, pdf


def mix_quantile(p, mean, sd, weight, tol=1e-12):
    """Quantiles of normal mixtures: p (m, q) -> (m, q); Newton safeguarded by a bracket."""
    p = np.asarray(p, dtype=float)
    live = weight[:, None, :] > 1e-300
    zq = special.ndtri(np.clip(p, 1e-300, 1 - 1e-16))[..., None]
    comp = mean + sd * zq
    lo = np.where(live, comp, np.inf).min(-1)
    hi = np.where(live, comp, -np.inf).max(-1)
    scale = np.sqrt((weight[:, None, :] * (sd * sd + mean * mean)).sum(-1)
                    - (weight[:, None, :] * mean).sum(-1) ** 2)
    x = (weight[:, None, :] * mean).sum(-1) + scale * zq[..., 0]
    x = np.clip(x, lo, hi)
    for _ in range(100):
        f, d = mix_cdf_pdf(x, mean, sd, weight)
        f = f - p
        lo = np.where(f < 0, x, lo)
        hi = np.where(f >= 0, x, hi)
        new = x - f / np.where(d > 0, d, np.inf)
        new = np.where((new < lo) | (new > hi) | ~np.isfinite(new) | (d <= 0), 0.5 * (lo + hi), new)
        done = np.abs(new - x) <= tol * np.maximum(scale, 1e-300)
        x = new
        if done.all():
            break
    return x


def hpd_newton(fun, a, b, level, active=None, iters=50):
    """Shortest interval [a, b] with mass ``level`` of a unimodal distribution.

    ``fun(x)`` returns (F, F', L, L') at x (arrays like a): the CDF, its derivative, the log
    density L of the interval's variable (up to a constant) and dL/dx, with x the Newton
    variable. Solves F(b) - F(a) = level and L(a) = L(b) by Newton's method from the central
    interval (a, b), steps capped at a quarter of the width; elements outside ``active`` (and
    those converged) are left alone. Returns (a, b, converged)."""
    a, b = a.copy(), b.copy()
    todo = np.ones(a.shape, dtype=bool) if active is None else active.copy()
    conv = ~todo
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(iters):
            if not todo.any():
                break
            Fa, fa, La, dLa = fun(a)
            Fb, fb, Lb, dLb = fun(b)
            g1 = Fb - Fa - level
            g2 = La - Lb
            det = fa * dLb - fb * dLa
            ok = todo & (det < 0) & np.isfinite(det)       # unimodal: dLa > 0 > dLb
            det = np.where(ok, det, -1.0)
            da = np.where(ok, (g1 * dLb + fb * g2) / det, 0.0)
            db = np.where(ok, (fa * g2 + dLa * g1) / det, 0.0)
            width = b - a
            step = np.maximum(np.abs(da), np.abs(db))
            shrink = np.where(step > 0.25 * width, 0.25 * width / np.where(step > 0, step, 1.0), 1.0)
            da, db = da * shrink, db * shrink
            a, b = a + da, b + db
            small = ok & (step <= 1e-13 * np.maximum(np.abs(width), 1e-300))
            conv = conv | (todo & small & (np.abs(g1) < 1e-9))
            todo = todo & ~small & ok
    return a, b, conv


def gauss_rule(g: "Grid", n=16):
    """n-point Gauss rule of the discretised posterior of tau (in the mapped variable x).

    Stieltjes' procedure on the discrete measure (nodes t_j, weights g.weight) gives the Jacobi
    matrix of its orthonormal polynomials; its eigenvalues are the Gauss nodes, the squared first
    eigenvector components the weights (Golub & Welsch 1969; Gautschi 2004, sec. 2.2.3). Used
    for cheap Newton iterates on the normal mixtures, which are then polished on the full grid.
    Returns tau nodes (m, n) and weights (m, n)."""
    t = _cheb(g.n)[0]
    W = g.weight
    m = W.shape[0]
    n = min(n, (g.n + 1) // 3)
    alpha = np.zeros((m, n))
    beta = np.zeros((m, n))
    q_prev = np.zeros_like(W)
    q = np.ones_like(W)
    b = np.zeros(m)
    for j in range(n):
        alpha[:, j] = (W * t * q * q).sum(-1)
        r = (t - alpha[:, j:j + 1]) * q - b[:, None] * q_prev
        b = np.sqrt((W * r * r).sum(-1))
        beta[:, j] = b
        q_prev, q = q, r / np.where(b > 0, b, 1.0)[:, None]
    J = np.zeros((m, n, n))
    idx = np.arange(n)
    J[:, idx, idx] = alpha
    J[:, idx[:-1], idx[1:]] = beta[:, :-1]
    J[:, idx[1:], idx[:-1]] = beta[:, :-1]
    nodes, vecs = np.linalg.eigh(J)
    wts = vecs[:, 0, :] ** 2
    x = g.xlo[:, None] + 0.5 * (g.xhi - g.xlo)[:, None] * (np.clip(nodes, -1, 1) + 1.0)
    return g.c[:, None] * np.sinh(x), wts / wts.sum(-1, keepdims=True)


def mix_quantile_polished(p, coarse, fine, tol=1e-11, iters=8):
    """Quantiles of normal mixtures: Newton on the coarse (Gauss) mixture, then Newton steps on
    the fine one (the full grid, whose accuracy is the result's) until every step is below
    ``tol`` times the mixture's scale; each step only for the quantiles not yet converged.
    ``coarse``/``fine`` are (mean, sd, weight) triples, mean and sd (m, q, N), weight (m, N)."""
    x = mix_quantile(p, *coarse)
    mean, sd, weight = fine
    scale = np.sqrt(np.maximum((weight[:, None, :] * (sd * sd + mean * mean)).sum(-1)
                               - (weight[:, None, :] * mean).sum(-1) ** 2, 1e-300))
    r, q = np.nonzero(np.ones(x.shape, dtype=bool))
    for _ in range(iters):
        if r.size == 0:
            break
        z = (x[r, q][:, None] - mean[r, q]) / sd[r, q]
        w = weight[r]
        f = (w * special.ndtr(z)).sum(-1)
        d = (w * np.exp(-0.5 * z * z) / sd[r, q]).sum(-1) * _INV_SQRT_2PI
        step = np.where(d > 0, (f - p[r, q]) / np.where(d > 0, d, 1.0), 0.0)
        x[r, q] -= step
        keep = np.abs(step) > tol * scale[r, q]
        r, q = r[keep], q[keep]
    return x


def mix_hpd(coarse, fine, level, lo, hi):
    """Shortest intervals of normal mixtures from the central interval (lo, hi): Newton on the
    coarse (Gauss) mixture, then on the full one (a few steps from there)."""
    def make(mean, sd, weight):
        wq = weight[:, None, :]

        def fun(x):
            z = (x[..., None] - mean) / sd
            phi = np.exp(-0.5 * z * z) / sd
            cdf = (wq * special.ndtr(z)).sum(-1)
            pdf = (wq * phi).sum(-1)
            dpdf = -(wq * phi * z / sd).sum(-1)
            pdf_s = np.maximum(pdf, 1e-300)
            return cdf, pdf * _INV_SQRT_2PI, np.log(pdf_s), dpdf / pdf_s
        return fun

    a, b, _ = hpd_newton(make(*coarse), lo, hi, level)
    a, b, _ = hpd_newton(make(*fine), a, b, level, iters=6)
    return a, b


def tau_hpd(g: "Grid", level, q_low, q_high, q_level):
    """Shortest intervals for tau: [0, Q(level)] when the density at 0 is at least the density at
    Q(level) (mode at 0); otherwise Newton in x from the central interval."""
    t, _, _, bw = _cheb(g.n)
    D = _cheb_diff(g.n)
    half = (0.5 * (g.xhi - g.xlo))[:, None]
    ddens = (g.dens_x @ D.T) / half

    def fun(xv):
        tq = np.clip((xv - g.xlo[:, None]) / half - 1.0, -1.0, 1.0)
        h = np.maximum(_bary(tq, t, g.dens_x, bw), 1e-300)
        dh = _bary(tq, t, ddens, bw)
        cdf = _bary(tq, t, g.cdf, bw)
        return cdf, h, np.log(h) - np.log(np.cosh(xv)), dh / h - np.tanh(xv)

    f0 = tau_pdf(g, np.zeros_like(q_level))
    at_zero = f0 >= tau_pdf(g, q_level)
    # a bounded prior (uniform) may put the mode at the upper end of the support
    upper = g.c[:, None] * np.sinh(g.xhi[:, None]) * np.ones_like(q_level)
    bounded = np.broadcast_to(g.bounded[:, None], q_level.shape) if g.bounded is not None else np.zeros_like(at_zero)
    q_rest = tau_quantile(g, np.full(q_level.shape, 1.0 - level))
    at_top = bounded & ~at_zero & (tau_pdf(g, upper) >= tau_pdf(g, q_rest))
    xa = np.arcsinh(q_low / g.c[:, None])
    xb = np.arcsinh(q_high / g.c[:, None])
    a, b, conv = hpd_newton(fun, xa, xb, level, active=~(at_zero | at_top))
    a, b = g.c[:, None] * np.sinh(a), g.c[:, None] * np.sinh(b)
    # the shortest of the candidates: interior (Newton), [0, Q(level)], [Q(1 - level), upper]
    # (for unimodal densities the rules above already decide; a density unbounded at 0, as the
    # log-t priors give, is not unimodal, and there the comparison decides)
    inner_ok = conv & ~(at_zero | at_top) & (a > 0) & (b > a) & (b <= upper * (1 + 1e-12))
    use_zero = at_zero | ~inner_ok | (q_level < b - a)
    use_zero &= ~at_top | (q_level < upper - q_rest)
    a = np.where(use_zero, 0.0, np.where(at_top, q_rest, a))
    b = np.where(use_zero, q_level, np.where(at_top, upper, b))
    return a, b


@lru_cache(maxsize=None)
def _cheb_diff(n: int):
    """Chebyshev differentiation matrix at the ascending second-kind points (Trefethen 2000)."""
    t = _cheb(n)[0]
    c = np.ones(n + 1)
    c[0] = c[-1] = 2.0
    c *= (-1.0) ** np.arange(n + 1)
    dx = t[:, None] - t[None, :] + np.eye(n + 1)
    D = np.outer(c, 1.0 / c) / dx
    D -= np.diag(D.sum(axis=1))
    return D


# ---------------------------------------------------------------------------------------------
# summaries of one block of rows
# ---------------------------------------------------------------------------------------------


def components(g: Grid, y, v):
    """Means and sds (m, 2 + K, N) of the conditional normals: mu, theta_new, theta_1..K."""
    b = (v[:, None, :] * g.w)                                  # shrinkage factors (m, N, K)
    th_mean = b * g.mubar[..., None] + (1.0 - b) * y[:, None, :]
    th_var = v[:, None, :] * (1.0 - b) + b * b * g.vbar[..., None]
    mean = np.concatenate([g.mubar[:, None, :], g.mubar[:, None, :], np.moveaxis(th_mean, 2, 1)], axis=1)
    var = np.concatenate([g.vbar[:, None, :], (g.vbar + g.tau ** 2)[:, None, :], np.moveaxis(th_var, 2, 1)], axis=1)
    return mean, np.sqrt(var)


def summarise(g: Grid, y, v, level):
    """Posterior summaries of the rows of block g; level a probability in (0, 1)."""
    out = {}
    wt = g.weight
    m = wt.shape[0]
    a2 = (1.0 - level) / 2.0
    # tau
    pt = np.broadcast_to(np.array([0.5, a2, 1.0 - a2]), (m, 3))
    qt = tau_quantile(g, pt)
    out["tau_median"], out["tau_ci_low"], out["tau_ci_high"] = qt.T
    out["tau_mean"] = (wt * g.tau).sum(-1)
    out["tau2_mean"] = (wt * g.tau ** 2).sum(-1)
    out["tau_sd"] = np.sqrt(np.maximum(out["tau2_mean"] - out["tau_mean"] ** 2, 0.0))
    q_lev = tau_quantile(g, np.full((m, 1), level))
    lo, hi = tau_hpd(g, level, qt[:, 1:2], qt[:, 2:3], q_lev)
    out["tau_hpd_low"], out["tau_hpd_high"] = lo[:, 0], hi[:, 0]
    # mixtures: mu, theta_new, theta_i -- on the full grid and on its Gauss reduction
    mean, sd = components(g, y, v)
    q = mean.shape[1]
    mom_mean = (wt[:, None, :] * mean).sum(-1)
    mom_var = (wt[:, None, :] * (sd * sd + mean * mean)).sum(-1) - mom_mean ** 2
    gt, gw = gauss_rule(g)
    _, gmu, gv, gwts = _conditional(gt, y, v, g.mask, g.prec0, g.m0)
    gmean, gsd = components(Grid(rows=g.rows, n=g.n, c=g.c, xlo=g.xlo, xhi=g.xhi, tau=gt, dens_x=None, cdf=None,
                                 weight=gw, log_evidence=None, coef_tail=None, lost=None, mubar=gmu, vbar=gv,
                                 w=gwts), y, v)
    p3 = np.array([0.5, a2, 1.0 - a2])
    quant = mix_quantile_polished(np.broadcast_to(np.tile(p3, q), (m, 3 * q)),
                                  (np.repeat(gmean, 3, axis=1), np.repeat(gsd, 3, axis=1), gw),
                                  (np.repeat(mean, 3, axis=1), np.repeat(sd, 3, axis=1), wt)).reshape(m, q, 3)
    mu_pred_mean, mu_pred_sd = mean[:, :2], sd[:, :2]
    lo, hi = mix_hpd((gmean[:, :2], gsd[:, :2], gw), (mu_pred_mean, mu_pred_sd, wt), level,
                     quant[:, :2, 1], quant[:, :2, 2])
    for j, name in enumerate(("mu", "pred")):
        out[f"{name}_mean"] = mom_mean[:, j]
        out[f"{name}_sd"] = np.sqrt(np.maximum(mom_var[:, j], 0.0))
        out[f"{name}_median"], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = quant[:, j].T
        out[f"{name}_hpd_low"], out[f"{name}_hpd_high"] = lo[:, j], hi[:, j]
    out["theta_mean"] = mom_mean[:, 2:]
    out["theta_sd"] = np.sqrt(np.maximum(mom_var[:, 2:], 0.0))
    out["theta_median"], out["theta_ci_low"], out["theta_ci_high"] = np.moveaxis(quant[:, 2:], 2, 0)
    out["log_evidence"] = g.log_evidence
    return out


def fit_batch(y, v, mask, prior, prec0, m0, level):
    """Fit every row; returns (summaries dict of arrays, blocks, row -> (block, index) map)."""
    m, k = y.shape
    blocks = []
    rows_per = max(1, _CHUNK // (max(k, 1) * 3 * 129 + 1))
    for start in range(0, m, rows_per):
        sl = slice(start, min(m, start + rows_per))
        r = np.arange(m)[sl]
        sub = build_grids(y[sl], v[sl], mask[sl], prec0[sl], m0[sl], prior_rows(prior, r))
        for g in sub:
            g.rows = r[g.rows]
        blocks.extend(sub)
    res = {}
    where = np.empty((m, 2), dtype=int)
    for bi, g in enumerate(blocks):
        s = summarise(g, y[g.rows], v[g.rows], level)
        for key, val in s.items():
            if key not in res:
                res[key] = np.full((m,) + val.shape[1:], np.nan)
            res[key][g.rows] = val
        for key in ("coef_tail", "lost"):
            res.setdefault(key, np.full(m, np.nan))[g.rows] = getattr(g, key)
        res.setdefault("nodes", np.zeros(m, dtype=int))[g.rows] = g.n + 1
        where[g.rows, 0] = bi
        where[g.rows, 1] = np.arange(g.rows.size)
    t0 = np.zeros((m, 1))
    ll0, *_ = _conditional(t0, y, v, mask, prec0, m0)
    res["loglik_tau0"] = ll0[:, 0]
    return res, blocks, where


def prior_rows(prior, rows):
    """The prior restricted to some rows (parameters of length m are subset)."""
    if prior.size == 1:
        return prior
    params = {k: (np.asarray(p)[rows] if np.ndim(p) == 1 else p) for k, p in prior.params.items()}
    return type(prior)(prior.family, params, prior.label)
