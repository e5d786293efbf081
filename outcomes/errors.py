"""Exceptions and warnings raised by care-outcomes.

Every error a user can cause derives from :class:`OutcomesError`, so the command line
can print it as a message (never a traceback) and a program can catch the family. Each
also derives from :class:`ValueError`, so code written against the standard library's
convention (``except ValueError``) keeps working.

| class | raised for | exit code at the command line |
|---|---|---|
| :class:`SchemaError` | a file or table that cannot be read as a whole | 2 |
| :class:`MappingError` | an import mapping that is not valid | 2 |
| :class:`ValidationError` | rows that failed validation with ``strict=True`` | 2 |
| :class:`PrivacyError` | an identifier would be output, or no usable key | 2 |
| :class:`OutputError` | an output cannot be written where asked (see its docstring) | 2 |
| :class:`ModelError` | a model that cannot be fitted to these data | 2 |
| any other :class:`OutcomesError` | a wrong argument or option | 2 |

Anything else reaching the command line is a defect of the toolkit (exit 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class OutcomesError(ValueError):
    """Base class of every error the toolkit raises on purpose.

    A :class:`ValueError`, so that ``except ValueError`` also catches it.
    """


class SchemaError(OutcomesError):
    """A file or table cannot be read as a whole.

    Raised for structural problems -- an unreadable, empty or undecodable file, a
    missing required column, duplicate column names -- that no row-level quarantine
    can repair.

    Parameters
    ----------
    message : str
        What is wrong.
    file : str, optional
        The file concerned.
    column : str, optional
        The column concerned.
    row : int, optional
        The line of the file concerned, counting the header as line 1.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.file = file
        self.column = column
        self.row = row
        where = ":".join(
            part for part in (file, None if row is None else str(row), column) if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class MappingError(SchemaError):
    """An import mapping (``mapping.toml``) is not valid.

    Raised for an unknown table or canonical column, an order label mapped to something
    that is not a final order, a value of the wrong type, or a mapping that does not
    fit the file it is applied to. ``file`` is the mapping file and ``column`` the key
    concerned (``table.key``).
    """


class ValidationError(OutcomesError):
    """Rows failed validation and ``strict=True`` was asked for.

    The offending rows are in :attr:`quarantine`, in the same layout as
    :attr:`outcomes.io.Dataset.quarantine`.
    """

    def __init__(self, message: str, quarantine: pd.DataFrame) -> None:
        self.quarantine = quarantine
        super().__init__(message)


class PrivacyError(OutcomesError):
    """An output would contain a direct identifier, or no pseudonymisation key is set."""


class OutputError(OutcomesError):
    """An output cannot be written where it was asked for.

    Raised, naming the path, for a folder where a file is wanted or a file where a
    folder is wanted, a non-empty folder that care-outcomes did not write (unless
    overwriting was asked for), an output that would replace an input, and any
    operating-system failure while writing (a full disk, a read-only place, a missing
    parent folder). Nothing half-written is left behind when it is raised.
    """


class ModelError(OutcomesError):
    """A model cannot be fitted to these data.

    Raised for a singular information matrix (naming the columns that cause it), a
    fit that does not converge, or a design with nothing left to estimate.
    """


class OutcomesWarning(UserWarning):
    """Base class of the toolkit's warnings."""


class FollowUpWarning(OutcomesWarning):
    """An estimate was asked for at a time beyond the data's follow-up.

    Times are in years since the index disposal at every public interface; a request
    past the last follow-up time has no estimate (NaN), so this usually means a time
    in the wrong unit or a horizon the extract is too young to reach.
    """


class FewClustersWarning(OutcomesWarning):
    """A cluster-robust variance was asked for with too few clusters to trust it as is.

    With one cluster the fitters fall back to the individual-level robust variance; with
    a few they apply a small-sample correction and a t reference distribution (see
    "Inference with few clusters" in the survival guide).
    """


class DegenerateCovariateWarning(OutcomesWarning):
    """Covariates that carry no information (constant, all missing, or an exact linear
    combination of others) were dropped from a model; the message names them."""
