#!/usr/bin/env Rscript
# Reference values for the engine fixes of issue 14 (accuracy, edge cases, test = "adhoc"/"t"),
# computed with metafor 3.8-1.
#
# Run from the repository root:
#     Rscript tests/reference/engine/make_accuracy_reference.R
# It writes tests/reference/engine/metafor_accuracy.json, which tests/test_engine_accuracy.py reads
# (the tests never need R). Every data set's yi/vi is stored in the JSON; data sets taken from the
# other reference files (metafor_rma.json, ../sensitivity/metafor_sensitivity.json) are read from
# them, so both files must exist (run their make_reference.R first).
#
# Contents
# - fits: rma() on (a) adversarial data sets where one weight dominates (issue 14 item 1), Q = 0
#   (item 6) and the LDN adverse-events data of the bundled review (item 7), with every method and
#   the tests z, t, knha, adhoc; (b) every data set of metafor_rma.json with every method and the
#   tests t and adhoc. Each fit stores what predict() and confint() give, and s2w.
# - metareg: rma(mods =) with tests t and adhoc (dat.bcg ~ ablat + year), a homogeneous set where
#   the adhoc factor is truncated at 1, a moderator rescaled by 1e-3 and by 1e-12 (scale does not
#   make a column redundant; metafor fits the first and refuses the second by its absolute
#   eigenvalue check, whose exact answer is the unscaled fit with the slope times 1e12) and a
#   moderator collinear with the intercept to 1e-9 (dropped by metafor with a warning;
#   ldn_evidence refuses it, naming the column).
# - subgroups: per-subgroup fits, Q-between and the common-tau^2 model with tests adhoc and t
#   (dat.bcg by alloc), and a data set whose all-studies REML fit does not converge while every
#   subgroup and the common model do (item 4).
# - sensitivity: leave1out, influence, cumul, permutest (exact), regtest and trimfill of adhoc fits.
# - edge: ranktest with all vi equal (item 2), trimfill with Var(S_r) < 0 and with all vi equal
#   (item 3), regtest with a constant predictor.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "engine", "metafor_accuracy.json")
engine_ref <- fromJSON(file.path("tests", "reference", "engine", "metafor_rma.json"), simplifyVector = FALSE)
sens_ref <- fromJSON(file.path("tests", "reference", "sensitivity", "metafor_sensitivity.json"), simplifyVector = FALSE)
num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)
vec <- function(x) as.numeric(unlist(x))

