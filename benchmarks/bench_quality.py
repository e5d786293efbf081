"""Benchmark: the data-quality report on a national-scale extract.

Target: ``check_quality`` on 300,000 applications (about 510,000 child rows)
in at most 20 s on the 2-core machine. The data are the synthetic ``poor_data`` world
(heavy, LA-varying faults), written as a Parquet dataset folder and read back, so the
report works from a real quarantine; reading is timed separately (it is the reader's
benchmark). The in-memory path (a ``Dataset`` never read from files, validated by the
report itself) is timed too. Each timing is the median of the runs, in one process.

Run: ``python benchmarks/bench_quality.py [--applications N] [--runs K] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _common import machine_facts, write_fragment  # noqa: E402

TIME_TARGET_S = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="30,000 applications, one run")
    args = parser.parse_args()
    if args.quick:
        args.applications, args.runs = 30_000, 1

    import synthetic
    from outcomes.io import read_dataset
    from outcomes.quality import check_quality, score_against

    t0 = time.perf_counter()
    world = synthetic.generate("poor_data", n_applications=args.applications, seed=args.seed)
    generate_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        folder = world.write(Path(tmp) / "ds", format="parquet")
        t0 = time.perf_counter()
        dataset = read_dataset(folder)
        read_s = time.perf_counter() - t0
    rows = dataset.rows_read["proceedings"]

    read_runs, memory_runs = [], []
    report = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        report = check_quality(dataset)
        read_runs.append(time.perf_counter() - t0)
    for _ in range(args.runs):
        t0 = time.perf_counter()
        check_quality(world.dataset)
        memory_runs.append(time.perf_counter() - t0)
    assert report is not None
    seconds = statistics.median(read_runs)
    in_memory = statistics.median(memory_runs)
    score = score_against(world.faults, report)
    met = "yes" if seconds <= TIME_TARGET_S else "NO"
    lines = [
        f"## Quality report: {args.applications:,} applications ({rows:,} proceedings rows)",
        "",
        "| measure | median of runs | runs | target | met |",
        "|---|---|---|---|---|",
        f"| `check_quality` on a read dataset (s) | {seconds:.2f} | "
        + ", ".join(f"{s:.2f}" for s in read_runs)
        + f" | ≤ {TIME_TARGET_S:.0f} | {met} |",
        f"| `check_quality` on an in-memory dataset, validation included (s) | "
        f"{in_memory:.2f} | " + ", ".join(f"{s:.2f}" for s in memory_runs) + " | | |",
        "",
        f"Issues found: {len(report.issues):,}; rows quarantined on reading: "
        f"{len(dataset.quarantine):,}. For scale: generating the world took "
        f"{generate_s:.1f} s and reading the Parquet folder {read_s:.1f} s (not included).",
        "",
        "Detection against the fault record (`outcomes.quality.score_against`):",
        "",
        "| fault | faults | recall | precision |",
        "|---|---|---|---|",
    ]
    for fault, r in score.iterrows():
        lines.append(
            f"| {fault} | {int(r['faults']):,} | {r['recall']:.3f} | {r['precision']:.3f} |"
        )
    faults = world.faults
    lines += ["", "Date faults by column (recall):", "", "| fault | column | faults | recall |"]
    lines.append("|---|---|---|---|")
    for fault in ("day_month_swap", "year_typo"):
        for column in ("issue_date", "disposal_date", "child_dob"):
            part = faults.loc[(faults["fault"] == fault) & (faults["column"] == column)]
            recall = score_against(part, report).loc[fault, "recall"]
            lines.append(f"| {fault} | {column} | {len(part):,} | {recall:.3f} |")
    body = "\n".join(lines)
    print(body)
    path = write_fragment("quality", body, machine_facts())
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
