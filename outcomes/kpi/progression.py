"""Case progression: which open cases are likely to pass 26 (and 40) weeks?

For a case open for :math:`w` weeks at the date of interest, the chance that it is
still open at :math:`h` weeks is the conditional survival

.. math:: P(T > h \\mid T > w) = \\hat S(h) / \\hat S(w), \\qquad w < h,

with :math:`\\hat S` the Kaplan-Meier estimate of remaining open, fitted **per area**
(the grouping asked for, local authority by default) on the cases issued in the
``lookback_years`` before that date, open ones censored there -- recent practice of
the same court, without any model. Where an area's curve cannot answer well -- fewer
than ``min_at_risk`` of its recent cases were still open at :math:`h` weeks, the curve
ends before :math:`h`, or :math:`\\hat S(w) = 0` -- the national curve is used and the
case is flagged. The floor matters: a Kaplan-Meier tail resting on a handful of cases
stays flat after its last event and overstates the chance of staying open (in our
synthetic worlds, local-authority curves without the floor over-predicted the number
passing 26 weeks by about 15%).

Summing over an area's open cases gives the expected number that will pass
:math:`h`. Its variance has two parts: the outcome of each case given the
probabilities (a sum of independent Bernoulli variables,
:math:`\\sum_i p_i(1 - p_i)`), and the uncertainty of the curve, from Greenwood's
formula for the log conditional survival,
:math:`\\operatorname{Var}\\log\\{\\hat S(h)/\\hat S(w)\\} \\approx \\sum_{w < t_j \\le h}
d_j / \\{n_j(n_j - d_j)\\}`, taken as perfectly correlated between the cases of an area
(they share the curve): :math:`\\{\\sum_i p_i \\sqrt{g_i}\\}^2`. The interval is the
normal one, clipped to the possible range.

Cost: one Kaplan-Meier fit per area (one sort) and a binary search per open case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.disclosure import DEFAULT_THRESHOLD, suppression_mask
from outcomes.kpi._data import DAYS_PER_WEEK, KPIError, Unit, proceedings_of, spells
from outcomes.kpi.timeliness import km_by_cell
from outcomes.schema import Dataset

__all__ = ["CaseProgression", "case_progression"]


@dataclass
class CaseProgression:
    """Result of :func:`case_progression`.

    Attributes
    ----------
    cases : DataFrame
        One row per open case (no identifiers): the area, ``issue_date``,
        ``weeks_open`` and for each horizon ``p_pass_<h>`` (1 when already past) and
        ``national_curve_<h>`` (True where the national curve stood in).
    areas : DataFrame
        One row per area: ``open``, and per horizon ``past_<h>_weeks`` (already
        past), ``expected_to_pass_<h>`` (more expected to pass, among those not yet
        past) with ``ci_lower_<h>`` / ``ci_upper_<h>``, suppressed for publication.
    as_of : Timestamp
    by : str
    """

    cases: pd.DataFrame
    areas: pd.DataFrame
    as_of: pd.Timestamp
    by: str


def case_progression(
    data: Dataset | pd.DataFrame,
    as_of: str | pd.Timestamp | None = None,
    *,
    by: str = "la_code",
    horizons: tuple[float, ...] = (26, 40),
    lookback_years: float = 2.0,
    min_at_risk: int = 20,
    alpha: float = 0.05,
    unit: Unit = "child",
    extract_date: str | pd.Timestamp | None = None,
    suppression: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
) -> CaseProgression:
    """Open cases, weeks open, and the expected number passing each horizon, by area.

    Parameters
    ----------
    data : Dataset or DataFrame
        Proceedings (``issue_date``, ``disposal_date``, ``by``).
    as_of : date, optional
        The date to look from (default: the extract date). Everything after it is
        hidden: cases issued later are left out and disposals later count as open,
        so an earlier date back-tests the forecast against what then happened.
    by : str, default "la_code"
        The area whose curve predicts its cases (``"dfj_area"`` pools the local
        authorities of a court).
    horizons : tuple of float, default (26, 40)
        Weeks.
    lookback_years : float, default 2
        Cases issued this long before ``as_of`` make the curves.
    min_at_risk : int, default 20
        An area's own curve is used for horizon :math:`h` only if at least this many
        of its recent cases were still open at :math:`h` weeks; otherwise the national
        curve.
    alpha : float, default 0.05
    unit : {"child", "application"}
    extract_date : date, optional
        Overrides the manifest's (needed with a DataFrame when ``as_of`` is not given).
    suppression : bool, default True
        Withhold counts under ``threshold`` (and what reveals them) in ``areas``.
    threshold : int, default 10

    Returns
    -------
    CaseProgression

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). *J. Am. Statist. Assoc.* 53, 457-481.

    Greenwood, M. (1926). The natural duration of cancer. *Reports on Public Health
    and Medical Subjects* 33, HMSO.
    """
    table, extract = proceedings_of(data, extract_date)
    day = pd.Timestamp(as_of) if as_of is not None else extract
    if day is None:
        raise KPIError("case_progression needs as_of= or an extract date")
    if extract is not None and day > extract:
        raise KPIError(f"as_of {day.date()} is after the extract date {extract.date()}")
    if not horizons or any(h <= 0 for h in horizons):
        raise KPIError(f"horizons must be positive weeks, not {horizons!r}")
    if min_at_risk < 1:
        raise KPIError(f"min_at_risk must be at least 1, not {min_at_risk!r}")
    if lookback_years <= 0:
        raise KPIError(f"lookback_years must be positive, not {lookback_years!r}")
    rows, _ = spells(table, [by], unit, extract)
    rows = rows.loc[rows["issue_date"] <= day].copy()
    rows.loc[rows["disposal_date"] > day, "disposal_date"] = pd.NaT
    disposed = rows["disposal_date"].notna().to_numpy()
    open_weeks = ((day - rows["issue_date"]).dt.days / DAYS_PER_WEEK).to_numpy()
    weeks = np.where(
        disposed, (rows["disposal_date"] - rows["issue_date"]).dt.days / 7, open_weeks
    )

    areas = pd.Index(sorted(rows[by].dropna().unique()), name=by)
    code = areas.get_indexer(rows[by])
    window_start = day - pd.DateOffset(days=round(365.25 * lookback_years))
    recent = (rows["issue_date"] > window_start).to_numpy()
    if not recent.any():
        raise KPIError("no cases issued in the lookback window before as_of")
    # cell k = area k; cell len(areas) = the national curve (every recent case again)
    hist_t = np.concatenate([weeks[recent], weeks[recent]]).astype(np.float64)
    hist_e = np.concatenate([disposed[recent], disposed[recent]])
    hist_c = np.concatenate([code[recent], np.full(recent.sum(), len(areas))])
    curves, _ = km_by_cell(hist_t, hist_e, hist_c, [0.0])
    last = pd.Series(hist_t).groupby(hist_c).max().reindex(range(len(areas) + 1)).to_numpy()
    lookup = _Curves(curves, last, len(areas) + 1)
    hist = pd.DataFrame({"t": hist_t, "c": hist_c})

    is_open = ~disposed
    cases = pd.DataFrame(
        {
            by: rows[by].to_numpy()[is_open],
            "issue_date": rows["issue_date"].to_numpy()[is_open],
            "weeks_open": open_weeks[is_open],
        }
    )
    ccode = code[is_open]
    w = cases["weeks_open"].to_numpy()
    national = np.full(len(w), len(areas))
    z = stats.norm.ppf(1 - alpha / 2)
    out = pd.DataFrame(index=areas)
    out["open"] = (
        pd.Series(ccode).value_counts().reindex(range(len(areas)), fill_value=0).to_numpy()
    )
    for h in horizons:
        p, g = lookup.conditional(ccode, w, h)
        at_h = (hist["t"] >= h).groupby(hist["c"]).sum()
        thin = at_h.reindex(range(len(areas)), fill_value=0).to_numpy() < min_at_risk
        fallback = ~np.isfinite(p) | thin[ccode]
        if fallback.any():
            p2, g2 = lookup.conditional(national, w, h)
            p, g = np.where(fallback, p2, p), np.where(fallback, g2, g)
        past = w >= h
        p = np.where(past, 1.0, np.nan_to_num(p, nan=1.0))
        g = np.where(past, 0.0, np.nan_to_num(g, nan=0.0))
        name = f"{h:g}"
        cases[f"p_pass_{name}"] = p
        cases[f"national_curve_{name}"] = fallback & ~past
        frame = pd.DataFrame(
            {
                "c": ccode,
                "past": past,
                "p": np.where(past, 0.0, p),
                "bern": np.where(past, 0.0, p * (1 - p)),
                "est": np.where(past, 0.0, p * np.sqrt(g)),
            }
        )
        agg = frame.groupby("c").sum().reindex(range(len(areas)), fill_value=0)
        expected = agg["p"].to_numpy()
        sd = np.sqrt(agg["bern"].to_numpy() + agg["est"].to_numpy() ** 2)
        not_past = out["open"].to_numpy() - agg["past"].to_numpy()
        out[f"past_{name}_weeks"] = agg["past"].to_numpy().astype(np.int64)
        out[f"expected_to_pass_{name}"] = expected
        out[f"ci_lower_{name}"] = np.clip(expected - z * sd, 0, not_past)
        out[f"ci_upper_{name}"] = np.clip(expected + z * sd, 0, not_past)
    out = out.reset_index()
    if suppression and len(out):
        out = _withhold(out, horizons, threshold)
    out.attrs.update(as_of=day, by=by, lookback_years=lookback_years, alpha=alpha)
    return CaseProgression(cases=cases, areas=out, as_of=day, by=by)


class _Curves:
    """Kaplan-Meier survival and Greenwood sums of many cells, looked up per case."""

    def __init__(self, curves: pd.DataFrame, last: np.ndarray, n_cells: int) -> None:
        curves = curves.sort_values(["group", "time"], kind="stable")
        self.group = curves["group"].to_numpy(dtype=np.int64)
        self.time = curves["time"].to_numpy(dtype=np.float64)
        self.surv = 1.0 - curves["estimate"].to_numpy(dtype=np.float64)
        n, d = curves["at_risk"].to_numpy(float), curves["events"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(n > d, d / (n * (n - d)), 0.0)
        cum = np.cumsum(term)
        starts = np.searchsorted(self.group, np.arange(n_cells), side="left")
        base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        self.greenwood = cum - base[self.group]
        self.starts = starts
        self.ends = np.searchsorted(self.group, np.arange(n_cells), side="right")
        self.last = last

    def _at(self, cell: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # position of the last event time <= t within the cell (or none)
        key = cell.astype(np.float64) * 1e6 + t
        pos = np.searchsorted(self.group * 1e6 + self.time, key, side="right") - 1
        inside = pos >= self.starts[cell]
        s = np.where(inside, self.surv[np.maximum(pos, 0)], 1.0)
        g = np.where(inside, self.greenwood[np.maximum(pos, 0)], 0.0)
        beyond = t > self.last[cell]
        return np.where(beyond, np.nan, s), np.where(beyond, np.nan, g)

    def conditional(
        self, cell: np.ndarray, w: np.ndarray, h: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """P(T > h | T > w) and the Greenwood variance of its log (NaN: undefined)."""
        s_w, g_w = self._at(cell, w)
        s_h, g_h = self._at(cell, np.full(len(w), float(h)))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(s_w > 0, s_h / s_w, np.nan)
        return p, g_h - g_w


def _withhold(out: pd.DataFrame, horizons: tuple[float, ...], threshold: int) -> pd.DataFrame:
    names = [f"{h:g}" for h in sorted(horizons)]
    counts = ["open", *[f"past_{n}_weeks" for n in names]]
    # past 40 weeks is within past 26 weeks, which is within the open cases: chained,
    # so that no difference (e.g. cases open between 26 and 40 weeks) is small
    nested = {child: parent for parent, child in zip(counts[:-1], counts[1:], strict=True)}
    mask = suppression_mask(out, counts, threshold=threshold, nested=nested)
    for col in counts:
        out[col] = out[col].astype("Int64").mask(mask[col].to_numpy())
    for n in names:
        hide = mask["open"].to_numpy() | mask[f"past_{n}_weeks"].to_numpy()
        for col in (f"expected_to_pass_{n}", f"ci_lower_{n}", f"ci_upper_{n}"):
            out[col] = out[col].astype("Float64").mask(hide)
    out["suppressed"] = pd.Series(mask.to_numpy().any(axis=1), index=out.index)
    return out
