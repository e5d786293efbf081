"""Hostile extracts, output side: nothing identifying kept or echoed, no injection into
spreadsheets or terminals, nothing destroyed or half-written, and every output mistake a
user error (exit 2) naming the path.

The files are ``tests/data/bad/out_*.csv`` (written by ``make_output_files.py``); each
plants values of its ``SECRETS`` that must appear in no output file and no printed text.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.cli import EXIT_CODES, exit_code, main
from outcomes.datasets import example_path
from outcomes.errors import OutcomesError, OutputError, PrivacyError, SchemaError
from outcomes.io import load_key, pseudonymise, read_dataset, read_proceedings, write_dataset
from outcomes.io._columns import is_identifier
from outcomes.io.output import (
    FOLDER_MARKER,
    STAGING_PREFIX,
    OutputFolder,
    atomic_path,
    neutralise_cell,
    printable,
    write_csv,
    write_text,
)
from outcomes.io.privacy import WITHHELD, redact_quarantine

BAD = Path(__file__).parents[1] / "data" / "bad"
_spec = importlib.util.spec_from_file_location("make_output_files", BAD / "make_output_files.py")
assert _spec is not None and _spec.loader is not None
battery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(battery)
SECRETS: dict[str, str] = battery.SECRETS
OUT_FILES = sorted(p.name for p in BAD.glob("out_*.csv"))
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
UNPRINTABLE = ("\x1b", "\x9b", "\x07", "\x08", "\u202e", "\r")


def leaks(text: str | bytes) -> list[str]:
    """The planted identifying values found in ``text``."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return [k for k, v in SECRETS.items() if v.encode("utf-8") in data]


