"""The one rule of the split: ``synthetic`` encodes the truth, ``outcomes`` estimates it.

``synthetic`` may import only ``outcomes.schema`` from ``outcomes`` (the data contract,
not a model of the data) and the writer of that contract; ``outcomes`` may import
``synthetic`` only in the command line and in the power simulation, which draws worlds of
a proposed study's size by design (it only calls the generator, never shares its code).
Shared modelling code would let a mistake appear on both sides and cancel out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import outcomes
import synthetic

OUTCOMES = Path(outcomes.__file__).parent
SYNTHETIC = Path(synthetic.__file__).parent

# What synthetic may take from outcomes: the data contract, and the writer of that
# contract (World.write imports it when called, to write a world as a dataset folder).
# The error family is shared too, so that a mistake in a scenario file is a user error
# (exit 2) at the command line like any other; it holds no modelling code.
CONTRACT = {
    "outcomes",
    "outcomes.schema",
    "outcomes.io",
    "outcomes.io.write_dataset",
    "outcomes.errors",
    "outcomes.errors.OutcomesError",
}


def imported_modules(root: Path) -> dict[str, set[str]]:
    """Absolute module names imported anywhere (also inside functions), per file."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path.relative_to(root).as_posix()] = names
    return found


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    from outcomes.survival import CoxFitter\n")
    assert "outcomes.survival" in imported_modules(tmp_path)["m.py"]


def test_synthetic_imports_only_the_schema_from_outcomes() -> None:
    offending = {
        file: sorted(
            n
            for n in names
            if n.split(".")[0] == "outcomes"
            and n not in CONTRACT
            and not n.startswith("outcomes.schema.")
        )
        for file, names in imported_modules(SYNTHETIC).items()
    }
    offending = {file: names for file, names in offending.items() if names}
    assert not offending, offending


def test_outcomes_imports_synthetic_only_in_the_command_line() -> None:
    users = {
        file
        for file, names in imported_modules(OUTCOMES).items()
        if any(n.split(".")[0] == "synthetic" for n in names)
    }
    assert users, "the demo and simulate commands use synthetic: the scan sees nothing"
    allowed = ("cli/", "simulation/power.py")
    assert all(file.startswith(allowed) for file in users), sorted(users)
