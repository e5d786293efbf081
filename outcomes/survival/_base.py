r"""The fitter family: what every regression fitter shares, written once.

:class:`RegressionFitter` holds the results side (the statsmodels results object and the
lifelines fitter in one): ``params_``, ``standard_errors_``, the tidy ``summary``,
:meth:`~RegressionFitter.conf_int`, :meth:`~RegressionFitter.cov_params` with every
variance the fit computed (model-based, robust, cluster-robust, as statsmodels' GEE keeps
them), :meth:`~RegressionFitter.print_summary`, a ``repr`` that says what was fitted on
how much data, and :meth:`~RegressionFitter.check_is_fitted`.

:class:`ProportionalHazardsFitter` adds what the proportional-hazards models share on top
of the engine (:mod:`outcomes.survival._engine`): the design of new rows
(:meth:`~ProportionalHazardsFitter.design_matrix`), the baseline cumulative hazard and
the predictions built on it. A subclass writes ``fit`` (which rows, which risk sets,
which influence) and declares its ``method`` label; nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar, NoReturn

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from outcomes.errors import ModelError, OutcomesError
from outcomes.survival._engine import EngineFit, FloatArray, RiskSets, fit_newton
from outcomes.survival._followup import warn_beyond_followup
from outcomes.survival._inference import VarianceChoice, choose_variance, wald
from outcomes.survival._validation import (
    Design,
    check_choice,
    dependent_columns,
    design_matrix,
    strata_labels,
)

__all__ = ["ProportionalHazardsFitter", "RegressionFitter"]

COV_KINDS = ("model", "robust", "cluster")

WITHIN_RISK_SET_TOL = 1e-10
"""Information left for a covariate, as a fraction of its spread over the data, below
which it is reported as carrying none (constant within every stratum or risk set)."""
"""The variances :meth:`RegressionFitter.cov_params` can return."""


class RegressionFitter:
    """Base class of the regression fitters: results, inference and the fitted check.

    Parameters
    ----------
    alpha : float
        Confidence intervals in ``summary`` are :math:`100(1-\\alpha)\\%`.
    tol : float
        Convergence tolerance of the fitting algorithm.
    max_iter : int
        Maximum iterations of the fitting algorithm.

    Attributes
    ----------
    params_, standard_errors_ : Series
        Estimates and their standard errors (from the variance in ``cov_type_``).
    cov_type_ : {"model", "robust", "cluster"}
        The variance reported in ``summary``.
    n_clusters_ : int or None
        Clusters in ``cluster_col`` (None without one).
    df_ : float or None
        Degrees of freedom of the t reference distribution, None for the normal (see
        "Inference with few clusters" in the survival guide).
    n_rows_, n_events_ : int, float
        Rows fitted and (weighted) events.
    """

    _method: ClassVar[str] = ""
    _summary: pd.DataFrame | None

    def __init__(self, alpha: float = 0.05, tol: float = 1e-9, max_iter: int = 50) -> None:
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    # ------------------------------------------------------------- state
    @property
    def method(self) -> str:
        """The label in ``summary["method"]``."""
        return self._method

    def check_is_fitted(self) -> None:
        """Raise :class:`~outcomes.errors.OutcomesError` unless :meth:`fit` has run."""
        if "_summary" not in self.__dict__:
            raise OutcomesError(
                f"this {type(self).__name__} is not fitted yet: call fit(df, duration_col, "
                "event_col, ...) first"
            )

    @property
    def summary(self) -> pd.DataFrame:
        """Tidy estimates: ``estimate, std_error, ci_lower, ci_upper, p_value`` and the
        model's own columns; ``summary.attrs`` holds ``alpha``, ``variance`` (the kind
        used), ``n_clusters``, ``df`` and ``correction``."""
        self.check_is_fitted()
        if self._summary is None:
            self._summary = self._wald_table()
        return self._summary

    def _set_results(
        self,
        params: FloatArray,
        names: Sequence[Any] | pd.Index,
        model_variance: FloatArray,
        choice: VarianceChoice | None,
        n_rows: int,
        n_events: float,
    ) -> None:
        """Store estimates and every variance; build ``summary`` from the one used."""
        index = names if isinstance(names, pd.Index) else pd.Index(list(names), name="covariate")
        self._covs = {"model": model_variance}
        self._scores: dict[str, FloatArray] = {}
        if choice is None:
            self.cov_type_, self.n_clusters_, self.df_, self.correction_ = (
                "model",
                None,
                None,
                None,
            )
        else:
            self._covs.update(choice.matrices)
            self._scores = choice.scores
            self.cov_type_ = choice.kind
            self.n_clusters_ = choice.n_clusters
            self.df_ = choice.df
            self.correction_ = choice.correction
        var = self._covs[self.cov_type_]
        self.params_ = pd.Series(params, index=index, name="coef")
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(var)), index=index, name="se")
        self.n_rows_ = n_rows
        self.n_events_ = n_events
        # built when first asked for: a bootstrap's refits never ask
        self._summary = None

    def _wald_table(self) -> pd.DataFrame:
        """The ``summary`` table from the estimates and the variance in use."""
        params = self.params_.to_numpy()
        se = self.standard_errors_.to_numpy()
        lo, hi, p = wald(params, se, self.alpha, self.df_)
        table = pd.DataFrame(
            {"estimate": params, "std_error": se, "ci_lower": lo, "ci_upper": hi, "p_value": p},
            index=self.params_.index,
        )
        table = self._decorate(table)
        table["method"] = self.method
        table.attrs.update(
            alpha=self.alpha,
            variance=self.cov_type_,
            n_clusters=self.n_clusters_,
            df=self.df_,
            correction=self.correction_,
        )
        return table

    def _decorate(self, table: pd.DataFrame) -> pd.DataFrame:
        """Add the model's own columns to the Wald table (e.g. hazard ratios)."""
        return table

    # --------------------------------------------------------- inference
    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Wald limits ``ci_lower, ci_upper`` at level :math:`1 - \\alpha` (default: the
        fitter's), from the variance and reference distribution ``summary`` uses."""
        self.check_is_fitted()
        level = self.alpha if alpha is None else alpha
        lo, hi, _ = wald(self.params_, self.standard_errors_, level, self.df_)
        return pd.DataFrame({"ci_lower": lo, "ci_upper": hi}, index=self.params_.index)

    def cov_params(self, kind: str | None = None) -> pd.DataFrame:
        """Variance matrix of ``params_``.

        Parameters
        ----------
        kind : {"model", "robust", "cluster"}, optional
            ``"model"`` is the inverse information; ``"robust"`` the sandwich with each
            row its own cluster; ``"cluster"`` the sandwich with scores summed within
            ``cluster_col`` (with the few-cluster correction when it applied). Default:
            the one ``summary`` reports (``cov_type_``). Only those the fit computed are
            available.
        """
        self.check_is_fitted()
        kind = self.cov_type_ if kind is None else kind
        check_choice("kind", kind, COV_KINDS)
        if kind not in self._covs:
            raise OutcomesError(
                f"the {kind!r} variance was not computed by this fit (available: "
                f"{', '.join(self._covs)}); pass robust=True or cluster_col to fit"
            )
        names = self.params_.index
        return pd.DataFrame(self._covs[kind], index=names, columns=names)

    def dfbeta(self, kind: str | None = None) -> pd.DataFrame:
        r"""Approximate change in ``params_`` from leaving out each row (``"robust"``) or
        each cluster (``"cluster"``): the rows :math:`D = U\mathcal I^{-1}` with
        ``cov_params(kind)`` :math:`= D^\top D` (scaled by the square root of the CR1
        factor when the few-cluster correction applied). Fits that share rows, such as
        the causes of :class:`~outcomes.survival.CauseSpecificCox`, combine them into a
        joint variance.
        """
        self.check_is_fitted()
        kind = self.cov_type_ if kind is None else kind
        check_choice("kind", kind, ("robust", "cluster"))
        if kind not in self._scores:
            raise OutcomesError(f"the {kind!r} variance was not computed by this fit")
        return pd.DataFrame(self._scores[kind], columns=self.params_.index)

    @property
    def cov_kinds_(self) -> list[str]:
        """The variance kinds this fit computed."""
        self.check_is_fitted()
        return list(self._covs)

    # ---------------------------------------------------------- printing
    def summary_text(self) -> str:
        """``summary`` rendered as text with a header naming the variance used."""
        head = repr(self)
        return f"{head}\n{self.summary.to_string()}"

    def print_summary(self) -> None:
        """Print :meth:`summary_text` (rendering only)."""
        print(self.summary_text())

    def _settings(self) -> str:
        return ""

    def __repr__(self) -> str:
        name = f"{type(self).__name__}({self._settings()})"
        if "_summary" not in self.__dict__:
            return f"{name}: not fitted"
        variance = self.cov_type_
        if self.n_clusters_ is not None:
            variance += f", {self.n_clusters_} clusters"
        if self.correction_ is not None:
            variance += f", {self.correction_}"
        if self.df_ is not None:
            variance += f", t({self.df_:g})"
        return (
            f"{name}: {self.method} on {self.n_rows_:,} rows, {self.n_events_:,.0f} events, "
            f"{len(self.params_)} coefficients; variance {variance}"
        )


class ProportionalHazardsFitter(RegressionFitter):
    """Base class of the proportional-hazards fitters (Cox, Fine-Gray, recurrent events).

    Attributes
    ----------
    baseline_cumulative_hazard_ : DataFrame
        :math:`\\hat\\Lambda_s(t)` at :math:`x = 0`, indexed by time, one column per
        stratum (``"baseline"`` when unstratified).
    baseline_hazard_steps_ : DataFrame
        The increments behind it: ``time, stratum, hazard`` per event time and stratum,
        ``stratum`` the code :meth:`stratum_codes` gives.
    log_likelihood_, log_likelihood_null_ : float
        Log partial likelihood at the estimate and at :math:`\\beta = 0`.
    n_iter_, converged_
        Newton-Raphson iterations and whether they converged.
    """

    ties_: str

    def _decorate(self, table: pd.DataFrame) -> pd.DataFrame:
        table["hazard_ratio"] = np.exp(table["estimate"])
        table["hr_ci_lower"] = np.exp(table["ci_lower"])
        table["hr_ci_upper"] = np.exp(table["ci_upper"])
        return table

    def _store_call(
        self,
        design: Design,
        strata: str | Sequence[str] | None,
        formula: str | None,
        ties: str,
        duration_col: str,
        event_col: str,
    ) -> None:
        check_choice("ties", ties, ("efron", "breslow"))
        self._design = design
        self._strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
        self._formula = formula
        self.ties_ = ties
        self.duration_col_ = duration_col
        self.event_col_ = event_col
        self.last_time_ = float(np.max(design.exit)) if len(design.exit) else float("nan")

    def _newton(self, risk: RiskSets, design: Design, initial_point: Any = None) -> EngineFit:
        """Newton-Raphson from ``initial_point`` (:func:`initial_coefficients`; zero by
        default), after checking that the information at zero is not singular (a
        covariate with no variation within the risk sets makes it so, and Newton would
        only wander before the same error)."""
        loglik_null, _, info = risk.evaluate(np.zeros(risk.p))
        # Each column's information against its own spread over the data, so the check is
        # free of the covariates' units: a ratio near 0 means no variation left within
        # the risk sets once the other columns are accounted for.
        spread = np.sqrt(np.average(risk.X**2, axis=0, weights=risk.w) * risk.event_weight.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = info / np.outer(spread, spread)
        found = dependent_columns(
            scaled, design.names, WITHIN_RISK_SET_TOL, floor=WITHIN_RISK_SET_TOL
        )
        if found:
            _raise_singular(found, design.names)
        return fit_newton(
            risk,
            initial_coefficients(initial_point, design.names),
            tol=self.tol,
            max_iter=self.max_iter,
            loglik_null=loglik_null,
        )

    def _finish(
        self,
        risk: RiskSets,
        result: EngineFit,
        design: Design,
        robust: bool,
        influence: FloatArray | None = None,
    ) -> None:
        """Variances, summary and baseline hazard from a converged engine fit."""
        beta, information = result.beta, result.information
        names = design.names
        _check_information(information, names)
        self._risk = risk
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.log_likelihood_ = result.loglik
        self.log_likelihood_null_ = result.loglik_null
        self.information_ = information
        naive = np.linalg.inv(information)
        choice = None
        if robust:
            if influence is None:
                w = np.ones(risk.n) if design.weights is None else design.weights
                influence = risk.score_residuals(beta) * w[:, None]
            choice = choose_variance(naive, influence, design.cluster, type(self).__name__)
        self._set_results(beta, names, naive, choice, risk.n, float(risk.event_weight.sum()))
        table = risk.group_table(beta)
        self.baseline_hazard_steps_ = pd.DataFrame(
            {"time": table.time, "stratum": table.stratum, "hazard": table.hazard}
        )
        # computed when first read (a bootstrap replicate predicting from the steps
        # never needs the table of every stratum)
        self.__dict__.pop("baseline_cumulative_hazard_", None)

    # ------------------------------------------------------------ baseline
    def _stratum_names(self) -> list[Any]:
        return list(self._design.strata_levels) if self._strata_cols else ["baseline"]

    @functools.cached_property
    def baseline_cumulative_hazard_(self) -> pd.DataFrame:
        """:math:`\\hat\\Lambda_s(t)` at :math:`x = 0` (see the class docstring)."""
        self.check_is_fitted()
        return self._baseline_table()

    def _baseline_table(self) -> pd.DataFrame:
        t = self.baseline_hazard_steps_
        time, stratum, hazard = (t[c].to_numpy() for c in ("time", "stratum", "hazard"))
        times = np.unique(time)
        cols = {}
        for s, name in enumerate(self._stratum_names()):
            m = stratum == s
            cum = np.concatenate([[0.0], np.cumsum(hazard[m])])
            cols[name] = cum[np.searchsorted(time[m], times, side="right")]
        return pd.DataFrame(cols, index=pd.Index(times, name="time"))

    def _cumhaz_at(self, stratum: NDArray[np.int64], times: FloatArray) -> Any:
        """Baseline cumulative hazard, shape (len(times), len(stratum))."""
        t = self.baseline_hazard_steps_
        time, codes, hazard = (t[c].to_numpy() for c in ("time", "stratum", "hazard"))
        out = np.empty((times.shape[0], stratum.shape[0]))
        for s in np.unique(stratum):
            m = codes == s
            cum = np.concatenate([[0.0], np.cumsum(hazard[m])])
            col = cum[np.searchsorted(time[m], times, side="right")]
            out[:, stratum == s] = col[:, None]
        return out

    # ---------------------------------------------------------- new rows
    def design_matrix(self, df: pd.DataFrame) -> pd.DataFrame:
        """Covariates of new rows coded as in the fit (formula, levels, dropped columns).

        Returns a DataFrame with the columns of ``params_`` and the index of ``df``.
        """
        self.check_is_fitted()
        d = self._design
        X, _, _ = design_matrix(df, self._formula, d.covariate_columns, d.model_spec)
        return pd.DataFrame(X[:, d.keep], index=df.index, columns=self.params_.index)

    def term_columns(self, term: str) -> list[str]:
        """The columns of ``params_`` that code one term of the formula (e.g. the
        treatment contrasts of ``"C(order)"``), or the column itself without a formula.
        Columns dropped as degenerate in the fit are not among them."""
        self.check_is_fitted()
        spec = self._design.model_spec
        if spec is None:
            names = [term]
        else:
            try:
                names = list(spec.column_names[spec.get_slice(term)])
            except (KeyError, ValueError):
                raise OutcomesError(f"{term!r} is not a term of the formula") from None
        return [n for n in names if n in self.params_.index]

    def fitted_design(self) -> tuple[FloatArray, NDArray[np.int64]]:
        """The fitted rows' coded covariates (the columns of ``params_``), in the rows'
        order, and their stratum codes: :meth:`design_matrix` and :meth:`stratum_codes`
        of the fitted data, without coding it again."""
        self.check_is_fitted()
        d = self._design
        strata = np.zeros(len(d.X), dtype=np.int64) if d.strata is None else d.strata
        return d.X, strata

    def stratum_codes(self, df: pd.DataFrame) -> NDArray[np.int64]:
        """Stratum code of each row of ``df`` (as in ``baseline_hazard_steps_``)."""
        self.check_is_fitted()
        if not self._strata_cols:
            return np.zeros(len(df), dtype=np.int64)
        missing = [c for c in self._strata_cols if c not in df.columns]
        if missing:
            raise OutcomesError(f"the rows lack the strata columns {missing}")
        labels = strata_labels(df, self._strata_cols)
        lookup = {v: i for i, v in enumerate(self._design.strata_levels)}
        codes = np.array([lookup.get(v, -1) for v in labels], dtype=np.int64)
        if np.any(codes < 0):
            raise OutcomesError("the rows have strata levels not seen in fitting")
        return codes

    def predict_partial_hazard(self, X: pd.DataFrame) -> pd.Series:
        r"""Relative hazard :math:`\exp(x^\top\hat\beta)` (uncentred, relative to
        :math:`x = 0`, the scale of ``baseline_cumulative_hazard_``)."""
        Xm = self.design_matrix(X).to_numpy()
        return pd.Series(np.exp(Xm @ self.params_.to_numpy()), index=X.index)

    def predict_cumulative_hazard(
        self, X: pd.DataFrame, times: Sequence[float] | FloatArray | None = None
    ) -> pd.DataFrame:
        r""":math:`\hat\Lambda_s(t)\exp(x^\top\hat\beta)` for each row of ``X``.

        Returns a DataFrame indexed by time with one column per row of ``X`` (``X`` must
        carry the strata columns of a stratified fit).
        """
        if times is not None:
            warn_beyond_followup(times, self.last_time_, type(self).__name__)
        Xm = self.design_matrix(X).to_numpy()
        codes = self.stratum_codes(X)
        grid = np.unique(self.baseline_hazard_steps_["time"].to_numpy())
        t = grid if times is None else np.asarray(times, float)
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

    def _settings(self) -> str:
        return f"ties={self.ties_!r}" if "ties_" in self.__dict__ else ""


def initial_coefficients(initial_point: Any, names: list[str]) -> FloatArray | None:
    """Newton's starting coefficients in the order of ``names``, from a fit's
    ``initial_point``: a Series is matched by covariate name (one it lacks starts at
    zero: a level coded in these rows only, say), an array must hold one value per
    covariate; None starts at zero."""
    if initial_point is None:
        return None
    if isinstance(initial_point, pd.Series):
        values = initial_point.reindex(names).fillna(0.0).to_numpy(dtype=np.float64)
    else:
        values = np.asarray(initial_point, dtype=np.float64).ravel()
        if values.shape != (len(names),):
            raise OutcomesError(
                f"initial_point has {values.size} values for {len(names)} covariates"
            )
    if not np.all(np.isfinite(values)):
        raise OutcomesError("initial_point must hold finite coefficients")
    return values


def _check_information(information: FloatArray, names: list[str]) -> None:
    """Raise :class:`~outcomes.errors.ModelError` naming the columns behind a singular
    information matrix at the estimate (only those, not the whole design)."""
    p = information.shape[0]
    if np.linalg.matrix_rank(information) >= p:
        return
    found = dependent_columns(information, names, 1e-8)
    if not found:
        # Numerically singular without a clear culprit: name the least informative.
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_diag = np.diag(np.linalg.pinv(information)) * np.diag(information)
        found = [(int(np.nanargmax(inv_diag)), [])]
    _raise_singular(found, names)


def _raise_singular(found: list[tuple[int, list[str]]], names: list[str]) -> NoReturn:
    parts = []
    for j, others in found:
        if others:
            parts.append(f"{names[j]} (a linear combination of {' + '.join(others)})")
        else:
            parts.append(f"{names[j]} (no variation within the risk sets)")
    raise ModelError(
        "the information matrix is singular; these covariates carry no information given "
        "the others (constant within every stratum or risk set, or collinear there): "
        + "; ".join(parts)
    )
