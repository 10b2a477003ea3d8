# Reference values for the bundled BCG review (data/reviews/bcg/studies.yaml): the 13 BCG vaccine
# trials of Colditz et al. (1994), JAMA 271(9):698-702, as metadat's dat.bcg.
# Run from this folder: Rscript make_reference.R   (metafor 3.8-1, metadat 1.2-0, jsonlite)
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
dat$alloc <- factor(dat$alloc, levels = c("random", "alternate", "systematic"))

fit <- function(res) {
  out <- list(estimate = as.numeric(res$beta), se = as.numeric(res$se), ci_low = as.numeric(res$ci.lb),
              ci_high = as.numeric(res$ci.ub), pvalue = as.numeric(res$pval), tau2 = res$tau2, i2 = res$I2,
              h2 = res$H2, q = res$QE, q_pvalue = res$QEp, k = res$k)
  if (res$method != "EE") {
    ci <- confint(res)$random
    pr <- predict(res)
    out$tau2_ci_low <- ci["tau^2", "ci.lb"]; out$tau2_ci_high <- ci["tau^2", "ci.ub"]
    out$pi_low <- pr$pi.lb; out$pi_high <- pr$pi.ub
  }
  out
}
reg <- function(res) {
  list(names = rownames(res$beta), coef = as.numeric(res$beta), se = as.numeric(res$se),
       pvalue = as.numeric(res$pval), ci_low = as.numeric(res$ci.lb), ci_high = as.numeric(res$ci.ub),
       tau2 = res$tau2, qm = res$QM, qm_pvalue = res$QMp, qe = res$QE, qe_pvalue = res$QEp, r2 = res$R2,
       i2 = res$I2, k = res$k)
}

out <- list(
  metafor = as.character(packageVersion("metafor")), metadat = as.character(packageVersion("metadat")),
  trials = data.frame(author = dat$author, year = dat$year, yi = as.numeric(dat$yi), vi = as.numeric(dat$vi)),
  rr = list(
    reml_z = fit(rma(yi, vi, data = dat, method = "REML", test = "z")),
    reml_knha = fit(rma(yi, vi, data = dat, method = "REML", test = "knha")),
    dl_z = fit(rma(yi, vi, data = dat, method = "DL", test = "z"))
  ),
  or_reml_z = fit(rma(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg,
                      method = "REML", test = "z")),
  rd_reml_z = fit(rma(measure = "RD", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg,
                      method = "REML", test = "z")),
  regression = list(
    ablat = reg(rma(yi, vi, mods = ~ ablat, data = dat, method = "REML", test = "z")),
    alloc = reg(rma(yi, vi, mods = ~ alloc, data = dat, method = "REML", test = "z")),
    ablat_year = reg(rma(yi, vi, mods = ~ ablat + year, data = dat, method = "REML", test = "z"))
  )
)
# subgroups by allocation: a separate REML tau^2 in each, then the test for subgroup
# differences (Q between the subgroup estimates, a fixed-effect meta-regression on the groups)
subs <- lapply(levels(dat$alloc), function(a) rma(yi, vi, data = dat, subset = alloc == a, method = "REML",
                                                   test = "z"))
names(subs) <- levels(dat$alloc)
between <- rma(sapply(subs, function(s) as.numeric(s$beta)), sei = sapply(subs, function(s) s$se),
               mods = ~ factor(levels(dat$alloc)), method = "EE")
out$subgroups_alloc <- list(groups = lapply(subs, function(s) fit(s)), q_between = between$QM,
                            q_between_df = between$p - 1, q_between_pvalue = between$QMp)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "metafor_bcg.json")
