"""The reports ledger of a ratified plan: file a batch (JSON rows or a CSV upload), revise a
report, read a round's ledger by period and council; a period reconciled (do the reports add
up?) and its suspects' and screens' alerts raised."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from commonplan.web import execution
from commonplan.web.acts import read_upload
from commonplan.web.api._routes import CREATED, READ, STEP, Routes
from commonplan.web.deps import DB, CurrentMember, Facilitator, Id
from commonplan.web.schemas import (
    AlertIds,
    ReconciliationPublic,
    ReportBatchCreate,
    ReportBatchPublic,
    ReportPublic,
    ReportRevise,
)

routes = Routes("reports", "After the vote: what workplaces report they made.")
FILE = (401, 403, 404, 409, 422)
ReportsFile = Annotated[
    UploadFile,
    File(
        description="UTF-8 CSV: council, period, kind, amount (required), product, "
        "counterpart, unit, sigma, source, dekad"
    ),
]


@routes.get("/rounds/{round_id}/periods", READ)
def periods(round_id: Id, who: CurrentMember, db: DB) -> list[str]:
    """The reporting periods of a round's plan (months ``YYYY-MM`` or weeks ``YYYY-Www``)"""
    return list(execution.periods(db, who, round_id))


@routes.post("/rounds/{round_id}/reports", FILE, status_code=CREATED)
async def file_reports(
    round_id: Id, body: ReportBatchCreate, who: CurrentMember, db: DB
) -> ReportBatchPublic:
    """File a batch of reports, all or none (the council's members, facilitators)

    Rows name councils by name and products by code; one bad row — an unknown council or
    product, a negative amount, a period outside the plan, a report already on file — refuses
    the batch with a message naming the row, and nothing is stored."""
    return await run_in_threadpool(execution.file_reports, db, who, round_id, body.rows)


@routes.post("/rounds/{round_id}/reports/csv", FILE, status_code=CREATED)
async def file_reports_csv(
    round_id: Id, file: ReportsFile, who: CurrentMember, db: DB
) -> ReportBatchPublic:
    """File a batch of reports from a CSV upload, all or none"""
    rows = await read_upload(file, execution.reports_from_csv)
    return await run_in_threadpool(execution.file_reports, db, who, round_id, rows)


@routes.get("/rounds/{round_id}/reports", READ)
def round_reports(
    round_id: Id,
    who: CurrentMember,
    db: DB,
    period: Annotated[str | None, Query(max_length=20)] = None,
    council: Annotated[str | None, Query(max_length=200)] = None,
    history: bool = False,
) -> list[ReportPublic]:
    """A round's reports in filing order (``history``: the revised ones too)"""
    return execution.round_reports(
        db, who, round_id, period=period, council=council, history=history
    )


@routes.post("/reports/{report_id}/revise", STEP, status_code=CREATED)
def revise(report_id: Id, body: ReportRevise, who: CurrentMember, db: DB) -> ReportPublic:
    """Correct a report: a new revision with the amount and the reason (the old one stays)"""
    return execution.revise_report(db, who, report_id, body)


Period = Annotated[
    str | None, Query(max_length=20, description="YYYY-MM or YYYY-Www; default: the current one")
]


@routes.get("/rounds/{round_id}/reconciliation", (401, 403, 404, 422))
async def reconciliation(
    round_id: Id, who: CurrentMember, db: DB, period: Period = None
) -> ReconciliationPublic:
    """Do a period's reports add up?

    The global test in words and numbers (χ² on the degrees of freedom the redundancy gives),
    each workplace's reported and reconciled output with its standard error, the suspects with
    why, the reports nothing can check, and the plausibility screens' flagged findings.  A
    period with no reports answers 422, saying so."""
    chosen = period or execution.current_period(db, who, round_id)
    return await run_in_threadpool(execution.reconciliation, db, who, round_id, chosen)


@routes.post("/rounds/{round_id}/reconciliation/alerts", FILE)
async def reconciliation_alerts(
    who: Facilitator, round_id: Id, db: DB, period: Period = None
) -> AlertIds:
    """Raise the alerts of a period's suspects and screens' findings (facilitators)

    Each suspect's alert goes to the council named first; a sector-level finding to the
    federation.  An alert already open is not raised twice: its id comes back again."""
    chosen = period or execution.current_period(db, who, round_id)
    return await run_in_threadpool(execution.reconciliation_alerts, db, who, round_id, chosen)
