"""The data-quality checks: what each looks for, and the row-level issues they find.

Five dimensions, after the DAMA / UK Government Data Quality Framework (2020)
definitions:

``completeness``
    a value that should be there is missing;
``validity``
    a value is not of the allowed form (an unreadable date, an unknown order label),
    or is of the allowed form but probably mistyped (day/month swap, year typo);
``consistency``
    values that cannot all be true together (disposal before issue, one child with two
    dates of birth, siblings with different issue dates);
``uniqueness``
    one record present twice;
``timeliness``
    recording delay: cases still open long after they must have ended.

Two sources feed the issues: the reader's quarantine (every reason of every rejected
row; see :data:`outcomes.io.REASONS`) and checks run here on all rows, kept and
quarantined. A row that repeats an earlier row (``duplicate_key``) is reported once, as a
duplicate: its other problems are those of the row it repeats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.io._validate import mother_age
from outcomes.io.all_rows import ProceedingsRows, proceedings_rows
from outcomes.quality._datefix import (
    DAYS_PER_YEAR,
    MAX_DURATION_DAYS,
    ORDER_AGE_LIMIT,
    ORDERS_BARRED_AT_17,
    IdCodes,
    conflicts,
    days,
    diagnose,
)
from outcomes.schema import MIN_MOTHER_AGE, STRING_DTYPE, Dataset

DIMENSIONS = ("completeness", "validity", "consistency", "uniqueness", "timeliness")
ISSUE_COLUMNS = (
    "table",
    "row",
    "column",
    "check",
    "dimension",
    "severity",
    "la_code",
    "dfj_area",
    "message",
)
STALE_OPEN_YEARS = 2.0
BIRTH_SPACING_DAYS = (3, 150)
"""Two children of one mother recorded as born this many days apart (at least the
first, under the second) are flagged: twins are born the same day or the next, and
no later birth follows within about five months (the shortest viable pregnancy,
22 weeks, after the weeks it takes to conceive again)."""
"""An open case issued more than this many years before the extract is probably
disposed but unrecorded (fewer than 1 in 100 proceedings last two years)."""


@dataclass(frozen=True)
class Check:
    """One check: its dimension, severity and meaning."""

    name: str
    dimension: str
    severity: str
    description: str


def _checks() -> dict[str, Check]:
    from outcomes.io._validate import REASONS

    dimension_of = {
        "missing_value": "completeness",
        "malformed_row": "validity",
        "oversized_field": "validity",
        "control_character": "validity",
        "unparseable_date": "validity",
        "ambiguous_date": "validity",
        "unknown_order": "validity",
        "interim_order": "validity",
        "unknown_event_type": "validity",
        "invalid_sex": "validity",
        "duplicate_key": "uniqueness",
    }
    out = {
        name: Check(name, dimension_of.get(name, "consistency"), "error", text)
        for name, text in REASONS.items()
    }
    own = (
        Check(
            "missing_mother_id",
            "completeness",
            "warning",
            "no mother_id: repeats by the mother cannot be found",
        ),
        Check(
            "young_mother",
            "consistency",
            "warning",
            f"the mother aged under {MIN_MOTHER_AGE} at the child's birth",
        ),
        Check("day_month_swap", "validity", "warning", "a date whose day and month look swapped"),
        Check("year_typo", "validity", "warning", "a date whose year looks mistyped"),
        Check(
            "sibling_date_mismatch",
            "consistency",
            "warning",
            "siblings in one set of proceedings with different issue or disposal dates",
        ),
        Check("child_dob_conflict", "consistency", "warning", "one child with two dates of birth"),
        Check(
            "birth_spacing",
            "consistency",
            "warning",
            f"two children of one mother recorded as born {BIRTH_SPACING_DAYS[0]} to "
            f"{BIRTH_SPACING_DAYS[1] - 1} days apart",
        ),
        Check(
            "implausible_duration",
            "consistency",
            "warning",
            f"proceedings lasting over {MAX_DURATION_DAYS // 365} years",
        ),
        Check(
            "order_impossible_for_age",
            "consistency",
            "warning",
            "a care, supervision or placement order made after the child turned 17",
        ),
        Check(
            "stale_open_case",
            "timeliness",
            "warning",
            f"no disposal recorded more than {STALE_OPEN_YEARS:g} years after issue "
            "(and no death of the child since the issue)",
        ),
        Check(
            "near_duplicate",
            "uniqueness",
            "warning",
            "the same child issued on the same day under two proceedings IDs",
        ),
    )
    out.update({c.name: c for c in own})
    from outcomes.io.ssda903 import SSDA903_REASONS

    for name, text in SSDA903_REASONS.items():
        dimension = "validity" if name == "unknown_903_code" else "consistency"
        out[name] = Check(name, dimension, "error", text)
    return out


def check_of(name: str) -> Check:
    """The check called ``name``; a reason code from another reader is a validity error."""
    return CHECKS.get(name, Check(name, "validity", "error", name))


CHECKS: dict[str, Check] = _checks()
"""Every check, by name (the reader's reason codes and the checks run here)."""

REASON_COLUMN = {
    "issue_before_birth": "issue_date",
    "child_too_old": "child_dob",
    "disposal_before_issue": "disposal_date",
    "order_without_disposal": "disposal_date",
    "disposal_without_order": "final_order",
    "unknown_order": "final_order",
    "interim_order": "final_order",
    "end_before_start": "end_date",
    "duplicate_key": "proceedings_id",
}
"""Column named for a reason that was not the row's first (the quarantine names only the
first reason's column)."""


def find_issues(dataset: Dataset) -> tuple[pd.DataFrame, ProceedingsRows]:
    """Run every check on ``dataset``.

    Returns
    -------
    issues : DataFrame
        One row per issue, columns :data:`ISSUE_COLUMNS`, sorted by table and row.
    rows : ProceedingsRows
        All proceedings rows, typed (the denominators of the summaries).
    """
    rows = proceedings_rows(dataset)
    frame = rows.frame
    extract = dataset.manifest.extract_date
    from_quarantine = _quarantine_issues(rows)
    dup_rows = from_quarantine.loc[from_quarantine["check"] == "duplicate_key", "row"]
    is_dup = frame["row"].isin(dup_rows).to_numpy()
    parts = [
        from_quarantine,
        *_row_checks(frame, dataset, extract, is_dup),
        _family_issues(frame, is_dup),
    ]
    found = [p for p in parts if len(p)]
    if not found:
        return _empty_issues(), rows
    issues = pd.concat(found, ignore_index=True)
    # a duplicate row is reported once, as a duplicate
    prow = issues["table"] == "proceedings"
    drop = prow & issues["row"].isin(dup_rows) & (issues["check"] != "duplicate_key")
    issues = issues.loc[~drop.to_numpy()]
    issues = issues.drop_duplicates(["table", "row", "column", "check"])
    issues = issues.sort_values(["table", "row", "check"], kind="stable").reset_index(drop=True)
    known = {name: check_of(name) for name in issues["check"].unique()}
    issues["dimension"] = issues["check"].map({k: c.dimension for k, c in known.items()})
    issues["severity"] = issues["check"].map({k: c.severity for k, c in known.items()})
    for col in ISSUE_COLUMNS:
        if col != "row":
            issues[col] = issues[col].astype(STRING_DTYPE)
    return issues[list(ISSUE_COLUMNS)], rows


def _family_issues(frame: pd.DataFrame, is_dup: np.ndarray) -> pd.DataFrame:
    """Mothers implausibly young at the child's birth (the reader quarantines the
    impossible: a mother born after her child, or aged over 60)."""
    age = mother_age(frame["mother_dob"], frame["child_dob"]).to_numpy()
    pos = np.flatnonzero((age >= 0) & (age < MIN_MOTHER_AGE) & ~is_dup)
    message = [f"mother aged {a:.0f} at the child's birth" for a in age[pos]]
    return _issues("proceedings", frame, pos, "mother_dob", "young_mother", np.array(message))


def _empty_issues() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=STRING_DTYPE) for c in ISSUE_COLUMNS})
    return frame.astype({"row": "int64"})


