"""What a study run returns, and its plain-English summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from outcomes.disclosure import DEFAULT_THRESHOLD
from outcomes.errors import OutcomesError

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
        Also ``inference`` (the number of local authorities and clusters, the variance
        and bootstrap used, the ``interval`` of the marginal risks (percentile, or
        normal with few clusters), and a caveat for small extracts: see
        :class:`~outcomes.study.frame.Inference`), ``positivity_cells`` (authorities
        and issue periods with an empty arm), ``mediation["skipped"]`` and
        ``sensitivity_skipped`` (analyses the data could not support, with the reason),
        and ``pseudo_value_regression`` (its variance, clusters, t degrees of freedom
        and any term dropped as uninformative, or ``skipped`` with the reason).
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
            raise OutcomesError(f"no single estimate for {method}/{estimand}/{horizon}")
        return rows.iloc[0]

    def headline(self) -> pd.DataFrame:
        """The risk differences and ratios of every method at every horizon, and the HRs
        (the dose-response curve's hazard ratios are a figure and a table of their own)."""
        return self.estimates.loc[headline_rows(self.estimates)].reset_index(drop=True)

    def to_html(self, path: str | Path, *, note: str | None = None) -> Path:
        """Write the report as one self-contained HTML file (figures embedded).

        Counts are passed through small-number suppression and no row-level data is
        written; see :mod:`outcomes.study.report`. ``note`` is shown as a banner at the
        top (e.g. to say that the data are synthetic).
        """
        from outcomes.study.report import write_html

        return write_html(self, path, note=note)

    def published_estimates(self, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """The estimates as the report and ``estimates.csv`` publish them: risks withheld
        at horizons with too few returns, controlled direct effects only where defined
        (:func:`outcomes.study.publish.published_estimates`)."""
        from outcomes.study.publish import published_estimates

        return published_estimates(self, threshold)

    def summary_text(self, threshold: int = DEFAULT_THRESHOLD) -> str:
        """A plain-English account built from what was run and measured: the data, the
        estimand, the estimates and how their uncertainty was computed, the
        confounders, the assumptions, E-values and mediation.

        Only published figures appear (:meth:`published_estimates` with the disclosure
        ``threshold``): where the risks at the primary horizon are withheld, it says so.
        """
        s = self.settings
        d = self.diagnostics
        horizon = s["primary_horizon"]
        threshold_weeks = s["threshold_weeks"]
        published = StudyResult(self.published_estimates(threshold), d, {}, s)
        hr = self.get("cause_specific_cox", "hazard_ratio")
        inference = d.get("inference", {})
        lines = []
        if s.get("scenario"):
            lines += [
                f"These data are synthetic (scenario {s['scenario']!r}, seed "
                f"{s.get('data_seed')}): the estimates describe a simulated world, not "
                "real children.",
                "",
            ]
        lines += [
            f"Question: does disposing of care proceedings within {threshold_weeks:g} weeks "
            f"change the risk that the child returns to court within {horizon:g} years, "
            f"compared with disposal after {threshold_weeks:g} weeks?",
            "",
            "Estimand: the marginal risk difference (and ratio) in return to court, treating "
            "adoption, death and ageing out as competing events -- the real-world risk, "
            "standardised to the whole cohort's case mix.",
            "",
        ]
        if inference:
            n_las = int(inference["local_authorities"])
            lines += [
                f"Data and uncertainty: about {_round(d.get('rows_analysed', 0)):,} children "
                f"from {_count_las(n_las)}; {inference['variance']}; "
                f"{inference['bootstrap']}"
                + (f"; {inference['interval']}" if inference.get("interval") else "")
                + f". {inference['caveat']}".rstrip(),
                "",
            ]
        bootstrap = inference.get("bootstrap", "cluster bootstrap by local authority")
        primary = published.get(PRIMARY_METHOD, "risk_difference", horizon)
        if np.isfinite(float(primary["estimate"])):
            secondary = published.get(SECONDARY_METHOD, "risk_difference", horizon)
            crude = published.get("crude_aalen_johansen", "risk_difference", horizon)
            r1 = published.get(PRIMARY_METHOD, "risk_exposed", horizon)["estimate"]
            r0 = published.get(PRIMARY_METHOD, "risk_unexposed", horizon)["estimate"]
            lines += [
                f"Primary estimate (inverse-probability weighting, "
                f"{bootstrap.split(',')[0]}): {100 * r1:.1f}% if disposed within "
                f"{threshold_weeks:g} weeks vs {100 * r0:.1f}% if later; risk difference "
                f"{_pp(primary)}.",
                f"Standardisation (g-computation from cause-specific Cox models with "
                f"baseline hazards by arm): {_pp(secondary)}.",
                f"Unadjusted comparison: {_pp(crude)}.",
                f"Adjusted cause-specific hazard ratio: {_ratio(hr)}.",
                "",
                _agreement(primary, secondary, crude),
            ]
        else:
            lines += [
                f"The risks and risk differences at {horizon:g} years are not published: "
                f"in one arm fewer than {threshold} children returned to court by then, or "
                f"fewer than {threshold} did not, and a published risk would give that "
                "count back.",
                f"Adjusted cause-specific hazard ratio: {_ratio(hr)}.",
            ]
        evalue = published.estimates.loc[
            (published.estimates["method"] == "e_value")
            & (published.estimates["contrast"] == "risk_ratio")
            & published.estimates["estimate"].notna()
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
        lines += self._mediation_text(horizon, threshold_weeks)
        lines += ["", *self._assumptions(inference)]
        return "\n".join(lines)

    def _assumptions(self, inference: dict[str, Any]) -> list[str]:
        """The confounders adjusted for and dropped, and the identifying assumptions."""
        confounders = [str(c).replace("_", " ") for c in self.settings.get("confounders", [])]
        if "issue period" in confounders:
            confounders[confounders.index("issue period")] = "issue period (year)"
        area = inference.get("area_in_models", True)
        measured = [*confounders, *(["the local authority"] if area else [])]
        adjusted = (
            "The estimates adjust for " + _join(measured) + "."
            if measured
            else "Nothing was adjusted for: the comparison is unadjusted."
        )
        report = self.diagnostics.get("confounders")
        dropped = ""
        if isinstance(report, pd.DataFrame) and (report["status"] != "used").any():
            gone = report.loc[report["status"] != "used"]
            reasons = "reason" in gone.columns
            dropped = (
                " Left out: "
                + "; ".join(
                    f"{r['confounder'].replace('_', ' ')} "
                    f"({r['reason'] if reasons and r['reason'] else r['status']})"
                    for _, r in gone.iterrows()
                )
                + "."
            )
        where = "in every area" if area else "in this authority"
        return [
            adjusted + dropped,
            "",
            "These are causal effects only under the assumptions of no unmeasured "
            "confounding (anything else that drives both the speed of disposal and return "
            "to court -- such as aspects of case complexity that the measured confounders "
            "do not capture -- biases them), positivity (comparable children are disposed "
            f"of both within and after the threshold {where} -- see the overlap "
            "diagnostics) and consistency (disposal 'within the threshold' is one "
            "well-defined intervention, although in practice it happens for many "
            "reasons). Read them as adjusted associations that would be causal if those "
            "hold.",
        ]

    def _mediation_text(self, horizon: float, threshold: float) -> list[str]:
        """The paragraph on the split through the order, when mediation was run."""
        skipped = self.diagnostics.get("mediation", {}).get("skipped")
        if skipped:
            return ["", f"Mediation through the order was not estimated: {skipped}."]
        try:
            nde = self.get("mediation", "natural_direct_effect", horizon)
            nie = self.get("mediation", "natural_indirect_effect", horizon)
        except OutcomesError:
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


def headline_rows(estimates: pd.DataFrame) -> pd.Series:
    """Which rows of an estimates frame are headline rows (see
    :meth:`StudyResult.headline`)."""
    return (
        estimates["estimand"].isin(
            ["risk_difference", "risk_ratio", "hazard_ratio", "subdistribution_hazard_ratio"]
        )
        & ~estimates["method"].str.startswith("sensitivity")
        & (estimates["method"] != "spline_dose_response")
    )


def _pp(row: pd.Series) -> str:
    if not np.isfinite([row["ci_lower"], row["ci_upper"]]).all():
        return f"{100 * row['estimate']:+.1f} percentage points (no interval: too few events)"
    return (
        f"{100 * row['estimate']:+.1f} percentage points "
        f"(95% CI {100 * row['ci_lower']:+.1f} to {100 * row['ci_upper']:+.1f})"
    )


def _ratio(row: pd.Series) -> str:
    if not np.isfinite([row["ci_lower"], row["ci_upper"]]).all():
        return f"{row['estimate']:.2f} (no interval)"
    return f"{row['estimate']:.2f} ({row['ci_lower']:.2f} to {row['ci_upper']:.2f})"


def _round(n: int, to: int = 10) -> int:
    """Counts in text are rounded, as in the report's flow table."""
    return int(to * round(int(n) / to))


def _count_las(n: int) -> str:
    return "one local authority" if n == 1 else f"{n} local authorities"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
