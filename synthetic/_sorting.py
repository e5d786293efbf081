"""Sorting rows by several integer keys, fast.

A stable sort of a million random int64 keys costs NumPy about ten times what its
unstable (SIMD) sort of the values does. When the keys' ranges and the row position
fit in 63 bits together, they are packed into one int64 -- keys in the high bits, the
position in the low ones -- and the packed values sorted: all are distinct, so the
unstable sort gives exactly the stable order, and the low bits are the permutation.
"""

from __future__ import annotations

import numpy as np


def sort_order(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """``np.lexsort(keys)`` for integer keys (the last is the primary one).

    Returns
    -------
    ndarray
        The stable sorting permutation (int64).
    """
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    packed = np.arange(n, dtype=np.int64)
    shift = max(int(n - 1).bit_length(), 1)
    for key in keys:  # least significant first
        low, high = int(key.min()), int(key.max())
        bits = max((high - low).bit_length(), 1)
        if shift + bits > 63:
            return np.lexsort(keys).astype(np.int64)
        packed |= (key.astype(np.int64) - low) << shift
        shift += bits
    packed.sort()
    packed &= (np.int64(1) << max(int(n - 1).bit_length(), 1)) - 1
    return packed
