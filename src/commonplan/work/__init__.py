"""Work: hours, quotas, rosters.

:func:`roster` assigns members to shifts and roles (OR-Tools CP-SAT), every shift covered and
undesirable hours shared evenly; :func:`check_roster` recomputes every rule of a roster without
the solver; :func:`suspicious_availability` flags availability marks that fall on unpleasant
shifts more than chance would.
"""

from commonplan.work.roster import (
    Assignment,
    AvailabilityFlag,
    Member,
    MemberHours,
    Request,
    Role,
    Roster,
    RosterStatus,
    Rules,
    Shift,
    Shortfall,
    Violation,
    WorkplaceResult,
    check_roster,
    gini,
    roster,
    suspicious_availability,
)

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
    "check_roster",
    "gini",
    "roster",
    "suspicious_availability",
]