def _issues(
    table: str,
    frame: pd.DataFrame,
    positions: np.ndarray,
    column: str | np.ndarray | None,
    check: str,
    message: pd.Series | np.ndarray | str,
) -> pd.DataFrame:
    """Issues at ``positions`` of the proceedings rows frame."""
    sub = frame.iloc[positions]
    return pd.DataFrame(
        {
            "table": table,
            "row": sub["row"].to_numpy(dtype=np.int64),
            "column": column,
            "check": check,
            "la_code": sub["la_code"].to_numpy(dtype=object),
            "dfj_area": sub["dfj_area"].to_numpy(dtype=object),
            "message": message if isinstance(message, str) else np.asarray(message, dtype=object),
        }
    )


def _quarantine_issues(rows: ProceedingsRows) -> pd.DataFrame:
    """One issue per reason of every quarantined row."""
    q = rows.quarantine
    if not len(q):
        return _empty_issues()
    others = q["other_reasons"].fillna("").astype(str)
    first = pd.DataFrame(
        {
            "table": q["table"].to_numpy(dtype=object),
            "row": q["row"].to_numpy(dtype=np.int64),
            "column": q["column"].to_numpy(dtype=object),
            "check": q["reason"].to_numpy(dtype=object),
            "message": q["message"].to_numpy(dtype=object),
        }
    )
    more = pd.DataFrame(
        {
            "table": q["table"].to_numpy(dtype=object),
            "row": q["row"].to_numpy(dtype=np.int64),
            "check": others.str.split(";").to_numpy(dtype=object),
        }
    ).explode("check")
    more = more.loc[more["check"].astype(str) != ""]
    more["column"] = more["check"].map(REASON_COLUMN)
    from outcomes.io._validate import REASONS

    more["message"] = more["check"].map(REASONS).fillna("")
    out = pd.concat([first, more], ignore_index=True)
    where = rows.frame.set_index("row")[["la_code", "dfj_area"]]
    is_proc = (out["table"] == "proceedings").to_numpy()
    la = pd.Series(np.nan, index=out.index, dtype=object)
    dfj = pd.Series(np.nan, index=out.index, dtype=object)
    found = out.loc[is_proc, "row"]
    la.loc[is_proc] = where["la_code"].reindex(found.to_numpy()).to_numpy(dtype=object)
    dfj.loc[is_proc] = where["dfj_area"].reindex(found.to_numpy()).to_numpy(dtype=object)
    out["la_code"] = la
    out["dfj_area"] = dfj
    return out


