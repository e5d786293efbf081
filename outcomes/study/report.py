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

from outcomes.disclosure import DEFAULT_THRESHOLD, MARKER
from outcomes.io.privacy import refuse_identifiers
from outcomes.study import publish
from outcomes.study.frame import AREA
from outcomes.study.labels import estimand_label, method_label
from outcomes.study.result import headline_rows

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
td.k{white-space:nowrap}
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
FIGURE_CAPTIONS = {
    "cumulative_incidence": "Inverse-probability-weighted cumulative incidence of return "
    "to court by arm (adoption, death and ageing out as competing events), read monthly "
    "and thinned so that at least {threshold} returns lie between two drawn points (joined "
    "by straight lines), until fewer than {threshold} "
    "children remain at risk; dotted lines mark the horizons. Numbers at risk below, and in the "
    "table under the figure.",
    "forest": "Risk differences (top) and ratios (bottom) at the primary horizon across "
    "methods and sensitivity analyses, with the adjusted hazard ratios; 95% intervals. "
    "The primary analysis is marked in red.",
    "dose_response": "Adjusted cause-specific hazard ratio of return to court by duration "
    "of the proceedings, against 26 weeks, with its 95% confidence band; the dotted line "
    "marks the threshold.",
    "love_plot": "Absolute standardised mean differences of the confounders before and "
    "after weighting; the dashed line is the conventional 0.1.",
    "propensity_overlap": "Propensity-score distributions of the two arms (later disposals "
    "below the axis): where one arm has no counterpart, the comparison rests on the model.",
    "weights": "Stabilised, trimmed weights in each arm: boxes from the 25th to the 75th "
    "percentile, whiskers from the 5th to the 95th, the median marked (each the mean of "
    "{threshold} weights).",
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
    published = publish.published_estimates(result, threshold)
    figures = result.figures
    if threshold != DEFAULT_THRESHOLD:  # the run's figures were thinned at the default
        from outcomes.study.figures import study_figures

        figures = study_figures(result, threshold)
    footnotes = _Footnotes()
    headline = published.loc[headline_rows(published)]
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
        f"(confidential); other counts of children are rounded to the nearest "
        f"{publish.ROUNDING}, zeros are true zeros. Risks are withheld where fewer than "
        f"{threshold} children in an arm returned to court (or did not); curves are drawn "
        f"only in steps of at least {threshold} returns. The page holds no row-level "
        "data.</p>",
        "<h2>Summary</h2>",
        '<div class="summary">'
        + "".join(
            f"<p>{html.escape(p)}</p>"
            for p in result.summary_text(threshold).split("\n\n")
            if p.strip()
        )
        + "</div>",
    ]
    if "analysis" in d:
        parts += [
            "<h2>The children compared</h2>",
            '<p class="note">Children in the analysis by arm, returns to court by each '
            "horizon (whatever happened after), and the duration of the proceedings: "
            f"median and quartiles, each the mean of {threshold} children's durations "
            "around it.</p>",
            _table(publish.descriptive_table(result, threshold), "the descriptive table"),
        ]
    parts += [
        "<h2>Headline estimates</h2>",
        '<p class="note">Risks in percent, differences in percentage points (pp); ratios '
        "on the ratio scale. 95% confidence intervals. Methods are explained in the "
        "notes at the end.</p>",
        _table(_estimates_table(headline, footnotes), "the headline table", wrap=WRAP),
    ]
    if "cumulative_incidence" in figures:
        parts.append(_figure(figures["cumulative_incidence"], "cumulative_incidence", threshold))
        parts += _at_risk_section(result, threshold)
    if "forest" in figures:
        parts.append(_figure(figures["forest"], "forest", threshold))
    parts += _dose_response_section(published, figures, footnotes, threshold)
    others = published.loc[published["method"] != "spline_dose_response"]
    parts += [
        "<h2>All estimates</h2>",
        _table(_estimates_table(others, footnotes), "the estimates table", wrap=WRAP),
        *_cde_note(result, threshold),
        "<h2>Cohort flow</h2>",
        '<p class="note">Where every proceedings row went on the way to the analysis '
        f"cohort. Every count is rounded to the nearest {publish.ROUNDING} (and withheld "
        f"from 1 to {threshold - 1}), so that the flow, the analysed numbers elsewhere "
        "on this page and the quality report's exact rows read cannot be differenced "
        "to recover a withheld exclusion.</p>",
        _table(_flow(d.get("flow"), threshold), "the cohort flow", wrap=("reason",)),
    ]
    parts += _confounder_section(d, threshold)
    parts += _weights_section(result, figures, threshold)
    parts += _skipped_section(d)
    parts += footnotes.section()
    parts.append("</body></html>")
    return "\n".join(parts)


