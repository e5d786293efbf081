"""Benchmark: the study on one 5,000-application world, on one core, and what costs what.

Usage::

    python benchmarks/bench_study.py                  # 3 worlds; writes results/study.md
    python benchmarks/bench_study.py --quick          # 1 small world, prints only
    python benchmarks/bench_study.py --source DIR --label "what DIR is" --record before.json
    python benchmarks/bench_study.py --before before.json

Each world is ``synthetic.generate("default", n_applications=5000, seed=s,
faults=False)`` for s = 1, 2, 3 and the study is ``RushedDisposalStudy(world.dataset,
seed=s).run()`` with every default (200 bootstrap replicates for each marginal method,
4 sensitivity analyses of 50, mediation with 50). The figure is the CPU time of the
process (``time.process_time``), which a machine shared with other jobs disturbs far
less than the wall clock; BLAS runs on one thread. The median of the worlds is
reported, with each part of the study timed on its own (the crude risks, the hazard
models, the IPTW and g-computation bootstraps, mediation, the sensitivity analyses, the
figures).

``--source DIR`` runs the study from another copy of the code (e.g. ``git archive`` of
an earlier commit) and ``--record`` keeps its timings and estimates; ``--before`` puts
such a record beside this run and reports the largest relative difference between the
two runs' estimates (the fast paths must not move any beyond 1e-9).

This file is referenced from ``benchmarks/bench_simulation.py``: a simulation study's
cost per replicate is this study's cost per world.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PARTS = {
    "_frame": "analysis frame",
    "_crude": "crude risks",
    "_hazards": "hazard models (Cox, Fine-Gray, spline, PH test)",
    "iptw": "IPTW: weights, point and bootstrap",
    "gcomp": "g-computation: point and bootstrap",
    "_mediation": "mediation: point and bootstrap",
    "_sensitivity": "sensitivity analyses (4 x IPTW)",
    "study_figures": "figures",
}


def instrument(spent: dict[str, float]) -> None:
    """Wrap the study's parts so that each adds its CPU seconds to ``spent``."""
    from outcomes.study import study as module

    cls = module.RushedDisposalStudy

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - start

        return wrapper

    for name in ("_crude", "_hazards", "_mediation", "_sensitivity"):
        setattr(cls, name, timed(name, getattr(cls, name)))
    marginal = cls._marginal

    def by_kind(self: Any, af: Any, horizons: Any, kind: str, *args: Any) -> Any:
        # the sensitivity analyses call it too (without diagnostics): counted there
        if args[-1] is None:
            return marginal(self, af, horizons, kind, *args)
        return timed(kind, marginal)(self, af, horizons, kind, *args)

    cls._marginal = by_kind  # type: ignore[method-assign, assignment]
    frame = cls._frame

    def main_frame(self: Any, threshold: float) -> Any:
        # the first call of a run is the main analysis's; the sensitivity analyses'
        # frames are counted with them
        if "_frame" in spent:
            return frame(self, threshold)
        return timed("_frame", frame)(self, threshold)

    cls._frame = main_frame  # type: ignore[method-assign]
    module.study_figures = timed("study_figures", module.study_figures)


def run(worlds: list[int], n_applications: int, n_boot: int) -> dict[str, Any]:
    import synthetic
    from outcomes.study import RushedDisposalStudy

    spent: dict[str, float] = defaultdict(float)
    instrument(spent)
    out: dict[str, Any] = {"worlds": {}, "estimates": {}}
    for seed in worlds:
        world = synthetic.generate(
            "default", n_applications=n_applications, seed=seed, faults=False
        )
        spent.clear()
        start, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = RushedDisposalStudy(world.dataset, seed=seed, n_boot=n_boot).run()
        total = time.process_time() - cpu
        out["worlds"][str(seed)] = {
            "cpu": total,
            "wall": time.perf_counter() - start,
            "parts": dict(spent),
        }
        out["estimates"][str(seed)] = result.estimates.to_dict(orient="list")
        print(f"world {seed}: {total:.1f} CPU s", flush=True)
    return out


