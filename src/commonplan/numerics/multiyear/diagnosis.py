"""Why a T-period plan (:mod:`~commonplan.numerics.multiyear.problem`) is infeasible: the first
year that cannot hold, a conflicting set, and the smallest change of each limit that makes the
whole plan feasible — the same for year 1 as for any later year.

The year.  A constraint of year t involves only what is decided in years 1 … t (capacity from
earlier investment, the capital goods set aside in t), so the plan truncated to years 1 … t
(floors, caps and consumption minimums of those years, no end capacity) is a relaxation of the
plan, and a longer truncation is never easier.  The first year is the smallest t whose
truncation is infeasible; when every truncation holds, the end-of-plan capacity is what fails
(``year`` ``None``).

The conflicting set.  The members are the limits a planner sets: the floor of a product (its
rows in every year up to t), the cap on an input (every year up to t), the capacity of a
process (z_t ≤ K_t in every year), the consumption minimum, the end capacity and the strategy's
investment rule.  A deletion filter over the truncated plan — halves first, then one by one —
keeps only members that are needed: the set it returns is infeasible on its own, and dropping
any one member makes it feasible (each member was needed when it was tested, and dropping others
later only loosens the rest).

The ways out.  Each member of the set alone, and the floors or caps all together, changed by
the smallest factor (bisection on the whole plan, years 1 … T and the end capacity) that lets the
whole plan hold: a floor × θ, a cap × φ in every year, a process's year-1 capacity × φ.  A
limit that cannot make the plan feasible however far it moves is not listed.

Every test is one feasibility LP: the full form (:func:`~commonplan.numerics.multiyear.forms
.build_full`) with its rows scaled to a largest coefficient of 1, built once per horizon and
re-solved warm by HiGHS after its bounds change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.numerics import _highs
from commonplan.numerics.multiyear.forms import build_full
from commonplan.numerics.multiyear.problem import YearsProblem
from commonplan.numerics.types import Array

__all__ = ["MAX_COLUMNS", "Conflict", "Lever", "Member", "diagnose_years", "truncated"]

MAX_COLUMNS = 200_000
"""Years × processes above which the conflicting set is not computed (the full LP is too big)."""
_TOLERANCE = 1e-9
_RAISE_LIMIT = 2.0**30  # a cap or capacity raised more than this is no way out
_STEPS = 1e-7  # relative width at which a bisection stops
_MARGIN = 1e-6  # relaxations reported this much beyond the boundary the bisection found
_MAX_LEVERS = 5  # floors and capacities of the set each given their own relaxation


@dataclass(frozen=True)
class Member:
    """One limit a planner sets: ``kind`` ``"floor"`` (``index`` a product), ``"cap"`` (an
    input), ``"capacity"`` (a process), ``"consumption"``, ``"end"`` or ``"strategy"``
    (``index`` −1)."""

    kind: str
    index: int = -1


@dataclass(frozen=True)
class Lever:
    """A way out: ``member``'s limit (``"floors"`` / ``"caps"``: all of them) multiplied by
    ``factor`` in every year — below 1 for floors, the consumption minimum and the end capacity,
    above 1 for caps and capacities."""

    kind: str
    index: int
    factor: float


@dataclass(frozen=True)
class Conflict:
    """The diagnosis in indices.  ``year``: the first year (1 … T) that cannot hold, ``None`` for
    the end capacity; ``located``: False where the whole LP found the plan feasible after all
    (a tolerance) or was too big to search, and the set is then empty; ``reason`` says which."""

    year: int | None
    members: tuple[Member, ...]
    minimal: bool
    levers: tuple[Lever, ...]
    located: bool = True
    reason: str = ""


def truncated(P: YearsProblem, t: int) -> YearsProblem:
    """Years 1 … t of the plan, without the end capacity."""
    return P.with_(
        f=P.f[:t],
        Y=P.Y[:t],
        cap=P.cap[:t],
        gamma=P.gamma[:t],
        beta=P.beta[:t],
        c_lo=P.c_lo[:t],
        c_hi=P.c_hi[:t],
        K_end=np.zeros(P.m),
    )


class _Model:
    """The feasibility LP of a plan (the full form, objective zero), its rows scaled; bounds set
    per test in the original units."""

    def __init__(self, P: YearsProblem) -> None:
        built = build_full(P)
        lp = built.lp
        A = lp.matrix()
        _, lo, hi, rlo, rhi = lp.arrays()
        big = np.asarray(abs(A).max(axis=1).todense()).ravel()
        self.scale = np.where(big > 0, big, 1.0)
        A = sp.csc_array(sp.diags_array(1.0 / self.scale) @ A)
        self.P, self.A = P, A
        self.rlo, self.rhi, self.clo = rlo, rhi, lo
        self.rows: dict[str, Any] = built.rows
        self.cap_rows = built.cap_rows
        self.c = built.c
        self.h = _highs.quiet_highs(
            solver="simplex",
            primal_feasibility_tolerance=_TOLERANCE,
            dual_feasibility_tolerance=_TOLERANCE,
        )
        self.h.passModel(
            _highs.lp_model(np.zeros(lp.ncol), lo, hi, A, rlo / self.scale, rhi / self.scale)
        )
        self.coef_changed: list[tuple[int, int, float]] = []
        self.undecided = 0

    def feasible(self, rlo: Array, rhi: Array, clo: Array, undecided: bool = True) -> bool:
        """Is the plan feasible with these bounds?  Warm from the last test; where HiGHS cannot
        tell (numerical trouble near a boundary) it tries again from scratch without presolve,
        then with its interior point, and else answers ``undecided`` (counted in
        :attr:`undecided`): True keeps a member in the conflicting set, False keeps a bisection
        on the side it has proved."""
        h, inf = self.h, np.inf
        rows = np.arange(len(rlo), dtype=np.int32)

        def bound(v: Array) -> Array:
            return np.where(np.isfinite(v), v, np.where(v > 0, inf, -inf))

        h.changeRowsBounds(len(rows), rows, bound(rlo / self.scale), bound(rhi / self.scale))
        cols = self.c.astype(np.int32)
        h.changeColsBounds(len(cols), cols, bound(clo[self.c]), bound(self.chi_c))
        h.run()
        status = _highs.outcome(h)
        for option, value in (("presolve", "off"), ("solver", "ipm")):
            if status is not None:
                break
            h.setOptionValue(option, value)
            h.clearSolver()
            h.run()
            status = _highs.outcome(h)
        h.setOptionValue("presolve", "choose")
        h.setOptionValue("solver", "simplex")
        if status in (_highs.OPTIMAL, _highs.UNBOUNDED):
            return True
        if status == _highs.INFEASIBLE:
            return False
        self.undecided += 1
        return undecided

    @property
    def chi_c(self) -> Array:
        return np.asarray(self.P.c_hi, dtype=np.float64)

    # ------------------------------------------------------------------ members

    def members(self) -> list[Member]:
        """Every limit of the plan, in the order the deletion filter tries to drop them: it
        drops from the front first, so what a reader expects in a conflict comes last — the
        capacities that hold the most first, those of floored products after them, then the
        caps, the consumption minimum, end capacity and strategy, and the floors."""
        P, T = self.P, self.P.T
        floored: NDArray[np.bool_] = np.asarray((P.f[:T] > 0).any(axis=0))
        order = np.lexsort((-P.K0, floored[P.makes]))
        out = [Member("capacity", int(k)) for k in order]
        out += [Member("cap", q) for q in range(P.k) if np.isfinite(P.cap[:T, q]).any()]
        if (P.c_lo[:T] > 0).any():
            out.append(Member("consumption"))
        if len(self.rows["end"][0]):
            out.append(Member("end"))
        if self.rows["rows"].size:
            out.append(Member("strategy"))
        out += [Member("floor", int(i)) for i in np.flatnonzero(floored)]
        return out

    def without(self, dropped: Iterable[Member]) -> tuple[Array, Array, Array]:
        """Row and column bounds with the ``dropped`` limits lifted."""
        rlo, rhi, clo = self.rlo.copy(), self.rhi.copy(), self.clo.copy()
        for d in dropped:
            if d.kind == "floor":
                rlo[self.rows["balance"][:, d.index]] = 0.0
            elif d.kind == "cap":
                rhi[self._cap_rows(d.index)] = np.inf
            elif d.kind == "capacity":
                rhi[self.rows["capacity"][:, d.index]] = np.inf
            elif d.kind == "consumption":
                clo[self.c] = 0.0
            elif d.kind == "end":
                rlo[self.rows["end"][0]] = -np.inf
            else:  # strategy
                rlo[self.rows["rows"].ravel()] = -np.inf
                rhi[self.rows["rows"].ravel()] = np.inf
        return rlo, rhi, clo

    def holds_with(self, kept: Sequence[Member], every: Sequence[Member]) -> bool:
        keep = set(kept)
        return self.feasible(*self.without(m for m in every if m not in keep))

    def _cap_rows(self, q: int) -> list[int]:
        return [row for (t, r), row in self.cap_rows.items() if r == q]

    # ------------------------------------------------------------------ levers

    def scaled(self, kind: str, index: int, factor: float) -> bool:
        """Is the whole plan feasible with one limit (or all floors / caps) × ``factor``?"""
        rlo, rhi, clo = self.rlo.copy(), self.rhi.copy(), self.clo.copy()
        P, rows = self.P, self.rows
        balance = rows["balance"]
        if kind == "floor":
            rlo[balance[:, index]] *= factor
        elif kind == "floors":
            rlo[balance.ravel()] *= factor
        elif kind == "cap":
            rhi[self._cap_rows(index)] *= factor
        elif kind == "caps":
            rhi[list(self.cap_rows.values())] *= factor
        elif kind == "consumption":
            clo[self.c] *= factor
        elif kind == "end":
            end, procs = rows["end"]
            rlo[end] -= (1.0 - factor) * P.K_end[procs]
        else:  # capacity of process ``index``: K_0 (and what is under way) × factor
            rhi[rows["capacity"][:, index]] *= factor
            end, procs = rows["end"]
            rlo[end[procs == index]] *= factor
            self._scale_rule(index, factor, rlo, rhi)
        return self.feasible(rlo, rhi, clo, undecided=False)

    def _scale_rule(self, k: int, factor: float, rlo: Array, rhi: Array) -> None:
        """The balanced and replacement rules' rows of process k, for K_0,k × ``factor``:
        right-hand side δ K⁰_t and the coefficient −K_0 of α_t."""
        rule, alpha = self.rows["rows"], self.rows["alpha"]
        if not len(alpha):
            return
        for t, row in enumerate(rule[:, k]):
            rlo[row] *= factor
            rhi[row] *= factor
            base = -self.P.K0[k] / self.scale[row]
            self.h.changeCoeff(int(row), int(alpha[t]), base * factor)
            self.coef_changed.append((int(row), int(alpha[t]), base))

    def restore(self) -> None:
        """Undo :meth:`_scale_rule`'s coefficient changes."""
        for row, col, base in self.coef_changed:
            self.h.changeCoeff(row, col, base)
        self.coef_changed.clear()


