"""Multi-year plans: investment, capacity growth and the comparison of strategies.

A five-year plan decides, year by year, what to make, how much of it to consume and how much to
set aside as capital goods that become new capacity a year (the lag) later, while capacity wears
out.  :func:`plan_years` turns names into the arrays of :mod:`commonplan.numerics.multiyear`
(where the model's equations are), solves, and returns a :class:`YearsResult` of per-year arrays;
:func:`compare` solves the same economy under several strategies, the way the Soviet first
five-year plan (heavy industry first, Feldman's model) and a consumption-first or balanced path
can be compared honestly: same economy, same labour, same floors, each strategy's investment rule
added as constraints and everything else optimised.

Strategies (``strategy=``):

``"optimal"``
    No rule on the investment mix: the plan invests wherever the objective gains most.
``"heavy-industry-first"``
    Feldman–Mahalanobis: a share λ_K (``share``, default :data:`DEFAULT_SHARE`) of each year's
    investment (capital goods installed, at base-year prices) goes to the capital-goods sector
    group (:func:`commonplan.plan.capital.sector_groups`).  In Sweden 2016 that group holds 23 % of
    the capital stock, so the default 0.5 more than doubles its share.
``"balanced"``
    Every process's capacity grows by the same amount relative to its start: new capacity
    N_t = δ ∘ K_t + α_t K_0 with one α_t ≥ 0 per year chosen by the plan (for lag 1 this keeps
    K_t proportional to K_0: investment proportional to current capacity).
``"consumption-first"``
    Minimal investment: replace what wears out, N_t = δ ∘ K_t, nothing more; everything else is
    consumed.

Objectives (``objective=``): ``"max_min"`` (default) the largest consumption fulfilment that
holds in every year, then, at that level, the largest discounted sum; ``"discounted"`` the
largest Σ_t β^t c_t; ``"min_labour"`` (or ``"min_<resource>"``) the end-of-plan targets
(``end_targets``) met in the last year with the least labour over the plan.

One concept — the multi-year plan, from names to :class:`YearsResult` and back — so one module,
longer than most; the input checks it shares with :mod:`~commonplan.plan.optimize` are in
:mod:`~commonplan.plan._checks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from commonplan.economy.model import LABOUR, Economy, listing
from commonplan.errors import PlanInputError, SolverError, UnknownNameError
from commonplan.numerics.lp import INFEASIBLE, OPTIMAL
from commonplan.numerics.multiyear import (
    FORMS,
    STRATEGIES,
    YearsProblem,
    YearsSolution,
    solve_years,
)
from commonplan.numerics.multiyear.diagnosis import Lever, diagnose_years
from commonplan.numerics.multiyear.problem import objective_value
from commonplan.numerics.types import Array
from commonplan.plan._checks import (
    amount,
    capacities,
    count,
    finite,
    input_index,
    input_matrix,
    minimised_input,
    nonneg,
    nonneg_vector,
    positive,
    product_amounts,
)
from commonplan.plan.capital import Capital, base_output, derive_capital, sector_groups
from commonplan.plan.result import Relaxation, json_number
from commonplan.progress import OnProgress, Steps

__all__ = [
    "DEFAULT_SHARE",
    "OBJECTIVES",
    "STRATEGIES",
    "Comparison",
    "YearsDiagnosis",
    "YearsResult",
    "compare",
    "plan_years",
]


OBJECTIVES = ("max_min", "discounted", "min_labour")
"""Objectives; ``"min_<resource>"`` minimises another primary input for the end targets."""
DEFAULT_SHARE = 0.5
"""λ_K of heavy-industry-first: the share of investment going to the capital-goods group."""
DEFAULT_DISCOUNT = 0.97


@dataclass(frozen=True)
class YearsDiagnosis:
    """Why a multi-year plan is infeasible (:mod:`commonplan.numerics.multiyear.diagnosis`).

    ``year``: the first year (1 … T) that cannot hold whatever is done in the years before it;
    ``None`` where every year can hold but the end-of-plan capacity cannot (``end_capacity``).
    The conflicting set — these limits alone cannot all hold in years 1 … ``year``: ``caps``
    (inputs, capped in those years), ``floors`` (product codes), ``capacities`` (process codes:
    at most their capacity, which grows only by investment), ``consumption`` (the least
    fulfilment, or the end targets of a ``min_`` objective), ``end_capacity`` and ``strategy``
    (the investment rule, where it takes part).  ``minimal``: dropping any one member is proven
    to make the rest feasible.  ``relaxations``, smallest change first, each alone making the
    whole plan feasible: ``kind`` ``"floor"``/``"floors"`` (× (1 − change), every year),
    ``"cap"``/``"caps"`` (× (1 + change), every year), ``"capacity"`` (year 1's capacity of a
    process × (1 + change)), ``"consumption"`` or ``"end_capacity"`` (× (1 − change));
    ``value`` is that factor.
    """

    message: str
    year: int | None
    caps: tuple[str, ...] = ()
    floors: tuple[str, ...] = ()
    capacities: tuple[str, ...] = ()
    consumption: bool = False
    end_capacity: bool = False
    strategy: str | None = None
    minimal: bool = False
    relaxations: tuple[Relaxation, ...] = ()

    def conflict(self) -> str:
        """The conflicting set in one line: "caps: co2 · floors: D35 · …" ("" if none)."""
        named = {
            "caps": self.caps,
            "floors": self.floors,
            "capacities": self.capacities,
            "investment rule": (self.strategy,) if self.strategy else (),
        }
        parts = [f"{what}: {', '.join(items)}" for what, items in named.items() if items]
        parts += ["the consumption minimum"] if self.consumption else []
        parts += ["the end capacity"] if self.end_capacity else []
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "year": self.year,
            "conflict": {
                "caps": list(self.caps),
                "floors": list(self.floors),
                "capacities": list(self.capacities),
                "consumption": self.consumption,
                "end_capacity": self.end_capacity,
                "strategy": self.strategy,
                "minimal": self.minimal,
            },
            "relaxations": [r.to_dict() for r in self.relaxations],
        }


@dataclass(frozen=True, eq=False)
class YearsResult:
    """A multi-year plan, year by year, or why there is none.

    Arrays have the year first (``years`` = 1 … T); capacity and the capital stock have T + 1
    rows (the last is the end of the plan).  Over products: ``gross_output``, ``net_output``
    ((M − B_t) z_t), ``investment`` (capital goods installed, Kc N_t), ``set_aside`` (capital
    goods made for investment, S J_t ≥ investment), ``capital_stock`` (Kc K_t),
    ``depreciation`` (Kc (δ ∘ K_t)), ``bundle`` (Y_t) and ``floors``; over processes:
    ``activity`` z_t, ``new_capacity`` N_t and ``capacity`` K_t.  ``fulfilment`` c_t: the share
    of the consumption bundle made in each year beyond the floors.  ``use`` and ``caps``: labour
    and each resource per year (``inf``: no cap); ``cap_prices`` the shadow price of each year's
    cap in units of the objective.  The stock-flow identities hold exactly:
    K_{t+1} = (1 − δ) ∘ K_t + N_{t+1−ℓ} and capital_stock_{t+1} = capital_stock_t −
    depreciation_t + investment_{t+1−ℓ}.
    """

    status: str
    message: str
    strategy: str
    objective: str
    objective_value: float
    method: str
    seconds: float
    iterations: int
    economy: Economy = field(repr=False)
    capital: Capital = field(repr=False)
    problem: YearsProblem = field(repr=False)
    groups: Mapping[str, NDArray[np.bool_]] = field(repr=False)
    population: Array = field(repr=False)
    fulfilment: Array | None = field(default=None, repr=False)
    activity: Array | None = field(default=None, repr=False)
    gross_output: Array | None = field(default=None, repr=False)
    net_output: Array | None = field(default=None, repr=False)
    new_capacity: Array | None = field(default=None, repr=False)
    capacity: Array | None = field(default=None, repr=False)
    investment: Array | None = field(default=None, repr=False)
    set_aside: Array | None = field(default=None, repr=False)
    capital_stock: Array | None = field(default=None, repr=False)
    depreciation: Array | None = field(default=None, repr=False)
    use: Mapping[str, Array] = field(default_factory=dict, repr=False)
    caps: Mapping[str, Array] = field(default_factory=dict, repr=False)
    cap_prices: Mapping[str, Array] = field(default_factory=dict, repr=False)
    diagnosis: YearsDiagnosis | None = None
    notes: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        return self.status == OPTIMAL

    @property
    def T(self) -> int:
        return self.problem.T

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(1, self.T + 1))

    @property
    def bundle(self) -> Array:
        return self.problem.Y

    @property
    def floors(self) -> Array:
        return self.problem.f

    def summary(self) -> dict[str, Array]:
        """Per-year figures a person compares (arrays over the years; NaN without a plan).

        ``consumption``: Σ (floors + c_t Y_t), the value of what is consumed;
        ``consumption_per_head`` that over the population; ``investment_share``: capital goods
        installed over net output; ``capacity_built``: new capacity started (output per year);
        ``output <group>``: gross output of each sector group; ``labour`` and each resource
        used.  Values at base-year prices.
        """
        T = self.T
        nan = np.full(T, np.nan)
        if not self.success:
            return {"fulfilment": nan}
        assert self.fulfilment is not None and self.gross_output is not None
        assert self.net_output is not None and self.investment is not None
        assert self.new_capacity is not None
        consumption = self.floors.sum(axis=1) + self.fulfilment * self.bundle.sum(axis=1)
        net = self.net_output.sum(axis=1)
        out: dict[str, Array] = {
            "fulfilment": self.fulfilment.copy(),
            "consumption": consumption,
            "consumption_per_head": consumption / self.population,
            "investment": self.investment.sum(axis=1),
            "investment_share": np.divide(
                self.investment.sum(axis=1), net, out=np.zeros(T), where=net > 0
            ),
            "capacity_built": self.new_capacity.sum(axis=1),
        }
        for name, mask in self.groups.items():
            out[f"output {name}"] = self.gross_output[:, mask].sum(axis=1)
        for name, used in self.use.items():
            out[name] = used.copy()
        return out

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per year, the columns of :meth:`summary`."""
        import pandas as pd

        frame = pd.DataFrame(self.summary(), index=pd.Index(self.years, name="year"))
        frame.insert(0, "strategy", self.strategy)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary per year, and per-product and per-process arrays by code."""
        e = self.economy

        def rows(a: Array | None, codes: Sequence[str]) -> list[dict[str, float]] | None:
            if a is None:
                return None
            return [{c: float(v) for c, v in zip(codes, row, strict=True) if v} for row in a]

        return {
            "status": self.status,
            "message": self.message,
            "strategy": self.strategy,
            "objective": self.objective,
            "objective_value": json_number(self.objective_value),
            "method": self.method,
            "seconds": self.seconds,
            "iterations": self.iterations,
            "years": list(self.years),
            "summary": {k: [json_number(x) for x in v] for k, v in self.summary().items()},
            "groups": {
                k: [e.products[i] for i in np.flatnonzero(m)] for k, m in self.groups.items()
            },
            "activity": rows(self.activity, e.processes),
            "new_capacity": rows(self.new_capacity, e.processes),
            "capacity": rows(self.capacity, e.processes),
            "gross_output": rows(self.gross_output, e.products),
            "investment": rows(self.investment, e.products),
            "capital_stock": rows(self.capital_stock, e.products),
            "use": {k: v.tolist() for k, v in self.use.items()},
            "caps": {k: [json_number(x) for x in v] for k, v in self.caps.items()},
            "cap_prices": {k: v.tolist() for k, v in self.cap_prices.items()},
            "capital": self.capital.to_dict(),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
            "notes": list(self.notes),
        }

    def check(self, rtol: float = 1e-7) -> list[str]:
        """Every constraint and identity the plan breaks, recomputed from its arrays with plain
        numpy (not the solver's residuals); empty when it holds.  Messages name year and code.

        Checked: the reported arrays are what the activity, new capacity and capacity imply
        (gross and net output, use of each input, investment, capital stock, depreciation);
        every year's net output covers floors, consumption and the capital goods set aside, the
        floors hold, activity stays within capacity, the goods set aside cover the new capacity
        and the caps hold; fulfilment within its bounds; K_0 as given and
        K_{t+1} = (1 − δ) ∘ K_t + N_{t+1−ℓ}; the capital-stock identity capital_stock_{t+1} =
        capital_stock_t − depreciation_t + investment_{t+1−ℓ}; no new capacity that would
        arrive after the plan; nothing negative; the strategy's investment rule; the end
        capacity; and the objective value.
        """
        if not self.success:
            return []
        assert self.activity is not None and self.new_capacity is not None
        assert self.capacity is not None and self.fulfilment is not None
        assert self.set_aside is not None
        return [
            *_check_reported(self, rtol),
            *_check_years(self, rtol),
            *_check_stocks(self, rtol),
            *_check_rule(self, rtol),
        ]


@dataclass(frozen=True, eq=False)
class Comparison:
    """Several strategies on the same economy (:func:`compare`); ``results`` by strategy."""

    results: Mapping[str, YearsResult]

    def to_frame(self) -> Any:
        """One DataFrame: a row per (strategy, year), the columns of :meth:`YearsResult.summary`."""
        import pandas as pd

        return pd.concat([r.to_frame() for r in self.results.values()])

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategies": list(self.results),
            "results": {k: r.to_dict() for k, r in self.results.items()},
        }


# ---------------------------------------------------------------------- check()


def _differs(a: Array, b: Array, rtol: float) -> bool:
    """``a`` and ``b`` differ by more than ``rtol`` of ``b``'s largest entry (at least 1)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return bool(np.abs(a - b).max(initial=0.0) > rtol * max(np.abs(b).max(initial=0.0), 1.0))


def _check_reported(r: YearsResult, rtol: float) -> list[str]:
    """The reported arrays against what z, N and K imply."""
    P, cap = r.problem, r.capital
    z, N, K = r.activity, r.new_capacity, r.capacity
    assert z is not None and N is not None and K is not None
    T = P.T
    gross: Array = np.stack(
        [np.bincount(P.makes, weights=z[t], minlength=P.n) for t in range(T)]
    ).astype(np.float64)
    implied: dict[str, tuple[Array | None, Array]] = {
        "gross output": (r.gross_output, gross),
        "net output": (
            r.net_output,
            gross - np.stack([P.beta[t] * (P.B @ z[t]) for t in range(T)]),
        ),
        "investment": (r.investment, cap.install(N)),
        "capital stock": (r.capital_stock, cap.install(K)),
        "depreciation": (r.depreciation, cap.install(P.delta * K[:T])),
    }
    for q, name in enumerate(r.caps):
        implied[f"use of {name}"] = (r.use.get(name), P.gamma[:, q] * (z @ P.C[q]))
    bad = [
        f"{what} is not what the activity and capacity imply"
        for what, (got, want) in implied.items()
        if got is None or np.shape(got) != np.shape(want) or _differs(got, want, rtol)
    ]
    value = objective_value(P, z, np.asarray(r.fulfilment))
    if abs(r.objective_value - value) > rtol * max(abs(value), 1.0):
        bad.append(f"objective value {r.objective_value:.9g} is not the plan's {value:.9g}")
    return bad


def _check_years(r: YearsResult, rtol: float) -> list[str]:
    """Each year's balance, floors, capacity, capital goods, caps and fulfilment bounds."""
    P, e = r.problem, r.economy
    z, N, K, c, J = r.activity, r.new_capacity, r.capacity, r.fulfilment, r.set_aside
    assert z is not None and N is not None and K is not None and c is not None and J is not None
    bad: list[str] = []
    for t in range(P.T):
        year = t + 1
        made = np.bincount(P.makes, weights=z[t], minlength=P.n)
        net = made - P.beta[t] * (P.B @ z[t])
        need = P.f[t] + c[t] * P.Y[t] + J[t]
        for i in np.flatnonzero(need - net > rtol * np.maximum(np.abs(need), 1.0)):
            gap = need[i] - net[i]
            bad.append(f"year {year}: net output of {e.products[i]} short by {gap:.3g}")
        for k in np.flatnonzero(z[t] - K[t] > rtol * np.maximum(K[t], 1.0)):
            bad.append(f"year {year}: {e.processes[k]} runs above its capacity")
        for i in np.flatnonzero(P.f[t] - net > rtol * np.maximum(P.f[t], 1.0)):
            bad.append(f"year {year}: floor of {e.products[i]} not met")
        used = r.capital.install(N[t])
        for i in np.flatnonzero(used - J[t] > rtol * np.maximum(used, 1.0)):
            bad.append(f"year {year}: more {e.products[i]} installed than set aside")
        for q, (name, cap) in enumerate(r.caps.items()):
            use = P.gamma[t, q] * float(P.C[q] @ z[t])
            if np.isfinite(cap[t]) and use > cap[t] * (1 + rtol) + rtol:
                bad.append(f"year {year}: {name} {use:.6g} above cap {cap[t]:.6g}")
        if not P.c_lo[t] - rtol <= c[t] <= P.c_hi[t] + rtol:
            bad.append(f"year {year}: fulfilment {c[t]:.6g} outside [{P.c_lo[t]}, {P.c_hi[t]}]")
    if (z < -rtol).any() or (N < -rtol).any() or (J < -rtol).any():
        bad.append("negative activity, new capacity or capital goods set aside")
    late = np.abs(N[P.T_N :]).max(initial=0.0)
    if late > rtol * max(np.abs(N).max(initial=0.0), 1.0):
        bad.append(f"new capacity started in year {P.T_N + 1} or later cannot run within the plan")
    return bad


def _check_stocks(r: YearsResult, rtol: float) -> list[str]:
    """K_0, the capacity recursion, the capital-stock identity and the end capacity."""
    P, e = r.problem, r.economy
    N, K, S = r.new_capacity, r.capacity, r.capital_stock
    D, I = r.depreciation, r.investment
    assert N is not None and K is not None and S is not None and D is not None and I is not None
    bad: list[str] = []
    if _differs(K[0], P.K0, rtol):
        bad.append("capacity in year 1 is not the capacity given")
    scale = max(np.abs(K).max(), 1.0)
    stock_scale = max(np.abs(S).max(), 1.0)
    for t in range(P.T):
        year = t + 1
        early = t + 1 < P.lag
        arriving = P.pipeline[t] if early else N[t + 1 - P.lag]
        if np.abs(K[t + 1] - (1.0 - P.delta) * K[t] - arriving).max() > rtol * scale:
            bad.append(f"year {year}: capacity does not follow K' = (1 − δ) K + N")
        installed = r.capital.install(P.pipeline[t]) if early else I[t + 1 - P.lag]
        if np.abs(S[t + 1] - S[t] + D[t] - installed).max() > rtol * stock_scale:
            bad.append(
                f"year {year}: capital stock does not follow S' = S − depreciation + investment"
            )
    short = P.K_end - K[P.T]
    for k in np.flatnonzero(short > rtol * np.maximum(P.K_end, 1.0)):
        bad.append(f"end of plan: capacity of {e.processes[k]} below {P.K_end[k]:.6g}")
    return bad


def _check_rule(r: YearsResult, rtol: float) -> list[str]:
    """The strategy's investment rule in every year that invests (module docstring)."""
    P = r.problem
    N, K = r.new_capacity, r.capacity
    assert N is not None and K is not None
    bad: list[str] = []
    scale = max(np.abs(N).max(initial=0.0), 1.0)
    for t in range(P.T_N):
        year = t + 1
        if P.strategy == "heavy-industry-first":
            v = np.asarray(P.Q.sum(axis=0)).ravel() * N[t]
            if abs(v[P.group].sum() - P.share * v.sum()) > rtol * max(v.sum(), 1.0):
                bad.append(f"year {year}: capital goods' share of investment is not {P.share:g}")
        elif P.strategy in ("balanced", "consumption-first"):
            extra = N[t] - P.delta * K[t]
            alpha = float(extra @ P.K0) / max(float(P.K0 @ P.K0), 1e-300)
            if P.strategy == "consumption-first":
                alpha = 0.0
            if alpha < -rtol or np.abs(extra - alpha * P.K0).max() > rtol * scale:
                bad.append(f"year {year}: new capacity does not follow the {P.strategy} rule")
    return bad


# ---------------------------------------------------------------------- the entry points


def plan_years(
    economy: Economy,
    *,
    years: int = 5,
    capital: Capital | None = None,
    strategy: str = "optimal",
    objective: str = "max_min",
    consumption: str | ArrayLike | Mapping[str, float] | None = None,
    floors: str | ArrayLike | Mapping[str, float] | None = None,
    consumption_floor: float = 0.0,
    end_targets: str | ArrayLike | Mapping[str, float] | None = None,
    labour: float | str | Sequence[float] | None = "100%",
    labour_growth: float = 0.0,
    hours: Sequence[float] | None = None,
    caps: Mapping[str, float | str | Sequence[float]] | None = None,
    progress: Mapping[str, float] | None = None,
    population: float | None = None,
    population_growth: float = 0.0,
    capacity: ArrayLike | Mapping[str, float] | None = None,
    lag: int = 1,
    share: float = DEFAULT_SHARE,
    discount: float = DEFAULT_DISCOUNT,
    end_capacity: float = 1.0,
    method: str = "auto",
    time_limit: float | None = None,
    rtol: float = 1e-9,
) -> YearsResult:
    """A ``years``-year plan for ``economy`` (module docstring; equations in
    :mod:`commonplan.numerics.multiyear`).

    Parameters
    ----------
    capital
        Capital coefficients; default :func:`commonplan.plan.capital.derive_capital` (documented
        derivation from the table), or :func:`commonplan.plan.capital.capital_from_coefficients`.
    strategy
        One of :data:`STRATEGIES`.
    objective
        ``"max_min"``, ``"discounted"``, ``"min_labour"`` or ``"min_<resource>"``.
    consumption
        The bundle Y whose fulfilment c_t is maximised (a final-demand name, a vector or
        {product: amount}).  Default: the first final demand less the base-year investment
        (``capital.gfcf``): investment is decided by the plan.
    floors
        Net output every year must reach, whatever the objective (food, care …).
    consumption_floor
        Least fulfilment c_t of the bundle in every year.
    end_targets
        ``min_`` objectives: the bundle that the last year must deliver in full (default the
        consumption bundle).
    labour
        Year 1's hours: an amount, a share of the hours the base output takes (``"100%"``, the
        default; ignored for an economy without labour), one value per year, or ``None`` for no
        cap.  Scalars grow by ``labour_growth`` a year and
        are multiplied by ``hours[t]`` (hours per worker as an index, 1 = today).
    caps
        Other resources: {name: amount, "x%" of today's use, or one value per year}.
    progress
        Technical progress, the yearly fall of coefficients: {"labour": 0.02, "inputs": 0.01,
        "co2": 0.03, …}; year t uses (1 − rate)^(t−1) times the base coefficient.
    population, population_growth
        People in year 1 (default 1: per head is per year-1 population) and their growth; the
        bundle grows with them, so c_t is fulfilment per head.
    capacity
        Capacity in year 1 by process (vector, or {process: amount} over the default): default
        the base-year output.
    lag
        Years from setting capital goods aside to the new capacity running (≥ 1).
    share
        λ_K of ``"heavy-industry-first"``.
    discount
        β of the discounted sum (and of ``max_min``'s second stage).
    end_capacity
        Capacity at the end of the plan at least this multiple of year 1's (0: none).
    method
        ``"auto"``, ``"projected"`` (cutting planes on the yearly aggregates), ``"condensed"``
        or ``"full"`` (HiGHS on the whole LP); see
        :func:`commonplan.numerics.multiyear.solve_years`.
    """
    e = economy
    if method not in FORMS:
        raise PlanInputError(f"method must be one of {', '.join(FORMS)}; got {method!r}")
    if strategy not in STRATEGIES:
        raise PlanInputError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
    T = count(years, "years")
    L = count(lag, "lag")
    notes: list[str] = []
    cap_ = capital if capital is not None else derive_capital(e)
    if cap_.products != e.products or cap_.processes != e.processes:
        raise PlanInputError("capital was derived for another economy (products differ)")
    notes += list(cap_.derivation)
    groups = cap_.groups or sector_groups(
        e, [e.products[i] for i in np.flatnonzero(cap_.capital_goods)]
    )
    inputs = e.input_names
    C = input_matrix(e)
    x_base = np.zeros(e.m)
    x_base[e.techniques] = base_output(e) if cap_.base_output is None else cap_.base_output
    today = C @ x_base

    # consumption bundle, floors, population
    if consumption is None:
        key, y = e.demand(None)
        Y0 = np.asarray(y, dtype=np.float64) - cap_.gfcf
        clipped = np.flatnonzero(Y0 < 0)
        if len(clipped):
            notes.append(
                f"consumption bundle: {key!r} less base-year investment is negative for "
                f"{', '.join(e.products[i] for i in clipped[:5])}; set to 0 there"
            )
        Y0 = np.maximum(Y0, 0.0)
        notes.append(f"consumption bundle: final demand {key!r} less base-year investment")
    else:
        Y0 = product_amounts(e, consumption, "consumption")
    if not Y0.any():
        raise PlanInputError("the consumption bundle is all zero: there is nothing to plan for")
    f0 = np.zeros(e.n) if floors is None else product_amounts(e, floors, "floors")
    pg = finite(population_growth, "population_growth")
    people: Array = (1.0 if population is None else positive(population, "population")) * (
        1.0 + pg
    ) ** np.arange(T, dtype=np.float64)
    Y = np.outer((1.0 + pg) ** np.arange(T), Y0)
    f = np.tile(f0, (T, 1))

    # technical progress
    beta: Array = np.ones(T)
    gamma: Array = np.ones((T, len(inputs)))
    for name, rate in (progress or {}).items():
        r = finite(rate, f"progress of {name!r}")
        if not -1.0 < r < 1.0:
            raise PlanInputError(
                f"progress of {name!r} must be a yearly rate in (−1, 1), got {rate!r}"
            )
        factor: Array = (1.0 - r) ** np.arange(T, dtype=np.float64)
        if name == "inputs":
            beta = factor
        elif name in inputs:
            gamma[:, inputs.index(name)] = factor
        else:
            raise UnknownNameError(
                f"progress: economy {e.name!r} has no input {name!r}; use 'inputs' or one of "
                f"{', '.join(inputs) or 'none'}"
            )

    # caps per year
    cap = np.full((T, len(inputs)), np.inf)
    if labour is not None and LABOUR not in inputs:
        if labour != "100%":
            raise UnknownNameError(f"economy {e.name!r} has no labour input to cap")
        notes.append(f"economy {e.name!r} has no labour input: labour is not capped")
    elif labour is not None:
        cap[:, inputs.index(LABOUR)] = _labour_path(
            labour, T, today[inputs.index(LABOUR)], labour_growth, hours
        )
    for name, value in (caps or {}).items():
        q = input_index(e, name)
        cap[:, q] = _cap_path(value, T, today[q], name)

    # objective
    phi = np.zeros(len(inputs))
    c_lo = np.full(T, nonneg(consumption_floor, "consumption_floor"))
    c_hi = np.full(T, np.inf)
    minimised = minimised_input(e, objective, OBJECTIVES)
    if minimised is None:
        kind = objective  # max_min or discounted
    else:
        phi[inputs.index(minimised)] = 1.0
        kind = "min_input"
        if end_targets is not None:
            Y[T - 1] = product_amounts(e, end_targets, "end_targets")
        c_lo[T - 1] = max(c_lo[T - 1], 1.0)
        notes.append(
            f"year {T} delivers the end targets in full; {minimised} over the plan minimised"
        )

    # capacity
    K0 = x_base.copy()
    if capacity is not None:
        K0 = _capacity(e, capacity, K0)
    delta = cap_.depreciation
    lam = nonneg(share, "share")
    if strategy == "heavy-industry-first" and not 0.0 < lam < 1.0:
        raise PlanInputError(f"share (λ_K) must lie strictly between 0 and 1, got {share!r}")
    problem = YearsProblem(
        B=e.inputs,
        makes=e.makes,
        choice=np.asarray(e.techniques, dtype=np.intp),
        S=cap_.composition,
        Q=cap_.per_capacity,
        delta=delta,
        lag=L,
        K0=K0,
        pipeline=np.tile(delta * K0, (L - 1, 1)),
        C=C,
        cap=cap,
        f=f,
        Y=Y,
        beta=beta,
        gamma=gamma,
        K_end=nonneg(end_capacity, "end_capacity") * K0,
        objective=kind,
        discount=positive(discount, "discount"),
        phi=phi,
        c_lo=c_lo,
        c_hi=c_hi,
        strategy=strategy,
        share=lam,
        group=cap_.capital_goods[e.makes],
    )
    prepared = e.prepared if e.n > 2000 and e.single_technique else None
    solution = solve_years(
        problem, form=method, prepared=prepared, time_limit=time_limit, rtol=rtol
    )
    if not e.single_technique and solution.method.startswith("condensed"):
        notes.append("several techniques: the condensed form fixed each product's technique")
    return _result(e, cap_, problem, solution, strategy, objective, inputs, groups, people, notes)


def compare(
    economy: Economy,
    strategies: Sequence[str] = (
        "heavy-industry-first",
        "balanced",
        "consumption-first",
        "optimal",
    ),
    on_progress: OnProgress | None = None,
    **options: Any,
) -> Comparison:
    """:func:`plan_years` under each strategy, everything else equal (``options`` are passed on;
    the capital coefficients are derived once); ``on_progress`` (:mod:`commonplan.progress`) is
    told each strategy as it is planned."""
    if not strategies:
        raise PlanInputError("compare needs at least one strategy")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise PlanInputError(
            f"unknown strateg{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"use {', '.join(STRATEGIES)}"
        )
    names = tuple(dict.fromkeys(strategies))
    steps = Steps(on_progress, [("deriving the capital", 1.0)] + [(n, 4.0) for n in names])
    steps.begin("deriving the capital")
    if options.get("capital") is None:
        options["capital"] = derive_capital(economy)
    planned = {}
    for name in names:
        steps.begin(name)
        planned[name] = plan_years(economy, strategy=name, **options)
    steps.finish()
    return Comparison(planned)


# ---------------------------------------------------------------------- arrays → result


def _result(
    e: Economy,
    capital: Capital,
    P: YearsProblem,
    s: YearsSolution,
    strategy: str,
    objective: str,
    inputs: tuple[str, ...],
    groups: Mapping[str, NDArray[np.bool_]],
    people: Array,
    notes: list[str],
) -> YearsResult:
    common: dict[str, Any] = {
        "status": s.status,
        "message": s.message,
        "strategy": strategy,
        "objective": objective,
        "objective_value": s.objective,
        "method": s.method,
        "seconds": s.seconds,
        "iterations": s.iterations,
        "economy": e,
        "capital": capital,
        "problem": P,
        "groups": dict(groups),
        "population": people,
        "caps": {k: P.cap[:, i].copy() for i, k in enumerate(inputs)},
        "notes": tuple(notes),
    }
    if s.status == INFEASIBLE:
        found = _diagnose(e, P, inputs, strategy, objective)
        common["diagnosis"] = found
        common["message"] = found.message
    if s.z is None or s.N is None or s.K is None or s.c is None or s.J is None:
        return YearsResult(**common)
    T = P.T
    z, N, K = s.z, s.N, s.K
    gross = np.stack([np.bincount(P.makes, weights=z[t], minlength=P.n) for t in range(T)]).astype(
        np.float64
    )
    net = gross - np.stack([P.beta[t] * (P.B @ z[t]) for t in range(T)])
    investment = capital.install(N)
    set_aside = np.asarray((P.S @ s.J.T).T)
    stock = capital.install(K)
    wear = capital.install(P.delta * K[:T])
    use = {k: P.gamma[:, i] * (z @ P.C[i]) for i, k in enumerate(inputs)}
    prices = {k: s.pi[:, i].copy() for i, k in enumerate(inputs)} if s.pi is not None else {}
    value = s.objective
    return YearsResult(
        **common | {"objective_value": value},
        fulfilment=s.c,
        activity=z,
        gross_output=gross,
        net_output=net,
        new_capacity=N,
        capacity=K,
        investment=investment,
        set_aside=set_aside,
        capital_stock=stock,
        depreciation=wear,
        use=use,
        cap_prices=prices,
    )


def _diagnose(
    e: Economy, P: YearsProblem, inputs: tuple[str, ...], strategy: str, objective: str
) -> YearsDiagnosis:
    """The infeasible plan's :class:`YearsDiagnosis`, in names; never raises."""
    try:
        found = diagnose_years(P)
    except SolverError as exc:
        return YearsDiagnosis(f"{INFEASIBLE_TEXT}; the diagnosis failed: {exc}", None)
    if not found.located:
        return YearsDiagnosis(f"{INFEASIBLE_TEXT} ({found.reason})", None)
    kinds = {m.kind for m in found.members}

    def codes(kind: str, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(names[m.index] for m in found.members if m.kind == kind)

    targets = "the end targets" if objective.startswith("min_") else "the consumption minimum"
    floors = [m.index for m in found.members if m.kind == "floor"]
    needs = [f"the floors of {listing([e.label(i) for i in floors])}"] if floors else []
    needs += [targets] if "consumption" in kinds else []
    needs += ["the end-of-plan capacity"] if "end" in kinds else []
    limits = [f"the {q} cap" for q in codes("cap", inputs)]
    held = codes("capacity", e.processes)
    limits += [f"the capacity of {listing(list(held))}"] if held else []
    limits += [f"the {strategy} investment rule"] if "strategy" in kinds else []
    when = f"in year {found.year}" if found.year is not None else "at the end of the plan"
    message = (
        f"infeasible {when}: {' and '.join(needs) or 'the requirements'} cannot be met within "
        f"{' and '.join(limits) or 'the limits'}"
    )
    relaxations = sorted(
        (_relaxation(e, inputs, lever, targets) for lever in found.levers),
        key=lambda r: r.change,
    )
    if relaxations:
        message += "; cheapest ways out: " + ", or ".join(r.message for r in relaxations[:4])
    return YearsDiagnosis(
        message=message,
        year=found.year,
        caps=codes("cap", inputs),
        floors=codes("floor", e.products),
        capacities=held,
        consumption="consumption" in kinds,
        end_capacity="end" in kinds,
        strategy=strategy if "strategy" in kinds else None,
        minimal=found.minimal,
        relaxations=tuple(relaxations),
    )


INFEASIBLE_TEXT = "infeasible: the floors, caps and capacity cannot all hold"


def _relaxation(e: Economy, inputs: tuple[str, ...], lever: Lever, targets: str) -> Relaxation:
    """A :class:`Lever` in words."""
    f, i = lever.factor, lever.index
    down, up = 1.0 - f, f - 1.0
    if lever.kind == "floor":
        text = f"floor of {e.label(i)} −{_pct(down)}"
        return Relaxation("floor", e.products[i], down, f, text)
    if lever.kind == "floors":
        return Relaxation("floors", "all floors", down, f, f"every floor −{_pct(down)}")
    if lever.kind == "cap":
        text = f"{inputs[i]} cap +{_pct(up)} in every year"
        return Relaxation("cap", inputs[i], up, f, text)
    if lever.kind == "caps":
        return Relaxation("caps", "all caps", up, f, f"every cap +{_pct(up)}")
    if lever.kind == "capacity":
        text = f"year-1 capacity of {e.processes[i]} +{_pct(up)}"
        return Relaxation("capacity", e.processes[i], up, f, text)
    if lever.kind == "consumption":
        return Relaxation("consumption", targets, down, f, f"{targets} −{_pct(down)}")
    return Relaxation("end_capacity", "end capacity", down, f, f"end capacity −{_pct(down)}")


def _pct(x: float) -> str:
    return f"{100 * x:.3g} %"


# ---------------------------------------------------------------------- names → arrays


def _labour_path(
    labour: float | str | Sequence[float],
    T: int,
    today: float,
    growth: float,
    hours: Sequence[float] | None,
) -> Array:
    if isinstance(labour, str) or np.ndim(labour) == 0:
        first = amount(labour, "labour", lambda: today)  # type: ignore[arg-type]
        g = finite(growth, "labour_growth")
        path: Array = first * (1.0 + g) ** np.arange(T, dtype=np.float64)
        if hours is not None:
            h = np.asarray(hours, dtype=np.float64).ravel()
            if h.shape != (T,) or not np.isfinite(h).all() or (h < 0).any():
                raise PlanInputError(f"hours needs one index ≥ 0 per year ({T}), got {list(h)}")
            path = path * h
        return path
    return _cap_path(labour, T, today, "labour")


def _cap_path(value: Any, T: int, today: float, name: str) -> Array:
    if isinstance(value, str) or np.ndim(value) == 0:
        return np.full(T, amount(value, name, lambda: today))
    vals = list(value)
    if len(vals) != T:
        raise PlanInputError(f"cap on {name!r}: {len(vals)} values for {T} years")
    return np.array(
        [amount(v, f"{name} in year {t + 1}", lambda: today) for t, v in enumerate(vals)]
    )


def _capacity(e: Economy, capacity: Any, default: Array) -> Array:
    if isinstance(capacity, Mapping):
        return capacities(e, capacity, default)
    arr = np.asarray(capacity, dtype=np.float64).ravel()
    if arr.shape != (e.m,):
        raise PlanInputError(f"capacity has {arr.size} entries, expected one per process ({e.m})")
    return nonneg_vector(arr, e.processes, "capacity")
