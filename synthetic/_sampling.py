"""Fast inverse-CDF helpers: a categorical draw, a count of breaks, a small Poisson.

NumPy's ``searchsorted`` does a binary search per element, which mispredicts branches
on random input: over a million uniforms it costs tens of milliseconds even for a
handful of categories. These helpers give the same answers with a few vectorised
passes.
"""

from __future__ import annotations

import numpy as np

GUIDE_CELLS_PER_CATEGORY = 8
"""Guide-table cells per category: few categories share a cell, so few fix-up passes."""


def count_at_most(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Number of ``edges`` at most ``x``: ``np.searchsorted(edges, x, side="right")``
    for a short sorted ``edges``, by one comparison pass per edge."""
    out = np.zeros(np.shape(x), dtype=np.intp)
    for edge in np.asarray(edges, dtype=float):
        out += x >= edge
    return out


def categorical(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category of each uniform ``u`` in [0, 1) by inverse CDF of ``weights``.

    The same as ``np.searchsorted(cdf, u, side="right")`` with ``cdf`` the normalised
    cumulative weights, through a guide table: a cell of [0, 1) gives the first
    category its uniforms can fall in, and each pass steps the uniforms past one more
    cumulative weight of their cell.
    """
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0  # no uniform may fall beyond the last category
    # a power of two: u * cells and its floor are exact, so a cell never starts past u
    cells = 1 << int(np.ceil(np.log2(GUIDE_CELLS_PER_CATEGORY * len(cdf))))
    guide = np.searchsorted(cdf, np.arange(cells) / cells, side="right")
    idx = guide[(u * cells).astype(np.intp)]
    bounded = np.append(cdf, np.inf)  # every index is in range; the last never steps
    while True:
        step = bounded[idx] <= u
        if not step.any():
            return idx
        idx += step


def poisson_small(rate: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson counts of small ``rate`` by inverse CDF of uniforms ``u`` in [0, 1).

    Each pass moves the counts still short of their uniform up by one, so a rate
    ``r`` takes about ``r`` passes, over ever fewer rows (for rates well below one,
    much less work than NumPy's generator).
    """
    rate = np.asarray(rate, dtype=float)
    count = np.zeros(len(rate), dtype=np.int64)
    rows = np.arange(len(rate))
    term = np.exp(-rate)  # P(X = k) of the rows still going, k = 0 first
    cdf = term.copy()
    k = 0
    while True:
        # a term that underflowed to 0 ends its row (its CDF can no longer grow)
        going = (u >= cdf) & (term > 0)
        if not going.any():
            return count
        rows, rate, term, cdf, u = (a[going] for a in (rows, rate, term, cdf, u))
        k += 1
        count[rows] = k
        term = term * rate / k
        cdf = cdf + term