def _fmt(d: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(d, dtype="datetime64[D]"), unit="D").astype(object)


def _row_checks(
    frame: pd.DataFrame, dataset: Dataset, extract: pd.Timestamp, is_dup: np.ndarray
) -> list[pd.DataFrame]:
    """The row-level checks of every dimension, in the order their issues are listed.

    A row that a date diagnosis explains (``explained``) is not reported again as an
    inconsistency or an implausible value that the mistyped date caused.
    """
    ids = IdCodes(frame)
    out = [_completeness(frame, is_dup)]
    validity, explained = _date_validity(frame, dataset, extract, is_dup, ids)
    out += validity
    out += _consistency(frame, is_dup, ids, explained)
    issue, disposal = days(frame["issue_date"]), days(frame["disposal_date"])
    out += _plausibility(frame, issue, disposal, is_dup, explained)
    died = _death_days(dataset, frame)
    out.append(_timeliness(frame, issue, disposal, died, extract, is_dup))
    out.append(_uniqueness(frame, is_dup))
    return out


def _completeness(frame: pd.DataFrame, is_dup: np.ndarray) -> pd.DataFrame:
    """Completeness: the mother link."""
    pos = np.flatnonzero(frame["mother_id"].isna().to_numpy() & ~is_dup)
    return _issues(
        "proceedings", frame, pos, "mother_id", "missing_mother_id", "mother_id is empty"
    )


