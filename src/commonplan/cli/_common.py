"""Parsing of repeated ``NAME=VALUE`` options, shared by every CLI module."""

from __future__ import annotations

from collections.abc import Sequence

from commonplan.errors import PlanInputError

__all__ = ["number", "pairs"]


def pairs(items: Sequence[str], option: str, example: str) -> dict[str, str]:
    """{NAME: VALUE} from repeated ``NAME=VALUE`` options; a name given twice is refused."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name or not value:
            raise PlanInputError(f"{option} {item!r}: expected NAME=VALUE, e.g. {option} {example}")
        if name in out:
            raise PlanInputError(f"{option} {name}: given twice ({out[name]} and {value})")
        out[name] = value
    return out


def number(value: str, what: str) -> float:
    """``value`` as a float, or :class:`PlanInputError` naming ``what``."""
    try:
        return float(value)
    except ValueError:
        raise PlanInputError(f"{what}: {value!r} is not a number") from None
