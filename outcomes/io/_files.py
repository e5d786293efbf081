"""Reading one table file (CSV/TSV, Parquet, Excel) into text columns.

Everything is read as text first and typed later by validation, so a bad value in one
row can be reported and quarantined instead of failing the file or being coerced
silently. Structural problems raise :class:`~outcomes.errors.SchemaError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from outcomes.errors import SchemaError
from outcomes.io._columns import is_identifier, normalise_name
from outcomes.schema import STRING_DTYPE, Table

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_FIELD_CHARS = 32_767
"""The longest value a field may hold: Excel's limit for one cell, so no value of a
real extract is longer. A longer value is quarantined as ``oversized_field``."""
MAX_RECORD_BYTES = 1 << 20
"""A line longer than this is set aside before parsing (quarantined alone): a record of
legal values is far shorter, and one huge line must not derail the parser."""
BLOCK_BYTES = 4 << 20
"""Arrow's parsing block; more than any line passed to it (:data:`MAX_RECORD_BYTES`),
so no record straddles blocks."""
SHOWN_BYTES = 200
"""How much of a set-aside line the quarantine shows."""
_CONTROL = bytes([*range(9), 11, 12, *range(14, 32), 127])
"""C0 control characters other than tab, line feed and carriage return, and DEL."""
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
HEADER_SEARCH_ROWS = 10
"""Excel trackers put titles and merged group headings above the header row; look this
far down for it."""


@dataclass(frozen=True)
class Malformed:
    """A record that could not be split into fields: quarantined alone."""

    row: int
    text: str
    reason: str
    column: str | None
    detail: str


@dataclass
class RawTable:
    """A table read as text, with canonical column names.

    Attributes
    ----------
    frame : DataFrame
        Text columns (stripped; empty cells missing), canonical names.
    rows : ndarray of int
        Spreadsheet row of each frame row (the header row is 1 in a plain CSV).
    malformed : list of Malformed
        Records set aside before typing (not split into the header's fields, broken
        quoting, oversized), each with its row and reason.
    original_names : dict
        Canonical name -> header as written in the file.
    dropped : list of str
        Columns dropped as direct identifiers.
    control_checked : bool
        Whether the text is known to hold no control characters (validation then skips
        looking for them).
    placeholders : dict
        Column -> number of placeholder identifiers (``NULL``, ``N/A``, ...) read as
        missing (set by validation).
    """

    file: str
    frame: pd.DataFrame
    rows: np.ndarray
    malformed: list[Malformed] = field(default_factory=list)
    original_names: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    control_checked: bool = False
    placeholders: dict[str, int] = field(default_factory=dict)


def read_raw(
    path: Path,
    table: Table,
    *,
    keep_identifiers: tuple[str, ...] = (),
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> RawTable:
    """Read ``path`` as text and map its headers onto ``table``'s columns.

    Raises
    ------
    SchemaError
        Unreadable, empty or undecodable file; duplicate or missing required columns.
    """
    name = str(path)
    check_file(path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        raw = _read_parquet(path)
    elif suffix in EXCEL_SUFFIXES:
        raw = _read_excel(path, table, sheet)
    elif suffix in CSV_SUFFIXES:
        raw = _read_csv(path, encoding)
    else:
        raise SchemaError(
            f"unsupported file type {suffix!r}: use .csv, .tsv, .parquet or .xlsx", file=name
        )
    return _canonical_columns(raw, table, keep_identifiers)


def check_file(path: Path) -> None:
    """Raise a :class:`SchemaError` saying what ``path`` is, unless a readable file."""
    name = str(path)
    try:
        path.stat()
    except OSError as exc:
        if path.is_symlink():
            raise SchemaError(
                "is a broken symbolic link or a symbolic-link loop "
                f"({exc.strerror or exc}); point it at a file",
                file=name,
            ) from None
        if isinstance(exc, FileNotFoundError):
            raise SchemaError("file not found", file=name) from None
        raise SchemaError(f"cannot be read: {exc.strerror or exc}", file=name) from None
    if path.is_dir():
        raise SchemaError("is a folder, not a file", file=name)
    if not path.is_file():
        raise SchemaError("is not a regular file (a device, pipe or socket)", file=name)
    if not os.access(path, os.R_OK):
        raise SchemaError("cannot be read: permission denied", file=name)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SchemaError(f"cannot be read: {exc.strerror or exc}", file=str(path)) from None


def _canonical_columns(raw: RawTable, table: Table, keep: tuple[str, ...]) -> RawTable:
    headers = list(raw.frame.columns)
    seen: dict[str, str] = {}
    for header in headers:
        canonical = normalise_name(header)
        canonical = table.aliases.get(canonical, canonical)
        if not canonical:
            raise SchemaError("a column has an empty header", file=raw.file)
        if canonical in seen:
            raise SchemaError(
                f"duplicate column: {seen[canonical]!r} and {header!r} both mean {canonical!r}",
                file=raw.file,
                column=str(header),
            )
        seen[canonical] = str(header)
    raw.frame.columns = list(seen)
    raw.original_names = seen
    keep_set = {normalise_name(k) for k in keep}
    # judged on the header as written too: camel case (``ChildName``) is lost in the
    # canonical name; the table's own columns are never identifiers
    raw.dropped = [
        c
        for c, header in seen.items()
        if (is_identifier(header) or is_identifier(c))
        and c not in table.names
        and c not in keep_set
        and normalise_name(header) not in keep_set
    ]
    raw.frame = raw.frame.drop(columns=raw.dropped)
    missing = [c for c in table.required_columns if c not in raw.frame.columns]
    if missing:
        found = ", ".join(repr(h) for h in headers)
        raise SchemaError(
            f"missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (the header has: {found})",
            file=raw.file,
            column=missing[0],
        )
    return raw


# --- CSV -------------------------------------------------------------------------------


def _decode_check(data: bytes, name: str, encoding: str | None) -> bytes:
    """Return the file as UTF-8 bytes, or raise naming where decoding fails."""
    if not data.strip():
        raise SchemaError(
            "file is empty" if not data else "file holds only blank space", file=name
        )
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        elif data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        elif data[:4096].count(b"\x00") > len(data[:4096]) // 4:
            # UTF-16 text of the Latin alphabet is half NUL bytes; a stray NUL in a
            # UTF-8 file is a bad value in one record, quarantined there.
            raise SchemaError(
                "file holds NUL bytes: it looks like UTF-16 without a byte-order mark; "
                "pass encoding='utf-16-le'",
                file=name,
            )
        else:
            encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        delimiter = _sniff_delimiter(data[: data.find(b"\n")].decode("utf-8", "replace"))
        header = next(
            csv.reader([data[: data.find(b"\n")].decode("utf-8", "replace")], delimiter=delimiter)
        )
        field_no = data[start : exc.start].count(delimiter.encode())
        column = header[field_no] if field_no < len(header) else None
        raise SchemaError(
            f"text is not valid {encoding} (byte 0x{data[exc.start]:02x}); if the file came "
            "from Excel on Windows, read it with encoding='cp1252'",
            file=name,
            row=line,
            column=column,
        ) from None
    except LookupError:
        raise SchemaError(f"unknown encoding {encoding!r}", file=name) from None
    if encoding in ("utf-8", "utf-8-sig"):
        return data[3:] if encoding == "utf-8-sig" else data
    return text.encode("utf-8")


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def _read_csv(path: Path, encoding: str | None) -> RawTable:
    name = str(path)
    data = _decode_check(_read_bytes(path), name, encoding)
    # A record is a line. CR-only (old Mac) and mixed line endings are made LF, so that
    # every line break a spreadsheet would show ends a record.
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    # The header is the first non-blank line.
    offset, header_line_no = 0, 1
    while True:
        end = data.find(b"\n", offset)
        line = data[offset : end if end >= 0 else len(data)]
        if line.strip():
            break
        offset, header_line_no = end + 1, header_line_no + 1
    header_text = line.decode("utf-8")
    delimiter = _sniff_delimiter(header_text)
    headers = next(csv.reader([header_text], delimiter=delimiter))
    headers = [h.strip() for h in headers]
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise SchemaError(
            f"duplicate column name {duplicates[0]!r}", file=name, column=duplicates[0]
        )
    body = data[offset + len(line) + 1 :] if end >= 0 else b""
    if not body.strip():
        empty = pd.DataFrame({h: pd.Series(dtype=STRING_DTYPE) for h in headers})
        return RawTable(file=name, frame=empty, rows=np.zeros(0, dtype=np.int64))
    records = _Records(body, delimiter, headers)
    first_data_line = header_line_no + 1
    frame, good_index, malformed = records.parse()
    rows = first_data_line + good_index
    bad = [
        Malformed(first_data_line + i, text, reason, column, detail)
        for i, text, reason, column, detail in malformed
    ]
    frame, rows = _drop_blank(frame, rows)
    bad = [m for m in bad if m.text.strip(" ,;\t|")]
    return RawTable(
        file=name,
        frame=frame,
        rows=rows,
        malformed=bad,
        control_checked=not records.has_control,
    )


_Bad = tuple[int, str, str | None, str]
"""A line the parser could not split: (index among the lines parsed, text, column,
detail)."""
_SetAside = tuple[int, str, str, str | None, str]
"""A line set aside: (0-based line, text shown, reason, column, detail)."""


class _Records:
    """The body of a delimited file, one record per line, counted apart from the parser.

    The line structure is the record count: the parser must return exactly one result
    (a row or an invalid row) per line, or it is not trusted. Lines that would derail it
    are set aside first, each quarantined alone: a line longer than
    :data:`MAX_RECORD_BYTES`, and a line with an odd number of double quotes (a quoted
    value opened and never closed would swallow the following lines). Arrow parses the
    rest; if its count still differs from the lines given (a quote opened mid-line),
    every line is parsed on its own with the standard library instead.
    """

    def __init__(self, body: bytes, delimiter: str, headers: list[str]) -> None:
        self.body = body
        self.delimiter = delimiter
        self.headers = headers
        newlines = np.flatnonzero(np.frombuffer(body, np.uint8) == 10)
        self.starts = np.concatenate(([0], newlines + 1))
        self.ends = np.concatenate((newlines, [len(body)]))
        if self.starts[-1] == len(body):  # a final line break ends the last record
            self.starts, self.ends = self.starts[:-1], self.ends[:-1]
        # deleting every other byte is a single pass at memory speed
        self.has_control = bool(body.translate(None, _NOT_CONTROL))

    def line(self, i: int) -> str:
        return self.body[self.starts[i] : self.ends[i]].decode("utf-8")

    def parse(self) -> tuple[pd.DataFrame, np.ndarray, list[_SetAside]]:
        """Rows parsed (frame, 0-based line of each) and set-aside lines."""
        n = len(self.starts)
        aside: dict[int, tuple[str, str | None, str]] = {}
        lengths = self.ends - self.starts
        for i in np.flatnonzero(lengths > MAX_RECORD_BYTES):
            aside[int(i)] = (
                "oversized_field",
                self._column_at(self.line(int(i)), None),
                f"the record is {int(lengths[i]):,} bytes long; no field may exceed "
                f"{MAX_FIELD_CHARS:,} characters",
            )
        if b'"' in self.body:
            quotes = np.flatnonzero(np.frombuffer(self.body, np.uint8) == 34)
            # quotes before each line's start, differenced: the quotes on each line
            per_line = np.diff(np.searchsorted(quotes, np.r_[self.starts, len(self.body)]))
            for i in np.flatnonzero(per_line % 2 == 1):
                if int(i) not in aside:
                    text = self.line(int(i))
                    aside[int(i)] = (
                        "malformed_row",
                        self._column_at(text, text.find('"')),
                        "a quoted value is not closed on this line",
                    )
        keep = np.setdiff1d(np.arange(n), np.fromiter(aside, np.int64, len(aside)))
        if len(aside):
            chunk = b"\n".join(self.body[self.starts[i] : self.ends[i]] for i in keep)
        else:
            chunk = self.body
        result = self._arrow(chunk, len(keep)) if len(keep) else None
        if result is None:
            result = self._one_by_one(keep)
        frame, good, bad = result
        malformed = [(int(keep[i]), t, "malformed_row", c, d) for i, t, c, d in bad]
        malformed += [(i, self._shown(i), r, c, d) for i, (r, c, d) in aside.items()]
        malformed.sort()
        return frame, keep[good], malformed

    def _shown(self, i: int) -> str:
        text = self.body[self.starts[i] : min(self.ends[i], self.starts[i] + SHOWN_BYTES)]
        return text.decode("utf-8", "replace")

    def _column_at(self, text: str, at: int | None) -> str | None:
        """The header of the field holding character ``at`` (the longest field if None)."""
        if at is None:
            pieces = text.split(self.delimiter)
            index = max(range(len(pieces)), key=lambda k: len(pieces[k]))
        else:
            index = text.count(self.delimiter, 0, at)
        return self.headers[index] if index < len(self.headers) else None

    def _arrow(
        self, chunk: bytes, n_lines: int
    ) -> tuple[pd.DataFrame, np.ndarray, list[_Bad]] | None:
        positions = [f"c{i}" for i in range(len(self.headers))]
        malformed_text: list[str] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            malformed_text.append(row.text)
            return "skip"

        try:
            arrow = pacsv.read_csv(
                io.BytesIO(chunk),
                read_options=pacsv.ReadOptions(column_names=positions, block_size=BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    invalid_row_handler=on_invalid,
                    ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(positions, pa.string()),
                    strings_can_be_null=True,
                    null_values=[""],
                    quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid:
            return None
        if arrow.num_rows + len(malformed_text) != n_lines:
            return None  # a quote opened mid-line joined lines: not one result per line
        frame = _arrow_text_frame(arrow, self.headers)
        bad_index = _line_numbers(chunk, malformed_text)
        good = np.ones(n_lines, dtype=bool)
        good[bad_index] = False
        detail = f"the line does not split into the header's {len(self.headers)} fields"
        bad: list[_Bad] = [
            (i, t, None, detail) for i, t in zip(bad_index, malformed_text, strict=True)
        ]
        return frame, np.flatnonzero(good), bad

    def _one_by_one(self, keep: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, list[_Bad]]:
        """Parse each line alone (slow, exact): a broken line cannot reach the next."""
        width = len(self.headers)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        good, bad = [], []
        for k, i in enumerate(keep):
            text = self.line(int(i))
            try:
                fields = next(csv.reader([text], delimiter=self.delimiter, strict=True), [])
            except csv.Error:
                opened = [
                    j
                    for j, c in enumerate(text)
                    if c == '"' and text[j - 1 : j] in ("", self.delimiter)
                ]
                where = self._column_at(text, opened[-1]) if opened else None
                bad.append((k, text, where, "a quoted value is not closed on this line"))
                continue
            if not text.strip():
                fields = [""] * width
            if len(fields) != width:
                bad.append(
                    (k, text, None, f"the line does not split into the header's {width} fields")
                )
                continue
            good.append(k)
            for column, value in zip(columns, fields, strict=True):
                column.append(value or None)
        arrow = pa.table({f"c{j}": pa.array(c, pa.string()) for j, c in enumerate(columns)})
        return _arrow_text_frame(arrow, self.headers), np.asarray(good, dtype=np.int64), bad


def _line_numbers(body: bytes, texts: list[str]) -> list[int]:
    """0-based line of each malformed record, found by its text.

    Records are lines (a quoted value may not span lines). The parser reports malformed
    records with their text but, when parsing in parallel, in no set order; identical
    texts are interchangeable, so each distinct text is searched from where its last
    occurrence was found, and only whole lines count.
    """
    line_starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(body, np.uint8) == 10) + 1))
    cursor: dict[str, int] = {}
    found = []
    for text in texts:
        needle = text.encode("utf-8")
        at = body.find(needle, cursor.get(text, 0))
        while (
            at > 0
            and body[at - 1 : at] != b"\n"
            or (
                at >= 0
                and body[at + len(needle) : at + len(needle) + 1] not in (b"\n", b"\r", b"")
            )
        ):
            at = body.find(needle, at + 1)
        cursor[text] = at + 1
        found.append(int(np.searchsorted(line_starts, at, side="right") - 1))
    return found


def _arrow_text_frame(arrow: pa.Table, headers: list[str]) -> pd.DataFrame:
    """Strip whitespace, make empty strings missing, and hand over to pandas.

    Columns become single-chunk ``large_string`` arrays, the layout pandas' Arrow
    strings use, so later kernels get them without a copy or a cast.
    """
    columns = {}
    for header, column in zip(headers, arrow.columns, strict=True):
        text = pc.utf8_trim_whitespace(column.cast(pa.large_string()).combine_chunks())
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)
        columns[header] = text
    stripped = pa.table(columns) if columns else pa.table({})
    frame = stripped.to_pandas(
        types_mapper=lambda t: STRING_DTYPE if t in (pa.string(), pa.large_string()) else None
    )
    # to_pandas cannot carry two columns with one name; duplicates were refused earlier.
    frame.columns = headers
    return frame


def _drop_blank(frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Blank lines hold no record: drop them (they are not rows read)."""
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return frame, rows


