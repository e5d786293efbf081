"""Putting the world together: generations of applications, the tables, the truth.

The world is generated in *generations*, each fully vectorised over its applications
and children (there is no loop over children):

0. mothers' first applications in the window (:mod:`synthetic.families`);
1. for every application of a generation: duration and both potential durations
   (:mod:`synthetic.duration`), each child's order and both potential orders
   (:mod:`synthetic.orders`), each child's first event after disposal under the
   observed and the potential exposures (:mod:`synthetic.outcomes`), and the mother's
   next set with a new child;
2. observed child returns and new-child sets issued by the extract date form the next
   generation; repeat until none is left or ``recurrence.max_generations`` is reached.

Then rows are sorted by issue date, identifiers are assigned in order of first
appearance, the truth is computed from the potential outcomes of the disposal cohort
(:mod:`synthetic.truth`) and data-quality faults are applied to a copy
(:mod:`synthetic.faults`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from outcomes.schema import CHILD_EVENTS, PROCEEDINGS, STRING_DTYPE, Dataset, Manifest

from . import episodes as episodes_mod
from ._blocks import blockwise
from ._codec import (
    NA_DAY,
    NumRows,
    ProceedingsCodec,
    ProceedingsColumns,
    days_to_datetime,
    frame_columns,
)
from ._frames import FixedText, label_text, text_series
from ._rng import Streams
from ._sorting import sort_order
from ._time import DAYS_PER_YEAR, age_out_day, to_day
from .areas import Areas, make_areas
from .duration import Durations, draw_durations
from .families import (
    Applications,
    ChildRows,
    People,
    complexity_for,
    first_generation,
    life_events,
    sex_draw,
)
from .faults import MISCODED_LABELS, apply_faults, empty_fault_record, first_appearance
from .orders import (
    SiblingGumbel,
    aged_out_order,
    draw_orders,
    duration_coefficients,
    order_names,
    standard_gumbel,
)
from .outcomes import (
    EVENT_NAMES,
    ChildDraws,
    FirstEvents,
    child_draws,
    new_child_years,
    return_linear_predictor,
    years_to_days,
)
from .policies import (
    DEFAULT_POLICIES,
    CohortWorlds,
    Policy,
    PolicyOutcomes,
    area_index,
    parse_policies,
)
from .scenario import Scenario, load_scenario
from .truth import Truth, compute_truth

ORIGINS = ("first", "child_return", "new_child")
"""``origin`` codes of the clean table: how an application came about."""

POTENTIAL_COLUMNS = (
    "days_short",
    "days_long",
    "t_short",
    "e_short",
    "t_long",
    "e_long",
    "t_cross",
    "e_cross",
)
"""Arrays needed for the disposal cohort only (the potential outcomes): the durations
per application, the rest per row."""

POLICY_COLUMNS = ("utility", "e_return", "u_adopt", "z_adopt")
"""Per row, the common random numbers the duration policies' potential outcomes reuse
(see :mod:`synthetic.policies`): the order utilities without the duration term
(orders x rows) and the draws of :class:`~synthetic.outcomes.ChildDraws`. Needed for
the disposal cohort only."""


@dataclass
class World:
    """A generated world: observed data, clean data with latents, truth, faults.

    Attributes
    ----------
    dataset : outcomes.schema.Dataset
        What an analyst receives: proceedings (with faults unless ``faults=False``),
        child events, care episodes and the manifest.
    clean : DataFrame
        Proceedings before faults, plus latent columns (``complexity``,
        ``mother_latent``, ``la_practice``, ``la_log_frailty``, ``la_speed``,
        ``origin``, ``generation``, ``short_arm``, ``order_short``, ``order_long``,
        ``in_cohort``, ...).
    truth : Truth
        Scenario parameters and true causal estimands.
    potential_outcomes : DataFrame
        One row per child of the disposal cohort: durations, orders and first events
        under each arm (and the cross-world version used for mediation).
    faults : DataFrame
        One row per fault (see :mod:`synthetic.faults`); empty without faults.
    scenario : Scenario
    seed : int
    areas : DataFrame
        The LAs and their effects.
    policy_worlds : dict of str to PolicyOutcomes
        Per duration policy (by spec string), the arrays behind
        :attr:`policy_outcomes`.
    """

    dataset: Dataset
    clean: pd.DataFrame
    truth: Truth
    potential_outcomes: pd.DataFrame
    faults: pd.DataFrame
    scenario: Scenario
    seed: int
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    policy_worlds: dict[str, PolicyOutcomes] = field(default_factory=dict, repr=False)

    @cached_property
    def policy_outcomes(self) -> dict[str, pd.DataFrame]:
        """Per duration policy (by spec string), one row per child of the disposal
        cohort (the rows of ``potential_outcomes``): ``duration_days`` under the policy,
        ``order``, ``time`` and ``event`` (days from the policy's disposal to the first
        event), and ``time_order_natural``, ``event_order_natural`` with the order held
        at the natural one (see :mod:`synthetic.policies`). Made on first use (frames
        cost more than the arrays)."""
        orders = order_names(self.scenario)
        return {
            spec: pd.DataFrame(
                {
                    "duration_days": out.duration_days,
                    "order": _categorical(orders, out.order),
                    "time": out.time,
                    "event": _categorical(EVENT_NAMES, out.event),
                    "time_order_natural": out.time_direct,
                    "event_order_natural": _categorical(EVENT_NAMES, out.event_direct),
                }
            )
            for spec, out in self.policy_worlds.items()
        }

    def write(self, path: str | Path, format: Literal["parquet", "csv"] = "parquet") -> Path:
        """Write the dataset folder and ``truth.json`` (needs ``outcomes.io``)."""
        from outcomes.io import write_dataset  # only at call time: synthetic stays independent

        folder = Path(path)
        write_dataset(self.dataset, folder, format=format)
        (folder / "truth.json").write_text(self.truth.to_json(), encoding="utf-8")
        return folder


def _generation_rows(
    scenario: Scenario,
    streams: Streams,
    gen: int,
    apps: Applications,
    rows: ChildRows,
    people: People,
    areas: Areas,
    extract: int,
    orders: list[str],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Applications | None, ChildRows | None]:
    """Simulate one generation; return its application arrays, its row arrays (``app``
    indexing its applications) and the next generation.

    Each step draws from its own stream, so the steps below could run in any order and
    give the same world.
    """
    n_apps = len(apps.issue)
    n_kids = np.bincount(rows.app, minlength=n_apps)
    dur = draw_durations(
        scenario,
        streams.get(f"duration/{gen}"),
        apps.issue,
        areas.speed[apps.la],
        apps.complexity,
        n_kids,
    )
    disposal = apps.issue + dur.days
    arms = _orders_by_arm(
        scenario, streams.get(f"orders/{gen}"), apps, rows, people, areas, dur, orders
    )
    app, child = rows.app, rows.child
    short = dur.short_arm[app]
    order = np.where(short, arms.order_short, arms.order_long)
    placement = orders.index("placement_order")
    worlds = _first_events(
        scenario, streams.get(f"outcomes/{gen}"), rows, people, areas, arms, placement
    )
    # the observed outcome is the potential outcome of the observed arm (consistency)
    t_obs = np.where(short, worlds.t_short, worlds.t_long)
    e_obs = np.where(short, worlds.e_short, worlds.e_long)

    # observed return: issued by the extract date, before the child emigrates
    ret_day = disposal[app] + t_obs
    returned = (e_obs == 0) & (ret_day <= extract) & (ret_day < people.abroad_day[child])

    # mother's next set with a new child, timed from this issue
    m = apps.mother
    mother_age = (apps.issue - people.mother_dob[m]) / DAYS_PER_YEAR
    t_new = new_child_years(
        scenario, streams.get(f"recurrence/{gen}"), mother_age, people.mother_latent[m]
    )
    new_day = apps.issue + years_to_days(t_new)
    has_new = apps.chain & np.isfinite(t_new) & (new_day <= extract)

    # per application, and per child row: the rows take their application's values
    # once, after sorting, not in every generation
    by_app: dict[str, np.ndarray] = {
        "generation": np.full(n_apps, gen, dtype=np.int16),
        "mother": m,
        "la": apps.la,
        "issue": apps.issue,
        "disposal": disposal,
        "short_arm": dur.short_arm,
        "complexity": apps.complexity,
        "origin": apps.origin,
        "mother_age_years": mother_age,
        "days_short": dur.days_short,
        "days_long": dur.days_long,
    }
    by_app |= _indicators(scenario, streams.get(f"indicators/{gen}"), apps.complexity)
    by_row: dict[str, np.ndarray] = {
        "app": app,
        "child": child,
        "order": order,
        "order_short": arms.order_short,
        "order_long": arms.order_long,
        "t_obs": t_obs,
        "e_obs": e_obs,
        "t_short": worlds.t_short,
        "e_short": worlds.e_short,
        "t_long": worlds.t_long,
        "e_long": worlds.e_long,
        "t_cross": worlds.t_cross,
        "e_cross": worlds.e_cross,
        "base_lp": worlds.base_lp,
        "utility": arms.utility,
        "e_return": worlds.draws.e_return,
        "u_adopt": worlds.draws.u_adopt,
        "z_adopt": worlds.draws.z_adopt,
    }

    # the next generation: each returning child is a one-child application, each new
    # child of a mother another
    ret_idx = np.flatnonzero(returned)
    new_idx = np.flatnonzero(has_new)
    max_gen = int(scenario["recurrence.max_generations"])
    if len(ret_idx) + len(new_idx) == 0 or gen + 1 >= max_gen:
        return by_app, by_row, None, None
    next_apps, next_rows = _next_generation(
        scenario,
        streams.get(f"families/{gen + 1}"),
        people,
        returning=(child[ret_idx], ret_day[ret_idx]),
        new=(m[new_idx], new_day[new_idx]),
        extract=extract,
    )
    if len(next_apps.issue) == 0:  # every new set was moved past the extract date
        return by_app, by_row, None, None
    return by_app, by_row, next_apps, next_rows


@dataclass
class _Arms:
    """Per child row of a generation: what the orders and events depend on, and the
    order the child would get under each arm."""

    issue: np.ndarray
    dob: np.ndarray
    age_years: np.ndarray
    complexity: np.ndarray
    la: np.ndarray
    days_short: np.ndarray
    days_long: np.ndarray
    age_out: np.ndarray
    order_short: np.ndarray
    order_long: np.ndarray
    utility: np.ndarray  # orders x rows: utilities + Gumbel without the duration term


def _orders_by_arm(
    scenario: Scenario,
    rng: np.random.Generator,
    apps: Applications,
    rows: ChildRows,
    people: People,
    areas: Areas,
    dur: Durations,
    orders: list[str],
) -> _Arms:
    """Each child's final order under disposal within 26 weeks and after."""
    app, child = rows.app, rows.child
    issue = apps.issue[app]
    dob = people.child_dob[child]
    age_years = (issue - dob) / DAYS_PER_YEAR
    complexity = apps.complexity[app]
    la = apps.la[app]
    pre_reform = issue < to_day(scenario["window.reform_date"])
    days_short, days_long = dur.days_short[app], dur.days_long[app]
    # siblings usually receive the same kind of order: with probability
    # orders.sibling_shared a child takes its application's Gumbel draws instead of
    # its own. Each child's draws are still standard Gumbel, so its order
    # probabilities are exactly the multinomial logit's; only siblings correlate.
    shared = rng.random(len(app)) < float(scenario["orders.sibling_shared"])
    app_gumbel = standard_gumbel(rng, (len(orders), len(apps.issue)))
    own = standard_gumbel(rng, (len(orders), len(app) - int(np.count_nonzero(shared))))
    gumbel = SiblingGumbel(by_app=app_gumbel, app=app, shared=shared, own=own)
    order_short, order_long, utility = draw_orders(
        scenario,
        complexity,
        age_years,
        pre_reform,
        la,
        areas.practice,
        gumbel,
        days_short,
        days_long,
    )
    # proceedings that outlast a child's 17th birthday end with no order
    age_out = age_out_day(dob, float(scenario["events.age_out"]))
    no_order = orders.index("no_order")
    order_short = aged_out_order(order_short, issue + days_short, age_out, no_order)
    order_long = aged_out_order(order_long, issue + days_long, age_out, no_order)
    return _Arms(
        issue=issue,
        dob=dob,
        age_years=age_years,
        complexity=complexity,
        la=la,
        days_short=days_short,
        days_long=days_long,
        age_out=age_out,
        order_short=order_short,
        order_long=order_long,
        utility=utility,
    )


