"""Input checks for the survival and regression fitters: the one place they live.

Every fitter reads its columns through :func:`prepare_design`, so the same mistake gets
the same error everywhere: a missing column is a :class:`~outcomes.errors.SchemaError`,
rows with impossible values a :class:`~outcomes.errors.ValidationError` listing them in
the quarantine layout. Covariates that carry no information (constant, all missing, or an
exact linear combination of earlier ones) are dropped with a
:class:`~outcomes.errors.DegenerateCovariateWarning` naming them, and
:func:`dependent_columns` names the columns behind a singular matrix.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from outcomes.errors import (
    DegenerateCovariateWarning,
    ModelError,
    OutcomesError,
    SchemaError,
    ValidationError,
)
from outcomes.schema import QUARANTINE_COLUMNS

FloatArray = NDArray[np.floating[Any]]

__all__ = [
    "Design",
    "check_choice",
    "dependent_columns",
    "design_matrix",
    "prepare_design",
    "reject_rows",
    "strata_labels",
]

COLLINEAR_TOL = 1e-10
"""A covariate whose variance left after regressing it on the earlier ones is below this
fraction of its own variance is an exact linear combination of them."""


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
    keep: NDArray[np.bool_]
    """Which coded columns entered the model (degenerate ones are dropped)."""


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
    # tolist() gives the same Python scalars as iterating the Series, much faster
    columns = (df[c].tolist() for c in strata)
    return pd.Series(list(zip(*columns, strict=True)), index=df.index)


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
    keep = _informative_columns(X, names)
    X, names = X[:, keep], [n for n, k in zip(names, keep, strict=True) if k]
    bad = ~np.all(np.isfinite(X), axis=1)
    if bad.any():
        col = covs[0] if covs else duration_col
        reject_rows(df, bad, col, "missing_covariate", "missing or non-finite covariate values")
    if X.shape[1] == 0:
        raise ModelError("the model has no covariates left to estimate")
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
        keep=keep,
    )


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    """Raise :class:`~outcomes.errors.OutcomesError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise OutcomesError(f"{name} must be one of {options}, not {value!r}")


def _informative_columns(X: FloatArray, names: list[str]) -> NDArray[np.bool_]:
    """Mask of the coded columns to keep; warns naming those dropped and why.

    All-missing and constant columns go first; then, in column order, each column that
    is an exact linear combination of the columns kept before it (a greedy pivoted
    Cholesky of the centred cross-product matrix, :func:`dependent_columns`).
    """
    p = X.shape[1]
    keep = np.ones(p, dtype=bool)
    if p == 0:
        return keep
    finite = np.isfinite(X)
    reasons: list[str] = []
    all_missing = ~finite.any(axis=0)
    for j in np.flatnonzero(all_missing):
        reasons.append(f"{names[j]} (all missing)")
    keep &= ~all_missing
    complete = finite[:, keep].all(axis=1)
    Xc = X[np.ix_(complete, keep)]
    if Xc.shape[0] > 0:
        idx = np.flatnonzero(keep)
        constant = np.all(Xc == Xc[:1], axis=0)
        for j in idx[constant]:
            reasons.append(f"{names[j]} (constant)")
        keep[idx[constant]] = False
        idx = idx[~constant]
        Z = Xc[:, ~constant]
        if Z.shape[1] > 1:
            Z = Z - Z.mean(axis=0)
            found = dependent_columns(Z.T @ Z, [names[j] for j in idx], COLLINEAR_TOL)
            for local, others in found:
                combo = " + ".join(others) if others else "a constant"
                reasons.append(f"{names[idx[local]]} (a linear combination of {combo})")
                keep[idx[local]] = False
    if reasons:
        warnings.warn(
            "covariates dropped because they carry no information: " + "; ".join(reasons),
            DegenerateCovariateWarning,
            stacklevel=4,
        )
    return keep


def dependent_columns(
    A: FloatArray, names: list[str], tol: float = COLLINEAR_TOL, floor: float | None = None
) -> list[tuple[int, list[str]]]:
    """Columns of a symmetric positive semi-definite matrix that depend on earlier ones.

    Walks the columns in order, keeping each one whose residual
    :math:`A_{jj} - a_j^\top A_{KK}^{-1} a_j` given the kept set :math:`K` exceeds
    ``tol`` times :math:`A_{jj}` and whose own :math:`A_{jj}` exceeds ``floor`` (by
    default :math:`10^{-12}` times the largest diagonal entry). Applied to a
    cross-product :math:`Z^\top Z` it finds the exactly collinear covariates; applied to
    an information matrix, those that carry no information given the others (e.g.
    constant within every stratum).

    Returns
    -------
    list of (int, list of str)
        Index of each dependent column and the names of the kept columns it is a
        combination of (empty when the column is null on its own).
    """
    diag = np.diag(A)
    if floor is None:
        floor = 1e-12 * float(np.max(np.abs(diag))) if diag.size else 0.0
    kept: list[int] = []
    out: list[tuple[int, list[str]]] = []
    for j in range(A.shape[0]):
        ajj = float(A[j, j])
        if not ajj > floor:
            out.append((j, []))
            continue
        if kept:
            b = A[kept, j]
            coef = np.linalg.lstsq(A[np.ix_(kept, kept)], b, rcond=None)[0]
            resid = ajj - float(b @ coef)
            if resid <= tol * ajj:
                size = np.abs(coef) * np.sqrt(np.abs(diag[kept]))
                used = [names[kept[i]] for i in np.flatnonzero(size > 1e-6 * np.sqrt(ajj))]
                out.append((j, used))
                continue
        kept.append(j)
    return out
