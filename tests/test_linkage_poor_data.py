"""Acceptance: on the synthetic ``poor_data`` world, read back from files as an
analyst would, the linkage diagnostics find the injected broken child IDs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import synthetic
from outcomes.io import read_dataset
from outcomes.linkage import LinkageReport, linkage_diagnostics


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, LinkageReport, dict]:
    world = synthetic.generate("poor_data", n_applications=20_000, seed=3)
    folder: Path = world.write(tmp_path_factory.mktemp("poor") / "ds", format="csv")
    dataset = read_dataset(folder)
    report = linkage_diagnostics(dataset)
    # The component each ID ends up in when the flagged pairs are merged.
    links = report.candidate_links
    ids = pd.Index(pd.unique(pd.concat([links["child_id"], links["other_child_id"]])))
    graph = coo_matrix(
        (
            np.ones(len(links)),
            (ids.get_indexer(links["child_id"]), ids.get_indexer(links["other_child_id"])),
        ),
        shape=(len(ids), len(ids)),
    )
    _, component = connected_components(graph, directed=False)
    return world.faults, report, dict(zip(ids, component, strict=True))


def test_broken_ids_found(found: tuple[pd.DataFrame, LinkageReport, dict]) -> None:
    faults, report, relinked = found
    broken = faults.loc[faults["fault"] == "broken_child_id"]
    assert len(broken) > 100
    # The true child behind every ID: a broken ID belongs to its clean child.
    truth = dict(zip(broken["new_value"], broken["child_id"], strict=True))

    def child(x: str) -> str:
        return truth.get(x, x)

    joined = [
        relinked.get(new) == relinked.get(old, old)
        for old, new in zip(broken["old_value"], broken["new_value"], strict=True)
    ]
    recall = sum(joined) / len(broken)
    links = report.candidate_links
    right = [
        child(a) == child(b)
        for a, b in zip(links["child_id"], links["other_child_id"], strict=True)
    ]
    precision = sum(right) / len(links)
    assert recall >= 0.95, recall
    assert precision >= 0.90, precision
