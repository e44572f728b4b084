"""The published ballot board: export after close, independent recount, tampering, PaBuLib.

A small federation on the Swedish 2016 table (31 members, six collective proposals costed in
labour hours, a budget that funds some of them) votes; the board is exported and recounted from
its files alone, checked against pabutools' Method of Equal Shares, and tampered with.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from cli_support import FEDERATION
from commonplan import audit
from commonplan.errors import NotFoundError, PhaseError
from commonplan.federation import add_members, create_federation
from commonplan.rounds import (
    cast_ballot,
    close_vote,
    compute_draft,
    file_proposal,
    open_round,
)
from commonplan.rounds import open_vote as open_vote_
from commonplan.rounds.ballots import receipt_forms
from commonplan.rounds.board import export_board, find_ballot, recount
from commonplan.store import Database
from commonplan.store.models import AuditHead, Ballot, Question

MEMBERS = 31
COLLECTIVE = [
    ("canteen", {"I": 1.0}),
    ("clinic", {"Q86": 1.5}),
    ("nursery", {"P85": 1.0}),
    ("care home", {"Q87_88": 0.8}),
    ("library", {"R90T92": 1.2}),
    ("sports hall", {"R93": 0.6}),
]
"""Each costs 1,500–3,200 labour hours; the budget (20 % of 31 × 1,600 hours) is 9,920."""
POPULARITY = [0.8, 0.6, 0.5, 0.35, 0.3, 0.15]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A fresh database: SQLite, and PostgreSQL where the suite has one (``tests/conftest.py``)."""
    d = Database(database_url)
    yield d
    d.dispose()


def description() -> dict[str, Any]:
    """The small commune of the terminal tests, under its own name."""
    return {**FEDERATION, "name": "Board federation"}


def handle(i: int) -> str:
    return f"voter-{i:03d}"


