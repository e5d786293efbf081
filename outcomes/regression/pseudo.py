r"""Pseudo-observations for the risk, survival and restricted mean at a horizon.

A pseudo-observation turns a censored outcome into one number per person that can be
the response of an ordinary regression model (Andersen, Klein & Rosthøj 2003). For an
estimator :math:`\hat\theta` of a marginal quantity :math:`\theta` (the cumulative
incidence :math:`F_k(\tau)` of cause :math:`k`, the event-free survival :math:`S(\tau)`,
the restricted mean event-free time :math:`\int_0^\tau S(u)\,du` or the restricted mean
time lost to cause :math:`k`, :math:`\int_0^\tau F_k(u)\,du`), the jackknife
pseudo-observation of person :math:`i` is

.. math:: \hat\theta_i = n\hat\theta - (n - 1)\hat\theta_{-i},

with :math:`\hat\theta_{-i}` the estimate without person :math:`i`. Under independent
censoring :math:`E(\hat\theta_i \mid Z_i) \approx E\{f(T_i) \mid Z_i\}` (Graw, Gerds &
Schumacher 2009; Overgaard, Parner & Pedersen 2017), so a generalised linear model for
the pseudo-observations is a model for the quantity itself.

Leave-one-out without refitting
-------------------------------
The estimators are those of :mod:`outcomes.survival`: the Aalen-Johansen estimator
(Kaplan-Meier for one cause), with exact ties as there (and as R's ``survival`` and
``prodlim``): at the distinct event times :math:`t_1 < \dots < t_m`, :math:`n_j` are at
risk (duration :math:`\ge t_j`, so censorings at :math:`t_j` count), :math:`d_j` have
an event of any cause and :math:`d_{kj}` one of cause :math:`k`;
:math:`S_j = \prod_{l \le j}(1 - d_l/n_l)` and
:math:`F_{k}(t_j) = \sum_{l \le j} S_{l-1}\, d_{kl}/n_l`.

Removing person :math:`i` (duration :math:`T_i`, status :math:`\delta_i`) changes only
the event times :math:`t_j \le T_i`, where :math:`n_j` drops by one, and at
:math:`t_j = T_i` also :math:`d_j` (and :math:`d_{kj}`) when :math:`i` had the event.
Hence, with :math:`p_i` the number of event times before :math:`T_i` and :math:`q_i`
those up to and including it,

* before :math:`T_i` every leave-one-out estimate is the same *shifted* estimate, with
  :math:`n_j - 1` in place of :math:`n_j`:
  :math:`S'_j = \prod_{l \le j}\{1 - d_l/(n_l - 1)\}` and
  :math:`B_j = \sum_{l \le j} S'_{l-1}\, d_{kl}/(n_l - 1)`, one cumulative product and
  sum for everybody;
* at :math:`T_i` (when it is an event time :math:`t_j`) the factor
  :math:`f_i = 1 - (d_j - [\delta_i \ne 0])/(n_j - 1)` and the increment
  :math:`c_i = S'_{j-1}(d_{kj} - [\delta_i = k])/(n_j - 1)`;
* after :math:`T_i` the data are unchanged, so for :math:`u \ge T_i`

  .. math::

      \hat S_{-i}(u) = S'_{p_i} f_i \frac{\hat S(u)}{S_{q_i}}, \qquad
      \hat F_{k,-i}(u) = B_{p_i} + c_i + \frac{S'_{p_i} f_i}{S_{q_i}}
          \{\hat F_k(u) - \hat F_k(t_{q_i})\}.

Every leave-one-out curve is therefore "a common step function up to :math:`T_i`,
then :math:`\alpha_i + \beta_i\{\Phi(u) - \Phi(t_{q_i})\}`" with :math:`\Phi` the full
estimate, and its value at :math:`\tau` or its integral over :math:`[0, \tau]` needs
only look-ups in cumulative sums and integrals of step functions: :math:`O(n \log n)`
for the sort and :math:`O(\log n)` per person and horizon, instead of :math:`n` refits.
(When :math:`S_{q_i} = 0` everyone left at :math:`T_i` had the event there, nothing
follows, and the ratio is taken as 1; when :math:`n_j - 1 = 0` the time has no one at
risk once :math:`i` is removed and contributes nothing.)

Case weights
------------
With case weights :math:`w_i` (``weights_col``) the estimator is the weighted
Aalen-Johansen estimator (:math:`n_j` and :math:`d_j` are sums of weights) and the
leave-one-out removes row :math:`i`'s whole weight; the pseudo-observation is

.. math:: \hat\theta_i = \hat\theta + \frac{W - w_i}{w_i}(\hat\theta - \hat\theta_{-i}),
    \qquad W = \sum_k w_k,

which is :math:`n\hat\theta - (n-1)\hat\theta_{-i}` when all weights are 1 and tends
to the infinitesimal jackknife below as :math:`w_i/W \to 0`. The formulas above hold
with :math:`n_j - w_i` in place of :math:`n_j - 1`, so the shifted curve is shared by
everyone with the same weight: the cost is one pass per distinct weight (one when
unweighted or with a few weight levels; with many distinct weights prefer the
infinitesimal jackknife, one pass in all).

Infinitesimal jackknife
-----------------------
``method="infinitesimal_jackknife"`` replaces the leave-one-out difference by the
derivative with respect to person :math:`i`'s case weight,
:math:`\hat\theta_i = \hat\theta + n\,\partial\hat\theta/\partial w_i` (Parner, Andersen
& Overgaard 2023; the ``influence`` of R's ``survfit``). With
:math:`h_l = d_l/\{n_l(n_l - d_l)\}`, :math:`H_j = \sum_{l\le j} h_l` and
:math:`\gamma_i = [\delta_i \ne 0]/(n_{q_i} - d_{q_i})`,

.. math::

    \frac{\partial \log\hat S(u)}{\partial w_i} = H_{\min(r_u, q_i)} - \gamma_i [T_i \le u],
    \qquad
    \frac{\partial\hat F_k(u)}{\partial w_i} = \sum_{t_j \le u} \Big\{
       \frac{S_{j-1} d_{kj}}{n_j} \frac{\partial \log\hat S(t_j^-)}{\partial w_i}
       + S_{j-1}\Big(\frac{dN_{ki}(t_j)}{n_j} - \frac{d_{kj}Y_i(t_j)}{n_j^2}\Big)\Big\},

(:math:`r_u` the event times up to :math:`u`), which has the same "common up to
:math:`T_i`, then :math:`\alpha_i + \beta_i\Phi`" form. The two methods agree to
:math:`O(1/n)` and the derivative needs no division by :math:`S_{q_i}`. The same
formulas with weighted :math:`n_j, d_j` give the derivative at any weights, and with
case weights the pseudo-observation is :math:`\hat\theta + W\,\partial\hat\theta/
\partial w_i` (a row of weight 3 gets the value of three identical rows).

References
----------
Andersen, P. K., Klein, J. P. and Rosthøj, S. (2003). Generalised linear models for
correlated pseudo-observations, with applications to multi-state models. *Biometrika*
90, 15-27.
Andersen, P. K. and Perme, M. P. (2010). Pseudo-observations in survival analysis.
*Statistical Methods in Medical Research* 19, 71-99.
Graw, F., Gerds, T. A. and Schumacher, M. (2009). On pseudo-values for regression
analysis in competing risks models. *Lifetime Data Analysis* 15, 241-255.
Overgaard, M., Parner, E. T. and Pedersen, J. (2017). Asymptotic theory of generalized
estimating equations based on jack-knife pseudo-observations. *Annals of Statistics*
45, 1988-2015.
Binder, N., Gerds, T. A. and Andersen, P. K. (2014). Pseudo-observations for competing
risks with covariate dependent censoring. *Lifetime Data Analysis* 20, 303-315.
Parner, E. T., Andersen, P. K. and Overgaard, M. (2023). Regression models for censored
time-to-event data using infinitesimal jack-knife pseudo-observations, with
applications to left-truncation. *Lifetime Data Analysis* 29, 654-671.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from outcomes.errors import ModelError, OutcomesError, SchemaError
from outcomes.survival._followup import warn_beyond_followup
from outcomes.survival._validation import check_choice, reject_rows, strata_labels

__all__ = ["ESTIMANDS", "METHODS", "pseudo_observations"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

ESTIMANDS = ("risk", "survival", "rmst", "rmtl")
# Distinct weights x event times beyond which the weighted jackknife would take minutes.
_MAX_WEIGHT_PASSES = 2e8
METHODS = ("jackknife", "infinitesimal_jackknife")


@dataclass(frozen=True)
class _Steps:
    """Everything per event time that the leave-one-out formulas look up.

    Arrays indexed ``0..m`` hold the value on :math:`[t_j, t_{j+1})` (index 0: before
    the first event time); arrays of length ``m`` are per event time. ``n``, ``d`` and
    ``d1`` are weighted sums (complex when the weights are, see :func:`_influence`).
    """

    grid: FloatArray  # 0, t_1, ..., t_m
    n: Any
    d: Any
    d1: Any
    S: Any  # 0..m
    F: Any  # 0..m


def _steps(time: FloatArray, cause: IntArray, weight: Any) -> _Steps:
    """Event table of one group (sorted by time), causes recoded 1 (of interest) / 2.

    The same table as :func:`outcomes.survival._aalen_johansen.event_table` (everyone
    with duration :math:`\\ge t_j` at risk at :math:`t_j`), tabulated here because the
    corrected variance evaluates it at complex weights, which ``bincount`` does not take:
    the real and imaginary parts are tabulated separately, and the event times come
    from the codes, not from the weighted counts.
    """
    n_obs = time.shape[0]
    new = np.empty(n_obs, dtype=bool)
    new[:1] = True
    np.not_equal(time[1:], time[:-1], out=new[1:])
    tie = np.cumsum(new) - 1
    n_times = int(tie[-1]) + 1 if n_obs else 0
    key = tie * 3 + cause

    def tabulate(x: FloatArray) -> Any:
        return np.bincount(key, weights=x, minlength=n_times * 3).reshape(n_times, 3)

    if np.iscomplexobj(weight):
        counts = tabulate(weight.real) + 1j * tabulate(weight.imag)
    else:
        counts = tabulate(weight)
    has_event = np.bincount(tie[cause > 0], minlength=n_times) > 0
    at_risk = np.cumsum(counts.sum(axis=1)[::-1])[::-1]
    n, d1 = at_risk[has_event], counts[has_event, 1]
    d = d1 + counts[has_event, 2]
    S = np.concatenate([[1.0], np.cumprod(1.0 - d / n)])
    F = np.concatenate([[0.0], np.cumsum(S[:-1] * d1 / n)])
    grid = np.concatenate([[0.0], time[new][has_event]])
    return _Steps(grid=grid, n=n, d=d, d1=d1, S=S, F=F)


def _cum_integral(steps: _Steps, values: Any) -> Any:
    """:math:`\\int_0^{t_j} g` at each grid point for the step function ``values``."""
    widths = np.diff(steps.grid)
    return np.concatenate([[0.0], np.cumsum(values[:-1] * widths)])


def _integral_to(steps: _Steps, values: Any, cum: Any, x: FloatArray) -> Any:
    """:math:`\\int_0^{x} g` for each ``x`` (``cum`` from :func:`_cum_integral`)."""
    r = np.searchsorted(steps.grid, x, side="right") - 1
    r = np.maximum(r, 0)
    return cum[r] + values[r] * (x - steps.grid[r])


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with 0 where ``den`` is 0 (nothing at risk follows)."""
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _leave_one_out(
    time: FloatArray,
    status: IntArray,
    weight: Any,
    cause: int,
    horizons: FloatArray,
    estimand: str,
    method: str,
) -> tuple[Any, Any]:
    """The full estimate at each horizon and, per person (caller's order), the estimate
    without them (``"jackknife"``) or its derivative in their weight (otherwise).

    Weights must be positive; they may be complex for ``"infinitesimal_jackknife"``
    (comparisons then use the real parts).
    """
    n_obs = time.shape[0]
    # Everything below runs in time order (look-ups into the event-time arrays are then
    # monotone, hence cache-friendly) and is put back in the caller's order at the end.
    order = np.argsort(time)
    time, status, w = time[order], status[order], weight[order]
    any_event = status != 0
    of_interest = status == cause if estimand in ("risk", "rmtl") else any_event
    code = np.where(of_interest, 1, np.where(any_event, 2, 0)).astype(np.intp)
    st = _steps(time, code, w)
    m = st.n.shape[0]
    # A weighted count that is zero in exact arithmetic may come out as rounding noise;
    # anything below this is zero.
    tiny = 1e-10 * float(np.sum(w.real))
    # p: event times before T_i; q: up to and including T_i; p is T_i's own index in the
    # per-event-time arrays when T_i is an event time (at).
    p = np.searchsorted(st.grid[1:], time, side="left")
    q = np.searchsorted(st.grid[1:], time, side="right")
    at = q > p
    zero = np.zeros(n_obs, dtype=st.n.dtype)
    if m:
        j = np.minimum(p, m - 1)
        n_at, d_at, d1_at = (np.where(at, a[j], zero) for a in (st.n, st.d, st.d1))
    else:
        n_at = d_at = d1_at = zero
    cif = estimand in ("risk", "rmtl")
    Phi = st.F if cif else st.S
    cum_phi = _cum_integral(st, Phi)
    if estimand in ("risk", "survival"):
        full = Phi[np.searchsorted(st.grid[1:], horizons, side="right")]
    else:
        full = _integral_to(st, Phi, cum_phi, horizons)

    value = np.empty((n_obs, horizons.shape[0]), dtype=st.n.dtype)
    if method == "jackknife":
        # Leaving out person i lowers the numbers at risk before T_i by w_i: everyone
        # with the same weight shares one shifted curve (one group when unweighted).
        groups: list[tuple[float, Any]] = (
            [(float(w[0]), slice(None))] if np.all(w == w[0]) else _same_weight(w)
        )
        if len(groups) * max(m, 1) > _MAX_WEIGHT_PASSES:
            raise OutcomesError(
                f"the weighted jackknife makes one pass over the {m} event times per "
                f"distinct case weight, and there are {len(groups)}: too slow; use "
                f"method='infinitesimal_jackknife' (one pass in all, the same values to "
                f"O(1/n))"
            )
        for v, rows in groups:
            left_all = st.n - v
            ok = left_all > tiny
            with np.errstate(divide="ignore", invalid="ignore"):
                shifted = np.where(ok, 1.0 - st.d / left_all, 1.0)
                Sp = np.concatenate([[1.0], np.cumprod(shifted)])
                inc = np.where(ok, Sp[:-1] * st.d1 / left_all, 0.0)
            B = np.concatenate([[0.0], np.cumsum(inc)])
            left = n_at[rows] - v
            usable = at[rows] & (left > tiny)
            safe = np.where(usable, left, 1.0)
            Sp_p = Sp[p[rows]]
            scaled = Sp_p * np.where(usable, 1.0 - (d_at[rows] - v * any_event[rows]) / safe, 1.0)
            beta = _ratio(scaled, st.S[q[rows]])
            if cif:
                own = np.where(usable, Sp_p * (d1_at[rows] - v * of_interest[rows]) / safe, 0.0)
                alpha = B[p[rows]] + own
            else:
                alpha = scaled
            _fill(
                value,
                rows,
                time,
                q,
                st,
                Phi,
                cum_phi,
                B if cif else Sp,
                alpha,
                beta,
                horizons,
                estimand,
            )
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where((st.n - st.d).real > tiny, st.d / (st.n * (st.n - st.d)), 0.0)
            gamma = np.where(
                at & any_event & ((n_at - d_at).real > tiny), 1.0 / (n_at - d_at), 0.0
            )
        H = np.concatenate([[0.0], np.cumsum(h)])
        beta = H[q] - gamma
        if cif:
            a = st.S[:-1] * st.d1 / st.n
            AH = np.concatenate([[0.0], np.cumsum(a * H[:-1])])
            E = np.concatenate([[0.0], np.cumsum(st.S[:-1] * st.d1 / st.n**2)])
            before = AH - E
            with np.errstate(divide="ignore", invalid="ignore"):
                own = np.where(at & of_interest, st.S[p] / np.where(at, n_at, 1.0), 0.0)
            alpha = AH[q] - E[q] + own
        else:
            before = st.S * H
            alpha = st.S[q] * beta
        _fill(
            value,
            np.arange(n_obs),
            time,
            q,
            st,
            Phi,
            cum_phi,
            before,
            alpha,
            beta,
            horizons,
            estimand,
        )
    out = np.empty_like(value)
    out[order] = value
    return full, out


