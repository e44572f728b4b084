"""Optimal plans: with the hours people will work, the CO2 we may emit and the plant we have, how
much of what we want can we have, by which techniques, and what is scarce?

That is Kantorovich's plan problem (see :mod:`commonplan.numerics.lp` for the equations).  This
module turns names into arrays — targets, floors, caps and capacities given by product, resource
and process codes — calls a solver, and turns the arrays back into a result a planner can read:
fulfilment per target group, what binds, shadow prices, and, when the floors and caps cannot all
hold, a diagnosis with the smallest conflicting set and the cheapest relaxations.

The pieces: :mod:`~commonplan.plan.inputs` (target groups), :mod:`~commonplan.plan._checks` (the
input checks shared with :mod:`~commonplan.plan.years`), :mod:`~commonplan.plan.result` (what is
returned) and :mod:`~commonplan.plan.diagnose` (the diagnosis).

One concept — the optimal plan, from names to arrays and back — so one module, however long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from commonplan.economy.model import LABOUR, Economy, listing
from commonplan.errors import PlanInputError, SolverError
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
from commonplan.numerics.types import Array
from commonplan.plan._checks import (
    amount,
    current_use,
    input_index,
    input_matrix,
    minimised_input,
    nonneg,
    positive,
    product_amounts,
)
from commonplan.plan._checks import (
    capacities as capacity_vector,
)
from commonplan.plan.diagnose import diagnose as diagnosis_of
from commonplan.plan.inputs import TargetGroup, target_groups
from commonplan.plan.result import Diagnosis, OptimizeResult, Relaxation
from commonplan.progress import OnProgress, Steps

__all__ = [
    "HIGHS_FALLBACK_MAX",
    "METHODS",
    "OBJECTIVES",
    "STRUCTURED_MIN_PROCESSES",
    "Diagnosis",
    "OptimizeResult",
    "Relaxation",
    "TargetGroup",
    "auto_method",
    "current_use",
    "optimize",
    "product_amounts",
]

OBJECTIVES = ("max_fulfilment", "max_weighted", "min_labour")
"""Objectives; ``"min_<resource>"`` (e.g. ``"min_co2"``) minimises any other primary input."""

METHODS = ("auto", "structured", *HIGHS_SOLVERS)

STRUCTURED_MIN_PROCESSES = 10_000
"""``method="auto"``'s cost model: from this many processes the structured solver answers every
plan question; below, only those with one price direction (see :func:`auto_method`)."""

STRUCTURED_MAXITER = 200
"""Master solves the structured solver may take before it stops uncertified (status "limit"),
under ``method="auto"`` where HiGHS's interior point can take over (:data:`HIGHS_FALLBACK_MAX`)."""

STRUCTURED_MAXITER_ALONE = 1000
"""The same where nothing takes over: ``method="structured"``, and ``"auto"`` beyond
:data:`HIGHS_FALLBACK_MAX` processes (the time limit still holds).  Column generation tails off
with many capacities — each is a coupling row of the master, and the master needs about one
technique set per binding capacity: with 50 capacities on 10⁴ products the gap was 1e-4 after
200 master solves, 1.1e-5 after 300, 3.2e-7 after 400, and certified (1e-9) after 474; on 10⁵
products (2 · 10⁵ processes, no fallback), where 200 solves stopped at a gap of 7e-5, it was
certified after 612 (benchmarks/optimize.py)."""

HIGHS_FALLBACK_MAX = 50_000
"""``method="auto"`` falls back to HiGHS's interior point (``"highs-ipm"``) when the structured
solver cannot certify optimality and the economy has at most this many processes.  Measured on a
2-core machine: 25 s for 2 × 10⁴ processes (10⁴ products); not finished in 600 s (11 GB) at
2 × 10⁵; HiGHS's default choice, the dual simplex, took over 600 s at 2 × 10⁴."""

