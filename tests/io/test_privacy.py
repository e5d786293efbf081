"""Pseudonymisation: keyed, stable, linkable, and the key never leaks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from outcomes.datasets import example_path
from outcomes.errors import PrivacyError
from outcomes.io import load_key, pseudonymise, read_dataset, write_dataset
from outcomes.io._columns import is_identifier

KEY = b"a-test-key-of-32-bytes-length!!!"


def test_same_key_same_pseudonym_other_key_differs() -> None:
    df = pd.DataFrame({"child_id": ["C1", "C2", None, "C1"], "mother_id": ["C1", "M", "M", None]})
    a = pseudonymise(df, ["child_id", "mother_id"], KEY)
    b = pseudonymise(df, ["child_id", "mother_id"], KEY)
    c = pseudonymise(df, ["child_id"], KEY + b"x")
    pd.testing.assert_frame_equal(a, b)
    assert a["child_id"][0] == a["child_id"][3] != c["child_id"][0]
    assert pd.isna(a["child_id"][2]) and pd.isna(a["mother_id"][3])
    # Equal raw values in different ID families do not collide.
    assert a["child_id"][0] != a["mother_id"][0]
    assert len(a["child_id"][0]) == 20
    assert df["child_id"][0] == "C1"  # input untouched


def test_key_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARE_OUTCOMES_KEY", raising=False)
    monkeypatch.delenv("CARE_OUTCOMES_KEY_FILE", raising=False)
    with pytest.raises(PrivacyError, match="no pseudonymisation key"):
        load_key()
    with pytest.raises(PrivacyError, match="at least 32 bytes"):
        load_key(b"short")
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY + b"\n")
    monkeypatch.setenv("CARE_OUTCOMES_KEY_FILE", str(key_file))
    assert load_key() == KEY
    monkeypatch.setenv("CARE_OUTCOMES_KEY", "from-the-environment-variable-32b")
    assert load_key() == b"from-the-environment-variable-32b"
    assert load_key(key_file) == KEY
    assert load_key(key_file=str(key_file)) == KEY


def test_import_pseudonymises_every_table_consistently(tmp_path: Path) -> None:
    ds = read_dataset(example_path(), pseudonymise_key=KEY)
    raw = read_dataset(example_path())
    assert not set(ds.proceedings["child_id"]) & set(raw.proceedings["child_id"])
    # Siblings still share an application, mothers still link children.
    assert (
        ds.proceedings["proceedings_id"].nunique() == raw.proceedings["proceedings_id"].nunique()
    )
    assert ds.proceedings["mother_id"].nunique() == raw.proceedings["mother_id"].nunique()
    write_dataset(ds, tmp_path)
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert KEY not in written


@pytest.mark.parametrize(
    ("name", "identifying"),
    [
        ("Child Name", True),
        ("forename", True),
        ("Surname", True),
        ("UPN", True),
        ("former_upn", True),
        ("NHS Number", True),
        ("nhs_no", True),
        ("Address Line 1", True),
        ("postcode", True),
        ("Post Code", True),
        ("HOME_POST", True),
        ("email", True),
        ("child_id", False),
        ("la_code", False),
        ("final_order", False),
        ("n_prior_proceedings_mother", False),
        ("placement", False),
        ("issue_date", False),
    ],
)
def test_identifier_detection(name: str, identifying: bool) -> None:
    assert is_identifier(name) is identifying