# --- Parquet ---------------------------------------------------------------------------


def _read_parquet(path: Path) -> RawTable:
    name = str(path)
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise SchemaError(f"cannot read as Parquet: {exc}", file=name) from None
    headers = list(arrow.column_names)
    arrow = pa.table(
        [_parquet_text(c, h, name) for c, h in zip(arrow.columns, headers, strict=True)],
        names=[f"c{i}" for i in range(len(headers))],
    )
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise SchemaError(
            f"duplicate column name {duplicates[0]!r}", file=name, column=duplicates[0]
        )
    if arrow.num_rows == 0:
        raise SchemaError("file has a header but no data rows", file=name)
    frame = _arrow_text_frame(arrow, headers)
    rows = np.arange(2, len(frame) + 2)
    frame, rows = _drop_blank(frame, rows)
    return RawTable(file=name, frame=frame, rows=rows)


def _parquet_text(column: pa.ChunkedArray, header: str, name: str) -> pa.ChunkedArray:
    """A Parquet column as text; dates and timestamps as the calendar date written.

    A time-zone-aware timestamp is taken in its own zone (the local date as written,
    never shifted to UTC). Nested and binary columns cannot hold a value of an extract.
    """
    kind = column.type
    if (
        pa.types.is_nested(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or pa.types.is_binary_view(kind)
    ):
        raise SchemaError(
            f"column holds {kind} values (lists, structures or raw bytes); "
            "store one text, number or date per cell",
            file=name,
            column=header,
        )
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            column = pc.local_timestamp(column)
        return column.cast(pa.date32()).cast(pa.string())
    try:
        return column.cast(pa.string())
    except pa.ArrowException:
        raise SchemaError(
            f"column of type {kind} cannot be read as text", file=name, column=header
        ) from None


# --- Excel -----------------------------------------------------------------------------


def _cell_text(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_excel(path: Path, table: Table, sheet: str | int | None) -> RawTable:
    name = str(path)
    try:
        cells = pd.read_excel(path, sheet_name=sheet or 0, header=None, dtype=object)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise SchemaError(f"cannot read as an Excel workbook: {exc}", file=name) from None
    if cells.empty:
        raise SchemaError("sheet is empty", file=name)
    cells = cells.map(_cell_text)
    header_at, headers = _find_excel_header(cells, table, name)
    body = cells.iloc[header_at + 1 :].reset_index(drop=True)
    body.columns = pd.RangeIndex(len(headers))
    keep = [i for i, h in enumerate(headers) if h]
    body = body[keep]
    headers = [headers[i] for i in keep]
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise SchemaError(
            f"duplicate column name {duplicates[0]!r}", file=name, column=duplicates[0]
        )
    text = pa.table(
        {f"c{i}": pa.array(body[c].tolist(), pa.string()) for i, c in enumerate(body.columns)}
    )
    frame = _arrow_text_frame(text, headers)
    # pandas row 0 is spreadsheet row 1.
    rows = np.arange(len(frame)) + header_at + 2
    frame, rows = _drop_blank(frame, rows)
    if frame.empty:
        raise SchemaError("sheet has a header but no data rows", file=name)
    return RawTable(file=name, frame=frame, rows=rows)


def _find_excel_header(cells: pd.DataFrame, table: Table, name: str) -> tuple[int, list[str]]:
    """Find the header row, allowing title rows and a merged group-heading row above it.

    Candidates are each of the first rows alone, and each row read together with the
    row above it: a merged group heading (filled rightwards) is prefixed to the
    sub-heading where that makes a canonical name (``Child`` over ``ID`` gives
    ``Child ID``), and ignored where it does not. The candidate naming most canonical
    columns wins; a single row wins ties.
    """
    wanted = set(table.names)

    def canonical(header: str) -> str:
        key = normalise_name(header)
        return table.aliases.get(key, key)

    best: tuple[int, int, list[str]] = (0, -1, [])
    limit = min(HEADER_SEARCH_ROWS, len(cells))
    for i in range(limit):
        row = ["" if v is None else str(v) for v in cells.iloc[i]]
        candidates = [row]
        if i > 0:
            above = pd.Series(cells.iloc[i - 1].tolist(), dtype=object).ffill().fillna("")
            joined = [
                f"{a} {b}" if b and canonical(f"{a} {b}") in wanted else b
                for a, b in zip(above.astype(str), row, strict=True)
            ]
            candidates.append(joined)
        for names in candidates:
            score = len({canonical(n) for n in names if n} & wanted)
            if score > best[0]:
                best = (score, i, names)
    if best[1] < 0:
        raise SchemaError(
            f"no header row found in the first {limit} rows (expected columns such as "
            + ", ".join(table.required_columns)
            + ")",
            file=name,
        )
    return best[1], best[2]
