"""Under no effect, does the study's test reject at its nominal 5%?

The simulation is ``validation/power_null.py`` (its docstring gives the design): 400
worlds of a ten-authority evaluation from the ``null`` scenario, the marginal 2-year
risk difference dialled to zero, each analysed by ``RushedDisposalStudy.primary()`` with
the study's 200 bootstrap replicates; a first run of the same worlds with 50 replicates
is kept beside it. These tests check the saved runs, as the coverage tests do: every
replicate is there with its seeded stream, the first is what the code computes today;
the estimates centre on the null with standard errors that match their spread, and both
tests reject at their nominal rate within Monte Carlo error. The test of no difference
uses the variance at the pooled risk (``outcomes.study.estimates.null_variance``): a Wald
test with each world's own standard error would have rejected too often, and one-sidedly
-- most of its rejections are of low estimates, whose standard errors are smaller (a
risk difference's variance grows with the risks it compares). These tests assert both
the size and that explanation (``docs/simulation.md``).
"""

from __future__ import annotations

import glob
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from outcomes.simulation import SimulationStudy
from outcomes.simulation import power as pw
from validation import power_null

CHUNKS = power_null.OUT / "chunks"


def _read(chunks: Path) -> pd.DataFrame:
    files = sorted(glob.glob(str(chunks / "chunk-*.parquet")))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def saved() -> pd.DataFrame:
    return _read(CHUNKS)


@pytest.fixture(scope="module")
def earlier() -> pd.DataFrame:
    return _read(power_null.EARLIER / "chunks")


@pytest.fixture(scope="module")
def fingerprint() -> dict:
    return json.loads((CHUNKS / "study.json").read_text())


@pytest.mark.parametrize("run", ["saved", "earlier"])
def test_every_replicate_is_saved_once(run, fingerprint, request):
    rows = request.getfixturevalue(run)
    assert fingerprint["n_reps"] == power_null.REPLICATES == 400
    assert fingerprint["seed"] == power_null.SEED
    assert rows["error"].isna().all()
    for method in pw.METHODS:
        reps = rows.loc[rows["estimand"] == method, "rep"]
        assert sorted(reps) == list(range(power_null.REPLICATES)), method


def test_both_runs_analysed_the_same_worlds(saved, earlier):
    # same seeds, so the same worlds and estimates; only the bootstrap differs
    earlier_json = json.loads((power_null.EARLIER / "chunks" / "study.json").read_text())
    assert earlier_json == json.loads((CHUNKS / "study.json").read_text())
    key = ["estimand", "rep"]
    a, b = saved.set_index(key).sort_index(), earlier.set_index(key).sort_index()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)


def test_the_dialled_in_null_is_zero(fingerprint):
    columns, values = fingerprint["design"]["columns"], fingerprint["design"]["data"][0]
    design = dict(zip(columns, values, strict=True))
    assert design["effect"] == 0.0
    point = {k: design[k] for k in ("n_las", "years")}
    hr, achieved = pw.hazard_ratio_for("null", point, 0.0)
    assert hr == pytest.approx(design["hr_short"], rel=1e-9)
    assert abs(achieved) <= pw.EFFECT_TOL


@pytest.mark.parametrize("method", list(pw.METHODS))
def test_estimates_centre_on_the_null_with_calibrated_standard_errors(saved, method):
    rows = saved.loc[saved["estimand"] == method]
    spread = rows["estimate"].std(ddof=1)
    assert abs(rows["estimate"].mean()) < 3 * spread / math.sqrt(len(rows))
    assert 0.9 < rows["std_error"].mean() / spread < 1.1


@pytest.mark.parametrize("method", list(pw.METHODS))
def test_both_tests_reject_at_the_nominal_rate(saved, method):
    rows = saved.loc[saved["estimand"] == method]
    rate = float((rows["p_value"] <= 0.05).mean())
    assert abs(rate - 0.05) <= 2 * math.sqrt(0.05 * 0.95 / len(rows)), rate


def test_saved_summary_is_the_replicates(saved):
    summary = pd.read_csv(power_null.OUT / "summary.csv").set_index("method")
    for method in pw.METHODS:
        rows = saved.loc[saved["estimand"] == method]
        rate = float((rows["p_value"] <= 0.05).mean())
        assert summary.loc[method, "power"] == pytest.approx(rate, abs=1e-12)
        assert summary.loc[method, "n_reps"] == len(rows) == power_null.REPLICATES
    # what the docs report for the primary analysis, with 200 replicates and with 50
    assert summary.loc["iptw_aalen_johansen", "power"] == pytest.approx(0.0525)
    first = pd.read_csv(power_null.EARLIER / "summary.csv").set_index("method")
    assert first.loc["iptw_aalen_johansen", "power"] == pytest.approx(0.0625)


def test_a_quarter_of_the_replicates_keep_the_size(saved, earlier):
    """50 bootstrap replicates instead of 200: the size moves within Monte Carlo error."""
    primary = "iptw_aalen_johansen"
    rates = [float((r.loc[r["estimand"] == primary, "p_value"] <= 0.05).mean())
             for r in (saved, earlier)]  # fmt: skip
    mcse = math.sqrt(0.05 * 0.95 / power_null.REPLICATES)
    assert abs(rates[0] - rates[1]) < 2 * mcse, rates
    assert abs(rates[1] - 0.05) <= 2 * mcse, rates


def _wald(rows: pd.DataFrame) -> pd.Series:
    """Rejections of the Wald test with each world's own standard error."""
    z = (rows["estimate"] / rows["std_error"]).abs()
    return pd.Series(2 * stats.norm.sf(z) <= 0.05, index=rows.index)


def test_the_wald_test_with_the_worlds_own_standard_error_rejects_too_often(saved):
    primary = saved.loc[saved["estimand"] == "iptw_aalen_johansen"]
    wald = _wald(primary)
    mcse = math.sqrt(0.05 * 0.95 / len(primary))
    assert wald.mean() > 0.05 + mcse  # the excess the pooled variance removes
    assert wald.mean() > (primary["p_value"] <= 0.05).mean()


@pytest.mark.parametrize("method", list(pw.METHODS))
def test_the_wald_excess_is_in_the_lower_tail_where_standard_errors_are_smaller(saved, method):
    rows = saved.loc[saved["estimand"] == method]
    rejected = rows.loc[_wald(rows), "estimate"]
    assert (rejected < 0).sum() > 2 * (rejected > 0).sum()
    assert np.corrcoef(rows["estimate"], rows["std_error"])[0, 1] > 0.3


@pytest.mark.slow
def test_the_first_world_is_what_the_code_computes(saved, fingerprint):
    design = pd.DataFrame(fingerprint["design"]["data"], columns=fingerprint["design"]["columns"])
    study = SimulationStudy(
        lambda params, rng: pw._generate("null", params, rng),
        {
            "study": lambda data, params: pw.analyse_primary(
                data, params, horizon=pw.HORIZON, n_boot=power_null.N_BOOT, alpha=0.05
            )
        },
        n_reps=1,
        seed=power_null.SEED,
        design=design,
    )
    again = study.run(progress=False)
    first = saved.loc[saved["rep"] == 0].set_index("estimand")
    for _, row in again.iterrows():
        expected = first.loc[row["estimand"]]
        # the test and its inputs; the interval's shape follows the study's current rule
        for column in ("estimate", "std_error", "p_value"):
            assert np.isclose(row[column], expected[column], rtol=1e-9, atol=1e-12), column
