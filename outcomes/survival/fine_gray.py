r"""Fine-Gray proportional subdistribution hazards regression.

The subdistribution hazard of the event of interest,
:math:`\lambda_1(t) = -\,d\log\{1 - F_1(t)\}/dt`, is modelled as
:math:`\lambda_{1,0}(t)\exp(x^\top\beta)` (Fine & Gray 1999). Individuals who had a
competing event stay in the risk set after it, weighted by the inverse probability of
remaining uncensored,

.. math::

    \omega_j(t) = \frac{\hat G_{c_j}(t-)}{\hat G_{c_j}(T_j-)}, \qquad t > T_j,

with :math:`\hat G_c` the Kaplan-Meier estimate of the censoring distribution in
censoring stratum :math:`c`. The estimating equation is the weighted Cox score, so the fit
is :class:`~outcomes.survival._engine.RiskSets` with *tail* rows: the competing-event
rows' contribution to every later risk set is :math:`\hat G_c(t-)` times a cumulative sum
of :math:`w_j e^{\eta_j}/\hat G_c(T_j-)`, so the :math:`O(n^2)` long form of
``survival::finegray`` is never built.

The variance is the sandwich of Fine & Gray (1999, section 3),
:math:`\mathcal I^{-1}\big\{\sum_i (\eta_i + \psi_i)^{\otimes 2}\big\}\mathcal I^{-1}`, where
:math:`\eta_i` is the score residual and :math:`\psi_i` accounts for having estimated
:math:`G`:

.. math::

    \psi_i = \int \frac{q_{c_i}(u)}{Y_{c_i}(u)}\, d\hat M^c_i(u), \qquad
    q_c(u) = \sum_{g:\, t_g \ge u} \hat G_c(t_g-)\, d\hat\Lambda_{1,0}(t_g)
        \sum_{j \in \mathcal C_c:\, T_j < u}
        \frac{w_j e^{\eta_j}\{x_j - \bar x(t_g)\}}{\hat G_c(T_j-)},

with :math:`Y_c` the number at risk of censoring in stratum :math:`c`,
:math:`\hat M^c_i` the censoring martingale and :math:`\mathcal C_c` the competing-event
rows of :math:`c`. With one censoring stratum this is exactly the quantity
``cmprsk::crr`` computes (routine ``crrvv``). With several, :math:`q_c` involves only the
rows whose weights use :math:`\hat G_c`; ``crr`` (2.2-11) reports a different value there,
and ours is the one that agrees with the infinitesimal jackknife (numerical derivatives of
:math:`\hat\beta` in the case weights, ``tests/survival/test_fine_gray.py``). With ``cluster_col``
the :math:`w_i(\eta_i + \psi_i)` are summed within cluster first.

References
----------
Fine, J. P. and Gray, R. J. (1999). A proportional hazards model for the subdistribution
of a competing risk. *JASA* 94, 496-509.
Gray, R. J. (2024). cmprsk: Subdistribution Analysis of Competing Risks. R package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival._base import ProportionalHazardsFitter
from outcomes.survival._engine import RiskSets, TailWeights, reverse_cumsum0
from outcomes.survival._kaplan_meier import product_limit
from outcomes.survival._validation import check_choice, prepare_design, strata_labels

__all__ = ["FineGrayFitter", "censoring_kaplan_meier"]

FloatArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.int64]


class _CensoringKM:
    """Kaplan-Meier of the censoring distribution, one curve per censoring stratum."""

    def __init__(
        self, time: FloatArray, censored: NDArray[np.bool_], w: FloatArray, group: IntArray
    ) -> None:
        self.curves: dict[int, tuple[Any, Any, Any, Any]] = {}
        for c in np.unique(group):
            m = group == c
            t, cw, ww = time[m], censored[m] * w[m], w[m]
            u, inv = np.unique(t, return_inverse=True)
            d = np.bincount(inv, weights=cw, minlength=u.size).astype(np.float64)
            at_time = np.bincount(inv, weights=ww, minlength=u.size).astype(np.float64)
            Y = at_time[::-1].cumsum()[::-1]
            surv, _ = product_limit(d, Y)
            self.curves[int(c)] = (u, Y, d, surv)

    def before(self, c: int, t: FloatArray) -> FloatArray:
        """:math:`\\hat G_c(t-)`."""
        u, _, _, surv = self.curves[c]
        k = np.searchsorted(u, t, side="left")
        return np.concatenate([[1.0], surv])[k]


def censoring_kaplan_meier(
    time: FloatArray, censored: NDArray[np.bool_], weights: FloatArray | None = None
) -> pd.Series:
    """Kaplan-Meier estimate :math:`\\hat G(t)` of the censoring distribution.

    Censorings are the events; rows with any failure at a tied time stay at risk of
    censoring at that time, as ``survfit(Surv(time, censored) ~ 1)`` treats them.
    """
    w = np.ones(time.size) if weights is None else weights
    km = _CensoringKM(time, censored, w, np.zeros(time.size, dtype=np.int64))
    u, _, _, surv = km.curves[0]
    return pd.Series(surv, index=pd.Index(u, name="time"), name="censoring_survival")


class FineGrayFitter(ProportionalHazardsFitter):
    r"""Fine-Gray subdistribution hazards model (Fine & Gray 1999).

    Parameters and attributes are those of :class:`~outcomes.survival.CoxFitter`;
    ``baseline_cumulative_hazard_`` is the baseline cumulative *subdistribution* hazard,
    so :math:`F_1(t \mid x) = 1 - \exp\{-\Lambda_{1,0}(t)\, e^{x^\top\beta}\}`.
    The reported variance is always a sandwich (``cov_params("model")`` keeps the naive
    inverse information, which ignores the estimated weights); ``censoring_survival_``
    holds the censoring Kaplan-Meier :math:`\hat G_c(t)` used for the weights (columns
    ``censoring_stratum, time, survival``). Delayed entry would need weights for left
    truncation (Geskus 2011) and is not offered.
    """

    _method = "fine_gray"

    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str,
        event_col: str,
        *,
        event_of_interest: int = 1,
        strata: str | Sequence[str] | None = None,
        weights_col: str | None = None,
        cluster_col: str | None = None,
        formula: str | None = None,
        ties: str = "breslow",
        censoring_strata: str | Sequence[str] | None = None,
    ) -> FineGrayFitter:
        """Fit the model; parameters not listed here are as in :meth:`CoxFitter.fit`.

        Parameters
        ----------
        event_col : str
            0 = censored, ``event_of_interest`` = the event modelled, any other positive
            code = a competing event.
        event_of_interest : int
            Code of the event whose cumulative incidence is modelled.
        ties : {"breslow", "efron"}
            ``"breslow"`` (default) is what ``cmprsk::crr`` does.
        censoring_strata : str or list of str, optional
            Columns within whose levels the censoring Kaplan-Meier is estimated
            separately (``cengroup`` in ``crr``).

        Returns
        -------
        self
        """
        check_choice("ties", ties, ("efron", "breslow"))
        cens_cols = (
            [censoring_strata]
            if isinstance(censoring_strata, str)
            else list(censoring_strata or [])
        )
        missing = [c for c in cens_cols if c not in df.columns]
        if missing:
            raise SchemaError(f"censoring_strata columns not found: {missing}")
        model_df = (
            df.drop(columns=[c for c in cens_cols if c != cluster_col])
            if (formula is None and cens_cols)
            else df
        )
        design = prepare_design(
            model_df, duration_col, event_col, None, strata, weights_col, cluster_col, formula
        )
        e = design.event
        if not np.any(e == event_of_interest):
            raise OutcomesError(f"no events with code {event_of_interest} in {event_col}")
        interest = e == event_of_interest
        competing = (e > 0) & ~interest
        censored = e == 0
        if cens_cols:
            cgroup = pd.factorize(strata_labels(df, cens_cols), sort=True)[0].astype(np.int64)
        else:
            cgroup = np.zeros(len(df), dtype=np.int64)
        w = np.ones(len(df)) if design.weights is None else design.weights
        km = _CensoringKM(design.exit, censored, w, cgroup)
        den = np.ones(len(df))
        for c in np.unique(cgroup):
            m = cgroup == c
            den[m] = km.before(int(c), design.exit[m])
        tail = TailWeights(
            group=np.where(competing, cgroup, -1).astype(np.int64),
            denominator=den,
            curve=km.before,
        )
        risk = RiskSets(
            design.X,
            design.exit,
            interest,
            strata=design.strata,
            weights=design.weights,
            ties=ties,
            tail=tail,
        )
        self._store_call(design, strata, formula, ties, duration_col, event_col)
        self.event_of_interest_ = event_of_interest
        result = self._newton(risk, design)
        beta = result.beta
        eta_resid = risk.score_residuals(beta)
        psi = _weight_term(risk, beta, km, cgroup, censored)
        influence = w[:, None] * (eta_resid + psi)
        self._finish(risk, result, design, True, influence)
        levels = (
            list(pd.factorize(strata_labels(df, cens_cols), sort=True)[1]) if cens_cols else [None]
        )
        self.censoring_survival_ = pd.concat(
            [
                pd.DataFrame({"censoring_stratum": levels[c], "time": u, "survival": surv})
                for c, (u, _, _, surv) in km.curves.items()
            ],
            ignore_index=True,
        )
        return self

    def predict_cumulative_incidence(
        self, X: pd.DataFrame, times: Sequence[float] | FloatArray | None = None
    ) -> pd.DataFrame:
        r""":math:`\hat F_1(t \mid x) = 1 - \exp\{-\hat\Lambda_{1,0}(t)e^{x^\top\hat\beta}\}`,
        indexed by time with one column per row of ``X``."""
        H = self.predict_cumulative_hazard(X, times)
        return pd.DataFrame(-np.expm1(-H.to_numpy()), index=H.index, columns=H.columns)


def _weight_term(
    risk: RiskSets,
    beta: FloatArray,
    km: _CensoringKM,
    cgroup: IntArray,
    censored: NDArray[np.bool_],
) -> FloatArray:
    """:math:`\\psi_i`, the Fine-Gray variance term for the estimated censoring weights.

    Works on the engine's centred scale (the products below do not depend on centring)
    and in :math:`O(n \\log n)`: :math:`q_c(u)` is
    :math:`A^{(1)}_c(u) R^{(0)}_c(u) - A^{(0)}_c(u) R^{(1)}_c(u)` with :math:`A` forward
    cumulative sums over competing rows and :math:`R` backward sums over event times.
    """
    n, p = risk.n, risk.p
    tab = risk.group_table(beta, centred=True)
    order = risk.order
    time_s = risk.exit  # sorted rows
    strata_s = risk.strata
    cg_s = cgroup[order]
    r_s = risk.w * np.exp(risk.X @ beta)
    groups = [int(c) for c in np.unique(cg_s)]

    def q_of(c_tail: int, at: FloatArray) -> FloatArray:
        """Contribution of the competing rows of censoring stratum c_tail to q(u)."""
        q = np.zeros((at.size, p))
        gc = km.before(c_tail, tab.time)
        tail_rows = risk.tail_group == c_tail
        for s in np.unique(strata_s):
            rows = np.flatnonzero(tail_rows & (strata_s == s))
            if rows.size == 0 or at.size == 0:
                continue
            gm = tab.stratum == s
            # R(u): sum over event groups with t_g >= u of G_c(t_g-) dLambda (and x-bar).
            R0 = reverse_cumsum0(gc[gm] * tab.hazard[gm])
            R1 = reverse_cumsum0(gc[gm][:, None] * tab.xbar_hazard[gm], axis=0)
            kR = np.searchsorted(tab.time[gm], at, side="left")
            # A(u): sum over competing rows with T_j < u (rows are sorted by time).
            a = r_s[rows] / risk.tail_den[rows]
            A0 = np.concatenate([[0.0], np.cumsum(a)])
            A1 = np.vstack([np.zeros((1, p)), np.cumsum(a[:, None] * risk.X[rows], axis=0)])
            kA = np.searchsorted(time_s[rows], at, side="left")
            q += A1[kA] * R0[kR][:, None] - A0[kA][:, None] * R1[kR]
        return q

    qs: dict[int, FloatArray] = {}
    for c in groups:
        u, _, dN, _ = km.curves[c]
        at = u[dN > 0]
        # Only stratum c's competing rows carry weights built from G_c.
        qs[c] = q_of(c, at)
    psi_s = np.zeros((n, p))
    censored_s = censored[order]
    for c in groups:
        u, Y, dN, _ = km.curves[c]
        keep = dN > 0
        cens_times, Yc, dNc, q = u[keep], Y[keep], dN[keep], qs[c]
        if cens_times.size == 0:
            continue
        # psi_i = q(T_i)/Y(T_i) [censored] - sum_{u <= T_i} q(u) dN(u) / Y(u)^2
        cum = np.vstack([np.zeros((1, p)), np.cumsum(q * (dNc / Yc**2)[:, None], axis=0)])
        rows_c = np.flatnonzero(cg_s == c)
        k = np.searchsorted(cens_times, time_s[rows_c], side="right")
        psi_s[rows_c] -= cum[k]
        cens_rows = rows_c[censored_s[rows_c]]
        j = np.searchsorted(cens_times, time_s[cens_rows], side="left")
        psi_s[cens_rows] += q[j] / Yc[j][:, None]
    psi = np.empty_like(psi_s)
    psi[order] = psi_s
    return psi
