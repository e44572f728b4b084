"""Plans: what an economy must produce, what it costs, and the best plan within its limits.

- :mod:`~commonplan.plan.balance` — the balanced plan (I − A) x = y and embodied inputs λ;
- :mod:`~commonplan.plan.inputs` — what a plan is asked for (:class:`TargetGroup`) and the
  readers of targets and amounts from CSV files;
- :mod:`~commonplan.plan.optimize` — Kantorovich's optimal plan under caps, floors and
  capacities; :mod:`~commonplan.plan.result` what it returns, :mod:`~commonplan.plan.diagnose`
  why a plan cannot hold; :mod:`~commonplan.plan._checks` the input checks it shares with years;
- :mod:`~commonplan.plan.capital`, :mod:`~commonplan.plan.years` — capital stocks and
  multi-year plans that invest in capacity; :mod:`~commonplan.plan.charts` draws them.

The public names of these modules are re-exported here and load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "BalanceResult": "balance",
    "embodied": "balance",
    "TargetGroup": "inputs",
    "read_amounts": "inputs",
    "read_targets": "inputs",
    "Diagnosis": "result",
    "OptimizeResult": "result",
    "Relaxation": "result",
    "current_use": "_checks",
    "Capital": "capital",
    "capital_from_coefficients": "capital",
    "derive_capital": "capital",
    "sector_groups": "capital",
    "Comparison": "years",
    "YearsResult": "years",
    "compare": "years",
    "plan_years": "years",
}
"""Public name → its module, imported on first use.  The functions ``optimize`` and ``balance``
share their modules' names: take them from :mod:`commonplan` or from their modules."""

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