def _same_weight(w: FloatArray) -> list[tuple[float, IntArray]]:
    """Each distinct weight and the positions (ascending) that carry it."""
    values, inverse = np.unique(w, return_inverse=True)
    by = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=values.shape[0]))[:-1]
    return list(zip(values.tolist(), np.split(by, bounds), strict=True))


def _fill(
    value: Any,
    rows: Any,
    time: FloatArray,
    q: IntArray,
    st: _Steps,
    Phi: Any,
    cum_phi: Any,
    before: Any,
    alpha: Any,
    beta: Any,
    horizons: FloatArray,
    estimand: str,
) -> None:
    """Each leave-one-out curve of ``rows`` (sorted by time) at or integrated to every
    horizon: ``before`` up to :math:`T_i`, then :math:`\\alpha_i + \\beta_i\\{\\Phi(u) -
    \\Phi(T_i)\\}`."""
    t = time[rows]
    # After T_i every curve is alpha + beta * (Phi(u) - Phi(T_i)) = base + beta * Phi(u).
    base = alpha - beta * Phi[q[rows]]
    point = estimand in ("risk", "survival")
    if not point:
        cum_before = _cum_integral(st, before)
        phi_to_t = _integral_to(st, Phi, cum_phi, t)
        before_to_t = _integral_to(st, before, cum_before, t)
    for col, tau in enumerate(horizons):
        r = int(np.searchsorted(st.grid[1:], tau, side="right"))
        # t is sorted: rows [0, k) end by tau, rows [k, n) are still followed at tau.
        k = int(np.searchsorted(t, tau, side="right"))
        out = np.empty(t.shape[0], dtype=value.dtype)
        if point:
            out[k:] = before[r]
            out[:k] = base[:k] + beta[:k] * Phi[r]
        else:
            tau_arr = np.array([tau])
            full = _integral_to(st, Phi, cum_phi, tau_arr)[0]
            out[k:] = _integral_to(st, before, cum_before, tau_arr)[0]
            out[:k] = before_to_t[:k] + (tau - t[:k]) * base[:k] + beta[:k] * (full - phi_to_t[:k])
        value[rows, col] = out


