"""Reading the SSDA903 return (children looked after) into a canonical dataset.

The SSDA903 return is what every English local authority sends the Department for
Education about each child it looks after. Two of its tables are read here:

``header`` -- ``CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB``
    one row per child; ``SEX`` 1 male, 2 female; ``MOTHER`` whether the looked-after
    child is herself a mother, ``MC_DOB`` her child's date of birth.
``episodes`` -- ``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN``
    one row per episode: a period under one legal status and placement.

Codes used (DfE, *Children looked after return: guide*, annual):

* ``LS`` legal status: ``C1`` interim care order, ``C2`` full care order, ``D1``
  freeing order, ``E1`` placement order granted, ``J1``-``J3`` youth justice,
  ``L1``-``L3`` police protection, emergency protection, child assessment order,
  ``V2`` single period of accommodation under s20, ``V3``/``V4`` short breaks.
* ``RNE`` reason for new episode: ``S`` started to be looked after, ``L`` legal status
  change, ``P`` placement change, ``T`` both, ``B``/``U`` changes with the same carer.
* ``REC`` reason episode ceased: ``E11`` adopted (application unopposed), ``E12``
  adopted (consent dispensed with), ``E13`` left care to live with parents or others
  without parental responsibility, ``E14`` accommodation on remand ended, ``E15``
  age-assessed as 18 or over, ``E16`` moved abroad, ``E17`` aged 18 and remained with
  carers, ``E2`` died, ``E3`` care taken over by another LA, ``E41`` residence or child
  arrangements order, ``E45``-``E48`` special guardianship orders (to former foster
  carers or to other carers, relatives or friends or not) -- before 2016 ``E43``/``E44``
  (SGO to former foster carers / to other carers),
  ``E4A``/``E4B`` returned home to parents as part of / not as part of the care plan,
  ``E5``/``E6`` independent living, ``E7`` adult social care, ``E8`` any other reason,
  ``E9`` sentenced to custody, ``X1`` episode ceases and a new one begins.

  Code lists change between collection years: a code not listed here is quarantined as
  ``unknown_903_code`` rather than guessed, so it shows in the quarantine; check the
  guide for the year of the return.

What the dataset holds
----------------------
``care_episodes``
    one row per valid episode (``start_date`` = DECOM, ``end_date`` = DEC, LS, REC,
    PLACE).
``child_events``
    from the episodes: ``adopted`` (REC E11/E12, at DEC), ``died`` (E2),
    ``moved_abroad`` (E16), ``entered_care`` (RNE S, at DECOM) and ``left_care`` (any
    other REC but X1, at DEC).
``proceedings`` -- approximated, one row per run of ``C1`` episodes
    ``issue_date`` the start of the run (an interim care order is made at or soon after
    issue); ``disposal_date`` the start of the next episode when it is ``C2``
    (``care_order``) or ``E1`` (``placement_order``), else the end of the run when it
    ends with an SGO exit (E43-E48, ``special_guardianship_order``), a child
    arrangements / residence order exit (E41, ``child_arrangements_order``) or any
    other exit (``other``: home to parents, perhaps under a supervision order, or no
    order); open when the run is still open. ``proceedings_id`` is the child and the
    issue date; ``la_code`` and ``dfj_area`` are the arguments.

Limits (write them in any analysis that uses this reader)
----------------------------------------------------------
* Children never looked after are absent: proceedings ending in supervision orders,
  SGOs or child arrangements orders without an interim care order are invisible, and so
  are supervision orders generally (a child under a supervision order is not looked
  after).
* A C1 run is proceedings only approximately: interim care orders can start weeks after
  issue, and a child accommodated under s20 during proceedings has no C1 run at all.
* Siblings cannot be linked (the return has no family identifier), so each child is
  its own proceedings; there is no ``mother_id``: ``MOTHER``/``MC_DOB`` say that a
  looked-after girl is herself a mother, not who a child's mother is.
* Proceedings whose order came before a full care order without a C1 episode (e.g. a
  C2 episode that starts a period of care) are not derived.

Identifiers: ``UPN`` and the postcodes ``HOME_POST`` and ``PL_POST`` are direct
identifiers and are dropped unless named in ``keep_identifiers``; ``URN`` (the Ofsted
number of a provider) is kept out of the canonical tables.

Rows that fail validation go to ``Dataset.quarantine`` (tables ``ssda903_header`` and
``care_episodes``), with the reader's reasons plus ``unknown_903_code`` and
``child_not_in_header`` (:data:`SSDA903_REASONS`); for each file, rows kept plus rows
quarantined equal rows read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from outcomes.io._dates import parse_extract_date
from outcomes.io._files import RawTable, read_raw
from outcomes.io._validate import validate_rows
from outcomes.schema import (
    CARE_EPISODES,
    CHILD_EVENTS,
    PROCEEDINGS,
    QUARANTINE_COLUMNS,
    SEXES,
    STRING_DTYPE,
    Column,
    Dataset,
    Manifest,
    Table,
    empty_quarantine,
)

PathLike = str | os.PathLike[str]

LEGAL_STATUSES = ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
REASONS_CEASED = (
    "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E43", "E44",
    "E45", "E46", "E47", "E48", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "X1",
)  # fmt: skip
NEW_EPISODE_REASONS = ("S", "L", "P", "T", "B", "U")
SGO_EXITS = ("E43", "E44", "E45", "E46", "E47", "E48")
CAO_EXITS = ("E41",)
EVENT_OF_REC = {"E11": "adopted", "E12": "adopted", "E2": "died", "E16": "moved_abroad"}

SSDA903_REASONS: dict[str, str] = {
    "unknown_903_code": "an LS, RNE or REC value that is not a 903 code",
    "child_not_in_header": (
        "an episode of a child missing from the header file (or whose header row was quarantined)"
    ),
    "episode_overlap": "an episode starts before the child's previous episode ended",
    "open_episode_not_last": "an episode with no end date is followed by another episode",
    "episode_chain_break": (
        "the episode chain breaks: X1 says a new episode begins on the end date but none "
        "does, or a period of care starts without RNE S, or DEC and REC disagree"
    ),
    "broken_period_of_care": "an episode in a period of care whose episode chain breaks",
}
"""Reason codes this reader adds to :data:`outcomes.io.REASONS`."""

HEADER_903 = Table(
    name="ssda903_header",
    description="SSDA903 header: one row per child looked after.",
    key=("child_id",),
    columns=(
        Column("child_id", "id", True, False, "903 CHILD."),
        Column("child_sex", "sex", True, True, "903 SEX (1 male, 2 female).", SEXES),
        Column("child_dob", "date", True, False, "903 DOB."),
        Column("ethnic", "str", False, True, "903 ETHNIC."),
        Column("mother", "str", False, True, "903 MOTHER: the child is a mother (1/0)."),
        Column("mc_dob", "date", False, True, "903 MC_DOB: her child's date of birth."),
    ),
    aliases={"child": "child_id", "sex": "child_sex", "dob": "child_dob"},
)
"""The 903 header as read (``UPN`` is an identifier and is dropped)."""

EPISODES_903 = Table(
    name="care_episodes",  # the reader's episode checks (end before start) apply
    description="SSDA903 episodes: one row per episode of care.",
    key=("child_id", "start_date"),
    columns=(
        Column("child_id", "id", True, False, "903 CHILD."),
        Column("start_date", "date", True, False, "903 DECOM."),
        Column("rne", "str", False, True, "903 RNE."),
        Column("legal_status", "str", True, False, "903 LS."),
        Column("cin", "str", False, True, "903 CIN."),
        Column("placement", "str", False, True, "903 PLACE."),
        Column("place_provider", "str", False, True, "903 PLACE_PROVIDER."),
        Column("end_date", "date", True, True, "903 DEC."),
        Column("reason_ceased", "str", True, True, "903 REC."),
        Column("reason_place_change", "str", False, True, "903 REASON_PLACE_CHANGE."),
        Column("urn", "str", False, True, "903 URN (Ofsted provider number)."),
    ),
    aliases={
        "child": "child_id",
        "decom": "start_date",
        "ls": "legal_status",
        "place": "placement",
        "dec": "end_date",
        "rec": "reason_ceased",
    },
)
"""The 903 episodes as read (``HOME_POST``/``PL_POST`` are identifiers and are dropped)."""


def read_ssda903(
    header: PathLike,
    episodes: PathLike,
    *,
    extract_date: str | dt.date | None = None,
    la_code: str | None = None,
    dfj_area: str | None = None,
    keep_identifiers: tuple[str, ...] = (),
    encoding: str | None = None,
) -> Dataset:
    """Read SSDA903 header and episodes files into a canonical dataset.

    See the module docstring for what is derived and the limits of the derivation.

    Parameters
    ----------
    header, episodes : path-like
        The two files (CSV, Parquet or Excel), with the return's column names.
    extract_date : date or string, optional
        When the extract was taken (between 1990 and today); dates after it are
        quarantined. Default: the latest date in the valid episodes (dates after today
        are quarantined then).
    la_code, dfj_area : str, optional
        The LA that made the return and its DFJ area, written on every derived
        proceedings row (default ``"unknown"``).
    keep_identifiers : tuple of str
        Identifier columns (``UPN``, ``HOME_POST``, ``PL_POST``) to keep rather than drop;
        they are still left out of the canonical tables.
    encoding : str, optional
        Text encoding of CSV files.

    Returns
    -------
    Dataset
        ``care_episodes``, ``child_events`` and approximated ``proceedings``;
        ``rows_read`` has ``ssda903_header`` and ``care_episodes``.

    Raises
    ------
    outcomes.errors.SchemaError
        If a file cannot be read or lacks a required column.
    """
    given = None if extract_date is None else parse_extract_date(extract_date, "extract_date")
    today = pd.Timestamp(dt.date.today())
    bound, label = (today, "today") if given is None else (given, "the extract date")
    raw_h = read_raw(
        Path(header), HEADER_903, keep_identifiers=keep_identifiers, encoding=encoding
    )
    raw_e = read_raw(
        Path(episodes), EPISODES_903, keep_identifiers=keep_identifiers, encoding=encoding
    )
    kept_h, q_h, n_h = validate_rows(raw_h, HEADER_903, bound, HEADER_903.name, bound_label=label)
    raw_e, q_codes = _code_checks(raw_e, set(kept_h["child_id"].dropna().tolist()))
    kept_e, q_e, n_e = validate_rows(
        raw_e, EPISODES_903, bound, EPISODES_903.name, bound_label=label
    )
    when = given
    if when is None:
        latest = kept_e[["start_date", "end_date"]].max().max()
        when = pd.Timestamp(latest) if pd.notna(latest) else today
    n_e += len(q_codes)
    kept_rows = raw_e.rows[~np.isin(raw_e.rows, q_e["row"].to_numpy(dtype=np.int64))]
    kept_e, q_chain = _chain_checks(kept_e, kept_rows, raw_e)
    quarantine = pd.concat(
        [q for q in (q_h, q_codes, q_e, q_chain) if len(q)] or [empty_quarantine()],
        ignore_index=True,
    )
    care = kept_e[CARE_EPISODES.names].sort_values(["child_id", "start_date"], kind="stable")
    care = care.reset_index(drop=True)
    events = _child_events(kept_e)
    proceedings = _proceedings(kept_e, kept_h, la_code or "unknown", dfj_area or "unknown")
    dropped = {
        name: raw.dropped for name, raw in (("ssda903_header", raw_h), ("care_episodes", raw_e))
    }
    return Dataset(
        proceedings=proceedings,
        manifest=Manifest(
            extract_date=when,
            source=f"SSDA903 {Path(header).name} + {Path(episodes).name}",
        ),
        child_events=events,
        care_episodes=care,
        quarantine=quarantine,
        rows_read={"ssda903_header": n_h, "care_episodes": n_e},
        dropped_columns={k: v for k, v in dropped.items() if v},
    )


def _code_checks(raw: RawTable, children: set[str]) -> tuple[RawTable, pd.DataFrame]:
    """Quarantine episodes with unknown 903 codes or a child absent from the header.

    Run before the generic validation, so such a row is reported under these reasons.
    """
    frame = raw.frame
    reason = np.full(len(frame), "", dtype=object)
    column = np.full(len(frame), None, dtype=object)
    for name, allowed in (
        ("legal_status", LEGAL_STATUSES),
        ("rne", NEW_EPISODE_REASONS),
        ("reason_ceased", REASONS_CEASED),
    ):
        if name not in frame.columns:
            continue
        values = frame[name].str.upper()
        bad = (values.notna() & ~values.isin(allowed)).to_numpy() & (reason == "")
        reason[bad] = "unknown_903_code"
        column[bad] = name
    orphan = (~frame["child_id"].isin(children) & frame["child_id"].notna()).to_numpy()
    orphan &= reason == ""
    reason[orphan] = "child_not_in_header"
    column[orphan] = "child_id"
    bad = np.flatnonzero(reason != "")
    if not len(bad):
        return raw, empty_quarantine()
    headers = [raw.original_names.get(str(c), str(c)) for c in column[bad]]
    bad_values = [frame[c].iloc[i] for c, i in zip(column[bad], bad, strict=True)]
    quarantine = pd.DataFrame(
        {
            "table": EPISODES_903.name,
            "file": raw.file,
            "row": raw.rows[bad],
            "column": column[bad],
            "reason": reason[bad],
            "message": [
                f"{raw.file}:{r}:{h}: {SSDA903_REASONS[x]}: {v!r}"
                for r, h, x, v in zip(raw.rows[bad], headers, reason[bad], bad_values, strict=True)
            ],
            "value": bad_values,
            "other_reasons": "",
            "record": [
                json.dumps(rec) for rec in json.loads(frame.iloc[bad].to_json(orient="records"))
            ],
        }
    )[list(QUARANTINE_COLUMNS)]
    keep = np.ones(len(frame), dtype=bool)
    keep[bad] = False
    rest = RawTable(
        file=raw.file,
        frame=frame.loc[keep].reset_index(drop=True),
        rows=raw.rows[keep],
        malformed=raw.malformed,
        original_names=raw.original_names,
        dropped=raw.dropped,
    )
    return rest, quarantine


def _period_starts(child: np.ndarray, rec: np.ndarray) -> np.ndarray:
    """Whether each episode (sorted by child and start) begins a period of care: the
    child's first episode, or one after an episode that did not end with ``X1``."""
    same_prev = np.r_[False, child[1:] == child[:-1]]
    prev_x1 = np.r_[False, rec[:-1] == "X1"]
    return ~(same_prev & prev_x1)


