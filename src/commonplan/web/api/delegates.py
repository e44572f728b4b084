"""Councils' delegates: who serves, the council's election recorded, a recall."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from commonplan import federation as fed_service
from commonplan.store import get
from commonplan.store.models import Delegate
from commonplan.web.api.scope import council_in_scope, member_in_scope
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.errors import responses
from commonplan.web.schemas import DelegateCreate, DelegatePublic

router = APIRouter(tags=["federations"])


def _public(s: Session, council: int, term: int | None = None) -> list[DelegatePublic]:
    return [
        DelegatePublic(**asdict(t), serving=t.serving)
        for t in fed_service.delegate_terms(s, council)
        if term is None or t.id == term
    ]


@router.get(
    "/councils/{council_id}/delegates",
    response_model=list[DelegatePublic],
    summary="A council's delegates, term by term, the newest first",
    responses=responses(401, 403, 404),
)
def delegates(council_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        council_in_scope(who, s, council_id)
        return _public(s, council_id)


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
        return _public(s, council_id, made)[0]


@router.post(
    "/delegates/{delegate_id}/recall",
    response_model=DelegatePublic,
    summary="Record the council's recall of its delegate: the term ends now (facilitators)",
    responses=responses(401, 403, 404, 409),
)
def recall(delegate_id: Id, who: Facilitator, db: DB) -> Any:
    with db.transaction() as s:
        council = council_in_scope(who, s, get(s, Delegate, delegate_id, "delegate").council_id)
    fed_service.recall_delegate(db, delegate_id, actor=who.handle)
    with db.transaction() as s:
        return _public(s, council.id, delegate_id)[0]
