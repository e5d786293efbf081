"""Importing a raw extract in a local authority's own layout, with a mapping file.

A case-management system or tracker exports proceedings with its own headers, its own
order labels and without the columns a one-authority file never needs (``la_code``,
``dfj_area``). A *mapping* (``mapping.toml``) says how that layout becomes the
canonical one; :func:`import_extract` applies it and then reads and validates the rows
with the same reader and rules as :func:`outcomes.io.read_proceedings`, so every row is
kept or quarantined with a reason. The mapping tables are:

``[columns]``
    raw header -> canonical column (``"Case No" = "proceedings_id"``). Headers not
    listed still match the built-in synonyms.
``[constants]``
    canonical column -> one value for every row (``la_code = "E10000016"``).
``[orders]``
    raw final-order label -> canonical order (``"Care Order + Placement Order" =
    "placement_order"``), applied before the built-in labels. Interim orders cannot be
    mapped: they are not final orders.
``[dates]``
    ``dayfirst = true | false`` and optional ``formats = ["%d/%m/%Y", ...]`` (Python
    ``strptime`` codes), tried in order before the built-in rules.
``[covariates]``
    ``names = [...]``: raw columns kept as case-mix covariates (listed in the manifest).
    Columns neither mapped nor listed are left out of the dataset.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from outcomes.errors import MappingError, SchemaError
from outcomes.io._columns import is_identifier, normalise_name
from outcomes.io._files import RawTable, read_raw
from outcomes.io._validate import validate_rows
from outcomes.io._vocab import map_labels, normalise_label
from outcomes.io.dataset import Key, PathLike, _finish, write_dataset
from outcomes.schema import (
    FINAL_ORDERS,
    INTERIM_ORDER_LABELS,
    ORDER_ALIASES,
    PROCEEDINGS,
    STRING_DTYPE,
    Dataset,
    Manifest,
)

__all__ = [
    "ImportMapping",
    "import_extract",
    "mapping_template",
    "read_mapping",
    "write_mapping_template",
]

MAPPING_TABLES = ("columns", "constants", "orders", "dates", "covariates")
"""The tables a mapping file may hold."""

MONTH_FIRST_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")
"""Formats tried for ``dayfirst = false`` when no ``formats`` are given."""


@dataclass(frozen=True)
class ImportMapping:
    """A validated import mapping; see the module docstring for each table.

    Attributes
    ----------
    columns : dict of str to str
        Raw header -> canonical column.
    constants : dict of str to str
        Canonical column -> value given to every row.
    orders : dict of str to str
        Raw order label -> canonical ``final_order``.
    dayfirst : bool
        Whether numeric dates are day-first (UK, the default).
    date_formats : tuple of str
        ``strptime`` formats tried first.
    covariates : tuple of str
        Raw columns kept as covariates.
    source : str
        Where the mapping came from (its file), for messages.
    """

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)
    dayfirst: bool = True
    date_formats: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    source: str = "mapping"

    @classmethod
    def from_dict(cls, content: MappingABC[str, Any], source: str = "mapping") -> ImportMapping:
        """Check a parsed mapping and build it.

        Raises
        ------
        MappingError
            Naming ``source`` and the offending ``table.key``.
        """

        def fail(message: str, key: str | None = None) -> MappingError:
            return MappingError(message, file=source, column=key)

        unknown = [k for k in content if k not in MAPPING_TABLES]
        if unknown:
            raise fail(
                f"unknown table [{unknown[0]}]; a mapping has "
                + ", ".join(f"[{t}]" for t in MAPPING_TABLES),
                unknown[0],
            )
        tables = {}
        for name in MAPPING_TABLES:
            value = content.get(name, {})
            if not isinstance(value, MappingABC):
                raise fail(f"[{name}] must be a table, not {type(value).__name__}", name)
            tables[name] = value
        canonical = set(PROCEEDINGS.names)

        columns: dict[str, str] = {}
        targets: dict[str, str] = {}
        for raw, target in tables["columns"].items():
            key = f"columns.{raw}"
            if not isinstance(target, str):
                raise fail(f"must be a canonical column name (text), not {target!r}", key)
            if target not in canonical:
                raise fail(
                    f"{target!r} is not a canonical column; use one of "
                    + ", ".join(PROCEEDINGS.names),
                    key,
                )
            if target in targets:
                raise fail(f"{targets[target]!r} and {raw!r} both map to {target!r}", key)
            targets[target] = raw
            columns[raw] = target

        constants: dict[str, str] = {}
        for column, value in tables["constants"].items():
            key = f"constants.{column}"
            if column not in canonical:
                raise fail(
                    f"{column!r} is not a canonical column; use one of "
                    + ", ".join(PROCEEDINGS.names),
                    key,
                )
            if column in PROCEEDINGS.date_columns:
                raise fail("a date column cannot be a constant", key)
            if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
                raise fail(f"must be a non-empty text value, not {value!r}", key)
            if column in targets:
                raise fail(f"{column!r} is also mapped from column {targets[column]!r}", key)
            constants[column] = str(value)

        interim = {normalise_label(x) for x in INTERIM_ORDER_LABELS}
        orders: dict[str, str] = {}
        for label, order in tables["orders"].items():
            key = f"orders.{label}"
            if not isinstance(order, str) or order not in FINAL_ORDERS:
                raise fail(
                    f"{order!r} is not a final order; use one of " + ", ".join(FINAL_ORDERS), key
                )
            if normalise_label(label) in interim:
                raise fail(
                    f"{label!r} is an interim order, not a final order: it cannot be mapped "
                    "(rows holding it are quarantined as interim_order)",
                    key,
                )
            orders[label] = order

        dates = dict(tables["dates"])
        unknown_keys = [k for k in dates if k not in ("dayfirst", "formats")]
        if unknown_keys:
            raise fail("[dates] takes dayfirst and formats", f"dates.{unknown_keys[0]}")
        dayfirst = dates.get("dayfirst", True)
        if not isinstance(dayfirst, bool):
            raise fail(f"must be true or false, not {dayfirst!r}", "dates.dayfirst")
        formats = dates.get("formats", [])
        if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
            raise fail('must be a list of strptime formats, e.g. ["%d/%m/%Y"]', "dates.formats")
        for fmt in formats:
            if "%" not in fmt or not any(code in fmt for code in ("%d", "%j")):
                raise fail(f"{fmt!r} is not a date format (it needs %d, %m, %Y)", "dates.formats")

        cov = dict(tables["covariates"])
        if any(k != "names" for k in cov):
            raise fail("[covariates] takes names", "covariates." + next(k for k in cov))
        names = cov.get("names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise fail("must be a list of raw column names", "covariates.names")
        clash = [n for n in names if n in columns]
        if clash:
            raise fail(
                f"{clash[0]!r} is mapped in [columns]; it cannot also be a covariate",
                "covariates.names",
            )
        return cls(
            columns=columns,
            constants=constants,
            orders=orders,
            dayfirst=dayfirst,
            date_formats=tuple(formats),
            covariates=tuple(names),
            source=source,
        )


def read_mapping(path: PathLike) -> ImportMapping:
    """Read and check a mapping file.

    Raises
    ------
    MappingError
        If the file is missing, is not TOML, or any table or key is not valid.
    """
    name = str(path)
    if not Path(path).is_file():
        raise MappingError("mapping file not found", file=name)
    try:
        content = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"not valid TOML: {exc}", file=name) from None
    return ImportMapping.from_dict(content, source=name)


def import_extract(
    path: PathLike,
    mapping: ImportMapping | PathLike | MappingABC[str, Any],
    *,
    extract_date: str | pd.Timestamp | None = None,
    source: str | None = None,
    out: PathLike | None = None,
    overwrite: bool = False,
    format: Literal["parquet", "csv"] = "parquet",
    strict: bool = False,
    keep_identifiers: tuple[str, ...] = (),
    pseudonymise_key: Key | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> Dataset:
    """Read a raw proceedings extract through a mapping, and optionally write it.

    The file is read by the toolkit's one reader (CSV/TSV, Excel, Parquet; see
    :func:`outcomes.io.read_proceedings`): headers are renamed by ``[columns]`` and the
    built-in synonyms, ``[constants]`` become columns, ``[orders]`` labels are
    translated, dates in ``[dates]`` formats are read, and then every row is validated.
    Valid rows are kept; the rest are in ``Dataset.quarantine`` with a reason, so
    ``kept + quarantined == read``.

    Parameters
    ----------
    path : path-like
        The raw extract.
    mapping : ImportMapping, path-like or dict
        The mapping, its TOML file, or its parsed content.
    extract_date : date or ISO string, optional
        Date the extract was taken; later dates are quarantined. When omitted, the
        latest date in the file.
    source : str, optional
        Provenance for the manifest; default: the file name.
    out : path-like, optional
        Write the dataset folder here (manifest included, :func:`write_dataset`); the
        folder is built beside it and moved into place, so it is never half-written.
    overwrite : bool
        Replace an existing ``out`` folder; without it an existing folder is an error.
    format : {"parquet", "csv"}
        Table format of the written folder.
    strict, keep_identifiers, pseudonymise_key, encoding, sheet
        As for :func:`outcomes.io.read_proceedings`.

    Returns
    -------
    Dataset
        ``manifest.covariates`` lists the ``[covariates]`` columns (by their
        normalised names); ``manifest.extra["import"]`` records the mapping applied.

    Raises
    ------
    MappingError
        If the mapping is not valid or does not fit the file.
    SchemaError
        If the file cannot be read as a whole.
    """
    spec = _as_mapping(mapping)
    file = Path(path)
    target = None if out is None else Path(out)
    if target is not None and target.exists() and not overwrite:
        raise SchemaError(
            "output folder exists (use overwrite=True / --overwrite)", file=str(target)
        )
    when = None if extract_date is None else pd.Timestamp(extract_date)

    raw = _read_mapped(file, spec, keep_identifiers, encoding, sheet)
    _apply_orders(raw, spec)
    _apply_dates(raw, spec)
    kept, quarantine, n_read = validate_rows(raw, PROCEEDINGS, when, PROCEEDINGS.name)
    if when is None:
        latest = kept[PROCEEDINGS.date_columns].max().max()
        when = pd.Timestamp(latest) if pd.notna(latest) else pd.Timestamp("today").normalize()
    covariates = [normalise_name(c) for c in spec.covariates]
    dataset = Dataset(
        proceedings=kept,
        manifest=Manifest(
            extract_date=when,
            source=source or file.name,
            covariates=covariates,
            extra={"import": {"file": file.name, "mapping": Path(spec.source).name}},
        ),
        quarantine=quarantine,
        rows_read={PROCEEDINGS.name: n_read},
        dropped_columns={PROCEEDINGS.name: raw.dropped} if raw.dropped else {},
    )
    _finish(dataset, strict, pseudonymise_key)
    if target is not None:
        _write_atomically(dataset, target, format)
    return dataset


def _as_mapping(mapping: ImportMapping | PathLike | MappingABC[str, Any]) -> ImportMapping:
    if isinstance(mapping, ImportMapping):
        return mapping
    if isinstance(mapping, str | os.PathLike):
        return read_mapping(mapping)
    return ImportMapping.from_dict(mapping)


def _reading_table(spec: ImportMapping) -> Any:
    """The proceedings table with the mapping's headers as aliases, constants optional.

    A column the mapping names is taken from the header it names: built-in synonyms
    for that column are dropped, so a tracker with both "Date of final hearing" and
    "Date concluded" can say which one is the disposal date (the other is then an
    ordinary column, left out unless listed as a covariate).
    """
    # Constants do not set synonyms aside: a file with its own LA column and an
    # la_code constant is a contradiction to report, not to settle silently.
    chosen = set(spec.columns.values())
    builtin = {k: v for k, v in PROCEEDINGS.aliases.items() if v not in chosen}
    aliases = {**builtin, **{normalise_name(k): v for k, v in spec.columns.items()}}
    columns = tuple(
        dataclasses.replace(c, required=False) if c.name in spec.constants else c
        for c in PROCEEDINGS.columns
    )
    return dataclasses.replace(PROCEEDINGS, aliases=aliases, columns=columns)


def _read_mapped(
    file: Path,
    spec: ImportMapping,
    keep_identifiers: tuple[str, ...],
    encoding: str | None,
    sheet: str | int | None,
) -> RawTable:
    """Read the file with the mapping's names; add constants; keep only what is mapped."""
    keep = {normalise_name(k) for k in keep_identifiers}
    for header, target in spec.columns.items():
        # Renaming happens before identifiers are dropped: an identifier mapped to a
        # canonical column would otherwise slip through under the canonical name.
        if is_identifier(header) and normalise_name(header) not in keep:
            raise MappingError(
                f"{header!r} looks like a direct identifier (a name, NHS number, UPN, "
                f"address, ...): it cannot become {target!r}; use a pseudonymised ID "
                "column, or keep it knowingly with keep_identifiers (--keep-identifiers) "
                "and a pseudonymisation key",
                file=spec.source,
                column=f"columns.{header}",
            )
    table = _reading_table(spec)
    try:
        raw = read_raw(
            file, table, keep_identifiers=keep_identifiers, encoding=encoding, sheet=sheet
        )
    except SchemaError as exc:
        if exc.column in PROCEEDINGS.names and "missing required column" in str(exc):
            raise SchemaError(
                f"{exc} -- map a header to it in [columns] of {spec.source}, or give "
                "it in [constants] if it is the same for every row",
                file=str(file),
                column=exc.column,
            ) from None
        raise
    if raw.frame.empty and not raw.malformed:
        raise SchemaError("file has a header but no data rows", file=raw.file)
    headers = {normalise_name(h) for h in raw.original_names.values()}
    for header in spec.columns:
        if normalise_name(header) not in headers:
            raise MappingError(
                f"[columns] names {header!r}, which is not a header of {file.name} "
                f"(it has: {', '.join(repr(h) for h in raw.original_names.values())})",
                file=spec.source,
                column=f"columns.{header}",
            )
    for column, value in spec.constants.items():
        if column in raw.frame.columns:
            raise MappingError(
                f"the file already has {column!r} (header "
                f"{raw.original_names[column]!r}); drop the constant or the column",
                file=spec.source,
                column=f"constants.{column}",
            )
        raw.frame[column] = pd.Series(value, index=raw.frame.index, dtype=STRING_DTYPE)
        raw.original_names[column] = f"[constants] {column}"
    covariates = {normalise_name(c): c for c in spec.covariates}
    for name, header in covariates.items():
        if name not in raw.frame.columns:
            why = (
                "it looks like a direct identifier and was dropped (keep_identifiers keeps it)"
                if name in raw.dropped
                else f"it is not a header of {file.name}"
            )
            raise MappingError(
                f"covariate {header!r} cannot be kept: {why}",
                file=spec.source,
                column="covariates.names",
            )
        if name in PROCEEDINGS.names:
            raise MappingError(
                f"covariate {header!r} is the canonical column {name!r}, not a covariate",
                file=spec.source,
                column="covariates.names",
            )
    unlisted = [c for c in raw.frame.columns if c not in PROCEEDINGS.names and c not in covariates]
    raw.frame = raw.frame.drop(columns=unlisted)
    return raw


