# Reference values for ldn_evidence.bayes_meta_analysis from the R package bayesmeta
# (Roever 2020, J Stat Softw 93(6); CRAN version 3.4), run at tight accuracy
# (delta = 1e-5, epsilon = 1e-9 instead of the defaults 0.01 and 1e-4) so that its DIRECT
# discretisation error (~1e-3 at the defaults) falls well below the 1e-4 the tests ask for.
# The tau summaries (integrated with integrate(), not DIRECT) are exact at either setting.
#
# Needs bayesmeta installed in R (it is not in Debian; install it from CRAN, e.g.
# install.packages("bayesmeta"), into a library of your choice and point R_LIBS at it).
# Run: Rscript tests/reference/bayes/make_reference.R   (writes bayesmeta.json; ~5 minutes)
suppressMessages({library(bayesmeta); library(metafor); library(jsonlite)})

DELTA <- 1e-5; EPSILON <- 1e-9

data("CrinsEtAl2014"); data("Rubin1981")
crins <- escalc(measure = "OR", ai = exp.AR.events, n1i = exp.total, ci = cont.AR.events,
                n2i = cont.total, slab = publication, data = CrinsEtAl2014)
rand <- crins[crins[, "randomized"] == "yes", ]

summarise <- function(fit, level) {
  a2 <- (1 - level) / 2
  q <- function(...) as.numeric(fit$qposterior(...))
  pint <- function(...) as.numeric(fit$post.interval(...))
  th <- sapply(seq_len(fit$k), function(i) c(
    median = q(mu.p = 0.5, individual = i), low = q(mu.p = a2, individual = i),
    high = q(mu.p = 1 - a2, individual = i)))
  list(
    tau_median = q(tau.p = 0.5), tau_ci_low = q(tau.p = a2), tau_ci_high = q(tau.p = 1 - a2),
    tau_hpd_low = pint(tau.level = level)[1], tau_hpd_high = pint(tau.level = level)[2],
    tau_mean = fit$summary["mean", "tau"], tau_sd = fit$summary["sd", "tau"],
    mu_median = q(mu.p = 0.5), mu_ci_low = q(mu.p = a2), mu_ci_high = q(mu.p = 1 - a2),
    mu_hpd_low = pint(mu.level = level)[1], mu_hpd_high = pint(mu.level = level)[2],
    mu_mean = fit$summary["mean", "mu"], mu_sd = fit$summary["sd", "mu"],
    pi_low = q(mu.p = a2, predict = TRUE), pi_high = q(mu.p = 1 - a2, predict = TRUE),
    pi_hpd_low = pint(mu.level = level, predict = TRUE)[1],
    pi_hpd_high = pint(mu.level = level, predict = TRUE)[2],
    pred_median = q(mu.p = 0.5, predict = TRUE),
    theta_mean = as.numeric(fit$theta["mean", ]), theta_sd = as.numeric(fit$theta["sd", ]),
    theta_median = as.numeric(th["median", ]), theta_ci_low = as.numeric(th["low", ]),
    theta_ci_high = as.numeric(th["high", ]),
    prob_mu_lt_0 = as.numeric(fit$pposterior(mu = 0)),
    marginal_likelihood = if (is.na(fit$marginal)) NULL else as.numeric(fit$marginal),
    bayes_factor_tau0 = if (is.na(fit$bayesfactor["actual", "tau=0"])) NULL else
      as.numeric(fit$bayesfactor["actual", "tau=0"]),
    support_points = nrow(fit$support))
}

case <- function(name, y, v, labels, tau_prior, tau_fun, mu_prior = NULL, level = 0.95, source = "") {
  t0 <- Sys.time()
  args <- list(y = y, sigma = sqrt(v), labels = labels, tau.prior = tau_fun, delta = DELTA, epsilon = EPSILON)
  if (!is.null(mu_prior)) { args$mu.prior.mean <- mu_prior[1]; args$mu.prior.sd <- mu_prior[2] }
  fit <- do.call(bayesmeta, args)
  out <- list(name = name, yi = as.numeric(y), vi = as.numeric(v), labels = labels, tau_prior = tau_prior,
              mu_prior = if (is.null(mu_prior)) NULL else as.numeric(mu_prior), level = 100 * level,
              source = source, expected = summarise(fit, level))
  message(name, ": ", format(Sys.time() - t0))
  out
}

