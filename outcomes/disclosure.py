"""Small-number suppression for anything published.

Counts of people are disclosive when they are small: a reader who knows one family in an
area can learn something new about it from a cell of 1, 2 or 3. Every table this toolkit
publishes (the quality report, KPI tables, the study report) goes through
:func:`suppress` first.

The rules
---------
1. **Primary suppression.** A count ``1 <= n < threshold`` (default 10, the rule of this
   project) is withheld. **Zeros are kept**: a zero says that nothing was recorded, and
   the DfE's children-looked-after releases (which follow the GSS standard) state that
   "where any number is shown as zero, the original figure submitted was zero".
2. **Secondary (complementary) suppression.** If a row of counts, or a column of counts
   within a block of rows, holds exactly one withheld cell, the withheld value could be
   recovered by subtracting the others from the row or column total. The smallest
   positive published cell of that row or column is withheld as well (the smallest, so
   that the least information is lost; a zero only when nothing else is left), and the
   rule is applied again until no row or column has a single withheld cell. Totals are
   assumed to be published or derivable, which is the cautious assumption.

   **Additive versus nested counts.** Rows are additive only across counts that are
   parts of one whole (e.g. orders of each type). A *nested* count is a subset of
   another count of the same row (children disposed within 26 weeks, out of all
   children disposed): the two do not add up to anything, so a row never needs a
   complement between them, but the *difference* parent - child is a count a reader
   can work out. A nested count is therefore withheld when it or that difference is
   small, and whenever its parent is withheld (otherwise the column totals of child
   and difference give the parent back). Treating nested counts as additive parts of
   a row withholds far too much: in a yearly table for one local authority, a single
   small count cascades through the row and column rules until most years are gone.
   Columns are additive within every *margin* (a grouping whose totals are published
   or derivable, e.g. national totals per quarter, and an area's total over
   quarters); each margin is protected in turn.
3. **Derived figures.** A rate or percentage whose numerator or denominator is withheld
   is withheld too (otherwise ``rate * denominator`` gives the count back).
4. **Rounding** (optional). Published counts may be rounded to a base (e.g. the nearest
   5). Suppression is decided on the unrounded values.

Output
------
Suppressed cells are marked with the GSS symbol ``"[c]"`` (confidential) by default,
which makes the count columns text (``object``) -- the form for a published table. With
``marker=None`` they are ``<NA>`` in nullable ``Int64`` / ``Float64`` columns instead,
which keeps the table numeric for plotting and further arithmetic; a suppressed cell can
then never be mistaken for a count, and :func:`suppression_mask` says which cells were
withheld.

References
----------
.. [1] Government Statistical Service (2021). *Symbols in tables, definitions and
   help*. GSS Analysis Function guidance: ``[c]`` confidential, ``[z]`` not applicable,
   ``[x]`` not available.
.. [2] Office for National Statistics. *Disclosure control guidance for tables produced
   from administrative sources*, and GSS/GSR *Disclosure control policy for tables*:
   threshold rules, secondary suppression, rounding.
.. [3] Department for Education. *Children looked after in England including adoptions:
   methodology*, "Rounding and suppression": ``c`` for confidentiality with secondary
   suppression where needed; zeros are true zeros; percentages based on suppressed
   numbers are suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError, SchemaError

DEFAULT_THRESHOLD = 10
"""Counts below this (and above zero) are withheld."""
MARKER = "[c]"
"""GSS symbol for a value withheld to protect confidentiality."""

RateSources = Mapping[str, str | Sequence[str]]
Nesting = Mapping[str, str]


class DisclosureError(OutcomesError):
    """A table cannot be suppressed as asked (missing, negative or inconsistent counts)."""


def suppression_mask(
    table: pd.DataFrame,
    count_cols: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    secondary: bool = True,
    by: Sequence[str] | None = None,
    rate_cols: RateSources | None = None,
    nested: Nesting | None = None,
    margins: Sequence[Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Which cells :func:`suppress` withholds.

    Parameters
    ----------
    table, count_cols, threshold, secondary, by, rate_cols, nested, margins
        As for :func:`suppress`.

    Returns
    -------
    DataFrame of bool
        Same index as ``table``; one column per count and rate column; True where the
        cell is withheld.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 1:
        raise OutcomesError(f"threshold must be a whole number of at least 1, not {threshold!r}")
    absent = [c for c in (by or []) if c not in table.columns]
    if absent:
        raise SchemaError(f"'by' columns not in the table: {absent}", column=absent[0])
    counts = _counts(table, count_cols)
    values = counts.to_numpy(dtype="float64")
    pairs = _nested_pairs(values, list(count_cols), nested or {})
    small = (values > 0) & (values < threshold)
    mask = small.copy()
    for child, parent in pairs:
        # the difference parent - child is published implicitly; it must not be small
        rest = values[:, parent] - values[:, child]
        mask[:, child] |= ((rest > 0) & (rest < threshold)) | small[:, parent]
    if secondary and values.size:
        if margins is None:
            margins = [list(by)] if by else [[]]
        partitions = [_blocks(table, list(m)) for m in margins]
        children = {child for child, _ in pairs}
        additive = np.array([j for j in range(values.shape[1]) if j not in children])
        mask = _secondary(values, mask, partitions, additive, pairs)
    out = pd.DataFrame(mask, index=table.index, columns=list(count_cols))
    for rate, sources in (rate_cols or {}).items():
        names = [sources] if isinstance(sources, str) else list(sources)
        unknown = [n for n in names if n not in out.columns]
        if unknown:
            raise OutcomesError(f"rate {rate!r} derives from {unknown}, which are not count_cols")
        out[rate] = out[names].any(axis=1)
    return out


def suppress(
    table: pd.DataFrame,
    count_cols: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    secondary: bool = True,
    by: Sequence[str] | None = None,
    rate_cols: RateSources | None = None,
    rounding: int | None = None,
    marker: str | None = MARKER,
    nested: Nesting | None = None,
    margins: Sequence[Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Withhold small counts (and what would reveal them) from a table to be published.

    See the module docstring for the rules and references.

    Parameters
    ----------
    table : DataFrame
        One row per group (e.g. per local authority), count columns and any labels.
    count_cols : sequence of str
        Columns holding counts of people or cases (non-negative integers).
    threshold : int, default 10
        Counts ``1 .. threshold - 1`` are withheld; zeros are kept.
    secondary : bool, default True
        Also withhold complementary cells so that no withheld cell can be recovered
        from row totals (across ``count_cols``) or column totals (within each block of
        rows given by ``by``). Turn off only for a table whose totals are never
        published and cannot be derived -- rare.
    by : sequence of str, optional
        Columns whose values define blocks of rows with their own published column
        totals (e.g. ``["dfj_area"]`` for LAs within DFJ areas). Default: the whole
        table is one block.
    rate_cols : mapping of str to str or list of str, optional
        Derived columns and the count columns they derive from, e.g.
        ``{"pct_missing": ["n_missing", "n_rows"]}``: a rate is withheld where any of
        its sources is.
    rounding : int, optional
        Round published counts to the nearest multiple of this base (e.g. 5). Rates
        are left as computed from the unrounded counts.
    nested : mapping of str to str, optional
        Count columns that are subsets of another count column of the same row, e.g.
        ``{"within_26_weeks": "disposals"}``. A nested count is withheld when it, or
        its parent minus it, is small, and whenever its parent is withheld; it is not
        an additive part of the row (see the module docstring).
    margins : sequence of sequences of str, optional
        Groupings whose column totals are published or derivable, each protected in
        turn, e.g. ``[["period"], ["la_code"]]`` for national totals per quarter and
        each area's total over the quarters. ``[[]]`` is the whole table. Default:
        ``[by]`` (or the whole table).
    marker : str or None, default "[c]"
        Text written in withheld cells (count and rate columns become ``object``). With
        ``None``, withheld cells are ``<NA>`` and the columns nullable ``Int64`` (counts)
        and ``Float64`` (rates).

    Returns
    -------
    DataFrame
        A copy of ``table`` with the cells withheld.

    Raises
    ------
    SchemaError
        A count or ``by`` column is missing, or a count column holds something other
        than non-negative whole numbers.
    OutcomesError
        ``threshold`` or ``rounding`` is not a positive whole number, or a rate derives
        from a column that is not among ``count_cols``.
    DisclosureError
        A nested count exceeds its parent.

    Examples
    --------
    >>> t = pd.DataFrame({"la": ["A", "B", "C"], "n": [25, 4, 31], "m": [12, 14, 0]})
    >>> suppress(t, ["n", "m"])
      la    n    m
    0  A  [c]  [c]
    1  B  [c]  [c]
    2  C   31    0

    Row B's 4 is withheld (primary) and so is its 14 (the row total would give the 4
    back); columns ``n`` and ``m`` then hold one withheld cell each, which their totals
    would give back, so the smallest positive cells of each, A's 25 and 12, go too.
    """
    if rounding is not None and (
        isinstance(rounding, bool) or not isinstance(rounding, int | np.integer) or rounding < 1
    ):
        raise OutcomesError(f"rounding must be a whole number of at least 1, not {rounding!r}")
    mask = suppression_mask(
        table,
        count_cols,
        threshold=threshold,
        secondary=secondary,
        by=by,
        rate_cols=rate_cols,
        nested=nested,
        margins=margins,
    )
    out = table.copy()
    for col in count_cols:
        values = pd.to_numeric(out[col]).astype("Int64")
        if rounding:
            values = (values.astype("Float64") / rounding).round().mul(rounding).astype("Int64")
        out[col] = values.mask(mask[col].to_numpy())
    for rate in rate_cols or {}:
        out[rate] = pd.to_numeric(out[rate]).astype("Float64").mask(mask[rate].to_numpy())
    if marker is not None:
        for col in mask.columns:
            text = out[col].astype(object)
            text[mask[col].to_numpy()] = marker
            out[col] = text
    return out


