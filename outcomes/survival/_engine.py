r"""The one weighted partial-likelihood engine behind Cox, Andersen-Gill and Fine-Gray.

Every proportional-hazards fitter in :mod:`outcomes.survival` reduces to the same
computation: a weighted partial likelihood over counting-process risk sets

.. math::

    \ell(\beta) = \sum_i w_i \delta_i \eta_i
        - \sum_{g} w^{D}_g \log S^{(0)}(t_g),
    \qquad
    S^{(r)}(t) = \sum_j w_j(t)\, Y_j(t)\, e^{\eta_j} x_j^{\otimes r},

where :math:`\eta_j = x_j^\top\beta`, :math:`Y_j(t) = 1\{s_j < t \le t_j\}` within the
row's stratum, :math:`w_j` is a case weight and :math:`w^{D}_g` the summed weight of the
events in tie group :math:`g`. Fine-Gray adds *tail* rows: a row that left the risk set
at :math:`t_j` stays in it afterwards with weight :math:`w_j\,G_c(t-)/G_c(t_j-)`
(Fine & Gray 1999). Ties are handled as Breslow (1974) or Efron (1977); with Efron each
tie group of :math:`d` events is split into :math:`d` sub-terms with denominators
:math:`S^{(0)} - (k/d)\,E^{(0)}`, :math:`k = 0, \dots, d-1`, where :math:`E^{(r)}` sums
over the tied events only, each carrying the mean event weight (as R's ``coxph`` does).

Risk-set sums cost :math:`O(n \log n)` once (one sort) and :math:`O(n p^2)` per Newton
step: rows are sorted by (stratum, exit time); :math:`\sum_{t_j \ge t}` is a difference
of cumulative sums located by ``searchsorted``; delayed entry subtracts
:math:`\sum_{s_j \ge t}` the same way (a row with :math:`s_j \ge t` always has
:math:`t_j > t`); tail rows add :math:`G_c(t-)\sum_{t_j < t} w_j e^{\eta_j}/G_c(t_j-)`.
Nothing loops over rows or event times in Python.

Score residuals (Lin & Wei 1989; Therneau & Grambsch 2000, ch. 7) are

.. math::

    L_i = \int \{x_i - \bar x(t)\}\, dN_i(t)
        - \int \{x_i - \bar x(t)\}\, w_i(t) Y_i(t) e^{\eta_i}\, d\hat\Lambda_0(t),

computed in :math:`O(n p)` from cumulative hazards; the robust variance is
:math:`\mathcal I^{-1} \big(\sum_k U_k U_k^\top\big) \mathcal I^{-1}` with
:math:`U_k = \sum_{i \in k} w_i L_i` summed within cluster :math:`k` (each row its own
cluster when no cluster is given), which is what ``coxph(..., robust=TRUE)`` and
``cluster()`` report.

References
----------
Andersen, P. K. and Gill, R. D. (1982). Cox's regression model for counting processes.
*Annals of Statistics* 10, 1100-1120.
Breslow, N. (1974). Covariance analysis of censored survival data. *Biometrics* 30,
89-99.
Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34, 187-220.
Efron, B. (1977). The efficiency of Cox's likelihood function for censored data.
*JASA* 72, 557-565.
Fine, J. P. and Gray, R. J. (1999). A proportional hazards model for the subdistribution
of a competing risk. *JASA* 94, 496-509.
Grambsch, P. M. and Therneau, T. M. (1994). Proportional hazards tests and diagnostics
based on weighted residuals. *Biometrika* 81, 515-526.
Lin, D. Y. and Wei, L. J. (1989). The robust inference for the Cox proportional hazards
model. *JASA* 84, 1074-1078.
Therneau, T. M. and Grambsch, P. M. (2000). *Modeling Survival Data: Extending the Cox
Model*. Springer.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outcomes.errors import OutcomesError, OutcomesWarning

FloatArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.int64]

__all__ = ["EngineFit", "GroupTable", "RiskSets", "TailWeights", "fit_newton", "reverse_cumsum0"]

MAX_ETA = 300.0
r"""Largest linear predictor exponentiated as is; beyond it the risk-set sums are
shifted (log-sum-exp) so that :math:`e^{\eta}` cannot overflow."""

MIN_RISK_SUM = 1e-290
"""A (shifted) risk-set sum below this marks a point where the sums have underflowed;
:meth:`RiskSets.evaluate` reports it as an impossible step, which Newton halves."""


@dataclass(frozen=True)
class TailWeights:
    """Rows that stay at risk after their exit time with a decaying weight.

    A row ``j`` with ``group[j] = c >= 0`` contributes, at every event time
    :math:`t > t_j` of its stratum, the weight :math:`w_j\\, G_c(t-) / G_c(t_j-)`. This is
    the Fine-Gray risk set for individuals who had a competing event.

    Attributes
    ----------
    group : ndarray of int
        Tail group per row; ``-1`` for rows that leave at their exit time.
    denominator : ndarray of float
        :math:`G_c(t_j-)` per row (ignored where ``group == -1``).
    curve : callable
        ``curve(c, times)`` returns :math:`G_c(t-)` at the given event times.
    """

    group: IntArray
    denominator: FloatArray
    curve: Callable[[int, FloatArray], FloatArray]


@dataclass(frozen=True)
class GroupTable:
    """Per tie-group quantities at a given :math:`\\beta` (one row per event time/stratum).

    ``hazard`` is the baseline hazard increment :math:`d\\hat\\Lambda_0(t_g)` on the
    *uncentred* covariate scale (Efron-adjusted when ``ties='efron'``, as R's
    ``survfit.coxph`` does); ``xbar_hazard`` is :math:`\\sum_k \\bar x_k\\, d\\Lambda_k`.
    """

    time: FloatArray
    stratum: IntArray
    hazard: FloatArray
    xbar_hazard: FloatArray
    n_events: FloatArray
    event_weight: FloatArray


@dataclass(frozen=True)
class EngineFit:
    """Result of :func:`fit_newton`."""

    beta: FloatArray
    loglik: float
    loglik_null: float
    score: FloatArray
    information: FloatArray
    n_iter: int
    converged: bool


class RiskSets:
    """Sorted counting-process risk sets, built once and evaluated at any :math:`\\beta`.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Covariates.
    exit : ndarray, shape (n,)
        Exit (stop) times :math:`t_i`.
    event : ndarray of bool, shape (n,)
        Whether the row ends in an event at :math:`t_i`.
    entry : ndarray, shape (n,), optional
        Entry (start) times :math:`s_i < t_i`; rows are at risk on :math:`(s_i, t_i]`.
    strata : ndarray of int, shape (n,), optional
        Stratum codes; each stratum has its own risk sets and baseline hazard.
    weights : ndarray, shape (n,), optional
        Case weights (non-negative).
    ties : {"efron", "breslow"}
        Tie handling.
    tail : TailWeights, optional
        Rows that remain at risk after exit with time-varying weights (Fine-Gray).
    """

    def __init__(
        self,
        X: FloatArray,
        exit: FloatArray,
        event: NDArray[np.bool_],
        entry: FloatArray | None = None,
        strata: IntArray | None = None,
        weights: FloatArray | None = None,
        ties: str = "efron",
        tail: TailWeights | None = None,
    ) -> None:
        if ties not in ("efron", "breslow"):
            raise OutcomesError(f"ties must be 'efron' or 'breslow', not {ties!r}")
        n = exit.shape[0]
        strata_codes = np.zeros(n, dtype=np.int64) if strata is None else strata.astype(np.int64)
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        self.n, self.p = X.shape
        self.ties = ties
        # Centring changes no estimate but keeps exp(eta) away from overflow (as coxph).
        self.center = np.average(X, axis=0, weights=w) if w.sum() > 0 else X.mean(axis=0)
        self._sort_rows(X, exit, event, entry, strata_codes, w, strata is None)
        self._tie_groups()
        if entry is not None:
            self._entry_index(entry, strata_codes)
        self._efron_terms()
        # Every cumulative sum restarts at each stratum (:func:`_cumsum_within`): one
        # shift of the linear predictor serves all strata, so one stratum's sums can be
        # many orders of magnitude above another's, and a sum over a stratum taken as
        # the difference of running totals through it would lose the small one.
        self._group_runs = _Runs(self.group_stratum)
        # each group's rows at risk beyond the next group's: [its exit, the next group's
        # exit) within its stratum, the last group's up to the stratum's end
        stratum_end = np.searchsorted(
            self._key_exit_sorted, (self.group_stratum + 1) * self._nt, side="left"
        )
        self._exit_blocks = _blocks(self.at_exit, stratum_end, self.group_stratum, self.n)
        # each sorted row's tie groups at risk: those of its stratum after its entry
        # (the stratum's start without one), up to and including its exit time; and
        # its stratum's first and past-the-last tie groups
        ks = self._key_exit_sorted
        first = np.searchsorted(self.group_keys, self.strata * self._nt, side="left")
        self._exposure_bounds = (
            np.searchsorted(self.group_keys, ks, side="right"),
            first
            if entry is None
            else np.searchsorted(self.group_keys, self._key_entry_sorted_rows, side="right"),
            first,
        )
        self._group_end = np.searchsorted(self.group_keys, (self.strata + 1) * self._nt, "left")
        self.tail = tail
        if tail is not None:
            self._tail_sums(tail)
        self._iu = np.triu_indices(self.p)
        self._XT = np.ascontiguousarray(self.X.T)
        self._cache: tuple[bytes, Any] | None = None

    def _sort_rows(
        self,
        X: FloatArray,
        exit: FloatArray,
        event: NDArray[np.bool_],
        entry: FloatArray | None,
        strata_codes: IntArray,
        w: FloatArray,
        unstratified: bool,
    ) -> None:
        """Sort rows by (stratum, exit time) through one exact int64 key per row."""
        n = exit.shape[0]
        # Dense ranks of every time turn (stratum, time) into one exact int64 key. One sort
        # of the times gives the ranks, and (unstratified) already the row order.
        times = exit if entry is None else np.concatenate([exit, entry])
        by_time = np.argsort(times, kind="stable")
        sorted_times = times[by_time]
        new_value = np.empty(times.shape[0], dtype=bool)
        new_value[:1] = True
        np.not_equal(sorted_times[1:], sorted_times[:-1], out=new_value[1:])
        self._uniq_times = sorted_times[new_value]
        rank = np.empty(times.shape[0], dtype=np.int64)
        rank[by_time] = np.cumsum(new_value) - 1
        self._rank = rank
        nt = np.int64(self._uniq_times.shape[0] + 1)
        self._nt = nt
        key_exit = strata_codes * nt + rank[:n]
        order = by_time if unstratified and entry is None else np.argsort(key_exit, kind="stable")
        self.order = order
        self._key_exit_sorted = key_exit[order]
        self.X = X[order] - self.center
        self.w = w[order]
        self.event = event[order].astype(bool)
        self.exit = exit[order]
        self.strata = strata_codes[order]

    def _tie_groups(self) -> None:
        """Event rows, their tie groups (one per stratum and event time), and where each
        group's risk set starts and ends among the sorted rows."""
        ks, nt = self._key_exit_sorted, self._nt
        death_pos = np.flatnonzero(self.event)
        self.death_pos = death_pos
        group_keys, first, counts = np.unique(ks[death_pos], return_index=True, return_counts=True)
        self.group_keys = group_keys
        self.group_first = first  # offsets into death_pos, for reduceat
        self.group_count = counts.astype(np.float64)
        self.group_stratum = group_keys // nt
        self.group_time = self._uniq_times[group_keys % nt]
        self.n_groups = group_keys.shape[0]
        self.death_group = np.repeat(np.arange(self.n_groups), counts)
        self.at_exit: IntArray = np.asarray(np.searchsorted(ks, group_keys, side="left"))
        self.stratum_start = np.searchsorted(ks, self.group_stratum * nt, side="left")
        self.event_weight = (
            np.add.reduceat(self.w[death_pos], first) if death_pos.size else np.zeros(0)
        )
        self.has_entry = False

    def _entry_index(self, entry: FloatArray, strata_codes: IntArray) -> None:
        """Delayed entry: rows in entry-time order, to subtract those not yet entered."""
        nt, n = self._nt, self.n
        self.has_entry = True
        key_entry = strata_codes * nt + self._rank[n:]
        ke_sorted_rows = key_entry[self.order]
        self.entry_order = np.argsort(ke_sorted_rows, kind="stable")
        ke = ke_sorted_rows[self.entry_order]
        self.at_entry: IntArray = np.asarray(np.searchsorted(ke, self.group_keys, side="left"))
        self.entry_end: IntArray = np.asarray(
            np.searchsorted(ke, (self.group_stratum + 1) * nt, side="left")
        )
        self._key_entry_sorted_rows = ke_sorted_rows
        self._entry_blocks = _blocks(self.at_entry, self.entry_end, self.group_stratum, n)
        self.entry_times = entry[self.order]  # in the sorted row order, like self.exit

    def _efron_terms(self) -> None:
        """Efron splits a tie group of d events into d sub-terms; Breslow keeps one."""
        counts = self.group_count.astype(np.int64)
        n_sub = counts if self.ties == "efron" else np.ones_like(counts)
        self.sub_group = np.repeat(np.arange(self.n_groups), n_sub)
        sub_start = np.cumsum(n_sub) - n_sub
        k = np.arange(self.sub_group.shape[0]) - np.repeat(sub_start, n_sub)
        self.sub_frac = k / np.repeat(counts, n_sub).astype(np.float64)
        if self.ties == "breslow":
            self.sub_frac = np.zeros_like(self.sub_frac)
        self.n_sub = n_sub.astype(np.float64)
        self.sub_wt = (self.event_weight / self.n_sub)[self.sub_group]
        # Only Efron sub-terms with k > 0 need the tied events' own sums E; untied data
        # (the common case at scale) then skip that gather altogether.
        self._efron_subs = np.flatnonzero(self.sub_frac > 0)
        tied_groups = np.unique(self.sub_group[self._efron_subs])
        self._tied_groups = tied_groups
        tied_rows = np.isin(self.death_group, tied_groups)
        self._tied_death_pos = self.death_pos[tied_rows]
        tg_counts = counts[tied_groups]
        self._tied_first = (np.cumsum(tg_counts) - tg_counts).astype(np.int64)
        self._efron_sub_tied = np.searchsorted(tied_groups, self.sub_group[self._efron_subs])
        self._identity_subs = self.sub_group.shape[0] == self.n_groups

    def _tail_sums(self, tail: TailWeights) -> None:
        """Fine-Gray tail rows: their weights' curves at the event times, and the index
        ranges of the cumulative sums over each tail group."""
        tg = tail.group[self.order]
        self.tail_group = tg
        self.tail_den = np.where(tg >= 0, tail.denominator[self.order], 1.0)
        self.tail_groups = np.unique(tg[tg >= 0])
        self.tail_curve = {
            int(c): np.asarray(tail.curve(int(c), self.group_time), dtype=np.float64)
            for c in self.tail_groups
        }
        # Cumulative sums over the tail rows of each group only (restarting at each
        # stratum), and where each tie group's [stratum start, first row at risk) range
        # falls among them.
        self._tail_index: dict[int, tuple[Any, Any, Any]] = {}
        # tie groups that follow another of the same stratum
        same = np.zeros(self.n_groups, dtype=bool)
        same[1:] = self.group_stratum[1:] == self.group_stratum[:-1]
        for c in self.tail_groups:
            pos = np.flatnonzero(tg == c)
            hi: IntArray = np.asarray(np.searchsorted(pos, self.at_exit))
            lo = np.searchsorted(pos, self.stratum_start)
            # each group's tail rows beyond the previous group's, within its stratum
            start = np.where(same, np.concatenate([[0], hi[:-1]]), lo)
            self._tail_index[int(c)] = (
                pos,
                1.0 / self.tail_den[pos],
                _spans(start, hi, pos.shape[0]),
            )

    # ------------------------------------------------------------------ sums
    def _row_terms(
        self, beta: FloatArray, second: bool = False
    ) -> tuple[FloatArray, float, FloatArray]:
        r"""Return eta, the shift c and the per-row terms [w e^(eta-c), w e^(eta-c) x] --
        with ``second``, also w e^(eta-c) x x^T (upper triangle) -- as rows of an (m, n)
        array, so every operation runs on contiguous memory (about 4x faster than the
        (n, m) layout at n = 300,000).

        The shift is the log-sum-exp device: every risk-set sum is scaled by
        :math:`e^{-c}`, which cancels in the score and information and is added back to
        the log-likelihood and the hazard. It is 0 unless some :math:`\eta` exceeds
        :data:`MAX_ETA` (a trial Newton step, or a separated covariate), so ordinary fits
        are computed exactly as without it."""
        eta = beta @ self._XT
        top = float(eta.max()) if eta.size else 0.0
        shift = top - MAX_ETA if np.isfinite(top) and top > MAX_ETA else 0.0
        r = self.w * np.exp(eta - shift) if shift else self.w * np.exp(eta)
        i0, i1 = self._iu
        p = self.p
        V = np.empty((1 + p + (i0.shape[0] if second else 0), self.n))
        V[0] = r
        np.multiply(r, self._XT, out=V[1 : 1 + p])
        if second:
            for k in range(i0.shape[0]):  # p(p+1)/2 products, not rows
                np.multiply(V[1 + i0[k]], self._XT[i1[k]], out=V[1 + p + k])
        return eta, shift, V

    def _risk_sums(self, V: FloatArray) -> FloatArray:
        """Risk-set sums S^(r) at each tie group, shape (G, m)."""
        # each group's block of rows, then the blocks from each group's to its stratum's
        # last, summed from the end: S_g = B_g + S_(g+1) within a stratum
        runs = self._group_runs
        S = _cumsum_within(_block_sums(V, self._exit_blocks), runs, reverse=True)
        if self.has_entry:
            # those not yet entered: entry after the group's time, to the stratum's end
            Be = _block_sums(V[:, self.entry_order], self._entry_blocks)
            S -= _cumsum_within(Be, runs, reverse=True)
        if self.tail is not None:
            for c, (pos, inv_den, blocks) in self._tail_index.items():
                Bc = _block_sums(V[:, pos] * inv_den, blocks)
                S += self.tail_curve[c] * _cumsum_within(Bc, runs)
        return np.ascontiguousarray(S.T)

    def _sub_terms(
        self, beta: FloatArray, second: bool = False
    ) -> tuple[FloatArray, float, FloatArray, FloatArray, FloatArray | None]:
        """eta, the shift c of :meth:`_row_terms` and the Efron/Breslow sub-term sums
        d0 (K,), d1 (K, p) and, with ``second``, d2 (K, m2), all scaled by
        :math:`e^{-c}`.

        The last evaluation without ``second`` is cached: Newton's final step, the
        residuals and the baseline hazard all ask for the same beta. The information
        needs no d2 (:meth:`evaluate`); only the per-sub-term covariances of
        :meth:`sub_term_moments` do."""
        key = beta.tobytes()
        if not second and self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        eta, shift, V = self._row_terms(beta, second)
        S = self._risk_sums(V)
        D = S if self._identity_subs else S[self.sub_group]
        if self._efron_subs.size:
            E = np.add.reduceat(V[:, self._tied_death_pos], self._tied_first, axis=1).T
            subs = self._efron_subs
            D[subs] -= self.sub_frac[subs, None] * E[self._efron_sub_tied]
        out = (
            eta,
            shift,
            D[:, 0],
            D[:, 1 : 1 + self.p],
            D[:, 1 + self.p :] if second else None,
        )
        if not second:
            self._cache = (key, out)
        return out

    def _exposure(self, haz: FloatArray) -> FloatArray:
        r"""Per sorted row, :math:`a_i = \sum_k c_k\, \omega_{ik}`: the sum of a
        per-sub-term quantity :math:`c_k` over the sub-terms whose risk set holds row
        :math:`i`, with the row's weight there :math:`\omega_{ik}` (1 at risk; a tied
        event's :math:`1 - k/d` in its own group's Efron sub-terms; a Fine-Gray tail
        row's :math:`G(t_k-)/G(t_i-)` after its exit). Then
        :math:`\sum_k c_k S^{(r)}_k = \sum_i a_i w_i e^{\eta_i} x_i^{\otimes r}`: a sum
        over rows in place of one over risk sets. ``O(n + K)``."""
        G = self.n_groups
        H = np.bincount(self.sub_group, weights=haz, minlength=G).astype(np.float64)
        hi, lo, first = self._exposure_bounds
        a = _sum_between(_cumsum_within(H, self._group_runs), lo, hi, first)
        if self._efron_subs.size:
            own = np.bincount(self.sub_group, weights=haz * self.sub_frac, minlength=G)
            a[self.death_pos] -= own[self.death_group]
        if self.tail is not None:
            end = self._group_end
            for c in self.tail_groups:
                K = _cumsum_within(self.tail_curve[int(c)] * H, self._group_runs, True)
                rows = np.flatnonzero(self.tail_group == c)
                after = _sum_between(K, hi[rows], end[rows], end[rows], reverse=True)
                a[rows] += after / self.tail_den[rows]
        return a

    def evaluate(self, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Log partial likelihood, score and observed information at ``beta``."""
        invalid = (-np.inf, np.zeros(self.p), np.eye(self.p))
        with np.errstate(all="ignore"):
            eta, shift, d0, d1, _ = self._sub_terms(beta)
            if not np.all(np.isfinite(d0) & (d0 > MIN_RISK_SUM)):
                # A risk set whose sum underflowed (or overflowed): a step too far.
                return invalid
            wt = self.sub_wt
            dp = self.death_pos
            wd = self.w[dp]
            loglik = float(wd @ eta[dp] - wt @ np.log(d0))
            if shift:
                loglik -= shift * float(wt.sum())
            xbar = d1 / d0[:, None]
            score = wd @ self.X[dp] - wt @ xbar
            # sum_k (wt_k / d0_k) S2_k, regrouped by row (:meth:`_exposure`): one
            # (p x n)(n x p) product instead of cumulative sums of n p(p+1)/2 terms.
            r = self.w * np.exp(eta - shift) if shift else self.w * np.exp(eta)
            m = r * self._exposure(wt / d0)
            info = (self._XT * m) @ self.X
            info = (info + info.T) / 2.0
            info -= (xbar * wt[:, None]).T @ xbar
        if not (np.isfinite(loglik) and np.all(np.isfinite(score)) and np.all(np.isfinite(info))):
            return invalid
        return loglik, score, info

    def sub_term_moments(self, beta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per Efron/Breslow sub-term: weight, :math:`\\bar x` and the covariance
        :math:`S^{(2)}/S^{(0)} - \\bar x\\bar x^\\top` (shape (K, p, p)); ``sub_group``
        maps sub-terms to tie groups. Used by the proportional-hazards score test."""
        _, _, d0, d1, d2 = self._sub_terms(beta, second=True)
        assert d2 is not None  # asked for
        xbar = d1 / d0[:, None]
        K = d0.shape[0]
        M = np.zeros((K, self.p, self.p))
        i0, i1 = self._iu
        M[:, i0, i1] = d2 / d0[:, None]
        M[:, i1, i0] = d2 / d0[:, None]
        M -= xbar[:, :, None] * xbar[:, None, :]
        return self.sub_wt, xbar, M

    # ------------------------------------------------------------ residuals
    def group_table(self, beta: FloatArray, centred: bool = False) -> GroupTable:
        """Baseline hazard increments and their covariate moments per tie group.

        With ``centred=True`` both are on the engine's internal centred scale
        (:math:`x - \\bar x_w`), the scale of ``RiskSets.X``."""
        _, shift, d0, d1, _ = self._sub_terms(beta)
        haz_sub = self.sub_wt / d0
        xbar = d1 / d0[:, None]
        G = self.n_groups
        hazard = np.bincount(self.sub_group, weights=haz_sub, minlength=G).astype(np.float64)
        xbar_h = _group_sum(self.sub_group, xbar * haz_sub[:, None], G)
        if shift:
            hazard, xbar_h = hazard * np.exp(-shift), xbar_h * np.exp(-shift)
        if centred:
            return GroupTable(
                self.group_time,
                self.group_stratum,
                hazard,
                xbar_h,
                self.group_count,
                self.event_weight,
            )
        # back to the uncentred scale: d Lambda_0 = d Lambda_c * exp(-center' beta)
        log_scale = -float(self.center @ beta)
        if abs(log_scale) < MAX_ETA:
            scale = np.exp(log_scale)
            hazard_u = hazard * scale
            xbar_hu = (xbar_h + self.center * hazard[:, None]) * scale
        else:
            # exp(log_scale) alone would overflow or vanish; the products need not.
            hazard_u = _scaled(hazard, log_scale)
            xbar_hu = _scaled(xbar_h + self.center * hazard[:, None], log_scale)
        return GroupTable(
            time=self.group_time,
            stratum=self.group_stratum,
            hazard=hazard_u,
            xbar_hazard=xbar_hu,
            n_events=self.group_count,
            event_weight=self.event_weight,
        )

    def score_residuals(self, beta: FloatArray) -> FloatArray:
        """Unweighted score residuals :math:`L_i`, shape (n, p), in the input row order."""
        eta, shift, d0, d1, _ = self._sub_terms(beta)
        G = self.n_groups
        xbar = d1 / d0[:, None]
        haz = self.sub_wt / d0
        # Events share their own group's sub-terms only in proportion (1 - k/d) (Efron).
        H = np.bincount(self.sub_group, weights=haz, minlength=G).astype(np.float64)
        Psi = _group_sum(self.sub_group, xbar * haz[:, None], G)
        own = 1.0 - self.sub_frac
        H2 = np.bincount(self.sub_group, weights=haz * own, minlength=G).astype(np.float64)
        Psi2 = _group_sum(self.sub_group, xbar * (haz * own)[:, None], G)
        xstar = _group_sum(self.sub_group, xbar, G) / self.n_sub[:, None]

        hi, lo, first = self._exposure_bounds
        runs = self._group_runs
        dH = _sum_between(_cumsum_within(H, runs), lo, hi, first)
        dPsi = _sum_between(_cumsum_within(Psi.T, runs), lo, hi, first).T
        dp = self.death_pos
        g = self.death_group
        dH[dp] += H2[g] - H[g]
        dPsi[dp] += Psi2[g] - Psi[g]
        # haz is on the e^{-shift} scale, so the risk score carries e^{+shift} less.
        risk = np.exp(eta - shift) if shift else np.exp(eta)
        resid = -risk[:, None] * (self.X * dH[:, None] - dPsi)
        resid[dp] += self.X[dp] - xstar[g]

        if self.tail is not None:
            end = self._group_end
            for c in self.tail_groups:
                gc = self.tail_curve[int(c)]
                rows = np.flatnonzero(self.tail_group == c)
                lo_t, hi_t = hi[rows], end[rows]
                R0 = _cumsum_within(gc * H, runs, reverse=True)
                R1 = _cumsum_within(gc * Psi.T, runs, reverse=True)
                K0 = _sum_between(R0, lo_t, hi_t, hi_t, reverse=True)
                K1 = _sum_between(R1, lo_t, hi_t, hi_t, reverse=True).T
                f = risk[rows] / self.tail_den[rows]
                resid[rows] -= f[:, None] * (self.X[rows] * K0[:, None] - K1)

        out = np.empty_like(resid)
        out[self.order] = resid
        return out


def fit_newton(
    risk: RiskSets,
    beta0: FloatArray | None = None,
    tol: float = 1e-9,
    max_iter: int = 50,
    loglik_null: float | None = None,
) -> EngineFit:
    """Maximise the partial likelihood by Newton-Raphson with step halving, from
    ``beta0`` (zero by default; ``loglik_null``, the log-likelihood at zero, saves
    evaluating it again when the caller has).

    A step that lowers the log-likelihood (or leaves it undefined: an overflowing or
    empty risk set) is halved, up to 30 times, as in R's ``coxph``; if no halving helps,
    the iteration stops at the best point so far. It has converged when every component
    of Newton's (unhalved) step is below ``tol * (1 + |beta|)``. The information is
    evaluated at the final estimate.
    """
    p = risk.p
    beta = np.zeros(p) if beta0 is None else np.asarray(beta0, dtype=np.float64).copy()
    ll, score, info = risk.evaluate(beta)
    if loglik_null is not None:
        ll_null = loglik_null
    else:
        ll_null = ll if not np.any(beta) else risk.evaluate(np.zeros(p))[0]
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        step = _solve(info, score)
        new = beta + step
        ll_new, score_new, info_new = risk.evaluate(new)
        halvings = 0
        while not _improves(ll_new, ll) and halvings < 30:
            new = (new + beta) / 2.0
            ll_new, score_new, info_new = risk.evaluate(new)
            halvings += 1
        # Convergence is judged on Newton's own step: a step shrunk by halving says
        # nothing about being near the maximum (it is what a monotone likelihood gives).
        small = bool(np.all(np.abs(step) <= tol * (1.0 + np.abs(beta))))
        if not _improves(ll_new, ll):
            # No step along Newton's direction raises the likelihood: stay where it was
            # highest.
            converged = small
            break
        beta, ll, score, info = new, ll_new, score_new, info_new
        if small:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"Newton-Raphson did not converge (stopped after {it} of at most {max_iter} "
            "iterations); estimates may be infinite (monotone likelihood: a covariate "
            "that separates events from non-events) or the model ill-posed.",
            OutcomesWarning,
            stacklevel=3,
        )
    return EngineFit(beta, float(ll), float(ll_null), score, info, it, converged)


