r"""Performance measures of a simulation study, with their Monte Carlo standard errors.

The estimates and Monte Carlo standard errors (MCSE) are those of Morris, White &
Crowther (2019), table 6, with the conventions of the R package rsimsum (Gasparini
2018): a replicate counts when its estimate and standard error are both present;
the model-based SE is the root mean of the squared SEs; relative bias is the mean of
the per-replicate relative errors.

With :math:`n` replicates, estimates :math:`\hat\theta_i`, standard errors
:math:`\widehat{SE}_i`, intervals :math:`[l_i, u_i]`, true values :math:`\theta_i`,
:math:`\bar\theta = \frac1n\sum_i\hat\theta_i`:

- ``bias`` :math:`\frac1n\sum_i(\hat\theta_i-\theta_i)`, MCSE
  :math:`\sqrt{\frac{1}{n(n-1)}\sum_i(\hat\theta_i-\bar\theta)^2}`;
- ``rel_bias`` :math:`\frac1n\sum_i(\hat\theta_i-\theta_i)/\theta_i`, MCSE the
  standard deviation of :math:`(\hat\theta_i-\theta_i)/\theta_i` over :math:`\sqrt n`;
- ``emp_se`` :math:`\mathrm{EmpSE}=\sqrt{\frac1{n-1}\sum_i(\hat\theta_i-\bar\theta)^2}`,
  MCSE :math:`\mathrm{EmpSE}/\sqrt{2(n-1)}`;
- ``model_se`` :math:`\mathrm{ModSE}=\sqrt{\frac1n\sum_i\widehat{SE}_i^2}`, MCSE
  :math:`\sqrt{V/(4n\,\mathrm{ModSE}^2)}` with :math:`V` the sample variance of
  :math:`\widehat{SE}_i^2`;
- ``rel_error_model_se`` (per cent) :math:`100(\mathrm{ModSE}/\mathrm{EmpSE}-1)`, MCSE
  :math:`100\frac{\mathrm{ModSE}}{\mathrm{EmpSE}}
  \sqrt{\frac{V}{4n\,\mathrm{ModSE}^4}+\frac1{2(n-1)}}`;
- ``mse`` :math:`M=\frac1n\sum_i(\hat\theta_i-\theta_i)^2`, MCSE
  :math:`\sqrt{\sum_i\{(\hat\theta_i-\theta_i)^2-M\}^2/(n(n-1))}`;
- ``coverage`` :math:`C=\frac1n\sum_i 1\{l_i\le\theta_i\le u_i\}`, MCSE
  :math:`\sqrt{C(1-C)/n}`;
- ``be_coverage`` (bias-eliminated) :math:`\frac1n\sum_i 1\{l_i\le\bar\theta\le u_i\}`,
  MCSE as coverage;
- ``power`` (rejection rate) :math:`P=\frac1n\sum_i 1\{p_i\le\alpha\}`, MCSE
  :math:`\sqrt{P(1-P)/n}`.

Sample variances have divisor :math:`n-1`. Where a
replicate has no interval, :math:`\hat\theta_i\pm z_{1-\alpha/2}\widehat{SE}_i` is
used, and where it has no p-value, the test rejects when
:math:`|\hat\theta_i|\ge z_{1-\alpha/2}\widehat{SE}_i` (rsimsum's rule).

References
----------
Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical
methods. Statistics in Medicine 2019; 38:2074-2102. doi:10.1002/sim.8086

Gasparini A. rsimsum: summarise results from Monte Carlo simulation studies. Journal
of Open Source Software 2018; 3(26):739. doi:10.21105/joss.00739
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.simulation.study import RESULT_COLUMNS, SimulationError

#: The measures, in the order of :func:`performance`'s rows.
MEASURES = (
    "n_sim",
    "n_failed",
    "mean",
    "bias",
    "rel_bias",
    "emp_se",
    "model_se",
    "rel_error_model_se",
    "mse",
    "coverage",
    "be_coverage",
    "power",
)


def performance(
    results: pd.DataFrame,
    true: str | float = "truth",
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    *,
    estimate: str = "estimate",
    std_error: str = "std_error",
    ci: tuple[str, str] | None = ("ci_lower", "ci_upper"),
    p_value: str | None = "p_value",
) -> pd.DataFrame:
    """Performance measures per group, each with its Monte Carlo standard error.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per replicate and estimate, e.g. from :meth:`SimulationStudy.run`.
    true : str or float
        Column of true values, or one true value for every row.
    by : str or list of str, optional
        Grouping columns. Default: the design columns, then ``method`` and
        ``estimand``. The design columns are those before ``point`` in a frame from
        :meth:`SimulationStudy.run` (its ``keep`` columns come after the result
        columns), and in any other frame every column that is not a result column.
    alpha : float
        Nominal level: coverage is of ``1 - alpha`` intervals, power is the rate of
        ``p <= alpha``.
    estimate, std_error : str
        Columns of the estimates and their model-based standard errors.
    ci : (str, str) or None
        Columns of the interval limits; None (or missing limits in a row) means the
        Wald interval ``estimate -/+ z * std_error``.
    p_value : str or None
        Column of p-values; None (or a missing p-value) means the Wald test.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``measure`` (see :data:`MEASURES`), ``estimate`` and
        ``mcse`` (NaN for the counts and ``mean``; NaN also where a measure is not
        defined, e.g. an empirical SE from fewer than 2 replicates).

    Notes
    -----
    Formulas in the module documentation. ``n_failed`` counts the rows that errored
    or lack an estimate or standard error; they are left out of every measure. A row
    that errored has no estimand: it counts as failed for each estimand its method
    gives in other replicates of the same group.
    """
    if not 0 < alpha < 1:
        raise SimulationError(f"alpha must be in (0, 1), got {alpha!r}")
    needed = [estimate, std_error]
    if isinstance(true, str):
        needed.append(true)
    if ci is not None:
        needed.extend(ci)
    if p_value is not None:
        needed.append(p_value)
    missing = [c for c in needed if c not in results.columns]
    if missing:
        raise SimulationError(f"results have no column(s) {missing}")
    if by is None:
        names = list(results.columns)
        design = names[: names.index("point")] if "point" in names else names
        groups = [c for c in design if c not in RESULT_COLUMNS and c not in needed]
        groups += [c for c in ("method", "estimand") if c in results.columns]
    else:
        groups = [by] if isinstance(by, str) else list(by)
        absent = [c for c in groups if c not in results.columns]
        if absent:
            raise SimulationError(f"results have no by column(s) {absent}")
    frame = _failures_to_estimands(results, groups)
    frame["_true"] = frame[true] if isinstance(true, str) else float(true)
    rows = []
    parts = frame.groupby(groups, sort=False, dropna=False) if groups else [((), frame)]
    for key, part in parts:
        labels = dict(zip(groups, key if isinstance(key, tuple) else (key,), strict=True))
        for measure, value, mcse in _measures(part, alpha, estimate, std_error, ci, p_value):
            rows.append({**labels, "measure": measure, "estimate": value, "mcse": mcse})
    return pd.DataFrame(rows, columns=[*groups, "measure", "estimate", "mcse"])


def _failures_to_estimands(results: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """A failed row has no estimand (the method never said what it estimates): count
    it as a failure of every estimand its method gives elsewhere in the same group."""
    if "estimand" not in groups or "error" not in results.columns:
        return results.copy()
    lost = results["estimand"].isna() & results["error"].notna()
    if not lost.any():
        return results.copy()
    others = [g for g in groups if g != "estimand"]
    known = results.loc[results["estimand"].notna(), [*others, "estimand"]].drop_duplicates()
    failed = results[lost].drop(columns="estimand")
    spread = (
        failed.merge(known, on=others, how="left", sort=False)
        if others
        else failed.merge(known, how="cross")
    )
    return pd.concat([results[~lost], spread], ignore_index=True)


def _measures(
    part: pd.DataFrame,
    alpha: float,
    estimate: str,
    std_error: str,
    ci: tuple[str, str] | None,
    p_value: str | None,
) -> list[tuple[str, float, float]]:
    est = part[estimate].to_numpy(dtype=float)
    se = part[std_error].to_numpy(dtype=float)
    used = np.isfinite(est) & np.isfinite(se)
    if "error" in part.columns:
        used &= part["error"].isna().to_numpy()
    n = int(used.sum())
    nan = float("nan")
    out: list[tuple[str, float, float]] = [
        ("n_sim", float(n), nan),
        ("n_failed", float(len(part) - n), nan),
    ]
    if n == 0:
        return out + [(m, nan, nan) for m in MEASURES[2:]]
    theta = est[used]
    s = se[used]
    truth = part["_true"].to_numpy(dtype=float)[used]
    z = float(stats.norm.ppf(1 - alpha / 2))
    if ci is None:
        lower, upper = theta - z * s, theta + z * s
    else:
        lower = part[ci[0]].to_numpy(dtype=float)[used]
        upper = part[ci[1]].to_numpy(dtype=float)[used]
        no_ci = ~(np.isfinite(lower) & np.isfinite(upper))
        lower = np.where(no_ci, theta - z * s, lower)
        upper = np.where(no_ci, theta + z * s, upper)
    wald_rejects = np.abs(theta) >= z * s
    if p_value is None:
        rejects = wald_rejects
    else:
        p = part[p_value].to_numpy(dtype=float)[used]
        rejects = np.where(np.isfinite(p), p <= alpha, wald_rejects)

    mean = float(theta.mean())
    error = theta - truth
    bias = float(error.mean())
    # divisor n - 1 below; NaN (not an error) when n == 1
    dev2 = float(((theta - mean) ** 2).sum())
    m1 = n - 1
    bias_mcse = np.sqrt(dev2 / (n * m1)) if m1 else nan
    if np.all(truth != 0):
        relative = error / truth
        rel_bias = float(relative.mean())
        rel_bias_mcse = float(relative.std(ddof=1) / np.sqrt(n)) if m1 else nan
    else:  # relative to a true value of 0 is not defined
        rel_bias = rel_bias_mcse = nan
    emp_se = np.sqrt(dev2 / m1) if m1 else nan
    emp_se_mcse = emp_se / np.sqrt(2 * m1) if m1 else nan
    se2 = s**2
    model_se = float(np.sqrt(se2.mean()))
    se2_var = float(se2.var(ddof=1)) if m1 else nan
    model_se_mcse = np.sqrt(se2_var / (4 * n * model_se**2)) if model_se > 0 else nan
    rel_error = 100 * (model_se / emp_se - 1) if m1 and emp_se > 0 else nan
    rel_error_mcse = (
        100 * (model_se / emp_se) * np.sqrt(se2_var / (4 * n * model_se**4) + 1 / (2 * m1))
        if m1 and emp_se > 0 and model_se > 0
        else nan
    )
    sq = error**2
    mse = float(sq.mean())
    mse_mcse = np.sqrt(float(((sq - mse) ** 2).sum()) / (n * m1)) if m1 else nan
    coverage = float(np.mean((lower <= truth) & (truth <= upper)))
    be_coverage = float(np.mean((lower <= mean) & (mean <= upper)))
    power = float(np.mean(rejects))

    def binomial(q: float) -> float:
        return float(np.sqrt(q * (1 - q) / n))

    return out + [
        ("mean", mean, nan),
        ("bias", bias, float(bias_mcse)),
        ("rel_bias", rel_bias, rel_bias_mcse),
        ("emp_se", float(emp_se), float(emp_se_mcse)),
        ("model_se", model_se, float(model_se_mcse)),
        ("rel_error_model_se", float(rel_error), float(rel_error_mcse)),
        ("mse", mse, float(mse_mcse)),
        ("coverage", coverage, binomial(coverage)),
        ("be_coverage", be_coverage, binomial(be_coverage)),
        ("power", power, binomial(power)),
    ]
