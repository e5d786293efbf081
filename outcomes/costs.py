r"""Unit costs of care proceedings and placements, and the cost arithmetic of a policy.

A duration policy changes *quantities* per child -- weeks of proceedings, weeks in each
kind of interim placement, repeat sets of proceedings, years in care. This module puts
a price on them. It holds no model: whatever estimates the quantities (the g-formula of
a policy, a bootstrap replicate of it, a hand calculation) passes them in, and gets back
a table of costs per 100 children.

The unit costs
--------------
A :class:`UnitCosts` table is read from a TOML file (:meth:`UnitCosts.from_toml`) or
taken from the defaults shipped with the toolkit (:meth:`UnitCosts.default`). Every
entry is one *cost item* of a fixed catalogue (:data:`ITEMS`): the item says which
quantity it prices, and the entry gives its value, unit, price year and published
source (title, publisher, year, and where in it: table or page), with an optional
``low``/``high`` range for the sensitivity analysis. An entry without a value, a
source or a price year is refused, and so is any key the format does not know
(:class:`CostsError`, naming the file, the entry and the field).

The defaults hold only values that a published source states; the items no source
was found for are absent, and a calculation that needs one of them stops
(:class:`MissingUnitCostError`) and says which to supply. The documentation page
*Costs* lists what was found, where, and what was not.

No uprating: the toolkit has no sourced price index, so each entry stays in the price
year its source gives. A calculation whose unit costs come from more than one price
year warns (:class:`PriceYearWarning`); supply your own costs in one price year to
avoid it.

The arithmetic
--------------
For cost item :math:`k` with unit cost :math:`c_k` (per unit of its quantity) and the
mean quantity per child :math:`q_k` under a scenario, the cost per :math:`N` children
(:math:`N = 100` by default) is

.. math::

    C_k = N \, q_k \, c_k, \qquad C = \sum_k C_k ,

and the net difference of a policy :math:`p` against the natural course (the observed
durations) :math:`n` is

.. math::

    \Delta_k = N \, (q_k^{p} - q_k^{n}) \, c_k, \qquad \Delta = \sum_k \Delta_k .

Quantities may be arrays, one value per bootstrap replicate: the arithmetic is
elementwise, so replicate :math:`b` of the cost uses replicate :math:`b` of every
quantity, and an interval for :math:`\Delta` comes from the same bootstrap as the
intervals for the risks. The unit costs are held fixed across replicates: their
uncertainty is explored one at a time by :func:`tornado` (a one-way sensitivity
analysis, Briggs, Claxton and Sculpher 2006, chapter 4), not sampled.

References
----------
Briggs, A., Claxton, K. and Sculpher, M. (2006). *Decision Modelling for Health
Economic Evaluation*. Oxford University Press.
Drummond, M. F., Sculpher, M. J., Claxton, K., Stoddart, G. L. and Torrance, G. W.
(2015). *Methods for the Economic Evaluation of Health Care Programmes*, 4th edition,
chapter 7 (costing). Oxford University Press.
"""

from __future__ import annotations

import math
import re
import tomllib
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import tomli_w

from outcomes.errors import OutcomesError, OutcomesWarning

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ITEMS",
    "QUANTITIES",
    "CostItem",
    "CostsError",
    "MissingUnitCostError",
    "PriceYearWarning",
    "Source",
    "UnitCost",
    "UnitCosts",
    "cost_per_children",
    "default_costs_path",
    "net_difference",
    "tornado",
    "tornado_plot",
]

WEEKS_PER_YEAR = 365.25 / 7
"""Weeks in a year, to price weeks at a cost given per year."""


