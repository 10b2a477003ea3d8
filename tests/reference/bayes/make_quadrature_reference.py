"""Brute-force reference values for the Bayesian random-effects meta-analysis.

Independent of ldn_evidence: the joint posterior density p(mu, tau | y) is integrated by nested
adaptive quadrature (scipy.integrate.quad, epsrel 1e-10, epsabs 1e-13 with the density scaled to ~1 at its centre) over mu and tau, with the priors taken
from scipy.stats. Nothing is marginalised analytically except a new study's theta given (mu, tau)
(and theta_i given mu, tau, y), which is the model's definition. Quantiles by brentq (xtol 1e-10);
shortest intervals by solving f(a) = f(b) = h with F(b) - F(a) = level for the density level h.

Run: python tests/reference/bayes/make_quadrature_reference.py  (writes quadrature.json; ~20 min), or in
parallel: ... --part 1/2 & ... --part 2/2; then ... --merge. ``--update GROUP ...`` recomputes some
groups (tau, mu, pi, theta1, other) of an existing quadrature.json with this code.
"""
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, stats

def _ncdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


EPS = dict(epsabs=1e-13, epsrel=1e-10, limit=200)
XTOL = 1e-10


def prior_logpdf(spec):
    fam = spec["family"]
    if fam == "halfnormal":
        d = stats.halfnorm(scale=spec["scale"])
    elif fam == "halfcauchy":
        d = stats.halfcauchy(scale=spec["scale"])
    elif fam == "halft":
        t = stats.t(df=spec["df"], scale=spec["scale"])
        return lambda x: math.log(2.0) + t.logpdf(x)
    elif fam == "uniform":
        up = spec["upper"]
        if up is None:
            return lambda x: 0.0
        return lambda x: -math.log(up) if x <= up else -math.inf
    elif fam == "lognormal":
        d = stats.lognorm(s=spec["sdlog"], scale=math.exp(spec["meanlog"]))
    elif fam == "logt":
        t = stats.t(df=spec["df"], loc=spec["location"], scale=spec["scale"])
        return lambda x: (t.logpdf(math.log(x)) - math.log(x)) if x > 0 else -math.inf
    return lambda x: d.logpdf(x) if x > 0 or fam in ("halfnormal", "halfcauchy") else -math.inf


