"""Federations, councils, members, delegates and hard floors: who plans, and what is never traded.

A federation is a tree of any depth (team → brigade → commune → county → region).  Each node
holds councils: workers' councils (one per workplace, naming the processes it runs) and
consumers' councils (one per neighbourhood or commune).  A member belongs to one workers' and one
consumers' council.  Delegates to the next level serve limited, rotating terms and can be
recalled.  The root names the economy the federation plans with and the hard floors — food,
housing, health, care per person — that no vote or target can cut.

A federation is described in YAML (or the same structure as a dict)::

    name: Nordic federation
    level: region
    economy: demo                 # or the path of a table
    people_per_member: 1          # how many people each member's hours and floors stand for
    default_hours: 1600           # hours per member per year until their council proposes its own
    floors:                       # per person per year, in the economy's units
      - {product: A01, per_person: 0.002, need: food}
    rounds: {quorum: 0.5, threshold: 0.5, max_rounds: 5, collective_share: 0.1,
             caps: {co2: "70%"}}
    children:
      - name: North commune
        level: commune
        councils:
          - {name: North bakery, kind: workers, processes: [C10T12]}
          - {name: North neighbourhood, kind: consumers}

Every function here is one transaction and appends what it did to the audit log.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import (
    AuthorisationError,
    FormatError,
    NotFoundError,
    PlanInputError,
    PlanningError,
    said,
)
from commonplan.progress import OnProgress, Steps
from commonplan.store import Database, get
from commonplan.store.models import Council, Delegate, Federation, Floor, Member

if TYPE_CHECKING:
    from commonplan.economy.model import Economy

__all__ = [
    "NEEDS",
    "ROLES",
    "ROUND_DEFAULTS",
    "DelegateTerm",
    "add_members",
    "council_named",
    "count_members",
    "create_federation",
    "delegate_terms",
    "economy_of",
    "elect_delegate",
    "eligible_members",
    "floors_of",
    "is_eligible",
    "member_federations",
    "member_named",
    "path_up",
    "read_description",
    "recall_delegate",
    "subtree",
]

ROLES = ("member", "facilitator", "auditor")
NEEDS = ("food", "housing", "health", "care", "education", "energy", "water", "transport")
ROUND_DEFAULTS: dict[str, Any] = {
    "quorum": 0.5,
    "threshold": 0.5,
    "strict": True,
    "ratification": "approval",
    "max_rounds": 5,
    "collective_share": 0.1,
    "caps": {},
    "mes_utility": "cost",
    "tie_break": "lexicographic",
    "budget_increment": 1.0,
    "budget_fill": True,
    "reporting": {},
}
"""Round settings a federation's ``rounds`` mapping may override (``reporting``: the periods a
ratified plan's reports are filed for, see :func:`commonplan.reports.ledger.periods_of`;
``budget_increment``: the hours each step of the equal-shares completion adds to every voter's
share, ``null`` for none; ``budget_fill``: what is left filled greedily by votes)."""
MAX_CONSECUTIVE_TERMS = 2
"""Rotation: a member may serve at most this many terms in a row as a council's delegate."""


class _NoAliases(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases: a few hundred bytes of nested aliases
    (the "billion laughs") would expand to millions of nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted here; write the values out", mark
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str) -> Any:
    """YAML text as data, aliases refused (:class:`FormatError`, with where)."""
    try:
        return yaml.load(text, Loader=_NoAliases)
    except yaml.YAMLError as exc:
        raise FormatError(said("not valid YAML: {exc}", exc=exc)) from None


def read_description(path: str | Path) -> dict[str, Any]:
    """A federation description from a YAML file (aliases refused: a description never needs
    them, and nested ones expand without bound)."""
    try:
        data = parse_yaml(Path(path).read_text())
    except FormatError as exc:
        raise FormatError(said("{path}: {exc}", path=path, exc=exc)) from None
    if not isinstance(data, dict):
        raise FormatError(
            said("{path}: a federation description is a mapping with at least 'name'", path=path)
        )
    return data


