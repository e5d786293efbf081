"""The ``outcomes`` command.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``. Errors a user can cause are printed as one message and give a
non-zero exit code; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from outcomes import __version__
from outcomes.cli import demo, kpis, quality, simulate, study, validate
from outcomes.errors import OutcomesError

EXIT_STRUCTURAL = 2
EXIT_INTERNAL = 3
SUBCOMMANDS = (validate, quality, kpis, simulate, study, demo)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="outcomes",
        description="Care proceedings outcomes: validate data, simulate worlds, run studies.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except OutcomesError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STRUCTURAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last guard: never show a user a bare traceback
        if args.debug:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in care-outcomes; run again with --debug for the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return code