def _apply_orders(raw: RawTable, spec: ImportMapping) -> None:
    """Translate local order labels to canonical ones before the built-in table."""
    if not spec.orders or "final_order" not in raw.frame.columns:
        return
    values = raw.frame["final_order"]
    mapped, _ = map_labels(values, spec.orders)
    raw.frame["final_order"] = mapped.where(mapped.notna(), values)


def _apply_dates(raw: RawTable, spec: ImportMapping) -> None:
    """Rewrite dates in the mapping's formats as ISO text, for the validating parser.

    Values that match no format are left as written: the built-in day-first parser then
    reads them or quarantines them with its reason, so nothing is dropped here.
    """
    formats = list(spec.date_formats)
    if not spec.dayfirst and not formats:
        formats = list(MONTH_FIRST_FORMATS)
    if not formats:
        return
    for name in PROCEEDINGS.date_columns:
        if name not in raw.frame.columns:
            continue
        values = raw.frame[name]
        done = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        for fmt in formats:
            todo = done.isna() & values.notna()
            if not todo.any():
                break
            parsed = pd.to_datetime(values[todo].astype(str), format=fmt, errors="coerce")
            done[todo] = parsed
        iso = done.dt.strftime("%Y-%m-%d")
        raw.frame[name] = iso.where(done.notna(), values).astype(STRING_DTYPE)


