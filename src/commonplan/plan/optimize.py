"""Optimal plans: with the hours people will work, the CO2 we may emit and the plant we have, how
much of what we want can we have, by which techniques, and what is scarce?

That is Kantorovich's plan problem (see :mod:`commonplan.numerics.lp` for the equations).  This
module turns names into arrays — targets, floors, caps and capacities given by product, resource
and process codes — calls a solver, and turns the arrays back into a result a planner can read:
fulfilment per target group, what binds, shadow prices, and, when the floors and caps cannot all
hold, a diagnosis with the smallest conflicting set and the cheapest relaxations.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from commonplan.economy.model import LABOUR, Economy
from commonplan.errors import PlanInputError, UnknownNameError
from commonplan.numerics.decomposition import certify, solve_structured
from commonplan.numerics.lp import (
    HIGHS_SOLVERS,
    INFEASIBLE,
    LIMIT,
    OPTIMAL,
    UNBOUNDED,
    PlanProblem,
    PlanSolution,
    solve_highs,
)

__all__ = [
    "HIGHS_FALLBACK_MAX",
    "METHODS",
    "OBJECTIVES",
    "Diagnosis",
    "OptimizeResult",
    "Relaxation",
    "TargetGroup",
    "current_use",
    "optimize",
    "product_amounts",
]

Array = NDArray[np.float64]

OBJECTIVES = ("max_fulfilment", "max_weighted", "min_labour")
"""Objectives; ``"min_<resource>"`` (e.g. ``"min_co2"``) minimises any other primary input."""

METHODS = ("auto", "structured", *HIGHS_SOLVERS)

STRUCTURED_MAX_CAPACITIES = 16
"""Above this many process capacities ``method="auto"`` uses HiGHS: each capacity is a coupling
row of the structured solver's master problem."""

STRUCTURED_MAXITER = 200
"""Master solves the structured solver may take before it stops uncertified (status "limit")."""

HIGHS_FALLBACK_MAX = 50_000
"""``method="auto"`` falls back to HiGHS's interior point (``"highs-ipm"``) when the structured
solver cannot certify optimality and the economy has at most this many processes.  Measured on a
2-core machine: 25 s for 2 × 10⁴ processes (10⁴ products); not finished in 600 s (11 GB) at
2 × 10⁵; HiGHS's default choice, the dual simplex, took over 600 s at 2 × 10⁴."""

FALLBACK_METHOD = "highs-ipm"


@dataclass(frozen=True)
class TargetGroup:
    """A bundle of products wanted together, e.g. a council's list or a sector's programme.

    ``amounts``: {product code: amount}, a vector over the products, or the name of one of the
    economy's final-demand vectors.  ``weight``: its weight under ``objective="max_weighted"``.
    ``ceiling``: the most fulfilment wanted (1.0 = all of it; ``None`` = no limit).
    """

    name: str
    amounts: Mapping[str, float] | ArrayLike | str
    weight: float = 1.0
    ceiling: float | None = None


@dataclass(frozen=True)
class Relaxation:
    """One way out of an infeasible plan: change one cap or floor (or all) by ``change``.

    ``kind``: ``"cap"``, ``"caps"`` (all caps and capacities together), ``"floor"``, ``"floors"``
    (all floors and minimum targets together) or ``"capacity"``.  ``change`` is relative: +0.031
    raises a cap by 3.1 %, 0.04 lowers a floor by 4 %.  ``value`` is the new cap or floor.
    """

    kind: str
    name: str
    change: float
    value: float
    message: str


@dataclass(frozen=True)
class Diagnosis:
    """Why a plan is infeasible, and the cheapest ways out.

    ``caps``, ``floors`` (product codes), ``capacities`` (process codes) and ``targets`` (groups
    whose required minimum takes part) together form a conflicting set: these alone cannot all
    hold.  ``minimal`` says whether dropping any one of them is proven to resolve it.
    ``relaxations`` is sorted, smallest change first.
    """

    message: str
    caps: tuple[str, ...]
    floors: tuple[str, ...]
    capacities: tuple[str, ...]
    targets: tuple[str, ...]
    minimal: bool
    relaxations: tuple[Relaxation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "conflict": {
                "caps": list(self.caps),
                "floors": list(self.floors),
                "capacities": list(self.capacities),
                "targets": list(self.targets),
                "minimal": self.minimal,
            },
            "relaxations": [
                {"kind": r.kind, "name": r.name, "change": r.change, "value": r.value}
                for r in self.relaxations
            ],
        }


