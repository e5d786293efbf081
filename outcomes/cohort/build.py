"""Turning proceedings into an analysis cohort: index rows, time zero, events, flow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.cohort._dates import DAYS_PER_YEAR, add_years, age_years
from outcomes.cohort.definitions import (
    CHILD_EVENT_CODES,
    MOTHER_EVENT_CODES,
    AgeOutAs,
    CohortDefinition,
    Index,
    Outcome,
)
from outcomes.cohort.exposures import Exposure, ShortDuration
from outcomes.cohort.flow import Flow
from outcomes.errors import OutcomesError
from outcomes.schema import Dataset, require_dataset

TERMINAL_EVENTS = ("adopted", "died")
"""Child events that end the risk of return (competing events)."""


@dataclass
class Cohort:
    """An analysis cohort.

    Attributes
    ----------
    data : DataFrame
        One row per index disposal (child) or per mother: ``time`` (years from the
        index disposal: days / 365.25, the unit of every horizon and time argument in
        the toolkit), ``event`` (0 censored, 1 outcome, 2.. competing; see
        ``definition.event_codes``), ``event_type``, ``censor_reason``,
        ``duration_weeks``, the exposure columns, ``final_order``, covariates
        (``child_age_at_issue``, ``mother_age_at_issue``, ``sibling_group_size``,
        ``issue_year``, ``prior_proceedings_child``, ``prior_proceedings_mother`` and
        the manifest's covariates), ``la_code``, ``dfj_area`` and the ids.
        ``followup_years`` and ``followup_end`` give the end of follow-up ignoring the
        outcome (what :meth:`recurrent` uses).
    flow : DataFrame
        Where every input row went; ``flow.attrs["rows_input"]`` is the number of
        proceedings rows read and the steps add up to it.
    definition : CohortDefinition
        The definitions used.
    covariates : list of str
        The covariate columns of ``data``.
    """

    data: pd.DataFrame
    flow: pd.DataFrame
    definition: CohortDefinition
    covariates: list[str]
    later_issues: pd.DataFrame

    @property
    def cluster_col(self) -> str:
        """Column to cluster standard errors on (children repeat with ``index='all'``,
        and children in one local authority share its practice)."""
        return self.definition.cluster_col

    def recurrent(self) -> pd.DataFrame:
        """Counting-process long form for repeated proceedings.

        One row per at-risk interval ``(start, stop]`` in years from the index
        disposal: ``event`` is 1 when the interval ends with a new application and 0
        when it ends with the end of follow-up; ``episode`` counts the intervals
        (1, 2, ...) for stratified (PWP) models; ``terminal`` is 1 when follow-up ends
        with a competing event (for Ghosh-Lin mean cumulative functions). The unit
        stays at risk while later proceedings run (total time, Andersen-Gill).
        Covariates and ids of the index row are repeated on each interval.

        Returns
        -------
        DataFrame
        """
        unit = "child_id" if self.definition.outcome == "child_return" else "mother_id"
        starts = self.data[["row_id", "followup_years", "followup_end"]]
        issues = self.later_issues.merge(starts, on="row_id")
        issues = issues.loc[issues["years"] <= issues["followup_years"]]
        issues = issues.drop_duplicates(["row_id", "years"]).sort_values(["row_id", "years"])
        stops = pd.concat(
            [
                issues[["row_id", "years"]].assign(event=1, terminal=0),
                starts.rename(columns={"followup_years": "years"}).assign(
                    event=0,
                    terminal=lambda d: d["followup_end"].isin(TERMINAL_EVENTS).astype(int),
                )[["row_id", "years", "event", "terminal"]],
            ]
        ).sort_values(["row_id", "years", "event"], ascending=[True, True, False])
        # An application on the last day of follow-up closes it: no empty interval after.
        stops = stops.loc[~((stops["event"] == 0) & stops.duplicated(["row_id", "years"]))]
        stops = stops.reset_index(drop=True)
        stops["start"] = stops.groupby("row_id")["years"].shift(fill_value=0)
        stops["episode"] = stops.groupby("row_id").cumcount() + 1
        stops = stops.loc[stops["years"] > stops["start"]].rename(columns={"years": "stop"})
        keep = [
            "row_id",
            unit,
            "la_code",
            "dfj_area",
            *self._exposure_columns(),
            "duration_weeks",
            "final_order",
            *self.covariates,
        ]
        keep = list(dict.fromkeys(c for c in keep if c in self.data.columns))
        out = stops.merge(self.data[keep], on="row_id", how="left")
        return out[[*keep[:2], "start", "stop", "event", "episode", "terminal", *keep[2:]]]

    def _exposure_columns(self) -> list[str]:
        return [
            c
            for c in ("short_duration", "faster_than_expected", "duration_residual")
            if c in self.data.columns
        ]

    def __repr__(self) -> str:
        events = self.data["event_type"].value_counts()
        counts = ", ".join(f"{k} {v:,}" for k, v in events.items())
        lines = [
            f"Cohort: {len(self.data):,} rows ({counts})",
            *("  " + line for line in self.definition.lines()),
            f"  flow: {self.flow.attrs['rows_input']:,} proceedings rows read -> "
            f"{len(self.data):,} cohort rows in {len(self.flow)} steps",
        ]
        return "\n".join(lines)


def build_cohort(
    dataset: Dataset,
    outcome: Outcome = "child_return",
    exposure: Exposure | None = None,
    index: Index = "first",
    window: tuple[object, object] | None = None,
    end_of_risk_age: int = 17,
    age_out_as: AgeOutAs = "competing",
) -> Cohort:
    """Build the analysis cohort for one outcome.

    Parameters
    ----------
    dataset : Dataset
        Validated data (e.g. from :func:`outcomes.io.read_dataset`).
    outcome : {"child_return", "mother_recurrence"}
        ``child_return``: the next s31 application for the same child after the
        index disposal. ``mother_recurrence``: the next application for the same
        mother, any child, after her first proceedings end; her applications issued
        before that disposal (often for a newborn) join the index episode.
    exposure : Exposure, default ShortDuration(26)
        Adds the exposure columns (see :mod:`outcomes.cohort.exposures`).
    index : {"first", "all"}
        ``first``: each child's (mother's) first disposal. ``all``: every disposal of a
        child is an index row (``child_return`` only); cluster on ``child_id`` then.
    window : (start, end), optional
        Keep index disposals on or between these dates (either may be None).
    end_of_risk_age : int, default 17
        No care order can be made for a child of 17 or more: the child ages out of
        risk on that birthday.
    age_out_as : {"competing", "censor"}
        Treat ageing out as a competing event (default) or as censoring.

    Returns
    -------
    Cohort

    Notes
    -----
    Time zero is the index disposal date, when duration and order are known, so the
    exposure cannot be affected by the follow-up (no immortal time). Follow-up ends at
    the first of: the outcome; adoption, death or ageing out (competing); moving abroad
    or the extract date (censoring). On the same day, the outcome takes precedence,
    then adoption, death, ageing out, moving abroad.
    """
    require_dataset(dataset, "build_cohort")
    if outcome not in ("child_return", "mother_recurrence"):
        raise OutcomesError(f"unknown outcome {outcome!r}")
    if index not in ("first", "all"):
        raise OutcomesError(f"index must be 'first' or 'all', not {index!r}")
    if age_out_as not in ("competing", "censor"):
        raise OutcomesError(f"age_out_as must be 'competing' or 'censor', not {age_out_as!r}")
    if outcome == "mother_recurrence" and index == "all":
        raise OutcomesError(
            "index='all' applies to child_return; for a mother's repeated proceedings "
            "use Cohort.recurrent() on the mother_recurrence cohort"
        )
    exposure = exposure if exposure is not None else ShortDuration()
    if not isinstance(exposure, Exposure):
        raise OutcomesError(
            f"exposure must be an Exposure such as ShortDuration(26), not {exposure!r}"
        )
    start, end = (None, None) if window is None else window
    try:
        bounds = (
            None if start is None else pd.Timestamp(start),  # type: ignore[arg-type]
            None if end is None else pd.Timestamp(end),  # type: ignore[arg-type]
        )
    except (TypeError, ValueError) as exc:
        raise OutcomesError(f"window must be two dates (or None), not {window!r}") from exc
    extract = dataset.manifest.extract_date
    n_quarantined = int((dataset.quarantine["table"] == "proceedings").sum())
    n_read = dataset.rows_read.get("proceedings", len(dataset.proceedings) + n_quarantined)
    flow = Flow("rows", n_read, "proceedings rows read")
    flow.exclude(n_quarantined, "quarantined on reading (see Dataset.quarantine)")
    proceedings = dataset.proceedings
    # A dataset read from files has had these rows quarantined; one built in memory
    # (e.g. a synthetic world with faults) may still hold them, and a date after the
    # extract would give negative follow-up.
    late = (proceedings["issue_date"] > extract) | (proceedings["disposal_date"] > extract)
    flow.exclude(int(late.sum()), "dated after the extract date (not validated): a date error")
    rows, covariates = _enrich(proceedings.loc[~late], dataset.manifest.covariates)
    closed = rows["disposal_date"].notna()
    exposure_cols = exposure.columns(rows.loc[closed])
    rows = rows.join(exposure_cols)
    codes = CHILD_EVENT_CODES if outcome == "child_return" else MOTHER_EVENT_CODES
    definition = CohortDefinition(
        outcome=outcome,
        exposure=exposure.describe(),
        index=index,
        window=bounds,
        end_of_risk_age=end_of_risk_age,
        age_out_as=age_out_as,
        extract_date=extract,
        event_codes=codes,
        cluster_col="child_id" if index == "all" else "la_code",
    )
    if outcome == "child_return":
        data, later = _child_cohort(rows, dataset, flow, definition)
    else:
        data, later = _mother_cohort(rows, flow, definition)
    return Cohort(
        data=data.reset_index(drop=True),
        flow=flow.table(),
        definition=definition,
        covariates=covariates,
        later_issues=later,
    )


def _enrich(proceedings: pd.DataFrame, extra: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Add duration, ages, sibling group size, issue year and prior proceedings."""
    rows = proceedings.reset_index(drop=True).copy()
    rows["row_id"] = np.arange(len(rows))
    rows["duration_weeks"] = (rows["disposal_date"] - rows["issue_date"]).dt.days / 7
    rows["issue_year"] = rows["issue_date"].dt.year
    rows["child_age_at_issue"] = age_years(rows["child_dob"], rows["issue_date"])
    rows["mother_age_at_issue"] = age_years(rows["mother_dob"], rows["issue_date"])
    rows["sibling_group_size"] = rows.groupby("proceedings_id")["child_id"].transform("size")
    rows["prior_proceedings_child"] = (
        rows.groupby("child_id")["issue_date"].rank(method="min").astype(int) - 1
    )
    sets = (
        rows.dropna(subset=["mother_id"])
        .groupby(["mother_id", "proceedings_id"], as_index=False)["issue_date"]
        .min()
    )
    sets["prior_proceedings_mother"] = (
        sets.groupby("mother_id")["issue_date"].rank(method="min").astype(int) - 1
    )
    rows = rows.merge(
        sets[["mother_id", "proceedings_id", "prior_proceedings_mother"]],
        on=["mother_id", "proceedings_id"],
        how="left",
    )
    covariates = [
        "child_age_at_issue",
        "mother_age_at_issue",
        "sibling_group_size",
        "issue_year",
        "prior_proceedings_child",
        "prior_proceedings_mother",
        *[c for c in extra if c in rows.columns],
    ]
    return rows, list(dict.fromkeys(covariates))


