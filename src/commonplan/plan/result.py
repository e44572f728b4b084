"""What :func:`~commonplan.plan.optimize.optimize` returns: :class:`OptimizeResult`, and
when a plan cannot hold its :class:`Diagnosis` with the cheapest :class:`Relaxation` s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from commonplan.economy.model import LABOUR
from commonplan.errors import PlanInputError
from commonplan.numerics.lp import OPTIMAL
from commonplan.numerics.types import Array

__all__ = ["Diagnosis", "OptimizeResult", "Relaxation", "json_number"]


@dataclass(frozen=True)
class Relaxation:
    """One way out of an infeasible plan: change one cap or floor (or all) by ``change``.

    ``kind``: ``"cap"``, ``"caps"`` (all caps and capacities together), ``"floor"``, ``"floors"``
    (all floors and minimum targets together) or ``"capacity"``.  ``change`` is relative: +0.031
    raises a cap by 3.1 %, 0.04 lowers a floor by 4 %.  ``value`` is the new cap or floor.
    """

    kind: str
    name: str
    change: float
    value: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the message (the plan's message holds it)."""
        return {"kind": self.kind, "name": self.name, "change": self.change, "value": self.value}


@dataclass(frozen=True)
class Diagnosis:
    """Why a plan is infeasible, and the cheapest ways out.

    ``caps``, ``floors`` (product codes), ``capacities`` (process codes) and ``targets`` (groups
    whose required minimum takes part) together form a conflicting set: these alone cannot all
    hold.  ``minimal`` says whether dropping any one of them is proven to resolve it.
    ``relaxations`` is sorted, smallest change first.
    """

    message: str
    caps: tuple[str, ...]
    floors: tuple[str, ...]
    capacities: tuple[str, ...]
    targets: tuple[str, ...]
    minimal: bool
    relaxations: tuple[Relaxation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "conflict": {
                "caps": list(self.caps),
                "floors": list(self.floors),
                "capacities": list(self.capacities),
                "targets": list(self.targets),
                "minimal": self.minimal,
            },
            "relaxations": [r.to_dict() for r in self.relaxations],
        }


@dataclass(frozen=True, eq=False)
class OptimizeResult:
    """An optimal plan, or why there is none.

    ``status``: ``"optimal"``, ``"infeasible"``, ``"unbounded"`` or ``"limit"`` (a solver stopped
    before it could certify the optimum; ``gap`` says how far the best bound may be).  Arrays are
    over the economy's processes (``activity``) or products (the rest); where the status gives no
    plan they are ``None``.  ``objective_value`` is Σ weight × fulfilment for the ``max_``
    objectives and the amount of the input minimised for ``min_<input>``.  Shadow prices are in
    units of the objective per unit of the product or input (for ``max_fulfilment``: fulfilment
    per unit); :meth:`prices_in` converts them to labour hours or any other numeraire.
    """

    status: str
    message: str
    objective: str
    objective_value: float
    method: str
    rtol: float
    gap: float
    iterations: int
    seconds: float
    products: tuple[str, ...]
    processes: tuple[str, ...]
    activity: Array | None
    gross_output: Array | None
    net_output: Array | None
    techniques: Mapping[str, str]
    mixed: tuple[str, ...]
    fulfilment: Mapping[str, float]
    use: Mapping[str, float]
    caps: Mapping[str, float]
    shadow_prices: Array | None
    cap_prices: Mapping[str, float]
    capacity_prices: Mapping[str, float]
    binding: tuple[str, ...]
    diagnosis: Diagnosis | None = None
    notes: tuple[str, ...] = ()
    floors: Array | None = field(default=None, repr=False)
    targets: Array | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        """One line: status, objective, fulfilment and size (not every product's numbers)."""
        shown = ", ".join(f"{k} {v:.4g}" for k, v in list(self.fulfilment.items())[:4])
        more = f" (+{len(self.fulfilment) - 4} groups)" if len(self.fulfilment) > 4 else ""
        return (
            f"OptimizeResult({self.status}, {self.objective} {self.objective_value:.6g}; "
            f"fulfilment {shown or 'none'}{more}; {len(self.products):,} products, "
            f"{len(self.processes):,} processes; {self.method}, gap {self.gap:.2g})"
        )

    @property
    def success(self) -> bool:
        return self.status == OPTIMAL

    def prices_in(self, numeraire: str = LABOUR) -> Array:
        """Shadow prices of the products in units of the cap ``numeraire`` (e.g. labour hours).

        Kantorovich's valuations are meaningful up to scale; dividing by the price of a binding
        cap expresses them in that input: hours of work per unit of each product.
        """
        if self.shadow_prices is None:
            raise PlanInputError(f"a plan with status {self.status!r} has no shadow prices")
        price = self.cap_prices.get(numeraire, 0.0)
        if price <= 0:
            raise PlanInputError(
                f"the cap on {numeraire!r} does not bind (its price is zero), so prices cannot "
                f"be expressed in it; binding caps: "
                f"{', '.join(k for k, v in self.cap_prices.items() if v > 0) or 'none'}"
            )
        return self.shadow_prices / price

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: maps from product / process / input names to numbers."""

        def by(codes: Sequence[str], v: Array | None, skip_zero: bool = False) -> dict[str, float]:
            if v is None:
                return {}
            return {c: float(x) for c, x in zip(codes, v, strict=True) if x or not skip_zero}

        return {
            "status": self.status,
            "message": self.message,
            "objective": self.objective,
            "objective_value": json_number(self.objective_value),
            "method": self.method,
            "rtol": self.rtol,
            "gap": json_number(self.gap),
            "iterations": self.iterations,
            "seconds": self.seconds,
            "fulfilment": dict(self.fulfilment),
            "activity": by(self.processes, self.activity, skip_zero=True),
            "gross_output": by(self.products, self.gross_output),
            "net_output": by(self.products, self.net_output),
            "techniques": dict(self.techniques),
            "mixed": list(self.mixed),
            "use": dict(self.use),
            "caps": dict(self.caps),
            "shadow_prices": {
                "products": by(self.products, self.shadow_prices),
                "caps": dict(self.cap_prices),
                "capacities": dict(self.capacity_prices),
            },
            "binding": list(self.binding),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
            "notes": list(self.notes),
        }


def json_number(v: float) -> float | str:
    """A number for JSON: itself where finite, else ``"inf"``, ``"-inf"`` or ``"nan"``."""
    v = float(v)
    return v if np.isfinite(v) else ("inf" if v > 0 else ("-inf" if v < 0 else "nan"))
