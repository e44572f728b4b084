"""The audit log replayed into the state it records, and compared with the tables.

Every entry that changes what a result depends on carries the rows it wrote, by column name
(the newest log format; :mod:`commonplan.audit` says so).  :func:`differences` applies them in
order to an expected state — each field of each row with the entry that last set it — then reads
the tables and names every row that is missing or extra and every field that differs ("question
3: status is "open" in the table, "closed" in the log (entry 57)").  It also checks what the log
says about each ballot box: opened once, closed once; a closed box's ballots hash to the logged
hash and its participation rows number as logged; an open box holds one ballot per participation.

To check a new column, add it to :data:`FIELDS` and to the payload of the entries that write it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan.audit import CLOSED_ROUND, box_digest, digest, plain, utc
from commonplan.store.models import (
    AuditEntry,
    Ballot,
    Base,
    Council,
    Delegate,
    Draft,
    Federation,
    Floor,
    Member,
    Participation,
    Proposal,
    Question,
    Round,
    Staff,
)

__all__ = ["FIELDS", "differences"]

FIELDS: dict[str, tuple[str, ...]] = {
    "federation": ("name", "level", "parent_id", "settings"),
    "council": ("federation_id", "kind", "name", "processes"),
    "floor": ("federation_id", "product", "per_person", "need"),
    "member": ("handle", "name", "workers_council_id", "consumers_council_id", "role"),
    "delegate": ("council_id", "member_id", "term_start", "term_end", "recalled_at"),
    "staff": (),
    "round": ("federation_id", "number", "period", "phase", "settings", "deadlines", "outcome"),
    "proposal": (
        "round_id",
        "council_id",
        "kind",
        "title",
        "amounts",
        "hours",
        "amends_id",
        "withdrawn",
        "withdrawn_by",
        "withdrawn_reason",
        "hidden",
        "labour_cost",
        "filed_by",
    ),
    "question": ("round_id", "kind", "federation_id", "options", "status", "box_sha256", "result"),
    "draft": ("round_id", "stage", "inputs_sha256", "result_sha256", "inputs", "result"),
}
"""The fields of each table the log pins (a staff row is its key: member and federation)."""

LATER: dict[tuple[str, str], Any] = {("round", "period"): 1, ("proposal", "hidden"): False}
"""Fields added after the log's entries began: an entry written before them holds none, and the
row it created had the column's default."""

MODELS: dict[str, type[Base]] = {
    "federation": Federation,
    "council": Council,
    "floor": Floor,
    "member": Member,
    "delegate": Delegate,
    "staff": Staff,
    "round": Round,
    "proposal": Proposal,
    "question": Question,
    "draft": Draft,
}

HASHED = {("question", "result"), ("draft", "inputs"), ("draft", "result")}
"""Fields the log pins by their hash: the table's value is hashed before it is compared."""

_ABSENT = object()


