"""The array types every numerical module (and the plan and economy packages) speaks."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["Array", "Index", "Mask", "ProblemArrays"]

Array = NDArray[np.float64]
"""A vector or matrix of floats (amounts, coefficients, prices)."""
Index = NDArray[np.intp]
"""Positions: of products, processes or rows."""
Mask = NDArray[np.bool_]
"""One flag per product or process."""


_P = TypeVar("_P", bound="ProblemArrays")


class ProblemArrays:
    """Sizes of a plan problem held as a frozen dataclass with inputs B (n × m) and primary
    inputs C (k × m): n products, m processes, k primary inputs; :meth:`with_` copies it."""

    B: sp.csc_array
    C: Array

    @property
    def n(self) -> int:
        return int(self.B.shape[0])

    @property
    def m(self) -> int:
        return int(self.B.shape[1])

    @property
    def k(self) -> int:
        return int(self.C.shape[0])

    def with_(self: _P, **changes: object) -> _P:
        """A copy with some arrays replaced."""
        return replace(self, **changes)  # type: ignore[type-var]
