"""Make the hand-made one-LA extracts in this folder (run from the repository root).

    python tests/data/la_extract/make_extract.py

A small simulator of its own, written with numpy only and deliberately sharing no code
with the ``synthetic`` package or the estimators, so the files test the import path and
the analyses as an outside extract would. Seeded: the same run gives the same bytes.

``westshire_cases.csv`` -- one local authority's case-management export, in its own
layout: headers such as "Case No" and "Date concluded", UK dd/mm/yyyy dates, local
order labels, a child-name column (a direct identifier, dropped on import) and no
la_code/dfj_area columns. ``westshire_mapping.toml`` is its mapping.

The world: each application concerns 1-3 siblings. A latent complexity raises the
chance of a long case and the hazard of return to court; proceedings that end within
26 weeks multiply the hazard of a later application for the same child by
``HR_SHORT`` (the known effect). Returns are issued at ``disposal + T``, with
``T ~ Exp(rate)``, ``rate = BASE_RATE * exp(B_COMPLEXITY * z + log(HR_SHORT) * short)``,
before the extract date and before the child turns 17. Both potential return times
use the same exponential draw (common random numbers), so ``truth.json`` holds the
marginal 2-year risk of return had every index case ended within 26 weeks, or not.

``tracker_titled.xlsx`` -- a second, odder extract: an Excel tracker with a title row,
one child per application (sibling group size 1 throughout), no mother column, the
local authority as a column and an interim care order typed as the final order of one
closed case (quarantined on import). ``tracker_mapping.toml`` is its mapping.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20240331
EXTRACT_DATE = pd.Timestamp("2024-03-31")
N_APPLICATIONS = 110
HR_SHORT = 1.8
BASE_RATE = 0.05  # returns per child-year at average complexity, long cases
B_COMPLEXITY = 0.6
LOCAL_LABELS = {
    "care_order": "Care Order",
    "care_order_home": "Care Order - Placed at Home",
    "placement_order": "Care & Placement",
    "special_guardianship_order": "SGO to family",
    "supervision_order": "S/O",
    "child_arrangements_order": "CAO to parent",
    "no_order": "No Order",
    "withdrawn": "Withdrawn",
}
ORDER_P = np.array([0.28, 0.07, 0.17, 0.2, 0.12, 0.1, 0.03, 0.03])


def _uk(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%d/%m/%Y").where(dates.notna(), "")


def simulate(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    """The index applications, their children, and returns; with the truth."""
    rows = []
    n_kids = rng.choice([1, 2, 3], size=N_APPLICATIONS, p=[0.6, 0.28, 0.12])
    issue = pd.Timestamp("2015-01-05") + pd.to_timedelta(
        rng.integers(0, 365 * 8, N_APPLICATIONS), unit="D"
    )
    complexity = rng.normal(size=N_APPLICATIONS)
    weeks = np.exp(3.25 + 0.25 * complexity + rng.normal(0, 0.35, N_APPLICATIONS))
    weeks = np.clip(np.round(weeks), 8, 120)
    short = weeks <= 26
    disposal = issue + pd.to_timedelta(weeks * 7, unit="D")
    open_case = disposal > EXTRACT_DATE
    labels = list(LOCAL_LABELS.values())
    order_index = rng.choice(len(labels), size=N_APPLICATIONS, p=ORDER_P / ORDER_P.sum())
    substance = (rng.random(N_APPLICATIONS) < 1 / (1 + np.exp(-(complexity - 0.3)))).astype(int)
    prior_mother = rng.poisson(np.exp(-0.8 + 0.4 * complexity))
    risk_short, risk_long, n_index = [], [], 0
    for a in range(N_APPLICATIONS):
        mother = f"MO{a:04d}"
        for k in range(n_kids[a]):
            child = f"CH{a:04d}{k}"
            age_days = int(rng.integers(0, 16 * 365))
            dob = issue[a] - pd.Timedelta(days=age_days)
            row = {
                "Case No": f"WS/{issue[a].year}/{a:04d}",
                "Child ID": child,
                "Child name": f"Child {a}-{k}",
                "Mother ID": mother,
                "DOB": dob,
                "Sex": rng.choice(["Male", "Female"]),
                "Date issued": issue[a],
                "Date concluded": pd.NaT if open_case[a] else disposal[a],
                "Order made": "" if open_case[a] else labels[order_index[a]],
                "Sibling group size": n_kids[a],
                "Parental substance misuse": substance[a],
                "Mother prior proceedings": prior_mother[a],
            }
            rows.append(row)
            if open_case[a]:
                continue
            # Common random numbers: one exponential draw serves both arms.
            e = rng.exponential()
            rate = BASE_RATE * np.exp(B_COMPLEXITY * complexity[a])
            t_short, t_long = e / (rate * HR_SHORT), e / rate
            seventeen = dob + pd.DateOffset(years=17)
            years_to_17 = (seventeen - disposal[a]).days / 365.25
            n_index += 1
            risk_short.append(t_short <= 2 and t_short < years_to_17)
            risk_long.append(t_long <= 2 and t_long < years_to_17)
            t = t_short if short[a] else t_long
            back = disposal[a] + pd.Timedelta(days=max(1, int(t * 365.25)))
            if back <= EXTRACT_DATE and back < seventeen:
                weeks_2 = int(np.clip(rng.normal(40, 8), 12, 90))
                end_2 = back + pd.Timedelta(weeks=weeks_2)
                closed = end_2 <= EXTRACT_DATE
                rows.append(
                    {
                        **row,
                        "Case No": f"WS/{back.year}/R{a:04d}{k}",
                        "Date issued": back,
                        "Date concluded": end_2 if closed else pd.NaT,
                        "Order made": rng.choice(labels[:5]) if closed else "",
                        "Sibling group size": 1,
                    }
                )
    frame = pd.DataFrame(rows).sort_values(["Date issued", "Case No"], kind="stable")
    truth = {
        "hr_short": HR_SHORT,
        "index_disposals": n_index,
        "risk_2y_short": float(np.mean(risk_short)),
        "risk_2y_long": float(np.mean(risk_long)),
    }
    truth["risk_difference_2y"] = truth["risk_2y_short"] - truth["risk_2y_long"]
    return frame, truth


def write_csv(frame: pd.DataFrame) -> None:
    out = frame.copy()
    for col in ("DOB", "Date issued", "Date concluded"):
        out[col] = _uk(out[col])
    out.to_csv(HERE / "westshire_cases.csv", index=False, lineterminator="\n")


def write_tracker(rng: np.random.Generator) -> None:
    """The odd extract: an Excel tracker with a title row and one child per case."""
    n = 40
    issue = pd.Timestamp("2019-02-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    weeks = np.clip(np.round(rng.lognormal(3.3, 0.3, n)), 10, 90)
    disposal = issue + pd.to_timedelta(weeks * 7, unit="D")
    dob = issue - pd.to_timedelta(rng.integers(0, 14 * 365, n), unit="D")
    orders = rng.choice(["Care Order", "SGO", "Placement Order", "Supervision Order"], n)
    orders = orders.astype(object)
    orders[3] = "Interim Care Order"  # typed where the final order belongs
    body = pd.DataFrame(
        {
            "Court ref": [f"ZE{19 + i // 20}C{i:03d}" for i in range(n)],
            "Child ref": [f"T{i:03d}" for i in range(n)],
            "Local authority": "E06000099",
            "Date of birth": dob.strftime("%d/%m/%Y"),
            "Date of issue": issue.strftime("%d/%m/%Y"),
            "Date of final hearing": disposal.strftime("%d/%m/%Y"),
            "Final order type": orders,
            "Sibling group size": 1,
        }
    )
    with pd.ExcelWriter(HERE / "tracker_titled.xlsx", engine="openpyxl") as writer:
        title = pd.DataFrame([["Care proceedings tracker - exported 30/06/2023"]])
        title.to_excel(writer, index=False, header=False, startrow=0)
        body.to_excel(writer, index=False, startrow=2)


def main() -> None:
    rng = np.random.default_rng(SEED)
    frame, truth = simulate(rng)
    write_csv(frame)
    (HERE / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    write_tracker(rng)
    print(f"{len(frame)} rows; truth {truth}")


if __name__ == "__main__":
    main()
