"""commonplan — democratic economic planning from real input-output data.

The public API::

    import commonplan as cp
    economy = cp.read_economy("path/to/table")           # or cp.demo_economy()
    plan = cp.balance(economy)                           # x, λ, totals
    co2 = cp.embodied(economy, "co2")                    # CO2 per unit of each product
    best = cp.optimize(economy, caps={"labour": "100%", "co2": "70%"})  # Kantorovich's plan
    db = cp.Database("nordic.db")     # councils, rounds and ballots: commonplan.federation, .rounds

Importing commonplan is cheap: the errors load at once, everything else (numpy, scipy, numba,
SQLAlchemy …) when a name is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commonplan import errors
from commonplan._lazy import lazy
from commonplan.errors import *  # noqa: F403 (the exception tree: errors.__all__)

if TYPE_CHECKING:
    from commonplan.economy.io import demo_economy, from_pymrio, read_economy
    from commonplan.economy.model import LABOUR, Economy
    from commonplan.economy.supply_use import SupplyUse, SupplyUseFrames, read_supply_use
    from commonplan.economy.synthetic import synthetic_economy, write_economy
    from commonplan.numerics.mes import equal_shares, greedy_by_votes
    from commonplan.plan.balance import BalanceResult, balance, embodied
    from commonplan.plan.capital import (
        Capital,
        capital_from_coefficients,
        derive_capital,
        sector_groups,
    )
    from commonplan.plan.optimize import (
        Diagnosis,
        OptimizeResult,
        Relaxation,
        TargetGroup,
        current_use,
        optimize,
    )
    from commonplan.plan.years import Comparison, YearsResult, compare, plan_years
    from commonplan.reports.reconcile import Reconciliation, reconcile
    from commonplan.store import Database
    from commonplan.voting.tally import approval_ratification, consent, schulze

__version__ = "0.1.0"

__getattr__, __dir__ = lazy(
    __name__,
    {
        "commonplan.plan.balance": "BalanceResult balance embodied",
        "commonplan.plan.capital": "Capital capital_from_coefficients derive_capital sector_groups",
        "commonplan.economy.model": "LABOUR Economy",
        "commonplan.economy.io": "demo_economy from_pymrio read_economy",
        "commonplan.economy.supply_use": "SupplyUse SupplyUseFrames read_supply_use",
        "commonplan.numerics.mes": "equal_shares greedy_by_votes",
        "commonplan.plan.optimize": "Diagnosis OptimizeResult Relaxation TargetGroup current_use "
        "optimize",
        "commonplan.store": "Database",
        "commonplan.reports.reconcile": "Reconciliation reconcile",
        "commonplan.economy.synthetic": "synthetic_economy write_economy",
        "commonplan.voting.tally": "approval_ratification consent schulze",
        "commonplan.plan.years": "Comparison YearsResult compare plan_years",
    },
)
"""Public names: each module is imported when one of its names is first used."""

__all__ = [
    "LABOUR",
    "BalanceResult",
    "Capital",
    "Comparison",
    "Database",
    "Diagnosis",
    "Economy",
    "OptimizeResult",
    "Reconciliation",
    "Relaxation",
    "SupplyUse",
    "SupplyUseFrames",
    "TargetGroup",
    "YearsResult",
    "__version__",
    "approval_ratification",
    "balance",
    "capital_from_coefficients",
    "compare",
    "consent",
    "current_use",
    "demo_economy",
    "derive_capital",
    "embodied",
    "equal_shares",
    "from_pymrio",
    "greedy_by_votes",
    "optimize",
    "plan_years",
    "read_economy",
    "read_supply_use",
    "reconcile",
    "schulze",
    "sector_groups",
    "synthetic_economy",
    "write_economy",
]
__all__ += errors.__all__