def _chain_checks(
    ep: pd.DataFrame, rows: np.ndarray, raw: RawTable
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check each child's episodes as a chain; quarantine every broken period of care.

    Within a period of care episodes follow one another without gap or overlap: an
    episode ending with ``X1`` is followed by one starting that day, and the period
    ends with any other reason. As the DfE's 903 validation rules flag them, the
    defects are an episode starting before the previous one ended
    (``episode_overlap``), an open episode followed by another
    (``open_episode_not_last``), and a chain break (``episode_chain_break``): ``X1``
    with no episode starting on its end date (a missing episode or a gap), a period
    that starts with a reason for new episode other than ``S``, or an end date without
    a reason ceased (or the reverse). A proceedings run through a broken period
    cannot be derived without guessing, so each episode of the period is quarantined:
    the defective ones with their reason, the others as ``broken_period_of_care``.
    """
    order = np.lexsort((rows, ep["start_date"].to_numpy(), ep["child_id"].to_numpy(dtype=str)))
    ep = ep.iloc[order].reset_index(drop=True)
    rows = rows[order]
    child = ep["child_id"].to_numpy(dtype=object)
    rec = ep["reason_ceased"].str.upper().fillna("").to_numpy(dtype=object)
    start = ep["start_date"].to_numpy()
    end = ep["end_date"].to_numpy()
    n = len(ep)
    same_prev = np.r_[False, child[1:] == child[:-1]]
    same_next = np.r_[child[1:] == child[:-1], False]
    prev_end = np.r_[np.datetime64("NaT"), end[:-1]].astype(end.dtype)
    next_start = np.r_[start[1:], np.datetime64("NaT")].astype(start.dtype)
    open_ = np.isnat(end)
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    column = np.full(n, None, dtype=object)

    def flag(mask: np.ndarray, code: str, col: str, text: np.ndarray | str) -> None:
        mask = mask & (reason == "")
        reason[mask] = code
        column[mask] = col
        detail[mask] = text if isinstance(text, str) else text[mask]

    def day(d: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(d.astype("datetime64[D]"), unit="D").astype(object)

    flag(
        open_ & same_next,
        "open_episode_not_last",
        "end_date",
        "no end date, but the child's next episode starts " + day(next_start),
    )
    flag(
        same_prev & ~np.isnat(prev_end) & (start < prev_end),
        "episode_overlap",
        "start_date",
        "starts " + day(start) + ", before the previous episode ended on " + day(prev_end),
    )
    prev_x1 = np.r_[False, rec[:-1] == "X1"] & same_prev
    flag(
        prev_x1 & (start > prev_end),
        "episode_chain_break",
        "start_date",
        "the previous episode ended "
        + day(prev_end)
        + " with X1, but this one starts "
        + day(start)
        + " (a missing episode or a gap)",
    )
    flag(
        (rec == "X1") & ~same_next,
        "episode_chain_break",
        "reason_ceased",
        "ends with X1 (a new episode begins) but no later episode of the child follows",
    )
    flag(
        ~open_ & (rec == ""),
        "episode_chain_break",
        "reason_ceased",
        "an end date but no reason the episode ceased",
    )
    flag(
        open_ & (rec != ""),
        "episode_chain_break",
        "end_date",
        "a reason ceased but no end date",
    )
    if "rne" in ep:
        rne = ep["rne"].str.upper().fillna("").to_numpy(dtype=object)
        flag(
            _period_starts(child, rec) & same_prev & (rne != "") & (rne != "S"),
            "episode_chain_break",
            "rne",
            "starts a new period of care after the child left care, but RNE is not S",
        )
    period = np.cumsum(_period_starts(child, rec))
    broken_periods = np.unique(period[reason != ""])
    in_broken = np.isin(period, broken_periods)
    first_defect = (
        pd.Series(np.where(reason != "", rows, np.iinfo(np.int64).max))
        .groupby(period)
        .transform("min")
        .to_numpy()
    )
    flag(
        in_broken,
        "broken_period_of_care",
        "child_id",
        np.array([f"in a period of care whose chain breaks at row {r}" for r in first_defect]),
    )
    bad = np.flatnonzero(reason != "")
    if not len(bad):
        return ep, empty_quarantine()
    shown = ep.iloc[bad].copy()
    for name in ("start_date", "end_date"):
        shown[name] = shown[name].dt.strftime("%Y-%m-%d")
    records = shown.to_json(orient="records", lines=True).splitlines()
    quarantine = pd.DataFrame(
        {
            "table": EPISODES_903.name,
            "file": raw.file,
            "row": rows[bad],
            "column": column[bad],
            "reason": reason[bad],
            "message": [
                f"{raw.file}:{r}:{raw.original_names.get(str(c), c)}: {d}"
                for r, c, d in zip(rows[bad], column[bad], detail[bad], strict=True)
            ],
            "value": [
                None if ep[c].iloc[i] is pd.NA or pd.isna(ep[c].iloc[i]) else str(ep[c].iloc[i])
                for c, i in zip(column[bad], bad, strict=True)
            ],
            "other_reasons": "",
            "record": records,
        }
    )[list(QUARANTINE_COLUMNS)]
    keep = reason == ""
    return ep.loc[keep].reset_index(drop=True), quarantine


def _child_events(ep: pd.DataFrame) -> pd.DataFrame:
    rec = ep["reason_ceased"].str.upper()
    ended = ep["end_date"].notna() & rec.notna() & (rec != "X1")
    typed = rec.map(EVENT_OF_REC).fillna("left_care")
    exits = pd.DataFrame(
        {"child_id": ep["child_id"], "event_date": ep["end_date"], "event_type": typed}
    ).loc[ended.to_numpy()]
    starts = ep["rne"].str.upper() == "S" if "rne" in ep else pd.Series(False, index=ep.index)
    entries = pd.DataFrame(
        {"child_id": ep["child_id"], "event_date": ep["start_date"], "event_type": "entered_care"}
    ).loc[starts.fillna(False).to_numpy(dtype=bool)]
    events = pd.concat([entries, exits], ignore_index=True)
    events = events.sort_values(["child_id", "event_date", "event_type"], kind="stable")
    events = events.drop_duplicates(CHILD_EVENTS.names).reset_index(drop=True)
    for name in ("child_id", "event_type"):
        events[name] = events[name].astype(STRING_DTYPE)
    return events[CHILD_EVENTS.names]


def _proceedings(
    ep: pd.DataFrame, header: pd.DataFrame, la_code: str, dfj_area: str
) -> pd.DataFrame:
    """One proceedings row per run of C1 episodes (see the module docstring)."""
    ep = ep.sort_values(["child_id", "start_date"], kind="stable").reset_index(drop=True)
    child = ep["child_id"].to_numpy(dtype=object)
    ls = ep["legal_status"].str.upper().to_numpy(dtype=object)
    rec = ep["reason_ceased"].str.upper().fillna("").to_numpy(dtype=object)
    # Runs and what follows them stay within one period of care: proceedings after
    # the child left care and came back are separate proceedings.
    new_period = _period_starts(child, rec)
    same_prev = ~new_period
    same_next = np.r_[~new_period[1:], False]
    c1 = ls == "C1"
    prev_c1 = np.r_[False, c1[:-1]] & same_prev
    next_c1 = np.r_[c1[1:], False] & same_next
    first = np.flatnonzero(c1 & ~prev_c1)
    last = np.flatnonzero(c1 & ~next_c1)
    if not len(first):
        return PROCEEDINGS.empty()
    nxt = np.minimum(last + 1, len(ep) - 1)
    has_next = same_next[last]
    next_ls = np.where(has_next, ls[nxt], "")
    start = ep["start_date"].to_numpy()
    end = ep["end_date"].to_numpy()
    last_rec = rec[last]
    order = np.select(
        [
            next_ls == "C2",
            next_ls == "E1",
            np.isin(last_rec, SGO_EXITS),
            np.isin(last_rec, CAO_EXITS),
            (last_rec != "") & (last_rec != "X1"),
            has_next,
        ],
        [
            "care_order",
            "placement_order",
            "special_guardianship_order",
            "child_arrangements_order",
            "other",
            "other",
        ],
        default="",
    )
    disposal = np.where(np.isin(next_ls, ("C2", "E1")), start[nxt], end[last])
    disposal = np.where(order == "", np.datetime64("NaT"), disposal).astype("datetime64[ns]")
    people = header.drop_duplicates("child_id").set_index("child_id")
    ids = pd.Series(child[first], dtype=STRING_DTYPE)
    issue = pd.Series(start[first]).astype("datetime64[ns]")
    out = pd.DataFrame(
        {
            "proceedings_id": (ids + "-" + issue.dt.strftime("%Y%m%d")).astype(STRING_DTYPE),
            "child_id": ids,
            "mother_id": pd.Series(np.nan, index=ids.index, dtype=STRING_DTYPE),
            "la_code": pd.Series(la_code, index=ids.index, dtype=STRING_DTYPE),
            "dfj_area": pd.Series(dfj_area, index=ids.index, dtype=STRING_DTYPE),
            "child_dob": people["child_dob"].reindex(ids.to_numpy()).to_numpy(),
            "child_sex": people["child_sex"].reindex(ids.to_numpy()).to_numpy(dtype=object),
            "mother_dob": pd.Series(pd.NaT, index=ids.index, dtype="datetime64[ns]"),
            "issue_date": issue,
            "disposal_date": disposal,
            "final_order": pd.Series(order, dtype=object).replace("", None),
        }
    )
    for name in ("child_sex", "final_order"):
        out[name] = out[name].astype(STRING_DTYPE)
    out["child_dob"] = out["child_dob"].astype("datetime64[ns]")
    return out[PROCEEDINGS.names]
