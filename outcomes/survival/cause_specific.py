r"""Cause-specific Cox models and the cumulative incidence they imply.

One Cox model per cause :math:`k`, with the other causes treated as censoring:
:math:`\lambda_k(t \mid x) = \lambda_{k,0}(t)\exp(x^\top\beta_k)`. Each cause-specific
hazard ratio answers "how does :math:`x` change the rate of cause :math:`k` among those
still event-free"; the absolute risk needs every cause, through

.. math::

    F_k(t \mid x) = \sum_{u \le t} \hat S(u- \mid x)\, d\hat\Lambda_k(u \mid x), \qquad
    \hat S(u- \mid x) = \prod_{v < u}\Big\{1 - \sum_{k'} d\hat\Lambda_{k'}(v \mid x)\Big\},

the Aalen-Johansen form with Breslow cumulative hazards (Andersen, Borgan, Gill &
Keiding 1993, section VII.2; Cheng, Fine & Wei 1998). The g-computation estimators
average these predictions over a population.

References
----------
Andersen, P. K., Borgan, O., Gill, R. D. and Keiding, N. (1993). *Statistical Models
Based on Counting Processes*. Springer.
Cheng, S. C., Fine, J. P. and Wei, L. J. (1998). Prediction of cumulative incidence
function under the proportional hazards model. *Biometrics* 54, 219-228.
Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34, 187-220.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival._base import RegressionFitter
from outcomes.survival._engine import FloatArray
from outcomes.survival._followup import warn_beyond_followup
from outcomes.survival._inference import VarianceChoice
from outcomes.survival._validation import check_choice, prepare_design
from outcomes.survival.cox import CoxFitter

__all__ = ["CauseSpecificCox"]


CHUNK_CELLS = 1 << 16
"""Cells (steps x rows) in one block of the cumulative incidence's computation: 512 KiB
of float64, small enough for a core's cache."""


