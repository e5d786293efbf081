r"""Plasmode simulation: the study's methods checked on data like the user's own.

A synthetic world tells how the methods behave in *our* world. An analyst with their own
extract wants to know how they behave in *theirs*: its case mix, its confounding of
duration, its follow-up. A plasmode simulation (Franklin et al. 2014) keeps the real
children -- their confounders, their exposure (disposal within 26 weeks or not) and how
long each could be followed -- and replaces only the outcome, simulated from models
fitted to the same data with an effect of known size injected. Every method's bias
and coverage are then measured against that known effect.

The outcome model
    Two cause-specific Cox models fitted to the user's children: return to court
    (event 1) and any competing event (adoption, death, ageing out; events 2 and
    over), each with the exposure and the study's confounders (levels without events
    pooled as in the study's hazard models). Their Breslow baseline hazards
    :math:`d\Lambda_{0c}(t_k)` at the observed event times, the confounders'
    coefficients and, for the competing event, the exposure's coefficient are kept.
    The exposure's coefficient for return is replaced by :math:`\gamma`.
Simulating an outcome
    Child :math:`i` with exposure :math:`a_i` and confounders :math:`x_i` has cause
    :math:`c` hazard increments
    :math:`d\Lambda_{ic}(t_k) = d\Lambda_{0c}(t_k)\exp(x_i^\top\beta_c + a_i\gamma_c)`.
    Its event time is the first :math:`t_k` at which
    :math:`\sum_c\Lambda_{ic}(t_k) \ge E_i`, :math:`E_i \sim \text{Exp}(1)`, the cause
    drawn in proportion to the increments there; none if the total never reaches
    :math:`E_i`. It is observed if it falls before the child's own end of follow-up
    (the extract date, or the end of the cohort definition's follow-up), which is
    kept from the data, so the censoring pattern is the real one.
The truth
    Under that process the risk of return by the horizon :math:`h` is exactly
    :math:`F_1(h \mid a, x) = \sum_{t_k \le h} S(t_{k-1})\,(1-e^{-d\Lambda(t_k)})\,
    d\Lambda_1(t_k) / d\Lambda(t_k)` with :math:`S(t_k) = \prod_{j \le k}
    e^{-d\Lambda(t_j)}`, so the marginal risk difference
    :math:`\frac1n\sum_i F_1(h \mid 1, x_i) - F_1(h \mid 0, x_i)` -- the study's primary
    estimand, over the user's children -- is computed, not simulated.
    :math:`\gamma` is solved (Brent's method) so that it equals the requested
    ``effect``. The crude comparison's own target, the difference of the arms'
    average risks with their own confounders, is computed the same way, so the
    confounding that the adjustment must remove is shown too.

What it can and cannot tell
    It keeps the real confounders, exposure and follow-up, so it shows whether the
    methods cope with *this* overlap, *this* number of returns and *this* censoring.
    It keeps the real confounding structure only as far as the fitted models capture
    it: confounding by something not recorded is absent from the simulated outcomes
    (so a plasmode cannot reveal it), the outcome model is proportional-hazards with
    no area term (area differences in return rates beyond the confounders are not
    reproduced), ageing out -- certain at the 18th birthday -- is simulated as a hazard
    like adoption and death, and censoring other than by the extract date (a move
    abroad) is not reproduced. The exposure is the real assignment, not a model of it.
    Its coverage is about the data's own children: a statement about the methods on
    data like these, not about the population they came from.

References
----------
Franklin, J. M., Schneeweiss, S., Polinski, J. M. and Rassen, J. A. (2014). Plasmode
simulation for the evaluation of pharmacoepidemiologic methods in complex healthcare
databases. *Computational Statistics & Data Analysis* 72, 219-226.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from outcomes.cohort._dates import DAYS_PER_YEAR
from outcomes.simulation.performance import performance
from outcomes.simulation.power import analyse_primary
from outcomes.simulation.study import SimulationError, SimulationStudy

HORIZON = 2.0
PRIMARY = "iptw_aalen_johansen"
CRUDE = "crude_aalen_johansen"


@dataclass
class PlasmodeResult:
    """What :func:`plasmode` found.

    Attributes
    ----------
    results : DataFrame
        One row per replicate and method (the :class:`SimulationStudy` layout, with
        ``truth``).
    performance : DataFrame
        :func:`outcomes.simulation.performance` of ``results`` by method: bias,
        coverage, empirical and model SEs, each with its Monte Carlo SE.
    truth : dict
        The injected effect (``iptw_aalen_johansen``: the marginal risk difference) and
        the crude comparison's target (``crude_aalen_johansen``).
    log_hazard_ratio : float
        :math:`\\gamma`, the exposure's coefficient for return that gives the effect.
    """

    results: pd.DataFrame
    performance: pd.DataFrame
    truth: dict[str, float]
    log_hazard_ratio: float


class _Model:
    """The fitted outcome model of one dataset, reduced to arrays (picklable)."""

    def __init__(self, study: Any, horizon: float) -> None:
        from outcomes.study.frame import pool_eventless_levels
        from outcomes.study.methods import formula
        from outcomes.survival import CoxFitter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, _, af = study._prepare()
        data, _ = pool_eventless_levels(af.data, af.confounders)
        rhs = formula(af.confounders, data)
        if not (data["event"] == 1).any() or not (data["event"] >= 2).any():
            raise SimulationError(
                "a plasmode needs returns and competing events in the data to model them"
            )
        fits = []
        for cause, flag in ((1, data["event"] == 1), (2, data["event"] >= 2)):
            fit = CoxFitter().fit(
                data.assign(_event=flag.astype(int)), "years", "_event", formula=rhs
            )
            fits.append(fit)
            if cause == 1:
                self.names = list(fit.params_.index)
        grid = np.unique(np.concatenate([f.baseline_hazard_steps_["time"] for f in fits]))
        self.times = grid
        self.base = np.vstack(
            [
                np.diff(np.concatenate([[0.0], f._cumhaz_at(np.zeros(1, np.int64), grid)[:, 0]]))
                for f in fits
            ]
        )  # (2, K) baseline increments on the common grid
        exposure = self.names.index("exposed")
        X = fits[0].design_matrix(data).to_numpy()
        beta1 = fits[0].params_.to_numpy().copy()
        beta1[exposure] = 0.0
        self.lp_return = X @ beta1  # without the exposure: gamma is injected
        self.lp_other = fits[1].design_matrix(data).to_numpy() @ fits[1].params_.to_numpy()
        self.gamma_other = float(fits[1].params_.iloc[exposure])
        self.exposed = data["exposed"].to_numpy()
        # the real end of follow-up that does not depend on what happens to the child:
        # the extract date (the competing events, ageing out included, are simulated)
        since = pd.Timestamp(af.cohort.definition.extract_date) - data["disposal_date"]
        self.followup = (since.dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
        self.row_id = data["row_id"].to_numpy()
        self.horizon = horizon
        self.cohort = af.cohort

    def risks(self, gamma: float, arm: int) -> np.ndarray:
        """Exact risk of return by the horizon of every child set to ``arm``."""
        upto = self.times <= self.horizon
        d1 = self.base[0, upto][None, :] * np.exp(self.lp_return + gamma * arm)[:, None]
        d2 = self.base[1, upto][None, :] * np.exp(self.lp_other + self.gamma_other * arm)[:, None]
        total = d1 + d2
        survive = np.exp(-np.cumsum(total, axis=1))
        before = np.hstack([np.ones((len(total), 1)), survive[:, :-1]])
        share = np.divide(d1, total, out=np.zeros_like(d1), where=total > 0)
        return (before * -np.expm1(-total) * share).sum(axis=1)

    def effect(self, gamma: float) -> float:
        return float(np.mean(self.risks(gamma, 1) - self.risks(gamma, 0)))

    def crude_target(self, gamma: float) -> float:
        own = np.where(self.exposed == 1, self.risks(gamma, 1), self.risks(gamma, 0))
        return float(own[self.exposed == 1].mean() - own[self.exposed == 0].mean())

    def draw(self, gamma: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Simulated (years, event) of every child, with its real end of follow-up."""
        scale1 = np.exp(self.lp_return + gamma * self.exposed)
        scale2 = np.exp(self.lp_other + self.gamma_other * self.exposed)
        n = len(scale1)
        budget = rng.exponential(size=n)
        pick = rng.random(size=n)
        cum1 = np.cumsum(self.base[0])
        cum2 = np.cumsum(self.base[1])
        # total cumulative hazard is increasing in k for every child: the first step at
        # which it reaches the child's budget is found by bisection per child
        lo = np.zeros(n, dtype=np.int64)
        hi = np.full(n, len(self.times), dtype=np.int64)
        while np.any(lo < hi):
            mid = (lo + hi) // 2
            inside = mid < len(self.times)
            at = np.where(
                inside,
                cum1[np.minimum(mid, len(self.times) - 1)] * scale1
                + cum2[np.minimum(mid, len(self.times) - 1)] * scale2,
                np.inf,
            )
            reached = at >= budget
            active = lo < hi
            hi = np.where(active & reached, mid, hi)
            lo = np.where(active & ~reached, mid + 1, lo)
        happened = lo < len(self.times)
        k = np.minimum(lo, len(self.times) - 1)
        t_event = np.where(happened, self.times[k], np.inf)
        d1 = self.base[0, k] * scale1
        d2 = self.base[1, k] * scale2
        cause = np.where(pick * (d1 + d2) < d1, 1, 2)
        observed = t_event <= self.followup
        years = np.where(observed, t_event, self.followup)
        event = np.where(observed, cause, 0)
        return years, event


