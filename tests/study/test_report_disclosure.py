"""Attacks on what a study run publishes: report.html, estimates.csv, the quality report.

The attacker reads every number of the three outputs (parsed from the HTML and the CSV,
as a reader would) and, cautiously, knows how they were made: a ``[c]`` is a count from
1 to 9, a count rounded to 10 lies within 5 of the printed value, a risk is about the
returns over the arm's children. The true counts come from the run itself and from
the dataset. Each route that was found to give a count under 10 back is tried:

* risk times arm size (and one minus the risk times it: the children without a return),
* shares (positivity, trimming, missing confounders, the warnings' percentages) times n,
* the cohort flow against the analysed n and the quality report's exact rows read,
  solved as integer intervals on the chain ``rows read = sum of exclusions + analysed``,
* consecutive points of the drawn cumulative-incidence curves (a step is a number of
  returns), and weight or propensity minima and maxima (single children's values),
* the quality report's tables: area totals minus the other local authorities, and rows
  minus a nested count (rows without an issue).

No attack may recover a count from 1 to 9. These tests were run against the report as it
was before the publication rules of ``outcomes.study.publish``: the flow, share, curve,
minimum/maximum and quality routes each found counts under 10 there.
"""

from __future__ import annotations

import html as htmllib
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.quality import check_quality
from outcomes.study import RushedDisposalStudy, StudyResult

THRESHOLD = 10
HALF = 5  # a count rounded to 10 lies within 5 of the printed value
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


@dataclass
class Published:
    """Everything published by one run, and the run (for the true counts)."""

    result: StudyResult
    world: synthetic.World
    report: list[pd.DataFrame]
    report_text: str
    estimates: pd.DataFrame
    quality: list[pd.DataFrame]
    quality_text: str


def _publish(world: synthetic.World, folder: Path) -> Published:
    from outcomes.cli.study import write_outputs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)  # small worlds; not the point
        result = RushedDisposalStudy(
            world.dataset, horizons=(1, 2), n_boot=4, mediation_boot=6, seed=1
        ).run()
    write_outputs(result, folder / "study")
    quality = check_quality(world.dataset)
    quality.to_html(folder / "quality.html")
    report = (folder / "study" / "report.html").read_text(encoding="utf-8")
    quality_html = (folder / "quality.html").read_text(encoding="utf-8")
    return Published(
        result=result,
        world=world,
        report=_tables(report),
        report_text=_text(report),
        estimates=pd.read_csv(folder / "study" / "estimates.csv"),
        quality=_tables(quality_html),
        quality_text=_text(quality_html),
    )


@pytest.fixture(
    scope="module",
    params=[(300, 3, True), (3_000, 2, False)],
    ids=["300-applications", "national"],
)
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    n, seed, faults = request.param
    # "national": every local authority and DFJ area of the synthetic England; without
    # the data-quality layer its flow has a single small exclusion, the case in which
    # an exact analysed n and the exact rows read would give that exclusion back
    world = synthetic.generate("default", n_applications=n, seed=seed, faults=faults)
    return _publish(world, tmp_path_factory.mktemp(f"published{n}"))


# --- reading the pages as a reader would --------------------------------------------------


def _tables(page: str) -> list[pd.DataFrame]:
    """Every HTML table as text cells (header row as columns)."""
    out = []
    for table in re.findall(r"<table.*?</table>", page, flags=re.S):
        head = [htmllib.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table, flags=re.S)]
        rows = [
            [
                htmllib.unescape(re.sub(r"<[^>]+>", "", c))
                for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)
            ]
            for r in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
        ]
        rows = [r for r in rows if r]
        out.append(
            pd.DataFrame(rows, columns=head if rows and len(head) == len(rows[0]) else None)
        )
    return out


