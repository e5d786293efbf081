"""Simulated confounded data with a known average treatment effect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

AREAS = ("E01", "E02", "E03", "E04", "E05")
AREA_TREATMENT = np.array([-0.6, -0.2, 0.0, 0.3, 0.6])
AREA_OUTCOME = np.array([-0.4, 0.0, 0.1, 0.3, 0.5])


@dataclass(frozen=True)
class Simulated:
    """Observed data and the truth: the true propensity and the true risk difference."""

    data: pd.DataFrame
    true_propensity: pd.Series
    true_risk_difference: float


def simulate(n: int = 6000, seed: int = 0, effect: float = 0.5) -> Simulated:
    """Binary treatment and outcome, both driven by the same three confounders.

    Every confounder raises both the chance of treatment and the risk of the outcome,
    so the crude risk difference is biased upwards. The truth is the sample average of
    :math:`P(Y^1 = 1 | X) - P(Y^0 = 1 | X)`.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    area = rng.integers(0, len(AREAS), size=n)
    e = expit(-0.3 + 0.8 * x1 + 0.7 * x2 + AREA_TREATMENT[area])
    t = rng.binomial(1, e)
    lin = -1.0 + 0.8 * x1 + 0.6 * x2 + AREA_OUTCOME[area]
    p1, p0 = expit(lin + effect), expit(lin)
    y = rng.binomial(1, np.where(t == 1, p1, p0))
    data = pd.DataFrame(
        {
            "treated": t.astype(bool),
            "y": y,
            "x1": x1,
            "x2": x2,
            "la_code": pd.array(np.asarray(AREAS)[area], dtype="string"),
        }
    )
    return Simulated(data, pd.Series(e, index=data.index), float(np.mean(p1 - p0)))


CONFOUNDERS = ["x1", "x2", "la_code"]