def _write_atomically(dataset: Dataset, target: Path, format: Literal["parquet", "csv"]) -> None:
    """Build the folder beside ``target`` and move it into place in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        write_dataset(dataset, staging, format=format)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(staging, target)
            shutil.rmtree(old)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


# --- the template -----------------------------------------------------------------------


def mapping_template(
    path: PathLike, *, encoding: str | None = None, sheet: str | int | None = None
) -> str:
    """Guess a mapping for a raw extract, as commented TOML for the user to edit.

    Headers that the built-in synonyms recognise are mapped; others get the closest
    canonical name as a commented suggestion; required columns that are missing are
    listed under ``[constants]`` (commented: only the user knows the value); every
    distinct final-order label is listed with what the built-in table makes of it; the
    date order is guessed from values that can only be read one way.

    Parameters
    ----------
    path : path-like
        The raw extract.
    encoding, sheet
        As for :func:`outcomes.io.read_proceedings`.

    Returns
    -------
    str
        The template. It is valid TOML as written.
    """
    file = Path(path)
    raw, clashes = _read_for_template(file, encoding, sheet)
    canonical = set(PROCEEDINGS.names)
    known_names = {**{n: n for n in canonical}, **PROCEEDINGS.aliases}
    lines = [
        f"# Import mapping for {file.name}, guessed from its headers and values.",
        "# Check every line, then run:",
        f"#   outcomes import {file.name} --mapping <this file> --out <dataset folder>",
        "# Lines starting with # are comments. Canonical columns: "
        + ", ".join(PROCEEDINGS.names)
        + ".",
        "",
        "[columns]",
        '# "raw header" = "canonical column"',
    ]
    covariate_candidates = []
    for name, header in raw.original_names.items():
        if name in raw.dropped:
            continue
        if name in canonical:
            lines.append(f"{_q(header)} = {_q(name)}")
            continue
        if name in clashes:
            lines.append(
                f"# {_q(header)} = {_q(clashes[name])}   # also a synonym of {clashes[name]}: "
                "map one header to it (the other is left out unless a covariate)"
            )
            continue
        guess = difflib.get_close_matches(name, list(known_names), n=1, cutoff=0.75)
        if guess:
            lines.append(f"# {_q(header)} = {_q(known_names[guess[0]])}   # a guess: check it")
        else:
            covariate_candidates.append(header)
    for name in raw.dropped:
        header = raw.original_names[name]
        lines.append(f"# {_q(header)}: looks like a direct identifier; it is dropped on import")

    present = set(raw.frame.columns)
    lines += ["", "[constants]", "# canonical column = the value for every row"]
    for name in PROCEEDINGS.required_columns:
        if name not in present:
            example = {"la_code": "E10000000", "dfj_area": "Your DFJ area"}.get(name, "...")
            lines.append(
                f"# {name} = {_q(example)}   # REQUIRED and not in the file: "
                "give a column above or the value here"
            )

    lines += ["", "[orders]", '# "local label" = "canonical final order"']
    lines.append("# Final orders: " + ", ".join(FINAL_ORDERS) + ".")
    if "final_order" in present:
        labels = raw.frame["final_order"].dropna().unique().tolist()
        interim = set(_labels_in(labels, dict.fromkeys(INTERIM_ORDER_LABELS, "interim")))
        builtin = _labels_in(labels, ORDER_ALIASES)
        for label in sorted(labels, key=str):
            if label in interim:
                lines.append(
                    f"# {_q(label)}: an interim order, not a final one; such rows are "
                    "quarantined (find the final order in your source)"
                )
            elif label in builtin:
                lines.append(f"# {_q(label)} = {_q(builtin[label])}   # built-in: no need to map")
            else:
                lines.append(f'# {_q(label)} = ""   # not recognised: choose a final order')

    dayfirst = _guess_dayfirst(raw)
    lines += [
        "",
        "[dates]",
        "# true: 03/04/2015 is 3 April (UK); false: it is 4 March (US).",
        f"dayfirst = {'true' if dayfirst is not False else 'false'}"
        + ("" if dayfirst is not None else "   # no value settles it: check"),
        '# formats = ["%d/%m/%Y", "%d %b %Y"]   # optional strptime formats, tried in order',
        "",
        "[covariates]",
        "# Raw columns kept as case-mix covariates; columns not mapped or listed are left out.",
    ]
    lines.append(
        "# names = [" + ", ".join(_q(h) for h in covariate_candidates) + "]"
        if covariate_candidates
        else "names = []"
    )
    return "\n".join(lines) + "\n"


def _read_for_template(
    file: Path, encoding: str | None, sheet: str | int | None
) -> tuple[RawTable, dict[str, str]]:
    """Read with the built-in synonyms, setting aside headers that clash.

    Two headers that are synonyms of one column (say "Date of final hearing" and
    "Date concluded") are an error when reading; for a template, the second keeps its
    own name and is reported as a choice for the user, which the mapping settles.
    """
    aliases = dict(PROCEEDINGS.aliases)
    clashes: dict[str, str] = {}
    columns = tuple(dataclasses.replace(c, required=False) for c in PROCEEDINGS.columns)
    while True:
        loose = dataclasses.replace(PROCEEDINGS, columns=columns, aliases=aliases)
        try:
            return read_raw(file, loose, encoding=encoding, sheet=sheet), clashes
        except SchemaError as exc:
            name = normalise_name(exc.column or "")
            if "both mean" not in str(exc) or name not in aliases:
                raise
            clashes[name] = aliases.pop(name)


def write_mapping_template(
    path: PathLike,
    out: PathLike | None = None,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> Path:
    """Write :func:`mapping_template` for ``path`` to ``out`` (never overwriting).

    ``out`` defaults to ``<file stem>.mapping.toml`` beside the extract.

    Raises
    ------
    SchemaError
        If ``out`` exists.
    """
    file = Path(path)
    target = Path(out) if out is not None else file.with_name(f"{file.stem}.mapping.toml")
    text = mapping_template(file, encoding=encoding, sheet=sheet)
    try:
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise SchemaError(
            "file exists: the template never overwrites a mapping; remove it or choose "
            "another name",
            file=str(target),
        ) from None
    return target


def _q(text: object) -> str:
    """A TOML basic string (JSON escaping is valid TOML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _labels_in(labels: list[Any], aliases: dict[str, str]) -> dict[str, str]:
    """Labels that ``aliases`` maps, with what they map to."""
    series = pd.Series(labels, dtype=STRING_DTYPE)
    mapped, _ = map_labels(series, aliases)
    return {
        str(label): str(value)
        for label, value in zip(labels, mapped, strict=True)
        if isinstance(value, str)
    }


def _guess_dayfirst(raw: RawTable) -> bool | None:
    """True/False when some numeric date can only be read one way; None when none can."""
    first_over_12 = second_over_12 = False
    for name in PROCEEDINGS.date_columns:
        if name not in raw.frame.columns:
            continue
        parts = raw.frame[name].dropna().str.extract(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}$")
        numbers = parts.dropna().astype(int)
        first_over_12 |= bool((numbers[0] > 12).any())
        second_over_12 |= bool((numbers[1] > 12).any())
    if first_over_12 and not second_over_12:
        return True
    if second_over_12 and not first_over_12:
        return False
    return None
