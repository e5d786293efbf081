"""``outcomes validate PATH``: check a dataset folder or one proceedings file."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_CLEAN = 0
EXIT_QUARANTINED = 1


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help="check a dataset folder or a proceedings file",
        description=(
            "Read and validate a dataset folder or one proceedings file (CSV, Parquet or "
            "Excel). Exit code: 0 clean, 1 rows quarantined, 2 the file cannot be read."
        ),
    )
    parser.add_argument("path", type=Path, help="dataset folder or proceedings file")
    parser.add_argument(
        "--quarantine-out",
        type=Path,
        metavar="FILE",
        help="write quarantined rows to a CSV file (identifying text withheld)",
    )
    parser.add_argument(
        "--extract-date",
        metavar="YYYY-MM-DD",
        help="for a single file: the date the extract was taken (later dates are errors)",
    )
    parser.add_argument(
        "--encoding", help="text encoding of a CSV file (default: detect UTF-8/16)"
    )
    parser.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    parser.add_argument(
        "--keep-identifiers",
        default="",
        metavar="A,B",
        help="identifier-like columns to keep rather than drop",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Validate, print the summary, and return the exit code."""
    # imported here, not at the top, so that ``outcomes --help`` need not load pandas
    from outcomes.io import read_dataset, read_proceedings, validation_summary
    from outcomes.io.output import echo, refuse_to_replace_input, write_csv

    keep = tuple(c for c in args.keep_identifiers.split(",") if c)
    if args.quarantine_out is not None:
        refuse_to_replace_input(args.quarantine_out, [args.path])
    if args.path.is_dir():
        dataset = read_dataset(args.path, keep_identifiers=keep)
    else:
        dataset = read_proceedings(
            args.path,
            extract_date=args.extract_date,
            keep_identifiers=keep,
            encoding=args.encoding,
            sheet=args.sheet,
        )
    echo(validation_summary(dataset, str(args.path)))
    if args.quarantine_out is not None:
        write_csv(dataset.quarantine, args.quarantine_out)
        echo(
            f"Quarantined rows written to {args.quarantine_out} "
            "(row-level data for the analyst: never publish)"
        )
    return EXIT_QUARANTINED if len(dataset.quarantine) else EXIT_CLEAN
