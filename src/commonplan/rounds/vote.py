"""The vote of a round: opening its ballot boxes and closing them with the count.

:func:`open_vote` opens two boxes over the whole federation: the budget (approval ballots over
collective proposals, counted by the Method of Equal Shares with the hours set aside as budget)
and ratification (yes / no / abstain, quorum and threshold; or consent) of the plan the count
produces, and a ranked box where the draft has alternatives.  :func:`close_vote` counts them,
computes the final plan (floors, private targets, the chosen collective proposals) and records
it; a failed vote opens the next round with the proposals carried over, until ``max_rounds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import IntegrityError, said
from commonplan.federation import eligible_members
from commonplan.rounds.ballots import seal_box, sweep
from commonplan.rounds.phases import facilitated, move, now, root_of, start_round
from commonplan.rounds.plans import (
    ballot_alternatives,
    live_proposals,
    plan_inputs,
    record_draft,
    record_plan,
)
from commonplan.store import Database, get
from commonplan.store.models import Ballot, Draft, Participation, Question
from commonplan.voting import choices as voting

__all__ = ["QuestionOutcome", "RoundOutcome", "close_vote", "open_vote"]


def open_vote(db: Database, round_id: int, *, actor: str) -> dict[str, int]:
    """Open the budget and ratification ballot boxes (recomputing the draft, and costing the
    collective proposals, if proposals were amended since), and a ranked box over the draft and
    its alternatives where there are any the engine can plan (see
    :func:`~commonplan.rounds.plans.ballot_alternatives`);
    returns {"budget": id, "ratify" (or "consent" where the round ratifies by consent): id[,
    "ranked": id]}."""
    with db.transaction() as s:
        r = facilitated(s, actor, round_id, "feedback")
        last = (
            s.execute(
                select(Draft)
                .where(Draft.round_id == r.id, Draft.stage == "draft")
                .order_by(Draft.id.desc())
            )
            .scalars()
            .first()
        )
        inputs = plan_inputs(s, r)  # the proposals as they stand: the vote is on these
        collective = [p for p in live_proposals(s, r) if p.kind == "collective"]
        uncosted = any(p.labour_cost is None for p in collective)  # amended since the draft
        if (
            last is None
            or uncosted
            or last.inputs_sha256
            != audit.digest({**inputs, "economy_sha256": last.inputs["economy_sha256"]})
        ):
            record_draft(s, r, actor, inputs)
        rules = r.settings
        boxes = {
            "budget": {
                "projects": [str(p.id) for p in collective],
                "titles": [p.title for p in collective],
                "costs": [p.labour_cost for p in collective],
                "budget": inputs["collective_budget"],
                "utility": rules["mes_utility"],
                "tie_break": rules["tie_break"],
                "increment": rules.get("budget_increment", 1.0),
                "fill": rules.get("budget_fill", True),
            },
        }
        if rules.get("ratification", "approval") == "consent":
            boxes["consent"] = {"quorum": rules["quorum"]}
        else:
            boxes["ratify"] = {k: rules[k] for k in ("quorum", "threshold", "strict")}
        others = ballot_alternatives(s, r, actor)
        if others:  # ties go to the draft, then to the alternative proposed first
            candidates = ["draft", *(str(d.id) for d in others)]
            boxes["ranked"] = {
                "candidates": candidates,
                "titles": ["the draft", *(d.inputs["title"] for d in others)],
                "tie_break": candidates,
            }
        ids = {}
        for kind, options in boxes.items():
            q = Question(
                round_id=r.id,
                kind=kind,
                federation_id=r.federation_id,
                options=options,
                status="open",
            )
            s.add(q)
            s.flush()
            ids[kind] = q.id
            audit.append(
                s,
                actor=actor,
                action="ballot box opened",
                subject=f"question {q.id}",
                payload={
                    "round": r.id,
                    "kind": kind,
                    "federation": r.federation_id,
                    "options": options,
                },
            )
        move(s, r, "vote", actor)
        return ids


@dataclass(frozen=True)
class QuestionOutcome:
    """A ballot box closed and counted: how many ballots, how many could vote, the hash of the
    box, and the result of the count (as recorded in ``Question.result``)."""

    question: int
    kind: str
    ballots: int
    eligible: int
    box_sha256: str
    result: dict[str, Any]


@dataclass(frozen=True)
class RoundOutcome:
    """What :func:`close_vote` decided: ratified or not, the final plan, the collective
    proposals chosen, each box's count, and the next round opened (``None`` if none)."""

    round: int
    ratified: bool
    plan: int
    chosen: tuple[int, ...]
    questions: tuple[QuestionOutcome, ...]
    next_round: int | None

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        """{question kind: result of its count}."""
        return {q.kind: q.result for q in self.questions}

    def to_dict(self) -> dict[str, Any]:
        """As recorded in ``Round.outcome`` and the audit log."""
        return {
            "ratified": self.ratified,
            "plan": self.plan,
            "chosen": list(self.chosen),
            "results": self.results,
            "next_round": self.next_round,
        }


