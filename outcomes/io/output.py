"""Everything that leaves the toolkit: safe CSV, printable text, atomic files and folders.

Four rules, each with one home here, so that no writer or command has to remember them:

**Printable text only** (:func:`printable`). Values from an extract reach the terminal
in summaries and error messages. Control characters -- above all the escape character
that starts ANSI sequences, which can recolour, hide or rewrite what an analyst sees --
and the Unicode bidirectional and invisible format characters are shown as visible
escapes (``\\x1b``, ``\\u202e``) instead of being passed through.

**No formula injection in CSV** (:func:`write_csv`). A spreadsheet opening a CSV file
runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, tab or
carriage return) as a formula: ``=HYPERLINK(...)`` in an ``la_code`` cell would reach
the analyst's machine. Following the OWASP guidance on CSV injection, such a cell of a
text column is written with a single quote in front, which spreadsheets show as text.
Numbers are left alone: numeric columns are written as numbers, and a text cell that is
a plain number (``-3``, ``+1.5e3``) cannot run anything and is written as it is, so
negative values stay negative.

**Atomic files** (:func:`atomic_path`, :func:`write_text`). An output file is written
under a temporary name in its own folder and renamed into place only when complete
(``os.replace`` is atomic on POSIX and Windows): a failed or interrupted run leaves the
old file or none, never a truncated one that a later read takes for data.

**Folders are replaced whole and only when ours** (:class:`OutputFolder`). A command
writing a folder writes it in a staging folder first and moves the entries into place
when everything succeeded. It refuses a non-empty folder that care-outcomes did not
write (it leaves a marker file, :data:`FOLDER_MARKER`) unless asked to overwrite, so
``outcomes simulate --out`` pointed at a real extract cannot destroy it.

Every operating-system failure while writing becomes an
:class:`~outcomes.errors.OutputError` naming the path, which the command line reports
with exit code 2.

References
----------
OWASP Foundation, "CSV Injection". https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import pandas as pd

from outcomes.errors import OutputError

PathLike = str | os.PathLike[str]

# --- printable text --------------------------------------------------------------------

_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
"""C0 controls but tab and newline, DEL, C1 controls (0x9b opens an ANSI sequence on
its own), and the invisible or direction-changing format characters."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control or invisible format character shown as an escape.

    Parameters
    ----------
    text : object
        Anything; it is converted with ``str``.

    Returns
    -------
    str
        The text, safe to print to a terminal: newlines and tabs kept, every other
        control character (ANSI escapes included) written as ``\\xNN`` or ``\\uNNNN``.

    Examples
    --------
    >>> printable("E08\\x1b[31m000001")
    'E08\\\\x1b[31m000001'
    """
    return _UNPRINTABLE.sub(_escape, str(text))


def echo(text: object, *, err: bool = False) -> None:
    """Print ``text`` (made :func:`printable`) to standard output, or error with ``err``.

    The command line prints through this function only.
    """
    import sys

    print(printable(text), file=sys.stderr if err else sys.stdout)


# --- safe CSV --------------------------------------------------------------------------

FORMULA_TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
"""First characters that make a spreadsheet read a cell as a formula (OWASP), with the
full-width forms of ``= + - @`` that some spreadsheets also accept."""
_TRIGGER = re.compile(f"^[ \u00a0]*[{re.escape(FORMULA_TRIGGERS)}]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: object) -> object:
    """A text cell made safe to open in a spreadsheet; anything else unchanged.

    A string whose first non-blank character is in :data:`FORMULA_TRIGGERS` gets a
    single quote in front, unless it is a plain number.

    >>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_cell("-2.5"), neutralise_cell("-2+cmd")
    ('-2.5', "'-2+cmd")
    """
    if isinstance(value, str) and _TRIGGER.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and header passed through
    :func:`neutralise_cell`; numeric, boolean and date columns are untouched."""
    out = frame.copy(deep=False)
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if values.dtype.kind == "O" or isinstance(values.dtype, pd.StringDtype):
            out.isetitem(position, values.map(neutralise_cell, na_action="ignore").to_numpy())
    out.columns = [neutralise_cell(str(c)) for c in frame.columns]
    return out


