"""The audit log: verify the whole chain, read the entries about one's federations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from commonplan import audit as service
from commonplan.accounts import Principal, principal, roots
from commonplan.store.models import AuditEntry, Council, Draft, Member, Proposal, Question, Round
from commonplan.web.api._routes import Routes
from commonplan.web.deps import DB, MAX_ID, Overseer
from commonplan.web.schemas import AuditEntryPublic, AuditPage, VerificationPublic

routes = Routes("audit", "The hash-chained audit log (auditors, facilitators).")
OVERSEE = (401, 403)

SUBJECT = re.compile(r"(federation|council|round|proposal|question|plan|member) (\d+)")


@routes.get("/audit/verify", OVERSEE)
async def verify(
    who: Overseer,
    db: DB,
    head: Annotated[
        str | None,
        Query(max_length=64, description="A published head hash the log must still contain"),
    ] = None,
) -> VerificationPublic:
    """Verify the hash chain, every closed ballot box and every plan (auditors, facilitators)"""

    def run() -> VerificationPublic:
        with db.transaction() as s:
            v = service.verify(s, expected_head=head)
        return VerificationPublic(
            ok=v.ok, entries=v.entries, head=v.head, problems=list(v.problems)
        )

    return await run_in_threadpool(run)


class _Scope:
    """Which root federation an audit entry is about, from its subject (cached per request)."""

    def __init__(self, s: Session, who: Principal) -> None:
        self.s, self.who = s, who
        self.cache: dict[tuple[str, int], frozenset[int]] = {}

    def node(self, kind: str, key: int) -> Iterable[int]:
        s = self.s
        if kind == "federation":
            return [key]
        if kind == "council":
            return s.execute(select(Council.federation_id).where(Council.id == key)).scalars()
        if kind == "round":
            return s.execute(select(Round.federation_id).where(Round.id == key)).scalars()
        if kind == "question":
            return s.execute(select(Question.federation_id).where(Question.id == key)).scalars()
        if kind == "proposal":
            query = select(Round.federation_id).join(Proposal, Proposal.round_id == Round.id)
            return s.execute(query.where(Proposal.id == key)).scalars()
        if kind == "plan":
            query = select(Round.federation_id).join(Draft, Draft.round_id == Round.id)
            return s.execute(query.where(Draft.id == key)).scalars()
        return []

    def feds(self, kind: str, key: int) -> frozenset[int]:
        if (kind, key) not in self.cache:
            if kind == "member":
                m = self.s.get(Member, key)
                found = principal(self.s, m).federations if m is not None else frozenset()
            else:
                found = frozenset(roots(self.s, list(self.node(kind, key))))
            self.cache[(kind, key)] = found
        return self.cache[(kind, key)]

    def visible(self, e: AuditEntry) -> bool:
        match = SUBJECT.fullmatch(e.subject)
        if match is not None:
            return bool(self.feds(match[1], int(match[2])) & self.who.federations)
        actor = self.s.execute(select(Member.id).where(Member.handle == e.actor)).scalar()
        return actor is not None and bool(self.feds("member", actor) & self.who.federations)


@routes.get("/audit/entries", OVERSEE)
def entries(
    who: Overseer,
    db: DB,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="Entries after this sequence number")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Audit log entries about the member's federations, oldest first (auditors, facilitators)

    The chain is one for the whole database; entries about other federations are left out
    (``GET /audit/verify`` checks the whole chain)."""
    out: list[AuditEntryPublic] = []
    with db.transaction() as s:
        scope = _Scope(s, who)
        cursor, more = after, True
        while len(out) < limit and more:
            batch = list(
                s.execute(
                    select(AuditEntry)
                    .where(AuditEntry.seq > cursor)
                    .order_by(AuditEntry.seq)
                    .limit(500)
                ).scalars()
            )
            more = len(batch) == 500
            for e in batch:
                cursor = e.seq
                if scope.visible(e):
                    out.append(AuditEntryPublic.model_validate(e, from_attributes=True))
                    if len(out) == limit:
                        more = (
                            s.execute(
                                select(AuditEntry.seq).where(AuditEntry.seq > cursor).limit(1)
                            ).first()
                            is not None
                        )
                        break
    return AuditPage(entries=out, next_after=cursor if more else None)