def every_output(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the hash of its content."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_battery_is_committed_as_the_script_writes_it(tmp_path: Path) -> None:
    assert len(OUT_FILES) >= 15
    here = {name: (BAD / name).read_bytes() for name in OUT_FILES}
    battery.HERE = tmp_path
    try:
        battery.main()
    finally:
        battery.HERE = BAD
    assert {p.name: p.read_bytes() for p in tmp_path.glob("out_*.csv")} == here


# --- 1. identifier headers -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(battery.IDENTIFIER_FILES))
def test_identifier_columns_of_every_spelling_are_dropped_and_reported(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = battery.IDENTIFIER_FILES[name]
    ds = read_proceedings(BAD / name)
    assert len(ds.dropped_columns["proceedings"]) == len(planted)
    for header in planted:
        assert header not in ds.proceedings.columns
    assert not leaks(ds.proceedings.to_csv())
    assert main(["validate", str(BAD / name)]) == 1
    out = capsys.readouterr().out
    assert "as direct identifiers: " + ", ".join(ds.dropped_columns["proceedings"]) in out


def test_covariates_that_merely_look_like_identifiers_are_kept() -> None:
    ds = read_proceedings(BAD / "out_covariates_kept.csv")
    assert ds.dropped_columns == {}
    for column in ("number_of_siblings", "previous_proceedings_count", "name_of_court"):
        assert column in ds.proceedings.columns
    assert ds.proceedings["number_of_siblings"].dtype == np.int64


@pytest.mark.parametrize(
    "header",
    [
        "Name of child",
        "Child's name",
        "National Insurance Number",
        "NI number",
        "NINO",
        "UPN number",
        "Pupil UPN",
        "Unique Pupil Number",
        "E-mail",
        "Email address",
        "Tel",
        "Telephone number",
        "Mobile no",
        "Initials",
        "Social worker",
        "Allocated social worker",
        "Street",
        "Address 1",
        "Address Line 1",
        "Postcode",
        "Post Code",
        "HOME_POST",
        "PL_POST",
        "NHS number",
        "NHS No.",
        "N.H.S. number",
        "NHSNumber",
        "nhs_no",
        "Forename",
        "Surname",
        "Full name",
        "First name",
        "ChildName",
        "Mother's maiden name",
        "Foster carer",
        "Solicitor",
        "Known as",
        "\x1b[2JSurname",
    ],
)
def test_identifier_headers_are_recognised(header: str) -> None:
    assert is_identifier(header)


@pytest.mark.parametrize(
    "header",
    [
        "child_id",
        "mother_id",
        "proceedings_id",
        "la_code",
        "dfj_area",
        "child_dob",
        "mother_dob",
        "final_order",
        "number of siblings",
        "previous proceedings count",
        "n_prior_proceedings_mother",
        # a court, an LA, a team are not people: their names are not identifiers
        "name of court",
        "Court name",
        "LA name",
        "team_name",
        "post_disposal_placement",
        "number of social workers",
        "social_worker_changes",
        "address_changes",
        "postcode_known",
        "date_of_last_contact",
        "household_size",
        "placement",
        "URN",
        "MOTHER",
        "mobility",
        "telecare",
    ],
)
def test_covariate_headers_are_not_identifiers(header: str) -> None:
    assert not is_identifier(header)


# --- 2. the quarantine and issues keep nothing identifying -----------------------------


def test_malformed_rows_keep_no_text() -> None:
    ds = read_proceedings(BAD / "out_malformed_with_identifiers.csv")
    q = ds.quarantine
    bad = q.loc[q["reason"] == "malformed_row"]
    assert list(bad["row"]) == [4, 5]
    assert bad["value"].isna().all()
    assert (bad["record"] == "{}").all()
    assert not leaks(q.to_csv())


def test_redaction_withholds_identifier_columns_and_is_idempotent() -> None:
    q = pd.DataFrame(
        {
            "table": "proceedings",
            "file": "f.csv",
            "row": [2, 3, 4],
            "column": ["surname", None, "final_order"],
            "reason": ["missing_value", "malformed_row", "unknown_order"],
            "message": ["f.csv:2:surname: 'Quarterfield'", "f.csv:3: bad", "f.csv:4: 'X'"],
            "value": ["Quarterfield", "P1,C1,Zebedee Quarterfield", "X"],
            "other_reasons": "",
            "record": [
                json.dumps({"child_id": "C1", "surname": "Quarterfield"}),
                json.dumps({"line": "P1,C1,Zebedee Quarterfield"}),
                json.dumps({"child_id": "C3", "Full name": "Zebedee Quarterfield"}),
            ],
        }
    )
    once = redact_quarantine(q)
    assert not leaks(once.to_csv())
    assert list(once["value"].isna()) == [True, True, False]
    assert "withheld" in once["message"][0] and WITHHELD == "[withheld]"
    assert json.loads(once["record"][0]) == {"child_id": "C1"}
    assert json.loads(once["record"][2]) == {"child_id": "C3"}
    pd.testing.assert_frame_equal(redact_quarantine(once), once)
    # a column the user chose to keep is in the dataset anyway: not withheld
    kept = redact_quarantine(q, kept=["surname"])
    assert kept["value"][0] == "Quarterfield"


@pytest.mark.parametrize("name", OUT_FILES)
def test_no_identifying_value_reaches_any_output_or_the_terminal(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(BAD / name)
    q, issues, page = tmp_path / "q.csv", tmp_path / "issues.csv", tmp_path / "q.html"
    codes = [
        main(["validate", path, "--quarantine-out", str(q)]),
        main(["quality", path, "--issues-out", str(issues), "--out", str(page)]),
    ]
    printed = capsys.readouterr()
    assert codes[0] in (0, 1, 2) and codes[1] in (0, 2), codes
    assert not leaks(printed.out + printed.err)
    assert not leaks(every_output(tmp_path))
    for char in UNPRINTABLE:
        assert char not in printed.out + printed.err, (name, repr(char))


def test_identifying_values_do_not_reach_a_dataset_read_by_the_library() -> None:
    for name in OUT_FILES:
        if name == "out_ansi_missing_column.csv":
            continue  # refused as a whole (no issue_date)
        ds = read_proceedings(BAD / name)
        assert not leaks(ds.proceedings.to_csv() + ds.quarantine.to_csv()), name


# --- 3. the pseudonymisation key --------------------------------------------------------

KEY = b"k" * 16 + b"0123456789abcdef"


def test_a_str_key_is_refused_never_taken_as_the_key(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_bytes(KEY)
    with pytest.raises(PrivacyError, match="ambiguous"):
        load_key(str(key_file))  # type: ignore[arg-type]
    with pytest.raises(PrivacyError, match="ambiguous"):
        read_dataset(example_path(), pseudonymise_key=str(key_file))  # type: ignore[arg-type]
    assert load_key(key_file) == KEY
    assert load_key(key_file=str(key_file)) == KEY


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (b"x" * 31 + b"y", None),
        (b"0123456789abcdef0123456789abcde", "31 bytes: it must be at least 32"),
        (b" " * 40, "blank"),
        (b"\t\n " * 20, "blank"),
        (b"a" * 40, "repeats one character"),
    ],
)
def test_short_blank_and_trivial_keys_are_refused(key: bytes, message: str | None) -> None:
    if message is None:
        assert load_key(key) == key
    else:
        with pytest.raises(PrivacyError, match=message):
            load_key(key)


def test_key_files_and_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PrivacyError, match=r"key file .*missing\.key not found"):
        load_key(tmp_path / "missing.key")
    with pytest.raises(PrivacyError, match="is a folder"):
        load_key(key_file=tmp_path)
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(PrivacyError, match="MY_KEY"):
        load_key(key_env="MY_KEY")
    monkeypatch.setenv("MY_KEY", KEY.decode())
    assert load_key(key_env="MY_KEY") == KEY
    with pytest.raises(PrivacyError, match="one way"):
        load_key(KEY, key_env="MY_KEY")
    frame = pd.DataFrame({"child_id": ["C1"]})
    by_env = pseudonymise(frame, ["child_id"], key_env="MY_KEY")
    assert by_env.equals(pseudonymise(frame, ["child_id"], KEY))


def test_the_key_and_its_file_name_never_reach_the_message(tmp_path: Path) -> None:
    secret = b"short-secret"
    with pytest.raises(PrivacyError) as caught:
        load_key(secret)
    assert "short-secret" not in str(caught.value)


# --- 4. CSV injection -------------------------------------------------------------------


def cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def is_plain_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_neutralised(path: Path) -> None:
    for record in cells(path):
        for cell in record:
            stripped = cell.lstrip(" \u00a0")
            assert not stripped.startswith(TRIGGERS) or is_plain_number(cell), (path, cell)


def test_quarantine_and_issues_files_are_neutralised(tmp_path: Path) -> None:
    for name in ("out_injection_cells.csv", "out_everything.csv", "out_injection_header.csv"):
        q, issues = tmp_path / f"q-{name}", tmp_path / f"i-{name}"
        assert main(["validate", str(BAD / name), "--quarantine-out", str(q)]) == 1
        assert main(["quality", str(BAD / name), "--issues-out", str(issues)]) == 0
        assert_neutralised(q)
        assert_neutralised(issues)
    text = (tmp_path / "i-out_injection_cells.csv").read_text(encoding="utf-8")
    assert "'+cmd|' /C calc'!A0" in text and "'-Westshire" in text


def test_numbers_stay_numbers_and_formulas_become_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "estimate": [-0.031, 0.2, -1e-5],
            "n": [-3, 0, 4],
            "text_number": ["-3", "+1.5e3", "-.5"],
            "label": ["-2+3+cmd|' /C calc'!A0", "\r=1+1", "=SUM(A1)"],
            "=header": ["a", "b", "c"],
        }
    )
    path = write_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(path)
    assert back["estimate"].tolist() == frame["estimate"].tolist()
    assert back["n"].tolist() == [-3, 0, 4]
    as_text = pd.read_csv(path, dtype=str)
    assert as_text["text_number"].tolist() == ["-3", "+1.5e3", "-.5"]  # numbers, unchanged
    assert back["label"].tolist() == ["'-2+3+cmd|' /C calc'!A0", "'\r=1+1", "'=SUM(A1)"]
    assert list(back.columns)[-1] == "'=header"
    assert_neutralised(path)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "+1"),
        ("+A1", "'+A1"),
        ("-1", "-1"),
        ("-1-1", "'-1-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =x", "'  =x"),
        ("\uff1dx", "'\uff1dx"),
        ("E08000001", "E08000001"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_cell(cell: str, written: str) -> None:
    assert neutralise_cell(cell) == written


def test_every_csv_output_goes_through_the_one_writer() -> None:
    root = Path(__file__).parents[2] / "outcomes"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if ".to_csv(" in p.read_text(encoding="utf-8") and p.name != "output.py"
    ]
    assert offenders == []


