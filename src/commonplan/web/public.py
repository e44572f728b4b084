"""What the service shows of its records, as the schemas' ``*Public`` types: builders from stored
rows (``round_public(s, r)`` …) and the signed-in member's reads, each checked against their
federations first (``read_round(db, who, id)`` …).  The API's routes answer with these, and the
pages render them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import federation as fed_service
from commonplan import rounds
from commonplan.accounts import Principal
from commonplan.rounds import board
from commonplan.rounds.proposals import shown
from commonplan.store import Database, models
from commonplan.store.models import Council, Draft, Federation, Member, Proposal, Question, Round
from commonplan.web.schemas import (
    BallotFound,
    CouncilPublic,
    Deadline,
    FederationPublic,
    MemberPublic,
    PhaseStepPublic,
    PlanPublic,
    ProposalPublic,
    QuestionPublic,
    RoundPublic,
    TimelinePublic,
)
from commonplan.web.scope import (
    federation_in_scope,
    ours,
    plan_in_scope,
    proposal_in_scope,
    question_in_scope,
    round_in_scope,
)

__all__ = [
    "aware",
    "council_public",
    "councils_below",
    "federation_tree",
    "find_ballots",
    "in_scope",
    "member_public",
    "plan_public",
    "plan_record",
    "proposal_public",
    "question_public",
    "read_plan",
    "read_proposal",
    "read_question",
    "read_round",
    "read_timeline",
    "round_proposals",
    "round_public",
    "round_questions",
    "rounds_of",
]


K = TypeVar("K", int, str)


def aware(t: datetime) -> datetime:
    """``t`` in UTC (SQLite gives the stored instants back without their zone)."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


# ---------------------------------------------------------------------- builders


def round_public(s: Session, r: Round) -> RoundPublic:
    now = datetime.now(UTC)
    deadlines = []
    for phase in rounds.DATED:
        if phase in r.deadlines:
            at = datetime.fromisoformat(r.deadlines[phase])
            deadlines.append(
                Deadline(phase=phase, at=at, seconds_left=max(0.0, (at - now).total_seconds()))
            )
    current = next((d for d in deadlines if d.phase == r.phase), None)
    questions = {
        kind: qid
        for qid, kind in s.execute(
            select(Question.id, Question.kind).where(Question.round_id == r.id)
        )
    }
    plans = list(
        s.execute(select(Draft.id).where(Draft.round_id == r.id).order_by(Draft.id)).scalars()
    )
    return RoundPublic(
        id=r.id,
        federation=r.federation_id,
        number=r.number,
        phase=r.phase,  # type: ignore[arg-type]
        settings=r.settings,
        deadlines=deadlines,
        time_left=current.seconds_left if current is not None else None,
        opened_at=aware(r.opened_at),
        closed_at=aware(r.closed_at) if r.closed_at is not None else None,
        outcome=r.outcome,
        questions=questions,
        plans=plans,
    )


def question_public(s: Session, q: Question, member: int) -> QuestionPublic:
    """A ballot box, and whether ``member`` has voted in it."""
    voted = s.execute(
        select(models.Participation.id).where(
            models.Participation.question_id == q.id, models.Participation.member_id == member
        )
    ).first()
    return QuestionPublic(
        id=q.id,
        round=q.round_id,
        kind=q.kind,
        options=q.options,
        status=q.status,
        closed_at=aware(q.closed_at) if q.closed_at is not None else None,
        voted=voted is not None,
    )


def _handle(s: Session, member: int | None) -> str | None:
    m = s.get(Member, member) if member is not None else None
    return m.handle if m is not None else None


def proposal_public(s: Session, p: Proposal) -> ProposalPublic:
    """A proposal as members may see it: a hidden one without its title, amounts or hours
    (:func:`commonplan.rounds.proposals.shown`), only who hid it and why."""
    council = s.get(Council, p.council_id)
    member = s.get(Member, p.filed_by)
    title, amounts = shown(p)
    return ProposalPublic(
        id=p.id,
        round=p.round_id,
        council=council.name if council is not None else "",
        kind=p.kind,
        title=title,
        amounts={k: float(v) for k, v in amounts.items()},
        hours=None if p.hidden else p.hours,
        hidden=p.hidden,
        amends=p.amends_id,
        withdrawn=p.withdrawn,
        withdrawn_by=_handle(s, p.withdrawn_by),
        withdrawn_reason=p.withdrawn_reason,
        labour_cost=p.labour_cost,
        filed_by=member.handle if member is not None else "",
        filed_at=aware(p.filed_at),
    )


def member_public(m: Member, names: dict[int, str]) -> MemberPublic:
    """A member, with their councils' names from ``names`` (council id → name)."""
    return MemberPublic(
        handle=m.handle,
        name=m.name,
        role=m.role,
        workers_council=names.get(m.workers_council_id) if m.workers_council_id else None,
        consumers_council=names.get(m.consumers_council_id) if m.consumers_council_id else None,
    )


def council_public(c: Council, members: int | None = None) -> CouncilPublic:
    where: dict[str, Any] = {
        "federation": c.federation_id,
        "processes": c.processes,
        "members": members,
    }
    return CouncilPublic(id=c.id, name=c.name, kind=c.kind, **where)


