"""``outcomes study DATASET_DIR --out DIR``: the pre-specified rushed-disposal study.

Example::

    outcomes study extract/ --out study-output/ --horizons 1,2,5 --n-boot 200 --seed 1

writes ``study-output/report.html`` (one self-contained page, small numbers
suppressed), ``study-output/estimates.csv`` (the tidy estimates) and
``study-output/figures/*.png``, and prints the headline table.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from outcomes.errors import OutcomesError

if TYPE_CHECKING:
    from outcomes.io.output import OutputFolder
    from outcomes.study.result import StudyResult

HEADLINE_COLUMNS = ["method", "estimand", "horizon_years", "estimate", "ci_lower", "ci_upper"]


class StudyArgumentError(OutcomesError):
    """An option of ``outcomes study`` cannot be used as given."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the subcommand."""
    parser = subparsers.add_parser(
        "study",
        help="run the rushed-disposal study on a dataset folder",
        description=(
            "Run RushedDisposalStudy on a dataset folder and write report.html, "
            "estimates.csv and figures/*.png to --out. A dataset that cannot be read "
            "gives exit code 2."
        ),
    )
    add_study_options(parser)
    parser.add_argument("dataset", type=Path, metavar="DATASET_DIR", help="dataset folder")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    add_overwrite_option(parser)
    parser.set_defaults(func=run)
    return parser


def add_study_options(parser: argparse.ArgumentParser, n_boot: int = 200) -> None:
    """The study's options, shared with ``outcomes demo``."""
    parser.add_argument(
        "--threshold-weeks", type=float, default=26, help="exposure threshold (default: 26)"
    )
    parser.add_argument("--outcome", default="child_return", help="outcome (default: %(default)s)")
    parser.add_argument(
        "--horizons", default="1,2,5", metavar="1,2,5", help="horizons in years (default: 1,2,5)"
    )
    parser.add_argument(
        "--confounders",
        default=None,
        metavar="A,B,C",
        help="confounder columns (default: the study's pre-specified set)",
    )
    parser.add_argument(
        "--n-boot",
        type=int,
        default=n_boot,
        help="cluster-bootstrap replicates (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--no-mediation",
        dest="mediation",
        action="store_false",
        help="leave out the mediation analysis through the final order",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="worker processes for the bootstrap; results do not depend on it (default: 1)",
    )


def run(args: argparse.Namespace) -> int:
    """Read the dataset, run the study, write the outputs; returns 0."""
    from outcomes.io import read_dataset

    study_kwargs = study_options(args)
    if not args.dataset.is_dir():
        raise StudyArgumentError(f"{args.dataset}: not a dataset folder")
    # Before any work: an --out that is a file, or a folder we did not write, is refused.
    output_folder(args.out, overwrite=args.overwrite).check()
    dataset = read_dataset(args.dataset)
    if len(dataset.quarantine):
        print(
            f"note: {len(dataset.quarantine):,} rows were quarantined on reading "
            f"(run `outcomes validate {args.dataset}` for the reasons)",
            file=sys.stderr,
        )
    result = run_study(dataset, study_kwargs)
    write_outputs(result, args.out, overwrite=args.overwrite)
    print(headline_text(result))
    print(f"\nWrote {args.out / 'report.html'}, estimates.csv and figures/.")
    return 0


def study_options(args: argparse.Namespace) -> dict[str, object]:
    """The keyword arguments of :class:`RushedDisposalStudy` from the options."""
    try:
        horizons = tuple(float(h) for h in args.horizons.split(",") if h.strip())
    except ValueError as exc:
        raise StudyArgumentError(f"--horizons must be numbers like 1,2,5: {exc}") from exc
    if not horizons or any(not math.isfinite(h) or h <= 0 for h in horizons):
        raise StudyArgumentError(
            f"--horizons must be positive, finite numbers of years like 1,2,5, got "
            f"{args.horizons!r}"
        )
    if args.n_boot < 2:
        raise StudyArgumentError(f"--n-boot must be at least 2, got {args.n_boot}")
    if args.threshold_weeks <= 0:
        raise StudyArgumentError("--threshold-weeks must be positive")
    confounders = None
    if args.confounders:
        confounders = [c.strip() for c in args.confounders.split(",") if c.strip()]
    return {
        "threshold_weeks": args.threshold_weeks,
        "outcome": args.outcome,
        "horizons": horizons,
        "confounders": confounders,
        "n_boot": args.n_boot,
        "seed": args.seed,
        "n_jobs": max(1, args.n_jobs),
        "mediation": getattr(args, "mediation", True),
    }


def run_study(data: object, kwargs: dict[str, object]) -> StudyResult:
    """Run the study with a progress bar on standard error."""
    import warnings

    from outcomes.causal import PositivityWarning
    from outcomes.study import RushedDisposalStudy

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PositivityWarning)
        result = RushedDisposalStudy(data, progress=True, **kwargs).run()  # type: ignore[arg-type]
    for w in caught:
        if issubclass(w.category, PositivityWarning):
            from outcomes.io.output import echo

            echo(f"warning: {w.message}", err=True)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def add_overwrite_option(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``, shared with ``outcomes demo``."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that care-outcomes did not write, replacing "
        "report.html, estimates.csv and figures/ there",
    )


def output_folder(out: Path, *, overwrite: bool = False) -> OutputFolder:
    """The study's output folder writer (see :class:`outcomes.io.output.OutputFolder`)."""
    from outcomes.io.output import OutputFolder

    return OutputFolder(
        out, claims=("report.html", "estimates.csv", "figures"), overwrite=overwrite
    )


def write_outputs(
    result: StudyResult, out: Path, note: str | None = None, *, overwrite: bool = False
) -> None:
    """``report.html``, ``estimates.csv`` and ``figures/*.png`` in ``out``, all at once:
    a failure leaves ``out`` as it was."""
    from outcomes.io.output import write_csv
    from outcomes.study.estimates import COLUMNS

    with output_folder(out, overwrite=overwrite) as stage:
        result.to_html(stage / "report.html", note=note)
        # published like the report: risks withheld where counts are small, rounded
        write_csv(result.published_estimates()[COLUMNS], stage / "estimates.csv")
        figures = stage / "figures"
        figures.mkdir()
        for name, fig in result.figures.items():
            fig.savefig(figures / f"{name}.png", dpi=100)


def headline_text(result: StudyResult) -> str:
    """The headline table as text: risks in percentage points, ratios as ratios."""
    import pandas as pd  # here, not at the top: ``outcomes --help`` need not load pandas

    table = result.headline()[HEADLINE_COLUMNS].copy()
    pct = table["estimand"] == "risk_difference"
    for col in ("estimate", "ci_lower", "ci_upper"):
        table[col] = table[col].astype(float).where(~pct, 100 * table[col].astype(float))
        table[col] = table[col].round(2)
    table["horizon_years"] = table["horizon_years"].map(lambda h: "" if pd.isna(h) else f"{h:g}")
    table["estimand"] = table["estimand"].where(~pct, "risk_difference (pp)")
    return "Headline estimates (95% CI):\n" + table.to_string(index=False)
