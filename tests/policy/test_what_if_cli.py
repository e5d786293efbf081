"""``outcomes what-if``: the files, the estimator's numbers, costs from the same
replicates, disclosure, and clear refusals with exit code 2."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.cli import main
from outcomes.cli.what_if import PARALLEL_CHILDREN
from outcomes.cohort import build_cohort
from outcomes.io import read_dataset
from outcomes.policy import DurationPolicyEffect, parse_policy
from outcomes.policy.report import _pct, _with_ci, positive_durations
from synthetic.scenario import load_scenario

N_BOOT = 4
SEED = 11
NUMBERS = ["estimate", "std_error", "ci_lower", "ci_upper"]

SOURCE = """
[costs.{item}.source]
title = "A table made for this test"
publisher = "care-outcomes tests"
year = 2024
location = "page {page}"
"""


def costs_file(path: Path, **values: float) -> Path:
    units = {"la_legal": "per week of proceedings", "repeat_la": "per repeat set of proceedings"}
    text = ""
    for page, (item, value) in enumerate(values.items(), start=1):
        text += (
            f'[costs.{item}]\nvalue = {value}\nunit = "{units[item]}"\nprice_year = "2023-24"\n'
        )
        text += SOURCE.format(item=item, page=page) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Run:
    folder: Path
    out: Path
    code: int
    stdout: str
    stderr: str

    @cached_property
    def csv(self) -> pd.DataFrame:
        return pd.read_csv(self.out / "what_if.csv", keep_default_na=False, na_values=[""])

    @cached_property
    def page(self) -> str:
        return (self.out / "what_if.html").read_text(encoding="utf-8")


def cli(folder: Path, out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = main(
        ["what-if", str(folder), *args, "--n-boot", str(N_BOOT), "--seed", str(SEED),
         "--out", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    return Run(folder, out, code, captured.out, captured.err)


@pytest.fixture(scope="module")
def world_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # faults off: every duration positive, so the estimator can be run on the same
    # cohort directly and compared row by row
    world = synthetic.generate("default", n_applications=1_500, seed=4, faults=False)
    folder = tmp_path_factory.mktemp("world") / "data"
    world.write(folder)
    return folder


@pytest.fixture(scope="module")
def cohort(world_folder: Path) -> object:
    return build_cohort(read_dataset(world_folder), outcome="child_return")


@pytest.fixture(scope="module")
def few_cap(cohort: object) -> str:
    """A cap that moves from 3 to 8 children (chosen from the data: siblings share a
    duration, so the first gap between the k-th and (k+1)-th longest)."""
    weeks = np.sort(cohort.data["duration_weeks"].to_numpy())[::-1]  # type: ignore[attr-defined]
    k = next(k for k in range(3, 9) if weeks[k - 1] > weeks[k])
    return f"cap:{(weeks[k - 1] + weeks[k]) / 2:.4f}"


@pytest.fixture(scope="module")
def main_run(world_folder: Path, few_cap: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    capsys = _Capture()
    out = tmp_path_factory.mktemp("out") / "what-if"
    code = main(
        ["what-if", str(world_folder), "--policy", "cap:26", "--policy",
         "match:best_quartile", "--policy", few_cap, "--n-boot", str(N_BOOT), "--seed",
         str(SEED), "--out", str(out)]
    )  # fmt: skip
    return Run(world_folder, out, code, *capsys.done())


class _Capture:
    """Standard output and error of an in-process run (module-scoped fixtures cannot
    use capsys)."""

    def __init__(self) -> None:
        import io
        from contextlib import redirect_stderr, redirect_stdout

        self.out, self.err = io.StringIO(), io.StringIO()
        self._cm = [redirect_stdout(self.out), redirect_stderr(self.err)]
        for cm in self._cm:
            cm.__enter__()

    def done(self) -> tuple[str, str]:
        for cm in reversed(self._cm):
            cm.__exit__(None, None, None)
        return self.out.getvalue(), self.err.getvalue()


def test_exit_0_and_the_files(main_run: Run) -> None:
    assert main_run.code == 0, main_run.stderr
    assert (main_run.out / "what_if.html").is_file()
    assert (main_run.out / "what_if.csv").is_file()
    figures = sorted(p.name for p in (main_run.out / "figures").iterdir())
    assert figures == ["risk_difference.png", "weeks_and_risk.png"]
    assert "Cap at 26 weeks" in main_run.stdout
    # no unit cost given: the items needed are listed, none priced
    assert "not priced" in main_run.stdout and "la_legal" in main_run.stdout
    assert "supply them in your own costs.toml" in main_run.page


def test_csv_rows_equal_the_estimator(main_run: Run, cohort: object, few_cap: str) -> None:
    effect = DurationPolicyEffect(n_boot=N_BOOT, seed=SEED).fit(cohort)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        expected = effect.estimate(["cap:26", "match:best_quartile", few_cap])
    got = main_run.csv.loc[main_run.csv["method"] == "g_formula"].reset_index(drop=True)
    assert len(got) == len(expected)
    keys = ["policy", "estimand", "arm", "contrast"]
    for col in keys:
        assert got[col].fillna("").astype(str).tolist() == expected[col].astype(str).tolist()
    np.testing.assert_array_equal(
        got["horizon_years"].to_numpy(float), expected["horizon_years"].to_numpy(float)
    )
    shown = ~got["withheld"].astype(bool).to_numpy()
    assert shown.sum() >= len(got) - 2 * 15  # only the few-children policy is withheld
    for col in NUMBERS:
        np.testing.assert_allclose(
            got.loc[shown, col].to_numpy(float),
            expected.loc[shown, col].to_numpy(float).round(4),
            rtol=0,
            atol=1e-12,
        )
    p = expected.loc[shown, "p_value"].to_numpy(float)
    np.testing.assert_allclose(
        got.loc[shown, "p_value"].to_numpy(float), p, rtol=1e-3, equal_nan=True
    )


def test_a_policy_moving_fewer_than_10_children_is_withheld(main_run: Run, few_cap: str) -> None:
    spec = parse_policy(few_cap).spec  # as the CSV writes it
    rows = main_run.csv.loc[main_run.csv["policy"] == spec]
    assert len(rows) > 0 and rows["withheld"].astype(bool).all()
    assert rows[NUMBERS + ["p_value"]].isna().all().all()
    others = main_run.csv.loc[main_run.csv["policy"] == "cap:26"]
    assert not others["withheld"].astype(bool).any()
    # the page shows the few-children policy's headline cells as [c]
    headline = main_run.page.split('<section id="estimates">')[0]
    assert "[c]" in headline


def test_no_count_under_10_is_published(main_run: Run) -> None:
    # every count of children on the page is 0, withheld, or a multiple of 10
    positivity = main_run.page.split('<section id="positivity">')[1].split("</section>")[0]
    cells = re.findall(r'<td class="n">([^<]*)</td>', positivity)
    assert cells
    for cell in cells:
        assert cell == "[c]" or int(cell.replace(",", "")) % 10 == 0, cell
    analysed = re.search(r"Children analysed: ([\d,]+)", main_run.page)
    assert analysed and int(analysed.group(1).replace(",", "")) % 10 == 0
    # the positivity warnings carry rounded counts and no shares
    for line in main_run.stderr.splitlines():
        if line.startswith("warning: policy"):
            assert "%" not in line
            for n in re.findall(r"about ([\d,]+)", line):
                assert int(n.replace(",", "")) % 10 == 0


def test_the_words_and_the_table_show_the_same_figures(main_run: Run) -> None:
    sentences = re.findall(
        r"changes the risk by ([+-][\d.]+) points \(95% interval ([-\d.]+) to ([-\d.]+)\)",
        main_run.page,
    )
    assert sentences
    for d, lo, hi in sentences:
        assert f"{float(d):.1f} ({lo} to {hi})" in main_run.page, (d, lo, hi)


def test_a_figure_on_a_rounding_edge_reads_the_same_everywhere() -> None:
    # the published 4-decimal value -0.0005 is -0.05 points, half-way between -0.1
    # and -0.0: the table and the words must round it the same way
    row = pd.Series(
        {"withheld": False, "estimate": 0.0012, "ci_lower": -0.0005, "ci_upper": 0.0025}
    )
    table = _with_ci(row, 100, 1)
    assert table == f"{_pct(0.0012)} ({_pct(-0.0005)} to {_pct(0.0025)})"
    assert _pct(-0.0004) == "0.0"  # a negative zero is shown as 0


def test_the_page_is_self_contained(main_run: Run) -> None:
    page = main_run.page.lower()
    assert "<script" not in page
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "@import" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


def test_costs_come_from_the_same_replicates(
    world_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # with only a per-week item priced, each replicate's net cost is 100 x c x its
    # change in mean weeks: the interval is the weeks' interval scaled, which holds
    # only if the costs use the very replicates the estimates use
    costs = costs_file(tmp_path / "costs.toml", la_legal=500)
    run = cli(world_folder, tmp_path / "out", capsys, "--policy", "shift:-4",
              "--costs", str(costs))  # fmt: skip
    assert run.code == 0, run.stderr
    t = run.csv
    weeks = t.loc[(t["estimand"] == "mean_weeks_difference") & (t["contrast"] == "shift:-4")]
    net = t.loc[(t["estimand"] == "net_cost_per_100_children") & (t["contrast"] == "shift:-4")]
    assert len(weeks) == 1 and len(net) == 1
    for col in ("estimate", "ci_lower", "ci_upper"):
        assert net[col].iloc[0] == pytest.approx(100 * 500 * weeks[col].iloc[0], abs=0.01 * 50000)
    assert net["ci_lower"].iloc[0] < net["ci_upper"].iloc[0]
    assert (run.out / "figures" / "tornado_shift_4.png").is_file()
    assert "la_social_work" in run.stdout  # still not priced: listed


def test_net_cost_equals_a_hand_computation_for_one_area(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a nation of two DFJ areas, so that one area has enough children to model
    scenario = load_scenario("default").replace(areas__n_la=10, areas__n_dfj=2)
    world = synthetic.generate(scenario, n_applications=1_500, seed=6)
    folder = tmp_path / "data"
    world.write(folder)
    costs = costs_file(tmp_path / "costs.toml", la_legal=500, repeat_la=20_000)
    area = str(world.dataset.proceedings["dfj_area"].value_counts().idxmax())
    run = cli(folder, tmp_path / "out", capsys, "--policy", "cap:26", "--policy",
              "match:national", "--costs", str(costs), "--area", area)  # fmt: skip
    assert run.code == 0, run.stderr
    t = run.csv

    def value(estimand: str, arm: str = "", contrast: str = "", h: float | None = None) -> float:
        rows = t.loc[(t["estimand"] == estimand) & (t["arm"].fillna("") == arm)]
        rows = rows.loc[rows["contrast"].fillna("") == contrast]
        if h is not None:
            rows = rows.loc[rows["horizon_years"] == h]
        assert len(rows) == 1
        return float(rows["estimate"].iloc[0])

    for spec in ("cap:26", "match:national"):
        d_weeks = value("mean_weeks", spec) - value("mean_weeks", "natural")
        d_risk = value("policy_risk", spec, h=2.0) - value("policy_risk", "natural", h=2.0)
        hand = 100 * (500 * d_weeks + 20_000 * d_risk)
        # the published inputs are rounded to 4 decimals
        tolerance = 100 * (500 + 20_000) * 1e-4
        assert value("net_cost_per_100_children", contrast=spec) == pytest.approx(
            hand, abs=tolerance
        )
    assert f"Children of {area} only" in run.page
    # the national reference: matching an area to the nation moves its children
    moved = t.loc[(t["estimand"] == "mean_weeks_difference") & (t["contrast"] == "match:national")]
    assert moved["estimate"].iloc[0] != 0


def test_rows_without_a_positive_duration_leave_through_the_flow(cohort: object) -> None:
    import dataclasses

    data = cohort.data.copy()  # type: ignore[attr-defined]
    data.loc[data.index[:3], "duration_weeks"] = [0.0, -2.0, np.nan]
    broken = dataclasses.replace(cohort, data=data)  # type: ignore[type-var]
    kept, dropped = positive_durations(broken)
    assert dropped == 3
    assert len(kept.data) == len(data) - 3  # type: ignore[union-attr]
    last = kept.flow.iloc[-1]  # type: ignore[union-attr]
    assert last["rows_out"] == 3 and "issue date" in last["reason"]
    assert last["rows_remaining"] == len(kept.data)  # type: ignore[union-attr]


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", "what-if", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("policy", "named"),
    [("cap:abc", "cap:abc"), ("halve:2", "halve:2"), ("shift:-4:ceiling=3", "shift:-4:ceiling=3")],
)
def test_a_bad_policy_spec_exits_2_naming_it(tmp_path: Path, policy: str, named: str) -> None:
    done = run_process(str(tmp_path), "--policy", policy, "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: --policy ") and named in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_a_missing_costs_file_exits_2_naming_it(world_folder: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    done = run_process(str(world_folder), "--policy", "cap:26", "--costs", str(missing),
                       "--out", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 2
    assert str(missing) in done.stderr and "no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_costs_entry_exits_2_naming_file_entry_and_field(
    world_folder: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "costs.toml"
    bad.write_text(
        '[costs.la_legal]\nvalue = 500\nunit = "per week of proceedings"\n'
        'price_year = "2023-24"\n',
        encoding="utf-8",
    )  # no source
    done = run_process(str(world_folder), "--policy", "cap:26", "--costs", str(bad),
                       "--out", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 2
    assert str(bad) in done.stderr and "[costs.la_legal]" in done.stderr
    assert "source" in done.stderr and "Traceback" not in done.stderr


def test_a_cost_horizon_outside_the_horizons_exits_2(tmp_path: Path) -> None:
    done = run_process(str(tmp_path), "--policy", "cap:26", "--horizons", "1", "5",
                       "--out", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 2 and "--cost-horizon" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_area_exits_2(world_folder: Path, tmp_path: Path) -> None:
    code = main(["what-if", str(world_folder), "--policy", "cap:26", "--area", "Atlantis",
                 "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 2


def test_help_loads_no_heavy_package() -> None:
    from tests.test_startup import loaded_after, run_cli

    assert loaded_after(run_cli("what-if", "--help")) == []


def test_horizons_with_few_returns_or_few_non_returns_are_withheld() -> None:
    from outcomes.policy.report import withheld_horizons

    # 9 returns by 1 year, 15 by 2 years, 100 children; then all but 5 by 5 years
    years = np.r_[np.full(9, 0.5), np.full(6, 1.5), np.full(80, 3.0), np.full(5, 8.0)]
    frame = pd.DataFrame({"years": years, "event": np.r_[np.ones(95), np.zeros(5)]})
    assert withheld_horizons(frame, (1.0, 2.0, 5.0)) == [1.0, 5.0]
    assert withheld_horizons(frame, (1.0, 2.0, 5.0), threshold=5) == []


def test_positivity_is_published_as_rounded_counts() -> None:
    from outcomes.policy.report import positivity_message, published_positivity

    table = pd.DataFrame(
        {"policy": ["cap:26"], "moved": [1234], "outside_area": [7], "outside_stratum": [0],
         "share_outside_area": [0.0057], "share_outside_stratum": [0.0]}
    )  # fmt: skip
    shown = published_positivity(table)
    assert shown.iloc[0].tolist() == ["cap:26", 1230, "[c]", 0]
    message = positivity_message(table.iloc[0])
    assert "[c] children" in message and "%" not in message and "7" not in message


def test_one_process_gives_the_same_report_as_every_core(
    main_run: Run, cohort: object, few_cap: str, tmp_path: Path
) -> None:
    # main_run's cohort is over the size from which the bootstrap runs on every core
    assert len(cohort.data) >= PARALLEL_CHILDREN  # type: ignore[attr-defined]
    out = tmp_path / "one"
    capsys = _Capture()
    code = main(
        ["what-if", str(main_run.folder), "--policy", "cap:26", "--policy",
         "match:best_quartile", "--policy", few_cap, "--n-boot", str(N_BOOT), "--seed",
         str(SEED), "--jobs", "1", "--out", str(out)]
    )  # fmt: skip
    capsys.done()
    assert code == 0
    assert (out / "what_if.csv").read_bytes() == (main_run.out / "what_if.csv").read_bytes()


def test_jobs_must_be_a_number_of_processes(world_folder: Path, tmp_path: Path) -> None:
    done = run_process(str(world_folder), "--policy", "cap:26", "--jobs", "0",
                       "--out", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 2 and "--jobs" in done.stderr
    assert "Traceback" not in done.stderr
