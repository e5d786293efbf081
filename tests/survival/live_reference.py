"""One live rerun of a reference suite, shared by every R reference test module.

A suite in ``tests/reference/<topic>/`` holds ``make_data.py`` (a seeded generator),
the data CSVs, ``reference.R`` and ``expected/`` (what R produced, with
``versions.txt``). A test module subclasses :class:`LiveReference`, names the folder and
its files, and gets two tests: the generator reproduces the stored data, and R
reproduces the stored values.

Both compare *values* with a tolerance, not bytes: the last digit of a float written
with 17 significant digits can differ between CPUs (different ``exp``/``log`` builds),
and that is no change to the reference.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def read_reference(path: Path) -> pd.DataFrame:
    """A reference CSV read back as the doubles written (``round_trip``); only ``NA``
    is missing (a model called "null" must not read as missing)."""
    return pd.read_csv(path, float_precision="round_trip", keep_default_na=False, na_values=["NA"])


def assert_same_values(fresh: Path, stored: Path, rtol: float) -> None:
    """Two CSVs hold the same table, numbers equal within ``rtol``."""
    pd.testing.assert_frame_equal(
        read_reference(fresh), read_reference(stored), check_exact=False, rtol=rtol, atol=0.0
    )


class LiveReference:
    """Rerun ``make_data.py`` and ``reference.R`` of one suite; what is stored comes back.

    Subclasses set ``suite`` (folder under ``tests/reference``), ``data_files``,
    ``outputs`` and ``r_packages`` (named in the message when R is missing).
    """

    suite: ClassVar[str]
    data_files: ClassVar[tuple[str, ...]]
    outputs: ClassVar[tuple[str, ...]]
    r_packages: ClassVar[str] = "survival"
    rtol_data: ClassVar[float] = 1e-13
    """Regenerated data: equal up to the last bits of a double."""
    rtol_outputs: ClassVar[float] = 1e-9
    """R rerun: equal up to R's own platform-dependent rounding."""

    @property
    def ref(self) -> Path:
        return REFERENCE / self.suite

    def test_generator_reproduces_data(self, tmp_path: Path) -> None:
        subprocess.run([sys.executable, str(self.ref / "make_data.py"), str(tmp_path)], check=True)
        for name in self.data_files:
            assert (tmp_path / name).exists(), f"make_data.py did not write {name}"
            assert_same_values(tmp_path / name, self.ref / name, self.rtol_data)

    def test_r_script_reproduces_expected(self, tmp_path: Path) -> None:
        rscript = shutil.which("Rscript")
        if rscript is None:
            pytest.fail(
                "Rscript is not on PATH: the live R reference tests need R with the "
                f"{self.r_packages} package(s) (Debian: r-base-core and r-cran-<package>)"
            )
        run = subprocess.run(
            [rscript, str(self.ref / "reference.R"), str(self.ref), str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, f"reference.R failed:\n{run.stderr}"
        for name in self.outputs:
            assert_same_values(tmp_path / name, self.ref / "expected" / name, self.rtol_outputs)
        versions = (tmp_path / "versions.txt").read_text()
        assert versions == (self.ref / "expected" / "versions.txt").read_text()