def create_federation(
    db: Database, description: Mapping[str, Any], *, actor: str = "system"
) -> int:
    """Create the tree, its councils and floors from ``description``; returns the root's id.

    Refused whole (nothing written) when a name repeats, a council's kind is not ``workers`` or
    ``consumers``, a floor or process names nothing in the economy, or a number is not one.
    """
    economy = economy_of(_settings(description))
    with db.transaction() as s:
        root = _node(s, description, None, economy, path="federation")
        root.settings = _settings(description)
        for k, f in enumerate(description.get("floors") or []):
            s.add(_floor(f, root.id, economy, f"floors[{k}]"))
        s.flush()
        nodes = subtree(s, root.id)
        audit.append(
            s,
            actor=actor,
            action="federation created",
            subject=f"federation {root.id}",
            payload={
                "description": dict(description),
                "economy_sha256": economy.sha256,
                "nodes": audit.rows_of(s, Federation, Federation.id.in_(nodes)),
                "councils": audit.rows_of(s, Council, Council.federation_id.in_(nodes)),
                "floors": audit.rows_of(s, Floor, Floor.federation_id == root.id),
            },
        )
        return root.id


def _settings(d: Mapping[str, Any]) -> dict[str, Any]:
    rounds = {**ROUND_DEFAULTS, **(d.get("rounds") or {})}
    unknown = set(rounds) - set(ROUND_DEFAULTS)
    if unknown:
        raise PlanInputError(
            said(
                "unknown round setting(s) {unknown}; known: {known}",
                unknown=sorted(unknown),
                known=list(ROUND_DEFAULTS),
            )
        )
    if rounds["ratification"] not in ("approval", "consent"):
        raise PlanInputError(
            said(
                "rounds.ratification must be 'approval' or 'consent'; got {ratification!r}",
                ratification=rounds["ratification"],
            )
        )
    for key in ("quorum", "threshold", "collective_share"):
        if not 0 <= _number(rounds[key], f"rounds.{key}") <= 1:
            raise PlanInputError(
                said(
                    "rounds.{key} must be between 0 and 1; got {value}", key=key, value=rounds[key]
                )
            )
    # what comes after the vote: checked here, with their own modules' rules (loaded lazily:
    # they import this module)
    from commonplan.monitor.alerts import check_alert_settings
    from commonplan.reports.ledger import check_reporting
    from commonplan.work.hours import hours_settings

    check_reporting(rounds["reporting"])
    out = {
        "economy": str(d.get("economy", "demo")),
        "people_per_member": _number(d.get("people_per_member", 1), "people_per_member"),
        "default_hours": _number(d.get("default_hours", 1600), "default_hours"),
        "rounds": rounds,
    }
    if d.get("hours") is not None:
        hours_settings({"hours": d["hours"]})
        out["hours"] = dict(d["hours"])
    if d.get("alerts") is not None:
        out["alerts"] = check_alert_settings(d["alerts"])
    return out


def _node(
    s: Session, d: Mapping[str, Any], parent: int | None, economy: Economy, path: str
) -> Federation:
    if not isinstance(d, Mapping) or not d.get("name"):
        raise PlanInputError(said("{path}: every federation node needs a 'name'", path=path))
    name = str(d["name"])
    if s.execute(select(Federation).where(Federation.name == name)).first():
        # names are unique across federations: say nothing of where the name is used
        raise PlanInputError(
            said("{path}: the name {name!r} cannot be used; choose another", path=path, name=name)
        )
    node = Federation(name=name, level=str(d.get("level", "federation")), parent_id=parent)
    s.add(node)
    s.flush()
    for k, c in enumerate(d.get("councils") or []):
        s.add(_council(s, c, node.id, economy, f"{path}.councils[{k}]"))
        s.flush()
    for k, child in enumerate(d.get("children") or []):
        _node(s, child, node.id, economy, f"{path}.children[{k}] ({name})")
    return node


