"""``outcomes kpis DATASET``: timeliness KPIs (and open-case progression), suppressed.

Writes a CSV (the timeliness table) or an Excel workbook (one sheet per table, each
with its suppression note) that is safe to publish: counts under 10, and anything that
would give them back, are withheld.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from outcomes.errors import OutcomesError


class OutputError(OutcomesError):
    """The output file cannot be written as asked."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "kpis",
        help="timeliness KPIs by area and period, suppressed for publication",
        description=(
            "Average and median weeks and the share of care proceedings disposed within "
            "26 weeks, by area and period, as the published family court statistics "
            "define them (or by issue cohort); with .xlsx also open-case progression and "
            "the mix of final orders. "
            "Counts under 10 and whatever would reveal them are withheld. Exit code 0 on "
            "success, 2 for a mistake in the input or the options."
        ),
    )
    parser.add_argument("dataset", type=Path, help="dataset folder or proceedings file")
    parser.add_argument(
        "--by",
        default="la_code",
        help="comma-separated grouping columns (default la_code; 'none' for national)",
    )
    parser.add_argument("--period", default="quarter", choices=["quarter", "year"])
    parser.add_argument("--basis", default="disposal", choices=["disposal", "issue"])
    parser.add_argument("--unit", default="child", choices=["child", "application"])
    parser.add_argument("--threshold-weeks", type=float, default=26.0, metavar="WEEKS")
    parser.add_argument(
        "--extract-date", metavar="YYYY-MM-DD", help="for a single file: the extract date"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="kpis.csv or kpis.xlsx"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Compute the KPI tables, write them, print a one-line summary; return 0."""
    # heavy imports here, so that `outcomes --help` stays quick
    from outcomes.io import read_dataset, read_proceedings
    from outcomes.kpi import case_progression, order_mix, timeliness

    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise OutputError(f"--out must end in .csv or .xlsx, not {args.out.name!r}")
    if not args.out.parent.exists():
        raise OutputError(f"--out: folder {args.out.parent} does not exist")
    if not args.dataset.exists():
        raise OutputError(f"{args.dataset}: no such file or folder")
    if args.dataset.is_dir():
        dataset = read_dataset(args.dataset)
    else:
        dataset = read_proceedings(args.dataset, extract_date=args.extract_date)
    by = (
        []
        if args.by.strip().lower() in ("", "none")
        else [c.strip() for c in args.by.split(",") if c.strip()]
    )
    table = timeliness(
        dataset,
        by=by,
        period=args.period,
        basis=args.basis,
        threshold_weeks=args.threshold_weeks,
        unit=args.unit,
    )
    sheets = {"timeliness": table}
    if suffix == ".xlsx":
        area = by[0] if by else "dfj_area"
        sheets["case_progression"] = case_progression(dataset, by=area, unit=args.unit).areas
        sheets["order_mix"] = order_mix(dataset, by=by, period=args.period)
    _write(sheets, args.out)
    withheld = int(table["suppressed"].sum())
    print(
        f"{len(table)} rows ({args.basis} basis, by {', '.join(by) or 'nation'} and "
        f"{args.period}); {withheld} with figures withheld; written to {args.out}"
    )
    return 0


NOTE = (
    "Counts from 1 to 9 are withheld ([c] / empty), with other cells where they could be "
    "worked back from totals, from the count within the threshold or from a rate times "
    "a count; zeros are true zeros."
)


def _write(sheets: dict, out: Path) -> None:
    """Write atomically through the toolkit's one output layer: CSV by its safe writer;
    Excel with the same neutralisation of formula-like text (openpyxl would store a
    text cell starting with ``=`` as a formula)."""
    import pandas as pd

    from outcomes.io.output import atomic_path, neutralise, write_csv

    if out.suffix.lower() == ".csv":
        write_csv(next(iter(sheets.values())), out)
        return
    with atomic_path(out) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            note = pd.DataFrame({name: [NOTE, ""]})
            note.to_excel(writer, sheet_name=name, index=False, header=False)
            neutralise(frame).to_excel(writer, sheet_name=name, index=False, startrow=2)
