"""One error rule: every error a user can cause is an :class:`~outcomes.errors.OutcomesError`.

Two checks. The first walks the public API's error paths -- a wrong argument, a missing
column, a table where a dataset is expected, data with nothing to estimate -- and checks
the class of what is raised (and that it is still a ``ValueError``, for callers who catch
that). The second reads the source of ``outcomes/`` and fails on any ``raise`` of a
built-in exception class outside a short, commented allow-list of internal invariants,
so that a new ``raise ValueError(...)`` cannot slip in.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import outcomes
from outcomes import causal, cohort, disclosure, io, linkage, quality
from outcomes.datasets import load_example
from outcomes.errors import ModelError, OutcomesError, SchemaError
from outcomes.study import RushedDisposalStudy
from outcomes.survival import CoxFitter, cumulative_incidence

PACKAGE = Path(outcomes.__file__).parent


def _example() -> outcomes.Dataset:
    return load_example()


def _scores() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    frame = pd.DataFrame({"t": [0, 1] * 20, "x": np.arange(40.0)})
    return frame, pd.Series([0.2, 0.6] * 20), frame["t"]


def _counts() -> pd.DataFrame:
    return pd.DataFrame({"la": ["A", "B", "C"], "n": [25, 4, 31]})


def _survival() -> pd.DataFrame:
    return pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "event": [1, 0, 1, 1], "x": [0, 1, 0, 1]})


# (id, call, the class expected): same mistake, same class, wherever it is made
CASES: list[tuple[str, Callable[[], object], type[OutcomesError]]] = [
    # reading
    ("read_dataset/missing-folder", lambda: io.read_dataset("/no/such/folder"), SchemaError),
    ("read_proceedings/missing-file", lambda: io.read_proceedings("/no/such.csv"), SchemaError),
    ("read_proceedings/unknown-type", lambda: io.read_proceedings(__file__), SchemaError),
    # a table where a dataset is expected
    (
        "build_cohort/not-a-dataset",
        lambda: cohort.build_cohort(_example().proceedings),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "check_quality/not-a-dataset",
        lambda: quality.check_quality(_example().proceedings),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "linkage_diagnostics/not-a-dataset",
        lambda: linkage.linkage_diagnostics(_example().proceedings),  # type: ignore[arg-type]
        OutcomesError,
    ),
    # wrong arguments
    (
        "build_cohort/outcome",
        lambda: cohort.build_cohort(_example(), outcome="nope"),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "build_cohort/exposure",
        lambda: cohort.build_cohort(_example(), exposure="short"),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "build_cohort/window",
        lambda: cohort.build_cohort(_example(), window=("not a date", None)),
        OutcomesError,
    ),
    (
        "quality-report/by",
        lambda: quality.check_quality(_example()).summary(by="region"),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "suppress/threshold",
        lambda: disclosure.suppress(_counts(), ["n"], threshold=0),
        OutcomesError,
    ),
    (
        "suppress/rounding",
        lambda: disclosure.suppress(_counts(), ["n"], rounding=-5),
        OutcomesError,
    ),
    (
        "suppress/rate-source",
        lambda: disclosure.suppress(_counts(), ["n"], rate_cols={"pct": "m"}),
        OutcomesError,
    ),
    ("e_value/negative", lambda: causal.e_value(-1.0), OutcomesError),
    ("e_values/measure", lambda: causal.e_values(1.2, measure="odds"), OutcomesError),  # type: ignore[arg-type]
    (
        "e_values/outside-limits",
        lambda: causal.e_values(1.2, ci_lower=1.3, ci_upper=1.5),
        OutcomesError,
    ),
    (
        "fit_propensity/no-confounders",
        lambda: causal.fit_propensity(_scores()[0], "t", []),
        OutcomesError,
    ),
    (
        "fit_propensity/missing-option",
        lambda: causal.fit_propensity(_scores()[0], "t", ["x"], missing="drop"),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "inverse_probability_weights/bounds",
        lambda: causal.inverse_probability_weights(
            _scores()[1], _scores()[2], truncate_scores=(0.9, 0.1)
        ),
        OutcomesError,
    ),
    (
        "inverse_probability_weights/not-series",
        lambda: causal.inverse_probability_weights(_scores()[1].to_numpy(), _scores()[2]),  # type: ignore[arg-type]
        OutcomesError,
    ),
    (
        "standardised_differences/misaligned-weights",
        lambda: causal.standardised_differences(
            _scores()[0], "t", ["x"], weights=pd.Series([1.0, 1.0])
        ),
        OutcomesError,
    ),
    (
        "RushedDisposalStudy/outcome",
        lambda: RushedDisposalStudy(_example(), outcome="mother_recurrence").run(),
        OutcomesError,
    ),
    (
        "RushedDisposalStudy/horizons",
        lambda: RushedDisposalStudy(_example(), horizons=()).run(),
        OutcomesError,
    ),
    # missing or unusable columns
    ("suppress/missing-count", lambda: disclosure.suppress(_counts(), ["m"]), SchemaError),
    (
        "suppress/missing-by",
        lambda: disclosure.suppress(_counts(), ["n"], by=["area"]),
        SchemaError,
    ),
    (
        "suppress/text-count",
        lambda: disclosure.suppress(_counts().assign(n=["25", "four", "31"]), ["n"]),
        SchemaError,
    ),
    (
        "suppress/negative-count",
        lambda: disclosure.suppress(_counts().assign(n=-1), ["n"]),
        SchemaError,
    ),
    (
        "fit_propensity/absent",
        lambda: causal.fit_propensity(_scores()[0], "t", ["z"]),
        SchemaError,
    ),
    (
        "binary_treatment/three-values",
        lambda: causal.binary_treatment(pd.Series([0, 1, 2]), "t"),
        SchemaError,
    ),
    ("CoxFitter/absent", lambda: CoxFitter().fit(_survival(), "duration", "event"), SchemaError),
    (
        "cumulative_incidence/absent",
        lambda: cumulative_incidence(_survival(), "duration", "event"),
        SchemaError,
    ),
    # data with nothing to estimate
    (
        "inverse_probability_weights/score-of-one",
        lambda: causal.inverse_probability_weights(pd.Series([1.0, 0.5] * 20), _scores()[2]),
        ModelError,
    ),
    (
        "positivity/one-arm",
        lambda: causal.positivity(pd.Series([0.2, 0.5]), pd.Series([1, 1])),
        ModelError,
    ),
    (
        "weight_plot/no-positive-weight",
        lambda: causal.weight_plot(pd.Series([0.0, 0.0]), pd.Series([0, 1])),
        ModelError,
    ),
]


@pytest.mark.parametrize(("call", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_users_mistake_raises_its_outcomes_error(
    call: Callable[[], object], expected: type[OutcomesError]
) -> None:
    with pytest.raises(OutcomesError) as caught:
        call()
    assert isinstance(caught.value, expected), type(caught.value)
    # the standard library's convention still catches it
    assert isinstance(caught.value, ValueError)
    # a message a user can act on, not an empty one
    assert str(caught.value).strip()


# --- the source rule ------------------------------------------------------------------

BUILTIN_EXCEPTIONS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type)
    and issubclass(getattr(builtins, name), BaseException)
)

# (file under outcomes/, enclosing function, built-in class): raises that no input of a
# user can reach, or that a protocol requires. Each needs its reason.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("_lazy.py", "__getattr__", "AttributeError"): (
        "a module's __getattr__ must raise AttributeError (PEP 562), or hasattr breaks"
    ),
    ("cohort/flow.py", "exclude", "RuntimeError"): (
        "the counts come from the cohort builder, never from a user: a defect if reached"
    ),
    ("survival/_aalen_johansen.py", "cumulative_incidence_curve", "ValueError"): (
        "the variance name is checked by cumulative_incidence before it gets here"
    ),
    ("survival/cumulative_incidence.py", "_confidence_interval", "ValueError"): (
        "the interval type is checked by cumulative_incidence before it gets here"
    ),
}

# Raises in modules being converted on other branches of the same piece of work; each
# branch empties its part of this list as it converts its modules.
PENDING: dict[tuple[str, str, str], str] = {}


def builtin_raises(root: Path) -> set[tuple[str, str, str]]:
    """``(file, enclosing function, class)`` of every ``raise`` of a built-in exception."""
    found: set[tuple[str, str, str]] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        relative = path.relative_to(root).as_posix()

        def visit(node: ast.AST, function: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(child, child.name)
                    continue
                if isinstance(child, ast.Raise) and child.exc is not None:
                    target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                    if isinstance(target, ast.Name) and target.id in BUILTIN_EXCEPTIONS:
                        found.add((relative, function, target.id))  # noqa: B023
                visit(child, function)

        visit(tree, "<module>")
    return found


def test_the_scan_finds_a_builtin_raise(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "def f(x):\n    if x:\n        raise ValueError('bad')\n"
        "    raise KeyError\n\nclass C:\n    def g(self):\n        raise OutcomesError('ok')\n",
        encoding="utf-8",
    )
    assert builtin_raises(tmp_path) == {("m.py", "f", "ValueError"), ("m.py", "f", "KeyError")}


def test_no_builtin_exception_is_raised_outside_the_allow_list() -> None:
    unexpected = builtin_raises(PACKAGE) - set(ALLOWED) - set(PENDING)
    assert not unexpected, (
        "raise an outcomes.errors class for anything a user can cause; for a true "
        f"internal invariant add it, with its reason, to ALLOWED: {sorted(unexpected)}"
    )


def test_the_allow_lists_hold_nothing_stale() -> None:
    stale = (set(ALLOWED) | set(PENDING)) - builtin_raises(PACKAGE)
    assert not stale, f"no longer raised; remove from the allow-list: {sorted(stale)}"
