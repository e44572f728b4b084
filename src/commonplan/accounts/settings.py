"""How the service signs people in (:class:`Settings`, from ``COMMONPLAN_*`` variables) and
the Host headers it answers (:func:`hosts_of`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from commonplan.errors import PlanInputError, said


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
