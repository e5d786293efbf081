"""One unit of time: years since the index disposal, from the cohort to the fitters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes import build_cohort
from outcomes.errors import FollowUpWarning
from outcomes.survival import CauseSpecificCox, CoxFitter, FineGrayFitter, cumulative_incidence


@pytest.fixture(scope="module")
def cohort():
    world = synthetic.generate("default", n_applications=3000, seed=21, faults=False)
    return build_cohort(world.dataset)


def test_cohort_time_is_in_years(cohort) -> None:
    data = cohort.data
    days = (data["disposal_date"] + pd.to_timedelta(data["time"] * 365.25, unit="D")).round("D")
    # Follow-up of a cohort from a 15-year world spans years, not thousands of units.
    assert 5 < data["time"].max() < 20
    assert (days >= data["disposal_date"]).all()
    long = cohort.recurrent()
    assert long["stop"].max() == pytest.approx(data["followup_years"].max())


def test_cumulative_incidence_at_years_on_a_cohort(cohort) -> None:
    """times=[1, 2, 5] on a cohort gives the 1-, 2- and 5-year risks, not zeros."""
    cif = cumulative_incidence(cohort.data, "time", "event", times=[1, 2, 5])
    est = cif.table["estimate"].to_numpy()
    assert (est > 0.01).all() and (np.diff(est) > 0).all()
    # The same as counting by hand where nobody is censored before the horizon.
    data = cohort.data
    returned_within_1y = ((data["event"] == 1) & (data["time"] <= 1)).sum()
    censored_early = ((data["event"] == 0) & (data["time"] < 1)).sum()
    assert est[0] >= returned_within_1y / len(data)
    assert est[0] <= (returned_within_1y + censored_early) / len(data)


def test_a_time_in_days_warns(cohort) -> None:
    with pytest.warns(FollowUpWarning, match="years since the index disposal"):
        cif = cumulative_incidence(cohort.data, "time", "event", times=[730])
    assert np.isnan(cif.table["estimate"]).all()


def test_fitters_predict_in_years_and_warn_past_follow_up(cohort) -> None:
    data = cohort.data.assign(short=cohort.data["short_duration"].astype(float))
    X = pd.DataFrame({"short": [0.0, 1.0]})
    cox = CoxFitter().fit(
        data.assign(ret=(data["event"] == 1).astype(int)), "time", "ret", formula="short"
    )
    surv = cox.predict_survival_function(X, times=[1, 2, 5])
    assert (surv.to_numpy() < 1).all() and (surv.to_numpy() > 0.5).all()
    with pytest.warns(FollowUpWarning, match="CoxFitter"):
        cox.predict_cumulative_hazard(X, times=[2 * 365.25])
    fg = FineGrayFitter().fit(data, "time", "event", formula="short")
    fg_cif = fg.predict_cumulative_incidence(X, times=[2])
    aj = cumulative_incidence(data, "time", "event", times=[2])["estimate"].iloc[0]
    # The model's 2-year risks bracket the marginal Aalen-Johansen risk at 2 years.
    assert fg_cif.to_numpy().min() < aj * 1.3 and fg_cif.to_numpy().max() > aj * 0.7
    with pytest.warns(FollowUpWarning):
        fg.predict_cumulative_incidence(X, times=[1000])
    cs = CauseSpecificCox().fit(data, "time", "event", formula="short")
    cs_cif = cs.predict_cumulative_incidence(X, times=[2])
    assert np.allclose(cs_cif.to_numpy(), fg_cif.to_numpy(), atol=0.05)
    with pytest.warns(FollowUpWarning, match="CauseSpecificCox"):
        cs.predict_cumulative_incidence(X, times=[1000])
