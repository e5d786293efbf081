"""Order mix and children's returns to court, area by area.

**Order mix**: the final orders of the period's disposals (by disposal date), counts
and shares per area.

**Returns to court**: for each child's first disposal (time zero), a new care
application for the same child within 1 and 2 years. Adoption, death and ageing out
compete with a return (a child adopted cannot come back in these proceedings), so the
crude rate is the Aalen-Johansen cumulative incidence
(:func:`outcomes.survival.cumulative_incidence` on the cohort of
:func:`outcomes.cohort.build_cohort`), not one minus a Kaplan-Meier.

**Risk adjustment by indirect standardisation.** Areas serve different families. A
logistic case-mix model for "returned within :math:`h`" is fitted on **all** areas,
with only what is known at issue (the child's age, the mother's age, sibling group
size, earlier proceedings of child and mother, issue year and the dataset's declared
covariates) -- never the duration or the order, which are what areas are compared on.
For area :math:`a`,

.. math:: O_a = \\sum_{i \\in a} Y_i, \\qquad E_a = \\sum_{i \\in a} \\hat p_i, \\qquad
          \\mathrm{SR}_a = O_a / E_a,

over the children whose outcome at :math:`h` is known (a return or a competing event
before :math:`h`, or follow-up to :math:`h`; children still in follow-up are left out
of the ratio, which is why it uses fewer children than the crude rate). The interval
treats :math:`O_a` as Poisson and :math:`E_a` as fixed (exact chi-square limits,
Breslow & Day 1987). A ratio above 1: more children return than the case mix predicts.
:func:`outcomes.areas.funnel` with ``kind="ratio"`` on ``observed``/``expected`` then
says which areas stand out.

References
----------
Breslow, N. E. & Day, N. E. (1987). *Statistical Methods in Cancer Research II: the
design and analysis of cohort studies*. IARC (indirect standardisation, exact limits).

Aalen, O. O. & Johansen, S. (1978). *Scand. J. Statist.* 5, 141-150.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.disclosure import DEFAULT_THRESHOLD, suppression_mask
from outcomes.errors import FollowUpWarning, ModelError
from outcomes.kpi._data import KPIError, Period, period_label, proceedings_of
from outcomes.schema import FINAL_ORDERS, Dataset

if TYPE_CHECKING:
    from outcomes.cohort import Cohort

__all__ = ["order_mix", "return_rates"]


def order_mix(
    data: Dataset | pd.DataFrame,
    by: Sequence[str] = ("la_code",),
    period: Period = "year",
    *,
    suppression: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Final orders of the disposals of each period, by area.

    Parameters
    ----------
    data : Dataset or DataFrame
        Proceedings with ``disposal_date``, ``final_order`` and the ``by`` columns.
    by : sequence of str, default ("la_code",)
    period : {"quarter", "year"}
        Of disposal.
    suppression : bool, default True
        Order counts are additive parts of the disposals (row totals) and add up over
        areas and periods; withheld as :func:`outcomes.disclosure.suppress` does.
    threshold : int, default 10

    Returns
    -------
    DataFrame
        ``period``, the ``by`` columns, ``disposals``, one count column per order type
        of the vocabulary (codes outside it, or missing, as ``not_recorded``), and
        ``pct_<order>`` shares (0-100); ``suppressed``.
    """
    table, _ = proceedings_of(data, None)
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in ("disposal_date", "final_order", *by) if c not in table.columns]
    if missing:
        raise KPIError(f"the proceedings table has no column(s) {missing}")
    done = table.loc[pd.to_datetime(table["disposal_date"], errors="coerce").notna()].copy()
    done["period"] = period_label(pd.to_datetime(done["disposal_date"]), period)
    order = done["final_order"].where(done["final_order"].isin(FINAL_ORDERS), "not_recorded")
    kinds = [*FINAL_ORDERS, "not_recorded"]
    done["_order"] = pd.Categorical(order, categories=kinds)
    wide = done.groupby(["period", *by, "_order"], observed=False).size().unstack("_order")
    wide = wide.loc[wide.sum(axis=1) > 0].reindex(columns=kinds, fill_value=0)
    wide.columns = list(kinds)
    wide.insert(0, "disposals", wide.sum(axis=1))
    out = wide.reset_index()
    for k in kinds:
        out[f"pct_{k}"] = 100.0 * out[k] / out["disposals"]
    margins = [["period"], by] if by else [[]]
    if suppression and len(out):
        mask = suppression_mask(out, kinds, threshold=threshold, margins=margins)
        total = suppression_mask(out, ["disposals"], threshold=threshold, margins=margins)
        for k in kinds:
            hide = mask[k].to_numpy() | total["disposals"].to_numpy()
            out[k] = out[k].astype("Int64").mask(hide)
            out[f"pct_{k}"] = out[f"pct_{k}"].astype("Float64").mask(hide)
        out["disposals"] = out["disposals"].astype("Int64").mask(total["disposals"].to_numpy())
        out["suppressed"] = mask.to_numpy().any(axis=1) | total["disposals"].to_numpy()
    else:
        out["suppressed"] = False
    return out


