"""The analysis frame: cohort rows, the exposure at a threshold, and the confounders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from outcomes.cohort import Cohort, Duration, build_cohort
from outcomes.errors import OutcomesError
from outcomes.schema import Dataset

BASE_CONFOUNDERS = (
    "child_age_at_issue",
    "issue_year",
    "sibling_group_size",
    "mother_age_at_issue",
)
"""Case-mix confounders used by default, with the manifest's covariates and the area."""
AREA = "la_code"
FAMILY = "family_id"
"""A column the frame adds: the birth mother where recorded, else the proceedings
(siblings), so that children who share a family are one resampling unit."""
CATEGORICAL_CONFOUNDERS = ("issue_year", "issue_period")
"""Confounders entered as categories: the issue period carries the 2014 reform and the
later rise in durations, which a linear term would not follow."""
MIN_BOOTSTRAP_CLUSTERS = 30
"""The bootstrap resamples whole clusters (local authorities) only when there are at
least this many. With fewer, resampling clusters gives too few distinct resamples and
intervals that are too narrow (Cameron, Gelbach and Miller 2008, who find the pairs
cluster bootstrap unreliable below about 30 clusters), so the bootstrap resamples
families within each local authority instead, and the inference is about the
authorities in the data (see ``docs/study.md``)."""
PERIODS = (-np.inf, 2013, 2016, 2019, 2022, np.inf)
PERIOD_LABELS = ("to 2013", "2014-2016", "2017-2019", "2020-2022", "2023 on")
"""Issue periods replacing the issue year as a confounder: before the April 2014 reform,
the years of short durations after it, and the later rise. Five levels follow the
duration trend as well as fifteen year dummies do, at a third of the cost in every
model and bootstrap replicate."""


@dataclass
class Inference:
    """How the uncertainty of a frame's estimates is computed, from its clusters.

    Attributes
    ----------
    n_areas : int
        Local authorities in the analysed rows.
    n_clusters : int
        Distinct values of the requested cluster column.
    area : str or None
        The column that enters every model as the area (strata of the hazard models,
        indicators in the propensity and order models); ``None`` with one local
        authority, where it would be a constant.
    variance_cluster : str
        The clusters of the hazard models' robust variance: the requested column when
        it has at least two clusters, else the family (:data:`FAMILY`).
    resample : str
        The bootstrap's resampling unit: the requested cluster column with at least
        :data:`MIN_BOOTSTRAP_CLUSTERS` clusters, else the family.
    resample_within : str or None
        With the family bootstrap, the column within whose levels families are
        resampled (the local authority, so each authority keeps its size).
    """

    n_areas: int
    n_clusters: int
    area: str | None
    variance_cluster: str
    resample: str
    resample_within: str | None

    def describe(self, cluster: str) -> dict[str, Any]:
        """Plain-English statements of the variance and bootstrap, for the report."""
        what = "local authorities" if cluster == AREA else f"clusters ({cluster})"
        if self.n_clusters == 1:
            variance = (
                f"one {'local authority' if cluster == AREA else 'cluster of ' + cluster}: "
                "hazard-model standard errors are robust by family (mother, else "
                "proceedings), not by area, since one cluster gives no cluster-robust "
                "variance"
            )
        elif self.n_clusters < MIN_BOOTSTRAP_CLUSTERS:
            variance = (
                f"hazard-model standard errors clustered by {cluster} ({self.n_clusters} "
                "clusters; few, so a small-sample correction applies)"
            )
        else:
            variance = f"hazard-model standard errors clustered by {cluster}"
        if self.resample == FAMILY:
            bootstrap = (
                "bootstrap resampling families (mother, else proceedings)"
                + (" within each local authority" if self.resample_within else "")
                + f", because there are fewer than {MIN_BOOTSTRAP_CLUSTERS} {what}"
            )
        else:
            bootstrap = f"bootstrap resampling whole {what}"
        caveat = ""
        if self.n_clusters < MIN_BOOTSTRAP_CLUSTERS:
            areas = (
                "one local authority" if self.n_areas == 1 else f"{self.n_areas} local authorities"
            )
            caveat = (
                f"This extract comes from {areas}. The intervals describe what would be "
                "seen with other children in the same "
                + ("authority" if self.n_areas == 1 else "authorities")
                + ", not in other areas: they say nothing about how far the result "
                "carries to other local authorities, and with small numbers every "
                "interval is wide and rests on few returns to court."
            )
        return {
            "local_authorities": self.n_areas,
            "clusters": self.n_clusters,
            "cluster": cluster,
            "area_in_models": self.area is not None,
            "variance": variance,
            "bootstrap": bootstrap,
            "caveat": caveat,
        }


