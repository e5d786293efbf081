"""``outcomes board DATASET --area AREA --period 2023Q4 --out DIR``: the board pack.

Writes ``DIR/board.html`` (one self-contained page), ``DIR/tables.xlsx`` (one sheet per
table, each with its suppression note) and ``DIR/figures/*.png`` for a local authority
or a Designated Family Judge area, with the national figures beside it where the
dataset holds other areas.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from outcomes.errors import OutcomesError

PARALLEL_ROWS = 50_000
"""From this size the quality report, run in a second process, saves more than the
process costs to start (about two seconds)."""


class BoardArgumentError(OutcomesError):
    """An option of ``outcomes board`` cannot be used as given."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "board",
        help="the board pack of one area for one quarter or year, safe to publish",
        description=(
            "Timeliness (disposal and issue basis), its trend, issue-cohort duration "
            "curves, open cases likely to pass 26 and 40 weeks, the order mix, children "
            "returning to court (crude and risk-adjusted, with a funnel plot), timeliness "
            "against returns, and data quality, for one local authority or DFJ area beside "
            "the national figures, each with a plain-English reading. Counts under 10 and "
            "whatever would reveal them are withheld. Exit code 0 on success, 2 for a "
            "mistake in the input or the options."
        ),
    )
    parser.add_argument("dataset", type=Path, metavar="DATASET_DIR", help="dataset folder")
    parser.add_argument(
        "--area", required=True, help="a local authority code (la_code) or a DFJ area name"
    )
    parser.add_argument(
        "--period",
        required=True,
        metavar="2023Q4",
        help="reporting quarter (2023Q4) or year (2023)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that care-outcomes did not write, replacing "
        "board.html, tables.xlsx and figures/ there",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="processes to use (-1: every core); default: two for a dataset of "
        f"{PARALLEL_ROWS:,} proceedings rows or more on a machine with two cores, else one",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Read the dataset, build the pack, write it; returns 0."""
    # heavy imports here, so that `outcomes --help` stays quick
    from outcomes.board import board_pack
    from outcomes.board.html import ENTRIES
    from outcomes.io import read_dataset
    from outcomes.io.output import OutputFolder, echo

    if not args.dataset.is_dir():
        raise BoardArgumentError(f"{args.dataset}: not a dataset folder")
    # before any work: an --out that is a file, or a folder we did not write, is refused
    OutputFolder(args.out, claims=ENTRIES, overwrite=args.overwrite).check()
    if args.jobs is not None and args.jobs < 1 and args.jobs != -1:
        raise BoardArgumentError(f"--jobs must be a positive number or -1, not {args.jobs}")
    dataset = read_dataset(args.dataset)
    jobs = args.jobs
    if jobs is None:
        jobs = 2 if len(dataset.proceedings) >= PARALLEL_ROWS and (os.cpu_count() or 1) > 1 else 1
    pack = board_pack(dataset, area=args.area, period=args.period, n_jobs=jobs)
    pack.write(args.out, overwrite=args.overwrite)
    for panel in pack.panels:
        echo(f"{panel.title}: {panel.reading}")
    echo(f"\nWrote {args.out / 'board.html'}, tables.xlsx and figures/.")
    return 0
