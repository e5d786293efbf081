"""Benchmark: pseudo-value regression, ours vs R (prodlim + geepack, and eventglm).

Usage::

    python benchmarks/bench_regression.py           # 200,000 rows against R; pseudo-
                                                    # observations for 1,000,000 rows at
                                                    # 3 horizons; writes
                                                    # benchmarks/results/regression.md
    python benchmarks/bench_regression.py --quick   # 20,000 rows (prodlim 5,000),
                                                    # prints only

Same data for every tool: 3 normal covariates, two competing causes, censoring, times in
years recorded to the day (so there are ties, as in the project's data). The model is
the 2-year risk of cause 1 on the identity link with the three covariates.

* ours: ``PseudoValueRegression().fit(...)`` end to end (jackknife pseudo-observations,
  Gauss-Newton, sandwich);
* R, prodlim + geepack (at 20,000 rows: prodlim keeps an n x event-times matrix):
  ``prodlim::jackknife`` pseudo-observations, then
  ``geepack::geese`` (independence) for the fit and its sandwich;
* R, eventglm: ``cumincglm(..., time = 2, cause = 1)`` and ``vcov(fit)``, when the
  package is installed (it is not in Debian; install it from CRAN or its repository to
  compare). Without it the script says so and goes on.

R times itself with ``system.time`` after reading the CSV, so start-up is not counted.
Times are the median of ``--repeats`` runs (default 3; a run over 60 s is not repeated).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine_facts, write_fragment  # noqa: E402

from outcomes.regression import PseudoValueRegression, pseudo_observations  # noqa: E402

SEED = 20261204
COVS = ["x1", "x2", "x3"]
SLOW = 60.0

R_SCRIPT = r"""
args <- commandArgs(TRUE)
d <- read.csv(args[1]); out <- args[2]; repeats <- as.integer(args[3]); slow <- as.numeric(args[4])
tool <- args[5]
suppressPackageStartupMessages({library(survival); library(prodlim); library(geepack)})
timeit <- function(f) {
  ts <- c(); res <- NULL
  for (r in seq_len(repeats)) {
    ts <- c(ts, system.time(res <- f())[["elapsed"]])
    if (ts[1] > slow) break
  }
  list(t = median(ts), runs = length(ts), res = res)
}
lines <- character(0)
if (tool == "prodlim+geepack") {
pg <- timeit(function() {
  d$po <- jackknife(prodlim(Hist(time, status) ~ 1, data = d), times = 2, cause = 1)[, 1]
  d$id <- seq_len(nrow(d))
  g <- geese(po ~ x1 + x2 + x3, id = id, data = d, family = gaussian,
             mean.link = "identity", corstr = "independence")
  c(g$beta, sqrt(diag(g$vbeta)))
})
lines <- c(lines, paste("prodlim+geepack", pg$t, pg$runs, paste(pg$res, collapse = " ")))
} else if (requireNamespace("eventglm", quietly = TRUE)) {
  ev <- timeit(function() {
    f <- eventglm::cumincglm(Surv(time, factor(status)) ~ x1 + x2 + x3, time = 2,
                             cause = "1", data = d)
    c(coef(f), sqrt(diag(vcov(f))))
  })
  lines <- c(lines, paste("eventglm", ev$t, ev$runs, paste(ev$res, collapse = " ")))
} else {
  message("NOTE: eventglm is not installed; it is left out of this run.")
}
writeLines(lines, out)
"""


def make_data(n: int, seed: int = SEED) -> pd.DataFrame:
    """Exponential latent times for two causes and censoring, recorded to the day."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t1 = rng.exponential(1.0 / (0.3 * np.exp(X @ np.array([0.5, -0.3, 0.0]))))
    t2 = rng.exponential(1.0 / (0.1 * np.exp(X @ np.array([-0.4, 0.0, 0.2]))))
    c = rng.uniform(0.5, 6.0, size=n)
    t = np.minimum.reduce([t1, t2, c])
    df = pd.DataFrame(X, columns=COVS)
    df.insert(0, "time", np.maximum(np.ceil(t * 365.25), 1.0) / 365.25)
    df.insert(1, "status", np.select([t == t1, t == t2], [1, 2], 0))
    return df


