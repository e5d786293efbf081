"""``outcomes what-if DATASET --policy cap:26 [--policy shift:-4 ...] --out DIR``.

What would happen to children, and to cost, if proceedings took a different time?
Each ``--policy`` (``cap:W``, ``shift:K``, ``shift:K:floor=F``, ``match:best_quartile``,
``match:national``, ``match:AREA_CODE``) is estimated by the g-formula
(:class:`outcomes.policy.DurationPolicyEffect`) on the dataset's child-return cohort,
or on one area's children with ``--area``. Writes ``DIR/what_if.html`` (one
self-contained page, small numbers withheld), ``DIR/what_if.csv`` (tidy) and
``DIR/figures/*.png`` (:mod:`outcomes.policy.report`).

Example::

    outcomes what-if extract/ --policy cap:26 --policy shift:-4 \\
        --policy match:best_quartile --costs my_costs.toml --out what-if/
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from outcomes.errors import OutcomesError

PARALLEL_CHILDREN = 2_000
"""From this many children in the cohort the bootstrap runs on every core by default."""


class WhatIfArgumentError(OutcomesError):
    """An option of ``outcomes what-if`` cannot be used as given."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "what-if",
        help="the effect and the cost of duration policies (cap, shift, match)",
        description=(
            "Estimate what the risk of return to court, the weeks of proceedings and the "
            "cost would be under each duration policy, against the observed durations, "
            "by the g-formula with bootstrap intervals. Writes what_if.html, what_if.csv "
            "and figures/*.png to --out; counts under 10 and risks resting on them are "
            "withheld. Exit code 0 on success, 2 for a mistake in the input or options."
        ),
    )
    parser.add_argument("dataset", type=Path, metavar="DATASET_DIR", help="dataset folder")
    parser.add_argument(
        "--policy",
        action="append",
        required=True,
        metavar="SPEC",
        help="a policy: cap:WEEKS, shift:WEEKS[:floor=WEEKS], match:best_quartile, "
        "match:national or match:AREA_CODE; repeat for several",
    )
    parser.add_argument(
        "--costs",
        type=Path,
        default=None,
        metavar="COSTS_TOML",
        help="unit costs (costs.toml), added to the shipped defaults; without it only "
        "the defaults are used, which price none of the items needed (they are listed)",
    )
    parser.add_argument(
        "--horizons",
        nargs="+",
        default=["1", "2", "5"],
        metavar="YEARS",
        help="horizons in years (default: 1 2 5)",
    )
    parser.add_argument(
        "--cost-horizon",
        default="2",
        metavar="YEARS",
        help="the horizon whose risk of return counts the repeat proceedings priced; one "
        "of --horizons (default: 2)",
    )
    parser.add_argument(
        "--n-boot", type=int, default=200, help="bootstrap replicates (default: 200)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes for the bootstrap replicates; the same result whatever it is "
        f"(default: every core for {PARALLEL_CHILDREN:,} analysed children or more, "
        "else one)",
    )
    parser.add_argument(
        "--area",
        default=None,
        metavar="LA_OR_DFJ",
        help="analyse one local authority (la_code) or DFJ area's children; the "
        "references of match:best_quartile and match:national stay national",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that care-outcomes did not write, replacing "
        "what_if.html, what_if.csv and figures/ there",
    )
    parser.set_defaults(func=run)
    return parser


