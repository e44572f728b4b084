"""The full and condensed forms of the T-period plan
(:mod:`~commonplan.numerics.multiyear.problem`), built as one LP each and solved whole by HiGHS.

``"full"``
    The LP of the model with z_t, c_t, J_t, N_t as columns: T blocks of the single-period plan
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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import PlanInputError, SolverError
from commonplan.numerics import _highs
from commonplan.numerics.leontief import Prepared, SplitOperator, leontief
from commonplan.numerics.multiyear.problem import (
    INFEASIBLE_MESSAGE,
    LEX_SLACK,
    UNBOUNDED_MESSAGE,
    YearsProblem,
    YearsSolution,
    capacity_path,
    objective_value,
)
from commonplan.numerics.techniques import makes_matrix, square_matrix
from commonplan.numerics.types import Array

__all__ = [
    "HIGHS_ALGORITHMS",
    "build_condensed",
    "build_full",
    "hold_minimum",
    "leontief_blocks",
    "solve_built",
]

HIGHS_ALGORITHMS = {"choose": "choose", "simplex": "simplex", "ipm": "ipm"}


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
    rows: dict[str, Any] = field(default_factory=dict)  # row indices by kind (full form)


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
        end = lp.add_rows(len(short), rows, cols, vals, need[short], np.inf)
    elif len(short):
        raise PlanInputError(
            "the end-of-plan capacity cannot be reached: the lag leaves no year to invest in"
        )
    else:
        end = np.zeros(0, np.int64)
    strategy = _strategy_rows(lp, P, procs, N, K0t, Qp)
    return {
        "c": c,
        "J": J,
        "N": N,
        "mu": mu,
        "maximise": maximise,
        "end": (end, procs[short] if len(end) else short[:0]),
        "strategy": strategy,
    }


def _strategy_rows(
    lp: _LP,
    P: YearsProblem,
    procs: NDArray[np.intp],
    N: NDArray[np.int64],
    K0t: Array,
    Qp: sp.csc_array,
) -> dict[str, Any]:
    """The strategy's rows; returns their indices (``rows``: T_N × processes for the balanced
    and replacement rules, one row per year for the share) and the α columns."""
    TN, mp = P.T_N, len(procs)
    out: dict[str, Any] = {"rows": np.zeros((0, 0), np.int64), "alpha": np.zeros(0, np.int64)}
    if P.strategy == "optimal" or not TN:
        return out
    if P.strategy == "heavy-industry-first":
        v = np.asarray(Qp.sum(axis=0)).ravel()
        coef = (P.group[procs].astype(float) - P.share) * v
        nz = np.flatnonzero(coef)
        share_rows = []
        for t in range(TN):  # Σ_k (g_k − λ) v_k N_t,k = 0
            share_rows.append(
                lp.add_rows(1, np.zeros(len(nz), np.int64), N[t, nz], coef[nz], 0.0, 0.0)
            )
        out["rows"] = np.concatenate(share_rows)[:, None]
        return out
    # balanced / replacement: N_t,k − δ_k Σ_{s+ℓ≤t} (1−δ_k)^{t−ℓ−s} N_s,k − α_t K_0,k = δ_k K⁰_t,k
    alpha = lp.columns(TN, 0.0, 0.0, np.inf if P.strategy == "balanced" else 0.0)
    d = P.delta[procs]
    local = np.arange(mp)
    rule_rows = []
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
        rule_rows.append(
            lp.add_rows(
                mp, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs
            )
        )
    out["rows"], out["alpha"] = np.stack(rule_rows), alpha
    return out


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


def build_full(P: YearsProblem) -> _Built:
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
    balance = np.zeros((T, n), np.int64)
    capacity = np.zeros((T, m), np.int64)
    for t in range(T):
        # (M − B_t) z_t − Y_t c_t − S J_t ≥ f_t
        net = (M - P.beta[t] * P.B).tocoo()
        yi = np.flatnonzero(P.Y[t])
        balance[t] = lp.add_rows(
            n,
            np.concatenate([net.row, yi, Sc.row]),
            np.concatenate([z[t, net.col], np.full(len(yi), c[t]), J[t, Sc.col]]),
            np.concatenate([net.data, -P.Y[t, yi], -Sc.data]),
            P.f[t],
            np.inf,
        )
        # z_t − Σ N ≤ K⁰_t
        cols, vals, rows = _capacity_terms(P, t, procs, N)
        capacity[t] = lp.add_rows(
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

    kinds = {"balance": balance, "capacity": capacity, "end": sh["end"], **sh["strategy"]}
    return _Built(lp, c, J, N, procs, sh["mu"], cap_rows, read_z, 0.0, "full", kinds)


def _scaled(prep: Prepared, beta: float) -> Prepared:
    """The prepared split of β A from that of A: off-diagonals × β, diagonal 1 − β aᵢᵢ."""

    def op(o: SplitOperator) -> SplitOperator:
        d = 1.0 - beta * (1.0 - 1.0 / o.dinv)
        return SplitOperator(o.indptr, o.indices, o.data * beta, 1.0 / d)

    return Prepared(op(prep.cols), prep.order, prep.reordered)


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


def leontief_blocks(
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


def build_condensed(P: YearsProblem, prepared: Prepared | None, rtol: float) -> _Built:
    """The LP with z_t = a_t + b_t c_t + W_t J_t substituted (one technique per product)."""
    T, m, r = P.T, P.m, P.r
    choice = P.choice
    A = square_matrix(P.B, choice)
    a, b, W = leontief_blocks(P, A, prepared, rtol)  # product space: index i ↔ process choice[i]
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


def solve_built(
    P: YearsProblem, built: _Built, algorithm: str, time_limit: float | None, rtol: float
) -> YearsSolution:
    """Solve a built form whole with HiGHS (``max_min``: then its second, discounted stage)."""
    lp = built.lp
    A = lp.matrix()
    h = _highs.quiet_highs(
        solver=HIGHS_ALGORITHMS[algorithm],
        time_limit=None if time_limit is None else float(time_limit),
        **_highs.tolerances(rtol),
    )
    h.passModel(_highs.lp_model(*lp.arrays()[:3], A, *lp.arrays()[3:]))
    h.run()
    status = _highs.outcome(h)
    its = _highs.iterations(h)
    method = f"{built.form} (HiGHS {algorithm})"
    sizes = {"rows": float(lp.nrow), "columns": float(lp.ncol), "nonzeros": float(A.nnz)}
    if status == _highs.OPTIMAL and P.objective == "max_min":
        hold_minimum(h, P, built.mu, built.c, float(h.getSolution().col_value[built.mu]))
        h.run()
        status = _highs.outcome(h)
        its += _highs.iterations(h)
    if status == _highs.OPTIMAL:
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
            _highs.OPTIMAL,
            "optimal",
            method,
            z,
            c,
            J,
            N,
            K,
            pi,
            objective_value(P, z, c),
            its,
            0.0,
            sizes,
        )
    if status == _highs.INFEASIBLE:
        return YearsSolution(
            _highs.INFEASIBLE, INFEASIBLE_MESSAGE, method, iterations=its, info=sizes
        )
    if status == _highs.UNBOUNDED:
        return YearsSolution(
            _highs.UNBOUNDED, UNBOUNDED_MESSAGE, method, iterations=its, info=sizes
        )
    if status == _highs.LIMIT:
        return YearsSolution(
            _highs.LIMIT,
            f"HiGHS stopped: {_highs.status_text(h)}",
            method,
            iterations=its,
            info=sizes,
        )
    raise SolverError(f"HiGHS failed on the {P.T}-year plan: {_highs.status_text(h)}")


def hold_minimum(h: Any, P: YearsProblem, mu: int, c: NDArray[np.int64], level: float) -> None:
    """``max_min``'s second stage in HiGHS ``h``: hold the common minimum μ at ``level`` (less
    :data:`LEX_SLACK`) and maximise Σ β^t c_t instead."""
    h.changeColBounds(mu, level - LEX_SLACK * max(abs(level), 1.0), np.inf)
    h.changeColCost(mu, 0.0)
    h.changeColsCost(P.T, c.astype(np.int32), -(P.discount ** np.arange(P.T, dtype=float)))