def _group_values(
    time: FloatArray,
    status: IntArray,
    weight: FloatArray,
    cause: int,
    horizons: FloatArray,
    estimand: str,
    method: str,
) -> FloatArray:
    """Pseudo-observations of one group (any order), shape ``(n, len(horizons))``."""
    full, value = _leave_one_out(time, status, weight, cause, horizons, estimand, method)
    total = float(np.sum(weight))
    if method == "jackknife" and np.all(weight == 1.0):
        return np.asarray(total * full - (total - 1.0) * value)
    if method == "jackknife":
        w = weight[:, None]
        return np.asarray((total / w) * full - ((total - w) / w) * value)
    return np.asarray(full + total * value)


def _influence(
    time: FloatArray,
    status: IntArray,
    weight: Any,
    cause: int,
    horizons: FloatArray,
    estimand: str,
) -> tuple[Any, Any]:
    """:math:`\\hat\\theta(w)` and :math:`\\partial\\hat\\theta(w)/\\partial w_i` for
    every person at weights ``w`` (real or complex)."""
    return _leave_one_out(
        time, status, weight, cause, horizons, estimand, "infinitesimal_jackknife"
    )


def pseudo_observations(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    times: float | Sequence[float],
    event_of_interest: int = 1,
    estimand: str = "risk",
    method: str = "jackknife",
    strata: str | Sequence[str] | None = None,
    weights_col: str | None = None,
    *,
    censoring_formula: str | None = None,
) -> pd.DataFrame:
    r"""Pseudo-observations of the risk, survival or restricted mean at each horizon.

    Parameters
    ----------
    df : DataFrame
        One row per person.
    duration_col : str
        Follow-up time (:math:`\ge 0`).
    event_col : str
        0 for censored, a positive integer code for the event (competing events are the
        other codes).
    times : float or sequence of float
        Horizons :math:`\tau`.
    event_of_interest : int
        The cause for ``"risk"`` and ``"rmtl"``.
    estimand : {"risk", "survival", "rmst", "rmtl"}
        ``"risk"``: cumulative incidence :math:`F_k(\tau)` of the cause (Aalen-Johansen;
        with a 0/1 event, :math:`1 - \hat S(\tau)` of Kaplan-Meier); ``"survival"``:
        event-free survival :math:`S(\tau)` (any event ends it); ``"rmst"``: restricted
        mean event-free time :math:`\int_0^\tau S(u)du`; ``"rmtl"``: restricted mean
        time lost to the cause, :math:`\int_0^\tau F_k(u)du`.
    method : {"jackknife", "infinitesimal_jackknife"}
        Exact leave-one-out values :math:`n\hat\theta - (n-1)\hat\theta_{-i}` (module
        docstring: no refits), or :math:`\hat\theta + n\,\partial\hat\theta/\partial w_i`.
    strata : str or list of str, optional
        Categorical columns: pseudo-observations are computed within each stratum (with
        its own :math:`n`), which keeps them valid when censoring depends on these
        columns (censoring independent of the outcome within strata).
    weights_col : str, optional
        Case weights (finite, > 0): frequency weights, sampling weights or weights that
        make the marginal estimate describe another population. The estimate is the
        weighted Aalen-Johansen / Kaplan-Meier estimator and the pseudo-observations its
        weighted jackknife or infinitesimal jackknife (module docstring). They do not
        correct for censoring that depends on covariates: that is ``strata`` or
        ``censoring_formula``. With ``censoring_formula`` they weight the censoring
        model, and the IPCW values themselves do not depend on them.
    censoring_formula : str, optional
        Right-hand side of a Cox model for the *censoring* hazard (e.g.
        ``"C(disposal_year) + age"``, columns of ``df``): inverse-probability-of-
        censoring weighted pseudo-observations (Binder, Gerds & Andersen 2014) for
        censoring that depends on covariates,
        :math:`\hat\theta_i = 1(T_i \ge \tau \text{ or } \delta_i \ne 0)\, V_i /
        \hat G(\min(T_i, \tau)^- \mid Z_i)`, with :math:`V_i` the outcome
        (:math:`1(T_i \le \tau, \delta_i = k)` for the risk, :math:`1(T_i > \tau)` for
        survival, :math:`\min(T_i, \tau)` for the restricted mean and
        :math:`(\tau - \min(T_i, \tau))1(\delta_i = k)` for the time lost) and
        :math:`\hat G(t \mid Z) = \exp\{-\hat\Lambda_0(t)e^{Z^\top\hat\gamma}\}` from
        :class:`~outcomes.survival.CoxFitter` (Efron ties, Breslow baseline): a
        proportional-hazards model for censoring given the formula's covariates, which
        must be right. This is the jackknife of the weighted estimator with
        :math:`\hat G` held fixed; both ``method`` values give it. Not with ``strata``.

    Returns
    -------
    DataFrame
        One column per horizon (named by the horizon), index of ``df``.

    Raises
    ------
    SchemaError
        A named column is missing, or ``df`` has no rows.
    ValidationError
        Missing, negative or non-numeric durations, event codes that are not
        non-negative integers, or case weights that are not positive (rows listed in
        ``err.quarantine``).
    OutcomesError
        An unknown estimand or method, or no horizon.

    Warns
    -----
    FollowUpWarning
        A horizon beyond the last follow-up time: every value there is the estimate at
        the last time, so a horizon in the wrong unit (days for years) would otherwise
        pass unnoticed.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 0]})
    >>> pseudo_observations(d, "t", "e", 2.5).round(3)[2.5].tolist()
    [1.0, 0.0, 0.0, 0.0]
    """
    check_choice("estimand", estimand, ESTIMANDS)
    check_choice("method", method, METHODS)
    horizons, strata_cols = _horizons(times), _as_list(strata)
    time, status = _read(df, duration_col, event_col, strata_cols)
    warn_beyond_followup(horizons, float(time.max()), "pseudo_observations")
    weight = case_weights(df, weights_col)
    if censoring_formula is not None:
        if strata_cols:
            raise OutcomesError("give strata or censoring_formula, not both")
        G = _censoring_survival(
            df, duration_col, event_col, time, status, censoring_formula, weights_col
        )
        values = _ipcw_values(time, status, event_of_interest, horizons, estimand, G)
        return pd.DataFrame(values, index=df.index, columns=pd.Index(horizons, name="time"))
    values = np.empty((time.shape[0], horizons.shape[0]))
    for rows in group_rows(df, strata_cols):
        values[rows] = _group_values(
            time[rows], status[rows], weight[rows], event_of_interest, horizons, estimand, method
        )
    return pd.DataFrame(values, index=df.index, columns=pd.Index(horizons, name="time"))


