# Reference values for outcomes.survival.CoxFitter / CauseSpecificCox from survival::coxph.
#
# Usage: Rscript reference.R [data_dir] [out_dir]
#   data_dir  folder with the CSVs written by make_data.py (default: this script's folder)
#   out_dir   where to write the results (default: data_dir/expected)
#
# Writes (numbers with 17 significant digits, so they read back as R's doubles)
#   coxph_estimates.csv  model, term, coef, se (reported variance), naive_se
#   coxph_loglik.csv     model, loglik_null, loglik
#   coxph_zph.csv        cox.zph tables (transform "km" and "identity"): model, transform,
#                        term, chisq, df, p
#   coxph_basehaz.csv    basehaz(fit, centered = FALSE): model, strata, time, hazard
#   coxph_few_clusters.csv  5 clusters, vcovCL(type = "HC1") and t(G - 1): term, coef,
#                        se, ci_lower, ci_upper, p, n_clusters
#   csc_cif.csv          survfit of a multi-state coxph (cause-specific hazards, causes 1
#                        and 2) for three new rows: row, time, cause, cif
#   versions.txt         R and package versions
#
# Convergence is tightened (eps 1e-12) so that the reference is the maximiser itself, not
# R's default stopping point; that is what an rtol of 1e-6 on coefficients needs.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
data_dir <- if (length(args) >= 1) args[[1]] else script_dir
out_dir <- if (length(args) >= 2) args[[2]] else file.path(data_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

right <- read.csv(file.path(data_dir, "right.csv"), stringsAsFactors = FALSE)
counting <- read.csv(file.path(data_dir, "counting.csv"), stringsAsFactors = FALSE)
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)

fits <- list(
  breslow = coxph(Surv(time, status) ~ x1 + x2 + x3, data = right, ties = "breslow",
                  control = ctl),
  efron = coxph(Surv(time, status) ~ x1 + x2 + x3, data = right, ties = "efron",
                control = ctl),
  strata = coxph(Surv(time, status) ~ x1 + x2 + x3 + strata(st), data = right,
                 ties = "efron", control = ctl),
  weights = coxph(Surv(time, status) ~ x1 + x2 + x3, data = right, weights = w,
                  ties = "efron", control = ctl),
  weights_robust = coxph(Surv(time, status) ~ x1 + x2 + x3, data = right, weights = w,
                         robust = TRUE, ties = "breslow", control = ctl),
  cluster = coxph(Surv(time, status) ~ x1 + x2 + x3 + cluster(cl), data = right,
                  ties = "efron", control = ctl),
  all = coxph(Surv(time, status) ~ x1 + x2 + x3 + strata(st) + cluster(cl), data = right,
              weights = w, ties = "efron", control = ctl),
  ag_efron = coxph(Surv(start, stop, event) ~ x1 + x2 + late + cluster(id), data = counting,
                   ties = "efron", control = ctl),
  ag_breslow = coxph(Surv(start, stop, event) ~ x1 + x2 + late + strata(sex) + cluster(id),
                     data = counting, weights = w, ties = "breslow", control = ctl)
)

fmt <- function(df) {
  for (nm in names(df)) if (is.double(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
write_out <- function(df, name) {
  write.csv(fmt(df), file.path(out_dir, name), row.names = FALSE, quote = FALSE)
}

est <- do.call(rbind, lapply(names(fits), function(m) {
  f <- fits[[m]]
  naive <- if (is.null(f$naive.var)) vcov(f) else f$naive.var
  data.frame(model = m, term = names(coef(f)), coef = unname(coef(f)),
             se = sqrt(diag(vcov(f))), naive_se = sqrt(diag(naive)))
}))
write_out(est, "coxph_estimates.csv")

ll <- do.call(rbind, lapply(names(fits), function(m) {
  data.frame(model = m, loglik_null = fits[[m]]$loglik[1], loglik = fits[[m]]$loglik[2])
}))
write_out(ll, "coxph_loglik.csv")

zph <- do.call(rbind, lapply(c("efron", "breslow", "all", "ag_efron"), function(m) {
  do.call(rbind, lapply(c("km", "identity"), function(tr) {
    tab <- cox.zph(fits[[m]], transform = tr)$table
    data.frame(model = m, transform = tr, term = rownames(tab), chisq = tab[, "chisq"],
               df = tab[, "df"], p = tab[, "p"])
  }))
}))
write_out(zph, "coxph_zph.csv")

bh <- do.call(rbind, lapply(c("efron", "breslow", "strata", "all"), function(m) {
  b <- basehaz(fits[[m]], centered = FALSE)
  data.frame(model = m, strata = if (is.null(b$strata)) "baseline" else as.character(b$strata),
             time = b$time, hazard = b$hazard)
}))
write_out(bh, "coxph_basehaz.csv")

# Cause-specific hazards as a multi-state coxph; survfit combines them (Aalen-Johansen
# with the matrix exponential of each step). Breslow ties: in survival 3.5-3 a multi-state
# fit with ties = "efron" passed explicitly comes back as Breslow, and with the default
# (Efron) survfit's cumulative hazards differ from those of the single-cause coxph fits
# (a single-cause Efron survfit agrees with ours), so only Breslow is an unambiguous
# reference. The method used is written out with the estimates.
right$state <- factor(right$cause, 0:2, c("censor", "c1", "c2"))
ms <- coxph(Surv(time, state) ~ x1 + x2 + x3, data = right, id = seq_len(nrow(right)),
            ties = "breslow", control = ctl)
newdata <- data.frame(x1 = c(0, 1.2, -0.7), x2 = c(0, 1, 0), x3 = c(0.5, 0.1, 0.9))
times <- c(0.3, 0.8, 1.5, 2.5, 4)
sm <- summary(survfit(ms, newdata = newdata), times = times)
cif <- do.call(rbind, lapply(1:3, function(r) {
  do.call(rbind, lapply(1:2, function(k) {
    data.frame(row = r - 1L, time = sm$time, cause = k, cif = sm$pstate[, r, k + 1])
  }))
}))
write_out(cif, "csc_cif.csv")
ms_est <- data.frame(term = names(coef(ms)), coef = unname(coef(ms)),
                     se = sqrt(diag(vcov(ms))), method = ms$method)
write_out(ms_est, "csc_estimates.csv")

# Few clusters: the 30 clusters folded into 5 (cl %% 5). The CR1-corrected clustered
# variance is sandwich::vcovCL(type = "HC1") (G/(G-1) (n-1)/(n-p) times coxph's), and
# intervals and p-values refer to t with G - 1 degrees of freedom.
suppressPackageStartupMessages(library(sandwich))
few <- transform(right, cl5 = cl %% 5)
few_fit <- coxph(Surv(time, status) ~ x1 + x2 + x3, data = few, ties = "efron",
                 control = ctl)
G <- length(unique(few$cl5))
few_se <- sqrt(diag(vcovCL(few_fit, cluster = ~cl5, type = "HC1")))
q <- qt(0.975, G - 1)
few_est <- data.frame(term = names(coef(few_fit)), coef = unname(coef(few_fit)),
                      se = unname(few_se),
                      ci_lower = unname(coef(few_fit) - q * few_se),
                      ci_upper = unname(coef(few_fit) + q * few_se),
                      p = unname(2 * pt(-abs(coef(few_fit) / few_se), G - 1)),
                      n_clusters = G)
write_out(few_est, "coxph_few_clusters.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("sandwich", as.character(packageVersion("sandwich")))),
           file.path(out_dir, "versions.txt"))
