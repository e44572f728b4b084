"""The facilitators' pages: create a federation (by a form, or from a description file),
import members, invite, open a round and take its steps, open the next planning period — each
step that cannot be undone (open or close the vote, open the next period, hide a proposal) only
after a page that says what will happen, with Confirm and Back (:func:`confirming`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
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
    round_info,
    router,
    tr_of,
)
from commonplan.web.pages._running import Upload, uploaded
from commonplan.web.schemas import (
    FederationCreate,
    PeriodCreate,
    RoundCreate,
)
from commonplan.web.scope import root_in_scope, round_in_scope
from commonplan.web.text import LANGUAGES, Translator, translator

# ---------------------------------------------------------------------- facilitators


@dataclass(frozen=True)
class Served:
    """A federation a facilitator serves, with its latest round and the steps open to them:
    open a round (none yet, or the last failed), open the next planning period (the last
    ratified)."""

    id: int
    name: str
    current: RoundInfo | None
    steps: list[tuple[str, str]]
    can_open: bool
    can_next_period: bool


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
        out.append(Served(fid, name, current, steps, can_open, phase == "ratified"))
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
        "setup": {"name": "", "level": "federation", "economy": "", "councils": "", "floors": ""},
        "economies": request.app.state.settings.economies,
        "copy_js": True,
        "kind_words": kind_words(tr),
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
        raise PlanInputError(tr("facilitate.federation.yaml", error=tr.error(exc))) from None


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


KINDS = ("workers", "consumers")
"""The kinds of council, as a federation's description names them."""


def kind_words(tr: Translator) -> dict[str, str]:
    """The word for each kind of council that the set-up form's hint shows in ``tr``'s language
    (``setup.kind.workers``: "arbetare" in Swedish), keyed by the kind."""
    return {kind: tr(f"setup.kind.{kind}") for kind in KINDS}


KIND_WORDS: dict[str, str] = {
    **{kind.removesuffix("s"): kind for kind in KINDS},  # "worker", "consumer"
    **{
        word.casefold(): kind
        for lang in LANGUAGES
        for kind, word in kind_words(translator(lang)).items()
    },
}
"""The words the set-up form reads as a kind of council, in any language of the pages and in
any case (casefolded): each language's word from its hint, and the English singulars."""


@dataclass(frozen=True)
class SetupForm:
    """The set-up form: a federation's name, level and economy, its councils as ``name, kind
    [, process codes]`` lines and its hard floors as ``product, amount per person`` lines."""

    name: str
    level: str
    economy: str
    councils: str
    floors: str

    def description(self, tr: Translator) -> dict[str, Any]:
        """The description :func:`commonplan.federation.create_federation` takes (as the YAML
        file gives it)."""
        councils = []
        for k, line in _lines(self.councils):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2 or not parts[0]:
                raise PlanInputError(tr("setup.bad_council", line=k, text=line[:80]))
            kind = KIND_WORDS.get(parts[1].casefold())
            if kind is None:
                words = kind_words(tr)
                raise PlanInputError(tr("setup.bad_kind", line=k, kind=parts[1][:40], **words))
            processes = " ".join(parts[2:]).split()
            councils.append({"name": parts[0], "kind": kind, "processes": processes})
        if not councils:
            raise PlanInputError(tr("setup.no_councils"))
        floors = []
        for k, line in _lines(self.floors):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != 2 or not parts[0]:
                raise PlanInputError(tr("setup.bad_floor", line=k, text=line[:80]))
            floors.append({"product": parts[0], "per_person": parts[1].replace(" ", "")})
        return {
            "name": self.name.strip(),
            "level": self.level.strip() or "federation",
            "economy": self.economy,
            "councils": councils,
            "floors": floors,
        }


def _lines(text: str) -> list[tuple[int, str]]:
    """The non-empty lines of ``text``, numbered from 1."""
    return [(k, line.strip()) for k, line in enumerate(text.splitlines(), start=1) if line.strip()]


Short = Annotated[str, Form(max_length=200)]
Lines = Annotated[str, Form(max_length=200_000)]


