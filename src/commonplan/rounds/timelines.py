"""A round's phases as members follow them: each phase in order with when it began, its
deadline and when it ended (from the round, its deadlines and the audit log's phase changes),
the current one marked; and, while the vote runs, how many members have voted so far — counts
from the participation record, never who nor how."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from commonplan.federation import eligible_members
from commonplan.store import Database, get
from commonplan.store.models import AuditEntry, Participation, Question, Round

__all__ = ["PhaseStep", "Turnout", "timeline", "turnout"]

STEPS = ("proposals", "feedback", "vote", "closed")
"""The steps of the timeline: the three phases, then the close (ratified or failed)."""


@dataclass(frozen=True)
class PhaseStep:
    """One step of a round: ``phase`` (``proposals``, ``feedback``, ``vote``, or at the end
    ``ratified``, ``failed`` or — not closed yet — ``closed``); ``state`` ``done``, ``current``
    or ``later``; when it began, its deadline, when it ended (each where known)."""

    phase: str
    state: str
    began: datetime | None
    deadline: datetime | None
    ended: datetime | None


@dataclass(frozen=True)
class Turnout:
    """How many of the ``eligible`` members have cast a ballot in the round (in any box)."""

    voted: int
    eligible: int

    @property
    def percent(self) -> float:
        return 100.0 * self.voted / self.eligible if self.eligible else 0.0


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def timeline(db: Database, round_id: int) -> tuple[PhaseStep, ...]:
    """The steps of round ``round_id`` in order (:data:`STEPS`), the current one marked: a
    phase began when the log moved the round into it (the proposals phase when the round
    opened), and ended when the next began."""
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        moves = s.execute(
            select(AuditEntry.payload, AuditEntry.at)
            .where(AuditEntry.subject == f"round {r.id}", AuditEntry.action == "round phase")
            .order_by(AuditEntry.seq)
        ).all()
        began: dict[str, datetime] = {"proposals": _aware(r.opened_at)}
        for payload, at in moves:
            began[str(payload.get("phase"))] = _aware(at)
        closed = r.closed_at is not None and r.phase in ("ratified", "failed")
        if closed and r.closed_at is not None:
            began[r.phase] = _aware(r.closed_at)
        phase, deadlines = r.phase, dict(r.deadlines or {})
    last = phase if closed else "closed"
    order = [*STEPS[:-1], last]
    at = order.index(phase) if phase in order else len(order) - 1
    out = []
    for k, step in enumerate(order):
        after = began.get(order[k + 1]) if k + 1 < len(order) else None
        deadline = deadlines.get(step)
        out.append(
            PhaseStep(
                phase=step,
                state="done" if k < at else "current" if k == at else "later",
                began=began.get(step) if k <= at else None,
                deadline=_aware(datetime.fromisoformat(deadline)) if deadline else None,
                ended=after if k < at else None,
            )
        )
    return tuple(out)


def turnout(db: Database, round_id: int) -> Turnout:
    """How many members of the round's federation have voted in it so far, of how many may:
    counts only (the participation record says who voted in a box, never how)."""
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        boxes = select(Question.id).where(Question.round_id == r.id)
        voted = s.execute(
            select(func.count(func.distinct(Participation.member_id))).where(
                Participation.question_id.in_(boxes)
            )
        ).scalar_one()
        eligible = len(s.execute(eligible_members(s, r.federation_id)).all())
    return Turnout(int(voted), eligible)
