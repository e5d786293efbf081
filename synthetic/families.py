"""Mothers, sibling groups and children of the applications.

First applications (a mother's first set of proceedings inside the window) are drawn
per calendar year from the volume series, spread uniformly over the year and across
LAs in proportion to their size. Each has

* a mother with latent difficulty :math:`M \\sim N(0,1)`, age at issue
  :math:`N(\\mu_a, \\sigma_a^2)` (at least ``mother_min_gap`` years older than her
  oldest child) and a count of proceedings before the window,
  :math:`\\text{Poisson}(e^{\\alpha + \\beta M}\\min(1, (\\text{age}-14)/10))`;
* a sibling group of :math:`k` children (categorical ``children_per_application_p``);
* ages: the youngest is an infant with probability ``youngest_infant_p`` (a newborn,
  under 7 days, with the year's newborn share, rising 32% to 42% between 2008 and 2017)
  and otherwise :math:`1 + \\text{Gamma}`; older siblings follow at gaps of
  :math:`0.9 + \\text{Gamma}(2)` years; children who would be 17 or over are dropped;
* latent case complexity :math:`C = \\rho M + \\sqrt{1-\\rho^2}\\,\\varepsilon`, shared by
  the siblings, and noisy binary indicators
  :math:`\\Pr(I_j = 1) = \\operatorname{logit}^{-1}(a_j + b_j C)`.

Later applications (a new child of the mother, a child's return) are built in
:mod:`synthetic.outcomes` and :mod:`synthetic.world` with the same complexity model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._sampling import categorical, poisson_small
from ._time import DAYS_PER_YEAR, year_start
from .areas import Areas
from .scenario import Scenario


@dataclass
class Applications:
    """Application-level arrays of one generation (one row per application)."""

    mother: np.ndarray  # mother index
    la: np.ndarray  # LA index
    issue: np.ndarray  # issue day
    complexity: np.ndarray
    origin: np.ndarray  # 0 first in window, 1 child return, 2 mother's new child
    chain: np.ndarray  # bool: spawns the mother's next new-child application


@dataclass
class ChildRows:
    """Child-level arrays of one generation (one row per child per application)."""

    app: np.ndarray  # index into the generation's Applications
    child: np.ndarray  # child index (global)


@dataclass
class People:
    """Growing per-person arrays shared across generations."""

    mother_dob: np.ndarray
    mother_latent: np.ndarray
    mother_prior: np.ndarray
    mother_la: np.ndarray
    child_dob: np.ndarray
    child_sex: np.ndarray  # 0 F, 1 M, 2 U
    child_mother: np.ndarray
    death_day: np.ndarray
    abroad_day: np.ndarray

    def add_children(
        self,
        dob: np.ndarray,
        sex: np.ndarray,
        mother: np.ndarray,
        death: np.ndarray,
        abroad: np.ndarray,
    ) -> np.ndarray:
        """Append children; return their indices."""
        start = len(self.child_dob)
        self.child_dob = np.concatenate([self.child_dob, dob])
        self.child_sex = np.concatenate([self.child_sex, sex])
        self.child_mother = np.concatenate([self.child_mother, mother])
        self.death_day = np.concatenate([self.death_day, death])
        self.abroad_day = np.concatenate([self.abroad_day, abroad])
        return np.arange(start, len(self.child_dob))

    def last_birth(self, mothers: np.ndarray) -> np.ndarray:
        """Day of birth of each of ``mothers``' youngest child so far."""
        latest = np.full(len(self.mother_dob), np.iinfo(np.int64).min // 4, dtype=np.int64)
        np.maximum.at(latest, self.child_mother, self.child_dob)
        return latest[mothers]


def first_applications_per_year(scenario: Scenario, n_applications: int | None) -> np.ndarray:
    """Number of first applications per window year.

    ``volume.applications`` counts all applications; first ones are the share
    ``1 - volume.repeat_share``. ``n_applications`` rescales the whole series.
    """
    years = np.asarray(scenario["volume.years"], dtype=int)
    volume = scenario.array("volume.applications")
    first, last = int(scenario["window.first_year"]), int(scenario["window.last_year"])
    keep = (years >= first) & (years <= last)
    volume = volume[keep]
    if len(volume) != last - first + 1:
        raise ValueError("volume.years must cover every year of the window")
    if n_applications is not None:
        volume = volume * (float(n_applications) / volume.sum())
    firsts = volume * (1.0 - float(scenario["volume.repeat_share"]))
    # largest-remainder rounding keeps the total exact and deterministic
    floor = np.floor(firsts).astype(int)
    short = round(firsts.sum()) - floor.sum()
    order = np.argsort(-(firsts - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def newborn_share(scenario: Scenario, year: np.ndarray) -> np.ndarray:
    """Share of infants who are newborns, interpolated linearly between the sources."""
    return np.interp(
        year,
        scenario.array("families.newborn_share_years"),
        scenario.array("families.newborn_share_of_infants"),
    )


def child_age_days(
    scenario: Scenario, rng: np.random.Generator, k: np.ndarray, year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ages (days) of the children of applications with ``k`` children.

    Returns the ages of all children (sibling order: youngest first) and the
    application index of each; children aged 17 or over are dropped.
    """
    n = len(k)
    infant = rng.random(n) < float(scenario["families.youngest_infant_p"])
    newborn = rng.random(n) < newborn_share(scenario, year)
    u_age = rng.random(n)
    young_years = 1.0 + rng.gamma(
        float(scenario["families.youngest_age_shape"]),
        float(scenario["families.youngest_age_scale"]),
        n,
    )
    youngest = np.where(
        infant,
        np.where(newborn, u_age * 7.0, 7.0 + u_age * (DAYS_PER_YEAR - 7.0)),
        np.minimum(young_years, 16.9) * DAYS_PER_YEAR,
    )
    app = np.repeat(np.arange(n), k)
    first_of_app = np.concatenate([[0], np.cumsum(k)[:-1]])
    rank = np.arange(len(app)) - np.repeat(first_of_app, k)
    gap_mean = float(scenario["families.sibling_gap_mean"])
    # Gamma(2) as the sum of two exponentials: the same law, a third of the cost
    gaps = 0.9 + (rng.standard_exponential(len(app)) + rng.standard_exponential(len(app))) * (
        max(gap_mean - 0.9, 0.05) / 2.0
    )
    gaps = np.where(rank == 0, 0.0, gaps) * DAYS_PER_YEAR
    # cumulative gaps within each application
    cum = np.cumsum(gaps)
    cum -= np.repeat(cum[first_of_app] - gaps[first_of_app], k)
    age = youngest[app] + cum
    keep = age < 17.0 * DAYS_PER_YEAR - 1.0
    return np.floor(age[keep]), app[keep]


def complexity_for(
    scenario: Scenario, rng: np.random.Generator, mother_latent: np.ndarray
) -> np.ndarray:
    """Latent complexity of applications given their mothers' latent difficulty."""
    rho = float(scenario["complexity.mother_corr"])
    return rho * mother_latent + np.sqrt(1.0 - rho**2) * rng.standard_normal(len(mother_latent))


def sex_draw(scenario: Scenario, rng: np.random.Generator, n: int) -> np.ndarray:
    """Child sex codes: 0 F, 1 M, 2 U."""
    u = rng.random(n)
    p_u = float(scenario["families.sex_unknown_p"])
    p_f = float(scenario["families.female_p"])
    return np.where(u < p_u, 2, np.where(u < p_u + p_f * (1 - p_u), 0, 1)).astype(np.int8)


def life_events(
    scenario: Scenario, rng: np.random.Generator, start_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Death and emigration days: exponential times from ``start_day``."""
    n = len(start_day)
    death = start_day + rng.exponential(1.0 / float(scenario["events.death_rate"]), n) * 365.25
    abroad = (
        start_day + rng.exponential(1.0 / float(scenario["events.moved_abroad_rate"]), n) * 365.25
    )
    big = np.iinfo(np.int64).max // 4
    return (
        np.minimum(np.ceil(death), big).astype(np.int64),
        np.minimum(np.ceil(abroad), big).astype(np.int64),
    )


def first_generation(
    scenario: Scenario,
    areas: Areas,
    rng: np.random.Generator,
    n_applications: int | None,
) -> tuple[Applications, ChildRows, People]:
    """Draw the mothers' first applications in the window with their children."""
    per_year = first_applications_per_year(scenario, n_applications)
    first_year = int(scenario["window.first_year"])
    years = np.arange(first_year, first_year + len(per_year))
    year = np.repeat(years, per_year)
    n = len(year)
    # issue days uniform over each year, drawn in date order: the year's count of
    # applications per day is multinomial (so nothing needs sorting)
    per_day = [
        rng.multinomial(count, np.full(days, 1.0 / days))
        for count, days in zip(
            per_year.tolist(),
            [year_start(int(y) + 1) - year_start(int(y)) for y in years],
            strict=True,
        )
    ]
    day = np.arange(year_start(first_year), year_start(first_year + len(per_year)))
    issue = np.repeat(day, np.concatenate(per_day))
    la = categorical(areas.weight, rng.random(n))

    k = 1 + categorical(scenario.array("families.children_per_application_p"), rng.random(n))
    age, app = child_age_days(scenario, rng, k, year + 0.5)
    # an application whose children were all 17+ keeps one child, the youngest, at 16
    has_child = np.bincount(app, minlength=n) > 0
    if not has_child.all():
        lone = np.flatnonzero(~has_child)
        age = np.concatenate([age, np.full(len(lone), 16.0 * DAYS_PER_YEAR)])
        app = np.concatenate([app, lone])
        o = np.argsort(app, kind="stable")
        age, app = age[o], app[o]
    oldest = np.zeros(n)
    np.maximum.at(oldest, app, age)

    latent = rng.standard_normal(n)
    m_age = rng.normal(
        float(scenario["families.mother_age_mean"]), float(scenario["families.mother_age_sd"]), n
    )
    m_age = np.clip(m_age, 14.0, 50.0)
    min_gap = float(scenario["families.mother_min_gap"])
    m_age = np.maximum(m_age, oldest / DAYS_PER_YEAR + min_gap + 3.0 * rng.random(n))
    mother_dob = issue - np.floor(m_age * DAYS_PER_YEAR).astype(np.int64)
    prior_rate = np.exp(
        float(scenario["families.prior_log_rate"])
        + float(scenario["families.prior_mother_latent"]) * latent
    ) * np.clip((m_age - 14.0) / 10.0, 0.0, 1.0)
    prior = poisson_small(prior_rate, rng.random(n))

    child_dob = issue[app] - age.astype(np.int64)
    sex = sex_draw(scenario, rng, len(app))
    death, abroad = life_events(scenario, rng, issue[app])
    people = People(
        mother_dob=mother_dob,
        mother_latent=latent,
        mother_prior=prior,
        mother_la=la,
        child_dob=child_dob,
        child_sex=sex,
        child_mother=app.copy(),
        death_day=death,
        abroad_day=abroad,
    )
    apps = Applications(
        mother=np.arange(n),
        la=la,
        issue=issue,
        complexity=complexity_for(scenario, rng, latent),
        origin=np.zeros(n, dtype=np.int8),
        chain=np.ones(n, dtype=bool),
    )
    return apps, ChildRows(app=app, child=np.arange(len(app))), people
