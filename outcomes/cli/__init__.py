"""The ``outcomes`` command.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``. Errors a user can cause are printed as one message and give a
non-zero exit code; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from outcomes import __version__
from outcomes.cli import (
    board,
    demo,
    import_,
    kpis,
    power,
    quality,
    simulate,
    study,
    validate,
    what_if,
)
from outcomes.errors import OutcomesError

EXIT_STRUCTURAL = 2
EXIT_INTERNAL = 3
SUBCOMMANDS = (validate, import_, quality, kpis, board, simulate, study, what_if, power, demo)


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
    """Run the command line; returns the exit code (see :data:`EXIT_CODES`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except BaseException as exc:
        code = exit_code(exc)
        if code == EXIT_INTERNAL and not isinstance(exc, Exception):
            raise  # SystemExit and the like are not ours to translate
        if args.debug and code != EXIT_INTERRUPTED:
            raise
        _report(exc, code)
    return code


EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_CODES: dict[int, str] = {
    0: "success (validate: every row kept)",
    1: "validate only: the data were read, and some rows were quarantined",
    EXIT_STRUCTURAL: "a user error: the input cannot be used as given, an option is wrong, "
    "or an output cannot be written where asked (the message names the file or option)",
    EXIT_INTERNAL: "a defect of care-outcomes (please report it, with --debug's traceback)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); nothing half-written is left",
    EXIT_BROKEN_PIPE: "the reader of standard output went away (e.g. `| head`)",
}
"""Every exit code of the ``outcomes`` command and its meaning."""


def exit_code(exc: BaseException) -> int:
    """The exit code for an exception reaching the command line: the one place they are
    decided.

    :class:`~outcomes.errors.OutcomesError` (every error a user can cause, including an
    output that cannot be written: the writers wrap operating-system errors on the
    user's paths) gives 2; Ctrl-C 130; a closed standard output 141; anything else is a
    defect of the toolkit, 3.
    """
    if isinstance(exc, OutcomesError):
        return EXIT_STRUCTURAL
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        return EXIT_BROKEN_PIPE
    return EXIT_INTERNAL


def _report(exc: BaseException, code: int) -> None:
    """One line on standard error (printable text only: messages may quote data)."""
    from outcomes.io.output import echo

    if code == EXIT_STRUCTURAL:
        echo(f"error: {exc}", err=True)
    elif code == EXIT_INTERRUPTED:
        echo("interrupted", err=True)
    elif code == EXIT_BROKEN_PIPE:
        # nobody is reading: say nothing, and keep Python from complaining at exit
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - closed at exit
    else:
        echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in care-outcomes; run again with --debug for the traceback.",
            err=True,
        )