@dataclass(frozen=True, eq=False)
class OptimizeResult:
    """An optimal plan, or why there is none.

    ``status``: ``"optimal"``, ``"infeasible"``, ``"unbounded"`` or ``"limit"`` (a solver stopped
    before it could certify the optimum; ``gap`` says how far the best bound may be).  Arrays are
    over the economy's processes (``activity``) or products (the rest); where the status gives no
    plan they are ``None``.  ``objective_value`` is Σ weight × fulfilment for the ``max_``
    objectives and the amount of the input minimised for ``min_<input>``.  Shadow prices are in
    units of the objective per unit of the product or input (for ``max_fulfilment``: fulfilment
    per unit); :meth:`prices_in` converts them to labour hours or any other numeraire.
    """

    status: str
    message: str
    objective: str
    objective_value: float
    method: str
    rtol: float
    gap: float
    iterations: int
    seconds: float
    products: tuple[str, ...]
    processes: tuple[str, ...]
    activity: Array | None
    gross_output: Array | None
    net_output: Array | None
    techniques: Mapping[str, str]
    mixed: tuple[str, ...]
    fulfilment: Mapping[str, float]
    use: Mapping[str, float]
    caps: Mapping[str, float]
    shadow_prices: Array | None
    cap_prices: Mapping[str, float]
    capacity_prices: Mapping[str, float]
    binding: tuple[str, ...]
    diagnosis: Diagnosis | None = None
    notes: tuple[str, ...] = ()
    floors: Array | None = field(default=None, repr=False)
    targets: Array | None = field(default=None, repr=False)

    @property
    def success(self) -> bool:
        return self.status == OPTIMAL

    def prices_in(self, numeraire: str = LABOUR) -> Array:
        """Shadow prices of the products in units of the cap ``numeraire`` (e.g. labour hours).

        Kantorovich's valuations are meaningful up to scale; dividing by the price of a binding
        cap expresses them in that input: hours of work per unit of each product.
        """
        if self.shadow_prices is None:
            raise PlanInputError(f"a plan with status {self.status!r} has no shadow prices")
        price = self.cap_prices.get(numeraire, 0.0)
        if price <= 0:
            raise PlanInputError(
                f"the cap on {numeraire!r} does not bind (its price is zero), so prices cannot "
                f"be expressed in it; binding caps: "
                f"{', '.join(k for k, v in self.cap_prices.items() if v > 0) or 'none'}"
            )
        return self.shadow_prices / price

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: maps from product / process / input names to numbers."""

        def by(codes: Sequence[str], v: Array | None, skip_zero: bool = False) -> dict[str, float]:
            if v is None:
                return {}
            return {c: float(x) for c, x in zip(codes, v, strict=True) if x or not skip_zero}

        return {
            "status": self.status,
            "message": self.message,
            "objective": self.objective,
            "objective_value": _num(self.objective_value),
            "method": self.method,
            "rtol": self.rtol,
            "gap": _num(self.gap),
            "iterations": self.iterations,
            "seconds": self.seconds,
            "fulfilment": dict(self.fulfilment),
            "activity": by(self.processes, self.activity, skip_zero=True),
            "gross_output": by(self.products, self.gross_output),
            "net_output": by(self.products, self.net_output),
            "techniques": dict(self.techniques),
            "mixed": list(self.mixed),
            "use": dict(self.use),
            "caps": dict(self.caps),
            "shadow_prices": {
                "products": by(self.products, self.shadow_prices),
                "caps": dict(self.cap_prices),
                "capacities": dict(self.capacity_prices),
            },
            "binding": list(self.binding),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
            "notes": list(self.notes),
        }


def _num(v: float) -> float | str:
    return float(v) if np.isfinite(v) else ("inf" if v > 0 else ("-inf" if v < 0 else "nan"))


# ---------------------------------------------------------------------- the entry point


def optimize(
    economy: Economy,
    *,
    targets: Mapping[str, Any] | Sequence[TargetGroup] | ArrayLike | str | None = None,
    floors: Mapping[str, float] | ArrayLike | str | None = None,
    caps: Mapping[str, float | str] | None = None,
    capacities: Mapping[str, float] | None = None,
    objective: str = "max_fulfilment",
    method: str = "auto",
    rtol: float = 1e-9,
    time_limit: float | None = None,
    diagnose: bool = True,
) -> OptimizeResult:
    """The optimal plan for ``economy``.

    Parameters
    ----------
    targets
        What is wanted beyond the floors: the name of a final-demand vector of the economy, a
        vector, {product: amount}, {group: {product: amount}} for several groups, or a list of
        :class:`TargetGroup`.  Default: the economy's first final-demand vector.
    floors
        Hard minimum net output of products (food, housing, health, care …): {product: amount},
        a vector, or a final-demand name.  No objective trades them away.
    caps
        {input: most to use}, inputs being ``"labour"`` and the economy's resources.  A value
        like ``"70%"`` means that share of what the economy uses today (its gross output).
        Default, where the economy has labour and gross output: labour capped at today's hours.
    capacities
        {process: most activity}.
    objective
        ``"max_fulfilment"``: the largest common fulfilment t of every group (Kantorovich);
        ``"max_weighted"``: the largest Σ weight × fulfilment, each group up to its ceiling;
        ``"min_labour"`` (or ``"min_<resource>"``): every target met in full with the least
        labour (resource) — the most free time.
    method
        ``"auto"`` (structured; where it cannot certify the optimum, HiGHS's interior point for
        economies of up to :data:`HIGHS_FALLBACK_MAX` processes, recorded in ``method`` and
        ``notes``; HiGHS where there are many capacities), ``"structured"``, ``"highs"`` (HiGHS
        picks its algorithm), ``"highs-simplex"``, ``"highs-ipm"`` or ``"highs-pdlp"``.
    rtol
        Relative optimality tolerance; the result records it and the gap reached.
    time_limit
        Seconds the solver may take (status ``"limit"`` beyond, with the best plan found and its
        certified gap where there is one).  With ``"auto"`` the structured solver and a HiGHS
        fallback share it.  The structured solver checks it between master solves.
    diagnose
        When infeasible, find the conflicting set and the cheapest relaxations (more solves).
    """
    if method not in METHODS:
        raise PlanInputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    spec = _Spec.build(economy, targets, floors, caps, capacities, objective)
    solve = _solver(economy, method, rtol, time_limit, len(spec.capacity_index))
    started = time.perf_counter()
    solution = solve(spec.problem)
    notes = list(spec.notes)
    if solution.status == LIMIT and method == "auto" and solution.method == "structured":
        left = None if time_limit is None else time_limit - (time.perf_counter() - started)
        solution = _fall_back(economy, spec.problem, solution, rtol, left, notes)
    diagnosis = None
    if solution.status == INFEASIBLE and diagnose:
        diagnosis = _diagnose(spec, solution, solve)
    return spec.result(solution, diagnosis, notes)


def current_use(economy: Economy, name: str) -> float:
    """What the economy uses of ``"labour"`` or a resource at its observed gross output."""
    if economy.gross_output is None:
        raise PlanInputError(
            f"economy {economy.name!r} has no gross output, so a cap relative to today's use "
            f"of {name!r} cannot be computed; give the cap as an amount"
        )
    coef = economy.direct(name)
    return float(coef[economy.techniques] @ economy.gross_output)


def _solver(
    economy: Economy, method: str, rtol: float, time_limit: float | None, n_capacities: int
) -> Any:
    if method == "auto":
        method = "structured" if n_capacities <= STRUCTURED_MAX_CAPACITIES else "highs"
    if method == "structured":
        pricer = economy.pricer

        def structured(P: PlanProblem) -> PlanSolution:
            return solve_structured(
                P, pricer=pricer, rtol=rtol, maxiter=STRUCTURED_MAXITER, time_limit=time_limit
            )

        return structured

    def highs(P: PlanProblem) -> PlanSolution:
        return _highs(economy, P, method, time_limit, rtol)

    return highs


def _highs(
    economy: Economy, P: PlanProblem, method: str, time_limit: float | None, rtol: float
) -> PlanSolution:
    """HiGHS; a plan it stopped at without proving it optimal gets the structured solver's
    Lagrangian bound at HiGHS's prices, and so a certified gap (HiGHS gives none for an LP)."""
    solution = solve_highs(P, method=method, time_limit=time_limit, rtol=rtol)
    if solution.status == LIMIT and solution.z is not None:
        solution = certify(P, solution, pricer=economy.pricer)
    return solution


