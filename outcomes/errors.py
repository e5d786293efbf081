"""Exceptions and warnings raised by care-outcomes.

Every error a user can cause derives from :class:`OutcomesError`, so the command line
can print it as a message (never a traceback) and a program can catch the family.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class OutcomesError(Exception):
    """Base class of every error the toolkit raises on purpose."""


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


class OutcomesWarning(UserWarning):
    """Base class of the toolkit's warnings."""


class DataQualityWarning(OutcomesWarning):
    """Data were read, but something about them deserves the user's attention."""
