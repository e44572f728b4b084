"""Checks that do not trust the solver: rules recomputed from a roster, Gini, availability marks."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from commonplan.work._roster_input import Instance, TimedShift, prepare
from commonplan.work._roster_types import (
    Assignment,
    AvailabilityFlag,
    Member,
    Role,
    Roster,
    Rules,
    Shift,
    Violation,
)

__all__ = ["check_roster", "gini", "suspicious_availability"]


def gini(values: Sequence[float]) -> float:
    """Gini coefficient G = Σ_i Σ_j |v_i − v_j| / (2 n² v̄): 0 when all are equal, → 1 when one
    carries everything.  0 for an empty list or an all-zero one."""
    n = len(values)
    total = float(sum(values))
    if n == 0 or total <= 0:
        return 0.0
    v = sorted(values)
    # Σ_i Σ_j |v_i − v_j| = 2 Σ_i (2i − n + 1) v_(i), with v sorted ascending, i from 0
    s = sum((2 * i - n + 1) * x for i, x in enumerate(v))
    return max(0.0, 2 * s / (2 * n * total))


def check_roster(
    assignments: Roster | Iterable[Assignment],
    shifts: Sequence[Shift],
    members: Sequence[Member],
    *,
    roles: Sequence[Role],
    rules: Rules | None = None,
    history: Sequence[Roster | Iterable[Assignment]] | None = None,
) -> tuple[Violation, ...]:
    """Every rule a roster breaks, recomputed from its assignments alone (not from the solver).

    Kinds: ``unknown`` (a name not in the inputs), ``role`` (a role the shift does not need),
    ``coverage``, ``skills``, ``availability``, ``workplace``, ``double`` (two roles in one shift),
    ``overlap``, ``rest``, ``sequence``, ``hours_day``, ``hours_week``, ``hours_max``,
    ``mandatory`` (fewer than k turns), ``rotation`` (a coordinating role held too many cycles in
    a row).  An empty tuple: the roster keeps every rule.
    """
    rules = rules or Rules()
    inst = prepare(shifts, members, roles, rules, (), history)
    rows = list(assignments.assignments if isinstance(assignments, Roster) else assignments)
    out: list[Violation] = []
    by_id = {t.shift.id: t for t in inst.shifts}
    by_name = {m.name: m for m in inst.members}
    count: Counter[tuple[str, str]] = Counter()
    worked: dict[str, list[TimedShift]] = defaultdict(list)
    per_shift: Counter[tuple[str, str]] = Counter()
    turns: Counter[tuple[str, str]] = Counter()
    for a in rows:
        if a.shift not in by_id or a.member not in by_name or a.role not in inst.roles:
            out.append(
                Violation(
                    "unknown",
                    f"assignment {a} names a shift, member or role that is not in the inputs",
                    a.shift,
                    a.member,
                    a.role,
                )
            )
            continue
        ts, m, role = by_id[a.shift], by_name[a.member], inst.roles[a.role]
        if a.role not in ts.shift.needs:
            out.append(
                Violation(
                    "role",
                    f"{a.member} works {a.shift} as {a.role}, a role the shift does not need",
                    a.shift,
                    a.member,
                    a.role,
                )
            )
        count[(a.shift, a.role)] += 1
        turns[(a.member, a.role)] += 1
        per_shift[(a.member, a.shift)] += 1
        if per_shift[(a.member, a.shift)] == 1:
            worked[a.member].append(ts)
        missing = role.skills - m.skills
        if missing:
            out.append(
                Violation(
                    "skills",
                    f"{a.member} works {a.shift} as {a.role} without "
                    f"skill(s) {', '.join(sorted(missing))}",
                    a.shift,
                    a.member,
                    a.role,
                )
            )
        if a.shift in m.unavailable:
            out.append(
                Violation(
                    "availability",
                    f"{a.member} is marked unavailable for {a.shift} but works it",
                    a.shift,
                    a.member,
                    a.role,
                )
            )
        if ts.shift.workplace != m.workplace:
            out.append(
                Violation(
                    "workplace",
                    f"{a.member} ({m.workplace!r}) works {a.shift} of "
                    f"workplace {ts.shift.workplace!r}",
                    a.shift,
                    a.member,
                    a.role,
                )
            )
        if (
            rules.max_cycles_in_row is not None
            and role.coordinating
            and inst.streak.get((a.member, a.role), 0) >= rules.max_cycles_in_row
        ):
            out.append(
                Violation(
                    "rotation",
                    f"{a.member} has held coordinating role {a.role} "
                    f"{inst.streak[(a.member, a.role)]} cycles in a row; at most "
                    f"{rules.max_cycles_in_row}",
                    a.shift,
                    a.member,
                    a.role,
                )
            )
    for (member, sid), c in per_shift.items():
        if c > 1:
            out.append(Violation("double", f"{member} holds {c} roles in shift {sid}", sid, member))
    for ts in inst.shifts:
        for rname, need in ts.shift.needs.items():
            got = count[(ts.shift.id, rname)]
            if got != need:
                out.append(
                    Violation(
                        "coverage",
                        f"shift {ts.shift.id} has {got} in role {rname}, needs {need}",
                        ts.shift.id,
                        None,
                        rname,
                    )
                )
    out += _time_rules(inst, worked)
    out += _mandatory(inst, turns)
    return tuple(out)


def _time_rules(inst: Instance, worked: dict[str, list[TimedShift]]) -> list[Violation]:
    rules = inst.rules
    out: list[Violation] = []
    by_name = {m.name: m for m in inst.members}
    forbidden = set(rules.forbidden_sequences)
    for member, ts in worked.items():
        ts = sorted(ts, key=lambda t: t.start)
        for i, a in enumerate(ts):
            for b in ts[i + 1 :]:
                gap_h = (b.start - a.end) / 60
                if b.start < a.end:
                    out.append(
                        Violation(
                            "overlap",
                            f"{member} works {a.shift.id} and {b.shift.id}, which overlap",
                            b.shift.id,
                            member,
                        )
                    )
                elif gap_h < rules.min_rest_hours - 1e-9:
                    out.append(
                        Violation(
                            "rest",
                            f"{member} rests {gap_h:g} h between "
                            f"{a.shift.id} and {b.shift.id}; at least "
                            f"{rules.min_rest_hours:g} h",
                            b.shift.id,
                            member,
                        )
                    )
                elif (a.shift.kind, b.shift.kind) in forbidden and (
                    gap_h < rules.sequence_window_hours - 1e-9
                ):
                    out.append(
                        Violation(
                            "sequence",
                            f"{member} works {a.shift.kind} shift "
                            f"{a.shift.id} then {b.shift.kind} shift {b.shift.id}",
                            b.shift.id,
                            member,
                        )
                    )
        for limit, kind, key in (
            (rules.max_hours_per_day, "hours_day", lambda t: t.day),
            (rules.max_hours_per_week, "hours_week", lambda t: t.week),
            (by_name[member].max_hours, "hours_max", lambda t: -1),
        ):
            if limit is None:
                continue
            sums: Counter[int] = Counter()
            for t in ts:
                sums[key(t)] += t.end - t.start
            for when, mins in sorted(sums.items()):
                if mins / 60 > limit + 1e-9:
                    where = {"hours_day": f"on day {when}", "hours_week": f"in week {when}"}.get(
                        kind, "in the period"
                    )
                    out.append(
                        Violation(
                            kind,
                            f"{member} works {mins / 60:g} h {where}; at most {limit:g}",
                            None,
                            member,
                        )
                    )
    return out


def _mandatory(inst: Instance, turns: Counter[tuple[str, str]]) -> list[Violation]:
    k = inst.rules.mandatory_times
    out: list[Violation] = []
    for role in sorted(inst.roles.values(), key=lambda r: r.name):
        if not role.mandatory or k == 0:
            continue
        for m in inst.members:
            needed = any(
                t.shift.needs.get(role.name, 0) > 0 and t.shift.workplace == m.workplace
                for t in inst.shifts
            )
            if not needed or not inst.able(m, role.name) or inst.banned(m.name, role.name):
                continue
            got = turns[(m.name, role.name)]
            if got < k:
                out.append(
                    Violation(
                        "mandatory",
                        f"{m.name} takes mandatory role {role.name} {got} time(s); at least {k}",
                        None,
                        m.name,
                        role.name,
                    )
                )
    return out


def _hypergeom_sf(a: int, total: int, good: int, drawn: int) -> float:
    """P(X ≥ a) for X ~ Hypergeometric(total, good, drawn), exactly."""
    denom = math.comb(total, drawn)
    hi = min(good, drawn)
    num = sum(math.comb(good, i) * math.comb(total - good, drawn - i) for i in range(a, hi + 1))
    return num / denom


def suspicious_availability(
    shifts: Sequence[Shift],
    members: Sequence[Member],
    *,
    roles: Sequence[Role],
    alpha: float = 0.01,
) -> tuple[AvailabilityFlag, ...]:
    """Members whose unavailability marks fall on unpleasant shifts far more than on others.

    For each member, among the shifts of their workplace that need a role they have the skills
    for: N shifts, K of them unpleasant (a shift marked unpleasant, or one where every role the
    member could take is marked unpleasant); they marked A unavailable, a of them unpleasant.
    Were the A marks spread at random, a would be hypergeometric; p = P(X ≥ a).  Flagged when a
    larger share of the unpleasant shifts than of the others is marked and p < alpha / (members
    in the workplace), a Bonferroni correction so that a council of hundreds is not flooded by
    chance.  This is Twin Oaks' failure made visible (members unavailable for the one mandatory
    job); the flag is for the council to ask about, not a sanction.
    """
    inst = prepare(shifts, members, roles, Rules(), (), None)
    size = Counter(m.workplace for m in inst.members)
    out = []
    for m in inst.members:
        mine = [
            t
            for t in inst.shifts
            if t.shift.workplace == m.workplace
            and any(c > 0 and inst.able(m, r) for r, c in t.shift.needs.items())
        ]
        bad = {
            t.shift.id
            for t in mine
            if t.shift.unpleasant
            or all(
                inst.roles[r].unpleasant
                for r, c in t.shift.needs.items()
                if c > 0 and inst.able(m, r)
            )
        }
        total, good = len(mine), len(bad)
        marked = [t.shift.id for t in mine if t.shift.id in m.unavailable]
        a = sum(1 for s in marked if s in bad)
        drawn = len(marked)
        if good == 0 or good == total or drawn == 0:
            continue
        if a / good <= (drawn - a) / (total - good):
            continue
        p = _hypergeom_sf(a, total, good, drawn)
        if p < alpha / size[m.workplace]:
            out.append(AvailabilityFlag(m.name, a, good, drawn - a, total - good, p))
    return tuple(out)
