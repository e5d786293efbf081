"""The ``outcomes`` command as a user meets it: a real process, exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from outcomes.cli import main
from outcomes.datasets import example_path

BAD = Path(__file__).parent / "data" / "bad"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *args], capture_output=True, text=True, check=False
    )


def test_validate_folder_in_a_process() -> None:
    done = run("validate", str(example_path()))
    assert done.returncode == 1
    assert "proceedings.csv:5:final_order" in done.stdout
    assert "kept + quarantined = read" in done.stdout


def test_structural_error_in_a_process_has_no_traceback() -> None:
    done = run("validate", str(BAD / "windows_1252.csv"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "windows_1252.csv:5:dfj_area" in done.stderr
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback() -> None:
    done = run("--debug", "validate", str(BAD / "empty.csv"))
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_unexpected_failure_is_reported_not_dumped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("outcomes.io.read_dataset", broken)
    assert main(["validate", str(example_path())]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_demo_runs_end_to_end_on_a_small_world(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the real demo's code path on a small world with few replicates (the full-size
    # run and its 60-second target are benchmarks/bench_demo.py's business)
    out = tmp_path / "demo-output"
    args = ["--n-applications", "2000", "--n-boot", "4", "--horizons", "2", "--n-jobs", "1"]
    assert main(["demo", *args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed and "The data are synthetic." in printed
    assert "The truth:" in printed and "Headline estimates" in printed
    assert (out / "report.html").exists() and (out / "estimates.csv").exists()
    written = {f.stem for f in (out / "figures").glob("*.png")}
    assert written == {
        "cumulative_incidence",
        "forest",
        "dose_response",
        "love_plot",
        "propensity_overlap",
        "weights",
    }
    assert "SYNTHETIC DATA" in (out / "report.html").read_text(encoding="utf-8")
