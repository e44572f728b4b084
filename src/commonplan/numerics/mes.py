"""The Method of Equal Shares (MES) for participatory budgeting over approval ballots.

Definitions (Peters, Pierczyński & Skowron, "Proportional participatory budgeting with additive
utilities", NeurIPS 2021; https://equalshares.net/explanation)
---------------------------------------------------------------------------------------------
n voters, m projects, approvals A ∈ {0, 1}^(n × m) (Aᵢⱼ = 1: voter i approves project j),
costs cⱼ > 0 (in commonplan: labour hours), budget B ≥ 0.  The utility of voter i from project j
is uᵢⱼ = Aᵢⱼ cⱼ (``utility="cost"``, the default of equalshares.net) or uᵢⱼ = Aᵢⱼ
(``utility="approval"``).  Nⱼ = {i : Aᵢⱼ = 1} are j's supporters.

Every voter starts with the same share bᵢ = B / n (voters who approve nothing count in n).  Then,
round after round:

* j is *affordable* iff  Σ_{i ∈ Nⱼ} bᵢ ≥ cⱼ.  Budgets only fall, so an unaffordable project is
  dropped for good;
* j's price ρⱼ is the least ρ with  Σ_{i ∈ Nⱼ} min(bᵢ, ρ uᵢⱼ) = cⱼ : each supporter pays ρ per unit
  of utility, or all they have left if that is less.  Both utilities are uniform within a project
  (uᵢⱼ = uⱼ), so every supporter who can pays the same share πⱼ = ρⱼ uⱼ, with

      πⱼ = (cⱼ − Σ_{i ∈ Pⱼ} bᵢ) / (|Nⱼ| − |Pⱼ|),    Pⱼ = {i ∈ Nⱼ : bᵢ < πⱼ}  (the "poor")

* the affordable project with the least ρ is funded, each supporter pays min(bᵢ, πⱼ);
* it stops when no project is affordable.  No completion is applied (pabutools' default too).

Ties on ρ are broken by an explicit rule (``tie_break``): ``"error"`` raises
:class:`~commonplan.errors.TieError` naming the tied projects, ``"lexicographic"`` funds the
project whose id sorts first (as text, like pabutools' ``lexico_tie_breaking``; by index when no
ids are given), a sequence of ids is a priority order (first listed first).  One kind of tie needs
no rule: projects tied on ρ that share no supporter who still has money are all funded, in
consecutive rounds and at the same ρ, whatever the order (funding one leaves the others' supporters
and prices as they were); they are taken in index order and the tie is recorded as
``"independent"``.  Every tie is recorded in the result.

Exactness
---------
Outcomes equal those of exact rational arithmetic (pabutools uses gmpy2 fractions).  Costs and the
budget are taken as the exact binary values of the floats (so integer costs are exact).  Rounds
run in float64 with a running, certified bound D on Σᵢ |bᵢ − exact bᵢ| over all voters (unit
round-off u = 2⁻⁵³ with a safety factor of 4, Neumaier-compensated sums).  D grows only by the
roundings of each round: when a project is funded, the errors of the supporters it makes poor
vanish (they keep exactly 0) and move, through π, to those who pay π; their sum does not grow.
(A bound per voter would compound round after round.)  A decision is taken in floats only when
its margin exceeds its error bound: the funded project's ρ below every other project's lower
bound, its affordability, and each supporter clearly poor or clearly rich.  Otherwise the round
is decided in exact rational arithmetic (:class:`fractions.Fraction`): a budget is B/n minus the
exact shares πₜ of the rounds the voter paid π in, or 0 after a round they paid all they had;
the exact πₜ of earlier float rounds are recomputed on demand from who was made poor in them.
Exact ties (e.g. ρ = 1/|Nⱼ| under cost utility for every project all of whose supporters can pay
their share) always take this path, so a tie is neither missed nor invented.  ``exact_rounds`` in
the result counts those rounds; with 10⁵ voters a run has a few, each a few milliseconds or less.

Speed: supporters of each project are one CSC column; a project's ρ is re-evaluated only when
one of its supporters has paid since (lazy evaluation, ρ never falls), by the poor/rich fixed point
(a few passes over its supporters, a sort as fallback) in compiled code.

One concept (the rule, its completion and its exact arithmetic), so one module, longer than most.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import TieError, VotingError

__all__ = [
    "CompletedResult",
    "EqualSharesResult",
    "GreedyResult",
    "RecordedTie",
    "equal_shares",
    "equal_shares_completed",
    "greedy_by_votes",
]

Utility = Literal["cost", "approval"]
TieBreak = str | Sequence[str]

# float64 unit round-off with a safety factor of 4 (see "Exactness" in the module docstring)
_U = 4.0 * 2.0**-53

# project status; outcome of a float evaluation; outcome of the float rounds (numba reads these
# module constants at compile time)
_ACTIVE, _SELECTED, _REMOVED, _UNSUPPORTED = 0, 1, 2, 3
_PRICED, _UNAFFORDABLE, _UNSURE = 0, 1, 2
_DONE, _NEED_EXACT = 0, 1
_FIXED_POINT_PASSES = 6  # passes of the poor/rich iteration before sorting the budgets instead


@dataclass(frozen=True)
class RecordedTie:
    """A tie on the decisive quantity, and how it was decided.

    ``round``: the round (0-based; for the greedy rule, the position in the selection) at which
    the tie arose.  ``tied``: ids of the tied projects (index order).  ``chosen``: the id funded.
    ``how``: ``"lexicographic"``, ``"priority"`` or ``"independent"`` (no rule needed: see the
    module docstring).
    """

    round: int
    tied: tuple[str, ...]
    chosen: str
    how: str


@dataclass(frozen=True)
class EqualSharesResult:
    """Outcome of :func:`equal_shares`.

    Attributes
    ----------
    selected : tuple of int
        Indices of the funded projects, in the order they were funded.
    ids : tuple of str
        Their ids.
    rho : tuple of float
        Each funded project's price ρ in its round: money per unit of utility (``"cost"``: the
        fraction of its cost each supporter who could pay it paid, i.e. ρ = π / c).
    share : tuple of float
        π = ρ u: the money each supporter who could pay it paid (the others paid all they had).
    total_cost : float
        Σ c over the funded projects.
    budget, per_voter : float
        B and B / n.
    remaining : ndarray, shape (n,)
        What each voter has left; ``per_voter - remaining`` is what they paid.
    utility : str
        ``"cost"`` or ``"approval"``.
    tie_break : str
        ``"error"``, ``"lexicographic"`` or ``"priority"`` (then ``priority`` holds the order).
    priority : tuple of str
        The priority order given (empty unless ``tie_break == "priority"``).
    ties : tuple of RecordedTie
        Every tie met and how it was decided.
    exact_rounds : int
        Rounds whose decision needed exact rational arithmetic (ties, or margins within the float
        error bound).
    """

    selected: tuple[int, ...]
    ids: tuple[str, ...]
    rho: tuple[float, ...]
    share: tuple[float, ...]
    total_cost: float
    budget: float
    per_voter: float
    remaining: NDArray[np.float64] = field(repr=False)
    utility: str
    tie_break: str
    priority: tuple[str, ...]
    ties: tuple[RecordedTie, ...]
    exact_rounds: int


@dataclass(frozen=True)
class GreedyResult:
    """Outcome of :func:`greedy_by_votes`.

    Attributes
    ----------
    selected : tuple of int
        Indices of the funded projects, in the order they were considered (most approvals first).
    ids : tuple of str
        Their ids.
    votes : tuple of int
        Their approval counts.
    total_cost, budget : float
        Σ c over the funded projects, and B.
    tie_break, priority, ties
        As in :class:`EqualSharesResult`.
    """

    selected: tuple[int, ...]
    ids: tuple[str, ...]
    votes: tuple[int, ...]
    total_cost: float
    budget: float
    tie_break: str
    priority: tuple[str, ...]
    ties: tuple[RecordedTie, ...]


@dataclass(frozen=True)
class CompletedResult:
    """Outcome of :func:`equal_shares_completed`: equal shares with the voters' budget raised step
    by step, then what is left filled greedily by votes.

    Attributes
    ----------
    selected, ids : tuple
        Every funded project (indices, ids): equal shares' first, in their rounds, then the fill's.
    mes : EqualSharesResult
        The equal-shares run kept: the last whose projects fit the real budget (its ``budget`` is
        the raised one, n × its per-voter share).
    steps : int
        How many times the per-voter share was raised (0: equal shares at the real budget).
    increment : float
        What each step added to every voter's share (``None``: no raising).
    filled : tuple of int
        Projects added by the greedy fill, in order (empty without fill).
    total_cost, budget : float
        Σ c over every funded project, and the real budget B.
    """

    selected: tuple[int, ...]
    ids: tuple[str, ...]
    mes: EqualSharesResult
    steps: int
    increment: float | None
    filled: tuple[int, ...]
    total_cost: float
    budget: float


# ---------------------------------------------------------------------------------------------
# input


@dataclass(frozen=True)
class _Election:
    n: int
    m: int
    cols: sp.csc_array  # voters × projects, 0/1, sorted indices
    rows: sp.csr_array
    costs: NDArray[np.float64]
    budget: float
    ids: tuple[str, ...]
    rule: str  # "error" | "lexicographic" | "priority"
    priority: tuple[str, ...]
    rank: NDArray[np.int64]  # smaller wins; ranked[j] False: the rule does not decide j
    ranked: NDArray[np.bool_]


def _election(
    approvals: Any,
    costs: ArrayLike,
    budget: float,
    projects: Sequence[str] | None,
    tie_break: TieBreak,
) -> _Election:
    a = _approval_matrix(approvals)
    n, m = a.shape
    ids = _project_ids(projects, m)
    c = _costs(costs, m, ids)
    try:
        bud = float(budget)
    except (TypeError, ValueError):
        raise VotingError(f"budget must be a number, not {budget!r}") from None
    if not math.isfinite(bud) or bud < 0:
        raise VotingError(f"budget must be a finite number ≥ 0, not {bud!r}")
    bad = (a.data != 0) & ~np.isfinite(a.data) | (a.data < 0)
    if bad.any():
        coo = sp.coo_array(a)
        k = int(np.flatnonzero((coo.data != 0) & ~np.isfinite(coo.data) | (coo.data < 0))[0])
        i, j = int(coo.row[k]), int(coo.col[k])
        raise VotingError(
            f"voter {i}'s approval of project {ids[j]!r} is {float(coo.data[k])!r}: an "
            "approval is a positive number (or True), a non-approval 0"
        )
    a = sp.csr_array(a)
    a.eliminate_zeros()
    a.sum_duplicates()
    a.data = np.ones_like(a.data, dtype=np.float64)
    a.sort_indices()
    cols = sp.csc_array(a)
    cols.sort_indices()
    rule, priority, rank, ranked = _tie_rule(tie_break, ids, projects is not None)
    return _Election(n, m, cols, a, c, bud, ids, rule, priority, rank, ranked)


def _approval_matrix(approvals: Any) -> sp.csr_array:
    if sp.issparse(approvals):
        a = sp.csr_array(approvals, dtype=np.float64)
    else:
        try:
            dense = np.asarray(approvals, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise VotingError(
                f"approvals cannot be read as a voters × projects matrix: {exc}"
            ) from None
        if dense.ndim != 2:
            raise VotingError(
                f"approvals must be a voters × projects matrix (2-D), not {dense.ndim}-D"
            )
        a = sp.csr_array(dense)
    if a.ndim != 2:
        raise VotingError("approvals must be a voters × projects matrix (2-D)")
    return a


def _project_ids(projects: Sequence[str] | None, m: int) -> tuple[str, ...]:
    if projects is None:
        return tuple(str(j) for j in range(m))
    ids = tuple(str(p) for p in projects)
    if len(ids) != m:
        raise VotingError(f"{len(ids)} project ids for {m} project columns of approvals")
    if len(set(ids)) != m:
        seen: set[str] = set()
        dup = next(p for p in ids if p in seen or seen.add(p))  # type: ignore[func-returns-value]
        raise VotingError(f"project id {dup!r} appears twice; ids must be unique")
    return ids


def _costs(costs: ArrayLike, m: int, ids: tuple[str, ...]) -> NDArray[np.float64]:
    try:
        c = np.array(costs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise VotingError(f"costs must be numbers: {exc}") from None
    if c.shape != (m,):
        raise VotingError(f"costs has shape {c.shape} but approvals has {m} project columns")
    bad = ~np.isfinite(c) | (c <= 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise VotingError(
            f"project {ids[j]!r} (index {j}) costs {float(c[j])!r}: every cost must be a positive, "
            "finite number (labour hours)"
        )
    return c


def _tie_rule(
    tie_break: TieBreak, ids: tuple[str, ...], named: bool
) -> tuple[str, tuple[str, ...], NDArray[np.int64], NDArray[np.bool_]]:
    m = len(ids)
    if isinstance(tie_break, str):
        if tie_break == "error":
            return "error", (), np.arange(m, dtype=np.int64), np.zeros(m, np.bool_)
        if tie_break == "lexicographic":
            order = sorted(range(m), key=ids.__getitem__) if named else list(range(m))
            rank = np.empty(m, np.int64)
            rank[order] = np.arange(m)
            return "lexicographic", (), rank, np.ones(m, np.bool_)
        raise VotingError(
            f"unknown tie_break {tie_break!r}: use 'error', 'lexicographic' or a sequence of "
            "project ids in order of priority"
        )
    priority = tuple(str(p) for p in tie_break)
    where = {p: j for j, p in enumerate(ids)}
    rank = m + np.arange(m, dtype=np.int64)
    ranked = np.zeros(m, np.bool_)
    for pos, p in enumerate(priority):
        j = where.get(p)
        if j is None:
            raise VotingError(f"tie_break lists {p!r}, which is not a project id")
        if ranked[j]:
            raise VotingError(f"tie_break lists {p!r} twice")
        rank[j], ranked[j] = pos, True
    return "priority", priority, rank, ranked


# ---------------------------------------------------------------------------------------------
# compiled rounds


@njit(cache=True, nogil=True)
def _neumaier(values, idx, lo, hi):  # type: ignore[no-untyped-def]
    """Σ values[idx[lo:hi]] with Neumaier's compensation (error ≤ 2u |Σ| + O(n u²))."""
    s = 0.0
    comp = 0.0
    for p in range(lo, hi):
        s, comp = _neumaier_add(s, comp, values[idx[p]])
    return s + comp


