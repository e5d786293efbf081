"""Benchmark: Fine-Gray regression, ours vs cmprsk::crr and survival::finegray + coxph.

Usage::

    python benchmarks/bench_fine_gray.py            # crr/finegray at n = 2,000, 5,000,
                                                    # 10,000; ours also at 125,000 and
                                                    # 1,000,000; writes
                                                    # benchmarks/results/fine_gray.md
    python benchmarks/bench_fine_gray.py --quick    # n = 1,000, 2,000, one run; prints only

Same data for every tool in one run: 3 normal covariates, two competing causes and
censoring, continuous times (no ties). Ours: ``FineGrayFitter`` with the crr variance.
R is timed inside R with ``system.time`` (the CSV is read first, untimed): ``crr`` with
its defaults, and ``finegray`` (the expanded weighted data) followed by
``coxph(Surv(fgstart, fgstop, fgstatus) ~ ..., weights = fgwt)``, both steps timed
together. Each timing is the median of ``--repeats`` runs (default 3) after an untimed
warm-up; a run longer than ``--slow-limit`` seconds (default 30) is not repeated (runs
column). Coefficient differences from ours are reported; crr's standard errors too (the
finegray + coxph robust variance leaves out the term for the estimated weights, so its
standard errors are not the same quantity). The last table checks the scaling target:
8x the rows at most 12x the time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine_details, run_r_timing  # noqa: E402

from outcomes.survival import FineGrayFitter  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "fine_gray.md"
SEED = 20261127
COVS = ["x1", "x2", "x3"]


def make_data(n: int, seed: int = SEED) -> pd.DataFrame:
    """Exponential latent times for two causes and censoring; about 40/25/35 percent."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t1 = rng.exponential(1.0 / (0.5 * np.exp(X @ np.array([0.5, -0.3, 0.0]))))
    t2 = rng.exponential(1.0 / (0.3 * np.exp(X @ np.array([-0.4, 0.0, 0.2]))))
    c = rng.exponential(2.0, size=n)
    t = np.minimum.reduce([t1, t2, c])
    df = pd.DataFrame(X, columns=COVS)
    df.insert(0, "time", t)
    df.insert(1, "status", np.select([t == t1, t == t2], [1, 2], 0))
    return df


