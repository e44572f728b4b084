"""Shared by the pages of a plan as it runs (reports, alerts, hours): numbers as people read
them, the economy's product names, the round's periods, what a page is asked to show
(:class:`Asked`), a form's step (:func:`attempt`), and the multi-row forms that file a batch
(:class:`BatchForm`: rows typed in, or a CSV upload)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote

from fastapi import Depends, File, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, PlanInputError
from commonplan.federation import economy_of
from commonplan.store import Database
from commonplan.store.models import Council, Federation, Member
from commonplan.web import execution, public
from commonplan.web.acts import read_upload
from commonplan.web.pages._base import Choice, CouncilRow, RoundInfo, failed, page, tr_of
from commonplan.web.text import Translator

T = TypeVar("T")
Upload = Annotated[UploadFile | None, File()]
"""A form's file field."""
FORM_ROWS = 6
"""Rows a multi-row form offers (empty ones are left out)."""


def number(value: float, tr: Translator) -> str:
    """A number as people read it in the page's language: thousands separated, no needless
    decimals, small ones to three significant digits (1,234.5; 1 234,5; 0.000123)."""
    return tr.number(float(value))


def hours(tr: Translator, value: float) -> str:
    """``31 h``, ``7.5 h``."""
    return tr("num.h", value=number(round(value, 1), tr))


def per_week(tr: Translator, value: float) -> str:
    return tr("num.h_week", value=number(round(value, 1), tr))


def qty(tr: Translator, value: float, unit: str) -> str:
    """``1,200 million SEK``; the units the library names (hours) in the page's language."""
    return tr("num.qty", value=number(value, tr), unit=tr.maybe(f"unit.{unit}", unit))


@dataclass(frozen=True)
class Economy:
    """The names a page shows for the federation's economy: product code → "name (code)", and
    the unit of outputs."""

    labels: Mapping[str, str]
    unit: str

    def label(self, code: str | None) -> str:
        return "" if code is None else self.labels.get(code, code)

    def choices(self) -> list[Choice]:
        """The products for a picker, by name."""
        return sorted((Choice(c, name) for c, name in self.labels.items()), key=lambda c: c.label)


def economy(db: Database, federation: int) -> Economy:
    with db.transaction() as s:
        fed = s.get(Federation, federation)
        settings = dict(fed.settings) if fed is not None else {}
    e = economy_of(settings)
    return Economy({code: e.label(i) for i, code in enumerate(e.products)}, e.units["output"])


def periods(
    db: Database, who: Principal, round_id: int, tr: Translator
) -> tuple[list[Choice], str]:
    """The round's periods for a picker (the current one marked), and the current one."""
    now = execution.current_period(db, who, round_id)
    held = execution.periods(db, who, round_id)
    return [Choice(p, tr("period.current", period=p) if p == now else p) for p in held], now


def pick_period(choices: list[Choice], asked: str | None, current: str) -> str:
    return asked if asked in {c.value for c in choices} else current


@dataclass(frozen=True)
class Asked:
    """What a page of the running plan is asked to show: a council and a period (the query's,
    or a refused form's), and the rows a refused multi-row form is shown again with."""

    council: str | None = None
    period: str | None = None
    rows: Sequence[dict[str, str]] = ()

    def form(self, blank: Mapping[str, str]) -> list[dict[str, str]]:
        """The :data:`FORM_ROWS` rows of the form: each as given, else ``blank``."""
        given = {int(r["row"]): r for r in self.rows}
        return [given.get(k, {**blank, "row": str(k)}) for k in range(1, FORM_ROWS + 1)]


def picked(council: str | None = None, period: str | None = None) -> Asked:
    """The query's ``council`` and ``period``."""
    return Asked(council, period)


Picked = Annotated[Asked, Depends(picked)]
"""A page's query: a council and a period."""


def all_councils(db: Database, info: RoundInfo) -> list[CouncilRow]:
    """Every council of the round's federation, by id."""
    with db.transaction() as s:
        below = public.councils_below(s, info.round.federation)
    return [CouncilRow(c.id, c.name, c.kind) for c in below]


def councils(db: Database, who: Principal, info: RoundInfo, *, mine_only: bool) -> list[CouncilRow]:
    """The councils of the round's federation ``who`` acts for: all of them for a facilitator
    (unless ``mine_only``), else the member's own."""
    everyone = all_councils(db, info)
    if who.is_facilitator and not mine_only:
        return everyone
    return [c for c in everyone if c.id in who.councils]


def members_of(db: Database, council: int) -> list[tuple[str, str]]:
    """(handle, name) of a workers' council's members, by handle."""
    with db.transaction() as s:
        query = (
            select(Member.handle, Member.name)
            .where(Member.workers_council_id == council)
            .order_by(Member.handle)
        )
        return [(h, n or h) for h, n in s.execute(query).all()]