@dataclass
class _Worlds:
    """Per child row: the first event after disposal (time, event code) in three
    worlds, and the linear predictor of the return hazard."""

    t_short: np.ndarray
    e_short: np.ndarray
    t_long: np.ndarray
    e_long: np.ndarray
    t_cross: np.ndarray
    e_cross: np.ndarray
    base_lp: np.ndarray
    draws: ChildDraws


def _first_events(
    scenario: Scenario,
    rng: np.random.Generator,
    rows: ChildRows,
    people: People,
    areas: Areas,
    arms: _Arms,
    placement: int,
) -> _Worlds:
    """First events in the short world, the long world, and the short world with the
    orders of the long one (cross-world, for mediation), from common random numbers."""
    child = rows.child
    base_lp = return_linear_predictor(
        scenario, arms.complexity, arms.age_years, areas.log_frailty[arms.la]
    )
    draws = child_draws(rng, len(rows.app))
    events = FirstEvents(
        scenario,
        draws,
        base_lp,
        arms.dob,
        people.death_day[child],
        arms.age_out,
        placement,
    )
    issue, days_short, days_long = arms.issue, arms.days_short, arms.days_long
    order_short, order_long = arms.order_short, arms.order_long

    def worlds(rows: slice) -> tuple[np.ndarray, ...]:
        """First events of children ``rows`` in the three worlds."""
        short_day = issue[rows] + days_short[rows]
        t_short, e_short = events(rows, short_day, order_short[rows], True)
        t_long, e_long = events(rows, issue[rows] + days_long[rows], order_long[rows], False)
        # the cross world is the short one but for the children whose order differs
        # between the arms (a minority): only theirs are worked out
        t_cross, e_cross = t_short.copy(), e_short.copy()
        differ = np.flatnonzero(order_short[rows] != order_long[rows])
        at = rows.start + differ
        t_cross[differ], e_cross[differ] = events(at, short_day[differ], order_long[at], True)
        return t_short, e_short, t_long, e_long, t_cross, e_cross

    t_s, e_s, t_l, e_l, t_x, e_x = blockwise(len(rows.app), worlds)
    return _Worlds(t_s, e_s, t_l, e_l, t_x, e_x, base_lp, draws)


