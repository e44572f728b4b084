"""Typed dependencies of the routes and pages: the database, the settings, who is signed in, CSRF.

``CurrentMember`` is the signed-in member (:class:`~commonplan.accounts.Principal`), from
``Authorization: Bearer TOKEN`` or else the session cookie; no session answers 401.  When the
session came from the cookie and the request changes something (POST, PUT, PATCH, DELETE), the
request must carry the session's CSRF token — header ``X-CSRF-Token``, or form field
``csrf_token`` (server-rendered forms) — or it is refused (403, ``csrf``).  Bearer requests are
exempt: a browser never adds that header on its own.

``MaybeMember`` is the same but ``None`` when nobody is signed in (pages that show a sign-in
link).  ``Facilitator`` and ``Overseer`` (facilitator or auditor) add a role check.

Before anyone is signed in (the sign-in form), :func:`form_token` / :func:`check_form_token` give a
double-submit token: a random value in a cookie that the form must repeat.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from commonplan import accounts as auth
from commonplan.accounts import AuthenticationError, CSRFError, Principal, Settings
from commonplan.errors import AuthorisationError
from commonplan.store import Database

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "DB",
    "DEVICE_COOKIE",
    "FORM_COOKIE",
    "MAX_ID",
    "AppSettings",
    "CurrentMember",
    "Facilitator",
    "Id",
    "MaybeMember",
    "Overseer",
    "check_form_token",
    "client_address",
    "csrf_token_of",
    "form_token",
    "get_db",
    "get_settings",
    "session_token",
    "set_session_cookie",
]

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
FORM_COOKIE = "commonplan_form"
DEVICE_COOKIE = "commonplan_device"
"""The device token of the member who last signed in from this browser (see
:func:`commonplan.accounts.sign_in`); it outlives sign-out, and dies with the password."""
DEVICE_DAYS = 365
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="An id the service gave")]
"""A path id: within the databases' integer range (larger ones would be the driver's error)."""


async def _db(request: Request) -> Database:  # async: a sync dependency runs in the thread pool
    return get_db(request)


async def _settings(request: Request) -> Settings:
    return get_settings(request)


DB = Annotated[Database, Depends(_db)]
AppSettings = Annotated[Settings, Depends(_settings)]


def client_address(request: Request) -> str:
    """The client's address (behind a proxy: run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client is not None else "unknown"


def attempt(request: Request, settings: Settings, device: str | None = None) -> dict[str, Any]:
    """Where an attempt at a password comes from, as :func:`commonplan.accounts.sign_in` and
    :func:`~commonplan.accounts.change_password` count it: the client's address, the device
    token (``device``, else the browser's cookie) and the limits."""
    device = device or request.cookies.get(DEVICE_COOKIE)
    return {"client": client_address(request), "device": device, "settings": settings}


def session_token(request: Request, settings: Settings) -> tuple[str | None, str]:
    """The session token and where it came from: ``"bearer"``, ``"cookie"`` or ``""`` (none)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), "bearer"
    cookie = request.cookies.get(settings.cookie_name)
    if cookie:
        return cookie, "cookie"
    return None, ""


async def _submitted_csrf(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)  # starlette caches the parsed form
        return value if isinstance(value, str) else None
    return None


async def _member(request: Request, settings: Settings, required: bool) -> Principal | None:
    token, via = session_token(request, settings)
    if token is None:
        if required:
            raise AuthenticationError("not signed in: sign in, then send the session token")
        return None
    who = await run_in_threadpool(auth.authenticate, get_db(request), token, settings=settings)
    request.state.principal = who
    request.state.session_token = token
    request.state.auth_via = via
    request.state.csrf_token = auth.csrf_token(token)
    if via == "cookie" and request.method in UNSAFE:
        if not auth.same_token(await _submitted_csrf(request), request.state.csrf_token):
            raise CSRFError(
                f"this form or request lacks its CSRF token (header {CSRF_HEADER} or form field "
                f"{CSRF_FIELD}); reload the page and try again"
            )
    return who


BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="The token POST /api/v1/auth/sign-in answers (browsers: the session cookie)",
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
"""Declares the bearer scheme in the OpenAPI document; the token is read by :func:`_member`."""


async def current_member(request: Request, settings: AppSettings, _: Bearer) -> Principal:
    who = await _member(request, settings, required=True)
    assert who is not None
    return who


async def maybe_member(request: Request, settings: AppSettings, _: Bearer) -> Principal | None:
    return await _member(request, settings, required=False)


CurrentMember = Annotated[Principal, Depends(current_member)]
MaybeMember = Annotated[Principal | None, Depends(maybe_member)]


def facilitator(who: CurrentMember) -> Principal:
    if not who.is_facilitator:
        raise AuthorisationError(f"{who.handle!r} is not a facilitator; only facilitators do this")
    return who


def overseer(who: CurrentMember) -> Principal:
    if not (who.is_facilitator or who.is_auditor):
        raise AuthorisationError(
            f"{who.handle!r} is neither a facilitator nor an auditor; only they read this"
        )
    return who


Facilitator = Annotated[Principal, Depends(facilitator)]
Overseer = Annotated[Principal, Depends(overseer)]


def csrf_token_of(request: Request) -> str | None:
    """The CSRF token to put in a form (field :data:`CSRF_FIELD`) for the signed-in member."""
    return getattr(request.state, "csrf_token", None)


def secure_request(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, settings: Settings, session: auth.NewSession | None
) -> None:
    """Set (``session``) or clear (``None``) the session cookie: HttpOnly, SameSite=Lax, Secure
    over https; a new session also sets the device cookie (:data:`DEVICE_COOKIE`, kept a year)."""
    if session is None:
        response.delete_cookie(settings.cookie_name, path="/", httponly=True, samesite="lax")
        return
    secure = secure_request(request, settings)
    response.set_cookie(  # no max-age: the server's sliding expiry decides
        settings.cookie_name, session.token, path="/", httponly=True, samesite="lax", secure=secure
    )
    if session.device:
        response.set_cookie(
            DEVICE_COOKIE,
            session.device,
            max_age=DEVICE_DAYS * 86400,
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure,
        )


def form_token(request: Request, response: Response, settings: Settings) -> str:
    """A double-submit token for forms shown before sign-in: reuses or sets the cookie
    :data:`FORM_COOKIE`; put the value in the form's :data:`CSRF_FIELD`."""
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(
        FORM_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_request(request, settings),
    )
    return token


def check_form_token(request: Request, submitted: str | None) -> None:
    """Refuse (:class:`CSRFError`) a pre-sign-in form whose token differs from its cookie."""
    if not auth.same_token(submitted, request.cookies.get(FORM_COOKIE)):
        raise CSRFError("this form has expired or was not sent from this site; reload it")
