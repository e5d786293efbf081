"""care-outcomes: do the length of care proceedings and the type of final order change
what happens to children afterwards?

The public face of the library; see the documentation for the methods.
"""

from outcomes import errors, schema
from outcomes.cohort import Cohort, build_cohort
from outcomes.io import Dataset, Manifest, read_dataset, read_proceedings, write_dataset
from outcomes.linkage import linkage_diagnostics
from outcomes.quality import QualityReport, check_quality
from outcomes.study import RushedDisposalStudy, StudyResult

__version__ = "0.1.0"

__all__ = [
    "Cohort",
    "Dataset",
    "Manifest",
    "QualityReport",
    "RushedDisposalStudy",
    "StudyResult",
    "__version__",
    "build_cohort",
    "check_quality",
    "errors",
    "linkage_diagnostics",
    "read_dataset",
    "read_proceedings",
    "schema",
    "write_dataset",
]
