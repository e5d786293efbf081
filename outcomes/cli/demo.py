"""``outcomes demo``: the interim demonstration on the bundled example dataset.

Until the pre-specified study lands, the demo validates the bundled fictional example
and prints what the timeliness KPIs look like; it estimates no effects.
"""

from __future__ import annotations

import argparse

import pandas as pd

from outcomes.cli.validate import summary_text
from outcomes.datasets import example_path, load_example

STATUTORY_WEEKS = 26


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="interim demo: validate and summarise the bundled example dataset",
        description="Validate and summarise the small fictional example dataset.",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the validation summary and a timeliness summary; always exit 0."""
    print(
        "care-outcomes interim demo: this validates and summarises the small fictional\n"
        "example dataset. It estimates no effects yet; the end-to-end study demo replaces\n"
        "it when RushedDisposalStudy lands.\n"
    )
    dataset = load_example()
    print(summary_text(dataset, str(example_path())))
    print()
    print(timeliness_table(dataset.proceedings).to_string())
    return 0


def timeliness_table(proceedings: pd.DataFrame) -> pd.DataFrame:
    """Disposals per year: count, mean weeks, share within 26 weeks, commonest order."""
    closed = proceedings.dropna(subset=["disposal_date"])
    weeks = (closed["disposal_date"] - closed["issue_date"]).dt.days / 7
    by_year = closed.assign(weeks=weeks, year=closed["disposal_date"].dt.year).groupby("year")
    return pd.DataFrame(
        {
            "disposals": by_year.size(),
            "mean_weeks": by_year["weeks"].mean().round(1),
            f"within_{STATUTORY_WEEKS}_weeks_pct": (
                by_year["weeks"].apply(lambda w: (w <= STATUTORY_WEEKS).mean() * 100).round(0)
            ),
            "commonest_order": by_year["final_order"].agg(lambda s: s.mode().iloc[0]),
        }
    )
