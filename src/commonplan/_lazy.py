"""Packages whose public names load on first use (so that ``import commonplan`` and a CLI call
that only needs SQL do not pay for numpy, scipy and numba).

A package lists {module: "name name …"} and gets a module ``__getattr__`` and ``__dir__``::

    __getattr__, __dir__ = lazy(__name__, {"commonplan.plan.balance": "balance embodied"})

with the same names imported under ``if TYPE_CHECKING:`` for the type checker.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy"]


def lazy(
    package: str, modules: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``modules`` imported from its
    module when first asked for, then kept in the package's namespace."""
    where = {name: module for module, names in modules.items() for name in names.split()}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
