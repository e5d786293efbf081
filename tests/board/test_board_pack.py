"""``outcomes board`` and ``board_pack``: what is written, one LA's own extract, and the
mistakes a user can make (exit code 2, a message naming the problem)."""

from __future__ import annotations

import base64
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from outcomes.board import BoardError, board_pack
from outcomes.cli import main

from .conftest import Built, largest

PANELS = [
    "headline",
    "trend",
    "duration_curves",
    "open_cases",
    "order_mix",
    "returns",
    "quadrant",
    "data_quality",
]


def _run(*args: str) -> subprocess.CompletedProcess:
    """``outcomes board`` in a process of its own, as a user starts it."""
    return subprocess.run(
        [sys.executable, "-m", "outcomes", "board", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def folder(small: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The session's 300-application world: what these tests check (the files written,
    # exit codes, messages) does not depend on the size of the world.
    return small.world.write(tmp_path_factory.mktemp("board") / "world")


def test_cli_writes_page_workbook_and_figures(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack"
    proc = _run(str(folder), "--area", "DFJ01", "--period", "2023Q4", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Headline figures, 2023Q4" in proc.stdout
    page = (out / "board.html").read_text(encoding="utf-8")
    # self-contained: no scripts, nothing fetched from elsewhere
    assert "<script" not in page and "http://" not in page and "https://" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert images and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert len(list((out / "figures").glob("*.png"))) == len(images)
    book = openpyxl.load_workbook(out / "tables.xlsx")
    for sheet in book.worksheets:
        assert "withheld" in str(sheet["A2"].value)  # the suppression note on each sheet
    # a second run into the folder it wrote is fine; a folder of someone else's is not
    # (the refusal in a real process too: its exit code is the user's)
    assert (
        main(["board", str(folder), "--area", "DFJ01", "--period", "2023", "--out", str(out)]) == 0
    )
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("x")
    refused = _run(str(folder), "--area", "DFJ01", "--period", "2023", "--out", str(theirs))
    assert refused.returncode == 2 and "not empty" in refused.stderr
    assert (theirs / "keep.txt").exists() and not (theirs / "board.html").exists()
    forced = ["--area", "DFJ01", "--period", "2023", "--out", str(theirs), "--overwrite"]
    assert main(["board", str(folder), *forced]) == 0 and (theirs / "board.html").exists()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "Atlantis", "--period", "2023Q4"], "DFJ areas: DFJ01"),
        (["--area", "DFJ01", "--period", "2023Q5"], "quarter like 2023Q4"),
        (["--area", "DFJ01", "--period", "2031"], "after the extract date"),
        (["--area", "DFJ01", "--period", "1990Q1"], "before the first case"),
        (["--area", "DFJ01", "--period", "2023Q4", "--jobs", "0"], "--jobs must be"),
    ],
)
def test_cli_mistakes_exit_2_with_a_clear_message(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    # in this process: the exit code and message come from the same ``main`` a user's
    # process runs (the refusal above shows exit 2 from a real process)
    code = main(["board", str(folder), *args, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_unknown_area_lists_the_valid_ones(small: Built) -> None:
    with pytest.raises(BoardError) as err:
        board_pack(small.world.dataset, area="E99999999", period="2023Q4")
    message = str(err.value)
    proceedings = small.world.dataset.proceedings
    assert all(code in message for code in proceedings["la_code"].unique())
    assert all(area in message for area in proceedings["dfj_area"].unique())


def test_one_las_own_extract_has_no_national_figures(national: Built) -> None:
    dataset = national.world.dataset
    la = largest(national.world, "la_code")
    own = dataclasses.replace(
        dataset, proceedings=dataset.proceedings.loc[dataset.proceedings["la_code"] == la]
    )
    pack = board_pack(own, area=la, period="2023")
    assert not pack.national
    assert [p.key for p in pack.panels] == PANELS
    for name in ("headline", "open_cases", "returns"):
        assert set(pack.tables[name]["national"]) <= {"[x]", "[z]"}
    # its own figures are there: the headline of a year of a large LA is published
    assert isinstance(pack.tables["headline"][la].iloc[0], int)
    readings = {p.key: p.reading for p in pack.panels}
    assert "national figure is not available" in readings["headline"]
    assert "not available" in readings["quadrant"]
    assert pack.panel("quadrant").figure is None


def test_national_pack_reads_its_numbers(national: Built) -> None:
    """Each reading quotes the area's published figures, compared with the nation's."""
    pack = national.pack
    assert pack.national and [p.key for p in pack.panels] == PANELS
    head = pack.tables["headline"].set_index("measure")
    mean = head.loc["average (mean) weeks to disposal"]
    reading = pack.panel("headline").reading
    assert f"of {mean[pack.area]:g} weeks" in reading.replace(".0 ", " ")
    assert f"national {mean['national']:g} weeks" in reading
    diff = round(mean[pack.area] - mean["national"], 1)
    word = "longer" if diff > 0 else "shorter"
    assert f"{abs(diff):g} weeks {word}" in reading
    for p in pack.panels:
        assert p.reading and p.definition
    assert all(pack.panel(k).figure is not None for k in ("trend", "returns", "quadrant"))


def test_quality_report_in_a_second_process_gives_the_same_pack(national: Built) -> None:
    area = largest(national.world, "dfj_area")
    two = board_pack(national.world.dataset, area=area, period="2023Q4", n_jobs=2)
    assert two.tables.keys() == national.pack.tables.keys()
    for name, table in national.pack.tables.items():
        pd.testing.assert_frame_equal(two.tables[name], table, obj=name)
    assert [p.reading for p in two.panels] == [p.reading for p in national.pack.panels]


@pytest.mark.parametrize("jobs", [0, -2])
def test_n_jobs_must_be_a_number_of_processes(small: Built, jobs: int) -> None:
    with pytest.raises(BoardError, match="n_jobs"):
        board_pack(small.world.dataset, area=small.pack.area, period="2023Q4", n_jobs=jobs)
