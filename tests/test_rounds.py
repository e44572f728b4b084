"""Democratic planning rounds end to end, on SQLite and PostgreSQL (the ``database_url`` fixture).

The scenario of the issue: the Swedish 2016 table, a federation of 3 communes, 12 councils and
600 members runs three rounds — the first fails ratification (threshold), the second fails its
quorum after amendments, the third ratifies — and the ratified plan is recomputed from the log.
"""

from __future__ import annotations

import random
import re
import threading
import time
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, inspect, select, text, update

import commonplan as cp
from commonplan import audit
from commonplan.errors import (
    AuthorisationError,
    BallotRefusedError,
    DataError,
    FloorError,
    NotFoundError,
    PhaseError,
    PlanInputError,
    PlanningError,
)
from commonplan.federation import add_members, create_federation
from commonplan.rounds import (
    BallotPaper,
    amendable,
    cast_ballot,
    cast_ballots,
    cast_round_ballots,
    check_amend,
    close_vote,
    compute_alternative,
    compute_draft,
    cost_proposal,
    file_proposal,
    member_view,
    open_round,
    open_vote,
    per_person_unit,
    recompute,
    what_we_get,
)
from commonplan.store import Database
from commonplan.store.models import (
    Ballot,
    Council,
    Draft,
    Federation,
    Member,
    Participation,
    Proposal,
    Question,
    Round,
)
from commonplan.voting import choices as voting

SWEDEN = cp.demo_economy()
PEOPLE = 10_300_000
FLOORS = {
    "C10T12": ("food", 0.02),
    "L68B": ("housing", 0.02),
    "Q86": ("health", 0.02),
    "Q87_88": ("care", 0.01),
}
"""Million SEK per person per year — about a fifth of what Sweden's final demand gives each."""


def sweden(members: int = 600, caps: dict[str, str] | None = None) -> dict[str, Any]:
    """3 communes × (2 workers' + 2 consumers' councils); floors for food, housing, health, care."""
    return {
        "name": "Federation of Swedish communes",
        "level": "region",
        "economy": "demo",
        "people_per_member": PEOPLE / members,
        "floors": [{"product": p, "per_person": a, "need": n} for p, (n, a) in FLOORS.items()],
        "rounds": {
            "caps": caps if caps is not None else {"co2": "70%"},
            "collective_share": 0.05,
            "max_rounds": 3,
        },
        "children": [
            {
                "name": f"Commune {c}",
                "level": "commune",
                "councils": [
                    {"name": f"Works {c}{w}", "kind": "workers", "processes": [p]}
                    for w, p in (("a", "C10T12"), ("b", "Q86"))
                ]
                + [{"name": f"Neighbourhood {c}{k}", "kind": "consumers"} for k in "ab"],
            }
            for c in "123"
        ],
    }


