"""Column names: normalisation, aliases, and spotting direct identifiers."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^0-9a-z]+")

IDENTIFIER_PATTERNS: tuple[str, ...] = (
    r"(^|_)(first|fore|given|last|family|sur|middle|full|child|mother|father|parent)?_?names?$",
    r"^(fore|sur)names?$",
    r"(^|_)upn$",
    r"(^|_)former_upn$",
    r"(^|_)unique_pupil_number$",
    r"(^|_)nhs_?(no|num|number)?$",
    r"(^|_)address(_line)?(_\d+)?$",
    r"(^|_)(street|town|house_number)$",
    r"(^|_)post_?codes?$",
    r"(^|_)(home|pl)_post$",
    r"(^|_)ni_?(no|number)$",
    r"(^|_)(phone|telephone|mobile|email)(_\w+)?$",
)
"""Normalised column names treated as direct identifiers.

Names, UPNs (unique pupil numbers), NHS and National Insurance numbers, addresses and
postcodes (including the 903 fields ``HOME_POST`` and ``PL_POST``), phone numbers and
e-mail addresses. Readers drop such columns unless asked to keep them; writers of
published outputs refuse them.
"""

_IDENTIFIER_RE = re.compile("|".join(f"(?:{p})" for p in IDENTIFIER_PATTERNS))


def normalise_name(name: object) -> str:
    """Canonical form of a column header: lower case, words joined by ``_``.

    >>> normalise_name("  Child-ID ")
    'child_id'
    >>> normalise_name("Date of Birth")
    'date_of_birth'
    """
    return _NON_WORD.sub("_", str(name).strip().lower()).strip("_")


def is_identifier(name: str) -> bool:
    """Whether a (normalised) column name looks like a direct identifier."""
    return bool(_IDENTIFIER_RE.search(normalise_name(name)))
