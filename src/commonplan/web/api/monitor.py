"""The running plan watched: every workplace's series against the plan, Beer's indices and the
floors; the rest of the year replanned from what the reports measured."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.concurrency import run_in_threadpool

from commonplan.web import execution
from commonplan.web.api._routes import STEP, Routes
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.schemas import ReplanCreate, ReplanPublic, RoundStatusPublic

routes = Routes("monitor", "The running plan watched, and its rest replanned.")


@routes.get("/rounds/{round_id}/status", STEP)
async def round_status(
    round_id: Id,
    who: CurrentMember,
    db: DB,
    through: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
) -> RoundStatusPublic:
    """Where a running round stands through a period (default: the current one)

    One series per workers' council and product it makes, and one of its hours: the plan's
    figure per period, the reconciled values with their standard errors, the model's state
    probabilities and the next period's forecast with its 95 % interval; the changes seen;
    Beer's indices of the last period; the floors as the latest replan left them."""
    return await run_in_threadpool(execution.round_status, db, who, round_id, through)


@routes.post("/rounds/{round_id}/replan", STEP)
async def replan(round_id: Id, body: ReplanCreate, who: CurrentMember, db: DB) -> ReplanPublic:
    """Re-solve the rest of the year from the reports measured through a period (facilitators)

    Floors are hard every period; a period whose floors cannot be met raises a floor-at-risk
    alert with the shortfall per product, never a smaller floor."""
    return await run_in_threadpool(execution.replan, db, who, round_id, body)