def inference_for(frame: pd.DataFrame, cluster: str) -> Inference:
    """The inference rule for a frame's clusters (see :data:`MIN_BOOTSTRAP_CLUSTERS`)."""
    n_areas = int(frame[AREA].nunique())
    n_clusters = int(frame[cluster].nunique())
    many = n_clusters >= MIN_BOOTSTRAP_CLUSTERS
    return Inference(
        n_areas=n_areas,
        n_clusters=n_clusters,
        area=AREA if n_areas > 1 else None,
        variance_cluster=cluster if n_clusters > 1 else FAMILY,
        resample=cluster if many else FAMILY,
        resample_within=None if many or n_areas == 1 else AREA,
    )


@dataclass
class AnalysisFrame:
    """What every method of the study works on.

    Attributes
    ----------
    data : DataFrame
        Complete-case cohort rows with ``years`` (follow-up), ``event``, ``exposed``
        (0/1), the confounders and ``la_code``.
    confounders : list of str
        Case-mix confounders used (numeric or categorical); the area is separate.
    report : DataFrame
        What happened to each requested confounder: ``status`` ``used``, ``absent``
        or ``dropped``, with the share missing and the ``reason`` for a drop (too
        incomplete, all missing, constant, or exactly collinear with the named
        columns); and how many rows the complete-case restriction removed.
    cohort : Cohort
        The cohort the frame came from.
    cluster : str
        The column whose groups are the clusters of the standard errors and of the
        bootstrap (the local authority by default; a coarser unit such as ``dfj_area``
        allows for correlation between neighbouring authorities).
    inference : Inference
        What the clusters allow: whether the area enters the models, the clusters of
        the robust variance and the bootstrap's resampling unit.
    """

    data: pd.DataFrame
    confounders: list[str]
    report: pd.DataFrame
    cohort: Cohort
    cluster: str = AREA
    inference: Inference = field(default_factory=lambda: Inference(0, 0, AREA, AREA, AREA, None))

    @property
    def area(self) -> str | None:
        """The area column of the models, or ``None`` with one local authority."""
        return self.inference.area