class CostsError(OutcomesError):
    """A unit-cost table or a cost calculation that cannot be used as given.

    Parameters
    ----------
    message : str
        What is wrong.
    file : str, optional
        The costs file concerned.
    entry : str, optional
        The cost item concerned.
    field : str, optional
        The field of the entry concerned (``value``, ``source.year``, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.entry = entry
        self.field = field
        where = ": ".join(
            part
            for part in (
                file,
                None if entry is None else f"[costs.{entry}]",
                field,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class MissingUnitCostError(CostsError):
    """A calculation needs a unit cost the table does not hold.

    :attr:`missing` lists the cost items concerned; the message names them and says
    how to supply them.
    """

    def __init__(self, message: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(message)


class PriceYearWarning(OutcomesWarning):
    """A cost total adds unit costs from more than one price year, not uprated."""


@dataclass(frozen=True)
class CostItem:
    """One item of the cost catalogue: what it prices and in which units.

    Attributes
    ----------
    name : str
        The key of the item in ``costs.toml`` (``[costs.<name>]``).
    description : str
        What the unit cost pays for, in words.
    quantity : str
        The per-child quantity it multiplies (one of :data:`QUANTITIES`).
    units : dict of str to float
        The units an entry may give its value in, each with the factor that turns the
        value into a cost per unit of the quantity (1 for a cost per week of a weekly
        quantity, :math:`1/52.18` for a cost per year of it).
    """

    name: str
    description: str
    quantity: str
    units: Mapping[str, float]


QUANTITIES: dict[str, str] = {
    "weeks_of_proceedings": "weeks of the index proceedings, per child",
    "weeks_in_foster_care": "weeks in foster care, provider not distinguished, per child",
    "weeks_in_foster_care_in_house": "weeks in the local authority's own foster care",
    "weeks_in_foster_care_agency": "weeks in independent fostering agency care",
    "weeks_in_residential_care": "weeks in a children's home, per child",
    "weeks_in_kinship_care": "weeks with family or friends (kinship) carers, per child",
    "weeks_placed_with_parents": "weeks placed with parents under an interim order",
    "repeat_proceedings": "later sets of care proceedings, per child",
    "child_years_in_care": "years looked after after the index proceedings, per child",
}
"""The per-child quantities the cost items price, with what each counts.

Weeks in placement are weeks during the index proceedings (interim placements); the
index proceedings' own costs are priced per week through ``weeks_of_proceedings``; a
repeat set of proceedings is priced whole, per set, through ``repeat_proceedings``;
time in care after the index proceedings through ``child_years_in_care``. Give weeks in
foster care either undivided (``weeks_in_foster_care``) or split by provider, never
both for the same weeks.
"""

_PER_WEEK = {"per week of proceedings": 1.0}
_PLACEMENT = {"per week in placement": 1.0, "per year in placement": 1 / WEEKS_PER_YEAR}
_REPEAT = {"per repeat set of proceedings": 1.0}
_CARE = {"per child-year in care": 1.0}

ITEMS: dict[str, CostItem] = {
    item.name: item
    for item in (
        CostItem(
            "la_legal",
            "local authority legal time in proceedings",
            "weeks_of_proceedings",
            _PER_WEEK,
        ),
        CostItem(
            "la_social_work",
            "local authority social-work time in proceedings",
            "weeks_of_proceedings",
            _PER_WEEK,
        ),
        CostItem(
            "cafcass",
            "Cafcass (children's guardian) in proceedings",
            "weeks_of_proceedings",
            _PER_WEEK,
        ),
        CostItem("court", "the court (HMCTS) in proceedings", "weeks_of_proceedings", _PER_WEEK),
        CostItem(
            "foster_care",
            "foster care, provider not distinguished",
            "weeks_in_foster_care",
            _PLACEMENT,
        ),
        CostItem(
            "foster_care_in_house",
            "the local authority's own foster care",
            "weeks_in_foster_care_in_house",
            _PLACEMENT,
        ),
        CostItem(
            "foster_care_agency",
            "independent fostering agency care",
            "weeks_in_foster_care_agency",
            _PLACEMENT,
        ),
        CostItem(
            "residential_care",
            "a place in a children's home",
            "weeks_in_residential_care",
            _PLACEMENT,
        ),
        CostItem(
            "kinship_care",
            "kinship (family and friends) care",
            "weeks_in_kinship_care",
            _PLACEMENT,
        ),
        CostItem(
            "placed_with_parents",
            "support of a child placed with parents",
            "weeks_placed_with_parents",
            _PLACEMENT,
        ),
        CostItem(
            "repeat_la",
            "the local authority's costs of a repeat set of proceedings",
            "repeat_proceedings",
            _REPEAT,
        ),
        CostItem(
            "repeat_cafcass",
            "Cafcass's costs of a repeat set of proceedings",
            "repeat_proceedings",
            _REPEAT,
        ),
        CostItem(
            "repeat_court",
            "the court's (HMCTS) costs of a repeat set of proceedings",
            "repeat_proceedings",
            _REPEAT,
        ),
        CostItem(
            "repeat_legal_aid",
            "legal aid for the parties to a repeat set of proceedings",
            "repeat_proceedings",
            _REPEAT,
        ),
        CostItem(
            "care_year", "a year looked after (all costs of care)", "child_years_in_care", _CARE
        ),
    )
}
"""The cost catalogue: every item a ``costs.toml`` may price, by name."""

_ENTRY_KEYS = {"value", "unit", "price_year", "source", "low", "high", "note"}
_SOURCE_KEYS = {"title", "publisher", "year", "location", "url"}
_TOP_KEYS = {"description", "costs"}
_PRICE_YEAR = re.compile(r"^(\d{4})(?:[-/](\d{2}|\d{4}))?$")


@dataclass(frozen=True)
class Source:
    """Where a unit cost was published.

    Attributes
    ----------
    title : str
        Title of the publication.
    publisher : str
        Who published it.
    year : int
        Year of publication.
    location : str
        Where in it the figure is: table, page, section.
    url : str, optional
        Where it can be read.
    """

    title: str
    publisher: str
    year: int
    location: str
    url: str | None = None

    def cite(self) -> str:
        """One-line citation: title, publisher, year, location."""
        return f"{self.title}. {self.publisher}, {self.year}; {self.location}"


@dataclass(frozen=True)
class UnitCost:
    """One priced cost item.

    Attributes
    ----------
    name : str
        The item (a key of :data:`ITEMS`).
    value : float
        The unit cost in pounds, per ``unit``.
    unit : str
        One of the item's units (see :data:`ITEMS`).
    price_year : str
        The price year of ``value`` (``"2023-24"`` or ``"2024"``).
    source : Source
        Where ``value`` was published.
    low, high : float, optional
        A plausible range for the sensitivity analysis, in the same unit.
    note : str, optional
        Anything a reader must know to use the value.
    """

    name: str
    value: float
    unit: str
    price_year: str
    source: Source
    low: float | None = None
    high: float | None = None
    note: str | None = None

    @property
    def item(self) -> CostItem:
        """The catalogue item this entry prices."""
        return ITEMS[self.name]

    @property
    def per_quantity(self) -> float:
        """The cost per unit of the item's quantity (per week, per set, per year)."""
        return self.value * self.item.units[self.unit]