capture <- function(expr) {
  warns <- character(0)
  val <- withCallingHandlers(
    tryCatch(expr, error = function(e) list(error = conditionMessage(e))),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  if (is.list(val)) val$warnings <- warns
  val
}

datasets <- list()
add <- function(name, yi, vi, note) {
  datasets[[name]] <<- list(name = name, note = note, yi = as.numeric(yi), vi = as.numeric(vi))
}

# (a) data sets made for the issue
add("issue14_dominant_dl_k2", c(0, 10), c(1e-4, 50),
    "issue 14 item 1: one weight holds 99.9998% of the total (DL: SE(tau^2))")
add("issue14_dominant_reml_k3", c(0.0021, 141.85, 12.08), c(1e-5, 1e4, 504),
    "issue 14 item 1: sampling variances spanning nine orders of magnitude (REML scoring step)")
add("dominant_k5", c(0.11, 0.9, -0.4, 1.3, 0.25), c(1e-6, 0.5, 0.8, 1.2, 2),
    "one study a million times more precise than the other four")
add("issue14_identical_yi_k5", rep(0.5, 5), rep(0.1, 5),
    "issue 14 item 6: meta_analysis([0.5]*5, [0.1]*5): Q = 0, Hartung-Knapp factor 0")
# The review's adverse-events comparison (data/studies.yaml, outcome adverse_events, per-arm event
# counts): Due Bruun 2024, 41/49 (LDN) vs 43/50; Rodriguez-Freire (INNOVA), 33/48 vs 36/50.
ae <- escalc(measure = "RR", ai = c(41, 33), n1i = c(49, 48), ci = c(43, 36), n2i = c(50, 50))
add("ldn_adverse_events_rr", ae$yi, ae$vi,
    "data/studies.yaml adverse_events: due_bruun2024 41/49 vs 43/50, rodriguezfreire_innova 33/48 vs 36/50 (log RR)")
own <- names(datasets)
# (b) the data sets of metafor_rma.json
for (d in engine_ref$datasets) add(d$name, vec(d$yi), vec(d$vi), d$note)

methods <- c("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")

fit_one <- function(ds, method, test) {
  res <- capture({
    fit <- rma(yi = ds$yi, vi = ds$vi, method = method, test = test)
    r <- list(
      b = num(fit$b), se = num(fit$se), zval = num(fit$zval), pval = num(fit$pval),
      ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub), tau2 = num(fit$tau2), se_tau2 = num(fit$se.tau2),
      I2 = num(fit$I2), H2 = num(fit$H2), QE = num(fit$QE), QEp = num(fit$QEp), QM = num(fit$QM),
      QMp = num(fit$QMp), s2w = num(fit$s2w), ddf = num(fit$ddf),
      test_used = fit$test, weights = as.numeric(weights(fit)))
    if (method %in% c("ML", "REML", "EB")) {
      # the number of Fisher scoring iterations is printed (not stored) by rma(verbose = TRUE)
      txt <- capture.output(rma(yi = ds$yi, vi = ds$vi, method = method, test = test, verbose = TRUE))
      hit <- regmatches(txt, regexpr("converged after [0-9]+ iterations", txt))
      r$iter <- if (length(hit)) as.numeric(gsub("[^0-9]", "", hit)) else NA_real_
    }
    pr <- predict(fit)
    r$pi_lb <- num(pr$pi.lb)
    r$pi_ub <- num(pr$pi.ub)
    inf <- Filter(function(x) is.numeric(x) && length(x) == 1 && is.infinite(x), r)
    if (length(inf)) r$infinite <- lapply(inf, sign)  # JSON has no Inf; keep its sign
    if (method != "EE" && fit$k > 1) {
      ci <- confint(fit)$random
      r$tau2_ci_lb <- num(ci["tau^2", "ci.lb"]); r$tau2_ci_ub <- num(ci["tau^2", "ci.ub"])
      r$I2_ci_lb <- num(ci["I^2(%)", "ci.lb"]); r$I2_ci_ub <- num(ci["I^2(%)", "ci.ub"])
      r$H2_ci_lb <- num(ci["H^2", "ci.lb"]); r$H2_ci_ub <- num(ci["H^2", "ci.ub"])
    }
    r
  })
  c(list(dataset = ds$name, method = method, test = test), res)
}

fits <- list()
for (nm in names(datasets)) {
  tests <- if (nm %in% own) c("z", "t", "knha", "adhoc") else c("t", "adhoc")
  for (m in methods) for (t in tests) fits[[length(fits) + 1]] <- fit_one(datasets[[nm]], m, t)
}

# ----------------------------------------------------------------------------- meta-regression
reg_one <- function(name, yi, vi, mods, method, test) {
  c(list(name = name, method = method, test = test), capture({
    fit <- rma(yi = yi, vi = vi, mods = mods, method = method, test = test)
    list(coef = num(fit$b), se = num(fit$se), zval = num(fit$zval), pval = num(fit$pval), ci_lb = num(fit$ci.lb),
         ci_ub = num(fit$ci.ub), tau2 = num(fit$tau2), se_tau2 = num(fit$se.tau2), QM = num(fit$QM),
         QMp = num(fit$QMp), QMdf = num(fit$QMdf), QE = num(fit$QE), QEp = num(fit$QEp), R2 = num(fit$R2),
         I2 = num(fit$I2), H2 = num(fit$H2), s2w = num(fit$s2w), p = fit$p)
  }))
}
bcg <- engine_ref$metareg
ds_bcg <- datasets[["bcg_logrr"]]
ablat <- vec(bcg$moderators$ablat)
year <- vec(bcg$moderators$year)
hom <- datasets[["synthetic_homogeneous_k10"]]
x_hom <- seq_along(hom$yi)
set.seed(141)
near_const <- 1 + 1e-9 * rnorm(length(ds_bcg$yi))
metareg <- list(moderators = list(bcg_ablat = ablat, bcg_year = year, homogeneous_x = x_hom,
                                  near_constant = near_const))