def _fall_back(
    economy: Economy,
    P: PlanProblem,
    structured: PlanSolution,
    rtol: float,
    time_left: float | None,
    notes: list[str],
) -> PlanSolution:
    """HiGHS's interior point after the structured solver stopped uncertified (``"auto"``).

    Only for economies of up to :data:`HIGHS_FALLBACK_MAX` processes and within what is left of
    the time limit; the structured plan stands where HiGHS is not tried or does not do better
    (stops too, with no plan or a larger gap).  What happened is told in ``notes``; ``seconds``
    counts both solvers.
    """
    why = f"structured solver: {structured.message}"
    if P.m > HIGHS_FALLBACK_MAX:
        notes.append(
            f"{why}; HiGHS was not tried: {P.m:,} processes are more than its interior point "
            f"solves in practical time (at most {HIGHS_FALLBACK_MAX:,})"
        )
        return structured
    if time_left is not None and time_left <= 0:
        notes.append(f"{why}; HiGHS was not tried: no time left within the time limit")
        return structured
    within = "" if time_left is None else f" within the {time_left:.3g} s left"
    ipm = _highs(economy, P, FALLBACK_METHOD, time_left, rtol)
    seconds = structured.seconds + ipm.seconds
    if (
        ipm.status != LIMIT
        or (structured.z is None and ipm.z is not None)
        or (ipm.z is not None and ipm.gap < structured.gap)  # both stopped: the smaller gap
    ):
        notes.append(
            f"{why}; solved again with HiGHS's interior point (method {FALLBACK_METHOD!r})"
            f"{within}: {ipm.status} in {ipm.seconds:.3g} s"
        )
        return replace(ipm, seconds=seconds)
    notes.append(
        f"{why}; HiGHS's interior point (method {FALLBACK_METHOD!r}) also stopped{within} "
        f"({ipm.message}), so the structured solver's result stands"
    )
    return replace(structured, seconds=seconds)


