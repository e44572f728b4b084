"""Pure numerical functions of input-output planning, named after the symbols of the field.

Nothing here knows about files, storage or the web: arrays in, arrays out.

=============  ==========================================================================
symbol         meaning
=============  ==========================================================================
A              n × n input coefficients: aᵢⱼ units of product i used per unit of product j
B              n × m inputs per unit of activity of each of m processes (techniques)
x              gross output (n), or activity level of each process (m)
y              final demand (n): what is left for consumption, investment, export
l              direct labour per unit of output / activity
λ (``lam``)    embodied labour (or any primary input) per unit of product: λ = l (I − A)⁻¹
ρ(A)           spectral radius; the economy is productive iff ρ(A) < 1
ρ (``rho``)    in equal shares: the price per unit of utility a funded project's supporters pay
=============  ==========================================================================
"""

from commonplan.numerics.leontief import (
    DIRECT_MAX,
    LeontiefSolution,
    Prepared,
    SplitOperator,
    leontief,
    prepare,
    relative_residual,
    split_operator,
)
from commonplan.numerics.mes import (
    EqualSharesResult,
    GreedyResult,
    RecordedTie,
    equal_shares,
    greedy_by_votes,
)
from commonplan.numerics.productivity import Block, spectral_radius, unproductive_blocks
from commonplan.numerics.techniques import cheapest_techniques

__all__ = [
    "DIRECT_MAX",
    "Block",
    "EqualSharesResult",
    "GreedyResult",
    "LeontiefSolution",
    "Prepared",
    "RecordedTie",
    "SplitOperator",
    "cheapest_techniques",
    "equal_shares",
    "greedy_by_votes",
    "leontief",
    "prepare",
    "relative_residual",
    "spectral_radius",
    "split_operator",
    "unproductive_blocks",
]
