r"""Wald inference and the choice of variance, shared by every regression fitter.

Two things live here so that each is written once:

* :func:`wald` turns an estimate and its standard error into a confidence interval and a
  two-sided p-value, against the standard normal or, with ``df``, Student's t;
* :func:`choose_variance` applies the few-clusters rule to a sandwich variance.

Inference with few clusters
---------------------------
The cluster-robust sandwich :math:`\mathcal I^{-1}\big(\sum_{g=1}^G U_g U_g^\top\big)
\mathcal I^{-1}` is consistent as the number of clusters :math:`G` grows; with few
clusters it is biased downwards and its Wald statistics are far from normal (Cameron &
Miller 2015, section VI). With :math:`G = 1` it is zero by construction: the score sums to
zero over the one cluster. The rule, applied by every fitter that takes ``cluster_col``:

* :math:`G = 1`: no cluster-robust variance; the individual-level robust variance (each
  row its own cluster) is used instead, with a :class:`~outcomes.errors.FewClustersWarning`;
* :math:`2 \le G <` :data:`FEW_CLUSTERS`: the CR1 correction that Stata and R's
  ``sandwich::vcovCL(type = "HC1")`` apply,

  .. math::

      V_{CR1} = \frac{G}{G - 1}\,\frac{n - 1}{n - p}\; V_{CR0},

  with :math:`n` the rows and :math:`p` the coefficients, and intervals and p-values from
  :math:`t_{G-1}` instead of the normal (Cameron & Miller 2015, section VI.C; Bell &
  McCaffrey 2002 and Pustejovsky & Tipton 2018 propose the finer CR2 correction with
  Satterthwaite degrees of freedom, which needs the hat matrix a partial likelihood does
  not have), with a :class:`~outcomes.errors.FewClustersWarning`;
* :math:`G \ge` :data:`FEW_CLUSTERS`: the usual sandwich and normal reference.

References
----------
Bell, R. M. and McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
regression with multi-stage samples. *Survey Methodology* 28, 169-181.
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *Journal of Human Resources* 50, 317-372.
Pustejovsky, J. E. and Tipton, E. (2018). Small-sample methods for cluster-robust
variance estimation and hypothesis testing in fixed effects models. *Journal of Business
& Economic Statistics* 36, 672-683.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from outcomes.errors import FewClustersWarning

FloatArray = NDArray[np.floating[Any]]

__all__ = ["FEW_CLUSTERS", "VarianceChoice", "choose_variance", "critical_value", "wald"]

FEW_CLUSTERS = 30
"""Below this many clusters the cluster-robust variance is corrected and referred to
:math:`t_{G-1}`; Cameron & Miller (2015) place the point where the uncorrected sandwich
becomes trustworthy between 20 and 50 clusters."""


def critical_value(alpha: float, df: float | None = None) -> float:
    """Two-sided :math:`1 - \\alpha/2` quantile of the normal, or of :math:`t_{df}`."""
    if df is None:
        return float(special.ndtri(1.0 - alpha / 2.0))
    return float(special.stdtrit(df, 1.0 - alpha / 2.0))


def wald(
    estimate: Any, std_error: Any, alpha: float, df: float | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wald interval and two-sided p-value for :math:`H_0: \\theta = 0`.

    Parameters
    ----------
    estimate, std_error : array-like
        Point estimates and their standard errors.
    alpha : float
        The interval is :math:`\\hat\\theta \\pm q_{1-\\alpha/2}\\,\\mathrm{se}`.
    df : float, optional
        Degrees of freedom of a t reference distribution; the normal when omitted.

    Returns
    -------
    ci_lower, ci_upper, p_value : ndarray
        A p-value is NaN where the standard error is 0 or missing (never a false 0).
    """
    est = np.asarray(estimate, dtype=np.float64)
    se = np.asarray(std_error, dtype=np.float64)
    q = critical_value(alpha, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(est / se)
    tail = special.ndtr(-z) if df is None else special.stdtr(df, -z)
    p = np.where(se > 0, 2.0 * tail, np.nan)
    return est - q * se, est + q * se, p


@dataclass(frozen=True)
class VarianceChoice:
    """The robust variances a fit computed and the one it reports.

    Attributes
    ----------
    kind : {"robust", "cluster"}
        The variance reported (``"robust"``: each row its own cluster).
    matrices : dict
        Every robust variance computed, by kind (the cluster one already corrected).
    scores : dict
        Per kind, the rows :math:`D` (per row, or per cluster) with ``matrices[kind]``
        :math:`= D^\top D`, so that fits sharing rows (one per cause) can be combined.
    n_clusters : int or None
        Clusters in ``cluster_col``, when one was given.
    df : float or None
        Degrees of freedom of the t reference (None: normal).
    correction : str or None
        ``"CR1"`` when the few-cluster correction was applied.
    """

    kind: str
    matrices: dict[str, FloatArray]
    scores: dict[str, FloatArray]
    n_clusters: int | None
    df: float | None
    correction: str | None


def choose_variance(
    bread: FloatArray,
    influence: FloatArray,
    cluster: NDArray[np.int64] | None,
    what: str,
) -> VarianceChoice:
    """Robust variances of a fit and the few-clusters rule (module docstring).

    Parameters
    ----------
    bread : ndarray (p, p)
        Inverse information :math:`\\mathcal I^{-1}`.
    influence : ndarray (n, p)
        Weighted per-row score contributions.
    cluster : ndarray of int, optional
        Cluster codes ``0 .. G-1`` per row.
    what : str
        The fitter's name, for the warning.
    """
    n, p = influence.shape
    rows = influence @ bread
    robust = _outer(rows)
    if cluster is None:
        return VarianceChoice("robust", {"robust": robust}, {"robust": rows}, None, None, None)
    G = int(cluster.max()) + 1 if cluster.size else 0
    if G <= 1:
        warnings.warn(
            f"{what}: cluster_col has one cluster, so a cluster-robust variance is zero by "
            "construction; the individual-level robust variance is reported instead "
            "(it ignores any correlation within the cluster).",
            FewClustersWarning,
            stacklevel=4,
        )
        return VarianceChoice("robust", {"robust": robust}, {"robust": rows}, 1, None, None)
    U = np.empty((G, p))
    for j in range(p):  # p columns, not rows
        U[:, j] = np.bincount(cluster, weights=influence[:, j], minlength=G)
    per_cluster = U @ bread
    clustered = _outer(per_cluster)
    if G >= FEW_CLUSTERS:
        return VarianceChoice(
            "cluster",
            {"robust": robust, "cluster": clustered},
            {"robust": rows, "cluster": per_cluster},
            G,
            None,
            None,
        )
    factor = G / (G - 1) * (n - 1) / max(n - p, 1)
    warnings.warn(
        f"{what}: only {G} clusters in cluster_col; the cluster-robust variance carries the "
        f"CR1 small-sample factor G/(G-1)*(n-1)/(n-p) = {factor:.3f} and intervals and "
        f"p-values use a t distribution with {G - 1} degrees of freedom.",
        FewClustersWarning,
        stacklevel=4,
    )
    return VarianceChoice(
        "cluster",
        {"robust": robust, "cluster": factor * clustered},
        {"robust": rows, "cluster": np.sqrt(factor) * per_cluster},
        G,
        float(G - 1),
        "CR1",
    )


def _outer(D: FloatArray) -> FloatArray:
    """:math:`D^\\top D`, the sandwich from the rows of :math:`U\\mathcal I^{-1}`."""
    return np.asarray(D.T @ D)
