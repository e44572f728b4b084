"""Ballot boxes (questions): read one, cast a ballot, read the result once it has closed."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from commonplan import rounds as service
from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, PhaseError
from commonplan.store import Database
from commonplan.web.api.proposals import not_auditor
from commonplan.web.api.rounds import question_public
from commonplan.web.api.scope import question_in_scope
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.errors import responses
from commonplan.web.schemas import BallotCreate, QuestionPublic, QuestionResult, Receipt

router = APIRouter(tags=["votes"])


@router.get(
    "/questions/{question_id}",
    response_model=QuestionPublic,
    summary="A ballot box: its kind, options, status, and whether the member has voted",
    responses=responses(401, 403, 404),
)
def read_question(question_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        return question_public(s, question_in_scope(who, s, question_id), who.id)


@router.get(
    "/questions/{question_id}/result",
    response_model=QuestionResult,
    summary="The count of a closed ballot box (409 while it is open)",
    responses=responses(401, 403, 404, 409),
)
def result(question_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        q = question_in_scope(who, s, question_id)
        if q.status != "closed" or q.result is None:
            raise PhaseError(f"question {q.id} is still open; its result is shown after close")
        closed = q.closed_at
        return QuestionResult(
            id=q.id,
            kind=q.kind,
            result=q.result,
            box_sha256=q.box_sha256,
            closed_at=closed.replace(tzinfo=UTC) if closed and closed.tzinfo is None else closed,
        )


@router.post(
    "/questions/{question_id}/ballots",
    response_model=Receipt,
    status_code=status.HTTP_201_CREATED,
    summary="Cast the signed-in member's ballot; answers the receipt code",
    responses=responses(401, 403, 404, 409, 422),
    name="cast",
)
async def cast_route(question_id: Id, body: BallotCreate, who: CurrentMember, db: DB) -> Receipt:
    """One ballot per member and question, in the member's own federation, while the box is open.
    After a lost answer, send the same choice with the ``receipt`` you chose (or got) to retry:
    the same receipt comes back and nothing changes."""
    # async, with :func:`cast` in one trip through the thread pool (a sync route takes two: the
    # route, then the validation of its answer)
    return await run_in_threadpool(cast, question_id, body, who, db)


def cast(question_id: int, body: BallotCreate, who: Principal, db: Database) -> Receipt:
    """The ballot route's work (the pages call it too)."""
    not_auditor(who, "vote")
    # A question of another federation answers 403 (an unknown one 404) before anything is said
    # about the ballot.  A ballot is only taken from a member of a council in the question's
    # federation, which is in their scope, so the scope is checked first where a ballot may come
    # back without being taken (a retry, with its receipt), else only when the ballot is refused.
    if body.receipt is not None:
        _in_scope(who, db, question_id)
    try:
        code = service.cast_ballot(
            db, question_id, member=who.handle, choice=body.choice, receipt=body.receipt
        )
    except CommonplanError:
        _in_scope(who, db, question_id)
        raise
    return Receipt(question=question_id, receipt=code)


def _in_scope(who: Principal, db: Database, question_id: int) -> None:
    with db.transaction() as s:
        question_in_scope(who, s, question_id)
