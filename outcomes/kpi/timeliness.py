"""Timeliness of care proceedings as the published statistics measure it.

Two bases:

* **disposal** (the published one): every child-proceedings row disposed in a period
  counts once in that period, with its duration in weeks,
  ``(disposal_date - issue_date).days / 7``; the average, the median and the share
  disposed within the threshold (26 weeks, the statutory limit) are taken over the
  disposals of the period.
* **issue**: the cohort issued in a period is followed up to the extract date; cases
  still open are censored there, and the Kaplan-Meier estimate gives the median
  duration and the share disposed within the threshold. Unlike disposal-based
  figures, these do not move when a backlog of long cases is cleared (or builds up),
  because every case is counted in the period it started, whatever its length.

The definitions and their sources are in ``docs/kpi.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from outcomes.disclosure import DEFAULT_THRESHOLD, suppression_mask
from outcomes.errors import FollowUpWarning
from outcomes.kpi._data import (
    DAYS_PER_WEEK,
    KPIError,
    Period,
    Unit,
    check_choice,
    period_label,
    proceedings_of,
    spells,
)
from outcomes.schema import Dataset
from outcomes.survival import cumulative_incidence

__all__ = ["timeliness", "km_by_cell"]

Basis = Literal["disposal", "issue"]


def timeliness(
    data: Dataset | pd.DataFrame,
    by: Sequence[str] = ("la_code",),
    period: Period = "quarter",
    basis: Basis = "disposal",
    threshold_weeks: float = 26,
    unit: Unit = "child",
    *,
    extract_date: str | pd.Timestamp | None = None,
    suppression: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Average and median weeks to disposal and the share within the threshold.

    Parameters
    ----------
    data : Dataset or DataFrame
        A dataset (its manifest gives the extract date) or a proceedings table with
        ``issue_date``, ``disposal_date`` (empty while open), the ``by`` columns and,
        for ``unit="application"``, ``proceedings_id``.
    by : sequence of str, default ("la_code",)
        Grouping columns (e.g. ``("dfj_area",)``, or ``()`` for national figures).
    period : {"quarter", "year"}
        Calendar quarter (``"2023Q4"``) or year (``"2023"``) of disposal (basis
        ``"disposal"``) or of issue (basis ``"issue"``).
    basis : {"disposal", "issue"}
        Disposals in the period (the published measure), or the cohort issued in the
        period followed to the extract date (Kaplan-Meier; see the module docstring).
    threshold_weeks : float, default 26
        A case is within the threshold when its duration is at most this many weeks.
        Names the share column: ``pct_within_26_weeks``.
    unit : {"child", "application"}
        Count each child-proceedings row (as the published statistics count
        children), or each application (siblings together; disposed when its last
        child is disposed).
    extract_date : date, optional
        Overrides the manifest's; required for ``basis="issue"`` with a DataFrame.
    suppression : bool, default True
        Withhold figures that would disclose counts under ``threshold``
        (:func:`outcomes.disclosure.suppression_mask` with the count within the
        threshold nested in the disposals, protecting national totals per period and
        each group's total over periods).
    threshold : int, default 10

    Returns
    -------
    DataFrame
        One row per period and group: ``period``, the ``by`` columns, ``disposals``,
        ``mean_weeks``, ``median_weeks``, ``pct_within_<threshold>_weeks`` (0-100),
        ``suppressed`` (True where a figure of the row is withheld; withheld values
        are ``<NA>``). With ``basis="issue"`` also ``issued`` (the cohort size);
        ``disposals`` then counts the cohort's disposals by the extract date,
        ``median_weeks`` and the share are Kaplan-Meier estimates (``<NA>`` where the
        cohort's follow-up does not reach them) and ``mean_weeks`` is given only for
        cohorts with every case disposed (otherwise it would be biased downwards).
        ``attrs`` holds ``excluded`` (rows that cannot be timed, by reason), the
        arguments and ``threshold``.

    Notes
    -----
    With :math:`w_i = (\\text{disposal}_i - \\text{issue}_i)/7` for the :math:`n` cases
    of a cell, the disposal basis gives :math:`\\bar w`, the sample median and
    :math:`100\\,\\#\\{w_i \\le 26\\}/n`. The issue basis gives
    :math:`100\\,\\{1 - \\hat S(26)\\}` and :math:`\\min\\{t: \\hat S(t) \\le 0.5\\}`,
    where :math:`\\hat S` is the Kaplan-Meier estimate of remaining open, computed by
    :func:`outcomes.survival.cumulative_incidence` with disposal as the only event.

    References
    ----------
    Ministry of Justice. *Family Court Statistics Quarterly: guide to family court
    statistics* (timeliness of care and supervision proceedings; children counted in
    each set of proceedings).

    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *J. Am. Statist. Assoc.* 53, 457-481.

    Examples
    --------
    >>> import pandas as pd
    >>> from outcomes.kpi import timeliness
    >>> df = pd.DataFrame({
    ...     "la_code": ["E1"] * 12,
    ...     "issue_date": pd.to_datetime(["2023-01-02"] * 12),
    ...     "disposal_date": pd.to_datetime(["2023-06-26"] * 6 + ["2023-09-04"] * 6),
    ... })
    >>> timeliness(df, suppression=False)[["period", "disposals", "mean_weeks"]]
       period  disposals  mean_weeks
    0  2023Q2          6        25.0
    1  2023Q3          6        35.0
    """
    check_choice("basis", basis, ("disposal", "issue"))
    check_choice("period", period, ("quarter", "year"))
    by = [by] if isinstance(by, str) else list(by)  # by="la_code" means one column
    if not np.isfinite(threshold_weeks) or threshold_weeks <= 0:
        raise KPIError(f"threshold_weeks must be a positive number, not {threshold_weeks!r}")
    table, extract = proceedings_of(data, extract_date)
    if basis == "issue" and extract is None:
        raise KPIError("basis='issue' needs the extract date (pass extract_date=)")
    rows, excluded = spells(table, by, unit, extract)
    pct = pct_column(threshold_weeks)
    if basis == "disposal":
        out = _by_disposal(rows, by, period, threshold_weeks, pct)
        nested = {"_within": "disposals"}
        counts = ["disposals", "_within"]
    else:
        assert extract is not None
        out = _by_issue(rows, by, period, threshold_weeks, pct, extract)
        nested = {"_within": "issued", "disposals": "issued"}
        counts = ["issued", "disposals", "_within"]
    out = out.sort_values(["period", *by], kind="stable").reset_index(drop=True)
    out = _withhold(out, counts, nested, by, pct, threshold, suppression)
    out.attrs.update(
        excluded=excluded,
        basis=basis,
        unit=unit,
        period=period,
        threshold_weeks=threshold_weeks,
        threshold=threshold if suppression else None,
    )
    return out


