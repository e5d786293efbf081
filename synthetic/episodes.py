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

from ._codec import NA_DAY, NumRows, days_to_datetime
from ._frames import FixedText, label_text, text_series
from ._sorting import sort_order
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
    child_id: FixedText,
) -> pd.DataFrame:
    """Build ``care_episodes`` (see module docstring) from the numeric clean rows.

    ``cols["order"]`` is the latent order (also for proceedings still open at the
    extract) and ``cols["disposal"]`` the latent disposal day; ``event_*`` are the
    child events (type 0 adopted, 1 died) by child number; ``child_id`` is the clean
    rows' ``child_id`` column.

    Rows are in issue order, and a child's next proceedings are issued after the
    earlier ones were disposed of: grouped by child, the proceedings are in time order,
    and each one's interim episode followed by its final one puts the child's episodes
    in order of start, with no sort of the episodes themselves.
    """
    latent = cols["order"]
    po = orders.index("placement_order")
    idx = np.flatnonzero((latent == orders.index("care_order")) | (latent == po))
    if len(idx) == 0:
        return CARE_EPISODES.empty()
    idx = idx[sort_order((num["cid"][idx],))]  # by child, then in issue order
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

    # the episode after the order, from disposal (all rows are issued by the extract,
    # so every interim episode has started by then; a final one when disposed by then)
    has_final = (disposal <= extract) & (death_day > disposal)
    f_end_natural = np.where(placement_order, adopt_day, eighteen)
    f_place = np.where(placement_order, 3, np.where(disposal - dob >= 12 * DAYS_PER_YEAR, 2, 1))
    f_rec = np.where(
        death_day <= f_end_natural,
        1,
        np.where(placement_order, np.where(child % 2 == 1, 2, 3), np.where(f_place == 2, 5, 4)),
    )
    # each proceedings' interim episode, then its final one when it has one
    interim = np.arange(len(idx)) + np.cumsum(has_final) - has_final
    final = interim[has_final] + 1
    m = len(idx) + len(final)

    def episodes(
        interim_value: np.ndarray | int, final_value: np.ndarray, dtype: type = np.int64
    ) -> np.ndarray:
        out: np.ndarray = np.empty(m, dtype=dtype)
        out[interim] = interim_value
        out[final] = final_value[has_final]
        return out

    start = episodes(issue, disposal)
    # interim: ends at disposal or death (REC X1 / E2); final: at adoption or 18, or death
    end = episodes(np.minimum(disposal, death_day), np.minimum(f_end_natural, death_day))
    # codes of the labels below, int8: an eighth of the memory
    rec = episodes(np.where(death_day < disposal, 1, 0), f_rec, np.int8)
    ls = episodes(0, np.where(placement_order, 2, 1), np.int8)
    place = episodes(0, f_place, np.int8)
    prow = episodes(idx, idx)  # the proceedings row of each episode
    # one episode per (child_id, start_date), to keep the table keyed
    kid = num["cid"][prow]
    keep = np.flatnonzero(np.r_[True, (kid[1:] != kid[:-1]) | (start[1:] != start[:-1])])
    if len(keep) < m:
        start, end, rec, ls, place, prow = (a[keep] for a in (start, end, rec, ls, place, prow))
    open_ = end > extract
    return pd.DataFrame(
        {  # in the order of CARE_EPISODES
            "child_id": text_series(child_id.take(prow)),
            "start_date": days_to_datetime(start),
            "end_date": days_to_datetime(np.where(open_, NA_DAY, end)),
            "legal_status": text_series(label_text(LEGAL_STATUS, ls)),
            "reason_ceased": text_series(label_text(REASON_CEASED, rec, open_)),
            "placement": text_series(label_text(PLACEMENT, place)),
        },
        copy=False,  # every column is a fresh array
    )
