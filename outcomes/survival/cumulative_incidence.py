"""Aalen-Johansen cumulative incidence with exact tied times.

:func:`cumulative_incidence` estimates the cumulative incidence function (CIF) of one or
more causes in the presence of competing events, optionally by group and with case
weights, and returns a :class:`CumulativeIncidence` result: a tidy table, a step-function
lookup (:meth:`CumulativeIncidence.at`) and a plot.

Unlike lifelines' ``AalenJohansenFitter``, tied times are not jittered: all events at a
time are processed together and observations censored at that time are still at risk,
the convention of Kalbfleisch & Prentice (1980) and of R's ``cmprsk::cuminc``, whose
estimates and variances this module reproduces to rounding error.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival import _aalen_johansen as _aj
from outcomes.survival._followup import warn_beyond_followup
from outcomes.survival._inference import critical_value
from outcomes.survival._validation import reject_rows

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CumulativeIncidence", "cumulative_incidence"]

VarianceMethod = Literal["cuminc", "delta"]
ConfType = Literal["log-log", "plain", "logit"]

_COLUMNS = [
    "group",
    "event",
    "time",
    "estimate",
    "variance",
    "std_error",
    "ci_lower",
    "ci_upper",
    "at_risk",
    "events",
]


@dataclass(frozen=True)
class _Curve:
    group: Hashable
    event: Hashable
    table: _aj.EventTable
    estimate: np.ndarray
    variance: np.ndarray
    cause_index: int


@dataclass
class CumulativeIncidence:
    """Result of :func:`cumulative_incidence`.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy estimates, one row per curve and time, with columns ``group`` (only when
        ``by`` was given), ``event``, ``time``, ``estimate``, ``variance``, ``std_error``,
        ``ci_lower``, ``ci_upper``, ``at_risk`` (number at risk just before ``time``,
        weighted when weights were given) and ``events`` (events of that cause at
        ``time``). ``table.attrs`` holds ``alpha``, ``variance`` and ``conf_type``.
    alpha : float
        Confidence intervals are ``1 - alpha``.
    variance_method : {"cuminc", "delta"}
    conf_type : {"log-log", "plain", "logit"}
    by : str or None
        Name of the grouping column.
    """

    table: pd.DataFrame
    alpha: float
    variance_method: str
    conf_type: str
    by: str | None
    _curves: list[_Curve] = field(repr=False)

    # -- lookups -------------------------------------------------------------------------
    def at(self, times: float | Iterable[float]) -> pd.DataFrame:
        """Estimates at arbitrary times, read off the right-continuous step functions.

        Before the first event of the cause the estimate and its variance are 0; after
        the group's largest follow-up time they are undefined (NaN), as in
        ``cmprsk::timepoints``, and a :class:`~outcomes.errors.FollowUpWarning` says so.

        Parameters
        ----------
        times : float or sequence of float

        Returns
        -------
        pandas.DataFrame
            Same columns as :attr:`table`; ``events`` counts the events of the cause at
            exactly that time.
        """
        query = np.atleast_1d(np.asarray(times, dtype=np.float64))
        if np.isnan(query).any():
            raise OutcomesError("times must not contain NaN")
        query = np.sort(query)
        if self._curves:
            # The shortest group's follow-up: past it, that group's estimates are NaN.
            last = min(c.table.last_time for c in self._curves)
            warn_beyond_followup(query, last, "cumulative_incidence", stacklevel=3)
        frames = [self._curve_frame(c, query) for c in self._curves]
        return self._assemble(frames)

    def __getitem__(self, key: Any) -> Any:
        """Column access on :attr:`table` (``res["estimate"]``)."""
        return self.table[key]

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return (
            f"CumulativeIncidence(variance={self.variance_method!r}, "
            f"conf_type={self.conf_type!r}, alpha={self.alpha})\n{self.table!r}"
        )

    def _repr_html_(self) -> str:  # Jupyter shows the table
        html: str = self.table._repr_html_()  # type: ignore[operator]
        return html

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table`."""
        return self.table.copy()

    # -- plotting ------------------------------------------------------------------------
    def plot(
        self,
        ax: Axes | None = None,
        *,
        ci: bool = True,
        ci_alpha: float = 0.2,
        **kwargs: Any,
    ) -> Axes:
        """Draw each curve as a step function with its pointwise confidence band.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Drawn on a new figure when omitted.
        ci : bool
            Shade the ``1 - alpha`` pointwise confidence band.
        ci_alpha : float
            Opacity of the band.
        **kwargs
            Passed to ``Axes.step`` for every curve.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        z = critical_value(self.alpha)
        # With several groups and several causes: one colour per group, one line style
        # per cause, so both can be read off at once. Explicit kwargs win.
        groups = list(dict.fromkeys(c.group for c in self._curves))
        events = list(dict.fromkeys(c.event for c in self._curves))
        palette = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
        styles = ["-", "--", ":", "-."]
        split = len(groups) > 1 and len(events) > 1
        for curve in self._curves:
            # Start at (0, 0) and hold the last value out to the largest follow-up time.
            time = np.concatenate([[0.0], curve.table.time, [curve.table.last_time]])
            est = np.concatenate([[0.0], curve.estimate, curve.estimate[-1:]])
            var = np.concatenate([[0.0], curve.variance, curve.variance[-1:]])
            if not curve.estimate.size:  # no event of any cause in this group
                est, var = np.zeros(2), np.zeros(2)
                time = np.array([0.0, curve.table.last_time])
            style: dict[str, Any] = {}
            if split:
                style["color"] = palette[groups.index(curve.group) % len(palette)]
                style["linestyle"] = styles[events.index(curve.event) % len(styles)]
            style.update(kwargs)
            label = self._label(curve)
            (line,) = ax.step(time, est, where="post", label=label, **style)
            if ci:
                lo, hi = _confidence_interval(est, var, z, self.conf_type)
                ax.fill_between(
                    time, lo, hi, step="post", alpha=ci_alpha, color=line.get_color(), lw=0
                )
        ax.set_xlabel("time")
        ax.set_ylabel("cumulative incidence")
        ax.set_ylim(bottom=0.0)
        ax.set_xlim(left=0.0)
        if len(self._curves) > 1 or self.by is not None:
            ax.legend(frameon=False)
        return ax

    # -- internals -----------------------------------------------------------------------
    def _label(self, curve: _Curve) -> str:
        if self.by is None:
            return f"event {curve.event}"
        return f"{self.by}={curve.group}, event {curve.event}"

    def _curve_frame(self, curve: _Curve, query: np.ndarray) -> dict[str, Any]:
        tab = curve.table
        # A sentinel at -inf (estimate 0) makes every query land on a row.
        grid = np.concatenate([[-np.inf], tab.time])
        pos = np.searchsorted(grid, query, side="right") - 1
        est = np.concatenate([[0.0], curve.estimate])[pos]
        var = np.concatenate([[0.0], curve.variance])[pos]
        on_time = grid[pos] == query
        events = np.where(
            on_time, np.concatenate([[0.0], tab.events[:, curve.cause_index]])[pos], 0.0
        )
        beyond = query > tab.last_time
        est = np.where(beyond, np.nan, est)
        var = np.where(beyond, np.nan, var)
        return {
            "group": curve.group,
            "event": curve.event,
            "time": query,
            "estimate": est,
            "variance": var,
            "at_risk": tab.at_risk_at(query),
            "events": events,
        }

    def _assemble(self, frames: list[dict[str, Any]]) -> pd.DataFrame:
        return _assemble(frames, self.alpha, self.variance_method, self.conf_type, self.by)


def _confidence_interval(
    est: np.ndarray, var: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI for a probability on a transformed scale, mapped back."""
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            lo = np.clip(est - z * se, 0.0, 1.0)
            hi = np.clip(est + z * se, 0.0, 1.0)
        elif conf_type == "log-log":
            # g(F) = log(-log F); se_g = se / |F log F|; F = exp(-exp(g)) is decreasing in g.
            k = np.exp(z * se / (est * np.abs(np.log(est))))
            lo = est**k
            hi = est ** (1.0 / k)
        elif conf_type == "logit":
            k = np.exp(z * se / (est * (1.0 - est)))
            odds = est / (1.0 - est)
            lo = odds / k / (1.0 + odds / k)
            hi = odds * k / (1.0 + odds * k)
        else:  # pragma: no cover - validated by the caller
            raise ValueError(conf_type)
    # Where the transform is undefined (F = 0 or F = 1) or there is no information, the
    # interval collapses to the estimate; NaN estimates (beyond follow-up) stay NaN.
    degenerate = (est <= 0.0) | (est >= 1.0) | (se == 0.0)
    lo = np.where(degenerate, est, lo)
    hi = np.where(degenerate, est, hi)
    return lo, hi