FALLBACK_METHOD = "highs-ipm"


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
    on_progress: OnProgress | None = None,
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
        ``"auto"``: the solver a measured cost model picks (:func:`auto_method`) — the
        structured solver for questions with one price direction (one cap) and for economies
        of :data:`STRUCTURED_MIN_PROCESSES` processes or more, HiGHS (``"highs"``) otherwise;
        then, where the structured solver cannot certify the optimum, HiGHS's interior point
        for economies of up to :data:`HIGHS_FALLBACK_MAX` processes, and where HiGHS's plan is
        not certified or falls short product by product, the structured solver — recorded in
        ``method`` and ``notes``.  On the generated plan problems and synthetic economies of
        10³–10⁶ products it was never more than about 1.2× slower than HiGHS alone
        (docs/benchmarks.md).  Or ``"structured"``, ``"highs"`` (HiGHS picks its algorithm),
        ``"highs-simplex"``, ``"highs-ipm"`` or ``"highs-pdlp"``.
    rtol
        Relative optimality tolerance; the result records it and the gap reached.
    time_limit
        Seconds the solver may take (status ``"limit"`` beyond, with the best plan found and its
        certified gap where there is one).  With ``"auto"`` the structured solver and a HiGHS
        fallback share it.  The structured solver checks it between master solves.
    diagnose
        When infeasible, find the conflicting set and the cheapest relaxations (more solves).
    on_progress
        ``on_progress(fraction, step)`` (:mod:`commonplan.progress`): the question checked,
        the solve (the structured solver's gap closing on ``rtol``, on a log scale), the
        answer checked, and the diagnosis where there is one.
    """
    if method not in METHODS:
        raise PlanInputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    steps = Steps(on_progress, _STEPS)
    spec = _Spec.build(economy, targets, floors, caps, capacities, objective)
    steps.begin("solving")
    solve = _solver(economy, method, rtol, time_limit, spec.problem, _closing(steps, rtol))
    started = time.perf_counter()
    solution = _answer(solve, spec.problem, method)
    steps.begin("checking the answer")
    notes = list(spec.notes)
    left = None if time_limit is None else time_limit - (time.perf_counter() - started)
    if solution.status == LIMIT and method == "auto" and solution.method == "structured":
        solution = _fall_back(economy, spec.problem, solution, rtol, left, notes)
    elif method == "auto" and solution.method != "structured":
        solution = _settle(economy, spec.problem, solution, rtol, left, notes)
    diagnosis = None
    if solution.status == INFEASIBLE and diagnose:
        steps.begin("finding what conflicts")
        diagnosis = _diagnosis(spec, solution, solve, economy, time_limit, rtol)
    steps.finish()
    return spec.result(solution, diagnosis, notes)


_STEPS = (
    ("checking the question", 1.0),
    ("solving", 16.0),
    ("checking the answer", 2.0),
    ("finding what conflicts", 1.0),
)
"""The steps :func:`optimize` reports, with their shares of the bar."""


def _closing(steps: Steps, rtol: float) -> Callable[[float], None]:
    """The solve's progress from the gap between its bounds: 0 at the first finite gap, 1 at
    ``rtol``, on a log scale (the gap of column generation falls by steady factors)."""
    first: list[float] = []

    def gap(g: float) -> None:
        if not np.isfinite(g) or g <= 0:
            return
        if not first:
            first.append(max(g, rtol * 10))
        span = np.log(first[0] / rtol)
        steps.advance(float(np.clip(np.log(first[0] / max(g, rtol)) / span, 0.0, 1.0)))

    return gap


def _answer(solve: Any, P: PlanProblem, method: str) -> PlanSolution:
    """The solver's answer; a solver that fails (a numerical breakdown, never bad input: that
    is refused before) gives status ``"limit"`` with why, so ``"auto"`` can try HiGHS."""
    started = time.perf_counter()
    try:
        out: PlanSolution = solve(P)
    except SolverError as exc:
        name = "structured" if method in ("auto", "structured") else method
        return PlanSolution(LIMIT, f"stopped: {exc}", name, seconds=time.perf_counter() - started)
    return out


def _diagnosis(
    spec: _Spec,
    solution: PlanSolution,
    solve: Any,
    economy: Economy,
    time_limit: float | None,
    rtol: float,
) -> Diagnosis:
    """The diagnosis, with the plan's own solver, then HiGHS; if both break down, a diagnosis
    that says the plan is infeasible (certified) and that its conflicting set was not found."""
    why = ""
    for attempt in (solve, _solver(economy, "highs", rtol, time_limit, None)):
        try:
            return diagnosis_of(spec, solution, attempt)
        except SolverError as exc:
            why = str(exc)
    return Diagnosis(
        message=f"infeasible: the floors, targets and caps cannot all hold (certified); the "
        f"smallest conflicting set could not be found ({why})",
        caps=tuple(spec.inputs[r] for r in np.flatnonzero(np.isfinite(spec.problem.cap))),
        floors=tuple(economy.products[i] for i in np.flatnonzero(spec.problem.f > 0)),
        capacities=tuple(economy.processes[j] for j in spec.capacity_index),
        targets=spec.groups if spec.problem.lo.any() else (),
        minimal=False,
        relaxations=(),
    )


def auto_method(P: PlanProblem) -> str:
    """The solver ``method="auto"`` gives a plan problem: ``"structured"`` or ``"highs"``.

    A cost model, measured (docs/benchmarks.md): the structured solver's time is a few pricing
    rounds — each a value solve and a Leontief solve, linear in the nonzeros — times the rounds
    of column generation, which grow with the price directions (inputs capped or minimised, and
    capacities); HiGHS's simplex grows faster than linearly with the processes.  So:

    * one price direction (a single cap, or least labour with no other cap, no capacities): the
      first technique set is optimal, one round — structured, at any size;
    * :data:`STRUCTURED_MIN_PROCESSES` processes or more: structured (HiGHS's simplex or
      interior point takes tens of seconds to hours there, the structured solver a fraction of
      a second to a minute);
    * otherwise HiGHS.

    Deterministic — a function of the problem's shape, not of timings — so the same question
    gets the same solver, and the same plan, on every machine.
    """
    directions = np.isfinite(P.cap) | (P.phi != 0)
    rounds = int(directions.sum()) + int(np.isfinite(P.u).sum())
    if rounds <= 1 or P.m >= STRUCTURED_MIN_PROCESSES:
        return "structured"
    return "highs"


def _solver(
    economy: Economy,
    method: str,
    rtol: float,
    time_limit: float | None,
    P: PlanProblem | None,
    on_gap: Callable[[float], None] | None = None,
) -> Any:
    auto = method == "auto"
    if auto:
        assert P is not None
        method = auto_method(P)
    if method == "structured":
        pricer = economy.pricer

        def structured(P: PlanProblem) -> PlanSolution:
            # stop early only where HiGHS's interior point takes over (see _fall_back)
            fallback = auto and P.m <= HIGHS_FALLBACK_MAX
            maxiter = STRUCTURED_MAXITER if fallback else STRUCTURED_MAXITER_ALONE
            return solve_structured(
                P, pricer=pricer, rtol=rtol, maxiter=maxiter, time_limit=time_limit, on_gap=on_gap
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
    elif solution.status == OPTIMAL and solution.z is not None and solution.pi is not None:
        # HiGHS's "optimal" is to its own tolerances: the gap reported is the one its prices
        # prove (the Lagrangian bound at its cap prices), not an assumed 0
        checked = certify(P, solution, pricer=economy.pricer)
        solution = replace(solution, gap=checked.gap, info=checked.info)
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


SETTLED_RTOL = 5e-8
"""``method="auto"``: a HiGHS plan stands when it meets every floor, cap and capacity to this
relative tolerance, product by product (HiGHS's own tolerances are absolute, on its scaled
rows: a product measured in small units can fall short by more than it makes)."""


def _settle(
    economy: Economy,
    P: PlanProblem,
    highs: PlanSolution,
    rtol: float,
    time_left: float | None,
    notes: list[str],
) -> PlanSolution:
    """HiGHS's answer under ``"auto"``, or the structured solver's where HiGHS's is not settled.

    HiGHS's infeasible and unbounded stand.  An optimal plan stands when its certified gap is
    within ``rtol`` and it holds product by product (:data:`SETTLED_RTOL`); otherwise, and after
    a "limit", the structured solver solves the question too (within the time left), and its
    answer replaces HiGHS's if it is certified optimal or has the smaller gap.  On 1,000
    generated problems of up to 80 products, 3 HiGHS plans were not settled (a floor short by
    ~1e-9 in small units, 1.3e-7 below the optimum).
    """
    why = _unsettled(P, highs, rtol)
    if not why:
        return highs
    if time_left is not None and time_left <= 0:
        notes.append(f"HiGHS: {why}; the structured solver was not tried: no time left")
        return highs
    pricer = economy.pricer
    again = solve_structured(
        P, pricer=pricer, rtol=rtol, maxiter=STRUCTURED_MAXITER, time_limit=time_left
    )
    seconds = highs.seconds + again.seconds
    better = again.status != LIMIT or not (again.gap >= highs.gap)  # NaN gaps: the new one
    chosen = again if better else highs
    notes.append(
        f"HiGHS: {why}; solved again with the structured solver: {again.status}"
        + ("" if better else f" ({again.message}), so HiGHS's result stands")
    )
    return replace(chosen, seconds=seconds)


def _unsettled(P: PlanProblem, s: PlanSolution, rtol: float) -> str:
    """Why a HiGHS answer does not settle the question ("" if it does)."""
    if s.status in (INFEASIBLE, UNBOUNDED):
        return ""
    if s.status != OPTIMAL or s.z is None or s.t is None:
        return f"stopped ({s.message})"
    if not s.gap <= rtol:
        return f"certified gap {s.gap:.2g}, above the tolerance {rtol:g}"
    z, t, tol = s.z, s.t, SETTLED_RTOL
    need = P.f + P.T @ t
    short = need - P.net_output(z)
    if (short > tol * np.abs(need) + 1e-3 * tol * float(np.abs(need).max(initial=0))).any():
        return f"its plan is short of {int((short > tol * np.abs(need)).sum())} floor(s)"
    used = P.C @ z
    if (np.isfinite(P.cap) & (used > P.cap * (1 + tol))).any():
        return "its plan is above a cap"
    if (np.isfinite(P.u) & (z > P.u * (1 + tol))).any():
        return "its plan is above a capacity"
    return ""


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
        minimise = minimised_input(e, objective, OBJECTIVES)
        groups = target_groups(e, targets)
        names = tuple(g.name for g in groups)
        T = np.column_stack(
            [product_amounts(e, _named(e, g, notes), f"target group {g.name!r}") for g in groups]
        )
        if not T.any():
            raise PlanInputError("the targets are all zero: there is nothing to plan for")
        f = np.zeros(e.n) if floors is None else product_amounts(e, floors, "floors")
        C = input_matrix(e)
        cap = np.full(len(inputs), np.inf)
        if caps is None and objective.startswith("max") and not capacities:
            if e.labour is not None and e.observed_activity is not None:
                caps = {LABOUR: "100%"}
                notes.append("no caps given: labour capped at today's hours")
        for name, value in (caps or {}).items():
            i = input_index(e, name)
            today = cache(partial(current_use, e, name))  # asked for by a "%" cap only, once
            cap[i] = amount(value, f"cap on {name!r}", today)
            if isinstance(value, str) and value.strip().endswith("%"):
                unit = f" {e.units[name]}" if name in e.units else ""
                notes.append(
                    f"cap on {name!r}: {value.strip()} of today's use "
                    f"({_figure(today())}{unit}) = {_figure(cap[i])}{unit}"
                )
        u = capacity_vector(e, capacities or {}, np.full(e.m, np.inf))
        phi = np.zeros(len(inputs))
        G = len(groups)
        weights = np.array([positive(g.weight, f"weight of group {g.name!r}") for g in groups])
        ceilings = np.array(
            [
                np.inf if g.ceiling is None else nonneg(g.ceiling, f"ceiling of group {g.name!r}")
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


def _named(e: Economy, g: TargetGroup, notes: list[str]) -> Any:
    """A group's amounts; a final demand of the economy named as a target keeps its positive
    part: real final demand is negative where stocks were run down or imports re-exported, and a
    plan sets what to make, not what to run down — the note names the products."""
    if not isinstance(g.amounts, str):
        return g.amounts
    _, v = e.demand(g.amounts)
    neg = np.flatnonzero(v < 0)
    if len(neg):
        shown = listing([f"{e.products[i]} ({v[i]:.3g})" for i in neg])
        notes.append(
            f"target group {g.name!r}: final demand {g.amounts!r} is negative for {len(neg)} "
            f"product(s), taken as 0: {shown}"
        )
    return np.maximum(v, 0.0)


def _figure(x: float) -> str:
    """A quantity for a note: whole numbers with thousands separators, small ones to 3 digits."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
