"""The API's bodies for accounts: sign-in, sessions, invitations, passwords, members."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commonplan.web.schemas._base import Handle, Instant, _In
from commonplan.web.schemas.federations import CouncilPublic

__all__ = [
    "InvitationAccept",
    "InvitationPublic",
    "MePublic",
    "MemberPublic",
    "Password",
    "PasswordChange",
    "ReceiptLookup",
    "SessionPublic",
    "SignIn",
]

Password = Field(min_length=1, max_length=1024, examples=["correct horse battery"])


class SignIn(_In):
    handle: str = Handle
    password: str = Password
    device: str | None = Field(
        default=None,
        max_length=200,
        description="The device_token of an earlier sign-in from this device: it is let "
        "through while failures from unknown devices hold the handle back (browsers send the "
        "device cookie instead)",
    )


class SessionPublic(BaseModel):
    """A new session: send ``token`` as ``Authorization: Bearer``; a browser gets it as an
    HttpOnly cookie instead and sends ``csrf_token`` in ``X-CSRF-Token``."""

    token: str
    csrf_token: str
    expires_at: Instant
    member: MemberPublic
    device_token: str = Field(
        description="Keep it and send it as ``device`` when signing in again from this device"
    )
    reset_by: list[str] = Field(
        default_factory=list,
        description="Facilitators whose password resets were used since the member last signed "
        "in: if they did not ask for one, someone else may have signed in as them",
    )


class InvitationAccept(_In):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class InvitationPublic(BaseModel):
    """Give ``token`` (or ``url``) to the member, once: it is not stored and cannot be shown
    again.  ``kind``: ``invitation`` (a first password) or ``reset`` (a new one)."""

    handle: str
    token: str
    url: str | None
    expires_at: Instant
    kind: str = "invitation"


class ReceiptLookup(_In):
    receipt: str = Field(pattern=r"^[A-Za-z0-9-]{4,64}$", examples=["K7QX-2M9P-TT4D"])


class PasswordChange(_In):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Password


class MemberPublic(BaseModel):
    handle: str
    name: str
    role: str
    workers_council: str | None = None
    consumers_council: str | None = None


class MePublic(BaseModel):
    """The signed-in member: roles (``member``, ``delegate``, ``facilitator``, ``auditor``),
    councils, the councils they are delegate of, and their federations."""

    handle: str
    name: str
    roles: list[str]
    councils: list[CouncilPublic]
    delegate_of: list[int]
    federations: list[int]
    csrf_token: str | None = Field(
        default=None, description="Only for cookie sessions: send it in X-CSRF-Token"
    )
