"""Ballots: casting them one at a time, many at once (the group commit of a busy service, one
statement on PostgreSQL), or one member's into several boxes of a round (all or none), and the
receipts that find them on the board after close.

Who voted (``participation``) is kept apart from how (``ballot``: a random id, the receipt and
the choice); one member, one ballot per question, only in questions of their own federation.

While a box is open its rows are in casting order (a live observer of the database sees who votes
how as it happens: see "Secrecy of the ballot" in docs/integrity.md); :func:`seal_box`, run by
the close in the closing transaction, writes both tables' rows of the box again in an order that
owes nothing to the casting, so that after close nothing SQL shows links a ballot to a voter.

A member who has voted gets one answer whatever receipt and choice they send: "voted already".
Were a retry (the same receipt and choice) answered with its receipt, anyone who has voted could
send another's receipt with a guessed choice and learn that person's vote from the answer.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from commonplan.errors import BallotRefusedError, CommonplanError, NotFoundError, said
from commonplan.federation import is_eligible, member_named
from commonplan.rounds.phases import in_time
from commonplan.store import Database
from commonplan.store.models import Ballot, Member, Participation, Question, Round
from commonplan.voting import choices as voting

__all__ = [
    "BallotPaper",
    "cast_ballot",
    "cast_ballots",
    "cast_round_ballots",
    "new_receipt",
    "open_boxes",
]

RECEIPT = re.compile(r"[A-Za-z0-9-]{4,64}")
"""A receipt code a voter may choose: 4–64 letters, digits and dashes."""


@dataclass(frozen=True)
class BallotPaper:
    """One ballot to cast: ``member``'s ``choice`` on ``question``, under ``receipt`` (a code of
    the voter's own, else a new one is drawn)."""

    question: int
    member: str
    choice: Mapping[str, Any]
    receipt: str | None = None


def cast_ballot(
    db: Database,
    question: int,
    *,
    member: str,
    choice: Mapping[str, Any],
    receipt: str | None = None,
) -> str:
    """Cast ``member``'s ballot; returns the receipt code that finds it on the board after close.

    One member, one ballot per question, only in questions of their own federation.  A second
    ballot is refused, whatever its receipt and choice — a retry after a lost reply too, with the
    same answer ("voted already": the first ballot is in the box, under the receipt it was sent
    with), so that the answer says nothing of any ballot in the box; a ballot after the box
    closed is refused.
    """
    out = cast_ballots(db, [BallotPaper(question, member, choice, receipt)])[0]
    if isinstance(out, CommonplanError):
        raise out
    return out


def cast_ballots(db: Database, papers: Sequence[BallotPaper]) -> list[str | CommonplanError]:
    """Cast many ballots at once — the group commit of a busy service: for each paper its
    receipt code, or the error :func:`cast_ballot` raises for it (nothing of a refused paper is
    written, and it does not stop the others).

    On PostgreSQL the papers are cast in one transaction and one statement (the boxes read
    share-locked, then every member's lookup, eligibility check and both inserts); a paper that
    statement does not cast — a second ballot, a taken receipt, the same member or receipt twice
    in the batch — is cast again on its own afterwards, in the order given, for
    :func:`cast_ballot`'s answer; a race with another transaction (a unique constraint) sends
    the whole batch that way.  Within a batch the ballot rows are written in the order of their
    random ids, not the voters'.  On SQLite each
    paper is its own transaction (SQLite writes one at a time anyway).
    """
    if db.engine.dialect.name != "postgresql":
        return [_cast_portable(db, p) for p in papers]
    out, undecided = _cast_postgresql(db, papers)
    for i in sorted(undecided):  # in the order given: of two papers of one member, the first counts
        p, status, code = papers[i], undecided[i], out[i]
        if len(papers) > 1:  # once more on its own: what the batch left undecided is explained then
            out[i] = cast_ballots(db, [p])[0]
        elif isinstance(code, str):  # (the code it tried: an undecided paper has one)
            out[i] = _refusal(db, p, code, status)
    return out


def open_boxes(db: Database, round_id: int) -> dict[str, int]:
    """The open ballot boxes of a round: {question kind: question id} (``budget``, ``ratify``,
    ``consent``, ``ranked``)."""
    with db.transaction() as s:
        rows = s.execute(
            select(Question.kind, Question.id).where(
                Question.round_id == round_id, Question.status == "open"
            )
        ).all()
    return {kind: int(qid) for kind, qid in rows}


