"""A second, independent world for the study: a small structural causal model in numpy.

It shares nothing with ``synthetic`` (no scenario, no calibration, no code), so that the
study is not only tested on data shaped by the generator it was developed against. It
writes a canonical dataset -- proceedings, a later proceedings row for each return to
court, adoption events -- and knows its own truth from potential outcomes.

The model, for child :math:`i` in local authority :math:`\\ell`:

- confounders: a case-mix score :math:`X_i \\sim N(0, 1)`, age at issue
  :math:`\\sim U(0, 9)` years, issue date :math:`\\sim U(2012, 2023)`, mother's age at
  the birth :math:`\\sim U(17, 40)`; each child is alone in their proceedings (so the
  sibling group size is constant, as on many real extracts);
- the authority: a speed effect :math:`s_\\ell` and a frailty :math:`f_\\ell`, both
  :math:`N(0, 0.4^2)` and correlated (:math:`f = 0.6 s + \\ldots`), so the area
  confounds;
- exposure :math:`A` (disposal within 26 weeks):
  :math:`\\operatorname{logit} P(A = 1) = -0.2 - 0.6 X + 0.3\\,\\text{age}/9 + s_\\ell`;
  duration :math:`U(8, 26)` weeks if :math:`A = 1`, else :math:`26 + \\text{Exp}(16)`;
- the order (mediator), under each arm :math:`a` with common random numbers:
  supervision order with probability :math:`\\operatorname{expit}(-0.8 + 0.9 a - 0.5 X)`,
  else care order;
- return to court under arm :math:`a`: hazard
  :math:`\\lambda\\, e^{0.5 X + f_\\ell + 0.5 [M_a = \\text{supervision}]}\\, k_a(t)`
  with :math:`k_0 = 1` and :math:`k_1(t) = 2` in the first year after disposal and
  :math:`0.7` after -- an effect of the exposure that is **not proportional** over time;
- adoption (competing): hazard :math:`0.04\\, e^{-0.3 X}` per year, the same under both
  arms; censoring at the extract date.

The truth is the 2-year risk difference from each child's potential outcomes,
:math:`\\frac1n\\sum_i 1\\{T_i(1) \\le 2, T_i(1) < C_i\\} - 1\\{T_i(0) \\le 2, T_i(0) < C_i\\}`,
over a large population drawn from the same authorities (:func:`truth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.schema import Dataset, Manifest

EXTRACT = pd.Timestamp("2024-03-31")
BASE_RATE = 0.05
"""Yearly hazard of return at X = 0 in an average authority, care order, later arm."""
EARLY, LATE = 2.0, 0.7
"""Hazard ratio of the exposure in the first year after disposal, and after."""


@dataclass(frozen=True)
class Authorities:
    """The authorities' effects and sizes (shares of the children)."""

    codes: list[str]
    speed: np.ndarray
    frailty: np.ndarray
    share: np.ndarray


def authorities(n_las: int, seed: int) -> Authorities:
    """Draw the authorities: the first one is large (an authority's own extract is a
    cut of it), the rest share the remaining children."""
    rng = np.random.default_rng([seed, 1])
    speed = rng.normal(0, 0.4, n_las)
    frailty = 0.6 * speed + rng.normal(0, 0.32, n_las)
    share = np.full(n_las, 1.0)
    share[0] = max(1.0, n_las / 6)
    return Authorities([f"X{k:03d}" for k in range(n_las)], speed, frailty, share / share.sum())


def _children(areas: Authorities, n: int, rng: np.random.Generator, la: int | None) -> dict:
    """Confounders, exposure and both arms' potential outcomes for ``n`` children."""
    la_index = np.full(n, la) if la is not None else rng.choice(len(areas.codes), n, p=areas.share)
    x = rng.normal(size=n)
    age = rng.uniform(0, 9, n)
    p = 1 / (1 + np.exp(-(-0.2 - 0.6 * x + 0.3 * age / 9 + areas.speed[la_index])))
    exposed = (rng.uniform(size=n) < p).astype(int)
    u_order, e_return, e_adopt = (
        rng.uniform(size=n),
        rng.exponential(size=n),
        rng.exponential(size=n),
    )
    rate = BASE_RATE * np.exp(0.5 * x + areas.frailty[la_index])
    outcomes = {}
    for a in (0, 1):
        supervision = u_order < 1 / (1 + np.exp(-(-0.8 + 0.9 * a - 0.5 * x)))
        r = rate * np.exp(0.5 * supervision)
        if a == 0:
            t = e_return / r
        else:  # piecewise-constant hazard: EARLY * r up to 1 year, LATE * r after
            t = np.where(
                e_return <= EARLY * r,
                e_return / (EARLY * r),
                1 + (e_return - EARLY * r) / (LATE * r),
            )
        outcomes[a] = (t, supervision)
    adopt = e_adopt / (0.04 * np.exp(-0.3 * x))
    return {
        "la": la_index,
        "x": x,
        "age": age,
        "exposed": exposed,
        "outcomes": outcomes,
        "adopt": adopt,
    }


