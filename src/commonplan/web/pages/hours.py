"""Hours: a member's page (their entries to confirm or dispute, their balance, their quota and
free time this period, and what each plan of the round would mean for them per week) and a
workplace's page (record hours for its members, reverse an entry, the members' balances)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from commonplan.accounts import Principal
from commonplan.errors import NotFoundError, PlanInputError
from commonplan.store import Database
from commonplan.web import execution
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import Choice, page, round_info, router, tr_of
from commonplan.web.pages._running import (
    Asked,
    BatchForm,
    Picked,
    Upload,
    attempt,
    councils,
    hours,
    members_of,
    per_week,
    periods,
    pick_period,
    uploaded,
)
from commonplan.web.schemas import BalancePublic, HoursEntryPublic, PlanHoursPublic
from commonplan.web.text import Translator
from commonplan.work import HoursRow, hours_settings

ROW_FIELDS = ("hours", "member", "what")
WORKED = "worked"


# ---------------------------------------------------------------------- what people read


@dataclass(frozen=True)
class EntryLine:
    entry: HoursEntryPublic
    text: str
    status: str
    open: bool


@dataclass(frozen=True)
class ShownEntry:
    """An entry as a list of entries shows it: its line, and its text there (a workplace's page
    names the member)."""

    line: EntryLine
    text: str


def entry_text(tr: Translator, e: HoursEntryPublic) -> str:
    h = hours(tr, e.hours)
    if e.reverses is not None:
        return tr(
            "hours.entry_reversal",
            period=e.period,
            hours=h,
            entry=e.reverses,
            reason=e.reason or "",
        )
    if e.workplace:
        return tr("hours.entry_work", period=e.period, hours=h, workplace=e.workplace)
    credit = tr.maybe(f"credit.{e.credit}", str(e.credit))
    return tr("hours.entry_credit", period=e.period, hours=h, credit=credit)


def entry_line(tr: Translator, e: HoursEntryPublic) -> EntryLine:
    status = tr(f"hours.status.{e.status}")
    if e.reversed_by is not None:
        status = tr("hours.reversed", entry=e.reversed_by)
    waiting = e.status == "pending" and e.reverses is None and e.reversed_by is None
    return EntryLine(e, entry_text(tr, e), status, waiting)


def balance_line(tr: Translator, b: BalancePublic, sign: float = 1.0) -> str:
    return tr(
        "hours.balance_line",
        period=b.period,
        total=hours(tr, sign * b.total),
        confirmed=hours(tr, sign * b.confirmed),
        pending=hours(tr, sign * b.pending),
        disputed=hours(tr, sign * b.disputed),
    )


def plan_sentence(tr: Translator, p: PlanHoursPublic) -> str:
    """ "The ratified plan means 31 h a week for you, with 81 h a week free.\""""
    if p.stage == "alternative":
        name = (
            tr("hours.plan.alternative", title=p.title)
            if p.title and p.title != "alternative"
            else tr("hours.plan.alternative_untitled")
        )
    else:
        name = tr.maybe(f"hours.plan.{p.stage}", p.stage)
    fields = {
        "plan": name,
        "hours": per_week(tr, p.hours_per_week),
        "free": per_week(tr, p.free_per_week),
        "credits": per_week(tr, p.credits_per_week),
    }
    key = "hours.plan_means_credit" if p.credits_per_week > 0 else "hours.plan_means"
    return tr(key, **fields)


def member_context(db: Database, who: Principal, round_id: int, tr: Translator) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    _, now = periods(db, who, round_id, tr)
    plan = execution.ratified_plan(db, who, round_id)
    quota = None
    if plan is not None:
        try:
            q = execution.my_quota(db, who, plan, now)
            quota = tr(
                "hours.quota_value",
                quota=hours(tr, q.quota),
                credits=hours(tr, q.credits),
                free=hours(tr, q.free),
                awake=hours(tr, q.awake),
            )
        except NotFoundError:
            quota = None
    compared = [
        plan_sentence(tr, p) for p in execution.compare_plans(db, who, round_id, period=now)
    ]
    mine = execution.hours_entries(db, who, round_id, member=who.handle)
    lines = [entry_line(tr, e) for e in mine]
    shown = [ShownEntry(x, x.text) for x in lines]
    balance = execution.balances(db, who, round_id, account=who.handle)
    works = any(c.kind == "workers" for c in councils(db, who, info, mine_only=True))
    return {
        "title": tr("hours.title", number=info.round.number),
        "info": info,
        "period": now,
        "plan": plan,
        "quota": quota,
        "compared": compared,
        "entries": shown,
        "waiting": [x.entry.id for x in lines if x.open],
        "balance": [balance_line(tr, b) for b in balance],
        "works": works or who.is_facilitator,
    }


