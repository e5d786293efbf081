"""An LA's own extract, from the raw file to the study, as a new analyst would run it.

The raw file (``tests/data/la_extract/westshire_cases.csv``) is one authority's export
in its own layout -- its own headers, UK dates, local order labels, no la_code or
dfj_area columns -- made by an independent simulator with a known harm of short
proceedings (``truth.json``). It goes through ``outcomes import`` and ``outcomes
study`` in a subprocess, as at the terminal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[1] / "data" / "la_extract"


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def study_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("own_extract")
    imported = _cli(
        "import",
        DATA / "westshire_cases.csv",
        "--mapping",
        DATA / "westshire_mapping.toml",
        "--out",
        root / "dataset",
        "--extract-date",
        "2024-03-31",
    )
    assert imported.returncode == 0, imported.stderr
    ran = _cli(
        "study", root / "dataset", "--out", root / "study", "--horizons", "1,2", "--n-boot", "10"
    )
    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    return root / "study", ran.stdout


def test_study_runs_on_a_one_la_extract(study_out: tuple[Path, str]) -> None:
    out, stdout = study_out
    assert "Headline estimates" in stdout
    assert (out / "report.html").is_file()
    estimates = pd.read_csv(out / "estimates.csv")
    primary = estimates.loc[
        (estimates["method"] == "iptw_aalen_johansen")
        & (estimates["estimand"] == "risk_difference")
        & (estimates["horizon_years"] == 2)
    ]
    assert len(primary) == 1
    # published only where each arm has at least 10 returns by 2 years, and 10 without:
    # on one authority's extract it may be withheld, and the report then says why
    if primary["estimate"].isna().all():
        page = (out / "report.html").read_text(encoding="utf-8")
        assert "risk differences at 2 years are not published" in page


def test_own_extract_intervals_are_honest(study_out: tuple[Path, str]) -> None:
    """Every interval has positive width, the report names the number of local
    authorities and the variance used, and the primary 2-year risk difference's
    interval covers the simulator's truth.
    """
    out, stdout = study_out
    estimates = pd.read_csv(out / "estimates.csv")
    with_ci = estimates.dropna(subset=["ci_lower", "ci_upper"])
    assert len(with_ci) > 0
    assert (with_ci["ci_upper"] > with_ci["ci_lower"]).all(), with_ci.loc[
        with_ci["ci_upper"] <= with_ci["ci_lower"], ["method", "estimand"]
    ]
    report = (out / "report.html").read_text(encoding="utf-8").lower()
    assert "one local authority" in report and "variance" in report
    truth = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
    # the analyst's own terminal shows the headline unpublished (estimates.csv may
    # withhold small-count risks): "iptw_aalen_johansen risk_difference (pp) 2 est lo hi"
    line = next(
        row
        for row in stdout.splitlines()
        if row.split()[:2] == ["iptw_aalen_johansen", "risk_difference"] and " 2 " in row
    )
    lower, upper = (float(v) / 100 for v in line.split()[-2:])
    assert lower <= truth["risk_difference_2y"] <= upper
