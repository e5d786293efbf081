"""``outcomes quality PATH``: the data-quality report of a dataset folder or file."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "quality",
        help="data-quality report of a dataset folder or proceedings file",
        description=(
            "Check completeness, validity, consistency, uniqueness and timeliness, by "
            "LA and DFJ area, and print a summary (counts under 10 suppressed). "
            "Exit code 0 whatever the quality; 2 if the data cannot be read."
        ),
    )
    parser.add_argument("path", type=Path, help="dataset folder or proceedings file")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write the HTML report (suppressed tables only)"
    )
    parser.add_argument(
        "--issues-out",
        type=Path,
        metavar="FILE",
        help="write the row-level issues to a CSV file (for the analyst: never publish)",
    )
    parser.add_argument(
        "--extract-date", metavar="YYYY-MM-DD", help="for a single file: the extract date"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the report, print its summary, write what was asked; return 0."""
    # imported here, not at the top, so that ``outcomes --help`` need not load pandas
    from outcomes.io import read_dataset, read_proceedings
    from outcomes.io.output import echo, refuse_to_replace_input, write_csv
    from outcomes.quality import check_quality

    for output in (args.out, args.issues_out):
        if output is not None:
            refuse_to_replace_input(output, [args.path])
    if args.path.is_dir():
        dataset = read_dataset(args.path)
    else:
        dataset = read_proceedings(args.path, extract_date=args.extract_date)
    report = check_quality(dataset)
    echo(report.summary_text())
    for name, columns in dataset.dropped_columns.items():
        echo(f"\nDropped from {name} as direct identifiers: {', '.join(columns)}")
    if args.out is not None:
        report.to_html(args.out)
        echo(f"\nHTML report written to {args.out}")
    if args.issues_out is not None:
        write_csv(report.issues, args.issues_out)
        echo(f"Row-level issues written to {args.issues_out} (not for publication)")
    return 0