def median_time(fn: object, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def run_r(df: pd.DataFrame, repeats: int, tool: str) -> dict[str, tuple[float, int, np.ndarray]]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("NOTE: Rscript not found; R is left out of this run.")
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        data, out, code = Path(tmp, "d.csv"), Path(tmp, "out.txt"), Path(tmp, "b.R")
        df.to_csv(data, index=False, float_format="%.17g")
        code.write_text(R_SCRIPT)
        subprocess.run(
            [rscript, str(code), str(data), str(out), str(repeats), str(SLOW), tool],
            check=True,
        )
        res = {}
        for line in out.read_text().splitlines():
            name, secs, runs, *vals = line.split()
            res[name] = (float(secs), int(runs), np.array([float(v) for v in vals]))
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    n_prodlim = 5_000 if args.quick else 20_000
    n_pseudo = 100_000 if args.quick else 1_000_000
    lines = [
        "Pseudo-value regression, 2-year risk of cause 1, identity link, 3 covariates "
        "(times to the day, two causes, censoring). prodlim's jackknife keeps an n x "
        f"(event times) matrix, so prodlim + geepack runs at {n_prodlim:,} rows (at "
        "200,000 it needs over 8 GB); eventglm and ours at "
        f"{n:,}.",
        "",
        "| tool | rows | seconds | runs | ours (s) | time / ours | max abs coef diff "
        "| max rel SE diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for tool, rows in (("prodlim+geepack", n_prodlim), ("eventglm", n)):
        df = make_data(rows)
        model = PseudoValueRegression(variance="hc3" if tool == "eventglm" else "robust")

        def ours(m: PseudoValueRegression = model, d: pd.DataFrame = df) -> object:
            return m.fit(d, "time", "status", time=2.0, formula=" + ".join(COVS))

        ours()  # warm-up (imports, formulaic)
        t_ours, fit = median_time(ours, args.repeats)
        assert isinstance(fit, PseudoValueRegression)
        p = len(fit.params_)
        found = run_r(df, args.repeats, tool)
        if not found:
            lines.append(f"| R {tool} | {rows:,} | not installed | | {t_ours:.2f} | | | |")
        for name, (secs, runs, vals) in found.items():
            # eventglm reports HC3 for one horizon, prodlim + geepack the HC0 sandwich;
            # ours is fitted with the same.
            coef, se = vals[:p], vals[p:]
            dcoef = float(np.max(np.abs(coef - fit.params_.to_numpy())))
            dse = float(np.max(np.abs(se / fit.standard_errors_.to_numpy() - 1.0)))
            lines.append(
                f"| R {name} | {rows:,} | {secs:.2f} | {runs} | {t_ours:.3f} | "
                f"{secs / t_ours:.0f} | {dcoef:.1e} | {dse:.1e} |"
            )
    big = make_data(n_pseudo, seed=SEED + 1)
    horizons = [1.0, 2.0, 5.0]
    pseudo_observations(big, "time", "status", horizons)  # warm-up
    rows = []
    for method in ("jackknife", "infinitesimal_jackknife"):
        secs, _ = median_time(
            lambda m=method: pseudo_observations(big, "time", "status", horizons, method=m),
            args.repeats,
        )
        rows.append(f"| {method} | {secs:.2f} |")
    lines += [
        "",
        f"Pseudo-observations of the risk for {n_pseudo:,} rows at 3 horizons (1, 2, 5 years).",
        "",
        "| method | seconds |",
        "|---|---:|",
        *rows,
    ]
    body = "\n".join(lines)
    print(body)
    if not args.quick:
        write_fragment("regression", body, machine_facts())


if __name__ == "__main__":
    main()
