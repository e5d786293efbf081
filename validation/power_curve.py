"""Power of the study by effect size and world size: the power curve, by simulation.

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    Does the study's power rise as it should -- with the true effect, and with the size
    of the evaluation at a fixed effect? A power calculator whose curve is flat or
    falls somewhere is wrong somewhere; the crossing of the two checks is the shape an
    evaluator reads off ``outcomes.power``.
Data-generating mechanism
    The ``default`` scenario with the design :data:`DESIGN` -- 1,000 or 3,000
    applications from 10 local authorities over 5 issue years -- crossed with the true
    marginal 2-year risk differences :data:`EFFECTS` (0, 2 and 4 percentage points),
    each dialled in by :func:`outcomes.simulation.power.hazard_ratio_for`.
Estimand
    The marginal 2-year risk difference of return, within 26 weeks vs later.
Methods
    ``RushedDisposalStudy.primary()`` on each world: the crude Aalen-Johansen comparison
    and the primary IPTW Aalen-Johansen estimate with :data:`N_BOOT` bootstrap
    replicates (a family bootstrap: 10 authorities are fewer than 30), as the null run
    (``validation/power_null.py``) does. The test is the study's: Wald with the
    bootstrap standard error.
Performance measures
    Rejection rate at alpha = 0.05 per design point, effect and method with its Monte
    Carlo SE :math:`\\sqrt{\\hat\\pi(1-\\hat\\pi)/R}`; the empirical SE of the estimates.

:data:`REPLICATES` worlds per cell. The estimates' SD is about 1.4 points at 1,000
applications (the null run) and so about 0.8 at 3,000: the grid puts the effects at
0 to 5 standard errors, where the steps of the curve (about 0.25 to 0.5 in power) are
five or more Monte Carlo SEs (at most 0.05 each) apart. The whole run is about twenty
minutes of one core.

Run ``python -m validation.power_curve [--replicates R] [--backend processes]``: results
go to ``validation/results/power_curve/`` (Parquet chunks written as they finish: an
interrupted run continues where it stopped, with the same seeds) and are checked by
``tests/simulation/test_power_curve.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from outcomes.simulation import power as pw

SEED = 20261205
DESIGN = {"n_applications": [1000, 3000], "n_las": [10], "years": [5]}
EFFECTS = (0.0, 0.02, 0.04)
N_BOOT = 50
REPLICATES = 100
OUT = Path(__file__).resolve().parent / "results" / "power_curve"
CHUNK = 10


def run(replicates: int = REPLICATES, backend: str = "serial") -> pw.PowerResult:
    """Run (or continue) the simulation and write the summary next to the chunks."""
    result = pw.power(
        DESIGN,
        effect_grid=EFFECTS,
        n_reps=replicates,
        scenario="default",
        n_boot=N_BOOT,
        seed=SEED,
        backend=backend,
        chunk_size=CHUNK,
        out=OUT / "chunks",
        progress=True,
    )
    summary = result.power.merge(result.mde, on=[*DESIGN, "method"])
    summary.to_csv(OUT / "summary.csv", index=False)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--backend", default="serial", choices=["serial", "processes"])
    args = parser.parse_args(argv)
    result = run(args.replicates, args.backend)
    with pd.option_context("display.width", 160):
        print(result.power.to_string(index=False))


if __name__ == "__main__":
    main()
