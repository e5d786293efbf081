"""The study report as one self-contained HTML page.

Inline CSS, figures embedded as base64 PNG, no scripts and no external assets, so the
file can be e-mailed or put on an intranet as it is. Only aggregate tables are written
-- never the propensity scores, the weights or any other row-level data -- every count
of children goes through :func:`outcomes.disclosure.suppress` first, and every table
through :func:`outcomes.io.privacy.refuse_identifiers`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.disclosure import DEFAULT_THRESHOLD, MARKER, suppress
from outcomes.io.privacy import refuse_identifiers
from outcomes.study.frame import AREA

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from outcomes.study.result import StudyResult

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;
max-width:72rem;color:#1b1b1b;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:2px solid #1d70b8;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #d0d0d0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f3f2f1}.note{color:#505a5f;font-size:.9rem}
.banner{background:#fff7bf;border-left:5px solid #ffdd00;padding:.5rem 1rem}
.summary p{margin:.4rem 0}figure{margin:1rem 0}figure img{max-width:100%;height:auto}
figcaption{color:#505a5f;font-size:.9rem}.wide{overflow-x:auto}
"""

PERCENT_ESTIMANDS = (
    "risk_exposed",
    "risk_unexposed",
    "risk_difference",
    "natural_direct_effect",
    "natural_indirect_effect",
    "controlled_direct_effect",
)
"""Estimands on the probability scale, shown in percent (percentage points)."""
FLOW_ROUNDING = 10
"""The cohort flow's rows remaining (and the rows analysed) are rounded to this."""
FIGURE_CAPTIONS = {
    "cumulative_incidence": "Inverse-probability-weighted cumulative incidence of return "
    "to court by arm (adoption, death and ageing out as competing events); dotted lines "
    "mark the horizons.",
    "forest": "Risk differences and ratios at the primary horizon across methods and "
    "sensitivity analyses, with the adjusted hazard ratios; 95% intervals.",
    "love_plot": "Absolute standardised mean differences of the confounders before and "
    "after weighting; the dashed line is the conventional 0.1.",
    "propensity_overlap": "Propensity-score distributions of the two arms (later disposals "
    "below the axis): where one arm has no counterpart, the comparison rests on the model.",
    "weights": "Distribution of the stabilised, trimmed weights in each arm.",
}


