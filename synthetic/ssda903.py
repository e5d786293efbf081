"""SSDA903 (children looked after) files for a synthetic world.

The SSDA903 return is what English LAs send the Department for Education about every
child they look after. Two of its tables are written here, one row per child and per
episode, as CSV with the return's column names and codes (dates ``dd/mm/yyyy``):

**header.csv** -- ``CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB``

* ``SEX``: 1 male, 2 female (the return has no "unknown": sex ``U`` children are coded
  by child number parity, a synthetic choice);
* ``ETHNIC``: the census-based codes WBRI, WIRI, WIRT, WOTH, WROM, MWBC, MWBA, MWAS,
  MOTH, AIND, APKN, ABAN, AOTH, BCRB, BAFR, BOTH, CHNE, OOTH, REFU, NOBT, drawn with
  fixed shares (an assumption; ethnicity plays no part in the model);
* ``UPN``: unique pupil number; here a synthetic letter and 12 digits that is *not* a
  valid UPN (no check letter) so it can never match a real pupil;
* ``MOTHER``: whether the looked-after child is herself a mother (1/0; blank for boys)
  and ``MC_DOB`` her child's date of birth -- the synthetic world does not model this,
  so ``MOTHER`` is 0 for girls and ``MC_DOB`` blank.

**episodes.csv** -- ``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN``

* ``RNE`` reason for new episode: S started to be looked after; L change of legal status
  only; P change of placement and carer only; T change of both legal status and
  placement at the same time; B, U changes with the same carer (not used here);
* ``LS`` legal status: C1 interim care order, C2 full care order, E1 placement order
  granted, D1 freeing order, V2 single period of s20 accommodation, V3/V4 short breaks,
  J1-J3 youth justice, L1-L3 police protection / emergency protection / child
  assessment order (this world uses C1, C2, E1);
* ``CIN`` category of need: N1 abuse or neglect, N2 child's disability, N3 parental
  illness or disability, N4 family in acute stress, N5 family dysfunction, N6 socially
  unacceptable behaviour, N7 low income, N8 absent parenting;
* ``PLACE`` placement: U1-U3 foster care with relatives or friends (long-term, FFA,
  other), U4-U6 with other foster carers (long-term, FFA, other), A3-A6 placed for
  adoption (A5/A6 under a placement order), K2 children's home, P1 with parents, R1
  residential care home, H5 semi-independent living (this world uses U6, U4, K2, A6);
* ``PLACE_PROVIDER``: PR0 parent, PR1 own LA, PR2 other LA, PR3 other public, PR4
  private, PR5 voluntary;
* ``REC`` reason episode ceased: E11 adopted (unopposed), E12 adopted (consent
  dispensed with), E13 left care to live with parents or others without parental
  responsibility, E2 died, E3 care taken over by another LA, E41 residence / child
  arrangements order, E45-E48 special guardianship orders (to former foster carers or
  other carers, relatives/friends or not), E4A returned home as part of the care plan,
  E4B returned home not as part of the plan, E5/E6 independent living, E7 adult social
  care, E8 ceased for any other reason, E9 sentenced to custody, E14 remand ended, E15
  removed from placement, E16 moved abroad, E17 aged 18 and remained with carers, X1
  episode ceases and a new one begins the same day;
* ``REASON_PLACE_CHANGE``: CARPL change to or implementation of the care plan (others:
  CLOSE, ALLEG, STAND, APPRR, CREQB, CREQO, CHILD, LAREQ, PLACE, CUSTOD, OTHER); blank
  when the placement did not change;
* ``HOME_POST``/``PL_POST``: postcode districts; here the pseudo-postcode ``ZZ99`` so no
  real place is implied; ``URN``: Ofsted unique reference number of the placement
  provider, ``SC`` + six digits for children's homes, ``XXXXXXX`` when not applicable.

A real return covers one year ending 31 March and the episodes open in it; this writer
puts every episode of the world in one file (filter by ``DECOM``/``DEC`` for a year).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._rng import Streams

if TYPE_CHECKING:
    from .world import World

HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODE_COLUMNS = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
ETHNIC_CODES = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
    "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip
ETHNIC_SHARES = (
    0.70, 0.005, 0.005, 0.04, 0.01, 0.03, 0.01, 0.01, 0.03, 0.01,
    0.02, 0.01, 0.01, 0.015, 0.03, 0.01, 0.002, 0.02, 0.003, 0.02,
)  # fmt: skip
CIN_CODES = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
CIN_SHARES = (0.66, 0.03, 0.04, 0.07, 0.14, 0.02, 0.005, 0.035)


def _date(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%d/%m/%Y").astype(object).where(values.notna(), "")


def as_recorded(ep: pd.DataFrame) -> pd.DataFrame:
    """Episodes (sorted by child and start) as a return records them: one at a time.

    The world lets a child's new proceedings begin while an earlier order's episode is
    still open (or runs past the new start). A return cannot hold overlapping or open
    earlier episodes (the 903 validation rules reject them): the earlier episode
    ceases with ``X1`` the day the next begins, as a legal status change would record.
    """
    child = ep["child_id"].to_numpy(dtype=object)
    same_next = np.r_[child[1:] == child[:-1], False]
    start = ep["start_date"].to_numpy()
    next_start = np.r_[start[1:], np.datetime64("NaT")].astype(start.dtype)
    end = ep["end_date"].to_numpy()
    cut = same_next & (np.isnat(end) | (end > next_start))
    if cut.any():
        ep = ep.copy()
        ep.loc[cut, "end_date"] = next_start[cut]
        ep["reason_ceased"] = ep["reason_ceased"].astype(object)
        ep.loc[cut, "reason_ceased"] = "X1"
    return ep


def ssda903_tables(world: World, seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The header and episode tables of a world's children looked after."""
    rng = Streams(world.seed if seed is None else seed).get("ssda903")
    ep = world.dataset.care_episodes
    if ep is None or ep.empty:
        return (
            pd.DataFrame(columns=list(HEADER_COLUMNS)),
            pd.DataFrame(columns=list(EPISODE_COLUMNS)),
        )
    ep = as_recorded(
        ep.sort_values(["child_id", "start_date"], kind="stable").reset_index(drop=True)
    )
    children = ep["child_id"].drop_duplicates().to_numpy(dtype=object)
    people = world.clean.drop_duplicates("child_id").set_index("child_id")
    sex = people.loc[children, "child_sex"].to_numpy(dtype=object)
    number = np.array([int(c[1:]) for c in children])
    sex_code = np.where(
        sex == "M", "1", np.where(sex == "F", "2", np.where(number % 2 == 0, "1", "2"))
    )
    ethnic = rng.choice(
        np.asarray(ETHNIC_CODES),
        size=len(children),
        p=np.asarray(ETHNIC_SHARES) / np.sum(ETHNIC_SHARES),
    )
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    upn = [
        f"{letters[i]}{d:012d}"
        for i, d in zip(
            rng.integers(0, len(letters), len(children)).tolist(),
            rng.integers(0, 10**12, len(children)).tolist(),
            strict=True,
        )
    ]
    header = pd.DataFrame(
        {
            "CHILD": children,
            "SEX": sex_code,
            "DOB": _date(people.loc[children, "child_dob"].reset_index(drop=True)).to_numpy(),
            "ETHNIC": ethnic,
            "UPN": upn,
            "MOTHER": np.where(sex_code == "2", "0", ""),
            "MC_DOB": "",
        }
    )

    child = ep["child_id"].to_numpy(dtype=object)
    prev_same = np.r_[False, child[1:] == child[:-1]]
    end = ep["end_date"].to_numpy()
    prev_end = np.concatenate([np.array(["NaT"], dtype=end.dtype), end[:-1]])
    continues = prev_same & (prev_end == ep["start_date"].to_numpy())
    blank = np.array([""], dtype=object)
    prev_place = np.concatenate([blank, ep["placement"].to_numpy(dtype=object)[:-1]])
    prev_ls = np.concatenate([blank, ep["legal_status"].to_numpy(dtype=object)[:-1]])
    place = ep["placement"].to_numpy(dtype=object)
    ls = ep["legal_status"].to_numpy(dtype=object)
    place_changed = place != prev_place
    ls_changed = ls != prev_ls
    rne = np.where(
        ~continues,
        "S",
        np.where(ls_changed & place_changed, "T", np.where(ls_changed, "L", "P")),
    )
    cin_child = dict(
        zip(
            children.tolist(),
            rng.choice(
                np.asarray(CIN_CODES),
                size=len(children),
                p=np.asarray(CIN_SHARES) / np.sum(CIN_SHARES),
            ).tolist(),
            strict=True,
        )
    )
    private = rng.random(len(ep)) < 0.4
    provider = np.where(
        place == "K2", "PR4", np.where(np.isin(place, ["U4", "U5", "U6"]) & private, "PR4", "PR1")
    )
    urn = np.where(
        place == "K2", [f"SC{n:06d}" for n in rng.integers(0, 10**6, len(ep)).tolist()], "XXXXXXX"
    )
    episodes = pd.DataFrame(
        {
            "CHILD": child,
            "DECOM": _date(ep["start_date"]).to_numpy(),
            "RNE": rne,
            "LS": ls,
            "CIN": [cin_child[c] for c in child.tolist()],
            "PLACE": place,
            "PLACE_PROVIDER": provider,
            "DEC": _date(ep["end_date"]).to_numpy(),
            "REC": ep["reason_ceased"]
            .astype(object)
            .where(ep["reason_ceased"].notna(), "")
            .to_numpy(),
            "REASON_PLACE_CHANGE": np.where(continues & place_changed, "CARPL", ""),
            "HOME_POST": "ZZ99",
            "PL_POST": "ZZ99",
            "URN": urn,
        }
    )
    return header[list(HEADER_COLUMNS)], episodes[list(EPISODE_COLUMNS)]


def write_ssda903(world: World, folder: str | Path, seed: int | None = None) -> list[Path]:
    """Write ``header.csv`` and ``episodes.csv`` in SSDA903 layout into ``folder``.

    Parameters
    ----------
    world : World
    folder : str or Path
        Created if needed.
    seed : int, optional
        Seed of the codes not in the model (ethnicity, CIN, provider); default the
        world's seed, so the files are reproducible.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    header, episodes = ssda903_tables(world, seed)
    paths = [out / "header.csv", out / "episodes.csv"]
    header.to_csv(paths[0], index=False, lineterminator="\n")
    episodes.to_csv(paths[1], index=False, lineterminator="\n")
    return paths
