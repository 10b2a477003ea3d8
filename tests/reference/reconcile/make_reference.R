# Reference values for the reconciliation ladders (ldn_evidence.review.reconcile): the rungs of
# the bundled review's pain ladders, computed in R from the numbers the study records hold (each
# with its source in data/studies.yaml), with metafor's escalc and rma.
# Run from this folder: Rscript make_reference.R   (metafor 3.8-1, jsonlite)
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

r <- 0.5                                         # the review's within-person correlation
J <- function(m) exp(lgamma(m / 2) - log(m / 2) / 2 - lgamma((m - 1) / 2))

# Due Bruun 2024 (FINAL, DOI 10.1016/S2665-9913(23)00278-3, abstract): per-arm change in pain NRS
# with 95% CIs; SD = sqrt(n) * width / (2 t(0.975, n - 1)) (Cochrane Handbook 6.5.2.2)
sd_ci <- function(lo, hi, n) sqrt(n) * (hi - lo) / (2 * qt(0.975, n - 1))
db <- escalc("SMD", m1i = -1.3, sd1i = sd_ci(-1.7, -0.8, 49), n1i = 49,
             m2i = -0.9, sd2i = sd_ci(-1.4, -0.5, 50), n2i = 50)
# Younger 2013 (DOI 10.1002/art.37734, abstract): p = 0.016 as a paired t-test on 28 (27 df);
# dz = -t / sqrt(n), d = dz sqrt(2 (1 - r)), J(n - 1), vi = (1/n + g^2/(2n)) 2 (1 - r)
n <- 28; dz <- -qt(1 - 0.016 / 2, n - 1) / sqrt(n)
g <- J(n - 1) * dz * sqrt(2 * (1 - r)); y13 <- c(g, (1 / n + g^2 / (2 * n)) * 2 * (1 - r))
# Bested 2023 (PMID 38226027, abstract): median difference -0.33, IQR 6.33, n = 58;
# SD of differences = IQR / eta(n) (Wan et al. 2014), SD between = SD_diff / sqrt(2 (1 - r))
n <- 58; eta <- 2 * qnorm((0.75 * n - 0.125) / (n + 0.25))
g <- J(n - 1) * -0.33 / ((6.33 / eta) / sqrt(2 * (1 - r))); b23 <- c(g, (1 / n + g^2 / (2 * n)) * 2 * (1 - r))
# INNOVA (Rodriguez-Freire, results abstract): d = 0.19, sign from the per-arm changes (LDN -0.33 vs
# placebo -0.64, so positive); Hedges' g with J(n1 + n2 - 2), vi = 1/n1 + 1/n2 + g^2 / (2 (n1 + n2))
g <- J(96) * 0.19; inn <- c(g, 1 / 48 + 1 / 50 + g^2 / (2 * 98))

smd <- data.frame(study = c("younger2013", "bested2023", "due_bruun2024", "rodriguezfreire_innova"),
                  yi = c(y13[1], b23[1], db$yi, inn[1]), vi = c(y13[2], b23[2], db$vi, inn[2]))
# MDs: Due Bruun 2024 reported -0.34 [-0.95, 0.27] (SE from the CI, normal quantile); INNOVA's
# adjusted 0.49 with p = 0.236 (SE from p, t with 96 df)
md <- data.frame(study = c("due_bruun2024", "rodriguezfreire_innova"), yi = c(-0.34, 0.49),
                 vi = c(((0.27 + 0.95) / (2 * qnorm(0.975)))^2, (0.49 / qt(1 - 0.236 / 2, 96))^2))

fit <- function(d, method, test) {
  res <- rma(yi, vi, data = d, method = method, test = test)
  list(studies = d$study, estimate = as.numeric(res$beta), ci_low = res$ci.lb, ci_high = res$ci.ub,
       tau2 = res$tau2, i2 = res$I2)
}
three <- smd[1:3, ]
out <- list(
  metafor = as.character(packageVersion("metafor")),
  effects = list(smd = smd, md = md),
  # (b)/(c) of the SMD ladders: their three computable trials, DerSimonian-Laird, Wald z
  smd_three_dl_z = fit(three, "DL", "z"),
  # (d): every trial pooled now (change-score SMDs combined), their method
  smd_all_dl_z = fit(smd, "DL", "z"),
  smd_all_reml_z = fit(smd, "REML", "z"),
  smd_all_reml_adhoc = fit(smd, "REML", "adhoc"),
  # (e, last): change-score SMDs (Due Bruun 2024) set apart
  smd_final_reml_adhoc = fit(smd[smd$study != "due_bruun2024", ], "REML", "adhoc"),
  # (b) of the women-only review: the two MDs, DerSimonian-Laird, Wald z
  md_two_dl_z = fit(md, "DL", "z")
)
write_json(out, "metafor_reconcile.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
