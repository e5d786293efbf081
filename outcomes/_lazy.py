"""Names a package imports on first use (:pep:`562`).

``import outcomes`` and the command line start quickly, and a worker process that needs
one estimator does not load what the others bring in (scikit-learn, matplotlib): a
package lists its public names with the module each lives in, and
:func:`lazy_names` gives the package's ``__getattr__`` and ``__dir__``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_names(
    package: str, names: Mapping[str, str], public: list[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Public name -> the module it lives in; a submodule's own name maps to itself.
    public : list of str
        The package's ``__all__``.
    """

    def __getattr__(name: str) -> object:
        """Import a public name on first use and keep it in the package's namespace."""
        try:
            module_name = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module = importlib.import_module(module_name)
        value = module if module_name == f"{package}.{name}" else getattr(module, name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
