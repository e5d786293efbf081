"""Which date is probably mistyped, and how: day/month swaps and year typos.

A mistyped date is often still a valid date, so no reader can reject it; it can only be
caught by comparing it with what else is known. For each of ``issue_date``,
``disposal_date`` and ``child_dob`` of a row, six *candidate corrections* are formed:

* the **day/month swap** (``2016-05-03`` for ``2016-03-05``), where the day is 12 or less
  and differs from the month -- the only swaps a day-first reader accepts silently;
* five **year typos**: the last two digits transposed (``2061`` for ``2016``), the
  year ten more or ten less (``2001`` typed for ``2011``) and a hundred more or less
  (``2112`` for ``2012``).

A candidate is *supported* by

``episode`` (weight 4, or -4 against)
    the child's care episodes (SSDA903: an interim care order starts on the issue
    date; at disposal an episode ends and the order's episode starts) hold the
    candidate date and not the recorded one; when they hold the recorded date and not
    the candidate, they count as much against it (two siblings mistyped alike outvote
    a third, but not the episodes);
``siblings`` (weight 2; 1 for a tie)
    other rows of the same proceedings (issue and disposal dates are shared by
    siblings) or of the same child (date of birth) hold the candidate more often than
    rows (this one included) hold the recorded value;
``rules`` (weight 2 when it is the only candidate of the row that does so, else 1)
    the row breaks a consistency rule -- issued before birth, aged 18 or over at
    issue, disposed before issue, a date after the extract, a duration over
    :data:`RULE_MAX_DURATION_DAYS`, a mother younger than :data:`MIN_MOTHER_AGE` or
    older than :data:`MAX_MOTHER_AGE` at the child's birth, an order of
    :data:`ORDERS_BARRED_AT_17` made at :data:`ORDER_AGE_LIMIT` or over -- and the
    candidate mends every broken rule without changing a value that another row or a
    care episode confirms (a birth recorded after the issue is not mended by moving an
    issue date that the interim care order confirms). Candidates of one column and
    kind count as one (``2001`` and ``2010`` for ``2011`` are both "a year typo in
    this column"). When several
    explanations mend the row, a lone mending swap counts as the only mend (a rule
    broken by a small margin -- a birth days after the issue -- is best explained by a
    shift of months, not of years); failing that, a lone transposition of two digits
    (the commonest slip) does.

Care episodes are matched at the level of the proceedings (an interim care order, LS
C1, of any of the siblings starts on the shared issue date), and a date of birth is supported by a
care episode that ends on the candidate's 18th birthday (give or take a day) with a
reason of leaving care as an adult (:data:`LEFT_CARE_AT_18`). A candidate issue or
disposal date that is another proceedings' date for the same child is not supported by
episodes (it matches that other proceedings' episodes).

Each row gets at most one diagnosis: the candidate with the highest total weight, if
that is at least 2. A pair of rows that disagree with nothing else to go on is
symmetric (each is the other's swap) and is left as a mismatch, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DATE_COLUMNS = ("issue_date", "disposal_date", "child_dob")
KINDS = ("day_month_swap", "year_typo", "year_typo", "year_typo", "year_typo", "year_typo")
"""Kind of each candidate: the swap, then the year typos (transposed, +-10, +-100)."""
N_CAND = len(KINDS)
DAYS_PER_YEAR = 365.25
MAX_DURATION_DAYS = int(4 * DAYS_PER_YEAR)
"""Proceedings longer than four years are taken to hold a wrong date (the statutory
limit is 26 weeks; the slowest recorded cases run to about three years)."""
RULE_MAX_DURATION_DAYS = int(8 * DAYS_PER_YEAR)
"""Durations beyond this are certainly wrong (a year typo moves a date by 9 years or more;
a day/month swap by less than one)."""
MIN_MOTHER_AGE = 13.0
MAX_MOTHER_AGE = 55.0
ORDER_AGE_LIMIT = 17.0
"""No care or supervision order may be made for a child who has reached 17
(s31(3) Children Act 1989); a placement order leads to adoption, which must be
applied for before 18."""
ORDERS_BARRED_AT_17 = ("care_order", "supervision_order", "placement_order")
ADULT_DAYS = 18 * DAYS_PER_YEAR
EIGHTEEN_YEARS_DAYS = 6_574
LEFT_CARE_AT_18 = ("E17", "E5", "E6", "E7", "E8")
"""903 reasons an episode ceases that mark leaving care as an adult (remained with
carers, independent living, adult social care, other)."""
ACCEPT = 2
EVIDENCE = ("rules", "other rows", "care episodes")


@dataclass
class DateDiagnosis:
    """Rows whose date is probably mistyped.

    Attributes
    ----------
    position : ndarray of int
        Positions in the rows frame.
    column, kind, evidence : ndarray of str
    observed, suggested : ndarray of datetime64[D]
    """

    position: np.ndarray
    column: np.ndarray
    kind: np.ndarray
    evidence: np.ndarray
    observed: np.ndarray
    suggested: np.ndarray


def days(values: pd.Series) -> np.ndarray:
    """Dates as float days since 1970-01-01 (NaN when missing)."""
    raw = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = raw.astype(np.int64).astype(np.float64)
    out[np.isnat(raw)] = np.nan
    return out


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    whole = np.where(np.isnan(d), 0, d).astype(np.int64).astype("datetime64[D]")
    month_start = whole.astype("datetime64[M]")
    year = whole.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (whole - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _compose(year: np.ndarray, month: np.ndarray, day: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Days of (year, month, day), NaN where ``ok`` is False or no such day exists."""
    months = (year - 1970) * 12 + (month - 1)
    start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - start
    valid = ok & (day >= 1) & (day <= length) & (month >= 1) & (month <= 12)
    return np.where(valid, start + day - 1, np.nan).astype(np.float64)


