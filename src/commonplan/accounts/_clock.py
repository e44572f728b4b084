"""The clock of accounts: expiries, sessions and failed sign-ins are UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(t: datetime) -> datetime:
    """SQLite gives back naive datetimes, which were stored as UTC."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t