def _indicators(
    scenario: Scenario, rng: np.random.Generator, complexity: np.ndarray
) -> dict[str, np.ndarray]:
    """Observed complexity indicators per application (noisy functions of latent
    complexity), as ``ind_<name>`` columns."""
    names = list(scenario["complexity.indicator_names"])
    a = scenario.array("complexity.indicator_intercept")
    b = scenario.array("complexity.indicator_slope")
    # indicators x applications: operations run along the applications
    prob = 1.0 / (1.0 + np.exp(-(a[:, None] + b[:, None] * complexity[None, :])))
    indicators = rng.random(prob.shape) < prob
    return {f"ind_{name}": indicators[j] for j, name in enumerate(names)}


def _next_generation(
    scenario: Scenario,
    rng: np.random.Generator,
    people: People,
    returning: tuple[np.ndarray, np.ndarray],
    new: tuple[np.ndarray, np.ndarray],
    extract: int,
) -> tuple[Applications, ChildRows]:
    """The next generation's applications: one per returning child (``returning``:
    children and issue days) and one per new child of a mother (``new``: mothers and
    issue days), whose children are born here.

    A new child is the mother's youngest, born at least ``recurrence.min_birth_gap_days``
    after her last child. Where the drawn age at issue would put the birth earlier, the
    child is younger at issue; where even a birth on the issue day would be too early,
    the set is issued at the birth instead (then dropped if that is after the extract
    date). Every draw is made for every drawn set first, so the draws do not depend on
    which sets are moved or dropped.
    """
    ret_children, ret_issue = returning
    new_mothers, new_issue = new
    u = rng.random(len(new_mothers))
    newborn_p = float(scenario["recurrence.newborn_p"])
    infant_p = float(scenario["recurrence.infant_p"])
    v = rng.random(len(new_mothers))
    age_days = np.where(
        u < newborn_p,
        np.floor(v * 28.0),
        np.where(
            u < newborn_p + infant_p,
            28.0 + np.floor(v * (DAYS_PER_YEAR - 28.0)),
            np.floor((1.0 + 3.0 * v) * DAYS_PER_YEAR),
        ),
    ).astype(np.int64)
    earliest = people.last_birth(new_mothers) + int(scenario["recurrence.min_birth_gap_days"])
    dob = np.maximum(new_issue - age_days, earliest)
    new_issue = np.maximum(new_issue, dob)
    d_death, d_abroad = life_events(scenario, rng, new_issue)
    sex = sex_draw(scenario, rng, len(new_mothers))
    kept = new_issue <= extract
    new_mothers, new_issue = new_mothers[kept], new_issue[kept]
    new_children = people.add_children(
        dob[kept], sex[kept], new_mothers, d_death[kept], d_abroad[kept]
    )
    ret_mothers = people.child_mother[ret_children]
    mothers_next = np.concatenate([ret_mothers, new_mothers])
    n_ret, n_new = len(ret_children), len(new_mothers)
    next_apps = Applications(
        mother=mothers_next,
        la=people.mother_la[mothers_next],
        issue=np.concatenate([ret_issue, new_issue]),
        complexity=complexity_for(scenario, rng, people.mother_latent[mothers_next]),
        origin=np.concatenate([np.full(n_ret, 1, np.int8), np.full(n_new, 2, np.int8)]),
        chain=np.concatenate([np.zeros(n_ret, bool), np.ones(n_new, bool)]),
    )
    next_rows = ChildRows(
        app=np.arange(n_ret + n_new), child=np.concatenate([ret_children, new_children])
    )
    return next_apps, next_rows


