"""Pseudonymisation and the guard against publishing direct identifiers.

Identifiers are replaced by a keyed hash (HMAC-SHA256, RFC 2104): the same ID and key
always give the same pseudonym, so records still link across files and years, but
without the key nobody can recompute it from a known ID -- unlike a plain hash, which
anyone can reverse by hashing candidate IDs. The key never enters any output.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from outcomes.errors import PrivacyError
from outcomes.io._columns import is_identifier

KEY_ENV = "CARE_OUTCOMES_KEY"
"""Environment variable holding the pseudonymisation key."""
KEY_FILE_ENV = "CARE_OUTCOMES_KEY_FILE"
"""Environment variable naming a file whose contents are the key."""
MIN_KEY_BYTES = 32
"""Shortest key accepted: 256 bits, the output size of SHA-256 (RFC 2104 section 3
advises keys no shorter than the hash output)."""

Key = bytes | os.PathLike[str]
"""A key as the readers take it: the key itself (bytes) or the path of a key file."""


def load_key(
    key: Key | None = None,
    *,
    key_file: str | os.PathLike[str] | None = None,
    key_env: str | None = None,
) -> bytes:
    """Find the pseudonymisation key, from exactly one explicit source.

    Parameters
    ----------
    key : bytes or path, optional
        The key itself as ``bytes``, or a :class:`~pathlib.Path` (any path object) of a
        file holding it. A ``str`` is refused: it could be either, and a key file's
        path taken as the key would let anyone who knows the path recompute the
        pseudonyms.
    key_file : str or path, optional
        A file whose contents are the key (a final newline is ignored).
    key_env : str, optional
        The name of an environment variable holding the key.

    When no source is given, the ``CARE_OUTCOMES_KEY`` environment variable is used,
    then the file named by ``CARE_OUTCOMES_KEY_FILE``.

    Returns
    -------
    bytes
        The key: at least :data:`MIN_KEY_BYTES` bytes, not all blank.

    Raises
    ------
    PrivacyError
        If the key is a ``str``, more than one source is given, no key is found, the key
        file is missing or unreadable, or the key is too short or blank. The message
        names the source, never the key.
    """
    given = [s for s in (key, key_file, key_env) if s is not None]
    if len(given) > 1:
        raise PrivacyError("give the pseudonymisation key one way: key, key_file or key_env")
    if isinstance(key, str):
        raise PrivacyError(
            "a pseudonymisation key given as str is ambiguous: pass the key itself as "
            "bytes, a key file as a Path or key_file=, or an environment variable's "
            "name as key_env="
        )
    if isinstance(key, bytes):
        raw, where = key, "the key given"
    elif key is not None:
        raw, where = _read_key_file(key), f"key file {os.fspath(key)}"
    elif key_file is not None:
        raw, where = _read_key_file(key_file), f"key file {os.fspath(key_file)}"
    elif key_env is not None:
        raw, where = _from_env(key_env), f"environment variable {key_env}"
    elif os.environ.get(KEY_ENV):
        raw, where = _from_env(KEY_ENV), f"environment variable {KEY_ENV}"
    elif os.environ.get(KEY_FILE_ENV):
        raw = _read_key_file(os.environ[KEY_FILE_ENV])
        where = f"key file {os.environ[KEY_FILE_ENV]} (from {KEY_FILE_ENV})"
    else:
        raise PrivacyError(
            f"no pseudonymisation key: set {KEY_ENV}, or {KEY_FILE_ENV} to a key file"
        )
    if not isinstance(raw, bytes):
        raise PrivacyError(f"the pseudonymisation key must be bytes, not {type(raw).__name__}")
    if not raw.strip():
        raise PrivacyError(f"the pseudonymisation key from {where} is blank")
    if len(raw) < MIN_KEY_BYTES:
        raise PrivacyError(
            f"the pseudonymisation key from {where} is {len(raw)} bytes: it must be at "
            f"least {MIN_KEY_BYTES} bytes (e.g. 64 hex digits from `python -c "
            '"import secrets; print(secrets.token_hex(32))"`)'
        )
    if len(set(raw)) == 1:
        raise PrivacyError(f"the pseudonymisation key from {where} repeats one character")
    return raw


def _from_env(name: str) -> bytes:
    value = os.environ.get(name)
    if not value:
        raise PrivacyError(f"environment variable {name} (the pseudonymisation key) is not set")
    return value.encode()


def _read_key_file(path: str | os.PathLike[str]) -> bytes:
    file = Path(path)
    try:
        return file.read_bytes().rstrip(b"\r\n")
    except FileNotFoundError:
        raise PrivacyError(f"key file {file} not found") from None
    except IsADirectoryError:
        raise PrivacyError(f"key file {file} is a folder") from None
    except OSError as exc:
        raise PrivacyError(f"key file {file} cannot be read: {exc.strerror}") from None


def pseudonymise(
    df: pd.DataFrame,
    columns: Iterable[str],
    key: Key | None = None,
    *,
    key_file: str | os.PathLike[str] | None = None,
    key_env: str | None = None,
    length: int = 20,
) -> pd.DataFrame:
    """Replace identifier columns by keyed pseudonyms.

    Each value :math:`x` becomes the first ``length`` hex digits of
    :math:`\\mathrm{HMAC\\text{-}SHA256}(k, c \\,\\|\\, x)`, where :math:`c` is a
    domain tag shared by the columns of one identifier family (``child``,
    ``mother``, ...), so a child ID and a mother ID that happen to be equal do not
    receive equal pseudonyms by accident, while ``child_id`` in two tables still
    matches.

    Parameters
    ----------
    df : DataFrame
        Input; not modified.
    columns : iterable of str
        Columns to pseudonymise. Missing values stay missing.
    key : bytes or path, optional
    key_file : str or path, optional
    key_env : str, optional
        Where the key is: see :func:`load_key`.
    length : int, default 20
        Hex digits kept (80 bits: collisions are negligible below billions of IDs).

    Returns
    -------
    DataFrame
        A copy with the columns replaced.
    """
    secret = load_key(key, key_file=key_file, key_env=key_env)
    out = df.copy()
    for column in columns:
        domain = column.removesuffix("_id").encode() + b"\x00"
        values = out[column]
        uniques = values.dropna().unique()
        mapping = {
            u: hmac.new(secret, domain + str(u).encode(), hashlib.sha256).hexdigest()[:length]
            for u in uniques
        }
        out[column] = values.map(mapping).astype(values.dtype)
    return out


def identifier_columns(columns: Iterable[str]) -> list[str]:
    """Columns whose names look like direct identifiers."""
    return [c for c in columns if is_identifier(c)]


def refuse_identifiers(df: pd.DataFrame, what: str) -> None:
    """Raise if ``df`` holds a column that looks like a direct identifier.

    Every writer of published output calls this.

    Raises
    ------
    PrivacyError
        Naming the offending columns.
    """
    found = identifier_columns(df.columns)
    if found:
        raise PrivacyError(
            f"refusing to write {what}: columns look like direct identifiers: " + ", ".join(found)
        )


WITHHELD = "[withheld]"
"""What stands in a quarantine for text that may identify someone."""


def redact_quarantine(quarantine: pd.DataFrame, kept: Iterable[str] = ()) -> pd.DataFrame:
    """A quarantine with nothing in it that may identify someone.

    A quarantined row keeps its file, row, column and reason, and the values of its
    columns that are not identifiers, so the source can be found and corrected. What
    may identify is withheld:

    - a row that does not split into the header's fields (``malformed_row``, and any
      row quarantined with no column at fault) keeps no text at all: its fields cannot
      be told apart, so any of them could be a name or an NHS number from a column that
      was dropped. ``value`` is missing and ``record`` is ``{}``;
    - in ``record`` (the row's values as JSON), the values of identifier-like columns
      are left out;
    - when the column at fault is identifier-like, its ``value`` is missing and the
      ``message`` gives the reason without the value.

    Columns in ``kept`` (identifier-like columns the user chose to keep, which are in
    the dataset anyway) are not withheld. Applying this twice changes nothing.

    Parameters
    ----------
    quarantine : DataFrame
        In the :data:`~outcomes.schema.QUARANTINE_COLUMNS` layout.
    kept : iterable of str
        Columns the dataset holds (they are not withheld).

    Returns
    -------
    DataFrame
        A redacted copy (the input itself when there is nothing to redact).
    """
    if not len(quarantine):
        return quarantine
    allowed = set(kept)

    def withheld(column: object) -> bool:
        return (
            isinstance(column, str)
            and column not in allowed
            and (column == "line" or is_identifier(column))
        )

    columns = quarantine["column"]
    withheld_column = {c: withheld(c) for c in columns.dropna().unique()}
    # a row with no column at fault is one whose fields could not be told apart
    malformed = columns.isna().to_numpy()
    by_identifier = columns.map(withheld_column).eq(True).to_numpy(dtype=bool)
    # Records of one file share their keys (one JSON object per row of one header):
    # only files whose first record has a key to withhold need every record rewritten.
    records = quarantine["record"].astype(object).to_numpy()
    files = quarantine["file"].astype(object).to_numpy()
    rewrite = np.zeros(len(records), dtype=bool)
    for file in pd.unique(files):
        rows = np.flatnonzero((files == file) & ~malformed)
        if len(rows) and _keys_to_withhold(records[rows[0]], withheld):
            rewrite[rows] = True
    if not (malformed.any() or by_identifier.any() or rewrite.any()):
        return quarantine
    out = quarantine.copy()
    blank = malformed | by_identifier
    out["value"] = out["value"].astype(object)
    out.loc[blank, "value"] = None
    if by_identifier.any():
        out.loc[by_identifier, "message"] = [
            f"{f}:{r}:{c}: {reason} (value withheld: identifier-like column)"
            for f, r, c, reason in out.loc[
                by_identifier, ["file", "row", "column", "reason"]
            ].itertuples(index=False)
        ]
    records = records.copy()
    records[malformed] = "{}"
    for i in np.flatnonzero(rewrite):
        record = _as_record(records[i])
        records[i] = json.dumps({k: v for k, v in record.items() if not withheld(k)})
    out["record"] = records
    return out


def _as_record(text: object) -> dict[str, object]:
    try:
        record = json.loads(str(text))
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _keys_to_withhold(text: object, withheld: Callable[[object], bool]) -> bool:
    try:
        record = json.loads(str(text))
    except ValueError:
        return True  # not a record: cannot be checked, so not kept
    return isinstance(record, dict) and any(withheld(k) for k in record)
