"""The tables of a planning federation (SQLAlchemy 2 declarative models).

Secrecy of the ballot is a property of this schema, so it is stated here:

- ``participation`` records *who* took part in a question (member, question) — never how;
- ``ballot`` records *how* (the choice and the voter's receipt code) — never who: no member id,
  no timestamp, and a random id, so no column links a ballot to a voter.  While a box is open
  its rows are in casting order, and so is what SQL shows of them (SQLite's ``rowid``,
  PostgreSQL's ``ctid`` and ``xmin``, the participation ids); the close writes the box's rows
  of both tables again in an order owed to nothing of the casting
  (:func:`commonplan.rounds.ballots.seal_box`).  What remains outside SQL (files, logs) is in
  docs/integrity.md, "Secrecy of the ballot".

Every state change also appends a row to ``audit_entry``, a hash chain (see
:mod:`commonplan.audit`); ``audit_head`` holds the chain's tip and is locked by each append, which
serialises writers of the log on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

__all__ = [
    "Alert",
    "AlertEvent",
    "AuditEntry",
    "AuditHead",
    "Ballot",
    "Base",
    "Council",
    "Delegate",
    "Draft",
    "Federation",
    "Floor",
    "HoursAccount",
    "HoursBatch",
    "HoursEntry",
    "HoursPosting",
    "HoursVerdict",
    "Invitation",
    "Member",
    "Participation",
    "Proposal",
    "Question",
    "Report",
    "ReportBatch",
    "Round",
    "SignInFailure",
    "Staff",
    "WebSession",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Federation(Base):
    """A node of the federation tree (team → brigade → commune → county → region …).

    The root's ``settings`` hold the economy the federation plans with (``economy``: a table path
    or ``"demo"``; ``economy_sha256``), ``people_per_member`` (how many people each member's floors
    and hours stand for) and the defaults of its rounds.
    """

    __tablename__ = "federation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    level: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("federation.id"), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Council(Base):
    """A workers' council (one per workplace, running ``processes``) or a consumers' council."""

    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "workers" | "consumers"
    name: Mapped[str] = mapped_column(String(200), unique=True)
    processes: Mapped[list[Any]] = mapped_column(default=list)


class Member(Base):
    """A person: one workers' and one consumers' council; role member, facilitator or auditor."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    workers_council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"), index=True)
    consumers_council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    password_hash: Mapped[str | None] = mapped_column(String(200))


class Delegate(Base):
    """A council's delegate to the next level up, for a limited term; recallable."""

    __tablename__ = "delegate"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    term_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    term_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Floor(Base):
    """A hard floor: net output of ``product`` per person, outside any vote."""

    __tablename__ = "floor"
    __table_args__ = (UniqueConstraint("federation_id", "product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"))
    product: Mapped[str] = mapped_column(String(100))
    per_person: Mapped[float] = mapped_column(Float)
    need: Mapped[str] = mapped_column(String(50))  # food, housing, health, care …


