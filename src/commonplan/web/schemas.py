"""Request and response bodies of the REST API, split by direction: ``XCreate`` (what a client
sends), ``XPublic`` (what the service answers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, model_validator
from pydantic.dataclasses import dataclass

from commonplan.members import MemberStatus
from commonplan.monitor.alerts import AlertView
from commonplan.monitor.status import WorkplaceIndices
from commonplan.monitor.watch import SeriesSignal
from commonplan.reports.ledger import StoredReport
from commonplan.rounds.plans import CollectiveCost, PlanSummary
from commonplan.rounds.shares import PerPerson, WhatWeGet
from commonplan.work.hours import Balance, StoredEntry
from commonplan.work.quotas import MemberQuota, PlanHours

__all__ = [
    "AlertIds",
    "AlertNote",
    "AlertPublic",
    "AuditEntryPublic",
    "AuditPage",
    "BalancePublic",
    "BallotCreate",
    "BallotFound",
    "BoardPublic",
    "CouncilPublic",
    "DelegateCreate",
    "DelegatePublic",
    "FederationCreate",
    "FederationPublic",
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
    "InvitationAccept",
    "InvitationPublic",
    "MePublic",
    "MemberCreate",
    "MemberPublic",
    "MembersAdded",
    "PasswordChange",
    "PlanHoursPublic",
    "PlanPublic",
    "ProposalAmend",
    "ProposalCreate",
    "ProposalPublic",
    "ProposalWithdraw",
    "QuestionPublic",
    "QuotaPublic",
    "Receipt",
    "ReceiptLookup",
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
    "RoundCreate",
    "RoundPublic",
    "RoundStatusPublic",
    "SeriesPublic",
    "SessionPublic",
    "SignIn",
    "SignalPublic",
    "SuspectPublic",
    "TransitionPublic",
    "UntestablePublic",
    "VerdictsPublic",
    "VerificationPublic",
]


def _utc(at: datetime) -> datetime:
    """SQLite gives back naive datetimes, which were stored as UTC: answers always carry the
    offset (RFC 3339)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


Instant = Annotated[datetime, AfterValidator(_utc)]
"""A date and time with its UTC offset."""


def _no_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'a value'} holds a NUL character (\\u0000)")
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k, where)
            _no_nul(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list | tuple):
        for k, v in enumerate(value):
            _no_nul(v, f"{where}[{k}]")
    elif isinstance(value, BaseModel):
        for k, v in value.__dict__.items():
            _no_nul(v, f"{where}.{k}" if where else k)


