r"""Cox proportional-hazards regression, including Andersen-Gill recurrent events.

:class:`CoxFitter` maximises the weighted partial likelihood of Cox (1972) with Breslow
(1974) or Efron (1977) ties, on right-censored or counting-process ``(entry, exit]`` data,
with strata, case weights and Lin-Wei (1989) robust or cluster-robust variance. All the
numerical work is done by :mod:`outcomes.survival._engine`, which Fine-Gray shares.

Andersen-Gill (Andersen & Gill 1982)
------------------------------------
Recurrent events are fitted by giving one row per at-risk interval of a subject:
``entry_col``/``duration_col`` hold the interval :math:`(s, t]`, ``event_col`` whether it
ended in an event, and ``cluster_col`` the subject, so that the sandwich variance sums
score residuals within subject:

>>> CoxFitter().fit(long, "stop", "event", entry_col="start",
...                 cluster_col="mother_id", formula="short + age")  # doctest: +SKIP

This is R's ``coxph(Surv(start, stop, event) ~ short + age + cluster(mother_id))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from outcomes.errors import OutcomesError
from outcomes.survival._base import ProportionalHazardsFitter
from outcomes.survival._engine import FloatArray, RiskSets
from outcomes.survival._kaplan_meier import number_at_risk, product_limit
from outcomes.survival._validation import (
    Design,
    check_choice,
    prepare_design,
    reject_rows,
)

__all__ = ["CoxFitter"]


class CoxFitter(ProportionalHazardsFitter):
    r"""Weighted Cox proportional-hazards model on counting-process data.

    The hazard of row :math:`i` in stratum :math:`s` is
    :math:`\lambda_s(t)\exp(x_i^\top\beta)`, and :math:`\beta` maximises

    .. math::

        \ell(\beta) = \sum_i w_i \delta_i \Big[x_i^\top\beta
            - \log \sum_{j \in R_s(t_i)} w_j e^{x_j^\top\beta}\Big]

    over risk sets :math:`R_s(t) = \{j : s_j < t \le t_j\}` (Breslow form; Efron's
    correction replaces the log term within a tie group, Efron 1977). The model-based
    variance is the inverse observed information; with ``robust=True`` or a
    ``cluster_col`` it is the Lin & Wei (1989) sandwich
    :math:`\mathcal I^{-1}\big(\sum_k U_k U_k^\top\big)\mathcal I^{-1}`, :math:`U_k` the
    weighted score residuals summed within cluster :math:`k`, as R's ``coxph`` reports,
    with the few-cluster rule of :mod:`outcomes.survival._inference` (one cluster: the
    row-level sandwich; 2 to 29: the CR1 correction and a t reference).

    Parameters
    ----------
    alpha : float
        Confidence intervals are :math:`100(1-\alpha)\%`.
    tol : float
        Newton-Raphson stops when each step is below ``tol * (1 + |beta|)``.
    max_iter : int
        Maximum Newton-Raphson iterations.

    Attributes
    ----------
    params_, standard_errors_ : Series
        Log hazard ratios and their standard errors.
    summary : DataFrame
        Tidy estimates (``estimate, std_error, ci_lower, ci_upper, p_value,
        hazard_ratio, hr_ci_lower, hr_ci_upper, method``; ``alpha``, the variance used
        and the number of clusters in ``summary.attrs``).
    log_likelihood_ : float
        Log partial likelihood at the estimate.
    baseline_cumulative_hazard_ : DataFrame
        Breslow (or Efron) estimate of :math:`\Lambda_s(t)` at :math:`x = 0`, one column
        per stratum.

    Other attributes and methods (``conf_int``, ``cov_params``, ``design_matrix``,
    ``predict_*``) are those of :class:`~outcomes.survival._base.ProportionalHazardsFitter`.

    References
    ----------
    Cox (1972); Breslow (1974); Efron (1977); Andersen & Gill (1982); Lin & Wei (1989);
    Grambsch & Therneau (1994) for :meth:`check_proportional_hazards`. Full citations in
    :mod:`outcomes.survival._engine`.
    """

    _method = "cox"

    # ----------------------------------------------------------------- fit
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
    ) -> CoxFitter:
        """Fit the model.

        Parameters
        ----------
        df : DataFrame
            One row per subject (or per at-risk interval for counting-process data).
        duration_col : str
            Exit time :math:`t_i`.
        event_col : str
            1 if the row ends in the event, 0 if censored.
        entry_col : str, optional
            Entry time :math:`s_i < t_i` (delayed entry / Andersen-Gill intervals).
        strata : str or list of str, optional
            Columns whose combinations get separate baseline hazards.
        weights_col : str, optional
            Case weights (e.g. inverse-probability weights).
        cluster_col : str, optional
            Cluster identifier for the cluster-robust sandwich (implies ``robust``).
        formula : str, optional
            Right-hand side in formulaic syntax, e.g. ``"age + C(order)"``. Without it
            every other column is a covariate.
        ties : {"efron", "breslow"}
            Tie handling.
        robust : bool
            Report the Lin-Wei sandwich variance (each row its own cluster).
        initial_point : Series or array, optional
            Newton's starting coefficients (zero by default): a Series indexed by
            covariate (an earlier fit's ``params_``; covariates it lacks start at
            zero) or one value per coded column. A start near the maximum (a
            bootstrap replicate starting from the full data's fit) saves iterations;
            the maximum is the same.

        Returns
        -------
        self
        """
        check_choice("ties", ties, ("efron", "breslow"))
        design = prepare_design(
            df, duration_col, event_col, entry_col, strata, weights_col, cluster_col, formula
        )
        event = design.event
        if np.any(event > 1):
            reject_rows(
                df,
                event > 1,
                event_col,
                "bad_event_code",
                "CoxFitter needs 0/1 events; use CauseSpecificCox or FineGrayFitter for "
                "competing risks",
            )
        if not np.any(event == 1):
            raise OutcomesError(f"no events in {event_col}: nothing to fit")
        self._store_call(design, strata, formula, ties, duration_col, event_col)
        self._fit_design(
            design, event == 1, ties, robust or cluster_col is not None, initial_point
        )
        return self

    def _fit_design(
        self,
        design: Design,
        event: NDArray[np.bool_],
        ties: str,
        robust: bool,
        initial_point: pd.Series | FloatArray | None = None,
    ) -> None:
        risk = RiskSets(
            design.X,
            design.exit,
            event,
            entry=design.entry,
            strata=design.strata,
            weights=design.weights,
            ties=ties,
        )
        self._finish(risk, self._newton(risk, design, initial_point), design, robust)

    # --------------------------------------------------------------- zph
    def check_proportional_hazards(self, transform: str = "km") -> pd.DataFrame:
        r"""Score test of proportional hazards, per covariate and global (as R's
        ``cox.zph``).

        Each covariate :math:`x_j` is paired with :math:`x_j\,g(t)`, where :math:`g` is the
        transformed time centred at its mean over events; the test is the score test of
        :math:`\gamma = 0` in the augmented model at :math:`(\hat\beta, 0)`
        (Grambsch & Therneau 1994):

        .. math::

            T = U_\gamma^\top \big[\mathcal I^{-1}\big]_{\gamma\gamma} U_\gamma
            \sim \chi^2_{df}.

        Parameters
        ----------
        transform : {"km", "identity", "log", "rank"}
            :math:`g`: ``"km"`` is :math:`1 - \hat S(t-)` from the Kaplan-Meier of all rows.

        Returns
        -------
        DataFrame
            Indexed by covariate and ``GLOBAL``, columns ``chisq, df, p``.
        """
        self.check_is_fitted()
        return _zph_test(self._risk, self.params_.to_numpy(), list(self.params_.index), transform)


def _zph_test(risk: RiskSets, beta: FloatArray, names: list[str], transform: str) -> pd.DataFrame:
    """Grambsch-Therneau score test at (beta-hat, 0), built from the engine's sub-terms."""
    check_choice("transform", transform, ("km", "identity", "log", "rank"))
    p = risk.p
    death_times = risk.exit[risk.death_pos]
    g_death = _time_transform(risk, death_times, transform)
    g_group = _time_transform(risk, risk.group_time, transform) - g_death.mean()
    g_death = g_death - g_death.mean()
    wt, xbar, M = risk.sub_term_moments(beta)
    g = g_group[risk.sub_group]
    wd = risk.w[risk.death_pos]
    u_gamma = (wd * g_death) @ risk.X[risk.death_pos] - (wt * g) @ xbar
    info = np.zeros((2 * p, 2 * p))
    info[:p, :p] = np.einsum("k,kij->ij", wt, M)
    info[:p, p:] = np.einsum("k,kij->ij", wt * g, M)
    info[p:, :p] = info[:p, p:].T
    info[p:, p:] = np.einsum("k,kij->ij", wt * g * g, M)
    u = np.concatenate([np.zeros(p), u_gamma])
    rows = []
    for j in range(p):
        jj = np.r_[0:p, p + j]
        rows.append(float(u[jj] @ np.linalg.solve(info[np.ix_(jj, jj)], u[jj])))
    rows.append(float(u @ np.linalg.solve(info, u)))
    df = np.array([1] * p + [p])
    chisq = np.array(rows)
    out = pd.DataFrame(
        {"chisq": chisq, "df": df, "p": special.chdtrc(df, chisq)},
        index=pd.Index([*names, "GLOBAL"], name="covariate"),
    )
    out.attrs["transform"] = transform
    return out


def _time_transform(risk: RiskSets, t: FloatArray, transform: str) -> FloatArray:
    """g(t) as cox.zph defines it; "km" is 1 - S(t-) from the unweighted Kaplan-Meier of
    all rows (with delayed entry when the data have it)."""
    if transform == "identity":
        return np.asarray(t, dtype=np.float64)
    if transform == "log":
        return np.log(t)
    if transform == "rank":
        # imported here: scipy.stats costs about half a second to import, and every
        # fit would pay it for this one rarely used transform
        from scipy.stats import rankdata

        ds = np.sort(risk.exit[risk.death_pos])
        return np.asarray(rankdata(ds)[np.searchsorted(ds, t)])
    u = np.unique(risk.exit[risk.death_pos])
    entry = risk.entry_times if risk.has_entry else None
    n_risk = number_at_risk(risk.exit, u, entry)
    d = np.bincount(np.searchsorted(u, risk.exit[risk.death_pos]), minlength=u.size)
    surv, _ = product_limit(d, n_risk)
    k = np.searchsorted(u, t, side="left")
    return np.asarray(1.0 - np.concatenate([[1.0], surv])[k])
