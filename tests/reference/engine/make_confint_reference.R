#!/usr/bin/env Rscript
# Reference values for MetaResult.conf_int(level), computed with metafor 3.8-1: confint() and
# predict() of a fitted model at other levels (the model is not refitted).
#
# Run from the repository root:
#     Rscript tests/reference/engine/make_confint_reference.R
# It writes tests/reference/engine/metafor_confint.json (the Python tests never need R).
# dat.bcg (log risk ratios) and dat.normand1999 (SMD), fitted at level 95 with REML + knha,
# DL + z, PM + adhoc and EE + z; predict() (CI of the mean, prediction interval) and confint()
# (Q-profile tau^2, I^2, H^2) at levels 80, 90, 99 and 99.9.

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "engine", "metafor_confint.json")
sets <- list(
  bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg),
  normand = escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                   data = dat.normand1999))
fits <- list(c("REML", "knha"), c("DL", "z"), c("PM", "adhoc"), c("EE", "z"))
out <- list()
for (name in names(sets)) {
  d <- sets[[name]]
  for (f in fits) {
    res <- rma(d$yi, d$vi, method = f[1], test = f[2])
    for (level in c(80, 90, 99, 99.9)) {
      p <- predict(res, level = level)
      row <- list(data = name, yi = as.numeric(d$yi), vi = as.numeric(d$vi), method = f[1], test = f[2],
                  level = level, ci_lb = p$ci.lb, ci_ub = p$ci.ub,
                  pi_lb = if (f[1] == "EE") NA else p$pi.lb, pi_ub = if (f[1] == "EE") NA else p$pi.ub)
      if (f[1] != "EE") {
        ci <- confint(res, level = level)
        row$tau2_ci_lb <- ci$random["tau^2", "ci.lb"]
        row$tau2_ci_ub <- ci$random["tau^2", "ci.ub"]
        row$I2_ci_lb <- ci$random["I^2(%)", "ci.lb"]
        row$I2_ci_ub <- ci$random["I^2(%)", "ci.ub"]
        row$H2_ci_lb <- ci$random["H^2", "ci.lb"]
        row$H2_ci_ub <- ci$random["H^2", "ci.ub"]
      }
      out[[length(out) + 1]] <- row
    }
  }
}
writeLines(toJSON(list(metafor = as.character(packageVersion("metafor")), cases = out), digits = NA,
                  auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "\n")
