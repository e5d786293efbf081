"""Reading and writing canonical dataset folders, and reading single files.

A dataset folder holds ``manifest.toml`` and ``proceedings``, optionally
``child_events`` and ``care_episodes``, each as ``.parquet`` or ``.csv`` (see
:mod:`outcomes.schema`). Reading validates every row: valid rows are typed and kept,
the rest go to ``Dataset.quarantine`` with a reason, so that for every table
``kept + quarantined == read``.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Literal

import pandas as pd
import tomli_w

from outcomes.errors import SchemaError, ValidationError
from outcomes.io._dates import parse_extract_date
from outcomes.io._files import check_file, read_raw
from outcomes.io._validate import validate_rows
from outcomes.io.output import OutputFolder, atomic_path, write_csv, write_text
from outcomes.io.privacy import Key, pseudonymise, refuse_identifiers
from outcomes.schema import (
    MANIFEST_FIELDS,
    PROCEEDINGS,
    SCHEMA_VERSION,
    TABLES,
    Dataset,
    Manifest,
    Table,
    empty_quarantine,
)

PathLike = str | os.PathLike[str]
ID_COLUMNS = ("proceedings_id", "child_id", "mother_id")
"""Columns replaced by keyed pseudonyms when a key is given to a reader."""


def read_dataset(
    path: PathLike,
    *,
    strict: bool = False,
    keep_identifiers: tuple[str, ...] = (),
    pseudonymise_key: Key | None = None,
) -> Dataset:
    """Read and validate a dataset folder.

    Parameters
    ----------
    path : path-like
        The folder holding ``manifest.toml`` and the tables.
    strict : bool, default False
        Raise :class:`~outcomes.errors.ValidationError` if any row fails validation,
        instead of quarantining it.
    keep_identifiers : tuple of str
        Columns that look like direct identifiers (names, UPN, NHS number, address,
        postcode) but should be kept anyway. By default they are dropped and listed in
        ``Dataset.dropped_columns``.
    pseudonymise_key : bytes or path, optional
        If given, ``proceedings_id``, ``child_id`` and ``mother_id`` are replaced in
        every table by keyed pseudonyms (:func:`outcomes.io.pseudonymise`). The key
        itself as ``bytes``, or the :class:`~pathlib.Path` of a key file (a ``str`` is
        refused as ambiguous); use :func:`outcomes.io.load_key` for a key in an
        environment variable. The quarantine keeps the IDs as read, so the source can be
        corrected.

    Returns
    -------
    Dataset

    Raises
    ------
    SchemaError
        If the folder, manifest or a table cannot be read as a whole.
    ValidationError
        With ``strict=True``, if any row fails validation.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SchemaError(
            "not a dataset folder (expected a folder with manifest.toml)", file=str(folder)
        )
    manifest = read_manifest(folder / "manifest.toml")
    frames: dict[str, pd.DataFrame | None] = {}
    quarantines, rows_read, dropped, placeholders = [], {}, {}, {}
    for name, table in TABLES.items():
        file = _table_file(folder, name)
        if file is None:
            if table.required_table:
                raise SchemaError(f"missing table {name}.parquet or {name}.csv", file=str(folder))
            frames[name] = None
            continue
        kept, quarantine, n_read, dropped_here, held = _read_table(
            file, table, manifest.extract_date, keep_identifiers
        )
        if held:
            placeholders[name] = held
        frames[name] = kept
        quarantines.append(quarantine)
        rows_read[name] = n_read
        if dropped_here:
            dropped[name] = dropped_here
    proceedings = frames["proceedings"]
    assert proceedings is not None  # required table
    missing = [c for c in manifest.covariates if c not in proceedings.columns]
    if missing:
        raise SchemaError(
            "manifest.toml names covariates that proceedings does not have: " + ", ".join(missing),
            file=str(folder / "manifest.toml"),
            column=missing[0],
        )
    dataset = Dataset(
        proceedings=proceedings,
        manifest=manifest,
        child_events=frames["child_events"],
        care_episodes=frames["care_episodes"],
        quarantine=_concat_quarantine(quarantines),
        rows_read=rows_read,
        dropped_columns=dropped,
        placeholder_ids=placeholders,
    )
    _finish(dataset, strict, pseudonymise_key)
    return dataset


