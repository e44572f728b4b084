"""The structured solver of the plan problem: column generation over technique sets.

The plan problem (see :mod:`commonplan.numerics.lp`) has the shape of a Leontief substitution
system with a few coupling rows (the caps).  Two facts make it cheap:

1. **Non-substitution.**  For any prices π ≥ 0 on the caps (and μ ≥ 0 on capacities) the cost of
   a unit of activity is c = (π + φ) C + μ, and one technique set s(π) minimises the embodied cost
   λ = c_s (I − A_s)⁻¹ of *every* product at once (:class:`~commonplan.numerics.techniques.Pricer`).
2. **Decomposition.**  For fixed net output y every feasible activity is a convex combination of
   technique-set plans z_s(y) = (I − A_s)⁻¹ y (the vertices of a Leontief substitution system
   are its technique sets).  So the problem is the *master* LP over technique sets s::

       maximise   Σ_{g,s} (w_g − φ·U_s^g) b_gs − Σ_s φ·U_s^f a_s
       subject to Σ_s U_s^f a_s + Σ_{g,s} U_s^g b_gs ≤ c      (caps and capacities)
                  Σ_s a_s = 1,   lo_g ≤ Σ_s b_gs ≤ hi_g,   a, b ≥ 0

   where U_s^f is what technique set s uses of each capped input to make the floors f, and U_s^g
   to make one unit of group g's bundle; t_g = Σ_s b_gs.

Dantzig–Wolfe column generation solves it: HiGHS solves the small master over the sets found so
far; its cap prices π price the next set s(π) — the best column for the floors and every group at
once — and give the Lagrangian upper bound::

    L(π, μ) = π·c + μ·u − λ·f + Σ_g max_{lo_g ≤ t ≤ hi_g} t (w_g − λ·T_g)  ≥  optimum

The master's value is a lower bound (its plan is feasible), so the gap between them *certifies*
the result; the loop stops when the relative gap is within ``rtol``.  With one cap (labour) the
first set is already optimal: value iteration, one Leontief solve, and one tiny LP.  When the
floors do not fit under the caps with the first sets, a phase 1 maximises the common scale s of
(floors + minimal targets) that fits; s < 1, certified by its bound, proves the plan infeasible,
and its prices are the Farkas certificate.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from commonplan.errors import SolverError
from commonplan.numerics._highs import (
    INFEASIBLE,
    LIMIT,
    OPTIMAL,
    UNBOUNDED,
    outcome,
    quiet_highs,
    status_text,
)
from commonplan.numerics.lp import PlanProblem, PlanSolution
from commonplan.numerics.techniques import Pricer
from commonplan.numerics.types import Array

__all__ = ["certify", "solve_structured"]

Choice = NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class _Priced:
    """One call of the pricing oracle: the prices, the cheapest set, its λ, and the bound."""

    pi: Array  # k
    mu: Array  # capacities
    choice: Choice
    lam: Array
    bound: float


@dataclass
class _Run:
    """What one column-generation run ended with."""

    status: str
    lower: float  # master value (feasible plan)
    upper: float  # best Lagrangian bound
    x: Array | None  # master solution
    best: _Priced | None
    iterations: int
    stopped: str = ""  # why a LIMIT: "after 200 iterations", "at the time limit …"


def solve_structured(
    problem: PlanProblem,
    *,
    pricer: Pricer | None = None,
    rtol: float = 1e-9,
    maxiter: int = 200,
    time_limit: float | None = None,
    on_gap: Callable[[float], None] | None = None,
) -> PlanSolution:
    """Solve the plan problem by column generation over technique sets (module docstring).

    ``pricer`` may be reused across calls on the same processes (it holds the supply-chain
    order).  The result's ``gap`` is the certified relative gap; status ``"limit"`` if it is
    still above ``rtol`` after ``maxiter`` master solves or ``time_limit`` seconds (checked
    between master solves), with the master's plan and that gap — or, where the floors could not
    yet be shown to fit, no plan and gap NaN.
    ``on_gap(gap)``: told the relative gap between the bounds after every pricing (progress for
    whoever shows it; infinite until both bounds are finite).
    """
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    P = problem
    pricer = pricer or Pricer(P.B, P.makes)
    J = np.flatnonzero(np.isfinite(P.u))  # processes with a capacity
    columns = _Columns(pricer, np.column_stack([P.f, P.T]))  # floors, then each group's bundle

    def done(status: str, message: str, **kw: object) -> PlanSolution:
        seconds = time.perf_counter() - started
        return PlanSolution(status, message, "structured", seconds=seconds, rtol=rtol, **kw)  # type: ignore[arg-type]

    oracle = _Oracle(P, pricer, J)
    first = oracle.price(_start_prices(P), np.zeros(len(J)), first=True).choice
    master = _Master(P, J, columns)
    master.add(first)
    total = 0
    y0 = P.f + P.T @ P.lo  # what must be made whatever the objective
    if y0.any() and master.solve()[0] == INFEASIBLE:
        # phase 1: the largest s such that s (f + T lo) fits under the caps; feasible iff s ≥ 1
        aux = P.with_(
            f=np.zeros(P.n),
            T=y0[:, None],
            w=np.ones(1),
            lo=np.zeros(1),
            hi=np.full(1, np.inf),
            phi=np.zeros(P.k),
        )
        phase1 = _Master(aux, J, columns, lift=np.concatenate([[1.0], P.lo]))
        phase1.add(first)
        run = _column_generation(
            phase1, _Oracle(aux, pricer, J, oracle.memo), rtol, maxiter, 1.0, deadline, on_gap
        )
        total += run.iterations
        what = "floors" + (" and minimum targets" if P.lo.any() else "")
        best = run.best
        if run.status == OPTIMAL and run.lower < 1.0 - rtol and best is not None:
            return done(
                INFEASIBLE,
                f"the {what} do not fit under the caps: at most {run.upper:.6g} times them can "
                "be made",
                p=best.lam,
                pi=best.pi,
                mu=_full(best.mu, J, P.m),
                gap=0.0,
                iterations=total,
                info={"scale": run.upper, "scale_lower": run.lower},
            )
        if run.lower < 1.0 - rtol and (run.status == LIMIT or best is None):
            # (stopped, or no finite bound priced the floors: nothing certifies them infeasible)
            return done(
                LIMIT,
                f"could not decide {run.stopped or 'without a bound'} whether the {what} fit "
                "under the caps "
                f"(between {run.lower:.6g} and {run.upper:.6g} times them do)",
                iterations=total,
                info={"scale": run.upper, "scale_lower": run.lower},
            )
        for i in range(1, phase1.size):
            master.add(phase1.choice(i))
        del phase1
    run = _column_generation(master, oracle, rtol, maxiter, None, deadline, on_gap)
    total += run.iterations
    if run.status == UNBOUNDED:
        return done(
            UNBOUNDED,
            "nothing limits the objective: a target group costs none of the capped inputs — "
            "give a cap (e.g. on labour) or a ceiling",
            gap=0.0,
            iterations=total,
        )
    if run.status == INFEASIBLE:  # pragma: no cover - phase 1 leaves a feasible master
        raise SolverError("structured solver: master problem infeasible after phase 1")
    assert run.x is not None
    z, t = master.primal(run.x)
    gap = _gap(run.lower, run.upper, _unit(P))
    best = run.best  # None: no finite bound yet (gap ∞), so no prices
    optimal = gap <= rtol
    return done(
        OPTIMAL if optimal else LIMIT,
        "optimal" if optimal else f"not certified optimal {run.stopped}: relative gap {gap:.2g}",
        z=z,
        t=t,
        objective=float(P.w @ t - P.phi @ (P.C @ z)),
        p=None if best is None else best.lam,
        pi=None if best is None else best.pi,
        mu=None if best is None else _full(best.mu, J, P.m),
        gap=gap,
        iterations=total,
        info={"lower": run.lower, "upper": run.upper, "technique_sets": master.size},
    )


def certify(problem: PlanProblem, solution: PlanSolution, *, pricer: Pricer) -> PlanSolution:
    """The gap of a feasible plan that a solver did not prove optimal (status ``"limit"``).

    The bound is the structured solver's: the Lagrangian L(π, μ) at the solution's cap and
    capacity prices (any π, μ ≥ 0 bound the optimum; the products' prices are recomputed as the
    cheapest embodied costs λ at those prices, so no tolerance of the other solver enters), and
    the prices returned are those of the bound, as the structured solver's are.  A solution
    without a plan is returned unchanged; one without prices is bounded at π = 0 (usually no
    bound: gap ∞) and keeps none.
    """
    P = problem
    if solution.z is None or solution.t is None:
        return solution
    J = np.flatnonzero(np.isfinite(P.u))
    pi = np.zeros(P.k) if solution.pi is None else np.maximum(solution.pi, 0.0)
    pi[~np.isfinite(P.cap)] = 0.0
    mu = np.zeros(len(J)) if solution.mu is None else np.maximum(solution.mu[J], 0.0)
    priced = _Oracle(P, pricer, J).price(pi, mu)
    lower = float(P.w @ solution.t - P.phi @ (P.C @ solution.z))
    gap = _gap(lower, priced.bound, _unit(P))
    info = {**solution.info, "lower": lower, "upper": priced.bound}
    if solution.pi is None:
        return replace(solution, gap=gap, info=info)
    mu_full = _full(priced.mu, J, P.m)
    return replace(solution, gap=gap, info=info, p=priced.lam, pi=priced.pi, mu=mu_full)


def _key(choice: Choice) -> bytes:
    """A 128-bit fingerprint of a technique set (the set itself is n long: 8 MB at 10⁶)."""
    return hashlib.blake2b(np.ascontiguousarray(choice).data, digest_size=16).digest()


class _Columns:
    """The gross outputs X_s = (I − A_s)⁻¹ [f, T] of technique sets s, while the master needs them.

    Each is n × (1 + G) (16 MB at 10⁶ products and one group), so only those of the sets the
    master's current solution uses and the set added last are kept (:meth:`keep`); another one
    asked for again (a set that re-enters the solution, or phase 1's sets entering phase 2's
    master) is recomputed, identically: the Leontief solve starts from zero every time.
    """

    def __init__(self, pricer: Pricer, Y: Array) -> None:
        self.pricer, self.Y = pricer, Y
        self.cache: dict[bytes, Array] = {}

    def __call__(self, choice: Choice, key: bytes | None = None) -> Array:
        key = _key(choice) if key is None else key
        X = self.cache.get(key)
        if X is None:
            X = self.cache[key] = self.pricer.quantities(choice, self.Y)
        return X

    def keep(self, keys: Iterable[bytes]) -> None:
        """Drop every cached X but those of ``keys``."""
        wanted = set(keys)
        for key in [k for k in self.cache if k not in wanted]:
            del self.cache[key]


MEMO_SIZE = 4
"""Price directions the oracle remembers (each holds a set and λ, 16 MB at 10⁶ products).  Column
generation asks again only for the direction it asked last (the start prices, then the master's
first duals with one cap; a master whose duals did not move), so a few are all that ever hit."""


ALPHA_MAX = 1e12
"""The most the Lagrangian bound scales prices up by to price every unbounded group: beyond, the
group's cost is within the rounding of λ (a warm start's leftovers), and scaling that up made a
meaningless bound that once certified a wrong optimum; there is then no bound at those prices."""


class _Oracle:
    """Prices → cheapest technique set and the Lagrangian bound; remembers the last few price
    directions (:data:`MEMO_SIZE`)."""

    def __init__(
        self,
        P: PlanProblem,
        pricer: Pricer,
        J: NDArray[np.intp],
        memo: dict[bytes, tuple[Choice, Array]] | None = None,
    ) -> None:
        self.P, self.pricer, self.J = P, pricer, J
        self.memo: dict[bytes, tuple[Choice, Array]] = {} if memo is None else memo

    def price(self, pi: Array, mu: Array, *, first: bool = False) -> _Priced:
        """The cheapest set at prices (π, μ), and the Lagrangian bound there (∞ if ``first``)."""
        P = self.P
        weights = np.concatenate([pi + P.phi, mu])
        norm = float(np.abs(weights).sum())
        unit = weights / norm if norm > 0 else weights
        key = np.round(unit, 12).tobytes()
        memo = self.memo
        if key in memo:
            memo[key] = memo.pop(key)  # most recently used last
        else:
            c = unit[: P.k] @ P.C
            c[self.J] += unit[P.k :]
            memo[key] = self.pricer.values(c)
            while len(memo) > MEMO_SIZE:
                del memo[next(iter(memo))]
        choice, lam_unit = memo[key]
        lam = lam_unit * norm
        if first:
            return _Priced(pi, mu, choice, lam, np.inf)
        return self.bound(pi, mu, choice, lam)

    def bound(self, pi: Array, mu: Array, choice: Choice, lam: Array) -> _Priced:
        """L(π, μ), at the prices scaled up (if φ = 0) until every unbounded group is priced."""
        P = self.P
        cost = lam @ P.T
        free = ~np.isfinite(P.hi) & (P.w > cost)
        if free.any() and not P.phi.any():
            # λ(απ, αμ) = α λ(π, μ): the smallest α ≥ 1 with α λ·T_g ≥ w_g for unbounded groups
            with np.errstate(divide="ignore"):
                alpha = float(np.max(P.w[free] / cost[free]))
            if not alpha <= ALPHA_MAX:  # a group costs (next to) nothing here: no bound here
                return _Priced(pi, mu, choice, lam, np.inf)
            pi, mu, lam, cost = alpha * pi, alpha * mu, alpha * lam, alpha * cost
        capped = np.isfinite(P.cap)
        value = float(pi[capped] @ P.cap[capped]) + float(mu @ P.u[self.J]) - float(lam @ P.f)
        d = P.w - cost
        d[np.abs(d) <= 1e-13 * np.maximum(np.abs(P.w), np.abs(cost))] = 0.0  # rounding of α
        for g in range(P.G):
            if d[g] > 0:
                if not np.isfinite(P.hi[g]):
                    value = np.inf
                    break
                value += P.hi[g] * d[g]
            else:
                value += P.lo[g] * d[g]
        return _Priced(pi, mu, choice, lam, value)


def _start_prices(P: PlanProblem) -> Array:
    """Initial cap prices: each finite, positive cap weighted by 1 / cap (uses as shares)."""
    ok = np.isfinite(P.cap) & (P.cap > 0)
    pi = np.zeros(P.k)
    pi[ok] = 1.0 / P.cap[ok]
    return pi


_MIN_ROW_SCALE = 1e-6
"""The master's rows are scaled by their limit, but by no less than this: a tiny capacity (1e-20)
would otherwise put coefficients beyond HiGHS's largest allowed matrix value (1e15) into the
master, or overflow (1e-300).  Below about 1e-16 a limit then acts as zero, within HiGHS's
feasibility tolerance."""


class _Master:
    """The master LP over the technique sets found so far, kept in one warm-started HiGHS.

    Columns: for each set s, a_s then b_1s … b_Gs.  Rows: finite caps and capacities (each scaled
    by its right-hand side, so every row is O(1)), convexity, groups.  The sets are kept as their
    differences from the first (later sets differ from it in a minority of products), their
    gross outputs in ``columns`` (with ``lift``: phase 1's single bundle [f, T] · lift).
    """

    def __init__(
        self,
        P: PlanProblem,
        J: NDArray[np.intp],
        columns: _Columns,
        lift: Array | None = None,
    ) -> None:
        import highspy

        self.P, self.J, self.columns, self.lift = P, J, columns, lift
        self.capped = np.flatnonzero(np.isfinite(P.cap))
        rhs = np.concatenate([P.cap[self.capped], P.u[J]])
        self.scale = np.where(rhs > 0, np.maximum(rhs, _MIN_ROW_SCALE), 1.0)
        self.nr = len(rhs)
        inf = highspy.kHighsInf
        self.h = h = quiet_highs(
            solver="simplex", primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10
        )
        lower = np.concatenate([np.full(self.nr, -inf), [1.0], P.lo])
        upper = np.concatenate([rhs / self.scale, [1.0], np.where(np.isfinite(P.hi), P.hi, inf)])
        h.addRows(len(lower), lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), [])
        self.base: Choice | None = None
        # where each set differs from the first: (products, their processes)
        self.diffs: list[tuple[NDArray[np.integer], NDArray[np.integer]]] = []
        self.index = np.int32 if P.m < 2**31 else np.int64
        self.keys: list[bytes] = []
        self.known: dict[bytes, int] = {}

    @property
    def size(self) -> int:
        """Technique sets in the master."""
        return len(self.keys)

    def choice(self, i: int) -> Choice:
        """The i-th technique set."""
        assert self.base is not None
        where, procs = self.diffs[i]
        out = self.base.copy()
        out[where] = procs
        return out

    def has(self, choice: Choice) -> bool:
        """Whether ``choice`` is one of the master's sets."""
        i = self.known.get(_key(choice))
        return i is not None and np.array_equal(self.choice(i), choice)

    def quantities(self, choice: Choice, key: bytes | None = None) -> Array:
        X = self.columns(choice, key)
        if self.lift is None:
            return X
        return np.column_stack([np.zeros(self.P.n), X @ self.lift])

    def add(self, choice: Choice) -> None:
        """Add technique set ``choice`` (its 1 + G columns)."""
        import highspy

        P, G = self.P, self.P.G
        key = _key(choice)
        X = self.quantities(choice, key)  # n × (1 + G)
        U = _uses(P, self.J, choice, X) / self.scale[:, None]
        block = np.vstack([U, np.eye(1, 1 + G), np.hstack([np.zeros((G, 1)), np.eye(G)])])
        cost = P.phi @ (P.C[:, choice] @ X) - np.concatenate([[0.0], P.w])
        nz = block != 0
        starts = np.concatenate([[0], np.cumsum(nz.sum(axis=0))[:-1]]).astype(np.int32)
        _, cols = np.nonzero(nz.T)
        self.h.addCols(
            1 + G,
            cost,
            np.zeros(1 + G),
            np.full(1 + G, highspy.kHighsInf),
            int(nz.sum()),
            starts,
            cols.astype(np.int32),
            block.T[nz.T],
        )
        if self.base is None:
            self.base = choice.copy()
        where = np.flatnonzero(choice != self.base)
        self.diffs.append((where.astype(self.index), choice[where].astype(self.index)))
        self.known[key] = len(self.keys)
        self.keys.append(key)

    def keep_used(self, x: Array) -> None:
        """Let ``columns`` drop the gross outputs of the sets that solution x does not use."""
        used = np.flatnonzero(x.reshape(self.size, 1 + self.P.G).any(axis=1))
        self.columns.keep([self.keys[-1], *(self.keys[i] for i in used)])

    def primal(self, x: Array) -> tuple[Array, Array]:
        """Activity z and fulfilment t of the master solution x (columns a_s, b_1s … b_Gs)."""
        P = self.P
        weights = x.reshape(self.size, 1 + P.G)
        z = np.zeros(P.m)
        for i in np.flatnonzero(weights.any(axis=1)):
            choice = self.choice(int(i))
            z[choice] += self.quantities(choice, self.keys[i]) @ weights[i]
        return z, weights[:, 1:].sum(axis=0)

    def solve(self) -> tuple[str, float, Array | None, Array, Array]:
        """(status, value, solution, π, μ)."""
        h = self.h
        h.run()
        st = outcome(h)
        pi = np.zeros(self.P.k)
        mu = np.zeros(len(self.J))
        if st == OPTIMAL:
            sol = h.getSolution()
            dual = np.maximum(-np.asarray(sol.row_dual)[: self.nr], 0.0) / self.scale
            pi[self.capped] = dual[: len(self.capped)]
            mu = dual[len(self.capped) :]
            value = -float(h.getInfo().objective_function_value)
            return OPTIMAL, value, np.asarray(sol.col_value), pi, mu
        if st == INFEASIBLE:
            return INFEASIBLE, -np.inf, None, pi, mu
        if st == UNBOUNDED:
            return UNBOUNDED, np.inf, None, pi, mu
        raise SolverError(f"HiGHS failed on the master problem: {status_text(h)}")


def _uses(P: PlanProblem, J: NDArray[np.intp], choice: Choice, X: Array) -> Array:
    """What technique set ``choice`` uses of each finite cap and capacity, per right-hand side."""
    capped = np.flatnonzero(np.isfinite(P.cap))
    rows = [P.C[capped][:, choice] @ X]
    if len(J):
        on = choice[P.makes[J]] == J
        rows.append(X[P.makes[J]] * on[:, None])
    return np.vstack(rows)


SMOOTHING = 0.5
"""Wentges smoothing: price first at this mix of the best dual point so far and the master's."""


def _column_generation(
    master: _Master,
    oracle: _Oracle,
    rtol: float,
    maxiter: int,
    stop_at: float | None,
    deadline: float | None = None,
    on_gap: Callable[[float], None] | None = None,
) -> _Run:
    """Alternate master solves and pricing until the bounds meet (or pass ``stop_at``, to
    within ``rtol``: a plan exactly at its caps is feasible), for at most ``maxiter`` master
    solves and until ``deadline`` (a ``time.perf_counter()`` value).

    Pricing first at a point between the best dual point found and the master's duals (Wentges
    smoothing) damps the oscillation of the duals that makes plain column generation tail off;
    if that finds no new set, pricing at the master's own duals either finds one or proves the
    master optimal.
    """
    upper, best, lower, x = np.inf, None, -np.inf, None
    for it in range(1, maxiter + 1):
        status, lower, x, pi, mu = master.solve()
        if status != OPTIMAL:
            return _Run(status, lower, upper, None, best, it)
        assert x is not None
        master.keep_used(x)
        if stop_at is not None and lower >= stop_at * (1 - rtol):
            return _Run(OPTIMAL, lower, upper, x, best, it)
        if deadline is not None and it > 1 and time.perf_counter() > deadline:
            if _gap(lower, upper, _unit(master.P)) <= rtol:
                return _Run(OPTIMAL, lower, upper, x, best, it)
            return _Run(LIMIT, lower, upper, x, best, it, f"at the time limit, {it} iterations")
        points = [(pi, mu)]
        if best is not None:
            a = SMOOTHING
            points.insert(0, (a * best.pi + (1 - a) * pi, a * best.mu + (1 - a) * mu))
        for p_pi, p_mu in points:
            priced = oracle.price(p_pi, p_mu)
            if priced.bound < upper:
                upper, best = priced.bound, priced
            if on_gap is not None:
                on_gap(_gap(lower, upper, _unit(master.P)))
            if _gap(lower, upper, _unit(master.P)) <= rtol or (
                stop_at is not None and upper < stop_at * (1 - rtol)
            ):
                return _Run(OPTIMAL, lower, upper, x, best, it)
            if not master.has(priced.choice):
                master.add(priced.choice)
                break
        else:  # no new set even at the master's duals: the master is optimal
            return _Run(OPTIMAL, lower, upper, x, best, it)
    # the last iteration added a set: solve once more, so that x covers every set
    status, lower, x, _, _ = master.solve()
    if status != OPTIMAL:  # pragma: no cover - adding a column keeps the master feasible
        raise SolverError(f"structured solver: master problem {status} after a new set")
    its = f"{maxiter} iteration" + ("s" if maxiter != 1 else "")
    return _Run(LIMIT, lower, upper, x, best, maxiter, f"after {its}")


def _gap(lower: float, upper: float, unit: float) -> float:
    """(upper − lower) relative to the larger of the two, or to ``unit`` near zero."""
    if upper <= lower:
        return 0.0
    scale = max(abs(lower), abs(upper), unit)
    return float((upper - lower) / scale) if np.isfinite(upper) else np.inf


def _unit(P: PlanProblem) -> float:
    """The objective's natural unit: the weights' sum for fulfilment (full fulfilment of every
    group), else a tiny floor so that a gap near a zero optimum stays meaningful."""
    return max(float(P.w.sum()), 1e-12)


def _full(mu: Array, J: NDArray[np.intp], m: int) -> Array:
    out = np.zeros(m)
    out[J] = mu
    return out
