"""Readers and writers for canonical datasets, with row-level validation.

>>> from outcomes.io import read_dataset
>>> ds = read_dataset("my-extract/")          # doctest: +SKIP
>>> ds.quarantine[["file", "row", "column", "reason"]]   # doctest: +SKIP
"""

from outcomes.io._validate import REASONS
from outcomes.io.dataset import (
    read_dataset,
    read_manifest,
    read_proceedings,
    write_dataset,
)
from outcomes.io.importer import (
    ImportMapping,
    import_extract,
    mapping_template,
    read_mapping,
    write_mapping_template,
)
from outcomes.io.privacy import load_key, pseudonymise, refuse_identifiers
from outcomes.io.ssda903 import read_ssda903
from outcomes.io.summary import validation_summary
from outcomes.schema import Dataset, Manifest

__all__ = [
    "REASONS",
    "Dataset",
    "ImportMapping",
    "Manifest",
    "import_extract",
    "load_key",
    "mapping_template",
    "pseudonymise",
    "read_dataset",
    "read_manifest",
    "read_mapping",
    "read_proceedings",
    "read_ssda903",
    "refuse_identifiers",
    "validation_summary",
    "write_dataset",
    "write_mapping_template",
]
