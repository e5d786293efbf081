"""Benchmark: the board pack of one DFJ area from a national dataset.

Target: ``board_pack`` plus writing the pack (``board.html``, ``tables.xlsx``,
``figures/*.png``) for one DFJ area from 300,000 applications in at most 30 s on the
2-core machine, median of 3 runs in one process. The data are the synthetic
``default`` world (faults on, so the quality report has work to do), generated once and
cached as a Parquet dataset folder under ``build/`` (generation is not timed); the pack
works on the dataset as read from that folder, as ``outcomes board`` does. Reading the
folder is timed separately. The area is the DFJ area with most proceedings. The pack is
built as ``outcomes board`` builds a dataset this large: with ``n_jobs=2``, the quality
report in a second process (``--jobs 1`` times it in one process).

Run: ``python benchmarks/bench_board.py [--applications N] [--runs K] [--quick]``.
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
from _common import machine_facts, world_folder, write_fragment  # noqa: E402

TIME_TARGET_S = 30.0
CACHE = HERE.parent / "build" / "bench_board"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", default="2023Q4")
    parser.add_argument("--jobs", type=int, default=2, help="board_pack's n_jobs")
    parser.add_argument("--quick", action="store_true", help="30,000 applications, one run")
    args = parser.parse_args()
    if args.quick:
        args.applications, args.runs = 30_000, 1

    from outcomes.board import board_pack
    from outcomes.io import read_dataset

    folder = world_folder(CACHE, args.applications, args.seed)
    t0 = time.perf_counter()
    dataset = read_dataset(folder)
    read_s = time.perf_counter() - t0
    area = str(dataset.proceedings["dfj_area"].value_counts().idxmax())

    build_runs, write_runs, cpu_runs = [], [], []
    pack = None
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            c0, t0 = time.process_time(), time.perf_counter()
            pack = board_pack(dataset, area=area, period=args.period, n_jobs=args.jobs)
            t1 = time.perf_counter()
            pack.write(Path(tmp) / f"pack{i}")
            t2 = time.perf_counter()
            cpu_runs.append(time.process_time() - c0)
            build_runs.append(t1 - t0)
            write_runs.append(t2 - t1)
            print(
                f"run {i + 1}: build {t1 - t0:.2f} s, write {t2 - t1:.2f} s, "
                f"CPU {cpu_runs[-1]:.2f} s",
                flush=True,
            )
    assert pack is not None
    totals = [b + w for b, w in zip(build_runs, write_runs, strict=True)]
    seconds = statistics.median(totals)
    met = "yes" if seconds <= TIME_TARGET_S else "NO"
    rows = len(dataset.proceedings)
    lines = [
        f"## Board pack: one DFJ area of {args.applications:,} applications "
        f"({rows:,} proceedings rows)",
        "",
        "| measure | median of runs | runs | target | met |",
        "|---|---|---|---|---|",
        f"| `board_pack` + `write` for {area}, {args.period}, n_jobs={args.jobs} (s) | "
        f"{seconds:.2f} | "
        + ", ".join(f"{s:.2f}" for s in totals)
        + f" | ≤ {TIME_TARGET_S:.0f} | {met} |",
        f"| of which `board_pack` (s) | {statistics.median(build_runs):.2f} | "
        + ", ".join(f"{s:.2f}" for s in build_runs)
        + " | | |",
        f"| of which writing html, xlsx, figures (s) | {statistics.median(write_runs):.2f} | "
        + ", ".join(f"{s:.2f}" for s in write_runs)
        + " | | |",
        f"| CPU time of the main process, build + write (s) | {statistics.median(cpu_runs):.2f} | "
        + ", ".join(f"{s:.2f}" for s in cpu_runs)
        + " | | |",
        "",
        "On a shared machine the wall time exceeds the CPU time by the time the process "
        "waited for a core; on an idle 2-core machine they are close.",
        "",
        f"Reading the Parquet dataset folder took {read_s:.1f} s (not included; "
        "`outcomes board` adds it). Panels with a figure: "
        f"{sum(p.figure is not None for p in pack.panels)} of {len(pack.panels)}.",
    ]
    body = "\n".join(lines)
    print(body)
    path = write_fragment("board", body, machine_facts())
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
