"""Sign-in throttling (OWASP's "device cookies"): every attempt at a password is let through the
limits, or held back, before the password is checked, and counted as a failure until it proves
right (:func:`_try_password`, for :func:`~commonplan.accounts.sign_in` and
:func:`~commonplan.accounts.change_password`).

Failures are stored (``sign_in_failure``), so the limits hold across workers and restarts.  They
count in buckets — the handle from this address, this address for any handle, the handle from
unknown devices anywhere, or (from a device the member signed in from before, which shows its
:func:`device_token`) that device alone — and a full bucket holds the next attempt back for a
backoff that doubles with each further failure (:attr:`Settings.backoff`, at most
:attr:`Settings.failure_window`; :class:`RateLimitedError` carries the seconds to wait).  A
stranger's failures never hold back the member's known devices: nobody can lock a member out.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan.accounts._clock import _aware, _now
from commonplan.accounts._hashing import _verify
from commonplan.accounts.settings import Settings
from commonplan.accounts.tokens import same_token
from commonplan.errors import RateLimitedError, said
from commonplan.store import Database
from commonplan.store.models import Member, SignInFailure


class AttemptFrom(TypedDict, total=False):
    """Where an attempt at a password comes from (the keywords of
    :func:`~commonplan.accounts.sign_in` and :func:`~commonplan.accounts.change_password`, each
    optional): ``client``, the client's address (its first 100 characters; default ``""``);
    ``device``, the device token of an earlier sign-in, if any; ``settings``, the limits
    (default :class:`Settings`)."""

    client: str
    device: str | None
    settings: Settings | None


@dataclass(frozen=True)
class Attempt:
    """An attempt at ``handle``'s password that the limits let through, counted as a failure."""

    handle: str
    client: str
    """The client's address, cut to 100 characters (as the failure row keeps it)."""
    settings: Settings
    member: int | None
    """The member's id; ``None`` for an unknown handle."""
    known: str | None
    """The nonce of the member's known device the attempt came from, if any."""
    failure: int
    """The id of the failure the attempt is counted as: to forget when the password is right."""
    right: bool
    """Whether the password is right (never for an unknown handle or one without a password)."""


def _try_password(
    db: Database,
    handle: str,
    password: str,
    *,
    client: str = "",
    device: str | None = None,
    settings: Settings | None = None,
) -> Attempt:
    """Let an attempt at ``handle``'s password through the limits (:class:`RateLimitedError`
    before the password is checked when one holds it back), count it (:func:`_attempt`), then
    check the password, after the transaction (no row stays locked while it hashes)."""
    settings = settings or Settings()
    handle, client = handle[:100], client[:100]
    with db.transaction() as s:
        row = s.execute(
            select(Member.id, Member.password_hash).where(Member.handle == handle)
        ).one_or_none()
        member, stored = (None, None) if row is None else (row[0], row[1])
        known = _known_device(handle, stored, device)
        failure = _attempt(s, db, handle, client, known, settings)
    return Attempt(handle, client, settings, member, known, failure, _verify(stored, password))


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