def _first_after(
    left: pd.DataFrame, right: pd.DataFrame, by: str, on_left: str, on_right: str, strict: bool
) -> pd.Series:
    """For each left row, the first ``right[on_right]`` after ``left[on_left]`` within
    the same ``by`` (strictly after when ``strict``); NaT when none."""
    if right.empty or left.empty:
        return pd.Series(pd.NaT, index=left.index, dtype="datetime64[ns]")
    lhs = left[[by, on_left]].assign(_pos=np.arange(len(left))).sort_values(on_left)
    rhs = right[[by, on_right]].rename(columns={on_right: "_found"}).sort_values("_found")
    rhs = rhs.dropna()
    rhs[by] = rhs[by].astype(lhs[by].dtype)
    found = pd.merge_asof(
        lhs,
        rhs,
        left_on=on_left,
        right_on="_found",
        by=by,
        direction="forward",
        allow_exact_matches=not strict,
    ).sort_values("_pos")
    return pd.Series(found["_found"].to_numpy(), index=left.index, dtype="datetime64[ns]")


def _child_cohort(
    rows: pd.DataFrame, dataset: Dataset, flow: Flow, definition: CohortDefinition
) -> tuple[pd.DataFrame, pd.DataFrame]:
    closed = rows.loc[rows["disposal_date"].notna()]
    flow.exclude(len(rows) - len(closed), "still open at the extract date (no disposal)")
    index_rows = closed
    if definition.index == "first":
        ordered = closed.sort_values(["child_id", "disposal_date", "issue_date", "row_id"])
        first = ~ordered["child_id"].duplicated()
        index_rows = ordered.loc[first]
        flow.exclude(
            int((~first).sum()),
            "not the child's first disposal (index='first'): later proceedings are "
            "outcomes, not index rows",
        )
    index_rows = _within_window(index_rows, definition, flow, "disposed outside the window")

    age_out_day = add_years(index_rows["child_dob"], int(definition.end_of_risk_age))
    too_old = index_rows["disposal_date"] >= age_out_day
    flow.exclude(
        int(too_old.sum()),
        f"aged {definition.end_of_risk_age:g} or over at disposal: no longer at risk",
    )
    index_rows = index_rows.loc[~too_old]

    events = dataset.child_events
    if events is None:
        events = pd.DataFrame(
            {
                "child_id": pd.Series(dtype=rows["child_id"].dtype),
                "event_date": pd.Series(dtype="datetime64[ns]"),
                "event_type": pd.Series(dtype=object),
            }
        )
    ends = {}
    ended_before = pd.Series(False, index=index_rows.index)
    for kind in ("adopted", "died", "moved_abroad"):
        of_kind = events.loc[events["event_type"] == kind]
        ends[kind] = _first_after(
            index_rows, of_kind, "child_id", "disposal_date", "event_date", strict=False
        )
        earliest = of_kind.groupby("child_id")["event_date"].min()
        before = index_rows["child_id"].map(earliest) < index_rows["disposal_date"]
        ended_before |= before.fillna(False).astype(bool)
    flow.exclude(
        int(ended_before.sum()),
        "adopted, died or moved abroad before the disposal date: not at risk",
    )
    keep = ~ended_before
    index_rows = index_rows.loc[keep]
    ends = {k: v.loc[keep] for k, v in ends.items()}
    ends["aged_out"] = age_out_day.loc[index_rows.index]

    returns = _first_after(
        index_rows, rows, "child_id", "disposal_date", "issue_date", strict=True
    )
    data = _assign_events(index_rows, returns, ends, definition)
    later = _later_issues(data, rows, "child_id")
    return data, later


