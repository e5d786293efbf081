"""Seeded inputs for the funnel-limit reference (run: python make_data.py).

Three tables of 40 areas each:

* ``proportions.csv``: events out of children, overdispersed (area logits vary with
  sd 0.3) plus one clearly high area;
* ``ratios.csv``: observed and expected counts of an indirectly standardised ratio,
  overdispersed (log ratios vary with sd 0.15), with one area with no events;
* ``binomial.csv``: proportions with chance variation only (so tau^2 should be 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def make_all(folder: Path = HERE) -> dict[str, Path]:
    rng = np.random.default_rng(20050101)
    areas = [f"A{i:02d}" for i in range(40)]
    n = rng.integers(40, 2500, size=40)
    p = 1.0 / (1.0 + np.exp(-(-1.4 + rng.normal(0.0, 0.3, size=40))))
    p[7] = 0.45
    prop = pd.DataFrame({"area": areas, "events": rng.binomial(n, p), "children": n})
    expected = np.round(rng.uniform(8.0, 400.0, size=40), 3)
    observed = rng.poisson(expected * np.exp(rng.normal(0.0, 0.15, size=40)))
    observed[3] = 0
    ratio = pd.DataFrame({"area": areas, "observed": observed, "expected": expected})
    n2 = rng.integers(100, 3000, size=40)
    binom = pd.DataFrame({"area": areas, "events": rng.binomial(n2, 0.2), "children": n2})
    written = {}
    for name, table in (("proportions", prop), ("ratios", ratio), ("binomial", binom)):
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False, lineterminator="\n")
        written[name] = path
    return written


if __name__ == "__main__":
    make_all()