# --- 5. printable text only -------------------------------------------------------------


def test_printable_shows_control_characters_as_escapes() -> None:
    shown = printable("E08\x1b[31m1\x9b2J\u202eab\x07\x00\r\tend\nnext")
    assert shown == "E08\\x1b[31m1\\x9b2J\\u202eab\\x07\\x00\\x0d\tend\nnext"
    assert printable(12) == "12"


def test_ansi_in_data_and_headers_never_reaches_the_terminal_in_a_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def in_a_process(command: str, path: Path) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "outcomes", command, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def in_this_process(command: str, path: Path) -> tuple[int, str]:
        # the same ``main`` a process runs, its output captured (a warning here is an
        # error, so nothing can slip out through Python's own warning printer)
        code = main([command, str(path)])
        out = capsys.readouterr()
        return code, out.out + out.err

    # a real process for the file whose error quotes the header; the others in this one
    for name, run in (
        ("out_ansi_escapes.csv", in_this_process),
        ("out_ansi_header.csv", in_this_process),
        ("out_ansi_missing_column.csv", in_a_process),
    ):
        for command in ("validate", "quality"):
            code, both = run(command, BAD / name)
            assert code in (0, 1, 2)
            assert "Traceback" not in both
            for char in UNPRINTABLE:
                assert char not in both, (name, command, repr(char))
    assert "\\x1b[8m" in both  # the missing-column error shows the header, escaped


