"""care-outcomes: do the length of care proceedings and the type of final order change
what happens to children afterwards?

The public face of the library; see the documentation for the methods.

The names below are imported on first use (:pep:`562`), so that ``import outcomes``
and the command line start quickly: the study pulls in scikit-learn and matplotlib,
which ``outcomes --help`` and ``outcomes validate`` never need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes._lazy import lazy_names

if TYPE_CHECKING:
    from outcomes import errors, schema
    from outcomes.cohort import Cohort, build_cohort
    from outcomes.io import Dataset, Manifest, read_dataset, read_proceedings, write_dataset
    from outcomes.linkage import linkage_diagnostics
    from outcomes.policy import DurationPolicyEffect, parse_policy
    from outcomes.quality import QualityReport, check_quality
    from outcomes.simulation.plasmode import plasmode
    from outcomes.simulation.power import power
    from outcomes.study import RushedDisposalStudy, StudyResult

__version__ = "0.1.0"

# Public name -> the module it lives in; a module's own name maps to itself.
_LAZY: dict[str, str] = {
    "errors": "outcomes.errors",
    "schema": "outcomes.schema",
    "Cohort": "outcomes.cohort",
    "build_cohort": "outcomes.cohort",
    "Dataset": "outcomes.io",
    "Manifest": "outcomes.io",
    "read_dataset": "outcomes.io",
    "read_proceedings": "outcomes.io",
    "write_dataset": "outcomes.io",
    "linkage_diagnostics": "outcomes.linkage",
    "DurationPolicyEffect": "outcomes.policy",
    "parse_policy": "outcomes.policy",
    "QualityReport": "outcomes.quality",
    "check_quality": "outcomes.quality",
    "RushedDisposalStudy": "outcomes.study",
    "StudyResult": "outcomes.study",
    "power": "outcomes.simulation.power",
    "plasmode": "outcomes.simulation.plasmode",
}

__all__ = [
    "Cohort",
    "Dataset",
    "DurationPolicyEffect",
    "Manifest",
    "QualityReport",
    "RushedDisposalStudy",
    "StudyResult",
    "__version__",
    "build_cohort",
    "check_quality",
    "errors",
    "linkage_diagnostics",
    "parse_policy",
    "plasmode",
    "power",
    "read_dataset",
    "read_proceedings",
    "schema",
    "write_dataset",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
