"""Linkage diagnostics: finding repeats that broken identifiers hide.

A repeat is seen only if the same child (or mother) carries the same ID in both sets
of proceedings. When an ID changes between them -- a new case-management system, a
re-registration -- the repeat disappears and the repeat rate is biased down. These
diagnostics flag the evidence; :func:`relink` optionally merges the IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from outcomes.io.all_rows import proceedings_rows
from outcomes.schema import Dataset, require_dataset


@dataclass
class LinkageReport:
    """What :func:`linkage_diagnostics` found.

    Attributes
    ----------
    flags : DataFrame
        One row per finding: ``check`` (``likely_broken_id``, ``two_dates_of_birth``,
        ``overlapping_proceedings``), ``child_id``, ``other_child_id`` (for broken
        IDs), ``proceedings_id``, ``la_code`` and ``evidence`` (plain text).
    candidate_links : DataFrame
        Pairs of child IDs judged to be one child: ``child_id`` (the earlier ID),
        ``other_child_id`` (the later one), the shared fields, and each ID's issue
        dates.
    """

    flags: pd.DataFrame
    candidate_links: pd.DataFrame

    def summary(self) -> pd.Series:
        """Findings per check."""
        return self.flags["check"].value_counts().rename("findings")


def linkage_diagnostics(dataset: Dataset, *, include_quarantined: bool = True) -> LinkageReport:
    """Look for child IDs that break between proceedings, and other linkage problems.

    Identifiers are usually sound in a row quarantined for a bad date or order, and a
    broken ID can only be seen if both of its rows are looked at; so by default the
    quarantined proceedings rows are read back (leniently typed, see
    :mod:`outcomes.io.all_rows`) and searched too. The other checks use kept rows only.

    Checks
    ------
    likely_broken_id
        Two child IDs with the same date of birth, sex, mother and local authority
        that never appear in the same proceedings: most likely one child recorded under
        two IDs. (Twins share these fields but appear together, so they are not
        flagged.) The mother is the same mother ID, or -- where either ID lacks one --
        the same mother's date of birth. Date of birth, sex and LA alone would link
        unrelated children born on the same day, so a mother is always required.
    two_dates_of_birth
        One child ID with more than one date of birth across its rows: a typo, or two
        children under one ID.
    overlapping_proceedings
        A child's next proceedings issued before the previous ones were disposed of:
        usually a date error or a duplicate application.

    Returns
    -------
    LinkageReport
    """
    require_dataset(dataset, "linkage_diagnostics")
    p = dataset.proceedings
    every_row = proceedings_rows(dataset).frame if include_quarantined else p
    links = _broken_ids(every_row)
    flags = [
        pd.DataFrame(
            {
                "check": "likely_broken_id",
                "child_id": links["child_id"],
                "other_child_id": links["other_child_id"],
                "proceedings_id": links["other_proceedings_id"],
                "la_code": links["la_code"],
                "evidence": "same "
                + links["matched_on"]
                + " (born "
                + links["child_dob"].dt.strftime("%Y-%m-%d")
                + "); never in the same proceedings",
            }
        ),
        _two_dobs(p),
        _overlaps(p),
    ]
    columns = ["check", "child_id", "other_child_id", "proceedings_id", "la_code", "evidence"]
    table = pd.concat([f[columns] for f in flags if len(f)], ignore_index=True)
    if table.empty:
        table = pd.DataFrame(columns=columns)
    return LinkageReport(flags=table, candidate_links=links)


def _broken_ids(p: pd.DataFrame) -> pd.DataFrame:
    # Every distinct identity a child ID shows (a typo in one row's date of birth must
    # not hide the link made by another row).
    identity = ["child_id", "child_dob", "child_sex", "mother_id", "mother_dob", "la_code"]
    per_child = p[identity].drop_duplicates()
    first = (
        p.sort_values(["issue_date", "proceedings_id"])
        .groupby("child_id")
        .agg(first_issue=("issue_date", "first"), first_proceedings=("proceedings_id", "first"))
    )
    per_child = per_child.join(first, on="child_id")
    # Day and month swapped is the commonest silent date typo: compare dates of birth
    # with day and month in a fixed order, so 2012-03-04 and 2012-04-03 match. No two
    # children of one mother are born a month apart, so this adds no false links.
    dob = per_child["child_dob"]
    low = np.minimum(dob.dt.day, dob.dt.month)
    high = np.maximum(dob.dt.day, dob.dt.month)
    per_child["dob_key"] = dob.dt.year * 10_000 + low * 100 + high
    child_key = ["dob_key", "child_sex", "la_code"]
    # The same mother: equal mother IDs; where either ID is missing, equal mother's
    # dates of birth instead (a missing mother ID must not hide the link).
    with_id = per_child.dropna(subset=[*child_key, "mother_id"])
    by_id = with_id.merge(with_id, on=[*child_key, "mother_id"], suffixes=("", "_b"))
    keyed = per_child.dropna(subset=[*child_key, "mother_dob"])
    by_dob = keyed.merge(keyed, on=[*child_key, "mother_dob"], suffixes=("", "_b"))
    by_dob = by_dob.loc[by_dob["mother_id"].isna() | by_dob["mother_id_b"].isna()]
    pairs = pd.concat(
        [
            by_id.assign(matched_on="date of birth, sex, LA and mother ID"),
            by_dob.assign(matched_on="date of birth, sex, LA and mother's date of birth"),
        ],
        ignore_index=True,
    )
    pairs = pairs.loc[pairs["child_id"] != pairs["child_id_b"]]
    # Order each pair: the ID seen first is the one kept.
    earlier = (pairs["first_issue"] < pairs["first_issue_b"]) | (
        (pairs["first_issue"] == pairs["first_issue_b"])
        & (pairs["child_id"] < pairs["child_id_b"])
    )
    pairs = pairs.loc[earlier]
    together = p[["proceedings_id", "child_id"]].merge(
        p[["proceedings_id", "child_id"]], on="proceedings_id", suffixes=("", "_b")
    )
    together = together.loc[together["child_id"] != together["child_id_b"]].drop_duplicates(
        ["child_id", "child_id_b"]
    )
    pairs = pairs.merge(
        together[["child_id", "child_id_b"]].assign(_together=True),
        on=["child_id", "child_id_b"],
        how="left",
    )
    pairs = pairs.loc[pairs["_together"].isna()].drop_duplicates(["child_id", "child_id_b"])
    return pd.DataFrame(
        {
            "child_id": pairs["child_id"].to_numpy(),
            "other_child_id": pairs["child_id_b"].to_numpy(),
            "child_dob": pairs["child_dob"].to_numpy(),
            "child_sex": pairs["child_sex"].to_numpy(),
            "la_code": pairs["la_code"].to_numpy(),
            "matched_on": pairs["matched_on"].to_numpy(),
            "first_issue": pairs["first_issue"].to_numpy(),
            "other_first_issue": pairs["first_issue_b"].to_numpy(),
            "other_proceedings_id": pairs["first_proceedings_b"].to_numpy(),
        }
    ).reset_index(drop=True)


def _two_dobs(p: pd.DataFrame) -> pd.DataFrame:
    n_dob = p.groupby("child_id")["child_dob"].transform("nunique")
    rows = p.loc[n_dob > 1]
    dobs = rows.groupby("child_id")["child_dob"].agg(
        lambda d: ", ".join(sorted(d.dt.strftime("%Y-%m-%d").unique()))
    )
    return pd.DataFrame(
        {
            "check": "two_dates_of_birth",
            "child_id": rows["child_id"].to_numpy(),
            "other_child_id": None,
            "proceedings_id": rows["proceedings_id"].to_numpy(),
            "la_code": rows["la_code"].to_numpy(),
            "evidence": ("dates of birth " + rows["child_id"].map(dobs)).to_numpy(),
        }
    )


def _overlaps(p: pd.DataFrame) -> pd.DataFrame:
    ordered = p.sort_values(["child_id", "issue_date", "proceedings_id"])
    previous_disposal = ordered.groupby("child_id")["disposal_date"].shift()
    previous_open = ordered.groupby("child_id")["disposal_date"].shift().isna() & (
        ordered.groupby("child_id").cumcount() > 0
    )
    overlap = (ordered["issue_date"] < previous_disposal) | previous_open
    rows = ordered.loc[overlap]
    return pd.DataFrame(
        {
            "check": "overlapping_proceedings",
            "child_id": rows["child_id"].to_numpy(),
            "other_child_id": None,
            "proceedings_id": rows["proceedings_id"].to_numpy(),
            "la_code": rows["la_code"].to_numpy(),
            "evidence": np.where(
                previous_open.loc[overlap],
                "issued while the child's previous proceedings were still open",
                "issued "
                + rows["issue_date"].dt.strftime("%Y-%m-%d")
                + ", before the previous proceedings ended "
                + previous_disposal.loc[overlap].dt.strftime("%Y-%m-%d"),
            ),
        }
    )


def relink(dataset: Dataset, report: LinkageReport) -> Dataset:
    """Merge child IDs that :func:`linkage_diagnostics` judged to be one child.

    Off by default: call it explicitly, and report its effect (see
    :func:`relink_effect`). Chains (A-B, B-C) are merged into one child (connected
    components); every ID in a component becomes the one seen first. ``child_events``
    and ``care_episodes`` are relabelled the same way.

    Returns
    -------
    Dataset
        A new dataset; the input is unchanged.
    """
    require_dataset(dataset, "relink")
    links = report.candidate_links
    if links.empty:
        return dataset
    ids = pd.Index(pd.unique(pd.concat([links["child_id"], links["other_child_id"]])))
    a = ids.get_indexer(links["child_id"])
    b = ids.get_indexer(links["other_child_id"])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(ids), len(ids)))
    _, component = connected_components(graph, directed=False)
    first_seen = dataset.proceedings.groupby("child_id")["issue_date"].min()
    order = pd.DataFrame({"id": ids, "component": component, "first": first_seen.reindex(ids)})
    keep = order.sort_values(["component", "first", "id"]).groupby("component")["id"].first()
    mapping = dict(zip(order["id"], order["component"].map(keep), strict=True))

    def relabel(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None:
            return None
        out = frame.copy()
        out["child_id"] = (
            out["child_id"].map(lambda x: mapping.get(x, x)).astype(frame["child_id"].dtype)
        )
        return out

    proceedings = relabel(dataset.proceedings)
    assert proceedings is not None
    return Dataset(
        proceedings=proceedings,
        manifest=dataset.manifest,
        child_events=relabel(dataset.child_events),
        care_episodes=relabel(dataset.care_episodes),
        quarantine=dataset.quarantine,
        rows_read=dataset.rows_read,
        dropped_columns=dataset.dropped_columns,
    )


def relink_effect(dataset: Dataset, report: LinkageReport) -> pd.DataFrame:
    """Repeat counts before and after :func:`relink`.

    Counts children with more than one set of proceedings, and later sets of
    proceedings of the same child, both ways.
    """
    require_dataset(dataset, "relink_effect")

    def counts(p: pd.DataFrame) -> dict[str, int]:
        per_child = p.groupby("child_id")["proceedings_id"].nunique()
        return {
            "children": int(per_child.size),
            "children_with_repeat_proceedings": int((per_child > 1).sum()),
            "repeat_proceedings": int((per_child - 1).sum()),
        }

    before = counts(dataset.proceedings)
    after = counts(relink(dataset, report).proceedings)
    return pd.DataFrame({"before_relink": before, "after_relink": after}).assign(
        change=lambda d: d["after_relink"] - d["before_relink"]
    )
