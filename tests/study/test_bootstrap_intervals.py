"""The two intervals of the bootstrapped marginal risks, and which one the study uses.

``bootstrap_contrasts`` gives percentile intervals (whole clusters resampled) or normal
intervals from the bootstrap standard error (families resampled, few clusters). Both are
checked here by hand on known draws; the study's choice is checked on a one-authority
extract and on a national world in ``test_few_clusters.py`` and ``test_other_world.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from outcomes.errors import OutcomesError
from outcomes.study import estimates as est

Z = stats.norm.ppf(0.975)


def draws(seed: int = 1, b: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Point risks (2, 1) and skewed bootstrap replicates (B, 2, 1)."""
    rng = np.random.default_rng(seed)
    point = np.array([[0.08], [0.05]])
    # gamma draws around the point: right-skewed, as risks from few events are
    replicates = np.stack([rng.gamma(16, 0.08 / 16, b), rng.gamma(10, 0.05 / 10, b)], axis=1)[
        :, :, None
    ]
    return point, replicates


def rows(interval: est.BootstrapInterval, point: np.ndarray, boot: np.ndarray) -> dict:
    out = est.bootstrap_contrasts("m", "c", (2.0,), point, boot, 0.05, interval)
    return {r["estimand"]: r for r in out}


def test_normal_interval_is_estimate_plus_minus_z_bootstrap_se() -> None:
    point, boot = draws()
    r = rows("normal", point, boot)
    rd = r["risk_difference"]
    se = np.std(boot[:, 0, 0] - boot[:, 1, 0], ddof=1)
    assert rd["estimate"] == pytest.approx(0.03)
    assert rd["std_error"] == pytest.approx(se)
    assert (rd["ci_lower"], rd["ci_upper"]) == pytest.approx((0.03 - Z * se, 0.03 + Z * se))
    # the test of no difference: the variance at the pooled risk, from each arm's
    # replicates and their covariance
    c = np.cov(boot[:, 0, 0], boot[:, 1, 0])
    assert rd["p_value"] == pytest.approx(est.null_p(0.08, 0.05, c[0, 0], c[1, 1], c[0, 1]))
    # the ratio on the log scale, exponentiated: symmetric in log, not in the ratio
    rr = r["risk_ratio"]
    se_log = np.std(np.log(boot[:, 0, 0] / boot[:, 1, 0]), ddof=1)
    assert rr["std_error"] == pytest.approx(se_log)
    assert np.log(rr["ci_upper"]) - np.log(1.6) == pytest.approx(Z * se_log)
    assert np.log(1.6) - np.log(rr["ci_lower"]) == pytest.approx(Z * se_log)


def test_percentile_interval_is_the_quantiles_of_the_replicates() -> None:
    point, boot = draws()
    r = rows("percentile", point, boot)
    diff = boot[:, 0, 0] - boot[:, 1, 0]
    lo, hi = np.percentile(diff, [2.5, 97.5])
    assert (r["risk_difference"]["ci_lower"], r["risk_difference"]["ci_upper"]) == (lo, hi)
    # the same standard error and p-value whichever the interval
    normal = rows("normal", point, boot)
    for estimand in ("risk_difference", "risk_ratio", "risk_exposed"):
        assert r[estimand]["std_error"] == normal[estimand]["std_error"]
        assert r[estimand]["p_value"] == pytest.approx(normal[estimand]["p_value"], nan_ok=True)


def test_skewed_replicates_move_the_percentile_interval_not_the_normal_one() -> None:
    # right-skewed replicates of the exposed risk: the percentile interval of the risk
    # sits further above the point than below it; the normal one is symmetric
    point, boot = draws()
    p, n = rows("percentile", point, boot), rows("normal", point, boot)
    r1 = 0.08
    assert p["risk_exposed"]["ci_upper"] - r1 > r1 - p["risk_exposed"]["ci_lower"]
    assert n["risk_exposed"]["ci_upper"] - r1 == pytest.approx(r1 - n["risk_exposed"]["ci_lower"])


def test_a_risk_interval_stays_within_zero_and_one() -> None:
    rng = np.random.default_rng(2)
    point = np.array([[0.01], [0.02]])
    boot = np.stack([rng.uniform(0, 0.04, 200), rng.uniform(0, 0.05, 200)], axis=1)[:, :, None]
    r = rows("normal", point, boot)
    for estimand in ("risk_exposed", "risk_unexposed"):
        assert r[estimand]["ci_lower"] == 0.0 and r[estimand]["ci_upper"] > 0
    # a difference may be negative
    assert r["risk_difference"]["ci_lower"] < 0


def test_equal_replicates_give_no_interval_rather_than_a_zero_width_one() -> None:
    point = np.array([[0.1], [0.05]])
    boot = np.tile(point, (50, 1, 1))
    for interval in ("normal", "percentile"):
        r = rows(interval, point, boot)  # type: ignore[arg-type]
        for row in r.values():
            assert np.isnan(row["ci_lower"]) and np.isnan(row["std_error"])
            assert np.isnan(row["p_value"])


def test_an_unknown_interval_is_an_error() -> None:
    point, boot = draws()
    with pytest.raises(OutcomesError, match="percentile' or 'normal"):
        est.bootstrap_contrasts("m", "c", (2.0,), point, boot, 0.05, "bca")  # type: ignore[arg-type]


def test_equal_effect_replicates_give_no_interval() -> None:
    # the mediation rows' normal intervals follow the same rule
    point = np.array([[0.02]])
    out = est.bootstrap_effects(
        "m", [("nde", "c")], (2.0,), point, np.tile(point, (30, 1, 1)), 0.05
    )
    assert np.isnan(out[0]["ci_lower"]) and np.isnan(out[0]["p_value"])