def people(members: int = 600) -> list[dict[str, str]]:
    rows = []
    for i in range(members):
        c, w, k = "123"[i % 3], "ab"[i // 3 % 2], "ab"[i // 6 % 2]
        rows.append(
            {
                "handle": f"m{i:03d}",
                "name": f"Member {i}",
                "workers_council": f"Works {c}{w}",
                "consumers_council": f"Neighbourhood {c}{k}",
            }
        )
    rows[0]["role"] = "facilitator"
    return rows


def federation(
    url: str, members: int = 600, caps: dict[str, str] | None = None
) -> tuple[Database, int]:
    db = Database(url)
    root = create_federation(db, sweden(members, caps))
    assert add_members(db, people(members)) == members
    return db, root


def first_proposals(db: Database, r: int) -> dict[str, int]:
    """Private targets: Sweden's domestic final demand split over the six neighbourhoods; one
    collective proposal each; hours per member from every workers' council."""
    fd = SWEDEN.final_demand["domestic_final_demand"]
    share = {code: float(v) / 6 for code, v in zip(SWEDEN.products, fd, strict=True) if v > 0}
    ids = {}
    collective = [
        ("Q86", "clinic"),
        ("P85", "nursery"),
        ("I", "canteen"),
        ("R93", "sports hall"),
        ("H49", "tram line"),
        ("Q87_88", "care home"),
    ]
    for k, council in enumerate(f"Neighbourhood {c}{x}" for c in "123" for x in "ab"):
        member = _member_of(council)
        file_proposal(
            db,
            r,
            actor=member,
            council=council,
            kind="target",
            title="household needs",
            amounts=share,
        )
        product, what = collective[k]
        ids[what] = file_proposal(
            db,
            r,
            actor=member,
            council=council,
            kind="collective",
            title=f"a {what}",
            amounts={product: 400.0 * (k + 1)},
        )
    for council in (f"Works {c}{x}" for c in "123" for x in "ab"):
        ids[council] = file_proposal(
            db,
            r,
            actor=_member_of(council),
            council=council,
            kind="hours",
            title="our hours",
            hours=1450,
        )
    return ids


def _member_of(council: str) -> str:
    """The first member (by number) of a council, following :func:`people`."""
    for row in people():
        if council in (row["workers_council"], row["consumers_council"]):
            return row["handle"]
    raise AssertionError(council)


def vote(
    db: Database, boxes: dict[str, int], yes: float, turnout: float, seed: int
) -> dict[str, str]:
    """Members vote: a share ``turnout`` of them, ``yes`` of those for the plan; approvals of the
    collective proposals drawn at random (each member approves 1–3)."""
    rng = random.Random(seed)
    with db.transaction() as s:
        projects = s.get(Question, boxes["budget"]).options["projects"]  # type: ignore[union-attr]
    receipts = {}
    for i in range(600):
        if rng.random() >= turnout:
            continue
        handle = f"m{i:03d}"
        approve = rng.sample(projects, rng.randint(1, 3))
        receipts[handle] = cast_ballot(
            db, boxes["budget"], member=handle, choice={"approve": approve}
        )
        choice = "yes" if rng.random() < yes else rng.choice(["no", "no", "abstain"])
        cast_ballot(db, boxes["ratify"], member=handle, choice={"vote": choice})
    return receipts


def test_three_rounds_on_the_swedish_table(database_url: str) -> None:
    db, root = federation(database_url)
    r1 = open_round(db, root, actor="m000")
    first_proposals(db, r1)
    compute_draft(db, r1, actor="m000")
    view = member_view(db, r1, member="m005")
    assert view.status == "optimal" and view.hours_proposed == 1450
    # −30 % CO2 with 2016's techniques cannot give all of 2016's final demand: it is cut evenly.
    assert view.fulfilment is not None and 0.3 < view.fulfilment < 1
    assert view.hours_per_year is not None and 0 < view.hours_per_year <= 1450
    assert {p["kind"] for p in view.proposals} == {"target", "collective", "hours"}
    assert "cap co2" in view.binding  # −30 % CO2 binds at 2016's way of producing

    # Round 1: most vote, a third say yes — the threshold fails; round 2 opens with the proposals.
    boxes = open_vote(db, r1, actor="m000")
    with db.transaction() as s:
        assert s.get(Question, boxes["ratify"]).result is None  # type: ignore[union-attr]
    vote(db, boxes, yes=0.33, turnout=0.9, seed=1)
    out1 = close_vote(db, r1, actor="m000")
    assert not out1.ratified and out1.results["ratify"]["failed"] == ["threshold"]
    r2 = out1.next_round
    assert r2 is not None

    # Round 2: the councils amend (more hours, a smaller clinic); few vote — the quorum fails.
    hours = [p for p in _live(db, r2) if p.kind == "hours"]
    assert len(hours) == 6 and len(_live(db, r2)) == 18  # carried over: 6 targets, 6 collective
    for p in hours:
        council = _council_name(db, p.council_id)
        file_proposal(
            db,
            r2,
            actor=_member_of(council),
            council=council,
            kind="hours",
            title="more hours",
            hours=1550,
            amends=p.id,
        )
    compute_draft(db, r2, actor="m000")
    boxes = open_vote(db, r2, actor="m000")
    vote(db, boxes, yes=0.9, turnout=0.3, seed=2)
    out2 = close_vote(db, r2, actor="m000")
    assert not out2.ratified and out2.results["ratify"]["failed"] == ["quorum"]
    r3 = out2.next_round

    # Round 3: ratified.
    compute_draft(db, r3, actor="m000")
    boxes = open_vote(db, r3, actor="m000")
    receipts = vote(db, boxes, yes=0.75, turnout=0.8, seed=3)
    out3 = close_vote(db, r3, actor="m000")
    assert out3.ratified and out3.next_round is None
    with db.transaction() as s:
        phases = [r.phase for r in s.execute(select(Round).order_by(Round.number)).scalars()]
        plan = s.get(Draft, out3.plan)
        assert plan is not None
        inputs, result = plan.inputs, plan.result
        budget = s.get(Question, boxes["budget"])
        assert budget is not None and budget.result is not None
        board = [
            b.choice
            for b in s.execute(
                select(Ballot).where(Ballot.question_id == budget.id).order_by(Ballot.receipt)
            ).scalars()
        ]
    assert phases == ["failed", "failed", "ratified"]
    assert len(board) == len(receipts)

    # The hours amendment of round 2 carried into round 3's plan: 1,550 h × 600 × people/member.
    assert inputs["hours_offered"] == pytest.approx(1550 * PEOPLE)
    # The chosen collective proposals are the equal-shares count of the stored ballots…
    again = voting.count("budget", budget.options, board, 600)
    assert again["selected"] == budget.result["selected"]
    assert list(out3.chosen) == [int(p) for p in budget.result["selected"]]
    assert budget.result["cost"] <= budget.options["budget"]
    # … they are in the final plan as floors, and every floor holds in its net output.
    for code, (_, per_person) in FLOORS.items():
        assert inputs["floors"][code] >= per_person * PEOPLE * (1 - 1e-12)
        assert result["net_output"][code] >= inputs["floors"][code] * (1 - 1e-9)
    assert result["use"]["co2"] <= result["caps"]["co2"] * (1 + 1e-9)
    assert result["use"]["labour"] <= inputs["hours_offered"] * (1 + 1e-9)

    # Reproducible from the log: same inputs hash, same numbers; the chain verifies.
    assert recompute(db, out3.plan)["same"]
    with db.transaction() as s:
        check = audit.verify(s)
    assert check.ok, check.problems
    assert check.entries > 40


def _live(db: Database, r: int) -> list[Proposal]:
    with db.transaction() as s:
        live = select(Proposal).where(Proposal.round_id == r, Proposal.withdrawn.is_(False))
        return list(s.execute(live).scalars())


def _council_name(db: Database, council: int) -> str:
    with db.transaction() as s:
        c = s.get(Council, council)
        assert c is not None
        return c.name


@pytest.fixture
def voting_round(database_url: str) -> tuple[Database, int, dict[str, int]]:
    """A federation of 60 members in its vote phase."""
    db, root = federation(database_url, members=60)
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    return db, r, open_vote(db, r, actor="m000")


def _ballots(db: Database, question: int) -> int:
    with db.transaction() as s:
        return len(s.execute(select(Ballot.id).where(Ballot.question_id == question)).all())


def test_one_member_one_ballot(voting_round: tuple[Database, int, dict[str, int]]) -> None:
    db, _, boxes = voting_round
    receipt = cast_ballot(db, boxes["ratify"], member="m007", choice={"vote": "yes"})
    # A retry after a lost reply (same receipt, same choice) is a second ballot like any other:
    # refused, nothing new recorded (the answer must not tell a retry from a guess).
    for second, code in (
        ({"vote": "yes"}, receipt),
        ({"vote": "no"}, receipt),
        ({"vote": "no"}, None),
        ({"vote": "yes"}, None),
    ):
        with pytest.raises(BallotRefusedError, match=r"m007.*already"):
            cast_ballot(db, boxes["ratify"], member="m007", choice=second, receipt=code)
    assert _ballots(db, boxes["ratify"]) == 1
    with pytest.raises(BallotRefusedError, match="not on this ballot"):
        cast_ballot(db, boxes["budget"], member="m008", choice={"approve": ["99999"]})
    with pytest.raises(BallotRefusedError, match="receipt code"):
        cast_ballot(db, boxes["ratify"], member="m008", choice={"vote": "no"}, receipt="x" * 65)
    with pytest.raises(BallotRefusedError, match="ratification ballot"):
        cast_ballot(db, boxes["ratify"], member="m008", choice={"vote": "maybe"})
    assert _ballots(db, boxes["ratify"]) == 1 and _ballots(db, boxes["budget"]) == 0


def test_one_members_ballots_in_several_boxes_all_or_none(
    voting_round: tuple[Database, int, dict[str, int]],
) -> None:
    db, r, boxes = voting_round
    with db.transaction() as s:
        budget = s.get(Question, boxes["budget"])
        assert budget is not None
        project = budget.options["projects"][0]
    good = {boxes["budget"]: {"approve": [project]}, boxes["ratify"]: {"vote": "yes"}}
    refusals = [  # one ballot wrong: nothing of the other is stored either
        ({**good, boxes["ratify"]: {"vote": "maybe"}}, BallotRefusedError, "ratification"),
        ({**good, boxes["budget"]: {"approve": ["99999"]}}, BallotRefusedError, "not on this"),
        ({**good, 99999: {"vote": "yes"}}, NotFoundError, "99999"),
        ({}, BallotRefusedError, "no ballots"),
    ]
    for choices, error, message in refusals:
        with pytest.raises(error, match=message):
            cast_round_ballots(db, r, member="m007", choices=choices)
    assert _ballots(db, boxes["ratify"]) == 0 and _ballots(db, boxes["budget"]) == 0
    with pytest.raises(BallotRefusedError, match=f"round {r + 1}"):
        cast_round_ballots(db, r + 1, member="m007", choices=good)
    receipts = cast_round_ballots(db, r, member="m007", choices=good)
    assert set(receipts) == set(good) and len(set(receipts.values())) == 1
    code = receipts[boxes["ratify"]]
    # a retry after a lost reply: refused as a second ballot, nothing new recorded
    with pytest.raises(BallotRefusedError, match=r"m007.*already"):
        cast_round_ballots(db, r, member="m007", choices=good, receipt=code)
    assert _ballots(db, boxes["ratify"]) == 1 and _ballots(db, boxes["budget"]) == 1
    with db.transaction() as s:
        assert s.execute(select(Ballot.choice).where(Ballot.receipt == code)).scalars().all()
    with pytest.raises(BallotRefusedError, match="m007"):  # a second vote in one box: none cast
        cast_round_ballots(db, r, member="m007", choices={**good, boxes["ratify"]: {"vote": "no"}})
    # m008 votes in the ratify box alone, then in both: refused whole, the budget box untouched
    cast_ballot(db, boxes["ratify"], member="m008", choice={"vote": "no"})
    with pytest.raises(BallotRefusedError, match="m008"):
        cast_round_ballots(db, r, member="m008", choices=good)
    assert _ballots(db, boxes["ratify"]) == 2 and _ballots(db, boxes["budget"]) == 1
    with pytest.raises(BallotRefusedError, match="in use"):  # m009's receipt taken by m007
        cast_round_ballots(db, r, member="m009", choices=good, receipt=code)
    close_vote(db, r, actor="m000")
    with pytest.raises(BallotRefusedError, match="closed"):
        cast_round_ballots(db, r, member="m010", choices=good)
    assert _ballots(db, boxes["ratify"]) == 2 and _ballots(db, boxes["budget"]) == 1


def test_rounds_are_opened_for_the_root_federation(database_url: str) -> None:
    db, root = federation(database_url, members=60)
    with db.transaction() as s:
        child = s.execute(select(Federation.id).where(Federation.name == "Commune 2")).scalar_one()
    with pytest.raises(
        PlanningError, match=rf"'Commune 2'.*'Federation of Swedish communes' \(id {root}\)"
    ):
        open_round(db, child, actor="m000")
    with db.transaction() as s:
        assert s.execute(select(Round.id)).first() is None
    assert open_round(db, root, actor="m000")


def test_a_batch_answers_each_paper_as_alone(
    voting_round: tuple[Database, int, dict[str, int]],
) -> None:
    """cast_ballots (the service's group commit): each paper gets its receipt or the refusal
    cast_ballot gives it alone; refused papers write nothing and do not stop the others."""
    db, _, boxes = voting_round
    ratify, budget = boxes["ratify"], boxes["budget"]
    create_federation(
        db,
        {"name": "Elsewhere", "economy": "demo", "councils": [{"name": "E", "kind": "workers"}]},
    )
    add_members(db, [{"handle": "outsider", "name": "O", "workers_council": "E"}])
    earlier = cast_ballot(db, ratify, member="m001", choice={"vote": "yes"})
    yes, no = {"vote": "yes"}, {"vote": "no"}
    papers = [
        BallotPaper(ratify, "m002", yes),  # cast
        BallotPaper(ratify, "m001", yes, earlier),  # a retry: voted already, like any other
        BallotPaper(ratify, "m001", no),  # voted already
        BallotPaper(ratify, "m003", no, "MY-OWN-CODE"),  # cast, with a receipt of its own
        BallotPaper(ratify, "m004", yes, "MY-OWN-CODE"),  # that receipt is taken (by m003)
        BallotPaper(ratify, "m002", no),  # the same member twice in one batch: the second refused
        BallotPaper(ratify, "outsider", yes),  # not in the federation
        BallotPaper(ratify, "nobody", yes),  # no such member
        BallotPaper(ratify, "m005", {"vote": "maybe"}),  # no such choice
        BallotPaper(ratify, "m006", yes, "x" * 65),  # a malformed receipt
        BallotPaper(99_999, "m007", yes),  # no such question
        BallotPaper(budget, "m008", {"approve": []}),  # cast, in another box
    ]
    out = cast_ballots(db, papers)
    assert isinstance(out[0], str) and out[3] == "MY-OWN-CODE"
    assert isinstance(out[11], str)
    refusals = {
        1: (BallotRefusedError, "m001.*already"),
        2: (BallotRefusedError, "m001.*already"),
        4: (BallotRefusedError, "receipt code 'MY-OWN-CODE' is in use"),
        5: (BallotRefusedError, "m002.*already"),
        6: (BallotRefusedError, "outsider.*not a member of a council"),
        7: (NotFoundError, "nobody"),
        8: (BallotRefusedError, "ratification ballot"),
        9: (BallotRefusedError, "receipt code is 4–64"),
        10: (NotFoundError, "99999"),
    }
    for i, (kind, message) in refusals.items():
        assert isinstance(out[i], kind) and re.search(message, str(out[i])), (i, out[i])
        with pytest.raises(kind, match=message):  # what cast_ballot says of that paper alone
            p = papers[i]
            cast_ballot(db, p.question, member=p.member, choice=p.choice, receipt=p.receipt)
    with db.transaction() as s:
        ballots = select(Ballot.receipt, Ballot.choice).where(Ballot.question_id == ratify)
        stored = {receipt: choice for receipt, choice in s.execute(ballots)}
        per_box = select(Participation.question_id, func.count()).group_by(
            Participation.question_id
        )
        voters = {box: n for box, n in s.execute(per_box)}
    assert stored == {earlier: yes, out[0]: yes, "MY-OWN-CODE": no}
    assert voters == {ratify: 3, budget: 1}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_batch_that_races_another_transaction_loses_no_ballot(
    voting_round: tuple[Database, int, dict[str, int]],
) -> None:
    """PostgreSQL (SQLite casts each paper in a transaction of its own, one writer at a time):
    another transaction records m009's ballot while the batch waits on it; the batch's unique
    violation sends every paper through alone, and each gets its right answer."""
    db, _, boxes = voting_round
    assert not db.is_sqlite
    ratify = boxes["ratify"]
    papers = [BallotPaper(ratify, h, {"vote": "yes"}) for h in ("m008", "m009", "m010")]
    out: list[Any] = []
    with db.engine.connect() as other:
        other.execute(
            text(
                "INSERT INTO participation (question_id, member_id) "
                "SELECT :q, id FROM member WHERE handle = 'm009'"
            ),
            {"q": ratify},
        )
        other.execute(
            text("INSERT INTO ballot VALUES ('race', :q, 'RACE-CODE', '{\"vote\": \"no\"}')"),
            {"q": ratify},
        )
        batch = threading.Thread(target=lambda: out.extend(cast_ballots(db, papers)))
        batch.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        for _ in range(200):  # until the batch's insert waits on the uncommitted row
            if other.execute(text(waiting)).scalar_one():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the batch never waited on the other transaction")
        other.commit()
        batch.join(timeout=30)
    assert isinstance(out[0], str) and isinstance(out[2], str)
    assert isinstance(out[1], BallotRefusedError) and "m009" in str(out[1])
    assert _ballots(db, ratify) == 3


def test_votes_outside_ones_federation_and_after_close_are_refused(
    voting_round: tuple[Database, int, dict[str, int]],
) -> None:
    db, r, boxes = voting_round
    other = {
        "name": "Elsewhere",
        "economy": "demo",
        "councils": [{"name": "Elsewhere works", "kind": "workers"}],
    }
    create_federation(db, other)
    add_members(db, [{"handle": "outsider", "name": "O", "workers_council": "Elsewhere works"}])
    with pytest.raises(BallotRefusedError, match="outsider"):
        cast_ballot(db, boxes["ratify"], member="outsider", choice={"vote": "yes"})
    cast_ballot(db, boxes["ratify"], member="m001", choice={"vote": "yes"})
    with pytest.raises(AuthorisationError, match="m001"):
        close_vote(db, r, actor="m001")  # members do not close votes; facilitators do
    close_vote(db, r, actor="m000")
    with pytest.raises(BallotRefusedError, match="closed"):
        cast_ballot(db, boxes["ratify"], member="m002", choice={"vote": "yes"})
    with pytest.raises(PhaseError, match="phase"):
        close_vote(db, r, actor="m000")
    assert _ballots(db, boxes["ratify"]) == 1


def test_the_ballot_is_secret_yet_findable(
    voting_round: tuple[Database, int, dict[str, int]],
) -> None:
    db, _, boxes = voting_round
    receipts = {
        h: cast_ballot(db, boxes["ratify"], member=h, choice={"vote": v})
        for h, v in (("m001", "yes"), ("m002", "no"), ("m003", "abstain"))
    }
    columns = {c["name"] for c in inspect(db.engine).get_columns("ballot")}
    assert columns == {"id", "question_id", "receipt", "choice"}  # nothing names the voter or time
    assert "choice" not in {c["name"] for c in inspect(db.engine).get_columns("participation")}
    with db.transaction() as s:
        ballots = {b.receipt: b for b in s.execute(select(Ballot)).scalars()}
        voters = set(s.execute(select(Participation.member_id)).scalars())
    assert len(voters) == 3
    assert {ballots[receipts[h]].choice["vote"] for h in receipts} == {"yes", "no", "abstain"}
    assert len({b.id for b in ballots.values()}) == 3 and all(
        len(b.id) == 32 for b in ballots.values()
    )
    assert len(set(receipts.values())) == 3


def test_floors_cannot_be_voted_or_amended_away(database_url: str) -> None:
    db, root = federation(database_url, members=60)
    r = open_round(db, root, actor="m000")
    ids = first_proposals(db, r)
    # Hours so few that food, housing, health and care can no longer be produced: refused.
    council = "Works 1a"
    with pytest.raises(FloorError, match="floors"):
        for c in (f"Works {x}{y}" for x in "123" for y in "ab"):
            file_proposal(
                db,
                r,
                actor=_member_of(c),
                council=c,
                kind="hours",
                title="less",
                hours=20,
                amends=ids[c],
            )
            ids[c] = -1
    live = [p for p in _live(db, r) if p.kind == "hours"]
    assert len(live) == 6 and min(p.hours for p in live) == 20  # refused step rolled back
    with pytest.raises(PlanInputError, match="≥ 0"):
        file_proposal(
            db,
            r,
            actor=_member_of("Neighbourhood 1a"),
            council="Neighbourhood 1a",
            kind="target",
            title="less food",
            amounts={"C10T12": -5.0},
        )
    with pytest.raises(PlanInputError, match="takes no labour"):  # imputed rents embody no hours
        file_proposal(
            db,
            r,
            actor=_member_of("Neighbourhood 1a"),
            council="Neighbourhood 1a",
            kind="collective",
            title="rent",
            amounts={"L68A": 10.0},
        )
    with pytest.raises(AuthorisationError, match="not a member"):
        file_proposal(db, r, actor="m001", council=council, kind="hours", title="x", hours=1)


def test_tampering_is_detected(voting_round: tuple[Database, int, dict[str, int]]) -> None:
    db, r, boxes = voting_round
    for h in ("m001", "m002", "m003"):
        cast_ballot(db, boxes["ratify"], member=h, choice={"vote": "yes"})
    out = close_vote(db, r, actor="m000")
    with db.transaction() as s:
        assert audit.verify(s).ok
        head = audit.verify(s).head
    with db.transaction() as s:  # a changed ballot after close
        b = s.execute(select(Ballot).where(Ballot.question_id == boxes["ratify"])).scalars().first()
        assert b is not None
        s.execute(update(Ballot).where(Ballot.id == b.id).values(choice={"vote": "no"}))
    with db.transaction() as s:
        problems = audit.verify(s).problems
    assert any(f"ballot box of question {boxes['ratify']}" in p for p in problems)
    with db.transaction() as s:  # a changed ratified plan
        s.execute(update(Draft).where(Draft.id == out.plan).values(result={"status": "x"}))
        problems = audit.verify(s).problems
    assert any(f"draft {out.plan}: its result is not the one the log pins" in p for p in problems)
    with db.transaction() as s:  # a rewritten log entry
        s.execute(text("UPDATE audit_entry SET actor = 'someone' WHERE seq = 2"))
        check = audit.verify(s, expected_head=head)
    assert any("audit entry 2" in p for p in check.problems)


def test_recompute_refuses_another_economy(database_url: str, monkeypatch: Any) -> None:
    db, root = federation(database_url, members=60)
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    plan = compute_draft(db, r, actor="m000")
    assert recompute(db, plan)["same"]
    from commonplan.rounds import plans

    changed = cp.Economy.from_arrays(
        SWEDEN.A * 1.01,
        SWEDEN.labour,
        products=list(SWEDEN.products),
        resources=dict(SWEDEN.resources),
    )
    monkeypatch.setattr(plans, "economy_of", lambda settings: changed)
    with pytest.raises(PlanInputError, match="another economy"):
        recompute(db, plan)


def test_members_rank_alternative_drafts(database_url: str) -> None:
    """A facilitator offers a greener alternative (CO2 at 60 % of 2016); members rank it above
    the draft (Schulze), and the final plan is computed under its cap."""
    db, root = federation(database_url, members=60)
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    greener = compute_alternative(db, r, title="greener", caps={"co2": "60%"}, actor="m000")
    with pytest.raises(PlanInputError, match="hours"):
        compute_alternative(db, r, title="longer hours", caps={"labour": 1e12}, actor="m000")
    boxes = open_vote(db, r, actor="m000")
    for i in range(60):
        h = f"m{i:03d}"
        ranking = [str(greener), "draft"] if i % 3 else ["draft", str(greener)]
        cast_ballot(db, boxes["ranked"], member=h, choice={"ranking": ranking})
        cast_ballot(db, boxes["ratify"], member=h, choice={"vote": "yes"})
    out = close_vote(db, r, actor="m000")
    assert out.results["ranked"]["winner"] == str(greener)
    assert out.results["ranked"]["d"] == [[0, 20], [40, 0]]
    with db.transaction() as s:
        final = s.get(Draft, out.plan)
        assert final is not None
        co2_2016 = cp.current_use(SWEDEN, "co2")
        assert final.result["caps"]["co2"] == pytest.approx(0.6 * co2_2016)
        assert final.result["use"]["co2"] <= 0.6 * co2_2016 * (1 + 1e-9)
    assert out.ratified == (final.result["status"] == "optimal")


def test_hours_beyond_the_targets_are_free_time(database_url: str) -> None:
    """Without a CO2 cap, 1,450 h from every member is more than 2016's demand needs: the plan
    meets every target in full with the fewest hours, and each member works less than offered."""
    db, root = federation(database_url, members=60, caps={})
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    view = member_view(db, r, member="m005")
    assert view.fulfilment == pytest.approx(1.0)
    assert view.hours_per_year is not None and 0 < view.hours_per_year < 1450
    with db.transaction() as s:
        plan = s.execute(select(Draft)).scalar_one()
    assert plan.result["objective"] == "min_labour"
    offered = plan.inputs["hours_offered"]
    assert view.hours_per_year == pytest.approx(1450 * plan.result["use"]["labour"] / offered)


def test_a_proposal_costed_before_filing_costs_what_the_draft_records(database_url: str) -> None:
    """cost_proposal checks a proposal as filing does and costs it in hours (λ·amounts) without
    filing it; the draft then records the same cost.  Only the filing council's members may
    amend, and only while the round takes proposals or feedback."""
    db, root = federation(database_url, members=60, caps={})
    r = open_round(db, root, actor="m000")
    ids = first_proposals(db, r)
    with db.transaction() as s:
        filed = s.execute(select(func.count()).select_from(Proposal)).scalar_one()
    asked = {"I": 800.0, "Q86": 5.0}
    costed = cost_proposal(db, r, kind="collective", amounts=asked)
    lam = np.linalg.solve(
        np.eye(SWEDEN.n) - SWEDEN.A.toarray().T, SWEDEN.direct("labour")[SWEDEN.techniques]
    )
    expected = sum(lam[SWEDEN.product_index(k)] * v for k, v in asked.items())
    assert costed.labour_cost == pytest.approx(expected, rel=1e-9) and costed.labour_cost > 0
    assert cost_proposal(db, r, kind="hours", hours=1450).hours == 1450
    assert cost_proposal(db, r, kind="capacity", amounts={"A01": 1.0}).labour_cost is None
    with pytest.raises(PlanInputError, match="no product 'XYZ'"):
        cost_proposal(db, r, kind="target", amounts={"XYZ": 1.0})
    with db.transaction() as s:  # nothing filed by costing
        assert s.execute(select(func.count()).select_from(Proposal)).scalar_one() == filed
    canteen = file_proposal(
        db,
        r,
        actor=_member_of("Neighbourhood 3a"),
        council="Neighbourhood 3a",
        kind="collective",
        title="a bigger canteen",
        amounts=asked,
    )
    compute_draft(db, r, actor="m000")
    with db.transaction() as s:
        recorded = s.get(Proposal, canteen)
        assert recorded is not None and recorded.labour_cost == pytest.approx(costed.labour_cost)
    member = _member_of("Neighbourhood 1a")  # m000: Works 1a and Neighbourhood 1a
    mine = amendable(db, r, member=member)
    assert ids["clinic"] in mine and ids["Works 1a"] in mine and ids["nursery"] not in mine
    with pytest.raises(AuthorisationError, match="only its members amend it"):
        check_amend(db, ids["nursery"], member=member)
    open_vote(db, r, actor="m000")
    assert amendable(db, r, member=member) == frozenset()
    with pytest.raises(PhaseError, match="can no longer be amended"):
        check_amend(db, ids["clinic"], member=member)


def test_ratification_by_consent(database_url: str) -> None:
    """A federation that ratifies by consent: one sustained (reasoned) objection blocks the plan;
    objections without a reason do not."""
    description = sweden(60)
    description["rounds"] = {**description["rounds"], "ratification": "consent"}
    db = Database(database_url)
    root = create_federation(db, description)
    add_members(db, people(60))
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    for objection, passes in (("the canteen is too far from the school", False), ("", True)):
        compute_draft(db, r, actor="m000")  # round 2 starts from round 1's proposals
        boxes = open_vote(db, r, actor="m000")
        assert "ratify" not in boxes
        for i in range(40):
            reason = objection if i == 7 else None
            cast_ballot(db, boxes["consent"], member=f"m{i:03d}", choice={"objection": reason})
        out = close_vote(db, r, actor="m000")
        assert out.ratified is passes
        assert out.results["consent"]["sustained"] == ([objection] if objection else [])
        r = out.next_round
    assert r is None  # ratified in round 2


def test_deadlines_end_filing_and_voting(database_url: str) -> None:
    db, root = federation(database_url, members=60)
    with pytest.raises(PlanInputError, match="date and time"):
        open_round(db, root, actor="m000", deadlines={"vote": "next tuesday"})
    with pytest.raises(PlanInputError, match="phases"):
        open_round(db, root, actor="m000", deadlines={"draft": "2026-01-01T00:00"})
    r = open_round(db, root, actor="m000", deadlines={"vote": "2000-01-01T00:00"})
    ids = first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    boxes = open_vote(db, r, actor="m000")
    with pytest.raises(PhaseError, match="vote phase of round 1 ended at 2000-01-01"):
        cast_ballot(db, boxes["ratify"], member="m001", choice={"vote": "yes"})
    assert _ballots(db, boxes["ratify"]) == 0
    with db.transaction() as s:  # the proposals phase had no deadline: proposals were taken
        rnd = s.get(Round, r)
        assert rnd is not None and rnd.deadlines == {"vote": "2000-01-01T00:00:00+00:00"}
    assert len(ids) == 12  # 6 collective proposals and 6 hours proposals were filed


def test_the_rounds_package_names_its_modules_public_names() -> None:
    from commonplan import rounds
    from commonplan.rounds import ballots, phases, plans, proposals, shares, timelines, vote

    modules = (ballots, phases, plans, proposals, shares, timelines, vote)
    assert sorted(rounds.__all__) == sorted(["board", *(n for m in modules for n in m.__all__)])
    for module in modules:
        for name in module.__all__:
            assert getattr(rounds, name) is getattr(module, name), name


def _expected_per_person(db: Database, r: int, handle: str) -> dict[str, tuple[float, float]]:
    """(floor, own target) per person in million SEK, recomputed from the federation's set-up
    and the rows the round recorded — independently of :mod:`commonplan.rounds.shares`."""
    with db.transaction() as s:
        m = s.execute(select(Member).where(Member.handle == handle)).scalar_one()
        council = m.consumers_council_id
        mates = s.execute(
            select(func.count()).select_from(Member).where(Member.consumers_council_id == council)
        ).scalar_one()
        fed = s.execute(select(Federation).where(Federation.parent_id.is_(None))).scalar_one()
        people = mates * fed.settings["people_per_member"]
        own: dict[str, float] = {}
        for p in s.execute(select(Proposal).where(Proposal.round_id == r)).scalars():
            if p.council_id == council and p.kind == "target" and not p.withdrawn:
                for k, v in p.amounts.items():
                    own[k] = own.get(k, 0.0) + v / people
    codes = set(own) | set(FLOORS)
    return {k: (FLOORS[k][1] if k in FLOORS else 0.0, own.get(k, 0.0)) for k in codes}


@pytest.mark.parametrize("caps", [{}, {"co2": "70%"}], ids=["targets met", "co2 capped"])
def test_what_each_person_gets_against_today(database_url: str, caps: dict[str, str]) -> None:
    """Per person of m005's neighbourhood: planned = floor + t × own target, today = Sweden's
    2016 final demand / its population (SCB: 9,995,153), in SEK (the table's million SEK × 10⁶);
    floors are never cut; the rows are the products asked for or floored, largest first."""
    db, root = federation(database_url, members=60, caps=caps)
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    got = what_we_get(db, r, member="m005")
    t = member_view(db, r, member="m005").fulfilment
    assert t is not None and got.fulfilment == t
    assert (t == pytest.approx(1.0)) == (caps == {}) and t > 0.3
    assert got.council == "Neighbourhood 3a" and got.unit == "SEK"
    assert got.people == pytest.approx(10 * PEOPLE / 60)
    assert got.population == 9_995_153
    expected = _expected_per_person(db, r, "m005")
    fd = dict(zip(SWEDEN.products, SWEDEN.final_demand["domestic_final_demand"], strict=True))
    assert {row.product for row in got.rows} == set(expected)
    for row in got.rows:
        floor, own = expected[row.product]
        assert row.floor == pytest.approx(floor * 1e6)
        assert row.asked == pytest.approx((floor + own) * 1e6)
        assert row.planned == pytest.approx((floor + t * own) * 1e6)
        assert row.planned >= row.floor * (1 - 1e-12)
        assert row.today == pytest.approx(fd[row.product] / 9_995_153 * 1e6)
        assert row.need == (FLOORS[row.product][0] if row.product in FLOORS else None)
        expected_change = row.planned / row.today - 1 if row.today else None
        assert row.change == (pytest.approx(expected_change) if row.today else None)
    planned = [row.planned for row in got.rows]
    assert planned == sorted(planned, reverse=True) and got.status == "optimal"
    # each neighbourhood asked a sixth of 2016's demand for a sixth of 10.3 million people: with
    # every target met, a person's share is today's × 9,995,153 / 10,300,000 plus the floor
    food = next(row for row in got.rows if row.product == "C10T12")
    if caps == {}:
        assert food.planned == pytest.approx(food.today * 9_995_153 / PEOPLE + 0.02e6)


def test_what_a_member_with_no_consumers_council_gets(database_url: str) -> None:
    """The hard floors alone, in full, whatever the plan meets of the targets."""
    db, root = federation(database_url, members=60, caps={"co2": "70%"})
    add_members(db, [{"handle": "loner", "name": "Lone", "workers_council": "Works 1a"}])
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    got = what_we_get(db, r, member="loner")
    assert got.council is None and got.people == 0
    assert {row.product: row.planned for row in got.rows} == pytest.approx(
        {k: a * 1e6 for k, (_, a) in FLOORS.items()}
    )
    assert all(row.asked == row.planned == row.floor for row in got.rows)


@pytest.mark.parametrize("population", [0, -5, float("nan"), float("inf"), "10 million", True])
def test_a_tables_population_must_be_a_number_of_people(population: Any) -> None:
    A = np.array([[0.1, 0.2], [0.3, 0.1]])
    with pytest.raises(DataError, match="population must be a positive number of people"):
        cp.Economy.from_arrays(A, [1.0, 1.0], meta={"population": population})
    ok = cp.Economy.from_arrays(A, [1.0, 1.0], meta={"population": 2_000})
    assert ok.meta["population"] == 2_000


def test_a_plan_that_gives_nothing_to_count_on_lists_nothing(database_url: str) -> None:
    """A recorded plan that is not optimal (the engine stopped at a limit, found it infeasible)
    gives no one anything to count on: no rows, and its status said."""
    db, root = federation(database_url, members=60, caps={})
    r = open_round(db, root, actor="m000")
    first_proposals(db, r)
    compute_draft(db, r, actor="m000")
    assert what_we_get(db, r, member="m005").rows
    with db.transaction() as s:
        d = s.execute(select(Draft)).scalar_one()
        d.result = {**d.result, "status": "time_limit"}
    got = what_we_get(db, r, member="m005")
    assert got.status == "time_limit" and got.rows == ()


def test_change_is_against_a_positive_today_only() -> None:
    from commonplan.rounds.shares import PerPerson

    row = PerPerson("X", "x", None, asked=2.0, planned=1.5, floor=0.0, today=1.0)
    assert row.change == pytest.approx(0.5)
    for today in (None, 0.0, -3.0):  # stocks drawn down: no percentage against them
        assert PerPerson("X", "x", None, 2.0, 1.5, 0.0, today).change is None


def test_per_person_unit_drops_the_scale_word() -> None:
    assert per_person_unit("million SEK") == (1e6, "SEK")
    assert per_person_unit("Billion USD") == (1e9, "USD")
    assert per_person_unit("thousand AUD") == (1e3, "AUD")
    assert per_person_unit("million") == (1.0, "million")
    assert per_person_unit("hours") == (1.0, "hours")
    assert per_person_unit("") == (1.0, "")