def _all_generations(
    scen: Scenario,
    streams: Streams,
    apps: Applications,
    rows: ChildRows,
    people: People,
    areas: Areas,
    extract: int,
    orders: list[str],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Simulate generation after generation; the application arrays and the row arrays
    of all, concatenated (rows' ``app`` indexing all applications)."""
    app_parts: list[dict[str, np.ndarray]] = []
    row_parts: list[dict[str, np.ndarray]] = []
    gen = 0
    app_offset = 0
    next_apps: Applications | None = apps
    next_rows: ChildRows | None = rows
    while next_apps is not None and next_rows is not None:
        by_app, by_row, next_apps_new, next_rows_new = _generation_rows(
            scen, streams, gen, next_apps, next_rows, people, areas, extract, orders
        )
        by_row["app"] = by_row["app"] + app_offset
        app_offset += len(next_apps.issue)
        app_parts.append(by_app)
        row_parts.append(by_row)
        next_apps, next_rows = next_apps_new, next_rows_new
        gen += 1
    return (
        {k: np.concatenate([p[k] for p in app_parts]) for k in app_parts[0]},
        {  # the rows are the last axis (the utilities are orders x rows)
            k: np.concatenate([p[k] for p in row_parts], axis=-1) for k in row_parts[0]
        },
    )


def _first_appearance_codes(key: np.ndarray) -> np.ndarray:
    """Number keys 0, 1, 2, ... in order of first appearance (rows already sorted).

    Keys are indices (people, applications) below ``key.max() + 1``, so each key's
    first row is found by scatter instead of sorting.
    """
    n = len(key)
    first = np.full(int(key.max(initial=-1)) + 1, n, dtype=np.int64)
    np.minimum.at(first, key, np.arange(n))
    is_first = np.zeros(n, dtype=bool)
    is_first[first[first < n]] = True
    return (np.cumsum(is_first) - 1)[first[key]]


def _row_order(app: np.ndarray, app_issue: np.ndarray, dob: np.ndarray) -> np.ndarray:
    """The rows' order: by issue date (``app_issue``, per application), then
    application, then oldest child first.

    Applications are ranked by issue date and number first, then rows sorted by rank
    and birth: each of the two sorts packs its keys into one int64 (see
    :mod:`synthetic._sorting`), which all three keys at once would not fit.
    """
    rank = np.empty(len(app_issue), dtype=np.int64)
    rank[sort_order((app_issue,))] = np.arange(len(app_issue))  # ties: by number
    return sort_order((dob, rank[app]))


def _digits(n: int, minimum: int) -> int:
    return max(minimum, len(str(int(n))))


def generate(
    scenario: str | Path | Scenario = "default",
    n_applications: int | None = None,
    seed: int = 0,
    faults: bool = True,
    policies: Sequence[str] | None = None,
) -> World:
    """Generate a synthetic world.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A packaged scenario name (``"default"``, ``"null"``, ``"strong"``,
        ``"mediated"``, ``"poor_data"``, ``"small_area"``), a TOML path or a
        :class:`~synthetic.scenario.Scenario`.
    n_applications : int, optional
        Expected number of applications over the window (first and repeat sets); the
        scenario's volume series is rescaled to it. Default: the scenario's volume.
        First applications are exact; repeats are random, so the total is close to,
        not exactly, this number.
    seed : int
        Seed; the same scenario and seed give identical output.
    faults : bool
        Apply the data-quality layer to ``world.dataset`` (``world.clean`` never has
        faults).
    policies : sequence of str, optional
        Duration policies whose effects the truth holds, as spec strings (``"cap:26"``,
        ``"shift:-4"``, ``"shift:-4:floor=10"``, ``"match:best_quartile"``,
        ``"match:national"``, ``"match:<LA code>"``; see :mod:`synthetic.policies`).
        Default: the scenario's ``truth.policies``, else
        :data:`~synthetic.policies.DEFAULT_POLICIES`. An empty list adds none. They
        change the truth only, never the data.

    Returns
    -------
    World

    Raises
    ------
    synthetic.policies.PolicySpecError
        A policy spec that cannot be read or names an LA the world does not have.
    """
    scen = load_scenario(scenario)
    if n_applications is not None and int(n_applications) < 1:
        raise ValueError(f"n_applications must be positive, got {n_applications}")
    if policies is None:
        policies = scen.values.get("truth.policies", DEFAULT_POLICIES)
    parsed = parse_policies(policies)
    streams = Streams(seed)
    orders = order_names(scen)
    extract = to_day(scen["window.extract_date"])
    areas = make_areas(scen, streams.get("areas"))
    for policy in parsed:  # an unknown LA is found before the world is generated
        if policy.kind == "match" and policy.reference not in ("best_quartile", "national"):
            area_index(policy, list(areas.la_code))
    apps, rows, people = first_generation(scen, areas, streams.get("families/0"), n_applications)

    by_app, cols = _all_generations(scen, streams, apps, rows, people, areas, extract, orders)
    dob = people.child_dob[cols["child"]]
    order_rows = _row_order(cols["app"], by_app["issue"], dob)
    # the potential outcomes are put in row order for the disposal cohort alone, below
    unsorted = {k: cols.pop(k) for k in (*POTENTIAL_COLUMNS, *POLICY_COLUMNS) if k in cols}
    for k, v in cols.items():  # one column at a time: the unsorted one is freed at once
        cols[k] = v[order_rows]
    cols["dob"] = dob[order_rows]
    app = cols["app"]
    cols.update({k: v[app] for k, v in by_app.items() if k not in POTENTIAL_COLUMNS})
    cols["age_years"] = (cols["issue"] - cols["dob"]) / DAYS_PER_YEAR
    n = len(cols["issue"])

    covariates = ["n_prior_proceedings_mother", *scen["complexity.indicator_names"]]
    num = _numeric_rows(scen, cols, by_app, people, extract, covariates)
    dfj_names = sorted(set(areas.dfj_area.tolist()))
    codec = ProceedingsCodec(
        orders=orders,
        miscoded=MISCODED_LABELS,
        la_codes=list(areas.la_code),
        dfj_of_la=areas.dfj_index,
        dfj_names=dfj_names,
        covariates=covariates,
        width_p=_digits(num["pid"].max(initial=0) + 1, 6),
        # room for the new IDs of broken links
        width_c=_digits(num["cid"].max(initial=0) + 1 + n, 7),
        width_m=_digits(num["mid"].max(initial=0) + 1, 6),
    )
    first_row = first_appearance(num["cid"])
    in_cohort = first_row & (num["disposal"] != NA_DAY)
    cohort = np.flatnonzero(in_cohort)
    cohort_rows = order_rows[cohort]  # their places before the rows were sorted
    cohort_po = {  # the potential durations are the applications' own
        k: unsorted.pop(k)[cohort_rows] if k in unsorted else by_app[k][app[cohort]]
        for k in POTENTIAL_COLUMNS
    }
    natural, policy_outcomes = _policy_worlds(
        scen,
        cols,
        cohort,
        {k: unsorted.pop(k)[..., cohort_rows] for k in POLICY_COLUMNS},
        people,
        areas,
        orders,
        parsed,
    )
    canonical = codec.columns(num)
    clean = pd.DataFrame(
        {
            **frame_columns(canonical),
            **_latent_columns(scen, cols, people, areas, orders, in_cohort),
        },
        copy=False,  # fresh arrays, or ``num``/``cols`` ones never changed afterwards
    )

    event_child, event_day, event_type = _child_events(cols, num, first_row, people, extract)
    events = pd.DataFrame(
        {
            "child_id": text_series(codec.ids("cid", event_child)),
            "event_date": days_to_datetime(event_day),
            "event_type": text_series(label_text(EVENT_LABELS, event_type)),
        },
        copy=False,  # every column is a fresh array
    )[CHILD_EVENTS.names]
    child_ids = canonical["child_id"]
    assert isinstance(child_ids, FixedText)
    care = episodes_mod.care_episodes(
        num, cols, orders, event_child, event_day, event_type, extract, child_ids
    )

    truth = compute_truth(scen, seed, cohort_po, extract, natural, policy_outcomes)
    potential = _potential_frame(canonical, cols, cohort, cohort_po, orders)
    # what the frames need of the row arrays is in them now: free the rest before the
    # faulty copy is made (less memory at the peak, fewer fresh pages to fault in)
    del cols, dob, order_rows

    manifest = Manifest(
        extract_date=pd.Timestamp(scen["window.extract_date"]),
        source=f"synthetic world, scenario {scen.name!r}, seed {seed}",
        covariates=covariates,
        scenario=scen.name,
        seed=int(seed),
    )
    if faults:
        faulted = apply_faults(scen, streams.get("faults"), num, codec, areas, extract)
        del num  # not needed again: free it before the faulty frame is made
        observed = pd.DataFrame(
            frame_columns(
                codec.copied_columns(canonical, faulted.rows, faulted.source, faulted.changed)
            ),
            copy=False,  # every column is a fresh array
        )
        fault_record = faulted.record
    else:
        observed, fault_record = clean[PROCEEDINGS.names + covariates].copy(), empty_fault_record()
    dataset = Dataset(
        proceedings=observed,
        manifest=manifest,
        child_events=events,
        care_episodes=care,
    )
    area_frame = pd.DataFrame(
        {
            "la_code": pd.Series(areas.la_code, dtype=STRING_DTYPE),
            "dfj_area": pd.Series(areas.dfj_area, dtype=STRING_DTYPE),
            "weight": areas.weight,
            "speed": areas.speed,
            "practice": areas.practice,
            "log_frailty": areas.log_frailty,
            "recording": areas.recording,
        }
    )
    return World(
        dataset=dataset,
        clean=clean,
        truth=truth,
        potential_outcomes=potential,
        faults=fault_record,
        scenario=scen,
        seed=int(seed),
        areas=area_frame,
        policy_worlds=policy_outcomes,
    )


def _policy_worlds(
    scen: Scenario,
    cols: dict[str, np.ndarray],
    cohort: np.ndarray,
    inputs: dict[str, np.ndarray],
    people: People,
    areas: Areas,
    orders: list[str],
    policies: tuple[Policy, ...],
) -> tuple[PolicyOutcomes | None, dict[str, PolicyOutcomes]]:
    """The natural course and each duration policy's world for the disposal cohort
    (rows ``cohort`` of the sorted ``cols``; ``inputs`` holds their
    :data:`POLICY_COLUMNS`), by spec string.
    """
    if not policies:
        return None, {}
    child, dob, issue = cols["child"][cohort], cols["dob"][cohort], cols["issue"][cohort]
    days = cols["disposal"][cohort] - issue
    age_out = age_out_day(dob, float(scen["events.age_out"]))
    # the observed first event is the natural course's (consistency)
    order, time, event = cols["order"][cohort], cols["t_obs"][cohort], cols["e_obs"][cohort]
    events = FirstEvents(
        scen,
        ChildDraws(inputs["e_return"], inputs["u_adopt"], inputs["z_adopt"]),
        cols["base_lp"][cohort],
        dob,
        people.death_day[child],
        age_out,
        orders.index("placement_order"),
    )
    cohort_worlds = CohortWorlds(
        events,
        inputs["utility"],
        duration_coefficients(scen),
        issue,
        age_out,
        days,
        order,
        time,
        event,
        orders.index("no_order"),
    )
    natural = PolicyOutcomes(days.astype(float), order, time, event, time, event)
    la = cols["la"][cohort]
    outcomes = {
        policy.spec: cohort_worlds.under(policy.durations(days, la, list(areas.la_code)))
        for policy in policies
    }
    return natural, outcomes


def _numeric_rows(
    scen: Scenario,
    cols: dict[str, np.ndarray],
    by_app: dict[str, np.ndarray],
    people: People,
    extract: int,
    covariates: list[str],
) -> NumRows:
    """The clean proceedings as numbers (see :mod:`synthetic._codec`); ``by_app`` holds
    the applications' ``mother`` and ``issue``."""
    mother = cols["mother"]
    # prior proceedings of the mother at this issue: before the window + earlier in it
    sorted_apps = sort_order((by_app["issue"], by_app["mother"]))  # ties: by number
    sorted_m = by_app["mother"][sorted_apps]
    starts = np.flatnonzero(np.r_[True, sorted_m[1:] != sorted_m[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(sorted_apps)]))
    rank_in_mother = np.empty(len(sorted_apps), dtype=np.int64)
    rank_in_mother[sorted_apps] = np.arange(len(sorted_apps)) - group_start
    # no disposal and no order for proceedings still open at the extract date, nor for a
    # child who died before the disposal (the court makes no order for a child who has
    # died; the death is in the child events)
    open_ = (cols["disposal"] > extract) | (people.death_day[cols["child"]] <= cols["disposal"])
    num: NumRows = {
        # an application's rows are together: it is new where the application changes
        "pid": np.cumsum(np.r_[True, cols["app"][1:] != cols["app"][:-1]]) - 1,
        "cid": _first_appearance_codes(cols["child"]),
        "mid": _first_appearance_codes(mother),
        "la": cols["la"].astype(np.int64, copy=False),
        "dob": cols["dob"].astype(np.int64, copy=False),
        "sex": people.child_sex[cols["child"]],
        "mdob": people.mother_dob[mother].astype(np.int64, copy=False),
        "issue": cols["issue"].astype(np.int64, copy=False),
        "disposal": np.where(open_, NA_DAY, cols["disposal"]),
        "order": np.where(open_, np.int8(-1), cols["order"]),  # int8: codes up to 14
        "n_prior_proceedings_mother": people.mother_prior[mother] + rank_in_mother[cols["app"]],
    }
    for name in scen["complexity.indicator_names"]:
        num[name] = cols[f"ind_{name}"].astype(np.int64)
    assert set(covariates) <= set(num)
    return num


def _latent_columns(
    scen: Scenario,
    cols: dict[str, np.ndarray],
    people: People,
    areas: Areas,
    orders: list[str],
    in_cohort: np.ndarray,
) -> dict[str, object]:
    """The latent variables of the clean frame (after the canonical columns)."""
    mother = cols["mother"]
    la = cols["la"]
    return {
        "complexity": cols["complexity"],
        "mother_latent": people.mother_latent[mother],
        "la_practice": areas.practice[la],
        "la_log_frailty": areas.log_frailty[la],
        "la_speed": areas.speed[la],
        "return_lp": cols["base_lp"],
        "origin": _categorical(ORIGINS, cols["origin"]),
        "generation": cols["generation"].astype(np.int64),
        "age_at_issue": cols["age_years"],
        "mother_age_at_issue": cols["mother_age_years"],
        "short_arm": cols["short_arm"],
        "planned_disposal_date": days_to_datetime(cols["disposal"]),
        "latent_order": _categorical(orders, cols["order"]),
        "order_short": _categorical(orders, cols["order_short"]),
        "order_long": _categorical(orders, cols["order_long"]),
        "first_event": _categorical(EVENT_NAMES, cols["e_obs"]),
        "first_event_days": cols["t_obs"],
        "aged_out_date": days_to_datetime(age_out_day(cols["dob"], float(scen["events.age_out"]))),
        "in_cohort": in_cohort,
    }


EVENT_LABELS = ("adopted", "died", "moved_abroad")


def _categorical(labels: tuple[str, ...] | list[str], codes: np.ndarray) -> pd.Categorical:
    """Latent labels as a categorical (cheap; latent columns are not canonical).

    ``codes`` are used as they are (no int64 copy): pandas keeps small codes as int8.
    """
    return pd.Categorical.from_codes(
        cast(Any, np.asarray(codes)), categories=pd.Index(list(labels))
    )


def _child_events(
    cols: dict[str, np.ndarray],
    num: NumRows,
    first_row: np.ndarray,
    people: People,
    extract: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adoptions, deaths and emigrations by the extract date: (child no, day, type).

    ``first_row`` marks each child's first row.
    """
    first = np.flatnonzero(first_row)
    children = cols["child"][first]
    child_no = num["cid"][first]
    death = people.death_day[children]
    abroad = people.abroad_day[children]
    adopted_rows = np.flatnonzero(cols["e_obs"] == 1)
    adopt_day = cols["disposal"][adopted_rows] + cols["t_obs"][adopted_rows]
    keep = (adopt_day <= extract) & (adopt_day < people.abroad_day[cols["child"][adopted_rows]])
    died = death <= extract
    moved = (abroad <= extract) & (abroad < death)
    ids = np.concatenate([num["cid"][adopted_rows][keep], child_no[died], child_no[moved]])
    days = np.concatenate([adopt_day[keep], death[died], abroad[moved]])
    types = np.concatenate(
        [
            np.zeros(int(keep.sum()), np.int64),
            np.ones(int(died.sum()), np.int64),
            np.full(int(moved.sum()), 2, np.int64),
        ]
    )
    o = sort_order((types, days, ids))
    return ids[o], days[o], types[o]


def _potential_frame(
    canonical: ProceedingsColumns,
    cols: dict[str, np.ndarray],
    idx: np.ndarray,
    po: dict[str, np.ndarray],
    orders: list[str],
) -> pd.DataFrame:
    """Potential outcomes of the disposal cohort, rows ``idx`` of the clean proceedings
    (``canonical`` their columns), in days from each arm's disposal; ``po`` holds the
    :data:`POTENTIAL_COLUMNS` of those rows."""
    pids, cids = canonical["proceedings_id"], canonical["child_id"]
    assert isinstance(pids, FixedText) and isinstance(cids, FixedText)
    return pd.DataFrame(
        {
            "proceedings_id": text_series(pids.take(idx)),
            "child_id": text_series(cids.take(idx)),
            "observed_arm": _categorical(("long", "short"), cols["short_arm"][idx].astype(int)),
            "duration_days_short": po["days_short"],
            "duration_days_long": po["days_long"],
            "order_short": _categorical(orders, cols["order_short"][idx]),
            "order_long": _categorical(orders, cols["order_long"][idx]),
            "time_short": po["t_short"],
            "event_short": _categorical(EVENT_NAMES, po["e_short"]),
            "time_long": po["t_long"],
            "event_long": _categorical(EVENT_NAMES, po["e_long"]),
            "time_short_order_long": po["t_cross"],
            "event_short_order_long": _categorical(EVENT_NAMES, po["e_cross"]),
        },
        copy=False,  # columns of ``po`` are used nowhere else
    )


__all__ = ["World", "generate"]
