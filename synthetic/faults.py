"""The data-quality layer: faults applied to the observed proceedings, each recorded.

Each fault type has a base rate per row (``[faults]`` in the scenario) multiplied by the
LA's recording-quality factor (log-normal with mean one, ``areas.recording_sdlog``) and
capped at ``faults.max_rate``. A row gets at most one *value* fault (the types compete
for one uniform per row); linkage faults (a broken child ID, a missing mother ID) and
duplication are drawn independently on top.

Fault types, what each changes and what a validating reader then sees:

``missing_disposal_date``
    the disposal date of a disposed row is emptied -> ``order_without_disposal``.
``day_month_swap``
    day and month swapped, only where both are 12 or less and differ (the swap that
    slips through as a valid date) -> usually nothing; sometimes
    ``disposal_before_issue``, ``issue_before_birth`` or ``date_after_extract``.
``year_typo``
    the year's last two digits transposed (2016 -> 2061) when that lands after the
    extract date, else the year becomes 209x (2012 -> 2092) -> always
    ``date_after_extract`` (sometimes also ``disposal_before_issue`` or
    ``issue_before_birth``).
``missing_order``
    the final order of a disposed row is emptied -> ``disposal_without_order``.
``miscoded_order``
    the final order replaced by a non-final label (:data:`MISCODED_LABELS`) ->
    ``interim_order`` for an interim order (:data:`INTERIM_LABELS`), ``unknown_order``
    for the others.
``duplicate_row``
    the row is written twice, the copy right after the original -> ``duplicate_key``
    (the copy).
``broken_child_id``
    a child's later row gets a new child ID -> nothing: only linkage diagnostics find it.
``missing_mother_id``
    the mother ID is emptied -> nothing (an optional column).

The record has one row per fault: ``table``, ``row`` (0-based position in the faulty
frame, which is the written file's row order), ``file_row`` (``row + 2``: the header is
line 1), ``column``, ``fault``, ``old_value``, ``new_value``, ``proceedings_id`` and
``child_id`` (as in the clean data), ``la_code`` and ``expected_reason`` (the
validation reasons the faulty row breaks, ``;``-joined; empty when the fault is silent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from outcomes.schema import MAX_AGE_AT_ISSUE_YEARS, MAX_MOTHER_AGE, STRING_DTYPE

from ._codec import CANONICAL_OF, NA_DAY, NumRows, ProceedingsCodec, days_to_datetime
from ._frames import label_text, text_series
from ._time import DAYS_PER_YEAR
from .areas import Areas
from .scenario import Scenario

VALUE_FAULTS = (
    "missing_disposal_date",
    "day_month_swap",
    "year_typo",
    "missing_order",
    "miscoded_order",
)
LINK_FAULTS = ("broken_child_id", "missing_mother_id")
FAULT_TYPES = (*VALUE_FAULTS, "duplicate_row", *LINK_FAULTS)

MISCODED_LABELS = (
    "ICO",
    "EPO",
    "s20 accommodation",
    "interim supervision",
    "adjourned",
)
"""Labels typed where a final order belongs; none is a final order, none is an alias."""

INTERIM_LABELS = ("ICO", "interim supervision")
"""The miscoded labels that are interim orders, which a reader reports as such."""

RECORD_COLUMNS = (
    "table",
    "row",
    "file_row",
    "column",
    "fault",
    "old_value",
    "new_value",
    "proceedings_id",
    "child_id",
    "la_code",
    "expected_reason",
)


def empty_fault_record() -> pd.DataFrame:
    """An empty fault record with the right columns."""
    frame = pd.DataFrame({c: pd.Series(dtype=STRING_DTYPE) for c in RECORD_COLUMNS})
    return frame.astype({"row": "int64", "file_row": "int64"})


def _parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _compose(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from parts; a day past the month's end becomes its last day."""
    months = (year.astype(np.int64) - 1970) * 12 + (month.astype(np.int64) - 1)
    start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    end = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return start + np.minimum(day.astype(np.int64), end - start) - 1


