"""One workplace's roster as a CP-SAT model (OR-Tools), solved in up to two phases.

Variables: x[s, r, m] ∈ {0, 1} — member m works shift s in role r — only where m has r's skills,
is not marked unavailable for s, and is not barred from a coordinating r by its streak.

Hard rules::

    Σ_m x[s,r,m] = need[s,r]                    every shift covered (+ slack when relaxed)
    Σ_r x[s,r,m] ≤ 1                            one role per shift
    y[a,m] + y[b,m] ≤ 1                         for a, b that overlap, leave less than the rest,
                                                or form a forbidden sequence; y[s,m] = Σ_r x[s,r,m]
    Σ_{s in day d} len(s) y[s,m] ≤ max/day      and the same per week and per period (member's max)
    Σ_s x[s,r,m] ≥ k                            mandatory r, every member with its skills

Equity (phase 1), with u_m = Σ len(s) x[s,r,m] over undesirable (s, r) — a night shift, or a role
marked unpleasant — n members and T = Σ_m u_m (fixed by coverage), all in minutes::

    minimise D = Σ_m |n u_m − T|                 (n times the sum of absolute deviations)

The Gini coefficient G = Σ_i Σ_j |u_i − u_j| / (2 n T) is at least D / (2 n T), because
|u_i − ū| ≤ (1/n) Σ_j |u_i − u_j| (Jensen).  So the solver's bound on D is a bound on G.  A cut
D ≥ D_min helps it prove optimality: the u_m are multiples of g, the gcd of undesirable lengths,
so at best r members carry (q+1)g and n − r carry qg, with K = T/g = q n + r.

Wishes (phase 2, only with requests): D ≤ the best D of phase 1, minimise the weight of unmet
requests, starting from phase 1's roster.

Relaxed model (only when the exact one is infeasible): a slack on every coverage and mandatory
row, minimising their sum; the slack is what is missing.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from commonplan.work._roster_input import Instance, TimedShift
from commonplan.work._roster_types import Assignment, Member, RosterStatus, Shortfall

__all__ = ["Solved", "solve_workplace"]


@dataclass(frozen=True)
class Solved:
    status: RosterStatus
    assignments: tuple[Assignment, ...]
    shortfalls: tuple[Shortfall, ...]
    d_value: int  # D of the roster found (minutes × members)
    d_bound: int  # the solver's lower bound on D
    total: int  # T: undesirable minutes to share
    wishes_met: int
    wishes_total: int
    seconds: float
    message: str
    spread_bound: float = 0.0  # minutes: no roster has a smaller max − min of undesirable time

    @classmethod
    def unsolved(
        cls,
        status: RosterStatus,
        message: str,
        total: int = 0,
        assignments: tuple[Assignment, ...] = (),
        shortfalls: tuple[Shortfall, ...] = (),
    ) -> Solved:
        """No roster that keeps every rule (``infeasible``, ``unknown``): no D, bound or wishes."""
        return cls(status, assignments, shortfalls, 0, 0, total, 0, 0, 0.0, message)


def _conflicts(inst: Instance, shifts: list[TimedShift]) -> list[tuple[int, int]]:
    """Pairs (i, j) of shifts (indices, sorted by start) that nobody may work both."""
    rules = inst.rules
    rest = round(rules.min_rest_hours * 60)
    window = round(rules.sequence_window_hours * 60)
    forbidden = set(rules.forbidden_sequences)
    horizon = max(rest, window if forbidden else 0)
    out = []
    for i, a in enumerate(shifts):
        for j in range(i + 1, len(shifts)):
            b = shifts[j]
            if b.start >= a.end + horizon:
                break
            if conflict(a, b, rest, window, forbidden):
                out.append((i, j))
    return out


def conflict(
    a: TimedShift, b: TimedShift, rest: int, window: int, forbidden: set[tuple[str, str]]
) -> str:
    """Why one member cannot work both ``a`` and ``b`` (``a`` starting no later): '' if they can."""
    if a.start < b.end and b.start < a.end:
        return "overlap"
    first, second = (a, b) if a.start <= b.start else (b, a)
    gap = second.start - first.end
    if gap < rest:
        return "rest"
    if (first.shift.kind, second.shift.kind) in forbidden and gap < window:
        return "sequence"
    return ""


def _precheck(
    inst: Instance,
    shifts: list[TimedShift],
    elig: dict[tuple[int, str], list[int]],
    members: list[Member],
) -> dict[tuple[str, str], tuple[int, str]]:
    """Shortfalls visible without solving: (shift, role) -> (short by, reason)."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for i, ts in enumerate(shifts):
        for role, count in ts.shift.needs.items():
            have = len(elig.get((i, role), []))
            if have < count:
                skills = inst.roles[role].skills
                what = f"skills {', '.join(sorted(skills))}" if skills else "no special skills"
                able = sum(1 for m in members if inst.able(m, role))
                out[(ts.shift.id, role)] = (
                    count - have,
                    f"shift {ts.shift.id!r} needs {count} in role {role!r} ({what}); "
                    f"{able} member(s) have the skills and {have} of them can work it "
                    "(the others are marked unavailable or have held the role too many cycles)",
                )
    return out