def _assemble(
    frames: list[dict[str, Any]],
    alpha: float,
    variance: str,
    conf_type: str,
    by: str | None,
) -> pd.DataFrame:
    lengths = np.array([len(f["time"]) for f in frames], dtype=np.intp)

    def stack(key: str) -> np.ndarray:
        if not frames:
            return np.empty(0, dtype=np.float64)
        return np.concatenate([np.asarray(f[key], dtype=np.float64) for f in frames])

    est, var = stack("estimate"), stack("variance")
    lo, hi = _confidence_interval(est, var, critical_value(alpha), conf_type)
    columns: dict[str, Any] = {}
    if by is not None:
        # pd.Index infers the labels' natural dtype; repeating it is a fast take.
        columns["group"] = pd.Index([f["group"] for f in frames]).repeat(lengths)
    columns["event"] = pd.Index([f["event"] for f in frames]).repeat(lengths)
    columns.update(
        {
            "time": stack("time"),
            "estimate": est,
            "variance": var,
            "std_error": np.sqrt(var),
            "ci_lower": lo,
            "ci_upper": hi,
            "at_risk": stack("at_risk"),
            "events": stack("events"),
        }
    )
    table = pd.DataFrame({k: np.asarray(v) for k, v in columns.items()})
    table.attrs.update({"alpha": alpha, "variance": variance, "conf_type": conf_type})
    return table


