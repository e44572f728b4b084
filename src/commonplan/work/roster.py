"""Rosters: members assigned to shifts and roles, every shift covered, undesirable work shared.

    import commonplan.work as w
    roles = [w.Role("nurse", skills={"care"}), w.Role("dishes", unpleasant=True, mandatory=True)]
    shifts = [w.Shift("mon-night", 22, 30, {"nurse": 1}, kind="night", unpleasant=True), ...]
    members = [w.Member("ada", skills={"care"}, unavailable={"tue-night"}), ...]
    r = w.roster(shifts, members, roles=roles, rules=w.Rules(min_rest_hours=11))
    r.status, r.assignments, r.gini, r.gini_lower_bound, r.shortfalls, r.flags
    assert not w.check_roster(r, shifts, members, roles=roles, rules=rules)

What is hard and what is soft: coverage (exactly the people each shift's roles need, each with
the role's skills, none marked unavailable), one role per shift, no overlapping shifts, the rest
between shifts, forbidden sequences of shift kinds, hours per day, week and member, mandatory
roles k times a cycle and coordinating roles at most N cycles in a row are hard.  Among the
rosters that keep them, the solver (OR-Tools CP-SAT) first minimises the spread of undesirable
hours — the hours of shifts marked unpleasant (nights) and of roles the council marks unpleasant —
as the sum of absolute deviations from the workplace's mean, then grants as many requests
(weighted) as it can without giving up any equity.  The model and its bounds are derived in
:mod:`commonplan.work._roster_model`.

**Infeasible is a result, not an exception.**  When the rules cannot all hold, ``status`` is
``"infeasible"`` and ``shortfalls`` says what is missing: which shift and role, with which skills,
short of how many people, and why (too few members with the skills who are available; or limits
on hours, rest and sequences), or which member cannot take a mandatory role their k times.  The
shortfalls come from a relaxed model with a slack on every coverage and mandatory row that
minimises the total slack, so they are the fewest people that must be found; ``assignments`` then
holds that relaxed roster.  Bad *input* (an unknown member, role, shift or skill, a member or
shift listed twice, a shift that ends before it starts, negative hours, a member requesting two
overlapping shifts) raises :class:`~commonplan.errors.PlanInputError` or
:class:`~commonplan.errors.UnknownNameError` before anything is solved.

**Decomposition by workplace, exact.**  A member works only the shifts of their own workplace,
every rule is about one member or one shift, and equity is measured among the members of one
workplace (colleagues compare their nights with each other).  So no constraint or objective term
joins two workplaces, and solving each workplace on its own gives the same optimum as one model
of all of them, in a fraction of the time.  ``time_limit`` is per workplace.

**Gini.**  ``Roster.gini`` is the Gini coefficient of undesirable hours over all members;
``gini_lower_bound`` is what the solver's bound proves: no roster under these rules has a lower
Gini.  It is built from each workplace's objective bound D_w = Σ_m |n_w u_m − T_w| (the mean
absolute difference is at least the mean absolute deviation, within a workplace and across two);
see ``_gini_bound``.  Per workplace, ``Roster.workplaces`` gives the Gini and its bound.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

from commonplan.work._roster_check import gini, suspicious_availability
from commonplan.work._roster_input import prepare
from commonplan.work._roster_model import Solved, solve_workplace
from commonplan.work._roster_types import (
    Assignment,
    Member,
    MemberHours,
    Request,
    Role,
    Roster,
    RosterStatus,
    Rules,
    Shift,
    WorkplaceResult,
)

__all__ = ["roster"]


def roster(
    shifts: Sequence[Shift],
    members: Sequence[Member],
    *,
    roles: Sequence[Role],
    rules: Rules | None = None,
    requests: Sequence[Request] = (),
    history: Sequence[Roster | Iterable[Assignment]] | None = None,
    time_limit: float = 60.0,
    workers: int = 1,
    gap_limit: float = 0.0,
    seed: int = 0,
    alpha: float = 0.01,
) -> Roster:
    """Assign members to every shift's roles, undesirable hours shared as evenly as rules allow.

    ``history``: the previous cycles' rosters (or their assignments), oldest first, for the rule
    that a coordinating role is held at most ``rules.max_cycles_in_row`` cycles in a row (names
    that are no longer in the inputs are ignored).  ``time_limit``: seconds per workplace;
    ``workers``: CP-SAT threads; ``gap_limit``: stop once the equity objective is within this
    fraction of the solver's bound (0: prove optimality); ``seed``: CP-SAT's random seed (the same
    inputs and seed give the same roster with one worker); ``alpha``: significance level for
    flagging suspicious availability (see :func:`suspicious_availability`).
    """
    started = time.perf_counter()
    rules = rules or Rules()
    if time_limit <= 0 or workers < 1 or not 0 <= gap_limit < 1:
        raise _option_error(time_limit, workers, gap_limit)
    inst = prepare(shifts, members, roles, rules, requests, history)
    places = sorted({t.shift.workplace for t in inst.shifts} | {m.workplace for m in inst.members})
    parts: list[tuple[str, list[Member], Solved]] = []
    for place in places:
        here = [m for m in inst.members if m.workplace == place]
        work = [t for t in inst.shifts if t.shift.workplace == place]
        solved = solve_workplace(
            inst, work, here, time_limit=time_limit, workers=workers, gap_limit=gap_limit, seed=seed
        )
        parts.append((place, here, solved))
    assignments = tuple(a for _, _, s in parts for a in s.assignments)
    hours = _hours(inst.shifts, inst.members, inst.roles, assignments)
    bad = {h.member: h.undesirable_hours for h in hours}
    statuses = [s.status for _, _, s in parts]
    status: RosterStatus
    if "infeasible" in statuses:
        status = "infeasible"
    elif "unknown" in statuses:
        status = "unknown"
    elif all(s == "optimal" for s in statuses):
        status = "optimal"
    else:
        status = "feasible"
    solved_ok = status in ("optimal", "feasible")
    lb = _gini_bound([(len(here), s.total, s.d_bound) for _, here, s in parts])
    results = []
    for place, here, s in parts:
        n, t = len(here), s.total
        mine = [bad[m.name] for m in here]
        results.append(
            WorkplaceResult(
                place,
                s.status,
                n,
                gini(mine),
                s.d_bound / (2 * n * t) if n and t and s.status in ("optimal", "feasible") else 0.0,
                (max(mine) - min(mine)) if mine else 0.0,
                s.spread_bound / 60,
                _gap(s),
                s.seconds,
                s.message,
            )
        )
    values = list(bad.values())
    shortfalls = tuple(f for _, _, s in parts for f in s.shortfalls)
    gap = max((r.gap_percent for r in results), default=0.0)
    message = _message(status, parts, gap)
    return Roster(
        status=status,
        assignments=assignments,
        hours=hours,
        gini=gini(values),
        gini_lower_bound=lb if solved_ok else 0.0,
        spread=(max(values) - min(values)) if values else 0.0,
        spread_lower_bound=max((r.spread_lower_bound for r in results), default=0.0)
        if solved_ok
        else 0.0,
        gap_percent=gap if solved_ok else 0.0,
        wishes_met=sum(s.wishes_met for _, _, s in parts),
        wishes_total=sum(s.wishes_total for _, _, s in parts),
        shortfalls=shortfalls,
        flags=suspicious_availability(shifts, members, roles=roles, alpha=alpha),
        workplaces=tuple(results),
        seconds=time.perf_counter() - started,
        message=message,
        options={
            "time_limit": time_limit,
            "workers": workers,
            "gap_limit": gap_limit,
            "seed": seed,
            "alpha": alpha,
        },
    )


def _gini_bound(parts: list[tuple[int, int, int]]) -> float:
    """A lower bound on the Gini of all members from each workplace's (n_w, T_w, bound on D_w).

    G = S / (2 N T), S = Σ_i Σ_j |u_i − u_j| over all members.  Within a workplace S_w ≥ D_w
    (Jensen, see :mod:`._roster_model`).  Across two workplaces, with Δ_w = D_w / n_w the sum of
    absolute deviations and δ = |μ_w − μ_v| the gap of their means (fixed by coverage),
    Σ_{i∈w} Σ_{j∈v} |u_i − u_j| ≥ n_v Σ_{i∈w} |u_i − μ_v| ≥ n_v · max(Δ_w − n_w δ, n_w δ), and the
    same with w and v swapped; each cross pair counts twice in S.
    """
    parts = [p for p in parts if p[0] > 0]
    big_n = sum(n for n, _, _ in parts)
    big_t = sum(t for _, t, _ in parts)
    if not big_n or not big_t:
        return 0.0
    s = float(sum(d for _, _, d in parts))
    for a in range(len(parts)):
        n_w, t_w, d_w = parts[a]
        for b in range(a + 1, len(parts)):
            n_v, t_v, d_v = parts[b]
            delta = abs(t_w / n_w - t_v / n_v)
            cross = max(
                n_v * max(d_w / n_w - n_w * delta, n_w * delta),
                n_w * max(d_v / n_v - n_v * delta, n_v * delta),
            )
            s += 2 * cross
    return s / (2 * big_n * big_t)


def _option_error(time_limit: float, workers: int, gap_limit: float) -> Exception:
    from commonplan.errors import PlanInputError

    return PlanInputError(
        f"roster options: time_limit={time_limit!r} must be > 0, workers={workers!r} at least 1, "
        f"gap_limit={gap_limit!r} in [0, 1)"
    )


def _gap(s: Solved) -> float:
    if s.status not in ("optimal", "feasible") or s.d_value <= s.d_bound:
        return 0.0
    return 100.0 * (s.d_value - s.d_bound) / s.d_value


def _message(
    status: RosterStatus, parts: list[tuple[str, list[Member], Solved]], gap: float
) -> str:
    if status == "optimal":
        return f"optimal: every shift covered, equity proven best ({len(parts)} workplace(s))"
    if status == "feasible":
        return f"feasible: every shift covered, equity within {gap:.2f} % of the solver's bound"
    bad = [f"{p or 'default workplace'}: {s.message}" for p, _, s in parts if s.status == status]
    return "; ".join(bad)


def _hours(
    shifts: Sequence[object],
    members: Sequence[Member],
    roles: dict[str, Role],
    assignments: Sequence[Assignment],
) -> tuple[MemberHours, ...]:
    from commonplan.work._roster_input import TimedShift

    by_id = {t.shift.id: t for t in shifts if isinstance(t, TimedShift)}
    total: dict[str, float] = defaultdict(float)
    bad: dict[str, float] = defaultdict(float)
    for a in assignments:
        t = by_id[a.shift]
        h = (t.end - t.start) / 60
        total[a.member] += h
        if t.shift.unpleasant or roles[a.role].unpleasant:
            bad[a.member] += h
    return tuple(MemberHours(m.name, total[m.name], bad[m.name]) for m in members)
