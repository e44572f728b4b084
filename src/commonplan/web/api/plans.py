"""Recorded plans: the summary a person reads, the engine's result and inputs, a recomputation."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from commonplan import rounds
from commonplan.web import public
from commonplan.web.api._routes import READ, Routes
from commonplan.web.deps import DB, CurrentMember, Id, Overseer
from commonplan.web.schemas import PlanPublic, RecomputePublic
from commonplan.web.scope import plan_in_scope

routes = Routes("plans", "Draft and final plans, and what they mean for a member.")


@routes.get("/plans/{plan_id}", READ)
def read_plan(plan_id: Id, who: CurrentMember, db: DB) -> PlanPublic:
    """A plan: status, fulfilment, what binds, hours, the collective proposals"""
    return public.read_plan(db, who, plan_id)


@routes.get("/plans/{plan_id}/result", READ)
def plan_result(plan_id: Id, who: CurrentMember, db: DB) -> dict[str, Any]:
    """The plan's full result as the engine recorded it (activity, output, prices …)"""
    return public.plan_record(db, who, plan_id)[0]


@routes.get("/plans/{plan_id}/inputs", READ)
def plan_inputs(plan_id: Id, who: CurrentMember, db: DB) -> dict[str, Any]:
    """The exact inputs the plan was computed from (floors, targets, caps …)"""
    return public.plan_record(db, who, plan_id)[1]


@routes.post("/plans/{plan_id}/recompute", (401, 403, 404, 422))
async def recompute(plan_id: Id, who: Overseer, db: DB) -> RecomputePublic:
    """Recompute a plan from its recorded inputs and compare (facilitators, auditors)"""

    def run() -> RecomputePublic:
        public.in_scope(db, who, plan_in_scope, plan_id)
        return RecomputePublic.model_validate(rounds.recompute(db, plan_id))

    return await run_in_threadpool(run)
