"""Generate the datasets for the cmprsk::cuminc reference suite.

Run from anywhere: ``python tests/reference/cuminc/make_data.py``. Writes one CSV per
dataset next to this file (columns ``time, status, group[, strata]``; status 0 is
censored). A fixed :class:`numpy.random.Generator` seed makes the output byte-identical
on every run, so the CSVs in git can be regenerated and checked.

Datasets
--------
ties_small
    80 rows, integer times 1-15 (heavy ties, events of both causes and censorings at the
    same times), 2 groups, 2 causes.
ties_large
    2,000 rows, times rounded to 0.1, 3 groups with different cause-1 hazards, 3 causes,
    2 strata.
continuous
    400 rows, continuous times (no ties), 2 groups, 2 causes.
single_cause
    300 rows, integer times, one cause only (so the CIF is 1 - Kaplan-Meier), 2 groups.
edge
    54 rows built to hit the corner cases: an event at time 0, a group whose last time is
    a tie of cause-1 events only (all-cause survival drops to 0), a group without
    cause-2 events, a group ending in a cause-1 / cause-2 tie (survival drops to 0 with
    a competing event at that time), three groups for Gray's test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20260521


def _competing(
    rng: np.random.Generator, n: int, rate1: np.ndarray, rates_other: list[float], cens: float
) -> tuple[np.ndarray, np.ndarray]:
    """Latent exponential failure times per cause plus exponential censoring."""
    latent = [rng.exponential(1.0 / rate1)] + [
        rng.exponential(1.0 / r, size=n) for r in rates_other
    ]
    latent.append(rng.exponential(1.0 / cens, size=n))
    stacked = np.column_stack(latent)
    which = stacked.argmin(axis=1)
    time = stacked.min(axis=1)
    status = np.where(which == stacked.shape[1] - 1, 0, which + 1)
    return time, status


def ties_small(rng: np.random.Generator) -> pd.DataFrame:
    n = 80
    group = rng.choice(["A", "B"], size=n)
    rate1 = np.where(group == "A", 0.06, 0.12)
    time, status = _competing(rng, n, rate1, [0.05], 0.04)
    time = np.clip(np.ceil(time), 1, 15)
    return pd.DataFrame({"time": time.astype(int), "status": status, "group": group})


def ties_large(rng: np.random.Generator) -> pd.DataFrame:
    n = 2000
    group = rng.choice(["g1", "g2", "g3"], size=n, p=[0.5, 0.3, 0.2])
    strata = rng.choice(["s1", "s2"], size=n)
    rate1 = np.select([group == "g1", group == "g2"], [0.10, 0.14], 0.20)
    rate1 = rate1 * np.where(strata == "s2", 1.3, 1.0)
    time, status = _competing(rng, n, rate1, [0.06, 0.03], 0.05)
    return pd.DataFrame(
        {"time": np.round(time, 1), "status": status, "group": group, "strata": strata}
    )


def continuous(rng: np.random.Generator) -> pd.DataFrame:
    n = 400
    group = rng.choice(["x", "y"], size=n)
    rate1 = np.where(group == "x", 0.2, 0.3)
    time, status = _competing(rng, n, rate1, [0.15], 0.1)
    return pd.DataFrame({"time": time, "status": status, "group": group})


def single_cause(rng: np.random.Generator) -> pd.DataFrame:
    n = 300
    group = rng.choice(["u", "v"], size=n)
    rate1 = np.where(group == "u", 0.05, 0.08)
    time, status = _competing(rng, n, rate1, [], 0.03)
    return pd.DataFrame({"time": np.ceil(time).astype(int), "status": status, "group": group})


def edge(rng: np.random.Generator) -> pd.DataFrame:
    # Group "p": random ties; then a deterministic tail where the two largest times are
    # cause-1 events at the same time, so all-cause survival reaches 0.
    tp = rng.integers(0, 6, size=16)
    sp = rng.choice([0, 1, 2], size=16, p=[0.3, 0.4, 0.3])
    tp[0], sp[0] = 0, 1  # an event at time 0
    tp = np.concatenate([tp, [7, 7, 8, 8]])
    sp = np.concatenate([sp, [2, 1, 1, 1]])
    # Group "q": no cause-2 events, ends with a censoring.
    tq = rng.integers(1, 8, size=19)
    sq = rng.choice([0, 1], size=19, p=[0.4, 0.6])
    tq = np.concatenate([tq, [9]])
    sq = np.concatenate([sq, [0]])
    # Group "r": ends with a cause-1 and a cause-2 event tied at the last time, so the
    # competing term meets all-cause survival 0 (cmprsk drops it there).
    tr = rng.integers(1, 9, size=12)
    sr = rng.choice([0, 1, 2], size=12, p=[0.3, 0.4, 0.3])
    tr = np.concatenate([tr, [10, 10]])
    sr = np.concatenate([sr, [1, 2]])
    return pd.DataFrame(
        {
            "time": np.concatenate([tp, tq, tr]),
            "status": np.concatenate([sp, sq, sr]),
            "group": ["p"] * 20 + ["q"] * 20 + ["r"] * 14,
        }
    )


DATASETS = {
    "ties_small": ties_small,
    "ties_large": ties_large,
    "continuous": continuous,
    "single_cause": single_cause,
    "edge": edge,
}


def make_all(out_dir: Path = HERE) -> dict[str, Path]:
    """Write every dataset; each gets its own child seed so they are independent."""
    seeds = np.random.SeedSequence(SEED).spawn(len(DATASETS))
    paths = {}
    for (name, make), seq in zip(DATASETS.items(), seeds, strict=True):
        df = make(np.random.default_rng(seq))
        path = out_dir / f"{name}.csv"
        df.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
        paths[name] = path
    return paths


if __name__ == "__main__":
    for path in make_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE).values():
        print(f"wrote {path.name}")
