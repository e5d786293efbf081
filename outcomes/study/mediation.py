"""Order type as a mediator of duration: natural and controlled direct effects.

Duration can change the risk of return directly (a rushed plan, less support) or by
changing the order made (a supervision order instead of a care order). With the order
:math:`M` as mediator, exposure :math:`A` (disposal within the threshold) and
confounders :math:`X`, the g-formula gives, at each horizon :math:`t`,

.. math::

    R(a, a') = \\mathbb{E}_X \\Big[ \\sum_m F(t \\mid A=a, M=m, X)\\,
               P(M=m \\mid A=a', X) \\Big],

    \\mathrm{NDE} = R(1, 0) - R(0, 0), \\qquad \\mathrm{NIE} = R(1, 1) - R(1, 0),

    \\mathrm{CDE}(m) = \\mathbb{E}_X \\big[ F(t \\mid 1, m, X) - F(t \\mid 0, m, X) \\big],

where :math:`F` is the cumulative incidence of return from cause-specific Cox models
(return and any competing exit) with the order as a covariate and baseline hazards by
arm (stratified on the exposure, as in
:func:`~outcomes.study.methods.gcomputation_risks`), and :math:`P(M \\mid A,
X)` a multinomial logistic model. NDE + NIE is the total effect :math:`R(1,1) - R(0,0)`.
Identification needs, besides no unmeasured exposure-outcome confounding, no unmeasured
mediator-outcome confounding and no mediator-outcome confounder affected by the
exposure (VanderWeele 2015).

References
----------
VanderWeele, T. J. (2015). *Explanation in Causal Inference*. Oxford University Press.
Pearl, J. (2001). Direct and indirect effects. *Proceedings of UAI 2001*, 411-420.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from outcomes.study.frame import AREA, CATEGORICAL_CONFOUNDERS, pool_eventless_levels
from outcomes.study.methods import STANDARDISE_ROWS, formula, with_arm_strata
from outcomes.survival import CauseSpecificCox

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MEDIATOR = "final_order"
"""The default mediator."""
MAX_MEDIATOR_LEVELS = 30
"""A numeric mediator with more distinct values than this is not categorical."""
MIN_ORDER_SHARE = 0.01
"""Orders rarer than this are pooled as ``other`` so that each level has data in both
arms; the controlled direct effects are reported for the common orders."""
MIN_LEVEL_EVENTS = 5
"""Orders with fewer returns, or fewer other exits, than this are pooled as ``other``
too: a level without events of a cause has no information for its coefficient in that
cause's model (in a small cohort with authority strata, none at all)."""


