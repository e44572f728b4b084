"""commonplan — democratic economic planning from real input-output data.

The public API::

    import commonplan as cp
    economy = cp.read_economy("path/to/table")           # or cp.demo_economy()
    plan = cp.balance(economy)                           # x, λ, totals
    co2 = cp.embodied(economy, "co2")                    # CO2 per unit of each product
    best = cp.optimize(economy, caps={"labour": "100%", "co2": "70%"})  # Kantorovich's plan
"""

from commonplan.balance import BalanceResult, balance, embodied
from commonplan.economy import LABOUR, Economy
from commonplan.errors import (
    CommonplanError,
    DataError,
    FormatError,
    MissingExtraError,
    NegativeCoefficientError,
    NonFiniteError,
    NotProductiveError,
    PlanInputError,
    ShapeError,
    SolverError,
    UnknownNameError,
)
from commonplan.io import demo_economy, from_pymrio, read_economy
from commonplan.optimize import (
    Diagnosis,
    OptimizeResult,
    Relaxation,
    TargetGroup,
    current_use,
    optimize,
)
from commonplan.synthetic import synthetic_economy, write_economy

__version__ = "0.1.0"

__all__ = [
    "LABOUR",
    "BalanceResult",
    "CommonplanError",
    "DataError",
    "Diagnosis",
    "Economy",
    "FormatError",
    "MissingExtraError",
    "NegativeCoefficientError",
    "NonFiniteError",
    "NotProductiveError",
    "OptimizeResult",
    "PlanInputError",
    "Relaxation",
    "ShapeError",
    "SolverError",
    "TargetGroup",
    "UnknownNameError",
    "__version__",
    "balance",
    "current_use",
    "demo_economy",
    "embodied",
    "from_pymrio",
    "optimize",
    "read_economy",
    "synthetic_economy",
    "write_economy",
]
