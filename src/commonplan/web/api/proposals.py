"""Proposals of councils: list, file, amend, withdraw (a member of the proposing council, or a
facilitator with a reason); a facilitator hides an abusive one."""

from __future__ import annotations

from commonplan.web import acts, public
from commonplan.web.api._routes import CREATED, READ, STEP, Routes
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.schemas import (
    ProposalAmend,
    ProposalCreate,
    ProposalHide,
    ProposalPublic,
    ProposalWithdraw,
)

routes = Routes("proposals", "Councils' proposals: file, amend, withdraw.")


@routes.get("/rounds/{round_id}/proposals", READ)
def list_proposals(
    round_id: Id, who: CurrentMember, db: DB, withdrawn: bool = False
) -> list[ProposalPublic]:
    """The proposals of a round

    Live proposals in filing order (``withdrawn=true``: replaced and withdrawn ones too)."""
    return public.round_proposals(db, who, round_id, withdrawn=withdrawn)


@routes.post("/rounds/{round_id}/proposals", STEP, status_code=CREATED)
def file_proposal(round_id: Id, body: ProposalCreate, who: CurrentMember, db: DB) -> ProposalPublic:
    """File a proposal for one of the member's councils

    Consumers' councils file ``target`` and ``collective`` proposals ({product: amount});
    workers' councils ``hours`` (per member per year) and ``capacity`` ({process: most
    activity}).  Refused (422, ``floor``) when the hard floors could no longer be produced."""
    return public.read_proposal(db, who, acts.file_proposal(db, who, round_id, body))


@routes.get("/proposals/{proposal_id}", READ)
def read_proposal(proposal_id: Id, who: CurrentMember, db: DB) -> ProposalPublic:
    """A proposal"""
    return public.read_proposal(db, who, proposal_id)


@routes.post("/proposals/{proposal_id}/amendments", STEP, status_code=CREATED)
def amend(proposal_id: Id, body: ProposalAmend, who: CurrentMember, db: DB) -> ProposalPublic:
    """Amend a proposal: a new one of the same council and kind replaces it"""
    return public.read_proposal(db, who, acts.amend_proposal(db, who, proposal_id, body))


@routes.post("/proposals/{proposal_id}/withdraw", STEP)
def withdraw(
    proposal_id: Id, who: CurrentMember, db: DB, body: ProposalWithdraw | None = None
) -> ProposalPublic:
    """Withdraw a proposal (a member of the council that filed it; or a facilitator of the
    round's federation, who gives the ``reason``)"""
    acts.withdraw_proposal(db, who, proposal_id, body.reason if body is not None else None)
    return public.read_proposal(db, who, proposal_id)


@routes.post("/proposals/{proposal_id}/hide", STEP)
def hide(proposal_id: Id, body: ProposalHide, who: Facilitator, db: DB) -> ProposalPublic:
    """Hide an abusive proposal (facilitators), saying why

    It is withdrawn too where it was not (in the proposals and feedback phases); members then
    see only who hid it and why, never its title, amounts or hours."""
    acts.hide_proposal(db, who, proposal_id, body.reason)
    return public.read_proposal(db, who, proposal_id)