# ---------------------------------------------------------------------- names → arrays


@dataclass(frozen=True, eq=False)
class _Spec:
    """A plan question in arrays, with the names to read the answer back."""

    economy: Economy
    problem: PlanProblem
    inputs: tuple[str, ...]  # rows of C
    groups: tuple[str, ...]  # user's groups
    group_T: Array  # n × (user groups), before any merging
    merged: bool  # max_fulfilment: one common level for every group
    objective: str
    capacity_index: NDArray[np.intp]
    notes: tuple[str, ...]

    @classmethod
    def build(
        cls,
        e: Economy,
        targets: Any,
        floors: Any,
        caps: Mapping[str, float | str] | None,
        capacities: Mapping[str, float] | None,
        objective: str,
    ) -> _Spec:
        notes: list[str] = []
        inputs = e.input_names
        minimise = minimised_input(e, objective)
        if minimise is None and objective not in OBJECTIVES:
            raise PlanInputError(
                f"objective must be one of {', '.join(OBJECTIVES)} or 'min_<resource>'; "
                f"got {objective!r}"
            )
        groups = _groups(e, targets)
        names = tuple(g.name for g in groups)
        T = np.column_stack(
            [product_amounts(e, g.amounts, f"target group {g.name!r}") for g in groups]
        )
        if not T.any():
            raise PlanInputError("the targets are all zero: there is nothing to plan for")
        f = np.zeros(e.n) if floors is None else product_amounts(e, floors, "floors")
        C = np.vstack([e.direct(name) for name in inputs]) if inputs else np.zeros((0, e.m))
        cap = np.full(len(inputs), np.inf)
        if caps is None and objective.startswith("max") and not capacities:
            if e.labour is not None and e.gross_output is not None:
                caps = {LABOUR: "100%"}
                notes.append(
                    "no caps given: labour capped at today's hours (its use at the "
                    "observed gross output)"
                )
        for name, value in (caps or {}).items():
            if name not in inputs:
                raise UnknownNameError(
                    f"cap on {name!r}: economy {e.name!r} has no such input; it has: "
                    f"{', '.join(inputs) or 'none'}"
                )
            cap[inputs.index(name)] = _cap_value(e, name, value)
        u = np.full(e.m, np.inf)
        proc_index = {c: k for k, c in enumerate(e.processes)} if capacities else {}
        for code, value in (capacities or {}).items():
            if code not in proc_index:
                raise UnknownNameError(
                    f"capacity for {code!r}: economy {e.name!r} has no such process"
                )
            u[proc_index[code]] = _nonneg(value, f"capacity of process {code!r}")
        phi = np.zeros(len(inputs))
        G = len(groups)
        weights = np.array([_positive(g.weight, f"weight of group {g.name!r}") for g in groups])
        ceilings = np.array(
            [
                np.inf if g.ceiling is None else _nonneg(g.ceiling, f"ceiling of group {g.name!r}")
                for g in groups
            ]
        )
        merged = objective == "max_fulfilment"
        if merged:
            Tm, w, lo, hi = (
                T.sum(axis=1)[:, None],
                np.ones(1),
                np.zeros(1),
                ceilings.min(keepdims=True),
            )
        elif objective == "max_weighted":
            Tm, w, lo, hi = T, weights, np.zeros(G), ceilings
        else:
            assert minimise is not None
            phi[inputs.index(minimise)] = 1.0
            Tm, w, lo, hi = T, np.zeros(G), np.ones(G), np.ones(G)
        problem = PlanProblem(
            B=e.inputs, makes=e.makes, C=C, cap=cap, phi=phi, f=f, T=Tm, w=w, lo=lo, hi=hi, u=u
        )
        return cls(
            e,
            problem,
            inputs,
            names,
            T,
            merged,
            objective,
            np.flatnonzero(np.isfinite(u)),
            tuple(notes),
        )

    # -------------------------------------------------------------- arrays → result

    def result(
        self, s: PlanSolution, diagnosis: Diagnosis | None, notes: list[str]
    ) -> OptimizeResult:
        e, P = self.economy, self.problem
        caps = {k: float(c) for k, c in zip(self.inputs, P.cap, strict=True) if np.isfinite(c)}
        common: dict[str, Any] = {
            "status": s.status,
            "message": self._message(s, diagnosis),
            "objective": self.objective,
            "method": s.method,
            "rtol": s.rtol,
            "gap": s.gap,
            "iterations": s.iterations,
            "seconds": s.seconds,
            "products": e.products,
            "processes": e.processes,
            "caps": caps,
            "diagnosis": diagnosis,
            "notes": tuple(notes),
            "floors": P.f,
            "targets": self.group_T,
        }
        if s.z is None or s.t is None:
            return OptimizeResult(
                objective_value=float("nan"),
                activity=None,
                gross_output=None,
                net_output=None,
                techniques={},
                mixed=(),
                fulfilment={},
                use={},
                shadow_prices=None,
                cap_prices={},
                capacity_prices={},
                binding=(),
                **common,
            )
        z, t = s.z, s.t
        gross = np.bincount(e.makes, weights=z, minlength=e.n).astype(np.float64)
        net = P.net_output(z)
        used = P.C @ z
        fulfil = {g: float(t[0] if self.merged else t[i]) for i, g in enumerate(self.groups)}
        techniques, mixed = _techniques(e, z, gross)
        priced = s.p is not None and s.pi is not None and s.mu is not None
        return OptimizeResult(
            objective_value=-s.objective if self.objective.startswith("min_") else s.objective,
            activity=z,
            gross_output=gross,
            net_output=net,
            techniques=techniques,
            mixed=mixed,
            fulfilment=fulfil,
            use={k: float(v) for k, v in zip(self.inputs, used, strict=True)},
            shadow_prices=s.p,  # None: a plan a solver stopped at without prices
            cap_prices={
                k: float(s.pi[i])  # type: ignore[index]
                for i, k in enumerate(self.inputs)
                if np.isfinite(P.cap[i]) and priced
            },
            capacity_prices={
                e.processes[j]: float(s.mu[j])  # type: ignore[index]
                for j in self.capacity_index
                if priced
            },
            binding=self._binding(z, t, used, net, s.rtol),
            **common,
        )

    def _message(self, s: PlanSolution, diagnosis: Diagnosis | None) -> str:
        if diagnosis is not None:
            return diagnosis.message
        if s.status == UNBOUNDED and not np.isfinite(self.problem.cap).any():
            return (
                "unbounded: nothing is capped, so the targets can grow without limit — give a cap "
                "(e.g. caps={'labour': hours})"
            )
        return s.message

    def _binding(self, z: Array, t: Array, used: Array, net: Array, rtol: float) -> tuple[str, ...]:
        """Caps and capacities used up, ceilings reached, products held at their floor."""
        P, e = self.problem, self.economy
        tol = max(rtol, 1e-7)
        out = [
            f"cap {name}"
            for name, c, u in zip(self.inputs, P.cap, used, strict=True)
            if np.isfinite(c) and u >= c - tol * max(abs(c), 1e-12)
        ]
        out += [
            f"capacity {e.processes[j]}"
            for j in self.capacity_index
            if z[j] >= P.u[j] - tol * max(P.u[j], 1e-12)
        ]
        for g, (level, hi) in enumerate(zip(t, P.hi, strict=True)):
            if np.isfinite(hi) and level >= hi - tol and self.objective == "max_weighted":
                out.append(f"ceiling {self.groups[g]}")
        extra = P.T @ t
        held = (P.f > 0) & (extra <= tol * P.f) & (net <= P.f * (1 + tol))
        out += [f"floor {e.products[i]}" for i in np.flatnonzero(held)]
        return tuple(out)