def members() -> list[dict[str, str]]:
    rows = [
        {
            "handle": handle(i),
            "name": f"Person Number {i}",
            "workers_council": ("Bakery", "Clinic works")[i % 2],
            "consumers_council": ("East hood", "West hood")[i // 2 % 2],
        }
        for i in range(MEMBERS)
    ]
    rows[0]["role"] = "facilitator"
    return rows


@dataclass
class Voted:
    db: Database
    round: int
    questions: dict[str, int]
    receipts: dict[str, dict[int, str]]  # kind → member index → receipt
    choices: dict[str, dict[int, dict[str, Any]]]


def vote_round(db: Database, *, seed: int = 7) -> Voted:
    """Federation, members, proposals, draft, open vote, every member votes on both questions."""
    root = create_federation(db, description())
    add_members(db, members())
    r = open_round(db, root, actor=handle(0))
    file_proposal(
        db,
        r,
        actor=handle(0),
        council="East hood",
        kind="target",
        title="bread and rent",
        amounts={"C10T12": 2.0, "L68B": 3.0},
    )
    for k, (title, amounts) in enumerate(COLLECTIVE):
        council = ("East hood", "West hood")[k % 2]
        filer = handle(0 if k % 2 == 0 else 2)
        file_proposal(
            db, r, actor=filer, council=council, kind="collective", title=title, amounts=amounts
        )
    compute_draft(db, r, actor=handle(0))
    questions = open_vote_(db, r, actor=handle(0))
    with db.transaction() as s:
        projects = s.get(Question, questions["budget"]).options["projects"]  # type: ignore[union-attr]
    rng = random.Random(seed)
    receipts: dict[str, dict[int, str]] = {"budget": {}, "ratify": {}}
    choices: dict[str, dict[int, dict[str, Any]]] = {"budget": {}, "ratify": {}}
    for i in range(MEMBERS):
        approve = [p for p, w in zip(projects, POPULARITY, strict=True) if rng.random() < w]
        vote = "no" if i % 4 == 3 else "yes"
        for kind, choice in (("budget", {"approve": approve}), ("ratify", {"vote": vote})):
            receipts[kind][i] = cast_ballot(db, questions[kind], member=handle(i), choice=choice)
            choices[kind][i] = choice
    return Voted(db, r, questions, receipts, choices)


@pytest.fixture
def voted(db: Database) -> Voted:
    return vote_round(db)


@pytest.fixture
def closed(voted: Voted) -> Voted:
    close_vote(voted.db, voted.round, actor=handle(0))
    return voted


def test_export_after_close_recounts_to_the_recorded_tallies_and_finds_ballots(
    closed: Voted, tmp_path: Path
) -> None:
    written = export_board(closed.db, closed.round, tmp_path / "board")
    b, q = closed.questions["budget"], closed.questions["ratify"]
    assert sorted(p.name for p in written) == sorted(
        [f"question-{b}.json", f"question-{b}.pb", f"question-{q}.json", "audit-log.jsonl"]
    )
    with closed.db.transaction() as s:
        recorded = {x.id: x for x in s.execute(select(Question)).scalars()}
        head = s.execute(select(AuditHead)).scalar_one().sha256
        stored = len(s.execute(select(Ballot)).all())
    assert stored == 2 * MEMBERS

    report = recount(tmp_path / "board", head=head)  # the head published at close
    assert report.ok, report.problems
    assert report.audit_head == report.proven_head == head
    assert {x.question for x in report.questions} == {b, q}
    for x in report.questions:
        assert x.box_ok and x.result_ok
        assert x.ballots == MEMBERS
        assert x.recounted == recorded[x.question].result  # the same tally, recounted
    budget = recorded[b].result
    assert budget is not None
    assert 0 < len(budget["selected"]) < len(COLLECTIVE)  # the budget binds: a real choice
    ratify = recorded[q].result
    assert ratify is not None and ratify["yes"] == MEMBERS - MEMBERS // 4

    board = json.loads((tmp_path / "board" / f"question-{q}.json").read_text())
    assert [r for r, _ in board["ballots"]] == sorted(closed.receipts["ratify"].values())
    assert board["box_sha256"] == recorded[q].box_sha256
    assert board["eligible"] == MEMBERS
    assert board["audit_head"]["sha256"] == head
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True

    # nothing on the board identifies a voter: no handle, no name — the log entries it carries
    # name only the facilitator who closed the vote, as the actor of the close
    text = "".join(p.read_text() for p in sorted((tmp_path / "board").iterdir()))
    assert "Person Number" not in text
    assert text.count("voter-") == text.count(f'"actor": "{handle(0)}"') > 0

    # a voter finds their ballot by its receipt, on the board and in the database
    for kind in ("budget", "ratify"):
        receipt = closed.receipts[kind][7]
        for where in (tmp_path / "board", closed.db):
            (found,) = find_ballot(where, receipt)
            assert found.question == closed.questions[kind]
            assert found.kind == kind and found.round == closed.round
            want = closed.choices[kind][7]
            assert found.choice == (
                {"approve": sorted(want["approve"])} if kind == "budget" else want
            )
        # typed as people type a code read off paper: lower case, spaces, no dashes, 0 for O
        typed = receipt.lower().replace("-", " ").replace("o", "0").replace("i", "1")
        for where in (tmp_path / "board", closed.db):
            assert find_ballot(where, f"  {typed} ") == find_ballot(where, receipt)
    with pytest.raises(NotFoundError, match="no ballot with receipt 'NOPE'"):
        find_ballot(tmp_path / "board", "NOPE")
    with pytest.raises(NotFoundError, match="NOPE"):
        find_ballot(closed.db, "NOPE")


def test_tampering_makes_the_recount_differ(closed: Voted, tmp_path: Path) -> None:
    export_board(closed.db, closed.round, tmp_path / "board")
    q = closed.questions["ratify"]

    flipped = tmp_path / "flipped"
    shutil.copytree(tmp_path / "board", flipped)
    path = flipped / f"question-{q}.json"
    board = json.loads(path.read_text())
    k = next(k for k, (_, c) in enumerate(board["ballots"]) if c["vote"] == "yes")
    board["ballots"][k][1] = {"vote": "no"}
    path.write_text(json.dumps(board))
    report = recount(flipped)
    assert not report.ok
    bad = next(x for x in report.questions if x.question == q)
    assert not bad.box_ok and not bad.result_ok
    assert bad.recounted is not None and bad.recounted["yes"] == board["result"]["yes"] - 1
    assert any("box_sha256" in p for p in report.problems)
    assert any("yes: " in p and "differs from the recorded result" in p for p in report.problems)
    assert all(x.ok for x in report.questions if x.question != q)

    # the forger also rewrites the box hash: the recount still differs from the recorded result
    board["box_sha256"] = audit.box_digest([(r, c) for r, c in board["ballots"]])
    path.write_text(json.dumps(board))
    report = recount(flipped)
    bad = next(x for x in report.questions if x.question == q)
    assert bad.box_ok and not bad.result_ok and not report.ok

    # a vote changed in the PaBuLib file alone
    b = closed.questions["budget"]
    pb = tmp_path / "board" / f"question-{b}.pb"
    lines = pb.read_text().splitlines()
    votes_at = lines.index("VOTES")
    everything = ",".join(_projects(closed))
    k = next(k for k in range(votes_at + 2, len(lines)) if not lines[k].endswith(everything))
    lines[k] = lines[k].split(";")[0] + ";" + everything  # this voter now approves everything
    pb.write_text("\n".join(lines) + "\n")
    report = recount(tmp_path / "board")
    assert not report.ok
    assert any(f"question-{b}.pb: its votes differ" in p for p in report.problems)


def _projects(v: Voted) -> list[str]:
    with v.db.transaction() as s:
        q = s.get(Question, v.questions["budget"])
        assert q is not None
        return list(q.options["projects"])


def test_pabulib_file_counts_the_same_in_pabutools(closed: Voted, tmp_path: Path) -> None:
    pabulib = pytest.importorskip("pabutools.election")
    from pabutools.election import Cost_Sat
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )
    from pabutools.tiebreaking import lexico_tie_breaking

    export_board(closed.db, closed.round, tmp_path / "board")
    b = closed.questions["budget"]
    instance, profile = pabulib.parse_pabulib(str(tmp_path / "board" / f"question-{b}.pb"))
    with closed.db.transaction() as s:
        q = s.get(Question, b)
        assert q is not None and q.result is not None
        options, result = q.options, q.result
    assert len(profile) == MEMBERS
    assert float(instance.budget_limit) == pytest.approx(options["budget"], rel=1e-12)
    costs = {p.name: float(p.cost) for p in instance}
    assert costs == pytest.approx(dict(zip(options["projects"], options["costs"], strict=True)))
    assert options["increment"] == 1.0 and options["fill"] is True  # the defaults, recorded
    mes_kw = {"sat_class": Cost_Sat, "tie_breaking": lexico_tie_breaking,
              "voter_budget_increment": int(options["increment"])}  # fmt: skip
    chosen = completion_by_rule_combination(
        instance,
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [mes_kw, {"sat_class": Cost_Sat, "tie_breaking": lexico_tie_breaking}],
    )
    assert sorted(p.name for p in chosen) == sorted(result["selected"])
    text = (tmp_path / "board" / f"question-{b}.pb").read_text()
    assert "rule;equalshares/add1/greedy" in text


def test_export_before_close_is_refused(voted: Voted, tmp_path: Path) -> None:
    with pytest.raises(PhaseError, match=r"question \d+ of round \d+ is still open"):
        export_board(voted.db, voted.round, tmp_path / "early")
    assert not (tmp_path / "early").exists()
    with pytest.raises(PhaseError, match="still open"):  # nor is a ballot shown before close
        find_ballot(voted.db, voted.receipts["ratify"][5])
    close_vote(voted.db, voted.round, actor=handle(0))
    assert export_board(voted.db, voted.round, tmp_path / "late")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16))
def test_receipt_forms_find_a_generated_code_however_typed(bare: str) -> None:
    code = "-".join(bare[i : i + 4] for i in range(0, 16, 4))
    assert receipt_forms(code) == (code,)
    for typed in (code.lower(), bare, " ".join(code.split("-")), code.replace("O", "0")):
        forms = receipt_forms(typed)
        assert forms[-1] == code and forms[0] == typed.strip()
    # a receipt a member chose (not 16 base-32 characters) is matched only as typed
    assert receipt_forms(" my-own-receipt ") == ("my-own-receipt",)
