"""What a signed-in member does through the service, for the API's routes and the pages alike:
each act checks who may do it (their federations, their role) and then calls the domain
(:mod:`commonplan.rounds`, :mod:`commonplan.federation`, :mod:`commonplan.accounts`) with
``actor=who.handle``, so both answer with the same refusals and messages."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import UploadFile
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from commonplan import accounts, members, rounds
from commonplan import federation as fed_service
from commonplan.accounts import Principal, Settings
from commonplan.errors import CommonplanError, PlanInputError, Said, said
from commonplan.members import MemberStatus
from commonplan.store import Database, get
from commonplan.store.models import Council
from commonplan.web.public import in_scope
from commonplan.web.schemas import (
    BallotCreate,
    FederationCreate,
    InvitationPublic,
    MemberCreate,
    PeriodCreate,
    ProposalAmend,
    ProposalCreate,
    RoundCreate,
)
from commonplan.web.scope import (
    federation_in_scope,
    not_auditor,
    proposal_in_scope,
    question_in_scope,
    root_in_scope,
    round_in_scope,
)

__all__ = [
    "MAX_CSV_BYTES",
    "amend_proposal",
    "cast",
    "cast_round",
    "create_federation",
    "csv_text",
    "file_proposal",
    "hide_proposal",
    "import_members",
    "invitation_url",
    "invite",
    "invite_many",
    "member_statuses",
    "members_from_csv",
    "open_period",
    "open_round",
    "read_upload",
    "withdraw_proposal",
]

T = TypeVar("T")
MAX_CSV_BYTES = 5 * 1024 * 1024


# ---------------------------------------------------------------------- rounds and proposals


def open_round(db: Database, who: Principal, federation: int, body: RoundCreate) -> int:
    """Open the next round of ``federation`` (a root), with optional deadlines per phase."""
    in_scope(db, who, root_in_scope, federation)
    at: dict[str, str] = {phase: when.isoformat() for phase, when in body.deadlines.items()}
    return rounds.open_round(db, federation, actor=who.handle, deadlines=at)


def file_proposal(db: Database, who: Principal, round_id: int, body: ProposalCreate) -> int:
    """File a proposal for one of ``who``'s councils; its id."""
    not_auditor(who, said("file proposals"))
    in_scope(db, who, round_in_scope, round_id)
    return rounds.file_proposal(db, round_id, actor=who.handle, **body.model_dump())


def amend_proposal(db: Database, who: Principal, proposal: int, body: ProposalAmend) -> int:
    """A new proposal of the same council and kind replaces ``proposal``; the new one's id."""
    not_auditor(who, said("amend proposals"))
    with db.transaction() as s:
        old = proposal_in_scope(who, s, proposal)
        council = get(s, Council, old.council_id, "council")
        round_id, name, kind = old.round_id, council.name, old.kind
    return rounds.file_proposal(
        db,
        round_id,
        actor=who.handle,
        council=name,
        kind=kind,
        amends=proposal,
        **body.model_dump(),
    )


def withdraw_proposal(
    db: Database, who: Principal, proposal: int, reason: str | None = None
) -> None:
    not_auditor(who, said("withdraw proposals"))
    in_scope(db, who, proposal_in_scope, proposal)
    rounds.withdraw_proposal(db, proposal, actor=who.handle, reason=reason)


def hide_proposal(db: Database, who: Principal, proposal: int, reason: str) -> None:
    """Hide an abusive proposal (a facilitator of its round's federation), saying why."""
    in_scope(db, who, proposal_in_scope, proposal)
    rounds.hide_proposal(db, proposal, actor=who.handle, reason=reason)


def open_period(db: Database, who: Principal, federation: int, body: PeriodCreate) -> int:
    """Open the first round of ``federation``'s next planning period (after ratification)."""
    in_scope(db, who, root_in_scope, federation)
    at: dict[str, str] = {phase: when.isoformat() for phase, when in body.deadlines.items()}
    return rounds.open_period(db, federation, actor=who.handle, deadlines=at)


