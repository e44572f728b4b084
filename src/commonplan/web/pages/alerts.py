"""The alerts page: the alerts of the member's councils first, then those that reached their
federation nodes, each with its state, where it sits ("with Farm A", "with Commune A"), its
deadline and history, and the steps the member may take now (the domain says which:
:func:`commonplan.monitor.alerts.open_steps`); resolving asks for a confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, PlanInputError, said
from commonplan.store import Database
from commonplan.web import execution
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import Fact, councils_of, failed, page, router, time_left, tr_of
from commonplan.web.pages._running import go
from commonplan.web.schemas import AlertPublic
from commonplan.web.text import Translator


@dataclass(frozen=True)
class AlertCard:
    """An alert as the page shows it, with the steps open to the member."""

    alert: AlertPublic
    facts: list[Fact]
    history: list[str]
    steps: list[str]
    ledger: str | None


def card(tr: Translator, a: AlertPublic) -> AlertCard:
    left = (a.deadline - datetime.now(UTC)).total_seconds()
    deadline = (
        tr("alert.overdue", at=tr.date(a.deadline))
        if a.overdue
        else tr("alert.deadline_value", at=tr.date(a.deadline), left=time_left(tr, left))
    )
    facts = [
        Fact(tr("alert.state"), tr(f"alert.state.{a.state}")),
        Fact(tr("alert.with"), tr("alert.with_value", name=a.sits_with, level=a.level)),
    ]
    if a.state != "resolved":
        facts.append(Fact(tr("alert.deadline"), deadline))
    if a.council or a.period:
        about = tr("alert.about_value", council=a.council or "", period=a.period or "")
        facts.append(Fact(tr("alert.about"), about.strip(", ")))
    facts.append(Fact(tr("alert.source"), tr.maybe(f"alert.source.{a.source}", a.source)))
    history = []
    for h in a.history:
        action = tr.maybe(f"alert.action.{h.action}", h.action)
        key = "alert.event_note" if h.note else "alert.event"
        history.append(tr(key, at=tr.date(h.at), actor=h.actor, action=action, note=h.note or ""))
    ledger = f"/rounds/{a.round}/reports?period={a.period}" if a.period else None
    return AlertCard(a, facts, history, list(a.steps), ledger)


def alerts_context(db: Database, who: Principal, tr: Translator, resolved: bool) -> dict[str, Any]:
    found = execution.my_alerts(db, who, resolved=resolved)
    names = {c.name for c in councils_of(db, who)}
    mine = [card(tr, a) for a in found if a.council in names]
    others = [card(tr, a) for a in found if a.council not in names]
    return {"title": tr("alerts.title"), "mine": mine, "others": others, "resolved": resolved}


@router.get("/alerts")
def alerts_page(
    who: CurrentMember, request: Request, db: DB, resolved: bool = False
) -> HTMLResponse:
    tr = tr_of(request)
    return page(request, "alerts.html", **alerts_context(db, who, tr, resolved))


@router.post("/alerts/{alert_id}/{step}")
async def alert_step(
    alert_id: int, step: str, who: CurrentMember, request: Request, db: DB
) -> Response:
    tr = tr_of(request)
    form = await request.form()
    note = str(form.get("note") or "").strip() or None
    try:
        if step not in execution.ALERT_STEPS:
            raise PlanInputError(
                said(
                    "no step {step!r}; the steps are {steps}",
                    step=step,
                    steps=", ".join(execution.ALERT_STEPS),
                )
            )
        if step == "resolve" and form.get("confirm") != "yes":
            raise PlanInputError(tr("form.confirm_needed"))
        await run_in_threadpool(execution.alert_step, db, who, alert_id, step, note)
    except CommonplanError as exc:
        context = await run_in_threadpool(alerts_context, db, who, tr, False)
        return failed(request, exc, "alerts.html", **context)
    return go(f"/alerts#alert-{alert_id}", f"alert_{step}")
