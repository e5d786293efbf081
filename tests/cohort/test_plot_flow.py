"""The flow diagram shows every excluding step and the final count."""

from __future__ import annotations

import matplotlib.pyplot as plt

from outcomes.cohort import build_cohort
from outcomes.cohort.plot import plot_flow
from outcomes.datasets import load_example


def test_flow_diagram_texts() -> None:
    cohort = build_cohort(load_example(), outcome="mother_recurrence")
    ax = plot_flow(cohort.flow)
    texts = [t.get_text() for t in ax.texts if t.get_text()]
    excluding = cohort.flow.loc[cohort.flow["rows_out"] > 0]
    assert len(texts) == 1 + 2 * len(excluding)
    assert texts[0].endswith(f"{cohort.flow.attrs['rows_input']:,} rows")
    assert texts[-1] == f"analysis cohort\n{len(cohort.data):,}"
    plt.close(ax.figure)
