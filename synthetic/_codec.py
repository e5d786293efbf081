"""Proceedings held as numbers while generating, and turned into the canonical frame once.

Building Arrow-backed strings and editing them row by row is slow; integers are fast.
The generator and the fault layer therefore work on a dict of NumPy arrays (``NumRows``)
and only :meth:`ProceedingsCodec.frame` makes strings and dates, once, at the end.

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

from ._frames import id_strings, label_strings

NA_DAY = np.iinfo(np.int64).min
"""Missing date (the int64 value NumPy reads as NaT)."""

NumRows = dict[str, np.ndarray]
SEX_LABELS = ("F", "M", "U")


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Days (``NA_DAY`` for missing) as ``datetime64[ns]`` with NaT."""
    # int64 days *are* datetime64[D] (NA_DAY is NaT): view them, convert once
    return np.asarray(days, dtype=np.int64).view("datetime64[D]").astype("datetime64[ns]")


@dataclass
class ProceedingsCodec:
    """Turns numeric rows into the canonical proceedings frame (and values into text)."""

    orders: list[str]
    miscoded: tuple[str, ...]
    la_codes: list[str]
    dfj_of_la: np.ndarray  # DFJ index of each LA
    dfj_names: list[str]
    covariates: list[str]
    width_p: int
    width_c: int
    width_m: int

    def _ids(self, prefix: str, number: np.ndarray, width: int) -> pd.Series:
        """Identifiers of numbers (``P000001`` for 0); missing where the number is -1."""
        missing = number < 0
        return id_strings(prefix, number + 1, width, missing if missing.any() else None)

    def frame(self, rows: NumRows) -> pd.DataFrame:
        """The canonical proceedings frame: :meth:`columns` as a DataFrame."""
        # the arrays are the frame's own (``rows`` is not used afterwards): no copy into
        # consolidated blocks
        return pd.DataFrame(self.columns(rows), copy=False)

    def columns(self, rows: NumRows) -> dict[str, object]:
        """The canonical proceedings columns, then the covariates."""
        order = rows["order"]
        labels = [*self.orders, *self.miscoded]
        out: dict[str, object] = {
            "proceedings_id": self._ids("P", rows["pid"], self.width_p),
            "child_id": self._ids("C", rows["cid"], self.width_c),
            "mother_id": self._ids("M", rows["mid"], self.width_m),
            "la_code": label_strings(self.la_codes, rows["la"]),
            "dfj_area": label_strings(self.dfj_names, self.dfj_of_la[rows["la"]]),
            "child_dob": days_to_datetime(rows["dob"]),
            "child_sex": label_strings(SEX_LABELS, rows["sex"]),
            "mother_dob": days_to_datetime(rows["mdob"]),
            "issue_date": days_to_datetime(rows["issue"]),
            "disposal_date": days_to_datetime(rows["disposal"]),
            "final_order": label_strings(labels, np.maximum(order, 0), order < 0),
        }
        out.update({name: rows[name].astype(np.int64, copy=False) for name in self.covariates})
        return out

    def text(self, column: str, values: np.ndarray) -> np.ndarray:
        """Values of a numeric column as the text the frame shows ('' when missing)."""
        values = np.asarray(values)
        if column in ("dob", "mdob", "issue", "disposal"):
            dates = pd.DatetimeIndex(days_to_datetime(values))
            return np.asarray(dates.strftime("%Y-%m-%d").fillna(""), dtype=object)
        prefix = {
            "pid": ("P", self.width_p),
            "cid": ("C", self.width_c),
            "mid": ("M", self.width_m),
        }
        if column in prefix:
            p, w = prefix[column]
            return self._ids(p, values, w).to_numpy(dtype=object, na_value="")
        if column == "order":
            labels = [*self.orders, *self.miscoded]
            return np.array(["" if v < 0 else labels[v] for v in values.tolist()], dtype=object)
        raise KeyError(column)


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
