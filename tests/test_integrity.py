"""Integrity of the record: an operator with database access changes what a result depends on,
and ``audit verify`` (with the head published at close) names what changed; a forged board fails
``board recount --head``.

A whole round of a small federation (four members: a farmer, a miller, a neighbour and a
facilitator; a target, two collective proposals, the farm's hours) is proposed, drafted, voted
and closed through the library; then each test tampers with the tables by plain SQL, the way an
operator would, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import IntegrityError
from commonplan.federation import add_members, create_federation
from commonplan.rounds import (
    cast_ballot,
    close_vote,
    compute_draft,
    file_proposal,
    open_round,
    open_vote,
)
from commonplan.rounds.board import export_board, recount
from commonplan.store import Database
from commonplan.store.models import (
    AuditEntry,
    AuditHead,
    Ballot,
    Council,
    Delegate,
    Draft,
    Floor,
    Member,
    Participation,
    Proposal,
    Question,
    Round,
    Staff,
)
from commonplan.voting import choices as counting
from fixtures import small_federation, small_members

TAG = "I"
FACILITATOR = f"facilitator{TAG}"
VOTERS = [f"farmer{TAG}", f"miller{TAG}", f"neighbour{TAG}", FACILITATOR]
FLOORS = [{"product": "C10T12", "per_person": 0.0001, "need": "food"}]


@dataclass
class Held:
    """A round of the small federation: its boxes, the proposals filed, and the head published
    when its vote closed (``None`` while it is open)."""

    db: Database
    federation: int
    round: int
    boxes: dict[str, int]
    proposals: dict[str, int]
    head: str | None = None


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    yield d
    d.dispose()


def voting_round(db: Database) -> Held:
    """Federation I (with floors) and federation J, their members; round 1 of I in its vote,
    every member of I has voted on both boxes (the budget approves the canteen; three yes, one
    abstention)."""
    fed = create_federation(db, {**small_federation(TAG), "floors": FLOORS})
    create_federation(db, small_federation("J"))
    add_members(db, small_members(TAG) + small_members("J"))
    r = open_round(db, fed, actor=FACILITATOR)
    street = f"Street {TAG}"
    neighbour = f"neighbour{TAG}"
    proposals = {
        "target": file_proposal(
            db, r, actor=neighbour, council=street, kind="target", title="bread",
            amounts={"C10T12": 5.0},
        ),
        "canteen": file_proposal(
            db, r, actor=neighbour, council=street, kind="collective", title="a canteen",
            amounts={"I": 0.05},
        ),
        "clinic": file_proposal(
            db, r, actor=neighbour, council=street, kind="collective", title="a clinic",
            amounts={"Q86": 0.05},
        ),
        "hours": file_proposal(
            db, r, actor=f"farmer{TAG}", council=f"Farm {TAG}", kind="hours", title="our hours",
            hours=1500,
        ),
    }  # fmt: skip
    compute_draft(db, r, actor=FACILITATOR)
    boxes = open_vote(db, r, actor=FACILITATOR)
    canteen = str(proposals["canteen"])
    for k, member in enumerate(VOTERS):
        cast_ballot(db, boxes["budget"], member=member, choice={"approve": [canteen]})
        vote = "abstain" if k == 1 else "yes"
        cast_ballot(db, boxes["ratify"], member=member, choice={"vote": vote})
    return Held(db, fed, r, boxes, proposals)


@pytest.fixture
def voting(db: Database) -> Held:
    return voting_round(db)


@pytest.fixture
def closed(voting: Held) -> Held:
    outcome = close_vote(voting.db, voting.round, actor=FACILITATOR)
    assert outcome.ratified and outcome.chosen == (voting.proposals["canteen"],)
    with voting.db.transaction() as s:
        head = audit.round_head(s, voting.round)
        assert head is not None
        assert audit.verify(s, expected_head=head.sha256).ok, audit.verify(s).problems
    voting.head = head.sha256
    return voting


def problems(held: Held) -> tuple[str, ...]:
    """What ``audit verify --head`` (the head published at close) finds."""
    with held.db.transaction() as s:
        return audit.verify(s, expected_head=held.head).problems


class _Undo(Exception):
    pass


def tamper(held: Held, *statements: Any) -> tuple[str, ...]:
    """Run ``statements`` (SQL, as an operator would), verify, and undo them: what verify found
    — and, undone, the log verifies again."""
    found_: tuple[str, ...] = ()
    try:
        with held.db.transaction() as s:
            for statement in statements:
                s.execute(statement)
            found_ = audit.verify(s, expected_head=held.head).problems
            raise _Undo
    except _Undo:
        pass
    assert problems(held) == ()
    return found_


def found(what: str, found: tuple[str, ...]) -> bool:
    return any(what in p for p in found)


def ids(s: Session, model: Any, *where: Any) -> list[Any]:
    return list(s.execute(select(model.id).where(*where).order_by(model.id)).scalars())


# ---------------------------------------------------------------------- what was detected already


def test_a_changed_deleted_or_inserted_ballot_after_close(closed: Held) -> None:
    q = closed.boxes["ratify"]
    with closed.db.transaction() as s:
        first, second = ids(s, Ballot, Ballot.question_id == q)[:2]
    changed = tamper(closed, update(Ballot).where(Ballot.id == first).values(choice={"vote": "no"}))
    assert found(f"the ballot box of question {q} is not the one the log pins", changed)
    deleted = tamper(closed, delete(Ballot).where(Ballot.id == second))
    assert found(f"the ballot box of question {q} is not the one the log pins", deleted)
    stuffed = insert(Ballot).values(id="f" * 32, question_id=q, receipt="STUFFED", choice={})
    inserted = tamper(closed, stuffed)
    assert found(f"the ballot box of question {q} is not the one the log pins", inserted)


def test_an_edited_audit_entry(closed: Held) -> None:
    with closed.db.transaction() as s:
        seq = s.execute(
            select(AuditEntry.seq).where(AuditEntry.action == "members added")
        ).scalar_one()
    edit = update(AuditEntry).where(AuditEntry.seq == seq).values(payload={"count": 99})
    found_ = tamper(closed, edit)
    assert found(f"audit entry {seq} (members added members) was altered", found_)


def test_an_edited_plan_result(closed: Held) -> None:
    with closed.db.transaction() as s:
        final = s.execute(select(Draft.id).where(Draft.stage == "final")).scalar_one()
    found_ = tamper(closed, update(Draft).where(Draft.id == final).values(result={"status": "x"}))
    assert found(f"draft {final}: its result is not the one the log pins", found_)


def test_a_rewritten_chain_is_caught_by_the_published_head(closed: Held) -> None:
    """The operator flips a ballot and rewrites the log from the box's closing on, every hash
    recomputed: the chain verifies, but the head published at close is no longer in it."""
    q = closed.boxes["ratify"]
    with closed.db.transaction() as s:
        ballots = s.execute(select(Ballot).where(Ballot.question_id == q)).scalars().all()
        yes = next(b for b in ballots if b.choice == {"vote": "yes"})
        yes.choice = {"vote": "no"}
        s.flush()
        box = audit.box_digest([(b.receipt, b.choice) for b in ballots])
        s.execute(update(Question).where(Question.id == q).values(box_sha256=box))
        entries = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        closing = next(e for e in entries if e.subject == f"question {q}" and e.seq > 1
                       and e.action == "ballot box closed")  # fmt: skip
        closing.payload = {**closing.payload, "box_sha256": box}
        _rechain(s, entries)
    found_ = problems(closed)
    assert found(f"the published head {closed.head[:12]}… is not in this log", found_)  # type: ignore[index]
    assert len(found_) == 1, found_  # the rest of the forgery holds together


def _rechain(s: Session, entries: Any) -> None:
    """Recompute every hash of the chain, as a forger with the database would."""
    prev = audit.GENESIS
    for e in entries:
        e.prev_sha256 = prev
        body = audit.canonical([e.seq, audit.utc(e.at), e.actor, e.action, e.subject, e.payload])
        e.sha256 = prev = hashlib.sha256((prev + body).encode()).hexdigest()
    s.execute(update(AuditHead).values(sha256=prev))


# ---------------------------------------------------------------------- what was not detected


def test_reopen_and_reclose_with_every_ballot_flipped(closed: Held) -> None:
    """(1) The round set back to its vote, its boxes to open, every ratification flipped, and
    ``close_vote`` run again: the log now closes each box and the round twice."""
    q = closed.boxes["ratify"]
    flip = {"yes": "no", "no": "yes", "abstain": "abstain"}
    with closed.db.transaction() as s:
        s.execute(update(Round).where(Round.id == closed.round).values(phase="vote"))
        s.execute(
            update(Question)
            .where(Question.round_id == closed.round)
            .values(status="open", result=None, box_sha256=None)
        )
        s.execute(delete(Draft).where(Draft.stage == "final"))
        for b in s.execute(select(Ballot).where(Ballot.question_id == q)).scalars():
            b.choice = {"vote": flip[b.choice["vote"]]}
    again = close_vote(closed.db, closed.round, actor=FACILITATOR)
    assert not again.ratified  # the forged count
    found_ = problems(closed)
    for box in closed.boxes.values():
        assert found(f"question {box} was closed twice (entries", found_), found_
    assert found(f"round {closed.round} was closed twice (entries", found_)
    assert found(f"the ballot box of question {q} is not the one the log pins", found_)


def test_a_closed_question_set_back_to_open_with_its_ballots_changed(closed: Held) -> None:
    """(2)"""
    q = closed.boxes["ratify"]
    with closed.db.transaction() as s:
        first = ids(s, Ballot, Ballot.question_id == q)[0]
    found_ = tamper(
        closed,
        update(Question).where(Question.id == q).values(status="open", result=None),
        update(Ballot).where(Ballot.id == first).values(choice={"vote": "no"}),
    )
    assert found(f'question {q}: status is "open" in the table, "closed" in the log', found_)
    assert found(f"question {q}: its result is not the one the log pins", found_)
    assert found(f"the ballot box of question {q} is not the one the log pins", found_)


def test_a_round_outcome_or_phase_edited(closed: Held) -> None:
    """(3) Ratified → failed, as the API and the result page would show it."""
    with closed.db.transaction() as s:
        r = s.get(Round, closed.round)
        assert r is not None and r.outcome is not None
        outcome = {**r.outcome, "ratified": False}
    found_ = tamper(
        closed,
        update(Round).where(Round.id == closed.round).values(phase="failed", outcome=outcome),
    )
    r = closed.round
    assert found(f'round {r}: phase is "failed" in the table, "ratified" in the log', found_)
    assert found(f"round {r}: outcome.ratified is false in the table, true in the log", found_)


def test_a_closed_budget_questions_options_edited(closed: Held) -> None:
    """(4) The budget and a project's cost, which the count depends on."""
    b = closed.boxes["budget"]
    with closed.db.transaction() as s:
        q = s.get(Question, b)
        assert q is not None
        options = {**q.options, "budget": 1.0, "costs": [2.0, *q.options["costs"][1:]]}
    found_ = tamper(closed, update(Question).where(Question.id == b).values(options=options))
    assert found(f"question {b}: options.budget is 1.0 in the table", found_), found_


