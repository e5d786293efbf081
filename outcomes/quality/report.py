"""``check_quality``: the data-quality report of a dataset.

The report has two faces. For the analyst, :attr:`QualityReport.issues` lists every
problem found, row by row, so the source can be corrected. For publication (a Local
Family Justice Board, a DFJ area), :meth:`QualityReport.published` and
:meth:`QualityReport.to_html` give tables by LA and DFJ area with small counts
suppressed (:mod:`outcomes.disclosure`) and no row-level data.

The LA quality score
--------------------
For local authority :math:`a` with :math:`n_a` proceedings rows read, and
:math:`k_{a,d}` rows with at least one issue of dimension :math:`d`,

.. math::

    S_a = 100 \\sum_{d} w_d \\left(1 - \\frac{k_{a,d}}{n_a}\\right),

with weights :math:`w` = completeness 0.20, validity 0.25, consistency 0.25, uniqueness
0.15, timeliness 0.15 (they sum to one, so :math:`0 \\le S_a \\le 100`; 100 means no
issue found). Validity and consistency weigh most because they bias analyses directly
(a wrong date moves a duration; a missing order drops a case); completeness counts only
what the checks treat as an issue (a missing mother ID), not every optional blank. The
score is a screening figure to compare LAs and follow one over time, not a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from outcomes.disclosure import DEFAULT_THRESHOLD, MARKER, suppress
from outcomes.errors import OutcomesError
from outcomes.quality.checks import DIMENSIONS, check_of, find_issues
from outcomes.schema import PROCEEDINGS, Dataset, require_dataset

SCORE_WEIGHTS: dict[str, float] = {
    "completeness": 0.20,
    "validity": 0.25,
    "consistency": 0.25,
    "uniqueness": 0.15,
    "timeliness": 0.15,
}
"""Weights of the quality score (see the module docstring)."""


@dataclass
class QualityReport:
    """The result of :func:`check_quality`.

    Attributes
    ----------
    issues : DataFrame
        Row level, for the analyst (never published): ``table, row, column, check,
        dimension, severity, la_code, dfj_area, message``; ``row`` is the spreadsheet
        row (header = 1).
    by_la, by_dfj : DataFrame
        Per LA / DFJ area: ``rows`` (proceedings rows read), ``quarantined``, rows with
        an issue of each dimension, and ``score`` (0-100). Unsuppressed.
    by_check : DataFrame
        Per check: dimension, severity, issues and rows affected.
    by_column : DataFrame
        Per proceedings column: ``rows``, ``missing``, ``pct_missing``, and rows with an
        issue of each dimension in that column.
    extract_date : Timestamp
    source : str
    validated_here : bool
        True when the dataset had not been through a reader and was validated by
        :func:`check_quality`.
    """

    issues: pd.DataFrame
    by_la: pd.DataFrame
    by_dfj: pd.DataFrame
    by_check: pd.DataFrame
    by_column: pd.DataFrame
    extract_date: pd.Timestamp
    source: str
    validated_here: bool = False
    threshold: int = field(default=DEFAULT_THRESHOLD)

    @property
    def n_rows(self) -> int:
        """Proceedings rows read."""
        return int(self.by_la["rows"].sum())

    def summary(self, by: Literal["la", "dfj"] = "la") -> pd.DataFrame:
        """The table by LA or by DFJ area (unsuppressed: use :meth:`published` to share).

        Parameters
        ----------
        by : {"la", "dfj"}
        """
        if by not in ("la", "dfj"):
            raise OutcomesError(f"by must be 'la' or 'dfj', not {by!r}")
        return self.by_la if by == "la" else self.by_dfj

    def published(self) -> dict[str, pd.DataFrame]:
        """The tables fit to publish, with counts under ``threshold`` suppressed.

        Returns
        -------
        dict of str to DataFrame
            ``"by_la"`` (LAs within DFJ areas, so column totals per area are protected),
            ``"by_dfj"``, ``"by_check"``, ``"by_column"``; suppressed cells hold
            ``"[c]"``. A score is withheld wherever a count behind it is (with the
            row count and the other dimensions known, the score gives a withheld count
            back); ``score_band`` (10-point bands) is published where the row count
            is, so areas can still be compared.
        """
        counts = ["rows", "quarantined", *DIMENSIONS]
        # Rows quarantined and rows with an issue of each dimension are subsets of the
        # rows read, not parts of them: each is withheld when it, or the rows without
        # it (rows minus it, which a reader can work out), is small.
        nested = {c: "rows" for c in counts[1:]}
        by_la = suppress(
            self.by_la.reset_index(),
            counts,
            threshold=self.threshold,
            by=["dfj_area"],
            rate_cols={"score": ["rows", *DIMENSIONS]},
            nested=nested,
        )
        by_dfj = suppress(
            self.by_dfj.reset_index(),
            counts,
            threshold=self.threshold,
            rate_cols={"score": ["rows", *DIMENSIONS]},
            nested=nested,
        )
        by_check = suppress(
            self.by_check.reset_index(), ["issues", "rows"], threshold=self.threshold
        )
        by_column = suppress(
            self.by_column.reset_index(),
            ["rows", "missing", *DIMENSIONS],
            threshold=self.threshold,
            rate_cols={"pct_missing": "missing"},
            nested={c: "rows" for c in ["missing", *DIMENSIONS]},
        )
        by_la.insert(len(by_la.columns) - 1, "score_band", _bands(self.by_la, by_la))
        by_dfj.insert(len(by_dfj.columns) - 1, "score_band", _bands(self.by_dfj, by_dfj))
        return {"by_la": by_la, "by_dfj": by_dfj, "by_check": by_check, "by_column": by_column}

    def to_html(self, path: str | os.PathLike[str]) -> Path:
        """Write a self-contained HTML report: suppressed tables, no row-level data.

        The file is written atomically: a failure leaves no partial page.

        Raises
        ------
        outcomes.errors.PrivacyError
            If a table to be written holds an identifier-like column.
        outcomes.errors.OutputError
            If the file cannot be written (naming it).
        """
        from outcomes.io.output import write_text
        from outcomes.quality.html import render

        return write_text(path, render(self))

    def summary_text(self) -> str:
        """A readable summary for the terminal (suppressed, like anything shown)."""
        pub = self.published()
        lines = [
            f"Data quality: {self.source} (extract date {self.extract_date:%Y-%m-%d})",
            f"  proceedings rows read: {self.n_rows:,}; issues found: {len(self.issues):,}",
            "",
            f"Issues by check (counts under {self.threshold} shown as [c]):",
        ]
        checks = pub["by_check"]
        for _, r in checks.iterrows():
            lines.append(
                f"  {r['check']:<26}{r['dimension']:<14}{r['severity']:<9}"
                f"{r['issues']!s:>9} issues {r['rows']!s:>9} rows"
            )
        la = self.by_la
        if len(la):
            ranked = pub["by_la"].assign(_s=la["score"].to_numpy()).sort_values("_s")
            lines += ["", "Lowest quality scores (0-100):"]
            for _, r in ranked.head(5).iterrows():
                lines.append(
                    f"  {r['la_code']!s:<12}{r['dfj_area']!s:<28}"
                    f"{_fmt_score(r['score']):>6}  (band {r['score_band']})"
                )
            lines.append(f"  median LA score: {la['score'].median():.1f}")
        if self.validated_here:
            lines += ["", "(the dataset was validated here: it had not been read from files)"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"QualityReport({self.n_rows:,} proceedings rows, {len(self.issues):,} issues, "
            f"{len(self.by_la)} LAs, extract {self.extract_date:%Y-%m-%d})"
        )


def _bands(raw: pd.DataFrame, published: pd.DataFrame) -> np.ndarray:
    """10-point score bands ("80-90"), withheld where the row count is."""
    low = np.minimum(np.floor(raw["score"].to_numpy(dtype=float) / 10) * 10, 90).astype(int)
    labels = np.char.add(np.char.add(low.astype(str), "-"), (low + 10).astype(str))
    withheld = (published["rows"].astype(str) == MARKER).to_numpy()
    return np.where(withheld, MARKER, labels).astype(object)


def _fmt_score(value: object) -> str:
    return value if isinstance(value, str) else f"{float(value):.1f}"  # type: ignore[arg-type]


def check_quality(dataset: Dataset) -> QualityReport:
    """Check the quality of a dataset: completeness, validity, consistency, uniqueness
    and timeliness, by row, column, LA and DFJ area.

    Parameters
    ----------
    dataset : Dataset
        As read by :func:`outcomes.io.read_dataset` (its quarantine is used), or built
        in memory (it is then validated here with the reader's rules).

    Returns
    -------
    QualityReport

    Notes
    -----
    The checks are listed in :data:`outcomes.quality.CHECKS` and described in the
    documentation (``docs/quality.md``). Rows quarantined on reading are checked too:
    a row rejected for a disposal before its issue is where a mistyped year shows.
    """
    require_dataset(dataset, "check_quality")
    issues, rows = find_issues(dataset)
    frame = rows.frame
    per_row = _rows_with_issue(issues)
    by_la = _by_area(frame, per_row, ["la_code", "dfj_area"])
    by_dfj = _by_area(frame, per_row, ["dfj_area"])
    by_check = _by_check(issues)
    by_column = _by_column(frame, issues)
    return QualityReport(
        issues=issues,
        by_la=by_la,
        by_dfj=by_dfj,
        by_check=by_check,
        by_column=by_column,
        extract_date=dataset.manifest.extract_date,
        source=dataset.manifest.source,
        validated_here=rows.validated_here,
    )


def _rows_with_issue(issues: pd.DataFrame) -> pd.DataFrame:
    """Per proceedings row: whether it has an issue of each dimension."""
    proc = issues.loc[issues["table"] == "proceedings", ["row", "dimension"]]
    rows, inverse = np.unique(proc["row"].to_numpy(dtype=np.int64), return_inverse=True)
    dims = pd.Categorical(proc["dimension"].astype(object), categories=list(DIMENSIONS)).codes
    flags = np.zeros((len(rows), len(DIMENSIONS)), dtype=bool)
    flags[inverse, dims] = True
    return pd.DataFrame(flags, index=rows, columns=list(DIMENSIONS))


def _by_area(frame: pd.DataFrame, per_row: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    flags = per_row.reindex(frame["row"].to_numpy(), fill_value=False)
    table = pd.DataFrame({k: frame[k].astype(object).fillna("(missing)").to_numpy() for k in keys})
    table["rows"] = 1
    table["quarantined"] = frame["quarantined"].to_numpy(dtype=np.int64)
    for d in DIMENSIONS:
        table[d] = flags[d].to_numpy(dtype=np.int64)
    out = table.groupby(keys, sort=True).sum()
    rates = out[list(DIMENSIONS)].div(out["rows"], axis=0)
    weights = pd.Series(SCORE_WEIGHTS)[list(DIMENSIONS)]
    out["score"] = (100.0 * (1.0 - rates).mul(weights, axis=1).sum(axis=1)).round(1)
    if len(keys) > 1:
        out = out.reset_index(level=keys[1:])
    return out


def _by_check(issues: pd.DataFrame) -> pd.DataFrame:
    rows = issues.drop_duplicates(["table", "row", "check"])
    out = pd.DataFrame(
        {
            "issues": issues.groupby("check").size(),
            "rows": rows.groupby("check").size(),
        }
    ).fillna(0)
    out = out.astype("int64")
    out.insert(0, "dimension", out.index.map(lambda c: check_of(c).dimension))
    out.insert(1, "severity", out.index.map(lambda c: check_of(c).severity))
    out.insert(2, "description", out.index.map(lambda c: check_of(c).description))
    out.index.name = "check"
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return out.sort_values(
        ["dimension", "issues"], key=lambda s: s.map(order) if s.name == "dimension" else -s
    )


def _by_column(frame: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """Per proceedings column: blanks, and rows with an issue of each dimension there."""
    names = [c for c in PROCEEDINGS.names if c in frame.columns]
    missing = frame[names].isna().sum()
    out = pd.DataFrame({"rows": len(frame), "missing": missing.astype("int64")})
    out["pct_missing"] = (100.0 * out["missing"] / max(len(frame), 1)).round(1)
    proc = issues.loc[issues["table"] == "proceedings"].drop_duplicates(
        ["row", "column", "dimension"]
    )
    counts = proc.groupby(["column", "dimension"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=names, columns=list(DIMENSIONS), fill_value=0)
    out = out.join(counts.astype("int64"))
    out.index.name = "column"
    return out