class Round(Base):
    """A planning round: proposals → draft → feedback → vote → ratified | failed.

    ``number`` counts the federation's rounds; ``period`` the planning periods: the rounds of a
    period go on until one ratifies its plan, and the next period's first round is opened after
    that (:func:`commonplan.rounds.open_period`)."""

    __tablename__ = "round"
    __table_args__ = (UniqueConstraint("federation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    phase: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deadlines: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Proposal(Base):
    """What a council asks for or offers in a round.

    ``kind``: ``"target"`` (consumers: private final use, {product: amount}), ``"collective"``
    (consumers: a canteen, clinic, school … as {product: amount}, chosen by the budget vote),
    ``"hours"`` (workers: hours per member per year), ``"capacity"`` (workers: {process: most
    activity}).  An amendment is a new proposal whose ``amends_id`` names the one it replaces.
    A withdrawn proposal names who withdrew it (``withdrawn_by``; none for one replaced by an
    amendment) and why (``withdrawn_reason``: a facilitator withdrawing a council's proposal
    must say).  A ``hidden`` one (abusive: a facilitator hid it, saying why) is withdrawn too,
    and members see only who hid it and why, never its title or amounts.
    """

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    amounts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hours: Mapped[float | None] = mapped_column(Float)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    labour_cost: Mapped[float | None] = mapped_column(Float)
    filed_by: Mapped[int] = mapped_column(ForeignKey("member.id"))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Draft(Base):
    """A plan the engine computed: its exact inputs, their hash, and the result."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))  # "draft" | "final"
    inputs: Mapped[dict[str, Any]] = mapped_column()
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column()
    result_sha256: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Question(Base):
    """A ballot box: ``"budget"`` (approval ballots over collective proposals, counted by equal
    shares), ``"ratify"`` (yes / no / abstain with quorum and threshold), ``"consent"`` or
    ``"ranked"`` (between alternative drafts).  ``result`` stays empty until it closes."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    box_sha256: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Participation(Base):
    """Who voted on a question — never how."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("question_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))


class Ballot(Base):
    """How someone voted — never who: a random id, the voter's receipt code and the choice."""

    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("question_id", "receipt"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    receipt: Mapped[str] = mapped_column(String(64))
    choice: Mapped[dict[str, Any]] = mapped_column()


class AuditEntry(Base):
    """One link of the hash chain: sha256 = H(prev_sha256 ‖ canonical JSON of this entry)."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column()
    prev_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The tip of the audit chain (one row); appending locks it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------------- the web service


class Staff(Base):
    """The federation a facilitator or auditor serves (they need no council of their own).

    A member's federations are the roots of their councils' trees and of the ``staff`` rows that
    name them; the web service authorises every request against that set.
    """

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("member_id", "federation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"), index=True)


class WebSession(Base):
    """A signed-in browser or API client: only the SHA-256 of its random token is stored."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client: Mapped[str] = mapped_column(String(100), default="")


class Invitation(Base):
    """A one-time token with which a member sets their password (only its SHA-256 is stored)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(20), default="invitation", server_default="invitation")
    """``invitation`` (a member without a password sets one) or ``reset`` (staff reset it)."""


class SignInFailure(Base):
    """A failed sign-in, kept for the rate limit (per handle and address, per address, per
    handle from unknown devices, per known device)."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    device: Mapped[str | None] = mapped_column(String(64), index=True)
    """The device cookie's id when the attempt came from a device the member signed in from."""


# ---------------------------------------------------------------------- after the vote


class _Batch(Base):
    """The columns of an accepted batch of an append-only ledger: its round, who filed it, when,
    how many rows, and the hash of its rows (the same hash is in the audit entry that records
    it)."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    filed_by: Mapped[int] = mapped_column(ForeignKey("member.id"))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer)
    rows_sha256: Mapped[str] = mapped_column(String(64))

    @classmethod
    def filed(cls, s: Session, round_id: int, filed_by: int, rows: int, rows_sha256: str) -> Self:
        """A new batch filed now, added to ``s`` and flushed (so that it has its id)."""
        batch = cls(
            round_id=round_id,
            filed_by=filed_by,
            filed_at=datetime.now(UTC),
            rows=rows,
            rows_sha256=rows_sha256,
        )
        s.add(batch)
        s.flush()
        return batch


class ReportBatch(_Batch):
    """One accepted batch of production reports."""

    __tablename__ = "report_batch"


class Report(Base):
    """What a council says happened in one period of a ratified plan: append-only.

    ``kind``: ``output`` (gross output of ``product``), ``delivery`` (of ``product`` to the
    ``counterpart`` council, or out of the federation where it is empty), ``receipt`` (of
    ``product`` from the ``counterpart``), ``input`` (``product`` used up), ``stock`` (change of
    the stock of ``product``), ``hours`` (hours worked).  ``source`` says who measured it: the
    workplace itself, a consumers' council, or a hard-to-fake measure (meter, freight, receipts).
    ``dekad`` (1–3) marks a report of one third of the period (for the storming screen).
    ``sigma`` is the reporter's standard deviation, if given (else the source's default).  A
    correction is a new row whose ``revises_id`` names the row it replaces, with a ``reason``;
    no row is ever updated or deleted.
    """

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("report_batch.id"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    period: Mapped[str] = mapped_column(String(20), index=True)
    dekad: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(100))
    counterpart_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"))
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(50))
    sigma: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(500))


class Alert(Base):
    """A deviation someone must answer: where it sits (``level``: 0 the council concerned, then
    one federation node up at a time), its state and its deadline.  Its history is
    :class:`AlertEvent` rows (append-only) and audit entries."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"), index=True)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(50))
    period: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(2000))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertEvent(Base):
    """One transition of an alert: raised, acknowledged, explained, corrected, escalated,
    resolved — who, when, at which level, with what note."""

    __tablename__ = "alert_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    level: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(2000))


