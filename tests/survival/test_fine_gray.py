"""FineGrayFitter: identities that pin down the weights and the variance without R.

* the no-expansion risk sets equal the explicit long form (Fine & Gray's weighted
  counting-process data, as ``survival::finegray`` builds it) fitted by CoxFitter;
* the sandwich equals the infinitesimal jackknife (numerical derivatives of the estimate
  in each row's case weight, censoring Kaplan-Meier re-estimated every time), which also
  checks the variance term for estimated weights with several censoring strata;
* with no competing events Fine-Gray is Cox.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from outcomes.errors import OutcomesError
from outcomes.survival import CoxFitter, FineGrayFitter
from outcomes.survival._inference import choose_variance
from outcomes.survival.fine_gray import censoring_kaplan_meier


def _data(seed: int = 11, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.5, size=n).astype(float)
    t1 = rng.exponential(1 / (0.5 * np.exp(0.6 * x1 - 0.4 * x2)))
    t2 = rng.exponential(1 / (0.4 * np.exp(-0.3 * x1)))
    cg = rng.choice(["u", "v"], size=n)
    c = rng.exponential(np.where(cg == "u", 4.0, 1.5))
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(c <= np.minimum(t1, t2), 0, np.where(t1 < t2, 1, 2))
    return pd.DataFrame(
        {
            "time": np.ceil(t * 10) / 10,
            "status": status,
            "x1": x1,
            "x2": x2,
            "cg": cg,
            "w": rng.uniform(0.5, 2.0, size=n),
        }
    )


def _long_form(d: pd.DataFrame) -> pd.DataFrame:
    """Explicit Fine-Gray data: a competing-event row continues after T_j on intervals
    between censoring times, weighted G(a)/G(T_j-) on (a, b] (case weights carried)."""
    G = censoring_kaplan_meier(
        d["time"].to_numpy(), (d["status"] == 0).to_numpy(), d["w"].to_numpy()
    )
    u, surv = G.index.to_numpy(), G.to_numpy()

    def g_at(t: float) -> float:  # right-continuous G(t)
        k = np.searchsorted(u, t, side="right")
        return 1.0 if k == 0 else float(surv[k - 1])

    def g_before(t: float) -> float:
        k = np.searchsorted(u, t, side="left")
        return 1.0 if k == 0 else float(surv[k - 1])

    rows = []
    end = float(d["time"].max()) + 1.0
    for _, r in d.iterrows():
        base = {"x1": r["x1"], "x2": r["x2"], "w": r["w"]}
        rows.append({**base, "start": 0.0, "stop": r["time"], "event": int(r["status"] == 1)})
        if r["status"] == 2:
            cuts = [r["time"], *u[(u > r["time"])], end]
            den = g_before(r["time"])
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                wt = r["w"] * g_at(a) / den
                if wt > 0:
                    rows.append({**base, "start": a, "stop": b, "event": 0, "w": wt})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_matches_explicit_long_form(ties: str) -> None:
    d = _data()
    fg = FineGrayFitter(tol=1e-11).fit(
        d, "time", "status", formula="x1 + x2", weights_col="w", ties=ties
    )
    long = _long_form(d)
    cox = CoxFitter(tol=1e-11).fit(
        long, "stop", "event", entry_col="start", weights_col="w", formula="x1 + x2", ties=ties
    )
    np.testing.assert_allclose(fg.params_, cox.params_, rtol=1e-9)
    np.testing.assert_allclose(fg.log_likelihood_, cox.log_likelihood_, rtol=1e-10)
    np.testing.assert_allclose(fg.cov_params("model"), cox.cov_params("model"), rtol=1e-8)
    np.testing.assert_allclose(
        fg.baseline_cumulative_hazard_["baseline"],
        cox.baseline_cumulative_hazard_["baseline"].reindex(fg.baseline_cumulative_hazard_.index),
        rtol=1e-8,
    )


@pytest.mark.parametrize("censoring_strata", [None, "cg"])
def test_sandwich_equals_infinitesimal_jackknife(censoring_strata: str | None) -> None:
    d = _data(seed=5, n=120).assign(w=1.0)

    def fit(w: np.ndarray) -> FineGrayFitter:
        return FineGrayFitter(tol=1e-13).fit(
            d.assign(w=w),
            "time",
            "status",
            formula="x1 + x2",
            weights_col="w",
            censoring_strata=censoring_strata,
        )

    m = fit(np.ones(len(d)))
    h = 1e-6
    D = np.empty((len(d), 2))
    for i in range(len(d)):
        up, down = np.ones(len(d)), np.ones(len(d))
        up[i] += h
        down[i] -= h
        D[i] = (fit(up).params_.to_numpy() - fit(down).params_.to_numpy()) / (2 * h)
    ij = np.sqrt(np.diag(D.T @ D))
    # The sandwich linearises the Kaplan-Meier with the Nelson-Aalen form, the jackknife
    # differentiates the product limit: they differ by O(1/at-risk) (here < 5e-4).
    np.testing.assert_allclose(m.standard_errors_, ij, rtol=1e-3)
    # Leaving out the term for the estimated weights would fail that tolerance.
    resid = m._risk.score_residuals(m.params_.to_numpy())
    bread = np.linalg.inv(m.information_)
    without = np.sqrt(np.diag(choose_variance(bread, resid, None, "test").matrices["robust"]))
    assert np.max(np.abs(without / ij - 1)) > 1.5e-3


def test_without_competing_events_it_is_cox() -> None:
    d = _data().assign(status=lambda f: f["status"].replace({2: 0}))
    fg = FineGrayFitter().fit(d, "time", "status", formula="x1 + x2")
    cox = CoxFitter().fit(d, "time", "status", formula="x1 + x2", ties="breslow", robust=True)
    np.testing.assert_allclose(fg.params_, cox.params_, rtol=1e-10)
    # With no competing rows the weight-estimation term vanishes.
    np.testing.assert_allclose(fg.standard_errors_, cox.standard_errors_, rtol=1e-10)


def test_each_row_its_own_cluster_is_the_default_variance() -> None:
    d = _data().assign(id=np.arange(200))
    a = FineGrayFitter().fit(d, "time", "status", formula="x1 + x2")
    b = FineGrayFitter().fit(d, "time", "status", formula="x1 + x2", cluster_col="id")
    np.testing.assert_allclose(a.standard_errors_, b.standard_errors_, rtol=1e-12)


def test_censoring_kaplan_meier_matches_lifelines() -> None:
    d = _data()
    ours = censoring_kaplan_meier(d["time"].to_numpy(), (d["status"] == 0).to_numpy())
    km = KaplanMeierFitter().fit(d["time"], d["status"] == 0)
    theirs = km.survival_function_.iloc[:, 0].reindex(ours.index)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12)


# The grid runs past the follow-up on purpose (predictions there are flat).
@pytest.mark.filterwarnings("ignore::outcomes.errors.FollowUpWarning")
def test_predicted_cumulative_incidence_is_a_distribution() -> None:
    d = _data()
    m = FineGrayFitter().fit(d, "time", "status", formula="x1 + x2")
    F = m.predict_cumulative_incidence(d.iloc[:10], np.linspace(0, 10, 50))
    assert (F.diff().iloc[1:] >= 0).all().all()
    assert ((F >= 0) & (F < 1)).all().all()
    assert m.summary["method"].eq("fine_gray").all()


def test_errors() -> None:
    d = _data()
    # Delayed entry is not offered: the argument does not exist.
    with pytest.raises(TypeError, match="entry_col"):
        FineGrayFitter().fit(d, "time", "status", entry_col="e", formula="x1")  # type: ignore[call-arg]
    with pytest.raises(OutcomesError, match="no events with code 3"):
        FineGrayFitter().fit(d, "time", "status", event_of_interest=3, formula="x1")
    with pytest.raises(OutcomesError, match="censoring_strata"):
        FineGrayFitter().fit(d, "time", "status", formula="x1", censoring_strata="nope")


def test_censoring_survival_is_reported_per_stratum() -> None:
    d = _data()
    m = FineGrayFitter().fit(d, "time", "status", formula="x1 + x2", censoring_strata="cg")
    cs = m.censoring_survival_
    assert list(cs.columns) == ["censoring_stratum", "time", "survival"]
    for level, part in cs.groupby("censoring_stratum"):
        sub = d[d["cg"] == level]
        km = censoring_kaplan_meier(sub["time"].to_numpy(), (sub["status"] == 0).to_numpy())
        np.testing.assert_allclose(part["survival"].to_numpy(), km.to_numpy(), rtol=1e-12)