def publishable_count(
    n: int, *, threshold: int = DEFAULT_THRESHOLD, rounding: int = 1
) -> int | str:
    """One count as published: 0 as 0, ``1 .. threshold - 1`` as :data:`MARKER`, else
    rounded to the nearest multiple of ``rounding`` (never rounded below ``threshold``).

    For counts published singly (an arm's size, rows excluded at a step of a flow) where
    the table rules of :func:`suppress` do not apply. Rounding is what stops such a count
    being differenced with another published figure (an exact total elsewhere) to give
    back a withheld one: each rounded count is known only to within ``rounding / 2``.
    """
    n = int(n)
    if n < 0:
        raise DisclosureError(f"a count cannot be negative, got {n}")
    if n == 0:
        return 0
    if n < threshold:
        return MARKER
    return max(int(rounding * round(n / rounding)), threshold)


def publishable_quantiles(
    values: Sequence[float] | np.ndarray | pd.Series,
    probs: Sequence[float],
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> np.ndarray:
    """Quantiles that are not any individual's value: each is the mean of the
    ``threshold`` order statistics nearest the quantile.

    A sample quantile (and above all the minimum and maximum) is one person's value, or
    an interpolation between two. Here quantile :math:`p` of :math:`n` sorted values
    :math:`x_{(0)} \\le \\dots \\le x_{(n-1)}` is published as

    .. math::

        \tilde q_p = \frac{1}{k} \\sum_{i=j}^{j+k-1} x_{(i)}, \\qquad
        j = \\min\big(\\max(\\lfloor p (n-1) \rceil - \\lfloor k/2 \rfloor, 0),\\,
        n - k\big),

    with :math:`k` = ``threshold``: a window of :math:`k` values centred on the quantile's
    position and kept inside the sample. Near the ends it is the mean of the :math:`k`
    smallest (largest) values -- the figure the "no minimum or maximum" rule of output
    checking allows in their place (Griffiths et al. 2019, *Handbook on Statistical
    Disclosure Control for Outputs*, section on percentiles).

    Returns
    -------
    ndarray
        One value per probability; all NaN when fewer than ``threshold`` values are
        finite.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[np.isfinite(x)]
    p = np.asarray(probs, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise DisclosureError(f"probabilities must lie in [0, 1], got {list(p)}")
    n, k = len(x), int(threshold)
    if n < k or k < 1:
        return np.full(len(p), np.nan)
    start = np.clip(np.rint(p * (n - 1)).astype(int) - k // 2, 0, n - k)
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    return (cumulative[start + k] - cumulative[start]) / k


def publishable_curve(
    curve: pd.DataFrame,
    grid: Sequence[float],
    *,
    time_col: str = "time",
    at_risk_col: str = "at_risk",
    events_col: str = "events",
    value_cols: Sequence[str] = ("estimate",),
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """A step function (Kaplan-Meier, cumulative incidence) thinned until it is safe.

    A curve drawn step by step publishes every event time, and each step's height with
    the number at risk gives back the number of events at that time: often one child.
    The published curve is therefore read only at the points of ``grid`` (e.g. monthly;
    never at the data's own times), and a grid point is kept only when

    * at least ``threshold`` events moved the curve since the last kept point (so the
      change between two published values, times the number at risk, recovers no count
      under the threshold), and
    * at least ``threshold`` individuals are still at risk just after it.

    The curve stops at the first grid point with fewer than ``threshold`` at risk: its
    tail, where single children make the steps, is not published. The first grid point
    is kept when no event precedes it (the curve's known starting value) or when at least
    ``threshold`` do. Between kept
    points the curve is drawn flat, which understates change within an interval but
    never shows a step that only one child's event could make.

    Parameters
    ----------
    curve : DataFrame
        One row per distinct time, sorted or not: ``time_col``, ``at_risk_col`` (number
        at risk just before the time), ``events_col`` (the events that move this curve
        at that time) and ``value_cols`` (the curve and its limits just after the time).
    grid : sequence of float
        Candidate publication times, in the curve's unit, increasing.
    threshold : int
        The disclosure threshold (default 10).

    Returns
    -------
    DataFrame
        ``time`` (grid points kept), ``at_risk`` (number at risk just after the point)
        and ``value_cols`` evaluated at the point (the step function's value there).
    """
    if threshold < 1:
        raise DisclosureError(f"threshold must be at least 1, not {threshold}")
    points = np.asarray(grid, dtype=float)
    if points.ndim != 1 or len(points) == 0 or np.any(np.diff(points) <= 0):
        raise DisclosureError("grid must be a non-empty increasing sequence of times")
    missing = [c for c in (time_col, at_risk_col, events_col, *value_cols) if c not in curve]
    if missing:
        raise SchemaError(f"the curve has no column(s) {missing}")
    steps = curve.sort_values(time_col)
    times = steps[time_col].to_numpy(dtype=float)
    at_risk = steps[at_risk_col].to_numpy(dtype=float)
    cum_events = np.cumsum(steps[events_col].to_numpy(dtype=float))
    values = steps[list(value_cols)].to_numpy(dtype=float)
    start = np.full(len(value_cols), np.nan)  # the value before the first row
    kept: list[tuple[float, float, np.ndarray]] = []
    events_at_last = 0.0
    for g in points:
        upto = int(np.searchsorted(times, g, side="right"))  # rows with time <= g
        after = at_risk[upto] if upto < len(times) else 0.0  # at risk just after g
        if after < threshold:
            break
        events = cum_events[upto - 1] if upto else 0.0
        first = not kept
        if (first and events == 0) or events - events_at_last >= threshold:
            value = values[upto - 1] if upto else start
            kept.append((float(g), float(after), value))
            events_at_last = events
    out = pd.DataFrame([v for _, _, v in kept], columns=list(value_cols), dtype=float)
    out.insert(0, "at_risk", [a for _, a, _ in kept])
    out.insert(0, "time", [t for t, _, _ in kept])
    return out


def _counts(table: pd.DataFrame, count_cols: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in count_cols if c not in table.columns]
    if missing:
        raise SchemaError(f"count columns not in the table: {missing}", column=missing[0])
    raw = table[list(count_cols)]
    counts = raw.apply(pd.to_numeric, errors="coerce").astype("float64")
    # a missing count is nothing to publish (0); text that is not a number is a mistake
    unreadable = (counts.isna() & raw.notna()).to_numpy()
    counts = counts.fillna(0.0)
    values = counts.to_numpy()
    bad = (unreadable | (values < 0) | (values != np.round(values))).any(axis=0)
    if bad.any():
        column = str(counts.columns[np.flatnonzero(bad)[0]])
        raise SchemaError("count columns must hold non-negative whole numbers", column=column)
    return counts


def _nested_pairs(values: np.ndarray, cols: list[str], nested: Nesting) -> list[tuple[int, int]]:
    """Column positions of (child, parent) pairs, checked: child <= parent everywhere."""
    pairs = []
    for child, parent in nested.items():
        unknown = [c for c in (child, parent) if c not in cols]
        if unknown or child == parent:
            raise DisclosureError(
                f"nested count {child!r} of {parent!r}: both must be distinct count_cols"
            )
        c, p = cols.index(child), cols.index(parent)
        if (values[:, c] > values[:, p]).any():
            row = int(np.flatnonzero(values[:, c] > values[:, p])[0])
            raise DisclosureError(
                f"nested count {child!r} exceeds its parent {parent!r} in row {row}"
            )
        pairs.append((c, p))
    return pairs


def _blocks(table: pd.DataFrame, by: Sequence[str] | None) -> np.ndarray:
    """Block number of each row (rows of one block share published column totals)."""
    if not by:
        return np.zeros(len(table), dtype=np.int64)
    codes = table.groupby(list(by), sort=False, dropna=False).ngroup()
    return codes.to_numpy(dtype=np.int64)


def _secondary(
    values: np.ndarray,
    mask: np.ndarray,
    partitions: list[np.ndarray],
    additive: np.ndarray,
    pairs: list[tuple[int, int]],
) -> np.ndarray:
    """Complementary suppression along rows and along columns within blocks.

    Rows are additive across the ``additive`` columns only (nested counts are not parts
    of a row total); columns are additive within the blocks of every partition. A
    nested count follows its parent. Each pass is vectorised over rows (and over
    block-columns); passes repeat until a fixed point. Every pass withholds at least
    one more cell or stops, so the loop ends after at most ``values.size`` passes (in
    practice two or three).
    """
    mask = mask.copy()
    n_rows = values.shape[0]
    # a published cell's cost: smallest positive first, zeros last
    cost = np.where(values > 0, values, np.inf)
    for _ in range(values.size + 1):
        before = int(mask.sum())
        if len(additive) > 1:
            part = mask[:, additive]
            rows = np.flatnonzero(part.sum(axis=1) == 1)
            if len(rows):
                pick = _cheapest(cost[rows][:, additive], part[rows])
                ok = pick >= 0
                mask[rows[ok], additive[pick[ok]]] = True
        for child, parent in pairs:
            mask[:, child] |= mask[:, parent]
        if n_rows > 1:
            for blocks in partitions:
                _protect_columns(cost, mask, blocks)
        if int(mask.sum()) == before:
            break
    return mask


def _protect_columns(cost: np.ndarray, mask: np.ndarray, blocks: np.ndarray) -> None:
    """Within each block, no column may hold exactly one withheld cell (in place)."""
    order = np.argsort(blocks, kind="stable")
    bounds = np.flatnonzero(np.diff(blocks[order])) + 1
    for rows in np.split(order, bounds):  # blocks are few (areas, periods), not rows
        if len(rows) < 2:
            continue
        sub = mask[rows]
        cols = np.flatnonzero(sub.sum(axis=0) == 1)
        if not len(cols):
            continue
        pick = _cheapest(cost[rows][:, cols].T, sub[:, cols].T)
        ok = pick >= 0
        mask[rows[pick[ok]], cols[ok]] = True


def _cheapest(cost: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per line, the position of the cheapest published cell (-1 if none is left)."""
    # zeros (infinite cost) are picked only when nothing positive is left
    c = np.where(mask, np.inf, np.where(np.isinf(cost), 1e300, cost))
    available = ~mask
    return np.where(available.any(axis=1), np.argmin(c, axis=1), -1)
