"""Building canonical pandas columns fast (Arrow-backed strings, ``datetime64[ns]``).

Formatting a million identifiers through Python or even Arrow's cast is the slowest
part of making a world, so identifiers are written digit by digit into one byte buffer
that becomes an Arrow string array without a copy; labels are Arrow dictionary arrays
cast to plain strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from outcomes.schema import STRING_DTYPE


def id_strings(prefix: str, number: np.ndarray, width: int) -> pd.Series:
    """``prefix`` + ``number`` zero-padded to ``width`` digits, as STRING_DTYPE.

    Raises
    ------
    ValueError
        If a number is negative or needs more than ``width`` digits.
    """
    number = np.asarray(number, dtype=np.int64)
    m = len(number)
    if m and (number.min() < 0 or number.max() >= 10**width):
        raise ValueError(f"identifier numbers must fit in {width} digits")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = len(head) + width
    buf = np.empty((m, size), dtype=np.uint8)
    buf[:, : len(head)] = head
    x = number.copy()
    for j in range(width - 1, -1, -1):
        buf[:, len(head) + j] = 48 + x % 10
        x //= 10
    # pandas keeps Arrow strings as large_string: build that directly, so nothing is cast
    offsets = np.arange(0, (m + 1) * size, size, dtype=np.int64)
    array = pa.LargeStringArray.from_buffers(m, pa.py_buffer(offsets), pa.py_buffer(buf))
    return pd.Series(array, dtype=STRING_DTYPE)


def label_strings(
    labels: list[str] | tuple[str, ...],
    codes: np.ndarray,
    missing: np.ndarray | None = None,
) -> pd.Series:
    """Labels picked by integer codes, missing (NaN) where ``missing`` is True."""
    indices = pa.array(
        np.asarray(codes, dtype=np.int32),
        mask=None if missing is None else np.asarray(missing, dtype=bool),
    )
    dictionary = pa.array(list(labels), type=pa.large_string())
    values = pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string())
    return pd.Series(values, dtype=STRING_DTYPE)
