"""Mothers returning within 7 years of their first proceedings, measured with
build_cohort on the clean default world, lands in the calibration band of
docs/calibration.md (24% +- 3)."""

from __future__ import annotations

import numpy as np
import pytest

import synthetic
from outcomes.cohort import build_cohort

SEVEN_YEARS_DAYS = 2557


@pytest.mark.slow
def test_mothers_returning_within_seven_years() -> None:
    world = synthetic.generate("default", n_applications=150_000, seed=3, faults=False)
    data = build_cohort(world.dataset, outcome="mother_recurrence").data
    extract = world.dataset.manifest.extract_date
    # Mothers whose first proceedings ended at least 7 years before the extract, so that
    # every one of them could be seen to return within 7 years.
    followed = data.loc[data["disposal_date"] <= extract - np.timedelta64(SEVEN_YEARS_DAYS, "D")]
    assert len(followed) > 20_000
    returned = (followed["event"] == 1) & (followed["time"] <= SEVEN_YEARS_DAYS / 365.25)
    assert 0.21 <= returned.mean() <= 0.27, returned.mean()
