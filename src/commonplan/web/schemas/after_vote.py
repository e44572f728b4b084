"""The API's bodies for after the vote: reports and their reconciliation, alerts, hours worked
and the monitor."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, computed_field
from pydantic.dataclasses import dataclass

from commonplan.monitor.alerts import AlertView
from commonplan.monitor.status import WorkplaceIndices
from commonplan.monitor.watch import SeriesSignal
from commonplan.reports.ledger import StoredReport
from commonplan.web.schemas._base import Instant, _In
from commonplan.work.hours import Balance, StoredEntry
from commonplan.work.quotas import MemberQuota, PlanHours

__all__ = [
    "MAX_ROWS",
    "AlertIds",
    "AlertNote",
    "AlertPublic",
    "BalancePublic",
    "EntryId",
    "FindingPublic",
    "FloorRiskPublic",
    "FloorsPublic",
    "HoursBatchCreate",
    "HoursBatchPublic",
    "HoursConfirm",
    "HoursCreate",
    "HoursEntryPublic",
    "HoursReason",
    "IndicesPublic",
    "Name",
    "Period",
    "PlanHoursPublic",
    "QuotaPublic",
    "ReconciledPublic",
    "ReconciliationPublic",
    "ReplanCreate",
    "ReplanPeriodPublic",
    "ReplanPublic",
    "ReportBatchCreate",
    "ReportBatchPublic",
    "ReportCreate",
    "ReportPublic",
    "ReportRevise",
    "RoundStatusPublic",
    "SeriesPublic",
    "SignalPublic",
    "SuspectPublic",
    "TransitionPublic",
    "UntestablePublic",
    "VerdictsPublic",
]

Name = Field(min_length=1, max_length=200)
Period = Field(min_length=1, max_length=20, examples=["2027-01"])
MAX_ROWS = 10_000
"""Rows in one batch sent as JSON (larger batches: the CLI)."""


class ReportCreate(_In):
    """One report: councils by name, the product by its code (``kind``: output, delivery,
    receipt, input, stock, hours)."""

    council: str = Name
    period: str = Period
    kind: str = Field(min_length=1, max_length=20, examples=["output"])
    amount: float
    product: str | None = Field(None, max_length=50, examples=["A01"])
    counterpart: str | None = Field(None, max_length=200)
    unit: str | None = Field(None, max_length=50)
    sigma: float | None = None
    source: str = Field("workplace", max_length=20)
    dekad: int | None = Field(None, ge=1, le=3)


class ReportBatchCreate(_In):
    rows: list[ReportCreate] = Field(min_length=1, max_length=MAX_ROWS)


class ReportRevise(_In):
    """A correction: the new amount and why."""

    amount: float
    reason: str = Field(min_length=1, max_length=2000)
    sigma: float | None = None


class ReportBatchPublic(BaseModel):
    """An accepted batch: its reports' ids in row order and its audit entry."""

    batch: int
    reports: list[int]
    rows_sha256: str
    audit_seq: int


@dataclass(frozen=True)
class ReportPublic(StoredReport):
    """A report in the ledger; ``current`` is false once a revision replaced it."""


class ReconciledPublic(BaseModel):
    """A workplace's output of one product: reported, and reconciled with its standard error."""

    council: str
    product: str
    product_name: str
    unit: str
    reported: float | None
    reconciled: float | None
    std_error: float | None
    hours_reported: float | None
    hours_reconciled: float | None


class SuspectPublic(BaseModel):
    """A report, or a council's reports together, that the balances reject, in the order named
    (``council`` null: several councils' reports that cannot be told apart)."""

    rank: int
    council: str | None
    reports: list[int] = Field(description="The ledger ids of the reports named")
    together: bool
    z: float | None
    size: float | None
    size_se: float | None
    why: str


class UntestablePublic(BaseModel):
    """A report that nothing else checks."""

    report: int | None
    council: str
    kind: str
    product: str | None
    product_name: str | None
    amount: float
    source: str


class FindingPublic(BaseModel):
    """A plausibility screen's finding about a council (empty: the sector); the numbers are
    null where the screen does not apply (``p_value`` also for a score)."""

    council: str
    screen: str
    product: str | None
    product_name: str | None
    statistic: float | None
    p_value: float | None
    threshold: float | None
    flagged: bool
    applicable: bool
    reason: str


class ReconciliationPublic(BaseModel):
    """Do a period's reports add up: the global test in words and numbers, each workplace's
    reported and reconciled output, the suspects with why, the reports nothing can check, and
    the plausibility screens' flagged findings."""

    round: int
    period: str
    passed: bool
    verdict: str = Field(description="The global test in one sentence")
    chi2: float | None
    degrees_of_freedom: int
    p_value: float | None
    alpha: float
    workplaces: list[ReconciledPublic]
    suspects: list[SuspectPublic]
    untestable: list[UntestablePublic]
    findings: list[FindingPublic] = Field(description="The screens' flagged findings")
    notes: list[str]


