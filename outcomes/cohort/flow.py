"""The flow table: where every input row went (CONSORT style)."""

from __future__ import annotations

import pandas as pd


class Flow:
    """An ordered record of exclusions that always adds up to the input.

    Each step removes rows for one reason; the last line is what remains. The
    invariant ``input == sum(rows_out) + remaining`` is checked as steps are added.
    """

    def __init__(self, unit: str, n_input: int, what: str) -> None:
        self.unit = unit
        self._steps: list[dict[str, object]] = []
        self._remaining = n_input
        self._input = n_input
        self._what = what

    def exclude(self, n_out: int, reason: str) -> None:
        """Record that ``n_out`` rows left for ``reason``."""
        if n_out < 0 or n_out > self._remaining:
            # the counts come from the cohort builder, never from a user: a defect
            raise RuntimeError(f"cannot exclude {n_out} of {self._remaining} rows ({reason})")
        self._steps.append(
            {
                "step": len(self._steps) + 1,
                "rows_in": self._remaining,
                "rows_out": n_out,
                "reason": reason,
                "rows_remaining": self._remaining - n_out,
            }
        )
        self._remaining -= n_out

    @property
    def remaining(self) -> int:
        """Rows left after the steps so far."""
        return self._remaining

    def table(self) -> pd.DataFrame:
        """The flow as a tidy table; ``attrs`` hold the input count and the unit."""
        frame = pd.DataFrame(
            self._steps, columns=["step", "rows_in", "rows_out", "reason", "rows_remaining"]
        )
        frame.attrs.update(rows_input=self._input, unit=self.unit, input=self._what)
        assert frame["rows_out"].sum() + self._remaining == self._input
        return frame
