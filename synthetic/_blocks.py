"""Row-by-row computations done a block of rows at a time.

A chain of NumPy expressions over a million rows allocates a fresh full-length array
for every intermediate result, and fresh memory costs page faults. Worked out on blocks
of rows, the intermediates stay small (in the CPU cache, reused by the allocator); the
results are the same, element for element.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BLOCK_ROWS = 32_768
"""Rows per block."""


def blockwise(
    n: int, func: Callable[[slice], tuple[np.ndarray, ...]], block: int = BLOCK_ROWS
) -> tuple[np.ndarray, ...]:
    """``func`` applied to consecutive slices of ``range(n)``; its results concatenated.

    ``func`` must treat rows independently (so that blocks give the rows' results).
    """
    parts = [func(slice(start, start + block)) for start in range(0, max(n, 1), block)]
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))
