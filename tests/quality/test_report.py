"""Summaries, the score, the published tables, the HTML page and the command line."""

from __future__ import annotations

import argparse
import re

import pandas as pd
import pytest

from outcomes.cli import quality as quality_cli
from outcomes.errors import OutcomesError, PrivacyError, SchemaError
from outcomes.io import write_dataset
from outcomes.quality import SCORE_WEIGHTS, check_quality
from outcomes.quality.html import _table


def test_summaries_add_up(small):
    report = check_quality(small)
    assert report.by_la["rows"].sum() == len(small.proceedings) == report.n_rows
    assert report.by_dfj["rows"].sum() == report.n_rows
    assert report.by_la.loc["LA2", "uniqueness"] == 1
    assert report.by_column.loc["mother_id", "missing"] == 2
    assert report.by_check.loc["missing_mother_id", "issues"] == 1  # the copy is collapsed


def test_score_formula(small):
    report = check_quality(small)
    la = report.by_la.loc["LA2"]
    rates = {d: la[d] / la["rows"] for d in SCORE_WEIGHTS}
    expected = 100 * sum(w * (1 - rates[d]) for d, w in SCORE_WEIGHTS.items())
    assert la["score"] == pytest.approx(expected, abs=0.05)
    assert (report.by_la["score"].between(0, 100)).all()
    assert sum(SCORE_WEIGHTS.values()) == pytest.approx(1.0)


def test_published_tables_suppress_small_counts(small):
    pub = check_quality(small).published()
    la = pub["by_la"]
    # 6 and 5 rows: under 10, withheld with the score derived from them
    assert la["rows"].tolist() == ["[c]", "[c]"]
    assert la["score"].tolist() == ["[c]", "[c]"]
    for table in pub.values():
        for col in table.columns:
            numeric = pd.to_numeric(table[col], errors="coerce")
            small_counts = numeric[(numeric > 0) & (numeric < 10)]
            if col in ("rows", "quarantined", "missing", "issues", "completeness", "validity",
                       "consistency", "uniqueness", "timeliness"):  # fmt: skip
                assert small_counts.empty, col


