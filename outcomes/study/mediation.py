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
(return and any competing exit) with the order as a covariate, and :math:`P(M \\mid A,
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

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from outcomes.study.frame import AREA
from outcomes.study.methods import CATEGORICAL_CONFOUNDERS, STANDARDISE_ROWS, formula
from outcomes.survival import CauseSpecificCox

MEDIATOR = "final_order"
MIN_ORDER_SHARE = 0.01
"""Orders rarer than this are pooled as ``other`` so that each level has data in both
arms; the controlled direct effects are reported for the common orders."""


def order_model(frame: pd.DataFrame, confounders: list[str]) -> Pipeline:
    """Multinomial logistic model of the order given exposure and confounders."""
    categorical = [c for c in confounders if c in CATEGORICAL_CONFOUNDERS]
    categorical += [c for c in confounders if not pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [*dict.fromkeys(categorical), AREA]
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
    model.fit(frame[[*numeric, *categorical]], frame[MEDIATOR].astype(str))
    return model


def pooled_orders(frame: pd.DataFrame) -> pd.DataFrame:
    """Rare orders pooled into ``other`` (see :data:`MIN_ORDER_SHARE`)."""
    share = frame[MEDIATOR].value_counts(normalize=True)
    rare = share.index[share < MIN_ORDER_SHARE]
    out = frame.copy()
    out[MEDIATOR] = out[MEDIATOR].astype(str).where(~out[MEDIATOR].isin(rare), "other")
    return out


def mediation_risks(
    frame: pd.DataFrame, confounders: list[str], horizons: tuple[float, ...], seed: int
) -> tuple[np.ndarray, list[str]]:
    """Natural direct, natural indirect and controlled direct effects at each horizon.

    Returns
    -------
    values : ndarray, shape (2 + n_orders, H)
        Rows: NDE, NIE, then CDE for each order in ``orders``.
    orders : list of str
        The order levels (after pooling rare ones).
    """
    data = pooled_orders(frame)
    orders = sorted(data[MEDIATOR].unique())
    outcome = CauseSpecificCox().fit(
        data.assign(event=np.minimum(data["event"].to_numpy(), 2)),
        "years",
        "event",
        formula=formula(confounders, data) + f" + C({MEDIATOR})",
        strata=AREA,
    )
    mediator = order_model(data, confounders)
    sample = data.sample(min(len(data), STANDARDISE_ROWS // 2), random_state=seed)
    columns = list(mediator.named_steps["design"].feature_names_in_)
    prob = {
        a: pd.DataFrame(
            mediator.predict_proba(sample.assign(exposed=a)[columns]),
            columns=mediator.classes_,
            index=sample.index,
        )
        for a in (0, 1)
    }
    # F(t | a, m, X) for every arm and order: (H, n) per pair.
    risk = {
        (a, m): outcome.predict_cumulative_incidence(
            sample.assign(exposed=a, **{MEDIATOR: m}), times=list(horizons), cause=1
        ).to_numpy()
        for a in (0, 1)
        for m in orders
    }

    def mixed(a: int, a_m: int) -> np.ndarray:
        total = sum(risk[(a, m)] * prob[a_m][m].to_numpy()[None, :] for m in orders)
        return np.asarray(total).mean(axis=1)

    nde = mixed(1, 0) - mixed(0, 0)
    nie = mixed(1, 1) - mixed(1, 0)
    cde = [(risk[(1, m)] - risk[(0, m)]).mean(axis=1) for m in orders]
    return np.vstack([nde, nie, *cde]), orders