def _setup_form(
    name: Short = "",
    level: Short = "",
    economy: Short = "",
    councils: Lines = "",
    floors: Lines = "",
) -> SetupForm:
    return SetupForm(name, level, economy, councils, floors)


@router.post("/facilitate/federations/form")
async def create_federation_by_form(
    who: Facilitator,
    request: Request,
    db: DB,
    settings: AppSettings,
    sent: Annotated[SetupForm, Depends(_setup_form)],
) -> Response:
    """A federation set up from the form's fields: the same description the YAML file gives."""
    tr = tr_of(request)

    def create() -> None:
        body = form_model(FederationCreate, **sent.description(tr))
        acts.create_federation(db, who, body, settings)

    try:
        await run_in_threadpool(create)
    except CommonplanError as exc:
        return await run_in_threadpool(_facilitate, request, db, who, exc=exc, setup=asdict(sent))
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


Confirm = Annotated[str, Form(max_length=10)]
"""``yes`` from a confirmation page (:func:`confirming`); anything else asks first."""


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


@router.post("/facilitate/federations/{federation_id}/periods")
def open_period(
    federation_id: int,
    who: Facilitator,
    request: Request,
    db: DB,
    deadlines: Annotated[dict[str, str], Depends(_deadlines)],
    confirm: Confirm = "",
) -> Response:
    """Open the next planning period (after ratification), once confirmed."""
    tr = tr_of(request)
    try:
        body = form_model(PeriodCreate, deadlines=deadlines)
        if confirm != "yes":
            with db.transaction() as s:
                name = root_in_scope(who, s, federation_id).name
            said = tr("confirm.period", federation=name)
            action = f"/facilitate/federations/{federation_id}/periods"
            return confirming(request, said, action, deadlines)
        acts.open_period(db, who, federation_id, body)
    except CommonplanError as exc:
        return _facilitate(request, db, who, exc=exc)
    return redirect("/facilitate", "period_opened")


STEPS: dict[str, tuple[Callable[..., object], str]] = {
    "draft": (rounds.compute_draft, "draft_computed"),
    "vote": (rounds.open_vote, "vote_opened"),
    "close": (rounds.close_vote, "vote_closed"),
}
"""A round's steps: the domain's call (``(db, round_id, *, actor)``) and the notice after it."""


def confirming(
    request: Request,
    what: str,
    action: str,
    hidden: dict[str, str] | None = None,
    back: str = "/facilitate",
) -> HTMLResponse:
    """The page before a step that cannot be undone: ``what`` will happen, and a form that
    sends the same fields (``hidden``) again with ``confirm=yes`` to ``action``, or Back."""
    tr = tr_of(request)
    return page(
        request,
        "confirm.html",
        title=tr("confirm.title"),
        what=what,
        action=action,
        hidden=hidden or {},
        back=back,
    )


CONFIRMED = {"vote": "confirm.vote", "close": "confirm.close"}
"""The steps asked about first, with the message saying what they do."""


@router.post("/facilitate/rounds/{round_id}/{step}")
async def step(
    round_id: int, step: str, who: Facilitator, request: Request, db: DB, confirm: Confirm = ""
) -> Response:
    """Compute the draft, open the vote, close it (each as the API does it); opening and
    closing the vote only once confirmed."""
    tr = tr_of(request)
    if step not in STEPS:
        return render_error(request, 404, "not_found", tr("facilitate.no_step", step=step[:40]))
    action, done = STEPS[step]
    if step in CONFIRMED and confirm != "yes":
        info = await run_in_threadpool(round_info, db, who, round_id, tr)
        said = tr(CONFIRMED[step], number=info.round.number, federation=info.federation)
        return confirming(request, said, f"/facilitate/rounds/{round_id}/{step}")

    def run() -> None:
        public.in_scope(db, who, round_in_scope, round_id)
        action(db, round_id, actor=who.handle)

    try:
        await run_in_threadpool(run)
    except CommonplanError as exc:
        return await run_in_threadpool(_facilitate, request, db, who, exc=exc)
    return redirect("/facilitate", done)