def write_html(
    result: StudyResult,
    path: str | Path,
    *,
    title: str = "Rushed disposals and return to court",
    note: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> Path:
    """Write :func:`render`'s page to ``path`` atomically; returns the path.

    Raises
    ------
    outcomes.errors.OutputError
        If the file cannot be written (naming it).
    """
    from outcomes.io.output import make_folder, write_text

    out = Path(path)
    make_folder(out.parent)
    return write_text(out, render(result, title=title, note=note, threshold=threshold))


def render(
    result: StudyResult,
    *,
    title: str = "Rushed disposals and return to court",
    note: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> str:
    """The report page as a string; see the module docstring for what it holds."""
    s = result.settings
    d = result.diagnostics
    horizons = ", ".join(f"{h:g}" for h in s.get("horizons", ()))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if note:
        parts.append(f'<p class="banner">{html.escape(note)}</p>')
    parts += [
        f'<p class="note">Threshold {s.get("threshold_weeks", 26):g} weeks; horizons '
        f"{horizons} years (primary {s.get('primary_horizon', 2):g}); "
        f"{s.get('n_boot', '?')} bootstrap replicates; seed {s.get('seed', '?')}; "
        f"weights trimmed at percentiles {s.get('trim')}.</p>",
        *_inference_note(d.get("inference")),
        f'<p class="note">Counts from 1 to {threshold - 1} are shown as {MARKER} '
        "(confidential), with further cells withheld where a total would give them back; "
        "zeros are true zeros. The page holds no row-level data.</p>",
        "<h2>Summary</h2>",
        '<div class="summary">'
        + "".join(
            f"<p>{html.escape(p)}</p>" for p in result.summary_text().split("\n\n") if p.strip()
        )
        + "</div>",
        "<h2>Headline estimates</h2>",
        '<p class="note">Risks in percent, differences in percentage points (pp); ratios '
        "on the ratio scale. 95% confidence intervals.</p>",
        _table(_estimates_table(result.headline()), "the headline table"),
    ]
    for name in ("cumulative_incidence", "forest"):
        if name in result.figures:
            parts.append(_figure(result.figures[name], name))
    parts += [
        "<h2>All estimates</h2>",
        _table(_estimates_table(result.estimates), "the estimates table"),
        "<h2>Cohort flow</h2>",
        '<p class="note">Where every proceedings row went on the way to the analysis '
        f"cohort. Rows remaining are rounded to the nearest {FLOW_ROUNDING}, so that a "
        "withheld exclusion cannot be recovered by subtraction.</p>",
        _table(_flow_table(d.get("flow"), threshold), "the cohort flow"),
    ]
    parts += _confounder_section(d, threshold)
    parts += _weights_section(result, threshold)
    parts += _skipped_section(d)
    parts.append("</body></html>")
    return "\n".join(parts)


# --- sections ---------------------------------------------------------------------------


def _inference_note(inference: dict[str, Any] | None) -> list[str]:
    """How many local authorities, the variance and the bootstrap used, and the caveat."""
    if not inference:
        return []
    n = int(inference["local_authorities"])
    las = "one local authority" if n == 1 else f"{n} local authorities"
    text = (
        f"Local authorities: {las}. Variance: {inference['variance']}. "
        f"Resampling: {inference['bootstrap']}."
        + (f" Intervals: {inference['interval']}." if inference.get("interval") else "")
    )
    parts = [f'<p class="note">{html.escape(text)}</p>']
    if inference.get("caveat"):
        parts.append(f'<p class="banner">{html.escape(inference["caveat"])}</p>')
    return parts


def _skipped_section(d: dict[str, Any]) -> list[str]:
    """Analyses the data could not support, and where positivity fails, with reasons."""
    items = []
    skipped = d.get("mediation", {}).get("skipped")
    if skipped:
        items.append(f"Mediation: {skipped}.")
    for name, why in d.get("sensitivity_skipped", {}).items():
        items.append(f"{name.replace('_', ' ')}: {why}.")
    cells = d.get("positivity_cells")
    if isinstance(cells, pd.DataFrame) and len(cells):
        for _, c in cells.iterrows():
            arm = "within the threshold" if c["empty_arm"] == "within" else "after it"
            items.append(
                f"No child of {c['variable'].replace('_', ' ')} {c['level']} was disposed "
                f"of {arm}: the comparison there rests on the models."
            )
    if not items:
        return []
    body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return ["<h2>Not estimated, and where the data are thin</h2>", f"<ul>{body}</ul>"]


def _confounder_section(d: dict[str, Any], threshold: int) -> list[str]:
    parts = ["<h2>Confounders</h2>"]
    report = d.get("confounders")
    if isinstance(report, pd.DataFrame):
        table = report.assign(share_missing=(100 * report["share_missing"]).round(1))
        table = table.rename(columns={"share_missing": "missing_pct"})
        parts.append(
            '<p class="note">Used, absent from the data, or dropped before fitting (too '
            "incomplete, all missing, constant, or exactly collinear with the columns "
            "named). With more than one local authority, the authority enters every model "
            "as well (see the methods).</p>"
        )
        parts.append(_table(table, "the confounder report"))
        dropped = report.attrs.get("rows_dropped_incomplete")
        if dropped is not None:
            parts.append(
                '<p class="note">Rows removed as incomplete on the confounders: '
                f"{_count(int(dropped), threshold)}; rows analysed: about "
                f"{_round(int(d.get('rows_analysed', 0))):,} (rounded to the nearest "
                f"{FLOW_ROUNDING}).</p>"
            )
    balance = d.get("balance")
    if isinstance(balance, pd.DataFrame):
        parts.append("<h2>Balance</h2>")
        area = balance["variable"] == AREA
        smd = ["variable", "level", "smd_unweighted", "smd_weighted"]
        parts.append(
            '<p class="note">Standardised mean differences before and after weighting '
            "(per level for categorical confounders; arm means are not published, since "
            "a share times an arm's size is a count).</p>"
        )
        parts.append(_table(balance.loc[~area, smd].round(3), "the balance table"))
        if area.any():
            before = balance.loc[area, "smd_unweighted"].abs().max()
            after = balance.loc[area, "smd_weighted"].abs().max()
            parts.append(
                f'<p class="note">Local authorities ({int(area.sum())} indicators, not '
                f"listed): largest absolute SMD {before:.3f} before weighting, {after:.3f} "
                "after.</p>"
            )
    return parts


def _weights_section(result: StudyResult, threshold: int) -> list[str]:
    d = result.diagnostics
    parts = []
    if "love_plot" in result.figures:
        parts.append(_figure(result.figures["love_plot"], "love_plot"))
    weights = d.get("weights")
    if isinstance(weights, pd.DataFrame):
        parts.append("<h2>Weights and effective sample size</h2>")
        derived = [c for c in ("sum", "ess", "ess_ratio", "mean") if c in weights.columns]
        rate_cols: dict[str, str | Sequence[str]] = {c: "n" for c in derived}
        if "share_modified" in weights.columns:
            rate_cols["share_modified"] = "n_modified"
        table = suppress(
            weights.round(3),
            [c for c in ("n", "n_modified") if c in weights.columns],
            threshold=threshold,
            rate_cols=rate_cols,
        )
        parts.append(
            '<p class="note">Stabilised weights; <code>ess</code> is the effective sample '
            "size (sum of weights squared over the sum of squared weights); "
            "<code>n_modified</code> counts weights capped by trimming.</p>"
        )
        parts.append(_table(table, "the weight summary"))
    if "weights" in result.figures:
        parts.append(_figure(result.figures["weights"], "weights"))
    pos = d.get("positivity")
    ptable = getattr(pos, "table", None)
    if isinstance(ptable, pd.DataFrame):
        parts.append("<h2>Positivity</h2>")
        rates = {c: "n" for c in ptable.columns if c not in ("arm", "n")}
        parts.append(
            _table(
                suppress(ptable.round(3), ["n"], threshold=threshold, rate_cols=rates),
                "the positivity table",
            )
        )
        problems = [*d.get("positivity_warnings", [])] or list(getattr(pos, "problems", []))
        if problems:
            items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
            parts.append(f'<p class="note">Warnings:</p><ul>{items}</ul>')
        else:
            parts.append('<p class="note">No positivity warnings.</p>')
    if "propensity_overlap" in result.figures:
        parts.append(_figure(result.figures["propensity_overlap"], "propensity_overlap"))
    boot = d.get("bootstrap")
    if isinstance(boot, dict) and boot:
        parts.append("<h2>Bootstrap</h2>")
        rows = [{"estimator": k, **v} for k, v in boot.items()]
        parts.append(_table(pd.DataFrame(rows), "the bootstrap counts"))
        how = d.get("inference", {}).get("bootstrap", "resampling whole local authorities")
        parts.append(
            f'<p class="note">Replicates: {html.escape(how)}; a replicate in which an '
            "estimator fails is dropped.</p>"
        )
    return parts


# --- tables -----------------------------------------------------------------------------


def _estimates_table(estimates: pd.DataFrame) -> pd.DataFrame:
    """Estimates as text: percent for risks and differences, two decimals for ratios."""
    rows = []
    for r in estimates.to_dict("records"):
        estimand = str(r["estimand"])
        estimate, lower, upper, horizon, p = (
            float(r[c]) for c in ("estimate", "ci_lower", "ci_upper", "horizon_years", "p_value")
        )
        scale, fmt, unit = 1.0, "{:.2f}", ""
        if estimand in ("risk_exposed", "risk_unexposed"):
            scale, fmt, unit = 100.0, "{:.1f}", " %"
        elif estimand in PERCENT_ESTIMANDS:
            scale, fmt, unit = 100.0, "{:+.1f}", " pp"
        ci = (
            f"{fmt.format(scale * lower)} to {fmt.format(scale * upper)}"
            if np.isfinite(lower) and np.isfinite(upper)
            else ""
        )
        rows.append(
            {
                "method": r["method"],
                "estimand": estimand,
                "contrast": r["contrast"],
                "horizon_years": "" if np.isnan(horizon) else f"{horizon:g}",
                "estimate": fmt.format(scale * estimate) + unit,
                "95% CI": ci,
                "p_value": "" if np.isnan(p) else _p(p),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "method",
            "estimand",
            "contrast",
            "horizon_years",
            "estimate",
            "95% CI",
            "p_value",
        ],
    )


def _flow_table(flow: pd.DataFrame | None, threshold: int) -> pd.DataFrame:
    """Exclusions with small counts withheld; rows remaining rounded.

    A flow is a chain (each step's rows in are the last step's rows remaining), which
    the row and column rules of :func:`~outcomes.disclosure.suppress` do not see: a
    withheld exclusion would come back as the difference of two exact remaining
    counts. So the exclusions are suppressed (zeros kept), the rows remaining are
    rounded to the nearest ``FLOW_ROUNDING``, and the rows in are not shown.
    """
    if not isinstance(flow, pd.DataFrame):
        return pd.DataFrame()
    table = flow[["step", "reason", "rows_out", "rows_remaining"]].rename(
        columns={"rows_out": "rows_excluded", "rows_remaining": "rows_remaining_approx"}
    )
    table = suppress(table, ["rows_excluded"], threshold=threshold, secondary=False)
    table["rows_remaining_approx"] = [_round(int(n)) for n in flow["rows_remaining"]]
    table["step"] = table["step"].astype(str)  # a label, not a count
    return table


def _round(n: int) -> int:
    return int(FLOW_ROUNDING * round(n / FLOW_ROUNDING))


def _count(n: int, threshold: int) -> str:
    return MARKER if 0 < n < threshold else f"{n:,}"


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _table(frame: pd.DataFrame, what: str) -> str:
    refuse_identifiers(frame, what)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False):  # aggregate tables: tens of rows
        cells = []
        for v in values:
            numeric = isinstance(v, int | float | np.integer | np.floating) or (
                isinstance(v, str) and v == MARKER
            )
            if v is None or (isinstance(v, float) and np.isnan(v)):
                text = ""
            elif isinstance(v, float | np.floating):
                x = float(v)
                text = f"{x:,.3f}".rstrip("0").rstrip(".") if abs(x) < 1e6 else f"{x:,.0f}"
            elif isinstance(v, int | np.integer):
                text = f"{v:,}"
            else:
                text = str(v)
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(fig: Figure, name: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = FIGURE_CAPTIONS.get(name, "")
    return (
        f'<figure><img alt="{html.escape(name.replace("_", " "))}" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
