"""Generate the dataset for the recurrent-events reference suite (MCF, Andersen-Gill, PWP).

Run from anywhere: ``python tests/reference/mcf/make_data.py [out_dir]``. Writes
``recurrent.csv`` next to this file (or into ``out_dir``). A fixed
:class:`numpy.random.Generator` seed makes the output byte-identical on every run, so the
CSV in git can be regenerated and checked (``TestReferencesAreLive``).

Dataset
-------
recurrent
    Counting-process long form, one row per at-risk interval ``(start, stop]``, as
    :meth:`outcomes.cohort.Cohort.recurrent` returns it: 200 subjects (``id``), events of a
    Poisson process with a shared gamma frailty (rate ``0.6 * frailty * exp(0.5 x - 0.3
    x2)``), follow-up ended by administrative censoring (uniform on 2-6) or by a terminal
    event (hazard ``0.15 * frailty``, so the terminal event is informative for the
    recurrent one). Columns ``id, start, stop, event, episode, terminal, x, x2, group``;
    ``terminal`` is 1 on the last row of a subject whose follow-up ended in the terminal
    event; ``group`` ("a"/"b") for by-group MCFs. Times are rounded up to 0.1 so events
    tie across subjects.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261127


def recurrent(rng: np.random.Generator) -> pd.DataFrame:
    n = 200
    rows = []
    for i in range(1, n + 1):
        x = int(rng.binomial(1, 0.5))
        x2 = round(float(rng.normal()), 4)
        group = str(rng.choice(["a", "b"]))
        frail = float(rng.gamma(2.0, 0.5))
        censor = float(rng.uniform(2.0, 6.0))
        death = float(rng.exponential(1.0 / (0.15 * frail)))
        end = round(float(np.ceil(min(censor, death) * 10) / 10), 1)
        terminal = int(death < censor)
        rate = 0.6 * frail * np.exp(0.5 * x - 0.3 * x2)
        ev = rng.uniform(0, end, size=rng.poisson(rate * end))
        ev = np.unique(np.ceil(ev * 10) / 10).round(1)
        ev = ev[(ev > 0) & (ev < end)]
        start = 0.0
        stops = [*ev.tolist(), end]
        for k, stop in enumerate(stops, start=1):
            last = k == len(stops)
            rows.append(
                {
                    "id": i,
                    "start": round(start, 1),
                    "stop": round(float(stop), 1),
                    "event": int(not last),
                    "episode": k,
                    "terminal": terminal if last else 0,
                    "x": x,
                    "x2": x2,
                    "group": group,
                }
            )
            start = float(stop)
    return pd.DataFrame(rows)


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    recurrent(rng).to_csv(out_dir / "recurrent.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