class _In(BaseModel):
    """What clients send: no unknown fields, and no NUL characters (no database stores them)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _printable(self) -> Self:
        _no_nul(self, "")
        return self


# ---------------------------------------------------------------------- accounts

Handle = Field(min_length=1, max_length=100, examples=["ada"])
Password = Field(min_length=1, max_length=1024, examples=["correct horse battery"])


class SignIn(_In):
    handle: str = Handle
    password: str = Password
    device: str | None = Field(
        default=None,
        max_length=200,
        description="The device_token of an earlier sign-in from this device: it is let "
        "through while failures from unknown devices hold the handle back (browsers send the "
        "device cookie instead)",
    )


class SessionPublic(BaseModel):
    """A new session: send ``token`` as ``Authorization: Bearer``; a browser gets it as an
    HttpOnly cookie instead and sends ``csrf_token`` in ``X-CSRF-Token``."""

    token: str
    csrf_token: str
    expires_at: Instant
    member: MemberPublic
    device_token: str = Field(
        description="Keep it and send it as ``device`` when signing in again from this device"
    )
    reset_by: list[str] = Field(
        default_factory=list,
        description="Facilitators whose password resets were used since the member last signed "
        "in: if they did not ask for one, someone else may have signed in as them",
    )


class InvitationAccept(_In):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class InvitationPublic(BaseModel):
    """Give ``token`` (or ``url``) to the member, once: it is not stored and cannot be shown
    again.  ``kind``: ``invitation`` (a first password) or ``reset`` (a new one)."""

    handle: str
    token: str
    url: str | None
    expires_at: Instant
    kind: str = "invitation"


class ReceiptLookup(_In):
    receipt: str = Field(pattern=r"^[A-Za-z0-9-]{4,64}$", examples=["K7QX-2M9P-TT4D"])


class PasswordChange(_In):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Password


class MemberPublic(BaseModel):
    handle: str
    name: str
    role: str
    workers_council: str | None = None
    consumers_council: str | None = None


class MePublic(BaseModel):
    """The signed-in member: roles (``member``, ``delegate``, ``facilitator``, ``auditor``),
    councils, the councils they are delegate of, and their federations."""

    handle: str
    name: str
    roles: list[str]
    councils: list[CouncilPublic]
    delegate_of: list[int]
    federations: list[int]
    csrf_token: str | None = Field(
        default=None, description="Only for cookie sessions: send it in X-CSRF-Token"
    )


# ---------------------------------------------------------------------- federations

Number = float


class FloorCreate(_In):
    product: str = Field(max_length=100)
    per_person: float = Field(ge=0, allow_inf_nan=False)
    need: str = Field(default="food", max_length=50)


class CouncilCreate(_In):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["workers", "consumers"]
    processes: list[str] = Field(default_factory=list, max_length=1000)


class DelegateCreate(_In):
    """The council's decision: who is its delegate, for how long."""

    handle: str = Field(min_length=1, max_length=100)
    term_days: int = Field(default=365, ge=1, le=3650)


class DelegatePublic(BaseModel):
    """A delegate's term: ``serving`` while it runs and nobody recalled it."""

    id: int
    council: int
    handle: str
    term_start: Instant
    term_end: Instant
    recalled_at: Instant | None
    serving: bool


class RoundSettings(_In):
    quorum: float | None = Field(default=None, ge=0, le=1)
    threshold: float | None = Field(default=None, ge=0, le=1)
    strict: bool | None = None
    ratification: Literal["approval", "consent"] | None = None
    max_rounds: int | None = Field(default=None, ge=1, le=100)
    collective_share: float | None = Field(default=None, ge=0, le=1)
    caps: dict[str, float | str] | None = None
    mes_utility: Literal["cost", "approval"] | None = None
    tie_break: Literal["lexicographic"] | None = None


class NodeCreate(_In):
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(default="federation", max_length=50)
    councils: list[CouncilCreate] = Field(default_factory=list, max_length=10_000)
    children: list[NodeCreate] = Field(default_factory=list, max_length=10_000)


class FederationCreate(NodeCreate):
    """A federation tree, as in the YAML description of ``commonplan federation create``."""

    economy: str = Field(
        default="demo", max_length=500, description="One the server offers, e.g. demo"
    )
    people_per_member: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    default_hours: float = Field(default=1600.0, ge=0, le=8760)
    floors: list[FloorCreate] = Field(default_factory=list, max_length=10_000)
    rounds: RoundSettings = RoundSettings()

    def description(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True)
        data["rounds"] = self.rounds.model_dump(exclude_none=True)
        return data


class CouncilPublic(BaseModel):
    id: int
    name: str
    kind: str
    federation: int
    processes: list[str]
    members: int | None = None


class FederationPublic(BaseModel):
    """A node of the tree with its councils and children; the root carries its settings."""

    id: int
    name: str
    level: str
    parent: int | None
    settings: dict[str, Any] | None = None
    councils: list[CouncilPublic] = Field(default_factory=list)
    children: list[FederationPublic] = Field(default_factory=list)


@dataclass(frozen=True)
class MemberStatusPublic(MemberStatus):
    """A member as a facilitator keeps track of them: ``account`` is ``active`` (a password
    set), ``invited``, ``invitation expired`` or ``not invited``; ``voted``: whether they cast
    a ballot in the round asked about (null where none was) — who voted, never how."""