# ---------------------------------------------------------------- helpers
class _Runs:
    """The runs of equal values of a sorted code array (one per stratum), for cumulative
    sums restarted at each run (:func:`_cumsum_within`).

    A few runs are summed one at a time. Many runs are grouped by length (within a
    factor of two) and each group laid out as the rows of a zero-padded (runs, longest
    run) array, so that one ``cumsum`` over contiguous rows serves the group (a reversed
    sum lays each run out back to front): a few array operations per group instead of
    one per stratum, and padding that at most doubles the data. The padded arrays are
    kept for the next call: the padding stays zero, and a Newton fit sums the same
    shapes at every step."""

    def __init__(self, codes: IntArray) -> None:
        n = codes.shape[0]
        cut = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        self.bounds = np.concatenate([[0], cut, [n]]).astype(np.intp)
        lengths = np.diff(self.bounds)
        k = lengths.shape[0]
        self.groups: list[tuple[IntArray, dict[bool, IntArray], tuple[int, int]]] = []
        self._buffers: dict[tuple[int, tuple[int, ...]], tuple[FloatArray, FloatArray]] = {}
        if k <= 8:
            return
        run = np.repeat(np.arange(k), lengths)
        offset = np.arange(n) - np.repeat(self.bounds[:-1], lengths)
        size_class = np.ceil(np.log2(np.maximum(lengths, 1))).astype(np.int64)
        for c in np.unique(size_class):
            members = np.flatnonzero(size_class == c)
            width = int(lengths[members].max())
            row = np.full(k, -1, dtype=np.int64)
            row[members] = np.arange(members.shape[0]) * width
            at = np.flatnonzero(row[run] >= 0)  # this group's positions, in order
            start = row[run[at]]
            slots = {
                False: start + offset[at],
                True: start + lengths[run[at]] - 1 - offset[at],
            }
            self.groups.append((at, slots, (members.shape[0], width)))

    def padded_cumsum(self, V: FloatArray, reverse: bool) -> FloatArray:
        lead = V.shape[:-1]
        out = np.empty(V.shape)
        for g, (at, slots, shape) in enumerate(self.groups):
            key = (g, lead)
            if key not in self._buffers:
                size = shape[0] * shape[1]
                self._buffers[key] = (np.zeros((*lead, size)), np.empty((*lead, size)))
            P, C = self._buffers[key]
            P[..., slots[reverse]] = V[..., at]
            np.cumsum(P.reshape(*lead, *shape), axis=-1, out=C.reshape(*lead, *shape))
            out[..., at] = np.take(C, slots[reverse], axis=-1)
        return out


