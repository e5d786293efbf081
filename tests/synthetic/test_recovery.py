"""At national scale: calibration in band, and the conditional HR recovered by Cox."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

import synthetic

YEAR = 365.25


def return_data(world: synthetic.World) -> pd.DataFrame:
    """One row per disposed child-proceedings: time to the child's next issue, with
    adoption, death and ageing out as competing events (censored here, cause-specific)
    and emigration and the extract date as censoring. Built from the clean data and
    the child events, as an analyst would, plus the true confounders."""
    c = world.clean
    extract = world.dataset.manifest.extract_date
    events = world.dataset.child_events
    c = c.loc[c["disposal_date"].notna()].copy()
    nxt = (
        world.clean.sort_values(["child_id", "issue_date"])
        .groupby("child_id")["issue_date"]
        .shift(-1)
    )
    c["next_issue"] = nxt.reindex(c.index)
    ends = [c["next_issue"], c["aged_out_date"], pd.Series(extract, index=c.index)]
    for kind in ("adopted", "died", "moved_abroad"):
        first = events.loc[events["event_type"] == kind].groupby("child_id")["event_date"].min()
        date = c["child_id"].map(first)
        # only events after this disposal end this row's follow-up
        ends.append(date.where(date > c["disposal_date"]))
    end = pd.concat(ends, axis=1).min(axis=1)
    c["time"] = (end - c["disposal_date"]).dt.days / YEAR
    c["event"] = (c["next_issue"].notna() & (c["next_issue"] == end)).astype(int)
    c = c.loc[c["time"] > 0]
    c["short"] = ((c["disposal_date"] - c["issue_date"]).dt.days <= 182).astype(int)
    age = c["age_at_issue"]
    frame = pd.DataFrame(
        {
            "time": c["time"],
            "event": c["event"],
            "short": c["short"],
            "complexity": c["complexity"],
            "la_log_frailty": c["la_log_frailty"],
            "age_1_4": ((age >= 1) & (age < 5)).astype(int),
            "age_5_9": ((age >= 5) & (age < 10)).astype(int),
            "age_10_plus": (age >= 10).astype(int),
        }
    )
    orders = pd.get_dummies(c["final_order"].astype(object), prefix="o", dtype=int)
    return pd.concat([frame, orders.drop(columns="o_care_order")], axis=1)


@pytest.mark.slow
def test_conditional_hr_recovered() -> None:
    world = synthetic.generate("default", n_applications=150_000, seed=7, faults=False)
    data = return_data(world)
    fit = CoxPHFitter().fit(data, duration_col="time", event_col="event")
    est = fit.params_["short"]
    se = fit.standard_errors_["short"]
    truth = np.log(world.truth.conditional_hr)
    p, e = fit.params_, fit.standard_errors_
    print(
        f"log HR short: {est:.4f} (SE {se:.4f}); truth {truth:.4f}; "
        f"complexity {p['complexity']:.4f} (SE {e['complexity']:.4f}; truth 0.3); "
        f"LA frailty {p['la_log_frailty']:.4f} (SE {e['la_log_frailty']:.4f}; truth 1); "
        f"n={len(data)}, events={int(data['event'].sum())}"
    )
    assert abs(est - truth) < 2 * se
    # the other true coefficients too: complexity 0.3, LA frailty 1
    assert abs(fit.params_["complexity"] - 0.3) < 3 * fit.standard_errors_["complexity"]
    assert abs(fit.params_["la_log_frailty"] - 1.0) < 3 * fit.standard_errors_["la_log_frailty"]


@pytest.mark.slow
def test_default_calibrated_at_national_scale() -> None:
    world = synthetic.generate("default", seed=0, faults=False)
    assert world.clean["proceedings_id"].nunique() >= 150_000
    report = synthetic.calibration_report(world)
    print(report.to_string())
    assert report["in_band"].all(), report.loc[~report["in_band"]]