def analysis_frame(
    data: Dataset | Cohort,
    *,
    outcome: str,
    threshold_weeks: float,
    confounders: list[str] | None,
    cluster: str = AREA,
    max_missing: float = 0.2,
) -> AnalysisFrame:
    """Build the frame; see :class:`AnalysisFrame`.

    A default confounder that is absent is reported, not fatal; a confounder that was
    asked for by name and is absent is an error naming it (a typo must not run with
    fewer confounders than asked). One missing in more than ``max_missing`` of rows is
    dropped from the set and reported (complete-case analysis on it would lose too
    much); the rest are used on complete cases, less those that carry no information
    there (:func:`screen_confounders`: constant, or exactly collinear with the ones
    before them and the area). The ``cluster`` column (standard errors and bootstrap
    resampling) must be present.
    """
    cohort = (
        data
        if isinstance(data, Cohort)
        else build_cohort(data, outcome=outcome, exposure=Duration())  # type: ignore[arg-type]
    )
    frame = cohort.data.copy()
    if cluster not in frame.columns:
        raise OutcomesError(f"cluster column {cluster!r} is not in the cohort")
    if confounders is None:
        extra = [c for c in cohort.covariates if c not in BASE_CONFOUNDERS]
        extra = [c for c in extra if not c.startswith("prior_proceedings")]
        requested = [*BASE_CONFOUNDERS, *extra]
    else:
        requested = list(confounders)
        unknown = [c for c in requested if c not in frame.columns and c != AREA]
        if unknown:
            known = sorted(c for c in frame.columns if c not in IDENTIFIERS)
            raise OutcomesError(
                f"unknown confounder column(s): {', '.join(unknown)} "
                f"(columns of the cohort: {', '.join(known)})"
            )
    rows = []
    used = []
    for name in dict.fromkeys(requested):
        if name == AREA:
            continue
        if name not in frame.columns:
            rows.append(_entry(name, "absent", 1.0, "not in the data"))
            continue
        share = float(frame[name].isna().mean())
        if share > max_missing:
            why = "all missing" if share == 1 else f"too incomplete ({100 * share:.0f}% missing)"
            rows.append(_entry(name, "dropped", share, why))
        else:
            rows.append(_entry(name, "used", share, ""))
            used.append(name)
    needed = [*dict.fromkeys([*used, AREA, cluster]), "duration_weeks"]
    complete = frame[needed].notna().all(axis=1)
    frame = frame.loc[complete].copy()
    if "issue_year" in used:
        frame["issue_period"] = pd.cut(frame["issue_year"], PERIODS, labels=PERIOD_LABELS)
        frame["issue_period"] = frame["issue_period"].astype(str)
        used[used.index("issue_year")] = "issue_period"
    for name in used:
        if frame[name].dtype == bool:
            frame[name] = frame[name].astype(int)
    if not len(frame):
        raise OutcomesError("no child has every confounder recorded: nothing to analyse")
    inference = inference_for(frame, cluster)
    _, pooled = pool_eventless_levels(frame, used)
    for entry in rows:
        column = str(entry["confounder"])
        column = "issue_period" if column == "issue_year" else column
        if column in pooled:
            entry.update(reason="in the hazard models, " + pooled[column])
    dropped = screen_confounders(frame, used, inference.area)
    for entry in rows:
        column = str(entry["confounder"])
        column = "issue_period" if column == "issue_year" else column
        if column in dropped:
            entry.update(status="dropped", reason=dropped[column])
    used = [c for c in used if c not in dropped]
    report = pd.DataFrame(rows, columns=["confounder", "status", "share_missing", "reason"])
    report.attrs["rows_dropped_incomplete"] = int((~complete).sum())
    frame["exposed"] = (frame["duration_weeks"] * 7 <= threshold_weeks * 7).astype(int)
    frame["years"] = frame["time"]  # a cohort measures time in years already
    frame[FAMILY] = _families(frame)
    return AnalysisFrame(
        data=frame.reset_index(drop=True),
        confounders=used,
        report=report,
        cohort=cohort,
        cluster=cluster,
        inference=inference,
    )


IDENTIFIERS = ("proceedings_id", "child_id", "mother_id", "row_id")
"""Columns never offered as confounders (nor listed in an error message)."""


def _entry(name: str, status: str, share: float, reason: str) -> dict[str, object]:
    return {"confounder": name, "status": status, "share_missing": share, "reason": reason}


def _families(frame: pd.DataFrame) -> np.ndarray:
    """The birth mother where recorded, else the proceedings (siblings share it)."""
    proceedings = "p:" + frame["proceedings_id"].astype(str)
    if "mother_id" not in frame.columns:
        return proceedings.to_numpy(dtype=object)
    mother = "m:" + frame["mother_id"].astype(str)
    return mother.where(frame["mother_id"].notna(), proceedings).to_numpy(dtype=object)