def _text(page: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", DATA_URI.sub("", page)))


def _number(cell: object) -> float:
    """A published number; NaN for a withheld or empty cell."""
    text = str(cell).replace(",", "").replace("%", "").strip()
    try:
        return float(text)
    except ValueError:
        return math.nan


def _table_with(tables: list[pd.DataFrame], *columns: str) -> list[pd.DataFrame]:
    return [t for t in tables if set(columns) <= {str(c) for c in t.columns}]


def _interval(cell: object, rounded: bool, primary: bool = True) -> tuple[float, float]:
    """What the attacker knows of a published count. A ``[c]`` is 1 to 9 where only
    small counts are withheld (``primary``); where complementary cells are withheld
    too, it may be anything from 1."""
    text = str(cell).strip()
    if text == "[c]":
        return 1.0, THRESHOLD - 1.0 if primary else math.inf
    value = _number(text)
    if math.isnan(value):
        return 0.0, math.inf
    if rounded and value != 0:
        return value - HALF, value + HALF
    return value, value


# --- what the attacker takes the arm sizes to be ---------------------------------------------


def _arm_sizes(pub: Published) -> dict[int, tuple[float, float]]:
    """Each arm's size as published: from any table with an arm and its children."""
    sizes: dict[int, tuple[float, float]] = {}
    names = {"treated": 1, "control": 0}
    for t in _table_with(pub.report, "arm"):
        column = "n" if "n" in t.columns else "children" if "children" in t.columns else None
        if column is None:
            continue
        rounded = column == "children"
        for _, r in t.iterrows():
            if r["arm"] in names:
                lo, hi = _interval(r[column], rounded, primary=False)
                old = sizes.get(names[r["arm"]], (0.0, math.inf))
                sizes[names[r["arm"]]] = (max(lo, old[0]), min(hi, old[1]))
    return sizes


def _true_arm_sizes(pub: Published) -> dict[int, int]:
    a = pub.result.diagnostics["analysis"]
    return {arm: int((a["exposed"] == arm).sum()) for arm in (1, 0)}


# --- route (a): risk times arm size ----------------------------------------------------------


def test_risks_times_arm_sizes_give_back_no_small_count(published: Published) -> None:
    a = published.result.diagnostics["analysis"]
    sizes = _arm_sizes(published)
    assert sizes, "the report publishes the arms' sizes in some form"
    est = published.estimates
    found = []
    for estimand, arm in (("risk_exposed", 1), ("risk_unexposed", 0)):
        rows = est.loc[(est["estimand"] == estimand) & est["estimate"].notna()]
        in_arm = a.loc[a["exposed"] == arm]
        n_lo, n_hi = sizes[arm]
        for _, r in rows.iterrows():
            h = float(r["horizon_years"])
            k = int(((in_arm["event"] == 1) & (in_arm["years"] <= h)).sum())
            for risk, true in ((r["estimate"], k), (1 - r["estimate"], len(in_arm) - k)):
                # the attacker's estimate of the count, and how sure it can be of it
                guess = (risk * n_lo, risk * n_hi)
                sure = guess[1] - guess[0] < 1.5 and abs(np.mean(guess) - true) < 1.0
                if 1 <= true < THRESHOLD and sure:
                    found.append((r["method"], estimand, h, true))
    assert found == []


# --- route (c): shares times n ---------------------------------------------------------------


def test_shares_times_n_give_back_no_small_count(published: Published) -> None:
    d = published.result.diagnostics
    sizes = _arm_sizes(published)
    true_sizes = _true_arm_sizes(published)
    names = {"treated": 1, "control": 0}
    found = []
    for t in _table_with(published.report, "arm"):
        for column in [c for c in t.columns if str(c).startswith("share_")]:
            for _, r in t.iterrows():
                if r["arm"] not in names:
                    continue
                share = _number(r[column])
                arm = names[r["arm"]]
                if math.isnan(share):
                    continue
                lo, hi = sizes.get(arm, (math.nan, math.nan))
                guess = share * (lo + hi) / 2
                # the attacker's guess: the count it implies (a share of 3 decimals)
                true = _true_share_count(d, column, r["arm"], true_sizes[arm])
                if true is not None and 1 <= true < THRESHOLD and abs(guess - true) < 1.0:
                    found.append((column, r["arm"], true))
    # the positivity warnings in words: "2.1% of the treated arm lies outside ..."
    for pct, arm in re.findall(r"([\d.]+)% of the (treated|control) arm", published.report_text):
        n = true_sizes[names[arm]]
        true = _true_share_count(d, "share_outside", arm, n)
        guess = float(pct) / 100 * np.mean(sizes[names[arm]])
        if true is not None and 1 <= true < THRESHOLD and abs(guess - true) < 1.0:
            found.append(("warning", arm, true))
    assert found == []


def _true_share_count(d: dict, column: str, arm: str, n: int) -> int | None:
    for source in (getattr(d.get("positivity"), "table", None), d.get("weights")):
        if isinstance(source, pd.DataFrame) and column in source.columns:
            row = source.loc[source["arm"] == arm]
            if len(row):
                base = int(row["n"].iloc[0]) if "n" in row.columns else n
                return int(round(float(row[column].iloc[0]) * base))
    return None


def test_confounder_shares_missing_give_back_no_small_count(published: Published) -> None:
    report = published.result.diagnostics["confounders"]
    n = int(published.result.diagnostics["rows_analysed"])
    for t in _table_with(published.report, "confounder"):
        for _, r in t.iterrows():
            if "missing_pct" in t.columns:
                pct = _number(r["missing_pct"])
                share = float(
                    report.loc[report["confounder"] == r["confounder"], "share_missing"].iloc[0]
                )
                true = int(round(share * n))
                if not math.isnan(pct):
                    assert not (1 <= true < THRESHOLD and abs(pct / 100 * n - true) < 1), r[
                        "confounder"
                    ]


# --- route (b): the flow against the analysed n and the quality report ------------------


def _solve(equations: list[dict[str, int]], bounds: dict[str, list[float]]) -> None:
    """Integer interval propagation on sum(c_i x_i) = 0 until nothing tightens."""
    for _ in range(200):
        changed = False
        for eq in equations:
            for var, coef in eq.items():
                rest_lo = rest_hi = 0.0
                for other, c in eq.items():
                    if other == var:
                        continue
                    lo, hi = bounds[other]
                    rest_lo += min(c * lo, c * hi)
                    rest_hi += max(c * lo, c * hi)
                # coef * var = -rest
                lo, hi = sorted((-rest_hi / coef, -rest_lo / coef))
                lo, hi = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
                if lo > bounds[var][0]:
                    bounds[var][0], changed = lo, True
                if hi < bounds[var][1]:
                    bounds[var][1], changed = hi, True
        if not changed:
            return


def test_flow_analysed_n_and_quality_rows_give_back_no_small_exclusion(
    published: Published,
) -> None:
    flow = published.result.diagnostics["flow"]
    tables = _table_with(published.report, "reason")
    assert tables, "the report publishes a cohort flow"
    table = tables[0]
    table = table.loc[table["step"].astype(str).str.strip() != ""].reset_index(drop=True)
    assert len(table) == len(flow)
    excluded = "rows_excluded" if "rows_excluded" in table.columns else None
    remaining = [c for c in table.columns if str(c).startswith("rows_remaining")][0]
    bounds: dict[str, list[float]] = {}
    # the quality report gives the rows read exactly
    rows_read = re.search(r"Proceedings rows read: ([\d,]+)", published.quality_text)
    assert rows_read
    bounds["T"] = [_number(rows_read.group(1))] * 2
    for k in range(len(table)):
        bounds[f"e{k}"] = list(
            _interval(table.loc[k, excluded], rounded=_rounded(table, excluded))
        )
        bounds[f"R{k}"] = list(_interval(table.loc[k, remaining], rounded=True))
    # the analysed n: the sum of the arms as published (exact on the old page)
    sizes = _arm_sizes(published)
    bounds["n"] = [sizes[1][0] + sizes[0][0], sizes[1][1] + sizes[0][1]]
    about = re.search(r"rows analysed: about ([\d,]+)", published.report_text)
    if about:
        v = _number(about.group(1))
        bounds["n"] = [max(bounds["n"][0], v - HALF), min(bounds["n"][1], v + HALF)]
    # the quality report's quarantined rows: the flow's first step, when all published
    quarantined = [_number(c) for t in _table_with(published.quality, "la_code", "quarantined")
                   for c in t["quarantined"]]  # fmt: skip
    if quarantined and not any(math.isnan(q) for q in quarantined):
        bounds["e0"] = [
            max(bounds["e0"][0], sum(quarantined)),
            min(bounds["e0"][1], sum(quarantined)),
        ]
    equations = []
    last = len(table) - 1
    for k in range(len(table)):  # R_k = T - e_0 - ... - e_k
        equations.append({f"R{k}": 1, "T": -1, **{f"e{j}": 1 for j in range(k + 1)}})
    equations.append({"n": 1, f"R{last}": -1})
    _solve(equations, bounds)
    truth = {f"e{k}": int(flow["rows_out"].iloc[k]) for k in range(len(flow))}
    truth["n"] = int(flow["rows_remaining"].iloc[-1])
    for name, true in truth.items():
        lo, hi = bounds[name]
        assert lo <= true <= hi, (name, true, lo, hi)  # the attacker's model is right
    recovered = {
        n: t for n, t in truth.items() if 1 <= t < THRESHOLD and bounds[n][0] == bounds[n][1]
    }
    assert recovered == {}


def _rounded(table: pd.DataFrame, column: str) -> bool:
    """Exclusions are read as rounded when the page says counts are rounded."""
    values = [_number(v) for v in table[column]]
    return all(math.isnan(v) or v % 10 == 0 for v in values)


# --- route (d): curve steps and single children's values --------------------------------------


def test_curve_steps_hold_at_least_ten_returns(published: Published) -> None:
    a = published.result.diagnostics["analysis"]
    fig = published.result.figures["cumulative_incidence"]
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if not str(line.get_label()).startswith("_")]
    assert len(lines) == 2
    for line in lines:
        arm = 1 if "within" in str(line.get_label()) else 0
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        returns = np.sort(a.loc[(a["exposed"] == arm) & (a["event"] == 1), "years"].to_numpy())
        for i in range(1, len(x)):
            if y[i] > y[i - 1]:  # a step: the returns in (x[i-1], x[i]] moved the curve
                k = int(
                    np.searchsorted(returns, x[i], "right")
                    - np.searchsorted(returns, x[i - 1], "right")
                )
                assert k >= THRESHOLD, (arm, x[i - 1], x[i], k)


