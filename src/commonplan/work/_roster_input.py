"""Validate a roster's inputs and normalise them to whole minutes from the period's start.

Every check runs before any solving, and each message names the shift, member, role or skill at
fault.  The result, :class:`Instance`, is what both the solver and :func:`check_roster` read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from commonplan.errors import PlanInputError, UnknownNameError
from commonplan.work._roster_types import Assignment, Member, Request, Role, Roster, Rules, Shift

__all__ = ["Instance", "TimedShift", "prepare", "streaks"]


@dataclass(frozen=True)
class TimedShift:
    """A shift in whole minutes from the start of the period, with its day and week."""

    shift: Shift
    start: int
    end: int
    day: int
    week: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Instance:
    shifts: tuple[TimedShift, ...]
    members: tuple[Member, ...]
    roles: dict[str, Role]
    rules: Rules
    requests: tuple[Request, ...]
    streak: dict[tuple[str, str], int]  # (member, role) -> cycles in a row up to now

    def banned(self, member: str, role: str) -> bool:
        """``member`` has held coordinating ``role`` the most cycles in a row already."""
        n = self.rules.max_cycles_in_row
        return (
            n is not None
            and self.roles[role].coordinating
            and self.streak.get((member, role), 0) >= n
        )

    def able(self, member: Member, role: str) -> bool:
        return self.roles[role].skills <= member.skills

    def undesirable(self, ts: TimedShift, role: str) -> bool:
        return ts.shift.unpleasant or self.roles[role].unpleasant


def _minutes(hours: float) -> int:
    return round(hours * 60)


def _check_limit(value: float | None, what: str) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise PlanInputError(f"{what} is {value}; it must be a number of hours, 0 or more")


def _overlap(a: TimedShift, b: TimedShift) -> bool:
    return a.start < b.end and b.start < a.end


def _times(shifts: Sequence[Shift]) -> list[tuple[float, float]]:
    kinds = {isinstance(s.start, datetime) for s in shifts} | {
        isinstance(s.end, datetime) for s in shifts
    }
    if kinds == {True}:
        first = min(s.start for s in shifts if isinstance(s.start, datetime))
        origin = first.replace(hour=0, minute=0, second=0, microsecond=0)
        out = []
        for s in shifts:
            assert isinstance(s.start, datetime) and isinstance(s.end, datetime)
            out.append(
                ((s.start - origin) / timedelta(hours=1), (s.end - origin) / timedelta(hours=1))
            )
        return out
    if kinds == {False}:
        return [(float(s.start), float(s.end)) for s in shifts]  # type: ignore[arg-type]
    raise PlanInputError(
        "shifts mix datetimes and hours: give every start and end as a datetime, or every one as "
        "hours from the start of the period"
    )


def _unique(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise PlanInputError(f"{what} {n!r} is listed twice; each {what} once")
        seen.add(n)


def prepare(
    shifts: Sequence[Shift],
    members: Sequence[Member],
    roles: Sequence[Role],
    rules: Rules,
    requests: Sequence[Request],
    history: Sequence[Roster | Iterable[Assignment]] | None,
) -> Instance:
    """Check every input and return the normalised instance (raises before any solving)."""
    _unique((r.name for r in roles), "role")
    _unique((s.id for s in shifts), "shift")
    _unique((m.name for m in members), "member")
    role_by = {r.name: r for r in roles}
    shift_ids = {s.id for s in shifts}
    for name, v in (
        ("rules.max_hours_per_day", rules.max_hours_per_day),
        ("rules.max_hours_per_week", rules.max_hours_per_week),
        ("rules.min_rest_hours", rules.min_rest_hours),
        ("rules.sequence_window_hours", rules.sequence_window_hours),
    ):
        _check_limit(v, name)
    if rules.mandatory_times < 0:
        raise PlanInputError(
            f"rules.mandatory_times is {rules.mandatory_times}; it must be 0 or more"
        )
    if rules.max_cycles_in_row is not None and rules.max_cycles_in_row < 1:
        raise PlanInputError(
            f"rules.max_cycles_in_row is {rules.max_cycles_in_row}; it must be 1 or more (or None)"
        )
    kinds = {s.kind for s in shifts}
    for a, b in rules.forbidden_sequences:
        for k in (a, b):
            if k not in kinds:
                raise UnknownNameError(
                    f"forbidden sequence ({a!r}, {b!r}) names shift kind {k!r}, which no shift has "
                    f"(kinds: {', '.join(sorted(kinds)) or 'none'})"
                )
    needed_skills = set().union(*(r.skills for r in roles)) if roles else set()
    timed: list[TimedShift] = []
    for s, (start, end) in zip(shifts, _times(shifts), strict=True):
        if not (math.isfinite(start) and math.isfinite(end)):
            raise PlanInputError(f"shift {s.id!r} has a start or end that is not a number")
        if end <= start:
            raise PlanInputError(
                f"shift {s.id!r} ends ({end:g} h) before or when it starts ({start:g} h): "
                "its length must be more than 0 hours"
            )
        if start < 0:
            raise PlanInputError(f"shift {s.id!r} starts before the period ({start:g} h)")
        for role, count in s.needs.items():
            if role not in role_by:
                raise UnknownNameError(
                    f"shift {s.id!r} needs role {role!r}, which is not among the roles "
                    f"({', '.join(sorted(role_by)) or 'none'})"
                )
            if not isinstance(count, int) or count < 0:
                raise PlanInputError(
                    f"shift {s.id!r} needs {count!r} people in role {role!r}: a whole number, 0 "
                    "or more"
                )
        m0, m1 = _minutes(start), _minutes(end)
        timed.append(TimedShift(s, m0, m1, m0 // (24 * 60), m0 // (7 * 24 * 60)))
    for m in members:
        _check_limit(m.max_hours, f"member {m.name!r}'s max_hours")
        for sid in sorted(m.unavailable - shift_ids):
            raise UnknownNameError(
                f"member {m.name!r} is marked unavailable for shift {sid!r}, which is not a shift"
            )
        for skill in sorted(m.skills - needed_skills):
            raise UnknownNameError(
                f"member {m.name!r} has skill {skill!r}, which no role needs (a typo?); "
                f"skills the roles need: {', '.join(sorted(needed_skills)) or 'none'}"
            )
    member_by = {m.name: m for m in members}
    timed_by = {t.shift.id: t for t in timed}
    seen: set[tuple[str, str]] = set()
    for q in requests:
        if q.member not in member_by:
            raise UnknownNameError(f"a request names member {q.member!r}, who is not on the roster")
        if q.shift not in timed_by:
            raise UnknownNameError(
                f"member {q.member!r} requests shift {q.shift!r}, which is not a shift"
            )
        if (q.member, q.shift) in seen:
            raise PlanInputError(f"member {q.member!r} requests shift {q.shift!r} twice")
        seen.add((q.member, q.shift))
        if q.weight < 0:
            raise PlanInputError(
                f"member {q.member!r}'s request for shift {q.shift!r} has weight {q.weight}; "
                "it must be 0 or more"
            )
        if timed_by[q.shift].shift.workplace != member_by[q.member].workplace:
            raise PlanInputError(
                f"member {q.member!r} requests shift {q.shift!r} of another workplace "
                f"({timed_by[q.shift].shift.workplace!r})"
            )
    wanted: dict[str, list[TimedShift]] = {}
    for q in requests:
        if q.wants:
            wanted.setdefault(q.member, []).append(timed_by[q.shift])
    for name, ts in wanted.items():
        ts.sort(key=lambda t: t.start)
        for i, first in enumerate(ts):
            for later in ts[i + 1 :]:
                if later.start >= first.end:
                    break
                raise PlanInputError(
                    f"member {name!r} requests shifts {first.shift.id!r} and {later.shift.id!r}"
                    ", which overlap: nobody can work both"
                )
    return Instance(tuple(timed), tuple(members), role_by, rules, tuple(requests), streaks(history))


def streaks(history: Sequence[Roster | Iterable[Assignment]] | None) -> dict[tuple[str, str], int]:
    """For each (member, role): in how many of the latest cycles in a row (oldest first in
    ``history``) the member held the role at least once."""
    if not history:
        return {}
    held = [
        {(a.member, a.role) for a in (h.assignments if isinstance(h, Roster) else h)}
        for h in history
    ]
    out: dict[tuple[str, str], int] = {}
    for key in held[-1]:
        n = 0
        for cycle in reversed(held):
            if key not in cycle:
                break
            n += 1
        out[key] = n
    return out