def cast_round_ballots(
    db: Database,
    round_id: int,
    *,
    member: str,
    choices: Mapping[int, Mapping[str, Any]],
    receipt: str | None = None,
) -> dict[int, str]:
    """Cast ``member``'s ballots into several boxes of round ``round_id`` at once — ``choices``:
    {question id: choice} — under one receipt code (``receipt``, else a new one); returns
    {question id: receipt}.

    All are cast or none, in one transaction: every choice is checked as :func:`cast_ballot`
    checks it, and one refused ballot (a wrong choice, a box closed or of another round, a
    member who voted there already …) refuses them all, with that ballot's error.  A retry after
    a lost reply is refused as a second ballot ("voted already"), as in :func:`cast_ballot`.
    """
    if not choices:
        raise BallotRefusedError(said("no ballots to cast in round {round_id}", round_id=round_id))
    code = _code(receipt)
    for attempt in (1, 2):
        try:
            with db.transaction() as s:
                m = member_named(s, member)
                rows = s.execute(
                    select(Question, Round)
                    .join(Round, Round.id == Question.round_id)
                    .where(Question.id.in_(list(choices)))
                    .order_by(Question.id)
                    .with_for_update(read=True, of=Question)
                ).all()
                boxes = {q.id: (q, r) for q, r in rows}
                for question, choice in choices.items():
                    if question not in boxes:
                        raise NotFoundError(
                            said("no question with id {question}", question=question)
                        )
                    q, r = boxes[question]
                    if q.round_id != round_id:
                        raise BallotRefusedError(
                            said(
                                "question {question} is not a ballot box of round {round_id}",
                                question=q.id,
                                round_id=round_id,
                            )
                        )
                    clean = voting.check_choice(q.kind, q.options, choice)
                    paper = BallotPaper(q.id, member, choice, receipt)
                    verdict = _verdict(s, paper, code, q.status)
                    if verdict is not None:
                        raise verdict
                    _take(s, q, r, m, clean, code)
                s.flush()
            break
        except DBIntegrityError:  # a race with another transaction: once more, to say why
            if attempt == 2:
                raise BallotRefusedError(
                    said(
                        "the ballots of {member!r} met others cast at the same time; "
                        "cast them again",
                        member=member,
                    )
                ) from None
    return dict.fromkeys(choices, code)


def _code(receipt: str | None) -> str:
    """A receipt code given, checked; a new one when none is."""
    code = receipt or new_receipt()
    if not RECEIPT.fullmatch(code):
        raise BallotRefusedError(
            said("a receipt code is 4–64 letters, digits and dashes; got {code!r}", code=code[:80])
        )
    return code


def _cast_portable(db: Database, p: BallotPaper) -> str | CommonplanError:
    """One paper in one transaction, through the ORM (SQLite)."""
    status = ""
    try:
        code = _code(p.receipt)
        with db.transaction() as s:
            # FOR SHARE: a close (FOR UPDATE) waits for ballots in flight, and they for it
            row = s.execute(
                select(Question, Round)
                .join(Round, Round.id == Question.round_id)
                .where(Question.id == p.question)
                .with_for_update(read=True, of=Question)
            ).first()
            if row is None:
                raise NotFoundError(said("no question with id {question}", question=p.question))
            q, r = row
            clean, status = voting.check_choice(q.kind, q.options, p.choice), q.status
            if status == "open":
                _take(s, q, r, member_named(s, p.member), clean, code)
                s.flush()
                return code
    except DBIntegrityError:  # voted already, or the receipt is taken
        pass
    except CommonplanError as e:
        return e
    return _refusal(db, p, code, status)


def _take(s: Session, q: Question, r: Round, m: Member, clean: dict[str, Any], code: str) -> None:
    """Put ``m``'s ballot (``clean``, under ``code``) into the open box ``q`` of round ``r``, who
    voted apart from how: refused after the vote's deadline or when ``m`` does not vote on it."""
    in_time(r, "vote")
    if not is_eligible(s, q.federation_id, m):
        raise BallotRefusedError(
            said(
                "{member!r} is not a member of a council that votes on question {question}",
                member=m.handle,
                question=q.id,
            )
        )
    s.add(Participation(question_id=q.id, member_id=m.id))
    s.add(Ballot(id=secrets.token_hex(16), question_id=q.id, receipt=code, choice=clean))


def _refusal(db: Database, p: BallotPaper, code: str, status: str) -> CommonplanError:
    """Why a paper of an eligible member was not cast: the member voted already, the box is
    closed, or the receipt is taken."""
    with db.transaction() as s:
        verdict = _verdict(s, p, code, status)
    return verdict or BallotRefusedError(
        f"the receipt code {code!r} is in use; choose another (or none)"
    )