def _within_window(
    frame: pd.DataFrame,
    definition: CohortDefinition,
    flow: Flow,
    reason: str,
    weight: pd.Series | None = None,
) -> pd.DataFrame:
    start, end = definition.window
    inside = pd.Series(True, index=frame.index)
    if start is not None:
        inside &= frame["disposal_date"] >= start
    if end is not None:
        inside &= frame["disposal_date"] <= end
    n_out = int((~inside).sum()) if weight is None else int(weight.loc[~inside].sum())
    flow.exclude(n_out, reason)
    return frame.loc[inside]


def _assign_events(
    index_rows: pd.DataFrame,
    outcome_date: pd.Series,
    ends: dict[str, pd.Series],
    definition: CohortDefinition,
) -> pd.DataFrame:
    """Pick the first of outcome, competing events and censoring for each row."""
    extract = pd.Series(definition.extract_date, index=index_rows.index)
    competing = [k for k in ("adopted", "died", "aged_out") if k in ends]
    if definition.age_out_as == "censor" and "aged_out" in competing:
        competing.remove("aged_out")
    censoring = [k for k in ("aged_out", "moved_abroad") if k in ends and k not in competing]
    # Order sets precedence on a tie: outcome, competing events, censoring, extract.
    names = [definition.outcome, *competing, *censoring, "extract"]
    dates = pd.concat(
        [outcome_date, *(ends[k] for k in competing + censoring), extract], axis=1, keys=names
    )
    values = dates.to_numpy(dtype="datetime64[ns]")
    filled = np.where(np.isnat(values), np.datetime64("2262-01-01"), values)
    first = filled.argmin(axis=1)
    when = filled[np.arange(len(filled)), first]
    label = np.array(names, dtype=object)[first]
    codes = definition.event_codes
    event = np.array([codes.get(x, 0) for x in label]) if len(label) else np.zeros(0, int)
    is_event = np.isin(label, [definition.outcome, *competing])
    data = index_rows.copy()
    data["time"] = (
        (when - data["disposal_date"].to_numpy(dtype="datetime64[ns]"))
        / np.timedelta64(1, "D")
        / DAYS_PER_YEAR
    )
    data["event"] = np.where(is_event, event, 0)
    data["event_type"] = np.where(is_event, label, "censored")
    data["censor_reason"] = pd.Series(label, index=data.index).where(~is_event)
    # Follow-up without the outcome: what recurrent-event analyses need.
    without = filled[:, 1:]
    first_end = without.argmin(axis=1)
    end_when = without[np.arange(len(without)), first_end]
    data["followup_years"] = (
        (end_when - data["disposal_date"].to_numpy(dtype="datetime64[ns]"))
        / np.timedelta64(1, "D")
        / DAYS_PER_YEAR
    )
    data["followup_end"] = np.array(names[1:], dtype=object)[first_end]
    return data


