"""Building canonical pandas columns fast (Arrow-backed strings, ``datetime64[ns]``).

Formatting a million identifiers through Python or even Arrow's cast is the slowest
part of making a world, so identifiers are written four digits at a time (one lookup
in a table of ``0000`` ... ``9999``) into one byte buffer that becomes an Arrow string
array without a copy. Labels of one length are gathered into such a buffer the same
way; other labels are Arrow dictionary arrays cast to plain strings.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from outcomes.schema import STRING_DTYPE

_FOUR_DIGITS = np.array([f"{i:04d}".encode("ascii") for i in range(10_000)]).view(np.uint32)
"""``_FOUR_DIGITS[k]``: the four ASCII digits of ``k`` as one little-endian word."""


def id_strings(
    prefix: str, number: np.ndarray, width: int, missing: np.ndarray | None = None
) -> pd.Series:
    """``prefix`` + ``number`` zero-padded to ``width`` digits, as STRING_DTYPE.

    Rows where ``missing`` is True are missing (their number is ignored).

    Raises
    ------
    ValueError
        If a number is negative or needs more than ``width`` digits.
    """
    number = np.asarray(number, dtype=np.int64)
    if missing is not None:
        number = np.where(missing, 0, number)
    m = len(number)
    if m and (number.min() < 0 or number.max() >= 10**width):
        raise ValueError(f"identifier numbers must fit in {width} digits")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = len(head) + width
    # Each row is `words` words of four digits, right-aligned: the number zero-padded
    # to 4 * words digits. The prefix then overwrites leading zeros, and the `pad`
    # bytes still in front of it are cut off.
    words = -(-size // 4)
    pad = 4 * words - size
    buf = np.empty((m, words), dtype=np.uint32)
    # unsigned 32-bit arithmetic is fastest; up to 9 digits fit in it
    x: npt.NDArray[np.unsignedinteger] = number.astype(np.uint32 if width <= 9 else np.uint64)
    for j in range(words - 1, -1, -1):
        rest = x // 10_000  # division by a constant is fast; divmod and % are not
        buf[:, j] = _FOUR_DIGITS[x - rest * 10_000]
        x = rest
    text = buf.view(np.uint8)
    text[:, pad : pad + len(head)] = head
    if pad:
        text = np.ascontiguousarray(text[:, pad:])
    return _string_series(text.reshape(-1), m, size, missing)


def _string_series(
    text: np.ndarray, m: int, size: int, missing: np.ndarray | None = None
) -> pd.Series:
    """STRING_DTYPE series of ``m`` strings of ``size`` bytes each, laid end to end in
    ``text`` (missing where ``missing`` is True)."""
    # pandas keeps Arrow strings as large_string: build that directly, so nothing is cast
    offsets = np.arange(0, (m + 1) * size, size, dtype=np.int64)
    validity = None if missing is None else pa.py_buffer(np.packbits(~missing, bitorder="little"))
    array = pa.LargeStringArray.from_buffers(
        m, pa.py_buffer(offsets), pa.py_buffer(text), validity
    )
    return pd.Series(array, dtype=STRING_DTYPE)


def label_strings(
    labels: list[str] | tuple[str, ...],
    codes: np.ndarray,
    missing: np.ndarray | None = None,
) -> pd.Series:
    """Labels picked by integer codes, missing (NaN) where ``missing`` is True."""
    codes = np.asarray(codes)
    encoded = [label.encode("utf-8") for label in labels]
    size = len(encoded[0]) if encoded else 0
    one_length = size > 0 and all(len(e) == size for e in encoded)
    if one_length and missing is None and (len(codes) == 0 or codes.min() >= 0):
        # labels of one length (LA codes, sex, ...): gather their bytes with NumPy,
        # several times faster than Arrow's dictionary cast (which also rejects
        # negative codes, so those go there)
        table = np.frombuffer(b"".join(encoded), dtype=f"V{size}")
        return _string_series(table[codes].view(np.uint8), len(codes), size)
    indices = pa.array(
        codes.astype(np.int32, copy=False),
        mask=None if missing is None else np.asarray(missing, dtype=bool),
    )
    dictionary = pa.array(list(labels), type=pa.large_string())
    values = pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string())
    return pd.Series(values, dtype=STRING_DTYPE)