def test_a_proposals_title_amounts_and_labour_cost_edited(closed: Held) -> None:
    """(5)"""
    canteen, target = closed.proposals["canteen"], closed.proposals["target"]
    found_ = tamper(
        closed,
        update(Proposal).where(Proposal.id == canteen).values(title="a casino", labour_cost=1.0),
        update(Proposal).where(Proposal.id == target).values(amounts={"C10T12": 500.0}),
    )
    assert found(f'proposal {canteen}: title is "a casino" in the table, "a canteen"', found_)
    assert found(f"proposal {canteen}: labour_cost is 1.0 in the table", found_)
    assert found(f"proposal {target}: amounts.C10T12 is 500.0 in the table, 5.0 in", found_)


def test_a_member_moved_to_another_federations_council(closed: Held) -> None:
    """(6) The facilitator of I moved to J's farm, where J's round could count them again."""
    with closed.db.transaction() as s:
        member = s.execute(select(Member).where(Member.handle == FACILITATOR)).scalar_one()
        farm_j = s.execute(select(Council.id).where(Council.name == "Farm J")).scalar_one()
        was = member.workers_council_id
    found_ = tamper(
        closed, update(Member).where(Member.id == member.id).values(workers_council_id=farm_j)
    )
    assert found(
        f"member {member.id}: workers_council_id is {farm_j} in the table, {was} in the log",
        found_,
    )


