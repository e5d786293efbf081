"""Benchmark: build analysis cohorts for 300,000 applications.

Target: at most 10 s per cohort on the 2-core machine, median of 3. The
data are the synthetic ``default`` world (faults on, so the flow has work to do),
held in memory as an analyst's validated dataset would be.

Run: ``python benchmarks/bench_cohort.py [--applications N] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine_facts, write_fragment

import synthetic
from outcomes.cohort import FasterThanExpected, build_cohort

TARGET_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 applications, one run")
    args = parser.parse_args()
    if args.quick:
        args.applications, args.runs = 20_000, 1
    world = synthetic.generate("default", n_applications=args.applications, seed=1)
    dataset = world.dataset
    cases = {
        "child_return, ShortDuration(26)": lambda: build_cohort(dataset),
        "child_return, index='all'": lambda: build_cohort(dataset, index="all"),
        "child_return, FasterThanExpected": lambda: build_cohort(
            dataset, exposure=FasterThanExpected(adjust_for=["child_age_at_issue"])
        ),
        "mother_recurrence": lambda: build_cohort(dataset, outcome="mother_recurrence"),
    }
    lines = [
        f"## Cohorts: {args.applications:,} applications "
        f"({len(dataset.proceedings):,} child-proceedings rows)",
        "",
        "| cohort | rows | median (s) | runs (s) | target | met |",
        "|---|---:|---:|---|---|---|",
    ]
    for name, build in cases.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            cohort = build()
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        lines.append(
            f"| {name} | {len(cohort.data):,} | {median:.2f} | "
            + ", ".join(f"{t:.2f}" for t in times)
            + f" | ≤ {TARGET_S:.0f} s | {'yes' if median <= TARGET_S else 'NO'} |"
        )
    lines.append("\nNo other library builds these cohorts, so there is no ratio to report.")
    write_fragment("cohort", "\n".join(lines), machine_facts())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
