"""Building canonical text columns fast: Arrow ``large_string`` arrays, then pandas.

Formatting a million identifiers through Python or even Arrow's cast is the slowest
part of making a world, so identifiers are written four digits at a time (one lookup
in a table of ``0000`` ... ``9999``) into a NumPy byte matrix, one row per string
(:class:`FixedText`), that becomes an Arrow string array without a copy. Rows of such
a matrix are gathered with NumPy (a table that repeats rows of another takes them,
which is cheaper than formatting them again). Labels of one length are gathered the
same way; other labels are taken from an Arrow array of the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from outcomes.schema import STRING_DTYPE

_FOUR_DIGITS = np.array([f"{i:04d}".encode("ascii") for i in range(10_000)]).view(np.uint32)
"""``_FOUR_DIGITS[k]``: the four ASCII digits of ``k`` as one little-endian word."""


@dataclass
class FixedText:
    """Strings of one length in bytes: row ``i`` of ``data`` (``m x size`` uint8) is
    string ``i``, missing where ``missing`` is True."""

    data: np.ndarray
    missing: np.ndarray | None = None

    def take(
        self, index: np.ndarray, patch: FixedText | None = None, at: np.ndarray | None = None
    ) -> FixedText:
        """Rows ``index``; then, if given, rows ``at`` of the result replaced by
        ``patch`` (strings of the same length)."""
        data = np.take(self.data, index, axis=0)  # faster than data[index] for short rows
        missing = None if self.missing is None else self.missing[index]
        if patch is not None and at is not None and len(at):
            data[at] = patch.data
            if patch.missing is not None or missing is not None:
                if missing is None:
                    missing = np.zeros(len(data), dtype=bool)
                missing[at] = False if patch.missing is None else patch.missing
        return FixedText(data, missing)

    def arrow(self, offsets: np.ndarray | None = None) -> pa.LargeStringArray:
        """The strings as an Arrow array over the same memory; ``offsets``, if given,
        are :meth:`offsets` (which arrays of one shape can share)."""
        m = len(self.data)
        if offsets is None:
            offsets = self.offsets()
        validity = None
        if self.missing is not None:
            validity = pa.py_buffer(np.packbits(~self.missing, bitorder="little"))
        # pandas keeps Arrow strings as large_string: build that directly, so nothing is
        # cast
        return pa.LargeStringArray.from_buffers(
            m, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(self.data)), validity
        )

    def offsets(self) -> np.ndarray:
        """Where each string starts in the data (and where the last ends)."""
        m, size = self.data.shape
        return np.arange(0, (m + 1) * size, size, dtype=np.int64)


def text_series(text: FixedText | pa.Array) -> pd.Series:
    """Text as a STRING_DTYPE series (no copy)."""
    return pd.Series(text.arrow() if isinstance(text, FixedText) else text, dtype=STRING_DTYPE)


def id_text(
    prefix: str, number: np.ndarray, width: int, missing: np.ndarray | None = None
) -> FixedText:
    """``prefix`` + ``number`` zero-padded to ``width`` digits.

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
    return FixedText(text, missing)


def date_text(days: np.ndarray, missing: np.ndarray | None = None) -> FixedText:
    """Days since 1970-01-01 as ``YYYY-MM-DD`` text (missing where ``missing`` is True).

    Years must have four digits (1000 to 9999).
    """
    days = np.asarray(days, dtype=np.int64)
    if missing is not None:
        days = np.where(missing, 0, days)
    text = days.view("datetime64[D]").astype("S10")  # NumPy's ISO format, as bytes
    return FixedText(text.view(np.uint8).reshape(len(days), 10), missing)


def label_text(
    labels: list[str] | tuple[str, ...],
    codes: np.ndarray,
    missing: np.ndarray | None = None,
) -> FixedText | pa.LargeStringArray:
    """Labels picked by integer codes, missing where ``missing`` is True: fixed-width
    text when all labels have one length and none is missing."""
    codes = np.asarray(codes)
    encoded = [label.encode("utf-8") for label in labels]
    size = len(encoded[0]) if encoded else 0
    one_length = size > 0 and all(len(e) == size for e in encoded)
    if one_length and missing is None and (len(codes) == 0 or codes.min() >= 0):
        # labels of one length (LA codes, sex, ...): gather their bytes with NumPy,
        # several times faster than Arrow's take (which also rejects negative codes,
        # so those go there)
        table = np.frombuffer(b"".join(encoded), dtype=np.uint8).reshape(-1, size)
        return FixedText(table).take(codes)
    indices = pa.array(
        codes.astype(np.int32, copy=False),
        mask=None if missing is None else np.asarray(missing, dtype=bool),
    )
    return pa.array(list(labels), type=pa.large_string()).take(indices)
