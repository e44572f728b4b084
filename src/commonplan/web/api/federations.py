"""Federations: create from a description, read the tree and its councils, import members."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from commonplan import accounts as auth
from commonplan import federation as fed_service
from commonplan.errors import PlanInputError
from commonplan.store.models import Council, Federation, Member
from commonplan.web.api.accounts import member_public
from commonplan.web.api.scope import council_names, federation_in_scope
from commonplan.web.deps import DB, AppSettings, CurrentMember, Facilitator, Id, Overseer
from commonplan.web.errors import responses
from commonplan.web.schemas import (
    CouncilPublic,
    FederationCreate,
    FederationPublic,
    MemberCreate,
    MemberPublic,
    MembersAdded,
)

router = APIRouter(tags=["federations"])

MAX_CSV_BYTES = 5 * 1024 * 1024


def tree(s: Session, root: int, *, counts: bool = True) -> FederationPublic:
    """The federation node ``root`` with its councils and children, recursively."""
    nodes = {f.id: f for f in s.execute(select(Federation)).scalars()}
    below = set(fed_service.subtree(s, root))
    councils: dict[int, list[Council]] = {}
    for c in s.execute(
        select(Council).where(Council.federation_id.in_(below)).order_by(Council.id)
    ).scalars():
        councils.setdefault(c.federation_id, []).append(c)
    members = (
        fed_service.count_members(s, [c.id for cs in councils.values() for c in cs])
        if counts
        else {}
    )

    def node(f: Federation) -> FederationPublic:
        return FederationPublic(
            id=f.id,
            name=f.name,
            level=f.level,
            parent=f.parent_id,
            settings=f.settings or None,
            councils=[
                CouncilPublic(
                    id=c.id,
                    name=c.name,
                    kind=c.kind,
                    federation=c.federation_id,
                    processes=c.processes,
                    members=members.get(c.id),
                )
                for c in councils.get(f.id, [])
            ],
            children=[
                node(child)
                for child in sorted(nodes.values(), key=lambda n: n.id)
                if child.parent_id == f.id and child.id in below
            ],
        )

    return node(nodes[root])


@router.post(
    "/federations",
    response_model=FederationPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a federation from its description (facilitators)",
    responses=responses(401, 403, 422),
)
def create(body: FederationCreate, who: Facilitator, db: DB, settings: AppSettings) -> Any:
    """Create the tree, its councils and hard floors, all or nothing; the facilitator who creates
    it serves it.  ``economy`` is one the server offers (``demo`` unless configured)."""
    if body.economy not in settings.economies:
        raise PlanInputError(
            f"economy {body.economy!r} is not offered here; choose one of "
            f"{', '.join(settings.economies)}"
        )
    root = fed_service.create_federation(db, body.description(), actor=who.handle)
    auth.add_staff(db, who.handle, root, actor=who.handle)
    with db.transaction() as s:
        return tree(s, root)


@router.get(
    "/federations",
    response_model=list[FederationPublic],
    summary="The signed-in member's federations",
    responses=responses(401),
)
def list_federations(who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        return [tree(s, root) for root in sorted(who.federations)]


@router.get(
    "/federations/{federation_id}",
    response_model=FederationPublic,
    summary="A federation's tree: its councils and the nodes below",
    responses=responses(401, 403, 404),
)
def read_federation(federation_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        federation_in_scope(who, s, federation_id)
        return tree(s, federation_id)


@router.get(
    "/federations/{federation_id}/councils",
    response_model=list[CouncilPublic],
    summary="The councils of a federation and every node below, with their member counts",
    responses=responses(401, 403, 404),
)
def councils(federation_id: Id, who: CurrentMember, db: DB) -> Any:
    with db.transaction() as s:
        federation_in_scope(who, s, federation_id)
        below = fed_service.subtree(s, federation_id)
        rows = list(
            s.execute(
                select(Council).where(Council.federation_id.in_(below)).order_by(Council.id)
            ).scalars()
        )
        counts = fed_service.count_members(s, [c.id for c in rows])
        return [
            CouncilPublic(
                id=c.id,
                name=c.name,
                kind=c.kind,
                federation=c.federation_id,
                processes=c.processes,
                members=counts[c.id],
            )
            for c in rows
        ]


@router.get(
    "/federations/{federation_id}/members",
    response_model=list[MemberPublic],
    summary="The members of a federation's councils (facilitators, auditors)",
    responses=responses(401, 403, 404),
)
def members(federation_id: Id, who: Overseer, db: DB) -> Any:
    with db.transaction() as s:
        federation_in_scope(who, s, federation_id)
        ids = list(s.execute(fed_service.eligible_members(s, federation_id)).scalars())
        rows = list(s.execute(select(Member).where(Member.id.in_(ids)).order_by(Member.handle)))
        found = [m for (m,) in rows]
        names = council_names(
            s,
            {c for m in found for c in (m.workers_council_id, m.consumers_council_id) if c},
        )
        return [member_public(m, names) for m in found]


def _import(
    db: DB, who: auth.Principal, federation_id: Id, rows: Sequence[Mapping[str, Any]]
) -> MembersAdded:
    """Members into ``federation_id``'s councils, all or none; facilitators and auditors without
    a council serve the federation."""
    staff = []
    with db.transaction() as s:
        root = federation_in_scope(who, s, federation_id)
        below = set(fed_service.subtree(s, root.id))
        inside = {
            name: kind
            for name, kind in s.execute(
                select(Council.name, Council.kind).where(Council.federation_id.in_(below))
            )
        }
        for k, row in enumerate(rows, start=1):
            handle = str(row.get("handle") or "").strip()
            named = [row.get(f"{kind}_council") for kind in ("workers", "consumers")]
            for name in named:
                if name and str(name) not in inside:
                    raise PlanInputError(
                        f"member row {k} ({handle}): no council named {name!r} in federation "
                        f"{root.name!r}"
                    )
            role = str(row.get("role") or "member")
            if not any(named):
                if role == "member":
                    raise PlanInputError(
                        f"member row {k} ({handle}): a member needs a workers' or consumers' "
                        "council (only facilitators and auditors may have none)"
                    )
                staff.append(handle)
    added = fed_service.add_members(db, rows, actor=who.handle)
    for handle in staff:
        auth.add_staff(db, handle, root.id, actor=who.handle)
    return MembersAdded(added=added)


@router.post(
    "/federations/{federation_id}/members",
    response_model=MembersAdded,
    status_code=status.HTTP_201_CREATED,
    summary="Import members from JSON (facilitators)",
    responses=responses(401, 403, 404, 422),
)
def import_members(
    federation_id: Id, body: list[MemberCreate], who: Facilitator, db: DB
) -> MembersAdded:
    """Add members, all or none: each names councils of this federation by name (either may be
    empty; facilitators and auditors may have none, and then serve the federation)."""
    return _import(db, who, federation_id, [m.model_dump() for m in body])


@router.post(
    "/federations/{federation_id}/members/csv",
    response_model=MembersAdded,
    status_code=status.HTTP_201_CREATED,
    summary="Import members from a CSV upload (facilitators)",
    responses=responses(401, 403, 404, 422),
)
async def import_members_csv(
    federation_id: Id,
    file: Annotated[
        UploadFile,
        File(description="UTF-8 CSV: handle, name, workers_council, consumers_council, role"),
    ],
    who: Facilitator,
    db: DB,
) -> MembersAdded:
    data = await file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise PlanInputError(f"{file.filename}: a member file is at most 5 MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanInputError(f"{file.filename}: not UTF-8 text") from None
    if "\x00" in text:
        raise PlanInputError(f"{file.filename}: holds a NUL character; not a CSV text file")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = set(reader.fieldnames or ())
        rows = list(reader)
    except csv.Error as exc:
        raise PlanInputError(f"{file.filename}: not a CSV file ({exc})") from None
    if "handle" not in columns:
        raise PlanInputError(
            f"{file.filename}: the first line names the columns; 'handle' is missing (columns: "
            f"{', '.join(fed_service.MEMBER_COLUMNS)})"
        )
    members = []
    for k, row in enumerate(rows, start=2):
        given = {col: row.get(col) or None for col in fed_service.MEMBER_COLUMNS}
        try:
            members.append(
                MemberCreate.model_validate({**given, "role": given["role"] or "member"})
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise PlanInputError(
                f"{file.filename}, line {k}: {where}: {first.get('msg', 'invalid')}"
            ) from None
    dumped = [m.model_dump() for m in members]
    return await run_in_threadpool(_import, db, who, federation_id, dumped)