for (m in c("REML", "ML", "DL")) for (t in c("t", "adhoc")) {
  metareg$fits[[length(metareg$fits) + 1]] <- reg_one("bcg_ablat_year", ds_bcg$yi, ds_bcg$vi, cbind(ablat, year), m, t)
}
for (t in c("z", "knha", "adhoc")) {
  metareg$fits[[length(metareg$fits) + 1]] <- reg_one("homogeneous_x", hom$yi, hom$vi, x_hom, "REML", t)
  metareg$fits[[length(metareg$fits) + 1]] <- reg_one("bcg_ablat", ds_bcg$yi, ds_bcg$vi, ablat, "REML", t)
  metareg$fits[[length(metareg$fits) + 1]] <- reg_one("bcg_ablat_times_1e-3", ds_bcg$yi, ds_bcg$vi,
                                                      ablat * 1e-3, "REML", t)
  # metafor refuses this one ("Model matrix not of full rank": an eigenvalue of X'X is below its
  # absolute evtol = 1e-7); the exact answer is the bcg_ablat fit with the slope times 1e12
  metareg$fits[[length(metareg$fits) + 1]] <- reg_one("bcg_ablat_times_1e-12", ds_bcg$yi, ds_bcg$vi,
                                                      ablat * 1e-12, "REML", t)
  metareg$fits[[length(metareg$fits) + 1]] <- reg_one("bcg_near_constant_1e-9", ds_bcg$yi, ds_bcg$vi,
                                                      cbind(ablat, near_const), "REML", t)
}

# ----------------------------------------------------------------------------- subgroups
sub_one <- function(name, yi, vi, groups, method, test) {
  per <- list(); est <- c(); sez <- c()
  for (g in sort(unique(groups))) {
    s <- groups == g
    per[[g]] <- capture({
      fit <- rma(yi = yi[s], vi = vi[s], method = method, test = test)
      fitz <- rma(yi = yi[s], vi = vi[s], method = method, test = "z")
      est <- c(est, num(fitz$b)); sez <- c(sez, num(fitz$se))
      list(k = fit$k, b = num(fit$b), se = num(fit$se), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub),
           pval = num(fit$pval), tau2 = num(fit$tau2), QE = num(fit$QE), I2 = num(fit$I2), s2w = num(fit$s2w),
           pi_lb = num(predict(fit)$pi.lb), pi_ub = num(predict(fit)$pi.ub))
    })
  }
  qb <- rma(yi = est, sei = sez, method = "EE")
  fg <- factor(groups)
  common <- capture({
    fit <- rma(yi = yi, vi = vi, mods = ~ fg, method = method, test = test)
    list(coef = num(fit$b), se = num(fit$se), tau2 = num(fit$tau2), QM = num(fit$QM), QMp = num(fit$QMp),
         QMdf = num(fit$QMdf), QE = num(fit$QE))
  })
  overall <- capture({ fit <- rma(yi = yi, vi = vi, method = method, test = test); list(b = num(fit$b)) })
  list(name = name, method = method, test = test, groups = per, q_between = num(qb$QE),
       q_between_df = length(est) - 1, q_between_p = num(qb$QEp), common = common, overall = overall)
}
alloc <- unlist(engine_ref$subgroups$groups)
nc <- list(yi = c(0.32301259, -0.15263542, 0.20024683, 0.30348086, 0.14903758, -0.40694383),
           vi = c(0.28563447, 0.28510834, 0.10043112, 0.13276467, 0.25003375, 0.01799214),
           groups = c("a", "a", "a", "b", "b", "b"))
subgroups <- list(data = list(bcg_alloc = list(yi = ds_bcg$yi, vi = ds_bcg$vi, groups = alloc),
                              overall_nonconvergent = nc), fits = list())
for (m in c("REML", "DL")) for (t in c("t", "adhoc")) {
  subgroups$fits[[length(subgroups$fits) + 1]] <- sub_one("bcg_alloc", ds_bcg$yi, ds_bcg$vi, alloc, m, t)
}
for (t in c("z", "knha", "adhoc")) {
  subgroups$fits[[length(subgroups$fits) + 1]] <- sub_one("overall_nonconvergent", nc$yi, nc$vi, nc$groups, "REML", t)
}

# ----------------------------------------------------------------------------- sensitivity under adhoc
sds <- list()
for (d in sens_ref$datasets) if (d$name %in% c("bcg_logrr", "synthetic_k6"))
  sds[[d$name]] <- list(name = d$name, yi = vec(d$yi), vi = vec(d$vi), order_key = vec(d$order_key))
sds[["synthetic_homogeneous_k10"]] <- list(name = "synthetic_homogeneous_k10", yi = hom$yi, vi = hom$vi,
                                           order_key = rev(seq_along(hom$yi)))