def _risk_difference(c: dict, horizon: float = 2.0) -> float:
    risk = [
        np.mean((c["outcomes"][a][0] <= horizon) & (c["outcomes"][a][0] < c["adopt"]))
        for a in (0, 1)
    ]
    return float(risk[1] - risk[0])


def truth(n_las: int, seed: int, la: int | None = None, n: int = 400_000) -> float:
    """The 2-year risk difference of the population (one authority's, with ``la``)."""
    return _risk_difference(
        _children(authorities(n_las, seed), n, np.random.default_rng([seed, 3]), la)
    )


def generate(n_children: int, n_las: int, seed: int) -> Dataset:
    """The observed extract of ``n_children`` index children as a canonical dataset."""
    areas = authorities(n_las, seed)
    rng = np.random.default_rng([seed, 2])
    c = _children(areas, n_children, rng, None)
    n = n_children
    issue = pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.uniform(0, 11 * 365.25, n), "D")
    issue = issue.normalize()
    weeks = np.where(c["exposed"] == 1, rng.uniform(8, 26, n), 26 + rng.exponential(16, n))
    disposal = (issue + pd.to_timedelta(np.round(weeks * 7), "D")).normalize()
    dob = (issue - pd.to_timedelta(c["age"] * 365.25, "D")).normalize()
    mother_dob = (dob - pd.to_timedelta(rng.uniform(17, 40, n) * 365.25, "D")).normalize()
    t, supervision = (
        np.where(c["exposed"] == 1, c["outcomes"][1][k], c["outcomes"][0][k]) for k in (0, 1)
    )
    follow = (EXTRACT - disposal).days.to_numpy() / 365.25
    returned = (t < c["adopt"]) & (t < follow)
    adopted = (c["adopt"] <= t) & (c["adopt"] < follow)
    ids = np.arange(n)
    la_codes = np.array(areas.codes, dtype=object)[c["la"]]
    index_rows = pd.DataFrame(
        {
            "proceedings_id": [f"Q{k:06d}" for k in ids],
            "child_id": [f"K{k:06d}" for k in ids],
            "mother_id": [f"W{k:06d}" for k in ids],
            "la_code": la_codes,
            "dfj_area": "Area",
            "child_dob": dob,
            "child_sex": rng.choice(["F", "M"], n),
            "mother_dob": mother_dob,
            "issue_date": issue,
            "disposal_date": disposal,
            "final_order": np.where(supervision, "supervision_order", "care_order"),
            "case_mix": np.round(c["x"], 3),
        }
    )
    back = np.flatnonzero(returned)
    later = (disposal[back] + pd.to_timedelta(np.ceil(t[back] * 365.25), "D")).normalize()
    return_rows = pd.DataFrame(
        {
            "proceedings_id": [f"R{k:06d}" for k in back],
            "child_id": [f"K{k:06d}" for k in back],
            "mother_id": [f"W{k:06d}" for k in back],
            "la_code": la_codes[back],
            "dfj_area": "Area",
            "child_dob": dob[back],
            "child_sex": index_rows["child_sex"].to_numpy()[back],
            "mother_dob": mother_dob[back],
            "issue_date": later,
            "disposal_date": pd.NaT,
            "final_order": None,
            "case_mix": index_rows["case_mix"].to_numpy()[back],
        }
    )
    gone = np.flatnonzero(adopted)
    events = pd.DataFrame(
        {
            "child_id": [f"K{k:06d}" for k in gone],
            "event_date": (
                disposal[gone] + pd.to_timedelta(np.ceil(c["adopt"][gone] * 365.25), "D")
            ).normalize(),
            "event_type": "adopted",
        }
    )
    proceedings = pd.concat([index_rows, return_rows], ignore_index=True)
    manifest = Manifest(
        extract_date=EXTRACT, source="tests/study/_other_world.py", covariates=["case_mix"]
    )
    return Dataset(proceedings=proceedings, manifest=manifest, child_events=events)


def one_la_cut(dataset: Dataset, code: str = "X000") -> Dataset:
    """One authority's rows, as its own extract would hold them."""
    proceedings = dataset.proceedings.loc[dataset.proceedings["la_code"] == code]
    events = dataset.child_events
    assert events is not None
    events = events.loc[events["child_id"].isin(set(proceedings["child_id"]))]
    return Dataset(
        proceedings=proceedings.reset_index(drop=True),
        manifest=dataset.manifest,
        child_events=events.reset_index(drop=True),
    )
