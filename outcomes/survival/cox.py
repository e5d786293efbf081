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
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from outcomes.errors import OutcomesError
from outcomes.survival._engine import FloatArray, RiskSets, fit_newton, sandwich
from outcomes.survival._followup import warn_beyond_followup
from outcomes.survival._results import (
    Design,
    design_matrix,
    prepare_design,
    reject_rows,
    strata_labels,
    tidy_summary,
)

__all__ = ["CoxFitter"]


class CoxFitter:
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
    weighted score residuals summed within cluster :math:`k`, as R's ``coxph`` reports.

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
    variance_matrix_ : DataFrame
        Variance of ``params_`` (robust when asked for or clustered).
    confidence_intervals_ : DataFrame
        Wald limits on the log scale.
    summary : DataFrame
        Tidy estimates (``estimate, std_error, ci_lower, ci_upper, p_value,
        hazard_ratio, hr_ci_lower, hr_ci_upper``; ``alpha`` in ``summary.attrs``).
    log_likelihood_ : float
        Log partial likelihood at the estimate.
    baseline_cumulative_hazard_ : DataFrame
        Breslow (or Efron) estimate of :math:`\Lambda_s(t)` at :math:`x = 0`, one column
        per stratum.

    References
    ----------
    Cox (1972); Breslow (1974); Efron (1977); Andersen & Gill (1982); Lin & Wei (1989);
    Grambsch & Therneau (1994) for :meth:`check_proportional_hazards`. Full citations in
    :mod:`outcomes.survival._engine`.
    """

    _method = "cox"

    def __init__(self, alpha: float = 0.05, tol: float = 1e-9, max_iter: int = 50) -> None:
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    # ----------------------------------------------------------------- fit
    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str,
        event_col: str,
        entry_col: str | None = None,
        strata: str | Sequence[str] | None = None,
        weights_col: str | None = None,
        cluster_col: str | None = None,
        formula: str | None = None,
        ties: str = "efron",
        robust: bool = False,
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

        Returns
        -------
        self
        """
        if ties not in ("efron", "breslow"):
            raise OutcomesError(f"ties must be 'efron' or 'breslow', not {ties!r}")
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
        self._fit_design(design, event == 1, ties, robust or cluster_col is not None)
        return self

    def _store_call(
        self,
        design: Design,
        strata: str | Sequence[str] | None,
        formula: str | None,
        ties: str,
        duration_col: str,
        event_col: str,
    ) -> None:
        self._design = design
        self._strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
        self._formula = formula
        self.ties_ = ties
        self.duration_col_ = duration_col
        self.event_col_ = event_col

    def _fit_design(
        self, design: Design, event: NDArray[np.bool_], ties: str, robust: bool
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
        result = fit_newton(risk, tol=self.tol, max_iter=self.max_iter)
        self._finish(risk, result.beta, result.information, result, robust, design)

    def _finish(
        self,
        risk: RiskSets,
        beta: FloatArray,
        information: FloatArray,
        result: Any,
        robust: bool,
        design: Design,
        influence: FloatArray | None = None,
    ) -> None:
        names = design.names
        if np.linalg.matrix_rank(information) < information.shape[0]:
            raise OutcomesError(
                "the information matrix is singular: some covariates are collinear or "
                f"constant within every risk set ({', '.join(names)})"
            )
        self._risk = risk
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.log_likelihood_ = result.loglik
        self.log_likelihood_null_ = result.loglik_null
        self.information_ = information
        naive = np.linalg.inv(information)
        self.naive_variance_matrix_ = pd.DataFrame(naive, index=names, columns=names)
        if robust:
            if influence is None:
                w = np.ones(risk.n) if design.weights is None else design.weights
                influence = risk.score_residuals(beta) * w[:, None]
            var = sandwich(information, influence, design.cluster)
        else:
            var = naive
        self.robust_ = robust
        self.params_ = pd.Series(beta, index=names, name="coef")
        self.variance_matrix_ = pd.DataFrame(var, index=names, columns=names)
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(var)), index=names, name="se")
        self.summary = tidy_summary(beta, var, names, self.alpha, self._method)
        self.confidence_intervals_ = self.summary[["ci_lower", "ci_upper"]].copy()
        self.n_events_ = float(risk.event_weight.sum())
        self._tables = risk.group_table(beta)
        self.baseline_cumulative_hazard_ = self._baseline_table()

    # ------------------------------------------------------------ baseline
    def _stratum_names(self) -> list[Any]:
        return list(self._design.strata_levels) if self._strata_cols else ["baseline"]

    def _baseline_table(self) -> pd.DataFrame:
        t = self._tables
        times = np.unique(t.time)
        cols = {}
        for s, name in enumerate(self._stratum_names()):
            m = t.stratum == s
            cum = np.concatenate([[0.0], np.cumsum(t.hazard[m])])
            cols[name] = cum[np.searchsorted(t.time[m], times, side="right")]
        out = pd.DataFrame(cols, index=pd.Index(times, name="time"))
        return out

    def _cumhaz_at(self, stratum: NDArray[np.int64], times: FloatArray) -> Any:
        """Baseline cumulative hazard, shape (len(times), len(stratum))."""
        t = self._tables
        out = np.empty((times.shape[0], stratum.shape[0]))
        for s in np.unique(stratum):
            m = t.stratum == s
            cum = np.concatenate([[0.0], np.cumsum(t.hazard[m])])
            col = cum[np.searchsorted(t.time[m], times, side="right")]
            out[:, stratum == s] = col[:, None]
        return out

    def _new_design(self, X: pd.DataFrame) -> tuple[FloatArray, NDArray[np.int64]]:
        d = self._design
        Xm, _, _ = design_matrix(X, self._formula, d.covariate_columns, d.model_spec)
        if self._strata_cols:
            labels = strata_labels(X, self._strata_cols)
            lookup = {v: i for i, v in enumerate(d.strata_levels)}
            codes = np.array([lookup.get(v, -1) for v in labels], dtype=np.int64)
            if np.any(codes < 0):
                raise OutcomesError("X has strata levels not seen in fitting")
        else:
            codes = np.zeros(len(X), dtype=np.int64)
        return Xm, codes

    def predict_partial_hazard(self, X: pd.DataFrame) -> pd.Series:
        r"""Relative hazard :math:`\exp(x^\top\hat\beta)` (uncentred, relative to
        :math:`x = 0`, the scale of ``baseline_cumulative_hazard_``)."""
        Xm, _ = self._new_design(X)
        return pd.Series(np.exp(Xm @ self.params_.to_numpy()), index=X.index)

    def predict_cumulative_hazard(
        self, X: pd.DataFrame, times: Sequence[float] | FloatArray | None = None
    ) -> pd.DataFrame:
        r""":math:`\hat\Lambda_s(t)\exp(x^\top\hat\beta)` for each row of ``X``.

        Returns a DataFrame indexed by time with one column per row of ``X`` (``X`` must
        carry the strata columns of a stratified fit).
        """
        Xm, codes = self._new_design(X)
        if times is not None:
            warn_beyond_followup(times, float(np.max(self._design.exit)), type(self).__name__)
        t = np.unique(self._tables.time) if times is None else np.asarray(times, float)
        H0 = self._cumhaz_at(codes, t)
        H = H0 * np.exp(Xm @ self.params_.to_numpy())[None, :]
        return pd.DataFrame(H, index=pd.Index(t, name="time"), columns=X.index)

    def predict_survival_function(
        self, X: pd.DataFrame, times: Sequence[float] | FloatArray | None = None
    ) -> pd.DataFrame:
        """:math:`\\exp\\{-\\hat\\Lambda(t \\mid x)\\}` in the layout of
        :meth:`predict_cumulative_hazard`."""
        H = self.predict_cumulative_hazard(X, times)
        return pd.DataFrame(np.exp(-H.to_numpy()), index=H.index, columns=H.columns)

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
        return _zph_test(self._risk, self.params_.to_numpy(), list(self.params_.index), transform)

    def print_summary(self) -> None:
        """Print :attr:`summary` (rendering only)."""
        print(self.summary.to_string())


