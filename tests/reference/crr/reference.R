# Reference values for outcomes.survival.FineGrayFitter from cmprsk::crr.
#
# Usage: Rscript reference.R [data_dir] [out_dir]
#   data_dir  folder with the CSVs written by make_data.py (default: this script's folder)
#   out_dir   where to write the results (default: data_dir/expected)
#
# Writes (numbers with 17 significant digits, so they read back as R's doubles)
#   crr_estimates.csv  model, term, coef, se (sqrt of diag of crr's var)
#   crr_loglik.csv     model, loglik, loglik_null
#   crr_predict.csv    predict.crr for three covariate rows: model, row, time, cif
#   versions.txt       R and package versions
#
# gtol/maxiter are tightened so that the reference is the solution itself, not crr's
# default stopping point; that is what an rtol of 1e-6 on coefficients needs.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
data_dir <- if (length(args) >= 1) args[[1]] else script_dir
out_dir <- if (length(args) >= 2) args[[2]] else file.path(data_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

read <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")),
                                stringsAsFactors = FALSE)
effects <- read("effects")
null <- read("null")
strong <- read("strong")

fit <- function(d, covs, ...) {
  crr(d$time, d$status, as.matrix(d[, covs, drop = FALSE]), cencode = 0,
      gtol = 1e-12, maxiter = 100, ...)
}
models <- list(
  effects = list(fit = fit(effects, c("x1", "x2", "x3")), new = rbind(c(0, 0, 0),
                 c(1, 1, 0), c(-1, 0, 1))),
  effects_cause2 = list(fit = fit(effects, c("x1", "x2", "x3"), failcode = 2),
                        new = rbind(c(0, 0, 0), c(1, 1, 0), c(-1, 0, 1))),
  null = list(fit = fit(null, c("z1", "z2")), new = rbind(c(0, 0), c(1, 1), c(-1, 0))),
  strong = list(fit = fit(strong, c("x1", "x2")), new = rbind(c(0, 0), c(1, 1), c(-1, 0))),
  strong_cengroup = list(fit = fit(strong, c("x1", "x2"), cengroup = strong$cg),
                         new = rbind(c(0, 0), c(1, 1), c(-1, 0)))
)
for (m in names(models)) {
  if (!models[[m]]$fit$converged) stop("crr did not converge for ", m)
}

fmt <- function(df) {
  for (nm in names(df)) if (is.double(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
write_out <- function(df, name) {
  write.csv(fmt(df), file.path(out_dir, name), row.names = FALSE, quote = FALSE)
}

write_out(do.call(rbind, lapply(names(models), function(m) {
  f <- models[[m]]$fit
  data.frame(model = m, term = names(f$coef), coef = unname(f$coef),
             se = sqrt(diag(f$var)))
})), "crr_estimates.csv")

write_out(do.call(rbind, lapply(names(models), function(m) {
  f <- models[[m]]$fit
  data.frame(model = m, loglik = f$loglik, loglik_null = f$loglik.null)
})), "crr_loglik.csv")

write_out(do.call(rbind, lapply(names(models), function(m) {
  p <- predict(models[[m]]$fit, cov1 = models[[m]]$new)
  do.call(rbind, lapply(seq_len(ncol(p) - 1), function(r) {
    data.frame(model = m, row = r - 1L, time = p[, 1], cif = p[, r + 1])
  }))
})), "crr_predict.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("cmprsk", as.character(packageVersion("cmprsk")))),
           file.path(out_dir, "versions.txt"))