class UnitCosts(Mapping[str, UnitCost]):
    """A table of unit costs, each with its price year and published source.

    A read-only mapping from cost item name to :class:`UnitCost`. Build it with
    :meth:`from_toml`, :meth:`default` or :meth:`from_dict`; combine a user's file with
    the defaults with :meth:`merged`.

    Parameters
    ----------
    entries : iterable of UnitCost
    origin : str
        Where the table came from (a file name), for messages.
    """

    def __init__(self, entries: list[UnitCost] | tuple[UnitCost, ...], origin: str = "") -> None:
        self._entries = {entry.name: entry for entry in entries}
        self.origin = origin

    def __getitem__(self, name: str) -> UnitCost:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"UnitCosts({len(self)} items from {self.origin or 'memory'})"

    @classmethod
    def from_toml(cls, path: str | Path) -> UnitCosts:
        """Read a ``costs.toml`` file.

        Raises
        ------
        CostsError
            For a file that cannot be read or parsed, and for any entry that lacks a
            value, a unit, a price year or a complete source, holds a key the format
            does not know, or names an item outside :data:`ITEMS`.
        """
        path = Path(path)
        try:
            content = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CostsError("no such file", file=str(path)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise CostsError(f"cannot be read as TOML ({exc})", file=str(path)) from None
        return cls.from_dict(content, origin=str(path))

    @classmethod
    def from_dict(cls, content: Mapping[str, object], origin: str = "<dict>") -> UnitCosts:
        """Build the table from the parsed content of a ``costs.toml`` (see :meth:`from_toml`)."""
        unknown = sorted(set(content) - _TOP_KEYS)
        if unknown:
            raise CostsError(
                f"unknown top-level key(s) {unknown}; a costs file has [costs.<item>] tables"
                " and an optional description",
                file=origin,
            )
        table = content.get("costs", {})
        if not isinstance(table, Mapping):
            raise CostsError("costs must be a table of [costs.<item>] entries", file=origin)
        entries = [_parse_entry(name, raw, origin) for name, raw in table.items()]
        return cls(entries, origin=origin)

    @classmethod
    def default(cls) -> UnitCosts:
        """The unit costs shipped with the toolkit (``outcomes/datasets/costs.toml``).

        Only items a published source prices are present; the documentation page
        *Costs* gives each value's source and lists the items you must supply.
        """
        return cls.from_toml(default_costs_path())

    def merged(self, other: UnitCosts) -> UnitCosts:
        """This table with every entry of ``other`` added or put in its place."""
        entries = {**self._entries, **other._entries}
        origin = f"{self.origin} + {other.origin}" if self.origin else other.origin
        return UnitCosts(list(entries.values()), origin=origin)

    def to_dict(self) -> dict[str, object]:
        """The table as the content of a ``costs.toml`` (what :meth:`from_dict` reads)."""
        costs: dict[str, object] = {}
        for entry in self._entries.values():
            raw: dict[str, object] = {
                "value": entry.value,
                "unit": entry.unit,
                "price_year": entry.price_year,
            }
            for key in ("low", "high", "note"):
                if getattr(entry, key) is not None:
                    raw[key] = getattr(entry, key)
            source = {
                "title": entry.source.title,
                "publisher": entry.source.publisher,
                "year": entry.source.year,
                "location": entry.source.location,
            }
            if entry.source.url:
                source["url"] = entry.source.url
            raw["source"] = source
            costs[entry.name] = raw
        return {"costs": costs}

    def to_toml(self, path: str | Path) -> Path:
        """Write the table as a ``costs.toml`` that :meth:`from_toml` reads back.

        The file is written atomically (:func:`outcomes.io.output.write_text`): a failed
        write leaves the old file or none, and raises an
        :class:`~outcomes.errors.OutputError` naming the path.
        """
        from outcomes.io.output import write_text

        return write_text(path, tomli_w.dumps(self.to_dict()))

    def table(self) -> pd.DataFrame:
        """The entries as a DataFrame: item, what it prices, value, unit, price year,
        range and source, one row per item in catalogue order."""
        rows = []
        for name in ITEMS:
            if name not in self._entries:
                continue
            entry = self._entries[name]
            rows.append(
                {
                    "item": name,
                    "description": entry.item.description,
                    "value": entry.value,
                    "unit": entry.unit,
                    "price_year": entry.price_year,
                    "low": np.nan if entry.low is None else entry.low,
                    "high": np.nan if entry.high is None else entry.high,
                    "source": entry.source.cite(),
                    "url": entry.source.url or "",
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "item",
                "description",
                "value",
                "unit",
                "price_year",
                "low",
                "high",
                "source",
                "url",
            ],
        )

    def missing(self) -> list[str]:
        """The catalogue items this table does not price (the user must supply them)."""
        return [name for name in ITEMS if name not in self._entries]


def default_costs_path() -> Path:
    """The defaults file shipped with the toolkit, ``costs.toml``: copy it to start your own."""
    return Path(str(files("outcomes.datasets") / "costs.toml"))


def _number(value: object, origin: str, name: str, field: str) -> float:
    """A finite, non-negative number, or a CostsError naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CostsError(f"must be a number, got {value!r}", file=origin, entry=name, field=field)
    if not math.isfinite(value) or value < 0:
        raise CostsError(
            f"must be a finite number of pounds, not negative, got {value!r}",
            file=origin,
            entry=name,
            field=field,
        )
    return float(value)


def _text(value: object, origin: str, name: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CostsError("must be non-empty text", file=origin, entry=name, field=field)
    return value.strip()


def _price_year(value: object, origin: str, name: str) -> str:
    """A price year as text: ``2024``, ``2023-24``, ``2023/24`` or ``2023-2024``."""
    text = (
        str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    )
    match = _PRICE_YEAR.match(text)
    if not match or not 1900 <= int(match.group(1)) <= 2100:
        raise CostsError(
            f"must be a year such as 2024 or a financial year such as '2023-24', got {value!r}",
            file=origin,
            entry=name,
            field="price_year",
        )
    return text.replace("/", "-")


def _parse_source(raw: object, origin: str, name: str) -> Source:
    if not isinstance(raw, Mapping):
        raise CostsError(
            "must be a table with title, publisher, year and location (table or page)",
            file=origin,
            entry=name,
            field="source",
        )
    unknown = sorted(set(raw) - _SOURCE_KEYS)
    if unknown:
        raise CostsError(
            f"unknown key(s) {unknown}; a source has {sorted(_SOURCE_KEYS)}",
            file=origin,
            entry=name,
            field="source",
        )
    for key in ("title", "publisher", "year", "location"):
        if key not in raw:
            raise CostsError(
                "missing: every unit cost cites its source's title, publisher, year and"
                " location (table or page)",
                file=origin,
                entry=name,
                field=f"source.{key}",
            )
    year = raw["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise CostsError(
            f"must be the year of publication, such as 2024, got {year!r}",
            file=origin,
            entry=name,
            field="source.year",
        )
    url = raw.get("url")
    return Source(
        title=_text(raw["title"], origin, name, "source.title"),
        publisher=_text(raw["publisher"], origin, name, "source.publisher"),
        year=year,
        location=_text(raw["location"], origin, name, "source.location"),
        url=None if url is None else _text(url, origin, name, "source.url"),
    )


def _parse_entry(name: str, raw: object, origin: str) -> UnitCost:
    """One ``[costs.<name>]`` table, checked field by field."""
    if name not in ITEMS:
        raise CostsError(
            f"unknown cost item; the items are {sorted(ITEMS)}", file=origin, entry=name
        )
    if not isinstance(raw, Mapping):
        raise CostsError("must be a table of fields", file=origin, entry=name)
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        raise CostsError(
            f"unknown key(s) {unknown}; an entry has {sorted(_ENTRY_KEYS)}",
            file=origin,
            entry=name,
        )
    for key, why in (
        ("value", "a unit cost needs its value in pounds"),
        ("source", "a unit cost without a published source is not used"),
        ("price_year", "a unit cost needs the price year its value is in"),
        ("unit", f"one of {sorted(ITEMS[name].units)}"),
    ):
        if key not in raw:
            raise CostsError(f"missing: {why}", file=origin, entry=name, field=key)
    value = _number(raw["value"], origin, name, "value")
    unit = raw["unit"]
    if unit not in ITEMS[name].units:
        raise CostsError(
            f"{unit!r} is not a unit of this item; use one of {sorted(ITEMS[name].units)}",
            file=origin,
            entry=name,
            field="unit",
        )
    low = None if "low" not in raw else _number(raw["low"], origin, name, "low")
    high = None if "high" not in raw else _number(raw["high"], origin, name, "high")
    if (low is not None and low > value) or (high is not None and high < value):
        raise CostsError(
            f"the range must hold the value: low {low}, value {value}, high {high}",
            file=origin,
            entry=name,
            field="low" if low is not None and low > value else "high",
        )
    note = raw.get("note")
    return UnitCost(
        name=name,
        value=value,
        unit=str(unit),
        price_year=_price_year(raw["price_year"], origin, name),
        source=_parse_source(raw["source"], origin, name),
        low=low,
        high=high,
        note=None if note is None else _text(note, origin, name, "note"),
    )


# -- the arithmetic ------------------------------------------------------------------

Missing = Literal["error", "omit"]


def _as_quantities(quantities: Mapping[str, float | np.ndarray]) -> dict[str, np.ndarray]:
    """Check the names and values of per-child quantities; arrays stay arrays."""
    unknown = sorted(set(quantities) - set(QUANTITIES))
    if unknown:
        raise CostsError(
            f"unknown quantity name(s) {unknown}; the quantities are {list(QUANTITIES)}"
        )
    out = {}
    for name, value in quantities.items():
        array = np.asarray(value, dtype=float)
        if array.ndim > 1:
            raise CostsError(
                f"quantity {name!r} must be a number or a 1-d array (one per replicate),"
                f" got shape {array.shape}"
            )
        if np.any(array[np.isfinite(array)] < 0):
            raise CostsError(f"quantity {name!r} is negative: a count per child cannot be")
        out[name] = array
    return out


def _replicates(arrays: Mapping[str, np.ndarray]) -> int | None:
    """The number of replicates the arrays share (None when all are scalars)."""
    lengths = {a.shape[0] for a in arrays.values() if a.ndim == 1}
    if len(lengths) > 1:
        raise CostsError(
            f"quantities given per replicate must all have the same length, got {sorted(lengths)}"
        )
    return lengths.pop() if lengths else None


def _needed(quantity_names: list[str], costs: UnitCosts, missing: Missing) -> list[str]:
    """The items that price the given quantities; refuse (or report) the unpriced ones."""
    if missing not in ("error", "omit"):
        raise CostsError(f"missing must be 'error' or 'omit', got {missing!r}")
    items = [name for name, item in ITEMS.items() if item.quantity in quantity_names]
    absent = [name for name in items if name not in costs]
    if absent and missing == "error":
        lines = "; ".join(f"{name} ({ITEMS[name].description})" for name in absent)
        raise MissingUnitCostError(
            f"no unit cost for {lines} in {costs.origin or 'the unit costs given'}."
            " The defaults hold none where no published value was found: supply "
            f"{'it' if len(absent) == 1 else 'them'} in your own costs.toml "
            "([costs.<item>] with value, unit, price_year and source), or pass "
            "missing='omit' to leave them out of the total and say so",
            missing=absent,
        )
    return items


def _check_price_years(entries: list[UnitCost]) -> None:
    years = sorted({entry.price_year for entry in entries})
    if len(years) > 1:
        warnings.warn(
            f"the unit costs come from {len(years)} price years ({', '.join(years)}) and are"
            " not uprated: the total adds pounds of different years. Supply costs in one"
            " price year to avoid this",
            PriceYearWarning,
            stacklevel=3,
        )


_COLUMNS = [
    "item",
    "description",
    "quantity",
    "quantity_per_child",
    "unit_cost",
    "price_year",
    "cost",
]


def _item_rows(
    arrays: Mapping[str, np.ndarray],
    costs: UnitCosts,
    items: list[str],
    per: float,
    n_rep: int | None,
) -> pd.DataFrame:
    """Long table: one row per item (and per replicate), plus the total rows."""
    if isinstance(per, bool) or not isinstance(per, int | float) or not 0 < per < math.inf:
        raise CostsError(f"per must be a positive number of children, got {per!r}")
    frames = []
    shape = (n_rep,) if n_rep is not None else ()
    total = np.zeros(shape)
    priced = [name for name in items if name in costs]
    years = sorted({costs[name].price_year for name in priced})
    for name in items:
        item = ITEMS[name]
        q = np.broadcast_to(arrays[item.quantity], shape)
        if name in costs:
            unit_cost = costs[name].per_quantity
            cost = per * q * unit_cost
            price_year = costs[name].price_year
            total = total + cost
        else:
            unit_cost, price_year = np.nan, ""
            cost = np.full(shape, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "item": name,
                    "description": item.description,
                    "quantity": item.quantity,
                    "quantity_per_child": np.atleast_1d(q),
                    "unit_cost": unit_cost,
                    "price_year": price_year,
                    "cost": np.atleast_1d(cost),
                    **({"replicate": np.arange(n_rep)} if n_rep is not None else {}),
                }
            )
        )
    frames.append(
        pd.DataFrame(
            {
                "item": "total",
                "description": "total of the priced items",
                "quantity": "",
                "quantity_per_child": np.nan,
                "unit_cost": np.nan,
                "price_year": years[0] if len(years) == 1 else "mixed" if years else "",
                # nothing priced is no total at all, not a total of zero
                "cost": np.atleast_1d(total if priced else np.full(shape, np.nan)),
                **({"replicate": np.arange(n_rep)} if n_rep is not None else {}),
            }
        )
    )
    out = pd.concat(frames, ignore_index=True)
    columns = _COLUMNS + (["replicate"] if n_rep is not None else [])
    return out[columns]


def cost_per_children(
    quantities: Mapping[str, float | np.ndarray],
    costs: UnitCosts,
    *,
    per: float = 100,
    missing: Missing = "error",
) -> pd.DataFrame:
    r"""Costs per ``per`` children of the given per-child quantities.

    .. math:: C_k = N \, q_k \, c_k, \qquad C = \sum_k C_k

    Parameters
    ----------
    quantities : mapping of str to float or 1-d array
        Mean quantity per child, by name (keys of :data:`QUANTITIES`). An array holds
        one value per bootstrap replicate; arrays must share their length, and scalars
        broadcast against them.
    costs : UnitCosts
    per : float, default 100
        The number of children :math:`N` the costs are for.
    missing : {"error", "omit"}
        What to do when an item pricing a given quantity has no unit cost: refuse
        (:class:`MissingUnitCostError`, naming the items), or keep its row with a
        missing cost and leave it out of the total.

    Returns
    -------
    DataFrame
        One row per cost item that prices a given quantity, then a ``total`` row:
        ``item, description, quantity, quantity_per_child, unit_cost`` (per unit of the
        quantity), ``price_year, cost``. With arrays, one such block per replicate,
        told apart by a ``replicate`` column. ``attrs`` holds ``per`` and ``omitted``
        (the items left out).

    Warns
    -----
    PriceYearWarning
        When the unit costs used come from more than one price year.
    """
    arrays = _as_quantities(quantities)
    n_rep = _replicates(arrays)
    items = _needed(list(arrays), costs, missing)
    _check_price_years([costs[name] for name in items if name in costs])
    out = _item_rows(arrays, costs, items, per, n_rep)
    out.attrs.update(per=per, omitted=[name for name in items if name not in costs])
    return out


def net_difference(
    policy_quantities: Mapping[str, float | np.ndarray],
    natural_quantities: Mapping[str, float | np.ndarray],
    costs: UnitCosts,
    *,
    per: float = 100,
    missing: Missing = "error",
) -> pd.DataFrame:
    r"""Costs under a policy and under the natural course, and their difference.

    .. math:: \Delta_k = N \, (q_k^{p} - q_k^{n}) \, c_k, \qquad \Delta = \sum_k \Delta_k

    A positive difference is a cost the policy adds; a negative one, a saving.

    Parameters
    ----------
    policy_quantities, natural_quantities : mapping of str to float or 1-d array
        Mean quantities per child under the policy and under the observed durations,
        with the same names. Arrays are bootstrap replicates, paired by position: pass
        the two scenarios' values from the same resamples.
    costs : UnitCosts
    per : float, default 100
    missing : {"error", "omit"}
        As in :func:`cost_per_children`.

    Returns
    -------
    DataFrame
        ``item, description, quantity, quantity_policy, quantity_natural, unit_cost,
        price_year, cost_policy, cost_natural, difference``, one row per item and a
        ``total`` row (and a ``replicate`` column with arrays).
    """
    if set(policy_quantities) != set(natural_quantities):
        raise CostsError(
            "the policy and the natural course must give the same quantities; differing:"
            f" {sorted(set(policy_quantities) ^ set(natural_quantities))}"
        )
    policy = _as_quantities(policy_quantities)
    natural = _as_quantities(natural_quantities)
    n_rep = _replicates(
        {**{f"p{k}": v for k, v in policy.items()}, **{f"n{k}": v for k, v in natural.items()}}
    )
    items = _needed(list(policy), costs, missing)
    _check_price_years([costs[name] for name in items if name in costs])
    a = _item_rows(policy, costs, items, per, n_rep)
    b = _item_rows(natural, costs, items, per, n_rep)
    out = a.rename(columns={"quantity_per_child": "quantity_policy", "cost": "cost_policy"})
    out.insert(4, "quantity_natural", b["quantity_per_child"].to_numpy())
    out.insert(list(out.columns).index("cost_policy") + 1, "cost_natural", b["cost"].to_numpy())
    out["difference"] = out["cost_policy"] - out["cost_natural"]
    out.attrs.update(per=per, omitted=[name for name in items if name not in costs])
    return out


def tornado(
    policy_quantities: Mapping[str, float],
    natural_quantities: Mapping[str, float] | None,
    costs: UnitCosts,
    *,
    per: float = 100,
    fraction: float = 0.25,
    missing: Missing = "error",
) -> pd.DataFrame:
    r"""One-way sensitivity of the net difference (or the total cost) to each unit cost.

    Each priced item's unit cost is set in turn to its ``low`` and its ``high`` (as the
    costs file gives them) -- or, where the file gives none, to :math:`(1 \mp f)` times its
    value with :math:`f` = ``fraction`` -- all others held at their values, and the
    result recomputed. Because the arithmetic is linear in each unit cost,

    .. math:: \Delta(c_k^{lo}) = \Delta + N\,(q_k^{p} - q_k^{n})\,(c_k^{lo} - c_k).

    Parameters
    ----------
    policy_quantities : mapping of str to float
        Point estimates (not replicates) of the quantities per child under the policy.
    natural_quantities : mapping of str to float, or None
        The same under the natural course; ``None`` explores the total cost of
        ``policy_quantities`` alone.
    costs : UnitCosts
    per : float, default 100
    fraction : float, default 0.25
        The relative change for items whose costs file gives no range; in (0, 1).
    missing : {"error", "omit"}
        As in :func:`cost_per_children`.

    Returns
    -------
    DataFrame
        One row per priced item, widest swing first: ``item, description, unit_cost,
        unit, low, high, range`` (``"range given"`` in the costs file, ``"partly
        given"`` when only one end is, or ``"±25%"``), ``base, at_low, at_high,
        swing`` (:math:`|` at_high :math:`-` at_low :math:`|`). ``attrs`` holds ``base``,
        ``per``, ``fraction`` and ``outcome`` (``"net difference"`` or ``"total cost"``).
    """
    if not 0 < fraction < 1:
        raise CostsError(f"fraction must lie strictly between 0 and 1, got {fraction!r}")
    given = [*policy_quantities.values(), *(natural_quantities or {}).values()]
    if any(np.ndim(v) for v in given):
        raise CostsError(
            "tornado takes point estimates of the quantities, not replicates: pass numbers"
        )
    if natural_quantities is None:
        table = cost_per_children(policy_quantities, costs, per=per, missing=missing)
        column, outcome = "cost", "total cost"
    else:
        table = net_difference(
            policy_quantities, natural_quantities, costs, per=per, missing=missing
        )
        column, outcome = "difference", "net difference"
    rows = table[(table["item"] != "total") & table["unit_cost"].notna()]
    base = float(table.loc[table["item"] == "total", column].iloc[0])
    out = []
    for _, row in rows.iterrows():
        entry = costs[row["item"]]
        per_unit = entry.item.units[entry.unit]
        given_both = entry.low is not None and entry.high is not None
        low = entry.low if entry.low is not None else entry.value * (1 - fraction)
        high = entry.high if entry.high is not None else entry.value * (1 + fraction)
        # the result is linear in each unit cost, with slope N q (or N (q_p - q_n))
        if column == "cost":
            slope = per * float(row["quantity_per_child"])
        else:
            slope = per * float(row["quantity_policy"] - row["quantity_natural"])
        at_low = base + slope * (low * per_unit - row["unit_cost"])
        at_high = base + slope * (high * per_unit - row["unit_cost"])
        label = (
            "range given"
            if given_both
            else (
                "partly given"
                if (entry.low is not None or entry.high is not None)
                else f"±{100 * fraction:g}%"
            )
        )
        out.append(
            {
                "item": row["item"],
                "description": row["description"],
                "unit_cost": entry.value,
                "unit": entry.unit,
                "low": low,
                "high": high,
                "range": label,
                "base": base,
                "at_low": at_low,
                "at_high": at_high,
                "swing": abs(at_high - at_low),
            }
        )
    result = pd.DataFrame(
        out,
        columns=[
            "item",
            "description",
            "unit_cost",
            "unit",
            "low",
            "high",
            "range",
            "base",
            "at_low",
            "at_high",
            "swing",
        ],
    )
    result = result.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    result.attrs.update(base=base, per=per, fraction=fraction, outcome=outcome)
    return result


def _pounds(x: float) -> str:
    """£ with thousands separators; whole pounds."""
    sign = "-" if x < 0 else ""
    return f"{sign}£{abs(x):,.0f}"


def tornado_plot(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Draw a :func:`tornado` table: one bar per unit cost, widest at the top.

    Each bar runs from the result at the item's low unit cost to the result at its
    high one; the vertical line is the result at the values in the table. Labels name
    the item and the range used.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`tornado`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    needed = {"item", "description", "unit", "low", "high", "at_low", "at_high", "range"}
    if not needed <= set(table.columns) or "base" not in table.attrs:
        raise CostsError("tornado_plot needs the DataFrame returned by tornado()")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * max(len(table), 2) + 1.2))
    base = float(table.attrs["base"])
    y = np.arange(len(table))[::-1]
    for yi, (_, row) in zip(y, table.iterrows(), strict=True):
        lo, hi = row["at_low"], row["at_high"]
        ax.barh(yi, lo - base, left=base, color="#4c72b0", height=0.6)
        ax.barh(yi, hi - base, left=base, color="#dd8452", height=0.6)
    labels = [
        f"{row['description'][:1].upper()}{row['description'][1:]}\n"
        f"{_pounds(row['low'])} to {_pounds(row['high'])} {row['unit']} ({row['range']})"
        for _, row in table.iterrows()
    ]
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(base, color="0.2", lw=1)
    per = table.attrs.get("per", 100)
    outcome = table.attrs.get("outcome", "net difference")
    ax.set_xlabel(f"{outcome} per {per:g} children (£)")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: _pounds(v)))
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color="#4c72b0", label="unit cost at its low"),
            Patch(color="#dd8452", label="unit cost at its high"),
        ],
        fontsize=8,
        frameon=False,
        loc="lower right",
    )
    ax.set_title(f"One-way sensitivity of the {outcome} to each unit cost", fontsize=10)
    return ax
