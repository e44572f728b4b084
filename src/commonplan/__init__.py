"""commonplan — democratic economic planning from real input-output data.

The public API::

    import commonplan as cp
    economy = cp.read_economy("path/to/table")           # or cp.demo_economy()
    plan = cp.balance(economy)                           # x, λ, totals
    co2 = cp.embodied(economy, "co2")                    # CO2 per unit of each product
    best = cp.optimize(economy, caps={"labour": "100%", "co2": "70%"})  # Kantorovich's plan
    db = cp.Database("nordic.db")     # councils, rounds and ballots: commonplan.federation, .rounds
"""

from commonplan.balance import BalanceResult, balance, embodied
from commonplan.capital import (
    Capital,
    capital_from_coefficients,
    derive_capital,
    sector_groups,
)
from commonplan.economy import LABOUR, Economy
from commonplan.errors import (
    AuthorisationError,
    BallotRefusedError,
    CommonplanError,
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
    ShapeError,
    SolverError,
    TieError,
    UnknownNameError,
    VotingError,
)
from commonplan.io import demo_economy, from_pymrio, read_economy
from commonplan.numerics.mes import equal_shares, greedy_by_votes
from commonplan.optimize import (
    Diagnosis,
    OptimizeResult,
    Relaxation,
    TargetGroup,
    current_use,
    optimize,
)
from commonplan.store import Database
from commonplan.synthetic import synthetic_economy, write_economy
from commonplan.tally import approval_ratification, consent, schulze
from commonplan.years import Comparison, YearsResult, compare, plan_years

__version__ = "0.1.0"

__all__ = [
    "LABOUR",
    "AuthorisationError",
    "BalanceResult",
    "BallotRefusedError",
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
