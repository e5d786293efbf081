"""``outcomes import RAW_FILE --mapping MAP --out DIR``: a raw extract to a dataset folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from outcomes.cli.validate import EXIT_CLEAN, EXIT_QUARANTINED
from outcomes.errors import OutcomesError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "import",
        help="import a raw extract in its own layout, through a mapping file",
        description=(
            "Read a raw proceedings extract (CSV, Excel or Parquet) through a mapping "
            "(mapping.toml: [columns], [constants], [orders], [dates], [covariates]), "
            "validate every row, and write a canonical dataset folder. With "
            "--write-mapping-template, write a guessed mapping to edit instead. "
            "Exit code: 0 clean, 1 rows quarantined (the folder is still written), "
            "2 the file or the mapping cannot be used."
        ),
    )
    parser.add_argument("raw_file", type=Path, metavar="RAW_FILE", help="the raw extract")
    parser.add_argument(
        "--mapping", type=Path, metavar="FILE", help="the mapping (TOML); see docs: import"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="the dataset folder to write")
    parser.add_argument(
        "--write-mapping-template",
        action="store_true",
        help="guess a mapping from the file and write it (to --mapping, or "
        "RAW_FILE.mapping.toml); never overwrites",
    )
    parser.add_argument(
        "--extract-date",
        metavar="YYYY-MM-DD",
        help="the date the extract was taken (default: the latest date in the file)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument(
        "--format", choices=("parquet", "csv"), default="parquet", help="table format"
    )
    parser.add_argument(
        "--quarantine-out", type=Path, metavar="FILE", help="write quarantined rows to a CSV file"
    )
    parser.add_argument("--encoding", help="text encoding of a CSV file (default: detect)")
    parser.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    parser.add_argument(
        "--keep-identifiers",
        default="",
        metavar="A,B",
        help="identifier-like columns to keep rather than drop",
    )
    parser.add_argument(
        "--pseudonymise-key",
        type=Path,
        metavar="FILE",
        help="replace proceedings_id, child_id and mother_id by keyed pseudonyms "
        "(HMAC-SHA256) with the key in FILE",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Import (or write the template), print the summary, return the exit code."""
    # Imported here so that `outcomes --help` stays light.
    from outcomes.io import validation_summary
    from outcomes.io.importer import import_extract, write_mapping_template
    from outcomes.io.output import write_csv

    if args.write_mapping_template:
        written = write_mapping_template(
            args.raw_file, args.mapping, encoding=args.encoding, sheet=args.sheet
        )
        print(f"Mapping template written to {written}: check and edit it, then run")
        print(f"  outcomes import {args.raw_file} --mapping {written} --out DATASET_DIR")
        return EXIT_CLEAN
    if args.mapping is None or args.out is None:
        raise OutcomesError(
            "outcomes import needs --mapping FILE and --out DIR "
            "(or --write-mapping-template to start a mapping)"
        )
    keep = tuple(c for c in args.keep_identifiers.split(",") if c)
    dataset = import_extract(
        args.raw_file,
        args.mapping,
        extract_date=args.extract_date,
        out=args.out,
        overwrite=args.overwrite,
        format=args.format,
        keep_identifiers=keep,
        pseudonymise_key=args.pseudonymise_key,
        encoding=args.encoding,
        sheet=args.sheet,
    )
    print(validation_summary(dataset, f"{args.raw_file} through {args.mapping}"))
    covariates = ", ".join(dataset.manifest.covariates) or "none"
    print(f"Covariates kept: {covariates}")
    print(f"Dataset folder written to {args.out}")
    if args.quarantine_out is not None:
        write_csv(dataset.quarantine, args.quarantine_out)
        print(f"Quarantined rows written to {args.quarantine_out}")
    return EXIT_QUARANTINED if len(dataset.quarantine) else EXIT_CLEAN