def solve_workplace(
    inst: Instance,
    shifts: list[TimedShift],
    members: list[Member],
    *,
    time_limit: float,
    workers: int,
    gap_limit: float,
    seed: int,
) -> Solved:
    """Solve one workplace's roster: exact model, or relaxed one when it cannot be covered."""
    started = time.perf_counter()
    shifts = sorted(shifts, key=lambda t: (t.start, t.shift.id))
    elig: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, ts in enumerate(shifts):
        for role, count in ts.shift.needs.items():
            if count == 0:
                continue
            for k, m in enumerate(members):
                if (
                    inst.able(m, role)
                    and ts.shift.id not in m.unavailable
                    and not inst.banned(m.name, role)
                ):
                    elig[(i, role)].append(k)
    pre = _precheck(inst, shifts, elig, members)
    problem = _Problem(inst, shifts, members, elig, _conflicts(inst, shifts))

    def solve(relaxed: bool, limit: float, gap: float) -> Solved:
        return _solve(
            problem,
            relaxed=relaxed,
            time_limit=limit,
            workers=workers,
            gap_limit=gap,
            seed=seed,
            pre=pre,
        )

    if not pre:
        out = solve(False, time_limit, gap_limit)
        if out.status != "infeasible":
            return _timed(out, started)
        left = max(time_limit - (time.perf_counter() - started), 1.0)
    else:
        left = time_limit
    return _timed(solve(True, left, 0.0), started)


def _timed(s: Solved, started: float) -> Solved:
    return replace(s, seconds=time.perf_counter() - started)


