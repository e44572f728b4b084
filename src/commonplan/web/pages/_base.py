"""Shared by the pages: the router, rendering (:func:`page`, :func:`failed`, :func:`render_error`),
redirects, forms' models, and what every page reads (a round's heading, the member's councils)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from commonplan import rounds
from commonplan.accounts import Principal, RateLimitedError
from commonplan.errors import CommonplanError, NotFoundError, PlanInputError, said
from commonplan.store import Database
from commonplan.store.models import Council, Federation
from commonplan.web import deps, errors, public
from commonplan.web.i18n import COOKIE, LANGUAGES
from commonplan.web.schemas import (
    RoundPublic,
)
from commonplan.web.text import Translator, choose, translator

router = APIRouter(include_in_schema=False)

STATIC = resources.files("commonplan.web") / "static"
_PLOTLY_FILE = Path(str(STATIC / "vendor" / "plotly-partial.min.js"))
PLOTLY_JS = f"/vendor/plotly-{hashlib.sha256(_PLOTLY_FILE.read_bytes()).hexdigest()[:12]}.min.js"
"""Where the pages load plotly.js from: the partial bundle the package ships (scatter, bar and
sankey only; built by web-assets/plotly), named by its content so browsers keep it a year."""
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
Refusal = CommonplanError | None
"""The library's refusal a page shows with a form sent again, or none."""


