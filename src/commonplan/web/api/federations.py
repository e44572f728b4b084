"""Federations: create from a description, read the tree and its councils, import members."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import File, UploadFile
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from commonplan import federation as fed_service
from commonplan.store.models import Member
from commonplan.web import acts, public
from commonplan.web.api._routes import CREATED, READ, Routes
from commonplan.web.deps import DB, AppSettings, CurrentMember, Facilitator, Id, Overseer
from commonplan.web.schemas import (
    CouncilPublic,
    FederationCreate,
    FederationPublic,
    MemberCreate,
    MemberPublic,
    MembersAdded,
    MemberStatusPublic,
)
from commonplan.web.scope import council_names, federation_in_scope

routes = Routes("federations", "Federations, their councils, members and delegates.")
IMPORT = (401, 403, 404, 422)

MembersFile = Annotated[
    UploadFile,
    File(description="UTF-8 CSV: handle, name, workers_council, consumers_council, role"),
]


def tree(db: DB, root: int) -> FederationPublic:
    with db.transaction() as s:
        return public.federation_tree(s, root)


@routes.post("/federations", (401, 403, 422), status_code=CREATED)
def create(
    body: FederationCreate, who: Facilitator, db: DB, settings: AppSettings
) -> FederationPublic:
    """Create a federation from its description (facilitators)

    Create the tree, its councils and hard floors, all or nothing; the facilitator who creates
    it serves it.  ``economy`` is one the server offers (``demo`` unless configured)."""
    return tree(db, acts.create_federation(db, who, body, settings))


@routes.get("/federations", (401,))
def list_federations(who: CurrentMember, db: DB) -> list[FederationPublic]:
    """The signed-in member's federations"""
    return [tree(db, root) for root in sorted(who.federations)]


@routes.get("/federations/{federation_id}", READ)
def read_federation(federation_id: Id, who: CurrentMember, db: DB) -> FederationPublic:
    """A federation's tree: its councils and the nodes below"""
    public.in_scope(db, who, federation_in_scope, federation_id)
    return tree(db, federation_id)


@routes.get("/federations/{federation_id}/councils", READ)
def councils(federation_id: Id, who: CurrentMember, db: DB) -> list[CouncilPublic]:
    """The councils of a federation and every node below, with their member counts"""
    with db.transaction() as s:
        federation_in_scope(who, s, federation_id)
        rows = public.councils_below(s, federation_id)
        counts = fed_service.count_members(s, [c.id for c in rows])
        return [public.council_public(c, counts[c.id]) for c in rows]


@routes.get("/federations/{federation_id}/members", READ)
def members(federation_id: Id, who: Overseer, db: DB) -> list[MemberPublic]:
    """The members of a federation's councils (facilitators, auditors)"""
    with db.transaction() as s:
        federation_in_scope(who, s, federation_id)
        ids = list(s.execute(fed_service.eligible_members(s, federation_id)).scalars())
        found = list(
            s.execute(select(Member).where(Member.id.in_(ids)).order_by(Member.handle)).scalars()
        )
        names = council_names(
            s,
            {c for m in found for c in (m.workers_council_id, m.consumers_council_id) if c},
        )
        return [public.member_public(m, names) for m in found]


@routes.get("/federations/{federation_id}/member-statuses", READ)
def member_statuses(
    federation_id: Id, who: Overseer, db: DB, round: int | None = None
) -> list[MemberStatusPublic]:
    """The members with their account's state and who voted (facilitators, auditors)

    Each member of the federation's councils with their account's state (``active``,
    ``invited``, ``invitation expired``, ``not invited``) and, with ``round``, whether they
    voted in it — who voted, never how."""
    found = acts.member_statuses(db, who, federation_id, round)
    return [MemberStatusPublic(**asdict(m)) for m in found]


@routes.post("/federations/{federation_id}/members", IMPORT, status_code=CREATED)
def import_members(
    federation_id: Id, body: list[MemberCreate], who: Facilitator, db: DB
) -> MembersAdded:
    """Import members from JSON (facilitators)

    Add members, all or none: each names councils of this federation by name (either may be
    empty; facilitators and auditors may have none, and then serve the federation)."""
    rows = [m.model_dump() for m in body]
    return MembersAdded(added=acts.import_members(db, who, federation_id, rows))


@routes.post("/federations/{federation_id}/members/csv", IMPORT, status_code=CREATED)
async def import_members_csv(
    federation_id: Id, file: MembersFile, who: Facilitator, db: DB
) -> MembersAdded:
    """Import members from a CSV upload (facilitators)"""
    rows = await acts.read_upload(file, acts.members_from_csv)
    added = await run_in_threadpool(acts.import_members, db, who, federation_id, rows)
    return MembersAdded(added=added)
