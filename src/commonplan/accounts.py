"""Members' accounts — one concept, the library the web service and the ``commonplan account``
commands sign people in with: passwords, invitations, sessions, the sign-in rate limit, CSRF
tokens, staff (facilitators and auditors serving a federation), and the :class:`Principal` a
signed-in member is authorised as (with :class:`Settings`, how the service signs people in).

Nothing here knows HTTP: :mod:`commonplan.web` and the CLI call these, and
:mod:`commonplan.web.errors` maps the exceptions (:class:`AuthenticationError`,
:class:`RateLimitedError`, :class:`CSRFError`, in :mod:`commonplan.errors`' tree and importable
from here) to status codes.

- **Passwords** are hashed with Argon2id (argon2-cffi's defaults); a member without one sets it
  with a one-time **invitation** token (:func:`invite`, :func:`accept_invitation`), or an
  operator sets it from the terminal (:func:`set_password`).  A password that exists is changed
  by its member, signed in (:func:`change_password`), or replaced through a **reset**
  (:func:`reset_password`: audit-logged, told to the member at their next sign-in).  Only staff
  of *every* federation a member belongs to may invite them or reset their password; a member
  outside the facilitator's federations is answered as unknown.
- **Sessions** are random 256-bit tokens; the database keeps only their SHA-256 (a copy of the
  database signs nobody in), with an expiry that slides forward while the session is used
  (:attr:`Settings.session_lifetime`).  Signing out revokes the row.
- **Sign-in throttling** (OWASP's "device cookies"): failed sign-ins are stored
  (``sign_in_failure``), so the limits hold across workers and restarts.  Failures count in
  buckets — the handle from this address, this address for any handle, the handle from unknown
  devices anywhere, or (from a device the member signed in from before, which shows its device
  token) that device alone — and a full bucket holds the next attempt back, before the password
  is checked, for a backoff that doubles with each further failure (:attr:`Settings.backoff`, at
  most :attr:`Settings.failure_window`; :class:`RateLimitedError` carries the seconds to wait).
  A stranger's failures never hold back the member's known devices: nobody can lock a member
  out.
- **CSRF**: :func:`csrf_token` derives a per-session token (HMAC-SHA256 keyed by the session
  token, so it is never stored and dies with the session); a cookie-authenticated request that
  changes anything must send it back (see :mod:`commonplan.web.deps`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    func,
    null,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import (  # the three auth errors stay importable from here
    AuthenticationError,
    AuthorisationError,
    CSRFError,
    NotFoundError,
    PlanInputError,
    PlanningError,
    RateLimitedError,
    said,
)
from commonplan.federation import member_named
from commonplan.store import Database
from commonplan.store.models import (
    Council,
    Delegate,
    Federation,
    Invitation,
    Member,
    SignInFailure,
    Staff,
    WebSession,
)

__all__ = [
    "AuthenticationError",
    "CSRFError",
    "Invited",
    "NewSession",
    "Principal",
    "RateLimitedError",
    "Settings",
    "SignedIn",
    "accept_invitation",
    "add_staff",
    "authenticate",
    "change_password",
    "csrf_token",
    "device_token",
    "hosts_of",
    "invite",
    "invite_many",
    "principal",
    "reset_password",
    "roots",
    "same_token",
    "sessions_of",
    "set_password",
    "sign_in",
    "sign_out",
    "signed_in",
]

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
HASHER = PasswordHasher()
_DUMMY_HASH = HASHER.hash("not anybody's password")


# ---------------------------------------------------------------------- settings


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise PlanInputError(
            said("${name} must be a number; got {raw!r}", name=name, raw=raw)
        ) from None


@dataclass(frozen=True)
class Settings:
    """How the web service signs people in; :meth:`from_env` reads ``COMMONPLAN_*`` variables."""

    session_lifetime: timedelta = timedelta(hours=12)
    """A session ends this long after its last use (sliding expiry)."""
    session_refresh: timedelta = timedelta(minutes=5)
    """The expiry is pushed forward at most this often (one write per session per interval)."""
    invitation_lifetime: timedelta = timedelta(days=7)
    failures_per_handle: int = 5
    """Failures for one handle from one address (or from one known device) before backoff."""
    failures_per_client: int = 20
    """Failures from one address, for any handles, before backoff."""
    failures_per_account: int = 100
    """Failures for one handle from unknown devices, from anywhere, before backoff."""
    failure_window: timedelta = timedelta(minutes=15)
    """Failures older than this are forgotten; the longest backoff."""
    backoff: timedelta = timedelta(seconds=30)
    """The first wait once a bucket is full; it doubles with each further failure."""
    cookie_name: str = "commonplan_session"
    cookie_secure: bool | None = None
    """Send the session cookie only over https: ``None`` decides per request (https or not)."""
    base_url: str = ""
    """Where the service is reached (``https://plan.example.org``), for invitation links (never
    the request's Host header); ``commonplan serve`` requires it except on a loopback address."""
    allowed_hosts: tuple[str, ...] = ("*",)
    """The Host headers answered (others get 400); :meth:`from_env` takes the base URL's host."""
    economies: tuple[str, ...] = ("demo",)
    """The economies a federation created over the web may name (never an arbitrary path)."""

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from ``COMMONPLAN_SESSION_HOURS``, ``COMMONPLAN_COOKIE_SECURE`` (1/0),
        ``COMMONPLAN_BASE_URL`` (its host is the one Host header answered, with
        ``COMMONPLAN_ALLOWED_HOSTS``, comma-separated, besides) and ``COMMONPLAN_ECONOMIES``
        (comma-separated names or paths)."""
        secure = os.environ.get("COMMONPLAN_COOKIE_SECURE", "").strip().lower()
        economies = os.environ.get("COMMONPLAN_ECONOMIES", "")
        base = os.environ.get("COMMONPLAN_BASE_URL", "").strip().rstrip("/")
        extra = os.environ.get("COMMONPLAN_ALLOWED_HOSTS", "")
        return cls(
            session_lifetime=timedelta(hours=_env_float("COMMONPLAN_SESSION_HOURS", 12.0)),
            cookie_secure=None if not secure else secure in ("1", "true", "yes"),
            base_url=base,
            allowed_hosts=hosts_of(base, extra.split(",")),
            economies=tuple(e.strip() for e in economies.split(",") if e.strip()) or ("demo",),
        )


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def hosts_of(base_url: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The Host headers a service reached at ``base_url`` answers: its host (all three loopback
    names for a loopback one) and ``extra``; every host (``*``) when there is no base URL."""
    if not base_url:
        return ("*",)
    parsed = urlsplit(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PlanInputError(
            said(
                "the base URL must be http(s)://HOST[:PORT] (https://plan.example.org); got "
                "{base_url!r}",
                base_url=base_url,
            )
        )
    host = parsed.hostname
    hosts = [*LOOPBACK] if host in LOOPBACK else [host]
    return tuple(dict.fromkeys([*hosts, *(h.strip() for h in extra if h.strip())]))


# ---------------------------------------------------------------------- who is asking


@dataclass(frozen=True)
class Principal:
    """The signed-in member as the service authorises them.

    ``federations``: the root federations the member belongs to — through their councils, or as
    staff (a facilitator or auditor serving a federation).  ``delegate_of``: the councils whose
    delegate the member is, for a term that runs now.
    """

    id: int
    handle: str
    name: str
    role: str
    councils: tuple[int, ...]
    delegate_of: tuple[int, ...]
    federations: frozenset[int]

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    @property
    def is_auditor(self) -> bool:
        return self.role == "auditor"

    @property
    def is_delegate(self) -> bool:
        return bool(self.delegate_of)

    @property
    def roles(self) -> tuple[str, ...]:
        """``member`` always; ``delegate`` during a term; ``facilitator`` or ``auditor``."""
        out = ["member"]
        if self.is_delegate:
            out.append("delegate")
        if self.role != "member":
            out.append(self.role)
        return tuple(out)


def _up(nodes: Any) -> Any:
    """A recursive select of (node, ancestor, ancestor's parent) for each node of ``nodes`` (a
    select of federation ids) and every federation above it; UNION, not UNION ALL, so that even
    a cycle of parents would end."""
    start = select(
        Federation.id.label("node"), Federation.id.label("at"), Federation.parent_id.label("up")
    ).where(Federation.id.in_(nodes))
    path = start.cte("path", recursive=True)
    step = select(path.c.node, Federation.id, Federation.parent_id).join(
        path, Federation.id == path.c.up
    )
    return path.union(step)


_PATH = _up(bindparam("nodes", expanding=True))
_ROOTS = select(_PATH.c.node, _PATH.c.at).where(_PATH.c.up.is_(None))


def roots(s: Session, federations: Iterable[int]) -> set[int]:
    """The root of each federation node's tree (one query, along the paths up only; a node that
    is not there is its own root)."""
    nodes = set(federations)
    if not nodes:
        return set()
    top: dict[int, int] = {n: r for n, r in s.execute(_ROOTS, {"nodes": sorted(nodes)})}
    return {top.get(node, node) for node in nodes}


def principal(s: Session, member: Member) -> Principal:
    """The :class:`Principal` of ``member``, from their councils, staff rows and delegate terms."""
    return _principal(
        s,
        member.id,
        member.handle,
        member.name,
        member.role,
        (member.workers_council_id, member.consumers_council_id),
    )


def _principal_query() -> Any:
    path = _up(
        union(
            select(Council.federation_id).where(Council.id.in_(bindparam("own", expanding=True))),
            select(Staff.federation_id).where(Staff.member_id == bindparam("member")),
        )
    )
    none = null().cast(Delegate.term_start.type)
    return union_all(
        select(path.c.at, none, none).where(path.c.up.is_(None)),
        select(Delegate.council_id, Delegate.term_start, Delegate.term_end).where(
            Delegate.member_id == bindparam("member"), Delegate.recalled_at.is_(None)
        ),
    )


_PRINCIPAL = _principal_query()
"""The roots of the federations of a member's councils (``own``) and staff rows, with no term;
then the member's unrecalled delegate terms (council, start, end)."""


def _principal(
    s: Session | Connection,
    member: int,
    handle: str,
    name: str,
    role: str,
    councils: tuple[int | None, int | None],
) -> Principal:
    """The :class:`Principal` from the member's columns and one query: the roots of the
    federations of their councils and staff rows, and their unrecalled delegate terms."""
    own = tuple(c for c in councils if c)
    rows = s.execute(_PRINCIPAL, {"own": list(own), "member": member}).all()
    now = _now()
    return Principal(
        id=member,
        handle=handle,
        name=name,
        role=role,
        councils=own,
        delegate_of=tuple(
            sorted({c for c, a, b in rows if a is not None and _aware(a) <= now < _aware(b)})
        ),
        federations=frozenset(c for c, a, _ in rows if a is None),
    )


# ---------------------------------------------------------------------- passwords, invitations


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(t: datetime) -> datetime:
    """SQLite gives back naive datetimes, which were stored as UTC."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PlanInputError(
            said("a password has at least {characters} characters", characters=MIN_PASSWORD)
        )
    if len(password) > MAX_PASSWORD:
        raise PlanInputError(
            said("a password has at most {characters} characters", characters=MAX_PASSWORD)
        )


def set_password(db: Database, handle: str, password: str, *, actor: str = "system") -> None:
    """Set ``handle``'s password (an operator's step at the terminal); every session of the
    member is revoked and unused invitations are spent."""
    _check_password(password)
    hashed = HASHER.hash(password)
    with db.transaction() as s:
        _set(s, member_named(s, handle), hashed, actor, via="operator")


def change_password(
    db: Database,
    who: Principal,
    current: str,
    new: str,
    *,
    client: str = "",
    device: str | None = None,
    settings: Settings | None = None,
) -> None:
    """The signed-in member ``who`` replaces their password, giving the current one; every
    session of theirs ends (sign in again with the new one).  A wrong current password counts
    as a failed sign-in (the same limits: a stolen session cannot guess its way to the
    password)."""
    _check_password(new)
    settings = settings or Settings()
    with db.transaction() as s:
        m = s.get(Member, who.id)
        assert m is not None
        stored = m.password_hash
        known = _known_device(who.handle, stored, device)
        pending = _attempt(s, db, who.handle, client[:100], known, settings)
    if not _verify(stored, current):
        raise AuthenticationError(said("the current password is wrong; the password is unchanged"))
    hashed = HASHER.hash(new)
    with db.transaction() as s:
        m = s.get(Member, who.id)
        assert m is not None
        s.execute(delete(SignInFailure).where(SignInFailure.id == pending))
        _set(s, m, hashed, who.handle, via="member")


def _set(s: Session, m: Member, hashed: str, actor: str, *, via: str) -> None:
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


def _new_token(
    s: Session,
    model: type[Invitation] | type[WebSession],
    member: int,
    now: datetime,
    lifetime: timedelta,
    **columns: Any,
) -> tuple[str, datetime]:
    """A new secret for ``member``, stored as a row of ``model`` that holds only its hash (with
    ``columns``), made ``now`` and expiring after ``lifetime``: the token and when it expires."""
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    row = {"token_sha256": _sha(token), "member_id": member, "created_at": now, **columns}
    s.add(model(expires_at=expires, **row))
    return token, expires


def _issue(
    s: Session, m: Member, kind: str, actor: str, settings: Settings
) -> tuple[str, datetime]:
    token, expires = _new_token(
        s, Invitation, m.id, _now(), settings.invitation_lifetime, created_by=actor, kind=kind
    )
    action = "invitation created" if kind == "invitation" else "password reset issued"
    audit.append(
        s,
        actor=actor,
        action=action,
        subject=f"member {m.id}",
        payload={"handle": m.handle, "expires_at": expires.isoformat()},
    )
    return token, expires


def invite(
    db: Database,
    handle: str,
    *,
    actor: str = "system",
    settings: Settings | None = None,
    by: Principal | None = None,
) -> str:
    """A one-time token with which ``handle``, who has no password yet, sets one; returns the
    token (only its hash is stored: show it to the member once).

    ``by``: the facilitator asking (``None``: the operator at the terminal), who must serve every
    federation of the member.  A member who has a password changes it signed in
    (:func:`change_password`), or staff reset it (:func:`reset_password`)."""
    settings = settings or Settings()
    with db.transaction() as s:
        m = _manageable(s, handle, by)
        if m.password_hash is not None:
            raise PlanningError(
                said(
                    "{handle!r} has a password already: they change it signed in, or a facilitator "
                    "of every federation of theirs resets it (the reset is logged and shown to "
                    "them)",
                    handle=handle,
                )
            )
        return _issue(s, m, "invitation", actor, settings)[0]


@dataclass(frozen=True)
class Invited:
    """One member's invitation of :func:`invite_many`: the token (shown once) and its expiry."""

    handle: str
    token: str
    expires_at: datetime


def invite_many(
    db: Database,
    handles: Sequence[str],
    *,
    actor: str = "system",
    settings: Settings | None = None,
    by: Principal | None = None,
) -> tuple[Invited, ...]:
    """Invitations for many members at once (a facilitator's list of handles, e.g. from a CSV),
    in the order given: all or none — an unknown handle, one given twice, one who has a password
    already or belongs to a federation ``by`` does not serve is refused naming its line (1 is
    the first handle), and no invitation is made.  Each is logged as :func:`invite` logs one."""
    settings = settings or Settings()
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
                m = _manageable(s, handle, by)
            except (NotFoundError, AuthorisationError) as exc:
                raise type(exc)(said("line {line}: {exc}", line=line, exc=exc)) from None
            if m.password_hash is not None:
                raise PlanningError(
                    said(
                        "line {line}: {handle!r} has a password already (a facilitator resets a "
                        "forgotten one: reset_password)",
                        line=line,
                        handle=handle,
                    )
                )
            token, expires = _issue(s, m, "invitation", actor, settings)
            out.append(Invited(handle, token, expires))
    if not out:
        raise PlanInputError(said("no handles to invite: give one member's handle a line"))
    return tuple(out)


def reset_password(
    db: Database,
    handle: str,
    *,
    actor: str = "system",
    settings: Settings | None = None,
    by: Principal | None = None,
) -> str:
    """A one-time token with which ``handle`` sets a new password in place of the one they
    forgot; returns the token.  Audit-logged (``password reset issued``), and the member is told
    at their next sign-in (:attr:`NewSession.reset_by`).  ``by`` as for :func:`invite`: staff of
    several federations are reset only by staff of all of them."""
    settings = settings or Settings()
    with db.transaction() as s:
        return _issue(s, _manageable(s, handle, by), "reset", actor, settings)[0]


def accept_invitation(db: Database, token: str, password: str) -> str:
    """Set the password of the member ``token`` invites (or resets), and spend the token;
    returns the handle."""
    _check_password(password)
    hashed = HASHER.hash(password)
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


# ---------------------------------------------------------------------- sessions


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


def device_token(handle: str, password_hash: str, nonce: str | None = None) -> str:
    """A device token of ``handle``: ``NONCE.MAC``, the MAC keyed by the member's password hash
    (so no server secret is needed, and every device token dies with the password)."""
    nonce = nonce or secrets.token_hex(16)
    message = f"commonplan device|{handle}|{nonce}".encode()
    return f"{nonce}.{hmac.new(password_hash.encode(), message, hashlib.sha256).hexdigest()}"


def _known_device(handle: str, stored: str | None, device: str | None) -> str | None:
    """The nonce of ``device`` if it is a valid device token of ``handle``, else ``None``."""
    if not device or stored is None or len(device) > 200:
        return None
    nonce = device.partition(".")[0]
    if not nonce or not nonce.isalnum() or len(nonce) > 64:
        return None
    return nonce if same_token(device_token(handle, stored, nonce), device) else None


def _wait(s: Session, where: list[Any], limit: int, settings: Settings) -> int:
    """Seconds to wait before the next attempt of one bucket of failures: none below ``limit``
    failures in the window; from ``limit`` on, a backoff after the latest failure that doubles
    with each further failure (:attr:`Settings.backoff`, at most the window)."""
    now = _now()
    count, last = s.execute(
        select(func.count(), func.max(SignInFailure.at)).where(
            *where, SignInFailure.at > now - settings.failure_window
        )
    ).one()
    if count < limit or last is None:
        return 0
    backoff = min(settings.failure_window, settings.backoff * 2 ** min(count - limit, 20))
    free = (_aware(last) + backoff - now).total_seconds()
    return max(1, math.ceil(free)) if free > 0 else 0


def _limited(s: Session, handle: str, client: str, known: str | None, settings: Settings) -> None:
    """Refuse an attempt (:class:`RateLimitedError`) that one of its buckets holds back.

    From a known device (``known``: its nonce), only that device's failures count.  From any
    other: failures for the handle from this address, failures from this address for any handle,
    and failures for the handle from unknown devices anywhere (a bound on guessing from many
    addresses, high enough that the member's own typos never reach it)."""
    F = SignInFailure
    if known is not None:
        buckets = [([F.device == known], settings.failures_per_handle)]
    else:
        unknown = F.device.is_(None)
        buckets = [
            ([F.handle == handle, F.client == client, unknown], settings.failures_per_handle),
            ([F.client == client, unknown], settings.failures_per_client),
            ([F.handle == handle, unknown], settings.failures_per_account),
        ]
    wait = max(_wait(s, where, limit, settings) for where, limit in buckets)
    if wait:
        raise RateLimitedError(
            said(
                "too many failed sign-ins for {handle!r} or from this address; try again in "
                "{wait} (a device you signed in from before is let through)",
                handle=handle,
                wait=_minutes(wait),
            ),
            retry_after=wait,
        )


def _attempt(
    s: Session, db: Database, handle: str, client: str, known: str | None, settings: Settings
) -> int:
    """Let an attempt at ``handle``'s password through (:class:`RateLimitedError` if a limit
    holds it back) and count it as a failure from now on; the failure's id, to forget it if the
    password is right.  Counted before the password is checked, so that attempts at the same
    time cannot pass a limit together: on PostgreSQL they take turns on their handle and address
    (SQLite writes one transaction at a time anyway)."""
    if not db.is_sqlite:
        for key in (f"handle:{handle}", f"client:{client}"):
            s.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    _limited(s, handle, client, known, settings)
    pending = SignInFailure(handle=handle, client=client, at=_now(), device=known)
    s.add(pending)
    s.flush()
    return pending.id


def _minutes(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"


def _verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; an unknown handle or an account without a
    password costs the same hashing time as a wrong password."""
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def sign_in(
    db: Database,
    handle: str,
    password: str,
    *,
    client: str = "",
    device: str | None = None,
    settings: Settings | None = None,
) -> NewSession:
    """Check ``handle``'s password and open a session; every failure counts toward the limits
    (see :func:`_limited`; ``device``: the device token of an earlier sign-in, if any).

    :class:`RateLimitedError` before the password is checked when a limit holds the attempt
    back; :class:`AuthenticationError` (one message for an unknown handle, a wrong password and
    an account without a password) otherwise.
    """
    settings = settings or Settings()
    handle, client = handle[:100], client[:100]
    with db.transaction() as s:
        m = s.execute(select(Member).where(Member.handle == handle)).scalar_one_or_none()
        stored = m.password_hash if m is not None else None
        known = _known_device(handle, stored, device)
        pending_id = _attempt(s, db, handle, client, known, settings)
    ok = _verify(stored, password)
    with db.transaction() as s:
        now = _now()
        if not ok or m is None:
            s.execute(
                delete(SignInFailure).where(SignInFailure.at < now - 4 * settings.failure_window)
            )
            failed = True
        else:
            failed = False
            member = s.get(Member, m.id)
            assert member is not None and member.password_hash is not None
            if HASHER.check_needs_rehash(member.password_hash):
                member.password_hash = HASHER.hash(password)
            F = SignInFailure
            forget = and_(F.handle == handle, F.client == client, F.device.is_(None))
            if known is not None:
                forget = or_(forget, F.device == known)
            s.execute(delete(F).where(or_(F.id == pending_id, forget)))
            reset_by = _resets_since_last_sign_in(s, member.id)
            token, expires = _new_token(
                s, WebSession, member.id, now, settings.session_lifetime, seen_at=now, client=client
            )
            who = principal(s, member)
            device = device_token(handle, member.password_hash, known)
    if failed:
        raise AuthenticationError(said("wrong handle or password"))
    return NewSession(
        token=token,
        csrf_token=csrf_token(token),
        expires_at=expires,
        principal=who,
        device=device or "",
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


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 keyed by its token (never stored)."""
    return hmac.new(session_token.encode(), b"commonplan csrf", hashlib.sha256).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; ``False`` when either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
