"""The audit log: an append-only hash chain of every state change, and its verification.

Entry k stores ``sha256_k = SHA-256(sha256_{k-1} ‖ canonical JSON of (seq, at, actor, action,
subject, payload))`` with ``sha256_0`` = 64 zeros.  Changing, inserting or deleting any entry
changes every hash after it, so a verifier holding any later hash (the head printed when a round
closes, and carried by its board) detects it.

Every state change a result depends on is logged with its contents — federations, councils,
floors, members and their roles, delegates, staff, rounds and their phases and outcomes,
proposals as filed, amended, costed and withdrawn, ballot boxes opened and closed, plans — so
:func:`verify` replays the log into the state it describes (:mod:`commonplan._replay`) and
compares it, row by row and field by field, with the tables: an edit made outside commonplan
shows up, named.  A closed ballot box is pinned by the hash of its ballots and a plan by the
hashes of its inputs and result.  :func:`verify` reads the newest log format only (the project is
before 1.0: a database written by an older version verifies with that version).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan.store.models import AuditEntry, AuditHead, Base

__all__ = [
    "CLOSED_ROUND",
    "GENESIS",
    "Head",
    "Verification",
    "append",
    "box_digest",
    "canonical",
    "chain_problems",
    "digest",
    "entry_record",
    "plain",
    "round_head",
    "rows_of",
    "utc",
    "verify",
]

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces, no NaN: the same text for the same data, everywhere."""
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(value: Any) -> str:
    """SHA-256 (hex) of :func:`canonical` ``value``."""
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def plain(value: Any) -> Any:
    """JSON-ready: NaN/inf as strings (JSON has none), tuples as lists, numpy scalars as floats."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float) or hasattr(value, "__float__"):
        f = float(value)
        return f if math.isfinite(f) else str(f)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def utc(at: datetime) -> str:
    """The instant as UTC ISO text; SQLite gives back naive datetimes, which were stored as UTC."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat()


def _entry_hash(
    prev: str,
    seq: int,
    at: datetime | str,
    actor: str,
    action: str,
    subject: str,
    payload: Mapping[str, Any],
) -> str:
    when = at if isinstance(at, str) else utc(at)
    body = canonical([seq, when, actor, action, subject, payload])
    return hashlib.sha256((prev + body).encode()).hexdigest()


def entry_record(e: AuditEntry) -> dict[str, Any]:
    """An entry as plain data, its instant as the UTC text that is hashed (a board carries these:
    :func:`chain_problems` checks them without the database)."""
    return {
        "seq": e.seq,
        "at": utc(e.at),
        "actor": e.actor,
        "action": e.action,
        "subject": e.subject,
        "payload": e.payload,
        "prev_sha256": e.prev_sha256,
        "sha256": e.sha256,
    }


def chain_problems(records: Sequence[Mapping[str, Any]], prev: str = GENESIS) -> list[str]:
    """What is wrong with a run of entries (:func:`entry_record`) as a chain that follows the hash
    ``prev``: an entry missing, out of place or altered — each named by its number."""
    problems = []
    first = int(records[0]["seq"]) if records and prev != GENESIS else 1
    for k, e in enumerate(records, start=first):
        seq = int(e["seq"])
        if seq != k:
            problems.append(f"audit entry {k} is missing (found {seq} in its place)")
        if e["prev_sha256"] != prev:
            problems.append(f"audit entry {seq} does not follow entry {seq - 1}")
        fields = (e["at"], e["actor"], e["action"], e["subject"], e["payload"])
        if _entry_hash(prev, seq, *fields) != e["sha256"]:
            problems.append(f"audit entry {seq} ({e['action']} {e['subject']}) was altered")
        prev = str(e["sha256"])
    return problems


def append(
    session: Session, *, actor: str, action: str, subject: str, payload: dict[str, Any]
) -> AuditEntry:
    """Add one entry to the chain inside the caller's transaction (locks the chain's head)."""
    head = session.execute(select(AuditHead).with_for_update()).scalar_one()
    payload = plain(payload)
    at = datetime.now(UTC)
    seq = head.seq + 1
    sha = _entry_hash(head.sha256, seq, at, actor, action, subject, payload)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        payload=payload,
        prev_sha256=head.sha256,
        sha256=sha,
    )
    session.add(entry)
    head.seq, head.sha256 = seq, sha
    session.flush()
    return entry


UNLOGGED = frozenset({"password_hash"})
"""Columns never written to the audit log."""


def rows_of(session: Session, model: type[Base], where: Any) -> list[dict[str, Any]]:
    """The rows of ``model`` that ``where`` selects as the log records them — every column by name
    (times as UTC text, no password hash), in order of id — for an entry's payload."""
    columns = [c for c in model.__table__.columns if c.name not in UNLOGGED]
    query = select(model).where(where).order_by(model.__table__.c.id)
    return [
        {c.name: _logged(getattr(row, c.key)) for c in columns}
        for row in session.execute(query).scalars()
    ]


def _logged(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else plain(value)


def box_digest(ballots: list[tuple[str, dict[str, Any]]]) -> str:
    """The hash of a ballot box: its (receipt, choice) pairs sorted by receipt."""
    return digest(sorted([r, c] for r, c in ballots))


CLOSED_ROUND = ("round ratified", "round failed")
"""The actions of the entry that closes a round's vote (its payload is the round's outcome)."""


@dataclass(frozen=True)
class Head:
    """A point of the chain: entry ``seq`` and its hash (what members keep to check it later)."""

    seq: int
    sha256: str


def round_head(session: Session, round_id: int) -> Head | None:
    """The head of the log when round ``round_id``'s vote closed — the entry that ratified or failed
    it (the first, should the log hold more: :func:`verify` names those) — or ``None`` before."""
    e = (
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.action.in_(CLOSED_ROUND), AuditEntry.subject == f"round {round_id}")
            .order_by(AuditEntry.seq)
        )
        .scalars()
        .first()
    )
    return None if e is None else Head(e.seq, e.sha256)


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: ``ok`` when ``problems`` is empty; ``head`` is the tip hash."""

    entries: int
    head: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, *, expected_head: str | None = None) -> Verification:
    """Recompute the chain, replay the log into the state it records and compare that with the
    tables — members, councils, delegates, floors, rounds, proposals, ballot boxes (their
    ballots against the hash and participation count the log pins), plans; list what differs,
    naming the table, the row and the field.  ``expected_head``: a head published earlier, which
    the log must still hold."""
    from commonplan import _replay

    entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    problems = chain_problems([entry_record(e) for e in entries])
    prev = entries[-1].sha256 if entries else GENESIS
    head = session.execute(select(AuditHead)).scalar_one()
    if head.sha256 != prev or head.seq != len(entries):
        problems.append("the audit log's head does not match its last entry (entries removed?)")
    if expected_head is not None and expected_head not in {e.sha256 for e in entries}:
        problems.append(f"the published head {expected_head[:12]}… is not in this log")
    problems += _replay.differences(session, entries)
    return Verification(entries=len(entries), head=prev, problems=tuple(problems))