def candidates(d: np.ndarray) -> list[np.ndarray]:
    """The candidate corrections of each date, in :data:`KINDS` order (NaN where not
    applicable)."""
    present = ~np.isnan(d)
    y, m, dd = _ymd(d)
    swap = _compose(y, dd, m, present & (dd <= 12) & (dd != m))
    transposed = (y // 100) * 100 + (y % 10) * 10 + (y // 10) % 10
    return [
        swap,
        _compose(transposed, m, dd, present & (transposed != y)),
        _compose(y + 10, m, dd, present),
        _compose(y - 10, m, dd, present),
        _compose(y + 100, m, dd, present),
        _compose(y - 100, m, dd, present),
    ]


def violations(
    dob: np.ndarray,
    issue: np.ndarray,
    disposal: np.ndarray,
    extract: float,
    mother_dob: np.ndarray,
    barred: np.ndarray,
) -> np.ndarray:
    """Rows breaking a date consistency rule (see module docstring).

    ``barred`` marks the rows whose final order is one of :data:`ORDERS_BARRED_AT_17`.
    """
    with np.errstate(invalid="ignore"):
        mother_age = (dob - mother_dob) / DAYS_PER_YEAR
        return (
            (issue < dob)
            | (issue - dob >= ADULT_DAYS)
            | (disposal < issue)
            | (disposal - issue > RULE_MAX_DURATION_DAYS)
            | (mother_age < MIN_MOTHER_AGE)
            | (mother_age > MAX_MOTHER_AGE)
            | (dob > extract)
            | (issue > extract)
            | (disposal > extract)
            | (barred & (disposal - dob >= ORDER_AGE_LIMIT * DAYS_PER_YEAR))
        )


_OFFSET = 100_000
_SPAN = 400_000
"""(group, day) keys are ``group * _SPAN + day + _OFFSET``: unique for years 1697-2791."""


class _Lookup:
    """Counts of (group, day) pairs, looked up for many (group, day) queries at once."""

    def __init__(self, group: np.ndarray, day: np.ndarray) -> None:
        ok = (group >= 0) & ~np.isnan(day)
        keys = group[ok] * _SPAN + (day[ok].astype(np.int64) + _OFFSET)
        self.keys, self.counts = np.unique(keys, return_counts=True)

    def count(self, group: np.ndarray, day: np.ndarray) -> np.ndarray:
        ok = (group >= 0) & ~np.isnan(day)
        keys = group * _SPAN + (np.where(ok, day, 0).astype(np.int64) + _OFFSET)
        pos = np.clip(np.searchsorted(self.keys, keys), 0, max(len(self.keys) - 1, 0))
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64)
        found = ok & (self.keys[pos] == keys)
        return np.where(found, self.counts[pos], 0)


