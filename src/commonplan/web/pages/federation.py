"""The facilitators' pages: create a federation, import members, invite, open a round and take
its steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from commonplan import rounds
from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, FormatError, PlanInputError
from commonplan.federation import parse_yaml
from commonplan.store import Database
from commonplan.web import acts, public
from commonplan.web.deps import DB, AppSettings, Facilitator
from commonplan.web.pages._base import (
    Refusal,
    RoundInfo,
    failed,
    federations_of,
    form_model,
    info_of,
    page,
    redirect,
    render_error,
    router,
    tr_of,
)
from commonplan.web.pages._running import Upload, uploaded
from commonplan.web.schemas import (
    FederationCreate,
    RoundCreate,
)
from commonplan.web.scope import round_in_scope
from commonplan.web.text import Translator

# ---------------------------------------------------------------------- facilitators


@dataclass(frozen=True)
class Served:
    """A federation a facilitator serves, with its latest round and the steps open to them."""

    id: int
    name: str
    current: RoundInfo | None
    steps: list[tuple[str, str]]
    can_open: bool


def _served(db: Database, who: Principal, tr: Translator) -> list[Served]:
    out = []
    for fid, name, held in federations_of(db, who):
        current = info_of(db, held[-1], tr) if held else None
        phase = current.round.phase if current is not None else None
        steps = {
            "proposals": [("draft", tr("facilitate.draft"))],
            "feedback": [("draft", tr("facilitate.redraft")), ("vote", tr("facilitate.open_vote"))],
            "vote": [("close", tr("facilitate.close_vote"))],
        }.get(phase or "", [])
        can_open = phase is None or phase == "failed"
        out.append(Served(fid, name, current, steps, can_open))
    return out


def _facilitate(
    request: Request, db: Database, who: Principal, *, exc: Refusal = None, **extra: Any
) -> HTMLResponse:
    tr = tr_of(request)
    context: dict[str, Any] = {
        "title": tr("facilitate.title"),
        "served": _served(db, who, tr),
        "invited": None,
        "form": {"yaml": ""},
        **extra,
    }
    if exc is None:
        return page(request, "facilitate.html", **context)
    return failed(request, exc, "facilitate.html", **context)


@router.get("/facilitate")
def facilitate(who: Facilitator, request: Request, db: DB) -> HTMLResponse:
    return _facilitate(request, db, who)


async def _text_of(tr: Translator, upload: UploadFile | None, limit: int) -> str | None:
    """An uploaded file's text (UTF-8), or ``None`` when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PlanInputError(tr("upload.too_big", file=upload.filename, kib=limit // 1024))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanInputError(tr("upload.not_utf8", file=upload.filename)) from None


def load_yaml(text: str, tr: Translator) -> Any:
    """A federation's description from YAML (aliases refused: :func:`federation.parse_yaml`)."""
    try:
        return parse_yaml(text)
    except FormatError as exc:
        raise PlanInputError(tr("facilitate.federation.yaml", error=str(exc))) from None


@router.post("/facilitate/federations")
async def create_federation(
    who: Facilitator,
    request: Request,
    db: DB,
    settings: AppSettings,
    description: Annotated[str, Form(max_length=1_000_000)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    tr = tr_of(request)
    try:
        raw = await _text_of(tr, upload, 1_000_000) or description
        if not raw.strip():
            raise PlanInputError(tr("facilitate.federation.empty"))

        def create() -> None:  # parsing and checking are CPU work: off the event loop
            data = load_yaml(raw, tr)
            if not isinstance(data, dict):
                raise PlanInputError(tr("facilitate.federation.mapping"))
            body = form_model(FederationCreate, **data)
            acts.create_federation(db, who, body, settings)

        await run_in_threadpool(create)
    except CommonplanError as exc:
        return await run_in_threadpool(
            _facilitate, request, db, who, exc=exc, form={"yaml": description}
        )
    return redirect("/facilitate", "federation_created")


@router.post("/facilitate/federations/{federation_id}/members")
async def import_members(
    federation_id: int, who: Facilitator, request: Request, db: DB, upload: Upload = None
) -> Response:
    tr = tr_of(request)
    try:
        rows = await uploaded(tr, upload, acts.members_from_csv, "facilitate.members.none")
        added = await run_in_threadpool(acts.import_members, db, who, federation_id, rows)
    except CommonplanError as exc:
        return await run_in_threadpool(_facilitate, request, db, who, exc=exc)
    return redirect("/facilitate", "members_added" if added else "members_none")


@router.post("/facilitate/invitations")
def invite(
    who: Facilitator,
    request: Request,
    db: DB,
    settings: AppSettings,
    handle: Annotated[str, Form(max_length=100)] = "",
    reset: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """An invitation link (a member without a password), or with ``reset`` a password reset;
    the link is on the configured base URL, never on the request's Host header."""
    try:
        invited = acts.invite(db, who, handle.strip(), settings, reset=bool(reset))
    except CommonplanError as exc:
        return _facilitate(request, db, who, exc=exc)
    link = invited.url or acts.invitation_url(settings, invited.token)
    return _facilitate(request, db, who, invited={"handle": invited.handle, "link": link})


Deadline = Annotated[str, Form(max_length=40)]


def _deadlines(
    proposals: Deadline = "", feedback: Deadline = "", vote: Deadline = ""
) -> dict[str, str]:
    """The deadlines the form gives, by phase (empty fields left out)."""
    given = {"proposals": proposals, "feedback": feedback, "vote": vote}
    return {k: v for k, v in given.items() if v.strip()}


@router.post("/facilitate/federations/{federation_id}/rounds")
def open_round(
    federation_id: int,
    who: Facilitator,
    request: Request,
    db: DB,
    deadlines: Annotated[dict[str, str], Depends(_deadlines)],
) -> Response:
    try:
        body = form_model(RoundCreate, deadlines=deadlines)
        acts.open_round(db, who, federation_id, body)
    except CommonplanError as exc:
        return _facilitate(request, db, who, exc=exc)
    return redirect("/facilitate", "round_opened")


STEPS: dict[str, tuple[Callable[..., object], str]] = {
    "draft": (rounds.compute_draft, "draft_computed"),
    "vote": (rounds.open_vote, "vote_opened"),
    "close": (rounds.close_vote, "vote_closed"),
}
"""A round's steps: the domain's call (``(db, round_id, *, actor)``) and the notice after it."""


@router.post("/facilitate/rounds/{round_id}/{step}")
async def step(round_id: int, step: str, who: Facilitator, request: Request, db: DB) -> Response:
    """Compute the draft, open the vote, close it (each as the API does it)."""
    if step not in STEPS:
        return render_error(
            request, 404, "not_found", tr_of(request)("facilitate.no_step", step=step[:40])
        )
    action, done = STEPS[step]

    def run() -> None:
        public.in_scope(db, who, round_in_scope, round_id)
        action(db, round_id, actor=who.handle)

    try:
        await run_in_threadpool(run)
    except CommonplanError as exc:
        return await run_in_threadpool(_facilitate, request, db, who, exc=exc)
    return redirect("/facilitate", done)
