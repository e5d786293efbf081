"""Coverage of the pseudo-value risk difference at 2 years: a small simulation study.

Aim
    Does :class:`outcomes.regression.PseudoValueRegression` recover a known 2-year risk
    difference, and does its 95% interval (the GEE sandwich) cover it at the nominal
    rate, with competing events and independent censoring?
Data-generating mechanism
    Replicate :math:`r` draws :data:`N` people from its own stream, the
    framework's (:class:`outcomes.simulation.SimulationStudy`, root seed
    :data:`SEED`): a randomised exposure :math:`x \\sim
    \\text{Bernoulli}(1/2)` (say, supervision vs care order), a binary case-mix
    covariate :math:`z \\sim \\text{Bernoulli}(0.4)`, exponential cause-specific hazards
    :math:`\\lambda_1 = 0.25\\,e^{0.5x + 0.6z}` for the event of interest (return) and
    :math:`\\lambda_2 = 0.08` for the competing one, and uniform censoring on
    :math:`[0.5, 5]` years.
Estimand
    The marginal 2-year risk difference
    :math:`\\theta = E_z\\{F_1(2 \\mid x=1, z) - F_1(2 \\mid x=0, z)\\}` with
    :math:`F_1(t \\mid x, z) = \\frac{\\lambda_1}{\\lambda_1 + \\lambda_2}
    (1 - e^{-(\\lambda_1+\\lambda_2)t})`, exact (:func:`true_risk_difference`).
Method
    ``PseudoValueRegression(link="identity")`` at ``time=2`` with ``formula="x * z"``
    (saturated, so correctly specified) and the standardised difference from
    :meth:`~outcomes.regression.PseudoValueRegression.marginal_risks`, with its
    delta-method 95% interval from the robust sandwich.
Performance
    Bias, empirical and model standard errors and coverage, each with its Monte Carlo
    standard error (Morris, White & Crowther 2019; :func:`outcomes.simulation.performance`),
    in ``summary.csv``; every replicate in ``chunks/``.

Run ``python -m validation.pseudo_coverage`` (about a minute on one core).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from outcomes.regression import PseudoValueRegression
from outcomes.simulation import SimulationStudy
from validation.coverage import performance_row

SEED = 20261204
N = 1000
REPLICATES = 400
HORIZON = 2.0
RESULTS = Path(__file__).resolve().parent / "results" / "pseudo"
CHUNKS = RESULTS / "chunks"


def cause_specific(x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hazards of return and of the competing event."""
    return 0.25 * np.exp(0.5 * x + 0.6 * z), np.full(np.shape(x), 0.08)


def risk(t: float, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    lam1, lam2 = cause_specific(x, z)
    total = lam1 + lam2
    return np.asarray(lam1 / total * (1.0 - np.exp(-total * t)))


def true_risk_difference(t: float = HORIZON) -> float:
    """:math:`\\theta`, exact: :math:`z` takes two values."""
    pz = np.array([0.6, 0.4])
    z = np.array([0.0, 1.0])
    one, zero = risk(t, np.ones(2), z), risk(t, np.zeros(2), z)
    return float(pz @ (one - zero))


def simulate(rng: np.random.Generator, n: int = N) -> pd.DataFrame:
    x = rng.integers(0, 2, n).astype(float)
    z = (rng.random(n) < 0.4).astype(float)
    lam1, lam2 = cause_specific(x, z)
    t_all = rng.exponential(1.0 / (lam1 + lam2))
    cause = np.where(rng.random(n) < lam1 / (lam1 + lam2), 1, 2)
    censor = rng.uniform(0.5, 5.0, n)
    event = np.where(t_all <= censor, cause, 0)
    return pd.DataFrame({"years": np.minimum(t_all, censor), "event": event, "x": x, "z": z})


def generate(params: dict[str, Any], rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    """One replicate's people, and the true risk difference."""
    return simulate(rng), true_risk_difference()


def standardised(df: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    """The standardised risk difference of the saturated model, with its interval."""
    fit = PseudoValueRegression(link="identity").fit(
        df, "years", "event", time=HORIZON, formula="x * z"
    )
    m = fit.marginal_risks(df, "x", [0.0, 1.0])
    row = m[m["contrast"] == "difference"].iloc[0]
    return {
        "estimand": "risk_difference",
        **{c: float(row[c]) for c in ("estimate", "std_error", "ci_lower", "ci_upper")},
    }


def study(replicates: int = REPLICATES) -> SimulationStudy:
    """The simulation, not yet run."""
    return SimulationStudy(generate, {"pseudo_value": standardised}, replicates, SEED)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Bias, standard errors and coverage with their Monte Carlo standard errors
    (:func:`validation.coverage.performance_row`)."""
    truth = float(results["truth"].iloc[0])
    return pd.DataFrame([performance_row(results, truth, sample=False)])


def main() -> None:
    results = study().run(chunk_size=100, out=CHUNKS)
    summary = summarise(results)
    summary.to_csv(RESULTS / "summary.csv", index=False, float_format="%.17g")
    sys.stdout.write(summary.T.to_string() + "\n")


if __name__ == "__main__":
    main()
