"""The board pack written out: one self-contained page, a workbook and the figures.

``board.html`` has inline CSS and the figures as base64 PNG data URIs: no scripts, no
links out, so it can be e-mailed or put on an intranet as it is. ``tables.xlsx`` holds
one sheet per published table with the suppression note on top, through the same
neutralisation of formula-like text as every other output. Every table is checked for
identifier-like columns first (:func:`outcomes.io.privacy.refuse_identifiers`).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from outcomes.board._text import NOT_APPLICABLE, NOT_AVAILABLE
from outcomes.disclosure import MARKER
from outcomes.io.privacy import refuse_identifiers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from outcomes.board.pack import BoardPack

ENTRIES = ("board.html", "tables.xlsx", "figures")
"""What :func:`write_pack` writes into the folder (and replaces on a later run)."""

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;
max-width:62rem;padding:0 1rem;color:#0b0c0c;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}
h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:3px solid #1d70b8;padding-bottom:.2rem}
.reading{font-size:1.05rem;background:#f3f2f1;border-left:5px solid #1d70b8;
padding:.6rem .9rem;margin:.6rem 0}
.definition,.note{color:#505a5f;font-size:.88rem}
figure{margin:.6rem 0}img{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.88rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{padding:.22rem .6rem;border-bottom:1px solid #d0d0d0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f2f1}
details{margin:.3rem 0 1rem}summary{cursor:pointer;color:#1d70b8}
"""

NOTE = (
    "Counts from 1 to {last} are withheld and shown as [c] (confidential), with every "
    "other figure that would give one back (a rate or average resting on it, a total "
    "minus the other cells, a difference between nested counts); zeros are true zeros. "
    "[x]: not available (cannot be computed from these data, or no comparison exists); "
    "[z]: not applicable. "
    "Curves are drawn only at points with at least {threshold} events since the last "
    "point and {threshold} people still at risk."
)


def note(threshold: int) -> str:
    """The suppression note printed on the page and on every sheet."""
    return NOTE.format(last=threshold - 1, threshold=threshold)


def page_start(title: str) -> list[str]:
    """The opening lines of a self-contained page: head, style sheet and heading."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]


def render(pack: BoardPack, images: dict[str, bytes] | None = None) -> str:
    """The board page as a string (``images``: each panel's PNG, if already drawn)."""
    images = images if images is not None else figures_png(pack)
    kind = "local authority" if pack.level == "la_code" else "Designated Family Judge area"
    title = f"Care proceedings board pack: {pack.area}, {pack.period}"
    comparison = (
        "National figures are those of every area in the dataset."
        if pack.national
        else "The dataset holds no other area, so national comparisons are not available."
    )
    parts = [
        *page_start(title),
        f'<p class="note">{html.escape(pack.area)} ({kind}). Source: '
        f"{html.escape(pack.source)}. Extract date {pack.extract_date:%d %B %Y}. "
        f"{comparison}</p>",
        f'<p class="note">{html.escape(note(pack.threshold))}</p>',
        "<nav><ul>",
        *[f'<li><a href="#{p.key}">{html.escape(p.title)}</a></li>' for p in pack.panels],
        "</ul></nav>",
    ]
    for p in pack.panels:
        parts.append(f'<section id="{p.key}"><h2>{html.escape(p.title)}</h2>')
        parts.append(f'<p class="reading">{html.escape(p.reading)}</p>')
        if p.key in images:
            parts.append(_figure(images[p.key], f"{p.title} ({pack.area})"))
        for name, table in p.tables.items():
            parts.append(_table(table, name))
        if p.definition:
            parts.append(f'<p class="definition">{html.escape(p.definition)}</p>')
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (100 dpi, as every figure of the toolkit)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def figures_png(pack: BoardPack) -> dict[str, bytes]:
    """Each panel's figure drawn once, as PNG bytes, by panel key."""
    return {p.key: png(p.figure) for p in pack.panels if p.figure is not None}


def _figure(image: bytes, alt: str) -> str:
    data = base64.b64encode(image).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _text(v: object) -> tuple[str, bool]:
    """Cell text and whether it is numeric-like (right-aligned)."""
    if isinstance(v, bool):
        return ("yes" if v else "no"), False
    if isinstance(v, int):
        return f"{v:,}", True
    if isinstance(v, float):
        return (f"{v:,.2f}".rstrip("0").rstrip(".") if v == v else NOT_AVAILABLE), True
    if v is None or v is pd.NA:
        return NOT_AVAILABLE, True
    return str(v), v in (MARKER, NOT_AVAILABLE, NOT_APPLICABLE)


def _table(frame: pd.DataFrame, name: str) -> str:
    refuse_identifiers(frame, f"the board table {name}")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = []
        for v in values:
            shown, numeric = _text(v)
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(
            f'<tr><td colspan="{max(len(frame.columns), 1)}">nothing can be published</td></tr>'
        )
    caption = html.escape(name.replace("_", " "))
    table = (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    if len(frame) > 15:  # long tables folded, so the page reads panel by panel
        return f"<details><summary>Table: {caption} ({len(frame)} rows)</summary>{table}</details>"
    return table


def write_pack(pack: BoardPack, path: Path, *, overwrite: bool = False) -> Path:
    """Write ``board.html``, ``tables.xlsx`` and ``figures/*.png`` into ``path`` at once."""
    from outcomes.io.output import OutputFolder, write_bytes, write_text

    images = figures_png(pack)  # drawn once, for the page and for figures/
    with OutputFolder(path, claims=ENTRIES, overwrite=overwrite) as stage:
        write_text(stage / "board.html", render(pack, images))
        write_workbook(pack, stage / "tables.xlsx")
        figures = stage / "figures"
        figures.mkdir()
        for key, image in images.items():
            write_bytes(figures / f"{key}.png", image)
    return path


def write_workbook(pack: BoardPack, out: Path) -> Path:
    """One sheet per published table, the suppression note on top of each; text cells
    neutralised as in every spreadsheet the toolkit writes."""
    from outcomes.io.output import atomic_path, neutralise

    text = note(pack.threshold)
    with atomic_path(out) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, frame in pack.tables.items():
            refuse_identifiers(frame, f"the board table {name}")
            sheet = name[:31]
            header = pd.DataFrame(
                {0: [f"{pack.area}, {pack.period}: {name.replace('_', ' ')}", text, ""]}
            )
            header.to_excel(writer, sheet_name=sheet, index=False, header=False)
            neutralise(frame).to_excel(writer, sheet_name=sheet, index=False, startrow=3)
    return out
