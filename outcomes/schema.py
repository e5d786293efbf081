"""The canonical data model: tables, columns, vocabularies and the dataset folder.

A dataset is a folder holding ``manifest.toml`` and up to three tables, each stored as
``<table>.parquet`` or ``<table>.csv``:

``proceedings`` (required)
    one row per child per set of s31 care proceedings;
``child_events`` (optional)
    dated events in a child's life that end or interrupt follow-up;
``care_episodes`` (optional)
    periods looked after, as recorded in the SSDA903 return.

Everything here is data, not behaviour: readers, writers, the synthetic world and the
documentation's data dictionary all read these definitions, so a column is described
once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError

SCHEMA_VERSION = 1
"""Version of the canonical data model written to every ``manifest.toml``."""

Kind = Literal["id", "str", "date", "vocab", "sex"]

FINAL_ORDERS: tuple[str, ...] = (
    "care_order",
    "supervision_order",
    "special_guardianship_order",
    "sgo_with_supervision",
    "placement_order",
    "child_arrangements_order",
    "cao_with_supervision",
    "no_order",
    "withdrawn",
    "other",
)
"""Vocabulary of ``proceedings.final_order``."""

EVENT_TYPES: tuple[str, ...] = (
    "adopted",
    "died",
    "moved_abroad",
    "entered_care",
    "left_care",
    "placement_breakdown",
)
"""Vocabulary of ``child_events.event_type``."""

SEXES: tuple[str, ...] = ("F", "M", "U")
"""Vocabulary of ``proceedings.child_sex`` (U: unknown or not recorded)."""

MAX_AGE_AT_ISSUE_YEARS = 18
"""Care proceedings cannot concern an adult: an older child at issue is an error."""

MIN_MOTHER_AGE = 12
MAX_MOTHER_AGE = 60
"""Bounds (completed years) of a birth mother's age at her child's birth. Births to
mothers under 13 or over 55 are a handful a year in England (ONS birth registrations).
Over 60 the date of birth is a typo or a placeholder such as 1900-01-01: the row is
quarantined. Under 12 is flagged by the quality report (``young_mother``)."""

ORDER_ALIASES: dict[str, str] = {
    # canonical names map to themselves; labels are matched after normalisation
    # (lower case, punctuation and repeated spaces removed, "&"/"plus"/"with" -> "+").
    **{name: name for name in FINAL_ORDERS},
    "care order": "care_order",
    "co": "care_order",
    "full care order": "care_order",
    "final care order": "care_order",
    "supervision order": "supervision_order",
    "so": "supervision_order",
    "sgo": "special_guardianship_order",
    "special guardianship order": "special_guardianship_order",
    "special guardianship": "special_guardianship_order",
    "sgo + so": "sgo_with_supervision",
    "so + sgo": "sgo_with_supervision",
    "sgo + supervision order": "sgo_with_supervision",
    "supervision order + sgo": "sgo_with_supervision",
    "special guardianship order + supervision order": "sgo_with_supervision",
    "supervision order + special guardianship order": "sgo_with_supervision",
    "po": "placement_order",
    "placement order": "placement_order",
    # A placement order needs the care threshold, so courts make it with a care order;
    # the placement order (a plan for adoption) is what the pair is counted as.
    "care order + placement order": "placement_order",
    "co + po": "placement_order",
    "placement order + care order": "placement_order",
    "po + co": "placement_order",
    "cao": "child_arrangements_order",
    "child arrangements order": "child_arrangements_order",
    "residence order": "child_arrangements_order",
    "ro": "child_arrangements_order",
    "cao + so": "cao_with_supervision",
    "child arrangements order + supervision order": "cao_with_supervision",
    "residence order + supervision order": "cao_with_supervision",
    "ro + so": "cao_with_supervision",
    "so + cao": "cao_with_supervision",
    "supervision order + child arrangements order": "cao_with_supervision",
    "no order": "no_order",
    "no order made": "no_order",
    "application refused": "no_order",
    "application dismissed": "no_order",
    "withdrawn": "withdrawn",
    "application withdrawn": "withdrawn",
    "permission to withdraw": "withdrawn",
    "leave to withdraw": "withdrawn",
    "other": "other",
    "other order": "other",
}
"""Labels seen in trackers and court data, mapped to the ``final_order`` vocabulary.

