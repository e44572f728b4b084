"""Accounts: sign in and out, accept an invitation, who am I, change one's password, invite a
member or reset their password."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response, status
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from commonplan import accounts as auth
from commonplan.store.models import Council, Member
from commonplan.web import acts, deps, public
from commonplan.web.api._routes import CREATED, READ, Routes
from commonplan.web.deps import DB, AppSettings, CurrentMember, Facilitator
from commonplan.web.schemas import (
    InvitationAccept,
    InvitationPublic,
    InvitationsCreate,
    MemberPublic,
    MePublic,
    PasswordChange,
    SessionPublic,
    SignIn,
)
from commonplan.web.scope import council_names

routes = Routes("accounts", "Sign in and out, invitations, who am I.")


def _public(db: DB, who: auth.Principal) -> MemberPublic:
    with db.transaction() as s:
        m = s.get(Member, who.id)
        assert m is not None
        return public.member_public(m, council_names(s, set(who.councils)))


@routes.post("/auth/sign-in", (401, 422, 429))
async def sign_in(
    body: SignIn, request: Request, response: Response, db: DB, settings: AppSettings
) -> SessionPublic:
    """Sign in with handle and password

    Open a session.  API clients send the ``token`` as ``Authorization: Bearer``; browsers
    also get it as an HttpOnly cookie.  Five failures for one handle from one address (twenty
    from one address, a hundred for one handle from unknown devices) answer 429 with
    ``Retry-After``, for a wait that doubles with each further failure; a ``device`` token from
    an earlier sign-in is held back only by its own failures."""
    attempt = deps.attempt(request, settings, body.device)
    new = await run_in_threadpool(auth.sign_in, db, body.handle, body.password, **attempt)
    deps.set_session_cookie(response, request, settings, new)
    return SessionPublic(
        token=new.token,
        csrf_token=new.csrf_token,
        expires_at=new.expires_at,
        member=_public(db, new.principal),
        device_token=new.device,
        reset_by=list(new.reset_by),
    )


@routes.post("/auth/sign-out", (401, 403), status_code=status.HTTP_204_NO_CONTENT)
def sign_out(
    who: CurrentMember, request: Request, response: Response, db: DB, settings: AppSettings
) -> None:
    """Sign out (revoke this session)"""
    token, _ = deps.session_token(request, settings)
    if token is not None:
        auth.sign_out(db, token)
    deps.set_session_cookie(response, request, settings, None)


@routes.post("/auth/invitations/accept", (401, 422))
async def accept_invitation(body: InvitationAccept, db: DB) -> MemberPublic:
    """Set one's password with an invitation token

    Spend a one-time invitation: the member's password is set and any sessions end; sign in
    next."""
    handle = await run_in_threadpool(auth.accept_invitation, db, body.token, body.password)
    with db.transaction() as s:
        m = s.execute(select(Member).where(Member.handle == handle)).scalar_one()
        ids = {c for c in (m.workers_council_id, m.consumers_council_id) if c}
        return public.member_public(m, council_names(s, ids))


@routes.get("/me", (401,))
def me(who: CurrentMember, request: Request, db: DB) -> MePublic:
    """Who is signed in"""
    with db.transaction() as s:
        councils = s.execute(
            select(Council).where(Council.id.in_(who.councils)).order_by(Council.id)
        ).scalars()
        listed = [public.council_public(c) for c in councils]
    return MePublic(
        handle=who.handle,
        name=who.name,
        roles=list(who.roles),
        councils=listed,
        delegate_of=list(who.delegate_of),
        federations=sorted(who.federations),
        csrf_token=getattr(request.state, "csrf_token", None)
        if getattr(request.state, "auth_via", "") == "cookie"
        else None,
    )


@routes.post("/me/password", (401, 403, 422, 429), status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange,
    who: CurrentMember,
    request: Request,
    response: Response,
    db: DB,
    settings: AppSettings,
) -> None:
    """Change one's password

    Give the current password and the new one; every session ends (sign in again).  A wrong
    current password counts as a failed sign-in (429 once the limits hold it back)."""
    current, new = body.current_password, body.new_password
    attempt = deps.attempt(request, settings)
    await run_in_threadpool(auth.change_password, db, who, current, new, **attempt)
    deps.set_session_cookie(response, request, settings, None)


HandlePath = Annotated[str, Path(max_length=100, pattern=r"^[^\x00]+$")]


@routes.post("/members/{handle}/invitations", (*READ, 409), status_code=CREATED)
def invite(handle: HandlePath, who: Facilitator, db: DB, settings: AppSettings) -> InvitationPublic:
    """Invite a member to set their first password (facilitators)

    A one-time token (valid for a week) with which a member who has no password yet sets one.
    It is shown once; a new invitation does not cancel older ones until the password is set.
    Only a facilitator of every federation the member belongs to may invite them; a member who
    has a password already is refused (409): see the password reset."""
    return acts.invite(db, who, handle, settings)


@routes.post("/members/{handle}/password-resets", READ, status_code=CREATED)
def reset_password(
    handle: HandlePath, who: Facilitator, db: DB, settings: AppSettings
) -> InvitationPublic:
    """Reset a member's password (facilitators of every federation of the member)

    A one-time token (valid for a week) with which the member sets a new password; their old
    one works until then.  The reset is written to the audit log and shown to the member at
    their next sign-in (``reset_by``)."""
    return acts.invite(db, who, handle, settings, reset=True)


@routes.post("/invitations", (401, 403, 404, 409, 422), status_code=CREATED)
def invite_many(
    body: InvitationsCreate, who: Facilitator, db: DB, settings: AppSettings
) -> list[InvitationPublic]:
    """Invite many members at once (facilitators)

    One invitation per handle, in the order given, all or none: an unknown handle, one given
    twice, one who has a password already or one of a federation the facilitator does not
    serve is refused naming its line (1 is the first handle).  Each token is shown once."""
    return acts.invite_many(db, who, body.handles, settings)