def _least_raise(test: Callable[[float], bool]) -> float | None:
    """The smallest factor ≥ 1 that passes ``test`` (monotone), or None if none up to
    :data:`_RAISE_LIMIT` does."""
    if not test(_RAISE_LIMIT):
        return None
    lo, hi = 1.0, 2.0
    while not test(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > _STEPS * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if test(mid) else (mid, hi)
    return hi * (1 + _MARGIN)


def _most_kept(test: Callable[[float], bool]) -> float | None:
    """The largest factor in [0, 1] that passes ``test`` (monotone), or None if 0 does not."""
    if not test(0.0):
        return None
    lo, hi = 0.0, 1.0
    while hi - lo > _STEPS:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if test(mid) else (lo, mid)
    return max(lo * (1 - _MARGIN), 0.0)


def _deletion_filter(
    members: list[Member], infeasible: Callable[[list[Member]], bool]
) -> list[Member]:
    """An irreducible infeasible subset of ``members`` (all of them infeasible together):
    drop chunks while the rest stays infeasible, halving the chunk down to single members."""
    keep = list(members)
    chunk = max(len(keep) // 2, 1)
    while True:
        i = 0
        while i < len(keep):
            trial = keep[:i] + keep[i + chunk :]
            if infeasible(trial):
                keep = trial
            else:
                i += chunk
        if chunk == 1:
            return keep
        chunk = max(chunk // 2, 1)


def diagnose_years(P: YearsProblem) -> Conflict:
    """The first year that cannot hold, a minimal conflicting set and the ways out (module
    docstring).  ``minimal`` is False where HiGHS could not decide a test of the deletion
    filter (the member was kept)."""
    if P.T * P.m > MAX_COLUMNS:
        why = f"{P.T} years × {P.m} processes is too large to search for the conflicting set"
        return Conflict(None, (), False, (), located=False, reason=why)
    year: int | None = None
    model: _Model | None = None
    for t in range(1, P.T + 1):
        trial = _Model(truncated(P, t))
        if not trial.feasible(trial.rlo, trial.rhi, trial.clo):
            year, model = t, trial
            break
    whole = _Model(P)
    if model is None:
        if whole.feasible(whole.rlo, whole.rhi, whole.clo):
            why = "the whole LP finds a plan within tolerance: it is at the edge of feasibility"
            return Conflict(None, (), False, (), located=False, reason=why)
        model = whole
    every = model.members()
    conflict = _deletion_filter(every, lambda kept: not model.holds_with(kept, every))
    minimal = model.undecided == 0
    return Conflict(year, tuple(conflict), minimal, tuple(_levers(whole, conflict)))


def _levers(whole: _Model, conflict: Sequence[Member]) -> list[Lever]:
    """Each member's smallest change alone, and all floors / all caps together."""
    P = whole.P
    tries: list[tuple[str, int, bool]] = []  # kind, index, lowered (else raised)
    floors = sorted(
        (m.index for m in conflict if m.kind == "floor"), key=lambda i: -float(P.f[:, i].max())
    )
    tries += [("floor", i, True) for i in floors[:_MAX_LEVERS]]
    if P.f.any():
        tries.append(("floors", -1, True))
    tries += [("cap", m.index, False) for m in conflict if m.kind == "cap"]
    if np.isfinite(P.cap).any():
        tries.append(("caps", -1, False))
    capacities = [m.index for m in conflict if m.kind == "capacity"]
    tries += [("capacity", k, False) for k in capacities[:_MAX_LEVERS]]
    tries += [(m.kind, -1, True) for m in conflict if m.kind in ("consumption", "end")]
    out = []
    for kind, index, lowered in tries:

        def test(factor: float, kind: str = kind, index: int = index) -> bool:
            try:
                return whole.scaled(kind, index, factor)
            finally:
                whole.restore()

        factor = _most_kept(test) if lowered else _least_raise(test)
        if factor is not None:
            out.append(Lever(kind, index, factor))
    return out
