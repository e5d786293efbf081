"""Propensity scores from a swappable scikit-learn classifier.

:func:`fit_propensity` estimates :math:`e(x) = P(T = 1 \\mid X = x)` for a binary
treatment. The classifier is any scikit-learn estimator with ``predict_proba``; by
default an (almost) unpenalised logistic regression. Categorical confounders (such as
``la_code``) are one-hot encoded and numeric ones standardised before they reach the
classifier, so a user can swap in ``GradientBoostingClassifier()`` without writing the
preprocessing again.

Missing confounder values are handled in one of two explicit ways (``missing=``):

``"complete_case"`` (default)
    Rows with any missing confounder (or a missing treatment) are left out of the fit
    and get no score (``NaN``); :attr:`PropensityResult.missing` says how many values
    were missing per column and :attr:`PropensityResult.n_dropped` how many rows were
    lost. Valid when missingness does not depend on both treatment and outcome given
    the confounders.
``"indicator"``
    Numeric missing values are replaced by the column median and a 0/1 "was missing"
    indicator enters the model; a missing categorical value is its own level
    (``"(missing)"``). Every row with a known treatment keeps a score. This keeps the
    sample but assumes that adjusting for "was missing" removes the confounding that
    the missing value carried (Groenwold et al. 2012 show where this fails).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from outcomes.causal._inputs import binary_treatment, category_levels, split_columns
from outcomes.errors import OutcomesError, SchemaError

__all__ = ["MissingStrategy", "PropensityResult", "default_propensity_model", "fit_propensity"]

MissingStrategy = Literal["complete_case", "indicator"]

MISSING_LEVEL = "(missing)"
"""The level a missing categorical value becomes under ``missing="indicator"``."""


def default_propensity_model() -> LogisticRegression:
    """The default propensity classifier: logistic regression with a negligible penalty.

    ``C=1e4`` on standardised numerics and one-hot levels is, in practice, the
    maximum-likelihood fit (coefficients agree with an unpenalised fit to several
    digits when the MLE exists), but stays finite when one area has only treated or
    only untreated cases (quasi-separation), where the unpenalised MLE does not exist.
    Such areas are still flagged by :func:`outcomes.causal.positivity`.

    Returns
    -------
    sklearn.linear_model.LogisticRegression
    """
    return LogisticRegression(C=1e4, max_iter=5000)


@dataclass
class PropensityResult:
    """Result of :func:`fit_propensity`.

    Attributes
    ----------
    scores : pandas.Series
        :math:`\\hat e(x_i) = \\hat P(T=1 \\mid X=x_i)`, indexed like the input data,
        named ``"propensity"``; ``NaN`` for rows left out of the fit.
    treatment : pandas.Series
        The treatment as 0/1 (``Int8``, ``<NA>`` where it was missing), indexed like
        the input data.
    used : pandas.Series
        Boolean, True for the rows the model was fitted on (and scored).
    model : sklearn.pipeline.Pipeline
        The fitted pipeline (preprocessing, then the classifier).
    confounders, numeric, categorical : list of str
        All confounders, and how each was treated.
    missing_strategy : {"complete_case", "indicator"}
    missing : pandas.DataFrame
        One row per confounder (and the treatment): ``variable``, ``n_missing``,
        ``share_missing``.
    """

    scores: pd.Series
    treatment: pd.Series
    used: pd.Series
    model: Pipeline
    confounders: list[str]
    numeric: list[str]
    categorical: list[str]
    missing_strategy: str
    missing: pd.DataFrame = field(repr=False)

    @property
    def n_used(self) -> int:
        """Rows the model was fitted on."""
        return int(self.used.sum())

    @property
    def n_dropped(self) -> int:
        """Rows left out (missing treatment, or missing confounders in complete-case)."""
        return int((~self.used).sum())

    def weights(self, **kwargs: Any) -> pd.Series:
        """Inverse-probability weights from these scores.

        Shorthand for ``inverse_probability_weights(self.scores, self.treatment,
        **kwargs)``; see :func:`outcomes.causal.inverse_probability_weights`.
        """
        from outcomes.causal.weights import inverse_probability_weights

        return inverse_probability_weights(self.scores, self.treatment, **kwargs)


def fit_propensity(
    data: pd.DataFrame,
    treatment: str,
    confounders: Sequence[str],
    model: ClassifierMixin | None = None,
    categorical: Sequence[str] | None = None,
    *,
    missing: MissingStrategy = "complete_case",
) -> PropensityResult:
    """Fit a propensity-score model and score every usable row.

    .. math::

        e(x) = P(T = 1 \\mid X = x), \\qquad
        \\text{default: } \\operatorname{logit} e(x) = \\beta_0 + \\beta^\\top
        \\phi(x),

    where :math:`\\phi` one-hot encodes categorical confounders and standardises
    numeric ones (Rosenbaum & Rubin 1983).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit, e.g. ``cohort.data``.
    treatment : str
        Binary treatment column (bool, or 0/1); e.g. ``"short_duration"``.
    confounders : sequence of str
        Columns to adjust for. All must be present (the study decides what to do about
        absent ones before calling).
    model : scikit-learn classifier, optional
        Any estimator with ``fit`` and ``predict_proba`` (it is cloned, never fitted in
        place). Placed after the preprocessing. If it is itself a
        :class:`~sklearn.pipeline.Pipeline`, it is used as given on the raw confounder
        columns and must do its own preprocessing. Default:
        :func:`default_propensity_model`.
    categorical : sequence of str, optional
        Confounders to one-hot encode. Default: every confounder whose dtype is not
        numeric or boolean (strings, ``category``, objects).
    missing : {"complete_case", "indicator"}
        How missing confounder values are handled; see the module documentation.

    Returns
    -------
    PropensityResult

    Raises
    ------
    outcomes.errors.SchemaError
        A column is absent, the treatment is not binary or has a single value, or a
        column declared numeric is not.

    References
    ----------
    .. [1] Rosenbaum, P. R. & Rubin, D. B. (1983). The central role of the propensity
       score in observational studies for causal effects. *Biometrika* 70(1), 41-55.
    .. [2] Austin, P. C. & Stuart, E. A. (2015). Moving towards best practice when using
       inverse probability of treatment weighting (IPTW) using the propensity score to
       estimate causal treatment effects in observational studies. *Statistics in
       Medicine* 34(28), 3661-3679.
    .. [3] Groenwold, R. H. H. et al. (2012). Missing covariate data in clinical
       research: when and when not to use the missing-indicator method for analysis.
       *CMAJ* 184(11), 1265-1269.
    """
    confounders = list(dict.fromkeys(confounders))
    if missing not in ("complete_case", "indicator"):
        raise OutcomesError(f"missing must be 'complete_case' or 'indicator', not {missing!r}")
    absent = [c for c in [treatment, *confounders] if c not in data.columns]
    if absent:
        raise SchemaError(f"columns not in the data: {', '.join(absent)}", column=absent[0])
    if not confounders:
        raise OutcomesError("at least one confounder is needed")

    t = binary_treatment(data[treatment], treatment)
    categorical_cols, numeric_cols = split_columns(data, confounders, categorical)
    X = _design_frame(data, categorical_cols, numeric_cols, missing)

    missing_table = _missing_table(data, [treatment, *confounders])
    used = t.notna()
    if missing == "complete_case":
        used &= data[confounders].notna().all(axis=1)
    t_used = t[used].astype(np.int8)
    if t_used.nunique() < 2:
        raise SchemaError(
            f"treatment {treatment!r} takes a single value in the rows used; "
            "there is nothing to compare",
            column=treatment,
        )

    pipeline = _pipeline(model, categorical_cols, numeric_cols, missing)
    # every row is usable in most calls: no copy of the design then
    X_used = X if bool(used.all()) else X.loc[used]
    scores = pd.Series(np.nan, index=data.index, name="propensity", dtype=np.float64)
    scores[used] = _fit_and_score(
        pipeline, X_used, t_used.to_numpy(), own=not isinstance(model, Pipeline)
    )
    return PropensityResult(
        scores=scores,
        treatment=t,
        used=used.rename("used"),
        model=pipeline,
        confounders=confounders,
        numeric=numeric_cols,
        categorical=categorical_cols,
        missing_strategy=missing,
        missing=missing_table,
    )


def _design_frame(
    data: pd.DataFrame, categorical: list[str], numeric: list[str], missing: str
) -> pd.DataFrame:
    """Confounders in dtypes scikit-learn handles: float for numerics, object for levels.

    Nullable and Arrow-backed pandas dtypes are converted here because scikit-learn's
    encoders do not accept ``pd.NA``.
    """
    out = pd.DataFrame(index=data.index)
    for c in numeric:
        out[c] = pd.to_numeric(data[c], errors="coerce").astype(np.float64)
    for c in categorical:
        out[c] = category_levels(data[c], MISSING_LEVEL if missing == "indicator" else None)
    return out


def _pipeline(
    model: ClassifierMixin | None, categorical: list[str], numeric: list[str], missing: str
) -> Pipeline:
    if isinstance(model, Pipeline):
        return clone(model)
    numeric_steps: list[tuple[str, Any]] = []
    if missing == "indicator":
        numeric_steps.append(("impute", SimpleImputer(strategy="median", add_indicator=True)))
    numeric_steps.append(("scale", StandardScaler()))
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps), numeric))
    if categorical:
        # Unseen levels cannot arise (we fit and score the same rows); "ignore" keeps a
        # refit on a subset from failing. All levels are kept: with a (near) zero
        # penalty the intercept absorbs the redundancy without harm to the scores.
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", encoder, categorical))
    preprocess = ColumnTransformer(transformers, remainder="drop")
    classifier = default_propensity_model() if model is None else clone(model)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def _fit_and_score(pipeline: Pipeline, X: pd.DataFrame, t: np.ndarray, own: bool) -> np.ndarray:
    """Fit ``pipeline`` to ``(X, t)``; return :math:`\\hat P(T = 1)` for the rows of ``X``.

    Our own pipeline (``own``: preprocessing, then the classifier; see
    :func:`_pipeline`) is fitted step by step so that the design preprocessed for the
    fit also serves for the scores. The numbers are those of
    ``pipeline.fit(X, t).predict_proba(X)`` -- each transformer's ``fit_transform`` is
    its ``fit`` then ``transform`` -- without preprocessing ``X`` a second time, which
    was about a fifth of the cost of a fit (and is paid once per bootstrap replicate).
    A user's pipeline is fitted and applied as given.
    """
    if not own:
        pipeline.fit(X, t)
        return _positive_class(pipeline.predict_proba(X), pipeline.classes_)
    preprocess, classifier = (step for _, step in pipeline.steps)
    design = preprocess.fit_transform(X)
    classifier.fit(design, t)
    return _positive_class(classifier.predict_proba(design), classifier.classes_)


def _positive_class(proba: Any, classes: Any) -> np.ndarray:
    return np.asarray(proba, dtype=np.float64)[:, list(classes).index(1)]


def _missing_table(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    n_missing = data[columns].isna().sum()
    return pd.DataFrame(
        {
            "variable": columns,
            "n_missing": n_missing.to_numpy(dtype=np.int64),
            "share_missing": (n_missing / max(len(data), 1)).to_numpy(dtype=np.float64),
        }
    )
