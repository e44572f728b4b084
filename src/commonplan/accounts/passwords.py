"""A member's password: set by an operator at the terminal (:func:`set_password`) or changed by
its member, signed in (:func:`change_password`).  Setting one, however (an invitation or a reset
accepted too), ends every session of the member and spends their unused invitations.

Hashing is :mod:`commonplan.accounts._hashing`'s (Argon2id); a member without a password sets
one with an invitation (:mod:`commonplan.accounts.invitations`)."""

from __future__ import annotations

from typing import Unpack

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.accounts._clock import _now
from commonplan.accounts._hashing import _check_password, _hash
from commonplan.accounts.principals import Principal
from commonplan.accounts.throttle import AttemptFrom, _try_password
from commonplan.errors import AuthenticationError, said
from commonplan.federation import member_named
from commonplan.store import Database
from commonplan.store.models import Invitation, Member, SignInFailure, WebSession


def set_password(db: Database, handle: str, password: str, *, actor: str = "system") -> None:
    """Set ``handle``'s password (an operator's step at the terminal); every session of the
    member is revoked and unused invitations are spent."""
    _check_password(password)
    hashed = _hash(password)
    with db.transaction() as s:
        _set(s, member_named(s, handle), hashed, actor, via="operator")


def change_password(
    db: Database, who: Principal, current: str, new: str, **at: Unpack[AttemptFrom]
) -> None:
    """The signed-in member ``who`` replaces their password, giving the current one; every
    session of theirs ends (sign in again with the new one).  A wrong current password counts
    as a failed sign-in (the same limits: a stolen session cannot guess its way to the
    password); ``at``: where the attempt comes from, as for :func:`sign_in`."""
    _check_password(new)
    tried = _try_password(db, who.handle, current, **at)
    if not tried.right:
        raise AuthenticationError(said("the current password is wrong; the password is unchanged"))
    hashed = _hash(new)
    with db.transaction() as s:
        m = s.get(Member, who.id)
        assert m is not None
        s.execute(delete(SignInFailure).where(SignInFailure.id == tried.failure))
        _set(s, m, hashed, who.handle, via="member")


def _set(s: Session, m: Member, hashed: str, actor: str, *, via: str) -> None:
    """Give ``m`` the password ``hashed``: their sessions are revoked, their unused invitations
    spent, and the audit log says who set it ``via`` what."""
    now = _now()
    m.password_hash = hashed
    for row in s.execute(
        select(WebSession).where(WebSession.member_id == m.id, WebSession.revoked_at.is_(None))
    ).scalars():
        row.revoked_at = now
    for inv in s.execute(
        select(Invitation).where(Invitation.member_id == m.id, Invitation.used_at.is_(None))
    ).scalars():
        inv.used_at = now
    audit.append(
        s, actor=actor, action="password set", subject=f"member {m.id}", payload={"via": via}
    )