WRAP = ("method", "estimand", "contrast")
"""Columns of the estimates tables whose text may wrap; numbers never do."""


class _Footnotes:
    """Numbered notes giving each method label's code name (as in ``estimates.csv``)."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def mark(self, method: str) -> str:
        if method not in self.methods:
            self.methods.append(method)
        return f"{method_label(method)} [{self.methods.index(method) + 1}]"

    def section(self) -> list[str]:
        if not self.methods:
            return []
        items = "".join(
            f"<li>{html.escape(method_label(m))}: <code>{html.escape(m)}</code></li>"
            for m in self.methods
        )
        return [
            "<h2>Notes</h2>",
            '<p class="note">Code names of the methods, as in <code>estimates.csv</code> '
            "and <code>docs/study.md</code>:</p>",
            f'<ol class="note">{items}</ol>',
        ]


def _at_risk_section(result: StudyResult, threshold: int) -> list[str]:
    """Numbers at risk at each whole year under the curves, as an HTML table too."""
    analysis = result.diagnostics["analysis"]
    t = float(result.settings.get("threshold_weeks", 26))
    years = [float(y) for y in range(int(np.floor(analysis["years"].max())) + 1)]
    table = publish.numbers_at_risk(analysis, years, threshold)
    table.index = [f"{y:g}" for y in years]
    table = table.rename(
        columns={1: f"within {t:g} weeks", 0: f"after {t:g} weeks"}
    ).T.reset_index(names="numbers at risk, by years since disposal")
    return [_table(table, "the numbers at risk")]


def _dose_response_section(
    published: pd.DataFrame, figures: dict[str, Figure], footnotes: _Footnotes, threshold: int
) -> list[str]:
    rows = published.loc[published["method"] == "spline_dose_response"]
    if not len(rows):
        return []
    weeks = rows["contrast"].str.extract(r"^([\d.]+) weeks", expand=False).astype(float)
    rows = rows.assign(_weeks=weeks.to_numpy()).sort_values("_weeks")
    table = pd.DataFrame(
        {
            "duration (weeks)": [f"{w:g}" for w in rows["_weeks"]],
            "hazard ratio vs 26 weeks": [f"{v:.2f}" for v in rows["estimate"]],
            "95% CI": [
                _interval(lo, hi, "{:.2f}")
                for lo, hi in zip(rows["ci_lower"], rows["ci_upper"], strict=True)
            ],
            "p_value": ["" if np.isnan(p) else _p(p) for p in rows["p_value"]],
        }
    )
    parts = [
        "<h2>Duration and return to court</h2>",
        f'<p class="note">{html.escape(footnotes.mark("spline_dose_response"))}: the '
        "adjusted cause-specific hazard ratio of return at each duration against 26 "
        "weeks, from a natural spline in weeks.</p>",
    ]
    if "dose_response" in figures:
        parts.append(_figure(figures["dose_response"], "dose_response", threshold))
    parts.append(_table(table, "the dose-response table"))
    return parts


def _cde_note(result: StudyResult, threshold: int) -> list[str]:
    arms = result.diagnostics.get("mediation", {}).get("arm_counts")
    if not isinstance(arms, pd.DataFrame):
        return []
    defined = publish.defined_cde_levels(result, threshold)
    left = [str(level) for level in arms.index if str(level) not in defined]
    if not left:
        return []
    names = ", ".join(level.replace("_", " ") for level in left)
    return [
        f'<p class="note">Controlled direct effects are shown only for orders a court '
        f"could be set to make and that at least {threshold} children in each arm "
        f"received; not for: {html.escape(names)}.</p>"
    ]


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
            what = {AREA: "local authority", "issue_period": "issue period"}.get(
                str(c["variable"]), str(c["variable"]).replace("_", " ")
            )
            items.append(
                f"No child of {what} {c['level']} was disposed of {arm}: the comparison "
                "there rests on the models."
            )
    if not items:
        return []
    body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return ["<h2>Not estimated, and where the data are thin</h2>", f"<ul>{body}</ul>"]


def _confounder_section(d: dict[str, Any], threshold: int) -> list[str]:
    parts = ["<h2>Confounders</h2>"]
    report = d.get("confounders")
    if isinstance(report, pd.DataFrame):
        # a share missing times the rows is a count: published as a rounded count
        base = int(d.get("rows_analysed", 0)) + int(report.attrs.get("rows_dropped_incomplete", 0))
        missing = (report["share_missing"].astype(float) * base).round().astype(int)
        table = report.drop(columns="share_missing").assign(
            rows_missing=[publish.count(int(m), threshold) for m in missing]
        )
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
                f"{_text(publish.count(int(dropped), threshold))}; rows analysed: about "
                f"{_text(publish.count(int(d.get('rows_analysed', 0)), threshold))} "
                f"(counts rounded to the nearest {publish.ROUNDING}).</p>"
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


def _weights_section(result: StudyResult, figures: dict[str, Figure], threshold: int) -> list[str]:
    d = result.diagnostics
    parts = []
    if "love_plot" in figures:
        parts.append(_figure(figures["love_plot"], "love_plot", threshold))
    if "analysis" in d:
        parts += [
            "<h2>Weights and effective sample size</h2>",
            '<p class="note">Stabilised, trimmed weights by arm: the mean, the effective '
            "sample size (<code>ess</code>: the square of the sum of the weights over the "
            "sum of their squares, rounded) and percentiles, each the mean of "
            f"{threshold} weights around it (a minimum or maximum would be one child's "
            "weight, and is not published); <code>capped_by_trimming</code> counts the "
            "weights the trimming capped.</p>",
            _table(publish.weights_table(result, threshold), "the weight summary"),
        ]
    if "weights" in figures:
        parts.append(_figure(figures["weights"], "weights", threshold))
    if "propensity" in d:
        parts += [
            "<h2>Positivity</h2>",
            '<p class="note">Propensity scores by arm (percentiles as for the weights); '
            "children whose score lies outside the other arm's range, and children with "
            "extreme scores, as rounded counts.</p>",
            _table(publish.positivity_table(result, threshold), "the positivity table"),
        ]
        problems = _positivity_problems(result, threshold)
        if problems:
            items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
            parts.append(f'<p class="note">Warnings:</p><ul>{items}</ul>')
        else:
            parts.append('<p class="note">No positivity warnings.</p>')
    if "propensity_overlap" in figures:
        parts.append(_figure(figures["propensity_overlap"], "propensity_overlap", threshold))
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


def _positivity_problems(result: StudyResult, threshold: int) -> list[str]:
    """The positivity warnings in counts (the warnings' own shares times an arm's size
    would be counts of children)."""
    pos = result.diagnostics.get("positivity")
    table = getattr(pos, "table", None)
    if not isinstance(table, pd.DataFrame) or getattr(pos, "adequate", True):
        return []
    out = []
    for _, r in table.iterrows():
        outside = publish.count(int(round(float(r["share_outside"]) * int(r["n"]))), threshold)
        if outside != 0:
            arm = "within the threshold" if r["arm"] == "treated" else "later"
            out.append(
                f"{_text(outside)} children disposed of {arm} have a propensity score "
                "outside the other arm's range: no comparable child there."
            )
    return out or ["Poor overlap of the propensity scores (see the figure)."]


# --- tables -----------------------------------------------------------------------------


def _estimates_table(estimates: pd.DataFrame, footnotes: _Footnotes) -> pd.DataFrame:
    """Estimates as text: percent for risks and differences, two decimals for ratios;
    methods and estimands by their labels; withheld estimates as the marker."""
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
        withheld = bool(r.get("withheld", False))
        rows.append(
            {
                "method": footnotes.mark(str(r["method"])),
                "estimand": estimand_label(estimand),
                "contrast": r["contrast"],
                "horizon (years)": "" if np.isnan(horizon) else f"{horizon:g}",
                "estimate": MARKER if withheld else fmt.format(scale * estimate) + unit,
                "95% CI": _interval(scale * lower, scale * upper, fmt),
                "p_value": "" if np.isnan(p) else _p(p),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "method",
            "estimand",
            "contrast",
            "horizon (years)",
            "estimate",
            "95% CI",
            "p_value",
        ],
    )


def _interval(lower: float, upper: float, fmt: str) -> str:
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return ""
    return f"{fmt.format(lower)} to {fmt.format(upper)}"


def _flow(flow: pd.DataFrame | None, threshold: int) -> pd.DataFrame:
    if not isinstance(flow, pd.DataFrame):
        return pd.DataFrame()
    return publish.flow_table(flow, threshold)


def _text(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else value


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _table(frame: pd.DataFrame, what: str, *, wrap: Sequence[str] = ()) -> str:
    """An HTML table; cells of columns other than ``wrap`` do not wrap."""
    refuse_identifiers(frame, what)
    nowrap = [str(c) not in wrap for c in frame.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False):  # aggregate tables: tens of rows
        cells = []
        for v, keep in zip(values, nowrap, strict=True):
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
            cls = ' class="n"' if numeric else ' class="k"' if keep else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(fig: Figure, name: str, threshold: int = DEFAULT_THRESHOLD) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = FIGURE_CAPTIONS.get(name, "").format(threshold=threshold)
    return (
        f'<figure><img alt="{html.escape(name.replace("_", " "))}" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