def _council(s: Session, c: Any, fed: int, economy: Economy, path: str) -> Council:
    if not isinstance(c, Mapping) or not c.get("name"):
        raise PlanInputError(said("{path}: every council needs a 'name'", path=path))
    name, kind = str(c["name"]), str(c.get("kind", ""))
    if kind not in ("workers", "consumers"):
        raise PlanInputError(
            said(
                "council {name!r}: kind must be 'workers' or 'consumers'; got {kind!r}",
                name=name,
                kind=kind,
            )
        )
    if s.execute(select(Council).where(Council.name == name)).first():
        raise PlanInputError(
            said(
                "council {name!r}: the name cannot be used (council names are unique across "
                "federations, and within this one); choose another",
                name=name,
            )
        )
    processes = [str(p) for p in c.get("processes") or []]
    unknown = [p for p in processes if p not in economy.processes and p not in economy.products]
    if unknown:
        raise PlanInputError(
            said(
                "council {name!r} runs {unknown}, which the economy does not have",
                name=name,
                unknown=unknown,
            )
        )
    if processes and kind != "workers":
        raise PlanInputError(
            said("council {name!r}: only workers' councils run processes", name=name)
        )
    return Council(federation_id=fed, kind=kind, name=name, processes=processes)


def _floor(f: Any, fed: int, economy: Economy, path: str) -> Floor:
    if not isinstance(f, Mapping) or "product" not in f:
        raise PlanInputError(said("{path}: a floor is {{product, per_person, need}}", path=path))
    product = str(f["product"])
    if product not in economy.products:
        raise PlanInputError(
            said("{path}: the economy has no product {product!r}", path=path, product=product)
        )
    need = str(f.get("need", "food"))
    if need not in NEEDS:
        raise PlanInputError(
            said(
                "{path}: need must be one of {needs}; got {need!r}",
                path=path,
                needs=", ".join(NEEDS),
                need=need,
            )
        )
    amount = _number(f.get("per_person"), f"{path}.per_person ({product})")
    if amount < 0:
        raise PlanInputError(
            said("{path}: the floor of {product} cannot be negative", path=path, product=product)
        )
    return Floor(federation_id=fed, product=product, per_person=amount, need=need)


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PlanInputError(
            said("{what} must be a number; got {value!r}", what=what, value=value)
        ) from None


MEMBER_COLUMNS = ("handle", "name", "workers_council", "consumers_council", "role")


def add_members(
    db: Database,
    rows: Iterable[Mapping[str, Any]] | str | Path,
    *,
    actor: str = "system",
    on_progress: OnProgress | None = None,
) -> int:
    """Add members in bulk — a CSV path or rows with :data:`MEMBER_COLUMNS` — all or none.

    ``workers_council`` and ``consumers_council`` are council names (either may be empty for a
    member not at work or not in a neighbourhood council); ``role`` defaults to ``member``.
    Refused whole, naming the row, on an unknown council, a council of the wrong kind, a repeated
    handle or an unknown role.  Returns how many were added.  ``on_progress(fraction, step)``
    is told how far it has got (see :mod:`commonplan.progress`).
    """
    steps = Steps(on_progress, [("checking the rows", 1.0), ("storing the members", 2.0)])
    steps.begin("checking the rows")
    if isinstance(rows, str | Path):
        with open(rows, newline="") as fh:
            rows = list(csv.DictReader(fh))
    rows = list(rows)
    with db.transaction() as s:
        councils = {c.name: c for c in s.execute(select(Council)).scalars()}
        handles = set(s.execute(select(Member.handle)).scalars())
        new: list[str] = []
        added = 0
        for k, row in enumerate(rows, start=1):
            handle = str(row.get("handle") or "").strip()
            if not handle:
                raise PlanInputError(said("member row {row}: 'handle' is empty", row=k))
            if handle in handles:
                raise PlanInputError(
                    said(
                        "member row {row}: handle {handle!r} cannot be used; choose another",
                        row=k,
                        handle=handle,
                    )
                )
            role = str(row.get("role") or "member")
            if role not in ROLES:
                raise PlanInputError(
                    said(
                        "member row {row} ({handle}): role must be one of {roles}",
                        row=k,
                        handle=handle,
                        roles=ROLES,
                    )
                )
            ids = [
                _council_id(councils, row.get(f"{kind}_council"), kind, k, handle)
                for kind in ("workers", "consumers")
            ]
            s.add(
                Member(
                    handle=handle,
                    name=str(row.get("name") or handle),
                    role=role,
                    workers_council_id=ids[0],
                    consumers_council_id=ids[1],
                )
            )
            handles.add(handle)
            new.append(handle)
            added += 1
            if added % 1000 == 0:
                steps.advance(added / len(rows))
        steps.begin("storing the members")
        s.flush()
        audit.append(
            s,
            actor=actor,
            action="members added",
            subject="members",
            payload={"count": added, "members": audit.rows_of(s, Member, Member.handle.in_(new))},
        )
    steps.finish()
    return added