def group_rows(df: pd.DataFrame, strata_cols: list[str]) -> list[IntArray]:
    """Positions of the rows of each stratum (all rows without strata)."""
    if not strata_cols:
        return [np.arange(len(df))]
    codes = pd.factorize(strata_labels(df, strata_cols), sort=True)[0]
    return [np.flatnonzero(codes == s) for s in range(int(codes.max()) + 1)]


def case_weights(df: pd.DataFrame, weights_col: str | None) -> FloatArray:
    """The case weights (ones without ``weights_col``): finite and positive, rows named."""
    if weights_col is None:
        return np.ones(len(df))
    if weights_col not in df.columns:
        raise SchemaError(f"columns not found: {[weights_col]}")
    w = pd.to_numeric(df[weights_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        reject_rows(
            df,
            bad,
            weights_col,
            "bad_weight",
            "case weights must be finite and > 0 (leave a row out rather than weight it 0)",
        )
    return w


def _censoring_survival(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    time: FloatArray,
    status: IntArray,
    formula: str,
    weights_col: str | None,
) -> Any:
    r"""A function ``G(t)`` giving each row's :math:`\hat G(t^- \mid Z_i)` from a Cox
    model for the censoring hazard (censorings are its events), fitted with the case
    weights when there are any."""
    from outcomes.survival import CoxFitter

    names = {"duration": "__censoring_time", "event": "__censored"}
    frame = df.drop(columns=[duration_col, event_col]).assign(
        **{names["duration"]: time, names["event"]: (status == 0).astype(np.int64)}
    )
    fit = CoxFitter().fit(
        frame, names["duration"], names["event"], formula=formula, weights_col=weights_col
    )
    steps = fit.baseline_hazard_steps_
    step_time = steps["time"].to_numpy()
    cum = np.concatenate([[0.0], np.cumsum(steps["hazard"].to_numpy())])
    relative = fit.predict_partial_hazard(frame).to_numpy()

    def G(t: FloatArray) -> FloatArray:
        # Left limit: censorings at t itself happen after the events at t.
        H0 = cum[np.searchsorted(step_time, t, side="left")]
        return np.asarray(np.exp(-H0 * relative))

    return G


def _ipcw_values(
    time: FloatArray,
    status: IntArray,
    cause: int,
    horizons: FloatArray,
    estimand: str,
    G: Any,
) -> FloatArray:
    """Binder-type IPCW pseudo-observations (see :func:`pseudo_observations`)."""
    out = np.empty((time.shape[0], horizons.shape[0]))
    for col, tau in enumerate(horizons):
        end = np.minimum(time, tau)
        observed = (time >= tau) | (status != 0)
        g = G(end)
        if np.any(observed & (g <= 0.0)):
            raise ModelError(
                f"the censoring model gives probability 0 of being uncensored before "
                f"{tau:g} for some rows with an observed outcome; IPCW is undefined there"
            )
        if estimand == "risk":
            v = ((time <= tau) & (status == cause)).astype(np.float64)
        elif estimand == "survival":
            v = (time > tau).astype(np.float64)
        elif estimand == "rmst":
            v = end
        else:
            v = (tau - end) * (status == cause)
        out[:, col] = np.where(observed, v / np.where(g > 0, g, 1.0), 0.0)
    return out


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def _horizons(times: float | Sequence[float]) -> FloatArray:
    horizons = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if horizons.ndim != 1 or horizons.size == 0:
        raise OutcomesError("times must be one horizon or a non-empty list of horizons")
    if not np.all(np.isfinite(horizons)) or np.any(horizons < 0):
        raise OutcomesError(f"times must be finite and >= 0, not {horizons.tolist()}")
    return horizons


def _read(
    df: pd.DataFrame, duration_col: str, event_col: str, strata_cols: list[str]
) -> tuple[FloatArray, IntArray]:
    """Durations and event codes, checked; rows that cannot be used are named."""
    if not isinstance(df, pd.DataFrame):
        raise OutcomesError("df must be a pandas DataFrame")
    missing = [c for c in (duration_col, event_col, *strata_cols) if c not in df.columns]
    if missing:
        raise SchemaError(f"columns not found: {missing}")
    if len(df) == 0:
        raise SchemaError("no rows to compute pseudo-observations from")
    time = pd.to_numeric(df[duration_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(time)
    if bad.any():
        reject_rows(
            df, bad, duration_col, "missing_or_non_numeric", "missing or non-numeric values"
        )
    if np.any(time < 0):
        reject_rows(df, time < 0, duration_col, "negative_duration", "durations must be >= 0")
    raw = pd.to_numeric(df[event_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(raw) | (raw != np.round(raw)) | (raw < 0)
    if bad.any():
        reject_rows(
            df, bad, event_col, "bad_event_code", "event codes must be 0 or positive integers"
        )
    for col in strata_cols:
        bad = df[col].isna().to_numpy()
        if bad.any():
            reject_rows(df, bad, col, "missing", "missing values")
    return time, raw.astype(np.intp)