def design_columns(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A confounder's columns in the models: itself, or indicators of its levels less
    the first for a categorical one (:data:`CATEGORICAL_CONFOUNDERS`, or not numeric)."""
    values = frame[name]
    if pd.api.types.is_numeric_dtype(values) and name not in CATEGORICAL_CONFOUNDERS:
        return values.to_numpy(dtype=float)[:, None]
    dummies = pd.get_dummies(values.astype(str), drop_first=True, dtype=float)
    return dummies.to_numpy()


def pool_eventless_levels(
    frame: pd.DataFrame, confounders: list[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame with the levels of categorical confounders in which no child has an
    event of a modelled kind (a return, or a competing event) pooled, for the hazard
    models, with what was pooled.

    A hazard model cannot estimate the effect of a level with no events of its cause:
    the partial likelihood keeps rising as the level's coefficient goes to minus
    infinity, and the information about it is zero (a late issue period, say, whose
    children have not yet been followed long enough to return). The level is pooled
    with its neighbour -- the previous period for the ordered issue period (the next
    one for the first), the most common level otherwise -- until every level has
    events of each kind or one level is left (a constant term, which the model
    formula leaves out). Every hazard model applies this to the rows it is fitted to,
    bootstrap resamples included; the propensity model, which involves no events,
    keeps every level.

    Returns
    -------
    frame : DataFrame
        ``frame`` itself when nothing is pooled, else a copy with the pooled levels.
    pooled : dict
        Confounder -> the poolings made, in words (for ``diagnostics["confounders"]``).
    """
    kinds = {"returns": frame["event"] == 1, "competing events": frame["event"] >= 2}
    pooled: dict[str, str] = {}
    changed: dict[str, pd.Series] = {}
    for name in confounders:
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        if numeric and name not in CATEGORICAL_CONFOUNDERS:
            continue
        values = frame[name].astype(str)
        notes = []
        while values.nunique() > 1:
            empty = next(
                (
                    (str(level), kind)
                    for kind, events in kinds.items()
                    if events.any()
                    for level, n in events.groupby(values).sum().items()
                    if n == 0
                ),
                None,
            )
            if empty is None:
                break
            level, kind = empty
            target = _neighbour(values, level, ordered=name == "issue_period")
            notes.append(f"level {level!r} (no {kind}) pooled with {target!r}")
            values = values.where(values != level, target)
        if notes:
            changed[name] = values
            pooled[name] = "; ".join(notes)
    return (frame.assign(**changed) if changed else frame), pooled


def _neighbour(values: pd.Series, level: str, *, ordered: bool) -> str:
    """The level ``level`` is pooled into: the adjacent period, or the most common."""
    present = [lv for lv in PERIOD_LABELS if lv in set(values)] if ordered else []
    if level in present:
        i = present.index(level)
        return present[i - 1] if i > 0 else present[i + 1]
    counts = values[values != level].value_counts()
    return str(counts.index[0])


def screen_confounders(
    frame: pd.DataFrame, confounders: list[str], area: str | None, tol: float = 1e-9
) -> dict[str, str]:
    """Confounders that carry no information in ``frame``, with the reason.

    A confounder is dropped when it is constant, or when its columns
    (:func:`design_columns`) are exactly collinear with an intercept, the area
    indicators and the confounders kept before it: then no model can separate its
    effect, and a hazard model's information matrix would be singular. Rank is judged
    on the Gram matrix of the centred, unit-length columns (eigenvalues below ``tol``
    times the largest count as zero), so the cost is one :math:`O(n p^2)` product.
    The partners named are the kept confounders (and the area) whose removal restores
    full rank.

    Returns
    -------
    dict
        Dropped confounder -> reason.
    """
    dropped: dict[str, str] = {}
    blocks: dict[str, np.ndarray] = {}
    if area is not None:
        areas = pd.get_dummies(frame[area].astype(str), drop_first=True, dtype=float)
        blocks[area] = areas.to_numpy()
    for name in confounders:
        cols = design_columns(frame, name)
        if cols.shape[1] == 0 or np.all(np.ptp(cols, axis=0) == 0):
            dropped[name] = "constant"
            continue
        blocks[name] = cols
    names = list(blocks)
    if not names:
        return dropped
    x = np.hstack([blocks[n] for n in names])
    x = x - x.mean(axis=0)
    norms = np.linalg.norm(x, axis=0)
    x = x / np.where(norms > 0, norms, 1.0)
    gram = x.T @ x
    span: dict[str, np.ndarray] = {}
    start = 0
    for n in names:
        span[n] = np.arange(start, start + blocks[n].shape[1])
        start += blocks[n].shape[1]

    def full_rank(members: list[str]) -> bool:
        idx = np.concatenate([span[m] for m in members]) if members else np.array([], int)
        if not len(idx):
            return True
        values = np.linalg.eigvalsh(gram[np.ix_(idx, idx)])
        return bool(values.min() > tol * max(values.max(), 1.0))

    kept: list[str] = [area] if area is not None else []
    for name in names:
        if name == area:
            continue
        if full_rank([*kept, name]):
            kept.append(name)
            continue
        if not full_rank([name]):
            dropped[name] = "collinear levels (its categories are not all distinguishable)"
            continue
        partners = [k for k in kept if full_rank([*(m for m in kept if m != k), name])]
        dropped[name] = "exactly collinear with " + (", ".join(partners) or "the others")
    return dropped
