# Reference values of R's distribution functions for tests/test_distributions.py.
#
# Run from the repository root:
#   Rscript tests/reference/distributions/make_reference.R
# It writes tests/reference/distributions/r_distributions.json: for each function, the grid
# of arguments and R's values (17 significant digits). These are the functions metafor calls:
# pt/qt (Wald-t and Hartung-Knapp tests, intervals), pchisq/qchisq (Q test, Q-profile tau^2
# interval, subgroup tests) and pf (the Hartung-Knapp omnibus F test). The Python tests read
# only the JSON; they never need R.

suppressPackageStartupMessages(library(jsonlite))

df <- c(0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 14, 20, 30, 50, 100, 300, 1000, 1e4)
t_abs <- c(1e-8, 1e-3, 0.1, 0.5, 1, 1.96, 2, 3, 5, 10, 30, 100, 1e3, 1e5)
t <- c(-rev(t_abs), 0, t_abs)
p <- c(1e-100, 1e-30, 1e-12, 1e-6, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.49,
       0.5, 0.51, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-6, 1 - 1e-10)
x <- c(1e-10, 1e-5, 0.01, 0.1, 0.5, 1, 2, 3.84, 5, 10, 20, 50, 100, 300, 1000, 3000, 1e4, 3e4)
f <- c(1e-6, 0.01, 0.5, 1, 2, 4, 10, 100, 1e4)
dfn <- c(0.5, 1, 2, 3, 5, 10, 30)

grid2 <- function(a, b) expand.grid(a = a, b = b, KEEP.OUT.ATTRS = FALSE)

g_t <- grid2(df, t)
g_qt <- grid2(df, p)
g_x <- grid2(df, x)
g_f <- expand.grid(dfn = dfn, dfd = df, f = f, KEEP.OUT.ATTRS = FALSE)

out <- list(
  r_version = R.version.string,
  pt = list(df = g_t$a, t = g_t$b, value = pt(g_t$b, g_t$a)),
  qt = list(df = g_qt$a, p = g_qt$b, value = qt(g_qt$b, g_qt$a)),
  pchisq = list(df = g_x$a, x = g_x$b, value = pchisq(g_x$b, g_x$a)),
  pchisq_upper = list(df = g_x$a, x = g_x$b, value = pchisq(g_x$b, g_x$a, lower.tail = FALSE)),
  qchisq_upper = list(df = g_qt$a, q = g_qt$b, value = qchisq(g_qt$b, g_qt$a, lower.tail = FALSE)),
  pf_upper = list(dfn = g_f$dfn, dfd = g_f$dfd, f = g_f$f,
                  value = pf(g_f$f, g_f$dfn, g_f$dfd, lower.tail = FALSE))
)

write_json(out, "tests/reference/distributions/r_distributions.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE)
