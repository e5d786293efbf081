"""The pre-specified study of rushed disposals and return to court.

The study's names are imported on first use (:pep:`562`): the study brings in
scikit-learn and matplotlib, which code that needs only its building blocks (the
analysis frame, the bootstrap) should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes._lazy import lazy_names

if TYPE_CHECKING:
    from outcomes.study.result import StudyResult
    from outcomes.study.study import RushedDisposalStudy

_LAZY: dict[str, str] = {
    "RushedDisposalStudy": "outcomes.study.study",
    "StudyResult": "outcomes.study.result",
}

__all__ = ["RushedDisposalStudy", "StudyResult"]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