def _council_id(
    councils: dict[str, Council], name: Any, kind: str, row: int, who: str
) -> int | None:
    if not name:
        return None
    council = councils.get(str(name))
    if council is None:
        raise PlanInputError(
            said("member row {row} ({who}): no council named {name!r}", row=row, who=who, name=name)
        )
    if council.kind != kind:
        raise PlanInputError(
            said(
                "member row {row} ({who}): {name!r} is not a {kind}' council",
                row=row,
                who=who,
                name=name,
                kind=kind,
            )
        )
    return council.id


def elect_delegate(
    db: Database, council: int, member: int, *, term_days: int = 365, actor: str = "system"
) -> int:
    """Record ``member``'s election as ``council``'s delegate for ``term_days`` from now.

    Refused when the member is not in that council, the council has a delegate whose term runs,
    or the member has served :data:`MAX_CONSECUTIVE_TERMS` terms in a row (rotation).
    """
    now = datetime.now(UTC)
    with db.transaction() as s:
        m = get(s, Member, member, "member")
        c = get(s, Council, council, "council")
        if c.id not in (m.workers_council_id, m.consumers_council_id):
            raise AuthorisationError(
                said(
                    "member {member!r} is not in council {council!r}",
                    member=m.handle,
                    council=c.name,
                )
            )
        terms = (
            s.execute(
                select(Delegate).where(Delegate.council_id == c.id).order_by(Delegate.term_start)
            )
            .scalars()
            .all()
        )
        if any(_aware(t.term_end) > now and t.recalled_at is None for t in terms):
            raise PlanningError(
                said(
                    "council {council!r} has a delegate whose term runs; recall first",
                    council=c.name,
                )
            )
        recent = [t.member_id for t in terms[-MAX_CONSECUTIVE_TERMS:]]
        if len(recent) == MAX_CONSECUTIVE_TERMS and set(recent) == {m.id}:
            raise PlanningError(
                said(
                    "{member!r} has served {terms} terms in a row for {council!r}; "
                    "delegates rotate",
                    member=m.handle,
                    terms=MAX_CONSECUTIVE_TERMS,
                    council=c.name,
                )
            )
        d = Delegate(
            council_id=c.id,
            member_id=m.id,
            term_start=now,
            term_end=now + timedelta(days=term_days),
        )
        s.add(d)
        s.flush()
        audit.append(
            s,
            actor=actor,
            action="delegate elected",
            subject=f"council {c.id}",
            payload={
                "member": m.handle,
                "term_days": term_days,
                "delegate": audit.rows_of(s, Delegate, Delegate.id == d.id)[0],
            },
        )
        return d.id


def recall_delegate(db: Database, delegate: int, *, actor: str = "system") -> None:
    """End a delegate's term now (recall by their council)."""
    with db.transaction() as s:
        d = get(s, Delegate, delegate, "delegate")
        if d.recalled_at is not None:
            raise PlanningError(said("delegate {delegate} was recalled already", delegate=delegate))
        d.recalled_at = datetime.now(UTC)
        audit.append(
            s,
            actor=actor,
            action="delegate recalled",
            subject=f"council {d.council_id}",
            payload={"delegate": d.id, "recalled_at": audit.utc(d.recalled_at)},
        )


def member_named(s: Session, handle: str) -> Member:
    """The member with ``handle``; :class:`NotFoundError` if none."""
    m = s.execute(select(Member).where(Member.handle == handle)).scalar_one_or_none()
    if m is None:
        raise NotFoundError(said("no member with handle {handle!r}", handle=handle))
    return m


def council_named(s: Session, name: str) -> Council:
    """The council called ``name`` (council names are unique); :class:`NotFoundError` if none."""
    c = s.execute(select(Council).where(Council.name == name)).scalar_one_or_none()
    if c is None:
        raise NotFoundError(said("no council named {name!r}", name=name))
    return c


