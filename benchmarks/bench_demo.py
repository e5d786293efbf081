"""Benchmark: ``outcomes demo`` end to end, as ``make demo`` runs it once installed.

Target: at most 60 s on the 2-core machine, median of 3 runs. Each run is a
fresh process (``outcomes demo --out <tmp>``): interpreter start, imports, simulating
the default world, the full study with its bootstrap and sensitivity analyses, the
figures, the HTML report and the CSV.

Run: ``python benchmarks/bench_demo.py [--runs K] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _common import machine_facts, write_fragment  # noqa: E402

TIME_TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "outcomes", "demo", "--out", str(Path(tmp) / "demo")],
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(time.perf_counter() - start)
            assert (Path(tmp) / "demo" / "report.html").exists()
    median = statistics.median(times)
    from outcomes.cli.demo import DEMO_APPLICATIONS, DEMO_N_BOOT

    lines = [
        "## `outcomes demo` end to end",
        "",
        "| measure | median of runs | runs | target | met |",
        "|---|---|---|---|---|",
        f"| wall time (s) | {median:.1f} | "
        + ", ".join(f"{t:.1f}" for t in times)
        + f" | ≤ {TIME_TARGET_S:.0f} | {'yes' if median <= TIME_TARGET_S else 'NO'} |",
        "",
        f"A fresh process each run: simulate the default world ({DEMO_APPLICATIONS:,} "
        f"applications), run the study ({DEMO_N_BOOT} cluster-bootstrap replicates for "
        "each marginal method, 20 for each of the four sensitivity analyses and 20 for "
        "the mediation effects, over 2 worker processes), write the report, the "
        "estimates and the figures.",
    ]
    write_fragment("demo", "\n".join(lines), machine_facts())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
