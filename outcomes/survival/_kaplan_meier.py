r"""The weighted product-limit (Kaplan-Meier) estimator, written once.

Every curve of the form

.. math::

    \hat S(t_j) = \prod_{i \le j} \Big(1 - \frac{d_i}{Y_i}\Big),
    \qquad \hat S(t_j-) = \hat S(t_{j-1}),

goes through :func:`product_limit`: all-cause survival in the Aalen-Johansen estimator,
the censoring distribution of the Fine-Gray weights, the terminal-event survival of the
Ghosh-Lin mean cumulative function, the group-wise survival in Gray's test and the
``"km"`` time transform of the proportional-hazards test. :math:`d_i` and :math:`Y_i`
are (weighted) events and numbers at risk; a step with nobody at risk leaves the curve
where it was. :func:`number_at_risk` counts :math:`Y(t) = \#\{i : s_i < t \le t_i\}`
with delayed entry (Kaplan & Meier 1958; Andersen, Borgan, Gill & Keiding 1993, IV.3).

References
----------
Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
observations. *JASA* 53, 457-481.
Andersen, P. K., Borgan, O., Gill, R. D. and Keiding, N. (1993). *Statistical Models
Based on Counting Processes*. Springer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["number_at_risk", "product_limit"]


def product_limit(events: Any, at_risk: Any, axis: int = 0) -> tuple[FloatArray, FloatArray]:
    """Product-limit curve and its left limits along ``axis``.

    Parameters
    ----------
    events, at_risk : array-like
        Weighted events :math:`d_i` and numbers at risk :math:`Y_i` at each distinct time
        (same shape; several curves side by side along the other axes).
    axis : int
        The time axis.

    Returns
    -------
    surv, surv_before : ndarray
        :math:`\\hat S(t_j)` and :math:`\\hat S(t_j-)` (1 before the first time).
    """
    d = np.asarray(events, dtype=np.float64)
    y = np.asarray(at_risk, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(y > 0, 1.0 - d / y, 1.0)
    surv = np.cumprod(factor, axis=axis, dtype=np.float64)
    before = np.moveaxis(np.ones_like(surv), axis, 0)
    before[1:] = np.moveaxis(surv, axis, 0)[:-1]
    return surv, np.moveaxis(before, 0, axis)


def number_at_risk(exit: Any, times: Any, entry: Any = None) -> FloatArray:
    """:math:`Y(t) = \\#\\{i : s_i < t \\le t_i\\}` at each of ``times`` (unweighted),
    with entry times :math:`s_i` when given (everyone enters at :math:`-\\infty` else)."""
    t = np.asarray(times, dtype=np.float64)
    exit_sorted = np.sort(np.asarray(exit, dtype=np.float64))
    y = (exit_sorted.size - np.searchsorted(exit_sorted, t, side="left")).astype(np.float64)
    if entry is not None:
        entry_sorted = np.sort(np.asarray(entry, dtype=np.float64))
        y -= entry_sorted.size - np.searchsorted(entry_sorted, t, side="left")
    return y
