"""Write the bad-input battery in this folder (run once; the files are committed).

Each file isolates one problem; ``tests/io/test_bad_inputs.py`` holds what reading
each must give. Run: ``python tests/data/bad/make_files.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
HEADER = [
    "proceedings_id",
    "child_id",
    "mother_id",
    "la_code",
    "dfj_area",
    "child_dob",
    "child_sex",
    "issue_date",
    "disposal_date",
    "final_order",
]


def row(i: int, **changes: str) -> list[str]:
    base = {
        "proceedings_id": f"P{i}",
        "child_id": f"C{i}",
        "mother_id": f"M{i}",
        "la_code": "E08000001",
        "dfj_area": "Westshire",
        "child_dob": "2014-06-01",
        "child_sex": "F",
        "issue_date": "2018-03-01",
        "disposal_date": "2018-11-15",
        "final_order": "care_order",
    }
    base.update(changes)
    return [base[h] for h in HEADER]


def text(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def good(n: int = 3) -> list[list[str]]:
    return [row(i) for i in range(1, n + 1)]


def write(name: str, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    (HERE / name).write_bytes(data)


def main() -> None:
    # --- structural: the whole file is refused ---------------------------------------
    write("empty.csv", b"")
    write("blank_space_only.csv", "\n  \n\n")
    write("header_only.csv", text([]))
    write(
        "missing_required_column.csv",
        text([r[:7] + r[8:] for r in good()], HEADER[:7] + HEADER[8:]),
    )
    write("duplicate_columns.csv", text([r + [r[1]] for r in good()], HEADER + ["child_id"]))
    write(
        "duplicate_after_normalising.csv",
        text([r + [r[1]] for r in good()], HEADER + ["Child ID"]),
    )
    latin = text(good() + [row(4, dfj_area="Ynys Môn")]).encode("cp1252")
    write("windows_1252.csv", latin)
    write("utf16_without_bom.csv", text(good()).encode("utf-16-le"))
    write("not_a_workbook.xlsx", "proceedings_id,child_id\nP1,C1\n")

    # --- rows quarantined (one problem each, in row 3) -------------------------------
    def one(name: str, **changes: str) -> None:
        rows = good()
        rows[1] = row(2, **changes)
        write(name, text(rows))

    one("unparseable_date.csv", issue_date="2018-13-45")
    one("two_digit_year.csv", child_dob="01/06/14")
    one("disposal_before_issue.csv", disposal_date="2017-01-01")
    one("issue_before_birth.csv", issue_date="2013-01-01", disposal_date="2013-06-01")
    one("date_after_extract.csv", disposal_date="2025-01-10")
    one("unknown_order.csv", final_order="Wardship")
    one("order_without_disposal.csv", disposal_date="")
    one("disposal_without_order.csv", final_order="")
    one("child_too_old.csv", child_dob="1999-01-01")
    one("missing_value.csv", child_id="")
    one("invalid_sex.csv", child_sex="Q")
    rows = good()
    rows.append(row(2))  # the key of row 3 again, as row 5
    write("duplicate_key.csv", text(rows))
    malformed = text(good()).splitlines()
    malformed[2] += ",surplus"
    write("malformed_row.csv", "\n".join(malformed) + "\n")
    # Mixed formats: ISO, UK day-first, named month, and a month-first (US) date that
    # makes the column's both-<=12 values ambiguous.
    write(
        "mixed_date_formats.csv",
        text(
            [
                row(1, issue_date="2018-03-01"),
                row(2, issue_date="15/03/2018"),
                row(3, issue_date="1 Apr 2018"),
                row(4, issue_date="04/13/2018"),
                row(5, issue_date="03/04/2018"),
                row(6, issue_date="20.03.2018"),
            ]
        ),
    )

    # --- readable, with traps the reader must handle ---------------------------------
    write("utf16_with_bom.tsv", text(good(), delimiter="\t").encode("utf-16"))
    write("semicolon_utf8_bom.csv", b"\xef\xbb\xbf" + text(good(), delimiter=";").encode())
    labels = [
        "SGO",
        "Special Guardianship Order",
        "S.G.O.",
        "SGO + SO",
        "Care Order",
        "CO",
        "Placement Order",
        "Supervision Order",
        "Residence Order",
        "Child Arrangements Order",
        "CAO + SO",
        "Withdrawn",
        "No Order",
    ]
    write("order_aliases.csv", text([row(i, final_order=lab) for i, lab in enumerate(labels)]))
    write(
        "untidy_headers.csv",
        text(
            good(),
            [
                "Proceedings-ID",
                " Child ID",
                "MOTHER_ID",
                "LA",
                "DFJ Area",
                "DOB",
                "Sex",
                "Issue Date",
                "Disposal date",
                "Order",
            ],
        ),
    )

    # Excel tracker: a title row, then merged group headings over the real headers,
    # and one bad row (spreadsheet row 6).
    wb = Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(["Westshire PLO tracker - care proceedings"])
    ws.merge_cells("A1:J1")
    ws.append(
        ["Proceedings", None, "Mother", "Court", None, "Child", None, "Proceedings", None, None]
    )
    ws.merge_cells("A2:B2")
    ws.merge_cells("D2:E2")
    ws.merge_cells("F2:G2")
    ws.merge_cells("H2:J2")
    ws.append(
        [
            "ID",
            "Child ID",
            "ID",
            "LA code",
            "DFJ area",
            "DOB",
            "Sex",
            "Issue date",
            "Disposal date",
            "Final order",
        ]
    )
    for i, r in enumerate(good(3), start=1):
        values: list[object] = list(r)
        values[8] = "2018-11-15" if i != 3 else "2017-01-01"
        ws.append(values)
    wb.save(HERE / "merged_header_tracker.xlsx")

    from make_hostile import main as hostile

    hostile()


if __name__ == "__main__":
    main()
