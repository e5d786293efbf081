"""A fast start: ``import outcomes``, ``outcomes --help`` and ``outcomes validate`` load
neither scikit-learn, matplotlib nor scipy.stats (the timing itself is
``benchmarks/bench_startup.py``).

Each check runs in a fresh interpreter, since this test process has long since imported
everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import outcomes
from outcomes.datasets import example_path

HEAVY = ("sklearn", "matplotlib", "scipy.stats")
"""Packages that take a large share of a second or more to import (scipy.stats about
half a second, more than the rest of scipy that the fitters need)."""

REPORT_LOADED = f"""
import json, sys
names = set(sys.modules) | {{m.split(".")[0] for m in sys.modules}}
print(json.dumps(sorted(names & {set(HEAVY)!r})))
"""


def loaded_after(code: str) -> list[str]:
    """The heavy top-level packages loaded after running ``code`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT_LOADED],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def run_cli(*argv: str) -> str:
    """Python that runs the command line as ``outcomes *argv`` and carries on."""
    return (
        "import contextlib, io\n"
        "from outcomes.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({list(argv)!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
    )


def test_the_reporter_sees_a_heavy_import() -> None:
    # the check below could fail: importing the study does load scikit-learn
    assert "sklearn" in loaded_after("from outcomes.study import RushedDisposalStudy")


def test_the_policy_estimator_loads_no_heavy_package() -> None:
    # each bootstrap worker process imports it: the study's heavy imports are not its
    assert loaded_after("from outcomes.policy import DurationPolicyEffect") == []


def test_import_outcomes_loads_no_heavy_package() -> None:
    assert loaded_after("import outcomes") == []


def test_help_loads_no_heavy_package() -> None:
    assert loaded_after(run_cli("--help")) == []


@pytest.mark.parametrize(
    "command", ["validate", "simulate", "study", "quality", "board", "power", "demo"]
)
def test_subcommand_help_loads_no_heavy_package(command: str) -> None:
    assert loaded_after(run_cli(command, "--help")) == []


def test_validate_loads_no_heavy_package() -> None:
    assert loaded_after(run_cli("validate", str(example_path()))) == []


def test_help_does_not_load_pandas() -> None:
    done = subprocess.run(
        [sys.executable, "-c", run_cli("--help") + "import sys; print('pandas' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("name", outcomes.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(outcomes, name) is not None
    assert name in dir(outcomes)


def test_a_wrong_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        outcomes.no_such_name  # noqa: B018
