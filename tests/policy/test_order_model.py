"""The g-formula's order model reaches the optimum of its penalised objective: checked
against scikit-learn fitted to a tight tolerance, against an explicit Hessian, and from
cold and warm starts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from outcomes.policy._order_model import GTOL, MultinomialFit, _Objective, fit_multinomial

Problem = tuple[NDArray[np.float64], list[NDArray[np.intp]], list[int], NDArray[np.intp]]
K = 4


def problem(seed: int, n: int = 500, levels: tuple[int, ...] = (3, 25)) -> Problem:
    """Dense columns, factors and orders from a known multinomial model; a quarter of
    the rows repeated, as a bootstrap resample repeats them."""
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n, 3)) * [1.0, 5.0, 0.2] + [0.0, 40.0, 1.0]
    factors = [rng.integers(0, size, n).astype(np.intp) for size in levels]
    eta = (dense - dense.mean(axis=0)) / dense.std(axis=0) @ rng.normal(size=(3, K))
    eta += sum(
        rng.normal(size=(size, K))[codes] for codes, size in zip(factors, levels, strict=True)
    )
    prob = np.exp(eta - eta.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    y = (prob.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1).astype(np.intp)
    again = rng.integers(0, n, n // 4)
    take = np.concatenate([np.arange(n), again])
    return dense[take], [f[take] for f in factors], list(levels), y[take]


def design(fit: MultinomialFit, data: Problem) -> NDArray[np.float64]:
    """Standardised dense columns and one-hot factors (without the intercept)."""
    dense, factors, levels, _ = data
    blocks = [(dense - fit.centre) / fit.scale]
    blocks += [np.eye(size)[codes] for codes, size in zip(factors, levels, strict=True)]
    return np.hstack(blocks)


def gradient(fit: MultinomialFit, data: Problem) -> NDArray[np.float64]:
    """The penalised objective's gradient, from the one-hot design."""
    y = data[3]
    X = np.hstack([design(fit, data), np.ones((len(y), 1))])
    W = fit.coef.reshape(-1, K)
    eta = X @ W
    prob = np.exp(eta - eta.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    prob[np.arange(len(y)), y] -= 1.0
    ridge = W.copy()
    ridge[-1] = 0.0
    return np.asarray((X.T @ prob + ridge) / len(y))


def test_cold_fit_is_scikit_learns_optimum() -> None:
    data = problem(1)
    dense, factors, levels, y = data
    ours = fit_multinomial(dense, factors, levels, y, K)
    assert ours.converged and ours.max_gradient <= GTOL
    assert np.abs(gradient(ours, data)).max() <= GTOL
    X = design(ours, data)
    theirs = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(X, y)
    p_ours = ours.probabilities(dense, factors)
    assert np.abs(p_ours - theirs.predict_proba(X)).max() < 1e-6
    # the old stopping rule (largest gradient component 1e-4) is far looser
    loose = LogisticRegression(C=1.0, tol=1e-4, max_iter=100_000).fit(X, y)
    assert np.abs(p_ours - loose.predict_proba(X)).max() > 1e-5


@pytest.mark.parametrize("levels", [(3, 25), (2, 4, 25), ()])
def test_newton_steps_solve_the_explicit_hessian(levels: tuple[int, ...]) -> None:
    # the Hessian, assembled from the one-hot design row by row, against the
    # structured products and the factorised Newton step (several small factors beside
    # the eliminated one, or none)
    dense, factors, lv, y = problem(2, n=150, levels=levels)
    fit = fit_multinomial(dense, factors, lv, y, K)
    obj = _Objective((dense - fit.centre) / fit.scale, factors, lv, y, K, 1.0)
    rng = np.random.default_rng(3)
    coef = rng.normal(size=fit.coef.size)
    _, grad, P = obj.value(coef)
    X = np.hstack([design(fit, (dense, factors, lv, y)), np.ones((len(y), 1))])
    W = coef.reshape(-1, K)
    prob = np.exp(X @ W)
    prob /= prob.sum(axis=1, keepdims=True)
    rows = zip(X, prob, strict=True)
    H = sum(np.kron(np.outer(x, x), np.diag(p) - np.outer(p, p)) for x, p in rows) / len(y)
    ridge = np.full(X.shape[1], 1.0 / len(y))
    ridge[-1] = 0.0
    H = H + np.diag(np.repeat(ridge, K))
    vector = rng.normal(size=coef.size)
    assert np.allclose(obj.hessian_times(P, vector), H @ vector, rtol=1e-10, atol=1e-13)
    step = obj.hessian(P).step(grad)
    assert np.allclose(H @ step, -grad, rtol=1e-8, atol=1e-11)
    # the intercepts' sum, along which the loss is flat, is not moved
    assert abs(step.reshape(-1, K)[-1].sum()) < 1e-10


def test_warm_start_from_another_datasets_solution_is_the_cold_fit() -> None:
    first, second = problem(4), problem(5)
    cold = fit_multinomial(*second[:3], second[3], K)
    other = fit_multinomial(*first[:3], first[3], K)
    # the other data's coefficients under this data's centring and scale
    start = dataclasses.replace(other, centre=cold.centre, scale=cold.scale)
    warm = fit_multinomial(*second[:3], second[3], K, start=start)
    assert warm.converged and warm.max_gradient <= GTOL
    assert np.abs(gradient(warm, second)).max() <= GTOL
    dense, factors = second[0], second[1]
    p_cold = cold.probabilities(dense, factors)
    assert np.abs(warm.probabilities(dense, factors) - p_cold).max() < 1e-7
    # from its own solution there is nothing left to do
    again = fit_multinomial(*second[:3], second[3], K, start=cold)
    assert again.iterations == 0
    assert np.array_equal(again.coef, cold.coef)


def test_an_order_absent_from_the_rows_gets_a_vanishing_probability() -> None:
    # a bootstrap resample may miss a rare order entirely: its intercept falls until
    # the gradient criterion is met, without breaking the fit
    dense, factors, levels, y = problem(6)
    fit = fit_multinomial(dense, factors, levels, y, K + 1)
    assert fit.converged and fit.max_gradient <= GTOL
    assert fit.probabilities(dense, factors)[:, K].max() < 1e-6
