"""Periods looked after (the canonical ``care_episodes`` table) for the synthetic world.

A deliberately simple account of the SSDA903 episodes of children in proceedings:

* a child whose proceedings end (or will end) in a care or placement order is looked
  after from the issue date under an interim care order (LS ``C1``, foster care ``U6``);
* at disposal that episode ceases with REC ``X1`` (a new episode starts the same day)
  and a new one starts with LS ``C2`` (full care order; placement ``U4``, long-term
  foster care, or ``K2``, a children's home, for children 12 and over) or ``E1``
  (placement order; placement ``A6``, placed for adoption under a placement order);
* a ``C2`` episode ends at 18 (REC ``E17``, remained with carers, for foster care;
  ``E8`` otherwise) or death (``E2``); an ``E1`` episode ends at adoption (REC ``E11``
  unopposed, or ``E12`` consent dispensed with, alternating by child) or death;
* anything still open at the extract date has no end date.

Children on other orders (supervision, SGO, child arrangements) are not looked after
here, although in life some are accommodated during proceedings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from outcomes.schema import CARE_EPISODES

from ._codec import NA_DAY, NumRows, ProceedingsCodec, days_to_datetime
from ._frames import label_strings
from ._time import DAYS_PER_YEAR

NEVER = np.iinfo(np.int64).max // 8
LEGAL_STATUS = ("C1", "C2", "E1")
REASON_CEASED = ("X1", "E2", "E11", "E12", "E17", "E8")
PLACEMENT = ("U6", "U4", "K2", "A6")


def _first_day(size: int, child: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Per child number ``0..size-1``, the earliest ``day`` recorded (NEVER if none)."""
    out = np.full(size, NEVER, dtype=np.int64)
    np.minimum.at(out, child, day)
    return out


def care_episodes(
    num: NumRows,
    cols: dict[str, np.ndarray],
    orders: list[str],
    event_child: np.ndarray,
    event_day: np.ndarray,
    event_type: np.ndarray,
    extract: int,
    codec: ProceedingsCodec,
) -> pd.DataFrame:
    """Build ``care_episodes`` (see module docstring) from the numeric clean rows.

    ``cols["order"]`` is the latent order (also for proceedings still open at the
    extract) and ``cols["disposal"]`` the latent disposal day; ``event_*`` are the
    child events (type 0 adopted, 1 died) by child number.
    """
    latent = cols["order"]
    po = orders.index("placement_order")
    looked_after = (latent == orders.index("care_order")) | (latent == po)
    idx = np.flatnonzero(looked_after)
    if len(idx) == 0:
        return CARE_EPISODES.empty()
    child = num["cid"][idx]
    issue = num["issue"][idx]
    disposal = cols["disposal"][idx]
    dob = num["dob"][idx]
    placement_order = latent[idx] == po

    size = int(num["cid"].max(initial=0)) + 1
    adopted, died = event_type == 0, event_type == 1
    adopt_day = _first_day(size, event_child[adopted], event_day[adopted])[child]
    death_day = _first_day(size, event_child[died], event_day[died])[child]
    eighteen = dob + int(np.floor(18 * DAYS_PER_YEAR))
    age_at_disposal = (disposal - dob) / DAYS_PER_YEAR

    # interim episode: issue -> disposal (or death)
    i_end = np.minimum(disposal, death_day)
    i_rec = np.where(death_day < disposal, 1, 0)  # E2 / X1
    # the episode after the order
    f_end_natural = np.where(placement_order, adopt_day, eighteen)
    f_end = np.minimum(f_end_natural, death_day)
    f_place = np.where(placement_order, 3, np.where(age_at_disposal >= 12, 2, 1))
    f_rec = np.where(
        death_day <= f_end_natural,
        1,
        np.where(placement_order, np.where(child % 2 == 1, 2, 3), np.where(f_place == 2, 5, 4)),
    )
    has_final = (disposal <= extract) & (death_day > disposal)

    start = np.concatenate([issue, disposal[has_final]])
    end = np.concatenate([i_end, f_end[has_final]])
    rec = np.concatenate([i_rec, f_rec[has_final]])
    ls = np.concatenate(
        [np.zeros(len(issue), np.int64), np.where(placement_order[has_final], 2, 1)]
    )
    place = np.concatenate([np.zeros(len(issue), np.int64), f_place[has_final]])
    ids = np.concatenate([child, child[has_final]])
    # the episodes started by the extract date, by child and start, one per (child_id,
    # start_date) to keep the table keyed: the rows are picked first, then taken once
    rows = np.flatnonzero(start <= extract)
    kid, day = ids[rows], start[rows]
    rows = rows[np.argsort(kid * (np.int64(1) << 20) + (day - day.min(initial=0)), kind="stable")]
    kid, day = ids[rows], start[rows]
    rows = rows[np.r_[True, (kid[1:] != kid[:-1]) | (day[1:] != day[:-1])]]
    ids, start, end, rec, ls, place = (a[rows] for a in (ids, start, end, rec, ls, place))
    open_ = end > extract
    frame = pd.DataFrame(
        {
            "child_id": codec._ids("C", ids, codec.width_c),
            "start_date": days_to_datetime(start),
            "end_date": days_to_datetime(np.where(open_, NA_DAY, end)),
            "legal_status": label_strings(LEGAL_STATUS, ls),
            "reason_ceased": label_strings(REASON_CEASED, rec, open_),
            "placement": label_strings(PLACEMENT, place),
        },
        copy=False,  # every column is a fresh array
    )
    return frame[CARE_EPISODES.names]