class InvitationsCreate(_In):
    """Invitations for many members at once, all or none (a refusal names the line: 1 is the
    first handle)."""

    handles: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=10_000
    )


class MemberCreate(_In):
    handle: str = Handle
    name: str | None = Field(default=None, max_length=200)
    workers_council: str | None = Field(default=None, max_length=200)
    consumers_council: str | None = Field(default=None, max_length=200)
    role: Literal["member", "facilitator", "auditor"] = "member"


class MembersAdded(BaseModel):
    added: int


# ---------------------------------------------------------------------- rounds, proposals


class RoundCreate(_In):
    deadlines: dict[Literal["proposals", "feedback", "vote"], datetime] = Field(
        default_factory=dict,
        description="When each phase ends (filing, amending, voting stop then); naive times "
        "are UTC",
    )


class Deadline(BaseModel):
    phase: str
    at: Instant
    seconds_left: float = Field(description="0 once it has passed")


class RoundPublic(BaseModel):
    id: int
    federation: int
    number: int
    phase: Literal["proposals", "feedback", "vote", "ratified", "failed"]
    settings: dict[str, Any]
    deadlines: list[Deadline]
    time_left: float | None = Field(
        description="Seconds until the current phase's deadline; null without one"
    )
    opened_at: Instant
    closed_at: Instant | None
    outcome: dict[str, Any] | None
    questions: dict[str, int] = Field(description="The ballot boxes: {kind: question id}")
    plans: list[int] = Field(description="Plans computed in this round, oldest first")


class ProposalCreate(_In):
    council: str = Field(min_length=1, max_length=200, description="The council proposing")
    kind: Literal["target", "collective", "hours", "capacity"]
    title: str = Field(min_length=1, max_length=300)
    amounts: dict[str, float] | None = Field(
        default=None, description="{product or process: amount} (target, collective, capacity)"
    )
    hours: float | None = Field(default=None, description="Hours per member per year (hours)")


class ProposalAmend(_In):
    title: str = Field(min_length=1, max_length=300)
    amounts: dict[str, float] | None = None
    hours: float | None = None


class ProposalWithdraw(_In):
    """Why a proposal is withdrawn: required of a facilitator withdrawing a council's proposal
    (recorded, logged and shown to members with the proposal)."""

    reason: str | None = Field(default=None, max_length=500)


class ProposalHide(_In):
    """Why a facilitator hides an abusive proposal: members read it in the proposal's place."""

    reason: str = Field(min_length=1, max_length=500)


class PeriodCreate(_In):
    """The first round of the next planning period, with optional deadlines per phase."""

    deadlines: dict[Literal["proposals", "feedback", "vote"], datetime] = Field(
        default_factory=dict, description="When each phase ends; naive times are UTC"
    )


class PhaseStepPublic(BaseModel):
    """One step of a round's timeline: ``state`` is ``done``, ``current`` or ``later``."""

    phase: str
    state: Literal["done", "current", "later"]
    began: Instant | None
    deadline: Instant | None
    ended: Instant | None


class TimelinePublic(BaseModel):
    """A round's phases in order with their dates, and (from the vote on) how many members
    have voted of how many may — counts only."""

    round: int
    steps: list[PhaseStepPublic]
    voted: int | None
    eligible: int | None


class ProposalPublic(BaseModel):
    """A proposal as members may see it: a ``hidden`` one (a facilitator hid it as abusive)
    shows no title, amounts or hours, only who hid it (``withdrawn_by``) and why."""

    id: int
    round: int
    council: str
    kind: str
    title: str
    amounts: dict[str, float]
    hours: float | None
    amends: int | None
    withdrawn: bool
    hidden: bool = False
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None
    labour_cost: float | None
    filed_by: str
    filed_at: Instant


# ---------------------------------------------------------------------- plans


class AlternativeCreate(_In):
    title: str = Field(min_length=1, max_length=300)
    caps: dict[str, float | str] = Field(description="{resource: cap}, e.g. {co2: '60%'}")


