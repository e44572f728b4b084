"""The server-rendered pages: sign in, a member's home, proposals, the draft plan with charts, the
ballot, results and history, finding one's ballot, and the facilitators' pages.

:func:`commonplan.web.create_app` calls ``install(app)``, which adds the routes, ``/static``,
the vendored plotly.js, and ``app.state.render_error`` so that errors outside ``/api/`` are HTML
pages.  The pages act through the same
functions as the REST API (:mod:`commonplan.web.api`), so authorisation, validation and messages
are the API's: a page only turns form fields into the API's bodies and renders what comes back.

Every page works without JavaScript (plain forms carrying the CSRF token); charts are drawn by
plotly.js where it runs and listed as text under each chart.  Every word on the pages comes from
:mod:`commonplan.web.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

import jinja2
import plotly  # type: ignore[import-untyped]
import yaml
from fastapi import APIRouter, FastAPI, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from commonplan import accounts as auth
from commonplan.accounts import Principal, RateLimitedError, Settings
from commonplan.errors import CommonplanError, PlanInputError, VotingError
from commonplan.federation import economy_of
from commonplan.rounds import KINDS, new_receipt
from commonplan.store import Database
from commonplan.store.models import Council, Federation
from commonplan.voting import choices as voting
from commonplan.web import charts as chart
from commonplan.web import deps, errors
from commonplan.web.api import accounts as api_accounts
from commonplan.web.api import board as api_board
from commonplan.web.api import federations as api_federations
from commonplan.web.api import plans as api_plans
from commonplan.web.api import proposals as api_proposals
from commonplan.web.api import rounds as api_rounds
from commonplan.web.api import votes as api_votes
from commonplan.web.deps import DB, AppSettings, CurrentMember, Facilitator
from commonplan.web.schemas import (
    BallotCreate,
    FederationCreate,
    ProposalAmend,
    ProposalCreate,
    ProposalPublic,
    QuestionPublic,
    RoundCreate,
    RoundPublic,
)
from commonplan.web.text import Translator, negotiate, translator

__all__ = ["PLOTLY_JS", "install", "render_error", "router"]

router = APIRouter(include_in_schema=False)

PLOTLY_JS = f"/vendor/plotly-{plotly.__version__}.min.js"
"""Where the pages load plotly.js from: the file the installed ``plotly`` package ships."""
_PLOTLY_FILE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_STATIC = resources.files("commonplan.web") / "static"
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("commonplan.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
CLOSED = ("ratified", "failed")
"""Phases of a round that has ended."""
T = TypeVar("T")


# ---------------------------------------------------------------------- the app


def install(app: FastAPI) -> None:
    """Add the pages, ``/static``, the vendored plotly.js and the HTML error pages to ``app``
    (once; a second call changes nothing)."""
    if getattr(app.state, "pages_installed", False):
        return
    app.state.pages_installed = True
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    app.state.render_error = render_error


@router.get(PLOTLY_JS)
def plotly_js() -> FileResponse:
    """plotly.js from the installed ``plotly`` package (never a CDN); its version is in the path,
    so browsers may keep it for a year."""
    return FileResponse(
        _PLOTLY_FILE,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


# ---------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Problem:
    """An error as the page shows it: a headline for its kind and the library's message."""

    kind: str
    title: str
    detail: str


def _tr(request: Request) -> Translator:
    return translator(negotiate(request.headers.get("accept-language")))


def _problem(tr: Translator, kind: str, detail: str) -> Problem:
    return Problem(kind, tr.maybe(f"error.{kind}", tr("error.error")), detail)


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    error: Problem | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the translator ``t``, the signed-in member ``who``, the form's
    ``csrf`` token and a ``notice`` (from ``?done=KEY``, a message of the catalogue)."""
    tr = _tr(request)
    done = request.query_params.get("done", "")
    notice = tr(f"done.{done}") if done and tr.has(f"done.{done}") else None
    html = _ENV.get_template(template).render(
        t=tr,
        lang=tr.lang,
        who=getattr(request.state, "principal", None),
        csrf=deps.csrf_token_of(request),
        csrf_field=deps.CSRF_FIELD,
        path=request.url.path,
        plotly_js=PLOTLY_JS,
        error=error,
        notice=notice,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    return response


def failed(request: Request, exc: CommonplanError, template: str, **context: Any) -> HTMLResponse:
    """``template`` again with the error shown in it, under the status the API answers with."""
    status, kind, detail = errors.problem(exc)
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    return page(
        request,
        template,
        status=status,
        error=_problem(_tr(request), kind, detail),
        headers=headers,
        **context,
    )


def render_error(request: Request, status: int, kind: str, detail: str) -> Response:
    """``app.state.render_error``: the error page; a page that needs a session sends the browser
    to the sign-in page instead (and back after)."""
    if status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/sign-in?{urlencode({'next': target})}", status_code=303)
        if request.app.state.settings.cookie_name in request.cookies:
            deps.set_session_cookie(response, request, request.app.state.settings, None)
        return response
    return page(request, "error.html", status=status, error=_problem(_tr(request), kind, detail))


def _redirect(path: str, done: str | None = None) -> RedirectResponse:
    return RedirectResponse(path + (f"?done={quote(done)}" if done else ""), status_code=303)


def _local(target: str) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirects)."""
    ok = (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(c.isspace() or not c.isprintable() for c in target)
    )
    return target if ok else "/"


