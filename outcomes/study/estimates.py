"""The tidy estimates layout every method of the study writes."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from outcomes.errors import OutcomesError
from outcomes.study.frame import FAMILY, AnalysisFrame

COLUMNS = [
    "method",
    "estimand",
    "contrast",
    "horizon_years",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "p_value",
]


def row(
    method: str,
    estimand: str,
    contrast: str,
    estimate: float,
    *,
    horizon: float = np.nan,
    std_error: float = np.nan,
    ci: tuple[float, float] = (np.nan, np.nan),
    p_value: float = np.nan,
) -> dict[str, object]:
    """One estimate as a dict in :data:`COLUMNS` order.

    A degenerate variance -- a standard error of exactly zero, or an interval of zero
    width (no events in an arm, every bootstrap replicate equal) -- is not a precise
    estimate but an unestimated one: the standard error, interval and p-value are then
    reported as missing, never as a zero-width interval with p = 0.
    """
    lower, upper = ci
    if std_error == 0 or (np.isfinite(lower) and np.isfinite(upper) and not upper > lower):
        std_error, ci, p_value = np.nan, (np.nan, np.nan), np.nan
    return dict(
        zip(
            COLUMNS,
            [method, estimand, contrast, horizon, estimate, std_error, ci[0], ci[1], p_value],
            strict=True,
        )
    )


def normal_ci(estimate: float, std_error: float, alpha: float) -> tuple[float, float]:
    """Wald interval."""
    z = special.ndtri(1 - alpha / 2)
    return estimate - z * std_error, estimate + z * std_error


def two_sided_p(estimate: float, std_error: float, null: float = 0.0) -> float:
    """Wald p-value against ``null``."""
    if not np.isfinite(std_error) or std_error <= 0:
        return float("nan")
    return float(2 * special.ndtr(-abs(estimate - null) / std_error))


def null_variance(risk1: float, risk0: float, var1: float, var0: float, cov: float = 0.0) -> float:
    r"""Variance of a risk difference under the null hypothesis of equal risks.

    Each arm's variance is read as a binomial one with an effective size,
    :math:`n_a = \hat F_a (1 - \hat F_a) / V_a`, and moved to the risk the two arms
    would share under :math:`H_0: F_1 = F_0`, their pooled risk
    :math:`\bar F = (n_1 \hat F_1 + n_0 \hat F_0) / (n_1 + n_0)`:

    .. math::

        V_0(\widehat{RD}) = \bar F (1 - \bar F) \Big(\frac{1}{n_1} + \frac{1}{n_0}\Big)
            - 2 C \sqrt{s_1 s_0}, \qquad
        s_a = \frac{\bar F (1 - \bar F)}{\hat F_a (1 - \hat F_a)},

    where :math:`C` is the covariance of the two arms' estimates (0 when they are
    independent; a bootstrap that reweights both arms together gives one), rescaled
    with the variances so that their correlation is kept. With two plain proportions
    this is the pooled variance of the score test of equal proportions (Miettinen and
    Nurminen 1985; Agresti 2013).

    Why the test needs it: a risk's variance grows with the risk, so where an arm's
    estimate comes out low by chance its own standard error is small too, and a Wald
    test with the estimated (unpooled) standard error rejects too often in that tail.
    The variance at the pooled risk does not move with the difference: in simulated
    worlds with no effect it holds the test's size where the Wald test with the
    estimate's own standard error does not (``docs/simulation.md``). The interval keeps
    the unpooled standard error, which describes the estimate wherever the truth lies;
    so very near the 5% boundary the test and the interval can disagree.

    Returns NaN where an arm's risk is 0 or 1 or its variance is not positive: there is
    then no effective size to read.

    References
    ----------
    Miettinen, O. and Nurminen, M. (1985). Comparative analysis of two rates.
    *Statistics in Medicine* 4(2), 213-226.
    Agresti, A. (2013). *Categorical Data Analysis*, 3rd edition. Wiley.
    """
    b1, b0 = risk1 * (1 - risk1), risk0 * (1 - risk0)
    if not (b1 > 0 and b0 > 0 and var1 > 0 and var0 > 0):
        return float("nan")
    n1, n0 = b1 / var1, b0 / var0
    pooled = (n1 * risk1 + n0 * risk0) / (n1 + n0)
    bp = pooled * (1 - pooled)
    scale1, scale0 = bp / b1, bp / b0
    return float(bp / n1 + bp / n0 - 2 * cov * np.sqrt(scale1 * scale0))


def null_p(risk1: float, risk0: float, var1: float, var0: float, cov: float = 0.0) -> float:
    """Two-sided p-value of :math:`H_0: F_1 = F_0` from :func:`null_variance`."""
    variance = null_variance(risk1, risk0, var1, var0, cov)
    return two_sided_p(risk1 - risk0, float(np.sqrt(variance)) if variance > 0 else np.nan)


def risk_contrasts(
    method: str,
    contrast: str,
    horizon: float,
    risk1: float,
    risk0: float,
    var1: float,
    var0: float,
    alpha: float,
) -> list[dict[str, object]]:
    """Risks, risk difference and risk ratio from two independent risks and variances.

    .. math::

        \\widehat{RD} = \\hat F_1 - \\hat F_0, \\quad
        \\mathrm{Var}(\\widehat{RD}) = V_1 + V_0, \\qquad
        \\mathrm{Var}(\\log \\widehat{RR}) \\approx V_1 / \\hat F_1^2 + V_0 / \\hat F_0^2,

    with the risk-ratio interval formed on the log scale. The risk difference's interval
    uses that variance; its test of no difference uses the variance at the pooled risk
    (:func:`null_variance`).
    """
    se1, se0 = np.sqrt(var1), np.sqrt(var0)
    rd, se_rd = risk1 - risk0, float(np.sqrt(var1 + var0))
    rr = risk1 / risk0 if risk0 > 0 else float("nan")
    se_log_rr = (
        float(np.sqrt(var1 / risk1**2 + var0 / risk0**2)) if risk1 > 0 and risk0 > 0 else np.nan
    )
    lo, hi = (
        normal_ci(float(np.log(rr)), se_log_rr, alpha) if np.isfinite(rr) else (np.nan, np.nan)
    )
    return [
        row(
            method,
            "risk_exposed",
            contrast,
            risk1,
            horizon=horizon,
            std_error=se1,
            ci=normal_ci(risk1, se1, alpha),
        ),
        row(
            method,
            "risk_unexposed",
            contrast,
            risk0,
            horizon=horizon,
            std_error=se0,
            ci=normal_ci(risk0, se0, alpha),
        ),
        row(
            method,
            "risk_difference",
            contrast,
            rd,
            horizon=horizon,
            std_error=se_rd,
            ci=normal_ci(rd, se_rd, alpha),
            p_value=null_p(risk1, risk0, var1, var0),
        ),
        row(
            method,
            "risk_ratio",
            contrast,
            rr,
            horizon=horizon,
            std_error=se_log_rr,
            ci=(float(np.exp(lo)), float(np.exp(hi))),
            p_value=two_sided_p(float(np.log(rr)), se_log_rr),
        ),
    ]


def bootstrap_se(draws: np.ndarray) -> float:
    """The SD of bootstrap replicates; missing when fewer than two differ.

    Replicates that are all equal (an arm without events in every resample) have no
    spread to estimate, and their computed SD is rounding error (about 1e-17), not
    zero: it would give a normal interval of no real width. It is reported as missing,
    as :func:`row` does with a zero standard error.
    """
    if len(draws) < 2 or np.ptp(draws) == 0:
        return float("nan")
    return float(np.std(draws, ddof=1))


BootstrapInterval = Literal["percentile", "normal"]
"""The two intervals a bootstrap of the marginal risks can give (see
:func:`bootstrap_contrasts`)."""


INTERVAL_WORDS: dict[BootstrapInterval, str] = {
    "percentile": "percentile intervals from the bootstrap",
    "normal": (
        "normal intervals from the bootstrap standard error (risk ratio on the log "
        "scale), which on small extracts cover the truth more often than percentile "
        "limits"
    ),
}
"""How ``diagnostics["inference"]["interval"]`` and the report name each interval."""


def bootstrap_interval(af: AnalysisFrame) -> BootstrapInterval:
    """The interval of the bootstrapped marginal risks: normal when families are
    resampled (fewer than :data:`~outcomes.study.frame.MIN_BOOTSTRAP_CLUSTERS`
    clusters), percentile when whole clusters are.

    On 200 one-authority extracts (about 30 returns to court each) the family
    bootstrap's standard error matched the spread of the estimates, but its percentile
    interval covered the authority's risk difference in 88% of extracts, missing
    mostly on one side, and the normal interval from the same standard error in 93%;
    on 200 fresh extracts the normal interval then covered 92.5% and the percentile
    interval 89.0% (``docs/validation.md``,
    :func:`outcomes.study.estimates.bootstrap_contrasts`). The national simulation
    checks the percentile interval of the bootstrap of authorities, which is kept.
    """
    return "normal" if af.inference.resample == FAMILY else "percentile"


def bootstrap_contrasts(
    method: str,
    contrast: str,
    horizons: tuple[float, ...],
    point: np.ndarray,
    replicates: np.ndarray,
    alpha: float,
    interval: BootstrapInterval = "percentile",
) -> list[dict[str, object]]:
    r"""Risks, RD and RR with bootstrap standard errors and intervals.

    ``point`` has shape (2, H) -- exposed and unexposed risks at each horizon;
    ``replicates`` has shape (B, 2, H). The standard error is the SD of the
    replicates (of the log risk ratio for the ratio). The test of RD = 0 is a Wald test
    with the variance at the pooled risk (:func:`null_variance`, from the replicates'
    variances of each arm's risk and their covariance); that of log RR = 0 uses the
    ratio's own standard error.

    ``interval="percentile"`` gives the :math:`\alpha/2` and :math:`1-\alpha/2`
    quantiles of the replicates (Efron and Tibshirani 1993, section 13.3).
    ``interval="normal"`` gives the standard interval
    :math:`\hat\theta \pm z_{1-\alpha/2}\,\widehat{SE}_{boot}` (section 13.2) -- on the
    log scale for the risk ratio, exponentiated, and cut to :math:`[0, 1]` for a risk.

    Both are first-order accurate (DiCiccio and Efron 1996); which covers better in a
    small sample is an empirical matter. The study uses the normal interval when it
    resamples families (fewer than 30 clusters, an authority's own extract): with a
    few dozen returns to court the resampled risks are skewed by the discreteness of
    the events, and the percentile limits follow that skew while the bootstrap standard
    error stays calibrated (the one-authority simulation in ``docs/validation.md``).
    The normal interval also needs only the standard error, which a hundred replicates
    estimate well where percentile limits need more (Efron and Tibshirani 1993, section
    19.3). With many clusters the percentile interval is kept: it is the one the
    national coverage simulation checks.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.
    DiCiccio, T. J. and Efron, B. (1996). Bootstrap confidence intervals.
    *Statistical Science* 11(3), 189-228.
    """
    check_interval(interval)
    rows = []
    for h, horizon in enumerate(horizons):
        r1, r0 = point[0, h], point[1, h]
        b1, b0 = replicates[:, 0, h], replicates[:, 1, h]
        pairs = np.isfinite(b1) & np.isfinite(b0)
        null = np.nan
        # replicates all equal have no spread, only rounding (see bootstrap_se)
        if pairs.sum() >= 2 and np.ptp(b1[pairs]) > 0 and np.ptp(b0[pairs]) > 0:
            c = np.cov(b1[pairs], b0[pairs])
            null = null_p(float(r1), float(r0), c[0, 0], c[1, 1], c[0, 1])
        values: dict[str, tuple[float, np.ndarray, BootstrapScale]] = {
            "risk_exposed": (r1, b1, "risk"),
            "risk_unexposed": (r0, b0, "risk"),
            "risk_difference": (r1 - r0, b1 - b0, "difference"),
            "risk_ratio": (
                r1 / r0 if r0 > 0 else np.nan,
                b1 / np.where(b0 > 0, b0, np.nan),
                "ratio",
            ),
        }
        for estimand, (estimate, draws, scale) in values.items():
            rows.append(
                bootstrap_row(
                    method,
                    estimand,
                    contrast,
                    horizon,
                    float(estimate),
                    draws,
                    alpha,
                    interval,
                    scale,
                    p_value=null if estimand == "risk_difference" else None,
                )
            )
    return rows


BootstrapScale = Literal["risk", "difference", "ratio", "mean"]
"""What a bootstrapped estimate is, for :func:`bootstrap_row`."""


def check_interval(interval: str) -> None:
    """Refuse an interval other than ``"percentile"`` or ``"normal"``."""
    if interval not in ("percentile", "normal"):
        raise OutcomesError(f"interval must be 'percentile' or 'normal', got {interval!r}")


def bootstrap_row(
    method: str,
    estimand: str,
    contrast: str,
    horizon: float,
    estimate: float,
    draws: np.ndarray,
    alpha: float,
    interval: BootstrapInterval,
    scale: BootstrapScale,
    p_value: float | None = None,
) -> dict[str, object]:
    """One estimate with its bootstrap standard error, interval and p-value.

    The rule of :func:`bootstrap_contrasts` for one quantity: non-finite replicates
    are left out; the standard error is :func:`bootstrap_se` (of the log for a
    ``"ratio"``); the interval is percentile or normal (on the log scale for a ratio,
    cut to :math:`[0, 1]` for a ``"risk"``); the Wald p-value tests a difference
    against 0 and a ratio against 1 (none for a risk or a ``"mean"``), unless
    ``p_value`` gives that of another test (a risk difference's, from
    :func:`null_variance`). A degenerate spread gives no interval (:func:`row`).
    """
    check_interval(interval)
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    if scale == "ratio":
        logs = np.log(draws[draws > 0])
        se = bootstrap_se(logs)
        p = two_sided_p(float(np.log(estimate)), se) if estimate > 0 else np.nan
    else:
        se = bootstrap_se(draws)
        p = two_sided_p(float(estimate), se) if scale == "difference" else np.nan
    if p_value is not None:
        p = p_value
    if len(draws) < 2:
        lo, hi = np.nan, np.nan
    elif interval == "percentile":
        lo, hi = np.percentile(draws, q)
    elif scale == "ratio":
        lo, hi = np.nan, np.nan
        if estimate > 0:
            lo, hi = np.exp(normal_ci(float(np.log(estimate)), se, alpha))
    else:
        lo, hi = normal_ci(float(estimate), se, alpha)
        if scale == "risk":
            # a risk lies in [0, 1]: cutting the interval there changes no coverage
            lo, hi = max(lo, 0.0), min(hi, 1.0)
    return row(
        method,
        estimand,
        contrast,
        float(estimate),
        horizon=horizon,
        std_error=se,
        ci=(float(lo), float(hi)),
        p_value=p,
    )


def bootstrap_effects(
    method: str,
    effects: list[tuple[str, str]],
    horizons: tuple[float, ...],
    point: np.ndarray,
    replicates: np.ndarray,
    alpha: float,
) -> list[dict[str, object]]:
    r"""Effects on the risk-difference scale with bootstrap SEs and normal intervals.

    ``effects`` names each row of ``point`` (shape (E, H)) as ``(estimand, contrast)``;
    ``replicates`` has shape (B, E, H). The interval is
    :math:`\hat\theta \pm z_{1-\alpha/2}\,\widehat{SE}_{boot}`: it needs only the
    bootstrap standard error, which a few dozen replicates estimate to within about
    :math:`1/\sqrt{2B}` of itself, where percentile limits need hundreds (Efron and
    Tibshirani 1993, section 19.3).
    """
    rows = []
    for e, (estimand, contrast) in enumerate(effects):
        for h, horizon in enumerate(horizons):
            draws = replicates[:, e, h]
            draws = draws[np.isfinite(draws)]
            se = bootstrap_se(draws)
            estimate = float(point[e, h])
            rows.append(
                row(
                    method,
                    estimand,
                    contrast,
                    estimate,
                    horizon=horizon,
                    std_error=se,
                    ci=normal_ci(estimate, se, alpha),
                    p_value=two_sided_p(estimate, se),
                )
            )
    return rows


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows to the tidy estimates frame."""
    return pd.DataFrame(rows, columns=COLUMNS)
