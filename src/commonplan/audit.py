"""The audit log: an append-only hash chain of every state change, and its verification.

Entry k stores ``sha256_k = SHA-256(sha256_{k-1} ‖ canonical JSON of (seq, at, actor, action,
subject, payload))`` with ``sha256_0`` = 64 zeros.  Changing, inserting or deleting any entry
changes every hash after it, so a verifier holding any later hash (the board export prints the
head) detects it.  Entries also pin what they describe: a closed ballot box by the hash of its
ballots, a computed plan by the hashes of its inputs and of its result — :func:`verify` recomputes
those from the stored ballots and plans, so editing a ballot or a ratified plan shows up too.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan.store.models import AuditEntry, AuditHead, Ballot, Draft, Question

__all__ = [
    "GENESIS",
    "Verification",
    "append",
    "box_digest",
    "canonical",
    "digest",
    "plain",
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


def _utc(at: datetime) -> str:
    """The instant as UTC ISO text; SQLite gives back naive datetimes, which were stored as UTC."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat()


def _entry_hash(
    prev: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
) -> str:
    body = canonical([seq, _utc(at), actor, action, subject, payload])
    return hashlib.sha256((prev + body).encode()).hexdigest()


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


def box_digest(ballots: list[tuple[str, dict[str, Any]]]) -> str:
    """The hash of a ballot box: its (receipt, choice) pairs sorted by receipt."""
    return digest(sorted([r, c] for r, c in ballots))


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
    """Recompute the chain, every closed ballot box and every recorded plan; list what differs."""
    problems: list[str] = []
    prev = GENESIS
    entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    for k, e in enumerate(entries, start=1):
        if e.seq != k:
            problems.append(f"audit entry {k} is missing (found {e.seq} in its place)")
        if e.prev_sha256 != prev:
            problems.append(f"audit entry {e.seq} does not follow entry {e.seq - 1}")
        sha = _entry_hash(prev, e.seq, e.at, e.actor, e.action, e.subject, e.payload)
        if sha != e.sha256:
            problems.append(f"audit entry {e.seq} ({e.action} {e.subject}) was altered")
        prev = e.sha256
    head = session.execute(select(AuditHead)).scalar_one()
    if head.sha256 != prev or head.seq != len(entries):
        problems.append("the audit log's head does not match its last entry (entries removed?)")
    if expected_head is not None and expected_head not in {e.sha256 for e in entries}:
        problems.append(f"the published head {expected_head[:12]}… is not in this log")
    recorded = {(e.action, e.subject): e.payload for e in entries}
    problems += _check_boxes(session, recorded) + _check_plans(session, recorded)
    return Verification(entries=len(entries), head=prev, problems=tuple(problems))


def _check_boxes(session: Session, recorded: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    problems = []
    for q in session.execute(select(Question).where(Question.status == "closed")).scalars():
        ballots = session.execute(
            select(Ballot.receipt, Ballot.choice).where(Ballot.question_id == q.id)
        ).all()
        box = box_digest([(r, c) for r, c in ballots])
        entry = recorded.get(("ballot box closed", f"question {q.id}"))
        if entry is None:
            problems.append(f"question {q.id} is closed but its closing is not in the audit log")
        elif box != entry.get("box_sha256") or box != q.box_sha256:
            problems.append(f"the ballot box of question {q.id} changed after it closed")
        elif q.result is None or digest(q.result) != entry.get("result_sha256"):
            problems.append(f"the recorded result of question {q.id} was altered")
    return problems


def _check_plans(session: Session, recorded: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    problems = []
    for d in session.execute(select(Draft)).scalars():
        entry = recorded.get(("plan computed", f"plan {d.id}"))
        if entry is None:
            problems.append(f"plan {d.id} is not in the audit log")
            continue
        if digest(d.inputs) != d.inputs_sha256 or d.inputs_sha256 != entry.get("inputs_sha256"):
            problems.append(f"the inputs of plan {d.id} were altered")
        if digest(d.result) != d.result_sha256 or d.result_sha256 != entry.get("result_sha256"):
            problems.append(f"the result of plan {d.id} was altered")
    return problems
