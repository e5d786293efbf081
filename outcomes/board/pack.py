"""The board pack: one area's timeliness beside what happens to children afterwards.

:func:`board_pack` computes every panel from the toolkit's own statistics -- the KPIs
of :mod:`outcomes.kpi`, the area comparisons of :mod:`outcomes.areas`, the quality
score of :mod:`outcomes.quality` -- and keeps only what may be published: each table
comes suppressed from the function that computed it (:mod:`outcomes.disclosure`), each
curve is thinned by :func:`outcomes.disclosure.publishable_curve`, and the readings and
figures are made from the published tables alone, so they cannot say more than the
tables do.

The comparator is the whole dataset ("national"): for a national dataset it is
England; for one local authority's own extract (or any dataset holding no other area
of the same kind) there is nothing to compare with, and every national figure is "not
available" rather than a copy of the area's own.

Cost: one cohort (returns), one quality report, a handful of grouped KPI tables and
Kaplan-Meier fits, each linear or ``n log n`` in the rows; for 300,000 applications the
quality report and the cohort dominate (see ``benchmarks/bench_board.py``).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from outcomes.board import _text as text
from outcomes.board._text import NOT_APPLICABLE, NOT_AVAILABLE, cell
from outcomes.disclosure import DEFAULT_THRESHOLD, MARKER, publishable_curve
from outcomes.errors import ModelError, OutcomesError
from outcomes.schema import Dataset, require_dataset

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from outcomes.io.output import PathLike
    from outcomes.quality import QualityReport

__all__ = ["BoardError", "BoardPack", "Panel", "board_pack"]

THRESHOLD_WEEKS = 26
TREND_PERIODS = {"quarter": 12, "year": 6}
"""How many periods the trend shows, ending with the reporting period."""
RETURN_WINDOW_YEARS = 5
"""Returns are measured for children whose first proceedings ended in this many years
up to the end of the reporting period: recent practice, with time to follow them."""
CURVE_GRID = tuple(float(w) for w in np.unique(np.r_[np.arange(0, 157, 4), 26.0, 40.0]))
"""Weeks at which issue-cohort curves may be published (every 4 weeks, 26 and 40)."""
COHORT_YEARS = 3
"""Issue cohorts drawn: the reporting year and the years before it."""
COMPARISON = "board_comparison"
"""Column of the two-group partition: the area, or :data:`REST`."""
REST = "rest of the nation"
_PERIOD = re.compile(r"^(\d{4})(?:-?Q([1-4]))?$")


class BoardError(OutcomesError):
    """The board pack cannot be made as asked (area, period or data)."""


@dataclass
class Panel:
    """One panel of the board pack.

    Attributes
    ----------
    key : str
        Short name: the figure's file name and the tables' sheet-name stem.
    title : str
    definition : str
        What the panel measures, in a sentence or two.
    reading : str
        A plain-English reading generated from the published numbers.
    tables : dict of str to DataFrame
        Published tables (withheld cells ``[c]``, not available ``[x]``).
    figure : matplotlib Figure or None
        Drawn from the published tables only; None when nothing can be drawn.
    """

    key: str
    title: str
    definition: str
    reading: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figure: Figure | None = None


@dataclass
class BoardPack:
    """The result of :func:`board_pack`: panels ready to publish.

    Attributes
    ----------
    area : str
        The local authority code or DFJ area reported on.
    level : {"la_code", "dfj_area"}
    period : str
        ``"2023Q4"`` or ``"2023"``.
    national : bool
        Whether the dataset holds other areas to compare with.
    panels : list of Panel
    extract_date : Timestamp
    source : str
    threshold : int
    """

    area: str
    level: str
    period: str
    national: bool
    panels: list[Panel]
    extract_date: pd.Timestamp
    source: str
    threshold: int = DEFAULT_THRESHOLD

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every published table, by sheet name."""
        return {name: t for p in self.panels for name, t in p.tables.items()}

    def panel(self, key: str) -> Panel:
        """The panel called ``key``."""
        for p in self.panels:
            if p.key == key:
                return p
        raise BoardError(f"no panel {key!r}; panels: {[p.key for p in self.panels]}")

    def to_html(self) -> str:
        """The board page: one self-contained HTML document (see :mod:`outcomes.board.html`)."""
        from outcomes.board.html import render

        return render(self)

    def write(self, path: PathLike, *, overwrite: bool = False) -> Path:
        """Write ``board.html``, ``tables.xlsx`` and ``figures/*.png`` into the folder.

        The folder is written all at once (:class:`outcomes.io.output.OutputFolder`): a
        failure leaves it as it was, and a non-empty folder that care-outcomes did not
        write is refused unless ``overwrite``.

        Returns
        -------
        Path
            The folder.
        """
        from outcomes.board.html import write_pack

        return write_pack(self, Path(path), overwrite=overwrite)

    def __repr__(self) -> str:
        where = "with national comparisons" if self.national else "no national comparison"
        return (
            f"BoardPack({self.area}, {self.period}, {len(self.panels)} panels, {where}, "
            f"extract {self.extract_date:%Y-%m-%d})"
        )


