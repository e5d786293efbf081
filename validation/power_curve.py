"""Power of the study by effect size and world size: the power curve, by simulation.

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    Does the study's power rise as it should -- with the true effect, and with the size
    of the evaluation at a fixed effect? A power calculator whose curve is flat or
    falls somewhere is wrong somewhere; the crossing of the two checks is the shape an
    evaluator reads off ``outcomes.power``.
Data-generating mechanism
    The ``default`` scenario, 10 local authorities over 5 issue years (:data:`RUNS`):
    1,000 applications with true marginal 2-year risk differences of 0, 2 and 4
    percentage points, and 3,000 applications at 0 and 2 points, each effect dialled in by
    :func:`outcomes.simulation.power.hazard_ratio_for`.
Estimand
    The marginal 2-year risk difference of return, within 26 weeks vs later.
Methods
    ``RushedDisposalStudy.primary()`` on each world: the crude Aalen-Johansen comparison
    and the primary IPTW Aalen-Johansen estimate with :data:`N_BOOT` bootstrap
    replicates (a family bootstrap: 10 authorities are fewer than 30), as the null run
    (``validation/power_null.py``) does. The test is the study's: of no difference,
    with the variance at the pooled risk.
Performance measures
    Rejection rate at alpha = 0.05 per design point, effect and method with its Monte
    Carlo SE :math:`\\sqrt{\\hat\\pi(1-\\hat\\pi)/R}`; the empirical SE of the estimates.

:data:`REPLICATES` worlds per cell. The estimates' SD is about 1.5 points at 1,000
applications and 0.8 at 3,000, so the 2-point effect is about 1.3 standard errors at
1,000 applications (a power of about a quarter) and 2.4 at 3,000, the 4-point one 2.6
at 1,000: the steps from 2 to 4 points at 1,000 applications, from 0 to 2 at 3,000 and
from 1,000 to 3,000 at 2 points are 0.4 to 0.65 in power, several Monte Carlo SEs (at
most 0.065 each). The cells are those these comparisons need, so that the primary
analysis, with its bootstrap, runs in every one: 3 minutes on two cores.
``docs/simulation.md`` reports the results.

Run ``python -m validation.power_curve [--replicates R] [--backend processes]``: results
go to ``validation/results/power_curve/`` (Parquet chunks written as they finish: an
interrupted run continues where it stopped, with the same seeds) and are checked by
``tests/simulation/test_power_curve.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from outcomes.simulation import power as pw

SEED = 20261205
N_LAS, YEARS = 10, 5


class Run(NamedTuple):
    """One :func:`outcomes.simulation.power.power` call of the study."""

    n_applications: int
    effects: tuple[float, ...]
    seed: int


#: The two runs, each a :func:`outcomes.simulation.power.power` call with its own seed
#: (so no two cells share random streams): by effect at 1,000 applications, and at
#: 3,000 applications for the middle effect, the comparison by world size.
RUNS = {
    "by_effect": Run(n_applications=1000, effects=(0.0, 0.02, 0.04), seed=SEED),
    "by_size": Run(n_applications=3000, effects=(0.0, 0.02), seed=SEED + 1),
}
N_BOOT = 50
REPLICATES = 60
OUT = Path(__file__).resolve().parent / "results" / "power_curve"
CHUNK = 5


def design(name: str) -> dict[str, list[int]]:
    """The design grid of run ``name`` (one point: applications, authorities, years)."""
    return {"n_applications": [RUNS[name].n_applications], "n_las": [N_LAS], "years": [YEARS]}


def run(replicates: int = REPLICATES, backend: str = "serial") -> pd.DataFrame:
    """Run (or continue) both runs and write their summary next to the chunks."""
    summaries = []
    for name, spec in RUNS.items():
        result = pw.power(
            design(name),
            effect_grid=spec.effects,
            n_reps=replicates,
            scenario="default",
            n_boot=N_BOOT,
            seed=spec.seed,
            backend=backend,
            chunk_size=CHUNK,
            out=OUT / "chunks" / name,
            progress=True,
        )
        summary = result.power.merge(result.mde, on=[*design(name), "method"])
        summaries.append(summary.assign(run=name))
    table = pd.concat(summaries, ignore_index=True)
    table.to_csv(OUT / "summary.csv", index=False)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--backend", default="serial", choices=["serial", "processes"])
    args = parser.parse_args(argv)
    table = run(args.replicates, args.backend)
    with pd.option_context("display.width", 160):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
