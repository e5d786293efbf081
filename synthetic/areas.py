"""Local authorities inside Designated Family Judge areas.

Each DFJ area has a court-speed effect :math:`s_d \\sim N(0, \\sigma_d^2)` on log duration;
each LA adds its own :math:`s_\\ell \\sim N(0, \\sigma_\\ell^2)`. LA *practice*
:math:`p_\\ell` (standardised) correlates with the area's speed,

.. math:: p_\\ell = -\\rho\\, s_d / \\sigma_d + \\sqrt{1-\\rho^2}\\, z_\\ell ,

so fast courts sit with practice that favours supervision orders and SGOs and carries
more returns to court: area confounds the duration-outcome relation. The LA's log
frailty of return is :math:`f_\\ell = \\beta_p p_\\ell + N(0, \\sigma_f^2)`. Recording
quality is a log-normal multiplier of every data-quality fault rate. LA sizes are
log-normal weights, used to share applications out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenario import Scenario


@dataclass
class Areas:
    """The LAs of the world; arrays are indexed by LA number."""

    la_code: np.ndarray
    dfj_area: np.ndarray
    dfj_index: np.ndarray
    weight: np.ndarray
    speed: np.ndarray
    practice: np.ndarray
    log_frailty: np.ndarray
    recording: np.ndarray

    @property
    def n(self) -> int:
        return len(self.la_code)


def make_areas(scenario: Scenario, rng: np.random.Generator) -> Areas:
    """Draw LAs, their DFJ areas and area effects (see module docstring)."""
    n_la = int(scenario["areas.n_la"])
    n_dfj = int(scenario["areas.n_dfj"])
    if n_dfj > n_la or n_dfj < 1:
        raise ValueError("need 1 <= areas.n_dfj <= areas.n_la")
    # every area has at least one LA; the rest are spread at random
    dfj_index = np.concatenate([np.arange(n_dfj), rng.integers(0, n_dfj, n_la - n_dfj)])
    dfj_index = np.sort(dfj_index)
    sd_dfj = float(scenario["areas.dfj_speed_sd"])
    dfj_speed = rng.normal(0.0, sd_dfj, n_dfj)
    speed = dfj_speed[dfj_index] + rng.normal(0.0, float(scenario["areas.la_speed_sd"]), n_la)
    rho = float(scenario["areas.practice_speed_corr"])
    z_speed = dfj_speed[dfj_index] / sd_dfj if sd_dfj > 0 else np.zeros(n_la)
    # fast courts (negative speed) go with higher practice scores
    practice = -rho * z_speed + np.sqrt(1.0 - rho**2) * rng.standard_normal(n_la)
    log_frailty = float(scenario["areas.frailty_practice"]) * practice + rng.normal(
        0.0, float(scenario["areas.frailty_sd"]), n_la
    )
    weight = np.exp(rng.normal(0.0, float(scenario["areas.la_size_sdlog"]), n_la))
    weight /= weight.sum()
    # Centre the effects on the national case load: the scenario's national figures
    # (median weeks, 5-year risks, order intercepts) then hold for every seed, and the
    # area draws only spread LAs around them.
    speed -= np.log(np.sum(weight * np.exp(speed)))
    log_frailty -= np.log(np.sum(weight * np.exp(log_frailty)))
    practice -= np.sum(weight * practice)
    sd_rec = float(scenario["areas.recording_sdlog"])
    # mean-one multiplier, so base fault rates are national averages
    recording = np.exp(rng.normal(-(sd_rec**2) / 2.0, sd_rec, n_la))
    width = max(3, len(str(n_la)))
    la_code = np.array([f"LA{i + 1:0{width}d}" for i in range(n_la)], dtype=object)
    dfj_names = np.array([f"DFJ{i + 1:02d}" for i in range(n_dfj)], dtype=object)
    return Areas(
        la_code=la_code,
        dfj_area=dfj_names[dfj_index],
        dfj_index=dfj_index,
        weight=weight,
        speed=speed,
        practice=practice,
        log_frailty=log_frailty,
        recording=recording,
    )