def write_csv(
    frame: pd.DataFrame, path: PathLike, *, neutralise_formulas: bool = True, **to_csv: object
) -> Path:
    """Write ``frame`` as CSV, neutralised against formula injection, atomically.

    The one CSV writer of the toolkit: quarantines, quality issues, estimates and every
    other table go through it.

    Parameters
    ----------
    frame : DataFrame
        Written without its index, ``\\n`` line endings, UTF-8.
    path : path-like
        The file. Its folder must exist; a folder at ``path`` is an error.
    neutralise_formulas : bool, default True
        Only a dataset folder's own tables turn this off: they are data for the
        toolkit, read back exactly (a ``-`` placeholder must stay ``-``), not a
        report for a spreadsheet.
    **to_csv
        Further options of :meth:`pandas.DataFrame.to_csv` (``date_format``, ...).

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        If ``path`` is a folder or cannot be written (naming it).
    """
    safe = neutralise(frame) if neutralise_formulas else frame
    if _holds_carriage_return(safe):
        # Python's csv writer leaves a bare CR unquoted when lines end in LF, and every
        # reader would split the record there: quote every text cell instead.
        to_csv = {"quoting": csv.QUOTE_NONNUMERIC, **to_csv}
    text = safe.to_csv(index=False, lineterminator="\n", **to_csv)  # type: ignore[call-overload]
    return write_text(path, text)


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    if any("\r" in str(c) for c in frame.columns):
        return True
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        is_text = values.dtype.kind == "O" or isinstance(values.dtype, pd.StringDtype)
        if is_text and values.astype(str).str.contains("\r", regex=False).any():
            return True
    return False


# --- atomic files ----------------------------------------------------------------------


def _os_error(path: Path, exc: OSError, doing: str) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"{path}: cannot {doing}: {reason}")


def _check_file_target(target: Path) -> None:
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give the name of a file to write")
    if not target.parent.is_dir():
        raise OutputError(f"{target}: the folder {target.parent} does not exist; create it first")


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it when the block succeeds.

    Hand the yielded path to any writer (``to_parquet``, ``savefig``); on success it is
    renamed over ``path``; on any failure it is removed and ``path`` is left as it was.

    Raises
    ------
    OutputError
        If ``path`` is a folder, its folder is missing, or writing fails for an
        operating-system reason (full disk, no permission).
    """
    target = Path(path)
    _check_file_target(target)
    # Not tempfile.mkstemp: its files are private (0600) and would stay so after the
    # rename; a fresh random name gets the permissions any new file gets.
    temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _os_error(target, exc, "write") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns the path."""
    target = Path(path)
    with atomic_path(target) as temporary, open(temporary, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return target


def write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode("utf-8"))


