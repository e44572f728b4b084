"""Staff: facilitators and auditors serving a federation's tree (:func:`add_staff`), and whom a
facilitator may manage — invite, or reset the password of: members of no federation but theirs
(:func:`_manageable`; a member outside them is answered as unknown)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.accounts.principals import Principal, principal, roots
from commonplan.errors import AuthorisationError, NotFoundError, PlanInputError, said
from commonplan.federation import member_named
from commonplan.store import Database
from commonplan.store.models import Federation, Member, Staff


def add_staff(db: Database, handle: str, federation: int, *, actor: str = "system") -> None:
    """Make ``handle`` (a facilitator or auditor) serve ``federation``'s tree."""
    with db.transaction() as s:
        m = member_named(s, handle)
        if m.role not in ("facilitator", "auditor"):
            raise PlanInputError(
                said(
                    "{handle!r} is a {role}; only facilitators and auditors serve",
                    handle=handle,
                    role=m.role,
                )
            )
        fed = s.get(Federation, federation)
        if fed is None:
            raise NotFoundError(said("no federation with id {federation}", federation=federation))
        (root,) = roots(s, [fed.id])
        exists = s.execute(
            select(Staff.id).where(Staff.member_id == m.id, Staff.federation_id == root)
        ).first()
        if exists is None:
            s.add(Staff(member_id=m.id, federation_id=root))
            audit.append(
                s,
                actor=actor,
                action="staff added",
                subject=f"federation {root}",
                payload={"member": m.handle, "role": m.role},
            )


def _manageable(s: Session, handle: str, by: Principal | None) -> Member:
    """The member ``handle`` if ``by`` may invite them or reset their password: the operator at
    the terminal (``None``) always; else a facilitator who serves *every* federation the member
    belongs to (a member of no federation yet is the operator's).  A member outside ``by``'s
    federations is answered as one that does not exist, so that nothing is learnt about other
    federations' members."""
    m = s.execute(select(Member).where(Member.handle == handle)).scalar_one_or_none()
    if by is None:
        if m is None:
            raise NotFoundError(said("no member with handle {handle!r}", handle=handle))
        return m
    if not by.is_facilitator:
        raise AuthorisationError(
            said("{by!r} is not a facilitator; only facilitators do this", by=by.handle)
        )
    theirs = principal(s, m).federations if m is not None else frozenset()
    if m is None or not theirs & by.federations:
        raise NotFoundError(
            said(
                "no member with handle {handle!r} in {by!r}'s federations",
                handle=handle,
                by=by.handle,
            )
        )
    if not theirs <= by.federations:
        raise AuthorisationError(
            said(
                "{handle!r} belongs to a federation {by!r} does not serve too; only staff of "
                "every federation of theirs may invite them or reset their password",
                handle=handle,
                by=by.handle,
            )
        )
    return m
