#!/usr/bin/env Rscript
# Reference values for ldn_evidence.sensitivity, computed with metafor 3.8-1.
#
# Run from the repository root:
#     Rscript tests/reference/sensitivity/make_reference.R
# It writes tests/reference/sensitivity/metafor_sensitivity.json, which the Python tests read
# (they never need R). Every data set's yi/vi (and ni where known) is stored in the JSON.
#
# Per data set x method (REML, DL) x test (z, knha): leave1out, influence (inf + dfbetas +
# is.infl), baujat coordinates, cumul (a given order), regtest (predictors sei, vi, ni, ninv;
# model "rma" and "lm"), trimfill (L0 with metafor's side; R0; Q0; the other side), gosh
# (all subsets, k <= 13: summaries, some rows, the full table for the k = 6 set), permutest
# (exact where 2^k <= 1000, forced exact for k = 13, approximate with a seed otherwise).
# ranktest once per data set.

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "sensitivity", "metafor_sensitivity.json")
num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)

datasets <- list()
add <- function(name, yi, vi, ni, note, order_key) {
  datasets[[name]] <<- list(name = name, note = note, yi = as.numeric(yi), vi = as.numeric(vi),
                            ni = if (is.null(ni)) NULL else as.numeric(ni),
                            order_key = as.numeric(order_key))
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add("bcg_logrr", d$yi, d$vi, attr(d$yi, "ni"), "dat.bcg, log risk ratio (escalc RR)", dat.bcg$year)
d <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add("normand1999_smd", d$yi, d$vi, attr(d$yi, "ni"), "dat.normand1999, SMD (escalc SMD)", -d$vi)
add("hackshaw1998_logor", dat.hackshaw1998$yi, dat.hackshaw1998$vi, NULL,
    "dat.hackshaw1998, log odds ratio as shipped", dat.hackshaw1998$year)
set.seed(8081)
vi <- round(runif(6, 0.02, 0.3), 4)
yi <- round(rnorm(6, -0.35, sqrt(vi + 0.04)), 4)
add("synthetic_k6", yi, vi, round(4 / vi), "synthetic, k = 6, rounded to 4 decimals; ni = round(4/vi)", 6:1)

methods <- c("REML", "DL")
tests <- c("z", "knha")

capture <- function(expr) {
  warns <- character(0)
  val <- withCallingHandlers(
    tryCatch(expr, error = function(e) list(error = conditionMessage(e))),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  if (is.list(val)) val$warnings <- warns
  val
}

q7 <- function(x) as.numeric(quantile(x, probs = seq(0, 1, by = 0.05), type = 7, na.rm = TRUE))

results <- list()
for (ds in datasets) {
  k <- length(ds$yi)
  cat(ds$name, "\n")
  rk <- capture({ r <- ranktest(ds$yi, vi = ds$vi); list(tau = num(r$tau), pval = num(r$pval)) })
  entry <- list(dataset = ds$name, ranktest = rk, fits = list())
  for (method in methods) for (test in tests) {
    fit <- if (is.null(ds$ni)) rma(yi = ds$yi, vi = ds$vi, method = method, test = test) else
      rma(yi = ds$yi, vi = ds$vi, ni = ds$ni, method = method, test = test)
    r <- list(method = method, test = test, estimate = num(fit$b), zval = num(fit$zval), tau2 = num(fit$tau2))

    l1 <- leave1out(fit)
    r$leave1out <- list(estimate = num(l1$estimate), se = num(l1$se), zval = num(l1[[3]]), pval = num(l1$pval),
                        ci_lb = num(l1$ci.lb), ci_ub = num(l1$ci.ub), Q = num(l1$Q), Qp = num(l1$Qp),
                        tau2 = if (is.null(l1$tau2)) rep(0, k) else num(l1$tau2), I2 = num(l1$I2), H2 = num(l1$H2))

    inf <- influence(fit)
    r$influence <- list(rstudent = num(inf$inf$rstudent), dffits = num(inf$inf$dffits), cook_d = num(inf$inf$cook.d),
                        cov_r = num(inf$inf$cov.r), tau2_del = num(inf$inf$tau2.del), QE_del = num(inf$inf$QE.del),
                        hat = num(inf$inf$hat), weight = num(inf$inf$weight), dfbetas = num(inf$dfbs$intrcpt),
                        is_infl = as.logical(inf$is.infl))

    pdf(NULL); bj <- baujat(fit); invisible(dev.off())
    r$baujat <- list(x = num(bj$x), y = num(bj$y))

    cu <- cumul(fit, order = ds$order_key)
    r$cumul <- list(order = order(ds$order_key) - 1L, estimate = num(cu$estimate), se = num(cu$se),
                    zval = num(cu[[3]]), pval = num(cu$pvals), ci_lb = num(cu$ci.lb), ci_ub = num(cu$ci.ub),
                    Q = num(cu$Q), Qp = num(cu$Qp), tau2 = if (is.null(cu$tau2)) rep(0, k) else num(cu$tau2),
                    I2 = num(cu$I2), H2 = num(cu$H2))

    preds <- c("sei", "vi", "ninv", "ni")
    if (is.null(ds$ni)) preds <- c("sei", "vi")
    r$regtest <- list()
    for (pr in preds) for (model in c("rma", "lm")) {
      r$regtest[[length(r$regtest) + 1]] <- c(list(predictor = pr, model = model), capture({
        rt <- regtest(fit, predictor = pr, model = model)
        list(zval = num(rt$zval), pval = num(rt$pval), ddf = num(rt$ddf), est = num(rt$est),
             ci_lb = num(rt$ci.lb), ci_ub = num(rt$ci.ub))
      }))
    }

    tf_one <- function(estimator, side) capture({
      tf <- if (is.null(side)) trimfill(fit, estimator = estimator) else trimfill(fit, estimator = estimator, side = side)
      list(estimator = estimator, side_arg = if (is.null(side)) NA else side, k0 = num(tf$k0), se_k0 = num(tf$se.k0),
           side = tf$side, p_k0 = num(tf$p.k0), estimate = num(tf$b), se = num(tf$se), zval = num(tf$zval),
           pval = num(tf$pval), ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub), tau2 = num(tf$tau2),
           QE = num(tf$QE), I2 = num(tf$I2), test = tf$test, yi = num(tf$yi), vi = num(tf$vi), fill = as.logical(tf$fill))
    })
    first <- tf_one("L0", NULL)
    other <- if (identical(first$side, "left")) "right" else "left"
    r$trimfill <- list(first, tf_one("R0", NULL), tf_one("Q0", NULL), tf_one("L0", other))

    if (test == "z" && k <= 13) {
      g <- gosh(fit, progbar = FALSE)
      gr <- g$res
      r$gosh <- list(n = nrow(gr), n_failed = sum(!g$fit),
                     mean_estimate = mean(gr$estimate, na.rm = TRUE), mean_tau2 = mean(gr$tau2, na.rm = TRUE),
                     mean_I2 = mean(gr$I2, na.rm = TRUE), mean_H2 = mean(gr$H2, na.rm = TRUE),
                     mean_QE = mean(gr$QE, na.rm = TRUE),
                     q_estimate = q7(gr$estimate), q_tau2 = q7(gr$tau2), q_I2 = q7(gr$I2), q_H2 = q7(gr$H2),
                     q_QE = q7(gr$QE))
      rows <- unique(pmin(nrow(gr), c(1, 2, k, k + 1, 50, 200, 1000, 4000, nrow(gr) - 1, nrow(gr))))
      r$gosh$rows <- lapply(rows, function(i) list(row = i - 1L, incl = which(g$incl[i, ]) - 1L, k = num(gr$k[i]),
                                                   estimate = num(gr$estimate[i]), tau2 = num(gr$tau2[i]),
                                                   I2 = num(gr$I2[i]), H2 = num(gr$H2[i]), QE = num(gr$QE[i])))
      r$gosh$failed_rows <- which(!g$fit) - 1L
      if (k <= 6) r$gosh$full <- list(k = num(gr$k), estimate = num(gr$estimate), tau2 = num(gr$tau2),
                                      I2 = num(gr$I2), H2 = num(gr$H2), QE = num(gr$QE))
    }

    pt <- list()
    if (2^k <= 1000) {
      p <- permutest(fit, progbar = FALSE)
      pt$exact <- list(iter = 2^k, pval = num(p$pval), QMp = num(p$QMp), zval = num(p$zval))
    } else if (k <= 13) {
      p <- permutest(fit, exact = TRUE, progbar = FALSE)
      pt$exact <- list(iter = 2^k, pval = num(p$pval), QMp = num(p$QMp), zval = num(p$zval))
    }
    if (2^k > 1000) {
      p <- permutest(fit, iter = 1000, seed = 1234, progbar = FALSE)
      pt$approx <- list(iter = 1000, pval = num(p$pval), QMp = num(p$QMp), zval = num(p$zval))
    }
    r$permutest <- pt
    entry$fits[[length(entry$fits) + 1]] <- r
  }
  results[[length(results) + 1]] <- entry
}

# rank test with ties in vi (R's cor.test falls back to the normal approximation with a warning)
ties <- list(yi = c(0.12, -0.30, 0.45, 0.05, 0.61, -0.12, 0.33, 0.20),
             vi = c(0.10, 0.10, 0.20, 0.30, 0.30, 0.05, 0.40, 0.20))
ranktest_ties <- c(ties, capture({ r <- ranktest(ties$yi, vi = ties$vi); list(tau = num(r$tau), pval = num(r$pval)) }))

out <- list(ranktest_ties = ranktest_ties, metafor_version = as.character(packageVersion("metafor")), r_version = R.version.string,
            datasets = unname(datasets), results = results)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "\n")
