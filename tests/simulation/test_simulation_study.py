"""The simulation framework: seeds, chunks on disk, the three backends, failures,
resuming, and a study of the toolkit itself.

The toy study is the mean of n normal draws with a Wald interval: the truth is the
mean, coverage should be near 95%.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from outcomes.simulation import (
    RESULT_COLUMNS,
    SimulationError,
    SimulationStudy,
    performance,
)

DESIGN = {"n": [20, 50], "mu": [0.0, 0.5]}
N_REPS = 30  # 120 tasks


def draw(params: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    return rng.normal(params["mu"], 1.0, params["n"]), {"mean": float(params["mu"]), "sd": 1.0}


def wald_mean(x: np.ndarray, params: dict[str, Any]) -> dict[str, float]:
    est = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(len(x)))
    z = stats.norm.ppf(0.975)
    return {
        "estimand": "mean",
        "estimate": est,
        "std_error": se,
        "ci_lower": est - z * se,
        "ci_upper": est + z * se,
        "p_value": float(2 * stats.norm.sf(abs(est / se))),
        "n_used": len(x),  # kept by study()
        "ignored": 1.0,  # not kept
    }


def two_rows(x: np.ndarray, params: dict[str, Any]) -> pd.DataFrame:
    """Median (an estimate of the mean here) and a row with no interval."""
    se = 1.2533 * float(x.std(ddof=1)) / math.sqrt(len(x))
    return pd.DataFrame(
        [
            {"estimand": "mean", "estimate": float(np.median(x)), "std_error": se},
            {"estimand": "sd", "estimate": float(x.std(ddof=1))},
        ]
    )


def fragile(x: np.ndarray, params: dict[str, Any]) -> dict[str, float]:
    if x[0] > 1.2:  # about 1 draw in 6 or 7
        raise RuntimeError("did not converge")
    return {"estimand": "mean", "estimate": float(x.mean()), "std_error": 1 / math.sqrt(len(x))}


METHODS = {"wald": wald_mean, "median": two_rows, "fragile": fragile}


def study(generate: Any = draw, **kwargs: Any) -> SimulationStudy:
    """The toy study (``kwargs`` override its arguments)."""
    args: dict[str, Any] = {"n_reps": N_REPS, "seed": 2026, "design": DESIGN, "keep": ["n_used"]}
    return SimulationStudy(generate, METHODS, **{**args, **kwargs})


def chunk_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("chunk-*.parquet"))}


# -- seeds ----------------------------------------------------------------------------


def test_each_replicate_has_the_stream_spawn_would_give_it() -> None:
    s = study()
    tree = np.random.SeedSequence(2026).spawn(4)[3].spawn(N_REPS)[17]
    assert np.array_equal(s.seed_sequence(3, 17).generate_state(4), tree.generate_state(4))
    assert not np.array_equal(
        s.seed_sequence(3, 17).generate_state(4), s.seed_sequence(3, 16).generate_state(4)
    )


def test_results_do_not_depend_on_chunk_size() -> None:
    a = study().run(chunk_size=7, progress=False)
    b = study().run(chunk_size=120, progress=False)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_layout_design_columns_then_result_columns() -> None:
    res = study().run(chunk_size=40, progress=False)
    assert list(res.columns) == ["n", "mu", *RESULT_COLUMNS, "n_used"]
    wald = res["method"] == "wald"
    assert (res.loc[wald, "n_used"] == res.loc[wald, "n"]).all()
    assert res.loc[~wald, "n_used"].isna().all()
    # wald 1 row, median 2 rows, fragile 1 row per replicate
    assert len(res) == 4 * N_REPS * 4
    first = res[(res["point"] == 0) & (res["rep"] == 0)]
    assert list(first["method"]) == ["wald", "median", "median", "fragile"]
    assert (res.loc[res["estimand"] == "sd", "truth"] == 1.0).all()
    means = res[res["estimand"] == "mean"]
    assert (means["truth"] == means["mu"]).all()


# -- failures -------------------------------------------------------------------------


def test_a_failing_method_is_a_row_with_its_message() -> None:
    res = study().run(progress=False)
    failed = res[res["error"].notna()]
    assert len(failed) > 0 and set(failed["method"]) == {"fragile"}
    assert failed["error"].str.startswith("RuntimeError: did not converge").all()
    assert failed["estimate"].isna().all()
    # the other methods of those replicates ran
    keys = set(zip(failed["point"], failed["rep"], strict=True))
    wald = res[res["method"] == "wald"]
    assert all(((wald["point"] == p) & (wald["rep"] == r)).any() for p, r in keys)
    # performance counts them against the method's estimand, per design point
    perf = performance(res)
    fragile = perf[(perf["method"] == "fragile") & (perf["measure"] == "n_failed")]
    assert set(fragile["estimand"]) == {"mean"}
    assert fragile["estimate"].sum() == len(failed)


def test_a_methods_own_columns_are_not_taken_for_design_columns() -> None:
    res = study().run(progress=False)
    perf = performance(res)
    assert list(perf.columns) == ["n", "mu", "method", "estimand", "measure", "estimate", "mcse"]
    assert len(perf.drop_duplicates(["n", "mu", "method", "estimand"])) == 4 * 4


def labelled(x: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    return {"estimate": float(x.mean()), "label": "a word"}


def test_a_kept_column_must_be_numbers() -> None:
    res = SimulationStudy(draw, {"m": labelled}, n_reps=2, seed=1, design=DESIGN, keep=["label"])
    errors = res.run(progress=False)["error"]
    assert errors.str.contains("'label' = 'a word': a kept column must be numbers").all()


def boom(params: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, Any]:
    if params["n"] == 20:
        raise ValueError("bad draw")
    return draw(params, rng)


def bad_return(x: np.ndarray, params: dict[str, Any]) -> float:
    return float(x.mean())


def test_a_failing_draw_and_a_bad_return_are_recorded() -> None:
    res = SimulationStudy(
        boom, {"wald": wald_mean, "bad": bad_return}, n_reps=3, seed=1, design=DESIGN
    ).run(progress=False)
    small = res[res["n"] == 20]
    assert small["error"].str.startswith("generate: ValueError: bad draw").all()
    assert len(small) == 2 * 3 * 2
    big = res[res["n"] == 50]
    assert big.loc[big["method"] == "wald", "error"].isna().all()
    assert big.loc[big["method"] == "bad", "error"].str.contains("return a dict").all()


# -- files and resuming ---------------------------------------------------------------


class Interrupting:
    """A draw that is interrupted (as by Ctrl-C) at its ``stop``-th call."""

    def __init__(self, stop: int) -> None:
        self.calls = 0
        self.stop = stop

    def __call__(self, params: dict[str, Any], rng: np.random.Generator) -> Any:
        self.calls += 1
        if self.calls == self.stop:
            raise KeyboardInterrupt
        return draw(params, rng)


def test_an_interrupted_run_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    whole = study().run(chunk_size=16, out=tmp_path / "whole", progress=False)

    cut = Interrupting(stop=16 * 3 + 5)  # in the fourth chunk
    interrupted = study(cut)
    with pytest.raises(KeyboardInterrupt):
        interrupted.run(chunk_size=16, out=tmp_path / "resumed", progress=False)
    assert sorted(chunk_bytes(tmp_path / "resumed")) == [
        f"chunk-{i:06d}.parquet" for i in range(3)
    ]
    assert not list((tmp_path / "resumed").glob(".*tmp"))  # nothing half-written

    counting = Interrupting(stop=-1)
    resumed = study(counting).run(chunk_size=16, out=tmp_path / "resumed", progress=False)
    assert counting.calls == 120 - 3 * 16  # the finished chunks were not redone
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)
    assert chunk_bytes(tmp_path / "resumed") == chunk_bytes(tmp_path / "whole")


def interrupt_last_point(params: dict[str, Any], rng: np.random.Generator) -> Any:
    """Interrupted (as by Ctrl-C) at the last design point, replicates 90-119."""
    if params["n"] == 50 and params["mu"] == 0.5:
        raise KeyboardInterrupt
    return draw(params, rng)


def test_an_interrupted_processes_run_resumes_serially(tmp_path: Path) -> None:
    whole = study().run(chunk_size=16, progress=False)
    cut = study(interrupt_last_point)
    with pytest.raises(KeyboardInterrupt):
        cut.run("processes", n_workers=2, chunk_size=16, out=tmp_path, progress=False)
    written = sorted(chunk_bytes(tmp_path))
    assert written and written[-1] <= "chunk-000004.parquet"  # chunks 5-7 never finished
    resumed = study().run(chunk_size=16, out=tmp_path, progress=False)
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)


def test_deleted_chunks_are_redone(tmp_path: Path) -> None:
    first = study().run(chunk_size=16, out=tmp_path, progress=False)
    before = chunk_bytes(tmp_path)
    for name in ("chunk-000002.parquet", "chunk-000007.parquet"):
        (tmp_path / name).unlink()
    counting = Interrupting(stop=-1)
    again = study(counting).run(chunk_size=16, out=tmp_path, progress=False)
    assert counting.calls == 16 + 8  # chunk 7 is the short last one
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert chunk_bytes(tmp_path) == before


def test_a_saved_run_reads_back_as_it_ran_and_an_unfinished_one_is_refused(
    tmp_path: Path,
) -> None:
    ran = study().run(chunk_size=16, out=tmp_path, progress=False)
    pd.testing.assert_frame_equal(study().read(tmp_path), ran, check_exact=True)
    with pytest.raises(SimulationError, match="differs in seed"):
        study(seed=7).read(tmp_path)
    (tmp_path / "chunk-000003.parquet").unlink()
    with pytest.raises(SimulationError, match="1 of 8 chunks are missing .*chunk-000003"):
        study().read(tmp_path)
    with pytest.raises(SimulationError, match="no saved run"):
        study().read(tmp_path / "elsewhere")


def test_a_study_that_keeps_nothing_has_the_fingerprint_it_had_before_keep(
    tmp_path: Path,
) -> None:
    study(keep=[]).run(chunk_size=60, out=tmp_path / "plain", progress=False)
    plain = json.loads((tmp_path / "plain" / "study.json").read_text())
    assert sorted(plain) == ["chunk_size", "design", "methods", "n_reps", "seed"]
    study().run(chunk_size=60, out=tmp_path / "kept", progress=False)
    assert json.loads((tmp_path / "kept" / "study.json").read_text())["keep"] == ["n_used"]


def test_another_study_in_the_folder_is_refused(tmp_path: Path) -> None:
    study().run(chunk_size=16, out=tmp_path, progress=False)
    other = study(seed=7)
    with pytest.raises(SimulationError, match="differs in seed"):
        other.run(chunk_size=16, out=tmp_path, progress=False)
    with pytest.raises(SimulationError, match="differs in chunk_size"):
        study().run(chunk_size=10, out=tmp_path, progress=False)
    # resume=False starts afresh in the same folder
    other.run(chunk_size=60, out=tmp_path, resume=False, progress=False)
    assert len(chunk_bytes(tmp_path)) == 2
    assert json.loads((tmp_path / "study.json").read_text())["seed"] == 7


# -- backends -------------------------------------------------------------------------


def test_serial_processes_and_dask_give_identical_results(tmp_path: Path) -> None:
    from distributed import LocalCluster

    serial = study().run("serial", chunk_size=16, out=tmp_path / "serial", progress=False)
    processes = study().run(
        "processes", n_workers=2, chunk_size=16, out=tmp_path / "processes", progress=False
    )
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask = study().run(
            "dask",
            scheduler=cluster.scheduler_address,
            chunk_size=16,
            out=tmp_path / "dask",
            progress=False,
        )
    pd.testing.assert_frame_equal(processes, serial, check_exact=True)
    pd.testing.assert_frame_equal(dask, serial, check_exact=True)
    assert chunk_bytes(tmp_path / "processes") == chunk_bytes(tmp_path / "serial")
    assert chunk_bytes(tmp_path / "dask") == chunk_bytes(tmp_path / "serial")
    assert len(chunk_bytes(tmp_path / "serial")) == 8


def test_local_cluster_workers_have_the_framework_settings_and_agree() -> None:
    import dask
    from distributed import Client, default_client

    from outcomes.simulation import WORKER_CONFIG, local_cluster

    serial = study().run("serial", chunk_size=16, progress=False)
    with local_cluster(2) as cluster, Client(cluster.scheduler_address) as client:
        trim = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        settings = {key: client.run(dask.config.get, key) for key in WORKER_CONFIG}
        dask_results = study().run(
            "dask", scheduler=cluster.scheduler_address, chunk_size=16, progress=False
        )
        # the run inside the user's `with Client(...)` leaves that client the default
        assert default_client() is client
    # worker processes of their own, which dask would start with a low trim threshold
    assert len(trim) == 2
    assert set(trim.values()) == {None}
    for key, value in WORKER_CONFIG.items():
        if not key.startswith("distributed.nanny.pre-spawn-environ"):
            assert set(settings[key].values()) == {value}, key
    pd.testing.assert_frame_equal(dask_results, serial, check_exact=True)


# -- the statistics recover the truth ------------------------------------------------


def test_the_toy_study_recovers_the_truth() -> None:
    res = SimulationStudy(
        draw, {"wald": wald_mean}, n_reps=400, seed=11, design={"n": [200], "mu": [0.0, 0.5]}
    ).run(chunk_size=200, progress=False)
    perf = performance(res).set_index(["mu", "measure"])
    for mu in (0.0, 0.5):
        bias = perf.loc[(mu, "bias")]
        assert abs(bias["estimate"]) < 3.5 * bias["mcse"]
        cover = perf.loc[(mu, "coverage")]
        assert abs(cover["estimate"] - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / 400)
        # model SE near the empirical SE (both ~ 1/sqrt(200))
        rel = perf.loc[(mu, "rel_error_model_se")]
        assert abs(rel["estimate"]) < 3.5 * rel["mcse"]
    # power: the size under the null, near 1 at an effect of 0.5 with n = 200
    assert abs(perf.loc[(0.0, "power"), "estimate"] - 0.05) < 3.5 * math.sqrt(0.05 * 0.95 / 400)
    assert perf.loc[(0.5, "power"), "estimate"] > 0.99


# -- argument errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_reps": 0}, "n_reps"),
        ({"seed": -1}, "seed"),
        ({"methods": {}}, "methods is empty"),
        ({"design": {"n": []}}, "no levels"),
        ({"design": {"n": 20}}, "list of levels"),
        ({"design": pd.DataFrame()}, "no rows"),
        ({"design": {"rep": [1]}}, "clash"),
        ({"keep": "n_used"}, "list of column names"),
        ({"keep": ["truth"]}, r"keep names columns the study writes itself: \['truth'\]"),
        ({"keep": ["mu"]}, "keep names columns"),
    ],
)
def test_bad_arguments_are_outcomes_errors(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"methods": METHODS, "n_reps": 2, "seed": 1, "design": DESIGN}
    args.update(kwargs)
    with pytest.raises(SimulationError, match=match):
        SimulationStudy(draw, **args).run(progress=False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "spark"}, "backend"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"scheduler": "tcp://x:1"}, "scheduler="),
        ({"n_workers": 0}, "n_workers"),
    ],
)
def test_bad_run_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(SimulationError, match=match):
        study().run(progress=False, **kwargs)


def test_importing_the_framework_loads_no_heavy_package() -> None:
    code = (
        "import sys, json, outcomes.simulation\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'dask', 'distributed', 'matplotlib', 'sklearn'})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _constant_world(params, rng):
    return rng.normal(size=5), 0.0


def _mean_method(data, params):
    return {"estimate": float(np.mean(data)), "std_error": float(np.std(data) / 2)}


def test_no_design_is_one_point_with_every_replicate():
    study = SimulationStudy(_constant_world, {"mean": _mean_method}, n_reps=3, seed=1)
    results = study.run()
    assert len(results) == 3 and list(results["rep"]) == [0, 1, 2]
