"""Benchmark: throughput of a simulation study, serial vs processes vs Dask (2 workers).

Usage::

    python benchmarks/bench_simulation.py            # 24 worlds of 2,000 applications;
                                                     # writes benchmarks/results/simulation.md
    python benchmarks/bench_simulation.py --quick    # 4 worlds of 300, prints only

The study draws synthetic worlds (``faults=False``), builds the child-return cohort
and estimates the crude Aalen-Johansen risks of return at 2 years (short vs long
proceedings): CPU-bound Python and NumPy, one world per replicate. Every backend runs
the same study, chunk size 2, and must return exactly the serial results.

The Dask cluster (a ``LocalCluster`` of 2 single-threaded worker processes) is started
and warmed up (one small study, so the workers have imported the toolkit) before the
timed run, which goes to it by address; the start-up is reported on its own. BLAS runs
single-threaded everywhere (``OMP_NUM_THREADS=1``), so two workers do not fight over
two cores.

What one replicate of a study of the full analysis costs -- ``RushedDisposalStudy`` on
a 5,000-application world, part by part, before and after its fast paths -- is
measured by ``benchmarks/bench_study.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine_details, write_fragment  # noqa: E402

import synthetic  # noqa: E402
from outcomes.cohort import build_cohort  # noqa: E402
from outcomes.simulation import SimulationStudy  # noqa: E402
from outcomes.survival import cumulative_incidence  # noqa: E402

HORIZON_YEARS = 2.0


def world(params: dict[str, Any], rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    """One synthetic world's child-return cohort and its true 2-year risk difference."""
    w = synthetic.generate(
        "default",
        n_applications=params["n_applications"],
        seed=int(rng.integers(2**32)),
        faults=False,
    )
    cohort = build_cohort(w.dataset, outcome="child_return").data
    return cohort[["time", "event", "short_duration"]], w.truth.value("risk_difference", 2)


def crude(data: pd.DataFrame, params: dict[str, Any]) -> dict[str, float]:
    """Crude Aalen-Johansen risk difference at 2 years (Wald interval)."""
    at = cumulative_incidence(
        data, "time", "event", event_of_interest=1, by="short_duration", times=HORIZON_YEARS
    ).table.set_index("group")
    rd = float(at.loc[True, "estimate"] - at.loc[False, "estimate"])
    se = float(np.sqrt(at.loc[True, "variance"] + at.loc[False, "variance"]))
    return {
        "estimand": "risk_difference",
        "estimate": rd,
        "std_error": se,
        "ci_lower": rd - 1.96 * se,
        "ci_upper": rd + 1.96 * se,
    }


def children_cpu() -> float:
    """CPU seconds of the finished child processes of this one."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def study(n_worlds: int, n_applications: int) -> SimulationStudy:
    return SimulationStudy(
        world,
        {"crude": crude},
        n_reps=n_worlds,
        seed=20261204,
        design={"n_applications": [n_applications]},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_worlds, n_applications = (4, 300) if args.quick else (24, 2_000)
    facts = machine_details()
    sim = study(n_worlds, n_applications)
    chunk = 2

    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}  # CPU seconds spent by whoever ran the worlds
    results: dict[str, pd.DataFrame] = {}
    study(2, 100).run("serial", progress=False)  # warm-up: first-call costs not counted
    start, own = time.perf_counter(), time.process_time()
    results["serial"] = sim.run("serial", chunk_size=chunk, progress=False)
    timings["serial"] = time.perf_counter() - start
    cpu["serial"] = time.process_time() - own

    start, children = time.perf_counter(), children_cpu()
    results["processes"] = sim.run("processes", n_workers=2, chunk_size=chunk, progress=False)
    timings["processes"] = time.perf_counter() - start
    cpu["processes"] = children_cpu() - children  # the pool has exited: its CPU is counted

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        study(2, 100).run("dask", scheduler=cluster.scheduler_address, progress=False)
        startup = time.perf_counter() - start
        with Client(cluster.scheduler_address) as client:
            before = sum(client.run(time.process_time).values())
            start = time.perf_counter()
            results["dask"] = sim.run(
                "dask", scheduler=cluster.scheduler_address, chunk_size=chunk, progress=False
            )
            timings["dask"] = time.perf_counter() - start
            cpu["dask"] = sum(client.run(time.process_time).values()) - before

    lines = [
        f"## Simulation study: {n_worlds} worlds of {n_applications:,} applications, "
        "serial vs processes vs Dask",
        "",
        "`outcomes.simulation.SimulationStudy.run`: each replicate draws a synthetic world, "
        "builds the child-return cohort and estimates the crude Aalen-Johansen 2-year risk "
        "difference; chunks of 2 worlds; 2 workers for processes and Dask (a `LocalCluster` "
        f"of single-threaded worker processes, started and warmed up first: {startup:.1f} s, "
        "not counted). One timed run per backend. Produced by "
        "`benchmarks/bench_simulation.py`. The machine's 2 cores were shared with other "
        "jobs (see the load below): the ratios understate what 2 free cores give.",
        "",
        "| backend | seconds | worlds / s | vs serial | CPU s / world | CPU share "
        "| results identical to serial |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for name, seconds in timings.items():
        same = results[name].equals(results["serial"])
        lines.append(
            f"| {name} | {seconds:.1f} | {n_worlds / seconds:.2f} | "
            f"{timings['serial'] / seconds:.2f}x | {cpu[name] / n_worlds:.2f} | "
            f"{cpu[name] / seconds:.2f} | {'yes' if same else 'NO'} |"
        )
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    ratio = timings["serial"] / timings["dask"]
    lines += [
        "",
        f"Target: Dask with 2 workers at least 1.7x serial: {ratio:.2f}x, "
        f"{'met' if ratio >= 1.7 else 'not met'} on this run. CPU s / world is the "
        "CPU time of the processes that ran the worlds per world (the framework's "
        "overhead shows as a larger figure than serial); CPU share is CPU seconds per "
        "wall second, the cores the backend actually got (2 at most): on a machine "
        "shared with other jobs, throughput is bounded by that share, not by the "
        "framework.",
        "",
        f"Load average at start {facts['load average at start']}, at end {load}; "
        f"{facts['nproc']} cores, {facts['CPU']}.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.quick:
        details = "; ".join(f"{k} {v}" for k, v in facts.items())
        path = write_fragment("simulation", body, details)
        print(f"wrote {path}")
    if not all(results[name].equals(results["serial"]) for name in results):
        sys.exit("a backend's results differ from the serial ones")


if __name__ == "__main__":
    main()
