"""How well the quality report finds faults that are known: recall and precision.

For synthetic data the faults put in are recorded (``synthetic.World.faults``: one row
per fault with ``row`` or ``file_row``, ``column`` and ``fault``). This module compares a
report's issues with such a record. It takes the record as a plain DataFrame, so
``outcomes`` stays independent of ``synthetic``.

Definitions, per fault type :math:`f` with checks :math:`C_f` that point to it
(:data:`FAULT_CHECKS`):

.. math::

    \\text{recall}_f = \\frac{|\\{\\text{faults of type } f \\text{ with an issue of }
    C_f \\text{ at their row}\\}|}{|\\{\\text{faults of type } f\\}|}, \\qquad
    \\text{precision}_f = \\frac{|\\{\\text{issues of } C_f \\text{ at a row with a
    fault of type } f\\}|}{|\\{\\text{issues of } C_f\\}|}.

For date faults the issue must also name the faulty column: finding "a date is wrong"
on the right row is not enough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from outcomes.quality.report import QualityReport

FAULT_CHECKS: dict[str, tuple[str, ...]] = {
    "missing_disposal_date": ("order_without_disposal",),
    "day_month_swap": ("day_month_swap",),
    "year_typo": ("year_typo",),
    "missing_order": ("disposal_without_order",),
    "miscoded_order": ("unknown_order", "interim_order"),
    "duplicate_row": ("duplicate_key", "near_duplicate"),
    "missing_mother_id": ("missing_mother_id",),
}
"""Fault type -> the checks whose issues point to it."""
COLUMN_MATCHED = ("day_month_swap", "year_typo")


def score_against(
    record: pd.DataFrame,
    report: QualityReport | pd.DataFrame,
    *,
    fault_checks: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Recall and precision of a quality report against a record of known faults.

    Parameters
    ----------
    record : DataFrame
        One row per fault: ``fault``, ``column`` and ``file_row`` (the spreadsheet
        row, header = 1) or ``row`` (0-based, then ``file_row = row + 2``); a ``table``
        column, if present, restricts the record to ``proceedings``.
    report : QualityReport or DataFrame
        The report, or its ``issues``.
    fault_checks : dict, optional
        Fault type -> checks; default :data:`FAULT_CHECKS`.

    Returns
    -------
    DataFrame
        One row per fault type: ``faults``, ``found``, ``recall``, ``issues``,
        ``true_issues``, ``precision`` (NaN where undefined).
    """
    issues = report if isinstance(report, pd.DataFrame) else report.issues
    issues = issues.loc[issues["table"] == "proceedings"]
    mapping = FAULT_CHECKS if fault_checks is None else fault_checks
    rec = record
    if "table" in rec.columns:
        rec = rec.loc[rec["table"] == "proceedings"]
    file_row = rec["file_row"] if "file_row" in rec.columns else rec["row"] + 2
    rec = pd.DataFrame(
        {
            "fault": rec["fault"].astype(str).to_numpy(),
            "row": file_row.to_numpy(dtype=np.int64),
            "column": rec["column"].astype(object).to_numpy(),
        }
    )
    out = []
    for fault, checks in mapping.items():
        faults = rec.loc[rec["fault"] == fault]
        found_issues = issues.loc[issues["check"].isin(checks)]
        with_column = fault in COLUMN_MATCHED
        f_keys = _keys(faults["row"], faults["column"], with_column)
        i_keys = _keys(found_issues["row"], found_issues["column"], with_column)
        found = int(f_keys.isin(set(i_keys)).sum())
        true_issues = int(i_keys.isin(set(f_keys)).sum())
        out.append(
            {
                "fault": fault,
                "faults": len(faults),
                "found": found,
                "recall": found / len(faults) if len(faults) else np.nan,
                "issues": len(found_issues),
                "true_issues": true_issues,
                "precision": true_issues / len(found_issues) if len(found_issues) else np.nan,
            }
        )
    return pd.DataFrame(out).set_index("fault")


def _keys(row: pd.Series, column: pd.Series, with_column: bool) -> pd.Series:
    """Match keys: the row, and the column where it must match too."""
    key = row.astype("int64").astype(str)
    if with_column:
        key = key + "|" + column.astype(object).fillna("").astype(str)
    return key