def pct_column(threshold_weeks: float) -> str:
    """``pct_within_26_weeks`` for 26 (``26.5`` gives ``pct_within_26.5_weeks``)."""
    return f"pct_within_{threshold_weeks:g}_weeks"


def _by_disposal(
    rows: pd.DataFrame, by: list[str], period: Period, threshold: float, pct: str
) -> pd.DataFrame:
    done = rows.loc[rows["disposal_date"].notna()].copy()
    done["period"] = period_label(done["disposal_date"], period)
    done["_in"] = done["weeks"] <= threshold
    g = done.groupby(["period", *by], sort=True, observed=True)
    out = g["weeks"].agg(disposals="size", mean_weeks="mean", median_weeks="median")
    out["_within"] = g["_in"].sum()
    out[pct] = 100.0 * out["_within"] / out["disposals"]
    return out.reset_index()


def km_by_cell(
    time: np.ndarray, event: np.ndarray, cell: np.ndarray, horizons: Sequence[float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier curves of ``time`` by integer ``cell`` (0..k-1), one call for all cells.

    Returns the event-time table of every cell (``group``, ``time``, ``estimate`` =
    1 - S, ``std_error``, ``at_risk``) and the estimates at ``horizons`` (NaN beyond a
    cell's follow-up).
    """
    frame = pd.DataFrame({"t": time, "e": event.astype(np.int64), "cell": cell})
    res = cumulative_incidence(frame, "t", "e", event_of_interest=1, by="cell", variance="delta")
    with warnings.catch_warnings():
        # a cohort not yet followed to a horizon has no estimate there (NaN, published
        # as not available): that is the answer, not a slip of units
        warnings.simplefilter("ignore", FollowUpWarning)
        at = res.at(list(horizons))
    return res.table, at


def _by_issue(
    rows: pd.DataFrame,
    by: list[str],
    period: Period,
    threshold: float,
    pct: str,
    extract: pd.Timestamp,
) -> pd.DataFrame:
    rows = rows.copy()
    rows["period"] = period_label(rows["issue_date"], period)
    disposed = rows["disposal_date"].notna().to_numpy()
    open_weeks = (extract - rows["issue_date"]).dt.days / DAYS_PER_WEEK
    time = np.where(disposed, rows["weeks"], open_weeks).astype(np.float64)
    rows["_in"] = disposed & (time <= threshold)
    g = rows.groupby(["period", *by], sort=True, observed=True)
    out = g.size().rename("issued").to_frame()
    out["disposals"] = g["disposal_date"].count()
    out["_within"] = g["_in"].sum()
    complete = out["disposals"] == out["issued"]
    out["mean_weeks"] = g["weeks"].mean().where(complete)
    out = out.reset_index()
    cell = g.ngroup().to_numpy()
    curves, at = km_by_cell(time, disposed, cell, [threshold])
    out[pct] = 100.0 * at.set_index("group")["estimate"].reindex(out.index).to_numpy()
    out["median_weeks"] = _km_median(curves, len(out))
    return out[
        ["period", *by, "issued", "disposals", "mean_weeks", "median_weeks", pct, "_within"]
    ]


def _km_median(curves: pd.DataFrame, n_cells: int) -> np.ndarray:
    """Smallest event time with S(t) <= 0.5 per cell (NaN where never reached)."""
    reached = curves.loc[curves["estimate"] >= 0.5 - 1e-12]
    first = reached.groupby("group")["time"].min()
    return first.reindex(range(n_cells)).to_numpy(dtype=np.float64)


def _withhold(
    out: pd.DataFrame,
    counts: list[str],
    nested: dict[str, str],
    by: list[str],
    pct: str,
    threshold: int,
    suppression: bool,
) -> pd.DataFrame:
    stats = ["mean_weeks", "median_weeks", pct]
    if suppression and len(out):
        margins = [["period"], by] if by else [[]]
        mask = suppression_mask(out, counts, threshold=threshold, nested=nested, margins=margins)
    else:
        mask = pd.DataFrame(False, index=out.index, columns=counts)
    top = counts[0]  # disposals (or the issue cohort): all the row's figures hang on it
    hide = {c: mask[top].to_numpy() for c in stats}
    hide[pct] = hide[pct] | mask["_within"].to_numpy()
    for col in counts[:-1]:
        out[col] = out[col].astype("Int64").mask(mask[col].to_numpy())
    if "issued" in counts:
        hide["mean_weeks"] = hide["mean_weeks"] | mask["disposals"].to_numpy()
    for col in stats:
        out[col] = out[col].astype("Float64").mask(hide[col])
    any_hidden = pd.Series(mask.to_numpy().any(axis=1), index=out.index)
    out = out.drop(columns="_within")
    out["suppressed"] = any_hidden
    return out
