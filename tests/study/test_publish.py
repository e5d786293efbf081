"""Publication rules of the study, on hand-made results (no study run needed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from outcomes.study import StudyResult
from outcomes.study.estimates import frame, row
from outcomes.study.figures import MIN_TICK_GAP, forest_figure, ratio_ticks
from outcomes.study.labels import METHOD_LABELS, method_label
from outcomes.study.publish import descriptive_table, published_estimates


def _result() -> StudyResult:
    """Two arms of 100 children: by 1 year 4 and 30 returns, by 2 years 25 and 40."""
    rng = np.random.default_rng(0)
    years = np.concatenate(
        [
            np.r_[np.full(4, 0.5), np.full(21, 1.5), np.full(75, 3.0)],
            np.r_[np.full(30, 0.5), np.full(10, 1.5), np.full(60, 3.0)],
        ]
    )
    event = np.concatenate([np.r_[np.ones(25), np.zeros(75)], np.r_[np.ones(40), np.zeros(60)]])
    analysis = pd.DataFrame(
        {
            "years": years,
            "event": event.astype(int),
            "exposed": np.r_[np.ones(100), np.zeros(100)].astype(int),
            "weight": rng.uniform(0.5, 2.0, 200),
            "weeks": rng.uniform(10, 60, 200),
        }
    )
    rows = []
    for h in (1.0, 2.0):
        for estimand in ("risk_exposed", "risk_unexposed", "risk_difference", "risk_ratio"):
            rows.append(row("iptw_aalen_johansen", estimand, "c", 0.2, horizon=h, ci=(0.1, 0.3)))
    rows.append(row("cause_specific_cox", "hazard_ratio", "c", 1.4, ci=(1.1, 1.8)))
    rows.append(row("e_value", "e_value", "risk_ratio", 2.0, horizon=1.0))
    for level in ("care_order", "supervision_order", "withdrawn", "other"):
        rows.append(
            row(
                "mediation",
                "controlled_direct_effect",
                f"c, final order set to {level}",
                0.01,
                horizon=2.0,
                ci=(-0.01, 0.03),
            )  # fmt: skip
        )
    arm_counts = pd.DataFrame(
        {0: [50, 30, 15, 5], 1: [40, 5, 20, 35]},
        index=["care_order", "supervision_order", "withdrawn", "other"],
    )
    return StudyResult(
        estimates=frame(rows),
        diagnostics={"analysis": analysis, "mediation": {"arm_counts": arm_counts}},
        settings={"horizons": (1.0, 2.0), "primary_horizon": 2.0, "threshold_weeks": 26},
    )


def test_risks_withheld_where_an_arm_has_few_returns():
    pub = published_estimates(_result())
    risks = pub.loc[pub["method"] == "iptw_aalen_johansen"]
    # 4 returns by 1 year in one arm: all four risk rows at 1 year withheld
    assert risks.loc[risks["horizon_years"] == 1.0, "estimate"].isna().all()
    assert risks.loc[risks["horizon_years"] == 1.0, "withheld"].all()
    assert risks.loc[risks["horizon_years"] == 2.0, "estimate"].notna().all()
    # the risk-ratio E-value at 1 year gives the risk ratio back: withheld too
    assert pub.loc[pub["method"] == "e_value", "estimate"].isna().all()
    assert pub.loc[pub["method"] == "cause_specific_cox", "estimate"].notna().all()


def test_controlled_direct_effects_only_where_defined():
    pub = published_estimates(_result())
    cde = pub.loc[pub["estimand"] == "controlled_direct_effect", "contrast"]
    # supervision orders: 5 children in one arm; withdrawn and other are not orders
    assert cde.str.endswith("care_order").tolist() == [True]


def test_descriptive_table_rounds_and_withholds():
    table = descriptive_table(_result()).set_index("")
    within, later = table.columns
    assert table.loc["children"].tolist() == [100, 100]
    assert table.loc["returned to court within 1 year", within] == "[c]"
    assert table.loc["returned to court within 1 year", later] == 30
    assert table.loc["returned to court within 2 years"].tolist() == [20, 40]  # 25 rounded


def test_labels_cover_every_method_and_fall_back():
    assert method_label("pseudo_value_regression") == "Pseudo-value regression"
    assert method_label("sensitivity_threshold_32") == "Sensitivity: threshold 32 weeks"
    assert method_label("brand_new_family") == "Brand new family"
    assert len(set(METHOD_LABELS.values())) == len(METHOD_LABELS)  # no two alike


def test_forest_uses_the_labels():
    result = _result()
    fig = forest_figure(published_estimates(result), result.settings)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "Weighted (IPTW) Aalen-Johansen [primary]" in labels
    assert "Cause-specific Cox (HR)" in labels
    assert not [label for label in labels if "_" in label]


@pytest.mark.parametrize("lo,hi", [(0.4, 3.2), (0.9, 2.1), (0.95, 1.3), (0.1, 10.0), (1.0, 2.6)])
def test_ratio_ticks_do_not_crowd(lo, hi):
    ticks = ratio_ticks(lo, hi)
    assert ticks and all(lo <= t <= hi for t in ticks)
    gaps = np.diff(np.log(ticks))
    assert (gaps >= MIN_TICK_GAP * (math.log(hi) - math.log(lo)) - 1e-12).all()
    if lo <= 1 <= hi:
        assert 1 in ticks
