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

import importlib
from typing import TYPE_CHECKING, Any

from commonplan.errors import (
    AuthenticationError,
    AuthorisationError,
    BallotRefusedError,
    CommonplanError,
    CSRFError,
    DataError,
    FloorError,
    FormatError,
    IntegrityError,
    MissingExtraError,
    NegativeCoefficientError,
    NonFiniteError,
    NotFoundError,
    NotProductiveError,
    PhaseError,
    PlanInputError,
    PlanningError,
    RateLimitedError,
    ShapeError,
    SolverError,
    TieError,
    UnknownNameError,
    VotingError,
)

if TYPE_CHECKING:
    from commonplan.economy.io import demo_economy, from_pymrio, read_economy
    from commonplan.economy.model import LABOUR, Economy
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
    from commonplan.store import Database
    from commonplan.voting.tally import approval_ratification, consent, schulze

__version__ = "0.1.0"

_LAZY = {
    "BalanceResult": "commonplan.plan.balance",
    "balance": "commonplan.plan.balance",
    "embodied": "commonplan.plan.balance",
    "Capital": "commonplan.plan.capital",
    "capital_from_coefficients": "commonplan.plan.capital",
    "derive_capital": "commonplan.plan.capital",
    "sector_groups": "commonplan.plan.capital",
    "LABOUR": "commonplan.economy.model",
    "Economy": "commonplan.economy.model",
    "demo_economy": "commonplan.economy.io",
    "from_pymrio": "commonplan.economy.io",
    "read_economy": "commonplan.economy.io",
    "equal_shares": "commonplan.numerics.mes",
    "greedy_by_votes": "commonplan.numerics.mes",
    "Diagnosis": "commonplan.plan.optimize",
    "OptimizeResult": "commonplan.plan.optimize",
    "Relaxation": "commonplan.plan.optimize",
    "TargetGroup": "commonplan.plan.optimize",
    "current_use": "commonplan.plan.optimize",
    "optimize": "commonplan.plan.optimize",
    "Database": "commonplan.store",
    "synthetic_economy": "commonplan.economy.synthetic",
    "write_economy": "commonplan.economy.synthetic",
    "approval_ratification": "commonplan.voting.tally",
    "consent": "commonplan.voting.tally",
    "schulze": "commonplan.voting.tally",
    "Comparison": "commonplan.plan.years",
    "YearsResult": "commonplan.plan.years",
    "compare": "commonplan.plan.years",
    "plan_years": "commonplan.plan.years",
}
"""Public name → the module that defines it, imported on first use."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'commonplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "LABOUR",
    "AuthenticationError",
    "AuthorisationError",
    "BalanceResult",
    "BallotRefusedError",
    "CSRFError",
    "Capital",
    "CommonplanError",
    "Comparison",
    "DataError",
    "Database",
    "Diagnosis",
    "Economy",
    "FloorError",
    "FormatError",
    "IntegrityError",
    "MissingExtraError",
    "NegativeCoefficientError",
    "NonFiniteError",
    "NotFoundError",
    "NotProductiveError",
    "OptimizeResult",
    "PhaseError",
    "PlanInputError",
    "PlanningError",
    "RateLimitedError",
    "Relaxation",
    "ShapeError",
    "SolverError",
    "TargetGroup",
    "TieError",
    "UnknownNameError",
    "VotingError",
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
    "schulze",
    "sector_groups",
    "synthetic_economy",
    "write_economy",
]