@dataclass(frozen=True)
class CollectivePublic(CollectiveCost):
    pass


@dataclass(frozen=True)
class PlanPublic(PlanSummary):
    """A recorded plan as a person reads it (see ``commonplan.board.plan_summary``)."""

    fulfilment: float | str | None  # type: ignore[assignment]
    binding: list[str]  # type: ignore[assignment]
    collective: list[CollectivePublic]  # type: ignore[assignment]


@dataclass(frozen=True)
class PerPersonPublic(PerPerson):
    """One product per person of the member's consumers' council, a year (see
    ``commonplan.rounds.what_we_get``); ``today``: the economy's final demand per inhabitant in
    its table's year."""


@dataclass(frozen=True)
class WhatWeGetPublic(WhatWeGet):
    """What the plan gives each person of the member's consumers' council, against today."""

    rows: list[PerPersonPublic]  # type: ignore[assignment]


class ConsequencesPublic(BaseModel):
    """What the round's latest plan means for the signed-in member."""

    member: str
    hours_per_year: float | None
    hours_proposed: float | None
    fulfilment: float | None
    proposals: list[dict[str, Any]]
    binding: list[str]
    prices: dict[str, float]
    status: str
    per_person: WhatWeGetPublic


class RecomputePublic(BaseModel):
    same: bool
    recorded: dict[str, Any]
    recomputed: dict[str, Any]


# ---------------------------------------------------------------------- votes, board, audit


class VoteOpened(BaseModel):
    questions: dict[str, int] = Field(description="{kind: question id}")


class QuestionPublic(BaseModel):
    id: int
    round: int
    kind: str
    options: dict[str, Any]
    status: str
    closed_at: Instant | None
    voted: bool = Field(description="Whether the signed-in member has voted on it")


class QuestionResult(BaseModel):
    id: int
    kind: str
    result: dict[str, Any]
    box_sha256: str | None
    closed_at: Instant | None


class BallotCreate(_In):
    """``choice``: budget ``{"approve": [ids]}``, ratify ``{"vote": "yes"|"no"|"abstain"}``,
    consent ``{"objection": null|reason}``, ranked ``{"ranking": [ids]}``.  ``receipt``: a code
    of the voter's own (else one is drawn).  A ballot sent again after a lost answer is refused
    as a second ballot ("voted already", whatever its receipt and choice): the first counts."""

    choice: dict[str, Any]
    receipt: str | None = Field(default=None, max_length=64)


class Receipt(BaseModel):
    question: int
    receipt: str = Field(description="Keep it: it finds your ballot on the board after close")


class BoardQuestion(BaseModel):
    question: int
    round: int
    kind: str
    options: dict[str, Any]
    ballots: list[list[Any]] = Field(description="[receipt, choice] sorted by receipt")
    box_sha256: str | None
    result: dict[str, Any] | None
    eligible: int | None
    audit_head: dict[str, Any]
    exported_at: Instant


class BoardPublic(BaseModel):
    round: int
    questions: list[BoardQuestion]
    log: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The audit log entries the results depend on, as the board's "
        "audit-log.jsonl holds them: they end at the head published at close",
    )


class BallotFound(BaseModel):
    question: int
    round: int
    kind: str
    receipt: str
    choice: dict[str, Any]


class VerificationPublic(BaseModel):
    ok: bool
    entries: int
    head: str
    problems: list[str]


class AuditEntryPublic(BaseModel):
    seq: int
    at: Instant
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_sha256: str
    sha256: str


class AuditPage(BaseModel):
    entries: list[AuditEntryPublic]
    next_after: int | None = Field(description="Pass as ?after= for the next page; null: no more")


SessionPublic.model_rebuild()
MePublic.model_rebuild()
FederationPublic.model_rebuild()
NodeCreate.model_rebuild()


# ---------------------------------------------------------------------- reports (after the vote)

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


# ---------------------------------------------------------------------- alerts


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


# ---------------------------------------------------------------------- hours


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


# ---------------------------------------------------------------------- monitoring


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
