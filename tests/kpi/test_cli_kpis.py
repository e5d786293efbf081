"""``outcomes kpis``: CSV and Excel outputs, exit code 2 for user mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from outcomes.cli import main
from outcomes.kpi import timeliness


@pytest.fixture(scope="module")
def folder(world, tmp_path_factory) -> Path:
    return world.write(tmp_path_factory.mktemp("kpis") / "world")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", "kpis", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_csv_equals_the_library_table(world, folder, tmp_path):
    out = tmp_path / "kpis.csv"
    proc = _run(str(folder), "--by", "dfj_area", "--period", "year", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out, dtype={"period": str})
    from outcomes.io import read_dataset

    want = timeliness(read_dataset(folder), by=("dfj_area",), period="year")
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    pd.testing.assert_series_equal(
        got["disposals"].astype("Float64"), want["disposals"].astype("Float64"), check_names=False
    )


def test_xlsx_has_a_sheet_per_table_with_its_note(folder, tmp_path, capsys):
    # in this process: the same ``main`` a user's process runs (the tests around it
    # start a real one for the exit codes 0 and 2)
    out = tmp_path / "kpis.xlsx"
    code = main(["kpis", str(folder), "--by", "dfj_area", "--basis", "issue", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["timeliness", "case_progression", "order_mix"]
    for sheet in book.worksheets:
        assert "withheld" in str(sheet["A1"].value)
    assert not list(tmp_path.glob(".kpis*"))  # no temporary file left behind


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "kpis.txt"],
        ["--by", "region", "--out", "kpis.csv"],
        ["--threshold-weeks", "-3", "--out", "kpis.csv"],
    ],
)
def test_user_mistakes_exit_2(folder, tmp_path, capsys, args):
    args = [a if not a.startswith("kpis.") else str(tmp_path / a) for a in args]
    code = main(["kpis", str(folder), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("error:")


def test_missing_dataset_exits_2(tmp_path):
    proc = _run(str(tmp_path / "nowhere"), "--out", str(tmp_path / "k.csv"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
