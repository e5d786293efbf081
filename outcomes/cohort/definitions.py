"""What a cohort means: outcome, time zero, events and censoring, written down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Outcome = Literal["child_return", "mother_recurrence"]
Index = Literal["first", "all"]
AgeOutAs = Literal["competing", "censor"]

CHILD_EVENT_CODES: dict[str, int] = {
    "censored": 0,
    "child_return": 1,
    "adopted": 2,
    "died": 3,
    "aged_out": 4,
}
"""``event`` codes of a ``child_return`` cohort (``aged_out`` is 0 when censored)."""

MOTHER_EVENT_CODES: dict[str, int] = {"censored": 0, "mother_recurrence": 1}
"""``event`` codes of a ``mother_recurrence`` cohort: mothers' deaths are not recorded,
so there is no competing event."""


@dataclass(frozen=True)
class CohortDefinition:
    """The definitions a cohort was built with, kept on it and shown in its repr."""

    outcome: Outcome
    exposure: str
    index: Index
    window: tuple[pd.Timestamp | None, pd.Timestamp | None]
    end_of_risk_age: float
    age_out_as: AgeOutAs
    extract_date: pd.Timestamp
    event_codes: dict[str, int] = field(default_factory=dict)
    cluster_col: str = "la_code"

    def lines(self) -> list[str]:
        """Human-readable definitions."""
        start, end = self.window
        window = (
            "all disposals"
            if start is None and end is None
            else f"disposals from {_day(start)} to {_day(end)}"
        )
        unit = "child" if self.outcome == "child_return" else "mother"
        outcome = (
            "the next s31 application for the same child after the index disposal"
            if self.outcome == "child_return"
            else "the next s31 application for the same mother (any child) after the index "
            "disposal; her applications issued before that disposal join the index episode"
        )
        competing = (
            f"adoption, death, and ageing out at {self.end_of_risk_age:g} "
            f"({'competing' if self.age_out_as == 'competing' else 'censoring'})"
            if self.outcome == "child_return"
            else "none recorded"
        )
        return [
            f"outcome: {self.outcome} = {outcome}",
            "time zero: the disposal date of the index proceedings (exposures are known "
            "then: no immortal time)",
            f"index: {self.index} disposal per {unit}; {window}",
            f"exposure: {self.exposure}",
            f"competing events: {competing}",
            f"censoring: extract date {self.extract_date:%Y-%m-%d}"
            + (", moved abroad" if self.outcome == "child_return" else ""),
            "event codes: " + ", ".join(f"{k}={v}" for k, v in self.event_codes.items()),
            f"cluster on: {self.cluster_col}",
        ]


def _day(value: pd.Timestamp | None) -> str:
    return "the start" if value is None else f"{value:%Y-%m-%d}"
