"""Planning rounds: open one, read its phase, deadlines and time left, list a federation's history;
the facilitator's steps (draft, alternative, open and close the vote) and what a plan means for
the signed-in member."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from commonplan import rounds
from commonplan.store.models import Draft
from commonplan.web import acts, public
from commonplan.web.api._routes import CREATED, READ, STEP, Routes, ScopedRound
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.schemas import (
    AlternativeCreate,
    ConsequencesPublic,
    PeriodCreate,
    PlanPublic,
    QuestionPublic,
    RoundCreate,
    RoundPublic,
    TimelinePublic,
    VoteOpened,
    WhatWeGetPublic,
)

routes = Routes("rounds", "Planning rounds: open, phases, deadlines, history.")
plans_routes, votes_routes = Routes("plans"), Routes("votes")


@routes.post("/federations/{federation_id}/rounds", STEP, status_code=CREATED)
def open_round(federation_id: Id, body: RoundCreate, who: Facilitator, db: DB) -> RoundPublic:
    """Open the next planning round (facilitators)

    Open the next round of a federation (its root), with optional deadlines per phase."""
    rid = acts.open_round(db, who, federation_id, body)
    return public.read_round(db, who, rid)


@routes.post("/federations/{federation_id}/periods", STEP, status_code=CREATED)
def open_period(federation_id: Id, body: PeriodCreate, who: Facilitator, db: DB) -> RoundPublic:
    """Open the next planning period (facilitators)

    Once a federation's plan is ratified, open the first round of its next planning period,
    with optional deadlines per phase (refused, 409, before the ratification)."""
    rid = acts.open_period(db, who, federation_id, body)
    return public.read_round(db, who, rid)


@routes.get("/federations/{federation_id}/rounds", READ)
def history(federation_id: Id, who: CurrentMember, db: DB) -> list[RoundPublic]:
    """A federation's rounds, first to last"""
    return public.rounds_of(db, who, federation_id)


@routes.get("/rounds/{round_id}", READ)
def read_round(round_id: Id, who: CurrentMember, db: DB) -> RoundPublic:
    """A round: phase, deadlines, time left, ballot boxes, plans, outcome"""
    return public.read_round(db, who, round_id)


@routes.get("/rounds/{round_id}/timeline", READ)
def timeline(round_id: Id, who: CurrentMember, db: DB) -> TimelinePublic:
    """A round's phases in order with their dates, and the vote's turnout so far

    Each phase with when it began, its deadline and when it ended, the current one marked;
    from the vote on, how many members have voted of how many may (counts only)."""
    return public.read_timeline(db, who, round_id)


# ---------------------------------------------------------------------- plans of a round


@plans_routes.post("/rounds/{round_id}/draft", STEP, status_code=CREATED)
async def draft(who: Facilitator, round_id: ScopedRound, db: DB) -> PlanPublic:
    """Compute the draft plan and move the round to feedback (facilitators)"""
    plan = await run_in_threadpool(rounds.compute_draft, db, round_id, actor=who.handle)
    return await run_in_threadpool(public.plan_public, db, plan)


@plans_routes.post("/rounds/{round_id}/alternatives", STEP, status_code=CREATED)
async def alternative(
    who: Facilitator, round_id: ScopedRound, body: AlternativeCreate, db: DB
) -> PlanPublic:
    """Compute an alternative draft with other caps (facilitators, feedback phase)"""
    plan = await run_in_threadpool(
        lambda: rounds.compute_alternative(
            db, round_id, title=body.title, caps=body.caps, actor=who.handle
        )
    )
    return await run_in_threadpool(public.plan_public, db, plan)


@plans_routes.get("/rounds/{round_id}/plans", READ)
def plans(round_id: ScopedRound, db: DB) -> list[PlanPublic]:
    """The plans computed in a round, oldest first"""
    with db.transaction() as s:
        query = select(Draft.id).where(Draft.round_id == round_id).order_by(Draft.id)
        ids = list(s.execute(query).scalars())
    return [public.plan_public(db, d) for d in ids]


@plans_routes.get("/rounds/{round_id}/me/consequences", (401, 403, 404, 409))
def consequences(who: CurrentMember, round_id: ScopedRound, db: DB) -> ConsequencesPublic:
    """What the round's latest plan means for the signed-in member

    The hours the member would work, how far each of their councils' proposals is met, what
    binds, the dearest products in labour hours, and what each person of their consumers'
    council gets a year, product by product, against today."""
    view = rounds.member_view(db, round_id, member=who.handle)
    got = rounds.what_we_get(db, round_id, member=who.handle)
    return ConsequencesPublic(
        member=view.member,
        hours_per_year=view.hours_per_year,
        hours_proposed=view.hours_proposed,
        fulfilment=view.fulfilment,
        proposals=list(view.proposals),
        binding=list(view.binding),
        prices=view.prices,
        status=view.status,
        per_person=WhatWeGetPublic(**asdict(got)),
    )


# ---------------------------------------------------------------------- the vote


@votes_routes.post("/rounds/{round_id}/vote", STEP, status_code=CREATED)
async def open_vote(who: Facilitator, round_id: ScopedRound, db: DB) -> VoteOpened:
    """Open the ballot boxes of the round (facilitators, feedback phase)"""
    ids = await run_in_threadpool(lambda: rounds.open_vote(db, round_id, actor=who.handle))
    return VoteOpened(questions=ids)


@votes_routes.post("/rounds/{round_id}/vote/close", STEP)
async def close_vote(who: Facilitator, round_id: ScopedRound, db: DB) -> RoundPublic:
    """Close and count every ballot box; ratify the plan or open the next round (facilitators)"""
    await run_in_threadpool(lambda: rounds.close_vote(db, round_id, actor=who.handle))
    return await run_in_threadpool(public.read_round, db, who, round_id)


@votes_routes.get("/rounds/{round_id}/questions", READ)
def questions(round_id: Id, who: CurrentMember, db: DB) -> list[QuestionPublic]:
    """The ballot boxes of a round (results: GET /questions/{id}/result after close)"""
    return public.round_questions(db, who, round_id)
