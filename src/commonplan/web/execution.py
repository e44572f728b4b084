"""What a signed-in member does and reads once a plan runs — reports, alerts, hours, quotas — for
the API's routes and the pages alike, as :mod:`commonplan.web.acts` and
:mod:`commonplan.web.public` do for the rounds: each checks the record is of one of the member's
federations (:mod:`commonplan.web.scope`: 404 unknown, 403 another federation's) and keeps
auditors to reading, then calls the domain (:mod:`commonplan.reports`,
:mod:`commonplan.monitor.alerts`, :mod:`commonplan.work`) with ``actor=who.handle``, which decides
who may act and refuses bad rows by name."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from commonplan import reports, work
from commonplan.accounts import Principal
from commonplan.errors import AuthorisationError, NotFoundError, PlanInputError, SolverError, said
from commonplan.federation import economy_of
from commonplan.monitor import alerts
from commonplan.reports.reconcile import Reconciliation, raise_suspect_alerts, reconcile_round
from commonplan.reports.screening import Screening, raise_screen_alerts, screen_period
from commonplan.store import Database
from commonplan.store.models import Draft, Federation, Round
from commonplan.web.acts import csv_text
from commonplan.web.public import in_scope
from commonplan.web.schemas import (
    AlertIds,
    AlertPublic,
    BalancePublic,
    FindingPublic,
    FloorRiskPublic,
    HoursBatchPublic,
    HoursCreate,
    HoursEntryPublic,
    PlanHoursPublic,
    QuotaPublic,
    ReconciledPublic,
    ReconciliationPublic,
    ReplanCreate,
    ReplanPeriodPublic,
    ReplanPublic,
    ReportBatchPublic,
    ReportCreate,
    ReportPublic,
    ReportRevise,
    RoundStatusPublic,
    SuspectPublic,
    UntestablePublic,
)
from commonplan.web.scope import (
    alert_in_scope,
    hours_entry_in_scope,
    not_auditor,
    plan_in_scope,
    report_in_scope,
    round_in_scope,
)
from commonplan.web.text import Translator, translator

__all__ = [
    "ALERT_STEPS",
    "alert_step",
    "balances",
    "compare_plans",
    "confirm_hours",
    "csv_text",
    "current_period",
    "dispute_hours",
    "file_reports",
    "hours_entries",
    "hours_from_csv",
    "my_alerts",
    "my_quota",
    "periods",
    "ratified_plan",
    "read_alert",
    "reconciliation",
    "reconciliation_alerts",
    "record_hours",
    "replan",
    "reports_from_csv",
    "reverse_hours",
    "revise_report",
    "round_plans",
    "round_reports",
    "round_status",
]


def periods(db: Database, who: Principal, round_id: int) -> tuple[str, ...]:
    """The reporting periods of a round's plan."""
    with db.transaction() as s:
        return reports.periods_of(round_in_scope(who, s, round_id))


# ---------------------------------------------------------------------- reports


def file_reports(
    db: Database, who: Principal, round_id: int, rows: Sequence[ReportCreate | reports.ReportRow]
) -> ReportBatchPublic:
    """File a batch of reports, all or none."""
    not_auditor(who, said("file reports"))
    in_scope(db, who, round_in_scope, round_id)
    given = [
        r if isinstance(r, reports.ReportRow) else reports.ReportRow(**r.model_dump()) for r in rows
    ]
    filed = reports.file_reports(db, round_id, given, actor=who.handle)
    return ReportBatchPublic(**asdict(filed))


def reports_from_csv(filename: str | None, data: bytes) -> list[reports.ReportRow]:
    return reports.parse_report_rows(
        io.StringIO(csv_text(filename, data), newline=""), str(filename)
    )


def revise_report(db: Database, who: Principal, report: int, body: ReportRevise) -> ReportPublic:
    """Correct a report by a revision; the new report."""
    not_auditor(who, said("revise reports"))
    with db.transaction() as s:
        round_id = report_in_scope(who, s, report).round_id
    new = reports.revise_report(
        db, report, amount=body.amount, reason=body.reason, sigma=body.sigma, actor=who.handle
    )
    found = reports.reports_of(db, round_id, viewer=who.handle, current_only=False)
    return next(ReportPublic(**r.to_dict()) for r in found if r.id == new)


def round_reports(
    db: Database,
    who: Principal,
    round_id: int,
    *,
    period: str | None = None,
    council: str | None = None,
    history: bool = False,
) -> list[ReportPublic]:
    """A round's ledger in filing order: current reports, or with ``history`` the replaced ones
    too."""
    in_scope(db, who, round_in_scope, round_id)
    found = reports.reports_of(
        db,
        round_id,
        viewer=None if who.is_auditor or who.is_facilitator else who.handle,
        period=period,
        council=council,
        current_only=not history,
    )
    return [ReportPublic(**r.to_dict()) for r in found]


