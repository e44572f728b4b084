"""The API's bodies for planning rounds: proposals, plans, votes, ballots, the board and the
audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.dataclasses import dataclass

from commonplan.rounds.plans import CollectiveCost, PlanSummary
from commonplan.rounds.shares import PerPerson, WhatWeGet
from commonplan.web.schemas._base import Instant, _In
from commonplan.web.schemas.accounts import MePublic, SessionPublic
from commonplan.web.schemas.federations import FederationPublic, NodeCreate

__all__ = [
    "AlternativeCreate",
    "AuditEntryPublic",
    "AuditPage",
    "BallotCreate",
    "BallotFound",
    "BoardPublic",
    "BoardQuestion",
    "CollectivePublic",
    "ConsequencesPublic",
    "Deadline",
    "PerPersonPublic",
    "PeriodCreate",
    "PhaseStepPublic",
    "PlanPublic",
    "ProposalAmend",
    "ProposalCreate",
    "ProposalHide",
    "ProposalPublic",
    "ProposalWithdraw",
    "QuestionPublic",
    "QuestionResult",
    "Receipt",
    "RecomputePublic",
    "RoundCreate",
    "RoundPublic",
    "TimelinePublic",
    "VerificationPublic",
    "VoteOpened",
    "WhatWeGetPublic",
]


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