class Posterior:
    def __init__(self, y, v, prior, mu_prior, level):
        self.y, self.v = np.asarray(y, float), np.asarray(v, float)
        self._yv = list(zip(self.y.tolist(), self.v.tolist()))
        self.lp = prior_logpdf(prior)
        self.mu_prior = mu_prior
        self.level = level
        self.upper = prior.get("upper") if prior["family"] == "uniform" else None
        self.log_scale = prior["family"] == "logt"
        w = 1 / self.v
        self.center = float((w * self.y).sum() / w.sum())
        self.spread = float(np.sqrt(self.v.max()) + np.ptp(self.y) + 1.0)
        self.shift = 0.0
        self.shift = self.logjoint(self.center, 0.1 * math.sqrt(self.v.min())) if not np.isinf(
            self.logjoint(self.center, 0.1 * math.sqrt(self.v.min()))) else 0.0
        self.z = self.integrate2(lambda mu, tau: 1.0)

    def logjoint(self, mu, tau, lp=None):
        t2 = tau * tau
        ll = 0.0
        for yi, vi in self._yv:
            s2 = vi + t2
            ll -= 0.5 * (math.log(2 * math.pi * s2) + (yi - mu) ** 2 / s2)
        if self.mu_prior is not None:
            m0, s0 = self.mu_prior
            ll += -0.5 * math.log(2 * math.pi * s0 * s0) - 0.5 * ((mu - m0) / s0) ** 2
        return ll + (self.lp(tau) if lp is None else lp) - self.shift

    def joint(self, mu, tau, lp=None):
        v = self.logjoint(mu, tau, lp)
        return math.exp(v) if v > -745 else 0.0

    def tau_range(self):
        return (0.0, self.upper) if self.upper is not None else (0.0, math.inf)

    def inner_mu(self, g, tau, mu_hi=math.inf, kink=None):
        """Integral over mu of g(mu, tau) p(mu, tau | y) (unnormalised); ``kink`` is where g steps
        from 0 to 1 (a breakpoint for quad: theta_i's CDF given (mu, tau) is a steep sigmoid in mu
        when tau is small)."""
        lp = self.lp(tau)
        if lp == -math.inf:
            return 0.0
        f = lambda mu: g(mu, tau) * self.joint(mu, tau, lp)
        c, s = self.center, self.spread + tau
        lo, hi = c - 60 * s, min(mu_hi, c + 60 * s)
        if mu_hi < lo:
            return 0.0
        cuts = sorted({lo, hi, *(p for p in (c, kink) if p is not None and lo < p < hi)})
        return sum(integrate.quad(f, a, b, **EPS)[0] for a, b in zip(cuts[:-1], cuts[1:]))

    def integrate2(self, g, mu_hi=math.inf, tau_hi=None, kink=None):
        a, b = self.tau_range()
        if tau_hi is not None:
            b = min(b, tau_hi)
        h = lambda tau: self.inner_mu(g, tau, mu_hi, None if kink is None else kink(tau))
        s = math.sqrt(self.v.min())
        if self.log_scale:       # the log-t prior's density is unbounded at 0: integrate over log tau
            if b <= 0:
                return 0.0
            hs = lambda u: h(math.exp(u)) * math.exp(u)
            top = math.log(b) if math.isfinite(b) else math.log(s) + 40.0   # mass beyond ~e^-40
            mid = min(math.log(s), top)
            return integrate.quad(hs, -math.inf, mid, **EPS)[0] + (integrate.quad(hs, mid, top, **EPS)[0]
                                                                   if top > mid else 0.0)
        if math.isinf(b):
            return integrate.quad(h, a, s, **EPS)[0] + integrate.quad(h, s, math.inf, **EPS)[0]
        if b > s:
            return integrate.quad(h, a, s, **EPS)[0] + integrate.quad(h, s, b, **EPS)[0]
        return integrate.quad(h, a, b, **EPS)[0]

    # tau
    def tau_pdf(self, tau):
        return self.inner_mu(lambda m, t: 1.0, tau) / self.z

    def tau_cdf(self, t):
        return self.integrate2(lambda m, tt: 1.0, tau_hi=t) / self.z

    # mu
    def mu_pdf(self, mu):
        a, b = self.tau_range()
        f = lambda tau: self.joint(mu, tau)
        s = math.sqrt(self.v.min())
        if self.log_scale:
            fs = lambda u: f(math.exp(u)) * math.exp(u)
            return (integrate.quad(fs, -math.inf, math.log(s), **EPS)[0]
                    + integrate.quad(fs, math.log(s), math.log(s) + 40.0, **EPS)[0]) / self.z
        if math.isinf(b):
            val = integrate.quad(f, a, s, **EPS)[0] + integrate.quad(f, s, math.inf, **EPS)[0]
        else:
            val = integrate.quad(f, a, b, **EPS)[0]
        return val / self.z

    def mu_cdf(self, x):
        return self.integrate2(lambda m, t: 1.0, mu_hi=x) / self.z

    def pred_cdf(self, x):
        return self.integrate2(lambda m, t: _ncdf((x - m) / t) if t > 0 else float(m <= x), kink=lambda t: x) / self.z

    def theta_cdf(self, i, x):
        """CDF of study i's theta_i. theta_i | tau, y is normal (mean b mu_hat + (1 - b) y_i,
        variance v_i (1 - b) + b^2 V, b = v_i / (v_i + tau^2); Röver 2020, sec. 2.8), integrated
        over the brute-force marginal posterior of tau (itself a quad over mu). A 2-D quad of the
        conditional given (mu, tau) does not reach 1e-6: near tau = 0 it is a step in mu."""
        yi, vi = self.y[i], self.v[i]
        w0 = 1.0 / self.v
        a, b_ = self.tau_range()

        def h(t):
            w = 1.0 / (self.v + t * t)
            if self.mu_prior is None:
                prec, num = w.sum(), (w * self.y).sum()
            else:
                m0, s0 = self.mu_prior
                prec, num = w.sum() + 1 / s0 ** 2, (w * self.y).sum() + m0 / s0 ** 2
            mubar, V = num / prec, 1.0 / prec
            bi = vi / (vi + t * t)
            mean, sd = bi * mubar + (1 - bi) * yi, math.sqrt(vi * (1 - bi) + bi * bi * V)
            return _ncdf((x - mean) / sd) * self.inner_mu(lambda m, tt: 1.0, t)

        del w0
        s = math.sqrt(self.v.min())
        if self.log_scale:
            hs = lambda u: h(math.exp(u)) * math.exp(u)
            return (integrate.quad(hs, -math.inf, math.log(s), **EPS)[0]
                    + integrate.quad(hs, math.log(s), math.log(s) + 40.0, **EPS)[0]) / self.z
        if math.isinf(b_):
            val = integrate.quad(h, a, s, **EPS)[0] + integrate.quad(h, s, math.inf, **EPS)[0]
        else:
            val = integrate.quad(h, a, min(s, b_), **EPS)[0] + (integrate.quad(h, s, b_, **EPS)[0] if b_ > s else 0.0)
        return val / self.z

    def moment(self, g):
        return self.integrate2(g) / self.z


