"""The T-period plan: capacity, investment and capital as a linear programme, and three ways
to solve it.

Periods t = 0 … T−1 (the plan's years 1 … T), n products, m processes, r asset types.

Capital.  Process k can run at most at its capacity K_t,k (activity per year).  A unit of
capacity of process k needs a stock of capital goods, the capital coefficients
Kc = S Q (n × m): Q (r × m) is the capital of each asset type per unit of capacity and S (n × r)
the products each asset type is made of (columns summing to one; with r = 1, Kc = s κᵀ, the
rank-one capital matrix of :mod:`commonplan.capital`; a full Kc is S = I, Q = Kc).  New capacity
N_t,k is started in year t with capital goods Kc N_t set aside from year t's output and runs from
year t + ℓ (the lag ℓ ≥ 1).  Capacity wears out at the rate δ_k per year::

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

    "share"        Σ_k g_k v_k N_t,k = λ Σ_k v_k N_t,k          Feldman–Mahalanobis λ_K
    "balanced"     N_t = δ ∘ K_t + α_t K_0,  α_t ≥ 0             every capacity grows alike
    "replacement"  N_t = δ ∘ K_t                                  consumption first: no net growth
    "optimal"      no rows                                        the LP chooses the mix

Three forms of the same LP (HiGHS via highspy throughout, no modelling layer):

``"full"``
    The LP above with z_t, c_t, J_t, N_t as columns: T blocks of the single-period plan
    (n balance rows each) coupled by the capacity rows.  Any economy.
``"condensed"``
    For one technique per product (B_t square, A_t = β_t A, the Leontief inverse L_t ≥ 0),
    a plan that makes more than f_t + c_t Y_t + S J_t can make less — z ≥ L_t s for any surplus
    s ≥ 0 — and still meet every constraint (capacities, caps are upper bounds).  So the balance
    rows hold with equality, z_t is affine in the year's few aggregates::

        z_t = a_t + b_t c_t + W_t J_t,    a_t = L_t f_t,  b_t = L_t Y_t,  W_t = L_t S

    and the n balance rows and m activity columns of every year leave the LP: what remains is
    one capacity row per (year, process) with 2 + r + t entries, the cap rows
    (C_t b_t) c_t + (C_t W_t) J_t ≤ cap_t − C_t a_t, and the N_t.  (2 + r) Leontief solves per
    distinct β_t build it; rows whose process can never be short (no consumption, no
    investment goods in its supply chain, floors within inherited capacity) are dropped.
    Exact for one technique per product only (``choice`` fixes each product's process).
    Solved whole by HiGHS: its c_t and J_t columns are dense (one entry per process), which
    makes it slow beyond a few thousand products (measured: 207 s with the interior point and
    443 s with the simplex for 10⁴ products and 5 years).
``"projected"``
    The condensed LP projected onto the aggregates θ = (c_t, J_t, …), 2T to 4T numbers, and
    solved by cutting planes: a tiny master LP over θ and, for each θ̂, one pass over the
    processes that finds the violated constraints (see :func:`_solve_projected`).  Exact where
    it applies (:func:`projectable`): one technique per product and, for ``"optimal"`` and
    ``"share"``, one asset type and one depreciation rate, so that capital goods are
    interchangeable between processes.  This is the block structure the speed comes from: the
    work per round is O(T² m) array operations, and a few dozen rounds suffice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import PlanInputError, SolverError
from commonplan.numerics.leontief import Prepared, SplitOperator, leontief
from commonplan.numerics.lp import INFEASIBLE, LIMIT, OPTIMAL, UNBOUNDED, quiet_highs
from commonplan.numerics.techniques import makes_matrix, square_matrix

__all__ = [
    "FORMS",
    "OBJECTIVES",
    "STRATEGIES",
    "YearsProblem",
    "YearsSolution",
    "capacity_path",
    "solve_years",
]

Array = NDArray[np.float64]

OBJECTIVES = ("max_min", "discounted", "min_input")
STRATEGIES = ("optimal", "share", "balanced", "replacement")
FORMS = ("auto", "projected", "condensed", "full")
HIGHS_ALGORITHMS = {"choose": "choose", "simplex": "simplex", "ipm": "ipm"}
MASTER_TOLERANCE = 1e-10
"""HiGHS's feasibility tolerances on the projected form's (scaled) master LP: well inside the
relative violation at which cutting stops, so a cut once added holds."""
LEX_SLACK = 1e-9
"""Phase 2 of ``max_min`` keeps min_t c_t ≥ (1 − LEX_SLACK) × the phase-1 optimum."""


@dataclass(frozen=True, eq=False)
class YearsProblem:
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
    share: float = 0.0  # λ of "share"
    group: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))  # m

    @property
    def T(self) -> int:
        return int(self.f.shape[0])

    @property
    def n(self) -> int:
        return int(self.B.shape[0])

    @property
    def m(self) -> int:
        return int(self.B.shape[1])

    @property
    def k(self) -> int:
        return int(self.C.shape[0])

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

    def with_(self, **changes: object) -> YearsProblem:
        return replace(self, **changes)  # type: ignore[arg-type]

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


# ---------------------------------------------------------------------- the LP builder


class _LP:
    """Columns and rows added block by block (COO); ``matrix`` assembles the CSC matrix."""

    def __init__(self) -> None:
        self.ncol = 0
        self.cost: list[Array] = []
        self.lo: list[Array] = []
        self.hi: list[Array] = []
        self.nrow = 0
        self.rows: list[NDArray[np.int64]] = []
        self.cols: list[NDArray[np.int64]] = []
        self.vals: list[Array] = []
        self.rlo: list[Array] = []
        self.rhi: list[Array] = []

    def columns(
        self,
        count: int,
        cost: float | Array = 0.0,
        lo: float | Array = 0.0,
        hi: float | Array = np.inf,
    ) -> NDArray[np.int64]:
        idx = np.arange(self.ncol, self.ncol + count, dtype=np.int64)
        self.ncol += count
        self.cost.append(np.broadcast_to(np.asarray(cost, float), (count,)).copy())
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (count,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (count,)).copy())
        return idx

    def add_rows(
        self,
        count: int,
        row: NDArray[np.int64],
        col: NDArray[np.int64],
        val: Array,
        lo: float | Array,
        hi: float | Array,
    ) -> NDArray[np.int64]:
        """``count`` rows; ``row`` local (0 … count−1)."""
        first = self.nrow
        self.nrow += count
        self.rows.append(np.asarray(row, np.int64) + first)
        self.cols.append(np.asarray(col, np.int64))
        self.vals.append(np.asarray(val, float))
        self.rlo.append(np.broadcast_to(np.asarray(lo, float), (count,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, float), (count,)).copy())
        return np.arange(first, first + count, dtype=np.int64)

    def matrix(self) -> sp.csc_array:
        cat = np.concatenate
        A = sp.csc_array(
            (cat(self.vals), (cat(self.rows), cat(self.cols))), shape=(self.nrow, self.ncol)
        )
        A.sum_duplicates()
        A.eliminate_zeros()
        A.sort_indices()
        return A

    def arrays(self) -> tuple[Array, Array, Array, Array, Array]:
        cat = np.concatenate
        return cat(self.cost), cat(self.lo), cat(self.hi), cat(self.rlo), cat(self.rhi)


@dataclass
class _Built:
    """An LP built for one formulation, with the column and row indices to read it back."""

    lp: _LP
    c: NDArray[np.int64]  # T
    J: NDArray[np.int64]  # T × r
    N: NDArray[np.int64]  # T_N × (processes with N)
    N_proc: NDArray[np.intp]  # processes that have N columns
    mu: int  # max_min's min level (−1: none)
    cap_rows: dict[tuple[int, int], int]  # (year, input) → row
    read_z: Callable[[Array], Array]  # column values → z (T × m)
    constant: float  # objective constant (min_input, condensed)
    form: str


def _decay(P: YearsProblem, t: int, s: int, procs: NDArray[np.intp]) -> Array:
    """(1 − δ)^{t−ℓ−s} for new capacity started in year s, in year t (s + ℓ ≤ t)."""
    return np.power(1.0 - P.delta[procs], t - P.lag - s)


def _shared(lp: _LP, P: YearsProblem, procs: NDArray[np.intp], K0t: Array) -> dict[str, Any]:
    """Columns c, J, N (for ``procs``) and the rows that do not depend on the form: investment
    use, end capacity, strategy, max-min."""
    T, r, TN, mp = P.T, P.r, P.T_N, len(procs)
    disc: Array = P.discount ** np.arange(T, dtype=np.float64)
    maximise = P.objective != "min_input"
    c_cost: Array = -disc if P.objective == "discounted" else np.zeros(T)
    c = lp.columns(T, c_cost, P.c_lo, P.c_hi)
    J = np.column_stack(
        [lp.columns(r, 0.0, 0.0, np.inf if t < TN else 0.0) for t in range(T)]
    ).T.reshape(T, r)
    N = lp.columns(TN * mp).reshape(TN, mp)
    mu = -1
    if P.objective == "max_min":
        mu = int(lp.columns(1, -1.0, -np.inf, np.inf)[0])
        lp.add_rows(  # c_t − μ ≥ 0
            T,
            np.repeat(np.arange(T), 2),
            np.column_stack([c, np.full(T, mu)]).ravel(),
            np.tile([1.0, -1.0], T),
            0.0,
            np.inf,
        )
    Qp = sp.csc_array(P.Q[:, procs]) if mp else sp.csc_array((r, 0))
    if TN and r:
        # Q N_t − J_t ≤ 0
        Qc = Qp.tocoo()
        for t in range(TN):
            lp.add_rows(
                r,
                np.concatenate([Qc.row, np.arange(r)]),
                np.concatenate([N[t, Qc.col], J[t]]),
                np.concatenate([Qc.data, -np.ones(r)]),
                -np.inf,
                0.0,
            )
    # end capacity: Σ_s (1 − δ)^{T−ℓ−s} N_s,k ≥ K_end,k − K⁰_T,k
    need = P.K_end[procs] - K0t[P.T, procs]
    short = np.flatnonzero(need > 0)
    if len(short) and TN:
        rows = np.tile(np.arange(len(short)), TN)
        cols = np.concatenate([N[s, short] for s in range(TN)])
        vals = np.concatenate([_decay(P, P.T, s, procs[short]) for s in range(TN)])
        lp.add_rows(len(short), rows, cols, vals, need[short], np.inf)
    elif len(short):
        raise PlanInputError(
            "the end-of-plan capacity cannot be reached: the lag leaves no year to invest in"
        )
    _strategy_rows(lp, P, procs, N, K0t, Qp)
    return {"c": c, "J": J, "N": N, "mu": mu, "maximise": maximise}


def _strategy_rows(
    lp: _LP,
    P: YearsProblem,
    procs: NDArray[np.intp],
    N: NDArray[np.int64],
    K0t: Array,
    Qp: sp.csc_array,
) -> None:
    TN, mp = P.T_N, len(procs)
    if P.strategy == "optimal" or not TN:
        return
    if P.strategy == "share":
        v = np.asarray(Qp.sum(axis=0)).ravel()
        coef = (P.group[procs].astype(float) - P.share) * v
        nz = np.flatnonzero(coef)
        for t in range(TN):  # Σ_k (g_k − λ) v_k N_t,k = 0
            lp.add_rows(1, np.zeros(len(nz), np.int64), N[t, nz], coef[nz], 0.0, 0.0)
        return
    # balanced / replacement: N_t,k − δ_k Σ_{s+ℓ≤t} (1−δ_k)^{t−ℓ−s} N_s,k − α_t K_0,k = δ_k K⁰_t,k
    alpha = lp.columns(TN, 0.0, 0.0, np.inf if P.strategy == "balanced" else 0.0)
    d = P.delta[procs]
    local = np.arange(mp)
    for t in range(TN):
        rows = [local]
        cols = [N[t]]
        vals = [np.ones(mp)]
        for s in range(t - P.lag + 1):
            rows.append(local)
            cols.append(N[s])
            vals.append(-d * _decay(P, t, s, procs))
        rows.append(local)
        cols.append(np.full(mp, alpha[t]))
        vals.append(-P.K0[procs])
        rhs = d * K0t[t, procs]
        lp.add_rows(mp, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs)


def _capacity_terms(
    P: YearsProblem, t: int, procs: NDArray[np.intp], N: NDArray[np.int64]
) -> tuple[list[NDArray[np.int64]], list[Array], list[NDArray[np.int64]]]:
    """−Σ_{s+ℓ≤t} (1−δ)^{t−ℓ−s} N_s for each process in ``procs`` (local rows 0 … len−1)."""
    local = np.arange(len(procs))
    cols, vals, rows = [], [], []
    for s in range(t - P.lag + 1):
        rows.append(local)
        cols.append(N[s])
        vals.append(-_decay(P, t, s, procs))
    return cols, vals, rows


def _build_full(P: YearsProblem) -> _Built:
    """The LP with z_t as columns and n balance rows per year."""
    T, n, m = P.T, P.n, P.m
    lp = _LP()
    K0t = P.inherited()
    procs = np.arange(m, dtype=np.intp)
    # z first: the C z part of min_input's cost
    cost_z = np.zeros((T, m))
    if P.objective == "min_input":
        for t in range(T):
            cost_z[t] = (P.phi * P.gamma[t]) @ P.C
    z = np.column_stack([lp.columns(m, cost_z[t]) for t in range(T)]).T.reshape(T, m)
    sh = _shared(lp, P, procs, K0t)
    c, J, N = sh["c"], sh["J"], sh["N"]
    M = makes_matrix(P.makes, n)
    Sc = P.S.tocoo()
    for t in range(T):
        # (M − B_t) z_t − Y_t c_t − S J_t ≥ f_t
        net = (M - P.beta[t] * P.B).tocoo()
        yi = np.flatnonzero(P.Y[t])
        lp.add_rows(
            n,
            np.concatenate([net.row, yi, Sc.row]),
            np.concatenate([z[t, net.col], np.full(len(yi), c[t]), J[t, Sc.col]]),
            np.concatenate([net.data, -P.Y[t, yi], -Sc.data]),
            P.f[t],
            np.inf,
        )
        # z_t − Σ N ≤ K⁰_t
        cols, vals, rows = _capacity_terms(P, t, procs, N)
        lp.add_rows(
            m,
            np.concatenate([procs.astype(np.int64), *rows]),
            np.concatenate([z[t], *cols]),
            np.concatenate([np.ones(m), *vals]),
            -np.inf,
            K0t[t],
        )
    cap_rows: dict[tuple[int, int], int] = {}
    for t in range(T):
        for q in np.flatnonzero(np.isfinite(P.cap[t])):
            coef = P.gamma[t, q] * P.C[q]
            nz = np.flatnonzero(coef)
            row = lp.add_rows(
                1, np.zeros(len(nz), np.int64), z[t, nz], coef[nz], -np.inf, P.cap[t, q]
            )
            cap_rows[(t, int(q))] = int(row[0])

    def read_z(x: Array) -> Array:
        return np.maximum(x[z], 0.0)

    return _Built(lp, c, J, N, procs, sh["mu"], cap_rows, read_z, 0.0, "full")


def _scaled(prep: Prepared, beta: float) -> Prepared:
    """The prepared split of β A from that of A: off-diagonals × β, diagonal 1 − β aᵢᵢ."""

    def op(o: SplitOperator) -> SplitOperator:
        d = 1.0 - beta * (1.0 - 1.0 / o.dinv)
        return SplitOperator(o.indptr, o.indices, o.data * beta, 1.0 / d)

    return Prepared(op(prep.rows), op(prep.cols), prep.order, prep.reordered)


class _Columns:
    """Right-hand sides collected up to scale: a vector and its multiples share one column."""

    def __init__(self) -> None:
        self.columns: list[Array] = []
        self.found: dict[bytes, int] = {}

    def slot(self, v: Array) -> tuple[int, float]:
        """(column, scale) with v = scale × column; (−1, 0) for v = 0."""
        top = float(np.abs(v).max(initial=0.0))
        if top == 0.0:
            return -1, 0.0
        key = np.round(v / top, 14).tobytes()
        if key not in self.found:
            self.found[key] = len(self.columns)
            self.columns.append(v / top)
        return self.found[key], top


def _leontief_blocks(
    P: YearsProblem, A: sp.csc_array, prepared: Prepared | None, rtol: float
) -> tuple[Array, Array, Array]:
    """a (T × n), b (T × n), W (T × n × r) in product space: L_t [f_t, Y_t, S].

    Right-hand sides that are multiples of one another (floors held, the bundle growing with
    the population) are solved once and scaled; one call per distinct β_t solves the rest."""
    T, n, r = P.T, P.n, P.r
    a, b, W = np.zeros((T, n)), np.zeros((T, n)), np.zeros((T, n, r))
    S = P.S.toarray()
    for beta in np.unique(P.beta):
        years = np.flatnonzero(P.beta == beta)
        rhs = _Columns()
        where = [rhs.slot(v) for t in years for v in (P.f[t], P.Y[t])]
        where += [rhs.slot(S[:, j]) for j in range(r)]
        x = np.zeros((n, 0))
        if rhs.columns:
            scaled = None if prepared is None else _scaled(prepared, float(beta))
            sol = leontief(
                sp.csc_array(A * beta),
                y=np.column_stack(rhs.columns),
                rtol=rtol,
                prepared=scaled,
                method="direct" if scaled is None else "gauss-seidel",
            )
            x = np.asarray(sol.x).reshape(n, -1)
        solved = [np.zeros(n) if col < 0 else x[:, col] * scale for col, scale in where]
        for i, t in enumerate(years):
            a[t], b[t] = solved[2 * i], solved[2 * i + 1]
            for j in range(r):
                W[t, :, j] = solved[2 * len(years) + j]
    return a, b, W


def _build_condensed(P: YearsProblem, prepared: Prepared | None, rtol: float) -> _Built:
    """The LP with z_t = a_t + b_t c_t + W_t J_t substituted (one technique per product)."""
    T, m, r = P.T, P.m, P.r
    choice = P.choice
    A = square_matrix(P.B, choice)
    a, b, W = _leontief_blocks(P, A, prepared, rtol)  # product space: index i ↔ process choice[i]
    lp = _LP()
    K0t = P.inherited()
    procs = choice.astype(np.intp)  # process of product i
    Cs = P.C[:, procs]  # k × n
    sh = _shared(lp, P, procs, K0t)
    c, J, N = sh["c"], sh["J"], sh["N"]
    constant = 0.0
    if P.objective == "min_input":
        # cost Σ_t φ·C_t z_t = Σ_t (φ C_t b_t) c_t + (φ C_t W_t) J_t + φ C_t a_t
        for t in range(T):
            w = (P.phi * P.gamma[t]) @ Cs
            lp.cost[0][t] += float(w @ b[t])  # c is the first column block
            J_cost = w @ W[t]
            for j in range(r):
                _add_cost(lp, int(J[t, j]), float(J_cost[j]))
            constant += float(w @ a[t])
    for t in range(T):
        # b c_t + W J_t − Σ N ≤ K⁰_t − a_t, for processes that can be short
        room = K0t[t, procs] - a[t]
        keep = (b[t] != 0) | (W[t] != 0).any(axis=1) | (room < 0)
        rows_i = np.flatnonzero(keep)
        if not len(rows_i):
            continue
        local = np.arange(len(rows_i))
        rows = [local, np.repeat(local, r)]
        cols = [np.full(len(rows_i), c[t]), np.tile(J[t], len(rows_i))]
        vals = [b[t, rows_i], W[t, rows_i].ravel()]
        for s in range(t - P.lag + 1):
            rows.append(local)
            cols.append(N[s, rows_i])
            vals.append(-_decay(P, t, s, procs[rows_i]))
        lp.add_rows(
            len(rows_i),
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(vals),
            -np.inf,
            room[rows_i],
        )
    cap_rows: dict[tuple[int, int], int] = {}
    for t in range(T):
        for q in np.flatnonzero(np.isfinite(P.cap[t])):
            w = P.gamma[t, q] * Cs[q]
            coef = np.concatenate([[w @ b[t]], w @ W[t]])
            row = lp.add_rows(
                1,
                np.zeros(1 + r, np.int64),
                np.concatenate([[c[t]], J[t]]),
                coef,
                -np.inf,
                P.cap[t, q] - float(w @ a[t]),
            )
            cap_rows[(t, int(q))] = int(row[0])

    def read_z(x: Array) -> Array:
        out = np.zeros((T, m))
        for t in range(T):
            out[t, procs] = a[t] + b[t] * x[c[t]] + W[t] @ x[J[t]]
        return np.maximum(out, 0.0)

    return _Built(lp, c, J, N, procs, sh["mu"], cap_rows, read_z, constant, "condensed")


def _add_cost(lp: _LP, col: int, value: float) -> None:
    start = 0
    for block in lp.cost:
        if col < start + len(block):
            block[col - start] += value
            return
        start += len(block)


# ---------------------------------------------------------------------- the projected form


@dataclass(frozen=True, eq=False)
class _Aggregates:
    """z_t = a_t + b_t c_t + W_t J_t in product space (product i made by process procs[i])."""

    procs: NDArray[np.intp]
    a: Array  # T × n
    b: Array  # T × n
    W: Array  # T × n × r
    Cs: Array  # k × n


def _aggregates(P: YearsProblem, prepared: Prepared | None, rtol: float) -> _Aggregates:
    A = square_matrix(P.B, P.choice)
    a, b, W = _leontief_blocks(P, A, prepared, rtol)
    procs = P.choice.astype(np.intp)
    return _Aggregates(procs, a, b, W, P.C[:, procs])


def projectable(P: YearsProblem) -> str:
    """Why the projected form cannot solve ``P`` ("" if it can)."""
    if not P.single_technique:
        return "several processes make one product"
    if P.strategy in ("optimal", "share"):
        if P.r != 1:
            return f"the capital has {P.r} asset types (the projection needs one)"
        used = P.delta[np.asarray(P.Q.sum(axis=0)).ravel() > 0]
        if len(used) and (np.ptp(used) > 0 or used[0] >= 1.0):
            return "depreciation differs between processes (the projection needs one rate < 1)"
    return ""


class _Master:
    """The master LP over the aggregates: c (T), J (T × r), X (T_N, "share"), α (T_N,
    "balanced"/"replacement"), μ ("max_min"); rows added as cuts.  HiGHS, warm-started.

    Scaled: J and X are held in units of ``J_scale`` (a year's replacement investment) and every
    row is divided by its largest coefficient, so that HiGHS's absolute tolerances mean the same
    on every row (money in millions, hours in billions); :meth:`solve` returns unscaled values.
    """

    def __init__(
        self, P: YearsProblem, ag: _Aggregates, box: float, J_box: float, J_scale: float
    ) -> None:
        import highspy

        self.P, self.ag = P, ag
        T, r, TN = P.T, P.r, P.T_N
        self.inf = highspy.kHighsInf
        self.c = np.arange(T)
        self.J = (T + np.arange(T * r)).reshape(T, r)
        ncol = T + T * r
        self.X = np.arange(ncol, ncol + (TN if P.strategy == "share" else 0))
        ncol += len(self.X)
        self.alpha = np.arange(
            ncol, ncol + (TN if P.strategy in ("balanced", "replacement") else 0)
        )
        ncol += len(self.alpha)
        self.mu = ncol if P.objective == "max_min" else -1
        ncol += P.objective == "max_min"
        self.ncol = ncol
        self.box, self.J_box = box, J_box
        lo, hi = np.zeros(ncol), np.full(ncol, self.inf)
        lo[self.c] = P.c_lo
        J_open = (np.arange(T) < TN)[:, None]
        hi[self.J] = np.where(J_open, J_box, 0.0)
        hi[self.X] = J_box
        hi[self.alpha] = box if P.strategy == "balanced" else 0.0
        if self.mu >= 0:
            lo[self.mu] = -self.inf
        self.cost = np.zeros(ncol)
        self.constant = 0.0
        if P.objective == "max_min":
            self.cost[self.mu] = -1.0
        elif P.objective == "discounted":
            self.cost[self.c] = -(P.discount ** np.arange(T))
        else:
            for t in range(T):
                w = (P.phi * P.gamma[t]) @ ag.Cs
                self.cost[self.c[t]] += float(w @ ag.b[t])
                self.cost[self.J[t]] += w @ ag.W[t]
                self.constant += float(w @ ag.a[t])
        self.hi_c = np.minimum(np.asarray(P.c_hi, float), box)
        hi[self.c] = self.hi_c
        self.scale = np.ones(ncol)
        self.scale[self.J] = J_scale
        self.scale[self.X] = J_scale
        self.row_factor: list[float] = []
        h = quiet_highs()
        h.setOptionValue("solver", "simplex")
        for opt in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
            h.setOptionValue(opt, MASTER_TOLERANCE)
        h.addCols(
            ncol,
            self.cost * self.scale,
            lo / self.scale,
            np.where(np.isfinite(hi), hi / self.scale, self.inf),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            [],
        )
        self.h = h
        self.nrow = 0
        self.cap_rows: dict[tuple[int, int], int] = {}
        if self.mu >= 0:
            for t in range(T):
                self.add({int(self.c[t]): 1.0, self.mu: -1.0}, 0.0, self.inf)
        for t in range(T):
            for q in np.flatnonzero(np.isfinite(P.cap[t])):
                w = P.gamma[t, q] * ag.Cs[q]
                row = {int(self.c[t]): float(w @ ag.b[t])}
                for j in range(r):
                    row[int(self.J[t, j])] = float(w @ ag.W[t][:, j])
                self.cap_rows[(t, int(q))] = self.add(row, -self.inf, P.cap[t, q] - w @ ag.a[t])
        for s in range(len(self.X)):  # X_s ≤ J_s
            self.add({int(self.X[s]): 1.0, int(self.J[s, 0]): -1.0}, -self.inf, 0.0)

    def add(self, row: dict[int, float], lo: float, hi: float) -> int:
        cols = np.fromiter(row, np.int64, len(row))
        vals = np.fromiter(row.values(), float, len(row))
        return self.add_dense(cols, vals, lo, hi)

    def add_dense(self, cols: NDArray[np.int64], vals: Array, lo: float, hi: float) -> int:
        """One row from (possibly repeated) column indices, scaled; returns its index."""
        summed = np.bincount(cols, weights=vals, minlength=self.ncol) * self.scale
        nz = np.flatnonzero(summed)
        factor = float(np.abs(summed[nz]).max()) if len(nz) else 1.0
        self.h.addRows(
            1,
            [lo / factor if np.isfinite(lo) else lo],
            [hi / factor if np.isfinite(hi) else hi],
            len(nz),
            np.zeros(1, np.int32),
            nz.astype(np.int32),
            summed[nz] / factor,
        )
        self.row_factor.append(factor)
        self.nrow += 1
        return self.nrow - 1

    def solve(self) -> tuple[str, Array]:
        import highspy

        S = highspy.HighsModelStatus
        self.h.run()
        status = self.h.getModelStatus()
        if status not in (S.kOptimal, S.kInfeasible, S.kUnbounded, S.kUnboundedOrInfeasible):
            # numerical trouble after many cuts: solve again from scratch, then by the IPM
            self.h.clearSolver()
            self.h.run()
            status = self.h.getModelStatus()
            if status not in (S.kOptimal, S.kInfeasible):
                self.h.setOptionValue("solver", "ipm")
                self.h.clearSolver()
                self.h.run()
                status = self.h.getModelStatus()
                self.h.setOptionValue("solver", "simplex")
        if status == S.kOptimal:
            return OPTIMAL, np.asarray(self.h.getSolution().col_value) * self.scale
        if status == S.kInfeasible:
            return INFEASIBLE, np.zeros(self.ncol)
        if status in (S.kUnbounded, S.kUnboundedOrInfeasible):
            return UNBOUNDED, np.zeros(self.ncol)
        raise SolverError(f"HiGHS failed on the master LP: {self.h.modelStatusToString(status)}")


@dataclass
class _Cuts:
    """The separation oracle of the projected form (see :func:`_solve_projected`)."""

    P: YearsProblem
    ag: _Aggregates
    K0t: Array  # (T + 1) × n inherited capacity, product space
    v: Array  # n capital per unit of capacity
    groups: list[tuple[NDArray[np.intp], float]]  # (members, share of the supply)
    p: Array | None = None  # balanced: K_t = p_t + Σ_s q_ts α_s  ((T+1) × n)
    q: Array | None = None  # (T+1) × T_N × n
    n0: Array | None = None  # N_t = n0_t + Σ_s nq_ts α_s  (T_N × n)
    nq: Array | None = None  # T_N × T_N × n
    per_year: int = 8  # rows added per year and round

    def requirement(self, x: Array, M: _Master) -> Array:
        """R_t (T × n) at the master's point."""
        ag = self.ag
        c, J = x[M.c], x[M.J]
        out: Array = ag.a + ag.b * c[:, None] + np.einsum("tnr,tr->tn", ag.W, J)
        return out

    def jit(self, E: Array, d: float) -> tuple[Array, NDArray[np.intp]]:
        """U^J_t = max(0, E_t, d U^J_{t−1}) for t = ℓ … T, and the piece τ (−1: zero)."""
        P = self.P
        U = np.zeros_like(E)
        piece = np.full(E.shape, -1, dtype=np.intp)
        for t in range(P.lag, P.T + 1):
            carried = d * U[t - 1] if t > P.lag else np.zeros(E.shape[1])
            from_prev = carried > np.maximum(E[t], 0.0)
            U[t] = np.where(from_prev, carried, np.maximum(E[t], 0.0))
            own = (~from_prev) & (E[t] > 0)
            piece[t] = np.where(from_prev, piece[t - 1] if t > P.lag else -1, -1)
            piece[t][own] = t
        return U, piece

    def add(self, x: Array, M: _Master, tol: float) -> float:
        """Add the violated cuts at ``x``; return the largest relative violation."""
        P, ag = self.P, self.ag
        T, L = P.T, P.lag
        R = self.requirement(x, M)
        worst = 0.0
        if P.strategy in ("balanced", "replacement"):
            assert self.p is not None and self.q is not None
            alpha = x[M.alpha]
            K = self.p + np.einsum("tsn,s->tn", self.q, alpha)
            need = np.vstack([R, P.K_end[ag.procs][None, :]])
            for t in range(T + 1):
                worst = max(worst, self._rows(t, need[t] - K[t], K[t], M, tol, balanced=True))
            return worst
        for t in range(min(L, T)):
            worst = max(worst, self._rows(t, R[t] - self.K0t[t], self.K0t[t], M, tol))
        if L > T:
            return worst
        E = np.vstack([R, P.K_end[ag.procs][None, :]]) - self.K0t
        d = 1.0 - float(P.delta[ag.procs][self.v > 0][0]) if (self.v > 0).any() else 1.0
        U, piece = self.jit(E, d)
        for members, share in self.groups:
            vm = self.v[members]
            for t in range(L, T + 1):
                phi = float(vm @ U[t, members])
                s_idx = np.arange(t - L + 1)
                weights = d ** (t - L - s_idx)
                supply_cols = M.X[s_idx] if len(M.X) else M.J[s_idx, 0]
                supply = share * float(weights @ x[supply_cols])
                scale = max(phi, supply, float(vm @ self.K0t[0, members]) * 1e-6, 1e-12)
                gap = (phi - supply) / scale
                if gap <= tol:
                    continue
                worst = max(worst, gap)
                self._aggregate_cut(t, members, piece[t, members], d, share, supply_cols, M)
        return worst

    def _aggregate_cut(
        self,
        t: int,
        members: NDArray[np.intp],
        tau: NDArray[np.intp],
        d: float,
        share: float,
        supply_cols: NDArray[np.int64],
        M: _Master,
    ) -> None:
        """Σ_k v_k d^{t−τ_k} E_{τ_k,k}(θ) ≤ share Σ_s d^{t−ℓ−s} σ_s: the active pieces of Φ_t."""
        P, ag = self.P, self.ag
        T, r = P.T, P.r
        on = tau >= 0
        k, tk = members[on], tau[on]
        w = self.v[k] * d ** (t - tk).astype(float)
        inside = tk < T  # pieces of the plan's years; tk = T is the end capacity
        ki, ti, wi = k[inside], tk[inside], w[inside]
        coef_c = np.bincount(ti, weights=wi * ag.b[ti, ki], minlength=T)
        coef_J = np.stack(
            [np.bincount(ti, weights=wi * ag.W[ti, ki, j], minlength=T) for j in range(r)], axis=1
        )
        const = float(wi @ (ag.a[ti, ki] - self.K0t[ti, ki]))
        ke, we = k[~inside], w[~inside]
        const += float(we @ (P.K_end[ag.procs[ke]] - self.K0t[T, ke]))
        s_idx = np.arange(t - P.lag + 1)
        cols = np.concatenate([M.c, M.J.ravel(), supply_cols]).astype(np.int64)
        vals = np.concatenate([coef_c, coef_J.ravel(), -share * d ** (t - P.lag - s_idx)])
        M.add_dense(cols, vals, -M.inf, -const)

    def _rows(
        self, t: int, short: Array, held: Array, M: _Master, tol: float, balanced: bool = False
    ) -> float:
        """Exact rows R_t,k ≤ K_t,k for the processes furthest over (at most ``per_year``)."""
        P, ag = self.P, self.ag
        scale = np.maximum(np.maximum(np.abs(held), np.abs(short + held)), 1e-12)
        rel = short / scale
        bad = np.flatnonzero(rel > tol)
        if not len(bad):
            return 0.0
        top = bad[np.argsort(-rel[bad])[: self.per_year]]
        for k in top:
            row: dict[int, float] = {}
            rhs = float(held[k])
            if t < P.T:
                row[int(M.c[t])] = float(ag.b[t, k])
                for j in range(P.r):
                    row[int(M.J[t, j])] = float(ag.W[t, k, j])
                const = float(ag.a[t, k])
            else:
                const = float(P.K_end[ag.procs[k]])
            if balanced:
                assert self.p is not None and self.q is not None
                for s_, col in enumerate(M.alpha):
                    row[int(col)] = row.get(int(col), 0.0) - float(self.q[t, s_, k])
                rhs = float(self.p[t, k])
            M.add(row, -M.inf, rhs - const)
        return float(rel[top[0]])


def _balanced_paths(P: YearsProblem, procs: NDArray[np.intp]) -> tuple[Array, Array, Array, Array]:
    """K_t = p_t + Σ_s q_ts α_s and N_t = n0_t + Σ_s nq_ts α_s under N_t = δ K_t + α_t K_0."""
    T, L, TN = P.T, P.lag, P.T_N
    n = len(procs)
    dl, K0 = P.delta[procs], P.K0[procs]
    p = np.zeros((T + 1, n))
    q = np.zeros((T + 1, TN, n))
    n0 = np.zeros((TN, n))
    nq = np.zeros((TN, TN, n))
    p[0] = K0
    for t in range(T + 1):
        if t > 0:
            if t < L:
                arr_p, arr_q = P.pipeline[t - 1][procs], np.zeros((TN, n))
            else:
                arr_p, arr_q = n0[t - L], nq[t - L]
            p[t] = (1 - dl) * p[t - 1] + arr_p
            q[t] = (1 - dl) * q[t - 1] + arr_q
        if t < TN:
            n0[t] = dl * p[t]
            nq[t] = dl * q[t]
            nq[t, t] += K0
    return p, q, n0, nq


def _allocate(P: YearsProblem, cuts: _Cuts, x: Array, M: _Master) -> Array:
    """New capacity N (T_N × n) meeting U ≥ U^J for every process from each group's supply.

    In units ñ_s = d^{−s} N_s the cumulative capacity must reach V_t = d^{−(t−ℓ)} U^J_t, a
    staircase; the groups' discounted cumulative supply covers the steps in time order, each
    year's steps pro rata (module docstring of the projected form)."""
    T, L, TN = P.T, P.lag, P.T_N
    ag = cuts.ag
    n = len(ag.procs)
    R = cuts.requirement(x, M)
    E = np.vstack([R, P.K_end[ag.procs][None, :]]) - cuts.K0t
    capital = cuts.v > 0
    d = 1.0 - float(P.delta[ag.procs][capital][0]) if capital.any() else 1.0
    U, _ = cuts.jit(E, d)
    N = np.zeros((TN, n))
    # processes without capital: just in time, free
    free = np.flatnonzero(~capital)
    for s in range(TN):
        prev = U[s + L - 1, free] if s + L - 1 >= L else 0.0
        N[s, free] = np.maximum(U[s + L, free] - (1 - P.delta[ag.procs[free]]) * prev, 0.0)
    years = np.arange(L, T + 1)
    V = np.zeros((T + 2 - L, n))  # V[0] = 0 (before ℓ), V[i] for year ℓ + i − 1
    V[1:] = U[L:] * d ** (-(years - L))[:, None]
    dV = np.maximum(np.diff(V, axis=0), 0.0)  # (T + 1 − ℓ) × n: steps of years ℓ … T
    for members, share in cuts.groups:
        mem = members[capital[members]]
        if not len(mem):
            continue
        vm = cuts.v[mem]
        step = dV[:, mem] * vm  # capital goods (ñ units) each process needs at each step
        demand = step.sum(axis=1)
        cum_d = np.concatenate([[0.0], np.cumsum(demand)])
        supply_cols = M.X[:TN] if len(M.X) else M.J[:TN, 0]
        supply = share * x[supply_cols] * d ** (-np.arange(TN, dtype=float))
        cum_s = np.concatenate([[0.0], np.cumsum(supply)])
        given = np.zeros((TN, len(mem)))
        for s in range(TN):
            for i in range(len(demand)):
                overlap = min(cum_s[s + 1], cum_d[i + 1]) - max(cum_s[s], cum_d[i])
                if overlap > 0 and demand[i] > 0:
                    given[s] += overlap * step[i] / demand[i]
            left = cum_s[s + 1] - max(cum_s[s], cum_d[-1])
            if left > 0 and P.strategy == "share":  # the share must be used: over-invest
                weight = vm * np.maximum(P.K0[ag.procs[mem]], 0.0)
                weight = weight if weight.sum() > 0 else vm
                given[s] += left * weight / weight.sum()
        N[:, mem] = given / vm * d ** np.arange(TN, dtype=float)[:, None]
    return N


def _solve_projected(
    P: YearsProblem,
    ag: _Aggregates,
    *,
    time_limit: float | None,
    rtol: float,
    maxiter: int,
) -> YearsSolution:
    """Cutting planes (Kelley) on the projection of the condensed LP onto the aggregates.

    The aggregates θ = (c_t, J_t, and X_t or α_t) are 2T to 4T numbers.  For a fixed θ each
    process's least capacity path is U^J_t = max(0, E_t, d U^J_{t−1}) with
    E_t = a_t + b_t c_t + W_t J_t − K⁰_t (capacity beyond what is inherited); with one asset
    type and one depreciation rate capital goods are interchangeable between processes, so θ is
    feasible iff, for every year t ≥ ℓ and group G (all processes, or the two sector groups of
    ``"share"`` with shares λ and 1 − λ)::

        Φ^G_t(θ) = Σ_{k∈G} v_k U^J_t,k(θ)  ≤  share_G Σ_{s ≤ t−ℓ} d^{t−ℓ−s} σ_s

    (σ = J, or X ≤ J under ``"share"``), and E_t ≤ 0 for t < ℓ.  Φ is convex and piecewise
    linear in θ; its active pieces give a cut that is exact at θ̂ and valid everywhere.  The
    master LP over θ (HiGHS dual simplex, warm-started) gains the violated cuts until none is
    violated by more than ``rtol``: its optimum is then the LP's.  ``"balanced"`` and
    ``"replacement"`` fix N_t by α, so K_t = p_t + Σ q_ts α_s and the cuts are the violated
    capacity rows themselves.  The plan is recovered by allocating each year's capital goods to
    the processes' capacity steps in time order (:func:`_allocate`).
    """
    started = time.perf_counter()
    T, TN = P.T, P.T_N
    procs = ag.procs
    K0t = P.inherited()[:, procs]
    v = np.asarray(P.Q[:, procs].sum(axis=0)).ravel()
    if P.strategy == "share":
        g = P.group[procs]
        if not (v[g] > 0).any() or not (v[~g] > 0).any():
            raise PlanInputError(
                "strategy 'share' needs processes that use capital in both sector groups"
            )
        groups = [(np.flatnonzero(g), P.share), (np.flatnonzero(~g), 1.0 - P.share)]
    else:
        groups = [(np.arange(len(procs)), 1.0)]
    cuts = _Cuts(P, ag, K0t, v, groups)
    if P.strategy in ("balanced", "replacement"):
        cuts.p, cuts.q, cuts.n0, cuts.nq = _balanced_paths(P, procs)
    scale = max(float(v @ K0t[0]), float(K0t[0].sum()), 1e-9)
    box, J_box = 1e4, 1e4 * scale
    dl = P.delta[procs]
    J_scale = float((v * dl) @ K0t[0]) or scale
    M = _Master(P, ag, box, J_box, J_scale)
    if cuts.n0 is not None and TN:  # Q N_t(α) ≤ J_t
        Qp = P.Q[:, procs].toarray()
        for t in range(TN):
            for j in range(P.r):
                nq, n0 = cuts.nq, cuts.n0
                assert nq is not None
                coef = {int(col): float(Qp[j] @ nq[t, s]) for s, col in enumerate(M.alpha)}
                coef[int(M.J[t, j])] = -1.0
                M.add(coef, -M.inf, -float(Qp[j] @ n0[t]))
    iterations, rounds = 0, 0
    phase2 = False
    status, x = OPTIMAL, np.zeros(M.ncol)
    while True:
        if iterations >= maxiter or (
            time_limit is not None and time.perf_counter() - started > time_limit
        ):
            return YearsSolution(
                LIMIT,
                f"the projected form stopped after {iterations} master solves, a cut still "
                "violated",
                "projected",
                iterations=iterations,
            )
        status, x = M.solve()
        iterations += 1
        if status != OPTIMAL:
            break
        worst = cuts.add(x, M, rtol)
        if worst > rtol:
            rounds += 1
            continue
        at_box = np.any(x[M.c] >= M.box * (1 - 1e-9)) or np.any(x[M.J] >= M.J_box * (1 - 1e-9))
        if at_box:
            if M.box >= 1e16:
                status = UNBOUNDED
                break
            M.box, M.J_box = M.box * 1e4, M.J_box * 1e4
            _widen(M, P)
            continue
        if P.objective == "max_min" and not phase2:
            level = float(x[M.mu])
            M.h.changeColBounds(M.mu, level - LEX_SLACK * max(abs(level), 1.0), M.inf)
            M.h.changeColCost(M.mu, 0.0)
            M.h.changeColsCost(T, M.c.astype(np.int32), -(P.discount ** np.arange(T, dtype=float)))
            phase2 = True
            continue
        break
    info = {"master_rows": float(M.nrow), "rounds": float(rounds)}
    if status == INFEASIBLE:
        return YearsSolution(
            INFEASIBLE,
            "infeasible: the floors, consumption minimums, caps and end capacity cannot all "
            "hold in every year with the capacity that investment can build",
            "projected",
            iterations=iterations,
            info=info,
        )
    if status == UNBOUNDED:
        return YearsSolution(
            UNBOUNDED,
            "unbounded: nothing limits consumption — cap labour or give capacities",
            "projected",
            iterations=iterations,
            info=info,
        )
    if cuts.n0 is not None:
        assert cuts.nq is not None
        Np = cuts.n0 + np.einsum("tsn,s->tn", cuts.nq, x[M.alpha])
    else:
        Np = _allocate(P, cuts, x, M)
    N = np.zeros((T, P.m))
    N[:TN, procs] = np.maximum(Np, 0.0)
    c, J = x[M.c], np.maximum(x[M.J], 0.0)
    z = np.zeros((T, P.m))
    z[:, procs] = np.maximum(cuts.requirement(x, M), 0.0)
    pi = np.zeros((T, P.k))
    sol = M.h.getSolution()
    if sol.dual_valid:
        row_dual = np.asarray(sol.row_dual)
        for (t, q), index in M.cap_rows.items():
            pi[t, q] = max(-row_dual[index] / M.row_factor[index], 0.0)
    return YearsSolution(
        OPTIMAL,
        "optimal",
        "projected",
        z,
        c,
        J,
        N,
        capacity_path(P, N),
        pi,
        _objective_value(P, z, c),
        iterations,
        info=info,
    )


def _widen(M: _Master, P: YearsProblem) -> None:
    T = P.T
    M.hi_c = np.minimum(np.asarray(P.c_hi, float), M.box)
    M.h.changeColsBounds(T, M.c.astype(np.int32), np.asarray(P.c_lo, float), M.hi_c)
    open_ = np.arange(T) < P.T_N
    Jc = M.J[open_].ravel().astype(np.int32)
    J_hi = M.J_box / M.scale[M.J[0, 0]]
    M.h.changeColsBounds(len(Jc), Jc, np.zeros(len(Jc)), np.full(len(Jc), J_hi))
    if len(M.X):
        M.h.changeColsBounds(
            len(M.X), M.X.astype(np.int32), np.zeros(len(M.X)), np.full(len(M.X), J_hi)
        )
    if P.strategy == "balanced" and len(M.alpha):
        M.h.changeColsBounds(
            len(M.alpha),
            M.alpha.astype(np.int32),
            np.zeros(len(M.alpha)),
            np.full(len(M.alpha), M.box),
        )


def _objective_value(P: YearsProblem, z: Array, c: Array) -> float:
    if P.objective == "max_min":
        return float(c.min())
    if P.objective == "discounted":
        return float((P.discount ** np.arange(P.T)) @ c)
    return float(sum((P.phi * P.gamma[t]) @ (P.C @ z[t]) for t in range(P.T)))


# ---------------------------------------------------------------------- solving


def solve_years(
    problem: YearsProblem,
    *,
    form: str = "auto",
    algorithm: str = "choose",
    prepared: Prepared | None = None,
    time_limit: float | None = None,
    rtol: float = 1e-9,
    maxiter: int = 2000,
) -> YearsSolution:
    """Solve the T-period plan in the ``"projected"``, ``"condensed"`` or ``"full"`` form.

    ``"auto"``: projected where it applies (:func:`projectable`: one technique per product; for
    ``"optimal"`` and ``"share"`` also one asset type and one depreciation rate), else condensed
    for one technique per product, else full.  ``algorithm``: HiGHS's ``solver`` option for the
    condensed and full forms (``"choose"``, ``"simplex"``, ``"ipm"``).  ``prepared``: the
    Gauss–Seidel split of A (the economy's, cached) for the Leontief solves of the projected and
    condensed forms on large economies; without it they are dense LU.  ``rtol``: the relative
    violation at which the projected form stops adding cuts, and HiGHS's tolerances.

    Accuracy: the projected form's master LP is scaled (:class:`_Master`) and its plan is exact
    to about 1e-12 on the Swedish table.  HiGHS's absolute tolerances on the unscaled condensed
    and full LPs (millions of SEK next to billions of hours) leave their objective up to about
    5e-4 below the optimum there (measured: max-min 0.12385 against 0.12394); on the
    well-scaled synthetic economies all three agree to 1e-9.
    """
    P = problem
    P.validate()
    if form not in FORMS:
        raise PlanInputError(f"form must be one of {', '.join(FORMS)}; got {form!r}")
    if algorithm not in HIGHS_ALGORITHMS:
        raise PlanInputError(f"algorithm must be one of {', '.join(HIGHS_ALGORITHMS)}")
    started = time.perf_counter()
    why = projectable(P)
    if form == "auto":
        form = "projected" if not why else ("condensed" if P.single_technique else "full")
    if form == "projected" and why:
        raise PlanInputError(f"the projected form cannot solve this plan: {why}")
    if form == "condensed" and not P.single_technique:
        raise PlanInputError("the condensed form needs one process per product")
    if form == "projected":
        ag = _aggregates(P, prepared, min(rtol, 1e-10))
        build_s = time.perf_counter() - started
        out = _solve_projected(P, ag, time_limit=time_limit, rtol=max(rtol, 1e-12), maxiter=maxiter)
    else:
        built = (
            _build_condensed(P, prepared, min(rtol, 1e-10))
            if form == "condensed"
            else _build_full(P)
        )
        build_s = time.perf_counter() - started
        out = _run(P, built, algorithm, time_limit, rtol)
    info = dict(out.info, build_seconds=build_s)
    return replace(out, seconds=time.perf_counter() - started, info=info)


def _run(
    P: YearsProblem, built: _Built, algorithm: str, time_limit: float | None, rtol: float
) -> YearsSolution:
    import highspy

    lp = built.lp
    A = lp.matrix()
    cost, lo, hi, rlo, rhi = lp.arrays()
    inf = highspy.kHighsInf
    model = highspy.HighsLp()
    model.num_col_ = lp.ncol
    model.num_row_ = lp.nrow
    model.col_cost_ = cost
    model.col_lower_ = np.where(np.isfinite(lo), lo, -inf)
    model.col_upper_ = np.where(np.isfinite(hi), hi, inf)
    model.row_lower_ = np.where(np.isfinite(rlo), rlo, -inf)
    model.row_upper_ = np.where(np.isfinite(rhi), rhi, inf)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr.astype(np.int32)
    model.a_matrix_.index_ = A.indices.astype(np.int32)
    model.a_matrix_.value_ = A.data
    h = quiet_highs()
    h.setOptionValue("solver", HIGHS_ALGORITHMS[algorithm])
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    for opt in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
        h.setOptionValue(opt, min(1e-7, rtol * 10))
    h.setOptionValue("ipm_optimality_tolerance", min(1e-8, rtol))
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    its = int(info.simplex_iteration_count + info.ipm_iteration_count)
    S = highspy.HighsModelStatus
    method = f"{built.form} (HiGHS {algorithm})"
    sizes = {"rows": float(lp.nrow), "columns": float(lp.ncol), "nonzeros": float(A.nnz)}
    if status == S.kOptimal and P.objective == "max_min":
        # phase 2: hold the common minimum, maximise Σ β^t c_t
        level = float(h.getSolution().col_value[built.mu])
        h.changeColBounds(built.mu, level - LEX_SLACK * max(abs(level), 1.0), inf)
        h.changeColCost(built.mu, 0.0)
        disc = P.discount ** np.arange(P.T)
        h.changeColsCost(P.T, built.c.astype(np.int32), -disc)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        its += int(info.simplex_iteration_count + info.ipm_iteration_count)
    if status == S.kOptimal:
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        z = built.read_z(x)
        c = x[built.c]
        J = np.maximum(x[built.J], 0.0)
        N = np.zeros((P.T, P.m))
        if P.T_N:
            N[: P.T_N, built.N_proc] = np.maximum(x[built.N], 0.0)
        K = capacity_path(P, N)
        pi = np.zeros((P.T, P.k))
        if sol.dual_valid:
            row_dual = np.asarray(sol.row_dual)
            for (t, q), row in built.cap_rows.items():
                pi[t, q] = max(-row_dual[row], 0.0)
        return YearsSolution(
            OPTIMAL,
            "optimal",
            method,
            z,
            c,
            J,
            N,
            K,
            pi,
            _objective_value(P, z, c),
            its,
            0.0,
            sizes,
        )
    if status == S.kInfeasible:
        return YearsSolution(
            INFEASIBLE,
            "infeasible: the floors, consumption minimums, caps and end capacity cannot all "
            "hold in every year with the capacity that investment can build",
            method,
            iterations=its,
            info=sizes,
        )
    if status in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return YearsSolution(
            UNBOUNDED,
            "unbounded: nothing limits consumption — cap labour or give capacities",
            method,
            iterations=its,
            info=sizes,
        )
    if status in (S.kTimeLimit, S.kIterationLimit):
        return YearsSolution(
            LIMIT,
            f"HiGHS stopped: {h.modelStatusToString(status)}",
            method,
            iterations=its,
            info=sizes,
        )
    raise SolverError(f"HiGHS failed on the {P.T}-year plan: {h.modelStatusToString(status)}")
