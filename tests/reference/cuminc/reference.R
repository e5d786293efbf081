# Reference values for outcomes.survival.cumulative_incidence and gray_test.
#
# Usage: Rscript reference.R [data_dir] [out_dir]
#   data_dir  folder with the CSVs written by make_data.py (default: this script's folder)
#   out_dir   where to write the results (default: data_dir/expected)
#
# Writes
#   cuminc_estimates.csv   every corner of every cmprsk::cuminc step function
#                          (right-continuous value at each time), by dataset/group/event;
#                          group "(all)" is the ungrouped fit
#   cuminc_timepoints.csv  cmprsk::timepoints on a grid that runs past the last time
#   gray_tests.csv         the Tests component: stat, pv, df for rho 0 and 1, unstratified
#                          and (where the data have strata) stratified
#   versions.txt           R and package versions
suppressPackageStartupMessages(library(cmprsk))

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
data_dir <- if (length(args) >= 1) args[[1]] else script_dir
out_dir <- if (length(args) >= 2) args[[2]] else file.path(data_dir, "expected")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

datasets <- c("ties_small", "ties_large", "continuous", "single_cause", "edge")

# One curve of a cuminc object as right-continuous rows: cinc returns the corners of the
# step function (each jump time twice: before and after), so keep the last row per time.
curve_rows <- function(curve, dataset, group, event) {
  keep <- !duplicated(curve$time, fromLast = TRUE)
  data.frame(dataset = dataset, group = group, event = event,
             time = curve$time[keep], estimate = curve$est[keep],
             variance = curve$var[keep], stringsAsFactors = FALSE)
}

# Curve names are paste(group, cause); group and cause labels contain no spaces.
split_name <- function(nm) {
  parts <- strsplit(nm, " ", fixed = TRUE)[[1]]
  list(group = parts[[1]], event = parts[[2]])
}

estimates <- list()
timepoints_out <- list()
tests <- list()
for (ds in datasets) {
  d <- read.csv(file.path(data_dir, paste0(ds, ".csv")), stringsAsFactors = FALSE)
  grid <- seq(0, max(d$time) * 1.1, length.out = 23)

  fits <- list(
    grouped = cuminc(d$time, d$status, d$group),
    overall = cuminc(d$time, d$status)
  )
  for (kind in names(fits)) {
    fit <- fits[[kind]]
    curves <- fit[names(fit) != "Tests"]
    tp <- timepoints(fit, grid)
    for (nm in names(curves)) {
      lab <- split_name(nm)
      group <- if (kind == "overall") "(all)" else lab$group
      estimates[[length(estimates) + 1]] <- curve_rows(curves[[nm]], ds, group, lab$event)
      timepoints_out[[length(timepoints_out) + 1]] <- data.frame(
        dataset = ds, group = group, event = lab$event, time = grid,
        estimate = tp$est[nm, ], variance = tp$var[nm, ], stringsAsFactors = FALSE)
    }
  }

  strat_opts <- if ("strata" %in% names(d)) c(FALSE, TRUE) else FALSE
  for (rho in c(0, 1)) {
    for (use_strata in strat_opts) {
      fit <- if (use_strata) {
        cuminc(d$time, d$status, d$group, strata = d$strata, rho = rho)
      } else {
        cuminc(d$time, d$status, d$group, rho = rho)
      }
      tt <- fit$Tests
      tests[[length(tests) + 1]] <- data.frame(
        dataset = ds, rho = rho, strata = use_strata, event = rownames(tt),
        stat = tt[, "stat"], pv = tt[, "pv"], df = tt[, "df"], stringsAsFactors = FALSE)
    }
  }
}

write_out <- function(x, name) {
  x <- do.call(rbind, x)
  rownames(x) <- NULL
  # 17 significant digits: the stored values are the doubles R computed, not a rounding.
  num <- vapply(x, is.double, logical(1))
  x[num] <- lapply(x[num], function(v) ifelse(is.na(v), NA, trimws(formatC(v, digits = 17, format = "g"))))
  write.csv(x, file.path(out_dir, name), row.names = FALSE, quote = FALSE, na = "NA")
}
write_out(estimates, "cuminc_estimates.csv")
write_out(timepoints_out, "cuminc_timepoints.csv")
write_out(tests, "gray_tests.csv")

writeLines(c(R.version.string,
             paste("cmprsk", as.character(packageVersion("cmprsk"))),
             paste("survival", as.character(packageVersion("survival")))),
           file.path(out_dir, "versions.txt"))