# ---------------------------------------------------------------------- reconciliation


def _num(x: float | None) -> float | None:
    """JSON has no nan or infinity: a number that is not finite is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def _finite(fields: Any) -> dict[str, Any]:
    """A dataclass's fields, each number that is not finite as ``None`` (:func:`_num`)."""
    return {k: _num(v) if isinstance(v, float) else v for k, v in asdict(fields).items()}


def _checked(
    db: Database, who: Principal, round_id: int, period: str
) -> tuple[Reconciliation, Screening]:
    """A period reconciled and screened, for a member of the round's federation."""
    in_scope(db, who, round_in_scope, round_id)
    try:
        rec = reconcile_round(db, round_id, period=period)
    except (SolverError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # reports so far apart in scale, or so contradictory, that the balances cannot be
        # solved: a fact about the reports filed, which the member can correct
        raise PlanInputError(
            said("the reports of {period} cannot be reconciled: {exc}", period=period, exc=exc)
        ) from None
    return rec, screen_period(db, round_id, period=period)


def reconciliation(
    db: Database,
    who: Principal,
    round_id: int,
    period: str,
    tr: Translator | None = None,
    *,
    every_finding: bool = False,
) -> ReconciliationPublic:
    """Do a period's reports add up: the global test (its verdict in ``tr``'s words), each
    workplace's reported and reconciled output, the suspects, the untestable reports and the
    screens' flagged findings (``every_finding``: all of them, those that could not judge
    too).  A period with no reports is refused (422), saying so."""
    tr = tr or translator()
    rec, screening = _checked(db, who, round_id, period)
    with db.transaction() as s:
        r = s.get(Round, round_id)
        fed = s.get(Federation, r.federation_id) if r is not None else None
        settings = dict(fed.settings) if fed is not None else {}
    e = economy_of(settings)
    index = {p: i for i, p in enumerate(e.products)}
    unit = str(e.units.get("output", ""))

    def label(p: str | None) -> str | None:
        return None if p is None else e.label(index[p]) if p in index else p

    rows = reports.reports_of(db, round_id, period=period)
    by_id = {x.id: x for x in rows}
    untestable = [
        UntestablePublic.model_validate(
            asdict(c) | {"product_name": label(c.product), "amount": c.reported}
        )
        for c in map(rec.checks_by_index, rec.untestable)
    ]
    if rec.redundancy == 0:
        verdict = tr("reconcile.verdict_none")
    else:
        key = "reconcile.verdict_yes" if rec.passed else "reconcile.verdict_no"
        verdict = tr(key, chi2=rec.chi2, dof=rec.redundancy, p=rec.p_value)
    return ReconciliationPublic(
        round=round_id,
        period=period,
        passed=rec.passed,
        verdict=verdict,
        chi2=_num(rec.chi2),
        degrees_of_freedom=rec.redundancy,
        p_value=_num(rec.p_value),
        alpha=rec.alpha,
        workplaces=[
            ReconciledPublic.model_validate(
                _finite(w) | {"product_name": label(w.product) or w.product, "unit": unit}
            )
            for w in rec.workplaces
        ],
        suspects=[
            SuspectPublic.model_validate(
                _finite(x)
                | {
                    "reports": [
                        c.report
                        for c in map(rec.checks_by_index, x.reports)
                        if c.report is not None and c.report in by_id
                    ]
                }
            )
            for x in rec.suspects
        ],
        untestable=untestable,
        findings=[
            FindingPublic.model_validate(f.to_dict())
            for f in (screening.findings if every_finding else screening.flagged)
        ],
        notes=list(rec.notes),
    )


def reconciliation_alerts(db: Database, who: Principal, round_id: int, period: str) -> AlertIds:
    """Raise the alerts of a period's suspects and of the screens' flagged findings (an alert
    already open is not raised twice): facilitators."""
    if not who.is_facilitator:
        raise AuthorisationError(
            said(
                "{who!r} is not a facilitator; only facilitators raise these alerts", who=who.handle
            )
        )
    rec, screening = _checked(db, who, round_id, period)
    return AlertIds(
        suspects=raise_suspect_alerts(db, round_id, rec),
        screens=raise_screen_alerts(db, round_id, screening),
    )


# ---------------------------------------------------------------------- alerts

ALERT_STEPS = ("acknowledge", "explain", "correct", "resolve")


def _alert_public(db: Database, who: Principal, view: alerts.AlertView) -> AlertPublic:
    """An alert with the steps ``who`` may take on it now (auditors: none)."""
    steps = () if who.is_auditor else alerts.open_steps(db, view.id, viewer=who.handle)
    return AlertPublic(**view.to_dict(), steps=list(steps))


def my_alerts(
    db: Database, who: Principal, *, round_id: int | None = None, resolved: bool = False
) -> list[AlertPublic]:
    """The alerts ``who`` may see, most urgent first."""
    if round_id is not None:
        in_scope(db, who, round_in_scope, round_id)
    found = alerts.alerts_for(db, who.handle, round_id=round_id, include_resolved=resolved)
    return [_alert_public(db, who, a) for a in found]


def read_alert(db: Database, who: Principal, alert: int) -> AlertPublic:
    """One alert, if ``who`` may see it (an alert of another council that has not reached a node
    of theirs is not found)."""
    in_scope(db, who, alert_in_scope, alert)
    for a in alerts.alerts_for(db, who.handle, include_resolved=True):
        if a.id == alert:
            return _alert_public(db, who, a)
    raise NotFoundError(said("no alert {alert} among {who!r}'s", alert=alert, who=who.handle))


def alert_step(
    db: Database, who: Principal, alert: int, step: str, note: str | None = None
) -> AlertPublic:
    """Acknowledge, explain, correct or resolve an alert."""
    not_auditor(who, said("{step} alerts", step=step))
    in_scope(db, who, alert_in_scope, alert)
    if step == "acknowledge":
        view = alerts.acknowledge(db, alert, actor=who.handle)
    elif step == "explain":
        view = alerts.explain(db, alert, note=note or "", actor=who.handle)
    elif step == "correct":
        view = alerts.correct(db, alert, note=note or "", actor=who.handle)
    elif step == "resolve":
        view = alerts.resolve(db, alert, note=note, actor=who.handle)
    else:
        raise PlanInputError(
            said("no step {step!r}; the steps are {steps}", step=step, steps=", ".join(ALERT_STEPS))
        )
    return _alert_public(db, who, view)


# ---------------------------------------------------------------------- hours


def record_hours(
    db: Database, who: Principal, round_id: int, rows: Sequence[HoursCreate | work.HoursRow]
) -> HoursBatchPublic:
    """Record a batch of hours, all or none."""
    not_auditor(who, said("record hours"))
    in_scope(db, who, round_in_scope, round_id)
    given = [r if isinstance(r, work.HoursRow) else work.HoursRow(**r.model_dump()) for r in rows]
    done = work.record_hours(db, round_id, given, actor=who.handle)
    return HoursBatchPublic(**asdict(done))


def hours_from_csv(filename: str | None, data: bytes) -> list[work.HoursRow]:
    return work.parse_hours_rows(io.StringIO(csv_text(filename, data), newline=""), str(filename))


def _entry(db: Database, who: Principal, entry: int) -> HoursEntryPublic:
    with db.transaction() as s:
        round_id = hours_entry_in_scope(who, s, entry).round_id
    for e in work.entries_of(db, round_id, viewer=who.handle):
        if e.id == entry:
            return HoursEntryPublic(**asdict(e))
    raise NotFoundError(
        said("no hours entry {entry} among those {who!r} sees", entry=entry, who=who.handle)
    )


def reverse_hours(db: Database, who: Principal, entry: int, reason: str) -> HoursEntryPublic:
    """Cancel an entry by a reversing entry; the reversal."""
    not_auditor(who, said("reverse hours"))
    in_scope(db, who, hours_entry_in_scope, entry)
    return _entry(db, who, work.reverse_hours(db, entry, reason=reason, actor=who.handle))


def confirm_hours(db: Database, who: Principal, entries: Sequence[int]) -> list[int]:
    """Confirm entries of ``who``'s own hours, all or none; the verdicts' ids."""
    not_auditor(who, said("confirm hours"))
    in_scope(db, who, hours_entry_in_scope, *entries)
    return list(work.confirm_hours(db, entries, actor=who.handle))


def dispute_hours(db: Database, who: Principal, entry: int, reason: str) -> HoursEntryPublic:
    """Dispute an entry of ``who``'s own hours, saying why; the entry with its verdict."""
    not_auditor(who, said("dispute hours"))
    in_scope(db, who, hours_entry_in_scope, entry)
    work.dispute_hours(db, entry, reason=reason, actor=who.handle)
    return _entry(db, who, entry)


def hours_entries(
    db: Database,
    who: Principal,
    round_id: int,
    *,
    member: str | None = None,
    period: str | None = None,
) -> list[HoursEntryPublic]:
    """The entries ``who`` may see (their own, their workplace's; facilitators all)."""
    in_scope(db, who, round_in_scope, round_id)
    found = work.entries_of(db, round_id, member=member, period=period, viewer=_viewer(who))
    return [HoursEntryPublic(**asdict(e)) for e in found]


def _viewer(who: Principal) -> str | None:
    """Auditors read every account of their federations; the domain decides for the others."""
    return None if who.is_auditor else who.handle


def balances(
    db: Database,
    who: Principal,
    round_id: int,
    *,
    of: str = "member",
    period: str | None = None,
    account: str | None = None,
) -> list[BalancePublic]:
    """Balances per account and period (``of``: member, workplace or credit)."""
    in_scope(db, who, round_in_scope, round_id)
    found = work.balances(db, round_id, of=of, period=period, account=account, viewer=_viewer(who))
    return [BalancePublic(**asdict(b)) for b in found]


# ---------------------------------------------------------------------- quotas


def round_plans(db: Database, who: Principal, round_id: int) -> list[int]:
    """The plans computed in a round, oldest first."""
    in_scope(db, who, round_in_scope, round_id)
    with db.transaction() as s:
        query = select(Draft.id).where(Draft.round_id == round_id).order_by(Draft.id)
        return list(s.execute(query).scalars())


def current_period(db: Database, who: Principal, round_id: int) -> str:
    """The period of the round's plan that holds today (before the first: the first; after the
    last: the last)."""
    with db.transaction() as s:
        r = round_in_scope(who, s, round_id)
        held = reports.periods_of(r)
    today = datetime.now(UTC).date()
    iso = today.isocalendar()
    now = f"{iso.year:04d}-W{iso.week:02d}" if "-W" in held[0] else f"{today:%Y-%m}"
    started = [p for p in held if p <= now]
    return started[-1] if started else held[0]


def my_quota(db: Database, who: Principal, plan: int, period: str) -> QuotaPublic:
    """``who``'s quota, credits and free time in ``period`` under ``plan``."""
    in_scope(db, who, plan_in_scope, plan)
    q = work.quotas(db, plan, period).of(who.handle)
    return QuotaPublic(plan=plan, **asdict(q))


def compare_plans(
    db: Database, who: Principal, round_id: int, *, period: str | None = None
) -> list[PlanHoursPublic]:
    """What each plan of the round means for ``who``, per week."""
    plans = round_plans(db, who, round_id)
    if not plans:
        return []
    found = work.compare_plans(db, who.handle, plans, period=period)
    return [PlanHoursPublic(**asdict(p)) for p in found]


def ratified_plan(db: Database, who: Principal, round_id: int) -> int | None:
    """The plan a round ratified (its outcome's plan, else its latest final plan), if any."""
    with db.transaction() as s:
        r: Round = round_in_scope(who, s, round_id)
        if r.phase != "ratified":
            return None
        plan = (r.outcome or {}).get("plan")
        if plan is None:
            query = select(Draft.id).where(Draft.round_id == round_id, Draft.stage == "final")
            plan = s.execute(query.order_by(Draft.id.desc()).limit(1)).scalar()
    return int(plan) if plan is not None else None


# ---------------------------------------------------------------------- monitoring


def round_status(
    db: Database, who: Principal, round_id: int, through: str | None = None
) -> RoundStatusPublic:
    """Every series of a running round watched through ``through`` (default: the current
    period), Beer's indices and the floors (:func:`commonplan.monitor.status.watch_round`)."""
    from commonplan.monitor.status import watch_round

    in_scope(db, who, round_in_scope, round_id)
    st = watch_round(
        db, round_id, through=through or current_period(db, who, round_id), viewer=_viewer(who)
    )
    return RoundStatusPublic.model_validate(st.to_dict())


def replan(db: Database, who: Principal, round_id: int, body: ReplanCreate) -> ReplanPublic:
    """Re-solve the rest of the year from the reports measured through ``body.through`` (the
    federation's facilitators: the domain decides)."""
    from commonplan.monitor.rolling import measured_state, replan_round

    not_auditor(who, said("replan"))
    in_scope(db, who, round_in_scope, round_id)
    measured = measured_state(db, round_id, through=body.through, viewer=who.handle)
    rec = replan_round(
        db, round_id, measured=measured, actor=who.handle, capacity=dict(body.capacities)
    )
    rp = rec.replan
    return ReplanPublic(
        plan=rec.plan,
        from_period=rp.from_period,
        periods=[
            ReplanPeriodPublic(
                period=p.period,
                status=p.status,
                floors_met=p.floors_met,
                fulfilment=dict(p.fulfilment),
            )
            for p in rp.periods
        ],
        floors_safe=rp.floors_safe,
        floors_at_risk=[
            FloorRiskPublic(
                period=f.period,
                shortfall={k: float(v) for k, v in f.shortfall.items() if v > 0},
                message=f.message,
            )
            for f in rp.floors_at_risk
        ],
        alerts=list(rec.alerts),
        needs_vote=rec.needs_vote,
    )
