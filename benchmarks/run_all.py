"""Run every benchmark, then gather their fragments into ``benchmarks/RESULTS.md``.

Each ``bench_*.py`` script times our code and its alternatives side by side on the
same data in one process run and writes ``results/<name>.md``. This runner executes
them one after another (never in parallel: the machine has two cores and timings
would interfere) and concatenates the fragments under a header.

Run: ``make bench`` or ``python benchmarks/run_all.py [--only NAME ...] [--quick]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _common import RESULTS, machine_facts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--gather", action="store_true", help="only rebuild RESULTS.md")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    failed = []
    if not args.gather:
        for script in scripts:
            print(f"== {script.name}", flush=True)
            command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
            if subprocess.run(command, check=False).returncode:
                failed.append(script.name)
    fragments = sorted(RESULTS.glob("*.md"))
    header = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (`benchmarks/run_all.py`); each section is written by "
        "its `bench_*.py` script. Times are medians of repeated runs in one process run, "
        "our code and the alternatives on the same data; ratios are alternative / ours. "
        "The machine is shared and noisy (2 cores): read ratios, not absolute seconds.",
        "",
        f"Last gathered {dt.date.today():%Y-%m-%d}. {machine_facts()}",
        "",
    ]
    body = [f.read_text(encoding="utf-8").strip() + "\n" for f in fragments]
    (HERE / "RESULTS.md").write_text("\n".join(header + body), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'} from {len(fragments)} fragments")
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
