"""The REST API's routes, one module per resource, gathered in :data:`router` (``/api/v1``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from commonplan.web.api import (
    accounts,
    alerts,
    audit,
    board,
    delegates,
    federations,
    hours,
    monitor,
    plans,
    proposals,
    reports,
    rounds,
    votes,
)

__all__ = ["router", "tags"]

tags: list[dict[str, Any]] = [
    {"name": "accounts", "description": "Sign in and out, invitations, who am I."},
    {"name": "federations", "description": "Federations, their councils, members and delegates."},
    {"name": "rounds", "description": "Planning rounds: open, phases, deadlines, history."},
    {"name": "proposals", "description": "Councils' proposals: file, amend, withdraw."},
    {"name": "plans", "description": "Draft and final plans, and what they mean for a member."},
    {"name": "votes", "description": "Ballot boxes (questions), ballots and results."},
    {"name": "board", "description": "The published ballot board and finding one's ballot."},
    {"name": "audit", "description": "The hash-chained audit log (auditors, facilitators)."},
    {"name": "reports", "description": "After the vote: what workplaces report they made."},
    {"name": "alerts", "description": "Alerts to the councils, answered or escalated."},
    {"name": "monitor", "description": "The running plan watched, and its rest replanned."},
    {"name": "hours", "description": "Hours worked and credited; quotas and free time."},
]

router = APIRouter()
for sub in (
    accounts.router,
    federations.router,
    delegates.router,
    rounds.router,
    proposals.router,
    rounds.plans_router,
    plans.router,
    rounds.votes_router,
    votes.router,
    board.router,
    audit.router,
    reports.router,
    alerts.router,
    monitor.router,
    hours.router,
):
    router.include_router(sub)
