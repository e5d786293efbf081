"""Benchmark: throughput of a simulation study, serial vs processes vs Dask (2 workers).

Usage::

    python benchmarks/bench_simulation.py            # 32 worlds of 2,000 applications;
                                                     # writes benchmarks/results/simulation.md
    python benchmarks/bench_simulation.py --quick    # 4 worlds of 300, prints only

The replicate is the one a power study runs (:func:`outcomes.simulation.power.power_study`):
a synthetic world of a proposed evaluation -- 2,000 applications from 10 local
authorities over 5 issue years, a true 2-year risk difference of 2 points dialled in --
analysed by ``RushedDisposalStudy.primary()``: the crude Aalen-Johansen comparison and
the primary IPTW Aalen-Johansen estimate with 50 bootstrap replicates. About 2 s of one
core per world, so the framework's per-chunk costs are small beside it and what is left
is whether two workers get two cores' work done. Every backend runs the same study, one
world per chunk (the balance of the last chunks matters more than the round trips at
this size), and must return exactly the serial results.

The Dask cluster is :func:`outcomes.simulation.local_cluster` (2 single-threaded worker
processes with the framework's worker settings), started and warmed up (one small study,
so the workers have imported the toolkit) before the timed run, which goes to it by
address; the start-up is reported on its own. BLAS runs single-threaded everywhere.

Per backend the fragment reports CPU seconds per world of the processes that ran the
worlds (what the framework adds shows as a figure above serial's) and their minor page
faults per world, and the CPU share (CPU seconds per wall second, 2 at most): on a
machine shared with other jobs, throughput is bounded by that share, not by the
framework. What one world of the full study costs, part by part, before and after the
fast paths (median of 3 worlds of 5,000 applications), is ``benchmarks/bench_study.py``'s
(``benchmarks/results/study.md``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine_details, write_fragment  # noqa: E402

from outcomes.simulation import SimulationStudy, local_cluster  # noqa: E402
from outcomes.simulation.power import power_study  # noqa: E402

SEED = 20261204
EFFECT = 0.02
N_BOOT = 50
ROUNDS = 3


def study(n_worlds: int, n_applications: int, n_boot: int = N_BOOT) -> SimulationStudy:
    """``n_worlds`` worlds of a 10-authority, 5-year evaluation, each analysed by the
    study's primary analysis."""
    sim, _ = power_study(
        {"n_applications": [n_applications], "n_las": [10], "years": [5]},
        (EFFECT,),
        n_worlds,
        n_boot=n_boot,
        seed=SEED,
    )
    return sim


def usage() -> tuple[float, int]:
    """CPU seconds and minor page faults of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt


def children_usage() -> tuple[float, int]:
    """The same for the finished child processes of this one."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime, r.ru_minflt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_worlds, n_applications = (4, 300) if args.quick else (32, 2_000)
    rounds = 1 if args.quick else ROUNDS
    facts = machine_details()
    sim = study(n_worlds, n_applications)  # calibrates the effect: not timed
    warm_up = study(2, 300, n_boot=5)
    chunk = 1
    backends = ("serial", "processes", "dask")

    # per backend, one entry per round: wall seconds, CPU seconds spent by whoever ran
    # the worlds, their minor page faults
    timings: dict[str, list[float]] = {name: [] for name in backends}
    cpu: dict[str, list[float]] = {name: [] for name in backends}
    faults: dict[str, list[int]] = {name: [] for name in backends}
    results: dict[str, list[pd.DataFrame]] = {name: [] for name in backends}
    warm_up.run("serial", progress=False)  # first-call costs not counted

    from distributed import Client

    start = time.perf_counter()
    with local_cluster(2) as cluster:
        warm_up.run("dask", scheduler=cluster.scheduler_address, progress=False)
        startup = time.perf_counter() - start
        # the backends take turns, so that a change in the machine's load falls on all
        for _ in range(rounds):
            start, (own, flt) = time.perf_counter(), usage()
            results["serial"].append(sim.run("serial", chunk_size=chunk, progress=False))
            timings["serial"].append(time.perf_counter() - start)
            cpu["serial"].append(usage()[0] - own)
            faults["serial"].append(usage()[1] - flt)

            start, (own, flt) = time.perf_counter(), children_usage()
            results["processes"].append(
                sim.run("processes", n_workers=2, chunk_size=chunk, progress=False)
            )
            timings["processes"].append(time.perf_counter() - start)
            # the pool has exited: its CPU is counted
            cpu["processes"].append(children_usage()[0] - own)
            faults["processes"].append(children_usage()[1] - flt)

            # the run goes to the cluster by address from inside a client of the
            # user's own, as in a notebook that has one open
            with Client(cluster.scheduler_address) as client:
                before = client.run(usage)
                start = time.perf_counter()
                results["dask"].append(
                    sim.run(
                        "dask",
                        scheduler=cluster.scheduler_address,
                        chunk_size=chunk,
                        progress=False,
                    )
                )
                timings["dask"].append(time.perf_counter() - start)
                after = client.run(usage)
            cpu["dask"].append(sum(after[w][0] - before[w][0] for w in after))
            faults["dask"].append(sum(after[w][1] - before[w][1] for w in after))

    reference = results["serial"][0]
    same = {
        name: all(frame.equals(reference) for frame in frames) for name, frames in results.items()
    }
    wall = {name: statistics.median(values) for name, values in timings.items()}
    lines = [
        f"## Simulation study: {n_worlds} worlds of {n_applications:,} applications, "
        "serial vs processes vs Dask",
        "",
        "`outcomes.simulation.SimulationStudy.run` on the study a power calculation runs "
        "(`outcomes.simulation.power.power_study`): each replicate draws a synthetic world "
        "of 10 authorities over 5 years with a 2-point effect and analyses it as "
        f"`RushedDisposalStudy.primary()` does (crude and IPTW Aalen-Johansen, {N_BOOT} "
        "bootstrap replicates); one world per chunk; 2 workers for processes and Dask "
        "(`outcomes.simulation.local_cluster`, started and warmed up first: "
        f"{startup:.1f} s, not counted). {rounds} timed runs per backend, taking turns; "
        "each figure is their median (seconds: the median, then every run). The Dask run "
        "goes to the cluster by address from inside an open `with Client(...)` block, as "
        "in a notebook. Produced by "
        "`benchmarks/bench_simulation.py`.",
        "",
        "| backend | seconds (runs) | worlds / s | vs serial | CPU s / world "
        "| page faults / world "
        "| CPU share | results identical to serial |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for name in backends:
        seconds, spent = wall[name], statistics.median(cpu[name])
        spread = ", ".join(f"{t:.1f}" for t in timings[name])
        lines.append(
            f"| {name} | {seconds:.1f} ({spread}) | {n_worlds / seconds:.2f} | "
            f"{wall['serial'] / seconds:.2f}x | {spent / n_worlds:.2f} | "
            f"{statistics.median(faults[name]) / n_worlds:,.0f} | {spent / seconds:.2f} | "
            f"{'yes' if same[name] else 'NO'} |"
        )
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    ratio = wall["serial"] / wall["dask"]
    lines += [
        "",
        f"Target: Dask with 2 workers at least 1.7x serial: {ratio:.2f}x, "
        f"{'met' if ratio >= 1.7 else 'not met'} on this run. CPU s / world is the "
        "CPU time of the processes that ran the worlds per world (the framework's "
        "overhead shows as a larger figure than serial's); CPU share is CPU seconds per "
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
    if not all(same.values()):
        sys.exit("a backend's results differ from the serial ones")


if __name__ == "__main__":
    main()
