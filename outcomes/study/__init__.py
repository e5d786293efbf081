"""The pre-specified study of rushed disposals and return to court.

The study's names are imported on first use (:pep:`562`): the study brings in
scikit-learn and matplotlib, which code that needs only its building blocks (the
analysis frame, the bootstrap) should not pay for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from outcomes.study.result import StudyResult
    from outcomes.study.study import RushedDisposalStudy

_LAZY: dict[str, str] = {
    "RushedDisposalStudy": "outcomes.study.study",
    "StudyResult": "outcomes.study.result",
}

__all__ = ["RushedDisposalStudy", "StudyResult"]


def __getattr__(name: str) -> object:
    """Import a public name on first use and keep it in the module's namespace."""
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'outcomes.study' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
