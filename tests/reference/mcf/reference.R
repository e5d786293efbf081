# Reference values for outcomes.survival.recurrent (MCF, Andersen-Gill, PWP) from R.
#
# Usage: Rscript reference.R [data_dir] [out_dir]
#   data_dir  folder with recurrent.csv written by make_data.py (default: this folder)
#   out_dir   where to write the results (default: data_dir/expected)
#
# Writes (numbers with 17 significant digits, so they read back as R's doubles)
#   mcf_nelson.csv       survfit(Surv(start, stop, event) ~ 1, id = id): group ("overall",
#                        "a", "b"), time, n_risk, n_event, cumhaz (= Nelson-Aalen MCF) and
#                        std_chaz (robust infinitesimal-jackknife SE by id = Lawless-Nadeau)
#   mcf_ghosh_lin.csv    Ghosh-Lin MCF and SE computed here by hand with dense
#                        subject-by-time matrices (independent of the vectorised Python):
#                        group, time, estimate, std_error; grid = recurrent and terminal
#                        event times of the group
#   recurrent_estimates.csv  coxph fits: model, term, coef, se (robust, by id), naive_se
#                        ag         Surv(start, stop, event) ~ x + x2 + cluster(id)
#                        ag_breslow same, ties = "breslow"
#                        pwp_total  Surv(start, stop, event) ~ x + x2 + strata(pmin(episode, 4))
#                                   + cluster(id)
#                        pwp_gap    Surv(stop - start, event) ~ x + x2 + strata(pmin(episode, 4))
#                                   + cluster(id)
#                        pwp_total_all  as pwp_total with strata(episode) (no cap)
#   versions.txt         R and package versions
#
# The hand-computed Nelson-Aalen MCF and Lawless-Nadeau SE are checked against survfit
# here (stop() if they differ), so the same dense code that gives the Ghosh-Lin values is
# validated against survival itself.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
data_dir <- if (length(args) >= 1) args[[1]] else script_dir
out_dir <- if (length(args) >= 2) args[[2]] else file.path(data_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

d <- read.csv(file.path(data_dir, "recurrent.csv"), stringsAsFactors = FALSE)
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)

fmt <- function(df) {
  for (nm in names(df)) if (is.double(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
write_out <- function(df, name) {
  write.csv(fmt(df), file.path(out_dir, name), row.names = FALSE, quote = FALSE)
}

groups <- list(overall = d, a = d[d$group == "a", ], b = d[d$group == "b", ])

# ---- Nelson-Aalen MCF from survfit ------------------------------------------------
nelson <- do.call(rbind, lapply(names(groups), function(g) {
  f <- survfit(Surv(start, stop, event) ~ 1, data = groups[[g]], id = id, robust = TRUE)
  keep <- f$n.event > 0
  data.frame(group = g, time = f$time[keep], n_risk = f$n.risk[keep],
             n_event = f$n.event[keep], cumhaz = f$cumhaz[keep],
             std_chaz = f$std.chaz[keep])
}))

# ---- by hand: dense influence matrices --------------------------------------------
by_hand <- function(x) {
  grid <- sort(unique(x$stop[x$event == 1 | x$terminal == 1]))
  ids <- sort(unique(x$id))
  n <- length(ids); K <- length(grid)
  Yi <- dN <- dD <- matrix(0, n, K)
  for (r in seq_len(nrow(x))) {
    i <- match(x$id[r], ids)
    Yi[i, ] <- Yi[i, ] + (grid > x$start[r] & grid <= x$stop[r])
    hit <- grid == x$stop[r]
    dN[i, ] <- dN[i, ] + hit * x$event[r]
    dD[i, ] <- dD[i, ] + hit * x$terminal[r]
  }
  Y <- colSums(Yi)
  dR <- colSums(dN) / Y
  dL <- colSums(dD) / Y
  M <- dN - sweep(Yi, 2, dR, "*")
  MD <- dD - sweep(Yi, 2, dL, "*")
  cumrow <- function(m) t(apply(m, 1, cumsum))
  # Nelson-Aalen / Lawless-Nadeau
  psi_na <- cumrow(sweep(M, 2, Y, "/"))
  # Ghosh-Lin: S_D(u-) dR(u), influence of Ghosh & Lin (2000), Theorem 1
  S <- cumprod(1 - colSums(dD) / Y)
  Sb <- c(1, S[-K])
  mu <- cumsum(Sb * dR)
  P1 <- cumrow(sweep(M, 2, Sb / Y, "*"))
  P2 <- cumrow(sweep(MD, 2, 1 / Y, "*"))
  P3 <- cumrow(sweep(MD, 2, mu / Y, "*"))
  psi_gl <- P1 - sweep(P2, 2, mu, "*") + P3
  list(grid = grid, n_event = colSums(dN), na = cumsum(dR), na_se = sqrt(colSums(psi_na^2)),
       gl = mu, gl_se = sqrt(colSums(psi_gl^2)))
}

gl <- do.call(rbind, lapply(names(groups), function(g) {
  h <- by_hand(groups[[g]])
  nel <- nelson[nelson$group == g, ]
  keep <- h$n_event > 0
  if (!isTRUE(all.equal(h$grid[keep], nel$time, tolerance = 1e-12)) ||
      !isTRUE(all.equal(h$na[keep], nel$cumhaz, tolerance = 1e-12)) ||
      !isTRUE(all.equal(h$na_se[keep], nel$std_chaz, tolerance = 1e-10))) {
    stop("hand-computed Nelson-Aalen MCF differs from survfit in group ", g)
  }
  data.frame(group = g, time = h$grid, estimate = h$gl, std_error = h$gl_se)
}))

# ---- Andersen-Gill and PWP --------------------------------------------------------
d$ep4 <- pmin(d$episode, 4)
d$gap <- d$stop - d$start
fits <- list(
  ag = coxph(Surv(start, stop, event) ~ x + x2 + cluster(id), data = d, ties = "efron",
             control = ctl),
  ag_breslow = coxph(Surv(start, stop, event) ~ x + x2 + cluster(id), data = d,
                     ties = "breslow", control = ctl),
  pwp_total = coxph(Surv(start, stop, event) ~ x + x2 + strata(ep4) + cluster(id), data = d,
                    ties = "efron", control = ctl),
  pwp_gap = coxph(Surv(gap, event) ~ x + x2 + strata(ep4) + cluster(id), data = d,
                  ties = "efron", control = ctl),
  pwp_total_all = coxph(Surv(start, stop, event) ~ x + x2 + strata(episode) + cluster(id),
                        data = d, ties = "efron", control = ctl)
)
est <- do.call(rbind, lapply(names(fits), function(m) {
  f <- fits[[m]]
  data.frame(model = m, term = names(coef(f)), coef = unname(coef(f)),
             se = sqrt(diag(f$var)), naive_se = sqrt(diag(f$naive.var)))
}))

write_out(nelson, "mcf_nelson.csv")
write_out(gl, "mcf_ghosh_lin.csv")
write_out(est, "recurrent_estimates.csv")
writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival")))),
           file.path(out_dir, "versions.txt"))
