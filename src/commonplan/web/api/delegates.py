"""Councils' delegates: who serves, the council's election recorded, a recall."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import federation as fed_service
from commonplan.store import get
from commonplan.store.models import Delegate, Member
from commonplan.web.api.scope import council_in_scope, member_in_scope
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.errors import responses
from commonplan.web.schemas import DelegateCreate, DelegatePublic

router = APIRouter(tags=["federations"])


def _public(s: Session, d: Delegate) -> DelegatePublic:
    member = get(s, Member, d.member_id, "member")
    start, end, recalled = (
        t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t
        for t in (d.term_start, d.term_end, d.recalled_at)
    )
    assert start is not None and end is not None
    return DelegatePublic(
        id=d.id,
        council=d.council_id,
        handle=member.handle,
        term_start=start,
        term_end=end,
        recalled_at=recalled,
        serving=recalled is None and start <= datetime.now(UTC) < end,
    )


@router.get(
    "/councils/{council_id}/delegates",
    response_model=list[DelegatePublic],
    summary="A council's delegates, term by term, the newest first",
    responses=responses(401, 403, 404),
)
def delegates(council_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        council_in_scope(who, s, council_id)
        terms = s.execute(
            select(Delegate)
            .where(Delegate.council_id == council_id)
            .order_by(Delegate.term_start.desc(), Delegate.id.desc())
        ).scalars()
        return [_public(s, d) for d in terms]


@router.post(
    "/councils/{council_id}/delegates",
    response_model=DelegatePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Record the council's election of its delegate (facilitators)",
    responses=responses(401, 403, 404, 409, 422),
)
def elect(council_id: Id, body: DelegateCreate, who: Facilitator, db: DB) -> Any:
    """The delegate must be a member of the council; refused (409) while another's term runs
    (recall first) and after the same member's maximum of consecutive terms (delegates
    rotate)."""
    with db.transaction() as s:
        council_in_scope(who, s, council_id)
        member = member_in_scope(who, s, body.handle).id
    made = fed_service.elect_delegate(
        db, council_id, member, term_days=body.term_days, actor=who.handle
    )
    with db.transaction() as s:
        return _public(s, get(s, Delegate, made, "delegate"))


@router.post(
    "/delegates/{delegate_id}/recall",
    response_model=DelegatePublic,
    summary="Record the council's recall of its delegate: the term ends now (facilitators)",
    responses=responses(401, 403, 404, 409),
)
def recall(delegate_id: Id, who: Facilitator, db: DB) -> Any:
    with db.transaction() as s:
        council_in_scope(who, s, get(s, Delegate, delegate_id, "delegate").council_id)
    fed_service.recall_delegate(db, delegate_id, actor=who.handle)
    with db.transaction() as s:
        return _public(s, get(s, Delegate, delegate_id, "delegate"))
