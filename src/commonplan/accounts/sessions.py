"""Sessions: signing in (:func:`sign_in`, behind :mod:`~commonplan.accounts.throttle`'s
limits), authenticating a session token (:func:`authenticate`, or :func:`signed_in` for many),
signing out, and counting a member's live sessions.

A session token is 256 random bits; the database keeps only its SHA-256 (a copy of the database
signs nobody in), with an expiry that slides forward while the session is used
(:attr:`Settings.session_lifetime`).  Signing out revokes the row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Unpack

from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from commonplan.accounts._clock import _aware, _now
from commonplan.accounts._hashing import _hash, _needs_rehash
from commonplan.accounts.principals import Principal, _principal, principal
from commonplan.accounts.settings import Settings
from commonplan.accounts.throttle import AttemptFrom, _try_password, device_token
from commonplan.accounts.tokens import _new_token, _sha, csrf_token
from commonplan.errors import AuthenticationError, said
from commonplan.federation import member_named
from commonplan.store import Database
from commonplan.store.models import Invitation, Member, SignInFailure, WebSession


@dataclass(frozen=True)
class NewSession:
    """A session just opened: ``token`` goes to the client (cookie or bearer) and nowhere else.

    ``device``: a token for this device (the device cookie); sent back with a later sign-in, it
    lets the member through while failures from unknown devices hold their handle.  ``reset_by``:
    the facilitators whose password resets the member used since they last signed in (to show
    them: a reset they did not ask for is a takeover)."""

    token: str
    csrf_token: str
    expires_at: datetime
    principal: Principal
    device: str = ""
    reset_by: tuple[str, ...] = ()


def sign_in(db: Database, handle: str, password: str, **at: Unpack[AttemptFrom]) -> NewSession:
    """Check ``handle``'s password and open a session; every failure counts toward the limits
    (:mod:`commonplan.accounts.throttle`).  ``at``: where the attempt comes from
    (:class:`AttemptFrom`: the client's address, the device token of an earlier sign-in, if
    any, and the limits).

    :class:`RateLimitedError` before the password is checked when a limit holds the attempt
    back; :class:`AuthenticationError` (one message for an unknown handle, a wrong password and
    an account without a password) otherwise.
    """
    tried = _try_password(db, handle, password, **at)
    handle, client, known, settings = tried.handle, tried.client, tried.known, tried.settings
    if not tried.right or tried.member is None:
        with db.transaction() as s:
            old = SignInFailure.at < _now() - 4 * settings.failure_window
            s.execute(delete(SignInFailure).where(old))
        raise AuthenticationError(said("wrong handle or password"))
    with db.transaction() as s:
        now = _now()
        member = s.get(Member, tried.member)
        assert member is not None and member.password_hash is not None
        if _needs_rehash(member.password_hash):
            member.password_hash = _hash(password)
        F = SignInFailure
        forget = and_(F.handle == handle, F.client == client, F.device.is_(None))
        if known is not None:
            forget = or_(forget, F.device == known)
        s.execute(delete(F).where(or_(F.id == tried.failure, forget)))
        reset_by = _resets_since_last_sign_in(s, member.id)
        token, expires = _new_token(
            s, WebSession, member.id, now, settings.session_lifetime, seen_at=now, client=client
        )
        return NewSession(
            token=token,
            csrf_token=csrf_token(token),
            expires_at=expires,
            principal=principal(s, member),
            device=device_token(handle, member.password_hash, known),
            reset_by=reset_by,
        )


def _resets_since_last_sign_in(s: Session, member: int) -> tuple[str, ...]:
    """Who issued the password resets the member used since their latest session began."""
    last = s.execute(
        select(func.max(WebSession.created_at)).where(WebSession.member_id == member)
    ).scalar()
    used = s.execute(
        select(Invitation.created_by, Invitation.used_at).where(
            Invitation.member_id == member,
            Invitation.kind == "reset",
            Invitation.used_at.is_not(None),
        )
    ).all()
    since = _aware(last) if last is not None else None
    return tuple(sorted({by for by, at in used if at and (since is None or _aware(at) > since)}))


@contextmanager
def _reading(db: Database) -> Iterator[Connection]:
    """A connection for reads that each stand alone: on PostgreSQL in autocommit (each statement
    sees the latest commits, as under READ COMMITTED; no BEGIN and COMMIT round trips); on SQLite
    a transaction, as everywhere else."""
    if db.is_sqlite:
        with db.engine.begin() as c:
            yield c
        return
    with db.engine.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT")
        yield c


_SESSIONS = (
    select(
        WebSession.token_sha256,
        WebSession.id,
        WebSession.revoked_at,
        WebSession.expires_at,
        WebSession.seen_at,
        Member.id,
        Member.handle,
        Member.name,
        Member.role,
        Member.workers_council_id,
        Member.consumers_council_id,
    )
    .join(Member, Member.id == WebSession.member_id)
    .where(WebSession.token_sha256.in_(bindparam("shas", expanding=True)))
)


@dataclass(frozen=True)
class SignedIn:
    """The member of a live session, as their own row gives them (no federations read yet)."""

    id: int
    handle: str
    name: str
    role: str
    councils: tuple[int | None, int | None]


def _sessions(
    c: Connection, tokens: Sequence[str], settings: Settings
) -> list[SignedIn | AuthenticationError]:
    """The member of each session token, sliding the expiries forward (one query, and one write
    for the sessions whose expiry is due to slide); an :class:`AuthenticationError` for an
    unknown, revoked or expired session."""
    shas = [_sha(t) for t in tokens]
    rows = {row[0]: row[1:] for row in c.execute(_SESSIONS, {"shas": shas})}
    now = _now()
    out: list[SignedIn | AuthenticationError] = []
    slide: list[int] = []
    for sha in shas:
        row = rows.get(sha)
        if row is None or row[1] is not None:
            out.append(
                AuthenticationError("not signed in (unknown or ended session); sign in again")
            )
            continue
        session, _, expires, seen, member, handle, name, role, workers, consumers = row
        if _aware(expires) <= now:
            out.append(AuthenticationError("your session has expired; sign in again"))
            continue
        if now - _aware(seen) >= settings.session_refresh:
            slide.append(session)
        out.append(SignedIn(member, handle, name, role, (workers, consumers)))
    if slide:
        c.execute(
            update(WebSession)
            .where(WebSession.id.in_(slide))
            .values(seen_at=now, expires_at=now + settings.session_lifetime)
        )
    return out


def authenticate(db: Database, token: str, *, settings: Settings | None = None) -> Principal:
    """The member a session token belongs to, sliding its expiry forward;
    :class:`AuthenticationError` for an unknown, revoked or expired session.

    Every call reads the session row (a revoked or expired session is refused at once, in every
    worker): one query for the session and its member, one for the member's federations and
    delegate terms, and a write only when the expiry slides (at most once per
    :attr:`Settings.session_refresh`).
    """
    with _reading(db) as c:
        who = _sessions(c, [token], settings or Settings())[0]
        if isinstance(who, AuthenticationError):
            raise who
        return _principal(c, who.id, who.handle, who.name, who.role, who.councils)


def signed_in(
    db: Database, tokens: Sequence[str], *, settings: Settings | None = None
) -> list[SignedIn | AuthenticationError]:
    """:func:`authenticate` of many tokens at once, up to the member's own row (one query): for
    a path that needs only who is asking, not their federations (the ballots of a busy
    service)."""
    with _reading(db) as c:
        return _sessions(c, tokens, settings or Settings())


def sign_out(db: Database, token: str) -> None:
    """Revoke the session of ``token`` (nothing happens for an unknown one)."""
    with db.transaction() as s:
        row = s.execute(
            select(WebSession).where(WebSession.token_sha256 == _sha(token))
        ).scalar_one_or_none()
        if row is not None and row.revoked_at is None:
            row.revoked_at = _now()


def sessions_of(db: Database, handle: str) -> int:
    """How many sessions of ``handle`` are live now."""
    with db.transaction() as s:
        m = member_named(s, handle)
        return int(
            s.execute(
                select(func.count()).where(
                    WebSession.member_id == m.id,
                    WebSession.revoked_at.is_(None),
                    WebSession.expires_at > _now(),
                )
            ).scalar_one()
        )