@dataclass(frozen=True)
class _Blocks:
    """Disjoint, ordered blocks of positions, one per tie group (:func:`_blocks`), and
    how one ``np.add.reduceat`` over the rows gives their sums (:func:`_block_sums`)."""

    points: IntArray  # every block's start and end below n, sorted: reduceat's cuts
    piece: IntArray  # per non-empty block, the piece that starts at its start
    full: NDArray[np.bool_]  # which blocks are non-empty
    n: int


def _blocks(start: Any, end: Any, stratum: IntArray, n: int) -> _Blocks:
    """Per tie group, the positions ``[start_g, next)`` among ``n``: up to the next
    group's start within its stratum, or to ``end_g`` for a stratum's last group."""
    start = np.asarray(start, dtype=np.intp)
    nxt = np.asarray(end, dtype=np.intp).copy()
    nxt[:-1] = np.where(stratum[1:] == stratum[:-1], start[1:], nxt[:-1])
    return _spans(start, nxt, n)


def _spans(start: IntArray, end: IntArray, n: int) -> _Blocks:
    points = np.unique(np.concatenate([start, end]))
    points = points[points < n]
    full = start < end
    return _Blocks(points, np.searchsorted(points, start[full]), full, n)


def _block_sums(V: FloatArray, blocks: _Blocks) -> FloatArray:
    """Sums of ``V[..., start_g:end_g]`` over the blocks (an empty block sums to 0),
    each added from its own first position."""
    out = np.zeros((*V.shape[:-1], blocks.full.shape[0]))
    if blocks.points.shape[0]:
        pieces = np.add.reduceat(V, blocks.points, axis=-1)
        out[..., blocks.full] = pieces[..., blocks.piece]
    return out


