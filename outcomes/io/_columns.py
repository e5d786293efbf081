"""Column names: normalisation, aliases, and spotting direct identifiers.

How a header is recognised as a direct identifier
-------------------------------------------------
Extracts name the same thing in many ways (``Name of child``, ``Child's name``,
``ChildName``, ``CHILD_NAME``), so headers are matched by their words, not against a
list of spellings. A header is split into lower-case words -- at any character that is
not a letter or digit and at camel-case humps (``NHSNumber`` gives ``nhs number``) --
runs of single letters are joined (``N.H.S.`` gives ``nhs``), and each pair of
neighbouring words is also read as one word (``e mail`` gives ``email``, ``post code``
gives ``postcode``). The header is an identifier when

1. a word is an identifying word (:data:`IDENTIFYING_WORDS`: ``surname``, ``upn``,
   ``nhs``, ``email``, ``telephone``, ``postcode``, ``address``, ``initials``, ...);
2. a word is ``name`` or ends in ``name`` (``forename``, ``childname``), unless the
   header names a thing rather than a person (:data:`NAMED_THINGS`: ``court name``,
   ``name of court``, ``la_name``, ``team name``);
3. it ends with a person's role (:data:`ROLES`: ``social worker``, ``solicitor``,
   ``foster carer``): such a column holds that person's name; or
4. it is a National Insurance number (``national insurance``, ``ni``, ``ni number``,
   ``nino``) or a 903 postcode field (``HOME_POST``, ``PL_POST``);

and it is not a count or flag *about* such a thing (:data:`ABOUT_WORDS`: ``number of
social workers``, ``n_addresses``, ``address_changes``, ``postcode_known``), which holds
no identifier. When in doubt a column is dropped: a covariate dropped by mistake is
kept again with ``keep_identifiers``, an identifier kept by mistake cannot be unread.
"""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

IDENTIFYING_WORDS = frozenset(
    {
        # names
        "surname",
        "surnames",
        "forename",
        "forenames",
        "initials",
        "alias",
        "aka",
        "maiden",
        "nickname",
        "knownas",
        # numbers that identify a person
        "upn",
        "uln",
        "nhs",
        "nhsno",
        "chi",
        "mrn",
        "nino",
        "passport",
        "pupilnumber",
        "learnernumber",
        # contact
        "email",
        "emails",
        "telephone",
        "tel",
        "telno",
        "phone",
        "phones",
        "phoneno",
        "mobile",
        "mobileno",
        "landline",
        "fax",
        "contactno",
        "contactnumber",
        # where someone lives
        "address",
        "addresses",
        "addr",
        "street",
        "postcode",
        "postcodes",
        "zip",
        "zipcode",
        "housenumber",
        "homepost",
        "plpost",
    }
)
"""Words that make a header a direct identifier wherever they occur."""

NAMED_THINGS = frozenset(
    {
        "court",
        "la",
        "authority",
        "council",
        "area",
        "dfj",
        "region",
        "team",
        "service",
        "unit",
        "organisation",
        "organization",
        "agency",
        "file",
        "sheet",
        "table",
        "column",
        "variable",
        "field",
        "scenario",
        "order",
        "event",
        "check",
        "method",
    }
)
"""Things, not people, whose *name* a column may hold (``court name``, ``la_name``)."""

ROLES = frozenset(
    {
        "worker",
        "socialworker",
        "caseworker",
        "keyworker",
        "practitioner",
        "solicitor",
        "barrister",
        "advocate",
        "judge",
        "magistrate",
        "guardian",
        "carer",
        "fostercarer",
        "officer",
        "iro",
        "manager",
    }
)
"""People whose name a column ending in the role holds (``Social worker``)."""

ABOUT_WORDS_FIRST = frozenset({"n", "num", "count", "total", "has", "is", "any", "nr"})
ABOUT_WORDS_LAST = frozenset(
    {
        "count",
        "counts",
        "changes",
        "changed",
        "moves",
        "flag",
        "known",
        "recorded",
        "missing",
        "provided",
        "given",
        "valid",
        "type",
        "status",
        "category",
        "band",
        "decile",
        "quintile",
        "imd",
        "rank",
    }
)
"""A header starting or ending with one of these words (or ``number of``) is a count or
flag about an identifier, not the identifier."""


def normalise_name(name: object) -> str:
    """Canonical form of a column header: lower case, words joined by ``_``.

    >>> normalise_name("  Child-ID ")
    'child_id'
    >>> normalise_name("Date of Birth")
    'date_of_birth'
    """
    return _NON_WORD.sub("_", str(name).strip().lower()).strip("_")


def _join_letter_runs(words: list[str]) -> list[str]:
    """``n h s number`` -> ``nhs number``: runs of two or more single letters become one."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) > 1:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if word:
            out.append(word)
    return out


def header_words(name: object) -> list[str]:
    """Lower-case words of a header, as the identifier matcher reads them.

    >>> header_words("NHSNumber"), header_words("N.H.S. no"), header_words("Child's name")
    (['nhs', 'number'], ['nhs', 'no'], ['child', 's', 'name'])
    """
    text = _CAMEL.sub("_", str(name).strip())
    return _join_letter_runs([w for w in normalise_name(text).split("_") if w])


def _is_about(words: list[str]) -> bool:
    if words[0] in ABOUT_WORDS_FIRST and len(words) > 1:
        return True
    if len(words) > 2 and words[0] in ("number", "no") and words[1] == "of":
        return True
    return words[-1] in ABOUT_WORDS_LAST and len(words) > 1


def is_identifier(name: object) -> bool:
    """Whether a column header looks like a direct identifier.

    See the module docstring for the rules. Works on a header as written
    (``"Name of child"``) or normalised (``"name_of_child"``).

    >>> [is_identifier(h) for h in ("Name of child", "E-mail", "Social worker", "Tel")]
    [True, True, True, True]
    >>> [is_identifier(h) for h in ("child_id", "name of court", "number of siblings")]
    [False, False, False]
    """
    words = header_words(name)
    if not words or _is_about(words):
        return False
    pairs = [a + b for a, b in zip(words, words[1:], strict=False)]
    terms = [*words, *pairs]
    if any(_identifying_term(t) for t in terms):
        return True
    if any(_names_a_person(w) for w in words) and not set(words) & NAMED_THINGS:
        return True
    if words[-1] in ROLES or (pairs and pairs[-1] in ROLES):
        return True
    national_insurance = "nationalinsurance" in terms
    ni = words[0] == "ni" and (len(words) == 1 or words[1] in _NUMBER_WORDS)
    return national_insurance or ni


_NUMBER_WORDS = ("no", "num", "number", "numbers", "nos")
_SHORT_STEMS = ("nhs", "upn", "uln", "chi", "mrn", "tel", "ni")
"""Identifying abbreviations, matched alone or glued to a number word (``nhsno``)."""


def _identifying_term(term: str) -> bool:
    if term in IDENTIFYING_WORDS:
        return True
    for stem in _SHORT_STEMS:
        if term.startswith(stem) and term[len(stem) :] in _NUMBER_WORDS:
            return True
    # words glued together (``homeaddress``, ``emailaddress``, ``childsurname``): long
    # identifying words at either end
    return any(
        len(word) >= 5 and (term.startswith(word) or term.endswith(word))
        for word in IDENTIFYING_WORDS
    )


def _names_a_person(word: str) -> bool:
    """``name``, ``forename``, ``childname``; not ``filename`` or ``courtname``."""
    for suffix in ("names", "name"):
        if word.endswith(suffix):
            return word[: -len(suffix)] not in NAMED_THINGS
    return False