@router.get("/rounds/{round_id}/hours")
def my_hours(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = tr_of(request)
    return page(request, "hours.html", **member_context(db, who, round_id, tr))


async def _member_step(
    request: Request, db: Database, who: Principal, act: Any, done: str
) -> Response:
    tr = tr_of(request)
    form = await request.form()
    round_id = int(str(form.get("round") or "0") or 0)

    async def step() -> str:
        await run_in_threadpool(act, form)
        return f"/rounds/{round_id}/hours"

    again = functools.partial(member_context, db, who, round_id, tr)
    return await attempt(request, step, "hours.html", again if round_id else None, done)


@router.post("/hours/confirm")
async def confirm(who: CurrentMember, request: Request, db: DB) -> Response:
    def act(form: Any) -> None:
        ids = [int(x) for x in form.getlist("entry") if str(x).isdigit()]
        if not ids:
            raise PlanInputError(tr_of(request)("form.none"))
        execution.confirm_hours(db, who, ids)

    return await _member_step(request, db, who, act, "confirmed")


@router.post("/hours/{entry_id}/dispute")
async def dispute(entry_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    def act(form: Any) -> None:
        execution.dispute_hours(db, who, entry_id, str(form.get("reason") or ""))

    return await _member_step(request, db, who, act, "disputed")


# ---------------------------------------------------------------------- a workplace's hours


def workplace_context(
    db: Database, who: Principal, round_id: int, tr: Translator, asked: Asked
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    places = [c for c in councils(db, who, info, mine_only=False) if c.kind == "workers"]
    place = next((c for c in places if c.name == asked.council), places[0] if places else None)
    choices, now = periods(db, who, round_id, tr)
    context: dict[str, Any] = {
        "title": tr("workplace.title", workplace=place.name if place else ""),
        "info": info,
        "ratified": info.round.phase == "ratified",
        "places": [Choice(c.name, c.name) for c in places],
        "place": place.name if place else None,
        "periods": choices,
        "period": pick_period(choices, asked.period, now),
    }
    if place is None:
        return context
    people = members_of(db, place.id)
    handles = {h for h, _ in people}
    with db.transaction() as s:
        from commonplan.store.models import Federation

        fed = s.get(Federation, info.round.federation)
        credits = list(hours_settings(dict(fed.settings) if fed else {}).credits)
    kinds = [Choice(WORKED, tr("workplace.worked"))] + [
        Choice(c, tr("workplace.credited", credit=tr.maybe(f"credit.{c}", c))) for c in credits
    ]
    entries = [
        e
        for e in execution.hours_entries(db, who, round_id)
        if e.workplace == place.name or (e.workplace is None and e.member in handles)
    ]
    shown = [
        ShownEntry(
            entry_line(tr, e), tr("workplace.entry", member=e.member, line=entry_text(tr, e))
        )
        for e in entries
    ]
    balances = [
        (b.account, balance_line(tr, b))
        for b in execution.balances(db, who, round_id)
        if b.account in handles
    ]
    received = sum(
        b.total for b in execution.balances(db, who, round_id, of="workplace", account=place.name)
    )
    context.update(
        members=[Choice(h, f"{n} ({h})" if n != h else h) for h, n in people],
        kinds=kinds,
        rows=asked.form({"hours": "", "member": "", "what": WORKED}),
        entries=shown,
        balances=balances,
        received=tr("workplace.balance_total", workplace=place.name, hours=hours(tr, -received)),
    )
    return context


def _workplace_page(round_id: int, asked: Asked) -> str:
    return f"/rounds/{round_id}/workplace/hours?{urlencode({'council': asked.council or ''})}"


RECORD = BatchForm(
    "workplace_hours.html", workplace_context, execution.record_hours, _workplace_page, "recorded"
)
"""The workplace's hours, recorded."""


@router.get("/rounds/{round_id}/workplace/hours")
def workplace_hours(
    round_id: int, who: CurrentMember, request: Request, db: DB, asked: Picked
) -> HTMLResponse:
    return RECORD.show(request, db, who, round_id, asked)


@router.post("/rounds/{round_id}/workplace/hours")
async def record(round_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    return await RECORD.submit_typed(
        request, db, who, round_id, ROW_FIELDS, "workplace.hours", _hours_row
    )


def _hours_row(place: str, period: str, r: dict[str, str], h: float) -> HoursRow:
    """A row of the workplace's form: hours worked there, or a credit."""
    if r["what"] in ("", WORKED):
        return HoursRow(r["member"], period, h, workplace=place)
    return HoursRow(r["member"], period, h, credit=r["what"])


@router.post("/rounds/{round_id}/workplace/hours/csv")
async def record_csv(
    round_id: int, who: CurrentMember, request: Request, db: DB, upload: Upload = None
) -> Response:
    asked = Asked(str((await request.form()).get("council") or ""))
    rows = functools.partial(uploaded, tr_of(request), upload, execution.hours_from_csv)
    return await RECORD.submit(request, db, who, round_id, asked, rows)


@router.post("/hours/{entry_id}/reverse")
async def reverse(entry_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    tr = tr_of(request)
    form = await request.form()
    round_id = int(str(form.get("round") or "0") or 0)
    place = str(form.get("council") or "")

    async def step() -> str:
        if form.get("confirm") != "yes":
            raise PlanInputError(tr("form.confirm_needed"))
        reason = str(form.get("reason") or "")
        await run_in_threadpool(execution.reverse_hours, db, who, entry_id, reason)
        return _workplace_page(round_id, Asked(place))

    again = functools.partial(workplace_context, db, who, round_id, tr, Asked(place))

    return await attempt(
        request, step, "workplace_hours.html", again if round_id else None, "reversed"
    )