def test_no_minimum_or_maximum_of_single_children(published: Published) -> None:
    a = published.result.diagnostics["analysis"]
    p = published.result.diagnostics["propensity"]
    names = {"treated": 1, "control": 0}
    found = []
    for t in _table_with(published.report, "arm"):
        for _, r in t.iterrows():
            if r["arm"] not in names:
                continue
            arm = names[r["arm"]]
            for values in (
                a.loc[a["exposed"] == arm, "weight"],
                p.loc[p["exposed"] == arm, "score"],
            ):
                extremes = {round(float(values.min()), 3), round(float(values.max()), 3)}
                for column in t.columns:
                    if column in ("arm",) or column == "n":
                        continue
                    v = _number(r[column])
                    if not math.isnan(v) and round(v, 3) in extremes and v not in (0.0, 1.0):
                        found.append((r["arm"], column, v))
    assert found == []


# --- the quality report -----------------------------------------------------------------------


def test_quality_report_gives_back_no_small_count(published: Published) -> None:
    q = check_quality(published.world.dataset)
    dims = ["quarantined", "completeness", "validity", "consistency", "uniqueness", "timeliness"]
    by_la = _table_with(published.quality, "la_code", "dfj_area", "rows")[0]
    by_dfj = [
        t for t in _table_with(published.quality, "dfj_area", "rows") if "la_code" not in t.columns
    ][0]
    true_la = q.by_la.reset_index().set_index("la_code")
    found = []
    # nested: rows minus a published count is the rows without it
    for table, key in ((by_la, "la_code"), (by_dfj, "dfj_area")):
        for _, r in table.iterrows():
            rows = _number(r["rows"])
            for dim in dims:
                v = _number(r[dim])
                if not math.isnan(rows) and not math.isnan(v) and 1 <= rows - v < THRESHOLD:
                    found.append(("rows minus", r[key], dim, rows - v))
    # margins: an area's total minus its other authorities
    for area, block in by_la.groupby("dfj_area"):
        total = by_dfj.loc[by_dfj["dfj_area"] == area]
        for col in ["rows", *dims]:
            cells = [_number(v) for v in block[col]]
            unknown = [i for i, v in enumerate(cells) if math.isnan(v)]
            if len(unknown) == 1 and len(total) and not math.isnan(_number(total[col].iloc[0])):
                value = _number(total[col].iloc[0]) - np.nansum(cells)
                true = int(true_la.loc[block["la_code"].iloc[unknown[0]], col])
                assert value == true
                if 1 <= true < THRESHOLD:
                    found.append(("margin", area, col, true))
    # by column: rows minus missing
    for t in _table_with(published.quality, "column", "missing"):
        for _, r in t.iterrows():
            rows = _number(r["rows"]) if "rows" in t.columns else float(q.n_rows)
            v = _number(r["missing"])
            if not math.isnan(v) and not math.isnan(rows) and 1 <= rows - v < THRESHOLD:
                found.append(("column", r["column"], rows - v))
    assert found == []
