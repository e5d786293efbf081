r"""Recurrent events: Andersen-Gill and PWP regression, and the mean cumulative function.

All three work on the counting-process long form that
:meth:`outcomes.cohort.Cohort.recurrent` returns: one row per at-risk interval
``(start, stop]`` of a subject, ``event`` 1 when the interval ends in a recurrence,
``episode`` counting the intervals (1, 2, ...) and ``terminal`` 1 when follow-up ends in a
competing terminal event.

The regressions are small subclasses of :class:`~outcomes.survival.cox.CoxFitter`: they
arrange the rows and use the engine Cox and Fine-Gray share, so there
is one partial likelihood and one sandwich variance in the package. Which model answers
which question (Amorim & Cai 2015):

* **Andersen-Gill** -- a common baseline intensity for every event, time since the index
  date, all subjects at risk of the next event whatever their history: "how much does
  ``x`` change the rate of recurrence?";
* **PWP total time** -- a baseline hazard per episode (stratum), time since the index
  date: the hazard of the *k*-th event among those who had *k - 1*;
* **PWP gap time** -- as above with the clock reset at each event (time since the last
  event), which suits "how soon after a return does the next one come?".

References
----------
Andersen, P. K. & Gill, R. D. (1982). Cox's regression model for counting processes: a
large sample study. *Annals of Statistics* 10, 1100-1120.

Prentice, R. L., Williams, B. J. & Peterson, A. V. (1981). On the regression analysis of
multivariate failure time data. *Biometrika* 68, 373-379.

Amorim, L. D. A. F. & Cai, J. (2015). Modelling recurrent events: a tutorial for analysis
in epidemiology. *International Journal of Epidemiology* 44, 324-333.

Lin, D. Y., Wei, L. J., Yang, I. & Ying, Z. (2000). Semiparametric regression for the mean
and rate functions of recurrent events. *JRSS B* 62, 711-730.

Nelson, W. B. (2003). *Recurrent Events Data Analysis for Product Repairs, Disease
Recurrences, and Other Applications*. SIAM.

Lawless, J. F. & Nadeau, C. (1995). Some simple robust methods for the analysis of
recurrent events. *Technometrics* 37, 158-168.

Ghosh, D. & Lin, D. Y. (2000). Nonparametric analysis of recurrent events and death.
*Biometrics* 56, 554-562.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival._engine import FloatArray
from outcomes.survival._inference import critical_value
from outcomes.survival._mcf import RecurrentRows, ghosh_lin_mcf, nelson_aalen_mcf
from outcomes.survival._validation import check_choice, reject_rows
from outcomes.survival.cox import CoxFitter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "AndersenGillFitter",
    "MeanCumulativeFunction",
    "PWPFitter",
    "mean_cumulative_function",
    "merge_near_ties",
]


# ------------------------------------------------------------------------- regression
class AndersenGillFitter(CoxFitter):
    r"""Andersen-Gill model for recurrent events (Andersen & Gill 1982).

    Subject :math:`i` has intensity :math:`Y_i(t)\lambda_0(t)\exp(x_i^\top\beta)`, with
    :math:`Y_i(t) = 1` while :math:`t` lies in one of its intervals ``(entry, exit]``;
    every event shares :math:`\lambda_0` and a subject stays at risk of the next event
    whatever its history. :math:`\beta` maximises the counting-process partial likelihood

    .. math::

        \ell(\beta) = \sum_i \sum_{\text{events } t_{ij}} \Big[x_i^\top\beta
            - \log \sum_l Y_l(t_{ij}) e^{x_l^\top\beta}\Big].

    Events of one subject are dependent, so the variance is the Lin-Wei (1989) sandwich
    with score residuals summed within subject (``cluster_col``, required), which stays
    valid when the intensity is misspecified (Lin, Wei, Yang & Ying 2000). Equivalent to
    R's ``coxph(Surv(start, stop, event) ~ x + cluster(id))``:

    >>> AndersenGillFitter().fit(long, "stop", "event", entry_col="start",
    ...                          cluster_col="child_id", formula="x")  # doctest: +SKIP

    ``fit`` takes the arguments of :meth:`CoxFitter.fit`; ``formula`` is needed in
    practice because the long form carries ids and bookkeeping columns that must not
    become covariates. ``summary["method"]`` is ``"andersen_gill"``.

    See Also
    --------
    PWPFitter : episode-specific baseline hazards.
    """

    _method = "andersen_gill"

    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str,
        event_col: str,
        *,
        entry_col: str | None = None,
        strata: str | Sequence[str] | None = None,
        weights_col: str | None = None,
        cluster_col: str | None = None,
        formula: str | None = None,
        ties: str = "efron",
        robust: bool = False,
        initial_point: pd.Series | FloatArray | None = None,
    ) -> AndersenGillFitter:
        """Fit the model (arguments as :meth:`CoxFitter.fit`; ``cluster_col`` required).

        Returns
        -------
        self
        """
        if cluster_col is None:
            raise OutcomesError(
                "AndersenGillFitter needs cluster_col (the subject): a subject's events are "
                "dependent and the variance sums scores within subject"
            )
        super().fit(
            df,
            duration_col,
            event_col,
            entry_col=entry_col,
            strata=strata,
            weights_col=weights_col,
            cluster_col=cluster_col,
            formula=formula,
            ties=ties,
            robust=robust,
            initial_point=initial_point,
        )
        return self


class PWPFitter(CoxFitter):
    r"""Prentice-Williams-Peterson model: one baseline hazard per episode (PWP 1981).

    The hazard of the :math:`k`-th event is :math:`\lambda_{0k}(t)\exp(x^\top\beta)`, and
    only subjects who have had :math:`k - 1` events are at risk of it (a Cox model
    stratified by episode). Two clocks:

    * ``timescale="total"``: time since the index date, rows ``(entry, exit]`` --
      R's ``coxph(Surv(start, stop, event) ~ x + strata(episode) + cluster(id))``;
    * ``timescale="gap"``: time since the previous event, rows ``(0, exit - entry]`` --
      ``coxph(Surv(stop - start, event) ~ x + strata(episode) + cluster(id))``. Gap
      times that differ only by floating-point noise are merged first, as R does
      (:func:`merge_near_ties`).

    The variance is the sandwich clustered by subject, as for :class:`AndersenGillFitter`.

    Parameters
    ----------
    timescale : {"gap", "total"}
    max_episode : int or None
        Episodes above ``max_episode`` share the stratum of ``max_episode`` (default 4).
        Late strata hold few subjects, so separate baselines there are noisy and, once a
        stratum has no events, uninformative; pooling them is the usual remedy (Amorim &
        Cai 2015). ``None`` keeps one stratum per episode.
    alpha, tol, max_iter
        As :class:`CoxFitter`.

    Notes
    -----
    ``summary["method"]`` is ``"pwp_gap"`` or ``"pwp_total"``. The episode stratum column
    is ``f"{episode_col}_stratum"`` (and the gap time ``"gap_time"``), names to use with
    ``predict_*`` and in ``baseline_cumulative_hazard_``.
    """

    def __init__(
        self,
        timescale: str = "gap",
        max_episode: int | None = 4,
        alpha: float = 0.05,
        tol: float = 1e-9,
        max_iter: int = 50,
    ) -> None:
        super().__init__(alpha=alpha, tol=tol, max_iter=max_iter)
        self.timescale = timescale
        self.max_episode = max_episode

    @property
    def method(self) -> str:
        """``"pwp_gap"`` or ``"pwp_total"``."""
        return f"pwp_{self.timescale}"

    def _settings(self) -> str:
        return f"timescale={self.timescale!r}, max_episode={self.max_episode!r}"

    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str,
        event_col: str,
        *,
        entry_col: str | None = None,
        strata: str | Sequence[str] | None = None,
        weights_col: str | None = None,
        cluster_col: str | None = None,
        formula: str | None = None,
        ties: str = "efron",
        robust: bool = False,
        initial_point: pd.Series | FloatArray | None = None,
        episode_col: str = "episode",
    ) -> PWPFitter:
        """Fit the model.

        Parameters
        ----------
        df : DataFrame
            Counting-process rows with an episode counter (1 for the first interval).
        duration_col, event_col : str
            Interval end and 0/1 event at it.
        entry_col : str
            Interval start (required: the gap time is ``duration - entry``).
        cluster_col : str
            Subject identifier (required).
        strata : str or list of str, optional
            Extra strata, crossed with the episode strata.
        episode_col : str
            Episode number of the row.
        weights_col, formula, ties, robust, initial_point
            As :meth:`CoxFitter.fit`.

        Returns
        -------
        self
        """
        check_choice("timescale", self.timescale, ("gap", "total"))
        if self.max_episode is not None and self.max_episode < 1:
            raise OutcomesError(f"max_episode must be at least 1, not {self.max_episode}")
        if entry_col is None or cluster_col is None:
            raise OutcomesError("PWPFitter needs entry_col (interval start) and cluster_col")
        for col in (episode_col, entry_col, duration_col):
            if col not in df.columns:
                raise SchemaError(f"column not found: {col!r}")
        stratum_col = f"{episode_col}_stratum"
        added = {stratum_col: _capped_episode(df, episode_col, self.max_episode)}
        if self.timescale == "gap":
            gap = df[duration_col].to_numpy(dtype=np.float64) - df[entry_col].to_numpy(
                dtype=np.float64
            )
            added["gap_time"] = pd.Series(merge_near_ties(gap), index=df.index)
        clash = [c for c in added if c in df.columns]
        if clash:
            raise SchemaError(f"PWPFitter adds the columns {clash}; rename them in df first")
        data = df.assign(**added)
        extra = [strata] if isinstance(strata, str) else list(strata or [])
        super().fit(
            data,
            "gap_time" if self.timescale == "gap" else duration_col,
            event_col,
            entry_col=None if self.timescale == "gap" else entry_col,
            strata=[stratum_col, *extra],
            weights_col=weights_col,
            cluster_col=cluster_col,
            formula=formula,
            ties=ties,
            robust=robust,
            initial_point=initial_point,
        )
        return self


def merge_near_ties(times: np.ndarray, tolerance: float = np.sqrt(np.finfo(float).eps)) -> Any:
    r"""Make times that differ only by floating-point noise exactly equal.

    A gap time is a difference of two stored times, and differences carry binary rounding
    (``0.3 - 0.1 != 0.2``), which would split events that are tied in the data into
    separate risk-set times and change the Efron correction. As R's ``survival``
    (``coxph.control(timefix = TRUE)``, ``aeqSurv``): sort the distinct values, treat
    neighbours as tied when their difference :math:`\Delta` satisfies
    :math:`\Delta \le \epsilon` or :math:`\Delta / \overline{|y|} \le \epsilon`
    (:math:`\epsilon = \sqrt{\text{machine eps}}`), and replace each value by the first
    value of its run of ties.

    Parameters
    ----------
    times : ndarray
    tolerance : float

    Returns
    -------
    ndarray
        ``times`` with near-ties merged (the input itself when there are none).
    """
    y = np.unique(times[np.isfinite(times)])
    if y.size < 2:
        return times
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return times
    cuts = y[np.r_[True, ~tied]]
    idx = np.searchsorted(cuts, times, side="right") - 1
    return np.where(np.isfinite(times), cuts[np.clip(idx, 0, None)], times)


def _capped_episode(df: pd.DataFrame, episode_col: str, max_episode: int | None) -> pd.Series:
    episode = pd.to_numeric(df[episode_col], errors="coerce")
    bad = (episode.isna() | (episode < 1) | (episode != episode.round())).to_numpy()
    if bad.any():
        reject_rows(df, bad, episode_col, "bad_episode", "episodes must be integers >= 1")
    episode = episode.astype(np.int64)
    return episode if max_episode is None else episode.clip(upper=max_episode)


# ------------------------------------------------------------------------------- MCF
@dataclass
class MeanCumulativeFunction:
    """Result of :func:`mean_cumulative_function`.

    Attributes
    ----------
    table : DataFrame
        One row per group and time: ``group, time, estimate, std_error, ci_lower,
        ci_upper, at_risk, events, method``. ``at_risk`` is the number of subjects under
        observation just before ``time`` and ``events`` the recurrences at ``time``.
        ``table.attrs`` holds ``alpha`` and ``conf_type`` (``"log"``).
    alpha : float
    method : {"nelson_aalen", "ghosh_lin"}
    by : str or None
    """

    table: pd.DataFrame
    alpha: float
    method: str
    by: str | None

    def __getitem__(self, key: Any) -> Any:
        """Column access on :attr:`table`."""
        return self.table[key]

    def __len__(self) -> int:
        return len(self.table)

    def plot(self, ax: Axes | None = None, *, ci: bool = True, **kwargs: Any) -> Axes:
        """Draw each group's MCF as a step function from (0, 0), with its band.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Drawn on a new figure when omitted.
        ci : bool
            Shade the pointwise :math:`1 - \\alpha` confidence band.
        **kwargs
            Passed to ``Axes.step``.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for group, curve in self.table.groupby("group", sort=False):
            curve = curve.dropna(subset=["estimate"])
            time = np.r_[0.0, curve["time"].to_numpy()]
            est = np.r_[0.0, curve["estimate"].to_numpy()]
            label = kwargs.pop("label", None) if self.by is None else str(group)
            (line,) = ax.step(time, est, where="post", label=label, **kwargs)
            if ci:
                lo = np.r_[0.0, curve["ci_lower"].to_numpy()]
                hi = np.r_[0.0, curve["ci_upper"].to_numpy()]
                ax.fill_between(time, lo, hi, step="post", alpha=0.2, color=line.get_color())
        ax.set_xlabel("time")
        ax.set_ylabel("mean cumulative number of events")
        if self.by is not None:
            ax.legend(title=self.by)
        return ax


