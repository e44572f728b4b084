"""Planning rounds: open one, read its phase, deadlines and time left, list a federation's history;
the facilitator's steps (draft, alternative, open and close the vote) and what a plan means for
the signed-in member."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from commonplan import rounds as service
from commonplan.errors import PlanInputError
from commonplan.rounds import board
from commonplan.store.models import Draft, Participation, Question, Round
from commonplan.web.api.scope import federation_in_scope, round_in_scope
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.errors import responses
from commonplan.web.schemas import (
    AlternativeCreate,
    ConsequencesPublic,
    Deadline,
    PlanPublic,
    QuestionPublic,
    RoundCreate,
    RoundPublic,
    VoteOpened,
)

router = APIRouter(tags=["rounds"])
plans_router = APIRouter(tags=["plans"])
votes_router = APIRouter(tags=["votes"])


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def round_public(s: Session, r: Round) -> RoundPublic:
    now = datetime.now(UTC)
    deadlines = []
    for phase in service.DATED:
        if phase in r.deadlines:
            at = datetime.fromisoformat(r.deadlines[phase])
            deadlines.append(
                Deadline(phase=phase, at=at, seconds_left=max(0.0, (at - now).total_seconds()))
            )
    current = next((d for d in deadlines if d.phase == r.phase), None)
    questions = {
        kind: qid
        for qid, kind in s.execute(
            select(Question.id, Question.kind).where(Question.round_id == r.id)
        )
    }
    plans = list(
        s.execute(select(Draft.id).where(Draft.round_id == r.id).order_by(Draft.id)).scalars()
    )
    return RoundPublic(
        id=r.id,
        federation=r.federation_id,
        number=r.number,
        phase=r.phase,  # type: ignore[arg-type]
        settings=r.settings,
        deadlines=deadlines,
        time_left=current.seconds_left if current is not None else None,
        opened_at=_aware(r.opened_at),
        closed_at=_aware(r.closed_at) if r.closed_at is not None else None,
        outcome=r.outcome,
        questions=questions,
        plans=plans,
    )


def _read(db: DB, round_id: int) -> RoundPublic:
    with db.transaction() as s:
        r = s.get(Round, round_id)
        assert r is not None
        return round_public(s, r)


@router.post(
    "/federations/{federation_id}/rounds",
    response_model=RoundPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Open the next planning round (facilitators)",
    responses=responses(401, 403, 404, 409, 422),
)
def open_round(federation_id: Id, body: RoundCreate, who: Facilitator, db: DB) -> RoundPublic:
    """Open the next round of a federation (its root), with optional deadlines per phase."""
    with db.transaction() as s:
        fed = federation_in_scope(who, s, federation_id)
        if fed.parent_id is not None:
            raise PlanInputError(
                f"federation {fed.name!r} is part of a larger one; rounds are opened for the "
                "whole federation (its root)"
            )
    deadlines: dict[str, str] = {phase: at.isoformat() for phase, at in body.deadlines.items()}
    rid = service.open_round(db, federation_id, actor=who.handle, deadlines=deadlines)
    return _read(db, rid)


@router.get(
    "/federations/{federation_id}/rounds",
    response_model=list[RoundPublic],
    summary="A federation's rounds, first to last",
    responses=responses(401, 403, 404),
)
def history(federation_id: Id, who: CurrentMember, db: DB) -> list[RoundPublic]:
    with db.transaction() as s:
        federation_in_scope(who, s, federation_id)
        rows = s.execute(
            select(Round).where(Round.federation_id == federation_id).order_by(Round.number)
        ).scalars()
        return [round_public(s, r) for r in rows]


@router.get(
    "/rounds/{round_id}",
    response_model=RoundPublic,
    summary="A round: phase, deadlines, time left, ballot boxes, plans, outcome",
    responses=responses(401, 403, 404),
)
def read_round(round_id: Id, who: CurrentMember, db: DB) -> RoundPublic:
    with db.transaction() as s:
        return round_public(s, round_in_scope(who, s, round_id))


# ---------------------------------------------------------------------- plans of a round


def _scoped(db: DB, who: Any, round_id: int) -> None:
    with db.transaction() as s:
        round_in_scope(who, s, round_id)


@plans_router.post(
    "/rounds/{round_id}/draft",
    response_model=PlanPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Compute the draft plan and move the round to feedback (facilitators)",
    responses=responses(401, 403, 404, 409, 422),
)
async def draft(round_id: Id, who: Facilitator, db: DB) -> Any:
    await run_in_threadpool(_scoped, db, who, round_id)
    plan = await run_in_threadpool(service.compute_draft, db, round_id, actor=who.handle)
    return await run_in_threadpool(board.plan_summary, db, plan)


@plans_router.post(
    "/rounds/{round_id}/alternatives",
    response_model=PlanPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Compute an alternative draft with other caps (facilitators, feedback phase)",
    responses=responses(401, 403, 404, 409, 422),
)
async def alternative(round_id: Id, body: AlternativeCreate, who: Facilitator, db: DB) -> Any:
    await run_in_threadpool(_scoped, db, who, round_id)
    plan = await run_in_threadpool(
        lambda: service.compute_alternative(
            db, round_id, title=body.title, caps=body.caps, actor=who.handle
        )
    )
    return await run_in_threadpool(board.plan_summary, db, plan)


@plans_router.get(
    "/rounds/{round_id}/plans",
    response_model=list[PlanPublic],
    summary="The plans computed in a round, oldest first",
    responses=responses(401, 403, 404),
)
def plans(round_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        round_in_scope(who, s, round_id)
        ids = list(
            s.execute(select(Draft.id).where(Draft.round_id == round_id).order_by(Draft.id))
            .scalars()
            .all()
        )
    return [board.plan_summary(db, d) for d in ids]


@plans_router.get(
    "/rounds/{round_id}/me/consequences",
    response_model=ConsequencesPublic,
    summary="What the round's latest plan means for the signed-in member",
    responses=responses(401, 403, 404, 409),
)
def consequences(round_id: Id, who: CurrentMember, db: DB) -> Any:
    """The hours the member would work, how far each of their councils' proposals is met, what
    binds, and the dearest products in labour hours."""
    _scoped(db, who, round_id)
    view = service.member_view(db, round_id, member=who.handle)
    return ConsequencesPublic(
        member=view.member,
        hours_per_year=view.hours_per_year,
        hours_proposed=view.hours_proposed,
        fulfilment=view.fulfilment,
        proposals=list(view.proposals),
        binding=list(view.binding),
        prices=view.prices,
        status=view.status,
    )


# ---------------------------------------------------------------------- the vote


@votes_router.post(
    "/rounds/{round_id}/vote",
    response_model=VoteOpened,
    status_code=status.HTTP_201_CREATED,
    summary="Open the ballot boxes of the round (facilitators, feedback phase)",
    responses=responses(401, 403, 404, 409, 422),
)
async def open_vote(round_id: Id, who: Facilitator, db: DB) -> VoteOpened:
    await run_in_threadpool(_scoped, db, who, round_id)
    ids = await run_in_threadpool(lambda: service.open_vote(db, round_id, actor=who.handle))
    return VoteOpened(questions=ids)


@votes_router.post(
    "/rounds/{round_id}/vote/close",
    response_model=RoundPublic,
    summary="Close and count every ballot box; ratify the plan or open the next round "
    "(facilitators)",
    responses=responses(401, 403, 404, 409, 422),
)
async def close_vote(round_id: Id, who: Facilitator, db: DB) -> RoundPublic:
    await run_in_threadpool(_scoped, db, who, round_id)
    await run_in_threadpool(lambda: service.close_vote(db, round_id, actor=who.handle))
    return await run_in_threadpool(_read, db, round_id)


def question_public(s: Session, q: Question, member: int) -> QuestionPublic:
    voted = s.execute(
        select(Participation.id).where(
            Participation.question_id == q.id, Participation.member_id == member
        )
    ).first()
    return QuestionPublic(
        id=q.id,
        round=q.round_id,
        kind=q.kind,
        options=q.options,
        status=q.status,
        closed_at=_aware(q.closed_at) if q.closed_at is not None else None,
        voted=voted is not None,
    )


@votes_router.get(
    "/rounds/{round_id}/questions",
    response_model=list[QuestionPublic],
    summary="The ballot boxes of a round (results: GET /questions/{id}/result after close)",
    responses=responses(401, 403, 404),
)
def questions(round_id: Id, who: CurrentMember, db: DB) -> list[QuestionPublic]:
    with db.transaction() as s:
        round_in_scope(who, s, round_id)
        rows = s.execute(
            select(Question).where(Question.round_id == round_id).order_by(Question.id)
        ).scalars()
        return [question_public(s, q, who.id) for q in rows]
