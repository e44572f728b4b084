"""Secrecy of the ballot, on SQLite and PostgreSQL: after close, nothing SQL shows of the tables
links a ballot to its voter; and no answer to a member who has voted tells what another's
ballot holds (the receipt oracle; through the API in tests/test_api_ballots.py).

The linking attacks are those of an operator with a dump: pair the k-th ``participation`` row
with the k-th ``ballot`` row under every order the database offers (ids, SQLite's ``rowid``,
PostgreSQL's ``ctid`` and ``xmin``, a plain ``SELECT``), or join the two tables on ``xmin``.
With 60 voters whose ballots (receipt and choice) the test knows, each attack must link all 60
while the box is open — the attack works, so the test could fail — and after close do no better
than chance: a random pairing links a ballot to its voter about once in 60 (8 times or more
with a chance under 1e-6), and guesses votes (yes, no, abstain) within the binomial tail of
chance.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from sqlalchemy import select, text

from commonplan.errors import CommonplanError
from commonplan.rounds import BallotPaper, cast_ballot, cast_ballots, cast_round_ballots, close_vote
from commonplan.store import Database
from commonplan.store.models import Member
from fixtures import in_the_vote

VOTERS = 60


def _orders(db: Database) -> tuple[dict[str, str], dict[str, str]]:
    """The orders an attacker can read: {name: ORDER BY clause} of participation and of ballot
    (an empty clause: the order a plain SELECT gives)."""
    if db.is_sqlite:
        common = {"plain": "", "rowid": "ORDER BY rowid", "id": "ORDER BY id"}
    else:
        common = {
            "plain": "",
            "ctid": "ORDER BY ctid",
            "xmin": "ORDER BY xmin::text::bigint, ctid",
            "id": "ORDER BY id",
        }
    return common, {**common, "receipt": "ORDER BY receipt"}


def _attacks(db: Database, question: int) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every pairing of voters (handles) with ballots (receipts) of box ``question`` by
    position, one per pair of orders: {(order of participation, order of ballot): pairs}.  The
    tables are read whole (a plain ``SELECT`` scans them) and the box's rows kept."""
    who_orders, how_orders = _orders(db)
    out = {}
    with db.engine.connect() as c:
        names = {i: h for i, h in c.execute(select(Member.id, Member.handle))}
        for w, who_order in who_orders.items():
            rows = c.execute(text(f"SELECT question_id, member_id FROM participation {who_order}"))
            handles = [names[m] for q, m in rows if q == question]
            for h, how_order in how_orders.items():
                rows = c.execute(text(f"SELECT question_id, receipt FROM ballot {how_order}"))
                out[w, h] = list(zip(handles, [r for q, r in rows if q == question], strict=True))
    return out


def _chance_bound(n: int, p: float, tail: float = 1e-6) -> int:
    """The least k with P(Binomial(n, p) ≥ k) ≤ ``tail``."""
    for k in range(n + 1):
        if sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1)) <= tail:
            return k
    return n + 1


def test_after_close_no_order_links_a_ballot_to_its_voter(database_url: str) -> None:
    db = Database(database_url)
    _, r, boxes = in_the_vote(db, "S", voters=VOTERS)
    ratify = boxes["ratify"]
    rng = random.Random(12)
    handles = [f"voterS{i}" for i in range(VOTERS)]
    rng.shuffle(handles)  # cast in an order unlike the members' ids
    votes = {h: rng.choice(["yes", "no", "abstain"]) for h in handles}
    receipts = {
        h: cast_ballot(db, ratify, member=h, choice={"vote": votes[h]}, receipt=f"CODE-{h}")
        for h in handles
    }
    choice_of = {receipts[h]: v for h, v in votes.items()}
    shares = [sum(v == c for v in votes.values()) / VOTERS for c in ("yes", "no", "abstain")]
    guessed_at_chance = _chance_bound(VOTERS, sum(p * p for p in shares))
    assert guessed_at_chance < VOTERS * 2 / 3  # chance guesses about 20 of 60

    def links(pairs: list[tuple[str, str]]) -> tuple[int, int]:
        """(ballots linked to their voter, votes guessed right) by one pairing."""
        found = sum(receipts[h] == code for h, code in pairs)
        return found, sum(votes[h] == choice_of[code] for h, code in pairs)

    # While the box is open the attacks work: both tables lie in casting order.
    before = _attacks(db, ratify)
    casting = [(w, h) for w, h in before if h in ("rowid", "ctid", "xmin")]
    assert casting and all(links(before[k]) == (VOTERS, VOTERS) for k in casting), {
        k: links(before[k]) for k in casting
    }
    if not db.is_sqlite:  # a ballot and its participation share their transaction's xmin
        assert _xmin_links(db, ratify) == VOTERS

    close_vote(db, r, actor="facilitatorS")
    after = _attacks(db, ratify)
    assert len(after) == len(before)
    for attack, pairs in after.items():
        found, guessed = links(pairs)
        assert found <= 8, (attack, found)  # chance: one in 60 on average
        assert guessed < guessed_at_chance, (attack, guessed, guessed_at_chance)
    with db.engine.connect() as c:
        stored = {r: v for r, v in c.execute(text("SELECT receipt, choice FROM ballot"))}
    assert len(stored) == VOTERS  # every ballot is there, as cast
    if not db.is_sqlite:
        assert _xmin_links(db, ratify) is None


