"""Ballot boxes (questions): read one, cast a ballot, read the result once it has closed."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from commonplan.accounts import Principal
from commonplan.errors import PhaseError
from commonplan.store import Database
from commonplan.web import acts, public
from commonplan.web.api._routes import CREATED, READ, STEP, Routes
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.schemas import BallotCreate, QuestionPublic, QuestionResult, Receipt
from commonplan.web.scope import question_in_scope

routes = Routes("votes", "Ballot boxes (questions), ballots and results.")


@routes.get("/questions/{question_id}", READ)
def read_question(question_id: Id, who: CurrentMember, db: DB) -> QuestionPublic:
    """A ballot box: its kind, options, status, and whether the member has voted"""
    return public.read_question(db, who, question_id)


@routes.get("/questions/{question_id}/result", (*READ, 409))
def result(question_id: Id, who: CurrentMember, db: DB) -> QuestionResult:
    """The count of a closed ballot box (409 while it is open)"""
    with db.transaction() as s:
        q = question_in_scope(who, s, question_id)
        if q.status != "closed" or q.result is None:
            raise PhaseError(f"question {q.id} is still open; its result is shown after close")
        return QuestionResult(
            id=q.id,
            kind=q.kind,
            result=q.result,
            box_sha256=q.box_sha256,
            closed_at=public.aware(q.closed_at) if q.closed_at is not None else None,
        )


@routes.post("/questions/{question_id}/ballots", STEP, status_code=CREATED, name="cast")
async def cast_route(question_id: Id, body: BallotCreate, who: CurrentMember, db: DB) -> Receipt:
    """Cast the signed-in member's ballot; answers the receipt code

    One ballot per member and question, in the member's own federation, while the box is open.
    A second ballot is refused (409) — one sent again after a lost answer too, in the same words
    whatever its receipt and choice, so that no answer tells what another's ballot holds: the
    first ballot is in the box, under the receipt it was sent with."""
    # async, with :func:`cast` in one trip through the thread pool (a sync route takes two: the
    # route, then the validation of its answer)
    return await run_in_threadpool(cast, question_id, body, who, db)


def cast(question_id: int, body: BallotCreate, who: Principal, db: Database) -> Receipt:
    """The ballot route's work (:func:`commonplan.web.acts.cast`)."""
    return Receipt(question=question_id, receipt=acts.cast(db, who, question_id, body))