def _cumsum_within(V: Any, runs: _Runs, reverse: bool = False) -> FloatArray:
    """Inclusive cumulative sums along the last axis, restarted at every run of
    ``runs``: forward, ``C[..., j] = V[..., start:j + 1].sum()``; reversed,
    ``C[..., j] = V[..., j:end].sum()``. A sum within a stratum then never passes
    through another stratum's totals (see :class:`RiskSets`)."""
    V = np.asarray(V, dtype=np.float64)
    if runs.groups:
        return runs.padded_cumsum(V, reverse)
    out = np.empty(V.shape)
    for a, b in zip(runs.bounds[:-1], runs.bounds[1:], strict=True):
        if reverse:
            np.cumsum(V[..., a:b][..., ::-1], axis=-1, out=out[..., a:b][..., ::-1])
        else:
            np.cumsum(V[..., a:b], axis=-1, out=out[..., a:b])
    return out


def _sum_between(
    C: FloatArray, lo: IntArray, hi: IntArray, edge: IntArray, reverse: bool = False
) -> FloatArray:
    """Sums over positions ``[lo, hi)``, each range inside one segment, from that
    segment's cumulative sums ``C`` (:func:`_cumsum_within`). ``edge`` is the segment's
    first position (forward sums) or its end (reversed); a range that starts at its
    segment's first position (or ends at its end) is then read from one entry, with no
    subtraction. Empty ranges sum to 0."""
    n = C.shape[-1]
    if n == 0:
        return np.zeros((*C.shape[:-1], np.shape(lo)[0]))
    if reverse:
        rest = np.where(hi < edge, C[..., np.minimum(hi, n - 1)], 0.0)
        total = C[..., np.minimum(lo, n - 1)] - rest
    else:
        before = np.where(lo > edge, C[..., np.maximum(lo - 1, 0)], 0.0)
        total = C[..., np.maximum(hi - 1, 0)] - before
    return np.where(hi > lo, total, 0.0)