def mean_cumulative_function(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    *,
    entry_col: str,
    cluster_col: str,
    terminal_col: str | None = None,
    by: str | None = None,
    times: Iterable[float] | None = None,
    alpha: float = 0.05,
) -> MeanCumulativeFunction:
    r"""Mean cumulative number of recurrences, optionally accounting for a terminal event.

    With :math:`Y(u)` the number of subjects under observation at :math:`u` (an interval
    ``(start, stop]`` contains :math:`u`) and :math:`dN(u)` the recurrences at :math:`u`,
    the rate among those still observed is :math:`d\hat R(u) = dN(u) / Y(u)`.

    **Without a terminal event** the MCF is the Nelson-Aalen type estimator (Nelson 2003)

    .. math::

        \hat\mu(t) = \int_0^t d\hat R(u) = \sum_{u \le t} \frac{dN(u)}{Y(u)},

    the expected number of events by :math:`t` in a population where nobody leaves, with
    the Lawless & Nadeau (1995) robust variance, which needs no Poisson assumption:

    .. math::

        \widehat{\operatorname{Var}}\,\hat\mu(t) = \sum_i \Big[\int_0^t
            \frac{dN_i(u) - Y_i(u)\, d\hat R(u)}{Y(u)}\Big]^2 .

    It equals the cumulative hazard and robust ``std.chaz`` of R's
    ``survfit(Surv(start, stop, event) ~ 1, id = id)``.

    **With a terminal event** (death, or here a competing end of risk such as ageing out)
    the Nelson-Aalen MCF counts events that the terminated could never have. Ghosh & Lin
    (2000) estimate the marginal mean :math:`\mu(t) = E\,N^*(t)`, where :math:`N^*` stops
    counting at the terminal event, by weighting the observed rate with the Kaplan-Meier
    :math:`\hat S_D` of the terminal event (censoring at end of follow-up):

    .. math::

        \hat\mu(t) = \int_0^t \hat S_D(u-)\, d\hat R(u),

    with the variance of their Theorem 1, :math:`\sum_i \hat\psi_i(t)^2`, from the
    influence of subject :math:`i`

    .. math::

        \hat\psi_i(t) = \int_0^t \frac{\hat S_D(u-)}{Y(u)}\, d\hat M_i(u)
            - \hat\mu(t) \int_0^t \frac{d\hat M^D_i(u)}{Y(u)}
            + \int_0^t \frac{\hat\mu(u)}{Y(u)}\, d\hat M^D_i(u),

    :math:`d\hat M_i = dN_i - Y_i\, d\hat R` and
    :math:`d\hat M^D_i = dD_i - Y_i\, dD/Y` the estimated martingales of the recurrent
    and terminal processes. Without terminal events it reduces to the Nelson-Aalen MCF
    and the Lawless-Nadeau variance.

    Both variances are computed in :math:`O(n \log n)` by sorting once and cumulating
    (:mod:`outcomes.survival._mcf`). Confidence limits are on the log scale,
    :math:`\hat\mu \exp(\pm z_{1-\alpha/2}\,\mathrm{se}/\hat\mu)`, so they stay positive.

    Parameters
    ----------
    df : DataFrame
        Counting-process rows ``(entry, exit]``, non-overlapping within a subject (gaps
        are allowed: a subject is simply not at risk between its intervals), e.g.
        :meth:`outcomes.cohort.Cohort.recurrent`.
    duration_col, event_col : str
        Interval end and 0/1 recurrence at it.
    entry_col : str
        Interval start.
    cluster_col : str
        Subject identifier; the variance treats subjects as independent.
    terminal_col : str, optional
        0/1 terminal event at ``stop``; only a subject's last interval may carry it.
        Given, the Ghosh-Lin estimator is used.
    by : str, optional
        Column defining groups estimated separately.
    times : iterable of float, optional
        Report at these times (read off the right-continuous step functions; NaN after a
        group's last follow-up). Default: every time with a recurrence (or a terminal
        event, for Ghosh-Lin) in the group; a group without any has no rows then.
    alpha : float
        Pointwise confidence level :math:`1 - \alpha`.

    Returns
    -------
    MeanCumulativeFunction
        ``.table`` in the tidy layout, ``.plot(ax=None)``.

    References
    ----------
    Nelson (2003); Lawless & Nadeau (1995); Ghosh & Lin (2000). Full citations in the
    module docstring.
    """
    cols = [cluster_col, entry_col, duration_col, event_col, *(c for c in (terminal_col, by) if c)]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(f"columns not found: {missing}")
    if len(df) == 0:
        raise SchemaError("no rows")
    start = _numeric(df, entry_col)
    stop = _numeric(df, duration_col)
    event = _flag(df, event_col)
    terminal = _flag(df, terminal_col) if terminal_col else np.zeros(len(df))
    bad = start >= stop
    if bad.any():
        reject_rows(df, bad, entry_col, "empty_interval", "start must be before stop")
    subject = pd.factorize(df[cluster_col])[0].astype(np.int64)
    if (subject < 0).any():
        reject_rows(df, subject < 0, cluster_col, "missing", "missing subject id")
    _check_intervals(df, cluster_col, subject, start, stop, terminal, terminal_col)
    query = None if times is None else np.sort(np.asarray(list(times), dtype=np.float64))
    estimator = ghosh_lin_mcf if terminal_col else nelson_aalen_mcf
    groups: Iterable[tuple[Any, np.ndarray]]
    if by is None:
        groups = [("overall", np.arange(len(df)))]
    else:
        if df[by].isna().any():
            reject_rows(df, df[by].isna().to_numpy(), by, "missing", "missing group")
        groups = [(k, np.asarray(v)) for k, v in df.groupby(by, sort=True).indices.items()]
    z = critical_value(alpha)
    frames = []
    for label, idx in groups:
        rows = RecurrentRows.build(subject[idx], start[idx], stop[idx], event[idx], terminal[idx])
        # A group without events has an MCF of 0 wherever it is observed.
        est, var = estimator(rows) if rows.grid.size else (np.empty(0), np.empty(0))
        frames.append(_curve_table(rows, label, est, var, query, z))
    table = pd.concat(frames, ignore_index=True)
    method = "ghosh_lin" if terminal_col else "nelson_aalen"
    table["method"] = method
    table.attrs.update(alpha=alpha, conf_type="log")
    return MeanCumulativeFunction(table=table, alpha=alpha, method=method, by=by)


