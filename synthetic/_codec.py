"""Proceedings held as numbers while generating, and turned into the canonical frame once.

Building Arrow-backed strings and editing them row by row is slow; integers are fast.
The generator and the fault layer therefore work on a dict of NumPy arrays (``NumRows``)
and only :meth:`ProceedingsCodec.columns` makes strings and dates, once, at the end; the
faulty rows' columns are gathered from the clean ones
(:meth:`ProceedingsCodec.copied_columns`).

Numeric columns: ``pid``, ``cid``, ``mid`` (numbers behind ``P..``, ``C..``, ``M..``;
``mid`` -1 when missing), ``la`` (LA index), ``dob``, ``mdob``, ``issue``,
``disposal`` (days since 1970-01-01; :data:`NA_DAY` when missing), ``sex`` (0 F, 1 M,
2 U), ``order`` (index of the order vocabulary; -1 missing; ``10 + k`` the k-th miscoded
label) and the integer covariates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ._frames import FixedText, date_text, id_text, label_text, text_series

NA_DAY = np.iinfo(np.int64).min
"""Missing date (the int64 value NumPy reads as NaT)."""

NumRows = dict[str, np.ndarray]
SEX_LABELS = ("F", "M", "U")

CANONICAL_OF = {
    "pid": "proceedings_id",
    "cid": "child_id",
    "mid": "mother_id",
    "dob": "child_dob",
    "mdob": "mother_dob",
    "issue": "issue_date",
    "disposal": "disposal_date",
    "order": "final_order",
}
"""Canonical column name of each numeric column that faults touch."""

NUMERIC_OF = {
    "proceedings_id": "pid",
    "child_id": "cid",
    "mother_id": "mid",
    "la_code": "la",
    "dfj_area": "la",
    "child_dob": "dob",
    "child_sex": "sex",
    "mother_dob": "mdob",
    "issue_date": "issue",
    "disposal_date": "disposal",
    "final_order": "order",
}
"""The numeric column behind each canonical column, in the canonical order."""

DATE_COLUMNS = ("child_dob", "mother_dob", "issue_date", "disposal_date")

ProceedingsColumns = dict[str, FixedText | pa.LargeStringArray | np.ndarray]
"""Canonical columns by name: text (:class:`~synthetic._frames.FixedText` when all its
strings have one length, else Arrow strings) or ``datetime64[ns]``/int64 arrays."""


NS_PER_DAY = 86_400 * 10**9


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Days (``NA_DAY`` for missing) as ``datetime64[ns]`` with NaT.

    The days must lie in ``datetime64[ns]``'s range (years 1678 to 2261).
    """
    days = np.asarray(days, dtype=np.int64)
    # an integer product is several times faster than NumPy's datetime cast; NA_DAY is
    # NaT's integer, so the missing days (whose products overflow) are set back to it
    out = days * NS_PER_DAY
    out[days == NA_DAY] = NA_DAY
    return out.view("datetime64[ns]")


@dataclass
class ProceedingsCodec:
    """Turns numeric rows into the canonical proceedings columns (and values into text)."""

    orders: list[str]
    miscoded: tuple[str, ...]
    la_codes: list[str]
    dfj_of_la: np.ndarray  # DFJ index of each LA
    dfj_names: list[str]
    covariates: list[str]
    width_p: int
    width_c: int
    width_m: int

    def ids(self, column: str, number: np.ndarray) -> FixedText:
        """Identifiers of numbers of ``column`` (``pid``, ``cid``, ``mid``): ``P000001``
        for 0; missing where the number is -1."""
        prefix, width = {
            "pid": ("P", self.width_p),
            "cid": ("C", self.width_c),
            "mid": ("M", self.width_m),
        }[column]
        number = np.asarray(number)
        missing = number < 0
        return id_text(prefix, number + 1, width, missing if missing.any() else None)

    def text(self, name: str, values: np.ndarray) -> FixedText | pa.LargeStringArray:
        """Canonical text column ``name`` of the values of its numeric column."""
        values = np.asarray(values)
        key = NUMERIC_OF[name]
        if key in ("pid", "cid", "mid"):
            return self.ids(key, values)
        if name == "la_code":
            return label_text(self.la_codes, values)
        if name == "dfj_area":
            return label_text(self.dfj_names, self.dfj_of_la[values])
        if name == "child_sex":
            return label_text(SEX_LABELS, values)
        if name == "final_order":
            return label_text([*self.orders, *self.miscoded], np.maximum(values, 0), values < 0)
        raise KeyError(name)

    def columns(self, rows: NumRows) -> ProceedingsColumns:
        """The canonical proceedings columns, then the covariates."""
        out: ProceedingsColumns = {
            name: days_to_datetime(rows[k]) if name in DATE_COLUMNS else self.text(name, rows[k])
            for name, k in NUMERIC_OF.items()
        }
        out.update({name: rows[name].astype(np.int64, copy=False) for name in self.covariates})
        return out

    def copied_columns(
        self,
        clean: ProceedingsColumns,
        rows: NumRows,
        source: np.ndarray,
        changed: dict[str, np.ndarray],
    ) -> ProceedingsColumns:
        """:meth:`columns` of rows that copy the clean rows ``source`` (with columns
        ``clean``) but in the numeric columns of ``rows``, their own values, which
        differ from the copied ones at rows ``changed`` (by column).

        The columns are gathered from ``clean``; only changed identifiers and the final
        orders (labels of several lengths) are formatted.
        """
        out: ProceedingsColumns = {}
        for name, key in NUMERIC_OF.items():
            col = clean[name]
            if key in rows and name in DATE_COLUMNS:
                out[name] = days_to_datetime(rows[key])
            elif key in rows and isinstance(col, FixedText):  # identifiers
                at = changed.get(key, np.zeros(0, dtype=np.int64))
                patch = self.ids(key, rows[key][at])
                out[name] = col.take(source, patch, at)
            elif key in rows:
                out[name] = self.text(name, rows[key])
            elif isinstance(col, FixedText):
                out[name] = col.take(source)
            else:
                assert isinstance(col, np.ndarray)  # a date column
                out[name] = np.take(col, source)
        for name in self.covariates:
            col = clean[name]
            assert isinstance(col, np.ndarray)
            out[name] = np.take(col, source)
        return out

    def record_text(self, column: str, values: np.ndarray) -> pa.LargeStringArray:
        """Values of a numeric column as the text the frame shows ('' when missing)."""
        values = np.asarray(values)
        if column in ("dob", "mdob", "issue", "disposal"):
            text = date_text(values, values == NA_DAY)
        else:
            text = self.text(CANONICAL_OF[column], values)
        return (text.arrow() if isinstance(text, FixedText) else text).fill_null("")


def frame_columns(columns: ProceedingsColumns) -> dict[str, pd.Series | np.ndarray]:
    """Canonical columns ready for a DataFrame: text as STRING_DTYPE series."""
    shared: dict[tuple[int, ...], np.ndarray] = {}  # fixed-width columns of one shape
    out: dict[str, pd.Series | np.ndarray] = {}
    for name, col in columns.items():
        if isinstance(col, FixedText):
            if col.data.shape not in shared:
                shared[col.data.shape] = col.offsets()
            out[name] = text_series(col.arrow(shared[col.data.shape]))
        else:
            out[name] = text_series(col) if isinstance(col, pa.Array) else col
    return out