def councils_below(s: Session, federation: int) -> list[Council]:
    """The councils of ``federation`` and every node below it, by id."""
    below = fed_service.subtree(s, federation)
    query = select(Council).where(Council.federation_id.in_(below)).order_by(Council.id)
    return list(s.execute(query).scalars())


def federation_tree(s: Session, root: int, *, counts: bool = True) -> FederationPublic:
    """The federation node ``root`` with its councils and children, recursively."""
    nodes = {f.id: f for f in s.execute(select(Federation)).scalars()}
    below = set(fed_service.subtree(s, root))
    councils: dict[int, list[Council]] = {}
    for c in councils_below(s, root):
        councils.setdefault(c.federation_id, []).append(c)
    members = (
        fed_service.count_members(s, [c.id for cs in councils.values() for c in cs])
        if counts
        else {}
    )

    def node(f: Federation) -> FederationPublic:
        return FederationPublic(
            id=f.id,
            name=f.name,
            level=f.level,
            parent=f.parent_id,
            settings=f.settings or None,
            councils=[council_public(c, members.get(c.id)) for c in councils.get(f.id, [])],
            children=[
                node(child)
                for child in sorted(nodes.values(), key=lambda n: n.id)
                if child.parent_id == f.id and child.id in below
            ],
        )

    return node(nodes[root])


def plan_public(db: Database, plan: int) -> PlanPublic:
    """A recorded plan's summary (:func:`commonplan.rounds.board.plan_summary`)."""
    return PlanPublic(**board.plan_summary(db, plan).to_dict())


# ---------------------------------------------------------------------- the member's reads


def read_round(db: Database, who: Principal, round_id: int) -> RoundPublic:
    with db.transaction() as s:
        return round_public(s, round_in_scope(who, s, round_id))


def read_timeline(db: Database, who: Principal, round_id: int) -> TimelinePublic:
    """A round's phases with their dates (:func:`commonplan.rounds.timeline`), and from the
    vote on the turnout so far (counts only)."""
    r = read_round(db, who, round_id)
    steps = [PhaseStepPublic.model_validate(asdict(p)) for p in rounds.timeline(db, round_id)]
    if r.phase == "vote" or (r.questions and r.phase in ("ratified", "failed")):
        n = rounds.turnout(db, round_id)
        return TimelinePublic(round=r.id, steps=steps, voted=n.voted, eligible=n.eligible)
    return TimelinePublic(round=r.id, steps=steps, voted=None, eligible=None)


def rounds_of(db: Database, who: Principal, federation: int) -> list[RoundPublic]:
    """A federation's rounds, first to last."""
    with db.transaction() as s:
        federation_in_scope(who, s, federation)
        query = select(Round).where(Round.federation_id == federation).order_by(Round.number)
        return [round_public(s, r) for r in s.execute(query).scalars()]


def round_questions(db: Database, who: Principal, round_id: int) -> list[QuestionPublic]:
    """A round's ballot boxes, by id."""
    with db.transaction() as s:
        round_in_scope(who, s, round_id)
        query = select(Question).where(Question.round_id == round_id).order_by(Question.id)
        return [question_public(s, q, who.id) for q in s.execute(query).scalars()]


def read_question(db: Database, who: Principal, question: int) -> QuestionPublic:
    with db.transaction() as s:
        return question_public(s, question_in_scope(who, s, question), who.id)


def round_proposals(
    db: Database, who: Principal, round_id: int, *, withdrawn: bool = False
) -> list[ProposalPublic]:
    """Live proposals in filing order (``withdrawn``: replaced and withdrawn ones too)."""
    with db.transaction() as s:
        round_in_scope(who, s, round_id)
        query = select(Proposal).where(Proposal.round_id == round_id)
        if not withdrawn:
            query = query.where(Proposal.withdrawn.is_(False))
        return [proposal_public(s, p) for p in s.execute(query.order_by(Proposal.id)).scalars()]


def read_proposal(db: Database, who: Principal, proposal: int) -> ProposalPublic:
    with db.transaction() as s:
        return proposal_public(s, proposal_in_scope(who, s, proposal))


def read_plan(db: Database, who: Principal, plan: int) -> PlanPublic:
    with db.transaction() as s:
        plan_in_scope(who, s, plan)
    return plan_public(db, plan)


def plan_record(db: Database, who: Principal, plan: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A plan's full result as the engine recorded it, and the exact inputs it came from."""
    with db.transaction() as s:
        d = plan_in_scope(who, s, plan)
        return d.result, d.inputs


def find_ballots(db: Database, who: Principal, receipt: str) -> list[BallotFound]:
    """The ballots under ``receipt`` in the closed boxes of ``who``'s federations: of another's
    boxes, open or closed, nothing is said (:class:`NotFoundError`, as for a receipt nobody
    has)."""

    found = board.find_ballot(db, receipt, visible=lambda s, fed: ours(who, s, fed))
    return [BallotFound.model_validate(f.to_dict()) for f in found]


def in_scope(
    db: Database, who: Principal, check: Callable[[Principal, Session, K], object], *keys: K
) -> None:
    """``check(who, s, key)`` (a ``*_in_scope`` of :mod:`commonplan.web.scope`) for each key."""
    with db.transaction() as s:
        for key in keys:
            check(who, s, key)