def _verdict(s: Session, p: BallotPaper, code: str, status: str) -> BallotRefusedError | None:
    """What paper ``p`` (under ``code``) meets in its box of ``status``: a refusal (the member
    voted already, the box is closed, the receipt is taken), or ``None``: it may be cast.

    A member who has voted is answered before anything of the box is read, in the same words
    whatever the paper's receipt and choice: no answer tells them what another ballot holds."""
    voted = s.execute(
        select(Participation.id)
        .join(Member, Member.id == Participation.member_id)
        .where(Participation.question_id == p.question, Member.handle == p.member)
    ).first()
    if voted is not None:
        return BallotRefusedError(
            f"{p.member!r} has voted on question {p.question} already (one ballot each: a "
            "ballot sent again is not counted again; the first is in the box)"
        )
    if status != "open":
        return BallotRefusedError(f"question {p.question} is closed; no more ballots")
    taken = s.execute(
        select(Ballot.id).where(Ballot.question_id == p.question, Ballot.receipt == code)
    ).first()
    if taken is not None:
        return BallotRefusedError(f"the receipt code {code!r} is in use; choose another (or none)")
    return None


def seal_box(s: Session, question: int) -> None:
    """Write the rows of a closing box again, in an order owed to nothing of the casting (the
    closing transaction's step, the box locked against ballots in flight).

    While a box is open, its ``ballot`` and ``participation`` rows lie in casting order, and so
    do what SQL shows of them: SQLite's ``rowid``, PostgreSQL's ``ctid`` and ``xmin`` (a ballot
    and its participation were written by one transaction), the participation ids of a sequence,
    the order of a plain ``SELECT``.  Deleted and inserted again — the ballots in the order of
    their random ids, the participations in the order of the members' ids — every row gets a
    new place, a new rowid (or ctid), new participation ids and the closing transaction's
    ``xmin``: nothing a query can read links a ballot to a voter any more.  On SQLite the
    deleted rows are overwritten with zeros (``secure_delete``); what stays outside SQL is in
    docs/integrity.md ("Secrecy of the ballot").
    """
    if s.get_bind().dialect.name == "sqlite":
        s.execute(text("PRAGMA secure_delete = ON"))  # this connection: deleted rows zeroed
    ballots = [
        {"id": i, "question_id": question, "receipt": r, "choice": c}
        for i, r, c in s.execute(
            select(Ballot.id, Ballot.receipt, Ballot.choice)
            .where(Ballot.question_id == question)
            .order_by(Ballot.id)
        )
    ]
    voters = [
        {"question_id": question, "member_id": m}
        for m in s.execute(
            select(Participation.member_id)
            .where(Participation.question_id == question)
            .order_by(Participation.member_id)
        ).scalars()
    ]
    s.execute(delete(Ballot).where(Ballot.question_id == question))
    s.execute(delete(Participation).where(Participation.question_id == question))
    for table, rows in ((Ballot, ballots), (Participation, voters)):
        if rows:
            s.execute(insert(table), rows)


_BOX = (
    select(
        Question.kind,
        Question.options,
        Question.status,
        Question.federation_id,
        Round.number,
        Round.deadlines,
    )
    .join(Round, Round.id == Question.round_id)
    .where(Question.id == bindparam("question"))
    .with_for_update(read=True, of=Question)
)
"""A ballot box and its round's deadlines, share-locked: a close (FOR UPDATE) waits for the
ballots in flight, and they for it."""

_CAST = text(
    """
    WITH RECURSIVE nodes(root, id) AS (
        SELECT id, id FROM federation WHERE id = ANY(CAST(:federations AS integer[]))
        UNION ALL
        SELECT nodes.root, f.id FROM federation f JOIN nodes ON f.parent_id = nodes.id
    ),
    paper AS (
        SELECT * FROM unnest(
            CAST(:papers AS integer[]), CAST(:questions AS integer[]),
            CAST(:boxes AS integer[]), CAST(:handles AS text[]),
            CAST(:ballots AS text[]), CAST(:receipts AS text[]), CAST(:choices AS text[])
        ) AS t(i, question, federation, handle, ballot, receipt, choice)
    ),
    m AS (
        SELECT paper.*, member.id AS member, EXISTS (
            SELECT 1 FROM council c
            WHERE c.id IN (member.workers_council_id, member.consumers_council_id)
              AND c.federation_id IN (SELECT id FROM nodes WHERE root = paper.federation)
        ) AS eligible
        FROM paper LEFT JOIN member ON member.handle = paper.handle
    ),
    ok AS (
        SELECT * FROM m
        WHERE eligible
          AND NOT EXISTS (
              SELECT 1 FROM participation v
              WHERE v.question_id = m.question AND v.member_id = m.member
          )
          AND NOT EXISTS (
              SELECT 1 FROM ballot b WHERE b.question_id = m.question AND b.receipt = m.receipt
          )
    ),
    who AS (
        INSERT INTO participation (question_id, member_id)
        SELECT question, member FROM ok ORDER BY question, member
    ),
    how AS (
        INSERT INTO ballot (id, question_id, receipt, choice)
        SELECT ballot, question, receipt, CAST(choice AS json) FROM ok ORDER BY ballot
    )
    SELECT m.i, m.member, m.eligible, m.i IN (SELECT i FROM ok) AS cast FROM m
    """
)
"""Many papers in one statement (PostgreSQL): each member's lookup and eligibility check (a
council in the subtree of the question's federation); the participation and ballot rows of
those eligible who have not voted and whose receipt is free — the ballots in the order of their
random ids; for each paper (i) the member's id, eligible, cast.  A race with another
transaction violates a unique constraint."""