def _groups(e: Economy, targets: Any) -> list[TargetGroup]:
    if targets is None:
        key, _ = e.demand(None)
        return [TargetGroup(key, key)]
    if isinstance(targets, str):
        return [TargetGroup(targets, targets)]
    if isinstance(targets, Mapping):
        values = list(targets.values())
        if values and all(isinstance(v, Mapping | str | TargetGroup) for v in values):
            return [
                v if isinstance(v, TargetGroup) else TargetGroup(str(k), v)
                for k, v in targets.items()
            ]
        return [TargetGroup("targets", targets)]
    if (
        isinstance(targets, Sequence)
        and targets
        and all(isinstance(g, TargetGroup) for g in targets)
    ):
        names = [g.name for g in targets]  # type: ignore[union-attr]
        if len(set(names)) != len(names):
            raise PlanInputError(f"target group names must be unique: {names}")
        return list(targets)  # type: ignore[arg-type]
    return [TargetGroup("targets", targets)]


def minimised_input(e: Economy, objective: str) -> str | None:
    """The input a ``min_<input>`` objective minimises (``None`` for another objective);
    :class:`PlanInputError` when the economy has no such input."""
    if not objective.startswith("min_"):
        return None
    name = objective[4:]
    if name not in e.input_names:
        raise PlanInputError(
            f"objective {objective!r}: economy {e.name!r} has no input {name!r}; it has: "
            f"{', '.join(e.input_names) or 'none'}"
        )
    return name