sensitivity <- list(datasets = unname(sds), fits = list())
for (ds in sds) for (m in c("REML", "DL")) {
  k <- length(ds$yi)
  fit <- rma(yi = ds$yi, vi = ds$vi, method = m, test = "adhoc")
  r <- list(dataset = ds$name, method = m, test = "adhoc", s2w = num(fit$s2w))
  l1 <- leave1out(fit)
  r$leave1out <- list(estimate = num(l1$estimate), se = num(l1$se), zval = num(l1[[3]]), pval = num(l1$pval),
                      ci_lb = num(l1$ci.lb), ci_ub = num(l1$ci.ub), Q = num(l1$Q), Qp = num(l1$Qp),
                      tau2 = num(l1$tau2), I2 = num(l1$I2), H2 = num(l1$H2))
  inf <- influence(fit)
  r$influence <- list(rstudent = num(inf$inf$rstudent), dffits = num(inf$inf$dffits), cook_d = num(inf$inf$cook.d),
                      cov_r = num(inf$inf$cov.r), tau2_del = num(inf$inf$tau2.del), QE_del = num(inf$inf$QE.del),
                      hat = num(inf$inf$hat), weight = num(inf$inf$weight), dfbetas = num(inf$dfbs$intrcpt),
                      is_infl = as.logical(inf$is.infl))
  cu <- cumul(fit, order = ds$order_key)
  r$cumul <- list(order = order(ds$order_key) - 1L, estimate = num(cu$estimate), se = num(cu$se),
                  zval = num(cu[[3]]), pval = num(cu$pvals), ci_lb = num(cu$ci.lb), ci_ub = num(cu$ci.ub),
                  Q = num(cu$Q), Qp = num(cu$Qp), tau2 = num(cu$tau2), I2 = num(cu$I2), H2 = num(cu$H2))
  p <- permutest(fit, exact = TRUE, progbar = FALSE)
  r$permutest <- list(iter = 2^k, pval = num(p$pval), QMp = num(p$QMp), zval = num(p$zval))
  rt <- regtest(fit)
  r$regtest <- list(zval = num(rt$zval), pval = num(rt$pval), ddf = num(rt$ddf), est = num(rt$est),
                    ci_lb = num(rt$ci.lb), ci_ub = num(rt$ci.ub))
  tf <- trimfill(fit, test = "adhoc")
  r$trimfill <- list(k0 = num(tf$k0), side = tf$side, estimate = num(tf$b), se = num(tf$se), ci_lb = num(tf$ci.lb),
                     ci_ub = num(tf$ci.ub), pval = num(tf$pval), test = tf$test)
  sensitivity$fits[[length(sensitivity$fits) + 1]] <- r
}

# ----------------------------------------------------------------------------- edge cases
edge <- list()
eq <- list(yi = c(0.1, 0.5, -0.2, 0.3, 0.9), vi = rep(0.04, 5))
edge$ranktest_equal_vi <- c(eq, capture({ r <- ranktest(eq$yi, vi = eq$vi); list(tau = num(r$tau), pval = num(r$pval)) }))
edge$trimfill_equal_vi <- c(eq, capture({ tf <- trimfill(rma(eq$yi, eq$vi)); list(k0 = num(tf$k0)) }))
edge$regtest_equal_vi <- c(eq, capture({ rt <- regtest(rma(eq$yi, eq$vi)); list(zval = num(rt$zval)) }))
# found by a random search (set.seed(3); k in 4:8; vi ~ U(0.01, 0.2), yi ~ N(0, 0.5), rounded) for
# trimfill() fits whose se.k0 is NaN: Duval and Tweedie's Var(S_r) is negative at the estimated k0
neg <- list(yi = c(0.06, -0.04, -0.43, 0.10, -0.07), vi = c(0.144, 0.194, 0.044, 0.152, 0.153))
neg3 <- list(yi = c(0.20, 0.58, 0.16), vi = c(0.078, 0.025, 0.195))
tf_list <- list()
for (case in list(list(name = "search_k5", d = neg, side = "right"), list(name = "search_k3", d = neg3, side = "left")))
  for (e in c("L0", "R0", "Q0")) {
    tf_list[[length(tf_list) + 1]] <- c(list(name = case$name, yi = case$d$yi, vi = case$d$vi, side_arg = case$side,
                                             estimator = e, method = "DL"), capture({
      tf <- trimfill(rma(case$d$yi, case$d$vi, method = "DL"), side = case$side, estimator = e)
      list(k0 = num(tf$k0), se_k0 = num(tf$se.k0), se_k0_is_nan = is.nan(tf$se.k0), side = tf$side,
           estimate = num(tf$b), ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub))
    }))
  }
edge$trimfill_negative_var <- tf_list

out <- list(
  generated_by = "tests/reference/engine/make_accuracy_reference.R",
  metafor_version = as.character(packageVersion("metafor")),
  r_version = R.version.string,
  datasets = unname(datasets), fits = fits, metareg = metareg, subgroups = subgroups,
  sensitivity = sensitivity, edge = edge
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "with", length(fits), "fits\n")