@router.get(PLOTLY_JS)
def plotly_js() -> FileResponse:
    """The plotly.js partial bundle from the package (never a CDN); its content's hash is in the
    path, so browsers may keep it for a year."""
    return FileResponse(
        _PLOTLY_FILE,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


# ---------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Problem:
    """An error as the page shows it: a headline for its kind and a message in plain words;
    ``technical``: what the engine or the service said, shown to facilitators only (under a
    disclosure), where the message is a plain sentence in its place."""

    kind: str
    title: str
    detail: str
    technical: str | None = None


PLAIN = ("solver", "internal", "integrity", "error", "database", "invalid_request")
"""Kinds of error whose own words are technical (the engine's, the service's): members read a
sentence saying what happened and what to do (``error.plain.KIND``) instead."""


def tr_of(request: Request) -> Translator:
    """The page's language: the member's choice (the switch's cookie), else the browser's."""
    return translator(choose(request.cookies.get(COOKIE), request.headers.get("accept-language")))


LANGUAGE_DAYS = 365


@router.get("/language/{lang}")
def switch_language(request: Request, lang: str, back: str = "/") -> RedirectResponse:
    """The language switch on every page: keep ``lang`` in a cookie (not a secret; SameSite=Lax,
    kept a year) and go back to ``back``, a path on this site (a GET that changes nothing else)."""
    if lang not in LANGUAGES:
        raise NotFoundError(
            said(
                "no language {lang!r}; the pages are in {languages}",
                lang=lang,
                languages=", ".join(LANGUAGES),
            )
        )
    response = RedirectResponse(local_path(back), status_code=303)
    response.set_cookie(
        COOKIE,
        lang,
        max_age=LANGUAGE_DAYS * 86400,
        path="/",
        httponly=True,  # no script reads it
        samesite="lax",
        secure=deps.secure_request(request, request.app.state.settings),
    )
    return response


def _here(request: Request) -> str:
    """This page's path and query (less a one-off ``done`` notice), for the language switch."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "done"])
    return request.url.path + (f"?{query}" if query else "")


def _problem(request: Request, kind: str, detail: str) -> Problem:
    tr = tr_of(request)
    title = tr.maybe(f"error.{kind}", tr("error.error"))
    if kind not in PLAIN:
        return Problem(kind, title, detail)
    who = getattr(request.state, "principal", None)
    technical = detail if who is not None and who.is_facilitator else None
    return Problem(kind, title, tr(f"error.plain.{kind}"), technical)


class FormInvalid(PlanInputError):
    """A form's fields that its model refused (pydantic's errors, kept to be worded by the
    page in the member's language, naming each field by its label: :func:`form_problems`)."""

    def __init__(self, problems: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(errors.describe(problems, "form"))
        self.problems = list(problems)


_LIMITS = {
    "missing": "form.field_required",
    "string_too_short": "form.field_too_short",
    "string_too_long": "form.field_too_long",
    "too_long": "form.field_too_long",
    "float_parsing": "form.field_number",
    "float_type": "form.field_number",
    "int_parsing": "form.field_number",
    "int_type": "form.field_number",
    "finite_number": "form.field_number",
    "greater_than": "form.field_min",
    "greater_than_equal": "form.field_min",
    "less_than": "form.field_max",
    "less_than_equal": "form.field_max",
    "datetime_parsing": "form.field_date",
    "datetime_from_date_parsing": "form.field_date",
    "datetime_type": "form.field_date",
    "literal_error": "form.field_choice",
    "enum": "form.field_choice",
    "extra_forbidden": "form.field_unknown",
}
"""pydantic's error types → the message that words them."""


def form_problems(tr: Translator, problems: Sequence[Mapping[str, Any]]) -> str:
    """A form's refused fields in plain words, each named by its label (``field.NAME``; the
    innermost part of its place that has one, e.g. ``deadlines.vote`` → the vote's), never
    pydantic's own words: five at most."""
    lines = []
    for e in problems[:5]:
        place = [str(p) for p in e.get("loc", ()) if p != "body"]
        label = next(
            (tr(f"field.{p}") for p in reversed(place) if tr.has(f"field.{p}")),
            place[-1] if place else tr("field.form"),
        )
        ctx = e.get("ctx") or {}
        limit = next(
            (ctx[k] for k in ("max_length", "min_length", "ge", "gt", "le", "lt") if k in ctx), ""
        )
        key = _LIMITS.get(str(e.get("type", "")), "form.field_invalid")
        lines.append(tr(key, field=label, limit=limit))
    return " ".join(lines)


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
    tr = tr_of(request)
    done = request.query_params.get("done", "")
    notice = tr(f"done.{done}") if done and tr.has(f"done.{done}") else None
    html = _ENV.get_template(template).render(
        t=tr,
        lang=tr.lang,
        who=getattr(request.state, "principal", None),
        csrf=deps.csrf_token_of(request),
        csrf_field=deps.CSRF_FIELD,
        path=request.url.path,
        languages=[
            (code, name, f"/language/{code}?{urlencode({'back': _here(request)})}")
            for code, name in LANGUAGES.items()
        ],
        plotly_js=PLOTLY_JS,
        error=error,
        notice=notice,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    return response


def failed(request: Request, exc: CommonplanError, template: str, **context: Any) -> HTMLResponse:
    """``template`` again with the error shown in it, under the status the API answers with (a
    form's refused fields worded by their labels: :func:`form_problems`)."""
    tr = tr_of(request)
    status, kind, detail = errors.problem(exc, tr.error)
    if isinstance(exc, FormInvalid):
        detail = form_problems(tr, exc.problems)
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    return page(
        request,
        template,
        status=status,
        error=_problem(request, kind, detail),
        headers=headers,
        **context,
    )


def render_error(
    request: Request, status: int, kind: str, detail: str, exc: BaseException | None = None
) -> Response:
    """``app.state.render_error``: the error page (what ``exc`` says in the page's language,
    where it is the library's error); a page that needs a session sends the browser to the
    sign-in page instead (and back after)."""
    if status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/sign-in?{urlencode({'next': target})}", status_code=303)
        if request.app.state.settings.cookie_name in request.cookies:
            deps.set_session_cookie(response, request, request.app.state.settings, None)
        return response
    if exc is not None:
        _, _, detail = errors.problem(exc, tr_of(request).error)
    return page(request, "error.html", status=status, error=_problem(request, kind, detail))


def redirect(path: str, done: str | None = None) -> RedirectResponse:
    return RedirectResponse(path + (f"?done={quote(done)}" if done else ""), status_code=303)


def local_path(target: str) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirects)."""
    ok = (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(c.isspace() or not c.isprintable() for c in target)
    )
    return target if ok else "/"


def form_model(cls: Callable[..., T], **fields: Any) -> T:
    """``cls(**fields)``; refused fields raise :class:`FormInvalid` (worded by their labels)."""
    try:
        return cls(**fields)
    except ValidationError as exc:
        raise FormInvalid(exc.errors()) from None


def with_cookies(response: Response, source: Response) -> Response:
    response.raw_headers.extend(h for h in source.raw_headers if h[0] == b"set-cookie")
    return response


# ---------------------------------------------------------------------- what pages read


@dataclass(frozen=True)
class Step:
    """One phase of a round's timeline as the page shows it: its name, ``done``, ``current``
    or ``later``, and its dates in words."""

    phase: str
    state: str
    dates: str


@dataclass(frozen=True)
class RoundInfo:
    """A round as its pages head it: the round, its federation's name, the deadline of the
    phase it is in and the time left to it, its phases in order with their dates, the vote's
    turnout so far (in words; ``None`` outside the vote) and the tabs that apply to it."""

    round: RoundPublic
    federation: str
    deadline: str | None
    time_left: str | None
    timeline: tuple[Step, ...] = ()
    turnout: str | None = None
    tabs: tuple[str, ...] = ("proposals",)

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
    r = public.read_round(db, who, round_id)
    return info_of(db, r, tr)


def round_context(
    db: Database, who: Principal, round_id: int, tr: Translator, title: str
) -> tuple[RoundInfo, dict[str, Any]]:
    """A round's page's heading: the round (:func:`round_info`), and the context that starts
    with it and the page's ``title`` (the message ``title`` with the round's number)."""
    info = round_info(db, who, round_id, tr)
    return info, {"title": tr(title, number=info.round.number), "info": info}


def steps(tr: Translator, held: Sequence[rounds.PhaseStep]) -> tuple[Step, ...]:
    """A round's timeline (:func:`commonplan.rounds.timeline`) in words."""
    out = []
    for p in held:
        dates = []
        if p.began is not None:
            dates.append(tr("timeline.began", at=tr.date(p.began)))
        if p.ended is not None:
            dates.append(tr("timeline.ended", at=tr.date(p.ended)))
        elif p.deadline is not None:
            dates.append(tr("timeline.ends", at=tr.date(p.deadline)))
        name = tr("timeline.closed") if p.phase == "closed" else tr(f"phase.{p.phase}")
        out.append(Step(name, p.state, " · ".join(dates)))
    return tuple(out)


def tabs_of(r: RoundPublic) -> tuple[str, ...]:
    """The round's tabs that apply: its proposals always, the draft plan once one is
    computed, the vote once it opens, the result once the round has closed."""
    closed = r.phase in CLOSED
    return tuple(
        tab
        for tab, shown in (
            ("proposals", True),
            ("plan", bool(r.plans)),
            ("vote", r.phase == "vote" or (closed and bool(r.questions))),
            ("result", closed),
        )
        if shown
    )


def info_of(db: Database, r: RoundPublic, tr: Translator) -> RoundInfo:
    with db.transaction() as s:
        fed = s.get(Federation, r.federation)
        name = fed.name if fed is not None else str(r.federation)
    current = next((d for d in r.deadlines if d.phase == r.phase), None)
    turnout = None
    if r.phase == "vote":
        n = rounds.turnout(db, r.id)
        turnout = tr("timeline.turnout", voted=n.voted, eligible=n.eligible, percent=n.percent)
    return RoundInfo(
        round=r,
        federation=name,
        deadline=tr.date(current.at) if current is not None else None,
        time_left=time_left(tr, current.seconds_left) if current is not None else None,
        timeline=steps(tr, rounds.timeline(db, r.id)),
        turnout=turnout,
        tabs=tabs_of(r),
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


def federations_of(db: Database, who: Principal) -> list[tuple[int, str, list[RoundPublic]]]:
    """``who``'s federations by id: each one's id, name and rounds (first to last)."""
    ids = sorted(who.federations)
    with db.transaction() as s:
        query = select(Federation.id, Federation.name).where(Federation.id.in_(ids))
        names: dict[int, str] = dict(s.execute(query).all())
    return [(fid, names.get(fid, str(fid)), public.rounds_of(db, who, fid)) for fid in ids]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
