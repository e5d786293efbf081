"""Importing an LA's own extract through a mapping file."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from outcomes.cli import main
from outcomes.errors import MappingError, SchemaError
from outcomes.io import (
    import_extract,
    mapping_template,
    read_dataset,
    write_mapping_template,
)
from outcomes.io._columns import normalise_name
from outcomes.io._vocab import map_labels
from outcomes.schema import FINAL_ORDERS, INTERIM_ORDER_LABELS, ORDER_ALIASES, PROCEEDINGS

DATA = Path(__file__).parents[1] / "data" / "la_extract"
RAW = DATA / "westshire_cases.csv"
MAPPING = DATA / "westshire_mapping.toml"


def _cli(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def _main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str]:
    """``outcomes`` in this process (the same ``main`` a user's process runs; the tests
    above start a real one): the exit code and what it printed to stderr."""
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def _mapping(**tables: object) -> dict[str, object]:
    base = tomllib.loads(MAPPING.read_text(encoding="utf-8"))
    base.update(tables)
    return base


def test_cli_import_then_validate_is_clean(tmp_path):
    out = tmp_path / "westshire"
    done = _cli("import", RAW, "--mapping", MAPPING, "--out", out, "--extract-date", "2024-03-31")
    assert done.returncode == 0, done.stderr
    assert "204" in done.stdout and "child_name" in done.stdout
    checked = _cli("validate", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ds = read_dataset(out)
    assert len(ds.proceedings) == 204
    assert set(ds.proceedings["la_code"]) == {"E10000099"}
    assert set(ds.proceedings["dfj_area"]) == {"Westshire"}
    assert ds.manifest.covariates == [
        "sibling_group_size",
        "parental_substance_misuse",
        "mother_prior_proceedings",
    ]
    assert ds.manifest.extract_date == pd.Timestamp("2024-03-31")
    assert "child_name" not in ds.proceedings.columns
    # Local labels went through [orders]; the raw file has none of the canonical names.
    raw = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    assert not raw["Order made"].isin(FINAL_ORDERS).any()
    assert (
        ds.proceedings["final_order"].value_counts()["placement_order"]
        == (raw["Order made"] == "Care & Placement").sum()
    )
    # UK dates: 11/01/2015 is 11 January.
    first = raw.iloc[0]
    row = ds.proceedings.set_index("child_id").loc[first["Child ID"]]
    row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
    d, m, y = map(int, first["DOB"].split("/"))
    assert row["child_dob"] == pd.Timestamp(y, m, d)


def test_unmapped_columns_are_left_out_and_covariates_typed():
    ds = import_extract(RAW, MAPPING)
    extra = [c for c in ds.proceedings.columns if c not in PROCEEDINGS.names]
    assert extra == ds.manifest.covariates
    assert ds.proceedings["sibling_group_size"].dtype == np.int64


def test_orders_table_comes_before_the_built_in_labels():
    spec = _mapping(orders={**_mapping()["orders"], "No Order": "withdrawn"})
    ds = import_extract(RAW, spec)
    raw = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    n_no = int((raw["Order made"] == "No Order").sum())
    assert n_no > 0
    assert (ds.proceedings["final_order"] == "no_order").sum() == 0
    assert (ds.proceedings["final_order"] == "withdrawn").sum() == n_no + int(
        (raw["Order made"] == "Withdrawn").sum()
    )


def test_unmapped_local_label_is_quarantined_not_guessed():
    spec = _mapping(orders={})
    ds = import_extract(RAW, spec)
    assert len(ds.proceedings) + len(ds.quarantine) == ds.rows_read["proceedings"] == 204
    assert set(ds.quarantine["reason"]) == {"unknown_order"}
    assert "S/O" in set(ds.quarantine["value"])


@pytest.mark.parametrize(
    ("tables", "key", "words"),
    [
        ({"colums": {}}, "colums", "unknown table"),
        ({"columns": {"Case No": "case_number"}}, "columns.Case No", "not a canonical column"),
        ({"columns": {"Case No": 3}}, "columns.Case No", "canonical column name"),
        ({"constants": {"la": "E1"}}, "constants.la", "not a canonical column"),
        ({"constants": {"issue_date": "2020-01-01"}}, "constants.issue_date", "date column"),
        ({"orders": {"S/O": "supervision"}}, "orders.S/O", "not a final order"),
        ({"orders": {"ICO": "care_order"}}, "orders.ICO", "interim order"),
        ({"dates": {"dayfirst": "yes"}}, "dates.dayfirst", "true or false"),
        ({"dates": {"formats": "%d/%m/%Y"}}, "dates.formats", "list"),
        ({"dates": {"order": "dmy"}}, "dates.order", "dayfirst and formats"),
        ({"covariates": {"names": "Sibling group size"}}, "covariates.names", "list"),
        ({"covariates": ["a"]}, "covariates", "must be a table"),
    ],
)
def test_bad_mapping_names_file_and_key(tmp_path, tables, key, words):
    content = _mapping(**tables)
    file = tmp_path / "bad.toml"
    file.write_text(tomli_w.dumps(content), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        import_extract(RAW, file)
    assert str(file) in str(err.value) and key in str(err.value) and words in str(err.value)


def test_bad_mapping_at_the_cli_exits_2_naming_file_and_key(tmp_path):
    file = tmp_path / "bad.toml"
    file.write_text(tomli_w.dumps(_mapping(orders={"ICO": "care_order"})), encoding="utf-8")
    done = _cli("import", RAW, "--mapping", file, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert f"{file}:orders.ICO" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("tables", "key", "words"),
    [
        ({"columns": {"Mum DOB": "mother_dob"}}, "columns.Mum DOB", "not a header"),
        ({"covariates": {"names": ["Ethnicity"]}}, "covariates.names", "not a header"),
        ({"covariates": {"names": ["Child name"]}}, "covariates.names", "identifier"),
    ],
)
def test_mapping_that_does_not_fit_the_file(tables, key, words):
    content = _mapping()
    for table, value in tables.items():
        content[table] = {**content.get(table, {}), **value}  # type: ignore[dict-item]
    with pytest.raises(MappingError, match=words) as err:
        import_extract(RAW, content)
    assert key in str(err.value)


def test_constant_for_a_column_the_file_has():
    content = tomllib.loads((DATA / "tracker_mapping.toml").read_text(encoding="utf-8"))
    content["columns"].pop("Local authority")
    content["constants"]["la_code"] = "E06000099"
    with pytest.raises(MappingError, match="already has 'la_code'") as err:
        import_extract(DATA / "tracker_titled.xlsx", content)
    assert "constants.la_code" in str(err.value)


def test_missing_required_column_says_how_to_map_it():
    content = _mapping(constants={"la_code": "E10000099"})
    with pytest.raises(SchemaError, match=r"dfj_area.*\[constants\]"):
        import_extract(RAW, content)


def test_month_first_and_explicit_formats(tmp_path):
    rows = pd.DataFrame(
        {
            "Ref": ["A", "B", "C"],
            "Kid": ["1", "2", "3"],
            "Born": ["12/25/2010", "01/02/2011", "20110304"],
            "Issued": ["03/04/2018", "20190105", "06/13/2019"],
        }
    )
    file = tmp_path / "us.csv"
    rows.to_csv(file, index=False)
    spec = {
        "columns": {
            "Ref": "proceedings_id",
            "Kid": "child_id",
            "Born": "child_dob",
            "Issued": "issue_date",
        },
        "constants": {"la_code": "X", "dfj_area": "Y"},
        "dates": {"dayfirst": False, "formats": ["%m/%d/%Y", "%Y%m%d"]},
    }
    ds = import_extract(file, spec)
    assert ds.quarantine.empty
    got = ds.proceedings.set_index("proceedings_id")
    assert got.loc["A", "child_dob"] == pd.Timestamp("2010-12-25")
    assert got.loc["B", "child_dob"] == pd.Timestamp("2011-01-02")
    assert got.loc["A", "issue_date"] == pd.Timestamp("2018-03-04")
    assert got.loc["B", "issue_date"] == pd.Timestamp("2019-01-05")
    # Without the mapping's [dates] the same file is read day-first and refused.
    plain = import_extract(file, {**spec, "dates": {}})
    assert len(plain.quarantine) + len(plain.proceedings) == 3
    assert {"unparseable_date", "ambiguous_date"} & set(plain.quarantine["reason"])


def test_excel_tracker_with_title_row_and_interim_order(tmp_path):
    ds = import_extract(DATA / "tracker_titled.xlsx", DATA / "tracker_mapping.toml")
    assert ds.rows_read["proceedings"] == 40
    q = ds.quarantine
    assert list(q["reason"]) == ["interim_order"]
    assert "interim order, not a final order" in q["message"].iloc[0]
    assert q["row"].iloc[0] == 7  # title, blank, header, then the fourth case
    assert ds.proceedings["mother_id"].isna().all()
    assert (ds.proceedings["sibling_group_size"] == 1).all()


def test_template_guesses_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "guess.toml"
    code, err = _main(capsys, "import", RAW, "--write-mapping-template", "--mapping", target)
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    parsed = tomllib.loads(text)
    assert parsed["columns"]["Case No"] == "proceedings_id"
    assert parsed["columns"]["Date concluded"] == "disposal_date"
    assert parsed["dates"]["dayfirst"] is True
    assert "Child name" not in parsed["columns"]
    for label in ("S/O", "Care & Placement", "SGO to family"):
        assert f'"{label}" = ""   # not recognised' in text
    assert "# la_code =" in text and "REQUIRED" in text
    code, err = _main(capsys, "import", RAW, "--write-mapping-template", "--mapping", target)
    assert code == 2 and "never overwrites" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == text
    # The template as written is a valid mapping; completed, it imports the file.
    parsed["constants"] = {"la_code": "E10000099", "dfj_area": "Westshire"}
    ds = import_extract(RAW, parsed)
    assert set(ds.quarantine["reason"]) == {"unknown_order"}


def test_template_marks_interim_labels(tmp_path):
    text = mapping_template(DATA / "tracker_titled.xlsx")
    assert '"Interim Care Order": an interim order' in text
    assert write_mapping_template(DATA / "tracker_titled.xlsx", tmp_path / "t.toml").is_file()


def test_overwrite_is_explicit_and_atomic(tmp_path, capsys):
    out = tmp_path / "ds"
    assert _main(capsys, "import", RAW, "--mapping", MAPPING, "--out", out)[0] == 0
    code, err = _main(capsys, "import", RAW, "--mapping", MAPPING, "--out", out)
    assert code == 2 and "--overwrite" in err and "Traceback" not in err
    assert _main(capsys, "import", RAW, "--mapping", MAPPING, "--out", out, "--overwrite")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no staging left behind
    assert sorted(p.name for p in out.iterdir()) == [
        ".care-outcomes-output",  # the marker that lets a later run replace it
        "manifest.toml",
        "proceedings.parquet",
    ]


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Case No", "proceedings_id"),
        ("Case number", "proceedings_id"),
        ("Date issued", "issue_date"),
        ("Date of issue", "issue_date"),
        ("Date of final hearing", "disposal_date"),
        ("Date concluded", "disposal_date"),
        ("Disposal date", "disposal_date"),
        ("DOB", "child_dob"),
        ("D.O.B.", "child_dob"),
        ("Date of birth", "child_dob"),
        ("Court", "dfj_area"),
        ("Local authority", "la_code"),
        ("Order made", "final_order"),
        ("Mother's DOB", "mother_dob"),
    ],
)
def test_header_synonyms(header, canonical):
    name = normalise_name(header)
    assert PROCEEDINGS.aliases.get(name, name) == canonical


def test_interim_orders_never_map_to_a_final_order():
    labels = pd.Series([*INTERIM_ORDER_LABELS, "Interim Care Order", "I.C.O."], dtype="string")
    mapped, unknown = map_labels(labels, ORDER_ALIASES)
    assert mapped.isna().all() and unknown.all()
    combined = pd.Series(["Care Order + Placement Order", "CO & PO", "SO with SGO"])
    mapped, _ = map_labels(combined, ORDER_ALIASES)
    assert list(mapped) == ["placement_order", "placement_order", "sgo_with_supervision"]


def test_extract_is_what_its_script_makes():
    spec = importlib.util.spec_from_file_location("make_extract", DATA / "make_extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame, truth = module.simulate(np.random.default_rng(module.SEED))
    assert len(frame) == 204
    saved = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
    assert truth == pytest.approx(saved)
    assert saved["risk_difference_2y"] > 0  # the known harm of short proceedings


def test_shipped_example_mapping_is_valid_and_applies():
    from outcomes.datasets import mapping_example_path
    from outcomes.io import read_mapping

    spec = read_mapping(mapping_example_path())
    assert spec.constants == {"la_code": "E10000016", "dfj_area": "Kent"}
    ds = import_extract(RAW, spec)
    # It maps three of Westshire's five local labels: the other two are quarantined.
    assert set(ds.quarantine["value"]) == {"Care & Placement", "CAO to parent"}
    assert ds.manifest.covariates == ["sibling_group_size"]


def test_mapping_chooses_between_two_synonyms_of_one_column(tmp_path):
    rows = pd.DataFrame(
        {
            "Case No": ["A", "B"],
            "Child ID": ["1", "2"],
            "DOB": ["01/02/2012", "03/04/2013"],
            "Date issued": ["01/02/2019", "01/03/2019"],
            "Date of final hearing": ["01/08/2019", "01/09/2019"],
            "Date concluded": ["15/08/2019", "20/09/2019"],
            "Order made": ["SGO", "Care Order"],
        }
    )
    file = tmp_path / "two_dates.csv"
    rows.to_csv(file, index=False)
    constants = {"la_code": "X", "dfj_area": "Y"}
    with pytest.raises(SchemaError, match="both mean 'disposal_date'"):
        import_extract(file, {"constants": constants})
    ds = import_extract(
        file,
        {
            "constants": constants,
            "columns": {"Date concluded": "disposal_date"},
            "covariates": {"names": ["Date of final hearing"]},
        },
    )
    assert list(ds.proceedings["disposal_date"]) == [
        pd.Timestamp("2019-08-15"),
        pd.Timestamp("2019-09-20"),
    ]
    assert ds.manifest.covariates == ["date_of_final_hearing"]


def test_template_offers_a_choice_between_clashing_synonyms(tmp_path):
    file = tmp_path / "two_dates.csv"
    file.write_text(
        "Case No,Child ID,DOB,Date issued,Date of final hearing,Date concluded\n"
        "A,1,01/02/2012,01/02/2019,01/08/2019,15/08/2019\n",
        encoding="utf-8",
    )
    text = mapping_template(file)
    parsed = tomllib.loads(text)
    assert parsed["columns"]["Date of final hearing"] == "disposal_date"
    assert '# "Date concluded" = "disposal_date"   # also a synonym' in text


def test_an_identifier_cannot_be_mapped_to_an_id_column(tmp_path):
    file = tmp_path / "nhs.csv"
    file.write_text(
        "NHS number,Case No,DOB,Date issued\n4857773456,A,01/02/2012,01/02/2019\n",
        encoding="utf-8",
    )
    spec = {
        "columns": {"NHS number": "child_id"},
        "constants": {"la_code": "X", "dfj_area": "Y"},
    }
    with pytest.raises(MappingError, match="direct identifier") as err:
        import_extract(file, spec)
    assert "columns.NHS number" in str(err.value) and "4857773456" not in str(err.value)
    key = tmp_path / "key"
    key.write_text("a-long-enough-secret-key-for-tests", encoding="utf-8")
    ds = import_extract(file, spec, keep_identifiers=("NHS number",), pseudonymise_key=key)
    assert "4857773456" not in set(ds.proceedings["child_id"])
