"""The reports ledger: a period's page for the federation (every council's reported figures, the
corrections with their reasons) and a workplace's report form (rows with a product picker by
name, or a CSV upload).

The period's page ends with its reconciliation: ``reconciliation.html`` extends ``reports.html``
and fills its block ``reconciliation`` ("Do the reports add up?") with what
:func:`reconciliation_context` adds to :func:`ledger_context`."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from commonplan.accounts import Principal
from commonplan.errors import PlanInputError
from commonplan.reports import KINDS, ReportRow
from commonplan.store import Database
from commonplan.web import execution
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import (
    Choice,
    RoundInfo,
    form_model,
    page,
    round_info,
    router,
    tr_of,
)
from commonplan.web.pages._running import (
    Asked,
    BatchForm,
    Picked,
    Upload,
    all_councils,
    attempt,
    councils,
    economy,
    number,
    parse_number,
    periods,
    pick_period,
    qty,
    uploaded,
)
from commonplan.web.schemas import ReportPublic, ReportRevise
from commonplan.web.text import Translator

ROW_FIELDS = ("amount", "kind", "product", "counterpart")


# ---------------------------------------------------------------------- the period's ledger


@dataclass(frozen=True)
class Line:
    """A current report as the ledger shows it, with the figures it replaced."""

    id: int
    what: str
    amount: str
    source: str
    reason: str | None
    earlier: list[str]
    revisable: bool


@dataclass(frozen=True)
class CouncilLedger:
    name: str
    lines: list[Line] = field(default_factory=list)


def _what(tr: Translator, r: ReportPublic, label: str) -> str:
    kind = tr(f"report.kind.{r.kind}")
    if r.kind == "hours":
        return tr("reports.line_hours", kind=kind)
    if r.counterpart and r.kind == "delivery":
        return tr("reports.line_to", kind=kind, product=label, counterpart=r.counterpart)
    if r.counterpart and r.kind == "receipt":
        return tr("reports.line_from", kind=kind, product=label, counterpart=r.counterpart)
    return tr("reports.line", kind=kind, product=label)


def ledger(
    db: Database, who: Principal, info: RoundInfo, period: str, tr: Translator
) -> list[CouncilLedger]:
    """The period's current reports by council, each with its earlier figures and why they
    were replaced."""
    found = execution.round_reports(db, who, info.id, period=period, history=True)
    by_id = {r.id: r for r in found}
    names = economy(db, info.round.federation)
    mine = {c.name for c in councils(db, who, info, mine_only=False)}
    out: dict[str, CouncilLedger] = {}
    for r in found:
        if not r.current:
            continue
        earlier, newer, older = [], r, by_id.get(r.revises) if r.revises else None
        while older is not None:
            amount = qty(tr, older.amount, older.unit)
            earlier.append(tr("reports.earlier_line", amount=amount, reason=newer.reason or ""))
            newer, older = older, by_id.get(older.revises) if older.revises else None
        line = Line(
            id=r.id,
            what=_what(tr, r, names.label(r.product)),
            amount=qty(tr, r.amount, r.unit),
            source=tr("reports.source", source=tr(f"report.source.{r.source}")),
            reason=r.reason,
            earlier=earlier,
            revisable=r.council in mine and not who.is_auditor,
        )
        out.setdefault(r.council, CouncilLedger(r.council)).lines.append(line)
    return sorted(out.values(), key=lambda c: c.name)


def ledger_context(
    db: Database, who: Principal, round_id: int, period: str | None, tr: Translator
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    choices, now = periods(db, who, round_id, tr)
    chosen = pick_period(choices, period, now)
    return {
        "title": tr("reports.title", number=info.round.number, period=chosen),
        "info": info,
        "periods": choices,
        "period": chosen,
        "councils": ledger(db, who, info, chosen, tr),
        "may_file": bool(councils(db, who, info, mine_only=False)) and not who.is_auditor,
    }


@dataclass(frozen=True)
class Row:
    product: str
    reported: str
    reconciled: str
    unit: str


@dataclass(frozen=True)
class Workplace:
    council: str
    rows: list[Row]
    hours: str | None


@dataclass(frozen=True)
class SuspectLine:
    why: str
    yours: bool


def reconciliation_context(
    db: Database, who: Principal, round_id: int, period: str, tr: Translator
) -> dict[str, Any]:
    """The reconciliation block of the period's page: the verdict, each workplace's figures,
    the suspects (the member's own councils' first), the untestable reports, the screens."""
    try:
        rec = execution.reconciliation(db, who, round_id, period, tr, every_finding=True)
    except PlanInputError as exc:
        return {"rec": None, "unavailable": tr("reconcile.unavailable", reason=tr.error(exc))}
    info = round_info(db, who, round_id, tr)
    mine = {c.name for c in councils(db, who, info, mine_only=True)}
    by_council: dict[str, list[Row]] = {}
    hours: dict[str, str] = {}
    for w in rec.workplaces:
        reported = (
            number(w.reported, tr) if w.reported is not None else tr("reconcile.not_reported")
        )
        value = "–" if w.reconciled is None else number(w.reconciled, tr)
        se = "–" if w.std_error is None else number(w.std_error, tr)
        by_council.setdefault(w.council, []).append(
            Row(w.product_name, reported, tr("reconcile.pm", value=value, se=se), w.unit)
        )
        if w.hours_reported is not None and w.hours_reconciled is not None:
            hours[w.council] = tr(
                "reconcile.hours",
                reported=qty(tr, w.hours_reported, "h"),
                reconciled=qty(tr, w.hours_reconciled, "h"),
            )
    suspects = sorted(
        (SuspectLine(s.why, s.council in mine) for s in rec.suspects),
        key=lambda s: not s.yours,  # stable: the ranking otherwise
    )
    untestable = [
        tr(
            "reconcile.untestable_line",
            council=u.council,
            what=tr(f"report.kind.{u.kind}") + (f" ({u.product_name})" if u.product_name else ""),
            amount=number(u.amount, tr),
        )
        for u in rec.untestable
    ]
    return {
        "rec": rec,
        "workplaces": [Workplace(c, rows, hours.get(c)) for c, rows in sorted(by_council.items())],
        "suspects": suspects,
        "untestable": untestable,
        "flagged": [f for f in rec.findings if f.flagged],
        "findings": [f for f in rec.findings if not f.flagged],
    }


@router.get("/rounds/{round_id}/reports")
def reports_page(
    round_id: int, who: CurrentMember, request: Request, db: DB, period: str | None = None
) -> HTMLResponse:
    tr = tr_of(request)
    context = ledger_context(db, who, round_id, period, tr)
    context |= reconciliation_context(db, who, round_id, context["period"], tr)
    return page(request, "reconciliation.html", **context)


@router.post("/reports/{report_id}/revise")
async def revise(report_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    tr = tr_of(request)
    form = await request.form()
    period = str(form.get("period") or "")
    round_id = int(str(form.get("round") or "0") or 0)

    async def step() -> str:
        amount = parse_number(tr, 1, tr("reports.revise_amount"), str(form.get("amount") or ""))
        body = form_model(ReportRevise, amount=amount, reason=str(form.get("reason") or ""))
        new = await run_in_threadpool(execution.revise_report, db, who, report_id, body)
        return f"/rounds/{new.round}/reports?period={new.period}"

    again = functools.partial(ledger_context, db, who, round_id, period, tr)

    return await attempt(request, step, "reports.html", again if round_id else None, "revised")


# ---------------------------------------------------------------------- the report form


def form_context(
    db: Database, who: Principal, round_id: int, tr: Translator, asked: Asked
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    choices, now = periods(db, who, round_id, tr)
    names = economy(db, info.round.federation)
    mine = councils(db, who, info, mine_only=False) if not who.is_auditor else []
    counterparts = all_councils(db, info)
    return {
        "title": tr("report_form.title", number=info.round.number),
        "info": info,
        "ratified": info.round.phase == "ratified",
        "periods": choices,
        "period": pick_period(choices, asked.period, now),
        "councils": [Choice(c.name, c.name) for c in mine],
        "council": asked.council or (mine[0].name if mine else ""),
        "kinds": [Choice(k, tr(f"report.kind.{k}")) for k in KINDS],
        "products": names.choices(),
        "counterparts": [Choice(c.name, c.name) for c in counterparts],
        "unit": names.unit,
        "rows": asked.form(dict.fromkeys(ROW_FIELDS, "") | {"kind": "output"}),
    }


def _ledger_page(round_id: int, asked: Asked) -> str:
    query = "" if asked.period is None else f"?period={asked.period}"
    return f"/rounds/{round_id}/reports{query}"


FILE = BatchForm("report_form.html", form_context, execution.file_reports, _ledger_page, "reported")
"""A workplace's reports, filed."""


@router.get("/rounds/{round_id}/reports/file")
def report_form(
    round_id: int, who: CurrentMember, request: Request, db: DB, asked: Picked
) -> HTMLResponse:
    return FILE.show(request, db, who, round_id, asked)


@router.post("/rounds/{round_id}/reports/file")
async def file_reports(round_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    return await FILE.submit_typed(
        request, db, who, round_id, ROW_FIELDS, "report_form.amount", _report_row
    )


def _report_row(council: str, period: str, r: dict[str, str], amount: float) -> ReportRow:
    """A row of the report form."""
    product, counterpart = r["product"] or None, r["counterpart"] or None
    return ReportRow(council, period, r["kind"], amount, product=product, counterpart=counterpart)


@router.post("/rounds/{round_id}/reports/csv")
async def file_reports_csv(
    round_id: int, who: CurrentMember, request: Request, db: DB, upload: Upload = None
) -> Response:
    rows = functools.partial(uploaded, tr_of(request), upload, execution.reports_from_csv)
    return await FILE.submit(request, db, who, round_id, Asked(), rows)
