"""Write the hostile-reading files of the bad-input battery (called by make_files.py).

Each file holds one hostile feature in an otherwise valid extract: broken quoting, an
oversized or control-character value, odd line endings, out-of-range or offset dates,
placeholder identifiers, impossible family dates, Parquet columns that cannot hold an
extract's values, manifests with a wrong type or date, paths that are not files, and
SSDA903 episode chains that break. ``tests/io/test_hostile_readers.py`` holds what
reading each must give.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from make_files import HEADER, good, row, text

HERE = Path(__file__).parent
N_ROWS = 12
FAMILY = [*HEADER, "mother_dob"]


def lines(n: int = N_ROWS) -> list[str]:
    """A valid file's lines: header, then rows 2..n+1."""
    return text(good(n)).splitlines()


def save(name: str, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    (HERE / name).write_bytes(data)


def with_line(name: str, at: int, new: str) -> None:
    """A valid file whose spreadsheet row ``at`` is replaced by ``new``."""
    out = lines()
    out[at - 1] = new
    save(name, "\n".join(out) + "\n")


def fields(i: int, **changes: str) -> str:
    """Row ``i`` as a raw line (no quoting: the hostile text goes in as written)."""
    return ",".join(row(i, **changes))


def folder(name: str, manifest: str | bytes, rows: list[list[str]] | None = None) -> Path:
    path = HERE / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    data = manifest.encode("utf-8") if isinstance(manifest, str) else manifest
    (path / "manifest.toml").write_bytes(data)
    if rows is not None:
        (path / "proceedings.csv").write_text(text(rows), encoding="utf-8")
    return path


MANIFEST = 'schema_version = {v}\nextract_date = {d}\nsource = "hostile battery"\n'


def main() -> None:
    # --- one record broken: it alone is quarantined ---------------------------------
    with_line("stray_quote.csv", 7, fields(6, dfj_area='"Westshire'))
    # a quote opened mid-line after a literal one: an even count, but the line is broken
    with_line("quote_opened_mid_line.csv", 5, fields(4, la_code='E08"1', dfj_area='"West'))
    with_line("stray_quote_last_row.csv", N_ROWS + 1, fields(N_ROWS, final_order='"care'))
    with_line("oversized_field.csv", 4, fields(3, dfj_area="W" * 40_000))
    with_line("nul_byte.csv", 6, fields(5, dfj_area="West\x00shire"))
    with_line("ansi_escape.csv", 3, fields(2, la_code="\x1b[31mE08000001\x1b[0m"))
    with_line("vertical_tab.csv", 9, fields(8, dfj_area="West\x0bshire"))
    with_line("too_many_fields.csv", 8, fields(7) + ",surplus,more")

    # --- line endings: nothing lost --------------------------------------------------
    save("cr_only.csv", "\r".join(lines()) + "\r")
    mixed = lines()
    ends = ["\r\n", "\n", "\r"]
    save("mixed_line_endings.csv", "".join(x + ends[i % 3] for i, x in enumerate(mixed)))
    spaced = lines()
    spaced.insert(4, "")
    spaced.insert(8, ",,,,,,,,,")
    spaced[-2] = fields(N_ROWS - 1, issue_date="2018-13-45")
    save("blank_lines_between.csv", "\n".join(spaced) + "\n")

    # --- dates: bounded, as written ----------------------------------------------------
    def dated(name: str, *changes: dict[str, str], header: list[str] = HEADER) -> None:
        rows = [row(i, **c) for i, c in enumerate(changes, start=1)]
        rows += [row(i) for i in range(len(rows) + 1, N_ROWS + 1)]
        if header is FAMILY:
            rows = [r + [c.get("mother_dob", "1990-05-05")] for r, c in
                    zip(rows, [*changes] + [{}] * N_ROWS, strict=False)]  # fmt: skip
        save(name, text(rows, header))

    dated("year_2600.csv", {}, {"issue_date": "2600-01-01"})
    dated("year_9999.csv", {}, {}, {"child_dob": "9999-12-31"})
    dated("year_before_1900.csv", {"child_dob": "1899-12-31"})
    dated(
        "utc_offsets.csv",
        {"issue_date": "2015-06-01T00:00:00+01:00", "disposal_date": "2015-12-01T23:30:00-05:00"},
        {"issue_date": "2016-02-01T00:00:00Z"},
        {"issue_date": "2017-03-01 00:00:00"},
    )
    dated("compact_dates.csv", {"issue_date": "20180301"}, {"issue_date": "20181345"})
    dated("future_typo.csv", {}, {}, {}, {"disposal_date": "2061-11-15"})
    dated("excel_datetime_day_first.csv", {"issue_date": "01/03/2018 00:00"})

    # --- placeholder identifiers -----------------------------------------------------
    placeholders = ["NULL", "N/A", "NA", "0", "unknown", "-", "none", "", " ", "Null"]
    rows = [row(i, mother_id=p) for i, p in enumerate(placeholders, start=1)]
    rows += [row(i, mother_id="M1") for i in range(11, 14)]
    save("placeholder_mother_ids.csv", text(rows))
    dated("placeholder_child_id.csv", {}, {}, {"child_id": "NULL"})

    # --- family logic ----------------------------------------------------------------
    dated("mother_born_after_child.csv", {}, {"mother_dob": "2015-01-01"}, header=FAMILY)
    dated("mother_born_1900.csv", {}, {}, {"mother_dob": "1900-01-01"}, header=FAMILY)
    dated("young_mother.csv", {"mother_dob": "2004-01-01"}, header=FAMILY)

    # --- Parquet ---------------------------------------------------------------------
    base = {h: [row(i)[k] for i in range(1, 5)] for k, h in enumerate(HEADER)}

    def parquet(name: str, **columns: pa.Array) -> None:
        table = {h: pa.array(v, pa.string()) for h, v in base.items()}
        table.update(columns)
        pq.write_table(pa.table(table), HERE / name)

    plus_one = pa.array(
        [1433113200_000000, 1433113200_000000, 1433113200_000000, 1433113200_000000],
        pa.timestamp("us", tz="+01:00"),
    )  # 2015-06-01 00:00 at +01:00 (2015-05-31 23:00 UTC)
    parquet("tz_aware_dates.parquet", issue_date=plus_one)
    far = pa.array(
        [1433116800_000000, 32503680000_000000, 1433116800_000000, None], pa.timestamp("us")
    )  # fmt: skip  (2015-06-01, 3000-01-01)
    parquet("far_future.parquet", issue_date=far)
    parquet("list_column.parquet", dfj_area=pa.array([["a"], ["b"], [], None]))
    parquet("struct_column.parquet", la_code=pa.array([{"x": 1}, {"x": 2}, None, {"x": 3}]))
    parquet("binary_column.parquet", child_id=pa.array([b"\x00\x01", b"C2", b"C3", b"C4"]))

    # --- manifests and folders (exit 2, saying what is wrong) ------------------------
    rows = good(4)
    folder("manifest_version_true", MANIFEST.format(v="true", d="2024-03-31"), rows)
    folder("manifest_version_float", MANIFEST.format(v="1.0", d="2024-03-31"), rows)
    folder("manifest_version_string", MANIFEST.format(v='"1"', d="2024-03-31"), rows)
    folder("manifest_extract_empty", MANIFEST.format(v="1", d='""'), rows)
    folder("manifest_extract_2061", MANIFEST.format(v="1", d="2061-03-31"), rows)
    folder("manifest_extract_1985", MANIFEST.format(v="1", d="1985-03-31"), rows)
    folder("manifest_extract_compact", MANIFEST.format(v="1", d='"20250331"'), rows)
    # day-first like every date: 01/03/2019 is 1 March, so a disposal on 15 Feb is fine
    # and one on 2 March is after the extract
    late = [row(1, disposal_date="2019-02-15"), row(2, disposal_date="2019-03-02")]
    folder("manifest_extract_day_first", MANIFEST.format(v="1", d='"01/03/2019"'), late)
    bom = b"\xef\xbb\xbf" + MANIFEST.format(v="1", d="2024-03-31").encode()
    folder("manifest_with_bom", bom, rows)
    path = folder("table_is_folder", MANIFEST.format(v="1", d="2024-03-31"))
    (path / "proceedings.csv").mkdir()
    (path / "proceedings.csv" / "README").write_text("a folder where a table should be\n")
    path = folder("symlink_loop", MANIFEST.format(v="1", d="2024-03-31"))
    os.symlink("proceedings.csv", path / "proceedings.csv")

    # --- SSDA903 episode chains --------------------------------------------------------
    save(
        "ssda903_chain_header.csv",
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
        + "".join(f"{c},1,01/01/2010,WBRI,,,\n" for c in ("K1", "K2", "K3", "K4", "K5", "K6")),
    )
    save(
        "ssda903_chain_episodes.csv",
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n"
        # K1 valid: interim care order, then a care order
        "K1,01/02/2015,S,C1,N1,U6,PR1,01/08/2015,X1\n"
        "K1,01/08/2015,L,C2,N1,U4,PR1,,\n"
        # K2 a missing episode: X1 on 01/08/2015, the next starts 01/06/2016
        "K2,01/02/2015,S,C1,N1,U6,PR1,01/08/2015,X1\n"
        "K2,01/06/2016,L,C2,N1,U4,PR1,,\n"
        # K3 overlapping episodes
        "K3,01/02/2015,S,C1,N1,U6,PR1,01/08/2015,X1\n"
        "K3,01/05/2015,L,C2,N1,U4,PR1,,\n"
        # K4 an open episode mid-history, then a new period of care
        "K4,01/02/2015,S,C1,N1,U6,PR1,,\n"
        "K4,01/02/2019,S,C1,N1,U6,PR1,01/09/2019,E13\n"
        # K5 two proceedings three years apart, each a proper period: split, not merged
        "K5,01/02/2015,S,C1,N1,U6,PR1,01/08/2015,E13\n"
        "K5,01/09/2018,S,C1,N1,U6,PR1,01/03/2019,X1\n"
        "K5,01/03/2019,L,C2,N1,U4,PR1,,\n"
        # K6 back in care after leaving, but RNE is not S
        "K6,01/02/2015,S,V2,N1,U6,PR1,01/08/2015,E13\n"
        "K6,01/02/2016,L,C1,N1,U6,PR1,,\n",
    )


if __name__ == "__main__":
    main()
