"""Alerts: a deviation goes to the workplace first, and up the federation only if nobody answers.

Project Cybersyn's rule: a signal goes first to the people who can act on it; only if it is not
dealt with in time does it escalate to the next level.  Every alert is a small state machine::

    raised ──► acknowledged ──► explained ──► resolved
       │             │        └► corrected ─┘
       └─────────────┴──── (deadline passes, not resolved) ──► escalated one level up

An alert is **raised** at a level: 0 is the workplace (or consumers') council concerned; 1 the
federation node that holds that council; 2 its parent; … up to the root.  Alerts about no one
council (a floor at risk) start at the root.  Every alert has a deadline; :func:`escalate_due`
moves each alert whose deadline has passed and that is not resolved one level up, with a new
deadline, and says so in its history — at the root it stays, marked overdue.  The council can
**acknowledge** it, **explain** it (a note) or **correct** it (a note and, usually, a revised
report), and a facilitator of the federation — or the council itself, once it has explained or
corrected at level 0 — **resolves** it.  Every transition is a row of the alert's history and an
entry in the audit log.  Members see the alerts of their own councils and of the federation nodes
above them; nobody sees another federation's.

The answer times are a setting of the root federation: ``alerts: {answer_days: [7, 7, 14]}``
(days at level 0, 1, 2 …; the last repeats), 7 days at every level by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import AuthorisationError, NotFoundError, PhaseError, PlanInputError
from commonplan.federation import member_federations, member_named, path_up, subtree
from commonplan.store import Database, get
from commonplan.store.models import Alert, AlertEvent, Council, Federation, Member, Round

__all__ = [
    "SOURCES",
    "STATES",
    "AlertView",
    "Transition",
    "acknowledge",
    "alerts_for",
    "correct",
    "escalate_due",
    "explain",
    "open_steps",
    "raise_alert",
    "resolve",
]

STATES = ("raised", "acknowledged", "explained", "corrected", "resolved")
SOURCES = ("monitor", "reconciliation", "screen", "floor")
"""Where an alert comes from: the series monitor, a reconciliation suspect, a plausibility
screen, or a floor at risk in the rolling plan."""

_NEXT: dict[str, tuple[str, ...]] = {
    "acknowledge": ("raised",),
    "explain": ("raised", "acknowledged", "explained"),
    "correct": ("raised", "acknowledged", "explained", "corrected"),
    "resolve": ("raised", "acknowledged", "explained", "corrected"),
}
"""From which states each transition may be taken."""

_STATE_AFTER = {
    "acknowledge": "acknowledged",
    "explain": "explained",
    "correct": "corrected",
    "resolve": "resolved",
}
DEFAULT_ANSWER_DAYS = 7


@dataclass(frozen=True)
class Transition:
    """One line of an alert's history."""

    at: datetime
    actor: str
    action: str
    level: int
    note: str | None


