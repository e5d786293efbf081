"""E-values against published worked examples (VanderWeele & Ding 2017)."""

from __future__ import annotations

import numpy as np
import pytest

from outcomes.causal import e_value, e_values, hazard_ratio_to_risk_ratio
from outcomes.errors import OutcomesError


def test_published_risk_ratio_example() -> None:
    # VanderWeele & Ding (2017), Annals of Internal Medicine: RR 3.9 (95% CI 1.8 to
    # 8.7) gives an E-value of 7.26 for the estimate and 3.0 for the lower limit.
    table = e_values(3.9, 1.8, 8.7)
    assert table["quantity"].tolist() == ["point", "ci_limit"]
    assert table["e_value"].round(2).tolist() == [7.26, 3.00]
    assert table.loc[1, "observed"] == 1.8


def test_published_smoking_example() -> None:
    # Same paper, Hammond & Horn's smoking and lung cancer: RR 10.73 (8.02 to 14.36)
    # gives 20.95 and 15.52.
    table = e_values(10.73, 8.02, 14.36)
    assert table["e_value"].round(2).tolist() == [20.95, 15.52]


def test_protective_effects_use_the_reciprocal_and_the_upper_limit() -> None:
    table = e_values(0.5, 0.3, 0.8)
    assert table.loc[0, "e_value"] == pytest.approx(2 + np.sqrt(2))
    assert table.loc[1, "observed"] == 0.8
    assert table.loc[1, "e_value"] == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))


def test_an_interval_containing_one_needs_no_confounding() -> None:
    assert e_values(1.3, 0.9, 1.8).loc[1, "e_value"] == 1.0
    assert e_values(0.8, 0.6, 1.1).loc[1, "e_value"] == 1.0


def test_hazard_ratio_rare_and_common() -> None:
    rare = e_values(2.0, 1.5, 2.7, measure="hazard_ratio", rare=True)
    assert rare["e_value"].tolist() == pytest.approx(e_values(2.0, 1.5, 2.7)["e_value"])
    assert rare["conversion"].unique().tolist() == ["rare_outcome"]

    # The example call in the EValue R package's help for evalues.HR: HR 0.56 (0.46 to
    # 0.69), common outcome. Expected values worked by hand from the formula (the R
    # package is not installed here to print its output): RR 0.670 -> E 2.35;
    # upper limit 0.69 -> RR 0.774 -> E 1.91.
    common = e_values(0.56, 0.46, 0.69, measure="hazard_ratio")
    rr = (1 - 0.5 ** np.sqrt(0.56)) / (1 - 0.5 ** np.sqrt(1 / 0.56))
    assert common.loc[0, "risk_ratio"] == pytest.approx(rr)
    assert common.loc[0, "e_value"] == pytest.approx(1 / rr + np.sqrt(1 / rr * (1 / rr - 1)))
    assert common["e_value"].round(2).tolist() == [2.35, 1.91]
    assert common.loc[1, "observed"] == 0.69
    # The common-outcome conversion pulls the ratio towards 1.
    assert hazard_ratio_to_risk_ratio(0.56, rare=False) > 0.56
    assert hazard_ratio_to_risk_ratio(1.0, rare=False) == pytest.approx(1.0)


def test_odds_ratio_common_uses_the_square_root() -> None:
    table = e_values(4.0, measure="odds_ratio")
    assert table.loc[0, "risk_ratio"] == pytest.approx(2.0)
    assert len(table) == 1


def test_risk_difference_via_baseline_risk() -> None:
    table = e_values(0.1, 0.02, 0.18, measure="risk_difference", risk_unexposed=0.2)
    np.testing.assert_allclose(table["risk_ratio"], [1.5, 1.1])
    assert table.loc[0, "e_value"] == pytest.approx(1.5 + np.sqrt(0.75))
    with pytest.raises(OutcomesError, match="risk_unexposed"):
        e_values(0.1, measure="risk_difference")


def test_scalar_function_is_vectorised() -> None:
    np.testing.assert_allclose(e_value([1.0, 3.9, 1 / 3.9]), [1.0, 7.26, 7.26], atol=0.005)
    with pytest.raises(OutcomesError, match="positive"):
        e_value(-1.0)
    with pytest.raises(OutcomesError, match="between its confidence limits"):
        e_values(2.0, 2.5, 3.0)
