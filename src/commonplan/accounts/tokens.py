"""Secrets: random tokens kept only as their SHA-256 (sessions, invitations), the CSRF token
derived from a session's token, and comparing tokens in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from commonplan.store.models import Invitation, WebSession


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 keyed by its token (never stored)."""
    return hmac.new(session_token.encode(), b"commonplan csrf", hashlib.sha256).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; ``False`` when either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
