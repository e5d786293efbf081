"""MkDocs hook: render the data dictionary from ``outcomes.schema``.

The page ``data-dictionary.md`` holds the marker ``<!-- data-dictionary -->``; this
hook replaces it with tables built from the schema itself, so the documentation
cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from outcomes import schema
from outcomes.io._validate import REASONS

MARKER = "<!-- data-dictionary -->"


def _table_markdown(table: schema.Table) -> str:
    lines = [
        f"### `{table.name}`",
        "",
        table.description + (" Required." if table.required_table else " Optional."),
        f" Key: `{', '.join(table.key)}`.",
        "",
        "| column | type | required | may be empty | meaning |",
        "|---|---|---|---|---|",
    ]
    for col in table.columns:
        kind = "date" if col.kind == "date" else ("vocabulary" if col.vocabulary else "text")
        meaning = col.description
        if col.vocabulary:
            meaning += " One of " + ", ".join(f"`{v}`" for v in col.vocabulary) + "."
        lines.append(
            f"| `{col.name}` | {kind} | {'yes' if col.required else 'no'} | "
            f"{'yes' if col.nullable else 'no'} | {meaning} |"
        )
    if table.aliases:
        aliases = ", ".join(f"`{k}` → `{v}`" for k, v in table.aliases.items())
        lines += ["", f"Header aliases accepted on reading: {aliases}."]
    return "\n".join(lines)


def render() -> str:
    """The whole generated section."""
    parts = [f"Schema version **{schema.SCHEMA_VERSION}**.", "", "## Tables", ""]
    parts += [_table_markdown(t) + "\n" for t in schema.TABLES.values()]
    parts += [
        "## `manifest.toml`",
        "",
        "| field | type | required | meaning |",
        "|---|---|---|---|",
    ]
    parts += [
        f"| `{f.name}` | {f.type} | {'yes' if f.required else 'no'} | {f.description} |"
        for f in schema.MANIFEST_FIELDS
    ]
    parts += [
        "",
        "## Final order labels",
        "",
        "| label (normalised) | `final_order` |",
        "|---|---|",
    ]
    parts += [f"| {label} | `{order}` |" for label, order in schema.ORDER_ALIASES.items()]
    parts += [
        "",
        "Interim orders are not final orders and are never mapped: a row whose final order "
        "reads "
        + ", ".join(f"*{label}*" for label in schema.INTERIM_ORDER_LABELS)
        + " (after normalisation) is quarantined as `interim_order`. Local labels are "
        "added with the `[orders]` table of an [import mapping](import.md).",
    ]
    parts += ["", "## Quarantine reasons", "", "| reason | meaning |", "|---|---|"]
    parts += [f"| `{code}` | {text} |" for code, text in REASONS.items()]
    return "\n".join(parts)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker on the data dictionary page."""
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
