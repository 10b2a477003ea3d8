# Reference group-sequential boundaries for tests/test_tsa.py, from rpact (Debian r-cran-rpact 3.3.4).
# Run from this folder:  Rscript make_reference.R   (writes rpact_boundaries.json)
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
writeLines(toJSON(list(source = paste("rpact", packageVersion("rpact")), cases = cases, diversity = diversity), auto_unbox = TRUE,
                  digits = 12, pretty = TRUE), "rpact_boundaries.json")