def member_statuses(
    db: Database, who: Principal, federation: int, round_id: int | None = None
) -> tuple[MemberStatus, ...]:
    """The members of ``federation`` (one of ``who``'s) with their account's state and, for
    ``round_id``, whether they voted in it."""
    in_scope(db, who, federation_in_scope, federation)
    return members.member_statuses(db, federation, round_id=round_id)


# ---------------------------------------------------------------------- ballots


def cast(db: Database, who: Principal, question: int, body: BallotCreate) -> str:
    """Cast ``who``'s ballot in one box; its receipt code."""
    not_auditor(who, said("vote"))
    # A question of another federation answers 403 (an unknown one 404) before anything is said
    # about the ballot.  A ballot is only taken from a member of a council in the question's
    # federation, which is in their scope, so the scope is checked first where a ballot may come
    # back without being taken (a retry, with its receipt), else only when the ballot is refused.
    if body.receipt is not None:
        in_scope(db, who, question_in_scope, question)
    try:
        return rounds.cast_ballot(
            db, question, member=who.handle, choice=body.choice, receipt=body.receipt
        )
    except CommonplanError:
        in_scope(db, who, question_in_scope, question)
        raise


Choices = Mapping[int, Mapping[str, Any]]
"""Ballots by box: {question id: choice}."""


def cast_round(
    db: Database, who: Principal, round_id: int, choices: Choices, receipt: str | None = None
) -> str:
    """Cast ``who``'s ballots in boxes of round ``round_id`` ({question: choice}) under one
    receipt; the receipt.  All or none: :func:`commonplan.rounds.cast_round_ballots` checks every
    choice and casts them in one transaction (the pages' ballot form)."""
    not_auditor(who, said("vote"))
    with db.transaction() as s:
        for q in choices:
            question_in_scope(who, s, q)  # another federation's box is not found, not refused
    codes = rounds.cast_round_ballots(
        db, round_id, member=who.handle, choices=choices, receipt=receipt
    )
    return next(iter(codes.values()))


# ---------------------------------------------------------------------- federations, members


def create_federation(
    db: Database, who: Principal, body: FederationCreate, settings: Settings
) -> int:
    """Create the federation ``body`` describes, all or nothing; ``who`` serves it.  Its
    ``economy`` must be one the server offers."""
    if body.economy not in settings.economies:
        raise PlanInputError(
            said(
                "economy {economy!r} is not offered here; choose one of {offered}",
                economy=body.economy,
                offered=", ".join(settings.economies),
            )
        )
    root = fed_service.create_federation(db, body.description(), actor=who.handle)
    accounts.add_staff(db, who.handle, root, actor=who.handle)
    return root


