"""kill -9 while a vote is being closed: the round is closed whole or not at all.

A federation of 1,000 members votes (2,000 ballots) on a budget over 40 collective proposals and
on ratification.  Then a real child process (``os.fork`` of the test, which has the library
imported and warm, so a run takes a fraction of a second rather than the seconds a fresh
interpreter needs) opens a copy of the database and calls :func:`commonplan.rounds.close_vote`;
the parent kills it with SIGKILL:

* at a chosen point *inside* the closing transaction — the child reports each write statement
  and the commit (SQLAlchemy engine events) and, at the chosen one, waits on its stdin, so the
  kill lands exactly there: at the first write, halfway, at the last write, just before the
  commit;
* right after ``close_vote`` returned (the commit is done);
* at fixed delays after the child announced the call (wherever those land).

Afterwards the database opens; every ballot and participation is there; the round is either
still in its vote phase with every box open, no result, no final plan and no closing in the audit
log — and closing it again gives the tally of a fresh count of the stored ballots — or fully
closed with that same tally; never half (a closed budget box beside an open ratification box);
and the audit log verifies.  On SQLite, and on PostgreSQL where ``COMMONPLAN_TEST_POSTGRES_URL``
is set (the ``database_url`` fixture).
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import sqlite3
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from commonplan import audit
from commonplan.federation import add_members, create_federation, eligible_members
from commonplan.rounds import (
    cast_ballot,
    close_vote,
    compute_draft,
    file_proposal,
    open_round,
    open_vote,
)
from commonplan.store import Database
from commonplan.store.models import (
    AuditEntry,
    Ballot,
    Draft,
    Member,
    Participation,
    Question,
    Round,
)
from commonplan.voting import choices as voting

MEMBERS = 1000
PROJECTS = 40
FACILITATOR = "m0000"
CAST_BY_SERVICE = 50
"""Members whose ballots go through ``cast_ballot``; the rest are written in one transaction,
row for row what ``cast_ballot`` writes, so that setting up 2,000 ballots takes a second."""


@dataclass
class Prepared:
    url: str
    round: int
    questions: dict[str, int]
    cast: dict[str, int]
    expected: dict[str, dict[str, Any]]  # kind → the tally of a fresh count


# ---------------------------------------------------------------------- the vote to close


def description() -> dict[str, Any]:
    return {
        "name": "Crash federation",
        "level": "commune",
        "economy": "demo",
        "people_per_member": 1,
        "floors": [{"product": "C10T12", "per_person": 0.01, "need": "food"}],
        "rounds": {"collective_share": 0.2},
        "councils": [
            {"name": "Works", "kind": "workers", "processes": ["C10T12"]},
            {"name": "Hood", "kind": "consumers"},
        ],
    }


def prepare(url: str) -> Prepared:
    """Federation, 1,000 members, 40 collective proposals, draft, open vote, 2,000 ballots."""
    db = Database(url)
    try:
        root = create_federation(db, description())
        add_members(
            db,
            [
                {
                    "handle": f"m{i:04d}",
                    "workers_council": "Works",
                    "consumers_council": "Hood",
                    "role": "facilitator" if i == 0 else "member",
                }
                for i in range(MEMBERS)
            ],
        )
        r = open_round(db, root, actor=FACILITATOR)
        file_proposal(
            db, r, actor=FACILITATOR, council="Hood", kind="target", title="bread",
            amounts={"C10T12": 50.0},
        )  # fmt: skip
        codes = ["I", "Q86", "P85", "Q87_88", "R90T92", "R93", "S96", "N80T82"]
        for k in range(PROJECTS):
            file_proposal(
                db, r, actor=FACILITATOR, council="Hood", kind="collective", title=f"project {k}",
                amounts={codes[k % len(codes)]: 20.0 + 3.0 * k},
            )  # fmt: skip
        compute_draft(db, r, actor=FACILITATOR)
        questions = open_vote(db, r, actor=FACILITATOR)
        with db.transaction() as s:
            budget = s.get(Question, questions["budget"])
            assert budget is not None
            projects = list(budget.options["projects"])
        rng = random.Random(2024)
        weights = [rng.uniform(0.05, 0.6) for _ in projects]
        choices = [
            (
                {
                    "approve": [
                        p for p, w in zip(projects, weights, strict=True) if rng.random() < w
                    ]
                },
                {"vote": rng.choice(["yes", "yes", "no", "abstain"])},
            )
            for _ in range(MEMBERS)
        ]
        for i in range(CAST_BY_SERVICE):
            for kind, choice in zip(("budget", "ratify"), choices[i], strict=True):
                cast_ballot(db, questions[kind], member=f"m{i:04d}", choice=choice)
        with db.transaction() as s:
            ids = {h: m for h, m in s.execute(select(Member.handle, Member.id)).all()}
            options = {q.kind: q.options for q in s.execute(select(Question)).scalars()}
            for i in range(CAST_BY_SERVICE, MEMBERS):
                for kind, choice in zip(("budget", "ratify"), choices[i], strict=True):
                    q = questions[kind]
                    s.add(Participation(question_id=q, member_id=ids[f"m{i:04d}"]))
                    clean = voting.check_choice(kind, options[kind], choice)
                    receipt = _receipt()
                    s.add(
                        Ballot(
                            id=secrets.token_hex(16), question_id=q, receipt=receipt, choice=clean
                        )
                    )
        with db.transaction() as s:
            cast = {kind: _ballots(s, q) for kind, q in questions.items()}
            expected = {kind: _fresh_count(s, q) for kind, q in questions.items()}
        assert cast == {"budget": MEMBERS, "ratify": MEMBERS}
        assert 0 < len(expected["budget"]["selected"]) < PROJECTS  # a real equal-shares count
        return Prepared(url, r, questions, cast, expected)
    finally:
        db.dispose()


def _receipt() -> str:
    raw = secrets.token_hex(8).upper()
    return "-".join(raw[k : k + 4] for k in range(0, 16, 4))


def _ballots(s: Any, question: int) -> int:
    return int(s.execute(select(func.count()).where(Ballot.question_id == question)).scalar_one())


def _fresh_count(s: Any, question: int) -> dict[str, Any]:
    """The tally of the stored ballots, counted now through the one counting path."""
    q = s.get(Question, question)
    ballots = sorted(
        (r, c)
        for r, c in s.execute(
            select(Ballot.receipt, Ballot.choice).where(Ballot.question_id == question)
        ).all()
    )
    eligible = len(s.execute(eligible_members(s, q.federation_id)).all())
    result: dict[str, Any] = audit.plain(
        voting.count(q.kind, q.options, [c for _, c in ballots], eligible)
    )
    return result


# ---------------------------------------------------------------------- copies of the database


@pytest.fixture
def prepared(database_url: str) -> Prepared:
    return prepare(database_url)


@pytest.fixture
def copies(prepared: Prepared, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """``copy(k)``: the URL of a fresh copy of the prepared database (a file copy on SQLite, a
    database made from it as template on PostgreSQL; dropped afterwards)."""
    made: list[str] = []
    url = sa.engine.make_url(prepared.url)
    admin: sa.Engine | None = None
    if url.get_backend_name() == "postgresql":
        admin = request.getfixturevalue("postgres_admin")

    def copy(k: int) -> str:
        if admin is None:
            source = Path(str(url.database))
            target = tmp_path / f"copy-{k}.db"
            with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
                src.backup(dst)  # a consistent copy, WAL included
            src.close()
            dst.close()
            return f"sqlite:///{target}"
        name = f"commonplan_test_{int(time.time())}_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
        made.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    yield copy
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------- the kills


@dataclass
class Killed:
    lines: list[str]
    status: int  # as os.waitpid gives it


def close_and_kill(url: str, prepared: Prepared, *, pause: str, delay: float = 0.0) -> Killed:
    """Fork a child process that calls close_vote, and SIGKILL it where it pauses (``pause``:
    ``write:N``, ``commit``, ``after``), or ``delay`` seconds after it announced the call
    (``pause="none"``)."""
    from_child, to_parent = os.pipe()
    from_parent, to_child = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(from_child)
            os.close(to_child)
            _child(url, prepared.round, pause, to_parent, from_parent)
            code = 0
        except BaseException:
            os.write(to_parent, ("error " + traceback.format_exc().replace("\n", " | ")).encode())
        finally:
            os._exit(code)
    os.close(to_parent)
    os.close(from_parent)
    lines = []
    try:
        with os.fdopen(from_child, encoding="utf-8") as reader:
            for line in reader:
                lines.append(line.strip())
                assert not line.startswith("error"), line
                if pause == "none" and line.startswith("closing"):
                    time.sleep(delay)
                    break
                if line.startswith("paused at"):
                    break
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(to_child)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    return Killed(lines, status)


def _child(url: str, round_id: int, pause: str, out: int, wait: int) -> None:
    """close_vote, reporting each write statement and the commit to the parent on ``out``; at
    the point named by ``pause`` it blocks reading ``wait`` until the parent kills it."""
    db = Database(url)
    armed, writes = False, 0

    def say(line: str) -> None:
        os.write(out, (line + "\n").encode())

    def hold(where: str) -> None:
        say(f"paused at {where}")
        os.read(wait, 1)  # the parent kills this process while it waits here

    @event.listens_for(db.engine, "before_cursor_execute")
    def _write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal writes
        verb = statement.lstrip().split(None, 1)[0].upper()
        if armed and verb in ("INSERT", "UPDATE", "DELETE"):
            writes += 1
            say(f"write {writes} {verb}")
            if pause == f"write:{writes}":
                hold(f"write {writes}")

    @event.listens_for(db.engine, "commit")
    def _commit(conn: Any) -> None:
        if armed:
            say("commit")
            if pause == "commit":
                hold("commit")

    say("closing")
    armed = True
    close_vote(db, round_id, actor=FACILITATOR)
    armed = False
    say(f"closed after {writes} writes")
    if pause == "after":
        hold("after")


def state_after(url: str, prepared: Prepared) -> str:
    """ "open" or "closed" — after asserting that it is one of those whole, every ballot is kept,
    the tallies are those of a fresh count, and the audit log verifies."""
    db = Database(url)
    try:
        with db.transaction() as s:
            r = s.get(Round, prepared.round)
            assert r is not None
            questions = {k: s.get(Question, q) for k, q in prepared.questions.items()}
            for kind, q in prepared.questions.items():
                assert _ballots(s, q) == prepared.cast[kind]
                voted = s.execute(select(func.count()).where(Participation.question_id == q))
                assert voted.scalar_one() == prepared.cast[kind]
            statuses = {k: q.status for k, q in questions.items() if q is not None}
            finals = s.execute(
                select(func.count()).where(Draft.round_id == r.id, Draft.stage == "final")
            ).scalar_one()
            closings = s.execute(
                select(func.count()).where(AuditEntry.action == "ballot box closed")
            ).scalar_one()
            assert audit.verify(s).ok, audit.verify(s).problems
            if r.phase == "vote":
                assert set(statuses.values()) == {"open"}, statuses  # never half closed
                assert all(q is not None and q.result is None for q in questions.values())
                assert finals == 0 and closings == 0 and r.outcome is None
                state = "open"
            else:
                assert r.phase in ("ratified", "failed")
                assert set(statuses.values()) == {"closed"}, statuses
                assert finals == 1 and closings == len(questions)
                for kind, q in questions.items():
                    assert q is not None and q.result == prepared.expected[kind]
                state = "closed"
        if state == "open":  # closing again works and gives the tally of a fresh count
            outcome = close_vote(db, prepared.round, actor=FACILITATOR)
            assert outcome.results == prepared.expected
            with db.transaction() as s:
                assert audit.verify(s).ok
        return state
    finally:
        db.dispose()


def killed_by_sigkill(k: Killed) -> bool:
    return os.WIFSIGNALED(k.status) and os.WTERMSIG(k.status) == signal.SIGKILL


def test_kill_9_while_closing_leaves_the_round_whole(
    prepared: Prepared, copies: Any, tmp_path: Path
) -> None:
    # run to the end, killed only after close_vote returned: closed, and how many writes it made
    url = copies(0)
    done = close_and_kill(url, prepared, pause="after")
    assert killed_by_sigkill(done)
    assert done.lines[-1] == "paused at after" and "commit" in done.lines
    writes = sum(line.startswith("write ") for line in done.lines)
    assert writes >= 5, done.lines
    assert state_after(url, prepared) == "closed"

    # killed inside the closing transaction, wherever it is: nothing of it remains
    for k, pause in enumerate(
        ["write:1", f"write:{writes // 2}", f"write:{writes}", "commit"], start=1
    ):
        url = copies(k)
        killed = close_and_kill(url, prepared, pause=pause)
        assert killed_by_sigkill(killed)
        assert killed.lines[-1].startswith("paused at"), (pause, killed.lines)
        assert "closing" in killed.lines and not any(x.startswith("closed") for x in killed.lines)
        assert state_after(url, prepared) == "open", pause

    # killed at a time, wherever that lands: one whole state or the other (state_after checks)
    for k, delay in enumerate([0.03, 0.3], start=5):
        url = copies(k)
        close_and_kill(url, prepared, pause="none", delay=delay)
        assert state_after(url, prepared) in ("open", "closed")