def board_pack(
    dataset: Dataset,
    area: str,
    period: str,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    n_jobs: int | None = None,
) -> BoardPack:
    """The board pack of one area for one reporting period.

    Parameters
    ----------
    dataset : Dataset
        A national dataset, or one area's own extract (national comparisons are then
        "not available").
    area : str
        A local authority code (``la_code``) or a DFJ area (``dfj_area``) of the data.
    period : str
        The reporting quarter (``"2023Q4"``) or year (``"2023"``).
    threshold : int, default 10
        The disclosure threshold: counts from 1 to ``threshold - 1`` are withheld.
    n_jobs : int, optional
        Processes to use. ``None`` or 1 builds every panel in this process; 2 or more
        (-1: every core) computes the data-quality report -- a third of the work for a
        national dataset -- in a second process while the other panels are built. A
        second process costs about two seconds to start, so it pays only for large
        datasets; the pack is the same either way.

    Returns
    -------
    BoardPack
        Panels: ``headline``, ``trend``, ``duration_curves``, ``open_cases``,
        ``order_mix``, ``returns``, ``quadrant``, ``data_quality``.

    Raises
    ------
    BoardError
        The area is not in the data (the message lists those that are), the period is
        not a quarter or year, or it lies outside the data.
    """
    require_dataset(dataset, "board_pack")
    level = resolve_area(dataset.proceedings, area)
    ptype, start, end = parse_period(period)
    extract = pd.Timestamp(dataset.manifest.extract_date)
    first_issue = pd.to_datetime(dataset.proceedings["issue_date"], errors="coerce").min()
    if start > extract:
        raise BoardError(f"period {period} starts after the extract date {extract:%Y-%m-%d}")
    if pd.isna(first_issue) or end < first_issue:
        raise BoardError(f"period {period} ends before the first case of the data")
    national = dataset.proceedings[level].nunique() > 1
    with _QualityReport(dataset, n_jobs) as quality:
        ctx = _Context(
            dataset,
            str(area),
            level,
            ptype,
            _label(start, ptype),
            start,
            end,
            extract,
            national,
            quality,
            threshold,
        )
        panels = [build(ctx) for build in _BUILDERS]
    return BoardPack(
        area=str(area),
        level=level,
        period=ctx.period,
        national=national,
        panels=panels,
        extract_date=extract,
        source=dataset.manifest.source,
        threshold=threshold,
    )


class _QualityReport:
    """The dataset's quality report, computed here or in a second process.

    With ``n_jobs`` of 2 or more, :func:`outcomes.quality.check_quality` starts in a
    spawned process (safe whatever threads this one runs, unlike a fork) as soon as the
    pack begins, and :meth:`result` collects it when the data-quality panel needs it.
    Leaving the ``with`` block stops the process whatever happened.
    """

    def __init__(self, dataset: Dataset, n_jobs: int | None) -> None:
        self.dataset = dataset
        jobs = (os.cpu_count() or 1) if n_jobs == -1 else (1 if n_jobs is None else n_jobs)
        if jobs < 1:
            raise BoardError(f"n_jobs must be a positive number of processes or -1, not {n_jobs}")
        self.pool: ProcessPoolExecutor | None = None
        self.future: Future[QualityReport] | None = None
        if jobs > 1:
            from outcomes.quality import check_quality

            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self.future = self.pool.submit(check_quality, dataset)

    def result(self) -> QualityReport:
        """The report (waits for the second process, if one is at work)."""
        if self.future is not None:
            return self.future.result()
        from outcomes.quality import check_quality

        return check_quality(self.dataset)

    def __enter__(self) -> _QualityReport:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def resolve_area(proceedings: pd.DataFrame, area: str) -> str:
    """``"la_code"`` or ``"dfj_area"``: the column ``area`` is a value of.

    Raises
    ------
    BoardError
        Listing the valid values when ``area`` is neither.
    """
    for column in ("la_code", "dfj_area"):
        if column not in proceedings.columns:
            raise BoardError(f"the proceedings table has no {column} column")
    values = {
        c: sorted(map(str, proceedings[c].dropna().unique())) for c in ("la_code", "dfj_area")
    }
    for column in ("la_code", "dfj_area"):
        if str(area) in values[column]:
            return column
    raise BoardError(
        f"area {area!r} is neither a local authority code nor a DFJ area of this dataset. "
        f"Local authorities: {', '.join(values['la_code'])}. "
        f"DFJ areas: {', '.join(values['dfj_area'])}."
    )


def parse_period(period: str) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """``"2023Q4"`` -> ``("quarter", 2023-10-01, 2023-12-31)``; ``"2023"`` -> the year."""
    match = _PERIOD.match(str(period).strip().upper())
    if not match:
        raise BoardError(
            f"period must be a quarter like 2023Q4 or a year like 2023, not {period!r}"
        )
    year, quarter = int(match.group(1)), match.group(2)
    if quarter is None:
        return "year", pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    q = int(quarter)
    start = pd.Timestamp(year, 3 * q - 2, 1)
    return "quarter", start, start + pd.offsets.QuarterEnd(0)


def _label(day: pd.Timestamp, ptype: str) -> str:
    return f"{day.year}Q{day.quarter}" if ptype == "quarter" else f"{day.year}"


