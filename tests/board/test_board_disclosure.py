"""The board pack attacked: no count from 1 to 9 can be worked out from what it publishes.

The attacker holds ``tables.xlsx`` and ``board.html`` and tries the routes a reader
with a spreadsheet would: a published count as it stands; a published rate times its
published n (and n minus that); a total minus the other published cells; the national
figure minus the area's; consecutive points of a curve against the numbers at risk;
and anything ``board.html`` shows beyond the workbook. Every count learnt is read as
an interval (published rates are rounded), and a count is disclosed when the whole
interval lies between 1 and 9. This is checked on a 300-application world, where
nearly everything is small, and on a national one, for a DFJ area by quarter and a
local authority by year. The attack is shown not to be vacuous: the counts it reads
equal an independent pandas computation where they are published.
"""

from __future__ import annotations

import html as html_lib
import math
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from outcomes.cohort import build_cohort
from outcomes.errors import ModelError
from outcomes.kpi import return_rates

from .conftest import Built

THRESHOLD = 10
Learnt = tuple[str, float, float]  # what, value, half-width of its uncertainty


def num(v: object) -> float | None:
    """A published cell as a number; None for [c], [x], [z] or blank."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float | np.integer | np.floating):
        return None if math.isnan(float(v)) else float(v)
    return None


def disclosed(value: float, tol: float) -> bool:
    """True when every whole number within ``value +- tol`` is from 1 to 9."""
    lo = max(math.ceil(value - tol - 1e-9), 0)
    hi = math.floor(value + tol + 1e-9)
    return lo <= hi and lo >= 1 and hi < THRESHOLD


def by_measure(sheet: pd.DataFrame) -> dict[str, pd.Series]:
    """Rows of a measure-by-column sheet; repeated labels (intervals) keep the first."""
    out: dict[str, pd.Series] = {}
    for _, row in sheet.iterrows():
        out.setdefault(str(row["measure"]).strip(), row)
    return out


def _rate_times_n(what: str, n: float | None, pct: float | None) -> Iterator[Learnt]:
    if n is None:
        return
    yield f"{what}: n", n, 0.0
    if pct is not None:
        tol = n * 0.05 / 100 + 1e-6  # a share published to 0.1 points
        yield f"{what}: within", pct * n / 100, tol
        yield f"{what}: after", n - pct * n / 100, tol


def _minus(what: str, a: list[Learnt], b: list[Learnt]) -> Iterator[Learnt]:
    """National minus area, part by part."""
    for (name, x, tx), (_, y, ty) in zip(a, b, strict=True):
        yield f"{what} {name}: national minus area", x - y, tx + ty


def attack(built: Built) -> list[Learnt]:
    """Every count the attacker can read from tables.xlsx, with its uncertainty."""
    sheets = built.sheets
    area = built.pack.area
    learnt: list[Learnt] = []

    def timeliness_cells(
        row: dict[str, object], who: str, n_key: str, pct_key: str
    ) -> list[Learnt]:
        return list(_rate_times_n(who, num(row[n_key]), num(row[pct_key])))

    # headline and trend: counts, rate x n, national - area
    head = by_measure(sheets["headline"])
    for n_key, pct_key in (
        ("children's proceedings disposed of", "% disposed of within 26 weeks"),
        ("children's proceedings issued", "% of those issued disposed of within 26 weeks"),
    ):
        mine = timeliness_cells(
            {"n": head[n_key][area], "p": head[pct_key][area]}, "head", "n", "p"
        )
        nat = timeliness_cells(
            {"n": head[n_key]["national"], "p": head[pct_key]["national"]}, "head-nat", "n", "p"
        )
        learnt += mine + nat
        if len(mine) == len(nat):
            learnt += list(_minus("headline", nat, mine))
    for _, row in sheets["trend"].iterrows():
        mine = timeliness_cells(
            row.to_dict(),
            f"trend {row['period']}",
            f"{area} disposals",
            f"{area} % within 26 weeks",
        )
        nat = timeliness_cells(
            row.to_dict(),
            f"trend-nat {row['period']}",
            "national disposals",
            "national % within 26 weeks",
        )
        learnt += mine + nat
        if len(mine) == len(nat):
            learnt += list(_minus("trend", nat, mine))

    # order mix: counts, share x all disposals, all minus the other published cells
    mix = sheets["order_mix"].set_index("final order")
    for who in (area, "national"):
        total = num(mix.loc["all disposals", f"{who} children"])
        parts = mix.drop(index="all disposals")
        known = [num(v) for v in parts[f"{who} children"]]
        learnt += [
            (f"order {who} {k}", v, 0.0)
            for k, v in zip(parts.index, known, strict=True)
            if v is not None
        ]
        if total is not None:
            for k, pct in zip(parts.index, parts[f"{who} %"], strict=True):
                if num(pct) is not None:
                    learnt.append(
                        (f"order {who} {k}: share x all", num(pct) * total / 100, total * 0.0005)
                    )
            if sum(v is None for v in known) >= 1:
                learnt.append(
                    (
                        f"order {who}: all minus published",
                        total - sum(v for v in known if v is not None),
                        0.0,
                    )
                )
    for k in mix.index:
        a, n = num(mix.loc[k, f"{area} children"]), num(mix.loc[k, "national children"])
        if a is not None and n is not None:
            learnt.append((f"order {k}: national minus area", n - a, 0.0))

    # open cases: counts, nested differences, national - area
    cases = by_measure(sheets["open_cases"])
    keys = ("open cases", "already past 26 weeks", "already past 40 weeks")
    for who in (area, "national"):
        v = [num(cases[k][who]) for k in keys]
        learnt += [
            (f"open {who} {k}", x, 0.0) for k, x in zip(keys, v, strict=True) if x is not None
        ]
        for i, j in ((0, 1), (1, 2), (0, 2)):
            if v[i] is not None and v[j] is not None:
                learnt.append((f"open {who} {keys[i]} minus {keys[j]}", v[i] - v[j], 0.0))
    for k in keys:
        a, n = num(cases[k][area]), num(cases[k]["national"])
        if a is not None and n is not None:
            learnt.append((f"open {k}: national minus area", n - a, 0.0))

    # returns: counts, known - returned, crude share x children, national - area
    ret = by_measure(sheets["returns"])
    count_keys = (
        "children followed (first disposal in the window)",
        "children whose 2-year outcome is known",
        "returned within 2 years (of those known)",
    )
    for who in (area, "national"):
        v = [num(ret[k][who]) for k in count_keys]
        learnt += [
            (f"returns {who} {k}", x, 0.0)
            for k, x in zip(count_keys, v, strict=True)
            if x is not None
        ]
        if v[1] is not None and v[2] is not None:
            learnt.append((f"returns {who}: known minus returned", v[1] - v[2], 0.0))
        for share in ("returned within 1 year, %", "returned within 2 years, %"):
            p = num(ret[share][who])
            if p is not None and v[0] is not None:
                learnt.append((f"returns {who} {share} x children", p * v[0] / 100, v[0] * 0.0005))
    for k in count_keys:
        a, n = num(ret[k][area]), num(ret[k]["national"])
        if a is not None and n is not None:
            learnt.append((f"returns {k}: national minus area", n - a, 0.0))

    # curves: numbers at risk, their drops, steps of the curve times the cohort size
    curves = sheets["duration_curves"]
    for cohort, part in curves.groupby("cohort"):
        part = part.sort_values("weeks")
        risk = part["at_risk"].to_numpy(float)
        pct = part["pct_disposed"].to_numpy(float)
        learnt += [(f"curve {cohort} at risk", r, 0.0) for r in risk]
        learnt += [(f"curve {cohort} drop in at risk", d, 0.0) for d in -np.diff(risk)]
        if len(part) and part["weeks"].iloc[0] == 0:
            n0 = risk[0]
            learnt += [
                (f"curve {cohort} step x n", d * n0 / 100, n0 * 0.001) for d in np.diff(pct)
            ]

    # data quality: counts, and rows without an issue of each dimension
    quality = sheets["data_quality"]
    dims = ["quarantined", "completeness", "validity", "consistency", "uniqueness", "timeliness"]
    for _, row in quality.iterrows():
        rows = num(row["rows"])
        if rows is not None:
            learnt.append(("quality rows", rows, 0.0))
        for d in dims:
            x = num(row[d])
            if x is not None:
                learnt.append((f"quality {d}", x, 0.0))
                if rows is not None:
                    learnt.append((f"quality rows minus {d}", rows - x, 0.0))
    return learnt


def _assert_nothing_small(learnt: list[Learnt]) -> None:
    bad = [(w, round(v, 3), t) for w, v, t in learnt if disclosed(v, t)]
    assert not bad, f"counts under {THRESHOLD} recoverable: {bad[:10]}"


@pytest.mark.parametrize("name", ["small", "national", "national_la"])
def test_no_small_count_recoverable_from_the_workbook(
    name: str, request: pytest.FixtureRequest
) -> None:
    built: Built = request.getfixturevalue(name)
    learnt = attack(built)
    _assert_nothing_small(learnt)
    if name != "small":
        # the attack reads real figures: most of a national pack is published
        assert len(learnt) > 80


def test_the_attack_reads_true_counts(national: Built) -> None:
    """Disposals in the quarter, area and nation, as an independent pandas count."""
    proc = national.world.dataset.proceedings
    disposal = pd.to_datetime(proc["disposal_date"])
    issue = pd.to_datetime(proc["issue_date"])
    quarter = (disposal >= "2023-10-01") & (disposal <= "2023-12-31") & (disposal >= issue)
    head = by_measure(national.sheets["headline"])
    row = head["children's proceedings disposed of"]
    assert num(row["national"]) == quarter.sum()
    mine = quarter & (proc["dfj_area"] == national.pack.area)
    assert num(row[national.pack.area]) == mine.sum()
    weeks = (disposal - issue).dt.days / 7
    within = (quarter & (weeks <= 26)).sum()
    pct = num(head["% disposed of within 26 weeks"]["national"])
    assert pct is not None and abs(pct * quarter.sum() / 100 - within) <= quarter.sum() * 0.0005


@pytest.mark.parametrize("name", ["small", "national", "national_la"])
def test_funnel_and_quadrant_show_only_areas_whose_counts_are_publishable(
    name: str, request: pytest.FixtureRequest
) -> None:
    """The funnel's limits give back each area's expected count and so its returns
    (ratio x expected): only areas whose true counts are 0 or at least 10 are shown."""
    built: Built = request.getfixturevalue(name)
    pack, dataset = built.pack, built.world.dataset
    end = min(pd.Timestamp("2023-12-31"), pd.Timestamp(dataset.manifest.extract_date))
    if pack.period == "2023":
        end = pd.Timestamp("2023-12-31")
    window = (end - pd.DateOffset(years=5) + pd.Timedelta(days=1), end)
    sheets = built.sheets
    shown = list(sheets["funnel"][pack.level].astype(str)) if "funnel" in sheets else []
    shown += list(sheets["quadrant"][pack.level].astype(str))
    cohort = build_cohort(dataset, window=window)
    try:
        truth = return_rates(dataset, by=pack.level, cohort=cohort, suppression=False)
    except ModelError:  # no return at all in a tiny world: nothing can be shown
        assert not shown
        return
    truth = truth.set_index(pack.level)
    for area in set(shown):
        for col in ("observed_2y", "known_2y", "children"):
            value = int(truth.loc[area, col])
            assert value == 0 or value >= THRESHOLD, (area, col, value)
    if name != "small":
        assert len(set(shown)) >= 5


# --- the page against the workbook -----------------------------------------------------

_TABLE = re.compile(r"<table><caption>(.*?)</caption>(.*?)</table>", re.S)
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


def html_tables(page: str) -> dict[str, list[list[str]]]:
    out = {}
    for caption, body in _TABLE.findall(page):
        rows = [[html_lib.unescape(c) for c in _CELL.findall(r)] for r in _ROW.findall(body)]
        out[html_lib.unescape(caption).replace(" ", "_")] = rows
    return out


def _same(shown: str, cell: object) -> bool:
    if isinstance(cell, bool | np.bool_):
        return shown == ("yes" if cell else "no")
    value = num(cell)
    if value is None:
        return shown == ("[x]" if isinstance(cell, float) else str(cell))
    return abs(float(shown.replace(",", "")) - value) < 0.006


def _quoted(sheets: dict[str, pd.DataFrame]) -> set[float]:
    """Numbers a reading may quote: published values, and the gaps between the values
    of one row (area against nation; for curves, cohorts at the same week)."""
    frames = dict(sheets)
    curves = frames.pop("duration_curves")
    if len(curves):
        frames["curves_by_week"] = curves.pivot_table(
            index="weeks", columns="cohort", values="pct_disposed"
        ).reset_index()
    allowed: set[float] = set()
    for frame in frames.values():
        for row in frame.astype(object).to_numpy():
            values = [v for v in (num(x) for x in row) if v is not None]
            # numbers inside published text (score bands like "90-100")
            values += [float(t) for x in row if isinstance(x, str) for t in re.findall(r"\d+", x)]
            allowed |= {round(v, 2) for v in values}
            allowed |= {round(100 * v, 2) for v in values if abs(v) <= 1}
            allowed |= {round(abs(a - b), 2) for a in values for b in values}
    return allowed


@pytest.mark.parametrize("name", ["small", "national", "national_la"])
def test_the_page_shows_the_workbook_and_nothing_more(
    name: str, request: pytest.FixtureRequest
) -> None:
    built: Built = request.getfixturevalue(name)
    page = (built.folder / "board.html").read_text(encoding="utf-8")
    sheets = built.sheets
    tables = html_tables(page)
    assert set(tables) == set(sheets)
    for sheet, frame in sheets.items():
        rows = tables[sheet]
        assert rows[0] == [str(c) for c in frame.columns]
        if frame.empty:
            continue
        assert len(rows) - 1 == len(frame), sheet
        for shown, (_, values) in zip(rows[1:], frame.iterrows(), strict=True):
            for text, cell in zip(shown, values, strict=True):
                assert _same(text, cell), (sheet, text, cell)
    # every number a reading quotes is a published one (as rounded), or a gap between two
    allowed = _quoted(sheets) | {26.0, 40.0, 95.0, 99.8}
    for panel in built.pack.panels:
        words = panel.reading.replace(built.pack.area, " ")
        words = re.sub(r"\b(19|20)\d\d(Q[1-4])?\b", " ", words)
        words = re.sub(
            r"\b\d{1,2} (January|February|March|April|May|June|July|August|"
            r"September|October|November|December)\b",
            " ",
            words,
        )
        words = re.sub(r"\b[1-5] years?\b", " ", words)  # horizons and the window
        for token in re.findall(r"\d[\d,]*(?:\.\d+)?", words):
            x = float(token.replace(",", ""))
            step = 10 ** -len(token.split(".")[1]) / 2 if "." in token else 0.5
            assert any(abs(x - a) <= step + 1e-9 for a in allowed), (
                panel.key,
                token,
                panel.reading,
            )
