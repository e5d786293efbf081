"""Every proceedings row as read -- kept and quarantined -- in one typed frame.

The quality checks need the quarantined rows too: a row quarantined because its
disposal precedes its issue is exactly where a year typo shows, and the report must say
which date is probably wrong. Quarantined rows are re-read from the JSON ``record`` the
quarantine keeps, with the same date parser and order vocabulary as the reader, so the
two kinds of row are typed alike.

Row numbers. ``row`` is the row as a spreadsheet shows it (the header is row 1), the
quarantine's convention. The reader keeps quarantined rows' numbers; kept rows are
numbered by filling the gaps between them in order, which is exact when the file had no
blank lines (the reader drops blank lines, which are not rows read). A dataset built in
memory (``rows_read`` empty) is validated here, with row ``i`` numbered ``i + 2``: the
row it has in the file :func:`outcomes.io.write_dataset` writes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.io._dates import parse_dates
from outcomes.io._files import RawTable
from outcomes.io._validate import validate_rows
from outcomes.io._vocab import map_labels
from outcomes.schema import ORDER_ALIASES, PROCEEDINGS, STRING_DTYPE, Dataset


@dataclass
class ProceedingsRows:
    """All proceedings rows, typed.

    Attributes
    ----------
    frame : DataFrame
        Canonical columns (dates as ``datetime64[ns]``, ``final_order`` canonical or
        missing), plus ``row`` (spreadsheet row), ``quarantined`` (bool) and
        ``order_text`` (the order as written, for unknown labels).
    quarantine : DataFrame
        The quarantine rows of every table (validated here for an in-memory dataset).
    validated_here : bool
        Whether the dataset had not been validated by a reader and was validated here.
    """

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    validated_here: bool


def proceedings_rows(dataset: Dataset) -> ProceedingsRows:
    """Assemble :class:`ProceedingsRows` from a dataset (see the module docstring)."""
    extract = dataset.manifest.extract_date
    if "proceedings" in dataset.rows_read:
        kept = dataset.proceedings
        quarantine = dataset.quarantine
        validated_here = False
    else:
        raw = RawTable(
            file="proceedings",
            frame=_as_text(dataset.proceedings),
            rows=np.arange(2, len(dataset.proceedings) + 2),
        )
        kept, found, _ = validate_rows(raw, PROCEEDINGS, extract, "proceedings")
        # keep what the reader of the other tables quarantined (e.g. SSDA903 episodes)
        others = dataset.quarantine.loc[dataset.quarantine["table"] != "proceedings"]
        parts = [q for q in (others, found) if len(q)]
        quarantine = pd.concat(parts, ignore_index=True) if parts else found
        validated_here = True
    q = quarantine.loc[quarantine["table"] == "proceedings"]
    q_rows = q["row"].to_numpy(dtype=np.int64)
    kept_rows = _fill_gaps(q_rows, len(kept))
    kept_part = kept[[c for c in PROCEEDINGS.names if c in kept.columns]].copy()
    kept_part["order_text"] = kept_part["final_order"]
    kept_part["row"] = kept_rows
    kept_part["quarantined"] = False
    parts = [kept_part]
    if len(q):
        parts.append(_reparse(q))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values("row", kind="stable").reset_index(drop=True)
    return ProceedingsRows(frame=frame, quarantine=quarantine, validated_here=validated_here)


def _fill_gaps(taken: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` row numbers from 2 that are not in ``taken``."""
    candidates = np.arange(2, n + len(taken) + 2)
    free = candidates[~np.isin(candidates, taken)]
    return free[:n]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed frame as the text a reader would see (ISO dates), for validation."""
    out = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            arrow = pa.array(values.to_numpy(dtype="datetime64[ns]"), from_pandas=True)
            text = pc.strftime(arrow, format="%Y-%m-%d")
            out[name] = pd.Series(text.to_pandas(), index=frame.index).astype(STRING_DTYPE)
        else:
            text = values.astype(STRING_DTYPE).str.strip()
            out[name] = text.where(text != "")
    return pd.DataFrame(out, index=frame.index)


def _reparse(q: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows re-read from their JSON records and typed like kept rows."""
    lines = "\n".join(q["record"].astype(str).tolist())
    records = pd.read_json(io.StringIO(lines), lines=True, dtype=False, convert_dates=False)
    records.index = q.index
    out = pd.DataFrame(index=q.index)
    for col in PROCEEDINGS.columns:
        if col.name in records.columns:
            text = records[col.name].astype(STRING_DTYPE)
        else:
            text = pd.Series(np.nan, index=q.index, dtype=STRING_DTYPE)
        if col.kind == "date":
            out[col.name] = parse_dates(text).values
        elif col.name == "final_order":
            mapped, _ = map_labels(text, ORDER_ALIASES)
            out[col.name] = mapped
            out["order_text"] = text
        else:
            out[col.name] = text
    out["row"] = q["row"].to_numpy(dtype=np.int64)
    out["quarantined"] = True
    return out.reset_index(drop=True)
