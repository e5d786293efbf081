"""A readable account of what happened when a dataset was read and validated."""

from __future__ import annotations

from pathlib import Path

from outcomes.io._validate import REASONS
from outcomes.schema import Dataset

EXAMPLES_PER_REASON = 3
"""Quarantined rows quoted (as ``file:row:column``) for each reason."""


def validation_summary(dataset: Dataset, where: str) -> str:
    """Counts per table, then each quarantine reason with its first examples.

    What ``outcomes validate`` prints; no value of a quarantined row is echoed, only
    where it is.

    Parameters
    ----------
    dataset : Dataset
        As returned by :func:`~outcomes.io.read_dataset` or
        :func:`~outcomes.io.read_proceedings`.
    where : str
        What was read (a folder or file name), for the first line.

    Returns
    -------
    str
        Several lines of plain text.
    """
    lines = [f"Validated {where} (extract date {dataset.manifest.extract_date:%Y-%m-%d})", ""]
    lines.append(f"  {'table':<15}{'read':>10}{'kept':>10}{'quarantined':>13}")
    q = dataset.quarantine
    for name, read in dataset.rows_read.items():
        n_q = int((q["table"] == name).sum())
        lines.append(f"  {name:<15}{read:>10,}{read - n_q:>10,}{n_q:>13,}")
    if len(q):
        lines += ["", "Quarantined rows by reason (first examples as file:row:column):"]
        for reason, group in q.groupby("reason", sort=False):
            head = group.head(EXAMPLES_PER_REASON)
            examples = "; ".join(
                f"{Path(f).name}:{r}:{c or '-'}"
                for f, r, c in zip(head["file"], head["row"], head["column"], strict=True)
            )
            lines.append(f"  {reason:<24}{len(group):>8,}  {REASONS.get(str(reason), '')}")
            lines.append(f"  {'':<24}{'':>8}  e.g. {examples}")
        lines += ["", f"First problem: {q['message'].iloc[0]}"]
    for name, columns in dataset.dropped_columns.items():
        lines.append(
            f"Dropped from {name} as direct identifiers: {', '.join(columns)} "
            "(use --keep-identifiers to keep)"
        )
    verdict = (
        "clean: every row kept"
        if not len(q)
        else f"{len(q):,} rows quarantined; kept + quarantined = read for every table"
    )
    lines += ["", f"Result: {verdict}"]
    return "\n".join(lines)
