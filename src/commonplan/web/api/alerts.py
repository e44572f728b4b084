"""Alerts: the signed-in member's (their councils' first, then what reached their federation
nodes), and the council's answers — acknowledge, explain, correct — and resolving."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from commonplan.web import execution
from commonplan.web.api._routes import READ, STEP, Routes
from commonplan.web.deps import DB, MAX_ID, CurrentMember, Id
from commonplan.web.schemas import AlertNote, AlertPublic

routes = Routes("alerts", "Alerts to the councils, answered or escalated.")


@routes.get("/me/alerts", READ)
def my_alerts(
    who: CurrentMember,
    db: DB,
    round_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    resolved: bool = False,
) -> list[AlertPublic]:
    """The alerts the member may see, most urgent first (``resolved``: closed ones too)"""
    return execution.my_alerts(db, who, round_id=round_id, resolved=resolved)


@routes.get("/alerts/{alert_id}", READ)
def read_alert(alert_id: Id, who: CurrentMember, db: DB) -> AlertPublic:
    """An alert with its state, level, deadline and history"""
    return execution.read_alert(db, who, alert_id)


@routes.post("/alerts/{alert_id}/acknowledge", STEP)
def acknowledge(alert_id: Id, who: CurrentMember, db: DB) -> AlertPublic:
    """The council has seen the alert (its council's members, facilitators)"""
    return execution.alert_step(db, who, alert_id, "acknowledge")


@routes.post("/alerts/{alert_id}/explain", STEP)
def explain(alert_id: Id, body: AlertNote, who: CurrentMember, db: DB) -> AlertPublic:
    """The council says why the numbers are what they are (a note)"""
    return execution.alert_step(db, who, alert_id, "explain", body.note)


@routes.post("/alerts/{alert_id}/correct", STEP)
def correct(alert_id: Id, body: AlertNote, who: CurrentMember, db: DB) -> AlertPublic:
    """The council corrected what was wrong (a note; revise the report with
    POST /reports/{id}/revise)"""
    return execution.alert_step(db, who, alert_id, "correct", body.note)


@routes.post("/alerts/{alert_id}/resolve", STEP)
def resolve(alert_id: Id, body: AlertNote, who: CurrentMember, db: DB) -> AlertPublic:
    """Close the alert (facilitators; the council once it has explained or corrected it)"""
    return execution.alert_step(db, who, alert_id, "resolve", body.note)
