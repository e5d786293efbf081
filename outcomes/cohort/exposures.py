"""Exposures: how proceedings duration enters an analysis.

Each exposure adds columns to the disposals of a dataset. All of them are known at
the disposal date, which is time zero, so none creates immortal time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError

STATUTORY_LIMIT_WEEKS = 26
"""The 26-week limit for s31 proceedings (Children and Families Act 2014, s.14)."""


class Exposure(ABC):
    """Base class: ``columns(disposals)`` returns the columns the exposure adds.

    ``disposals`` holds every closed set of proceedings in the dataset (not only the
    cohort's index rows), with ``duration_weeks``, ``la_code``, ``issue_year`` and the
    covariates, so that norms such as LA-year medians use all the information.
    """

    @abstractmethod
    def columns(self, disposals: pd.DataFrame) -> pd.DataFrame:
        """The exposure's columns, indexed like ``disposals``."""

    @abstractmethod
    def describe(self) -> str:
        """One line for the cohort's definitions."""


@dataclass(frozen=True)
class Duration(Exposure):
    """Continuous duration in weeks, ``(disposal - issue) / 7``, for dose-response.

    Adds no column beyond ``duration_weeks``, which every cohort carries.
    """

    def columns(self, disposals: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(index=disposals.index)

    def describe(self) -> str:
        return "duration in weeks, continuous"


@dataclass(frozen=True)
class ShortDuration(Exposure):
    """Disposed within ``threshold_weeks`` of issue: ``short_duration`` (bool).

    "Within 26 weeks" means ``disposal - issue <= 26 * 7`` days, the way the timeliness
    statistics count a case as within the limit.
    """

    threshold_weeks: float = STATUTORY_LIMIT_WEEKS

    def columns(self, disposals: pd.DataFrame) -> pd.DataFrame:
        if not self.threshold_weeks > 0:
            raise OutcomesError("threshold_weeks must be positive")
        days = disposals["duration_weeks"] * 7
        return pd.DataFrame(
            {"short_duration": days <= self.threshold_weeks * 7}, index=disposals.index
        )

    def describe(self) -> str:
        return f"short_duration: disposed within {self.threshold_weeks:g} weeks of issue"


@dataclass(frozen=True)
class FasterThanExpected(Exposure):
    """Disposed faster than the local norm for a case like this one.

    The log duration is modelled as

    .. math::

        \\log d_i = \\alpha_{\\ell(i), y(i)} + x_i^\\top \\beta + r_i,

    with a fixed effect for each local authority and issue year (the LA-year norm) and
    the case-mix covariates ``adjust_for`` (:math:`x_i`). The fit uses the
    Frisch-Waugh-Lovell theorem: both sides are demeaned within LA-year, then
    :math:`\\beta` comes from least squares on the demeaned values. A case is
    ``faster_than_expected`` when its residual :math:`r_i` is at or below the
    ``quantile``-th quantile of all residuals: it was disposed of quicker than its
    court and case mix predict, which is closer to "rushed" than a fixed threshold.

    Parameters
    ----------
    quantile : float, default 0.2
        Share of disposals called faster than expected.
    adjust_for : sequence of str
        Numeric case-mix columns (e.g. child age, sibling group size, covariates from
        the manifest). Rows missing any of them get no residual (NaN exposure).

    References
    ----------
    Frisch, R. and Waugh, F. V. (1933). Partial time regressions as compared with
    individual trends. *Econometrica* 1(4), 387-401.
    """

    quantile: float = 0.2
    adjust_for: Sequence[str] = field(default_factory=tuple)

    def columns(self, disposals: pd.DataFrame) -> pd.DataFrame:
        if not 0 < self.quantile < 1:
            raise OutcomesError("quantile must be between 0 and 1")
        missing = [c for c in self.adjust_for if c not in disposals.columns]
        if missing:
            raise OutcomesError(f"FasterThanExpected: no column(s) {', '.join(missing)}")
        # A zero-day case has no log duration; half a day keeps it in the model.
        log_d = np.log(np.maximum(disposals["duration_weeks"].to_numpy(float), 0.5 / 7))
        x = disposals[list(self.adjust_for)].astype(float).to_numpy()
        usable = np.isfinite(log_d) & np.isfinite(x).all(axis=1)
        codes = disposals.groupby(["la_code", "issue_year"], sort=False).ngroup().to_numpy()
        n_groups = int(codes.max()) + 1 if len(codes) else 0
        counts = np.bincount(codes[usable], minlength=n_groups)

        def demean(values: np.ndarray) -> np.ndarray:
            columns = values.reshape(len(values), -1)
            out = np.empty_like(columns)
            for j in range(columns.shape[1]):
                sums = np.bincount(codes[usable], weights=columns[usable, j], minlength=n_groups)
                out[:, j] = columns[:, j] - (sums / np.maximum(counts, 1))[codes]
            return out.reshape(values.shape)

        y = demean(log_d)
        residual = np.full(len(disposals), np.nan)
        if x.shape[1]:
            xd = demean(x)
            beta, *_ = np.linalg.lstsq(xd[usable], y[usable], rcond=None)
            residual[usable] = y[usable] - xd[usable] @ beta
        else:
            residual[usable] = y[usable]
        cut = np.nanquantile(residual, self.quantile)
        expected = np.exp(log_d - residual)
        faster = pd.Series(residual <= cut, index=disposals.index, dtype="boolean")
        faster[np.isnan(residual)] = pd.NA
        return pd.DataFrame(
            {
                "expected_duration_weeks": expected,
                "duration_residual": residual,
                "faster_than_expected": faster,
            },
            index=disposals.index,
        )

    def describe(self) -> str:
        mix = ", ".join(self.adjust_for) or "no case-mix terms"
        return (
            f"faster_than_expected: log-duration residual in the lowest {self.quantile:.0%} "
            f"given LA-year fixed effects and {mix}"
        )
