"""Generate the datasets for the cmprsk::crr (Fine-Gray) reference suite.

Run from anywhere: ``python tests/reference/crr/make_data.py [out_dir]``. Writes one CSV
per dataset next to this file (or into ``out_dir``); ``status`` is 0 = censored, 1 and 2
the two competing causes. A fixed :class:`numpy.random.Generator` seed makes the output
byte-identical on every run (``TestReferencesAreLive`` checks it).

Datasets
--------
effects
    400 rows; ``x1`` (normal) and ``x2`` (binary) change both causes, ``x3`` (normal)
    changes neither; times rounded to 0.05, so events of both causes and censorings tie.
null
    300 rows; covariates ``z1``, ``z2`` with no effect on anything; integer times 1-25
    (heavy ties).
strong
    500 rows; strong effects of ``x1``, ``x2``; continuous times (no ties); two
    censoring groups ``cg`` with different censoring rates (crr's ``cengroup``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261127


def _latent(
    rng: np.random.Generator, rate1: np.ndarray, rate2: np.ndarray, cens: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Latent exponential times per cause and for censoring; the first one is observed."""
    t = np.column_stack(
        [rng.exponential(1.0 / rate1), rng.exponential(1.0 / rate2), rng.exponential(1.0 / cens)]
    )
    which = t.argmin(axis=1)
    return t.min(axis=1), np.where(which == 2, 0, which + 1)


def effects(rng: np.random.Generator) -> pd.DataFrame:
    n = 400
    x1 = rng.normal(size=n).round(4)
    x2 = rng.binomial(1, 0.5, size=n)
    x3 = rng.normal(size=n).round(4)
    time, status = _latent(
        rng, 0.5 * np.exp(0.6 * x1 - 0.5 * x2), 0.4 * np.exp(-0.4 * x1 + 0.3 * x2), np.full(n, 0.3)
    )
    time = np.maximum(np.ceil(time * 20) / 20, 0.05).round(2)
    return pd.DataFrame({"time": time, "status": status, "x1": x1, "x2": x2, "x3": x3})


def null(rng: np.random.Generator) -> pd.DataFrame:
    n = 300
    z1 = rng.normal(size=n).round(4)
    z2 = rng.binomial(1, 0.3, size=n)
    time, status = _latent(rng, np.full(n, 0.06), np.full(n, 0.04), np.full(n, 0.03))
    time = np.clip(np.ceil(time), 1, 25).astype(int)
    return pd.DataFrame({"time": time, "status": status, "z1": z1, "z2": z2})


def strong(rng: np.random.Generator) -> pd.DataFrame:
    n = 500
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    cg = rng.choice(["u", "v"], size=n)
    time, status = _latent(
        rng,
        0.3 * np.exp(1.0 * x1 + 0.8 * x2),
        0.3 * np.exp(-0.8 * x1),
        np.where(cg == "u", 0.1, 0.4),
    )
    return pd.DataFrame({"time": time, "status": status, "x1": x1, "x2": x2, "cg": cg})


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for name, make in (("effects", effects), ("null", null), ("strong", strong)):
        make(rng).to_csv(out_dir / f"{name}.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
