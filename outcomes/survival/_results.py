"""Shared plumbing for the proportional-hazards fitters: input preparation and tidy tables.

Kept apart from the estimators so that :mod:`~outcomes.survival.cox`,
:mod:`~outcomes.survival.fine_gray` and :mod:`~outcomes.survival.cause_specific` read the
same columns the same way and report estimates in one layout
(``estimate, std_error, ci_lower, ci_upper, p_value`` plus hazard-ratio columns, with
``alpha`` in ``DataFrame.attrs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from outcomes.errors import OutcomesError, SchemaError, ValidationError
from outcomes.schema import QUARANTINE_COLUMNS

FloatArray = NDArray[np.floating[Any]]

__all__ = [
    "Design",
    "design_matrix",
    "prepare_design",
    "reject_rows",
    "strata_labels",
    "tidy_summary",
]


@dataclass
class Design:
    """Arrays a fitter needs, read once from a DataFrame."""

    X: FloatArray
    names: list[str]
    exit: FloatArray
    entry: FloatArray | None
    event: NDArray[np.int64]
    strata: NDArray[np.int64] | None
    strata_levels: list[Any]
    weights: FloatArray | None
    cluster: NDArray[np.int64] | None
    model_spec: Any
    covariate_columns: list[str]


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def reject_rows(
    df: pd.DataFrame, bad: NDArray[np.bool_], column: str, reason: str, msg: str
) -> NoReturn:
    """Raise ValidationError listing the offending rows in the quarantine layout."""
    rows = np.flatnonzero(bad)
    q = pd.DataFrame(
        {
            "table": "model_frame",
            "file": None,
            "row": rows.astype("int64"),
            "column": column,
            "reason": reason,
            "message": msg,
            "value": [str(v) for v in df[column].to_numpy()[rows]] if column in df else None,
            "other_reasons": None,
            "record": [str(r) for r in df.index[rows]],
        },
        columns=list(QUARANTINE_COLUMNS),
    )
    shown = ", ".join(str(r) for r in df.index[rows[:5]])
    more = "" if rows.size <= 5 else f" and {rows.size - 5} more"
    raise ValidationError(f"{column}: {msg} (rows {shown}{more})", q)


def design_matrix(
    df: pd.DataFrame, formula: str | None, columns: list[str], model_spec: Any = None
) -> tuple[FloatArray, list[str], Any]:
    """Covariate matrix from a right-hand-side formula (formulaic) or plain columns.

    The intercept is dropped after coding, so ``C(order)`` keeps treatment contrasts
    against its first level (a Cox model has no intercept; the baseline hazard absorbs it).
    """
    if formula is None and model_spec is None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise SchemaError(f"covariate columns not found: {missing}")
        X = df[columns].to_numpy(dtype=np.float64)
        return X, list(columns), None
    import formulaic

    if model_spec is None:
        if "~" in formula:  # type: ignore[operator]
            raise OutcomesError("formula takes the right-hand side only, e.g. 'age + C(order)'")
        mm = formulaic.model_matrix(formula, df, na_action="ignore")
        model_spec = mm.model_spec
    else:
        mm = model_spec.get_model_matrix(df, na_action="ignore")
    frame = pd.DataFrame(mm)
    frame = frame.drop(columns=[c for c in frame.columns if c == "Intercept"])
    return frame.to_numpy(dtype=np.float64), [str(c) for c in frame.columns], model_spec


def strata_labels(df: pd.DataFrame, strata: list[str]) -> pd.Series:
    """One hashable label per row for the combination of strata columns."""
    if len(strata) == 1:
        return df[strata[0]]
    return pd.Series(list(zip(*(df[c] for c in strata), strict=True)), index=df.index)


def prepare_design(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    entry_col: str | None,
    strata: str | Sequence[str] | None,
    weights_col: str | None,
    cluster_col: str | None,
    formula: str | None,
) -> Design:
    """Validate the model columns and return them as arrays.

    Raises
    ------
    SchemaError
        A named column is missing.
    ValidationError
        Rows with missing or impossible values (non-positive intervals, negative weights);
        the rows are listed in ``err.quarantine``.
    """
    if not isinstance(df, pd.DataFrame):
        raise OutcomesError("df must be a pandas DataFrame")
    strata_cols = _as_list(strata)
    special = [duration_col, event_col, *strata_cols]
    special += [c for c in (entry_col, weights_col, cluster_col) if c is not None]
    missing = [c for c in special if c not in df.columns]
    if missing:
        raise SchemaError(f"columns not found: {missing}")
    if len(df) == 0:
        raise SchemaError("no rows to fit")
    for col in [c for c in special if c != cluster_col and c not in strata_cols]:
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            reject_rows(df, bad, col, "missing_or_non_numeric", "missing or non-numeric values")
    for col in [c for c in (cluster_col, *strata_cols) if c is not None]:
        bad = df[col].isna().to_numpy()
        if bad.any():
            reject_rows(df, bad, col, "missing", "missing values")
    exit_ = df[duration_col].to_numpy(dtype=np.float64)
    event_raw = df[event_col].to_numpy(dtype=np.float64)
    if np.any(event_raw != np.round(event_raw)) or np.any(event_raw < 0):
        bad = (event_raw != np.round(event_raw)) | (event_raw < 0)
        reject_rows(df, bad, event_col, "bad_event_code", "event codes must be 0 or positive ints")
    entry = None
    if entry_col is not None:
        entry = df[entry_col].to_numpy(dtype=np.float64)
        bad = entry >= exit_
        if bad.any():
            reject_rows(
                df, bad, entry_col, "empty_interval", "entry time must be before exit time"
            )
    weights = None
    if weights_col is not None:
        weights = df[weights_col].to_numpy(dtype=np.float64)
        if np.any(weights < 0):
            reject_rows(df, weights < 0, weights_col, "negative_weight", "weights must be >= 0")
    covs = [c for c in df.columns if c not in special]
    X, names, spec = design_matrix(df, formula, covs)
    bad = ~np.all(np.isfinite(X), axis=1)
    if bad.any():
        col = covs[0] if covs else duration_col
        reject_rows(df, bad, col, "missing_covariate", "missing or non-finite covariate values")
    if X.shape[1] == 0:
        raise OutcomesError("the model has no covariates")
    codes = None
    levels: list[Any] = []
    if strata_cols:
        c, uniq = pd.factorize(strata_labels(df, strata_cols), sort=True)
        codes = c.astype(np.int64)
        levels = list(uniq)
    cluster = None
    if cluster_col is not None:
        cluster = pd.factorize(df[cluster_col], sort=True)[0].astype(np.int64)
    return Design(
        X=X,
        names=names,
        exit=exit_,
        entry=entry,
        event=event_raw.astype(np.int64),
        strata=codes,
        strata_levels=levels,
        weights=weights,
        cluster=cluster,
        model_spec=spec,
        covariate_columns=covs,
    )


def tidy_summary(
    params: FloatArray,
    variance: FloatArray,
    names: list[str],
    alpha: float,
    method: str,
) -> pd.DataFrame:
    """Wald table in the house layout, with hazard-ratio columns; ``alpha`` in attrs."""
    se = np.sqrt(np.diag(variance))
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(params / se))
    out = pd.DataFrame(
        {
            "estimate": params,
            "std_error": se,
            "ci_lower": params - z * se,
            "ci_upper": params + z * se,
            "p_value": p,
        },
        index=pd.Index(names, name="covariate"),
    )
    out["hazard_ratio"] = np.exp(out["estimate"])
    out["hr_ci_lower"] = np.exp(out["ci_lower"])
    out["hr_ci_upper"] = np.exp(out["ci_upper"])
    out["method"] = method
    out.attrs["alpha"] = alpha
    return out
