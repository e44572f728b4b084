"""The projected form of the T-period plan (:mod:`~commonplan.numerics.multiyear.problem`):
cutting planes on the yearly aggregates.

``"projected"``
    The condensed LP projected onto the aggregates θ = (c_t, J_t, …), 2T to 4T numbers, and
    solved by cutting planes: a tiny master LP over θ and, for each θ̂, one pass over the
    processes that finds the violated constraints (see :func:`solve_projected`).  Exact where
    it applies (:func:`projectable`): one technique per product and, for ``"optimal"`` and
    ``"heavy-industry-first"``, one asset type and one depreciation rate, so that capital goods
    are interchangeable between processes.  This is the block structure the speed comes from: the
    work per round is O(T² m) array operations, and a few dozen rounds suffice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from commonplan.errors import PlanInputError, SolverError
from commonplan.numerics import _highs
from commonplan.numerics.leontief import Prepared
from commonplan.numerics.multiyear.forms import hold_minimum, leontief_blocks
from commonplan.numerics.multiyear.problem import (
    INFEASIBLE_MESSAGE,
    UNBOUNDED_MESSAGE,
    YearsProblem,
    YearsSolution,
    capacity_path,
    objective_value,
)
from commonplan.numerics.techniques import square_matrix
from commonplan.numerics.types import Array

__all__ = ["aggregates", "projectable", "solve_projected"]

MASTER_TOLERANCE = 1e-10
"""HiGHS's feasibility tolerances on the projected form's (scaled) master LP: well inside the
relative violation at which cutting stops, so a cut once added holds."""


@dataclass(frozen=True, eq=False)
class _Aggregates:
    """z_t = a_t + b_t c_t + W_t J_t in product space (product i made by process procs[i])."""

    procs: NDArray[np.intp]
    a: Array  # T × n
    b: Array  # T × n
    W: Array  # T × n × r
    Cs: Array  # k × n


def aggregates(P: YearsProblem, prepared: Prepared | None, rtol: float) -> _Aggregates:
    A = square_matrix(P.B, P.choice)
    a, b, W = leontief_blocks(P, A, prepared, rtol)
    procs = P.choice.astype(np.intp)
    return _Aggregates(procs, a, b, W, P.C[:, procs])


def projectable(P: YearsProblem) -> str:
    """Why the projected form cannot solve ``P`` ("" if it can)."""
    if not P.single_technique:
        return "several processes make one product"
    if P.strategy in ("optimal", "heavy-industry-first"):
        if P.r != 1:
            return f"the capital has {P.r} asset types (the projection needs one)"
        used = P.delta[np.asarray(P.Q.sum(axis=0)).ravel() > 0]
        if len(used) and (np.ptp(used) > 0 or used[0] >= 1.0):
            return "depreciation differs between processes (the projection needs one rate < 1)"
    return ""


class _Master:
    """The master LP over the aggregates: c (T), J (T × r), X (T_N, "heavy-industry-first"),
    α (T_N, "balanced"/"consumption-first"), μ ("max_min"); rows added as cuts.  HiGHS,
    warm-started.

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
        self.X = np.arange(ncol, ncol + (TN if P.strategy == "heavy-industry-first" else 0))
        ncol += len(self.X)
        self.alpha = np.arange(
            ncol, ncol + (TN if P.strategy in ("balanced", "consumption-first") else 0)
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
        h = _highs.quiet_highs(
            solver="simplex",
            primal_feasibility_tolerance=MASTER_TOLERANCE,
            dual_feasibility_tolerance=MASTER_TOLERANCE,
        )
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
        h = self.h
        h.run()
        status = _highs.outcome(h)
        if status not in (_highs.OPTIMAL, _highs.INFEASIBLE, _highs.UNBOUNDED):
            # numerical trouble after many cuts: solve again from scratch, then by the IPM
            h.clearSolver()
            h.run()
            status = _highs.outcome(h)
            if status not in (_highs.OPTIMAL, _highs.INFEASIBLE):
                h.setOptionValue("solver", "ipm")
                h.clearSolver()
                h.run()
                status = _highs.outcome(h)
                h.setOptionValue("solver", "simplex")
        if status == _highs.OPTIMAL:
            return _highs.OPTIMAL, np.asarray(h.getSolution().col_value) * self.scale
        if status == _highs.INFEASIBLE:
            return _highs.INFEASIBLE, np.zeros(self.ncol)
        if status == _highs.UNBOUNDED:
            return _highs.UNBOUNDED, np.zeros(self.ncol)
        raise SolverError(f"HiGHS failed on the master LP: {_highs.status_text(h)}")


@dataclass
class _Cuts:
    """The separation oracle of the projected form (see :func:`solve_projected`)."""

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
        if P.strategy in ("balanced", "consumption-first"):
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
            if left > 0 and P.strategy == "heavy-industry-first":  # use the share: over-invest
                weight = vm * np.maximum(P.K0[ag.procs[mem]], 0.0)
                weight = weight if weight.sum() > 0 else vm
                given[s] += left * weight / weight.sum()
        N[:, mem] = given / vm * d ** np.arange(TN, dtype=float)[:, None]
    return N


def solve_projected(
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
    ``"heavy-industry-first"`` with shares λ and 1 − λ)::

        Φ^G_t(θ) = Σ_{k∈G} v_k U^J_t,k(θ)  ≤  share_G Σ_{s ≤ t−ℓ} d^{t−ℓ−s} σ_s

    (σ = J, or X ≤ J under ``"heavy-industry-first"``), and E_t ≤ 0 for t < ℓ.  Φ is convex and
    piecewise linear in θ; its active pieces give a cut that is exact at θ̂ and valid everywhere.
    The master LP over θ (HiGHS dual simplex, warm-started) gains the violated cuts until none is
    violated by more than ``rtol``: its optimum is then the LP's.  ``"balanced"`` and
    ``"consumption-first"`` fix N_t by α, so K_t = p_t + Σ q_ts α_s and the cuts are the violated
    capacity rows themselves.  The plan is recovered by allocating each year's capital goods to
    the processes' capacity steps in time order (:func:`_allocate`).
    """
    started = time.perf_counter()
    T, TN = P.T, P.T_N
    procs = ag.procs
    K0t = P.inherited()[:, procs]
    v = np.asarray(P.Q[:, procs].sum(axis=0)).ravel()
    if P.strategy == "heavy-industry-first":
        g = P.group[procs]
        if not (v[g] > 0).any() or not (v[~g] > 0).any():
            raise PlanInputError(
                "strategy 'heavy-industry-first' needs processes that use capital in both sector "
                "groups"
            )
        groups = [(np.flatnonzero(g), P.share), (np.flatnonzero(~g), 1.0 - P.share)]
    else:
        groups = [(np.arange(len(procs)), 1.0)]
    cuts = _Cuts(P, ag, K0t, v, groups)
    if P.strategy in ("balanced", "consumption-first"):
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
    status, x = _highs.OPTIMAL, np.zeros(M.ncol)
    while True:
        if iterations >= maxiter or (
            time_limit is not None and time.perf_counter() - started > time_limit
        ):
            return YearsSolution(
                _highs.LIMIT,
                f"the projected form stopped after {iterations} master solves, a cut still "
                "violated",
                "projected",
                iterations=iterations,
            )
        status, x = M.solve()
        iterations += 1
        if status != _highs.OPTIMAL:
            break
        worst = cuts.add(x, M, rtol)
        if worst > rtol:
            rounds += 1
            continue
        at_box = np.any(x[M.c] >= M.box * (1 - 1e-9)) or np.any(x[M.J] >= M.J_box * (1 - 1e-9))
        if at_box:
            if M.box >= 1e16:
                status = _highs.UNBOUNDED
                break
            M.box, M.J_box = M.box * 1e4, M.J_box * 1e4
            _widen(M, P)
            continue
        if P.objective == "max_min" and not phase2:
            level = float(x[M.mu])
            hold_minimum(M.h, P, M.mu, M.c, level)
            phase2 = True
            continue
        break
    info = {"master_rows": float(M.nrow), "rounds": float(rounds)}
    if status == _highs.INFEASIBLE:
        return YearsSolution(
            _highs.INFEASIBLE,
            INFEASIBLE_MESSAGE,
            "projected",
            iterations=iterations,
            info=info,
        )
    if status == _highs.UNBOUNDED:
        return YearsSolution(
            _highs.UNBOUNDED,
            UNBOUNDED_MESSAGE,
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
        _highs.OPTIMAL,
        "optimal",
        "projected",
        z,
        c,
        J,
        N,
        capacity_path(P, N),
        pi,
        objective_value(P, z, c),
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