def _later_issues(data: pd.DataFrame, rows: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Issue dates of the unit's applications after its index disposal, in years."""
    pairs = data[["row_id", unit, "disposal_date"]].merge(
        rows[[unit, "issue_date", "proceedings_id"]].dropna(subset=[unit]), on=unit
    )
    pairs = pairs.loc[pairs["issue_date"] > pairs["disposal_date"]]
    pairs = pairs.drop_duplicates(["row_id", "proceedings_id"])
    years = (pairs["issue_date"] - pairs["disposal_date"]).dt.days / DAYS_PER_YEAR
    return pd.DataFrame({"row_id": pairs["row_id"].to_numpy(), "years": years.to_numpy()})


def _mother_cohort(
    rows: pd.DataFrame, flow: Flow, definition: CohortDefinition
) -> tuple[pd.DataFrame, pd.DataFrame]:
    with_mother = rows.loc[rows["mother_id"].notna()]
    flow.exclude(len(rows) - len(with_mother), "no mother_id: cannot be linked to a mother")
    # The mother's first proceedings: earliest issue (then lowest proceedings_id).
    sets = with_mother.sort_values(["mother_id", "issue_date", "proceedings_id"])
    first_set = sets.groupby("mother_id")["proceedings_id"].first()
    in_index = with_mother["proceedings_id"].eq(with_mother["mother_id"].map(first_set))
    index_rows = with_mother.loc[in_index]
    still_open = index_rows["disposal_date"].isna().groupby(index_rows["mother_id"]).any()
    disposal = index_rows.groupby("mother_id")["disposal_date"].max()
    mother_disposal = with_mother["mother_id"].map(disposal)
    open_mother = with_mother["mother_id"].map(still_open).astype(bool)
    flow.exclude(int(open_mother.sum()), "the mother's first proceedings are still open")
    live = with_mother.loc[~open_mother]
    mother_disposal = mother_disposal.loc[live.index]

    # Window on the index disposal, counted in rows of the mothers concerned.
    per_mother = live.assign(disposal_date_index=mother_disposal)
    start, end = definition.window
    inside = pd.Series(True, index=live.index)
    if start is not None:
        inside &= mother_disposal >= start
    if end is not None:
        inside &= mother_disposal <= end
    flow.exclude(int((~inside).sum()), "the mother's first proceedings ended outside the window")
    per_mother = per_mother.loc[inside]

    in_index = per_mother["proceedings_id"].eq(per_mother["mother_id"].map(first_set))
    joined = ~in_index & (per_mother["issue_date"] <= per_mother["disposal_date_index"])
    flow.exclude(
        int(joined.sum()),
        "issued before the mother's first proceedings ended: joined the index episode",
    )
    later_rows = ~in_index & ~joined
    flow.exclude(
        int(later_rows.sum()),
        "later proceedings of the same mother: outcomes, not index rows",
    )
    index_part = per_mother.loc[in_index]
    # One row per mother: the child whose disposal closed the index proceedings.
    last = (
        index_part.sort_values(["mother_id", "disposal_date", "row_id"])
        .groupby("mother_id")
        .tail(1)
    )
    flow.exclude(
        len(index_part) - len(last), "siblings in the index proceedings: one row per mother"
    )
    last = last.copy()
    last["disposal_date"] = last["disposal_date_index"]
    last["sibling_group_size"] = last["mother_id"].map(index_part.groupby("mother_id").size())
    last["children_joined_index"] = (
        last["mother_id"]
        .map(per_mother.loc[joined].groupby("mother_id").size())
        .fillna(0)
        .astype(int)
    )
    last = last.drop(columns=["disposal_date_index"])
    recurrence = _first_after(
        last,
        rows.dropna(subset=["mother_id"]),
        "mother_id",
        "disposal_date",
        "issue_date",
        strict=True,
    )
    data = _assign_events(last, recurrence, {}, definition)
    later = _later_issues(data, rows, "mother_id")
    return data, later
