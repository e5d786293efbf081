"""Row validation: type each column, and quarantine every row that fails a check.

Checks run on whole columns at once. A row can fail several checks; it is quarantined
once, under the first reason in :data:`REASONS` order, with the rest listed in
``other_reasons``. No check drops a row silently: a row is kept or quarantined.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.io._arrow import arrow_text
from outcomes.io._dates import parse_dates
from outcomes.io._files import MAX_FIELD_CHARS, RawTable
from outcomes.io._vocab import SEX_ALIASES, map_labels
from outcomes.schema import (
    EVENT_ALIASES,
    INTERIM_ORDER_LABELS,
    MAX_AGE_AT_ISSUE_YEARS,
    MAX_MOTHER_AGE,
    ORDER_ALIASES,
    QUARANTINE_COLUMNS,
    STRING_DTYPE,
    Table,
    empty_quarantine,
)

PLACEHOLDER_IDS = frozenset(
    {"", "null", "nul", "n/a", "na", "n.a.", "nan", "none", "nil", "0", "-", "--", "?",
     "unknown", "not known", "unk", "missing", "tbc"}
)  # fmt: skip
"""Values written in identifier columns (compared in lower case, stripped) that mean
"no identifier". They are read as missing: one ``NULL`` mother must not become the
mother of every child whose mother is unknown."""

REASONS: dict[str, str] = {
    "malformed_row": "the line does not split into the header's fields, or its quoting is broken",
    "oversized_field": "a value longer than any cell can hold (32,767 characters)",
    "control_character": "a value holds a control character (NUL, escape, ...)",
    "missing_value": "a required value is missing",
    "unparseable_date": "a date cannot be read",
    "ambiguous_date": "day and month order cannot be told",
    "interim_order": "the final order is an interim order, not a final one",
    "unknown_order": "the final order is not a known label",
    "unknown_event_type": "the event type is not a known label",
    "invalid_sex": "sex is not F, M or U",
    "issue_before_birth": "proceedings issued before the child was born",
    "child_too_old": f"child aged {MAX_AGE_AT_ISSUE_YEARS} or over at issue",
    "disposal_before_issue": "disposal date before issue date",
    "order_without_disposal": "a final order but no disposal date",
    "disposal_without_order": "a disposal date but no final order",
    "mother_born_after_child": "the mother's date of birth is after the child's",
    "mother_too_old": f"the mother aged over {MAX_MOTHER_AGE} at the child's birth",
    "end_before_start": "episode ends before it starts",
    "date_after_extract": "a date after the extract date",
    "duplicate_key": "the row's key repeats an earlier row",
}
"""Every row-level reason code, in the order checks take precedence."""

_CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]] = True
"""The bytes :data:`_CONTROL_PATTERN` matches, as a lookup table."""

Details = Callable[[np.ndarray], list[str]]


@dataclass
class _Failure:
    reason: str
    column: str | None
    mask: np.ndarray
    details: Details


def _describe(template: str, **columns: pd.Series | np.ndarray) -> Details:
    """Details that fill ``template`` with each column's values at the failing rows."""

    def details(idx: np.ndarray) -> list[str]:
        picked = {
            name: (v.iloc[idx].to_numpy(dtype=object) if isinstance(v, pd.Series) else v[idx])
            for name, v in columns.items()
        }
        return [template.format(**{k: p[j] for k, p in picked.items()}) for j in range(len(idx))]

    return details


