"""Funnel limits against the R computation in tests/reference/funnel (to 1e-6).

``reference.R`` implements Spiegelhalter's (2005) formulas on its own; the stored
output is compared with ours, and R is rerun live to show the stored output is what
the script gives.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.areas import FunnelError, funnel

REF = Path(__file__).parents[1] / "reference" / "funnel"
COLUMNS = ["value", "z", "lower_95", "upper_95", "lower_998", "upper_998"]
SOURCES = {
    "proportions": ("events", "children"),
    "binomial": ("events", "children"),
    "ratios": ("observed", "expected"),
}


def _expected(folder: Path = REF / "expected") -> pd.DataFrame:
    return pd.read_csv(folder / "funnel_expected.csv")


def _ours(dataset: str, kind: str, od: bool, trim_method: str) -> pd.DataFrame:
    num, den = SOURCES[dataset]
    table = pd.read_csv(REF / f"{dataset}.csv")
    return funnel(table, num, den, "area", kind=kind, overdispersion=od, trim_method=trim_method)


def _settings() -> list[tuple[str, str, bool, str]]:
    exp = _expected()
    keys = exp[["dataset", "kind", "overdispersion", "trim_method"]].drop_duplicates()
    return [tuple(k) for k in keys.itertuples(index=False)]


@pytest.mark.parametrize("setting", _settings(), ids=lambda s: "-".join(map(str, s)))
def test_limits_equal_the_r_reference(setting):
    dataset, kind, od, trim_method = setting
    exp = _expected()
    exp = exp[
        (exp.dataset == dataset)
        & (exp.kind == kind)
        & (exp.overdispersion == od)
        & (exp.trim_method == trim_method)
    ].set_index("area")
    ours = _ours(dataset, kind, bool(od), trim_method)
    assert list(ours.index) == list(exp.index)
    for col in COLUMNS:
        np.testing.assert_allclose(
            ours[col].to_numpy(float), exp[col].to_numpy(float), rtol=0, atol=1e-6, err_msg=col
        )
    assert ours.attrs["tau2"] == pytest.approx(exp["tau2"].iloc[0], abs=1e-9)
    assert ours.attrs["phi"] == pytest.approx(exp["phi"].iloc[0], abs=1e-6)
    assert (ours["outlier"].to_numpy() == exp["outlier"].to_numpy()).all()


def test_the_reference_exercises_what_it_should():
    exp = _expected()
    tau2 = exp.groupby(["dataset", "overdispersion", "trim_method"])["tau2"].first()
    assert tau2[("proportions", True, "winsorise")] > 0
    assert tau2[("binomial", True, "winsorise")] == 0  # chance variation only
    # truncating and winsorising differ, so the option is really tested
    assert tau2[("ratios", True, "truncate")] != tau2[("ratios", True, "winsorise")]
    # overdispersion matters: fewer outliers once the limits are widened
    out = exp.groupby(["dataset", "overdispersion", "trim_method"])["outlier"].sum()
    assert out[("proportions", True, "winsorise")] < out[("proportions", False, "winsorise")]


def test_data_regenerate_identically(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("funnel_make_data", REF / "make_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, path in module.make_all(tmp_path).items():
        assert path.read_bytes() == (REF / f"{name}.csv").read_bytes(), name


def test_r_reproduces_stored_output(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.fail("Rscript is not on PATH: install R (Debian: r-base-core) and rerun.")
    proc = subprocess.run(
        [rscript, str(REF / "reference.R"), str(REF), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    live, stored = _expected(tmp_path), _expected()
    pd.testing.assert_frame_equal(live, stored, check_exact=False, rtol=0, atol=1e-12)


def test_chance_limits_cover_as_stated():
    """Binomial areas without overdispersion: about 5% fall outside the 95% limits."""
    rng = np.random.default_rng(5)
    outside = []
    for _ in range(200):
        n = rng.integers(200, 3000, size=50)
        t = pd.DataFrame({"g": range(50), "o": rng.binomial(n, 0.3), "n": n})
        f = funnel(t, "o", "n", "g", overdispersion=False, target=0.3)
        outside.append(((f.value < f.lower_95) | (f.value > f.upper_95)).mean())
    # 10,000 areas: MC standard error of the rate is about 0.22 percentage points
    assert abs(np.mean(outside) - 0.05) < 0.01


def test_user_mistakes_are_funnel_errors():
    t = pd.DataFrame({"g": ["a", "b"], "o": [5, 12], "n": [4, 20]})
    with pytest.raises(FunnelError, match="exceeds"):
        funnel(t, "o", "n", "g")
    with pytest.raises(FunnelError, match="kind"):
        funnel(t, "o", "n", "g", kind="rate")
    with pytest.raises(FunnelError, match="no column"):
        funnel(t, "x", "n", "g")
    with pytest.raises(FunnelError, match="positive"):
        funnel(t.assign(n=[0, 20]), "o", "n", "g", kind="ratio")