@dataclass(frozen=True)
class AlertView:
    """An alert as members see it: where it sits now, its deadline and its history."""

    id: int
    round: int
    source: str
    kind: str
    period: str | None
    council: str | None
    subject: str | None
    message: str
    evidence: Mapping[str, Any]
    state: str
    level: int
    sits_with: str
    deadline: datetime
    overdue: bool
    raised_at: datetime
    history: tuple[Transition, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["deadline"] = self.deadline.isoformat()
        d["raised_at"] = self.raised_at.isoformat()
        d["history"] = [{**asdict(t), "at": t.at.isoformat()} for t in self.history]
        return d


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def check_alert_settings(cfg: Any) -> dict[str, Any]:
    """The ``alerts`` setting of a federation, checked: ``answer_days``, a list of positive
    numbers of days (at level 0, 1, 2 …; the last repeats)."""
    if not isinstance(cfg, Mapping) or set(cfg) - {"answer_days"}:
        raise PlanInputError(
            "alerts must be a mapping with answer_days, e.g. {answer_days: [7, 14]}"
        )
    days = cfg.get("answer_days", [DEFAULT_ANSWER_DAYS])
    if not isinstance(days, list) or not days:
        raise PlanInputError("alerts.answer_days must be a list of days, e.g. [7, 7, 14]")
    for d in days:
        if isinstance(d, bool) or not isinstance(d, int | float) or not (0 < d < 3650):
            raise PlanInputError(f"alerts.answer_days: {d!r} is not a number of days above 0")
    return {"answer_days": [float(d) for d in days]}


def _answer_days(root: Federation, level: int) -> float:
    days = list(((root.settings or {}).get("alerts") or {}).get("answer_days") or [])
    if not days:
        return DEFAULT_ANSWER_DAYS
    return float(days[min(level, len(days) - 1)])


def _is(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _reached(a: Alert, path: list[int]) -> list[int]:
    """The federation nodes an alert has reached: for an alert about a council, level 0 is the
    council and level k the k-th node up from it; for one about the federation, level 0 is its
    node (the root)."""
    return path[: a.level] if a.council_id is not None else path[: a.level + 1]


def _top(a: Alert, path: list[int]) -> int:
    """The highest level the alert can reach: the root."""
    return len(path) if a.council_id is not None else len(path) - 1


def _sits_with(s: Session, a: Alert) -> str:
    """Who holds the alert now: the council at level 0, else the last federation node reached."""
    reached = _reached(a, path_up(s, a.federation_id))
    if not reached:
        return get(s, Council, a.council_id or 0, "council").name
    return get(s, Federation, reached[-1], "federation").name


def raise_alert(
    where: Database | Session,
    round_id: int,
    *,
    source: str,
    kind: str,
    message: str,
    council: str | None = None,
    period: str | None = None,
    subject: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    actor: str = "system",
    now: datetime | None = None,
) -> int:
    """Raise an alert about ``council`` (level 0: the council first) or, without a council, about
    the whole federation (at its root).  Its deadline is the level's answer time from ``now``.
    An open alert of the same round, source, kind, council, period and subject is not raised
    twice: its id is returned.  ``where``: a database (one transaction of its own) or the
    caller's session (a replan records its plan and the alerts it raises together)."""
    if isinstance(where, Database):
        with where.transaction() as s:
            return raise_alert(
                s,
                round_id,
                source=source,
                kind=kind,
                message=message,
                council=council,
                period=period,
                subject=subject,
                evidence=evidence,
                actor=actor,
                now=now,
            )
    s = where
    if source not in SOURCES:
        raise PlanInputError(f"an alert's source is one of {', '.join(SOURCES)}; got {source!r}")
    if not message.strip():
        raise PlanInputError("an alert says what is wrong: its message is empty")
    now = now or _now()
    r = get(s, Round, round_id, "round")
    root = get(s, Federation, r.federation_id, "federation")
    c: Council | None = None
    if council is not None:
        c = s.execute(select(Council).where(Council.name == council)).scalar()
        if c is None or c.federation_id not in set(subtree(s, root.id)):
            raise NotFoundError(f"no council named {council!r} in {root.name!r}")
    origin = c.federation_id if c is not None else root.id
    same = s.execute(
        select(Alert.id).where(
            Alert.round_id == round_id,
            Alert.source == source,
            Alert.kind == kind,
            _is(Alert.council_id, c.id if c else None),
            _is(Alert.period, period),
            _is(Alert.subject, subject),
            Alert.state != "resolved",
        )
    ).scalar()
    if same is not None:
        return int(same)
    a = Alert(
        round_id=round_id,
        federation_id=origin,
        council_id=c.id if c else None,
        source=source,
        kind=kind,
        period=period,
        subject=subject,
        message=message.strip(),
        evidence=audit.plain(dict(evidence or {})),
        state="raised",
        level=0,
        deadline=now + timedelta(days=_answer_days(root, 0)),
        raised_at=now,
    )
    s.add(a)
    s.flush()
    _event(s, a, actor, "raise", message.strip(), now)
    return a.id


def _event(s: Session, a: Alert, actor: str, action: str, note: str | None, at: datetime) -> None:
    s.add(AlertEvent(alert_id=a.id, at=at, actor=actor, action=action, level=a.level, note=note))
    audit.append(
        s,
        actor=actor,
        action=f"alert {action}",
        subject=f"alert {a.id}",
        payload={
            "state": a.state,
            "level": a.level,
            "deadline": _aware(a.deadline).isoformat(),
            "note": note,
            "kind": a.kind,
        },
    )


def _member_of(s: Session, m: Member, a: Alert) -> bool:
    return a.council_id is not None and a.council_id in (
        m.workers_council_id,
        m.consumers_council_id,
    )


def _facilitator_of(s: Session, m: Member, a: Alert) -> bool:
    return m.role == "facilitator" and bool(
        member_federations(s, m) & set(path_up(s, a.federation_id))
    )


def _act(
    db: Database, alert: int, action: str, *, actor: str, note: str | None, now: datetime | None
) -> AlertView:
    now = now or _now()
    with db.transaction() as s:
        a = get(s, Alert, alert, "alert")
        m = member_named(s, actor)
        if not _allowed(s, m, a, action):
            who = "a facilitator of the federation" if action == "resolve" else "its council"
            raise AuthorisationError(
                f"{actor!r} cannot {action} alert {alert}: only {who} can"
                + (
                    " (or its council, once it has explained or corrected it)"
                    if action == "resolve"
                    else ""
                )
            )
        if a.state not in _NEXT[action]:
            raise PhaseError(f"alert {alert} is {a.state}: it cannot be {_STATE_AFTER[action]} now")
        if action in ("explain", "correct") and not (note or "").strip():
            raise PlanInputError(
                f"to {action} alert {alert}, say what happened (the note is empty)"
            )
        a.state = _STATE_AFTER[action]
        a.updated_at = now
        _event(s, a, actor, action, (note or "").strip() or None, now)
        s.flush()
        return _view(s, a, now)


def _allowed(s: Session, m: Member, a: Alert, action: str) -> bool:
    """Whether ``m`` may take ``action`` on ``a`` (whatever its state): its council's members
    and the federation's facilitators answer; a facilitator resolves, or the council itself once
    it has explained or corrected the alert while it is still with the council."""
    council_ok = _member_of(s, m, a)
    facilitator = _facilitator_of(s, m, a)
    if action == "resolve":
        return facilitator or (
            council_ok and a.level == 0 and a.state in ("explained", "corrected")
        )
    return council_ok or facilitator


def open_steps(db: Database, alert: int, *, viewer: str) -> tuple[str, ...]:
    """The transitions ``viewer`` may take on ``alert`` now — allowed to them and possible from
    its state — in the order acknowledge, explain, correct, resolve (for a page's buttons; each
    transition checks again when it is taken)."""
    with db.transaction() as s:
        a = get(s, Alert, alert, "alert")
        m = member_named(s, viewer)
        return tuple(
            action for action in _NEXT if a.state in _NEXT[action] and _allowed(s, m, a, action)
        )


def acknowledge(db: Database, alert: int, *, actor: str, now: datetime | None = None) -> AlertView:
    """The council has seen the alert (the deadline stands)."""
    return _act(db, alert, "acknowledge", actor=actor, note=None, now=now)


def explain(
    db: Database, alert: int, *, note: str, actor: str, now: datetime | None = None
) -> AlertView:
    """The council says why the numbers are what they are (a drought, a breakdown …)."""
    return _act(db, alert, "explain", actor=actor, note=note, now=now)


def correct(
    db: Database, alert: int, *, note: str, actor: str, now: datetime | None = None
) -> AlertView:
    """The council corrected what was wrong (usually with a revised report: name it in the note;
    :func:`commonplan.reports.revise_report` files it)."""
    return _act(db, alert, "correct", actor=actor, note=note, now=now)


def resolve(
    db: Database, alert: int, *, actor: str, note: str | None = None, now: datetime | None = None
) -> AlertView:
    """Close the alert: by a facilitator of the federation, or by the council once it has
    explained or corrected it while the alert is still with the council."""
    return _act(db, alert, "resolve", actor=actor, note=note, now=now)


def escalate_due(db: Database, *, now: datetime | None = None) -> list[int]:
    """Move every unresolved alert past its deadline one level up (new deadline from ``now``);
    at the root it stays, overdue.  Returns the ids of the alerts moved."""
    now = now or _now()
    moved: list[int] = []
    with db.transaction() as s:
        due = s.execute(
            select(Alert).where(Alert.state != "resolved", Alert.deadline <= now).order_by(Alert.id)
        ).scalars()
        for a in due:
            if a.level >= _top(a, path_up(s, a.federation_id)):
                continue
            r = get(s, Round, a.round_id, "round")
            root = get(s, Federation, r.federation_id, "federation")
            a.level += 1
            a.deadline = now + timedelta(days=_answer_days(root, a.level))
            a.updated_at = now
            held = _sits_with(s, a)
            _event(s, a, "system", "escalate", f"not answered in time: now with {held}", now)
            moved.append(a.id)
    return moved


def _view(s: Session, a: Alert, now: datetime) -> AlertView:
    held = _sits_with(s, a)
    history = tuple(
        Transition(_aware(e.at), e.actor, e.action, e.level, e.note)
        for e in s.execute(
            select(AlertEvent).where(AlertEvent.alert_id == a.id).order_by(AlertEvent.id)
        ).scalars()
    )
    council = get(s, Council, a.council_id, "council").name if a.council_id else None
    deadline = _aware(a.deadline)
    return AlertView(
        id=a.id,
        round=a.round_id,
        source=a.source,
        kind=a.kind,
        period=a.period,
        council=council,
        subject=a.subject,
        message=a.message,
        evidence=dict(a.evidence or {}),
        state=a.state,
        level=a.level,
        sits_with=held,
        deadline=deadline,
        overdue=a.state != "resolved" and deadline <= now,
        raised_at=_aware(a.raised_at),
        history=history,
    )


def alerts_for(
    db: Database,
    viewer: str,
    *,
    round_id: int | None = None,
    include_resolved: bool = False,
    now: datetime | None = None,
) -> list[AlertView]:
    """The alerts ``viewer`` may see, most urgent first: those of their own councils (from level
    0) and those that have reached a federation node they belong to (facilitators and auditors:
    every alert of their federations).  Never another federation's."""
    now = now or _now()
    with db.transaction() as s:
        m = member_named(s, viewer)
        mine = member_federations(s, m)
        q = select(Alert).order_by(Alert.deadline, Alert.id)
        if round_id is not None:
            q = q.where(Alert.round_id == round_id)
        if not include_resolved:
            q = q.where(Alert.state != "resolved")
        own = {m.workers_council_id, m.consumers_council_id} - {None}
        q = q.where(or_(Alert.council_id.in_(own), Alert.federation_id.in_(_all_below(s, mine))))
        out = []
        for a in s.execute(q).scalars():
            path = path_up(s, a.federation_id)
            if m.role in ("facilitator", "auditor") and mine & set(path):
                out.append(_view(s, a, now))
                continue
            if _member_of(s, m, a):
                out.append(_view(s, a, now))
                continue
            # a member of another council sees an alert once it has reached a node of theirs
            if mine & set(_reached(a, path)):
                out.append(_view(s, a, now))
        return out


def _all_below(s: Session, nodes: set[int]) -> list[int]:
    out: set[int] = set()
    for n in nodes:
        out |= set(subtree(s, n))
    return sorted(out)
