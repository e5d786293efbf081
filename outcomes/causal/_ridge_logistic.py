r"""Ridge logistic regression on numeric columns and one-hot factors, fitted without
materialising the one-hot columns.

The study's default propensity model is scikit-learn's
``LogisticRegression(C, solver="newton-cholesky")`` on standardised numerics and
one-hot encoded factors (the issue period, the local authority). It is refitted in
every bootstrap replicate, and most of its cost is the Hessian
:math:`X^\top \operatorname{diag}(h) X` over a design whose ~150 local-authority
columns are almost all zeros. :func:`one_hot_logistic_scores` takes the factors as
integer codes instead: a factor's own block of the Hessian is diagonal (the summed
:math:`h` per level), its cross blocks are weighted counts by level (``bincount``), and
only the few numeric columns are multiplied densely. That is a few milliseconds where
the dense product took a fifth of a second.

Exactness. The solver's answer is where its iterations stop (``tol`` on the gradient),
not the exact optimum, and the two differ by far more than rounding (about 1e-5 in the
risks the study reports). So this is not "another fit of the same model": it repeats
scikit-learn's Newton-Cholesky iterations step for step -- the same objective
:math:`n^{-1}\sum_i \ell_i + \tfrac{1}{2 C n}\lVert\beta\rVert^2` (intercept not
penalised), the same start at zero, the same symmetric solve, the same backtracking
line search (Armijo constant :math:`2^{-11}`, halving, at most 21 trials) and the same
stopping rule (largest gradient component and half the Newton decrement both at most
``tol``), so it ends on the same iterate up to rounding. Anything scikit-learn would
handle by falling back to L-BFGS or by warning (a near-singular Hessian, a failed
line search, no convergence) returns ``None`` here, and the caller fits with
scikit-learn itself. ``tests/study/test_study_speedups_exact.py`` checks the scores
against scikit-learn's.

References
----------
scikit-learn developers, ``sklearn/linear_model/_glm/_newton_solver.py``
(``NewtonCholeskySolver``, version 1.9).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
from numpy.typing import NDArray
from scipy.special import expit

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

ARMIJO = 0.00048828125  # 2**-11, scikit-learn's sigma
EPS = 16 * np.finfo(np.float64).eps


def standardise(values: FloatArray) -> FloatArray:
    """Columns centred and scaled as scikit-learn's ``StandardScaler`` does.

    Population variance with its correction term; a column that is constant to
    rounding keeps scale 1 (``_is_constant_feature``)."""
    n = values.shape[0]
    mean = values.sum(axis=0) / n
    centred = values - mean
    correction = centred.sum(axis=0)
    var = ((centred**2).sum(axis=0) - correction**2 / n) / n
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.sqrt(var)
    scale[constant] = 1.0
    return np.asarray(centred / scale, dtype=np.float64)


class _Design:
    """Numeric columns ``dense`` (n, q) and factors as codes; the intercept is last."""

    def __init__(self, dense: FloatArray, factors: list[tuple[IntArray, int]]) -> None:
        self.dense = dense
        self.factors = factors
        self.q = dense.shape[1]
        sizes = [levels for _, levels in factors]
        self.offsets = np.concatenate([[self.q], self.q + np.cumsum(sizes)]).astype(int)
        self.p = int(self.offsets[-1])  # penalised coefficients

    def raw(self, coef: FloatArray) -> FloatArray:
        eta = self.dense @ coef[: self.q] + coef[-1]
        for (codes, levels), lo in zip(self.factors, self.offsets[:-1], strict=True):
            eta += coef[lo : lo + levels][codes]
        return eta

    def transpose_times(self, r: FloatArray) -> FloatArray:
        """:math:`X^\\top r` over the penalised columns."""
        out = np.empty(self.p)
        out[: self.q] = self.dense.T @ r
        for (codes, levels), lo in zip(self.factors, self.offsets[:-1], strict=True):
            out[lo : lo + levels] = np.bincount(codes, weights=r, minlength=levels)
        return out

    def hessian(self, h: FloatArray, l2: float) -> FloatArray:
        """:math:`(X, 1)^\\top \\operatorname{diag}(h) (X, 1)` plus ``l2`` on the
        penalised diagonal, block by block."""
        q, p = self.q, self.p
        H = np.zeros((p + 1, p + 1))
        dense = self.dense
        H[:q, :q] = (dense * h[:, None]).T @ dense
        for i, (codes, levels) in enumerate(self.factors):
            lo = self.offsets[i]
            hi = lo + levels
            counts = np.bincount(codes, weights=h, minlength=levels)
            H[lo:hi, lo:hi][np.diag_indices(levels)] = counts
            H[lo:hi, -1] = counts
            for j in range(q):
                H[j, lo:hi] = np.bincount(codes, weights=h * dense[:, j], minlength=levels)
            for k in range(i + 1, len(self.factors)):
                codes2, levels2 = self.factors[k]
                lo2 = self.offsets[k]
                pairs = codes * levels2 + codes2
                cross = np.bincount(pairs, weights=h, minlength=levels * levels2)
                H[lo:hi, lo2 : lo2 + levels2] = cross.reshape(levels, levels2)
        H[:q, -1] = dense.T @ h
        H[-1, -1] = h.sum()
        upper = np.triu_indices(p + 1, 1)
        H[(upper[1], upper[0])] = H[upper]
        H[np.arange(p), np.arange(p)] += l2
        return H


def _pointwise(raw: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Binomial deviance halves and their gradients in the linear predictor."""
    return np.logaddexp(0.0, raw) - y * raw, expit(raw) - y


