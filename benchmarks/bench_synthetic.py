"""Benchmark: generate a synthetic world of 1,000,000 children, faults included.

Target: at most 3x the time NumPy takes, in the same process, to draw 30
million normals and 30 million uniforms; peak memory at most 4 GB. One fresh
process runs the reference draws and then ``synthetic.generate`` ``--runs`` times (so
the comparison is "in the same process", and the median includes warm runs as a user
generating several worlds sees them); peak memory is that process's peak resident set.
CPU-time ratios are reported too: on a shared machine wall-clock ratios swing with
other load.

Run: ``python benchmarks/bench_synthetic.py [--children N] [--runs K]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _common import machine_facts, write_fragment  # noqa: E402

RATIO_TARGET = 3.0
MEMORY_TARGET_MB = 4096.0
CHILDREN_PER_APPLICATION = 1.716  # the default scenario at seed 0 (calibration report)

CHILD = """
import gc, json, resource, sys, time
import numpy as np
import synthetic
n_apps, runs = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(12345)
out = []
for _ in range(runs):
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    rng.standard_normal(30_000_000)
    rng.random(30_000_000)
    reference, reference_cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    t1, c1 = time.perf_counter(), time.process_time()
    world = synthetic.generate("default", n_applications=n_apps, seed=0, faults=True)
    generate, generate_cpu = time.perf_counter() - t1, time.process_time() - c1
    out.append({"reference_s": reference, "generate_s": generate,
                "reference_cpu_s": reference_cpu, "generate_cpu_s": generate_cpu,
                "children": len(world.clean), "rows": len(world.dataset.proceedings),
                "faults": len(world.faults)})
    del world
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
for r in out:
    r["peak_mb"] = peak
print(json.dumps(out))
"""


def run_all(n_apps: int, runs: int) -> list[dict[str, float]]:
    """Run the reference draws and the generation ``runs`` times in one fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n_apps), str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: list[dict[str, float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    n_apps = round(args.children / CHILDREN_PER_APPLICATION)
    runs = run_all(n_apps, args.runs)
    ratios = [r["generate_s"] / r["reference_s"] for r in runs]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    ratio = statistics.median(ratios)
    cpu_ratio = statistics.median(r["generate_cpu_s"] / r["reference_cpu_s"] for r in runs)
    ok_time = ratio <= RATIO_TARGET
    ok_mem = median["peak_mb"] <= MEMORY_TARGET_MB
    lines = [
        "## Synthetic world: generation time and memory",
        "",
        f"`synthetic.generate('default', n_applications={n_apps:,}, faults=True)`: "
        f"{int(median['children']):,} children, {int(median['rows']):,} proceedings rows "
        f"with {int(median['faults']):,} faults. Median of {args.runs} runs in one process "
        "(each run: the reference draws, then the generation); the first run is cold "
        "(fresh allocator, first use of every code path).",
        "",
        "| measure | median | target | met |",
        "|---|---|---|---|",
        f"| NumPy reference (30M normals + 30M uniforms) | {median['reference_s']:.2f} s | | |",
        f"| generate | {median['generate_s']:.2f} s | | |",
        f"| ratio generate / reference | {ratio:.2f} | <= {RATIO_TARGET:.0f} | "
        f"{'yes' if ok_time else 'no'} |",
        f"| ratio of CPU times (less sensitive to other load) | {cpu_ratio:.2f} | | |",
        f"| peak resident memory | {median['peak_mb']:.0f} MB | <= {MEMORY_TARGET_MB:.0f} MB | "
        f"{'yes' if ok_mem else 'no'} |",
        "",
        "Per run (reference s, generate s, ratio): "
        + "; ".join(
            f"{r['reference_s']:.2f}, {r['generate_s']:.2f}, {q:.2f}"
            for r, q in zip(runs, ratios, strict=True)
        ),
    ]
    body = "\n".join(lines)
    print(body)
    print(f"ratio {ratio:.2f} (target <= {RATIO_TARGET:.0f})")
    write_fragment("synthetic", body, machine_facts())
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