def _cast_postgresql(
    db: Database, papers: Sequence[BallotPaper]
) -> tuple[list[str | CommonplanError], dict[int, str]]:
    """The batch of :func:`cast_ballots` on PostgreSQL, on a plain connection: the boxes read
    share-locked (in order of id), each paper checked as :func:`cast_ballot` checks it, then
    :data:`_CAST`.  Returns the answers so far, and the papers left undecided (with their box's
    status): not cast though nobody refused them."""
    out: list[str | CommonplanError] = [""] * len(papers)
    undecided: dict[int, str] = {}
    clean: dict[int, dict[str, Any]] = {}
    batch: dict[tuple[int, str], int] = {}  # (question, member) → paper
    receipts: set[tuple[int, str]] = set()
    try:
        with db.engine.begin() as c:
            boxes = {
                q: c.execute(_BOX, {"question": q}).first()
                for q in sorted({p.question for p in papers})
            }
            for i, p in enumerate(papers):
                box = boxes[p.question]
                try:
                    out[i] = _code(p.receipt)
                    if box is None:
                        raise NotFoundError(
                            said("no question with id {question}", question=p.question)
                        )
                    kind, options, status, _, number, deadlines = box
                    clean[i] = voting.check_choice(kind, options, p.choice)
                    if status == "open":
                        in_time(Round(number=number, deadlines=deadlines), "vote")
                except CommonplanError as e:
                    out[i] = e
                    continue
                receipt = (p.question, str(out[i]))
                if status != "open" or (p.question, p.member) in batch or receipt in receipts:
                    undecided[i] = status
                else:
                    batch[p.question, p.member] = i
                    receipts.add(receipt)
            if not batch:
                return out, undecided
            federation = {q: box[3] for q, box in boxes.items() if box is not None}
            # A plan for the sizes at hand: the driver prepares a statement it runs often, and
            # PostgreSQL's generic plan of it scans the growing ballot tables (30 ms a batch).
            c.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            cast = c.execute(
                _CAST,
                {
                    "papers": list(batch.values()),
                    "questions": [q for q, _ in batch],
                    "boxes": [federation[q] for q, _ in batch],
                    "federations": sorted({federation[q] for q, _ in batch}),
                    "handles": [m for _, m in batch],
                    "ballots": [secrets.token_hex(16) for _ in batch],
                    "receipts": [out[i] for i in batch.values()],
                    "choices": [json.dumps(clean[i]) for i in batch.values()],
                },
            ).all()
    except DBIntegrityError:  # a race with another transaction: each paper on its own
        return out, undecided | dict.fromkeys(batch.values(), "open")
    for i, member, eligible, done in cast:
        p = papers[i]
        if member is None:
            out[i] = NotFoundError(f"no member with handle {p.member!r}")
        elif not eligible:
            out[i] = BallotRefusedError(
                f"{p.member!r} is not a member of a council that votes on question {p.question}"
            )
        elif not done:
            undecided[i] = "open"
    return out, undecided


def new_receipt() -> str:
    """A receipt code: 80 random bits in four groups of base-32, e.g. ``K7QF-2MXA-…``."""
    code = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


_MISREAD = str.maketrans({"0": "O", "1": "I", "8": "B"})


def receipt_forms(text: str) -> tuple[str, ...]:
    """The receipt as typed (trimmed), and — where it reads as a generated code once spaces and
    dashes are dropped, letters upper-cased and the digits never used (0, 1, 8) read as the
    letters they look like (O, I, B) — that code in its printed form: ``k7qf 2mxa …`` finds
    ``K7QF-2MXA-…``.  A receipt a member chose is matched as typed only."""
    typed = text.strip()
    bare = "".join(typed.split()).replace("-", "").upper().translate(_MISREAD)
    if len(bare) == 16 and all(c in _BASE32 for c in bare):
        code = "-".join(bare[i : i + 4] for i in range(0, 16, 4))
        if code != typed:
            return (typed, code)
    return (typed,)


_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def sweep(db: Database) -> None:
    """After a close, on SQLite: copy the write-ahead log into the database file and empty it,
    so that the log's older copies of the ballot pages, in casting order, are gone with it (a
    reader still busy may keep it from emptying; the next close tries again)."""
    if db.is_sqlite:
        raw = db.engine.raw_connection()  # outside a transaction (the engine begins each one)
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
        finally:
            raw.close()