def _swap_day_month(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day/month swap; returns (new days, whether the swap gives a different valid date)."""
    year, month, day = _parts(days)
    possible = (day <= 12) & (day != month) & (days != NA_DAY)
    return _compose(year, np.where(possible, day, month), np.where(possible, month, day)), possible


def _year_typo(days: np.ndarray, extract_day: int) -> np.ndarray:
    """A keying slip in the year that leaves a date no extract can hold.

    The last two digits are transposed (2016 -> 2061) when that lands after the extract
    date; otherwise (2012 -> 2021, 2011 -> 2011, 1997 -> 1979) the year becomes 209x,
    keeping its last digit (2012 -> 2092, 1997 -> 2097). Either way the date lies after
    the extract (and before 2100, so it still parses), so a validating reader catches
    every year typo (``date_after_extract``): a typo giving a plausible earlier year
    would be undetectable, and the record is meant to list faults that can be found.
    """
    year, month, day = _parts(days)
    swapped = (year // 100) * 100 + (year % 10) * 10 + (year // 10) % 10
    transposed = _compose(swapped, month, day)
    slipped = _compose(2090 + year % 10, month, day)
    return np.where(transposed > extract_day, transposed, slipped)


def first_appearance(number: np.ndarray) -> np.ndarray:
    """True at each number's first row, for numbers assigned in order of first
    appearance (a number is new exactly when it exceeds every earlier one)."""
    if len(number) == 0:
        return np.zeros(0, dtype=bool)
    running = np.maximum.accumulate(number)
    return np.r_[True, number[1:] > running[:-1]]


def expected_reasons(
    values: NumRows, duplicate: np.ndarray, extract_day: int, n_orders: int
) -> np.ndarray:
    """Validation reasons of faulty rows (``;``-joined, empty if none).

    The generator's own statement of what a validating reader should reject.
    ``values`` holds the rows' ``issue``, ``disposal``, ``dob``, ``mdob`` and
    ``order``; ``duplicate`` whether each repeats an earlier row's key
    (:func:`repeated_key`).
    """
    issue, disposal, dob, final = (values[c] for c in ("issue", "disposal", "dob", "order"))
    has_disposal = disposal != NA_DAY
    has_order = final >= 0
    too_old = int(MAX_AGE_AT_ISSUE_YEARS * DAYS_PER_YEAR)
    after = np.zeros(len(issue), dtype=bool)
    for day in (issue, disposal, dob, values["mdob"]):
        after |= (day != NA_DAY) & (day > extract_day)
    miscoded = final >= n_orders
    interim_codes = [n_orders + MISCODED_LABELS.index(label) for label in INTERIM_LABELS]
    interim = miscoded & np.isin(final, interim_codes)
    checks: list[tuple[str, np.ndarray]] = [
        ("interim_order", interim),
        ("unknown_order", miscoded & ~interim),
        ("disposal_before_issue", has_disposal & (disposal < issue)),
        ("issue_before_birth", issue < dob),
        ("child_too_old", (issue - dob) > too_old),
        *_family(dob, values["mdob"]),
        ("date_after_extract", after),
        ("order_without_disposal", has_order & ~has_disposal),
        ("disposal_without_order", has_disposal & ~has_order),
        ("duplicate_key", duplicate),
    ]
    out = np.full(len(issue), "", dtype=object)
    for name, mask in checks:
        if mask.any():
            out[mask] = np.where(out[mask] == "", name, out[mask] + ";" + name)
    return out


def _family(dob: np.ndarray, mdob: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The reader's family checks: mother born after the child, or over the age limit
    at the birth -- what a year typo in the child's birth date can give."""
    known = (dob != NA_DAY) & (mdob != NA_DAY)
    child = pd.Series(days_to_datetime(np.where(known, dob, 0)))
    mother = pd.Series(days_to_datetime(np.where(known, mdob, 0)))
    # Completed years, as the reader counts them: a year less before the birthday.
    before_birthday = (child.dt.month < mother.dt.month) | (
        (child.dt.month == mother.dt.month) & (child.dt.day < mother.dt.day)
    )
    age = (child.dt.year - mother.dt.year - before_birthday.astype(int)).to_numpy()
    return [
        ("mother_born_after_child", known & (mdob > dob)),
        ("mother_too_old", known & (mdob <= dob) & (age > MAX_MOTHER_AGE)),
    ]


def repeated_key(first: np.ndarray, cid: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each row ``at`` repeats the (proceedings, ``cid``) key of an earlier row.

    The rows of a proceedings must be together, from row ``first`` (of each row
    ``at``'s proceedings) on: a key's earlier copies then lie in the rows just before,
    so a few passes over the rows ``at`` replace a sort of all rows.
    """
    repeated = np.zeros(len(at), dtype=bool)
    back = 1
    while True:
        inside = at - back >= first
        if not inside.any():
            return repeated
        repeated |= inside & (cid[np.maximum(at - back, 0)] == cid[at])
        back += 1


FAULTED_COLUMNS = ("disposal", "issue", "dob", "order", "cid", "mid")
"""The numeric columns faults change."""


@dataclass
class Faulted:
    """The proceedings rows after the data-quality layer, in file order.

    Attributes
    ----------
    source : ndarray
        The clean row each faulty row copies (a duplicated row's two copies share it).
    rows : NumRows
        The faulty rows' :data:`FAULTED_COLUMNS`; every other column is the source
        rows' own.
    changed : dict of str to ndarray
        Per column of ``rows``, the rows whose value a fault changed (sorted).
    record : DataFrame
        The fault record.
    """

    source: np.ndarray
    rows: NumRows
    changed: dict[str, np.ndarray]
    record: pd.DataFrame


def apply_faults(
    scenario: Scenario,
    rng: np.random.Generator,
    clean: NumRows,
    codec: ProceedingsCodec,
    areas: Areas,
    extract_day: int,
) -> Faulted:
    """Apply the data-quality layer to numeric proceedings rows (see module docstring)."""
    n = len(clean["pid"])
    la = clean["la"]
    cap = float(scenario["faults.max_rate"])

    # rates are worked out per LA, then looked up per row
    def rate(name: str) -> np.ndarray:
        return np.minimum(float(scenario[f"faults.{name}"]) * areas.recording, cap)[la]

    disposed = clean["disposal"] != NA_DAY
    # One uniform per row decides which value fault (if any) it gets: fault k when it
    # falls in the k-th slice of [0, total rate). Only rows under the total can have
    # one, so the slices are worked out for those few rows alone.
    base = np.array([float(scenario[f"faults.{name}"]) for name in VALUE_FAULTS])
    needs_disposal = np.array(
        [name not in ("day_month_swap", "year_typo") for name in VALUE_FAULTS]
    )
    # per LA (rows) and disposed or not (columns)
    by_la = areas.recording[:, None] * np.array([base[~needs_disposal].sum(), base.sum()])
    total = np.minimum(by_la, cap)[la, disposed.astype(np.int64)]
    # float32 uniforms: ample resolution against rates of a few per thousand, at half
    # the cost; the two draws that pick a date or a label are made for the few rows
    # that need one
    u, u_broken, u_mother, u_dup = rng.random((4, n), dtype=np.float32)
    kind = np.full(n, len(VALUE_FAULTS), dtype=np.int64)
    hit = np.flatnonzero(u < total)
    if len(hit):
        applicable = np.where(needs_disposal[None, :], disposed[hit, None], True)
        slices = np.cumsum(base[None, :] * applicable, axis=1)
        slices *= (total[hit] / slices[:, -1])[:, None]  # the cap shrinks all slices alike
        kind[hit] = (slices <= u[hit, None]).sum(axis=1)

    # duplicates: the copy follows its original. The faulty rows are laid out first and
    # the faults below written into them (into both rows of a duplicated one), so no
    # column is copied twice.
    dup = u_dup < rate("duplicate_row")
    copies = 1 + dup.astype(np.int64)
    new_pos = np.cumsum(copies) - copies  # where each clean row now sits
    source = np.repeat(np.arange(n), copies)  # the clean row of each faulty row
    out = {k: clean[k][source] for k in FAULTED_COLUMNS}
    parts: list[tuple[np.ndarray, str, str, np.ndarray, np.ndarray]] = []
    changed: dict[str, list[np.ndarray]] = {}

    def current(column: str, sel: np.ndarray) -> np.ndarray:
        """Values of clean rows ``sel`` after the faults so far."""
        return out[column][new_pos[sel]]

    def change(sel: np.ndarray, column: str, fault: str, new: np.ndarray | int) -> None:
        at = new_pos[sel]
        old = out[column][at]
        out[column][at] = new
        out[column][at + dup[sel]] = new  # the copy (the row itself again if none)
        parts.append((sel, column, fault, old, out[column][at]))
        changed.setdefault(column, []).extend([at, at[dup[sel]] + 1])

    change(np.flatnonzero(kind == 0), "disposal", "missing_disposal_date", NA_DAY)
    for fault_no, fault in ((1, "day_month_swap"), (2, "year_typo")):
        sel_all = np.flatnonzero(kind == fault_no)
        # which date: issue, child's birth, or disposal when there is one
        which = np.floor(rng.random(len(sel_all)) * np.where(disposed[sel_all], 3, 2)).astype(int)
        for j, column in enumerate(("issue", "dob", "disposal")):
            sel = sel_all[which == j]
            if fault == "day_month_swap":
                new, possible = _swap_day_month(current(column, sel))
                sel, new = sel[possible], new[possible]
            else:
                new = _year_typo(current(column, sel), extract_day)
            change(sel, column, fault, new)
    change(np.flatnonzero(kind == 3), "order", "missing_order", -1)
    sel = np.flatnonzero(kind == 4)
    label = rng.integers(0, len(MISCODED_LABELS), len(sel))
    change(sel, "order", "miscoded_order", len(codec.orders) + label)

    # linkage faults (value faults leave IDs alone): a later row of a child gets a new
    # ID; a mother ID goes missing
    later = ~first_appearance(clean["cid"])
    sel = np.flatnonzero(later & (u_broken < rate("broken_child_id")))
    change(
        sel, "cid", "broken_child_id", int(clean["cid"].max(initial=0)) + 1 + np.arange(len(sel))
    )
    sel = np.flatnonzero((clean["mid"] >= 0) & (u_mother < rate("missing_mother_id")))
    change(sel, "mid", "missing_mother_id", -1)

    record = _record(parts, np.flatnonzero(dup), new_pos, source, clean, out, codec, extract_day)
    return Faulted(
        source=source,
        rows=out,
        changed={k: np.unique(np.concatenate(v)) for k, v in changed.items()},
        record=record,
    )


def _record(
    parts: list[tuple[np.ndarray, str, str, np.ndarray, np.ndarray]],
    dup_rows: np.ndarray,
    new_pos: np.ndarray,
    source: np.ndarray,
    clean: NumRows,
    faulty: NumRows,
    codec: ProceedingsCodec,
    extract_day: int,
) -> pd.DataFrame:
    """The fault record: one row per (clean rows, column, fault, old, new) of ``parts``
    and per duplicated clean row of ``dup_rows``, in file order (see module docstring).

    ``new_pos`` is the faulty row of each clean row (the first copy), ``source`` the
    clean row of each faulty row, ``faulty`` the faulty rows' :data:`FAULTED_COLUMNS`.
    """
    orig = np.concatenate([p[0] for p in parts] + [dup_rows]).astype(np.int64)
    n_value = len(orig) - len(dup_rows)
    row = new_pos[orig] + (np.arange(len(orig)) >= n_value)  # a duplicate is the copy
    fault = np.concatenate(
        [np.full(len(p[0]), FAULT_TYPES.index(p[2])) for p in parts]
        + [np.full(len(dup_rows), FAULT_TYPES.index("duplicate_row"))]
    )
    columns = ("", *CANONICAL_OF.values())
    column = np.concatenate(
        [np.full(len(p[0]), columns.index(CANONICAL_OF[p[1]])) for p in parts]
        + [np.zeros(len(dup_rows), np.int64)]
    )
    blank = pa.array([""] * len(dup_rows), type=pa.large_string())
    old = pa.concat_arrays([codec.record_text(p[1], p[3]) for p in parts] + [blank])
    new = pa.concat_arrays([codec.record_text(p[1], p[4]) for p in parts] + [blank])
    # proceedings numbers never decrease in file order (no fault changes them), so each
    # one's rows are together, from the first copy of its first clean row on
    pid = clean["pid"]
    if np.any(pid[1:] < pid[:-1]):
        raise ValueError("proceedings numbers must not decrease in file order")
    first = new_pos[np.searchsorted(pid, pid[source[row]], side="left")]
    values = {c: faulty[c][row] for c in ("issue", "disposal", "dob", "order")}
    values["mdob"] = clean["mdob"][source[row]]
    reasons = expected_reasons(
        values, repeated_key(first, faulty["cid"], row), extract_day, len(codec.orders)
    )
    # by row, then by fault name, like a stable sort of the frame on those columns
    by_name = np.argsort(np.argsort(FAULT_TYPES))
    o = np.lexsort((by_name[fault], row))
    taken = pa.array(o)
    text = {
        "table": label_text(("proceedings",), np.zeros(len(o), np.int64)),
        "column": label_text(columns, column[o]),
        "fault": label_text(FAULT_TYPES, fault[o]),
        "old_value": old.take(taken),
        "new_value": new.take(taken),
        "proceedings_id": codec.record_text("pid", clean["pid"][orig[o]]),
        "child_id": codec.record_text("cid", clean["cid"][orig[o]]),
        "la_code": codec.text("la_code", clean["la"][orig[o]]),
        "expected_reason": pa.array(reasons[o], type=pa.large_string()),
    }
    numbers = {"row": row[o], "file_row": row[o] + 2}
    return pd.DataFrame(
        {c: numbers[c] if c in numbers else text_series(text[c]) for c in RECORD_COLUMNS},
        copy=False,  # every column is a fresh array
    )
