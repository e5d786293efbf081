"""``outcomes power``: how likely a proposed evaluation is to detect an effect.

Example::

    outcomes power --scenario default --n-applications 2000 --n-las 10 --years 5 \\
        --effect 0.02 --reps 500 [--scheduler tcp://host:8786] [--out power-run/]

simulates synthetic worlds of that size with the 2-year risk difference dialled in,
analyses each as the study's primary analysis does, and prints the power of the
primary and the crude comparison with Monte Carlo intervals, the analytic
approximation, and the minimum detectable risk difference at 80% power.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``power`` subcommand."""
    parser = subparsers.add_parser(
        "power",
        help="power and minimum detectable effect of a proposed evaluation, by simulation",
        description=(
            "Simulate synthetic worlds of the proposed size with a known 2-year risk "
            "difference (disposal within 26 weeks vs later), analyse each as the study's "
            "primary analysis does, and report power with Monte Carlo intervals and the "
            "minimum detectable effect. Exit code 0 on success, 2 for a mistake in the "
            "options."
        ),
    )
    parser.add_argument("--scenario", default="default", help="synthetic scenario (default)")
    parser.add_argument("--n-applications", type=int, nargs="+", default=[2000])
    parser.add_argument("--n-las", type=int, nargs="+", default=[10], help="local authorities")
    parser.add_argument("--years", type=int, nargs="+", default=[5], help="issue years")
    parser.add_argument(
        "--effect",
        type=float,
        nargs="+",
        default=[0.02],
        help="true 2-year risk difference(s), e.g. 0.02 for 2 points (default 0.02)",
    )
    parser.add_argument("--reps", type=int, default=200, help="worlds per design point")
    parser.add_argument("--n-boot", type=int, default=50, help="bootstrap replicates per world")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=["serial", "processes", "dask"], default="serial")
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler (implies --backend dask)"
    )
    parser.add_argument("--out", type=Path, help="folder for resumable results (Parquet chunks)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the simulation and print the tables; return 0."""
    from outcomes.simulation.power import power

    backend = "dask" if args.scheduler else args.backend
    result = power(
        {"n_applications": args.n_applications, "n_las": args.n_las, "years": args.years},
        effect_grid=args.effect,
        n_reps=args.reps,
        scenario=args.scenario,
        alpha=args.alpha,
        n_boot=args.n_boot,
        seed=args.seed,
        backend=backend,
        scheduler=args.scheduler,
        out=args.out,
        progress=True,
    )
    table = result.power.copy()
    for col in ("power", "ci_lower", "ci_upper", "analytic_power"):
        table[col] = (100 * table[col]).round(1)
    print("Power (%), 2-year risk difference, with 95% Monte Carlo intervals:")
    print(table.drop(columns=["mcse"]).to_string(index=False))
    mde = result.mde.copy()
    for col in ("mde_from_se", "mde_from_curve"):
        mde[col] = (100 * mde[col]).round(2)
    print("\nMinimum detectable risk difference at 80% power (percentage points):")
    print(mde.drop(columns=["target_power"]).to_string(index=False))
    return 0
