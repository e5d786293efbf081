"""Power of the primary analysis under no effect: the test's size, by simulation.

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    Under no effect, does the study's test of the primary 2-year risk difference reject
    at its nominal 5%? (Its power under an effect is only meaningful if it does.)
Data-generating mechanism
    The ``null`` scenario (duration changes neither the return hazard nor the order),
    with the design of a modest evaluation: :data:`DESIGN` -- 1,000 applications from
    10 local authorities over 5 issue years -- and the marginal 2-year risk difference
    dialled to exactly 0 (:func:`outcomes.simulation.power.hazard_ratio_for`; the null
    scenario's own marginal difference is close to, not exactly, zero, because a longer
    arm starts follow-up later and nearer ageing out).
Estimand
    The marginal 2-year risk difference of return, within 26 weeks vs later: 0.
Methods
    ``RushedDisposalStudy.primary()`` on each world: the crude Aalen-Johansen comparison
    and the primary IPTW Aalen-Johansen estimate with :data:`N_BOOT` bootstrap
    replicates, the study's default (a family bootstrap: 10 authorities are fewer than
    30). The test is the study's: of no difference, with the variance at the pooled risk
    from the bootstrap. The same
    worlds with 50 bootstrap replicates, the first run's setting, are kept in
    :data:`EARLIER` (``--earlier``).
Performance measures
    Rejection rate at alpha = 0.05 with its Monte Carlo SE
    :math:`\\sqrt{\\hat\\pi(1-\\hat\\pi)/R}`; the bias and empirical SE of the estimates.

Run ``python -m validation.power_null [--replicates R] [--backend processes] [--earlier]``:
results go to ``validation/results/power_null/`` (with ``--earlier``, to :data:`EARLIER`)
as Parquet chunks written as they finish (an interrupted run continues where it
stopped, with the same seeds), and are checked by
``tests/simulation/test_power_null.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from outcomes.simulation import power as pw

SEED = 20261204
DESIGN = {"n_applications": [1000], "n_las": [10], "years": [5]}
N_BOOT = 200
REPLICATES = 400
OUT = Path(__file__).resolve().parent / "results" / "power_null"
EARLIER = OUT / "earlier_n_boot_50"
"""The first run's setting: the same seeds and worlds, 50 bootstrap replicates."""
EARLIER_N_BOOT = 50
CHUNK = 4


def run(
    replicates: int = REPLICATES, backend: str = "serial", earlier: bool = False
) -> pw.PowerResult:
    """Run (or continue) the simulation and write the summary next to the chunks; with
    ``earlier``, the run of the same worlds with 50 bootstrap replicates."""
    folder = EARLIER if earlier else OUT
    result = pw.power(
        DESIGN,
        effect_grid=(0.0,),
        n_reps=replicates,
        scenario="null",
        n_boot=EARLIER_N_BOOT if earlier else N_BOOT,
        seed=SEED,
        backend=backend,
        chunk_size=CHUNK,
        out=folder / "chunks",
        progress=True,
    )
    summary = result.power.merge(result.mde, on=[*DESIGN, "method"])
    summary.to_csv(folder / "summary.csv", index=False)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--backend", default="serial", choices=["serial", "processes"])
    parser.add_argument(
        "--earlier", action="store_true", help="the same worlds, 50 bootstrap replicates"
    )
    args = parser.parse_args(argv)
    result = run(args.replicates, args.backend, args.earlier)
    with pd.option_context("display.width", 160):
        print(result.power.to_string(index=False))


if __name__ == "__main__":
    main()