def return_rates(
    data: Dataset,
    by: str | None = "la_code",
    horizons: Sequence[float] = (1, 2),
    *,
    alpha: float = 0.05,
    suppression: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
    cohort: Cohort | None = None,
) -> pd.DataFrame:
    """Children returning to court within each horizon (years), crude and risk-adjusted.

    Parameters
    ----------
    data : Dataset
        A dataset (the cohort needs the manifest's extract date and covariates).
    by : str or None, default "la_code"
        The area column; ``None`` gives one national row (its ratio is 1 by
        construction: the case-mix model is fitted on the same children).
    horizons : sequence of float, default (1, 2)
        Years after the index disposal.
    alpha : float, default 0.05
    suppression : bool, default True
        Children and returns are counts (returns nested in children); a rate or ratio
        is withheld with the count it reveals.
    threshold : int, default 10
    cohort : Cohort, optional
        The ``child_return`` cohort of ``data`` when already built (e.g. with a
        ``window`` of index disposals, or to compute areas and the nation from one
        cohort); default ``build_cohort(data)``.

    Returns
    -------
    DataFrame
        One row per area (one row without an area column for ``by=None``):
        ``children`` (index disposals), and per horizon ``h``
        (suffix ``_<h>y``): ``crude`` with ``crude_ci_lower`` / ``crude_ci_upper``
        (Aalen-Johansen), ``known`` (children whose outcome at ``h`` is known),
        ``observed``, ``expected``, ``ratio`` with ``ratio_ci_lower`` /
        ``ratio_ci_upper``. ``attrs``: ``case_mix`` (covariates used),
        ``excluded_case_mix`` (children left out of the model for missing or
        impossible covariates).
    """
    from outcomes.cohort import build_cohort
    from outcomes.survival import cumulative_incidence

    if not isinstance(data, Dataset):
        raise KPIError("return_rates needs a Dataset (the cohort needs the extract date)")
    if not 0 < alpha < 1:
        raise KPIError(f"alpha must be in (0, 1), not {alpha!r}")
    if not horizons or any(h <= 0 for h in horizons):
        raise KPIError(f"horizons must be positive years, not {list(horizons)!r}")
    if cohort is None:
        cohort = build_cohort(data)
    elif cohort.definition.outcome != "child_return" or cohort.definition.index != "first":
        raise KPIError("cohort must be a child_return cohort of first disposals (build_cohort)")
    df = cohort.data
    national = by is None
    if by is None:
        by = "_nation"  # one group: everybody
        df = df.assign(_nation="national")
    if by not in df.columns:
        raise KPIError(f"the cohort has no column {by!r}")
    df = df.loc[df[by].notna()].reset_index(drop=True)
    areas = pd.Index(sorted(df[by].unique()), name=by)
    out = pd.DataFrame(index=areas)
    out["children"] = df.groupby(by).size().reindex(areas).to_numpy()
    covars = [c for c in cohort.covariates if pd.api.types.is_numeric_dtype(df[c])]
    x = df[covars].astype(float)
    usable = np.isfinite(x.to_numpy()).all(axis=1) & (df["child_age_at_issue"] >= 0).to_numpy()
    event = df["event"].to_numpy()
    time = df["time"].to_numpy(dtype=float)
    for h in horizons:
        years = h  # a cohort measures time in years since disposal, as horizons are
        tag = f"{h:g}y"
        with warnings.catch_warnings():
            # An area whose children are not yet followed this long has no estimate
            # (NaN, shown as such): that is the answer here, not a slip of units.
            warnings.simplefilter("ignore", FollowUpWarning)
            ci = cumulative_incidence(
                df, "time", "event", event_of_interest=1, by=by, times=[years], alpha=alpha
            )
        crude = ci.table.set_index("group").reindex(areas)
        out[f"crude_{tag}"] = crude["estimate"].to_numpy()
        out[f"crude_ci_lower_{tag}"] = crude["ci_lower"].to_numpy()
        out[f"crude_ci_upper_{tag}"] = crude["ci_upper"].to_numpy()
        known = usable & ((time >= years) | ((event > 0) & (time <= years)))
        y = ((event == 1) & (time <= years))[known].astype(float)
        if national:
            # One group: the fitted probabilities of a logistic model with an intercept
            # sum to the observed count (the intercept's score equation), so E = O and
            # no fit is needed.
            p = np.full(len(y), y.mean() if len(y) else 0.0)
        else:
            p = _case_mix_probabilities(x.to_numpy()[known], y, covars)
        grp = df.loc[known, by].to_numpy()
        agg = (
            pd.DataFrame({"g": grp, "y": y, "p": p})
            .groupby("g")
            .agg(known=("y", "size"), observed=("y", "sum"), expected=("p", "sum"))
        )
        agg = agg.reindex(areas, fill_value=0)
        o, e = agg["observed"].to_numpy(), agg["expected"].to_numpy()
        out[f"known_{tag}"] = agg["known"].to_numpy()
        out[f"observed_{tag}"] = o.astype(np.int64)
        out[f"expected_{tag}"] = e
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"ratio_{tag}"] = np.where(e > 0, o / e, np.nan)
            lo = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * o) / 2, 0.0)
            hi = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
            out[f"ratio_ci_lower_{tag}"] = np.where(e > 0, lo / e, np.nan)
            out[f"ratio_ci_upper_{tag}"] = np.where(e > 0, hi / e, np.nan)
    out = out.reset_index()
    if national:
        out = out.drop(columns=by)
    if suppression and len(out):
        out = _withhold_returns(out, horizons, threshold)
    out.attrs.update(case_mix=covars, excluded_case_mix=int((~usable).sum()), alpha=alpha)
    return out


