"""Invitations and password resets: one-time tokens, issued by staff, with which a member sets a
password — their first (:func:`invite`, :func:`invite_many`) or one in place of a forgotten one
(:func:`reset_password`: audit-logged, told to the member at their next sign-in) — spent by
:func:`accept_invitation`.  Only staff of *every* federation a member belongs to may invite them
or reset their password (:mod:`commonplan.accounts.staff`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.accounts._clock import _aware, _now
from commonplan.accounts._hashing import _check_password, _hash
from commonplan.accounts.passwords import _set
from commonplan.accounts.principals import Principal
from commonplan.accounts.settings import Settings
from commonplan.accounts.staff import _manageable
from commonplan.accounts.tokens import _new_token, _sha
from commonplan.errors import AuthenticationError, PlanInputError, PlanningError, said
from commonplan.store import Database
from commonplan.store.models import Invitation, Member


class AskedBy(TypedDict, total=False):
    """Who asks for an invitation or a reset (the keywords of :func:`invite`,
    :func:`invite_many` and :func:`reset_password`, each optional): ``by``, the facilitator
    asking, who must serve every federation of the member (default ``None``: the operator at
    the terminal); ``actor``, the name the audit log gives them (default ``"system"``);
    ``settings``, for how long the token lasts (default :class:`Settings`)."""

    actor: str
    settings: Settings | None
    by: Principal | None


def _issue(
    s: Session,
    handle: str,
    kind: str,
    *,
    actor: str = "system",
    settings: Settings | None = None,
    by: Principal | None = None,
) -> tuple[str, datetime]:
    """A new token of ``kind`` (``invitation`` or ``reset``) for ``handle``, if ``by`` may
    manage them (and, for an invitation, they have no password yet), logged: the token and
    when it expires."""
    m = _manageable(s, handle, by)
    if kind == "invitation" and m.password_hash is not None:
        raise PlanningError(
            said(
                "{handle!r} has a password already: they change it signed in, or a facilitator "
                "of every federation of theirs resets it (the reset is logged and shown to "
                "them)",
                handle=handle,
            )
        )
    lifetime = (settings or Settings()).invitation_lifetime
    token, expires = _new_token(s, Invitation, m.id, _now(), lifetime, created_by=actor, kind=kind)
    action = "invitation created" if kind == "invitation" else "password reset issued"
    audit.append(
        s,
        actor=actor,
        action=action,
        subject=f"member {m.id}",
        payload={"handle": m.handle, "expires_at": expires.isoformat()},
    )
    return token, expires


def invite(db: Database, handle: str, **asked: Unpack[AskedBy]) -> str:
    """A one-time token with which ``handle``, who has no password yet, sets one; returns the
    token (only its hash is stored: show it to the member once).

    ``asked``: who asks (:class:`AskedBy`).  A member who has a password changes it signed in
    (:func:`change_password`), or staff reset it (:func:`reset_password`)."""
    with db.transaction() as s:
        return _issue(s, handle, "invitation", **asked)[0]


@dataclass(frozen=True)
class Invited:
    """One member's invitation of :func:`invite_many`: the token (shown once) and its expiry."""

    handle: str
    token: str
    expires_at: datetime


def invite_many(
    db: Database, handles: Sequence[str], **asked: Unpack[AskedBy]
) -> tuple[Invited, ...]:
    """Invitations for many members at once (a facilitator's list of handles, e.g. from a CSV),
    in the order given: all or none — an unknown handle, one given twice, one who has a password
    already or belongs to a federation the facilitator asking does not serve is refused naming
    its line (1 is the first handle), and no invitation is made.  Each is made and logged as
    :func:`invite` makes one."""
    seen: dict[str, int] = {}
    out = []
    with db.transaction() as s:
        for line, raw in enumerate(handles, start=1):
            handle = raw.strip()
            if handle in seen:
                raise PlanInputError(
                    said(
                        "line {line}: {handle!r} is on line {first} already",
                        line=line,
                        handle=handle,
                        first=seen[handle],
                    )
                )
            seen[handle] = line
            try:
                token, expires = _issue(s, handle, "invitation", **asked)
            except PlanningError as exc:  # unknown, not the facilitator's, has a password
                raise type(exc)(said("line {line}: {exc}", line=line, exc=exc)) from None
            out.append(Invited(handle, token, expires))
    if not out:
        raise PlanInputError(said("no handles to invite: give one member's handle a line"))
    return tuple(out)


def reset_password(db: Database, handle: str, **asked: Unpack[AskedBy]) -> str:
    """A one-time token with which ``handle`` sets a new password in place of the one they
    forgot; returns the token.  Audit-logged (``password reset issued``), and the member is told
    at their next sign-in (:attr:`NewSession.reset_by`).  ``asked`` as for :func:`invite`: staff
    of several federations are reset only by staff of all of them."""
    with db.transaction() as s:
        return _issue(s, handle, "reset", **asked)[0]


def accept_invitation(db: Database, token: str, password: str) -> str:
    """Set the password of the member ``token`` invites (or resets), and spend the token;
    returns the handle."""
    _check_password(password)
    hashed = _hash(password)
    with db.transaction() as s:
        inv = s.execute(
            select(Invitation).where(Invitation.token_sha256 == _sha(token)).with_for_update()
        ).scalar_one_or_none()
        if inv is None or inv.used_at is not None or _aware(inv.expires_at) <= _now():
            raise AuthenticationError(
                said(
                    "this invitation is not valid: unknown, used already or expired; ask a "
                    "facilitator for a new one"
                )
            )
        m = s.get(Member, inv.member_id)
        assert m is not None
        _set(s, m, hashed, m.handle, via=f"{inv.kind} by {inv.created_by}")
        return m.handle