def _zph_test(risk: RiskSets, beta: FloatArray, names: list[str], transform: str) -> pd.DataFrame:
    """Grambsch-Therneau score test at (beta-hat, 0), built from the engine's sub-terms."""
    if transform not in ("km", "identity", "log", "rank"):
        raise OutcomesError(f"transform must be km, identity, log or rank, not {transform!r}")
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
        {"chisq": chisq, "df": df, "p": stats.chi2.sf(chisq, df)},
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
        ds = np.sort(risk.exit[risk.death_pos])
        return np.asarray(stats.rankdata(ds)[np.searchsorted(ds, t)])
    exit_all = np.sort(risk.exit)
    u = np.unique(risk.exit[risk.death_pos])
    n_risk = exit_all.size - np.searchsorted(exit_all, u, side="left")
    if risk.has_entry:
        entry_all = np.sort(risk._entry_sorted_values)
        n_risk = n_risk - (entry_all.size - np.searchsorted(entry_all, u, side="left"))
    d = np.bincount(np.searchsorted(u, risk.exit[risk.death_pos]), minlength=u.size)
    surv = np.cumprod(1.0 - d / n_risk)
    k = np.searchsorted(u, t, side="left")
    return np.asarray(1.0 - np.concatenate([[1.0], surv])[k])