def quantile(cdf, p, lo, hi):
    while cdf(lo) > p:
        lo -= (hi - lo)
    while cdf(hi) < p:
        hi += (hi - lo)
    return optimize.brentq(lambda x: cdf(x) - p, lo, hi, xtol=XTOL, rtol=4 * np.finfo(float).eps)


def hpd(pdf, cdf, level, mode_guess, lo, hi, lower_bound=None):
    """Shortest interval: density level h with F(b(h)) - F(a(h)) = level."""
    # the mode lies between the 0.1% and 90% quantiles (unimodal, mode at most the 90% quantile)
    mlo = lo if lower_bound is not None else quantile(cdf, 0.001, lo, hi)
    mode = optimize.minimize_scalar(lambda x: -pdf(x), bounds=(mlo, quantile(cdf, 0.9, lo, hi)),
                                    method="bounded", options={"xatol": 1e-10}).x
    fmax = pdf(mode)
    if lower_bound is not None:
        b0 = quantile(cdf, level, lower_bound, hi)
        if pdf(lower_bound) >= pdf(b0):
            return lower_bound, b0

    def ends(h):
        a = optimize.brentq(lambda x: pdf(x) - h, lo, mode, xtol=XTOL) if lower_bound is None or pdf(lower_bound) < h \
            else lower_bound
        b = optimize.brentq(lambda x: pdf(x) - h, mode, hi, xtol=XTOL)
        return a, b

    def mass(h):
        a, b = ends(h)
        return cdf(b) - cdf(a) - level
    # lowest level: above the density at the search limits (heavy tails: pdf(hi) is not tiny)
    h_lo = max(1e-9 * fmax, 2 * pdf(hi), 0.0 if lower_bound is not None else 2 * pdf(lo))
    h = optimize.brentq(mass, h_lo, fmax * (1 - 1e-9), xtol=1e-13 * fmax, rtol=1e-13)
    return ends(h)


CASES = []


def add_cases():
    rng = np.random.default_rng(20240519)
    priors = [
        ({"family": "halfnormal", "scale": 0.5}, None),
        ({"family": "halfcauchy", "scale": 0.5}, None),
        ({"family": "halft", "scale": 0.5, "df": 3.0}, (0.0, 4.0)),
        ({"family": "uniform", "upper": 2.0}, None),
        ({"family": "lognormal", "meanlog": -1.28, "sdlog": 0.87}, (0.0, 2.0)),
        ({"family": "logt", "location": -1.72, "scale": 1.295, "df": 5.0}, None),
        ({"family": "uniform", "upper": None}, None),
        ({"family": "halfnormal", "scale": 1.0}, (0.5, 1.0)),
    ]
    ks = [2, 3, 4, 6, 3, 2, 5, 4]
    for j, ((prior, mu_prior), k) in enumerate(zip(priors, ks)):
        y = np.round(rng.normal(0.3, 0.5, k), 4)
        v = np.round(rng.uniform(0.1, 0.6, k) ** 2, 5)
        level = 90.0 if j == 3 else 95.0
        CASES.append({"name": f"random{j + 1}_{prior['family']}_k{k}", "yi": y.tolist(), "vi": v.tolist(),
                      "tau_prior": prior, "mu_prior": mu_prior, "level": level})