# ---------------------------------------------------------------------- the hours ledger


class HoursBatch(_Batch):
    """One accepted batch of the hours ledger (hours recorded, or a reversal)."""

    __tablename__ = "hours_batch"


class HoursAccount(Base):
    """An account of the hours ledger: a member's (``kind`` member), a workplace's (``workplace``:
    a workers' council) or a credit pool of a federation (``credit``: one per credit kind, e.g.
    sick, care).  ``key`` ("member 12", "workplace 3", "credit 1 sick") makes each unique."""

    __tablename__ = "hours_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    federation_id: Mapped[int] = mapped_column(ForeignKey("federation.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"), index=True)
    credit: Mapped[str | None] = mapped_column(String(20))


class HoursEntry(Base):
    """A journal entry of the hours ledger: append-only, its postings sum to zero.

    ``kind`` ``work`` (hours ``member`` worked at the workplace ``council`` in ``period``) or
    ``credit`` (hours credited to ``member`` for ``credit``: care, sick, age, study …; ``age``
    is the member's age where the rule needs it).  A correction is a reversing entry: its
    ``reverses_id`` names the entry it cancels, its postings are that entry's negated, and it
    gives a ``reason``; nothing is ever updated or deleted.

    Its references (round, batch, member, council, the entry it reverses) are plain integer
    columns, not per-row foreign keys: migration 0004 checks them once per INSERT or COPY
    statement (a trigger joining the statement's new rows to their targets, on PostgreSQL; a row
    trigger on SQLite) and forbids UPDATE and DELETE — see :mod:`commonplan.work.hours`.
    """

    __tablename__ = "hours_entry"
    __table_args__ = (
        Index("ix_hours_entry_round_id_member_id", "round_id", "member_id"),
        Index(
            "uq_hours_entry_reverses_id",
            "reverses_id",
            unique=True,
            postgresql_where=text("reverses_id IS NOT NULL"),
            sqlite_where=text("reverses_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int] = mapped_column(Integer)
    council_id: Mapped[int | None] = mapped_column(Integer)
    credit: Mapped[str | None] = mapped_column(String(20))
    hours: Mapped[float] = mapped_column(Float)
    age: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
    reverses_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))


class HoursPosting(Base):
    """One leg of an entry: ``hours`` to ``account`` (positive: credited to it); an entry posts to
    an account once, so (entry, account) is the key (and the index that finds an entry's legs).
    ``entry_id`` and ``account_id`` are checked per statement, as :class:`HoursEntry`'s
    references are; on PostgreSQL the same trigger refuses an entry whose postings in the
    statement do not sum to zero."""

    __tablename__ = "hours_posting"

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hours: Mapped[float] = mapped_column(Float)


class HoursVerdict(Base):
    """The member's word on an entry of their hours: ``confirmed`` or ``disputed`` (with a
    ``reason``); one per entry, final — a disputed entry is settled by reversing it."""

    __tablename__ = "hours_verdict"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hours_entry.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
