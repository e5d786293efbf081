"""``outcomes simulate``: the subcommand module on its own parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from outcomes.cli import simulate
from outcomes.errors import OutcomesError
from outcomes.io import read_dataset


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outcomes")
    sub = parser.add_subparsers(dest="command", required=True)
    simulate.add_parser(sub)
    return parser


def test_simulate_writes_dataset_truth_and_ssda903(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args(
        ["simulate", "--n-applications", "800", "--seed", "3", "--out", str(tmp_path),
         "--format", "csv", "--ssda903"]
    )  # fmt: skip
    assert args.func(args) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"manifest.toml", "proceedings.csv", "truth.json", "faults.csv", "ssda903"} <= names
    assert {p.name for p in (tmp_path / "ssda903").iterdir()} == {"header.csv", "episodes.csv"}
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["seed"] == 3 and truth["scenario"] == "default"
    out = capsys.readouterr()
    assert "wrote" in out.out
    assert "simulate" in out.err  # the progress bar goes to stderr


def test_simulate_no_faults_reads_back_clean(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["simulate", "--scenario", "strong", "--n-applications", "600", "--out", str(tmp_path),
         "--no-faults"]
    )  # fmt: skip
    assert args.func(args) == 0
    ds = read_dataset(tmp_path)
    assert ds.quarantine.empty
    assert ds.manifest.scenario == "strong"
    assert not (tmp_path / "faults.csv").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "no_such_scenario"],
        ["--scenario", "missing.toml"],
        ["--n-applications", "0"],
        ["--seed", "-1"],
    ],
)
def test_user_errors_are_outcomes_errors(tmp_path: Path, argv: list[str]) -> None:
    args = _parser().parse_args(["simulate", "--out", str(tmp_path), *argv])
    with pytest.raises(OutcomesError):
        args.func(args)
