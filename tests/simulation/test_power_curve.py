"""The study's power rises with the effect and with the size of the evaluation.

The simulation is ``validation/power_curve.py`` (its docstring gives the design): worlds
of a ten-authority, five-year evaluation of 1,000 applications with true 2-year risk
differences of 0, 2 and 4 points, and of 3,000 applications at 0 and 2 points, each
analysed by ``RushedDisposalStudy.primary()``. These tests check the saved run, as the
null run's do: every replicate is there with its seeded stream, one is what the code
computes today, the summary is the replicates; and the power curve has the shape the
truth gives it.

Which steps must be resolved is decided from the truth, not from the rejections: the
power a step should show is the normal approximation
:math:`\\Phi(|\\theta|/SD - z_{0.975}) + \\Phi(-|\\theta|/SD - z_{0.975})` at each
effect :math:`\\theta`, with :math:`SD` the spread of that cell's estimates (the
estimator's, whatever it rejects). Where the expected step is at least four of its
Monte Carlo SEs, the observed step must exceed two combined Monte Carlo SEs; every
other step up in effect must still raise the power. (At 1,000 applications the first
step, 0 to 2 points, is an effect of about 1.3 standard errors: a power of about a
quarter, a step that 60 worlds per cell resolve only to about three MC SEs.)
"""

from __future__ import annotations

import glob
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from outcomes.simulation import power as pw
from validation import power_curve

CHUNKS = power_curve.OUT / "chunks"
ALPHA = 0.05


@pytest.fixture(scope="module")
def saved() -> pd.DataFrame:
    frames = []
    for name in power_curve.RUNS:
        files = sorted(glob.glob(str(CHUNKS / name / "chunk-*.parquet")))
        design = fingerprint_of(name)["design"]
        points = pd.DataFrame(design["data"], columns=design["columns"])
        chunk = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        frames.append(chunk.join(points, on="point").assign(run=name))
    return pd.concat(frames, ignore_index=True)


def fingerprint_of(name: str) -> dict:
    return json.loads((CHUNKS / name / "study.json").read_text())


@pytest.fixture(scope="module")
def table(saved: pd.DataFrame) -> pd.DataFrame:
    """Power, its Monte Carlo SE and the estimates' spread per cell and method."""
    rows = []
    for (n, effect, method), part in saved.groupby(["n_applications", "effect", "estimand"]):
        share = float((part["p_value"] <= ALPHA).mean())
        rows.append(
            {
                "n_applications": n,
                "effect": effect,
                "method": method,
                "power": share,
                "mcse": math.sqrt(share * (1 - share) / len(part)),
                "sd": float(part["estimate"].std(ddof=1)),
                "n": len(part),
            }
        )
    return pd.DataFrame(rows).set_index(["method", "n_applications", "effect"]).sort_index()


def expected_power(effect: float, sd: float) -> float:
    z = stats.norm.ppf(1 - ALPHA / 2)
    return float(stats.norm.sf(z - abs(effect) / sd) + stats.norm.cdf(-z - abs(effect) / sd))


def test_every_replicate_is_saved_once(saved):
    assert saved["error"].isna().all()
    for name, spec in power_curve.RUNS.items():
        fingerprint = fingerprint_of(name)
        assert fingerprint["n_reps"] == power_curve.REPLICATES
        assert fingerprint["seed"] == spec.seed
        rows = saved.loc[saved["run"] == name]
        assert sorted(rows["effect"].unique()) == sorted(spec.effects)
        assert set(rows["n_applications"]) == {spec.n_applications}
        for (_, method), part in rows.groupby(["effect", "estimand"]):
            assert method in pw.METHODS
            assert sorted(part["rep"]) == list(range(power_curve.REPLICATES))
    # the two runs' seeds differ, so no two cells share random streams
    assert len({spec.seed for spec in power_curve.RUNS.values()}) == len(power_curve.RUNS)


def test_the_dialled_in_effects_are_the_calibrated_ones(saved):
    point = {"n_las": power_curve.N_LAS, "years": power_curve.YEARS}
    for effect, part in saved.groupby("effect"):
        hr, achieved = pw.hazard_ratio_for("default", point, effect)
        assert np.allclose(part["hr_short"], hr, rtol=1e-9, atol=0)
        assert abs(achieved - effect) <= pw.EFFECT_TOL


@pytest.mark.parametrize("method", list(pw.METHODS))
def test_power_rises_with_the_effect(table, method):
    resolved = 0
    for n in (r.n_applications for r in power_curve.RUNS.values()):
        cells = list(table.loc[(method, n)].sort_index().iterrows())
        for (lo, a), (hi, b) in zip(cells[:-1], cells[1:], strict=True):
            step = b["power"] - a["power"]
            assert step > 0, (method, n, lo, hi)
            p_lo, p_hi = expected_power(lo, a["sd"]), expected_power(hi, b["sd"])
            expected_mcse = math.sqrt((p_lo * (1 - p_lo) + p_hi * (1 - p_hi)) / a["n"])
            if p_hi - p_lo >= 4 * expected_mcse:
                resolved += 1
                assert step > 2 * math.hypot(a["mcse"], b["mcse"]), (method, n, lo, hi, step)
    # the truth makes two of the three steps resolvable (0 to 2 points at 3,000
    # applications, 2 to 4 at 1,000): the check is not vacuous
    assert resolved >= 2


@pytest.mark.parametrize("method", list(pw.METHODS))
def test_power_rises_with_the_size_of_the_evaluation(table, method):
    small, large = (r.n_applications for r in power_curve.RUNS.values())
    a, b = table.loc[(method, small, 0.02)], table.loc[(method, large, 0.02)]
    assert b["power"] - a["power"] > 2 * math.hypot(a["mcse"], b["mcse"])
    # because the estimates are tighter: the SD shrinks about as 1/sqrt(applications)
    assert b["sd"] < a["sd"]
    assert b["sd"] / a["sd"] == pytest.approx(math.sqrt(small / large), rel=0.25)


def test_saved_summary_is_the_replicates(table):
    summary = pd.read_csv(power_curve.OUT / "summary.csv")
    assert len(summary) == len(table)
    for _, row in summary.iterrows():
        cell = table.loc[(row["method"], row["n_applications"], row["effect"])]
        assert row["power"] == pytest.approx(cell["power"], abs=1e-12)
        assert row["mcse"] == pytest.approx(cell["mcse"], abs=1e-12)
        assert row["n_reps"] == cell["n"] == power_curve.REPLICATES
        assert row["n_failed"] == 0


@pytest.mark.slow
def test_a_replicate_is_what_the_code_computes(saved):
    name, effect, rep = "by_effect", 0.04, 17
    spec = power_curve.RUNS[name]
    study, _ = pw.power_study(
        power_curve.design(name),
        spec.effects,
        power_curve.REPLICATES,
        n_boot=power_curve.N_BOOT,
        seed=spec.seed,
    )
    point = spec.effects.index(effect)
    # the parameters as the study hands them out
    params = {str(k): v for k, v in study.design.to_dict("records")[point].items()}
    rng = np.random.default_rng(study.seed_sequence(point, rep))
    data, truth = study.generate(params, rng)
    again = study.methods["study"](data, params)
    first = saved.loc[(saved["run"] == name) & (saved["point"] == point) & (saved["rep"] == rep)]
    first = first.set_index("estimand")
    assert truth == effect
    assert len(again) == len(first) == 2
    for row in again:
        expected = first.loc[row["estimand"]]
        for column in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
            assert np.isclose(row[column], expected[column], rtol=1e-12, atol=0), column
