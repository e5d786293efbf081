"""Readable names for the study's methods and estimands: one map for every output.

The estimates frame keeps code names (``iptw_aalen_johansen``), which are stable for
code and for the CSV; the report, its tables and its forest plot show these labels, with
the code name in a footnote so that a reader can find a row in ``estimates.csv``.
"""

from __future__ import annotations

import re

METHOD_LABELS: dict[str, str] = {
    "crude_aalen_johansen": "Unadjusted Aalen-Johansen",
    "iptw_aalen_johansen": "Weighted (IPTW) Aalen-Johansen",
    "g_computation": "Standardisation (g-computation)",
    "cause_specific_cox": "Cause-specific Cox",
    "fine_gray": "Fine-Gray",
    "spline_dose_response": "Dose-response (spline in weeks)",
    "pseudo_value_regression": "Pseudo-value regression",
    "mediation": "Mediation through the order",
    "e_value": "E-value",
    "sensitivity_excluding_withdrawn_no_order": (
        "Sensitivity: withdrawn and no-order cases excluded"
    ),
}
"""Label of each method the study writes; :func:`method_label` covers the rest."""

ESTIMAND_LABELS: dict[str, str] = {
    "risk_exposed": "risk, disposed within the threshold",
    "risk_unexposed": "risk, disposed later",
    "risk_difference": "risk difference",
    "risk_ratio": "risk ratio",
    "hazard_ratio": "hazard ratio",
    "subdistribution_hazard_ratio": "subdistribution hazard ratio",
    "natural_direct_effect": "natural direct effect",
    "natural_indirect_effect": "natural indirect effect",
    "controlled_direct_effect": "controlled direct effect",
    "e_value": "E-value",
}

SHORT_ESTIMANDS = {
    "risk_ratio": "RR",
    "hazard_ratio": "HR",
    "subdistribution_hazard_ratio": "sHR",
    "risk_difference": "RD",
}
"""Abbreviations used in the forest plot's row labels."""

_THRESHOLD = re.compile(r"sensitivity_threshold_(\d+(?:\.\d+)?)$")


def method_label(method: str) -> str:
    """The readable label of a method; unknown names are made readable, not refused.

    >>> method_label("iptw_aalen_johansen")
    'Weighted (IPTW) Aalen-Johansen'
    >>> method_label("sensitivity_threshold_20")
    'Sensitivity: threshold 20 weeks'
    >>> method_label("some_new_method")
    'Some new method'
    """
    if method in METHOD_LABELS:
        return METHOD_LABELS[method]
    match = _THRESHOLD.match(method)
    if match:
        return f"Sensitivity: threshold {match.group(1)} weeks"
    return method.replace("_", " ").strip().capitalize() or method


def estimand_label(estimand: str) -> str:
    """The readable label of an estimand (unknown names made readable)."""
    return ESTIMAND_LABELS.get(estimand, estimand.replace("_", " "))
