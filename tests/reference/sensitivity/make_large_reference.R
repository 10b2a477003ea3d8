#!/usr/bin/env Rscript
# Reference values for the diagnostics at larger k, computed with metafor 3.8-1.
#
# Run from the repository root:
#     Rscript tests/reference/sensitivity/make_large_reference.R
# It writes tests/reference/sensitivity/metafor_large_k.json, which the Python tests read (they
# never need R). The data are synthetic (seeded, rounded to 8 decimals) and stored in the JSON.
#
# * k = 300, REML + knha and DL + z: leave1out, influence, cumul (data order), regtest (sei,
#   model "rma": a meta-regression beyond the 256 studies up to which the engine forms P),
#   trimfill (L0, metafor's side), ranktest;
# * k = 1000: regtest (sei) with REML + z and REML + knha;
# * ranktest without ties at k = 50, 120, 170 (exact p) and k = 171 (metafor returns p = NaN from
#   k = 171 on: R's pkendall divides by n!, which overflows).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "sensitivity", "metafor_large_k.json")

synthetic <- function(k, seed) {
  set.seed(seed)
  vi <- round(runif(k, 0.01, 0.3), 8)
  yi <- round(rnorm(k, 0.3, sqrt(vi + 0.05)) + 0.3 * sqrt(vi), 8)
  list(k = k, seed = seed, yi = yi, vi = vi)
}

# the test statistic: zval under z, tval under knha (metafor names the column after the test)
stat <- function(x) if (is.null(x$zval)) x$tval else x$zval

fit_block <- function(d, method, test) {
  res <- rma(d$yi, d$vi, method = method, test = test)
  l1 <- leave1out(res)
  inf <- influence(res)
  cu <- cumul(res)
  rt <- regtest(res, predictor = "sei", model = "rma")
  tf <- trimfill(res)
  list(method = method, test = test,
       model = list(estimate = as.numeric(res$beta), se = res$se, tau2 = res$tau2, ci_lb = res$ci.lb,
                    ci_ub = res$ci.ub),
       leave1out = list(estimate = l1$estimate, se = l1$se, zval = stat(l1), pval = l1$pval, ci_lb = l1$ci.lb,
                        ci_ub = l1$ci.ub, Q = l1$Q, Qp = l1$Qp, tau2 = l1$tau2, I2 = l1$I2, H2 = l1$H2),
       influence = list(rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d,
                        cov_r = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, QE_del = inf$inf$QE.del,
                        hat = inf$inf$hat, weight = inf$inf$weight, dfbetas = inf$dfbs$intrcpt,
                        is_infl = as.logical(inf$is.infl)),
       cumul = list(estimate = cu$estimate, se = cu$se, zval = stat(cu), pval = cu$pval, ci_lb = cu$ci.lb,
                    ci_ub = cu$ci.ub, Q = cu$Q, Qp = cu$Qp, tau2 = cu$tau2, I2 = cu$I2, H2 = cu$H2),
       regtest = list(zval = rt$zval, pval = rt$pval, est = rt$est, ci_lb = rt$ci.lb, ci_ub = rt$ci.ub,
                      ddf = if (is.null(rt$ddf)) NA else rt$ddf),
       trimfill = list(k0 = tf$k0, side = tf$side, se_k0 = tf$se.k0, estimate = as.numeric(tf$beta), se = tf$se,
                       ci_lb = tf$ci.lb, ci_ub = tf$ci.ub, tau2 = tf$tau2))
}

d300 <- synthetic(300, 300)
big <- list(data = d300, fits = list(fit_block(d300, "REML", "knha"), fit_block(d300, "DL", "z")))
rt300 <- ranktest(rma(d300$yi, d300$vi, method = "REML"))
big$ranktest <- list(tau = rt300$tau, pval = rt300$pval)

d1000 <- synthetic(1000, 1000)
reg1000 <- lapply(c("z", "knha"), function(test) {
  res <- rma(d1000$yi, d1000$vi, method = "REML", test = test)
  rt <- regtest(res, predictor = "sei", model = "rma")
  list(method = "REML", test = test, zval = rt$zval, pval = rt$pval, est = rt$est, ci_lb = rt$ci.lb,
       ci_ub = rt$ci.ub, tau2 = rt$fit$tau2, slope = as.numeric(rt$fit$beta[2]))
})

ranks <- lapply(c(50, 120, 170, 171), function(k) {
  d <- synthetic(k, k)
  r <- ranktest(rma(d$yi, d$vi, method = "REML"))
  list(k = k, seed = k, yi = d$yi, vi = d$vi, tau = r$tau, pval = if (is.na(r$pval)) NA else r$pval)
})

out <- list(metafor = as.character(packageVersion("metafor")), R = R.version.string,
            k300 = big, k1000 = list(data = d1000, regtest = reg1000), ranktest = ranks)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "\n")