def test_a_ballot_stuffed_into_an_open_box(voting: Held) -> None:
    """(7) Four participations, five ballots: verify names the box, and the close refuses to
    count it (nothing of the close is written)."""
    q = voting.boxes["ratify"]
    stuffed = insert(Ballot).values(
        id="e" * 32, question_id=q, receipt="STUFFED-1", choice={"vote": "no"}
    )
    found_ = tamper(voting, stuffed)
    assert found(f"question {q}: its open box holds 5 ballot(s) for 4 participation(s)", found_)
    with voting.db.transaction() as s:
        s.execute(stuffed)
    with pytest.raises(IntegrityError, match=rf"question {q} \(ratify\) holds 5 ballot\(s\) for 4"):
        close_vote(voting.db, voting.round, actor=FACILITATOR)
    with voting.db.transaction() as s:
        assert s.get(Round, voting.round).phase == "vote"  # type: ignore[union-attr]
        statuses = s.execute(select(Question.status).where(Question.round_id == voting.round))
        assert set(statuses.scalars()) == {"open"}


def test_rows_the_log_never_wrote_and_other_edits(closed: Held) -> None:
    """A member inserted, a floor lowered, a participation removed after close."""
    q = closed.boxes["budget"]
    with closed.db.transaction() as s:
        farm = s.execute(select(Council.id).where(Council.name == f"Farm {TAG}")).scalar_one()
        floor = s.execute(select(Floor.id)).scalars().first()
        voted = ids(s, Participation, Participation.question_id == q)[0]
    found_ = tamper(
        closed,
        insert(Member).values(
            id=1000, handle="ghost", name="ghost", workers_council_id=farm, role="member"
        ),
        update(Floor).where(Floor.id == floor).values(per_person=0.0),
        delete(Participation).where(Participation.id == voted),
    )
    assert found("member 1000 is in the table but in no audit entry", found_)
    assert found(f"floor {floor}: per_person is 0.0 in the table, 0.0001 in the log", found_)
    assert found(f"question {q}: participation has 3 row(s) in the table, 4 in the log", found_)


