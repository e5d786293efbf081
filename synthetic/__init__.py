"""The synthetic world: an independent causal generator with known truth.

``synthetic`` encodes the truth; ``outcomes`` estimates it. This package imports
``outcomes.schema`` (column names, vocabularies, containers) and nothing else from
``outcomes``, so no modelling code is shared with the estimators it is used to test.

Typical use::

    import synthetic

    world = synthetic.generate("default", n_applications=5_000, seed=1)
    world.dataset.proceedings        # what an analyst gets (with faults)
    world.clean                      # before faults, with the latent variables
    world.truth.table()              # true marginal risks, RD, RR, mediation split,
                                     # duration policies' effects
    world.faults                     # every injected fault, by row
    synthetic.calibration_report(world)
    world.write("world/")            # dataset folder + truth.json

Modules: :mod:`~synthetic.scenario` (TOML scenarios with provenance),
:mod:`~synthetic.areas`, :mod:`~synthetic.families`, :mod:`~synthetic.duration`,
:mod:`~synthetic.orders`, :mod:`~synthetic.outcomes` (the structural model),
:mod:`~synthetic.policies` (duration policies), :mod:`~synthetic.truth`,
:mod:`~synthetic.faults`, :mod:`~synthetic.episodes`, :mod:`~synthetic.ssda903`,
:mod:`~synthetic.calibration` and :mod:`~synthetic.world` (putting it together).
"""

from .calibration import calibration_report
from .scenario import Scenario, ScenarioError, load_scenario, scenario_names
from .ssda903 import write_ssda903
from .truth import Truth
from .world import World, generate

__all__ = [
    "Scenario",
    "ScenarioError",
    "Truth",
    "World",
    "calibration_report",
    "generate",
    "load_scenario",
    "scenario_names",
    "write_ssda903",
]
