"""Mapping free-text labels (orders, events, sex) onto the canonical vocabularies."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.io._arrow import arrow_text
from outcomes.schema import STRING_DTYPE

_CONNECTORS = re.compile(r"\s*(?:&|\+|\bplus\b|\bwith\b|\band\b)\s*")
_PUNCT = re.compile(r"[^a-z0-9+ ]+")
_SPACES = re.compile(r"\s+")

SEX_ALIASES: dict[str, str] = {
    "f": "F",
    "female": "F",
    "girl": "F",
    "2": "F",  # SSDA903 SEX code
    "m": "M",
    "male": "M",
    "boy": "M",
    "1": "M",  # SSDA903 SEX code
    "u": "U",
    "unknown": "U",
    "not known": "U",
    "not recorded": "U",
}
"""Labels accepted for ``child_sex``; 903 codes 1 and 2 are male and female."""


def normalise_label(label: str) -> str:
    """Reduce a label to the form the alias tables are keyed on.

    Lower case; dots dropped (so ``S.G.O.`` becomes ``sgo``); ``&``, ``plus``,
    ``with`` and ``and`` become ``+``; underscores and other punctuation become
    spaces; runs of spaces collapse.
    """
    text = label.strip().lower().replace(".", "").replace("_", " ")
    text = _CONNECTORS.sub(" + ", text)
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def map_labels(values: pd.Series, aliases: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Map labels through ``aliases``.

    Each distinct label is normalised once (columns hold few distinct labels), then
    the mapping is spread back with an Arrow ``take``.

    Parameters
    ----------
    values : Series of str
        Raw labels; missing values stay missing.
    aliases : dict
        Normalised label -> canonical value. Its keys are normalised here too, so
        the table can be written readably.

    Returns
    -------
    mapped : Series
        Canonical values (text dtype), missing where the label was missing or unknown.
    unknown : ndarray of bool
        True where a label was present but not in the table.
    """
    table = {normalise_label(k): v for k, v in aliases.items()}
    text = arrow_text(values)
    encoded = text.dictionary_encode()
    labels = encoded.dictionary.to_pylist()
    lookup = pa.array([table.get(normalise_label(label)) for label in labels], pa.large_string())
    mapped = lookup.take(encoded.indices)
    unknown = pc.and_(text.is_valid(), mapped.is_null()).to_numpy(zero_copy_only=False)
    series = mapped.to_pandas(types_mapper=lambda _: STRING_DTYPE)
    series.index = values.index
    return series, unknown