TP <- TurnerEtAlPrior("surgical", "pharma", "placebo / control")
RP <- RhodesEtAlPrior("general physical health", "pharma", "placebo / control")
RG <- RhodesEtAlPrior()
cy <- crins$yi; cv <- crins$vi; cl <- as.character(crins$publication)
ry <- rand$yi; rv <- rand$vi; rl <- as.character(rand$publication)
sy <- Rubin1981$effect; sv <- Rubin1981$stderr^2; sl <- Rubin1981$school
hn <- function(s) list(family = "halfnormal", scale = s)

cases <- list(
  case("crins_halfnormal05_normal4", cy, cv, cl, hn(0.5), function(t) dhalfnormal(t, scale = 0.5), c(0, 4),
       source = "Roever (2020) J Stat Softw 93(6), sec. 3.3 (ma01)"),
  case("crins_randomized_halfnormal05_normal4", ry, rv, rl, hn(0.5), function(t) dhalfnormal(t, scale = 0.5),
       c(0, 4), source = "Roever (2020), sec. 3.6 (ma05)"),
  case("crins_turner_surgical_normal4", cy, cv, cl,
       list(family = "lognormal", meanlog = TP$parameters["tau", "mu"], sdlog = TP$parameters["tau", "sigma"],
            turner = c("surgical", "pharmacological vs placebo / control")),
       TP$dprior, c(0, 4), source = "Roever (2020), sec. 3.4 (ma02)"),
  case("crins_uniform_flat", cy, cv, cl, list(family = "uniform", upper = NULL), "uniform", NULL),
  case("schools_halfcauchy25_normal50", sy, sv, sl, list(family = "halfcauchy", scale = 25),
       function(t) dhalfcauchy(t, scale = 25), c(0, 50), source = "bayesmeta vignette (schools.example.1)"),
  case("schools_uniform_flat", sy, sv, sl, list(family = "uniform", upper = NULL), "uniform", NULL,
       source = "bayesmeta vignette (schools.example.2)"),
  case("crins_randomized_halfnormal05_flat", ry, rv, rl, hn(0.5), function(t) dhalfnormal(t, scale = 0.5), NULL),
  case("crins_randomized_halfcauchy05_flat_90", ry, rv, rl, list(family = "halfcauchy", scale = 0.5),
       function(t) dhalfcauchy(t, scale = 0.5), NULL, level = 0.90),
  case("crins_halft3_05_flat", cy, cv, cl, list(family = "halft", scale = 0.5, df = 3),
       function(t) dhalft(t, df = 3, scale = 0.5), NULL),
  # (a bounded uniform prior is left to the quadrature reference: R's integrate() stops at its
  # discontinuity with "extremely bad integrand behaviour" at these tolerances)
  # (the log-t priors of Rhodes et al. are left to the quadrature reference: bayesmeta's check that
  # the prior is proper stops with "extremely bad integrand behaviour" on their (log tau)^-6 / tau tail)
  case("crins_three_lognormal_flat", cy[1:3], cv[1:3], cl[1:3],
       list(family = "lognormal", meanlog = log(0.3), sdlog = 1), function(t) dlnorm(t, log(0.3), 1), NULL)
)

priors <- list(
  turner_surgical_pharma_placebo = list(parameters = TP$parameters, q = TP$qprior(c(0.025, 0.5, 0.975))),
  rhodes_physical_pharma_placebo = list(parameters = RP$parameters, q = RP$qprior(c(0.025, 0.5, 0.975))),
  rhodes_general = list(parameters = RG$parameters, q = RG$qprior(c(0.025, 0.5, 0.975))),
  turner_general = list(parameters = TurnerEtAlPrior()$parameters,
                        q = TurnerEtAlPrior()$qprior(c(0.025, 0.5, 0.975)))
)

out <- list(source = paste0("bayesmeta ", packageVersion("bayesmeta"), " (R ", getRversion(), "), delta = ",
                            DELTA, ", epsilon = ", EPSILON, "; see make_reference.R"),
            cases = cases, priors = priors)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "bayesmeta.json"))
