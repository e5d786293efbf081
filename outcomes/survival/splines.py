r"""Continuous exposures in Cox models: natural cubic splines and hazard-ratio curves.

Proceedings duration enters a Cox model as a natural (restricted) cubic spline through
the formula, with formulaic's ``cr`` transform (Wood 2017, section 5.3.1): a cubic
spline with knots at quantiles of the data, second derivative zero at the boundary knots
and so linear beyond them, which keeps the tails of the curve from flapping where data are
thin (Harrell 2015, section 2.4.5). :func:`natural_spline_term` writes the term:

>>> fitter = CoxFitter().fit(
...     cohort.data, "time", "event",
...     formula=natural_spline_term("duration_weeks") + " + C(final_order)",
... )  # doctest: +SKIP
>>> table = duration_hazard_ratio(fitter, cohort)  # doctest: +SKIP
>>> plot_duration_hazard_ratio(table)  # doctest: +SKIP

``constraints='center'`` removes the constant from the basis, which a Cox model cannot
estimate (the baseline hazard absorbs it); contrasts between durations do not depend on
it. The basis remembers its knots (formulaic's model spec), so new values -- including
values outside the data, where the curve is linear -- use the knots of the fit.

References
----------
Harrell, F. E. (2015). *Regression Modeling Strategies*, 2nd ed. Springer.

Wood, S. N. (2017). *Generalized Additive Models: an Introduction with R*, 2nd ed.
Chapman & Hall/CRC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival._base import ProportionalHazardsFitter
from outcomes.survival._inference import wald

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "duration_hazard_ratio",
    "natural_spline_basis",
    "natural_spline_term",
    "plot_duration_hazard_ratio",
]


def natural_spline_term(column: str = "duration_weeks", df: int = 4) -> str:
    """Formula term for a natural cubic spline of ``column`` with ``df`` degrees of freedom.

    Parameters
    ----------
    column : str
        Continuous covariate.
    df : int
        Number of basis columns (coefficients). ``df - 1`` interior knots sit at equally
        spaced quantiles of ``column`` (``df=4``: quartiles), the boundary knots at its
        minimum and maximum.

    Returns
    -------
    str
        ``"cr(column, df=df, constraints='center')"``, for the ``formula`` of
        :class:`~outcomes.survival.cox.CoxFitter` and the recurrent-event fitters.
    """
    if df < 1:
        raise OutcomesError(f"df must be at least 1, not {df}")
    return f"cr({column}, df={df}, constraints='center')"


def natural_spline_basis(values: Any, df: int, state: dict[str, Any]) -> np.ndarray:
    """The columns of :func:`natural_spline_term`'s term at ``values``, without a formula.

    For code that evaluates the same basis many times (a g-formula evaluates it at
    every policy's durations in every bootstrap replicate), where building a model
    matrix costs several times the basis itself.

    Parameters
    ----------
    values : array-like, shape (n,)
    df : int
        As for :func:`natural_spline_term`.
    state : dict
        The basis's knots and centring. An empty dict is filled from ``values`` (the
        fit: knots at their quantiles); a filled one is used as it is (new values,
        the knots of the fit). It is formulaic's transform state for the term, so a
        model spec's (``spec.transform_state[term]``) serves as well.

    Returns
    -------
    ndarray, shape (n, df)
        Equal to the term's columns in a formulaic model matrix.
    """
    from formulaic.transforms.cubic_spline import cubic_spline

    if df < 1:
        raise OutcomesError(f"df must be at least 1, not {df}")
    x = np.asarray(values, dtype=np.float64)
    columns = cubic_spline(x, df=df, constraints="center", _state=state)  # {name: column}
    return np.column_stack([np.asarray(c, dtype=np.float64) for c in columns.values()])


def duration_hazard_ratio(
    fitter: ProportionalHazardsFitter,
    data: pd.DataFrame,
    column: str = "duration_weeks",
    reference: float = 26.0,
    grid: Iterable[float] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Hazard ratio across ``column`` relative to ``reference``, with a pointwise band.

    With :math:`b(d)` the model's design row at duration :math:`d` (every other covariate
    held at the values of one profile row), the log hazard ratio against the reference
    :math:`d_0` is a linear contrast of the coefficients,

    .. math::

        \log \mathrm{HR}(d) = c(d)^\top \hat\beta, \qquad c(d) = b(d) - b(d_0),

    with delta-method (here exact, the contrast being linear) variance
    :math:`c(d)^\top \hat V c(d)`, :math:`\hat V` the fitter's variance matrix
    (cluster-robust when the fit was clustered). Limits are
    :math:`\exp\{c^\top\hat\beta \pm z_{1-\alpha/2}\,(c^\top \hat V c)^{1/2}\}`; at
    :math:`d_0` the contrast is exactly zero, so the ratio is 1 with zero width.

    Parameters
    ----------
    fitter : CoxFitter
        Fitted with a ``formula`` in which ``column`` appears (typically through
        :func:`natural_spline_term`), e.g. by ``CoxFitter`` or
        :class:`~outcomes.survival.AndersenGillFitter`.
    data : DataFrame
        Supplies the default grid (1st to 99th percentile of ``column``) and the profile:
        the first row whose design is complete. Only models with an interaction between
        ``column`` and another covariate depend on the profile; pass a one-row frame
        to choose it.
    column : str
        The continuous covariate.
    reference : float
        Value with hazard ratio 1 (26 weeks: the statutory time limit for care
        proceedings).
    grid : iterable of float, optional
        Values of ``column`` to report; ``reference`` is always added.
    alpha : float
        Pointwise confidence level :math:`1 - \alpha`.

    Returns
    -------
    DataFrame
        One row per grid value: ``column``, ``reference``, ``estimate`` (log hazard
        ratio), ``std_error``, ``ci_lower``, ``ci_upper`` (log scale), ``p_value``
        (Wald, NaN at the reference), ``hazard_ratio``, ``hr_ci_lower``,
        ``hr_ci_upper``. ``attrs`` holds ``alpha``, ``column`` and ``reference``.
    """
    if column not in data.columns:
        raise SchemaError(f"column not found: {column!r}")
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=np.float64)
    if grid is None:
        lo, hi = np.nanpercentile(values, [1, 99])
        grid = np.linspace(lo, hi, 101)
    points = np.unique(np.r_[np.asarray(list(grid), dtype=np.float64), reference])
    profile = _profile_row(fitter, data)
    frame = pd.concat([profile] * (points.size + 1), ignore_index=True)
    frame[column] = np.r_[reference, points]
    X = _design_rows(fitter, frame)
    # Subtracting the reference row cancels every column that does not involve `column`
    # exactly (same profile values), and the reference row's own contrast is exactly 0.
    contrast = X[1:] - X[0]
    if not np.any(contrast):
        raise OutcomesError(f"{column!r} does not enter the model's formula")
    beta = fitter.params_.to_numpy()
    V = fitter.cov_params().to_numpy()
    est = contrast @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", contrast, V, contrast), 0.0))
    # The fitter's reference distribution: t(G-1) when few clusters were corrected.
    ci_lower, ci_upper, p = wald(est, se, alpha, fitter.df_)
    out = pd.DataFrame(
        {
            column: points,
            "reference": reference,
            "estimate": est,
            "std_error": se,
            "ci_lower": ci_lower,
            "ci_upper": ci_upper,
            "p_value": p,
        }
    )
    out["hazard_ratio"] = np.exp(out["estimate"])
    out["hr_ci_lower"] = np.exp(out["ci_lower"])
    out["hr_ci_upper"] = np.exp(out["ci_upper"])
    out.attrs.update(alpha=alpha, column=column, reference=reference)
    return out


