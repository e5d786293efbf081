"""Case progression: expected numbers passing 26 and 40 weeks are calibrated.

Back-test: look at a synthetic world as it stood at an earlier date (everything later
hidden), predict how many open cases pass each horizon, and count how many then did.
The world's durations are made stable over time (flat median and spread), so the only
differences are chance: the check is within Monte Carlo error.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.kpi import KPIError, case_progression

DEFAULT = Path(synthetic.__file__).parent / "scenarios" / "default.toml"


@pytest.fixture(scope="module")
def stable_world(tmp_path_factory) -> synthetic.World:
    text = DEFAULT.read_text()
    n = len(re.search(r"^median_weeks = \{ value = \[([^\]]*)\]", text, re.M).group(1).split(","))
    text = re.sub(
        r"^median_weeks = \{ value = \[[^\]]*\]",
        "median_weeks = { value = [" + ", ".join(["30.0"] * n) + "]",
        text,
        flags=re.M,
    )
    text = re.sub(
        r"^sigma = \{ value = \[[^\]]*\]",
        "sigma = { value = [" + ", ".join(["0.55"] * n) + "]",
        text,
        flags=re.M,
    )
    path = tmp_path_factory.mktemp("scenario") / "stable.toml"
    path.write_text(text)
    return synthetic.generate(path, n_applications=4000, seed=5, faults=False)


def _applications(clean: pd.DataFrame) -> pd.DataFrame:
    g = clean.groupby("proceedings_id")
    any_open = clean["disposal_date"].isna().groupby(clean["proceedings_id"]).any()
    return pd.DataFrame(
        {
            "issue_date": g["issue_date"].min(),
            "disposal_date": g["disposal_date"].max().mask(any_open),
        }
    )


def test_expected_counts_are_calibrated(stable_world):
    clean = stable_world.clean[["proceedings_id", "la_code", "issue_date", "disposal_date"]]
    extract = stable_world.dataset.manifest.extract_date
    apps = _applications(clean)
    z_scores, observed, expected, sds = [], 0, 0.0, 0.0
    for years in (1.5, 2.0, 3.0, 4.0, 5.0, 6.0):
        as_of = extract - pd.DateOffset(days=int(365.25 * years))
        res = case_progression(
            clean, as_of, extract_date=extract, unit="application", suppression=False
        )
        seen = apps[(apps.issue_date <= as_of) & ~(apps.disposal_date <= as_of)]
        weeks_open = (as_of - seen.issue_date).dt.days / 7
        duration = (seen.disposal_date.fillna(extract) - seen.issue_date).dt.days / 7
        assert len(res.cases) == len(seen)
        for h in (26,):
            not_yet = weeks_open < h
            o = int((duration[not_yet] > h).sum())
            a = res.areas
            e = float(a[f"expected_to_pass_{h}"].sum())
            # per-area sds from the (unclipped) normal interval; areas are independent
            sd_area = (a[f"ci_upper_{h}"] - a[f"ci_lower_{h}"]) / (2 * 1.959964)
            sd = float(np.sqrt((sd_area**2).sum()))
            z_scores.append((o - e) / sd)
            observed += o
            expected += e
            sds += sd
    z = np.array(z_scores)
    # six back-tests, each within 3 SD; pooled, within 3 SD even if the tests were
    # perfectly correlated (they share curves), i.e. 3 * (sum of the SDs)
    assert np.abs(z).max() < 3, z
    assert abs(observed - expected) < 3 * sds, (observed, expected, sds)
    assert abs(z.mean()) < 2, z


def test_cases_and_areas_tables(stable_world):
    data = stable_world.dataset
    res = case_progression(data, by="dfj_area")
    c, a = res.cases, res.areas
    assert not {"child_id", "proceedings_id", "mother_id"} & set(c.columns)
    assert ((c["p_pass_26"] >= 0) & (c["p_pass_26"] <= 1)).all()
    assert (c.loc[c.weeks_open >= 26, "p_pass_26"] == 1).all()
    # passing 40 weeks needs passing 26 first
    assert (c["p_pass_40"] <= c["p_pass_26"] + 1e-12).all()
    shown = a["open"].notna()
    assert ((a.loc[shown, "open"] >= 10) | (a.loc[shown, "open"] == 0)).all()
    ok = a["expected_to_pass_26"].notna() & (a["expected_to_pass_26"] > 0)
    assert (a.loc[ok, "ci_lower_26"] <= a.loc[ok, "expected_to_pass_26"]).all()
    assert (a.loc[ok, "ci_upper_26"] > a.loc[ok, "ci_lower_26"]).all()


def test_progression_mistakes():
    df = pd.DataFrame(
        {
            "la_code": ["A"],
            "issue_date": pd.to_datetime(["2020-01-01"]),
            "disposal_date": pd.NaT,
        }
    )
    with pytest.raises(KPIError, match="as_of"):
        case_progression(df)
    with pytest.raises(KPIError, match="after the extract"):
        case_progression(df, "2021-01-01", extract_date="2020-06-01")


def test_cases_between_the_horizons_are_never_a_small_count(stable_world):
    """Past 40 weeks is nested in past 26, which is nested in the open cases: the cases
    open between 26 and 40 weeks (a difference of two published counts) are never 1-9."""
    from outcomes.kpi import case_progression

    areas = case_progression(stable_world.dataset, by="la_code").areas
    both = areas[["past_26_weeks", "past_40_weeks"]].dropna()
    assert len(both) >= 3
    gap = both["past_26_weeks"] - both["past_40_weeks"]
    assert not gap.between(1, 9).any()
    raw = case_progression(stable_world.dataset, by="la_code", suppression=False).areas
    raw_gap = raw["past_26_weeks"] - raw["past_40_weeks"]
    assert raw_gap.between(1, 9).any()  # the rule had something to do
