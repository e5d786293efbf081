"""``outcomes simulate``: write a synthetic world as a dataset folder with its truth.

Example::

    outcomes simulate --scenario default --n-applications 20000 --seed 1 --out world/
    outcomes simulate --scenario my_scenario.toml --out world/ --format csv --ssda903

writes ``world/manifest.toml``, ``proceedings``, ``child_events`` and ``care_episodes``
tables, ``truth.json`` (the scenario, its provenance and the true causal estimands),
``faults.csv`` (every injected data-quality fault; absent with ``--no-faults``) and,
with ``--ssda903``, ``world/ssda903/header.csv`` and ``episodes.csv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from outcomes.errors import OutcomesError


class SimulationError(OutcomesError):
    """The simulation was asked for something impossible (bad scenario, bad size)."""


STAGES = ("scenario", "generate", "write dataset", "truth", "ssda903")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate",
        help="generate a synthetic world with known truth",
        description=(
            "Generate a synthetic world (observed data, data-quality faults and the true "
            "causal effects) and write it as a dataset folder plus truth.json."
        ),
    )
    parser.add_argument(
        "--scenario",
        default="default",
        help="packaged scenario (default, null, strong, mediated, poor_data, small_area) "
        "or a path to a scenario .toml (default: %(default)s)",
    )
    parser.add_argument(
        "--n-applications",
        type=int,
        default=None,
        help="expected number of applications over the window (default: the scenario's volume)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output folder: new, empty, or written by care-outcomes before",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that care-outcomes did not write, replacing "
        "the entries simulate writes (manifest.toml, tables, truth.json, faults.csv, ssda903/)",
    )
    parser.add_argument(
        "--format", choices=("parquet", "csv"), default="parquet", help="table format"
    )
    parser.add_argument(
        "--no-faults", action="store_true", help="write the data without data-quality faults"
    )
    parser.add_argument(
        "--ssda903", action="store_true", help="also write SSDA903 header and episode files"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Generate and write the world; returns 0."""
    from tqdm import tqdm

    import synthetic
    from outcomes.io.dataset import DATASET_ENTRIES, write_dataset_files
    from outcomes.io.output import OutputFolder, echo, write_csv, write_text

    if args.n_applications is not None and args.n_applications < 1:
        raise SimulationError(f"--n-applications must be positive, got {args.n_applications}")
    if args.seed < 0:
        raise SimulationError(f"--seed must be a non-negative integer, got {args.seed}")
    folder = OutputFolder(
        args.out,
        claims=(*DATASET_ENTRIES, "truth.json", "faults.csv", "ssda903"),
        overwrite=args.overwrite,
    )
    folder.check()
    stages = [s for s in STAGES if s != "ssda903" or args.ssda903]
    with tqdm(total=len(stages), desc="simulate", unit="step", file=sys.stderr) as bar:
        bar.set_postfix_str("loading scenario")
        try:
            scenario = synthetic.load_scenario(
                Path(args.scenario) if args.scenario.endswith(".toml") else args.scenario
            )
        except synthetic.ScenarioError as exc:
            raise SimulationError(str(exc)) from exc
        bar.update()
        bar.set_postfix_str("generating")
        world = synthetic.generate(
            scenario,
            n_applications=args.n_applications,
            seed=args.seed,
            faults=not args.no_faults,
        )
        bar.update()
        with folder as stage:
            bar.set_postfix_str("writing tables")
            write_dataset_files(world.dataset, stage, format=args.format)
            bar.update()
            bar.set_postfix_str("writing truth")
            write_text(stage / "truth.json", world.truth.to_json())
            if not args.no_faults:
                write_csv(world.faults, stage / "faults.csv")
            bar.update()
            if args.ssda903:
                bar.set_postfix_str("writing SSDA903")
                synthetic.write_ssda903(world, stage / "ssda903")
                bar.update()
        bar.set_postfix_str("done")
    n_rows = len(world.dataset.proceedings)
    n_apps = world.clean["proceedings_id"].nunique()
    echo(
        f"wrote {args.out}: scenario {scenario.name!r}, seed {args.seed}, {n_apps} applications, "
        f"{n_rows} proceedings rows, {len(world.faults)} faults; truth in truth.json"
    )
    return 0
