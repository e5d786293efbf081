"""Inference with few clusters: the rule every fitter applies to ``cluster_col``.

One cluster gives no cluster-robust variance (it is zero by construction), so the fitters
fall back to the row-level sandwich and say so; 2 to 29 clusters get the CR1 correction
and a t(G - 1) reference, checked against R's ``sandwich::vcovCL(type = "HC1")`` on a
``coxph`` fit (``tests/reference/coxph``); 30 or more keep the usual sandwich, which the
coxph reference with 30 clusters checks unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import FewClustersWarning
from outcomes.survival import (
    AndersenGillFitter,
    CauseSpecificCox,
    CoxFitter,
    FineGrayFitter,
)
from outcomes.survival._inference import FEW_CLUSTERS
from tests.survival.live_reference import read_reference

REF = Path(__file__).resolve().parents[1] / "reference" / "coxph"


def _right() -> pd.DataFrame:
    data = pd.read_csv(REF / "right.csv", float_precision="round_trip")
    return data.assign(cl5=data["cl"] % 5, one=1)


def _competing(seed: int = 3, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t1 = rng.exponential(1 / np.exp(0.5 * x))
    t2 = rng.exponential(2.0, size=n)
    c = rng.exponential(2.5, size=n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(t == c, 0, np.where(t == t1, 1, 2))
    return pd.DataFrame(
        {"time": t, "status": status, "x": x, "la": rng.integers(0, 5, n), "one": "E1"}
    )


def test_five_clusters_match_vcovcl_hc1_with_t_reference() -> None:
    expected = read_reference(REF / "expected" / "coxph_few_clusters.csv").set_index("term")
    with pytest.warns(FewClustersWarning, match="only 5 clusters"):
        fit = CoxFitter(tol=1e-10).fit(
            _right(), "time", "status", formula="x1 + x2 + x3", cluster_col="cl5"
        )
    assert fit.cov_type_ == "cluster" and fit.n_clusters_ == 5 and fit.df_ == 4
    assert fit.summary.attrs["correction"] == "CR1"
    s = fit.summary.loc[expected.index]
    np.testing.assert_allclose(s["estimate"], expected["coef"], rtol=1e-6)
    np.testing.assert_allclose(s["std_error"], expected["se"], rtol=1e-4)
    np.testing.assert_allclose(s["ci_lower"], expected["ci_lower"], rtol=1e-4)
    np.testing.assert_allclose(s["ci_upper"], expected["ci_upper"], rtol=1e-4)
    np.testing.assert_allclose(s["p_value"], expected["p"], rtol=1e-3)


def test_thirty_clusters_are_left_alone() -> None:
    # The coxph reference's 30 clusters: no warning (pytest turns warnings into errors),
    # the usual sandwich and the normal reference.
    assert FEW_CLUSTERS == 30
    fit = CoxFitter().fit(_right(), "time", "status", formula="x1 + x2 + x3", cluster_col="cl")
    assert fit.n_clusters_ == 30 and fit.df_ is None and fit.correction_ is None


def test_one_cluster_falls_back_to_the_row_level_sandwich() -> None:
    data = _right()
    with pytest.warns(FewClustersWarning, match="one cluster"):
        fit = CoxFitter().fit(data, "time", "status", formula="x1 + x2 + x3", cluster_col="one")
    robust = CoxFitter().fit(data, "time", "status", formula="x1 + x2 + x3", robust=True)
    assert fit.cov_type_ == "robust" and fit.n_clusters_ == 1
    assert "cluster" not in fit.cov_kinds_
    np.testing.assert_allclose(fit.standard_errors_, robust.standard_errors_, rtol=1e-12)
    assert (fit.standard_errors_ > 0).all()
    assert (fit.summary["ci_upper"] > fit.summary["ci_lower"]).all()
    assert fit.summary.attrs["variance"] == "robust"


@pytest.mark.parametrize("clusters", ["one", "la"])
def test_fine_gray_with_few_clusters_warns_and_keeps_positive_width(clusters: str) -> None:
    data = _competing()
    with pytest.warns(FewClustersWarning):
        fit = FineGrayFitter().fit(data, "time", "status", formula="x", cluster_col=clusters)
    assert (fit.standard_errors_ > 0).all()
    assert (fit.summary["ci_upper"] - fit.summary["ci_lower"] > 0).all()
    assert 0 < fit.summary["p_value"].iloc[0] < 1
    if clusters == "la":
        assert fit.df_ == 4 and fit.n_clusters_ == 5
        # t(4) intervals are wider than normal ones on the same standard error.
        z = fit.params_ + 1.959963984540054 * fit.standard_errors_
        assert (fit.summary["ci_upper"] > z).all()
    else:
        assert fit.cov_type_ == "robust" and fit.df_ is None


def test_cause_specific_and_recurrent_fitters_follow_the_same_rule() -> None:
    data = _competing()
    with pytest.warns(FewClustersWarning):
        csc = CauseSpecificCox().fit(data, "time", "status", formula="x", cluster_col="la")
    assert csc.df_ == 4 and (csc.standard_errors_ > 0).all()
    # The joint variance's diagonal blocks are the per-cause variances.
    for k, f in csc.fitters_.items():
        np.testing.assert_allclose(
            csc.standard_errors_.loc[k].to_numpy(), f.standard_errors_.to_numpy(), rtol=1e-12
        )
    rows = data.assign(start=0.0, returned=(data["status"] == 1).astype(int))
    with pytest.warns(FewClustersWarning):
        ag = AndersenGillFitter().fit(
            rows, "time", "returned", entry_col="start", formula="x", cluster_col="one"
        )
    assert ag.cov_type_ == "robust" and (ag.standard_errors_ > 0).all()