def ours(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    m = FineGrayFitter().fit(df, "time", "status", formula="x1 + x2 + x3")
    return m.params_.to_numpy(), m.standard_errors_.to_numpy()


def timed_ours(df: pd.DataFrame, repeats: int, slow_limit: float) -> tuple[float, int, tuple]:
    times: list[float] = []
    out: tuple = ()
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = ours(df)
        times.append(time.perf_counter() - t0)
        if times[0] > slow_limit:
            break
    return statistics.median(times), len(times), out


R_SCRIPT = r"""
suppressPackageStartupMessages({library(survival); library(cmprsk)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[[1]])
repeats <- as.integer(args[[3]]); slow <- as.numeric(args[[4]])
time_it <- function(f) {
  secs <- c(); fit <- NULL
  for (i in seq_len(repeats)) {
    secs <- c(secs, system.time(fit <- f())[["elapsed"]])
    if (secs[[1]] > slow) break
  }
  list(seconds = median(secs), runs = length(secs), fit = fit)
}
X <- as.matrix(d[, c("x1", "x2", "x3")])
a <- time_it(function() crr(d$time, d$status, X, failcode = 1, cencode = 0))
b <- time_it(function() {
  fg <- finegray(Surv(time, factor(status)) ~ ., data = d, etype = "1")
  coxph(Surv(fgstart, fgstop, fgstatus) ~ x1 + x2 + x3, weights = fgwt, data = fg)
})
con <- file(args[[2]], "w")
writeLines(paste("crr", a$seconds, a$runs, paste(a$fit$coef, collapse = " "),
                 paste(sqrt(diag(a$fit$var)), collapse = " ")), con)
writeLines(paste("finegray", b$seconds, b$runs, paste(coef(b$fit), collapse = " "),
                 paste(sqrt(diag(vcov(b$fit))), collapse = " ")), con)
close(con)
writeLines(paste(R.version.string, "| survival", as.character(packageVersion("survival")),
                 "| cmprsk", as.character(packageVersion("cmprsk"))),
           file.path(dirname(args[[2]]), "r_version.txt"))
"""


def render(rows: list[dict], scale: list[dict], facts: dict[str, str], repeats: int) -> str:
    lines = [
        "## Fine-Gray regression (3 covariates, 2 causes + censoring, no ties)",
        "",
        f"Seconds are medians of {repeats} runs (runs column: fewer when a run exceeded "
        "the slow limit). R is timed inside R. Ratios are the other tool's time over ours. "
        "`dcoef`: largest coefficient difference from ours; `dse (crr)`: largest "
        "standard-error difference from crr's. Produced by `benchmarks/bench_fine_gray.py`.",
        "",
        "| n | ours (s) | crr (s) | finegray+coxph (s) | runs (ours/crr/fg) | crr/ours | "
        "finegray/ours | dcoef crr | dcoef finegray | dse (crr) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['ours']:.4f} | {r['crr']:.2f} | {r['finegray']:.2f} | "
            f"{r['runs']} | {r['crr'] / r['ours']:,.0f}x | {r['finegray'] / r['ours']:,.0f}x | "
            f"{r['dcoef_crr']:.1e} | {r['dcoef_fg']:.1e} | {r['dse_crr']:.1e} |"
        )
    if scale:
        lines += ["", "| n (ours only) | seconds | runs |", "|---:|---:|---:|"]
        lines += [f"| {s['n']:,} | {s['ours']:.3f} | {s['runs']} |" for s in scale]
        if len(scale) >= 2:
            a, b = scale[0], scale[-1]
            lines += [
                "",
                f"Scaling: {b['n'] / a['n']:.0f}x the rows took {b['ours'] / a['ours']:.1f}x "
                "the time.",
            ]
    lines += ["", "Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e3, 2e3, one run, no file")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--slow-limit", type=float, default=30.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--scale-sizes", type=int, nargs="*", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    sizes = args.sizes or ([1_000, 2_000] if args.quick else [2_000, 5_000, 10_000])
    scale_sizes = (
        args.scale_sizes
        if args.scale_sizes is not None
        else ([20_000, 160_000] if args.quick else [125_000, 1_000_000])
    )
    repeats = args.repeats or (1 if args.quick else 3)
    output = args.output if args.output is not None else (None if args.quick else RESULTS)

    facts = machine_details()
    ours(make_data(500, seed=1))
    rows: list[dict] = []
    for n in sizes:
        df = make_data(n)
        t, runs, (b0, se0) = timed_ours(df, repeats, args.slow_limit)
        r = run_r_timing(R_SCRIPT, df, repeats, args.slow_limit, "survival and cmprsk")
        facts["R"] = str(r["_version"]["text"])
        row = {
            "n": n,
            "ours": t,
            "crr": r["crr"]["seconds"],
            "finegray": r["finegray"]["seconds"],
            "runs": f"{runs}/{r['crr']['runs']}/{r['finegray']['runs']}",
            "dcoef_crr": float(np.max(np.abs(r["crr"]["coef"] - b0))),  # type: ignore[operator]
            "dcoef_fg": float(np.max(np.abs(r["finegray"]["coef"] - b0))),  # type: ignore[operator]
            "dse_crr": float(np.max(np.abs(r["crr"]["se"] - se0))),  # type: ignore[operator]
        }
        rows.append(row)
        print(row, flush=True)
    scale: list[dict] = []
    for n in scale_sizes:
        t, runs, _ = timed_ours(make_data(n), repeats, args.slow_limit)
        scale.append({"n": n, "ours": t, "runs": runs})
        print({"n": n, "ours": t, "runs": runs}, flush=True)

    text = render(rows, scale, facts, repeats)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"wrote {output}")
    else:
        print()
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
