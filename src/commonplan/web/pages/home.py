"""A member's home: their councils, and what each federation's round asks of them now."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse

from commonplan.accounts import Principal
from commonplan.store import Database
from commonplan.web import execution, public
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import (
    RoundInfo,
    councils_of,
    federations_of,
    info_of,
    page,
    router,
    tr_of,
)
from commonplan.web.text import Translator


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
            questions = public.round_questions(db, who, rid)
            if any(q.status == "open" and not q.voted for q in questions):
                out.append(Task(tr("home.ask.vote"), f"/rounds/{rid}/vote", tr("nav.vote")))
            else:
                out.append(Task(tr("home.ask.voted"), "/board/find", tr("nav.find")))
        else:
            out.append(Task(tr("home.ask.result"), f"/rounds/{rid}/result", tr("nav.result")))
        if phase == "ratified":
            out += running_tasks(db, who, rid, tr)
    if who.is_facilitator:
        out.append(Task(tr("home.ask.facilitate"), "/facilitate", tr("nav.facilitate")))
    return out


def running_tasks(db: Database, who: Principal, rid: int, tr: Translator) -> list[Task]:
    """What a ratified plan asks: reports and hours from the workplaces, the members' checks of
    their hours (auditors read the ledger only)."""
    ledger = Task(tr("home.ask.ledger"), f"/rounds/{rid}/reports", tr("nav.reports"))
    if who.is_auditor:
        return [ledger]
    out = []
    if who.councils or who.is_facilitator:
        out.append(
            Task(tr("home.ask.report"), f"/rounds/{rid}/reports/file", tr("nav.report_form"))
        )
    out.append(ledger)
    out.append(Task(tr("home.ask.hours"), f"/rounds/{rid}/hours", tr("nav.my_hours")))
    if who.is_facilitator or any(c.kind == "workers" for c in councils_of(db, who)):
        out.append(
            Task(
                tr("home.ask.workplace_hours"),
                f"/rounds/{rid}/workplace/hours",
                tr("nav.workplace_hours"),
            )
        )
    return out


# ---------------------------------------------------------------------- home


@dataclass(frozen=True)
class FederationHome:
    id: int
    name: str
    current: RoundInfo | None
    tasks: list[Task]


@router.get("/")
def home(who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = tr_of(request)
    feds = []
    for fid, name, held in federations_of(db, who):
        current = info_of(db, held[-1], tr) if held else None
        feds.append(FederationHome(fid, name, current, tasks(db, who, current, tr)))
    roles = [tr(f"role.{r}") for r in who.roles]
    open_alerts = len(execution.my_alerts(db, who)) if feds else 0
    return page(
        request,
        "home.html",
        title=tr("home.title", name=who.name),
        councils=councils_of(db, who),
        federations=feds,
        roles=roles,
        alerts=open_alerts,
    )
