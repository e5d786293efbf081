"""Pseudonymisation and the guard against publishing direct identifiers.

Identifiers are replaced by a keyed hash (HMAC-SHA256, RFC 2104): the same ID and key
always give the same pseudonym, so records still link across files and years, but
without the key nobody can recompute it from a known ID -- unlike a plain hash, which
anyone can reverse by hashing candidate IDs. The key never enters any output.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from outcomes.errors import PrivacyError
from outcomes.io._columns import is_identifier

KEY_ENV = "CARE_OUTCOMES_KEY"
"""Environment variable holding the pseudonymisation key."""
KEY_FILE_ENV = "CARE_OUTCOMES_KEY_FILE"
"""Environment variable naming a file whose contents are the key."""
MIN_KEY_BYTES = 16


def load_key(key: str | bytes | os.PathLike[str] | None = None) -> bytes:
    """Find the pseudonymisation key.

    Parameters
    ----------
    key : str, bytes or path, optional
        The key itself (str or bytes), or a path to a file holding it. When omitted,
        the ``CARE_OUTCOMES_KEY`` environment variable is used, then the file named by
        ``CARE_OUTCOMES_KEY_FILE``.

    Returns
    -------
    bytes
        The key, at least 16 bytes long.

    Raises
    ------
    PrivacyError
        If no key is found or it is too short to resist guessing.
    """
    if isinstance(key, os.PathLike):
        raw = Path(key).read_bytes().strip()
    elif isinstance(key, str):
        raw = key.encode()
    elif isinstance(key, bytes):
        raw = key
    elif os.environ.get(KEY_ENV):
        raw = os.environ[KEY_ENV].encode()
    elif os.environ.get(KEY_FILE_ENV):
        raw = Path(os.environ[KEY_FILE_ENV]).read_bytes().strip()
    else:
        raise PrivacyError(
            f"no pseudonymisation key: set {KEY_ENV}, or {KEY_FILE_ENV} to a key file"
        )
    if len(raw) < MIN_KEY_BYTES:
        raise PrivacyError(f"pseudonymisation key must be at least {MIN_KEY_BYTES} bytes")
    return raw


def pseudonymise(
    df: pd.DataFrame,
    columns: Iterable[str],
    key: str | bytes | os.PathLike[str] | None = None,
    *,
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
    key : str, bytes or path, optional
        See :func:`load_key`.
    length : int, default 20
        Hex digits kept (80 bits: collisions are negligible below billions of IDs).

    Returns
    -------
    DataFrame
        A copy with the columns replaced.
    """
    secret = load_key(key)
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