@dataclass
class _Context:
    """What every panel needs, with the tables that more than one panel uses."""

    dataset: Dataset
    area: str
    level: str
    ptype: str
    period: str
    start: pd.Timestamp
    end: pd.Timestamp
    extract: pd.Timestamp
    national: bool
    quality: _QualityReport
    threshold: int = DEFAULT_THRESHOLD
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def board(self) -> Dataset:
        """The dataset with :data:`COMPARISON`: the area, or the rest of the nation.

        Tables published beside the national figure are computed by this two-group
        partition, so that their suppression protects the nation as a margin: the
        national figure minus the area's (the rest of the nation) is never a small
        count either.
        """
        if "board" not in self.cache:
            proc = self.dataset.proceedings
            mine = proc[self.level].astype(str) == self.area
            self.cache["board"] = dataclasses.replace(
                self.dataset,
                proceedings=proc.assign(**{COMPARISON: np.where(mine, self.area, REST)}),
            )
        return self.cache["board"]  # type: ignore[return-value]

    def timeliness(self, basis: str, national: bool, *, all_areas: bool = False) -> pd.DataFrame:
        """The published timeliness table: area and rest of the nation (default), the
        nation, or every area (for the quadrant)."""
        from outcomes.kpi import timeliness

        key = f"timeliness-{basis}-{national}-{all_areas}"
        if key not in self.cache:
            data = self.dataset if national or all_areas else self.board
            by = () if national else (self.level,) if all_areas else (COMPARISON,)
            self.cache[key] = timeliness(
                data,
                by=by,
                period=self.ptype,  # type: ignore[arg-type]
                basis=basis,  # type: ignore[arg-type]
                threshold=self.threshold,
            )
        return self.cache[key]  # type: ignore[return-value]

    def returns(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
        """Published return rates: area and rest of the nation, every area (for the
        funnel and the quadrant), and the nation; one windowed cohort, one case-mix
        model per partition."""
        if "returns" not in self.cache:
            from outcomes.cohort import build_cohort
            from outcomes.kpi import return_rates

            stop = min(self.end, self.extract)
            window = (stop - pd.DateOffset(years=RETURN_WINDOW_YEARS) + pd.Timedelta(days=1), stop)
            cohort = build_cohort(self.board, window=window)
            empty = pd.DataFrame(columns=[COMPARISON])
            try:
                pair = return_rates(
                    self.board, by=COMPARISON, cohort=cohort, threshold=self.threshold
                )
                areas = (
                    # the funnel and the quadrant use the 2-year ratio only: one fit
                    return_rates(
                        self.board,
                        by=self.level,
                        horizons=(2,),
                        cohort=cohort,
                        threshold=self.threshold,
                    )
                    if self.national
                    else empty
                )
                nation = (
                    return_rates(self.board, by=None, cohort=cohort, threshold=self.threshold)
                    if self.national
                    else None
                )
            except ModelError:
                pair, areas, nation = empty, pd.DataFrame(columns=[self.level]), None
            pair.attrs["window"] = window
            self.cache["returns"] = (pair, areas, nation)
        return self.cache["returns"]  # type: ignore[return-value]

    def area_row(self, table: pd.DataFrame, **where: object) -> pd.Series | None:
        """The area's row of a published table (None when it has none)."""
        column = COMPARISON if COMPARISON in table.columns else self.level
        keep = table[column].astype(str) == self.area
        for col, val in where.items():
            keep &= table[col] == val
        rows = table.loc[keep]
        return None if rows.empty else rows.iloc[0]


def _row_of(table: pd.DataFrame, **where: object) -> pd.Series | None:
    keep = np.ones(len(table), dtype=bool)
    for col, val in where.items():
        keep &= (table[col] == val).to_numpy()
    rows = table.loc[keep]
    return None if rows.empty else rows.iloc[0]


def _get(row: pd.Series | None, col: str) -> float | None:
    return None if row is None or col not in row.index else text.value(row[col])


def _withheld(row: pd.Series | None, col: str) -> bool:
    """A missing figure of a row that had something withheld counts as withheld."""
    if row is None or col not in row.index:
        return False
    return bool(row.get("suppressed", False)) and text.value(row[col]) is None


def _pair(row: pd.Series | None, col: str, digits: int | None, available: bool = True) -> object:
    if not available:
        return NOT_AVAILABLE
    if row is None:
        return NOT_AVAILABLE
    return cell(row[col], _withheld(row, col), digits)


# --- panels ----------------------------------------------------------------------------


PCT = f"pct_within_{THRESHOLD_WEEKS}_weeks"


def _headline(ctx: _Context) -> Panel:
    from outcomes.board.figures import headline_figure

    disp_a = ctx.area_row(ctx.timeliness("disposal", False), period=ctx.period)
    disp_n = _row_of(ctx.timeliness("disposal", True), period=ctx.period)
    iss_a = ctx.area_row(ctx.timeliness("issue", False), period=ctx.period)
    iss_n = _row_of(ctx.timeliness("issue", True), period=ctx.period)
    measures = [
        ("children's proceedings disposed of", disp_a, disp_n, "disposals", None),
        ("average (mean) weeks to disposal", disp_a, disp_n, "mean_weeks", 1),
        ("median weeks to disposal", disp_a, disp_n, "median_weeks", 1),
        (f"% disposed of within {THRESHOLD_WEEKS} weeks", disp_a, disp_n, PCT, 1),
        ("children's proceedings issued", iss_a, iss_n, "issued", None),
        (f"% of those issued disposed of within {THRESHOLD_WEEKS} weeks", iss_a, iss_n, PCT, 1),
        ("median weeks to disposal of those issued", iss_a, iss_n, "median_weeks", 1),
    ]
    table = pd.DataFrame(
        {
            "measure": [m[0] for m in measures],
            ctx.area: [_pair(m[1], m[3], m[4]) for m in measures],
            "national": [_pair(m[2], m[3], m[4], ctx.national) for m in measures],
        },
        dtype=object,
    )
    nat = ctx.national
    mean = text.compare(
        ctx.area,
        f"average time to disposal in {ctx.period}",
        _get(disp_a, "mean_weeks"),
        _get(disp_n, "mean_weeks") if nat else None,
        " weeks",
        more="longer",
        less="shorter",
    )
    within = text.compare(
        ctx.area,
        f"share disposed of within {THRESHOLD_WEEKS} weeks",
        _get(disp_a, PCT),
        _get(disp_n, PCT) if nat else None,
        "%",
        more="higher",
        less="lower",
    )
    issued = text.compare(
        ctx.area,
        f"share of the children's proceedings issued in {ctx.period} that were disposed of "
        f"within {THRESHOLD_WEEKS} weeks (Kaplan-Meier, open cases followed to the extract date)",
        _get(iss_a, PCT),
        _get(iss_n, PCT) if nat else None,
        "%",
        more="higher",
        less="lower",
    )
    n = _get(disp_a, "disposals")
    opening = (
        f"In {ctx.period}, {ctx.area} disposed of {text.count(n)} children's proceedings."
        if n is not None
        else f"The number of {ctx.area}'s disposals in {ctx.period} is not available."
    )
    return Panel(
        key="headline",
        title=f"Headline figures, {ctx.period}",
        definition=(
            "Disposal basis (as the published family court statistics): every child in "
            "proceedings disposed of in the period, weeks from issue to disposal. Issue "
            "basis: the children's proceedings issued in the period, open ones followed "
            "to the extract date (Kaplan-Meier), which a backlog being cleared or building "
            "up does not move."
        ),
        reading=" ".join([opening, mean, within, issued]),
        tables={"headline": table},
        figure=headline_figure(table, ctx.area),
    )


def _trend(ctx: _Context) -> Panel:
    from outcomes.board.figures import trend_figure

    area_t = ctx.timeliness("disposal", False)
    nat_t = ctx.timeliness("disposal", True)
    periods = sorted(p for p in nat_t["period"].unique() if p <= ctx.period)
    periods = periods[-TREND_PERIODS[ctx.ptype] :]
    rows = []
    for p in periods:
        a = ctx.area_row(area_t, period=p)
        n = _row_of(nat_t, period=p)
        rows.append(
            {
                "period": p,
                f"{ctx.area} disposals": _pair(a, "disposals", None),
                f"{ctx.area} mean weeks": _pair(a, "mean_weeks", 1),
                f"{ctx.area} % within {THRESHOLD_WEEKS} weeks": _pair(a, PCT, 1),
                "national disposals": _pair(n, "disposals", None, ctx.national),
                "national mean weeks": _pair(n, "mean_weeks", 1, ctx.national),
                f"national % within {THRESHOLD_WEEKS} weeks": _pair(n, PCT, 1, ctx.national),
            }
        )
    table = pd.DataFrame(rows)
    mean_col = f"{ctx.area} mean weeks"
    shown = _series(rows, mean_col)
    if len(shown) >= 2:
        (p0, v0), (p1, v1) = shown[0], shown[-1]
        change = round(v1, 1) - round(v0, 1)
        direction = "rose" if change > 0 else "fell" if change < 0 else "was the same,"
        reading = (
            f"{ctx.area}'s average time to disposal {direction} from {text.num(v0)} weeks in "
            f"{p0} to {text.num(v1)} weeks in {p1}"
        )
        nat_col = "national mean weeks"
        nat_shown = _series(rows, nat_col)
        if ctx.national and len(nat_shown) >= 2:
            reading += (
                f"; nationally it went from {text.num(nat_shown[0][1])} weeks ({nat_shown[0][0]}) "
                f"to {text.num(nat_shown[-1][1])} weeks ({nat_shown[-1][0]})."
            )
        else:
            reading += "; the national trend is not available."
    else:
        reading = f"A trend for {ctx.area} is not available: too few periods can be published."
    return Panel(
        key="trend",
        title=f"Trend by {ctx.ptype}",
        definition=(
            f"Average weeks to disposal and the share disposed of within {THRESHOLD_WEEKS} "
            f"weeks, disposal basis, for the {len(periods)} {ctx.ptype}s to {ctx.period}; "
            "withheld periods are gaps."
        ),
        reading=reading,
        tables={"trend": table},
        figure=trend_figure(table, ctx.area, ctx.national, THRESHOLD_WEEKS),
    )


def _series(rows: list[dict[str, object]], column: str) -> list[tuple[str, float]]:
    """(period, value) of the rows where ``column`` is published."""
    out = []
    for r in rows:
        v = text.value(r[column])
        if v is not None:
            out.append((str(r["period"]), v))
    return out


def _duration_curves(ctx: _Context) -> Panel:
    from outcomes.board.figures import curves_figure
    from outcomes.kpi._data import DAYS_PER_WEEK, spells
    from outcomes.survival import cumulative_incidence

    rows, _ = spells(ctx.dataset.proceedings, [ctx.level], "child", ctx.extract)
    years = list(range(ctx.start.year - COHORT_YEARS + 1, ctx.start.year + 1))
    rows = rows.loc[rows["issue_date"].dt.year.isin(years)]
    disposed = rows["disposal_date"].notna().to_numpy()
    open_weeks = ((ctx.extract - rows["issue_date"]).dt.days / DAYS_PER_WEEK).to_numpy()
    weeks = np.where(disposed, rows["weeks"].to_numpy(dtype=float), open_weeks)
    year = rows["issue_date"].dt.year.to_numpy()
    mine = (rows[ctx.level].astype(str) == ctx.area).to_numpy()
    groups = {f"{ctx.area} {y}": mine & (year == y) for y in years}
    if ctx.national:
        groups[f"national {years[-1]}"] = year == years[-1]

    def thinned(keep: np.ndarray) -> pd.DataFrame:
        if keep.sum() < ctx.threshold:
            return pd.DataFrame(columns=["time", "at_risk", "estimate"])
        frame = pd.DataFrame({"t": weeks[keep], "e": disposed[keep].astype(int)})
        res = cumulative_incidence(frame, "t", "e", event_of_interest=1)
        return publishable_curve(res.table, CURVE_GRID, threshold=ctx.threshold)

    # The nation minus the area is the rest of the nation: the national curve is shown
    # only at weeks where the rest's own curve may be, so that differencing the two
    # published curves gives no step of fewer than 10 cases (a subset of a publishable
    # set of points is publishable: merging intervals only adds events).
    rest: list[float] = (
        thinned((year == years[-1]) & ~mine)["time"].tolist() if ctx.national else []
    )
    published = []
    for name, keep in groups.items():
        curve = thinned(keep)
        if name.startswith("national"):
            curve = curve.loc[curve["time"].isin(rest)]
        if len(curve):
            curve.insert(0, "cohort", name)
            published.append(curve)
    columns = ["cohort", "weeks", "pct_disposed", "at_risk"]
    if published:
        table = pd.concat(published, ignore_index=True)
        table = table.rename(columns={"time": "weeks"})
        # a curve kept from its first grid point starts at its known value, 0
        table["pct_disposed"] = (100 * table["estimate"]).round(1).fillna(0.0)
        table["at_risk"] = table["at_risk"].astype(int)
        table = table[columns]
    else:
        table = pd.DataFrame(columns=columns)
    here, there = f"{ctx.area} {years[-1]}", f"national {years[-1]}"
    week = _reading_week(table, here)
    reading = f"No curve of {ctx.area}'s cases issued in {years[-1]} can be published."
    if week is not None:
        at = table.loc[table["weeks"] == week].set_index("cohort")["pct_disposed"]
        reading = text.compare(
            ctx.area,
            f"share of the children's proceedings issued in {years[-1]} disposed of by "
            f"{week:g} weeks",
            text.value(at.get(here)),
            text.value(at.get(there)) if ctx.national else None,
            "%",
            more="higher",
            less="lower",
        )
        earlier = f"{ctx.area} {years[0]}"
        if text.value(at.get(earlier)) is not None:
            reading += f" For those issued in {years[0]} it was {text.num(float(at[earlier]))}%."
    return Panel(
        key="duration_curves",
        title="How long cases take: issue cohorts",
        definition=(
            "Share of the children's proceedings issued in each year that had been "
            "disposed of by each week (Kaplan-Meier; cases still open are followed to the "
            "extract date). Drawn only at points with at least "
            f"{ctx.threshold} disposals since the last point and {ctx.threshold} cases "
            "still open, so no single case's date shows."
        ),
        reading=reading,
        tables={"duration_curves": table},
        figure=curves_figure(table, ctx.area, THRESHOLD_WEEKS) if len(table) else None,
    )


def _reading_week(table: pd.DataFrame, cohort: str) -> float | None:
    """The published week of ``cohort``'s curve nearest to 26 (None if it has none)."""
    weeks = table.loc[(table["cohort"] == cohort) & (table["weeks"] > 0), "weeks"]
    if weeks.empty:
        return None
    return float(weeks.iloc[int(np.argmin(np.abs(weeks.to_numpy() - THRESHOLD_WEEKS)))])


def _open_cases(ctx: _Context) -> Panel:
    from outcomes.board.figures import progression_figure
    from outcomes.disclosure import suppress
    from outcomes.kpi import case_progression

    as_of = min(ctx.end, ctx.extract)
    horizons = (26, 40)
    try:
        prog = case_progression(
            ctx.dataset, as_of, by=ctx.level, horizons=horizons, threshold=ctx.threshold
        )
    except OutcomesError as exc:
        return Panel(
            key="open_cases",
            title="Open cases: how many will pass 26 and 40 weeks?",
            definition="",
            reading=f"Open-case progression is not available: {exc}",
        )
    counts = ["open", "past_26_weeks", "past_40_weeks"]
    nested = {"past_26_weeks": "open", "past_40_weeks": "past_26_weeks"}
    rates = {f"expected_to_pass_{h}": ["open", f"past_{h}_weeks"] for h in horizons}
    cases = prog.cases
    mine = (cases[ctx.level].astype(str) == ctx.area).to_numpy()

    def tally(keep: np.ndarray) -> dict[str, float]:
        weeks = cases["weeks_open"].to_numpy()[keep]
        row: dict[str, float] = {"open": int(keep.sum())}
        for h in horizons:
            row[f"past_{h}_weeks"] = int((weeks >= h).sum())
            row[f"expected_to_pass_{h}"] = float(
                cases[f"p_pass_{h}"].to_numpy()[keep][weeks < h].sum()
            )
        return row

    # the area against the rest of the nation, the nation as their margin: neither
    # the area's counts nor the nation's minus them are small
    pair = suppress(
        pd.DataFrame([tally(mine), tally(~mine)]),
        counts,
        threshold=ctx.threshold,
        nested=nested,
        rate_cols=rates,
        marker=None,
    )
    a = ctx.area_row(prog.areas)
    if a is not None:
        a = a.copy()
        for c in counts:
            a[c] = pair.at[0, c]
        for h in horizons:
            hidden = pd.isna(pair.at[0, f"expected_to_pass_{h}"])
            for c in (f"expected_to_pass_{h}", f"ci_lower_{h}", f"ci_upper_{h}"):
                a[c] = pd.NA if hidden else a[c]
        withheld = pair[counts].isna().to_numpy()[0].any()
        a["suppressed"] = bool(withheld) or bool(a["suppressed"])
    if ctx.national:
        national = suppress(
            pd.DataFrame([tally(np.ones(len(cases), dtype=bool))]),
            counts,
            threshold=ctx.threshold,
            nested=nested,
            rate_cols=rates,
            marker=None,
        )
        n_row: pd.Series | None = national.iloc[0].copy()
        assert n_row is not None
        n_row["suppressed"] = bool(national[counts].isna().any(axis=None))
    else:
        n_row = None
    labels = {
        "open": "open cases",
        "past_26_weeks": "already past 26 weeks",
        "expected_to_pass_26": "more expected to pass 26 weeks",
        "ci_lower_26": "  95% interval, lower",
        "ci_upper_26": "  95% interval, upper",
        "past_40_weeks": "already past 40 weeks",
        "expected_to_pass_40": "more expected to pass 40 weeks",
        "ci_lower_40": "  95% interval, lower",
        "ci_upper_40": "  95% interval, upper",
    }
    order = list(labels)
    table = pd.DataFrame(
        {
            "measure": [labels[c] for c in order],
            ctx.area: [_pair(a, c, None if c in counts else 1) for c in order],
            "national": [
                _pair(n_row, c, None if c in counts else 1, ctx.national)
                if c in _fields(n_row)
                else NOT_AVAILABLE
                for c in order
            ],
        },
        dtype=object,
    )
    open_n, past, exp = _get(a, "open"), _get(a, "past_26_weeks"), _get(a, "expected_to_pass_26")
    lo, hi = _get(a, "ci_lower_26"), _get(a, "ci_upper_26")
    day = f"{as_of:%d %B %Y}".lstrip("0")
    if open_n is None:
        reading = f"The number of {ctx.area}'s open cases on {day} is not available (withheld)."
    else:
        reading = f"On {day}, {ctx.area} had {text.count(open_n)} open children's proceedings"
        if past is not None:
            reading += f", {text.count(past)} of them already past 26 weeks"
        reading += "."
        if exp is not None and lo is not None and hi is not None:
            reading += (
                f" About {text.num(exp, 0)} more (95% interval {text.num(lo, 0)} to "
                f"{text.num(hi, 0)}) are expected to pass 26 weeks, judging by how long "
                f"{ctx.area}'s recent cases took."
            )
        else:
            reading += " The number expected to pass 26 weeks is not available (withheld)."
        exp40 = _get(a, "expected_to_pass_40")
        past40 = _get(a, "past_40_weeks")
        if exp40 is not None and past40 is not None:
            reading += (
                f" {text.count(past40)} are already past 40 weeks and about "
                f"{text.num(exp40, 0)} more are expected to pass it."
            )
    return Panel(
        key="open_cases",
        title="Open cases: how many will pass 26 and 40 weeks?",
        definition=(
            "Cases open at the end of the period and, for each, the chance of still being "
            "open at 26 (and 40) weeks given how long it has been open: conditional "
            "Kaplan-Meier from the area's cases issued in the two years before (the national "
            "curve where the area's is too thin), summed over the open cases."
        ),
        reading=reading,
        tables={"open_cases": table},
        figure=progression_figure(table, ctx.area) if open_n is not None else None,
    )


def _fields(row: pd.Series | None) -> set[str]:
    """The fields a (possibly absent) row holds."""
    return set() if row is None else set(row.index)


def _order_mix(ctx: _Context) -> Panel:
    from outcomes.board.figures import order_mix_figure
    from outcomes.kpi import order_mix
    from outcomes.schema import FINAL_ORDERS

    period = ctx.ptype
    mix_a = order_mix(ctx.board, by=[COMPARISON], period=period, threshold=ctx.threshold)  # type: ignore[arg-type]
    a = ctx.area_row(mix_a, period=ctx.period)
    n = None
    if ctx.national:
        mix_n = order_mix(ctx.dataset, by=[], period=period, threshold=ctx.threshold)  # type: ignore[arg-type]
        n = _row_of(mix_n, period=ctx.period)
    kinds = [*FINAL_ORDERS, "not_recorded"]
    rows = []
    for k in kinds:
        rows.append(
            {
                "final order": k.replace("_", " "),
                f"{ctx.area} children": _pair(a, k, None),
                f"{ctx.area} %": _pair(a, f"pct_{k}", 1),
                "national children": _pair(n, k, None, ctx.national),
                "national %": _pair(n, f"pct_{k}", 1, ctx.national),
            }
        )
    rows.append(
        {
            "final order": "all disposals",
            f"{ctx.area} children": _pair(a, "disposals", None),
            f"{ctx.area} %": 100.0 if _get(a, "disposals") else NOT_AVAILABLE,
            "national children": _pair(n, "disposals", None, ctx.national),
            "national %": 100.0 if ctx.national and _get(n, "disposals") else NOT_AVAILABLE,
        }
    )
    table = pd.DataFrame(rows)
    # an order type nobody received, here or nationally, says nothing
    zero = (
        table[[f"{ctx.area} children", "national children"]].isin([0, NOT_AVAILABLE]).all(axis=1)
    )
    table = table.loc[~zero].reset_index(drop=True)
    shares = {
        r["final order"]: (text.value(r[f"{ctx.area} %"]), text.value(r["national %"]))
        for _, r in table.iterrows()
        if r["final order"] != "all disposals"
    }
    known = {k: v for k, v in shares.items() if v[0] is not None}
    made = {k: v for k, v in known.items() if v[0]}
    if made:
        top = max(made, key=lambda k: made[k][0] or 0.0)
        reading = text.compare(
            ctx.area,
            f"share of disposals in {ctx.period} ending in a {top}",
            made[top][0],
            made[top][1] if ctx.national else None,
            "%",
            more="higher",
            less="lower",
        )
        both = {k: v for k, v in known.items() if v[1] is not None and k != top}
        if ctx.national and both:
            far = max(both, key=lambda k: abs((both[k][0] or 0) - (both[k][1] or 0)))
            mine_v, nat_v = both[far]
            assert mine_v is not None and nat_v is not None
            reading += (
                f" The largest other difference from the national mix is in '{far}': "
                f"{text.num(mine_v)}% against {text.num(nat_v)}%."
            )
        hidden = [k for k, v in shares.items() if v[0] is None]
        if hidden:
            reading += f" Withheld for {ctx.area}: {', '.join(hidden)}."
    else:
        reading = f"{ctx.area}'s order mix in {ctx.period} is not available (withheld)."
    return Panel(
        key="order_mix",
        title=f"Final orders, {ctx.period}",
        definition=(
            "The final orders of the children's proceedings disposed of in the period "
            "(codes outside the vocabulary, or missing, as not recorded)."
        ),
        reading=reading,
        tables={"order_mix": table},
        figure=order_mix_figure(table, ctx.area) if made else None,
    )


def _returns(ctx: _Context) -> Panel:
    from outcomes.areas import funnel
    from outcomes.board.figures import returns_figure

    pair, areas, nation_table = ctx.returns()
    window = pair.attrs.get("window")
    a = ctx.area_row(pair) if len(pair) else None
    nation = None if nation_table is None or nation_table.empty else nation_table.iloc[0]
    measures = [
        ("children followed (first disposal in the window)", "children", None),
        ("returned within 1 year, %", "crude_1y", "pct"),
        ("  95% interval, lower", "crude_ci_lower_1y", "pct"),
        ("  95% interval, upper", "crude_ci_upper_1y", "pct"),
        ("returned within 2 years, %", "crude_2y", "pct"),
        ("  95% interval, lower", "crude_ci_lower_2y", "pct"),
        ("  95% interval, upper", "crude_ci_upper_2y", "pct"),
        ("children whose 2-year outcome is known", "known_2y", None),
        ("returned within 2 years (of those known)", "observed_2y", None),
        ("expected from case mix", "expected_2y", 1),
        ("observed / expected", "ratio_2y", 2),
        ("  95% interval, lower", "ratio_ci_lower_2y", 2),
        ("  95% interval, upper", "ratio_ci_upper_2y", 2),
    ]

    def show(row: pd.Series | None, col: str, how: object, available: bool = True) -> object:
        if how == "pct":
            if not available or row is None or col not in row.index:
                return NOT_AVAILABLE
            v = text.value(row[col])
            return cell(None if v is None else 100 * v, _withheld(row, col), 1)
        return _pair(row, col, how, available)  # type: ignore[arg-type]

    table = pd.DataFrame(
        {
            "measure": [m[0] for m in measures],
            ctx.area: [show(a, m[1], m[2]) for m in measures],
            "national": [show(nation, m[1], m[2], ctx.national) for m in measures],
        },
        dtype=object,
    )
    if ctx.national:
        # the nation's ratio is 1 by construction (the case-mix model is fitted on the
        # same children): no interval applies
        for row in (11, 12):
            table.iat[row, 2] = NOT_APPLICABLE
    tables = {"returns": table}
    # the funnel sees only published areas: nothing withheld enters the plot or limits
    fun = None
    if ctx.level in areas.columns and len(areas):
        pub = _published_areas(ctx, areas, a, ["observed_2y", "expected_2y"])
        pub = pub.loc[pub["expected_2y"].astype(float) > 0]
        if len(pub) >= 2:
            try:
                fun = funnel(
                    pub.astype({"observed_2y": float, "expected_2y": float}),
                    "observed_2y",
                    "expected_2y",
                    ctx.level,
                    kind="ratio",
                )
            except OutcomesError:
                fun = None
    if fun is not None:
        ft = fun.reset_index()[
            [ctx.level, "value", "z", "lower_95", "upper_95", "lower_998", "upper_998", "outlier"]
        ]
        ft = ft.rename(columns={"value": "observed / expected"})
        ft = ft.round(3).astype({"z": object})
        # an area with no returns sits at log 0: its z-score is not a number to print
        ft.loc[~np.isfinite(fun["z"].to_numpy()), "z"] = NOT_AVAILABLE
        tables["funnel"] = ft
    if window is not None:
        span = f"{window[0]:%B %Y} to {window[1]:%B %Y}"
    else:
        span = "the window"
    crude, crude_n = _get(a, "crude_2y"), _get(nation, "crude_2y") if ctx.national else None
    reading = text.compare(
        ctx.area,
        f"share of children returning to court within 2 years of their first proceedings "
        f"ending ({span})",
        None if crude is None else 100 * crude,
        None if crude_n is None else 100 * crude_n,
        "%",
        more="higher",
        less="lower",
    )
    ratio = _get(a, "ratio_2y")
    lo, hi = _get(a, "ratio_ci_lower_2y"), _get(a, "ratio_ci_upper_2y")
    if ratio is not None and lo is not None and hi is not None:
        reading += (
            f" Given their case mix at issue, {text.num(ratio, 2)} times as many returned as "
            f"expected (95% interval {text.num(lo, 2)} to {text.num(hi, 2)})"
        )
        if fun is not None and ctx.area in fun.index:
            f = fun.loc[ctx.area]
            if f["value"] > f["upper_998"]:
                where = "above the funnel's 99.8% limit: a real difference, not chance"
            elif f["value"] < f["lower_998"]:
                where = "below the funnel's 99.8% limit: fewer returns than chance explains"
            elif f["value"] > f["upper_95"] or f["value"] < f["lower_95"]:
                where = "outside the funnel's 95% but inside its 99.8% limits: worth a look"
            else:
                where = (
                    "inside the funnel's limits: within what chance and ordinary variation explain"
                )
            reading += f", {where}."
        else:
            reading += "; the funnel comparison is not available."
    else:
        reading += " The risk-adjusted ratio is not available (withheld or not computable)."
    return Panel(
        key="returns",
        title="Children returning to court",
        definition=(
            "Children whose first proceedings ended in the five years to the end of the "
            "period, followed to a new care application (Aalen-Johansen: adoption, death "
            "and ageing out compete with a return). Observed / expected: returns within 2 "
            "years over those a case-mix model at issue (fitted on all areas) predicts. "
            "The funnel shows every area whose figures can be published, with limits "
            "widened for overdispersion."
        ),
        reading=reading,
        tables=tables,
        figure=returns_figure(table, fun, ctx.area),
    )


def _published_areas(
    ctx: _Context, areas: pd.DataFrame, mine: pd.Series | None, cols: list[str]
) -> pd.DataFrame:
    """Rows of an all-areas table with ``cols`` published; the area's own row only
    where its own table (area against the rest of the nation) publishes them too."""
    pub = areas[[ctx.level, *cols]].dropna()
    if mine is None or any(_get(mine, c) is None for c in cols):
        pub = pub.loc[pub[ctx.level].astype(str) != ctx.area]
    return pub


def _quadrant(ctx: _Context) -> Panel:
    from outcomes.board.figures import quadrant_figure

    pair, areas, _ = ctx.returns()
    # every area from the all-areas tables, the area itself only as its own (area
    # against the rest of the nation) tables publish it
    tim = ctx.timeliness("disposal", False, all_areas=True)
    tim = tim.loc[(tim["period"] == ctx.period) & (tim[ctx.level].astype(str) != ctx.area)]
    mine = _get(ctx.area_row(ctx.timeliness("disposal", False), period=ctx.period), PCT)
    own = pd.DataFrame({ctx.level: [ctx.area], PCT: [np.nan if mine is None else mine]})
    if len(tim):
        tim = pd.concat([tim[[ctx.level, PCT]].astype({PCT: float}), own], ignore_index=True)
    else:
        tim = own
    cols = [ctx.level, "ratio_2y", "ratio_ci_lower_2y", "ratio_ci_upper_2y"]
    if ctx.level in areas.columns and len(areas):
        ratios = _published_areas(ctx, areas, ctx.area_row(pair) if len(pair) else None, cols[1:])
        quad = tim.merge(ratios[cols], on=ctx.level, how="inner").dropna()
    else:
        quad = pd.DataFrame(columns=[ctx.level, PCT, *cols[1:]])
    quad = quad.astype({c: float for c in quad.columns if c != ctx.level})
    nat = _get(_row_of(ctx.timeliness("disposal", True), period=ctx.period), PCT)
    table = quad.rename(
        columns={
            PCT: f"% within {THRESHOLD_WEEKS} weeks ({ctx.period})",
            "ratio_2y": "returns observed / expected (2 years)",
            "ratio_ci_lower_2y": "ratio 95% lower",
            "ratio_ci_upper_2y": "ratio 95% upper",
        }
    )
    table = table.round({c: (1 if c.startswith("%") else 2) for c in table.columns[1:]})
    table = table.reset_index(drop=True)
    figure = None
    row = quad.loc[quad[ctx.level].astype(str) == ctx.area]
    if len(quad) >= 2 and ctx.national and nat is not None:
        figure = quadrant_figure(quad, ctx.level, PCT, nat, ctx.area, ctx.period)
    if not ctx.national:
        reading = "The quadrant is not available: there are no other areas to compare with."
    elif row.empty or nat is None:
        reading = (
            f"{ctx.area} cannot be placed on the quadrant (not available): its timeliness "
            "or its returns, or the national timeliness, are withheld or not computable."
        )
    else:
        x, y = float(row[PCT].iloc[0]), float(row["ratio_2y"].iloc[0])
        fast = "faster" if x > nat else "slower" if x < nat else "as fast as"
        high = "more" if y > 1 else "fewer" if y < 1 else "as many"
        # judged on the interval as published (two decimals), so the words match it
        lo, hi = (
            round(float(row["ratio_ci_lower_2y"].iloc[0]), 2),
            round(float(row["ratio_ci_upper_2y"].iloc[0]), 2),
        )
        sure = (
            "and its interval lies above 1"
            if lo > 1
            else "and its interval lies below 1"
            if hi < 1
            else "though its interval includes 1"
        )
        reading = (
            f"With {text.num(x)}% disposed of within {THRESHOLD_WEEKS} weeks against "
            f"{text.num(nat)}% nationally, {ctx.area} is {fast} than the nation; "
            f"{high} of its children return to court than their case mix predicts "
            f"(ratio {text.num(y, 2)}), {sure}."
        )
        if x > nat and y > 1:
            reading += " It sits in the fast, high-returns quadrant that deserves a closer look."
    return Panel(
        key="quadrant",
        title="Timeliness against returns",
        definition=(
            f"Each area at its share disposed of within {THRESHOLD_WEEKS} weeks in the period "
            "(x; the dashed line is the national share) and its risk-adjusted 2-year return "
            "ratio with its 95% interval (y; 1 = as the case mix predicts). Top right: fast, "
            "with more children coming back than expected."
        ),
        reading=reading,
        tables={"quadrant": table},
        figure=figure,
    )


def _data_quality(ctx: _Context) -> Panel:
    from outcomes.board.figures import quality_figure
    from outcomes.disclosure import suppress
    from outcomes.quality import DIMENSIONS

    report = ctx.quality.result()
    raw = report.summary("la" if ctx.level == "la_code" else "dfj").reset_index()
    # Rows with an issue of a dimension (and quarantined rows) are subsets of the rows
    # read, not parts of a whole: nested, so that "rows without such an issue" is never
    # a small count either. A score rests on all of them.
    counts = ["rows", "quarantined", *DIMENSIONS]
    pub = suppress(
        raw,
        counts,
        threshold=ctx.threshold,
        nested={c: "rows" for c in counts[1:]},
        margins=[["dfj_area"], []] if ctx.level == "la_code" else [[]],
        rate_cols={"score": counts},
    )
    band = np.minimum(np.floor(raw["score"].to_numpy(dtype=float) / 10) * 10, 90).astype(int)
    pub["score_band"] = np.where(
        pub["rows"].astype(str) == MARKER, MARKER, [f"{b}-{b + 10}" for b in band]
    )
    table = pub.loc[pub[ctx.level].astype(str) == ctx.area].reset_index(drop=True)
    scores = pd.to_numeric(pub["score"], errors="coerce").dropna()
    mine = (
        text.value(table["score"].iloc[0])
        if len(table) and table["score"].iloc[0] != MARKER
        else None
    )
    kind = "local authority" if ctx.level == "la_code" else "DFJ area"
    compared = ctx.national and len(scores) >= 2
    median = round(float(scores.median()), 1) if compared else None
    lower = (
        round(float((scores < mine).mean() * 100), 1) if compared and mine is not None else None
    )
    if mine is None:
        band = table["score_band"].iloc[0] if len(table) else NOT_AVAILABLE
        reading = (
            f"{ctx.area}'s data-quality score is withheld (it would reveal a small count); "
            f"its band is {band}."
        )
    else:
        reading = f"{ctx.area}'s data-quality score is {text.num(mine)} out of 100"
        if median is not None and lower is not None:
            reading += (
                f"; the median {kind} scores {text.num(median)}, and {text.num(lower)}% of "
                f"{kind}s with a published score score lower."
            )
        else:
            reading += "; no other area to compare with."
    summary = pd.DataFrame(
        {
            "measure": [
                f"median {kind} score",
                f"{kind}s with a published score",
                f"% of them scoring lower than {ctx.area}",
            ],
            "value": [
                NOT_AVAILABLE if median is None else median,
                int(len(scores)) if ctx.national else NOT_AVAILABLE,
                NOT_AVAILABLE if lower is None else lower,
            ],
        },
        dtype=object,
    )
    return Panel(
        key="data_quality",
        title="Data quality",
        definition=(
            "The quality score: 100 times the weighted share of proceedings rows free of "
            "issues of each dimension (completeness, validity, consistency, uniqueness, "
            "timeliness); rows with an issue of each dimension are shown. A score is "
            "withheld where a count behind it is; its 10-point band is shown instead."
        ),
        reading=reading,
        tables={"data_quality": table, "data_quality_national": summary},
        figure=quality_figure(scores, mine, ctx.area, kind)
        if ctx.national and len(scores) >= 2
        else None,
    )


_BUILDERS: list[Callable[[_Context], Panel]] = [
    _headline,
    _trend,
    _duration_curves,
    _open_cases,
    _order_mix,
    _returns,
    _quadrant,
    _data_quality,
]
"""The panels, in the order the page shows them."""
