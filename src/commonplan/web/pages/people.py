"""The facilitators' pages about people: the member list (each member's account and whether
they voted in the latest round, filtered by state) and invitations for many members at once
(a pasted list of handles or a CSV file → each one's link, shown once, with a copy button)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, PlanInputError, said
from commonplan.members import ACCOUNT_STATES, MemberStatus
from commonplan.store import Database
from commonplan.web import acts, public
from commonplan.web.deps import DB, AppSettings, Facilitator
from commonplan.web.pages._base import Choice, failed, page, router, tr_of
from commonplan.web.pages._running import Upload, uploaded
from commonplan.web.scope import federation_in_scope
from commonplan.web.text import Translator

# ---------------------------------------------------------------------- the member list


@dataclass(frozen=True)
class MemberRow:
    """A member as the list shows them: handle and name, councils and role, account state and
    (where a round has a vote) whether they voted in it — never how."""

    handle: str
    name: str
    councils: str
    account: str
    voted: str | None


def _state(m: MemberStatus) -> str:
    return m.account.replace(" ", "_")


def member_rows(
    tr: Translator, found: tuple[MemberStatus, ...], number: int | None
) -> list[MemberRow]:
    out = []
    for m in found:
        until = tr.date(m.invited_until) if m.invited_until is not None else ""
        voted = None
        if m.voted is not None and number is not None:
            voted = tr("members.voted" if m.voted else "members.not_voted", number=number)
        councils = ", ".join(c for c in (m.workers_council, m.consumers_council) if c)
        role = tr(f"role.{m.role}")
        out.append(
            MemberRow(
                handle=m.handle,
                name=m.name or m.handle,
                councils=f"{councils} · {role}" if councils else role,
                account=tr(f"members.account.{_state(m)}", until=until),
                voted=voted,
            )
        )
    return out


def _members_context(
    db: Database, who: Principal, federation: int, tr: Translator, state: str
) -> dict[str, Any]:
    with db.transaction() as s:
        name = federation_in_scope(who, s, federation).name
    held = public.rounds_of(db, who, federation)
    last = held[-1] if held else None
    voting = last if last is not None and last.questions else None
    found = acts.member_statuses(db, who, federation, voting.id if voting else None)
    number = voting.number if voting is not None else None
    states = [
        Choice(a.replace(" ", "_"), tr(f"members.state.{a.replace(' ', '_')}"))
        for a in ACCOUNT_STATES
    ]
    if number is not None:
        states += [
            Choice("voted", tr("members.state.voted", number=number)),
            Choice("not_voted", tr("members.state.not_voted", number=number)),
        ]
    chosen = state if state in {c.value for c in states} else ""
    shown = [
        m
        for m in found
        if not chosen
        or _state(m) == chosen
        or (chosen == "voted" and m.voted is True)
        or (chosen == "not_voted" and m.voted is False)
    ]
    return {
        "title": tr("members.title", federation=name),
        "federation": federation,
        "states": states,
        "chosen": chosen,
        "members": member_rows(tr, tuple(shown), number),
        "count": len(shown),
    }


@router.get("/facilitate/federations/{federation_id}/members")
def member_list(
    federation_id: int, who: Facilitator, request: Request, db: DB, state: str = ""
) -> HTMLResponse:
    """The federation's members with their account's state and whether they voted in the
    latest round's vote, filtered by ``state`` (an account state, ``voted``, ``not_voted``)."""
    tr = tr_of(request)
    return page(request, "members.html", **_members_context(db, who, federation_id, tr, state))


# ---------------------------------------------------------------------- invitations for many


def handles_from_csv(filename: str | None, data: bytes) -> list[str]:
    """The handles of an uploaded CSV file: its ``handle`` column (the first line names the
    columns), else — one column, no header naming ``handle`` — every line's first field."""
    text = acts.csv_text(filename, data, said("a CSV file of handles"))
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise PlanInputError(
            said("{filename}: not a CSV file ({exc})", filename=filename, exc=exc)
        ) from None
    if not rows:
        return []
    head = [c.strip().lower() for c in rows[0]]
    if "handle" in head:
        k = head.index("handle")
        return [r[k].strip() for r in rows[1:] if len(r) > k and r[k].strip()]
    if len(head) > 1:
        raise PlanInputError(
            said(
                "{filename}: the first line names the columns; 'handle' is missing",
                filename=filename,
            )
        )
    return [r[0].strip() for r in rows if r and r[0].strip()]


def _invite_context(tr: Translator, **extra: Any) -> dict[str, Any]:
    return {
        "title": tr("invite_many.title"),
        "handles": "",
        "invited": [],
        "copy_js": True,
        **extra,
    }


@router.get("/facilitate/invitations")
def invite_form(who: Facilitator, request: Request) -> HTMLResponse:
    return page(request, "invite_many.html", **_invite_context(tr_of(request)))


Handles = Annotated[str, Form(max_length=1_000_000)]


@router.post("/facilitate/invitations/many")
async def invite_many(
    who: Facilitator,
    request: Request,
    db: DB,
    settings: AppSettings,
    handles: Handles = "",
    upload: Upload = None,
) -> Response:
    """An invitation link for each handle listed (or in the CSV file), all or none; the links
    are shown once, on this answer (never stored, never in a URL)."""
    tr = tr_of(request)
    try:
        listed = [h.strip() for h in handles.splitlines() if h.strip()]
        if upload is not None and upload.filename:
            listed += await uploaded(tr, upload, handles_from_csv)
        if not listed:
            raise PlanInputError(tr("invite_many.none"))
        made = await run_in_threadpool(acts.invite_many, db, who, listed, settings)
    except CommonplanError as exc:
        return failed(request, exc, "invite_many.html", **_invite_context(tr, handles=handles))
    invited = [(i.handle, i.url or acts.invitation_url(settings, i.token)) for i in made]
    return page(request, "invite_many.html", **_invite_context(tr, invited=invited))
