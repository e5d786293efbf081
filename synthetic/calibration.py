"""The calibration report: every target of ``docs/calibration.md``'s last table, measured with
plain pandas on ``world.clean`` (deliberately not with the ``outcomes`` estimators, so
the check is independent of the code it will later be used to test).

Definitions, each the simplest reading of the published figure:

* durations are per application, in weeks ``(disposal - issue) / 7``, grouped by the
  year of disposal (calendar year; ``2023-24`` and ``2013-14`` are April-March years,
  as Cafcass reports them);
* the DFJ-area spread is the range of area mean durations of 2013-14 disposals;
* under-1s: share of child rows aged under one at issue;
* 5-year returns: child rows disposed with the order at least five years before the
  extract date that have another row for the same child issued within five years
  after disposal (a crude proportion, as in Harwin et al. 2019);
* mothers: among mothers whose first proceedings in the data were issued at least
  seven years before the extract date, the share with another set issued within seven
  years after that first issue;
* children per application: child rows per distinct ``proceedings_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .world import World

DAYS_5Y = int(np.floor(5 * 365.25))
DAYS_7Y = int(np.floor(7 * 365.25))

TARGETS: tuple[tuple[str, float, float, float, str], ...] = (
    # name, published value, band low, band high, source
    ("mean duration, disposals in 2016 (weeks)", 26.9, 25.4, 28.4, "FCSQ annual 2016"),
    ("share within 26 weeks, 2016", 0.61, 0.57, 0.65, "FCSQ annual 2016"),
    ("mean duration, disposals in 2021 (weeks)", 45.0, 43.0, 47.0, "FCSQ 2021"),
    ("mean duration, 2023-24 (weeks)", 43.0, 41.0, 45.0, "Cafcass 2023-24"),
    ("share within 26 weeks, 2021", 0.23, 0.19, 0.27, "FCSQ 2021"),
    ("DFJ-area mean duration, 2013-14: min (weeks)", 19.0, -np.inf, 23.0, "FCSQ 2013-14"),
    ("DFJ-area mean duration, 2013-14: max (weeks)", 47.0, 42.0, np.inf, "FCSQ 2013-14"),
    ("under-1s at issue", 0.25, 0.21, 0.29, "Nuffield FJO"),
    ("5-year return, supervision order alone", 0.20, 0.17, 0.23, "Harwin et al. 2019"),
    ("5-year return, SGO alone", 0.05, 0.03, 0.07, "Harwin et al. 2019"),
    ("5-year return, CAO alone", 0.07, 0.05, 0.09, "Harwin et al. 2019"),
    ("mothers returning within 7 years", 0.24, 0.21, 0.27, "Broadhurst et al. 2015"),
    ("same, mothers under 20 at first proceedings", 0.33, 0.28, 0.38, "Nuffield FJO 2024"),
    ("children per application", 1.7, 1.55, 1.85, "Cafcass 2015-16"),
)
"""(target, published value, band low, band high, source): the calibration targets."""


def _durations(clean: pd.DataFrame) -> pd.DataFrame:
    apps = clean.drop_duplicates("proceedings_id")
    apps = apps.loc[
        apps["disposal_date"].notna(),
        ["proceedings_id", "dfj_area", "issue_date", "disposal_date"],
    ].copy()
    apps["weeks"] = (apps["disposal_date"] - apps["issue_date"]).dt.days / 7.0
    return apps


def _return_within(clean: pd.DataFrame, order: str, extract: pd.Timestamp) -> float:
    rows = clean.loc[
        (clean["final_order"] == order)
        & (clean["disposal_date"] <= extract - pd.Timedelta(days=DAYS_5Y)),
        ["child_id", "disposal_date"],
    ]
    later = clean[["child_id", "issue_date"]]
    pairs = rows.reset_index().merge(later, on="child_id")
    gap = (pairs["issue_date"] - pairs["disposal_date"]).dt.days
    hit = pairs.loc[(gap > 0) & (gap <= DAYS_5Y), "index"].unique()
    return float(len(hit) / len(rows)) if len(rows) else float("nan")


def _mothers(clean: pd.DataFrame, extract: pd.Timestamp) -> tuple[float, float]:
    apps = clean.drop_duplicates("proceedings_id")[
        ["mother_id", "proceedings_id", "issue_date", "mother_dob"]
    ]
    first = apps.sort_values(["issue_date", "proceedings_id"]).drop_duplicates("mother_id")
    first = first.loc[first["issue_date"] <= extract - pd.Timedelta(days=DAYS_7Y)]
    pairs = first.merge(
        apps[["mother_id", "proceedings_id", "issue_date"]],
        on="mother_id",
        suffixes=("", "_later"),
    )
    gap = (pairs["issue_date_later"] - pairs["issue_date"]).dt.days
    again = pairs.loc[
        (pairs["proceedings_id_later"] != pairs["proceedings_id"]) & (gap >= 0) & (gap <= DAYS_7Y),
        "mother_id",
    ].unique()
    returned = first["mother_id"].isin(again)
    age = (first["issue_date"] - first["mother_dob"]).dt.days / 365.25
    teen = age < 20
    return float(returned.mean()), float(returned[teen].mean())


def calibration_report(world: World) -> pd.DataFrame:
    """Measure each calibration target on ``world.clean``.

    Returns
    -------
    DataFrame
        ``target``, ``published``, ``band_low``, ``band_high``, ``observed``,
        ``in_band``, ``source``.
    """
    clean = world.clean
    extract = world.dataset.manifest.extract_date
    d = _durations(clean)
    year = d["disposal_date"].dt.year

    def fiscal(start: int) -> pd.Series:
        lo, hi = pd.Timestamp(f"{start}-04-01"), pd.Timestamp(f"{start + 1}-04-01")
        return (d["disposal_date"] >= lo) & (d["disposal_date"] < hi)

    area = d.loc[fiscal(2013)].groupby("dfj_area")["weeks"].mean()
    mothers_all, mothers_teen = _mothers(clean, extract)
    age = (clean["issue_date"] - clean["child_dob"]).dt.days / 365.25
    observed = [
        d.loc[year == 2016, "weeks"].mean(),
        (d.loc[year == 2016, "weeks"] <= 26).mean(),
        d.loc[year == 2021, "weeks"].mean(),
        d.loc[fiscal(2023), "weeks"].mean(),
        (d.loc[year == 2021, "weeks"] <= 26).mean(),
        area.min() if len(area) else np.nan,
        area.max() if len(area) else np.nan,
        (age < 1).mean(),
        _return_within(clean, "supervision_order", extract),
        _return_within(clean, "special_guardianship_order", extract),
        _return_within(clean, "child_arrangements_order", extract),
        mothers_all,
        mothers_teen,
        len(clean) / clean["proceedings_id"].nunique(),
    ]
    rows = []
    for (name, value, lo, hi, source), obs in zip(TARGETS, observed, strict=True):
        obs = float(obs)
        rows.append(
            {
                "target": name,
                "published": value,
                "band_low": lo,
                "band_high": hi,
                "observed": obs,
                "in_band": bool(lo <= obs <= hi),
                "source": source,
            }
        )
    return pd.DataFrame(rows)