# --- 6. nothing destroyed, nothing half-written ----------------------------------------


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    """A user's dataset folder, not written by care-outcomes."""
    folder = tmp_path / "extract"
    shutil.copytree(example_path(), folder)
    (folder / "notes.txt").write_text("the analyst's notes\n")
    return folder


SIMULATE = ["simulate", "--n-applications", "200", "--seed", "3", "--format", "csv"]


def test_simulate_never_replaces_a_users_extract(
    extract: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(extract)
    assert main([*SIMULATE, "--out", str(extract)]) == 2
    err = capsys.readouterr().err
    assert str(extract) in err and "not written by care-outcomes" in err
    assert "--overwrite" in err
    assert tree(extract) == before
    assert not list(extract.glob(STAGING_PREFIX + "*"))


def test_overwrite_replaces_only_what_simulate_writes(extract: Path) -> None:
    assert main([*SIMULATE, "--out", str(extract), "--overwrite"]) == 0
    assert (extract / "notes.txt").read_text() == "the analyst's notes\n"
    assert (extract / "truth.json").is_file() and (extract / FOLDER_MARKER).is_file()
    assert read_dataset(extract).manifest.seed == 3


def test_a_folder_we_wrote_is_replaced_whole_and_stale_entries_go(tmp_path: Path) -> None:
    out = tmp_path / "world"
    assert main([*SIMULATE, "--out", str(out)]) == 0
    assert (out / "faults.csv").is_file()
    assert main([*SIMULATE[:-2], "--format", "parquet", "--no-faults", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "faults.csv" not in names and "proceedings.csv" not in names
    assert "proceedings.parquet" in names
    assert not [n for n in names if n.startswith(STAGING_PREFIX)]


def test_demo_and_study_refuse_a_foreign_folder_before_working(
    extract: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(extract)
    assert main(["demo", "--out", str(extract), "--n-boot", "2"]) == 2
    assert main(["study", str(example_path()), "--out", str(extract), "--n-boot", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("not written by care-outcomes") == 2
    assert tree(extract) == before


@pytest.mark.parametrize("command", ["simulate", "study", "demo"])
def test_out_that_is_a_file_is_a_user_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me\n")
    args = {
        "simulate": SIMULATE,
        "study": ["study", str(example_path()), "--n-boot", "2"],
        "demo": ["demo", "--n-boot", "2"],
    }[command]
    assert main([*args, "--out", str(target)]) == 2
    assert f"{target}: is a file, not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me\n"


def test_a_failed_simulate_leaves_the_old_folder_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import synthetic

    out = tmp_path / "world"
    assert main([*SIMULATE, "--out", str(out)]) == 0
    before = tree(out)

    def fail_late(*args: object, **kwargs: object) -> None:
        raise RuntimeError("failed after the tables were written")

    monkeypatch.setattr(synthetic, "write_ssda903", fail_late)
    other_seed = [*SIMULATE[:-4], "--seed", "9", "--format", "csv", "--ssda903"]
    assert main([*other_seed, "--out", str(out)]) == 3
    assert tree(out) == before
    assert not list(out.glob(STAGING_PREFIX + "*"))
    # a new folder that failed is not left behind at all
    assert main([*other_seed, "--out", str(tmp_path / "new")]) == 3
    assert not (tmp_path / "new").exists()
    capsys.readouterr()


def test_an_interrupted_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    q = tmp_path / "q.csv"
    q.write_text("old,content\n")
    real_fsync = os.fsync

    def interrupted(fd: int) -> None:
        real_fsync(fd)
        raise KeyboardInterrupt

    monkeypatch.setattr("outcomes.io.output.os.fsync", interrupted)
    code = main(["validate", str(BAD / "out_everything.csv"), "--quarantine-out", str(q)])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert q.read_text() == "old,content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.csv"]


def test_atomic_path_removes_its_temporary_file_on_failure(tmp_path: Path) -> None:
    target = write_text(tmp_path / "t.txt", "complete\n")
    with pytest.raises(ValueError, match="half"), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise ValueError("half")
    assert target.read_text() == "complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_output_folder_written_in_python(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    with OutputFolder(folder, claims=("a.txt",)) as stage:
        (stage / "a.txt").write_text("1")
    assert (folder / "a.txt").read_text() == "1"
    with pytest.raises(ZeroDivisionError), OutputFolder(folder) as stage:
        (stage / "a.txt").write_text("2")
        1 / 0  # noqa: B018
    assert (folder / "a.txt").read_text() == "1"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x").write_text("x")
    with pytest.raises(OutputError, match="overwrite=True"):
        write_dataset(read_dataset(example_path()), foreign)
    assert [p.name for p in foreign.iterdir()] == ["x"]


# --- 7. output mistakes are user errors (exit 2) naming the path -----------------------


def test_quarantine_out_that_is_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", str(BAD / "out_everything.csv"), "--quarantine-out", str(tmp_path)])
    assert code == 2
    assert f"{tmp_path}: is a folder" in capsys.readouterr().err


def test_outputs_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "issues.csv"
    assert main(["quality", str(BAD / "out_everything.csv"), "--issues-out", str(missing)]) == 2
    assert f"{missing}: the folder {missing.parent} does not exist" in capsys.readouterr().err


def test_an_output_never_replaces_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "extract.csv"
    shutil.copy(BAD / "out_everything.csv", source)
    before = source.read_bytes()
    assert main(["validate", str(source), "--quarantine-out", str(source)]) == 2
    assert main(["quality", str(source), "--issues-out", str(source)]) == 2
    folder = tmp_path / "ds"
    shutil.copytree(example_path(), folder)
    table = str(folder / "proceedings.csv")
    assert main(["validate", str(folder), "--quarantine-out", table]) == 2
    assert capsys.readouterr().err.count("would replace the input") == 3
    assert source.read_bytes() == before


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
        (errno.EACCES, "Permission denied"),
    ],
)
def test_a_full_disk_or_read_only_place_is_a_user_error(
    error: int,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(error, os.strerror(error))

    q = tmp_path / "q.csv"
    monkeypatch.setattr("outcomes.io.output.os.fsync", refuse)
    assert main(["validate", str(BAD / "out_everything.csv"), "--quarantine-out", str(q)]) == 2
    assert f"{q}: cannot write: {words}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    # a folder: the tables fail mid-way (the disk fills while writing Parquet)
    monkeypatch.undo()
    monkeypatch.setattr(pd.DataFrame, "to_parquet", refuse)
    out = tmp_path / "world"
    assert main([*SIMULATE[:-2], "--format", "parquet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out / 'proceedings.parquet'}: cannot write: {words}" in err
    assert STAGING_PREFIX not in err
    assert not out.exists()


def test_a_folder_that_cannot_be_created_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("outcomes.io.output.tempfile.mkdtemp", read_only)
    out = tmp_path / "world"
    assert main([*SIMULATE, "--out", str(out)]) == 2
    assert f"{out}: cannot write the output folder: Read-only file system" in (
        capsys.readouterr().err
    )
    assert not out.exists()


# --- the exit-code rule -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (SchemaError("x"), 2),
        (OutputError("x"), 2),
        (PrivacyError("x"), 2),
        (OutcomesError("x"), 2),
        (KeyboardInterrupt(), 130),
        (BrokenPipeError(), 141),
        (OSError(errno.ENOSPC, "full"), 3),  # unwrapped: not on a path we were given
        (RuntimeError("x"), 3),
        (ValueError("x"), 3),
    ],
)
def test_exit_code_rule(exc: BaseException, code: int) -> None:
    assert exit_code(exc) == code
    assert code in EXIT_CODES


def test_exit_codes_are_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "quality.md").read_text(encoding="utf-8")
    for code in EXIT_CODES:
        assert f"| {code} |" in docs


def test_error_messages_quoting_data_are_printable(capsys: pytest.CaptureFixture[str]) -> None:
    def hostile(*args: object, **kwargs: object) -> None:
        raise SchemaError("bad value 'E08\x1b[2J'", file="f.csv", row=3, column="la_code")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("outcomes.io.read_proceedings", hostile)
        assert main(["validate", str(BAD / "out_everything.csv")]) == 2
    err = capsys.readouterr().err
    assert err == "error: f.csv:3:la_code: bad value 'E08\\x1b[2J'\n"


def test_quarantine_csv_reads_back_as_a_table(tmp_path: Path) -> None:
    q = tmp_path / "q.csv"
    source = str(BAD / "out_injection_cells.csv")
    assert main(["validate", source, "--quarantine-out", str(q)]) == 1
    back = pd.read_csv(q, dtype=str, keep_default_na=False)
    assert list(back.columns)[:3] == ["table", "file", "row"]
    assert set(back["reason"]) == {"unknown_order"}
    assert io.StringIO(q.read_text()).read().count("\n") == len(back) + 1


def test_simulate_over_an_extract_in_a_process(extract: Path) -> None:
    before = tree(extract)
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", *SIMULATE, "--out", str(extract)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and str(extract) in done.stderr
    assert "Traceback" not in done.stderr
    assert tree(extract) == before


def test_html_out_that_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quality", str(BAD / "out_everything.csv"), "--out", str(tmp_path)]) == 2
    assert f"{tmp_path}: is a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
