# Funnel-plot limits with overdispersion, written from the formulas of
# Spiegelhalter (2005) "Handling over-dispersion of performance indicators" (Qual Saf
# Health Care 14:347-351) and "Funnel plots for comparing institutional performance"
# (Stat Med 24:1185-1202), independently of the Python code.
#
# Usage: Rscript reference.R [data_dir] [out_dir]
# Writes out_dir/funnel_expected.csv: one row per dataset, setting and area with
#   value, z, lower_95, upper_95, lower_998, upper_998, outlier, tau2, phi
# and out_dir/versions.txt.

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
data_dir <- if (length(args) >= 1) args[[1]] else script_dir
out_dir <- if (length(args) >= 2) args[[2]] else file.path(data_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

funnel_ref <- function(O, N, kind, od, trim_method, trim = 0.1) {
  if (kind == "proportion") {
    target <- asin(sqrt(sum(O) / sum(N)))
    y <- asin(sqrt(O / N))
    s <- 1 / (2 * sqrt(N))
  } else {
    target <- 0
    y <- log(O / N)
    s <- 1 / sqrt(N)
  }
  z <- (y - target) / s
  ok <- is.finite(z)          # log(0): no information on the spread
  zf <- z[ok]; sf <- s[ok]
  if (trim_method == "winsorise") {
    q <- quantile(zf, c(trim, 1 - trim), type = 7, names = FALSE)
    zw <- pmin(pmax(zf, q[1]), q[2]); sw <- sf
  } else {
    k <- 1 / trim
    grp <- floor(rank(zf, ties.method = "average") * k / (length(zf) + 1))
    keep <- grp > 0 & grp < k - 1
    zw <- zf[keep]; sw <- sf[keep]
  }
  I <- length(zw)
  phi <- sum(zw^2) / I
  w <- 1 / sw^2
  tau2 <- max(0, (I * phi - (I - 1)) / (sum(w) - sum(w^2) / sum(w)))
  if (!od) tau2 <- 0
  sd <- sqrt(s^2 + tau2)
  lim <- function(level, sign) {
    x <- target + sign * qnorm(0.5 + level / 2) * sd
    if (kind == "proportion") sin(pmin(pmax(x, 0), pi / 2))^2 else exp(x)
  }
  value <- O / N
  out <- data.frame(
    value = value, z = (y - target) / sd,
    lower_95 = lim(0.95, -1), upper_95 = lim(0.95, 1),
    lower_998 = lim(0.998, -1), upper_998 = lim(0.998, 1),
    tau2 = tau2, phi = phi
  )
  out$outlier <- value < out$lower_998 | value > out$upper_998
  out
}

settings <- list(
  list("proportions", "events", "children", "proportion", TRUE, "winsorise"),
  list("proportions", "events", "children", "proportion", FALSE, "winsorise"),
  list("ratios", "observed", "expected", "ratio", TRUE, "winsorise"),
  list("ratios", "observed", "expected", "ratio", TRUE, "truncate"),
  list("ratios", "observed", "expected", "ratio", FALSE, "winsorise"),
  list("binomial", "events", "children", "proportion", TRUE, "winsorise")
)
rows <- list()
for (st in settings) {
  d <- read.csv(file.path(data_dir, paste0(st[[1]], ".csv")), stringsAsFactors = FALSE)
  d <- d[order(d$area), ]
  r <- funnel_ref(d[[st[[2]]]], d[[st[[3]]]], st[[4]], st[[5]], st[[6]])
  rows[[length(rows) + 1]] <- cbind(
    data.frame(dataset = st[[1]], kind = st[[4]], overdispersion = st[[5]],
               trim_method = st[[6]], area = d$area), r)
}
res <- do.call(rbind, rows)
write.csv(res, file.path(out_dir, "funnel_expected.csv"), row.names = FALSE)
writeLines(c(R.version.string), file.path(out_dir, "versions.txt"))