def council_named(db: Database, name: str) -> Council | None:
    with db.transaction() as s:
        c = s.execute(select(Council).where(Council.name == name)).scalar()
        if c is not None:
            s.expunge(c)
        return c


def parse_number(tr: Translator, row: int, field: str, text: str) -> float:
    try:
        value = tr.parse_number(text)
    except ValueError:
        raise PlanInputError(tr("form.bad_number", row=row, field=field, value=text[:40])) from None
    return value


def form_rows(form: Mapping[str, object], fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The filled rows of a multi-row form: ``{field}_{k}`` for k = 1 … :data:`FORM_ROWS`; a row
    whose first field (the amount, the hours) is empty is left out (each row keeps its number
    under ``row``)."""
    out = []
    for k in range(1, FORM_ROWS + 1):
        row = {f: str(form.get(f"{f}_{k}") or "").strip() for f in fields}
        if row[fields[0]]:
            out.append({**row, "row": str(k)})
    return out


def parsed_rows(
    tr: Translator,
    rows: Sequence[dict[str, str]],
    label: str,
    make: Callable[[dict[str, str], float], T],
) -> list[T]:
    """The filled rows of a multi-row form (:func:`form_rows`) as the domain's rows: ``make``
    from each row and its first field read as a number (``label``: that field's name); none
    filled is refused."""
    if not rows:
        raise PlanInputError(tr("form.none"))
    return [make(r, parse_number(tr, int(r["row"]), label, next(iter(r.values())))) for r in rows]


async def uploaded(
    tr: Translator,
    upload: UploadFile | None,
    parse: Callable[[str | None, bytes], T],
    none: str = "form.csv_none",
) -> T:
    """The rows of an uploaded CSV file (:func:`~commonplan.web.acts.read_upload`); ``none``: the
    message's key when no file was chosen."""
    if upload is None or not upload.filename:
        raise PlanInputError(tr(none))
    return await read_upload(upload, parse)


async def attempt(
    request: Request,
    act: Callable[[], Awaitable[str]],
    template: str,
    context: Callable[[], dict[str, Any]] | None,
    done: str,
) -> Response:
    """A form's step: ``act`` (which answers where to go next, seen with the notice ``done``),
    or on a refusal ``template`` again with ``context()`` and the error (the error itself where
    ``context`` is ``None``: no page to show it on)."""
    try:
        then = await act()
    except CommonplanError as exc:
        if context is None:
            raise
        return failed(request, exc, template, **await run_in_threadpool(context))
    return go(then, done)


@dataclass(frozen=True)
class BatchForm(Generic[T]):
    """A page's form that files a batch of rows, all or none (typed into :data:`FORM_ROWS`
    rows, or uploaded as CSV): ``file`` them and go ``then`` (the path after, by round and what
    was asked), or on a refusal show the page (``template`` with ``context``) again with the
    error and what was asked."""

    template: str
    context: Callable[[Database, Principal, int, Translator, Asked], dict[str, Any]]
    file: Callable[[Database, Principal, int, Sequence[T]], object]
    then: Callable[[int, Asked], str]
    done: str

    def show(
        self, request: Request, db: Database, who: Principal, round_id: int, asked: Asked
    ) -> HTMLResponse:
        """The page with the form."""
        return page(
            request, self.template, **self.context(db, who, round_id, tr_of(request), asked)
        )

    async def submit(
        self,
        request: Request,
        db: Database,
        who: Principal,
        round_id: int,
        asked: Asked,
        rows: Callable[[], Awaitable[Sequence[T]]],
    ) -> Response:
        """File the batch ``rows()`` gives."""
        tr = tr_of(request)

        async def step() -> str:
            await run_in_threadpool(self.file, db, who, round_id, await rows())
            return self.then(round_id, asked)

        again = functools.partial(self.context, db, who, round_id, tr, asked)
        return await attempt(request, step, self.template, again, self.done)

    async def submit_typed(
        self,
        request: Request,
        db: Database,
        who: Principal,
        round_id: int,
        fields: tuple[str, ...],
        label: str,
        make: Callable[[str, str, dict[str, str], float], T],
    ) -> Response:
        """File the rows typed into the form: its ``council`` and ``period``, and each row's
        ``fields`` (:func:`form_rows`), the first read as a number (``label``: the message key
        of its name), as ``make(council, period, row, number)`` gives them."""
        tr = tr_of(request)
        form = await request.form()
        council, period = str(form.get("council") or ""), str(form.get("period") or "")
        asked = Asked(council, period, form_rows(form, fields))

        async def rows() -> list[T]:
            return parsed_rows(tr, asked.rows, tr(label), functools.partial(make, council, period))

        return await self.submit(request, db, who, round_id, asked, rows)


def go(path: str, done: str) -> RedirectResponse:
    """See ``path`` (which may hold a query and a fragment) with the notice ``done``."""
    path, hash_, fragment = path.partition("#")
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}done={quote(done)}{hash_}{fragment}", status_code=303)
