"""Resampling family court areas instead of authorities: the saved run.

The simulation is ``validation/area_clusters.py`` (its docstring gives the design): 40
small worlds, the primary analysis with its bootstrap resampling local authorities and,
on the same random stream, family court areas. These tests check the saved run as the
other saved runs are checked -- every replicate is there, the first is what the code
computes today, the summary is the rows -- and the finding ``docs/validation.md``
reports: areas do not give a larger standard error, so dependence between neighbouring
authorities does not make the bootstrap of authorities too narrow in small worlds.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from validation import area_clusters


@pytest.fixture(scope="module")
def saved() -> pd.DataFrame:
    return area_clusters.study().read(area_clusters.CHUNKS)


def test_every_world_is_saved_once_for_both_resamplings(saved):
    fingerprint = json.loads((area_clusters.CHUNKS / "study.json").read_text())
    assert fingerprint["seed"] == area_clusters.SEED
    assert fingerprint["n_reps"] == area_clusters.REPLICATES
    assert saved["error"].isna().all()
    for cluster in area_clusters.CLUSTERS:
        reps = saved.loc[saved["method"] == cluster, "rep"]
        assert sorted(reps) == list(range(area_clusters.REPLICATES)), cluster


def test_the_resampling_changes_the_interval_not_the_estimate(saved):
    wide = saved.pivot(index="rep", columns="method", values="estimate")
    np.testing.assert_array_equal(wide["la_code"], wide["dfj_area"])
    se = saved.pivot(index="rep", columns="method", values="std_error")
    assert (se["la_code"] != se["dfj_area"]).all()


def test_the_first_world_is_what_the_code_computes(saved):
    again = area_clusters.study(1).run(progress=False)
    first = saved.loc[saved["rep"] == 0].set_index("method")
    for _, row in again.iterrows():
        expected = first.loc[row["method"]]
        for column in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
            assert np.isclose(row[column], expected[column], rtol=1e-9, atol=1e-12), column


def test_the_summary_is_the_rows(saved):
    summary = pd.read_csv(area_clusters.SUMMARY)
    pd.testing.assert_frame_equal(summary, area_clusters.summarise(saved), rtol=1e-12)


def test_family_court_areas_give_no_larger_standard_error(saved):
    # a ratio from 60 replicates is noisy (about 13% per world); the median of 40 is
    # good to about 3%, so "no larger" allows it a few points above 1
    summary = area_clusters.summarise(saved).iloc[0]
    assert summary["median_ratio"] < 1.05, summary