def make_folder(path: PathLike) -> Path:
    """Create the folder ``path`` (and its parents) if missing; returns it.

    Raises
    ------
    OutputError
        If a file is in the way or the folder cannot be created (naming it).
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: is a file, not a folder") from None
    except OSError as exc:
        raise _os_error(folder, exc, "create the folder") from None
    return folder


def refuse_to_replace_input(output: PathLike, inputs: Iterable[PathLike]) -> None:
    """Raise if the output file ``output`` is one of ``inputs`` (files or dataset folders).

    A row-level output written over the extract it came from would destroy the
    extract; so would one written over a table or the manifest of an input folder.

    Raises
    ------
    OutputError
    """
    from outcomes.schema import TABLES

    out = Path(output).resolve()
    owned = {"manifest.toml", *(f"{t}{s}" for t in TABLES for s in (".csv", ".parquet"))}
    for given in inputs:
        source = Path(given).resolve()
        if out == source or (source.is_dir() and out.parent == source and out.name in owned):
            raise OutputError(f"{output}: would replace the input {given}; write elsewhere")


# --- atomic folders --------------------------------------------------------------------

FOLDER_MARKER = ".care-outcomes-output"
"""File left in every folder a command writes: it marks the folder as care-outcomes'
own, which it may replace without being told to overwrite."""
STAGING_PREFIX = ".care-outcomes-staging-"


class OutputFolder:
    """Write a folder all at once, refusing to replace what is not ours.

    Use as a context manager: write every entry into the staging folder it yields; when
    the block ends without an error the entries are moved into ``path`` (each entry
    renamed into place, a sub-folder replaced whole), entries of ``claims`` that this
    run did not write are removed, and the marker file is written. When the block fails,
    the staging folder is removed and ``path`` is as it was (removed again if this run
    created it).

    Parameters
    ----------
    path : path-like
        The output folder. Created if missing (with its parents).
    claims : iterable of str
        Entry names this writer owns in the folder: removed when present and not
        written this time (a stale ``faults.csv`` after ``--no-faults``, the CSV tables
        after writing Parquet). Entries neither claimed nor written are never touched.
    overwrite : bool, default False
        Replace the claimed entries of a non-empty folder that care-outcomes did not
        write. Without it such a folder is refused.

    Raises
    ------
    OutputError
        ``path`` is a file, a non-empty folder not written by care-outcomes (without
        ``overwrite``), or the folder cannot be written (naming it and the reason).
    """

    def __init__(self, path: PathLike, *, claims: Iterable[str] = (), overwrite: bool = False):
        self.path = Path(path)
        self.claims = frozenset(claims)
        self.overwrite = overwrite
        self._created = False
        self._stage: Path | None = None

    def check(self) -> None:
        """Raise now what entering would raise about the folder itself.

        A command calls this before a long computation, so that a refused folder is
        reported at once rather than after the work.
        """
        path = self.path
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path}: is a file, not a folder; give a folder for the output")
        if path.is_dir():
            try:
                self._check_replaceable()
            except OSError as exc:
                raise _os_error(path, exc, "read the output folder") from None

    def __enter__(self) -> Path:
        path = self.path
        self.check()
        try:
            if not path.is_dir():
                path.mkdir(parents=True)
                self._created = True
            self._stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=path))
        except OSError as exc:
            self._abort()
            raise _os_error(path, exc, "write the output folder") from None
        return self._stage

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            try:
                self._commit()
            except OSError as error:
                self._abort()
                raise _os_error(self.path, error, "write the output folder") from error
            return
        self._abort()
        if isinstance(exc, OSError):
            raise _os_error(self.path, exc, "write the output folder") from exc
        if isinstance(exc, OutputError) and self._stage is not None:
            # name the file where the user will look for it, not the staging folder
            shown = str(exc).replace(str(self._stage), str(self.path))
            raise OutputError(shown) from exc

    def _check_replaceable(self) -> None:
        path = self.path
        entries = sorted(e.name for e in path.iterdir() if not e.name.startswith(STAGING_PREFIX))
        if not entries or FOLDER_MARKER in entries or self.overwrite:
            return
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise OutputError(
            f"{path}: the folder is not empty ({shown}) and was not written by "
            "care-outcomes; choose a new or empty folder, or ask to overwrite "
            "(--overwrite, or overwrite=True) to replace what this command writes there"
        )

    def _commit(self) -> None:
        assert self._stage is not None
        path, stage = self.path, self._stage
        written = sorted(e.name for e in stage.iterdir())
        trash = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=path))
        for name in written:
            target = path / name
            if target.exists() or target.is_symlink():
                os.replace(target, trash / name)
            os.replace(stage / name, target)
        for name in sorted(self.claims.difference(written)):
            stale = path / name
            if stale.exists() or stale.is_symlink():
                os.replace(stale, trash / name)
        marker = {"written_by": "care-outcomes", "entries": written}
        write_text(path / FOLDER_MARKER, json.dumps(marker, indent=1) + "\n")
        shutil.rmtree(trash, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)
        # staging folders of earlier runs that were killed outright
        for leftover in path.glob(STAGING_PREFIX + "*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def _abort(self) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
        if self._created:
            shutil.rmtree(self.path, ignore_errors=True)
