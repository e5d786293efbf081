"""Benchmark: Cox regression, plain and cluster-robust, ours vs lifelines, statsmodels, R.

Usage::

    python benchmarks/bench_cox.py            # n = 1e4, 1e5, 3e5 (+1e6 ours/statsmodels);
                                              # writes benchmarks/results/cox.md
    python benchmarks/bench_cox.py --quick    # n = 2e3, 1e4, one run; prints only

Every tool fits the same data in the same run: 3 normal covariates, 150 clusters,
continuous event times (no ties, so Efron, Breslow and every tool's tie rule agree),
about 65% events. "plain" is the model-based variance; "cluster" the Lin-Wei sandwich
summed within cluster: ours ``cluster_col``, lifelines ``CoxPHFitter(cluster_col=...)``,
statsmodels ``PHReg(...).fit(groups=...)``, R ``coxph(... + cluster(cl))``. statsmodels
runs with ``ties="breslow"``: without ties it is the same estimator, and its Efron code
is some 10x slower (22 s at n = 10,000 with groups), which would flatter us. R is timed
inside R with ``system.time`` around ``coxph`` only (the CSV is read first, untimed), on
the same data written to a temporary CSV. Each timing is the median of ``--repeats`` runs
(default 3) after an untimed warm-up; a run longer than ``--slow-limit`` seconds
(default 60) is not repeated and is flagged with its run count. A Python tool whose time
at the next size, extrapolated from its last two sizes (power law), exceeds ``--budget``
seconds (default 600) is skipped there and the extrapolation reported instead (`~`),
because statsmodels' clustered PHReg grows like n^1.6 (58 s at n = 20,000). The largest absolute
difference from our coefficients (and cluster standard errors) is reported as a check.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from statsmodels.duration.hazard_regression import PHReg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine_details, run_r_timing, timed  # noqa: E402

from outcomes.survival import CoxFitter  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "cox.md"
SEED = 20261126
COVS = ["x1", "x2", "x3"]

Result = tuple[np.ndarray, np.ndarray]  # coefficients, standard errors


def make_data(n: int, seed: int = SEED) -> pd.DataFrame:
    """Exponential event times with a shared cluster frailty; uniform censoring."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    cl = rng.integers(1, 151, size=n)
    frailty = rng.gamma(4.0, 0.25, size=150)[cl - 1]
    t = rng.exponential(1.0 / (frailty * np.exp(X @ np.array([0.4, -0.3, 0.2]))))
    c = rng.uniform(0, 3, size=n)
    df = pd.DataFrame(X, columns=COVS)
    df.insert(0, "time", np.minimum(t, c))
    df.insert(1, "event", (t <= c).astype(int))
    df["cl"] = cl
    return df


# ---------------------------------------------------------------- the tools
def ours_plain(df: pd.DataFrame) -> Result:
    m = CoxFitter().fit(df, "time", "event", formula="x1 + x2 + x3")
    return m.params_.to_numpy(), m.standard_errors_.to_numpy()


def ours_cluster(df: pd.DataFrame) -> Result:
    m = CoxFitter().fit(df, "time", "event", formula="x1 + x2 + x3", cluster_col="cl")
    return m.params_.to_numpy(), m.standard_errors_.to_numpy()


def lifelines_plain(df: pd.DataFrame) -> Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = CoxPHFitter().fit(df[["time", "event", *COVS]], "time", "event")
    return m.params_[COVS].to_numpy(), m.standard_errors_[COVS].to_numpy()


def lifelines_cluster(df: pd.DataFrame) -> Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = CoxPHFitter().fit(df[["time", "event", *COVS, "cl"]], "time", "event",
                              cluster_col="cl")  # fmt: skip
    return m.params_[COVS].to_numpy(), m.standard_errors_[COVS].to_numpy()


def statsmodels_plain(df: pd.DataFrame) -> Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = PHReg(df["time"], df[COVS], status=df["event"], ties="breslow").fit()
    return np.asarray(r.params), np.asarray(r.bse)


def statsmodels_cluster(df: pd.DataFrame) -> Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = PHReg(df["time"], df[COVS], status=df["event"], ties="breslow").fit(
            groups=df["cl"].to_numpy()
        )
    return np.asarray(r.params), np.asarray(r.bse)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[[1]])
repeats <- as.integer(args[[3]]); slow <- as.numeric(args[[4]])
time_it <- function(f) {
  secs <- c(); fit <- NULL
  for (i in seq_len(repeats)) {
    secs <- c(secs, system.time(fit <- f())[["elapsed"]])
    if (secs[[1]] > slow) break
  }
  list(seconds = median(secs), runs = length(secs), coef = unname(coef(fit)),
       se = unname(sqrt(diag(vcov(fit)))))
}
out <- list(
  plain = time_it(function() coxph(Surv(time, event) ~ x1 + x2 + x3, data = d)),
  cluster = time_it(function() coxph(Surv(time, event) ~ x1 + x2 + x3 + cluster(cl),
                                     data = d))
)
con <- file(args[[2]], "w")
for (nm in names(out)) {
  o <- out[[nm]]
  writeLines(paste(nm, o$seconds, o$runs, paste(o$coef, collapse = " "),
                   paste(o$se, collapse = " ")), con)
}
close(con)
writeLines(paste(R.version.string, "| survival", as.character(packageVersion("survival"))),
           file.path(dirname(args[[2]]), "r_version.txt"))