def _d_min(total: int, n: int, g: int) -> int:
    if total == 0 or n == 0 or g == 0:
        return 0
    q, r = divmod(total // g, n)
    return r * abs(n * g * (q + 1) - total) + (n - r) * abs(n * g * q - total)


class _Problem(NamedTuple):
    """What one workplace's roster is solved from: the shifts in time order, the members, who may
    take each place (``elig``: (shift, role) → members) and the pairs of shifts that overlap."""

    inst: Instance
    shifts: list[TimedShift]
    members: list[Member]
    elig: dict[tuple[int, str], list[int]]
    conflicts: list[tuple[int, int]]


def _solve(
    problem: _Problem,
    *,
    relaxed: bool,
    time_limit: float,
    workers: int,
    gap_limit: float,
    seed: int,
    pre: dict[tuple[str, str], tuple[int, str]],
) -> Solved:
    from ortools.sat.python import cp_model  # type: ignore[import-untyped]

    inst, shifts, members, elig, conflicts = problem
    rules = inst.rules
    model = cp_model.CpModel()
    n = len(members)
    x: dict[tuple[int, str, int], Any] = {}
    by_member_shift: dict[tuple[int, int], list[Any]] = defaultdict(list)
    minutes_of: dict[int, list[tuple[int, Any, TimedShift]]] = defaultdict(list)
    undesirable: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    by_member_role: dict[tuple[int, str], list[Any]] = defaultdict(list)
    total = 0
    g = 0
    cover_slack: list[tuple[int, str, Any]] = []
    for i, ts in enumerate(shifts):
        for role, count in ts.shift.needs.items():
            if count == 0:
                continue
            bad = inst.undesirable(ts, role)
            if bad:
                total += ts.minutes * count
                g = math.gcd(g, ts.minutes)
            row = []
            for k in elig.get((i, role), []):
                v = model.new_bool_var(f"x{i}_{role}_{k}")
                x[(i, role, k)] = v
                row.append(v)
                by_member_shift[(k, i)].append(v)
                minutes_of[k].append((ts.minutes, v, ts))
                by_member_role[(k, role)].append(v)
                if bad:
                    undesirable[k].append((ts.minutes, v))
            if relaxed:
                s = model.new_int_var(0, count, f"short{i}_{role}")
                cover_slack.append((i, role, s))
                model.add(sum(row) + s == count)
            else:
                model.add(sum(row) == count)
    y: dict[tuple[int, int], Any] = {}
    for (k, i), vs in by_member_shift.items():
        model.add_at_most_one(vs)
        y[(k, i)] = sum(vs)
    shifts_of: dict[int, list[int]] = defaultdict(list)
    for k, i in y:
        shifts_of[k].append(i)
    for i, j in conflicts:
        for k in range(n):
            if (k, i) in y and (k, j) in y:
                model.add(y[(k, i)] + y[(k, j)] <= 1)
    for k, m in enumerate(members):
        items = minutes_of.get(k, [])
        limits: list[tuple[float | None, Callable[[TimedShift], int]]] = [
            (rules.max_hours_per_day, lambda t: t.day),
            (rules.max_hours_per_week, lambda t: t.week),
            (m.max_hours, lambda t: 0),
        ]
        for limit, key in limits:
            if limit is None:
                continue
            cap = round(limit * 60)
            groups: dict[int, list[tuple[int, Any]]] = defaultdict(list)
            for mins, v, ts in items:
                groups[key(ts)].append((mins, v))
            for grp in groups.values():
                if sum(mins for mins, _ in grp) > cap:
                    model.add(sum(mins * v for mins, v in grp) <= cap)
    mand_slack: list[tuple[int, str, Any]] = []
    needed_roles = {r for ts in shifts for r, c in ts.shift.needs.items() if c > 0}
    k_times = rules.mandatory_times
    for role in sorted(needed_roles):
        if not inst.roles[role].mandatory or k_times == 0:
            continue
        for k, m in enumerate(members):
            if not inst.able(m, role) or inst.banned(m.name, role):
                continue
            row = by_member_role.get((k, role), [])
            if relaxed:
                s = model.new_int_var(0, k_times, f"mand{k}_{role}")
                mand_slack.append((k, role, s))
                model.add(sum(row) + s >= k_times)
            else:
                if len(row) < k_times:
                    return _precheck_mandatory_fail(m, role, len(row), k_times)
                model.add(sum(row) >= k_times)
    u = [sum(mins * v for mins, v in undesirable.get(k, [])) for k in range(n)]
    hint = _greedy(problem)
    for cell, var in x.items():
        model.add_hint(var, cell in hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    if relaxed:
        short = sum(s for _, _, s in cover_slack) + sum(s for _, _, s in mand_slack)
        model.minimize(short)
        solver.parameters.max_time_in_seconds = max(time_limit, 0.1)
        code = solver.solve(model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Solved.unsolved(
                "unknown", "no relaxed roster found within the time limit", total
            )
        found: list[Shortfall] = []
        for i, role, s in cover_slack:
            lack = solver.value(s)
            if lack:
                sid = shifts[i].shift.id
                skills = inst.roles[role].skills
                what = f"skills {', '.join(sorted(skills))}" if skills else "no special skills"
                able = sum(1 for m in members if inst.able(m, role))
                have = len(elig.get((i, role), []))
                reason = pre.get((sid, role), (0, ""))[1] or (
                    f"shift {sid!r} is short of {lack} in role {role!r} ({what}): {able} "
                    f"member(s) have the skills, {have} can work it, and the limits on hours per "
                    "day or week, rest between shifts, forbidden sequences or their other shifts "
                    "hold them off"
                )
                found.append(
                    Shortfall(role, lack, reason, shift=sid, skills=inst.roles[role].skills)
                )
        for k, role, s in mand_slack:
            lack = solver.value(s)
            if lack:
                name = members[k].name
                found.append(
                    Shortfall(
                        role,
                        lack,
                        f"member {name!r} can take mandatory role {role!r} only "
                        f"{k_times - lack} of {k_times} times: marked unavailable, or held off "
                        "by the limits on hours, rest or sequences",
                        member=name,
                        skills=inst.roles[role].skills,
                    )
                )
        chosen = _read(solver, x, shifts, members)
        return Solved.unsolved("infeasible", _shortfall_message(found), total, chosen, tuple(found))
    dev = []
    for k in range(n):
        d = model.new_int_var(0, max(n * total, 0), f"dev{k}")
        model.add(d >= n * u[k] - total)
        model.add(d >= total - n * u[k])
        dev.append(d)
        u_hint = sum(
            shifts[i].minutes
            for i, role, kk in hint
            if kk == k and inst.undesirable(shifts[i], role)
        )
        model.add_hint(d, abs(n * u_hint - total))
    d_obj = sum(dev)
    d_min = _d_min(total, n, g)
    model.add(d_obj >= d_min)
    model.minimize(d_obj)
    wishes = [q for q in inst.requests if any(m.name == q.member for m in members)]
    index = {m.name: k for k, m in enumerate(members)}
    shift_index = {ts.shift.id: i for i, ts in enumerate(shifts)}
    phase1 = time_limit * (0.7 if wishes else 1.0)
    solver.parameters.max_time_in_seconds = max(phase1, 0.1)
    solver.parameters.relative_gap_limit = gap_limit
    t0 = time.perf_counter()
    code = solver.solve(model)
    if code == cp_model.INFEASIBLE:
        return Solved.unsolved("infeasible", "infeasible", total)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solved.unsolved(
            "unknown", f"no roster found within {phase1:g} s; give it more time", total
        )
    best = round(solver.objective_value)
    bound = max(math.ceil(solver.best_objective_bound - 1e-6), d_min)
    optimal = code == cp_model.OPTIMAL
    chosen = _read(solver, x, shifts, members)
    met = total_w = 0
    if wishes:
        terms = []
        for q in wishes:
            yv = y.get((index[q.member], shift_index[q.shift]), 0)
            terms.append(q.weight * (1 - yv) if q.wants else q.weight * yv)
            total_w += q.weight
        model.clear_hints()  # type: ignore[no-untyped-call]
        for v in x.values():
            model.add_hint(v, solver.value(v))
        for d in dev:
            model.add_hint(d, solver.value(d))
        model.add(d_obj <= best)
        model.minimize(sum(terms))
        solver.parameters.max_time_in_seconds = max(time_limit - (time.perf_counter() - t0), 0.5)
        solver.parameters.relative_gap_limit = 0.0
        code2 = solver.solve(model)
        if code2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = _read(solver, x, shifts, members)
            optimal = optimal and code2 == cp_model.OPTIMAL
    if wishes:
        on = {(a.member, a.shift) for a in chosen}
        met = sum(q.weight for q in wishes if ((q.member, q.shift) in on) == q.wants)
    gap = 0.0 if best <= bound else 100.0 * (best - bound) / best
    status: RosterStatus = "optimal" if optimal or gap == 0.0 else "feasible"
    msg = "optimal" if status == "optimal" else f"feasible, equity within {gap:.2f} % of the bound"
    # the range is at least twice the mean absolute deviation (D/n² in minutes), and when not all
    # are equal at least one step g, since every u_m is a multiple of g
    spread = max(2 * bound / n**2, float(g)) if bound > 0 and n else 0.0
    return Solved(status, chosen, (), best, bound, total, met, total_w, 0.0, msg, spread)


def _greedy(problem: _Problem) -> set[tuple[int, str, int]]:
    """A quick roster to start the solver from (a hint; it may leave places empty).

    Shifts in time order; each place goes to the member who may take it and, for an undesirable
    place, has the fewest undesirable minutes so far (else the fewest minutes); a member who still
    owes a mandatory role goes first for it.
    """
    inst, shifts, members, elig, conflicts = problem
    rules = inst.rules
    partners: dict[int, set[int]] = defaultdict(set)
    for i, j in conflicts:
        partners[i].add(j)
        partners[j].add(i)
    taken: dict[int, set[int]] = defaultdict(set)
    per_day: dict[tuple[int, int], int] = defaultdict(int)
    per_week: dict[tuple[int, int], int] = defaultdict(int)
    total = [0] * len(members)
    bad = [0] * len(members)
    turns: dict[tuple[int, str], int] = defaultdict(int)
    day_cap = None if rules.max_hours_per_day is None else round(rules.max_hours_per_day * 60)
    week_cap = None if rules.max_hours_per_week is None else round(rules.max_hours_per_week * 60)
    caps = [None if m.max_hours is None else round(m.max_hours * 60) for m in members]
    chosen: set[tuple[int, str, int]] = set()
    for i, ts in enumerate(shifts):
        mins = ts.minutes
        roles = sorted(
            (r for r, c in ts.shift.needs.items() if c > 0), key=lambda r: len(elig.get((i, r), []))
        )
        for role in roles:
            undesirable = inst.undesirable(ts, role)
            owed = rules.mandatory_times if inst.roles[role].mandatory else 0
            for _ in range(ts.shift.needs[role]):
                best: tuple[int, int, int, int] | None = None
                for k in elig.get((i, role), []):
                    if i in taken[k] or partners[i] & taken[k]:
                        continue
                    if day_cap is not None and per_day[(k, ts.day)] + mins > day_cap:
                        continue
                    if week_cap is not None and per_week[(k, ts.week)] + mins > week_cap:
                        continue
                    cap = caps[k]
                    if cap is not None and total[k] + mins > cap:
                        continue
                    key = (
                        0 if turns[(k, role)] < owed else 1,
                        bad[k] if undesirable else 0,
                        total[k],
                        k,
                    )
                    if best is None or key < best:
                        best = key
                if best is None:
                    continue
                k = best[3]
                chosen.add((i, role, k))
                taken[k].add(i)
                per_day[(k, ts.day)] += mins
                per_week[(k, ts.week)] += mins
                total[k] += mins
                bad[k] += mins if undesirable else 0
                turns[(k, role)] += 1
    return chosen


def _precheck_mandatory_fail(m: Member, role: str, have: int, k: int) -> Solved:
    # the exact model would be infeasible; the relaxed one says so with the rest of what is missing
    return Solved.unsolved(
        "infeasible",
        f"member {m.name!r} can take mandatory role {role!r} at most {have} of {k} times",
    )


def _shortfall_message(found: list[Shortfall]) -> str:
    people = sum(s.short_by for s in found if s.member is None)
    rows = sum(1 for s in found if s.member is None)
    times = sum(s.short_by for s in found if s.member is not None)
    parts = []
    if people:
        parts.append(f"short of {people} people on {rows} shift role(s)")
    if times:
        parts.append(f"{times} mandatory turn(s) that members cannot take")
    return "infeasible: " + ("; ".join(parts) or "no roster keeps every rule")


def _read(
    solver: Any,
    x: dict[tuple[int, str, int], Any],
    shifts: list[TimedShift],
    members: list[Member],
) -> tuple[Assignment, ...]:
    return tuple(
        Assignment(shifts[i].shift.id, role, members[k].name)
        for (i, role, k), v in x.items()
        if solver.boolean_value(v)
    )
