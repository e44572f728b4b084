"""The members as a facilitator keeps track of them: who belongs to a federation, through which
councils and in which role, whether they can sign in yet (no invitation, invited, invitation
expired, active) and whether they took part in a round's vote — who voted, never how (the
participation record the ballot boxes keep beside the secret ballots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from commonplan.errors import PlanInputError, said
from commonplan.federation import subtree
from commonplan.store import Database, get
from commonplan.store.models import (
    Council,
    Federation,
    Invitation,
    Member,
    Participation,
    Question,
    Round,
)

__all__ = ["ACCOUNT_STATES", "MemberStatus", "member_statuses"]

ACCOUNT_STATES = ("active", "invited", "invitation expired", "not invited")
"""What a member's account is: a password set; an invitation waiting; one that lapsed; none."""


@dataclass(frozen=True)
class MemberStatus:
    """One member of the list: ``voted`` is None where no round was asked about, else whether
    they cast a ballot in any box of that round."""

    handle: str
    name: str
    role: str
    workers_council: str | None
    consumers_council: str | None
    account: str
    invited_until: datetime | None
    voted: bool | None


def member_statuses(
    db: Database, federation: int, *, round_id: int | None = None, now: datetime | None = None
) -> tuple[MemberStatus, ...]:
    """Every member of a council in ``federation`` or below it, by handle, with their account's
    state and (``round_id``: a round of this federation) whether they voted in it."""
    at = now or datetime.now(UTC)
    with db.transaction() as s:
        get(s, Federation, federation, "federation")
        nodes = subtree(s, federation)
        councils = {
            c.id: c.name
            for c in s.execute(select(Council).where(Council.federation_id.in_(nodes))).scalars()
        }
        members = (
            s.execute(
                select(Member)
                .where(
                    or_(
                        Member.workers_council_id.in_(councils),
                        Member.consumers_council_id.in_(councils),
                    )
                )
                .order_by(Member.handle)
            )
            .scalars()
            .all()
        )
        ids = [m.id for m in members]
        waiting = dict(
            s.execute(
                select(Invitation.member_id, func.max(Invitation.expires_at))
                .where(
                    Invitation.member_id.in_(ids),
                    Invitation.used_at.is_(None),
                    Invitation.kind == "invitation",
                )
                .group_by(Invitation.member_id)
            ).all()
        )
        voted: set[int] = set()
        if round_id is not None:
            if get(s, Round, round_id, "round").federation_id not in nodes:
                raise PlanInputError(
                    said(
                        "round {round_id} is not a round of federation {federation}",
                        round_id=round_id,
                        federation=federation,
                    )
                )
            questions = select(Question.id).where(Question.round_id == round_id)
            voted = set(
                s.execute(
                    select(Participation.member_id).where(
                        Participation.question_id.in_(questions), Participation.member_id.in_(ids)
                    )
                ).scalars()
            )
        return tuple(
            MemberStatus(
                handle=m.handle,
                name=m.name,
                role=m.role,
                workers_council=councils.get(m.workers_council_id or -1),
                consumers_council=councils.get(m.consumers_council_id or -1),
                account=_account(m, waiting.get(m.id), at),
                invited_until=_aware(waiting[m.id]) if m.id in waiting else None,
                voted=(m.id in voted) if round_id is not None else None,
            )
            for m in members
        )


def _account(m: Member, until: datetime | None, now: datetime) -> str:
    if m.password_hash is not None:
        return "active"
    if until is None:
        return "not invited"
    return "invited" if _aware(until) > now else "invitation expired"


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t