def median_parts(record: dict[str, Any]) -> dict[str, float]:
    worlds = list(record["worlds"].values())
    parts = {k: statistics.median(w["parts"].get(k, 0.0) for w in worlds) for k in PARTS}
    parts["other"] = statistics.median(
        w["cpu"] - sum(w["parts"].get(k, 0.0) for k in PARTS) for w in worlds
    )
    return parts


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Where two runs' estimates differ, as Markdown lines: per method, the largest
    relative difference of each number over the rows both runs report (matched by
    method, estimand, contrast and horizon, every world), and the rows only one run
    reports."""
    import pandas as pd

    # a method may give several rows of one kind (the E-value of the estimate and of
    # its interval): the row's place among them completes the key
    key = ["method", "estimand", "contrast", "horizon_years", "nth"]
    numbers = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]

    def table(rows: dict[str, list[Any]]) -> pd.DataFrame:
        frame = pd.DataFrame(rows)
        return frame.assign(nth=frame.groupby(key[:-1], dropna=False).cumcount())

    frames = []
    for seed, rows in a["estimates"].items():
        left, right = table(rows), table(b["estimates"][seed])
        frames.append(
            left.merge(right, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
        )
    both = pd.concat(frames, ignore_index=True)
    lines = ["| method | " + " | ".join(numbers) + " |", "|---|" + "---:|" * len(numbers)]
    matched = both.loc[both["_merge"] == "both"]
    for method, part in matched.groupby("method", sort=True):
        cells = []
        for column in numbers:
            x, y = part[f"{column}_a"].astype(float), part[f"{column}_b"].astype(float)
            if not (x.isna() == y.isna()).all():
                cells.append("missing in one run")
                continue
            finite = x.notna()
            scale = x[finite].abs().clip(lower=1e-12)
            worst = ((x[finite] - y[finite]).abs() / scale).max() if finite.any() else 0.0
            cells.append(f"{worst:.0e}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    only = both.loc[both["_merge"] != "both"].drop_duplicates(key)
    for _, row in only.iterrows():
        side = "before" if row["_merge"] == "left_only" else "after"
        lines.append(
            f"\nOnly {side}: {row['method']}, {row['estimand']}, {row['contrast']}, "
            f"{row['horizon_years']} years."
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--source", type=Path, default=ROOT)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--label", default="", help="what --source is, kept in --record")
    parser.add_argument("--worlds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(args.source.resolve()))
    sys.path.insert(1, str(ROOT / "benchmarks"))
    from _common import machine_details, write_fragment

    worlds, n_applications, n_boot = list(range(1, args.worlds + 1)), 5_000, 200
    if args.quick:
        worlds, n_applications, n_boot = [1], 1_000, 20
    facts = machine_details()
    record = run(worlds, n_applications, n_boot)
    record["label"] = args.label
    if args.record:
        args.record.write_text(json.dumps(record))
    before = json.loads(args.before.read_text()) if args.before else None

    def median_cpu(r: dict[str, Any]) -> float:
        return statistics.median(w["cpu"] for w in r["worlds"].values())

    after_parts = median_parts(record)
    before_parts = median_parts(before) if before else None
    lines = [
        f"## The study on one world of {n_applications:,} applications (one core)",
        "",
        f"`RushedDisposalStudy(world.dataset, seed=s).run()` with every default ({n_boot} "
        "bootstrap replicates per marginal method, 4 sensitivity analyses and mediation "
        f"with {max(20, n_boot // 4)} each) on the `default` world, seeds "
        f"{', '.join(map(str, worlds))}; CPU seconds of the process (BLAS on one "
        "thread), median over the worlds. Produced by `benchmarks/bench_study.py`.",
        "",
        *([f"Before: {before['label']}.", ""] if before and before.get("label") else []),
        "| part | " + ("before (CPU s) | after (CPU s) | speed-up |" if before else "CPU s |"),
        "|---|" + ("---:|---:|---:|" if before else "---:|"),
    ]
    for key, label in [*PARTS.items(), ("other", "the rest (E-values, tables, checks)")]:
        if before_parts is not None:
            b, a = before_parts[key], after_parts[key]
            ratio = f"{b / a:.1f}x" if a > 0 else "-"
            lines.append(f"| {label} | {b:.1f} | {a:.1f} | {ratio} |")
        else:
            lines.append(f"| {label} | {after_parts[key]:.1f} |")
    total_after = median_cpu(record)
    if before is not None:
        total_before = median_cpu(before)
        lines.append(
            f"| **whole study** | **{total_before:.1f}** | **{total_after:.1f}** | "
            f"**{total_before / total_after:.1f}x** |"
        )
        lines += [
            "",
            "Largest relative difference between the two runs' numbers, per method, over "
            "every row of every world:",
            "",
            *differences(before, record),
            "",
            "Differences beyond rounding, and rows only one version reports, come from "
            "changes to the methods between the two versions of the code; the fast paths "
            "themselves are checked against the computations they replace by "
            "`tests/study/test_study_speedups_exact.py`.",
        ]
    else:
        lines.append(f"| **whole study** | **{total_after:.1f}** |")
    walls = ", ".join(f"{w['wall']:.0f}" for w in record["worlds"].values())
    lines += [
        "",
        f"Wall seconds of this run's worlds: {walls} (load average at start "
        f"{facts['load average at start']}; the machine's {facts['nproc']} cores were "
        "shared with other jobs, so the wall clock says more about them than about the "
        "study).",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.quick and args.source.resolve() == ROOT:
        details = "; ".join(f"{k} {v}" for k, v in facts.items())
        print(f"wrote {write_fragment('study', body, details)}")


if __name__ == "__main__":
    main()