def read_proceedings(
    file: PathLike,
    *,
    extract_date: str | dt.date | None = None,
    source: str | None = None,
    strict: bool = False,
    keep_identifiers: tuple[str, ...] = (),
    pseudonymise_key: Key | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> Dataset:
    """Read and validate one proceedings file (CSV/TSV, Parquet or Excel).

    Parameters
    ----------
    file : path-like
        The file. CSV may be comma, tab, semicolon or pipe separated, UTF-8 (with or
        without a byte-order mark) or UTF-16 with a byte-order mark; other encodings
        need ``encoding``. In Excel workbooks the header row is found below any title
        rows, and a merged group heading above it is read as a prefix.
    extract_date : date or string, optional
        Date the extract was taken, read like any date of the file (ISO or UK
        day-first); it must lie between 1990 and today. Dates after it are quarantined.
        When omitted, dates after today are quarantined, and the manifest's
        ``extract_date`` is the latest date kept.
    source : str, optional
        Free-text provenance for the manifest; defaults to the file name.
    strict, keep_identifiers, pseudonymise_key
        As for :func:`read_dataset`.
    encoding : str, optional
        Text encoding of a CSV file.
    sheet : str or int, optional
        Excel sheet (default: the first).

    Returns
    -------
    Dataset
        With only ``proceedings``.
    """
    path = Path(file)
    given = (
        None
        if extract_date is None
        else parse_extract_date(
            extract_date, "the extract_date argument (--extract-date at the command line)"
        )
    )
    today = pd.Timestamp(dt.date.today())
    kept, quarantine, n_read, dropped, held = _read_table(
        path,
        PROCEEDINGS,
        today if given is None else given,
        keep_identifiers,
        encoding=encoding,
        sheet=sheet,
        bound_label="today" if given is None else "the extract date",
    )
    when = given
    if when is None:
        latest = kept[PROCEEDINGS.date_columns].max().max()
        when = pd.Timestamp(latest) if pd.notna(latest) else today
    dataset = Dataset(
        proceedings=kept,
        manifest=Manifest(extract_date=when, source=source or path.name),
        quarantine=quarantine,
        rows_read={"proceedings": n_read},
        dropped_columns={"proceedings": dropped} if dropped else {},
        placeholder_ids={"proceedings": held} if held else {},
    )
    _finish(dataset, strict, pseudonymise_key)
    return dataset


def write_dataset(
    dataset: Dataset,
    path: PathLike,
    format: Literal["parquet", "csv"] = "parquet",
    *,
    overwrite: bool = False,
) -> Path:
    """Write a dataset folder that :func:`read_dataset` reads back unchanged.

    The folder is written all at once (:class:`outcomes.io.output.OutputFolder`): a
    failure leaves it as it was, and a non-empty folder that care-outcomes did not
    write is refused unless ``overwrite=True``, so an extract is never overwritten by
    mistake.

    Parameters
    ----------
    dataset : Dataset
        What to write. The quarantine is not written (it is row-level data for the
        analyst; write it with :func:`outcomes.io.output.write_csv` if wanted).
    path : path-like
        The folder; created if needed. Table files of the other format left by an
        earlier write are removed so the folder stays unambiguous.
    format : {"parquet", "csv"}
        Table format. CSV dates are written as ISO ``YYYY-MM-DD``.
    overwrite : bool, default False
        Replace the manifest and tables of a non-empty folder not written by
        care-outcomes.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    PrivacyError
        If a table holds a column that looks like a direct identifier.
    OutputError
        If the folder is refused or cannot be written.
    """
    with OutputFolder(path, claims=DATASET_ENTRIES, overwrite=overwrite) as stage:
        write_dataset_files(dataset, stage, format)
    return Path(path)


DATASET_ENTRIES = (
    "manifest.toml",
    *(f"{name}{suffix}" for name in TABLES for suffix in (".parquet", ".csv")),
)
"""Every entry a dataset folder's writer owns."""


def write_dataset_files(
    dataset: Dataset, folder: Path, format: Literal["parquet", "csv"] = "parquet"
) -> None:
    """Write the manifest and tables into ``folder`` (used inside an
    :class:`~outcomes.io.output.OutputFolder`; see :func:`write_dataset`)."""
    if format not in ("parquet", "csv"):
        raise SchemaError(f"format must be 'parquet' or 'csv', not {format!r}")
    for name, frame in dataset.tables().items():
        refuse_identifiers(frame, f"table {name}")
    write_text(folder / "manifest.toml", manifest_toml(dataset.manifest))
    for name, frame in dataset.tables().items():
        target = folder / f"{name}.{format}"
        if format == "parquet":
            with atomic_path(target) as temporary:
                frame.to_parquet(temporary, index=False)
        else:
            write_csv(frame, target, neutralise_formulas=False, date_format="%Y-%m-%d")


def read_manifest(path: Path) -> Manifest:
    """Read and check ``manifest.toml``.

    Raises
    ------
    SchemaError
        If it is missing, is not TOML, or lacks or mistypes a field.
    """
    name = str(path)
    if not path.exists() and not path.is_symlink():
        raise SchemaError("manifest.toml not found", file=name)
    check_file(path)
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"not valid TOML: {exc}", file=name) from None
    except OSError as exc:
        raise SchemaError(f"cannot be read: {exc.strerror or exc}", file=name) from None
    for spec in MANIFEST_FIELDS:
        if spec.required and spec.name not in content:
            raise SchemaError(f"missing field {spec.name!r}", file=name, column=spec.name)
    version = content["schema_version"]
    # bool is an int in Python, and 1.0 == 1: the type is checked, not only the value
    if type(version) is not int or version != SCHEMA_VERSION:
        raise SchemaError(
            f"schema_version {version!r} is not supported: write the whole number "
            f"{SCHEMA_VERSION} (this toolkit reads schema version {SCHEMA_VERSION})",
            file=name,
            column="schema_version",
        )
    try:
        extract = parse_extract_date(content["extract_date"], "manifest.toml")
    except SchemaError as exc:
        raise SchemaError(str(exc), file=name, column="extract_date") from None
    covariates = content.get("covariates", [])
    if not isinstance(covariates, list) or not all(isinstance(c, str) for c in covariates):
        raise SchemaError(
            "covariates must be a list of column names", file=name, column="covariates"
        )
    known = {f.name for f in MANIFEST_FIELDS}
    return Manifest(
        extract_date=extract,
        source=str(content["source"]),
        schema_version=version,
        covariates=list(covariates),
        scenario=content.get("scenario"),
        seed=content.get("seed"),
        extra={k: v for k, v in content.items() if k not in known},
    )


