"""Every public fitter behaves as one family.

The same checks run on each: ``fit`` returns the fitter, ``summary`` has the house
columns, ``conf_int`` is ``summary``'s interval, ``cov_params`` offers the variances the
fit computed, the ``repr`` says what was fitted on how much data, an unfitted fitter says
so, arguments after the two column names are keyword-only, and a fitted fitter pickles.
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesError
from outcomes.survival import (
    AndersenGillFitter,
    CauseSpecificCox,
    CoxFitter,
    FineGrayFitter,
    PWPFitter,
)
from outcomes.survival._base import RegressionFitter

HOUSE = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]


def _competing(seed: int = 5, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.5, size=n).astype(float)
    t1 = rng.exponential(1 / np.exp(0.5 * x - 0.3 * z))
    t2 = rng.exponential(2.0, size=n)
    c = rng.exponential(2.5, size=n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(t == c, 0, np.where(t == t1, 1, 2))
    return pd.DataFrame(
        {"time": t, "status": status, "event": (status == 1).astype(int), "x": x, "z": z}
    ).assign(id=np.arange(n) // 2, cl=rng.integers(0, 40, n))


def _recurrent(seed: int = 6, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x = rng.normal()
        t, episode = 0.0, 1
        end = rng.uniform(2, 6)
        while True:
            gap = rng.exponential(1 / np.exp(0.4 * x))
            stop = min(t + gap, end)
            rows.append((i, t, stop, int(t + gap < end), episode, x))
            if t + gap >= end:
                break
            t, episode = stop, episode + 1
    return pd.DataFrame(rows, columns=["id", "start", "stop", "event", "episode", "x"])


Case = tuple[Callable[[], RegressionFitter], Callable[[], pd.DataFrame], str, str, dict[str, Any]]
CASES: dict[str, Case] = {
    "cox": (CoxFitter, _competing, "time", "event", {"formula": "x + z", "robust": True}),
    "cox_cluster": (CoxFitter, _competing, "time", "event", {"formula": "x", "cluster_col": "cl"}),
    "fine_gray": (FineGrayFitter, _competing, "time", "status", {"formula": "x + z"}),
    "cause_specific": (
        CauseSpecificCox,
        _competing,
        "time",
        "status",
        {"formula": "x + z", "cluster_col": "cl"},
    ),
    "andersen_gill": (
        AndersenGillFitter,
        _recurrent,
        "stop",
        "event",
        {"entry_col": "start", "formula": "x", "cluster_col": "id"},
    ),
    "pwp": (
        PWPFitter,
        _recurrent,
        "stop",
        "event",
        {"entry_col": "start", "formula": "x", "cluster_col": "id"},
    ),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request: pytest.FixtureRequest) -> tuple[RegressionFitter, RegressionFitter, Case]:
    make, data, duration, event, kwargs = CASES[request.param]
    unfitted = make()
    fitter = make()
    returned = fitter.fit(data(), duration, event, **kwargs)
    assert returned is fitter
    return unfitted, fitter, CASES[request.param]


def test_summary_has_the_house_columns(case: Any) -> None:
    _, fitter, _ = case
    s = fitter.summary
    assert list(s.columns[:5]) == HOUSE
    assert (s["method"] == fitter.method).all()
    assert s.attrs["alpha"] == fitter.alpha
    assert s.attrs["variance"] == fitter.cov_type_
    assert (s["ci_upper"] - s["ci_lower"] > 0).all()
    assert ((s["p_value"] > 0) & (s["p_value"] <= 1)).all()


def test_conf_int_is_the_summary_interval(case: Any) -> None:
    _, fitter, _ = case
    ci = fitter.conf_int()
    pd.testing.assert_frame_equal(ci, fitter.summary[["ci_lower", "ci_upper"]])
    wider = fitter.conf_int(0.01)
    assert (wider["ci_upper"] - wider["ci_lower"] > ci["ci_upper"] - ci["ci_lower"]).all()


def test_cov_params_kinds(case: Any) -> None:
    _, fitter, _ = case
    kinds = fitter.cov_kinds_
    assert "model" in kinds and fitter.cov_type_ in kinds
    default = fitter.cov_params()
    assert list(default.index) == list(fitter.params_.index)
    np.testing.assert_allclose(np.sqrt(np.diag(default)), fitter.standard_errors_, rtol=1e-12)
    for kind in kinds:
        V = fitter.cov_params(kind).to_numpy()
        np.testing.assert_allclose(V, V.T, rtol=1e-10, atol=1e-14)
        assert (np.diag(V) > 0).all()
    with pytest.raises(OutcomesError, match="kind"):
        fitter.cov_params("bootstrap")
    for kind in (k for k in kinds if k != "model"):
        D = fitter.dfbeta(kind).to_numpy()
        np.testing.assert_allclose(D.T @ D, fitter.cov_params(kind).to_numpy(), rtol=1e-12)
    missing = [k for k in ("model", "robust", "cluster") if k not in kinds]
    for kind in missing:
        with pytest.raises(OutcomesError, match="not computed"):
            fitter.cov_params(kind)


def test_repr_says_what_was_fitted(case: Any) -> None:
    unfitted, fitter, (_, data, _, _, _) = case
    text = repr(fitter)
    assert type(fitter).__name__ in text
    assert f"{len(data()):,} rows" in text and "events" in text
    assert fitter.cov_type_ in text
    assert "not fitted" in repr(unfitted)
    assert repr(fitter) in fitter.summary_text()


def test_unfitted_fitter_says_so(case: Any) -> None:
    unfitted, _, _ = case
    for use in (
        lambda: unfitted.summary,
        unfitted.conf_int,
        unfitted.cov_params,
        unfitted.print_summary,
        unfitted.check_is_fitted,
    ):
        with pytest.raises(OutcomesError, match="not fitted"):
            use()


def test_arguments_after_the_columns_are_keyword_only(case: Any) -> None:
    _, fitter, (_, data, duration, event, kwargs) = case
    params = list(inspect.signature(fitter.fit).parameters.values())
    assert [p.name for p in params[:3]] == ["df", "duration_col", "event_col"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[3:])
    with pytest.raises(TypeError):
        fitter.fit(data(), duration, event, "x")


def test_pickles(case: Any) -> None:
    _, fitter, _ = case
    back = pickle.loads(pickle.dumps(fitter))
    pd.testing.assert_frame_equal(back.summary, fitter.summary)
    pd.testing.assert_frame_equal(back.cov_params(), fitter.cov_params())
    assert repr(back) == repr(fitter)
