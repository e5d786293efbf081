"""Helpers shared by the benchmark scripts: timing, machine facts, result fragments."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

RESULTS = Path(__file__).parent / "results"
PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "lifelines", "statsmodels")
T = TypeVar("T")
A = TypeVar("A")


def timed(fn: Callable[[A], T], arg: A, repeats: int, slow_limit: float) -> tuple[float, int, T]:
    """Median wall time of ``repeats`` calls ``fn(arg)``, the number of calls made, and
    the last result. A tool whose first call exceeds ``slow_limit`` seconds is called
    once: the median of one run is reported as such."""
    times: list[float] = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(arg)
        times.append(time.perf_counter() - start)
        if times[0] > slow_limit:
            break
    assert out is not None or repeats == 0
    return statistics.median(times), len(times), out  # type: ignore[return-value]


def machine_details(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Date, CPU, cores available, load, Python and package versions."""
    cpu = platform.processor() or platform.machine() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = str(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        nproc = str(os.cpu_count())
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    details = {
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "CPU": cpu,
        "nproc": nproc,
        "load average at start": load,
        "python": platform.python_version(),
    }
    for name in packages:
        try:
            details[name] = version(name)
        except PackageNotFoundError:
            continue
    return details


def machine_facts() -> str:
    """:func:`machine_details` on one line."""
    d = machine_details()
    versions = ", ".join(f"{k} {v}" for k, v in d.items() if k in PACKAGES)
    return (
        f"Machine: {d['nproc']} cores, {d['CPU']}; load {d['load average at start']}; "
        f"Python {d['python']}; {versions}"
    )


def write_fragment(name: str, body: str, facts: str) -> Path:
    """Write ``results/<name>.md`` for ``run_all.py`` to gather into RESULTS.md."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(f"{body}\n\n_{facts}_\n", encoding="utf-8")
    return path


def run_r_timing(
    script: str, df: object, repeats: int, slow_limit: float, packages: str
) -> dict[str, dict[str, object]]:
    """Run an R timing script on ``df`` written to CSV, and parse what it reports.

    The script takes ``data.csv out.txt repeats slow_limit``, writes one line per tool
    -- ``name seconds runs coef... se...`` (three coefficients) -- and
    ``r_version.txt`` beside ``out.txt``. R times itself (``system.time``), so
    process start-up is not counted.
    """
    import shutil
    import subprocess
    import tempfile

    import numpy as np

    rscript = shutil.which("Rscript")
    if rscript is None:
        raise SystemExit(f"Rscript not found: install R with the {packages} package(s)")
    with tempfile.TemporaryDirectory() as tmp:
        data, out, code = Path(tmp, "d.csv"), Path(tmp, "out.txt"), Path(tmp, "b.R")
        df.to_csv(data, index=False)  # type: ignore[attr-defined]
        code.write_text(script)
        subprocess.run(
            [rscript, str(code), str(data), str(out), str(repeats), str(slow_limit)],
            check=True,
        )
        res: dict[str, dict[str, object]] = {}
        for line in out.read_text().splitlines():
            parts = line.split()
            vals = np.array([float(v) for v in parts[3:]])
            res[parts[0]] = {
                "seconds": float(parts[1]),
                "runs": int(parts[2]),
                "coef": vals[:3],
                "se": vals[3:],
            }
        res["_version"] = {"text": Path(tmp, "r_version.txt").read_text().strip()}
    return res


def world_folder(cache: Path, applications: int, seed: int) -> Path:
    """The ``default`` synthetic world of ``applications`` as a Parquet dataset folder
    under ``cache``, generated on first use (generation is never timed)."""
    folder = cache / f"default-{applications}-{seed}"
    if not (folder / "manifest.toml").exists():
        import synthetic

        world = synthetic.generate("default", n_applications=applications, seed=seed)
        world.write(folder, format="parquet")
    return folder
