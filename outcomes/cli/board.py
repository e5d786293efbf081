"""``outcomes board DATASET --area AREA --period 2023Q4 --out DIR``: the board pack.

Writes ``DIR/board.html`` (one self-contained page), ``DIR/tables.xlsx`` (one sheet per
table, each with its suppression note) and ``DIR/figures/*.png`` for a local authority
or a Designated Family Judge area, with the national figures beside it where the
dataset holds other areas.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from outcomes.errors import OutcomesError


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
    dataset = read_dataset(args.dataset)
    pack = board_pack(dataset, area=args.area, period=args.period)
    pack.write(args.out, overwrite=args.overwrite)
    for panel in pack.panels:
        echo(f"{panel.title}: {panel.reading}")
    echo(f"\nWrote {args.out / 'board.html'}, tables.xlsx and figures/.")
    return 0