def _years(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise WhatIfArgumentError(f"{option}: {text!r} is not a number of years") from None
    if not (math.isfinite(value) and value > 0):
        raise WhatIfArgumentError(f"{option}: {text!r} is not a positive number of years")
    return value


def options(args: argparse.Namespace) -> dict[str, Any]:
    """Check the options before any work; the policies parsed, the costs read."""
    from outcomes.costs import UnitCosts
    from outcomes.policy import parse_policy

    horizons = tuple(dict.fromkeys(_years(h, "--horizons") for h in args.horizons))
    cost_horizon = _years(args.cost_horizon, "--cost-horizon")
    if cost_horizon not in horizons:
        raise WhatIfArgumentError(
            f"--cost-horizon {args.cost_horizon} is not one of --horizons "
            f"{' '.join(f'{h:g}' for h in horizons)}"
        )
    if args.n_boot < 2:
        raise WhatIfArgumentError(f"--n-boot must be at least 2, got {args.n_boot}")
    if args.jobs is not None and args.jobs < 1:
        raise WhatIfArgumentError(f"--jobs must be a positive number, not {args.jobs}")
    policies = []
    for spec in args.policy:
        try:
            policies.append(parse_policy(spec))
        except OutcomesError as exc:
            raise WhatIfArgumentError(f"--policy {spec}: {exc}") from None
    specs = [p.spec for p in policies]
    repeated = sorted({s for s in specs if specs.count(s) > 1})
    if repeated:
        raise WhatIfArgumentError(f"--policy given twice: {', '.join(repeated)}")
    costs = UnitCosts.default()
    if args.costs is not None:
        # a CostsError names the file, the entry and the field
        costs = costs.merged(UnitCosts.from_toml(args.costs))
    return {
        "policies": policies,
        "horizons": horizons,
        "cost_horizon": cost_horizon,
        "costs": costs,
        "n_boot": args.n_boot,
        "seed": args.seed,
        "jobs": args.jobs,
    }


def _start_workers(jobs: int) -> Callable[[], None] | None:
    from outcomes.study.methods import start_workers

    return start_workers(jobs, "outcomes.policy.gformula") if jobs > 1 else None


def run(args: argparse.Namespace) -> int:
    """Read the dataset, estimate the policies, write the report; returns 0."""
    from outcomes.cohort import build_cohort
    from outcomes.io import read_dataset
    from outcomes.io.output import OutputFolder, echo
    from outcomes.policy.report import ENTRIES, area_cohort, what_if

    opts = options(args)
    if not args.dataset.is_dir():
        raise WhatIfArgumentError(f"{args.dataset}: not a dataset folder")
    # before any work: an --out that is a file, or a folder we did not write, is refused
    OutputFolder(args.out, claims=ENTRIES, overwrite=args.overwrite).check()
    jobs = opts["jobs"]
    ready = _start_workers(jobs) if jobs is not None else None
    dataset = read_dataset(args.dataset)
    if ready is None and jobs is None and len(dataset.proceedings) >= PARALLEL_CHILDREN:
        # probably a cohort that big (one row per child and set of proceedings): the
        # workers start while the cohort is built and the models fitted
        ready = _start_workers(os.cpu_count() or 1)
    if len(dataset.quarantine):
        echo(
            f"note: {len(dataset.quarantine):,} rows were quarantined on reading "
            f"(run `outcomes validate {args.dataset}` for the reasons)",
            err=True,
        )
    cohort = build_cohort(dataset, outcome="child_return")
    settings: dict[str, Any] = {
        "source": dataset.manifest.source,
        "extract_date": dataset.manifest.extract_date,
    }
    policies = opts["policies"]
    if args.area is not None:
        try:
            cohort, policies = area_cohort(cohort, args.area, policies)
        except OutcomesError as exc:
            raise WhatIfArgumentError(f"--area: {exc}") from None
        settings["area"] = str(args.area)
    if jobs is None:
        # A worker process costs a second or two to start; a replicate on a few
        # thousand children costs a few tenths, so from there the cores pay.
        jobs = (os.cpu_count() or 1) if len(cohort.data) >= PARALLEL_CHILDREN else 1
    if ready is not None:
        ready()
    report = what_if(
        cohort,
        policies,
        horizons=opts["horizons"],
        cost_horizon=opts["cost_horizon"],
        costs=opts["costs"],
        n_boot=opts["n_boot"],
        seed=opts["seed"],
        n_jobs=jobs,
        settings=settings,
    )
    report.write(args.out, overwrite=args.overwrite)
    for message in report.messages:
        echo(f"warning: {message}", err=True)
    echo(report.headline.to_string(index=False))
    if report.omitted_costs:
        echo(
            f"\nnot priced (no unit cost; supply them with --costs): "
            f"{', '.join(report.omitted_costs)}"
        )
    echo(f"\nWrote {args.out / 'what_if.html'}, what_if.csv and figures/.")
    return 0