def close_vote(db: Database, round_id: int, *, actor: str) -> RoundOutcome:
    """Close and count every ballot box of the round, in one transaction: the budget by equal
    shares, then ratification; record the final plan; ratify the round or open the next one.

    A crash at any point leaves the round as it was before (boxes open, every ballot kept).
    """
    with db.transaction() as s:
        r = facilitated(s, actor, round_id, "vote")
        questions = tuple(
            _close(s, q, actor)
            for q in s.execute(
                select(Question)
                .where(Question.round_id == r.id, Question.status == "open")
                .order_by(Question.id)
                .with_for_update()
            ).scalars()
        )
        results = {q.kind: q.result for q in questions}
        chosen = [int(p) for p in (results.get("budget") or {}).get("selected", [])]
        caps = None
        winner = (results.get("ranked") or {}).get("winner", "draft")
        if winner != "draft":
            caps = get(s, Draft, int(winner), "alternative draft").inputs.get("alternative_caps")
        final = record_plan(s, r, "final", plan_inputs(s, r, chosen=chosen, caps=caps), actor)
        approved = bool((results.get("ratify") or {}).get("ratified")) or bool(
            (results.get("consent") or {}).get("passed")
        )
        ratified = approved and final.result["status"] == "optimal"
        r.phase = "ratified" if ratified else "failed"
        r.closed_at = now()
        next_round = None
        if not ratified and r.number < r.settings["max_rounds"]:
            next_round = start_round(s, root_of(s, r), actor, {}, live_proposals(s, r))
        outcome = RoundOutcome(r.id, ratified, final.id, tuple(chosen), questions, next_round)
        r.outcome = outcome.to_dict()
        audit.append(
            s,
            actor=actor,
            action="round ratified" if ratified else "round failed",
            subject=f"round {r.id}",
            payload=r.outcome,
        )
    sweep(db)
    return outcome


def _close(s: Session, q: Question, actor: str) -> QuestionOutcome:
    ballots = [
        (b.receipt, b.choice)
        for b in s.execute(select(Ballot).where(Ballot.question_id == q.id)).scalars()
    ]
    eligible = len(s.execute(eligible_members(s, q.federation_id)).all())
    voted = s.execute(select(func.count()).where(Participation.question_id == q.id)).scalar_one()
    if voted != len(ballots):
        raise IntegrityError(
            said(
                "question {question} ({kind}) holds {ballots} ballot(s) for {voted} member(s) "
                "who voted: ballots were put in or taken out of the box outside commonplan, so "
                "it is not counted; commonplan audit verify names what changed",
                question=q.id,
                kind=q.kind,
                ballots=len(ballots),
                voted=voted,
            )
        )
    seal_box(s, q.id)  # from now on, no order SQL shows links a ballot to its voter
    result: dict[str, Any] = audit.plain(
        voting.count(q.kind, q.options, [c for _, c in sorted(ballots)], eligible)
    )
    q.status, q.result, q.closed_at = "closed", result, now()
    q.box_sha256 = audit.box_digest(ballots)
    audit.append(
        s,
        actor=actor,
        action="ballot box closed",
        subject=f"question {q.id}",
        payload={
            "round": q.round_id,
            "kind": q.kind,
            "ballots": len(ballots),
            "participations": voted,
            "eligible": eligible,
            "options_sha256": audit.digest(q.options),
            "box_sha256": q.box_sha256,
            "result_sha256": audit.digest(result),
        },
    )
    return QuestionOutcome(q.id, q.kind, len(ballots), eligible, q.box_sha256, result)
