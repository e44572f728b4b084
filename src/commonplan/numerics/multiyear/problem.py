"""The T-period plan: capacity, investment and capital as a linear programme, and three ways
to solve it.

Periods t = 0 … T−1 (the plan's years 1 … T), n products, m processes, r asset types.

Capital.  Process k can run at most at its capacity K_t,k (activity per year).  A unit of
capacity of process k needs a stock of capital goods, the capital coefficients
Kc = S Q (n × m): Q (r × m) is the capital of each asset type per unit of capacity and S (n × r)
the products each asset type is made of (columns summing to one; with r = 1, Kc = s κᵀ, the
rank-one capital matrix of :mod:`commonplan.plan.capital`; a full Kc is S = I, Q = Kc).  New
capacity N_t,k is started in year t with capital goods Kc N_t set aside from year t's output and
runs from year t + ℓ (the lag ℓ ≥ 1).  Capacity wears out at the rate δ_k per year::

    K_{t+1} = (1 − δ) ∘ K_t + N_{t+1−ℓ}                  capacity (stock-flow, exact)
    S_t     = Kc K_t                                      capital stock by product (n)
    S_{t+1} = S_t − Kc (δ ∘ K_t) + Kc N_{t+1−ℓ}           capital − depreciation + investment

with K_0 given and, for the years 1 … ℓ−1 before the first new capacity can arrive, capacity
started before the plan (``pipeline``, default δ ∘ K_0: replacement under way).  Unrolled,
K_t = K⁰_t + Σ_{s ≤ t−ℓ} (1 − δ)^{t−ℓ−s} ∘ N_s with K⁰_t what is inherited.  Only the
investments N_0 … N_{T−ℓ} arrive within the plan (at the latest as the end capacity K_T); later
ones would be output set aside for nothing, so there are T_N = T + 1 − ℓ investment years.

Each year (B_t = β_t B and C_t = diag(γ_t) C: technical progress as factors per year)::

    (M − B_t) z_t ≥ f_t + c_t Y_t + S J_t        net output: floors, consumption, investment
    0 ≤ z_t ≤ K_t                                 activity within capacity
    Q N_t ≤ J_t,   J_t ≥ 0 (J_t = 0 for t ≥ T_N)  capital goods set aside cover the new capacity
    C_t z_t ≤ cap_t                               labour hours, CO2, … of year t
    c_lo,t ≤ c_t ≤ c_hi,t                         consumption fulfilment of the bundle Y_t
    K_T ≥ K_end                                   end-of-plan capacity (not run down)

Objectives: ``"max_min"`` maximises min_t c_t (Kantorovich's common fulfilment, year by year),
then, holding that minimum, Σ_t β^t c_t (lexicographic: a second solve); ``"discounted"``
maximises Σ_t β^t c_t; ``"min_input"`` minimises Σ_t φ·C_t z_t (labour for end-of-plan targets
given as c_lo).  Strategies add rows on the investment mix, with v_k = Σ_ρ Q_ρk the capital per
unit of capacity of process k and g the processes of the capital-goods sector group::

    "heavy-industry-first"  Σ_k g_k v_k N_t,k = λ Σ_k v_k N_t,k   Feldman–Mahalanobis λ_K
    "balanced"              N_t = δ ∘ K_t + α_t K_0,  α_t ≥ 0    every capacity grows alike
    "consumption-first"     N_t = δ ∘ K_t                         replacement: no net growth
    "optimal"               no rows                               the LP chooses the mix

The forms that solve it: :mod:`~commonplan.numerics.multiyear.forms` (``"full"``,
``"condensed"``) and :mod:`~commonplan.numerics.multiyear.projected`; :func:`solve_years`
(:mod:`~commonplan.numerics.multiyear.driver`) chooses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import PlanInputError
from commonplan.numerics.types import Array, ProblemArrays

__all__ = [
    "FORMS",
    "INFEASIBLE_MESSAGE",
    "OBJECTIVES",
    "STRATEGIES",
    "UNBOUNDED_MESSAGE",
    "YearsProblem",
    "YearsSolution",
    "capacity_path",
    "objective_value",
]

OBJECTIVES = ("max_min", "discounted", "min_input")
"""Objectives of :class:`YearsProblem` (``min_input``: the inputs weighted by ``phi``)."""
STRATEGIES = ("optimal", "heavy-industry-first", "balanced", "consumption-first")
"""Investment rules, named as planners name them (the rows each adds: module docstring)."""
FORMS = ("auto", "projected", "condensed", "full")
"""The forms :func:`~commonplan.numerics.multiyear.driver.solve_years` can solve in."""
LEX_SLACK = 1e-9
"""Phase 2 of ``max_min`` keeps min_t c_t ≥ (1 − LEX_SLACK) × the phase-1 optimum."""

INFEASIBLE_MESSAGE = (
    "infeasible: the floors, consumption minimums, caps and end capacity cannot all hold in "
    "every year with the capacity that investment can build"
)
UNBOUNDED_MESSAGE = "unbounded: nothing limits consumption — cap labour or give capacities"


@dataclass(frozen=True, eq=False)
class YearsProblem(ProblemArrays):
    """The arrays of the T-period plan (module docstring).  T years, k primary inputs.

    Per-year arrays have the year first: ``f``, ``Y`` (T × n), ``cap``, ``gamma`` (T × k),
    ``beta``, ``c_lo``, ``c_hi`` (T).
    """

    B: sp.csc_array  # n × m inputs per unit of activity (base year)
    makes: NDArray[np.intp]  # m
    choice: NDArray[np.intp]  # n: the process of each product in the condensed form
    S: sp.csc_array  # n × r: products each asset type is made of
    Q: sp.csr_array  # r × m: capital of each asset type per unit of capacity
    delta: Array  # m: depreciation per year
    lag: int  # ℓ ≥ 1
    K0: Array  # m: capacity in year 0
    pipeline: Array  # (ℓ − 1) × m: capacity arriving in years 1 … ℓ−1 (started before the plan)
    C: Array  # k × m primary inputs per unit of activity (base year)
    cap: Array  # T × k (inf: none)
    f: Array  # T × n floors
    Y: Array  # T × n consumption bundle: c_t = 1 is all of it
    beta: Array  # T: B_t = beta_t B
    gamma: Array  # T × k: C_t = diag(gamma_t) C
    K_end: Array  # m: least capacity at the end (K_T)
    objective: str = "max_min"
    discount: float = 1.0  # β of Σ β^t c_t
    phi: Array = field(default_factory=lambda: np.zeros(0))  # k: weights of min_input
    c_lo: Array = field(default_factory=lambda: np.zeros(0))  # T
    c_hi: Array = field(default_factory=lambda: np.zeros(0))  # T (inf: none)
    strategy: str = "optimal"
    share: float = 0.0  # λ of "heavy-industry-first"
    group: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))  # m

    @property
    def T(self) -> int:
        return int(self.f.shape[0])

    @property
    def r(self) -> int:
        return int(self.S.shape[1])

    @property
    def T_N(self) -> int:
        """Investment years that pay off within the plan: N_0 … N_{T−ℓ}."""
        return max(self.T + 1 - self.lag, 0)

    @property
    def single_technique(self) -> bool:
        return self.m == self.n and bool(np.array_equal(np.sort(self.makes), np.arange(self.n)))

    def inherited(self) -> Array:
        """K⁰_t ((T + 1) × m): capacity from K_0 and the pipeline alone, no new investment."""
        keep = 1.0 - self.delta
        out = np.empty((self.T + 1, self.m))
        out[0] = self.K0
        for t in range(1, self.T + 1):
            arriving = self.pipeline[t - 1] if t < self.lag else 0.0
            out[t] = keep * out[t - 1] + arriving
        return out

    def validate(self) -> None:
        """Shapes and signs; a :class:`PlanInputError` names the array at fault."""
        T, n, m, k, r = self.T, self.n, self.m, self.k, self.r
        want = {
            "f": (T, n),
            "Y": (T, n),
            "cap": (T, k),
            "gamma": (T, k),
            "beta": (T,),
            "c_lo": (T,),
            "c_hi": (T,),
            "K0": (m,),
            "delta": (m,),
            "K_end": (m,),
            "phi": (k,),
            "group": (m,),
            "pipeline": (max(self.lag - 1, 0), m),
            "choice": (n,),
        }
        for name, shape in want.items():
            got = np.shape(getattr(self, name))
            if got != shape:
                raise PlanInputError(f"{name} has shape {got}, expected {shape}")
        if self.S.shape != (n, r) or self.Q.shape != (r, m):
            raise PlanInputError(f"S is {self.S.shape} and Q {self.Q.shape}: need n × r, r × m")
        if T < 1 or self.lag < 1:
            raise PlanInputError(f"need at least one year and a lag ≥ 1 (T={T}, lag={self.lag})")
        if self.objective not in OBJECTIVES:
            raise PlanInputError(f"objective must be one of {', '.join(OBJECTIVES)}")
        if self.strategy not in STRATEGIES:
            raise PlanInputError(f"strategy must be one of {', '.join(STRATEGIES)}")
        if ((self.delta < 0) | (self.delta > 1)).any():
            raise PlanInputError("depreciation rates must lie in [0, 1]")


@dataclass(frozen=True, eq=False)
class YearsSolution:
    """What the solver found; arrays ``None`` where the status gives no plan.

    ``z`` (T × m) activity, ``c`` (T) consumption fulfilment, ``J`` (T × r) capital goods set
    aside by asset type, ``N`` (T × m) new capacity started (zero from year T_N on), ``K``
    ((T + 1) × m) capacity, ``pi`` (T × k) the price of each year's cap in units of the
    objective (0 where uncapped).
    """

    status: str
    message: str
    method: str
    z: Array | None = None
    c: Array | None = None
    J: Array | None = None
    N: Array | None = None
    K: Array | None = None
    pi: Array | None = None
    objective: float = float("nan")
    iterations: int = 0
    seconds: float = 0.0
    info: dict[str, float] = field(default_factory=dict)


def capacity_path(problem: YearsProblem, N: Array) -> Array:
    """K ((T + 1) × m) from K_0, the pipeline and new capacity N (T × m): the stock-flow rule
    K_{t+1} = (1 − δ) ∘ K_t + N_{t+1−ℓ} (pipeline for t + 1 < ℓ)."""
    P = problem
    K = np.empty((P.T + 1, P.m))
    K[0] = P.K0
    for t in range(1, P.T + 1):
        arriving = P.pipeline[t - 1] if t < P.lag else N[t - P.lag]
        K[t] = (1.0 - P.delta) * K[t - 1] + arriving
    return K


def objective_value(P: YearsProblem, z: Array, c: Array) -> float:
    if P.objective == "max_min":
        return float(c.min())
    if P.objective == "discounted":
        return float((P.discount ** np.arange(P.T)) @ c)
    return float(sum((P.phi * P.gamma[t]) @ (P.C @ z[t]) for t in range(P.T)))
