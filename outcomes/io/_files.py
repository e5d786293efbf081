"""Reading one table file (CSV/TSV, Parquet, Excel) into text columns.

Everything is read as text first and typed later by validation, so a bad value in one
row can be reported and quarantined instead of failing the file or being coerced
silently. Structural problems raise :class:`~outcomes.errors.SchemaError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
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
HEADER_SEARCH_ROWS = 10
"""Excel trackers put titles and merged group headings above the header row; look this
far down for it."""


@dataclass
class RawTable:
    """A table read as text, with canonical column names.

    Attributes
    ----------
    frame : DataFrame
        Text columns (stripped; empty cells missing), canonical names.
    rows : ndarray of int
        Spreadsheet row of each frame row (the header row is 1 in a plain CSV).
    malformed : list of (int, str)
        Rows that could not be split into the header's fields: (row, raw text).
    original_names : dict
        Canonical name -> header as written in the file.
    dropped : list of str
        Columns dropped as direct identifiers.
    """

    file: str
    frame: pd.DataFrame
    rows: np.ndarray
    malformed: list[tuple[int, str]] = field(default_factory=list)
    original_names: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


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
    if not path.is_file():
        raise SchemaError("file not found", file=name)
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
        elif b"\x00" in data[:4096]:
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
    data = _decode_check(path.read_bytes(), name, encoding)
    # The header is the first non-blank line.
    offset, header_line_no = 0, 1
    while True:
        end = data.find(b"\n", offset)
        line = data[offset : end if end >= 0 else len(data)]
        if line.strip():
            break
        offset, header_line_no = end + 1, header_line_no + 1
    header_text = line.decode("utf-8").rstrip("\r")
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
    positions = [f"c{i}" for i in range(len(headers))]
    malformed_text: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        malformed_text.append(row.text)
        return "skip"

    try:
        arrow = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=positions),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positions, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SchemaError(f"cannot parse as delimited text: {exc}", file=name) from None
    frame = _arrow_text_frame(arrow, headers)
    n_records = len(frame) + len(malformed_text)
    bad_index = _line_numbers(body, malformed_text)
    first_data_line = header_line_no + 1
    good = np.ones(n_records, dtype=bool)
    good[bad_index] = False
    rows = first_data_line + np.flatnonzero(good)
    malformed = [(first_data_line + i, t) for i, t in zip(bad_index, malformed_text, strict=True)]
    frame, rows = _drop_blank(frame, rows)
    malformed = [(r, t) for r, t in malformed if t.strip(" ,;\t|\r")]
    return RawTable(file=name, frame=frame, rows=rows, malformed=malformed)


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
    except (pa.ArrowInvalid, OSError) as exc:
        raise SchemaError(f"cannot read as Parquet: {exc}", file=name) from None
    headers = list(arrow.column_names)
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
