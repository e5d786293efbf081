# Reference values for outcomes.regression (pseudo-observations and their GLMs).
#
# Usage: Rscript reference.R [ref_dir] [out_dir]
#   ref_dir  this folder (unused: the data come from R's survival package)
#   out_dir  where to write the results (default: ref_dir/expected)
#
# Writes (numbers with 17 significant digits, so they read back as R's doubles)
#   pbc.csv, mgus2.csv, veteran.csv   the three datasets as analysed (complete cases,
#                                     factors as the codes used in the formulas)
#   pseudo.csv   dataset, estimand, method, time, row, value: pseudo-observations
#                - jackknife risk/survival: prodlim::jackknife
#                - jackknife rmst/rmtl: leave-one-out refits of survfit, integrated
#                  (brute force, n refits)
#                - infinitesimal jackknife: survfit(influence = TRUE), S + n * influence
#   fits.csv     case, term, coef, se_robust (geepack san.se), se_hc3
#                (sandwich::vcovHC type HC3; NA with several horizons or clusters)
#   versions.txt R and package versions
#
# geeglm's epsilon is tightened so the reference is the solution itself, not geese's
# default stopping point; that is what an rtol of 1e-6 on coefficients needs.
suppressPackageStartupMessages({
  library(survival)
  library(prodlim)
  library(geepack)
  library(sandwich)
})

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
ref_dir <- if (length(args) >= 1) args[[1]] else script_dir
out_dir <- if (length(args) >= 2) args[[2]] else file.path(ref_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

fmt <- function(df) {
  for (nm in names(df)) if (is.double(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
write_out <- function(df, name) {
  write.csv(fmt(df), file.path(out_dir, name), row.names = FALSE, quote = FALSE)
}

# ---------------------------------------------------------------- datasets
# pbc: the 312 randomised patients; status 0 censored, 1 transplant, 2 death.
pbc_d <- with(pbc[1:312, ], data.frame(
  time = as.double(time), status = as.integer(status), age = age,
  female = as.integer(sex == "f"), logbili = log(bili), albumin = albumin,
  edema = edema, trt = as.integer(trt)))
pbc_d$cluster <- as.integer((seq_len(nrow(pbc_d)) - 1) %/% 8)  # 39 clusters of 8
# mgus2: progression to plasma-cell malignancy (1) competing with death (2).
mg <- mgus2[!is.na(mgus2$hgb), ]
mgus_d <- data.frame(
  time = as.double(ifelse(mg$pstat == 0, mg$futime, mg$ptime)),
  status = as.integer(ifelse(mg$pstat == 0, 2 * mg$death, 1)),
  age = mg$age, female = as.integer(mg$sex == "F"), hgb = mg$hgb)
# veteran: death (1) or censored (0); celltype with levels in sorted order, as
# formulaic's C() codes them.
vet_d <- with(veteran, data.frame(
  time = as.double(time), status = as.integer(status), trt = as.integer(trt),
  karno = karno, celltype = as.character(celltype)))
vet_d$celltype_f <- factor(vet_d$celltype, levels = sort(unique(vet_d$celltype)))

data_sets <- list(pbc = pbc_d, mgus2 = mgus_d, veteran = vet_d)
for (nm in names(data_sets)) {
  d <- data_sets[[nm]]
  d$celltype_f <- NULL
  write_out(d, paste0(nm, ".csv"))
}

# ---------------------------------------------------------- pseudo-values
step_integral <- function(knots, values, tau) {
  # integral over [0, tau] of the right-continuous step function with value
  # values[k] from knots[k] (knots[1] = 0)
  keep <- knots < tau
  x <- c(knots[keep], tau)
  sum(values[keep] * diff(x))
}
km_mean <- function(time, status, tau, cause = NULL) {
  if (is.null(cause)) {
    f <- survfit(Surv(time, status != 0) ~ 1)
    step_integral(c(0, f$time), c(1, f$surv), tau)
  } else {
    f <- survfit(Surv(time, factor(status, levels = 0:max(status))) ~ 1)
    col <- match(as.character(cause), f$states)
    step_integral(c(0, f$time), c(0, f$pstate[, col]), tau)
  }
}
brute <- function(d, tau, cause = NULL) {
  n <- nrow(d)
  full <- km_mean(d$time, d$status, tau, cause)
  sapply(seq_len(n), function(i) n * full - (n - 1) * km_mean(d$time[-i], d$status[-i], tau, cause))
}
jack_risk <- function(d, times, cause) {
  if (max(d$status) == 1) {
    1 - jackknife(prodlim(Hist(time, status) ~ 1, data = d), times = times)
  } else {
    jackknife(prodlim(Hist(time, status) ~ 1, data = d), times = times, cause = cause)
  }
}
jack_surv <- function(d, times) {
  d2 <- data.frame(time = d$time, status = as.integer(d$status != 0))
  jackknife(prodlim(Hist(time, status) ~ 1, data = d2), times = times)
}
ij_values <- function(d, times, estimand, cause) {
  n <- nrow(d)
  if (estimand == "survival" || max(d$status) == 1) {
    f <- survfit(Surv(time, status != 0) ~ 1, data = d, influence = TRUE)
    idx <- sapply(times, function(t) max(which(f$time <= t)))
    v <- matrix(f$surv[idx], n, length(times), byrow = TRUE) + n * f$influence.surv[, idx, drop = FALSE]
    if (estimand == "risk") v <- 1 - v
  } else {
    f <- survfit(Surv(time, factor(status, levels = 0:max(status))) ~ 1, data = d,
                 influence = TRUE)
    col <- match(as.character(cause), f$states)
    idx <- sapply(times, function(t) max(which(f$time <= t)))
    v <- matrix(f$pstate[idx, col], n, length(times), byrow = TRUE) +
      n * f$influence.pstate[, idx + 1, col, drop = FALSE][, , 1]
  }
  matrix(v, n, length(times))
}
long <- function(dataset, estimand, method, times, m) {
  m <- matrix(m, ncol = length(times))
  do.call(rbind, lapply(seq_along(times), function(k) data.frame(
    dataset = dataset, estimand = estimand, method = method, time = as.double(times[k]),
    row = seq_len(nrow(m)) - 1L, value = as.double(m[, k]))))
}

pseudo <- list(
  long("pbc", "risk", "jackknife", c(1000, 2000, 3000), jack_risk(pbc_d, c(1000, 2000, 3000), 2)),
  long("pbc", "survival", "jackknife", c(1000, 2000, 3000), jack_surv(pbc_d, c(1000, 2000, 3000))),
  long("pbc", "rmst", "jackknife", 3000, brute(pbc_d, 3000)),
  long("pbc", "rmtl", "jackknife", 3000, brute(pbc_d, 3000, cause = 2)),
  long("pbc", "risk", "infinitesimal_jackknife", c(1000, 2000), ij_values(pbc_d, c(1000, 2000), "risk", 2)),
  long("pbc", "survival", "infinitesimal_jackknife", c(1000, 2000), ij_values(pbc_d, c(1000, 2000), "survival", 2)),
  long("mgus2", "risk", "jackknife", c(60, 120, 240), jack_risk(mgus_d, c(60, 120, 240), 1)),
  long("veteran", "risk", "jackknife", c(90, 180), jack_risk(vet_d, c(90, 180), 1)),
  long("veteran", "survival", "jackknife", c(90, 180), jack_surv(vet_d, c(90, 180))),
  long("veteran", "rmst", "jackknife", 365, brute(vet_d, 365))
)
pseudo <- do.call(rbind, pseudo)
write_out(pseudo, "pseudo.csv")

# ------------------------------------------------------------------- fits
pv <- function(dataset, estimand, time) {
  p <- pseudo[pseudo$dataset == dataset & pseudo$estimand == estimand &
                pseudo$method == "jackknife" & pseudo$time == time, ]
  p$value[order(p$row)]
}
ctrl <- geese.control(epsilon = 1e-10, maxit = 200)
# geepack's GEE engine (what geeglm calls), through geese because geeglm cannot take
# starting values (its model frame chokes on `start`); the log link needs them.
gee <- function(form, d, link, start) {
  g <- geese(form, id = id, data = d, family = gaussian, mean.link = link,
             corstr = "independence", b = start, control = ctrl)
  if (g$error != 0) stop("geese did not converge for ", deparse(form))
  coef <- g$beta
  names(coef) <- names(start)
  list(coef = coef, se = sqrt(diag(g$vbeta)))
}
one_fit <- function(case, d, y, rhs, link, id = NULL) {
  d$y <- y
  d$id <- if (is.null(id)) seq_len(nrow(d)) else id
  form <- as.formula(paste("y ~", rhs))
  start <- coef(glm(form, data = d, family = quasi(link = link, variance = "constant"),
                    mustart = rep(mean(y), nrow(d)), control = glm.control(epsilon = 1e-14, maxit = 200)))
  g <- gee(form, d, link, start)
  se_hc3 <- rep(NA_real_, length(g$coef))
  if (is.null(id)) {
    gl <- glm(form, data = d, family = quasi(link = link, variance = "constant"),
              start = g$coef, control = glm.control(epsilon = 1e-14, maxit = 200))
    se_hc3 <- sqrt(diag(vcovHC(gl, type = "HC3")))
  }
  data.frame(case = case, term = names(g$coef), coef = unname(g$coef),
             se_robust = unname(g$se), se_hc3 = unname(se_hc3))
}
multi_fit <- function(case, d, dataset, estimand, times, rhs, link) {
  long_d <- do.call(rbind, lapply(times, function(t) {
    x <- d; x$y <- pv(dataset, estimand, t); x$horizon <- factor(t, levels = times)
    x$id <- seq_len(nrow(d)); x
  }))
  long_d <- long_d[order(long_d$id), ]
  form <- as.formula(paste("y ~ 0 + horizon +", rhs))
  start <- coef(glm(form, data = long_d, family = quasi(link = link, variance = "constant"),
                    mustart = rep(mean(long_d$y), nrow(long_d)), control = glm.control(epsilon = 1e-14, maxit = 200)))
  g <- gee(form, long_d, link, start)
  data.frame(case = case, term = names(g$coef), coef = unname(g$coef),
             se_robust = unname(g$se), se_hc3 = NA_real_)
}

pbc_rhs <- "age + female + logbili + albumin + factor(edema)"
fits <- list(
  one_fit("pbc_risk_identity", pbc_d, pv("pbc", "risk", 2000), pbc_rhs, "identity"),
  one_fit("pbc_risk_log", pbc_d, pv("pbc", "risk", 2000), pbc_rhs, "log"),
  one_fit("pbc_risk_cloglog", pbc_d, pv("pbc", "risk", 2000), pbc_rhs, "cloglog"),
  one_fit("pbc_risk_identity_cluster", pbc_d, pv("pbc", "risk", 2000), pbc_rhs, "identity", pbc_d$cluster),
  one_fit("pbc_risk_log_cluster", pbc_d, pv("pbc", "risk", 2000), pbc_rhs, "log", pbc_d$cluster),
  one_fit("pbc_survival_log", pbc_d, pv("pbc", "survival", 2000), pbc_rhs, "log"),
  one_fit("pbc_survival_cloglog_cluster", pbc_d, pv("pbc", "survival", 2000), pbc_rhs, "cloglog", pbc_d$cluster),
  one_fit("pbc_rmst_identity", pbc_d, pv("pbc", "rmst", 3000), pbc_rhs, "identity"),
  one_fit("pbc_rmtl_identity_cluster", pbc_d, pv("pbc", "rmtl", 3000), pbc_rhs, "identity", pbc_d$cluster),
  multi_fit("pbc_risk_identity_multi", pbc_d, "pbc", "risk", c(1000, 2000, 3000), pbc_rhs, "identity"),
  multi_fit("pbc_risk_cloglog_multi", pbc_d, "pbc", "risk", c(1000, 2000, 3000), pbc_rhs, "cloglog"),
  one_fit("mgus2_risk_identity", mgus_d, pv("mgus2", "risk", 120), "age + female + hgb", "identity"),
  one_fit("mgus2_risk_log", mgus_d, pv("mgus2", "risk", 120), "age + female + hgb", "log"),
  one_fit("veteran_risk_log", vet_d, pv("veteran", "risk", 90), "trt + karno + celltype_f", "log"),
  one_fit("veteran_survival_identity", vet_d, pv("veteran", "survival", 180), "trt + karno + celltype_f", "identity"),
  one_fit("veteran_rmst_identity", vet_d, pv("veteran", "rmst", 365), "trt + karno + celltype_f", "identity")
)
write_out(do.call(rbind, fits), "fits.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("prodlim", as.character(packageVersion("prodlim"))),
             paste("geepack", as.character(packageVersion("geepack"))),
             paste("sandwich", as.character(packageVersion("sandwich")))),
           file.path(out_dir, "versions.txt"))