def one_hot_logistic_scores(
    dense: FloatArray,
    factors: list[tuple[IntArray, int]],
    y: FloatArray,
    C: float,
    tol: float = 1e-4,
    max_iter: int = 100,
) -> FloatArray | None:
    """Fitted probabilities :math:`\\hat P(y = 1)` of a ridge logistic regression, or
    ``None`` where scikit-learn would leave its Newton iterations (see the module).

    Parameters
    ----------
    dense : ndarray, shape (n, q)
        Numeric columns, already standardised (:func:`standardise`).
    factors : list of (codes, levels)
        Each factor's level per row (``0 .. levels - 1``; every level occurs) and its
        number of levels: one one-hot column per level.
    y : ndarray of 0/1
    C : float
        Inverse penalty, as in ``LogisticRegression(C=...)``.
    tol, max_iter
        As in ``LogisticRegression``.
    """
    design = _Design(dense, factors)
    n, p = y.shape[0], design.p
    l2 = 1.0 / (C * n)
    coef = np.zeros(p + 1)
    raw = np.zeros(n)

    def loss_gradient(coef: FloatArray, raw: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        loss, grad = _pointwise(raw, y)
        grad /= n
        gradient = np.empty(p + 1)
        gradient[:p] = design.transpose_times(grad) + l2 * coef[:p]
        gradient[-1] = grad.sum()
        value = float(loss.sum() / n) + 0.5 * l2 * float(coef[:p] @ coef[:p])
        return value, gradient, grad

    loss, gradient, _ = loss_gradient(coef, raw)
    for _ in range(max_iter):
        prob = expit(raw)
        hessian = design.hessian(prob * (1.0 - prob) / n, l2)
        if np.mean(prob * (1.0 - prob) <= 0) > 0.25:
            return None  # scikit-learn's "pointwise hessian" fallback
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
                newton = scipy.linalg.solve(hessian, -gradient, check_finite=False, assume_a="sym")
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning):
            return None
        slope = float(gradient @ newton)
        if slope > 0:
            return None
        raw_newton = design.raw(newton)
        coef_old, loss_old, gradient_old = coef, loss, gradient
        t = 1.0
        for _ in range(21):
            coef = coef_old + t * newton
            trial = raw + t * raw_newton
            loss, gradient, _ = loss_gradient(coef, trial)
            improvement = loss - loss_old
            if improvement <= t * ARMIJO * slope:
                break
            if (
                abs(improvement) <= abs(loss_old * EPS)
                and np.abs(gradient).sum() < np.abs(gradient_old).sum()
            ):
                break
            t *= 0.5
        else:
            return None
        raw = trial
        if np.max(np.abs(gradient)) <= tol and 0.5 * float(newton @ hessian @ newton) <= tol:
            return np.asarray(expit(design.raw(coef)), dtype=np.float64)
    return None
