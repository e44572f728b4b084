"""Balanced plans: what a final demand needs, and what each product embodies.

    (I − A) x = y            gross output x for final demand y
    λ = l (I − A)⁻¹          labour embodied per unit (and the same for every resource)
    λ y = l x                total labour, counted from either side

A is the economy's chosen techniques (:attr:`commonplan.Economy.techniques`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from commonplan.economy.model import LABOUR, Economy
from commonplan.numerics import leontief
from commonplan.numerics.types import Array
from commonplan.progress import OnProgress, Steps

__all__ = ["BalanceResult", "balance", "embodied"]


@dataclass(frozen=True)
class BalanceResult:
    """A balanced plan for one final demand.

    ``gross_output`` (x), ``labour_values`` (λ, ``None`` without a labour row) and each entry of
    ``embodied`` are arrays over the economy's products; ``totals`` holds labour and every
    resource used in all (l x), ``residual`` the largest relative residual reached.
    """

    economy: Economy
    demand_name: str
    final_demand: Array
    gross_output: Array
    labour_values: Array | None
    total_labour: float | None
    embodied: Mapping[str, Array]
    totals: Mapping[str, float]
    residual: float
    method: str
    iterations: int
    rtol: float
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        """One line: the demand, the size and the totals (not every product's numbers)."""
        totals = ", ".join(f"{k} {v:,.6g}" for k, v in self.totals.items())
        return (
            f"BalanceResult({self.economy.name!r}, demand {self.demand_name!r}: "
            f"{len(self.gross_output):,} products; {totals}; residual {self.residual:.2g})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: maps from product code to number, plus totals and how it was solved."""
        codes = self.economy.products

        def by_code(v: Array) -> dict[str, float]:
            return dict(zip(codes, v.tolist(), strict=True))

        return {
            "economy": self.economy.name,
            "final_demand_name": self.demand_name,
            "gross_output": by_code(self.gross_output),
            "labour_values": None if self.labour_values is None else by_code(self.labour_values),
            "total_labour": self.total_labour,
            "embodied": {k: by_code(v) for k, v in self.embodied.items() if k != LABOUR},
            "totals": dict(self.totals),
            "units": dict(self.economy.units),
            "residual": self.residual,
            "method": self.method,
            "iterations": self.iterations,
            "rtol": self.rtol,
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per product: name, final demand, gross output, embodied labour and resources."""
        e = self.economy
        cols: dict[str, Any] = {
            "name": e.names,
            "final_demand": self.final_demand,
            "gross_output": self.gross_output,
        }
        for k, v in self.embodied.items():
            cols[f"{k}_per_unit"] = v
        return pd.DataFrame(cols, index=pd.Index(e.products, name="product"))


def balance(
    economy: Economy,
    final_demand: str | ArrayLike | Mapping[str, float] | None = None,
    *,
    method: str = "auto",
    rtol: float = 1e-10,
    on_progress: OnProgress | None = None,
) -> BalanceResult:
    """Gross output, embodied labour and resources, and totals for a final demand.

    ``final_demand`` is the name of one of ``economy.final_demand`` (default: the first), a vector
    over products, or a mapping {product code: amount}.  ``method`` is passed to
    :func:`commonplan.numerics.leontief`: ``"auto"``, ``"direct"`` or ``"gauss-seidel"``.
    ``on_progress(fraction, step)`` is told how far it has got (see :mod:`commonplan.progress`):
    on a large economy the first solve puts the products in supply-chain order, most of its time.
    """
    name, y = economy.demand(final_demand)
    keys, L = _direct_matrix(economy)
    steps = Steps(on_progress, [("ordering the supply chains", 4.0), ("solving", 1.0)])
    steps.begin("ordering the supply chains")
    ops = _ops(economy, method)
    steps.begin("solving")
    sol = leontief(economy.A, y=y, l=L, method=method, rtol=rtol, **ops)
    steps.finish()
    assert sol.x is not None
    x = sol.x
    lam = {} if sol.lam is None else dict(zip(keys, sol.lam, strict=True))
    totals = {} if L is None else {k: float(L[i] @ x) for i, k in enumerate(keys)}
    notes = list(economy.notes)
    if (x < 0).any():
        notes.append(
            f"gross output is negative for {int((x < 0).sum())} product(s): the final "
            "demand asks for less than nothing of them (negative entries)"
        )
    return BalanceResult(
        economy=economy,
        demand_name=name,
        final_demand=y,
        gross_output=x,
        labour_values=lam.get(LABOUR),
        total_labour=totals.get(LABOUR),
        embodied=lam,
        totals=totals,
        residual=sol.residual,
        method=sol.method,
        iterations=sol.iterations,
        rtol=rtol,
        notes=tuple(notes),
    )


def embodied(
    economy: Economy, resource: str = LABOUR, *, method: str = "auto", rtol: float = 1e-10
) -> Array:
    """λ = r (I − A)⁻¹: labour (``"labour"``) or a resource embodied per unit of each product."""
    r = economy.direct(resource)[economy.techniques]
    sol = leontief(economy.A, l=r, method=method, rtol=rtol, **_ops(economy, method))
    assert sol.lam is not None
    return sol.lam


def _direct_matrix(economy: Economy) -> tuple[list[str], Array | None]:
    """Rows of l for labour and every resource, for the chosen techniques: shape (k, n)."""
    keys = ([LABOUR] if economy.labour is not None else []) + list(economy.resources)
    if not keys:
        return keys, None
    return keys, np.vstack([economy.direct(k)[economy.techniques] for k in keys])


def _ops(economy: Economy, method: str) -> dict[str, Any]:
    """Reuse the economy's cached split operators when the iterative method will run."""
    from commonplan.numerics import DIRECT_MAX

    if method == "gauss-seidel" or (method == "auto" and economy.n > DIRECT_MAX):
        return {"prepared": economy.prepared}
    return {}