@njit(cache=True, nogil=True)
def _neumaier_add(s, comp, x):  # type: ignore[no-untyped-def]
    """One step of Neumaier's sum: (s + x, the compensation with the rounding of s + x added)."""
    t = s + x
    if abs(s) >= abs(x):
        return t, comp + ((s - t) + x)
    return t, comp + ((x - t) + s)


@njit(cache=True, nogil=True)
def _heapsort(v):  # type: ignore[no-untyped-def]
    """Sort ``v`` in place (compiles in a fraction of the time ``np.sort`` takes in numba)."""
    n = v.shape[0]
    for start in range(n // 2 - 1, -1, -1):
        _sift(v, start, n)
    for end in range(n - 1, 0, -1):
        v[0], v[end] = v[end], v[0]
        _sift(v, 0, end)


@njit(cache=True, nogil=True)
def _sift(v, root, end):  # type: ignore[no-untyped-def]
    while True:
        child = 2 * root + 1
        if child >= end:
            return
        if child + 1 < end and v[child] < v[child + 1]:
            child += 1
        if v[root] >= v[child]:
            return
        v[root], v[child] = v[child], v[root]
        root = child


@njit(cache=True, nogil=True)
def _evaluate(j, sptr, sidx, b, cost, util, D, U):  # type: ignore[no-untyped-def]
    """Float price of project j: (status, ρ, bound on |ρ − exact ρ|, π, bound on |π − exact π|,
    β, r).

    status ``_PRICED``; ``_UNAFFORDABLE`` (certainly); ``_UNSURE`` (Σ b within its error of c,
    or the float poor/rich split too close to call: ρ and its bound then cover the possibilities).
    ``D`` bounds Σᵢ |bᵢ − exact bᵢ| over all voters.

    Error bound: with k poor (Σ P) and r = m − k payers, the float π solves the float version of
    G(π) = Σ min(bᵢ, π) = c up to rounding u (P + c + r π); the exact G differs by ≤ D and has
    slope ≥ r − β between the two roots, β the voters whose float budget lies within a window W
    above π, so  |π − π_exact| ≤ (D + u (P + c + r π)) / (r − β) + u π,  checked to be < W − D.
    """
    lo = sptr[j]
    hi = sptr[j + 1]
    m = hi - lo
    c = cost[j]
    u = util[j]
    S = _neumaier(b, sidx, lo, hi)
    dS = D + U * S + U * c
    bmax = 0.0
    for p in range(lo, hi):
        if b[sidx[p]] > bmax:
            bmax = b[sidx[p]]
    # if Σ b is within dS of c, π is within D + 2 dS of max b (everyone pays nearly all)
    unsure_err = D + 2.0 * dS + U * bmax
    if S < c - dS:
        return _UNAFFORDABLE, np.inf, 0.0, np.inf, 0.0, 0, 0
    if S <= c + dS:
        return _UNSURE, bmax / u, unsure_err / u, bmax, unsure_err, 0, 0
    k = 0
    P = 0.0
    pi = c / m
    settled = False
    for _ in range(_FIXED_POINT_PASSES):
        cnt = 0
        s = 0.0
        comp = 0.0
        for p in range(lo, hi):
            x = b[sidx[p]]
            if x < pi:
                cnt += 1
                s, comp = _neumaier_add(s, comp, x)
        if cnt == k:
            settled = True
            break
        if cnt >= m:
            return _UNSURE, bmax / u, unsure_err / u, bmax, unsure_err, 0, 0
        k = cnt
        P = s + comp
        pi = (c - P) / (m - k)
    if not settled:
        vals = np.empty(m)
        for p in range(lo, hi):
            vals[p - lo] = b[sidx[p]]
        _heapsort(vals)
        s = 0.0
        comp = 0.0
        k = 0
        while k < m:
            pi = (c - (s + comp)) / (m - k)
            if pi <= vals[k]:
                break
            s, comp = _neumaier_add(s, comp, vals[k])
            k += 1
        if k >= m:
            return _UNSURE, bmax / u, unsure_err / u, bmax, unsure_err, 0, 0
        P = s + comp
    r = m - k
    rounding = D + U * (P + c + r * pi)
    window = 2.0 * (D + rounding / r + U * pi)
    beta = 0
    for p in range(lo, hi):
        x = b[sidx[p]]
        if pi <= x <= pi + window:
            beta += 1
    if beta >= r:
        return _UNSURE, bmax / u, unsure_err / u, bmax, unsure_err, 0, 0
    err = rounding / (r - beta) + U * pi
    if err + D > window:
        return _UNSURE, bmax / u, unsure_err / u, bmax, unsure_err, 0, 0
    return _PRICED, pi / u, err / u + U * pi / u, pi, err, beta, r


@njit(cache=True, nogil=True)
def _refresh(  # type: ignore[no-untyped-def]
    q, sptr, sidx, b, cost, util, status, stored, serr, fresh, unsure, pis, D, U
):  # fmt: skip
    """Evaluate q now and store the result (``pis[q]``: π, its bound, β, payers)."""
    st, r, e, pi, epi, beta, payers = _evaluate(q, sptr, sidx, b, cost, util, D, U)
    if st == _UNAFFORDABLE:
        status[q] = _REMOVED
        return
    stored[q] = r
    serr[q] = e
    unsure[q] = st == _UNSURE
    fresh[q] = True
    pis[q, 0] = pi
    pis[q, 1] = epi
    pis[q, 2] = beta
    pis[q, 3] = payers


@njit(cache=True, nogil=True)
def _advance(  # type: ignore[no-untyped-def]
    sptr, sidx, rptr, ridx, cost, util, b, zeroed_at, status, stored, serr, fresh, unsure, pis,
    round_of, sel, sel_pi, sel_rich, zlist, zptr, state, cand, U,
):  # fmt: skip
    """Run certified float rounds until done (``_DONE``) or a decision needs exact arithmetic
    (``_NEED_EXACT``, with ``cand[0]`` the least project and ``cand[1:state[2]]`` the others
    within its error).

    ``state``: [D (bound on Σᵢ |bᵢ − exact bᵢ|), rounds so far, candidates, zlist fill].
    ``stored[q] ± serr[q]`` brackets q's exact ρ when q was last evaluated: a lower bound on its
    ρ now, since ρ never falls; exact while ``fresh[q]`` (none of its supporters paid since).
    """
    m = cost.shape[0]
    while True:
        # the project with the least lower bound, evaluated since its supporters last paid
        j = -1
        low = np.inf
        for q in range(m):
            if status[q] == _ACTIVE:
                lq = stored[q] - serr[q]
                if lq < low:
                    low = lq
                    j = q
        if j < 0:
            return _DONE
        if not fresh[j]:
            _refresh(j, sptr, sidx, b, cost, util, status, stored, serr, fresh, unsure, pis,
                     state[0], U)  # fmt: skip
            continue
        up = stored[j] + serr[j]
        # every other project whose lower bound reaches j's upper bound must be fresh
        restart = False
        ncand = 1
        cand[0] = j
        for q in range(m):
            if q != j and status[q] == _ACTIVE and stored[q] - serr[q] <= up:
                if fresh[q]:
                    cand[ncand] = q
                    ncand += 1
                else:
                    _refresh(q, sptr, sidx, b, cost, util, status, stored, serr, fresh, unsure,
                             pis, state[0], U)  # fmt: skip
                    restart = True
        if restart:
            continue
        state[2] = ncand
        if ncand > 1 or unsure[j] or pis[j, 2] > 0:
            return _NEED_EXACT
        # j is certainly the least; is each supporter certainly poor or certainly rich?
        D = state[0]
        pi = pis[j, 0]
        epi = pis[j, 1]
        lo = sptr[j]
        hi = sptr[j + 1]
        margin = D + epi
        for p in range(lo, hi):
            i = sidx[p]
            if zeroed_at[i] < 0 and abs(b[i] - pi) <= margin:
                return _NEED_EXACT
        t = int(state[1])
        rich = 0
        paid_left = 0.0
        fill = int(state[3])
        for p in range(lo, hi):
            i = sidx[p]
            if zeroed_at[i] >= 0:
                continue
            if b[i] < pi:
                b[i] = 0.0
                zeroed_at[i] = t
                zlist[fill] = i
                fill += 1
            else:
                b[i] -= pi
                rich += 1
                paid_left += b[i]
            for pp in range(rptr[i], rptr[i + 1]):
                fresh[ridx[pp]] = False
        zptr[t + 1] = fill
        state[3] = fill
        status[j] = _SELECTED
        round_of[j] = t
        sel[t] = j
        sel_pi[t] = pi
        sel_rich[t] = rich
        state[1] = t + 1
        # the poor's errors move to the payers: Σ|error| grows only by the roundings,
        # r·epi = D + u (P + c + r π) + r u π, and u per new budget
        state[0] = rich * epi + U * paid_left


@njit(cache=True, nogil=True)
def _mark_stale(rptr, ridx, voters, fresh):  # type: ignore[no-untyped-def]
    """Every project approved by one of ``voters`` must be evaluated again."""
    for i in voters:
        for p in range(rptr[i], rptr[i + 1]):
            fresh[ridx[p]] = False


@njit(cache=True, nogil=True)
def _round_counts(rptr, ridx, round_of, voters, upto):  # type: ignore[no-untyped-def]
    """cnt[t] = how many of ``voters`` approve the project funded in round t (t < upto)."""
    cnt = np.zeros(upto, np.int64)
    for i in voters:
        for p in range(rptr[i], rptr[i + 1]):
            t = round_of[ridx[p]]
            if 0 <= t < upto:
                cnt[t] += 1
    return cnt


# ---------------------------------------------------------------------------------------------
# the rounds, with exact decisions where floats cannot certify them


class _Run:
    """State of one run of MES: float budgets, and exact shares computed on demand."""

    def __init__(self, e: _Election, utility: str, per_voter: Fraction | None = None) -> None:
        self.e = e
        self.utility = utility
        n, m = e.n, e.m
        self.sptr = e.cols.indptr.astype(np.int64)
        self.sidx = e.cols.indices.astype(np.int64)
        self.rptr = e.rows.indptr.astype(np.int64)
        self.ridx = e.rows.indices.astype(np.int64)
        self.cost = e.costs
        self.util = e.costs.copy() if utility == "cost" else np.ones(m)
        self.bn_x = Fraction(e.budget) / n if per_voter is None else per_voter
        bn = float(self.bn_x)
        self.bn = bn
        self.b = np.full(n, bn)
        self.zeroed_at = np.full(n, -1, np.int64)
        support = np.diff(self.sptr)
        self.status = np.where(support > 0, _ACTIVE, _UNSUPPORTED).astype(np.int64)
        self.stored = np.zeros(m)  # lower bound 0: every project is evaluated first
        self.serr = np.zeros(m)
        self.fresh = np.zeros(m, np.bool_)
        self.unsure = np.zeros(m, np.bool_)
        self.pis = np.zeros((m, 4))  # π, its error bound, β, payers at the last evaluation
        self.round_of = np.full(m, -1, np.int64)
        self.sel = np.zeros(m, np.int64)
        self.sel_pi = np.zeros(m)
        self.sel_rho: dict[int, float] = {}  # ρ of the exact rounds, rounded once
        self.sel_rich = np.zeros(m, np.int64)
        self.zlist = np.zeros(n, np.int64)
        self.zptr = np.zeros(m + 1, np.int64)
        # D starts as the rounding of B/n, in every budget
        self.state = np.array([n * _U * bn, 0.0, 0.0, 0.0])
        self.cand = np.zeros(m, np.int64)
        self.pix: list[Fraction | None] = []  # exact share of each round, once known
        self.pix_complete = 0  # pix[:pix_complete] are all known
        self.ties: list[RecordedTie] = []
        self.exact_rounds = 0

    @property
    def rounds(self) -> int:
        return int(self.state[1])

    # -- exact values ------------------------------------------------------------------------

    def _pi_exact(self, t: int) -> Fraction:
        """Exact share π of round t: (c − Σ exact budgets of those it made poor) / payers."""
        if t < len(self.pix):
            known = self.pix[t]
            if known is not None:
                return known
        self.pix.extend([None] * (self.rounds - len(self.pix)))
        for s in range(self.pix_complete, t + 1):  # in order: each needs only earlier ones
            if self.pix[s] is None:
                j = int(self.sel[s])
                zeroed = self.zlist[self.zptr[s] : self.zptr[s + 1]]
                poor = self._sum_exact(zeroed, upto=s)
                self.pix[s] = (Fraction(self.cost[j]) - poor) / int(self.sel_rich[s])
        self.pix_complete = max(self.pix_complete, t + 1)
        value = self.pix[t]
        assert value is not None
        return value

    def _sum_exact(self, voters: NDArray[np.int64], upto: int | None = None) -> Fraction:
        """Exact Σ budgets of ``voters`` before round ``upto`` (default: now); none zeroed then.

        A voter never made poor has B/n − Σ π over the funded projects they approve.
        """
        if len(voters) == 0:
            return Fraction(0)
        upto = self.rounds if upto is None else upto
        total = len(voters) * self.bn_x
        if upto == 0:
            return total
        cnt = _round_counts(self.rptr, self.ridx, self.round_of, voters, upto)
        for t in np.flatnonzero(cnt):
            total -= int(cnt[t]) * self._pi_exact(int(t))
        return total

    def _budget_exact(self, i: int) -> Fraction:
        if self.zeroed_at[i] >= 0:
            return Fraction(0)
        return self._sum_exact(np.array([i], np.int64))

    def _price_exact(self, j: int) -> tuple[Fraction, Fraction, NDArray[np.int64], int] | None:
        """Exact (ρ, π, supporters it makes poor, number paying π) of j now; None: unaffordable.

        The poor/rich fixed point from below: π₀ = c / (supporters with money), then
        P ← {i : bᵢ < π}, π ← (c − Σ_P b) / (|N| − |P|) until P stops growing.  Comparisons are
        taken from the floats where the margin exceeds their error, else from exact budgets.
        """
        sup = self.sidx[self.sptr[j] : self.sptr[j + 1]]
        live = sup[self.zeroed_at[sup] < 0]
        c = Fraction(self.cost[j])
        D = float(self.state[0])
        if self.unsure[j] and self._sum_exact(live) < c:
            return None
        bf = self.b[live]
        poor = np.zeros(len(live), np.bool_)
        known: dict[int, Fraction] = {}
        while True:
            payers = len(live) - int(poor.sum())
            if payers == 0:  # all would pay all they have: Σ b < c, excluded above
                return None
            pi = (c - self._sum_exact(live[poor])) / payers
            pif = float(pi)
            margin = D + _U * abs(pif)
            new = ~poor & (bf < pif - margin)
            for k in np.flatnonzero(~poor & ~new & (bf <= pif + margin)):
                i = int(live[k])
                if i not in known:
                    known[i] = self._budget_exact(i)
                if known[i] < pi:
                    new[k] = True
            if not new.any():
                break
            poor |= new
        u = c if self.utility == "cost" else Fraction(1)
        return pi / u, pi, live[poor], payers

    def _shared_with_money(self, tied: list[int]) -> bool:
        """Do two of ``tied`` share a supporter who still has money?"""
        allv = np.concatenate([self.sidx[self.sptr[j] : self.sptr[j + 1]] for j in tied])
        uniq, counts = np.unique(allv, return_counts=True)
        shared = uniq[(counts > 1) & (self.zeroed_at[uniq] < 0)]
        if (self.b[shared] > self.state[0]).any():
            return True
        return any(self._budget_exact(int(i)) > 0 for i in shared)

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            code = _advance(
                self.sptr, self.sidx, self.rptr, self.ridx, self.cost, self.util, self.b,
                self.zeroed_at, self.status, self.stored, self.serr, self.fresh, self.unsure,
                self.pis, self.round_of, self.sel, self.sel_pi, self.sel_rich, self.zlist,
                self.zptr, self.state, self.cand, _U,
            )  # fmt: skip
            if code == _DONE:
                return
            self._exact_round([int(q) for q in self.cand[: int(self.state[2])]])

    def _exact_round(self, cands: list[int]) -> None:
        """Decide a round the floats could not: exact prices of every candidate."""
        prices: dict[int, tuple[Fraction, Fraction, NDArray[np.int64], int]] = {}
        dropped = False
        for q in cands:
            got = self._price_exact(q)
            if got is None:
                self.status[q] = _REMOVED
                dropped = True
                continue
            prices[q] = got  # an unsure q stays unsure: its float bounds still hold
        if dropped or not prices:
            return  # the least may be elsewhere now: let the float rounds look again
        best = min(p[0] for p in prices.values())
        j = self._choose(sorted(q for q, p in prices.items() if p[0] == best))
        rho, pi, poor, payers = prices[j]
        self.sel_rho[self.rounds] = float(rho)
        self._pay(j, pi, poor, payers)
        self.exact_rounds += 1

    def _choose(self, tied: list[int]) -> int:
        if len(tied) == 1:
            return tied[0]
        e = self.e
        t = self.rounds
        ids = tuple(e.ids[q] for q in tied)
        first = min(tied, key=lambda q: int(e.rank[q]))
        if e.ranked[first]:
            self.ties.append(RecordedTie(t, ids, e.ids[first], e.rule))
            return first
        undecided = [q for q in tied if not e.ranked[q]]
        if not self._shared_with_money(undecided):
            self.ties.append(RecordedTie(t, ids, e.ids[undecided[0]], "independent"))
            return undecided[0]
        names = ", ".join(repr(e.ids[q]) for q in undecided)
        raise TieError(
            f"round {t + 1} of equal shares: projects {names} tie at the same price ρ and share "
            "supporters, so which is funded first can change the outcome; choose a tie-break "
            "rule ('lexicographic' or a priority order of project ids)",
            tied=tuple(e.ids[q] for q in undecided),
        )

    def _pay(self, j: int, pi: Fraction, poor: NDArray[np.int64], payers: int) -> None:
        t = self.rounds
        sup = self.sidx[self.sptr[j] : self.sptr[j + 1]]
        live = sup[self.zeroed_at[sup] < 0]
        paying = np.setdiff1d(live, poor, assume_unique=True)
        pif = float(pi)
        self.b[poor] = 0.0
        self.zeroed_at[poor] = t
        fill = int(self.state[3])
        self.zlist[fill : fill + len(poor)] = poor
        fill += len(poor)
        self.zptr[t + 1] = fill
        self.state[3] = fill
        # exact budget ≥ 0, so clipping a float below 0 only moves it closer
        self.b[paying] = np.maximum(self.b[paying] - pif, 0.0)
        _mark_stale(self.rptr, self.ridx, live, self.fresh)
        self.status[j] = _SELECTED
        self.round_of[j] = t
        self.sel[t] = j
        self.sel_pi[t] = pif
        self.sel_rich[t] = payers
        self.pix.extend([None] * (t + 1 - len(self.pix)))
        self.pix[t] = pi
        self.state[1] = t + 1
        # each payer's error grows by fl(π)'s and the subtraction's roundings
        self.state[0] += _U * (payers * pif + float(self.b[paying].sum()))


def equal_shares(
    approvals: Any,
    costs: ArrayLike,
    budget: float,
    *,
    utility: Utility = "cost",
    tie_break: TieBreak = "error",
    projects: Sequence[str] | None = None,
) -> EqualSharesResult:
    """The Method of Equal Shares over approval ballots (no completion).

    Parameters
    ----------
    approvals : sparse matrix or array-like, shape (n voters, m projects)
        Nonzero: the voter approves the project.  Entries must be finite and ≥ 0.
    costs : array-like, shape (m,)
        Positive, finite costs (labour hours).
    budget : float
        B ≥ 0; each voter's share is B / n.
    utility : {"cost", "approval"}
        uᵢⱼ = cⱼ (the equalshares.net default for approvals) or 1 for an approved project.
    tie_break : "error", "lexicographic" or sequence of str
        How a tie on ρ is decided (see the module docstring); ``"error"`` raises
        :class:`~commonplan.errors.TieError` with the tied ids.
    projects : sequence of str, optional
        Project ids, used in messages, results and by the tie rules; default ``"0"``, ``"1"``, ….

    Returns
    -------
    EqualSharesResult

    Raises
    ------
    VotingError
        Invalid input, naming the project or voter at fault; nothing is computed.
    TieError
        A tie that the rule does not decide.

    Notes
    -----
    Each round funds  argmin_{j affordable} ρⱼ,  ρⱼ = min{ρ : Σ_{i∈Nⱼ} min(bᵢ, ρ uᵢⱼ) = cⱼ},
    and each supporter pays min(bᵢ, ρⱼ uᵢⱼ).  Equals pabutools'
    ``method_of_equal_shares(…, sat_class=Cost_Sat | Cardinality_Sat)`` with its exact
    fractions (and ``lexico_tie_breaking`` for ``"lexicographic"``).
    """
    if utility not in ("cost", "approval"):
        raise VotingError(f"unknown utility {utility!r}: use 'cost' or 'approval'")
    return _equal_shares(_election(approvals, costs, budget, projects, tie_break), utility)


def _equal_shares(
    e: _Election, utility: str, per_voter: Fraction | None = None
) -> EqualSharesResult:
    """Equal shares on a checked election; each voter starts with ``per_voter`` (exact; default
    B / n), and the result's ``budget`` is then n × ``per_voter``."""
    budget = e.budget if per_voter is None else float(per_voter * e.n)
    if e.n == 0:
        remaining = np.zeros(0)
        return EqualSharesResult(
            (), (), (), (), 0.0, budget, 0.0, remaining, utility, e.rule, e.priority, (), 0
        )
    run = _Run(e, utility, per_voter)
    run.run()
    t = run.rounds
    sel = tuple(int(j) for j in run.sel[:t])
    shares = tuple(float(x) for x in run.sel_pi[:t])
    rho = tuple(
        run.sel_rho.get(t, s / float(run.util[j]))
        for t, (s, j) in enumerate(zip(shares, sel, strict=True))
    )
    return EqualSharesResult(
        selected=sel,
        ids=tuple(e.ids[j] for j in sel),
        rho=rho,
        share=shares,
        total_cost=math.fsum(float(e.costs[j]) for j in sel),
        budget=budget,
        per_voter=run.bn,
        remaining=run.b,
        utility=utility,
        tie_break=e.rule,
        priority=e.priority,
        ties=tuple(run.ties),
        exact_rounds=run.exact_rounds,
    )


def equal_shares_completed(
    approvals: Any,
    costs: ArrayLike,
    budget: float,
    *,
    increment: float | None = 1.0,
    fill: bool = True,
    utility: Utility = "cost",
    tie_break: TieBreak = "error",
    projects: Sequence[str] | None = None,
    max_steps: int = 100_000,
) -> CompletedResult:
    """Equal shares as cities run it: the voters' budget raised until the outcome would no longer
    fit ("add one": Wieliczka, Świecie, Aarau), then what is left filled greedily by votes.

    Without completion, equal shares can fund very little: each project needs its supporters'
    shares to cover it, and on large ballots few do.  Here each voter's share starts at B / n and
    grows by ``increment`` (money per voter) while the outcome still fits the real budget B and is
    not exhaustive (some supported project not funded would still fit in what is left); the last
    outcome that fits is kept.  Then, with ``fill``, the projects not funded are taken by approval
    count, most first, each if it fits in what is left (:func:`greedy_by_votes`, same tie rule).

    Equals pabutools' ``method_of_equal_shares(…, voter_budget_increment=increment)`` followed by
    ``greedy_utilitarian_welfare`` from its outcome (``completion_by_rule_combination``), except
    that projects nobody approves are never funded (pabutools' greedy adds them last).
    ``increment=None`` runs equal shares at the real budget only.  ``max_steps`` bounds the steps
    (a :class:`VotingError` beyond: choose a larger increment).
    """
    if utility not in ("cost", "approval"):
        raise VotingError(f"unknown utility {utility!r}: use 'cost' or 'approval'")
    e = _election(approvals, costs, budget, projects, tie_break)
    if increment is not None and not (math.isfinite(increment) and increment > 0):
        raise VotingError(f"increment must be a finite amount > 0 per voter, got {increment!r}")
    B = Fraction(e.budget)
    cost = [Fraction(c) for c in e.costs.tolist()]
    supported = np.diff(e.cols.indptr) > 0

    def spent(r: EqualSharesResult) -> Fraction:
        return sum((cost[j] for j in r.selected), Fraction(0))

    def exhaustive(r: EqualSharesResult) -> bool:
        left, chosen = B - spent(r), set(r.selected)
        return all(cost[j] > left for j in np.flatnonzero(supported) if int(j) not in chosen)

    kept = _equal_shares(e, utility)
    steps = 0
    if increment is not None and e.n > 0:
        share = B / e.n  # exact, as pabutools raises it: B / n + k × increment
        while not exhaustive(kept):
            if steps >= max_steps:
                raise VotingError(
                    f"equal shares: still not exhaustive after {max_steps:,} raises of "
                    f"{increment:g} per voter; choose a larger increment"
                )
            share += Fraction(increment)
            raised = _equal_shares(e, utility, share)
            if spent(raised) > B:
                break
            kept, steps = raised, steps + 1
    filled: tuple[int, ...] = ()
    if fill:
        rest = [j for j in range(e.m) if j not in set(kept.selected)]
        left = B - spent(kept)
        if rest and left > 0:
            greedy = greedy_by_votes(
                e.cols[:, rest],
                e.costs[rest],
                float(left),
                tie_break=tie_break,
                projects=[e.ids[j] for j in rest],
            )
            filled = tuple(rest[q] for q in greedy.selected)
    selected = tuple(kept.selected) + filled
    return CompletedResult(
        selected=selected,
        ids=tuple(e.ids[j] for j in selected),
        mes=kept,
        steps=steps,
        increment=increment,
        filled=filled,
        total_cost=math.fsum(float(e.costs[j]) for j in selected),
        budget=e.budget,
    )


def greedy_by_votes(
    approvals: Any,
    costs: ArrayLike,
    budget: float,
    *,
    tie_break: TieBreak = "error",
    projects: Sequence[str] | None = None,
) -> GreedyResult:
    """Greedy by approval count: most approved first, skip what no longer fits.

    Projects are taken in order of votes vⱼ = |Nⱼ| (descending); j is funded iff
    cⱼ ≤ B − Σ (costs funded so far), compared exactly.  Projects nobody approves are never funded
    (pabutools' ``greedy_utilitarian_welfare`` with ``Cost_Sat`` adds them last, with what is
    left; otherwise the outcomes are equal).

    A tie (equal votes) is broken by ``tie_break`` only where it matters: when the tied projects
    that still fit do not all fit together.  Otherwise all of them are funded, in index order.

    Parameters and errors as in :func:`equal_shares`.
    """
    e = _election(approvals, costs, budget, projects, tie_break)
    votes = np.diff(e.cols.indptr).astype(np.int64)
    cost = [Fraction(x) for x in e.costs.tolist()]
    left = Fraction(e.budget)
    chosen: list[int] = []
    ties: list[RecordedTie] = []
    for v in sorted(set(votes[votes > 0].tolist()), reverse=True):
        pending = sorted(np.flatnonzero(votes == v).tolist(), key=lambda q: int(e.rank[q]))
        while True:
            fits = [q for q in pending if cost[q] <= left]
            if len(fits) <= 1 or sum(cost[q] for q in fits) <= left:
                for q in fits:  # all fit: the order changes nothing
                    chosen.append(q)
                    left -= cost[q]
                break
            q = fits[0]
            if not e.ranked[q]:
                names = ", ".join(repr(e.ids[r]) for r in sorted(fits))
                raise TieError(
                    f"greedy by votes: projects {names} have {v} votes each and do not all fit "
                    f"in the {float(left):g} left, so the order decides; choose a tie-break rule "
                    "('lexicographic' or a priority order of project ids)",
                    tied=tuple(e.ids[r] for r in sorted(fits)),
                )
            ties.append(
                RecordedTie(len(chosen), tuple(e.ids[r] for r in sorted(fits)), e.ids[q], e.rule)
            )
            chosen.append(q)
            left -= cost[q]
            pending.remove(q)
    return GreedyResult(
        selected=tuple(chosen),
        ids=tuple(e.ids[q] for q in chosen),
        votes=tuple(int(votes[q]) for q in chosen),
        total_cost=math.fsum(float(e.costs[q]) for q in chosen),
        budget=e.budget,
        tie_break=e.rule,
        priority=e.priority,
        ties=tuple(ties),
    )