class AlertIds(BaseModel):
    """The alerts raised (or already open) for a period's suspects and screens' findings."""

    suspects: list[int]
    screens: list[int]


class AlertNote(_In):
    """What the council says (required to explain or correct; optional to resolve)."""

    note: str | None = Field(None, max_length=4000)


class TransitionPublic(BaseModel):
    at: Instant
    actor: str
    action: str
    level: int
    note: str | None


@dataclass(frozen=True)
class AlertPublic(AlertView):
    """An alert: where it sits now (``sits_with``: the council, or the federation node it has
    reached), its deadline and its history."""

    evidence: dict[str, Any]
    deadline: Instant
    raised_at: Instant
    history: list[TransitionPublic]  # type: ignore[assignment]
    steps: list[str] = Field(
        default_factory=list,
        description="The steps the signed-in member may take now (acknowledge, explain, "
        "correct, resolve)",
    )


class HoursCreate(_In):
    """``member`` worked ``hours`` at ``workplace`` in ``period``, or is credited ``hours`` of
    ``credit`` (care, sick, study, age); exactly one of the two."""

    member: str = Field(min_length=1, max_length=100)
    period: str = Period
    hours: float
    workplace: str | None = Field(None, max_length=200)
    credit: str | None = Field(None, max_length=50)
    age: int | None = Field(None, ge=0, le=130)
    note: str | None = Field(None, max_length=2000)


class HoursBatchCreate(_In):
    rows: list[HoursCreate] = Field(min_length=1, max_length=MAX_ROWS)


class HoursReason(_In):
    reason: str = Field(min_length=1, max_length=2000)


EntryId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class HoursConfirm(_In):
    entries: list[EntryId] = Field(min_length=1, max_length=MAX_ROWS)


class HoursBatchPublic(BaseModel):
    batch: int
    entries: list[int]
    rows_sha256: str
    audit_seq: int


class VerdictsPublic(BaseModel):
    verdicts: list[int]


@dataclass(frozen=True)
class HoursEntryPublic(StoredEntry):
    """An entry with its verdict (``pending`` until the member gives one) and its reversal."""


@dataclass(frozen=True)
class BalancePublic(Balance):
    """An account's hours in one period by verdict (a workplace's are negative: work received)."""

    total = computed_field(Balance.total)


@dataclass(frozen=True)
class QuotaPublic(MemberQuota):
    """A member's hours in one period under a plan: to work, credited, offered, and free."""

    plan: int
    free = computed_field(MemberQuota.free)


@dataclass(frozen=True)
class PlanHoursPublic(PlanHours):
    """What one plan means for the member, per week."""


@dataclass(frozen=True)
class SignalPublic(SeriesSignal):
    """A change in one series: what kind, as of which period, how sure, how big, and why."""


class SeriesPublic(BaseModel):
    """One watched series: a workers' council's output of a product (or its hours, ``subject``
    ``"hours"``), planned per period, reconciled values and standard errors per period (null:
    nothing reported), the model's state probabilities and the next period's forecast."""

    name: str
    council: str
    subject: str
    processes: list[str]
    planned: float
    values: list[float | None]
    std: list[float | None]
    states: dict[str, float]
    forecast: float
    lower: float
    upper: float
    signal: SignalPublic | None


@dataclass(frozen=True)
class IndicesPublic(WorkplaceIndices):
    """Beer's indices of a workplace and product in the last period (null: undefined)."""


class FloorRiskPublic(BaseModel):
    period: str
    shortfall: dict[str, float]
    message: str


class FloorsPublic(BaseModel):
    """The floors as the latest replan (``plan``) left them."""

    plan: int
    from_period: str
    safe: bool
    needs_vote: bool
    at_risk: list[FloorRiskPublic]


class RoundStatusPublic(BaseModel):
    """Where a running round stands as of ``through``: every series, the changes of the last
    period (``signals``) and when each change was first seen (``history``), Beer's indices and
    the floors (null before any replan)."""

    round: int
    federation: str
    through: str
    periods: list[str]
    series: list[SeriesPublic]
    signals: list[SignalPublic]
    history: list[SignalPublic]
    indices: list[IndicesPublic]
    floors: FloorsPublic | None


class ReplanCreate(_In):
    """Replan the rest of the year from the reports measured through ``through``;
    ``capacities``: {process: the most activity per period it can reach now}."""

    through: str = Period
    capacities: dict[Annotated[str, Field(max_length=100)], Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, max_length=10_000
    )


class ReplanPeriodPublic(BaseModel):
    period: str
    status: str
    floors_met: bool
    fulfilment: dict[str, float]


class ReplanPublic(BaseModel):
    """A recorded replan (``plan``): each remaining period, the floors at risk, the alerts it
    raised, and whether it goes back to the councils."""

    plan: int
    from_period: str
    periods: list[ReplanPeriodPublic]
    floors_safe: bool
    floors_at_risk: list[FloorRiskPublic]
    alerts: list[int]
    needs_vote: bool
