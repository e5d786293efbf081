"""``outcomes demo``: the study end to end on a synthetic world whose truth is known.

Simulates the ``default`` world, runs :class:`~outcomes.study.RushedDisposalStudy` on
it, writes ``demo-output/`` (``report.html``, ``estimates.csv``, ``figures/*.png``) and
prints the headline estimates next to the true effect the simulation built in. The
world's size and the bootstrap replicates are chosen to finish within a minute on a
2-core machine (``benchmarks/bench_demo.py``); the options make it larger or smaller.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from outcomes.cli.study import (
    add_overwrite_option,
    headline_text,
    output_folder,
    run_study,
    write_outputs,
)

DEMO_APPLICATIONS = 5_000
"""Applications in the demo world: about 4,500 children in the analysis cohort."""
DEMO_N_BOOT = 60
"""Bootstrap replicates of the demo (a real analysis uses 200 or more)."""
SYNTHETIC_NOTE = (
    "SYNTHETIC DATA: every child, case and court in this report was simulated by "
    "care-outcomes' synthetic world (scenario 'default'); nothing here describes real "
    "children or real courts."
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="the study end to end on a simulated world with known truth",
        description=(
            "Simulate the default synthetic world, run the rushed-disposal study on it, "
            "write report.html, estimates.csv and figures/ to --out, and compare the "
            "estimates with the simulation's true effect. The data are synthetic."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="output folder (default: %(default)s)",
    )
    add_overwrite_option(parser)
    parser.add_argument(
        "--n-applications",
        type=int,
        default=DEMO_APPLICATIONS,
        help="size of the simulated world (default: %(default)s)",
    )
    parser.add_argument(
        "--n-boot",
        type=int,
        default=DEMO_N_BOOT,
        help="cluster-bootstrap replicates (default: %(default)s)",
    )
    parser.add_argument(
        "--horizons", default="1,2,5", metavar="1,2,5", help="horizons in years (default: 1,2,5)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="worker processes for the bootstrap; results do not depend on it "
        "(default: %(default)s)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Simulate, run the study, write the outputs and print the headline; returns 0."""
    import synthetic
    from outcomes.cli.study import study_options
    from outcomes.io.output import echo

    start = time.perf_counter()
    echo(
        "care-outcomes demo -- on SYNTHETIC data: a simulated world of care proceedings\n"
        "whose true effect of disposal within 26 weeks is known, so you can see whether\n"
        "the study finds it. Nothing here describes real children.\n"
    )
    options = argparse.Namespace(
        threshold_weeks=26.0,
        outcome="child_return",
        horizons=args.horizons,
        confounders=None,
        n_boot=args.n_boot,
        seed=args.seed,
        n_jobs=args.n_jobs,
    )
    kwargs = study_options(options)
    output_folder(args.out, overwrite=args.overwrite).check()
    if args.n_applications < 500:
        from outcomes.cli.study import StudyArgumentError

        raise StudyArgumentError("--n-applications must be at least 500 for the study")
    world = synthetic.generate("default", n_applications=args.n_applications, seed=args.seed)
    echo(
        f"Simulated {world.clean['proceedings_id'].nunique():,} applications "
        f"({len(world.dataset.proceedings):,} proceedings rows, with data-quality faults) "
        f"in {time.perf_counter() - start:.0f} s; running the study "
        f"({args.n_boot} bootstrap replicates)..."
    )
    result = run_study(world.dataset, kwargs)
    write_outputs(result, args.out, note=SYNTHETIC_NOTE, overwrite=args.overwrite)
    echo("")
    echo(headline_text(result))
    horizon = float(result.settings["primary_horizon"])
    echo("")
    echo(truth_text(result, world.truth.value("risk_difference", horizon), horizon))
    echo(
        f"\nWrote {args.out / 'report.html'} (open it in a browser), estimates.csv and "
        f"figures/ in {time.perf_counter() - start:.0f} s. The data are synthetic."
    )
    return 0


def truth_text(result: object, truth: float, horizon: float) -> str:
    """Where the true risk difference lies against the primary and secondary CIs."""
    from outcomes.study.result import PRIMARY_METHOD, SECONDARY_METHOD, StudyResult

    assert isinstance(result, StudyResult)
    lines = [
        f"The truth: in this simulated world, disposal within 26 weeks changes the "
        f"{horizon:g}-year risk of return to court by {100 * truth:+.1f} percentage points."
    ]
    for method in (PRIMARY_METHOD, SECONDARY_METHOD, "crude_aalen_johansen"):
        row = result.get(method, "risk_difference", horizon)
        lo, hi = 100 * row["ci_lower"], 100 * row["ci_upper"]
        covers = "covers" if lo <= 100 * truth <= hi else "misses"
        lines.append(
            f"  {method:<22} {100 * row['estimate']:+.1f} pp (95% CI {lo:+.1f} to {hi:+.1f}): "
            f"{covers} the truth"
        )
    return "\n".join(lines)