def plasmode(
    dataset: Any,
    effect: float,
    n_reps: int = 200,
    *,
    horizon: float = HORIZON,
    confounders: list[str] | None = None,
    n_boot: int = 50,
    alpha: float = 0.05,
    seed: int = 0,
    backend: str = "serial",
    scheduler: str | None = None,
    chunk_size: int = 4,
    out: str | Path | None = None,
    progress: bool = False,
) -> PlasmodeResult:
    """Bias and coverage of the study's primary analysis on outcomes simulated for the
    user's own children, with a known effect; see the module notes.

    Parameters
    ----------
    dataset : Dataset or Cohort
        The user's data, as :class:`~outcomes.study.RushedDisposalStudy` takes it.
    effect : float
        The marginal risk difference of return by ``horizon`` to inject (0.02 = 2
        points); 0 checks the methods' behaviour under no effect.
    n_reps : int
        Simulated outcome sets.
    horizon : float
        Years after disposal.
    confounders : list of str, optional
        As the study (default: its default confounders).
    n_boot, alpha
        Bootstrap replicates and level of each analysis (the study's inference rule).
    seed, backend, scheduler, chunk_size, out, progress
        As :meth:`SimulationStudy.run`.

    Returns
    -------
    PlasmodeResult
    """
    from outcomes.study import RushedDisposalStudy

    if not (math.isfinite(effect) and abs(effect) < 0.5):
        raise SimulationError(f"effect must be a risk difference in (-0.5, 0.5), got {effect}")
    study = RushedDisposalStudy(
        dataset, horizons=(horizon,), confounders=confounders, n_boot=n_boot, alpha=alpha
    )
    model = _Model(study, horizon)
    try:
        gamma = optimize.brentq(lambda g: model.effect(g) - effect, -4.0, 4.0, xtol=1e-10)
    except ValueError:
        raise SimulationError(
            f"no hazard ratio between exp(-4) and exp(4) gives a {horizon:g}-year risk "
            f"difference of {effect:g} for these children"
        ) from None
    truth = {PRIMARY: model.effect(gamma), CRUDE: model.crude_target(gamma)}
    sim = SimulationStudy(
        functools.partial(_generate, model, gamma, truth),
        {
            "study": functools.partial(
                analyse_primary,
                confounders=confounders,
                n_boot=n_boot,
                alpha=alpha,
                horizon=horizon,
            )
        },
        n_reps=n_reps,
        seed=seed,
    )
    raw = sim.run(
        backend=backend,  # type: ignore[arg-type]
        scheduler=scheduler,
        chunk_size=chunk_size,
        out=out,
        progress=progress,
    )
    results = raw.drop(columns="method").rename(columns={"estimand": "method"})
    table = performance(results, by=["method"], alpha=alpha)
    return PlasmodeResult(results=results, performance=table, truth=truth, log_hazard_ratio=gamma)


def _generate(
    model: _Model, gamma: float, truth: dict[str, float], params: Any, rng: np.random.Generator
) -> tuple[Any, dict[str, float]]:
    years, event = model.draw(gamma, rng)
    cohort = model.cohort
    data = cohort.data.set_index("row_id").loc[model.row_id].reset_index()
    data["time"] = years
    data["event"] = event
    simulated = dataclasses.replace(cohort, data=data)
    return (simulated, int(rng.integers(2**31))), truth


__all__: Sequence[str] = ["PlasmodeResult", "plasmode"]
