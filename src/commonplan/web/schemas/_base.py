"""What every API body shares: dates with their UTC offset, a member's handle, and what clients
send (no unknown fields, no NUL characters)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def _utc(at: datetime) -> datetime:
    """SQLite gives back naive datetimes, which were stored as UTC: answers always carry the
    offset (RFC 3339)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


Instant = Annotated[datetime, AfterValidator(_utc)]
"""A date and time with its UTC offset."""


def _no_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'a value'} holds a NUL character (\\u0000)")
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k, where)
            _no_nul(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list | tuple):
        for k, v in enumerate(value):
            _no_nul(v, f"{where}[{k}]")
    elif isinstance(value, BaseModel):
        for k, v in value.__dict__.items():
            _no_nul(v, f"{where}.{k}" if where else k)


class _In(BaseModel):
    """What clients send: no unknown fields, and no NUL characters (no database stores them)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _printable(self) -> Self:
        _no_nul(self, "")
        return self


Handle: Any = Field(min_length=1, max_length=100, examples=["ada"])
"""A member's handle, as every body names one."""
