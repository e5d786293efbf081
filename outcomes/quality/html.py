"""The quality report as one self-contained HTML page.

Inline CSS, no scripts, no external assets, so the file can be e-mailed or put on an
intranet as it is. Only the suppressed tables of :meth:`QualityReport.published` are
written -- never ``issues`` or any other row-level data -- and every table is passed
through :func:`outcomes.io.privacy.refuse_identifiers` first.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from outcomes.io.privacy import refuse_identifiers

if TYPE_CHECKING:
    from outcomes.quality.report import QualityReport

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;
max-width:70rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:2px solid #1d70b8;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #d0d0d0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f2f1}.note{color:#505a5f;font-size:.9rem}
"""


def _table(frame: pd.DataFrame, what: str) -> str:
    refuse_identifiers(frame, what)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False):  # a published table: tens of rows
        cells = []
        for v in values:
            numeric = isinstance(v, int | float) or (isinstance(v, str) and v == "[c]")
            text = f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else v
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(str(text))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(report: QualityReport) -> str:
    """The report page as a string."""
    from outcomes.quality.report import SCORE_WEIGHTS

    pub = report.published()
    weights = ", ".join(f"{d} {w:.2f}" for d, w in SCORE_WEIGHTS.items())
    title = "Data quality report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p class="note">Source: {html.escape(report.source)}. Extract date '
        f"{report.extract_date:%d %B %Y}. Proceedings rows read: {report.n_rows:,}.</p>",
        f'<p class="note">Counts from 1 to {report.threshold - 1} are shown as [c] '
        "(confidential), with further cells withheld where a total would give them back; "
        "zeros are true zeros. The page holds no row-level data.</p>",
        "<h2>Issues by check</h2>",
        _table(pub["by_check"], "the issues by check"),
        "<h2>Local authorities</h2>",
        '<p class="note">Rows with at least one issue of each dimension, and the quality '
        f"score: 100 &times; the weighted share of rows free of each dimension's issues "
        f"(weights: {weights}). A score is withheld where a count behind it is (it would "
        "give that count back); its 10-point band is shown instead.</p>",
        _table(pub["by_la"], "the LA table"),
        "<h2>Designated Family Judge areas</h2>",
        _table(pub["by_dfj"], "the DFJ area table"),
        "<h2>Completeness by column</h2>",
        _table(pub["by_column"], "the column completeness table"),
        "</body></html>",
    ]
    return "\n".join(parts)
