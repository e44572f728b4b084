"""The roster's inputs and results: frozen, typed, hashable where it is cheap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

__all__ = [
    "Assignment",
    "AvailabilityFlag",
    "Member",
    "MemberHours",
    "Request",
    "Role",
    "Roster",
    "RosterStatus",
    "Rules",
    "Shift",
    "Shortfall",
    "Violation",
    "WorkplaceResult",
]

RosterStatus = Literal["optimal", "feasible", "infeasible", "unknown"]
"""``optimal``: proven best equity (and wishes); ``feasible``: every rule holds, equity within
``gap_percent`` of the solver's bound; ``infeasible``: the rules cannot all hold (see
``shortfalls``); ``unknown``: the time limit ran out before any roster was found."""


@dataclass(frozen=True)
class Role:
    """A task a shift needs people for.

    ``skills``: every skill a member must have to take it.  ``unpleasant``: the council marks the
    task unpleasant; its hours count as undesirable whatever the shift.  ``mandatory``: each member
    with the skills takes it at least ``Rules.mandatory_times`` times a cycle.  ``coordinating``: a
    coordinating or delegate role, held at most ``Rules.max_cycles_in_row`` cycles in a row.
    """

    name: str
    skills: frozenset[str] = frozenset()
    unpleasant: bool = False
    mandatory: bool = False
    coordinating: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", frozenset(self.skills))


@dataclass(frozen=True)
class Shift:
    """A stretch of work: ``needs`` maps a role's name to how many people it needs.

    ``start``/``end``: hours from the start of the period (floats), or datetimes (all shifts
    alike; the period then starts at midnight of the earliest start).  Days and weeks are counted
    from the start of the period, and a shift counts towards the day and week in which it starts.
    ``kind`` ("night", "morning", …) is what forbidden sequences name; ``unpleasant`` marks every
    hour of the shift undesirable (nights); ``workplace`` keeps workplaces apart.
    """

    id: str
    start: float | datetime
    end: float | datetime
    needs: Mapping[str, int]
    workplace: str = ""
    kind: str = ""
    unpleasant: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs", MappingProxyType(dict(self.needs)))

    def __hash__(self) -> int:
        return hash(("Shift", self.id))


@dataclass(frozen=True)
class Member:
    """A person on the roster: ``skills`` held, the shifts (ids) marked ``unavailable``, the most
    hours in the period (``max_hours``; ``None``: no personal limit), and their ``workplace``."""

    name: str
    skills: frozenset[str] = frozenset()
    unavailable: frozenset[str] = frozenset()
    max_hours: float | None = None
    workplace: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "unavailable", frozenset(self.unavailable))


@dataclass(frozen=True)
class Rules:
    """The federation's settings for rosters (``None``: no limit).

    ``min_rest_hours``: the least time between the end of one shift and the start of the next for
    one member.  ``forbidden_sequences``: pairs of shift kinds ``(a, b)``: nobody works a ``b``
    shift that starts less than ``sequence_window_hours`` after the end of their ``a`` shift
    (("night", "morning") with the default 24 h: no morning after a night).  ``mandatory_times``:
    k, the times each able member takes each mandatory role a cycle.  ``max_cycles_in_row``: N,
    the most consecutive cycles one member holds the same coordinating role.
    """

    max_hours_per_day: float | None = None
    max_hours_per_week: float | None = None
    min_rest_hours: float = 0.0
    forbidden_sequences: tuple[tuple[str, str], ...] = ()
    sequence_window_hours: float = 24.0
    mandatory_times: int = 1
    max_cycles_in_row: int | None = None


@dataclass(frozen=True)
class Request:
    """A member's soft wish: to work ``shift`` (``wants=True``) or to be left off it."""

    member: str
    shift: str
    wants: bool = True
    weight: int = 1


@dataclass(frozen=True)
class Assignment:
    """``member`` works ``shift`` in ``role``."""

    shift: str
    role: str
    member: str


@dataclass(frozen=True)
class MemberHours:
    """A member's hours in the roster, and how many of them are undesirable."""

    member: str
    hours: float
    undesirable_hours: float


@dataclass(frozen=True)
class Shortfall:
    """What is missing for a roster to exist.

    A shift's role short of people (``shift`` and ``role`` set, ``member`` None), or a member who
    cannot take a mandatory role their ``k`` times (``member`` and ``role`` set, ``shift`` None).
    ``short_by``: how many people (or times); ``reason`` says why in plain words.
    """

    role: str
    short_by: int
    reason: str
    shift: str | None = None
    member: str | None = None
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AvailabilityFlag:
    """A member whose unavailability falls on unpleasant shifts more than chance would have it.

    Of the ``unpleasant_total`` unpleasant shifts they could work, they marked
    ``unpleasant_unavailable`` unavailable; of the ``other_total`` others, ``other_unavailable``.
    ``p_value``: the hypergeometric chance that marks this many unavailable shifts at random would
    hit at least this many unpleasant ones.  For the council to look at, not a verdict.
    """

    member: str
    unpleasant_unavailable: int
    unpleasant_total: int
    other_unavailable: int
    other_total: int
    p_value: float


@dataclass(frozen=True)
class Violation:
    """A rule a roster breaks, as :func:`check_roster` recomputes it; ``kind`` names the rule."""

    kind: str
    message: str
    shift: str | None = None
    member: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class WorkplaceResult:
    """How one workplace's roster was solved (workplaces are solved one by one)."""

    workplace: str
    status: RosterStatus
    members: int
    gini: float
    gini_lower_bound: float
    spread: float
    spread_lower_bound: float
    gap_percent: float
    seconds: float
    message: str


@dataclass(frozen=True)
class Roster:
    """The result of :func:`roster`.

    ``assignments``: who works which shift in which role (for an infeasible roster: the relaxed
    roster that is shortest of people, with the gaps in ``shortfalls``).  ``hours``: per member.
    ``gini``: Gini coefficient of undesirable hours over all members; ``gini_lower_bound``: no
    roster under these rules can have less, from the solver's bound.  ``spread``: most minus fewest
    undesirable hours, and ``spread_lower_bound`` the least any roster can have (the largest
    workplace's bound: the range is at least twice the mean absolute deviation, and at least one
    shift's length unless all are equal).  ``gap_percent``: equity objective against the solver's
    bound (0 when optimal).  ``wishes_met``/``wishes_total``: weighted requests granted.
    ``flags``: suspicious availability marks for the council.
    ``seconds``: wall time of the whole call.
    """

    status: RosterStatus
    assignments: tuple[Assignment, ...]
    hours: tuple[MemberHours, ...]
    gini: float
    gini_lower_bound: float
    spread: float
    spread_lower_bound: float
    gap_percent: float
    wishes_met: int
    wishes_total: int
    shortfalls: tuple[Shortfall, ...]
    flags: tuple[AvailabilityFlag, ...]
    workplaces: tuple[WorkplaceResult, ...]
    seconds: float
    message: str
    options: Mapping[str, float] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """A roster that keeps every rule was found (optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    def of(self, member: str) -> tuple[Assignment, ...]:
        """The assignments of one member, in the order of the roster."""
        return tuple(a for a in self.assignments if a.member == member)
