#!/usr/bin/env Rscript
# Reference values for the ldn_evidence random-effects engine, computed with metafor.
#
# Run from the repository root:
#     Rscript tests/reference/engine/make_reference.R
# It writes tests/reference/engine/metafor_rma.json, which the Python tests read (they never need R).
# Synthetic data sets are generated here, with a fixed seed, and their yi/vi are stored in the JSON.

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "engine", "metafor_rma.json")

num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)

datasets <- list()
add <- function(name, yi, vi, note) {
  datasets[[name]] <<- list(name = name, note = note, yi = as.numeric(yi), vi = as.numeric(vi))
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add("bcg_logrr", d$yi, d$vi, "dat.bcg, log risk ratio (escalc RR)")
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
add("normand1999_md", d$yi, d$vi, "dat.normand1999, mean difference (escalc MD)")
add("hackshaw1998_logor", dat.hackshaw1998$yi, dat.hackshaw1998$vi, "dat.hackshaw1998, log odds ratio as shipped")
d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
add("molloy2014_zcor", d$yi, d$vi, "dat.molloy2014, Fisher z (escalc ZCOR)")
add("bangertdrowns2004_smd", dat.bangertdrowns2004$yi, dat.bangertdrowns2004$vi, "dat.bangertdrowns2004, SMD as shipped")

set.seed(20240601)
for (k in c(2, 3, 5, 8, 20, 60)) {
  vi <- runif(k, 0.01, 0.3)
  yi <- rnorm(k, 0.3, sqrt(vi + 0.05))
  add(sprintf("synthetic_k%d", k), yi, vi, sprintf("synthetic, k=%d, true tau2=0.05", k))
}
vi <- runif(10, 0.02, 0.2)
yi <- 0.2 + rnorm(10, 0, 0.2 * sqrt(vi))
add("synthetic_homogeneous_k10", yi, vi, "synthetic, k=10, far less spread than sampling error (tau2 at the boundary 0)")
vi <- rep(0.04, 12)
yi <- rnorm(12, -0.1, sqrt(0.04 + 0.02))
add("synthetic_equal_vi_k12", yi, vi, "synthetic, k=12, all vi equal")
b <- datasets[["bcg_logrr"]]
add("bcg_scaled_1e-8", b$yi * 1e-8, b$vi * 1e-16, "dat.bcg log RR scaled by 1e-8 (vi by 1e-16)")
add("bcg_scaled_1e8", b$yi * 1e8, b$vi * 1e16, "dat.bcg log RR scaled by 1e8 (vi by 1e16)")

methods <- c("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")

fit_one <- function(ds, method, test) {
  warns <- character(0)
  res <- withCallingHandlers(
    tryCatch({
      fit <- rma(yi = ds$yi, vi = ds$vi, method = method, test = test)
      r <- list(
        b = num(fit$b), se = num(fit$se), zval = num(fit$zval), pval = num(fit$pval),
        ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub),
        tau2 = num(fit$tau2), se_tau2 = num(fit$se.tau2),
        I2 = num(fit$I2), H2 = num(fit$H2), QE = num(fit$QE), QEp = num(fit$QEp),
        weights = as.numeric(weights(fit))
      )
      pr <- predict(fit)
      r$pi_lb <- num(pr$pi.lb)
      r$pi_ub <- num(pr$pi.ub)
      if (!(method %in% c("EE")) && fit$k > 1) {
        ci <- confint(fit)$random
        r$tau2_ci_lb <- num(ci["tau^2", "ci.lb"]); r$tau2_ci_ub <- num(ci["tau^2", "ci.ub"])
        r$I2_ci_lb <- num(ci["I^2(%)", "ci.lb"]); r$I2_ci_ub <- num(ci["I^2(%)", "ci.ub"])
        r$H2_ci_lb <- num(ci["H^2", "ci.lb"]); r$H2_ci_ub <- num(ci["H^2", "ci.ub"])
      }
      r
    }, error = function(e) list(error = conditionMessage(e))),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  res$warnings <- warns
  res$method <- method
  res$test <- test
  res
}

fits <- list()
for (nm in names(datasets)) {
  ds <- datasets[[nm]]
  for (m in methods) for (t in tests) {
    fits[[length(fits) + 1]] <- c(list(dataset = nm), fit_one(ds, m, t))
  }
}

# k = 1: metafor switches test to "z", tau2 = 0
k1 <- list()
for (t in tests) {
  fit <- suppressWarnings(rma(yi = 0.4, vi = 0.09, method = "REML", test = t))
  k1[[t]] <- list(test = t, b = num(fit$b), se = num(fit$se), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub),
                  pval = num(fit$pval), tau2 = num(fit$tau2), QE = num(fit$QE), QEp = num(fit$QEp),
                  I2 = num(fit$I2), H2 = num(fit$H2), test_used = fit$test)
}

# meta-regression: dat.bcg log RR ~ ablat + year
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
metareg <- list()
for (m in c("REML", "ML", "DL")) for (t in tests) {
  fit <- rma(yi, vi, mods = ~ ablat + year, data = bcg, method = m, test = t)
  metareg[[length(metareg) + 1]] <- list(
    method = m, test = t, coef = num(fit$b), se = num(fit$se), zval = num(fit$zval), pval = num(fit$pval),
    ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub), tau2 = num(fit$tau2), se_tau2 = num(fit$se.tau2),
    QM = num(fit$QM), QMp = num(fit$QMp), QMdf = num(fit$QMdf), QE = num(fit$QE), QEp = num(fit$QEp),
    R2 = num(fit$R2), I2 = num(fit$I2), H2 = num(fit$H2))
}

# subgroups: dat.bcg by allocation
groups <- as.character(bcg$alloc)
subgroups <- list()
for (m in c("REML", "DL")) for (t in tests) {
  per <- list()
  est <- c(); sez <- c()
  for (g in sort(unique(groups))) {
    s <- groups == g
    fit <- rma(yi, vi, data = bcg, subset = s, method = m, test = t)
    fitz <- rma(yi, vi, data = bcg, subset = s, method = m, test = "z")
    per[[g]] <- list(k = fit$k, b = num(fit$b), se = num(fit$se), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub),
                     tau2 = num(fit$tau2), QE = num(fit$QE), I2 = num(fit$I2))
    est <- c(est, num(fitz$b)); sez <- c(sez, num(fitz$se))
  }
  qb <- rma(yi = est, sei = sez, method = "EE")
  common <- rma(yi, vi, mods = ~ alloc, data = bcg, method = m, test = t)
  subgroups[[length(subgroups) + 1]] <- list(
    method = m, test = t, groups = per, q_between = num(qb$QE), q_between_df = length(est) - 1, q_between_p = num(qb$QEp),
    common = list(coef = num(common$b), se = num(common$se), tau2 = num(common$tau2), QM = num(common$QM),
                  QMp = num(common$QMp), QMdf = num(common$QMdf), QE = num(common$QE)))
}

out <- list(
  generated_by = "tests/reference/engine/make_reference.R",
  metafor_version = as.character(packageVersion("metafor")),
  r_version = R.version.string,
  datasets = unname(datasets),
  fits = fits,
  k1 = k1,
  metareg = list(dataset = "bcg_logrr", moderators = list(ablat = bcg$ablat, year = bcg$year), fits = metareg),
  subgroups = list(dataset = "bcg_logrr", groups = groups, fits = subgroups)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "with", length(fits), "fits\n")