def _curve_table(
    rows: RecurrentRows,
    label: Any,
    est: np.ndarray,
    var: np.ndarray,
    query: np.ndarray | None,
    z: float,
) -> pd.DataFrame:
    if query is None:
        time, at_risk, events = rows.grid, rows.at_risk, rows.n_event
    else:
        time = query
        est, var = rows.step_at(est, query), rows.step_at(var, query)
        k = np.searchsorted(rows.grid, query, side="left")
        hit = k < rows.grid.size
        hit[hit] = rows.grid[k[hit]] == query[hit]
        events = np.zeros(query.size)
        events[hit] = rows.n_event[k[hit]]
        # #{start < t <= stop} = #{start < t} - #{stop < t}, as start < stop.
        entered = np.searchsorted(np.sort(rows.start), query, side="left")
        at_risk = (entered - np.searchsorted(np.sort(rows.stop), query, side="left")).astype(
            np.float64
        )
        beyond = query > rows.stop.max()
        est, var = np.where(beyond, np.nan, est), np.where(beyond, np.nan, var)
    se = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        # Log-scale limits; at an estimate of 0 the band collapses to 0.
        factor = np.where(est > 0, np.exp(z * se / est), 1.0)
    return pd.DataFrame(
        {
            "group": label,
            "time": time,
            "estimate": est,
            "std_error": se,
            "ci_lower": est / factor,
            "ci_upper": est * factor,
            "at_risk": np.asarray(at_risk, dtype=np.float64),
            "events": events,
        }
    )


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        reject_rows(df, bad, col, "missing_or_non_numeric", "missing or non-numeric values")
    return values


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    values = _numeric(df, col)
    bad = (values != 0) & (values != 1)
    if bad.any():
        reject_rows(df, bad, col, "bad_event_code", "must be 0 or 1")
    return values


def _check_intervals(
    df: pd.DataFrame,
    id_col: str,
    subject: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    terminal: np.ndarray,
    terminal_col: str | None,
) -> None:
    """Intervals of a subject must not overlap, and only its last may be terminal."""
    order = np.lexsort((start, subject))
    same = subject[order][1:] == subject[order][:-1]
    overlap = same & (start[order][1:] < stop[order][:-1])
    if overlap.any():
        bad = np.zeros(len(df), dtype=bool)
        bad[order[1:][overlap]] = True
        reject_rows(df, bad, id_col, "overlapping_intervals", "intervals of a subject overlap")
    if terminal_col is not None:
        not_last = np.r_[same, False]
        early = np.zeros(len(df), dtype=bool)
        early[order] = not_last & (terminal[order] > 0)
        if early.any():
            reject_rows(
                df,
                early,
                terminal_col,
                "terminal_not_last",
                "terminal event before follow-up ends",
            )
