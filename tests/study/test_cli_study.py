"""``outcomes study`` as a user meets it: exit codes, files written, no tracebacks.

One small world (about 3,000 applications), one horizon and four bootstrap replicates
keep the study run within CI's budget; it runs once for the module.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.cli import main
from outcomes.datasets import example_path
from outcomes.io import write_dataset
from outcomes.study.estimates import COLUMNS
from outcomes.study.methods import cluster_bootstrap, start_workers

BAD = Path(__file__).parents[1] / "data" / "bad"
FIGURES = {
    "cumulative_incidence",
    "love_plot",
    "propensity_overlap",
    "weights",
    "forest",
    "dose_response",
}


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = synthetic.generate("default", n_applications=3_000, seed=1)
    return write_dataset(world.dataset, tmp_path_factory.mktemp("world"), format="csv")


@pytest.fixture(scope="module")
def study_run(
    dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, str, str, Path]:
    out = tmp_path_factory.mktemp("study") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(
            ["study", str(dataset_dir), "--out", str(out), "--horizons", "2", "--n-boot", "4"]
        )
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_study_exits_zero_and_prints_the_headline(study_run: tuple[int, str, str, Path]) -> None:
    code, out, err, _ = study_run
    assert code == 0, err
    assert "Headline estimates" in out
    assert "iptw_aalen_johansen" in out and "hazard_ratio" in out
    assert "Traceback" not in err


def test_study_writes_report_estimates_and_figures(
    study_run: tuple[int, str, str, Path],
) -> None:
    _, _, _, out = study_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    estimates = pd.read_csv(out / "estimates.csv")
    assert list(estimates.columns) == COLUMNS
    assert set(estimates["horizon_years"].dropna()) == {2.0}
    assert {p.stem for p in (out / "figures").glob("*.png")} == FIGURES
    for png in (out / "figures").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_manifest_is_a_structural_error_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "study", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "manifest.toml" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_unreadable_proceedings_is_a_structural_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(example_path(), folder)
    shutil.copy(BAD / "missing_required_column.csv", folder / "proceedings.csv")
    assert main(["study", str(folder), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


@pytest.mark.parametrize(
    "options",
    [["--n-boot", "1"], ["--horizons", "two"], ["--horizons", "0"], ["--threshold-weeks", "0"]],
)
def test_bad_options_exit_2(
    options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", str(example_path()), "--out", str(tmp_path), *options]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_not_a_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "not a dataset folder" in capsys.readouterr().err


def test_parallel_bootstrap_matches_serial_for_a_seed() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"la_code": np.repeat([f"E{k}" for k in range(12)], 5), "y": rng.normal(size=60)}
    )

    def mean(sample: pd.DataFrame) -> np.ndarray:
        return np.array([sample["y"].mean(), sample["y"].std()])

    serial = cluster_bootstrap(frame, mean, 8, np.random.default_rng(7))
    parallel = cluster_bootstrap(frame, mean, 8, np.random.default_rng(7), n_jobs=2)
    assert serial.shape == (8, 2)
    np.testing.assert_array_equal(serial, parallel)


def test_workers_started_early_serve_the_bootstrap() -> None:
    import os

    from joblib import Parallel, delayed

    ready = start_workers(2, "outcomes.policy.gformula")
    ready()
    # the pool the bootstrap's next parallel call uses is the one just started: its
    # processes have the estimator's module imported already
    imported = Parallel(n_jobs=2)(
        delayed(_has_module)("outcomes.policy.gformula") for _ in range(4)
    )
    assert all(imported)
    assert os.getpid() not in Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(2))
    frame = pd.DataFrame({"la_code": np.repeat(list("ABCDEFGH"), 3), "y": np.arange(24.0)})

    def mean(sample: pd.DataFrame) -> np.ndarray:
        return np.array([sample["y"].mean()])

    np.testing.assert_array_equal(
        cluster_bootstrap(frame, mean, 6, np.random.default_rng(1), n_jobs=2),
        cluster_bootstrap(frame, mean, 6, np.random.default_rng(1)),
    )


def _has_module(name: str) -> bool:
    import sys

    return name in sys.modules
