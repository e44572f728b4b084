"""Signing in and out, and setting one's password with an invitation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from commonplan import accounts as auth
from commonplan.accounts import RateLimitedError, Settings
from commonplan.errors import CommonplanError, PlanInputError
from commonplan.web import deps
from commonplan.web.deps import DB, AppSettings, CurrentMember
from commonplan.web.pages._base import (
    Refusal,
    failed,
    local_path,
    page,
    redirect,
    router,
    tr_of,
    wait,
    with_cookies,
)

# ---------------------------------------------------------------------- sign in and out


Password = Annotated[str, Form(max_length=1024)]
FormToken = Annotated[str, Form(max_length=200)]
"""The double-submit token of a form shown before sign-in (``deps.form_token``)."""


def _sign_in_page(
    request: Request, settings: Settings, target: str, handle: str = "", exc: Refusal = None
) -> Response:
    holder = Response()
    token = deps.form_token(request, holder, settings)
    context: dict[str, Any] = {"form_token": token, "next": target, "handle": handle}
    if exc is None:
        response: Response = page(request, "sign_in.html", **context)
    else:
        response = failed(request, exc, "sign_in.html", **context)
    return with_cookies(response, holder)


@router.get("/sign-in")
def sign_in_form(
    request: Request, settings: AppSettings, next: str = "/", handle: str = ""
) -> Response:
    return _sign_in_page(request, settings, target=local_path(next), handle=handle[:100])


@router.post("/sign-in")
async def sign_in(
    request: Request,
    db: DB,
    settings: AppSettings,
    handle: Annotated[str, Form(max_length=100)] = "",
    password: Password = "",
    csrf_token: FormToken = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = local_path(next)
    try:
        deps.check_form_token(request, csrf_token)
        attempt = deps.attempt(request, settings)
        new = await run_in_threadpool(auth.sign_in, db, handle, password, **attempt)
    except RateLimitedError as exc:
        tr = tr_of(request)
        worded = RateLimitedError(
            tr("signin.rate_limited", wait=wait(tr, exc.retry_after)), retry_after=exc.retry_after
        )
        return _sign_in_page(request, settings, target=target, handle=handle, exc=worded)
    except CommonplanError as exc:
        return _sign_in_page(request, settings, target=target, handle=handle, exc=exc)
    if new.reset_by:  # tell the member at once: a reset they did not ask for is a takeover
        target = "/?done=password_reset"
    response = RedirectResponse(target, status_code=303)
    deps.set_session_cookie(response, request, settings, new)
    return response


@router.post("/sign-out")
def sign_out(who: CurrentMember, request: Request, db: DB, settings: AppSettings) -> Response:
    auth.sign_out(db, request.state.session_token)
    response = redirect("/sign-in", "signed_out")
    deps.set_session_cookie(response, request, settings, None)
    return response


@router.get("/invitation/{token}")
def invitation_link(token: str) -> Response:
    """An older link with the token in its path: the browser is sent to the page with the token
    in the fragment, which it never sends again (the access log shows this path redacted)."""
    return RedirectResponse(f"/invitation#{quote(token[:200], safe='')}", status_code=303)


def _invitation_page(
    request: Request, settings: Settings, exc: CommonplanError | None = None
) -> Response:
    holder = Response()
    form = deps.form_token(request, holder, settings)
    if exc is None:
        response: Response = page(request, "invitation.html", form_token=form)
    else:
        response = failed(request, exc, "invitation.html", form_token=form)
    return with_cookies(response, holder)


def _to_sign_in(done: str, handle: str) -> Response:
    """To the sign-in form, the handle filled in, saying what was ``done``."""
    return RedirectResponse(f"/sign-in?{urlencode({'done': done, 'handle': handle})}", 303)


@dataclass(frozen=True)
class TypedTwice:
    """A new password as a form sends it: typed twice."""

    password: str
    again: str

    def checked(self, request: Request) -> str:
        """The password, if typed the same both times."""
        if self.password != self.again:
            raise PlanInputError(tr_of(request)("invitation.mismatch"))
        return self.password


def _typed_twice(password: Password = "", again: Password = "") -> TypedTwice:
    return TypedTwice(password, again)


NewPassword = Annotated[TypedTwice, Depends(_typed_twice)]


@router.get("/invitation")
def invitation_form(request: Request, settings: AppSettings) -> Response:
    """The form: /static/invitation.js copies the token from the link's fragment into it (or the
    member pastes it)."""
    return _invitation_page(request, settings)


@router.post("/invitation")
async def accept_invitation(
    request: Request,
    db: DB,
    settings: AppSettings,
    new: NewPassword,
    token: FormToken = "",
    csrf_token: FormToken = "",
) -> Response:
    try:
        deps.check_form_token(request, csrf_token)
        password = new.checked(request)
        handle = await run_in_threadpool(auth.accept_invitation, db, token.strip(), password)
    except CommonplanError as exc:
        return _invitation_page(request, settings, exc)
    return _to_sign_in("password_set", handle)


# ---------------------------------------------------------------------- one's own password


@router.get("/account/password")
def password_form(who: CurrentMember, request: Request) -> Response:
    """A signed-in member changes their password, giving the current one."""
    return page(request, "password.html")


@router.post("/account/password")
async def change_password(
    who: CurrentMember,
    request: Request,
    db: DB,
    settings: AppSettings,
    new: NewPassword,
    current: Password = "",
) -> Response:
    """Every session ends with the old password (this one too): the member signs in again."""
    try:
        password = new.checked(request)
        attempt = deps.attempt(request, settings)
        await run_in_threadpool(auth.change_password, db, who, current, password, **attempt)
    except CommonplanError as exc:
        return failed(request, exc, "password.html")
    response = _to_sign_in("password_changed", who.handle)
    deps.set_session_cookie(response, request, settings, None)
    return response
