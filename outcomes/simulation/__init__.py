"""Simulation studies in the ADEMP frame: aims, data-generating mechanisms, estimands,
methods and performance measures (Morris, White & Crowther 2019).

:class:`SimulationStudy` runs ``methods`` on data drawn by ``generate`` over a design
grid, serially, in worker processes or on a Dask cluster, with results that do not
depend on the backend, the number of workers or the chunk size;
:func:`performance` summarises the tidy results with Monte Carlo standard errors;
:func:`zip_plot`, :func:`nested_loop_plot` and :func:`coverage_plot` draw them.

Dask and matplotlib are imported only when a Dask run or a plot asks for them.
"""

from __future__ import annotations

from outcomes.simulation.performance import MEASURES, performance
from outcomes.simulation.plots import coverage_plot, nested_loop_plot, zip_plot
from outcomes.simulation.study import (
    RESULT_COLUMNS,
    WORKER_CONFIG,
    SimulationError,
    SimulationStudy,
    local_cluster,
)

__all__ = [
    "MEASURES",
    "RESULT_COLUMNS",
    "SimulationError",
    "SimulationStudy",
    "WORKER_CONFIG",
    "coverage_plot",
    "local_cluster",
    "nested_loop_plot",
    "performance",
    "zip_plot",
]
