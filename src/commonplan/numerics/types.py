"""The array types every numerical module (and the plan and economy packages) speaks."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Array", "Index", "Mask"]

Array = NDArray[np.float64]
"""A vector or matrix of floats (amounts, coefficients, prices)."""
Index = NDArray[np.intp]
"""Positions: of products, processes or rows."""
Mask = NDArray[np.bool_]
"""One flag per product or process."""
