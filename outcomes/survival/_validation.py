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

import re
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
    OutcomesWarning,
    SchemaError,
    ValidationError,
)
from outcomes.schema import QUARANTINE_COLUMNS

FloatArray = NDArray[np.floating[Any]]

__all__ = [
    "AdditiveSpec",
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


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FACTOR = re.compile(r"C\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


@dataclass(frozen=True)
class AdditiveSpec:
    """How a formula that is a sum of numeric columns and ``C(column)`` factors is
    coded: formulaic's coding of it (the same columns, in the same order, under the
    same names), without formulaic's cost per call.

    Each numeric column is one column; each factor gives treatment contrasts
    ``C(x)[T.level]`` against its first level, the levels being a categorical's own
    categories, else the sorted distinct values; a missing value, or in new rows a
    level the fit did not see, codes as the first level (formulaic's zeros). Coding
    7,000 rows this way takes about 2 ms against about 40 ms through formulaic, which
    matters where models are refitted hundreds of times (a bootstrap).
    """

    terms: tuple[tuple[str, str, tuple[Any, ...] | None], ...]
    """(term, column, the factor's levels or None for a numeric column)."""
    column_names: tuple[str, ...]

    @classmethod
    def of(cls, formula: str, df: pd.DataFrame) -> AdditiveSpec | None:
        """The spec of ``formula`` on ``df``, or None when the formula is anything else
        (a transform, an interaction, a column not in ``df``, a non-numeric bare
        column, levels that do not sort): formulaic codes those."""
        terms: list[tuple[str, str, tuple[Any, ...] | None]] = []
        names: list[str] = []
        for term in (t.strip() for t in formula.split("+")):
            factor = _FACTOR.fullmatch(term)
            column = factor.group(1) if factor else term
            if not _NAME.fullmatch(column) or column not in df.columns:
                return None
            if any(t[1] == column for t in terms):
                return None
            values = df[column]
            if factor is None:
                numeric = pd.api.types.is_numeric_dtype(values)
                if not numeric or pd.api.types.is_bool_dtype(values):
                    return None
                terms.append((term, column, None))
                names.append(column)
                continue
            if isinstance(values.dtype, pd.CategoricalDtype):
                levels = tuple(values.cat.categories)
            else:
                try:
                    levels = tuple(sorted(pd.unique(values.dropna()).tolist()))
                except TypeError:
                    return None
            term = f"C({column})"  # formulaic's spelling of the term
            terms.append((term, column, levels))
            names += [f"{term}[T.{level}]" for level in levels[1:]]
        return cls(tuple(terms), tuple(names))

    def get_slice(self, term: str) -> slice:
        """The columns of one term (as formulaic's ``ModelSpec.get_slice``).

        Raises
        ------
        OutcomesError
            When ``term`` is not one of the formula's.
        """
        start = 0
        for name, _, levels in self.terms:
            width = 1 if levels is None else max(len(levels) - 1, 0)
            if name == term:
                return slice(start, start + width)
            start += width
        raise OutcomesError(f"{term!r} is not a term of the formula")

    def encode(self, df: pd.DataFrame) -> FloatArray:
        """The coded columns of ``df``'s rows, shape (n, len(column_names))."""
        missing = [column for _, column, _ in self.terms if column not in df.columns]
        if missing:
            raise SchemaError(f"covariate columns not found: {missing}")
        blocks = []
        for term, column, levels in self.terms:
            values = df[column]
            if levels is None:
                blocks.append(values.to_numpy(dtype=np.float64)[:, None])
                continue
            codes = pd.Categorical(values, categories=list(levels)).codes
            unseen = (codes < 0) & values.notna().to_numpy()
            if unseen.any():
                warnings.warn(
                    f"{term}: levels not seen in the fit are coded as the first level, "
                    f"{levels[0]!r}: {sorted(map(str, set(values[unseen])))}",
                    OutcomesWarning,
                    stacklevel=3,
                )
            blocks.append((codes[:, None] == np.arange(1, len(levels))).astype(np.float64))
        return np.hstack(blocks) if blocks else np.empty((len(df), 0))


def design_matrix(
    df: pd.DataFrame, formula: str | None, columns: list[str], model_spec: Any = None
) -> tuple[FloatArray, list[str], Any]:
    """Covariate matrix from a right-hand-side formula or plain columns.

    A sum of columns and ``C(column)`` factors is coded by :class:`AdditiveSpec`, any
    other formula by formulaic. The intercept is dropped after coding, so ``C(order)``
    keeps treatment contrasts against its first level (a Cox model has no intercept;
    the baseline hazard absorbs it).
    """
    if formula is None and model_spec is None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise SchemaError(f"covariate columns not found: {missing}")
        X = df[columns].to_numpy(dtype=np.float64)
        return X, list(columns), None
    if model_spec is None:
        if "~" in formula:  # type: ignore[operator]
            raise OutcomesError("formula takes the right-hand side only, e.g. 'age + C(order)'")
        model_spec = AdditiveSpec.of(formula, df)  # type: ignore[arg-type]
    if isinstance(model_spec, AdditiveSpec):
        return model_spec.encode(df), list(model_spec.column_names), model_spec
    import formulaic

    if model_spec is None:
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
    # The residual of column j given every earlier one is the square of the j-th
    # pivot of A's Cholesky factor: when all pass, every column is kept and the walk
    # below (a least-squares solve per column) would find nothing.
    if diag.size and np.all(diag > floor):
        try:
            pivots = np.diag(np.linalg.cholesky(A)) ** 2
        except np.linalg.LinAlgError:
            pivots = np.zeros_like(diag)
        if np.all(pivots > tol * diag):
            return []
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