def test_delegates_and_staff_are_replayed(closed: Held) -> None:
    """A delegate's term lengthened, a recall undone, a staff row removed: each named."""
    from commonplan.accounts import add_staff
    from commonplan.federation import elect_delegate, recall_delegate

    with closed.db.transaction() as s:
        farm = s.execute(select(Council.id).where(Council.name == f"Farm {TAG}")).scalar_one()
        farmer = s.execute(select(Member.id).where(Member.handle == f"farmer{TAG}")).scalar_one()
    first = elect_delegate(closed.db, farm, farmer, actor=FACILITATOR)
    recall_delegate(closed.db, first, actor=FACILITATOR)
    second = elect_delegate(closed.db, farm, farmer, term_days=30, actor=FACILITATOR)
    add_staff(closed.db, "facilitatorJ", closed.federation, actor=FACILITATOR)
    assert problems(closed) == ()
    with closed.db.transaction() as s:
        staff = s.execute(select(Member.id).where(Member.handle == "facilitatorJ")).scalar_one()
        end = s.get(Delegate, second).term_end  # type: ignore[union-attr]
    found_ = tamper(
        closed,
        update(Delegate).where(Delegate.id == second).values(term_end=end + timedelta(days=900)),
        update(Delegate).where(Delegate.id == first).values(recalled_at=None),
        delete(Staff).where(Staff.member_id == staff),
    )
    assert found(f"delegate {second}: term_end is", found_)
    assert found(f"delegate {first}: recalled_at is null in the table", found_)
    assert found(f"staff {(staff, closed.federation)} is in the audit log", found_)


# ---------------------------------------------------------------------- the board


