"""Generate the datasets for the corrected-variance and weights reference suite.

Run from anywhere: ``python tests/reference/pseudo_corrected/make_data.py [out_dir]``.
Writes the CSVs next to this file (or into ``out_dir``); a fixed seed makes them the same
on every run (``TestReferenceIsLive`` checks it).

Datasets
--------
competing
    300 rows: ``time`` continuous (rounded to 1e-6, no two rows share a time),
    ``status`` 0 censored, 1 the cause of interest (hazard 0.3 exp(0.5 x + 0.4 z)),
    2 a competing event (hazard 0.2), censoring uniform on (0.5, 5); covariates ``x``
    (normal) and ``z`` (binary), a case weight ``w`` (uniform on 0.5-2) and a stratum
    ``g`` (a/b).
single
    250 rows with one event type (hazard 0.4 exp(0.6 x - 0.5 z)), censoring
    exponential with mean 4 for ``z = 0`` and 1.5 for ``z = 1`` (censoring depends on a
    covariate, for the IPCW values), ``x`` and ``z`` as above.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261204


def competing(rng: np.random.Generator) -> pd.DataFrame:
    n = 300
    x = rng.normal(size=n).round(4)
    z = rng.binomial(1, 0.5, size=n)
    t1 = rng.exponential(1.0 / (0.3 * np.exp(0.5 * x + 0.4 * z)))
    t2 = rng.exponential(1.0 / 0.2, size=n)
    c = rng.uniform(0.5, 5.0, size=n)
    time = np.minimum.reduce([t1, t2, c])
    status = np.where(time == t1, 1, np.where(time == t2, 2, 0))
    w = rng.uniform(0.5, 2.0, size=n).round(3)
    g = rng.choice(["a", "b"], size=n)
    frame = pd.DataFrame({"time": time.round(6), "status": status, "x": x, "z": z, "w": w, "g": g})
    assert frame["time"].is_unique
    return frame


def single(rng: np.random.Generator) -> pd.DataFrame:
    n = 250
    x = rng.normal(size=n).round(4)
    z = rng.binomial(1, 0.5, size=n)
    t = rng.exponential(1.0 / (0.4 * np.exp(0.6 * x - 0.5 * z)))
    c = rng.exponential(np.where(z == 1, 1.5, 4.0))
    time = np.minimum(t, c)
    frame = pd.DataFrame({"time": time.round(6), "status": (t <= c).astype(int), "x": x, "z": z})
    assert frame["time"].is_unique
    return frame


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    competing(rng).to_csv(out_dir / "competing.csv", index=False)
    single(rng).to_csv(out_dir / "single.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