def reverse_cumsum0(V: Any, axis: int = -1) -> FloatArray:
    """Reverse cumulative sums along ``axis`` with a trailing zero:
    ``C[..., k] = V[..., k:].sum()``, so the sum over positions [a, b) is
    ``C[..., a] - C[..., b]``. Sums over rows still at risk are accumulated from the end
    of follow-up this way, so a small late risk set is not the difference of two large
    totals."""
    W = np.moveaxis(np.asarray(V, dtype=np.float64), axis, -1)
    C = np.empty((*W.shape[:-1], W.shape[-1] + 1))
    C[..., -1] = 0.0
    np.cumsum(W[..., ::-1], axis=-1, out=C[..., -2::-1])
    return np.moveaxis(C, -1, axis)


def _group_sum(idx: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum the rows of ``values`` by integer group (column-wise bincount)."""
    out = np.empty((n_groups, values.shape[1]))
    for j in range(values.shape[1]):  # p columns, not rows
        out[:, j] = np.bincount(idx, weights=values[:, j], minlength=n_groups)
    return out


def _solve(info: FloatArray, score: FloatArray) -> FloatArray:
    try:
        return np.linalg.solve(info, score)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, score, rcond=None)[0]


def _improves(ll_new: float, ll: float) -> bool:
    """A finite log-likelihood no lower than the last, up to rounding."""
    return bool(np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll))


def _scaled(values: FloatArray, log_scale: float) -> FloatArray:
    """``values * exp(log_scale)`` computed in logs, for a scale that would overflow."""
    out = np.zeros_like(values)
    nz = values != 0
    out[nz] = np.sign(values[nz]) * np.exp(np.log(np.abs(values[nz])) + log_scale)
    return out