def _near(found: _Lookup, key: np.ndarray, dob: np.ndarray) -> np.ndarray:
    """Whether ``found`` holds (key, the 18th birthday of ``dob``).

    18 years are 6,574 or 6,575 days (four or five 29 Februaries); a day either side is
    allowed for recording.
    """
    day = dob + EIGHTEEN_YEARS_DAYS
    hits = sum(found.count(key, day + shift) for shift in (-1, 0, 1, 2))
    return np.asarray(hits) > 0


Witnesses = dict[str, tuple[np.ndarray, _Lookup]]
"""Per date column: the group key of each row and the dates its witnesses hold."""


def diagnose(
    frame: pd.DataFrame,
    episodes: pd.DataFrame | None,
    extract: pd.Timestamp,
    skip: np.ndarray,
    ids: IdCodes,
) -> DateDiagnosis:
    """Find the probably mistyped dates of ``frame`` (see the module docstring).

    Four steps: gather the witnesses (sibling rows, care episodes), score every candidate
    correction of every date, favour small shifts where several corrections mend a rule,
    and keep the best-scoring correction of each row that scores enough.

    Parameters
    ----------
    frame : DataFrame
        All proceedings rows (kept and quarantined), typed.
    episodes : DataFrame, optional
        ``care_episodes``.
    extract : Timestamp
    skip : ndarray of bool
        Rows not to diagnose (duplicates of an earlier row).
    ids : IdCodes
        The frame's ID codes.
    """
    obs = {c: days(frame[c]) for c in DATE_COLUMNS}
    extract_day = float(np.datetime64(extract.date(), "D").astype(np.int64))
    pid = ids.proceedings_id.copy()
    pid[skip] = -1  # a duplicate is not a second witness
    child_witness = np.where(skip, -1, ids.child_id)
    sib = {
        "issue_date": (pid, _Lookup(pid, obs["issue_date"])),
        "disposal_date": (pid, _Lookup(pid, obs["disposal_date"])),
        "child_dob": (child_witness, _Lookup(child_witness, obs["child_dob"])),
    }
    ep = _episode_witnesses(episodes, ids, pid)
    score, fix, evidence = _score_candidates(frame, obs, extract_day, sib, ep, ids, child_witness)
    score += np.where(fix, np.where(_strong_fixes(fix), 2, 1), 0).astype(np.int8)
    score[:, skip] = 0
    return _best(score, evidence, obs)


def _episode_witnesses(episodes: pd.DataFrame | None, ids: IdCodes, pid: np.ndarray) -> Witnesses:
    """The care episodes' dates, as witnesses of each proceedings' (and child's) dates."""
    ep: Witnesses = {}
    if episodes is None or not len(episodes):
        return ep
    child = ids.child_id
    ep_child = ids.child_of(episodes["child_id"]).astype(np.int64)
    start = days(episodes["start_date"])
    end = days(episodes["end_date"])
    # episode dates of every child of the proceedings, keyed by proceedings
    link = pd.DataFrame({"g": pid, "c": child}).loc[pid >= 0].drop_duplicates()
    by_child = pd.DataFrame(
        {
            "c": ep_child,
            "start": start,
            "end": end,
            "c1": (episodes["legal_status"] == "C1").to_numpy(dtype=bool),
        }
    )
    joined = link.merge(by_child, on="c")
    g = joined["g"].to_numpy(dtype=np.int64)
    # proceedings start with an interim care order (C1), not any episode
    c1 = joined["c1"].to_numpy(dtype=bool)
    ep["issue_date"] = (pid, _Lookup(g[c1], joined["start"].to_numpy()[c1]))
    ep["disposal_date"] = (
        pid,
        _Lookup(np.concatenate([g, g]), np.concatenate([joined["start"], joined["end"]])),
    )
    # an episode that ends at 18 (leaving care as an adult) dates the birth
    at_18 = episodes["reason_ceased"].isin(LEFT_CARE_AT_18).to_numpy(dtype=bool)
    ep["child_dob"] = (child, _Lookup(ep_child[at_18], end[at_18]))
    return ep


