"""What a study run returns, and its plain-English summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

PRIMARY_METHOD = "iptw_aalen_johansen"
SECONDARY_METHOD = "g_computation"


@dataclass
class StudyResult:
    """The estimates, diagnostics and figures of one :class:`RushedDisposalStudy` run.

    Attributes
    ----------
    estimates : DataFrame
        ``method, estimand, contrast, horizon_years, estimate, std_error, ci_lower,
        ci_upper, p_value``. Ratios are on the ratio scale with ``std_error`` of their
        logarithm; risks and differences on the probability scale.
    diagnostics : dict
        ``confounders`` (what was used, absent or dropped), ``flow`` (the cohort flow),
        ``balance`` (standardised differences before/after weighting), ``weights``
        (weight summary with effective sample sizes), ``positivity``,
        ``proportional_hazards``, ``bootstrap`` (replicates run and requested per
        method) and ``mediation`` (the mediator and its levels, the rows used, and
        those left out: mediator not recorded, or in a level too rare to model); and,
        row-level and never published, ``propensity`` (scores by arm) and ``analysis``
        (``years``, ``event``, ``exposed``, ``weight``: what the weighted curves need).
    figures : dict of str to matplotlib Figure
        ``cumulative_incidence``, ``love_plot``, ``propensity_overlap``, ``weights`` and
        ``forest`` (see :mod:`outcomes.study.figures`).
    settings : dict
        The arguments of the run.
    """

    estimates: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def get(self, method: str, estimand: str, horizon: float | None = None) -> pd.Series:
        """The estimate row for a method, estimand and (where it applies) horizon."""
        rows = self.estimates.loc[
            (self.estimates["method"] == method) & (self.estimates["estimand"] == estimand)
        ]
        if horizon is not None:
            rows = rows.loc[rows["horizon_years"] == horizon]
        if len(rows) != 1:
            raise KeyError(f"no single estimate for {method}/{estimand}/{horizon}")
        return rows.iloc[0]

    def headline(self) -> pd.DataFrame:
        """The risk differences and ratios of every method at every horizon, and the HRs."""
        keep = self.estimates["estimand"].isin(
            ["risk_difference", "risk_ratio", "hazard_ratio", "subdistribution_hazard_ratio"]
        ) & ~self.estimates["method"].str.startswith("sensitivity")
        return self.estimates.loc[keep].reset_index(drop=True)

    def to_html(self, path: str | Path, *, note: str | None = None) -> Path:
        """Write the report as one self-contained HTML file (figures embedded).

        Counts are passed through small-number suppression and no row-level data is
        written; see :mod:`outcomes.study.report`. ``note`` is shown as a banner at the
        top (e.g. to say that the data are synthetic).
        """
        from outcomes.study.report import write_html

        return write_html(self, path, note=note)

    def summary_text(self) -> str:
        """A plain-English account: estimand, assumptions, agreement, E-value."""
        s = self.settings
        horizon = s["primary_horizon"]
        threshold = s["threshold_weeks"]
        primary = self.get(PRIMARY_METHOD, "risk_difference", horizon)
        secondary = self.get(SECONDARY_METHOD, "risk_difference", horizon)
        crude = self.get("crude_aalen_johansen", "risk_difference", horizon)
        r1 = self.get(PRIMARY_METHOD, "risk_exposed", horizon)["estimate"]
        r0 = self.get(PRIMARY_METHOD, "risk_unexposed", horizon)["estimate"]
        hr = self.get("cause_specific_cox", "hazard_ratio")
        lines = [
            f"Question: does disposing of care proceedings within {threshold:g} weeks change "
            f"the risk that the child returns to court within {horizon:g} years, compared "
            f"with disposal after {threshold:g} weeks?",
            "",
            "Estimand: the marginal risk difference (and ratio) in return to court, treating "
            "adoption, death and ageing out as competing events -- the real-world risk, "
            "standardised to the whole cohort's case mix.",
            "",
            f"Primary estimate (inverse-probability weighting, cluster bootstrap by local "
            f"authority): {100 * r1:.1f}% if disposed within {threshold:g} weeks vs "
            f"{100 * r0:.1f}% if later; risk difference {_pp(primary)}.",
            f"Standardisation (g-computation from cause-specific Cox models): {_pp(secondary)}.",
            f"Unadjusted comparison: {_pp(crude)}.",
            f"Adjusted cause-specific hazard ratio: {hr['estimate']:.2f} "
            f"({hr['ci_lower']:.2f} to {hr['ci_upper']:.2f}).",
            "",
            _agreement(primary, secondary, crude),
        ]
        evalue = self.estimates.loc[
            (self.estimates["method"] == "e_value") & (self.estimates["contrast"] == "risk_ratio")
        ]
        if len(evalue):
            point = evalue.iloc[0]["estimate"]
            limit = evalue.iloc[-1]["estimate"]
            lines += [
                "",
                f"Sensitivity to unmeasured confounding: an unmeasured confounder would need to "
                f"be associated with both faster disposal and return to court by a risk ratio "
                f"of at least {point:.2f} each, over and above the measured confounders, to "
                f"explain away the estimated risk ratio, and of {limit:.2f} to move its "
                "confidence interval to include no effect (E-values, VanderWeele and Ding "
                "2017).",
            ]
        lines += self._mediation_text(horizon, threshold)
        lines += [
            "",
            "These are causal effects only under the assumptions of no unmeasured "
            "confounding (case complexity is measured only through noisy indicators, so "
            "this is doubtful), positivity (comparable children are disposed of both "
            "within and after the threshold in every area -- see the overlap diagnostics) "
            "and consistency (disposal 'within the threshold' is one well-defined "
            "intervention, although in practice it happens for many reasons). Read them "
            "as adjusted associations that would be causal if those hold.",
        ]
        return "\n".join(lines)

    def _mediation_text(self, horizon: float, threshold: float) -> list[str]:
        """The paragraph on the split through the order, when mediation was run."""
        try:
            nde = self.get("mediation", "natural_direct_effect", horizon)
            nie = self.get("mediation", "natural_indirect_effect", horizon)
        except KeyError:
            return []
        mediator = str(self.settings.get("mediator", "final_order"))
        what = "the order made" if mediator == "final_order" else mediator.replace("_", " ")
        return [
            "",
            f"Through {what}: if {what} were what it would have been after "
            f"{threshold:g} weeks, disposal within {threshold:g} weeks would change the "
            f"{horizon:g}-year risk by {_pp(nde)} (natural direct effect); the change in "
            f"{what} that faster disposal brings accounts for {_pp(nie)} (natural "
            f"indirect effect). This split also assumes no unmeasured confounding of "
            f"{what} and return to court, and that nothing the speed of disposal changes, "
            f"other than {what}, confounds them.",
        ]


def _pp(row: pd.Series) -> str:
    return (
        f"{100 * row['estimate']:+.1f} percentage points "
        f"(95% CI {100 * row['ci_lower']:+.1f} to {100 * row['ci_upper']:+.1f})"
    )


def _agreement(primary: pd.Series, secondary: pd.Series, crude: pd.Series) -> str:
    overlap = (
        primary["ci_lower"] <= secondary["ci_upper"]
        and secondary["ci_lower"] <= primary["ci_upper"]
    )
    same_sign = (primary["estimate"] > 0) == (secondary["estimate"] > 0)
    agree = (
        "The two adjusted methods agree (same direction, overlapping intervals)."
        if overlap and same_sign
        else "The two adjusted methods disagree; the model assumptions deserve scrutiny."
    )
    moved = primary["estimate"] - crude["estimate"]
    return (
        f"{agree} Adjustment moved the risk difference by {100 * moved:+.1f} points from the "
        "unadjusted comparison, the size of the confounding by case mix and area."
    )
