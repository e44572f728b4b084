"""The hours ledger and the plan's quotas: record hours (JSON rows or a CSV upload), reverse an
entry, the member's confirm and dispute, entries and balances; the member's quota and free time
under a plan, and the comparison across a round's drafts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import File, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from commonplan.web import execution
from commonplan.web.acts import read_upload
from commonplan.web.api._routes import CREATED, READ, STEP, Routes
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.schemas import (
    BalancePublic,
    HoursBatchCreate,
    HoursBatchPublic,
    HoursConfirm,
    HoursEntryPublic,
    HoursReason,
    PlanHoursPublic,
    QuotaPublic,
    VerdictsPublic,
)

routes = Routes("hours", "Hours worked and credited; quotas and free time.")
PeriodQuery = Annotated[str | None, Query(max_length=20)]
HoursFile = Annotated[
    UploadFile,
    File(description="UTF-8 CSV: member, period, hours (required), workplace, credit, age, note"),
]


@routes.post("/rounds/{round_id}/hours", STEP, status_code=CREATED)
async def record_hours(
    round_id: Id, body: HoursBatchCreate, who: CurrentMember, db: DB
) -> HoursBatchPublic:
    """Record hours worked or credited, all or none (the workplace's members, facilitators)

    One bad row — an unknown member or workplace, hours not above 0, a period outside the plan,
    a member of another federation, more hours than the period has — refuses the batch with a
    message naming the row, and nothing is stored."""
    return await run_in_threadpool(execution.record_hours, db, who, round_id, body.rows)


@routes.post("/rounds/{round_id}/hours/csv", STEP, status_code=CREATED)
async def record_hours_csv(
    round_id: Id, file: HoursFile, who: CurrentMember, db: DB
) -> HoursBatchPublic:
    """Record hours from a CSV upload, all or none"""
    rows = await read_upload(file, execution.hours_from_csv)
    return await run_in_threadpool(execution.record_hours, db, who, round_id, rows)


@routes.get("/rounds/{round_id}/hours", READ)
def entries(
    round_id: Id,
    who: CurrentMember,
    db: DB,
    member: Annotated[str | None, Query(max_length=100)] = None,
    period: PeriodQuery = None,
) -> list[HoursEntryPublic]:
    """Hours entries the member may see: their own, their workplace's (facilitators: all)"""
    return execution.hours_entries(db, who, round_id, member=member, period=period)


@routes.get("/rounds/{round_id}/balances", (*READ, 422))
def balances(
    round_id: Id,
    who: CurrentMember,
    db: DB,
    of: Literal["member", "workplace", "credit"] = "member",
    period: PeriodQuery = None,
    account: Annotated[str | None, Query(max_length=200)] = None,
) -> list[BalancePublic]:
    """Balances per account and period, by verdict (``of``: member, workplace, credit)"""
    return execution.balances(db, who, round_id, of=of, period=period, account=account)


@routes.post("/hours/{entry_id}/reverse", STEP, status_code=CREATED)
def reverse(entry_id: Id, body: HoursReason, who: CurrentMember, db: DB) -> HoursEntryPublic:
    """Cancel an entry by a reversing entry, with the reason (whoever may record it)"""
    return execution.reverse_hours(db, who, entry_id, body.reason)


@routes.post("/hours/confirm", STEP)
def confirm(body: HoursConfirm, who: CurrentMember, db: DB) -> VerdictsPublic:
    """Confirm entries of one's own hours, all or none"""
    return VerdictsPublic(verdicts=execution.confirm_hours(db, who, body.entries))


@routes.post("/hours/{entry_id}/dispute", STEP)
def dispute(entry_id: Id, body: HoursReason, who: CurrentMember, db: DB) -> HoursEntryPublic:
    """Dispute an entry of one's own hours, saying why"""
    return execution.dispute_hours(db, who, entry_id, body.reason)


@routes.get("/plans/{plan_id}/me/quota", (*READ, 422))
def my_quota(
    plan_id: Id, who: CurrentMember, db: DB, period: Annotated[str, Query(max_length=20)]
) -> QuotaPublic:
    """The member's quota, credits and free time in a period under a plan"""
    return execution.my_quota(db, who, plan_id, period)


@routes.get("/rounds/{round_id}/me/hours", (*READ, 422))
def compare(
    round_id: Id, who: CurrentMember, db: DB, period: PeriodQuery = None
) -> list[PlanHoursPublic]:
    """What each plan of the round means for the member, per week (hours, credits, free time)

    Without ``period``, a plain week of the plan's year; with it, that period with the credits
    on file."""
    return execution.compare_plans(db, who, round_id, period=period)
