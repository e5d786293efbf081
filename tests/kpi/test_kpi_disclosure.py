"""Published KPI tables: no small count recoverable, and no needless withholding.

The attacker knows every published figure and, cautiously, every margin total: the
national count per period and each area's count over all periods, for disposals, for
disposals within 26 weeks and for those after. From a published rate and n they get
the count within and after; from a margin with one unknown cell they get that cell;
they repeat until nothing new is learnt. No count they learn may be under 10 (zeros
are published as zeros). A margin total is published under the same rule: not when it
is under 10, and the totals within and after 26 weeks (a published rate) not when
either is under 10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.disclosure import suppression_mask
from outcomes.kpi import timeliness

THRESHOLD = 10


def _attack(true: pd.DataFrame, published: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """What the attacker learns: DataFrame of known cell values (NaN where unknown)."""
    pct = "pct_within_26_weeks"
    n_true = true["disposals"].to_numpy(float)
    w_true = np.round(true[pct].to_numpy(float) * n_true / 100)
    truth = {"n": n_true, "w": w_true, "o": n_true - w_true}
    n_pub = published["disposals"].astype("Float64").to_numpy(float, na_value=np.nan)
    p_pub = published[pct].astype("Float64").to_numpy(float, na_value=np.nan)
    known = {"n": n_pub, "w": np.round(p_pub * n_pub / 100)}
    known["o"] = known["n"] - known["w"]
    margins = [["period"], by] if by else [[]]
    blocks = [
        true.groupby(m, sort=False).ngroup().to_numpy() if m else np.zeros(len(true), int)
        for m in margins
    ]
    for _ in range(50):
        before = sum(np.isfinite(v).sum() for v in known.values())
        # n = w + o in every cell
        for a, b, c in (("n", "w", "o"), ("w", "n", "o"), ("o", "n", "w")):
            if a == "n":
                fill = known["w"] + known["o"]
            else:
                fill = known[b] - known[c]
            known[a] = np.where(np.isfinite(known[a]), known[a], fill)
        # margins: a total minus the known cells gives a single unknown cell
        for block in blocks:
            for key in ("n", "w", "o"):
                for b in np.unique(block):
                    rows = np.flatnonzero(block == b)
                    if len(rows) < 2:
                        # the total of one cell is that cell: the margin table shows it
                        # exactly when this table does (same data, same rule)
                        continue
                    unknown = rows[~np.isfinite(known[key][rows])]
                    total = truth[key][rows].sum()
                    # a published total obeys the rule too: a small one is withheld,
                    # and totals within/after come from a published rate, withheld
                    # when either of them is small
                    parts = ("w", "o") if key in ("w", "o") else ("n",)
                    safe = all(
                        truth[k][rows].sum() == 0 or truth[k][rows].sum() >= THRESHOLD
                        for k in parts
                    )
                    if len(unknown) == 1 and safe:
                        known[key][unknown[0]] = total - np.nansum(known[key][rows])
        if sum(np.isfinite(v).sum() for v in known.values()) == before:
            break
    return pd.DataFrame({f"{k}_known": v for k, v in known.items()}).assign(
        **{f"{k}_true": v for k, v in truth.items()}
    )


def _assert_safe(found: pd.DataFrame) -> None:
    for key in ("n", "w", "o"):
        learnt = found[f"{key}_known"].notna()
        np.testing.assert_allclose(
            found.loc[learnt, f"{key}_known"], found.loc[learnt, f"{key}_true"]
        )
        small = found.loc[learnt, f"{key}_true"].between(1, THRESHOLD - 1)
        assert not small.any(), (
            f"{key}: {found.loc[learnt & small.reindex(found.index, fill_value=False)]}"
        )


@pytest.mark.parametrize("by", [["la_code"], ["dfj_area"], []])
@pytest.mark.parametrize("period", ["quarter", "year"])
def test_no_small_count_recoverable_from_timeliness_tables(world, by, period):
    true = timeliness(world.dataset, by=by, period=period, suppression=False)
    published = timeliness(world.dataset, by=by, period=period)
    assert (true["period"] == published["period"]).all()
    found = _attack(true, published, by)
    _assert_safe(found)
    # the attack is not empty: most published cells are learnt
    assert found["n_known"].notna().sum() >= published["disposals"].notna().sum()


def _one_la_world(seed: int = 8) -> pd.DataFrame:
    """One local authority, nine years of about 80 disposals; 2021 was very slow."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(2015, 2024):
        n = 80
        median = 48.0 if year == 2021 else 28.0
        weeks = median * np.exp(rng.normal(0, 0.25 if year == 2021 else 0.35, n))
        disposal = pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")
        issue = disposal - pd.to_timedelta(np.round(weeks * 7), "D")
        rows.append(
            pd.DataFrame({"la_code": "E1", "issue_date": issue, "disposal_date": disposal})
        )
    return pd.concat(rows, ignore_index=True)


def test_one_la_yearly_table_is_not_wiped_out():
    """Nested counts treated as additive withhold more years; nested-aware, only two."""
    df = _one_la_world()
    true = timeliness(df, by=("la_code",), period="year", suppression=False)
    within = np.round(true["pct_within_26_weeks"] * true["disposals"] / 100).astype(int)
    assert (within.between(1, 9)).sum() == 1  # only 2021 has a small count
    # the by-hand way: disposals and disposals within 26 weeks as two additive counts
    hand = pd.DataFrame({"disposals": true["disposals"], "within": within})
    old = suppression_mask(hand, ["disposals", "within"])
    published = timeliness(df, by=("la_code",), period="year")
    # additive treatment: the small count drags its year's disposals, which drags a
    # other years' disposals through the column total, and their counts within
    assert old["disposals"].sum() >= 2 and old["within"].sum() >= 2
    # nested-aware: the two percentages only; every year's disposals stay published
    assert published["pct_within_26_weeks"].isna().sum() == 2
    assert published["disposals"].notna().all()
    _assert_safe(_attack(true, published, ["la_code"]))