Residence orders were replaced by child arrangements orders in April 2014, so they map
to ``child_arrangements_order``. A care order made together with a placement order is
counted as the placement order. Interim orders are not final orders and are never
mapped (see :data:`INTERIM_ORDER_LABELS`). A label that is not here is quarantined as
``unknown_order``; it is never guessed. Local labels are added with the ``[orders]``
table of an import mapping (:func:`outcomes.io.import_extract`).
"""

INTERIM_ORDER_LABELS: tuple[str, ...] = (
    "interim care order",
    "ico",
    "interim co",
    "interim care",
    "interim supervision order",
    "iso",
    "interim so",
    "interim supervision",
    "interim order",
    "interim child arrangements order",
    "interim cao",
)
"""Labels of interim orders, matched as for :data:`ORDER_ALIASES`.

An interim order is made while proceedings run; it says nothing about how they ended.
Trackers that carry "the last order made" hold such labels in the final-order column,
and mapping them to the final order they usually precede would invent outcomes, so a
row with one is quarantined as ``interim_order`` and no mapping may translate them.
"""

EVENT_ALIASES: dict[str, str] = {
    **{name: name for name in EVENT_TYPES},
    "adoption": "adopted",
    "death": "died",
    "deceased": "died",
    "emigrated": "moved_abroad",
    "moved abroad": "moved_abroad",
    "started to be looked after": "entered_care",
    "ceased to be looked after": "left_care",
    "placement disruption": "placement_breakdown",
}
"""Labels mapped to the ``event_type`` vocabulary, matched as for orders."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Attributes
    ----------
    name : str
        Canonical (normalised) column name.
    kind : {"id", "str", "date", "vocab", "sex"}
        How the column is read and validated.
    required : bool
        Whether the column must be present in the file.
    nullable : bool
        Whether an empty value is allowed in a present column.
    description : str
        Meaning, for the data dictionary.
    vocabulary : tuple of str
        Allowed values for ``kind == "vocab"``.
    """

    name: str
    kind: Kind
    required: bool
    nullable: bool
    description: str
    vocabulary: tuple[str, ...] = ()

    @property
    def dtype(self) -> Any:  # a dtype name or STRING_DTYPE; pandas accepts both
        """The pandas dtype of the column once read."""
        return "datetime64[ns]" if self.kind == "date" else STRING_DTYPE


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns and the key that identifies a row."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_table: bool = False
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Canonical column names, in order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns that must be present."""
        return [c.name for c in self.columns if c.required]

    @property
    def date_columns(self) -> list[str]:
        """Columns holding dates."""
        return [c.name for c in self.columns if c.kind == "date"]

    def empty(self) -> pd.DataFrame:
        """An empty frame with this table's columns and dtypes."""
        return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in self.columns})

    def coerce(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with the canonical columns first, in canonical dtypes.

        Absent canonical columns are added, all missing; other columns follow
        unchanged. For frames built by hand (tests, notebooks); files go through the
        validating readers of :mod:`outcomes.io` instead, which also check values.
        """
        out = {}
        for col in self.columns:
            if col.name not in frame.columns:
                out[col.name] = pd.Series(np.nan, index=frame.index, dtype=col.dtype)
            elif col.kind == "date":
                out[col.name] = pd.to_datetime(frame[col.name]).astype(col.dtype)
            else:
                out[col.name] = frame[col.name].astype(col.dtype)
        extra = [c for c in frame.columns if c not in out]
        return pd.DataFrame(out, index=frame.index).join(frame[extra])


PROCEEDINGS = Table(
    name="proceedings",
    description="One row per child per set of s31 proceedings.",
    required_table=True,
    key=("proceedings_id", "child_id"),
    columns=(
        Column("proceedings_id", "id", True, False, "One application; siblings share it."),
        Column("child_id", "id", True, False, "Pseudonymised child, stable across proceedings."),
        Column("mother_id", "id", False, True, "Pseudonymised birth mother."),
        Column("la_code", "str", True, False, "Local authority that applied."),
        Column("dfj_area", "str", True, False, "Designated Family Judge area."),
        Column("child_dob", "date", True, False, "Child's date of birth."),
        Column("child_sex", "sex", False, True, "F, M or U (unknown).", SEXES),
        Column("mother_dob", "date", False, True, "Birth mother's date of birth."),
        Column("issue_date", "date", True, False, "Date the application was issued."),
        Column(
            "disposal_date",
            "date",
            False,
            True,
            "Date the final order was made or the case ended; empty while open.",
        ),
        Column(
            "final_order",
            "vocab",
            False,
            True,
            "Final order; empty while the proceedings are open.",
            FINAL_ORDERS,
        ),
    ),
    aliases={
        # Keys are headers after normalisation (lower case, words joined by "_"), as
        # case-management systems, court trackers and spreadsheets export them.
        **dict.fromkeys(
            (
                "case_id",
                "case_no",
                "case_number",
                "case_ref",
                "case_reference",
                "court_case_number",
                "court_case_no",
                "court_reference",
                "court_ref",
                "family_case_number",
                "application_id",
                "application_number",
                "proceedings_number",
                "proceedings_ref",
            ),
            "proceedings_id",
        ),
        **dict.fromkeys(
            ("child", "child_ref", "child_reference", "child_no", "child_number", "person_id"),
            "child_id",
        ),
        **dict.fromkeys(
            ("mother", "mother_ref", "mother_reference", "mum_id", "birth_mother_id"),
            "mother_id",
        ),
        **dict.fromkeys(
            (
                "la",
                "local_authority",
                "local_authority_code",
                "applicant_la",
                "applicant_local_authority",
            ),
            "la_code",
        ),
        # A court name stands for its DFJ area: each area is served by one family court
        # centre.
        **dict.fromkeys(
            (
                "dfj",
                "dfj_area_name",
                "designated_family_judge_area",
                "court",
                "court_area",
                "family_court",
            ),
            "dfj_area",
        ),
        **dict.fromkeys(
            ("dob", "d_o_b", "date_of_birth", "birth_date", "child_date_of_birth"), "child_dob"
        ),
        **dict.fromkeys(
            ("mother_date_of_birth", "mother_s_dob", "mothers_dob", "mum_dob"), "mother_dob"
        ),
        **dict.fromkeys(("sex", "gender", "child_gender"), "child_sex"),
        **dict.fromkeys(
            (
                "issued",
                "issue",
                "date_issued",
                "date_of_issue",
                "issued_date",
                "application_date",
                "date_of_application",
                "date_application_issued",
                "date_proceedings_issued",
            ),
            "issue_date",
        ),
        **dict.fromkeys(
            (
                "disposed",
                "disposal",
                "date_of_disposal",
                "date_concluded",
                "concluded",
                "concluded_date",
                "conclusion_date",
                "date_of_conclusion",
                "date_proceedings_concluded",
                "date_of_final_hearing",
                "final_hearing_date",
                "final_order_date",
                "date_of_final_order",
                "date_final_order_made",
            ),
            "disposal_date",
        ),
        **dict.fromkeys(
            (
                "final_order_made",
                "order",
                "order_made",
                "order_type",
                "final_order_type",
                "type_of_order",
                "type_of_final_order",
                "order_granted",
            ),
            "final_order",
        ),
    },
)

CHILD_EVENTS = Table(
    name="child_events",
    description="Dated events that end or interrupt a child's follow-up.",
    key=("child_id", "event_date", "event_type"),
    columns=(
        Column("child_id", "id", True, False, "Pseudonymised child."),
        Column("event_date", "date", True, False, "Date of the event."),
        Column("event_type", "vocab", True, False, "What happened.", EVENT_TYPES),
    ),
)

CARE_EPISODES = Table(
    name="care_episodes",
    description="Periods looked after, from the SSDA903 return.",
    key=("child_id", "start_date"),
    columns=(
        Column("child_id", "id", True, False, "Pseudonymised child."),
        Column("start_date", "date", True, False, "Episode start (903 DECOM)."),
        Column("end_date", "date", False, True, "Episode end (903 DEC); empty if open."),
        Column("legal_status", "str", False, True, "903 legal status code (LS), e.g. C1, C2, E1."),
        Column("reason_ceased", "str", False, True, "903 reason episode ceased (REC)."),
        Column("placement", "str", False, True, "903 placement type code (PLACE)."),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (PROCEEDINGS, CHILD_EVENTS, CARE_EPISODES)}
"""The canonical tables by name."""


@dataclass(frozen=True)
class ManifestField:
    """One entry of ``manifest.toml``, for validation and the data dictionary."""

    name: str
    type: str
    required: bool
    description: str


MANIFEST_FIELDS: tuple[ManifestField, ...] = (
    ManifestField(
        "schema_version", "int", True, f"Version of this data model ({SCHEMA_VERSION})."
    ),
    ManifestField(
        "extract_date",
        "date",
        True,
        "Date the data were taken; every open follow-up is censored there.",
    ),
    ManifestField("source", "str", True, "Where the data came from (free text)."),
    ManifestField(
        "covariates",
        "list of str",
        False,
        "Extra case-mix columns of `proceedings` that analyses should adjust for.",
    ),
    ManifestField("scenario", "str", False, "Synthetic data only: the scenario generated."),
    ManifestField("seed", "int", False, "Synthetic data only: the seed used."),
)
"""Fields of ``manifest.toml``."""


STRING_DTYPE = pd.StringDtype("pyarrow", na_value=float("nan"))
"""dtype of text columns once read: Arrow-backed, NaN for missing (pandas 3's ``str``)."""

QUARANTINE_COLUMNS: tuple[str, ...] = (
    "table",
    "file",
    "row",
    "column",
    "reason",
    "message",
    "value",
    "other_reasons",
    "record",
)
"""Layout of a quarantine table: one row per rejected input row.

``row`` is the row as a spreadsheet shows it (the header is row 1); ``reason`` is the
first problem found and ``other_reasons`` any further ones (``;``-separated);
``record`` is the input row's values as JSON. Nothing that may identify someone is
kept (see :func:`outcomes.io.privacy.redact_quarantine`): a row that does not split into
the header's fields keeps no text, and identifier-like columns are left out.
"""


def empty_quarantine() -> pd.DataFrame:
    """An empty quarantine table."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})
    return frame.astype({"row": "int64"})


@dataclass
class Manifest:
    """The contents of ``manifest.toml``; see :data:`MANIFEST_FIELDS`.

    Unknown keys are kept in ``extra`` and written back, so a user's annotations
    survive a round trip.
    """

    extract_date: pd.Timestamp
    source: str
    schema_version: int = SCHEMA_VERSION
    covariates: list[str] = field(default_factory=list)
    scenario: str | None = None
    seed: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Dataset:
    """A canonical dataset: the tables of one folder and what happened on reading it.

    Attributes
    ----------
    proceedings : DataFrame
        Canonical columns of :data:`PROCEEDINGS`, then any covariate columns.
    manifest : Manifest
        Extract date, source and covariates.
    child_events, care_episodes : DataFrame or None
        Optional tables.
    quarantine : DataFrame
        Rows rejected on reading, one per row, in the :data:`QUARANTINE_COLUMNS`
        layout, redacted on construction
        (:func:`outcomes.io.privacy.redact_quarantine`).
    rows_read : dict of str to int
        Data rows read per table; for every table,
        ``len(table) + quarantined rows of that table == rows_read[table]``.
    dropped_columns : dict of str to list of str
        Columns dropped on reading because they look like direct identifiers.
    placeholder_ids : dict of str to dict of str to int
        Per table, per identifier column: how many placeholder values (``NULL``,
        ``N/A``, ``0``, ...) were read as missing.
    """

    proceedings: pd.DataFrame
    manifest: Manifest
    child_events: pd.DataFrame | None = None
    care_episodes: pd.DataFrame | None = None
    quarantine: pd.DataFrame = field(default_factory=empty_quarantine)
    rows_read: dict[str, int] = field(default_factory=dict)
    dropped_columns: dict[str, list[str]] = field(default_factory=dict)
    placeholder_ids: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Whoever builds a dataset, its quarantine never holds identifying text.
        from outcomes.io.privacy import redact_quarantine

        kept = {c for frame in self.tables().values() for c in frame.columns}
        self.quarantine = redact_quarantine(self.quarantine, kept)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by name."""
        found = {
            "proceedings": self.proceedings,
            "child_events": self.child_events,
            "care_episodes": self.care_episodes,
        }
        return {k: v for k, v in found.items() if v is not None}

    def death_dates(self) -> pd.Series:
        """Each child's recorded death: the earliest ``died`` event date, indexed by
        ``child_id`` (empty without child events). Proceedings a death ends never get a
        disposal, so the quality report and the KPI tables must not count them open."""
        events = self.child_events
        if events is None:
            return pd.Series(dtype="datetime64[ns]")
        died = events.loc[events["event_type"] == "died"]
        dates = pd.to_datetime(died["event_date"], errors="coerce")
        return dates.groupby(died["child_id"].to_numpy()).min()


def require_dataset(value: object, caller: str) -> Dataset:
    """``value`` itself if it is a :class:`Dataset`, else an error saying how to get one.

    The functions that take a whole dataset call this first, so that passing (say) the
    proceedings table alone is reported as the user's mistake, not as a failure deep
    inside.
    """
    if not isinstance(value, Dataset):
        raise OutcomesError(
            f"{caller} takes a Dataset (from outcomes.io.read_dataset or read_proceedings), "
            f"not a {type(value).__name__}"
        )
    return value