def _score_candidates(
    frame: pd.DataFrame,
    obs: dict[str, np.ndarray],
    extract_day: float,
    sib: Witnesses,
    ep: Witnesses,
    ids: IdCodes,
    child_witness: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score every candidate correction of every date of every row.

    Returns
    -------
    score : ndarray of int8, shape (columns x candidates, rows)
        Witness points: siblings that hold the candidate rather than the value, care
        episodes that agree with it (or only with the value).
    fix : ndarray of bool, same shape
        The candidate mends a broken rule of a row whose value no second source confirms.
    evidence : ndarray of int8, same shape
        Index into :data:`EVIDENCE` of what supports the candidate.
    """
    n = len(frame)
    child = ids.child_id
    mother = days(frame["mother_dob"])
    barred = frame["final_order"].isin(ORDERS_BARRED_AT_17).to_numpy(dtype=bool)
    broken = violations(
        obs["child_dob"], obs["issue_date"], obs["disposal_date"], extract_day, mother, barred
    )
    m = len(DATE_COLUMNS) * N_CAND
    score = np.zeros((m, n), dtype=np.int8)
    fix = np.zeros((m, n), dtype=bool)
    evidence = np.zeros((m, n), dtype=np.int8)  # index into EVIDENCE
    # the rule checks need only the rows that break a rule
    bad = np.flatnonzero(broken)
    obs_bad = {c: obs[c][bad] for c in DATE_COLUMNS}
    for k, column in enumerate(DATE_COLUMNS):
        group, lookup = sib[column]
        own = lookup.count(group, obs[column])
        own_child = _Lookup(child_witness, obs[column])
        hit_obs = None
        if column in ep:
            key, found = ep[column]
            if column == "child_dob":
                hit_obs = _near(found, key, obs[column])
            else:
                hit_obs = found.count(key, obs[column]) > 0
        # a value another row or a care episode holds too is confirmed: changing it
        # would mend a rule by breaking agreement with a second source
        confirmed = (own > 1) if hit_obs is None else (own > 1) | hit_obs
        for j, cand in enumerate(candidates(obs[column])):
            row = k * N_CAND + j
            trial = {c: (cand[bad] if c == column else obs_bad[c]) for c in DATE_COLUMNS}
            mends = ~np.isnan(cand[bad]) & ~violations(
                trial["child_dob"],
                trial["issue_date"],
                trial["disposal_date"],
                extract_day,
                mother[bad],
                barred[bad],
            )
            fix[row, bad] = mends & ~confirmed[bad]
            others_cand = lookup.count(group, cand)
            # more witnesses for the candidate than for the value (the row included)
            # outvote it; as many is a tie, which needs other evidence to settle
            sibling = np.where(
                others_cand > own, 2, np.where((others_cand == own) & (others_cand > 0), 1, 0)
            )
            episode = np.zeros(n, dtype=np.int64)
            if hit_obs is not None:
                key, found = ep[column]
                if column == "child_dob":
                    hit_cand = _near(found, key, cand)
                else:
                    # a candidate that is another proceedings' date of the same child
                    # matches that proceedings' episodes, not this one's
                    hit_cand = (found.count(key, cand) > 0) & (own_child.count(child, cand) == 0)
                episode = np.where(hit_cand & ~hit_obs, 4, np.where(hit_obs & ~hit_cand, -4, 0))
            score[row] = sibling + episode
            evidence[row] = np.where(episode > 0, 2, np.where(sibling > 0, 1, 0))
    return score, fix, evidence


def _strong_fixes(fix: np.ndarray) -> np.ndarray:
    """Which mending candidates count double: the only explanation, or the smallest shift."""
    # candidates of one column and kind are one explanation
    kinds = np.array([i // N_CAND * 2 + (i % N_CAND > 0) for i in range(fix.shape[0])])
    explanations = np.vstack([fix[kinds == k].any(axis=0) for k in np.unique(kinds)])
    unique_fix = explanations.sum(axis=0) == 1
    # several explanations mend the row: a rule broken by a small margin is best
    # explained by a small shift, so a lone mending swap (which moves a date by months)
    # wins over year typos (years); failing that, two transposed digits (the commonest
    # slip) win over a wrong tens or hundreds digit
    index = np.arange(fix.shape[0])
    is_swap = index % N_CAND == 0
    transposed = index % N_CAND == 1
    only_swap = ~unique_fix & ((fix & is_swap[:, None]).sum(axis=0) == 1)
    only_transposition = ~unique_fix & ((fix & transposed[:, None]).sum(axis=0) == 1)
    only_transposition &= ~(fix & is_swap[:, None]).any(axis=0)
    strong: np.ndarray = (
        unique_fix | (only_swap & is_swap[:, None]) | (only_transposition & transposed[:, None])
    )
    return strong


def _best(score: np.ndarray, evidence: np.ndarray, obs: dict[str, np.ndarray]) -> DateDiagnosis:
    """The best-scoring correction of each row, where it scores at least :data:`ACCEPT`."""
    n = score.shape[1]
    best = np.argmax(score, axis=0)
    top = score[best, np.arange(n)]
    chosen = np.flatnonzero(top >= ACCEPT)
    which = best[chosen]
    col_index = which // N_CAND
    kind_index = which % N_CAND
    ev = evidence[which, chosen]
    obs_matrix = np.vstack([obs[c][chosen] for c in DATE_COLUMNS])
    observed = obs_matrix[col_index, np.arange(len(chosen))]
    # the suggested dates, recomputed for the chosen rows only
    sug = np.vstack(candidates(observed))[kind_index, np.arange(len(chosen))]
    obs_matrix = observed
    return DateDiagnosis(
        position=chosen,
        column=np.asarray(DATE_COLUMNS, dtype=object)[col_index],
        kind=np.asarray(KINDS, dtype=object)[kind_index],
        evidence=np.asarray(EVIDENCE, dtype=object)[ev],
        observed=obs_matrix.astype(np.int64).astype("datetime64[D]"),
        suggested=sug.astype(np.int64).astype("datetime64[D]"),
    )


class IdCodes:
    """Integer codes of the ID columns (-1 when missing), factorised once."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.proceedings_id = pd.factorize(frame["proceedings_id"])[0].astype(np.int64)
        child, self.children = pd.factorize(frame["child_id"])
        self.child_id = child.astype(np.int64)

    def __getitem__(self, column: str) -> np.ndarray:
        return self.proceedings_id if column == "proceedings_id" else self.child_id

    def child_of(self, ids: pd.Series) -> np.ndarray:
        """Codes of other child IDs (-1 for a child with no proceedings row)."""
        return pd.Index(self.children).get_indexer(ids.astype(self.children.dtype))


def conflicts(frame: pd.DataFrame, skip: np.ndarray, ids: IdCodes) -> dict[str, np.ndarray]:
    """Rows disagreeing with other rows of the same proceedings or child.

    Returns, per date column, a boolean mask of rows whose value is not the most common
    value of their group (issue and disposal dates within proceedings, date of birth
    within child); in a group with a tie every disagreeing row is marked.
    """
    out = {}
    for column, key in (
        ("issue_date", "proceedings_id"),
        ("disposal_date", "proceedings_id"),
        ("child_dob", "child_id"),
    ):
        d = days(frame[column])
        g = ids[key]
        ok = (g >= 0) & ~np.isnan(d) & ~skip
        pairs = pd.DataFrame({"g": g[ok], "d": d[ok]})
        n_values = pairs.drop_duplicates().groupby("g").size()
        multi = np.zeros(int(g.max(initial=0)) + 2, dtype=bool)
        multi[n_values.index[n_values.to_numpy() > 1].to_numpy()] = True
        in_multi = ok & multi[np.maximum(g, 0)]
        counts = pairs.groupby(["g", "d"]).size().rename("n").reset_index()
        top = counts.groupby("g")["n"].transform("max")
        modal = counts.loc[counts["n"] == top]
        unique_mode = modal.groupby("g").size() == 1
        lookup = _Lookup(g, np.full(len(g), np.nan))
        lookup.keys = modal["g"].to_numpy() * _SPAN + (
            modal["d"].to_numpy().astype(np.int64) + _OFFSET
        )
        order = np.argsort(lookup.keys)
        lookup.keys = lookup.keys[order]
        lookup.counts = np.ones(len(order), dtype=np.int64)
        is_modal = lookup.count(g, d) > 0
        single_mode = np.zeros(len(multi), dtype=bool)
        single_mode[unique_mode.index[unique_mode.to_numpy()].to_numpy()] = True
        out[column] = in_multi & (~is_modal | ~single_mode[np.maximum(g, 0)])
    return out