def manifest_toml(manifest: Manifest) -> str:
    """Render a manifest as TOML text."""
    content: dict[str, object] = {
        "schema_version": manifest.schema_version,
        "extract_date": manifest.extract_date.date(),
        "source": manifest.source,
        "covariates": list(manifest.covariates),
    }
    if manifest.scenario is not None:
        content["scenario"] = manifest.scenario
    if manifest.seed is not None:
        content["seed"] = manifest.seed
    content.update(manifest.extra)
    return tomli_w.dumps(content)


def _table_file(folder: Path, name: str) -> Path | None:
    # Anything at the table's path counts (a folder, a broken link): reading it then
    # says what it is, rather than calling the table missing.
    found = [
        folder / f"{name}{s}"
        for s in (".parquet", ".csv")
        if (folder / f"{name}{s}").exists() or (folder / f"{name}{s}").is_symlink()
    ]
    if len(found) > 1:
        raise SchemaError(
            f"both {name}.parquet and {name}.csv are present: keep one", file=str(folder)
        )
    return found[0] if found else None


def _read_table(
    file: Path,
    table: Table,
    extract_date: pd.Timestamp | None,
    keep_identifiers: tuple[str, ...],
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    bound_label: str = "the extract date",
) -> tuple[pd.DataFrame, pd.DataFrame, int, list[str], dict[str, int]]:
    raw = read_raw(file, table, keep_identifiers=keep_identifiers, encoding=encoding, sheet=sheet)
    if table.required_table and raw.frame.empty and not raw.malformed:
        raise SchemaError("file has a header but no data rows", file=raw.file)
    kept, quarantine, n_read = validate_rows(
        raw, table, extract_date, table.name, bound_label=bound_label
    )
    return kept, quarantine, n_read, raw.dropped, raw.placeholders


def _concat_quarantine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else empty_quarantine()


def _finish(dataset: Dataset, strict: bool, key: Key | None) -> None:
    """Apply ``strict`` and pseudonymisation to a freshly read dataset."""
    if strict and not dataset.quarantine.empty:
        counts = dataset.quarantine["reason"].value_counts()
        summary = ", ".join(f"{reason}: {n}" for reason, n in counts.items())
        first = dataset.quarantine["message"].iloc[0]
        raise ValidationError(
            f"{len(dataset.quarantine)} rows failed validation ({summary}); first: {first}",
            dataset.quarantine,
        )
    if key is not None:
        dataset.proceedings = pseudonymise(
            dataset.proceedings, [c for c in ID_COLUMNS if c in dataset.proceedings], key
        )
        for name in ("child_events", "care_episodes"):
            frame = getattr(dataset, name)
            if frame is not None:
                setattr(dataset, name, pseudonymise(frame, ["child_id"], key))
