# The test of equal proportions with the pooled variance, from R's own prop.test
# (Pearson's chi-squared without continuity correction, whose statistic is the square
# of the pooled z), independently of the Python code. Each row: x1 events of n1 and x0
# of n0.
#
# Usage: Rscript reference.R [out_dir]
# Writes out_dir/pooled_expected.csv (x1, n1, x0, n0, p_value) and out_dir/versions.txt.

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
out_dir <- if (length(args) >= 1) args[[1]] else file.path(script_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

cases <- data.frame(
  x1 = c(12, 30, 5, 48, 1, 90, 7, 250),
  n1 = c(200, 400, 150, 500, 60, 1000, 40, 3000),
  x0 = c(20, 30, 14, 40, 6, 120, 2, 310),
  n0 = c(250, 600, 180, 520, 80, 1100, 45, 2900)
)
cases$p_value <- mapply(function(x1, n1, x0, n0) {
  suppressWarnings(prop.test(c(x1, x0), c(n1, n0), correct = FALSE)$p.value)
}, cases$x1, cases$n1, cases$x0, cases$n0)
write.csv(cases, file.path(out_dir, "pooled_expected.csv"), row.names = FALSE)
writeLines(R.version.string, file.path(out_dir, "versions.txt"))
