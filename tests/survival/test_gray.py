"""Unit tests of outcomes.survival.gray_test (the cmprsk comparisons are in
test_cumulative_incidence_reference.py, class CumincReference.test_gray)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from outcomes.errors import SchemaError
from outcomes.survival import gray_test


def _data(n: int, seed: int, effect: float = 1.0, groups: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    t1 = rng.exponential(10.0 / np.where(g == 1, effect, 1.0))
    t2 = rng.exponential(15.0, n)
    c = rng.exponential(20.0, n)
    t = np.minimum.reduce([t1, t2, c])
    status = np.select([t == t1, t == t2], [1, 2], 0)
    return pd.DataFrame(
        {
            "time": np.ceil(t * 2) / 2,
            "status": status,
            "group": np.array(["ctl", "trt", "oth"])[g],
            "site": rng.choice(["n", "s"], n),
        }
    )


def test_output_layout() -> None:
    df = _data(300, seed=1)
    out = gray_test(df, "time", "status", by="group", event_of_interest=None)
    assert list(out.columns) == ["event", "statistic", "df", "p_value"]
    assert out["event"].tolist() == [1, 2]
    assert (out["df"] == 1).all()
    np.testing.assert_allclose(out["p_value"], stats.chi2.sf(out["statistic"], 1))
    assert out.attrs["rho"] == 0.0
    assert out.attrs["groups"] == ["ctl", "trt"]


def test_detects_a_real_difference() -> None:
    df = _data(600, seed=2, effect=2.0)
    out = gray_test(df, "time", "status", by="group", event_of_interest=1)
    assert out["p_value"].iloc[0] < 1e-4


def test_invariant_to_group_labels_and_row_order() -> None:
    df = _data(400, seed=3, effect=1.5, groups=3)
    base = gray_test(df, "time", "status", by="group", event_of_interest=None)
    relabelled = df.assign(group=df["group"].map({"ctl": "z", "trt": "a", "oth": "m"}))
    shuffled = relabelled.sample(frac=1.0, random_state=np.random.RandomState(1))
    other = gray_test(shuffled, "time", "status", by="group", event_of_interest=None)
    np.testing.assert_allclose(other["statistic"], base["statistic"], rtol=1e-10)
    assert (other["df"] == 2).all()


def test_identical_groups_give_zero() -> None:
    half = _data(150, seed=4).assign(group="a")
    df = pd.concat([half, half.assign(group="b")], ignore_index=True)
    out = gray_test(df, "time", "status", by="group", event_of_interest=None)
    np.testing.assert_allclose(out["statistic"], 0.0, atol=1e-20)
    np.testing.assert_allclose(out["p_value"], 1.0)


def test_one_stratum_is_unstratified() -> None:
    df = _data(300, seed=5).assign(one="x")
    a = gray_test(df, "time", "status", by="group", event_of_interest=None)
    b = gray_test(df, "time", "status", by="group", event_of_interest=None, strata="one")
    pd.testing.assert_frame_equal(a, b)
    c = gray_test(df, "time", "status", by="group", event_of_interest=None, strata="site")
    assert not np.allclose(a["statistic"], c["statistic"])


def test_rho_changes_the_weighting() -> None:
    df = _data(300, seed=6, effect=1.5)
    a = gray_test(df, "time", "status", by="group", rho=0)
    b = gray_test(df, "time", "status", by="group", rho=2)
    assert b.attrs["rho"] == 2
    assert not np.isclose(a["statistic"].iloc[0], b["statistic"].iloc[0])


def test_size_under_the_null() -> None:
    # 300 null data sets at the 5% level: the rejection rate should be near 0.05
    # (binomial sd about 0.013).
    rejections = [
        gray_test(_data(120, seed=1000 + i), "time", "status", by="group")["p_value"].iloc[0]
        < 0.05
        for i in range(300)
    ]
    assert 0.02 <= np.mean(rejections) <= 0.09


def test_errors() -> None:
    df = _data(50, seed=7)
    with pytest.raises(SchemaError, match="'arm'"):
        gray_test(df, "time", "status", by="arm")
    with pytest.raises(ValueError, match="at least two groups"):
        gray_test(df.assign(group="a"), "time", "status", by="group")
    with pytest.raises(ValueError, match="does not occur"):
        gray_test(df, "time", "status", by="group", event_of_interest=3)
    with pytest.raises(ValueError, match="rho"):
        gray_test(df, "time", "status", by="group", rho=np.inf)
