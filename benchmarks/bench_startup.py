"""Benchmark: how long the command line and ``import outcomes`` take to start.

Target: ``outcomes --help`` in at most 0.5 s, median of 5 fresh processes on the
2-core machine. Every subcommand pays the start-up, so ``outcomes/__init__.py`` imports
its public names on first use and the subcommands import pandas, scikit-learn and
matplotlib inside ``run()``; ``tests/test_startup.py`` checks which modules are loaded,
this script how long it takes. The bare interpreter (``python -c pass``) is timed too,
as the floor; ``outcomes validate`` on the packaged example shows the cost of a command
that reads data (pandas and pyarrow, but neither scikit-learn nor matplotlib).

Run: ``python benchmarks/bench_startup.py [--runs K] [--quick]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _common import machine_facts, write_fragment  # noqa: E402

HELP_TARGET_S = 0.5


def outcomes_command() -> list[str]:
    """The installed ``outcomes`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "outcomes"
    if script.exists():
        return [str(script)]
    found = shutil.which("outcomes")
    return [found] if found else [sys.executable, "-m", "outcomes"]


def wall_times(command: list[str], runs: int) -> list[float]:
    """Wall time of ``runs`` fresh processes running ``command``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="three runs")
    args = parser.parse_args()
    if args.quick:
        args.runs = 3
    from outcomes.datasets import example_path

    cli = outcomes_command()
    cases = [
        ("`python -c pass` (the floor)", [sys.executable, "-c", "pass"], None),
        ("`import outcomes`", [sys.executable, "-c", "import outcomes"], None),
        ("`outcomes --help`", [*cli, "--help"], HELP_TARGET_S),
        ("`outcomes validate` (example dataset)", [*cli, "validate", str(example_path())], None),
    ]
    lines = [
        "## Start-up of the command line",
        "",
        "| command | median (s) | runs (s) | target | met |",
        "|---|---:|---|---|---|",
    ]
    for label, command, target in cases:
        times = wall_times(command, args.runs)
        median = statistics.median(times)
        verdict = ("yes" if median <= target else "NO") if target is not None else ""
        lines.append(
            f"| {label} | {median:.2f} | {', '.join(f'{t:.2f}' for t in times)} | "
            f"{'' if target is None else f'≤ {target}'} | {verdict} |"
        )
    lines += [
        "",
        f"Each run is a fresh process; median of {args.runs}. `outcomes` is "
        f"`{' '.join(Path(c).name for c in cli)}`. For where the time goes, run "
        "`python -X importtime -m outcomes --help`.",
    ]
    write_fragment("startup", "\n".join(lines), machine_facts())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