def _date_validity(
    frame: pd.DataFrame,
    dataset: Dataset,
    extract: pd.Timestamp,
    is_dup: np.ndarray,
    ids: IdCodes,
) -> tuple[list[pd.DataFrame], np.ndarray]:
    """Validity: mistyped dates, with the evidence; and which rows they explain."""
    out = []
    dx = diagnose(frame, dataset.care_episodes, extract, is_dup, ids)
    kind_text = np.where(dx.kind == "day_month_swap", "day and month swapped", "year mistyped")
    message = (
        dx.column
        + " "
        + _fmt(dx.observed)
        + ": "
        + kind_text
        + "? "
        + _fmt(dx.suggested)
        + " agrees with the "
        + dx.evidence
    )
    for kind in ("day_month_swap", "year_typo"):
        sel = dx.kind == kind
        out.append(
            _issues("proceedings", frame, dx.position[sel], dx.column[sel], kind, message[sel])
        )
    explained = np.zeros(len(frame), dtype=bool)
    explained[dx.position] = True

    # a year beyond the extract's is a mistyped year even when the right one cannot be
    # told (no entry is made for a year that has not begun)
    for column in ("issue_date", "disposal_date", "child_dob"):
        year = frame[column].dt.year.to_numpy(dtype="float64", na_value=np.nan)
        future = (year > extract.year) & ~explained & ~is_dup
        pos = np.flatnonzero(future)
        if not len(pos):
            continue
        text = (
            column + " " + _fmt(frame[column].to_numpy()[pos])
            + f": a year after the extract ({extract:%Y-%m-%d}); year mistyped,"
            " correct year not determined"
        )  # fmt: skip
        out.append(_issues("proceedings", frame, pos, column, "year_typo", text))
        explained[pos] = True
    return out, explained


def _consistency(
    frame: pd.DataFrame, is_dup: np.ndarray, ids: IdCodes, explained: np.ndarray
) -> list[pd.DataFrame]:
    """Consistency: disagreements between rows that no diagnosis explains."""
    out = []
    mismatch = conflicts(frame, is_dup, ids)
    for column, check in (
        ("issue_date", "sibling_date_mismatch"),
        ("disposal_date", "sibling_date_mismatch"),
        ("child_dob", "child_dob_conflict"),
    ):
        pos = np.flatnonzero(mismatch[column] & ~explained)
        text = column + " " + _fmt(frame[column].to_numpy()[pos]) + " differs from other rows"
        out.append(_issues("proceedings", frame, pos, column, check, text))
    out.append(_birth_spacing(frame, is_dup | explained))
    return out


def _birth_spacing(frame: pd.DataFrame, skip: np.ndarray) -> pd.DataFrame:
    """Children of one mother (by ``mother_id``) born implausibly close together.

    Each child's first row with a date of birth stands for it; of a pair too close,
    both children are flagged (nothing says which date is wrong). Rows a date
    diagnosis explains, and duplicate copies, take no part.
    """
    dob = days(frame["child_dob"])
    mother = frame["mother_id"].to_numpy(dtype=object)
    child = frame["child_id"].to_numpy(dtype=object)
    usable = ~skip & ~np.isnan(dob) & ~pd.isna(mother) & ~pd.isna(child)
    people = pd.DataFrame(
        {"pos": np.flatnonzero(usable), "mother": mother[usable], "child": child[usable],
         "dob": dob[usable]}
    ).drop_duplicates(["mother", "child"])  # fmt: skip
    people = people.sort_values(["mother", "dob"], kind="stable")
    gap = people["dob"].diff().to_numpy()
    same = (people["mother"] == people["mother"].shift()).to_numpy()
    low, high = BIRTH_SPACING_DAYS
    close = same & (gap >= low) & (gap < high)
    # each child's gap to a too-close sibling born before it, or after it (the nearer)
    before = np.where(close, gap, np.nan)
    after = np.append(before[1:], np.nan)
    nearest = np.fmin(before, after)
    hit = ~np.isnan(nearest)
    order = np.argsort(people["pos"].to_numpy()[hit], kind="stable")
    pos = people["pos"].to_numpy()[hit][order]
    words = [f"born {g:.0f} days from a sibling" for g in nearest[hit][order]]
    text = np.array(words, dtype=object)
    return _issues("proceedings", frame, pos, "child_dob", "birth_spacing", text)


