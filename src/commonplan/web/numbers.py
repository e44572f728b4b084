"""Numbers as people read them on the pages: thousands grouped, no needless decimals, never
scientific notation (``1,234.5``, ``0.0012``), and large totals of hours in millions."""

from __future__ import annotations

import math

__all__ = ["MILLION", "number", "significant"]

MILLION = 1_000_000.0


def significant(value: float, digits: int = 3) -> int:
    """How many decimals show ``digits`` significant digits of a value below 1 in size."""
    return max(0, digits - 1 - math.floor(math.log10(abs(value)))) if value else 0


def number(value: float) -> str:
    """A number as people read it: thousands separated, no needless decimals, three
    significant digits below 1 (1,234.5; 0.6; 0.000123), never ``1.2e-05``."""
    if not math.isfinite(value):
        return str(value)
    if abs(value - round(value)) < 5e-4 and (abs(value) >= 1 or value == 0):
        return f"{round(value):,}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if abs(value) < 1e-9:
        return "0"
    return f"{value:.{significant(value)}f}".rstrip("0").rstrip(".")