def product_amounts(e: Economy, v: Any, what: str) -> Array:
    """A non-negative vector over the products from a name, a mapping or an array."""
    if isinstance(v, Mapping):
        unknown = [str(k) for k in v if str(k) not in e._index]
        if unknown:
            raise UnknownNameError(
                f"{what}: economy {e.name!r} has no product(s) {', '.join(unknown[:5])}"
            )
    try:
        _, arr = e.demand(v)
    except UnknownNameError:
        raise
    except Exception as exc:  # ShapeError / NonFiniteError from the economy's own checks
        raise PlanInputError(f"{what}: {exc}") from exc
    arr = np.array(arr, dtype=np.float64)
    neg = np.flatnonzero(arr < 0)
    if len(neg):
        shown = ", ".join(f"{e.products[i]} ({arr[i]:.3g})" for i in neg[:5])
        raise PlanInputError(
            f"{what} must not be negative; negative for {len(neg)} product(s): {shown}"
        )
    return arr


def _cap_value(e: Economy, name: str, value: float | str) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise PlanInputError(f"cap on {name!r}: {value!r} is not a percentage") from None
        return _nonneg(share, f"cap on {name!r}") * current_use(e, name)
    return _nonneg(value, f"cap on {name!r}")


def _nonneg(value: object, what: str) -> float:
    v = _number(value, what)
    if not np.isfinite(v) or v < 0:
        raise PlanInputError(f"{what} must be a finite number ≥ 0, got {value!r}")
    return v


def _positive(value: object, what: str) -> float:
    v = _number(value, what)
    if not np.isfinite(v) or v <= 0:
        raise PlanInputError(f"{what} must be a finite number > 0, got {value!r}")
    return v


def _number(value: object, what: str) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanInputError(f"{what}: {value!r} is not a number") from None


def _techniques(e: Economy, z: Array, gross: Array) -> tuple[dict[str, str], tuple[str, ...]]:
    """The main process of each product made, and the products made by more than one."""
    order = np.lexsort((-z, e.makes))  # by product, largest activity first
    first = np.searchsorted(e.makes[order], np.arange(e.n))
    techniques = {}
    for i in np.flatnonzero(gross > 0):
        techniques[e.products[i]] = e.processes[order[first[i]]]
    significant = z > 1e-9 * np.maximum(gross[e.makes], 1e-300)
    counts = np.bincount(e.makes[significant], minlength=e.n)
    mixed = tuple(e.products[i] for i in np.flatnonzero(counts > 1))
    return techniques, mixed