class CauseSpecificCox(RegressionFitter):
    r"""One :class:`~outcomes.survival.CoxFitter` per cause, sharing every argument.

    Parameters
    ----------
    causes : sequence of int, optional
        Event codes to model; by default every positive code in ``event_col``.
    alpha, tol, max_iter
        Passed to each :class:`~outcomes.survival.CoxFitter`.

    Attributes
    ----------
    fitters_ : dict[int, CoxFitter]
        The fitted model per cause.
    params_, summary
        The per-cause estimates stacked, indexed by ``(cause, covariate)``.

    Notes
    -----
    ``cov_params`` is the joint variance of every cause's coefficients. The cause-specific
    partial likelihoods factorise, so the model-based variance is block diagonal; the
    robust and cluster-robust ones carry the covariance between causes that the shared
    rows (or clusters) induce, :math:`\sum_k D_{k,a}^\top D_{k,b}` over the rows of
    :math:`U\mathcal I^{-1}` of causes :math:`a` and :math:`b`.
    """

    _method = "cause_specific_cox"

    def __init__(
        self,
        causes: Sequence[int] | None = None,
        alpha: float = 0.05,
        tol: float = 1e-9,
        max_iter: int = 50,
    ) -> None:
        super().__init__(alpha=alpha, tol=tol, max_iter=max_iter)
        self.causes = causes

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
        initial_point: Mapping[int, pd.Series | FloatArray] | None = None,
    ) -> CauseSpecificCox:
        """Fit one Cox model per cause (``event_col``: 0 = censored, k = cause k).

        Arguments are those of :meth:`CoxFitter.fit`, ``initial_point`` by cause (e.g.
        ``{k: f.params_ for k, f in earlier.fitters_.items()}``); rows with another
        cause are censored at their event time for each model.

        Returns
        -------
        self
        """
        if event_col not in df.columns:
            raise SchemaError(f"columns not found: [{event_col!r}]")
        codes = pd.to_numeric(df[event_col], errors="coerce")
        causes = (
            sorted(int(c) for c in codes.dropna().unique() if c > 0)
            if self.causes is None
            else [int(c) for c in self.causes]
        )
        if not causes:
            raise OutcomesError(f"no events (positive codes) in {event_col}")
        self.causes_ = causes
        self.fitters_: dict[int, CoxFitter] = {}
        check_choice("ties", ties, ("efron", "breslow"))
        # The causes' models share every column but the event: the rows are checked
        # and the design coded once (with a 0/1 "any event" column standing in, so
        # the checks are those each cause's 0/1 column would get), then each cause
        # is fitted with its own events.
        design = prepare_design(
            df.assign(**{event_col: (codes > 0).astype(np.int64).where(codes.notna())}),
            duration_col,
            event_col,
            entry_col,
            strata,
            weights_col,
            cluster_col,
            formula,
        )
        for k in causes:
            event = (codes == k).to_numpy()
            if not event.any():
                raise OutcomesError(f"no events in {event_col}: nothing to fit")
            fitter = CoxFitter(self.alpha, self.tol, self.max_iter)
            own = dataclasses.replace(design, event=event.astype(np.int64))
            fitter._store_call(own, strata, formula, ties, duration_col, event_col)
            fitter._fit_design(
                own,
                event,
                ties,
                robust or cluster_col is not None,
                None if initial_point is None else initial_point.get(k),
            )
            self.fitters_[k] = fitter
        self._set_joint_results()
        return self

    def _set_joint_results(self) -> None:
        """Stack the causes' estimates; joint variances from their per-row scores."""
        fits = list(self.fitters_.values())
        first = fits[0]
        names = pd.MultiIndex.from_tuples(
            [(k, c) for k, f in self.fitters_.items() for c in f.params_.index],
            names=["cause", "covariate"],
        )
        params = np.concatenate([f.params_.to_numpy() for f in fits])
        model = _block_diagonal([f.cov_params("model").to_numpy() for f in fits])
        kinds = [k for k in first.cov_kinds_ if k != "model"]
        choice = None
        if kinds:
            scores = {k: np.hstack([f.dfbeta(k).to_numpy() for f in fits]) for k in kinds}
            choice = VarianceChoice(
                kind=first.cov_type_,
                matrices={k: D.T @ D for k, D in scores.items()},
                scores=scores,
                n_clusters=first.n_clusters_,
                df=first.df_,
                correction=first.correction_,
            )
        self._set_results(
            params,
            names,
            model,
            choice,
            first.n_rows_,
            float(sum(f.n_events_ for f in fits)),
        )

    def _decorate(self, table: pd.DataFrame) -> pd.DataFrame:
        table["hazard_ratio"] = np.exp(table["estimate"])
        table["hr_ci_lower"] = np.exp(table["ci_lower"])
        table["hr_ci_upper"] = np.exp(table["ci_upper"])
        return table

    def predict_cumulative_incidence(
        self,
        X: pd.DataFrame,
        times: Sequence[float] | FloatArray | None = None,
        cause: int = 1,
        method: str = "product_limit",
    ) -> pd.DataFrame:
        """:math:`\\hat F_k(t \\mid x)` for each row of ``X`` (columns) at ``times`` (index).

        Parameters
        ----------
        X : DataFrame
            Covariate (and strata) columns used in fitting.
        times : array-like, optional
            Defaults to the event times of every cause.
        cause : int
            The cause :math:`k`.
        method : {"product_limit", "exponential"}
            ``"product_limit"`` is the sum in the module docstring (a step whose
            increments add to more than 1 ends the survival curve). ``"exponential"``
            takes the matrix exponential of each step's hazard increments,
            :math:`dF_k = e^{-\\hat\\Lambda(u-)}\\, (d\\hat\\Lambda_k / d\\hat\\Lambda)
            (1 - e^{-d\\hat\\Lambda})` with :math:`\\Lambda = \\sum_k \\Lambda_k`, which is
            what R's ``survfit`` does for a multi-state ``coxph`` and never leaves [0, 1].
        """
        self.check_is_fitted()
        if cause not in self.fitters_:
            raise OutcomesError(f"cause {cause} was not fitted (causes: {self.causes_})")
        # the causes' models share one design (fit), so the rows are coded once
        design = self.fitters_[cause].design_matrix(X).to_numpy()
        scores = {k: design @ f.params_.to_numpy() for k, f in self.fitters_.items()}
        # Every cause's model is fitted on the same rows and strata, so one coding serves.
        codes = self.fitters_[cause].stratum_codes(X)
        out = self.cumulative_incidence_from_scores(scores, codes, times, cause, method)
        return pd.DataFrame(out[1], index=pd.Index(out[0], name="time"), columns=X.index)

    def cumulative_incidence_from_scores(
        self,
        scores: Mapping[int, FloatArray],
        strata: NDArray[np.int64],
        times: Sequence[float] | FloatArray | None = None,
        cause: int = 1,
        method: str = "product_limit",
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`predict_cumulative_incidence` from linear predictors already computed.

        For callers that predict many versions of the same rows (a g-formula that
        changes one covariate) and can form :math:`x^\\top\\hat\\beta_k` by adding a
        term's contribution instead of coding a design matrix per version.

        Parameters
        ----------
        scores : mapping of int to array, shape (n,)
            Each fitted cause's linear predictor :math:`x^\\top\\hat\\beta_k` per row.
        strata : array of int, shape (n,)
            Each row's stratum code (:meth:`~outcomes.survival.CoxFitter.stratum_codes`).
        times, cause, method
            As for :meth:`predict_cumulative_incidence`.

        Returns
        -------
        times : ndarray, shape (T,)
        incidence : ndarray, shape (T, n)
        """
        check_choice("method", method, ("product_limit", "exponential"))
        self.check_is_fitted()
        if cause not in self.fitters_:
            raise OutcomesError(f"cause {cause} was not fitted (causes: {self.causes_})")
        if set(scores) != set(self.fitters_):
            raise OutcomesError(f"scores are needed for every cause: {self.causes_}")
        steps = {
            k: tuple(f.baseline_hazard_steps_[c].to_numpy() for c in ("time", "stratum", "hazard"))
            for k, f in self.fitters_.items()
        }
        grid = np.unique(np.concatenate([time for time, _, _ in steps.values()]))
        if times is not None:
            last = max(f.last_time_ for f in self.fitters_.values())
            warn_beyond_followup(times, last, "CauseSpecificCox")
        t = grid if times is None else np.asarray(times, dtype=np.float64)
        if t.size:
            # steps after the last time asked for change nothing at the times asked for
            last_asked = float(np.max(t))
            steps = {
                k: tuple(a[time <= last_asked] for a in (time, stratum, hazard))
                for k, (time, stratum, hazard) in steps.items()
            }
        risks = {k: np.exp(np.asarray(scores[k], dtype=np.float64)) for k in self.fitters_}
        codes = np.asarray(strata, dtype=np.int64)
        # A row's hazards step only at its own stratum's event times, so each stratum has
        # its own time grid (every cause's event times in it): with S strata this is
        # about S times less work than one grid of every stratum's times. Strata whose
        # grids are about as long (within a factor of 2) are computed together, their
        # grids side by side as the columns of one array, padded at the end with zero
        # increments, which leave the products and sums unchanged and are never read:
        # the same numbers as stratum by stratum, with a handful of array operations.
        n_strata = 1 + int(
            max([codes.max(initial=-1), *(st.max(initial=-1) for _, st, _ in steps.values())])
        )
        # every cause's (stratum, time) steps, sorted, and each distinct pair's place on
        # its stratum's grid
        step_stratum = np.concatenate([stratum for _, stratum, _ in steps.values()])
        step_time = np.concatenate([time for time, _, _ in steps.values()])
        order = np.lexsort((step_time, step_stratum))
        new = np.ones(order.size, dtype=bool)
        new[1:] = (np.diff(step_stratum[order]) != 0) | (np.diff(step_time[order]) != 0)
        pair = np.empty(order.size, dtype=np.intp)
        pair[order] = np.cumsum(new) - 1
        grid_stratum, grid_time = step_stratum[order][new], step_time[order][new]
        place = pair - np.searchsorted(grid_stratum, np.arange(n_strata))[step_stratum]
        size = np.bincount(grid_stratum, minlength=n_strata)
        bases, at_step = {}, 0
        for k, (time, stratum, hazard) in steps.items():
            bases[k] = np.zeros((int(size.max(initial=0)), n_strata))
            here = slice(at_step, at_step + time.size)
            bases[k][place[here], stratum] = hazard
            at_step += time.size
        # the last grid place at or before each time, per stratum (0: before the first)
        at = np.stack([np.bincount(grid_stratum[grid_time <= u], minlength=n_strata) for u in t])
        bucket = np.frexp(size)[1][codes]
        # Rows sorted by (bucket, stratum): a block's rows then come in runs of one
        # stratum, whose increments are copies of one column of the bases (a repeat,
        # not a gather per cell).
        key = bucket * n_strata + codes
        # numpy sorts 16-bit integers by radix: several times faster than 64-bit ones
        if key.size and key.max() < np.iinfo(np.uint16).max:
            key = key.astype(np.uint16)
        by_bucket = np.argsort(key, kind="stable")
        edges = np.flatnonzero(np.diff(bucket[by_bucket])) + 1
        out = np.zeros((t.size, codes.size))
        for cols in np.split(by_bucket, edges):
            if cols.size == 0:
                continue
            length = int(size[codes[cols]].max())
            if length == 0:
                continue  # strata without a step: no incidence at any time
            # Columns in chunks of about CHUNK_CELLS cells, so that the few passes over
            # each (steps x rows) block run in cache rather than in main memory.
            width = max(1, CHUNK_CELLS // length)
            for first in range(0, cols.size, width):
                chunk = cols[first : first + width]
                rows_strata = codes[chunk]
                runs = np.flatnonzero(np.r_[True, rows_strata[1:] != rows_strata[:-1]])
                run_strata = rows_strata[runs]
                run_length = np.diff(np.r_[runs, rows_strata.size])
                dH = {
                    k: np.repeat(base[:length, run_strata], run_length, axis=1) * risks[k][chunk]
                    for k, base in bases.items()
                }
                total = dH[cause].copy()
                for k, part in dH.items():
                    if k != cause:
                        total += part
                cif = _cumulative_incidence(total, dH[cause], method)
                # the incidence after each row's last step at or before each time asked
                place = at[:, rows_strata]
                values = np.take_along_axis(cif, np.maximum(place - 1, 0), axis=0)
                out[:, chunk] = np.where(place > 0, values, 0.0)
        return t, out


def _cumulative_incidence(total: FloatArray, own: FloatArray, method: str) -> FloatArray:
    """Cumulative incidence of one cause after each step, shape (steps, rows), from
    hazard increments; ``total`` holds every cause's increments summed, ``own`` the
    cause's own. Both arrays are overwritten (the callers' are temporaries: each pass
    over them in place saves a copy of an array of steps x rows)."""
    if method == "product_limit":
        # S(u-) = prod_{v < u} (1 - sum_k dH_k(v)). A step whose summed increments
        # exceed 1 (possible for very high predicted risk) removes everyone left, and
        # is shared between causes in proportion to their increments.
        over = total > 1.0
        step = own
        if over.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(over, own / total, own)
        surv = np.subtract(1.0, total, out=total)
        np.maximum(surv, 0.0, out=surv)
        _accumulate(np.multiply, surv)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(total > 0, own / total * -np.expm1(-total), 0.0)
        surv = _accumulate(np.add, total)
        np.exp(np.negative(surv, out=surv), out=surv)
    step[1:] *= surv[:-1]
    return _accumulate(np.add, step)


def _accumulate(op: np.ufunc, a: FloatArray) -> FloatArray:
    """``op.accumulate(a, axis=0)`` in place. On a block wider than it is tall, a loop
    over its rows, each one vectorised operation along contiguous memory, is about ten
    times faster than numpy's accumulation down the columns, which strides through
    memory a column at a time."""
    if a.shape[0] > a.shape[1]:
        op.accumulate(a, axis=0, out=a)
        return a
    for i in range(1, a.shape[0]):
        op(a[i - 1], a[i], out=a[i])
    return a


def _block_diagonal(blocks: list[FloatArray]) -> FloatArray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        k = b.shape[0]
        out[at : at + k, at : at + k] = b
        at += k
    return out
