"""Helpers shared by the benchmark scripts: machine facts and result fragments."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "lifelines", "statsmodels")


def machine_facts() -> str:
    """One line naming the machine and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return (
        f"Machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
        + ", ".join(versions)
    )


def write_fragment(name: str, body: str, facts: str) -> Path:
    """Write ``results/<name>.md`` for ``run_all.py`` to gather into RESULTS.md."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(f"{body}\n\n_{facts}_\n", encoding="utf-8")
    return path