def test_html_is_self_contained_and_has_no_row_level_data(small, tmp_path):
    report = check_quality(small)
    path = report.to_html(tmp_path / "q.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<style>" in text and "[c]" in text
    assert not re.search(r"<script|<link|src=|https?://", text)
    for ident in ("CHILD-", "PROC-", "MUM-"):
        assert ident not in text
    assert "2018-10-01" not in text  # no value from a row


def test_html_refuses_identifier_columns():
    with pytest.raises(PrivacyError, match="upn"):
        _table(pd.DataFrame({"upn": ["A1"], "n": [12]}), "a table")


def run_cli(argv: list[str]) -> int:
    """Run the subcommand through its own parser (as ``outcomes.cli.main`` does once it
    is registered there)."""
    parser = argparse.ArgumentParser(prog="outcomes")
    quality_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_prints_summary_and_writes_html(small, tmp_path, capsys):
    folder = write_dataset(small, tmp_path / "ds", format="csv")
    out = tmp_path / "report.html"
    issues = tmp_path / "issues.csv"
    code = run_cli(["quality", str(folder), "--out", str(out), "--issues-out", str(issues)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Data quality" in printed and "day_month_swap" in printed
    assert out.is_file() and issues.is_file()
    assert len(pd.read_csv(issues)) == len(check_quality(small).issues)


def test_cli_bad_path_raises_a_user_error(tmp_path):
    # outcomes.cli.main prints an OutcomesError as one line and exits 2
    with pytest.raises(SchemaError, match="file not found"):
        run_cli(["quality", str(tmp_path / "nowhere.csv")])


def test_repr(small):
    assert "QualityReport(11 proceedings rows" in repr(check_quality(small))


def test_summary_by_area(small):
    report = check_quality(small)
    assert report.summary("dfj").index.tolist() == ["DFJ-A", "DFJ-B"]
    assert report.summary() is report.by_la
    with pytest.raises(OutcomesError, match="by must be"):
        report.summary("region")  # type: ignore[arg-type]


def test_score_withheld_with_its_counts_but_band_published():
    import numpy as np

    from outcomes.quality.report import QualityReport

    by_la = pd.DataFrame(
        {
            "dfj_area": ["D1", "D1", "D1"],
            "rows": [150, 200, 120],
            "quarantined": [20, 30, 15],
            "completeness": [12, 3, 40],
            "validity": [15, 20, 30],
            "consistency": [25, 4, 11],
            "uniqueness": [0, 0, 0],
            "timeliness": [0, 0, 0],
        },
        index=pd.Index(["LA1", "LA2", "LA3"], name="la_code"),
    )
    by_la["score"] = [95.2, 97.6, 83.4]
    report = QualityReport(
        issues=pd.DataFrame(),
        by_la=by_la,
        by_dfj=by_la.groupby("dfj_area").sum(),
        by_check=pd.DataFrame({"issues": [], "rows": []}),
        by_column=pd.DataFrame(columns=["rows", "missing", "pct_missing", *SCORE_WEIGHTS]),
        extract_date=pd.Timestamp("2025-03-31"),
        source="test",
    )
    pub = report.published()["by_la"]
    # LA2 has withheld counts (3 and 4): with the rest known, its score would give
    # them back; it is withheld, and so is LA1's or LA3's as a column complement
    assert pub.loc[1, "score"] == "[c]"
    assert pub["score_band"].tolist() == ["90-100", "90-100", "80-90"]
    assert np.sum(pub["score"] == "[c]") >= 2


def test_rows_without_an_issue_are_not_given_back():
    """Rows with an issue are a subset of the rows read: rows minus them is a count.

    Attack: subtract each published dimension count from the published rows. Treated as
    additive parts of a row (as the tables once were), 150 rows with 145 validity issues
    were both published and gave back the 5 rows without one.
    """
    from outcomes.quality.report import QualityReport

    by_la = pd.DataFrame(
        {
            "dfj_area": ["D1", "D1", "D2"],
            "rows": [150, 200, 120],
            "quarantined": [0, 0, 0],
            "completeness": [12, 30, 40],
            "validity": [145, 20, 30],
            "consistency": [25, 40, 11],
            "uniqueness": [0, 0, 0],
            "timeliness": [0, 0, 0],
        },
        index=pd.Index(["LA1", "LA2", "LA3"], name="la_code"),
    )
    by_la["score"] = [80.0, 95.0, 90.0]
    by_column = pd.DataFrame(
        {"rows": [470, 470], "missing": [0, 466], "pct_missing": [0.0, 99.1]}
        | {d: [0, 0] for d in SCORE_WEIGHTS},
        index=pd.Index(["child_id", "mother_dob"], name="column"),
    )
    report = QualityReport(
        issues=pd.DataFrame(),
        by_la=by_la,
        by_dfj=by_la.groupby("dfj_area").sum(),
        by_check=pd.DataFrame({"issues": [], "rows": []}),
        by_column=by_column,
        extract_date=pd.Timestamp("2025-03-31"),
        source="test",
    )
    pub = report.published()
    recovered = []
    for name, key in (("by_la", "la_code"), ("by_dfj", "dfj_area"), ("by_column", "column")):
        table = pub[name]
        parts = [c for c in ["quarantined", "missing", *SCORE_WEIGHTS] if c in table.columns]
        for _, r in table.iterrows():
            for c in parts:
                if "[c]" not in (r["rows"], r[c]) and 1 <= r["rows"] - r[c] <= 9:
                    recovered.append((r[key], c, r["rows"] - r[c]))
    assert recovered == []
    # what had to go: LA1's validity (5 rows without an issue) and mother_dob's missing
    assert pub["by_la"].loc[0, "validity"] == "[c]"
    assert pub["by_column"].loc[1, "missing"] == "[c]"
    assert pub["by_column"].loc[1, "pct_missing"] == "[c]"
