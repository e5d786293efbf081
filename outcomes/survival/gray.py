"""Gray's K-sample test for equality of cumulative incidence functions.

:func:`gray_test` reproduces the ``Tests`` component of ``cmprsk::cuminc`` (statistic,
p-value, degrees of freedom) for each cause, with strata and the weight power ``rho``.
The computation is vectorised over the distinct event times: the per-time quantities of
Gray (1988) are arrays of shape ``(times, groups)`` or ``(times, groups, groups)`` and the
running sums are cumulative sums, so there is no Python loop over times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival._kaplan_meier import product_limit
from outcomes.survival.cumulative_incidence import (
    _check_columns,
    group_codes,
    prepare_survival_data,
    resolve_causes,
)

__all__ = ["gray_test"]


def _shift(a: np.ndarray, first: float) -> np.ndarray:
    """Left limit along the time axis: row j gets row j-1, row 0 gets ``first``."""
    out = np.empty_like(a)
    out[:1] = first
    out[1:] = a[:-1]
    return out


def _gray_stratum(
    time: np.ndarray, status: np.ndarray, group: np.ndarray, n_groups: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score vector and its covariance for one stratum (data sorted by time).

    ``status`` is 0 censored, 1 the cause of interest, 2 any other cause; ``group`` is
    0-based. Returns the score for the first ``n_groups - 1`` groups and its covariance.
    """
    ng, ng1 = n_groups, n_groups - 1
    n = time.shape[0]
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(time[1:], time[:-1], out=new[1:])
    tie = np.cumsum(new) - 1
    n_times = int(tie[-1]) + 1
    counts = np.bincount((tie * ng + group) * 3 + status, minlength=n_times * ng * 3)
    counts = counts.reshape(n_times, ng, 3).astype(np.float64)
    # At risk in each group at each distinct time: everyone with time >= t.
    rs_all = np.cumsum(counts.sum(axis=2)[::-1], axis=0)[::-1]
    keep = (counts[:, :, 1] + counts[:, :, 2]).sum(axis=1) > 0
    rs = rs_all[keep]
    d1 = counts[keep, :, 1]
    d2 = counts[keep, :, 2]
    nd1 = d1.sum(axis=1)

    live = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # Group-specific all-cause Kaplan-Meier (right limit skm, left limit skmm) and
        # cumulative incidence (left limit f1m); a group with nobody at risk keeps its
        # last value.
        skm, skmm = product_limit(d1 + d2, rs)
        f1m = _shift(np.cumsum(np.where(live, skmm * d1 / rs, 0.0), axis=0), 0.0)
        # Gray's h_r = R_r / S_r(t-) (t1) and their sums over groups.
        t1 = np.where(live, rs / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(live, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)  # pooled-type cumulative incidence used by the weights
        fm = _shift(f, 0.0)
        fb = (1.0 - fm) ** rho

        score_terms = np.where(
            live, fb[:, None] * (d1 - nd1[:, None] * t1 * (1.0 - f1m) / tq[:, None]), 0.0
        )
        score = score_terms[:, :ng1].sum(axis=0)

        # a_t = fb (diag(h) - h h' / sum h); c is its running sum scaled by the jump.
        a = fb[:, None, None] * (
            np.einsum("ti,ij->tij", t1, np.eye(ng))
            - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
        )
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)

        # Contribution of events of the cause of interest.
        ev1 = (nd1 > 0)[:, None] & live
        t4 = np.where(skm > 0, 1.0 - (1.0 - f)[:, None] / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(ev1, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        b1 = a[:, :ng1, :] - t4[:, None, :] * c[:, :ng1, :]
        v3 = (t4 * t4 * t3).sum(axis=0)
        v2 = (b1 * (t4 * t3)[:, None, :]).sum(axis=0)
        v = np.einsum("tik,tjk->ij", b1 * t3[:, None, :], b1)

        # Contribution of events of the other causes.
        ev2 = (skm > 0) & (d2 > 0)
        u4 = np.where(ev2, (1.0 - f)[:, None] / skm, 0.0)
        u5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        u3 = np.where(ev2, u5 * skmm**2 * d2 / rs**2, 0.0)
        b2 = u4[:, None, :] * c[:, :ng1, :]
        v3 += (u4 * u4 * u3).sum(axis=0)
        v2 -= (b2 * (u4 * u3)[:, None, :]).sum(axis=0)
        v += np.einsum("tik,tjk->ij", b2 * u3[:, None, :], b2)

    cf = c[-1, :ng1, :]
    v += (cf * v3) @ cf.T + cf @ v2.T + v2 @ cf.T
    return score, v


def gray_test(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    *,
    by: str,
    event_of_interest: Any = 1,
    strata: str | None = None,
    rho: float = 0.0,
    censor_code: Any = 0,
) -> pd.DataFrame:
    """Gray's test that the cumulative incidence of a cause is equal across groups.

    Parameters
    ----------
    df : pandas.DataFrame
    duration_col, event_col : str
        As in :func:`outcomes.survival.cumulative_incidence`.
    by : str
        Column whose groups are compared (at least two levels).
    event_of_interest : label, list of labels, or None
        Cause(s) to test, one test each; ``None`` tests every cause.
    strata : str, optional
        Stratified test: scores and variances are summed over strata.
    rho : float
        Power of the weight function :math:`(1 - \\hat F(t^-))^{\\rho}`; 0 (default)
        gives equal weight over time, larger values weight early differences.
    censor_code : scalar, keyword-only
        Value of ``event_col`` that marks censoring.

    Returns
    -------
    pandas.DataFrame
        One row per cause: ``event``, ``statistic``, ``df``, ``p_value``; ``attrs`` hold
        ``rho``, ``groups`` and ``method``. The statistic is NaN when the score
        covariance is singular (``cmprsk`` reports -1).

    Notes
    -----
    For cause :math:`k` and groups :math:`r = 1, \\dots, K`, Gray (1988) compares the
    subdistribution hazards of each group with a pooled one. With
    :math:`\\hat F_{kr}` and :math:`\\hat S_r` the group's cumulative incidence and
    all-cause Kaplan-Meier, :math:`Y_r` its number at risk and
    :math:`R_r(t) = Y_r(t) [1 - \\hat F_{kr}(t^-)] / \\hat S_r(t^-)` the size of its
    subdistribution risk set, the score is

    .. math::

        z_r = \\int_0^\\tau W(t) \\Big\\{ \\frac{d\\hat F_{kr}(t)}{1 - \\hat F_{kr}(t^-)}
        - \\frac{\\sum_l R_l(t)\\, d\\hat F_{kl}(t) / (1 - \\hat F_{kl}(t^-))}
               {\\sum_l R_l(t)} \\Big\\},

    computed as :math:`\\sum_t W(t)\\{d_{kr}(t) - d_k(t) R_r(t) / \\sum_l R_l(t)\\}` with
    :math:`W(t) = (1 - \\hat F_k^0(t^-))^{\\rho}`, :math:`\\hat F_k^0` a pooled estimate.
    The covariance :math:`\\hat\\Sigma` of :math:`z = (z_1, \\dots, z_{K-1})` is Gray's
    (1988) martingale-based estimator, implemented term for term as in ``cmprsk``'s
    ``crstm`` (including its tie corrections). The statistic
    :math:`z^\\top \\hat\\Sigma^{-1} z` is compared with :math:`\\chi^2_{K-1}`. With
    strata, :math:`z` and :math:`\\hat\\Sigma` are sums over strata.

    References
    ----------
    Gray, R. J. (1988). A class of K-sample tests for comparing the cumulative incidence
    of a competing risk. *Ann. Statist.* 16, 1141-1154.

    Pintilie, M. (2006). *Competing Risks: A Practical Perspective*. Wiley, ch. 5.
    """
    _check_columns(df, [duration_col, event_col, by, strata])
    if not np.isfinite(rho):
        raise OutcomesError(f"rho must be a finite number, not {rho!r}")
    if len(df) == 0:
        raise SchemaError("df has no rows")
    time, cause, _, labels = prepare_survival_data(df, duration_col, event_col, None, censor_code)
    wanted = resolve_causes(event_of_interest, labels)
    gcode, groups = group_codes(df, by)
    ng = len(groups)
    if ng < 2:
        raise OutcomesError(f"{by!r} needs at least two groups for Gray's test; found {ng}")
    scode, _ = group_codes(df, strata)

    order = np.lexsort((time, scode))
    time, cause, gcode, scode = time[order], cause[order], gcode[order], scode[order]
    bounds = np.flatnonzero(np.r_[True, scode[1:] != scode[:-1], True])

    rows = []
    for k in wanted:
        status = np.where(cause == 0, 0, np.where(cause == k + 1, 1, 2))
        score = np.zeros(ng - 1)
        cov = np.zeros((ng - 1, ng - 1))
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            s, v = _gray_stratum(time[lo:hi], status[lo:hi], gcode[lo:hi], ng, rho)
            score += s
            cov += v
        if np.linalg.matrix_rank(cov) == ng - 1:
            stat = float(score @ np.linalg.solve(cov, score))
        else:
            stat = np.nan
        lab = labels[k]
        rows.append(
            {
                "event": lab.item() if isinstance(lab, np.generic) else lab,
                "statistic": stat,
                "df": ng - 1,
                "p_value": float(special.chdtrc(ng - 1, stat)),
            }
        )
    out = pd.DataFrame(rows, columns=["event", "statistic", "df", "p_value"])
    out.attrs.update({"rho": rho, "groups": groups, "method": "Gray's K-sample test"})
    return out