def order_model(
    frame: pd.DataFrame,
    confounders: list[str],
    mediator: str = MEDIATOR,
    area: str | None = AREA,
) -> Pipeline:
    """Multinomial logistic model of the mediator given exposure, confounders and area
    (none with one local authority)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in confounders if c in CATEGORICAL_CONFOUNDERS]
    categorical += [c for c in confounders if not pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [*dict.fromkeys(categorical), *([area] if area is not None else [])]
    numeric = ["exposed", *[c for c in confounders if c not in categorical]]
    model = Pipeline(
        [
            (
                "design",
                ColumnTransformer(
                    [
                        ("num", StandardScaler(), numeric),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                    ]
                ),
            ),
            ("fit", LogisticRegression(C=1.0, max_iter=2000)),
        ]
    )
    model.fit(frame[[*numeric, *categorical]], frame[mediator].astype(str))
    return model


def pooled_orders(
    frame: pd.DataFrame, keep: list[str] | None = None, mediator: str = MEDIATOR
) -> pd.DataFrame:
    """Levels of the mediator outside ``keep`` pooled into ``other``.

    By default ``keep`` is the orders with at least :data:`MIN_ORDER_SHARE` of the rows
    and :data:`MIN_LEVEL_EVENTS` returns and other exits; a bootstrap replicate passes
    the levels of the full data, so that every replicate estimates the same effects.
    """
    values = frame[mediator].astype(str)
    if keep is None:
        event = np.minimum(frame["event"].to_numpy(), 2)
        counts = pd.DataFrame({"return": event == 1, "exit": event == 2, "rows": True})
        counts = counts.groupby(values.to_numpy()).sum()
        enough = (
            (counts["rows"] >= MIN_ORDER_SHARE * len(frame))
            & (counts["return"] >= MIN_LEVEL_EVENTS)
            & (counts["exit"] >= MIN_LEVEL_EVENTS)
        )
        keep = [str(level) for level in counts.index[enough]]
    out = frame.copy()
    out[mediator] = values.where(values.isin(keep), "other")
    return out


def modelable_levels(frame: pd.DataFrame, mediator: str = MEDIATOR) -> list[str]:
    """The mediator's levels after pooling, less a pooled ``other`` that still has
    fewer than :data:`MIN_LEVEL_EVENTS` returns or other exits (its rows cannot be
    modelled and are left out of the mediation analysis)."""
    data = pooled_orders(frame, mediator=mediator)
    event = np.minimum(data["event"].to_numpy(), 2)
    counts = pd.DataFrame({"return": event == 1, "exit": event == 2})
    counts = counts.groupby(data[mediator].to_numpy()).sum()
    enough = (counts["return"] >= MIN_LEVEL_EVENTS) & (counts["exit"] >= MIN_LEVEL_EVENTS)
    return sorted(str(level) for level in counts.index[enough])


def mediation_risks(
    frame: pd.DataFrame,
    confounders: list[str],
    horizons: tuple[float, ...],
    seed: int,
    orders: list[str] | None = None,
    mediator: str = MEDIATOR,
    area: str | None = AREA,
) -> tuple[np.ndarray, list[str]]:
    """Natural direct, natural indirect and controlled direct effects at each horizon.

    Parameters
    ----------
    frame, confounders, horizons
        The analysis frame's rows and confounders, and the horizons in years.
    seed : int
        Seeds the sample of rows the g-formula averages over
        (:data:`~outcomes.study.methods.STANDARDISE_ROWS` / 2).
    orders : list of str, optional
        The order levels to report (default: those of ``frame`` after pooling rare
        ones). An order absent from ``frame`` gets NaN for its controlled direct effect.
    mediator : str, default "final_order"
        The mediator column (categorical, recorded on every row).
    area : str or None, default "la_code"
        The area column of the models; ``None`` with one local authority.

    Returns
    -------
    values : ndarray, shape (2 + n_orders, H)
        Rows: NDE, NIE, then CDE for each order in ``orders``.
    orders : list of str
        The order levels.
    """
    frame, _ = pool_eventless_levels(frame, confounders)
    data = pooled_orders(frame, orders, mediator)
    present = sorted(data[mediator].unique())
    orders = present if orders is None else orders
    rhs = formula(confounders, data, exposure=False)
    data, strata = with_arm_strata(data, area)
    outcome = CauseSpecificCox().fit(
        data.assign(event=np.minimum(data["event"].to_numpy(), 2)),
        "years",
        "event",
        formula=f"C({mediator})" if rhs == "0" else f"{rhs} + C({mediator})",
        strata=strata,
    )
    mediator_model = order_model(data, confounders, mediator, area)
    sample = data.sample(min(len(data), STANDARDISE_ROWS // 2), random_state=seed)
    columns = list(mediator_model.named_steps["design"].feature_names_in_)
    prob = {
        a: pd.DataFrame(
            mediator_model.predict_proba(sample.assign(exposed=a)[columns]),
            columns=mediator_model.classes_,
            index=sample.index,
        )
        for a in (0, 1)
    }
    # F(t | a, m, X) for every arm and order, (H, n) per pair, from one prediction over
    # the stacked copies of the sample (one design matrix instead of one per pair).
    pairs = [(a, m) for a in (0, 1) for m in present]
    stacked = pd.concat(
        [sample.assign(exposed=a, **{mediator: m}) for a, m in pairs], ignore_index=True
    )
    predicted = outcome.predict_cumulative_incidence(
        stacked, times=list(horizons), cause=1
    ).to_numpy()
    blocks = np.split(predicted, len(pairs), axis=1)
    risk = dict(zip(pairs, blocks, strict=True))

    def mixed(a: int, a_m: int) -> np.ndarray:
        total = sum(risk[(a, m)] * prob[a_m][m].to_numpy()[None, :] for m in present)
        return np.asarray(total).mean(axis=1)

    nde = mixed(1, 0) - mixed(0, 0)
    nie = mixed(1, 1) - mixed(1, 0)
    missing = np.full(len(horizons), np.nan)
    cde = [(risk[(1, m)] - risk[(0, m)]).mean(axis=1) if m in present else missing for m in orders]
    return np.vstack([nde, nie, *cde]), orders