def _case_mix_probabilities(x: np.ndarray, y: np.ndarray, names: list[str]) -> np.ndarray:
    """Fitted P(return within h | case mix at issue) from one logistic model, all areas."""
    import statsmodels.api as sm

    if y.sum() == 0 or y.sum() == len(y):
        raise ModelError("no variation in returns: the case-mix model cannot be fitted")
    keep = x.std(axis=0) > 0  # a constant covariate (e.g. one issue year) says nothing
    design = sm.add_constant(x[:, keep], has_constant="add")
    try:
        fit = sm.GLM(y, design, family=sm.families.Binomial()).fit()
    except (np.linalg.LinAlgError, ValueError) as exc:  # pragma: no cover - defensive
        kept = [n for n, k in zip(names, keep, strict=True) if k]
        raise ModelError(
            f"the case-mix model ({', '.join(kept)}) cannot be fitted: {exc}"
        ) from exc
    return np.asarray(fit.fittedvalues, dtype=float)


def _withhold_returns(
    out: pd.DataFrame, horizons: Sequence[float], threshold: int
) -> pd.DataFrame:
    suppressed = np.zeros(len(out), dtype=bool)
    base = suppression_mask(out, ["children"], threshold=threshold)["children"].to_numpy()
    out["children"] = out["children"].astype("Int64").mask(base)
    for h in horizons:
        tag = f"{h:g}y"
        counts = [f"known_{tag}", f"observed_{tag}"]
        mask = suppression_mask(
            out.assign(**{c: out[c].fillna(0) for c in counts}),
            counts,
            threshold=threshold,
            nested={f"observed_{tag}": f"known_{tag}"},
        )
        hide_n = mask[f"known_{tag}"].to_numpy() | base
        # the crude rate times the children published reads as a count of returns:
        # withhold it when that reading is small, even though censoring makes it inexact
        implied = np.round(
            out[f"crude_{tag}"].astype(float).to_numpy() * out["children"].astype(float).to_numpy()
        )
        small = ((implied >= 1) & (implied < threshold)) | (
            (out["children"].astype(float).to_numpy() - implied >= 1)
            & (out["children"].astype(float).to_numpy() - implied < threshold)
        )
        hide_o = mask[f"observed_{tag}"].to_numpy() | hide_n | small
        out[f"known_{tag}"] = out[f"known_{tag}"].astype("Int64").mask(hide_n)
        for col in (
            f"observed_{tag}",
            f"expected_{tag}",
            f"ratio_{tag}",
            f"ratio_ci_lower_{tag}",
            f"ratio_ci_upper_{tag}",
            f"crude_{tag}",
            f"crude_ci_lower_{tag}",
            f"crude_ci_upper_{tag}",
        ):
            if col.startswith("observed"):
                out[col] = out[col].astype("Int64").mask(hide_o)
            else:
                out[col] = out[col].astype("Float64").mask(hide_o)
        suppressed |= hide_o | hide_n
    out["suppressed"] = suppressed | base
    return out
