"""Scenarios: the numbers that define a synthetic world, each with its provenance.

A scenario is a TOML file. Every number is a small table holding the value and where
it came from::

    [duration]
    sigma = { value = [0.52, 0.62, 0.50], source = "docs/calibration.md, Duration: FCSQ ..." }
    complexity = { value = 0.08, assumed = "complex cases take somewhat longer" }

``source`` cites a published figure by its section of ``docs/calibration.md``;
``assumed`` says why a value without a source is plausible. A file may start with
``inherit = "default"`` (a packaged scenario name or a path relative to the file) and
then state only what differs; tables are merged key by key. The loaded
:class:`Scenario` is flat: values are addressed by dotted names
(``scenario["duration.sigma"]``).

Packaged scenarios live in ``synthetic/scenarios/``; to make your own, copy one, change
the numbers and the provenance, and pass its path to :func:`synthetic.generate`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from outcomes.errors import OutcomesError

PROVENANCE_KEYS = ("source", "assumed")
_META_KEYS = ("name", "description", "inherit")


class ScenarioError(OutcomesError):
    """A scenario file is malformed: a number without provenance, a bad key, a missing
    parameter, a cycle.

    An :class:`~outcomes.errors.OutcomesError` (so also a :class:`ValueError`): the
    command line reports it as a user error, wherever in the run it is found.
    """


@dataclass
class Scenario:
    """A loaded scenario.

    Attributes
    ----------
    name : str
        Scenario name (the file stem unless the file sets ``name``).
    description : str
        What the scenario is for.
    values : dict of str to Any
        Parameter values by dotted name (``"returns.hr_short"``).
    provenance : dict of str to str
        ``"source: ..."`` or ``"assumed: ..."`` for every value.
    path : str or None
        The file the scenario was read from (None if built in code).
    """

    name: str
    description: str
    values: dict[str, Any]
    provenance: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    def __getitem__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise ScenarioError(f"scenario {self.name!r} has no parameter {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def array(self, key: str) -> np.ndarray:
        """The value of ``key`` as a float array."""
        return np.asarray(self[key], dtype=float)

    def section(self, prefix: str) -> dict[str, Any]:
        """Values under ``prefix.`` with the prefix removed."""
        head = prefix + "."
        return {k[len(head) :]: v for k, v in self.values.items() if k.startswith(head)}

    def replace(self, name: str | None = None, **values: Any) -> Scenario:
        """A copy with some values changed (dotted names given with ``__`` for ``.``).

        Examples
        --------
        >>> s = load_scenario("default").replace(returns__hr_short=1.5)
        >>> s["returns.hr_short"]
        1.5
        """
        new_values = dict(self.values)
        provenance = dict(self.provenance)
        for key, value in values.items():
            dotted = key.replace("__", ".")
            if dotted not in new_values:
                raise ScenarioError(f"unknown scenario parameter {dotted!r}")
            new_values[dotted] = value
            provenance[dotted] = "assumed: changed in code by the user"
        return Scenario(
            name=name or self.name,
            description=self.description,
            values=new_values,
            provenance=provenance,
            path=self.path,
        )

    def to_dict(self) -> dict[str, Any]:
        """Values and provenance as plain, JSON-serialisable data."""
        return {
            "name": self.name,
            "description": self.description,
            "values": {k: _plain(v) for k, v in self.values.items()},
            "provenance": dict(self.provenance),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def scenario_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    folder = resources.files("synthetic") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _read_toml(name_or_path: str | Path) -> tuple[dict[str, Any], str, Path | None]:
    """Read a packaged scenario (by name) or a file (by path)."""
    text_path = Path(name_or_path)
    if isinstance(name_or_path, str) and not name_or_path.endswith(".toml"):
        resource = resources.files("synthetic") / "scenarios" / f"{name_or_path}.toml"
        if not resource.is_file():
            known = ", ".join(scenario_names())
            raise ScenarioError(f"no scenario called {name_or_path!r} (known: {known})")
        return tomllib.loads(resource.read_text(encoding="utf-8")), name_or_path, None
    if not text_path.exists() and not text_path.is_symlink():
        raise ScenarioError(f"scenario file not found: {text_path}")
    if text_path.is_dir():
        raise ScenarioError(f"scenario {text_path} is a folder, not a TOML file")
    try:
        data = tomllib.loads(text_path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{text_path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ScenarioError(f"{text_path}: cannot be read: {exc.strerror or exc}") from None
    return data, text_path.stem, text_path


def _flatten(
    table: dict[str, Any], prefix: str, out: dict[str, dict[str, Any]], where: str
) -> None:
    """Flatten nested tables into ``{dotted: {"value": ..., "source"|"assumed": ...}}``."""
    for key, item in table.items():
        dotted = f"{prefix}{key}"
        if not isinstance(item, dict):
            raise ScenarioError(
                f"{where}: {dotted} = {item!r} has no provenance; write it as "
                f'{{ value = {item!r}, source = "..." }} or {{ ..., assumed = "why" }}'
            )
        if "value" in item:
            extra = set(item) - {"value", *PROVENANCE_KEYS}
            if extra:
                raise ScenarioError(f"{where}: {dotted} has unexpected keys {sorted(extra)}")
            if not any(isinstance(item.get(k), str) and item[k].strip() for k in PROVENANCE_KEYS):
                raise ScenarioError(f'{where}: {dotted} needs source = "..." or assumed = "why"')
            out[dotted] = item
        else:
            _flatten(item, dotted + ".", out, where)


def load_scenario(scenario: str | Path | Scenario = "default") -> Scenario:
    """Load a scenario by packaged name, by path, or pass a :class:`Scenario` through.

    Parameters
    ----------
    scenario : str, Path or Scenario
        ``"default"``, ``"null"``, ``"strong"``, ``"mediated"``, ``"poor_data"``,
        ``"small_area"``, a path to a ``.toml`` file, or a loaded scenario.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Unknown name, missing file, invalid TOML, a number without provenance, or an
        ``inherit`` cycle.
    """
    if isinstance(scenario, Scenario):
        return scenario
    return _load(scenario, seen=())


def _load(name_or_path: str | Path, seen: tuple[str, ...]) -> Scenario:
    data, stem, path = _read_toml(name_or_path)
    key = str(path.resolve()) if path else f"package:{stem}"
    if key in seen:
        raise ScenarioError(f"inherit cycle: {' -> '.join((*seen, key))}")
    where = str(path) if path else f"scenario {stem!r}"
    flat: dict[str, dict[str, Any]] = {}
    _flatten({k: v for k, v in data.items() if k not in _META_KEYS}, "", flat, where)

    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    description = str(data.get("description", ""))
    parent_ref = data.get("inherit")
    if parent_ref is not None:
        parent_key: str | Path = parent_ref
        if path is not None and str(parent_ref).endswith(".toml"):
            parent_key = path.parent / parent_ref
        parent = _load(parent_key, (*seen, key))
        values.update(parent.values)
        provenance.update(parent.provenance)
        description = description or parent.description
        unknown = set(flat) - set(parent.values)
        if unknown:
            raise ScenarioError(f"{where}: parameters not in {parent_ref!r}: {sorted(unknown)}")
    for dotted, item in flat.items():
        values[dotted] = item["value"]
        provenance[dotted] = next(f"{k}: {item[k]}" for k in PROVENANCE_KEYS if k in item)
    return Scenario(
        name=str(data.get("name", stem)),
        description=description,
        values=values,
        provenance=provenance,
        path=str(path) if path else None,
    )