def _plausibility(
    frame: pd.DataFrame,
    issue: np.ndarray,
    disposal: np.ndarray,
    is_dup: np.ndarray,
    explained: np.ndarray,
) -> list[pd.DataFrame]:
    """Validity of values that parse but cannot be right: durations and ages at order."""
    out = []
    dob = days(frame["child_dob"])
    with np.errstate(invalid="ignore"):
        long = (disposal - issue > MAX_DURATION_DAYS) & ~explained & ~is_dup
        pos = np.flatnonzero(long)
        weeks = ((disposal - issue)[pos] / 7).round().astype(np.int64).astype(str).astype(object)
        out.append(
            _issues(
                "proceedings",
                frame,
                pos,
                "disposal_date",
                "implausible_duration",
                "lasted " + weeks + " weeks",
            )
        )
        order = frame["final_order"].to_numpy(dtype=object)
        age = (disposal - dob) / DAYS_PER_YEAR
        barred = np.isin(order, ORDERS_BARRED_AT_17) & (age >= ORDER_AGE_LIMIT) & ~is_dup
        pos = np.flatnonzero(barred & ~explained)
        ages = np.floor(age[pos]).astype(np.int64).astype(str).astype(object)
        out.append(
            _issues(
                "proceedings",
                frame,
                pos,
                "final_order",
                "order_impossible_for_age",
                order[pos].astype(str) + " made at age " + ages,
            )
        )
    return out


def _death_days(dataset: Dataset, frame: pd.DataFrame) -> np.ndarray:
    """Per proceedings row, the day of its child's recorded death (NaN if none)."""
    return days(frame["child_id"].map(dataset.death_dates()))


def _timeliness(
    frame: pd.DataFrame,
    issue: np.ndarray,
    disposal: np.ndarray,
    died: np.ndarray,
    extract: pd.Timestamp,
    is_dup: np.ndarray,
) -> pd.DataFrame:
    """Timeliness: cases open far too long at the extract date.

    Proceedings of a child whose death is recorded after their issue are not open: the
    court makes no order for a child who has died, so no disposal is ever recorded.
    """
    extract_day = float(np.datetime64(extract.date(), "D").astype(np.int64))
    with np.errstate(invalid="ignore"):
        ended_by_death = died >= issue
        open_ = np.isnan(disposal) & frame["order_text"].isna().to_numpy() & ~ended_by_death
        stale = open_ & (extract_day - issue > STALE_OPEN_YEARS * DAYS_PER_YEAR) & ~is_dup
        pos = np.flatnonzero(stale)
        years = ((extract_day - issue[pos]) / DAYS_PER_YEAR).round(1).astype(str).astype(object)
    return _issues(
        "proceedings",
        frame,
        pos,
        "disposal_date",
        "stale_open_case",
        "open " + years + " years at the extract date",
    )


def _uniqueness(frame: pd.DataFrame, is_dup: np.ndarray) -> pd.DataFrame:
    """Uniqueness: one child issued the same day under two proceedings IDs."""
    key = frame[["child_id", "issue_date"]]
    same = key.duplicated(keep="first").to_numpy() & frame["issue_date"].notna().to_numpy()
    pair = frame[["proceedings_id", "child_id", "issue_date"]].duplicated(keep="first").to_numpy()
    pos = np.flatnonzero(same & ~pair & ~is_dup)
    return _issues(
        "proceedings",
        frame,
        pos,
        "proceedings_id",
        "near_duplicate",
        "same child and issue date as an earlier row under another proceedings_id",
    )