def _xmin_links(db: Database, question: int) -> int | None:
    """PostgreSQL: how many true (voter, ballot) pairs joining the tables on xmin gives, if the
    join tells anything (``None``: every row of both tables has one xmin, the join pairs all)."""
    with db.engine.connect() as c:
        xmins = c.execute(
            text(
                "SELECT DISTINCT xmin::text FROM ballot WHERE question_id = :q UNION "
                "SELECT DISTINCT xmin::text FROM participation WHERE question_id = :q"
            ),
            {"q": question},
        ).scalars()
        if len(list(xmins)) == 1:
            return None
        pairs = c.execute(
            text(
                "SELECT m.handle, b.receipt FROM participation p "
                "JOIN ballot b ON b.xmin = p.xmin AND b.question_id = p.question_id "
                "JOIN member m ON m.id = p.member_id WHERE p.question_id = :q"
            ),
            {"q": question},
        ).all()
    return sum(receipt == f"CODE-{handle}" for handle, receipt in pairs)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_keeps_no_copy_of_the_casting_order_in_its_files(database_url: str) -> None:
    """Outside SQL on SQLite: the closed box's deleted rows are zeroed (secure_delete) and the
    write-ahead log, which held each casting's pages, is emptied; each receipt is left in the
    file twice — its row and its entry in the (question, receipt) index — never in an old
    copy."""
    db = Database(database_url)
    _, r, boxes = in_the_vote(db, "F", voters=20)
    codes = [
        cast_ballot(db, boxes["ratify"], member=f"voterF{i}", choice={"vote": "yes"})
        for i in range(20)
    ]
    path = Path(database_url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    close_vote(db, r, actor="facilitatorF")
    db.dispose()
    assert not wal.exists() or wal.stat().st_size == 0
    data = path.read_bytes()
    assert [data.count(code.encode()) for code in codes] == [2] * len(codes)


# ---------------------------------------------------------------------- the receipt oracle


def _answers(
    db: Database, question: int, member: str, papers: list[tuple[str | None, str]]
) -> set[str]:
    """What ``member`` is told for each (receipt, vote) sent, through each way of casting."""
    seen = set()
    round_id = _round_of(db, question)
    for receipt, vote in papers:
        choice = {"vote": vote}
        with pytest.raises(CommonplanError) as alone:
            cast_ballot(db, question, member=member, choice=choice, receipt=receipt)
        batch = cast_ballots(db, [BallotPaper(question, member, choice, receipt)])[0]
        with pytest.raises(CommonplanError) as several:
            cast_round_ballots(
                db,
                round_id,
                member=member,
                choices={question: choice},
                receipt=receipt,
            )
        for answer in (alone.value, batch, several.value):
            assert isinstance(answer, CommonplanError)
            seen.add(f"{type(answer).__name__}: {answer}")
    return seen


def _round_of(db: Database, question: int) -> int:
    with db.engine.connect() as c:
        return int(
            c.execute(
                text("SELECT round_id FROM question WHERE id = :q"), {"q": question}
            ).scalar_one()
        )


def test_a_member_who_has_voted_learns_nothing_of_anothers_ballot(database_url: str) -> None:
    db = Database(database_url)
    _, _, boxes = in_the_vote(db, "O", voters=3)
    ratify = boxes["ratify"]
    mine = cast_ballot(db, ratify, member="voterO0", choice={"vote": "yes"}, receipt="MINE-0001")
    theirs = cast_ballot(db, ratify, member="voterO1", choice={"vote": "no"}, receipt="THEIRS-01")
    guesses = [  # another's receipt with each choice, one's own (a retry), none, a new one
        (theirs, "no"),
        (theirs, "yes"),
        (theirs, "abstain"),
        (mine, "yes"),
        (mine, "no"),
        (None, "no"),
        ("NEVER-USED", "yes"),
    ]
    answers = _answers(db, ratify, "voterO0", guesses)
    assert len(answers) == 1, answers
    answer = answers.pop()
    assert "voterO0" in answer and "already" in answer
    with db.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM ballot")).scalar_one() == 2