# ---------------------------------------------------------------------- diagnosis

_MAX_DELETION = 40  # floors tested one by one for minimality; above this the set is not minimised
_MAX_FLOOR_RELAXATIONS = 5


def _diagnose(spec: _Spec, infeasible: PlanSolution, solve: Any) -> Diagnosis:
    """The conflicting set and the cheapest relaxations of an infeasible plan.

    Feasibility does not depend on the objective, so every test below solves the problem with the
    groups held at their minimum.  The certificate's prices (λ, π) rank the floors by what they
    cost at the scarce inputs' prices; the smallest infeasible prefix of that ranking, then a
    deletion filter, gives the conflicting floors (with one cap that prefix is already the
    smallest conflicting set).
    """
    e, P = spec.economy, spec.problem
    base = P.with_(w=np.zeros(P.G), hi=P.lo.copy(), phi=np.zeros(P.k))
    y_min = P.T @ P.lo  # targets that must be met whatever the objective (min_ objectives)

    def feasible(Q: PlanProblem) -> bool:
        return bool(solve(Q).status != INFEASIBLE)

    # rows that can conflict: finite caps (by input) and capacities (by process)
    cap_rows = [int(r) for r in np.flatnonzero(np.isfinite(P.cap))]
    cap_set = set(cap_rows)
    cap_J = set(int(j) for j in spec.capacity_index)

    def restricted(
        floor_mask: Array, caps_kept: set[int], cap_kept: set[int], targets: bool
    ) -> PlanProblem:
        cap = np.where([r in caps_kept for r in range(P.k)], P.cap, np.inf)
        u = np.where([j in cap_kept for j in range(P.m)], P.u, np.inf) if len(cap_J) else P.u
        lo = P.lo if targets else np.zeros(P.G)
        return base.with_(f=P.f * floor_mask, cap=cap, u=u, lo=lo, hi=lo.copy())

    all_floors = np.ones(P.n)
    needs_targets = bool(y_min.any())
    # 1. deletion filter on caps, capacities and the required targets
    for r in list(cap_rows):
        trial = cap_set - {r}
        if not feasible(restricted(all_floors, trial, cap_J, needs_targets)):
            cap_set = trial
    for j in list(spec.capacity_index):
        trial_J = cap_J - {int(j)}
        if not feasible(restricted(all_floors, cap_set, trial_J, needs_targets)):
            cap_J = trial_J
    if needs_targets and not feasible(restricted(all_floors, cap_set, cap_J, False)):
        needs_targets = False
    # 2. floors: the smallest infeasible prefix by cost at the prices of the scarce inputs
    y0 = P.f + y_min
    scale = solve(
        base.with_(
            f=np.zeros(P.n), T=y0[:, None], w=np.ones(1), lo=np.zeros(1), hi=np.full(1, np.inf)
        )
    )
    lam = next((s.p for s in (scale, infeasible) if s.p is not None), np.ones(P.n))
    cost = lam * P.f
    ranked = [int(i) for i in np.argsort(-cost, kind="stable") if P.f[i] > 0]

    def prefix_feasible(k: int) -> bool:
        mask = np.zeros(P.n)
        mask[ranked[:k]] = 1.0
        return feasible(restricted(mask, cap_set, cap_J, needs_targets))

    lo_k, hi_k = 0, len(ranked)  # prefix lo_k feasible (or 0), hi_k infeasible
    if prefix_feasible(0):
        while hi_k - lo_k > 1:
            mid = (lo_k + hi_k) // 2
            if prefix_feasible(mid):
                lo_k = mid
            else:
                hi_k = mid
        chosen = ranked[:hi_k]
    else:
        chosen = []
    minimal = len(chosen) <= _MAX_DELETION
    if minimal:
        for i in list(reversed(chosen)):
            mask = np.zeros(P.n)
            mask[[c for c in chosen if c != i]] = 1.0
            if not feasible(restricted(mask, cap_set, cap_J, needs_targets)):
                chosen.remove(i)
    conflict_caps = tuple(spec.inputs[r] for r in sorted(cap_set))
    conflict_floors = tuple(e.products[i] for i in chosen)
    conflict_capacities = tuple(e.processes[j] for j in sorted(cap_J))
    conflict_targets = spec.groups if needs_targets else ()
    relaxations = _relaxations(spec, base, scale, chosen, cap_set, cap_J, solve)
    parts = []
    if conflict_floors:
        parts.append(f"the floors of {_few([e.label(i) for i in chosen])}")
    if conflict_targets:
        parts.append(f"the targets of {_few(conflict_targets)}")
    limits = [f"the {c} cap" for c in conflict_caps] + [
        f"the capacity of {p}" for p in conflict_capacities
    ]
    message = (
        f"infeasible: {' and '.join(parts) or 'the requirements'} cannot be met within "
        f"{' and '.join(limits) or 'the limits'}"
    )
    if relaxations:
        message += "; cheapest ways out: " + ", or ".join(r.message for r in relaxations[:4])
    return Diagnosis(
        message=message,
        caps=conflict_caps,
        floors=conflict_floors,
        capacities=conflict_capacities,
        targets=conflict_targets,
        minimal=minimal,
        relaxations=tuple(relaxations),
    )