def test_a_genuine_board_is_proven_against_the_published_head(closed: Held, tmp_path: Path) -> None:
    export_board(closed.db, closed.round, tmp_path / "board")
    report = recount(tmp_path / "board", head=closed.head)
    assert report.ok, report.problems
    assert report.proven_head == closed.head == report.audit_head
    log = (tmp_path / "board" / "audit-log.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["sha256"] == closed.head
    other = recount(tmp_path / "board", head="ab" * 32)
    assert not other.ok and other.proven_head is None
    assert any("does not lead to the published head abababababab" in p for p in other.problems)


def test_a_forged_board_fails_recount_with_the_head(closed: Held, tmp_path: Path) -> None:
    """(8) Every ratification flipped to no, the box hash and the result recomputed, the log
    entries on the board rewritten and rechained to match: the board holds together — but it no
    longer leads to the head published at close."""
    board = tmp_path / "board"
    export_board(closed.db, closed.round, board)
    forged = tmp_path / "forged"
    shutil.copytree(board, forged)
    q = closed.boxes["ratify"]
    path = forged / f"question-{q}.json"
    b = json.loads(path.read_text())
    b["ballots"] = [[r, {"vote": "no"}] for r, _ in b["ballots"]]
    b["box_sha256"] = audit.box_digest([(r, c) for r, c in b["ballots"]])
    b["result"] = audit.plain(
        counting.count("ratify", b["options"], [c for _, c in b["ballots"]], b["eligible"])
    )
    assert b["result"]["ratified"] is False

    # without the log rewritten, the board's own log already gives it away
    path.write_text(json.dumps(b))
    halfway = recount(forged)
    assert not halfway.ok
    assert any(f"question-{q}.json: its box_sha256 is not the one the log pins" in p
               for p in halfway.problems)  # fmt: skip

    log = [json.loads(line) for line in (forged / "audit-log.jsonl").read_text().splitlines()]
    for e in log:
        if e["subject"] == f"question {q}":
            e["payload"]["box_sha256"] = b["box_sha256"]
            e["payload"]["result_sha256"] = audit.digest(b["result"])
        if e["action"] in audit.CLOSED_ROUND:
            e["payload"]["results"]["ratify"] = b["result"]
            e["payload"]["ratified"] = False
    prev = log[0]["prev_sha256"]
    for e in log:
        body = [e["seq"], e["at"], e["actor"], e["action"], e["subject"], e["payload"]]
        e["prev_sha256"] = prev
        e["sha256"] = prev = hashlib.sha256((prev + audit.canonical(body)).encode()).hexdigest()
    (forged / "audit-log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in log))
    for p in forged.glob("question-*.json"):
        x = json.loads(p.read_text())
        x["audit_head"] = {"seq": log[-1]["seq"], "sha256": prev}
        p.write_text(json.dumps(x))

    assert recount(forged).ok  # holding together is not proof …
    proven = recount(forged, head=closed.head)
    assert not proven.ok and proven.proven_head is None
    assert any(f"does not lead to the published head {closed.head[:12]}" in p  # type: ignore[index]
               for p in proven.problems)  # fmt: skip
    assert recount(board, head=closed.head).ok  # … the genuine board is


def test_the_close_prints_the_head_and_verify_takes_it(
    voting: Held, tmp_path: Path, database_url: str
) -> None:
    """The head is shown where the result is: the CLI's close, and the board."""
    from typer.testing import CliRunner

    from commonplan.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["vote", "close", str(voting.round), "--as", FACILITATOR,
                              "--db", database_url, "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    head = json.loads(out.stdout)["audit_head"]
    with voting.db.transaction() as s:
        assert audit.round_head(s, voting.round) == audit.Head(head["seq"], head["sha256"])
    text = runner.invoke(app, ["board", "export", str(voting.round), str(tmp_path / "b"),
                               "--db", database_url])  # fmt: skip
    assert text.exit_code == 0, text.output
    recounted = runner.invoke(app, ["board", "recount", str(tmp_path / "b"), "--head",
                                    head["sha256"]])  # fmt: skip
    assert recounted.exit_code == 0, recounted.output
    said = "".join(recounted.stdout.split())  # (Rich wraps long lines)
    assert f"provenagainstthepublishedhead{head['sha256']}" in said
    wrong = runner.invoke(app, ["board", "recount", str(tmp_path / "b"), "--head", "cd" * 32])
    assert wrong.exit_code == 1
    verified = runner.invoke(app, ["audit", "verify", "--head", head["sha256"],
                                   "--db", database_url])  # fmt: skip
    assert verified.exit_code == 0 and "verifies" in verified.stdout
