# Reference values for the corrected variance of pseudo-value GLMs, for case weights in
# pseudo-observations and GEE fits, and for IPCW pseudo-observations.
#
# Usage: Rscript reference.R [ref_dir] [out_dir]
#   ref_dir  this folder (competing.csv and single.csv, from make_data.py)
#   out_dir  where to write the results (default: ref_dir/expected)
#
# Writes (numbers with 17 significant digits)
#   fits.csv      case, term, coef, se_robust, se_corrected
#   weighted.csv  estimand, method, time, row, value: pseudo-observations with case weights
#   ipcw.csv      time, row, value: IPCW pseudo-observations with a Cox censoring model
#   versions.txt  R and package versions
#
# The corrected variance (Overgaard, Parner & Pedersen 2017, Annals of Statistics 45,
# 1988-2015). The jackknife pseudo-observation of person i has the second-order expansion
#   theta_i = phi(F) + phi1(X_i) + (1/n) sum_{k != i} phi2(X_i, X_k) + o_p(n^-1/2),
# phi1 and phi2 the first- and second-order influence functions of the estimator. For
# the estimating equation sum_i A_i (theta_i - mu_i) = 0 (A_i = w_i d mu_i / d beta),
# the U-statistic of the second-order terms projects onto
#   b_j = E{A phi2(X, X_j)},
# so the score of person j is a_j + b_j, a_j = A_j {phi(F) + phi1(X_j) - mu_j}, and
#   var(beta) = M^-1 sum_j (a_j + b_j)(a_j + b_j)' M^-1,   M = sum_i A_i (d mu_i / d beta)'.
# Everything is estimated by plugging in the empirical distribution (phi, phi1, phi2 of
# the Aalen-Johansen / Kaplan-Meier estimator at F_n). Here phi1 and phi2 are obtained
# from the estimator as a function of case weights w (survfit with weights):
#   d theta / d w_i = phi1(X_i) / n               (survfit's influence, checked below),
#   n^2 d2 theta / d w_i d w_j = phi2(X_i, X_j) - phi1(X_i) - phi1(X_j),
# so b_j = n * sum_i A_i d2 theta / d w_i d w_j + mean(A phi1) + mean(A) phi1(X_j), the
# second derivatives by central differences of survfit's influence. This uses no
# formula for phi2 at all: it is the plug-in estimator by numerical differentiation.
suppressPackageStartupMessages({
  library(survival)
  library(prodlim)
  library(geepack)
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

competing <- read.csv(file.path(ref_dir, "competing.csv"))
single <- read.csv(file.path(ref_dir, "single.csv"))

# ------------------------------------------------- the estimator and its weight derivatives
# theta(w) at tau and d theta / d w_i (survfit's influence) for one group.
# estimand "risk": cumulative incidence of `cause` (1 - KM with one event type);
# "survival": event-free survival (any event).
estimate <- function(d, wt, tau, estimand, cause) {
  if (estimand == "survival" || max(d$status) == 1) {
    f <- survfit(Surv(d$time, d$status != 0) ~ 1, weights = wt, influence = TRUE)
    k <- max(which(f$time <= tau))
    th <- f$surv[k]
    # survfit's Kaplan-Meier influence is w_i * d S / d w_i (its Aalen-Johansen one is
    # d p / d w_i); both are checked against central differences below.
    inf <- f$influence.surv[, k] / wt
    if (estimand == "risk") {
      th <- 1 - th
      inf <- -inf
    }
  } else {
    f <- survfit(Surv(d$time, factor(d$status, levels = 0:max(d$status))) ~ 1,
                 weights = wt, influence = TRUE)
    col <- match(as.character(cause), f$states)
    k <- max(which(f$time <= tau))
    th <- f$pstate[k, col]
    inf <- f$influence.pstate[, k + 1, col]
  }
  list(theta = th, infl = inf)
}

# estimate()'s derivative is d theta / d w_i at unequal weights: check it against a
# central difference for both survfit paths.
for (check in list(list(competing, "risk"), list(single, "risk"), list(competing, "survival"))) {
  d <- check[[1]]
  wt <- competing$w[seq_len(nrow(d))]
  e <- 1e-6
  up <- wt; up[5] <- wt[5] + e
  down <- wt; down[5] <- wt[5] - e
  fd <- (estimate(d, up, 2, check[[2]], 1)$theta -
           estimate(d, down, 2, check[[2]], 1)$theta) / (2 * e)
  stopifnot(abs(fd - estimate(d, wt, 2, check[[2]], 1)$infl[5]) < 1e-8)
}

# Person scores a_j + b_j of one group at one horizon; A is n x p, mu length n.
# sum_i A_i d2 theta / d w_i d w_j is the derivative of the influence vector
# (d theta / d w_j)_j in the direction w = 1 + t A[, c]: two survfit calls per column
# (central difference). It is checked against the derivative in w_j itself (two calls
# per person j) for the first persons.
corrected_scores <- function(d, tau, estimand, cause, A, mu) {
  n <- nrow(d)
  base <- estimate(d, rep(1, n), tau, estimand, cause)
  phi1 <- n * base$infl
  a <- A * (base$theta + phi1 - mu)
  eps <- 1e-5
  second <- vapply(seq_len(ncol(A)), function(c) {
    (estimate(d, 1 + eps * A[, c], tau, estimand, cause)$infl -
       estimate(d, 1 - eps * A[, c], tau, estimand, cause)$infl) / (2 * eps)
  }, numeric(n))
  second <- matrix(second, n, ncol(A))
  for (j in 1:3) {
    up <- rep(1, n); up[j] <- 1 + eps
    down <- rep(1, n); down[j] <- 1 - eps
    by_j <- (colSums(A * estimate(d, up, tau, estimand, cause)$infl) -
               colSums(A * estimate(d, down, tau, estimand, cause)$infl)) / (2 * eps)
    stopifnot(max(abs(by_j - second[j, ])) < 1e-7 * max(1, abs(second)))
  }
  b <- n * second + matrix(colMeans(A * phi1), n, ncol(A), byrow = TRUE) +
    outer(phi1, colMeans(A))
  a + b
}

# ------------------------------------------------------------- pseudo-values and fits
jack <- function(d, tau, estimand, cause) {
  if (estimand == "survival") {
    d2 <- data.frame(time = d$time, status = as.integer(d$status != 0))
    return(jackknife(prodlim(Hist(time, status) ~ 1, data = d2), times = tau))
  }
  if (max(d$status) == 1) {
    return(1 - jackknife(prodlim(Hist(time, status) ~ 1, data = d), times = tau))
  }
  jackknife(prodlim(Hist(time, status) ~ 1, data = d), times = tau, cause = cause)
}

ctrl <- geese.control(epsilon = 1e-10, maxit = 200)
linkinv <- list(identity = function(e) e, log = exp, logit = plogis,
                cloglog = function(e) -expm1(-exp(e)))
mu_eta <- list(identity = function(e) rep(1, length(e)), log = exp,
               logit = function(e) plogis(e) * (1 - plogis(e)),
               cloglog = function(e) exp(e) * exp(-exp(e)))

# One case: pseudo-values (within strata when `strata` names a column), the GEE
# (independence, gaussian variance, prior weights) for one or several horizons, its
# sandwich, and the corrected variance.
fit_case <- function(case, d, times, estimand, cause, rhs, link, weights = NULL,
                     strata = NULL) {
  n <- nrow(d)
  groups <- if (is.null(strata)) list(seq_len(n)) else split(seq_len(n), d[[strata]])
  y <- matrix(NA_real_, n, length(times))
  for (g in groups) for (k in seq_along(times)) {
    y[g, k] <- jack(d[g, ], times[k], estimand, cause)
  }
  w <- if (is.null(weights)) rep(1, n) else d[[weights]]
  long <- do.call(rbind, lapply(seq_along(times), function(k) {
    x <- d; x$y <- y[, k]; x$horizon <- factor(times[k], levels = times)
    x$id <- seq_len(n); x$wt <- w; x
  }))
  long <- long[order(long$id, long$horizon), ]
  form <- if (length(times) > 1) as.formula(paste("y ~ 0 + horizon +", rhs)) else
    as.formula(paste("y ~", rhs))
  start <- coef(glm(form, data = long, weights = wt,
                    family = quasi(link = link, variance = "constant"),
                    mustart = rep(mean(long$y), nrow(long)),
                    control = glm.control(epsilon = 1e-14, maxit = 200)))
  g <- geese(form, id = id, data = long, weights = wt, family = gaussian,
             mean.link = link, corstr = "independence", b = start, control = ctrl)
  if (g$error != 0) stop("geese did not converge for ", case)
  beta <- g$beta
  X <- model.matrix(form, long)
  eta <- drop(X %*% beta)
  D <- X * mu_eta[[link]](eta)
  A <- D * long$wt
  bread <- solve(crossprod(D, A))
  mu <- linkinv[[link]](eta)
  scores <- matrix(0, n, ncol(X))
  for (k in seq_along(times)) {
    rows <- which(long$horizon == times[k])  # ordered by id
    for (grp in groups) {
      scores[grp, ] <- scores[grp, ] + corrected_scores(
        d[grp, ], times[k], estimand, cause, A[rows[grp], , drop = FALSE], mu[rows[grp]])
    }
  }
  V <- bread %*% crossprod(scores) %*% bread
  data.frame(case = case, term = names(start), coef = unname(beta),
             se_robust = sqrt(diag(g$vbeta)), se_corrected = sqrt(diag(V)))
}

fits <- list(
  fit_case("competing_risk_identity", competing, 2, "risk", 1, "x + z", "identity"),
  fit_case("competing_risk_log", competing, 2, "risk", 1, "x + z", "log"),
  fit_case("competing_risk_cloglog", competing, 2, "risk", 1, "x + z", "cloglog"),
  fit_case("competing_risk_logit_weighted", competing, 2, "risk", 1, "x + z", "logit",
           weights = "w"),
  fit_case("competing_risk_identity_two_horizons", competing, c(1, 2.5), "risk", 1,
           "x + z", "identity"),
  fit_case("competing_risk_identity_strata", competing, 2, "risk", 1, "x + z",
           "identity", strata = "g"),
  fit_case("single_survival_identity", single, 1.5, "survival", 1, "x + z", "identity"),
  fit_case("single_risk_cloglog", single, 1.5, "risk", 1, "x + z", "cloglog")
)
write_out(do.call(rbind, fits), "fits.csv")

# ------------------------------------------------ pseudo-observations with case weights
# Jackknife: theta + (W - w_i) / w_i * (theta - theta_{-i}), theta_{-i} refitted without
# row i (brute force); infinitesimal jackknife: theta + W * d theta / d w_i.
weighted_theta <- function(d, wt, tau, estimand) {
  if (estimand == "rmst") {
    f <- survfit(Surv(d$time, d$status != 0) ~ 1, weights = wt)
    keep <- c(0, f$time) < tau
    knots <- c(c(0, f$time)[keep], tau)
    return(sum(c(1, f$surv)[keep] * diff(knots)))
  }
  estimate(d, wt, tau, estimand, 1)$theta
}
weighted <- list()
for (estimand in c("risk", "survival", "rmst")) {
  for (tau in c(1, 2.5)) {
    d <- competing
    w <- d$w
    W <- sum(w)
    th <- weighted_theta(d, w, tau, estimand)
    loo <- vapply(seq_len(nrow(d)), function(i) weighted_theta(d[-i, ], w[-i], tau, estimand),
                  numeric(1))
    weighted[[length(weighted) + 1]] <- data.frame(
      estimand = estimand, method = "jackknife", time = tau, row = seq_len(nrow(d)) - 1L,
      value = th + (W - w) / w * (th - loo))
    if (estimand != "rmst") {
      weighted[[length(weighted) + 1]] <- data.frame(
        estimand = estimand, method = "infinitesimal_jackknife", time = tau,
        row = seq_len(nrow(d)) - 1L, value = th + W * estimate(d, w, tau, estimand, 1)$infl)
    }
  }
}
write_out(do.call(rbind, weighted), "weighted.csv")

# ------------------------------------------------------------- IPCW pseudo-observations
# Binder, Gerds & Andersen (2014): 1(T >= tau or event) V / G(min(T, tau)- | Z), G from a
# Cox model for censoring with the Breslow baseline hazard (no ties in these data).
ipcw <- list()
cox <- coxph(Surv(time, status == 0) ~ x + z, data = single, ties = "breslow")
H0 <- basehaz(cox, centered = FALSE)
lp <- drop(as.matrix(single[, c("x", "z")]) %*% coef(cox))
for (tau in c(1, 2)) {
  end <- pmin(single$time, tau)
  H <- vapply(end, function(t) sum(diff(c(0, H0$hazard))[H0$time < t]), numeric(1))
  G <- exp(-H * exp(lp))
  observed <- single$time >= tau | single$status != 0
  V <- as.numeric(single$time <= tau & single$status == 1)
  ipcw[[length(ipcw) + 1]] <- data.frame(time = tau, row = seq_len(nrow(single)) - 1L,
                                         value = ifelse(observed, V / G, 0))
}
write_out(do.call(rbind, ipcw), "ipcw.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("prodlim", as.character(packageVersion("prodlim"))),
             paste("geepack", as.character(packageVersion("geepack")))),
           file.path(out_dir, "versions.txt"))
