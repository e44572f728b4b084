"""Why a plan is infeasible: the smallest conflicting set of caps, floors, capacities and
targets, and the cheapest relaxations (each cap or floor alone, and all together)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from commonplan.economy.model import listing
from commonplan.errors import SolverError
from commonplan.numerics.lp import INFEASIBLE, OPTIMAL, PlanProblem, PlanSolution
from commonplan.numerics.types import Array
from commonplan.plan.result import Diagnosis, Relaxation

if TYPE_CHECKING:
    from commonplan.plan.optimize import _Spec

__all__ = ["diagnose"]

_MAX_DELETION = 40  # floors tested one by one for minimality; above this the set is not minimised
_MAX_FLOOR_RELAXATIONS = 5


def diagnose(spec: _Spec, infeasible: PlanSolution, solve: Any) -> Diagnosis:
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
        """The problem with only these floors, caps, capacities (and the targets' minimum)."""
        cap = np.full(P.k, np.inf)
        cap[list(caps_kept)] = P.cap[list(caps_kept)]
        u = np.full(P.m, np.inf)
        u[list(cap_kept)] = P.u[list(cap_kept)]
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
    mask = np.zeros(P.n)
    mask[chosen] = 1.0
    if minimal:
        for i in list(reversed(chosen)):
            mask[i] = 0.0
            if feasible(restricted(mask, cap_set, cap_J, needs_targets)):
                mask[i] = 1.0
            else:
                chosen.remove(i)
        # the caps, capacities and targets again, against the floors that are left: what was
        # needed with every floor may not be with these (a deletion filter over the whole set:
        # each member kept is needed, since dropping members later only makes the rest easier)
        for r in sorted(cap_set):
            if not feasible(restricted(mask, cap_set - {r}, cap_J, needs_targets)):
                cap_set = cap_set - {r}
        for j in sorted(cap_J):
            if not feasible(restricted(mask, cap_set, cap_J - {j}, needs_targets)):
                cap_J = cap_J - {j}
        if needs_targets and not feasible(restricted(mask, cap_set, cap_J, False)):
            needs_targets = False
    if feasible(restricted(mask, cap_set, cap_J, needs_targets)):  # pragma: no cover - a check
        raise SolverError(
            "the diagnosis's conflicting set is feasible on its own: a solver tolerance failed"
        )
    conflict_caps = tuple(spec.inputs[r] for r in sorted(cap_set))
    conflict_floors = tuple(e.products[i] for i in chosen)
    conflict_capacities = tuple(e.processes[j] for j in sorted(cap_J))
    conflict_targets = spec.groups if needs_targets else ()
    relaxations = _relaxations(spec, base, scale, chosen, cap_set, cap_J, solve)
    parts = []
    if conflict_floors:
        parts.append(f"the floors of {listing([e.label(i) for i in chosen])}")
    if conflict_targets:
        parts.append(f"the targets of {listing(conflict_targets)}")
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
