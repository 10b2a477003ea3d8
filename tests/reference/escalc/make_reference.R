# Reference effect sizes from metafor::escalc for tests/test_effect_sizes.py.
#
# Run from the repository root:
#   Rscript tests/reference/escalc/make_reference.R
# It writes tests/reference/escalc/metafor_escalc.json: a list of cases, each with the
# measure, the escalc() arguments (data vectors and options) and metafor's yi and vi
# (NA -> null).  The Python tests read only the JSON; they never need R.
#
# Data: metadat's dat.normand1999 (two-group means/SDs), dat.bcg (2x2 tables),
# dat.pritz1997 (single proportions), plus small invented data sets that are stored in
# this script (and therefore in the JSON): pre-post pain scores and 2x2 tables with
# zero cells (single zeros, no events in both arms, all events in both arms).

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

cases <- list()

add_case <- function(id, measure, data, options = list()) {
  res <- do.call(escalc, c(list(measure = measure), data, options))
  cases[[length(cases) + 1]] <<- list(
    id = id,
    measure = measure,
    args = data,
    options = options,
    yi = as.numeric(res$yi),
    vi = as.numeric(res$vi)
  )
}

## two-group continuous: Normand (1999), length of hospital stay, stroke units
data(dat.normand1999)
d <- dat.normand1999
cont <- list(m1i = d$m1i, sd1i = d$sd1i, n1i = d$n1i, m2i = d$m2i, sd2i = d$sd2i, n2i = d$n2i)
for (m in c("MD", "SMD", "SMDH", "ROM")) add_case(paste0("normand1999_", m), m, cont)
add_case("normand1999_MD_HO", "MD", cont, list(vtype = "HO"))
for (v in c("UB", "LS2", "AV")) add_case(paste0("normand1999_SMD_", v), "SMD", cont, list(vtype = v))
add_case("normand1999_SMDH_LS2", "SMDH", cont, list(vtype = "LS2"))
for (v in c("HO", "AV", "AVHO")) add_case(paste0("normand1999_ROM_", v), "ROM", cont, list(vtype = v))

## small invented two-group trials (pain 0-10, small n as in LDN trials)
small <- list(m1i = c(4.1, 5.0, 3.2, 6.3), sd1i = c(2.0, 1.7, 2.4, 1.1), n1i = c(10, 31, 5, 3),
              m2i = c(5.2, 5.6, 4.9, 6.0), sd2i = c(1.8, 2.2, 2.1, 0.9), n2i = c(12, 30, 6, 3))
for (m in c("MD", "SMD", "SMDH", "ROM")) add_case(paste0("smalltrials_", m), m, small)
add_case("smalltrials_SMD_UB", "SMD", small, list(vtype = "UB"))

## pre-post (single-arm) data, invented: post (m1i) vs pre (m2i), r imputed
pp <- list(m1i = c(4.2, 5.1, 3.9, 6.0, 2.8), m2i = c(6.4, 6.9, 6.1, 6.2, 5.0),
           sd1i = c(2.1, 1.9, 2.4, 1.5, 1.2), sd2i = c(1.8, 1.6, 2.0, 1.4, 1.6),
           ni = c(31, 12, 8, 45, 4), ri = c(0.5, 0.3, 0.7, 0.5, 0.9))
for (m in c("MC", "SMCC", "SMCR")) add_case(paste0("prepost_", m), m, pp)
for (m in c("SMCC", "SMCR")) add_case(paste0("prepost_", m, "_LS2"), m, pp, list(vtype = "LS2"))
# SMCR does not need sd2i
add_case("prepost_SMCR_nosd2", "SMCR", pp[c("m1i", "m2i", "sd1i", "ni", "ri")])

## 2x2 tables: BCG vaccine trials (Colditz et al. 1994)
data(dat.bcg)
b <- dat.bcg
bcg <- list(ai = b$tpos, bi = b$tneg, ci = b$cpos, di = b$cneg)
for (m in c("RR", "OR", "RD")) add_case(paste0("bcg_", m), m, bcg)
for (v in c("UB", "AV")) add_case(paste0("bcg_RD_", v), "RD", bcg, list(vtype = v))
# same tables given as events and group sizes
bcgn <- list(ai = b$tpos, n1i = b$tpos + b$tneg, ci = b$cpos, n2i = b$cpos + b$cneg)
add_case("bcg_OR_n", "OR", bcgn)

## 2x2 tables with zero cells (invented): rows are
## 1 no zero; 2 zero events in arm 1; 3 zero events in both arms (double zero);
## 4 all events in both arms (bi = di = 0); 5 zero non-events in arm 2; 6 no zero
zero <- list(ai = c(3, 0, 0, 12, 7, 15), bi = c(27, 25, 20, 0, 8, 45),
             ci = c(6, 4, 0, 10, 9, 22), di = c(24, 21, 22, 0, 0, 38))
for (m in c("RR", "OR", "RD")) {
  for (to in c("only0", "all", "if0all", "none")) {
    for (d00 in c(FALSE, TRUE)) {
      add_case(sprintf("zero_%s_%s_drop00%s", m, to, d00), m, zero,
               list(to = to, drop00 = d00))
    }
  }
  add_case(sprintf("zero_%s_add1", m), m, zero, list(add = 1))
}
# a set of tables none of which has a zero cell, with to="if0all" (no correction at all)
nozero <- list(ai = c(3, 5), bi = c(27, 20), ci = c(6, 4), di = c(24, 21))
add_case("nozero_OR_if0all", "OR", nozero, list(to = "if0all"))

## single proportions: Pritz (1997), good outcome after surgery (one study 10/10)
data(dat.pritz1997)
p <- dat.pritz1997
pr <- list(xi = p$xi, ni = p$ni)
for (m in c("PR", "PLO")) {
  add_case(paste0("pritz1997_", m), m, pr)
  add_case(paste0("pritz1997_", m, "_all"), m, pr, list(to = "all"))
  add_case(paste0("pritz1997_", m, "_none"), m, pr, list(to = "none"))
  add_case(paste0("pritz1997_", m, "_AV"), m, pr, list(vtype = "AV"))
}
add_case("pritz1997_PR_UB", "PR", pr, list(vtype = "UB"))
# responders in small open-label series (invented), including 0/8 and mi given
prz <- list(xi = c(0, 3, 9, 12), mi = c(8, 9, 0, 18))
for (m in c("PR", "PLO")) add_case(paste0("series_", m), m, prz)

out <- list(
  generator = "tests/reference/escalc/make_reference.R",
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  R_version = R.version.string,
  cases = cases
)
path <- file.path("tests", "reference", "escalc", "metafor_escalc.json")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), path)
cat("wrote", length(cases), "cases to", path, "\n")
