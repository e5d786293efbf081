"""Generate the datasets for the survival::coxph reference suite.

Run from anywhere: ``python tests/reference/coxph/make_data.py [out_dir]``. Writes the
CSVs next to this file (or into ``out_dir``). A fixed :class:`numpy.random.Generator`
seed makes the output byte-identical on every run, so the CSVs in git can be regenerated
and checked (``TestReferencesAreLive``).

Datasets
--------
right
    600 rows of right-censored data: ``time`` rounded to 0.1 (many ties), ``status``
    0/1, covariates ``x1`` (normal), ``x2`` (binary), ``x3`` (uniform), stratum ``st``
    (3 levels with different baseline hazards), case weight ``w``, cluster ``cl``
    (30 clusters sharing a gamma frailty, so the clustered variance differs from the
    naive one), and ``cause`` 0/1/2 (the events split into two competing causes, for
    the cause-specific models).
counting
    Recurrent events in counting-process form (Andersen-Gill): 150 subjects (``id``),
    intervals ``(start, stop]`` cut at each event and at a subject-specific switch time
    (uniform on 0.5-3.0) where the time-varying covariate ``late`` turns on (rate x1.5);
    fixed ``x1``, ``x2``; ``sex``
    (stratum); subject weight ``w``; times rounded to 0.1 so events tie across subjects.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261126


def right(rng: np.random.Generator) -> pd.DataFrame:
    n = 600
    x1 = rng.normal(size=n).round(4)
    x2 = rng.binomial(1, 0.4, size=n)
    x3 = rng.uniform(size=n).round(4)
    st = rng.choice(["a", "b", "c"], size=n)
    cl = rng.integers(1, 31, size=n)
    frailty = rng.gamma(2.0, 0.5, size=30)[cl - 1]
    base = np.select([st == "a", st == "b"], [0.3, 0.6], 1.0)
    rate = base * frailty * np.exp(0.5 * x1 - 0.7 * x2 + 0.4 * x3)
    t_event = rng.exponential(1.0 / rate)
    t_cens = rng.exponential(2.5, size=n)
    time = np.maximum(np.ceil(np.minimum(t_event, t_cens) * 10) / 10, 0.1).round(1)
    status = (t_event <= t_cens).astype(int)
    p1 = 1.0 / (1.0 + np.exp(-(0.2 + 0.8 * x1 - 0.5 * x2)))
    cause = np.where(status == 1, np.where(rng.uniform(size=n) < p1, 1, 2), 0)
    w = rng.uniform(0.5, 2.0, size=n).round(3)
    return pd.DataFrame(
        {
            "time": time,
            "status": status,
            "cause": cause,
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "st": st,
            "w": w,
            "cl": cl,
        }
    )


def counting(rng: np.random.Generator) -> pd.DataFrame:
    n = 150
    rows = []
    for i in range(1, n + 1):
        x1 = round(float(rng.normal()), 4)
        x2 = int(rng.binomial(1, 0.5))
        sex = str(rng.choice(["F", "M"]))
        w = round(float(rng.uniform(0.5, 2.0)), 3)
        frail = float(rng.gamma(2.0, 0.5))
        tau = round(float(rng.uniform(2.0, 5.0)), 1)
        switch = round(float(rng.uniform(0.5, 3.0)), 1)
        # Events of a piecewise-constant Poisson process (rate x1.5 after the switch),
        # then rounded; duplicates within a subject dropped.
        rate = 0.5 * frail * np.exp(0.4 * x1 + 0.6 * x2)
        before = rng.uniform(0, min(switch, tau), size=rng.poisson(rate * min(switch, tau)))
        span = max(tau - switch, 0.0)
        after = switch + rng.uniform(0, span, size=rng.poisson(1.5 * rate * span))
        ev = np.unique(np.ceil(np.concatenate([before, after]) * 10) / 10).round(1)
        ev = ev[(ev > 0) & (ev < tau)]
        cuts = np.unique(np.concatenate([ev, [switch] if switch < tau else [], [tau]]))
        start = 0.0
        for stop in cuts:
            rows.append(
                {
                    "id": i,
                    "start": round(start, 1),
                    "stop": round(float(stop), 1),
                    "event": int(np.isin(stop, ev)),
                    "x1": x1,
                    "x2": x2,
                    "late": int(stop > switch),
                    "sex": sex,
                    "w": w,
                }
            )
            start = float(stop)
    return pd.DataFrame(rows)


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    right(rng).to_csv(out_dir / "right.csv", index=False)
    counting(rng).to_csv(out_dir / "counting.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
