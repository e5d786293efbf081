"""Input checks and conversions shared by the causal modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError, SchemaError


def binary_treatment(values: pd.Series, name: str = "treatment") -> pd.Series:
    """A treatment column as nullable 0/1 (``Int8``); raises if it is not binary.

    Parameters
    ----------
    values : pandas.Series
        Bool, or numbers in {0, 1}; missing values are allowed.
    name : str
        Used in the error message.

    Returns
    -------
    pandas.Series
    """
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("Int8")
    numeric = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & ~numeric.isin([0, 1])
    if bad.any():
        example = s[bad].iloc[0]
        raise SchemaError(
            f"treatment must be binary (bool or 0/1); found {example!r} in "
            f"{int(bad.sum())} row(s), first at index {s.index[bad][0]!r}",
            column=name,
        )
    return numeric.astype("Int8")


def split_columns(
    data: pd.DataFrame, confounders: list[str], categorical: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """Split confounders into (categorical, numeric); by default by dtype."""
    if categorical is None:
        cat = [
            c
            for c in confounders
            if not (
                pd.api.types.is_numeric_dtype(data[c].dtype)
                or pd.api.types.is_bool_dtype(data[c].dtype)
            )
        ]
    else:
        cat = [c for c in confounders if c in set(categorical)]
        extra = sorted(set(categorical) - set(confounders))
        if extra:
            raise OutcomesError(f"categorical columns not among the confounders: {extra}")
    num = [c for c in confounders if c not in cat]
    for c in num:
        if not (
            pd.api.types.is_numeric_dtype(data[c].dtype)
            or pd.api.types.is_bool_dtype(data[c].dtype)
        ):
            raise SchemaError(
                f"confounder {c!r} is not numeric; declare it in `categorical`", column=c
            )
    return cat, num


def category_levels(values: pd.Series, fill: str | None = None) -> pd.Series:
    """A categorical column as text levels (object dtype), missing values as ``fill``.

    One type for all levels, so that they sort (the one-hot encoder needs that), and no
    ``pd.NA``, which scikit-learn's encoders reject.
    """
    out = values.astype(str).astype(object)
    out[values.isna().to_numpy()] = fill
    return out


def aligned_arrays(values: pd.Series, treatment: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of values and 0/1 treatment (NaN for missing), same index required."""
    if not isinstance(values, pd.Series) or not isinstance(treatment, pd.Series):
        raise OutcomesError("scores/weights and treatment must be pandas Series")
    if not values.index.equals(treatment.index):
        raise OutcomesError("scores/weights and treatment must have the same index")
    v = pd.to_numeric(values, errors="coerce").astype(np.float64).to_numpy()
    t = binary_treatment(treatment).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    return v, t