def reference(case, only=None):
    """Reference values of one case; ``only``: the groups to compute (tau, mu, pi, theta1, other)."""
    want = (lambda group: True) if not only else (lambda group: group in only)
    P = Posterior(case["yi"], case["vi"], case["tau_prior"], case["mu_prior"], case["level"] / 100)
    lev = case["level"] / 100
    a2 = (1 - lev) / 2
    c, s = P.center, P.spread
    out = {}
    if want("tau"):
        tmax = P.upper if P.upper is not None else quantile(P.tau_cdf, 1 - 1e-4, 0.0, 2 * s)
        out["tau_median"] = quantile(P.tau_cdf, 0.5, 0.0, 2 * s)
        out["tau_ci_low"] = quantile(P.tau_cdf, a2, 0.0, 2 * s)
        out["tau_ci_high"] = quantile(P.tau_cdf, 1 - a2, 0.0, 2 * s)
        if case["tau_prior"]["family"] == "logt":
            # the log-t prior's density is unbounded at tau = 0 ((log tau)^-6 / tau), so the
            # highest-density region is not an interval; no reference for the shortest interval
            out["tau_hpd_low"] = out["tau_hpd_high"] = None
        elif case["tau_prior"]["family"] != "lognormal":
            out["tau_hpd_low"], out["tau_hpd_high"] = hpd(P.tau_pdf, P.tau_cdf, lev, None, 0.0, tmax, lower_bound=0.0)
        else:
            out["tau_hpd_low"], out["tau_hpd_high"] = hpd(P.tau_pdf, P.tau_cdf, lev, None, 1e-12, tmax)
    if want("mu"):
        out["mu_median"] = quantile(P.mu_cdf, 0.5, c - s, c + s)
        out["mu_ci_low"] = quantile(P.mu_cdf, a2, c - s, c + s)
        out["mu_ci_high"] = quantile(P.mu_cdf, 1 - a2, c - s, c + s)
        out["mu_hpd_low"], out["mu_hpd_high"] = hpd(P.mu_pdf, P.mu_cdf, lev, None, c - 30 * s, c + 30 * s)
        out["mu_mean"] = P.moment(lambda m, t: m)
    if want("pi"):
        out["pi_low"] = quantile(P.pred_cdf, a2, c - s, c + s)
        out["pi_high"] = quantile(P.pred_cdf, 1 - a2, c - s, c + s)
    if want("theta1"):
        out["theta1_median"] = quantile(lambda x: P.theta_cdf(0, x), 0.5, c - s, c + s)
        out["theta1_ci_low"] = quantile(lambda x: P.theta_cdf(0, x), a2, c - s, c + s)
        out["theta1_ci_high"] = quantile(lambda x: P.theta_cdf(0, x), 1 - a2, c - s, c + s)
    if want("other"):
        out["prob_mu_lt_0"] = P.mu_cdf(0.0)
        log_z = math.log(P.z) + P.shift
        out["log_evidence"] = log_z       # log of the integral of p(y | mu, tau) p(mu) p(tau) (p(mu) = 1 if flat)
        if case["tau_prior"]["family"] not in ("lognormal", "logt"):
            # tau = 0: integrate over mu only
            f0 = lambda mu: math.exp(P.logjoint(mu, 0.0) - P.lp(0.0))
            ll0 = math.log(integrate.quad(f0, c - 60 * s, c + 60 * s, **EPS)[0]) + P.shift
            out["bayes_factor_tau0"] = math.exp(ll0 - log_z) if case["tau_prior"].get("upper", 1) is not None else None
    return out


def main(argv):
    """No arguments: all cases -> quadrature.json. ``--part i/n``: every n-th case from the i-th
    (to run in parallel) -> quadrature.part<i>.json; ``--merge``: join the parts."""
    here = Path(__file__).parent
    header = {"source": "brute-force 2-D adaptive quadrature of the joint posterior (scipy.integrate.quad, "
                        "epsrel 1e-10, epsabs 1e-13 on a density scaled to ~1; brentq xtol 1e-10); "
                        "see make_quadrature_reference.py"}
    if argv[:1] in (["--update"], ["--update-part"]):    # --update theta1 pi: recompute those groups
        path = here / ("quadrature.json" if argv[0] == "--update" else f"quadrature.part{argv[1]}.json")
        argv = argv[1:] if argv[0] == "--update" else argv[2:]
        data = json.loads(path.read_text())
        for case in data["cases"]:
            fresh = reference(case, only=argv)
            case["expected"].update(fresh)
            print(case["name"], fresh, flush=True)
        path.write_text(json.dumps(data, indent=1) + "\n")
        return
    if argv[:1] == ["--merge"]:
        parts = sorted(here.glob("quadrature.part*.json"))
        cases = [c for p in parts for c in json.loads(p.read_text())["cases"]]
        order = {c["name"]: i for i, c in enumerate(CASES)}
        cases.sort(key=lambda c: order[c["name"]])
        (here / "quadrature.json").write_text(json.dumps({**header, "cases": cases}, indent=1) + "\n")
        for p in parts:
            p.unlink()
        return
    todo, out = CASES, here / "quadrature.json"
    if argv[:1] == ["--part"]:
        i, n = (int(x) for x in argv[1].split("/"))
        todo, out = CASES[i - 1::n], here / f"quadrature.part{i}.json"
    results = []
    for case in todo:
        t0 = time.time()
        case = dict(case)
        case["expected"] = reference(case)
        print(case["name"], f"{time.time() - t0:.1f}s", case["expected"], flush=True)
        results.append(case)
    out.write_text(json.dumps({**header, "cases": results}, indent=1) + "\n")


add_cases()

if __name__ == "__main__":
    main(sys.argv[1:])