"""


def extrapolate(points: list[tuple[int, float]], n: int) -> float | None:
    """Time at n from a power law through the last two points (exponent 1.5 from one)."""
    if not points:
        return None
    if len(points) == 1:
        (n1, t1), k = points[0], 1.5
    else:
        (n0, t0), (n1, t1) = points[-2], points[-1]
        k = float(np.clip(np.log(t1 / t0) / np.log(n1 / n0), 1.0, 2.5))
    return t1 * (n / n1) ** k


def render(rows: list[dict[str, object]], facts: dict[str, str], repeats: int) -> str:
    lines = [
        "## Cox regression: plain and cluster-robust (150 clusters, 3 covariates)",
        "",
        "Same data for every tool in one run; continuous times; Efron ties. Seconds are "
        f"medians of {repeats} runs; `(1)` marks a tool timed once because one run "
        "exceeded the slow limit; `-` = not run at that size. R is timed inside R "
        "(`system.time` around `coxph`). Ratios are the other tool's time over ours. "
        "`max|dcoef|` / `max|dse|`: largest difference from our coefficients / standard "
        "errors over the other tools. Produced by `benchmarks/bench_cox.py`.",
        "",
        "| n | variance | ours (s) | lifelines (s) | statsmodels (s) | R coxph (s) | "
        "lifelines/ours | statsmodels/ours | R/ours | max\\|dcoef\\| | max\\|dse\\| |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(r: dict[str, object], key: str) -> str:
        t = r.get(key)
        if t is None:
            est = r.get(f"{key}_estimate")
            return "-" if est is None else f"~{float(est):.0f} (skipped)"  # type: ignore[arg-type]
        runs = r.get(f"{key}_runs", 1)
        return f"{t:.3f}" + (" (1)" if runs == 1 and repeats > 1 else "")

    def ratio(r: dict[str, object], key: str) -> str:
        t = r.get(key)
        return "-" if t is None else f"{float(t) / float(r['ours']):.0f}x"  # type: ignore[arg-type]

    def diff(r: dict[str, object], key: str) -> str:
        # No other tool ran at this size: nothing was compared.
        compared = any(r.get(k) is not None for k in ("lifelines", "statsmodels", "R"))
        return f"{float(r[key]):.1e}" if compared else "-"  # type: ignore[arg-type]

    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['variance']} | {cell(r, 'ours')} | {cell(r, 'lifelines')} | "
            f"{cell(r, 'statsmodels')} | {cell(r, 'R')} | {ratio(r, 'lifelines')} | "
            f"{ratio(r, 'statsmodels')} | {ratio(r, 'R')} | {diff(r, 'dcoef')} | "
            f"{diff(r, 'dse')} |"
        )
    lines += ["", "Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 2e3, 1e4, one run, no file")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--slow-limit", type=float, default=60.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--big", type=int, nargs="*", default=None,
                        help="sizes run for ours and statsmodels only (default 1e6)")  # fmt: skip
    parser.add_argument("--no-r", action="store_true", help="skip R")
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    sizes = args.sizes or ([2_000, 10_000] if args.quick else [10_000, 100_000, 300_000])
    big = args.big if args.big is not None else ([] if args.quick else [1_000_000])
    repeats = args.repeats or (1 if args.quick else 3)
    output = args.output if args.output is not None else (None if args.quick else RESULTS)

    facts = machine_details()
    warm = make_data(500, seed=1)
    for fn in (ours_plain, ours_cluster, lifelines_plain, statsmodels_cluster):
        fn(warm)

    tools: dict[str, dict[str, Callable[[pd.DataFrame], Result]]] = {
        "plain": {"lifelines": lifelines_plain, "statsmodels": statsmodels_plain},
        "cluster": {"lifelines": lifelines_cluster, "statsmodels": statsmodels_cluster},
    }
    ours_fn = {"plain": ours_plain, "cluster": ours_cluster}
    history: dict[tuple[str, str], list[tuple[int, float]]] = {}
    rows: list[dict[str, object]] = []
    for n in [*sizes, *big]:
        df = make_data(n)
        r_res = (
            None
            if (args.no_r or n in big)
            else run_r_timing(R_SCRIPT, df, repeats, args.slow_limit, "survival")
        )
        if r_res is not None:
            facts["R"] = str(r_res["_version"]["text"])
        for variance in ("plain", "cluster"):
            t, runs, (b0, se0) = timed(ours_fn[variance], df, repeats, args.slow_limit)
            row: dict[str, object] = {"n": n, "variance": variance, "ours": t, "ours_runs": runs}
            dcoef, dse = 0.0, 0.0
            for name, fn in tools[variance].items():
                if n in big and name != "statsmodels":
                    continue
                est = extrapolate(history.get((name, variance), []), n)
                if est is not None and est > args.budget:
                    row[f"{name}_estimate"] = est
                    continue
                tt, rr, (b, se) = timed(fn, df, repeats, args.slow_limit)
                history.setdefault((name, variance), []).append((n, tt))
                row[name], row[f"{name}_runs"] = tt, rr
                dcoef = max(dcoef, float(np.max(np.abs(b - b0))))
                dse = max(dse, float(np.max(np.abs(se - se0))))
            if r_res is not None:
                rv = r_res[variance]
                row["R"], row["R_runs"] = rv["seconds"], rv["runs"]
                dcoef = max(dcoef, float(np.max(np.abs(rv["coef"] - b0))))  # type: ignore[operator]
                dse = max(dse, float(np.max(np.abs(rv["se"] - se0))))  # type: ignore[operator]
            row["dcoef"], row["dse"] = dcoef, dse
            rows.append(row)
            print(
                "  ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                ),
                flush=True,
            )

    text = render(rows, facts, repeats)
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
