"""Degenerate inputs are reported, not fatal; a user's mistake at the CLI is exit 2.

A small extract has constant columns (every child the only one in their sibling group),
empty ones, duplicated ones under another name, one order type for everyone, and
periods in which every case went one way. The study drops what carries no information,
says why, and goes on; what cannot be estimated is left out with the reason.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.causal import PositivityWarning
from outcomes.cli import main
from outcomes.errors import OutcomesError
from outcomes.io import write_dataset
from outcomes.schema import Dataset
from outcomes.study import RushedDisposalStudy
from outcomes.study.frame import analysis_frame
from outcomes.study.report import render
from tests.study.test_few_clusters import one_la_world


def with_columns(dataset: Dataset, **columns: object) -> Dataset:
    """The dataset with extra proceedings columns, declared as covariates."""
    proceedings = dataset.proceedings.assign(**columns)
    manifest = dataclasses.replace(
        dataset.manifest, covariates=[*dataset.manifest.covariates, *columns]
    )
    return dataclasses.replace(dataset, proceedings=proceedings, manifest=manifest)


@pytest.fixture(scope="module")
def one_la() -> Dataset:
    return one_la_world().dataset


def test_constant_empty_and_collinear_confounders_are_dropped_and_named(one_la: Dataset) -> None:
    rng = np.random.default_rng(0)
    n = len(one_la.proceedings)
    a = rng.normal(size=n)
    data = with_columns(one_la, const=1.0, empty=np.nan, a=a, b=2 * a + 1)
    # every child alone in their sibling group: the extract that stopped the study
    data.proceedings["proceedings_id"] = [f"P{k}" for k in range(n)]
    af = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=None)
    report = af.report.set_index("confounder")
    assert report.loc["const", "reason"] == "constant"
    assert report.loc["empty", "reason"] == "all missing"
    assert report.loc["b", "reason"] == "exactly collinear with a"
    assert report.loc["sibling_group_size", "reason"] == "constant"
    assert report.loc["a", "status"] == "used"
    assert not {"const", "empty", "b", "sibling_group_size"} & set(af.confounders)

    result = RushedDisposalStudy(data, n_boot=4, sensitivity=False, mediation=False, seed=1).run()
    text = result.summary_text()
    assert "const (constant)" in text and "b (exactly collinear with a)" in text
    assert "exactly collinear with a" in render(result)
    assert result.diagnostics["mediation"]["skipped"].startswith("not requested")


def test_one_order_for_everyone_skips_mediation_with_the_reason(one_la: Dataset) -> None:
    proceedings = one_la.proceedings.copy()
    proceedings.loc[proceedings["final_order"].notna(), "final_order"] = "care_order"
    data = dataclasses.replace(one_la, proceedings=proceedings)
    result = RushedDisposalStudy(data, n_boot=4, seed=2).run()  # mediation on, sensitivity on
    reason = result.diagnostics["mediation"]["skipped"]
    assert "one level" in reason
    assert "mediation" not in set(result.estimates["method"])
    assert reason in result.summary_text() and "Mediation: " in render(result)


def test_an_empty_arm_in_a_period_is_reported(one_la: Dataset) -> None:
    proceedings = one_la.proceedings.copy()
    early = pd.to_datetime(proceedings["issue_date"]).dt.year <= 2013
    closed = early & proceedings["disposal_date"].notna()
    proceedings.loc[closed, "disposal_date"] = pd.to_datetime(
        proceedings.loc[closed, "issue_date"]
    ) + pd.Timedelta(weeks=10)
    data = dataclasses.replace(one_la, proceedings=proceedings)
    with pytest.warns(PositivityWarning, match="overlap"):  # warned, and not fatal
        result = RushedDisposalStudy(data, n_boot=4, sensitivity=False, mediation=False).run()
    cells = result.diagnostics["positivity_cells"]
    assert cells.to_dict("records") == [
        {"variable": "issue_period", "level": "to 2013", "empty_arm": "later"}
    ]
    assert "No child of issue period to 2013 was disposed of after it" in render(result)


def test_a_misspelt_confounder_is_an_error_naming_it(one_la: Dataset) -> None:
    with pytest.raises(OutcomesError, match="unknown confounder column.*mothr_age"):
        analysis_frame(
            one_la,
            outcome="child_return",
            threshold_weeks=26,
            confounders=["child_age_at_issue", "mothr_age"],
        )


# --- the command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_la_dir(one_la: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(one_la, tmp_path_factory.mktemp("one_la"), format="csv")


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["study", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--horizons", "nan"], "finite"),
        (["--horizons", "1,inf"], "finite"),
        (["--horizons", "2,60"], "beyond the longest follow-up in the data"),
        (["--confounders", "child_age_at_issue,mothr_age"], "mothr_age"),
    ],
)
def test_user_mistakes_exit_2_with_a_clear_message(
    one_la_dir: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    code, _, err = run_cli(str(one_la_dir), "--out", str(tmp_path / "o"), *options)
    assert code == 2, err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_out_that_is_a_file_exits_2(one_la_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = run_cli(str(one_la_dir), "--out", str(target))
    assert code == 2 and "not a folder" in err
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_twenty_row_dataset_exits_2(one_la: Dataset, tmp_path: Path) -> None:
    tiny = dataclasses.replace(one_la, proceedings=one_la.proceedings.head(20))
    folder = write_dataset(tiny, tmp_path / "tiny", format="csv")
    code, _, err = run_cli(str(folder), "--out", str(tmp_path / "o"))
    assert code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err


def test_no_mediation_option(one_la_dir: Path, tmp_path: Path) -> None:
    code, _, err = run_cli(
        str(one_la_dir), "--out", str(tmp_path / "o"), "--n-boot", "4", "--no-mediation"
    )
    assert code == 0, err
    estimates = pd.read_csv(tmp_path / "o" / "estimates.csv")
    assert "mediation" not in set(estimates["method"])
    assert "iptw_aalen_johansen" in set(estimates["method"])