def _invalid(exc: ValidationError) -> PlanInputError:
    """A pydantic error as the API words it: ``field: message``."""
    return PlanInputError(errors.describe(exc.errors(), "form"))


def _model(cls: Callable[..., T], **fields: Any) -> T:
    try:
        return cls(**fields)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _with_cookies(response: Response, source: Response) -> Response:
    response.raw_headers.extend(h for h in source.raw_headers if h[0] == b"set-cookie")
    return response


# ---------------------------------------------------------------------- what pages read


@dataclass(frozen=True)
class RoundInfo:
    """A round as its pages head it: the round, its federation's name, the deadline of the
    phase it is in and the time left to it."""

    round: RoundPublic
    federation: str
    deadline: str | None
    time_left: str | None

    @property
    def id(self) -> int:
        return self.round.id

    @property
    def closed(self) -> bool:
        return self.round.phase in CLOSED


def time_left(tr: Translator, seconds: float) -> str:
    """``2 d 3 h``, ``5 h 10 min``, ``12 min``; ``tr("time.passed")`` at 0."""
    if seconds <= 0:
        return tr("time.passed")
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return tr("time.days_hours", days=days, hours=hours)
    if hours:
        return tr("time.hours_minutes", hours=hours, minutes=rest // 60)
    return tr("time.minutes", minutes=max(1, rest // 60))


def wait(tr: Translator, seconds: int) -> str:
    """A wait for the rate limit: seconds below two minutes, else minutes."""
    if seconds < 120:
        return tr("time.seconds", seconds=seconds)
    return tr("time.minutes", minutes=(seconds + 59) // 60)


def round_info(db: Database, who: Principal, round_id: int, tr: Translator) -> RoundInfo:
    r = api_rounds.read_round(round_id, who, db)
    return _info(db, r, tr)


def _info(db: Database, r: RoundPublic, tr: Translator) -> RoundInfo:
    with db.transaction() as s:
        fed = s.get(Federation, r.federation)
        name = fed.name if fed is not None else str(r.federation)
    current = next((d for d in r.deadlines if d.phase == r.phase), None)
    return RoundInfo(
        round=r,
        federation=name,
        deadline=current.at.strftime("%Y-%m-%d %H:%M UTC") if current is not None else None,
        time_left=time_left(tr, current.seconds_left) if current is not None else None,
    )


@dataclass(frozen=True)
class CouncilRow:
    id: int
    name: str
    kind: str


def councils_of(db: Database, who: Principal) -> list[CouncilRow]:
    with db.transaction() as s:
        rows = s.execute(
            select(Council).where(Council.id.in_(who.councils)).order_by(Council.id)
        ).scalars()
        return [CouncilRow(c.id, c.name, c.kind) for c in rows]


def federation_names(db: Database, ids: Sequence[int]) -> dict[int, str]:
    with db.transaction() as s:
        return {
            f.id: f.name
            for f in s.execute(select(Federation).where(Federation.id.in_(ids))).scalars()
        }


@dataclass(frozen=True)
class Task:
    """What is asked of the member now: a message and where to do it."""

    message: str
    href: str | None
    action: str | None = None


def tasks(db: Database, who: Principal, info: RoundInfo | None, tr: Translator) -> list[Task]:
    """What the round asks of ``who`` in its phase."""
    out: list[Task] = []
    if info is None:
        out.append(Task(tr("home.ask.wait"), None))
    else:
        rid, phase = info.id, info.round.phase
        if phase == "proposals":
            out.append(Task(tr("home.ask.file"), f"/rounds/{rid}/proposals", tr("nav.proposals")))
        elif phase == "feedback":
            out.append(Task(tr("home.ask.read_draft"), f"/rounds/{rid}/plan", tr("nav.plan")))
            out.append(Task(tr("home.ask.amend"), f"/rounds/{rid}/proposals", tr("nav.proposals")))
        elif phase == "vote":
            questions = api_rounds.questions(rid, who, db)
            if any(q.status == "open" and not q.voted for q in questions):
                out.append(Task(tr("home.ask.vote"), f"/rounds/{rid}/vote", tr("nav.vote")))
            else:
                out.append(Task(tr("home.ask.voted"), "/board/find", tr("nav.find")))
        else:
            out.append(Task(tr("home.ask.result"), f"/rounds/{rid}/result", tr("nav.result")))
    if who.is_facilitator:
        out.append(Task(tr("home.ask.facilitate"), "/facilitate", tr("nav.facilitate")))
    return out


# ---------------------------------------------------------------------- sign in and out


def _sign_in_page(
    request: Request,
    settings: Settings,
    *,
    target: str,
    handle: str = "",
    exc: CommonplanError | None = None,
) -> Response:
    holder = Response()
    token = deps.form_token(request, holder, settings)
    context: dict[str, Any] = {"form_token": token, "next": target, "handle": handle}
    if exc is None:
        response: Response = page(request, "sign_in.html", **context)
    else:
        response = failed(request, exc, "sign_in.html", **context)
    return _with_cookies(response, holder)


@router.get("/sign-in")
def sign_in_form(
    request: Request, settings: AppSettings, next: str = "/", handle: str = ""
) -> Response:
    return _sign_in_page(request, settings, target=_local(next), handle=handle[:100])


@router.post("/sign-in")
async def sign_in(
    request: Request,
    db: DB,
    settings: AppSettings,
    handle: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = _local(next)
    try:
        deps.check_form_token(request, csrf_token)
        new = await run_in_threadpool(
            auth.sign_in,
            db,
            handle,
            password,
            client=deps.client_address(request),
            settings=settings,
        )
    except RateLimitedError as exc:
        tr = _tr(request)
        worded = RateLimitedError(
            tr("signin.rate_limited", wait=wait(tr, exc.retry_after)), retry_after=exc.retry_after
        )
        return _sign_in_page(request, settings, target=target, handle=handle, exc=worded)
    except CommonplanError as exc:
        return _sign_in_page(request, settings, target=target, handle=handle, exc=exc)
    response = RedirectResponse(target, status_code=303)
    deps.set_session_cookie(response, request, settings, new)
    return response


@router.post("/sign-out")
def sign_out(who: CurrentMember, request: Request, db: DB, settings: AppSettings) -> Response:
    auth.sign_out(db, request.state.session_token)
    response = _redirect("/sign-in", "signed_out")
    deps.set_session_cookie(response, request, settings, None)
    return response


@router.get("/invitation/{token}")
def invitation_form(token: str, request: Request, settings: AppSettings) -> Response:
    holder = Response()
    form = deps.form_token(request, holder, settings)
    return _with_cookies(page(request, "invitation.html", form_token=form, token=token), holder)


@router.post("/invitation/{token}")
async def accept_invitation(
    token: str,
    request: Request,
    db: DB,
    settings: AppSettings,
    password: Annotated[str, Form(max_length=1024)] = "",
    again: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    tr = _tr(request)
    try:
        deps.check_form_token(request, csrf_token)
        if password != again:
            raise PlanInputError(tr("invitation.mismatch"))
        handle = await run_in_threadpool(auth.accept_invitation, db, token, password)
    except CommonplanError as exc:
        holder = Response()
        form = deps.form_token(request, holder, settings)
        response = failed(request, exc, "invitation.html", form_token=form, token=token)
        return _with_cookies(response, holder)
    query = urlencode({"done": "password_set", "handle": handle})
    return RedirectResponse(f"/sign-in?{query}", status_code=303)


# ---------------------------------------------------------------------- home


@dataclass(frozen=True)
class FederationHome:
    id: int
    name: str
    current: RoundInfo | None
    tasks: list[Task]


@router.get("/")
def home(who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = _tr(request)
    names = federation_names(db, sorted(who.federations))
    feds = []
    for fid in sorted(who.federations):
        rounds = api_rounds.history(fid, who, db)
        current = _info(db, rounds[-1], tr) if rounds else None
        feds.append(
            FederationHome(fid, names.get(fid, str(fid)), current, tasks(db, who, current, tr))
        )
    roles = [tr(f"role.{r}") for r in who.roles]
    return page(
        request,
        "home.html",
        title=tr("home.title", name=who.name),
        councils=councils_of(db, who),
        federations=feds,
        roles=roles,
    )


# ---------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def proposal_kinds(tr: Translator, councils: Sequence[CouncilRow]) -> list[Choice]:
    """The (council, kind) pairs the member may file: consumers' councils file targets and
    collective proposals, workers' councils hours and capacities."""
    return [
        Choice(f"{c.id}:{kind}", tr("proposal.what", council=c.name, kind=tr(f"kind.{kind}")))
        for c in councils
        for kind, of in KINDS.items()
        if of == c.kind
    ]


AMOUNT_LINE = re.compile(r"\s*([^\s=:]+)\s*(?:=|:|\s)\s*(\S+)\s*")


def parse_amounts(tr: Translator, raw: str) -> dict[str, str] | None:
    """``CODE = amount`` lines (or ``CODE: amount``, ``CODE amount``) → {code: amount}; the
    numbers are checked by the API's body (the message names the code)."""
    out: dict[str, str] = {}
    for k, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        match = AMOUNT_LINE.fullmatch(line)
        if match is None:
            raise PlanInputError(tr("proposal.bad_line", line=k, text=line.strip()[:80]))
        code, amount = match[1], match[2]
        if code in out:
            raise PlanInputError(tr("proposal.repeated", line=k, code=code))
        out[code] = amount
    return out or None


def amount_lines(p: ProposalPublic) -> str:
    return "\n".join(f"{code} = {value:g}" for code, value in p.amounts.items())


@dataclass(frozen=True)
class Codes:
    """The codes a proposal may name, with their names (the economy's products, processes)."""

    products: list[Choice]
    processes: list[Choice]


def codes(db: Database, federation: int) -> Codes:
    with db.transaction() as s:
        fed = s.get(Federation, federation)
        settings = dict(fed.settings) if fed is not None else {}
    economy = economy_of(settings)
    products = [Choice(code, economy.label(i)) for i, code in enumerate(economy.products)]
    processes = (
        []
        if list(economy.processes) == list(economy.products)
        else [Choice(code, code) for code in economy.processes]
    )
    return Codes(products, processes)


def _proposals_context(
    db: Database, who: Principal, round_id: int, tr: Translator
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    councils = councils_of(db, who)
    mine = {c.name for c in councils}
    listed = api_proposals.list_proposals(round_id, who, db)
    return {
        "title": tr("proposals.title", number=info.round.number),
        "info": info,
        "kinds": proposal_kinds(tr, councils),
        "proposals": listed,
        "mine": mine,
        "can_file": info.round.phase == "proposals" and not who.is_auditor,
        "can_change": info.round.phase in ("proposals", "feedback") and not who.is_auditor,
        "codes": codes(db, info.round.federation),
        "form": {"what": "", "title": "", "amounts": "", "hours": ""},
    }


@router.get("/rounds/{round_id}/proposals")
def proposals(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    return page(request, "proposals.html", **_proposals_context(db, who, round_id, _tr(request)))


@router.post("/rounds/{round_id}/proposals")
def file_proposal(
    round_id: int,
    who: CurrentMember,
    request: Request,
    db: DB,
    what: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    amounts: Annotated[str, Form(max_length=100_000)] = "",
    hours: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    tr = _tr(request)
    try:
        by_value = {
            f"{c.id}:{kind}": (c.name, kind)
            for c in councils_of(db, who)
            for kind, of in KINDS.items()
            if of == c.kind
        }
        if what not in by_value:
            raise PlanInputError(tr("proposal.choose_kind"))
        council, kind = by_value[what]
        body = _model(
            ProposalCreate,
            council=council,
            kind=kind,
            title=title,
            amounts=parse_amounts(tr, amounts),
            hours=hours.strip() or None,
        )
        api_proposals.file_proposal(round_id, body, who, db)
    except CommonplanError as exc:
        context = _proposals_context(db, who, round_id, tr)
        context["form"] = {"what": what, "title": title, "amounts": amounts, "hours": hours}
        return failed(request, exc, "proposals.html", **context)
    return _redirect(f"/rounds/{round_id}/proposals", "filed")


def _amend_context(
    db: Database, who: Principal, proposal_id: int, tr: Translator
) -> dict[str, Any]:
    p = api_proposals.read_proposal(proposal_id, who, db)
    return {
        "title": tr("amend.title", title=p.title),
        "proposal": p,
        "info": round_info(db, who, p.round, tr),
        "codes": codes(db, api_rounds.read_round(p.round, who, db).federation),
        "form": {
            "title": p.title,
            "amounts": amount_lines(p),
            "hours": f"{p.hours:g}" if p.hours is not None else "",
        },
    }


@router.get("/proposals/{proposal_id}/amend")
def amend_form(proposal_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    return page(request, "amend.html", **_amend_context(db, who, proposal_id, _tr(request)))


@router.post("/proposals/{proposal_id}/amend")
def amend(
    proposal_id: int,
    who: CurrentMember,
    request: Request,
    db: DB,
    title: Annotated[str, Form(max_length=300)] = "",
    amounts: Annotated[str, Form(max_length=100_000)] = "",
    hours: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    tr = _tr(request)
    try:
        body = _model(
            ProposalAmend,
            title=title,
            amounts=parse_amounts(tr, amounts),
            hours=hours.strip() or None,
        )
        new = api_proposals.amend(proposal_id, body, who, db)
    except CommonplanError as exc:
        context = _amend_context(db, who, proposal_id, tr)
        context["form"] = {"title": title, "amounts": amounts, "hours": hours}
        return failed(request, exc, "amend.html", **context)
    return _redirect(f"/rounds/{new.round}/proposals", "amended")


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw(proposal_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    tr = _tr(request)
    try:
        p = api_proposals.withdraw(proposal_id, who, db)
    except CommonplanError as exc:
        round_id = api_proposals.read_proposal(proposal_id, who, db).round
        return failed(request, exc, "proposals.html", **_proposals_context(db, who, round_id, tr))
    return _redirect(f"/rounds/{p.round}/proposals", "withdrawn")


# ---------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _resource(tr: Translator, name: str) -> str:
    return tr.maybe(f"resource.{name}", name)


def plan_whole(db: Database, who: Principal, plan_id: int, tr: Translator) -> dict[str, Any]:
    """A plan for everyone: its facts, what binds and at what shadow price, its resources against
    their caps, and the charts (fulfilment, caps, the largest flows)."""
    summary = api_plans.read_plan(plan_id, who, db)
    result = api_plans.plan_result(plan_id, who, db)
    inputs = api_plans.plan_inputs(plan_id, who, db)
    economy = economy_of({"economy": inputs["economy"]})
    fulfilment = summary["fulfilment"]
    overall = float(fulfilment) if isinstance(fulfilment, int | float) else None
    facts = [
        Fact(tr("plan.status"), tr.maybe(f"status.{summary['status']}", summary["status"])),
        Fact(
            tr("plan.fulfilment"),
            tr("num.percent", value=overall) if overall is not None else tr("plan.none"),
        ),
        Fact(tr("plan.hours_offered"), tr("num.hours", value=summary["hours_offered"])),
    ]
    if summary["hours_used"] is not None:
        facts.append(Fact(tr("plan.hours_used"), tr("num.hours", value=summary["hours_used"])))
    facts.append(Fact(tr("plan.budget"), tr("num.hours", value=summary["collective_budget"])))
    prices = result.get("shadow_prices") or {}
    group = {"cap": "caps", "capacity": "capacities", "floor": "products"}
    binding = []
    for item in summary["binding"]:
        kind, _, name = str(item).partition(" ")
        price = (prices.get(group.get(kind, ""), {}) or {}).get(name)
        label = _resource(tr, name) if kind == "cap" else name
        if kind == "floor" and name in economy.products:
            label = economy.label(economy.product_index(name))
        binding.append(
            Fact(
                tr.maybe(f"plan.binding.{kind}", item, name=label),
                tr("plan.price", price=float(price)) if price is not None else tr("plan.none"),
            )
        )
    use, caps = result.get("use") or {}, result.get("caps") or {}
    figures: list[chart.Chart] = []
    if result.get("status") == "optimal":
        targets = inputs.get("targets") or {}
        net, floors = result.get("net_output") or {}, inputs.get("floors") or {}
        items = [
            (
                economy.label(economy.product_index(code)),
                max(
                    0.0, (float(net.get(code, 0.0)) - float(floors.get(code, 0.0))) / float(amount)
                ),
            )
            for code, amount in sorted(targets.items(), key=lambda kv: -float(kv[1]))[:15]
            if float(amount) > 0 and code in economy.products
        ]
        if not items and overall is not None:
            items = [(tr("plan.private_targets"), overall)]
        if items:
            figures.append(chart.fulfilment_bars(tr, items, overall=overall))
        if caps:
            names = {k: _resource(tr, k) for k in caps}
            figures.append(chart.caps_bars(tr, use, caps, names=names, units=economy.units))
        if result.get("activity"):
            figures.append(chart.flows_sankey(tr, economy, result["activity"]))
    return {
        "summary": summary,
        "stage": tr.maybe(f"plan.stage.{summary['stage']}", summary["stage"]),
        "facts": facts,
        "binding": binding,
        "objective": tr.maybe(f"plan.objective.{result.get('objective')}", ""),
        "message": summary["message"] if summary["status"] != "optimal" else None,
        "charts": figures,
    }


def proposal_met(tr: Translator, p: Mapping[str, Any]) -> str:
    """How far the plan meets one of the member's councils' proposals, in words."""
    kind = tr(f"kind.{p['kind']}")
    if p["met"] is not None:
        return tr("plan.met", kind=kind, met=tr("num.percent", value=float(p["met"])))
    if p["kind"] == "collective":
        return tr("plan.met", kind=kind, met=tr("plan.met_unknown"))
    return kind


@router.get("/rounds/{round_id}/plan")
def plan(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = _tr(request)
    info = round_info(db, who, round_id, tr)
    context: dict[str, Any] = {"title": tr("plan.title", number=info.round.number), "info": info}
    if not info.round.plans:
        return page(request, "plan.html", view=None, whole=None, **context)
    view = api_rounds.consequences(round_id, who, db)
    mine = [Fact(p["title"], proposal_met(tr, p)) for p in view.proposals]
    return page(
        request,
        "plan.html",
        view=view,
        mine=mine,
        whole=plan_whole(db, who, info.round.plans[-1], tr),
        **context,
    )


# ---------------------------------------------------------------------- the vote


@dataclass(frozen=True)
class Ballot:
    """A ballot box as the form shows it: its question and the options to choose from."""

    question: QuestionPublic
    title: str
    options: list[Choice]
    costs: dict[str, float]
    budget: float | None


def ballots(tr: Translator, questions: Sequence[QuestionPublic]) -> list[Ballot]:
    out = []
    for q in questions:
        o = q.options
        costs: dict[str, float] = {}
        budget = None
        if q.kind == "budget":
            options = [
                Choice(str(p), str(title))
                for p, title in zip(o["projects"], o["titles"], strict=True)
            ]
            costs = {
                str(p): float(c or 0.0) for p, c in zip(o["projects"], o["costs"], strict=True)
            }
            budget = float(o["budget"])
        elif q.kind == "ranked":
            options = [Choice(c, name) for c, name in candidates(tr, o).items()]
        else:
            options = []
        out.append(Ballot(q, tr.maybe(f"vote.{q.kind}.title", q.kind), options, costs, budget))
    return out


def candidates(tr: Translator, options: Mapping[str, Any]) -> dict[str, str]:
    """A ranked ballot's candidates → their names (the draft, then the alternatives' titles)."""
    return {
        str(c): tr("vote.ranked.draft") if c == "draft" else str(title)
        for c, title in zip(options.get("candidates", []), options.get("titles", []), strict=True)
    }


FormValues = Mapping[str, Sequence[str]]


def choice_of(tr: Translator, ballot: Ballot, form: FormValues) -> dict[str, Any]:
    """The API's ``choice`` for one ballot box from the form's fields ``q<ID>…``."""
    q = ballot.question
    name = f"q{q.id}"
    given = list(form.get(name, ()))
    if q.kind == "budget":
        return {"approve": given}
    if q.kind == "ratify":
        if len(given) != 1:
            raise VotingError(tr("vote.ratify.missing"))
        return {"vote": given[0]}
    if q.kind == "consent":
        if len(given) != 1:
            raise VotingError(tr("vote.consent.missing"))
        reason = " ".join(form.get(f"{name}_reason", ())).strip()
        if given[0] == "object" and not reason:
            raise VotingError(tr("vote.consent.reason_needed"))
        return {"objection": reason if given[0] == "object" else None}
    if q.kind == "ranked":
        ranking = [
            v
            for k in range(1, len(ballot.options) + 1)
            for v in form.get(f"{name}_rank{k}", ())
            if v
        ]
        return {"ranking": ranking}
    raise VotingError(tr("vote.unknown_kind", kind=q.kind))


def _vote_context(db: Database, who: Principal, round_id: int, tr: Translator) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    questions = api_rounds.questions(round_id, who, db)
    open_ = [q for q in questions if q.status == "open" and not q.voted]
    return {
        "title": tr("vote.title", number=info.round.number),
        "info": info,
        "ballots": ballots(tr, open_),
        "voted": [q for q in questions if q.voted],
        "closed": bool(questions) and all(q.status != "open" for q in questions),
        "receipt": new_receipt(),
        "values": {},
    }


@router.get("/rounds/{round_id}/vote")
def vote(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    return page(request, "vote.html", **_vote_context(db, who, round_id, _tr(request)))


@router.post("/rounds/{round_id}/vote")
async def cast(round_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    """Every ballot box of the form, with one receipt (the one the form was rendered with, so a
    resubmitted form changes nothing); each choice is checked before any is cast."""
    tr = _tr(request)
    form = await request.form()
    values = {k: [str(v) for v in form.getlist(k)] for k in form}
    receipt = (values.get("receipt") or [""])[0] or None

    def run() -> list[tuple[Ballot, str]]:
        ids = []
        for raw in values.get("question", []):
            if not raw.isdigit():
                raise VotingError(tr("vote.bad_question", value=raw[:20]))
            ids.append(int(raw))
        if not ids:
            raise VotingError(tr("vote.nothing"))
        boxes = ballots(tr, [api_votes.read_question(q, who, db) for q in ids])
        choices = [(b, choice_of(tr, b, values)) for b in boxes]
        for b, choice in choices:  # every ballot is checked before any is cast
            voting.check_choice(b.question.kind, b.question.options, choice)
        code, cast = receipt, []
        for b, choice in choices:
            got = api_votes.cast(
                b.question.id, _model(BallotCreate, choice=choice, receipt=code), who, db
            )
            code = got.receipt
            cast.append((b, got.receipt))
        return cast

    try:
        done = await run_in_threadpool(run)
    except CommonplanError as exc:
        context = await run_in_threadpool(_vote_context, db, who, round_id, tr)
        if receipt:
            context["receipt"] = receipt
        context["values"] = values
        return failed(request, exc, "vote.html", **context)
    info = await run_in_threadpool(round_info, db, who, round_id, tr)
    return page(
        request,
        "receipt.html",
        status=201,
        title=tr("receipt.title"),
        info=info,
        receipt=done[0][1],
        cast=[b.title for b, _ in done],
    )


# ---------------------------------------------------------------------- results, history, board


def _titles(questions: Sequence[QuestionPublic]) -> dict[str, str]:
    """Collective proposal id → title, from the budget ballot's options."""
    out: dict[str, str] = {}
    for q in questions:
        if q.kind == "budget":
            out.update(
                zip((str(p) for p in q.options["projects"]), q.options["titles"], strict=True)
            )
    return out


def outcome_facts(
    tr: Translator, r: RoundPublic, questions: Sequence[QuestionPublic]
) -> dict[str, Any]:
    """A closed round's outcome in words: ratified or not and why, the collective proposals the
    budget vote chose, the ranked vote's winner."""
    outcome = r.outcome or {}
    results = outcome.get("results") or {}
    titles = _titles(questions)
    ratify, consent = results.get("ratify"), results.get("consent")
    vote = ratify or consent or {}
    facts = []
    if ratify:
        facts += [
            Fact(tr("result.yes"), str(ratify.get("yes", 0))),
            Fact(tr("result.no"), str(ratify.get("no", 0))),
            Fact(tr("result.abstain"), str(ratify.get("abstain", 0))),
        ]
    if consent:
        facts.append(Fact(tr("result.objections"), str(consent.get("sustained_count", 0))))
    if vote:
        facts.append(
            Fact(tr("result.turnout"), tr("num.percent", value=float(vote.get("turnout", 0))))
        )
    budget = results.get("budget") or {}
    chosen = [titles.get(str(p), str(p)) for p in outcome.get("chosen") or []]
    ranked = results.get("ranked") or {}
    winner = None
    if ranked:
        for q in questions:
            if q.kind == "ranked":
                winner = candidates(tr, q.options).get(str(ranked.get("winner")))
    return {
        "ratified": bool(outcome.get("ratified")),
        "reason": vote.get("reason"),
        "objections": list((consent or {}).get("sustained") or []),
        "facts": facts,
        "chosen": chosen,
        "budget": budget,
        "winner": winner,
        "next_round": outcome.get("next_round"),
        "plan": outcome.get("plan"),
    }


@router.get("/rounds/{round_id}/result")
def result(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = _tr(request)
    info = round_info(db, who, round_id, tr)
    context: dict[str, Any] = {"title": tr("result.title", number=info.round.number), "info": info}
    if not info.closed:
        return page(request, "result.html", outcome=None, whole=None, **context)
    questions = api_rounds.questions(round_id, who, db)
    outcome = outcome_facts(tr, info.round, questions)
    whole = plan_whole(db, who, outcome["plan"], tr) if outcome["plan"] is not None else None
    return page(request, "result.html", outcome=outcome, whole=whole, **context)


@dataclass(frozen=True)
class HistoryRow:
    info: RoundInfo
    outcome: dict[str, Any] | None
    plan: str | None


def plan_line(tr: Translator, summary: Mapping[str, Any]) -> str:
    """A recorded plan in one sentence: its status, fulfilment and hours."""
    fulfilment = summary["fulfilment"]
    return tr(
        "history.plan",
        status=tr.maybe(f"status.{summary['status']}", summary["status"]),
        fulfilment=float(fulfilment) if isinstance(fulfilment, int | float) else 0.0,
        used=float(summary["hours_used"] or 0.0),
        offered=float(summary["hours_offered"]),
    )


@router.get("/history")
def history(who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = _tr(request)
    names = federation_names(db, sorted(who.federations))
    feds = []
    for fid in sorted(who.federations):
        rows = []
        for r in api_rounds.history(fid, who, db):
            outcome, line = None, None
            if r.phase in CLOSED:
                outcome = outcome_facts(tr, r, api_rounds.questions(r.id, who, db))
                if outcome["plan"] is not None:
                    line = plan_line(tr, api_plans.read_plan(outcome["plan"], who, db))
            rows.append(HistoryRow(_info(db, r, tr), outcome, line))
        feds.append((names.get(fid, str(fid)), rows))
    return page(request, "history.html", title=tr("history.title"), federations=feds)


def describe(
    tr: Translator, kind: str, choice: Mapping[str, Any], options: Mapping[str, Any]
) -> str:
    """A ballot's choice in words."""
    if kind == "budget":
        titles = dict(
            zip(
                (str(p) for p in options.get("projects", [])),
                options.get("titles", []),
                strict=False,
            )
        )
        chosen = [titles.get(str(p), str(p)) for p in choice.get("approve", [])]
        return tr("find.approve", titles=", ".join(chosen)) if chosen else tr("find.approve_none")
    if kind == "ratify":
        return tr("find.ratify", vote=tr(f"vote.ratify.{choice.get('vote')}"))
    if kind == "consent":
        reason = choice.get("objection")
        return tr("find.object", reason=reason) if reason else tr("find.consent")
    if kind == "ranked":
        names = candidates(tr, options)
        return tr(
            "find.ranking",
            ranking=" > ".join(str(names.get(c, c)) for c in choice.get("ranking", [])),
        )
    return str(dict(choice))


@router.get("/board/find")
def find(who: CurrentMember, request: Request, db: DB, receipt: str = "") -> HTMLResponse:
    tr = _tr(request)
    receipt = receipt.strip()[:64]
    context: dict[str, Any] = {"title": tr("find.title"), "receipt": receipt, "found": []}
    if not receipt:
        return page(request, "find.html", **context)
    try:
        found = api_board.find(receipt, who, db)
    except CommonplanError as exc:
        return failed(request, exc, "find.html", **context)
    rows = []
    for f in found:
        q = api_votes.read_question(int(f["question"]), who, db)
        rows.append(
            Fact(
                tr("find.row", title=tr.maybe(f"vote.{q.kind}.title", q.kind), round=f["round"]),
                describe(tr, q.kind, f["choice"], q.options),
            )
        )
    context["found"] = rows
    return page(request, "find.html", **context)


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
    names = federation_names(db, sorted(who.federations))
    out = []
    for fid in sorted(who.federations):
        rounds = api_rounds.history(fid, who, db)
        current = _info(db, rounds[-1], tr) if rounds else None
        phase = current.round.phase if current is not None else None
        steps = {
            "proposals": [("draft", tr("facilitate.draft"))],
            "feedback": [("draft", tr("facilitate.redraft")), ("vote", tr("facilitate.open_vote"))],
            "vote": [("close", tr("facilitate.close_vote"))],
        }.get(phase or "", [])
        can_open = phase is None or phase == "failed"
        out.append(Served(fid, names.get(fid, str(fid)), current, steps, can_open))
    return out


def _facilitate(
    request: Request,
    db: Database,
    who: Principal,
    *,
    exc: CommonplanError | None = None,
    **extra: Any,
) -> HTMLResponse:
    tr = _tr(request)
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


@router.post("/facilitate/federations")
async def create_federation(
    who: Facilitator,
    request: Request,
    db: DB,
    settings: AppSettings,
    description: Annotated[str, Form(max_length=1_000_000)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    tr = _tr(request)
    try:
        raw = await _text_of(tr, upload, 1_000_000) or description
        if not raw.strip():
            raise PlanInputError(tr("facilitate.federation.empty"))
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise PlanInputError(tr("facilitate.federation.yaml", error=str(exc))) from None
        if not isinstance(data, dict):
            raise PlanInputError(tr("facilitate.federation.mapping"))
        body = _model(FederationCreate, **data)
        await run_in_threadpool(api_federations.create, body, who, db, settings)
    except CommonplanError as exc:
        return await run_in_threadpool(
            _facilitate, request, db, who, exc=exc, form={"yaml": description}
        )
    return _redirect("/facilitate", "federation_created")


@router.post("/facilitate/federations/{federation_id}/members")
async def import_members(
    federation_id: int,
    who: Facilitator,
    request: Request,
    db: DB,
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    tr = _tr(request)
    try:
        if upload is None or not upload.filename:
            raise PlanInputError(tr("facilitate.members.none"))
        added = await api_federations.import_members_csv(federation_id, upload, who, db)
    except CommonplanError as exc:
        return await run_in_threadpool(_facilitate, request, db, who, exc=exc)
    return _redirect("/facilitate", "members_added" if added.added else "members_none")


@router.post("/facilitate/invitations")
def invite(
    who: Facilitator,
    request: Request,
    db: DB,
    settings: AppSettings,
    handle: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        invited = api_accounts.invite(handle.strip(), who, db, settings)
    except CommonplanError as exc:
        return _facilitate(request, db, who, exc=exc)
    link = invited.url or str(request.base_url).rstrip("/") + f"/invitation/{invited.token}"
    return _facilitate(request, db, who, invited={"handle": invited.handle, "link": link})


@router.post("/facilitate/federations/{federation_id}/rounds")
def open_round(
    federation_id: int,
    who: Facilitator,
    request: Request,
    db: DB,
    proposals: Annotated[str, Form(max_length=40)] = "",
    feedback: Annotated[str, Form(max_length=40)] = "",
    vote: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    given = {"proposals": proposals, "feedback": feedback, "vote": vote}
    try:
        body = _model(RoundCreate, deadlines={k: v for k, v in given.items() if v.strip()})
        api_rounds.open_round(federation_id, body, who, db)
    except CommonplanError as exc:
        return _facilitate(request, db, who, exc=exc)
    return _redirect("/facilitate", "round_opened")


STEPS: dict[str, tuple[Callable[..., Any], str]] = {
    "draft": (api_rounds.draft, "draft_computed"),
    "vote": (api_rounds.open_vote, "vote_opened"),
    "close": (api_rounds.close_vote, "vote_closed"),
}


@router.post("/facilitate/rounds/{round_id}/{step}")
async def step(round_id: int, step: str, who: Facilitator, request: Request, db: DB) -> Response:
    """Compute the draft, open the vote, close it (each as the API does it)."""
    if step not in STEPS:
        return render_error(
            request, 404, "not_found", _tr(request)("facilitate.no_step", step=step[:40])
        )
    action, done = STEPS[step]
    try:
        await action(round_id, who, db)
    except CommonplanError as exc:
        return await run_in_threadpool(_facilitate, request, db, who, exc=exc)
    return _redirect("/facilitate", done)
