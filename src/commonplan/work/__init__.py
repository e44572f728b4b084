"""Work: hours, quotas, rosters.

- :mod:`~commonplan.work.hours` — the double-entry hours ledger: a workplace records a member's
  hours, the member confirms or disputes them, corrections are reversing entries; credits for
  care, sickness, age and study by the federation's rules; balances per member and workplace.
- :mod:`~commonplan.work.quotas` — each workplace's labour requirement under a plan, the
  members' quotas and their free time; :func:`compare_plans` for one member across drafts.
- :mod:`~commonplan.work.roster` — rosters:
:func:`roster` assigns members to shifts and roles (OR-Tools CP-SAT), every shift covered and
undesirable hours shared evenly; :func:`check_roster` recomputes every rule of a roster without
the solver; :func:`suspicious_availability` flags availability marks that fall on unpleasant
shifts more than chance would.
"""

from commonplan.work import _roster_types
from commonplan.work._roster_check import check_roster, gini, suspicious_availability
from commonplan.work._roster_types import *  # noqa: F403 (the roster's types)
from commonplan.work.hours import (
    HOURS_DEFAULTS,
    Balance,
    CreditRule,
    HoursRow,
    HoursSettings,
    RecordedBatch,
    StoredEntry,
    balances,
    confirm_hours,
    dispute_hours,
    entries_of,
    hours_settings,
    parse_hours_rows,
    read_hours_rows,
    record_hours,
    reverse_hours,
)
from commonplan.work.quotas import (
    LabourRequirement,
    MemberQuota,
    PlanHours,
    Quotas,
    WorkplaceRequirement,
    compare_plans,
    labour_requirement,
    quotas,
)
from commonplan.work.roster import roster

__all__ = [
    "HOURS_DEFAULTS",
    "Balance",
    "CreditRule",
    "HoursRow",
    "HoursSettings",
    "LabourRequirement",
    "MemberQuota",
    "PlanHours",
    "Quotas",
    "RecordedBatch",
    "StoredEntry",
    "WorkplaceRequirement",
    "balances",
    "check_roster",
    "compare_plans",
    "confirm_hours",
    "dispute_hours",
    "entries_of",
    "gini",
    "hours_settings",
    "labour_requirement",
    "parse_hours_rows",
    "quotas",
    "read_hours_rows",
    "record_hours",
    "reverse_hours",
    "roster",
    "suspicious_availability",
]
__all__ += _roster_types.__all__