def _growth(need: float, limit: float) -> float:
    """The relative rise from ``limit`` to ``need``: inf where the limit is zero or so small that
    the ratio overflows (a capacity of 1e-300)."""
    if limit <= 0:
        return np.inf
    with np.errstate(over="ignore"):
        return float(np.float64(need) / np.float64(limit) - 1)


def _relaxations(
    spec: _Spec,
    base: PlanProblem,
    s: PlanSolution,
    floors: list[int],
    cap_set: set[int],
    cap_J: set[int],
    solve: Any,
) -> list[Relaxation]:
    """Smallest change of each conflicting cap or floor alone, and of all together."""
    e, P = spec.economy, spec.problem
    out: list[Relaxation] = []
    # all together: s is the largest multiple of (floors + required targets) inside the caps
    if s.status == OPTIMAL and s.t is not None and 0 < s.t[0] < 1:
        level = float(s.t[0])
        out.append(
            Relaxation(
                "caps", "all caps", 1 / level - 1, 1 / level, f"every cap +{_pct(1 / level - 1)}"
            )
        )
        out.append(
            Relaxation("floors", "all floors", 1 - level, level, f"every floor −{_pct(1 - level)}")
        )
    # one cap alone: the least of that input the requirements need, the other caps holding
    for r in sorted(cap_set):
        phi = np.zeros(P.k)
        phi[r] = 1.0
        cap = P.cap.copy()
        cap[r] = np.inf
        sol = solve(base.with_(phi=phi, cap=cap))
        if sol.status == OPTIMAL and sol.z is not None:
            need = float(P.C[r] @ sol.z)
            change = _growth(need, P.cap[r])
            name = spec.inputs[r]
            out.append(Relaxation("cap", name, change, need, f"{name} cap +{_pct(change)}"))
    for j in sorted(cap_J):
        u = P.u.copy()
        u[j] = np.inf
        C = np.vstack([P.C, np.eye(1, P.m, j)])
        Q = base.with_(C=C, cap=np.append(P.cap, np.inf), phi=np.eye(1, P.k + 1, P.k)[0], u=u)
        sol = solve(Q)
        if sol.status == OPTIMAL and sol.z is not None:
            need = float(sol.z[j])
            change = _growth(need, P.u[j])
            name = e.processes[j]
            out.append(
                Relaxation("capacity", name, change, need, f"capacity of {name} +{_pct(change)}")
            )
    # one floor alone: lower it to the most that fits, the others holding
    costed = sorted(floors, key=lambda i: -P.f[i])[:_MAX_FLOOR_RELAXATIONS]
    for i in costed:
        f = P.f.copy()
        f[i] = 0.0
        bundle = np.zeros((P.n, 1))
        bundle[i, 0] = P.f[i]
        Q = base.with_(
            f=f + P.T @ P.lo,
            T=bundle,
            w=np.ones(1),
            lo=np.zeros(1),
            hi=np.ones(1),
        )
        sol = solve(Q)
        if sol.status == OPTIMAL and sol.t is not None:
            level = float(sol.t[0])
            text = f"floor of {e.label(i)} −{_pct(1 - level)}"
            out.append(Relaxation("floor", e.products[i], 1 - level, level * P.f[i], text))
    out.sort(key=lambda r: r.change)
    return out


def _pct(x: float) -> str:
    return "∞" if not np.isfinite(x) else f"{100 * x:.3g} %"


def _few(items: Sequence[str], k: int = 5) -> str:
    shown = ", ".join(items[:k])
    return shown + (f" and {len(items) - k} more" if len(items) > k else "")