@dataclass
class _State:
    """The rows the log describes: table → key → field → (value, the entry that set it)."""

    rows: dict[str, dict[Any, dict[str, tuple[Any, int]]]] = field(
        default_factory=lambda: {t: {} for t in FIELDS}
    )
    closings: dict[int, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def create(self, table: str, key: Any, seq: int, values: Mapping[str, Any]) -> None:
        """A new row: every field of :data:`FIELDS` from ``values`` (a missing one is a format
        error)."""
        got = {f: values[f] if f in values else LATER[table, f] for f in FIELDS[table]}
        self.rows[table][key] = {f: (plain(v), seq) for f, v in got.items()}

    def change(self, table: str, key: Any, seq: int, **values: Any) -> None:
        row = self.rows[table].get(key)
        if row is None:
            self.problems.append(
                f"audit entry {seq} changes {table} {key}, which no earlier entry created"
            )
            return
        for f, v in values.items():
            row[f] = (plain(v), seq)

    def value(self, table: str, key: Any, name: str) -> tuple[Any, int] | None:
        row = self.rows[table].get(key)
        return None if row is None else row.get(name)


def _id(subject: str) -> int:
    """The id at the end of an entry's subject ("question 7" → 7)."""
    return int(subject.rsplit(" ", 1)[1])


def _rows(table: str) -> Callable[[_State, AuditEntry, str], None]:
    """A handler that creates the rows listed under ``key`` of the payload (each with its id)."""

    def handle(state: _State, e: AuditEntry, key: str) -> None:
        for row in e.payload[key]:
            state.create(table, int(row["id"]), e.seq, row)

    return handle


def _federation_created(state: _State, e: AuditEntry) -> None:
    for table, key in (("federation", "nodes"), ("council", "councils"), ("floor", "floors")):
        _rows(table)(state, e, key)


def _members_added(state: _State, e: AuditEntry) -> None:
    _rows("member")(state, e, "members")


def _delegate_elected(state: _State, e: AuditEntry) -> None:
    row = e.payload["delegate"]
    state.create("delegate", int(row["id"]), e.seq, row)


def _delegate_recalled(state: _State, e: AuditEntry) -> None:
    p = e.payload
    state.change("delegate", int(p["delegate"]), e.seq, recalled_at=p["recalled_at"])


def _staff_added(state: _State, e: AuditEntry) -> None:
    handle = e.payload["member"]
    ids = [k for k, row in state.rows["member"].items() if row["handle"][0] == handle]
    if not ids:
        state.problems.append(f"audit entry {e.seq} names member {handle!r}, whom no entry added")
        return
    state.create("staff", (ids[0], _id(e.subject)), e.seq, {})


def _round_opened(state: _State, e: AuditEntry) -> None:
    names = "federation_id=federation number settings deadlines"
    values = _named(e.payload, names, phase="proposals", outcome=None)
    if "period" in e.payload:
        values["period"] = e.payload["period"]
    state.create("round", _id(e.subject), e.seq, values)
    _rows("proposal")(state, e, "carried")


def _round_phase(state: _State, e: AuditEntry) -> None:
    state.change("round", _id(e.subject), e.seq, phase=e.payload["phase"])


def _round_closed(state: _State, e: AuditEntry) -> None:
    key = _id(e.subject)
    phase = state.value("round", key, "phase")
    if phase is not None and phase[0] in ("ratified", "failed"):
        state.problems.append(
            f"round {key} was closed twice (entries {phase[1]} and {e.seq}): a vote closes "
            "once — the round was set back outside commonplan"
        )
        return
    state.change("round", key, e.seq, phase=e.action.split()[-1], outcome=e.payload)


def _proposal_filed(state: _State, e: AuditEntry) -> None:
    key = _id(e.subject)
    state.create("proposal", key, e.seq, e.payload)
    if e.payload["amends_id"] is not None:
        state.change("proposal", int(e.payload["amends_id"]), e.seq, withdrawn=True)


def _proposal_withdrawn(state: _State, e: AuditEntry) -> None:
    # the payload's fields named like columns of FIELDS["proposal"] (a reason, say) are set too
    more = {f: e.payload[f] for f in FIELDS["proposal"] if f in e.payload and f != "round_id"}
    state.change("proposal", _id(e.subject), e.seq, **{**more, "withdrawn": True})


def _proposals_costed(state: _State, e: AuditEntry) -> None:
    for key, cost in e.payload["labour_cost"].items():
        state.change("proposal", int(key), e.seq, labour_cost=cost)


def _named(payload: Mapping[str, Any], names: str, **fixed: Any) -> dict[str, Any]:
    """Fields from the payload's keys: ``names`` lists ``field=key`` (or ``field`` where the key
    is the field's name)."""
    pairs = (n.partition("=") for n in names.split())
    return {f: payload[k or f] for f, _, k in pairs} | fixed


def _box_opened(state: _State, e: AuditEntry) -> None:
    values = _named(
        e.payload,
        "round_id=round kind federation_id=federation options",
        status="open",
        box_sha256=None,
        result=None,
    )
    state.create("question", _id(e.subject), e.seq, values)


def _box_closed(state: _State, e: AuditEntry) -> None:
    key, p = _id(e.subject), e.payload
    if key in state.closings:
        state.problems.append(
            f"question {key} was closed twice (entries {state.closings[key][0]} and {e.seq}): "
            "a ballot box closes once — it was reopened outside commonplan"
        )
        return
    state.closings[key] = (e.seq, p)
    state.change(
        "question",
        key,
        e.seq,
        status="closed",
        box_sha256=p["box_sha256"],
        result=p["result_sha256"],
    )
    options = state.value("question", key, "options")
    if options is not None and digest(options[0]) != p["options_sha256"]:
        state.problems.append(
            f"question {key} closed (entry {e.seq}) over other options than it opened with "
            f"(entry {options[1]})"
        )


def _plan_computed(state: _State, e: AuditEntry) -> None:
    names = "round_id=round stage inputs_sha256 result_sha256 inputs=inputs_sha256"
    values = _named(e.payload, f"{names} result=result_sha256")
    state.create("draft", _id(e.subject), e.seq, values)


HANDLERS: dict[str, Callable[[_State, AuditEntry], None]] = {
    "federation created": _federation_created,
    "members added": _members_added,
    "delegate elected": _delegate_elected,
    "delegate recalled": _delegate_recalled,
    "staff added": _staff_added,
    "round opened": _round_opened,
    "round phase": _round_phase,
    **dict.fromkeys(CLOSED_ROUND, _round_closed),
    "proposal filed": _proposal_filed,
    "proposal withdrawn": _proposal_withdrawn,
    "proposal hidden": _proposal_withdrawn,
    "proposals costed": _proposals_costed,
    "ballot box opened": _box_opened,
    "ballot box closed": _box_closed,
    "plan computed": _plan_computed,
}
"""What each action changes; the log's other actions (reports, hours, alerts, passwords …) are
pinned by their own hashes and change nothing here."""


def replay(entries: Sequence[AuditEntry]) -> _State:
    """The state the log records, and what is wrong with the log itself."""
    state = _State()
    for e in entries:
        handler = HANDLERS.get(e.action)
        if handler is None:
            continue
        try:
            handler(state, e)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            state.problems.append(
                f"audit entry {e.seq} ({e.action} {e.subject}): its payload is not in the form "
                "this version of commonplan writes"
            )
    return state


# ---------------------------------------------------------------------- the tables


def _cell(table: str, name: str, value: Any) -> Any:
    if value is not None and (table, name) in HASHED:
        return digest(value)
    if isinstance(value, datetime):
        return utc(value)
    return plain(value)


def _table(s: Session, table: str) -> dict[Any, dict[str, Any]]:
    out = {}
    for row in s.execute(select(MODELS[table])).scalars():
        key = (row.member_id, row.federation_id) if table == "staff" else row.id  # type: ignore[attr-defined]
        out[key] = {f: _cell(table, f, getattr(row, f)) for f in FIELDS[table]}
    return out


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "…"


def _where(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    """The first place where ``a`` and ``b`` differ: its path (``options.costs[1]``) and values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            x, y = a.get(k, _ABSENT), b.get(k, _ABSENT)
            if x != y:
                return _where(x, y, f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _where(x, y, f"{path}[{k}]")
    return path, a, b


def _compare(s: Session, state: _State) -> list[str]:
    problems = []
    for table, fields in FIELDS.items():
        expected, actual = state.rows[table], _table(s, table)
        for key in sorted(actual.keys() - expected.keys()):
            problems.append(f"{table} {key} is in the table but in no audit entry")
        for key in sorted(expected.keys() - actual.keys()):
            first = min(seq for _, seq in expected[key].values()) if expected[key] else "?"
            problems.append(f"{table} {key} is in the audit log (entry {first}) but not the table")
        for key in sorted(expected.keys() & actual.keys()):
            for name in fields:
                want, seq = expected[key][name]
                got = actual[key][name]
                if got == want:
                    continue
                if (table, name) in HASHED:
                    problems.append(
                        f"{table} {key}: its {name} is not the one the log pins (entry {seq})"
                    )
                    continue
                path, x, y = _where(got, want, name)
                problems.append(
                    f"{table} {key}: {path} is {_show(x)} in the table, {_show(y)} in the log "
                    f"(entry {seq})"
                )
    return problems


def _boxes(s: Session, state: _State) -> list[str]:
    """Each ballot box against what the log says of it (see the module's docstring)."""
    problems = []
    counts = {
        table: {k: n for k, n in s.execute(select(col, func.count()).group_by(col))}
        for table, col in (
            ("ballot", Ballot.question_id),
            ("participation", Participation.question_id),
        )
    }
    for key in sorted(state.rows["question"]):
        ballots, voted = counts["ballot"].get(key, 0), counts["participation"].get(key, 0)
        if key not in state.closings:
            if ballots != voted:
                problems.append(
                    f"question {key}: its open box holds {ballots} ballot(s) for {voted} "
                    "participation(s): ballots were put in or taken out outside commonplan"
                )
            continue
        seq, p = state.closings[key]
        rows = s.execute(select(Ballot.receipt, Ballot.choice).where(Ballot.question_id == key))
        if box_digest([(r, c) for r, c in rows]) != p["box_sha256"]:
            problems.append(
                f"the ballot box of question {key} is not the one the log pins (entry {seq}): "
                "a ballot was changed, added or removed after it closed"
            )
        if voted != p["participations"]:
            problems.append(
                f"question {key}: participation has {voted} row(s) in the table, "
                f"{p['participations']} in the log (entry {seq})"
            )
        if p["ballots"] != p["participations"]:
            problems.append(
                f"question {key} closed (entry {seq}) with {p['ballots']} ballot(s) for "
                f"{p['participations']} participation(s)"
            )
    return problems


def differences(s: Session, entries: Sequence[AuditEntry]) -> list[str]:
    """Every way the tables differ from the state the log ``entries`` record, and every way the
    log contradicts itself (a box or a round closed twice, a payload it cannot read)."""
    state = replay(entries)
    return state.problems + _compare(s, state) + _boxes(s, state)
