"""Regenerate the small bundled example dataset (``outcomes/datasets/example``).

The example is fictional: 150 applications in four local authorities, drawn from a
simple seeded model, with five deliberately faulty rows so that the demo shows the
quarantine at work. It is for trying the toolkit, not for estimating anything; the
synthetic world (``synthetic.generate``) is the realistic generator.

Run: ``python scripts/make_example_dataset.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "outcomes" / "datasets" / "example"
SEED = 20241126
ORDERS = [
    "care_order",
    "supervision_order",
    "special_guardianship_order",
    "placement_order",
    "child_arrangements_order",
    "sgo_with_supervision",
    "no_order",
]
ORDER_P = [0.34, 0.14, 0.16, 0.16, 0.08, 0.08, 0.04]


def main() -> None:
    rng = np.random.default_rng(SEED)
    las = {
        "E09000901": "Northgate",
        "E09000902": "Northgate",
        "E06000903": "Eastmoor",
        "E06000904": "Eastmoor",
    }
    rows = []
    for app in range(150):
        la = rng.choice(list(las))
        issue = pd.Timestamp("2016-01-01") + pd.Timedelta(days=int(rng.integers(0, 6 * 365)))
        weeks = float(np.clip(rng.gamma(6.0, 6.0), 4, 120))
        disposal = issue + pd.Timedelta(days=round(weeks * 7))
        mother = f"M{app:04d}"
        mother_dob = issue - pd.Timedelta(days=int(rng.integers(17 * 365, 40 * 365)))
        order = rng.choice(ORDERS, p=ORDER_P)
        for k in range(1 + rng.poisson(0.7)):
            age_days = (
                int(rng.integers(0, 15 * 365))
                if rng.random() > 0.25
                else int(rng.integers(0, 300))
            )
            open_case = disposal > pd.Timestamp("2022-06-30")
            rows.append(
                {
                    "proceedings_id": f"P{app:04d}",
                    "child_id": f"C{app:04d}{k}",
                    "mother_id": mother,
                    "la_code": la,
                    "dfj_area": las[la],
                    "child_dob": (issue - pd.Timedelta(days=age_days)).date(),
                    "child_sex": rng.choice(["F", "M"]),
                    "mother_dob": mother_dob.date(),
                    "issue_date": issue.date(),
                    "disposal_date": None if open_case else disposal.date(),
                    "final_order": None if open_case else order,
                    "n_prior_proceedings_mother": int(rng.poisson(0.4)),
                }
            )
    frame = pd.DataFrame(rows)
    # Five faults the validator must catch, one of each kind.
    frame.loc[3, "final_order"] = "Interim Wibble Order"  # unknown_order
    frame.loc[10, "disposal_date"] = pd.Timestamp("2015-01-01").date()  # disposal_before_issue
    frame.loc[20, "issue_date"] = "31/02/2018"  # unparseable_date
    frame.loc[30, "final_order"] = None  # disposal_without_order
    frame = pd.concat([frame, frame.iloc[[40]]], ignore_index=True)  # duplicate_key
    OUT.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT / "proceedings.csv", index=False, lineterminator="\n")
    (OUT / "manifest.toml").write_text(
        "schema_version = 1\nextract_date = 2022-06-30\n"
        'source = "Fictional example bundled with care-outcomes '
        '(scripts/make_example_dataset.py)"\n'
        'covariates = ["n_prior_proceedings_mother"]\n',
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
