"""Proposals of councils: list, file, amend, withdraw (a member of the proposing council)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import rounds as service
from commonplan.accounts import Principal
from commonplan.errors import AuthorisationError
from commonplan.store.models import Council, Member, Proposal
from commonplan.web.api.scope import proposal_in_scope, round_in_scope
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.errors import responses
from commonplan.web.schemas import ProposalAmend, ProposalCreate, ProposalPublic

router = APIRouter(tags=["proposals"])


def not_auditor(who: Principal, what: str) -> None:
    """Auditors read; they do not take part."""
    if who.is_auditor:
        raise AuthorisationError(f"{who.handle!r} is an auditor; auditors do not {what}")


def proposal_public(s: Session, p: Proposal) -> ProposalPublic:
    council = s.get(Council, p.council_id)
    member = s.get(Member, p.filed_by)
    at = p.filed_at if p.filed_at.tzinfo is not None else p.filed_at.replace(tzinfo=UTC)
    return ProposalPublic(
        id=p.id,
        round=p.round_id,
        council=council.name if council is not None else "",
        kind=p.kind,
        title=p.title,
        amounts={k: float(v) for k, v in p.amounts.items()},
        hours=p.hours,
        amends=p.amends_id,
        withdrawn=p.withdrawn,
        labour_cost=p.labour_cost,
        filed_by=member.handle if member is not None else "",
        filed_at=at,
    )


def _read(db: DB, proposal: int) -> ProposalPublic:
    with db.transaction() as s:
        p = s.get(Proposal, proposal)
        assert p is not None
        return proposal_public(s, p)


@router.get(
    "/rounds/{round_id}/proposals",
    response_model=list[ProposalPublic],
    summary="The proposals of a round",
    responses=responses(401, 403, 404),
)
def list_proposals(
    round_id: Id, who: CurrentMember, db: DB, withdrawn: bool = False
) -> list[ProposalPublic]:
    """Live proposals in filing order (``withdrawn=true``: replaced and withdrawn ones too)."""
    with db.transaction() as s:
        round_in_scope(who, s, round_id)
        query = select(Proposal).where(Proposal.round_id == round_id)
        if not withdrawn:
            query = query.where(Proposal.withdrawn.is_(False))
        return [proposal_public(s, p) for p in s.execute(query.order_by(Proposal.id)).scalars()]


@router.post(
    "/rounds/{round_id}/proposals",
    response_model=ProposalPublic,
    status_code=status.HTTP_201_CREATED,
    summary="File a proposal for one of the member's councils",
    responses=responses(401, 403, 404, 409, 422),
)
def file_proposal(round_id: Id, body: ProposalCreate, who: CurrentMember, db: DB) -> Any:
    """Consumers' councils file ``target`` and ``collective`` proposals ({product: amount});
    workers' councils ``hours`` (per member per year) and ``capacity`` ({process: most
    activity}).  Refused (422, ``floor``) when the hard floors could no longer be produced."""
    not_auditor(who, "file proposals")
    with db.transaction() as s:
        round_in_scope(who, s, round_id)
    pid = service.file_proposal(
        db,
        round_id,
        actor=who.handle,
        council=body.council,
        kind=body.kind,
        title=body.title,
        amounts=body.amounts,
        hours=body.hours,
    )
    return _read(db, pid)


@router.get(
    "/proposals/{proposal_id}",
    response_model=ProposalPublic,
    summary="A proposal",
    responses=responses(401, 403, 404),
)
def read_proposal(proposal_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        return proposal_public(s, proposal_in_scope(who, s, proposal_id))


@router.post(
    "/proposals/{proposal_id}/amendments",
    response_model=ProposalPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Amend a proposal: a new one of the same council and kind replaces it",
    responses=responses(401, 403, 404, 409, 422),
)
def amend(proposal_id: Id, body: ProposalAmend, who: CurrentMember, db: DB) -> Any:
    not_auditor(who, "amend proposals")
    with db.transaction() as s:
        old = proposal_in_scope(who, s, proposal_id)
        council = s.get(Council, old.council_id)
        assert council is not None
        round_id, kind, name = old.round_id, old.kind, council.name
    pid = service.file_proposal(
        db,
        round_id,
        actor=who.handle,
        council=name,
        kind=kind,
        title=body.title,
        amounts=body.amounts,
        hours=body.hours,
        amends=proposal_id,
    )
    return _read(db, pid)


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response_model=ProposalPublic,
    summary="Withdraw a proposal (a member of the council that filed it)",
    responses=responses(401, 403, 404, 409, 422),
)
def withdraw(proposal_id: Id, who: CurrentMember, db: DB) -> Any:
    not_auditor(who, "withdraw proposals")
    with db.transaction() as s:
        proposal_in_scope(who, s, proposal_id)
    service.withdraw_proposal(db, proposal_id, actor=who.handle)
    return _read(db, proposal_id)