@dataclass(frozen=True)
class DelegateTerm:
    """One term of a council's delegate; ``serving`` while it runs and nobody recalled it."""

    id: int
    council: int
    handle: str
    term_start: datetime
    term_end: datetime
    recalled_at: datetime | None

    @property
    def serving(self) -> bool:
        return self.recalled_at is None and self.term_start <= datetime.now(UTC) < self.term_end


def delegate_terms(s: Session, council: int) -> list[DelegateTerm]:
    """The delegates of ``council``, term by term, the newest first (times in UTC)."""
    rows = s.execute(
        select(Delegate, Member.handle)
        .join(Member, Member.id == Delegate.member_id)
        .where(Delegate.council_id == council)
        .order_by(Delegate.term_start.desc(), Delegate.id.desc())
    )
    return [
        DelegateTerm(
            d.id,
            d.council_id,
            handle,
            _aware(d.term_start),
            _aware(d.term_end),
            _aware(d.recalled_at) if d.recalled_at is not None else None,
        )
        for d, handle in rows
    ]


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def path_up(s: Session, node: int) -> list[int]:
    """Federation ids from ``node`` up to its root, ``node`` first."""
    out = [node]
    while True:
        parent = s.execute(select(Federation.parent_id).where(Federation.id == out[-1])).scalar()
        if parent is None or parent in out:
            return out
        out.append(parent)


def member_federations(s: Session, member: Member) -> set[int]:
    """The federation nodes ``member`` belongs to: those of their councils and staff rows, and
    every node above them (a member of a commune's council belongs to its region too)."""
    from commonplan.store.models import Staff

    own = {member.workers_council_id, member.consumers_council_id} - {None}
    nodes = set(s.execute(select(Council.federation_id).where(Council.id.in_(own))).scalars())
    nodes |= set(
        s.execute(select(Staff.federation_id).where(Staff.member_id == member.id)).scalars()
    )
    out: set[int] = set()
    for node in nodes:
        out |= set(path_up(s, node))
    return out


def subtree(s: Session, root: int) -> list[int]:
    """Ids of ``root`` and every federation node below it."""
    return list(s.execute(_subtree(root)).scalars())


def _subtree(federation: int) -> Any:
    """A recursive select of the ids of ``federation`` and every node below it (one query)."""
    nodes = select(Federation.id).where(Federation.id == federation).cte("nodes", recursive=True)
    below = select(Federation.id).join(nodes, Federation.parent_id == nodes.c.id)
    return select(nodes.union_all(below).c.id)


def eligible_members(s: Session, federation: int) -> Any:
    """A select of the ids of members with a council in ``federation``'s subtree."""
    councils = select(Council.id).where(Council.federation_id.in_(_subtree(federation)))
    return select(Member.id).where(
        Member.workers_council_id.in_(councils) | Member.consumers_council_id.in_(councils)
    )


def is_eligible(s: Session, federation: int, member: Member) -> bool:
    """Whether ``member`` has a council in ``federation``'s subtree (one query)."""
    own = [c for c in (member.workers_council_id, member.consumers_council_id) if c is not None]
    query = select(Council.id).where(
        Council.id.in_(own), Council.federation_id.in_(_subtree(federation))
    )
    return bool(own) and s.execute(query.limit(1)).first() is not None


def count_members(s: Session, councils: Iterable[int]) -> dict[int, int]:
    """Members per council (workers' or consumers')."""
    ids = list(councils)
    out = dict.fromkeys(ids, 0)
    for col in (Member.workers_council_id, Member.consumers_council_id):
        rows = s.execute(select(col, func.count()).where(col.in_(ids)).group_by(col)).all()
        for council, n in rows:
            if council is not None:
                out[council] += n
    return out


def floors_of(s: Session, federation: int) -> list[Floor]:
    return list(s.execute(select(Floor).where(Floor.federation_id == federation)).scalars())


@functools.lru_cache(maxsize=8)
def _load(source: str) -> Economy:
    from commonplan.economy.io import demo_economy, read_economy

    return demo_economy() if source == "demo" else read_economy(source)


def economy_of(settings: Mapping[str, Any]) -> Economy:
    """The economy a federation plans with (``"demo"`` or a table path), loaded once."""
    return _load(str(settings.get("economy", "demo")))
