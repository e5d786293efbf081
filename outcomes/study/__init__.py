"""The pre-specified study of rushed disposals and return to court."""

from outcomes.study.result import StudyResult
from outcomes.study.study import RushedDisposalStudy

__all__ = ["RushedDisposalStudy", "StudyResult"]
