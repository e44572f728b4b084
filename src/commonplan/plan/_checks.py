"""Checks of a plan's inputs, shared by :func:`~commonplan.plan.optimize.optimize` and
:func:`~commonplan.plan.years.plan_years`: numbers, amounts by product, caps by input,
capacities by process and the ``min_<input>`` objective.  Each check raises
:class:`~commonplan.errors.PlanInputError` (or :class:`~commonplan.errors.UnknownNameError`)
with a message that names the argument and what it must be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from commonplan.economy.model import Economy
from commonplan.errors import PlanInputError, UnknownNameError
from commonplan.numerics.types import Array

__all__ = [
    "amount",
    "capacities",
    "count",
    "current_use",
    "finite",
    "input_index",
    "input_matrix",
    "minimised_input",
    "nonneg",
    "nonneg_vector",
    "number",
    "positive",
    "product_amounts",
]


def number(value: object, what: str) -> float:
    """``value`` as a float (an infinity passes)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanInputError(f"{what}: {value!r} is not a number") from None


def finite(value: object, what: str) -> float:
    """A finite number."""
    v = number(value, what)
    if not np.isfinite(v):
        raise PlanInputError(f"{what} must be a finite number, got {value!r}")
    return v


def nonneg(value: object, what: str) -> float:
    """A finite number ≥ 0."""
    v = number(value, what)
    if not np.isfinite(v) or v < 0:
        raise PlanInputError(f"{what} must be a finite number ≥ 0, got {value!r}")
    return v


def positive(value: object, what: str) -> float:
    """A finite number > 0."""
    v = number(value, what)
    if not np.isfinite(v) or v <= 0:
        raise PlanInputError(f"{what} must be a finite number > 0, got {value!r}")
    return v


def nonneg_vector(v: Array, codes: Sequence[str], what: str) -> Array:
    """``v`` (one entry per code) where every entry is finite and ≥ 0."""
    bad = np.flatnonzero(~np.isfinite(v) | (v < 0))
    if len(bad):
        raise PlanInputError(
            f"{what} must be finite and ≥ 0; it is not for "
            + ", ".join(f"{codes[i]} ({v[i]:.3g})" for i in bad[:5])
        )
    return v


def count(value: int, what: str) -> int:
    """A whole number ≥ 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise PlanInputError(f"{what} must be a whole number ≥ 1, got {value!r}")
    return int(value)


def amount(value: float | str, what: str, today: Callable[[], float]) -> float:
    """A cap: a number ≥ 0, or ``"x%"`` of what is used today (``today()``, asked only then)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise PlanInputError(f"{what}: {value!r} is not a percentage") from None
        return nonneg(share, what) * today()
    return nonneg(value, what)


def current_use(economy: Economy, name: str) -> float:
    """What the economy uses of ``"labour"`` or a resource today: at its observed activity (each
    process's, or an input-output table's gross output) — never at a technique of our choosing."""
    activity = economy.observed_activity
    if activity is None:
        why = (
            "no gross output"
            if economy.single_technique
            else "several techniques for some products and no observed activity per process"
        )
        raise PlanInputError(
            f"economy {economy.name!r} has {why}, so today's use of {name!r} is not known and a "
            "cap relative to it cannot be computed; give the cap as an amount"
            + ("" if economy.single_technique else " (a supply-use table gives the activity)")
        )
    return float(economy.direct(name) @ activity)


def input_index(e: Economy, name: str) -> int:
    """The row of input ``name`` (labour, then the resources) that a cap names."""
    inputs = e.input_names
    if name not in inputs:
        raise UnknownNameError(
            f"cap on {name!r}: economy {e.name!r} has no such input; it has: "
            f"{', '.join(inputs) or 'none'}"
        )
    return inputs.index(name)


def input_matrix(e: Economy) -> Array:
    """C (k × m): each input (labour, then the resources) per unit of each process's activity."""
    inputs = e.input_names
    return np.vstack([e.direct(name) for name in inputs]) if inputs else np.zeros((0, e.m))


def minimised_input(e: Economy, objective: str, objectives: Sequence[str]) -> str | None:
    """The input a ``min_<input>`` objective minimises, ``None`` for another of ``objectives``;
    :class:`PlanInputError` for an objective that is neither, or an input the economy lacks."""
    if objective.startswith("min_"):
        name = objective[4:]
        if name not in e.input_names:
            raise PlanInputError(
                f"objective {objective!r}: economy {e.name!r} has no input {name!r}; it has: "
                f"{', '.join(e.input_names) or 'none'}"
            )
        return name
    if objective not in objectives:
        raise PlanInputError(
            f"objective must be one of {', '.join(objectives)} or 'min_<resource>'; "
            f"got {objective!r}"
        )
    return None


def capacities(e: Economy, given: Mapping[str, Any], default: Array) -> Array:
    """A capacity per process: ``default`` where ``given`` ({process: amount ≥ 0}) names none."""
    out = default.copy()
    index = {code: k for k, code in enumerate(e.processes)} if given else {}
    for code, value in given.items():
        if code not in index:
            raise UnknownNameError(f"capacity of {code!r}: economy {e.name!r} has no such process")
        out[index[code]] = nonneg(value, f"capacity of process {code!r}")
    return out


def product_amounts(e: Economy, v: Any, what: str) -> Array:
    """A non-negative vector over the products from a name, a mapping or an array."""
    if isinstance(v, Mapping):
        unknown = [str(k) for k in v if str(k) not in e._index]
        if unknown:
            raise UnknownNameError(
                f"{what}: economy {e.name!r} has no product(s) {', '.join(unknown[:5])}"
            )
    try:
        _, arr = e.demand(v)
    except UnknownNameError:
        raise
    except Exception as exc:  # ShapeError / NonFiniteError from the economy's own checks
        raise PlanInputError(f"{what}: {exc}") from exc
    arr = np.array(arr, dtype=np.float64)
    neg = np.flatnonzero(arr < 0)
    if len(neg):
        shown = ", ".join(f"{e.products[i]} ({arr[i]:.3g})" for i in neg[:5])
        raise PlanInputError(
            f"{what} must not be negative; negative for {len(neg)} product(s): {shown}"
        )
    return arr