def _design_rows(fitter: ProportionalHazardsFitter, frame: pd.DataFrame) -> Any:
    """The fitted model's design matrix for new rows (formula state, e.g. knots, kept)."""
    return fitter.design_matrix(frame).to_numpy()


def _profile_row(fitter: ProportionalHazardsFitter, data: pd.DataFrame) -> pd.DataFrame:
    """First row (of the first 1,000) whose design row is complete."""
    head = data.head(1000).reset_index(drop=True)
    X = _design_rows(fitter, head)
    complete = np.flatnonzero(np.all(np.isfinite(X), axis=1))
    if complete.size == 0:
        raise OutcomesError("no row of data has complete covariates to hold fixed")
    return head.iloc[[int(complete[0])]]


def plot_duration_hazard_ratio(
    table: pd.DataFrame, ax: Axes | None = None, *, log_scale: bool = True, **kwargs: Any
) -> Axes:
    """Draw the hazard-ratio curve of :func:`duration_hazard_ratio` with its band.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`duration_hazard_ratio`.
    ax : matplotlib Axes, optional
        Drawn on a new figure when omitted.
    log_scale : bool
        Logarithmic hazard-ratio axis, on which ratios ``r`` and ``1/r`` are symmetric.
    **kwargs
        Passed to ``Axes.plot`` for the curve.

    Returns
    -------
    matplotlib Axes
        With the curve, the pointwise band, a dashed line at HR 1 and a marker at the
        reference value.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    column = table.attrs.get("column", table.columns[0])
    reference = table.attrs.get("reference", float(table["reference"].iloc[0]))
    x = table[column].to_numpy()
    (line,) = ax.plot(x, table["hazard_ratio"].to_numpy(), **kwargs)
    ax.fill_between(
        x,
        table["hr_ci_lower"].to_numpy(),
        table["hr_ci_upper"].to_numpy(),
        alpha=0.2,
        color=line.get_color(),
        linewidth=0,
    )
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.plot([reference], [1.0], marker="o", color="black", linestyle="none")
    if log_scale:
        ax.set_yscale("log")
    alpha = table.attrs.get("alpha", 0.05)
    ax.set_xlabel(str(column))
    ax.set_ylabel(f"hazard ratio vs {reference:g} ({100 * (1 - alpha):g}% CI)")
    return ax
