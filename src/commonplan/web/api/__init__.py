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

_ROUTES = (
    accounts.routes,
    federations.routes,
    delegates.routes,
    rounds.routes,
    proposals.routes,
    rounds.plans_routes,
    plans.routes,
    rounds.votes_routes,
    votes.routes,
    board.routes,
    audit.routes,
    reports.routes,
    alerts.routes,
    monitor.routes,
    hours.routes,
)
tags: list[dict[str, Any]] = [
    {"name": r.tag, "description": r.description} for r in _ROUTES if r.description
]
"""The OpenAPI document's tags, in order, each with its description."""

router = APIRouter()
for routes in _ROUTES:
    router.include_router(routes.router)
