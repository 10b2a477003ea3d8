# Reference group-sequential boundaries for tests/test_tsa.py, from rpact (Debian r-cran-rpact 3.3.4).
# Run from this folder:  Rscript make_reference.R   (writes rpact_boundaries.json)
# Needs rpact, jsonlite, mvtnorm and metafor (Debian: r-cran-rpact r-cran-jsonlite r-cran-mvtnorm r-cran-metafor).
# Lan-DeMets O'Brien-Fleming-type alpha spending ("asOF") and beta spending ("bsOF"); rpact splits a
# two-sided alpha into alpha/2 per boundary, as ldbounds, gsDesign and RTSA do.
library(rpact)
library(jsonlite)
cases <- list()
add <- function(name, d, futility = FALSE) {
  out <- list(name = name, kMax = d$kMax, alpha = d$alpha, sided = d$sided,
              informationRates = d$informationRates, criticalValues = d$criticalValues,
              alphaSpent = d$alphaSpent)
  if (futility) {
    ch <- getDesignCharacteristics(d)
    out$beta <- d$beta
    out$futilityBounds <- d$futilityBounds
    out$betaSpent <- d$betaSpent
    out$inflationFactor <- ch$inflationFactor
    out$shift <- ch$shift
  }
  cases[[length(cases) + 1]] <<- out
}
add("two-sided 0.05, 5 equal looks", getDesignGroupSequential(kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asOF"))
add("two-sided 0.05, 4 unequal looks", getDesignGroupSequential(
  informationRates = c(0.12, 0.3, 0.65, 1), alpha = 0.05, sided = 2, typeOfDesign = "asOF"))
add("two-sided 0.05, 10 unequal looks", getDesignGroupSequential(
  informationRates = c(0.2, 0.27, 0.33, 0.41, 0.5, 0.58, 0.66, 0.75, 0.9, 1), alpha = 0.05, sided = 2,
  typeOfDesign = "asOF"))
add("one-sided 0.025, 3 equal looks", getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign = "asOF"))
add("one-sided 0.025, beta 0.2, 5 equal looks, non-binding beta spending", getDesignGroupSequential(
  kMax = 5, alpha = 0.025, beta = 0.2, sided = 1, typeOfDesign = "asOF", typeBetaSpending = "bsOF",
  bindingFutility = FALSE), futility = TRUE)
add("one-sided 0.025, beta 0.1, 4 unequal looks, non-binding beta spending", getDesignGroupSequential(
  informationRates = c(0.2, 0.45, 0.7, 1), alpha = 0.025, beta = 0.1, sided = 1, typeOfDesign = "asOF",
  typeBetaSpending = "bsOF", bindingFutility = FALSE), futility = TRUE)
add("two-sided 0.05, Pocock-type, 4 equal looks", getDesignGroupSequential(kMax = 4, alpha = 0.05, sided = 2,
  typeOfDesign = "asP"))
# Diversity D2 = (v_R - v_F) / v_R (Wetterslev 2009) from metafor's DL and equal-effects fits
library(metafor)
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
re <- rma(yi, vi, data = dat, method = "DL")
fe <- rma(yi, vi, data = dat, method = "EE")
diversity <- list(data = "metafor dat.bcg, log risk ratios", yi = as.numeric(dat$yi), vi = as.numeric(dat$vi),
                  tau2_DL = re$tau2, v_R = re$se^2, v_F = fe$se^2, D2 = (re$se^2 - fe$se^2) / re$se^2,
                  metafor = as.character(packageVersion("metafor")))

# The boundaries as continuous functions of the information fraction (what a TSA figure draws):
# the boundary of a look at t, given the looks taken before it. The boundary at look k does not
# depend on later looks, so it is rpact's critical value at t of the design with the earlier
# looks, t, and 1.
fractions <- seq(0.05, 1, by = 0.05)
efficacy_curve <- function(looks, alpha, sided) {
  sapply(fractions, function(t) {
    before <- looks[looks < t - 1e-12]
    rates <- if (t < 1 - 1e-12) c(before, t, 1) else c(before, 1)
    d <- getDesignGroupSequential(informationRates = rates, alpha = alpha, sided = sided, typeOfDesign = "asOF")
    d$criticalValues[length(before) + 1]
  })
}
# Futility under the design's drift theta = sqrt(shift) (rpact's getDesignCharacteristics): the b
# with P_theta(Z_t <= b, b_k < Z_k < c_k at the earlier looks) = beta*(t) - beta*(t_prev), the
# multivariate normal probability by Miwa's deterministic algorithm (mvtnorm), corr(Z_s, Z_t) =
# sqrt(s / t), E Z_t = theta sqrt(t); beta* the O'Brien-Fleming-type spending function.
library(mvtnorm)
obf_spent <- function(t, total) 2 * pnorm(-qnorm(1 - total / 2) / sqrt(t))  # the upper tail, no cancellation
futility_curve <- function(d) {
  theta <- sqrt(getDesignCharacteristics(d)$shift)
  looks <- d$informationRates
  crit <- d$criticalValues
  fut <- c(d$futilityBounds, crit[length(crit)])
  sapply(fractions, function(t) {
    if (t >= 1 - 1e-12) return(crit[length(crit)])
    k <- sum(looks < t - 1e-12)
    target <- obf_spent(t, d$beta) - (if (k > 0) obf_spent(looks[k], d$beta) else 0)
    ts <- c(looks[seq_len(k)], t)
    corr <- outer(ts, ts, function(a, b) sqrt(pmin(a, b) / pmax(a, b)))
    mean <- theta * sqrt(ts)
    prob <- function(b) {
      if (k == 0) return(pnorm(b - mean[1]))
      # Miwa replaces the infinite lower limit by -1000 (and says so): no probability lies there
      suppressWarnings(as.numeric(pmvnorm(lower = c(fut[seq_len(k)], -Inf), upper = c(crit[seq_len(k)], b),
                                          mean = mean, corr = corr, algorithm = Miwa(steps = 4097))))
    }
    uniroot(function(b) prob(b) - target, c(-10, crit[k + 1]), tol = 1e-12)$root
  })
}
looks2 <- c(0.15, 0.4, 0.7, 1)
# One earlier look close before t (0.12, then 0.15) is where rpact's grid is least accurate (its
# boundary at 0.15 is 5.6779; the integral below gives 5.6705): with a single earlier look the
# probability is a one-dimensional integral, P(Z_t >= c, |Z_t1| < c1) =
# int_{-c1}^{c1} phi(z) P(N(0, 1) >= (c sqrt(t) - z sqrt(t1)) / sqrt(t - t1)) dz, done by R's
# adaptive quadrature.
one_look <- function(t1, alpha) {
  c1 <- getDesignGroupSequential(informationRates = c(t1, 1), alpha = alpha, sided = 2,
                                 typeOfDesign = "asOF")$criticalValues[1]
  sapply(fractions, function(t) {
    if (t <= t1 + 1e-12) return(qnorm(obf_spent(t, alpha / 2), lower.tail = FALSE))
    target <- obf_spent(t, alpha / 2) - obf_spent(t1, alpha / 2)
    p <- function(c) integrate(function(z) dnorm(z) * pnorm((c * sqrt(t) - z * sqrt(t1)) / sqrt(t - t1),
                                                                lower.tail = FALSE),
                               -c1, c1, rel.tol = 1e-13, abs.tol = 0, subdivisions = 1000L)$value
    uniroot(function(c) p(c) - target, c(0.5, 12), tol = 1e-13)$root
  })
}
d_fut <- getDesignGroupSequential(informationRates = c(0.2, 0.45, 0.7, 1), alpha = 0.025, beta = 0.1, sided = 1,
                                  typeOfDesign = "asOF", typeBetaSpending = "bsOF", bindingFutility = FALSE)
curves <- list(
  list(name = "two-sided 0.05, looks at 0.15, 0.4, 0.7, 1", alpha = 0.05, sided = 2, looks = looks2,
       t = fractions, upper = efficacy_curve(looks2, 0.05, 2)),
  list(name = "two-sided 0.05, one look at 0.12, by quadrature", alpha = 0.05, sided = 2, looks = c(0.12, 1),
       t = fractions, upper = one_look(0.12, 0.05), upper_rpact = efficacy_curve(c(0.12, 1), 0.05, 2)),
  list(name = "one-sided 0.025, beta 0.1, looks at 0.2, 0.45, 0.7, 1, non-binding beta spending",
       alpha = 0.025, sided = 1, beta = 0.1, looks = d_fut$informationRates, t = fractions,
       upper = efficacy_curve(d_fut$informationRates, 0.025, 1), futility = futility_curve(d_fut),
       mvtnorm = as.character(packageVersion("mvtnorm")))
)
writeLines(toJSON(list(source = paste("rpact", packageVersion("rpact")), cases = cases, diversity = diversity,
                       curves = curves),
                  auto_unbox = TRUE, digits = 12, pretty = TRUE), "rpact_boundaries.json")
