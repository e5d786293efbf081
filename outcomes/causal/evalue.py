"""E-values: how strong unmeasured confounding would have to be to explain an effect away.

The E-value (VanderWeele & Ding 2017) is the minimum strength of association, on the
risk-ratio scale, that an unmeasured confounder would need to have with both the
treatment and the outcome, conditional on the measured confounders, to move the
observed risk ratio to 1. Other measures are first converted to (approximate) risk
ratios:

- risk ratio: used as is;
- hazard ratio: :math:`RR \\approx HR` when the outcome is rare, otherwise
  :math:`RR \\approx (1 - 0.5^{\\sqrt{HR}}) / (1 - 0.5^{\\sqrt{1/HR}})`;
- odds ratio: :math:`RR \\approx OR` when rare, otherwise :math:`RR \\approx \\sqrt{OR}`;
- risk difference: :math:`RR = (p_0 + RD) / p_0` with the baseline risk :math:`p_0`.

"Rare" means that the cumulative risk is below about 15% by the end of follow-up in
both arms; it is the user's call, and the default (``rare=False``) is the conservative
one for repeat care proceedings, which are common.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from outcomes.errors import OutcomesError

__all__ = ["Measure", "e_value", "e_values", "hazard_ratio_to_risk_ratio"]

Measure = Literal["risk_ratio", "hazard_ratio", "odds_ratio", "risk_difference"]

_COLUMNS = ["measure", "quantity", "observed", "risk_ratio", "e_value", "conversion"]


def e_value(risk_ratio: ArrayLike) -> np.ndarray:
    """E-value of a risk ratio (vectorised).

    .. math::

        E = RR^* + \\sqrt{RR^* (RR^* - 1)}, \\qquad
        RR^* = \\begin{cases} RR & RR \\ge 1 \\\\ 1/RR & RR < 1 \\end{cases}

    Parameters
    ----------
    risk_ratio : array_like
        Positive risk ratios; ``NaN`` passes through.

    Returns
    -------
    numpy.ndarray
        E-values, at least 1.

    References
    ----------
    .. [1] VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational
       research: introducing the E-value. *Annals of Internal Medicine* 167(4),
       268-274.
    """
    rr = np.asarray(risk_ratio, dtype=np.float64)
    if np.any(rr <= 0):
        raise OutcomesError("risk ratios must be positive")
    rr_star = np.where(rr < 1, 1 / rr, rr)
    return np.asarray(rr_star + np.sqrt(rr_star * (rr_star - 1)), dtype=np.float64)


def hazard_ratio_to_risk_ratio(hazard_ratio: ArrayLike, *, rare: bool) -> np.ndarray:
    """Approximate risk ratio for a hazard ratio.

    Rare outcome: :math:`RR \\approx HR`. Common outcome (VanderWeele & Ding 2017,
    Table; derived in VanderWeele 2020):

    .. math::

        RR \\approx \\frac{1 - 0.5^{\\sqrt{HR}}}{1 - 0.5^{\\sqrt{1/HR}}}

    Parameters
    ----------
    hazard_ratio : array_like
    rare : bool
        Whether the outcome is rare (cumulative risk < 15%) by the end of follow-up.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    .. [1] VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational
       research: introducing the E-value. *Annals of Internal Medicine* 167(4),
       268-274.
    .. [2] VanderWeele, T. J. (2020). Optimal approximate conversions of odds ratios and
       hazard ratios to risk ratios. *Biometrics* 76(3), 746-752.
    """
    hr = np.asarray(hazard_ratio, dtype=np.float64)
    if np.any(hr <= 0):
        raise OutcomesError("hazard ratios must be positive")
    if rare:
        return hr
    return np.asarray((1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr)))


def e_values(
    estimate: float,
    ci_lower: float | None = None,
    ci_upper: float | None = None,
    *,
    measure: Measure = "risk_ratio",
    rare: bool = False,
    risk_unexposed: float | None = None,
) -> pd.DataFrame:
    """E-values for a point estimate and its confidence limit closer to the null.

    The estimate and both limits are converted to the risk-ratio scale (see the module
    documentation), then

    - ``point``: :math:`E(RR)` by :func:`e_value`;
    - ``ci_limit``: the E-value of the confidence limit closer to 1 -- the lower limit
      when :math:`RR > 1`, the upper when :math:`RR < 1` -- and exactly 1 when the
      interval contains 1 (no confounding is needed to move it to the null).

    For a risk difference the baseline risk :math:`p_0` (``risk_unexposed``) is
    required, and the limits are converted with :math:`p_0` held fixed,
    :math:`RR_{lim} = (p_0 + RD_{lim}) / p_0`, which ignores the uncertainty in
    :math:`p_0`. When the risk ratio was estimated from the same marginal risks (as
    by IPTW or g-computation), pass that ratio and its own interval with
    ``measure="risk_ratio"`` instead: it is the better choice.

    Parameters
    ----------
    estimate : float
        On the measure's own scale.
    ci_lower, ci_upper : float, optional
        Confidence limits on the same scale.
    measure : {"risk_ratio", "hazard_ratio", "odds_ratio", "risk_difference"}
    rare : bool
        For hazard and odds ratios: whether the outcome is rare (< 15%) by the end of
        follow-up. Ignored for the other measures.
    risk_unexposed : float, optional
        Baseline risk :math:`p_0`, required for ``"risk_difference"``.

    Returns
    -------
    pandas.DataFrame
        One row for the point estimate and, when a limit is given, one for the
        confidence limit: ``measure``, ``quantity`` (``"point"``, ``"ci_limit"``),
        ``observed`` (on the measure's scale), ``risk_ratio`` (the risk ratio used),
        ``e_value``, ``conversion`` (``"none"``, ``"rare_outcome"``,
        ``"sqrt_hazard_ratio"``, ``"sqrt_odds_ratio"``, ``"baseline_risk"``).

    Examples
    --------
    VanderWeele & Ding (2017): a risk ratio of 3.9 with 95% CI 1.8 to 8.7.

    >>> e_values(3.9, 1.8, 8.7)[["quantity", "e_value"]].round(2)
       quantity  e_value
    0     point     7.26
    1  ci_limit     3.00

    References
    ----------
    .. [1] VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational
       research: introducing the E-value. *Annals of Internal Medicine* 167(4),
       268-274.
    .. [2] Ding, P. & VanderWeele, T. J. (2016). Sensitivity analysis without
       assumptions. *Epidemiology* 27(3), 368-377.
    .. [3] VanderWeele, T. J. (2020). Optimal approximate conversions of odds ratios and
       hazard ratios to risk ratios. *Biometrics* 76(3), 746-752.
    """
    values = np.array(
        [
            estimate,
            np.nan if ci_lower is None else ci_lower,
            np.nan if ci_upper is None else ci_upper,
        ],
        dtype=np.float64,
    )
    if not np.isnan(values[1:]).all() and not (
        np.nan_to_num(values[1], nan=-np.inf) <= values[0] <= np.nan_to_num(values[2], nan=np.inf)
    ):
        raise OutcomesError("the estimate must lie between its confidence limits")
    rr, conversion = _to_risk_ratio(values, measure, rare, risk_unexposed)

    rows = [
        {
            "measure": measure,
            "quantity": "point",
            "observed": values[0],
            "risk_ratio": rr[0],
            "e_value": float(e_value(rr[0])),
            "conversion": conversion,
        }
    ]
    if not np.isnan(rr[1:]).all():
        # The limit on the null side of the estimate; if the interval straddles 1,
        # E = 1 whatever the limit.
        k = 1 if rr[0] >= 1 else 2
        limit = rr[k]
        if np.isnan(limit):
            limit_e = float("nan")
        elif (rr[0] >= 1 and limit <= 1) or (rr[0] < 1 and limit >= 1):
            limit_e = 1.0
        else:
            limit_e = float(e_value(limit))
        rows.append(
            {
                "measure": measure,
                "quantity": "ci_limit",
                "observed": values[k],
                "risk_ratio": limit,
                "e_value": limit_e,
                "conversion": conversion,
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)


def _to_risk_ratio(
    values: np.ndarray, measure: str, rare: bool, risk_unexposed: float | None
) -> tuple[np.ndarray, str]:
    if measure == "risk_ratio":
        return values, "none"
    if measure == "hazard_ratio":
        converted = hazard_ratio_to_risk_ratio(values, rare=rare)
        return converted, "rare_outcome" if rare else "sqrt_hazard_ratio"
    if measure == "odds_ratio":
        if np.any(values <= 0):
            raise OutcomesError("odds ratios must be positive")
        return (values, "rare_outcome") if rare else (np.sqrt(values), "sqrt_odds_ratio")
    if measure == "risk_difference":
        if risk_unexposed is None or not 0 < risk_unexposed < 1:
            raise OutcomesError("a risk difference needs risk_unexposed strictly between 0 and 1")
        rr = (risk_unexposed + values) / risk_unexposed
        if np.any(rr <= 0):
            raise OutcomesError(
                "risk_unexposed + risk difference (or a limit) is not a positive risk; "
                "use the risk ratio and its own interval instead"
            )
        return rr, "baseline_risk"
    raise OutcomesError(f"unknown measure {measure!r}")
