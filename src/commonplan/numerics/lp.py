"""Kantorovich's plan problem as a linear programme, and HiGHS as its exact reference solver.

Decision: the activity z (m) of every process and the fulfilment level t (G) of every target
group.  With M the n × m matrix of what each process makes (Mₚₖ = 1 if process k makes product p)
and B its inputs, (M − B) z is the net output::

    maximise    Σ_g w_g t_g − φ · C z
    subject to  (M − B) z − Σ_g T_g t_g ≥ f      net output covers the floors and the targets
                C z ≤ c                          caps on labour, CO2, land, water … (rows of C)
                0 ≤ z ≤ u                        capacities of processes (u = ∞: none)
                lo ≤ t ≤ hi                      fulfilment bounds of the groups

Every objective of :func:`commonplan.optimize` is this form: maximal common fulfilment (one group,
w = 1, φ = 0); maximal weighted fulfilment (several groups); minimal labour or any other primary
input for fixed targets (w = 0, lo = hi = 1, φ the unit vector of that input).  The floors f are
constraints, never part of the objective: no objective can trade them away.

The dual prices are Kantorovich's *objectively determined valuations*: p (n) of the products,
π (k) of the caps, μ (m) of the capacities, in units of the objective per unit of the product or
input.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import SolverError
from commonplan.numerics._highs import (
    INFEASIBLE,
    LIMIT,
    OPTIMAL,
    UNBOUNDED,
    iterations,
    lp_model,
    outcome,
    quiet_highs,
    status_text,
    tolerances,
)
from commonplan.numerics.techniques import makes_matrix
from commonplan.numerics.types import Array, ProblemArrays

__all__ = [
    "HIGHS_SOLVERS",
    "INFEASIBLE",
    "LIMIT",
    "OPTIMAL",
    "UNBOUNDED",
    "PlanProblem",
    "PlanSolution",
    "equilibrate",
    "solve_highs",
]

HIGHS_SOLVERS = {
    "highs": "choose",
    "highs-simplex": "simplex",
    "highs-ipm": "ipm",
    "highs-pdlp": "pdlp",
}
"""Method names for HiGHS and the value of its ``solver`` option each sets."""


@dataclass(frozen=True, eq=False)
class PlanProblem(ProblemArrays):
    """The arrays of the plan problem (see the module docstring).  k primary inputs, G groups."""

    B: sp.csc_array  # n × m inputs per unit of activity
    makes: NDArray[np.intp]  # m: product each process makes
    C: Array  # k × m primary inputs per unit of activity
    cap: Array  # k: caps (inf: uncapped)
    phi: Array  # k: objective weight on the use of each input (minimised)
    f: Array  # n: floors
    T: Array  # n × G: target bundles, one column per group
    w: Array  # G: objective weight of each group's fulfilment
    lo: Array  # G
    hi: Array  # G (inf: unbounded above)
    u: Array  # m: capacities (inf: none)

    @property
    def G(self) -> int:
        return int(self.T.shape[1])

    def net_output(self, z: Array) -> Array:
        """(M − B) z."""
        made: Array = np.bincount(self.makes, weights=z, minlength=self.n).astype(np.float64)
        return made - np.asarray(self.B @ z, dtype=np.float64)

    def check(self, z: Array, t: Array, rtol: float = 1e-7) -> list[str]:
        """Independent check of a plan: every violated constraint, described (empty if none)."""
        bad = []
        need = self.f + self.T @ t
        short = need - self.net_output(z)
        scale = np.maximum(np.abs(need), 1.0)
        for i in np.flatnonzero(short > rtol * scale):
            bad.append(f"product {i}: net output short of floor + targets by {short[i]:.3g}")
        used = self.C @ z
        for r in np.flatnonzero(
            np.isfinite(self.cap) & (used > self.cap + rtol * np.abs(self.cap))
        ):
            bad.append(f"input {r}: uses {used[r]:.6g} above its cap {self.cap[r]:.6g}")
        for j in np.flatnonzero(z < -rtol * max(1.0, float(np.abs(z).max(initial=0)))):
            bad.append(f"process {j}: negative activity {z[j]:.3g}")
        over = np.isfinite(self.u) & (z > self.u + rtol * np.maximum(self.u, 1.0))
        for j in np.flatnonzero(over):
            bad.append(f"process {j}: activity {z[j]:.6g} above its capacity {self.u[j]:.6g}")
        for g in np.flatnonzero((t < self.lo - rtol) | (t > self.hi + rtol)):
            bad.append(f"group {g}: fulfilment {t[g]:.6g} outside [{self.lo[g]}, {self.hi[g]}]")
        return bad


@dataclass(frozen=True, eq=False)
class PlanSolution:
    """What a solver found.  Arrays are ``None`` where the status gives none.

    ``gap`` is the relative distance between the objective and the best proven bound: 0 when the
    solver certifies its status (optimal to its tolerance, infeasible, unbounded), the distance
    to a bound where a solver stopped at a limit with a plan and a bound, and NaN (the default)
    where nothing bounds it — an uncertified plan never claims 0.  ``p``, ``pi``, ``mu`` are the
    dual prices of products, caps and capacities (for an uncertified plan: the prices the solver
    stopped at, which give its bound).
    """

    status: str
    message: str
    method: str
    z: Array | None = None
    t: Array | None = None
    objective: float = float("nan")
    p: Array | None = None
    pi: Array | None = None
    mu: Array | None = None
    gap: float = float("nan")
    iterations: int = 0
    seconds: float = 0.0
    rtol: float = 1e-9
    info: dict[str, float] = field(default_factory=dict)


def equilibrate(A: sp.csc_array, passes: int = 4) -> tuple[Array, Array]:
    """Row and column scales r, c (powers of two) with diag(1/r) A diag(1/c) near 1 in every
    row and column: geometric scaling (each pass divides a row or column by the geometric mean of
    its largest and smallest |entry|).  HiGHS's feasibility tolerances are absolute, and a
    product measured in tiny units would otherwise be left short, or called infeasible."""
    M = sp.csc_array(abs(A))
    r, c = np.ones(M.shape[0]), np.ones(M.shape[1])
    for _ in range(passes):
        for axis, scale in ((1, r), (0, c)):
            S = sp.csc_array(sp.diags_array(1.0 / r) @ M @ sp.diags_array(1.0 / c))
            big = np.asarray(S.max(axis=axis).toarray()).ravel()
            mins = _min_nonzero(S, axis)
            g = np.sqrt(big * mins)
            scale *= np.where(g > 0, np.exp2(np.round(np.log2(np.where(g > 0, g, 1.0)))), 1.0)
    return r, c


def _min_nonzero(S: sp.csc_array, axis: int) -> Array:
    """The smallest non-zero |entry| of each row (axis 1) or column (axis 0); 0 where empty."""
    T = sp.csr_array(S) if axis == 1 else sp.csc_array(S)
    out = np.zeros(T.shape[0] if axis == 1 else T.shape[1])
    nonempty = np.diff(T.indptr) > 0
    out[nonempty] = np.minimum.reduceat(T.data, T.indptr[:-1][nonempty])
    return out


def solve_highs(
    problem: PlanProblem,
    *,
    method: str = "highs",
    time_limit: float | None = None,
    rtol: float = 1e-9,
    options: Mapping[str, Any] | None = None,
) -> PlanSolution:
    """Solve the plan problem with HiGHS (``method`` one of :data:`HIGHS_SOLVERS`).

    Columns are z then t; rows the n products, then the finite caps.  HiGHS minimises, so the
    objective is negated; its duals convert to prices ≥ 0.  ``options``: further HiGHS options
    (e.g. ``{"simplex_iteration_limit": 100}``).

    Where HiGHS stops at a time or iteration limit the status is ``"limit"``; if the point it
    stopped at is a feasible plan (HiGHS's primal feasibility tolerance) it is returned with the
    prices HiGHS had, and ``gap`` NaN: HiGHS proves no bound on an LP it has not solved (its
    ``mip_gap`` is for integer programmes).  :func:`commonplan.numerics.decomposition.certify`
    turns those prices into a Lagrangian bound and a real gap.
    """
    import highspy

    if method not in HIGHS_SOLVERS:
        raise SolverError(f"unknown HiGHS method {method!r}: use one of {', '.join(HIGHS_SOLVERS)}")
    P = problem
    started = time.perf_counter()
    n, m, G = P.n, P.m, P.G
    capped = np.flatnonzero(np.isfinite(P.cap))
    net = makes_matrix(P.makes, n) - P.B
    A = sp.vstack(
        [
            sp.hstack([net, sp.csc_array(-P.T)]),
            sp.hstack([sp.csc_array(P.C[capped]), sp.csc_array((len(capped), G))]),
        ],
        format="csc",
    )
    rlo = np.concatenate([P.f, np.full(len(capped), -np.inf)])
    rhi = np.concatenate([np.full(n, np.inf), P.cap[capped]])
    rows, cols = equilibrate(sp.csc_array(A[:, :m]))  # the activities' part; t stays as it is
    cols = np.concatenate([cols, np.ones(G)])
    A = sp.csc_array(sp.diags_array(1.0 / rows) @ A @ sp.diags_array(1.0 / cols))
    model = lp_model(
        np.concatenate([P.phi @ P.C, -P.w]) / cols,
        np.concatenate([np.zeros(m), P.lo]) * cols,
        np.concatenate([P.u, P.hi]) * cols,
        A,
        rlo / rows,
        rhi / rows,
    )
    limit = None if time_limit is None else float(time_limit)
    chosen: dict[str, Any] = {"solver": HIGHS_SOLVERS[method], "time_limit": limit}
    h = quiet_highs(**chosen | tolerances(rtol) | dict(options or {}))
    h.passModel(model)
    h.run()
    status = outcome(h)
    info = h.getInfo()
    its = iterations(h)
    seconds = time.perf_counter() - started
    common: dict[str, Any] = {"method": method, "iterations": its, "seconds": seconds, "rtol": rtol}

    def plan() -> dict[str, Any]:
        """The point HiGHS holds, as a plan with prices ≥ 0."""
        sol = h.getSolution()
        col = np.asarray(sol.col_value) / cols
        z, t = np.maximum(col[:m], 0.0), col[m:]
        out: dict[str, Any] = {"z": z, "t": t, "objective": float(P.w @ t - P.phi @ (P.C @ z))}
        if sol.dual_valid:
            row_dual = np.asarray(sol.row_dual) / rows
            col_dual = np.asarray(sol.col_dual) * cols
            pi = np.zeros(P.k)
            pi[capped] = np.maximum(-row_dual[n:], 0.0)
            mu = np.where(np.isfinite(P.u), np.maximum(-col_dual[:m], 0.0), 0.0)
            out.update(p=np.maximum(row_dual[:n], 0.0), pi=pi, mu=mu)
        return out

    if status == OPTIMAL:
        found = plan()
        found["objective"] = -float(info.objective_function_value)
        short = P.check(found["z"], found["t"], rtol=max(1e-7, 10 * rtol))
        if short:  # HiGHS's tolerances are absolute: say so rather than call it optimal
            return PlanSolution(
                LIMIT,
                f"HiGHS called a plan optimal that does not hold ({short[0]}; "
                f"{len(short)} violation(s))",
                **common,
            )
        return PlanSolution(OPTIMAL, "optimal", gap=0.0, **found, **common)
    if status == INFEASIBLE:
        return PlanSolution(
            INFEASIBLE, "the floors, targets and caps cannot all hold", gap=0.0, **common
        )
    if status == UNBOUNDED:
        return PlanSolution(
            UNBOUNDED, "nothing limits the objective: give a cap", gap=0.0, **common
        )
    if status == LIMIT:
        why = status_text(h).lower()
        feasible = highspy.SolutionStatus.kSolutionStatusFeasible
        if info.primal_solution_status == int(feasible) and h.getSolution().value_valid:
            return PlanSolution(
                LIMIT,
                f"HiGHS stopped ({why}) at a feasible plan it has not proved optimal",
                **plan(),
                **common,
            )
        return PlanSolution(
            LIMIT, f"HiGHS stopped ({why}) before it found a feasible plan", **common
        )
    raise SolverError(f"HiGHS failed: {status_text(h)}")