def _check_columns(df: pd.DataFrame, columns: Sequence[str | None]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise OutcomesError(f"df must be a pandas DataFrame, not {type(df).__name__}")
    for col in columns:
        if col is not None and col not in df.columns:
            raise SchemaError(f"column {col!r} is not in the DataFrame", column=col)


def prepare_survival_data(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    weights_col: str | None = None,
    censor_code: Any = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and extract durations, integer cause codes, weights and cause labels.

    Returns
    -------
    time : float ndarray
    cause : int ndarray
        0 for censored, ``k`` for the ``k``-th cause label (1-based).
    weight : float ndarray
    labels : ndarray
        The sorted distinct cause labels (excluding ``censor_code``).
    """
    time = pd.to_numeric(df[duration_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(time)
    if bad.any():
        reject_rows(df, bad, duration_col, "missing_or_non_numeric", "must be finite numbers")
    bad = time < 0
    if bad.any():
        reject_rows(df, bad, duration_col, "negative_time", "must be >= 0")
    event = df[event_col]
    missing = event.isna().to_numpy()
    if missing.any():
        reject_rows(df, missing, event_col, "missing", "has missing values")
    censored = (event == censor_code).to_numpy()
    labels, codes = np.unique(event.to_numpy()[~censored], return_inverse=True)
    cause = np.zeros(len(df), dtype=np.intp)
    cause[~censored] = codes + 1
    if weights_col is None:
        weight = np.ones(len(df), dtype=np.float64)
    else:
        weight = pd.to_numeric(df[weights_col], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(weight) | (weight < 0)
        if bad.any():
            reject_rows(df, bad, weights_col, "negative_weight", "must be finite and >= 0")
    return time, cause, weight, labels


def resolve_causes(event_of_interest: Any, labels: np.ndarray) -> list[int]:
    """Map ``event_of_interest`` (label, list of labels or None) to 0-based cause indexes."""
    if event_of_interest is None:
        wanted = list(labels)
    elif isinstance(event_of_interest, (list, tuple, set, np.ndarray, pd.Index)):
        wanted = list(event_of_interest)
    else:
        wanted = [event_of_interest]
    if not wanted:
        raise OutcomesError("event_of_interest selects no cause")
    present = {lab: i for i, lab in enumerate(labels.tolist())}
    out = []
    for w in wanted:
        key = w.item() if isinstance(w, np.generic) else w
        if key not in present:
            raise OutcomesError(
                f"event_of_interest {key!r} does not occur in the data; causes present: "
                f"{list(present) or 'none (all censored)'}"
            )
        out.append(present[key])
    return out


def group_codes(df: pd.DataFrame, by: str | None) -> tuple[np.ndarray, list[Hashable]]:
    """Integer codes (in sorted label order, as R's ``factor``) and labels of ``by``."""
    if by is None:
        return np.zeros(len(df), dtype=np.intp), [None]
    codes, uniques = pd.factorize(df[by], sort=True)
    missing = codes < 0
    if missing.any():
        reject_rows(df, missing, by, "missing", "has missing values")
    return codes.astype(np.intp), list(uniques)


def sort_by_group_time(time: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Permutation sorting by group, then time (stable)."""
    order = np.argsort(time, kind="stable")
    if n_groups > 1:
        # A stable sort on small integer codes is a radix sort in numpy: cheaper than
        # lexsort and it keeps the time order within each group.
        small = codes.astype(np.int16 if n_groups < 2**15 else np.intp)
        order = order[np.argsort(small[order], kind="stable")]
    return order


def cumulative_incidence(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    *,
    event_of_interest: Any = 1,
    by: str | None = None,
    weights_col: str | None = None,
    times: float | Iterable[float] | None = None,
    alpha: float = 0.05,
    variance: VarianceMethod = "cuminc",
    conf_type: ConfType = "log-log",
    censor_code: Any = 0,
) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of competing events, with exact tied times.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    duration_col : str
        Follow-up time (>= 0).
    event_col : str
        ``censor_code`` (default 0) for censored, otherwise the cause of the event.
    event_of_interest : label, list of labels, or None
        The cause(s) to estimate; ``None`` means every cause in the data. All other
        causes compete.
    by : str, optional
        Column whose levels get separate curves (sorted level order).
    weights_col : str, optional
        Case weights, e.g. inverse probability of treatment weights; counts at risk and
        events become weighted sums (see Notes for the variance).
    times : float or sequence, optional
        Report the step functions at these times instead of at every event time.
    alpha : float
        Confidence intervals have level ``1 - alpha``.
    variance : {"cuminc", "delta"}
        ``"cuminc"`` (default): the Aalen-type estimator of ``cmprsk::cuminc``;
        ``"delta"``: the delta-method (Greenwood-type) estimator.
    conf_type : {"log-log", "plain", "logit"}
        Scale on which the pointwise interval is symmetric.
    censor_code : scalar, keyword-only
        Value of ``event_col`` that marks censoring.

    Returns
    -------
    CumulativeIncidence
        ``.table`` (tidy DataFrame, one row per curve and distinct event time of any
        cause in the group, or per requested time), ``.at(times)``, ``.plot(ax=None)``.

    Notes
    -----
    **Estimator.** At the distinct event times :math:`t_1 < \\dots < t_m` (of any cause)
    let :math:`n_j` be the number at risk just before :math:`t_j` -- subjects censored
    at :math:`t_j` are still at risk, all events at :math:`t_j` are processed together
    (no jitter) -- :math:`d_j` the events of any cause and :math:`d_{kj}` those of cause
    :math:`k`. With the all-cause Kaplan-Meier estimate
    :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j)`, the Aalen-Johansen estimate
    (Aalen & Johansen 1978; Kalbfleisch & Prentice 1980) is

    .. math:: \\hat F_k(t) = \\sum_{t_j \\le t} \\hat S(t_{j-1}) \\frac{d_{kj}}{n_j}.

    With a single cause it equals :math:`1 - \\hat S(t)`.

    **Variance, "cuminc".** The estimator ``cmprsk::cuminc`` reports (Aalen 1978; Dinse
    & Larson 1986; Gray's implementation), with :math:`d_{1j} = d_{kj}`,
    :math:`d_{2j} = d_j - d_{kj}`:

    .. math::

        \\hat V(t) = \\sum_{t_j \\le t} \\Big\\{
          w^{(2)}_j \\Big[\\frac{\\hat F_k(t_j) - \\hat F_k(t)}{\\hat S(t_j)}\\Big]^2
          + w^{(1)}_j \\Big[1 + \\frac{\\hat F_k(t_j) - \\hat F_k(t)}{\\hat S(t_j)}\\Big]^2
          \\Big\\},\\qquad
        w^{(r)}_j = \\frac{\\hat S(t_{j-1})^2\\, d_{rj}}{n_j^2}
          \\Big(1 - \\frac{d_{rj} - 1}{n_j - 1}\\Big),

    where the last factor corrects for tied events; the competing term is dropped and
    :math:`1/\\hat S(t_j)` read as 0 once :math:`\\hat S(t_j) = 0`.

    **Variance, "delta".** The delta-method estimator derived from Greenwood's formula
    (Marubini & Valsecchi 1995; Pintilie 2006, sec. 4.2.2; SAS ``PROC LIFETEST``):

    .. math::

        \\hat V(t) = \\sum_{t_j \\le t} \\Big\\{ [\\hat F_k(t) - \\hat F_k(t_j)]^2
          \\frac{d_j}{n_j (n_j - d_j)}
          + \\hat S(t_{j-1})^2 \\frac{d_{kj}(n_j - d_{kj})}{n_j^3}
          - 2 [\\hat F_k(t) - \\hat F_k(t_j)]\\, \\hat S(t_{j-1}) \\frac{d_{kj}}{n_j^2}
          \\Big\\}.

    Both change only where :math:`\\hat F_k` jumps; both are computed with running sums
    (the squares expanded in :math:`\\hat F_k(t)`), so the cost is one sort plus
    :math:`O(n)`.

    **Confidence intervals.** By default on the complementary log-log scale,
    :math:`g(F) = \\log(-\\log F)` with
    :math:`\\mathrm{se}(g) = \\mathrm{se}(\\hat F) / |\\hat F \\log \\hat F|`, i.e.
    :math:`[\\hat F^{\\exp(z\\,\\mathrm{se}(g))}, \\hat F^{\\exp(-z\\,\\mathrm{se}(g))}]`,
    which stays inside (0, 1) and is what users of ``cmprsk::timepoints`` usually
    compute (Pintilie 2006; Choudhury 2002). ``"logit"`` and ``"plain"`` (Wald, clipped
    to [0, 1]) are also available. Where :math:`\\hat F` is 0 or 1, or has zero
    variance, the interval collapses to the estimate.

    **Weights.** With ``weights_col`` every count above becomes a weighted sum, which
    gives the IPTW-weighted (marginal) cumulative incidence. Both variance formulas then
    treat the weights as frequency weights; they ignore that IPT weights are estimated
    and that weighted pseudo-counts are not counts (the tie factor uses them as if they
    were), so they are not valid standard errors for IPTW analyses -- use a (cluster)
    bootstrap that re-estimates the weights.

    References
    ----------
    Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for
    non-homogeneous Markov chains based on censored observations. *Scand. J. Statist.*
    5, 141-150.

    Aalen, O. O. (1978). Nonparametric estimation of partial transition probabilities in
    multiple decrement models. *Ann. Statist.* 6, 534-545.

    Kalbfleisch, J. D. & Prentice, R. L. (1980). *The Statistical Analysis of Failure
    Time Data*. Wiley.

    Dinse, G. E. & Larson, M. G. (1986). A note on semi-Markov models for partially
    censored data. *Biometrika* 73, 379-386.

    Gray, R. J. (1988). A class of K-sample tests for comparing the cumulative incidence
    of a competing risk. *Ann. Statist.* 16, 1141-1154.

    Pintilie, M. (2006). *Competing Risks: A Practical Perspective*. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from outcomes.survival import cumulative_incidence
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "e": [1, 2, 1, 0, 1, 0]})
    >>> res = cumulative_incidence(df, "t", "e")
    >>> res.table[["time", "estimate", "at_risk"]]
       time  estimate  at_risk
    0   1.0  0.166667      6.0
    1   2.0  0.333333      5.0
    2   4.0  0.583333      2.0
    """
    _check_columns(df, [duration_col, event_col, by, weights_col])
    if variance not in ("cuminc", "delta"):
        raise OutcomesError(f"variance must be 'cuminc' or 'delta', not {variance!r}")
    if conf_type not in ("log-log", "plain", "logit"):
        raise OutcomesError(f"conf_type must be 'log-log', 'plain' or 'logit', not {conf_type!r}")
    if not 0.0 < alpha < 1.0:
        raise OutcomesError(f"alpha must be in (0, 1), not {alpha!r}")
    if len(df) == 0:
        raise SchemaError("df has no rows")

    time, cause, weight, labels = prepare_survival_data(
        df, duration_col, event_col, weights_col, censor_code
    )
    wanted = resolve_causes(event_of_interest, labels)
    codes, groups = group_codes(df, by)
    order = sort_by_group_time(time, codes, len(groups))
    time, cause, weight, codes = time[order], cause[order], weight[order], codes[order]
    bounds = np.searchsorted(codes, np.arange(len(groups) + 1), side="left")

    curves: list[_Curve] = []
    for g, label in enumerate(groups):
        sl = slice(bounds[g], bounds[g + 1])
        tab = _aj.event_table(time[sl], cause[sl], weight[sl], len(labels))
        surv, surv_minus = _aj.all_cause_survival(tab)
        for k in wanted:
            est, var = _aj.cumulative_incidence_curve(tab, surv, surv_minus, k, variance)
            ev = labels[k]
            curves.append(
                _Curve(label, ev.item() if isinstance(ev, np.generic) else ev, tab, est, var, k)
            )

    if times is None:
        frames = [
            {
                "group": c.group,
                "event": c.event,
                "time": c.table.time,
                "estimate": c.estimate,
                "variance": c.variance,
                "at_risk": c.table.at_risk,
                "events": c.table.events[:, c.cause_index],
            }
            for c in curves
        ]
        table = _assemble(frames, alpha, variance, conf_type, by)
        result = CumulativeIncidence(table, alpha, variance, conf_type, by, curves)
    else:
        result = CumulativeIncidence(pd.DataFrame(), alpha, variance, conf_type, by, curves)
        result.table = result.at(times)
    return result
