"""Data-quality checks and the quality report.

>>> from outcomes.quality import check_quality
>>> report = check_quality(dataset)            # doctest: +SKIP
>>> report.issues.head()                       # row level, for the analyst
>>> report.to_html("quality.html")             # suppressed, safe to share
"""

from outcomes.quality.checks import CHECKS, DIMENSIONS, Check
from outcomes.quality.report import SCORE_WEIGHTS, QualityReport, check_quality
from outcomes.quality.scoring import FAULT_CHECKS, score_against

__all__ = [
    "CHECKS",
    "DIMENSIONS",
    "FAULT_CHECKS",
    "SCORE_WEIGHTS",
    "Check",
    "QualityReport",
    "check_quality",
    "score_against",
]
