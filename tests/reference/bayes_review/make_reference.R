# Reference posterior summaries for the review-level Bayesian analyses (tests/test_bayes_review.py),
# computed independently of ldn_evidence: R's adaptive quadrature (integrate, rel.tol 1e-12) of the
# marginal posterior of tau in the normal-normal hierarchical model with a flat prior for mu
# (Roever 2020, J Stat Softw 93(6), sec. 2: given tau, mu | tau, y is normal, so p(tau | y) is
# proportional to p(tau) V(tau)^(1/2) prod_i (v_i + tau^2)^(-1/2) exp(-Q(tau) / 2)), with mu, a new
# study's theta and theta_1 as normal mixtures over it, and quantiles by uniroot (tol 1e-13).
#
# Inputs: the BCG trials as metafor's escalc("RR") of dat.bcg (all 13; the 7 with random
# allocation, the review's parallel RCTs), and the LDN review's yi/vi from inputs.json
# (make_inputs.py). Run from this folder: Rscript make_reference.R  (metafor 3.8-1, jsonlite)
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

posterior <- function(y, v, logprior) {
  cond <- function(tau) {                    # mu | tau, y ~ N(m, V)
    w <- 1 / (v + tau^2); V <- 1 / sum(w); m <- sum(w * y) * V
    list(m = m, V = V, loglik = -0.5 * sum(log(v + tau^2)) + 0.5 * log(V) - 0.5 * sum(w * (y - m)^2))
  }
  lmax <- optimize(function(t) cond(t)$loglik + logprior(t), c(1e-8, 10), maximum = TRUE)$objective
  dens <- Vectorize(function(t) exp(cond(t)$loglik + logprior(t) - lmax))
  z <- integrate(dens, 0, Inf, rel.tol = 1e-12, subdivisions = 2000L)$value
  pdf <- function(t) dens(t) / z
  expect <- function(f) integrate(Vectorize(function(t) pdf(t) * f(t, cond(t))), 0, Inf, rel.tol = 1e-12,
                                  subdivisions = 2000L)$value
  list(pdf = pdf, cond = cond, expect = expect)
}

quant <- function(cdf, p, lo, hi) uniroot(function(x) cdf(x) - p, c(lo, hi), tol = 1e-13)$root

summaries <- function(y, v, logprior, mid) {
  P <- posterior(y, v, logprior)
  tau_cdf <- function(x) integrate(P$pdf, 0, x, rel.tol = 1e-12, subdivisions = 2000L)$value
  mix_cdf <- function(which) function(x) P$expect(function(t, c) {
    s <- switch(which, mu = sqrt(c$V), pred = sqrt(c$V + t^2), theta1 = {
      b <- v[1] / (v[1] + t^2); sqrt(v[1] * (1 - b) + b^2 * c$V) })
    m <- switch(which, mu = c$m, pred = c$m, theta1 = { b <- v[1] / (v[1] + t^2); b * c$m + (1 - b) * y[1] })
    pnorm((x - m) / s)
  })
  span <- 20 * (max(sqrt(v)) + diff(range(c(y, 0))) + 1)
  out <- list(k = length(y))
  probs <- c(median = 0.5, ci_low = 0.025, ci_high = 0.975)
  for (nm in names(probs)) out[[paste0("tau_", nm)]] <- quant(tau_cdf, probs[[nm]], 0, 50)
  for (which in c("mu", "pred", "theta1")) {
    cdf <- mix_cdf(which)
    for (nm in names(probs)) out[[paste0(which, "_", nm)]] <- quant(cdf, probs[[nm]], -span, span)
  }
  mu_cdf <- mix_cdf("mu")
  out$p_mu_below_0 <- mu_cdf(0)
  out$p_mu_below_mid <- mu_cdf(mid)
  out$mid <- mid
  out
}

halfnormal <- function(s) function(t) dnorm(t, 0, s, log = TRUE) + log(2)
lognormal <- function(meanlog, sdlog) function(t) dlnorm(t, meanlog, sdlog, log = TRUE)

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
rct <- bcg$alloc == "random"
cases <- list(
  bcg_tb = c(list(source = "metafor escalc('RR') of dat.bcg", scale = 0.5),
             summaries(bcg$yi, bcg$vi, halfnormal(0.5), log(0.75))),
  bcg_tb_hn0.25 = c(list(scale = 0.25), summaries(bcg$yi, bcg$vi, halfnormal(0.25), log(0.75))),
  bcg_tb_hn1 = c(list(scale = 1), summaries(bcg$yi, bcg$vi, halfnormal(1), log(0.75))),
  bcg_tb_random_allocation = c(list(scale = 0.5, first = bcg$author[rct][1]),
                               summaries(bcg$yi[rct], bcg$vi[rct], halfnormal(0.5), log(0.75)))
)
inputs <- fromJSON("inputs.json", simplifyVector = TRUE)
for (name in names(inputs)) {
  x <- inputs[[name]]
  lp <- if (x$prior$family == "halfnormal") halfnormal(x$prior$scale) else lognormal(x$prior$meanlog, x$prior$sdlog)
  cases[[name]] <- c(list(prior = x$prior, first = x$labels[1]), summaries(x$yi, x$vi, lp, x$mid))
}
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "reference.json")
