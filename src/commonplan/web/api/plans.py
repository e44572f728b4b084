"""Recorded plans: the summary a person reads, the engine's result and inputs, a recomputation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from commonplan import rounds as service
from commonplan.rounds import board
from commonplan.web.api.scope import plan_in_scope
from commonplan.web.deps import DB, CurrentMember, Id, Overseer
from commonplan.web.errors import responses
from commonplan.web.schemas import PlanPublic, RecomputePublic

router = APIRouter(tags=["plans"])


@router.get(
    "/plans/{plan_id}",
    response_model=PlanPublic,
    summary="A plan: status, fulfilment, what binds, hours, the collective proposals",
    responses=responses(401, 403, 404),
)
def read_plan(plan_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        plan_in_scope(who, s, plan_id)
    return board.plan_summary(db, plan_id).to_dict()


@router.get(
    "/plans/{plan_id}/result",
    response_model=dict[str, Any],
    summary="The plan's full result as the engine recorded it (activity, output, prices …)",
    responses=responses(401, 403, 404),
)
def plan_result(plan_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        return plan_in_scope(who, s, plan_id).result


@router.get(
    "/plans/{plan_id}/inputs",
    response_model=dict[str, Any],
    summary="The exact inputs the plan was computed from (floors, targets, caps …)",
    responses=responses(401, 403, 404),
)
def plan_inputs(plan_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        return plan_in_scope(who, s, plan_id).inputs


@router.post(
    "/plans/{plan_id}/recompute",
    response_model=RecomputePublic,
    summary="Recompute a plan from its recorded inputs and compare (facilitators, auditors)",
    responses=responses(401, 403, 404, 422),
)
async def recompute(plan_id: Id, who: Overseer, db: DB) -> Any:
    def run() -> dict[str, Any]:
        with db.transaction() as s:
            plan_in_scope(who, s, plan_id)
        return service.recompute(db, plan_id)

    return await run_in_threadpool(run)
