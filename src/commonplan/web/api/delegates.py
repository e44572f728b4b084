"""Councils' delegates: who serves, the council's election recorded, a recall."""

from __future__ import annotations

from dataclasses import asdict

from commonplan import federation as fed_service
from commonplan.store import get
from commonplan.store.models import Delegate
from commonplan.web.api._routes import CREATED, READ, STEP, Routes
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.public import in_scope
from commonplan.web.schemas import DelegateCreate, DelegatePublic
from commonplan.web.scope import council_in_scope, member_in_scope

routes = Routes("federations")


def _public(db: DB, council: int, term: int | None = None) -> list[DelegatePublic]:
    with db.transaction() as s:
        return [
            DelegatePublic(**asdict(t), serving=t.serving)
            for t in fed_service.delegate_terms(s, council)
            if term is None or t.id == term
        ]


@routes.get("/councils/{council_id}/delegates", READ)
def delegates(council_id: Id, who: CurrentMember, db: DB) -> list[DelegatePublic]:
    """A council's delegates, term by term, the newest first"""
    in_scope(db, who, council_in_scope, council_id)
    return _public(db, council_id)


@routes.post("/councils/{council_id}/delegates", STEP, status_code=CREATED)
def elect(council_id: Id, body: DelegateCreate, who: Facilitator, db: DB) -> DelegatePublic:
    """Record the council's election of its delegate (facilitators)

    The delegate must be a member of the council; refused (409) while another's term runs
    (recall first) and after the same member's maximum of consecutive terms (delegates
    rotate)."""
    with db.transaction() as s:
        council_in_scope(who, s, council_id)
        member = member_in_scope(who, s, body.handle).id
    made = fed_service.elect_delegate(
        db, council_id, member, term_days=body.term_days, actor=who.handle
    )
    return _public(db, council_id, made)[0]


@routes.post("/delegates/{delegate_id}/recall", (*READ, 409))
def recall(delegate_id: Id, who: Facilitator, db: DB) -> DelegatePublic:
    """Record the council's recall of its delegate: the term ends now (facilitators)"""
    with db.transaction() as s:
        term = get(s, Delegate, delegate_id, "delegate")
        council = council_in_scope(who, s, term.council_id).id
    fed_service.recall_delegate(db, delegate_id, actor=who.handle)
    return _public(db, council, delegate_id)[0]
