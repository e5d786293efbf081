"""The test of no risk difference uses the variance at the pooled risk.

Checked against R's ``prop.test`` (tests/reference/pooled_test, rerun live), against
the textbook pooled variance by hand, on the bootstrap rows of the study, and by its
size in simulated two-arm data with no difference.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

from outcomes.study import estimates as est

REF = Path(__file__).parents[1] / "reference" / "pooled_test"


def _expected(folder: Path = REF / "expected") -> pd.DataFrame:
    return pd.read_csv(folder / "pooled_expected.csv")


def _binomial(x: float, n: float) -> tuple[float, float]:
    p = x / n
    return p, p * (1 - p) / n


def test_p_values_equal_r_prop_test() -> None:
    cases = _expected()
    assert len(cases) >= 8
    for c in cases.itertuples():
        (r1, v1), (r0, v0) = _binomial(c.x1, c.n1), _binomial(c.x0, c.n0)
        assert est.null_p(r1, r0, v1, v0) == pytest.approx(c.p_value, rel=1e-9, abs=1e-15)


def test_r_reproduces_stored_output(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.fail("Rscript is not on PATH: install R (Debian: r-base-core) and rerun.")
    proc = subprocess.run(
        [rscript, str(REF / "reference.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(_expected(tmp_path), _expected(), rtol=1e-12)


def test_binomial_arms_give_the_textbook_pooled_variance() -> None:
    x1, n1, x0, n0 = 9, 70, 31, 260
    (r1, v1), (r0, v0) = _binomial(x1, n1), _binomial(x0, n0)
    pooled = (x1 + x0) / (n1 + n0)
    hand = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    assert est.null_variance(r1, r0, v1, v0) == pytest.approx(hand, rel=1e-12)
    # the unpooled variance is smaller here (the small arm's risk is the larger one)
    # or larger, but never the same unless the risks are
    assert est.null_variance(r1, r0, v1, v0) != pytest.approx(v1 + v0, rel=1e-6)
    assert est.null_variance(0.1, 0.1, 0.002, 0.001) == pytest.approx(0.003, rel=1e-12)


def test_a_covariance_keeps_its_correlation() -> None:
    r1, r0, v1, v0, c = 0.04, 0.07, 2e-5, 1e-5, 6e-6
    b1, b0 = r1 * (1 - r1), r0 * (1 - r0)
    n1, n0 = b1 / v1, b0 / v0
    pooled = (n1 * r1 + n0 * r0) / (n1 + n0)
    s1, s0 = pooled * (1 - pooled) / b1, pooled * (1 - pooled) / b0
    hand = s1 * v1 + s0 * v0 - 2 * c * np.sqrt(s1 * s0)
    assert est.null_variance(r1, r0, v1, v0, c) == pytest.approx(hand, rel=1e-12)
    # equal risks: nothing moves, the covariance enters as it is
    assert est.null_variance(0.05, 0.05, v1, v0, c) == pytest.approx(v1 + v0 - 2 * c, rel=1e-12)


@pytest.mark.parametrize(("r1", "v1"), [(0.0, 1e-4), (1.0, 1e-4), (0.05, 0.0), (0.05, np.nan)])
def test_no_effective_size_no_p_value(r1: float, v1: float) -> None:
    # an arm without events (or without spread) gives no p-value, never p = 0
    assert np.isnan(est.null_variance(r1, 0.05, v1, 1e-4))
    assert np.isnan(est.null_p(r1, 0.05, v1, 1e-4))


def test_bootstrap_rows_test_the_difference_at_the_pooled_risk() -> None:
    rng = np.random.default_rng(3)
    draws = np.stack([rng.normal(0.06, 0.012, 300), rng.normal(0.04, 0.006, 300)], axis=1)[
        :, :, None
    ]
    point = np.array([[0.06], [0.04]])
    rows = pd.DataFrame(
        est.bootstrap_contrasts("m", "c", (2.0,), point, draws, 0.05, "normal")
    ).set_index("estimand")
    c = np.cov(draws[:, 0, 0], draws[:, 1, 0])
    expected = est.null_p(0.06, 0.04, c[0, 0], c[1, 1], c[0, 1])
    assert rows.loc["risk_difference", "p_value"] == pytest.approx(expected, rel=1e-12)
    # the interval keeps the replicates' own standard error
    se = np.std(draws[:, 0, 0] - draws[:, 1, 0], ddof=1)
    assert rows.loc["risk_difference", "std_error"] == pytest.approx(se, rel=1e-12)
    wald = 2 * special.ndtr(-0.02 / se)
    assert rows.loc["risk_difference", "p_value"] != pytest.approx(wald, rel=1e-3)
    # the ratio is still tested on its own (log) scale
    logs = np.log(draws[:, 0, 0] / draws[:, 1, 0])
    ratio_p = 2 * special.ndtr(-np.log(1.5) / np.std(logs, ddof=1))
    assert rows.loc["risk_ratio", "p_value"] == pytest.approx(ratio_p, rel=1e-9)


def test_the_pooled_test_holds_its_size_where_the_wald_test_does_not() -> None:
    # two arms of 200 and 800 children, the same 5% risk: the small arm's estimate is
    # noisy and its own variance moves with it (the Wald test rejects about 6.3%)
    rng = np.random.default_rng(11)
    reps, n1, n0, p = 40_000, 200, 800, 0.05
    x1, x0 = rng.binomial(n1, p, reps), rng.binomial(n0, p, reps)
    ok = (x1 > 0) & (x1 < n1) & (x0 > 0)
    r1, r0 = x1[ok] / n1, x0[ok] / n0
    v1, v0 = r1 * (1 - r1) / n1, r0 * (1 - r0) / n0
    pooled = np.array([est.null_p(*a) for a in zip(r1, r0, v1, v0, strict=True)])
    wald = 2 * special.ndtr(-np.abs(r1 - r0) / np.sqrt(v1 + v0))
    size_pooled, size_wald = (pooled <= 0.05).mean(), (wald <= 0.05).mean()
    mcse = np.sqrt(0.05 * 0.95 / ok.sum())
    assert abs(size_pooled - 0.05) < 3 * mcse
    assert size_wald > size_pooled + 4 * mcse