def validate_rows(
    raw: RawTable,
    table: Table,
    extract_date: pd.Timestamp | None,
    table_name: str,
    *,
    bound_label: str = "the extract date",
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Type and check ``raw``.

    Placeholder identifiers (:data:`PLACEHOLDER_IDS`) are made missing in ``raw.frame``
    first, and counted in ``raw.placeholders``. ``bound_label`` names the upper date
    bound in messages (``"today"`` when no extract date was given).

    Returns
    -------
    kept : DataFrame
        Valid rows with canonical dtypes; every canonical column is present
        (absent optional ones are all missing), then the extra columns.
    quarantine : DataFrame
        Rejected rows in the :data:`~outcomes.schema.QUARANTINE_COLUMNS` layout.
    rows_read : int
        ``len(kept) + len(quarantine)``.
    """
    frame = raw.frame
    failures: list[_Failure] = []
    typed: dict[str, pd.Series] = {}

    def add(reason: str, column: str | None, mask: np.ndarray, details: Details) -> None:
        if mask.any():
            failures.append(_Failure(reason, column, mask, details))

    _text_checks(raw, add)
    placeholders = _placeholder_ids(frame, table)
    raw.placeholders = {name: int(v.notna().sum()) for name, v in placeholders.items()}

    for col in table.columns:
        if col.name not in frame.columns:
            typed[col.name] = pd.Series(np.nan, index=frame.index, dtype=col.dtype)
            continue
        values = frame[col.name]
        if not col.nullable:
            written = placeholders.get(col.name, pd.Series(pd.NA, index=frame.index))
            add(
                "missing_value",
                col.name,
                values.isna().to_numpy(),
                _describe("value is missing{p}", p=_placeholder_note(written)),
            )
        if col.kind == "date":
            parsed = parse_dates(values)
            typed[col.name] = parsed.values
            for reason in ("unparseable_date", "ambiguous_date"):
                add(
                    reason,
                    col.name,
                    parsed.reason == reason,
                    _describe("{d}: {v!r}", d=parsed.detail, v=values),
                )
        elif col.kind in ("vocab", "sex"):
            aliases, reason = _VOCABULARIES[col.name]
            mapped, unknown = map_labels(values, aliases)
            typed[col.name] = mapped.astype(STRING_DTYPE)
            if col.name == "final_order":
                interim = _interim_orders(values)
                unknown &= ~interim
                add(
                    "interim_order",
                    col.name,
                    interim,
                    _describe("{v!r} is an interim order, not a final order", v=values),
                )
            add(reason, col.name, unknown, _describe("not a recognised label: {v!r}", v=values))
        else:
            typed[col.name] = values.astype(STRING_DTYPE)

    if table.name == "proceedings":
        given = {c: frame[c].notna().to_numpy() for c in frame.columns}
        _proceedings_checks(typed, given, add)
        _family_checks(typed, add)
    if table.name == "care_episodes":
        start, end = typed["start_date"], typed["end_date"]
        add(
            "end_before_start",
            "end_date",
            (end < start).to_numpy(),
            _describe("ends {e:%Y-%m-%d}, starts {s:%Y-%m-%d}", e=end, s=start),
        )
    if extract_date is not None:
        for name in table.date_columns:
            add(
                "date_after_extract",
                name,
                (typed[name] > extract_date).to_numpy(),
                _describe(
                    "{v:%Y-%m-%d} is after " + f"{bound_label} {extract_date:%Y-%m-%d}",
                    v=typed[name],
                ),
            )
    _duplicate_check(frame, table, raw.rows, add)

    kept_mask = np.ones(len(frame), dtype=bool)
    for failure in failures:
        kept_mask &= ~failure.mask
    kept = pd.DataFrame(typed, index=frame.index)
    extras = [c for c in frame.columns if c not in table.names]
    for name in extras:
        kept[name] = frame[name]
    kept = kept.loc[kept_mask].reset_index(drop=True)
    for name in extras:
        kept[name] = infer_extra(kept[name])
    quarantine = _quarantine(raw, failures, kept_mask, table_name)
    return kept, quarantine, len(frame) + len(raw.malformed)


_VOCABULARIES: dict[str, tuple[dict[str, str], str]] = {
    "final_order": (ORDER_ALIASES, "unknown_order"),
    "event_type": (EVENT_ALIASES, "unknown_event_type"),
    "child_sex": (SEX_ALIASES, "invalid_sex"),
}
"""Alias table and reason code for each vocabulary column."""


def _interim_orders(values: pd.Series) -> np.ndarray:
    """True where a final-order label is an interim order (never mapped to a final one)."""
    interim, _ = map_labels(values, dict.fromkeys(INTERIM_ORDER_LABELS, "interim"))
    return interim.notna().to_numpy()


def _proceedings_checks(
    typed: dict[str, pd.Series], given: dict[str, np.ndarray], add: Callable[..., None]
) -> None:
    """Cross-field checks on proceedings.

    Whether a value was *given* is judged on the raw text, so that a mistyped order is
    not also reported as a missing one.
    """
    dob, issue = typed["child_dob"], typed["issue_date"]
    disposal, order = typed["disposal_date"], typed["final_order"]
    add(
        "issue_before_birth",
        "issue_date",
        (issue < dob).to_numpy(),
        _describe("issued {i:%Y-%m-%d}, before the child's birth on {b:%Y-%m-%d}", i=issue, b=dob),
    )
    # Age in completed years, as the law counts it.
    age = (issue.dt.year - dob.dt.year) - (
        (issue.dt.month < dob.dt.month)
        | ((issue.dt.month == dob.dt.month) & (issue.dt.day < dob.dt.day))
    ).astype(int)
    add(
        "child_too_old",
        "child_dob",
        (age >= MAX_AGE_AT_ISSUE_YEARS).to_numpy(),
        _describe("child aged {a:.0f} at issue", a=age),
    )
    add(
        "disposal_before_issue",
        "disposal_date",
        (disposal < issue).to_numpy(),
        _describe("disposed {d:%Y-%m-%d}, before issue on {i:%Y-%m-%d}", d=disposal, i=issue),
    )
    nothing = np.zeros(len(dob), dtype=bool)
    has_disposal = given.get("disposal_date", nothing)
    has_order = given.get("final_order", nothing)
    add(
        "order_without_disposal",
        "disposal_date",
        has_order & ~has_disposal,
        _describe("order {o!r} but no disposal date", o=order),
    )
    add(
        "disposal_without_order",
        "final_order",
        has_disposal & ~has_order,
        _describe("disposed {d:%Y-%m-%d} but no final order", d=disposal),
    )


def _family_checks(typed: dict[str, pd.Series], add: Callable[..., None]) -> None:
    """The mother's date of birth against the child's (:data:`MIN_MOTHER_AGE`,
    :data:`MAX_MOTHER_AGE`)."""
    mother, child = typed["mother_dob"], typed["child_dob"]
    add(
        "mother_born_after_child",
        "mother_dob",
        (mother > child).to_numpy(),
        _describe("mother born {m:%Y-%m-%d}, after the child on {c:%Y-%m-%d}", m=mother, c=child),
    )
    age = mother_age(mother, child)
    add(
        "mother_too_old",
        "mother_dob",
        (age > MAX_MOTHER_AGE).to_numpy(),
        _describe("mother aged {a:.0f} at the child's birth (born {m:%Y-%m-%d})", a=age, m=mother),
    )


def mother_age(mother_dob: pd.Series, child_dob: pd.Series) -> pd.Series:
    """The mother's age in completed years at the child's birth (NaN where unknown)."""
    return (child_dob.dt.year - mother_dob.dt.year) - (
        (child_dob.dt.month < mother_dob.dt.month)
        | ((child_dob.dt.month == mother_dob.dt.month) & (child_dob.dt.day < mother_dob.dt.day))
    ).astype(float)


def _text_checks(raw: RawTable, add: Callable[..., None]) -> None:
    """Values too long for a cell, or holding control characters, in any column."""
    for name in raw.frame.columns:
        text = arrow_text(raw.frame[name])
        offsets, data = _buffers(text)
        # a value's length in bytes bounds its length in characters: counting characters
        # is needed only when some value has more bytes than a cell may hold characters
        if np.diff(offsets).max(initial=0) > MAX_FIELD_CHARS:
            lengths = pc.utf8_length(text)
            longest = pc.max(lengths).as_py()
            if longest is not None and longest > MAX_FIELD_CHARS:
                add(
                    "oversized_field",
                    name,
                    pc.fill_null(pc.greater(lengths, MAX_FIELD_CHARS), False).to_numpy(
                        zero_copy_only=False
                    ),
                    _describe(
                        "a value of {n:,} characters", n=lengths.to_numpy(zero_copy_only=False)
                    ),
                )
        # In UTF-8 a control byte is never part of another character, so the regex runs
        # only on a column whose bytes hold one (the screen is a table lookup per byte).
        if raw.control_checked or not _CONTROL_BYTES[data].any():
            continue
        control = pc.fill_null(pc.match_substring_regex(text, _CONTROL_PATTERN), False)
        if pc.any(control).as_py():
            add(
                "control_character",
                name,
                control.to_numpy(zero_copy_only=False),
                _describe("the value holds a control character"),
            )


def _buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value offsets and the character bytes of a ``large_string`` array."""
    _, offsets, data = text.buffers()
    start = text.offset
    offs = np.frombuffer(offsets, dtype=np.int64)[start : start + len(text) + 1]
    chars = (
        np.frombuffer(data, dtype=np.uint8)[offs[0] : offs[-1]]
        if data is not None and len(offs)
        else np.zeros(0, dtype=np.uint8)
    )
    return offs, chars


def _placeholder_ids(frame: pd.DataFrame, table: Table) -> dict[str, pd.Series]:
    """Make placeholder identifiers missing, in place.

    Returns, for each identifier column holding any, the placeholders as written
    (missing elsewhere).
    """
    found = {}
    ids = [c.name for c in table.columns if c.kind == "id"]
    for name in frame.columns:
        if name not in ids and not name.endswith("_id"):
            continue
        text = arrow_text(frame[name])
        hit = pc.fill_null(pc.is_in(pc.utf8_lower(text), pa.array(sorted(PLACEHOLDER_IDS))), False)
        if pc.any(hit).as_py():
            mask = hit.to_numpy(zero_copy_only=False)
            found[name] = frame[name].where(mask)
            frame[name] = frame[name].mask(mask)
    return found


def _placeholder_note(written: pd.Series) -> np.ndarray:
    """`` ('NULL' is a placeholder)`` where a placeholder was written, else empty."""
    # only the (few) placeholders are formatted: a loop over every row cost seconds
    note = np.full(len(written), "", dtype=object)
    hit = written.notna().to_numpy()
    note[hit] = [f" ({v!r} is a placeholder)" for v in written[hit]]
    return note


def _duplicate_check(
    frame: pd.DataFrame, table: Table, rows: np.ndarray, add: Callable[..., None]
) -> None:
    """Quarantine the second and later rows sharing a complete key."""
    key = [k for k in table.key if k in frame.columns]
    parts = [arrow_text(frame[k]) for k in key]
    # A separator that cannot occur in text read from a file joins the key parts;
    # the join is null where any part is missing, and such rows are never duplicates.
    separator = pa.scalar("\x1f", pa.large_string())
    joined = pc.binary_join_element_wise(*parts, separator) if len(parts) > 1 else parts[0]
    complete = joined.is_valid().to_numpy(zero_copy_only=False)
    codes = pc.fill_null(joined.dictionary_encode().indices, -1).to_numpy(zero_copy_only=False)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    first_of = first[inverse]
    repeat = complete & (first_of != np.arange(len(frame)))
    add(
        "duplicate_key",
        key[0],
        repeat,
        _describe("repeats the " + "/".join(key) + " of row {r}", r=rows[first_of]),
    )


def infer_extra(values: pd.Series) -> pd.Series:
    """Type an extra (covariate) column read as text.

    Integers become ``int64`` (``float64`` when some are missing), other numbers
    ``float64``, ``true``/``false`` columns ``bool`` (``boolean`` with missing
    values), anything else text.
    """
    text = arrow_text(values)
    complete = text.null_count == 0
    if text.null_count == len(text):
        return values.astype(STRING_DTYPE)
    lowered = pc.utf8_lower(text)
    if pc.all(pc.is_in(lowered, pa.array(["true", "false"])), skip_nulls=True).as_py():
        flags = pd.Series(pc.equal(lowered, "true").to_pandas(), index=values.index)
        return flags.astype(bool) if complete else flags.astype("boolean")
    for arrow_type in (pa.int64(), pa.float64()):
        try:
            numbers = pc.cast(text, arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        as_float = numbers.to_numpy(zero_copy_only=False).astype("float64")
        if arrow_type == pa.int64() and complete:
            return pd.Series(as_float.astype("int64"), index=values.index)
        return pd.Series(as_float, index=values.index)
    return values.astype(STRING_DTYPE)


def _quarantine(
    raw: RawTable, failures: list[_Failure], kept_mask: np.ndarray, table_name: str
) -> pd.DataFrame:
    parts = []
    if raw.malformed:
        parts.append(
            pd.DataFrame(
                {
                    "table": table_name,
                    "file": raw.file,
                    "row": [m.row for m in raw.malformed],
                    "column": [m.column for m in raw.malformed],
                    "reason": [m.reason for m in raw.malformed],
                    "message": [
                        ":".join(p for p in (raw.file, str(m.row), m.column) if p)
                        + f": {m.detail}"
                        for m in raw.malformed
                    ],
                    "value": [m.text for m in raw.malformed],
                    "other_reasons": "",
                    "record": [json.dumps({"line": m.text}) for m in raw.malformed],
                }
            )
        )
    bad = np.flatnonzero(~kept_mask)
    if len(bad):
        matrix = np.vstack([f.mask[bad] for f in failures])
        first = matrix.argmax(axis=0)
        reason = np.empty(len(bad), dtype=object)
        column = np.empty(len(bad), dtype=object)
        message = np.empty(len(bad), dtype=object)
        value = np.empty(len(bad), dtype=object)
        for j, failure in enumerate(failures):
            pick = np.flatnonzero(first == j)
            if not len(pick):
                continue
            idx = bad[pick]
            details = failure.details(idx)
            header = raw.original_names.get(failure.column or "", failure.column or "")
            reason[pick] = failure.reason
            column[pick] = failure.column
            message[pick] = [
                f"{raw.file}:{raw.rows[i]}:{header}: {d}"
                for i, d in zip(idx, details, strict=True)
            ]
            if failure.column in raw.frame.columns:
                value[pick] = raw.frame[failure.column].iloc[idx].to_numpy(dtype=object)
        codes = np.array([f.reason for f in failures], dtype=object)
        others = [
            ";".join(codes[np.flatnonzero(matrix[:, k] & (np.arange(len(failures)) != first[k]))])
            for k in range(len(bad))
        ]
        records = raw.frame.iloc[bad].to_json(orient="records", lines=True).splitlines()
        parts.append(
            pd.DataFrame(
                {
                    "table": table_name,
                    "file": raw.file,
                    "row": raw.rows[bad],
                    "column": column,
                    "reason": reason,
                    "message": message,
                    "value": value,
                    "other_reasons": others,
                    "record": records,
                }
            )
        )
    if not parts:
        return empty_quarantine()
    out = pd.concat(parts, ignore_index=True)[list(QUARANTINE_COLUMNS)]
    return out.sort_values("row", kind="stable").reset_index(drop=True)