def import_members(
    db: Database, who: Principal, federation: int, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Members into ``federation``'s councils, all or none; how many were added.  Facilitators
    and auditors without a council serve the federation."""
    staff = []
    with db.transaction() as s:
        root = federation_in_scope(who, s, federation)
        below = set(fed_service.subtree(s, root.id))
        inside = {
            name: kind
            for name, kind in s.execute(
                select(Council.name, Council.kind).where(Council.federation_id.in_(below))
            )
        }
        for k, row in enumerate(rows, start=1):
            handle = str(row.get("handle") or "").strip()
            named = [row.get(f"{kind}_council") for kind in ("workers", "consumers")]
            for name in named:
                if name and str(name) not in inside:
                    raise PlanInputError(
                        said(
                            "member row {row} ({handle}): no council named {name!r} "
                            "in federation {root!r}",
                            row=k,
                            handle=handle,
                            name=name,
                            root=root.name,
                        )
                    )
            role = str(row.get("role") or "member")
            if not any(named):
                if role == "member":
                    raise PlanInputError(
                        said(
                            "member row {row} ({handle}): a member needs a workers' or "
                            "consumers' council "
                            "(only facilitators and auditors may have none)",
                            row=k,
                            handle=handle,
                        )
                    )
                staff.append(handle)
    added = fed_service.add_members(db, rows, actor=who.handle)
    for handle in staff:
        accounts.add_staff(db, handle, root.id, actor=who.handle)
    return added


A_CSV_FILE = said("a CSV file")


def csv_text(filename: str | None, data: bytes, what: Said = A_CSV_FILE) -> str:
    """The text of an uploaded CSV file (``data``: at most :data:`MAX_CSV_BYTES`, plus one byte
    to tell a larger file; ``what``: the file as the message names it)."""
    if len(data) > MAX_CSV_BYTES:
        raise PlanInputError(
            said("{filename}: {what} is at most 5 MiB", filename=filename, what=what)
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanInputError(said("{filename}: not UTF-8 text", filename=filename)) from None
    if "\x00" in text:
        raise PlanInputError(
            said("{filename}: holds a NUL character; not a CSV text file", filename=filename)
        )
    return text


async def read_upload(file: UploadFile, parse: Callable[[str | None, bytes], T]) -> T:
    """``parse`` (off the event loop) of an uploaded file's name and bytes (at most
    :data:`MAX_CSV_BYTES`, plus one byte to tell a larger file)."""
    data = await file.read(MAX_CSV_BYTES + 1)
    return await run_in_threadpool(parse, file.filename, data)


def members_from_csv(filename: str | None, data: bytes) -> list[dict[str, Any]]:
    """The member rows of an uploaded CSV file (``data``: at most :data:`MAX_CSV_BYTES`, plus
    one byte to tell a larger file), each checked as :class:`MemberCreate`."""
    text = csv_text(filename, data, said("a member file"))
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = set(reader.fieldnames or ())
        rows = list(reader)
    except csv.Error as exc:
        raise PlanInputError(
            said("{filename}: not a CSV file ({exc})", filename=filename, exc=exc)
        ) from None
    if "handle" not in columns:
        raise PlanInputError(
            said(
                "{filename}: the first line names the columns; 'handle' is missing (columns: "
                "{columns})",
                filename=filename,
                columns=", ".join(fed_service.MEMBER_COLUMNS),
            )
        )
    members = []
    for k, row in enumerate(rows, start=2):
        given = {col: row.get(col) or None for col in fed_service.MEMBER_COLUMNS}
        try:
            members.append(
                MemberCreate.model_validate({**given, "role": given["role"] or "member"})
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise PlanInputError(
                said(
                    "{filename}, line {line}: {where}: {problem}",
                    filename=filename,
                    line=k,
                    where=where,
                    problem=first.get("msg", "invalid"),
                )
            ) from None
    return [m.model_dump() for m in members]


def invite(
    db: Database, who: Principal, handle: str, settings: Settings, *, reset: bool = False
) -> InvitationPublic:
    """A one-time invitation (valid for a week) for a member of ``who``'s federations who has no
    password yet, or (``reset``) a password reset; the domain checks that ``who`` serves every
    federation of the member.  The link is built on the configured base URL (never on the
    request's Host header), with the token in its fragment, which browsers never send."""
    issue = accounts.reset_password if reset else accounts.invite
    token = issue(db, handle, actor=who.handle, settings=settings, by=who)
    return InvitationPublic(
        handle=handle,
        token=token,
        url=invitation_url(settings, token) if settings.base_url else None,
        expires_at=datetime.now(UTC) + settings.invitation_lifetime,
        kind="reset" if reset else "invitation",
    )


def invite_many(
    db: Database, who: Principal, handles: Sequence[str], settings: Settings
) -> list[InvitationPublic]:
    """Invitations for many members of ``who``'s federations at once, all or none (a refusal
    names the line), each with its link as :func:`invite` builds it."""
    made = accounts.invite_many(db, handles, actor=who.handle, settings=settings, by=who)
    return [
        InvitationPublic(
            handle=i.handle,
            token=i.token,
            url=invitation_url(settings, i.token) if settings.base_url else None,
            expires_at=i.expires_at,
        )
        for i in made
    ]


def invitation_url(settings: Settings, token: str) -> str:
    """The invitation page with ``token`` in the fragment (kept out of requests and logs)."""
    return f"{settings.base_url}/invitation#{token}"
