"""Benchmark: Aalen-Johansen cumulative incidence with variance, ours vs lifelines.

Usage::

    python benchmarks/bench_aalen_johansen.py            # n = 1e4, 1e5, 1e6; writes
                                                         # benchmarks/results/aalen_johansen.md
    python benchmarks/bench_aalen_johansen.py --quick    # n = 1e3, 1e4, one run; prints only

Both tools get the same data in the same process: continuous times (no ties, so lifelines
does not jitter and both compute the same estimate), two competing causes plus
censoring, one cause of interest, variance on (lifelines ``calculate_variance=True``,
ours ``variance="cuminc"``, the cmprsk estimator). Each timing is the median of
``--repeats`` runs (default 3) after one untimed warm-up on small data; a lifelines run
longer than ``--slow-limit`` seconds (default 300) is timed once and flagged. The largest
absolute difference between the two estimates is reported as a correctness check.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine_details, timed  # noqa: E402

from outcomes.survival import cumulative_incidence  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "aalen_johansen.md"
SEED = 20260526


def make_data(n: int, seed: int = SEED) -> pd.DataFrame:
    """Exponential competing risks: cause 1, cause 2 and censoring, no tied times."""
    rng = np.random.default_rng(seed)
    t1 = rng.exponential(10.0, n)
    t2 = rng.exponential(20.0, n)
    c = rng.exponential(15.0, n)
    t = np.minimum.reduce([t1, t2, c])
    status = np.select([t == t1, t == t2], [1, 2], 0)
    return pd.DataFrame({"time": t, "status": status})


def ours(df: pd.DataFrame) -> pd.Series:
    tab = cumulative_incidence(df, "time", "status", event_of_interest=1, variance="cuminc").table
    return pd.Series(tab["estimate"].to_numpy(), index=tab["time"].to_numpy())


def theirs(df: pd.DataFrame) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aj = AalenJohansenFitter(calculate_variance=True).fit(
            df["time"], df["status"], event_of_interest=1
        )
    return aj.cumulative_density_.iloc[:, 0]


def render(rows: list[dict[str, object]], facts: dict[str, str], repeats: int) -> str:
    lines = [
        "## Aalen-Johansen cumulative incidence with variance",
        "",
        '`outcomes.survival.cumulative_incidence(..., variance="cuminc")` vs lifelines '
        "`AalenJohansenFitter(calculate_variance=True)`, same data, same process; "
        "continuous times (no ties), 2 causes + censoring, one cause of interest. "
        f"Median of {repeats} runs (runs column: fewer when one run exceeded the slow "
        "limit). Produced by `benchmarks/bench_aalen_johansen.py`.",
        "",
        "| n | ours (s) | lifelines (s) | runs (ours/lifelines) | speed-up | max abs diff |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['ours']:.3f} | {r['lifelines']:.2f} | "
            f"{r['runs_ours']}/{r['runs_lifelines']} | {r['ratio']:.0f}x | {r['diff']:.1e} |"
        )
    lines += ["", "Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e3, 1e4, one run, no file")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--slow-limit", type=float, default=300.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    sizes = args.sizes or ([1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000])
    repeats = args.repeats or (1 if args.quick else 3)
    output = args.output if args.output is not None else (None if args.quick else RESULTS)

    facts = machine_details()
    warm = make_data(500, seed=1)
    ours(warm)
    theirs(warm)

    rows: list[dict[str, object]] = []
    for n in sizes:
        df = make_data(n)
        t_ours, r_ours, a = timed(ours, df, repeats, args.slow_limit)
        t_theirs, r_theirs, b = timed(theirs, df, repeats, args.slow_limit)
        diff = float(np.max(np.abs(b.reindex(a.index).to_numpy() - a.to_numpy())))
        row = {
            "n": n,
            "ours": t_ours,
            "lifelines": t_theirs,
            "runs_ours": r_ours,
            "runs_lifelines": r_theirs,
            "ratio": t_theirs / t_ours,
            "diff": diff,
        }
        rows.append(row)
        print(
            f"n={n:>9,}  ours {t_ours:8.3f} s  lifelines {t_theirs:9.2f} s "
            f"({r_theirs} run(s))  {t_theirs / t_ours:7.0f}x  max|diff| {diff:.1e}",
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
